"""Helpers for the mnist-course notebooks: data loading, plotting, checks and set-up.

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

from mnist_course.setup import setup_notebook  # noqa: E402

__all__ = ["setup_notebook"]
__version__ = "0.1.0"
