"""Checks for notebook 02, *Logistic regression: a one-layer network*.

Each compares the student's answer with what the notebook's own data give (the fast-mode
sample when fast mode is on), so the same check works in both modes. Checks of trained
models hold them to the course's accuracy bar in full mode and to a lower floor in fast mode.
Models are read through :mod:`mnist_course.checks._model`, so Sequential, ``Sequential.add``
and functional models, and losses, optimizers and metrics given as strings or objects, are
judged alike.

The helpers in the section "Looking at Keras models" are used by notebook 03's checks too.

Example:
    >>> from mnist_course.checks import nb02 as check       # doctest: +SKIP
    >>> check.exercise_2_6(1875)                             # doctest: +SKIP
    ✔ Exercise 2.6 passed: ...
"""

from __future__ import annotations

import inspect
import math
import warnings
from collections.abc import Callable, Mapping
from typing import Any, NoReturn

import numpy as np

from mnist_course import mode
from mnist_course.checks import _model
from mnist_course.checks._core import (
    NotAttempted, call_student, check_shape, close, fail, is_number, number, passed, require_attempt,
    summary_for, to_array,
)
from mnist_course.checks._answers import check_single_fit, count_mistake, cross_entropy
from mnist_course.checks._model import accuracy_key, accuracy_tolerance, activation_name, read_model
from mnist_course.data import course_data

#: ``check.summary()`` in the last cell of the notebook lists its exercises and their status.
summary = summary_for(__name__)

NUM_CLASSES = 10
NUM_PIXELS = 28 * 28
BATCH_SIZE = 32
NUM_EPOCHS = 10
SWEEP_EPOCHS = 3
VALIDATION_SPLIT = 0.1
BASELINE_LEARNING_RATE = 0.01
#: The rates the prompt of Exercise 2.8 asks to compare (its cell's ``learning_rates``).
LEARNING_RATES = (0.01, 0.03, 0.1, 0.3, 1.0)
#: The rate the sweep of Exercise 2.8 picks on the full data (seed 42). A student's 2.9 may carry it
#: when graded in fast mode, whose shorter sweep can pick another one.
FULL_DATA_BEST_RATE = 0.1
#: Above this, plain SGD on pixels in [0, 1] overshoots: a diverged run is the rate's doing.
_LARGE_RATE = 1.0
#: Test accuracy the models of this notebook must reach: (full mode, fast mode).
BASELINE_BAR = (0.91, 0.70)
FINAL_BAR = (0.92, 0.80)
#: Layers a logistic regression may hold besides its one Dense layer (no-ops or its softmax).
_HARMLESS_LAYERS = ("Dense", "Activation", "Softmax", "Flatten")


def _reference():
    data = course_data()
    return data.train, data.test


def flat_scaled(images: np.ndarray) -> np.ndarray:
    """The course's preprocessing of images for a dense network: (n, 784) float32 in [0, 1]."""
    return images.reshape(len(images), NUM_PIXELS).astype("float32") / 255


def _bar(bars: tuple[float, float]) -> float:
    return bars[1] if mode.is_fast_mode() else bars[0]


def _mode_words() -> str:
    return "in fast mode" if mode.is_fast_mode() else "on the full data"


# --------------------------------------------------------------------------- Looking at Keras models


def still_a_stub(exercise: str, name: str) -> NoReturn:
    """Raise NotAttempted for a function whose body is still ``raise NotImplementedError()``."""
    __tracebackhide__ = True
    raise NotAttempted(
        exercise,
        f"Exercise {exercise} is not attempted yet: {name} still raises NotImplementedError. "
        f"Write its body in the exercise cell (replace the `raise NotImplementedError()` line), "
        f"run that cell, then run this check.",
    )


def _needs_arguments(function: Callable) -> bool:
    """True when ``function`` cannot be called without arguments."""
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):  # a builtin without a signature: let the call decide
        return False
    return any(parameter.default is inspect.Parameter.empty
               and parameter.kind in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD,
                                      parameter.KEYWORD_ONLY)
               for parameter in signature.parameters.values())


def call_builder(exercise: str, name: str, build: Any) -> Any:
    """Call a student's model-building function without arguments; fail helpfully if it cannot be.

    Whatever the function raises becomes this exercise's verdict (through ``call_student``).
    """
    __tracebackhide__ = True
    if _is_model(build) or not callable(build):
        fail(exercise, f"{name} is not a function.", f"Define it with def {name}(): ... return model.")
    if _needs_arguments(build):
        fail(exercise, f"{name}() cannot be called without arguments.",
             "Write every setting into the function as a number, so it needs no arguments.")
    hint = "Read the error and the line of your function it points to; run the cell again after fixing it."
    model = call_student(exercise, f"{name}()", build, hint=hint)
    again = call_student(exercise, f"{name}()", build, hint=hint)
    if model is None:
        fail(exercise, f"{name}() returns None.", "End the function with return model.")
    if model is again:
        fail(exercise, f"{name}() returns the same model at every call.",
             "Build, compile and return a new model inside the function.")
    return model


def require_model(exercise: str, name: str, model: Any) -> None:
    """Fail unless ``model`` is a built Keras model (it knows its input size)."""
    __tracebackhide__ = True
    info = read_model(exercise, name, model)
    if info.input_shape is None or not getattr(model, "built", True):
        fail(exercise, f"{name} does not know its input size yet.",
             "Start the model with keras.Input(shape=...) (older code used input_shape=).")


def input_shape(model: Any) -> tuple | None:
    """The model's input shape without the batch axis, e.g. (784,); None if unknown."""
    return read_model("", "model", model).input_shape


def dense_stack(model: Any) -> list[tuple[int, str]]:
    """``(units, activation name)`` of each Dense layer; separate activation layers are folded in.

    Reads the layers through :func:`~mnist_course.checks._model.read_model`, so the input layer
    of a functional model and nested models are handled.
    """
    stack: list[list] = []
    for layer in read_model("", "model", model).layers:
        kind = type(layer).__name__
        if kind == "Dense":
            stack.append([layer.units, activation_name(layer)])
        elif kind == "Activation" and stack:
            stack[-1][1] = activation_name(layer)
        elif kind in ("Softmax", "ReLU") and stack:
            stack[-1][1] = kind.lower()
    return [(units, activation) for units, activation in stack]


def optimizer_settings(model: Any) -> tuple[str, float, float]:
    """``(class name, learning rate, momentum)`` of a compiled model's optimizer."""
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        return "", 0.0, 0.0
    info = read_model("", "model", model)
    return type(optimizer).__name__, info.learning_rate, info.momentum


def require_compiled(exercise: str, name: str, model: Any) -> None:
    """Fail unless ``model`` is compiled with categorical cross-entropy on probabilities and accuracy."""
    __tracebackhide__ = True
    info = read_model(exercise, name, model)
    if not info.compiled:
        fail(exercise, f"{name} is not compiled.",
             "Call model.compile(optimizer=..., loss=..., metrics=[...]) before returning it.")
    if info.loss != "categorical_crossentropy":
        if "sparse" in info.loss:
            fail(exercise, f"{name} uses sparse categorical cross-entropy.",
                 "The labels are one-hot vectors (Exercise 2.2): use the categorical cross-entropy "
                 "loss, which compares two probability distributions.")
        fail(exercise, f"{name} is compiled with the loss '{info.loss or 'none'}'.",
             "For ten classes and one-hot labels the loss is categorical cross-entropy.")
    if info.from_logits:
        fail(exercise, f"{name}'s loss is told to expect raw scores (from_logits=True).",
             "The last layer already applies softmax: leave from_logits at its default.")
    if not info.has_accuracy:
        fail(exercise, f"{name} does not report accuracy.",
             "Add metrics=[\"accuracy\"] to compile, so fit and evaluate print it.")
    wrong = _wrong_accuracy_metric(model)
    if wrong:
        fail(exercise, f"{name} reports {wrong}, which does not fit one-hot labels and ten classes.",
             "Use metrics=[\"accuracy\"] (Keras picks the categorical accuracy from the loss) or "
             "keras.metrics.CategoricalAccuracy().")


