"""Every committed notebook: valid, stripped, built to the course's conventions, and the
student copy stops exactly at its first exercise when run unfilled."""

from __future__ import annotations

import importlib
import re
import subprocess
import sys

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from mnist_course.tools.ipynb import BEGIN_MARKER, CHECK_TAG, EXERCISE_TAG, exercise_ids

from conftest import NOTEBOOKS, ROOT, SOLUTIONS

SOLUTION_FILES = sorted(SOLUTIONS.glob("*.ipynb"))
STUDENT_FILES = sorted(NOTEBOOKS.glob("*.ipynb"))
ALL_FILES = SOLUTION_FILES + STUDENT_FILES
ids = [p.name for p in SOLUTION_FILES]


def test_there_are_notebooks():
    assert SOLUTION_FILES and STUDENT_FILES


@pytest.mark.parametrize("path", ALL_FILES, ids=[str(p.relative_to(ROOT)) for p in ALL_FILES])
def test_valid_and_committed_without_outputs(path):
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "code":
            assert not cell.outputs, f"cell {index} has outputs: run nbstripout on {path.name}"
            assert cell.execution_count is None, f"cell {index} has an execution count"


def test_notebooks_are_in_nbstripout_form():
    """What nbstripout's git filter would commit is what is in the tree (ids included)."""
    result = subprocess.run([sys.executable, "-m", "nbstripout", "--verify", *map(str, ALL_FILES)],
                            capture_output=True, text=True)
    assert result.returncode == 0, f"run nbstripout on: {result.stdout}{result.stderr}"


@pytest.mark.parametrize("path", SOLUTION_FILES, ids=ids)
def test_solution_follows_the_course_conventions(path):
    notebook = nbformat.read(path, as_version=4)
    number = int(path.name[:2])
    opening = notebook.cells[0]
    assert opening.cell_type == "markdown" and opening.source.startswith(f"# {number:02d} ")
    for must in ("Run time", "By the end of this notebook", "Contents"):
        assert must in opening.source, f"the opening cell needs '{must}'"
    text = "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")
    assert "## Summary" in text and "## Questions" in text
    setup_code = next(c.source for c in notebook.cells if c.cell_type == "code")
    assert "setup_notebook(" in setup_code, "the first code cell calls setup_notebook()"

    module = importlib.import_module(f"mnist_course.checks.nb{number:02d}")
    exercises = exercise_ids(notebook)
    assert exercises, "a notebook needs exercises"
    assert exercises == exercise_ids(notebook, CHECK_TAG), "every exercise has one check, in order"
    for exercise in exercises:
        assert exercise.split(".")[0] == str(number), f"exercise {exercise} is in notebook {number}"
        assert re.search(rf"^### Exercise {re.escape(exercise)}: \S", text, re.M), (
            f"exercise {exercise} needs a heading '### Exercise {exercise}: Title'")
        tagged = [(i, c) for i, c in enumerate(notebook.cells)
                  if f"exercise:{exercise}" in c.metadata.get("tags", [])]
        answers = [i for i, c in tagged if c.cell_type == "code" and BEGIN_MARKER in c.source]
        assert len(answers) == 1, f"exercise {exercise} needs exactly one code cell with an answer"
        checks = [(i, c) for i, c in enumerate(notebook.cells)
                  if f"check:{exercise}" in c.metadata.get("tags", [])]
        assert len(checks) == 1, f"exercise {exercise} needs exactly one check cell"
        check_index, check_cell = checks[0]
        assert check_index > answers[0], f"the check of {exercise} comes after its answer"
        function = "exercise_" + exercise.replace(".", "_")
        assert re.fullmatch(rf"check\.{function}\(.*\)\s*", check_cell.source, re.S), (
            f"the check cell of {exercise} holds one call, check.{function}(...)")
        assert callable(getattr(module, function, None)), f"{module.__name__}.{function} is missing"
        assert getattr(module, function).__doc__, f"{function} needs a docstring"


@pytest.mark.parametrize("path", STUDENT_FILES, ids=[p.name for p in STUDENT_FILES])
def test_unfilled_student_notebook_stops_at_its_first_exercise(path):
    notebook = nbformat.read(path, as_version=4)
    first = exercise_ids(notebook, EXERCISE_TAG)[0]
    client = NotebookClient(notebook, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOKS)}})
    with pytest.raises(CellExecutionError) as caught:
        client.execute()
    assert caught.value.ename == "NotImplementedError", caught.value.evalue
    stopped = [c for c in notebook.cells if c.cell_type == "code"
               and any(o.get("output_type") == "error" for o in c.get("outputs", []))]
    assert len(stopped) == 1
    assert f"exercise:{first}" in stopped[0].metadata.get("tags", []), (
        f"{path.name} stopped before its first exercise ({first})")
