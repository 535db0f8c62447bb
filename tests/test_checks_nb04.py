"""Checks of notebook 04: correct answers written several ways pass; typical mistakes fail
with a hint. Trained models are small runs on the fast-mode sample (a few seconds each)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mnist_course.checks import NotAttempted
from mnist_course.checks import nb04 as check

keras = pytest.importorskip("keras")
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
    x_train_flat = x_train.reshape(len(x_train), 784).astype("float32")
    x_test_flat = x_test.reshape(len(x_test), 784).astype("float32")
    mean, std = x_train_flat.mean(), x_train_flat.std()
    return {
        "x_train": x_train_flat, "x_test": x_test_flat, "y_train": y_train, "y_test": y_test,
        "y_train_onehot": keras.utils.to_categorical(y_train, 10),
        "y_test_onehot": keras.utils.to_categorical(y_test, 10),
        "x_train_std": (x_train_flat - mean) / std, "x_test_std": (x_test_flat - mean) / std,
    }


def mlp(optimizer, hidden=(128, 128, 128), extra=None):
    stack = [keras.Input(shape=(784,))]
    for units in hidden:
        stack.append(layers.Dense(units, activation="relu"))
        if extra is not None:
            stack.append(extra())
    stack.append(layers.Dense(10, activation="softmax"))
    model = keras.Sequential(stack)
    model.compile(optimizer=optimizer, loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def train(data, model, inputs="x_train", epochs=5, limit=None, **fit_args):
    keras.utils.set_random_seed(42)
    x, y = data[inputs], data["y_train_onehot"]
    if limit:
        x, y = x[:limit], y[:limit]
    from mnist_course import mode

    fit_args.setdefault("batch_size", 32)
    return model.fit(x, y, epochs=mode.epochs(epochs), verbose=0,
                     callbacks=[keras.callbacks.TerminateOnNaN()], **fit_args)


def sgd(rate, **settings):
    return keras.optimizers.SGD(learning_rate=rate, **settings)


def nesterov():
    return sgd(0.01, momentum=0.9, nesterov=True)


def accuracy(history, x):
    from mnist_course.data import course_data

    y_test = course_data().test[1]
    return float(np.mean(history.model.predict(x, verbose=0).argmax(-1) == y_test))


@pytest.fixture(scope="module")
def runs(data):
    """The trained runs the tests share, each trained once."""
    keras.utils.set_random_seed(42)
    return {
        "diverged": train(data, mlp(sgd(0.01)), limit=640),
        "small": train(data, mlp(sgd(0.001))),
        "baseline": train(data, mlp(nesterov()), inputs="x_train_std", validation_split=0.3),
        "adam": train(data, mlp(keras.optimizers.Adam(0.001)), inputs="x_train_std",
                      validation_split=0.3),
        "dropout": train(data, mlp(nesterov(), extra=lambda: layers.Dropout(0.1)),
                         inputs="x_train_std", validation_split=0.3),
    }


@pytest.mark.parametrize("function, nargs", [(check.exercise_4_1, 3), (check.exercise_4_2, 1),
                                              (check.exercise_4_3, 4), (check.exercise_4_4, 3),
                                              (check.exercise_4_5, 4), (check.exercise_4_6, 3)])
def test_unfilled_exercises_are_not_attempted(function, nargs):
    with pytest.raises(NotAttempted, match="not attempted yet"):
        function(*([None] * nargs))


# 4.1 -------------------------------------------------------------------------------------

def test_diagnosis_many_ways(runs, capsys):
    history = runs["diverged"]
    losses = history.history["loss"]
    assert math.isnan(losses[-1])
    passes(capsys, check.exercise_4_1, history, np.log(10), bool(np.isnan(losses[-1])))
    passes(capsys, check.exercise_4_1, history, -np.log(1 / 10), math.isnan(losses[-1]))
    passes(capsys, check.exercise_4_1, history, math.log(10), np.isnan(losses).any())
    passes(capsys, check.exercise_4_1, runs["small"], np.float32(np.log(10)),
           bool(np.isnan(runs["small"].history["loss"][-1])))


def test_diagnosis_mistakes(runs):
    history = runs["diverged"]
    last = history.history["loss"][-1]
    fails(check.exercise_4_1, history, np.log10(10), True, hint="natural logarithm")
    fails(check.exercise_4_1, history, np.log2(10), True, hint="natural logarithm")
    fails(check.exercise_4_1, history, 0.1, True, hint="minus the logarithm")
    fails(check.exercise_4_1, history, np.log(0.1), True, hint="MINUS")
    fails(check.exercise_4_1, history, np.log(10), last == np.nan, hint="np.isnan")
    fails(check.exercise_4_1, history, np.log(10), "yes", hint="bool")
    fails(check.exercise_4_1, runs["small"], np.log(10), True, hint="last entry")
    fails(check.exercise_4_1, history.history, np.log(10), True, hint="History")


# 4.2 -------------------------------------------------------------------------------------

def test_smaller_rate_many_ways(data, runs, capsys):
    passes(capsys, check.exercise_4_2, runs["small"])
    model = keras.Sequential()
    model.add(keras.Input(shape=(784,)))
    for _ in range(3):
        model.add(layers.Dense(128, activation="relu"))
    model.add(layers.Dense(10, activation="softmax"))
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=3e-4), loss="categorical_crossentropy",
                  metrics=["accuracy"])
    passes(capsys, check.exercise_4_2, train(data, model))


def test_smaller_rate_mistakes(data, runs):
    fails(check.exercise_4_2, runs["diverged"], hint="smaller rate")
    fails(check.exercise_4_2, runs["small"].model, hint="fit returns")
    fails(check.exercise_4_2, train(data, mlp(sgd(0.001, momentum=0.9)), limit=64), hint="one thing at a time")
    fails(check.exercise_4_2, train(data, mlp(keras.optimizers.Adam(0.001)), limit=64), hint="plain SGD")
    fails(check.exercise_4_2, train(data, mlp(sgd(0.001), hidden=(64,)), limit=64), hint="three Dense")
    fails(check.exercise_4_2, train(data, mlp(sgd(0.008))), hint="ten times smaller")
    fails(check.exercise_4_2, train(data, mlp(sgd(0.005))), hint="ten times smaller")
    fails(check.exercise_4_2, train(data, mlp(sgd(1e-7))), hint="hardly move")
    fails(check.exercise_4_2, train(data, mlp(sgd(0.001)), batch_size=256), hint="batch_size = 32")


# 4.3 -------------------------------------------------------------------------------------

def test_standardisation_many_ways(data, capsys):
    x_train, x_test = data["x_train"], data["x_test"]
    mean, std = x_train.mean(), x_train.std()
    passes(capsys, check.exercise_4_3, mean, std, (x_train - mean) / std, (x_test - mean) / std)
    scaled_train, scaled_test = x_train / 255, x_test / 255
    mean01, std01 = scaled_train.mean(), scaled_train.std(ddof=1)
    passes(capsys, check.exercise_4_3, mean01, std01, (scaled_train - mean01) / std01,
           (scaled_test - mean01) / std01)
    pixel_mean, pixel_std = x_train.mean(axis=0), x_train.std(axis=0)
    passes(capsys, check.exercise_4_3, pixel_mean, pixel_std, (x_train - pixel_mean) / (pixel_std + 1e-7),
           (x_test - pixel_mean) / (pixel_std + 1e-7))
    safe_std = np.where(pixel_std == 0, 1, pixel_std)
    passes(capsys, check.exercise_4_3, pixel_mean.reshape(28, 28), safe_std,
           (x_train - pixel_mean) / safe_std, (x_test - pixel_mean) / safe_std)
    normaliser = layers.Normalization(axis=None)
    normaliser.adapt(x_train)
    passes(capsys, check.exercise_4_3, float(np.asarray(normaliser.mean).ravel()[0]),
           float(np.sqrt(np.asarray(normaliser.variance).ravel()[0])), normaliser(x_train), normaliser(x_test))


def test_standardisation_mistakes(data):
    x_train, x_test = data["x_train"], data["x_test"]
    mean, std = x_train.mean(), x_train.std()
    standard_train = (x_train - mean) / std
    test_mean, test_std = x_test.mean(), x_test.std()
    fails(check.exercise_4_3, mean, std, standard_train, (x_test - test_mean) / test_std,
          hint="training images only")
    fails(check.exercise_4_3, test_mean, test_std, (x_train - test_mean) / test_std,
          (x_test - test_mean) / test_std, hint="training images only")
    both = np.concatenate([x_train, x_test])
    whole_mean, whole_std = both.mean(), both.std()
    fails(check.exercise_4_3, whole_mean, whole_std, (x_train - whole_mean) / whole_std,
          (x_test - whole_mean) / whole_std, hint="must not influence")
    fails(check.exercise_4_3, mean, std, standard_train, x_test, hint="same transformation")
    fails(check.exercise_4_3, mean, std, standard_train, x_test / 255, hint="same transformation")
    pixel_mean, pixel_std = x_train.mean(axis=0), x_train.std(axis=0) + 1e-7
    fails(check.exercise_4_3, pixel_mean, pixel_std, (x_train - pixel_mean) / pixel_std,
          (x_test - mean) / std, hint="same numbers to both")
    test_pixel_mean, test_pixel_std = x_test.mean(axis=0), x_test.std(axis=0) + 1e-7
    fails(check.exercise_4_3, pixel_mean, pixel_std, (x_train - pixel_mean) / pixel_std,
          (x_test - test_pixel_mean) / test_pixel_std, hint="training images only")
    with np.errstate(divide="ignore", invalid="ignore"):
        fails(check.exercise_4_3, pixel_mean, x_train.std(axis=0), (x_train - pixel_mean) / x_train.std(axis=0),
              (x_test - pixel_mean) / x_train.std(axis=0), hint="small number")
    fails(check.exercise_4_3, mean, std, x_train - mean, x_test - mean, hint="both steps")
    fails(check.exercise_4_3, mean, std, x_train / std, x_test / std, hint="both steps")
    fails(check.exercise_4_3, mean, std, x_train / 255, x_test / 255, hint="Subtract the training mean")
    fails(check.exercise_4_3, mean, std, standard_train.reshape(-1, 28, 28),
          ((x_test - mean) / std).reshape(-1, 28, 28), hint="flat arrays")
    fails(check.exercise_4_3, mean, std, (x_test - mean) / std, standard_train, hint="x_train_flat")
    fails(check.exercise_4_3, whole_mean, std, standard_train, (x_test - mean) / std, hint="nothing else")
    fails(check.exercise_4_3, pixel_mean, std, standard_train, (x_test - mean) / std,
          hint="the numbers you used")


# 4.4 -------------------------------------------------------------------------------------

def test_baseline_many_ways(data, runs, capsys):
    history = runs["baseline"]
    _, evaluated = history.model.evaluate(data["x_test_std"], data["y_test_onehot"], verbose=0)
    passes(capsys, check.exercise_4_4, history, data["x_test_std"], evaluated)
    passes(capsys, check.exercise_4_4, history, list(data["x_test_std"]),
           np.float32(accuracy(history, data["x_test_std"])))


def test_baseline_mistakes(data, runs):
    x_test_std, baseline = data["x_test_std"], runs["baseline"]
    correct = accuracy(baseline, x_test_std)
    tiny = dict(inputs="x_train_std", limit=64, validation_split=0.3)
    fails(check.exercise_4_4, train(data, mlp(sgd(0.01)), **tiny), x_test_std, 0.9, hint="momentum=0.9")
    fails(check.exercise_4_4, train(data, mlp(sgd(0.01, momentum=0.9)), **tiny), x_test_std, 0.9,
          hint="nesterov=True")
    fails(check.exercise_4_4, train(data, mlp(sgd(0.1, momentum=0.9, nesterov=True)), **tiny),
          x_test_std, 0.9, hint="learning_rate=0.01")
    fails(check.exercise_4_4, train(data, mlp(nesterov()), inputs="x_train_std", limit=64),
          x_test_std, 0.9, hint="validation_split=0.3")
    fails(check.exercise_4_4, train(data, mlp(nesterov()), **tiny), x_test_std, 0.9, hint="steps|batch_size")
    fails(check.exercise_4_4, train(data, mlp(keras.optimizers.Adam()), **tiny), x_test_std, 0.9,
          hint="SGD with momentum")
    fails(check.exercise_4_4, runs["dropout"], x_test_std, 0.9, hint="plain network")
    fails(check.exercise_4_4, baseline, x_test_std, correct * 100, hint="fractions")
    fails(check.exercise_4_4, baseline, x_test_std, [0.3, correct], hint="second one")
    fails(check.exercise_4_4, baseline, x_test_std, correct - 0.05, hint="evaluate")
    fails(check.exercise_4_4, baseline, data["x_test"], correct, hint="evaluate")
    weak = train(data, mlp(nesterov()), inputs="x_train", validation_split=0.3)
    fails(check.exercise_4_4, weak, x_test_std, accuracy(weak, x_test_std), hint="x_train_std|NaN")


# 4.5 -------------------------------------------------------------------------------------

def test_improvement_many_ways(data, runs, capsys, monkeypatch):
    x_test_std = data["x_test_std"]
    baseline = accuracy(runs["baseline"], x_test_std)
    for name in ("adam", "dropout"):
        history = runs[name]
        passes(capsys, check.exercise_4_5, history, x_test_std, accuracy(history, x_test_std), baseline)
    monkeypatch.setattr(check, "_fast", lambda: False)
    best = max(("adam", "dropout"), key=lambda name: accuracy(runs[name], x_test_std))
    measured = accuracy(runs[best], x_test_std)
    passes(capsys, check.exercise_4_5, runs[best], x_test_std, measured, measured - 0.01)


def test_improvement_mistakes(data, runs, monkeypatch):
    x_test_std = data["x_test_std"]
    baseline = runs["baseline"]
    baseline_accuracy = accuracy(baseline, x_test_std)
    fails(check.exercise_4_5, baseline, x_test_std, baseline_accuracy, baseline_accuracy, hint="one change")
    no_split = train(data, mlp(keras.optimizers.Adam()), inputs="x_train_std", limit=64)
    fails(check.exercise_4_5, no_split, x_test_std, 0.5, baseline_accuracy, hint="validation_split=0.3")
    adam = runs["adam"]
    fails(check.exercise_4_5, adam, x_test_std, accuracy(adam, x_test_std) + 0.05, baseline_accuracy,
          hint="evaluate")
    monkeypatch.setattr(check, "_fast", lambda: False)
    measured = accuracy(adam, x_test_std)
    message = fails(check.exercise_4_5, adam, x_test_std, measured, measured + 0.001, hint="tune")
    assert "does not beat" in message


# 4.6 -------------------------------------------------------------------------------------

RATES = [0.0001, 0.001, 0.01, 0.1, 1.0]
ACCURACIES = [0.15, 0.55, 0.85, 0.9, 0.1]


def sweep_plot(rates, accuracies, *, log=True, labels=True, scatter=False):
    import matplotlib.pyplot as plt

    figure, ax = plt.subplots()
    if scatter:
        ax.scatter(rates, accuracies)
    else:
        ax.plot(rates, accuracies, marker="o")
    if log:
        ax.set_xscale("log")
    if labels:
        ax.set_xlabel("learning rate")
        ax.set_ylabel("validation accuracy")
    plt.close(figure)
    return figure, ax


def test_sweep_many_ways(capsys):
    passes(capsys, check.exercise_4_6, RATES, ACCURACIES, sweep_plot(RATES, ACCURACIES)[1])
    rates, accuracies = np.array(RATES[::-1]), np.array(ACCURACIES[::-1], dtype=np.float32)
    passes(capsys, check.exercise_4_6, rates, accuracies, sweep_plot(rates, accuracies, scatter=True)[0])
    many = np.logspace(-4, 0, 9)
    scores = np.linspace(0.2, 0.9, 9)
    passes(capsys, check.exercise_4_6, list(many), list(scores), sweep_plot(many, scores)[1])


def test_sweep_mistakes():
    _, ax = sweep_plot(RATES, ACCURACIES)
    fails(check.exercise_4_6, RATES[:3], ACCURACIES[:3], ax, hint="at least four")
    fails(check.exercise_4_6, [0.01, 0.02, 0.05, 0.08], ACCURACIES[:4], ax, hint="Spread them wider")
    fails(check.exercise_4_6, RATES, ACCURACIES[:4], ax, hint="one accuracy per learning rate")
    fails(check.exercise_4_6, RATES, [a * 100 for a in ACCURACIES], ax, hint="fractions")
    fails(check.exercise_4_6, RATES, ACCURACIES[:-1] + [float("nan")], ax, hint="store the accuracy")
    fails(check.exercise_4_6, RATES, [0.1, 0.1, 0.11, 0.1, 0.1], sweep_plot(RATES, [0.1, 0.1, 0.11, 0.1, 0.1])[1],
          hint="None of the runs learned")
    fails(check.exercise_4_6, RATES, ACCURACIES, sweep_plot(RATES, ACCURACIES, log=False)[1], hint="logarithmic")
    fails(check.exercise_4_6, RATES, ACCURACIES, sweep_plot(RATES, ACCURACIES, labels=False)[1],
          hint="Label both axes")
    fails(check.exercise_4_6, RATES, ACCURACIES, sweep_plot(RATES, ACCURACIES[::-1])[1], hint="against learning_rates")
    fails(check.exercise_4_6, RATES, ACCURACIES, [ax.get_lines()[0]], hint="Matplotlib Axes")
