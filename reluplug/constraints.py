"""Weight constraints used by the learnable layers."""

import keras
from keras import ops

from reluplug._validation import check_number


@keras.saving.register_keras_serializable(package="reluplug")
class MinValue(keras.constraints.Constraint):
    """Clips a weight from below: ``w <- max(w, min_value)``.

    Trottier et al. (2017) keep PELU's ``alpha`` and ``beta`` positive this
    way, clipping to 0.1 after every update.

    Args:
        min_value: float, the smallest allowed value. Defaults to `0.1`.
    """

    def __init__(self, min_value=0.1):
        self.min_value = check_number("MinValue", "min_value", min_value)

    def __call__(self, w):
        return ops.maximum(w, ops.cast(self.min_value, w.dtype))

    def get_config(self):
        return {"min_value": self.min_value}
