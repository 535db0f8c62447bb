"""Checks of notebook 02, fed by simulated students.

``CORRECT[exercise]`` lists answers written in every correct way we could think of (other
APIs, dtypes, containers, tensors, loops, functional or Sequential models, objects or
strings); each must pass. ``WRONG[exercise]`` lists plausible beginners' mistakes, each with
the hint (a regular expression) its failure must contain; no failure may contain the
answer (``SECRETS``). The cells right after 2.8 and 2.10 are run on every correct answer, so
a check never passes what the next cell cannot use.
"""

from __future__ import annotations

import math
import re
from functools import cached_property
from types import SimpleNamespace

import nbformat
import numpy as np
import pytest

from mnist_course import mode
from mnist_course.checks import NotAttempted
from mnist_course.checks import nb02 as check

from checking import assert_no_secret, cases, fails, passes, solution_lines
from conftest import SOLUTIONS

keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")
layers = keras.layers
NOTEBOOK = SOLUTIONS / "02_logistic_regression.ipynb"
SOLUTION_LINES = solution_lines(NOTEBOOK)


# --------------------------------------------------------------------------- models and runs


def logistic_regression(learning_rate=0.01, *, optimizer=None, loss="categorical_crossentropy",
                        metrics=("accuracy",), activation="softmax", seed=0, extra=None, use_bias=True):
    keras.utils.set_random_seed(seed)
    stack = [keras.Input(shape=(784,)), *(extra or []), layers.Dense(10, activation=activation, use_bias=use_bias)]
    model = keras.Sequential(stack)
    model.compile(optimizer=optimizer or keras.optimizers.SGD(learning_rate=learning_rate),
                  loss=loss, metrics=list(metrics))
    return model


def functional(learning_rate=0.01, **compile_args):
    inputs = keras.Input(shape=(784,))
    model = keras.Model(inputs, layers.Dense(10, activation=keras.activations.softmax)(inputs))
    model.compile(optimizer=keras.optimizers.SGD(learning_rate), **({"loss": keras.losses.categorical_crossentropy,
                                                                      "metrics": ["acc"]} | compile_args))
    return model


def with_add(learning_rate=0.01):
    model = keras.Sequential()
    model.add(keras.Input(shape=(784,)))
    model.add(layers.Dense(10))
    model.add(layers.Softmax())
    model.compile(optimizer="sgd" if learning_rate == 0.01 else keras.optimizers.SGD(learning_rate=learning_rate),
                  loss=keras.losses.CategoricalCrossentropy(), metrics=[keras.metrics.CategoricalAccuracy()])
    return model


def fake_run(epochs, steps, *, model=None, validation=False, losses=None, val_accuracy=None,
             accuracy=None, val_loss=None):
    """What fit returns, without training: per-epoch logs, the run's parameters and its model."""
    logs = {"loss": losses or list(np.linspace(1.0, 0.5, epochs)),
            "accuracy": accuracy or list(np.linspace(0.8, 0.9, epochs))}
    if validation:
        logs["val_loss"] = val_loss or list(np.linspace(1.0, 0.6, epochs))
        logs["val_accuracy"] = val_accuracy or list(np.linspace(0.8, 0.88, epochs))
    run = SimpleNamespace(history=logs, params={"epochs": epochs, "steps": steps, "verbose": 0})
    if model is not None:
        run.model = model
    return run


class Context:
    """The notebook's data and models, each made once and only when a variant needs it."""

    def __init__(self, data):
        (self.x_train, self.y_train), (self.x_test, self.y_test) = data.train, data.test

    @cached_property
    def flat(self):
        return (self.x_train.reshape(-1, 784).astype("float32") / 255,
                self.x_test.reshape(-1, 784).astype("float32") / 255)

    @cached_property
    def onehot(self):
        return np.eye(10)[self.y_train], np.eye(10)[self.y_test]

    @property
    def steps(self):
        return math.ceil(len(self.x_train) / 32)

    @property
    def sweep_steps(self):
        return math.ceil(int(len(self.x_train) * 0.9) / 32)

    def train(self, learning_rate):
        model = logistic_regression(learning_rate)
        history = model.fit(self.flat[0], self.onehot[0], batch_size=32, epochs=mode.epochs(20), verbose=0)
        return model, history, model.evaluate(self.flat[1], self.onehot[1], verbose=0)

    @cached_property
    def baseline(self):
        """The model of Exercise 2.7, trained as the notebook does (fast mode: 2 epochs)."""
        return self.train(0.01)

    @cached_property
    def final(self):
        """The final model of Exercise 2.9 (learning rate 0.1)."""
        return self.train(0.1)

    @cached_property
    def untrained(self):
        """The model of Exercise 2.4 before training, and its loss on the training images."""
        model = logistic_regression(seed=42)
        return model, model.evaluate(self.flat[0], self.onehot[0], verbose=0)

    def accuracy(self, model, x=None, labels=None):
        x = self.flat[1] if x is None else x
        labels = self.y_test if labels is None else labels
        return float(np.mean(model.predict(x, verbose=0).argmax(-1) == labels))

    def copy_of_final(self, build):
        """A model from ``build`` holding the trained final weights, and a run attached to it."""
        model = build()
        model.set_weights(self.final[0].get_weights())
        return model, fake_run(mode.epochs(20), self.steps, model=model)

    # 2.8: five runs whose values differ by criterion, so each wrong criterion picks another rate
    RATES = (0.01, 0.03, 0.1, 0.3, 1.0)
    LAST_VAL = (0.88, 0.90, 0.92, 0.91, 0.86)     # the right choice: 0.1
    FIRST_VAL = (0.80, 0.85, 0.86, 0.89, 0.87)    # first epoch: 0.3 (1.0 got worse after it)
    TRAIN_ACC = (0.87, 0.89, 0.91, 0.90, 0.93)    # training accuracy: 1.0
    VAL_LOSS = (0.45, 0.38, 0.30, 0.28, 0.50)     # lowest validation loss: 0.3
    TRAIN_LOSS = (0.50, 0.40, 0.33, 0.35, 0.29)   # lowest training loss: 1.0

    @cached_property
    def sweep(self):
        """``{rate: run}`` of five fresh models; the one for 0.03 holds the trained weights, so it
        has the best test accuracy (a choice made on the test set picks 0.03)."""
        epochs = mode.epochs(5)
        runs = {}
        rng = np.random.default_rng(0)
        for i, rate in enumerate(self.RATES):
            model = logistic_regression(rate, seed=i)
            weights = [w.copy() for w in self.final[0].get_weights()]
            if rate != 0.03:
                weights[0] = weights[0] + rng.normal(scale=0.5 + i, size=weights[0].shape)
            model.set_weights(weights)
            runs[rate] = fake_run(
                epochs, self.sweep_steps, model=model, validation=True,
                losses=list(np.linspace(1.0, self.TRAIN_LOSS[i], epochs)),
                accuracy=list(np.linspace(0.5, self.TRAIN_ACC[i], epochs)),
                val_loss=list(np.linspace(1.0, self.VAL_LOSS[i], epochs)),
                val_accuracy=[self.FIRST_VAL[i]] + [self.LAST_VAL[i]] * (epochs - 1))
        return runs

    def sweep_table(self, pick=lambda run: run.history["val_accuracy"][-1]):
        return {rate: pick(run) for rate, run in self.sweep.items()}

    def test_accuracies(self):
        return {rate: self.accuracy(run.model) for rate, run in self.sweep.items()}


@pytest.fixture(scope="module")
def ctx(course_data):
    return Context(course_data)


# --------------------------------------------------------------------------- 2.3's softmaxes


def stable(scores):
    shifted = scores - scores.max(axis=-1, keepdims=True)
    return np.exp(shifted) / np.exp(shifted).sum(axis=-1, keepdims=True)


def via_logsumexp(scores):
    top = np.max(scores, axis=-1, keepdims=True)
    log_total = top + np.log(np.sum(np.exp(scores - top), axis=-1, keepdims=True))
    return np.exp(scores - log_total)


