"""The initialisation protocol: which initial weights each activation gets.

A suite's ``[training] init`` says how the layers that are not activations
are initialised (their ``kernel`` weights; biases and every other weight
keep the task's own initializer):

* ``"recommended"`` (the default): each activation gets the scheme its
  paper recommends (``RECOMMENDED`` below), so no activation is judged with
  another one's initialisation;
* ``"same"``: every activation gets the Glorot-uniform kernels of Keras'
  seeded initializers, as before this protocol existed (trial ids of such
  suites are unchanged);
* an initializer name (``SCHEMES``, e.g. ``"he_normal"``): that one for
  every activation.

Pairing. For one (task, seed), every activation draws the *same* standard
random numbers (NumPy, seeded by ``(seed, layer position, weight index)``,
unit variance) and each scheme only multiplies them by its scale
``sqrt(gain / fan)``. The recorded ``init_sha256`` is the SHA-256 of the
*unscaled* draws (and of the other weights as built), so the report's
identical-init check holds across activations with different schemes; the
scale is a function of the scheme and the weight's shape alone and the
record states the scheme (``init``). Under ``"same"`` nothing is redrawn
and ``init_sha256`` hashes the weights themselves, as before.

Table (``RECOMMENDED``; the distribution is the truncated normal of Keras'
``*_normal`` initializers for all three, so the draws can be shared):

=====================================================  =============
activations                                            scheme
=====================================================  =============
ReLU family: relu, relu6, leaky_relu, prelu, rrelu,    he_normal
srelu, and elu, celu, pelu (identity positive side)
selu                                                   lecun_normal
tanh, sigmoid, hard_sigmoid, softsign                  glorot_normal
=====================================================  =============

References:
    He, Zhang, Ren and Sun (2015), "Delving Deep into Rectifiers", ICCV:
    variance ``2 / fan_in`` keeps the forward signal's scale through ReLU
    layers (Clevert, Unterthiner and Hochreiter 2016 train their ELU
    networks with it too).
    Klambauer, Unterthiner, Mayr and Hochreiter (2017), "Self-Normalizing
    Neural Networks", NeurIPS: SELU's fixed point needs ``1 / fan_in``
    (LeCun normal).
    Glorot and Bengio (2010), "Understanding the difficulty of training
    deep feedforward neural networks", AISTATS: ``2 / (fan_in + fan_out)``
    for symmetric saturating units.

Activations not in the table (a user's layer, swish, gelu, ...) get a
scheme from the ``negative_side`` their layer declares (``DEFAULT_BY_SIDE``):
``"zero"`` or ``"leaky"`` -> He (a rectifier on the negative side, He et
al.'s derivation), ``"saturating"`` -> Glorot, nothing declared -> Glorot
(Keras' own default).

No Keras import: the report reads this table too.
"""

import dataclasses
import hashlib
import math

import numpy as np

RECOMMENDED_PROTOCOL = "recommended"
SAME = "same"


@dataclasses.dataclass(frozen=True)
class Scheme:
    """A variance-scaling initializer.

    Attributes:
        name: the Keras initializer of the same law (``"he_normal"``).
        gain: ``scale`` of ``keras.initializers.VarianceScaling``.
        mode: ``"fan_in"`` or ``"fan_avg"``.
        distribution: ``"truncated_normal"`` (cut at two standard
            deviations, as Keras) or ``"uniform"``.
        reference: the paper.
    """

    name: str
    gain: float
    mode: str
    distribution: str
    reference: str

    def std(self, shape):
        """Standard deviation of a weight of ``shape`` under this scheme."""
        fan_in, fan_out = compute_fans(shape)
        fan = fan_in if self.mode == "fan_in" else (fan_in + fan_out) / 2
        return math.sqrt(self.gain / max(1.0, fan))


_HE = "He et al. 2015"
_LECUN = "Klambauer et al. 2017"
_GLOROT = "Glorot & Bengio 2010"

SCHEMES = {
    s.name: s
    for s in (
        Scheme("he_normal", 2.0, "fan_in", "truncated_normal", _HE),
        Scheme("he_uniform", 2.0, "fan_in", "uniform", _HE),
        Scheme("lecun_normal", 1.0, "fan_in", "truncated_normal", _LECUN),
        Scheme("lecun_uniform", 1.0, "fan_in", "uniform", _LECUN),
        Scheme("glorot_normal", 1.0, "fan_avg", "truncated_normal", _GLOROT),
        Scheme("glorot_uniform", 1.0, "fan_avg", "uniform", _GLOROT),
    )
}

# What ``init`` accepts in a suite's ``[training]`` table.
PROTOCOLS = (RECOMMENDED_PROTOCOL, SAME, *SCHEMES)

_RELU_FAMILY = (
    "relu",
    "relu6",
    "leaky_relu",
    "prelu",
    "rrelu",
    "srelu",
    "elu",
    "celu",
    "pelu",
)
_GLOROT_FAMILY = ("tanh", "sigmoid", "hard_sigmoid", "softsign")

