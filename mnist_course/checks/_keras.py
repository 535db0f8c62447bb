"""What the checks of trained Keras models share (notebooks 04 and 05).

Example:
    >>> as_accuracy("4.4", "test_accuracy", 0.97)
    0.97
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mnist_course.checks._core import fail, is_number


def history_parts(exercise: str, history: Any, name: str):
    """The model, the per-epoch logs and the run's parameters from a Keras History."""
    __tracebackhide__ = True
    logs = getattr(history, "history", None)
    if not isinstance(logs, dict) or "loss" not in logs:
        what = "a model" if hasattr(history, "fit") else type(history).__name__
        fail(exercise, f"{name} is {what}, not the History that fit returns.",
             f"Write {name} = model.fit(...): fit returns a History object.")
    model = getattr(history, "model", None)
    if model is None or not hasattr(model, "layers"):
        fail(exercise, f"{name} has no model attached.",
             f"Use the History returned by model.fit(...) itself, not a copy of its dict.")
    return model, logs, dict(getattr(history, "params", {}) or {})


def activation_name(layer) -> str:
    """The name of a layer's activation function (``"relu"``, ``"softmax"``, ...)."""
    activation = getattr(layer, "activation", None)
    return getattr(activation, "__name__", str(activation))


def as_accuracy(exercise: str, name: str, value: Any) -> float:
    """The accuracy in ``value`` as a float in 0..1; fails on a [loss, accuracy] pair or a percentage."""
    __tracebackhide__ = True
    if isinstance(value, (list, tuple)) and len(value) == 2 and all(map(is_number, value)):
        fail(exercise, f"{name} holds two numbers, probably the loss and the accuracy.",
             "evaluate returns [loss, accuracy]: keep the second one.")
    if not is_number(value):
        fail(exercise, f"{name} is not a single number.",
             "Store the test accuracy, a number between 0 and 1.")
    value = float(np.asarray(value))
    if 1 < value <= 100:
        fail(exercise, f"{name} is {value:g}: a percentage.", "Keep accuracies as fractions (0..1).")
    if not 0 <= value <= 1:
        fail(exercise, f"{name} is {value:g}, not an accuracy between 0 and 1.",
             "Take the accuracy that model.evaluate returns, not the loss.")
    return value
