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

:func:`export_course` writes a complete nbgrader course folder: ``source/ASSIGNMENT/`` with
the notebooks (one assignment per notebook, named like it, unless one name is given) and an
``nbgrader_config.py`` with what the course needs: nbgrader's default time limit of 30 s per
cell would zero a correct notebook that trains, so cells get the grader's own full-mode limit
(:data:`CELL_TIMEOUT`), and the kernel gets time to start on a busy machine. The notebooks run
in the Jupyter kernel they name, ``mnist-course``: the grading machine needs it registered
(the config says how, and the export says whether it is registered here).

Example:
    >>> from mnist_course.export.nbgrader import export_course
    >>> export_course("solutions", "course", only=["01"]).written     # doctest: +SKIP
    [PosixPath('course/nbgrader_config.py'), PosixPath('course/source/01_meet_the_data/01_meet_the_data.ipynb')]
"""

from __future__ import annotations

import copy
import dataclasses
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
#: nbgrader's time limit of one cell (seconds): the course grader's own full-mode limit.
CELL_TIMEOUT = 1800
#: Time for a kernel to start (nbgrader's default, 60 s, is short on a machine grading others).
STARTUP_TIMEOUT = 300
CONFIG = "nbgrader_config.py"

CONFIG_TEXT = """\
# nbgrader's configuration for the mnist-course notebooks (written by `mnist-course export nbgrader`).
c = get_config()  # noqa: F821 (nbgrader provides it)
c.CourseDirectory.course_id = "mnist-course"

# A cell that trains a network runs for minutes in full mode: nbgrader's default limit of 30 s
# per cell would stop it and zero a correct notebook. This is the course grader's own limit.
c.Execute.timeout = {cell_timeout}
# A kernel (TensorFlow) needs time to start on a machine that grades many notebooks at once.
c.Execute.startup_timeout = {startup_timeout}

# The notebooks run in the Jupyter kernel they name, "{kernel}". On the machine that grades,
# register it once, with the Python in which mnist-course is installed:
#     python -m ipykernel install --user --name {kernel} --display-name "{display}"
# (`mnist-course notebooks` registers it too; `jupyter kernelspec list` shows it). Without it,
# nbgrader validate and autograde stop with NoSuchKernel. To run them in another kernel
# instead (it must have mnist-course installed), name it here:
# c.Execute.kernel_name = "python3"
"""


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


def exported(solutions: str | Path, only: list[str] | None = None) -> list[tuple[Path, nbformat.NotebookNode]]:
    """Each solution notebook (or those numbered in ``only``, e.g. ``["01", "06"]``) with its
    nbgrader version, validated.

    Example:
        >>> [path.name for path, _ in exported("solutions", only=["01"])]    # doctest: +SKIP
        ['01_meet_the_data.ipynb']
    """
    solutions = Path(solutions)
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
    result = []
    for source in sources:
        notebook = nbgrader_notebook(read_notebook(source), source.name)
        nbformat.validate(notebook)
        result.append((source, notebook))
    return result


def config_text() -> str:
    """The ``nbgrader_config.py`` the course needs (see :data:`CONFIG_TEXT`).

    Example:
        >>> "c.Execute.timeout = 1800" in config_text()
        True
    """
    from mnist_course.tools.install import KERNEL_DISPLAY_NAME, KERNEL_NAME

    return CONFIG_TEXT.format(cell_timeout=CELL_TIMEOUT, startup_timeout=STARTUP_TIMEOUT, kernel=KERNEL_NAME,
                              display=KERNEL_DISPLAY_NAME)


@dataclasses.dataclass
class CourseExport:
    """What :func:`export_course` did: files written, left as they were, kept (they differ)."""

    course: Path
    assignments: list[str] = dataclasses.field(default_factory=list)
    written: list[Path] = dataclasses.field(default_factory=list)
    unchanged: list[Path] = dataclasses.field(default_factory=list)
    kept: list[Path] = dataclasses.field(default_factory=list)


def course_and_assignment(target: str | Path) -> tuple[Path, str | None]:
    """``COURSE/source/NAME`` names a course and its assignment; any other folder is a course.

    Example:
        >>> course_and_assignment("course/source/ps1")
        (PosixPath('course'), 'ps1')
    """
    target = Path(target)
    if target.parent.name == "source":
        return target.parent.parent, target.name
    return target, None


def export_course(solutions: str | Path, target: str | Path, only: list[str] | None = None,
                  assignment: str | None = None) -> CourseExport:
    """Write an nbgrader course folder: ``nbgrader_config.py`` and ``source/ASSIGNMENT/NN_*.ipynb``.

    ``target`` is the course folder, or ``COURSE/source/NAME`` for one assignment NAME. Every
    notebook is its own assignment named like it (``01_meet_the_data``) unless ``assignment``
    names one for them all. Nothing is overwritten: a file that exists with other content is
    kept and reported (``kept``), so an instructor's own config or edits stay.
    """
    course, named = course_and_assignment(target)
    assignment = assignment or named
    result = CourseExport(course)
    course.mkdir(parents=True, exist_ok=True)
    _write_new(course / CONFIG, config_text(), result)
    for source, notebook in exported(solutions, only):
        name = assignment or source.stem
        if name not in result.assignments:
            result.assignments.append(name)
        folder = course / "source" / name
        folder.mkdir(parents=True, exist_ok=True)
        _write_new(folder / source.name, nbformat.writes(notebook) + "\n", result)
    return result


def _write_new(path: Path, text: str, result: CourseExport) -> None:
    if path.exists():
        same = path.read_text(encoding="utf-8") == text
        (result.unchanged if same else result.kept).append(path)
        return
    path.write_text(text, encoding="utf-8")
    result.written.append(path)
