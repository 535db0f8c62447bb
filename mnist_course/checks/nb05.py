"""Checks for notebook 05, *Convolutional networks*.

Each compares the student's answer with what the notebook's own data give (the fast-mode
sample when fast mode is on), so the same check works in both modes. Models are read through
:func:`~mnist_course.checks._model.read_model`, so Sequential, ``Sequential.add``,
functional and subclassed models, activations inside layers or as layers of their own, and
losses, optimizers and metrics given as strings or objects, are all read alike. Checks of trained models read the model from the ``History`` that ``fit``
returned (``history.model``), check its input shape before feeding it any image, and measure
its test accuracy themselves; in full mode they hold it to the notebook's bar, in fast mode
to a lower floor.

Example:
    >>> from mnist_course.checks import nb05 as check              # doctest: +SKIP
    >>> check.exercise_5_1(x_train_4d, x_test_4d)                   # doctest: +SKIP
    ✔ Exercise 5.1 passed: ...
"""

from __future__ import annotations

import math
import os
import re
import traceback
from typing import Any

import numpy as np

from mnist_course import mode
from mnist_course.checks._answers import check_single_fit
from mnist_course.checks._core import (CheckFailed, call_student, fail, is_number, number, passed,
                                       require_attempt, summary_for, to_array)
from mnist_course.checks._keras import (as_accuracy, check_epochs, check_finite, check_loss, check_rate,
                                        check_reported_accuracy, check_steps,
                                        softmax_body, trained_model)
from mnist_course.checks._model import ModelInfo, activation_name, build_subclassed, call_builder, read_model
from mnist_course.data import course_data

#: ``check.summary()`` in the last cell of the notebook lists its exercises and their status.
summary = summary_for(__name__)

#: Full-mode test accuracy bars.
ADAM_BAR = 0.985
SGD_BAR = 0.975
DEEPER_BAR = 0.99
#: The learning rate each optimizer of exercise 5.4 is asked for.
LEARNING_RATES = {"SGD": 0.05, "Adam": 0.001}
#: Epochs of each run of exercise 5.4, and of the deeper network when it is trained.
EPOCHS_5_4, EPOCHS_DEEPER = 4, 10
#: Fast-mode floors (2 epochs on a 10 % sample).
FAST_FLOOR = {"sgd": 0.60, "adam": 0.85, "deeper": 0.85}

CHANNELS_LAST = ("Keras's layers expect the channel axis last by default "
                 "(data_format='channels_last'): (images, height, width, channels).")
BATCH_IN_SHAPE = ("The input shape describes one image, (height, width, channels); the number "
                  "of images (the batch axis) is never part of it.")


# --------------------------------------------------------------------------- helpers


def _fast() -> bool:
    """True in fast mode: trained models are held to a floor instead of the full-mode bar."""
    return mode.is_fast_mode()


def _reference():
    data = course_data()
    return data.train, data.test


def _images_4d(images: np.ndarray) -> np.ndarray:
    return (images.astype(np.float32) / 255)[..., np.newaxis]


def _as_shape(value: Any) -> tuple | None:
    """A tuple from a tuple, list, array or TensorShape (None entries kept); None if not one."""
    if hasattr(value, "as_list"):
        value = value.as_list()
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, (tuple, list)):
        result = []
        for item in value:
            if item is None:
                result.append(None)
            elif isinstance(item, (int, np.integer)) and not isinstance(item, bool):
                result.append(int(item))
            elif isinstance(item, (float, np.floating)) and float(item).is_integer():
                result.append(int(item))
            else:
                return None
        return tuple(result)
    return None


def _kind(layer) -> str:
    return type(layer).__name__


def _shape_problem(shape: tuple) -> tuple[str, str] | None:
    """What is wrong with an input shape (without the batch axis), as (what, hint); None if right."""
    if shape == (28, 28, 1):
        return None
    if shape == (1, 28, 28):
        return "the input shape is (1, 28, 28): channels first.", CHANNELS_LAST
    if len(shape) == 4 and tuple(shape[1:]) == (28, 28, 1):
        return "the input shape has the number of images in it.", BATCH_IN_SHAPE
    if shape == (28, 28):
        return ("the input shape (28, 28) has no channel axis.",
                "Conv2D wants (height, width, channels): keras.Input with the shape (28, 28, 1).")
    if shape in ((784,), (784, 1)):
        return ("the input shape is flat.",
                "A convolution needs the 28x28 layout with one channel: keras.Input with the shape (28, 28, 1).")
    return (f"the input shape is {shape}.",
            "One image is 28x28 with one channel: keras.Input with the shape (28, 28, 1). " + BATCH_IN_SHAPE)


