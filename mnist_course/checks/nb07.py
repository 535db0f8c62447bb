"""Checks for notebook 07, *Going further*: Fashion-MNIST, saving a model, your own digits.

The checks compare with the notebook's own data (``course_data("fashion")``, the fast-mode
sample when fast mode is on) and run the student's models on it, so one check works in both
modes; a trained model must clear a lower bar in fast mode, where it sees a tenth of the
data for two epochs.

Example:
    >>> from mnist_course.checks import nb07 as check                  # doctest: +SKIP
    >>> check.exercise_7_1(fashion_model, fashion_inputs_test)         # doctest: +SKIP
    ✔ Exercise 7.1 passed: ...
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from mnist_course import mode
from mnist_course.checks._core import close, fail, is_number, number, passed, require_attempt, to_array
from mnist_course.checks._model import accuracy_key, read_model
from mnist_course.data import FASHION_CLASS_NAMES, course_data

from mnist_course.checks._core import summary_for

#: ``check.summary()`` in the last cell of the notebook lists its exercises and their status.
summary = summary_for(__name__)

NUM_CLASSES = 10
#: Test accuracy a Fashion-MNIST model must reach: (fast mode, full mode).
FASHION_BARS = (0.70, 0.85)
#: Below this a model is no better than guessing, whatever the mode.
CHANCE_BAR = 0.25
#: A network trained on clothes from fresh weights reads about 9 % of the MNIST test digits
#: as their own class numbers (measured, fast mode); one that started from the MNIST network's
#: weights still reads over half of them after its Fashion training (56 % in fast mode).
WARM_START_BAR = 0.35
#: The MNIST network's settings, which 7.1 repeats on Fashion-MNIST.
LEARNING_RATE = 0.001
BATCH_SIZE = 32
NUM_EPOCHS = 3
VALIDATION_SPLIT = 0.1


def _fashion():
    data = course_data("fashion")
    return data.train, data.test


def _fashion_bar() -> float:
    return FASHION_BARS[0] if mode.is_fast_mode() else FASHION_BARS[1]


def _is_model(value: Any) -> bool:
    return callable(getattr(value, "predict", None)) and hasattr(value, "layers")


def _require_model(exercise: str, name: str, value: Any) -> None:
    __tracebackhide__ = True
    if not _is_model(value):
        fail(exercise, f"{name} is a {type(value).__name__}, not a Keras model.",
             f"Store the model itself in {name} (what build_model() or load_model() returns), "
             f"not the History that fit() returns or a number.")


def _predict(exercise: str, name: str, model: Any, inputs: np.ndarray) -> np.ndarray:
    """Run ``model`` on ``inputs``; fail with a hint when the shapes do not fit."""
    __tracebackhide__ = True
    expected = read_model(exercise, name, model).input_shape
    if expected is not None and (len(expected) != inputs.ndim - 1 or any(
            size is not None and int(size) != given for size, given in zip(expected, inputs.shape[1:]))):
        fail(exercise, f"{name} takes inputs of shape {tuple(expected)} per image, not {tuple(inputs.shape[1:])}.",
             "Prepare the images exactly as the model's training images were prepared.")
    try:
        outputs = np.asarray(model.predict(inputs, batch_size=256, verbose=0))
    except Exception as error:  # Keras raises ValueError and others for a wrong input shape
        fail(exercise, f"{name} could not take inputs of shape {inputs.shape} "
                       f"({error.__class__.__name__}: {str(error).splitlines()[0][:160]}).",
             "Prepare the images exactly as the model's training images were prepared.")
    if outputs.ndim != 2 or outputs.shape[1] != NUM_CLASSES:
        fail(exercise, f"{name} gives outputs of shape {outputs.shape}, not ten per image.",
             "The last layer should be Dense(10, activation='softmax'), as in build_model().")
    return outputs


def _model_inputs(model: Any, images: np.ndarray) -> np.ndarray:
    """``images`` (uint8, (n, 28, 28)) scaled to 0..1 and shaped for the model's input."""
    shape = tuple(model.inputs[0].shape)[1:] if getattr(model, "inputs", None) else (28, 28, 1)
    return (images / 255.0).astype("float32").reshape((len(images),) + tuple(int(n) for n in shape))


