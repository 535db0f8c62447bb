"""Reading what a student hands in: runs, losses, reported accuracies.

Small helpers the checks share, so that every notebook judges the same answer the same way:

* :func:`check_single_fit` catches a model trained by more than the one ``fit`` its History
  shows (a training cell run twice), from the optimizer's own step counter;
* :func:`check_history_fits_model` holds a History to the model it claims to describe;
* :func:`cross_entropy` measures a model's loss on data itself (to judge a reported loss);
* :func:`count_mistake` names an accuracy that is a count, or a count divided by the wrong number;
* :func:`extra_layers` lists layers a network has besides the ones the prompt lists.

Example (needs Keras, so not run as a doctest):

    check_single_fit("2.7", "model", model, epochs=20, steps=1875,
                     hint="Run the cell that builds the model again, then fit once.")
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mnist_course.checks._core import fail

#: Layers that change nothing in a dense network on flat inputs, or only name its activation.
PLAIN_LAYERS = ("Dense", "Activation", "ReLU", "Softmax", "Flatten")


def optimizer_steps(model: Any) -> int | None:
    """How many training steps the model's optimizer has taken (``optimizer.iterations``).

    Example:
        >>> optimizer_steps(None) is None
        True
    """
    optimizer = getattr(model, "optimizer", None)
    try:
        return int(np.asarray(optimizer.iterations))
    except (AttributeError, TypeError, ValueError):
        return None


#: What to do when a model was trained by more than the ``fit`` its History shows.
REFIT_HINT = ("Train a freshly built model once: calling fit again (or running its cell a second time) "
              "continues training the same model, so build it again first.")


def check_single_fit(exercise: str, name: str, model: Any, epochs: int, steps: int | None,
                     hint: str = REFIT_HINT) -> None:
    """Fail when ``model`` took more steps than one run of ``epochs`` x ``steps``: fit ran again on it.

    A History only shows its own run, so a training cell run twice still shows the right number
    of epochs; the optimizer counts every step it ever took.
    """
    __tracebackhide__ = True
    taken = optimizer_steps(model)
    if taken is None or not steps:
        return
    if taken > epochs * steps:
        fail(exercise, f"{name} has been trained for more steps than its History shows: fit ran on it more than once.",
             hint)


def cross_entropy(model: Any, images: np.ndarray, labels: np.ndarray) -> float:
    """The mean categorical cross-entropy of ``model`` on ``images`` with digit ``labels``, as
    ``evaluate`` reports it.

    A compiled model is asked through ``evaluate`` itself (Keras computes the loss of a softmax
    layer from its scores, which no clipped probability reproduces); otherwise the loss is
    computed from the predicted probabilities, clipped to Keras's epsilon.
    """
    labels = np.asarray(labels, dtype=np.int64)
    if getattr(model, "compiled", False) and getattr(model, "optimizer", None) is not None:
        try:
            onehot = np.eye(int(np.prod(model.output_shape[1:])), dtype="float32")[labels]
            return float(model.evaluate(images, onehot, verbose=0, batch_size=1000, return_dict=True)["loss"])
        except Exception:  # another loss or output: measure it from the probabilities below
            pass
    scores = np.asarray(model.predict(images, verbose=0, batch_size=1000), dtype=np.float64)
    scores = scores.reshape(len(images), -1)
    scores = scores / scores.sum(axis=-1, keepdims=True)
    chosen = np.clip(scores[np.arange(len(labels)), labels], 1e-7, 1 - 1e-7)
    return float(-np.mean(np.log(chosen)))


def count_mistake(value: float, right: int, count: int, others: dict[str, int]) -> str | None:
    """What an accuracy ``value`` is when it is not ``right / count``: a count, or a share of another number.

    ``others`` maps words ("the training images") to other sizes the student may have divided by.

    Example:
        >>> count_mistake(9200.0, 9200, 10000, {})
        'the number of right answers, not their share'
        >>> count_mistake(9200 / 60000, 9200, 10000, {"the training images": 60000})
        'the right answers divided by the number of the training images'
    """
    if float(value).is_integer() and value == right:
        return "the number of right answers, not their share"
    for words, size in others.items():
        if size and size != count and abs(value * size - right) <= 1.01:
            return f"the right answers divided by the number of {words}"
    return None


def extra_layers(layers: list, allowed: tuple[str, ...] = PLAIN_LAYERS) -> list[str]:
    """The class names of ``layers`` that are not in ``allowed`` (Dropout, BatchNormalization, ...)."""
    return [type(layer).__name__ for layer in layers if type(layer).__name__ not in allowed]


#: How far a History's last validation accuracy may be from what its model measures on the same
#: images: the same weights on the same images differ only by float rounding, which moves a few
#: borderline images; a History of another run, or made-up numbers, is off by far more.
HISTORY_TOLERANCE = 0.01


def check_history_fits_model(exercise: str, name: str, model: Any, logs: dict,
                             candidates: list[tuple[np.ndarray, np.ndarray]]) -> None:
    """Fail unless the History's last validation accuracy is what ``model`` measures on its
    validation images (one of ``candidates``, pairs of images and digit labels, e.g. the
    validation split prepared the ways a correct notebook may prepare it).

    A run whose loss is not finite is left alone (a diverged model's predictions are NaN), and so
    is a History without validation accuracy (the check asks for it elsewhere).

    Example (needs a trained model, so not run as a doctest):

        check_history_fits_model("4.6", "sweep_histories[0]", model, logs, [(x_val, y_val)])
    """
    __tracebackhide__ = True
    from mnist_course.checks._model import accuracy_key, model_accuracy

    key = accuracy_key(logs, validation=True)
    losses = np.asarray(logs.get("loss", []), dtype=float)
    if key is None or not logs.get(key) or model is None or not np.all(np.isfinite(losses)):
        return
    reported = float(np.asarray(logs[key][-1], dtype=float))
    if not np.isfinite(reported):
        return
    for images, labels in candidates:
        try:
            measured = model_accuracy(model, images, labels)
        except Exception:  # another input shape: this candidate is not the run's data
            continue
        if abs(measured - reported) <= HISTORY_TOLERANCE:
            return
    fail(exercise, f"the History in {name} does not describe its model: its last validation accuracy "
                   f"is not what that model measures on the validation images.",
         "Keep the History that fit returns for this very model, and leave its numbers as they are.")