def _check_input(exercise: str, info: ModelInfo) -> None:
    __tracebackhide__ = True
    if info.input_shape is None:
        fail(exercise, "the model does not know its input shape.",
             "Start the model with keras.Input with the shape (28, 28, 1).")
    problem = _shape_problem(tuple(info.input_shape))
    if problem:
        fail(exercise, *problem)


def _shape_in_error(error: BaseException | None) -> tuple[str, str] | None:
    """Diagnose the input shape Keras names in an error raised while a model was built."""
    if error is None:
        return None
    for match in re.finditer(r"\(None((?:, (?:None|\d+))*)\)", str(error)):
        shape = tuple(None if item.strip() == "None" else int(item)
                      for item in match.group(1).split(",")[1:])
        known = shape in ((1, 28, 28), (28, 28), (784,)) or (
            len(shape) == 4 and tuple(shape[1:]) == (28, 28, 1))
        if known:
            return _shape_problem(shape)
    return None


def _build(exercise: str, name: str, function: Any, *args: Any) -> Any:
    """Call the student's model builder through call_student; a Keras error about the input
    shape becomes the check's own hint about that shape."""
    __tracebackhide__ = True
    try:
        return call_student(exercise, name, function, *args,
                            hint=f"Read the error and the line of {name} it points to.")
    except CheckFailed as failure:
        cause = failure.__context__
        problem = _shape_in_error(cause)
        if problem:
            fail(exercise, *problem)
        frames = traceback.extract_tb(cause.__traceback__) if cause is not None else []
        never_entered = bool(frames) and os.path.basename(frames[-1].filename) == "_core.py"
        if isinstance(cause, TypeError) and never_entered:  # the call itself did not fit
            fail(exercise, f"{name} cannot be called with an optimizer.",
                 f"Define it with one argument, the optimizer: def {name}(optimizer=\"adam\").")
        raise


def _check_conv(exercise: str, info: ModelInfo, layer, position: str, filters: int) -> None:
    __tracebackhide__ = True
    if _kind(layer) != "Conv2D":
        fail(exercise, f"the {position} layer is {_kind(layer)}, not Conv2D.",
             "Each block is Conv2D then MaxPooling2D((2, 2)).")
    if getattr(layer, "data_format", "channels_last") != "channels_last":
        fail(exercise, "the convolution is set to channels first.", CHANNELS_LAST)
    if tuple(layer.kernel_size) != (3, 3):
        fail(exercise, f"the {position} convolution's kernel is {tuple(layer.kernel_size)}.",
             "Use a 3x3 kernel: (3, 3).")
    if tuple(layer.strides) != (1, 1):
        fail(exercise, f"the {position} convolution's strides are {tuple(layer.strides)}.",
             "Keep the default strides of 1.")
    if layer.padding != "valid":
        fail(exercise, f"the {position} convolution uses padding='{layer.padding}'.",
             "Keep the default padding ('valid'), so each 3x3 window lies inside the image.")
    if info.activation(layer) != "relu":
        fail(exercise, f"the {position} convolution's activation is {info.activation(layer)}.",
             "Give Conv2D activation='relu'.")
    if layer.filters != filters:
        fail(exercise, f"the {position} convolution has {layer.filters} filters.",
             "Give each convolution the number of filters the exercise asks for, in that order.")


def _check_pool(exercise: str, layer, position: str) -> None:
    __tracebackhide__ = True
    if _kind(layer) != "MaxPooling2D":
        fail(exercise, f"after the {position} convolution comes {_kind(layer)}, not MaxPooling2D.",
             "Each convolution is followed by MaxPooling2D((2, 2)).")
    if tuple(layer.pool_size) != (2, 2):
        fail(exercise, f"the {position} pooling window is {tuple(layer.pool_size)}.",
             "Use MaxPooling2D((2, 2)).")


def _check_blocks(exercise: str, info: ModelInfo, body: list, filters: tuple[int, ...]) -> list:
    """Check the Conv2D + MaxPooling2D blocks at the start of ``body``; return the layers after."""
    __tracebackhide__ = True
    convs = [layer for layer in body if _kind(layer) == "Conv2D"]
    if len(convs) != len(filters):
        count = "one convolution block" if len(filters) == 1 else f"{len(filters)} convolution/pooling blocks"
        fail(exercise, f"the network has {len(convs)} Conv2D layer{'s' if len(convs) != 1 else ''}.",
             f"This network has {count}: Conv2D then MaxPooling2D((2, 2)).")
    for index, count in enumerate(filters):
        position = ("first", "second", "third")[index]
        if len(body) < 2 * index + 2:
            fail(exercise, "the network is shorter than expected.",
                 "Each block is Conv2D then MaxPooling2D((2, 2)).")
        _check_conv(exercise, info, body[2 * index], position, count)
        _check_pool(exercise, body[2 * index + 1], position)
    return body[2 * len(filters):]


