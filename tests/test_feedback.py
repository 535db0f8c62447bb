"""What a student sees from a check: short failures, a neutral reminder, their own errors, progress.

The browser test shows the same in JupyterLab; these run the real IPython kernel through
nbclient, which stores exactly what a front end receives (the error output's traceback lines).
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from mnist_course.tools import student
from mnist_course.checks import CheckFailed, NotAttempted, _core

ROOT = Path(__file__).resolve().parents[1]
ANSI = re.compile(r"\x1b\[[0-9;]*m")

CELLS = {
    "wrong": "from mnist_course.checks import nb01 as check\ncheck.exercise_1_1((1, 2, 3, 4))",
    "unfilled": "check.exercise_1_2(None)",
    "student_error": (
        "from mnist_course.checks._core import call_student\n"
        "def softmax(scores):\n"
        "    shifted = scores - scores.max()\n"
        "    return shifted / undefined_total\n"
        "import numpy as np\ncall_student('2.3', 'softmax', softmax, np.ones(3))"
    ),
    "stub": "def softmax(scores):\n    raise NotImplementedError()\ncall_student('2.3', 'softmax', softmax, 1.0)",
    "right": ("from mnist_course.data import course_data\n(x_train, y_train), (x_test, y_test) = "
              "course_data().train, course_data().test\n"
              "check.exercise_1_1((x_train.shape, y_train.shape, x_test.shape, y_test.shape))"),
    "summary": "check.summary()",
}


@pytest.fixture(scope="module")
def outputs():
    """Run the cells above in a real kernel once; return each cell's outputs by name."""
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in CELLS.values()])
    NotebookClient(notebook, timeout=120, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(ROOT)}}).execute()
    return dict(zip(CELLS, (cell.outputs for cell in notebook.cells)))


def _error_lines(outputs) -> list[str]:
    errors = [output for output in outputs if output.output_type == "error"]
    assert len(errors) == 1, outputs
    return [ANSI.sub("", line) for line in "\n".join(errors[0].traceback).splitlines()]


def test_a_failed_check_shows_two_lines_and_no_frame_of_the_course(outputs):
    lines = _error_lines(outputs["wrong"])
    assert lines[0].startswith("✘ Exercise 1.1: ")
    assert lines[1].startswith("Hint: ")
    assert len(lines) == 2
    assert not any("mnist_course" in line or "site-packages" in line or "Traceback" in line for line in lines)


def test_a_failed_check_is_red_and_still_an_error(outputs):
    error = next(output for output in outputs["wrong"] if output.output_type == "error")
    assert error.ename == "CheckFailed"
    assert error.traceback[0].startswith("\x1b[1;31m✘")


def test_not_attempted_is_one_neutral_line(outputs):
    lines = _error_lines(outputs["unfilled"])
    assert len(lines) == 1
    assert lines[0].startswith("○ Exercise 1.2 is not attempted yet")
    assert "✘" not in lines[0]


def test_an_error_in_the_students_code_names_it_and_shows_only_their_frames(outputs):
    lines = _error_lines(outputs["student_error"])
    assert lines[0] == "✘ Exercise 2.3: your softmax raised NameError: name 'undefined_total' is not defined"
    assert any(re.match(r"\s+Cell In\[\d+\], line 4, in softmax", line) for line in lines)
    assert "return shifted / undefined_total" in "\n".join(lines)
    assert lines[-1].startswith("Hint: ")
    assert not any("mnist_course" in line or "site-packages" in line for line in lines)
    assert "During handling" not in "\n".join(lines)


def test_a_function_still_stubbed_is_not_attempted(outputs):
    lines = _error_lines(outputs["stub"])
    assert lines == ["○ Exercise 2.3 is not attempted yet: softmax still raises NotImplementedError. Fill in "
                     "the exercise cell above (replace the `raise NotImplementedError(...)` line), run it, "
                     "then run this check."]


def test_a_right_answer_prints_the_tick(outputs):
    assert outputs["right"][-1].text.startswith("✔ Exercise 1.1 passed")


def test_the_summary_lists_every_exercise_with_what_the_checks_saw(outputs):
    text = "".join(output.get("text", "") for output in outputs["summary"])
    assert re.search(r"✔ 1\.1\s+passed", text)  # it failed first, then passed: the last outcome counts
    assert re.search(r"○ 1\.2\s+not attempted yet", text)
    assert re.search(r"○ 1\.3\s+not attempted yet", text) and re.search(r"○ 1\.4\s+not attempted yet", text)
    assert "1 of 4 exercises passed" in text


def test_a_failure_is_remembered_with_its_message(capsys):
    import mnist_course.checks.nb06  # noqa: F401 - summary() lists that module's exercises

    summary = _core.summary_for("mnist_course.checks.nb06")
    with pytest.raises(CheckFailed):
        _core.fail("6.1", "the matrix is transposed.", "Rows are true labels.")
    summary()
    assert re.search(r"✘ 6\.1\s+failed: the matrix is transposed\.", capsys.readouterr().out)


def test_exceptions_render_without_frames_outside_ipython_too():
    error = NotAttempted("1.2", "Exercise 1.2 is not attempted yet: x is still None.")
    assert len(error._render_traceback_()) == 1


@pytest.mark.parametrize("path", sorted((ROOT / "solutions").glob("*.ipynb")), ids=lambda p: p.name)
def test_every_notebook_ends_with_its_progress_summary(path):
    cells = nbformat.read(path, as_version=4).cells
    assert cells[-1].cell_type == "code" and cells[-1].source.strip() == "check.summary()"


def test_the_stub_says_which_exercise_to_fill_in():
    notebook = nbformat.read(ROOT / "notebooks" / "01_meet_the_data.ipynb", as_version=4)
    stubs = [cell.source for cell in notebook.cells if "exercise:1.1" in cell.metadata.get("tags", [])
             and cell.cell_type == "code"]
    assert 'raise NotImplementedError("Exercise 1.1: replace this line with your answer' in stubs[0]
    assert student.code_stub("3.4")[1].startswith('raise NotImplementedError("Exercise 3.4:')
