"""Checks of notebook 01: correct answers written several ways pass; typical mistakes fail
with a hint, and the hint never gives the answer away."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from mnist_course.checks import NotAttempted
from mnist_course.checks import nb01 as check

from checking import fails, passes


@pytest.fixture(scope="module")
def arrays(course_data):
    (x_train, y_train), (x_test, y_test) = course_data.train, course_data.test
    return x_train, y_train, x_test, y_test


@pytest.mark.parametrize("function, nargs", [(check.exercise_1_1, 1), (check.exercise_1_2, 1),
                                              (check.exercise_1_3, 4), (check.exercise_1_4, 1)])
def test_unfilled_exercises_are_not_attempted(function, nargs):
    with pytest.raises(NotAttempted, match="not attempted yet"):
        function(*([None] * nargs))


# 1.1 -------------------------------------------------------------------------------------

def test_shapes_accepted_as_tuples_lists_or_tensor_shapes(arrays, capsys):
    x_train, y_train, x_test, y_test = arrays
    passes(capsys, check.exercise_1_1, (x_train.shape, y_train.shape, x_test.shape, y_test.shape))
    passes(capsys, check.exercise_1_1, [list(a.shape) for a in arrays])
    tf = pytest.importorskip("tensorflow")
    passes(capsys, check.exercise_1_1, [tf.TensorShape(a.shape) for a in arrays])


def test_shapes_mistakes(arrays):
    x_train, y_train, x_test, y_test = arrays
    fails(check.exercise_1_1, [len(a) for a in arrays], hint="not len")
    fails(check.exercise_1_1, (x_test.shape, y_test.shape, x_train.shape, y_train.shape), hint="order")
    fails(check.exercise_1_1, (x_train[0].shape, y_train.shape, x_test.shape, y_test.shape),
          hint="single image")
    fails(check.exercise_1_1, x_train.shape, hint="four shapes")


# 1.2 -------------------------------------------------------------------------------------

def test_class_counts_many_ways(arrays, capsys):
    _, y_train, _, _ = arrays
    passes(capsys, check.exercise_1_2, np.bincount(y_train))
    passes(capsys, check.exercise_1_2, np.unique(y_train, return_counts=True)[1])
    passes(capsys, check.exercise_1_2, Counter(y_train.tolist()))
    passes(capsys, check.exercise_1_2, [int((y_train == d).sum()) for d in range(10)])


def test_class_counts_mistakes(arrays):
    _, y_train, _, y_test = arrays
    counts = np.bincount(y_train)
    fails(check.exercise_1_2, np.bincount(y_test), hint="y_train")
    fails(check.exercise_1_2, counts / counts.sum(), hint="share")
    fails(check.exercise_1_2, list(Counter(y_train.tolist()).values()), hint="class_counts\\[0\\]")
    fails(check.exercise_1_2, counts[:9], hint="one count per digit")
    fails(check.exercise_1_2, np.unique(y_train, return_counts=True), hint="Keep only the counts")
    message = fails(check.exercise_1_2, counts + 1, hint="exactly once")
    for value in counts:
        assert str(value) not in message.replace(f"{len(y_train):,}", "")


# 1.3 -------------------------------------------------------------------------------------

def test_pixel_statistics_many_ways(arrays, capsys):
    x_train = arrays[0]
    passes(capsys, check.exercise_1_3, x_train.min(), x_train.max(), x_train.mean(), x_train.std())
    as_float = x_train.astype(np.float32)
    passes(capsys, check.exercise_1_3, int(np.min(x_train)), float(np.max(as_float)),
           as_float.sum() / as_float.size, np.sqrt(((as_float - as_float.mean()) ** 2).mean()))
    passes(capsys, check.exercise_1_3, 0, 255, np.mean(x_train), np.std(x_train, ddof=1))


def test_pixel_statistics_mistakes(arrays):
    x_train, _, x_test, _ = arrays
    scaled = x_train / 255
    fails(check.exercise_1_3, scaled.min(), scaled.max(), scaled.mean(), scaled.std(), hint="raw uint8")
    fails(check.exercise_1_3, x_test.min(), x_test.max(), x_test.mean(), x_test.std(), hint="x_train")
    fails(check.exercise_1_3, x_train.min(), x_train.max(), x_train.mean(), x_train.var(), hint="square root")
    fails(check.exercise_1_3, x_train.min(), x_train.max(), x_train.mean(axis=0), x_train.std(),
          hint="leave out axis")
    wrapped = (x_train.astype(np.int64) - x_train.mean().astype(np.int64)).astype(np.uint8)
    fails(check.exercise_1_3, 0, 255, x_train.mean(), np.sqrt((wrapped.astype(float) ** 2).mean()),
          hint="convert to float")


# 1.4 -------------------------------------------------------------------------------------

def test_mean_images_many_ways(arrays, capsys):
    x_train, y_train, _, _ = arrays
    passes(capsys, check.exercise_1_4, np.array([x_train[y_train == d].mean(axis=0) for d in range(10)]))
    sums = np.zeros((10, 28, 28))
    np.add.at(sums, y_train, x_train)
    passes(capsys, check.exercise_1_4, sums / np.bincount(y_train)[:, None, None])
    passes(capsys, check.exercise_1_4, np.stack([(x_train[y_train == d] / 255).mean(0) for d in range(10)]))


def test_mean_images_mistakes(arrays):
    x_train, y_train, x_test, y_test = arrays
    means = np.array([x_train[y_train == d].mean(axis=0) for d in range(10)])
    fails(check.exercise_1_4, np.moveaxis(means, 0, -1), hint="new first axis")
    fails(check.exercise_1_4, means.reshape(10, 784), hint="reshape")
    fails(check.exercise_1_4, means * np.bincount(y_train)[:, None, None], hint="sums")
    fails(check.exercise_1_4, means[::-1], hint="wrong order")
    fails(check.exercise_1_4, np.array([x_test[y_test == d].mean(axis=0) for d in range(10)]),
          hint="training images")
    fails(check.exercise_1_4, np.repeat(x_train.mean(axis=0)[None], 10, axis=0), hint="mask")
