"""``python -m mnist_course``: the same as the ``mnist-course`` command (see :mod:`mnist_course.cli`)."""

import sys

from mnist_course.cli import main

sys.exit(main())
