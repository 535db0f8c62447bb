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
import os
from pathlib import Path

from mnist_course.grade.outputs import create_text
from mnist_course.grade.results import PASSED, STATUSES, Report


def find_submissions(folder: Path) -> list[Path]:
    """Every file under ``folder``, notebook or not, except hidden files and Jupyter's
    checkpoints and backups: each gets a row (see :func:`not_graded_because`)."""
    found = []
    for parent, folders, names in os.walk(folder):  # links to folders are not followed
        relative = Path(parent).relative_to(folder).parts
        folders[:] = sorted(f for f in folders if not f.startswith(".") and f != "backup"
                            and f != ".ipynb_checkpoints")
        if any(part.startswith(".") or part == "backup" for part in relative):
            continue
        found += [Path(parent) / name for name in names if not name.startswith(".")]
        found += [Path(parent) / name for name in folders if (Path(parent) / name).is_symlink()]
    return sorted(found)


def not_graded_because(path: Path, folder: Path | None) -> str | None:
    """Why the file ``path`` of the class folder ``folder`` gets a row but is not graded
    (``None``: grade it). A link that leads outside the folder is never read."""
    name = safe_name(path.relative_to(folder) if folder is not None else path)
    if path.is_symlink():
        target = path.resolve()
        if folder is not None and not _inside(target, folder.resolve()):
            return (f"{name} is a link to a file outside the class folder; it was not read. Ask for the "
                    f"notebook itself.")
    if not path.is_file():
        return f"{name} is not a regular file (a pipe, a device or a broken link); it was not read."
    if path.suffix.lower() != ".ipynb":
        kind = f"a {path.suffix} file" if path.suffix else "a file without an extension"
        return (f"{name} is not a notebook (.ipynb) but {kind}; it was not graded. If it is a student's "
                f"work, ask for the notebook.")
    return None


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def safe_name(text) -> str:
    """``text`` (a path or a string) with bytes that are not UTF-8 written as ``\\xNN``, so that
    it can be printed and written anywhere.

    Example:
        >>> safe_name(b"caf\\xe9.ipynb".decode("utf-8", "surrogateescape"))
        'caf\\\\xe9.ipynb'
    """
    text = os.fspath(text) if not isinstance(text, str) else text
    if isinstance(text, bytes):
        return text.decode("utf-8", "backslashreplace")
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


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
        return safe_name(f"{report.notebook}: not graded.\n  {report.error}")
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
    return safe_name("\n".join(lines))


def _section(title: str, texts: list[str], most: int) -> list[str]:
    """A titled list of at most ``most`` lines, and how many more there are; nothing if empty."""
    if not texts:
        return []
    lines = [title, *(f"  {text}" for text in texts[:most])]
    if len(texts) > most:
        lines.append(f"  … and {len(texts) - most} more")
    return lines + [""]


def write_json(reports: list[Report], target: Path, single: bool = False, sandbox: dict | None = None) -> None:
    """The reports as JSON in a new file ``target`` (one report's dict when ``single``);
    ``sandbox`` (whether graded kernels ran in one, and why not) is added at its top."""
    data = reports[0].to_dict() if single else {"submissions": [r.to_dict() for r in reports]}
    if sandbox is not None:
        data["sandbox"] = sandbox
    create_text(Path(target), json.dumps(_safe(data), indent=2, ensure_ascii=False) + "\n")


def _safe(value):
    """``value`` (JSON data) with every string made safe to write (see :func:`safe_name`)."""
    if isinstance(value, str):
        return safe_name(value)
    if isinstance(value, dict):
        return {_safe(k): _safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_safe(v) for v in value]
    return value


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
        safe_root = Path(safe_name(root)) if root else None
        name = str(path.relative_to(safe_root)) if safe_root and path.is_relative_to(safe_root) else report.notebook
        statuses = {r.exercise: r.status for r in report.exercises}
        writer.writerow([safe_name(name), report.course_notebook, report.counts()[PASSED], len(report.exercises),
                         *[statuses.get(e, "") for e in exercises],
                         "; ".join(report.tampering + [f"{r.exercise}: {t}" for r in report.exercises
                                                       for t in r.tampering]),
                         safe_name("; ".join(report.notes)), safe_name(report.error or "")])
    create_text(Path(target), handle.getvalue())