#: Accuracy metrics that give meaningless numbers for one-hot labels and softmax outputs.
_WRONG_ACCURACIES = {"accuracy": "keras.metrics.Accuracy (exact equality of values)",
                     "binaryaccuracy": "binary accuracy", "sparsecategoricalaccuracy": "sparse categorical accuracy"}


def _wrong_accuracy_metric(model: Any) -> str | None:
    """The name of an accuracy metric object or string that does not suit one-hot labels, if any."""
    try:
        metrics = model.get_compile_config().get("metrics")
    except (AttributeError, TypeError):
        return None
    found = []

    def visit(item: Any) -> None:
        if isinstance(item, (list, tuple)):
            for each in item:
                visit(each)
        elif isinstance(item, Mapping) and "class_name" in item:  # a metric object
            found.append(str(item["class_name"]).lower())
        elif isinstance(item, Mapping):
            for each in item.values():
                visit(each)
        elif isinstance(item, str) and item.replace("_", "").lower() != "accuracy":  # "accuracy" is right
            found.append(item.replace("_", "").lower())

    visit(metrics)
    return next((_WRONG_ACCURACIES[name] for name in found if name in _WRONG_ACCURACIES), None)


def check_logistic_architecture(exercise: str, name: str, model: Any) -> None:
    """Fail unless ``model`` is 784 inputs -> Dense(10, softmax) with biases, nothing else."""
    __tracebackhide__ = True
    require_model(exercise, name, model)
    info = read_model(exercise, name, model)
    if info.input_shape != (NUM_PIXELS,):
        fail(exercise, f"{name} expects inputs of shape {info.input_shape}.",
             "Its input is one flattened image, the 784-vector of Exercise 2.1: "
             "keras.Input(shape=(784,)).")
    stack = dense_stack(model)
    if len(stack) != 1:
        fail(exercise, f"{name} has {len(stack)} Dense layers.",
             "Logistic regression is a single Dense layer from the pixels to the ten outputs "
             "(hidden layers come in notebook 03).")
    others = [kind for kind in info.layer_types if kind not in _HARMLESS_LAYERS]
    if others:
        fail(exercise, f"{name} has a {others[0]} layer besides its Dense layer.",
             "Logistic regression is keras.Input and one Dense layer, nothing else: remove it.")
    units, activation = stack[0]
    if units != NUM_CLASSES:
        fail(exercise, f"the Dense layer of {name} has {units} units.",
             "It needs one output unit per class, one per digit 0..9.")
    if activation != "softmax":
        fail(exercise, f"the Dense layer of {name} uses the activation '{activation}'.",
             "Its outputs must be probabilities that sum to one: give it the softmax activation.")
    if not getattr(info.of_type("Dense")[0], "use_bias", True):
        fail(exercise, f"the Dense layer of {name} has no biases (use_bias=False).",
             "Logistic regression has one bias per output unit: leave use_bias at its default.")


def check_optimizer(exercise: str, name: str, model: Any, learning_rate: float | None,
                    hint: str | None = None) -> float:
    """Fail unless the model is compiled with plain SGD (no momentum) at ``learning_rate``.

    ``learning_rate=None`` accepts any rate; the rate is returned.
    """
    __tracebackhide__ = True
    info = read_model(exercise, name, model)
    if info.optimizer != "sgd":
        fail(exercise, f"{name} is compiled with the optimizer {info.optimizer or 'none'}.",
             "Use plain stochastic gradient descent here, keras.optimizers.SGD "
             "(other optimizers come in notebook 03).")
    if info.momentum or info.nesterov:
        fail(exercise, f"{name}'s SGD has momentum {info.momentum:g}.",
             "Use plain SGD without momentum here (momentum comes in notebook 03).")
    if learning_rate is not None and not close(info.learning_rate, learning_rate, rtol=1e-5):
        fail(exercise, f"{name}'s SGD has the learning rate {info.learning_rate:g}.",
             hint or f"Use SGD(learning_rate={learning_rate:g}) (older code wrote lr=).")
    return info.learning_rate


def require_history(exercise: str, name: str, history: Any) -> dict[str, list[float]]:
    """Return ``history.history``; fail if ``history`` is not what ``fit`` returned."""
    __tracebackhide__ = True
    logs = getattr(history, "history", None)
    if not isinstance(logs, Mapping) or "loss" not in logs:
        fail(exercise, f"{name} is not the History object that fit returns.",
             "Keep what fit returns: history = model.fit(...).")
    if not logs["loss"]:
        fail(exercise, f"{name} holds no epochs.", "Run fit with at least one epoch.")
    return dict(logs)


def history_steps(history: Any) -> int | None:
    """Steps per epoch that ``fit`` ran (from ``history.params``); None if unknown."""
    params = getattr(history, "params", None) or {}
    steps = params.get("steps")
    return int(steps) if steps is not None else None


def model_accuracy(model: Any, x: np.ndarray, y: np.ndarray) -> float:
    """Share of the images whose most probable class is their label (digits or one-hot)."""
    return _model.model_accuracy(model, x, y)


def _last(logs: Mapping[str, list[float]], key: str | None) -> float | None:
    values = logs.get(key) if key else None
    return float(values[-1]) if values else None


def check_accuracy_number(exercise: str, name: str, value: Any, actual: float,
                          history: Mapping[str, list[float]] | None = None, *,
                          count: int | None = None, train_accuracy: float | None = None) -> float:
    """Fail unless ``value`` is the test accuracy ``actual`` (a fraction), with hints.

    ``count`` is the number of test images ``actual`` was measured on: the tolerance is then
    :func:`~mnist_course.checks._model.accuracy_tolerance` (without it, 0.2 points). The
    History's last training and validation accuracies, and ``train_accuracy`` (the model's
    accuracy on its training images), are recognised as what they are.
    """
    __tracebackhide__ = True
    tolerance = accuracy_tolerance(count) if count else 2e-3
    if isinstance(value, Mapping):
        fail(exercise, f"{name} is a dict.",
             "evaluate(..., return_dict=True) returns a dict: store only its accuracy, one number.")
    if isinstance(value, (list, tuple)) and len(value) == 2:
        fail(exercise, f"{name} holds two numbers.",
             "evaluate returns [loss, accuracy]: keep the second one.")
    if not is_number(value):
        fail(exercise, f"{name} is not a single number.",
             "Take the accuracy from what model.evaluate(...) returns on the test set.")
    value = number(value)
    if 1 < value <= 100 and close(value / 100, actual, rtol=0, atol=tolerance):
        fail(exercise, f"{name} is a percentage.", "Give it as a fraction between 0 and 1.")
    if count:
        (x_train, _), _ = _reference()
        what = count_mistake(value, round(actual * count), count,
                             {"the training images": len(x_train), "images in the full test set": 10_000,
                              "images in the full training set": 60_000})
        if what:
            fail(exercise, f"{name} is {what}.",
                 "An accuracy is the share of the test images classified right: the count of right "
                 "answers divided by the number of test images, between 0 and 1.")
    logs = history or {}
    recorded = (
        (_last(logs, accuracy_key(logs)), f"{name} is the training accuracy of the last epoch.",
         "Measure on images the model never saw: evaluate on the test images and test labels."),
        (_last(logs, accuracy_key(logs, validation=True)), f"{name} is the validation accuracy of the last epoch.",
         "Report the test set's accuracy: evaluate on the test images and test labels."),
    )
    exact = close(value, actual, rtol=0, atol=1e-6)
    for reference, what, hint in recorded:
        if reference is not None and not exact and close(value, reference, rtol=0, atol=1e-6):
            fail(exercise, what, hint)
    if train_accuracy is not None and not close(value, actual, rtol=0, atol=1e-5) \
            and close(value, train_accuracy, rtol=0, atol=1e-5):
        fail(exercise, f"{name} is the model's accuracy on the training images.",
             "Measure on images the model never saw: evaluate on the test images and test labels.")
    if close(value, actual, rtol=0, atol=tolerance):
        return value
    if train_accuracy is not None and close(value, train_accuracy, rtol=0, atol=tolerance):
        fail(exercise, f"{name} is the model's accuracy on the training images.",
             "Measure on images the model never saw: evaluate on the test images and test labels.")
    fail(exercise, f"{name} does not match the model's accuracy on the test set.",
         "evaluate returns [loss, accuracy]; evaluate the trained model on the test images and "
         "test labels, prepared like the training data.")


