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
    check_shape, close, fail, is_number, number, passed, require_attempt, summary_for, to_array,
)
from mnist_course.data import course_data

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
         f"Take the shape attribute of each of the four arrays loaded above, in the order {ORDER}.")


def exercise_1_2(class_counts: Any) -> None:
    """Exercise 1.2: ``class_counts[d]`` is the number of training images of digit ``d``.

    Accepts arrays, lists, tuples, tensors, and dicts or Counters keyed by digit (the plot
    after it reads ``class_counts[d]`` for d = 0..9, which all of these allow); rejects the
    test set's counts, fractions instead of counts, a wrong length, counts in another order,
    ``most_common()`` pairs, ``np.unique``'s or ``np.histogram``'s pair of arrays, and dicts
    keyed by strings.
    """
    __tracebackhide__ = True
    require_attempt("1.2", class_counts=class_counts)
    (_, y_train), (_, y_test) = _reference()
    if isinstance(class_counts, Mapping):
        try:
            keys = sorted(float(key) for key in class_counts)
        except (TypeError, ValueError):
            keys = None
        if keys is None or keys != list(range(10)):
            fail("1.2", f"class_counts has {len(class_counts)} keys, not one per digit 0..9.",
                 "Count the labels in y_train, the digits, not the images.")
        if any(isinstance(key, (str, bytes)) for key in class_counts):
            fail("1.2", "class_counts is keyed by strings, so class_counts[0] does not work.",
                 "Use the digits themselves (numbers) as keys.")
        class_counts = [class_counts[digit] for digit in range(10)]
    if isinstance(class_counts, tuple) and len(class_counts) == 2 and all(
            np.ndim(part) == 1 for part in class_counts):
        fail("1.2", "class_counts holds two arrays.",
             "Keep only the counts: np.unique(..., return_counts=True) and np.histogram both "
             "return two arrays, and the counts are one of them.")
    counts = to_array("1.2", "class_counts", class_counts)
    if counts.ndim == 2 and counts.shape[1] == 2 and counts.shape[0] <= 10:
        fail("1.2", "class_counts holds pairs, perhaps (digit, count) from most_common().",
             "most_common() sorts by count: keep one count per digit, in the order of the digits.")
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


#: How far (in pixel units) a statistic may be from the right one: float32 sums, ``ddof=1`` and
#: rounding to two decimals stay inside it, while statistics of other pixels (the test images
#: pooled in, differing by 0.03 or more even on the fast-mode sample) fall outside.
_STAT_ATOL = 0.006


def _statistics(images: np.ndarray) -> dict[str, float]:
    return {"pixel_min": float(images.min()), "pixel_max": float(images.max()),
            "pixel_mean": float(images.mean()), "pixel_std": float(images.std())}


def _matches(values: dict[str, float], expected: dict[str, float], names: tuple[str, ...]) -> bool:
    return all(close(values[name], expected[name], rtol=0, atol=_STAT_ATOL) for name in names)


def exercise_1_3(pixel_min: Any, pixel_max: Any, pixel_mean: Any, pixel_std: Any) -> None:
    """Exercise 1.3: min, max, mean and standard deviation of all training pixels, in 0..255.

    Accepts Python or NumPy numbers, one-element arrays or tensors, float32 or float64,
    ``ddof`` 0 or 1; rejects values scaled to [0, 1], the variance for the std, per-image or
    per-pixel arrays, a mean rounded down to a whole number (a reduction in uint8), and the
    statistics of the test images or of the training and test images pooled. The tolerance is
    tight enough that these differ from the right answer on the fast-mode sample too.
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
    values = {name: number(value) for name, value in answers.items()}
    expected = _statistics(x_train)
    moments = ("pixel_mean", "pixel_std")
    if _matches(values, expected, tuple(expected)):
        passed("1.3", "min, max, mean and std of the training pixels.")
        return
    if close(values["pixel_max"], 1.0) or all(close(values[k] * 255, expected[k], rtol=1e-3) for k in moments):
        fail("1.3", "these statistics are on a 0..1 scale.",
             "Compute them on the raw uint8 pixels (0..255); do not divide by 255 here.")
    pooled = _statistics(np.concatenate([x_train.reshape(-1), x_test.reshape(-1)]))
    if _matches(values, pooled, moments):
        fail("1.3", "the mean and std include the test images.",
             "Statistics come from the training images alone, x_train: the test set waits.")
    if _matches(values, _statistics(x_test), moments):
        fail("1.3", "the mean and std match the test images.",
             "Statistics come from the training set, x_train.")
    for name in ("pixel_min", "pixel_max"):
        if not close(values[name], expected[name], rtol=0, atol=1e-9):
            fail("1.3", f"{name} is not right.", "Compute it over all the pixels of x_train at once.")
    for name in moments:
        right = expected[name]
        if close(values[name], right, rtol=0, atol=_STAT_ATOL):
            continue
        if float(values[name]).is_integer() and abs(values[name] - right) < 1:
            fail("1.3", f"{name} is a whole number: the fractions were lost.",
                 "A mean or std taken in the images' own uint8 type is rounded down: convert to "
                 "float first (NumPy's mean and std do this for you).")
        if name == "pixel_std" and close(values[name], right ** 2, rtol=1e-4):
            fail("1.3", "pixel_std is the variance, the square of the standard deviation.",
                 "The standard deviation is the square root of the variance.")
        if name == "pixel_mean":
            fail("1.3", "pixel_mean is not right.",
                 "Average all the pixels of all the training images at once (every image, every position).")
        fail("1.3", "pixel_std is not right.",
             "Take the standard deviation over all the pixels of the training images at once; if you "
             "wrote it out by hand, convert to float before subtracting and squaring.")
    fail("1.3", "the statistics do not match the training pixels.",
         "Compute each one over all the pixels of x_train at once.")


def exercise_1_4(mean_images: Any) -> None:
    """Exercise 1.4: ``mean_images[d]`` is the average training image of digit ``d``.

    Accepts shape (10, 28, 28) in pixel units (0..255) or scaled to 0..1; rejects (28, 28, 10)
    and (10, 784) layouts, the test set, sums instead of means, and another order.
    """
    __tracebackhide__ = True
    require_attempt("1.4", mean_images=mean_images)
    (x_train, y_train), (x_test, y_test) = _reference()
    if isinstance(mean_images, (list, tuple)) and len({np.shape(image) for image in mean_images}) > 1:
        fail("1.4", "the images in mean_images have different shapes.",
             "Average each digit's images over the axis that counts images, so each mean is 28x28.")
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
             "Divide each sum by the number of images of that digit: a mean, not a sum.")
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
         "For each digit, select its training images with a mask on the labels and average "
         "them over the first axis, the one that counts images.")
