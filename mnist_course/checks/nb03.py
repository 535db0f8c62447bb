"""Checks for notebook 03, *The multilayer perceptron*.

Each compares the student's answer with what the notebook's own data give (the fast-mode
sample when fast mode is on), so the same check works in both modes. Models are read through
:mod:`mnist_course.checks._model`, so a network written with ``Sequential``,
``Sequential.add`` or the functional API, compiled with strings or objects, passes the same
checks; student code is called through :func:`~mnist_course.checks._core.call_student`.

Example:
    >>> from mnist_course.checks import nb03 as check                          # doctest: +SKIP
    >>> check.exercise_3_1(615_440, 25_120, 330, 640_890)                      # doctest: +SKIP
    ✔ Exercise 3.1 passed: ...
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

import numpy as np

from mnist_course import mode
from mnist_course.checks._core import (
    as_fractions, call_student, check_shape, close, fail, is_number, number, passed, require_attempt,
    summary_for, to_array,
)
from mnist_course.checks._answers import check_single_fit, count_mistake, extra_layers
from mnist_course.checks._keras import as_accuracy
from mnist_course.checks._model import (
    ModelInfo, accuracy_bar, accuracy_key, call_builder, accuracy_tolerance, dense_stack, model_accuracy,
    read_model, require_built,
)
from mnist_course.data import course_data

#: ``check.summary()`` in the last cell of the notebook lists its exercises and their status.
summary = summary_for(__name__)

NUM_CLASSES = 10
NUM_PIXELS = 28 * 28
#: The classic network: 784 inputs, two hidden ReLU layers, ten softmax outputs.
HIDDEN_UNITS = (784, 32)
LAYER_SIZES = (NUM_PIXELS, *HIDDEN_UNITS, NUM_CLASSES)
#: The classic recipe's training settings.
CLASSIC_LEARNING_RATE = 0.01
BATCH_SIZE = 500
NUM_EPOCHS = 20
VALIDATION_SPLIT = 0.1
#: Test accuracy the models must reach: (full mode, fast mode).
CLASSIC_BAR = (0.85, 0.15)
FIXED_BAR = (0.98, 0.75)
#: A reported accuracy this close to the measured one is the same count of right answers.
_SAME_COUNT = 1e-5


def _reference():
    data = course_data()
    return data.train, data.test


def _flat_scaled(images: np.ndarray) -> np.ndarray:
    """The notebook's preparation of images: (n, 784) float32 in [0, 1]."""
    return images.reshape(len(images), NUM_PIXELS).astype("float32") / 255


def _layer_params(inputs: int, units: int) -> int:
    return inputs * units + units


def _training_count(count: int) -> int:
    """How many images fit trains on when validation_split keeps the last 10 % aside (as Keras)."""
    return int(count * (1 - VALIDATION_SPLIT))


def _classic_steps() -> int:
    (x_train, _), _ = _reference()
    return math.ceil(_training_count(len(x_train)) / BATCH_SIZE)


# --------------------------------------------------------------------------- reading models and runs


def _check_mlp(exercise: str, name: str, model: Any) -> ModelInfo:
    """Fail unless ``model`` is 784 inputs -> Dense(784, relu) -> Dense(32, relu) -> Dense(10, softmax)."""
    __tracebackhide__ = True
    info = read_model(exercise, name, model)
    require_built(exercise, name, info, (NUM_PIXELS,))
    stack = dense_stack(info)
    units = [layer_units for layer_units, _ in stack]
    activations = [activation for _, activation in stack]
    extra = extra_layers(info.layers)
    if extra:
        fail(exercise, f"{name} has a {extra[0]} layer.",
             "The prompt lists the layers: three Dense layers with their activations, nothing "
             "else. Remove it (regularisation comes in notebook 04).")
    if units != list(LAYER_SIZES[1:]):
        fail(exercise, f"the Dense layers of {name} have {', '.join(map(str, units)) or 'no'} units.",
             "The network is 784-784-32-10: two hidden Dense layers of 784 and 32 units, then "
             "10 output units.")
    for position, activation in enumerate(activations[:-1], start=1):
        if activation == "softmax":
            fail(exercise, f"hidden layer {position} of {name} uses softmax.",
                 "Softmax belongs to the output layer only; hidden layers use ReLU.")
        if activation == "linear":
            fail(exercise, f"hidden layer {position} of {name} has no activation.",
                 "Use ReLU in the hidden layers (activation=\"relu\"); without a non-linearity, "
                 "stacked layers are no better than one.")
        if activation != "relu":
            fail(exercise, f"hidden layer {position} of {name} uses the activation '{activation}'.",
                 "The prompt asks for ReLU in both hidden layers (activation=\"relu\"): it learns "
                 "faster than saturating functions such as tanh or sigmoid.")
    if activations[-1] != "softmax":
        fail(exercise, f"the output layer of {name} uses the activation '{activations[-1]}'.",
             "The ten outputs must be probabilities: softmax on the last layer.")
    return info


