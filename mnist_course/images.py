"""Turn an ordinary picture of a digit into an MNIST-like 28x28 image (notebook 07).

A model trained on MNIST has only ever seen digits prepared the way the MNIST authors
prepared them: white ink on black, the digit scaled to fit a 20x20 box (keeping its aspect
ratio) and placed in a 28x28 field so that its centre of mass sits in the middle. A photo or
a drawing must go through the same steps before the model can make sense of it.
:func:`to_mnist` does them in this order:

1. **grayscale**: colours become one brightness per pixel (ITU-R 601 weights, as Pillow's
   ``"L"`` mode); a transparent image is first laid on white paper;
2. **invert**: dark ink on light paper becomes white ink on black (skipped when the image is
   already light-on-dark, judged from its border); the paper's own level is subtracted and
   the strongest ink scaled to 255;
3. **crop**: keep the smallest rectangle holding all the ink;
4. **fit into 20x20**: the longer side becomes 20 pixels, the other shrinks in proportion;
5. **centre by centre of mass** in a 28x28 field, at row 14, column 14 (where MNIST's own
   digits have theirs, on average);
6. **scale**: the strongest pixel becomes 255 and the result is a ``uint8`` array in
   0..255, exactly like one image of ``x_train``; divide by 255 (or whatever you did to the
   training images) before asking a model.

Bad input raises :class:`ImageError` (a ``ValueError``) whose message says what was wrong
and what to do: an empty array, a blank picture (all one brightness), an unreadable path.

Transparency is handled, not rejected: a picture with an alpha channel is composited onto
white paper first, which is what an image viewer shows. A digit drawn in white on a
transparent background would vanish that way; the error then says to pass the alpha
channel alone (``to_mnist(picture[..., 3])``).

:func:`draw_digit` makes test pictures: a digit written with one of Matplotlib's fonts,
anywhere on a canvas, in any colours.

Example:
    >>> picture = draw_digit("7", position=(0.3, 0.6))          # dark ink on light paper
    >>> image = to_mnist(picture)
    >>> image.shape, image.dtype, int(image.max())
    ((28, 28), dtype('uint8'), 255)
    >>> [round(float(value)) for value in centre_of_mass(image)]
    [14, 14]
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

#: Side of the square the digit is fitted into, in pixels.
BOX_SIZE = 20
#: Side of the MNIST image, in pixels.
IMAGE_SIZE = 28
#: Where the centre of mass of an MNIST digit is, as (row, column) array indices. Measured
#: on the training set: 13.99 and 14.00 on average, with a spread of about 0.3 pixels.
MNIST_CENTRE = (14.0, 14.0)
#: Weights that turn red, green, blue into brightness (ITU-R 601, as Pillow's "L" mode).
LUMA_WEIGHTS = (0.299, 0.587, 0.114)
#: The ink must stand out from the paper by at least this much (on 0..255) to count.
MIN_CONTRAST = 24.0
#: A pixel belongs to the digit when its ink is above this share of the strongest ink.
INK_THRESHOLD = 0.15
#: The names of the steps :func:`to_mnist` returns with ``return_steps=True``, in order.
STEP_NAMES = ("grayscale", "inverted", "cropped", "fitted", "centred")


class ImageError(ValueError):
    """The input cannot be turned into an MNIST-like image; the message says why and what to do."""


# --------------------------------------------------------------------------- reading


def _read_path(path: Path) -> np.ndarray:
    """Read an image file with Pillow into an array (gray, RGB or RGBA)."""
    from PIL import Image, UnidentifiedImageError

    if not path.exists():
        raise ImageError(f"{path} does not exist.\nFix: check the file name and folder.")
    if path.is_dir():
        raise ImageError(f"{path} is a folder, not an image file.\nFix: name one image inside it.")
    try:
        with Image.open(path) as picture:
            picture.load()
            return _from_pil(picture)
    except UnidentifiedImageError:
        raise ImageError(
            f"{path} is not an image that Pillow can read.\n"
            f"Fix: give a PNG, JPEG, BMP, GIF or TIFF file (or a NumPy array of pixels)."
        ) from None
    except OSError as error:
        raise ImageError(
            f"{path} could not be read as an image ({error}).\n"
            f"Fix: the file may be damaged or cut short; save or download it again."
        ) from None


def _from_pil(picture: Any) -> np.ndarray:
    """A Pillow image as an array: transparency kept as alpha, 16-bit gray scaled to 0..1."""
    if picture.mode in ("I;16", "I;16B", "I;16L", "I"):
        values = np.asarray(picture, dtype=np.float64)
        return values / (65535.0 if values.max(initial=0) > 255 else 255.0)
    if picture.mode == "F":
        return np.asarray(picture, dtype=np.float64)
    has_alpha = "A" in picture.getbands() or "transparency" in picture.info
    return np.asarray(picture.convert("RGBA" if has_alpha else "RGB"))


def _as_pixels(image_or_path: Any) -> np.ndarray:
    """Return the input as a float array of shape (height, width) or (height, width, channels)
    in 0..255, or raise ImageError saying what is wrong."""
    if isinstance(image_or_path, (str, os.PathLike)):
        array = _read_path(Path(image_or_path).expanduser())
    elif hasattr(image_or_path, "getbands") and hasattr(image_or_path, "convert"):  # a Pillow image
        array = _from_pil(image_or_path)
    else:
        if hasattr(image_or_path, "numpy") and callable(image_or_path.numpy):  # a tensor
            image_or_path = image_or_path.numpy()
        try:
            array = np.asarray(image_or_path)
        except Exception as error:  # ragged lists and the like
            raise ImageError(
                f"the input could not be read as an array of pixels ({error}).\n"
                f"Fix: give a file path, a Pillow image, or a NumPy array of shape "
                f"(height, width) or (height, width, 3 or 4)."
            ) from None
    if array.dtype == bool:
        array = array.astype(np.float64)
    if not (np.issubdtype(array.dtype, np.integer) or np.issubdtype(array.dtype, np.floating)):
        raise ImageError(
            f"the input holds {array.dtype} values, not pixel numbers.\n"
            f"Fix: give a file path (a string), a Pillow image, or a NumPy array of numbers."
        )
    if array.ndim == 3 and array.shape[-1] == 1:
        array = array[..., 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[-1] not in (2, 3, 4)):
        raise ImageError(
            f"the input has shape {array.shape}; a picture has shape (height, width) for gray, "
            f"(height, width, 3) for colour or (height, width, 4) with transparency.\n"
            f"Fix: pass one picture at a time (for a batch, loop over it)."
        )
    if array.size == 0:
        raise ImageError(f"the input is empty (shape {array.shape}).\nFix: give a picture that has pixels.")
    values = array.astype(np.float64)
    if not np.isfinite(values).all():
        raise ImageError("the input holds NaN or infinite values.\nFix: give finite pixel values.")
    low, high = values.min(), values.max()
    if low < 0 or high > 255:
        raise ImageError(
            f"the pixel values run from {low:g} to {high:g}, outside 0..255.\n"
            f"Fix: give 8-bit pixels (0..255) or values scaled to 0..1."
        )
    if np.issubdtype(array.dtype, np.floating) and high <= 1.0:
        values = values * 255.0  # Matplotlib's imread and most float images use 0..1
    elif array.dtype == bool:
        values = values * 255.0
    return values


def to_grayscale(image_or_path: Any) -> np.ndarray:
    """Step 1: one brightness per pixel (float, 0..255); transparency laid on white paper.

    Example:
        >>> to_grayscale(np.full((2, 2, 3), 255, dtype=np.uint8)).tolist()
        [[255.0, 255.0], [255.0, 255.0]]
    """
    pixels = _as_pixels(image_or_path)
    if pixels.ndim == 2:
        return pixels
    channels = pixels.shape[-1]
    colour = pixels[..., :1] if channels == 2 else pixels[..., :3]
    if channels in (2, 4):  # composite onto white paper: transparent pixels become white
        alpha = pixels[..., -1:] / 255.0
        colour = colour * alpha + 255.0 * (1.0 - alpha)
    if colour.shape[-1] == 1:
        return colour[..., 0]
    return colour @ np.asarray(LUMA_WEIGHTS)


# --------------------------------------------------------------------------- the steps


def centre_of_mass(image: Any) -> tuple[float, float]:
    """The (row, column) of an image's centre of mass, each pixel weighted by its value.

    Used by :func:`to_mnist` and in notebook 07 to compare with MNIST's digits.

    Example:
        >>> image = np.zeros((28, 28)); image[3, 5] = 1.0
        >>> centre_of_mass(image)
        (3.0, 5.0)
    """
    weights = np.asarray(image, dtype=np.float64)
    total = weights.sum()
    if weights.ndim != 2 or total <= 0:
        raise ImageError("centre_of_mass needs a 2-D image with some ink (positive pixels).")
    rows, columns = np.indices(weights.shape)
    return float((rows * weights).sum() / total), float((columns * weights).sum() / total)


def _paper_is_light(gray: np.ndarray) -> bool:
    """True when the picture's border (mostly paper) is brighter than the middle of the range."""
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    return bool(np.median(border) > 127.5)


