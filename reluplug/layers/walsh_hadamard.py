"""The orthonormal Walsh-Hadamard transform as a weightless layer."""

import keras
from keras import ops

from reluplug import transforms
from reluplug.layers._contract import build_at_init
from reluplug.layers._structured import check_seed
from reluplug.layers._structured import check_units
from reluplug.layers._structured import input_dim


@keras.saving.register_keras_serializable(package="reluplug")
class WalshHadamard(keras.layers.Layer):
    """Walsh-Hadamard transform of the last axis: a fixed fast filter bank.

    Every output is a +-1 weighted sum of all inputs (a fixed orthogonal
    "filter bank" computed in O(n log n)); fixed random sign flips first
    make it a random rotation, as in Fastfood and structured random
    features.

    Formula:
        `y = (pad(x) * D) @ H_n / sqrt(n)`, truncated to the first `units`
        outputs, where `pad` zero-pads the `d` input features to `n`, the
        next power of two `>= max(d, units)`, `H_n` is Sylvester's Hadamard
        matrix (`reluplug.transforms.walsh_hadamard`) and `D` is a fixed
        vector of random signs drawn from `seed` (all ones when
        `random_signs=False`). With `normalize=False` there is no
        `1 / sqrt(n)`.

    Derivative:
        Linear: `dL/dx = (walsh_hadamard(pad_units(g)) * D)[:d]` for upstream
        gradient `g`. The layer has no weights.

    Example:

    >>> import keras
    >>> import numpy as np
    >>> from reluplug import layers
    >>> layer = layers.WalshHadamard()
    >>> y = layer(np.array([[1.0, 1.0, 1.0]]))  # padded to 4 features
    >>> keras.ops.convert_to_numpy(y).tolist()
    [[1.5, 0.5, 0.5, -0.5]]

    Args:
        units: optional int >= 1; keep the first `units` outputs (the input
            is padded to at least `units` features first). Defaults to
            `None`: all `n` outputs.
        random_signs: bool; flip the sign of each (padded) input feature
            by a fixed random sign. Defaults to `False`.
        seed: optional int >= 0 for the signs; `None` draws one at
            construction (recorded in `get_config()`). Only used with
            `random_signs=True`. Defaults to `None`.
        normalize: bool; divide by `sqrt(n)` so the transform is orthonormal
            (and its own inverse when `units` is not set). Defaults to
            `True`.

    Reference:
        Le, Sarlos & Smola, 2013, "Fastfood - Approximating Kernel
        Expansions in Loglinear Time", ICML. https://arxiv.org/abs/1408.3060
    """

    def __init__(
        self,
        units=None,
        random_signs=False,
        seed=None,
        normalize=True,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.units = check_units("WalshHadamard", units, optional=True)
        for name, value in (
            ("random_signs", random_signs),
            ("normalize", normalize),
        ):
            if not isinstance(value, bool):
                raise ValueError(
                    f"WalshHadamard: argument `{name}` must be a bool. "
                    f"Received: {name}={value!r}"
                )
        self.random_signs = random_signs
        if random_signs or seed is not None:
            seed = check_seed("WalshHadamard", seed)
        self.seed = seed
        self.normalize = normalize
        build_at_init(self, WalshHadamard)  # no weights

    def _size(self, d):
        return transforms.next_power_of_two(max(d, self.units or 1))

    def call(self, inputs):
        n = self._size(input_dim("WalshHadamard", inputs.shape))
        z = transforms.pad_to(inputs, n)
        if self.random_signs:
            signs = transforms.random_signs(n, self.seed)
            z = z * ops.cast(signs, z.dtype)
        y = transforms.walsh_hadamard(z, normalize=self.normalize)
        return y if self.units is None else y[..., : self.units]

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "units": self.units,
                "random_signs": self.random_signs,
                "seed": self.seed,
                "normalize": self.normalize,
            }
        )
        return config

    def compute_output_shape(self, input_shape):
        d = input_dim("WalshHadamard", input_shape)
        units = self.units if self.units is not None else self._size(d)
        return tuple(input_shape[:-1]) + (units,)
