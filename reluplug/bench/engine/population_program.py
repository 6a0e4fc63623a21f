"""The population engine's compiled programs (JAX): K members at once.

Pure functions of one member, ``jax.vmap``-ed over a leading member axis
and ``jax.jit``-ed once per program (PureJaxRL's train-many-agents shape).
The Keras model enters only through its own stateless methods:
``model.train_step(state, data)`` (the very step ``model.fit`` jits on the
JAX backend: ``stateless_call``, the compiled loss, ``optimizer.
stateless_apply`` and the metric updates), ``model.test_step`` (the step of
``evaluate``) and ``model.get_metrics_result`` read through a
``keras.StatelessScope``.

Per-member state is one pytree (a dict of arrays with a leading axis K):
weights, non-trainable variables (batch-norm statistics, the seed-generator
state that dropout and RReLU draw from), optimizer slots, the best epoch's
weights and the early-stopping counters. What a stopped or diverged member
does is decided by masks (``jnp.where``), never by a Python branch: a
member that is not ``active`` keeps its state.

Rules copied from what ``model.fit`` runs in the fit engine
(``engine.recorder``):

* ``keras.callbacks.TerminateOnNaN``: after the first step whose running
  loss is not finite, the member takes no further step (that step's update
  is kept, as in ``fit``);
* ``keras.callbacks.EarlyStopping(restore_best_weights=True)``: the first
  epoch is always "best"; later ones when ``metric - min_delta > best``
  (mode max) or ``metric + min_delta < best`` (mode min); ``wait`` counts
  epochs since the best and the member stops when ``wait >= patience``
  after its first epoch; the best epoch's weights are kept;
* the recorder's divergence rule: an epoch whose training or validation
  loss is not finite ends the member as ``diverged``.
"""

import jax
import jax.numpy as jnp
import keras
import numpy as np


def compiler_options():
    """XLA options of every population program: on CPU, LLVM optimization
    level 1 (``xla_backend_optimization_level``).

    Compile time is the floor of a cell with few seeds. Measured on a
    2-core machine: level 1 compiles a digits MLP cell's epoch 25% and a
    digits CNN's 40% faster than the default, at the same speed per epoch
    (level 0 compiles faster still but runs the CNN 6x slower). Results
    are the same to float rounding (the exactness test holds).
    """
    if jax.default_backend() == "cpu":
        return {"xla_backend_optimization_level": 1}
    return {}


def jit(fn):
    """``jax.jit`` with ``compiler_options()``."""
    return jax.jit(fn, compiler_options=compiler_options() or None)


def _where(mask, new, old):
    """``new`` where ``mask`` (a per-member scalar) else ``old``, per leaf."""
    return jax.tree.map(lambda a, b: jnp.where(mask, a, b), new, old)


def _batches(n, batch_size):
    """``(full, rest)``: the number of full batches and the remainder."""
    return n // batch_size, n % batch_size


