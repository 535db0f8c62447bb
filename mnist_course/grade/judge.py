"""The judge: a clean process that decides every verdict from the answers handed over.

The grader starts it (:func:`judge`) only after the student's kernel and everything it
started have ended, as ``python -I -B`` (no ``PYTHONPATH``, no user site, no bytecode
written), in a private home, importing the course's checks from a read-only copy of the
package written for this run from the files as they were when grading began. The data the
checks compare against are written there too from the bytes read when grading began, and
their SHA-256 is verified before each judgement. The judge never runs a line of the
submission: it reads the answers with :func:`mnist_course.grade.capture.load` (JSON, ``.npy``
without pickles, ``.keras`` in safe mode) and calls the course's own check on them, the very
function a student's notebook calls. Models are judged by evaluating them here.

What it prints on its standard output is one JSON object, ``{exercise: {"status",
"message", "output"}}``; everything else it or the checks print goes to standard error.

Example (what the grader does; shown for reading only):
    >>> verdicts = judge(job, python=sys.executable, env=env, timeout=600)   # doctest: +SKIP
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
_BOOT = ("import sys; sys.path.insert(0, sys.argv[1]); "
         "from mnist_course.grade.judge import main; sys.exit(main())")


def sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def judge(job: dict, *, python: str, course_root: str, env: dict, timeout: float, cwd: str,
          own_children: set[int] | None = None) -> dict:
    """Run the judge on ``job`` (see :func:`main`) and return its verdicts by exercise.

    The judge's pid is kept in ``own_children`` while it runs (see
    :func:`mnist_course.grade.run.end_processes`). Raises ``RuntimeError`` with the judge's
    last words when it does not answer.
    """
    process = subprocess.Popen([python, "-I", "-B", "-c", _BOOT, course_root], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=cwd)
    children = own_children if own_children is not None else set()
    children.add(process.pid)
    try:
        stdout, stderr = process.communicate(json.dumps(job), timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise RuntimeError(f"the judge took longer than {timeout:.0f} s") from None
    finally:
        children.discard(process.pid)
    try:
        return json.loads(stdout)
    except ValueError:
        tail = " ".join(stderr.strip().splitlines()[-3:])[-600:]
        raise RuntimeError(f"the judge stopped (exit code {process.returncode}): {tail}") from None


def main() -> int:
    """Read the job (JSON) on standard input, judge each exercise, print the verdicts.

    The job: ``module`` (``mnist_course.checks.nbNN``), ``answers`` (the folder with one
    sub-folder per exercise), ``exercises`` (in order) and ``data`` (path -> SHA-256).
    """
    verdicts_out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # anything printed from here on goes to standard error
    sys.stdout = sys.stderr
    job = json.load(sys.stdin)
    import importlib

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
    folder = os.path.join(job["answers"], exercise)
    try:
        with open(os.path.join(folder, "kernel.json"), encoding="utf-8") as handle:
            handed = json.load(handle)
    except (OSError, ValueError):
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
