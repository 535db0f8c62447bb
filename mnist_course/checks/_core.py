"""What every check shares: the exceptions, the pass message, and careful conversions.

A check either prints one line starting with a tick, or raises:

* :class:`NotAttempted` when the answer is still the stub's ``None`` (or ``...``), or the
  student's function still raises ``NotImplementedError``;
* :class:`CheckFailed` (an ``AssertionError``) whose message names the exercise, what is
  wrong and a hint of where to look. It never contains the expected answer.

In IPython (JupyterLab, Notebook 7, VS Code, nbconvert) both render through IPython's
``_render_traceback_`` hook as a short message with no frame of the course's code: a failure
as ``✘ Exercise N.M: what is wrong`` and ``Hint: ...``; "not attempted" as a neutral reminder.
The cell still ends in an error, so "Run All" stops there and nbval sees a failure. Every
outcome is also recorded, for the progress summary at the end of each notebook
(:func:`summary_for`).

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

import os
import sys
import traceback
from collections.abc import Callable
from typing import Any, NoReturn

import numpy as np

# ANSI styles understood by every Jupyter front end's error renderer.
_RED, _BLUE, _BOLD, _DIM, _RESET = "\x1b[1;31m", "\x1b[1;34m", "\x1b[1m", "\x1b[2m", "\x1b[0m"
_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

#: The last outcome of every exercise checked in this process: ``{"1.2": ("passed", "...")}``.
_outcomes: dict[str, tuple[str, str]] = {}


class ExerciseError(Exception):
    """Base of what a check raises; ``exercise`` names the exercise (``"1.2"``).

    ``details`` are extra lines shown between the message and the hint (the frames of the
    student's own code when it raised inside a check).
    """

    status = "failed"

    def __init__(self, exercise: str, message: str, details: list[str] | None = None):
        super().__init__(message)
        self.exercise = exercise
        self.details = list(details or [])
        _outcomes[exercise] = (self.status, message.splitlines()[0] if message else "")

    def _render_traceback_(self) -> list[str]:
        """What IPython shows instead of a traceback: the message only, styled, no frames."""
        what, _, hint = str(self).partition("\nHint: ")
        lines = [f"{_RED}✘ {what}{_RESET}", *self.details]
        if hint:
            lines.append(f"{_BOLD}Hint:{_RESET} {hint}")
        return lines


class CheckFailed(ExerciseError, AssertionError):
    """The answer was judged wrong; the message says what and gives a hint."""


class NotAttempted(ExerciseError):
    """The exercise still holds the stub's placeholder."""

    status = "not attempted"

    def _render_traceback_(self) -> list[str]:
        return [f"{_BLUE}○ {self}{_RESET}"]


def passed(exercise: str, message: str) -> None:
    """Print the one-line confirmation of a passed check.

    Example:
        >>> passed("2.1", "x_train_flat is flat and scaled.")
        ✔ Exercise 2.1 passed: x_train_flat is flat and scaled.
    """
    _outcomes[exercise] = ("passed", message)
    print(f"✔ Exercise {exercise} passed: {message}")


def fail(exercise: str, what: str, hint: str = "", details: list[str] | None = None) -> NoReturn:
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
    raise CheckFailed(exercise, message, details)


def not_attempted(exercise: str, what: str) -> NoReturn:
    """Raise :class:`NotAttempted` saying what is still a stub and what to do.

    Example:
        >>> not_attempted("2.3", "softmax still raises NotImplementedError.")
        Traceback (most recent call last):
        ...
        mnist_course.checks._core.NotAttempted: Exercise 2.3 is not attempted yet: softmax ...
    """
    __tracebackhide__ = True
    raise NotAttempted(
        exercise,
        f"Exercise {exercise} is not attempted yet: {what} Fill in the exercise cell above "
        f"(replace the `raise NotImplementedError(...)` line), run it, then run this check.",
    )


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
        not_attempted(exercise, f"{names} {'is' if len(missing) == 1 else 'are'} still None.")


def _is_student_frame(filename: str) -> bool:
    """True for a frame of the student's notebook code, not of the course, Python or a library."""
    path = os.path.abspath(filename)
    if path.startswith(_PACKAGE_DIR + os.sep) or "site-packages" in path or "dist-packages" in path:
        return False
    return not path.startswith(os.path.abspath(os.path.dirname(os.__file__)) + os.sep)


def _cell_name(filename: str) -> str:
    """``Cell In[5]`` for a notebook cell's code (as IPython names it), else the file name."""
    try:
        shell = get_ipython()  # type: ignore[name-defined]  # noqa: F821 - defined in IPython
        kind, name = shell.compile.format_code_name(filename)
        return f"{kind} {name}"
    except Exception:  # outside IPython, or a file IPython did not compile
        return os.path.basename(filename)


def student_frames(error: BaseException) -> list[str]:
    """The frames of ``error``'s traceback that are the student's own code, formatted briefly.

    Example:
        >>> try:
        ...     1 / 0
        ... except ZeroDivisionError as caught:
        ...     frames = student_frames(caught)
    """
    lines = []
    for frame in traceback.extract_tb(error.__traceback__):
        if not _is_student_frame(frame.filename):
            continue
        lines.append(f"{_DIM}  {_cell_name(frame.filename)}, line {frame.lineno}, in {frame.name}{_RESET}")
        if frame.line:
            lines.append(f"    {frame.line.strip()}")
    return lines


def describe_error(error: BaseException) -> str:
    """``ZeroDivisionError: division by zero``: the error's type and first line, short.

    Example:
        >>> describe_error(ValueError("bad shape"))
        'ValueError: bad shape'
    """
    text = str(error).strip().splitlines()[0][:200] if str(error).strip() else ""
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def call_student(exercise: str, name: str, function: Callable, *args: Any,
                 hint: str = "Read the error and the line it points to in your code.", **kwargs: Any) -> Any:
    """Call the student's ``function``; turn whatever it raises into this exercise's verdict.

    ``NotImplementedError`` (the stub) becomes :class:`NotAttempted`; any other exception a
    :class:`CheckFailed` that names the student's error and shows only the frames of their
    own code, with ``hint``.

    Example:
        >>> call_student("2.3", "softmax", lambda scores: scores * 2, 1.5)
        3.0
    """
    __tracebackhide__ = True
    if not callable(function):
        fail(exercise, f"{name} is not a function.", f"Define it with def {name}(...): ... in the exercise cell.")
    try:
        return function(*args, **kwargs)
    except NotImplementedError:
        not_attempted(exercise, f"{name} still raises NotImplementedError.")
    except (KeyboardInterrupt, SystemExit, ExerciseError):
        raise
    except Exception as error:  # the student's code may raise anything
        frames = student_frames(error)
        fail(exercise, f"your {name} raised {describe_error(error)}", hint, details=frames)


def outcomes() -> dict[str, tuple[str, str]]:
    """A copy of the last outcome of every exercise checked in this kernel.

    Example:
        >>> passed("9.9", "demo.")
        ✔ Exercise 9.9 passed: demo.
        >>> outcomes()["9.9"]
        ('passed', 'demo.')
    """
    return dict(_outcomes)


def _exercise_key(exercise: str) -> tuple[int, ...]:
    return tuple(int(part) for part in exercise.split("."))


def summary_for(module_name: str) -> Callable[[], None]:
    """Make the ``summary()`` of a check module: it lists that module's exercises and status.

    Each check module defines ``summary = summary_for(__name__)``; the last cell of its
    notebook calls ``check.summary()``.

    Example:
        >>> summary = summary_for("mnist_course.checks.nb01")
        >>> summary()                                            # doctest: +SKIP
        Your progress in this notebook (what the checks saw in this kernel):
          ✔ 1.1  passed
        ...
    """

    def summary() -> None:
        """Print which of this notebook's exercises passed, failed or are not attempted yet."""
        module = sys.modules[module_name]
        exercises = sorted((name[len("exercise_"):].replace("_", ".") for name in vars(module)
                            if name.startswith("exercise_") and callable(getattr(module, name))),
                           key=_exercise_key)
        seen = outcomes()
        print("Your progress in this notebook (what the checks saw in this kernel):")
        symbols = {"passed": "✔", "failed": "✘", "not attempted": "○"}
        for exercise in exercises:
            status, message = seen.get(exercise, ("not attempted", ""))
            label = "not attempted yet" if status == "not attempted" else status
            note = f": {message.removeprefix(f'Exercise {exercise}: ')}" if status == "failed" else ""
            print(f"  {symbols[status]} {exercise:<5} {label}{note}")
        done = sum(seen.get(exercise, ("",))[0] == "passed" for exercise in exercises)
        print(f"{done} of {len(exercises)} exercises passed."
              + (" Well done!" if done == len(exercises) else " Scroll up to the ones left and run their checks again."))

    summary.__module__ = module_name
    summary.__qualname__ = "summary"
    return summary


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


def scalar(value: Any) -> Any:
    """The one number inside ``value``, whatever holds it; anything else comes back unchanged.

    The course's one normalisation of a number answer: a Python or NumPy scalar, a tensor, or a
    one-element list, tuple, array or tensor (``model.evaluate(...)[1:]``, ``np.array([0.97])``)
    all give the same number, in every check.

    Example:
        >>> scalar([np.float32(0.5)]), scalar(np.array([[3]])), scalar("3")
        (0.5, 3, '3')
    """
    if hasattr(value, "numpy") and callable(value.numpy):  # a TensorFlow/Keras tensor or variable
        try:
            value = value.numpy()
        except Exception:
            return value
    if isinstance(value, (list, tuple, np.ndarray)):
        try:
            array = np.asarray(value)
        except Exception:
            return value
        if array.size == 1 and array.dtype != object:
            return array.reshape(()).item() if array.ndim else array[()]
        if array.size == 1 and array.dtype == object:
            return scalar(array.reshape(-1)[0])
    return value


def is_number(value: Any) -> bool:
    """True for a number in any of the forms :func:`scalar` unwraps (not a bool, not a string).

    Example:
        >>> is_number(np.float32(1.5)), is_number([2]), is_number("1.5"), is_number(True)
        (True, True, False, False)
    """
    value = scalar(value)
    if isinstance(value, (bool, np.bool_, str, bytes)):
        return False
    array = np.asarray(value) if isinstance(value, (int, float, np.number, np.ndarray)) else None
    return array is not None and array.ndim == 0 and np.issubdtype(array.dtype, np.number)


def number(value: Any) -> float:
    """The float value of a number answer in any form :func:`is_number` accepts.

    Example:
        >>> number([np.int64(7)]), number(np.array(0.25, dtype=np.float16))
        (7.0, 0.25)
    """
    return float(scalar(value))


def as_fractions(values: Any) -> np.ndarray:
    """A curve or list of accuracies as fractions: values given in percent (largest above 1 and
    at most 100) are divided by 100, so the same curve gives the same verdict either way.

    Example:
        >>> as_fractions([50, 97.5]).tolist(), as_fractions([0.5, 0.975]).tolist()
        ([0.5, 0.975], [0.5, 0.975])
    """
    array = np.asarray(scalar(values) if np.size(values) == 1 else values, dtype=float).reshape(-1)
    finite = array[np.isfinite(array)]
    if finite.size and 1 < finite.max() <= 100 and finite.min() >= 0:
        return array / 100
    return array