def _affine_match(given: np.ndarray, reference: np.ndarray) -> bool:
    """True when ``given`` is ``a * reference + b`` (any reshaping, any global scale), a > 0."""
    if given.size != reference.size or given.shape[0] != reference.shape[0]:
        return False
    g = given.reshape(len(given), -1).astype(np.float64).ravel()
    r = reference.reshape(len(reference), -1).astype(np.float64).ravel()
    r_centred = r - r.mean()
    scale = float(np.dot(g - g.mean(), r_centred) / np.dot(r_centred, r_centred))
    if scale <= 0:
        return False
    residual = g - (scale * r_centred + g.mean())
    spread = g.max() - g.min()
    return bool(spread > 0 and np.abs(residual).max() <= 1e-3 * spread)


def _check_fashion_run(model: Any) -> None:
    """Fail unless the model was compiled and trained with the MNIST network's settings.

    The run is read from ``model.history``, the History of the model's last ``fit``; a model
    without one (loaded from a file) is judged on its accuracy alone.
    """
    __tracebackhide__ = True
    import math

    info = read_model("7.1", "fashion_model", model)
    if info.compiled and info.schedule:
        fail("7.1", f"fashion_model's learning rate is a schedule ({info.schedule}), not the MNIST "
                    f"network's fixed rate.",
             "Use a fresh network from build_model with the MNIST network's hyperparameters, as "
             "the exercise says.")
    if info.compiled and (info.optimizer != "adam" or not close(info.learning_rate, LEARNING_RATE, rtol=1e-5)):
        fail("7.1", f"fashion_model is compiled with {info.optimizer or 'no optimizer'} "
                    f"at another learning rate than the MNIST network, or another optimizer.",
             "Use a fresh network from build_model with the MNIST network's hyperparameters "
             "(the variables of the MNIST cell), as the exercise says.")
    history = getattr(model, "history", None)
    logs = getattr(history, "history", None)
    if not isinstance(logs, dict) or not logs.get("loss"):
        return
    (x_train, _), _ = _fashion()
    if len(logs["loss"]) != mode.epochs(NUM_EPOCHS):
        fail("7.1", f"the last fit of fashion_model ran {len(logs['loss'])} epochs.",
             "Train a freshly built network once, for the MNIST network's number of epochs "
             "passed through mode.epochs, as the MNIST network was.")
    if accuracy_key(logs, validation=True) is None:
        fail("7.1", "fashion_model was trained without a validation split.",
             "Pass validation_split=0.1 to fit, as for the MNIST network.")
    params = dict(getattr(history, "params", None) or {})
    steps = params.get("steps")
    if steps is not None and steps != math.ceil(int(len(x_train) * (1 - VALIDATION_SPLIT)) / BATCH_SIZE):
        fail("7.1", f"fit ran {steps} steps per epoch.",
             "Use the MNIST network's batch size and validation_split=0.1 on all the Fashion "
             "training pictures, as for the MNIST network.")
    try:
        taken = int(np.asarray(model.optimizer.iterations))
    except (AttributeError, TypeError, ValueError):
        taken = 0
    if steps is not None and taken > steps * len(logs["loss"]):
        fail("7.1", "fashion_model had been trained before its last fit: it did not start from "
                    "fresh weights.",
             "Build a new network from build_model right before training it on the clothes, and "
             "call fit once (running fit again, or training the MNIST network further, "
             "continues from weights that have already learned).")


