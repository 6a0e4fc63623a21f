"""What every reluplug layer promises on top of ``keras.layers.Layer``.

The contract of Keras' own activation layers, plus one declaration:

* ``negative_side``: each activation layer declares, as a class attribute,
  what its negative side does; one of ``NEGATIVE_SIDES``:

  - ``"zero"``: `f'(x) = 0` for `x < 0` (ReLU): a unit that is never
    positive gets no gradient and is dead;
  - ``"leaky"``: a linear negative side with a non-zero slope (Leaky, PReLU,
    RReLU, SReLU): such a unit is inactive, not dead;
  - ``"saturating"``: a smooth negative side that flattens out (ELU, CELU,
    SELU, PELU, Swish): inactive, not dead.

  ``reluplug.callbacks.DeadUnitMonitor`` reads it (so a user layer that
  declares it is monitored as ``dead_`` or ``inactive_``), and
  ``reluplug.register`` checks it.
* A layer without weights is built when constructed (``build_at_init``),
  as Keras' stateless layers are: ``count_params()`` and
  ``stateless_call()`` work before the first call.
* A layer with weights fixes the input rank, and the size of every axis its
  weights span, when it is built (``set_input_spec``), as
  ``keras.layers.PReLU`` does: a later call of another rank raises.
"""

import keras

from reluplug._validation import check_choice

NEGATIVE_SIDES = ("zero", "leaky", "saturating")


def check_negative_side(value):
    """Raises ``ValueError`` unless ``value`` is one of ``NEGATIVE_SIDES``."""
    return check_choice("negative_side", value, NEGATIVE_SIDES)


def build_at_init(layer, cls):
    """Builds a weightless ``layer`` of class ``cls`` now, as Keras does.

    A subclass that overrides ``build`` (to add weights) is left unbuilt,
    as Keras leaves it, so its own ``build`` runs on the first call.
    """
    if type(layer).build is cls.build:
        layer.build(None)


def set_input_spec(layer, input_shape, axes=()):
    """Fixes the rank of ``input_shape`` and the sizes along ``axes``.

    Args:
        layer: the layer being built.
        input_shape: the shape it is built for, batch axis included.
        axes: positive axes whose size the weights depend on.
    """
    layer.input_spec = keras.layers.InputSpec(
        ndim=len(input_shape),
        axes={int(axis): int(input_shape[axis]) for axis in axes},
    )