def check_trained(exercise: str, name: str, model: Any, history: Mapping[str, list[float]],
                  bars: tuple[float, float], x_test: np.ndarray, y_test: np.ndarray,
                  hint: str = "Rebuild the model (so it starts fresh), then train it with the "
                              "settings asked for.") -> float:
    """Fail unless the model learned and reaches the bar of this mode; return its test accuracy.

    A run that diverged or stayed at the loss of guessing is blamed on the learning rate when the
    model's rate is large, and otherwise on the inputs or labels.
    """
    __tracebackhide__ = True
    losses = [float(v) for v in history["loss"]]
    info = read_model(exercise, name, model)
    rate = info.learning_rate if info.compiled else math.nan
    diverged = not all(math.isfinite(v) for v in losses) or losses[-1] >= math.log(NUM_CLASSES)
    if diverged and rate > _LARGE_RATE:
        fail(exercise, f"the training of {name} diverged at the learning rate {rate:g}.",
             "Steps that large overshoot: the loss jumps instead of falling. Use a smaller rate.")
    if not all(math.isfinite(v) for v in losses):
        fail(exercise, f"the training loss of {name} became NaN or infinite.",
             "At this learning rate that points at the data: train on the scaled images "
             "(x_train_flat, Exercise 2.1) and the one-hot labels (Exercise 2.2).")
    if losses[-1] >= math.log(NUM_CLASSES):
        fail(exercise, f"{name}'s training loss ended at {losses[-1]:.2f}, no better than guessing "
             f"(the loss of a uniform guess, Exercise 2.5).",
             "Check the inputs are scaled and the labels one-hot, then train again.")
    accuracy = model_accuracy(model, x_test, y_test)
    bar = _bar(bars)
    if accuracy < bar:
        fail(exercise, f"{name} reaches {accuracy:.1%} on the test set {_mode_words()}; it should "
             f"reach at least {bar:.0%}.", hint)
    return accuracy


def _is_model(value: Any) -> bool:
    try:
        import keras
    except ImportError:  # pragma: no cover - keras is a dependency
        return False
    return isinstance(value, keras.Model)


# --------------------------------------------------------------------------- 2.1


def _check_flat(exercise: str, name: str, array: np.ndarray, images: np.ndarray,
                other_count: int, other_name: str) -> None:
    __tracebackhide__ = True
    count = len(images)
    if array.shape == images.shape:
        fail(exercise, f"{name} still holds 28x28 images.",
             "Flatten each image into one row of 784 numbers with .reshape.")
    if array.shape == (NUM_PIXELS, count):
        fail(exercise, f"{name} has one column per image.",
             "Put one image per row: the number of images comes first, then 784.")
    if array.ndim == 1:
        fail(exercise, f"{name} is one long vector.",
             "Keep one row per image: reshape to (number of images, 784).")
    if array.ndim >= 1 and len(array) == other_count and other_count != count:
        fail(exercise, f"{name} has as many rows as {other_name} has images.",
             f"Build {name} from its own images.")
    check_shape(exercise, name, array, (count, NUM_PIXELS),
                "One row of 784 pixels per image, in the same order as the images.")
    expected = flat_scaled(images)
    if close(array, expected, rtol=1e-5, atol=1e-6):
        return
    if abs(float(array.mean())) < 0.05 and abs(float(array.std()) - 1) < 0.1:
        fail(exercise, f"{name} is standardised (mean 0, std 1).",
             "Here, just divide by 255 so the pixels lie in [0, 1]; standardising comes in notebook 04.")
    if array.max() > 1.5:
        fail(exercise, f"{name} has values up to {array.max():g}: it is not scaled.",
             "Divide the pixels by 255 so they lie between 0 and 1.")
    if np.issubdtype(array.dtype, np.integer) or np.array_equal(np.unique(array), [0, 1]) \
            or np.array_equal(np.unique(array), [0]):
        fail(exercise, f"{name} holds only whole numbers: the fractions were lost.",
             "Divide with / (true division), not //, and do not convert back to uint8 afterwards.")
    if close(array * 255, expected, rtol=1e-5, atol=1e-6):
        fail(exercise, f"{name} goes up to only {array.max():.4f}: it looks scaled twice.",
             "Divide the original 0..255 pixels by 255 once (was the array already scaled?).")
    transposed = images.transpose(0, 2, 1).reshape(count, NUM_PIXELS) / 255
    if close(array, transposed, rtol=1e-5, atol=1e-6):
        fail(exercise, f"the pixels of {name} are in column-by-column order.",
             "Reshape without changing the pixel order (NumPy's default order, no transpose).")
    fail(exercise, f"{name} does not match the pixels of the images divided by 255.",
         "Reshape the images to (number of images, 784), then divide by 255.")


def exercise_2_1(x_train_flat: Any, x_test_flat: Any) -> None:
    """Exercise 2.1: both image sets flattened to (n, 784) and scaled to [0, 1].

    Accepts any correct reshape (``reshape(-1, 784)``, ``reshape(len(x), -1)``, ...), float32
    or float64, arrays or tensors; rejects unscaled pixels, pixels scaled twice, integer
    division, standardised pixels, 28x28 images, transposed layouts and swapped sets.
    """
    __tracebackhide__ = True
    require_attempt("2.1", x_train_flat=x_train_flat, x_test_flat=x_test_flat)
    (x_train, _), (x_test, _) = _reference()
    train = to_array("2.1", "x_train_flat", x_train_flat)
    test = to_array("2.1", "x_test_flat", x_test_flat)
    _check_flat("2.1", "x_train_flat", train, x_train, len(x_test), "x_test")
    _check_flat("2.1", "x_test_flat", test, x_test, len(x_train), "x_train")
    passed("2.1", "both sets are flat, one row of 784 pixels per image, and scaled to [0, 1].")


# --------------------------------------------------------------------------- 2.2


def _check_one_hot(exercise: str, name: str, array: np.ndarray, labels: np.ndarray,
                   other_count: int) -> None:
    __tracebackhide__ = True
    count = len(labels)
    if array.ndim == 1:
        fail(exercise, f"{name} still holds one number per image.",
             "Each label becomes a row of 10 numbers: a single 1 in the label's column, 0 elsewhere.")
    if array.ndim == 2 and array.shape == (NUM_CLASSES, count):
        fail(exercise, f"{name} has one column per image.",
             "Put one image per row: shape (number of images, 10).")
    if array.ndim == 2 and array.shape[0] == count and array.shape[1] != NUM_CLASSES:
        fail(exercise, f"{name} has {array.shape[1]} columns.",
             "There is one column per class, and there are ten classes (the digits 0..9); "
             "np.eye and to_categorical both take the number of classes.")
    if array.ndim == 2 and len(array) == other_count and other_count != count:
        fail(exercise, f"{name} has as many rows as the other set has labels.",
             f"Encode its own labels.")
    check_shape(exercise, name, array, (count, NUM_CLASSES),
                "One row per label, one column per class.")
    if not np.isin(array, (0, 1)).all() or not (array.sum(axis=1) == 1).all():
        fail(exercise, f"some rows of {name} are not a single 1 among 0s.",
             "Row i must have a single 1, in column y[i], and 0 elsewhere (see the np.eye(10) idea "
             "in the prompt).")
    found = array.argmax(axis=1)
    if np.array_equal(found, labels):
        return
    if np.array_equal(found, (labels - 1) % NUM_CLASSES) or np.array_equal(found, (labels + 1) % NUM_CLASSES):
        fail(exercise, f"the 1s in {name} are one column off.",
             "Digit d has its 1 in column d: digit 0 in the first column.")
    fail(exercise, f"the 1s in {name} are not in the columns of the labels.",
         "Row i must have its 1 in column y[i], for the labels of the same set.")


