"""A Dense replacement whose matrix is circulant, applied with the FFT."""

import keras
from keras import ops

from reluplug import transforms
from reluplug.layers._structured import DenseLike


@keras.saving.register_keras_serializable(package="reluplug")
class CirculantDense(DenseLike):
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

    def build(self, input_shape):
        d = self.build_input(input_shape)
        self.kernel = self.add_weight(
            shape=(max(d, self.units),),
            name="kernel",
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.build_bias()

    def call(self, inputs):
        dtype = self.compute_dtype
        kernel = self.kernel
        z = transforms.pad_to(ops.cast(inputs, dtype), kernel.shape[0])
        return self.finish(
            transforms.circulant_matmul(z, ops.cast(kernel, dtype))
        )

    def get_config(self):
        return super().get_config()  # Dense's arguments, all of them
