"""The monitor callbacks a suite asks for, and their rows' layer depth."""

from reluplug import callbacks
from reluplug.callbacks import _sites


def make_monitors(spec, splits):
    """The monitor callbacks ``spec.monitors`` asks for (maybe none)."""
    m = spec.monitors
    out = []
    if m.dead_units:
        out.append(
            callbacks.DeadUnitMonitor(
                splits.x_train[: m.max_samples],
                every_n_epochs=m.every_n_epochs,
                max_samples=m.max_samples,
                saturation_eps=m.saturation_eps,
                revive=m.revive,
                on_no_sites="skip",  # e.g. a custom activation
            )
        )
    if m.gradient_flow:
        batch = spec.training.batch_size
        out.append(
            callbacks.GradientFlowMonitor(
                (splits.x_train[:batch], splits.y_train[:batch]),
                every_n_epochs=m.every_n_epochs,
            )
        )
    return out


def with_depth(rows, model):
    """Adds ``depth`` to monitor rows: the layer's 1-based rank, per
    quantity, in data-flow order (nested models entered), and names each
    row's layer by its user path (``block/conv2d``; for an activation that
    ``swap_activations`` put in, the site it replaced): one discovery,
    ``reluplug.callbacks._sites.locate``, shared with the monitors."""
    try:
        located = _sites.locate(model)
    except ValueError:  # subclassed: its direct layers only
        located = [_sites.Located(la, la.name, la.name) for la in model.layers]
    order = {site.name: (i, site.path) for i, site in enumerate(located)}
    depth = {}
    for quantity in {r["quantity"] for r in rows}:
        layers = {r["layer"] for r in rows if r["quantity"] == quantity}
        ranked = sorted(
            layers, key=lambda n: (order.get(n, (len(order),))[0], n)
        )
        for i, name in enumerate(ranked, start=1):
            depth[(quantity, name)] = i
    return [
        {
            "epoch": r["epoch"],
            "quantity": r["quantity"],
            "layer": order.get(r["layer"], (0, r["layer"]))[1],
            "depth": depth[(r["quantity"], r["layer"])],
            "value": r["value"],
        }
        for r in rows
    ]
