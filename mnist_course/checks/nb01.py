"""Checks for notebook 01, *Meet the data*.

Each compares the student's answer with what the notebook's own data give (the fast-mode
sample when fast mode is on), so the same check works in both modes.

Example:
    >>> from mnist_course.checks import nb01 as check              # doctest: +SKIP
    >>> check.exercise_1_2(np.bincount(y_train, minlength=10))     # doctest: +SKIP
    ✔ Exercise 1.2 passed: ...
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from mnist_course.checks._core import (
    check_shape, close, fail, is_number, passed, require_attempt, to_array,
)
from mnist_course.data import course_data

from mnist_course.checks._core import summary_for

#: ``check.summary()`` in the last cell of the notebook lists its exercises and their status.
summary = summary_for(__name__)

ORDER = "x_train, y_train, x_test, y_test"


def _reference():
    data = course_data()
    return data.train, data.test


def _as_shape(value: Any) -> tuple[int, ...] | None:
    """A tuple of ints from a tuple, list, array or TensorShape; None if it is not one."""
    if hasattr(value, "as_list"):
        value = value.as_list()
    if isinstance(value, (tuple, list, np.ndarray)):
        try:
            return tuple(int(n) for n in value)
        except (TypeError, ValueError):
            return None
    return None


def exercise_1_1(shapes: Any) -> None:
    """Exercise 1.1: ``shapes`` holds the shapes of x_train, y_train, x_test, y_test, in order.

    Accepts tuples, lists or TensorShapes for each; rejects lengths instead of shapes, the
    shape of a single image, and a different order.
    """
    __tracebackhide__ = True
    require_attempt("1.1", shapes=shapes)
    (x_train, y_train), (x_test, y_test) = _reference()
    expected = [x_train.shape, y_train.shape, x_test.shape, y_test.shape]
    if not isinstance(shapes, (tuple, list)) or len(shapes) != 4:
        fail("1.1", "shapes should be a tuple of four shapes.",
             f"Write shapes = (a, b, c, d) with the .shape of {ORDER}.")
    if all(isinstance(item, (int, np.integer)) for item in shapes):
        fail("1.1", "shapes holds four single numbers.",
             "A shape is a tuple with one length per axis: use the arrays' .shape, not len().")
    given = [_as_shape(item) for item in shapes]
    for name, item in zip(ORDER.split(", "), given):
        if item is None:
            fail("1.1", f"the entry for {name} is not a shape.",
                 "Each entry should be an array's .shape, a tuple of whole numbers.")
    if given == expected:
        passed("1.1", "four shapes, in the right order.")
        return
    if sorted(given) == sorted(expected):
        fail("1.1", "the shapes are right but in another order.", f"The order is {ORDER}.")
    if any(shape == (28, 28) for shape in given):
        fail("1.1", "one entry is the shape of a single image.",
             "Take the shape of the whole array, which starts with the number of images.")
    fail("1.1", "some shapes do not match the arrays loaded above.",
         f"Use x_train.shape and so on, for {ORDER}, in that order.")


def exercise_1_2(class_counts: Any) -> None:
    """Exercise 1.2: ``class_counts[d]`` is the number of training images of digit ``d``.

    Accepts arrays, lists, and dicts or Counters keyed by digit; rejects the test set's
    counts, fractions instead of counts, a wrong length and counts in another order.
    """
    __tracebackhide__ = True
    require_attempt("1.2", class_counts=class_counts)
    (_, y_train), (_, y_test) = _reference()
    if isinstance(class_counts, Mapping):
        keys = sorted(int(key) for key in class_counts)
        if keys != list(range(10)):
            fail("1.2", f"class_counts has the keys {keys}, expected one per digit 0..9.",
                 "Count the labels in y_train, the digits, not the images.")
        class_counts = [class_counts[key] for key in sorted(class_counts, key=int)]
    counts = to_array("1.2", "class_counts", class_counts)
    expected = np.bincount(y_train, minlength=10)
    if counts.ndim == 2 and counts.shape[0] == 2 and counts.shape[1] == 10:
        fail("1.2", "class_counts has two rows, perhaps the digits and their counts.",
             "Keep only the counts: np.unique(..., return_counts=True) returns two arrays.")
    check_shape("1.2", "class_counts", counts, (10,),
                "There is one count per digit 0..9, taken from the labels y_train.")
    if close(counts, expected, rtol=0, atol=0):
        passed("1.2", "ten counts, one per digit, that add up to the training set.")
        return
    if close(counts, np.bincount(y_test, minlength=10), rtol=0, atol=0):
        fail("1.2", "these are the counts of the test set.", "Count the training labels, y_train.")
    if close(counts.sum(), 1.0, rtol=1e-3):
        fail("1.2", "the counts add up to 1: these look like fractions.",
             "Give the number of images of each digit, not its share.")
    if close(np.sort(counts), np.sort(expected), rtol=0, atol=0):
        fail("1.2", "the right counts, in the wrong order.",
             "class_counts[0] must be the count of zeros, class_counts[1] of ones, and so on.")
    if counts.sum() != len(y_train):
        fail("1.2", f"the counts add up to {counts.sum():,}, not to the {len(y_train):,} training images.",
             "Count every label in y_train exactly once.")
    fail("1.2", "the counts do not match the training labels.",
         "Count how often each digit 0..9 appears in y_train.")


def exercise_1_3(pixel_min: Any, pixel_max: Any, pixel_mean: Any, pixel_std: Any) -> None:
    """Exercise 1.3: min, max, mean and standard deviation of all training pixels, in 0..255.

    Accepts Python or NumPy numbers, float32 or float64, ``ddof`` 0 or 1; rejects values
    scaled to [0, 1], the variance for the std, per-image or per-pixel arrays, and the
    test set's statistics.
    """
    __tracebackhide__ = True
    require_attempt("1.3", pixel_min=pixel_min, pixel_max=pixel_max,
                    pixel_mean=pixel_mean, pixel_std=pixel_std)
    (x_train, _), (x_test, _) = _reference()
    answers = {"pixel_min": pixel_min, "pixel_max": pixel_max,
               "pixel_mean": pixel_mean, "pixel_std": pixel_std}
    for name, value in answers.items():
        if not is_number(value):
            fail("1.3", f"{name} is not a single number.",
                 "Reduce over every pixel of every image: leave out axis= (it gives one value "
                 "per image or per pixel position).")
    values = {name: float(np.asarray(value)) for name, value in answers.items()}
    expected = {"pixel_min": float(x_train.min()), "pixel_max": float(x_train.max()),
                "pixel_mean": float(x_train.mean()), "pixel_std": float(x_train.std())}
    if all(close(values[name], expected[name]) for name in expected):
        passed("1.3", "min, max, mean and std of the training pixels.")
        return
    if close(values["pixel_max"], 1.0) or all(
        close(values[name] * 255, expected[name]) for name in ("pixel_mean", "pixel_std")
    ):
        fail("1.3", "these statistics are on a 0..1 scale.",
             "Compute them on the raw uint8 pixels (0..255); do not divide by 255 here.")
    test_stats = {"pixel_mean": float(x_test.mean()), "pixel_std": float(x_test.std())}
    if all(close(values[name], test_stats[name]) for name in test_stats):
        fail("1.3", "the mean and std match the test images.",
             "Statistics come from the training set, x_train.")
    for name in ("pixel_min", "pixel_max", "pixel_mean"):
        if not close(values[name], expected[name]):
            fail("1.3", f"{name} is not right.",
                 f"Compute it over all the pixels of x_train at once.")
    if close(values["pixel_std"], expected["pixel_std"] ** 2):
        fail("1.3", "pixel_std is the variance, the square of the standard deviation.",
             "Take the square root, or use .std().")
    fail("1.3", "pixel_std is not right.",
         "Use x_train.std() (or np.std) over all pixels at once; if you wrote it out by hand, "
         "convert to float before subtracting and squaring.")


def exercise_1_4(mean_images: Any) -> None:
    """Exercise 1.4: ``mean_images[d]`` is the average training image of digit ``d``.

    Accepts shape (10, 28, 28) in pixel units (0..255) or scaled to 0..1; rejects (28, 28, 10)
    and (10, 784) layouts, the test set, sums instead of means, and another order.
    """
    __tracebackhide__ = True
    require_attempt("1.4", mean_images=mean_images)
    (x_train, y_train), (x_test, y_test) = _reference()
    images = to_array("1.4", "mean_images", mean_images).astype(float)
    if images.shape == (28, 28, 10):
        fail("1.4", "mean_images has shape (28, 28, 10): the digit axis is last.",
             "Stack the ten images along a new first axis, e.g. build a list and np.array it.")
    if images.shape == (10, 784):
        fail("1.4", "mean_images has shape (10, 784): the images are flat.",
             "Average the (n, 28, 28) images, or reshape each mean back to 28x28.")
    check_shape("1.4", "mean_images", images, (10, 28, 28),
                "One 28x28 average image per digit, digit 0 first.")
    expected = np.stack([x_train[y_train == d].mean(axis=0) for d in range(10)])
    if close(images, expected, rtol=1e-3, atol=1e-3) or close(images, expected / 255, rtol=1e-3, atol=1e-5):
        passed("1.4", "ten mean images, one per digit.")
        return
    if images.max() > 255.5:
        fail("1.4", "mean_images has values above 255: these look like sums.",
             "Divide each sum by the number of images of that digit, or use .mean(axis=0).")
    scale = 255 if images.max() > 1.5 else 1
    test_means = np.stack([x_test[y_test == d].mean(axis=0) for d in range(10)]) / (255 / scale)
    if close(images, test_means, rtol=1e-3, atol=1e-3):
        fail("1.4", "these are the mean images of the test set.", "Average the training images, x_train.")
    per_slot = [any(close(images[i], expected[d] / (255 / scale), atol=1e-3) for d in range(10))
                for i in range(10)]
    if all(per_slot):
        fail("1.4", "the right images in the wrong order.",
             "mean_images[d] must average the images whose label is d, for d = 0..9.")
    if np.allclose(images, images[0]):
        fail("1.4", "all ten images are the same.",
             "Select the images of one digit at a time with a mask such as y_train == digit.")
    fail("1.4", "the mean images do not match the training data.",
         "For each digit d, average x_train[y_train == d] over the image axis (axis=0).")
