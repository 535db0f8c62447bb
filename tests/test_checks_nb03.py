"""Checks of notebook 03, as simulated students: every correct answer we could think of passes
(other APIs, dtypes, containers, tensors), every plausible mistake fails with a hint, and no
failure message gives the answer away.

Each exercise has a list CORRECT_3_N of ``(id, make_args)`` and WRONG_3_N of
``(id, make_args, hint)``; ``make_args(s)`` builds the arguments from the shared fixtures in
``s``. Two networks are trained once for the module (fast-mode sample, 2 epochs): the classic
one written with the functional API and a metric object, the fixed one with Sequential.add.
"""

from __future__ import annotations

import math
import re
from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from mnist_course import mode  # noqa: E402
from mnist_course.checks import CheckFailed, NotAttempted  # noqa: E402
from mnist_course.checks import nb03 as check  # noqa: E402

from checking import correct_variants, passes, solution_lines, wrong_variants  # noqa: E402
from conftest import SOLUTIONS  # noqa: E402

#: No failure may show a line of the notebook's solutions (issue 16, item 6).
SOLUTION_LINES = solution_lines(SOLUTIONS / "03_mlp.ipynb")

keras = pytest.importorskip("keras")
layers = keras.layers
ops = keras.ops


# --------------------------------------------------------------------------- models


def mlp(*, optimizer=None, hidden=(784, 32), activation="relu", output="softmax", input_shape=(784,),
        loss="categorical_crossentropy", metrics=("accuracy",), compile=True):
    stack = [keras.Input(shape=input_shape)]
    if len(input_shape) > 1:
        stack.append(layers.Flatten())
    stack += [layers.Dense(units, activation=activation) for units in hidden]
    stack.append(layers.Dense(10, activation=output))
    model = keras.Sequential(stack)
    if compile:
        model.compile(optimizer=optimizer or keras.optimizers.SGD(learning_rate=0.01), loss=loss,
                      metrics=list(metrics))
    return model


def with_dropout(optimizer=None):
    """The network with a Dropout layer the prompt does not list."""
    def build():
        model = keras.Sequential([keras.Input(shape=(784,)), layers.Dense(784, activation="relu"), layers.Dropout(0.2),
                                  layers.Dense(32, activation="relu"), layers.Dense(10, activation="softmax")])
        model.compile(optimizer=optimizer or keras.optimizers.SGD(learning_rate=0.01),
                      loss="categorical_crossentropy", metrics=["accuracy"])
        return model
    return build


def functional_classic():
    inputs = keras.Input(shape=(784,))
    hidden = layers.Dense(784, activation=keras.activations.relu)(inputs)
    hidden = layers.ReLU()(layers.Dense(32)(hidden))
    outputs = layers.Activation("softmax")(layers.Dense(10)(hidden))
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.SGD(0.01), loss=keras.losses.CategoricalCrossentropy(),
                  metrics=[keras.metrics.CategoricalAccuracy()])
    return model


def added_momentum():
    model = keras.Sequential()
    model.add(keras.Input(shape=(784,)))
    model.add(layers.Dense(784, activation="relu"))
    model.add(layers.Dense(32, activation="relu"))
    model.add(layers.Dense(10, activation="softmax"))
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1, momentum=0.9),
                  loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def classic():
    return mlp()


def stub(*args):
    raise NotImplementedError()


def train(build, s, **settings):
    model = build()
    history = model.fit(s.x_train, s.y_train_onehot, batch_size=settings.get("batch_size", 500),
                        epochs=mode.epochs(20), validation_split=0.1, verbose=0)
    return model, history, model.evaluate(s.x_test, s.y_test_onehot, verbose=0)[1]


def fake_history(epochs, steps, *, validation=True, losses=None):
    logs = {"loss": losses or list(np.linspace(1.0, 0.5, epochs)),
            "accuracy": list(np.linspace(0.5, 0.9, epochs))}
    if validation:
        logs["val_loss"] = list(np.linspace(1.0, 0.6, epochs))
        logs["val_accuracy"] = list(np.linspace(0.6, 0.88, epochs))
    return SimpleNamespace(history=logs, params={"epochs": epochs, "steps": steps, "verbose": 0})


def accuracy_on(model, x, labels):
    return float(np.mean(model.predict(x, verbose=0).argmax(-1) == labels))


@pytest.fixture(scope="module")
def s(course_data):
    """Everything the variants need: data as the notebook prepares it, two trained runs."""
    (x_train, y_train), (x_test, y_test) = course_data.train, course_data.test
    n = SimpleNamespace(x_train=x_train.reshape(-1, 784).astype("float32") / 255, y_train=y_train,
                        y_train_onehot=keras.utils.to_categorical(y_train, 10),
                        x_test=x_test.reshape(-1, 784).astype("float32") / 255, y_test=y_test,
                        y_test_onehot=keras.utils.to_categorical(y_test, 10),
                        x_test_raw=x_test.reshape(-1, 784).astype("float32"))
    n.split = int(len(x_train) * 0.9)
    n.steps = math.ceil(n.split / 500)
    n.epochs = mode.epochs(20)
    keras.utils.set_random_seed(42)
    n.classic_model, n.classic_history, n.classic_accuracy = train(functional_classic, n)
    keras.utils.set_random_seed(42)
    n.model, n.history, n.accuracy = train(added_momentum, n)
    n.scores = n.model.predict(n.x_test, verbose=0)
    n.digits = n.scores.argmax(-1)
    n.wrong = np.flatnonzero(n.digits != y_test)
    n.picks = np.concatenate([n.wrong[:3], np.flatnonzero(n.digits == y_test)[:6]])
    n.titles = [f"{n.digits[i]} / {y_test[i]}" for i in n.picks]
    return n


