"""The one call at the top of every notebook: seeds, plot style, quiet logs, data.

Example:
    >>> from mnist_course import setup_notebook
    >>> (x_train, y_train), (x_test, y_test) = setup_notebook(seed=42)   # doctest: +SKIP
"""

from __future__ import annotations

import logging
import warnings

from mnist_course import data, mode

#: The seed every notebook starts from unless it passes its own.
DEFAULT_SEED = 42

_PLOT_STYLE = {
    "figure.figsize": (6.0, 4.0),
    "figure.dpi": 90,
    "axes.grid": False,
    "axes.titlesize": "medium",
    "image.cmap": "gray_r",
    "image.interpolation": "nearest",
}


def set_seed(seed: int = DEFAULT_SEED) -> None:
    """Seed Python, NumPy and the Keras backend, so a run can be repeated.

    Call it again right before building a model to make that model's start repeatable.

    Example:
        >>> set_seed(0)   # doctest: +SKIP
    """
    import keras

    keras.utils.set_random_seed(seed)


def setup_notebook(seed: int = DEFAULT_SEED, dataset: str = "mnist", *,
                   verbose: bool = False) -> data.Dataset:
    """Prepare a notebook and return its data as ``(x_train, y_train), (x_test, y_test)``.

    Seeds every random generator, sets the course's plot defaults, hides TensorFlow's
    start-up log lines, loads the data (a stratified sample in fast mode), and prints one
    short line: the data set, its size, where it came from in a few words, the seed and
    whether fast mode is on. ``verbose=True`` adds the data file's full path and what fast
    mode changes (``mnist_course.data.describe_source()`` also gives the path).
    ``dataset`` is ``"mnist"`` or ``"fashion"``. The arrays are yours to change: they are
    copies.

    Example:
        >>> (x_train, y_train), (x_test, y_test) = setup_notebook()   # doctest: +SKIP
    """
    import matplotlib

    _quiet_logs()
    matplotlib.rcParams.update(_PLOT_STYLE)
    set_seed(seed)
    course = data.course_data(dataset)
    title = "MNIST" if dataset == "mnist" else "Fashion-MNIST"
    (x_train, y_train), (x_test, y_test) = course.train, course.test
    print(setup_line(title, len(x_train), len(x_test), course.origin, seed, mode.is_fast_mode()))
    if verbose:
        print(f"Data file: {course.source}\n{mode.describe()}")
    return (x_train.copy(), y_train.copy()), (x_test.copy(), y_test.copy())


def setup_line(title: str, n_train: int, n_test: int, origin: str, seed: int, fast: bool) -> str:
    """The line ``setup_notebook()`` prints; short enough for one line of a notebook column.

    Example:
        >>> setup_line("MNIST", 60000, 10000, "Keras cache", 42, fast=False)
        'MNIST: 60,000 training, 10,000 test images (Keras cache); seed 42'
    """
    line = f"{title}: {n_train:,} training, {n_test:,} test images ({origin}); seed {seed}"
    return line + ("; fast mode" if fast else "")


def _quiet_logs() -> None:
    """Keep TensorFlow's informational chatter out of the student's way."""
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    try:
        import absl.logging

        absl.logging.set_verbosity(absl.logging.ERROR)
    except ImportError:  # absl comes with TensorFlow; without it there is nothing to quiet
        pass
    warnings.filterwarnings("ignore", module="tensorflow")
