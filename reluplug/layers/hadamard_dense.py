"""Adaptive Fastfood: a Dense replacement from Walsh-Hadamard transforms."""

import keras
import numpy as np
from keras import ops

from reluplug import transforms
from reluplug._validation import is_integer
from reluplug.layers._structured import DenseLike
from reluplug.layers._structured import check_seed


@keras.saving.register_keras_serializable(package="reluplug")
class HadamardDense(DenseLike):
    """A drop-in for `Dense` with O(n) weights and O(n log n) time.

    The dense matrix is replaced by fixed fast transforms (Walsh-Hadamard,
    a permutation) between learnable diagonal scalings; a ReLU between such
    layers switches which fixed filters pass ("Adaptive Fastfood").

    Formula:
        `y = activation(pad(x) @ V^T [:, :units] + bias)` with
        `V = V_depth ... V_1`, `V_k = S_k H G_k P_k H B_k`, where `pad`
        zero-pads the `d` features to `n`, the next power of two
        `>= max(d, units)`; `H = H_n / sqrt(n)` is the orthonormal
        Walsh-Hadamard matrix; `B_k`, `G_k`, `S_k` are learnable diagonals
        (`b_diag[k]`, `g_diag[k]`, `s_diag[k]`); `P_k` is a fixed random
        permutation drawn from `seed` (`(P z)[i] = z[perm_k[i]]`).

    Derivative:
        Linear in `x` and in each diagonal. For one stack `u = S H G P H B z`
        and upstream gradient `g`: `dL/dz = B H P^T G H S g` (`H` is
        symmetric), `dL/dS = g * (H G P H B z)`, `dL/dG = (H S g) * (P H B
        z)`, `dL/dB = (H P^T G H S g) * z`. Every factor is a diagonal, a
        permutation or a Walsh-Hadamard transform, so the backward pass is
        O(n log n) as well.

    Initial values: `B` random signs, `G` standard normal (both from
    `seed`; `kernel_initializer` replaces the normal draw for `G`), `S`
    ones. Then `E ||V x||^2 = ||x||^2` and each output has variance
    `||x||^2 / n`, like Glorot initialisation of a square `Dense`.

    Example:

    >>> import keras
    >>> import numpy as np
    >>> from reluplug import layers
    >>> layer = layers.HadamardDense(8, activation="relu", seed=0)
    >>> y = layer(np.ones((2, 784), "float32"))
    >>> tuple(y.shape), layer.count_params()  # Dense: 784 * 8 + 8 = 6280
    ((2, 8), 3080)

    Args:
        units: int >= 1, the number of outputs.
        activation: as in `Dense`. Defaults to `None` (linear).
        use_bias: bool. Defaults to `True`.
        kernel_initializer: optional initializer of `G`. Defaults to `None`:
            standard normal from `seed`.
        bias_initializer: as in `Dense`. Defaults to `"zeros"`.
        kernel_regularizer: optional regularizer, applied to each of `B`,
            `G` and `S`.
        bias_regularizer: as in `Dense`.
        activity_regularizer: as in `Dense`.
        kernel_constraint: optional constraint, applied to `B`, `G`, `S`.
        bias_constraint: as in `Dense`.
        depth: int >= 1, the number of stacked `V_k`. Defaults to `1`.
        seed: optional int >= 0 fixing the permutations and the initial
            signs and normals; `None` draws one at construction (recorded
            in `get_config()`). Defaults to `None`.

    Reference:
        Yang, Moczulski, Denil, de Freitas, Smola, Song & Wang, 2015, "Deep
        Fried Convnets", ICCV. https://arxiv.org/abs/1412.7149
        Le, Sarlos & Smola, 2013, "Fastfood", ICML.
    """

    def __init__(
        self,
        units,
        activation=None,
        use_bias=True,
        kernel_initializer=None,
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        depth=1,
        seed=None,
        **kwargs,
    ):
        super().__init__(
            units,
            activation,
            use_bias,
            kernel_initializer,
            bias_initializer,
            kernel_regularizer,
            bias_regularizer,
            activity_regularizer,
            kernel_constraint,
            bias_constraint,
            **kwargs,
        )
        if not is_integer(depth) or depth < 1:
            raise ValueError(
                "HadamardDense: argument `depth` must be an int >= 1. "
                f"Received: depth={depth!r}"
            )
        self.depth = int(depth)
        self.seed = check_seed("HadamardDense", seed)

    def build(self, input_shape):
        d = self.build_input(input_shape)
        n = transforms.next_power_of_two(max(d, self.units))
        self.transform_size = n
        rng = np.random.default_rng([self.seed, 3])
        signs = np.stack(
            [
                transforms.random_signs(n, self.seed + k)
                for k in range(self.depth)
            ]
        )
        normals = rng.standard_normal((self.depth, n))
        self.perms = np.stack(
            [
                transforms.random_permutation(n, self.seed + k)
                for k in range(self.depth)
            ]
        )
        init_g = self.kernel_initializer or _array_init(normals)
        for name, init in (
            ("b_diag", _array_init(signs)),
            ("g_diag", init_g),
            ("s_diag", "ones"),
        ):
            weight = self.add_weight(
                shape=(self.depth, n),
                name=name,
                initializer=init,
                regularizer=self.kernel_regularizer,
                constraint=self.kernel_constraint,
            )
            setattr(self, name, weight)
        self.build_bias()

    def call(self, inputs):
        dtype = self.compute_dtype
        z = transforms.pad_to(ops.cast(inputs, dtype), self.transform_size)
        b, g, s = (
            ops.cast(w, dtype) for w in (self.b_diag, self.g_diag, self.s_diag)
        )
        for k in range(self.depth):
            z = transforms.walsh_hadamard(z * b[k])
            z = ops.take(z, self.perms[k], axis=-1) * g[k]
            z = transforms.walsh_hadamard(z) * s[k]
        return self.finish(z)

    def get_config(self):
        config = super().get_config()
        config.update({"depth": self.depth, "seed": self.seed})
        return config


def _array_init(values):
    """An initializer returning the fixed array ``values``."""

    def init(shape, dtype=None):
        return ops.cast(np.reshape(values, shape), dtype)

    return init
