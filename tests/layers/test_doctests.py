"""The ``Example:`` of every layer module (and the registry) runs as a
doctest, so the documented outputs are what the code returns."""

import doctest
import importlib

import pytest

from reluplug import layers

# Every public layer's module (so a new layer is covered without editing
# this list), plus the registry and the transforms.
MODULES = sorted(
    {getattr(layers, name).__module__ for name in layers.__all__}
) + ["reluplug.registry", "reluplug.transforms"]


@pytest.mark.parametrize("module_name", MODULES)
def test_docstring_examples(module_name):
    module = importlib.import_module(module_name)
    result = doctest.testmod(
        module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    )
    assert result.attempted > 0, f"{module_name} has no example"
    assert result.failed == 0, f"{module_name}: see the doctest output above"
