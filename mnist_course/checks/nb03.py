"""Checks for notebook 03, *The multilayer perceptron*.

Each compares the student's answer with what the notebook's own data give (the fast-mode
sample when fast mode is on), so the same check works in both modes. The helpers that look
at Keras models come from :mod:`mnist_course.checks.nb02`.

Example:
    >>> from mnist_course.checks import nb03 as check                          # doctest: +SKIP
    >>> check.exercise_3_1(615_440, 25_120, 330, 640_890)                      # doctest: +SKIP
    ✔ Exercise 3.1 passed: ...
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np

from mnist_course import mode
from mnist_course.checks._core import (
    check_shape, close, fail, is_number, passed, require_attempt, to_array,
)
from mnist_course.checks.nb02 import (
    NUM_CLASSES, NUM_PIXELS, call_builder, check_accuracy_number, check_trained, dense_stack,
    flat_scaled, history_steps, input_shape, model_accuracy, optimizer_settings,
    require_compiled, require_history, require_model, still_a_stub,
)
from mnist_course.data import course_data

from mnist_course.checks._core import summary_for

#: ``check.summary()`` in the last cell of the notebook lists its exercises and their status.
summary = summary_for(__name__)

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


def _reference():
    data = course_data()
    return data.train, data.test


def _layer_params(inputs: int, units: int) -> int:
    return inputs * units + units


def _training_count(count: int) -> int:
    """How many images fit trains on when validation_split keeps the last 10 % aside (as Keras)."""
    return int(count * (1 - VALIDATION_SPLIT))


def _classic_steps() -> int:
    (x_train, _), _ = _reference()
    return math.ceil(_training_count(len(x_train)) / BATCH_SIZE)


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
    values = {name: float(np.asarray(value)) for name, value in answers.items()}
    sizes = list(zip(LAYER_SIZES[:-1], LAYER_SIZES[1:]))
    names = ["params_hidden_1", "params_hidden_2", "params_output"]
    for name, (inputs, units) in zip(names, sizes):
        value = values[name]
        if value == _layer_params(inputs, units):
            continue
        if value == inputs * units:
            fail("3.1", f"{name} counts the weights only.", "Every unit of a layer also has a bias.")
        if value in (_layer_params(other, units) for other in LAYER_SIZES if other != inputs):
            fail("3.1", f"{name} uses the wrong number of inputs.",
                 "A layer's inputs are the outputs of the layer before it (the first hidden "
                 "layer's are the 784 pixels).")
        if value == inputs + units or value == inputs + units + units:
            fail("3.1", f"{name} adds inputs and units.",
                 "Each unit has one weight per input: multiply, then add one bias per unit.")
        fail("3.1", f"{name} is not right.",
             "Count one weight per (input, unit) pair and one bias per unit of that layer.")
    layer_sum = sum(values[name] for name in names)
    if values["total_params"] != layer_sum:
        fail("3.1", "total_params is not the sum of the three layers.", "Add up the three counts.")
    passed("3.1", "the parameters of all three layers, and their total.")


# --------------------------------------------------------------------------- 3.2


def check_mlp_architecture(exercise: str, name: str, model: Any) -> None:
    """Fail unless ``model`` is 784 inputs -> Dense(784, relu) -> Dense(32, relu) -> Dense(10, softmax)."""
    __tracebackhide__ = True
    require_model(exercise, name, model)
    shape = input_shape(model)
    if shape != (NUM_PIXELS,):
        fail(exercise, f"{name} expects inputs of shape {shape}.",
             "Its input is one flattened image, a vector of 784 scaled pixels: "
             "keras.Input(shape=(784,)).")
    stack = dense_stack(model)
    units = [layer_units for layer_units, _ in stack]
    activations = [activation for _, activation in stack]
    if units != list(LAYER_SIZES[1:]):
        fail(exercise, f"the Dense layers of {name} have {', '.join(map(str, units)) or 'no'} units.",
             "The network is 784-784-32-10: two hidden Dense layers of 784 and 32 units, then "
             "10 output units.")
    for position, activation in enumerate(activations[:-1], start=1):
        if activation == "softmax":
            fail(exercise, f"hidden layer {position} of {name} uses softmax.",
                 "Softmax belongs to the output layer only; hidden layers use ReLU.")
        if activation != "relu":
            fail(exercise, f"hidden layer {position} of {name} uses the activation '{activation}'.",
                 "Use ReLU in the hidden layers (activation=\"relu\"); without a non-linearity, "
                 "stacked layers are no better than one.")
    if activations[-1] != "softmax":
        fail(exercise, f"the output layer of {name} uses the activation '{activations[-1]}'.",
             "The ten outputs must be probabilities: softmax on the last layer.")


def exercise_3_2(build_classic_mlp: Any, total_params: Any) -> None:
    """Exercise 3.2: ``build_classic_mlp()`` returns the 784-784-32-10 ReLU network, compiled
    with plain SGD at learning rate 0.01, categorical cross-entropy and accuracy; its parameter
    count equals ``total_params`` from Exercise 3.1.

    Accepts Sequential or functional models, activations as arguments or separate layers;
    rejects 28x28 inputs, other layer sizes, a missing or wrong hidden activation, softmax in
    a hidden layer, another optimizer or rate, and a count that differs from Keras's.
    """
    __tracebackhide__ = True
    require_attempt("3.2", build_classic_mlp=build_classic_mlp, total_params=total_params)
    model = call_builder("3.2", "build_classic_mlp", build_classic_mlp)
    check_mlp_architecture("3.2", "build_classic_mlp()", model)
    require_compiled("3.2", "build_classic_mlp()", model)
    kind, rate, momentum = optimizer_settings(model)
    if kind != "SGD" or not close(rate, CLASSIC_LEARNING_RATE, rtol=1e-5) or momentum:
        fail("3.2", f"build_classic_mlp() is compiled with {kind or 'no optimizer'} (learning rate {rate:g}).",
             "The classic recipe is plain keras.optimizers.SGD(learning_rate=0.01), no momentum: "
             "you will see what it does before improving it.")
    if not is_number(total_params) or float(np.asarray(total_params)) != model.count_params():
        fail("3.2", "total_params (Exercise 3.1) differs from model.count_params().",
             "Go back to Exercise 3.1: count weights and biases of each layer again.")
    passed("3.2", f"784-784-32-10 with ReLU and softmax, {model.count_params():,} parameters, as you counted.")


# --------------------------------------------------------------------------- 3.3


def _check_recipe_run(exercise: str, name: str, history: Any) -> dict[str, list[float]]:
    """The epochs, validation split and steps of the classic recipe's fit."""
    __tracebackhide__ = True
    logs = require_history(exercise, name, history)
    expected_epochs = mode.epochs(NUM_EPOCHS)
    if len(logs["loss"]) != expected_epochs:
        fail(exercise, f"{name} has {len(logs['loss'])} epochs.",
             f"Train with epochs=mode.epochs(num_epochs) and num_epochs = {NUM_EPOCHS}. If you "
             f"ran fit twice, build a fresh model first.")
    if "val_accuracy" not in logs:
        fail(exercise, f"{name} has no validation accuracy.",
             "Pass validation_split=0.1 to fit: it keeps the last 10 % of the training images aside.")
    steps = history_steps(history)
    if steps is not None and steps != _classic_steps():
        fail(exercise, f"fit ran {steps} steps per epoch.",
             f"Use batch_size = {BATCH_SIZE} and validation_split = {VALIDATION_SPLIT} on x_train_flat.")
    return logs


