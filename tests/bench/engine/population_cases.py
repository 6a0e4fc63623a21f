"""Cases for test_population_exactness.py, run in a JAX process.

``python population_cases.py`` (with ``KERAS_BACKEND=jax``) prints one JSON
object: for each case, the largest relative difference per member between
the weights after one epoch of the population engine's program and after
one epoch of ``model.fit`` of the same model (same initial weights, same
batches in the same order, Adam), plus the program's epoch-1 logs against
``fit``'s history.
"""

import json
import sys

import keras
import numpy as np

from reluplug.bench.engine import population
from reluplug.bench.engine.data import EpochOrder
from reluplug.bench.engine.population_program import Program
from reluplug.bench.engine.population_program import initial_state
from reluplug.bench.suite.config import Training

N, BATCH, CLASSES = 70, 16, 3  # 4 full batches and a remainder of 6


def mlp(seed):
    keras.utils.set_random_seed(seed)
    return keras.Sequential(
        [
            keras.Input((8,)),
            keras.layers.Dense(16),
            keras.layers.PReLU(
                alpha_initializer=keras.initializers.Constant(0.2)
            ),
            keras.layers.Dense(CLASSES, activation="softmax"),
        ]
    )


def cnn(seed):
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((6, 6, 1))
    h = keras.layers.Conv2D(4, 3, padding="same")(inputs)
    h = keras.layers.PReLU(
        alpha_initializer=keras.initializers.Constant(0.2), shared_axes=[1, 2]
    )(h)
    h = keras.layers.Flatten()(h)
    outputs = keras.layers.Dense(CLASSES, activation="softmax")(h)
    return keras.Model(inputs, outputs)


def compile_(model, rate=1e-2):
    model.compile(
        optimizer=keras.optimizers.Adam(rate),
        loss=keras.losses.SparseCategoricalCrossentropy(),
        metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")],
    )


def case(build, shape, seeds, rates=None, map_batch=None):
    """``rates``: one learning rate per member (None: the template's
    1e-2); ``map_batch``: the program's ``lax.map`` batch (None: vmap)."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(N, *shape)).astype("float32")
    y = rng.integers(0, CLASSES, size=N).astype("int32")
    xv, yv = x[:20], y[:20]
    members = [build(s) for s in seeds]
    template = build(seeds[0])
    compile_(template)
    population.prepare_template(template, x, y)
    training = Training(epochs=1, batch_size=BATCH)
    shared = dict.fromkeys(("x_train", "y_train", "x_val", "y_val"), True)
    shared.update(x_test=True, y_test=True)
    program = Program(
        template, "accuracy", "max", training, shared, map_batch=map_batch
    )
    state = initial_state(members, template, rates)
    orders = [EpochOrder(x, y, BATCH, s) for s in seeds]
    order = population.batch_orders(orders, 0)
    data = {"x_train": x, "y_train": y, "x_val": xv, "y_val": yv}
    state, logs = program.epoch(state, np.int32(0), data, order)
    out = []
    for m, (seed, model) in enumerate(zip(seeds, members)):
        compile_(model, rates[m] if rates else 1e-2)
        history = model.fit(
            EpochOrder(x, y, BATCH, seed),
            epochs=1,
            shuffle=False,
            verbose=0,
            validation_data=(xv, yv),
            validation_batch_size=max(BATCH, 256),
        ).history
        rel = 0.0
        for ref, got in zip(model.trainable_variables, state["trainable"]):
            ref = keras.ops.convert_to_numpy(ref)
            got = np.asarray(got[m])
            diff = np.abs(got - ref) / (np.abs(ref) + 1e-6)
            rel = max(rel, float(np.max(diff)))
        moved = max(
            float(np.max(np.abs(np.asarray(w[m]) - np.asarray(w0))))
            for w, w0 in zip(
                state["trainable"],
                [keras.ops.convert_to_numpy(v) for v in build(seed).weights],
            )
        )
        val_loss = float(logs["val_loss"][m])
        out.append(
            {
                "seed": seed,
                "max_rel_diff": rel,
                "moved": moved,
                "loss": [float(logs["loss"][m]), history["loss"][0]],
                "val_loss": [val_loss, history["val_loss"][0]],
                "val_metric": [
                    float(logs["val_metric"][m]),
                    history["val_accuracy"][0],
                ],
            }
        )
    return out


def main():
    results = {}
    for name, build, shape in (("mlp", mlp, (8,)), ("cnn", cnn, (6, 6, 1))):
        for seeds in ([3], [0, 1, 2, 3]):
            results[f"{name}-{len(seeds)}"] = case(build, shape, seeds)
        # members at different learning rates in one program (a tuning
        # grid as one cell), and, for the CNN, the members mapped one by
        # one (lax.map, as population.map_batch picks for convolutions on
        # CPU)
        rates = [1e-2, 3e-3, 1e-2, 1e-3]
        results[f"{name}-rates"] = case(build, shape, [0, 1, 2, 3], rates)
        if name == "cnn":  # lax.map is for convolutions only
            results["cnn-map"] = case(build, shape, [0, 1, 2], map_batch=1)
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
