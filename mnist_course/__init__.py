"""Helpers for the mnist-course notebooks: data loading, plotting, checks and set-up.

The package has two halves. What a lesson imports sits at the top:

- :mod:`~mnist_course.setup` (``setup_notebook``), :mod:`~mnist_course.data`,
  :mod:`~mnist_course.mode` (fast mode), :mod:`~mnist_course.plots`, :mod:`~mnist_course.images`,
  :mod:`~mnist_course.pad` (the drawing pad), :mod:`~mnist_course.tables`,
  :mod:`~mnist_course.quiet`, and :mod:`~mnist_course.checks` (one module per notebook).

Course tooling, which no lesson imports, lives in three subpackages:

- :mod:`~mnist_course.grade`: the grader (kernel side, judge, reports, ``--jobs``, ``--stats``);
- :mod:`~mnist_course.export`: nbgrader and Gradescope;
- :mod:`~mnist_course.tools`: the ``mnist-course`` command, the notebook model, ``make
  student``, the pip install of the notebooks, and the benchmark.

Imported in a Jupyter kernel, the package imports Keras at once with TensorFlow's start-up
log lines dropped (see :mod:`mnist_course.quiet`), so import it before ``keras`` in a notebook.
Elsewhere (tests, the command line) it imports nothing heavy.

Example:
    >>> from mnist_course import setup_notebook
    >>> (x_train, y_train), (x_test, y_test) = setup_notebook()   # doctest: +SKIP
    MNIST: 60,000 training, 10,000 test images (Keras cache); seed 42
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

if "ipykernel" in sys.modules:  # a notebook: keep TensorFlow's start-up lines out of it
    from mnist_course.quiet import import_keras_quietly

    import_keras_quietly()

__all__ = ["setup_notebook"]
__version__ = "0.1.0"


def __getattr__(name: str):
    """``setup_notebook`` is imported on first use, not with the package: ``python -m
    mnist_course.data`` (``make data``) must not find ``mnist_course.data`` imported already."""
    if name == "setup_notebook":
        from mnist_course.setup import setup_notebook

        return setup_notebook
    raise AttributeError(f"module 'mnist_course' has no attribute {name!r}")