def _check_head(exercise: str, info: ModelInfo, head: list, orders: list[tuple[str, ...]], wanted: str) -> None:
    """The layers between the last pooling and the output: Flatten, Dropout(0.5) and the
    hidden Dense(100, relu), in one of the ``orders`` (class names)."""
    __tracebackhide__ = True
    kinds = tuple(_kind(layer) for layer in head)
    if "Flatten" not in kinds:
        fail(exercise, "there is no Flatten layer.",
             "Add a Flatten layer after the pooling, so the Dense layers see one vector per image.")
    if "Dropout" not in kinds:
        fail(exercise, "there is no Dropout layer.",
             "Add a Dropout layer with the rate the exercise gives; it switches off random values while training.")
    others = [kind for kind in kinds if kind not in ("Flatten", "Dropout", "Dense")]
    if others:
        fail(exercise, f"the network has extra layers: {', '.join(others)}.",
             f"Keep to the layers the exercise lists: {wanted}.")
    for layer in head:
        if _kind(layer) == "Dropout" and not math.isclose(float(layer.rate), 0.5):
            fail(exercise, "the dropout rate is not the one the exercise gives.", "Use Dropout(0.5).")
        if _kind(layer) == "Dense" and (layer.units != 100 or info.activation(layer) != "relu"):
            fail(exercise, f"the hidden layer is Dense({layer.units}, {info.activation(layer)}).",
                 "The hidden layer is Dense(100, activation='relu').")
    if kinds not in orders:
        fail(exercise, f"the layers after the pooling are in another order: {', '.join(kinds)}.",
             f"Keep the order the exercise gives: {wanted}.")


def _network_body(exercise: str, info: ModelInfo) -> list:
    """Input shape and softmax output; returns the layers in between."""
    __tracebackhide__ = True
    _check_input(exercise, info)
    body = softmax_body(info)
    if body is None:
        if not any(_kind(layer) == "Flatten" for layer in info.layers):
            fail(exercise, "there is no Flatten layer.",
                 "Add a Flatten layer after the pooling, so the Dense layers see one vector per image.")
        fail(exercise, "the last layer is not Dense(10, activation='softmax').",
             "The network ends with one probability per digit.")
    return body


def _check_cnn(exercise: str, info: ModelInfo) -> None:
    """The network of 5.3: Conv2D(32, 3x3, relu), MaxPooling2D(2x2), Flatten and Dropout(0.5)
    (in either order: they commute), an optional Dense(100, relu), Dense(10, softmax)."""
    __tracebackhide__ = True
    body = _network_body(exercise, info)
    head = _check_blocks(exercise, info, body, (32,))
    orders = [("Flatten", "Dropout", "Dense"), ("Dropout", "Flatten", "Dense"),
              ("Flatten", "Dropout"), ("Dropout", "Flatten")]
    _check_head(exercise, info, head, orders, "Flatten, Dropout(0.5), Dense(100, relu), Dense(10, softmax)")


def _check_deeper(exercise: str, info: ModelInfo) -> None:
    """The network of 5.7: two blocks (32 then 64 filters), Flatten, Dense(100, relu),
    Dropout(0.5), Dense(10, softmax)."""
    __tracebackhide__ = True
    body = _network_body(exercise, info)
    head = _check_blocks(exercise, info, body, (32, 64))
    _check_head(exercise, info, head, [("Flatten", "Dense", "Dropout")],
                "Flatten, Dense(100, relu), Dropout(0.5), Dense(10, softmax)")


def _check_optimizer(exercise: str, info: ModelInfo, name: str, expected: str) -> None:
    """SGD(learning_rate=0.05) without momentum, or Adam(learning_rate=0.001)."""
    __tracebackhide__ = True
    if info.optimizer != expected.lower():
        fail(exercise, f"{name} was trained with {info.optimizer}, not {expected}.",
             f"Build that model with keras.optimizers.{expected}(...), as the exercise says.")
    rate = LEARNING_RATES[expected]
    check_rate(exercise, info, f"the {expected} optimizer of {name}", rate,
               f"Use {expected}(learning_rate={rate:g}).")
    if expected == "SGD" and info.momentum:
        fail(exercise, f"the SGD optimizer of {name} uses momentum.",
             f"Use plain SGD(learning_rate={rate:g}).")


