"""The graded kernel in a bubblewrap sandbox, attacked as a hostile student would (issue 19).

One class folder, made from notebook 01 (no training: each submission costs one short kernel),
is graded once with `--sandbox required`:

* ``a_attacks.ipynb``: a wrong answer per exercise, each with an attack of one kind: code written
  into the Python environment (NumPy's ``__init__.py``, a ``.pth``, a module a model could name),
  the grader's own files (its bytecode, its data, the course checkout, found through ``/proc``
  and the editable install), the debugger (``ptrace`` on the grader), survivors (a process that
  re-forks every few milliseconds), and the sandbox itself (network, mounts, killing its init,
  secrets in ``/etc``). Every attack records what it achieved in the cell's output.
* ``c_fifo.ipynb``: right answers, and a hook that turns its status files into FIFOs.
* ``e_caf\\xe9.ipynb`` (a name that is not UTF-8): right answers, graded after the FIFO.
* ``f_link.ipynb``: a link to a private file outside the folder; ``g_s7_script.py``: a stray script.

The attacks that would damage this machine if they worked (writing into the environment,
ptrace, killing the parent) run only here, where the grader refuses to run without a sandbox;
whatever they managed is undone afterwards and fails the test. The fallback (``--sandbox off``)
is attacked by ``tests/test_grade_attacks.py``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import time
from pathlib import Path
from types import SimpleNamespace

import nbformat
import numpy
import pytest

from conftest import ROOT, SOLUTIONS
from mnist_course.grade import sandbox
from mnist_course.grade.reference import PACKAGE_DIR

SOLUTION = SOLUTIONS / "01_meet_the_data.ipynb"
MARK = f"mnist-course-survivor-{os.getpid()}"
PURELIB = Path(sysconfig.get_paths()["purelib"])
PLANTED = [PURELIB / "zz_mnist_course_attack.pth", PURELIB / "keras_hub_mnist_course_attack.py",
           PACKAGE_DIR / "grade" / "__pycache__" / f"judge.{sys.implementation.cache_tag}.pyc.attack"]
WATCHED = [Path(numpy.__file__), PACKAGE_DIR / "grade" / "judge.py", PACKAGE_DIR / "checks" / "nb01.py"]
WRONG = {
    "1.1": "shapes = (x_test.shape, y_test.shape, x_train.shape, y_train.shape)",
    "1.2": "class_counts = np.bincount(y_test, minlength=10)",
    "1.3": "pixel_min, pixel_max, pixel_mean, pixel_std = 0.0, 1.0, x_train.mean() / 255, x_train.std() / 255",
    "1.4": "mean_images = np.array([x_test[y_test == d].mean(axis=0) for d in range(10)])",
}

#: Shared by the attacks: try something, record what happened (printed as one JSON line).
PRELUDE = """
import ctypes, json, os, signal, socket, subprocess, sys, time
def attempt(results, name, action):
    try:
        outcome = action()
        results[name] = "done" if outcome is None else outcome
    except BaseException as error:
        results[name] = f"refused: {type(error).__name__}: {error}"
def report(results):
    print("ATTACK " + json.dumps(results))
def append_nothing(path):      # proves the file is writable without changing it
    with open(path, "a"):
        pass
def plant(path, text):
    with open(path, "x") as handle:
        handle.write(text)
"""


def sandbox_or_skip() -> None:
    state = sandbox.probe()
    if not state.available:
        if os.environ.get("MNIST_COURSE_NO_SANDBOX") == "1":
            pytest.skip(f"MNIST_COURSE_NO_SANDBOX=1: {state.reason}")
        pytest.fail(f"{state.reason} (.ci/run and make setup install it; MNIST_COURSE_NO_SANDBOX=1 skips "
                    f"these tests on purpose)")


def read(path: Path):
    return nbformat.read(path, as_version=4)


def answer(notebook, exercise: str, source: str) -> None:
    cell = next(c for c in notebook.cells if c.cell_type == "code" and f"exercise:{exercise}" in c.metadata.get("tags", []))
    cell.source = source


def attacks(instructor_data: Path, secret: Path):
    notebook = read(SOLUTION)
    answer(notebook, "1.1", WRONG["1.1"] + PRELUDE + f"""
found = {{}}
attempt(found, "numpy", lambda: append_nothing(np.__file__))
attempt(found, "pth", lambda: plant({str(PLANTED[0])!r}, "# a .pth the judge would run\\n"))
attempt(found, "model module", lambda: plant({str(PLANTED[1])!r}, "PLANTED = True\\n"))
attempt(found, "course copy", lambda: append_nothing(__import__("mnist_course").__file__))
report(found)""")
    answer(notebook, "1.2", WRONG["1.2"] + PRELUDE + f"""