def run(call, args):
    """Call a check; return its failure message, or None when it passed."""
    try:
        call(*args)
    except CheckFailed as failure:
        return str(failure)
    finally:
        plt.close("all")
    return None


def shows(message, *numbers):
    """True when ``message`` shows one of ``numbers`` as a whole word (with or without commas)."""
    for number in numbers:
        texts = {f"{number}", f"{number:,}"} if isinstance(number, int) else {
            f"{number:.1%}", f"{number:.2%}", f"{number:.3f}", f"{number:.4f}", f"{100 * number:.1f}"}
        if any(re.search(rf"(?<![\d.]){re.escape(text)}(?![\d])", message) for text in texts):
            return True
    return False


def check_both_ways(call, make, hint, s, capsys, answers=()):
    """Pass when ``hint`` is None; else fail with a hint matching ``hint`` that shows none of ``answers``."""
    args = make(s)
    if hint is None:
        passes(capsys, call, *args)
        plt.close("all")
        return
    message = run(call, args)
    assert message is not None, "this wrong answer passed"
    assert "Hint:" in message and re.search(hint, message), message
    assert not shows(message, *answers), f"the message gives the answer away: {message}"
    assert not [line for line in SOLUTION_LINES if line in message], f"the message shows a solution line: {message}"


@pytest.mark.parametrize("function, nargs", [
    (check.exercise_3_1, 4), (check.exercise_3_2, 2), (check.exercise_3_3, 3), (check.exercise_3_4, 2),
    (check.exercise_3_5, 2), (check.exercise_3_6, 4), (check.exercise_3_7, 4), (check.exercise_3_8, 2)])
def test_unfilled_exercises_are_not_attempted(function, nargs):
    with pytest.raises(NotAttempted, match="not attempted yet"):
        function(*([None] * nargs))


def test_functions_still_holding_the_stub_are_not_attempted(s):
    with pytest.raises(NotAttempted, match="build_classic_mlp"):
        check.exercise_3_2(stub, 640_890)
    with pytest.raises(NotAttempted, match="plot_accuracy"):
        check.exercise_3_4(stub, s.history)
    with pytest.raises(NotAttempted, match="build_mlp"):
        check.exercise_3_6(stub, s.model, s.history, s.accuracy)
    # The notebook's 3.6 cell sets model, history, test_accuracy to None before calling the stub.
    with pytest.raises(NotAttempted, match="build_mlp"):
        check.exercise_3_6(stub, None, None, None)
    with pytest.raises(NotAttempted, match="model, history, test_accuracy are still None"):
        check.exercise_3_6(added_momentum, None, None, None)


# --------------------------------------------------------------------------- 3.1

COUNTS = (615_440, 25_120, 330, 640_890)

CORRECT_3_1 = [
    ("ints", lambda s: COUNTS),
    ("products", lambda s: (784 * 784 + 784, 784 * 32 + 32, 32 * 10 + 10, 640_890)),
    ("numpy int64", lambda s: tuple(np.int64(c) for c in COUNTS)),
    ("floats", lambda s: tuple(float(c) for c in COUNTS)),
    ("float32", lambda s: tuple(np.float32(c) for c in COUNTS)),
    ("tensors", lambda s: tuple(ops.convert_to_tensor(c) for c in COUNTS)),
    ("a loop", lambda s: (lambda sizes: tuple([(a + 1) * b for a, b in zip(sizes, sizes[1:])]
                                              + [sum((a + 1) * b for a, b in zip(sizes, sizes[1:]))]))
     ([784, 784, 32, 10])),
]

WRONG_3_1 = [
    ("weights only, hidden 1", lambda s: (784 * 784, 25_120, 330, 640_890 - 784), "bias"),
    ("weights only, hidden 2", lambda s: (615_440, 784 * 32, 330, 640_890 - 32), "bias"),
    ("weights only, output", lambda s: (615_440, 25_120, 320, 640_880), "bias"),
    ("output takes 784 inputs", lambda s: (615_440, 25_120, 784 * 10 + 10, 648_410), "outputs of the layer before"),
    ("hidden 2 takes 28 inputs", lambda s: (615_440, 28 * 32 + 32, 330, 0), "outputs of the layer before"),
    ("adds instead of multiplying", lambda s: (784 + 784, 25_120, 330, 0), "multiply"),
    ("a bias per input", lambda s: (615_440, 784 * 32 + 784, 330, 0), "bias per unit"),
    ("off by one", lambda s: (615_440, 25_120, 331, 640_891), "one bias per unit"),
    ("(inputs+1)(units+1)", lambda s: (615_440, 785 * 33, 330, 0), "bias per unit"),
    ("total not the sum", lambda s: (615_440, 25_120, 330, 640_000), "Add up"),
    ("total without the output", lambda s: (615_440, 25_120, 330, 640_560), "Add up"),
    ("a string", lambda s: ("615440", 25_120, 330, 640_890), "one whole number"),
]


