"""The course's notebook model: reading a notebook and finding its exercises by their tags.

A course notebook marks an exercise's answer cell with the tag ``exercise:N.M`` and its check
cell with ``check:N.M``; in a solution notebook the answer is the lines between nbgrader's
markers ``### BEGIN SOLUTION`` and ``### END SOLUTION``. The student-notebook generator
(:mod:`mnist_course.tools.student`), the grader (:mod:`mnist_course.grade`) and the exports
(:mod:`mnist_course.export`) all read notebooks through this module.

Example:
    >>> nb = nbformat.v4.new_notebook(cells=[
    ...     nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["exercise:1.1"]}),
    ...     nbformat.v4.new_code_cell("check.exercise_1_1(x)", metadata={"tags": ["check:1.1"]})])
    >>> exercise_ids(nb), exercise_ids(nb, CHECK_TAG), first_tag(nb.cells[1], CHECK_TAG)
    (['1.1'], ['1.1'], '1.1')
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat

BEGIN_MARKER = "### BEGIN SOLUTION"
END_MARKER = "### END SOLUTION"
EXERCISE_TAG = re.compile(r"^exercise:(\d+\.\d+)$")
CHECK_TAG = re.compile(r"^check:(\d+\.\d+)$")


class NotebookError(ValueError):
    """A file is not a usable notebook of this course; the message says why and what to do."""


def read_notebook(path: str | Path) -> nbformat.NotebookNode:
    """Read and validate a notebook, raising :class:`NotebookError` with a clear message.

    Example:
        >>> read_notebook("README.md")
        Traceback (most recent call last):
        ...
        mnist_course.tools.ipynb.NotebookError: ...
    """
    path = Path(path)
    if not path.is_file():
        raise NotebookError(f"{path} does not exist or is not a file. Fix: check the path.")
    try:
        notebook = nbformat.read(path, as_version=4)
        nbformat.validate(notebook)
    except Exception as error:  # nbformat raises JSON, validation and Unicode errors
        raise NotebookError(
            f"{path} is not a valid Jupyter notebook ({error.__class__.__name__}: "
            f"{str(error).splitlines()[0][:200] if str(error) else ''}). "
            f"Fix: open it in Jupyter and save it again, or restore it from the course."
        ) from None
    return notebook


def tags(cell) -> list[str]:
    """A cell's tags (an empty list when it has none)."""
    return list(cell.get("metadata", {}).get("tags", []))


def tagged(cell, pattern: re.Pattern) -> list[str]:
    """The exercise ids a cell's tags name with ``pattern`` (``EXERCISE_TAG`` or ``CHECK_TAG``)."""
    return [m.group(1) for m in map(pattern.match, tags(cell)) if m]


def first_tag(cell, pattern: re.Pattern) -> str | None:
    """The first exercise id a cell's tags name with ``pattern``, or None."""
    found = tagged(cell, pattern)
    return found[0] if found else None


def has_solution(cell) -> bool:
    """Whether a cell holds a solution (a line ``### BEGIN SOLUTION``)."""
    return any(line.strip() == BEGIN_MARKER for line in cell.source.splitlines())


def exercise_ids(notebook: nbformat.NotebookNode, pattern: re.Pattern = EXERCISE_TAG) -> list[str]:
    """Return the exercise ids (``"1.2"``) named by the cells' tags, in notebook order.

    Example:
        >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        ...     "x = 1", metadata={"tags": ["exercise:1.1"]})])
        >>> exercise_ids(nb)
        ['1.1']
    """
    found: list[str] = []
    for cell in notebook.cells:
        for ident in tagged(cell, pattern):
            if ident not in found:
                found.append(ident)
    return found
