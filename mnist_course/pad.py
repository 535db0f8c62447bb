"""A drawing pad for notebook 07: draw a digit with the mouse and watch a network read it.

:class:`DrawingPad` is a Jupyter widget (built on `anywidget <https://anywidget.dev>`_, with
its browser side in ``pad.js`` and ``pad.css`` beside this file). The student draws on a
square canvas with the mouse, a pen or a finger. At the end of each stroke the browser sends
the strokes to Python, which

1. paints them into a picture (:func:`render_strokes`),
2. prepares it like MNIST with :func:`mnist_course.images.to_mnist`,
3. asks the model, and
4. sends back the 28x28 image the network saw and its ten probabilities, which the pad shows
   beside the canvas as a picture and a bar chart (the most likely digit highlighted).

The pad also keeps drawings the student labels (one button per digit, "Keep as 3"), for an
exercise: ``pad.drawings`` is an array of shape (n, 28, 28) like ``x_test`` and
``pad.labels`` the n digits.

Nothing a student draws raises an exception in the notebook: an empty canvas, a dot, a
model with the wrong input shape or one that fails all end as a message on the pad
(``pad.message``). Where widgets cannot be shown (nbconvert, nbval, the grader, a front end
without widgets) the output falls back to one line of text saying so (the ``text/plain``
part of the widget's output, which is what such a front end shows) and nothing else happens.

The same steps run without a browser: set ``pad.strokes`` (or call :meth:`DrawingPad.draw`)
and read ``pad.prediction``, which is how the tests drive it.

Example:
    >>> pad = DrawingPad()                       # no model: the pad only prepares and keeps
    >>> pad.draw([[(140, 40), (140, 240)]])      # one stroke, top to bottom: a 1
    >>> pad.seen_image.shape, pad.prediction
    ((28, 28), None)
    >>> pad.keep(1)
    >>> pad.drawings.shape, pad.labels.tolist(), pad.strokes
    ((1, 28, 28), [1], [])
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

try:
    import anywidget
    import traitlets
except ImportError as error:  # pragma: no cover - anywidget is a dependency of the course
    raise ImportError(
        "The drawing pad needs the package anywidget, which is not installed in this "
        "environment.\nFix: run `%pip install anywidget` in a cell, then restart the kernel."
    ) from error

from mnist_course.images import IMAGE_SIZE, ImageError, to_mnist

NUM_CLASSES = 10
#: Side of the canvas in pixels.
CANVAS_SIZE = 280
#: Width of the pen as a share of the canvas side: a digit as tall as most of the canvas
#: then has strokes about as thick, relative to its height, as MNIST's digits.
PEN_SHARE = 1 / 14
#: A drawing whose strokes span less than this share of the canvas (both ways) is too small
#: to be a digit: a dot or a speck, which to_mnist would blow up into a blob.
MIN_EXTENT_SHARE = 0.08
#: The one line shown where the widget cannot be (the ``text/plain`` part of its output).
NO_WIDGETS_LINE = ("Drawing pad: not shown here, it needs a notebook front end with widgets "
                   "(JupyterLab, Notebook 7, VS Code).")

_HERE = Path(__file__).parent

Point = Sequence[float]
Stroke = Sequence[Point]


class StrokeError(ValueError):
    """The strokes cannot be read as lists of (x, y) points; the message says why."""


def _clean_strokes(strokes: Any, size: int) -> list[list[tuple[float, float]]]:
    """The strokes as lists of (x, y) floats clipped to the canvas, or raise StrokeError."""
    if strokes is None:
        return []
    if isinstance(strokes, (str, bytes)) or not isinstance(strokes, Sequence):
        raise StrokeError(f"the strokes are a {type(strokes).__name__}, not a list of strokes.")
    cleaned = []
    for number, stroke in enumerate(strokes, start=1):
        if isinstance(stroke, (str, bytes)) or not isinstance(stroke, Sequence):
            raise StrokeError(f"stroke {number} is a {type(stroke).__name__}, not a list of points.")
        points = []
        for point in stroke:
            try:
                x, y = (float(value) for value in point)
            except (TypeError, ValueError):
                raise StrokeError(f"stroke {number} has a point {point!r} that is not (x, y).") from None
            if not (math.isfinite(x) and math.isfinite(y)):
                raise StrokeError(f"stroke {number} has a point that is not a finite number.")
            points.append((min(max(x, 0.0), size), min(max(y, 0.0), size)))
        if points:  # a stroke cut short before its first point is simply left out
            cleaned.append(points)
    return cleaned


def render_strokes(strokes: Sequence[Stroke], size: int = CANVAS_SIZE,
                   pen_width: float | None = None) -> np.ndarray:
    """Paint strokes of (x, y) canvas points as white ink on black: a ``uint8`` (size, size) array.

    Each stroke is drawn with a round pen of ``pen_width`` pixels (by default
    ``PEN_SHARE * size``), as the browser draws it; a stroke of one point is a dot.

    Example:
        >>> picture = render_strokes([[(10, 10), (10, 50)]], size=64, pen_width=6)
        >>> picture.shape, int(picture[30, 10]), int(picture[30, 40])
        ((64, 64), 255, 0)
    """
    from PIL import Image, ImageDraw

    pen = float(pen_width if pen_width is not None else PEN_SHARE * size)
    picture = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(picture)
    radius = pen / 2
    for stroke in _clean_strokes(strokes, size):
        if len(stroke) > 1:
            draw.line(stroke, fill=255, width=max(1, round(pen)), joint="curve")
        for x, y in (stroke[0], stroke[-1]) if len(stroke) > 1 else stroke:  # round ends
            draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=255)
    return np.asarray(picture, dtype=np.uint8)


def _softmax(scores: np.ndarray) -> np.ndarray:
    shifted = np.exp(scores - scores.max())
    return shifted / shifted.sum()


def _input_shape(model: Any) -> tuple[int | None, ...] | None:
    """The shape of one input of a Keras model (without the batch axis), or None if unknown."""
    try:
        return tuple(None if n is None else int(n) for n in model.inputs[0].shape[1:])
    except (AttributeError, IndexError, TypeError, ValueError):
        return None


def _describe(error: Exception) -> str:
    first_line = (str(error).strip().splitlines() or [""])[0][:160]
    return f"{type(error).__name__}: {first_line}" if first_line else type(error).__name__


class DrawingPad(anywidget.AnyWidget):
    """A square canvas to draw digits on, showing what ``model`` reads in them.

    ``model`` is a trained Keras classifier of MNIST digits (or None to only prepare and keep
    drawings). The pad prepares each drawing with ``images.to_mnist`` and gives the model
    ``prepare(images)`` of the batch of one ``uint8`` image of shape (1, 28, 28), when you pass
    the function you used for the training images; without it the pad scales the pixels to
    0..1 and reshapes them to the model's input shape when that shape holds 784 numbers
    ((28, 28, 1), (28, 28) or (784,)).

    In the notebook, display it as the last line of a cell (``pad``). Then read:

    - ``pad.seen_image``: the 28x28 ``uint8`` image the network saw (None before a drawing);
    - ``pad.probabilities``: its ten probabilities (empty before), ``pad.prediction`` the digit;
    - ``pad.message``: what the pad says (what went wrong, or what to do next);
    - ``pad.drawings`` and ``pad.labels``: the drawings kept with a label, for exercise 7.5.

    Example:
        >>> pad = DrawingPad()
        >>> pad.draw([[(140, 140)]])                 # a dot
        >>> pad.prediction is None, "too small" in pad.message
        (True, True)
    """

    _esm = _HERE / "pad.js"
    _css = _HERE / "pad.css"

    # Browser -> Python: the strokes of the current drawing, each a list of [x, y] points.
    strokes = traitlets.List().tag(sync=True)
    # Python -> browser: what to show.
    size = traitlets.Int(CANVAS_SIZE).tag(sync=True)
    pen_width = traitlets.Float(PEN_SHARE * CANVAS_SIZE).tag(sync=True)
    seen = traitlets.List(traitlets.Int()).tag(sync=True)        # 784 pixels, row by row
    probabilities = traitlets.List(traitlets.Float()).tag(sync=True)
    message = traitlets.Unicode("").tag(sync=True)
    kept_counts = traitlets.List(traitlets.Int(), default_value=[0] * NUM_CLASSES).tag(sync=True)

    def __init__(self, model: Any = None, *, prepare: Callable[[np.ndarray], Any] | None = None,
                 size: int = CANVAS_SIZE, **kwargs: Any) -> None:
        super().__init__(size=int(size), pen_width=PEN_SHARE * int(size), **kwargs)
        self._model_shape: tuple[int, ...] | None = None
        self.model = model
        self.prepare = prepare
        self._kept_images: list[np.ndarray] = []
        self._kept_labels: list[int] = []
        self._seen_image: np.ndarray | None = None
        self.observe(self._on_strokes, names="strokes")
        self.on_msg(self._on_browser_message)
        self.message = self._greeting()

    # ------------------------------------------------------------------ what Python reads

    @property
    def model(self) -> Any:
        """The network the pad asks; assign another one to try it on the next stroke."""
        return self._model

    @model.setter
    def model(self, model: Any) -> None:
        self._model = model
        self._model_shape = None  # the input shape that worked belongs to the old model

    @property
    def seen_image(self) -> np.ndarray | None:
        """The 28x28 ``uint8`` image the network saw for the current drawing, or None."""
        return None if self._seen_image is None else self._seen_image.copy()

    @property
    def prediction(self) -> int | None:
        """The digit the model reads in the current drawing (None without an answer)."""
        return int(np.argmax(self.probabilities)) if len(self.probabilities) == NUM_CLASSES else None

    @property
    def drawings(self) -> np.ndarray:
        """The kept drawings as prepared for the network: ``uint8``, shape (n, 28, 28)."""
        if not self._kept_images:
            return np.zeros((0, IMAGE_SIZE, IMAGE_SIZE), dtype=np.uint8)
        return np.stack(self._kept_images)

    @property
    def labels(self) -> np.ndarray:
        """The digit the student gave each kept drawing, shape (n,)."""
        return np.array(self._kept_labels, dtype=np.int64)

    def __repr__(self) -> str:
        # The text/plain part of the widget's output: what a front end without widgets shows.
        return NO_WIDGETS_LINE

    # ------------------------------------------------------------------ what the buttons do

    def draw(self, strokes: Sequence[Stroke]) -> None:
        """Replace the drawing by ``strokes`` (lists of (x, y) canvas points) and ask the model.

        This is what the browser does at the end of each stroke; use it to try the pad
        without a mouse.
        """
        try:
            new = [[list(point) for point in stroke] for stroke in _clean_strokes(strokes, self.size)]
        except StrokeError as error:
            self._show(f"The pad could not read the drawing: {error} Press Clear and draw again.")
            return
        if new == self.strokes:
            self._update()  # the observer only runs on a change
        else:
            self.strokes = new

    def clear(self) -> None:
        """Empty the canvas (the Clear button)."""
        self.draw([])

    def keep(self, label: Any) -> None:
        """Keep the current drawing as the digit ``label`` and clear the canvas for the next."""
        try:
            digit = int(label)
            valid = digit == float(label) and 0 <= digit < NUM_CLASSES
        except (TypeError, ValueError):
            valid = False
        if not valid:
            self.message = f"{label!r} is not a digit: keep a drawing as 0, 1, ... or 9."
            return
        if self._seen_image is None:
            self.message = "Nothing to keep yet: draw a digit first, then press its button."
            return
        self._kept_images.append(self._seen_image.copy())
        self._kept_labels.append(digit)
        self.kept_counts = np.bincount(self._kept_labels, minlength=NUM_CLASSES).tolist()
        self.draw([])
        count = len(self._kept_labels)
        self.message = (f"Kept as a {digit} ({count} drawing{'s' if count != 1 else ''} kept). "
                        f"Draw the next one.")

    def forget_last(self) -> None:
        """Drop the drawing kept last (the Forget last button)."""
        if not self._kept_labels:
            self.message = "No drawing kept yet, so nothing to forget."
            return
        self._kept_images.pop()
        digit = self._kept_labels.pop()
        self.kept_counts = np.bincount(self._kept_labels, minlength=NUM_CLASSES).tolist()
        self.message = f"Forgot the last drawing kept (a {digit})."

    # ------------------------------------------------------------------ the work

    def _greeting(self) -> str:
        if self.model is None:
            return "Draw a digit in the square. (No model given: the pad only prepares and keeps drawings.)"
        return "Draw a digit in the square with the mouse (or a finger), as large as the square."

    def _on_browser_message(self, _widget: Any, content: Any, _buffers: Any) -> None:
        if not isinstance(content, dict):
            return
        try:
            if content.get("action") == "keep":
                self.keep(content.get("label"))
            elif content.get("action") == "forget":
                self.forget_last()
        except Exception as error:  # never let a click raise in the kernel
            self.message = f"Something went wrong ({_describe(error)}). Press Clear and draw again."

    def _on_strokes(self, _change: Any) -> None:
        self._update()

    def _show(self, message: str, image: np.ndarray | None = None,
              probabilities: np.ndarray | None = None) -> None:
        self._seen_image = image
        self.seen = [] if image is None else image.ravel().astype(int).tolist()
        self.probabilities = [] if probabilities is None else [float(p) for p in probabilities]
        self.message = message

    def _update(self) -> None:
        """Prepare the current strokes and ask the model; every problem becomes a message."""
        try:
            self._update_or_raise()
        except Exception as error:  # a last resort: the notebook must never see an exception
            self._show(f"Something went wrong ({_describe(error)}). Press Clear and draw again.")

    def _update_or_raise(self) -> None:
        try:
            strokes = _clean_strokes(self.strokes, self.size)
        except StrokeError as error:
            self._show(f"The pad could not read the drawing: {error} Press Clear and draw again.")
            return
        if not strokes:
            self._show(self._greeting())
            return
        points = np.array([point for stroke in strokes for point in stroke])
        extent = (points.max(axis=0) - points.min(axis=0)).max()
        if extent < MIN_EXTENT_SHARE * self.size:
            self._show("That is too small for a digit (a dot?). Draw it large, filling most of the "
                       "square, or press Clear.")
            return
        try:
            image = to_mnist(render_strokes(strokes, self.size, self.pen_width), invert=False)
        except ImageError as error:
            self._show(f"The drawing could not be prepared: {str(error).splitlines()[0]}")
            return
        if self.model is None:
            self._show("No model given, so no answer: this is what a network would see.", image)
            return
        probabilities, problem = self._ask(image)
        if problem:
            self._show(problem, image)
            return
        digit = int(np.argmax(probabilities))
        self._show(f"The network reads a {digit} ({probabilities[digit]:.0%} sure).", image, probabilities)

    def _inputs(self, image: np.ndarray, shape: tuple[int, ...] | None) -> np.ndarray:
        batch = image[np.newaxis]
        if self.prepare is not None:
            return self.prepare(batch)
        scaled = (batch / 255.0).astype("float32")
        return scaled if shape is None else scaled.reshape((1, *shape))

    def _candidate_shapes(self) -> list[tuple[int, ...] | None] | str:
        """The input shapes to try, or a message when the model cannot take a 28x28 image."""
        if self.prepare is not None:
            return [None]
        if self._model_shape is not None:
            return [self._model_shape]
        shape = _input_shape(self.model)
        if shape is None or None in shape:
            return [(28, 28, 1), (28, 28), (784,)]  # unknown: try the usual ones in turn
        if math.prod(shape) != IMAGE_SIZE * IMAGE_SIZE:
            return (f"This model wants inputs of shape {shape}, which is not a 28x28 image: give "
                    f"the pad a model trained on MNIST, or pass prepare= (the function that "
                    f"prepared its training images).")
        return [shape]

    def _ask(self, image: np.ndarray) -> tuple[np.ndarray, str]:
        """The model's ten probabilities for ``image``, or an empty array and what went wrong."""
        if not callable(self.model) and not callable(getattr(self.model, "predict", None)):
            return np.array([]), (f"The pad's model is a {type(self.model).__name__}, not a Keras "
                                  f"model: pass the trained network itself.")
        shapes = self._candidate_shapes()
        if isinstance(shapes, str):
            return np.array([]), shapes
        failure = None
        for shape in shapes:
            try:
                inputs = self._inputs(image, shape)
                if callable(self.model):
                    outputs = self.model(inputs, training=False)
                else:
                    outputs = self.model.predict(inputs, verbose=0)
                outputs = np.asarray(outputs, dtype=np.float64)
            except Exception as error:  # a wrong shape, a broken prepare, ...
                failure = error
                continue
            if shape is not None:
                self._model_shape = shape
            return self._as_probabilities(outputs)
        where = "prepare() or the model" if self.prepare is not None else "the model"
        return np.array([]), (f"{where} failed on the drawing ({_describe(failure)}). Check that "
                              f"the model was trained on 28x28 MNIST images.")

    @staticmethod
    def _as_probabilities(outputs: np.ndarray) -> tuple[np.ndarray, str]:
        if outputs.size != NUM_CLASSES:
            return np.array([]), (f"The model gives {outputs.size} numbers per image, not one per "
                                  f"digit ({NUM_CLASSES}): give the pad a model of MNIST's ten classes.")
        scores = outputs.reshape(NUM_CLASSES)
        if not np.all(np.isfinite(scores)):
            return np.array([]), "The model's outputs are NaN or infinite: it is not a trained network."
        if scores.min() < 0 or not np.isclose(scores.sum(), 1.0, atol=1e-3):
            scores = _softmax(scores)  # scores (logits), not probabilities: softmax them
        return scores, ""