def _check_run(exercise: str, name: str, logs: dict, params: dict, num_epochs: int,
               batch_size: int) -> None:
    __tracebackhide__ = True
    check_finite(exercise, name, logs, "Train on the scaled images x_train_4d (0..1); check the learning rate.")
    check_epochs(exercise, name, logs, mode.epochs(num_epochs),
                 f"Train with num_epochs = {num_epochs} through mode.epochs(num_epochs).")
    (x_train, _), _ = _reference()
    check_steps(exercise, name, params, math.ceil(len(x_train) / batch_size),
                f"Use batch_size = {batch_size} on all of x_train_4d, without a validation split.")


def _test_set():
    _, (x_test, y_test) = _reference()
    return _images_4d(x_test), y_test


# --------------------------------------------------------------------------- 5.1


def exercise_5_1(x_train_4d: Any, x_test_4d: Any) -> None:
    """Exercise 5.1: the scaled images with a channel axis added last: (n, 28, 28, 1).

    Accepts ``np.expand_dims(x, -1)``, ``x[..., None]``, ``x.reshape(-1, 28, 28, 1)``,
    ``tf.expand_dims``; float32 or float64. Rejects channels first (n, 1, 28, 28), a missing
    channel axis, flat images, the raw 0..255 pixels, and the two sets swapped or forgotten.
    """
    __tracebackhide__ = True
    require_attempt("5.1", x_train_4d=x_train_4d, x_test_4d=x_test_4d)
    (x_train, _), (x_test, _) = _reference()
    for name, value, images in (("x_train_4d", x_train_4d, x_train), ("x_test_4d", x_test_4d, x_test)):
        array = to_array("5.1", name, value)
        count = len(images)
        if array.shape == (count, 1, 28, 28):
            fail("5.1", f"{name} has shape {array.shape}: the channel axis is first.", CHANNELS_LAST)
        if array.shape == (count, 28, 28):
            fail("5.1", f"{name} has shape {array.shape}: there is no channel axis yet.",
                 "Add an axis of length 1 at the end, for the single grayscale channel.")
        if array.ndim == 2 or array.shape[1:] in ((784,), (784, 1)):
            fail("5.1", f"{name} has shape {array.shape}: the images are flat.",
                 "A convolution needs the 28x28 layout: start from the scaled (n, 28, 28) images.")
        if array.shape[1:] == (28, 28, 1) and len(array) != count:
            other = "test" if name == "x_train_4d" else "training"
            fail("5.1", f"{name} has {len(array):,} images: those of the {other} set.",
                 "x_train_4d comes from x_train_scaled and x_test_4d from x_test_scaled.")
        if array.shape != (count, 28, 28, 1):
            fail("5.1", f"{name} has shape {array.shape}, expected {(count, 28, 28, 1)}.",
                 "Add one axis of length 1 after the width.")
        expected = _images_4d(images)
        values = array.astype(np.float64)
        if np.allclose(values, expected * 255, atol=1e-3) and not np.allclose(values, expected, atol=1e-5):
            fail("5.1", f"{name} holds the raw pixels 0..255.",
                 "Start from the scaled images (x_train_scaled, x_test_scaled), which lie in 0..1.")
        if not np.allclose(values, expected, atol=1e-5):
            fail("5.1", f"{name} does not hold the scaled images in their original order.",
                 "Only add an axis: np.expand_dims, [..., None] or reshape keep the values and order.")
    passed("5.1", "both sets have the shape (images, 28, 28, 1), channels last.")


# --------------------------------------------------------------------------- 5.2


