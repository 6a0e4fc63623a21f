"""Per-measurement records kept by the monitors, with a pandas export."""

import math


class Records:
    """Mixin: `epochs`, `history` (key -> list of floats), `to_frame()`.

    `epochs[i]` is the epoch after which `history[key][i]` was measured;
    `0` is the measurement when training starts (before any step). A key
    that was not measured at some point holds `nan` there.
    """

    def _reset_records(self):
        self.epochs = []
        self.history = {}

    def _record(self, epoch, values):
        self.epochs.append(epoch)
        count = len(self.epochs)
        for key, value in values.items():
            self.history.setdefault(key, [math.nan] * (count - 1))
            self.history[key].append(float(value))
        for column in self.history.values():
            if len(column) < count:
                column.append(math.nan)

    @property
    def initial(self):
        """The values measured when training started (epoch 0), a dict."""
        if not self.epochs or self.epochs[0] != 0:
            return {}
        return {key: column[0] for key, column in self.history.items()}

    def to_frame(self):
        """Returns the records as a pandas DataFrame, one row per epoch.

        The index is `epoch` (0 = when training started), the columns are the
        keys also published into `logs` (`dead_fraction/<layer>`, ...).

        Raises:
            ImportError: if pandas is not installed.
        """
        try:
            import pandas as pd
        except ImportError as error:
            raise ImportError(
                f"{type(self).__name__}.to_frame() needs pandas, which is not "
                "installed. Install it with `pip install pandas` (or "
                "`pip install reluplug[bench]`), or read the plain dict "
                "`.history` instead."
            ) from error
        index = pd.Index(self.epochs, name="epoch")
        return pd.DataFrame(self.history, index=index)
