"""``run_evidence``: every claim's trials and analyses, then the report.

Layout of the output folder::

    OUT/runs/<suite>/        one run folder per evidence suite (the
                             runner's: resumable, any executor);
                             ``<suite>-quick`` in the small mode
    OUT/claims/<n>-<name>/   each claim's tables as CSV (the report's input)
    OUT/report.html, summary.md, verdicts.csv, figures/

Trial-based claims re-read their run folders every time (cheap); the
analyses that train or time something keep their CSV files and are skipped
on a resume unless the mode (``quick`` or not) changed.
"""

import dataclasses
import json
import os
import time
import traceback
from pathlib import Path

from reluplug.bench.evidence import CLAIMS
from reluplug.bench.evidence._common import claim_folder

MANIFEST = "evidence.json"


@dataclasses.dataclass(frozen=True)
class Context:
    """What a claim's ``measure`` gets.

    Attributes:
        run_dirs: suite name -> run folder (trial-based claims).
        quick: the small mode (tests, CI).
        folder: the claim's output folder (for a cache of its own).
    """

    run_dirs: dict
    quick: bool
    folder: Path


def write_tables(folder, tables):
    """Writes each DataFrame of ``tables`` as ``<name>.csv`` (atomic)."""
    from reluplug.bench.store import atomic_write

    folder.mkdir(parents=True, exist_ok=True)
    for name, df in tables.items():
        atomic_write(str(folder / f"{name}.csv"), df.to_csv(index=False))


def _cached(folder, quick):
    try:
        meta = json.loads((folder / "meta.json").read_text())
    except (OSError, ValueError):
        return False
    return meta.get("quick") == quick and not meta.get("error")


def run_evidence(
    out,
    *,
    quick=False,
    executor="sequential",
    workers=None,
    overwrite=False,
    reporter=None,
    log=print,
    claims=None,
    engine="fit",
):
    """Runs (or resumes) every claim into ``out`` and writes the report.

    Args:
        out: output folder.
        quick: small mode: fewer seeds, epochs and swept values (for tests).
        executor: ``"sequential"``, ``"processes"`` or ``"ray"``.
        workers: processes for the parallel executors.
        overwrite: start every evidence run folder afresh.
        reporter: progress reporter passed to ``engine.run_suite``.
        log: ``log(str)`` for one line per step.
        claims: claim numbers to run (default: all); the report always
            covers every claim, saying which have no data.
        engine: ``"fit"`` or ``"population"``, passed to
            ``engine.run_suite`` for the trial-based claims (same records
            either way); suites it cannot train use ``"fit"``
            (``suite_engine``).

    Returns:
        ``(written, errors)``: the report's files and ``{claim number:
        error text}`` for claims whose measurement failed.

    Raises:
        ConfigError: bad executor (before any training).
    """
    from reluplug.bench.engine import executors
    from reluplug.bench.engine import run_suite
    from reluplug.bench.evidence import report
    from reluplug.bench.store import atomic_write
    from reluplug.bench.suite import config

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    made = {}  # engine -> executor, when ``executor`` is a name

    def executor_for(engine_name):
        if not isinstance(executor, str):
            return executor
        if engine_name not in made:
            made[engine_name] = executors.make_executor(
                executor, workers, engine=engine_name
            )
        return made[engine_name]

    executor_for(engine)  # a bad executor or engine fails before training
    errors = {}
    timings = {}
    for module in CLAIMS:
        if claims and module.NUMBER not in claims:
            continue
        folder = claim_folder(out, module)
        suites = module.suites(quick) if hasattr(module, "suites") else {}
        if not suites and _cached(folder, quick):
            log(f"claim {module.NUMBER} ({module.NAME}): done already")
            continue
        t = time.perf_counter()
        log(f"claim {module.NUMBER} ({module.NAME}): running")
        try:
            run_dirs = {}
            for name, mapping in suites.items():
                suite = config.from_mapping(
                    mapping, source=f"<evidence suite {name}>"
                )
                run_dir = out / "runs" / (f"{name}-quick" if quick else name)
                run_suite(
                    suite,
                    run_dir,
                    overwrite=overwrite,
                    executor=executor_for(suite_engine(suite, engine)),
                    reporter=reporter,
                )
                run_dirs[name] = run_dir
            tables = module.measure(Context(run_dirs, quick, folder))
            write_tables(folder, tables)
            meta = {"quick": quick, "error": None}
        except Exception as error:  # one claim's failure is reported
            text = "".join(
                traceback.format_exception(
                    type(error), error, error.__traceback__
                )
            )
            errors[module.NUMBER] = f"{type(error).__name__}: {error}"
            meta = {
                "quick": quick,
                "error": errors[module.NUMBER],
                "traceback": text,
            }
            folder.mkdir(parents=True, exist_ok=True)
            log(
                f"claim {module.NUMBER} ({module.NAME}): "
                f"{errors[module.NUMBER]}"
            )
        timings[module.NUMBER] = time.perf_counter() - t
        meta["seconds"] = timings[module.NUMBER]
        atomic_write(str(folder / "meta.json"), json.dumps(meta, indent=1))
    for made_executor in made.values():
        made_executor.close()
    manifest = {"quick": quick, "seconds": timings, "errors": errors}
    atomic_write(str(out / MANIFEST), json.dumps(manifest, indent=1))
    written = report.write_evidence_report(out)
    return written, errors


def suite_engine(suite, engine):
    """The engine for one evidence suite: ``engine``, except ``"fit"`` for
    a suite the population engine does not train (``[monitors] revive``,
    claim 5's remedy, re-initialises weights during training)."""
    if engine == "population" and suite.monitors.revive:
        return "fit"
    return engine


def measured_seconds(out):
    """Seconds each claim took in its last measurement (from meta.json)."""
    out = Path(out)
    seconds = {}
    for module in CLAIMS:
        path = claim_folder(out, module) / "meta.json"
        if os.path.exists(path):
            seconds[module.NUMBER] = json.loads(path.read_text()).get("seconds")
    return seconds
