"""`mnist-course export nbgrader`: the metadata of every cell, and real nbgrader end to end.

The end-to-end test runs nbgrader (installed by `make setup` into .nbgrader/, outside the
course's environment, see the Makefile) in a temporary course directory: generate_assignment
from the export of notebook 01, autograde a filled, a partly wrong and an unfilled
submission, export the scores, and generate the feedback.
"""

from __future__ import annotations

import copy
import csv
import re
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from conftest import ROOT, SOLUTIONS
from mnist_course.tools import cli
from mnist_course.export.nbgrader import nbgrader_notebook
from mnist_course.tools.ipynb import CHECK_TAG, EXERCISE_TAG, NotebookError, exercise_ids

from submissions import EXERCISES_01, WRONG, submission

NBGRADER_PREFIX = ROOT / ".nbgrader"


def _meta(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


@pytest.mark.parametrize("solution", sorted(SOLUTIONS.glob("*.ipynb")), ids=lambda p: p.name[:2])
def test_every_cell_gets_nbgraders_metadata(solution):
    source = nbformat.read(solution, as_version=4)
    exported = nbgrader_notebook(source, solution.name)
    checks = [c for c in exported.cells if any(CHECK_TAG.match(t) for t in c.metadata.get("tags", []))]
    assert [_meta(c)["grade_id"] for c in checks] == [f"check_{e.replace('.', '_')}" for e in exercise_ids(source)]
    assert all(_meta(c) | {"grade_id": ""} == {"grade": True, "solution": False, "locked": True, "points": 1,
                                               "grade_id": "", "schema_version": 3} for c in checks)
    ids = [_meta(c)["grade_id"] for c in exported.cells if _meta(c)]
    assert len(ids) == len(set(ids))
    for cell in exported.cells:
        answer = "### BEGIN SOLUTION" in cell.source
        tagged = any(EXERCISE_TAG.match(t) for t in cell.metadata.get("tags", []))
        if answer:  # nbgrader refuses an answer outside a solution cell
            assert _meta(cell)["solution"] is True and _meta(cell)["locked"] is False
            if cell.cell_type == "markdown":  # a written answer: graded by hand, 0 points
                assert _meta(cell)["grade"] is True and _meta(cell)["points"] == 0
            else:
                assert _meta(cell)["grade"] is False
        elif tagged and cell.cell_type == "code":
            assert not _meta(cell)  # e.g. the training cell: the student may change it
        elif cell not in checks:
            assert _meta(cell)["locked"] is True and not _meta(cell)["grade"]
        if cell.cell_type == "code":
            assert cell.outputs == []


def test_an_answer_outside_an_exercise_cell_is_refused():
    cell = nbformat.v4.new_code_cell("### BEGIN SOLUTION\nx = 1\n### END SOLUTION")
    with pytest.raises(NotebookError, match="not tagged exercise"):
        nbgrader_notebook(nbformat.v4.new_notebook(cells=[cell]))


def test_export_command_rejects_an_unknown_notebook(tmp_path, capsys):
    assert cli.main(["export", "nbgrader", str(tmp_path), "--notebook", "42"]) == 2
    assert "42" in capsys.readouterr().err


def test_make_installs_the_nbgrader_of_pyproject():
    import tomllib

    extra = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["nbgrader"]
    makefile = re.search(r"^NBGRADER \?= (.+)$", (ROOT / "Makefile").read_text(), re.M).group(1)
    assert extra == [makefile.strip()]


def nbgrader_environment() -> dict[str, str]:
    """The environment in which `python -m nbgrader` works: nbgrader from .nbgrader/ (or the
    course's environment, if it has it), this checkout's mnist_course on the path."""
    environment = {**os.environ, "MNIST_COURSE_FAST": "1"}
    paths = [str(ROOT)]
    sites = [p.parent for p in NBGRADER_PREFIX.glob("**/*-packages/nbgrader")]  # site- or dist-packages
    if sites:
        paths.insert(0, str(sites[0]))
        environment["PATH"] = f"{NBGRADER_PREFIX / 'bin'}{os.pathsep}{environment['PATH']}"  # alembic
    environment["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{environment['PATH']}"
    environment["PYTHONPATH"] = os.pathsep.join(paths + [environment.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    probe = subprocess.run([sys.executable, "-c", "import nbgrader"], env=environment, capture_output=True)
    if probe.returncode != 0:
        pytest.fail("nbgrader is not installed: `make setup` installs it into .nbgrader/ "
                    "(or run `make nbgrader`).")
    return environment


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    """An nbgrader course in which three students' notebook 01 were autograded."""
    environment = nbgrader_environment()
    root = tmp_path_factory.mktemp("nbgrader-course")
    (root / "nbgrader_config.py").write_text(
        "c = get_config()\nc.CourseDirectory.course_id = 'mnist-course'\nc.Execute.timeout = 300\n")
    assert cli.main(["export", "nbgrader", str(root / "source" / "ps1"), "--notebook", "01"]) == 0

    def nbgrader(*args: str) -> None:
        result = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=root, env=environment,
                                capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]

    nbgrader("generate_assignment", "ps1")
    released = nbformat.read(root / "release" / "ps1" / "01_meet_the_data.ipynb", as_version=4)
    students = {"filled": submission(), "partly_wrong": submission({"1.2": WRONG["1.2"][0]}),
                "unfilled": submission(right=())}
    for student, answers in students.items():
        handed_in = copy.deepcopy(released)  # the released notebook, answered in its solution cells
        for cell, answered in zip(handed_in.cells, answers.cells):
            if _meta(cell).get("solution"):
                cell.source = answered.source
        target = root / "submitted" / student / "ps1" / "01_meet_the_data.ipynb"
        target.parent.mkdir(parents=True)
        nbformat.write(handed_in, target)
    nbgrader("autograde", "ps1", "--create")
    nbgrader("generate_feedback", "ps1")
    nbgrader("export", "--to", "grades.csv")
    return root


def test_the_released_notebook_is_the_student_notebook(course):
    released = nbformat.read(course / "release" / "ps1" / "01_meet_the_data.ipynb", as_version=4)
    student = nbformat.read(ROOT / "notebooks" / "01_meet_the_data.ipynb", as_version=4)
    # the same cells, but for the stub: nbgrader writes its own `raise NotImplementedError()`
    # where the course's stub names the exercise in the message
    def plain(source: str) -> str:
        return re.sub(r"raise NotImplementedError\(.*\)", "raise NotImplementedError()", source)

    assert [plain(c.source) for c in released.cells] == [plain(c.source) for c in student.cells]


def test_nbgrader_scores_the_course_checks(course):
    with (course / "grades.csv").open() as handle:
        scores = {row["student_id"]: (float(row["score"]), float(row["max_score"])) for row in csv.DictReader(handle)}
    points = float(len(EXERCISES_01))
    assert scores == {"filled": (points, points), "partly_wrong": (points - 1, points), "unfilled": (0.0, points)}


def test_a_wrong_answers_hint_is_in_nbgraders_feedback(course):
    hint = WRONG["1.2"][1]
    feedback = (course / "feedback" / "partly_wrong" / "ps1" / "01_meet_the_data.html").read_text()
    assert hint in feedback
    assert hint not in (course / "feedback" / "filled" / "ps1" / "01_meet_the_data.html").read_text()
