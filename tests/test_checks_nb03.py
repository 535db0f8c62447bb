"""Checks of notebook 03: correct answers written several ways pass; typical mistakes fail
with a hint that points at the mistake, never at the answer."""

from __future__ import annotations

import math
from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from mnist_course.checks import NotAttempted  # noqa: E402
from mnist_course.checks import nb03 as check  # noqa: E402

from checking import fails, passes

keras = pytest.importorskip("keras")
layers = keras.layers


def mlp(*, optimizer=None, hidden=(784, 32), activation="relu", output="softmax", seed=0,
        input_shape=(784,)):
    keras.utils.set_random_seed(seed)
    stack = [keras.Input(shape=input_shape)]
    if len(input_shape) > 1:
        stack.append(layers.Flatten())
    stack += [layers.Dense(units, activation=activation) for units in hidden]
    stack.append(layers.Dense(10, activation=output))
    model = keras.Sequential(stack)
    model.compile(optimizer=optimizer or keras.optimizers.SGD(learning_rate=0.01),
                  loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def classic():
    return mlp()


def momentum():
    return mlp(optimizer=keras.optimizers.SGD(learning_rate=0.1, momentum=0.9))


@pytest.fixture(scope="module")
def prepared(course_data):
    (x_train, y_train), (x_test, y_test) = course_data.train, course_data.test
    return (x_train.reshape(-1, 784).astype("float32") / 255, keras.utils.to_categorical(y_train, 10),
            x_test.reshape(-1, 784).astype("float32") / 255, y_test)


def train(build, prepared, **settings):
    from mnist_course import mode

    x_train, y_train, x_test, _ = prepared
    model = build()
    history = model.fit(x_train, y_train, batch_size=settings.get("batch_size", 500),
                        epochs=mode.epochs(20), validation_split=settings.get("validation_split", 0.1),
                        verbose=0)
    return model, history, model.evaluate(x_test, keras.utils.to_categorical(prepared[3], 10), verbose=0)[1]


@pytest.fixture(scope="module")
def classic_run(prepared):
    return train(classic, prepared)


@pytest.fixture(scope="module")
def fixed_run(prepared):
    return train(momentum, prepared)


def fake_history(epochs, steps, *, validation=True, losses=None):
    logs = {"loss": losses or list(np.linspace(1.0, 0.5, epochs)),
            "accuracy": list(np.linspace(0.5, 0.9, epochs))}
    if validation:
        logs["val_loss"] = list(np.linspace(1.0, 0.6, epochs))
        logs["val_accuracy"] = list(np.linspace(0.6, 0.88, epochs))
    return SimpleNamespace(history=logs, params={"epochs": epochs, "steps": steps, "verbose": 0})


def recipe_steps(prepared):
    return math.ceil(int(len(prepared[0]) * 0.9) / 500)


@pytest.mark.parametrize("function, nargs", [
    (check.exercise_3_1, 4), (check.exercise_3_2, 2), (check.exercise_3_3, 3), (check.exercise_3_4, 2),
    (check.exercise_3_5, 2), (check.exercise_3_6, 4), (check.exercise_3_7, 4), (check.exercise_3_8, 2)])
def test_unfilled_exercises_are_not_attempted(function, nargs):
    with pytest.raises(NotAttempted, match="not attempted yet"):
        function(*([None] * nargs))


def stub(*args):
    raise NotImplementedError()


def test_functions_still_holding_the_stub_are_not_attempted(classic_run, fixed_run):
    with pytest.raises(NotAttempted, match="build_classic_mlp"):
        check.exercise_3_2(stub, 640_890)
    with pytest.raises(NotAttempted, match="plot_accuracy"):
        check.exercise_3_4(stub, classic_run[1])
    model, history, accuracy = fixed_run
    with pytest.raises(NotAttempted, match="build_mlp"):
        check.exercise_3_6(stub, model, history, accuracy)


# 3.1 -------------------------------------------------------------------------------------

def test_parameter_count_many_ways(capsys):
    passes(capsys, check.exercise_3_1, 784 * 784 + 784, 784 * 32 + 32, 32 * 10 + 10, 640_890)
    counts = [(inputs + 1) * units for inputs, units in ((784, 784), (784, 32), (32, 10))]
    passes(capsys, check.exercise_3_1, *[np.int64(c) for c in counts], float(sum(counts)))


def test_parameter_count_mistakes():
    fails(check.exercise_3_1, 784 * 784, 25_120, 330, 640_890 - 784, hint="bias")
    fails(check.exercise_3_1, 615_440, 25_120, 784 * 10 + 10, 648_410, hint="outputs of the layer before")
    fails(check.exercise_3_1, 615_440, 28 * 32 + 32, 330, 0, hint="wrong number of inputs|not right|one weight")
    fails(check.exercise_3_1, 784 + 784, 25_120, 330, 0, hint="multiply")
    fails(check.exercise_3_1, 615_440, 25_120, 330, 640_000, hint="Add up")
    fails(check.exercise_3_1, 615_440, 25_120, 331, 640_891, hint="one bias per unit")
    fails(check.exercise_3_1, 615_440, 25_120, 330, [640_890], hint="one whole number")


# 3.2 -------------------------------------------------------------------------------------

def test_build_classic_many_ways(capsys):
    passes(capsys, check.exercise_3_2, classic, 640_890)

    def functional():
        inputs = keras.Input(shape=(784,))
        hidden = layers.Dense(784, activation=keras.activations.relu)(inputs)
        hidden = layers.Dense(32)(hidden)
        hidden = layers.ReLU()(hidden)
        outputs = layers.Activation("softmax")(layers.Dense(10)(hidden))
        model = keras.Model(inputs, outputs)
        model.compile(optimizer=keras.optimizers.SGD(0.01), loss=keras.losses.CategoricalCrossentropy(),
                      metrics=["accuracy"])
        return model

    passes(capsys, check.exercise_3_2, functional, np.int64(640_890))


def test_build_classic_mistakes():
    fails(check.exercise_3_2, lambda: mlp(input_shape=(28, 28)), 640_890, hint="784 scaled pixels")
    fails(check.exercise_3_2, lambda: mlp(activation="sigmoid"), 640_890, hint="ReLU")
    fails(check.exercise_3_2, lambda: mlp(activation=None), 640_890, hint="non-linearity")
    fails(check.exercise_3_2, lambda: mlp(activation="softmax"), 640_890, hint="output layer only")
    fails(check.exercise_3_2, lambda: mlp(output=None), 640_890, hint="softmax on the last layer")
    fails(check.exercise_3_2, lambda: mlp(hidden=(32, 784)), 640_890, hint="784-784-32-10")
    fails(check.exercise_3_2, lambda: mlp(hidden=(784,)), 640_890, hint="two hidden")
    fails(check.exercise_3_2, lambda: mlp(optimizer=keras.optimizers.Adam()), 640_890, hint="plain")
    fails(check.exercise_3_2, lambda: mlp(optimizer=keras.optimizers.SGD(0.01, momentum=0.9)), 640_890,
          hint="no momentum")
    fails(check.exercise_3_2, classic, 614_656, hint="Exercise 3.1")
    fails(check.exercise_3_2, classic(), 640_890, hint="def build_classic_mlp")
    fails(check.exercise_3_2, lambda learning_rate: classic(), 640_890, hint="without arguments")
    same = classic()
    fails(check.exercise_3_2, lambda: same, 640_890, hint="new model")
    uncompiled = lambda: keras.Sequential([keras.Input(shape=(784,)), layers.Dense(784, activation="relu"),  # noqa: E731
                                           layers.Dense(32, activation="relu"), layers.Dense(10, activation="softmax")])
    fails(check.exercise_3_2, uncompiled, 640_890, hint="compile")


# 3.3 -------------------------------------------------------------------------------------

def test_classic_training_many_ways(classic_run, prepared, capsys):
    model, history, accuracy = classic_run
    passes(capsys, check.exercise_3_3, model, history, accuracy)
    by_hand = np.mean(model.predict(prepared[2], verbose=0).argmax(-1) == prepared[3])
    passes(capsys, check.exercise_3_3, model, history, by_hand)


def test_classic_training_mistakes(classic_run, prepared):
    from mnist_course import mode

    model, history, accuracy = classic_run
    epochs, steps = mode.epochs(20), recipe_steps(prepared)
    fails(check.exercise_3_3, model, history, accuracy * 100, hint="fraction")
    fails(check.exercise_3_3, model, history, history.history["val_accuracy"][-1], hint="test set")
    fails(check.exercise_3_3, mlp(optimizer=keras.optimizers.Adam()), history, accuracy, hint="build_classic_mlp")
    fails(check.exercise_3_3, model, fake_history(epochs, steps, validation=False), accuracy,
          hint="validation_split=0.1")
    fails(check.exercise_3_3, model, fake_history(epochs, math.ceil(len(prepared[0]) * 0.9 / 32)), accuracy,
          hint="batch_size = 500")
    fails(check.exercise_3_3, model, fake_history(epochs + 3, steps), accuracy, hint="num_epochs = 20")
    fails(check.exercise_3_3, model, fake_history(epochs, steps, losses=[2.2, 2.3][:epochs] + [2.3] * (epochs - 2)),
          accuracy, hint="scaled images")
    fails(check.exercise_3_3, model, fake_history(epochs, steps, losses=[float("nan")] * epochs), accuracy,
          hint="scaled|raw pixels")
    silent = classic()
    last = silent.layers[-1]
    last.set_weights([np.zeros_like(w) for w in last.get_weights()])
    fails(check.exercise_3_3, silent, fake_history(epochs, steps), 0.098, hint="train it with the recipe|Rebuild")


# 3.4 -------------------------------------------------------------------------------------

def plot_with_axes(history, title):
    ax = plt.figure().gca()
    ax.plot(history.history["accuracy"], label="train")
    ax.plot(history.history["val_accuracy"], label="validation")
    ax.set(title=title, xlabel="epoch", ylabel="accuracy")
    ax.legend()
    return ax


def plot_with_pyplot(history, title):
    epochs = range(1, len(history.epoch) + 1) if hasattr(history, "epoch") else None
    logs = history.history
    x = list(epochs) if epochs else list(range(1, len(logs["accuracy"]) + 1))
    plt.plot(x, logs["accuracy"], "o-", label="training accuracy")
    plt.plot(x, logs["val_accuracy"], "o-", label="validation accuracy")
    plt.title(title)
    plt.xlabel("Epoch")
    plt.ylabel("Accuracy")
    plt.legend()


def plot_two_panels(history, title):
    figure, (left, right) = plt.subplots(1, 2)
    left.plot(history.history["loss"], label="loss")
    left.plot(history.history["val_loss"], label="val_loss")
    right.plot(history.history["accuracy"], label="accuracy")
    right.plot(history.history["val_accuracy"], label="val_accuracy")
    right.set_xlabel("epoch")
    right.set_ylabel("accuracy")
    right.legend()
    figure.suptitle(title)
    return figure


def test_plot_history_many_ways(classic_run, capsys):
    history = classic_run[1]
    for function in (plot_with_axes, plot_with_pyplot, plot_two_panels):
        before = plt.get_fignums()
        passes(capsys, check.exercise_3_4, function, history)
        assert plt.get_fignums() == before, "the check closes the figures it made"


def test_plot_history_mistakes(classic_run):
    history = classic_run[1]

    def loss_instead(h, title):
        ax = plot_with_axes(SimpleNamespace(history={"accuracy": h.history["loss"],
                                                     "val_accuracy": h.history["val_loss"]}), title)
        return ax

    def training_only(h, title):
        ax = plt.figure().gca()
        ax.plot(h.history["accuracy"], label="train")
        ax.set(title=title, xlabel="epoch", ylabel="accuracy")
        ax.legend()
        return ax

    def unlabelled(h, title):
        ax = plt.figure().gca()
        ax.plot(h.history["accuracy"])
        ax.plot(h.history["val_accuracy"])
        ax.set_title(title)
        return ax

    def no_legend(h, title):
        ax = plot_with_axes(h, title)
        ax.get_legend().remove()
        return ax

    def no_title(h, title):
        ax = plot_with_axes(h, title)
        ax.set_title("")
        return ax

    fails(check.exercise_3_4, loss_instead, history, hint="about accuracy")
    fails(check.exercise_3_4, training_only, history, hint="val_accuracy")
    fails(check.exercise_3_4, unlabelled, history, hint="set_xlabel")
    fails(check.exercise_3_4, no_legend, history, hint="legend")
    fails(check.exercise_3_4, no_title, history, hint="title")
    fails(check.exercise_3_4, lambda h: plot_with_axes(h, "x"), history, hint="and a title")
    fails(check.exercise_3_4, lambda h, title: None, history, hint="ax.plot")
    fails(check.exercise_3_4, plot_with_axes, history.history, hint="history = model.fit")
    assert not plt.get_fignums()


# 3.5 -------------------------------------------------------------------------------------

def test_count_steps_many_ways(prepared, capsys):
    steps = recipe_steps(prepared)
    passes(capsys, check.exercise_3_5, steps, steps * 20)
    passes(capsys, check.exercise_3_5, float(steps), np.int64(steps * 20))
    from mnist_course import mode

    passes(capsys, check.exercise_3_5, steps, steps * mode.epochs(20))


def test_count_steps_mistakes(prepared):
    count = len(prepared[0])
    steps = recipe_steps(prepared)
    fails(check.exercise_3_5, math.ceil(count / 500), steps * 20, hint="validation_split")
    if int(count * 0.9) % 500:  # the fast-mode sample does not divide evenly; the full set does
        fails(check.exercise_3_5, int(count * 0.9) / 500, steps * 20, hint="round up")
        fails(check.exercise_3_5, int(count * 0.9) // 500, steps * 20, hint="Round up")
    fails(check.exercise_3_5, steps, steps, hint="Multiply")
    fails(check.exercise_3_5, steps, steps * 21, hint="20 epochs")
    fails(check.exercise_3_5, 1000, 20000, hint="batch size of 500")


# 3.6 -------------------------------------------------------------------------------------

def test_fixed_training_many_ways(fixed_run, capsys):
    model, history, accuracy = fixed_run
    passes(capsys, check.exercise_3_6, momentum, model, history, accuracy)
    passes(capsys, check.exercise_3_6, lambda: mlp(optimizer=keras.optimizers.Adam()), model, history, accuracy)
    passes(capsys, check.exercise_3_6, lambda: mlp(optimizer=keras.optimizers.SGD(learning_rate=0.5)), model,
           history, np.float64(accuracy))


def test_fixed_training_mistakes(fixed_run, classic_run, prepared):
    from mnist_course import mode

    model, history, accuracy = fixed_run
    fails(check.exercise_3_6, classic, model, history, accuracy, hint="momentum")
    fails(check.exercise_3_6, lambda: mlp(hidden=(128,), optimizer=keras.optimizers.Adam()), model, history,
          accuracy, hint="784-784-32-10")
    fails(check.exercise_3_6, lambda: model, model, history, accuracy, hint="new model")
    fails(check.exercise_3_6, momentum, model, history, classic_run[2], hint="does not match")
    fails(check.exercise_3_6, momentum, model, fake_history(mode.epochs(20), math.ceil(len(prepared[0]) / 500)),
          accuracy, hint="batch_size = 500")
    untrained = momentum()
    message = fails(check.exercise_3_6, momentum, untrained, fake_history(mode.epochs(20), recipe_steps(prepared)),
                    0.1, hint="Adam")
    assert "75%" in message


def test_the_full_mode_bar_applies_on_the_full_data(fixed_run, monkeypatch):
    """A network trained 2 epochs on the fast sample is below the full-mode bar of 98 %."""
    from mnist_course.data import course_data

    monkeypatch.setenv("MNIST_COURSE_FAST", "0")
    full = course_data()
    steps = math.ceil(int(len(full.train[0]) * 0.9) / 500)
    message = fails(check.exercise_3_6, momentum, fixed_run[0], fake_history(20, steps), 0.9, hint="Rebuild")
    assert "on the full data" in message and "98%" in message


# 3.7 -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def predictions(fixed_run, prepared):
    model = fixed_run[0]
    return model.predict(prepared[2], verbose=0)


def test_prediction_grid_many_ways(fixed_run, predictions, prepared, capsys):
    model, y_test = fixed_run[0], prepared[3]
    digits = predictions.argmax(-1)
    picks = np.array([3, 14, 15, 92, 65, 35, 89, 79, 32])
    passes(capsys, check.exercise_3_7, digits, [f"{digits[i]} / {y_test[i]}" for i in picks], picks, model)
    passes(capsys, check.exercise_3_7, np.argmax(predictions, axis=1).tolist(),
           [f"{digits[i]}/{y_test[i]}" for i in picks], picks.tolist(), model)
    passes(capsys, check.exercise_3_7, keras.ops.argmax(model(prepared[2]), axis=-1),
           tuple(f"{digits[i]} /{y_test[i]} " for i in picks), picks, model)


def test_prediction_grid_mistakes(fixed_run, predictions, prepared):
    model, y_test = fixed_run[0], prepared[3]
    digits = predictions.argmax(-1)
    wrong = np.flatnonzero(digits != y_test)
    picks = np.concatenate([wrong[:3], np.flatnonzero(digits == y_test)[:6]])
    titles = [f"{digits[i]} / {y_test[i]}" for i in picks]
    fails(check.exercise_3_7, predictions, titles, picks, model, hint="argmax")
    fails(check.exercise_3_7, predictions.argmax(0), titles, picks, model, hint="axis=1")
    fails(check.exercise_3_7, y_test, titles, picks, model, hint="Ask the model")
    fails(check.exercise_3_7, (digits + 1) % 10, titles, picks, model, hint="scaled like the training data")
    fails(check.exercise_3_7, digits, [f"{y_test[i]} / {digits[i]}" for i in picks], picks, model,
          hint="model's answer first")
    fails(check.exercise_3_7, digits, [f"predicted {digits[i]}, true {y_test[i]}" for i in picks], picks, model,
          hint="a slash")
    fails(check.exercise_3_7, digits, titles[:8], picks, model, hint="One title per image")
    fails(check.exercise_3_7, digits, [f"{digits[i]} / {y_test[i]}" for i in picks + 1], picks, model,
          hint="each index in picks")


# 3.8 -------------------------------------------------------------------------------------

def test_misclassified_many_ways(fixed_run, predictions, prepared, capsys):
    model, y_test = fixed_run[0], prepared[3]
    digits = predictions.argmax(-1)
    passes(capsys, check.exercise_3_8, np.flatnonzero(digits != y_test), model)
    passes(capsys, check.exercise_3_8, np.where(digits != y_test), model)
    passes(capsys, check.exercise_3_8, [i for i in range(len(y_test)) if digits[i] != y_test[i]][::-1], model)


def test_misclassified_mistakes(fixed_run, predictions, prepared):
    model, y_test = fixed_run[0], prepared[3]
    digits = predictions.argmax(-1)
    fails(check.exercise_3_8, digits != y_test, model, hint="np.flatnonzero")
    fails(check.exercise_3_8, np.flatnonzero(digits == y_test), model, hint="!=")
    wrong = np.flatnonzero(digits != y_test)
    fails(check.exercise_3_8, wrong + 1, model, hint="other indices|test_predictions != y_test")
    fails(check.exercise_3_8, wrong[:-1], model, hint="differ")
    fails(check.exercise_3_8, np.argwhere(digits != y_test), model, hint="flat list")
