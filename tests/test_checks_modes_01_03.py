"""Checks of notebooks 01-03 judge the same mistakes the same way in fast mode and in full mode.

On the fast-mode sample (a tenth of the images) some wrong quantities come close to the right
one: the pixel statistics of the training and test images pooled, the accuracy on the training
images, a count of steps that equals another count. Each test here feeds such a mistake, and a
right answer, with the data of both modes (``MNIST_COURSE_FAST`` set to 1, then to 0), and
asserts the same verdict.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from mnist_course import mode
from mnist_course.checks import nb01, nb02, nb03

from checking import fails, passes

keras = pytest.importorskip("keras")


@pytest.fixture(params=["fast", "full"])
def data(request, monkeypatch):
    """The course's data as the checks see it in one mode."""
    from mnist_course.data import course_data

    monkeypatch.setenv("MNIST_COURSE_FAST", "1" if request.param == "fast" else "0")
    assert mode.is_fast_mode() == (request.param == "fast")
    return course_data()


def _statistics(images):
    return images.min(), images.max(), images.mean(), images.std()


def test_1_3_pooled_training_and_test_pixels_fail_in_both_modes(data, capsys):
    (x_train, _), (x_test, _) = data.train, data.test
    passes(capsys, nb01.exercise_1_3, *_statistics(x_train))
    passes(capsys, nb01.exercise_1_3, *(round(float(v), 2) for v in _statistics(x_train)))
    pooled = np.concatenate([x_train.reshape(-1), x_test.reshape(-1)])
    fails(nb01.exercise_1_3, *_statistics(pooled), hint="include the test images")
    fails(nb01.exercise_1_3, *_statistics(x_test), hint="training set")
    fails(nb01.exercise_1_3, 0, 255, int(x_train.mean()), x_train.std(), hint="whole number")


def test_2_6_a_count_two_mistakes_give_is_not_blamed_on_one_of_them(data, capsys):
    (x_train, _), (x_test, _) = data.train, data.test
    passes(capsys, nb02.exercise_2_6, math.ceil(len(x_train) / 32))
    # On the fast sample the test set's steps equal the batch size: the hint names neither cause.
    both = math.ceil(len(x_test) / 32) == 32
    message = fails(nb02.exercise_2_6, 32, hint="batches of 32" if both else "the batch size")
    if both:
        assert "test images" not in message and "is the batch size" not in message, message
    fails(nb02.exercise_2_6, math.ceil(int(len(x_train) * 0.9) / 32), hint="validation_split")


def _flat(images):
    return images.reshape(len(images), 784).astype("float32") / 255


def _untrained():
    keras.utils.set_random_seed(42)
    model = keras.Sequential([keras.Input(shape=(784,)), keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01), loss="categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def test_2_5_the_loss_is_measured_on_the_model_in_both_modes(data, capsys):
    (x_train, y_train), (x_test, y_test) = data.train, data.test
    model = _untrained()
    right = model.evaluate(_flat(x_train), np.eye(10)[y_train], verbose=0)[0]
    passes(capsys, nb02.exercise_2_5, right, math.log(10), model)
    on_test = model.evaluate(_flat(x_test), np.eye(10)[y_test], verbose=0)[0]
    fails(nb02.exercise_2_5, on_test, math.log(10), model, hint="training images")
    fails(nb02.exercise_2_5, 2.30, math.log(10), model, hint="Measure the untrained model")


def test_2_7_the_training_images_accuracy_is_named_in_both_modes(data, capsys, monkeypatch):
    (x_train, y_train), (x_test, y_test) = data.train, data.test
    monkeypatch.setattr(nb02, "BASELINE_BAR", (0.5, 0.5))  # this test is about naming, not the bar
    model = _untrained()
    x, onehot = _flat(x_train), np.eye(10, dtype="float32")[y_train]
    history = model.fit(x, onehot, batch_size=32, epochs=2 if mode.is_fast_mode() else 1, verbose=0)
    steps = math.ceil(len(x_train) / 32)
    history.history = {key: (values * nb02.NUM_EPOCHS)[:mode.epochs(nb02.NUM_EPOCHS)] for key, values in history.history.items()}
    history.params = {"epochs": mode.epochs(nb02.NUM_EPOCHS), "steps": steps, "verbose": 0}
    test = model.evaluate(_flat(x_test), np.eye(10)[y_test], verbose=0)[1]
    passes(capsys, nb02.exercise_2_7, model, history, test)
    train = model.evaluate(x, onehot, verbose=0)[1]
    fails(nb02.exercise_2_7, model, history, train, hint="never saw")
    right = round(test * len(x_test))
    fails(nb02.exercise_2_7, model, history, float(right), hint="divided by the number of test images")
    fails(nb02.exercise_2_7, model, history, right / len(x_train), hint="divided by the number of test images")


def test_3_5_step_counts_in_both_modes(data, capsys):
    (x_train, _), _ = data.train, data.test
    steps = math.ceil(int(len(x_train) * 0.9) / 500)
    passes(capsys, nb03.exercise_3_5, steps, steps * 20)
    passes(capsys, nb03.exercise_3_5, [steps], np.array([steps * 20]))
    fails(nb03.exercise_3_5, math.ceil(len(x_train) / 500), steps * 20, hint="validation_split")
    fails(nb03.exercise_3_5, steps, steps, hint="Multiply")