def exercise_3_3(classic_model: Any, classic_history: Any, classic_test_accuracy: Any) -> None:
    """Exercise 3.3: the classic MLP trained with the classic recipe, and its test accuracy.

    Checks the model (784-784-32-10, SGD at 0.01), the run (20 epochs, capped in fast mode;
    batch 500; validation split 0.1), that the loss is finite and fell, the accuracy bar (85 %
    on the full data, 15 % in fast mode), and that ``classic_test_accuracy`` is the model's
    test accuracy as a fraction.
    """
    __tracebackhide__ = True
    require_attempt("3.3", classic_model=classic_model, classic_history=classic_history,
                    classic_test_accuracy=classic_test_accuracy)
    check_mlp_architecture("3.3", "classic_model", classic_model)
    kind, rate, momentum = optimizer_settings(classic_model)
    if kind != "SGD" or not close(rate, CLASSIC_LEARNING_RATE, rtol=1e-5) or momentum:
        fail("3.3", "classic_model is not compiled with the classic recipe's optimizer.",
             "Build it with build_classic_mlp() from Exercise 3.2.")
    logs = _check_recipe_run("3.3", "classic_history", classic_history)
    losses = [float(v) for v in logs["loss"]]
    if all(math.isfinite(v) for v in losses) and losses[-1] >= losses[0]:
        fail("3.3", "the training loss did not fall.",
             "Train on the scaled images x_train_flat with the one-hot labels.")
    _, (x_test, y_test) = _reference()
    if mode.is_fast_mode():  # 2 epochs of a few small steps lower the loss only a little
        if not all(math.isfinite(v) for v in losses):
            fail("3.3", "the training loss became NaN or infinite.",
                 "Train on the scaled images x_train_flat, not the raw pixels.")
        actual = model_accuracy(classic_model, flat_scaled(x_test), y_test)
        if actual < CLASSIC_BAR[1]:
            fail("3.3", f"classic_model reaches {actual:.1%} on the test set in fast mode, about "
                 f"as good as guessing.", "Build a fresh model and train it with the recipe's settings.")
    else:
        actual = check_trained("3.3", "classic_model", classic_model, logs, CLASSIC_BAR,
                               flat_scaled(x_test), y_test)
    check_accuracy_number("3.3", "classic_test_accuracy", classic_test_accuracy, actual, logs)
    passed("3.3", f"the classic recipe: {len(losses)} epochs of {history_steps(classic_history)} steps; "
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
    it): one line with ``history.history["accuracy"]`` and one with ``["val_accuracy"]``, a
    title, axis labels and a legend. Accepts returning the axes, the figure or nothing
    (pyplot), epochs counted from 0 or 1, extra lines or panels (such as the loss); rejects
    plotting the loss instead, a missing validation line, and a plot without labels.
    """
    __tracebackhide__ = True
    import matplotlib.pyplot as plt

    require_attempt("3.4", plot_accuracy=plot_accuracy)
    if not callable(plot_accuracy):
        fail("3.4", "plot_accuracy is not a function.",
             "Define it with def plot_accuracy(history, title): ... and draw inside it.")
    logs = require_history("3.4", "history", history)
    before = set(plt.get_fignums())
    try:
        try:
            result = plot_accuracy(history, "Checking plot_accuracy")
        except NotImplementedError:
            still_a_stub("3.4", "plot_accuracy")
        except Exception as error:  # the student's code may raise anything
            fail("3.4", f"plot_accuracy(history, title) raised {type(error).__name__}: {error}",
                 "It takes the History object that fit returned, and a title.")
        new_figures = [plt.figure(number) for number in plt.get_fignums() if number not in before]
        axes = _axes_of(result, new_figures)
        lines = [(line, ax) for ax in axes for line in ax.get_lines()]
        if not lines:
            fail("3.4", "plot_accuracy drew no lines.",
                 "Draw with ax.plot(...) (or plt.plot), one line per curve.")

        def find(values):
            for line, ax in lines:
                ydata = np.asarray(line.get_ydata(), dtype=float)
                if ydata.shape == (len(values),) and close(ydata, values, rtol=1e-5, atol=1e-7):
                    return line, ax
            return None

        training = find(logs.get("accuracy", []))
        validation = find(logs.get("val_accuracy", [])) if "val_accuracy" in logs else None
        if training is None:
            if find(logs["loss"]) is not None:
                fail("3.4", "plot_accuracy draws the loss.",
                     "This plot is about accuracy: history.history[\"accuracy\"] and [\"val_accuracy\"].")
            fail("3.4", "no line shows the training accuracy per epoch.",
                 "Plot history.history[\"accuracy\"], one value per epoch.")
        if validation is None:
            fail("3.4", "no line shows the validation accuracy.",
                 "Also plot history.history[\"val_accuracy\"], on the same axes.")
        line, ax = training
        figure = ax.get_figure()
        if not ax.get_xlabel() or not ax.get_ylabel():
            fail("3.4", "the plot lacks an axis label.",
                 "Name both axes, e.g. ax.set_xlabel(\"Epoch\") and ax.set_ylabel(\"Accuracy\").")
        if not ax.get_title() and not (figure._suptitle and figure._suptitle.get_text()):
            fail("3.4", "the plot has no title.", "Use the title argument: ax.set_title(title).")
        if ax.get_legend() is None and not figure.legends:
            fail("3.4", "the plot has no legend, so the two lines cannot be told apart.",
                 "Give each line a label=... and call ax.legend().")
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
    steps = float(np.asarray(steps_per_epoch))
    total = float(np.asarray(total_steps))
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

    ``build_mlp()`` must return a new 784-784-32-10 ReLU model compiled with anything but the
    classic plain SGD at 0.01 (a larger rate, momentum, Adam, ...). The trained ``model``
    must come from the recipe's run (batch 500, validation split 0.1, 20 epochs) and reach
    98 % on the full data (75 % in fast mode); ``test_accuracy`` is checked against it.
    """
    __tracebackhide__ = True
    require_attempt("3.6", build_mlp=build_mlp, model=model, history=history,
                    test_accuracy=test_accuracy)
    fresh = call_builder("3.6", "build_mlp", build_mlp)
    if fresh is model:
        fail("3.6", "build_mlp() returns the trained model.", "Build and return a new model at each call.")
    check_mlp_architecture("3.6", "build_mlp()", fresh)
    require_compiled("3.6", "build_mlp()", fresh)
    kind, rate, momentum = optimizer_settings(fresh)
    if kind == "SGD" and rate <= CLASSIC_LEARNING_RATE * 1.0001 and not momentum:
        fail("3.6", f"build_mlp() still uses plain SGD at learning rate {rate:g}.",
             "Change how it learns: a larger learning rate, momentum (SGD's momentum=...), or "
             "another optimizer such as keras.optimizers.Adam.")
    check_mlp_architecture("3.6", "model", model)
    logs = _check_recipe_run("3.6", "history", history)
    _, (x_test, y_test) = _reference()
    actual = check_trained(
        "3.6", "model", model, logs, FIXED_BAR, flat_scaled(x_test), y_test,
        hint="Rebuild with build_mlp() and train again; if it still falls short, try momentum "
             "0.9 with a larger rate, or Adam at its default rate.")
    check_accuracy_number("3.6", "test_accuracy", test_accuracy, actual, logs)
    passed("3.6", f"{kind} (learning rate {rate:g}{f', momentum {momentum:g}' if momentum else ''}): "
           f"{actual:.1%} on the test set.")