@correct_variants(CORRECT_3_1)
def test_3_1_correct(make, s, capsys):
    check_both_ways(check.exercise_3_1, make, None, s, capsys)


@wrong_variants(WRONG_3_1)
def test_3_1_wrong(make, hint, s, capsys):
    check_both_ways(check.exercise_3_1, make, hint, s, capsys, answers=COUNTS)


# --------------------------------------------------------------------------- 3.2


def built_with(**kwargs):
    return lambda: mlp(**kwargs)


def from_layers_with_strings():
    model = keras.Sequential([layers.Input((784,)), layers.Dense(784, "relu"), layers.Dense(32, "relu"),
                              layers.Dense(10, "softmax")])
    model.compile(optimizer="sgd", loss="categorical_crossentropy", metrics=["acc"])
    return model


def separate_activations():
    model = keras.Sequential([keras.Input(shape=(784,)), layers.Dense(784), layers.Activation("relu"),
                              layers.Dense(32), layers.Activation(keras.activations.relu),
                              layers.Dense(10), layers.Softmax()])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01, momentum=0.0),
                  loss=keras.losses.categorical_crossentropy, metrics=[keras.metrics.CategoricalAccuracy()])
    return model


def with_defaults(learning_rate=0.01):
    return mlp(optimizer=keras.optimizers.SGD(learning_rate))


SAME = []


def same_model():
    if not SAME:
        SAME.append(classic())
    return SAME[0]


def raises_name_error():
    return keras.Sequential([keras.Input(shape=(784,)), layers.Dense(784, activation="relu"),  # noqa: F821
                             layer.Dense(10)])  # noqa: F821


CORRECT_3_2 = [
    ("Sequential list", lambda s: (classic, 640_890)),
    ("functional, objects", lambda s: (functional_classic, np.int64(640_890))),
    ("Sequential.add", lambda s: (lambda: _as_classic(added_momentum()), 640_890.0)),
    ("strings, optimizer 'sgd', metric 'acc'", lambda s: (from_layers_with_strings, 640_890)),
    ("separate activation layers", lambda s: (separate_activations, 640_890)),
    ("a default argument", lambda s: (with_defaults, 640_890)),
    ("count as a tensor", lambda s: (classic, ops.convert_to_tensor(640_890))),
]


def _as_classic(model):
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01), loss="categorical_crossentropy",
                  metrics=["accuracy"])
    return model


WRONG_3_2 = [
    ("28x28 inputs", lambda s: (built_with(input_shape=(28, 28)), 640_890), "shape of the training array"),
    ("sigmoid hidden", lambda s: (built_with(activation="sigmoid"), 640_890), "asks for ReLU"),
    ("no hidden activation", lambda s: (built_with(activation=None), 640_890), "(?s)has no activation.*non-linearity"),
    ("softmax hidden", lambda s: (built_with(activation="softmax"), 640_890), "output layer only"),
    ("no output softmax", lambda s: (built_with(output=None), 640_890), "softmax on the last layer"),
    ("relu output", lambda s: (built_with(output="relu"), 640_890), "softmax on the last layer"),
    ("sizes swapped", lambda s: (built_with(hidden=(32, 784)), 640_890), "784-784-32-10"),
    ("one hidden layer", lambda s: (built_with(hidden=(784,)), 640_890), "two hidden"),
    ("an extra hidden layer", lambda s: (built_with(hidden=(784, 32, 32)), 640_890), "two hidden"),
    ("Adam", lambda s: (built_with(optimizer=keras.optimizers.Adam()), 640_890), "plain"),
    ("'adam' string", lambda s: (built_with(optimizer="adam"), 640_890), "plain"),
    ("momentum", lambda s: (built_with(optimizer=keras.optimizers.SGD(0.01, momentum=0.9)), 640_890),
     "no momentum"),
    ("learning rate 0.1", lambda s: (built_with(optimizer=keras.optimizers.SGD(0.1)), 640_890), "0.01"),
    ("nesterov", lambda s: (built_with(optimizer=keras.optimizers.SGD(0.01, momentum=0.9, nesterov=True)),
                            640_890), "no momentum"),
    ("mse loss", lambda s: (built_with(loss="mse"), 640_890), "categorical cross-entropy"),
    ("sparse loss", lambda s: (built_with(loss="sparse_categorical_crossentropy"), 640_890), "one-hot"),
    ("from_logits", lambda s: (built_with(loss=keras.losses.CategoricalCrossentropy(from_logits=True)), 640_890),
     "from_logits"),
    ("no metrics", lambda s: (built_with(metrics=()), 640_890), "accuracy"),
    ("not compiled", lambda s: (built_with(compile=False), 640_890), "compile"),
    ("a model, not a function", lambda s: (classic(), 640_890), "def build_classic_mlp"),
    ("needs arguments", lambda s: (lambda learning_rate: classic(), 640_890), "without arguments|no arguments"),
    ("returns nothing", lambda s: (lambda: None, 640_890), "return model"),
    ("the same model each call", lambda s: (same_model, 640_890), "new model"),
    ("raises NameError", lambda s: (raises_name_error, 640_890), "line of your function"),
    ("count without biases", lambda s: (classic, 614_656), "Exercise 3.1"),
    ("an extra Dropout", lambda s: (with_dropout(), 640_890), "(?s)Dropout.*prompt lists the layers"),
    ("tanh hidden", lambda s: (built_with(activation="tanh"), 640_890), "asks for ReLU"),
    ("a BatchNormalization", lambda s: (lambda: _as_classic(keras.Sequential([
        keras.Input((784,)), layers.Dense(784, activation="relu"), layers.BatchNormalization(),
        layers.Dense(32, activation="relu"), layers.Dense(10, activation="softmax")])), 640_890), "BatchNormalization"),
]


