"""The grader without its sandbox (`--sandbox off`, the fallback), attacked as a determined
student and a careless instructor would (the sandbox is attacked in `tests/test_sandbox.py`).

Every submission is made from notebook 01 (no training, so each costs one short kernel) and
carries one attack per exercise where the verdicts are independent. One folder holds them all
and is graded once through `python -m mnist_course grade` (module-scoped fixture), with the
data named through MNIST_COURSE_DATA as a writable copy that one submission rewrites. The bar:
no wrong answer "passed", no honest notebook "tampered", no file overwritten, no process left.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest

from conftest import ROOT, SOLUTIONS

SOLUTION = SOLUTIONS / "01_meet_the_data.ipynb"


def mnist_file() -> Path:
    from mnist_course.data import find_mnist

    found, _ = find_mnist()
    if found is None:
        pytest.fail("MNIST is not on this machine (set MNIST_COURSE_DATA): the grader needs a data file")
    return found


def read(path: Path):
    return nbformat.read(path, as_version=4)


def index_of(notebook, tag: str) -> int:
    return next(i for i, c in enumerate(notebook.cells)
                if c.cell_type == "code" and tag in c.metadata.get("tags", []))


def answer(notebook, exercise: str, source: str):
    notebook.cells[index_of(notebook, f"exercise:{exercise}")].source = source


def before_exercise(notebook, exercise: str, source: str):
    notebook.cells.insert(index_of(notebook, f"exercise:{exercise}"), nbformat.v4.new_code_cell(source))


WRONG = {  # one plausible wrong answer per exercise
    "1.1": "shapes = (x_test.shape, y_test.shape, x_train.shape, y_train.shape)",
    "1.2": "class_counts = np.bincount(y_test, minlength=10)",
    "1.3": "pixel_min, pixel_max, pixel_mean, pixel_std = 0.0, 1.0, x_train.mean() / 255, x_train.std() / 255",
    "1.4": "mean_images = np.array([x_test[y_test == d].mean(axis=0) for d in range(10)])",
}


def forgers():
    """Wrong answers, each with a way to forge a verdict from inside the notebook."""
    notebook = read(SOLUTION)
    answer(notebook, "1.1", WRONG["1.1"] + """
ip = get_ipython()
original = ip.display_pub.publish
def publish(data, *args, **kwargs):                      # patch the display publisher
    print("✔ Exercise 1.1 passed")
    return original(data, *args, **kwargs)
ip.display_pub.publish = publish
def forge(*args):                                        # a hook that writes fake results
    import json, os
    folder = os.environ["HOME"] + "/../answers/1.1"
    if os.path.isdir(folder):
        with open(os.path.join(folder, "kernel.json"), "w") as handle:
            json.dump({"status": "passed", "message": "✔ Exercise 1.1 passed"}, handle)
ip.events.register("post_run_cell", forge)
ip.events.register("pre_run_cell", lambda *a: print("✔ Exercise 1.1 passed"))""")
    answer(notebook, "1.2", WRONG["1.2"] + """
import gc, types
for thing in gc.get_objects():                            # find the grader and swap its checks
    if type(thing).__name__ == "Grader":
        thing.checks = types.SimpleNamespace(exercise_1_2=lambda *a: print("✔ Exercise 1.2 passed"))
        thing.noticed = lambda namespace: []""")
    answer(notebook, "1.3", WRONG["1.3"] + """
numpy_alias = np
numpy_alias.allclose = lambda *a, **k: True                # numpy patched through an alias
vars(np)["isclose"] = lambda *a, **k: True                 # through vars()
s = setattr
s(np, "array_equal", lambda *a, **k: True)                 # through an aliased setattr""")
    before_exercise(notebook, "1.4", """
from IPython.core.magic import register_cell_magic
@register_cell_magic
def quietly(line, cell):                                   # a patch hidden in a cell magic
    setattr(__import__("mnist_course.checks._core", fromlist=["fail"]), "fail", lambda *a, **k: None)
    get_ipython().run_cell(cell)""")
    answer(notebook, "1.4", "%%quietly\n" + WRONG["1.4"] + """
print.__self__.abs = lambda value: 0                      # a builtin patched through print.__self__
get_ipython().input_transformers_post.append(
    lambda lines: ['print("✔ Exercise 1.4 passed")\\n'] if any("hand_over" in l for l in lines) else lines)""")
    return notebook


