"""Ship the user's code and files named in a suite to Ray workers.

A worker node needs only ``pip install reluplug[bench]``: everything else a
suite names travels in the trial's Ray ``runtime_env``:

* **modules**: every import path (``"package.module:Name"``, for an
  activation, a task or any parameter) whose top-level module is not
  installed in site-packages (nor the standard library, nor reluplug) is
  shipped as a ``py_modules`` entry: the package folder, or the single
  ``.py`` file. A module found only in the driver's working directory (or
  on its ``PYTHONPATH``) is thereby importable on every worker.
* **files**: every string of a trial spec that names an existing file (a
  path with a folder part or an extension, relative to the suite file, the
  working directory, or absolute: ``.keras`` models, ``.npz`` data) is
  copied into a ``working_dir`` that Ray unpacks on each node. On the
  worker the spec's strings are replaced by the local copies' paths before
  the trial runs, and the record's strings are mapped back before it
  returns, so the record (and its ``trial_id``) is the one the driver would
  have written.

The scan is generic: it looks at every string of every trial spec, so task
kinds added later are shipped with no change here.
"""

import dataclasses
import importlib.util
import os
import re
import shutil
import site
import sys
import sysconfig

from reluplug.bench.tasks.user import file_sha256

IMPORT_PATH = re.compile(
    r"^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*:[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*$"
)
FILES_DIR = "reluplug_files"
_NOT_SHIPPED = ("reluplug",)


def strings(value):
    """Every string inside nested dicts/lists/tuples ``value`` (keys too)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from strings(key)
            yield from strings(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from strings(item)


def replace_strings(value, mapping, *, substrings=False):
    """``value`` with strings replaced through ``mapping`` (a new object).

    Args:
        value: nested dicts/lists of JSON-like values.
        mapping: ``{old: new}``.
        substrings: also replace occurrences inside longer strings (for
            messages and tracebacks); otherwise whole strings only.
    """
    if isinstance(value, str):
        if value in mapping:
            return mapping[value]
        if substrings:
            for old, new in mapping.items():
                value = value.replace(old, new)
        return value
    if isinstance(value, dict):
        return {
            k: replace_strings(v, mapping, substrings=substrings)
            for k, v in value.items()
        }
    if isinstance(value, (list, tuple)):
        items = [
            replace_strings(v, mapping, substrings=substrings) for v in value
        ]
        return type(value)(items) if isinstance(value, tuple) else items
    return value


def _installed_roots():
    paths = sysconfig.get_paths()
    roots = [paths[k] for k in ("stdlib", "platstdlib", "purelib", "platlib")]
    try:
        roots += site.getsitepackages()
    except AttributeError:  # virtualenv's old site module
        pass
    roots.append(site.getusersitepackages())
    return [os.path.realpath(r) for r in roots if r]


def _inside(path, roots):
    path = os.path.realpath(path)
    for root in roots:
        try:
            if os.path.commonpath([path, root]) == root:
                return True
        except ValueError:  # different drives
            continue
    return False


def module_paths(identifier):
    """Local paths to ship for an import path, or ``[]``.

    Args:
        identifier: ``"package.module:Name"``.

    Returns:
        The top-level package folder(s) or the ``.py`` file of a module that
        is importable here but not installed (not in site-packages, the
        standard library or reluplug itself); ``[]`` otherwise.
    """
    top = identifier.partition(":")[0].split(".")[0]
    if top in _NOT_SHIPPED or top in sys.builtin_module_names:
        return []
    try:
        spec = importlib.util.find_spec(top)
    except (ImportError, ValueError):
        return []
    if spec is None:
        return []
    roots = _installed_roots()
    if spec.submodule_search_locations:  # a package
        paths = [
            p
            for p in spec.submodule_search_locations
            if os.path.isdir(p) and not _inside(p, roots)
        ]
        return sorted(set(paths))
    origin = spec.origin or ""
    if origin.endswith(".py") and not _inside(origin, roots):
        return [origin]
    return []


def _looks_like_path(text):
    return os.sep in text or "/" in text or bool(os.path.splitext(text)[1])


def find_file(text, folders):
    """The absolute path of the file ``text`` names, or None.

    Args:
        text: a string from a spec.
        folders: folders to resolve a relative path against, in order.
    """
    if not text or "\n" in text or not _looks_like_path(text):
        return None
    if os.path.isabs(text):
        return text if os.path.isfile(text) else None
    for folder in folders:
        candidate = os.path.join(folder, text)
        if os.path.isfile(candidate):
            return os.path.abspath(candidate)
    return None


@dataclasses.dataclass(frozen=True)
class Shipment:
    """What the trials of a run need on a worker that this machine has.

    Attributes:
        py_modules: local module/package paths for ``runtime_env``.
        files: ``{string in the spec: absolute path here}``.
    """

    py_modules: tuple = ()
    files: tuple = ()  # ((string, path here, path in working_dir), ...)

    @property
    def worker_paths(self):
        """``{string in the spec: path relative to the working_dir}``."""
        return {text: rel for text, _, rel in self.files}

    def stage(self, folder):
        """Copies the files into ``folder`` (the future ``working_dir``).

        Returns:
            ``{string in the spec: path relative to folder}``.
        """
        for _, path, rel in self.files:
            target = os.path.join(folder, *rel.split("/"))
            os.makedirs(os.path.dirname(target), exist_ok=True)
            if not os.path.exists(target):
                shutil.copyfile(path, target)
        return self.worker_paths

    def runtime_env(self, folder=None):
        """The ``runtime_env`` entries (``py_modules``, ``working_dir``)."""
        env = {}
        if self.py_modules:
            env["py_modules"] = list(self.py_modules)
        if self.files:
            if folder is None:
                raise ValueError(
                    "`folder` is required when files are shipped. "
                    "Received: folder=None"
                )
            env["working_dir"] = folder
        return env


def plan(spec_dicts, folders=()):
    """The modules and files that ``spec_dicts`` name.

    Args:
        spec_dicts: ``TrialSpec.to_dict()`` of every trial to run.
        folders: folders relative file paths are resolved against (the
            suite file's folder, then the working directory).

    Returns:
        A ``Shipment``.
    """
    folders = list(folders) or [os.getcwd()]
    modules = set()
    files = {}
    seen = set()
    for spec in spec_dicts:
        for text in strings(spec):
            if text in seen:
                continue
            seen.add(text)
            if IMPORT_PATH.match(text):
                modules.update(module_paths(text))
                continue
            path = find_file(text, folders)
            if path is not None:
                digest = file_sha256(path)[:16]
                rel = "/".join((FILES_DIR, digest, os.path.basename(path)))
                files[text] = (text, path, rel)
    return Shipment(
        py_modules=tuple(sorted(modules)),
        files=tuple(files[k] for k in sorted(files)),
    )


def localize(spec_dict, worker_paths):
    """``spec_dict`` with shipped file strings -> paths on this worker.

    Args:
        spec_dict: the driver's spec dict.
        worker_paths: ``Shipment.worker_paths`` (relative to the current
            working directory, which Ray sets to the ``working_dir``).

    Returns:
        ``(local spec dict, {local path: original string})``.
    """
    local = {text: os.path.abspath(rel) for text, rel in worker_paths.items()}
    back = {path: text for text, path in local.items()}
    return replace_strings(spec_dict, local), back


def restore(record, back):
    """A worker record with local file paths mapped back (``localize``)."""
    if not back:
        return record
    return replace_strings(record, back, substrings=True)
