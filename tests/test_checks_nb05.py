"""Checks of notebook 05: correct answers written several ways pass; typical mistakes fail
with a hint. Trained models are short runs on the fast-mode sample."""

from __future__ import annotations

import numpy as np
import pytest

from mnist_course.checks import NotAttempted
from mnist_course.checks import nb05 as check

keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")
from keras import layers  # noqa: E402

from checking import fails, passes

pytestmark = pytest.mark.usefixtures("fast_mode")


@pytest.fixture(scope="module")
def fast_mode():
    """The checks compare with the fast-mode sample; the tests train on it too."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MNIST_COURSE_FAST", "1")
        yield


@pytest.fixture(scope="module")
def data(fast_mode):
    from mnist_course.data import course_data

    course = course_data()
    (x_train, y_train), (x_test, y_test) = course.train, course.test
    return {
        "x_train": x_train.astype("float32") / 255, "x_test": x_test.astype("float32") / 255,
        "x_train_4d": (x_train.astype("float32") / 255)[..., None],
        "x_test_4d": (x_test.astype("float32") / 255)[..., None],
        "y_train": y_train, "y_test": y_test,
        "y_train_onehot": keras.utils.to_categorical(y_train, 10),
        "y_test_onehot": keras.utils.to_categorical(y_test, 10),
    }


def build_cnn(optimizer="adam"):
    model = keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(32, (3, 3), activation="relu"),
        layers.MaxPooling2D((2, 2)),
        layers.Flatten(),
        layers.Dropout(0.5),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer=optimizer, loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def build_cnn_with_hidden_layer(optimizer):
    model = keras.Sequential()
    model.add(keras.Input(shape=(28, 28, 1)))
    model.add(layers.Conv2D(filters=32, kernel_size=3, activation="relu"))
    model.add(layers.MaxPooling2D(pool_size=2))
    model.add(layers.Flatten())
    model.add(layers.Dense(100, activation="relu"))
    model.add(layers.Dropout(0.25))
    model.add(layers.Dense(10, activation="softmax"))
    model.compile(optimizer=optimizer, loss=keras.losses.CategoricalCrossentropy(),
                  metrics=[keras.metrics.CategoricalAccuracy()])
    return model


def variant(conv=None, pool=None, head=None, input_shape=(28, 28, 1), loss="categorical_crossentropy",
            metrics=("accuracy",)):
    """A function like build_cnn with one part swapped."""
    def build(optimizer="adam"):
        stack = [keras.Input(shape=input_shape),
                 conv or layers.Conv2D(32, (3, 3), activation="relu"),
                 pool or layers.MaxPooling2D((2, 2))]
        stack += head() if head else [layers.Flatten(), layers.Dropout(0.5),
                                      layers.Dense(10, activation="softmax")]
        model = keras.Sequential(stack)
        model.compile(optimizer=optimizer, loss=loss, metrics=list(metrics))
        return model
    return build


def train(data, model, epochs=10, batch_size=32, limit=None):
    from mnist_course import mode

    keras.utils.set_random_seed(42)
    x, y = data["x_train_4d"], data["y_train_onehot"]
    if limit:
        x, y = x[:limit], y[:limit]
    return model.fit(x, y, batch_size=batch_size, epochs=mode.epochs(epochs), verbose=0)


def measured_accuracy(data, history):
    return float(np.mean(history.model.predict(data["x_test_4d"], verbose=0).argmax(-1) == data["y_test"]))


@pytest.fixture(scope="module")
def runs(data):
    keras.utils.set_random_seed(42)
    return {
        "sgd": train(data, build_cnn(keras.optimizers.SGD(learning_rate=0.01))),
        "adam": train(data, build_cnn(keras.optimizers.Adam(learning_rate=0.001))),
    }


@pytest.mark.parametrize("function, nargs", [(check.exercise_5_1, 2), (check.exercise_5_2, 3),
                                              (check.exercise_5_3, 1), (check.exercise_5_4, 4),
                                              (check.exercise_5_5, 4), (check.exercise_5_6, 3),
                                              (check.exercise_5_7, 2)])
def test_unfilled_exercises_are_not_attempted(function, nargs):
    with pytest.raises(NotAttempted, match="not attempted yet"):
        function(*([None] * nargs))


# 5.1 -------------------------------------------------------------------------------------

def test_channel_axis_many_ways(data, capsys):
    x_train, x_test = data["x_train"], data["x_test"]
    passes(capsys, check.exercise_5_1, np.expand_dims(x_train, -1), np.expand_dims(x_test, axis=3))
    passes(capsys, check.exercise_5_1, x_train[..., None], x_test[:, :, :, np.newaxis])
    passes(capsys, check.exercise_5_1, x_train.reshape(-1, 28, 28, 1), x_test.reshape(len(x_test), 28, 28, 1))
    passes(capsys, check.exercise_5_1, tf.expand_dims(x_train, -1), x_test.astype(np.float64)[..., None])


def test_channel_axis_mistakes(data):
    x_train, x_test = data["x_train"], data["x_test"]
    good_train, good_test = x_train[..., None], x_test[..., None]
    message = fails(check.exercise_5_1, x_train[:, None], x_test[:, None], hint="channels_last")
    assert "channel axis is first" in message
    fails(check.exercise_5_1, x_train, x_test, hint="axis of length 1 at the end")
    fails(check.exercise_5_1, x_train.reshape(-1, 784), good_test, hint="28x28 layout")
    fails(check.exercise_5_1, good_train, x_test, hint="axis of length 1 at the end")
    fails(check.exercise_5_1, good_test, good_train, hint="x_train_scaled")
    fails(check.exercise_5_1, good_train * 255, good_test * 255, hint="scaled images")
    fails(check.exercise_5_1, np.transpose(x_train, (0, 2, 1))[..., None], good_test, hint="keep the values")


# 5.2 -------------------------------------------------------------------------------------

def test_shapes_by_hand_many_ways(capsys):
    passes(capsys, check.exercise_5_2, (26, 26, 32), (13, 13, 32), 5408)
    passes(capsys, check.exercise_5_2, [28 - 3 + 1, 28 - 3 + 1, 32], np.array([13, 13, 32]), np.int64(13 * 13 * 32))
    passes(capsys, check.exercise_5_2, (None, 26, 26, 32), tf.TensorShape([None, 13, 13, 32]), (5408,))
    passes(capsys, check.exercise_5_2, (26, 26, 32), (13, 13, 32), 5408.0)


def test_shapes_by_hand_mistakes():
    fails(check.exercise_5_2, (28, 28, 32), (14, 14, 32), 6272, hint="kernel size minus one")
    fails(check.exercise_5_2, (26, 26), (13, 13), 169, hint="last axis counts the filters")
    fails(check.exercise_5_2, (32, 26, 26), (32, 13, 13), 5408, hint="channels_last")
    fails(check.exercise_5_2, (26, 26, 1), (13, 13, 1), 169, hint="one channel per filter")
    fails(check.exercise_5_2, (26, 26, 32), (13, 13, 16), 2704, hint="keeps the number of channels")
    fails(check.exercise_5_2, (26, 26, 32), (14, 14, 32), 6272, hint="halve conv_shape")
    fails(check.exercise_5_2, (26, 26, 32), (26, 26, 32), 21632, hint="halves height and width")
    fails(check.exercise_5_2, (26, 26, 32), (13, 13, 32), 169, hint="number of channels")
    fails(check.exercise_5_2, (26, 26, 32), (13, 13, 32), 21632, hint="after the pooling")
    fails(check.exercise_5_2, (26, 26, 32), (13, 13, 32), 784, hint="multiply the three numbers")
    fails(check.exercise_5_2, (26, 26, 32), (13, 13, 32), 5407.5, hint="whole number")
    fails(check.exercise_5_2, "26x26x32", (13, 13, 32), 5408, hint="tuple of whole numbers")


# 5.3 -------------------------------------------------------------------------------------

def test_network_many_ways(capsys):
    passes(capsys, check.exercise_5_3, build_cnn)
    passes(capsys, check.exercise_5_3, build_cnn_with_hidden_layer)
    passes(capsys, check.exercise_5_3, variant(head=lambda: [layers.Dropout(0.25), layers.Flatten(),
                                                             layers.Dense(10, activation="softmax")]))
    passes(capsys, check.exercise_5_3, variant(head=lambda: [layers.Flatten(), layers.Dropout(0.3),
                                                             layers.Dense(128, activation="relu"),
                                                             layers.Dense(10, activation="softmax")]))


def test_network_mistakes():
    fails(check.exercise_5_3, build_cnn(), hint="def build_cnn")
    fails(check.exercise_5_3, lambda: build_cnn(), hint="takes one argument")
    fails(check.exercise_5_3, lambda optimizer: build_cnn("sgd"), hint="optimizer=optimizer")
    fails(check.exercise_5_3, lambda optimizer: None, hint="return model")
    fails(check.exercise_5_3, variant(input_shape=(1, 28, 28),
                                      conv=layers.Conv2D(32, (3, 3), activation="relu",
                                                         data_format="channels_first")),
          hint="channels_last")
    fails(check.exercise_5_3, variant(conv=layers.Conv2D(32, (3, 3), activation="relu", padding="same")),
          hint="padding")
    fails(check.exercise_5_3, variant(conv=layers.Conv2D(32, (5, 5), activation="relu")), hint="3x3 kernel")
    fails(check.exercise_5_3, variant(conv=layers.Conv2D(32, (3, 3))), hint="activation='relu'")
    fails(check.exercise_5_3, variant(conv=layers.Conv2D(16, (3, 3), activation="relu")), hint="32 filters")
    fails(check.exercise_5_3, variant(pool=layers.MaxPooling2D((3, 3))), hint="MaxPooling2D\\(\\(2, 2\\)\\)")
    fails(check.exercise_5_3, variant(pool=layers.AveragePooling2D((2, 2))), hint="MaxPooling2D")
    fails(check.exercise_5_3, variant(head=lambda: [layers.Dropout(0.5), layers.Dense(10, activation="softmax")]),
          hint="Flatten")
    fails(check.exercise_5_3, variant(head=lambda: [layers.Flatten(), layers.Dense(10, activation="softmax")]),
          hint="Dropout")
    fails(check.exercise_5_3, variant(head=lambda: [layers.Flatten(), layers.Dropout(0.5), layers.Dense(10)]),
          hint="softmax")
    fails(check.exercise_5_3, variant(loss="sparse_categorical_crossentropy"), hint="one-hot")
    fails(check.exercise_5_3, variant(loss="mse"), hint="categorical_crossentropy")
    fails(check.exercise_5_3, variant(metrics=()), hint="metrics=\\['accuracy'\\]")
    shared = build_cnn()
    fails(check.exercise_5_3, lambda optimizer: shared, hint="optimizer=optimizer|new model")


# 5.4 -------------------------------------------------------------------------------------

def test_training_many_ways(data, runs, capsys):
    sgd, adam = runs["sgd"], runs["adam"]
    passes(capsys, check.exercise_5_4, sgd, adam, measured_accuracy(data, sgd), measured_accuracy(data, adam))
    _, sgd_accuracy = sgd.model.evaluate(data["x_test_4d"], data["y_test_onehot"], verbose=0)
    evaluated = adam.model.evaluate(data["x_test_4d"], data["y_test_onehot"], verbose=0, return_dict=True)
    passes(capsys, check.exercise_5_4, sgd, adam, sgd_accuracy, np.float32(evaluated["accuracy"]))


def test_training_mistakes(data, runs, monkeypatch):
    sgd, adam = runs["sgd"], runs["adam"]
    sgd_accuracy, adam_accuracy = measured_accuracy(data, sgd), measured_accuracy(data, adam)
    fails(check.exercise_5_4, adam, sgd, adam_accuracy, sgd_accuracy, hint="keras.optimizers.SGD")
    fails(check.exercise_5_4, sgd, sgd, sgd_accuracy, sgd_accuracy, hint="keras.optimizers.Adam")
    fails(check.exercise_5_4, sgd, adam, sgd_accuracy * 100, adam_accuracy, hint="fractions")
    fails(check.exercise_5_4, sgd, adam, sgd_accuracy, [0.2, adam_accuracy], hint="second one")
    fails(check.exercise_5_4, sgd, adam, adam_accuracy, sgd_accuracy, hint="Evaluate that model")
    fails(check.exercise_5_4, sgd.model, adam, sgd_accuracy, adam_accuracy, hint="fit returns")
    momentum = train(data, build_cnn(keras.optimizers.SGD(learning_rate=0.01, momentum=0.9)), limit=64)
    fails(check.exercise_5_4, momentum, adam, 0.5, adam_accuracy, hint="plain SGD")
    fast_sgd = train(data, build_cnn(keras.optimizers.SGD(learning_rate=0.1)), limit=64)
    fails(check.exercise_5_4, fast_sgd, adam, 0.5, adam_accuracy, hint="learning_rate=0.01")
    one_epoch = train(data, build_cnn(keras.optimizers.SGD(learning_rate=0.01)), epochs=1, limit=64)
    fails(check.exercise_5_4, one_epoch, adam, 0.5, adam_accuracy, hint="num_epochs = 10")
    big_batches = train(data, build_cnn(keras.optimizers.SGD(learning_rate=0.01)), batch_size=128, limit=640)
    fails(check.exercise_5_4, big_batches, adam, 0.5, adam_accuracy, hint="batch_size = 32")
    monkeypatch.setattr(check, "_fast", lambda: False)
    fails(check.exercise_5_4, sgd, adam, sgd_accuracy, adam_accuracy, hint="settings above the fit")


# 5.5 -------------------------------------------------------------------------------------

def test_prediction_many_ways(data, runs, capsys):
    model = runs["adam"].model
    index = 17
    probabilities = model.predict(data["x_test_4d"][index:index + 1], verbose=0)
    passes(capsys, check.exercise_5_5, model, index, probabilities[0], int(probabilities.argmax()))
    passes(capsys, check.exercise_5_5, model, np.int64(index), probabilities, probabilities.argmax(-1))
    tensor = model(data["x_test_4d"][index][None], training=False)
    passes(capsys, check.exercise_5_5, model, index, tensor, tf.argmax(tensor, axis=-1)[0])


def test_prediction_mistakes(data, runs):
    model = runs["adam"].model
    x_test_4d, y_test = data["x_test_4d"], data["y_test"]
    probabilities = model.predict(x_test_4d, verbose=0)
    wrong = int(np.flatnonzero(probabilities.argmax(-1) != y_test)[0])
    right = int(np.flatnonzero(probabilities.argmax(-1) == y_test)[0])
    p = probabilities[right]
    fails(check.exercise_5_5, model, right, p, float(p.max()), hint="argmax, not max")
    fails(check.exercise_5_5, model, right, p[None], p[None].argmax(axis=0), hint="last axis")
    fails(check.exercise_5_5, model, right, probabilities[right + 1], int(p.argmax()), hint="x_test_4d\\[index:index \\+ 1\\]")
    fails(check.exercise_5_5, model, right, probabilities[:2], 1, hint="batch of one")
    fails(check.exercise_5_5, model, wrong, probabilities[wrong], int(y_test[wrong]), hint="argmax of the probabilities")
    message = fails(check.exercise_5_5, model, wrong, probabilities[wrong], int(y_test[wrong]), hint="argmax")
    assert "true label" in message
    fails(check.exercise_5_5, model, right, p, (int(p.argmax()) + 1) % 10, hint="argmax")


# 5.6 -------------------------------------------------------------------------------------

def test_feature_maps_many_ways(data, runs, capsys):
    model = runs["adam"].model
    image = data["x_test_4d"][5]
    extractor = keras.Model(inputs=model.inputs, outputs=model.layers[0].output)
    passes(capsys, check.exercise_5_6, model, image, extractor.predict(image[None], verbose=0))
    passes(capsys, check.exercise_5_6, model, image[..., 0], model.layers[0](image[None])[0])
    extractor = keras.Model(model.inputs[0], model.get_layer(index=0).output)
    passes(capsys, check.exercise_5_6, model, image[None], extractor(image[None]).numpy()[0])


def test_feature_maps_mistakes(data, runs):
    model = runs["adam"].model
    images = data["x_test_4d"]
    image = images[5]
    extractor = keras.Model(inputs=model.inputs, outputs=model.layers[0].output)
    maps = extractor.predict(image[None], verbose=0)
    fails(check.exercise_5_6, model, image, np.moveaxis(maps[0], -1, 0), hint="channels last")
    pooled = keras.Model(inputs=model.inputs, outputs=model.layers[1].output).predict(image[None], verbose=0)
    fails(check.exercise_5_6, model, image, pooled, hint="model.layers\\[0\\]")
    fails(check.exercise_5_6, model, image, model.predict(image[None], verbose=0), hint="ends at the first layer")
    fails(check.exercise_5_6, model, image, extractor.predict(images[6:7], verbose=0), hint="trained model")
    untrained = build_cnn()
    fails(check.exercise_5_6, model, image, untrained.layers[0](image[None]), hint="trained model")
    fails(check.exercise_5_6, model, images[:2], maps, hint="one test image")


# 5.7 -------------------------------------------------------------------------------------

def deeper(second_filters=64, padding="valid", blocks=2, head=None):
    stack = [keras.Input(shape=(28, 28, 1))]
    for block in range(blocks):
        stack += [layers.Conv2D(32 if block == 0 else second_filters, (3, 3), activation="relu", padding=padding),
                  layers.MaxPooling2D((2, 2))]
    stack += head() if head else [layers.Flatten(), layers.Dropout(0.5), layers.Dense(10, activation="softmax")]
    model = keras.Sequential(stack)
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


@pytest.fixture(scope="module")
def deeper_run(data):
    return train(data, deeper(), batch_size=64)


def test_deeper_many_ways(data, deeper_run, capsys, monkeypatch):
    passes(capsys, check.exercise_5_7, deeper_run, measured_accuracy(data, deeper_run))
    other = train(data, deeper(second_filters=32, head=lambda: [
        layers.Flatten(), layers.Dense(64, activation="relu"), layers.Dropout(0.3),
        layers.Dense(10, activation="softmax")]), batch_size=64)
    passes(capsys, check.exercise_5_7, other, np.float64(measured_accuracy(data, other)))
    monkeypatch.setattr(check, "DEEPER_BAR", 0.5)
    monkeypatch.setattr(check, "_fast", lambda: False)
    passes(capsys, check.exercise_5_7, deeper_run, measured_accuracy(data, deeper_run))


def test_deeper_mistakes(data, runs, deeper_run, monkeypatch):
    adam = runs["adam"]
    fails(check.exercise_5_7, adam, measured_accuracy(data, adam), hint="2 convolution/pooling blocks")
    three = train(data, deeper(blocks=3), limit=64)
    fails(check.exercise_5_7, three, 0.5, hint="2 convolution/pooling blocks")
    same = train(data, deeper(padding="same"), limit=64)
    fails(check.exercise_5_7, same, 0.5, hint="padding")
    accuracy = measured_accuracy(data, deeper_run)
    fails(check.exercise_5_7, deeper_run, accuracy - 0.05, hint="Evaluate that model")
    monkeypatch.setattr(check, "_fast", lambda: False)
    fails(check.exercise_5_7, deeper_run, accuracy, hint="Adam")