def exercise_5_2(conv_shape: Any, pool_shape: Any, flat_size: Any) -> None:
    """Exercise 5.2: the output shapes of Conv2D(32, (3, 3)) and MaxPooling2D((2, 2)) on a
    28x28x1 image, without the batch axis, and the number of values Flatten gives.

    Accepts tuples, lists or TensorShapes (a leading None for the batch is tolerated) and a
    whole number (or a 1-tuple) for ``flat_size``. Rejects forgetting that a 3x3 kernel
    shrinks the image, dropping the channel axis, channels first, changing the channel count
    in pooling, and flattening the convolution's output instead of the pooled one.
    """
    __tracebackhide__ = True
    require_attempt("5.2", conv_shape=conv_shape, pool_shape=pool_shape, flat_size=flat_size)
    conv = _as_shape(conv_shape)
    pool = _as_shape(pool_shape)
    for name, shape in (("conv_shape", conv), ("pool_shape", pool)):
        if shape is None:
            fail("5.2", f"{name} is not a shape.", "Write a tuple of whole numbers: (height, width, channels).")
    if conv and conv[0] is None:
        conv = conv[1:]
    if pool and pool[0] is None:
        pool = pool[1:]
    if conv != (26, 26, 32):
        if conv == (28, 28, 32):
            fail("5.2", "conv_shape keeps the 28x28 size.",
                 "Without padding a 3x3 window cannot be centred on the outermost pixels: the "
                 "map is smaller than the image by the kernel size minus one.")
        if len(conv) == 2:
            fail("5.2", "conv_shape has no channel axis.",
                 "Each filter makes its own map: the last axis counts the filters.")
        if len(conv) == 3 and conv[0] == 32:
            fail("5.2", "conv_shape puts the channels first.", CHANNELS_LAST)
        if len(conv) == 3 and conv[2] != 32:
            fail("5.2", f"conv_shape has {conv[2]} channel{'s' if conv[2] != 1 else ''}.",
                 "There is one channel per filter.")
        fail("5.2", "conv_shape is not right.",
             "Each side shrinks by the kernel size minus one; the channels are the filters.")
    if pool != (13, 13, 32):
        if len(pool) == 3 and pool[:2] == (13, 13):
            fail("5.2", f"pool_shape has {pool[2]} channel{'s' if pool[2] != 1 else ''}.",
                 "Pooling works on each channel separately: it keeps the number of channels.")
        if len(pool) == 3 and pool[:2] == (14, 14):
            fail("5.2", "pool_shape halves the input image, not the convolution's output.",
                 "The pooling layer comes after the convolution: halve conv_shape.")
        if len(pool) == 3 and pool[:2] == (26, 26):
            fail("5.2", "pool_shape has the convolution's size.",
                 "A 2x2 max pooling keeps one value of every 2x2 block: it halves height and width.")
        if len(pool) == 3 and pool[0] == 32:
            fail("5.2", "pool_shape puts the channels first.", CHANNELS_LAST)
        fail("5.2", "pool_shape is not right.",
             "A 2x2 pool halves height and width (rounding down) and keeps the channels.")
    shape = _as_shape(flat_size)
    if shape is not None and len(shape) == 2 and shape[0] is None:
        shape = shape[1:]
    if shape is not None and len(shape) == 1 and shape[0] is not None:
        flat_size = shape[0]
    if not is_number(flat_size) or not number(flat_size).is_integer():
        fail("5.2", "flat_size is not a whole number.", "Flatten makes one vector: how many values does it hold?")
    size = int(number(flat_size))
    if size == 13 * 13:
        fail("5.2", "flat_size counts the pixels of one map only.", "Multiply by the number of channels too.")
    if size == 26 * 26 * 32:
        fail("5.2", "flat_size flattens the convolution's output.",
             "Flatten comes after the pooling layer: use pool_shape.")
    if size == 784:
        fail("5.2", "flat_size is the number of pixels of the input image.",
             "Flatten turns the pooled maps into one vector: multiply the three numbers of pool_shape.")
    if size != 13 * 13 * 32:
        fail("5.2", "flat_size is not right.", "Multiply height, width and channels of pool_shape.")
    passed("5.2", "shapes worked out by hand; model.summary() below will agree.")


# --------------------------------------------------------------------------- 5.3