@correct_variants(CORRECT_3_2)
def test_3_2_correct(make, s, capsys):
    check_both_ways(check.exercise_3_2, make, None, s, capsys)


@wrong_variants(WRONG_3_2)
def test_3_2_wrong(make, hint, s, capsys):
    check_both_ways(check.exercise_3_2, make, hint, s, capsys, answers=(640_890,))


# --------------------------------------------------------------------------- 3.3


def classic_args(s, value):
    return s.classic_model, s.classic_history, value


def untrained_below_bar():
    model = classic()
    last = model.layers[-1]
    last.set_weights([np.zeros_like(w) for w in last.get_weights()])
    return model


CORRECT_3_3 = [
    ("evaluate()[1]", lambda s: classic_args(s, s.classic_accuracy)),
    ("evaluate as a dict", lambda s: classic_args(
        s, s.classic_model.evaluate(s.x_test, s.y_test_onehot, verbose=0, return_dict=True)["categorical_accuracy"])),
    ("by hand", lambda s: classic_args(s, np.mean(s.classic_model.predict(s.x_test, verbose=0).argmax(1) == s.y_test))),
    ("float32", lambda s: classic_args(s, np.float32(s.classic_accuracy))),
    ("a tensor", lambda s: classic_args(s, ops.convert_to_tensor(s.classic_accuracy))),
    ("sklearn", lambda s: classic_args(s, __import__("sklearn.metrics").metrics.accuracy_score(
        s.y_test, s.classic_model.predict(s.x_test, verbose=0).argmax(-1)))),
    ("one-hot labels compared", lambda s: classic_args(s, np.mean(
        s.classic_model.predict(s.x_test, verbose=0).argmax(-1) == s.y_test_onehot.argmax(-1)))),
]

WRONG_3_3 = [
    ("percentage", lambda s: classic_args(s, 100 * s.classic_accuracy), "fraction"),
    ("[loss, accuracy]", lambda s: classic_args(
        s, s.classic_model.evaluate(s.x_test, s.y_test_onehot, verbose=0)), "keep only the accuracy"),
    ("the loss", lambda s: classic_args(s, s.classic_model.evaluate(s.x_test, s.y_test_onehot, verbose=0)[0]),
     "not the loss|x_test_flat"),
    ("last training accuracy", lambda s: classic_args(s, s.classic_history.history["categorical_accuracy"][-1]),
     "x_test_flat"),
    ("last validation accuracy", lambda s: classic_args(
        s, s.classic_history.history["val_categorical_accuracy"][-1]), "x_test_flat"),
    ("first validation accuracy", lambda s: classic_args(
        s, s.classic_history.history["val_categorical_accuracy"][0]), "x_test_flat"),
    ("validation accuracies as a list", lambda s: classic_args(
        s, s.classic_history.history["val_categorical_accuracy"]), "x_test_flat"),
    ("evaluated on the training images", lambda s: classic_args(
        s, accuracy_on(s.classic_model, s.x_train[:s.split], s.y_train[:s.split])), "x_test_flat"),
    ("evaluated on all training images", lambda s: classic_args(
        s, accuracy_on(s.classic_model, s.x_train, s.y_train)), "x_test_flat"),
    ("evaluated on the validation images", lambda s: classic_args(
        s, accuracy_on(s.classic_model, s.x_train[s.split:], s.y_train[s.split:])), "x_test_flat"),
    ("evaluated on unscaled test pixels", lambda s: classic_args(
        s, accuracy_on(s.classic_model, s.x_test_raw, s.y_test)), "x_test_flat"),
    ("another model's accuracy", lambda s: classic_args(s, s.accuracy), "x_test_flat"),
    ("a made-up number", lambda s: classic_args(s, 0.92), "x_test_flat"),
    ("history of another model", lambda s: (s.classic_model, s.history, s.classic_accuracy), "same cell"),
    ("a better optimizer", lambda s: (s.model, s.history, s.accuracy), "build_classic_mlp"),
    ("the dict, not the History", lambda s: (s.classic_model, s.classic_history.history, s.classic_accuracy),
     "model.fit"),
    ("the model as history", lambda s: (s.classic_model, s.classic_model, s.classic_accuracy), "model.fit"),
    ("no validation split", lambda s: (s.classic_model, fake_history(s.epochs, s.steps, validation=False),
                                       s.classic_accuracy), "validation_split=0.1"),
    ("batch size 32", lambda s: (s.classic_model, fake_history(s.epochs, math.ceil(s.split / 32)),
                                 s.classic_accuracy), "batch_size = 500"),
    ("validation_data instead", lambda s: (s.classic_model, fake_history(s.epochs, math.ceil(len(s.x_train) / 500)),
                                           s.classic_accuracy), "validation_data"),
    ("three more epochs", lambda s: (s.classic_model, fake_history(s.epochs + 3, s.steps), s.classic_accuracy),
     "num_epochs = 20"),
    ("loss did not fall", lambda s: (s.classic_model, fake_history(s.epochs, s.steps, losses=[2.2] + [2.3] * (
        s.epochs - 1)), s.classic_accuracy), "scaled images"),
    ("loss NaN", lambda s: (s.classic_model, fake_history(s.epochs, s.steps, losses=[float("nan")] * s.epochs),
                            s.classic_accuracy), "raw pixels"),
    ("an untrained network", lambda s: (untrained_below_bar(), fake_history(s.epochs, s.steps), 0.098),
     "fresh model"),
]


