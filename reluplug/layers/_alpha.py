"""The weightless layers of one saturation scale ``alpha > 0`` (ELU, CELU)."""

import keras

from reluplug._validation import check_number
from reluplug.layers._contract import build_at_init


class AlphaActivation(keras.layers.Layer):
    """Validation, config and shape of a layer whose one argument is `alpha`.

    A subclass (one public layer per module) adds its docstring and a
    one-line `call` that delegates to `reluplug.activations`.

    Args:
        alpha: float, finite, `> 0`; the negative saturation value.
    """

    negative_side = "saturating"

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        self.alpha = check_number(
            type(self).__name__, "alpha", alpha, low=0, low_open=True
        )
        self.supports_masking = True
        build_at_init(self, AlphaActivation)

    def get_config(self):
        config = super().get_config()
        config.update({"alpha": self.alpha})
        return config

    def compute_output_shape(self, input_shape):
        return input_shape