def exercise_5_3(build_cnn: Any) -> None:
    """Exercise 5.3: ``build_cnn(optimizer)`` returns a new model, compiled with the optimizer
    it is given: Conv2D(32, (3, 3), relu) -> MaxPooling2D((2, 2)) -> Flatten -> Dropout(0.5)
    -> (optionally Dense(100, relu)) -> Dense(10, softmax), on (28, 28, 1) inputs, with
    categorical cross-entropy and accuracy.

    Calls the function twice with fresh optimizers. Accepts Sequential, ``Sequential.add``
    and functional models, losses and metrics as strings or objects, Flatten and Dropout in
    either order (they commute). Rejects a model instead of a function, an ignored optimizer
    argument, a missing Input, channels first or the batch size in the input shape (before
    Keras's own error), padding 'same', other filter, kernel, pool or layer sizes, a missing
    Flatten or Dropout, another head, the sparse or another loss, no accuracy metric.
    """
    __tracebackhide__ = True
    require_attempt("5.3", build_cnn=build_cnn)
    import keras

    if isinstance(build_cnn, keras.Model) or not callable(build_cnn):
        fail("5.3", "build_cnn is not a function.",
             "Define it with def build_cnn(optimizer=\"adam\"): ... and return the compiled model.")
    models = []
    for optimizer in (keras.optimizers.SGD(learning_rate=0.01), keras.optimizers.Adam()):
        model = _build("5.3", "build_cnn", build_cnn, optimizer)
        if model is None:
            fail("5.3", "build_cnn returns None.", "End the function with return model.")
        info = read_model("5.3", "what build_cnn returns", build_subclassed(model, (28, 28, 1)))
        _check_cnn("5.3", info)
        check_loss("5.3", info)
        if model.optimizer is not optimizer:
            fail("5.3", "the model is not compiled with the optimizer passed to build_cnn.",
                 "Use the argument: model.compile(optimizer=optimizer, ...).")
        if any(model is other for other in models):
            fail("5.3", "build_cnn returns the same model object twice.",
                 "Build a new model inside the function each time it is called.")
        models.append(model)
    passed("5.3", f"the network has the expected layers and {models[0].count_params():,} parameters.")


# --------------------------------------------------------------------------- 5.4


def exercise_5_4(history_sgd: Any, history_adam: Any, test_accuracy_sgd: Any,
                 test_accuracy_adam: Any) -> None:
    """Exercise 5.4: the network of 5.3 trained twice, with SGD(learning_rate=0.05) and with
    Adam(learning_rate=0.001), batch 32, 4 epochs each, on all training images; each test
    accuracy measured.

    Reads each model from its History and measures its test accuracy itself. Full mode:
    Adam at least 98.5 %, SGD at least 97.5 %. Rejects swapped optimizers, another learning
    rate or momentum, another batch size or a validation split, fewer epochs, accuracies that
    are not their model's test accuracy (training accuracies included).
    """
    __tracebackhide__ = True
    require_attempt("5.4", history_sgd=history_sgd, history_adam=history_adam,
                    test_accuracy_sgd=test_accuracy_sgd, test_accuracy_adam=test_accuracy_adam)
    if history_sgd is history_adam:
        fail("5.4", "history_sgd and history_adam are the same run.", "Train two models, one per optimizer.")
    x_test, y_test = _test_set()
    results = {}
    for label, history, value, optimizer in (("history_sgd", history_sgd, test_accuracy_sgd, "SGD"),
                                             ("history_adam", history_adam, test_accuracy_adam, "Adam")):
        info, model, logs, params = trained_model("5.4", history, label)
        _check_cnn("5.4", info)
        check_loss("5.4", info)
        _check_optimizer("5.4", info, label, optimizer)
        _check_run("5.4", label, logs, params, num_epochs=EPOCHS_5_4, batch_size=32)
        check_single_fit("5.4", label, model, len(logs["loss"]), params.get("steps"))
        name = "test_accuracy_" + optimizer.lower()
        reported = as_accuracy("5.4", name, value)
        results[optimizer] = check_reported_accuracy(
            "5.4", name, reported, model, x_test, y_test, logs,
            f"Evaluate the model of {label} on x_test_4d and y_test_onehot and keep the accuracy.")
    fast = _fast()
    for optimizer, key, bar in (("SGD", "sgd", SGD_BAR), ("Adam", "adam", ADAM_BAR)):
        needed = FAST_FLOOR[key] if fast else bar
        if results[optimizer] < needed:
            fail("5.4", f"the {optimizer} model reaches {results[optimizer]:.2%} on the test set, "
                        f"below {needed:.1%}.",
                 "Check the inputs (x_train_4d, scaled to 0..1), the labels (y_train_onehot) "
                 "and the settings above the fit.")
    note = " (fast mode)" if fast else ""
    passed("5.4", f"SGD {results['SGD']:.2%}, Adam {results['Adam']:.2%} on the test set{note}.")


# --------------------------------------------------------------------------- 5.5