@correct_variants(CORRECT_3_3)
def test_3_3_correct(make, s, capsys):
    check_both_ways(check.exercise_3_3, make, None, s, capsys)


@wrong_variants(WRONG_3_3)
def test_3_3_wrong(make, hint, s, capsys):
    check_both_ways(check.exercise_3_3, make, hint, s, capsys, answers=(s.classic_accuracy,))


# --------------------------------------------------------------------------- 3.4


def plot_with_axes(history, title):
    ax = plt.figure().gca()
    ax.plot(history.history["accuracy"], label="train")
    ax.plot(history.history["val_accuracy"], label="validation")
    ax.set(title=title, xlabel="epoch", ylabel="accuracy")
    ax.legend()
    return ax


def plot_with_pyplot(history, title):
    logs = history.history
    x = list(range(1, len(logs["accuracy"]) + 1))
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


def plot_figure_legend(history, title):
    figure, ax = plt.subplots(figsize=(6, 3.5))
    for key in ("accuracy", "val_accuracy"):
        ax.plot(history.epoch, np.array(history.history[key], dtype=np.float32), label=key)
    ax.set_title(title)
    ax.set_xlabel("Epoch")
    ax.set_ylabel("Accuracy")
    figure.legend()
    return figure


def plot_metric_object(history, title):
    ax = plt.figure().gca()
    ax.plot(history.history["categorical_accuracy"], label="training")
    ax.plot(history.history["val_categorical_accuracy"], label="validation")
    ax.set(title=title, xlabel="Epoch", ylabel="Accuracy")
    ax.legend()
    return ax


def loss_instead(h, title):
    return plot_with_axes(SimpleNamespace(history={"accuracy": h.history["loss"],
                                                   "val_accuracy": h.history["val_loss"]}), title)


def training_only(h, title):
    ax = plt.figure().gca()
    ax.plot(h.history["accuracy"], label="train")
    ax.set(title=title, xlabel="epoch", ylabel="accuracy")
    ax.legend()
    return ax


def validation_loss_for_validation(h, title):
    return plot_with_axes(SimpleNamespace(history={"accuracy": h.history["accuracy"],
                                                   "val_accuracy": h.history["val_loss"]}), title)


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


def literal_title(h, title):
    ax = plot_with_axes(h, title)
    ax.set_title("title")
    return ax


def separate_figures(h, title):
    for key in ("accuracy", "val_accuracy"):
        ax = plt.figure().gca()
        ax.plot(h.history[key], label=key)
        ax.set(title=title, xlabel="epoch", ylabel="accuracy")
        ax.legend()
    return ax


def legend_without_labels(h, title):
    ax = plt.figure().gca()
    ax.plot(h.history["accuracy"])
    ax.plot(h.history["val_accuracy"])
    ax.set(title=title, xlabel="epoch", ylabel="accuracy")
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ax.legend()
    return ax


def in_percent(h, title):
    ax = plt.figure().gca()
    ax.plot(100 * np.asarray(h.history["accuracy"]), label="training")
    ax.plot(100 * np.asarray(h.history["val_accuracy"]), label="validation")
    ax.set(title=title, xlabel="epoch", ylabel="accuracy (%)")
    ax.legend()
    return ax


def positional_labels(h, title):
    ax = plt.figure().gca()
    ax.plot(h.history["accuracy"])
    ax.plot(h.history["val_accuracy"])
    ax.set_title(f"{title} (MLP)")
    ax.set_xlabel("epoch")
    ax.set_ylabel("accuracy")
    ax.legend(["training", "validation"])
    return ax


def old_key(h, title):
    ax = plt.figure().gca()
    ax.plot(h.history["acc"])
    return ax


CORRECT_3_4 = [
    ("axes", lambda s: (plot_with_axes, s.history)),
    ("pyplot", lambda s: (plot_with_pyplot, s.history)),
    ("two panels", lambda s: (plot_two_panels, s.history)),
    ("figure legend, float32", lambda s: (plot_figure_legend, s.history)),
    ("metric object's names", lambda s: (plot_metric_object, s.classic_history)),
    ("in percent", lambda s: (in_percent, s.history)),
    ("labels given to legend, longer title", lambda s: (positional_labels, s.history)),
]

