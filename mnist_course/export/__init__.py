"""Exports of the course to the autograding tools instructors already run.

- :mod:`mnist_course.export.nbgrader`: the solution notebooks with nbgrader's cell metadata
  (``mnist-course export nbgrader DIR``).
- :mod:`mnist_course.export.gradescope`: a Gradescope autograder zip
  (``mnist-course export gradescope FILE.zip``).
"""
