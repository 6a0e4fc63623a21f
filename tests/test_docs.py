"""The code in README.md and docs/*.md runs, and its commands exist.

* Every ```python block runs in a fresh namespace, in a fresh temporary
  working directory, in a separate Python process (so nothing it does,
  e.g. registering a layer or the runner's op determinism, reaches this
  test process). The fast blocks share one process (Keras is imported
  once); a block preceded by ``<!-- docs-test: slow -->`` runs in its own
  process under ``@pytest.mark.slow``; ``<!-- docs-test: skip REASON -->``
  skips it. Blocks assert their own results, so a block whose numbers or
  shapes drift from the text fails here.
* Every ``reluplug-bench`` command in a ```bash block, or in inline code,
  names a subcommand and options that ``reluplug-bench SUB --help`` lists.
"""

import json
import os
import pathlib
import re
import subprocess
import sys
import textwrap

import pytest

from reluplug.bench import cli

ROOT = pathlib.Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
_FENCE = re.compile(r"^```(\w*)\s*$")
_MARK = re.compile(r"^<!--\s*docs-test:\s*(slow|skip)\b\s*(.*?)\s*-->$")


def _blocks(path, language):
    """``(first line number, code, mark, reason)`` of each fenced block."""
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks, i = [], 0
    while i < len(lines):
        match = _FENCE.match(lines[i])
        if not match or not match.group(1):
            i += 1
            continue
        start, kind = i, match.group(1)
        i += 1
        body = []
        while i < len(lines) and lines[i].strip() != "```":
            body.append(lines[i])
            i += 1
        i += 1
        if kind != language:
            continue
        before = [line.strip() for line in lines[:start] if line.strip()]
        mark = _MARK.match(before[-1]) if before else None
        blocks.append(
            (
                start + 1,
                "\n".join(body) + "\n",
                mark.group(1) if mark else "fast",
                mark.group(2) if mark else "",
            )
        )
    return blocks


def _python_cases():
    fast, slow = [], []
    for page in PAGES:
        for line, code, mark, reason in _blocks(page, "python"):
            name = f"{page.relative_to(ROOT)}:{line}"
            if mark == "skip":
                fast.append(
                    pytest.param(
                        name,
                        code,
                        id=name,
                        marks=pytest.mark.skip(
                            reason=reason or "marked docs-test: skip"
                        ),
                    )
                )
            elif mark == "slow":
                slow.append(pytest.param(name, code, id=name))
            else:
                fast.append(pytest.param(name, code, id=name))
    return fast, slow


FAST, SLOW = _python_cases()

# Runs each block of a JSON list in a fresh namespace and a fresh working
# directory; writes {name: traceback or None} as JSON.
_WORKER = textwrap.dedent(
    """
    import json, os, sys, traceback
    cases, out = json.load(open(sys.argv[1])), sys.argv[2]
    results = {}
    for case in cases:
        os.makedirs(case["cwd"], exist_ok=True)
        os.chdir(case["cwd"])
        print(f"== {case['name']}", flush=True)
        try:
            exec(compile(case["code"], case["name"], "exec"),
                 {"__name__": "__main__"})
            results[case["name"]] = None
        except BaseException:
            results[case["name"]] = traceback.format_exc()
        if "keras" in sys.modules:
            sys.modules["keras"].backend.clear_session(free_memory=False)
        if "matplotlib.pyplot" in sys.modules:
            sys.modules["matplotlib.pyplot"].close("all")
        with open(out, "w") as f:
            json.dump(results, f)
    """
)


def _run_worker(cases, folder, timeout):
    """Runs ``cases`` in one fresh process; returns (results, log)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "cases.json").write_text(json.dumps(cases))
    out = folder / "results.json"
    env = dict(os.environ, MPLBACKEND="Agg", TF_CPP_MIN_LOG_LEVEL="3")
    proc = subprocess.run(
        [sys.executable, "-c", _WORKER, str(folder / "cases.json"), str(out)],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    results = json.loads(out.read_text()) if out.exists() else {}
    return results, proc.stdout[-4000:] + proc.stderr[-4000:]


@pytest.fixture(scope="module")
def fast_results(tmp_path_factory):
    """Every fast block, run once in one worker process."""
    base = tmp_path_factory.mktemp("docs")
    cases = [
        {"name": p.values[0], "code": p.values[1], "cwd": str(base / str(i))}
        for i, p in enumerate(FAST)
        if not p.marks
    ]
    return _run_worker(cases, base, timeout=900)


def test_pages_have_python_blocks():
    names = [p.values[0] for p in FAST + SLOW]
    assert any(n.startswith("README.md:") for n in names)
    assert len(names) >= 10, names


@pytest.mark.parametrize(("name", "code"), FAST)
def test_python_block(name, code, fast_results):
    results, log = fast_results
    assert name in results, f"{name} did not run (worker died?):\n{log}"
    assert results[name] is None, results[name]


@pytest.mark.slow
@pytest.mark.parametrize(("name", "code"), SLOW)
def test_python_block_slow(name, code, tmp_path):
    case = {"name": name, "code": code, "cwd": str(tmp_path / "cwd")}
    results, log = _run_worker([case], tmp_path, timeout=1800)
    assert name in results, f"{name} did not run (worker died?):\n{log}"
    assert results[name] is None, results[name]


# ------------------------------------------------------- reluplug-bench usage


def _bench_commands():
    """``(page:line, argv after the program)`` of every documented call."""
    found = []
    program = re.compile(
        r"(?:reluplug-bench|python[\d.]*\s+-m\s+reluplug\.bench)"
    )
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        for line, code, _, _ in _blocks(page, "bash"):
            for k, row in enumerate(code.splitlines()):
                row = row.split("#", 1)[0]
                for match in program.finditer(row):
                    argv = row[match.end() :].split("&&")[0].split()
                    found.append(
                        (f"{page.relative_to(ROOT)}:{line + k + 1}", argv)
                    )
        for match in re.finditer(r"`reluplug-bench ([^`]+)`", text):
            line = text.count("\n", 0, match.start()) + 1
            found.append(
                (f"{page.relative_to(ROOT)}:{line}", match.group(1).split())
            )
    return found


def _help(argv, capsys):
    with pytest.raises(SystemExit):
        cli.main([*argv, "--help"])
    return capsys.readouterr().out


def test_documented_commands_exist(capsys):
    commands = _bench_commands()
    assert len(commands) >= 15, commands
    top = _help([], capsys)
    subcommands = set(re.search(r"\{([\w,]+)\}", top).group(1).split(","))
    helps = {sub: _help([sub], capsys) for sub in subcommands}
    for where, argv in commands:
        assert argv and argv[0] in subcommands, (where, argv, subcommands)
        options = set(re.findall(r"(?<![\w-])--[a-z][\w-]*", helps[argv[0]]))
        for word in argv[1:]:
            if word.startswith("--"):
                assert word.split("=")[0] in options, (where, word, options)