class Program:
    """The compiled epoch, evaluation and monitor functions of one cell.

    Args:
        model: the cell's template model, compiled (optimizer built,
            metrics built and reset); every member has its architecture.
        metric: the task's metric name in the model's logs.
        mode: ``"max"`` or ``"min"`` (the metric's better direction).
        training: the suite's ``Training`` recipe.
        shared: dict name -> bool; True when an input array (``x_train``,
            ``y_train``, ``x_val``, ``y_val``, ``x_test``, ``y_test``) is
            one array shared by every member (else stacked, axis 0).
    """

    def __init__(self, model, metric, mode, training, shared, map_batch=None):
        self.model = model
        self.metric = metric
        self.training = training
        self.shared = dict(shared)
        self.batch_size = training.batch_size
        self.eval_batch = max(training.batch_size, 256)
        stop = training.early_stopping
        self.patience = stop.patience if stop else training.epochs
        self.min_delta = float(stop.min_delta) if stop else 0.0
        self.sign = 1.0 if mode == "max" else -1.0
        self.map_batch = map_batch
        self.metrics_init = [
            jnp.asarray(v.value) for v in model.metrics_variables
        ]
        self.epoch = jit(self._vmapped_epoch())
        self.evaluate = jit(self._vmapped_evaluate())

    # ----------------------------------------------------------- one member

    def _results(self, metrics_variables):
        mapping = list(zip(self.model.metrics_variables, metrics_variables))
        with keras.StatelessScope(state_mapping=mapping):
            logs = self.model.get_metrics_result()
        return logs["loss"], logs[self.metric]

    def _train(self, trainable, non_trainable, opt, active, x, y, order):
        """One epoch of one member over its batch order (``order``)."""
        model = self.model
        full, rest = _batches(order.shape[0], self.batch_size)

        def step(carry, idx):
            tr, ntr, op, mv, halted = carry
            logs, new = model.train_step((tr, ntr, op, mv), (x[idx], y[idx]))
            tr, ntr, op, mv = _where(halted, (tr, ntr, op, mv), new)
            halted = halted | ~jnp.isfinite(logs["loss"])
            return (tr, ntr, op, mv, halted), None

        carry = (trainable, non_trainable, opt, self.metrics_init, ~active)
        if full:
            idx = order[: full * self.batch_size]
            idx = idx.reshape(full, self.batch_size)
            carry, _ = jax.lax.scan(step, carry, idx)
        if rest:
            carry, _ = step(carry, order[full * self.batch_size :])
        tr, ntr, op, mv, _ = carry
        loss, metric = self._results(mv)
        return tr, ntr, op, loss, metric

    def _eval(self, trainable, non_trainable, x, y):
        """``(loss, metric)`` of one member on ``(x, y)``, as ``evaluate``
        with ``batch_size=max(batch_size, 256)``."""
        model = self.model
        full, rest = _batches(x.shape[0], self.eval_batch)

        def step(mv, start):
            xb = jax.lax.dynamic_slice_in_dim(x, start, self.eval_batch)
            yb = jax.lax.dynamic_slice_in_dim(y, start, self.eval_batch)
            _, (_, _, mv) = model.test_step(
                (trainable, non_trainable, mv), (xb, yb)
            )
            return mv, None

        mv = self.metrics_init
        if full:
            starts = jnp.arange(full) * self.eval_batch
            mv, _ = jax.lax.scan(step, mv, starts)
        if rest:
            tail = slice(full * self.eval_batch, None)
            _, (_, _, mv) = model.test_step(
                (trainable, non_trainable, mv), (x[tail], y[tail])
            )
        return self._results(mv)

    def _member_epoch(self, state, epoch, data, order):
        """Train, validate and apply the stopping rules for one member."""
        active = state["active"]
        tr, ntr, opt, loss, metric = self._train(
            state["trainable"],
            state["non_trainable"],
            state["optimizer"],
            active,
            data["x_train"],
            data["y_train"],
            order,
        )
        val_loss, val_metric = self._eval(tr, ntr, data["x_val"], data["y_val"])
        # EarlyStopping: the first epoch always improves (best is None).
        better = self.sign * (val_metric - self.sign * self.min_delta) > (
            self.sign * state["best"]
        )
        improved = active & (~state["has_best"] | better)
        wait = jnp.where(active, state["wait"] + 1, state["wait"])
        wait = jnp.where(improved, 0, wait)
        stopped = active & ~improved & (wait >= self.patience) & (epoch > 0)
        diverged = active & ~(jnp.isfinite(loss) & jnp.isfinite(val_loss))
        new = {
            "trainable": tr,
            "non_trainable": ntr,
            "optimizer": opt,
            "best_trainable": _where(improved, tr, state["best_trainable"]),
            "best_non_trainable": _where(
                improved, ntr, state["best_non_trainable"]
            ),
            "best": jnp.where(improved, val_metric, state["best"]),
            "best_epoch": jnp.where(improved, epoch, state["best_epoch"]),
            "has_best": state["has_best"] | improved,
            "wait": wait,
            "active": active & ~stopped & ~diverged,
        }
        logs = {
            "ran": active,
            "loss": loss,
            "metric": metric,
            "val_loss": val_loss,
            "val_metric": val_metric,
            "diverged": diverged,
        }
        return new, logs

    # ------------------------------------------------------------- vmapped

    def _data_axes(self, names):
        return {k: None if self.shared[k] else 0 for k in names}

    def _vmapped_epoch(self):
        axes = self._data_axes(("x_train", "y_train", "x_val", "y_val"))
        return member_map(
            self._member_epoch, (0, None, axes, 0), self.map_batch
        )

    def _vmapped_evaluate(self):
        def member(trainable, non_trainable, x, y):
            return self._eval(trainable, non_trainable, x, y)

        axes = (
            0,
            0,
            None if self.shared["x_test"] else 0,
            None if self.shared["y_test"] else 0,
        )
        return member_map(member, axes, self.map_batch)


