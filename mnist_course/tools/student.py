"""Generate the student notebooks from the solution notebooks (``make student``).

In a solution notebook, the lines between ``### BEGIN SOLUTION`` and ``### END SOLUTION``
(nbgrader's markers) are the answer. The student copy replaces them, at the same
indentation, by ``# YOUR CODE HERE`` and ``raise NotImplementedError(...)`` in code cells
(its message names the exercise and says what to do, so "Run All" stops with a sentence, not
a bare error) and by ``YOUR ANSWER HERE`` in Markdown cells, and drops all outputs; every other
byte of every cell is kept.

A notebook in the target folder that a student has worked in (it has outputs, or an
exercise cell differs from the fresh stub) is copied to ``notebooks/backup/`` before it is
replaced, so no student work is lost.

Example:
    $ python -m mnist_course.tools.student solutions notebooks
    $ python -m mnist_course.tools.student solutions notebooks --check   # exit 1 if out of date
"""

from __future__ import annotations

import argparse
import copy
import datetime
import shutil
import sys
from pathlib import Path

import nbformat

from mnist_course.tools.ipynb import (
    BEGIN_MARKER, END_MARKER, EXERCISE_TAG, NotebookError, read_notebook,
)

CODE_STUB = ("# YOUR CODE HERE", "raise NotImplementedError()")
#: The stub's message in a cell tagged ``exercise:N.M``.
STUB_MESSAGE = "Exercise {exercise}: replace this line with your answer, then run the cell again."
MARKDOWN_STUB = ("YOUR ANSWER HERE",)
BACKUP_FOLDER = "backup"


def code_stub(exercise: str | None = None) -> tuple[str, str]:
    """The two lines that replace an answer in a code cell (of ``exercise``, when known).

    Example:
        >>> code_stub("1.2")[1]
        'raise NotImplementedError("Exercise 1.2: replace this line with your answer, then run the cell again.")'
    """
    if exercise is None:
        return CODE_STUB
    return CODE_STUB[0], f'raise NotImplementedError("{STUB_MESSAGE.format(exercise=exercise)}")'


def strip_solution(source: str, cell_type: str, where: str = "a cell", exercise: str | None = None) -> str:
    """Replace every marked answer in one cell's source by the student stub.

    Example:
        >>> print(strip_solution("x = 1\\n### BEGIN SOLUTION\\ny = x + 1\\n### END SOLUTION", "code"))
        x = 1
        # YOUR CODE HERE
        raise NotImplementedError()
    """
    stub = code_stub(exercise) if cell_type == "code" else MARKDOWN_STUB
    lines = source.split("\n")
    kept: list[str] = []
    inside = False
    for number, line in enumerate(lines, start=1):
        marker = line.strip()
        if marker == BEGIN_MARKER:
            if inside:
                raise NotebookError(f"{where}, line {number}: {BEGIN_MARKER} inside another answer.")
            inside = True
            indent = line[: len(line) - len(line.lstrip())]
            kept.extend(indent + stub_line for stub_line in stub)
        elif marker == END_MARKER:
            if not inside:
                raise NotebookError(f"{where}, line {number}: {END_MARKER} without a BEGIN.")
            inside = False
        elif not inside:
            kept.append(line)
    if inside:
        raise NotebookError(f"{where}: {BEGIN_MARKER} is never closed by {END_MARKER}.")
    return "\n".join(kept)


def make_student_notebook(solution: nbformat.NotebookNode, name: str = "notebook") -> nbformat.NotebookNode:
    """Return the student copy of a solution notebook: answers stubbed, outputs dropped.

    Example:
        >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        ...     "### BEGIN SOLUTION\\nx = 1\\n### END SOLUTION")])
        >>> make_student_notebook(nb).cells[0].source
        '# YOUR CODE HERE\\nraise NotImplementedError()'
    """
    student = copy.deepcopy(solution)
    for index, cell in enumerate(student.cells):
        where = f"{name}, cell {index + 1}"
        if cell.cell_type in ("code", "markdown"):
            tags = [EXERCISE_TAG.match(tag) for tag in cell.get("metadata", {}).get("tags", [])]
            exercise = next((match.group(1) for match in tags if match), None)
            cell.source = strip_solution(cell.source, cell.cell_type, where, exercise)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
            cell.metadata.pop("execution", None)
    return student