found = {{}}
graders = []
for entry in os.listdir("/proc"):
    try:
        command = open(f"/proc/{{entry}}/cmdline", "rb").read()
    except OSError:
        continue
    if b"mnist_course" in command and b"grade" in command and b"ipykernel" not in command:
        graders.append(int(entry))
found["grader processes seen"] = graders
for pid in graders:
    attempt(found, f"grader {{pid}} environ", lambda: open(f"/proc/{{pid}}/environ", "rb").read()[:0].decode() or "read")
editable = [line for path in sys.path if os.path.isdir(path) for name in os.listdir(path)
            if name.startswith("__editable__") and name.endswith("finder.py")
            for line in open(os.path.join(path, name)) if line.startswith("MAPPING")]
found["editable install seen"] = bool(editable)
attempt(found, "bytecode", lambda: plant({str(PLANTED[2])!r}, "forged"))
attempt(found, "judge source", lambda: append_nothing({str(PACKAGE_DIR / "grade" / "judge.py")!r}))
attempt(found, "instructor data", lambda: append_nothing({str(instructor_data)!r}))
attempt(found, "solutions", lambda: os.listdir({str(SOLUTIONS)!r}))
attempt(found, "secret", lambda: open({str(secret)!r}).read())
attempt(found, "home", lambda: os.listdir(os.path.expanduser("~root")))
attempt(found, "shadow", lambda: open("/etc/shadow").read()[:0] or "read")
report(found)""")
    answer(notebook, "1.3", WRONG["1.3"] + PRELUDE + """
found = {}
libc = ctypes.CDLL(None, use_errno=True)
libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
for pid in {os.getppid(), 1}:
    if libc.ptrace(16, pid, None, None) == 0:      # PTRACE_ATTACH
        found[f"ptrace {pid}"] = "attached"
        os.waitpid(pid, 0) if False else time.sleep(0.2)
        libc.ptrace(17, pid, None, None)            # PTRACE_DETACH at once
    else:
        found[f"ptrace {pid}"] = f"refused: errno {ctypes.get_errno()}"
attempt(found, "kill parent", lambda: os.kill(os.getppid(), signal.SIGKILL))
attempt(found, "network", lambda: socket.create_connection(("127.0.0.1", 22), timeout=2) and "connected")
attempt(found, "dns", lambda: socket.getaddrinfo("pypi.org", 443) and "resolved")
attempt(found, "mount", lambda: subprocess.run(["mount", "-t", "tmpfs", "none", "/usr"],
                                               capture_output=True).returncode or "mounted")
attempt(found, "write /usr", lambda: plant("/usr/zz_mnist_course_attack", "x"))
report(found)""")
    answer(notebook, "1.4", WRONG["1.4"] + PRELUDE + f"""
