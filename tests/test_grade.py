"""The grader (`mnist-course grade`): real notebooks made from notebook 01, graded in fast mode.

One folder of submissions, made here from the real solution and student notebooks, is graded
once through the command line (one kernel per notebook); the tests read its JSON, CSV, table
and executed copies. Everything else runs without a kernel.
"""

from __future__ import annotations

import collections
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

from mnist_course import grade
from mnist_course.grade import kernel as _grading_kernel
from mnist_course.tools import cli
from mnist_course.checks import nb01
from mnist_course.grade import capture, judge, reference, run
from mnist_course.grade import scan as scan_module
from mnist_course.checks._core import CheckFailed
from mnist_course.tools.ipynb import exercise_ids

from conftest import NOTEBOOKS, ROOT, SOLUTIONS

SOLUTION = SOLUTIONS / "01_meet_the_data.ipynb"
STUDENT = NOTEBOOKS / "01_meet_the_data.ipynb"
EXERCISES = ["1.1", "1.2", "1.3", "1.4"]
CELL_TIMEOUT = 15  # seconds; the infinite loop costs this much
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
    # One wrong answer (1.2) and an infinite loop (1.3): independent, so one notebook.
    wrong = with_answer(solution, "1.2", "class_counts = np.bincount(y_test, minlength=10)")
    nbformat.write(with_answer(wrong, "1.3", "pixel_min = pixel_max = pixel_mean = pixel_std = None\n"
                                             "while True:\n    pass"),
                   folder / "wrong_answer.ipynb")
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
    """Grade one folder of five submissions once, through `python -m mnist_course grade`."""
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
    assert statuses(report)["1.2"] == "failed"
    detail = report["exercises"][1]["detail"]
    assert detail == str(expected.value) and "Hint:" in detail


def test_an_infinite_loop_times_out_and_the_rest_is_still_graded(graded):
    report = graded.reports["wrong_answer.ipynb"]
    assert statuses(report) == {"1.1": "passed", "1.2": "failed", "1.3": "timed out", "1.4": "passed"}
    assert f"{CELL_TIMEOUT} s" in report["exercises"][2]["detail"]


def test_a_deleted_check_cell_or_a_redefined_check_does_not_pass(graded):
    report = graded.reports["tampered.ipynb"]
    results = {r["exercise"]: r for r in report["exercises"]}
    assert statuses(report) == {"1.1": "tampered", "1.2": "tampered", "1.3": "tampered", "1.4": "passed"}
    assert "deleted" in " ".join(results["1.1"]["tampering"])
    assert "course's check: passed" in results["1.1"]["detail"]  # the answer itself was right
    replaced = " ".join(results["1.2"]["tampering"])
    assert "check.exercise_1_2" in replaced, "the notebook's code that redefines the check"
    assert "mnist_course.checks.nb01.exercise_1_2 was replaced" in replaced, "claimed by the kernel too"
    assert "course's check: failed" in results["1.2"]["detail"] and "test set" in results["1.2"]["detail"]
    assert "edited" in " ".join(results["1.3"]["tampering"])
    assert not report["tampering"], "nothing here affects every exercise"


def test_a_file_that_is_not_a_notebook_is_reported_and_the_others_go_on(graded):
    report = graded.reports["not_a_notebook.ipynb"]
    assert "not a valid Jupyter notebook" in report["error"] and report["exit_code"] == 2
    assert len(graded.reports) == 5