def exercise_2_2(y_train_onehot: Any, y_test_onehot: Any) -> None:
    """Exercise 2.2: both label sets one-hot encoded, shape (n, 10).

    Accepts ``np.eye(10)[y]``, filling zeros by fancy indexing, ``keras.utils.to_categorical``,
    any numeric dtype; rejects the wrong number of classes, transposed layouts, labels left as
    integers, shifted columns, rows with more than one 1, and swapped sets.
    """
    __tracebackhide__ = True
    require_attempt("2.2", y_train_onehot=y_train_onehot, y_test_onehot=y_test_onehot)
    (_, y_train), (_, y_test) = _reference()
    train = to_array("2.2", "y_train_onehot", y_train_onehot)
    test = to_array("2.2", "y_test_onehot", y_test_onehot)
    _check_one_hot("2.2", "y_train_onehot", train, y_train, len(y_test))
    _check_one_hot("2.2", "y_test_onehot", test, y_test, len(y_train))
    passed("2.2", "ten columns, and a single 1 per row in the column of its label.")


# --------------------------------------------------------------------------- 2.3


def _reference_softmax(scores: np.ndarray) -> np.ndarray:
    shifted = scores - scores.max(axis=-1, keepdims=True)
    exponentials = np.exp(shifted)
    return exponentials / exponentials.sum(axis=-1, keepdims=True)


_OVERFLOW_HINT = ("np.exp overflows above about 709 (inf, then inf / inf = nan) and underflows to 0 far "
                  "below zero. Subtracting the same number from every score of a row leaves softmax "
                  "unchanged: subtract the row's largest score, so the largest exponent is 0.")


def _run_softmax(softmax: Callable, scores: np.ndarray, hint: str) -> np.ndarray:
    """The student's softmax of a copy of ``scores``, as a float array; fails on errors, None,
    non-numbers, and on changing the input in place."""
    __tracebackhide__ = True
    given = scores.copy()

    def quietly(values: np.ndarray) -> Any:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            return softmax(values)

    result = call_student("2.3", "softmax", quietly, given, hint=hint)
    if result is None:
        fail("2.3", "softmax returns None.", "End the function with a return of the probabilities.")
    if hasattr(result, "numpy") and callable(result.numpy):
        result = result.numpy()
    try:
        result = np.asarray(result, dtype=float)
    except (TypeError, ValueError):
        fail("2.3", f"softmax returns a {type(result).__name__}, not an array of numbers.",
             "Return the probabilities as a NumPy array of the same shape as the scores.")
    if not np.array_equal(given, scores):
        fail("2.3", "softmax changed the array it was given.",
             "Do not modify the scores in place (scores -= ... changes the caller's array): "
             "compute a new array, e.g. shifted = scores - ....")
    return result


def _softmax_is_right(result: np.ndarray, scores: np.ndarray) -> bool:
    return (result.shape == scores.shape and bool(np.all(np.isfinite(result)))
            and close(result, _reference_softmax(scores), rtol=1e-6, atol=1e-9))


def exercise_2_3(softmax: Any) -> None:
    """Exercise 2.3: ``softmax(scores)`` returns probabilities along the last axis, stably.

    Runs the function on a vector, on a batch (one row per image, square and not), on very
    large and very negative scores, on a vector spanning -1000..1000, and on a batch whose
    rows have very different scales; every call goes through ``call_student``. Accepts any
    correct implementation (NumPy, loops over rows, returning a tensor or a list); rejects
    the direct formula that overflows, subtracting the smallest score or the mean instead of
    the largest, subtracting the batch's maximum instead of each row's, summing over the
    wrong axis or without keepdims, returning None, and changing the input array in place.
    """
    __tracebackhide__ = True
    require_attempt("2.3", softmax=softmax)
    if not callable(softmax):
        fail("2.3", "softmax is not a function.",
             "Define it with def softmax(scores): ... and return the probabilities.")
    rng = np.random.default_rng(7)
    vector = np.array([2.0, 1.0, 0.1, -1.5])
    batch = rng.normal(scale=3.0, size=(5, NUM_CLASSES))
    square = rng.normal(scale=3.0, size=(NUM_CLASSES, NUM_CLASSES))
    large = np.array([1000.0, 1001.0, 1002.0, 998.0])
    wide = np.array([-1000.0, 0.0, 1000.0, 999.0])
    mixed = np.array([[1000.0, 1002.0, 999.0], [-1000.0, -999.0, -1003.0], [0.5, 0.2, -0.1]])

    result = _run_softmax(softmax, vector, hint=(
        "Fix the line it points to. softmax gets a NumPy vector of scores here and must return an "
        "array of the same shape; axis=-1, the last axis, exists for a vector and for a batch."))
    if result.shape != vector.shape:
        fail("2.3", f"softmax of four scores has shape {result.shape}.",
             "Return one probability per score, the same shape as the input.")
    if not np.all(np.isfinite(result)):
        fail("2.3", "softmax gives nan or inf for four small scores.",
             "Each probability is exp(score) divided by the sum of exp over all scores.")
    if not close(result.sum(), 1.0, rtol=1e-6):
        fail("2.3", f"the probabilities for one vector add up to {result.sum():.4g}, not 1.",
             "Divide the exponentials by their sum.")
    if not _softmax_is_right(result, vector):
        fail("2.3", "softmax gives wrong probabilities for a small vector.",
             "Each probability is exp(score) divided by the sum of exp over all scores.")

    axis_hint = ("Take the max and the sum of each row with axis=-1 and keepdims=True, so they "
                 "line up with that row.")
    for scores, what in ((batch, "a batch of 5 rows"), (square, "a batch of 10 rows of 10 scores")):
        result = _run_softmax(softmax, scores, hint=(
            "It must also take a batch, one row of scores per image: use NumPy functions (np.exp, "
            "np.max, np.sum), which work on whole arrays, and " + axis_hint[0].lower() + axis_hint[1:]))
        if result.shape != scores.shape:
            fail("2.3", f"softmax of {what} has shape {result.shape}.",
                 "Return an array of the same shape as the scores: " + axis_hint)
        if _softmax_is_right(result, scores):
            continue
        if not np.all(np.isfinite(result)):
            fail("2.3", f"softmax gives nan or inf for {what}.", _OVERFLOW_HINT)
        if close(result.sum(), 1.0, rtol=1e-6):
            fail("2.3", f"for {what} all probabilities together add up to 1.",
                 "Each row (one image) must add up to 1: sum over axis=-1 with keepdims=True.")
        if close(result.sum(axis=0), 1.0, rtol=1e-6):
            fail("2.3", f"for {what} each column adds up to 1.",
                 "Rows are images: take the max and the sum along the last axis (axis=-1).")
        fail("2.3", f"softmax gives wrong probabilities for {what}.", axis_hint)

    for scores, what in ((large, "large scores (around 1000)"), (-large, "very negative scores (around -1000)"),
                         (wide, "scores from -1000 to 1000")):
        result = _run_softmax(softmax, scores, hint=_OVERFLOW_HINT)
        if not _softmax_is_right(result, scores):
            found = "nan or inf" if not np.all(np.isfinite(result)) else "wrong values"
            fail("2.3", f"softmax fails for {what}: it gives {found}.", _OVERFLOW_HINT)

    result = _run_softmax(softmax, mixed, hint=_OVERFLOW_HINT)
    if not _softmax_is_right(result, mixed):
        rows_alone = [_run_softmax(softmax, row, hint=_OVERFLOW_HINT) for row in mixed]
        if not all(_softmax_is_right(alone, row) for alone, row in zip(rows_alone, mixed)):
            fail("2.3", "softmax fails for a row of scores near 1000 or -1000.", _OVERFLOW_HINT)
        fail("2.3", "softmax fails for a batch whose rows have very different scores "
             "(one row near 1000, one near -1000).",
             "Subtract each row's own largest score (axis=-1, keepdims=True), not the largest "
             "score of the whole batch.")
    passed("2.3", "probabilities that sum to 1 per row, even for scores of ±1000.")


