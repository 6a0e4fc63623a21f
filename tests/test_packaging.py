"""setup.cfg says what the code needs, and a missing backend is explained.

* ``install_requires`` is ``keras`` + ``numpy``; each backend is an extra.
* The ``torch`` extra admits no PyTorch newer than 2.13.0.
* ``python_requires`` covers what the code imports (``tomllib``: 3.11).
* The ``test`` extra holds every third-party module the tests and the
  package import (backends and Ray excepted: they are extras of their own,
  imported only on their backend or skipped).
* Importing reluplug with the configured backend missing raises an
  ``ImportError`` naming the extra (a subprocess hides the backend).
"""

import ast
import configparser
import os
import re
import subprocess
import sys
import textwrap
from importlib import metadata

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BACKENDS = {"tensorflow", "jax", "jaxlib", "torch"}


def _setup_cfg():
    parser = configparser.ConfigParser()
    parser.read(os.path.join(ROOT, "setup.cfg"))
    return parser


def _requirements(text):
    return [line.strip() for line in text.strip().splitlines() if line.strip()]


def _name(requirement):
    """The PEP 503 normalised project name (``tomli_w`` -> ``tomli-w``)."""
    name = re.split(r"[\[<>=!~; ]", requirement, maxsplit=1)[0]
    return re.sub(r"[-_.]+", "-", name).lower()


def test_install_requires_is_keras_and_numpy():
    options = _setup_cfg()["options"]
    names = {_name(r) for r in _requirements(options["install_requires"])}
    assert names == {"keras", "numpy"}


def test_every_backend_and_tool_is_an_extra():
    extras = _setup_cfg()["options.extras_require"]
    assert {"tensorflow", "jax", "torch", "bench", "ray", "test"} <= set(extras)
    for backend in ("tensorflow", "jax", "torch"):
        names = {_name(r) for r in _requirements(extras[backend])}
        assert names == {backend}, backend
    for extra in ("bench", "test"):
        names = {_name(r) for r in _requirements(extras[extra])}
        assert not names & BACKENDS, (extra, names & BACKENDS)


def test_torch_extra_admits_nothing_newer_than_2_13_0():
    from packaging.specifiers import SpecifierSet

    (torch,) = _requirements(_setup_cfg()["options.extras_require"]["torch"])
    spec = SpecifierSet(torch[len("torch") :])
    assert spec.contains("2.13.0") and spec.contains("2.13.0+cpu")
    for newer in ("2.13.1", "2.14.0", "3.0.0"):
        assert not spec.contains(newer), newer


def test_python_requires_covers_tomllib():
    from packaging.specifiers import SpecifierSet

    spec = SpecifierSet(_setup_cfg()["options"]["python_requires"])
    uses_tomllib = any(
        "import tomllib" in open(path).read() for path in _package_files()
    )
    assert uses_tomllib
    assert not spec.contains("3.10.12")
    assert spec.contains("3.11.0")


def _package_files():
    for top in ("reluplug", "tests"):
        for folder, _, files in os.walk(os.path.join(ROOT, top)):
            for name in files:
                if name.endswith(".py"):
                    yield os.path.join(folder, name)


def _imported_top_level_modules():
    found = set()
    for path in _package_files():
        tree = ast.parse(open(path).read())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                found.add(node.module.split(".")[0])
            elif (
                isinstance(node, ast.Call)
                and getattr(node.func, "attr", None) == "importorskip"
                and isinstance(node.args[0], ast.Constant)
            ):
                found.add(node.args[0].value.split(".")[0])
    return found


def test_test_extra_holds_what_the_tests_import():
    extras = _setup_cfg()["options.extras_require"]
    declared = {_name(r) for r in _requirements(extras["test"])}
    declared |= {_name(r) for r in _requirements(extras["bench"])}
    declared |= {"keras", "numpy"}  # install_requires
    distributions = metadata.packages_distributions()
    local = {
        name[:-3] if name.endswith(".py") else name
        for folder, _, names in os.walk(os.path.join(ROOT, "tests"))
        for name in names + [os.path.basename(folder)]
    }
    missing = {}
    for module in sorted(_imported_top_level_modules()):
        if module in sys.stdlib_module_names or module in local:
            continue
        if module in BACKENDS | {"reluplug", "ray"}:
            continue
        dists = {_name(d) for d in distributions.get(module, [])}
        if not dists:
            continue  # not installed here: a test that importorskips it
        if not dists & declared:
            missing[module] = sorted(dists)
    # The `test` extra must pull in everything (bench extras included).
    test_names = {_name(r) for r in _requirements(extras["test"])}
    bench_names = {_name(r) for r in _requirements(extras["bench"])}
    assert not missing, missing
    assert bench_names <= test_names, bench_names - test_names


HIDE_BACKENDS = textwrap.dedent(
    """
    import importlib.abc, sys

    class HideBackends(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path, target=None):
            if name.split(".")[0] in {"tensorflow", "jax", "jaxlib", "torch"}:
                raise ModuleNotFoundError(f"No module named {name!r}",
                                          name=name)

    sys.meta_path.insert(0, HideBackends())
    import reluplug  # loads its names on first use (PEP 562)
    from reluplug import layers
    """
)


@pytest.mark.parametrize("backend", ["tensorflow", "jax", "torch"])
def test_missing_backend_error_names_the_extra(backend):
    env = {**os.environ, "KERAS_BACKEND": backend}
    result = subprocess.run(
        [sys.executable, "-c", HIDE_BACKENDS],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("ImportError: reluplug needs a Keras backend")
    assert f'pip install "reluplug[{backend}]"' in last
    assert f"set to use {backend!r}" in last


LOAD_SAVED = """
import sys
{imports}
model = keras.models.load_model(sys.argv[1], safe_mode=True)
print(type(model.layers[1]).__module__, type(model.layers[1]).__name__)
print(float(model(keras.ops.ones((1, 4)))[0, 0]))
"""


@pytest.mark.slow
@pytest.mark.parametrize(
    "imports",
    ["import reluplug\nimport keras", "import keras\nimport reluplug"],
    ids=["reluplug-first", "keras-first"],
)
def test_plain_import_registers_layers_for_load_model(tmp_path, imports):
    # A fresh process that only does ``import reluplug`` (in either order
    # with ``import keras``) loads a saved model with reluplug layers, with
    # safe_mode and no custom_objects.
    import keras

    from reluplug import layers

    model = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(3), layers.PELU()]
    )
    path = str(tmp_path / "m.keras")
    model.save(path)
    expected = float(model(keras.ops.ones((1, 4)))[0, 0])
    result = subprocess.run(
        [sys.executable, "-c", LOAD_SAVED.format(imports=imports), path],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    module, name, value = result.stdout.split()
    assert (module, name) == ("reluplug.layers.pelu", "PELU")
    assert float(value) == pytest.approx(expected, rel=1e-6)


def test_report_import_still_loads_no_keras():
    code = (
        "import sys, reluplug.bench.report, reluplug.bench.store\n"
        "print(sorted(m for m in ('keras', 'tensorflow', 'jax', 'torch')"
        " if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "[]"