def test_the_folder_run_shows_progress_prints_tables_and_exits_1(graded):
    assert graded.result.returncode == 1, graded.result.stderr[-2000:]
    assert re.search(r"^\[5/5\] wrong_answer\.ipynb: ", graded.result.stderr, re.M)
    assert "Hint: Count the training labels" in graded.result.stdout
    assert "5 notebooks: 1 with every exercise passed, 3 with something to fix, 1 not graded." in graded.result.stdout


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
    changed = {index_of(original, "exercise:1.2"): "class_counts = np.bincount(y_test, minlength=10)",
               index_of(original, "exercise:1.3"): "pixel_min = pixel_max = pixel_mean = pixel_std = None\n"
                                                    "while True:\n    pass"}
    assert [c.source for c in executed.cells] == [changed.get(i, c.source) for i, c in enumerate(original.cells)]
    text = lambda cell: "".join(o.get("text", "") for o in cell.outputs)  # noqa: E731
    assert text(executed.cells[index_of(executed, "check:1.1")]).startswith("✔ Exercise 1.1 passed")
    assert "✘ Exercise 1.2: these are the counts of the test set." in text(executed.cells[index_of(executed, "check:1.2")])
    assert not any("_mnist_course_grader" in c.source for c in executed.cells), "the grader's cells are left out"
    summary = next(c for c in executed.cells if c.cell_type == "code" and c.source == "check.summary()")
    assert "✘ 1.2   failed" in text(summary) and "2 of 4 exercises passed." in text(summary)


# -- without a kernel ---------------------------------------------------------------------

@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=[str(p.relative_to(ROOT)) for p in ALL_NOTEBOOKS])
def test_course_notebooks_show_no_tampering_and_get_a_check_at_each_check_cell(path):
    """Also for the notebooks written after the grader: their own code must not look like tampering."""
    notebook = read(path)
    number = grade.course_number(notebook, path)
    found = grade.load_reference(number, path.name)
    assert found.source.startswith("solutions/") and found.exercises == exercise_ids(notebook)
    plan = grade.plan_execution(notebook, found, {})
    assert plan.tampering == {exercise: [] for exercise in found.exercises}
    for exercise, index in plan.grader_cells.items():
        original = notebook.cells[plan.original_index[index]]
        assert f"check:{exercise}" in original.metadata["tags"]
        assert reference.normalised(grade.canonical_source(plan.notebook.cells[index].source, exercise)) == \
            reference.normalised(original.source)


def test_without_solutions_plain_check_calls_are_accepted_and_others_are_not():
    """An installed package has no solutions/: the check functions' parameters are the reference."""
    from_checks = grade.reference_from_checks(1)
    assert not from_checks.strict and from_checks.exercises == EXERCISES
    student = read(STUDENT)
    plan = grade.plan_execution(student, from_checks, {})
    assert plan.tampering == {exercise: [] for exercise in EXERCISES}
    for exercise, index in plan.grader_cells.items():
        assert grade.canonical_source(plan.notebook.cells[index].source, exercise) == \
            student.cells[plan.original_index[index]].source
    renamed = copy.deepcopy(student)
    renamed.cells[index_of(renamed, "check:1.2")].source = "check.exercise_1_2(counts)"
    renamed.cells[index_of(renamed, "check:1.3")].source = "check.exercise_1_3(x_train.min(), 255, 33.3, 78.6)"
    del renamed.cells[index_of(renamed, "check:1.4")]
    plan = grade.plan_execution(renamed, from_checks, {})
    assert plan.tampering["1.2"] == [], "a plain call of a variable is the student's own business"
    assert "counts" in plan.notebook.cells[plan.grader_cells["1.2"]].source
    assert "edited" in plan.tampering["1.3"][0] and "deleted" in plan.tampering["1.4"][0]
    assert "pixel_min" in plan.notebook.cells[plan.grader_cells["1.3"]].source


def scan(source: str) -> list[scan_module.Finding]:
    scanner = scan_module.Scanner(1)
    setup = "import numpy as np\nfrom mnist_course import plots\nfrom mnist_course.checks import nb01 as check\n"
    scanner.collect_imports(reference.parse(setup))
    scanner.collect_imports(reference.parse(source))
    return scanner.scan(reference.parse(source), "cell 9")


