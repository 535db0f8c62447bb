"""One place that reads a Keras model for the checks, whatever API built it.

A model may come from ``keras.Sequential([keras.Input(...), ...])``, ``Sequential.add``,
the functional API (``keras.Input`` -> layers -> ``keras.Model(inputs, outputs)``), a
subclass, or nest another model; it may be compiled with strings or objects. Every check
that looks at a model reads it through :func:`read_model`, so all of them accept the same
ways of writing the same network, and through :func:`accuracy_key` to find the accuracy a
History logged under whatever name Keras gave it.

Example (needs Keras, so not run as a doctest):

    import keras
    model = keras.Sequential([keras.Input((784,)), keras.layers.Dense(10, "softmax")])
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="categorical_crossentropy",
                  metrics=[keras.metrics.CategoricalAccuracy()])
    info = read_model("2.4", "model", model)
    info.layer_types, info.loss, info.optimizer, info.metrics
    # (['Dense'], 'categorical_crossentropy', 'sgd', ['categorical_accuracy'])
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mnist_course.checks._core import call_student, fail

#: Loss names as Keras spells them, keyed by the name without underscores or case.
_LOSSES = {
    "categoricalcrossentropy": "categorical_crossentropy",
    "sparsecategoricalcrossentropy": "sparse_categorical_crossentropy",
    "binarycrossentropy": "binary_crossentropy",
    "meansquarederror": "mean_squared_error",
    "mse": "mean_squared_error",
    "meanabsoluteerror": "mean_absolute_error",
    "mae": "mean_absolute_error",
    "categoricalhinge": "categorical_hinge",
    "hinge": "hinge",
    "kldivergence": "kl_divergence",
    "kld": "kl_divergence",
}


@dataclass
class ModelInfo:
    """What the checks need to know about a model, read once.

    ``layers`` lists the model's layers in order, without input layers, with nested models
    expanded; ``activations`` gives each layer's activation name (``""`` for none).
    """

    layers: list = field(default_factory=list)
    input_shape: tuple | None = None
    output_shape: tuple | None = None
    compiled: bool = False
    loss: str = ""
    from_logits: bool = False
    optimizer: str = ""
    learning_rate: float = math.nan
    momentum: float = 0.0
    nesterov: bool = False
    metrics: list[str] = field(default_factory=list)
    #: The class name of a learning-rate schedule (``"ExponentialDecay"``), ``""`` for a fixed
    #: rate; with a schedule, ``learning_rate`` is only the rate at the current step.
    schedule: str = ""

    @property
    def layer_types(self) -> list[str]:
        """The class names of the layers, e.g. ``["Flatten", "Dense", "Dense"]``."""
        return [type(layer).__name__ for layer in self.layers]

    def of_type(self, *names: str) -> list:
        """The layers whose class name is one of ``names``."""
        return [layer for layer in self.layers if type(layer).__name__ in names]

    @property
    def structure(self) -> list:
        """The layers with every activation written as a layer of its own folded into the layer
        before it: ``Dense(128)`` then ``ReLU()`` (or ``Activation("relu")``) is one entry, the
        Dense layer, whose :meth:`activation` is ``"relu"``. An activation layer after a layer
        that already has one, or first in the model, stays an entry of its own.
        """
        return [layer for layer, _ in _folded(self.layers)]

    def activation(self, layer: Any) -> str:
        """The activation of ``layer`` in :attr:`structure`, a separate activation layer included.

        Example (needs Keras, so not run as a doctest):

            info = read_model("4.4", "model", keras.Sequential([keras.Input((784,)),
                              layers.Dense(128), layers.ReLU(), layers.Dense(10, "softmax")]))
            [info.activation(layer) for layer in info.structure]   # ['relu', 'softmax']
        """
        for each, name in _folded(self.layers):
            if each is layer:
                return name
        return activation_name(layer)

    @property
    def has_accuracy(self) -> bool:
        """True when the model was compiled with some accuracy metric."""
        return any("acc" in name for name in self.metrics)


def activation_name(layer_or_function: Any) -> str:
    """The name of an activation (``"relu"``, ``"softmax"``; ``"linear"`` for none).

    Example:
        >>> activation_name(None)
        'linear'
    """
    function = getattr(layer_or_function, "activation", layer_or_function)
    if function is None:
        return "linear"
    if isinstance(function, str):
        name = function
    else:
        name = getattr(function, "__name__", None) or type(function).__name__
    name = name.lower()
    return "linear" if name in ("linear", "none", "identity") else name


#: Layers that only apply an activation function.
ACTIVATION_LAYERS = ("Activation", "ReLU", "Softmax", "LeakyReLU", "ELU", "PReLU")


def _folded(layers: list) -> list[tuple[Any, str]]:
    """``(layer, activation name)`` with activation layers folded into a linear layer before them."""
    folded: list[list] = []
    for layer in layers:
        kind = type(layer).__name__
        if (kind in ACTIVATION_LAYERS and folded and folded[-1][1] == "linear"
                and hasattr(folded[-1][0], "activation")):
            folded[-1][1] = activation_name(layer)
        else:
            folded.append([layer, activation_name(layer) if hasattr(layer, "activation")
                           or kind in ACTIVATION_LAYERS else ""])
    return [(layer, name) for layer, name in folded]


def _flat_layers(model: Any) -> list:
    import keras

    found = []
    for layer in getattr(model, "layers", []):
        if isinstance(layer, keras.layers.InputLayer):
            continue
        if isinstance(layer, keras.Model):
            found.extend(_flat_layers(layer))
        else:
            found.append(layer)
    return found


def _built_input_shape(model: Any) -> Any:
    """The input shape a subclassed model was built or first called with (batch axis included)."""
    shapes = getattr(model, "_build_shapes_dict", None)
    if isinstance(shapes, Mapping) and len(shapes) == 1:
        shape = next(iter(shapes.values()))
        if isinstance(shape, (tuple, list)) and all(size is None or isinstance(size, int) for size in shape):
            return tuple(shape)
    return None


def _shape(model: Any, attribute: str) -> tuple | None:
    try:
        shape = getattr(model, attribute)
    except (AttributeError, ValueError):
        shape = _built_input_shape(model) if attribute == "input_shape" else None
        if shape is None:
            return None
    if isinstance(shape, list) and shape and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    return tuple(shape[1:]) if shape is not None else None


def _canonical_loss(loss: Any) -> str:
    if loss is None:
        return ""
    if isinstance(loss, str):
        name = loss
    elif hasattr(loss, "fn") and hasattr(loss.fn, "__name__"):
        name = loss.fn.__name__
    elif isinstance(getattr(loss, "name", None), str):
        name = loss.name
    else:
        name = getattr(loss, "__name__", None) or type(loss).__name__
    key = name.replace("_", "").lower()
    return _LOSSES.get(key, name.lower())


def _metric_names(model: Any) -> list[str]:
    """The metric names as Keras will log them (``"accuracy"``, ``"categorical_accuracy"``)."""
    try:
        metrics = model.get_compile_config().get("metrics")
    except (AttributeError, TypeError):
        metrics = None
    names = []

    def visit(item: Any) -> None:
        if item is None:
            return
        if isinstance(item, (list, tuple)):
            for each in item:
                visit(each)
        elif isinstance(item, Mapping):
            if "config" in item and isinstance(item["config"], Mapping):
                names.append(str(item["config"].get("name", item.get("class_name", ""))))
            elif "class_name" in item:
                names.append(str(item["class_name"]))
            else:
                for each in item.values():
                    visit(each)
        elif isinstance(item, str):
            names.append(item)
        else:
            names.append(str(getattr(item, "name", None) or getattr(item, "__name__", type(item).__name__)))

    visit(metrics)
    return [name.lower() for name in names]


def read_model(exercise: str, name: str, model: Any) -> ModelInfo:
    """Read ``model`` once; fail the check with a hint if it is not a built Keras model.

    Example:
        >>> read_model("2.4", "model", "not a model")          # doctest: +SKIP
        Traceback (most recent call last):
        ...
        CheckFailed: Exercise 2.4: model is a str, not a Keras model. ...
    """
    __tracebackhide__ = True
    import keras

    if isinstance(model, type) or (callable(model) and not isinstance(model, keras.Model)):
        fail(exercise, f"{name} is a function or class, not a model.",
             "Call it to get the model it builds (add the parentheses).")
    if not isinstance(model, keras.Model):
        fail(exercise, f"{name} is a {type(model).__name__}, not a Keras model.",
             "Build it with keras.Sequential([...]) or keras.Model(inputs, outputs).")
    info = ModelInfo(layers=_flat_layers(model), input_shape=_shape(model, "input_shape"),
                     output_shape=_shape(model, "output_shape"))
    optimizer = getattr(model, "optimizer", None)
    info.compiled = bool(getattr(model, "compiled", False)) and optimizer is not None
    if info.compiled:
        info.loss = _canonical_loss(getattr(model, "loss", None))
        try:
            info.from_logits = bool(model.loss.get_config().get("from_logits", False))
        except AttributeError:
            info.from_logits = False
        info.optimizer = type(optimizer).__name__.lower()
        try:
            info.learning_rate = float(np.asarray(optimizer.learning_rate))
        except (TypeError, ValueError, AttributeError):  # a schedule: no single rate
            info.learning_rate = math.nan
        import keras

        rate = getattr(optimizer, "_learning_rate", None)
        if isinstance(rate, keras.optimizers.schedules.LearningRateSchedule) or callable(rate) and \
                not hasattr(rate, "numpy"):
            info.schedule = type(rate).__name__
        info.momentum = float(getattr(optimizer, "momentum", 0.0) or 0.0)
        info.nesterov = bool(getattr(optimizer, "nesterov", False))
        info.metrics = _metric_names(model)
    return info


def build_subclassed(model: Any, input_shape: tuple) -> Any:
    """Call a subclassed model that has not seen any input yet on one blank input of
    ``input_shape`` (without the batch axis), as ``fit`` would, so that its input shape and
    layers can be read; models of the other APIs, and built ones, are left as they are.

    Example (needs Keras, so not run as a doctest):

        build_subclassed(MyModel(), (28, 28, 1))     # then read_model(...).input_shape == (28, 28, 1)
    """
    if type(model).__name__ in ("Sequential", "Functional") or _built_input_shape(model) is not None:
        return model
    try:
        model(np.zeros((1, *input_shape), dtype="float32"))
    except Exception:  # the model's own error shows when the check reads or uses it
        pass
    return model


def require_built(exercise: str, name: str, info: ModelInfo, input_shape: tuple) -> None:
    """Fail unless the model knows its input size and it is ``input_shape``."""
    __tracebackhide__ = True
    if info.input_shape is None:
        fail(exercise, f"{name} does not know its input size yet.",
             f"Start it with keras.Input(shape=...) (older code used input_shape= on the first layer).")
    if tuple(info.input_shape) != tuple(input_shape):
        fail(exercise, f"{name} expects inputs of shape {info.input_shape}, not {tuple(input_shape)}.",
             "Look at the shape of the training array it is fed, without the first (batch) axis.")


def accuracy_key(logs: Mapping[str, Any], validation: bool = False) -> str | None:
    """The key under which a History logged accuracy (``val_`` ones when ``validation``).

    Keras logs ``metrics=["accuracy"]`` as ``accuracy``, ``["acc"]`` as ``acc`` and a metric
    object under its own name, e.g. ``categorical_accuracy``.

    Example:
        >>> accuracy_key({"loss": [1], "categorical_accuracy": [0.9]})
        'categorical_accuracy'
        >>> accuracy_key({"loss": [1], "val_loss": [1], "val_accuracy": [0.8]}, validation=True)
        'val_accuracy'
    """
    preferred = ("accuracy", "acc", "categorical_accuracy", "sparse_categorical_accuracy")
    prefix = "val_" if validation else ""
    for key in preferred:
        if prefix + key in logs:
            return prefix + key
    for key in logs:
        bare = key[4:] if key.startswith("val_") else key
        if key.startswith("val_") == validation and "acc" in bare and "top" not in bare:
            return key
    return None


def predicted_classes(model: Any, x: np.ndarray, batch_size: int = 1000) -> np.ndarray:
    """The most probable class of every image, from ``model.predict``."""
    scores = np.asarray(model.predict(x, verbose=0, batch_size=batch_size))
    return scores.reshape(len(x), -1).argmax(-1)


def model_accuracy(model: Any, x: np.ndarray, labels: np.ndarray) -> float:
    """Share of images whose predicted class is their label (labels as digits or one-hot).

    It is what ``model.evaluate`` reports as accuracy, up to the float32 rounding of batched
    sums; compare a reported accuracy with it to :data:`ACCURACY_TOLERANCE`.
    """
    labels = np.asarray(labels)
    if labels.ndim == 2:
        labels = labels.argmax(-1)
    return float(np.mean(predicted_classes(model, x) == labels))


def accuracy_tolerance(count: int) -> float:
    """How far an accuracy that ``evaluate`` reports may differ from :func:`model_accuracy`.

    Both count the same right answers; they differ only by float32 rounding and by ties in
    argmax, at most about one image. A reported figure further away than one flipped image
    (``1.5 / count``) plus that slack was measured on other data.

    Example:
        >>> round(accuracy_tolerance(10_000), 6)
        0.00025
    """
    return 1.5 / count + 1e-4


def dense_stack(info: ModelInfo) -> list[tuple[int, str]]:
    """``(units, activation name)`` of each Dense layer, in order.

    An activation written as a layer of its own (``Activation("relu")``, ``ReLU()``,
    ``Softmax()``) right after a Dense layer is folded into it, so
    ``Dense(32, activation="relu")`` and ``Dense(32)`` followed by ``ReLU()`` read the same.

    Example (needs Keras, so not run as a doctest):

        model = keras.Sequential([keras.Input((784,)), keras.layers.Dense(32),
                                  keras.layers.ReLU(), keras.layers.Dense(10, "softmax")])
        dense_stack(read_model("3.2", "model", model))   # [(32, 'relu'), (10, 'softmax')]
    """
    stack: list[list] = []
    for layer in info.layers:
        kind = type(layer).__name__
        if kind == "Dense":
            stack.append([int(layer.units), activation_name(layer)])
        elif kind in ("Activation", "ReLU", "Softmax") and stack and stack[-1][1] == "linear":
            stack[-1][1] = activation_name(layer)
    return [(units, activation) for units, activation in stack]


def accuracy_bar(bars: tuple[float, float]) -> tuple[float, str]:
    """The test accuracy a trained model must reach in this mode, and words naming the mode.

    ``bars`` is ``(full mode, fast mode)``: in fast mode a model sees a tenth of the data for
    at most two epochs, so it is held to a lower floor.

    Example:
        >>> accuracy_bar((0.98, 0.75))   # doctest: +SKIP
        (0.75, 'in fast mode')
    """
    from mnist_course import mode

    return (bars[1], "in fast mode") if mode.is_fast_mode() else (bars[0], "on the full data")


def call_builder(exercise: str, name: str, build: Any) -> Any:
    """Call a student's model builder (``def build_mlp(): ... return model``) twice, without
    arguments, through :func:`~mnist_course.checks._core.call_student`; return the first model.

    Fails with a hint when ``build`` is a model instead of a function, needs arguments,
    returns None, or returns the same model at every call; its stub is "not attempted".

    Example (needs Keras, so not run as a doctest):

        model = call_builder("3.2", "build_classic_mlp", build_classic_mlp)
    """
    __tracebackhide__ = True
    import keras

    if isinstance(build, keras.Model) or not callable(build):
        fail(exercise, f"{name} is a {type(build).__name__}, not a function.",
             f"Define it with def {name}(): ..., ending in return model.")
    try:
        parameters = inspect.signature(build).parameters.values()
    except (TypeError, ValueError):  # a builtin or an odd callable: just call it
        parameters = []
    needed = [p.name for p in parameters if p.default is p.empty
              and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    if needed:
        fail(exercise, f"{name}() needs arguments ({', '.join(needed)}), but it is called without any.",
             "Write every setting into the function as a number, so it needs no arguments.")
    hint = "Read the error and the line of your function it points to."
    model = call_student(exercise, name, build, hint=hint)
    if model is None:
        fail(exercise, f"{name}() returns None.", "End the function with return model.")
    again = call_student(exercise, name, build, hint=hint)
    if model is again:
        fail(exercise, f"{name}() returns the same model at every call.",
             "Build, compile and return a new model inside the function.")
    return model
