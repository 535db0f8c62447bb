"""Checks of notebook 04 as simulated students: every correct answer we could think of passes
(other APIs, dtypes, containers, tensors), every plausible mistake fails with a hint that
does not give the answer away.

Each exercise has a CORRECT and a WRONG list of variants; a variant is a function of the
shared ``runs`` and ``data`` that returns the check's arguments. Trained runs are small (two
epochs on the fast-mode sample) and trained once per module; mistakes a check rejects before
it looks at any number get a History built without training (``fake_history``).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from mnist_course.checks import NotAttempted
from mnist_course.checks import nb04 as check

keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")
from keras import layers  # noqa: E402

from checking import fails, fake_history, passes  # noqa: E402
from checking_models import assert_no_solution_line, solution_lines, trained_before  # noqa: E402

pytestmark = pytest.mark.usefixtures("fast_mode")


# --------------------------------------------------------------------------- models


def mlp(optimizer, hidden=(128, 128, 128), extra=None, api="sequential", loss="categorical_crossentropy",
        metrics=("accuracy",), output="softmax", input_shape=(784,)):
    """The notebook's network, written with ``api`` ("sequential", "add" or "functional")."""
    stack = []
    for units in hidden:
        stack.append(layers.Dense(units, activation="relu"))
        if extra is not None:
            stack.append(extra())
    if output == "softmax":
        stack.append(layers.Dense(10, activation="softmax"))
    elif output == "activation":
        stack += [layers.Dense(10), layers.Activation("softmax")]
    else:
        stack.append(layers.Dense(10, activation=output))
    if api == "functional":
        inputs = keras.Input(shape=input_shape)
        outputs = inputs
        for layer in stack:
            outputs = layer(outputs)
        model = keras.Model(inputs, outputs)
    elif api == "add":
        model = keras.Sequential()
        model.add(keras.Input(shape=input_shape))
        for layer in stack:
            model.add(layer)
    else:
        model = keras.Sequential([keras.Input(shape=input_shape), *stack])
    model.compile(optimizer=optimizer, loss=loss, metrics=list(metrics))
    return model


def mlp_activation_layers(optimizer, activation=layers.ReLU, output=layers.Softmax):
    """The notebook's network with every activation written as a layer of its own."""
    stack = [keras.Input(shape=(784,))]
    for _ in range(3):
        stack += [layers.Dense(128), activation()]
    stack += [layers.Dense(10), output()]
    model = keras.Sequential(stack)
    model.compile(optimizer=optimizer, loss="categorical_crossentropy", metrics=["accuracy"])
    return model


class SubclassedMLP(keras.Model):
    """The notebook's network as a subclass of keras.Model (it learns its input size when called)."""

    def __init__(self, hidden=(128, 128, 128)):
        super().__init__()
        self.hidden_layers = [layers.Dense(units, activation="relu") for units in hidden]
        self.output_layer = layers.Dense(10, activation="softmax")

    def call(self, inputs):
        for layer in self.hidden_layers:
            inputs = layer(inputs)
        return self.output_layer(inputs)


