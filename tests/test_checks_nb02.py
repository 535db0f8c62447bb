"""Checks of notebook 02: correct answers written several ways pass; typical mistakes fail
with a hint that points at the mistake, never at the answer."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest

from mnist_course.checks import NotAttempted
from mnist_course.checks import nb02 as check

from checking import fails, passes

keras = pytest.importorskip("keras")
layers = keras.layers


@pytest.fixture(scope="module")
def arrays(course_data):
    (x_train, y_train), (x_test, y_test) = course_data.train, course_data.test
    return x_train, y_train, x_test, y_test


@pytest.fixture(scope="module")
def prepared(arrays):
    x_train, y_train, x_test, y_test = arrays
    return (x_train.reshape(-1, 784).astype("float32") / 255, np.eye(10)[y_train],
            x_test.reshape(-1, 784).astype("float32") / 255, np.eye(10)[y_test])


def logistic_regression(learning_rate=0.01, *, optimizer=None, loss="categorical_crossentropy",
                        metrics=("accuracy",), activation="softmax", seed=0):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input(shape=(784,)), layers.Dense(10, activation=activation)])
    model.compile(optimizer=optimizer or keras.optimizers.SGD(learning_rate=learning_rate),
                  loss=loss, metrics=list(metrics))
    return model


def fake_history(epochs, steps, *, validation=False, losses=None):
    logs = {"loss": losses or list(np.linspace(1.0, 0.5, epochs)),
            "accuracy": list(np.linspace(0.8, 0.9, epochs))}
    if validation:
        logs["val_loss"] = list(np.linspace(1.0, 0.6, epochs))
        logs["val_accuracy"] = list(np.linspace(0.8, 0.88, epochs))
    return SimpleNamespace(history=logs, params={"epochs": epochs, "steps": steps, "verbose": 0})


@pytest.fixture(scope="module")
def baseline(prepared):
    """The model of Exercise 2.7, trained as the notebook does (fast mode: 2 epochs)."""
    from mnist_course import mode

    x_train, y_train, x_test, y_test = prepared
    model = logistic_regression(0.01)
    history = model.fit(x_train, y_train, batch_size=32, epochs=mode.epochs(20), verbose=0)
    return model, history, model.evaluate(x_test, y_test, verbose=0)


@pytest.fixture(scope="module")
def final(prepared):
    """The final model of Exercise 2.9 (learning rate 0.1)."""
    from mnist_course import mode

    x_train, y_train, x_test, y_test = prepared
    model = logistic_regression(0.1)
    history = model.fit(x_train, y_train, batch_size=32, epochs=mode.epochs(20), verbose=0)
    return model, history, model.evaluate(x_test, y_test, verbose=0)[1]


@pytest.mark.parametrize("function, nargs", [
    (check.exercise_2_1, 2), (check.exercise_2_2, 2), (check.exercise_2_3, 1), (check.exercise_2_4, 2),
    (check.exercise_2_5, 2), (check.exercise_2_6, 1), (check.exercise_2_7, 3), (check.exercise_2_8, 2),
    (check.exercise_2_9, 4)])
def test_unfilled_exercises_are_not_attempted(function, nargs):
    with pytest.raises(NotAttempted, match="not attempted yet"):
        function(*([None] * nargs))


def test_unfilled_prediction_exercises_are_not_attempted():
    with pytest.raises(NotAttempted):
        check.exercise_2_10(None, None, 0, None)
    with pytest.raises(NotAttempted):
        check.exercise_2_11(None, None)


def stub(*args):
    raise NotImplementedError()


def test_functions_still_holding_the_stub_are_not_attempted(final):
    with pytest.raises(NotAttempted, match="softmax still raises NotImplementedError"):
        check.exercise_2_3(stub)
    model, history, accuracy = final
    with pytest.raises(NotAttempted, match="build_logistic_regression"):
        check.exercise_2_9(stub, model, history, accuracy)


# 2.1 -------------------------------------------------------------------------------------

def test_flatten_and_scale_many_ways(arrays, capsys):
    x_train, _, x_test, _ = arrays
    passes(capsys, check.exercise_2_1, x_train.reshape(-1, 784) / 255, x_test.reshape(-1, 784) / 255)
    passes(capsys, check.exercise_2_1, x_train.reshape(len(x_train), -1).astype("float32") / 255,
           x_test.reshape(x_test.shape[0], 28 * 28).astype("float32") / 255.0)
    passes(capsys, check.exercise_2_1, (x_train / 255).reshape(-1, 784), np.divide(x_test, 255).reshape(-1, 784))
    tf = pytest.importorskip("tensorflow")
    passes(capsys, check.exercise_2_1, tf.reshape(tf.cast(x_train, tf.float32) / 255, (-1, 784)),
           x_test.reshape(-1, 784) / 255)


def test_flatten_and_scale_mistakes(arrays):
    x_train, _, x_test, _ = arrays
    flat_train, flat_test = x_train.reshape(-1, 784), x_test.reshape(-1, 784)
    fails(check.exercise_2_1, flat_train, flat_test / 255, hint="Divide the pixels by 255")
    fails(check.exercise_2_1, flat_train / 255 / 255, flat_test / 255, hint="once")
    fails(check.exercise_2_1, flat_train // 255, flat_test / 255, hint="true division")
    fails(check.exercise_2_1, (flat_train / 255).astype(np.uint8), flat_test / 255, hint="true division")
    standardised = (flat_train - flat_train.mean()) / flat_train.std()
    fails(check.exercise_2_1, standardised, flat_test / 255, hint="notebook 04")
    fails(check.exercise_2_1, x_train / 255, flat_test / 255, hint="Flatten")
    fails(check.exercise_2_1, flat_train.T / 255, flat_test / 255, hint="one image per row")
    fails(check.exercise_2_1, x_train.ravel() / 255, flat_test / 255, hint="one row per image")
    fails(check.exercise_2_1, flat_test / 255, flat_train / 255, hint="its own images")
    fails(check.exercise_2_1, x_train.reshape(-1, 784, order="F") / 255, flat_test / 255,
          hint="pixel order")
    fails(check.exercise_2_1, flat_train / 255, flat_test, hint="x_test_flat .*not scaled|Divide")


# 2.2 -------------------------------------------------------------------------------------

def test_one_hot_many_ways(arrays, capsys):
    _, y_train, _, y_test = arrays
    passes(capsys, check.exercise_2_2, np.eye(10)[y_train], np.eye(10, dtype=np.float32)[y_test])
    filled = np.zeros((len(y_train), 10), dtype=int)
    filled[np.arange(len(y_train)), y_train] = 1
    passes(capsys, check.exercise_2_2, filled, (y_test[:, None] == np.arange(10)).astype(float))
    passes(capsys, check.exercise_2_2, keras.utils.to_categorical(y_train, 10),
           keras.utils.to_categorical(y_test, num_classes=10))


def test_one_hot_mistakes(arrays):
    _, y_train, _, y_test = arrays
    good_test = np.eye(10)[y_test]
    message = fails(check.exercise_2_2, np.eye(11)[y_train], good_test, hint="ten classes")
    assert "11 columns" in message
    fails(check.exercise_2_2, keras.utils.to_categorical(y_train, 12), good_test, hint="ten classes")
    fails(check.exercise_2_2, np.eye(10)[y_train].T, good_test, hint="one image per row")
    fails(check.exercise_2_2, y_train, good_test, hint="row of 10 numbers")
    fails(check.exercise_2_2, np.eye(10)[(y_train - 1) % 10], good_test, hint="digit 0 in the first column")
    wrong = np.zeros((len(y_train), 10))
    wrong[:, y_train] = 1
    fails(check.exercise_2_2, wrong, good_test, hint="single 1|np.arange")
    fails(check.exercise_2_2, good_test, np.eye(10)[y_train], hint="its own labels")
    fails(check.exercise_2_2, np.eye(10)[np.roll(y_train, 1)], good_test, hint="column y\\[i\\]")


# 2.3 -------------------------------------------------------------------------------------

def stable(scores):
    shifted = scores - scores.max(axis=-1, keepdims=True)
    return np.exp(shifted) / np.exp(shifted).sum(axis=-1, keepdims=True)


def via_logsumexp(scores):
    top = np.max(scores, axis=-1, keepdims=True)
    log_total = top + np.log(np.sum(np.exp(scores - top), axis=-1, keepdims=True))
    return np.exp(scores - log_total)


def test_softmax_many_ways(capsys):
    passes(capsys, check.exercise_2_3, stable)
    passes(capsys, check.exercise_2_3, via_logsumexp)
    passes(capsys, check.exercise_2_3, lambda s: keras.ops.softmax(s, axis=-1))
    scipy_special = pytest.importorskip("scipy.special")
    passes(capsys, check.exercise_2_3, lambda s: scipy_special.softmax(s, axis=-1))


def naive(scores):
    return np.exp(scores) / np.exp(scores).sum(axis=-1, keepdims=True)


def global_max(scores):
    shifted = scores - scores.max()
    return np.exp(shifted) / np.exp(shifted).sum(axis=-1, keepdims=True)


def without_keepdims(scores):
    shifted = (scores.T - scores.max(axis=-1)).T if scores.ndim == 1 else scores - scores.max(axis=-1)
    return np.exp(shifted) / np.exp(shifted).sum(axis=-1)


def whole_array(scores):
    shifted = scores - scores.max()
    return np.exp(shifted) / np.exp(shifted).sum()


def columns(scores):
    shifted = scores - scores.max(axis=0, keepdims=True)
    return np.exp(shifted) / np.exp(shifted).sum(axis=0, keepdims=True)


def in_place(scores):
    scores -= scores.max(axis=-1, keepdims=True)
    return np.exp(scores) / np.exp(scores).sum(axis=-1, keepdims=True)


def test_softmax_mistakes():
    fails(check.exercise_2_3, naive, hint="overflows")
    fails(check.exercise_2_3, global_max, hint="each row's own largest")
    fails(check.exercise_2_3, without_keepdims, hint="keepdims")
    fails(check.exercise_2_3, whole_array, hint="Each row")
    fails(check.exercise_2_3, columns, hint="last axis")
    fails(check.exercise_2_3, in_place, hint="in place")
    fails(check.exercise_2_3, lambda s: np.exp(s), hint="sum")
    fails(check.exercise_2_3, lambda s: np.exp(s - s.max()) / np.exp(s - s.max()).sum(axis=1),
          hint="same shape")
    fails(check.exercise_2_3, np.array([0.1, 0.9]), hint="def softmax")


# 2.4 -------------------------------------------------------------------------------------

def test_build_model_many_ways(capsys):
    passes(capsys, check.exercise_2_4, logistic_regression(), 784 * 10 + 10)
    keras.utils.set_random_seed(0)
    separate = keras.Sequential([keras.Input(shape=(784,)), layers.Dense(10), layers.Activation("softmax")])
    separate.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01),
                     loss=keras.losses.CategoricalCrossentropy(),
                     metrics=[keras.metrics.CategoricalAccuracy()])
    passes(capsys, check.exercise_2_4, separate, np.int64(7850))
    inputs = keras.Input(shape=(784,))
    functional = keras.Model(inputs, layers.Dense(10, activation=keras.activations.softmax)(inputs))
    functional.compile(optimizer=keras.optimizers.SGD(0.01), loss=keras.losses.categorical_crossentropy,
                       metrics=["acc"])
    passes(capsys, check.exercise_2_4, functional, functional.count_params())


def test_build_model_mistakes():
    keras.utils.set_random_seed(0)
    images = keras.Sequential([keras.Input(shape=(28, 28)), layers.Flatten(), layers.Dense(10, activation="softmax")])
    fails(check.exercise_2_4, images, 7850, hint="784-vector")
    fails(check.exercise_2_4, keras.Sequential([layers.Dense(10, activation="softmax")]), 7850,
          hint="keras.Input")
    fails(check.exercise_2_4, logistic_regression(activation="relu"), 7850, hint="softmax")
    fails(check.exercise_2_4, logistic_regression(activation=None), 7850, hint="softmax")
    hidden = keras.Sequential([keras.Input(shape=(784,)), layers.Dense(32, activation="relu"),
                               layers.Dense(10, activation="softmax")])
    fails(check.exercise_2_4, hidden, 7850, hint="notebook 03")
    nine = keras.Sequential([keras.Input(shape=(784,)), layers.Dense(9, activation="softmax")])
    fails(check.exercise_2_4, nine, 7850, hint="one output unit per class")
    uncompiled = keras.Sequential([keras.Input(shape=(784,)), layers.Dense(10, activation="softmax")])
    fails(check.exercise_2_4, uncompiled, 7850, hint="model.compile")
    fails(check.exercise_2_4, logistic_regression(loss="sparse_categorical_crossentropy"), 7850, hint="one-hot")
    fails(check.exercise_2_4, logistic_regression(loss="mse"), 7850, hint="categorical cross-entropy")
    fails(check.exercise_2_4, logistic_regression(loss=keras.losses.CategoricalCrossentropy(from_logits=True)),
          7850, hint="from_logits")
    fails(check.exercise_2_4, logistic_regression(optimizer=keras.optimizers.Adam()), 7850, hint="SGD")
    fails(check.exercise_2_4, logistic_regression(0.1), 7850, hint="learning_rate=0.01")
    fails(check.exercise_2_4, logistic_regression(metrics=()), 7850, hint="accuracy")
    fails(check.exercise_2_4, logistic_regression(), 7840, hint="bias")
    fails(check.exercise_2_4, logistic_regression(), 794, hint="every output unit")
    fails(check.exercise_2_4, logistic_regression(), 7850.5, hint="one bias per output")
    fails(check.exercise_2_4, logistic_regression(), [7840, 10], hint="single number|add them up")
    fails(check.exercise_2_4, logistic_regression, 7850, hint="Call it")


# 2.5 -------------------------------------------------------------------------------------

def test_initial_loss_many_ways(capsys, prepared):
    x_train, y_train, _, _ = prepared
    model = logistic_regression()
    initial = model.evaluate(x_train, y_train, verbose=0)
    passes(capsys, check.exercise_2_5, initial[0], -np.log(1 / 10))
    passes(capsys, check.exercise_2_5, float(initial[0]), math.log(10))
    passes(capsys, check.exercise_2_5, np.float32(2.36), np.log(10.0))


def test_initial_loss_mistakes():
    fails(check.exercise_2_5, 2.36, math.log10(10), hint="natural logarithm")
    fails(check.exercise_2_5, 2.36, math.log2(10), hint="natural logarithm")
    fails(check.exercise_2_5, 2.36, -math.log(10), hint="minus the log")
    fails(check.exercise_2_5, 2.36, 0.1, hint="minus the log of the probability")
    fails(check.exercise_2_5, 2.36, 2.0, hint="1/10")
    fails(check.exercise_2_5, 0.35, math.log(10), hint="before calling fit")
    fails(check.exercise_2_5, 95.3, math.log(10), hint="scaled images")
    fails(check.exercise_2_5, float("nan"), math.log(10), hint="scaled images")
    fails(check.exercise_2_5, [2.36, 0.1], math.log(10), hint="keep the first")


# 2.6 -------------------------------------------------------------------------------------

def test_steps_per_epoch_many_ways(arrays, capsys):
    count = len(arrays[0])
    passes(capsys, check.exercise_2_6, math.ceil(count / 32))
    passes(capsys, check.exercise_2_6, float(np.ceil(count / 32)))
    passes(capsys, check.exercise_2_6, -(-count // 32))


def test_steps_per_epoch_mistakes(arrays):
    count, tests = len(arrays[0]), len(arrays[2])
    if count % 32:  # the fast-mode sample does not divide evenly; the full set does
        fails(check.exercise_2_6, count / 32, hint="smaller batch")
        fails(check.exercise_2_6, count // 32, hint="Round up")
    fails(check.exercise_2_6, count * 32, hint="one batch of 32")
    fails(check.exercise_2_6, math.ceil(count / 32) * 20, hint="one epoch")
    fails(check.exercise_2_6, math.ceil(int(count * 0.9) / 32), hint="validation_split")
    fails(check.exercise_2_6, math.ceil(tests / 32), hint="training set")
    fails(check.exercise_2_6, 100, hint="batches of 32")
    fails(check.exercise_2_6, "1875", hint="one whole number")


# 2.7 -------------------------------------------------------------------------------------

def test_train_and_evaluate_many_ways(baseline, prepared, arrays, capsys):
    model, history, (test_loss, test_accuracy) = baseline
    passes(capsys, check.exercise_2_7, model, history, test_accuracy)
    _, _, x_test, _ = prepared
    by_hand = np.mean(model.predict(x_test, verbose=0).argmax(-1) == arrays[3])
    passes(capsys, check.exercise_2_7, model, history, by_hand)
    passes(capsys, check.exercise_2_7, model, history, np.float32(test_accuracy))


def test_train_and_evaluate_mistakes(baseline, arrays):
    from mnist_course import mode

    model, history, (test_loss, test_accuracy) = baseline
    fails(check.exercise_2_7, model, history, test_accuracy * 100, hint="fraction")
    fails(check.exercise_2_7, model, history, [test_loss, test_accuracy], hint="keep the second")
    fails(check.exercise_2_7, model, history, test_loss, hint="evaluate returns")
    fails(check.exercise_2_7, model, history, history.history["accuracy"][-1], hint="never saw")
    fails(check.exercise_2_7, model, {"loss": [1.0]}, test_accuracy, hint="history = model.fit")
    steps = math.ceil(len(arrays[0]) / 32)
    epochs = mode.epochs(20)
    fails(check.exercise_2_7, model, fake_history(epochs + 1, steps), test_accuracy, hint="num_epochs = 20")
    fails(check.exercise_2_7, model, fake_history(epochs, steps, validation=True), test_accuracy,
          hint="leave out validation_split")
    fails(check.exercise_2_7, model, fake_history(epochs, math.ceil(len(arrays[0]) / 64)), test_accuracy,
          hint="batch_size = 32")
    fails(check.exercise_2_7, model, fake_history(epochs, steps, losses=[2.5] * epochs), test_accuracy,
          hint="no better than guessing")
    fails(check.exercise_2_7, model, fake_history(epochs, steps, losses=[float("nan")] * epochs),
          test_accuracy, hint="scaled")
    untrained = logistic_regression()
    fails(check.exercise_2_7, untrained, fake_history(epochs, steps), 0.1, hint="at least")
    fails(check.exercise_2_7, logistic_regression(0.1), history, test_accuracy, hint="learning_rate=0.01")


def test_the_full_mode_bar_applies_on_the_full_data(baseline, monkeypatch):
    """A model trained 2 epochs on the fast sample is below the full-mode bar of 91 %."""
    from mnist_course.data import course_data

    monkeypatch.setenv("MNIST_COURSE_FAST", "0")
    full = course_data()
    model, _, _ = baseline
    message = fails(check.exercise_2_7, model, fake_history(20, math.ceil(len(full.train[0]) / 32)), 0.85,
                    hint="Rebuild the model")
    assert "on the full data" in message and "91%" in message


# 2.8 -------------------------------------------------------------------------------------

def test_compare_learning_rates_many_ways(capsys):
    table = {0.01: 0.91, 0.03: 0.925, 0.1: 0.935, 0.3: 0.933, 1.0: 0.908}
    passes(capsys, check.exercise_2_8, table, 0.1)
    passes(capsys, check.exercise_2_8, {rate: np.float32(value) for rate, value in table.items()}, np.float64(0.1))
    passes(capsys, check.exercise_2_8, {"0.01": 0.91, "0.1": 0.93, "1": 0.92}, max([0.1]))


def test_compare_learning_rates_mistakes():
    table = {0.01: 0.91, 0.03: 0.925, 0.1: 0.935, 1.0: 0.908}
    fails(check.exercise_2_8, list(table.values()), 0.1, hint="Map each learning rate")
    fails(check.exercise_2_8, {rate: 100 * value for rate, value in table.items()}, 0.1, hint="fractions")
    fails(check.exercise_2_8, {0.01: 0.35, 0.1: 0.25, 1.0: 0.3}, 0.1, hint="val_accuracy")
    fails(check.exercise_2_8, table, 1.0, hint="highest validation accuracy")
    fails(check.exercise_2_8, table, 0.03, hint="highest value")
    fails(check.exercise_2_8, table, 0.5, hint="rates you tried")
    fails(check.exercise_2_8, {0.01: 0.9, 0.1: 0.93}, 0.1, hint="at least three")
    fails(check.exercise_2_8, {0.001: 0.8, 0.003: 0.85, 0.005: 0.88}, 0.005, hint="larger ones")
    fails(check.exercise_2_8, {0.01: 0.9, 0.1: 0.93, 1.0: float("nan")}, 0.1, hint="val_accuracy")
    fails(check.exercise_2_8, table, [0.1], hint="one of the rates")


# 2.9 -------------------------------------------------------------------------------------

def build_final():
    model = keras.Sequential([keras.Input(shape=(784,)), layers.Dense(10, activation="softmax")])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def test_final_model_many_ways(final, capsys):
    model, history, accuracy = final
    passes(capsys, check.exercise_2_9, build_final, model, history, accuracy)
    passes(capsys, check.exercise_2_9, lambda: logistic_regression(0.3), model, history, np.float64(accuracy))


def test_final_model_mistakes(final, baseline, arrays):
    from mnist_course import mode

    model, history, accuracy = final
    fails(check.exercise_2_9, model, model, history, accuracy, hint="def build_logistic_regression")
    fails(check.exercise_2_9, lambda: model, model, history, accuracy, hint="new model")
    fails(check.exercise_2_9, lambda learning_rate: build_final(), model, history, accuracy,
          hint="needs no arguments")
    fails(check.exercise_2_9, lambda: logistic_regression(0.01), model, history, accuracy, hint="larger rate")
    fails(check.exercise_2_9, lambda: logistic_regression(optimizer=keras.optimizers.Adam()), model, history,
          accuracy, hint="plain SGD")
    fails(check.exercise_2_9, lambda: logistic_regression(0.1, activation="sigmoid"), model, history, accuracy,
          hint="softmax")
    fails(check.exercise_2_9, build_final, model, history, baseline[2][1], hint="does not match")
    steps = math.ceil(len(arrays[0]) / 32)
    message = fails(check.exercise_2_9, build_final, logistic_regression(0.1),
                    fake_history(mode.epochs(20), steps), 0.1, hint="next smaller one")
    assert "80%" in message


# 2.10 ------------------------------------------------------------------------------------

def test_predict_one_image_many_ways(final, prepared, capsys):
    model = final[0]
    x_test = prepared[2]
    index = 5
    row = model.predict(x_test[index:index + 1], verbose=0)
    passes(capsys, check.exercise_2_10, row[0], int(row.argmax()), index, model)
    passes(capsys, check.exercise_2_10, row, np.argmax(row, axis=-1)[0], index, model)
    passes(capsys, check.exercise_2_10, model(x_test[index][None]), row[0].tolist().index(row.max()), index, model)


def test_predict_one_image_mistakes(final, prepared, arrays):
    model = final[0]
    x_test = prepared[2]
    y_test = arrays[3]
    predictions = model.predict(x_test, verbose=0)
    wrong = int(np.flatnonzero(predictions.argmax(-1) != y_test)[0])
    row = predictions[wrong]
    fails(check.exercise_2_10, row, y_test[wrong], wrong, model, hint="model's answer")
    fails(check.exercise_2_10, row, row.max(), wrong, model, hint="argmax, not max")
    fails(check.exercise_2_10, row, (row.argmax() + 1) % 10, wrong, model, hint="argmax")
    fails(check.exercise_2_10, predictions, row.argmax(), wrong, model, hint="batch of one")
    raw = model.predict(arrays[2][wrong:wrong + 1].reshape(1, 784).astype("float32"), verbose=0)[0]
    fails(check.exercise_2_10, raw, raw.argmax(), wrong, model, hint="x_test_flat")
    fails(check.exercise_2_10, predictions[wrong + 1], row.argmax(), wrong, model, hint="final model")
    fails(check.exercise_2_10, row / 2, row.argmax(), wrong, model, hint="add up to")
    fails(check.exercise_2_10, row[:9], row.argmax(), wrong, model, hint="Ten probabilities")


# 2.11 ------------------------------------------------------------------------------------

def test_templates_many_ways(final, capsys):
    model = final[0]
    kernel = model.layers[0].get_weights()[0]
    passes(capsys, check.exercise_2_11, kernel.T.reshape(10, 28, 28), model)
    passes(capsys, check.exercise_2_11, np.transpose(model.layers[-1].kernel.numpy()).reshape(-1, 28, 28), model)
    passes(capsys, check.exercise_2_11, np.moveaxis(kernel.reshape(28, 28, 10), -1, 0), model)
    passes(capsys, check.exercise_2_11, [kernel[:, digit].reshape(28, 28) for digit in range(10)], model)


def test_templates_mistakes(final):
    model = final[0]
    kernel, bias = model.layers[0].get_weights()
    fails(check.exercise_2_11, kernel.reshape(10, 28, 28), model, hint="transpose")
    fails(check.exercise_2_11, kernel.reshape(28, 28, 10), model, hint="digit first")
    fails(check.exercise_2_11, kernel.T, model, hint="Reshape")
    fails(check.exercise_2_11, kernel, model, hint="Reshape")
    fails(check.exercise_2_11, np.repeat(kernel.T.reshape(10, 28, 28)[:1], 10, axis=0), model,
          hint="first array of get_weights")
    fails(check.exercise_2_11, kernel.T.reshape(10, 28, 28)[:5], model, hint="One 28x28 image per digit")