def _require_compiled(exercise: str, name: str, info: ModelInfo) -> None:
    """Fail unless compiled with categorical cross-entropy on probabilities and an accuracy metric."""
    __tracebackhide__ = True
    if not info.compiled:
        fail(exercise, f"{name} is not compiled.",
             "Call model.compile(optimizer=..., loss=..., metrics=[...]) before returning it.")
    if info.loss != "categorical_crossentropy":
        if info.loss == "sparse_categorical_crossentropy":
            fail(exercise, f"{name} uses sparse categorical cross-entropy.",
                 "The labels are one-hot vectors: use the categorical cross-entropy loss, as in notebook 02.")
        fail(exercise, f"{name} is compiled with the loss '{info.loss or 'none'}'.",
             "For ten classes and one-hot labels the loss is categorical cross-entropy.")
    if info.from_logits:
        fail(exercise, f"{name}'s loss is told to expect raw scores (from_logits=True).",
             "The last layer already applies softmax: leave from_logits at its default.")
    if not info.has_accuracy:
        fail(exercise, f"{name} does not report accuracy.",
             "Add metrics=[\"accuracy\"] to compile, so fit and evaluate print it.")


def _is_classic_optimizer(info: ModelInfo) -> bool:
    return (info.optimizer == "sgd" and close(info.learning_rate, CLASSIC_LEARNING_RATE, rtol=1e-5)
            and not info.momentum and not info.nesterov)


def _optimizer_words(info: ModelInfo) -> str:
    words = f"{info.optimizer or 'no optimizer'} (learning rate {info.learning_rate:g}"
    if info.momentum:
        words += f", momentum {info.momentum:g}"
    return words + (", Nesterov)" if info.nesterov else ")")


def _history_logs(exercise: str, name: str, history: Any) -> dict[str, list[float]]:
    """Return ``history.history``; fail if ``history`` is not what ``fit`` returned."""
    __tracebackhide__ = True
    logs = getattr(history, "history", None)
    if not isinstance(logs, Mapping) or "loss" not in logs:
        what = "a model" if hasattr(history, "fit") else f"a {type(history).__name__}"
        fail(exercise, f"{name} is {what}, not the History object that fit returns.",
             f"Keep what fit returns: {name} = model.fit(...).")
    if not logs["loss"]:
        fail(exercise, f"{name} holds no epochs.", "Run fit with at least one epoch.")
    return {key: [float(value) for value in values] for key, values in logs.items()}


def _history_steps(history: Any) -> int | None:
    """Steps per epoch that ``fit`` ran (from ``history.params``); None if unknown."""
    steps = (getattr(history, "params", None) or {}).get("steps")
    return int(steps) if steps is not None else None


def _check_recipe_run(exercise: str, name: str, history: Any, model: Any) -> dict[str, list[float]]:
    """The epochs, validation split and steps of the classic recipe's fit, on this model."""
    __tracebackhide__ = True
    logs = _history_logs(exercise, name, history)
    trained = getattr(history, "model", None)
    if trained is not None and trained is not model:
        fail(exercise, f"{name} comes from the training of another model.",
             "Keep the model you trained and what its fit returned, from the same cell.")
    expected_epochs = mode.epochs(NUM_EPOCHS)
    if len(logs["loss"]) != expected_epochs:
        fail(exercise, f"{name} has {len(logs['loss'])} epochs.",
             f"Train with epochs=mode.epochs(num_epochs) and num_epochs = {NUM_EPOCHS}. If you "
             f"ran fit twice, build a fresh model first.")
    if accuracy_key(logs, validation=True) is None:
        fail(exercise, f"{name} has no validation accuracy.",
             "Pass validation_split=0.1 to fit: it keeps the last 10 % of the training images aside.")
    steps = _history_steps(history)
    if steps is not None and steps != _classic_steps():
        fail(exercise, f"fit ran {steps} steps per epoch.",
             f"Use batch_size = {BATCH_SIZE} and validation_split = {VALIDATION_SPLIT} on x_train_flat "
             f"(not validation_data).")
    return logs


