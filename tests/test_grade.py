"""The grader (`mnist-course grade`): real notebooks made from notebook 01, graded in fast mode.

One folder of submissions, made here from the real solution and student notebooks, is graded
once through the command line (one kernel per notebook); the tests read its JSON, CSV, table
and executed copies. Everything else runs without a kernel.
"""

from __future__ import annotations

import copy
import csv
import hashlib
import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from types import SimpleNamespace

import nbformat
import numpy as np
import pytest

from mnist_course import _grading_kernel, cli, grade
from mnist_course.checks import nb01
from mnist_course.checks._core import CheckFailed
from mnist_course.student import CHECK_TAG, exercise_ids

from conftest import NOTEBOOKS, ROOT, SOLUTIONS

SOLUTION = SOLUTIONS / "01_meet_the_data.ipynb"
STUDENT = NOTEBOOKS / "01_meet_the_data.ipynb"
EXERCISES = ["1.1", "1.2", "1.3", "1.4"]
CELL_TIMEOUT = 20  # seconds; the infinite loop costs this much
ALL_NOTEBOOKS = sorted(SOLUTIONS.glob("*.ipynb")) + sorted(NOTEBOOKS.glob("*.ipynb"))


def read(path: Path):
    return nbformat.read(path, as_version=4)


def index_of(notebook, tag: str) -> int:
    return next(i for i, c in enumerate(notebook.cells)
                if c.cell_type == "code" and tag in c.metadata.get("tags", []))


def with_answer(notebook, exercise: str, source: str):
    notebook = copy.deepcopy(notebook)
    notebook.cells[index_of(notebook, f"exercise:{exercise}")].source = source
    return notebook