def row_by_row(scores):
    if scores.ndim == 1:
        exps = np.exp(scores - max(scores))
        return exps / sum(exps)
    return np.array([row_by_row(row) for row in scores])


def transposed(scores):
    shifted = scores.T - scores.max(axis=-1)
    return (np.exp(shifted) / np.exp(shifted).sum(axis=0)).T


def as_list(scores):
    return stable(scores).tolist()


def rebinding(scores):
    scores = scores - np.max(scores, axis=-1)[..., np.newaxis]
    scores = np.exp(scores)
    return scores / scores.sum(axis=-1)[..., None]


def float32_softmax(scores):
    return stable(scores.astype(np.float32))


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


def subtract_min(scores):
    shifted = scores - scores.min(axis=-1, keepdims=True)
    return np.exp(shifted) / np.exp(shifted).sum(axis=-1, keepdims=True)


def subtract_mean(scores):
    shifted = scores - scores.mean(axis=-1, keepdims=True)
    return np.exp(shifted) / np.exp(shifted).sum(axis=-1, keepdims=True)


def no_return(scores):
    shifted = scores - scores.max(axis=-1, keepdims=True)
    np.exp(shifted) / np.exp(shifted).sum(axis=-1, keepdims=True)


def with_math_exp(scores):
    import math as m
    return np.array([m.exp(s) for s in scores]) / sum(m.exp(s) for s in scores)


def axis_one(scores):
    shifted = scores - scores.max(axis=1, keepdims=True)
    return np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)


def half_shifted(scores):
    top = scores.max(axis=-1, keepdims=True)
    return np.exp(scores - top) / np.exp(scores).sum(axis=-1, keepdims=True)


def typo(scores):
    shifted = scores - scores.max(axis=-1, keepdims=True)
    return np.exp(shifted) / totl  # noqa: F821 - the student's typo


def log_softmax(scores):
    shifted = scores - scores.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def sigmoid(scores):
    return 1 / (1 + np.exp(-scores))


def divide_by_max(scores):
    exps = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return exps / exps.max(axis=-1, keepdims=True)


# --------------------------------------------------------------------------- builders for 2.9


def build_final():
    model = keras.Sequential([keras.Input(shape=(784,)), layers.Dense(10, activation="softmax")])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def build_typo():
    model = keras.Sequential([keras.Input(shape=(784,)), layers.Dense(10, activation="softmax")])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="categorical_crossentropy",
                  metrics=["accuracy"])
    return modl  # noqa: F821 - the student's typo


def build_none():
    model = build_final()  # noqa: F841 - forgot to return it


def final_args(ctx, build, *, model_build=None, accuracy=None, run=None, best=0.1):
    """The five answers of 2.9: the builder, a trained final model, its run, its accuracy, and
    ``best_learning_rate`` of 2.8 (0.1 unless ``best`` says otherwise)."""
    model, history = ctx.copy_of_final(model_build or build)
    return (build, model, run(model) if run else history,
            ctx.accuracy(model) if accuracy is None else accuracy(model, history), best)


def exercise_2_10_args(ctx, probabilities, digit, index=5, model=None):
    return probabilities, digit, index, model or ctx.final[0]


def row(ctx, index=5, model=None):
    return (model or ctx.final[0]).predict(ctx.flat[1][index:index + 1], verbose=0)


def misclassified(ctx):
    predictions = ctx.final[0].predict(ctx.flat[1], verbose=0)
    return int(np.flatnonzero(predictions.argmax(-1) != ctx.y_test)[0]), predictions


def wrong_10(ctx, make):
    index, predictions = misclassified(ctx)
    probabilities, digit = make(ctx, index, predictions)
    return probabilities, digit, index, ctx.final[0]


def kernel(ctx):
    return ctx.final[0].layers[0].get_weights()[0]


# --------------------------------------------------------------------------- the simulated students

