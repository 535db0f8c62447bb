"""Write the solution notebooks with nbgrader's cell metadata (``mnist-course export nbgrader DIR``).

The course's sources already use nbgrader's ``### BEGIN SOLUTION`` / ``### END SOLUTION``
markers, but nbgrader also needs to know what each cell is. This module adds that
(``metadata.nbgrader``, schema version 3):

- a cell tagged ``exercise:N.M`` that holds the markers is a **solution cell**
  (``grade_id`` ``exercise_N_M``, several cells get ``exercise_N_M_2``, ...); a Markdown one
  is a manually graded answer worth :data:`WRITTEN_ANSWER_POINTS` points, so the autograded
  score is the course grader's;
- a cell tagged ``check:N.M`` is a **locked autograder test** worth one point
  (``grade_id`` ``check_N_M``): it raises with the check's hint when the answer is wrong;
- a cell tagged ``exercise:N.M`` without markers (e.g. the cell that trains the model just
  defined) stays editable, without metadata;
- every other cell is **locked** (read-only, restored by ``nbgrader autograde``).

The result is ready for ``nbgrader generate_assignment``: put the notebooks in
``source/ASSIGNMENT/`` of an nbgrader course directory.

Example:
    >>> from mnist_course.export.nbgrader import export
    >>> export("solutions", "course/source/ps1", only=["01"])     # doctest: +SKIP
    [PosixPath('course/source/ps1/01_meet_the_data.ipynb')]
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

import nbformat

from mnist_course.tools.ipynb import (
    BEGIN_MARKER, CHECK_TAG, EXERCISE_TAG, NotebookError, first_tag, has_solution, read_notebook,
)

SCHEMA_VERSION = 3
#: Points of each check cell (one exercise, one point: the score matches the course grader).
CHECK_POINTS = 1
#: Points of a written (Markdown) answer, graded by hand in nbgrader's formgrader.
WRITTEN_ANSWER_POINTS = 0


def _unique(grade_id: str, taken: set[str]) -> str:
    candidate, number = grade_id, 2
    while candidate in taken:
        candidate, number = f"{grade_id}_{number}", number + 1
    taken.add(candidate)
    return candidate


def nbgrader_notebook(solution: nbformat.NotebookNode, name: str = "notebook") -> nbformat.NotebookNode:
    """A copy of a solution notebook with nbgrader's metadata on every cell, outputs dropped.

    Raises :class:`~mnist_course.tools.ipynb.NotebookError` when a cell holds an answer but is
    not tagged ``exercise:N.M`` (nbgrader would refuse it), or a check cell holds one.

    Example:
        >>> cell = nbformat.v4.new_code_cell("check.exercise_1_1(x)", metadata={"tags": ["check:1.1"]})
        >>> nbgrader_notebook(nbformat.v4.new_notebook(cells=[cell])).cells[0].metadata.nbgrader["grade_id"]
        'check_1_1'
    """
    notebook = copy.deepcopy(solution)
    taken: set[str] = set()
    for index, cell in enumerate(notebook.cells):
        where = f"{name}, cell {index + 1}"
        exercise, check = first_tag(cell, EXERCISE_TAG), first_tag(cell, CHECK_TAG)
        suffix = (exercise or check or "").replace(".", "_")
        solution_cell = has_solution(cell)
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        if check is not None:
            if solution_cell:
                raise NotebookError(f"{where}: the check cell of exercise {check} holds an answer.")
            meta = {"grade": True, "solution": False, "locked": True, "points": CHECK_POINTS,
                    "grade_id": _unique(f"check_{suffix}", taken)}
        elif solution_cell:
            if exercise is None:
                raise NotebookError(f"{where}: it holds an answer ({BEGIN_MARKER}) but is not tagged "
                                    f"exercise:N.M, so nbgrader would refuse it. Fix: tag the cell.")
            meta = {"grade": False, "solution": True, "locked": False}
            if cell.cell_type == "markdown":  # a written answer: graded by hand
                meta.update(grade=True, points=WRITTEN_ANSWER_POINTS)
            prefix = "written" if cell.cell_type == "markdown" else "exercise"
            meta["grade_id"] = _unique(f"{prefix}_{suffix}", taken)
        elif exercise is not None and cell.cell_type == "code":
            cell.metadata.pop("nbgrader", None)
            continue  # part of the exercise the student may change (e.g. hyperparameters)
        else:
            cell_id = cell.get("id") or str(index)
            meta = {"grade": False, "solution": False, "locked": True,
                    "grade_id": _unique("locked_" + re.sub(r"[^A-Za-z0-9_-]", "_", cell_id), taken)}
        meta["schema_version"] = SCHEMA_VERSION
        cell.metadata["nbgrader"] = meta
    return notebook


def export(solutions: str | Path, target: str | Path, only: list[str] | None = None) -> list[Path]:
    """Write the nbgrader version of every solution notebook (or those numbered in ``only``,
    e.g. ``["01", "06"]``) into ``target``; returns the files written.

    Example:
        >>> export("solutions", "/tmp/ps1", only=["01"])    # doctest: +SKIP
    """
    solutions, target = Path(solutions), Path(target)
    sources = sorted(solutions.glob("[0-9][0-9]_*.ipynb"))
    if not sources:
        raise NotebookError(f"no solution notebooks (NN_*.ipynb) in {solutions}. Fix: run this from "
                            f"a checkout of the course, or pass --solutions DIR.")
    if only:
        wanted = {f"{int(n):02d}" for n in only}
        missing = wanted - {p.name[:2] for p in sources}
        if missing:
            raise NotebookError(f"no solution notebook numbered {', '.join(sorted(missing))} in {solutions}.")
        sources = [p for p in sources if p.name[:2] in wanted]
    written = []
    target.mkdir(parents=True, exist_ok=True)
    for source in sources:
        notebook = nbgrader_notebook(read_notebook(source), source.name)
        nbformat.validate(notebook)
        path = target / source.name
        nbformat.write(notebook, path)
        written.append(path)
    return written
