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


def show_signed_images(
    images: np.ndarray,
    titles: Sequence[str] | None = None,
    *,
    ncols: int = 10,
    title: str | None = None,
    size: float = 1.2,
    cmap: str = "RdBu_r",
    limit: float | None = None,
) -> Figure:
    """Show 28x28 maps whose values can be negative, such as a layer's learned weights.

    All images share one colour scale centred on zero (red above, blue below, white zero),
    explained by a colour bar. The scale runs from ``-limit`` to ``limit``; by default
    ``limit`` is the 99th percentile of the absolute values, so that a few extreme values do
    not wash out the rest (values beyond it get the end colours). Introduced in notebook 02
    for the weight templates.

    Example:
        >>> figure = show_signed_images(np.linspace(-1, 1, 2 * 784).reshape(2, 28, 28),
        ...                             titles=["a", "b"], title="Weights")
        >>> figure.get_suptitle()
        'Weights'
    """
    images = np.asarray(images, dtype=float)
    if images.ndim == 2 and images.shape[1] == 784:
        images = images.reshape(-1, 28, 28)
    if images.ndim != 3:
        raise ValueError(
            f"show_signed_images wants images of shape (n, 28, 28) or (n, 784), got {images.shape}."
        )
    if titles is not None and len(titles) != len(images):
        raise ValueError(f"{len(images)} images but {len(titles)} titles: give one title each.")
    count = len(images)
    ncols = max(1, min(ncols, count))
    nrows = -(-count // ncols)
    if limit is None:
        limit = float(np.percentile(np.abs(images), 99)) or float(np.abs(images).max()) or 1.0
    title_room = 0.35 if titles is not None else 0.0
    figure = plt.figure(figsize=(size * ncols + 0.8, (size + title_room) * nrows + 0.6))
    axes = figure.subplots(nrows, ncols, squeeze=False)
    shown = None
    for index, ax in enumerate(axes.flat):
        ax.set_axis_off()
        if index < count:
            shown = ax.imshow(images[index], cmap=cmap, vmin=-limit, vmax=limit)
            if titles is not None:
                ax.set_title(str(titles[index]), fontsize="small")
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    if shown is not None:
        figure.colorbar(shown, ax=axes.ravel().tolist(), shrink=0.8, label="value", extend="both")
    return figure
