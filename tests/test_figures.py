"""Every figure of the course fits an ordinary notebook column (900 px at the course's 90 dpi),
so no front end scales it down and its titles stay legible; the setup line fits one line."""

from __future__ import annotations

import ast
import io
import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import nbformat  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402

from mnist_course import plots  # noqa: E402
from mnist_course.setup import _PLOT_STYLE  # noqa: E402

from conftest import SOLUTIONS  # noqa: E402

COLUMN_PX = 900
DPI = _PLOT_STYLE["figure.dpi"]
FASHION = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
           "Bag", "Ankle boot"]
rng = np.random.default_rng(0)
digits = rng.integers(0, 256, size=(10, 28, 28))
history = {"loss": [1.0, 0.5], "val_loss": [1.1, 0.6], "accuracy": [0.7, 0.9],
           "val_accuracy": [0.6, 0.8]}

# The widest calls the notebooks make of each helper (one row: a figure's width depends only
# on its columns, and fewer panels keep the test fast).
FIGURES = {
    "01 mean images": lambda: plots.show_images(digits[:10], titles=[f"mean of {d}" for d in range(10)],
                                                size=1.3, title="The average training image of each digit"),
    "01 grid of 100 (a mosaic)": lambda: plots.show_images(
        np.concatenate([digits] * 10), titles=[str(d % 10) for d in range(100)],
        title="100 random training digits and their labels"),
    "06 confused pairs": lambda: plots.show_images(digits, titles=[f"#{i}" for i in range(1000, 1010)],
                                                   size=1.2, title="The most confused pair"),
    "07 fashion means": lambda: plots.show_images(digits[:10], titles=FASHION, size=1.25, title="Means"),
    "02 templates": lambda: plots.show_signed_images(digits[:10] - 128.0, titles=list("0123456789"),
                                                     title="The learned templates"),
    "05 filters": lambda: plots.show_channels(rng.normal(size=(3, 3, 1, 8)), symmetric=True,
                                              title="The 32 filters"),
    "05 feature maps": lambda: plots.show_channels(rng.normal(size=(1, 26, 26, 8)), title="Maps"),
    "07 pictures": lambda: plots.show_pictures([digits[0]] * 6, titles=["step"] * 6, title="Steps"),
    "class counts": lambda: plots.plot_class_counts(np.arange(10) * 100 + 5000, title="Counts"),
    "pixel histogram": lambda: plots.plot_pixel_histogram(digits, title="Pixels"),
    "bars": lambda: plots.plot_bars(np.full(10, 0.1), title="Probabilities",
                                    xlabel="digit", ylabel="probability"),
    "confusion (fashion)": lambda: plots.plot_confusion_matrix(
        np.full((10, 10), 0.1), class_names=FASHION, title="Confusion"),
    "class scores": lambda: plots.plot_class_scores(
        {"precision": np.full(10, 0.9), "recall": np.full(10, 0.8), "f1": np.full(10, 0.85)},
        class_names=FASHION, title="Scores"),
    "histories": lambda: plots.compare_histories({"SGD": history, "Adam": history}, title="Runs"),
}


def _figure_of(drawn):
    return drawn if isinstance(drawn, matplotlib.figure.Figure) else drawn.get_figure()


@pytest.mark.parametrize("name", FIGURES)
def test_figure_fits_the_column(name):
    plt.rcParams.update(_PLOT_STYLE)
    figure = _figure_of(FIGURES[name]())
    buffer = io.BytesIO()
    # What the inline backend does: the figure's dpi and a tight bounding box.
    figure.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight")
    plt.close(figure)
    width, _ = Image.open(buffer).size
    assert width <= COLUMN_PX, f"{name} is {width} px wide: a notebook column shows about {COLUMN_PX}"


def test_grids_shrink_their_panels_instead_of_growing_wider():
    figure = plots.show_images(digits, ncols=10, size=2.0)
    assert figure.get_figwidth() <= plots.MAX_WIDTH
    plt.close(figure)


@pytest.mark.parametrize("path", sorted(SOLUTIONS.glob("*.ipynb")), ids=lambda p: p.name)
def test_notebook_figsizes_fit_the_column(path):
    """A figsize=(width, height) written in a notebook's code is at most MAX_WIDTH wide."""
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type != "code":
            continue
        for match in re.finditer(r"figsize=\(([^,()]+),", cell.source):
            try:
                width = float(ast.literal_eval(match.group(1).strip()))
            except (ValueError, SyntaxError):
                continue
            assert width <= plots.MAX_WIDTH, f"{path.name}: figsize width {width} in > {plots.MAX_WIDTH}"


def test_a_big_grid_is_one_mosaic():
    figure = plots.show_images(np.concatenate([digits] * 10), titles=[str(d % 10) for d in range(100)])
    assert len(figure.axes) == 1 and len(figure.axes[0].texts) == 100
    plt.close(figure)


@pytest.mark.parametrize("how", [
    "the path passed in", "the environment variable MNIST_COURSE_DATA",
    "the environment variable MNIST_COURSE_FASHION_DATA", "Keras's cache",
    "a download through Keras", "Debian's dataset-fashion-mnist package"])
def test_the_setup_line_fits_one_line_of_a_notebook(how):
    from pathlib import Path

    from mnist_course.data import Source
    from mnist_course.setup import setup_line

    source = Source(Path("/a/very/long/path/that/would/wrap/in/a/notebook/column/mnist.npz"), how)
    assert "/" not in source.short and len(source.short) <= 30
    for title in ("MNIST", "Fashion-MNIST"):
        for n_train, n_test, fast in ((60000, 10000, False), (6000, 1000, True)):
            line = setup_line(title, n_train, n_test, source.short, 42, fast)
            assert len(line) <= 96, f"{len(line)} characters: {line}"


def test_the_full_path_is_there_when_asked(course_data):
    from mnist_course.data import describe_source

    assert describe_source() == course_data.source and "/" in course_data.source
    assert course_data.origin and "/" not in course_data.origin
