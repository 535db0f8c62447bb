"""Checks for notebook 05, *Convolutional networks*.

Each compares the student's answer with what the notebook's own data give (the fast-mode
sample when fast mode is on), so the same check works in both modes. Checks of trained
models read the model from the ``History`` that ``fit`` returned (``history.model``) and
measure its test accuracy themselves; in full mode they hold it to the notebook's bar, in
fast mode to a lower floor.

Example:
    >>> from mnist_course.checks import nb05 as check              # doctest: +SKIP
    >>> check.exercise_5_1(x_train_4d, x_test_4d)                   # doctest: +SKIP
    ✔ Exercise 5.1 passed: ...
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from mnist_course import mode
from mnist_course.checks._core import fail, is_number, passed, require_attempt, to_array
from mnist_course.checks._keras import activation_name, as_accuracy, history_parts
from mnist_course.data import course_data

from mnist_course.checks._core import summary_for

#: ``check.summary()`` in the last cell of the notebook lists its exercises and their status.
summary = summary_for(__name__)

#: Full-mode test accuracy bars.
ADAM_BAR = 0.985
SGD_BAR = 0.95
DEEPER_BAR = 0.99
#: Fast-mode floors (2 epochs on a 10 % sample).
FAST_FLOOR = {"sgd": 0.60, "adam": 0.85, "deeper": 0.85}

CHANNELS_LAST = ("Keras's layers expect the channel axis last by default "
                 "(data_format='channels_last'): (images, height, width, channels).")


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


def _input_shape(model) -> tuple | None:
    inputs = getattr(model, "inputs", None)
    if not inputs:
        return None
    return tuple(inputs[0].shape)[1:]


def _check_input(exercise: str, model) -> None:
    __tracebackhide__ = True
    shape = _input_shape(model)
    if shape is None:
        fail(exercise, "the model has no input shape.",
             "Start the Sequential list with keras.Input(shape=(28, 28, 1)).")
    if shape == (1, 28, 28):
        fail(exercise, "the input shape is (1, 28, 28): channels first.", CHANNELS_LAST)
    if shape == (28, 28):
        fail(exercise, "the input shape (28, 28) has no channel axis.",
             "Conv2D wants (height, width, channels): keras.Input(shape=(28, 28, 1)).")
    if shape != (28, 28, 1):
        fail(exercise, f"the input shape is {shape}.",
             "One image is 28x28 with one channel: keras.Input(shape=(28, 28, 1)); the batch "
             "size is never part of it.")


def _check_final_layer(exercise: str, model) -> None:
    __tracebackhide__ = True
    last = model.layers[-1]
    if _kind(last) != "Dense" or last.units != 10 or activation_name(last) != "softmax":
        fail(exercise, "the last layer is not Dense(10, activation='softmax').",
             "The network ends with one probability per digit.")
    if len(tuple(model.outputs[0].shape)) != 2:
        fail(exercise, f"the output has shape {tuple(model.outputs[0].shape)}.",
             "Add a Flatten layer after the pooling: Dense layers act on the last axis only.")


def _check_conv(exercise: str, layer, position: str) -> None:
    __tracebackhide__ = True
    if _kind(layer) != "Conv2D":
        fail(exercise, f"the {position} layer is {_kind(layer)}, not Conv2D.",
             "The layers are Conv2D, MaxPooling2D, Flatten, Dropout, Dense(10).")
    if tuple(layer.kernel_size) != (3, 3):
        fail(exercise, f"the convolution's kernel is {tuple(layer.kernel_size)}.", "Use a 3x3 kernel: (3, 3).")
    if tuple(layer.strides) != (1, 1):
        fail(exercise, f"the convolution's strides are {tuple(layer.strides)}.",
             "Keep the default strides of 1.")
    if layer.padding != "valid":
        fail(exercise, f"the convolution uses padding='{layer.padding}'.",
             "Keep the default padding ('valid'), so each 3x3 window lies inside the image.")
    if activation_name(layer) != "relu":
        fail(exercise, f"the convolution's activation is {activation_name(layer)}.",
             "Give Conv2D activation='relu'.")
    if getattr(layer, "data_format", "channels_last") != "channels_last":
        fail(exercise, "the convolution is set to channels first.", CHANNELS_LAST)


def _check_pool(exercise: str, layer) -> None:
    __tracebackhide__ = True
    if _kind(layer) != "MaxPooling2D":
        fail(exercise, f"after the convolution comes {_kind(layer)}, not MaxPooling2D.",
             "Each convolution is followed by MaxPooling2D((2, 2)).")
    if tuple(layer.pool_size) != (2, 2):
        fail(exercise, f"the pooling window is {tuple(layer.pool_size)}.", "Use MaxPooling2D((2, 2)).")


def _check_head(exercise: str, layers: list, model) -> None:
    """What follows the last pooling layer: Flatten, Dropout, at most one hidden Dense, Dense(10).
    A Dropout may also sit between the pooling and Flatten."""
    __tracebackhide__ = True
    kinds = [_kind(layer) for layer in layers]
    if "Flatten" not in kinds:
        fail(exercise, "there is no Flatten layer.",
             "Add layers.Flatten() after the pooling, so the Dense layer sees one vector per image.")
    if not any(_kind(layer) == "Dropout" for layer in model.layers):
        fail(exercise, "there is no Dropout layer.",
             "Add layers.Dropout(...) after Flatten; it switches off random units while training.")
    for layer in model.layers:
        if _kind(layer) == "Dropout" and not 0 < layer.rate < 1:
            fail(exercise, f"the dropout rate is {layer.rate}.", "A dropout rate is between 0 and 1, e.g. 0.5.")
    hidden = [layer for layer in layers[:-1] if _kind(layer) == "Dense"]
    if len(hidden) > 1:
        fail(exercise, f"there are {len(hidden)} hidden Dense layers.",
             "Use at most one hidden Dense layer (such as Dense(100, activation='relu')) before the output.")
    for layer in hidden:
        if activation_name(layer) != "relu":
            fail(exercise, f"the hidden Dense layer uses {activation_name(layer)}.",
                 "Give the hidden Dense layer activation='relu'.")
    allowed = {"Flatten", "Dropout", "Dense"}
    others = [kind for kind in kinds if kind not in allowed]
    if others:
        fail(exercise, f"the network has extra layers: {', '.join(others)}.",
             "Keep to Conv2D, MaxPooling2D, Flatten, Dropout and Dense.")


def _split_blocks(exercise: str, model, blocks: int) -> list:
    """Check ``blocks`` Conv2D + MaxPooling2D pairs at the start; return the layers after them."""
    __tracebackhide__ = True
    layers = list(model.layers)
    # Dropout between the blocks is fine; set it aside while reading the blocks.
    core = [layer for layer in layers if not (_kind(layer) == "Dropout" and
                                              layers.index(layer) < _first_flatten(layers))]
    convs = [layer for layer in core if _kind(layer) == "Conv2D"]
    if len(convs) != blocks:
        count = "one convolution" if blocks == 1 else f"{blocks} convolution/pooling blocks"
        fail(exercise, f"the network has {len(convs)} Conv2D layer{'s' if len(convs) != 1 else ''}.",
             f"This network has {count}.")
    for index in range(blocks):
        position = "first" if index == 0 else "second"
        if len(core) < 2 * index + 2:
            fail(exercise, "the network is shorter than expected.",
                 "Each block is Conv2D then MaxPooling2D((2, 2)).")
        conv, pool = core[2 * index], core[2 * index + 1]
        _check_conv(exercise, conv, position)
        _check_pool(exercise, pool)
    return core[2 * blocks:]


def _first_flatten(layers: list) -> int:
    for index, layer in enumerate(layers):
        if _kind(layer) == "Flatten":
            return index
    return len(layers)


def _check_cnn(exercise: str, model) -> None:
    """The notebook's network: Conv2D(32, 3x3, relu), MaxPooling2D(2x2), Flatten, Dropout,
    an optional hidden Dense(relu), Dense(10, softmax), on (28, 28, 1) inputs."""
    __tracebackhide__ = True
    _check_input(exercise, model)
    rest = _split_blocks(exercise, model, blocks=1)
    if model.layers[0].filters != 32:
        fail(exercise, f"the convolution has {model.layers[0].filters} filters.", "Use 32 filters.")
    _check_head(exercise, rest, model)
    _check_final_layer(exercise, model)


def _loss_name(model) -> str:
    loss = getattr(model, "loss", None)
    if isinstance(loss, str):
        return loss.lower()
    name = getattr(loss, "name", None) or getattr(loss, "__name__", None) or type(loss).__name__
    return str(name).lower()


def _check_compiled(exercise: str, model) -> None:
    __tracebackhide__ = True
    if getattr(model, "optimizer", None) is None or getattr(model, "loss", None) is None:
        fail(exercise, "the model is not compiled.",
             "Call model.compile(optimizer=..., loss=..., metrics=['accuracy']) before returning it.")
    loss = _loss_name(model)
    if "sparse" in loss:
        fail(exercise, "the loss is sparse categorical cross-entropy.",
             "The labels here are one-hot (y_train_onehot): use loss='categorical_crossentropy'.")
    if "categorical" not in loss or "crossentropy" not in loss.replace("_", ""):
        fail(exercise, f"the loss is {loss}.",
             "Classifying ten digits with one-hot labels: loss='categorical_crossentropy'.")
    metrics = model.get_compile_config().get("metrics") if hasattr(model, "get_compile_config") else None
    names = [str(_metric_name(metric)) for metric in _flatten_metrics(metrics)]
    if not any("acc" in str(name).lower() for name in names):
        fail(exercise, "the model does not measure accuracy.",
             "Pass metrics=['accuracy'] to compile, so fit and evaluate report it.")


def _flatten_metrics(metrics: Any) -> list:
    """Compile's metrics as one list (they may be given per output, as a list or a dict)."""
    if metrics is None:
        return []
    if isinstance(metrics, dict) and "class_name" not in metrics:
        metrics = list(metrics.values())
    if not isinstance(metrics, (list, tuple)):
        return [metrics]
    flat = []
    for metric in metrics:
        flat.extend(_flatten_metrics(metric) if isinstance(metric, (list, tuple)) else [metric])
    return flat


