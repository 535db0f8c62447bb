"""How grades are shown and saved: the table per notebook, the JSON and the CSV.

Example:
    >>> print(format_report(Report("a.ipynb", error="not a notebook")))
    a.ipynb: not graded.
      not a notebook
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from mnist_course.grade.outputs import create_text
from mnist_course.grade.results import PASSED, STATUSES, Report


def find_submissions(folder: Path) -> list[Path]:
    """Every ``*.ipynb`` under ``folder``, except Jupyter's checkpoints and backups."""
    return sorted(p for p in folder.rglob("*.ipynb")
                  if ".ipynb_checkpoints" not in p.parts and "backup" not in p.relative_to(folder).parts[:-1])


def summary_line(report: Report) -> str:
    if report.error is not None:
        return f"not graded: {report.error}"
    counts = report.counts()
    parts = [f"{counts[PASSED]} of {len(report.exercises)} passed"]
    parts += [f"{counts[s]} {s}" for s in STATUSES[1:] if counts[s]]
    return ", ".join(parts) + f" ({report.seconds:.0f} s)"


def format_report(report: Report) -> str:
    """The table printed for one notebook."""
    if report.error is not None:
        return f"{report.notebook}: not graded.\n  {report.error}"
    lines = [f"{report.notebook}: course notebook {report.course_notebook}, {report.mode} mode",
             f"  (checks compared with {report.reference})", ""]
    width = max([len(s) for s in STATUSES] + [6])
    lines.append(f"  {'Exercise':<9} {'Result':<{width}}  Details")
    lines.append(f"  {'-' * 9} {'-' * width}  {'-' * 40}")
    for result in report.exercises:
        detail = [line for line in result.detail.splitlines() if line.strip()] or [""]
        lines.append(f"  {result.exercise:<9} {result.status:<{width}}  {detail[0]}".rstrip())
        lines.extend(f"  {'':<9} {'':<{width}}  {line}" for line in detail[1:])
        for text in result.tampering:
            lines.append(f"  {'':<9} {'':<{width}}  tampering: {text}")
    lines.append("")
    lines += _section("Tampering that affects every exercise (the course's own checks were run anyway):",
                      report.tampering, len(report.tampering))
    lines += _section("Notes (unusual, but they change no verdict):", report.notes, 8)
    lines += _section("Other cells that raised errors (see the executed copy, --executed FILE):",
                      report.cell_errors, 5)
    lines.append(f"{summary_line(report)}.")
    return "\n".join(lines)


def _section(title: str, texts: list[str], most: int) -> list[str]:
    """A titled list of at most ``most`` lines, and how many more there are; nothing if empty."""
    if not texts:
        return []
    lines = [title, *(f"  {text}" for text in texts[:most])]
    if len(texts) > most:
        lines.append(f"  … and {len(texts) - most} more")
    return lines + [""]


def write_json(reports: list[Report], target: Path, single: bool = False) -> None:
    """The reports as JSON in a new file ``target`` (one report's dict when ``single``)."""
    data = reports[0].to_dict() if single else {"submissions": [r.to_dict() for r in reports]}
    create_text(Path(target), json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def write_csv(reports: list[Report], target: Path, root: Path | None = None) -> None:
    """One row per submission, one column per exercise (its status), in a new file ``target``."""
    exercises = sorted({r.exercise for report in reports for r in report.exercises},
                       key=lambda e: tuple(int(p) for p in e.split(".")))
    handle = io.StringIO()
    writer = csv.writer(handle)
    writer.writerow(["submission", "course_notebook", "passed", "exercises", *exercises,
                     "tampering", "notes", "error"])
    for report in reports:
        path = Path(report.notebook)
        name = str(path.relative_to(root)) if root and path.is_relative_to(root) else report.notebook
        statuses = {r.exercise: r.status for r in report.exercises}
        writer.writerow([name, report.course_notebook, report.counts()[PASSED], len(report.exercises),
                         *[statuses.get(e, "") for e in exercises],
                         "; ".join(report.tampering + [f"{r.exercise}: {t}" for r in report.exercises
                                                       for t in r.tampering]),
                         "; ".join(report.notes), report.error or ""])
    create_text(Path(target), handle.getvalue())