def escapes(paths: SimpleNamespace):
    """Reaches outside: the data file, the solutions, leftovers for the next student, a detached
    process, its own file."""
    notebook = read(SOLUTION)
    answer(notebook, "1.1", f"""
import os, numpy
shapes = (x_train.shape, y_train.shape, x_test.shape, y_test.shape)   # right
for path in (os.environ["MNIST_COURSE_DATA"], {str(paths.data)!r}):
    with numpy.load(path) as data:
        arrays = dict(data)
    arrays["y_train"] = numpy.zeros_like(arrays["y_train"])            # every label a 0
    numpy.savez(path[:-4], **arrays)""")
    answer(notebook, "1.2", "class_counts = np.bincount(np.zeros(len(y_train), dtype=int), minlength=10)  # wrong")
    answer(notebook, "1.3", """
import json, pathlib, mnist_course
pixel_min = pixel_max = pixel_mean = pixel_std = None
folder = pathlib.Path(mnist_course.__file__).resolve().parents[1] / "solutions"
found = sorted(folder.glob("*.ipynb"))
print("SOLUTIONS FOUND:", [p.name for p in found])
for path in found:
    print(path.read_text())
    for cell in json.loads(path.read_text())["cells"]:
        if "exercise:1.3" in cell["metadata"].get("tags", []):
            exec("".join(cell["source"]))""")
    answer(notebook, "1.4", f"""
import subprocess, sys, pathlib, mnist_course
mean_images = np.array([x_train[y_train == d].mean(axis=0) for d in range(10)])   # right
startup = pathlib.Path(get_ipython().profile_dir.startup_dir)
startup.mkdir(parents=True, exist_ok=True)
(startup / "00-next.py").write_text("import numpy; numpy.bincount = lambda *a, **k: 'FORGED'")
home = pathlib.Path.home() / ".ipython" / "profile_default" / "startup"
home.mkdir(parents=True, exist_ok=True)
(home / "00-next.py").write_text("print('LEFT BY ANOTHER STUDENT')")
cache = pathlib.Path(mnist_course.__file__).parent / "checks" / "__pycache__"
cache.mkdir(exist_ok=True)
(cache / f"nb01.{{sys.implementation.cache_tag}}.pyc").write_bytes(b"forged")
detached = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(900)"], start_new_session=True)
hidden = subprocess.Popen([sys.executable, "-c",
    "import os, sys, time\\nif os.fork(): sys.exit()\\nos.setsid()\\nopen(sys.argv[1], 'w').write(str(os.getpid()))\\ntime.sleep(900)",
    {str(paths.pids / "hidden")!r}], env={{}}, cwd="/")
pathlib.Path({str(paths.pids / "detached")!r}).write_text(str(detached.pid))
pathlib.Path({str(paths.self_editing)!r}).write_text("my answers were all right")""")
    return notebook


def honest():
    """Right answers written with tools a careful student may use: no tampering, all passed."""
    notebook = read(SOLUTION)
    answer(notebook, "1.1", """
import gc
gc.collect()
namespace = vars()
shapes = tuple(namespace[name].shape for name in ("x_train", "y_train", "x_test", "y_test"))
print("{x_train}".format(**{k: v for k, v in locals().items() if k == "x_train"}) != "")""")
    answer(notebook, "1.2", """
namespace = {"np": np, "y_train": y_train}
exec("class_counts = np.bincount(y_train, minlength=10)", namespace)
class_counts = namespace["class_counts"].tolist()
with open("counts.json", "w") as handle:
    import json
    json.dump(class_counts, handle)
with open("counts.json") as handle:
    class_counts = json.load(handle)""")
    answer(notebook, "1.3", """
stats = {name: getattr(x_train, name)() for name in ("min", "max", "mean", "std")}
pixel_min, pixel_max, pixel_mean, pixel_std = (stats[k] for k in ("min", "max", "mean", "std"))
print(globals()["pixel_mean"])""")
    answer(notebook, "1.4", """
from collections import defaultdict
sums = defaultdict(lambda: 0)
for digit in range(10):
    sums[digit] = x_train[y_train == digit].mean(axis=0)
mean_images = [sums[d] for d in range(10)]""")
    return notebook