CORRECT = {
    "2.1": [
        ("reshape -1", lambda c: (c.x_train.reshape(-1, 784) / 255, c.x_test.reshape(-1, 784) / 255)),
        ("len and float32", lambda c: (c.x_train.reshape(len(c.x_train), -1).astype("float32") / 255,
                                       c.x_test.reshape(c.x_test.shape[0], 28 * 28).astype("float32") / 255.0)),
        ("scale then reshape", lambda c: ((c.x_train / 255).reshape(-1, 784), np.divide(c.x_test, 255).reshape(-1, 784))),
        ("tensorflow", lambda c: (tf.reshape(tf.cast(c.x_train, tf.float32) / 255, (-1, 784)),
                                  tf.reshape(tf.cast(c.x_test, tf.float32) / 255, (-1, 784)))),
        ("keras ops", lambda c: (keras.ops.reshape(keras.ops.convert_to_tensor(c.x_train / 255), (-1, 784)),
                                 keras.ops.convert_to_tensor(c.x_test.reshape(-1, 784) / 255.0))),
        ("flatten rows in a loop", lambda c: (np.array([image.flatten() for image in c.x_train]) / 255,
                                              np.stack([image.ravel() / 255 for image in c.x_test]))),
        ("multiply by 1/255", lambda c: (c.x_train.reshape(-1, 784) * (1 / 255), c.x_test.reshape(-1, 784) * (1 / 255))),
    ],
    "2.2": [
        ("np.eye", lambda c: (np.eye(10)[c.y_train], np.eye(10, dtype=np.float32)[c.y_test])),
        ("fancy indexing and comparison", lambda c: (_filled(c.y_train), (c.y_test[:, None] == np.arange(10)).astype(float))),
        ("to_categorical", lambda c: (keras.utils.to_categorical(c.y_train, 10),
                                      keras.utils.to_categorical(c.y_test, num_classes=10))),
        ("tf.one_hot", lambda c: (tf.one_hot(c.y_train, 10), tf.one_hot(c.y_test, depth=10))),
        ("loop", lambda c: (np.array([[1 if d == label else 0 for d in range(10)] for label in c.y_train]),
                            np.identity(10)[c.y_test.astype(int)])),
        ("boolean", lambda c: (np.equal.outer(c.y_train, np.arange(10)), np.eye(10, dtype=bool)[c.y_test])),
    ],
    "2.3": [(f.__name__, (lambda f: lambda c: (f,))(f)) for f in (stable, via_logsumexp, row_by_row, transposed, as_list,
                                                                   rebinding, float32_softmax)] + [
        ("keras.ops.softmax", lambda c: (lambda s: keras.ops.softmax(s, axis=-1),)),
        ("tf.nn.softmax", lambda c: (lambda s: tf.nn.softmax(s, axis=-1),)),
        ("scipy", lambda c: (lambda s: __import__("scipy.special").special.softmax(s, axis=-1),)),
    ],
    "2.4": [
        ("the solution", lambda c: (logistic_regression(), 784 * 10 + 10)),
        ("separate activation, objects", lambda c: (_separate(), np.int64(7850))),
        ("functional", lambda c: (functional(), 7850.0)),
        ("add, sgd string", lambda c: (with_add(), c_params(with_add()))),
        ("Flatten first", lambda c: (logistic_regression(extra=[layers.Flatten()]), 7850)),
        ("SGD defaults, momentum 0", lambda c: (logistic_regression(optimizer=keras.optimizers.SGD(momentum=0.0)), 7850)),
        ("loss object and acc", lambda c: (logistic_regression(loss=keras.losses.CategoricalCrossentropy(),
                                                               metrics=("acc",)), np.float32(7850))),
        ("tensor count", lambda c: (logistic_regression(), tf.constant(7850))),
        ("two metrics", lambda c: (logistic_regression(metrics=("accuracy", keras.metrics.CategoricalAccuracy(name="acc2"))),
                                   7850)),
    ],
    "2.5": [
        ("evaluate and -log(1/10)", lambda c: (c.untrained[1][0], -np.log(1 / 10), c.untrained[0])),
        ("math.log", lambda c: (c.untrained[1][0], math.log(10), c.untrained[0])),
        ("float32 and np.log", lambda c: (np.float32(c.untrained[1][0]), np.log(10.0), c.untrained[0])),
        ("return_dict", lambda c: (c.untrained[0].evaluate(c.flat[0], c.onehot[0], verbose=0, return_dict=True)["loss"],
                                   -math.log(0.1), c.untrained[0])),
        ("keras's own loss", lambda c: (c.untrained[1][0], keras.losses.categorical_crossentropy(
            np.eye(10)[:1], np.full((1, 10), 0.1))[0], c.untrained[0])),
        ("mean of -log", lambda c: (c.untrained[1][0], np.mean(-np.log(np.full(5, 0.1))), c.untrained[0])),
        ("evaluate slice as a list", lambda c: (c.untrained[1][:1], [math.log(10)], c.untrained[0])),
        ("batch size 256 and a tensor", lambda c: (tf.constant(c.untrained[0].evaluate(
            c.flat[0], c.onehot[0], batch_size=256, verbose=0)[0]), np.array([np.log(10)]), c.untrained[0])),
    ],
    "2.6": [
        ("math.ceil", lambda c: (math.ceil(len(c.x_train) / 32),)),
        ("float np.ceil", lambda c: (float(np.ceil(len(c.x_train) / 32)),)),
        ("floor division trick", lambda c: (-(-len(c.x_train) // 32),)),
        ("divmod", lambda c: (len(c.x_train) // 32 + (len(c.x_train) % 32 > 0),)),
        ("np.int64", lambda c: (np.int64(math.ceil(len(c.x_train) / 32)),)),
    ],
    "2.7": [
        ("evaluate", lambda c: (c.baseline[0], c.baseline[1], c.baseline[2][1])),
        ("by hand", lambda c: (c.baseline[0], c.baseline[1], np.mean(c.baseline[0].predict(c.flat[1], verbose=0)
                                                                     .argmax(-1) == c.y_test))),
        ("float32", lambda c: (c.baseline[0], c.baseline[1], np.float32(c.baseline[2][1]))),
        ("sklearn", lambda c: (c.baseline[0], c.baseline[1], __import__("sklearn.metrics").metrics.accuracy_score(
            c.y_test, c.baseline[0].predict(c.flat[1], verbose=0).argmax(1)))),
        ("return_dict", lambda c: (c.baseline[0], c.baseline[1], c.baseline[0].evaluate(
            c.flat[1], c.onehot[1], verbose=0, return_dict=True)["accuracy"])),
        ("tensor", lambda c: (c.baseline[0], c.baseline[1], tf.constant(c.baseline[2][1]))),
        ("rounded to 4 digits", lambda c: (c.baseline[0], c.baseline[1], round(c.baseline[2][1], 4))),
    ],
    "2.8": [
        ("the solution", lambda c: (c.sweep, c.sweep_table(), 0.1)),
        ("float32 values and numpy rate", lambda c: (c.sweep, {r: np.float32(v) for r, v in c.sweep_table().items()},
                                                     np.float64(0.1))),
        ("string keys", lambda c: ({str(r): run for r, run in c.sweep.items()}, {str(r): v for r, v in c.sweep_table().items()},
                                   "0.1" and 0.1)),
        ("best rate as a numpy array", lambda c: (c.sweep, c.sweep_table(), np.array(0.1))),
        ("max over items", lambda c: (c.sweep, c.sweep_table(), max(c.sweep_table().items(), key=lambda kv: kv[1])[0])),
        ("val_acc via key list", lambda c: (c.sweep, {r: run.history["val_accuracy"][len(run.history["val_accuracy"]) - 1]
                                                      for r, run in c.sweep.items()}, 0.1)),
    ],
    "2.9": [
        ("the solution", lambda c: final_args(c, build_final)),
        ("functional", lambda c: final_args(c, lambda: functional(0.1, loss="categorical_crossentropy",
                                                                  metrics=["accuracy"]))),
        ("add and objects", lambda c: final_args(c, lambda: with_add(0.1))),
        ("rate 0.3, chosen by 2.8", lambda c: final_args(c, lambda: logistic_regression(0.3), best=0.3)),
        ("best rate as a numpy float", lambda c: final_args(c, build_final, best=np.float64(0.1))),
        ("float64 accuracy", lambda c: final_args(c, build_final, accuracy=lambda m, h: np.float64(c.accuracy(m)))),
        ("evaluate", lambda c: final_args(c, build_final, accuracy=lambda m, h: m.evaluate(
            c.flat[1], c.onehot[1], verbose=0)[1])),
    ],
    "2.10": [
        ("row 0", lambda c: exercise_2_10_args(c, row(c)[0], int(row(c).argmax()))),
        ("shape (1, 10)", lambda c: exercise_2_10_args(c, row(c), np.argmax(row(c), axis=-1)[0])),
        ("calling the model", lambda c: exercise_2_10_args(c, c.final[0](c.flat[1][5][None]),
                                                           row(c)[0].tolist().index(row(c).max()))),
        ("list and float digit", lambda c: exercise_2_10_args(c, row(c)[0].tolist(), float(row(c).argmax()))),
        ("tensor digit", lambda c: exercise_2_10_args(c, row(c)[0], tf.argmax(row(c)[0]))),
        ("predict on reshaped", lambda c: exercise_2_10_args(c, c.final[0].predict(c.flat[1][5].reshape(1, -1), verbose=0)[0],
                                                             np.int64(row(c).argmax()))),
        ("predict all then pick", lambda c: exercise_2_10_args(c, c.final[0].predict(c.flat[1], verbose=0)[5],
                                                               int(row(c).argmax()))),
    ],
    "2.11": [
        ("transpose reshape", lambda c: (kernel(c).T.reshape(10, 28, 28), c.final[0])),
        (".kernel", lambda c: (np.transpose(c.final[0].layers[-1].kernel.numpy()).reshape(-1, 28, 28), c.final[0])),
        ("moveaxis", lambda c: (np.moveaxis(kernel(c).reshape(28, 28, 10), -1, 0), c.final[0])),
        ("list of columns", lambda c: ([kernel(c)[:, d].reshape(28, 28) for d in range(10)], c.final[0])),
        ("tensorflow", lambda c: (tf.reshape(tf.transpose(c.final[0].layers[0].kernel), (10, 28, 28)), c.final[0])),
        ("weights attribute", lambda c: (c.final[0].weights[0].numpy().T.reshape(10, 28, 28), c.final[0])),
    ],
}


def _filled(labels):
    filled = np.zeros((len(labels), 10), dtype=int)
    filled[np.arange(len(labels)), labels] = 1
    return filled


def _separate():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input(shape=(784,)), layers.Dense(10), layers.Activation("softmax")])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01), loss=keras.losses.CategoricalCrossentropy(),
                  metrics=[keras.metrics.CategoricalAccuracy()])
    return model


def c_params(model):
    return model.count_params()


def _sweep_with(c, rate, **changes):
    """The sweep with the run of ``rate`` replaced by one with other logs or another model."""
    runs = dict(c.sweep)
    old = runs[rate]
    runs[rate] = SimpleNamespace(history=dict(old.history), params=dict(old.params), model=old.model)
    for key, value in changes.items():
        if key in ("history", "params"):
            getattr(runs[rate], key).update(value)
        else:
            setattr(runs[rate], key, value)
    return runs


def _sweep_drop(c, key):
    runs = {}
    for rate, run in c.sweep.items():
        history = {k: v for k, v in run.history.items() if k != key}
        runs[rate] = SimpleNamespace(history=history, params=run.params, model=run.model)
    return runs


WRONG = {
    "2.1": [
        ("not scaled", lambda c: (c.x_train.reshape(-1, 784), c.x_test.reshape(-1, 784) / 255), "Divide the pixels by 255"),
        ("scaled twice", lambda c: (c.x_train.reshape(-1, 784) / 255 / 255, c.x_test.reshape(-1, 784) / 255), "once"),
        ("floor division", lambda c: (c.x_train.reshape(-1, 784) // 255, c.x_test.reshape(-1, 784) / 255), "true division"),
        ("back to uint8", lambda c: ((c.x_train.reshape(-1, 784) / 255).astype(np.uint8), c.x_test.reshape(-1, 784) / 255),
         "true division"),
        ("standardised", lambda c: ((c.x_train.reshape(-1, 784) - c.x_train.mean()) / c.x_train.std(),
                                    c.x_test.reshape(-1, 784) / 255), "notebook 04"),
        ("not flattened", lambda c: (c.x_train / 255, c.x_test.reshape(-1, 784) / 255), "Flatten"),
        ("transposed", lambda c: (c.x_train.reshape(-1, 784).T / 255, c.x_test.reshape(-1, 784) / 255), "one image per row"),
        ("one long vector", lambda c: (c.x_train.ravel() / 255, c.x_test.reshape(-1, 784) / 255), "one row per image"),
        ("swapped sets", lambda c: (c.x_test.reshape(-1, 784) / 255, c.x_train.reshape(-1, 784) / 255), "its own images"),
        ("column order", lambda c: (c.x_train.reshape(-1, 784, order="F") / 255, c.x_test.reshape(-1, 784) / 255),
         "pixel order"),
        ("test not scaled", lambda c: (c.x_train.reshape(-1, 784) / 255, c.x_test.reshape(-1, 784)), "Divide"),
        ("divided by 256", lambda c: (c.x_train.reshape(-1, 784) / 256, c.x_test.reshape(-1, 784) / 256),
         "divided by 255|Reshape the images"),
        ("centred", lambda c: (c.x_train.reshape(-1, 784) / 255 - 0.5, c.x_test.reshape(-1, 784) / 255),
         "divided by 255|Reshape the images"),
        ("one image only", lambda c: (c.x_train[0].reshape(1, 784) / 255, c.x_test.reshape(-1, 784) / 255),
         "One row of 784 pixels per image"),
    ],
    "2.2": [
        ("eleven classes", lambda c: (np.eye(11)[c.y_train], np.eye(10)[c.y_test]), "ten classes"),
        ("to_categorical 12", lambda c: (keras.utils.to_categorical(c.y_train, 12), np.eye(10)[c.y_test]), "ten classes"),
        ("transposed", lambda c: (np.eye(10)[c.y_train].T, np.eye(10)[c.y_test]), "one image per row"),
        ("left as labels", lambda c: (c.y_train, np.eye(10)[c.y_test]), "row of 10 numbers"),
        ("one column off", lambda c: (np.eye(10)[(c.y_train - 1) % 10], np.eye(10)[c.y_test]), "digit 0 in the first column"),
        ("whole columns set", lambda c: (_columns_set(c.y_train), np.eye(10)[c.y_test]), "single 1"),
        ("swapped sets", lambda c: (np.eye(10)[c.y_test], np.eye(10)[c.y_train]), "its own labels"),
        ("shuffled labels", lambda c: (np.eye(10)[np.roll(c.y_train, 1)], np.eye(10)[c.y_test]), "column y\\[i\\]"),
        ("column vector of labels", lambda c: (c.y_train[:, None], np.eye(10)[c.y_test]), "1 columns|ten classes"),
        ("one-cold", lambda c: (1 - np.eye(10)[c.y_train], np.eye(10)[c.y_test]), "single 1"),
        ("reversed columns", lambda c: (np.eye(10)[c.y_train][:, ::-1], np.eye(10)[c.y_test]), "column y\\[i\\]|columns of the labels"),
        ("test not encoded", lambda c: (np.eye(10)[c.y_train], c.y_test), "row of 10 numbers"),
    ],
    "2.3": [
        ("naive", lambda c: (naive,), "overflows"),
        ("global max", lambda c: (global_max,), "each row's own largest"),
        ("without keepdims", lambda c: (without_keepdims,), "keepdims"),
        ("sum of the whole array", lambda c: (whole_array,), "Each row"),
        ("columns", lambda c: (columns,), "last axis"),
        ("in place", lambda c: (in_place,), "in place"),
        ("exp only", lambda c: (lambda s: np.exp(s),), "their sum"),
        ("flat sum over axis 1", lambda c: (lambda s: np.exp(s - s.max()) / np.exp(s - s.max()).sum(axis=1),),
         "axis=-1"),
        ("an array, not a function", lambda c: (np.array([0.1, 0.9]),), "def softmax"),
        ("subtract the smallest", lambda c: (subtract_min,), "overflows"),
        ("subtract the mean", lambda c: (subtract_mean,), "overflows"),
        ("no return", lambda c: (no_return,), "return"),
        ("math.exp", lambda c: (with_math_exp,), "NumPy"),
        ("axis 1", lambda c: (axis_one,), "axis=-1"),
        ("shift only the numerator", lambda c: (half_shifted,), "their sum"),
        ("a typo", lambda c: (typo,), "NameError"),
        ("log softmax", lambda c: (log_softmax,), "their sum|exp"),
        ("sigmoid", lambda c: (sigmoid,), "their sum"),
        ("divide by the max", lambda c: (divide_by_max,), "their sum"),
        ("scores divided by their sum", lambda c: (lambda s: s / s.sum(axis=-1, keepdims=True),), "exp"),
    ],
    "2.4": [
        ("image input", lambda c: (keras.Sequential([keras.Input(shape=(28, 28)), layers.Flatten(),
                                                     layers.Dense(10, activation="softmax")]), 7850), "784-vector"),
        ("no Input", lambda c: (keras.Sequential([layers.Dense(10, activation="softmax")]), 7850), "keras.Input"),
        ("relu", lambda c: (logistic_regression(activation="relu"), 7850), "softmax"),
        ("no activation", lambda c: (logistic_regression(activation=None), 7850), "softmax"),
        ("sigmoid", lambda c: (logistic_regression(activation="sigmoid"), 7850), "softmax"),
        ("hidden layer", lambda c: (keras.Sequential([keras.Input(shape=(784,)), layers.Dense(32, activation="relu"),
                                                      layers.Dense(10, activation="softmax")]), 7850), "notebook 03"),
        ("nine units", lambda c: (keras.Sequential([keras.Input(shape=(784,)), layers.Dense(9, activation="softmax")]),
                                  7850), "one output unit per class"),
        ("not compiled", lambda c: (keras.Sequential([keras.Input(shape=(784,)), layers.Dense(10, activation="softmax")]),
                                    7850), "model.compile"),
        ("sparse loss", lambda c: (logistic_regression(loss="sparse_categorical_crossentropy"), 7850), "one-hot"),
        ("mse", lambda c: (logistic_regression(loss="mse"), 7850), "categorical cross-entropy"),
        ("mse object", lambda c: (logistic_regression(loss=keras.losses.MeanSquaredError()), 7850), "categorical cross-entropy"),
        ("binary cross-entropy", lambda c: (logistic_regression(loss="binary_crossentropy"), 7850), "categorical cross-entropy"),
        ("from logits", lambda c: (logistic_regression(loss=keras.losses.CategoricalCrossentropy(from_logits=True)), 7850),
         "from_logits"),
        ("Adam", lambda c: (logistic_regression(optimizer=keras.optimizers.Adam()), 7850), "SGD"),
        ("adam string", lambda c: (logistic_regression(optimizer="adam"), 7850), "SGD"),
        ("rate 0.1", lambda c: (logistic_regression(0.1), 7850), "learning_rate=0.01"),
        ("momentum", lambda c: (logistic_regression(optimizer=keras.optimizers.SGD(0.01, momentum=0.9)), 7850), "momentum"),
        ("nesterov", lambda c: (logistic_regression(optimizer=keras.optimizers.SGD(0.01, momentum=0.5, nesterov=True)), 7850),
         "momentum"),
        ("no accuracy", lambda c: (logistic_regression(metrics=()), 7850), "accuracy"),
        ("Accuracy object", lambda c: (logistic_regression(metrics=(keras.metrics.Accuracy(),)), 7850), "CategoricalAccuracy"),
        ("binary accuracy", lambda c: (logistic_regression(metrics=("binary_accuracy",)), 7850), "CategoricalAccuracy"),
        ("sparse accuracy object", lambda c: (logistic_regression(metrics=(keras.metrics.SparseCategoricalAccuracy(),)),
                                              7850), "CategoricalAccuracy"),
        ("dropout added", lambda c: (logistic_regression(extra=[layers.Dropout(0.2)]), 7850), "remove it"),
        ("no biases", lambda c: (logistic_regression(use_bias=False), 7840), "use_bias"),
        ("weights only", lambda c: (logistic_regression(), 7840), "bias"),
        ("inputs plus outputs", lambda c: (logistic_regression(), 794), "every output unit"),
        ("not whole", lambda c: (logistic_regression(), 7850.5), "one bias per output"),
        ("a pair", lambda c: (logistic_regression(), [7840, 10]), "single number|add them up"),
        ("the class", lambda c: (logistic_regression, 7850), "Call it"),
        ("pixels times pixels", lambda c: (logistic_regression(), 784 * 784 + 10), "one bias per output"),
    ],
    "2.5": [
        ("log10", lambda c: (c.untrained[1][0], math.log10(10), c.untrained[0]), "natural logarithm"),
        ("log2", lambda c: (c.untrained[1][0], math.log2(10), c.untrained[0]), "natural logarithm"),
        ("no minus", lambda c: (c.untrained[1][0], -math.log(10), c.untrained[0]), "minus the log"),
        ("the probability", lambda c: (c.untrained[1][0], 0.1, c.untrained[0]), "minus the log of the probability"),
        ("a guess", lambda c: (c.untrained[1][0], 2.0, c.untrained[0]), "1/10"),
        ("after training", lambda c: (c.baseline[0].evaluate(c.flat[0], c.onehot[0], verbose=0)[0], math.log(10),
                                      c.untrained[0]), "not the loss of this untrained model|accuracy"),
        ("the model already trained", lambda c: (c.untrained[1][0], math.log(10), c.baseline[0]), "already been trained"),
        ("unscaled inputs", lambda c: (c.untrained[0].evaluate(c.x_train.reshape(-1, 784).astype("float32"), c.onehot[0],
                                                               verbose=0)[0], math.log(10), c.untrained[0]), "unscaled"),
        ("on the test set", lambda c: (c.untrained[0].evaluate(c.flat[1], c.onehot[1], verbose=0)[0], math.log(10),
                                       c.untrained[0]), "test images"),
        ("typed 2.30", lambda c: (2.30, math.log(10), c.untrained[0]), "uniform guess, not the model"),
        ("typed ln 10", lambda c: (math.log(10), math.log(10), c.untrained[0]), "uniform guess, not the model"),
        ("typed 2.4", lambda c: (2.4, math.log(10), c.untrained[0]), "not the loss of this untrained model"),
        ("rounded to 2 decimals", lambda c: (round(float(c.untrained[1][0]), 2), math.log(10), c.untrained[0]),
         "not the loss of this untrained model"),
        ("another fresh model", lambda c: (logistic_regression(seed=7).evaluate(c.flat[0], c.onehot[0], verbose=0)[0],
                                           math.log(10), c.untrained[0]), "not the loss of this untrained model"),
        ("nan", lambda c: (float("nan"), math.log(10), c.untrained[0]), "finite"),
        ("the pair", lambda c: (list(c.untrained[1]), math.log(10), c.untrained[0]), "keep the first"),
        ("the dict", lambda c: (c.untrained[0].evaluate(c.flat[0], c.onehot[0], verbose=0, return_dict=True),
                                math.log(10), c.untrained[0]), "keep its loss"),
        ("the accuracy", lambda c: (c.untrained[1][1], math.log(10), c.untrained[0]), "keep the first"),
        ("log of 10 classes summed", lambda c: (c.untrained[1][0], 10 * math.log(10), c.untrained[0]), "1/10"),
        ("log of 9", lambda c: (c.untrained[1][0], math.log(9), c.untrained[0]), "1/10"),
        ("the uniform loss as a string", lambda c: (c.untrained[1][0], "2.30", c.untrained[0]), "one number"),
    ],
    "2.6": [
        ("not rounded", lambda c: (len(c.x_train) / 32 if len(c.x_train) % 32 else len(c.x_train) / 32 + 0.5,),
         "smaller batch"),
        ("rounded down", lambda c: (len(c.x_train) // 32 if len(c.x_train) % 32 else len(c.x_train) // 32 - 1,),
         "Round up|batches of 32"),
        ("multiplied", lambda c: (len(c.x_train) * 32,), "one batch of 32"),
        ("all epochs", lambda c: (math.ceil(len(c.x_train) / 32) * 10,), "one epoch"),
        ("validation split", lambda c: (math.ceil(int(len(c.x_train) * 0.9) / 32),), "validation_split"),
        ("test set", lambda c: (math.ceil(len(c.x_test) / 32),), "training set|batches of 32"),
        ("a guess", lambda c: (100,), "batches of 32"),
        ("a string", lambda c: (str(math.ceil(len(c.x_train) / 32)),), "one whole number"),
        ("the batch size", lambda c: (32,), "batches of 32|training set"),
        ("the image count", lambda c: (len(c.x_train),), "batch of 32|batches of 32"),
        ("pixels", lambda c: (math.ceil(len(c.x_train) * 784 / 32),), "batches of 32"),
    ],
    "2.7": [
        ("percentage", lambda c: (c.baseline[0], c.baseline[1], c.baseline[2][1] * 100), "fraction"),
        ("loss and accuracy", lambda c: (c.baseline[0], c.baseline[1], c.baseline[2]), "keep the second"),
        ("the loss", lambda c: (c.baseline[0], c.baseline[1], c.baseline[2][0]), "evaluate returns"),
        ("last training accuracy", lambda c: (c.baseline[0], c.baseline[1], c.baseline[1].history["accuracy"][-1]),
         "never saw"),
        ("accuracy on the training images", lambda c: (c.baseline[0], c.baseline[1], c.baseline[0].evaluate(
            c.flat[0], c.onehot[0], verbose=0)[1]), "never saw"),
        ("the dict of evaluate", lambda c: (c.baseline[0], c.baseline[1], c.baseline[0].evaluate(
            c.flat[1], c.onehot[1], verbose=0, return_dict=True)), "one number"),
        ("history dict", lambda c: (c.baseline[0], {"loss": [1.0]}, c.baseline[2][1]), "history = model.fit"),
        ("more epochs", lambda c: (c.baseline[0], fake_run(mode.epochs(20) + 1, c.steps), c.baseline[2][1]), "num_epochs = 10"),
        ("validation split", lambda c: (c.baseline[0], fake_run(mode.epochs(20), c.steps, validation=True), c.baseline[2][1]),
         "leave out validation_split"),
        ("batch 64", lambda c: (c.baseline[0], fake_run(mode.epochs(20), math.ceil(len(c.x_train) / 64)), c.baseline[2][1]),
         "batch_size = 32"),
        ("did not learn", lambda c: (c.baseline[0], fake_run(mode.epochs(20), c.steps, losses=[2.5] * mode.epochs(20)),
                                     c.baseline[2][1]), "no better than guessing"),
        ("diverged", lambda c: (c.baseline[0], fake_run(mode.epochs(20), c.steps, losses=[float("nan")] * mode.epochs(20)),
                                c.baseline[2][1]), "scaled"),
        ("untrained model", lambda c: (logistic_regression(), fake_run(mode.epochs(20), c.steps), 0.1), "at least"),
        ("compiled at 0.1", lambda c: (logistic_regression(0.1), c.baseline[1], c.baseline[2][1]), "learning_rate=0.01"),
        ("the run of another model", lambda c: (c.baseline[0], c.final[1], c.baseline[2][1]), "this very model"),
        ("error rate", lambda c: (c.baseline[0], c.baseline[1], 1 - c.baseline[2][1]), "evaluate returns"),
        ("the final model's accuracy", lambda c: (c.baseline[0], c.baseline[1], c.final[2][1]), "evaluate returns"),
    ],
    "2.8": [
        ("a list", lambda c: (c.sweep, list(c.sweep_table().values()), 0.1), "not a dict"),
        ("percentages", lambda c: (c.sweep, {r: 100 * v for r, v in c.sweep_table().items()}, 0.1), "fractions"),
        ("validation losses", lambda c: (c.sweep, c.sweep_table(lambda run: run.history["val_loss"][-1]), 0.3),
         "validation loss"),
        ("training losses", lambda c: (c.sweep, c.sweep_table(lambda run: run.history["loss"][-1]), 1.0), "training loss"),
        ("training accuracies", lambda c: (c.sweep, c.sweep_table(lambda run: run.history["accuracy"][-1]), 1.0),
         "training accuracy"),
        ("first epoch", lambda c: (c.sweep, c.sweep_table(lambda run: run.history["val_accuracy"][0]), 0.3), "first epoch"),
        ("test accuracies", lambda c: (c.sweep, c.test_accuracies(), 0.03), "test set"),
        ("lowest chosen", lambda c: (c.sweep, c.sweep_table(), 1.0), "highest validation accuracy"),
        ("chosen on the loss", lambda c: (c.sweep, c.sweep_table(), 0.3), "not on a loss"),
        ("chosen on training accuracy", lambda c: (c.sweep, c.sweep_table(), 1.0), "highest|not on a loss"),
        ("chosen on the first epoch", lambda c: (c.sweep, c.sweep_table(), 0.3), "first epoch"),
        ("chosen on test accuracy", lambda c: (c.sweep, c.sweep_table(), 0.03), "test"),
        ("a list of one rate", lambda c: (c.sweep, c.sweep_table(), [0.1]), "rate itself"),
        ("argmax index", lambda c: (c.sweep, c.sweep_table(), 2), "rates you tried"),
        ("the best accuracy instead of its rate", lambda c: (c.sweep, c.sweep_table(), 0.92), "rates you tried"),
        ("two rates", lambda c: ({r: c.sweep[r] for r in (0.01, 0.1)}, {r: c.sweep_table()[r] for r in (0.01, 0.1)}, 0.1),
         "every rate of the list"),
        ("three rates", lambda c: ({r: c.sweep[r] for r in (0.01, 0.1, 1.0)},
                                   {r: c.sweep_table()[r] for r in (0.01, 0.1, 1.0)}, 0.1), "leaves out 2"),
        ("only small rates", lambda c: ({0.001: c.sweep[0.01], 0.003: c.sweep[0.03], 0.005: c.sweep[0.1]},
                                        {0.001: 0.88, 0.003: 0.9, 0.005: 0.92}, 0.005), "every rate of the list"),
        ("one model for every rate, saved apart", lambda c: (_sweep_copies(c), c.sweep_table(), 0.1), "same model"),
        ("histories not kept", lambda c: ({}, c.sweep_table(), 0.1), "different learning rates"),
        ("histories as a list", lambda c: (list(c.sweep.values()), c.sweep_table(), 0.1), "not a dict"),
        ("history dicts", lambda c: ({r: run.history for r, run in c.sweep.items()}, c.sweep_table(), 0.1),
         "History object"),
        ("the same model for every rate", lambda c: (_sweep_with(c, 0.3, model=c.sweep[0.1].model), c.sweep_table(), 0.1),
         "fresh model"),
        ("rate not applied", lambda c: (_sweep_with(c, 0.3, model=logistic_regression(0.01, seed=9)), c.sweep_table(), 0.1),
         "its own loop step"),
        ("momentum in the sweep", lambda c: (_sweep_with(c, 0.3, model=logistic_regression(
            optimizer=keras.optimizers.SGD(0.3, momentum=0.9))), c.sweep_table(), 0.1), "momentum"),
        ("Adam in the sweep", lambda c: (_sweep_with(c, 0.3, model=logistic_regression(optimizer=keras.optimizers.Adam(0.3))),
                                         c.sweep_table(), 0.1), "SGD"),
        ("mse in the sweep", lambda c: (_sweep_with(c, 0.3, model=logistic_regression(0.3, loss="mse")), c.sweep_table(), 0.1),
         "categorical cross-entropy"),
        ("no validation split", lambda c: (_sweep_drop(c, "val_loss"), c.sweep_table(), 0.1), "validation_split"),
        ("validated on the test set", lambda c: (_sweep_with(c, 0.3, params={"steps": c.steps}), c.sweep_table(), 0.1),
         "never the test set"),
        ("batch 64", lambda c: (_sweep_with(c, 0.3, params={"steps": math.ceil(int(len(c.x_train) * 0.9) / 64)}),
                                c.sweep_table(), 0.1), "batch_size = 32"),
        ("too many epochs", lambda c: (_sweep_with(c, 0.3, history={k: v + v for k, v in c.sweep[0.3].history.items()}),
                                       c.sweep_table(), 0.1), "num_epochs = 3"),
        ("best epoch", lambda c: (c.sweep, c.sweep_table(lambda run: max(run.history["val_accuracy"])), 0.1),
         "validation accuracy"),
        ("values of another run", lambda c: (c.sweep, {r: v for r, v in zip(c.sweep, reversed(list(c.sweep_table().values())))},
                                             0.03), "last epoch"),
        ("nan accuracy", lambda c: (c.sweep, c.sweep_table() | {1.0: float("nan")}, 0.1), "last epoch"),
        ("a pair per rate", lambda c: (c.sweep, {r: (0.3, v) for r, v in c.sweep_table().items()}, 0.1), "single number"),
    ],
    "2.9": [
        ("the model itself", lambda c: (c.final[0], c.final[0], c.final[1], c.final[2][1], 0.1), "def build_logistic_regression"),
        ("same model each call", lambda c: (_returns_same(c), *final_args(c, build_final)[1:]), "new model"),
        ("needs an argument", lambda c: (lambda learning_rate: build_final(), *final_args(c, build_final)[1:]),
         "needs no arguments"),
        ("rate 0.01", lambda c: final_args(c, lambda: logistic_regression(0.01)), "not the one Exercise 2.8 chose"),
        ("a smaller rate", lambda c: final_args(c, lambda: logistic_regression(0.001)), "not the one Exercise 2.8 chose"),
        ("a rate other than 2.8's", lambda c: final_args(c, lambda: logistic_regression(0.03)), "best_learning_rate"),
        ("rate 50", lambda c: final_args(c, lambda: logistic_regression(50.0)), "not the one Exercise 2.8 chose"),
        ("uncompiled builder, training cell crashed", lambda c: (
            lambda: keras.Sequential([keras.Input((784,)), layers.Dense(10, activation="softmax")]), None, None, None, 0.1),
         "not compiled"),
        ("sparse loss, training cell crashed", lambda c: (
            lambda: logistic_regression(0.1, loss="sparse_categorical_crossentropy"), None, None, None, 0.1), "sparse"),
        ("no accuracy metric, evaluate[1] crashed", lambda c: (
            lambda: logistic_regression(0.1, metrics=()), *final_args(c, build_final)[1:3], None, 0.1), "accuracy"),
        ("fit run twice", lambda c: _twice(c), "more than once"),
        ("Adam", lambda c: final_args(c, lambda: logistic_regression(optimizer=keras.optimizers.Adam(0.1))), "plain"),
        ("RMSprop string", lambda c: final_args(c, lambda: logistic_regression(optimizer="rmsprop")), "plain"),
        ("added momentum", lambda c: final_args(c, lambda: logistic_regression(optimizer=keras.optimizers.SGD(0.1, momentum=0.9))),
         "without momentum"),
        ("nesterov", lambda c: final_args(c, lambda: logistic_regression(
            optimizer=keras.optimizers.SGD(0.1, momentum=0.9, nesterov=True))), "without momentum"),
        ("mean squared error", lambda c: final_args(c, lambda: logistic_regression(0.1, loss="mean_squared_error")),
         "categorical cross-entropy"),
        ("mse object", lambda c: final_args(c, lambda: logistic_regression(0.1, loss=keras.losses.MeanSquaredError())),
         "categorical cross-entropy"),
        ("sigmoid", lambda c: final_args(c, lambda: logistic_regression(0.1, activation="sigmoid")), "softmax"),
        ("hidden layer", lambda c: (_hidden_builder, *final_args(c, build_final)[1:]), "notebook 03"),
        ("not compiled", lambda c: (lambda: keras.Sequential([keras.Input((784,)), layers.Dense(10, activation="softmax")]),
                                    *final_args(c, build_final)[1:]), "compile"),
        ("returns None", lambda c: (build_none, *final_args(c, build_final)[1:]), "return model"),
        ("a typo", lambda c: (build_typo, *final_args(c, build_final)[1:]), "NameError"),
        ("final model compiled with Adam", lambda c: final_args(c, build_final, model_build=lambda: logistic_regression(
            optimizer=keras.optimizers.Adam(0.1))), "plain"),
        ("final model with momentum", lambda c: final_args(c, build_final, model_build=lambda: logistic_regression(
            optimizer=keras.optimizers.SGD(0.1, momentum=0.9))), "without momentum"),
        ("final model with mse", lambda c: final_args(c, build_final, model_build=lambda: logistic_regression(
            0.1, loss="mse")), "categorical cross-entropy"),
        ("final model at another rate", lambda c: final_args(c, build_final, model_build=lambda: logistic_regression(0.3)),
         "training cell after"),
        ("baseline accuracy", lambda c: final_args(c, build_final, accuracy=lambda m, h: c.baseline[2][1]), "does not match"),
        ("percentage", lambda c: final_args(c, build_final, accuracy=lambda m, h: 100 * c.accuracy(m)), "fraction"),
        ("training accuracy", lambda c: final_args(c, build_final, accuracy=lambda m, h: h.history["accuracy"][-1]),
         "never saw"),
        ("training-set accuracy", lambda c: final_args(c, build_final, accuracy=lambda m, h: c.accuracy(m, c.flat[0], c.y_train)),
         "never saw"),
        ("loss and accuracy", lambda c: final_args(c, build_final, accuracy=lambda m, h: m.evaluate(
            c.flat[1], c.onehot[1], verbose=0)), "keep the second"),
        ("trained with a validation split", lambda c: final_args(c, build_final, run=lambda m: fake_run(
            mode.epochs(20), c.sweep_steps, model=m, validation=True)), "validation"),
        ("trained 5 epochs", lambda c: final_args(c, build_final, run=lambda m: fake_run(
            mode.epochs(20) + 3, c.steps, model=m)), "num_epochs = 10"),
        ("the run of another model", lambda c: final_args(c, build_final, run=lambda m: c.final[1]), "this very model"),
        ("did not reach the bar", lambda c: (build_final, logistic_regression(0.1), fake_run(mode.epochs(20), c.steps),
                                             0.1, 0.1), "next smaller one"),
    ],
    "2.10": [
        ("the true label", lambda c: wrong_10(c, lambda c, i, p: (p[i], c.y_test[i])), "model's answer"),
        ("max not argmax", lambda c: wrong_10(c, lambda c, i, p: (p[i], p[i].max())), "argmax, not max"),
        ("off by one", lambda c: wrong_10(c, lambda c, i, p: (p[i], (p[i].argmax() + 1) % 10)), "argmax"),
        ("all images", lambda c: wrong_10(c, lambda c, i, p: (p, p[i].argmax())), "batch of one"),
        ("unscaled image", lambda c: wrong_10(c, lambda c, i, p: (_raw(c, i), _raw(c, i).argmax())), "x_test_flat"),
        ("another image", lambda c: wrong_10(c, lambda c, i, p: (p[i + 1], p[i].argmax())), "final_model"),
        ("halved", lambda c: wrong_10(c, lambda c, i, p: (p[i] / 2, p[i].argmax())), "add up to"),
        ("nine values", lambda c: wrong_10(c, lambda c, i, p: (p[i][:9], p[i].argmax())), "Ten probabilities"),
        ("digits of a batch", lambda c: wrong_10(c, lambda c, i, p: (p[i], np.argmax(p[i:i + 2], axis=-1))),
         "take the number itself"),
        ("the baseline model", lambda c: wrong_10(c, lambda c, i, p: (c.baseline[0].predict(c.flat[1][i:i + 1], verbose=0)[0],
                                                                      p[i].argmax())), "final_model"),
        ("the training image", lambda c: wrong_10(c, lambda c, i, p: (c.final[0].predict(c.flat[0][i:i + 1], verbose=0)[0],
                                                                      p[i].argmax())), "final_model"),
        ("sorted probabilities", lambda c: wrong_10(c, lambda c, i, p: (np.sort(p[i]), p[i].argmax())), "final_model"),
        ("one-hot answer", lambda c: wrong_10(c, lambda c, i, p: (np.eye(10)[p[i].argmax()], p[i].argmax())), "final_model|x_test_flat"),
        ("digit as a string", lambda c: wrong_10(c, lambda c, i, p: (p[i], str(p[i].argmax()))), "single number"),
    ],
    "2.11": [
        ("no transpose", lambda c: (kernel(c).reshape(10, 28, 28), c.final[0]), "column per digit"),
        ("digit last", lambda c: (kernel(c).reshape(28, 28, 10), c.final[0]), "digit first"),
        ("flat transposed", lambda c: (kernel(c).T, c.final[0]), "Reshape"),
        ("flat kernel", lambda c: (kernel(c), c.final[0]), "Reshape"),
        ("the same template ten times", lambda c: (np.repeat(kernel(c).T.reshape(10, 28, 28)[:1], 10, axis=0), c.final[0]),
         "first array of get_weights"),
        ("five templates", lambda c: (kernel(c).T.reshape(10, 28, 28)[:5], c.final[0]), "One 28x28 image per digit"),
        ("the baseline's kernel", lambda c: (c.baseline[0].layers[0].get_weights()[0].T.reshape(10, 28, 28), c.final[0]),
         "final_model"),
        ("each image transposed", lambda c: (kernel(c).T.reshape(10, 28, 28).transpose(0, 2, 1), c.final[0]), "row by row"),
        ("the biases", lambda c: (np.broadcast_to(c.final[0].layers[0].get_weights()[1][:, None, None], (10, 28, 28)),
                                  c.final[0]), "first array of get_weights"),
        ("Fortran order", lambda c: (kernel(c).T.reshape(10, 28, 28, order="F"), c.final[0]), "first array|row by row"),
    ],
}


def _columns_set(labels):
    wrong = np.zeros((len(labels), 10))
    wrong[:, labels] = 1
    return wrong


def _sweep_copies(c):
    """One model trained for every rate, each History's model a separate copy of it (as the
    grader hands them over: one .keras file per History)."""
    runs = {}
    for rate, run in c.sweep.items():
        copy = logistic_regression(rate)
        copy.set_weights(c.sweep[0.1].model.get_weights())
        runs[rate] = fake_run(len(run.history["loss"]), c.sweep_steps, model=copy, validation=True,
                              losses=run.history["loss"], accuracy=run.history["accuracy"],
                              val_loss=run.history["val_loss"], val_accuracy=run.history["val_accuracy"])
    return runs


def _twice(c):
    """The training cell of 2.9 run twice: the History shows one run, the optimizer both."""
    model, history = c.copy_of_final(build_final)
    model.optimizer.iterations.assign(2 * mode.epochs(20) * c.steps)
    return build_final, model, history, c.accuracy(model), 0.1


def _returns_same(c):
    model = build_final()
    return lambda: model


def _hidden_builder():
    model = keras.Sequential([keras.Input((784,)), layers.Dense(32, activation="relu"), layers.Dense(10, activation="softmax")])
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def _raw(c, index):
    return c.final[0].predict(c.x_test[index:index + 1].reshape(1, 784).astype("float32"), verbose=0)[0]


# What a failure must never show: the answers, and the solution's own lines.
SECRETS = {
    "2.1": lambda c: ["reshape(len(x_train), 784)", 'astype("float32") / 255'],
    "2.2": lambda c: ['np.eye(10, dtype="float32")[y_train]', "[np.arange(len(y_test)), y_test] = 1"],
    "2.3": lambda c: ["scores - np.max(scores, axis=-1, keepdims=True)", "exponentials / np.sum"],
    "2.4": lambda c: ["7850", "7,850", "784 * 10 + 10"],
    "2.5": lambda c: ["2.30", "2.303", "-np.log(1 / 10)", "np.log(10)"],
    "2.6": lambda c: [f"{math.ceil(len(c.x_train) / 32)}", f"{math.ceil(len(c.x_train) / 32):,}",
                      "np.ceil(len(x_train_flat)"],
    "2.7": lambda c: [f"{c.baseline[2][1]:.2%}", f"{c.baseline[2][1]:.4f}", "model.evaluate(x_test_flat, y_test_onehot"],
    "2.8": lambda c: ["max(validation_accuracies, key", "key=validation_accuracies.get", "the best is"],
    "2.9": lambda c: [f"{c.final[2][1]:.2%}", f"{c.final[2][1]:.4f}"],
    "2.10": lambda c: ["[index:index + 1], verbose", "probabilities.argmax()", "model answers"],
    "2.11": lambda c: ["kernel.T.reshape", ".T.reshape(10, 28, 28)"],
}

CHECKS = {"2.1": check.exercise_2_1, "2.2": check.exercise_2_2, "2.3": check.exercise_2_3, "2.4": check.exercise_2_4,
          "2.5": check.exercise_2_5, "2.6": check.exercise_2_6, "2.7": check.exercise_2_7, "2.8": check.exercise_2_8,
          "2.9": check.exercise_2_9, "2.10": check.exercise_2_10, "2.11": check.exercise_2_11}


@pytest.mark.parametrize("exercise, name, make", cases(CORRECT))
def test_correct_answers_pass(ctx, capsys, exercise, name, make):
    passes(capsys, CHECKS[exercise], *make(ctx))


@pytest.mark.parametrize("exercise, name, make, hint", cases(WRONG))
def test_wrong_answers_fail_with_a_hint_that_gives_no_answer(ctx, exercise, name, make, hint):
    # No answer of this exercise, and no line of any solution in the notebook (issue 16, item 6).
    assert_no_secret(fails(CHECKS[exercise], *make(ctx), hint=hint), SECRETS[exercise](ctx) + SOLUTION_LINES)


def test_every_exercise_has_simulated_students_both_ways():
    assert set(CORRECT) == set(WRONG) == set(CHECKS) == set(SECRETS)
    assert all(len(CORRECT[exercise]) >= 3 and len(WRONG[exercise]) >= 6 for exercise in CHECKS)


# --------------------------------------------------------------------------- not attempted


@pytest.mark.parametrize("exercise, nargs", [("2.1", 2), ("2.2", 2), ("2.3", 1), ("2.4", 2), ("2.5", 3), ("2.6", 1),
                                             ("2.7", 3), ("2.8", 3), ("2.9", 5), ("2.10", 4), ("2.11", 2)])
def test_unfilled_exercises_are_not_attempted(exercise, nargs):
    with pytest.raises(NotAttempted, match="not attempted yet"):
        CHECKS[exercise](*([None] * nargs))


def stub(*args):
    raise NotImplementedError()


def test_functions_still_holding_the_stub_are_not_attempted():
    with pytest.raises(NotAttempted, match="softmax still raises NotImplementedError"):
        check.exercise_2_3(stub)
    with pytest.raises(NotAttempted, match="build_logistic_regression"):
        check.exercise_2_9(stub, None, None, None, None)


def test_an_unfilled_notebook_names_every_answer_its_check_cells_use():
    """Each check cell of 02 finds its names defined (as None) once the exercise cells run unfilled."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    defined = {"check", "np", "keras", "layers", "mode", "plots", "plt", "x_train", "y_train", "x_test", "y_test",
               "index", "softmax", "build_logistic_regression"}
    for cell in nb.cells:
        tags = cell.metadata.get("tags", [])
        if any(tag.startswith("check:") for tag in tags):
            call = cell.source.strip()
            names = set(re.findall(r"\b([a-z_][a-z0-9_]*)\b", call.split("(", 1)[1]))
            assert names <= defined, f"{call} uses {names - defined}, not set before the solution"
        elif any(tag.startswith("exercise:") for tag in tags) and cell.cell_type == "code":
            before = cell.source.split("### BEGIN SOLUTION")[0]
            if "### BEGIN SOLUTION" not in cell.source:  # a cell the student runs as it is
                before = "\n".join(line for line in cell.source.splitlines() if "= None" in line)
            for line in before.splitlines():
                if line.rstrip().endswith("None") and "=" in line:
                    defined.update(name.strip() for name in line.split("=")[0].split(","))


# --------------------------------------------------------------------------- the cells after the checks


def _cell_after(tag):
    nb = nbformat.read(NOTEBOOK, as_version=4)
    index = next(i for i, cell in enumerate(nb.cells) if tag in cell.metadata.get("tags", []))
    return nb.cells[index + 1].source


@pytest.mark.parametrize("name, make", [pytest.param(*case, id=case[0]) for case in CORRECT["2.8"]])
def test_the_sweep_plot_takes_every_answer_the_check_passes(ctx, name, make):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from mnist_course import plots

    _, validation_accuracies, best_learning_rate = make(ctx)
    exec(_cell_after("check:2.8"), {"validation_accuracies": validation_accuracies, "plots": plots, "mode": mode,
                                    "best_learning_rate": best_learning_rate, "num_epochs": 3, "np": np})
    plt.close("all")


@pytest.mark.parametrize("name, make", [pytest.param(*case, id=case[0]) for case in CORRECT["2.10"]])
def test_the_probability_plot_takes_every_answer_the_check_passes(ctx, name, make):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from mnist_course import plots

    probabilities, predicted_digit, index, _ = make(ctx)
    exec(_cell_after("check:2.10"), {"probabilities": probabilities, "predicted_digit": predicted_digit,
                                     "index": index, "x_test": ctx.x_test, "y_test": ctx.y_test, "plt": plt,
                                     "plots": plots, "np": np})
    plt.close("all")


def test_the_full_mode_bar_applies_on_the_full_data(ctx, monkeypatch):
    """A model trained 2 epochs on the fast sample is below the full-mode bar of 91 %."""
    from mnist_course.data import course_data

    monkeypatch.setenv("MNIST_COURSE_FAST", "0")
    full = course_data()
    model = ctx.baseline[0]
    message = fails(check.exercise_2_7, model, fake_run(10, math.ceil(len(full.train[0]) / 32), model=model), 0.85,
                    hint="Rebuild the model")
    assert "on the full data" in message and "91%" in message


def test_helpers_notebook_03_imports_still_work(ctx):
    model = ctx.baseline[0]
    assert check.dense_stack(functional()) == [(10, "softmax")]
    assert check.input_shape(model) == (784,)
    assert check.optimizer_settings(model)[:2] == ("SGD", pytest.approx(0.01))
    assert check.model_accuracy(model, ctx.flat[1], ctx.y_test) == pytest.approx(ctx.baseline[2][1], abs=2e-3)
    assert check.history_steps(ctx.baseline[1]) == ctx.steps
    check.require_compiled("3.1", "model", with_add())
    check.require_model("3.1", "model", functional())
