"""Imports Keras, or says which extra installs the backend it needs.

reluplug needs ``keras`` + ``numpy`` and one Keras backend; the backends
are extras (``reluplug[tensorflow]``, ``reluplug[jax]``,
``reluplug[torch]``), so a fresh install may have none. Keras then fails
deep inside its own import; this turns that into an error that names the
backend Keras looked for and the extra that installs it.
"""

import json
import os

EXTRAS = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}
_MODULES = {"tensorflow": "tensorflow", "jax": "jax", "jaxlib": "jax"}
_MODULES["torch"] = "torch"


def configured_backend():
    """The backend Keras will load: ``KERAS_BACKEND``, keras.json, or
    Keras' default ``"tensorflow"``; read without importing Keras."""
    if os.environ.get("KERAS_BACKEND"):
        return os.environ["KERAS_BACKEND"]
    home = os.environ.get("KERAS_HOME") or os.path.join(
        os.path.expanduser("~"), ".keras"
    )
    try:
        with open(os.path.join(home, "keras.json")) as file:
            return json.load(file).get("backend", "tensorflow")
    except (OSError, ValueError, AttributeError):
        return "tensorflow"


def missing_backend_message(backend, missing):
    """The message for a Keras import that failed on module ``missing``."""
    extra = EXTRAS.get(backend, "tensorflow")
    torch_note = (
        " (for the CPU-only wheel, first `pip install torch==2.13.0 "
        "--index-url https://download.pytorch.org/whl/cpu`)"
        if extra == "torch"
        else ""
    )
    return (
        f"reluplug needs a Keras backend, and Keras is set to use "
        f"{backend!r} (KERAS_BACKEND or keras.json), but the module "
        f"{missing!r} is not installed. Install the backend with its extra: "
        f'pip install "reluplug[{extra}]"{torch_note}; the extras are '
        f"{sorted(EXTRAS)}. Or set KERAS_BACKEND to a backend you have."
    )


def import_keras():
    """Returns the ``keras`` module; raises ``ImportError`` naming the extra
    to install when the configured backend is missing."""
    try:
        import keras
    except ModuleNotFoundError as error:
        root = (error.name or "").split(".")[0]
        if root not in _MODULES:
            raise
        backend = configured_backend()
        raise ImportError(missing_backend_message(backend, root)) from error
    return keras
