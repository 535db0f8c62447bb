"""Check of exercise 7.5 (the network on your own handwriting): simulated students.

Correct answers written many ways pass; plausible mistakes fail with a hint that never holds
the answer. The network is tiny (one hidden tanh layer, so that unscaled pixels change its
answers), trained for one epoch in a second or two; the "handwriting" mixes MNIST test digits
and font digits, so the network reads some of them wrong, as it does with real drawings.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import accuracy_score

from mnist_course.checks import NotAttempted
from mnist_course.checks import nb07 as check
from mnist_course.data import course_data
from mnist_course.images import draw_digit, to_mnist

from checking import fails, passes

keras = pytest.importorskip("keras")
layers = keras.layers


def prepare(images):
    return (np.asarray(images) / 255).astype("float32")[..., np.newaxis]


@pytest.fixture(scope="module")
def mnist_model():
    (x_train, y_train) = course_data().train
    keras.utils.set_random_seed(3)
    model = keras.Sequential([keras.Input(shape=(28, 28, 1)), layers.Flatten(),
                              layers.Dense(32, activation="tanh"), layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(prepare(x_train[:6000]), y_train[:6000], batch_size=64, epochs=1, verbose=0)
    return model


@pytest.fixture(scope="module")
def flat_model(mnist_model):
    """The same network taking flat (n, 784) inputs: the weights copied."""
    flat = keras.Sequential([keras.Input(shape=(784,)), layers.Dense(32, activation="tanh"),
                             layers.Dense(10, activation="softmax")])
    flat.layers[0].set_weights(mnist_model.layers[1].get_weights())
    flat.layers[1].set_weights(mnist_model.layers[2].get_weights())
    return flat


@pytest.fixture(scope="module")
def data():
    """30 MNIST test digits and the ten font digits: (images, labels), uint8 like the pad's."""
    x_test, y_test = course_data().test
    fonts = np.stack([to_mnist(draw_digit(str(digit), font=font))
                      for digit, font in zip(range(10), ["DejaVu Serif", "STIXGeneral"] * 5)])
    return np.concatenate([x_test[:30], fonts]), np.concatenate([y_test[:30], np.arange(10)])


@pytest.fixture(scope="module")
def answer(mnist_model, data):
    """The reference answer and what it is made of."""
    images, labels = data
    predictions = mnist_model.predict(prepare(images), verbose=0).argmax(-1)
    accuracy = float(np.mean(predictions == labels))
    x_test, y_test = course_data().test
    test_accuracy = mnist_model.evaluate(prepare(x_test), y_test, verbose=0)[1]
    wrong = np.flatnonzero(predictions != labels)
    assert 0 < len(wrong) < len(labels) - 5, "the test needs images read right and wrong"
    return dict(predictions=predictions, accuracy=accuracy, test_accuracy=test_accuracy,
                gap=test_accuracy - accuracy, wrong=wrong)


def call(answer_overrides, answer, data, model):
    """The check on the reference answer with some of its four values replaced."""
    images, labels = data
    values = dict(predictions=answer["predictions"], accuracy=answer["accuracy"], gap=answer["gap"],
                  wrong=answer["wrong"])
    values.update(answer_overrides)
    return (values["predictions"], values["accuracy"], values["gap"], values["wrong"], images, labels, model)


def check_fails(answer_overrides, answer, data, model, hint):
    message = fails(check.exercise_7_5, *call(answer_overrides, answer, data, model), hint=hint)
    text = message.removeprefix("Exercise 7.5:")
    for secret in (answer["accuracy"], answer["gap"]):
        for shown in (f"{secret:.2f}", f"{secret:.1%}", f"{100 * secret:.1f}"):
            assert shown not in text, f"the hint gives a number away: {message}"
    return message


# passes --------------------------------------------------------------------------------------

def test_unfilled_exercise_is_not_attempted(data, mnist_model):
    with pytest.raises(NotAttempted, match="not attempted yet"):
        check.exercise_7_5(None, None, None, None, *data, mnist_model)


def test_the_solution_passes(capsys, answer, data, mnist_model):
    passes(capsys, check.exercise_7_5, *call({}, answer, data, mnist_model))


def test_a_gap_in_a_one_element_array_passes_as_everywhere_else(capsys, answer, data, mnist_model):
    passes(capsys, check.exercise_7_5, *call({"gap": np.array([answer["gap"]])}, answer, data, mnist_model))


def test_a_student_with_loops_and_sklearn(capsys, answer, data, mnist_model):
    images, labels = data
    predictions = [int(np.argmax(mnist_model.predict(image[np.newaxis, ..., np.newaxis] / 255, verbose=0)))
                   for image in images]
    accuracy = accuracy_score(labels, predictions)
    x_test, y_test = course_data().test
    gap = mnist_model.evaluate(prepare(x_test), y_test, verbose=0)[1] - accuracy
    wrong = [index for index in range(len(labels)) if predictions[index] != labels[index]]
    passes(capsys, check.exercise_7_5, predictions, accuracy, gap, wrong, images, labels, mnist_model)


def test_a_student_with_tensors_and_a_mask(capsys, answer, data, mnist_model):
    images, labels = data
    predictions = keras.ops.argmax(mnist_model(prepare(images)), axis=-1)
    right = keras.ops.equal(predictions, keras.ops.convert_to_tensor(labels))
    accuracy = keras.ops.mean(keras.ops.cast(right, "float32"))
    gap = keras.ops.convert_to_tensor(answer["test_accuracy"]) - accuracy
    wrong = keras.ops.logical_not(right)
    passes(capsys, check.exercise_7_5, predictions, accuracy, gap, wrong, images, labels, mnist_model)


