"""What an executor hands to a worker: one trial, or one cell of trials.

The executors (``engine.executors``) are orthogonal to the engines: with
the fit engine a job is one trial (``engine.fit.run_trial``); with the
population engine a job is a cell, the pending trials that differ only in
their seed (``engine.population.run_cell``). A job's ``payload`` is plain
data (it travels through a pipe or to a Ray task); ``run_payload`` runs it
in the worker and returns one record per spec, in the job's order.

The population engine needs the JAX backend, so its workers are started
with ``worker_env(engine)`` (``KERAS_BACKEND=jax``).
"""

import dataclasses

from reluplug.bench.suite.config import ConfigError

ENGINES = ("fit", "population")


def check_engine(engine):
    """``engine`` if it is one of ``ENGINES``, else ``ConfigError``."""
    if engine not in ENGINES:
        raise ConfigError(
            f"The value for `engine` must be one of {list(ENGINES)}, but "
            f"{engine!r} was passed."
        )
    return engine


def worker_env(engine):
    """Environment variables a worker process of ``engine`` needs."""
    return {"KERAS_BACKEND": "jax"} if engine == "population" else {}


@dataclasses.dataclass(frozen=True)
class Job:
    """One unit of work: its specs and what is sent to the worker."""

    specs: tuple
    payload: object

    @property
    def title(self):
        """``task/activation/seed`` of a trial; ``.../seeds a-b`` of a cell."""
        first = self.specs[0]
        if len(self.specs) == 1:
            return first.title
        seeds = [s.seed for s in self.specs]
        return (
            f"{first.task}/{first.activation}/seeds {min(seeds)}-{max(seeds)}"
        )


def make_jobs(specs, engine="fit", memory=None):
    """The jobs of ``specs``: one per trial (``fit``) or per cell
    (``population``; ``memory`` is its budget in bytes, None = default)."""
    if engine == "fit":
        return [Job((s,), s.to_dict()) for s in specs]
    from reluplug.bench.engine import population

    population.check_specs(specs)
    return [
        Job(
            tuple(cell),
            {"cell": [s.to_dict() for s in cell], "memory": memory},
        )
        for cell in population.cells(specs)
    ]


def spec_dicts(payload):
    """The spec dicts of a payload."""
    if isinstance(payload, dict) and "cell" in payload:
        return list(payload["cell"])
    return [payload]


def with_spec_dicts(payload, dicts):
    """``payload`` with its spec dicts replaced (e.g. localized ones)."""
    if isinstance(payload, dict) and "cell" in payload:
        return {**payload, "cell": list(dicts)}
    (only,) = dicts
    return only


def run_payload(payload):
    """Runs a job's payload in this process: a list of records."""
    if isinstance(payload, dict) and "cell" in payload:
        from reluplug.bench.engine.population import run_cell_dicts

        return run_cell_dicts(payload["cell"], payload.get("memory"))
    from reluplug.bench.engine.fit import run_trial_dict

    return [run_trial_dict(payload)]
