"""Task name -> ``Task``: ``get()``, ``names()``, ``register()``."""

from reluplug._validation import did_you_mean
from reluplug.bench.tasks import base
from reluplug.bench.tasks import cifar10
from reluplug.bench.tasks import deep_mlp
from reluplug.bench.tasks import digits_cnn
from reluplug.bench.tasks import digits_mlp
from reluplug.bench.tasks import fashion_mnist
from reluplug.bench.tasks import mnist
from reluplug.bench.tasks import mnist1d_mlp
from reluplug.bench.tasks import mnist5k_cnn
from reluplug.bench.tasks import mnist5k_mlp
from reluplug.bench.tasks import regression
from reluplug.bench.tasks import spirals
from reluplug.bench.tasks import user

_TASKS = {
    module.TASK.name: module.TASK
    for module in (
        digits_mlp,
        digits_cnn,
        mnist5k_mlp,
        mnist5k_cnn,
        mnist1d_mlp,
        spirals,
        deep_mlp,
        regression,
        mnist,
        fashion_mnist,
        cifar10,
    )
}

OFFLINE = (
    "digits_mlp",
    "digits_cnn",
    "mnist5k_mlp",
    "mnist5k_cnn",
    "mnist1d_mlp",
    "spirals",
    "deep_mlp",
    "regression",
)


def names():
    """Registered task names, in registration order."""
    return list(_TASKS)


def get(name):
    """The ``Task`` called ``name``, or named by ``"package.module:object"``.

    Raises:
        ValueError: unknown name (the message lists close matches and all
            names), or an import path that does not name a ``Task``.
    """
    if name not in _TASKS and user.is_import_path(str(name)):
        task = user.import_object(name)
        if not isinstance(task, base.Task):
            raise ValueError(
                f"{name!r} must name a reluplug.bench.tasks.base.Task. "
                f"Received: {type(task).__name__}"
            )
        return task
    try:
        return _TASKS[name]
    except KeyError:
        hint = did_you_mean(name, names(), n=3) or "."
        raise ValueError(
            f"Unknown task {name!r}{hint} Available: {names()}."
        ) from None


def register(task, *, override=False):
    """Adds a ``Task`` (e.g. from a plugin) to the registry; returns it."""
    if task.name in _TASKS and not override:
        raise ValueError(
            f"Task {task.name!r} is already registered; pass override=True."
        )
    _TASKS[task.name] = task
    return task