def exercise_7_1(fashion_model: Any, fashion_inputs_test: Any, mnist_model: Any = None) -> None:
    """Exercise 7.1: a network trained on Fashion-MNIST, and the test images prepared for it.

    ``fashion_inputs_test`` must be the Fashion test images in the order of the labels, in any
    shape the model takes ((n, 28, 28, 1), (n, 28, 28) or (n, 784)), float32 or float64, array
    or list or tensor, scaled as a whole (/255 like ``prepare``, or standardised with the
    training statistics if the model was trained so), never the raw 0..255 pixels. The model
    must reach the bar on them
    (85 % in full mode, 70 % in fast mode). The preparation and the settings are the MNIST
    network's: pixels scaled to 0..1, Adam at 0.001, 3 epochs (capped in fast mode), batch 32,
    validation split 0.1 (read from ``fashion_model.history`` when the model has one), and a
    fresh network: not ``mnist_model`` trained further, not one given its weights, not one
    trained twice. Rejects unscaled pixels, the MNIST or training images, other settings, an
    untrained network or one trained on MNIST, and a History instead of a model.
    """
    __tracebackhide__ = True
    require_attempt("7.1", fashion_model=fashion_model, fashion_inputs_test=fashion_inputs_test)
    _require_model("7.1", "fashion_model", fashion_model)
    if mnist_model is not None and fashion_model is mnist_model:
        fail("7.1", "fashion_model is the MNIST network itself, trained further on clothes.",
             "Build a new network from build_model for the clothes, so that it starts from fresh "
             "weights as the MNIST network did.")
    (x_train, _), (x_test, y_test) = _fashion()
    inputs = to_array("7.1", "fashion_inputs_test", fashion_inputs_test)
    if len(inputs) == len(x_train) and len(x_train) != len(x_test):
        fail("7.1", "fashion_inputs_test holds as many images as the training set.",
             "Prepare the test images, fashion_x_test, the same way as the training images.")
    if len(inputs) != len(x_test) or inputs.size != x_test.size:
        fail("7.1", f"fashion_inputs_test has shape {inputs.shape}; it should hold the "
                    f"{len(x_test):,} Fashion test images, 28x28 pixels each.",
             "Prepare fashion_x_test with the same function as the training images.")
    if not _affine_match(inputs, x_test):
        mnist_test = course_data("mnist").test[0]
        if len(mnist_test) == len(x_test) and _affine_match(inputs, mnist_test):
            fail("7.1", "fashion_inputs_test holds the MNIST digits.",
                 "Use the Fashion-MNIST arrays, fashion_x_test.")
        fail("7.1", "fashion_inputs_test is not the Fashion test images, scaled as a whole.",
             "Prepare fashion_x_test exactly like the training images (same function), "
             "without shuffling or changing single images.")
    pixels = x_test.reshape(len(x_test), -1).astype(np.float64)
    flat = inputs.reshape(len(inputs), -1).astype(np.float64)
    if np.allclose(flat, pixels, atol=0.5):
        fail("7.1", "fashion_inputs_test holds the pixels from 0 to 255, not scaled.",
             "Prepare the pictures like the MNIST network's: prepare(...) scales them to 0..1, "
             "for training and for testing.")
    _check_fashion_run(fashion_model)
    outputs = _predict("7.1", "fashion_model", fashion_model, inputs)
    accuracy = float(np.mean(outputs.argmax(-1) == y_test))
    bar = _fashion_bar()
    if accuracy < bar and not np.allclose(flat, pixels / 255, atol=1e-3):
        fail("7.1", "fashion_model does poorly on fashion_inputs_test, which is not scaled as "
                    "prepare(...) scales the training pictures.",
             "Prepare the test pictures exactly like the training pictures: the prepare function above.")
    if accuracy < CHANCE_BAR:
        fail("7.1", f"fashion_model gets {accuracy:.0%} of the Fashion test images right: no "
                    f"better than guessing.",
             "Train a fresh build_model() with fit() on the Fashion training images and labels "
             "(fashion_x_train, fashion_y_train), not on the digits.")
    digits, digit_labels = course_data("mnist").test
    digit_inputs = (digits / 255.0).astype("float32").reshape((len(digits),) + inputs.shape[1:])
    reads_digits = float(np.mean(_predict("7.1", "fashion_model", fashion_model, digit_inputs).argmax(-1)
                                 == digit_labels))
    if reads_digits > WARM_START_BAR:
        fail("7.1", "fashion_model still recognises MNIST digits: it started from the MNIST "
                    "network's trained weights, not from fresh ones.",
             "Build a new network from build_model right before training it on the clothes, "
             "without copying weights from mnist_model.")
    if accuracy < bar:
        fail("7.1", f"fashion_model gets {accuracy:.1%} of the Fashion test images right; "
                    f"the bar is {bar:.0%}.",
             "Train it like the MNIST network: the same preparation, batch size and number of "
             "epochs, on fashion_x_train and fashion_y_train.")
    passed("7.1", f"the network was trained on Fashion-MNIST and clears the bar of {bar:.0%} "
                  f"on the test images.")


