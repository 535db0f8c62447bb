"""Course tooling for instructors and maintainers, never imported by a lesson.

- :mod:`~mnist_course.tools.cli`: the ``mnist-course`` command (grade, export, notebooks);
- :mod:`~mnist_course.tools.ipynb`: the notebook model (reading a notebook, its exercise tags);
- :mod:`~mnist_course.tools.student`: the student notebooks from the solutions (``make student``);
- :mod:`~mnist_course.tools.install`: the packaged student notebooks for pip users
  (``mnist-course notebooks``);
- :mod:`~mnist_course.tools.benchmark`: timing the course's models (``make benchmark``).

Grading lives in :mod:`mnist_course.grade`, the exports in :mod:`mnist_course.export`.

Example:
    $ python -m mnist_course.tools.student solutions notebooks --check
"""