@pytest.mark.parametrize("source, exercise", [
    ("check.exercise_1_2 = lambda *a: None", "1.2"),
    ("setattr(check, 'exercise_1_3', print)", "1.3"),
    ("import mnist_course.checks._core as core\ncore.fail = print", None),
    ("check = object()", None),
    ("del check", None),
    ("from mnist_course.checks import nb02 as check", None),
    ("plots.show_images = print", None),
    ("%%time\ncheck.exercise_1_4 = print", "1.4"),
    ("def check():\n    pass", None),
    ("vars(check)['exercise_1_1'] = print", "1.1"),
])
def test_code_that_replaces_the_course_checks_is_tampering(source, exercise):
    found = [f for f in scan(source) if f.tampering]
    assert found, source
    assert found[0].exercise == exercise and found[0].text.startswith("cell 9 ")


@pytest.mark.parametrize("source", [
    "np.allclose = lambda *a, **k: True", "exec('x = 1')", "globals()['check_me'] = None",
    "import sys\nsys.modules['numpy'] = None", "get_ipython().events.register('post_run_cell', print)",
    "import gc\ngc.collect()", "text = '{a}'.format(**locals())", "vars(np)['isclose'] = None",
    "print.__self__.abs = None", "import ctypes",
])
def test_other_unusual_code_is_a_note_not_tampering(source):
    found = scan(source)
    assert found and not any(f.tampering for f in found), source


@pytest.mark.parametrize("source", [
    "model.trainable = False", "np.random.seed(0)", "plt.rcParams['figure.dpi'] = 100",
    "answer = check.exercise_1_2", "%matplotlib inline", "for _ in range(3):\n    pass",
    "import os\nos.environ['TF_CPP_MIN_LOG_LEVEL'] = '3'", "check.exercise_1_2(class_counts)",
    "from mnist_course.checks import nb01 as check", "vars(model)",
    "with open('notes.txt', 'w') as f:\n    f.write('x')",
])
def test_ordinary_code_is_neither(source):
    assert scan(source) == []


def judged(tmp_path, exercise: str, answers_dir: Path) -> dict:
    """Run the real judge process on answers handed over in this process."""
    root = tmp_path / "course"
    run.write_files(run.snapshot_course(), root / "mnist_course")
    data = run.snapshot_data(1)
    run.write_files({d.name: d.data for d in data}, tmp_path / "data", read_only=False)
    env = run.base_environment(tmp_path, {"MNIST_COURSE_FAST": "1",
                                          **run.data_variables(data, tmp_path / "data")}, None)
    for folder in ("home", "tmp", "mpl", "keras"):
        (tmp_path / folder).mkdir(exist_ok=True)
    job = {"course_root": str(root), "module": "mnist_course.checks.nb01", "answers": str(answers_dir),
           "exercises": [exercise], "data": {str(tmp_path / "data" / d.name): d.digest for d in data}}
    try:
        return judge.judge(job, python=sys.executable, env=env, timeout=120, cwd=str(tmp_path))
    finally:
        run.remove_tree(root)


def test_the_kernel_hands_over_data_and_the_judge_decides_whatever_the_kernel_patched(
        monkeypatch, tmp_path, course_data):
    """The kernel's helper only writes the answer; the judge, a clean process, runs the check."""
    answers = tmp_path / "answers"
    grader = _grading_kernel.Grader(str(grade.PACKAGE_DIR), "mnist_course.checks.nb01", str(answers),
                                    {"MNIST_COURSE_FAST": "1"})
    assert grader.checks is not nb01 and grader.checks.__file__ == nb01.__file__
    monkeypatch.setattr(nb01, "exercise_1_2", lambda *args: None)
    monkeypatch.setattr("mnist_course.checks._core.fail", lambda *args, **kwargs: None)
    monkeypatch.setattr(np, "allclose", lambda *args, **kwargs: True)
    monkeypatch.setenv("MNIST_COURSE_FAST", "0")
    wrong = np.bincount(course_data.test[1], minlength=10)
    grader.hand_over("1.2", lambda: ((wrong,), {}), {"check": nb01})
    handed = json.loads((answers / "1.2" / "kernel.json").read_text())
    assert handed["status"] == "handed over"
    assert "mnist_course.checks.nb01.exercise_1_2 was replaced" in handed["notes"]
    assert "mnist_course.checks._core.fail was replaced" in handed["notes"]
    assert os.environ["MNIST_COURSE_FAST"] == "1", "the grader puts the mode back"
    monkeypatch.undo()
    verdict = judged(tmp_path, "1.2", answers)["1.2"]
    assert verdict["status"] == "failed" and "test set" in verdict["message"]
    grader.hand_over("1.2", lambda: ((undefined_name,), {}), {})  # noqa: F821
    assert json.loads((answers / "1.2" / "kernel.json").read_text())["status"] == "name error"