WRONG_3_4 = [
    ("the loss", lambda s: (loss_instead, s.history), "about accuracy"),
    ("no validation line", lambda s: (training_only, s.history), "val_accuracy"),
    ("validation loss as validation", lambda s: (validation_loss_for_validation, s.history), "val_accuracy"),
    ("no axis labels", lambda s: (unlabelled, s.history), "set_xlabel"),
    ("no legend", lambda s: (no_legend, s.history), "legend"),
    ("no title", lambda s: (no_title, s.history), "title"),
    ("a literal title", lambda s: (literal_title, s.history), "title the function is given"),
    ("curves in separate figures", lambda s: (separate_figures, s.history), "separate axes"),
    ("a legend without labels", lambda s: (legend_without_labels, s.history), "legend does not name both"),
    ("one argument", lambda s: (lambda h: plot_with_axes(h, "x"), s.history), "and a title"),
    ("draws nothing", lambda s: (lambda h, title: None, s.history), "ax.plot"),
    ("the old key 'acc'", lambda s: (old_key, s.history), "history.history"),
    ("the dict, not the History", lambda s: (plot_with_axes, s.history.history), "model.fit"),
    ("not a function", lambda s: (plot_with_axes(s.history, "t"), s.history), "def plot_accuracy"),
]


@correct_variants(CORRECT_3_4)
def test_3_4_correct(make, s, capsys):
    before = plt.get_fignums()
    check_both_ways(check.exercise_3_4, make, None, s, capsys)
    assert plt.get_fignums() == before, "the check closes the figures it made"


@wrong_variants(WRONG_3_4)
def test_3_4_wrong(make, hint, s, capsys):
    check_both_ways(check.exercise_3_4, make, hint, s, capsys)
    assert not plt.get_fignums()


# --------------------------------------------------------------------------- 3.5