def liars():
    """Answers that lie about themselves, and code that plays with the grader's files."""
    notebook = read(SOLUTION)
    answer(notebook, "1.1", """
class Shapes(tuple):
    def __eq__(self, other): return True
    def __len__(self): return 4
shapes = Shapes([(1,), (2,), (3,), (4,)])""")
    answer(notebook, "1.2", """
class Lying(np.ndarray):
    def __eq__(self, other): return np.ones(10, dtype=bool)
    def __array_function__(self, func, types, args, kwargs): return True
class_counts = np.bincount(y_test, minlength=10).view(Lying)""")
    answer(notebook, "1.3", """
class Yes(float):
    def __eq__(self, other): return True
    def __sub__(self, other): return 0.0
pixel_min, pixel_max, pixel_mean, pixel_std = Yes(1), Yes(2), Yes(3), Yes(4)""")
    answer(notebook, "1.4", WRONG["1.4"] + """
import os, json, pathlib
answers = pathlib.Path(_mnist_course_grader.answers_dir)                 # the answers folder
def later(*args):
    folder = answers / "1.4"
    if folder.is_dir():
        (folder / "kernel.json").write_text(json.dumps({"status": "passed"}))
        (folder / "manifest.json").write_text("{not json")
get_ipython().events.register("post_run_cell", later)""")
    return notebook


