"""What the checks of trained Keras models share (notebooks 04 and 05), on top of ``_model``.

A trained model reaches a check as the ``History`` that ``fit`` returned; the check reads the
model with :func:`~mnist_course.checks._model.read_model`, looks at the run's logs, and
compares an accuracy the student reports with what it measures itself.

Example:
    >>> as_accuracy("4.4", "test_accuracy", 0.97)
    0.97
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from mnist_course.checks._core import fail, is_number, number, scalar
from mnist_course.checks._model import (ModelInfo, accuracy_key, accuracy_tolerance,
                                        model_accuracy, read_model)


def history_parts(exercise: str, history: Any, name: str) -> tuple[Any, dict, dict]:
    """The model, the per-epoch logs and the run's parameters from a Keras History.

    Example (needs a trained model, so not run):
        model, logs, params = history_parts("4.4", history, "history_baseline")  # doctest: +SKIP
    """
    __tracebackhide__ = True
    logs = getattr(history, "history", None)
    if not isinstance(logs, dict) or "loss" not in logs:
        if isinstance(history, dict) and "loss" in history:
            fail(exercise, f"{name} is the History's dictionary, not the History itself.",
                 f"Keep what fit returns as it is; the check reads the trained model from it.")
        what = "a model" if hasattr(history, "fit") else f"a {type(history).__name__}"
        fail(exercise, f"{name} is {what}, not the History that fit returns.",
             f"Store what model.fit(...) returns in {name}: fit returns a History object.")
    model = getattr(history, "model", None)
    if model is None or not hasattr(model, "layers"):
        fail(exercise, f"{name} has no model attached.",
             "Use the History returned by model.fit(...) itself, not a copy of its dict.")
    return model, logs, dict(getattr(history, "params", {}) or {})


def trained_model(exercise: str, history: Any, name: str) -> tuple[ModelInfo, Any, dict, dict]:
    """``(info, model, logs, params)`` of the run in ``history``, read once."""
    __tracebackhide__ = True
    model, logs, params = history_parts(exercise, history, name)
    return read_model(exercise, f"the model in {name}", model), model, logs, params


def softmax_body(info: ModelInfo, classes: int = 10) -> list | None:
    """The layers before a ``Dense(classes, softmax)`` output, or None if it does not end so.

    Read from :attr:`ModelInfo.structure`, so a ``Dense(classes)`` followed by a softmax
    ``Activation`` or ``Softmax`` layer counts too, and the layers returned have activations
    written as layers of their own folded in (ask ``info.activation(layer)`` for them).
    """
    layers = info.structure
    if not layers:
        return None
    last = layers[-1]
    if type(last).__name__ == "Dense" and last.units == classes and info.activation(last) == "softmax":
        return layers[:-1]
    return None


def check_loss(exercise: str, info: ModelInfo) -> None:
    """Fail unless the model is compiled with categorical cross-entropy on probabilities and accuracy."""
    __tracebackhide__ = True
    if not info.compiled:
        fail(exercise, "the model is not compiled.",
             "Call model.compile(optimizer=..., loss=..., metrics=[...]) before returning it.")
    if info.loss == "sparse_categorical_crossentropy":
        fail(exercise, "the loss is sparse categorical cross-entropy.",
             "The labels here are one-hot rows (y_train_onehot): use the categorical cross-entropy.")
    if info.loss != "categorical_crossentropy":
        fail(exercise, f"the loss is {info.loss or 'missing'}.",
             "Classifying ten digits with one-hot labels takes the categorical cross-entropy.")
    if info.from_logits:
        fail(exercise, "the loss is told to expect logits (from_logits=True).",
             "The last layer already gives probabilities (softmax): keep from_logits off.")
    if not info.has_accuracy:
        fail(exercise, "the model does not measure accuracy.",
             "Pass an accuracy metric to compile, so that fit and evaluate report it.")


def check_finite(exercise: str, name: str, logs: dict, hint: str) -> None:
    """Fail if the run's loss became NaN or infinite."""
    __tracebackhide__ = True
    if not np.all(np.isfinite(np.asarray(logs["loss"], dtype=float))):
        fail(exercise, f"the loss of {name} became NaN.", hint)


