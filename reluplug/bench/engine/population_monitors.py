"""The monitors of a population: per member and epoch, as in ``fit``.

The quantities and their rules are ``DeadUnitMonitor``'s and
``GradientFlowMonitor``'s own: one monitor of each kind is built on the
cell's template model (``engine.monitors.make_monitors``, so with the same
settings as in the fit engine), and each measurement goes through its
``measure()``. Only the model evaluations are batched: the dead-unit probe
(the monitor's own ``Probe`` model) and the probe-batch loss gradient run
``jax.vmap``-ed over the members, once per measured epoch, and each
member's outputs are handed to ``measure()`` in place of the monitor's own
single-model call. So a change of a definition in ``reluplug.callbacks``
reaches both engines.
"""

import jax
import jax.numpy as jnp
import numpy as np

from reluplug.bench.engine.monitors import make_monitors
from reluplug.bench.engine.population_program import jit
from reluplug.bench.suite import schema
from reluplug.callbacks import DeadUnitMonitor
from reluplug.callbacks import GradientFlowMonitor
from reluplug.callbacks import _data
from reluplug.callbacks import _sites

_OWNER = "population engine"


def _positions(variables, targets):
    index = {id(v): i for i, v in enumerate(variables)}
    return [index[id(v)] for v in targets]


class _Injected:
    """Feeds precomputed outputs to a monitor's ``measure()``, in order."""

    def __init__(self, outputs):
        self._outputs = iter(outputs)

    def __call__(self, *args):
        return next(self._outputs)


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
            monitor._build(model)  # noqa: SLF001 -- the monitor's own sites
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
        probe = monitor._probe  # noqa: SLF001
        if probe is None:  # no sites and on_no_sites="skip"
            return None
        m = self.settings.max_samples
        x = np.stack(
            [
                _data.load_probe(s.x_train, _OWNER, max_samples=m)[0]
                for s in splits
            ]
        )  # (K, samples, ...), in the monitor's dtype
        batches = [
            jnp.asarray(x[:, idx])
            for idx in _data.batch_indices(x.shape[1], monitor.batch_size)
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
        model = self.model
        found = _sites.candidates(model, monitor.layers, _OWNER)
        ids = {id(v) for v in trainable}
        kernels = [
            layer.kernel
            for layer, _ in found
            if id(getattr(layer, "kernel", None)) in ids
        ]
        positions = _positions(trainable, kernels)
        b = min(spec.training.batch_size, monitor.max_samples)
        x = jnp.asarray(np.stack([s.x_train[:b] for s in splits]))
        y = jnp.asarray(np.stack([s.y_train[:b] for s in splits]))

        def loss(tr, ntr, xb, yb):
            value, _ = model.compute_loss_and_updates(
                tr, ntr, metrics_init, xb, yb, None, training=False
            )
            return value

        def member(tr, ntr, xb, yb):
            grads = jax.grad(loss)(tr, ntr, xb, yb)
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
        for fn, attr, batches in (
            (self._dead, "_forward", "_batches"),
            (self._grad, "_grad_fn", None),
        ):
            if fn is None:
                continue
            monitor, run = fn
            outputs = run(trainable, non_trainable)
            if per_member is None:
                per_member = [{} for _ in outputs]
            for values, out in zip(per_member, outputs):
                if batches is not None:  # DeadUnitMonitor: one per batch
                    setattr(monitor, batches, [None] * len(out))
                    setattr(monitor, attr, _Injected(out))
                else:
                    setattr(monitor, attr, _Injected([out]))
                values.update(monitor.measure())
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
