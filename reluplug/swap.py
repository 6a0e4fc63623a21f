"""``swap_activations``: the same model with another activation everywhere.

The sites are the ones ``reluplug.callbacks.DeadUnitMonitor`` finds
(``reluplug.callbacks._sites``): standalone activation layers, and layers
with a fused ``activation=`` (Dense, Conv, ...), in nested models too. A
standalone site is replaced by a fresh activation layer of the same name; a
fused one becomes ``activation="linear"`` with a fresh activation layer
called right after it. Every other layer is cloned from its config and gets
the original's weights, so the new model starts where the old one was.
"""

import keras

from reluplug.callbacks import _sites

_OWNER = "swap_activations"


def swap_activations(model, activation, *, keep_readout=True, layers=None):
    """Returns a copy of ``model`` with ``activation`` at every site.

    Example:

    >>> import keras, reluplug
    >>> model = keras.Sequential([
    ...     keras.Input((4,)),
    ...     keras.layers.Dense(8, activation="relu", name="hidden"),
    ...     keras.layers.Dense(3, activation="softmax", name="out"),
    ... ])
    >>> new = reluplug.swap_activations(model, "prelu")
    >>> [type(layer).__name__ for layer in new.layers]
    ['Dense', 'PReLU', 'Dense']
    >>> new.layers[0].activation.__name__, new.layers[2].activation.__name__
    ('linear', 'softmax')

    Args:
        model: a built functional or ``Sequential`` Keras model (nested
            functional/Sequential models are rewritten too).
        activation: anything ``reluplug.get`` accepts (a name such as
            ``"prelu"``, a layer class or instance, a config dict,
            ``"package.module:ClassName"``); each site gets a fresh layer.
        keep_readout: keep the activation of the layer(s) producing the
            model's outputs (e.g. a final softmax or sigmoid). With `False`
            that activation is replaced too, a softmax or log-softmax
            read-out included (which is not a site otherwise). Defaults to
            `True`.
        layers: optional list of layers (objects or names) to rewrite;
            defaults to every site.

    Returns:
        A new, uncompiled ``keras.Model`` of the same kind. Weights of every
        layer that is not a replaced activation are copied from ``model``.

    Raises:
        ValueError: ``model`` is subclassed (no symbolic graph), has no
            activation site, ``layers`` names a layer that is not a site,
            or ``activation`` is unknown.
    """
    import reluplug

    reluplug.get(activation)  # fails early on an unknown activation
    if not isinstance(model, keras.Model):
        raise ValueError(
            f"{_OWNER}: `model` must be a keras.Model. Received: "
            f"model={model!r}"
        )
    sites = _some_sites(model, keep_readout, layers)
    return _rewrite(model, sites, lambda name: _fresh(activation, name))


def swap_with(model, make, *, keep_readout=True):
    """``swap_activations`` with ``make(name) -> layer`` creating each new
    activation layer (the benchmark runner's activation factory).

    Raises:
        ValueError: as ``swap_activations``.
    """
    return _rewrite(model, _some_sites(model, keep_readout, None), make)


def _some_sites(model, keep_readout, layers):
    sites = find_sites(model, keep_readout=keep_readout, layers=layers)
    if not sites:
        raise ValueError(
            f"{_OWNER}: model {model.name!r} has no activation site to "
            f"replace (keep_readout={keep_readout}). Sites are activation "
            f"layers and fused `activation=` arguments of kinds "
            f"{sorted(_sites.KINDS)}."
        )
    return sites


def _rewrite(model, sites, make):
    located = _sites.locate(model)
    names = {site.layer.name for site in located}
    paths = {id(site.layer): site.path for site in located}
    sources = {id(layer): paths.get(id(layer), layer.name) for layer in sites}
    rewriter = _Rewriter(make, sources, names)
    new = rewriter.rebuild(model)
    for old, clone in rewriter.copies:
        clone.set_weights(old.get_weights())
    return new


def find_sites(model, *, keep_readout=True, layers=None):
    """The activation-site layers ``swap_activations`` would replace.

    Args:
        model: a functional or ``Sequential`` model.
        keep_readout: leave out the layers producing the model's outputs.
        layers: optional layers (objects or names) to restrict to.

    Returns:
        List of layers, in model order (nested models entered).
    """
    _check_graph(model)
    found = _sites.candidates(model, layers, _OWNER)
    readout = _readout_ids(model)
    sites = []
    for layer, _ in found:
        if isinstance(layer, keras.Model):
            continue
        if not keep_readout and id(layer) in readout and _is_softmax(layer):
            sites.append(layer)
            continue
        if _sites.layer_kind(layer) is None:
            if layers is not None:
                raise ValueError(
                    f"{_OWNER}: layer {layer.name!r} in `layers` is not an "
                    f"activation site (known kinds: {sorted(_sites.KINDS)}). "
                    f"Received: layers={list(layers)!r}"
                )
            continue
        if not keep_readout or id(layer) not in readout:
            sites.append(layer)
    return sites