found = {{}}
survivor = "import os, time\\nwhile True:\\n    if os.fork():\\n        os._exit(0)\\n    time.sleep(0.005)"
subprocess.Popen([sys.executable, "-c", survivor, {MARK!r}], start_new_session=True,
                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
time.sleep(0.2)
found["judge folders seen"] = [name for name in os.listdir("/tmp") if "judge" in name]
report(found)""")
    return notebook


def fifo_maker():
    notebook = read(SOLUTION)
    cell = next(c for c in notebook.cells if c.cell_type == "code" and "exercise:1.1" in c.metadata.get("tags", []))
    cell.source += """
import os
def turn_status_files_into_fifos(*args):
    root = _mnist_course_grader.answers_dir
    for name in os.listdir(root):
        path = os.path.join(root, name, "kernel.json")
        if os.path.isfile(path):
            os.remove(path)
            os.mkfifo(path)
get_ipython().events.register("post_run_cell", turn_status_files_into_fifos)"""
    return notebook


def survivors() -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and MARK.encode() in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


@pytest.fixture(scope="module")
def attacked(tmp_path_factory):
    sandbox_or_skip()
    from mnist_course.data import find_mnist

    private = tmp_path_factory.mktemp("private")
    secret = private / "secret.txt"
    secret.write_text("SECRET-TEXT of the instructor", encoding="utf-8")
    data = private / "mnist.npz"
    shutil.copyfile(find_mnist()[0], data)
    folder = tmp_path_factory.mktemp("class")
    nbformat.write(attacks(data, secret), folder / "a_attacks.ipynb")
    nbformat.write(fifo_maker(), folder / "c_fifo.ipynb")
    with open(os.path.join(os.fsencode(folder), b"e_caf\xe9.ipynb"), "w", encoding="utf-8") as handle:
        nbformat.write(read(SOLUTION), handle)
    (folder / "f_link.ipynb").symlink_to(secret)
    (folder / "g_s7_script.py").write_text("shapes = None\n", encoding="utf-8")
    watched = {path: path.read_bytes() for path in WATCHED}
    out = tmp_path_factory.mktemp("out")
    env = dict(os.environ, MNIST_COURSE_DATA=str(data))
    try:
        result = subprocess.run([sys.executable, "-m", "mnist_course", "grade", str(folder), "--fast",
                                 "--sandbox", "required", "--cell-timeout", "60", "--json", str(out / "grades.json"),
                                 "--csv", str(out / "grades.csv"), "--executed", str(out / "feedback")],
                                capture_output=True, timeout=900, env=env, cwd=ROOT)
    finally:  # undo whatever an attack managed, so that a failure here damages nothing else
        changed = [str(path) for path, before in watched.items() if path.read_bytes() != before]
        for path, before in watched.items():
            if path.read_bytes() != before:
                path.write_bytes(before)
        planted = [str(path) for path in PLANTED if path.exists()]
        for path in PLANTED:
            path.unlink(missing_ok=True)
    assert (out / "grades.json").exists(), result.stderr.decode(errors="replace")[-3000:]
    reports = {Path(r["notebook"]).name: r for r in json.loads((out / "grades.json").read_text("utf-8"))["submissions"]}
    found = {}
    for cell in read(out / "feedback" / "a_attacks.executed.ipynb").cells:
        for output in cell.get("outputs", []):
            for line in output.get("text", "").splitlines():
                if line.startswith("ATTACK {"):
                    found.update(json.loads(line[len("ATTACK "):]))
    return SimpleNamespace(result=result, reports=reports, out=out, changed=changed, planted=planted,
                           found=found, survivors=survivors(), data=data, folder=folder,
                           stdout=result.stdout.decode("utf-8", errors="replace"))


def statuses(report: dict) -> dict[str, str]:
    return {r["exercise"]: r["status"] for r in report["exercises"]}


def test_every_attack_leaves_wrong_answers_failed(attacked):
    print(json.dumps(attacked.found, indent=1))  # the attacks' own account, for the record
    assert statuses(attacked.reports["a_attacks.ipynb"]) == dict.fromkeys(WRONG, "failed"), attacked.reports
    assert len(attacked.found) >= 20, attacked.found


def test_nothing_is_written_into_the_python_environment_or_the_grader(attacked):
    assert not attacked.changed and not attacked.planted, (attacked.changed, attacked.planted)
    for name in ("numpy", "pth", "model module", "course copy", "bytecode", "judge source",
                 "instructor data", "write /usr"):
        assert attacked.found[name].startswith("refused"), (name, attacked.found[name])
    assert "Read-only file system" in attacked.found["numpy"] or "Errno 30" in attacked.found["numpy"]


def test_the_grader_its_files_home_solutions_and_secrets_are_out_of_sight(attacked):
    assert attacked.found["grader processes seen"] == []
    for name in ("solutions", "secret", "shadow"):
        assert str(attacked.found[name]).startswith("refused"), (name, attacked.found[name])
    home = os.path.expanduser("~root")
    shown = [str(folder) for folder in sandbox.python_folders()]
    listing = attacked.found["home"] if isinstance(attacked.found["home"], list) else []
    assert all(any(f.startswith(os.path.join(home, name) + os.sep) for f in shown) for name in listing), \
        f"home shows only the folders that lead to the Python environment, not {listing}"
    assert "SECRET-TEXT" not in json.dumps(attacked.reports) + attacked.stdout
    assert attacked.found["judge folders seen"] == []


def test_no_debugger_no_network_no_mount_and_the_sandbox_init_survives_a_kill(attacked):
    # The kernel's parent is the sandbox's own init (pid 1 of its namespace): the only process
    # it could trace is that one; the grader is in no namespace it can see.
    assert [key for key in attacked.found if key.startswith("ptrace")] == ["ptrace 1"]
    assert attacked.found["grader processes seen"] == []
    for name in ("network", "dns", "mount"):
        assert attacked.found[name] not in ("connected", "resolved", "mounted"), (name, attacked.found[name])
    assert attacked.reports["a_attacks.ipynb"]["exercises"][3]["status"] == "failed", "the kernel lived on"


def test_a_process_that_refork_does_not_outlive_the_sandbox(attacked):
    deadline = time.monotonic() + 5
    while survivors() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not survivors(), "a re-forking process outlived its grading"


def test_a_fifo_status_file_does_not_hang_the_grader_and_the_next_student_is_graded(attacked):
    # Its hook turned each status file into a FIFO right after the check position wrote it:
    # the judge does not wait on one, and says that no answer was handed over.
    fifo = attacked.reports["c_fifo.ipynb"]
    assert statuses(fifo) == dict.fromkeys(WRONG, "not reached"), fifo
    assert all("no answer was handed over" in r["detail"] for r in fifo["exercises"])
    honest = next(r for name, r in attacked.reports.items() if name.startswith("e_caf"))
    assert statuses(honest) == dict.fromkeys(WRONG, "passed")


def test_every_file_gets_a_row_and_names_that_are_not_utf8_are_written(attacked):
    names = sorted(attacked.reports)
    assert names == ["a_attacks.ipynb", "c_fifo.ipynb", "e_caf\\xe9.ipynb", "f_link.ipynb", "g_s7_script.py"]
    assert "link to a file outside the class folder" in attacked.reports["f_link.ipynb"]["error"]
    assert "not a notebook (.ipynb)" in attacked.reports["g_s7_script.py"]["error"]
    csv_text = (attacked.out / "grades.csv").read_text(encoding="utf-8")
    assert csv_text.count("\n") == 6 and "e_caf\\xe9.ipynb" in csv_text
    data = json.loads((attacked.out / "grades.json").read_text(encoding="utf-8"))
    assert data["sandbox"]["used"] is True


# -- without a kernel ------------------------------------------------------------------------

def test_the_sandbox_command_shows_only_what_is_needed(tmp_path):
    command = sandbox.command(["true"], writable=[tmp_path / "run"], readable=[tmp_path / "run" / "course"],
                              hidden=[SOLUTIONS])
    text = " ".join(command)
    for option in ("--unshare-pid", "--unshare-net", "--die-with-parent", "--tmpfs /tmp"):
        assert option in text
    bound = {command[i + 1] for i, arg in enumerate(command) if arg in ("--bind", "--ro-bind")}
    assert str(ROOT) not in bound and "/" not in bound and str(Path.home()) not in bound
    assert command[command.index(str(tmp_path / "run")) - 1] == "--bind"
    assert command[command.index(str(tmp_path / "run" / "course")) - 1] == "--ro-bind"


def test_without_bubblewrap_auto_falls_back_and_required_refuses(monkeypatch, capsys, tmp_path):
    from mnist_course.tools import cli

    monkeypatch.setattr(sandbox, "_bwrap", lambda: None)
    sandbox.probe.cache_clear()
    try:
        state = sandbox.resolve("auto")
        assert not state.available and "bubblewrap (bwrap) is not installed" in state.reason
        assert sandbox.main([]) == 1 and capsys.readouterr().out.startswith("no: ")
        code = cli.main(["grade", str(SOLUTION), "--sandbox", "required"])
        assert code == 2 and "apt-get install bubblewrap" in capsys.readouterr().err
    finally:
        sandbox.probe.cache_clear()


def test_python_m_sandbox_says_whether_a_sandbox_can_be_made():
    finished = subprocess.run([sys.executable, "-m", "mnist_course", "sandbox"], capture_output=True,
                              text=True, timeout=60)
    assert finished.stdout.count("\n") == 1 and finished.stderr == ""
    assert finished.returncode == (0 if sandbox.probe().available else 1)
    assert finished.stdout.startswith("yes: " if finished.returncode == 0 else "no: ")


def test_status_files_are_read_only_as_small_regular_files(tmp_path):
    from mnist_course.grade import capture

    os.mkfifo(tmp_path / "fifo")
    with pytest.raises(capture.CaptureError, match="not a regular file"):
        capture.read_small(tmp_path / "fifo")
    (tmp_path / "big").write_bytes(b"x" * 100)
    with pytest.raises(capture.CaptureError, match="larger than"):
        capture.read_small(tmp_path / "big", limit=10)
    (tmp_path / "link").symlink_to(tmp_path / "big")
    with pytest.raises(capture.CaptureError):
        capture.read_small(tmp_path / "link")


def test_what_a_kernel_hands_over_has_a_limit_that_is_reported(tmp_path):
    from mnist_course.grade import notebook

    for exercise, size in (("1.1", 10), ("1.2", 10), ("1.3", 10)):
        (tmp_path / exercise).mkdir()
        (tmp_path / exercise / "f1.npy").write_bytes(b"x" * size)
    plan = SimpleNamespace(grader_cells={"1.1": 3, "1.2": 5, "1.3": 7})
    found = notebook._too_large(tmp_path, plan, limit=25)
    assert set(found) == {"1.3"} and "limit" in found["1.3"]


def test_reports_appear_whole_and_never_over_a_file(tmp_path):
    from mnist_course.grade import GradeError
    from mnist_course.grade.outputs import create_text

    create_text(tmp_path / "a.csv", "rows")
    with pytest.raises(GradeError):
        create_text(tmp_path / "a.csv", "other rows")
    assert (tmp_path / "a.csv").read_text() == "rows" and sorted(p.name for p in tmp_path.iterdir()) == ["a.csv"]


# -- live and graded agree (issue 19, item 4): the kernel's hand-over, then the judge's load --

def hand_over_and_load(tmp_path: Path, module: str, exercise: str, args: tuple):
    """What the graded run does with ``args``: hand them over in the kernel, read them back in
    the judge (here in one process, from another working directory)."""
    from mnist_course.grade import capture
    from mnist_course.grade.kernel import Grader

    answers = tmp_path / "answers"
    grader = Grader(str(PACKAGE_DIR), module, str(answers), {})
    grader.hand_over(exercise, lambda: (args, {}), {})
    status = json.loads((answers / exercise / "kernel.json").read_text(encoding="utf-8"))
    assert status["status"] == "handed over", status
    elsewhere = tmp_path / "judge"
    elsewhere.mkdir()
    os.chdir(elsewhere)
    return capture.load(str(answers / exercise)).args


def test_a_plot_whose_x_values_are_strings_passes_live_and_graded(tmp_path, monkeypatch):
    import keras
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from mnist_course.checks import nb03

    monkeypatch.chdir(tmp_path)
    history = keras.callbacks.History()
    history.history = {"loss": [1.0, 0.7, 0.5], "accuracy": [0.5, 0.7, 0.9],
                       "val_loss": [1.0, 0.8, 0.6], "val_accuracy": [0.6, 0.7, 0.8]}
    history.params = {"epochs": 3, "steps": 10, "verbose": 0}

    def plot_accuracy(history, title):
        epochs = [f"epoch {i + 1}" for i in range(len(history.history["accuracy"]))]
        ax = plt.figure().gca()
        ax.plot(epochs, history.history["accuracy"], label="training")
        ax.plot(epochs, history.history["val_accuracy"], label="validation")
        ax.set(title=title, xlabel="epoch", ylabel="accuracy")
        ax.legend()
        return ax

    nb03.exercise_3_4(plot_accuracy, history)  # live
    nb03.exercise_3_4(*hand_over_and_load(tmp_path, "mnist_course.checks.nb03", "3.4", (plot_accuracy, history)))
    plt.close("all")


def test_a_model_path_given_as_a_relative_string_passes_live_and_graded(tmp_path, monkeypatch):
    import keras
    from mnist_course.checks import nb07

    monkeypatch.chdir(tmp_path)
    model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model_path = "fashion_cnn.keras"
    model.save(model_path)
    loaded = keras.models.load_model(model_path)
    nb07.exercise_7_3(model_path, loaded, model)  # live
    args = hand_over_and_load(tmp_path, "mnist_course.checks.nb07", "7.3", (model_path, loaded, model))
    assert isinstance(args[0], str) and args[0].endswith(".keras") and not os.path.exists(model_path)
    nb07.exercise_7_3(*args)


def test_every_file_of_a_class_folder_is_listed_and_links_out_are_not_read(tmp_path):
    from mnist_course.grade.report import find_submissions, not_graded_because

    folder = tmp_path / "class"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.ipynb").write_text("{}")
    (folder / "s7_script.py").write_text("shapes = None")
    (folder / ".DS_Store").write_text("")
    (folder / "linked_folder").symlink_to(tmp_path)
    (folder / "sub" / "private.ipynb").symlink_to(tmp_path / "private.ipynb")
    (tmp_path / "private.ipynb").write_text("{}")
    (folder / "same.ipynb").symlink_to(folder / "a.ipynb")
    os.mkfifo(folder / "pipe.ipynb")
    reasons = {str(p.relative_to(folder)): not_graded_because(p, folder) for p in find_submissions(folder)}
    assert sorted(reasons) == ["a.ipynb", "linked_folder", "pipe.ipynb", "s7_script.py", "same.ipynb",
                               "sub/private.ipynb"]
    assert reasons["a.ipynb"] is None and reasons["same.ipynb"] is None
    assert "outside the class folder" in reasons["sub/private.ipynb"] and "outside" in reasons["linked_folder"]
    assert "not a regular file" in reasons["pipe.ipynb"] and "not a notebook" in reasons["s7_script.py"]
