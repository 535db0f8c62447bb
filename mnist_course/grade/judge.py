"""The judge: a clean process that decides every verdict from the answers handed over.

The grader starts it (:func:`start`) as ``python -I -B`` (no ``PYTHONPATH``, no user site, no
bytecode written) in a private home; it makes itself undebuggable by the user's other processes
and imports Keras while the notebook runs. Only after the student's kernel and everything it
started have ended does it get its job (:func:`finish`) and import the course's checks, from a
read-only copy of the package written then from the files as they were when grading began. The data the
checks compare against are written there too from the bytes read when grading began, and
their SHA-256 is verified before each judgement. The judge never runs a line of the
submission: it reads the answers with :func:`mnist_course.grade.capture.load` (JSON, ``.npy``
without pickles, ``.keras`` in safe mode) and calls the course's own check on them, the very
function a student's notebook calls. Models are judged by evaluating them here.

What it prints on its standard output is one JSON object, ``{exercise: {"status",
"message", "output"}}``; everything else it or the checks print goes to standard error.

Example (what the grader does; shown for reading only):
    >>> judge_process = start(python=sys.executable, env=env, cwd=home, preload=True)  # doctest: +SKIP
    >>> verdicts = finish(judge_process, job, timeout=600)                  # doctest: +SKIP
    >>> verdicts["1.2"]["status"]                                               # doctest: +SKIP
    'failed'
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import subprocess
import sys
import traceback

#: The judge's own statuses; "error" means the grader itself could not judge.
PASSED, FAILED, NOT_ATTEMPTED, NOT_REACHED, ERROR = "passed", "failed", "not attempted", "not reached", "error"
#: What the judge process runs: it makes itself undebuggable by other processes of the user
#: (no ptrace, no /proc/PID/mem), imports Keras while the notebook runs if asked, then waits for
#: its job, which names the course's copy (written only after the kernel has ended).
_BOOT = """
import ctypes, json, os, sys
try:
    ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE 0
except Exception:
    pass
verdicts = os.fdopen(os.dup(1), "w", encoding="utf-8")
os.dup2(2, 1)
sys.stdout = sys.stderr
if sys.argv[1] == "keras":
    import keras
job = json.loads(sys.stdin.readline() or "null")
if job is None:
    sys.exit(0)
sys.path.insert(0, job["course_root"])
from mnist_course.grade.judge import main
sys.exit(main(job, verdicts))
"""


def sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def start(*, python: str, env: dict, cwd: str, preload: bool, own_children: set[int] | None = None,
          wrap=None):
    """Start the judge: it waits for its job (see :func:`finish`); with ``preload`` it imports
    Keras meanwhile. Its pid is kept in ``own_children`` until it ends. ``wrap`` turns its
    command into the command that runs it (in a sandbox, :func:`mnist_course.grade.sandbox.command`)."""
    argv = [python, "-I", "-B", "-c", _BOOT, "keras" if preload else "-"]
    process = subprocess.Popen(wrap(argv) if wrap else argv,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, env=env, cwd=cwd)
    process.own_children = own_children if own_children is not None else set()
    process.own_children.add(process.pid)
    return process


def finish(process, job: dict | None, timeout: float) -> dict:
    """Give the started judge its ``job`` and return its verdicts by exercise (``None``: stop it).

    ``job``: ``course_root`` (the folder holding the course's copy), ``environment`` (the
    course's variables: mode and data, set before the course is imported), ``module``
    (``mnist_course.checks.nbNN``), ``answers`` (one sub-folder per exercise), ``exercises``
    (in order) and ``data`` (path -> SHA-256). Raises ``RuntimeError`` with the judge's last
    words when it does not answer.
    """
    try:
        stdout, stderr = process.communicate(json.dumps(job) + "\n", timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise RuntimeError(f"the judge took longer than {timeout:.0f} s") from None
    finally:
        process.own_children.discard(process.pid)
    if job is None:
        return {}
    try:
        return json.loads(stdout)
    except ValueError:
        tail = " ".join(stderr.strip().splitlines()[-3:])[-600:]
        raise RuntimeError(f"the judge stopped (exit code {process.returncode}): {tail}") from None


def judge(job: dict, *, python: str, env: dict, cwd: str, timeout: float) -> dict:
    """Start the judge and give it ``job`` at once (see :func:`finish`)."""
    return finish(start(python=python, env=env, cwd=cwd, preload=False), job, timeout)


def main(job: dict, verdicts_out) -> int:
    """Judge each exercise of ``job`` (see :func:`finish`); write the verdicts as JSON to
    ``verdicts_out`` (standard output; everything else goes to standard error)."""
    import importlib

    os.environ.update(job.get("environment", {}))

    from mnist_course.checks import _core
    from mnist_course.grade import capture

    checks = importlib.import_module(job["module"])
    verdicts = {}
    for exercise in job["exercises"]:
        try:
            verdicts[exercise] = _judge_one(exercise, job, checks, capture, _core)
        except Exception as error:  # the grader's own failure: said as such, never a pass
            verdicts[exercise] = {"status": ERROR, "message": _describe(error, "the judge failed")}
        finally:
            _close_figures()
    json.dump(verdicts, verdicts_out)
    verdicts_out.close()
    return 0


def _judge_one(exercise: str, job: dict, checks, capture, core) -> dict:
    for path, digest in job["data"].items():
        if sha256(path) != digest:
            return {"status": ERROR, "message": f"the course's data {os.path.basename(path)} does not "
                                                f"match its digest, so nothing was judged"}
    if exercise in job.get("too_large", {}):
        return {"status": FAILED, "message": f"Exercise {exercise}: {job['too_large'][exercise]}"}
    folder = os.path.join(job["answers"], exercise)
    try:
        handed = json.loads(capture.read_small(os.path.join(folder, "kernel.json")))
        if not isinstance(handed, dict):
            raise ValueError("not an object")
    except (OSError, ValueError, capture.CaptureError):
        return {"status": NOT_REACHED, "message": "no answer was handed over at the check position"}
    kind, message = handed.get("status"), str(handed.get("message", ""))
    if kind == "name error":
        return {"status": NOT_REACHED, "message": message}
    if kind == "error":  # the kernel's helper could not take the answer; its words, as a failure
        return {"status": FAILED, "message": message or "the answer could not be handed over"}
    if kind != "handed over":
        return {"status": FAILED, "message": "the answer was not handed over: the grader's status file "
                                             "at this check position was not the grader's own"}
    try:
        loaded = capture.load(folder)
    except capture.CaptureError as error:
        return {"status": FAILED, "message": f"Exercise {exercise}: {error}"}
    if loaded.problems:
        return {"status": FAILED, "message": f"Exercise {exercise}: " + "; ".join(loaded.problems) + "."}
    function = getattr(checks, "exercise_" + exercise.replace(".", "_"))
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed):
            function(*loaded.args, **loaded.kwargs)
    except core.NotAttempted as error:
        return {"status": NOT_ATTEMPTED, "message": str(error), "output": printed.getvalue()}
    except core.CheckFailed as error:
        return {"status": FAILED, "message": str(error), "output": printed.getvalue()}
    except Exception as error:
        return {"status": FAILED, "message": _describe(error, "the check could not use the answer"),
                "output": printed.getvalue()}
    return {"status": PASSED, "message": "", "output": printed.getvalue()}


def _close_figures() -> None:
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        pyplot.close("all")


def _describe(error: BaseException, context: str) -> str:
    lines = traceback.format_exception_only(type(error), error)
    return f"{context}: {''.join(lines).strip()}"