def subclassed(optimizer, **kwargs):
    model = SubclassedMLP(**kwargs)
    model.compile(optimizer=optimizer, loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def built(model, shape=(None, 784)):
    model.build(shape)
    return model


def schedule(rate=0.001):
    return keras.optimizers.schedules.ExponentialDecay(rate, decay_steps=100, decay_rate=0.9)


def twice(data, model, **fit_args):
    """``model`` trained, then trained again (a second fit, as a re-run cell does)."""
    train(data, model, **fit_args)
    return train(data, model, **fit_args)


def sgd(rate, **settings):
    return keras.optimizers.SGD(learning_rate=rate, **settings)


def nesterov():
    return sgd(0.01, momentum=0.9, nesterov=True)


def train(data, model, inputs="x_train_std", epochs=5, limit=None, seed=0, **fit_args):
    from mnist_course import mode

    keras.utils.set_random_seed(seed)
    x, y = data[inputs], data["y_train_onehot"]
    if limit:
        x, y = x[:limit], y[:limit]
    fit_args.setdefault("batch_size", 32)
    return model.fit(x, y, epochs=mode.epochs(epochs), verbose=0,
                     callbacks=[keras.callbacks.TerminateOnNaN()], **fit_args)


def steps(data, split=0.0, batch=32):
    return math.ceil(int(len(data["x_train"]) * (1 - split)) / batch)


def fake(data, model, epochs=2, split=0.3, metric="accuracy", **changes):
    """An untrained model's History with plausible logs, for mistakes caught before numbers."""
    logs = {"loss": [0.5] * epochs, metric: [0.9] * epochs}
    if split:
        logs.update({"val_loss": [0.4] * epochs, f"val_{metric}": [0.91] * epochs})
    logs.update(changes)
    return fake_history(model, logs, steps(data, split))


def accuracy(history, x):
    from mnist_course.data import course_data

    y_test = course_data().test[1]
    return float(np.mean(history.model.predict(x, verbose=0).argmax(-1) == y_test))


RATES = [0.0001, 0.001, 0.01, 0.1, 1.0]


@pytest.fixture(scope="module")
def runs(data):
    """The trained runs the tests share, each trained once."""
    split = dict(validation_split=0.3)
    found = {
        "diverged": train(data, mlp(sgd(0.5)), inputs="x_train", limit=640, seed=42),  # surely NaN
        "small": train(data, mlp(sgd(0.001)), inputs="x_train"),
        "small_functional": train(data, mlp(sgd(0.003), api="functional",
                                            metrics=[keras.metrics.CategoricalAccuracy()]), inputs="x_train"),
        "small_scaled": train(data, mlp(sgd(0.001)), inputs="x_train_scaled_flat"),
        "baseline": train(data, mlp(nesterov()), **split),
        "baseline_functional": train(data, mlp(nesterov(), api="functional",
                                               loss=keras.losses.CategoricalCrossentropy(),
                                               metrics=[keras.metrics.CategoricalAccuracy()]), **split),
        "adam": train(data, mlp(keras.optimizers.Adam(0.001), api="add"), **split),
        "dropout": train(data, mlp(nesterov(), extra=lambda: layers.Dropout(0.1), api="functional",
                                   metrics=["acc"]), **split),
    }
    found["sweep"] = [train(data, mlp(sgd(rate)), epochs=2, **split) for rate in RATES]
    found["small_relu_layers"] = train(data, mlp_activation_layers(sgd(0.001)), inputs="x_train")
    found["small_nesterov_no_momentum"] = train(data, mlp(sgd(0.001, nesterov=True)), inputs="x_train")
    found["baseline_subclassed"] = train(data, subclassed(nesterov()), **split)
    found["baseline_activation_layers"] = train(
        data, mlp_activation_layers(nesterov(), activation=lambda: layers.Activation("relu"),
                                    output=lambda: layers.Activation("softmax")), **split)
    found["baseline_twice"] = twice(data, mlp(nesterov()), **split)
    return found


@pytest.fixture(scope="module", autouse=True)
def scaled_flat(data):
    data["x_train_scaled_flat"] = data["x_train"] / 255
    data["x_test_scaled_flat"] = data["x_test"] / 255


@pytest.mark.parametrize("function, nargs", [(check.exercise_4_1, 3), (check.exercise_4_2, 1),
                                              (check.exercise_4_3, 4), (check.exercise_4_4, 3),
                                              (check.exercise_4_5, 4), (check.exercise_4_6, 4)])
def test_unfilled_exercises_are_not_attempted(function, nargs):
    with pytest.raises(NotAttempted, match="not attempted yet"):
        function(*([None] * nargs))


# --------------------------------------------------------------------------- 4.1


def last_loss(runs, name="diverged"):
    return runs[name].history["loss"][-1]


CORRECT_4_1 = {
    "np.log(10)": lambda r, d: (r["diverged"], np.log(10), bool(np.isnan(last_loss(r)))),
    "-np.log(1/10), math.isnan": lambda r, d: (r["diverged"], -np.log(1 / 10), math.isnan(last_loss(r))),
    "math.log, np.isnan(...).any()": lambda r, d: (r["diverged"], math.log(10),
                                                   np.isnan(r["diverged"].history["loss"]).any()),
    "float32, np.bool_": lambda r, d: (r["diverged"], np.float32(np.log(10)), np.isnan(last_loss(r))),
    "tensor loss and bool": lambda r, d: (r["diverged"], -tf.math.log(tf.constant(0.1)),
                                         tf.math.is_nan(tf.constant(last_loss(r)))),
    "keras cross-entropy of a uniform guess": lambda r, d: (
        r["diverged"], keras.losses.categorical_crossentropy(np.eye(10)[:1], np.full((1, 10), 0.1))[0],
        last_loss(r) != last_loss(r)),
    "one-element array": lambda r, d: (r["diverged"], np.array([np.log(10)]), True),
    "diverged run is NaN": lambda r, d: (r["diverged"], np.log(10), bool(np.isnan(last_loss(r)))) if
    math.isnan(last_loss(r)) else pytest.fail("the 'diverged' run did not end in NaN"),
    "run that did not diverge": lambda r, d: (r["small"], np.log(10), bool(np.isnan(last_loss(r, "small")))),
}

WRONG_4_1 = {
    "log10": (lambda r, d: (r["diverged"], np.log10(10), True), "natural logarithm"),
    "log2": (lambda r, d: (r["diverged"], np.log2(10), True), "natural logarithm"),
    "probability": (lambda r, d: (r["diverged"], 0.1, True), "minus the logarithm"),
    "negative": (lambda r, d: (r["diverged"], np.log(0.1), True), "MINUS"),
    "loss before training": (lambda r, d: (r["diverged"], 40.0, True), "1/10"),
    "ten": (lambda r, d: (r["diverged"], 10, True), "1/10"),
    "== np.nan": (lambda r, d: (r["diverged"], np.log(10), last_loss(r) == np.nan), "np.isnan"),
    "string": (lambda r, d: (r["diverged"], np.log(10), "yes"), "bool"),
    "count of NaN": (lambda r, d: (r["diverged"], np.log(10), int(np.isnan(last_loss(r)))), "bool"),
    "True for a finite run": (lambda r, d: (r["small"], np.log(10), True), "last entry"),
    "History's dict": (lambda r, d: (r["diverged"].history, np.log(10), True), "History"),
    "model instead of History": (lambda r, d: (r["diverged"].model, np.log(10), True), "fit returns"),
    "string chance loss": (lambda r, d: (r["diverged"], "2.3", True), "single number"),
}


# --------------------------------------------------------------------------- 4.2

CORRECT_4_2 = {
    "build_mlp at 0.001": lambda r, d: (r["small"],),
    "functional, metric object, 0.003": lambda r, d: (r["small_functional"],),
    "Dense then ReLU() layers, Softmax() layer": lambda r, d: (r["small_relu_layers"],),
    "nesterov=True without momentum is plain SGD": lambda r, d: (r["small_nesterov_no_momentum"],),
}

WRONG_4_2 = {
    "same rate that diverged": (lambda r, d: (r["diverged"],), "smaller rate"),
    "model instead of History": (lambda r, d: (r["small"].model,), "fit returns"),
    "momentum": (lambda r, d: (fake(d, mlp(sgd(0.001, momentum=0.9)), split=0),), "one thing at a time"),
    "nesterov": (lambda r, d: (fake(d, mlp(sgd(0.001, momentum=0.9, nesterov=True)), split=0),),
                 "one thing at a time"),
    "Adam": (lambda r, d: (fake(d, mlp(keras.optimizers.Adam(0.001)), split=0),), "plain SGD"),
    "larger rate": (lambda r, d: (fake(d, mlp(sgd(0.1)), split=0),), "smaller rate"),
    "one hidden layer": (lambda r, d: (fake(d, mlp(sgd(0.001), hidden=(64,)), split=0),), "three Dense"),
    "extra dropout": (lambda r, d: (fake(d, mlp(sgd(0.001), extra=lambda: layers.Dropout(0.2)), split=0),),
                      "plain network"),
    "mse loss": (lambda r, d: (fake(d, mlp(sgd(0.001), loss="mse"), split=0),), "cross-entropy"),
    "no softmax": (lambda r, d: (fake(d, mlp(sgd(0.001), output=None), split=0),), "softmax"),
    "still NaN": (lambda r, d: (fake(d, mlp(sgd(0.005)), split=0, loss=[float("nan")]),), "ten times smaller"),
    "one epoch": (lambda r, d: (fake(d, mlp(sgd(0.001)), epochs=1, split=0),), "num_epochs = 5"),
    "batch 256": (lambda r, d: (fake_history(mlp(sgd(0.001)), {"loss": [1, 1], "accuracy": [.5, .5]},
                                             steps(d, batch=256)),), "batch_size = 32"),
    "too small to learn": (lambda r, d: (train(d, mlp(sgd(1e-7)), inputs="x_train"),),
                           "batch_size|hardly move"),
    "trained on scaled pixels": (lambda r, d: (r["small_scaled"],), "raw pixels"),
    "learning-rate schedule": (lambda r, d: (fake(d, mlp(sgd(schedule())), split=0),), "fixed learning rate"),
    "fit run twice": (lambda r, d: (fake(d, trained_before(mlp(sgd(0.001))), split=0),), "build it again"),
    "tanh as Activation layers": (lambda r, d: (fake(d, mlp_activation_layers(
        sgd(0.001), activation=lambda: layers.Activation("tanh")), split=0),), "three Dense"),
    "SGD as a string (rate 0.01)": (lambda r, d: (fake(d, mlp("sgd"), split=0),), "smaller rate"),
}


# --------------------------------------------------------------------------- 4.3


def std_answer(d, train_images="x_train", **kwargs):
    x_train, x_test = d["x_train"], d["x_test"]
    mean, std = x_train.mean(), x_train.std()
    return mean, std, (x_train - mean) / std, (x_test - mean) / std


def pixel_answer(d, eps=1e-7):
    x_train, x_test = d["x_train"], d["x_test"]
    mean, std = x_train.mean(axis=0), x_train.std(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):  # eps=0 is the mistake that makes NaN
        return mean, std, (x_train - mean) / (std + eps), (x_test - mean) / (std + eps)


def normaliser_answer(d):
    normaliser = layers.Normalization(axis=None)
    normaliser.adapt(d["x_train"])
    return (float(np.asarray(normaliser.mean).ravel()[0]),
            float(np.sqrt(np.asarray(normaliser.variance).ravel()[0])),
            normaliser(d["x_train"]), normaliser(d["x_test"]))


def scaled_answer(d, ddof=1):
    train, test = d["x_train"] / 255, d["x_test"] / 255
    mean, std = train.mean(), train.std(ddof=ddof)
    return mean, std, (train - mean) / std, (test - mean) / std


def in_float64(d):
    train, test = d["x_train"].astype(np.float64), d["x_test"].astype(np.float64)
    mean, std = np.mean(train), np.std(train)
    return mean, std, (train - mean) / std, (test - mean) / std


def safe_pixel_answer(d):
    x_train, x_test = d["x_train"], d["x_test"]
    mean, std = x_train.mean(axis=0), x_train.std(axis=0)
    safe = np.where(std == 0, 1, std)
    return mean.reshape(28, 28), safe, (x_train - mean) / safe, (x_test - mean) / safe


def tf_answer(d):
    train = tf.constant(d["x_train"])
    mean, std = tf.reduce_mean(train), tf.math.reduce_std(train)
    return mean, std, (train - mean) / std, (tf.constant(d["x_test"]) - mean) / std


CORRECT_4_3 = {
    "global": std_answer,
    "global float64": in_float64,
    "0..1 scale, ddof=1": scaled_answer,
    "per pixel + epsilon": pixel_answer,
    "per pixel, np.where": safe_pixel_answer,
    "Normalization layer": normaliser_answer,
    "tensorflow": tf_answer,
    "lists of rows": lambda d: (lambda m, s, a, b: (m, s, [row for row in a], b))(*std_answer(d)),
}


def _with(d, **parts):
    mean, std, train, test = std_answer(d)
    values = {"mean": mean, "std": std, "train": train, "test": test}
    values.update({key: value(d) if callable(value) else value for key, value in parts.items()})
    return values["mean"], values["std"], values["train"], values["test"]


def _test_stats(d):
    return d["x_test"].mean(), d["x_test"].std()


def _whole(d):
    both = np.concatenate([d["x_train"], d["x_test"]])
    return both.mean(), both.std()


WRONG_4_3 = {
    "test with its own stats": (lambda d: _with(d, test=lambda d: (d["x_test"] - _test_stats(d)[0]) / _test_stats(d)[1]),
                                "training images only"),
    "both with test stats": (lambda d: (*_test_stats(d), (d["x_train"] - _test_stats(d)[0]) / _test_stats(d)[1],
                                        (d["x_test"] - _test_stats(d)[0]) / _test_stats(d)[1]), "training images only"),
    "stats of the whole data": (lambda d: (*_whole(d), (d["x_train"] - _whole(d)[0]) / _whole(d)[1],
                                           (d["x_test"] - _whole(d)[0]) / _whole(d)[1]), "must not influence"),
    "test left raw": (lambda d: _with(d, test=lambda d: d["x_test"]), "same transformation"),
    "test only scaled": (lambda d: _with(d, test=lambda d: d["x_test"] / 255), "same transformation"),
    "train only scaled": (lambda d: _with(d, train=lambda d: d["x_train"] / 255), "Subtract the training mean"),
    "mixed pixel and global": (lambda d: (lambda p: (p[0], p[1], p[2], std_answer(d)[3]))(pixel_answer(d)),
                               "same numbers to both"),
    "pixel stats of the test set": (lambda d: (lambda p: (p[0], p[1], p[2], (d["x_test"] - d["x_test"].mean(0)) /
                                                          (d["x_test"].std(0) + 1e-7)))(pixel_answer(d)),
                                    "training images only"),
    "NaN from zero std": (lambda d: pixel_answer(d, eps=0), "small number"),
    "mean only": (lambda d: _with(d, train=lambda d: d["x_train"] - d["x_train"].mean(),
                                  test=lambda d: d["x_test"] - d["x_train"].mean()), "both steps"),
    "std only": (lambda d: _with(d, train=lambda d: d["x_train"] / d["x_train"].std(),
                                 test=lambda d: d["x_test"] / d["x_train"].std()), "both steps"),
    "divide by 255 only": (lambda d: _with(d, train=lambda d: d["x_train"] / 255, test=lambda d: d["x_test"] / 255),
                           "Subtract the training mean"),
    "not flat": (lambda d: _with(d, train=lambda d: std_answer(d)[2].reshape(-1, 28, 28),
                                 test=lambda d: std_answer(d)[3].reshape(-1, 28, 28)), "flat arrays"),
    "sets swapped": (lambda d: _with(d, train=lambda d: std_answer(d)[3], test=lambda d: std_answer(d)[2]),
                     "x_train_flat"),
    "mean of the whole data stored": (lambda d: _with(d, mean=lambda d: _whole(d)[0]), "nothing else"),
    "pixel mean stored with global arrays": (lambda d: _with(d, mean=lambda d: d["x_train"].mean(axis=0)),
                                             "the numbers you used"),
    "mean and std swapped": (lambda d: _with(d, mean=lambda d: d["x_train"].std(), std=lambda d: d["x_train"].mean()),
                             "nothing else"),
    "divided then subtracted": (lambda d: _with(d, train=lambda d: d["x_train"] / d["std"] - d["mean"],
                                                test=lambda d: d["x_test"] / d["std"] - d["mean"]),
                                "standardised|both steps"),
    "variance instead of std": (lambda d: _with(d, std=lambda d: d["x_train"].var(),
                                                train=lambda d: (d["x_train"] - d["mean"]) / d["x_train"].var(),
                                                test=lambda d: (d["x_test"] - d["mean"]) / d["x_train"].var()),
                                "standardised|both steps"),
}


# --------------------------------------------------------------------------- 4.4


def evaluated(history, d):
    return history.model.evaluate(d["x_test_std"], d["y_test_onehot"], verbose=0)


CORRECT_4_4 = {
    "evaluate()[1]": lambda r, d: (r["baseline"], d["x_test_std"], evaluated(r["baseline"], d)[1]),
    "functional, loss and metric objects": lambda r, d: (
        r["baseline_functional"], d["x_test_std"], evaluated(r["baseline_functional"], d)[1]),
    "float32 from predict, x_test_std as a list": lambda r, d: (
        r["baseline"], list(d["x_test_std"]), np.float32(accuracy(r["baseline"], d["x_test_std"]))),
    "x_test_std as a tensor, return_dict": lambda r, d: (
        r["baseline"], tf.constant(d["x_test_std"]),
        r["baseline"].model.evaluate(d["x_test_std"], d["y_test_onehot"], verbose=0, return_dict=True)["accuracy"]),
    "subclassed keras.Model": lambda r, d: (r["baseline_subclassed"], d["x_test_std"],
                                            evaluated(r["baseline_subclassed"], d)[1]),
    "Activation('relu') and Activation('softmax') layers": lambda r, d: (
        r["baseline_activation_layers"], d["x_test_std"], evaluated(r["baseline_activation_layers"], d)[1]),
    "evaluate()[1:] (a one-element list)": lambda r, d: (r["baseline"], d["x_test_std"],
                                                        evaluated(r["baseline"], d)[1:]),
    "accuracy as a tensor": lambda r, d: (r["baseline"], d["x_test_std"],
                                          tf.constant(evaluated(r["baseline"], d)[1])),
    "with the builder, as the notebook's check cell passes it": lambda r, d: (
        r["baseline"], d["x_test_std"], evaluated(r["baseline"], d)[1], normalised_builder()),
    "with a builder of a subclassed model": lambda r, d: (
        r["baseline_subclassed"], d["x_test_std"], evaluated(r["baseline_subclassed"], d)[1],
        lambda: subclassed(nesterov())),
}


def tiny(data, model, **kwargs):
    return fake(data, model, **kwargs)


def normalised_builder(**changes):
    """A build_normalised_mlp(); ``compile=False`` leaves the model uncompiled."""
    def build_normalised_mlp():
        settings = dict(optimizer=nesterov(), loss="categorical_crossentropy", metrics=["accuracy"])
        settings.update(changes)
        if settings.pop("compile", True) is False:
            return keras.Sequential([keras.Input(shape=(784,)), *[layers.Dense(128, activation="relu") for _ in range(3)],
                                     layers.Dense(10, activation="softmax")])
        return mlp(settings.pop("optimizer"), **settings)
    return build_normalised_mlp


WRONG_4_4 = {
    "builder returns an uncompiled model (the training cell crashed)": (
        lambda r, d: (None, d["x_test_std"], None, normalised_builder(compile=False)), "not compiled"),
    "builder with the sparse loss (the training cell crashed)": (
        lambda r, d: (None, d["x_test_std"], None, normalised_builder(loss="sparse_categorical_crossentropy")),
        "one-hot"),
    "builder without an accuracy metric": (
        lambda r, d: (None, d["x_test_std"], None, normalised_builder(metrics=[])), "accuracy metric"),
    "builder with Adam": (lambda r, d: (r["baseline"], d["x_test_std"], 0.9,
                                        normalised_builder(optimizer=keras.optimizers.Adam())), "SGD with momentum"),
    "builder that needs an argument": (lambda r, d: (None, d["x_test_std"], None, lambda rate: mlp(nesterov())),
                                       "needs arguments"),
    "builder that returns the same model": (lambda r, d: (None, d["x_test_std"], None, (lambda m: lambda: m)(mlp(nesterov()))),
                                            "same model"),
    "no momentum": (lambda r, d: (tiny(d, mlp(sgd(0.01))), d["x_test_std"], 0.9), "momentum="),
    "nesterov=True without momentum": (lambda r, d: (tiny(d, mlp(sgd(0.01, nesterov=True))), d["x_test_std"], 0.9),
                                       "no momentum"),
    "learning-rate schedule": (lambda r, d: (tiny(d, mlp(sgd(schedule(0.01), momentum=0.9, nesterov=True))),
                                             d["x_test_std"], 0.9), "schedule"),
    "fit run twice": (lambda r, d: (r["baseline_twice"], d["x_test_std"], evaluated(r["baseline_twice"], d)[1]),
                      "build it again"),
    "trained before (re-run cell)": (lambda r, d: (tiny(d, trained_before(mlp(nesterov()))), d["x_test_std"], 0.9),
                                     "build it again"),
    "tanh as Activation layers": (lambda r, d: (tiny(d, mlp_activation_layers(
        nesterov(), activation=lambda: layers.Activation("tanh"))), d["x_test_std"], 0.9), "Dense\\(128"),
    "subclassed with two hidden layers": (lambda r, d: (tiny(d, built(subclassed(nesterov(), hidden=(128, 128)))),
                                                        d["x_test_std"], 0.9), "three Dense"),
    "no nesterov": (lambda r, d: (tiny(d, mlp(sgd(0.01, momentum=0.9))), d["x_test_std"], 0.9), "nesterov=True"),
    "rate 0.1": (lambda r, d: (tiny(d, mlp(sgd(0.1, momentum=0.9, nesterov=True))), d["x_test_std"], 0.9),
                 "learning rate the exercise states"),
    "momentum 0.99": (lambda r, d: (tiny(d, mlp(sgd(0.01, momentum=0.99, nesterov=True))), d["x_test_std"], 0.9),
                      "momentum="),
    "Adam": (lambda r, d: (tiny(d, mlp(keras.optimizers.Adam())), d["x_test_std"], 0.9), "SGD with momentum"),
    "string sgd": (lambda r, d: (tiny(d, mlp("sgd")), d["x_test_std"], 0.9), "momentum="),
    "mse loss": (lambda r, d: (tiny(d, mlp(nesterov(), loss="mse")), d["x_test_std"], 0.9), "cross-entropy"),
    "sparse loss": (lambda r, d: (tiny(d, mlp(nesterov(), loss="sparse_categorical_crossentropy")),
                                  d["x_test_std"], 0.9), "one-hot"),
    "no validation split": (lambda r, d: (fake(d, mlp(nesterov()), split=0), d["x_test_std"], 0.9),
                            "validation_split=0.3"),
    "batch 64": (lambda r, d: (fake_history(mlp(nesterov()), {"loss": [1, 1], "accuracy": [.5, .5],
                                                              "val_loss": [1, 1], "val_accuracy": [.5, .5]},
                                            steps(d, 0.3, 64)), d["x_test_std"], 0.9), "batch_size = 32"),
    "validation split 0.2": (lambda r, d: (fake_history(mlp(nesterov()), {"loss": [1, 1], "accuracy": [.5, .5],
                                                                          "val_loss": [1, 1], "val_accuracy": [.5, .5]},
                                                        steps(d, 0.2)), d["x_test_std"], 0.9), "validation_split = 0.3"),
    "one epoch": (lambda r, d: (tiny(d, mlp(nesterov()), epochs=1), d["x_test_std"], 0.9), "num_epochs = 5"),
    "extra dropout": (lambda r, d: (r["dropout"], d["x_test_std"], 0.9), "plain network"),
    "64 units": (lambda r, d: (tiny(d, mlp(nesterov(), hidden=(64, 64, 64))), d["x_test_std"], 0.9), "Dense\\(128"),
    "two hidden layers": (lambda r, d: (tiny(d, mlp(nesterov(), hidden=(128, 128))), d["x_test_std"], 0.9), "three Dense"),
    "28x28 input": (lambda r, d: (tiny(d, mlp(nesterov(), input_shape=(28, 28))), d["x_test_std"], 0.9), "784"),
    "percentage": (lambda r, d: (r["baseline"], d["x_test_std"], 100 * accuracy(r["baseline"], d["x_test_std"])),
                   "fractions"),
    "[loss, accuracy]": (lambda r, d: (r["baseline"], d["x_test_std"], evaluated(r["baseline"], d)), "only the accuracy"),
    "the loss": (lambda r, d: (r["baseline"], d["x_test_std"], evaluated(r["baseline"], d)[0]), "Evaluate|not the loss"),
    "training accuracy": (lambda r, d: (r["baseline"], d["x_test_std"], r["baseline"].history["accuracy"][-1]),
                          "test images"),
    "validation accuracy": (lambda r, d: (r["baseline"], d["x_test_std"], r["baseline"].history["val_accuracy"][-1]),
                            "test images"),
    "validation accuracy, metric object": (
        lambda r, d: (r["baseline_functional"], d["x_test_std"],
                      r["baseline_functional"].history["val_categorical_accuracy"][-1]), "test images"),
    "accuracy off by 2 points": (lambda r, d: (r["baseline"], d["x_test_std"],
                                               accuracy(r["baseline"], d["x_test_std"]) - 0.02), "evaluate|Evaluate"),
    "raw test images": (lambda r, d: (r["baseline"], d["x_test"], accuracy(r["baseline"], d["x_test_std"])),
                        "Evaluate"),
    "trained on raw pixels": (lambda r, d: (train(d, mlp(nesterov()), inputs="x_train", limit=640,
                                                  validation_split=0.3), d["x_test_std"], 0.5), "x_train_std|standardised"),
}


# --------------------------------------------------------------------------- 4.5


def baseline_accuracy(r, d):
    return accuracy(r["baseline"], d["x_test_std"])


CORRECT_4_5 = {
    "Adam via Sequential.add": lambda r, d: (r["adam"], d["x_test_std"], accuracy(r["adam"], d["x_test_std"]),
                                             baseline_accuracy(r, d)),
    "functional dropout, metrics=['acc']": lambda r, d: (
        r["dropout"], d["x_test_std"], r["dropout"].model.evaluate(d["x_test_std"], d["y_test_onehot"], verbose=0)[1],
        evaluated(r["baseline"], d)[1]),
    "one-element arrays and a tensor": lambda r, d: (
        r["adam"], tf.constant(d["x_test_std"]), np.array([accuracy(r["adam"], d["x_test_std"])]),
        tf.constant([baseline_accuracy(r, d)])),
}

WRONG_4_5 = {
    "baseline unchanged": (lambda r, d: (r["baseline"], d["x_test_std"], baseline_accuracy(r, d), baseline_accuracy(r, d)),
                           "one change"),
    "no validation split": (lambda r, d: (fake(d, mlp(keras.optimizers.Adam()), split=0), d["x_test_std"], 0.5, 0.9),
                            "validation_split=0.3"),
    "diverged": (lambda r, d: (fake(d, mlp(keras.optimizers.Adam(1.0)), loss=[float("nan")] * 2), d["x_test_std"],
                               0.1, 0.9), "lower the learning rate"),
    "accuracy 5 points too high": (lambda r, d: (r["adam"], d["x_test_std"], accuracy(r["adam"], d["x_test_std"]) + 0.05,
                                                 baseline_accuracy(r, d)), "Evaluate"),
    "training accuracy": (lambda r, d: (r["adam"], d["x_test_std"], r["adam"].history["accuracy"][-1],
                                        baseline_accuracy(r, d)), "test images"),
    "validation accuracy": (lambda r, d: (r["dropout"], d["x_test_std"], r["dropout"].history["val_acc"][-1],
                                          baseline_accuracy(r, d)), "test images"),
    "no softmax": (lambda r, d: (fake(d, mlp(keras.optimizers.Adam(), output=None)), d["x_test_std"], 0.9, 0.9),
                   "softmax"),
    "mse loss": (lambda r, d: (fake(d, mlp(keras.optimizers.Adam(), loss="mse")), d["x_test_std"], 0.9, 0.9),
                 "cross-entropy"),
    "percentage": (lambda r, d: (r["adam"], d["x_test_std"], 100 * accuracy(r["adam"], d["x_test_std"]),
                                 baseline_accuracy(r, d)), "fractions"),
    "batch 64": (lambda r, d: (fake_history(mlp(keras.optimizers.Adam()), {
        "loss": [1, 1], "accuracy": [.5, .5], "val_loss": [1, 1], "val_accuracy": [.5, .5]}, steps(d, 0.3, 64)),
        d["x_test_std"], 0.9, 0.9), "batch_size = 32"),
    "validation split 0.1": (lambda r, d: (fake_history(mlp(keras.optimizers.Adam()), {
        "loss": [1, 1], "accuracy": [.5, .5], "val_loss": [1, 1], "val_accuracy": [.5, .5]}, steps(d, 0.1)),
        d["x_test_std"], 0.9, 0.9), "validation_split = 0.3"),
    "fit run twice": (lambda r, d: (fake(d, trained_before(mlp(keras.optimizers.Adam()))), d["x_test_std"], 0.9, 0.9),
                      "build it again"),
    "baseline with ReLU layers": (lambda r, d: (r["baseline_activation_layers"], d["x_test_std"], 0.9, 0.9),
                                  "one change"),
}


# --------------------------------------------------------------------------- 4.6


def sweep_plot(rates, accuracies, *, log=True, labels=True, scatter=False, percent=False, log10=False):
    import matplotlib.pyplot as plt

    figure, ax = plt.subplots()
    ys = np.asarray(accuracies, dtype=float) * (100 if percent else 1)
    xs = np.log10(rates) if log10 else rates
    if scatter:
        ax.scatter(xs, ys)
    else:
        ax.plot(xs, ys, marker="o")
    if log and not log10:
        ax.set_xscale("log")
    if labels:
        ax.set_xlabel("learning rate")
        ax.set_ylabel("validation accuracy")
    plt.close(figure)
    return figure, ax


def val_last(r):
    return [history.history["val_accuracy"][-1] for history in r["sweep"]]


def sweep_args(r, values=None, rates=None, histories=None, **plot):
    values = val_last(r) if values is None else values
    rates = RATES if rates is None else rates
    histories = r["sweep"] if histories is None else histories
    return rates, histories, values, sweep_plot(rates, values, **plot)[1]


CORRECT_4_6 = {
    "lists, line plot": lambda r, d: sweep_args(r),
    "arrays, scatter, Figure": lambda r, d: (np.array(RATES), tuple(r["sweep"]), np.array(val_last(r), np.float32),
                                             sweep_plot(RATES, val_last(r), scatter=True)[0]),
    "percent on the y axis": lambda r, d: sweep_args(r, percent=True),
    "log10 of the rates on a linear axis": lambda r, d: sweep_args(r, log10=True),
    "dict of histories by rate": lambda r, d: (RATES, dict(zip(RATES, r["sweep"])), val_last(r),
                                               sweep_plot(RATES, val_last(r))[1]),
    "tensors of accuracies": lambda r, d: (RATES, r["sweep"], [tf.constant(v) for v in val_last(r)],
                                           sweep_plot(RATES, val_last(r))[1]),
    "accuracies in percent, plotted in percent": lambda r, d: sweep_args(r, values=[100 * v for v in val_last(r)]),
    "one-element arrays of accuracies": lambda r, d: (RATES, r["sweep"], [np.array([v]) for v in val_last(r)],
                                                      sweep_plot(RATES, val_last(r))[1]),
    "rates as a tuple of floats, largest first": lambda r, d: (
        tuple(RATES[::-1]), r["sweep"][::-1], val_last(r)[::-1], sweep_plot(RATES[::-1], val_last(r)[::-1])[1]),
}


def logs_of(r, pick):
    return [pick(history.history) for history in r["sweep"]]


WRONG_4_6 = {
    "three rates": (lambda r, d: (RATES[:3], r["sweep"][:3], val_last(r)[:3], sweep_plot(RATES[:3], val_last(r)[:3])[1]),
                    "every rate the exercise gives"),
    "four of the five rates, with their runs": (
        lambda r, d: (RATES[1:], r["sweep"][1:], val_last(r)[1:], sweep_plot(RATES[1:], val_last(r)[1:])[1]),
        "every rate the exercise gives"),
    "narrow span": (lambda r, d: ([0.01, 0.02, 0.05, 0.08, 0.09], r["sweep"], val_last(r),
                                  sweep_plot([0.01, 0.02, 0.05, 0.08, 0.09], val_last(r))[1]), "rates from the exercise"),
    "other rates": (lambda r, d: ([0.001, 0.01, 0.1, 1.0, 10.0], r["sweep"], val_last(r),
                                  sweep_plot([0.001, 0.01, 0.1, 1.0, 10.0], val_last(r))[1]), "rates from the exercise"),
    "one model reused for every rate": (lambda r, d: sweep_args(r, histories=[fake(d, r["sweep"][0].model)] * 5),
                                        "same model"),
    "schedules": (lambda r, d: sweep_args(r, histories=[fake(d, mlp(sgd(schedule(rate)))) for rate in RATES]),
                  "schedule"),
    "a run trained twice": (lambda r, d: sweep_args(r, histories=[fake(d, trained_before(mlp(sgd(rate))))
                                                                  for rate in RATES]), "build it again"),
    "nesterov with momentum": (lambda r, d: sweep_args(r, histories=[fake(d, mlp(sgd(rate, momentum=0.5, nesterov=True)))
                                                                     for rate in RATES]), "plain SGD"),
    "one accuracy missing": (lambda r, d: (RATES, r["sweep"], val_last(r)[:4], sweep_plot(RATES, val_last(r))[1]),
                             "one accuracy per learning rate"),
    "NaN loss as accuracy": (lambda r, d: sweep_args(r, values=val_last(r)[:-1] + [float("nan")]), "store the accuracy"),
    "validation losses": (lambda r, d: sweep_args(r, values=[min(v, 1.0) if not math.isnan(v) else 0.0
                                                             for v in logs_of(r, lambda h: h["val_loss"][-1])]),
                          "validation accuracy|val_"),
    "training accuracy": (lambda r, d: sweep_args(r, values=logs_of(r, lambda h: h["accuracy"][-1])), "validation"),
    "first epoch": (lambda r, d: sweep_args(r, values=logs_of(r, lambda h: h["val_accuracy"][0])), "validation"),
    "test accuracy": (lambda r, d: sweep_args(r, values=[accuracy(h, d["x_test_std"]) for h in r["sweep"]]),
                      "validation"),
    "values in reverse order": (lambda r, d: sweep_args(r, values=val_last(r)[::-1]), "validation|order"),
    "histories in reverse order": (lambda r, d: sweep_args(r, histories=r["sweep"][::-1]), "same order"),
    "fewer histories": (lambda r, d: sweep_args(r, histories=r["sweep"][:3]), "one model per learning rate"),
    "History dicts": (lambda r, d: sweep_args(r, histories=[h.history for h in r["sweep"]]), "History"),
    "one History": (lambda r, d: sweep_args(r, histories=r["sweep"][0]), "Append"),
    "momentum runs": (lambda r, d: sweep_args(r, histories=[fake(d, mlp(sgd(rate, momentum=0.9))) for rate in RATES]),
                      "plain SGD"),
    "no validation": (lambda r, d: sweep_args(r, histories=[fake(d, mlp(sgd(rate)), split=0) for rate in RATES]),
                      "validation_split=0.3"),
    "five epochs": (lambda r, d: sweep_args(r, histories=[fake(d, mlp(sgd(rate)), epochs=3) for rate in RATES]),
                    "num_epochs = 2"),
    "untrained models with made-up Histories": (
        lambda r, d: sweep_args(r, histories=[fake(d, mlp(sgd(rate)), val_accuracy=[0.5, value])
                                              for rate, value in zip(RATES, val_last(r))]),
        "does not describe its model"),
    "each History paired with another run's model": (
        lambda r, d: sweep_args(r, histories=[fake_history(other.model, history.history, steps(d, 0.3))
                                              for history, other in zip(r["sweep"], r["sweep"][1:] + r["sweep"][:1])]),
        "does not describe its model|not trained at"),
    "linear axis": (lambda r, d: sweep_args(r, log=False), "logarithmic"),
    "no labels": (lambda r, d: sweep_args(r, labels=False), "Label both axes"),
    "plot of other values": (lambda r, d: (RATES, r["sweep"], val_last(r), sweep_plot(RATES, val_last(r)[::-1])[1]),
                             "against learning_rates"),
    "a Line instead of Axes": (lambda r, d: (RATES, r["sweep"], val_last(r), sweep_plot(RATES, val_last(r))[1].get_lines()),
                               "Matplotlib Axes"),
}


# --------------------------------------------------------------------------- the tests

CHECKS = {"4.1": check.exercise_4_1, "4.2": check.exercise_4_2, "4.3": check.exercise_4_3,
          "4.4": check.exercise_4_4, "4.5": check.exercise_4_5, "4.6": check.exercise_4_6}
CORRECT = {"4.1": CORRECT_4_1, "4.2": CORRECT_4_2, "4.3": CORRECT_4_3, "4.4": CORRECT_4_4,
           "4.5": CORRECT_4_5, "4.6": CORRECT_4_6}
WRONG = {"4.1": WRONG_4_1, "4.2": WRONG_4_2, "4.3": WRONG_4_3, "4.4": WRONG_4_4, "4.5": WRONG_4_5,
         "4.6": WRONG_4_6}
NEEDS_RUNS = {"4.1", "4.2", "4.4", "4.5", "4.6"}


def arguments(exercise, variant, request, data):
    if exercise in NEEDS_RUNS:
        return variant(request.getfixturevalue("runs"), data)
    return variant(data)


def secrets(data) -> list[str]:
    """Strings no failure message may contain: the answers and the lines that compute them."""
    mean, std = float(data["mean"]), float(data["std"])
    numbers = [f"{math.log(10):.2f}", f"{math.log(10):.3f}", f"{mean:.2f}", f"{std:.2f}",
               f"{mean / 255:.3f}", f"{std / 255:.3f}"]
    code = ["np.log(10)", "-np.log(", ".mean()", ".std()", "x_train_flat.mean", "(x_train_flat - ",
            "history.history['val_accuracy'][-1]", 'history.history["val_accuracy"]', "model.evaluate(x_test_std",
            "_, accuracy ="]
    return numbers + code


@pytest.mark.parametrize("exercise, name", [(e, n) for e, variants in CORRECT.items() for n in variants])
def test_correct_answers_pass(exercise, name, request, data, capsys):
    args = arguments(exercise, CORRECT[exercise][name], request, data)
    capsys.readouterr()  # what training printed (TerminateOnNaN's notice)
    passes(capsys, CHECKS[exercise], *args)


@pytest.mark.parametrize("exercise, name", [(e, n) for e, variants in WRONG.items() for n in variants])
def test_mistakes_fail_without_giving_the_answer(exercise, name, request, data):
    variant, hint = WRONG[exercise][name]
    message = fails(CHECKS[exercise], *arguments(exercise, variant, request, data), hint=hint)
    leaked = [secret for secret in secrets(data) if secret in message]
    assert not leaked, f"{name}: the message gives away {leaked}: {message}"
    assert_no_solution_line(message, solution_lines("04_normalisation"))
    if exercise in ("4.4", "4.5"):
        runs = request.getfixturevalue("runs")
        for run in ("baseline", "adam", "dropout"):
            measured = accuracy(runs[run], data["x_test_std"])
            if name not in ("baseline unchanged",):
                assert f"{measured:.2%}" not in message and f"{measured:.1%}" not in message, message


def test_4_5_in_full_mode_must_beat_the_baseline(runs, data, monkeypatch, capsys):
    x_test_std = data["x_test_std"]
    monkeypatch.setattr(check, "_fast", lambda: False)
    best = max(("adam", "dropout"), key=lambda name: accuracy(runs[name], x_test_std))
    measured = accuracy(runs[best], x_test_std)
    passes(capsys, check.exercise_4_5, runs[best], x_test_std, measured, measured - 0.01)
    message = fails(check.exercise_4_5, runs[best], x_test_std, measured, measured + 0.001, hint="tune")
    assert "does not beat" in message


def test_a_working_builder_without_its_training_run_is_not_attempted(data):
    with pytest.raises(NotAttempted, match="history_baseline"):
        check.exercise_4_4(None, data["x_test_std"], None, normalised_builder())


def test_variant_counts():
    """The numbers the report quotes: how many correct and wrong variants this file feeds."""
    correct = sum(len(variants) for variants in CORRECT.values())
    wrong = sum(len(variants) for variants in WRONG.values())
    assert correct >= 30 and wrong >= 100, (correct, wrong)
