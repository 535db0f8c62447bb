"""Exports of the course to the autograding tools instructors already run.

- :mod:`mnist_course.export.nbgrader`: an nbgrader course folder, with its
  ``nbgrader_config.py`` and the solution notebooks carrying nbgrader's cell metadata
  (``mnist-course export nbgrader COURSE``).
- :mod:`mnist_course.export.gradescope`: Gradescope autograders, one zip per notebook
  (``mnist-course export gradescope TARGET``).
- :mod:`mnist_course.export.costs`: the measured cost of grading each notebook
  (``grading_costs.json``) and the Gradescope settings that follow from it.
- :mod:`mnist_course.export.wheel`: the course's wheel, built from a checkout.
"""