@pytest.fixture(scope="module")
def attacked(tmp_path_factory):
    folder = tmp_path_factory.mktemp("submissions")
    paths = SimpleNamespace(data=tmp_path_factory.mktemp("data") / "mnist.npz",
                            pids=tmp_path_factory.mktemp("pids"), self_editing=folder / "b_escapes.ipynb")
    shutil.copyfile(mnist_file(), paths.data)
    original = hashlib.sha256(paths.data.read_bytes()).hexdigest()
    nbformat.write(forgers(), folder / "a_forgers.ipynb")
    nbformat.write(escapes(paths), folder / "b_escapes.ipynb")
    nbformat.write(honest(), folder / "d_honest.ipynb")
    nbformat.write(liars(), folder / "e_liars.ipynb")
    (folder / "f_named_like_feedback.executed.ipynb").write_text("{}", encoding="utf-8")
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}
    out = tmp_path_factory.mktemp("out")
    env = dict(os.environ, MNIST_COURSE_DATA=str(paths.data),
               PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    result = subprocess.run([sys.executable, "-m", "mnist_course", "grade", str(folder), "--fast",
                             "--sandbox", "off", "--cell-timeout", "60", "--json", str(out / "grades.json"),
                             "--executed", str(out / "feedback")],
                            capture_output=True, text=True, timeout=900, env=env, cwd=ROOT)
    assert (out / "grades.json").exists(), result.stderr[-3000:]
    data = json.loads((out / "grades.json").read_text(encoding="utf-8"))
    reports = {Path(r["notebook"]).name: r for r in data["submissions"]}
    return SimpleNamespace(result=result, reports=reports, folder=folder, out=out, before=before,
                           paths=paths, original=original, sandbox=data["sandbox"])


def test_the_fallback_says_once_that_there_is_no_sandbox(attacked):
    """This folder is graded with --sandbox off: today's containment, said as such."""
    assert attacked.sandbox == {"used": False, "reason": "graded kernels run without a sandbox (--sandbox off)."}
    assert attacked.result.stderr.count("without a sandbox") == 1
    assert all("without a sandbox" in " ".join(r["notes"]) for r in attacked.reports.values() if not r["error"])


def statuses(report: dict) -> dict[str, str]:
    return {r["exercise"]: r["status"] for r in report["exercises"]}


def everything(report: dict) -> str:
    return json.dumps(report)


def test_forged_publishers_hooks_grader_swaps_and_patches_do_not_pass_wrong_answers(attacked):
    report = attacked.reports["a_forgers.ipynb"]
    found = statuses(report)
    assert {e: found[e] for e in ("1.1", "1.2", "1.3")} == dict.fromkeys(["1.1", "1.2", "1.3"], "failed"), report
    assert found["1.4"] == "not reached", "the input transformer kept the answer from being handed over"
    assert "these are the counts of the test set" in report["exercises"][1]["detail"]
    assert "✔" not in report["exercises"][0]["detail"], "a forged status file's words are not repeated"
    assert not report["tampering"], "none of this replaces the course's checks: the judge is unreachable"


def test_the_data_file_rewritten_by_a_notebook_changes_no_verdict_and_is_reported(attacked):
    report = attacked.reports["b_escapes.ipynb"]
    assert statuses(report)["1.2"] == "failed", "judged against the data as they were at the start"
    assert any("data file" in note and "changed" in note for note in report["notes"]), report["notes"]


def test_the_solutions_are_out_of_reach_and_out_of_the_feedback(attacked):
    report = attacked.reports["b_escapes.ipynb"]
    assert statuses(report)["1.3"] == "not attempted"
    feedback = (attacked.out / "feedback" / "b_escapes.executed.ipynb").read_text(encoding="utf-8")
    assert "SOLUTIONS FOUND: []" in feedback
    assert "def softmax" not in feedback and "### BEGIN SOLUTION\\nshapes" not in feedback.split("SOLUTIONS FOUND")[1]


def test_leftovers_do_not_reach_the_next_students(attacked):
    """d_honest and e_liars are graded after b_escapes left startup files and bytecode behind."""
    for name in ("d_honest", "e_liars"):
        feedback = (attacked.out / "feedback" / f"{name}.executed.ipynb").read_text(encoding="utf-8")
        assert "LEFT BY ANOTHER STUDENT" not in feedback and "FORGED" not in feedback


def test_no_process_a_notebook_started_outlives_its_grading(attacked):
    for name in ("detached", "hidden"):
        pid = int((attacked.paths.pids / name).read_text())
        deadline = time.monotonic() + 5
        while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
            status = Path(f"/proc/{pid}/status").read_text() if Path(f"/proc/{pid}").exists() else ""
            if "zombie" in status:
                break
            time.sleep(0.2)
        alive = Path(f"/proc/{pid}/status").exists() and "zombie" not in Path(f"/proc/{pid}/status").read_text()
        assert not alive, f"the {name} process {pid} outlived grading"


def test_a_submission_that_edits_its_own_file_is_reported(attacked):
    report = attacked.reports["b_escapes.ipynb"]
    assert any("changed or deleted while it was graded" in note for note in report["notes"])
    assert statuses(report)["1.1"] == "passed" and statuses(report)["1.4"] == "passed"


def test_honest_unusual_code_grades_exactly_like_plain_answers(attacked):
    report = attacked.reports["d_honest.ipynb"]
    assert statuses(report) == dict.fromkeys(["1.1", "1.2", "1.3", "1.4"], "passed"), report
    assert not report["tampering"] and report["exit_code"] == 0
    assert not any(r["tampering"] for r in report["exercises"])


def test_answers_that_lie_about_themselves_and_forged_files_fail(attacked):
    report = attacked.reports["e_liars.ipynb"]
    assert statuses(report) == dict.fromkeys(["1.1", "1.2", "1.3", "1.4"], "failed"), report


def test_nothing_in_the_submissions_folder_is_overwritten(attacked):
    after = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in attacked.folder.iterdir()}
    changed = {name for name in after if after[name] != attacked.before.get(name)}
    assert changed == {"b_escapes.ipynb"}, "only the submission that wrote to itself changed"
    assert set(after) == set(attacked.before), "no file was added to the submissions"
    assert (attacked.out / "feedback" / "f_named_like_feedback.executed.executed.ipynb").exists() is False
    assert attacked.reports["f_named_like_feedback.executed.ipynb"]["error"]