def make_submissions(folder: Path) -> None:
    solution, student = read(SOLUTION), read(STUDENT)
    nbformat.write(solution, folder / "solution.ipynb")
    nbformat.write(student, folder / "student.ipynb")
    nbformat.write(with_answer(solution, "1.2", "class_counts = np.bincount(y_test, minlength=10)"),
                   folder / "wrong_answer.ipynb")
    nbformat.write(with_answer(solution, "1.3", "pixel_min = pixel_max = pixel_mean = pixel_std = None\n"
                                                "while True:\n    pass"),
                   folder / "infinite_loop.ipynb")
    # Tampered: 1.1 right but its check cell deleted; 1.2 wrong and its check function replaced
    # by one that always "passes"; 1.3 right but its check cell edited to print a pass; 1.4 as is.
    tampered = with_answer(solution, "1.2", "class_counts = np.bincount(y_test, minlength=10)")
    tampered.cells[index_of(tampered, "check:1.3")].source = 'print("✔ Exercise 1.3 passed")'
    del tampered.cells[index_of(tampered, "check:1.1")]
    tampered.cells.insert(index_of(tampered, "exercise:1.2"), nbformat.v4.new_code_cell(
        'check.exercise_1_2 = lambda *args: print("✔ Exercise 1.2 passed")'))
    nbformat.write(tampered, folder / "tampered.ipynb")
    (folder / "not_a_notebook.ipynb").write_text("these are my answers", encoding="utf-8")


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run_cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    return subprocess.run([sys.executable, "-m", "mnist_course", *args], capture_output=True,
                          text=True, timeout=timeout, env=env, cwd=ROOT)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Grade one folder of six submissions once, through `python -m mnist_course grade`."""
    folder = tmp_path_factory.mktemp("submissions")
    make_submissions(folder)
    before = {p.name: digest(p) for p in folder.iterdir()}
    out = tmp_path_factory.mktemp("out")
    result = run_cli("grade", str(folder), "--fast", "--cell-timeout", str(CELL_TIMEOUT),
                     "--json", str(out / "grades.json"), "--csv", str(out / "grades.csv"),
                     "--executed", str(out / "executed"), timeout=900)
    assert (out / "grades.json").exists(), result.stderr[-3000:]
    data = json.loads((out / "grades.json").read_text(encoding="utf-8"))
    reports = {Path(r["notebook"]).name: r for r in data["submissions"]}
    return SimpleNamespace(result=result, reports=reports, folder=folder, out=out, before=before)


def statuses(report: dict) -> dict[str, str]:
    return {r["exercise"]: r["status"] for r in report["exercises"]}


# -- the graded folder -----------------------------------------------------------------------

def test_the_solution_passes_every_exercise(graded):
    report = graded.reports["solution.ipynb"]
    assert statuses(report) == dict.fromkeys(EXERCISES, "passed")
    assert report["exit_code"] == 0 and not report["tampering"] and report["mode"] == "fast"
    assert report["reference"].endswith("01_meet_the_data.ipynb")


def test_the_unfilled_student_notebook_is_not_attempted_and_does_not_crash(graded):
    report = graded.reports["student.ipynb"]
    assert report["error"] is None
    assert statuses(report) == dict.fromkeys(EXERCISES, "not attempted")
    assert report["exit_code"] == 1


def test_one_wrong_answer_fails_that_exercise_with_its_hint(graded, course_data):
    (_, _), (_, y_test) = course_data.train, course_data.test
    with pytest.raises(CheckFailed) as expected:  # what the course's check says to the student
        nb01.exercise_1_2(np.bincount(y_test, minlength=10))
    report = graded.reports["wrong_answer.ipynb"]
    assert statuses(report) == {"1.1": "passed", "1.2": "failed", "1.3": "passed", "1.4": "passed"}
    detail = report["exercises"][1]["detail"]
    assert detail == str(expected.value) and "Hint:" in detail


def test_an_infinite_loop_times_out_and_the_rest_is_still_graded(graded):
    report = graded.reports["infinite_loop.ipynb"]
    assert statuses(report) == {"1.1": "passed", "1.2": "passed", "1.3": "timed out", "1.4": "passed"}
    assert f"{CELL_TIMEOUT} s" in report["exercises"][2]["detail"]


def test_a_deleted_check_cell_or_a_redefined_check_does_not_pass(graded):
    report = graded.reports["tampered.ipynb"]
    results = {r["exercise"]: r for r in report["exercises"]}
    assert statuses(report) == {"1.1": "tampered", "1.2": "tampered", "1.3": "tampered", "1.4": "passed"}
    assert "deleted" in " ".join(results["1.1"]["tampering"])
    assert "course's check: passed" in results["1.1"]["detail"]  # the answer itself was right
    replaced = " ".join(results["1.2"]["tampering"])
    assert "check.exercise_1_2" in replaced, "the notebook's code that redefines the check"
    assert "mnist_course.checks.nb01.exercise_1_2 was replaced" in replaced, "seen in the kernel too"
    assert "course's check: failed" in results["1.2"]["detail"] and "test set" in results["1.2"]["detail"]
    assert "edited" in " ".join(results["1.3"]["tampering"])
    assert not report["tampering"], "nothing here affects every exercise"


def test_a_file_that_is_not_a_notebook_is_reported_and_the_others_go_on(graded):
    report = graded.reports["not_a_notebook.ipynb"]
    assert "not a valid Jupyter notebook" in report["error"] and report["exit_code"] == 2
    assert len(graded.reports) == 6


def test_the_folder_run_shows_progress_prints_tables_and_exits_1(graded):
    assert graded.result.returncode == 1, graded.result.stderr[-2000:]
    assert re.search(r"^\[6/6\] wrong_answer\.ipynb: ", graded.result.stderr, re.M)
    assert "Hint: Count the training labels" in graded.result.stdout
    assert "6 notebooks: 1 with every exercise passed, 4 with something to fix, 1 not graded." in graded.result.stdout


def test_the_csv_has_one_row_per_submission_and_one_column_per_exercise(graded):
    with (graded.out / "grades.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["submission"] for row in rows] == sorted(graded.reports)
    for row in rows:
        report = graded.reports[row["submission"]]
        assert {e: row[e] for e in EXERCISES if row[e]} == statuses(report)
    assert rows[0].keys() >= {"passed", "exercises", "tampering", "error", *EXERCISES}


def test_the_submissions_are_not_modified(graded):
    assert {p.name: digest(p) for p in graded.folder.iterdir()} == graded.before


def test_the_executed_copy_reads_like_the_course_with_the_checks_output(graded):
    executed = read(graded.out / "executed" / "wrong_answer.executed.ipynb")
    original = read(SOLUTION)
    assert [c.source for c in executed.cells] == [
        c.source if i != index_of(original, "exercise:1.2") else "class_counts = np.bincount(y_test, minlength=10)"
        for i, c in enumerate(original.cells)]
    text = lambda cell: "".join(o.get("text", "") for o in cell.outputs)  # noqa: E731
    assert text(executed.cells[index_of(executed, "check:1.1")]).startswith("✔ Exercise 1.1 passed")
    assert "✘ Exercise 1.2: these are the counts of the test set." in text(executed.cells[index_of(executed, "check:1.2")])
    assert not any(grade._MIME in o.get("data", {}) for c in executed.cells if c.cell_type == "code" for o in c.outputs)


# -- without a kernel ---------------------------------------------------------------------

@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=[str(p.relative_to(ROOT)) for p in ALL_NOTEBOOKS])
def test_course_notebooks_show_no_tampering_and_get_a_check_at_each_check_cell(path):
    """Also for the notebooks written after the grader: their own code must not look like tampering."""
    notebook = read(path)
    number = grade.course_number(notebook, path)
    reference = grade.load_reference(number, path.name)
    assert reference.source.startswith("solutions/") and reference.exercises == exercise_ids(notebook)
    plan = grade.plan_execution(notebook, reference, {})
    assert plan.tampering == {exercise: [] for exercise in reference.exercises}
    for exercise, index in plan.grader_cells.items():
        original = notebook.cells[plan.original_index[index]]
        assert f"check:{exercise}" in original.metadata["tags"]
        assert grade._normalised(grade._canonical_source(plan.notebook.cells[index].source, exercise)) == \
            grade._normalised(original.source)


def test_without_solutions_plain_check_calls_are_accepted_and_others_are_not():
    """An installed package has no solutions/: the check functions' parameters are the reference."""
    reference = grade._reference_from_checks(1)
    assert not reference.strict and reference.exercises == EXERCISES
    student = read(STUDENT)
    plan = grade.plan_execution(student, reference, {})
    assert plan.tampering == {exercise: [] for exercise in EXERCISES}
    for exercise, index in plan.grader_cells.items():
        assert grade._canonical_source(plan.notebook.cells[index].source, exercise) == \
            student.cells[plan.original_index[index]].source
    renamed = copy.deepcopy(student)
    renamed.cells[index_of(renamed, "check:1.2")].source = "check.exercise_1_2(counts)"
    renamed.cells[index_of(renamed, "check:1.3")].source = "check.exercise_1_3(x_train.min(), 255, 33.3, 78.6)"
    del renamed.cells[index_of(renamed, "check:1.4")]
    plan = grade.plan_execution(renamed, reference, {})
    assert plan.tampering["1.2"] == [], "a plain call of a variable is the student's own business"
    assert "counts" in plan.notebook.cells[plan.grader_cells["1.2"]].source
    assert "edited" in plan.tampering["1.3"][0] and "deleted" in plan.tampering["1.4"][0]
    assert "pixel_min" in plan.notebook.cells[plan.grader_cells["1.3"]].source