# Registered activation name -> scheme, with references (module docstring).
RECOMMENDED = {
    **{name: "he_normal" for name in _RELU_FAMILY},
    "selu": "lecun_normal",
    **{name: "glorot_normal" for name in _GLOROT_FAMILY},
}

# Activations not in RECOMMENDED: by the layer's declared ``negative_side``
# (None: declares nothing, e.g. a Keras ``Activation`` wrapper or a user
# layer).
DEFAULT_BY_SIDE = {
    "zero": "he_normal",
    "leaky": "he_normal",
    "saturating": "glorot_normal",
    None: "glorot_normal",
}

# Std of a standard normal truncated to [-2, 2] (Keras' correction).
_TRUNCATED_STD = 0.87962566103423978
_UNIFORM_LIMIT = math.sqrt(3.0)


def resolve(protocol, names, negative_side=None):
    """The scheme an activation gets under ``protocol``.

    Args:
        protocol: a suite's ``init`` (one of ``PROTOCOLS``).
        names: the activation's names to look up in ``RECOMMENDED``, most
            specific first (the suite's name, the layer's registered name).
        negative_side: the layer's declared ``negative_side`` (or None),
            used when no name is in the table.

    Returns:
        ``"same"`` or a key of ``SCHEMES``.

    Raises:
        ValueError: ``protocol`` is not one of ``PROTOCOLS``.
    """
    if protocol not in PROTOCOLS:
        raise ValueError(
            f"The value for `init` must be one of {list(PROTOCOLS)}, but "
            f"{protocol!r} was passed."
        )
    if protocol != RECOMMENDED_PROTOCOL:
        return protocol
    for name in names:
        if isinstance(name, str) and name.lower() in RECOMMENDED:
            return RECOMMENDED[name.lower()]
    return DEFAULT_BY_SIDE.get(negative_side, DEFAULT_BY_SIDE[None])


def describe(scheme):
    """One line for reports: the scheme and where it comes from."""
    if scheme == SAME:
        return "Glorot uniform (Keras' seeded initializer) for every activation"
    s = SCHEMES[scheme]
    return f"{s.name} ({s.reference})"


def compute_fans(shape):
    """``(fan_in, fan_out)`` of a weight of ``shape``, as Keras computes
    them (a convolution kernel's receptive field multiplies both)."""
    shape = tuple(int(n) for n in shape)
    if not shape:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive = math.prod(shape[:-2])
    return shape[-2] * receptive, shape[-1] * receptive


def standard_draws(shape, distribution, seed, layer, weight):
    """Unit-variance random numbers for one weight (float64).

    The same ``(seed, layer, weight, shape, distribution)`` gives the same
    numbers on every machine and backend (NumPy's ``default_rng``).

    Args:
        shape: the weight's shape.
        distribution: ``"truncated_normal"`` (a standard normal cut at
            +-2, divided by its std) or ``"uniform"`` (on +-sqrt(3)).
        seed: the trial's seed.
        layer: position of the layer among the model's non-activation
            layers (not its name: names depend on what a process built
            before).
        weight: index of the weight in the layer.
    """
    rng = np.random.default_rng([int(seed), int(layer), int(weight)])
    size = math.prod(shape)
    if distribution == "uniform":
        values = rng.uniform(-_UNIFORM_LIMIT, _UNIFORM_LIMIT, size)
    elif distribution == "truncated_normal":
        values = rng.standard_normal(size)
        bad = np.abs(values) > 2.0
        while bad.any():  # redraw outside +-2, as a truncated normal does
            values[bad] = rng.standard_normal(int(bad.sum()))
            bad = np.abs(values) > 2.0
        values /= _TRUNCATED_STD
    else:
        raise ValueError(
            "The value for `distribution` must be one of ['truncated_normal',"
            f" 'uniform'], but {distribution!r} was passed."
        )
    return values.reshape(shape)


def initial_kernel(shape, scheme, seed, layer, weight):
    """``(unscaled, scaled)`` draws of one kernel under ``scheme``.

    ``unscaled`` is what ``init_sha256`` hashes (the same for every scheme
    of one distribution), ``scaled`` what the weight is set to.
    """
    law = SCHEMES[scheme]
    draws = standard_draws(shape, law.distribution, seed, layer, weight)
    return draws, draws * law.std(shape)


def hash_update(digest, name, value):
    """Feeds one weight (its name, dtype, shape and bytes) into ``digest``.

    The one encoding of ``init_sha256``, shared by both engines.
    """
    value = np.ascontiguousarray(value)
    digest.update(f"{name}|{value.dtype}|{value.shape}|".encode())
    digest.update(value.tobytes())


def new_digest():
    """An empty SHA-256 for ``hash_update``."""
    return hashlib.sha256()
