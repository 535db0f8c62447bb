"""Checks of notebook 07: correct answers written several ways pass; typical mistakes fail
with a hint. The networks here are tiny (one hidden layer) and train in a few seconds."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import precision_score, recall_score

from mnist_course.checks import NotAttempted
from mnist_course.checks import nb07 as check
from mnist_course.data import FASHION_CLASS_NAMES, course_data
from mnist_course.images import draw_digit, to_mnist

from checking import fails, passes

keras = pytest.importorskip("keras")
layers = keras.layers

# Keras 3.15 itself triggers this NumPy 2 deprecation inside model.save(); nothing to do with the checks.
pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept a copy keyword")


@pytest.fixture(scope="module")
def fashion():
    data = course_data("fashion")
    return data.train, data.test


def tiny_model(input_shape=(28, 28, 1), outputs=10):
    model = keras.Sequential([keras.Input(shape=input_shape), layers.Flatten(),
                              layers.Dense(128, activation="relu"), layers.Dense(outputs, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def prepare(images):
    return (images / 255).astype("float32")[..., None]


@pytest.fixture(scope="module")
def fashion_model(fashion):
    """A tiny network trained, an epoch at a time, until it clears this mode's bar with room."""
    (x_train, y_train), (x_test, y_test) = fashion
    keras.utils.set_random_seed(0)
    model = tiny_model()
    bar = check.FASHION_BARS[0] if check.mode.is_fast_mode() else check.FASHION_BARS[1]
    for _ in range(8):
        model.fit(prepare(x_train), y_train, batch_size=64, epochs=1, verbose=0)
        if np.mean(model.predict(prepare(x_test), verbose=0).argmax(-1) == y_test) > bar + 0.01:
            return model
    pytest.fail("the tiny network did not learn Fashion-MNIST: something is wrong with the data")


@pytest.fixture(scope="module")
def flat_copy(fashion_model):
    """The same network taking flat (n, 784) inputs: the weights copied, nothing retrained."""
    flat = tiny_model(input_shape=(784,))
    flat.layers[1].set_weights(fashion_model.layers[1].get_weights())
    flat.layers[2].set_weights(fashion_model.layers[2].get_weights())
    return flat


@pytest.mark.parametrize("function, nargs, extra", [
    (check.exercise_7_1, 2, 0), (check.exercise_7_2, 2, 1), (check.exercise_7_3, 2, 1), (check.exercise_7_4, 2, 2)])
def test_unfilled_exercises_are_not_attempted(function, nargs, extra):
    with pytest.raises(NotAttempted, match="not attempted yet"):
        function(*([None] * nargs), *([object()] * extra))


# 7.1 -------------------------------------------------------------------------------------

def test_fashion_model_many_ways(capsys, fashion, fashion_model, flat_copy):
    _, (x_test, _) = fashion
    passes(capsys, check.exercise_7_1, fashion_model, prepare(x_test))
    passes(capsys, check.exercise_7_1, flat_copy, x_test.reshape(len(x_test), -1) / 255.0)
    passes(capsys, check.exercise_7_1, fashion_model, list(prepare(x_test)))


def test_fashion_model_mistakes(fashion, fashion_model):
    (x_train, y_train), (x_test, y_test) = fashion
    inputs = prepare(x_test)
    fails(check.exercise_7_1, fashion_model, prepare(course_data("mnist").test[0]), hint="fashion_x_test")
    fails(check.exercise_7_1, fashion_model, prepare(x_train), hint="Prepare the test images")
    fails(check.exercise_7_1, fashion_model, inputs[::-1], hint="without shuffling")
    fails(check.exercise_7_1, fashion_model, inputs[:100], hint="Fashion test images")
    fails(check.exercise_7_1, fashion_model, x_test.reshape(len(x_test), -1) / 255.0, hint="exactly as")
    fails(check.exercise_7_1, fashion_model.history, inputs, hint="not the History")
    keras.utils.set_random_seed(1)
    fails(check.exercise_7_1, tiny_model(outputs=5), inputs, hint="Dense\\(10")
    keras.utils.set_random_seed(1)
    barely = tiny_model()
    barely.fit(prepare(x_train[:256]), y_train[:256], epochs=1, verbose=0)
    accuracy = np.mean(barely.predict(inputs, verbose=0).argmax(-1) == y_test)
    assert check.CHANCE_BAR <= accuracy < check.FASHION_BARS[0], "the half-trained network must fall between"
    fails(check.exercise_7_1, barely, inputs, hint="same preparation, batch size")