# --------------------------------------------------------------------------- 3.7


def _model_predictions(model: Any) -> tuple[np.ndarray, np.ndarray]:
    _, (x_test, y_test) = _reference()
    predictions = np.asarray(model.predict(flat_scaled(x_test), verbose=0, batch_size=1000)).argmax(-1)
    return predictions, y_test


_TITLE = re.compile(r"^\s*(\d)\s*/\s*(\d)\s*$")


def exercise_3_7(test_predictions: Any, grid_titles: Any, picks: Any, model: Any) -> None:
    """Exercise 3.7: the model's digit for every test image, and titles "predicted / true" for ``picks``.

    Accepts predictions as an integer array, list or tensor; titles with or without spaces
    around the slash. Rejects probabilities instead of digits, argmax over the wrong axis,
    the true labels, titles in the order "true / predicted", and titles for other images.
    """
    __tracebackhide__ = True
    require_attempt("3.7", test_predictions=test_predictions, grid_titles=grid_titles)
    require_model("3.7", "model", model)
    expected, y_test = _model_predictions(model)
    predictions = to_array("3.7", "test_predictions", test_predictions)
    if predictions.ndim == 2 and predictions.shape[1] == NUM_CLASSES:
        fail("3.7", "test_predictions holds ten probabilities per image.",
             "Keep the digit with the highest probability: .argmax(-1).")
    if predictions.shape == (NUM_CLASSES,):
        fail("3.7", "test_predictions has ten values: argmax ran over the images.",
             "Take the argmax of each row, over the last axis: .argmax(-1) or axis=1.")
    check_shape("3.7", "test_predictions", predictions, (len(y_test),),
                "One predicted digit per test image.")
    if not np.array_equal(predictions, expected):
        if np.array_equal(predictions, y_test):
            fail("3.7", "test_predictions are the true labels.",
                 "Ask the model: model.predict on x_test_flat, then argmax.")
        fail("3.7", "test_predictions are not the model's answers.",
             "Predict x_test_flat (scaled like the training data) with the fixed model of 3.6, then argmax.")
    picks = [int(index) for index in np.ravel(picks)]
    if not isinstance(grid_titles, (list, tuple, np.ndarray)) or len(grid_titles) != len(picks):
        fail("3.7", f"grid_titles should be a list of {len(picks)} strings.",
             "One title per image in picks, in the same order.")
    pairs = []
    for title in grid_titles:
        match = _TITLE.match(str(title))
        if not match:
            fail("3.7", f"the title {str(title)!r} is not of the form \"predicted / true\".",
                 "Write the predicted digit, a slash, then the true label, e.g. f\"{p} / {t}\".")
        pairs.append((int(match.group(1)), int(match.group(2))))
    wanted = [(int(expected[index]), int(y_test[index])) for index in picks]
    if pairs != wanted:
        if pairs == [(true, predicted) for predicted, true in wanted]:
            fail("3.7", "the titles read \"true / predicted\".", "Put the model's answer first.")
        fail("3.7", "the titles do not match the images in picks.",
             "For each index in picks, use test_predictions[index] and y_test[index].")
    passed("3.7", "the model's digit for every test image, and a title for each picked one.")


