"""Built-in benchmark tasks: one module per task, plus the registry."""

from reluplug.bench.tasks.base import Param
from reluplug.bench.tasks.base import Splits
from reluplug.bench.tasks.base import Task
from reluplug.bench.tasks.registry import get
from reluplug.bench.tasks.registry import names
from reluplug.bench.tasks.registry import register

__all__ = ["Param", "Splits", "Task", "get", "names", "register"]