def _resize(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """Resample a float image to (height, width) with Pillow's bilinear filter.

    When shrinking, Pillow widens the filter to cover every source pixel, so the result is
    anti-aliased (grey edges, as in MNIST) without the ringing of sharper filters."""
    from PIL import Image

    resized = Image.fromarray(image.astype(np.float32)).resize((width, height), Image.Resampling.BILINEAR)
    return np.clip(np.asarray(resized, dtype=np.float64), 0.0, None)


def to_mnist(image_or_path: Any, *, invert: bool | None = None,
             return_steps: bool = False) -> np.ndarray | tuple[np.ndarray, dict[str, np.ndarray]]:
    """Turn a picture of one digit into a 28x28 ``uint8`` image prepared like MNIST's.

    ``image_or_path`` is a file path, a Pillow image, or an array of shape (height, width),
    (height, width, 3) or (height, width, 4), with values in 0..255 or (floats) in 0..1.
    ``invert=None`` inverts when the picture's border is light (dark ink on light paper);
    pass ``True`` or ``False`` to decide yourself. With ``return_steps=True`` it also returns
    a dict of the intermediate images, keyed by :data:`STEP_NAMES`, for display.

    The result is white ink on black, 0..255, the digit fitted into 20x20 and its centre of
    mass at (14, 14): scale it exactly like the training images before predicting.
    Raises :class:`ImageError` with what was wrong and what to do.

    Example:
        >>> picture = np.full((60, 40), 230, dtype=np.uint8)   # light paper
        >>> picture[10:50, 18:24] = 20                          # a dark, upright stroke
        >>> image = to_mnist(picture)
        >>> rows, columns = np.nonzero(image)
        >>> int(rows.max() - rows.min() + 1)                    # the tall side became 20
        20
    """
    gray = to_grayscale(image_or_path)
    steps = {"grayscale": gray}
    had_alpha = _has_alpha(image_or_path)
    if invert is None:
        invert = _paper_is_light(gray)
    ink = 255.0 - gray if invert else gray.copy()
    border = np.concatenate([ink[0], ink[-1], ink[:, 0], ink[:, -1]])
    ink = np.clip(ink - np.median(border), 0.0, None)
    if ink.max() < MIN_CONTRAST:
        raise ImageError(_blank_message(gray, had_alpha))
    ink *= 255.0 / ink.max()
    steps["inverted"] = ink

    rows = np.flatnonzero((ink > INK_THRESHOLD * 255).any(axis=1))
    columns = np.flatnonzero((ink > INK_THRESHOLD * 255).any(axis=0))
    cropped = ink[rows[0]:rows[-1] + 1, columns[0]:columns[-1] + 1]
    steps["cropped"] = cropped

    height, width = cropped.shape
    factor = BOX_SIZE / max(height, width)
    new_height = min(BOX_SIZE, max(1, round(height * factor)))
    new_width = min(BOX_SIZE, max(1, round(width * factor)))
    fitted = _resize(cropped, new_height, new_width)
    if fitted.max() <= 0:  # a speck that resampling smoothed away
        fitted = np.ones_like(fitted)
    steps["fitted"] = fitted

    row_centre, column_centre = centre_of_mass(fitted)
    top = int(np.clip(round(MNIST_CENTRE[0] - row_centre), 0, IMAGE_SIZE - new_height))
    left = int(np.clip(round(MNIST_CENTRE[1] - column_centre), 0, IMAGE_SIZE - new_width))
    canvas = np.zeros((IMAGE_SIZE, IMAGE_SIZE))
    canvas[top:top + new_height, left:left + new_width] = fitted
    steps["centred"] = canvas

    result = np.clip(np.rint(canvas * (255.0 / canvas.max())), 0, 255).astype(np.uint8)
    return (result, steps) if return_steps else result


def _has_alpha(image_or_path: Any) -> bool:
    if isinstance(image_or_path, (str, os.PathLike)):
        return False  # the blank message below is about arrays; files say enough
    if hasattr(image_or_path, "getbands"):
        return "A" in image_or_path.getbands()
    shape = np.shape(image_or_path)
    return len(shape) == 3 and shape[-1] in (2, 4)


def _blank_message(gray: np.ndarray, had_alpha: bool) -> str:
    level = float(np.median(gray))
    message = (
        f"the picture is blank: every pixel has about the same brightness (around {level:.0f} "
        f"of 255), so there is no digit to find."
    )
    if had_alpha:
        return (message + "\nIt has an alpha channel and was laid on white paper, as a viewer "
                "shows it. If the digit is drawn in white on a transparent background, pass the "
                "alpha channel alone: to_mnist(picture[..., 3]).")
    return message + ("\nFix: check that you passed the right picture, and that the digit is "
                      "clearly darker (or lighter) than its background.")


# --------------------------------------------------------------------------- test pictures


def draw_digit(text: str = "7", *, font: str = "DejaVu Sans", size: float = 60.0,
               weight: str = "normal", style: str = "normal", position: tuple[float, float] = (0.5, 0.5),
               rotation: float = 0.0, ink: Any = "#202020", paper: Any = "#f2efe6",
               shape: tuple[int, int] = (120, 100), transparent: bool = False) -> np.ndarray:
    """Draw ``text`` with a Matplotlib font and return the picture as a ``uint8`` array.

    ``shape`` is (height, width) in pixels; ``size`` the font size in points (at 100 dpi,
    so 72 points are 100 pixels); ``position`` the centre of the text as fractions of the
    width and height, from the bottom left. The result has shape (height, width, 3), or
    (height, width, 4) with a transparent background when ``transparent=True``. Fonts that
    come with Matplotlib: "DejaVu Sans", "DejaVu Serif", "DejaVu Sans Mono", "STIXGeneral",
    "cmr10". Used in notebook 07 and the tests to make pictures of digits.

    Example:
        >>> draw_digit("3", shape=(50, 40)).shape
        (50, 40, 3)
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    height, width = shape
    dpi = 100
    figure = Figure(figsize=(width / dpi, height / dpi), dpi=dpi)
    canvas = FigureCanvasAgg(figure)
    figure.patch.set_facecolor(paper)
    if transparent:
        figure.patch.set_alpha(0.0)
    figure.text(position[0], position[1], text, fontsize=size, family=font, weight=weight,
                style=style, rotation=rotation, color=ink, ha="center", va="center")
    canvas.draw()
    rgba = np.asarray(canvas.buffer_rgba()).copy()
    return rgba if transparent else rgba[..., :3]