def test_a_student_with_a_flat_network_and_other_containers(capsys, answer, data, flat_model):
    images, labels = data
    predictions = flat_model.predict(images.reshape(len(images), -1) / 255.0, verbose=0).argmax(axis=1)
    accuracy = np.float32(np.sum(predictions == labels) / len(labels))
    wrong = tuple(reversed(np.flatnonzero(predictions != labels).tolist()))
    passes(capsys, check.exercise_7_5, predictions.astype(float), accuracy, answer["gap"], wrong,
           images, labels, flat_model)
    passes(capsys, check.exercise_7_5, predictions.tolist(), float(accuracy), answer["gap"],
           (predictions != labels).astype(int), images, labels, flat_model)


def test_handwriting_read_all_right_passes_with_an_empty_wrong(capsys, answer, data, mnist_model):
    images, labels = data
    keep = answer["predictions"] == labels
    images, labels = images[keep], labels[keep]
    passes(capsys, check.exercise_7_5, answer["predictions"][keep], 1.0, answer["test_accuracy"] - 1.0,
           [], images, labels, mnist_model)
    passes(capsys, check.exercise_7_5, answer["predictions"][keep], 1, answer["test_accuracy"] - 1,
           np.array([], dtype=int), images, labels, mnist_model)


# mistakes ------------------------------------------------------------------------------------

def test_wrong_predictions_are_rejected(answer, data, mnist_model):
    images, labels = data
    probabilities = mnist_model.predict(prepare(images), verbose=0)
    check_fails({"predictions": probabilities}, answer, data, mnist_model, "ten probabilities")
    check_fails({"predictions": labels}, answer, data, mnist_model, "digits you meant")
    check_fails({"predictions": answer["predictions"][:-1]}, answer, data, mnist_model, "one digit for each")
    check_fails({"predictions": np.roll(answer["predictions"], 1)}, answer, data, mnist_model,
                "not what mnist_model reads")
    unscaled = mnist_model.predict(images[..., np.newaxis].astype("float32"), verbose=0).argmax(-1)
    assert not np.array_equal(unscaled, answer["predictions"]), "the test needs unscaled pixels to matter"
    check_fails({"predictions": unscaled}, answer, data, mnist_model, "0 to 255")


def test_wrong_accuracies_are_rejected(answer, data, mnist_model):
    accuracy = answer["accuracy"]
    check_fails({"accuracy": 100 * accuracy}, answer, data, mnist_model, "percentage")
    check_fails({"accuracy": 1 - accuracy}, answer, data, mnist_model, "got wrong")
    check_fails({"accuracy": int(round(accuracy * len(data[1])))}, answer, data, mnist_model, "count")
    check_fails({"accuracy": answer["test_accuracy"]}, answer, data, mnist_model, "MNIST test set")
    check_fails({"accuracy": answer["predictions"] == data[1]}, answer, data, mnist_model, "not one number")
    check_fails({"accuracy": accuracy + 0.05}, answer, data, mnist_model, "does not match")


def test_wrong_gaps_are_rejected(answer, data, mnist_model):
    gap = answer["gap"]
    check_fails({"gap": -gap}, answer, data, mnist_model, "wrong sign")
    check_fails({"gap": 100 * gap}, answer, data, mnist_model, "percentage points")
    check_fails({"gap": answer["test_accuracy"]}, answer, data, mnist_model, "not the difference")
    check_fails({"gap": (1 - answer["accuracy"]) / (1 - answer["test_accuracy"])}, answer, data,
                mnist_model, "not the difference")
    check_fails({"gap": [gap, gap]}, answer, data, mnist_model, "not one number")


def test_wrong_lists_of_wrong_images_are_rejected(answer, data, mnist_model):
    images, labels = data
    wrong, right = answer["wrong"], np.flatnonzero(answer["predictions"] == labels)
    mask = answer["predictions"] != labels
    check_fails({"wrong": right}, answer, data, mnist_model, "read right")
    check_fails({"wrong": wrong + 1}, answer, data, mnist_model, "from 1")
    check_fails({"wrong": labels[wrong]}, answer, data, mnist_model, "digits, not positions")
    check_fails({"wrong": []}, answer, data, mnist_model, "empty")
    check_fails({"wrong": np.concatenate([wrong, wrong[:1]])}, answer, data, mnist_model, "more than once")
    check_fails({"wrong": wrong[:-1]}, answer, data, mnist_model, "exactly")
    check_fails({"wrong": ~mask}, answer, data, mnist_model, "read right")
    check_fails({"wrong": np.roll(mask, 1)}, answer, data, mnist_model, "does not mark")
    check_fails({"wrong": wrong + 0.5}, answer, data, mnist_model, "not whole")


def test_bad_model_or_data_get_a_plain_message(answer, data, mnist_model):
    images, labels = data
    args = call({}, answer, data, mnist_model)
    fails(check.exercise_7_5, *args[:6], "not a model", hint="not a Keras model")
    fails(check.exercise_7_5, *args[:6], keras.Sequential, hint="not a model")
    fails(check.exercise_7_5, *args[:5], labels[:-1], mnist_model, hint="Run the cell above")