def _check_trained(exercise: str, name: str, model: Any, logs: Mapping[str, list[float]],
                   bars: tuple[float, float], hint: str) -> float:
    """Fail unless the model learned and reaches this mode's bar; return its test accuracy."""
    __tracebackhide__ = True
    losses = logs["loss"]
    info = read_model(exercise, name, model)
    stuck = (not all(math.isfinite(value) for value in losses) or (len(losses) > 1 and losses[-1] >= losses[0])
             or (not mode.is_fast_mode() and losses[-1] >= math.log(NUM_CLASSES)))
    if stuck and info.compiled and not _is_classic_optimizer(info):
        # The training cell of 3.6 is fixed and feeds the scaled images: what changed is the optimizer.
        fail(exercise, f"the training of {name} diverged or did not learn with {_optimizer_words(info)}.",
             "Its steps are too large for this network: lower the learning rate (with momentum, "
             "the step grows up to ten times the rate), rebuild and train again.")
    if not all(math.isfinite(value) for value in losses):
        fail(exercise, f"the training loss of {name} became NaN or infinite.",
             "Train on the scaled images x_train_flat, not the raw pixels.")
    if len(losses) > 1 and losses[-1] >= losses[0]:
        fail(exercise, f"the training loss of {name} did not fall.",
             "Train on the scaled images x_train_flat with the one-hot labels.")
    if not mode.is_fast_mode() and losses[-1] >= math.log(NUM_CLASSES):
        fail(exercise, f"the training loss of {name} ended no better than guessing (ln 10).",
             "Check the inputs are scaled and the labels one-hot, then train again.")
    _, (x_test, y_test) = _reference()
    accuracy = model_accuracy(model, _flat_scaled(x_test), y_test)
    bar, words = accuracy_bar(bars)
    if accuracy < bar:
        fail(exercise, f"{name} does not reach {bar:.0%} on the test set {words}.", hint)
    return accuracy


def _check_test_accuracy(exercise: str, name: str, value: Any, model: Any, measured: float,
                         logs: Mapping[str, list[float]]) -> None:
    """Fail unless ``value`` is ``model``'s accuracy on the test set, as evaluate reports it.

    A value that is not the same count of right answers as :func:`model_accuracy` measures is
    compared with the History's training and validation accuracies and with the model's
    accuracy on the training and validation images, to name the mistake.
    """
    __tracebackhide__ = True
    _, (x_test, y_test) = _reference()
    tolerance = accuracy_tolerance(len(y_test))
    if is_number(value):
        (x_train, _), _ = _reference()
        what = count_mistake(number(value), round(measured * len(y_test)), len(y_test),
                             {"the training images": len(x_train), "images in the full test set": 10_000,
                              "images in the full training set": 60_000,
                              "training images left after the validation split": _training_count(len(x_train))})
        if what:
            fail(exercise, f"{name} is {what}.",
                 "An accuracy is the share of the test images classified right: the count of right "
                 "answers divided by the number of test images, between 0 and 1.")
    if is_number(value) and 1 < number(value) <= 100:
        if abs(number(value) / 100 - measured) <= tolerance:
            fail(exercise, f"{name} is a percentage.", "Give it as a fraction between 0 and 1.")
        fail(exercise, f"{name} is not an accuracy between 0 and 1.",
             "evaluate returns [loss, accuracy]: keep the second number, not the loss.")
    where = "Evaluate the model on the test images and labels: x_test_flat and y_test_onehot."
    per_epoch = [np.asarray(logs[key], dtype=float) for key in (accuracy_key(logs), accuracy_key(logs, True)) if key]
    if not is_number(value) and any(close(to_array(exercise, name, value), values, rtol=1e-6)
                                    for values in per_epoch if np.shape(value) == values.shape):
        fail(exercise, f"{name} holds the History's accuracy of every epoch.", where)
    value = as_accuracy(exercise, name, value)
    if abs(value - measured) <= _SAME_COUNT:
        return
    for validation, words in ((False, "training"), (True, "validation")):
        key = accuracy_key(logs, validation=validation)
        if key and any(abs(value - logged) <= 1e-6 for logged in logs[key]):
            fail(exercise, f"{name} is a {words} accuracy from the History, not the test accuracy.", where)
    (x_train, y_train), _ = _reference()
    split = int(len(x_train) * (1 - VALIDATION_SPLIT))
    other_data = (("the training images", _flat_scaled(x_train[:split]), y_train[:split]),
                  ("the validation images", _flat_scaled(x_train[split:]), y_train[split:]),
                  ("all the training images", _flat_scaled(x_train), y_train),
                  ("unscaled test images", x_test.reshape(len(x_test), -1).astype("float32"), y_test))
    for words, images, labels in other_data:
        if abs(value - model_accuracy(model, images, labels)) <= _SAME_COUNT:
            fail(exercise, f"{name} is the model's accuracy on {words}, not on the test set.", where)
    if abs(value - measured) <= tolerance:
        return  # evaluate and predict may disagree on an image whose two best scores tie
    fail(exercise, f"{name} does not match the model's accuracy on the test set.",
         "evaluate returns [loss, accuracy]: evaluate this trained model on x_test_flat and "
         "y_test_onehot, prepared like the training data.")


