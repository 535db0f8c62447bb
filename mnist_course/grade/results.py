"""What grading finds out: the statuses, one exercise's result, one notebook's report, and
reading a report back from the JSON of ``mnist-course grade --json`` (parallel grading, the
class statistics and the exports use these).

Example:
    >>> report = Report("a.ipynb", exercises=[ExerciseResult("1.1", PASSED)])
    >>> report.exit_code, report.counts()[PASSED], summary(report)
    (0, 1, '1 of 1 passed')
    >>> report_from_dict(report.to_dict()) == report
    True
    >>> result_line(ExerciseResult("2.6", TIMED_OUT, "the exercise cell ran longer than the time limit (300 s)"))
    '✘ Exercise 2.6 timed out: the exercise cell ran longer than the time limit (300 s).'
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

PASSED, FAILED, NOT_ATTEMPTED, NOT_REACHED, TIMED_OUT, TAMPERED = (
    "passed", "failed", "not attempted", "not reached", "timed out", "tampered")
#: Every result an exercise can get. "tampered": its check cell was changed, or code replaces
#: or patches the course's checks; the detail says what, and what the course's check found.
STATUSES = (PASSED, FAILED, NOT_ATTEMPTED, NOT_REACHED, TIMED_OUT, TAMPERED)
#: The symbol each result's line starts with, as the course's checks print them.
SYMBOLS = {PASSED: "✔", FAILED: "✘", NOT_ATTEMPTED: "○", NOT_REACHED: "○", TIMED_OUT: "✘", TAMPERED: "✘"}
#: How a line says each result after "Exercise N.M".
_PHRASES = {PASSED: "passed", FAILED: "failed", NOT_ATTEMPTED: "is not attempted yet",
            NOT_REACHED: "was not reached", TIMED_OUT: "timed out", TAMPERED: "was tampered with"}


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


def results_of(report: Report) -> list[ExerciseResult]:
    """The exercise results of a report, in the course's order."""
    return list(report.exercises)


def summary(report: Report) -> str:
    """One line: how many exercises passed, and the count of every other result.

    Example:
        >>> summary(Report("a.ipynb", error="not a notebook"))
        'not graded: not a notebook'
    """
    if report.error is not None:
        return f"not graded: {report.error}"
    counts = report.counts()
    parts = [f"{counts[PASSED]} of {len(report.exercises)} passed"]
    return ", ".join(parts + [f"{counts[s]} {s}" for s in STATUSES[1:] if counts[s]])


def result_line(result: ExerciseResult) -> str:
    """One exercise's result as one line that reads like the checks' own: a symbol, then
    ``Exercise N.M``, the result and its detail (a check's message is kept as it is).

    Example:
        >>> result_line(ExerciseResult("1.2", NOT_REACHED, "it uses x_train, which cell 3 left undefined"))
        '○ Exercise 1.2 was not reached: it uses x_train, which cell 3 left undefined.'
    """
    symbol = SYMBOLS.get(result.status, "•")
    if result.status == PASSED and result.output.strip():
        return result.output.strip()
    detail = result.detail.strip()
    if detail.startswith(f"Exercise {result.exercise}") and result.status in (FAILED, NOT_ATTEMPTED):
        return f"{symbol} {detail}"  # the check's own message
    line = f"{symbol} Exercise {result.exercise} {_PHRASES.get(result.status, result.status)}"
    if not detail:
        return line + "."
    return f"{line}: {detail}" + ("" if detail.endswith((".", "!", "?")) or "\n" in detail else ".")


def _fields(cls) -> set[str]:
    return {field.name for field in dataclasses.fields(cls)}


def report_from_dict(data: dict) -> Report:
    """A :class:`Report` from its ``to_dict()``; keys it does not know are ignored, so a report
    written by a newer grader still reads."""
    results = [ExerciseResult(**{k: v for k, v in item.items() if k in _fields(ExerciseResult)})
               for item in data.get("exercises", data.get("results", []))]
    values = {k: v for k, v in data.items() if k in _fields(Report) and k != "exercises"}
    return Report(**values, exercises=results)


def read_report(path: str | Path) -> Report:
    """The report in a JSON file written by ``mnist-course grade NOTEBOOK --json FILE``."""
    return report_from_dict(json.loads(Path(path).read_text(encoding="utf-8")))
