"""What every check shares: the exceptions, the pass message, and careful conversions.

A check either prints one line starting with a tick, or raises:

* :class:`NotAttempted` when the answer is still the stub's ``None`` (or ``...``);
* :class:`CheckFailed` (an ``AssertionError``) whose message names the exercise, what is
  wrong and a hint of where to look. It never contains the expected answer.

Example:
    >>> passed("1.1", "the four shapes are right.")
    ✔ Exercise 1.1 passed: the four shapes are right.
    >>> fail("1.1", "shapes is empty.", "Use the .shape attribute.")
    Traceback (most recent call last):
    ...
    mnist_course.checks._core.CheckFailed: Exercise 1.1: shapes is empty.
    Hint: Use the .shape attribute.
"""

from __future__ import annotations

from typing import Any, NoReturn

import numpy as np


class ExerciseError(Exception):
    """Base of what a check raises; ``exercise`` names the exercise (``"1.2"``)."""

    def __init__(self, exercise: str, message: str):
        super().__init__(message)
        self.exercise = exercise


class CheckFailed(ExerciseError, AssertionError):
    """The answer was judged wrong; the message says what and gives a hint."""


class NotAttempted(ExerciseError):
    """The exercise still holds the stub's placeholder."""


def passed(exercise: str, message: str) -> None:
    """Print the one-line confirmation of a passed check.

    Example:
        >>> passed("2.1", "x_train_flat is flat and scaled.")
        ✔ Exercise 2.1 passed: x_train_flat is flat and scaled.
    """
    print(f"✔ Exercise {exercise} passed: {message}")


def fail(exercise: str, what: str, hint: str = "") -> NoReturn:
    """Raise :class:`CheckFailed` with ``what`` went wrong and a ``hint``.

    Example:
        >>> fail("1.2", "class_counts has 9 values.", "There are 10 digits.")
        Traceback (most recent call last):
        ...
        mnist_course.checks._core.CheckFailed: Exercise 1.2: class_counts has 9 values.
        Hint: There are 10 digits.
    """
    __tracebackhide__ = True
    message = f"Exercise {exercise}: {what}"
    if hint:
        message += f"\nHint: {hint}"
    raise CheckFailed(exercise, message)


def require_attempt(exercise: str, **answers: Any) -> None:
    """Raise :class:`NotAttempted` if any named answer is still ``None`` or ``...``.

    Example:
        >>> require_attempt("1.2", class_counts=None)
        Traceback (most recent call last):
        ...
        mnist_course.checks._core.NotAttempted: Exercise 1.2 is not attempted yet: ...
    """
    __tracebackhide__ = True
    missing = [name for name, value in answers.items() if value is None or value is Ellipsis]
    if missing:
        names = ", ".join(missing)
        raise NotAttempted(
            exercise,
            f"Exercise {exercise} is not attempted yet: {names} "
            f"{'is' if len(missing) == 1 else 'are'} still None. Fill in the exercise cell "
            f"above (replace the `raise NotImplementedError()` line), run it, then run this check.",
        )


def to_array(exercise: str, name: str, value: Any, *, numeric: bool = True) -> np.ndarray:
    """Turn a list, tuple, NumPy array or TensorFlow/Keras tensor into a NumPy array.

    Fails the check with a hint when the value cannot be read as a numeric array.

    Example:
        >>> to_array("1.2", "class_counts", [1, 2, 3]).tolist()
        [1, 2, 3]
    """
    __tracebackhide__ = True
    if hasattr(value, "numpy") and callable(value.numpy):  # an eager tensor
        value = value.numpy()
    if isinstance(value, dict):
        fail(exercise, f"{name} is a dict; this exercise wants an array.",
             "Build a NumPy array (or a list) instead of a dict.")
    try:
        array = np.asarray(value)
    except Exception as error:
        fail(exercise, f"{name} could not be turned into an array ({error}).",
             "Give a NumPy array or a list of numbers.")
    if numeric and not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
        fail(exercise, f"{name} holds {array.dtype} values, not numbers.",
             "Check that you stored numbers, not strings or objects.")
    return array


def check_shape(exercise: str, name: str, array: np.ndarray, shape: tuple[int, ...], hint: str) -> None:
    """Fail unless ``array.shape == shape``; the message shows both shapes.

    Shapes are not answers: the notebooks state them in prose.

    Example:
        >>> check_shape("1.4", "mean_images", np.zeros((10, 28, 28)), (10, 28, 28), "")
    """
    __tracebackhide__ = True
    if tuple(array.shape) != tuple(shape):
        fail(exercise, f"{name} has shape {tuple(array.shape)}, expected {tuple(shape)}.", hint)


def close(actual: Any, expected: Any, rtol: float = 1e-3, atol: float = 1e-6) -> bool:
    """True when two numbers or arrays agree to a relative tolerance.

    Example:
        >>> close(33.3183, 33.31842)
        True
    """
    try:
        return bool(np.allclose(np.asarray(actual, dtype=float), np.asarray(expected, dtype=float),
                                rtol=rtol, atol=atol))
    except (TypeError, ValueError):
        return False


def is_number(value: Any) -> bool:
    """True for a Python or NumPy number, or a 0-d array or tensor of one.

    Example:
        >>> is_number(np.float32(1.5)), is_number("1.5")
        (True, False)
    """
    if hasattr(value, "numpy") and callable(value.numpy):
        value = value.numpy()
    if isinstance(value, bool):
        return False
    array = np.asarray(value) if not isinstance(value, (str, bytes)) else None
    return array is not None and array.ndim == 0 and np.issubdtype(array.dtype, np.number)