# --------------------------------------------------------------------------- 3.1


def exercise_3_1(params_hidden_1: Any, params_hidden_2: Any, params_output: Any,
                 total_params: Any) -> None:
    """Exercise 3.1: the parameters of each layer of the 784-784-32-10 network, and their total.

    Accepts Python or NumPy integers (or floats with whole values); rejects counts without
    biases, a layer counted with the wrong number of inputs, and a total that is not the sum.
    """
    __tracebackhide__ = True
    answers = {"params_hidden_1": params_hidden_1, "params_hidden_2": params_hidden_2,
               "params_output": params_output, "total_params": total_params}
    require_attempt("3.1", **answers)
    for name, value in answers.items():
        if not is_number(value):
            fail("3.1", f"{name} is not a single number.", "Each answer is one whole number.")
    values = {name: number(value) for name, value in answers.items()}
    sizes = list(zip(LAYER_SIZES[:-1], LAYER_SIZES[1:]))
    names = ["params_hidden_1", "params_hidden_2", "params_output"]
    for name, (inputs, units) in zip(names, sizes):
        value = values[name]
        if value == _layer_params(inputs, units):
            continue
        if value == inputs * units:
            fail("3.1", f"{name} counts the weights only.", "Every unit of a layer also has a bias.")
        if value in (_layer_params(other, units) for other in (*LAYER_SIZES, 28) if other != inputs):
            fail("3.1", f"{name} uses the wrong number of inputs.",
                 "A layer's inputs are the outputs of the layer before it (the first hidden "
                 "layer's are the 784 pixels).")
        if value in (inputs + units, inputs + 2 * units, inputs * units + inputs, (inputs + 1) * (units + 1)):
            fail("3.1", f"{name} is not one weight per (input, unit) pair plus one bias per unit.",
                 "Each unit has one weight per input: multiply, then add one bias per unit.")
        fail("3.1", f"{name} is not right.",
             "Count one weight per (input, unit) pair and one bias per unit of that layer.")
    layer_sum = sum(values[name] for name in names)
    if values["total_params"] != layer_sum:
        fail("3.1", "total_params is not the sum of the three layers.", "Add up the three counts.")
    passed("3.1", "the parameters of all three layers, and their total.")


# --------------------------------------------------------------------------- 3.2


def exercise_3_2(build_classic_mlp: Any, total_params: Any) -> None:
    """Exercise 3.2: ``build_classic_mlp()`` returns the 784-784-32-10 ReLU network, compiled
    with plain SGD at learning rate 0.01, categorical cross-entropy and accuracy; its parameter
    count equals ``total_params`` from Exercise 3.1.

    Accepts Sequential (list or ``add``) or functional models, activations as arguments or
    separate layers, optimizer, loss and metric as strings or objects; rejects 28x28 inputs,
    other layer sizes, a missing or wrong hidden activation, softmax in a hidden layer,
    another optimizer, rate or momentum, another loss, and a count that differs from Keras's.
    """
    __tracebackhide__ = True
    require_attempt("3.2", build_classic_mlp=build_classic_mlp)
    model = call_builder("3.2", "build_classic_mlp", build_classic_mlp)
    info = _check_mlp("3.2", "build_classic_mlp()", model)
    _require_compiled("3.2", "build_classic_mlp()", info)
    if not _is_classic_optimizer(info):
        fail("3.2", f"build_classic_mlp() is compiled with {_optimizer_words(info)}.",
             "The classic recipe is plain keras.optimizers.SGD(learning_rate=0.01), no momentum: "
             "you will see what it does before improving it.")
    require_attempt("3.2", total_params=total_params)
    if not is_number(total_params) or number(total_params) != model.count_params():
        fail("3.2", "total_params (Exercise 3.1) differs from model.count_params().",
             "Go back to Exercise 3.1: count weights and biases of each layer again.")
    passed("3.2", f"784-784-32-10 with ReLU and softmax, {model.count_params():,} parameters, as you counted.")


# --------------------------------------------------------------------------- 3.3


