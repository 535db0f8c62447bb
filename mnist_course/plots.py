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

#: The widest figure (inches) that fits a notebook column at the course's 90 dpi: 900 px.
#: A wider figure is scaled down by the front end, and its titles with it.
MAX_WIDTH = 10.0


def _grid(count: int, ncols: int, size: float, title_room: float, *, extra_width: float = 0.0,
          extra_height: float = 0.5, figure: Figure | None = None) -> tuple[Figure, np.ndarray]:
    """A figure of ``count`` panels, ``ncols`` a row, each ``size`` inches wide unless that
    would make the figure wider than :data:`MAX_WIDTH` (then the panels shrink to fit)."""
    ncols = max(1, min(ncols, count))
    nrows = -(-count // ncols)
    size = min(size, (MAX_WIDTH - extra_width) / ncols)
    if figure is None:
        figure = plt.figure(figsize=(size * ncols + extra_width,
                                     (size + title_room) * nrows + extra_height))
    return figure, figure.subplots(nrows, ncols, squeeze=False)


#: Above this many images, :func:`show_images` draws one mosaic instead of one axes per image:
#: a hundred axes take seconds to lay out and draw, one mosaic a fraction of a second.
MOSAIC_ABOVE = 30


def _mosaic(figure: Figure, images: np.ndarray, titles: Sequence[str] | None, ncols: int,
            size: float, title_room: float, cmap: str) -> None:
    """Draw many equal-sized images as one picture with a gap and a title above each."""
    count, height, width = images.shape
    ncols = max(1, min(ncols, count))
    nrows = -(-count // ncols)
    above = int(round(height * title_room / size)) if titles is not None else 0
    gap = 2
    cell_h, cell_w = height + above + gap, width + gap
    canvas = np.full((nrows * cell_h, ncols * cell_w), np.nan)
    for index, image in enumerate(images.astype(float)):
        low, high = float(image.min()), float(image.max())
        row, col = divmod(index, ncols)
        top, left = row * cell_h + above, col * cell_w
        canvas[top:top + height, left:left + width] = (image - low) / ((high - low) or 1.0)
    room = 0.5 / figure.get_figheight()  # for the suptitle
    ax = figure.add_axes((0.0, 0.0, 1.0, 1.0 - room))
    ax.imshow(canvas, cmap=cmap, vmin=0.0, vmax=1.0, interpolation="nearest")
    ax.set_axis_off()
    if titles is not None:
        for index, text in enumerate(titles):
            row, col = divmod(index, ncols)
            ax.text(col * cell_w + (width - 1) / 2, row * cell_h + above - 1.5, str(text),
                    ha="center", va="bottom", fontsize="small")


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

    More than :data:`MOSAIC_ABOVE` images are drawn as one mosaic, which is much faster.

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
    title_room = 0.35 if titles is not None else 0.0
    if count > MOSAIC_ABOVE:
        ncols = max(1, min(ncols, count))
        size = min(size, (MAX_WIDTH - 0.3) / ncols)  # the mosaic fills its figure: keep a margin
        figure = figure or plt.figure(
            figsize=(size * ncols, (size + title_room) * -(-count // ncols) + 0.5))
        _mosaic(figure, images, titles, ncols, size, title_room, cmap)
        if title:
            figure.suptitle(title)
        return figure
    figure, axes = _grid(count, ncols, size, title_room, figure=figure)
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


# --------------------------------------------------------------------------- notebooks 06 and 07


def plot_confusion_matrix(
    matrix: Sequence[Sequence[float]] | np.ndarray,
    *,
    class_names: Sequence[str] | None = None,
    title: str = "Confusion matrix",
    percent: bool | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Draw a confusion matrix you computed as a heat map: rows true labels, columns predicted.

    Only draws; it never computes the matrix. Each cell shows its value: a count, or (for a
    matrix whose rows add up to 1, or with ``percent=True``) a percentage. The colours follow
    a square-root scale so that small numbers of mistakes stay visible next to the large
    diagonal. Used in notebooks 06 and 07.

    Example:
        >>> ax = plot_confusion_matrix(np.array([[0.9, 0.1], [0.2, 0.8]]), class_names=["cat", "dog"])
        >>> ax.get_xlabel(), ax.get_ylabel()
        ('Predicted label', 'True label')
    """
    from matplotlib.colors import PowerNorm

    values = np.asarray(matrix, dtype=float)
    if values.ndim != 2 or values.shape[0] != values.shape[1]:
        raise ValueError(f"a confusion matrix is square, (classes, classes); got shape {values.shape}.")
    count = values.shape[0]
    names = list(class_names) if class_names is not None else [str(i) for i in range(count)]
    if len(names) != count:
        raise ValueError(f"{count} classes but {len(names)} class names: give one name per class.")
    if percent is None:
        percent = bool(np.allclose(values.sum(axis=1), 1.0, atol=1e-6))
    long_names = max(len(name) for name in names) > 3
    if ax is None:
        ax = plt.figure(figsize=(8.5, 7.5) if long_names else (7, 6)).gca()
    top = values.max() if values.max() > 0 else 1.0
    image = ax.imshow(values, cmap="Blues", norm=PowerNorm(gamma=0.5, vmin=0, vmax=top))
    colorbar = ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    colorbar.set_label("Share of the true class (row)" if percent else "Number of images")
    if percent:
        colorbar.formatter = plt.FuncFormatter(lambda value, _: f"{value:.0%}")
        colorbar.update_ticks()
    for row in range(count):
        for column in range(count):
            value = values[row, column]
            if value == 0:
                continue
            if percent:
                text = f"{100 * value:.0f}" if value >= 0.095 else f"{100 * value:.1f}"
            else:
                text = f"{value:.0f}" if float(value).is_integer() else f"{value:.2f}"
            ax.text(column, row, text, ha="center", va="center", fontsize="x-small",
                    color="white" if np.sqrt(value / top) > 0.6 else "black")
    ax.set_xticks(range(count), names, rotation=45 if long_names else 0,
                  ha="right" if long_names else "center")
    ax.set_yticks(range(count), names)
    ax.set_xlabel("Predicted label")
    ax.set_ylabel("True label")
    ax.set_title(title + (" (%)" if percent else ""))
    return ax


def plot_class_scores(
    scores: dict[str, Sequence[float] | np.ndarray] | Sequence[float] | np.ndarray,
    *,
    class_names: Sequence[str] | None = None,
    title: str = "Scores per class",
    xlabel: str = "Score",
    ax: Axes | None = None,
) -> Axes:
    """Horizontal bars of one or more per-class scores (for example precision and recall).

    ``scores`` is one array of per-class values, or a dict such as
    ``{"precision": precision, "recall": recall}`` drawn as grouped bars with a legend. Each
    bar is labelled with its value. Used in notebooks 06 and 07.

    Example:
        >>> ax = plot_class_scores({"recall": [0.9, 0.7]}, class_names=["cat", "dog"])
        >>> [label.get_text() for label in ax.get_yticklabels()]
        ['cat', 'dog']
    """
    series = dict(scores) if isinstance(scores, dict) else {"": scores}
    series = {name: np.asarray(values, dtype=float) for name, values in series.items()}
    count = len(next(iter(series.values())))
    names = list(class_names) if class_names is not None else [str(i) for i in range(count)]
    height = 0.8 / len(series)
    ax = ax or plt.figure(figsize=(7, 0.25 * count * (len(series) + 1) + 1)).gca()
    positions = np.arange(count)
    for index, (name, values) in enumerate(series.items()):
        offset = (index - (len(series) - 1) / 2) * height
        bars = ax.barh(positions + offset, values, height=height, label=name or None)
        ax.bar_label(bars, fmt="%.3f", fontsize="x-small", padding=2)
    ax.set_yticks(positions, names)
    ax.invert_yaxis()  # first class on top
    ax.set_xlim(0, 1.12 * max(1.0, max(float(np.nanmax(v)) for v in series.values())))
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("Class" if class_names is not None else "Digit")
    if len(series) > 1:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
    return ax


def show_pictures(
    pictures: Sequence[np.ndarray],
    titles: Sequence[str] | None = None,
    *,
    title: str | None = None,
    ncols: int = 6,
    size: float = 1.6,
    cmap: str = "gray",
) -> Figure:
    """Show pictures of any size side by side, each in its own frame, as they really look.

    Colour pictures (height, width, 3 or 4) are shown in colour. Gray ones are drawn with
    ``cmap="gray"`` from 0 (black) to 255 (or 1 for pictures in 0..1), so white ink on black
    stays white on black: unlike :func:`show_images`, nothing is drawn reversed. Used in
    notebook 07 for pictures of digits and the steps that prepare them.

    Example:
        >>> figure = show_pictures([np.zeros((40, 30)), np.ones((28, 28, 3))], titles=["a", "b"])
        >>> len(figure.axes)
        2
    """
    pictures = [np.asarray(picture) for picture in pictures]
    if titles is not None and len(titles) != len(pictures):
        raise ValueError(f"{len(pictures)} pictures but {len(titles)} titles: give one title each.")
    count = len(pictures)
    title_room = 0.45 if titles is not None else 0.0
    figure, axes = _grid(count, ncols, size, title_room)
    for index, ax in enumerate(axes.flat):
        if index >= count:
            ax.set_axis_off()
            continue
        picture = pictures[index]
        if picture.ndim == 2:
            upper = 1.0 if picture.max(initial=0) <= 1 else max(255.0, float(picture.max()))
            ax.imshow(picture, cmap=cmap, vmin=0, vmax=upper)
        else:
            ax.imshow(picture)
        ax.set_xticks([])
        ax.set_yticks([])
        if titles is not None:
            ax.set_title(str(titles[index]), fontsize="small")
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    return figure


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
    if limit is None:
        limit = float(np.percentile(np.abs(images), 99)) or float(np.abs(images).max()) or 1.0
    title_room = 0.35 if titles is not None else 0.0
    figure, axes = _grid(count, ncols, size, title_room, extra_width=0.8, extra_height=0.6)
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
    figure, axes = _grid(count, ncols, size, 0.3)
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


def live(*, sweep: str | None = None, label: object = None, show: str | None = None):
    """Training curves that grow while ``fit`` runs: pass the result to ``fit``'s callbacks.

    ``model.fit(x, y, epochs=mode.epochs(20), callbacks=[plots.live()])`` shows one figure of
    the loss and accuracy per epoch (training and validation), updated in place, with the time
    spent and left and a red mark when the loss becomes NaN or rises above ln 10. The runs of
    a sweep share one figure: ``plots.live(sweep="learning rate", label=rate)`` in each run.
    Run by a program (nbconvert, the grader) it shows only the final figure (one line in fast
    mode). Introduced in notebook 02; the details are in :mod:`mnist_course.live`.

    Example:
        >>> callback = live()
        >>> callback.frames
        0
    """
    from mnist_course.live import live as make_live_view

    return make_live_view(sweep=sweep, label=label, show=show)
