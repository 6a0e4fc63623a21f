"""The monitor callbacks a suite asks for, and their rows' layer depth."""

from reluplug import callbacks


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
    quantity, in the model's layer order."""
    order = {layer.name: i for i, layer in enumerate(model.layers)}
    depth = {}
    for quantity in {r["quantity"] for r in rows}:
        layers = {r["layer"] for r in rows if r["quantity"] == quantity}
        ranked = sorted(layers, key=lambda n: (order.get(n, len(order)), n))
        for i, name in enumerate(ranked, start=1):
            depth[(quantity, name)] = i
    return [
        {
            "epoch": r["epoch"],
            "quantity": r["quantity"],
            "layer": r["layer"],
            "depth": depth[(r["quantity"], r["layer"])],
            "value": r["value"],
        }
        for r in rows
    ]