def test_a_forged_status_or_verdict_file_is_not_a_verdict(tmp_path):
    answers = tmp_path / "answers" / "1.2"
    answers.mkdir(parents=True)
    (answers / "kernel.json").write_text(json.dumps({"status": "passed", "message": "✔"}))
    (answers / "verdict.json").write_text(json.dumps({"1.2": {"status": "passed"}}))
    assert judged(tmp_path, "1.2", tmp_path / "answers")["1.2"]["status"] == "failed"


class Lying(np.ndarray):
    def __eq__(self, other):
        return np.ones(np.shape(self), dtype=bool)

    def __array_function__(self, func, types, args, kwargs):
        return True


@pytest.mark.parametrize("value, back", [
    ((1, [2.5, "x"], {"a": None}), (1, [2.5, "x"], {"a": None})),
    (collections.Counter({1: 2}), collections.Counter({1: 2})),
    ({3: 4, 1: 2}, {3: 4, 1: 2}),
    (np.float32(1.5), np.float32(1.5)),
    (float("nan"), None),
    (Ellipsis, Ellipsis),
    (Path("a/b.keras"), Path("a/b.keras")),
])
def test_plain_answers_come_back_with_their_type(tmp_path, value, back):
    capture.dump(str(tmp_path), ["x"], [value], {})
    [loaded] = capture.load(str(tmp_path)).args
    assert type(loaded) is type(value)
    if back is not None:
        assert loaded == back
    else:
        assert loaded != loaded


def test_an_array_that_lies_comes_back_as_a_plain_array(tmp_path):
    lying = np.arange(3).view(Lying)
    capture.dump(str(tmp_path), ["x"], [lying], {})
    [loaded] = capture.load(str(tmp_path)).args
    assert type(loaded) is np.ndarray and loaded.tolist() == [0, 1, 2]


def test_an_object_the_grader_cannot_take_fails_with_a_reason(tmp_path):
    capture.dump(str(tmp_path), ["thing"], [object()], {})
    loaded = capture.load(str(tmp_path))
    assert loaded.problems and "thing is a object" in loaded.problems[0]


def test_a_function_answer_replays_the_recorded_calls_and_nothing_else(tmp_path):
    def softmax(scores):
        scores -= scores.max()  # changes its input in place, which the check must see
        return np.exp(scores) / np.exp(scores).sum()

    def record(recorder, args, kwargs):
        wrapped = _grading_kernel._wrap(recorder, args[0])
        wrapped(np.array([1.0, 2.0]))

    capture.dump(str(tmp_path), ["softmax"], [softmax], {}, record)
    [replay] = capture.load(str(tmp_path)).args
    given = np.array([1.0, 2.0])
    assert np.allclose(replay(given), softmax(np.array([1.0, 2.0])))
    assert given.tolist() == [-1.0, 0.0], "the change in place is replayed too"
    with pytest.raises(capture.ReplayError, match="not run on these inputs"):
        replay(np.array([5.0, 6.0]))