CORRECT_3_5 = [
    ("ints", lambda s: (s.steps, s.steps * 20)),
    ("floats", lambda s: (float(s.steps), np.int64(s.steps * 20))),
    ("math.ceil", lambda s: (math.ceil(int(len(s.x_train) * 0.9) / 500), math.ceil(int(len(s.x_train) * 0.9) / 500) * 20)),
    ("floor division trick", lambda s: (-(-s.split // 500), -(-s.split // 500) * 20)),
    ("the epochs that ran", lambda s: (s.steps, s.steps * mode.epochs(20))),
    ("numpy", lambda s: (np.ceil(s.split / 500), np.ceil(s.split / 500) * 20)),
]

WRONG_3_5 = [
    ("every image", lambda s: (math.ceil(len(s.x_train) / 500), s.steps * 20), "validation_split"),
    ("not multiplied", lambda s: (s.steps, s.steps), "Multiply"),
    ("21 epochs", lambda s: (s.steps, s.steps * 21), "20 epochs"),
    ("batch 32", lambda s: (math.ceil(s.split / 32), math.ceil(s.split / 32) * 20), "batch size of 500"),
    ("validation 0.2", lambda s: (math.ceil(len(s.x_train) * 0.8 / 500), 0), "Round up|batch size of 500|validation"),
    ("total plus epochs", lambda s: (s.steps, s.steps + 20), "20 epochs"),
]
WRONG_3_5 += [  # in full mode the split divides evenly; these then use a count that cannot be right
    ("unrounded", lambda s: (s.split / 500 if s.split % 500 else 0.5, s.steps * 20), "round up|not right"),
    ("rounded down", lambda s: (s.split // 500 if s.split % 500 else 1, s.steps * 20), "Round up|not right"),
]


@correct_variants(CORRECT_3_5)
def test_3_5_correct(make, s, capsys):
    check_both_ways(check.exercise_3_5, make, None, s, capsys)


@wrong_variants(WRONG_3_5)
def test_3_5_wrong(make, hint, s, capsys):
    check_both_ways(check.exercise_3_5, make, hint, s, capsys, answers=(s.steps, s.steps * 20))


# --------------------------------------------------------------------------- 3.6


def _diverged(s, rate):
    """The fixed network compiled with plain SGD at ``rate`` (its run is faked as diverged)."""
    return mlp(optimizer=keras.optimizers.SGD(rate))


def _fit_twice(s):
    """The training cell of 3.6 run twice: its History shows one run, the optimizer counts both."""
    model = added_momentum()
    model.set_weights(s.model.get_weights())
    model.optimizer.iterations.assign(2 * s.epochs * s.steps)
    return added_momentum, model, fake_history(s.epochs, s.steps), accuracy_on(model, s.x_test, s.y_test)


def fixed_args(s, build=added_momentum, value=None):
    return build, s.model, s.history, s.accuracy if value is None else value


CORRECT_3_6 = [
    ("momentum via add", lambda s: fixed_args(s)),
    ("Adam", lambda s: fixed_args(s, built_with(optimizer=keras.optimizers.Adam()))),
    ("'adam' string", lambda s: fixed_args(s, built_with(optimizer="adam"))),
    ("larger rate", lambda s: fixed_args(s, built_with(optimizer=keras.optimizers.SGD(learning_rate=0.5)))),
    ("momentum at 0.01", lambda s: fixed_args(s, built_with(optimizer=keras.optimizers.SGD(0.01, momentum=0.9)))),
    ("Nesterov", lambda s: fixed_args(s, built_with(optimizer=keras.optimizers.SGD(0.05, momentum=0.9,
                                                                                  nesterov=True)))),
    ("RMSprop, metric object", lambda s: fixed_args(s, built_with(optimizer=keras.optimizers.RMSprop(),
                                                                  metrics=[keras.metrics.CategoricalAccuracy()]))),
    ("accuracy by hand, float64", lambda s: fixed_args(s, value=np.float64(np.mean(s.digits == s.y_test)))),
    ("accuracy as a tensor", lambda s: fixed_args(s, value=ops.convert_to_tensor(s.accuracy))),
]

WRONG_3_6 = [
    ("still the classic optimizer", lambda s: fixed_args(s, classic), "momentum"),
    ("a smaller rate", lambda s: fixed_args(s, built_with(optimizer=keras.optimizers.SGD(0.001))), "momentum"),
    ("another architecture", lambda s: fixed_args(s, built_with(hidden=(128,), optimizer="adam")), "784-784-32-10"),
    ("mse loss", lambda s: fixed_args(s, built_with(optimizer="adam", loss="mse")), "categorical cross-entropy"),
    ("returns the trained model", lambda s: fixed_args(s, lambda: s.model), "new model"),
    ("the classic accuracy", lambda s: fixed_args(s, value=s.classic_accuracy), "x_test_flat"),
    ("the last training accuracy", lambda s: fixed_args(s, value=s.history.history["accuracy"][-1]), "x_test_flat"),
    ("the last validation accuracy", lambda s: fixed_args(s, value=s.history.history["val_accuracy"][-1]),
     "x_test_flat"),
    ("a percentage", lambda s: fixed_args(s, value=100 * s.accuracy), "fraction"),
    ("the classic history", lambda s: (added_momentum, s.model, s.classic_history, s.accuracy), "same cell"),
    ("the classic model", lambda s: (added_momentum, s.classic_model, s.classic_history, s.classic_accuracy),
     "build_mlp"),
    ("batch without split", lambda s: (added_momentum, s.model, fake_history(s.epochs, math.ceil(len(s.x_train) / 500)),
                                       s.accuracy), "batch_size = 500"),
    ("an untrained network", lambda s: (added_momentum, added_momentum(), fake_history(s.epochs, s.steps), 0.1),
     "Adam"),
    ("an extra Dropout", lambda s: fixed_args(s, with_dropout(keras.optimizers.Adam())), "Dropout"),
    ("tanh hidden layers", lambda s: fixed_args(s, built_with(activation="tanh", optimizer="adam")), "asks for ReLU"),
    ("uncompiled builder, training cell crashed", lambda s: (built_with(compile=False), None, None, None), "not compiled"),
    ("sparse loss, training cell crashed", lambda s: (built_with(optimizer="adam", loss="sparse_categorical_crossentropy"),
                                                      None, None, None), "sparse"),
    ("no accuracy metric, evaluate[1] crashed", lambda s: (built_with(optimizer="adam", metrics=()), s.model, s.history,
                                                            None), "accuracy"),
    ("SGD at 20, diverged", lambda s: (built_with(optimizer=keras.optimizers.SGD(20.0)), _diverged(s, 20.0),
                                       fake_history(s.epochs, s.steps, losses=[float("nan")] * s.epochs), 0.1),
     "learning rate"),
    ("fit run twice", _fit_twice, "more than once"),
    ("count of right answers", lambda s: fixed_args(s, value=float(np.sum(s.digits == s.y_test))), "number of right answers"),
    ("divided by the training images", lambda s: fixed_args(s, value=float(np.sum(s.digits == s.y_test)) / len(s.x_train)),
     "divided by the number of"),
]


@correct_variants(CORRECT_3_6)
def test_3_6_correct(make, s, capsys):
    check_both_ways(check.exercise_3_6, make, None, s, capsys)


@wrong_variants(WRONG_3_6)
def test_3_6_wrong(make, hint, s, capsys):
    check_both_ways(check.exercise_3_6, make, hint, s, capsys, answers=(s.accuracy,))


def test_the_full_mode_bar_applies_on_the_full_data(s, monkeypatch):
    """A network trained 2 epochs on the fast sample is below the full-mode bar of 98 %."""
    from mnist_course.data import course_data

    monkeypatch.setenv("MNIST_COURSE_FAST", "0")
    full = course_data()
    steps = math.ceil(int(len(full.train[0]) * 0.9) / 500)
    message = run(check.exercise_3_6, (added_momentum, s.model, fake_history(20, steps), 0.9))
    assert "on the full data" in message and "98%" in message and "Rebuild" in message


# --------------------------------------------------------------------------- 3.7


def titles_for(s, predictions, picks=None, form="{p} / {t}"):
    picks = s.picks if picks is None else picks
    return [form.format(p=predictions[i], t=s.y_test[i]) for i in picks]


CORRECT_3_7 = [
    ("argmax(-1)", lambda s: (s.digits, s.titles, s.picks, s.model)),
    ("np.argmax axis=1, lists", lambda s: (np.argmax(s.scores, axis=1).tolist(),
                                           titles_for(s, s.digits, form="{p}/{t}"), s.picks.tolist(), s.model)),
    ("keras.ops tensor, tuple", lambda s: (ops.argmax(s.model(s.x_test), axis=-1),
                                           tuple(titles_for(s, s.digits, form=" {p} /{t} ")), s.picks, s.model)),
    ("default batch size, uint8", lambda s: (s.model.predict(s.x_test, verbose=0).argmax(-1).astype(np.uint8),
                                             np.array(s.titles), s.picks, s.model)),
    ("a loop", lambda s: ([int(np.argmax(row)) for row in s.scores], s.titles, s.picks, s.model)),
]

WRONG_3_7 = [
    ("probabilities", lambda s: (s.scores, s.titles, s.picks, s.model), "argmax"),
    ("argmax over the images", lambda s: (s.scores.argmax(0), s.titles, s.picks, s.model), "axis=1"),
    ("the labels", lambda s: (s.y_test, s.titles, s.picks, s.model), "Ask the model"),
    ("off by one", lambda s: ((s.digits + 1) % 10, s.titles, s.picks, s.model), "scaled like"),
    ("unscaled inputs", lambda s: (s.model.predict(s.x_test_raw, verbose=0).argmax(-1), s.titles, s.picks, s.model),
     "scaled like"),
    ("another model", lambda s: (s.classic_model.predict(s.x_test, verbose=0).argmax(-1), s.titles, s.picks,
                                 s.model), "fixed model"),
    ("one-hot predictions", lambda s: (np.eye(10)[s.digits], s.titles, s.picks, s.model), "argmax"),
    ("true / predicted", lambda s: (s.digits, titles_for(s, s.digits, form="{t} / {p}"), s.picks, s.model),
     "model's answer first"),
    ("other wording", lambda s: (s.digits, titles_for(s, s.digits, form="predicted {p}, true {t}"), s.picks, s.model),
     "a slash"),
    ("eight titles", lambda s: (s.digits, s.titles[:8], s.picks, s.model), "One title per image"),
    ("titles of other images", lambda s: (s.digits, titles_for(s, s.digits, picks=s.picks + 1), s.picks, s.model),
     "index in picks"),
    ("one string", lambda s: (s.digits, ", ".join(s.titles), s.picks, s.model), "One title per image"),
]


@correct_variants(CORRECT_3_7)
def test_3_7_correct(make, s, capsys):
    check_both_ways(check.exercise_3_7, make, None, s, capsys)


@wrong_variants(WRONG_3_7)
def test_3_7_wrong(make, hint, s, capsys):
    check_both_ways(check.exercise_3_7, make, hint, s, capsys)


# --------------------------------------------------------------------------- 3.8

CORRECT_3_8 = [
    ("np.flatnonzero", lambda s: (np.flatnonzero(s.digits != s.y_test), s.model)),
    ("np.where tuple", lambda s: (np.where(s.digits != s.y_test), s.model)),
    ("np.where()[0]", lambda s: (np.where(s.digits != s.y_test)[0], s.model)),
    ("np.nonzero tuple", lambda s: (np.nonzero(s.digits != s.y_test), s.model)),
    ("np.argwhere column", lambda s: (np.argwhere(s.digits != s.y_test), s.model)),
    ("a reversed loop", lambda s: ([i for i in range(len(s.y_test)) if s.digits[i] != s.y_test[i]][::-1], s.model)),
    ("a tensor", lambda s: (ops.convert_to_tensor(np.flatnonzero(s.digits != s.y_test)), s.model)),
    ("int32", lambda s: (np.flatnonzero(s.digits != s.y_test).astype(np.int32), s.model)),
]

WRONG_3_8 = [
    ("a boolean mask", lambda s: (s.digits != s.y_test, s.model), "np.flatnonzero"),
    ("the right ones", lambda s: (np.flatnonzero(s.digits == s.y_test), s.model), "!="),
    ("shifted by one", lambda s: (s.wrong + 1, s.model), "outside the test set|other indices|differ"),
    ("one missing", lambda s: (s.wrong[:-1], s.model), "differ"),
    ("one twice", lambda s: (np.append(s.wrong, s.wrong[0]), s.model), "once"),
    ("of another model", lambda s: (np.flatnonzero(s.classic_model.predict(s.x_test, verbose=0).argmax(-1)
                                                   != s.y_test), s.model), "differ"),
    ("2-D argwhere of a 2-D mask", lambda s: (np.argwhere(np.stack([s.digits != s.y_test] * 2, 1)), s.model),
     "flat list"),
    ("the predictions", lambda s: (s.digits, s.model), "differ|other indices|once"),
]


@correct_variants(CORRECT_3_8)
def test_3_8_correct(make, s, capsys):
    check_both_ways(check.exercise_3_8, make, None, s, capsys)
    answer = make(s)[0]  # the cells below the check read the answer through np.ravel and np.size
    shown = np.ravel(answer)
    assert np.size(answer) == len(s.wrong) and np.array_equal(np.sort(shown), s.wrong)


@wrong_variants(WRONG_3_8)
def test_3_8_wrong(make, hint, s, capsys):
    check_both_ways(check.exercise_3_8, make, hint, s, capsys)


def test_variant_counts():
    """The counts the report gives: correct and wrong variants fed to notebook 03's checks."""
    correct = sum(map(len, (CORRECT_3_1, CORRECT_3_2, CORRECT_3_3, CORRECT_3_4, CORRECT_3_5, CORRECT_3_6,
                            CORRECT_3_7, CORRECT_3_8)))
    wrong = sum(map(len, (WRONG_3_1, WRONG_3_2, WRONG_3_3, WRONG_3_4, WRONG_3_5, WRONG_3_6, WRONG_3_7, WRONG_3_8)))
    assert correct >= 50 and wrong >= 100, (correct, wrong)
