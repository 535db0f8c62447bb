"""Student notebook generation: answers stubbed, everything else kept, no work lost."""

from __future__ import annotations

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from mnist_course.tools import student
from mnist_course.tools.student import NotebookError

from conftest import NOTEBOOKS, SOLUTIONS


def solution_notebook():
    cells = [
        new_markdown_cell("# Title\nSome *prose*  with two spaces."),
        new_code_cell("import numpy as np\nanswer = None\n### BEGIN SOLUTION\nanswer = np.eye(10)[y]\n"
                      "### END SOLUTION\nanswer", metadata={"tags": ["exercise:2.2"]}),
        new_code_cell("check.exercise_2_2(answer)", metadata={"tags": ["check:2.2"]}),
        new_code_cell("def f(x):\n    ### BEGIN SOLUTION\n    return x + 1\n    ### END SOLUTION\n",
                      metadata={"tags": ["exercise:2.3"]}),
        new_markdown_cell("Why?\n\n### BEGIN SOLUTION\nBecause.\n### END SOLUTION"),
    ]
    cells[2].outputs = [new_output("stream", name="stdout", text="✔ passed")]
    cells[2].execution_count = 3
    return new_notebook(cells=cells)


def test_answers_are_replaced_by_the_stub_at_their_indentation():
    result = student.make_student_notebook(solution_notebook())
    assert result.cells[1].source == ("import numpy as np\nanswer = None\n# YOUR CODE HERE\n"
                                       "raise NotImplementedError(\"Exercise 2.2: replace this line with "
                                       "your answer, then run the cell again.\")\nanswer")
    assert result.cells[3].source == ("def f(x):\n    # YOUR CODE HERE\n    raise NotImplementedError(\"Exercise 2.3: "
                                       "replace this line with your answer, then run the cell again.\")\n")
    assert result.cells[4].source == "Why?\n\nYOUR ANSWER HERE"


def test_everything_else_is_kept_and_outputs_dropped():
    solution = solution_notebook()
    result = student.make_student_notebook(solution)
    assert result.cells[0].source == solution.cells[0].source
    assert result.cells[2].source == solution.cells[2].source
    assert [c.metadata for c in result.cells] == [c.metadata for c in solution.cells]
    assert [c.get("id") for c in result.cells] == [c.get("id") for c in solution.cells]
    assert result.cells[2].outputs == [] and result.cells[2].execution_count is None
    assert solution.cells[2].outputs, "the solution itself must not be modified"
    nbformat.validate(result)


@pytest.mark.parametrize("source, problem", [
    ("### BEGIN SOLUTION\nx = 1", "never closed"),
    ("x = 1\n### END SOLUTION", "without a BEGIN"),
    ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION", "inside another answer"),
])
def test_unbalanced_markers_are_an_error(source, problem):
    with pytest.raises(NotebookError, match=problem):
        student.strip_solution(source, "code", "nb.ipynb, cell 4")


def test_read_notebook_rejects_what_is_not_a_notebook(tmp_path):
    text = tmp_path / "notes.ipynb"
    text.write_text("this is not JSON")
    with pytest.raises(NotebookError, match="not a valid Jupyter notebook"):
        student.read_notebook(text)
    with pytest.raises(NotebookError, match="does not exist"):
        student.read_notebook(tmp_path / "missing.ipynb")


def test_committed_student_notebooks_match_the_solutions(tmp_path):
    """make student would change nothing: notebooks/ is exactly what solutions/ generates."""
    generated = tmp_path / "notebooks"
    student.generate(SOLUTIONS, generated)
    expected = sorted(p.name for p in generated.glob("*.ipynb"))
    assert sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")) == expected
    for name in expected:
        assert (NOTEBOOKS / name).read_bytes() == (generated / name).read_bytes(), (
            f"notebooks/{name} is out of date: run `make student`")
    assert student.generate(SOLUTIONS, NOTEBOOKS, check=True) == []


def test_student_work_is_backed_up_before_regeneration(tmp_path):
    solutions, notebooks = tmp_path / "solutions", tmp_path / "notebooks"
    solutions.mkdir()
    nbformat.write(solution_notebook(), solutions / "02_x.ipynb")
    student.generate(solutions, notebooks)
    target = notebooks / "02_x.ipynb"
    worked = nbformat.read(target, as_version=4)
    stub = "\n".join(student.code_stub("2.2"))
    assert stub in worked.cells[1].source
    worked.cells[1].source = worked.cells[1].source.replace(stub, "answer = my_own_work()")
    nbformat.write(worked, target)
    solution = solution_notebook()
    solution.cells[0].source += " Changed by the instructor."
    nbformat.write(solution, solutions / "02_x.ipynb")

    report = student.generate(solutions, notebooks)

    backups = list((notebooks / "backup").glob("02_x.*.ipynb"))
    assert len(backups) == 1 and "my_own_work()" in backups[0].read_text()
    assert any("kept a copy" in line for line in report)
    assert "Changed by the instructor" in target.read_text()


def test_untouched_student_notebook_is_replaced_without_backup(tmp_path):
    solutions, notebooks = tmp_path / "solutions", tmp_path / "notebooks"
    solutions.mkdir()
    first = solution_notebook()
    first.cells.insert(1, new_markdown_cell("### Exercise 2.2 – One-hot", metadata={"tags": ["exercise:2.2"]}))
    nbformat.write(first, solutions / "02_x.ipynb")
    student.generate(solutions, notebooks)
    first.cells[0].source += " New text."
    nbformat.write(first, solutions / "02_x.ipynb")
    student.generate(solutions, notebooks)
    assert not (notebooks / "backup").exists()


def test_command_line_check_mode(tmp_path, capsys):
    solutions = tmp_path / "solutions"
    solutions.mkdir()
    nbformat.write(solution_notebook(), solutions / "02_x.ipynb")
    assert student.main([str(solutions), str(tmp_path / "nb"), "--check"]) == 1
    assert "missing" in capsys.readouterr().out
    assert student.main([str(solutions), str(tmp_path / "nb")]) == 0
    assert student.main([str(solutions), str(tmp_path / "nb"), "--check"]) == 0
    assert student.main([str(tmp_path / "empty"), str(tmp_path / "nb")]) == 2