def _class_index(exercise: str, value: Any) -> int:
    __tracebackhide__ = True
    if isinstance(value, str):
        names = [name.lower() for name in FASHION_CLASS_NAMES]
        if value.strip().lower() not in names:
            fail(exercise, f"'{value}' is not one of the ten class names.",
                 "Give the class number 0..9, or its name exactly as in FASHION_CLASS_NAMES.")
        return names.index(value.strip().lower())
    if not is_number(value) or number(value) % 1 != 0 or not 0 <= number(value) < 10:
        fail(exercise, "hardest_class should be a class number from 0 to 9, or a class name.",
             "np.argmin gives the position of the smallest value; FASHION_CLASS_NAMES[position] its name.")
    return int(number(value))


def exercise_7_2(fashion_recall: Any, hardest_class: Any, fashion_pred: Any) -> None:
    """Exercise 7.2: recall of each Fashion class, and the class with the lowest recall.

    ``fashion_recall`` (ten fractions, class 0 first) is compared with
    ``recall_score(fashion_y_test, fashion_pred, average=None)``; ``hardest_class`` may be the
    class number or its name (any class tied for the lowest recall is accepted). Rejects
    precision instead of recall, percentages, the easiest class instead of the hardest, and
    predictions that are not the Fashion model's.
    """
    __tracebackhide__ = True
    require_attempt("7.2", fashion_recall=fashion_recall, hardest_class=hardest_class,
                    fashion_pred=fashion_pred)
    from sklearn.metrics import precision_score, recall_score

    _, (_, y_test) = _fashion()
    predictions = to_array("7.2", "fashion_pred", fashion_pred)
    if predictions.ndim == 2 and predictions.shape[1:] == (NUM_CLASSES,):
        fail("7.2", "fashion_pred holds ten probabilities per image.",
             "Pass the predicted classes: fashion_model.predict(...).argmax(-1).")
    if predictions.shape != y_test.shape or not np.all(np.mod(predictions, 1) == 0):
        fail("7.2", f"fashion_pred has shape {predictions.shape}; it should hold one class "
                    f"number per Fashion test image.",
             "Compute it with fashion_model on fashion_inputs_test, then argmax(-1).")
    predictions = predictions.astype(np.int64)
    if np.mean(predictions == y_test) < CHANCE_BAR:
        fail("7.2", "fashion_pred does not look like predictions for the Fashion test images.",
             "Use fashion_model (exercise 7.1) on fashion_inputs_test.")
    if is_number(fashion_recall):
        fail("7.2", "fashion_recall is a single number.", "Give one recall per class: ten values.")
    recall = to_array("7.2", "fashion_recall", fashion_recall).astype(float)
    if recall.shape != (NUM_CLASSES,):
        fail("7.2", f"fashion_recall has shape {recall.shape}, expected ({NUM_CLASSES},).",
             "One recall per class, class 0 (T-shirt/top) first.")
    labels = list(range(NUM_CLASSES))
    expected = recall_score(y_test, predictions, labels=labels, average=None, zero_division=0.0)
    if not np.allclose(recall, expected, rtol=1e-5, atol=1e-8):
        if np.allclose(recall / 100, expected, rtol=1e-5, atol=1e-8):
            fail("7.2", "these look like percentages.", "Give fractions between 0 and 1.")
        if np.nanmax(recall) > 1:
            fail("7.2", "some values are above 1, but a recall is a share of a class's images.",
                 "Divide each class's correct count by the number of its test images (a row of "
                 "the confusion matrix).")
        precision = precision_score(y_test, predictions, labels=labels, average=None, zero_division=0.0)
        if np.allclose(recall, precision, rtol=1e-5, atol=1e-8):
            fail("7.2", "fashion_recall holds the precision of each class.",
                 "Recall divides by the images that really belong to the class (a row of the "
                 "confusion matrix), as in exercise 6.2.")
        fail("7.2", "fashion_recall does not match the predictions.",
             "For each class: of its test images, the share the model put in that class.")
    index = _class_index("7.2", hardest_class)
    if not np.isclose(expected[index], expected.min()):
        if np.isclose(expected[index], expected.max()):
            fail("7.2", f"{FASHION_CLASS_NAMES[index]} is the class with the highest recall.",
                 "The hardest class is the one with the lowest recall: np.argmin, not np.argmax.")
        fail("7.2", f"{FASHION_CLASS_NAMES[index]} is not the class with the lowest recall.",
             "Find the position of the smallest value in fashion_recall.")
    passed("7.2", f"recall per class is right, and {FASHION_CLASS_NAMES[index]} is the hardest class.")