def exercise_3_3(classic_model: Any, classic_history: Any, classic_test_accuracy: Any) -> None:
    """Exercise 3.3: the classic MLP trained with the classic recipe, and its test accuracy.

    Checks the model (784-784-32-10, plain SGD at 0.01), the run (20 epochs, capped in fast
    mode; batch 500; validation split 0.1), that the loss is finite and fell, the accuracy bar
    (85 % on the full data, 15 % in fast mode), and that ``classic_test_accuracy`` is the same
    count of right answers on the test set as the check measures (the training or validation
    accuracy, from the History or evaluated, is named as such).
    """
    __tracebackhide__ = True
    require_attempt("3.3", classic_model=classic_model, classic_history=classic_history,
                    classic_test_accuracy=classic_test_accuracy)
    info = _check_mlp("3.3", "classic_model", classic_model)
    if not info.compiled or not _is_classic_optimizer(info):
        fail("3.3", "classic_model is not compiled with the classic recipe's optimizer.",
             "Build it with build_classic_mlp() from Exercise 3.2.")
    logs = _check_recipe_run("3.3", "classic_history", classic_history, classic_model)
    check_single_fit("3.3", "classic_model", classic_model, len(logs["loss"]), _history_steps(classic_history),
                     "Build a fresh model with build_classic_mlp() in the same cell, then call fit once.")
    actual = _check_trained("3.3", "classic_model", classic_model, logs, CLASSIC_BAR,
                            "Build a fresh model with build_classic_mlp() and train it with the recipe's settings.")
    _check_test_accuracy("3.3", "classic_test_accuracy", classic_test_accuracy, classic_model, actual, logs)
    passed("3.3", f"the classic recipe: {len(logs['loss'])} epochs of {_classic_steps()} steps; "
           f"{actual:.1%} on the test set.")


# --------------------------------------------------------------------------- 3.4


def _axes_of(result: Any, new_figures: list) -> list:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    found = []
    if isinstance(result, Axes):
        found.append(result)
    elif isinstance(result, Figure):
        found.extend(result.axes)
    elif isinstance(result, (list, tuple, np.ndarray)):
        found.extend(item for item in np.ravel(np.asarray(result, dtype=object)) if isinstance(item, Axes))
    for figure in new_figures:
        found.extend(ax for ax in figure.axes if ax not in found)
    return found


def exercise_3_4(plot_accuracy: Any, history: Any) -> None:
    """Exercise 3.4: ``plot_accuracy(history, title)`` draws training and validation accuracy per epoch.

    Calls the function with the notebook's History and inspects what it drew (then closes
    it): one line with the training accuracy and one with the validation accuracy (under
    whatever name Keras logged them), a title, axis labels and a legend. Accepts returning the
    axes, the figure or nothing (pyplot), epochs counted from 0 or 1, extra lines or panels
    (such as the loss); rejects plotting the loss instead, a missing validation line, and a
    plot without labels.
    """
    __tracebackhide__ = True
    import matplotlib.pyplot as plt

    require_attempt("3.4", plot_accuracy=plot_accuracy)
    if not callable(plot_accuracy):
        fail("3.4", "plot_accuracy is not a function.",
             "Define it with def plot_accuracy(history, title): ... and draw inside it.")
    logs = _history_logs("3.4", "history", history)
    before = set(plt.get_fignums())
    title = "Checking plot_accuracy"
    try:
        result = call_student("3.4", "plot_accuracy", plot_accuracy, history, title,
                              hint="It takes the History object that fit returned, and a title: "
                                   "read the curves from history.history.")
        new_figures = [plt.figure(number) for number in plt.get_fignums() if number not in before]
        axes = _axes_of(result, new_figures)
        lines = [(line, ax) for ax in axes for line in ax.get_lines()]
        if not lines:
            fail("3.4", "plot_accuracy drew no lines.",
                 "Draw with ax.plot(...) (or plt.plot), one line per curve.")

        def find(values):
            for line, ax in lines:
                try:
                    ydata = np.asarray(line.get_ydata(), dtype=float)
                except (TypeError, ValueError):
                    continue
                if ydata.shape == (len(values),) and close(as_fractions(ydata), as_fractions(values),
                                                           rtol=1e-5, atol=1e-7):
                    return line, ax
            return None

        train_key, val_key = accuracy_key(logs), accuracy_key(logs, validation=True)
        training = find(logs[train_key]) if train_key else None
        validation = find(logs[val_key]) if val_key else None
        if training is None:
            if find(logs["loss"]) is not None:
                fail("3.4", "plot_accuracy draws the loss.",
                     "This plot is about accuracy: history.history[\"accuracy\"] and [\"val_accuracy\"].")
            fail("3.4", "no line shows the training accuracy per epoch.",
                 "Plot history.history[\"accuracy\"], one value per epoch.")
        if validation is None:
            fail("3.4", "no line shows the validation accuracy.",
                 "Also plot history.history[\"val_accuracy\"], on the same axes.")
        _, ax = training
        if validation[1] is not ax:
            fail("3.4", "the training and validation accuracy are drawn on separate axes.",
                 "Draw both lines on one axes, so they can be compared epoch by epoch.")
        figure = ax.get_figure()
        if not ax.get_xlabel() or not ax.get_ylabel():
            fail("3.4", "the plot lacks an axis label.",
                 "Name both axes with ax.set_xlabel and ax.set_ylabel.")
        suptitle = figure._suptitle.get_text() if figure._suptitle else ""
        titles = [ax.get_title(loc) for loc in ("center", "left", "right")] + [suptitle]
        if not any(titles):
            fail("3.4", "the plot has no title.", "Set the axes' title to the title the function is given.")
        if not any(title in text for text in titles):
            fail("3.4", "the plot's title is not the title the function is given.",
                 "Use the argument title itself (a variable), not a text of your own in quotes.")
        legends = [legend for legend in (ax.get_legend(), *figure.legends) if legend is not None]
        if not legends:
            fail("3.4", "the plot has no legend, so the two lines cannot be told apart.",
                 "Give each line a label=... and call ax.legend().")
        texts = {text.get_text().strip() for legend in legends for text in legend.get_texts()} - {""}
        if len(texts) < 2:
            fail("3.4", "the legend does not name both lines.",
                 "Give each of the two lines its own label=... before calling ax.legend().")
    finally:
        for number in set(plt.get_fignums()) - before:
            plt.close(number)
    passed("3.4", "training and validation accuracy per epoch, labelled, with a legend.")