# --------------------------------------------------------------------------- 2.4


def exercise_2_4(model: Any, num_params_by_hand: Any) -> None:
    """Exercise 2.4: the logistic-regression model, compiled, and its parameter count by hand.

    ``model`` must be 784 inputs -> Dense(10, softmax) (the activation may be a separate
    layer; Sequential, ``add`` or functional), compiled with SGD(learning_rate=0.01) without
    momentum, categorical cross-entropy and accuracy (strings or objects).
    ``num_params_by_hand`` must equal ``model.count_params()``; forgetting the biases or
    adding instead of multiplying is named in the hint.
    """
    __tracebackhide__ = True
    require_attempt("2.4", model=model, num_params_by_hand=num_params_by_hand)
    check_logistic_architecture("2.4", "model", model)
    require_compiled("2.4", "model", model)
    check_optimizer("2.4", "model", model, BASELINE_LEARNING_RATE)
    if not is_number(num_params_by_hand):
        fail("2.4", "num_params_by_hand is not a single number.",
             "Count the weights and the biases of the Dense layer and add them up.")
    count = number(num_params_by_hand)
    weights = NUM_PIXELS * NUM_CLASSES
    if count == weights:
        fail("2.4", "num_params_by_hand counts the weights only.",
             "Each of the output units also has a bias.")
    if count == NUM_PIXELS + NUM_CLASSES:
        fail("2.4", "num_params_by_hand adds the inputs and the outputs.",
             "Every pixel is connected to every output unit, each connection with its own weight.")
    if count != model.count_params():
        fail("2.4", "num_params_by_hand differs from what Keras counts.",
             "Count one weight per (pixel, output unit) pair, plus one bias per output unit.")
    passed("2.4", "one Dense layer with softmax on 784 inputs, compiled; your count matches Keras's.")


# --------------------------------------------------------------------------- 2.5


def exercise_2_5(initial_loss: Any, uniform_loss: Any, model: Any) -> None:
    """Exercise 2.5: the untrained model's loss, and the loss of guessing 1/10 for every class.

    ``initial_loss`` is judged against the loss the check measures itself on ``model`` (the
    untrained model of Exercise 2.4) and the training images, so a number typed in, a loss on the
    test images or on unscaled images, and a loss after training all fail, named as what they are.
    Accepts ``evaluate(...)[0]``, its ``return_dict`` form, one-element arrays and tensors;
    ``uniform_loss`` as ``np.log(10)``, ``-np.log(0.1)``, ``math.log(10)``. Rejects the base-10 or
    base-2 logarithm, a missing minus sign and the probability itself.
    """
    __tracebackhide__ = True
    require_attempt("2.5", initial_loss=initial_loss, uniform_loss=uniform_loss, model=model)
    if isinstance(initial_loss, (list, tuple)) and len(initial_loss) == 2:
        fail("2.5", "initial_loss holds two numbers.", "evaluate returns [loss, accuracy]: keep the first.")
    if isinstance(initial_loss, Mapping) and "loss" in initial_loss:
        fail("2.5", "initial_loss is a dict.", "evaluate(..., return_dict=True) returns a dict: keep its loss.")
    for name, value in (("initial_loss", initial_loss), ("uniform_loss", uniform_loss)):
        if not is_number(value):
            fail("2.5", f"{name} is not a single number.", "Each answer is one number.")
    guess = number(uniform_loss)
    if not close(guess, math.log(NUM_CLASSES), rtol=1e-4):
        if close(guess, 1.0) or close(guess, math.log2(NUM_CLASSES)):
            fail("2.5", "uniform_loss uses another logarithm.",
                 "Cross-entropy uses the natural logarithm: np.log.")
        if close(guess, -math.log(NUM_CLASSES), rtol=1e-4):
            fail("2.5", "uniform_loss is negative.", "The loss is minus the log of the probability.")
        if close(guess, 1 / NUM_CLASSES):
            fail("2.5", "uniform_loss is a probability.",
                 "The loss of one image is minus the log of the probability given to its label.")
        fail("2.5", "uniform_loss is not the loss of a uniform guess.",
             "A model that gives every class the same probability gives the true label 1/10: the "
             "loss is minus the natural log of that.")
    require_model("2.5", "model", model)
    if input_shape(model) != (NUM_PIXELS,):
        fail("2.5", f"model expects inputs of shape {input_shape(model)}.",
             "Use the model of Exercise 2.4, which takes the 784-vectors of Exercise 2.1.")
    loss = number(initial_loss)
    (x_train, y_train), (x_test, y_test) = _reference()
    measured = cross_entropy(model, flat_scaled(x_train), y_train)
    if close(loss, measured, rtol=2e-4, atol=1e-6):
        if measured < 1.5:
            fail("2.5", "model has already been trained, so this is not the loss before training.",
                 "Run the cell of Exercise 2.4 again to get a fresh model, then this cell, before fit.")
        passed("2.5", f"the untrained model's loss ({loss:.2f}) is close to that of a uniform guess "
               f"({guess:.2f}).")
        return
    if not math.isfinite(loss):
        fail("2.5", "initial_loss is not a finite number.",
             "Evaluate the model on the scaled images x_train_flat and the one-hot labels y_train_onehot.")
    if measured < 1.5:
        fail("2.5", "model has already been trained, so its loss before training cannot be checked.",
             "Run the cell of Exercise 2.4 again to get a fresh model, then measure its loss before fit.")
    others = (
        (lambda: cross_entropy(model, flat_scaled(x_test), y_test), "the loss on the test images",
         "Measure it on the training images, x_train_flat with y_train_onehot."),
        (lambda: cross_entropy(model, x_train.reshape(len(x_train), -1).astype("float32"), y_train),
         "the loss on unscaled images", "Evaluate on the scaled images x_train_flat, not the raw pixels."),
    )
    for measure, what, hint in others:
        if close(loss, measure(), rtol=2e-4, atol=1e-6):
            fail("2.5", f"initial_loss is {what}.", hint)
    if close(loss, guess, rtol=0, atol=5e-3):
        fail("2.5", "initial_loss is the loss of a uniform guess, not the model's.",
             "Measure the untrained model: model.evaluate on the training images, and keep the loss.")
    if 0 <= loss <= 1:
        fail("2.5", "initial_loss is not the model's loss: it may be the accuracy.",
             "evaluate returns [loss, accuracy]: keep the first.")
    fail("2.5", "initial_loss is not the loss of this untrained model on the training images.",
         "Measure it with model.evaluate on x_train_flat and y_train_onehot, and keep the loss (a "
         "number typed in or taken from another model does not count).")


# --------------------------------------------------------------------------- 2.6


