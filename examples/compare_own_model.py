"""Which activation is best for *my* model, on *my* data?

A small functional Keras model on scikit-learn's digits (real 8x8 images,
offline) stands in for yours. ``reluplug.bench.compare`` trains it once per
activation and seed, from identical initial weights, and reports the test
accuracy with 95% confidence intervals and paired tests against ReLU.

Run (12 trainings, about a minute of CPU time)::

    python examples/compare_own_model.py --out runs/own_model

and open ``runs/own_model/report.html``. Run it again to resume.
"""

import argparse

import keras
from sklearn.datasets import load_digits

import reluplug
from reluplug.bench import compare


def my_model():
    """Your model: any functional or Sequential Keras model."""
    inputs = keras.Input((8, 8, 1))
    h = keras.layers.Conv2D(8, 3, padding="same", activation="relu")(inputs)
    h = keras.layers.MaxPooling2D(2)(h)
    h = keras.layers.Flatten()(h)
    h = keras.layers.Dense(32, activation="relu")(h)
    outputs = keras.layers.Dense(10, activation="softmax")(h)
    return keras.Model(inputs, outputs, name="my_cnn")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default="runs/own_model")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument(
        "--activations",
        nargs="+",
        default=["relu", "leaky_relu", "prelu", "elu"],
    )
    args = parser.parse_args(argv)

    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).reshape(-1, 8, 8, 1).astype("float32")
    model = my_model()

    # One model, another activation: the ReLU sites become PReLU layers.
    prelu_model = reluplug.swap_activations(model, "prelu")
    print("PReLU version:", [layer.name for layer in prelu_model.layers])

    result = compare(
        model,
        (x, y),
        args.activations,
        seeds=list(range(args.seeds)),
        out=args.out,
        epochs=args.epochs,
        early_stopping={"patience": 3},
    )
    columns = [
        "activation",
        "mean",
        "ci_low",
        "ci_high",
        "diff_mean",
        "t_pvalue",
    ]
    print(result.summary[columns].to_string(index=False))
    print("Report:", result.report())


if __name__ == "__main__":
    main()