def scan(source: str) -> list[tuple[str | None, str]]:
    scanner = grade._Scanner(1)
    setup = "import numpy as np\nfrom mnist_course import plots\nfrom mnist_course.checks import nb01 as check\n"
    scanner.collect_imports(grade._parse(setup))
    scanner.collect_imports(grade._parse(source))
    return scanner.scan(grade._parse(source), "cell 9")


@pytest.mark.parametrize("source, exercise", [
    ("check.exercise_1_2 = lambda *a: None", "1.2"),
    ("setattr(check, 'exercise_1_3', print)", "1.3"),
    ("import mnist_course.checks._core as core\ncore.fail = print", None),
    ("np.allclose = lambda *a, **k: True", None),
    ("check = object()", None),
    ("del check", None),
    ("from mnist_course.checks import nb02 as check", None),
    ("plots.show_images = print", None),
    ("exec('x = 1')", None),
    ("globals()['check'] = None", None),
    ("import sys\nsys.modules['mnist_course.checks.nb01'] = None", None),
    ("%%time\ncheck.exercise_1_4 = print", "1.4"),
    ("get_ipython().events.register('post_run_cell', print)", None),
])
def test_code_that_replaces_checks_or_patches_modules_is_found(source, exercise):
    found = scan(source)
    assert found, source
    assert found[0][0] == exercise and found[0][1].startswith("cell 9 ")


