"""Checks for the exercises: one module per notebook, one function per exercise.

A notebook imports its own module under the name ``check`` and calls one function in
each check cell:

    >>> from mnist_course.checks import nb01 as check   # doctest: +SKIP
    >>> check.exercise_1_2(class_counts)                  # doctest: +SKIP
    ✔ Exercise 1.2 passed: ...

The function of exercise ``N.M`` is ``exercise_N_M`` in module ``nbNN``. What a check
raises is described in :mod:`mnist_course.checks._core`.
"""

from mnist_course.checks._core import CheckFailed, ExerciseError, NotAttempted

__all__ = ["CheckFailed", "ExerciseError", "NotAttempted"]
