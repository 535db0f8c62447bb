"""Import Keras (and TensorFlow) without its start-up log lines reaching the notebook.

TensorFlow writes several informational lines (oneDNN, CUDA drivers, CPU instructions)
straight to the process's standard error while it is imported, before its own log-level
setting takes effect, and one more error line ("failed call to cuInit") when it first looks
for a GPU on a machine without one; Jupyter shows them all in the student's cells. This
module imports it, and lets it look for devices, with file descriptor 2 sent to a temporary
file; if the import fails, what was
written there is printed after all, so nothing useful is hidden. Used by every notebook
through ``import mnist_course``.

Example:
    >>> keras = import_keras_quietly()   # doctest: +SKIP
    >>> keras.__version__                # doctest: +SKIP
    '3.15.1'
"""

from __future__ import annotations

import os
import sys
import tempfile
from types import ModuleType


def import_keras_quietly() -> ModuleType:
    """Import and return ``keras``; TensorFlow's start-up lines on stderr are dropped.

    Example:
        >>> import_keras_quietly().__name__   # doctest: +SKIP
        'keras'
    """
    if "keras" in sys.modules:
        return sys.modules["keras"]
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as captured:
        os.dup2(captured.fileno(), 2)
        try:
            import keras

            if keras.backend.backend() == "tensorflow":
                import tensorflow

                tensorflow.config.list_physical_devices()  # the GPU probe, done quietly now
        except BaseException:
            os.dup2(saved, 2)
            captured.seek(0)
            sys.stderr.write(captured.read().decode(errors="replace"))
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)
    return keras
