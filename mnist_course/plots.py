"""Plotting helpers: figure-making that is not the point of an exercise.

Each helper draws into the axes you pass (or new ones), gives every plot a title and
axis labels, returns what it drew, and prints nothing. Introduced in notebook 01 and used
throughout.

Example:
    >>> import numpy as np
    >>> figure = show_images(np.zeros((4, 28, 28)), titles=list("abcd"), ncols=4)
    >>> len(figure.axes)
    4
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure


def show_images(
    images: np.ndarray,
    titles: Sequence[str] | None = None,
    *,
    ncols: int = 10,
    title: str | None = None,
    cmap: str = "gray_r",
    size: float = 1.0,
    figure: Figure | None = None,
) -> Figure:
    """Show a grid of 28x28 images (or flat 784-vectors), each with an optional title.

    Example:
        >>> figure = show_images(np.zeros((3, 784)), titles=["0", "1", "2"], title="Digits")
        >>> figure.get_suptitle()
        'Digits'
    """
    images = np.asarray(images)
    if images.ndim == 2 and images.shape[1] == 784:
        images = images.reshape(-1, 28, 28)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim != 3:
        raise ValueError(
            f"show_images wants images of shape (n, 28, 28) or (n, 784), got {images.shape}."
        )
    if titles is not None and len(titles) != len(images):
        raise ValueError(f"{len(images)} images but {len(titles)} titles: give one title each.")
    count = len(images)
    ncols = max(1, min(ncols, count))
    nrows = -(-count // ncols)
    title_room = 0.35 if titles is not None else 0.0
    if figure is None:
        figure = plt.figure(figsize=(size * ncols, (size + title_room) * nrows + 0.5))
    axes = figure.subplots(nrows, ncols, squeeze=False)
    for index, ax in enumerate(axes.flat):
        ax.set_axis_off()
        if index < count:
            ax.imshow(images[index], cmap=cmap)
            if titles is not None:
                ax.set_title(str(titles[index]), fontsize="small")
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    return figure


def plot_class_counts(
    counts: Sequence[int] | np.ndarray,
    *,
    title: str = "Images per digit",
    class_names: Sequence[str] | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Bar chart of how many images each class has, with the count on each bar.

    Example:
        >>> ax = plot_class_counts(np.arange(10) + 100)
        >>> ax.get_xlabel()
        'Digit'
    """
    counts = np.asarray(counts)
    ax = ax or plt.figure(figsize=(7, 3.5)).gca()
    labels = list(class_names) if class_names is not None else [str(i) for i in range(len(counts))]
    bars = ax.bar(labels, counts, color="tab:blue")
    ax.bar_label(bars, fontsize="x-small")
    ax.set_title(title)
    ax.set_xlabel("Digit" if class_names is None else "Class")
    ax.set_ylabel("Number of images")
    ax.margins(y=0.12)
    return ax


def plot_pixel_histogram(images: np.ndarray, *, title: str = "Pixel values",
                         log: bool = True, ax: Axes | None = None) -> Axes:
    """Histogram of every pixel value in ``images`` (256 bins, log count axis by default).

    Example:
        >>> ax = plot_pixel_histogram(np.zeros((2, 28, 28), dtype=np.uint8))
        >>> ax.get_ylabel()
        'Number of pixels (log scale)'
    """
    values = np.asarray(images).ravel()
    ax = ax or plt.figure(figsize=(7, 3.5)).gca()
    upper = 255 if values.max(initial=0) > 1 else 1
    ax.hist(values, bins=256, range=(0, upper), color="tab:gray", log=log)
    ax.set_title(title)
    ax.set_xlabel("Pixel value")
    ax.set_ylabel("Number of pixels (log scale)" if log else "Number of pixels")
    return ax


def plot_bars(
    values: Sequence[float] | np.ndarray,
    *,
    title: str,
    xlabel: str,
    ylabel: str,
    labels: Sequence[str] | None = None,
    highlight: int | None = None,
    ax: Axes | None = None,
) -> Axes:
    """A labelled bar chart, one bar highlighted (for example a predicted class).

    Example:
        >>> ax = plot_bars([0.1, 0.9], title="p", xlabel="class", ylabel="probability", highlight=1)
        >>> ax.get_title()
        'p'
    """
    values = np.asarray(values)
    labels = list(labels) if labels is not None else [str(i) for i in range(len(values))]
    colors = ["tab:orange" if i == highlight else "tab:blue" for i in range(len(values))]
    ax = ax or plt.figure(figsize=(6, 3)).gca()
    ax.bar(labels, values, color=colors)
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    return ax