def check_epochs(exercise: str, name: str, logs: dict, expected: int, hint: str) -> None:
    """Fail unless the run lasted ``expected`` epochs."""
    __tracebackhide__ = True
    count = len(logs["loss"])
    if count != expected:
        fail(exercise, f"{name} ran {count} epoch{'s' if count != 1 else ''}.", hint)


def check_steps(exercise: str, name: str, params: dict, expected: int, hint: str) -> None:
    """Fail unless each epoch took ``expected`` steps (the batch size and data set together)."""
    __tracebackhide__ = True
    steps = params.get("steps")
    if steps is not None and steps != expected:
        fail(exercise, f"each epoch of {name} took {steps} steps.", hint)


def check_reported_accuracy(exercise: str, name: str, reported: float, model: Any, x: np.ndarray,
                            labels: np.ndarray, logs: dict, hint: str) -> float:
    """Measure ``model``'s accuracy on ``(x, labels)``; fail if ``reported`` is not that number.

    The tolerance is what ``evaluate`` and ``predict`` may differ by (one image); a reported
    figure that is the run's training or validation accuracy instead is named as such.
    Returns the measured accuracy.
    """
    __tracebackhide__ = True
    measured = model_accuracy(model, x, labels)
    tolerance = accuracy_tolerance(len(labels))
    if abs(reported - measured) <= tolerance:
        return measured
    for validation, what in ((False, "training"), (True, "validation")):
        key = accuracy_key(logs, validation=validation)
        values = [float(value) for value in logs.get(key, [])] if key else []
        if any(math.isclose(reported, value, abs_tol=1e-6) for value in values):
            fail(exercise, f"{name} is the run's {what} accuracy from its History, not the test accuracy.",
                 "Measure the trained model on the test images and labels with evaluate.")
    fail(exercise, f"{name} is not the accuracy of this model on the test set.", hint)


def as_accuracy(exercise: str, name: str, value: Any) -> float:
    """The accuracy in ``value`` as a float in 0..1; fails on a [loss, accuracy] pair or a percentage.

    A number in any form :func:`~mnist_course.checks._core.number` reads (a one-element list,
    array or tensor, any dtype) and evaluate's ``return_dict=True`` dictionary are accepted.

    Example:
        >>> as_accuracy("5.4", "test_accuracy_adam", [0.97])
        0.97
    """
    __tracebackhide__ = True
    if isinstance(value, dict):
        keys = [key for key in value if "acc" in str(key)]
        if len(keys) == 1:
            value = value[keys[0]]
    value = scalar(value)
    if isinstance(value, (list, tuple, np.ndarray)) and np.size(value) == 2 and \
            all(is_number(item) for item in np.ravel(np.asarray(value, dtype=object))):
        fail(exercise, f"{name} holds two numbers, probably the loss and the accuracy.",
             "evaluate returns the loss first and then the accuracy: keep only the accuracy.")
    if not is_number(value):
        fail(exercise, f"{name} is not a single number.",
             "Store the test accuracy, one number between 0 and 1.")
    value = number(value)
    if math.isnan(value):
        fail(exercise, f"{name} is NaN.", "Store the accuracy that evaluate reports, not the loss.")
    if 1 < value <= 100:
        fail(exercise, f"{name} is a percentage.", "Keep accuracies as fractions (0..1).")
    if not 0 <= value <= 1:
        fail(exercise, f"{name} is not an accuracy between 0 and 1.",
             "Take the accuracy that model.evaluate returns, not the loss.")
    return value


def check_rate(exercise: str, info: ModelInfo, whose: str, expected: float, hint: str) -> None:
    """Fail unless the optimizer's learning rate is the number ``expected``; a schedule is
    named as one (Keras reports a schedule's rate at the current step, which means nothing here).

    Example (needs a compiled model, so not run):
        check_rate("4.4", info, "the baseline", 0.01, "Use learning_rate=0.01.")  # doctest: +SKIP
    """
    __tracebackhide__ = True
    if info.schedule:
        fail(exercise, f"the learning rate of {whose} is a schedule ({info.schedule}), not one number.",
             "This exercise fixes the learning rate: give the optimizer one number as learning_rate.")
    if not math.isclose(info.learning_rate, expected, rel_tol=1e-4):
        fail(exercise, f"the learning rate of {whose} is not the one the exercise gives.", hint)