# --------------------------------------------------------------------------- 3.8


def exercise_3_8(misclassified: Any, model: Any) -> None:
    """Exercise 3.8: the indices of the test images the model gets wrong.

    Accepts an integer array or list in any order, or the 1-tuple that ``np.where``
    returns; rejects a boolean mask, the correctly classified images, and indices from the
    training set or another model.
    """
    __tracebackhide__ = True
    require_attempt("3.8", misclassified=misclassified)
    require_model("3.8", "model", model)
    if isinstance(misclassified, tuple) and len(misclassified) == 1:
        misclassified = misclassified[0]
    expected, y_test = _model_predictions(model)
    wrong = np.flatnonzero(expected != y_test)
    indices = to_array("3.8", "misclassified", misclassified)
    if indices.dtype == bool:
        fail("3.8", "misclassified is a mask of True and False.",
             "Turn it into the positions of the True values, e.g. with np.flatnonzero.")
    if indices.ndim != 1:
        fail("3.8", f"misclassified has shape {indices.shape}.", "Give a flat list of indices.")
    if indices.size and not np.all(np.mod(indices, 1) == 0):
        fail("3.8", "misclassified holds fractions.", "Give the indices (positions) of the images.")
    found = np.sort(indices.astype(int))
    if np.array_equal(found, wrong):
        passed("3.8", f"{len(wrong)} misclassified test images out of {len(y_test):,}.")
        return
    if np.array_equal(found, np.flatnonzero(expected == y_test)):
        fail("3.8", "misclassified holds the images the model gets right.",
             "Select where the prediction differs from the label (!=).")
    if len(found) == len(wrong):
        fail("3.8", "misclassified has the right count but other indices.",
             "Use the positions in the test set where test_predictions != y_test.")
    fail("3.8", f"misclassified has {len(found)} indices, not the number of test images the model gets wrong.",
         "Compare test_predictions with y_test (both digits, not one-hot) and keep the positions "
         "where they differ.")
