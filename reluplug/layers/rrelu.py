"""Randomized leaky ReLU."""

import keras

from reluplug import activations
from reluplug._validation import check_number
from reluplug._validation import is_integer
from reluplug.layers._contract import build_at_init


@keras.saving.register_keras_serializable(package="reluplug")
class RReLU(keras.layers.Layer):
    """Randomized leaky ReLU: a random negative slope while training.

    The random slope acts as a regulariser during training; at inference the
    layer is a leaky ReLU with the mean slope.

    Formula:
        training: `f(x) = x` if `x >= 0`, `f(x) = a * x` if `x < 0`, with a
        fresh `a ~ U(lower, upper)` per element per call;
        inference: `a = (lower + upper) / 2`.

    Derivative:
        `f'(x) = 1` for `x > 0`, `a` for `x < 0`.

    Example:

    >>> import keras
    >>> import numpy as np
    >>> from reluplug import layers
    >>> layer = layers.RReLU(lower=0.1, upper=0.3, seed=0)
    >>> y = layer(np.array([[-2.0, 3.0]]))
    >>> np.round(keras.ops.convert_to_numpy(y).astype("float64"), 6).tolist()
    [[-0.4, 3.0]]

    Args:
        lower: float, `0 <= lower <= upper`; lower bound of the slope.
            Defaults to `1/8` (Xu et al.; also PyTorch).
        upper: float, finite, `>= lower`; upper bound of the slope.
            Defaults to `1/3`.
        seed: optional int seeding the slopes (through a
            `keras.random.SeedGenerator`). Defaults to `None`.

    Reference:
        Xu et al., 2015, "Empirical Evaluation of Rectified Activations in
        Convolutional Network". https://arxiv.org/abs/1505.00853
    """

    negative_side = "leaky"

    def __init__(self, lower=1.0 / 8.0, upper=1.0 / 3.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.lower = check_number("RReLU", "lower", lower, low=0)
        self.upper = check_number("RReLU", "upper", upper, low=0)
        if self.lower > self.upper:
            raise ValueError(
                "RReLU: argument `lower` must be <= `upper`. Received: "
                f"lower={lower!r}, upper={upper!r}"
            )
        if seed is not None and not is_integer(seed):
            raise ValueError(
                f"RReLU: argument `seed` must be an int or None. Received: "
                f"seed={seed!r}"
            )
        self.seed = None if seed is None else int(seed)
        self.seed_generator = keras.random.SeedGenerator(self.seed)
        if self.upper == 0:  # Slope 0 on the negative side: a plain ReLU.
            self.negative_side = "zero"
        self.supports_masking = True
        build_at_init(self, RReLU)

    def call(self, inputs, training=None):
        return activations.rrelu(
            inputs,
            self.lower,
            self.upper,
            training=bool(training),
            seed=self.seed_generator,
        )

    def get_config(self):
        config = super().get_config()
        config.update(
            {"lower": self.lower, "upper": self.upper, "seed": self.seed}
        )
        return config

    def compute_output_shape(self, input_shape):
        return input_shape