def exercise_5_5(model: Any, index: Any, probabilities: Any, predicted_digit: Any) -> None:
    """Exercise 5.5: the model's ten probabilities for test image ``index`` and the digit it
    predicts (their argmax).

    Accepts probabilities of shape (10,) or (1, 10), as arrays, lists or tensors, and the
    digit as a Python or NumPy integer. Rejects probabilities of another image, the largest
    probability instead of its position, an argmax over the wrong axis, the true label.
    """
    __tracebackhide__ = True
    require_attempt("5.5", probabilities=probabilities, predicted_digit=predicted_digit)
    if not hasattr(model, "predict"):
        fail("5.5", "the first argument is not a model.", "Pass the trained model, model_adam.")
    if not is_number(index) or not number(index).is_integer():
        fail("5.5", "index is not a whole number.", "Keep the index chosen in the cell above.")
    _, (x_test, y_test) = _reference()
    index = int(number(index))
    image = _images_4d(x_test[index:index + 1])
    expected = np.asarray(model.predict(image, verbose=0))[0]
    given = to_array("5.5", "probabilities", probabilities).astype(float)
    if given.shape == (1, 10):
        given = given[0]
    if given.shape != (10,):
        fail("5.5", f"probabilities has shape {given.shape}.",
             "Predict on a batch holding only test image `index` (keep the batch axis): the result has shape (1, 10).")
    if not np.allclose(given, expected, atol=1e-4):
        fail("5.5", "these are not the model's probabilities for test image `index`.",
             "Predict test image `index` of x_test_4d (as a batch of one) with the trained model.")
    digit_array = np.asarray(predicted_digit.numpy() if hasattr(predicted_digit, "numpy") else predicted_digit)
    if digit_array.size > 1:
        fail("5.5", f"predicted_digit holds {digit_array.size} values.",
             "Take the argmax over the ten probabilities (the last axis), which gives one digit.")
    if np.issubdtype(digit_array.dtype, np.floating) and not float(digit_array).is_integer():
        fail("5.5", "predicted_digit is a fraction: probably the largest probability.",
             "You want the position of the largest probability: argmax, not max.")
    if not np.issubdtype(digit_array.dtype, np.number):
        fail("5.5", "predicted_digit is not a number.", "Take the argmax of the probabilities.")
    digit = int(digit_array.ravel()[0])
    if digit != int(expected.argmax()):
        if digit == int(y_test[index]):
            fail("5.5", "predicted_digit is the true label, not the model's answer.",
                 "The prediction is the argmax of the probabilities.")
        fail("5.5", "predicted_digit is not the most probable digit.", "Take the argmax of the probabilities.")
    verdict = "right" if digit == int(y_test[index]) else "wrong: look at the image"
    passed("5.5", f"the model answers {digit} with probability {expected.max():.1%} ({verdict}).")


# --------------------------------------------------------------------------- 5.6


def exercise_5_6(model: Any, image: Any, feature_maps: Any) -> None:
    """Exercise 5.6: the output of the trained model's first (Conv2D) layer for one image,
    channels last: shape (1, 26, 26, 32) or (26, 26, 32).

    Accepts arrays or tensors, from a sub-model built with ``keras.Model`` or by calling the
    layer, for a Sequential or functional model. Rejects channels moved first, the pooling
    layer's or the whole model's output, maps of another image or of an untrained model.
    """
    __tracebackhide__ = True
    require_attempt("5.6", feature_maps=feature_maps)
    info = read_model("5.6", "model", model)
    if not info.layers or _kind(info.layers[0]) != "Conv2D":
        fail("5.6", "the model's first layer is not Conv2D.", "Pass the trained model, model_adam.")
    _check_input("5.6", info)
    picture = to_array("5.6", "image", image).astype(np.float32)
    if picture.shape in ((28, 28), (28, 28, 1)):
        picture = picture.reshape(1, 28, 28, 1)
    if picture.shape != (1, 28, 28, 1):
        fail("5.6", f"image has shape {picture.shape}.", "Use one test image, such as x_test_4d[index].")
    expected = np.asarray(info.layers[0](picture))[0]  # the first layer on its own, however built
    maps = to_array("5.6", "feature_maps", feature_maps).astype(float)
    if maps.shape == (1, 26, 26, 32):
        maps = maps[0]
    if maps.shape in ((32, 26, 26), (1, 32, 26, 26)):
        fail("5.6", f"feature_maps has shape {maps.shape}: channels first.",
             "Keep the layout Keras returns, channels last: (1, 26, 26, 32) or (26, 26, 32).")
    if maps.shape in ((1, 13, 13, 32), (13, 13, 32)):
        fail("5.6", "these are the pooling layer's maps.",
             "Take the output of the first layer, the convolution.")
    if maps.shape in ((1, 10), (10,)):
        fail("5.6", "this is the output of the whole model.",
             "Build a model that ends at the first layer's output, and predict with it.")
    if maps.shape != (26, 26, 32):
        fail("5.6", f"feature_maps has shape {maps.shape}.",
             "The first layer gives one 26x26 map per filter for one image.")
    first = info.layers[0]
    if info.activation(first) == "relu" and activation_name(first) == "linear" and \
            np.allclose(maps, np.maximum(expected, 0), rtol=1e-3, atol=1e-4):
        expected = np.maximum(expected, 0)  # the maps after the ReLU written as a layer of its own
    if not np.allclose(maps, expected, rtol=1e-3, atol=1e-4):
        fail("5.6", "these maps are not what the trained model's first layer gives for `image`.",
             "Run `image` (with a batch axis) through a model from model_adam's inputs to its "
             "first layer's output.")
    active = int(np.sum(expected.max(axis=(0, 1)) > 0))
    passed("5.6", f"32 feature maps of 26x26; {active} of them respond somewhere in this image.")