def member_map(fn, in_axes, batch=None):
    """``fn`` of one member mapped over the leading member axis.

    ``batch=None``: ``jax.vmap`` (every member's arrays in one batched
    operation). An integer: ``jax.lax.map`` over the members, vmapped
    ``batch`` at a time, so each convolution stays an ordinary
    convolution (XLA on CPU runs a vmapped convolution, which becomes a
    grouped one, several times slower than the members one by one).
    ``in_axes`` as ``jax.vmap``'s: 0 (mapped) or None (shared), per
    argument or per leaf of a dict argument.
    """
    if batch is None:
        return jax.vmap(fn, in_axes=in_axes)

    def mapped(*args):
        flags = [
            {k: a == 0 for k, a in ax.items()}
            if isinstance(ax, dict)
            else ax == 0
            for ax in in_axes
        ]
        split = [_split(arg, flag) for arg, flag in zip(args, flags)]
        per_member = [m for m, _ in split]
        fixed = [f for _, f in split]

        def one(member_args):
            return fn(*[_join(m, f) for m, f in zip(member_args, fixed)])

        return jax.lax.map(one, per_member, batch_size=batch)

    return mapped


def _split(arg, flag):
    """``(mapped part, shared part)`` of one argument."""
    if isinstance(flag, dict):
        return (
            {k: v for k, v in arg.items() if flag[k]},
            {k: v for k, v in arg.items() if not flag[k]},
        )
    return (arg, None) if flag else (None, arg)


def _join(mapped, fixed):
    if isinstance(fixed, dict):
        return {**fixed, **mapped}
    return fixed if mapped is None else mapped


def initial_state(members, template, learning_rates=None):
    """The stacked state of ``members`` (built Keras models of one
    architecture) with the optimizer slots of ``template`` (built, at its
    initial values) copied to every member.

    ``learning_rates`` (one per member, None: the template's): each
    member's optimizer variables come from the template's optimizer
    rebuilt from its config with that rate (Keras keeps a float learning
    rate as an optimizer variable, which ``stateless_apply`` reads), so
    members of one program may train at different rates.
    """
    k = len(members)

    def stack(getter):
        return [
            jnp.asarray(np.stack([np.asarray(v) for v in values]))
            for values in zip(*(getter(m) for m in members))
        ]

    def values(variables):
        return [keras.ops.convert_to_numpy(v) for v in variables]

    trainable = stack(lambda m: values(m.trainable_variables))
    non_trainable = stack(lambda m: values(m.non_trainable_variables))
    if learning_rates is None:
        optimizer = [
            jnp.broadcast_to(jnp.asarray(v.value), (k, *v.shape))
            for v in template.optimizer.variables
        ]
    else:
        slots = {}
        for rate in set(learning_rates):
            slots[rate] = values(_optimizer_at(template, rate).variables)
        optimizer = [
            jnp.asarray(np.stack(column))
            for column in zip(*(slots[r] for r in learning_rates))
        ]
    return {
        "trainable": trainable,
        "non_trainable": non_trainable,
        "optimizer": optimizer,
        "best_trainable": trainable,
        "best_non_trainable": non_trainable,
        "best": jnp.full((k,), jnp.nan, "float32"),
        "best_epoch": jnp.zeros((k,), "int32"),
        "has_best": jnp.zeros((k,), bool),
        "wait": jnp.zeros((k,), "int32"),
        "active": jnp.ones((k,), bool),
    }


def _optimizer_at(template, rate):
    """A fresh optimizer like the template's, at ``rate``, built on the
    template's trainable variables (its variables in the same order)."""
    optimizer = template.optimizer
    config = dict(optimizer.get_config(), learning_rate=float(rate))
    fresh = type(optimizer).from_config(config)
    fresh.build(template.trainable_variables)
    if [tuple(v.shape) for v in fresh.variables] != [
        tuple(v.shape) for v in optimizer.variables
    ]:
        raise ValueError(
            f"Optimizer {type(optimizer).__name__} rebuilt at learning rate "
            f"{rate} has other variables than the template's."
        )
    return fresh