def _is_softmax(layer):
    """True for a softmax or log-softmax layer or fused activation."""
    if isinstance(layer, keras.layers.Softmax):
        return True
    activation = getattr(layer, "activation", None)
    return any(
        activation is getattr(keras.activations, name, None)
        for name in ("softmax", "log_softmax")
    )


def _check_graph(model):
    try:
        list(_sites.walk(model))
    except ValueError:
        raise ValueError(
            f"{_OWNER}: cannot rewrite model {model.name!r} "
            f"({type(model).__name__}) or a model nested in it: it is a "
            "subclassed model, and the activations applied in its `call()` "
            "are invisible. Either give your model class an `activation` "
            "constructor argument and build it with `reluplug.get(...)`, or "
            "build the model with the functional API "
            "(`keras.Input(...)` -> `keras.Model(inputs, outputs)`) or as a "
            "`keras.Sequential`."
        ) from None


def _readout_ids(model):
    """ids of the layers whose outputs are outputs of ``model``."""
    if isinstance(model, keras.Sequential):
        producers = model.layers[-1:]
    else:
        producers = [t._keras_history.operation for t in model.outputs]
    out = set()
    for layer in producers:
        out.add(id(layer))
        if isinstance(layer, keras.Model):
            out |= _readout_ids(layer)
    return out


def _fresh(activation, name):
    import reluplug

    layer = reluplug.get(activation)
    config = layer.get_config()
    config["name"] = name
    return layer.__class__.from_config(config)


def _is_standalone(layer):
    """True for a layer that *is* the activation (ReLU, PReLU, Activation,
    reluplug layers); False for a fused ``activation=`` argument."""
    if isinstance(layer, keras.layers.Activation):
        return True
    return getattr(layer, "activation", None) is None


class _Rewriter:
    """Clones models, replacing the layers whose ids are in ``site_ids``
    (id -> the site's user path) with ``make(name)``. Each new activation
    layer carries that path (``_sites.SOURCE``), so that the monitors'
    rows of the new model name the user's layer."""

    def __init__(self, make, site_ids, taken):
        self.make = make
        self.site_ids = site_ids
        self.taken = set(taken)  # layer names in use
        self.copies = []  # (old layer, clone) pairs whose weights to copy
        self.after = {}  # id(clone of a fused site) -> its activation layer

    def rebuild(self, model):
        if isinstance(model, keras.Sequential):
            return self._sequential(model)
        return keras.models.clone_model(
            model, clone_function=self._clone, call_function=self._call
        )

    def _clone(self, layer):
        if isinstance(layer, keras.Model):
            return self.rebuild(layer)
        if id(layer) not in self.site_ids:
            clone = layer.__class__.from_config(layer.get_config())
            self.copies.append((layer, clone))
            return clone
        if _is_standalone(layer):
            return self._made(layer, layer.name)
        config = layer.get_config()
        config["activation"] = "linear"
        clone = layer.__class__.from_config(config)
        self.copies.append((layer, clone))
        self.after[id(clone)] = self._made(layer, self._name(layer))
        return clone

    def _made(self, site, name):
        new = self.make(name)
        setattr(new, _sites.SOURCE, self.site_ids[id(site)])
        return new

    def _name(self, layer):
        name, n = f"{layer.name}_activation", 1
        while name in self.taken:
            n += 1
            name = f"{layer.name}_activation_{n}"
        self.taken.add(name)
        return name

    def _call(self, layer, *args, **kwargs):
        out = layer(*args, **kwargs)
        if id(layer) in self.after:
            out = self.after[id(layer)](out)
        return out

    def _sequential(self, model):
        new_layers = []
        try:
            inputs = model.inputs
        except (AttributeError, ValueError):
            inputs = None
        if inputs:
            (spec,) = inputs
            new_layers.append(
                keras.Input(batch_shape=spec.shape, dtype=spec.dtype)
            )
        for layer in model.layers:
            clone = self._clone(layer)
            new_layers.append(clone)
            if id(clone) in self.after:
                new_layers.append(self.after[id(clone)])
        return keras.Sequential(
            new_layers, name=model.name, trainable=model.trainable
        )
