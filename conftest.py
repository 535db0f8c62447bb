"""Root pytest configuration: every test run, including nbval's notebook kernels, is fast mode.

Set MNIST_COURSE_FAST=0 yourself to run the notebooks on the full data under pytest.
"""

import os

os.environ.setdefault("MNIST_COURSE_FAST", "1")
