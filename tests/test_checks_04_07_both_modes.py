"""The mistakes of notebooks 04, 05 and 07 that a check can judge without a trained network,
fed in fast mode and in full mode: each gets the same verdict and the same hint in both
(issue 16: grading in fast mode must be as strict as full mode).

The Histories are made without training (``fake_history``), with the epochs and steps per
epoch that the mode's data and ``mode.epochs`` give, so that only the mistake differs from a
right run. Nothing here trains, so the full data set costs only its loading.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from mnist_course.checks import nb04, nb05, nb07

keras = pytest.importorskip("keras")
from keras import layers  # noqa: E402

from checking import fails, fake_history  # noqa: E402
from checking_models import assert_no_solution_line, solution_lines, trained_before  # noqa: E402

NOTEBOOK = {"4": "04_normalisation", "5": "05_cnn", "7": "07_going_further"}


@pytest.fixture(params=["fast", "full"])
def mode_name(request, monkeypatch):
    monkeypatch.setenv("MNIST_COURSE_FAST", "1" if request.param == "fast" else "0")
    return request.param


def train_count() -> int:
    from mnist_course.data import course_data

    return len(course_data().train[0])


def epochs(count: int) -> int:
    from mnist_course import mode

    return mode.epochs(count)


def history(model, num_epochs, split=0.0, batch=32, metric="accuracy"):
    """A History as fit would return it in this mode: ``num_epochs`` through mode.epochs."""
    count = epochs(num_epochs)
    logs = {"loss": [0.5] * count, metric: [0.9] * count}
    if split:
        logs.update({"val_loss": [0.4] * count, f"val_{metric}": [0.91] * count})
    return fake_history(model, logs, math.ceil(int(train_count() * (1 - split)) / batch))


def mlp(optimizer, activation=None):
    stack = [keras.Input(shape=(784,))]
    for _ in range(3):
        stack += [layers.Dense(128), layers.Activation(activation)] if activation else \
                 [layers.Dense(128, activation="relu")]
    model = keras.Sequential(stack + [layers.Dense(10, activation="softmax")])
    model.compile(optimizer=optimizer, loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def cnn(optimizer, blocks=(32,), head=None):
    stack = [keras.Input(shape=(28, 28, 1))]
    for filters in blocks:
        stack += [layers.Conv2D(filters, (3, 3), activation="relu"), layers.MaxPooling2D((2, 2))]
    stack += head or [layers.Flatten(), layers.Dropout(0.5), layers.Dense(100, activation="relu")]
    model = keras.Sequential(stack + [layers.Dense(10, activation="softmax")])
    model.compile(optimizer=optimizer, loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def deeper(optimizer=None):
    return cnn(optimizer or keras.optimizers.Adam(0.001), blocks=(32, 64),
               head=[layers.Flatten(), layers.Dense(100, activation="relu"), layers.Dropout(0.5)])


def sgd(rate, **settings):
    return keras.optimizers.SGD(learning_rate=rate, **settings)


def schedule(rate):
    return keras.optimizers.schedules.ExponentialDecay(rate, decay_steps=100, decay_rate=0.9)


def x_test_std():
    from mnist_course.data import course_data

    return np.zeros((len(course_data().test[0]), 784), dtype="float32")


RATES = [0.0001, 0.001, 0.01, 0.1, 1.0]


def sweep(histories, rates=RATES):
    import matplotlib.pyplot as plt

    figure, ax = plt.subplots()
    ax.plot(rates, [0.5] * len(rates))
    ax.set_xscale("log")
    plt.close(figure)
    return rates, histories, [0.5] * len(rates), ax


def nesterov():
    return sgd(0.01, momentum=0.9, nesterov=True)


def uncompiled_mlp():
    return keras.Sequential([keras.Input(shape=(784,)), *[layers.Dense(128, activation="relu") for _ in range(3)],
                             layers.Dense(10, activation="softmax")])


def uncompiled_deeper():
    return keras.Sequential([keras.Input(shape=(28, 28, 1)), layers.Conv2D(32, (3, 3), activation="relu"),
                             layers.MaxPooling2D((2, 2)), layers.Conv2D(64, (3, 3), activation="relu"),
                             layers.MaxPooling2D((2, 2)), layers.Flatten(), layers.Dense(100, activation="relu"),
                             layers.Dropout(0.5), layers.Dense(10, activation="softmax")])


MISTAKES = [
    ("4.2 learning-rate schedule", nb04.exercise_4_2, lambda: (history(mlp(sgd(schedule(0.001))), 5),),
     "fixed learning rate"),
    ("4.2 fit run twice", nb04.exercise_4_2, lambda: (history(trained_before(mlp(sgd(0.001))), 5),), "build it again"),
    ("4.2 tanh as Activation layers", nb04.exercise_4_2, lambda: (history(mlp(sgd(0.001), "tanh"), 5),), "three Dense"),
    ("4.4 nesterov without momentum", nb04.exercise_4_4,
     lambda: (history(mlp(sgd(0.01, nesterov=True)), 5, 0.3), x_test_std(), 0.9), "no momentum"),
    ("4.4 schedule", nb04.exercise_4_4,
     lambda: (history(mlp(sgd(schedule(0.01), momentum=0.9, nesterov=True)), 5, 0.3), x_test_std(), 0.9), "schedule"),
    ("4.4 fit run twice", nb04.exercise_4_4,
     lambda: (history(trained_before(mlp(nesterov())), 5, 0.3), x_test_std(), 0.9), "build it again"),
    ("4.4 uncompiled builder", nb04.exercise_4_4, lambda: (None, x_test_std(), None, uncompiled_mlp), "not compiled"),
    ("4.5 batch 64", nb04.exercise_4_5,
     lambda: (history(mlp(keras.optimizers.Adam()), 5, 0.3, batch=64), x_test_std(), 0.9, 0.9), "batch_size = 32"),
    ("4.5 fit run twice", nb04.exercise_4_5,
     lambda: (history(trained_before(mlp(keras.optimizers.Adam())), 5, 0.3), x_test_std(), 0.9, 0.9), "build it again"),
    ("4.6 three rates", nb04.exercise_4_6,
     lambda: sweep([history(mlp(sgd(rate)), 2, 0.3) for rate in RATES[:3]], RATES[:3]), "every rate"),
    ("4.6 one model reused", nb04.exercise_4_6,
     lambda: sweep([history(mlp(sgd(0.01)), 2, 0.3)] * 5), "same model"),
    ("4.6 a run trained twice", nb04.exercise_4_6,
     lambda: sweep([history(trained_before(mlp(sgd(rate))), 2, 0.3) for rate in RATES]), "build it again"),
    ("5.4 SGD with a schedule", nb05.exercise_5_4,
     lambda: (history(cnn(sgd(schedule(0.05))), 4), history(cnn(keras.optimizers.Adam(0.001)), 4), 0.9, 0.9),
     "schedule"),
    ("5.4 SGD at the classic 0.01", nb05.exercise_5_4,
     lambda: (history(cnn(sgd(0.01)), 4), history(cnn(keras.optimizers.Adam(0.001)), 4), 0.9, 0.9),
     "learning_rate=0.05"),
    ("5.4 fit run twice", nb05.exercise_5_4,
     lambda: (history(trained_before(cnn(sgd(0.05))), 4), history(cnn(keras.optimizers.Adam(0.001)), 4), 0.9, 0.9),
     "build it again"),
    ("5.7 fit run twice", nb05.exercise_5_7, lambda: (history(trained_before(deeper()), 10, batch=64), 0.9),
     "build it again"),
    ("5.7 uncompiled builder", nb05.exercise_5_7,
     lambda: (None, None, uncompiled_deeper), "not compiled"),
    ("5.7 Adam with a schedule", nb05.exercise_5_7,
     lambda: (history(deeper(keras.optimizers.Adam(schedule(0.001))), 10, batch=64), 0.9), "schedule"),
]


@pytest.mark.parametrize("name, check, make, hint", MISTAKES, ids=[item[0] for item in MISTAKES])
def test_the_same_mistake_fails_alike_in_both_modes(name, check, make, hint, mode_name):
    message = fails(check, *make(), hint=hint)
    assert_no_solution_line(message, solution_lines(NOTEBOOK[name[0]]))


def test_7_1_fresh_network_is_checked_in_both_modes(mode_name):
    """A model whose optimizer already took more steps than its last fit is not fresh."""
    from types import SimpleNamespace

    from mnist_course.data import course_data

    (x_train, _), (x_test, _) = course_data("fashion").train, course_data("fashion").test
    model = keras.Sequential([keras.Input(shape=(28, 28, 1)), layers.Flatten(), layers.Dense(10, activation="softmax")])
    model.compile(optimizer=keras.optimizers.Adam(0.001), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    trained_before(model)
    count = epochs(3)
    logs = {"loss": [0.5] * count, "accuracy": [0.8] * count, "val_loss": [0.5] * count, "val_accuracy": [0.8] * count}
    model.history = SimpleNamespace(history=logs, params={"epochs": count,
                                                          "steps": math.ceil(int(len(x_train) * 0.9) / 32)})
    inputs = (x_test / 255).astype("float32")[..., None]
    message = fails(nb07.exercise_7_1, model, inputs, hint="call fit once")
    assert_no_solution_line(message, solution_lines("07_going_further"))
