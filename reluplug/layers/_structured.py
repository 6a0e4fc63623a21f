"""Argument checks and shapes shared by the structured linear layers."""

import keras
import numpy as np
from keras import ops

from reluplug._validation import is_integer


def check_units(owner, units, *, optional=False):
    """``units`` must be an int >= 1 (or ``None`` when ``optional``)."""
    if units is None and optional:
        return None
    if not is_integer(units) or units < 1:
        allowed = "an int >= 1 or None" if optional else "an int >= 1"
        raise ValueError(
            f"{owner}: argument `units` must be {allowed}. "
            f"Received: units={units!r}"
        )
    return int(units)


def check_seed(owner, seed):
    """An int seed; ``None`` draws one now, so the layer's fixed random
    structure (signs, permutations) is recorded in its config and a saved
    model reloads with the same structure."""
    if seed is None:
        return int(np.random.default_rng().integers(0, 2**31 - 1))
    if not is_integer(seed) or seed < 0:
        raise ValueError(
            f"{owner}: argument `seed` must be an int >= 0 or None. "
            f"Received: seed={seed!r}"
        )
    return int(seed)


def input_dim(owner, input_shape):
    """The known size of the last axis (the features)."""
    if len(input_shape) < 2 or input_shape[-1] is None:
        raise ValueError(
            f"{owner}: the input must have rank >= 2 and a known last "
            f"(feature) dimension. Received: input_shape={tuple(input_shape)}"
        )
    return int(input_shape[-1])


class DenseLike(keras.layers.Layer):
    """What the structured layers share with ``Dense``: its arguments, in
    its order, their storage and config, the bias and the activation.

    A subclass builds its own structured kernel weights in ``build`` (then
    calls ``build_bias``), computes the linear map in ``call`` and hands it
    to ``finish``; ``get_config`` adds its own arguments to ``super()``'s.
    """

    def __init__(
        self,
        units,
        activation=None,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        owner = type(self).__name__
        self.units = check_units(owner, units)
        self.activation = keras.activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = (
            None
            if kernel_initializer is None
            else keras.initializers.get(kernel_initializer)
        )
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.bias_regularizer = keras.regularizers.get(bias_regularizer)
        self.kernel_constraint = keras.constraints.get(kernel_constraint)
        self.bias_constraint = keras.constraints.get(bias_constraint)
        self.input_spec = keras.layers.InputSpec(min_ndim=2)

    def build_input(self, input_shape):
        """The feature size ``d`` of the input; fixes the input spec."""
        d = input_dim(type(self).__name__, input_shape)
        self.input_spec = keras.layers.InputSpec(min_ndim=2, axes={-1: d})
        return d

    def build_bias(self):
        """The ``(units,)`` bias, or None without ``use_bias``."""
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(self.units,),
                name="bias",
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )

    def finish(self, y):
        """``activation(y[..., :units] + bias)`` in the compute dtype."""
        y = y[..., : self.units]
        if self.use_bias:
            y = y + ops.cast(self.bias, self.compute_dtype)
        return self.activation(y)

    def get_config(self):
        config = super().get_config()
        ser = keras.saving.serialize_keras_object
        config.update(
            {
                "units": self.units,
                "activation": keras.activations.serialize(self.activation),
                "use_bias": self.use_bias,
                "kernel_initializer": None
                if self.kernel_initializer is None
                else ser(self.kernel_initializer),
                "bias_initializer": ser(self.bias_initializer),
                "kernel_regularizer": ser(self.kernel_regularizer),
                "bias_regularizer": ser(self.bias_regularizer),
                "activity_regularizer": ser(self.activity_regularizer),
                "kernel_constraint": ser(self.kernel_constraint),
                "bias_constraint": ser(self.bias_constraint),
            }
        )
        return config

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)