def exercise_7_3(model_path: Any, loaded_model: Any, fashion_model: Any) -> None:
    """Exercise 7.3: the Fashion model saved to a ``.keras`` file and loaded back.

    ``model_path`` (a string or a Path) must end in ``.keras`` and exist; the model in that
    file, and ``loaded_model``, must give the same predictions as ``fashion_model``. Rejects
    ``model_path = fashion_model.save(...)`` (which stores None), the
    old ``.h5`` name, a path never written, ``loaded_model`` being ``fashion_model`` itself, a
    copy of the architecture without the weights, and a file holding another model.
    """
    __tracebackhide__ = True
    if model_path is None and loaded_model is not None:
        fail("7.3", "model_path is None: save writes the file and returns None.",
             "Store the file's path itself in model_path (a Path or a string ending in .keras), "
             "then pass model_path to fashion_model.save.")
    require_attempt("7.3", model_path=model_path, loaded_model=loaded_model)
    _require_model("7.3", "fashion_model", fashion_model)
    if not isinstance(model_path, (str, os.PathLike)):
        fail("7.3", f"model_path is a {type(model_path).__name__}, not a file name.",
             "Store the path of the file (a string or a pathlib.Path) in model_path.")
    path = Path(model_path)
    if path.suffix != ".keras":
        fail("7.3", f"the file name ends in '{path.suffix}', not '.keras'.",
             "Keras 3 saves a whole model to a file whose name ends in .keras "
             "(.h5 is the older format).")
    if not path.is_file():
        fail("7.3", f"there is no file {path}.", "Write the file with the model's save method, giving it the path you stored.")
    _require_model("7.3", "loaded_model", loaded_model)
    if loaded_model is fashion_model:
        fail("7.3", "loaded_model is fashion_model itself, not a model read from the file.",
             "Read the file back with keras.models.load_model, given the path of the file.")
    import keras

    (_, _), (x_test, _) = _fashion()
    inputs = _model_inputs(fashion_model, x_test[:300])
    original = _predict("7.3", "fashion_model", fashion_model, inputs)
    reloaded = _predict("7.3", "loaded_model", loaded_model, inputs)
    try:
        from_file = keras.models.load_model(path)
    except Exception as error:
        fail("7.3", f"{path} could not be loaded ({error.__class__.__name__}).",
             "Write it with the model's save method and do not change the file afterwards.")
    in_file = _predict("7.3", "the model in the file", from_file, inputs)
    if not np.allclose(in_file, original, atol=1e-5):
        fail("7.3", f"the model saved in {path.name} predicts differently from fashion_model.",
             "Save the trained Fashion network itself (fashion_model) to that file.")
    if not np.allclose(reloaded, original, atol=1e-5):
        fail("7.3", "loaded_model predicts differently from fashion_model.",
             "Load the file you saved with keras.models.load_model. (clone_model "
             "copies only the architecture, with fresh weights.)")
    passed("7.3", f"{path.name} holds the trained model, and the loaded copy predicts exactly the same.")


