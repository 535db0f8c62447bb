"""Fair results after a crash: an exercise that fails only because an earlier cell raised (or
was not attempted) and left what it uses broken is "not reached", naming that cell; the class
statistics do not count it as a failure; every result reads as one line like the checks' own.

Everything here runs without a kernel: the execution is made up, cell by cell.
"""

from __future__ import annotations

import nbformat
import pytest

from conftest import SOLUTIONS
from mnist_course import grade
from mnist_course.grade.interpret import broken_inputs
from mnist_course.grade.results import ExerciseResult, Report, result_line
from mnist_course.grade.stats import statistics

SOLUTION_02 = SOLUTIONS / "02_logistic_regression.ipynb"
PASSED = {"status": "passed", "output": "✔ passed\n"}


@pytest.fixture(scope="module")
def plan():
    notebook = nbformat.read(SOLUTION_02, as_version=4)
    return grade.plan_execution(notebook, grade.load_reference(2, SOLUTION_02.name), {})


def made_up_run(plan, errors: dict[int, tuple[str, str]]) -> grade.Execution:
    """An execution in which every code cell ran, ``errors`` (executed index -> (name, value)) raised."""
    outcome = grade.Execution(cell_timeout=9)
    for index, cell in enumerate(plan.notebook.cells):
        if cell.cell_type == "code":
            outcome.executed.add(index)
            cell.outputs = []
            if index in errors:
                cell.outputs = [nbformat.v4.new_output("error", ename=errors[index][0], evalue=errors[index][1],
                                                       traceback=[])]
    return outcome


def graded(plan, errors: dict[str, tuple[str, str]], verdicts: dict[str, dict]) -> dict[str, ExerciseResult]:
    """The results when the last code cell of each exercise named in ``errors`` raised."""
    reference = grade.load_reference(2, SOLUTION_02.name)
    at = {plan.exercise_cells[exercise][-1]: error for exercise, error in errors.items()}
    every = {exercise: verdicts.get(exercise, PASSED) for exercise in reference.exercises}
    found, *_ = grade.interpret(plan, reference, made_up_run(plan, at), every, {})
    return {result.exercise: result for result in found}


NONE_VALUES = ("ValueError", "None values not supported.")


def test_a_crash_in_2_2_does_not_charge_2_7_and_2_9(plan):
    failed = {"status": "failed", "message": "Exercise 2.7: history should be a History."}
    results = graded(plan, {"2.2": ("TypeError", "only integer scalar arrays can be converted"),
                            "2.7": NONE_VALUES, "2.9": NONE_VALUES},
                     {"2.2": {"status": "failed", "message": "Exercise 2.2: y_train_onehot should be an array."},
                      "2.7": failed, "2.9": failed})
    assert results["2.2"].status == "failed"
    for exercise in ("2.7", "2.9"):
        assert results[exercise].status == "not reached", results[exercise]
        detail = results[exercise].detail
        assert "exercise 2.2" in detail and "TypeError" in detail and "y_train_onehot" in detail
        assert "None values" not in detail
    assert results["2.5"].status == "passed", "a passing verdict is never taken away"
    stats = statistics([Report("a.ipynb", exercises=list(results.values()))])
    assert set(stats.messages) == {"2.2"}, "the class statistics list only the failure of 2.2"
    assert stats.counts["2.7"]["not reached"] == 1


def test_an_exercise_not_attempted_leaves_the_next_one_not_reached(plan):
    results = graded(plan, {"2.4": ("NotImplementedError", "Exercise 2.4: replace this line")},
                     {"2.4": {"status": "not attempted", "message": "Exercise 2.4 is not attempted yet: x"},
                      "2.5": {"status": "failed", "message": "Exercise 2.5: initial_loss should be a number."}})
    assert results["2.4"].status == "not attempted"
    assert results["2.5"].status == "not reached"
    assert "exercise 2.4 is not attempted" in results["2.5"].detail and "model" in results["2.5"].detail


def test_an_error_of_the_exercises_own_is_still_a_failure(plan):
    results = graded(plan, {"2.6": ("ZeroDivisionError", "division by zero")},
                     {"2.6": {"status": "failed", "message": "Exercise 2.6: steps_per_epoch should be 1875."}})
    assert results["2.6"].status == "failed" and "ZeroDivisionError" in results["2.6"].detail
    # a typo (a name no cell defines) after an earlier crash is the student's own too
    results = graded(plan, {"2.2": ("TypeError", "bad"), "2.7": ("NameError", "name 'histroy' is not defined")},
                     {"2.7": {"status": "failed", "message": "x"}})
    assert results["2.7"].status == "failed"


def test_a_later_cell_that_defines_the_name_again_repairs_it(plan):
    cells = plan.notebook.cells
    first, later = plan.exercise_cells["2.1"][0], plan.exercise_cells["2.7"][-1]
    assert "x_train_flat" in cells[first].source and "x_train_flat" in cells[later].source
    assert broken_inputs(plan, set(range(len(cells))), {first: "TypeError: x"})[later][0] == first
    repair = max(i for i in plan.original_index if i < later and cells[i].cell_type == "code")
    source = cells[repair].source
    try:
        cells[repair].source = "x_train_flat = x_test_flat = np.zeros((10, 784))\ny_train_onehot = y_test_onehot = 0"
        broken = broken_inputs(plan, set(range(len(cells))), {first: "TypeError: x"})
        assert later not in broken or broken[later][1] not in ("x_train_flat", "x_test_flat")
    finally:
        cells[repair].source = source


@pytest.mark.parametrize("result, line", [
    (ExerciseResult("2.6", "timed out", "the exercise cell ran longer than the time limit (300 s)"),
     "✘ Exercise 2.6 timed out: the exercise cell ran longer than the time limit (300 s)."),
    (ExerciseResult("2.7", "not reached", "it uses model, which an earlier error left undefined or broken: x"),
     "○ Exercise 2.7 was not reached: it uses model, which an earlier error left undefined or broken: x."),
    (ExerciseResult("1.2", "failed", "Exercise 1.2: counts of the test set.\nHint: y_train."),
     "✘ Exercise 1.2: counts of the test set.\nHint: y_train."),
    (ExerciseResult("1.4", "not attempted", "the exercise cell still raises NotImplementedError"),
     "○ Exercise 1.4 is not attempted yet: the exercise cell still raises NotImplementedError."),
    (ExerciseResult("1.1", "passed", output="✔ Exercise 1.1 passed: the four shapes are right.\n"),
     "✔ Exercise 1.1 passed: the four shapes are right."),
    (ExerciseResult("1.3", "tampered", "the course's check: passed"),
     "✘ Exercise 1.3 was tampered with: the course's check: passed."),
])
def test_every_result_reads_like_the_checks_own_line(result, line):
    assert result_line(result) == line
    assert result_line(result)[0] in "✔✘○" and result_line(result)[2:10] == "Exercise"