def fake_run(plan, errors: dict[int, tuple[str, str]]):
    """An Execution as if every cell ran, with ``errors`` by executed cell index."""
    outcome = grade.Execution(cell_timeout=9)
    for index, cell in enumerate(plan.notebook.cells):
        if cell.cell_type == "code":
            outcome.executed.add(index)
            if index in errors:
                cell.outputs = [nbformat.v4.new_output("error", ename=errors[index][0],
                                                       evalue=errors[index][1], traceback=[])]
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
    verdicts = {"1.1": {"status": "not attempted", "message": "x"}, "1.2": {"status": "not attempted", "message": "x"},
                "1.3": {"status": "not attempted", "message": "x"},
                "1.4": {"status": "not reached", "message": "NameError: name 'mean_images' is not defined"}}
    found, everywhere, notes, cell_errors = grade.interpret(plan, grade.load_reference(1, SOLUTION.name),
                                                           fake_run(plan, errors), verdicts, {})
    by_exercise = {r.exercise: r for r in found}
    assert {e: r.status for e, r in by_exercise.items()} == {
        "1.1": "not reached", "1.2": "failed", "1.3": "not reached", "1.4": "not reached"}
    assert "DataError" in by_exercise["1.1"].detail, "says which earlier error it was"
    assert "y_trian" in by_exercise["1.2"].detail, "a typo of the student's own is a failure"
    assert cell_errors[0].startswith("cell 3 (`import numpy as np`): DataError") and not everywhere


def test_only_the_judge_can_pass_an_exercise():
    """Whatever the kernel claims, an exercise passes only with the judge's "passed"."""
    plan = grade.plan_execution(read(SOLUTION), grade.load_reference(1, SOLUTION.name), {})
    claims = {e: ["the kernel says: passed"] for e in EXERCISES}
    found, *_ = grade.interpret(plan, grade.load_reference(1, SOLUTION.name), fake_run(plan, {}),
                                {"1.1": {"status": "passed"}, "1.2": {"status": "error", "message": "x"}}, claims)
    assert [r.status for r in found] == ["passed", "not reached", "not reached", "not reached"]


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
    assert module == "mnist_course.tools.cli" and callable(getattr(cli, function))
    help_text = subprocess.run(["make", "-s", "help"], cwd=ROOT, capture_output=True, text=True).stdout
    assert re.search(r"make grade\s+\S.*NOTEBOOK=", help_text)
    usage = subprocess.run(["make", "-s", "grade"], cwd=ROOT, capture_output=True, text=True)
    assert usage.returncode != 0 and "NOTEBOOK=" in usage.stderr


def test_each_run_has_its_own_folders_and_a_course_copy_without_solutions(monkeypatch):
    monkeypatch.setenv("TF_NUM_INTRAOP_THREADS", "1")
    monkeypatch.setenv("SECRET_TOKEN", "instructor's")
    with run.Workspace.create(run.snapshot_course()) as workspace:
        env = run.kernel_environment(workspace, {"MNIST_COURSE_FAST": "1"})
        for variable in ("HOME", "IPYTHONDIR", "TMPDIR", "MPLCONFIGDIR", "KERAS_HOME"):
            assert Path(env[variable]).is_relative_to(workspace.root), variable
        assert env["PYTHONPATH"] == str(workspace.package_dir.parent)
        assert not (workspace.package_dir.parent / "solutions").exists()
        assert (workspace.package_dir / "checks" / "nb01.py").read_bytes() == nb01_file().read_bytes()
        assert env["TF_NUM_INTRAOP_THREADS"] == "1", "parallel grading's thread limits pass through"
        assert "SECRET_TOKEN" not in env
        root = workspace.root
    assert not root.exists(), "the run's folder is removed afterwards"
    limited = run.base_environment(root, {}, threads=2)
    assert [limited[v] for v in run.THREAD_VARIABLES] == ["2", "2", "2"]


def nb01_file() -> Path:
    return Path(nb01.__file__)
