"""Every layer, with non-default arguments, through ``run_layer_test``.

Config and ``.keras`` round trips (``safe_mode=True``, no custom objects,
identical predictions), symbolic and eager calls, weight shapes, one ``fit``
step with and without XLA, ``mixed_float16`` / ``mixed_bfloat16``.

On PyTorch, ``jit_compile=True`` is not XLA but ``torch.compile`` (Dynamo +
Inductor): on a CPU-only machine it builds C++ kernels for each model, and
one layer case did not finish in 10 minutes, so the compiled ``fit`` step is
skipped there (with that reason); the eager one runs.
"""

import keras
import pytest
from layer_cases import CASES
from layer_cases import public_layer_classes
from layer_testing import fit_once
from layer_testing import run_layer_test

from reluplug import constraints

NO_COMPILED_FIT = pytest.mark.skipif(
    keras.backend.backend() == "torch",
    reason="jit_compile=True on PyTorch is torch.compile (Inductor), which "
    "compiles C++ kernels per model on CPU (minutes per case): no XLA-like "
    "compiled training step on this backend",
)


@pytest.mark.parametrize("case", sorted(CASES))
def test_layer_contract(case, tmp_path, rng):
    layer_cls, kwargs, input_shape, weight_shapes, *output_shape = CASES[case]
    run_layer_test(
        layer_cls,
        kwargs,
        input_shape,
        tmp_path=tmp_path,
        rng=rng,
        expected_weight_shapes=weight_shapes,
        expected_output_shape=output_shape[0] if output_shape else None,
        jit_compiles=(False,),
    )


@NO_COMPILED_FIT
@pytest.mark.parametrize("case", sorted(CASES))
def test_compiled_fit_step(case, rng):
    layer_cls, kwargs, input_shape, *_ = CASES[case]
    shape = (4,) + tuple(5 if d is None else d for d in input_shape[1:])
    x = rng.normal(size=shape).astype("float32")
    fit_once(layer_cls(**kwargs), input_shape, x, rng, jit_compile=True)


def test_every_public_layer_has_a_contract_case():
    tested = {cls for cls, *_ in CASES.values()}
    assert public_layer_classes() == tested


def test_pelu_constraint_round_trips_through_config():
    constraint = constraints.MinValue(0.3)
    clone = constraints.MinValue.from_config(constraint.get_config())
    assert clone.min_value == 0.3
    with pytest.raises(ValueError, match=r"min_value.*Received: min_value=nan"):
        constraints.MinValue(float("nan"))
