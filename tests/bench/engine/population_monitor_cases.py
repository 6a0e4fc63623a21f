"""Cases for test_population_monitors.py, run in a JAX process.

``python population_monitor_cases.py`` (with ``KERAS_BACKEND=jax``) prints
one JSON object: for each case, per member, the values the population
engine's monitors measure for the stacked members
(``PopulationMonitors.measure``) and the values the members' own
``DeadUnitMonitor`` and ``GradientFlowMonitor`` measure on each member's
model alone (``measure()``, as in the fit engine). The ``regularized``
case is a user model with an activity regularizer (a loss a layer adds
during the forward pass, which the gradient must count).
"""

import json
import sys

import keras
import numpy as np

from reluplug.bench.engine.data import load_splits
from reluplug.bench.engine.model import build_model
from reluplug.bench.engine.model import compile_model
from reluplug.bench.engine.monitors import make_monitors
from reluplug.bench.engine.population import prepare_template
from reluplug.bench.engine.population_monitors import PopulationMonitors
from reluplug.bench.engine.population_program import initial_state
from reluplug.bench.suite import config
from reluplug.bench.tasks import registry

SPIRALS = {
    "name": "spirals",
    "params": {"n_samples": 120, "hidden": 8, "layers": 2},
}
REGULARIZED = {
    "model": "population_monitor_cases:build_regularized",
    "data": "population_monitor_cases:data",
}
MONITORS = {
    "dead_units": True,
    "gradient_flow": True,
    "saturation_eps": 0.05,
    "max_samples": 50,
}


def build_regularized(act):
    """A user builder with an activity-regularized hidden layer."""
    inputs = keras.Input((4,))
    regularizer = keras.regularizers.L2(0.5)
    h = keras.layers.Dense(6, activity_regularizer=regularizer, name="hidden")
    h = act()(h(inputs))
    outputs = keras.layers.Dense(2, activation="softmax", name="out")(h)
    return keras.Model(inputs, outputs)


def data():
    """80 examples, 4 features, two classes (fixed)."""
    x = np.random.default_rng(0).normal(size=(80, 4)).astype("float32")
    return x, (x[:, 0] + x[:, 1] > 0).astype("int64")


def case(activation, task=SPIRALS):
    suite = config.from_mapping(
        {
            "version": 1,
            "name": "monitors",
            "seeds": [0, 1, 2],
            "training": {"epochs": 1, "batch_size": 16},
            "monitors": MONITORS,
            "tasks": [task],
            "activations": [{"name": activation}],
        }
    )
    specs = suite.expand()
    task = registry.get(specs[0].task_name)
    splits = [load_splits(task, spec) for spec in specs]
    models = []
    for spec, split in zip(specs, splits):
        model = build_model(task, spec, split)[0]
        compile_model(model, task, spec.training)
        prepare_template(model, split.x_train, split.y_train)
        models.append(model)
    template = models[0]
    metrics_init = [v.value for v in template.metrics_variables]
    state = initial_state(models, template)
    population = PopulationMonitors(specs, splits, template, metrics_init)
    got = population.measure(state["trainable"], state["non_trainable"])
    own = []
    for spec, split, model in zip(specs, splits, models):
        values = {}
        for monitor in make_monitors(spec, split):
            monitor.set_model(model)
            monitor.prepare(model)
            values.update(monitor.measure())
        own.append(values)
    return [{"population": g, "own": o} for g, o in zip(got, own)]


def main():
    results = {a: case(a) for a in ("relu", "elu", "sigmoid")}
    results["regularized"] = case("relu", REGULARIZED)
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
