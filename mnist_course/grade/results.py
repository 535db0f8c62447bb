"""What grading finds out: the statuses, one exercise's result, one notebook's report.

Example:
    >>> report = Report("a.ipynb", exercises=[ExerciseResult("1.1", PASSED)])
    >>> report.exit_code, report.counts()[PASSED]
    (0, 1)
"""

from __future__ import annotations

import dataclasses

PASSED, FAILED, NOT_ATTEMPTED, NOT_REACHED, TIMED_OUT, TAMPERED = (
    "passed", "failed", "not attempted", "not reached", "timed out", "tampered")
#: Every result an exercise can get. "tampered": its check cell was changed, or code replaces
#: or patches the course's checks; the detail says what, and what the course's check found.
STATUSES = (PASSED, FAILED, NOT_ATTEMPTED, NOT_REACHED, TIMED_OUT, TAMPERED)


class GradeError(Exception):
    """Bad input: the path is not a notebook of this course that can be graded, or an output
    path would overwrite something (exit code 2)."""


@dataclasses.dataclass
class ExerciseResult:
    """The grade of one exercise: a status from :data:`STATUSES` and a detail for humans."""

    exercise: str
    status: str
    detail: str = ""
    tampering: list[str] = dataclasses.field(default_factory=list)  # what changed its own check
    output: str = ""  # what the course's check printed (its ✔ line)


@dataclasses.dataclass
class Report:
    """Everything the grader found out about one notebook."""

    notebook: str
    course_notebook: str = ""
    reference: str = ""
    mode: str = ""
    seconds: float = 0.0
    exercises: list[ExerciseResult] = dataclasses.field(default_factory=list)
    tampering: list[str] = dataclasses.field(default_factory=list)  # what affects every exercise
    notes: list[str] = dataclasses.field(default_factory=list)  # unusual, but not a verdict
    cell_errors: list[str] = dataclasses.field(default_factory=list)
    error: str | None = None

    @property
    def results(self) -> list[ExerciseResult]:
        """The exercises' results, in the course's order."""
        return self.exercises

    @property
    def exit_code(self) -> int:
        """0 when every exercise passed, 1 when one did not, 2 on bad input."""
        if self.error is not None:
            return 2
        return 0 if self.exercises and all(r.status == PASSED for r in self.exercises) else 1

    def counts(self) -> dict[str, int]:
        return {status: sum(r.status == status for r in self.exercises) for status in STATUSES}

    def to_dict(self) -> dict:
        data = dataclasses.asdict(self)
        data["exit_code"] = self.exit_code
        data["counts"] = self.counts()
        return data
