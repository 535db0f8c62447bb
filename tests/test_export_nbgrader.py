"""`mnist-course export nbgrader`: the metadata of every cell, the course folder with its
nbgrader_config.py, and real nbgrader end to end on every notebook.

The end-to-end test runs nbgrader (installed by `make setup` into .nbgrader/, outside the
course's environment, see the Makefile) in the course folder exactly as the export wrote it
(no hand edit): generate_assignment of each of the seven notebooks, then autograde (fast mode)
of a correct student (notebook 01's with a cell slower than nbgrader's default 30 s) and an
unfilled one on every notebook, and of a student with one wrong answer on 01 and 02 (a wrong
answer runs the whole notebook once more; two notebooks show it, and keep `make test` short);
then the feedback and the scores. The course folder is made once for the module.
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

from submissions import WRONG, submission

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


#: The notebooks of the course, by number.
NUMBERS = [p.name[:2] for p in sorted(SOLUTIONS.glob("[0-9][0-9]_*.ipynb"))]
#: A cell slower than nbgrader's default limit of 30 s, in a correct notebook: the exported
#: config must let it finish.
SLOW_CELL = "import time\ntime.sleep(35)  # slower than nbgrader's default 30 s per cell"


def wrong_exercise(solution: Path) -> str:
    """The last exercise whose answer is top-level code: answered with `pass`, its variables stay
    None and its check fails; no later check depends on it."""
    notebook = nbformat.read(solution, as_version=4)
    top_level = [tag.split(":")[1] for c in notebook.cells if c.cell_type == "code"
                 for tag in c.metadata.get("tags", []) if tag.startswith("exercise:")
                 and "\n### BEGIN SOLUTION" in "\n" + c.source]
    return top_level[-1]


#: The notebooks on which a student with one wrong answer is autograded too.
ONE_WRONG_ON = ("01", "02")


def students(solution: Path) -> dict[str, nbformat.NotebookNode]:
    """The students' answers to a notebook: correct, unfilled, and one wrong (01 and 02)."""
    if solution.name.startswith("01"):
        wrong = {"1.2": WRONG["1.2"][0]}  # a plausible wrong answer, whose hint the feedback shows
    else:
        wrong = {wrong_exercise(solution): "pass"}
    every = tuple(exercise_ids(nbformat.read(solution, as_version=4)))
    found = {"correct": submission(right=every, solution=solution),
             "unfilled": submission(right=(), solution=solution)}
    if solution.name[:2] in ONE_WRONG_ON:
        found["one_wrong"] = submission(wrong, right=every, solution=solution)
    return found


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    """An nbgrader course exported as it comes (its own nbgrader_config.py, no hand edit): every
    notebook released, then three students' submissions autograded in fast mode."""
    environment = nbgrader_environment()
    root = tmp_path_factory.mktemp("nbgrader-course")
    # The notebooks' kernel, registered for this Python in a Jupyter folder of the test's own.
    environment["JUPYTER_DATA_DIR"] = str(tmp_path_factory.mktemp("jupyter-data"))
    environment.pop("JUPYTER_PATH", None)
    subprocess.run([sys.executable, "-m", "ipykernel", "install", "--user", "--name", "mnist-course"],
                   env=environment, check=True, capture_output=True)
    assert cli.main(["export", "nbgrader", str(root)]) == 0
    assert not (root / "solutions").exists()

    def nbgrader(*args: str) -> None:
        result = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=root, env=environment,
                                capture_output=True, text=True, timeout=3600)
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
        (root / "nbgrader.log").open("a").write(result.stdout + result.stderr)

    for solution in sorted(SOLUTIONS.glob("[0-9][0-9]_*.ipynb")):
        assignment = solution.stem
        nbgrader("generate_assignment", assignment)
        released = nbformat.read(root / "release" / assignment / solution.name, as_version=4)
        for student, answers in students(solution).items():
            handed_in = copy.deepcopy(released)  # the released notebook, answered in its solution cells
            for cell, answered in zip(handed_in.cells, answers.cells):
                if _meta(cell).get("solution"):
                    cell.source = answered.source
            if student == "correct" and solution.name.startswith("01"):
                first = next(c for c in handed_in.cells if _meta(c).get("solution") and c.cell_type == "code")
                first.source += "\n" + SLOW_CELL
            target = root / "submitted" / student / assignment / solution.name
            target.parent.mkdir(parents=True)
            nbformat.write(handed_in, target)
        nbgrader("autograde", assignment, "--create")
    nbgrader("generate_feedback", "01_meet_the_data")  # the feedback test reads notebook 01's
    nbgrader("export", "--to", "grades.csv")
    return root


def test_the_export_writes_the_config_the_course_needs(course):
    config = (course / "nbgrader_config.py").read_text()
    assert "c.Execute.timeout = 1800" in config and "c.Execute.startup_timeout = 300" in config
    assert "ipykernel install --user --name mnist-course" in config
    assert sorted(p.name for p in (course / "source").iterdir()) == [p.stem for p in sorted(SOLUTIONS.glob("*.ipynb"))]


def test_the_export_keeps_an_existing_config_and_says_so(tmp_path, capsys):
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\n")
    assert cli.main(["export", "nbgrader", str(tmp_path / "source" / "ps1"), "--notebook", "06"]) == 0
    out = capsys.readouterr().out
    assert (tmp_path / "nbgrader_config.py").read_text() == "c = get_config()\n"
    assert "kept" in out and "c.Execute.timeout = 1800" in out and "mnist-course" in out
    assert (tmp_path / "source" / "ps1" / "06_metrics.ipynb").is_file()
    assert cli.main(["export", "nbgrader", str(tmp_path / "source" / "ps1"), "--notebook", "06"]) == 0
    assert "unchanged" in capsys.readouterr().out


def test_the_released_notebook_is_the_student_notebook(course):
    for student_notebook in sorted((ROOT / "notebooks").glob("*.ipynb")):
        released = nbformat.read(course / "release" / student_notebook.stem / student_notebook.name, as_version=4)
        student = nbformat.read(student_notebook, as_version=4)

        # the same cells, but for the stub: nbgrader writes its own `raise NotImplementedError()`
        # where the course's stub names the exercise in the message
        def plain(source: str) -> str:
            return re.sub(r"raise NotImplementedError\(.*\)", "raise NotImplementedError()", source)

        assert [plain(c.source) for c in released.cells] == [plain(c.source) for c in student.cells]


def test_nbgrader_scores_the_course_checks(course):
    with (course / "grades.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    scores = {(row["assignment"], row["student_id"]): (float(row["score"]), float(row["max_score"])) for row in rows}
    print("\n".join(f"{a} {s}: {v[0]:g}/{v[1]:g}" for (a, s), v in sorted(scores.items())))
    for solution in sorted(SOLUTIONS.glob("[0-9][0-9]_*.ipynb")):
        points = float(len(exercise_ids(nbformat.read(solution, as_version=4))))
        assert scores[(solution.stem, "correct")] == (points, points), solution.stem  # 01's has a 35 s cell
        if solution.name[:2] in ONE_WRONG_ON:
            assert scores[(solution.stem, "one_wrong")] == (points - 1, points), solution.stem
        assert scores[(solution.stem, "unfilled")] == (0.0, points), solution.stem


def test_a_wrong_answers_hint_is_in_nbgraders_feedback(course):
    hint = WRONG["1.2"][1]
    feedback = course / "feedback" / "{}" / "01_meet_the_data" / "01_meet_the_data.html"
    assert hint in Path(str(feedback).format("one_wrong")).read_text()
    assert hint not in Path(str(feedback).format("correct")).read_text()
