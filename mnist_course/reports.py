"""Reading the grader's reports back: from the JSON of ``mnist-course grade --json``, and the
list of exercise results of a :class:`~mnist_course.grade.Report`.

Used by parallel grading (each child writes JSON), the class statistics and the exports, so
that they depend only on the grader's public API.

Example:
    >>> report = report_from_dict({"notebook": "a.ipynb", "error": "not a notebook"})
    >>> report.error, results_of(report)
    ('not a notebook', [])
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from mnist_course import grade

#: The results an exercise can get (the grader's :data:`~mnist_course.grade.STATUSES`).
STATUSES = tuple(getattr(grade, "STATUSES", (
    "passed", "failed", "not attempted", "not reached", "timed out", "tampered")))
PASSED, FAILED, NOT_ATTEMPTED, NOT_REACHED, TIMED_OUT, TAMPERED = STATUSES[:6]


def results_of(report: grade.Report) -> list[grade.ExerciseResult]:
    """The exercise results of a report, in the course's order."""
    results = getattr(report, "results", None)
    return list(results if results is not None else getattr(report, "exercises", []))


def summary(report: grade.Report) -> str:
    """One line: how many exercises passed, and the count of every other result.

    Example:
        >>> summary(grade.Report("a.ipynb", error="not a notebook"))
        'not graded: not a notebook'
    """
    if report.error is not None:
        return f"not graded: {report.error}"
    results = results_of(report)
    counts = {status: sum(r.status == status for r in results) for status in STATUSES}
    parts = [f"{counts[PASSED]} of {len(results)} passed"] + [f"{counts[s]} {s}" for s in STATUSES[1:] if counts[s]]
    return ", ".join(parts)


def _fields(cls) -> set[str]:
    return {field.name for field in dataclasses.fields(cls)}


def report_from_dict(data: dict) -> grade.Report:
    """A :class:`~mnist_course.grade.Report` from its ``to_dict()`` (keys it does not know are
    ignored, so a report written by a newer grader still reads)."""
    known = _fields(grade.Report)
    listed = data.get("results", data.get("exercises", []))
    results = [grade.ExerciseResult(**{k: v for k, v in item.items() if k in _fields(grade.ExerciseResult)})
               for item in listed]
    values = {k: v for k, v in data.items() if k in known and k not in ("results", "exercises")}
    key = "results" if "results" in known else "exercises"
    return grade.Report(**values, **{key: results})


def read_report(path: str | Path) -> grade.Report:
    """The report in a JSON file written by ``mnist-course grade NOTEBOOK --json FILE``."""
    return report_from_dict(json.loads(Path(path).read_text(encoding="utf-8")))
