"""Checks of notebook 05 as simulated students: every correct answer we could think of passes
(other APIs, dtypes, containers, tensors), every plausible mistake fails with a hint that
does not give the answer away.

Each exercise has a CORRECT and a WRONG list of variants; a variant is a function of the
shared ``runs`` and ``data`` that returns the check's arguments. The three trained runs are
two epochs on the fast-mode sample, trained once per module; mistakes a check rejects before
it looks at any number get a History built without training (``fake_history``).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from mnist_course.checks import NotAttempted
from mnist_course.checks import nb05 as check

keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")
from keras import layers  # noqa: E402

from checking import fails, fake_history, passes  # noqa: E402
from checking_models import assert_no_solution_line, solution_lines, trained_before  # noqa: E402

pytestmark = pytest.mark.usefixtures("fast_mode")


# --------------------------------------------------------------------------- models


def network(blocks=((32, 3),), head=None, input_shape=(28, 28, 1), api="sequential", padding="valid",
            pool=(2, 2), conv_activation="relu", data_format=None):
    """The layers of a CNN: ``blocks`` of (filters, kernel) with pooling, then ``head``."""
    stack = []
    for filters, kernel in blocks:
        options = {"data_format": data_format} if data_format else {}
        stack.append(layers.Conv2D(filters, kernel, activation=conv_activation, padding=padding, **options))
        stack.append(layers.MaxPooling2D(pool, **options) if pool else layers.AveragePooling2D((2, 2)))
    stack += head() if head else [layers.Flatten(), layers.Dropout(0.5), layers.Dense(100, activation="relu"),
                                  layers.Dense(10, activation="softmax")]
    if api == "functional":
        inputs = keras.Input(shape=input_shape)
        outputs = inputs
        for layer in stack:
            outputs = layer(outputs)
        return keras.Model(inputs, outputs)
    if api == "add":
        model = keras.Sequential()
        model.add(keras.Input(shape=input_shape))
        for layer in stack:
            model.add(layer)
        return model
    return keras.Sequential([keras.Input(shape=input_shape), *stack])


class SubclassedCNN(keras.Model):
    """The CNN as a subclass of keras.Model: ``filters`` per block, then the head of 5.3 or 5.7."""

    def __init__(self, filters=(32,), deeper_head=False):
        super().__init__()
        stack = []
        for count in filters:
            stack += [layers.Conv2D(count, (3, 3), activation="relu"), layers.MaxPooling2D((2, 2))]
        if deeper_head:
            stack += [layers.Flatten(), layers.Dense(100, activation="relu"), layers.Dropout(0.5)]
        else:
            stack += [layers.Flatten(), layers.Dropout(0.5), layers.Dense(100, activation="relu")]
        self.stack = stack + [layers.Dense(10, activation="softmax")]

    def call(self, inputs, training=False):
        for layer in self.stack:
            inputs = layer(inputs, training=training) if isinstance(layer, layers.Dropout) else layer(inputs)
        return inputs


def subclassed_builder(optimizer="adam"):
    model = SubclassedCNN()
    model.compile(optimizer=optimizer, loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def activation_layers_builder(optimizer="adam"):
    """Conv2D then Activation('relu'), Dense(100) then ReLU(), Dense(10) then Softmax()."""
    model = keras.Sequential([keras.Input(shape=(28, 28, 1)), layers.Conv2D(32, (3, 3)), layers.Activation("relu"),
                              layers.MaxPooling2D((2, 2)), layers.Flatten(), layers.Dropout(0.5),
                              layers.Dense(100), layers.ReLU(), layers.Dense(10), layers.Softmax()])
    model.compile(optimizer=optimizer, loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def schedule(rate):
    return keras.optimizers.schedules.ExponentialDecay(rate, decay_steps=100, decay_rate=0.9)


def builder(loss="categorical_crossentropy", metrics=("accuracy",), **parts):
    """A build_cnn(optimizer) with some parts changed."""
    def build_cnn(optimizer="adam"):
        model = network(**parts)
        model.compile(optimizer=optimizer, loss=loss, metrics=list(metrics))
        return model
    return build_cnn


DEEPER_HEAD = lambda: [layers.Flatten(), layers.Dense(100, activation="relu"), layers.Dropout(0.5),  # noqa: E731
                       layers.Dense(10, activation="softmax")]


def deeper(second=64, first=32, optimizer=None, loss="categorical_crossentropy", head=DEEPER_HEAD,
           metrics=("accuracy",), **parts):
    model = network(blocks=((first, 3), (second, 3)), head=head, **parts)
    model.compile(optimizer=optimizer or keras.optimizers.Adam(learning_rate=0.001), loss=loss,
                  metrics=list(metrics))
    return model


def compiled(model, optimizer, loss="categorical_crossentropy", metrics=("accuracy",)):
    model.compile(optimizer=optimizer, loss=loss, metrics=list(metrics))
    return model


def train(data, model, epochs=4, batch_size=32):
    from mnist_course import mode

    keras.utils.set_random_seed(42)
    return model.fit(data["x_train_4d"], data["y_train_onehot"], batch_size=batch_size,
                     epochs=mode.epochs(epochs), verbose=0)


def steps(data, batch=32):
    return math.ceil(len(data["x_train"]) / batch)


def fake(data, model, epochs=2, batch=32, metric="accuracy", **changes):
    logs = {"loss": [0.5] * epochs, metric: [0.9] * epochs}
    logs.update(changes)
    return fake_history(model, logs, steps(data, batch))


def measured(data, history):
    return float(np.mean(history.model.predict(data["x_test_4d"], verbose=0).argmax(-1) == data["y_test"]))


def sgd():
    return keras.optimizers.SGD(learning_rate=0.05)


def adam():
    return keras.optimizers.Adam(learning_rate=0.001)


@pytest.fixture(scope="module")
def runs(data):
    return {
        "sgd": train(data, compiled(network(), sgd())),
        "adam": train(data, compiled(network(api="functional", head=lambda: [
            layers.Dropout(0.5), layers.Flatten(), layers.Dense(10, activation="softmax")]), adam(),
            loss=keras.losses.CategoricalCrossentropy(), metrics=[keras.metrics.CategoricalAccuracy()])),
        "deeper": train(data, deeper(api="functional", metrics=[keras.metrics.CategoricalAccuracy()]),
                        epochs=10, batch_size=64),
        "deeper_subclassed": train(data, compiled(SubclassedCNN(filters=(32, 64), deeper_head=True), adam()),
                                   epochs=10, batch_size=64),
    }


@pytest.mark.parametrize("function, nargs", [(check.exercise_5_1, 2), (check.exercise_5_2, 3),
                                              (check.exercise_5_3, 1), (check.exercise_5_4, 4),
                                              (check.exercise_5_5, 4), (check.exercise_5_6, 3),
                                              (check.exercise_5_7, 2)])
def test_unfilled_exercises_are_not_attempted(function, nargs):
    with pytest.raises(NotAttempted, match="not attempted yet"):
        function(*([None] * nargs))


def test_an_unfilled_builder_is_not_attempted():
    def build_cnn(optimizer="adam"):
        raise NotImplementedError()
    with pytest.raises(NotAttempted, match="not attempted yet"):
        check.exercise_5_3(build_cnn)


# --------------------------------------------------------------------------- 5.1

CORRECT_5_1 = {
    "expand_dims": lambda d: (np.expand_dims(d["x_train_scaled"], -1), np.expand_dims(d["x_test_scaled"], axis=3)),
    "None indexing": lambda d: (d["x_train_scaled"][..., None], d["x_test_scaled"][:, :, :, np.newaxis]),
    "reshape": lambda d: (d["x_train_scaled"].reshape(-1, 28, 28, 1),
                          d["x_test_scaled"].reshape(len(d["x_test_scaled"]), 28, 28, 1)),
    "tf.expand_dims, float64": lambda d: (tf.expand_dims(d["x_train_scaled"], -1),
                                          d["x_test_scaled"].astype(np.float64)[..., None]),
    "keras.ops": lambda d: (keras.ops.expand_dims(keras.ops.convert_to_tensor(d["x_train_scaled"]), -1),
                            keras.ops.reshape(d["x_test_scaled"], (-1, 28, 28, 1))),
}

WRONG_5_1 = {
    "channels first": (lambda d: (d["x_train_scaled"][:, None], d["x_test_scaled"][:, None]), "channels_last"),
    "no channel axis": (lambda d: (d["x_train_scaled"], d["x_test_scaled"]), "axis of length 1 at the end"),
    "flat": (lambda d: (d["x_train_scaled"].reshape(-1, 784), d["x_test_scaled"][..., None]), "28x28 layout"),
    "test forgotten": (lambda d: (d["x_train_scaled"][..., None], d["x_test_scaled"]), "axis of length 1 at the end"),
    "sets swapped": (lambda d: (d["x_test_scaled"][..., None], d["x_train_scaled"][..., None]), "x_train_scaled"),
    "raw pixels": (lambda d: (d["x_train_scaled"][..., None] * 255, d["x_test_scaled"][..., None] * 255),
                   "scaled images"),
    "transposed images": (lambda d: (np.transpose(d["x_train_scaled"], (0, 2, 1))[..., None],
                                     d["x_test_scaled"][..., None]), "keep the values"),
    "scaled twice": (lambda d: (d["x_train_scaled"][..., None] / 255, d["x_test_scaled"][..., None] / 255),
                     "keep the values|scaled"),
    "channel axis twice": (lambda d: (d["x_train_scaled"][..., None, None], d["x_test_scaled"][..., None]),
                           "expected|axis"),
}


# --------------------------------------------------------------------------- 5.2

CORRECT_5_2 = {
    "tuples": lambda d: ((26, 26, 32), (13, 13, 32), 5408),
    "lists, array, np.int64": lambda d: ([28 - 3 + 1, 28 - 3 + 1, 32], np.array([13, 13, 32]), np.int64(13 * 13 * 32)),
    "batch None, TensorShape, 1-tuple": lambda d: ((None, 26, 26, 32), tf.TensorShape([None, 13, 13, 32]), (5408,)),
    "float flat size": lambda d: ((26, 26, 32), (13, 13, 32), 5408.0),
    "computed with math.prod": lambda d: ((26, 26, 32), (26 // 2, 26 // 2, 32), math.prod((13, 13, 32))),
}

WRONG_5_2 = {
    "padding same": (lambda d: ((28, 28, 32), (14, 14, 32), 6272), "kernel size minus one"),
    "no channels": (lambda d: ((26, 26), (13, 13), 169), "last axis counts the filters"),
    "channels first": (lambda d: ((32, 26, 26), (32, 13, 13), 5408), "channels_last"),
    "one channel": (lambda d: ((26, 26, 1), (13, 13, 1), 169), "one channel per filter"),
    "pooling halves channels": (lambda d: ((26, 26, 32), (13, 13, 16), 2704), "keeps the number of channels"),
    "pooled the input": (lambda d: ((26, 26, 32), (14, 14, 32), 6272), "halve conv_shape"),
    "no pooling": (lambda d: ((26, 26, 32), (26, 26, 32), 21632), "halves height and width"),
    "one map only": (lambda d: ((26, 26, 32), (13, 13, 32), 169), "number of channels"),
    "flattened the convolution": (lambda d: ((26, 26, 32), (13, 13, 32), 21632), "after the pooling"),
    "input pixels": (lambda d: ((26, 26, 32), (13, 13, 32), 784), "multiply the three numbers"),
    "fraction": (lambda d: ((26, 26, 32), (13, 13, 32), 5407.5), "whole number"),
    "string": (lambda d: ("26x26x32", (13, 13, 32), 5408), "tuple of whole numbers"),
    "off by one (28 - 3)": (lambda d: ((25, 25, 32), (12, 12, 32), 4608), "kernel size minus one"),
    "pool rounds up": (lambda d: ((26, 26, 32), (12, 12, 32), 4608), "rounding down|not right"),
    "wrong flat size": (lambda d: ((26, 26, 32), (13, 13, 32), 5400), "Multiply"),
}


# --------------------------------------------------------------------------- 5.3


def functional_builder(optimizer="adam"):
    inputs = keras.Input(shape=(28, 28, 1))
    x = layers.Conv2D(filters=32, kernel_size=3, activation="relu")(inputs)
    x = layers.MaxPooling2D(pool_size=2)(x)
    x = layers.Flatten()(x)
    x = layers.Dropout(rate=0.5)(x)
    x = layers.Dense(100, activation=keras.activations.relu)(x)
    outputs = layers.Dense(10, activation="softmax")(x)
    model = keras.Model(inputs=inputs, outputs=outputs)
    model.compile(optimizer=optimizer, loss=keras.losses.CategoricalCrossentropy(),
                  metrics=[keras.metrics.CategoricalAccuracy()])
    return model


def builder_with_softmax_layer(optimizer="adam"):
    model = network(head=lambda: [layers.Flatten(), layers.Dropout(0.5), layers.Dense(100, activation="relu"),
                                  layers.Dense(10), layers.Softmax()])
    model.compile(optimizer=optimizer, loss="categorical_crossentropy", metrics=["categorical_accuracy"])
    return model


CORRECT_5_3 = {
    "Sequential list": lambda d: (builder(),),
    "Sequential.add": lambda d: (builder(api="add"),),
    "functional, loss and metric objects": lambda d: (functional_builder,),
    "without the hidden layer": lambda d: (builder(head=lambda: [layers.Flatten(), layers.Dropout(0.5),
                                                                 layers.Dense(10, activation="softmax")]),),
    "Dropout before Flatten": lambda d: (builder(head=lambda: [layers.Dropout(0.5), layers.Flatten(),
                                                               layers.Dense(100, activation="relu"),
                                                               layers.Dense(10, activation="softmax")]),),
    "softmax as its own layer": lambda d: (builder_with_softmax_layer,),
    "metrics=['acc']": lambda d: (builder(metrics=("acc",)),),
    "activations as layers of their own": lambda d: (activation_layers_builder,),
    "subclassed keras.Model, built at its first call": lambda d: (subclassed_builder,),
    "conv activation as keras.activations.relu": lambda d: (builder(conv_activation=keras.activations.relu),),
}


def head(*items):
    return lambda: list(items)


def returns_shared_model():
    shared = builder()("adam")
    return lambda optimizer="adam": shared


WRONG_5_3 = {
    "a model, not a function": (lambda d: (builder()(),), "def build_cnn"),
    "no argument": (lambda d: (lambda: builder()(),), "one argument"),
    "ignores the optimizer": (lambda d: (lambda optimizer="adam": builder()("sgd"),), "optimizer=optimizer"),
    "returns None": (lambda d: (lambda optimizer="adam": None,), "return model"),
    "channels first": (lambda d: (builder(input_shape=(1, 28, 28), data_format="channels_first"),), "channels_last"),
    "channels-first input, default conv": (lambda d: (builder(input_shape=(1, 28, 28)),), "channels_last"),
    "batch in the shape": (lambda d: (builder(input_shape=(None, 28, 28, 1)),), "batch axis"),
    "number of images in the shape": (lambda d: (builder(input_shape=(600, 28, 28, 1)),), "batch axis"),
    "no channel axis": (lambda d: (builder(input_shape=(28, 28)),), "28, 28, 1"),
    "flat input": (lambda d: (builder(input_shape=(784,)),), "28x28 layout"),
    "padding same": (lambda d: (builder(padding="same"),), "padding"),
    "5x5 kernel": (lambda d: (builder(blocks=((32, 5),)),), "3x3 kernel"),
    "no relu": (lambda d: (builder(conv_activation=None),), "activation='relu'"),
    "16 filters": (lambda d: (builder(blocks=((16, 3),)),), "number of filters"),
    "64 filters": (lambda d: (builder(blocks=((64, 3),)),), "number of filters"),
    "3x3 pool": (lambda d: (builder(pool=(3, 3)),), "MaxPooling2D\\(\\(2, 2\\)\\)"),
    "average pooling": (lambda d: (builder(pool=None),), "MaxPooling2D"),
    "two blocks": (lambda d: (builder(blocks=((32, 3), (64, 3))),), "one convolution block"),
    "no Flatten": (lambda d: (builder(head=head(layers.Dropout(0.5), layers.Dense(10, activation="softmax"))),),
                   "Flatten"),
    "no Dropout": (lambda d: (builder(head=head(layers.Flatten(), layers.Dense(100, activation="relu"),
                                                layers.Dense(10, activation="softmax"))),), "Dropout"),
    "dropout 0.25": (lambda d: (builder(head=head(layers.Flatten(), layers.Dropout(0.25), layers.Dense(100, activation="relu"),
                                                  layers.Dense(10, activation="softmax"))),), "Dropout\\(0.5\\)"),
    "hidden 128": (lambda d: (builder(head=head(layers.Flatten(), layers.Dropout(0.5), layers.Dense(128, activation="relu"),
                                                layers.Dense(10, activation="softmax"))),), "Dense\\(100"),
    "hidden sigmoid": (lambda d: (builder(head=head(layers.Flatten(), layers.Dropout(0.5),
                                                    layers.Dense(100, activation="sigmoid"),
                                                    layers.Dense(10, activation="softmax"))),), "relu"),
    "Dropout after the hidden layer": (lambda d: (builder(head=head(layers.Flatten(), layers.Dense(100, activation="relu"),
                                                                    layers.Dropout(0.5),
                                                                    layers.Dense(10, activation="softmax"))),), "order"),
    "two hidden layers": (lambda d: (builder(head=head(layers.Flatten(), layers.Dropout(0.5),
                                                       layers.Dense(100, activation="relu"),
                                                       layers.Dense(100, activation="relu"),
                                                       layers.Dense(10, activation="softmax"))),), "order"),
    "no softmax": (lambda d: (builder(head=head(layers.Flatten(), layers.Dropout(0.5), layers.Dense(100, activation="relu"),
                                                layers.Dense(10))),), "softmax"),
    "sigmoid output": (lambda d: (builder(head=head(layers.Flatten(), layers.Dropout(0.5),
                                                    layers.Dense(10, activation="sigmoid"))),), "softmax"),
    "batch normalisation": (lambda d: (builder(head=head(layers.Flatten(), layers.BatchNormalization(), layers.Dropout(0.5),
                                                         layers.Dense(10, activation="softmax"))),), "extra layers"),
    "sparse loss": (lambda d: (builder(loss="sparse_categorical_crossentropy"),), "one-hot"),
    "mse loss": (lambda d: (builder(loss="mse"),), "categorical cross-entropy"),
    "from_logits": (lambda d: (builder(loss=keras.losses.CategoricalCrossentropy(from_logits=True)),), "from_logits"),
    "no metrics": (lambda d: (builder(metrics=()),), "accuracy"),
    "same model twice": (lambda d: (returns_shared_model(),), "optimizer=optimizer|new model"),
    "a typo in the body": (lambda d: (lambda optimizer="adam": layers.Conv2D(32, (3, 3), activaton="relu"),),
                           "Read the error"),
}


# --------------------------------------------------------------------------- 5.4


def evaluate(data, history, **kwargs):
    return history.model.evaluate(data["x_test_4d"], data["y_test_onehot"], verbose=0, **kwargs)


CORRECT_5_4 = {
    "predict-based accuracies": lambda r, d: (r["sgd"], r["adam"], measured(d, r["sgd"]), measured(d, r["adam"])),
    "evaluate()[1], return_dict, float32": lambda r, d: (
        r["sgd"], r["adam"], evaluate(d, r["sgd"])[1], np.float32(evaluate(d, r["adam"], return_dict=True)
                                                                  ["categorical_accuracy"])),
    "tensors": lambda r, d: (r["sgd"], r["adam"], tf.constant(measured(d, r["sgd"])),
                             keras.ops.convert_to_tensor(measured(d, r["adam"]))),
    "evaluate()[1:] and a one-element array": lambda r, d: (
        r["sgd"], r["adam"], evaluate(d, r["sgd"])[1:], np.array([measured(d, r["adam"])], dtype=np.float16)),
}


def fake_cnn(data, optimizer, **changes):
    return fake(data, compiled(network(), optimizer), **changes)


WRONG_5_4 = {
    "swapped runs": (lambda r, d: (r["adam"], r["sgd"], measured(d, r["adam"]), measured(d, r["sgd"])),
                     "keras.optimizers.SGD"),
    "the same run twice": (lambda r, d: (r["sgd"], r["sgd"], measured(d, r["sgd"]), measured(d, r["sgd"])), "two models"),
    "percentage": (lambda r, d: (r["sgd"], r["adam"], 100 * measured(d, r["sgd"]), measured(d, r["adam"])), "fractions"),
    "[loss, accuracy]": (lambda r, d: (r["sgd"], r["adam"], measured(d, r["sgd"]), evaluate(d, r["adam"])),
                         "only the accuracy"),
    "accuracies swapped": (lambda r, d: (r["sgd"], r["adam"], measured(d, r["adam"]), measured(d, r["sgd"])),
                           "Evaluate the model"),
    "training accuracies": (lambda r, d: (r["sgd"], r["adam"], r["sgd"].history["accuracy"][-1],
                                          r["adam"].history["categorical_accuracy"][-1]), "test images"),
    "model instead of History": (lambda r, d: (r["sgd"].model, r["adam"], 0.9, 0.9), "fit returns"),
    "momentum": (lambda r, d: (fake_cnn(d, keras.optimizers.SGD(0.05, momentum=0.9)), r["adam"], 0.5, 0.9), "plain SGD"),
    "SGD at 0.1": (lambda r, d: (fake_cnn(d, keras.optimizers.SGD(0.1)), r["adam"], 0.5, 0.9), "learning_rate=0.05"),
    "SGD at the classic 0.01": (lambda r, d: (fake_cnn(d, keras.optimizers.SGD(0.01)), r["adam"], 0.5, 0.9),
                                "learning_rate=0.05"),
    "RMSprop instead of Adam": (lambda r, d: (r["sgd"], fake_cnn(d, "rmsprop"), measured(d, r["sgd"]), 0.9),
                                "keras.optimizers.Adam"),
    "Adam at 0.01": (lambda r, d: (r["sgd"], fake_cnn(d, keras.optimizers.Adam(0.01)), measured(d, r["sgd"]), 0.9),
                     "learning_rate=0.001"),
    "one epoch": (lambda r, d: (fake_cnn(d, sgd(), epochs=1), r["adam"], 0.5, 0.9), "num_epochs = 4"),
    "batch 128": (lambda r, d: (fake_history(compiled(network(), sgd()), {"loss": [1, 1]}, steps(d, 128)),
                                r["adam"], 0.5, 0.9), "batch_size = 32"),
    "validation split": (lambda r, d: (fake_history(compiled(network(), sgd()), {"loss": [1, 1]},
                                                    math.ceil(int(len(d["x_train"]) * 0.8) / 32)), r["adam"], 0.5, 0.9),
                         "without a validation split"),
    "NaN loss": (lambda r, d: (fake_cnn(d, sgd(), loss=[1.0, float("nan")]), r["adam"], 0.1, 0.9), "NaN"),
    "other network": (lambda r, d: (fake(d, compiled(network(blocks=((16, 3),)), sgd())), r["adam"], 0.5, 0.9),
                      "number of filters"),
    "sparse loss": (lambda r, d: (fake(d, compiled(network(), sgd(), loss="sparse_categorical_crossentropy")),
                                  r["adam"], 0.5, 0.9), "one-hot"),
    "SGD with a schedule": (lambda r, d: (fake_cnn(d, keras.optimizers.SGD(schedule(0.01))), r["adam"], 0.5, 0.9),
                            "schedule"),
    "Adam with a schedule": (lambda r, d: (r["sgd"], fake_cnn(d, keras.optimizers.Adam(schedule(0.001))),
                                           measured(d, r["sgd"]), 0.9), "schedule"),
    "fit run twice": (lambda r, d: (fake(d, trained_before(compiled(network(), sgd()))), r["adam"], 0.5, 0.9),
                      "build it again"),
    "tanh as an Activation layer": (lambda r, d: (fake(d, compiled(keras.Sequential([
        keras.Input(shape=(28, 28, 1)), layers.Conv2D(32, (3, 3)), layers.Activation("tanh"), layers.MaxPooling2D((2, 2)),
        layers.Flatten(), layers.Dropout(0.5), layers.Dense(100, activation="relu"),
        layers.Dense(10, activation="softmax")]), sgd())), r["adam"], 0.5, 0.9), "activation is tanh"),
}


# --------------------------------------------------------------------------- 5.5

INDEX = 17


def probabilities(r, d, index=INDEX):
    return r["adam"].model.predict(d["x_test_4d"][index:index + 1], verbose=0)


CORRECT_5_5 = {
    "(10,) and int": lambda r, d: (r["adam"].model, INDEX, probabilities(r, d)[0], int(probabilities(r, d).argmax())),
    "(1, 10) and argmax(-1)": lambda r, d: (r["adam"].model, np.int64(INDEX), probabilities(r, d),
                                            probabilities(r, d).argmax(-1)),
    "model call, tf.argmax": lambda r, d: (
        r["adam"].model, INDEX, r["adam"].model(d["x_test_4d"][INDEX][None], training=False),
        tf.argmax(r["adam"].model(d["x_test_4d"][INDEX][None], training=False), axis=-1)[0]),
    "list of floats, np.argmax": lambda r, d: (r["adam"].model, INDEX, probabilities(r, d)[0].tolist(),
                                               np.argmax(probabilities(r, d))),
}


def first_where(r, d, right=True):
    predicted = r["adam"].model.predict(d["x_test_4d"], verbose=0).argmax(-1)
    return int(np.flatnonzero((predicted == d["y_test"]) == right)[0])


WRONG_5_5 = {
    "max, not argmax": (lambda r, d: (r["adam"].model, INDEX, probabilities(r, d)[0], float(probabilities(r, d).max())),
                        "argmax, not max"),
    "argmax over the batch axis": (lambda r, d: (r["adam"].model, INDEX, probabilities(r, d),
                                                 probabilities(r, d).argmax(axis=0)), "last axis"),
    "another image": (lambda r, d: (r["adam"].model, INDEX, probabilities(r, d, INDEX + 1)[0],
                                    int(probabilities(r, d).argmax())), "batch of one|test image `index`"),
    "two images": (lambda r, d: (r["adam"].model, INDEX, r["adam"].model.predict(d["x_test_4d"][:2], verbose=0), 1),
                   "batch"),
    "the true label": (lambda r, d: (r["adam"].model, first_where(r, d, False),
                                     probabilities(r, d, first_where(r, d, False))[0],
                                     int(d["y_test"][first_where(r, d, False)])), "argmax"),
    "off by one": (lambda r, d: (r["adam"].model, INDEX, probabilities(r, d)[0],
                                 (int(probabilities(r, d).argmax()) + 1) % 10), "argmax"),
    "untrained model's probabilities": (lambda r, d: (r["adam"].model, INDEX,
                                                      compiled(network(), "adam").predict(d["x_test_4d"][INDEX:INDEX + 1],
                                                                                         verbose=0)[0], 3),
                                        "trained model"),
    "one-hot label as probabilities": (lambda r, d: (r["adam"].model, INDEX, d["y_test_onehot"][INDEX],
                                                     int(d["y_test"][INDEX])), "not the model's probabilities"),
}


# --------------------------------------------------------------------------- 5.6


def first_layer(r):
    model = r["adam"].model
    return keras.Model(inputs=model.inputs, outputs=model.layers[1].output)


CORRECT_5_6 = {
    "sub-model predict": lambda r, d: (r["adam"].model, d["x_test_4d"][5], first_layer(r).predict(d["x_test_4d"][5][None],
                                                                                                 verbose=0)),
    "calling the layer on (28, 28)": lambda r, d: (r["adam"].model, d["x_test_4d"][5][..., 0],
                                                   r["adam"].model.layers[1](d["x_test_4d"][5][None])[0]),
    "get_layer(index=), numpy, batch image": lambda r, d: (
        r["adam"].model, d["x_test_4d"][5][None],
        keras.Model(r["adam"].model.inputs[0], r["adam"].model.get_layer(index=1).output)(d["x_test_4d"][5][None]).numpy()[0]),
    "Sequential model": lambda r, d: (
        r["sgd"].model, d["x_test_4d"][3],
        keras.Model(r["sgd"].model.inputs, r["sgd"].model.layers[0].output).predict(d["x_test_4d"][3:4], verbose=0)),
    "separate ReLU layer, maps before it (layers[0])": lambda r, d: separate_relu_maps(d, 0),
    "separate ReLU layer, maps after it (layers[1])": lambda r, d: separate_relu_maps(d, 1),
    "subclassed model, its first layer called": lambda r, d: (
        r["deeper_subclassed"].model, d["x_test_4d"][2],
        r["deeper_subclassed"].model.layers[0](d["x_test_4d"][2][None])),
}


def separate_relu_maps(d, index):
    model = activation_layers_builder()
    return model, d["x_test_4d"][4], keras.Model(model.inputs, model.layers[index].output)(d["x_test_4d"][4][None])

WRONG_5_6 = {
    "channels first": (lambda r, d: (r["adam"].model, d["x_test_4d"][5],
                                     np.moveaxis(first_layer(r).predict(d["x_test_4d"][5][None], verbose=0)[0], -1, 0)),
                       "channels last"),
    "the pooling layer": (lambda r, d: (r["adam"].model, d["x_test_4d"][5],
                                        keras.Model(r["adam"].model.inputs, r["adam"].model.layers[2].output)
                                        .predict(d["x_test_4d"][5][None], verbose=0)), "the convolution"),
    "the whole model": (lambda r, d: (r["adam"].model, d["x_test_4d"][5],
                                      r["adam"].model.predict(d["x_test_4d"][5][None], verbose=0)), "first layer's output"),
    "another image": (lambda r, d: (r["adam"].model, d["x_test_4d"][5],
                                    first_layer(r).predict(d["x_test_4d"][6:7], verbose=0)), "trained model"),
    "untrained layer": (lambda r, d: (r["adam"].model, d["x_test_4d"][5],
                                      compiled(network(), "adam").layers[0](d["x_test_4d"][5][None])), "trained model"),
    "two images": (lambda r, d: (r["adam"].model, d["x_test_4d"][:2],
                                 first_layer(r).predict(d["x_test_4d"][5][None], verbose=0)), "one test image"),
    "the filters": (lambda r, d: (r["adam"].model, d["x_test_4d"][5], r["adam"].model.layers[1].get_weights()[0]),
                    "26x26"),
    "the image itself": (lambda r, d: (r["adam"].model, d["x_test_4d"][5], d["x_test_4d"][5]), "26x26"),
}


# --------------------------------------------------------------------------- 5.7


CORRECT_5_7 = {
    "functional, metric object, evaluate": lambda r, d: (r["deeper"], evaluate(d, r["deeper"])[1]),
    "predict-based, float64": lambda r, d: (r["deeper"], np.float64(measured(d, r["deeper"]))),
    "subclassed keras.Model": lambda r, d: (r["deeper_subclassed"], [measured(d, r["deeper_subclassed"])]),
    "with the builder, as the notebook's check cell passes it": lambda r, d: (
        r["deeper"], evaluate(d, r["deeper"])[1], lambda: deeper(api="functional")),
    "with a builder of a subclassed model": lambda r, d: (
        r["deeper_subclassed"], measured(d, r["deeper_subclassed"]),
        lambda: compiled(SubclassedCNN(filters=(32, 64), deeper_head=True), adam())),
    "the builder alone, not trained (TRAIN_DEEPER = False)": lambda r, d: (
        None, None, lambda: deeper(api="functional")),
}


def fake_deeper(d, model, epochs=2, **changes):
    return fake(d, model, epochs=epochs, batch=64, **changes)


WRONG_5_7 = {
    "one block": (lambda r, d: (r["adam"], measured(d, r["adam"])), "2 convolution/pooling blocks"),
    "three blocks": (lambda r, d: (fake_deeper(d, compiled(network(blocks=((32, 3), (64, 3), (64, 3)), head=DEEPER_HEAD,
                                                                   padding="same"), adam())), 0.9),
                     "2 convolution/pooling blocks"),
    "filter counts swapped": (lambda r, d: (fake_deeper(d, deeper(first=64, second=32)), 0.9), "number of filters"),
    "32 and 32 filters": (lambda r, d: (fake_deeper(d, deeper(second=32)), 0.9), "number of filters"),
    "padding same": (lambda r, d: (fake_deeper(d, deeper(padding="same")), 0.9), "padding"),
    "SGD": (lambda r, d: (fake_deeper(d, deeper(optimizer=keras.optimizers.SGD(0.01))), 0.9), "Adam"),
    "RMSprop": (lambda r, d: (fake_deeper(d, deeper(optimizer="rmsprop")), 0.9), "Adam"),
    "Adam at 0.01": (lambda r, d: (fake_deeper(d, deeper(optimizer=keras.optimizers.Adam(0.01))), 0.9),
                     "learning_rate=0.001"),
    "Dropout before the hidden layer": (lambda r, d: (fake_deeper(d, deeper(head=lambda: [
        layers.Flatten(), layers.Dropout(0.5), layers.Dense(100, activation="relu"),
        layers.Dense(10, activation="softmax")])), 0.9), "order"),
    "no hidden layer": (lambda r, d: (fake_deeper(d, deeper(head=lambda: [
        layers.Flatten(), layers.Dropout(0.5), layers.Dense(10, activation="softmax")])), 0.9), "order"),
    "hidden 128": (lambda r, d: (fake_deeper(d, deeper(head=lambda: [
        layers.Flatten(), layers.Dense(128, activation="relu"), layers.Dropout(0.5),
        layers.Dense(10, activation="softmax")])), 0.9), "Dense\\(100"),
    "dropout 0.25": (lambda r, d: (fake_deeper(d, deeper(head=lambda: [
        layers.Flatten(), layers.Dense(100, activation="relu"), layers.Dropout(0.25),
        layers.Dense(10, activation="softmax")])), 0.9), "Dropout\\(0.5\\)"),
    "mse loss": (lambda r, d: (fake_deeper(d, deeper(loss="mse")), 0.9), "categorical cross-entropy"),
    "channels first": (lambda r, d: (fake_deeper(d, deeper(input_shape=(1, 28, 28), data_format="channels_first")), 0.9),
                       "channels_last"),
    "one epoch": (lambda r, d: (fake_deeper(d, deeper(), epochs=1), 0.9), "num_epochs = 10"),
    "accuracy 5 points low": (lambda r, d: (r["deeper"], measured(d, r["deeper"]) - 0.05), "Evaluate the deeper model"),
    "training accuracy": (lambda r, d: (r["deeper"], r["deeper"].history["categorical_accuracy"][-1]), "test images"),
    "percentage": (lambda r, d: (r["deeper"], 100 * measured(d, r["deeper"])), "fractions"),
    "History's dict": (lambda r, d: (r["deeper"].history, 0.9), "History"),
    "fit run twice": (lambda r, d: (fake_deeper(d, trained_before(deeper())), 0.9), "build it again"),
    "builder returns an uncompiled model (the training cell crashed)": (
        lambda r, d: (None, None, lambda: network(blocks=((32, 3), (64, 3)), head=DEEPER_HEAD)), "not compiled"),
    "builder with the sparse loss (the training cell crashed)": (
        lambda r, d: (None, None, lambda: deeper(loss="sparse_categorical_crossentropy")), "one-hot"),
    "builder with one block (the run passed as well)": (
        lambda r, d: (r["deeper"], 0.9, lambda: compiled(network(head=DEEPER_HEAD), adam())), "2 convolution"),
    "builder returns None": (lambda r, d: (None, None, lambda: None), "return model"),
    "Adam with a schedule": (lambda r, d: (fake_deeper(d, deeper(optimizer=keras.optimizers.Adam(schedule(0.001)))),
                                           0.9), "schedule"),
    "hidden layer with tanh as its own layer": (lambda r, d: (fake_deeper(d, deeper(head=lambda: [
        layers.Flatten(), layers.Dense(100), layers.Activation("tanh"), layers.Dropout(0.5),
        layers.Dense(10, activation="softmax")])), 0.9), "Dense\\(100"),
}


# --------------------------------------------------------------------------- the tests

CHECKS = {"5.1": check.exercise_5_1, "5.2": check.exercise_5_2, "5.3": check.exercise_5_3,
          "5.4": check.exercise_5_4, "5.5": check.exercise_5_5, "5.6": check.exercise_5_6,
          "5.7": check.exercise_5_7}
CORRECT = {"5.1": CORRECT_5_1, "5.2": CORRECT_5_2, "5.3": CORRECT_5_3, "5.4": CORRECT_5_4,
           "5.5": CORRECT_5_5, "5.6": CORRECT_5_6, "5.7": CORRECT_5_7}
WRONG = {"5.1": WRONG_5_1, "5.2": WRONG_5_2, "5.3": WRONG_5_3, "5.4": WRONG_5_4, "5.5": WRONG_5_5,
         "5.6": WRONG_5_6, "5.7": WRONG_5_7}
NEEDS_RUNS = {"5.4", "5.5", "5.6", "5.7"}
#: What no failure message may contain: lines that compute answers, and the answers of 5.2
#: (which 5.3's summary, and the prompt of 5.6, state once 5.2 is done).
SECRETS = ["28 - 3 + 1", "26 // 2", "expand_dims(x_train_scaled", "x_test_4d[index:index + 1]",
           "probabilities.argmax()", "layers[0].output)", "evaluate(x_test_4d"]
SECRETS_5_2 = ["26, 26, 32", "13, 13, 32", "5408", "5,408"]


def arguments(exercise, variant, request, data):
    if exercise in NEEDS_RUNS:
        return variant(request.getfixturevalue("runs"), data)
    return variant(data)


@pytest.mark.parametrize("exercise, name", [(e, n) for e, variants in CORRECT.items() for n in variants])
def test_correct_answers_pass(exercise, name, request, data, capsys):
    args = arguments(exercise, CORRECT[exercise][name], request, data)
    capsys.readouterr()
    passes(capsys, CHECKS[exercise], *args)


@pytest.mark.parametrize("exercise, name", [(e, n) for e, variants in WRONG.items() for n in variants])
def test_mistakes_fail_without_giving_the_answer(exercise, name, request, data):
    variant, hint = WRONG[exercise][name]
    message = fails(CHECKS[exercise], *arguments(exercise, variant, request, data), hint=hint)
    secrets = SECRETS + (SECRETS_5_2 if exercise in ("5.1", "5.2", "5.3") else [])
    leaked = [secret for secret in secrets if secret in message]
    assert not leaked, f"{name}: the message gives away {leaked}: {message}"
    assert_no_solution_line(message, solution_lines("05_cnn"))
    if exercise in ("5.4", "5.7"):
        runs = request.getfixturevalue("runs")
        for run in ("sgd", "adam", "deeper"):
            value = measured(data, runs[run])
            assert f"{value:.2%}" not in message and f"{value:.1%}" not in message, message


def test_channels_first_build_error_never_reaches_the_student_as_keras_traceback():
    message = fails(check.exercise_5_3, builder(input_shape=(1, 28, 28)), hint="channels_last")
    assert "Computed output size" not in message and "kernel shape" not in message


def test_full_mode_bars(runs, data, monkeypatch):
    monkeypatch.setattr(check, "_fast", lambda: False)
    fails(check.exercise_5_4, runs["sgd"], runs["adam"], measured(data, runs["sgd"]), measured(data, runs["adam"]),
          hint="settings above the fit")
    fails(check.exercise_5_7, runs["deeper"], measured(data, runs["deeper"]), hint="settings above the fit")


def test_variant_counts():
    correct = sum(len(variants) for variants in CORRECT.values())
    wrong = sum(len(variants) for variants in WRONG.values())
    assert correct >= 25 and wrong >= 100, (correct, wrong)


def test_an_untrained_deeper_network_passes_on_its_builder_and_says_it_was_not_trained(capsys):
    """Training 5.7's network is optional (TRAIN_DEEPER): the builder alone is judged until it runs."""
    check.exercise_5_7(None, None, lambda: deeper(api="functional"))
    out = capsys.readouterr().out
    assert out.startswith("✔ Exercise 5.7 passed") and "not trained" in out and "TRAIN_DEEPER = True" in out
    fails(check.exercise_5_7, None, None, lambda: deeper(second=32), hint="number of filters")