def _metric_name(metric: Any) -> str:
    if isinstance(metric, str):
        return metric
    if isinstance(metric, dict):  # a serialised metric object
        return metric.get("config", {}).get("name") or metric.get("class_name", "")
    return getattr(metric, "name", None) or getattr(metric, "__name__", "") or type(metric).__name__


def _test_accuracy(model) -> float:
    _, (x_test, y_test) = _reference()
    probabilities = np.asarray(model.predict(_images_4d(x_test), verbose=0, batch_size=500))
    return float(np.mean(probabilities.argmax(-1) == y_test))


def _check_reported(exercise: str, name: str, reported: float, measured: float) -> None:
    __tracebackhide__ = True
    if abs(reported - measured) > 0.003:
        fail(exercise, f"{name} ({reported:.2%}) is not what its model gets on the test set "
                       f"({measured:.2%}).",
             "Evaluate that model on x_test_4d and y_test_onehot and keep the accuracy.")


def _check_run(exercise: str, name: str, logs: dict, params: dict, num_epochs: int,
               batch_size: int | None = 32) -> None:
    __tracebackhide__ = True
    if not np.all(np.isfinite(np.asarray(logs["loss"], dtype=float))):
        fail(exercise, f"the loss of {name} became NaN.",
             "Train on the scaled images x_train_4d (0..1); check the learning rate.")
    if len(logs["loss"]) != mode.epochs(num_epochs):
        count = len(logs["loss"])
        fail(exercise, f"{name} ran {count} epoch{'s' if count != 1 else ''}.",
             f"Train with num_epochs = {num_epochs} through mode.epochs(num_epochs).")
    if batch_size is not None:
        (x_train, _), _ = _reference()
        expected = math.ceil(len(x_train) / batch_size)
        if params.get("steps") not in (None, expected):
            fail(exercise, f"each epoch of {name} took {params.get('steps')} steps.",
                 f"Use batch_size = {batch_size} on all of x_train_4d, without a validation split.")


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
             "Each side shrinks by kernel size minus one (28 - 3 + 1); the channels are the filters.")
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
    if not is_number(flat_size) or not float(np.asarray(flat_size)).is_integer():
        fail("5.2", "flat_size is not a whole number.", "Flatten makes one vector: how many values does it hold?")
    size = int(np.asarray(flat_size))
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
    it is given: Conv2D(32, (3, 3), relu) -> MaxPooling2D((2, 2)) -> Flatten -> Dropout ->
    (optionally Dense(100, relu)) -> Dense(10, softmax), on (28, 28, 1) inputs, with
    categorical cross-entropy and accuracy.

    Calls the function twice with fresh optimizers. Rejects a model instead of a function,
    an ignored optimizer argument, a missing Input, channels first, padding 'same', a
    missing Flatten or Dropout, another head, the sparse loss, no accuracy metric.
    """
    __tracebackhide__ = True
    require_attempt("5.3", build_cnn=build_cnn)
    if hasattr(build_cnn, "layers") or not callable(build_cnn):
        fail("5.3", "build_cnn is not a function.",
             "Define it with def build_cnn(optimizer): ... and return the compiled model.")
    import keras

    models = []
    for optimizer in (keras.optimizers.SGD(learning_rate=0.01), keras.optimizers.Adam()):
        try:
            model = build_cnn(optimizer)
        except TypeError as error:
            fail("5.3", f"build_cnn(optimizer) failed: {error}.",
                 "The function takes one argument, the optimizer: def build_cnn(optimizer).")
        if model is None:
            fail("5.3", "build_cnn returns None.", "End the function with return model.")
        if not hasattr(model, "layers"):
            fail("5.3", f"build_cnn returns a {type(model).__name__}, not a model.",
                 "Return the keras.Sequential model you built.")
        _check_cnn("5.3", model)
        _check_compiled("5.3", model)
        if model.optimizer is not optimizer:
            fail("5.3", "the model is not compiled with the optimizer passed to build_cnn.",
                 "Use the argument: model.compile(optimizer=optimizer, ...).")
        models.append(model)
    if models[0] is models[1]:
        fail("5.3", "build_cnn returns the same model object twice.",
             "Build a new model inside the function each time it is called.")
    passed("5.3", f"the network has the expected layers and {models[0].count_params():,} parameters.")


# --------------------------------------------------------------------------- 5.4


def _check_optimizer(exercise: str, model, name: str, expected: str) -> None:
    __tracebackhide__ = True
    optimizer = model.optimizer
    kind = type(optimizer).__name__
    if kind != expected:
        fail(exercise, f"{name} was trained with {kind}, not {expected}.",
             f"Build that model with build_cnn(keras.optimizers.{expected}(...)).")
    if expected == "SGD":
        rate = float(np.asarray(optimizer.learning_rate))
        if not math.isclose(rate, 0.01, rel_tol=1e-4):
            fail(exercise, f"the SGD learning rate is {rate:g}.", "Use SGD(learning_rate=0.01).")
        if optimizer.get_config().get("momentum", 0):
            fail(exercise, "the SGD optimizer uses momentum.", "Use plain SGD(learning_rate=0.01).")


def exercise_5_4(history_sgd: Any, history_adam: Any, test_accuracy_sgd: Any,
                 test_accuracy_adam: Any) -> None:
    """Exercise 5.4: the network of 5.3 trained twice, with SGD(learning_rate=0.01) and with
    Adam, batch 32, 10 epochs, on all training images; each test accuracy measured.

    Reads each model from its History and measures its test accuracy itself. Full mode:
    Adam at least 98.5 %, SGD at least 95 %. Rejects swapped optimizers, another batch size
    or a validation split, fewer epochs, accuracies that do not match their model.
    """
    __tracebackhide__ = True
    require_attempt("5.4", history_sgd=history_sgd, history_adam=history_adam,
                    test_accuracy_sgd=test_accuracy_sgd, test_accuracy_adam=test_accuracy_adam)
    results = {}
    for label, history, value, optimizer in (("history_sgd", history_sgd, test_accuracy_sgd, "SGD"),
                                             ("history_adam", history_adam, test_accuracy_adam, "Adam")):
        model, logs, params = history_parts("5.4", history, label)
        _check_cnn("5.4", model)
        _check_optimizer("5.4", model, label, optimizer)
        _check_run("5.4", label, logs, params, num_epochs=10)
        name = "test_accuracy_" + optimizer.lower()
        reported = as_accuracy("5.4", name, value)
        measured = _test_accuracy(model)
        _check_reported("5.4", name, reported, measured)
        results[optimizer] = measured
    if history_sgd is history_adam:
        fail("5.4", "history_sgd and history_adam are the same run.", "Train two models, one per optimizer.")
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
    if not is_number(index) or not float(np.asarray(index)).is_integer():
        fail("5.5", "index is not a whole number.", "Keep the index chosen in the cell above.")
    _, (x_test, y_test) = _reference()
    index = int(np.asarray(index))
    image = _images_4d(x_test[index:index + 1])
    expected = np.asarray(model.predict(image, verbose=0))[0]
    given = to_array("5.5", "probabilities", probabilities).astype(float)
    if given.shape == (1, 10):
        given = given[0]
    if given.shape != (10,):
        fail("5.5", f"probabilities has shape {given.shape}.",
             "Predict on a batch of one image, x_test_4d[index:index + 1]: the result has shape (1, 10).")
    if not np.allclose(given, expected, atol=1e-4):
        fail("5.5", "these are not the model's probabilities for test image `index`.",
             "Predict on x_test_4d[index:index + 1] with the trained model.")
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
    layer. Rejects channels moved first, the pooling layer's or the whole model's output,
    maps of another image or of an untrained model.
    """
    __tracebackhide__ = True
    require_attempt("5.6", feature_maps=feature_maps)
    if not hasattr(model, "layers") or not model.layers or _kind(model.layers[0]) != "Conv2D":
        fail("5.6", "the model's first layer is not Conv2D.", "Pass the trained model, model_adam.")
    import keras

    picture = to_array("5.6", "image", image).astype(np.float32)
    if picture.shape in ((28, 28), (28, 28, 1)):
        picture = picture.reshape(1, 28, 28, 1)
    if picture.shape != (1, 28, 28, 1):
        fail("5.6", f"image has shape {picture.shape}.", "Use one test image, such as x_test_4d[index].")
    extractor = keras.Model(inputs=model.inputs, outputs=model.layers[0].output)
    expected = np.asarray(extractor.predict(picture, verbose=0))[0]
    maps = to_array("5.6", "feature_maps", feature_maps).astype(float)
    if maps.shape == (1, 26, 26, 32):
        maps = maps[0]
    if maps.shape in ((32, 26, 26), (1, 32, 26, 26)):
        fail("5.6", f"feature_maps has shape {maps.shape}: channels first.",
             "Keep the layout Keras returns, channels last: (1, 26, 26, 32) or (26, 26, 32).")
    if maps.shape in ((1, 13, 13, 32), (13, 13, 32)):
        fail("5.6", "these are the pooling layer's maps.",
             "Take the output of the first layer, the convolution (model.layers[0]).")
    if maps.shape in ((1, 10), (10,)):
        fail("5.6", "this is the output of the whole model.",
             "Build a model that ends at the first layer: keras.Model(inputs=model.inputs, outputs=...).")
    if maps.shape != (26, 26, 32):
        fail("5.6", f"feature_maps has shape {maps.shape}.",
             "The first layer gives 32 maps of 26x26 for one image.")
    if not np.allclose(maps, expected, rtol=1e-3, atol=1e-4):
        fail("5.6", "these maps are not what the trained model's first layer gives for `image`.",
             "Run `image` (with a batch axis) through a model from model.inputs to the first "
             "layer's output of the trained model.")
    active = int(np.sum(expected.max(axis=(0, 1)) > 0))
    passed("5.6", f"32 feature maps of 26x26; {active} of them respond somewhere in this image.")