# --------------------------------------------------------------------------- 3.5


def exercise_3_5(steps_per_epoch: Any, total_steps: Any) -> None:
    """Exercise 3.5: steps per epoch of the classic recipe, and the steps of its 20 epochs.

    Accepts ints or whole floats; ``total_steps`` for the recipe's 20 epochs or, in fast mode,
    for the epochs actually run. Rejects ignoring the validation split, rounding down, the
    unrounded quotient, and forgetting to multiply by the epochs.
    """
    __tracebackhide__ = True
    require_attempt("3.5", steps_per_epoch=steps_per_epoch, total_steps=total_steps)
    (x_train, _), _ = _reference()
    for name, value in (("steps_per_epoch", steps_per_epoch), ("total_steps", total_steps)):
        if not is_number(value):
            fail("3.5", f"{name} is not a single number.", "Each answer is one whole number.")
    steps = number(steps_per_epoch)
    total = number(total_steps)
    count = len(x_train)
    expected = _classic_steps()
    if steps != expected:
        if steps in (math.ceil(count / BATCH_SIZE), count / BATCH_SIZE, count // BATCH_SIZE):
            fail("3.5", "steps_per_epoch counts every training image.",
                 "validation_split=0.1 keeps the last 10 % of the images out of training.")
        if not steps.is_integer():
            fail("3.5", f"steps_per_epoch is {steps:g}, not a whole number.",
                 "The leftover images form one last, smaller batch: round up.")
        if steps == _training_count(count) // BATCH_SIZE:
            fail("3.5", "steps_per_epoch leaves the last images out.", "Round up (math.ceil).")
        fail("3.5", "steps_per_epoch is not right.",
             "Divide the number of images that are trained on by the batch size of 500, rounding up.")
    if total not in (expected * NUM_EPOCHS, expected * mode.epochs(NUM_EPOCHS)):
        if total == steps:
            fail("3.5", "total_steps is the count of one epoch.", "Multiply by the number of epochs.")
        fail("3.5", "total_steps is not right.", "Steps per epoch times the recipe's 20 epochs.")
    passed("3.5", f"{expected} steps per epoch, {int(total):,} in all.")


# --------------------------------------------------------------------------- 3.6


def exercise_3_6(build_mlp: Any, model: Any, history: Any, test_accuracy: Any) -> None:
    """Exercise 3.6: ``build_mlp()``, the same network trained better, and its test accuracy.

    ``build_mlp()`` must return a new 784-784-32-10 ReLU model (no other layers) compiled like
    the classic one but with an optimizer that learns faster than plain SGD at 0.01 (a larger
    rate, momentum, Adam, ...). It is judged first, so a builder whose model the training cell
    cannot train (not compiled, a sparse loss, no accuracy) fails here with a hint, not as "not
    attempted". The trained ``model`` must come from one run of the recipe (batch 500,
    validation split 0.1, 20 epochs) and reach 98 % on the full data (75 % in fast mode);
    ``test_accuracy`` is checked as in Exercise 3.3.
    """
    __tracebackhide__ = True
    require_attempt("3.6", build_mlp=build_mlp)
    fresh = call_builder("3.6", "build_mlp", build_mlp)
    info = _check_mlp("3.6", "build_mlp()", fresh)
    _require_compiled("3.6", "build_mlp()", info)
    if info.optimizer == "sgd" and info.learning_rate <= CLASSIC_LEARNING_RATE * 1.0001 and not info.momentum:
        fail("3.6", f"build_mlp() still uses plain SGD at learning rate {info.learning_rate:g}.",
             "Change how it learns: a larger learning rate, momentum (SGD's momentum=...), or "
             "another optimizer such as keras.optimizers.Adam.")
    require_attempt("3.6", model=model, history=history, test_accuracy=test_accuracy)
    if fresh is model:
        fail("3.6", "build_mlp() returns the trained model.", "Build and return a new model at each call.")
    trained = _check_mlp("3.6", "model", model)
    if trained.compiled and _is_classic_optimizer(trained):
        fail("3.6", "model is compiled with the classic recipe's plain SGD at 0.01.",
             "Run the training cell after the cell of build_mlp(), so that model comes from it.")
    logs = _check_recipe_run("3.6", "history", history, model)
    check_single_fit("3.6", "model", model, len(logs["loss"]), _history_steps(history),
                     "Run the training cell once after defining build_mlp(): it builds a fresh model.")
    actual = _check_trained(
        "3.6", "model", model, logs, FIXED_BAR,
        "Rebuild with build_mlp() and train again; if it still falls short, try momentum "
        "0.9 with a larger rate, or Adam at its default rate.")
    _check_test_accuracy("3.6", "test_accuracy", test_accuracy, model, actual, logs)
    passed("3.6", f"{_optimizer_words(info)}: {actual:.1%} on the test set.")


# --------------------------------------------------------------------------- 3.7


def _model_scores(exercise: str, model: Any) -> tuple[np.ndarray, np.ndarray]:
    """The model's ten scores for every (scaled, flat) test image, and the test labels."""
    __tracebackhide__ = True
    info = read_model(exercise, "model", model)
    require_built(exercise, "model", info, (NUM_PIXELS,))
    _, (x_test, y_test) = _reference()
    scores = np.asarray(model.predict(_flat_scaled(x_test), verbose=0, batch_size=1000))
    return scores.reshape(len(x_test), -1), np.asarray(y_test)


def _agrees(given: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Where ``given`` names the model's most probable class (a near-tie counts either way).

    ``predict`` with another batch size can change the last bits of a score, and so the
    argmax of an image whose two best classes tie.
    """
    top = scores.max(-1)
    chosen = np.take_along_axis(scores, given.astype(np.int64)[:, None] % scores.shape[1], -1)[:, 0]
    return (given >= 0) & (given < scores.shape[1]) & (chosen >= top - 1e-6)


_TITLE = re.compile(r"^\s*(\d)\s*/\s*(\d)\s*$")


def exercise_3_7(test_predictions: Any, grid_titles: Any, picks: Any, model: Any) -> None:
    """Exercise 3.7: the model's digit for every test image, and titles "predicted / true" for ``picks``.

    Accepts predictions as an integer array, list or tensor; titles with or without spaces
    around the slash, in a list, tuple or array. Rejects probabilities instead of digits,
    argmax over the wrong axis, the true labels, titles in the order "true / predicted", and
    titles for other images.
    """
    __tracebackhide__ = True
    require_attempt("3.7", test_predictions=test_predictions, grid_titles=grid_titles)
    scores, y_test = _model_scores("3.7", model)
    predictions = to_array("3.7", "test_predictions", test_predictions)
    if predictions.ndim == 2 and predictions.shape[1] == NUM_CLASSES:
        fail("3.7", "test_predictions holds ten probabilities per image.",
             "Keep the digit with the highest probability: .argmax(-1).")
    if predictions.shape == (NUM_CLASSES,):
        fail("3.7", "test_predictions has ten values: argmax ran over the images.",
             "Take the argmax of each row, over the last axis: .argmax(-1) or axis=1.")
    check_shape("3.7", "test_predictions", predictions, (len(y_test),),
                "One predicted digit per test image.")
    if predictions.dtype == bool or not np.all(np.mod(predictions, 1) == 0):
        fail("3.7", "test_predictions does not hold whole digits.",
             "Keep the digit with the highest probability for each image: .argmax(-1).")
    if not np.all(_agrees(predictions, scores)):
        if np.array_equal(predictions, y_test):
            fail("3.7", "test_predictions are the true labels.",
                 "Ask the model: model.predict on x_test_flat, then argmax.")
        fail("3.7", "test_predictions are not the model's answers.",
             "Predict x_test_flat (scaled like the training data) with the fixed model of 3.6, then argmax.")
    predictions = predictions.astype(np.int64)
    picks = [int(index) for index in np.ravel(picks)]
    if isinstance(grid_titles, str) or not isinstance(grid_titles, (list, tuple, np.ndarray)) \
            or len(grid_titles) != len(picks):
        fail("3.7", f"grid_titles should be a list of {len(picks)} strings.",
             "One title per image in picks, in the same order.")
    pairs = []
    for title in grid_titles:
        match = _TITLE.match(str(title))
        if not match:
            fail("3.7", f"the title {str(title)!r} is not of the form \"predicted / true\".",
                 "Write the predicted digit, a slash, then the true label, as in the prompt's example.")
        pairs.append((int(match.group(1)), int(match.group(2))))
    wanted = [(int(predictions[index]), int(y_test[index])) for index in picks]
    if pairs != wanted:
        if pairs == [(true, predicted) for predicted, true in wanted]:
            fail("3.7", "the titles read \"true / predicted\".", "Put the model's answer first.")
        fail("3.7", "the titles do not match the images in picks.",
             "Make one title per index in picks, in that order, from that image's prediction and its label.")
    passed("3.7", "the model's digit for every test image, and a title for each picked one.")


# --------------------------------------------------------------------------- 3.8


def exercise_3_8(misclassified: Any, model: Any) -> None:
    """Exercise 3.8: the indices of the test images the model gets wrong.

    Accepts an integer array, list or tensor in any order, the 1-tuple that ``np.where``
    returns, or the (n, 1) column of ``np.argwhere`` (the cells below read any of them
    through ``np.ravel``); rejects a boolean mask, the correctly classified images, and
    indices from the training set or another model.
    """
    __tracebackhide__ = True
    require_attempt("3.8", misclassified=misclassified)
    scores, y_test = _model_scores("3.8", model)
    if isinstance(misclassified, tuple) and len(misclassified) == 1:
        misclassified = misclassified[0]
    indices = to_array("3.8", "misclassified", misclassified)
    if indices.dtype == bool:
        fail("3.8", "misclassified is a mask of True and False.",
             "Turn it into the positions of the True values, e.g. with np.flatnonzero.")
    if indices.ndim == 2 and indices.shape[1] == 1:
        indices = indices[:, 0]
    if indices.ndim != 1:
        fail("3.8", f"misclassified has shape {indices.shape}.", "Give a flat list of indices.")
    if indices.size and not np.all(np.mod(indices, 1) == 0):
        fail("3.8", "misclassified holds fractions.", "Give the indices (positions) of the images.")
    found = np.sort(indices.astype(np.int64))
    if len(np.unique(found)) != len(found):
        fail("3.8", "misclassified lists some images twice.", "List each misclassified image once.")
    if found.size and (found[0] < 0 or found[-1] >= len(y_test)):
        fail("3.8", "misclassified holds positions outside the test set.",
             "Give positions in the test set, from 0 to len(y_test) - 1.")
    right = _agrees(y_test, scores)
    wrong = np.flatnonzero(~right)
    # An image whose two best scores tie may count either way.
    tied = _agrees(y_test, scores) & (np.sort(scores, -1)[:, -2] >= scores.max(-1) - 1e-6)
    given = np.zeros(len(y_test), dtype=bool)
    given[found] = True
    if np.array_equal(given | tied, ~right | tied):
        passed("3.8", f"{len(found)} misclassified test images out of {len(y_test):,}.")
        return
    if np.array_equal(found, np.flatnonzero(right)):
        fail("3.8", "misclassified holds the images the model gets right.",
             "Select where the prediction differs from the label (!=).")
    if len(found) == len(wrong):
        fail("3.8", "misclassified has the right count but other indices.",
             "Keep the positions in the test set where the model's digit and the label differ.")
    fail("3.8", "misclassified is not the set of test images the model gets wrong.",
         "Compare test_predictions with y_test (both digits, not one-hot) and keep the positions "
         "where they differ.")
