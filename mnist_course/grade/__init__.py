"""Grade a student's notebook, exercise by exercise, with the course's own checks.

``mnist-course grade NOTEBOOK`` (see :mod:`mnist_course.tools.cli`) calls :func:`grade_notebook`.
A submission flows through these modules, each with one job:

1. :mod:`~mnist_course.grade.reference`: which course notebook it is (from its tags) and the
   course's canonical check cells (from ``solutions/``, or the checks' signatures).
2. :mod:`~mnist_course.grade.scan` and :mod:`~mnist_course.grade.plan`: compare its check
   cells with the course's and read its code (only replacing or patching the course's checks
   is *tampering*; anything else unusual is a note), then build the copy to execute, with the
   course's own check call at each check position.
3. :mod:`~mnist_course.grade.run`: execute that copy in a fresh kernel, contained in a folder
   of its own (working directory, ``HOME``, IPython directory, temp directory) with a copy of
   the course without ``solutions/``, and, where one can be made, in a bubblewrap sandbox
   (:mod:`~mnist_course.grade.sandbox`: read-only files, no network, a process namespace of
   its own); afterwards every process it started is ended. At each
   check position the kernel's helper (:mod:`mnist_course.grade.kernel`) hands the check's
   arguments over *as data* (:mod:`~mnist_course.grade.capture`): arrays, numbers, models as
   ``.keras`` files, histories, figures, and a function's outputs on the inputs the check gave
   it. Nothing that comes out of the kernel is a verdict.
4. :mod:`~mnist_course.grade.judge`: a separate, clean process (``python -I -B``; in a
   sandbox of its own, started only after the kernel's is gone) that, once the kernel has
   ended, imports the course's checks from a read-only copy written from the files as they
   were when grading began, verifies the data by SHA-256, restores each answer and calls the
   very same check function; it decides every verdict.
5. :mod:`~mnist_course.grade.interpret`: one result per exercise from the verdicts and what
   happened in the kernel (not attempted, not reached, timed out, tampered).
6. :mod:`~mnist_course.grade.report` and :mod:`~mnist_course.grade.outputs`: the table, JSON
   and CSV, and the feedback copy, written only as new files outside the submissions.

:mod:`~mnist_course.grade.notebook` runs these steps for one notebook, or many in turn.
In a live notebook none of this is involved: the student calls the same check function on the
real objects, in one process.

Example:
    >>> report = grade_notebook("notebooks/01_meet_the_data.ipynb", fast=True)   # doctest: +SKIP
    >>> print(format_report(report))                                              # doctest: +SKIP
"""

from mnist_course.grade.notebook import (
    DEFAULT_TIMEOUTS, WATCHED_VARIABLES, executed_target, grade_many, grade_notebook, resolve_mode,
    save_executed,
)
from mnist_course.grade.outputs import check_outputs
from mnist_course.grade.plan import Plan, canonical_source, plan_execution
from mnist_course.grade.reference import (
    CHECKOUT_SOLUTIONS, PACKAGE_DIR, Reference, course_number, find_solution, load_reference,
    reference_from_checks,
)
from mnist_course.grade.report import (
    find_submissions, format_report, not_graded_because, safe_name, summary_line, write_csv, write_json,
)
from mnist_course.grade.results import (
    FAILED, NOT_ATTEMPTED, NOT_REACHED, PASSED, STATUSES, TAMPERED, TIMED_OUT, ExerciseResult, GradeError,
    Report,
)
from mnist_course.grade.run import Execution
from mnist_course.grade.interpret import interpret

__all__ = [
    "CHECKOUT_SOLUTIONS", "DEFAULT_TIMEOUTS", "Execution", "ExerciseResult", "FAILED", "GradeError",
    "NOT_ATTEMPTED", "NOT_REACHED", "PACKAGE_DIR", "PASSED", "Plan", "Reference", "Report", "STATUSES",
    "TAMPERED", "TIMED_OUT", "WATCHED_VARIABLES", "canonical_source", "check_outputs", "course_number",
    "executed_target", "find_solution", "find_submissions", "format_report", "grade_many",
    "grade_notebook", "interpret", "load_reference", "not_graded_because", "safe_name", "plan_execution",
    "reference_from_checks",
    "resolve_mode", "save_executed", "summary_line", "write_csv", "write_json",
]
