"""Fast mode: the one place that decides how much data and how many epochs to use.

The test suite sets the environment variable ``MNIST_COURSE_FAST=1`` so that every
notebook finishes in seconds: training uses a stratified sample of the data and at most
:data:`FAST_EPOCHS` epochs. Students and ``make solutions`` run in full mode, where
nothing here changes anything. Every notebook uses this module (through
:func:`mnist_course.setup_notebook` and :func:`epochs`).

Example:
    >>> import os
    >>> os.environ["MNIST_COURSE_FAST"] = "0"
    >>> epochs(20)
    20
    >>> os.environ["MNIST_COURSE_FAST"] = "1"
    >>> epochs(20)
    2
"""

from __future__ import annotations

import os

#: Name of the environment variable that turns fast mode on.
FAST_MODE_VARIABLE = "MNIST_COURSE_FAST"
#: Fraction of the training and of the test set kept in fast mode (stratified by class).
FAST_FRACTION = 0.1
#: Most epochs any training run gets in fast mode.
FAST_EPOCHS = 2

_FALSE_WORDS = {"", "0", "false", "no", "off"}


def is_fast_mode() -> bool:
    """Return True when ``MNIST_COURSE_FAST`` is set to anything but 0/false/no/off.

    Example:
        >>> os.environ["MNIST_COURSE_FAST"] = "yes"
        >>> is_fast_mode()
        True
    """
    return os.environ.get(FAST_MODE_VARIABLE, "").strip().lower() not in _FALSE_WORDS


def epochs(num_epochs: int) -> int:
    """Return ``num_epochs`` in full mode, and at most ``FAST_EPOCHS`` in fast mode.

    Notebooks write the epoch count a student should think about as a literal and pass it
    through this function: ``model.fit(..., epochs=mode.epochs(num_epochs))``.

    Example:
        >>> os.environ["MNIST_COURSE_FAST"] = "0"
        >>> epochs(5)
        5
    """
    if not isinstance(num_epochs, int) or isinstance(num_epochs, bool) or num_epochs < 1:
        raise ValueError(f"num_epochs must be a positive whole number, got {num_epochs!r}.")
    return min(num_epochs, FAST_EPOCHS) if is_fast_mode() else num_epochs


def describe() -> str:
    """One sentence saying whether fast mode is on and what it changes.

    Example:
        >>> os.environ["MNIST_COURSE_FAST"] = "0"
        >>> describe()
        'Fast mode: off (full data, all epochs).'
    """
    if is_fast_mode():
        return (
            f"Fast mode: ON ({FAST_MODE_VARIABLE}=1): a stratified {FAST_FRACTION:.0%} sample "
            f"of the data and at most {FAST_EPOCHS} epochs per training run."
        )
    return "Fast mode: off (full data, all epochs)."