def exercise_2_6(steps_per_epoch: Any) -> None:
    """Exercise 2.6: how many steps (batches of 32) one epoch over all training images takes.

    Accepts an int or a float with a whole value; rejects the unrounded quotient, rounding
    down, multiplying, the count for all 10 epochs, for a validation split or for the test set.
    """
    __tracebackhide__ = True
    require_attempt("2.6", steps_per_epoch=steps_per_epoch)
    (x_train, _), (x_test, _) = _reference()
    if not is_number(steps_per_epoch):
        fail("2.6", "steps_per_epoch is not a single number.", "It is one whole number.")
    value = number(steps_per_epoch)
    count = len(x_train)
    expected = math.ceil(count / BATCH_SIZE)
    if value == expected:
        passed("2.6", f"{expected:,} steps: every image is seen once per epoch, {BATCH_SIZE} at a time.")
        return
    if not value.is_integer():
        fail("2.6", f"steps_per_epoch is {value:g}, not a whole number.",
             "A step is one batch: Keras cannot take part of a step. The leftover images form "
             "one last, smaller batch.")
    # Each plausible mistake and the number it gives; on the fast-mode sample two of them can give
    # the same number (the test set's steps equal the batch size), and then no single cause is named.
    mistakes = [
        (count // BATCH_SIZE, "steps_per_epoch leaves the last images out.",
         "Round up: the leftover images form one last, smaller batch (math.ceil)."),
        (count * BATCH_SIZE, "steps_per_epoch multiplies images and batch size.",
         "Each step takes one batch of 32 images from the training set."),
        (expected * NUM_EPOCHS, f"steps_per_epoch counts all {NUM_EPOCHS} epochs.", "Count the steps of one epoch."),
        (expected * mode.epochs(NUM_EPOCHS) if mode.is_fast_mode() else -1, "steps_per_epoch counts every epoch of the run.",
         "Count the steps of one epoch."),
        (math.ceil(int(count * 0.9) / BATCH_SIZE), "steps_per_epoch leaves a validation split out.",
         "This fit uses every training image (no validation_split)."),
        (math.ceil(len(x_test) / BATCH_SIZE), "steps_per_epoch counts the test images.",
         "Training runs over the training set."),
        (BATCH_SIZE, "steps_per_epoch is the batch size.",
         "A step takes one batch: how many batches of 32 does one pass over the training images need?"),
        (count, "steps_per_epoch is the number of training images.",
         "A step takes a whole batch of 32 images, not one image."),
    ]
    found = {(what, hint) for number_given, what, hint in mistakes if value == number_given and value != expected}
    if len(found) == 1:
        what, hint = found.pop()
        fail("2.6", what, hint)
    fail("2.6", "steps_per_epoch is not right.",
         "How many batches of 32 does it take to go once through all the training images?")


# --------------------------------------------------------------------------- 2.7


def _run_model(history: Any) -> Any:
    """The model a History belongs to (Keras attaches it), or None."""
    model = getattr(history, "model", None)
    return model if _is_model(model) else None


def _check_run(exercise: str, name: str, history: Any, *, model: Any = None) -> dict[str, list[float]]:
    """The epochs and steps of a fit of ``model`` over the whole training set at batch size 32."""
    __tracebackhide__ = True
    logs = require_history(exercise, name, history)
    (x_train, _), _ = _reference()
    if model is not None and _run_model(history) is not None and _run_model(history) is not model:
        fail(exercise, f"{name} is the run of another model.",
             f"Keep what fit returns for this very model: {name} = model.fit(...).")
    expected_epochs = mode.epochs(NUM_EPOCHS)
    if len(logs["loss"]) != expected_epochs:
        fail(exercise, f"{name} has {len(logs['loss'])} epochs.",
             f"Train with epochs=mode.epochs(num_epochs) and num_epochs = {NUM_EPOCHS} "
             f"(fast mode caps it at {mode.FAST_EPOCHS}). If you ran fit twice, rebuild the model first.")
    if "val_loss" in logs:
        fail(exercise, f"{name} was trained with validation data.",
             "Here train on every training image: leave out validation_split and validation_data.")
    steps = history_steps(history)
    if steps is not None and steps != math.ceil(len(x_train) / BATCH_SIZE):
        fail(exercise, f"fit ran {steps} steps per epoch.",
             f"Train on x_train_flat with batch_size = {BATCH_SIZE}.")
    return logs


def _test_accuracy(exercise: str, name: str, model: Any, value: Any, logs: Mapping[str, list[float]],
                   actual: float) -> None:
    """Compare a reported test accuracy with the one measured here, on the right data."""
    __tracebackhide__ = True
    (x_train, y_train), (x_test, _) = _reference()
    train_accuracy = None
    # Not the same count of right answers: it may be the training images' accuracy, which on the
    # fast-mode sample can land within one image of the test accuracy.
    if is_number(value) and not close(number(value), actual, rtol=0, atol=1e-5):
        train_accuracy = model_accuracy(model, flat_scaled(x_train), y_train)
    check_accuracy_number(exercise, name, value, actual, logs, count=len(x_test),
                          train_accuracy=train_accuracy)


def exercise_2_7(model: Any, history: Any, test_accuracy: Any) -> None:
    """Exercise 2.7: the model of 2.4 trained 10 epochs at batch 32, and its test accuracy.

    Checks the run (epochs, steps per epoch, no validation, the loss fell below ln 10),
    measures the model's accuracy on the test set itself and compares ``test_accuracy`` (a
    fraction) with it to :func:`~mnist_course.checks._model.accuracy_tolerance` (about one
    image), and with the bar: 91 % on the full data, 70 % in fast mode. Rejects the training
    or validation accuracy of the History, the accuracy on the training images, a
    percentage, and [loss, accuracy] pairs.
    """
    __tracebackhide__ = True
    require_attempt("2.7", model=model, history=history, test_accuracy=test_accuracy)
    check_logistic_architecture("2.7", "model", model)
    require_compiled("2.7", "model", model)
    check_optimizer("2.7", "model", model, BASELINE_LEARNING_RATE)
    logs = _check_run("2.7", "history", history, model=model)
    check_single_fit("2.7", "model", model, len(logs["loss"]), history_steps(history),
                     "Run the cell of Exercise 2.4 again (a fresh model), then this cell once.")
    _, (x_test, y_test) = _reference()
    actual = check_trained("2.7", "model", model, logs, BASELINE_BAR, flat_scaled(x_test), y_test)
    _test_accuracy("2.7", "test_accuracy", model, test_accuracy, logs, actual)
    passed("2.7", f"trained for {len(logs['loss'])} epochs; {actual:.1%} of the test images right.")


# --------------------------------------------------------------------------- 2.8


def _rate_table(name: str, value: Any, what: str) -> dict[float, Any]:
    """``{learning rate: value}`` from a dict keyed by rates (numbers or their strings)."""
    __tracebackhide__ = True
    if not isinstance(value, Mapping):
        fail("2.8", f"{name} is a {type(value).__name__}, not a dict.",
             f"Map each learning rate to {what}: {name}[learning_rate] = ... inside the loop.")
    table = {}
    for rate, item in value.items():
        try:
            table[float(rate)] = item
        except (TypeError, ValueError):
            fail("2.8", f"{name} has the key {rate!r}, which is not a learning rate.",
                 "Use each learning rate itself as the key.")
    return table


def _sweep_mistake(run: Any, logs: Mapping[str, list[float]], value: float, val_key: str) -> tuple[str, str]:
    """What a value stored for a run is, when it is not the last validation accuracy."""
    last = "Store each run's validation accuracy (val_accuracy in its History) of the last epoch."
    train_key = accuracy_key(logs)
    if 1 < value <= 100 and close(value / 100, logs[val_key][-1], atol=1e-6):
        return "a percentage", "Keep accuracies as fractions between 0 and 1."
    candidates = [
        (logs[val_key][0], "the validation accuracy of the first epoch",
         "Take the last epoch's value ([-1]), after all the epochs of the run."),
        (max(logs[val_key]), "the best epoch's validation accuracy, not the last one", last),
        (logs.get("val_loss", [None])[-1], "the validation loss", last),
        (logs["loss"][-1], "the training loss", last),
        (logs[train_key][-1] if train_key else None, "the training accuracy", last),
    ]
    for reference, what, hint in candidates:
        if reference is not None and close(value, reference, rtol=0, atol=1e-6):
            return what, hint
    model = _run_model(run)
    if model is not None:
        _, (x_test, y_test) = _reference()
        if close(value, model_accuracy(model, flat_scaled(x_test), y_test), rtol=0,
                 atol=accuracy_tolerance(len(x_test))):
            return ("the accuracy on the test set",
                    "The test set must not choose the rate: use the validation accuracy of each run.")
    return "not this run's last validation accuracy", last


