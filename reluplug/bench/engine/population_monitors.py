"""The monitors of a population: per member and epoch, as in ``fit``.

The quantities and their rules are ``DeadUnitMonitor``'s and
``GradientFlowMonitor``'s own: one monitor of each kind is built on the
cell's template model (``engine.monitors.make_monitors``, so with the same
settings as in the fit engine) and prepared for it (``prepare``). Only the
model evaluations are batched: the dead-unit probe (the monitor's own
``probe_model``, through ``stateless_call``) and the gradient of the
monitor's own loss function (``loss_fn()``) run ``jax.vmap``-ed over the
members, once per measured epoch, on each member's probe data as the
monitor reads it (``probe_batches``, ``probe_batch``); each member's
outputs become values through the monitor's ``values_from_outputs`` /
``values_from_gradients``, the functions its ``measure()`` uses. So a
change of a definition in ``reluplug.callbacks`` reaches both engines.
Only the monitors' public methods are used here.
"""

import jax
import jax.numpy as jnp
import numpy as np

from reluplug.bench.engine.monitors import make_monitors
from reluplug.bench.engine.population_program import jit
from reluplug.bench.suite import schema
from reluplug.callbacks import DeadUnitMonitor
from reluplug.callbacks import GradientFlowMonitor


def _positions(variables, targets):
    index = {id(v): i for i, v in enumerate(variables)}
    return [index[id(v)] for v in targets]


class PopulationMonitors:
    """Dead-unit and gradient-flow values of every member of a cell.

    Args:
        specs: the members' ``TrialSpec`` (one cell).
        splits: the members' ``Splits``, in the same order.
        model: the cell's compiled template model.
        metrics_init: initial values of its metrics variables.
    """

    def __init__(self, specs, splits, model, metrics_init):
        self.settings = specs[0].monitors
        self.epochs = specs[0].training.epochs
        self.model = model
        self.monitors = make_monitors(specs[0], splits[0])
        self._dead = self._grad = None
        trainable = model.trainable_variables
        for monitor in self.monitors:
            monitor.set_model(model)
            monitor.prepare(model)
            if isinstance(monitor, DeadUnitMonitor):
                self._dead = self._dead_fn(monitor, splits)
            elif isinstance(monitor, GradientFlowMonitor):
                self._grad = self._grad_fn(
                    monitor, specs[0], splits, trainable, metrics_init
                )

    def measured(self, epoch):
        """True if the monitors measure after ``epoch`` (0 = at start)."""
        every = self.settings.every_n_epochs
        return bool(self.monitors) and (
            epoch == 0 or epoch % every == 0 or epoch == self.epochs
        )

    def _dead_fn(self, monitor, splits):
        probe = monitor.probe_model
        if probe is None:  # no sites and on_no_sites="skip"
            return None
        members = [monitor.probe_batches(s.x_train) for s in splits]
        batches = [
            jnp.asarray(np.stack(batch))  # (K, batch, ...)
            for batch in zip(*members)
        ]
        model_tr = self.model.trainable_variables
        model_ntr = self.model.non_trainable_variables
        tr_pos = _positions(model_tr, probe.trainable_variables)
        ntr_pos = _positions(model_ntr, probe.non_trainable_variables)

        def member(trainable, non_trainable, xb):
            tr = [trainable[i] for i in tr_pos]
            ntr = [non_trainable[i] for i in ntr_pos]
            return probe.stateless_call(tr, ntr, xb)[0]

        forward = jit(jax.vmap(member))

        def run(trainable, non_trainable):
            outs = [
                np.asarray(forward(trainable, non_trainable, b))
                for b in batches
            ]
            return [[out[k] for out in outs] for k in range(outs[0].shape[0])]

        return monitor, run

    def _grad_fn(self, monitor, spec, splits, trainable, metrics_init):
        positions = _positions(trainable, monitor.kernels)
        b = spec.training.batch_size  # make_monitors' probe batch
        probes = [
            monitor.probe_batch((s.x_train[:b], s.y_train[:b])) for s in splits
        ]
        x = jnp.asarray(np.stack([p[0] for p in probes]))
        y = jnp.asarray(np.stack([p[1] for p in probes]))
        loss = monitor.loss_fn()

        def member(tr, ntr, xb, yb):
            grads = jax.grad(loss)(tr, ntr, metrics_init, xb, yb, None)
            return [grads[i] for i in positions]

        grad = jit(jax.vmap(member))

        def run(trainable, non_trainable):
            grads = [
                np.asarray(g) for g in grad(trainable, non_trainable, x, y)
            ]
            return [[g[k] for g in grads] for k in range(grads[0].shape[0])]

        return monitor, run

    def measure(self, trainable, non_trainable):
        """One dict per member: ``{"<quantity>/<layer>": value, ...}`` as
        the monitors publish into ``logs`` (dead units first)."""
        per_member = None
        for fn in (self._dead, self._grad):
            if fn is None:
                continue
            monitor, run = fn
            outputs = run(trainable, non_trainable)
            if per_member is None:
                per_member = [{} for _ in outputs]
            to_values = (
                monitor.values_from_outputs
                if isinstance(monitor, DeadUnitMonitor)
                else monitor.values_from_gradients
            )
            for values, out in zip(per_member, outputs):
                values.update(to_values(out))
        return per_member


def rows(epoch, values):
    """Monitor rows (``epoch, quantity, layer, value``) of one measurement,
    as ``TrialRecorder`` collects them from ``logs``."""
    out = []
    for key, value in values.items():
        quantity, sep, layer = key.partition("/")
        if sep and quantity in schema.MONITOR_QUANTITIES:
            out.append(
                {
                    "epoch": epoch,
                    "quantity": quantity,
                    "layer": layer,
                    "value": float(value),
                }
            )
    return out
