"""``python -m mnist_course``: the same as the ``mnist-course`` command (see :mod:`mnist_course.tools.cli`)."""

import sys

from mnist_course.tools.cli import main

sys.exit(main())