def _check_fresh_models(models: dict[float, Any]) -> None:
    """Fail when two rates' runs trained one model: the same object, or the same final weights.

    The grader hands each History's model over as a file of its own, so one model reused for
    every rate arrives as identical copies: equal weights are the evidence that survives.
    """
    __tracebackhide__ = True
    seen: list[tuple[float, Any, list]] = []
    for rate in sorted(models):
        model = models[rate]
        if model is None:
            continue
        try:
            weights = [np.asarray(w) for w in model.get_weights()]
        except Exception:  # not a model: the checks below say so
            continue
        for other_rate, other, other_weights in seen:
            same = other is model or (len(weights) == len(other_weights) and all(
                a.shape == b.shape and np.array_equal(a, b) for a, b in zip(weights, other_weights)))
            if same:
                fail("2.8", f"the runs for {other_rate:g} and {rate:g} trained the same model.",
                     "Build and compile a fresh model inside the loop, for each rate: a model "
                     "built once keeps learning from where the last run stopped.")
        seen.append((rate, model, weights))


def exercise_2_8(histories: Any, validation_accuracies: Any, best_learning_rate: Any) -> None:
    """Exercise 2.8: a sweep over learning rates, judged on the runs themselves.

    ``histories`` maps each learning rate tried (at least three, 0.01 and larger ones) to
    the History of a fresh model trained with it (SGD at that rate, no momentum, categorical
    cross-entropy, 3 epochs, batch 32, ``validation_split=0.1``); ``validation_accuracies``
    maps the same rates to each run's last validation accuracy; ``best_learning_rate`` is the
    rate whose run has the highest one. Rejects values that are losses, training, test or
    first-epoch accuracies, percentages, a rate chosen on any of those, one model reused for
    every rate, runs validated on other data, and a rate that does not match the run.
    """
    __tracebackhide__ = True
    require_attempt("2.8", histories=histories, validation_accuracies=validation_accuracies,
                    best_learning_rate=best_learning_rate)
    runs = _rate_table("histories", histories, "what fit returns for it")
    table = _rate_table("validation_accuracies", validation_accuracies, "its validation accuracy")
    if sorted(runs) != sorted(table):
        fail("2.8", "histories and validation_accuracies hold different learning rates.",
             "Fill both in the same loop, one entry per learning rate tried.")
    missing = [rate for rate in LEARNING_RATES if not any(close(rate, tried, rtol=1e-6) for tried in table)]
    if missing:
        fail("2.8", f"the sweep leaves out {len(missing)} of the rates in learning_rates.",
             "Loop over every rate of the list learning_rates given in the cell, one run for each.")
    for rate, value in table.items():
        if not is_number(value):
            fail("2.8", f"validation_accuracies[{rate:g}] is not a single number.",
                 "Store one number per rate: the last validation accuracy of its run.")
    (x_train, _), _ = _reference()
    expected_steps = math.ceil(int(len(x_train) * (1 - VALIDATION_SPLIT)) / BATCH_SIZE)
    _check_fresh_models({rate: _run_model(run) for rate, run in runs.items()})
    finals, models = {}, {}
    for rate in sorted(runs):
        run = runs[rate]
        logs = require_history("2.8", f"histories[{rate:g}]", run)
        if len(logs["loss"]) != mode.epochs(SWEEP_EPOCHS):
            fail("2.8", f"the run for the rate {rate:g} has {len(logs['loss'])} epochs.",
                 f"Train each fresh model with epochs=mode.epochs(num_epochs), num_epochs = {SWEEP_EPOCHS}.")
        val_key = accuracy_key(logs, validation=True)
        if "val_loss" not in logs:
            fail("2.8", f"the run for the rate {rate:g} has no validation results.",
                 "Pass validation_split=validation_split to fit.")
        if val_key is None:
            fail("2.8", f"the run for the rate {rate:g} logs no accuracy.",
                 "Compile each model with metrics=[\"accuracy\"], like the model of Exercise 2.4.")
        steps = history_steps(run)
        if steps is not None and steps == math.ceil(len(x_train) / BATCH_SIZE):
            fail("2.8", f"the run for the rate {rate:g} trained on every training image.",
                 "Use validation_split=validation_split, which keeps the last 10 % of the training "
                 "images aside to validate on (never the test set).")
        if steps is not None and steps != expected_steps:
            fail("2.8", f"the run for the rate {rate:g} ran {steps} steps per epoch.",
                 f"Train on x_train_flat with batch_size = {BATCH_SIZE} and validation_split = {VALIDATION_SPLIT}.")
        model = _run_model(run)
        if model is not None:
            if id(model) in models:
                fail("2.8", f"the runs for {models[id(model)]:g} and {rate:g} trained the same model.",
                     "Build and compile a fresh model inside the loop, for each rate.")
            models[id(model)] = rate
            name = f"the model for the rate {rate:g}"
            check_logistic_architecture("2.8", name, model)
            require_compiled("2.8", name, model)
            check_optimizer("2.8", name, model, rate,
                            hint="Compile each fresh model with SGD at the learning rate of its own loop step.")
            check_single_fit("2.8", name, model, len(logs["loss"]), steps,
                             "Build a fresh model for each rate and call fit on it once.")
        value = number(table[rate])
        if not close(value, logs[val_key][-1], rtol=0, atol=1e-6):
            what, hint = _sweep_mistake(run, logs, value, val_key)
            fail("2.8", f"validation_accuracies[{rate:g}] is {what}.", hint)
        finals[rate] = float(logs[val_key][-1])
    if isinstance(best_learning_rate, (list, tuple)):
        fail("2.8", f"best_learning_rate is a {type(best_learning_rate).__name__}, not the rate itself.",
             "Store one number, one of the rates you tried: the cells below use it as a number.")
    if not is_number(best_learning_rate):
        fail("2.8", "best_learning_rate is not a single number.", "It is one of the rates you tried.")
    best = number(best_learning_rate)
    matching = [rate for rate in finals if close(rate, best, rtol=1e-9)]
    if not matching:
        fail("2.8", "best_learning_rate is not one of the rates in validation_accuracies.",
             "Pick the best among the rates you tried.")
    top = max(finals.values())
    if finals[matching[0]] < top:
        if finals[matching[0]] == min(finals.values()):
            fail("2.8", "best_learning_rate has the lowest validation accuracy.",
                 "The best rate is the one with the highest validation accuracy.")
        fail("2.8", "another rate reached a higher validation accuracy at the last epoch.",
             "Choose on the last validation accuracy of each run, not on a loss, the training or "
             "test accuracy or the first epoch: the rate whose value in validation_accuracies is largest.")
    passed("2.8", f"{len(table)} learning rates compared on the validation split; the best is {best:g}.")


# --------------------------------------------------------------------------- 2.9