def show_channels(
    array: np.ndarray,
    *,
    title: str | None = None,
    ncols: int = 8,
    cmap: str | None = None,
    symmetric: bool = False,
    size: float = 0.9,
) -> Figure:
    """Show every channel of a channels-last array as its own small image, numbered from 1.

    Takes what Keras gives: one image's activations ``(height, width, channels)`` or
    ``(1, height, width, channels)``, or a Conv2D kernel ``(height, width, 1, filters)``.
    With ``symmetric=True`` each image gets a colour scale centred on 0 (blue below, red
    above), which suits weights; otherwise a sequential scale. Introduced in notebook 05.

    Example:
        >>> figure = show_channels(np.zeros((3, 3, 1, 32)), title="Filters", symmetric=True)
        >>> len(figure.axes)
        32
    """
    array = np.asarray(array, dtype=float)
    if array.ndim == 4 and array.shape[0] == 1:
        array = array[0]
    elif array.ndim == 4 and array.shape[2] == 1:
        array = array[:, :, 0, :]
    if array.ndim != 3:
        raise ValueError(
            "show_channels wants (height, width, channels), (1, height, width, channels) or a "
            f"Conv2D kernel (height, width, 1, filters); got shape {array.shape}."
        )
    channels = np.moveaxis(array, -1, 0)
    count = len(channels)
    ncols = max(1, min(ncols, count))
    nrows = -(-count // ncols)
    figure = plt.figure(figsize=(size * ncols, (size + 0.3) * nrows + 0.5))
    axes = figure.subplots(nrows, ncols, squeeze=False)
    cmap = cmap or ("RdBu_r" if symmetric else "viridis")
    for index, ax in enumerate(axes.flat):
        ax.set_axis_off()
        if index < count:
            image = channels[index]
            if symmetric:
                limit = float(np.max(np.abs(image))) or 1.0
                ax.imshow(image, cmap=cmap, vmin=-limit, vmax=limit)
            else:
                ax.imshow(image, cmap=cmap)
            ax.set_title(str(index + 1), fontsize="x-small")
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    return figure


def compare_histories(
    histories: dict,
    metric: str = "loss",
    *,
    title: str | None = None,
    reference: float | None = None,
    reference_label: str = "reference",
    log: bool = False,
    first_epoch: int = 1,
    ax: Axes | None = None,
) -> Axes:
    """Plot one metric per epoch for several training runs, one line each, with a legend.

    ``histories`` maps a label to what ``fit`` returned, to its ``.history`` dict, or to a
    plain list of per-epoch values (then ``metric`` only names the y axis).
    ``reference`` draws a dashed horizontal line (for example the loss of guessing).
    Epochs are numbered from ``first_epoch`` (pass 0 when a list starts with the value
    before training). Introduced in notebook 04.

    Example:
        >>> ax = compare_histories({"a": {"loss": [2.0, 1.0]}, "b": {"loss": [3.0, 0.5]}},
        ...                        reference=2.3, reference_label="guessing")
        >>> ax.get_ylabel()
        'loss'
    """
    ax = ax or plt.figure(figsize=(6.5, 3.8)).gca()
    for label, history in histories.items():
        logs = getattr(history, "history", history)
        values = np.asarray(logs[metric] if isinstance(logs, dict) else logs, dtype=float)
        ax.plot(np.arange(first_epoch, first_epoch + len(values)), values, marker="o", label=label)
    if reference is not None:
        ax.axhline(reference, color="gray", linestyle="--", label=reference_label)
    if log:
        ax.set_yscale("log")
    ax.set_title(title or f"{metric} per epoch")
    ax.set_xlabel("Epoch")
    ax.set_ylabel(metric.replace("_", " "))
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.legend(fontsize="small")
    return ax