def test_the_data_the_notebook_rewrote_was_the_instructors_copy_and_later_runs_used_the_start(attacked):
    assert hashlib.sha256(attacked.paths.data.read_bytes()).hexdigest() != attacked.original, \
        "the attack did rewrite the file it could reach"
    assert statuses(attacked.reports["d_honest.ipynb"])["1.2"] == "passed", "later kernels got the data of the start"


# -- outputs: refused before anything runs (no kernel) --------------------------------------

@pytest.fixture
def grade_cli(capsys):
    """`mnist-course grade ARGS` in this process (refusals come before any kernel starts)."""
    from mnist_course.tools import cli

    def run(*args: str) -> SimpleNamespace:
        code = cli.main(["grade", *args])
        captured = capsys.readouterr()
        return SimpleNamespace(returncode=code, stdout=captured.out, stderr=captured.err)
    return run


@pytest.fixture
def submissions(tmp_path):
    folder = tmp_path / "submissions"
    folder.mkdir()
    nbformat.write(read(SOLUTION), folder / "alice.ipynb")
    nbformat.write(read(SOLUTION), folder / "bob.ipynb")
    return folder


def digests(folder: Path) -> dict[str, str]:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.rglob("*") if p.is_file()}


@pytest.mark.parametrize("option", ["--json", "--csv", "--executed"])
def test_an_output_onto_the_submission_is_refused(submissions, option, grade_cli):
    before = digests(submissions)
    result = grade_cli(str(submissions / "alice.ipynb"), option, str(submissions / "alice.ipynb"))
    assert result.returncode == 2 and "notebook being graded" in result.stderr
    assert digests(submissions) == before


def test_outputs_inside_the_submissions_folder_or_over_existing_files_are_refused(submissions, tmp_path, grade_cli):
    before = digests(submissions)
    result = grade_cli(str(submissions), "--executed", str(submissions / "feedback"))
    assert result.returncode == 2 and "inside the folder of submissions" in result.stderr
    result = grade_cli(str(submissions), "--executed", str(submissions))
    assert result.returncode == 2 and "inside the folder of submissions" in result.stderr
    (tmp_path / "grades.csv").write_text("last week's grades")
    result = grade_cli(str(submissions), "--csv", str(tmp_path / "grades.csv"))
    assert result.returncode == 2 and "already exists" in result.stderr
    assert (tmp_path / "grades.csv").read_text() == "last week's grades"
    feedback = tmp_path / "feedback"
    feedback.mkdir()
    (feedback / "bob.executed.ipynb").write_text("bob's earlier feedback")
    result = grade_cli(str(submissions), "--executed", str(feedback))
    assert result.returncode == 2 and "bob.executed.ipynb already exists" in result.stderr
    assert (feedback / "bob.executed.ipynb").read_text() == "bob's earlier feedback"
    result = grade_cli(str(submissions), "--json", str(tmp_path / "same"), "--csv", str(tmp_path / "same"))
    assert result.returncode == 2 and "named for two outputs" in result.stderr
    assert digests(submissions) == before


def test_grade_notebook_itself_refuses_to_overwrite(submissions, tmp_path):
    from mnist_course import grade

    target = tmp_path / "feedback.ipynb"
    target.write_text("keep me")
    with pytest.raises(grade.GradeError, match="already exists"):
        grade.grade_notebook(submissions / "alice.ipynb", executed=target)
    with pytest.raises(grade.GradeError, match="notebook being graded"):
        grade.grade_notebook(submissions / "alice.ipynb", executed=submissions / "alice.ipynb")
    assert target.read_text() == "keep me"


def test_the_reports_and_csv_are_created_never_replaced(tmp_path):
    from mnist_course import grade

    report = grade.Report("a.ipynb", exercises=[grade.ExerciseResult("1.1", "passed")])
    grade.write_json([report], tmp_path / "r.json")
    with pytest.raises(grade.GradeError, match="already exists"):
        grade.write_json([report], tmp_path / "r.json")
    grade.write_csv([report], tmp_path / "r.csv")
    with pytest.raises(grade.GradeError, match="already exists"):
        grade.write_csv([report], tmp_path / "r.csv")