def exercise_7_4(own_inputs: Any, own_predictions: Any, pictures: Any, mnist_model: Any) -> None:
    """Exercise 7.4: the pictures prepared for the MNIST model, and its predicted digits.

    ``own_inputs`` must be ``images.to_mnist`` of each picture, in order, scaled to 0..1 like
    the training images, in any shape the model takes; ``own_predictions`` one digit per
    picture, as ``mnist_model`` predicts them on ``own_inputs``. Rejects unscaled pixels,
    dark-on-light images, pictures not passed through to_mnist, and probabilities instead of
    digits.
    """
    __tracebackhide__ = True
    require_attempt("7.4", own_inputs=own_inputs, own_predictions=own_predictions)
    from mnist_course.images import to_mnist

    _require_model("7.4", "mnist_model", mnist_model)
    expected = np.stack([to_mnist(picture) for picture in pictures]).astype(np.float64) / 255.0
    count = len(expected)
    inputs = to_array("7.4", "own_inputs", own_inputs)
    if len(inputs) != count or inputs.size != expected.size:
        fail("7.4", f"own_inputs has shape {inputs.shape}; it should hold {count} images of "
                    f"28x28 pixels, one per picture.",
             "Pass every picture through images.to_mnist, then stack the results.")
    flat = inputs.reshape(count, -1).astype(np.float64)
    target = expected.reshape(count, -1)
    if not np.allclose(flat, target, atol=1e-4):
        if np.allclose(flat, 255 * target, atol=0.5):
            fail("7.4", "own_inputs holds pixels from 0 to 255.",
                 "Prepare them exactly like the training images, which were scaled to 0..1.")
        if np.allclose(flat, 1 - target, atol=1e-4) or np.allclose(flat, 255 * (1 - target), atol=0.5):
            fail("7.4", "own_inputs shows dark digits on a light background.",
                 "MNIST digits are white on black: use what images.to_mnist returns as it is.")
        fail("7.4", "own_inputs does not match the pictures after images.to_mnist.",
             "Pass each picture, in order, through images.to_mnist, stack, and scale like the "
             "training images.")
    predictions = to_array("7.4", "own_predictions", own_predictions)
    if predictions.shape == (count, 10):
        fail("7.4", "own_predictions holds ten probabilities per picture.",
             "Take the most likely digit of each: .argmax(-1).")
    if predictions.shape != (count,) or not np.all(np.mod(predictions, 1) == 0):
        fail("7.4", f"own_predictions has shape {predictions.shape}; it should hold one digit "
                    f"per picture.", "Predict with mnist_model on own_inputs, then .argmax(-1).")
    model_outputs = _predict("7.4", "mnist_model", mnist_model, _model_inputs(mnist_model, 255 * expected))
    answers = model_outputs.argmax(-1)
    given = predictions.astype(np.int64)
    if not np.array_equal(given, answers):
        shape = _model_inputs(mnist_model, 255 * expected).shape
        unscaled = _predict("7.4", "mnist_model", mnist_model, (255 * target).astype("float32").reshape(shape))
        if np.array_equal(given, unscaled.argmax(-1)):
            fail("7.4", "own_predictions are what mnist_model reads in pixels from 0 to 255.",
                 "Predict on own_inputs, the images scaled like the training images.")
        inverted = _predict("7.4", "mnist_model", mnist_model, (1 - target).astype("float32").reshape(shape))
        if np.array_equal(given, inverted.argmax(-1)):
            fail("7.4", "own_predictions are what mnist_model reads in dark digits on a light background.",
                 "Predict on own_inputs, the images as images.to_mnist returns them, scaled.")
        if count > 1 and any(np.array_equal(given, np.roll(answers, shift)) for shift in (1, -1)):
            fail("7.4", "own_predictions are the network's answers shifted by one place.",
                 "Keep one prediction per picture, in the order of pictures: the first answer "
                 "belongs to the first picture.")
        if any(np.array_equal(given % 10, (answers + shift) % 10) for shift in (1, -1)):
            fail("7.4", "each of own_predictions is one away from the digit the network answers.",
                 "The position of the largest probability is the digit itself (positions count from 0).")
        if np.array_equal(given, np.arange(count) % 10) or np.array_equal(np.sort(given), np.arange(count)):
            fail("7.4", "own_predictions look like the digits that were drawn, not the network's answers.",
                 "Ask mnist_model about own_inputs and keep the most likely digit of each picture.")
        fail("7.4", "own_predictions are not what mnist_model predicts for own_inputs.",
             "Ask mnist_model about own_inputs, in order, and keep the most likely digit of each picture.")
    passed("7.4", "the pictures went through the same preparation as MNIST, and own_predictions "
                  "are the network's answers.")


