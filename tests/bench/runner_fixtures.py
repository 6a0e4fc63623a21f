"""A tiny suite for the runner tests: 4 trials that train in a second.

Suites of other tests are ``tiny_with(...)`` edits of it, so that what a
test changes stands out.
"""

import os
import textwrap

from reluplug.bench.engine import progress

TINY = """\
version = 1
name = "tiny"
seeds = [0, 1]
baseline = "relu"

[training]
epochs = 2
batch_size = 32

[[tasks]]
name = "spirals"
params = {n_samples = 120, hidden = 8, layers = 2}

[[activations]]
name = "relu"

[[activations]]
name = "leaky_relu"
params = {negative_slope = 0.2}
label = "lrelu"
"""


def write_suite(folder, text=TINY, name="tiny.toml"):
    """Writes suite text (dedented) to ``folder/name``; returns the path."""
    path = os.path.join(folder, name)
    with open(path, "w", encoding="utf-8") as f:
        f.write(textwrap.dedent(text))
    return path


def tiny_with(*edits, text=TINY):
    """``text`` (``TINY`` by default) with each ``(old, new)`` edit made in
    turn. Each ``old`` must occur exactly once, so that an edit gone stale
    fails instead of leaving the suite as it was."""
    for old, new in edits:
        assert text.count(old) == 1, (old, text)
        text = text.replace(old, new)
    return text


class Lines:
    """A run reporter that keeps the lines the CLI would print."""

    def __init__(self):
        self.lines = []

    def start(self, n_total, n_pending, n_skipped):
        pass

    def trial(self, spec, record):
        self.lines.append(progress.trial_line(record))

    def retry(self, spec, error, attempt, retries):
        self.lines.append(progress.retry_line(spec, error, attempt, retries))

    def stop(self):
        pass


def run_jax_cases(script, timeout):
    """Runs a cases script (``tests/bench/engine/*_cases.py``) in a
    JAX-backend subprocess and returns the JSON it prints."""
    import json
    import subprocess
    import sys

    env = dict(os.environ, KERAS_BACKEND="jax", TF_CPP_MIN_LOG_LEVEL="3")
    out = subprocess.run(
        [sys.executable, script],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout)