@pytest.mark.parametrize("source", [
    "model.trainable = False", "np.random.seed(0)", "plt.rcParams['figure.dpi'] = 100",
    "answer = check.exercise_1_2", "%matplotlib inline", "for _ in range(3):\n    pass",
    "import os\nos.environ['TF_CPP_MIN_LOG_LEVEL'] = '3'", "check.exercise_1_2(class_counts)",
    "from mnist_course.checks import nb01 as check", "vars(model)",
])
def test_ordinary_code_is_not_tampering(source):
    assert scan(source) == []


def test_in_the_kernel_a_replaced_check_is_reported_and_the_fresh_check_decides(monkeypatch, course_data):
    published = []
    monkeypatch.setattr(_grading_kernel, "_publish", published.append)
    grader = _grading_kernel.Grader(str(grade.PACKAGE_DIR), "mnist_course.checks.nb01", "nonce",
                                    {"MNIST_COURSE_FAST": "1"})
    assert grader.checks is not nb01 and grader.checks.__file__ == nb01.__file__
    monkeypatch.setattr(nb01, "exercise_1_2", lambda *args: None)
    monkeypatch.setattr("mnist_course.checks._core.fail", lambda *args, **kwargs: None)
    monkeypatch.setenv("MNIST_COURSE_FAST", "0")
    wrong = np.bincount(course_data.test[1], minlength=10)
    grader.grade("1.2", lambda: ((wrong,), {}), {"check": nb01})
    result = published[-1]
    assert result["status"] == "failed" and "test set" in result["message"] and result["nonce"] == "nonce"
    assert "mnist_course.checks.nb01.exercise_1_2 was replaced" in result["tampering"]
    assert "mnist_course.checks._core.fail was replaced" in result["tampering"]
    assert any("MNIST_COURSE_FAST" in text for text in result["tampering"])
    assert os.environ["MNIST_COURSE_FAST"] == "1", "the grader puts the mode back"
    grader.grade("1.2", lambda: ((undefined_name,), {}), {})  # noqa: F821
    assert published[-1]["status"] == "not reached"
    grader.grade("1.2", lambda: ((None,), {}), {})
    assert published[-1]["status"] == "not attempted"


def fake_run(plan, errors: dict[int, tuple[str, str]], results: dict[str, tuple[str, str]]):
    """An Execution as if every cell ran: ``errors`` by executed cell index, check results by exercise."""
    outcome = grade.Execution(cell_timeout=9)
    for index, cell in enumerate(plan.notebook.cells):
        if cell.cell_type == "code":
            outcome.executed.add(index)
            if index in errors:
                cell.outputs = [nbformat.v4.new_output("error", ename=errors[index][0],
                                                       evalue=errors[index][1], traceback=[])]
    for exercise, (status, message) in results.items():
        result = {"nonce": plan.nonce, "exercise": exercise, "status": status, "message": message,
                  "tampering": []}
        plan.notebook.cells[plan.grader_cells[exercise]].outputs = [
            nbformat.v4.new_output("display_data", data={grade._MIME: result})]
    return outcome


def test_errors_are_told_apart_not_reached_from_failed():
    notebook = read(SOLUTION)
    plan = grade.plan_execution(notebook, grade.load_reference(1, SOLUTION.name), {})
    setup = 1 + next(i for i, c in enumerate(notebook.cells) if c.cell_type == "code")
    exercise = {e: plan.exercise_cells[e][0] for e in EXERCISES}
    errors = {setup: ("DataError", "MNIST is not on this machine"),
              exercise["1.1"]: ("NameError", "name 'x_train' is not defined"),
              exercise["1.2"]: ("NameError", "name 'y_trian' is not defined"),
              exercise["1.3"]: ("TypeError", "'NoneType' object is not subscriptable")}
    results = {"1.1": ("not attempted", "x"), "1.2": ("not attempted", "x"), "1.3": ("not attempted", "x"),
               "1.4": ("not reached", "NameError: name 'mean_images' is not defined")}
    found, everywhere, cell_errors = grade.interpret(plan, grade.load_reference(1, SOLUTION.name),
                                                    fake_run(plan, errors, results), [])
    by_exercise = {r.exercise: r for r in found}
    assert {e: r.status for e, r in by_exercise.items()} == {
        "1.1": "not reached", "1.2": "failed", "1.3": "not reached", "1.4": "not reached"}
    assert "DataError" in by_exercise["1.1"].detail, "says which earlier error it was"
    assert "y_trian" in by_exercise["1.2"].detail, "a typo of the student's own is a failure"
    assert cell_errors[0].startswith("cell 3 (`import numpy as np`): DataError") and not everywhere


