"""A Dense replacement whose matrix is circulant, applied with the FFT."""

import keras
from keras import ops

from reluplug import transforms
from reluplug.layers._structured import check_units
from reluplug.layers._structured import input_dim


@keras.saving.register_keras_serializable(package="reluplug")
class CirculantDense(keras.layers.Layer):
    """A drop-in for `Dense` with a circulant kernel: n weights, O(n log n).

    Every row of the matrix is the previous row shifted by one, so the
    product is a circular convolution, computed with the real FFT.

    Formula:
        `y = activation((C @ pad(x))[:units] + bias)` per example, where
        `pad` zero-pads the `d` features to `n = max(d, units)` and
        `C[i, j] = kernel[(i - j) mod n]` is the circulant matrix of
        `kernel` (`scipy.linalg.circulant(kernel)`), i.e.
        `C @ z = irfft(rfft(kernel) * rfft(z))`.

    Derivative:
        For upstream gradient `g` (padded to `n`): `dL/dz = C^T g`, the
        circular correlation with `kernel`, and `dL/dkernel[k] = sum_i g[i]
        z[(i - k) mod n]`; both are FFT products, O(n log n).

    Example:

    >>> import keras
    >>> import numpy as np
    >>> from reluplug import layers
    >>> layer = layers.CirculantDense(3, kernel_initializer="ones")
    >>> y = layer(np.array([[1.0, 2.0, 3.0]]))
    >>> keras.ops.convert_to_numpy(y).round(4).tolist()
    [[6.0, 6.0, 6.0]]

    Args:
        units: int >= 1, the number of outputs.
        activation: as in `Dense`. Defaults to `None` (linear).
        use_bias: bool. Defaults to `True`.
        kernel_initializer: initializer of the `(n,)` kernel. Defaults to
            `"glorot_uniform"` (variance `1 / n`, as for a square `Dense`).
        bias_initializer: as in `Dense`. Defaults to `"zeros"`.
        kernel_regularizer: as in `Dense`.
        bias_regularizer: as in `Dense`.
        activity_regularizer: as in `Dense`.
        kernel_constraint: as in `Dense`.
        bias_constraint: as in `Dense`.

    Reference:
        Cheng, Yu, Feris, Kumar, Choudhary & Chang, 2015, "An exploration of
        parameter redundancy in deep networks with circulant projections",
        ICCV. https://arxiv.org/abs/1502.03436
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
        self.units = check_units("CirculantDense", units)
        self.activation = keras.activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.bias_regularizer = keras.regularizers.get(bias_regularizer)
        self.kernel_constraint = keras.constraints.get(kernel_constraint)
        self.bias_constraint = keras.constraints.get(bias_constraint)
        self.input_spec = keras.layers.InputSpec(min_ndim=2)

    def build(self, input_shape):
        d = input_dim("CirculantDense", input_shape)
        self.input_spec = keras.layers.InputSpec(min_ndim=2, axes={-1: d})
        self.kernel = self.add_weight(
            shape=(max(d, self.units),),
            name="kernel",
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(self.units,),
                name="bias",
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )

    def call(self, inputs):
        dtype = self.compute_dtype
        kernel = self.kernel
        z = transforms.pad_to(ops.cast(inputs, dtype), kernel.shape[0])
        y = transforms.circulant_matmul(z, ops.cast(kernel, dtype))
        y = y[..., : self.units]
        if self.use_bias:
            y = y + ops.cast(self.bias, dtype)
        return self.activation(y)

    def get_config(self):
        config = super().get_config()
        ser = keras.saving.serialize_keras_object
        config.update(
            {
                "units": self.units,
                "activation": keras.activations.serialize(self.activation),
                "use_bias": self.use_bias,
                "kernel_initializer": ser(self.kernel_initializer),
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
