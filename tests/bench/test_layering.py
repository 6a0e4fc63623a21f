"""The import graph of ``reluplug.bench``: the flow DESIGN.md draws.

Faces (``cli``, ``compare``) -> ``engine`` -> ``suite`` / ``tasks`` /
``store``; ``report`` reads the store. Every import counts, also the ones
inside functions (a lazy import is still a dependency).
"""

import ast
import pathlib

import pytest

import reluplug

ROOT = pathlib.Path(reluplug.__file__).parent
FACES = ("reluplug.bench.cli", "reluplug.bench.compare")
BELOW_FACES = (
    "reluplug.bench.engine",
    "reluplug.bench.store",
    "reluplug.bench.report",
    "reluplug.bench.suite",
    "reluplug.bench.tasks",
)


def _module_name(path):
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _graph():
    modules = {
        _module_name(p): p for p in ROOT.rglob("*.py") if "tests" not in p.parts
    }
    graph = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        targets = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module:
                for alias in node.names:
                    full = f"{node.module}.{alias.name}"
                    targets.add(full if full in modules else node.module)
        graph[name] = {t for t in targets if t in modules and t != name}
    return graph


def _cycles(graph):
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_no_import_circle_between_modules():
    graph = _graph()
    # A package's __init__ re-exports its modules; an edge into the package
    # is an edge into what it re-exports, not a circle of its own.
    flat = {
        v: {w for w in ws if not (ROOT.parent / w.replace(".", "/")).is_dir()}
        for v, ws in graph.items()
    }
    assert _cycles(flat) == []


@pytest.mark.parametrize("face", FACES)
def test_faces_are_not_imported_from_below(face):
    graph = _graph()
    offenders = sorted(
        v for v, ws in graph.items() if face in ws and v.startswith(BELOW_FACES)
    )
    assert offenders == []


def test_faces_do_not_import_each_other():
    graph = _graph()
    assert "reluplug.bench.compare" not in graph["reluplug.bench.cli"]
    assert "reluplug.bench.cli" not in graph["reluplug.bench.compare"]