# --------------------------------------------------------------------------- 5.7


def exercise_5_7(history_deeper: Any, test_accuracy_deeper: Any) -> None:
    """Exercise 5.7 (optional): ``build_deeper_cnn()`` gave two Conv2D(3x3, relu) +
    MaxPooling2D(2x2) blocks, then Flatten, Dropout, an optional hidden Dense, Dense(10,
    softmax), compiled; after training it reaches at least 99.0 % in full mode.

    Accepts any filter counts and a Dropout between the blocks. Rejects one block, three
    blocks, padding 'same', accuracies that do not match the model.
    """
    __tracebackhide__ = True
    require_attempt("5.7", history_deeper=history_deeper, test_accuracy_deeper=test_accuracy_deeper)
    model, logs, _ = history_parts("5.7", history_deeper, "history_deeper")
    _check_input("5.7", model)
    rest = _split_blocks("5.7", model, blocks=2)
    _check_head("5.7", rest, model)
    _check_final_layer("5.7", model)
    if not np.all(np.isfinite(np.asarray(logs["loss"], dtype=float))):
        fail("5.7", "the loss became NaN.", "Lower the learning rate of the optimizer in build_deeper_cnn.")
    reported = as_accuracy("5.7", "test_accuracy_deeper", test_accuracy_deeper)
    measured = _test_accuracy(model)
    _check_reported("5.7", "test_accuracy_deeper", reported, measured)
    needed = FAST_FLOOR["deeper"] if _fast() else DEEPER_BAR
    if measured < needed:
        fail("5.7", f"the deeper network reaches {measured:.2%} on the test set, below {needed:.1%}.",
             "Compile it with Adam, and check the filter counts and the dropout rate.")
    note = " (fast mode)" if _fast() else ""
    passed("5.7", f"two convolution blocks reach {measured:.2%} on the test set{note}.")
