"""Small Keras models shared by the monitor tests (callbacks and runner)."""

import keras


def nested_cnn():
    """Nested Sequential conv block (BatchNorm, Dropout, fused relu) inside
    a functional CNN with a softmax read-out, for 8x8x1 inputs.

    Returns ``(model, block)``; the block's layers keep Keras' automatic
    names, so tests read them from ``block.layers``.
    """
    keras.utils.set_random_seed(0)
    block = keras.Sequential(
        [
            keras.Input((8, 8, 1)),
            keras.layers.Conv2D(4, 3, padding="same", activation="relu"),
            keras.layers.BatchNormalization(),
            keras.layers.Conv2D(4, 3, padding="same", activation="relu"),
            keras.layers.Dropout(0.1),
        ],
        name="block",
    )
    inputs = keras.Input((8, 8, 1))
    h = keras.layers.Conv2D(4, 3, activation="relu", name="conv3")(
        block(inputs)
    )
    h = keras.layers.Flatten(name="flat")(h)
    h = keras.layers.Dense(8, activation="relu", name="fc")(h)
    out = keras.layers.Dense(10, activation="softmax", name="readout")(h)
    return keras.Model(inputs, out, name="cnn"), block
