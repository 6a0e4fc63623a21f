"""One table per fact: the run folder's names live in ``schema.py`` and the
"did you mean" hint in one helper."""

import keras
import pytest

from reluplug._validation import did_you_mean
from reluplug.bench import ConfigError
from reluplug.bench.suite import config
from reluplug.bench.suite import schema
from reluplug.bench.tasks import registry as tasks
from reluplug.callbacks import dead_units


def test_monitor_quantities_are_what_the_callbacks_publish():
    # DeadUnitMonitor names its fractions, GradientFlowMonitor `grad_norm`.
    published = set(dead_units._METRIC.values()) | {"grad_norm"}
    assert published == set(schema.MONITOR_QUANTITIES)
    assert set(schema.HISTORY_FRACTIONS) <= set(schema.UNIT_FRACTIONS)


def test_every_optimizer_name_is_a_keras_optimizer():
    for name, cls in schema.OPTIMIZERS.items():
        assert issubclass(
            getattr(keras.optimizers, cls), keras.optimizers.Optimizer
        ), name
    text = "version = 1\nname = 'x'\nseeds = [0]\n[training]\nepochs = 1\n"
    text += "optimizer = 'rmsprob'\n[[tasks]]\nname = 'spirals'\n"
    text += "[[activations]]\nname = 'relu'\n"
    with pytest.raises(ConfigError) as info:
        config.loads(text)
    assert str(list(schema.OPTIMIZERS)) in str(info.value)


def test_statuses():
    assert schema.STATUSES == ("completed", "diverged", "failed")
    assert set(schema.DONE) == set(schema.STATUSES) - {schema.FAILED}


@pytest.mark.parametrize(
    ("value", "choices", "n", "expected"),
    [
        ("epoch", ["epochs", "seeds"], 1, "; did you mean 'epochs'?"),
        ("ADAMM", ["adam", "sgd"], 1, "; did you mean 'adam'?"),
        ("zzz", ["adam", "sgd"], 1, ""),
        ("pelu", ["prelu", "pelu", "elu"], 2, "; did you mean 'pelu' or "),
        ("relu", ["prelu", "relu6", "elu"], 3, "; did you mean 'relu6', "),
        (3, [1, 2, 3], 1, "; did you mean '3'?"),
    ],
)
def test_did_you_mean(value, choices, n, expected):
    hint = did_you_mean(value, choices, n=n)
    assert hint.startswith(expected) if expected else hint == ""
    if n == 3:
        assert hint.count("'") == 6 and " or " in hint


def test_every_did_you_mean_is_the_helper():
    # The same wording from the registry, the task registry and a suite.
    with pytest.raises(ValueError, match=r"'; did you mean 'leaky_relu'"):
        import reluplug

        reluplug.get("leaky_rleu")
    with pytest.raises(ValueError, match=r"; did you mean 'spirals'\?"):
        tasks.get("spiral")