def render(notebook: nbformat.NotebookNode) -> str:
    """The exact text written to disk for a notebook (nbformat's layout, final newline)."""
    return nbformat.writes(notebook) + "\n"


def generate(solutions_dir: str | Path, notebooks_dir: str | Path, *, check: bool = False) -> list[str]:
    """Write the student copy of every ``*.ipynb`` in ``solutions_dir`` to ``notebooks_dir``.

    With ``check=True`` nothing is written; the return value lists the notebooks that are
    missing or out of date. Otherwise it lists what was written or backed up.

    Example:
        >>> generate("solutions", "notebooks", check=True)   # doctest: +SKIP
        []
    """
    solutions_dir, notebooks_dir = Path(solutions_dir), Path(notebooks_dir)
    sources = sorted(solutions_dir.glob("*.ipynb"))
    if not sources:
        raise NotebookError(f"No solution notebooks (*.ipynb) in {solutions_dir}.")
    report = []
    for source in sources:
        text = render(make_student_notebook(read_notebook(source), source.name))
        target = notebooks_dir / source.name
        current = target.read_text(encoding="utf-8") if target.exists() else None
        if current == text:
            continue
        if check:
            report.append(f"{target} is {'missing' if current is None else 'out of date'}")
            continue
        notebooks_dir.mkdir(parents=True, exist_ok=True)
        if current is not None and _has_student_work(target, text):
            backup = _backup(target)
            report.append(f"{target} had your work in it: kept a copy at {backup}")
        target.write_text(text, encoding="utf-8")
        report.append(f"wrote {target}")
    return report


def _has_student_work(target: Path, fresh_text: str) -> bool:
    """True when the file has outputs, or an exercise cell that differs from the fresh stub."""
    try:
        existing = nbformat.reads(target.read_text(encoding="utf-8"), as_version=4)
    except Exception:
        return True  # unreadable: keep it, whatever it is
    fresh = nbformat.reads(fresh_text, as_version=4)

    def exercise_code(notebook: nbformat.NotebookNode) -> dict[str, list[str]]:
        """Sources of the code cells of each exercise (its Markdown prompt shares the tag)."""
        found: dict[str, list[str]] = {}
        for cell in notebook.cells:
            if cell.cell_type != "code":
                continue
            for tag in cell.get("metadata", {}).get("tags", []):
                if EXERCISE_TAG.match(tag):
                    found.setdefault(tag, []).append(cell.source)
        return found

    if any(cell.cell_type == "code" and (cell.get("outputs") or cell.get("execution_count"))
           for cell in existing.cells):
        return True
    fresh_code = exercise_code(fresh)
    return any(fresh_code.get(tag) != sources for tag, sources in exercise_code(existing).items())


def _backup(target: Path) -> Path:
    folder = target.parent / BACKUP_FOLDER
    folder.mkdir(exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    backup = folder / f"{target.stem}.{stamp}{target.suffix}"
    shutil.copy2(target, backup)
    return backup


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m mnist_course.tools.student SOLUTIONS NOTEBOOKS [--check]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("solutions", nargs="?", default="solutions")
    parser.add_argument("notebooks", nargs="?", default="notebooks")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if a student notebook is missing or out of date")
    args = parser.parse_args(argv)
    try:
        report = generate(args.solutions, args.notebooks, check=args.check)
    except NotebookError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for line in report:
        print(line)
    if args.check:
        if report:
            print("Run `make student` to regenerate them.", file=sys.stderr)
            return 1
        print("Student notebooks are up to date.")
    elif not report:
        print("Student notebooks were already up to date.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