def bad_input_exit(path: Path, capsys) -> tuple[int, str]:
    code = cli.main(["grade", str(path)])
    return code, capsys.readouterr().err


def test_bad_input_gives_a_clear_error_and_exit_code_2(tmp_path, capsys):
    code, err = bad_input_exit(tmp_path / "missing.ipynb", capsys)
    assert code == 2 and "does not exist" in err
    (tmp_path / "answers.txt").write_text("not json")
    code, err = bad_input_exit(tmp_path / "answers.txt", capsys)
    assert code == 2 and "not a valid Jupyter notebook" in err
    other = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Pandas basics"),
                                            nbformat.v4.new_code_cell("import pandas")])
    nbformat.write(other, tmp_path / "pandas.ipynb")
    code, err = bad_input_exit(tmp_path / "pandas.ipynb", capsys)
    assert code == 2 and "not a notebook of the mnist-course course" in err
    foreign = read(STUDENT)
    for cell in foreign.cells:
        cell.metadata["tags"] = [t.replace(":1.", ":9.") for t in cell.metadata.get("tags", [])]
    nbformat.write(foreign, tmp_path / "nine.ipynb")
    code, err = bad_input_exit(tmp_path / "nine.ipynb", capsys)
    assert code == 2 and "belong to no notebook of this course" in err
    (tmp_path / "empty").mkdir()
    code, err = bad_input_exit(tmp_path / "empty", capsys)
    assert code == 2 and "holds no notebooks" in err


def test_a_course_notebook_missing_exercises_is_bad_input(tmp_path, capsys):
    notebook = read(STUDENT)
    del notebook.cells[index_of(notebook, "exercise:1.3")]
    nbformat.write(notebook, tmp_path / "01_meet_the_data.ipynb")
    code, err = bad_input_exit(tmp_path / "01_meet_the_data.ipynb", capsys)
    assert code == 2 and "missing exercise 1.3" in err
    untagged = read(STUDENT)
    for cell in untagged.cells:
        cell.metadata.pop("tags", None)
    nbformat.write(untagged, tmp_path / "01_meet_the_data.ipynb")
    code, err = bad_input_exit(tmp_path / "01_meet_the_data.ipynb", capsys)
    assert code == 2 and "looks like course notebook 01 but it is missing its exercises" in err


def test_python_m_mnist_course_reports_bad_input_with_exit_code_2(tmp_path):
    (tmp_path / "notes.ipynb").write_text("{")
    result = run_cli("grade", str(tmp_path / "notes.ipynb"))
    assert result.returncode == 2 and result.stderr.startswith("error: ") and not result.stdout


@pytest.mark.parametrize("statuses_, code", [(["passed", "passed"], 0), (["passed", "failed"], 1),
                                             (["passed", "tampered"], 1)])
def test_exit_code_is_0_only_when_everything_passed(monkeypatch, capsys, statuses_, code, tmp_path):
    results = [grade.ExerciseResult(f"1.{i}", s) for i, s in enumerate(statuses_, start=1)]
    fake = grade.Report(notebook="n.ipynb", course_notebook="01 Meet the data", reference="solutions/x",
                        mode="fast", exercises=results)
    monkeypatch.setattr(grade, "grade_notebook", lambda *args, **kwargs: fake)
    assert cli.main(["grade", str(STUDENT), "--json", str(tmp_path / "r.json")]) == code
    assert json.loads((tmp_path / "r.json").read_text())["exit_code"] == code
    assert re.search(rf"^  1\.2\s+{statuses_[1]}", capsys.readouterr().out, re.M)


def test_the_command_is_installed_and_make_grade_is_documented():
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    module, function = scripts["mnist-course"].split(":")
    assert module == "mnist_course.cli" and callable(getattr(cli, function))
    help_text = subprocess.run(["make", "-s", "help"], cwd=ROOT, capture_output=True, text=True).stdout
    assert re.search(r"make grade\s+\S.*NOTEBOOK=", help_text)
    usage = subprocess.run(["make", "-s", "grade"], cwd=ROOT, capture_output=True, text=True)
    assert usage.returncode != 0 and "NOTEBOOK=" in usage.stderr