def test_a_digit_network_does_not_pass_for_clothes(fashion):
    x_digits, y_digits = course_data("mnist").train
    _, (x_test, y_test) = fashion
    keras.utils.set_random_seed(2)
    digits = tiny_model()
    digits.fit(prepare(x_digits), y_digits, batch_size=64, epochs=2, verbose=0)
    accuracy = np.mean(digits.predict(prepare(x_test), verbose=0).argmax(-1) == y_test)
    assert accuracy < check.CHANCE_BAR
    fails(check.exercise_7_1, digits, prepare(x_test), hint="not on the digits")


# 7.2 -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def fashion_pred(fashion):
    """Made-up predictions: mostly right, shirts often taken for T-shirts, some random mistakes."""
    _, (_, y_test) = fashion
    rng = np.random.default_rng(7)
    predictions = y_test.astype(np.int64).copy()
    wrong = rng.choice(len(y_test), size=len(y_test) // 10, replace=False)
    predictions[wrong] = (predictions[wrong] + rng.integers(1, 10, size=len(wrong))) % 10
    shirts = np.flatnonzero(y_test == 6)
    predictions[shirts[: len(shirts) // 3]] = 0
    return predictions


def test_hardest_class_many_ways(capsys, fashion, fashion_pred):
    _, (_, y_test) = fashion
    recall = recall_score(y_test, fashion_pred, average=None)
    by_hand = [np.mean(fashion_pred[y_test == label] == label) for label in range(10)]
    hardest = int(np.argmin(recall))
    assert FASHION_CLASS_NAMES[hardest] == "Shirt"
    passes(capsys, check.exercise_7_2, recall, hardest, fashion_pred)
    passes(capsys, check.exercise_7_2, by_hand, "Shirt", fashion_pred.tolist())
    passes(capsys, check.exercise_7_2, np.float32(by_hand), " shirt ", fashion_pred)
    passes(capsys, check.exercise_7_2, recall, np.argmin(recall), fashion_pred)


def test_hardest_class_mistakes(fashion, fashion_pred):
    _, (_, y_test) = fashion
    recall = recall_score(y_test, fashion_pred, average=None)
    precision = precision_score(y_test, fashion_pred, average=None)
    hardest = int(np.argmin(recall))
    fails(check.exercise_7_2, precision, hardest, fashion_pred, hint="really belong to the class")
    fails(check.exercise_7_2, 100 * recall, hardest, fashion_pred, hint="fractions")
    fails(check.exercise_7_2, recall.mean(), hardest, fashion_pred, hint="ten values")
    fails(check.exercise_7_2, recall[:9], hardest, fashion_pred, hint="class 0")
    fails(check.exercise_7_2, recall[::-1], hardest, fashion_pred, hint="of its test images")
    fails(check.exercise_7_2, recall, int(np.argmax(recall)), fashion_pred, hint="not np.argmax")
    middle = int(np.argsort(recall)[4])
    fails(check.exercise_7_2, recall, middle, fashion_pred, hint="smallest value")
    fails(check.exercise_7_2, recall, "Shirts", fashion_pred, hint="FASHION_CLASS_NAMES")
    fails(check.exercise_7_2, recall, 10, fashion_pred, hint="np.argmin")
    fails(check.exercise_7_2, recall, hardest, np.eye(10)[fashion_pred], hint="argmax")
    fails(check.exercise_7_2, recall, hardest, fashion_pred[:-1], hint="one class number")
    fails(check.exercise_7_2, recall, hardest, (fashion_pred + 1) % 10, hint="fashion_model")


# 7.3 -------------------------------------------------------------------------------------

def test_save_and_load_many_ways(capsys, tmp_path, fashion_model):
    path = tmp_path / "fashion.keras"
    fashion_model.save(path)
    passes(capsys, check.exercise_7_3, path, keras.models.load_model(path), fashion_model)
    passes(capsys, check.exercise_7_3, str(path), keras.saving.load_model(str(path)), fashion_model)


def test_save_and_load_mistakes(tmp_path, fashion_model):
    path = tmp_path / "fashion.keras"
    fashion_model.save(path)
    loaded = keras.models.load_model(path)
    fails(check.exercise_7_3, tmp_path / "fashion.h5", loaded, fashion_model, hint="\\.keras")
    fails(check.exercise_7_3, tmp_path / "never_saved.keras", loaded, fashion_model, hint="save\\(model_path\\)")
    fails(check.exercise_7_3, path, fashion_model, fashion_model, hint="load_model")
    fails(check.exercise_7_3, 42, loaded, fashion_model, hint="pathlib.Path")
    keras.utils.set_random_seed(3)
    fails(check.exercise_7_3, path, keras.models.clone_model(fashion_model), fashion_model, hint="clone_model")
    other = tmp_path / "other.keras"
    keras.utils.set_random_seed(4)
    another = tiny_model()
    another.fit(np.zeros((8, 28, 28, 1)), np.zeros(8), verbose=0)  # a network trained on something else
    another.save(other)
    fails(check.exercise_7_3, other, loaded, fashion_model, hint="Save the trained Fashion network")
    fails(check.exercise_7_3, path, {"model": loaded}, fashion_model, hint="not the History")


# 7.4 -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def pictures():
    return [draw_digit(str(digit), size=30 + 10 * digit, position=(0.4, 0.6)) for digit in (1, 3, 4, 7)]


@pytest.fixture(scope="module")
def digit_model():
    keras.utils.set_random_seed(5)
    return tiny_model()  # untrained is fine: the check compares with what it predicts


def test_own_digits_many_ways(capsys, pictures, digit_model):
    own = np.stack([to_mnist(picture) for picture in pictures])
    inputs = prepare(own)
    predictions = digit_model.predict(inputs, verbose=0).argmax(-1)
    passes(capsys, check.exercise_7_4, inputs, predictions, pictures, digit_model)
    passes(capsys, check.exercise_7_4, own.reshape(len(own), -1) / 255.0, predictions.tolist(), pictures, digit_model)
    as_list = [to_mnist(picture)[..., None] / 255 for picture in pictures]
    passes(capsys, check.exercise_7_4, as_list, np.int32(predictions), pictures, digit_model)


def test_own_digits_mistakes(pictures, digit_model):
    own = np.stack([to_mnist(picture) for picture in pictures])
    inputs = prepare(own)
    probabilities = digit_model.predict(inputs, verbose=0)
    predictions = probabilities.argmax(-1)
    fails(check.exercise_7_4, own[..., None], predictions, pictures, digit_model, hint="scaled to 0..1")
    fails(check.exercise_7_4, 1 - inputs, predictions, pictures, digit_model, hint="white on black")
    fails(check.exercise_7_4, inputs[::-1], predictions, pictures, digit_model, hint="in order")
    fails(check.exercise_7_4, inputs[:3], predictions, pictures, digit_model, hint="images.to_mnist")
    from PIL import Image
    squeezed = np.stack([np.asarray(Image.fromarray(p).convert("L").resize((28, 28))) for p in pictures])
    fails(check.exercise_7_4, prepare(255 - squeezed), predictions, pictures, digit_model, hint="images.to_mnist")
    fails(check.exercise_7_4, inputs, probabilities, pictures, digit_model, hint="argmax")
    fails(check.exercise_7_4, inputs, predictions[:2], pictures, digit_model, hint="one digit")
    keras.utils.set_random_seed(6)
    other = tiny_model().predict(inputs, verbose=0).argmax(-1)
    if not np.array_equal(other, predictions):
        fails(check.exercise_7_4, inputs, other, pictures, digit_model, hint="MNIST network")
    fails(check.exercise_7_4, inputs, (predictions + 1) % 10, pictures, digit_model, hint="MNIST network")