def exercise_2_9(build_logistic_regression: Any, final_model: Any, final_history: Any,
                 final_test_accuracy: Any, best_learning_rate: Any) -> None:
    """Exercise 2.9: the final logistic regression, its builder, training run and test accuracy.

    ``build_logistic_regression()`` must return a new logistic-regression model compiled like
    that of Exercise 2.4 (plain SGD without momentum, categorical cross-entropy, accuracy) at
    ``best_learning_rate``, the result of Exercise 2.8 (in fast mode also the rate the sweep
    picks on the full data, which a student's function may carry). The builder is judged
    first, so a builder whose model the training cell cannot train fails here with a hint
    rather than as "not attempted". The trained ``final_model`` must be compiled the same way
    and come from one run of 10 epochs at batch 32 on every training image, reaching 92 % on
    the full data (80 % in fast mode); ``final_test_accuracy`` is checked against the model.
    """
    __tracebackhide__ = True
    require_attempt("2.9", build_logistic_regression=build_logistic_regression)
    fresh = call_builder("2.9", "build_logistic_regression", build_logistic_regression)
    name = "build_logistic_regression()"
    check_logistic_architecture("2.9", name, fresh)
    require_compiled("2.9", name, fresh)
    rate = check_optimizer("2.9", name, fresh, None)
    require_attempt("2.9", best_learning_rate=best_learning_rate)
    if is_number(best_learning_rate):
        chosen = [number(best_learning_rate)] + ([FULL_DATA_BEST_RATE] if mode.is_fast_mode() else [])
        if not any(close(rate, each, rtol=1e-6) for each in chosen):
            fail("2.9", f"build_logistic_regression() uses the learning rate {rate:g}, not the one "
                 f"Exercise 2.8 chose.", "Write the rate stored in best_learning_rate into the function, as a number.")
    require_attempt("2.9", final_model=final_model, final_history=final_history,
                    final_test_accuracy=final_test_accuracy)
    if fresh is final_model:
        fail("2.9", "build_logistic_regression() returns the trained model.",
             "Build and compile a new model inside the function at each call.")
    check_logistic_architecture("2.9", "final_model", final_model)
    require_compiled("2.9", "final_model", final_model)
    final_rate = check_optimizer("2.9", "final_model", final_model, None)
    if not close(final_rate, rate, rtol=1e-5):
        fail("2.9", "final_model was not compiled like build_logistic_regression() builds it.",
             "Run the training cell after the function's cell, so that final_model comes from the function.")
    logs = _check_run("2.9", "final_history", final_history, model=final_model)
    check_single_fit("2.9", "final_model", final_model, len(logs["loss"]), history_steps(final_history),
                     "Run the cell that defines the function, then the training cell once: it builds a fresh model.")
    _, (x_test, y_test) = _reference()
    actual = check_trained(
        "2.9", "final_model", final_model, logs, FINAL_BAR, flat_scaled(x_test), y_test,
        hint=f"A rate that leads after {SWEEP_EPOCHS} epochs can overshoot over {NUM_EPOCHS}: if yours is one of the "
             "largest you tried, try the next smaller one. Run the training cell again after "
             "changing the function (it builds a fresh model).")
    _test_accuracy("2.9", "final_test_accuracy", final_model, final_test_accuracy, logs, actual)
    passed("2.9", f"learning rate {rate:g}: {actual:.1%} of the test images right.")


# --------------------------------------------------------------------------- 2.10


def exercise_2_10(probabilities: Any, predicted_digit: Any, index: Any, model: Any) -> None:
    """Exercise 2.10: the model's ten probabilities for test image ``index``, and its answer.

    Accepts probabilities of shape (10,) or (1, 10), as an array, list or tensor (the plot
    after it flattens them), and the digit as any integer type or a whole float; rejects
    predictions on unscaled pixels, for another image or all images, probabilities that do
    not sum to 1, the largest probability instead of its position, an array holding the
    digit, and the true label instead of the model's answer.
    """
    __tracebackhide__ = True
    require_attempt("2.10", probabilities=probabilities, predicted_digit=predicted_digit,
                    final_model=model)
    require_model("2.10", "final_model", model)
    require_attempt("2.10", index=index)
    info = read_model("2.10", "final_model", model)
    if info.input_shape != (NUM_PIXELS,):
        fail("2.10", f"final_model expects inputs of shape {info.input_shape}.",
             "Use the final model of Exercise 2.9, which takes the 784-vectors of Exercise 2.1.")
    _, (x_test, y_test) = _reference()
    index = int(number(index))
    values = to_array("2.10", "probabilities", probabilities).astype(float)
    if values.ndim == 2 and values.shape[0] > 1:
        fail("2.10", f"probabilities has {values.shape[0]} rows.",
             "Predict only the one image, as a batch of one, and keep the single row that comes back.")
    values = values.reshape(-1)
    check_shape("2.10", "probabilities", values, (NUM_CLASSES,), "Ten probabilities, one per digit.")
    expected = np.asarray(model.predict(flat_scaled(x_test[index:index + 1]), verbose=0))[0]
    if not close(values, expected, rtol=1e-4, atol=1e-5):
        if not close(values.sum(), 1.0, rtol=1e-3):
            fail("2.10", f"the probabilities add up to {values.sum():.3g}, not 1.",
                 "Use the model's output (model.predict), which ends in softmax.")
        raw = np.asarray(model.predict(x_test[index:index + 1].reshape(1, -1).astype("float32"),
                                       verbose=0))[0]
        if close(values, raw, rtol=1e-4, atol=1e-5):
            fail("2.10", "these are the probabilities for the unscaled image.",
                 "Prepare the image like the training data: take it from x_test_flat.")
        fail("2.10", "probabilities are not the final model's output for test image index.",
             "Ask final_model (Exercise 2.9) about test image number index, taken from x_test_flat "
             "as a batch of one.")
    if np.size(getattr(predicted_digit, "numpy", lambda: predicted_digit)()) > 1:
        fail("2.10", "predicted_digit is an array, not a single number.",
             "argmax over a batch gives one answer per image: take the number itself, one digit 0..9.")
    if not is_number(predicted_digit):
        fail("2.10", "predicted_digit is not a single number.", "It is one digit, 0..9.")
    digit = number(predicted_digit)
    if digit != expected.argmax():
        if close(digit, expected.max()):
            fail("2.10", "predicted_digit is the largest probability.",
                 "The answer is where the largest probability sits: argmax, not max.")
        if digit == y_test[index]:
            fail("2.10", "predicted_digit is the true label.",
                 "Give the model's answer, the position of its largest probability.")
        fail("2.10", "predicted_digit is not the model's answer.",
             "Take the position of the largest probability (argmax).")
    passed("2.10", f"ten probabilities that sum to 1; the model answers {int(digit)}.")


# --------------------------------------------------------------------------- 2.11


def exercise_2_11(templates: Any, model: Any) -> None:
    """Exercise 2.11: the Dense layer's weights as ten 28x28 images, ``templates[d]`` for digit d.

    Accepts any way of reading the kernel (``get_weights()[0]``, ``.kernel``, ...) as long as
    the result has shape (10, 28, 28); rejects reshaping without transposing, the digit axis
    last, the biases, and flat templates.
    """
    __tracebackhide__ = True
    require_attempt("2.11", templates=templates, final_model=model)
    require_model("2.11", "final_model", model)
    dense = read_model("2.11", "final_model", model).of_type("Dense")
    if not dense:
        fail("2.11", "final_model has no Dense layer.", "Use the final model of Exercise 2.9.")
    kernel = np.asarray(dense[-1].get_weights()[0])
    values = to_array("2.11", "templates", templates).astype(float)
    if values.shape == (28, 28, NUM_CLASSES):
        fail("2.11", "templates has shape (28, 28, 10): the digit axis is last.",
             "Put the digit first: one 28x28 image per digit, shape (10, 28, 28).")
    if values.shape in ((NUM_CLASSES, NUM_PIXELS), (NUM_PIXELS, NUM_CLASSES)):
        fail("2.11", f"templates has shape {values.shape}: the images are flat.",
             "Reshape each digit's 784 weights into 28x28.")
    check_shape("2.11", "templates", values, (NUM_CLASSES, 28, 28),
                "One 28x28 image per digit, digit 0 first.")
    if kernel.shape != (NUM_PIXELS, NUM_CLASSES):
        fail("2.11", f"final_model's Dense kernel has shape {kernel.shape}.",
             "Use the final model of Exercise 2.9.")
    if close(values, kernel.T.reshape(NUM_CLASSES, 28, 28), rtol=1e-5, atol=1e-7):
        passed("2.11", "ten templates, one per digit, each 28x28.")
        return
    if close(values, kernel.reshape(NUM_CLASSES, 28, 28), rtol=1e-5, atol=1e-7):
        fail("2.11", "templates mixes up the digits: the kernel was reshaped as it is.",
             "The kernel has shape (784, 10), one column per digit: bring each digit's column "
             "into a row before reshaping.")
    if close(values, kernel.T.reshape(NUM_CLASSES, 28, 28).transpose(0, 2, 1), rtol=1e-5, atol=1e-7):
        fail("2.11", "each template is transposed (its rows and columns swapped).",
             "Reshape each digit's 784 weights to 28x28 in NumPy's default (row by row) order.")
    fail("2.11", "templates are not the weights of the final model's Dense layer.",
         "Read the kernel (the first array of get_weights()) of final_model's Dense layer.")
