"""The population engine's plumbing: cells, jobs, chunks, options.

No training here (see test_population_run.py and
test_population_exactness.py for that).
"""

import pytest
from runner_fixtures import TINY

from reluplug.bench.engine import jobs
from reluplug.bench.engine import population
from reluplug.bench.suite import config
from reluplug.bench.suite.resources import check_memory

SUITE = TINY.replace("seeds = [0, 1]", "seeds = [0, 1, 2]")


def _specs(text=SUITE):
    return config.loads(text).expand()


def test_cells_group_the_seeds_of_one_task_and_activation():
    specs = _specs()
    cells = population.cells(specs)
    assert len(cells) == 2  # relu and lrelu
    for cell in cells:
        assert sorted(s.seed for s in cell) == [0, 1, 2]
        assert len({s.activation for s in cell}) == 1
        assert len({population.cell_key(s) for s in cell}) == 1
    assert sorted(s.trial_id for c in cells for s in c) == sorted(
        s.trial_id for s in specs
    )


def test_a_changed_recipe_is_another_cell():
    text = SUITE.replace("[[tasks]]", '[[tasks]]\nlabel = "a"', 1)
    text += '\n[[tasks]]\nname = "spirals"\nlabel = "b"\n'
    text += "params = {n_samples = 120, hidden = 4, layers = 2}\n"
    cells = population.cells(_specs(text))
    assert len(cells) == 4
    assert {len(c) for c in cells} == {3}


def test_a_tuning_grid_is_one_cell_per_task_and_activation():
    """The learning rate is an optimizer variable, so the members of one
    program may differ in it: 2 tuning seeds x 3 rates = 6 members."""
    text = SUITE + "\n[tuning]\nlearning_rate = [0.001, 0.003, 0.01]\n"
    text += "seeds = [100, 101]\n"
    specs = config.loads(text).expand_tuning()
    assert len(specs) == 12
    cells = population.cells(specs)
    assert len(cells) == 2
    for cell in cells:
        assert sorted((s.seed, s.training.learning_rate) for s in cell) == [
            (seed, rate) for seed in (100, 101) for rate in (0.001, 0.003, 0.01)
        ]


def test_the_evidence_runs_revive_with_the_fit_engine():
    from reluplug.bench.evidence import dead_units
    from reluplug.bench.evidence.runner import suite_engine

    suites = {
        name: config.from_mapping(mapping)
        for name, mapping in dead_units.suites(True).items()
    }
    engines = {
        name: suite_engine(suite, "population")
        for name, suite in suites.items()
    }
    assert engines == {
        dead_units.NAME: "population",
        f"{dead_units.NAME}_revive": "fit",
    }
    assert {suite_engine(s, "fit") for s in suites.values()} == {"fit"}


def test_jobs_fit_one_trial_each_population_one_cell_each():
    specs = _specs()
    fit = jobs.make_jobs(specs, "fit")
    assert [j.specs for j in fit] == [(s,) for s in specs]
    assert fit[0].payload == specs[0].to_dict()
    cells = jobs.make_jobs(specs, "population", memory=123)
    assert len(cells) == 2
    assert cells[0].payload["memory"] == 123
    assert cells[0].payload["cell"] == [s.to_dict() for s in cells[0].specs]
    assert cells[0].title.endswith("/seeds 0-2")
    assert jobs.spec_dicts(cells[0].payload) == cells[0].payload["cell"]
    assert jobs.spec_dicts(fit[0].payload) == [fit[0].payload]


def test_population_workers_run_jax():
    assert jobs.worker_env("population") == {"KERAS_BACKEND": "jax"}
    assert jobs.worker_env("fit") == {}


def test_unknown_engine_is_refused():
    with pytest.raises(config.ConfigError, match="`engine` must be one of"):
        jobs.check_engine("populations")


def test_revive_is_refused_before_training_and_names_the_fit_engine():
    text = SUITE + "\n[monitors]\ndead_units = true\nrevive = true\n"
    with pytest.raises(config.ConfigError, match="--engine fit"):
        jobs.make_jobs(_specs(text), "population")


@pytest.mark.parametrize(
    ("n", "per_program", "expected"),
    [(50, 16, (13, 4)), (4, 100, (4, 1)), (5, 0, (1, 5)), (64, 64, (64, 1))],
)
def test_chunks_are_equal_and_within_the_budget(n, per_program, expected):
    size, count = population.chunks(n, per_program)
    assert (size, count) == expected
    assert size * count >= n
    assert size <= max(1, per_program)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1024, 1024),
        ("4GB", 4 * 10**9),
        ("512 MiB", 512 * 2**20),
        ("2gib", 2**31),
    ],
)
def test_memory_budget_parses(value, expected):
    assert check_memory(value, "resources.memory") == expected


@pytest.mark.parametrize("value", [0, -1, "4 parsecs", "GB", True, None])
def test_bad_memory_budget_names_the_key(value):
    with pytest.raises(ValueError, match="resources.memory"):
        check_memory(value, "resources.memory")


def test_the_compilation_cache_folder_comes_from_the_environment(
    tmp_path, monkeypatch
):
    jax = pytest.importorskip("jax")
    before = jax.config.jax_compilation_cache_dir
    try:
        jax.config.update("jax_compilation_cache_dir", None)
        monkeypatch.setenv("RELUPLUG_JAX_CACHE", "off")
        population.use_compilation_cache()
        assert jax.config.jax_compilation_cache_dir is None
        monkeypatch.delenv("RELUPLUG_JAX_CACHE")
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
        population.use_compilation_cache()
        assert jax.config.jax_compilation_cache_dir == str(
            tmp_path / "reluplug" / "jax"
        )
        monkeypatch.setenv("RELUPLUG_JAX_CACHE", str(tmp_path / "mine"))
        population.use_compilation_cache()  # set already: kept
        assert jax.config.jax_compilation_cache_dir == str(
            tmp_path / "reluplug" / "jax"
        )
    finally:
        jax.config.update("jax_compilation_cache_dir", before)


def test_evidence_runs_its_suites_on_the_engine_it_is_given(
    tmp_path, monkeypatch
):
    """`evidence --engine population` reaches the trials: each suite's
    executor has the engine (revive's suite the fit engine)."""
    from reluplug.bench import engine as engine_package
    from reluplug.bench.evidence import dead_units
    from reluplug.bench.evidence import runner

    seen = {}

    def fake_run_suite(suite, out, *, executor, **kwargs):
        seen[suite.name] = executor.engine  # nothing trains: the claim's
        # measurement then fails on the empty folders and records it

    monkeypatch.setattr(engine_package, "run_suite", fake_run_suite)
    runner.run_evidence(
        tmp_path,
        quick=True,
        executor="sequential",
        claims=(dead_units.NUMBER,),
        engine="population",
        log=lambda line: None,
    )
    assert seen == {
        f"evidence-{dead_units.NAME}": "population",
        f"evidence-{dead_units.NAME}_revive": "fit",
    }