def exercise_7_5(handwriting_predictions: Any, handwriting_accuracy: Any, accuracy_gap: Any, wrong: Any,
                 handwriting: Any, handwriting_labels: Any, mnist_model: Any) -> None:
    """Exercise 7.5: the network on your own handwriting (the drawing pad's, or the font digits).

    ``handwriting_predictions`` must be the digit ``mnist_model`` reads in each image of
    ``handwriting`` (prepared like the training images), in any container; ``handwriting_accuracy``
    the fraction of them equal to ``handwriting_labels``; ``accuracy_gap`` the model's accuracy on
    the MNIST test set minus that fraction (within one test image); ``wrong`` the positions of
    the images it got wrong (indices in any order, or a boolean mask). Rejects probabilities
    instead of digits, predictions on unscaled pixels or copied labels, a percentage, the error
    rate or a count instead of the accuracy, the test accuracy itself, the gap the wrong way
    round or in percentage points, the positions of the right ones, positions counted from 1,
    and digits instead of positions.
    """
    __tracebackhide__ = True
    from mnist_course.checks._core import fail, is_number, number, passed, require_attempt, to_array
    from mnist_course.checks._model import accuracy_tolerance, predicted_classes, read_model
    from mnist_course.data import course_data

    exercise, classes = "7.5", 10
    require_attempt(exercise, handwriting_predictions=handwriting_predictions,
                    handwriting_accuracy=handwriting_accuracy, accuracy_gap=accuracy_gap, wrong=wrong)
    info = read_model(exercise, "mnist_model", mnist_model)
    images = np.asarray(handwriting)
    labels = np.asarray(handwriting_labels).astype(np.int64).ravel()
    count = len(labels)
    if count == 0 or images.ndim < 2 or images.shape[0] != count or images[0].size != 28 * 28:
        fail(exercise, f"handwriting has shape {images.shape} and handwriting_labels {count} labels; "
                       f"they should hold the same number of 28x28 images and digits.",
             "Run the cell above the exercise again: it sets handwriting and handwriting_labels.")

    shape = info.input_shape if info.input_shape and None not in info.input_shape else (28, 28, 1)

    def read(pixels: np.ndarray) -> np.ndarray:
        """The digits mnist_model reads in images of pixels already scaled as wanted."""
        try:
            return predicted_classes(mnist_model, pixels.astype("float32").reshape((len(pixels), *shape)))
        except Exception as error:
            fail(exercise, f"mnist_model could not read 28x28 images ({error.__class__.__name__}).",
                 "Run the cells at the top of the notebook that build and train mnist_model again.")

    reference = read(images / 255.0)
    right = reference == labels
    accuracy = float(right.mean())
    x_test, y_test = course_data("mnist").test
    test_accuracy = float(np.mean(read(x_test / 255.0) == y_test))

    # handwriting_predictions: one digit per image, as the network reads it.
    predictions = to_array(exercise, "handwriting_predictions", handwriting_predictions)
    if predictions.shape == (count, classes):
        fail(exercise, "handwriting_predictions holds ten probabilities per image.",
             "Keep only the most likely digit of each image.")
    if predictions.size != count or not np.all(np.mod(predictions, 1) == 0):
        fail(exercise, f"handwriting_predictions has shape {predictions.shape}; it should hold one "
                       f"digit for each of the {count} images.",
             "Ask mnist_model about the prepared images, then keep the most likely digit of each.")
    predictions = predictions.astype(np.int64).ravel()
    if not np.array_equal(predictions, reference):
        if np.array_equal(predictions, read(images.astype(np.float64))):
            fail(exercise, "handwriting_predictions are what the network reads in pixels from 0 to 255.",
                 "Prepare the images exactly like the training images (the notebook's prepare "
                 "function) before asking mnist_model.")
        if np.array_equal(predictions, labels):
            fail(exercise, "handwriting_predictions are the digits you meant (handwriting_labels), "
                           "not what the network reads.",
                 "Ask mnist_model about the images in handwriting.")
        fail(exercise, "handwriting_predictions are not what mnist_model reads in handwriting.",
             "Use mnist_model (the MNIST network, not the Fashion one) on handwriting prepared like "
             "the training images, keep the images in order, and take the most likely digit of each.")

    # handwriting_accuracy: a fraction.
    if not is_number(handwriting_accuracy):
        fail(exercise, f"handwriting_accuracy is a {type(handwriting_accuracy).__name__}, not one number.",
             "Give one fraction: the share of the images whose prediction equals the label.")
    given = number(handwriting_accuracy)

    def near(value: float, target: float, tolerance: float = 1e-6) -> bool:
        return bool(np.isclose(value, target, rtol=1e-5, atol=tolerance))

    if not near(given, accuracy):
        if near(given, 100 * accuracy, 1e-4):
            fail(exercise, "handwriting_accuracy looks like a percentage.",
                 "Give a fraction between 0 and 1.")
        if near(given, 1 - accuracy):
            fail(exercise, "handwriting_accuracy is the share of images the network got wrong.",
                 "The accuracy is the share it got right.")
        if near(given, right.sum()) and count > 1:
            fail(exercise, "handwriting_accuracy is a count of images, not a fraction.",
                 "Divide by the number of images.")
        if near(given, test_accuracy, accuracy_tolerance(len(y_test))):
            fail(exercise, "handwriting_accuracy is the accuracy on the MNIST test set.",
                 "Compare handwriting_predictions with handwriting_labels.")
        fail(exercise, "handwriting_accuracy does not match handwriting_predictions and handwriting_labels.",
             "The accuracy is the share of the images whose prediction equals the label.")

    # accuracy_gap: the test accuracy minus yours, as fractions.
    if not is_number(accuracy_gap):
        fail(exercise, f"accuracy_gap is a {type(accuracy_gap).__name__}, not one number.",
             "Give one number: a difference of two accuracies.")
    gap = number(accuracy_gap)
    one_image = accuracy_tolerance(len(y_test))  # evaluate() and argmax may differ by an image
    expected_gap = test_accuracy - accuracy
    if not near(gap, expected_gap, one_image):
        if near(gap, -expected_gap, one_image) and abs(expected_gap) > one_image:
            fail(exercise, "accuracy_gap has the wrong sign.",
                 "Subtract in the order of the question: the test-set accuracy minus yours.")
        if near(gap, 100 * expected_gap, 100 * one_image) and abs(expected_gap) > one_image:
            fail(exercise, "accuracy_gap looks like percentage points.",
                 "Subtract the two accuracies as fractions, like handwriting_accuracy.")
        fail(exercise, "accuracy_gap is not the difference between the test-set accuracy and yours.",
             "Use the accuracy of mnist_model on the MNIST test set (computed at the top of the notebook) "
             "and handwriting_accuracy.")

    def done() -> None:  # the pass line: the comparison in words, without the numbers
        if accuracy < test_accuracy:
            passed(exercise, "predictions, accuracy, gap and wrong images are right: the network does "
                             "worse on these digits than on its test set. Look below at what it saw.")
        else:
            passed(exercise, "predictions, accuracy, gap and wrong images are right: on these digits the "
                             "network does at least as well as on its test set.")

    # wrong: the positions of the images read wrong (or a boolean mask).
    expected_wrong = np.flatnonzero(~right)
    positions = to_array(exercise, "wrong", wrong).ravel()
    if positions.dtype == bool:
        if positions.shape == (count,) and np.array_equal(positions, ~right):
            return done()
        if positions.shape == (count,) and np.array_equal(positions, right):
            fail(exercise, "wrong marks the images the network read right.", "Mark the ones it got wrong.")
        fail(exercise, "wrong does not mark the images whose prediction differs from the label.",
             "Compare handwriting_predictions with handwriting_labels, image by image.")
    if positions.size and not np.all(np.mod(positions, 1) == 0):
        fail(exercise, "wrong holds numbers that are not whole.",
             "Give positions: 0 for the first image, 1 for the next...")
    positions = positions.astype(np.int64)
    if positions.shape == (count,) and set(np.unique(positions)) <= {0, 1} and \
            np.array_equal(positions, (~right).astype(np.int64)):
        return done()
    if len(positions) == len(expected_wrong) and np.array_equal(np.sort(positions), expected_wrong):
        return done()
    if expected_wrong.size and np.array_equal(np.sort(positions), expected_wrong + 1):
        fail(exercise, "wrong counts positions from 1.",
             "Python counts from 0: the first image is at position 0.")
    if np.array_equal(np.sort(positions), np.flatnonzero(right)) and right.any():
        fail(exercise, "wrong lists the images the network read right.", "List the ones it got wrong.")
    wrong_digits = (np.sort(labels[~right]), np.sort(reference[~right]))
    if expected_wrong.size and any(np.array_equal(np.sort(positions), digits) for digits in wrong_digits):
        fail(exercise, "wrong holds digits, not positions of images.",
             "Give the position of each image in handwriting (0 for the first), not what it shows.")
    if len(positions) != len(set(positions.tolist())):
        fail(exercise, "wrong names some images more than once.",
             "List each image the network got wrong once.")
    if positions.size == 0:
        fail(exercise, "wrong is empty, but the network read some images wrong.",
             "Compare handwriting_predictions with handwriting_labels, image by image.")
    fail(exercise, "wrong does not list exactly the images whose prediction differs from the label.",
         "Compare handwriting_predictions with handwriting_labels, image by image, and keep the positions "
         "where they differ.")