# --------------------------------------------------------------------------- 5.7


def exercise_5_7(history_deeper: Any, test_accuracy_deeper: Any, build_deeper_cnn: Any = None) -> None:
    """Exercise 5.7 (optional): ``build_deeper_cnn()`` gives two Conv2D(3x3, relu) +
    MaxPooling2D(2x2) blocks with 32 then 64 filters, then Flatten, Dense(100, relu),
    Dropout(0.5), Dense(10, softmax), compiled with Adam(learning_rate=0.001), categorical
    cross-entropy and accuracy; trained 10 epochs with batch 64, it reaches at least 99.0 %
    in full mode.

    Training it is optional (the notebook's ``TRAIN_DEEPER``): when ``history_deeper`` and
    ``test_accuracy_deeper`` are both still None, the builder alone is judged and the message
    says the network was not trained; once trained, the run is judged too.

    The builder is judged first, by calling it (when it is passed), so an unusable model fails
    here even when the training cell crashed on it. Accepts Sequential, ``Sequential.add``,
    functional and subclassed models, activations as layers of their own, losses and metrics
    as strings or objects. Rejects one block or three, swapped or other filter counts, padding
    'same', another head or order, another optimizer or learning rate (a schedule included),
    another loss, a channels-first or batch-in-shape input (before feeding it an image), a
    model trained twice, accuracies that are not the model's test accuracy.
    """
    __tracebackhide__ = True
    if build_deeper_cnn is not None or history_deeper is None:
        require_attempt("5.7", build_deeper_cnn=build_deeper_cnn)
        built = build_subclassed(call_builder("5.7", "build_deeper_cnn", build_deeper_cnn), (28, 28, 1))
        built_info = read_model("5.7", "what build_deeper_cnn() returns", built)
        _check_deeper("5.7", built_info)
        check_loss("5.7", built_info)
        _check_optimizer("5.7", built_info, "build_deeper_cnn()", "Adam")
        if history_deeper is None and test_accuracy_deeper is None:
            passed("5.7", f"build_deeper_cnn() builds the network asked for ({built.count_params():,} "
                          "parameters). It was not trained: set TRAIN_DEEPER = True in the cell above "
                          "to see it pass 99 %.")
            return
    require_attempt("5.7", history_deeper=history_deeper, test_accuracy_deeper=test_accuracy_deeper)
    info, model, logs, params = trained_model("5.7", history_deeper, "history_deeper")
    _check_deeper("5.7", info)
    check_loss("5.7", info)
    _check_optimizer("5.7", info, "history_deeper", "Adam")
    check_finite("5.7", "the deeper network", logs,
                 "Train on the scaled images x_train_4d (0..1) with the settings above.")
    check_epochs("5.7", "the deeper network", logs, mode.epochs(EPOCHS_DEEPER),
                 f"Train with num_epochs = {EPOCHS_DEEPER} through mode.epochs(num_epochs).")
    check_single_fit("5.7", "history_deeper", model, len(logs["loss"]), params.get("steps"))
    reported = as_accuracy("5.7", "test_accuracy_deeper", test_accuracy_deeper)
    x_test, y_test = _test_set()
    measured = check_reported_accuracy(
        "5.7", "test_accuracy_deeper", reported, model, x_test, y_test, logs,
        "Evaluate the deeper model on x_test_4d and y_test_onehot and keep the accuracy.")
    needed = FAST_FLOOR["deeper"] if _fast() else DEEPER_BAR
    if measured < needed:
        fail("5.7", f"the deeper network reaches {measured:.2%} on the test set, below {needed:.1%}.",
             "Check the inputs (x_train_4d, scaled to 0..1) and the settings above the fit.")
    note = " (fast mode)" if _fast() else ""
    passed("5.7", f"two convolution blocks reach {measured:.2%} on the test set{note}.")
