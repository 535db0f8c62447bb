"""Grade one notebook from start to end, or many in turn (see the flow in :mod:`mnist_course.grade`).

Example:
    >>> report = grade_notebook("notebooks/01_meet_the_data.ipynb", fast=True)   # doctest: +SKIP
    >>> report.exit_code                                                          # doctest: +SKIP
    1
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import stat
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import nbformat

from mnist_course import mode as course_mode
from mnist_course.grade import judge as judge_module
from mnist_course.grade import run
from mnist_course.grade import sandbox as sandbox_module
from mnist_course.grade.capture import CaptureError, read_small
from mnist_course.grade.interpret import interpret, one_line
from mnist_course.grade.outputs import check_outputs, create_text
from mnist_course.grade.plan import Plan, canonical_source, plan_execution
from mnist_course.grade.reference import CHECKOUT_SOLUTIONS, PACKAGE_DIR, course_number, load_reference
from mnist_course.grade.report import not_graded_because, safe_name, summary_line
from mnist_course.grade.results import GradeError, Report, result_line
from mnist_course.grade.run import (
    Snapshot, Workspace, base_environment, data_variables, digest_files, execute_plan,
    kernel_environment, private_folder, remove_tree, require_kernel, snapshot_course, write_files,
)
from mnist_course.tools.ipynb import NotebookError, read_notebook

#: Default time limits in seconds: (per cell, whole notebook), for full and fast mode.
DEFAULT_TIMEOUTS = {"full": (1800, 7200), "fast": (300, 900)}
#: The environment variables the checks depend on; the kernel and the judge get the grader's.
WATCHED_VARIABLES = ("MNIST_COURSE_FAST", "MNIST_COURSE_DATA", "MNIST_COURSE_FASHION_DATA")


def resolve_mode(fast: bool | None) -> str:
    """"fast" or "full": the ``fast`` argument if given, else ``MNIST_COURSE_FAST``."""
    if fast is None:
        fast = course_mode.is_fast_mode()
    return "fast" if fast else "full"


def _digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def grade_notebook(path: str | Path, *, solutions: str | Path | None = None, fast: bool | None = None,
                   cell_timeout: int | None = None, timeout: int | None = None,
                   kernel_name: str = "python3", executed: str | Path | None = None,
                   threads: int | None = None, snapshot: Snapshot | None = None,
                   sandbox: str | sandbox_module.State = "auto") -> Report:
    """Grade one notebook; raises :class:`GradeError` for bad input.

    ``fast`` picks the mode (default: the ``MNIST_COURSE_FAST`` environment variable);
    ``cell_timeout`` and ``timeout`` (seconds) default to :data:`DEFAULT_TIMEOUTS` of that
    mode. With ``executed``, the executed copy is saved there (a new file), with the checks'
    messages. ``threads`` sets TensorFlow's and OpenMP's thread counts in the kernel and the
    judge (otherwise the grader's own ``TF_NUM_*_THREADS``/``OMP_NUM_THREADS`` pass through).
    ``snapshot`` holds the course and data as they were when a run of many notebooks began
    (:func:`grade_many` passes one); by default they are read now. ``sandbox`` is
    ``"auto"`` (a sandbox where one can be made), ``"required"`` (refuse without one) or
    ``"off"``, or a state already found (see :mod:`mnist_course.grade.sandbox`).
    """
    started = time.monotonic()
    path = Path(path)
    state = sandbox if isinstance(sandbox, sandbox_module.State) else sandbox_module.resolve(sandbox)
    if path.exists() and not path.is_file():
        raise GradeError(f"{safe_name(path)} is not a regular file (a folder, a pipe or a device): "
                         f"only notebook files are graded.")
    if executed is not None:
        check_outputs([path], None, [Path(executed)])
    before = _digest(path)
    try:
        with warnings.catch_warnings():  # e.g. duplicate cell ids: nbformat mends them and warns
            warnings.simplefilter("ignore")
            notebook = read_notebook(path)
    except NotebookError as error:
        raise GradeError(str(error)) from None
    number = course_number(notebook, path)
    reference = load_reference(number, path.name, solutions)
    mode_name = resolve_mode(fast)
    default_cell, default_total = DEFAULT_TIMEOUTS[mode_name]
    cell_timeout, timeout = cell_timeout or default_cell, timeout or default_total
    require_kernel(kernel_name)
    snapshot = snapshot or Snapshot()
    course, data = snapshot.course, snapshot.data(number)
    mode_variables = {"MNIST_COURSE_FAST": "1" if mode_name == "fast" else "0"}
    bytecode = _bytecode()
    judge = _Judge(number, mode_variables, threads, state)
    try:
        with Workspace.create(course) as workspace:
            # The kernel gets its own copy of the data: what it does to it touches nobody else.
            write_files({item.name: item.data for item in data}, workspace.root / "data", read_only=False)
            kernel_variables = {**mode_variables, **data_variables(data, workspace.root / "data")}
            plan = plan_execution(notebook, reference, kernel_variables, package_dir=str(workspace.package_dir),
                                  answers_dir=str(workspace.answers))
            outcome = execute_plan(plan, workspace=workspace, cell_timeout=cell_timeout, timeout=timeout,
                                   kernel_name=kernel_name,
                                   env=kernel_environment(workspace, kernel_variables, threads),
                                   sandbox_state=state, hidden=[path.parent, *_checkout_solutions()])
            kernel_notes = _kernel_notes(workspace.answers, plan)
            too_large = _too_large(workspace.answers, plan)
            verdicts, judge_error = judge.verdicts(reference, workspace.answers, course, data, mode_variables,
                                                   timeout, too_large)
    finally:
        judge.close()
    exercises, tampering, notes, cell_errors = interpret(plan, reference, outcome, verdicts, kernel_notes)
    notes += _changed_on_disk(course, data)
    notes += [f"the course's bytecode mnist_course/{name} was written or changed while the notebook ran"
              for name, digest in _bytecode().items() if bytecode.get(name) != digest]
    if _digest(path) != before:
        notes.append(f"the submission {path.name} was changed or deleted while it was graded (the "
                     f"grades are those of the file as it was read when grading began)")
    if outcome.survivors:
        notes.append(f"{len(outcome.survivors)} process(es) the notebook started could not be ended")
    if not state.available:
        notes.append(state.reason)
    if judge_error:
        cell_errors.append(f"the judge: {judge_error}")
    if outcome.stop_reason:
        cell_errors.append(f"execution stopped early: {outcome.stop_reason}")
        log = [line for line in outcome.kernel_log.splitlines()
               if line.strip() and "without encryption" not in line]
        if "kernel" in outcome.stop_reason and log:
            cell_errors.append("kernel log (end): " + one_line("\n".join(log)[-500:]))
    report = Report(
        notebook=safe_name(path), course_notebook=reference.title, reference=reference.source, mode=mode_name,
        exercises=exercises, tampering=tampering, notes=notes, cell_errors=cell_errors)
    if executed is not None:
        save_executed(plan, report, Path(executed))
    report.seconds = round(time.monotonic() - started, 1)
    return report


def _kernel_notes(answers: Path, plan: Plan) -> dict[str, list[str]]:
    """What the kernel noticed at each check position (its own claims: only ever notes,
    or tampering with its own check). A status file is read only if it is a small regular file."""
    found = {}
    for exercise in plan.grader_cells:
        try:
            status = json.loads(read_small(answers / exercise / "kernel.json"))
            found[exercise] = [str(text) for text in status.get("notes", [])][:20]
        except (OSError, ValueError, AttributeError, CaptureError):
            found[exercise] = []
    return found


#: The most a kernel may hand over in all (bytes); answers past it are not judged, and say so.
MAX_HANDED_OVER = 1 << 30


def _folder_size(folder: Path) -> int:
    """Bytes in the regular files under ``folder`` (links are not followed)."""
    total = 0
    for parent, _, names in os.walk(folder):
        for name in names:
            try:
                info = os.lstat(os.path.join(parent, name))
            except OSError:
                continue
            if stat.S_ISREG(info.st_mode):
                total += info.st_size
    return total


def _too_large(answers: Path, plan: Plan, limit: int = MAX_HANDED_OVER) -> dict[str, str]:
    """The exercises whose answers, added in order, go past ``limit``, with the reason."""
    found, total = {}, 0
    for exercise in sorted(plan.grader_cells, key=lambda e: plan.grader_cells[e]):
        size = _folder_size(answers / exercise)
        total += size
        if total > limit:
            found[exercise] = (f"the answer handed over here is {size / 2**20:.0f} MiB, and with the earlier "
                               f"ones it goes past the grader's limit of {limit / 2**20:.0f} MiB for a "
                               f"notebook, so it was not judged. Hand over the answer the exercise asks for, "
                               f"not more.")
    return found


def _checkout_solutions() -> list[Path]:
    return [CHECKOUT_SOLUTIONS] if CHECKOUT_SOLUTIONS.is_dir() else []


class _Judge:
    """The judge of one notebook. Without a sandbox it is started before the kernel (it
    imports Keras meanwhile) and gets its job only after the kernel and everything it started
    have ended. With one, it is started only then, in a sandbox of its own that shows its
    inputs read-only, from a folder the kernel's sandbox never showed."""

    def __init__(self, number: int, mode_variables: dict[str, str], threads: int | None,
                 state: sandbox_module.State | None = None):
        self.root = private_folder("mnist-course-judge-")
        for folder in ("home", "tmp", "mpl", "keras"):
            (self.root / folder).mkdir()
        self.env = base_environment(self.root, mode_variables, threads)
        self.env.update(PYTHONDONTWRITEBYTECODE="1", MPLBACKEND="Agg")
        self.state = state if state is not None and state.available else None
        self.process = None
        if self.state is None:
            self.process = judge_module.start(python=sys.executable, env=self.env, cwd=str(self.root / "tmp"),
                                              preload=number >= 2, own_children=run.OWN_CHILDREN)
        self.done = False

    def verdicts(self, reference, answers: Path, course: dict[str, bytes], data, mode_variables,
                 timeout: int, too_large: dict[str, str] | None = None) -> tuple[dict[str, dict], str]:
        """The verdicts, and the judge's failure if it had one. The course and the data are
        written now, into folders no earlier process could have known."""
        course_root = Path(tempfile.mkdtemp(dir=self.root))
        write_files(course, course_root / "mnist_course")
        data_root = Path(tempfile.mkdtemp(dir=self.root))
        write_files({item.name: item.data for item in data}, data_root)
        job = {"course_root": str(course_root), "module": reference.module, "answers": str(answers),
               "exercises": list(reference.exercises),
               "environment": {**mode_variables, **data_variables(data, data_root)},
               "data": {str(data_root / item.name): item.digest for item in data},
               "too_large": dict(too_large or {})}
        self.done = True
        if self.process is None:
            def wrap(argv: list[str]) -> list[str]:
                return sandbox_module.command(
                    argv, writable=[self.root / name for name in ("home", "tmp", "mpl", "keras")],
                    readable=[course_root, data_root, answers], cwd=self.root / "tmp", bwrap=self.state.bwrap)
            self.process = judge_module.start(python=sys.executable, env=self.env, cwd=str(self.root / "tmp"),
                                              preload=False, own_children=run.OWN_CHILDREN, wrap=wrap)
        try:
            return judge_module.finish(self.process, job, timeout), ""
        except RuntimeError as error:
            return {}, str(error)

    def close(self) -> None:
        if not self.done and self.process is not None:
            try:
                judge_module.finish(self.process, None, 30)
            except RuntimeError:
                pass
        remove_tree(self.root)


def _bytecode() -> dict[str, str]:
    """Digests of the compiled files in the course's package (the judge never reads them)."""
    return {str(p.relative_to(PACKAGE_DIR)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in PACKAGE_DIR.rglob("*.pyc") if p.is_file()}


def _changed_on_disk(course: dict[str, bytes], data) -> list[str]:
    """The course's files and data that differ on disk from when grading began."""
    notes = []
    now = snapshot_course()
    before, after = digest_files(course), digest_files(now)
    for name in sorted(set(before) | set(after)):
        if before.get(name) != after.get(name):
            notes.append(f"the course's file mnist_course/{name} changed on disk since grading began "
                         f"(the judge used the course as it was then)")
    for item in data:
        if _digest(item.path) != item.digest:
            notes.append(f"the data file {item.path} changed on disk since grading began (the judge "
                         f"used the data as they were then)")
    return notes


def save_executed(plan: Plan, report: Report, target: Path) -> None:
    """Save the executed copy for feedback (a new file): the check cells read as in the course,
    with the course's verdict as their output; the grader's own set-up cell is left out."""
    notebook = copy.deepcopy(plan.notebook)
    sources = {index: exercise for exercise, index in plan.grader_cells.items()}
    results = {r.exercise: r for r in report.exercises}
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "code" and cell.source.strip() == "check.summary()":
            # The kernel checked nothing itself: the summary is the grade.
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=_summary(report))]
        if index in sources:
            exercise = sources[index]
            cell.source = canonical_source(cell.source, exercise)
            result = results[exercise]
            text = result_line(result)
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=text.rstrip("\n") + "\n")]
    del notebook.cells[0]
    create_text(target, nbformat.writes(notebook) + "\n")


def _summary(report: Report) -> str:
    symbols = {"passed": "✔", "failed": "✘", "not attempted": "○"}
    lines = ["Your grade in this notebook (from the course's checks, run by the grader):"]
    lines += [f"  {symbols.get(r.status, '•')} {r.exercise:<5} {r.status}" for r in report.exercises]
    lines.append(f"{report.counts()['passed']} of {len(report.exercises)} exercises passed.")
    return "\n".join(lines) + "\n"


def grade_many(paths: list[Path], *, progress: Callable[[str], None] | None = None,
               executed_dir: Path | None = None, root: Path | None = None, **options) -> list[Report]:
    """Grade each notebook in turn; a notebook that is bad input or crashes gets a report
    with its ``error`` and the others go on. Feedback copies go to ``executed_dir`` under the
    submission's path relative to ``root``, as ``NAME.executed.ipynb`` (never over a file)."""
    reports = []
    options.setdefault("snapshot", Snapshot())  # the course and data as they were at the start
    options["sandbox"] = sandbox_module.resolve(options.get("sandbox", "auto")) \
        if not isinstance(options.get("sandbox"), sandbox_module.State) else options["sandbox"]
    for number, path in enumerate(paths, start=1):
        name = str(path.relative_to(root)) if root else str(path)
        if progress:
            progress(f"[{number}/{len(paths)}] {name} …")
        try:
            target = None
            if executed_dir is not None:
                target = executed_target(executed_dir, Path(name))
            reason = not_graded_because(path, root) if root is not None else None  # a class folder's files
            if reason is not None:
                raise GradeError(reason)
            report = grade_notebook(path, executed=target, **options)
        except GradeError as error:
            report = Report(notebook=safe_name(path), error=safe_name(str(error)))
        except Exception as error:  # keep going: one broken submission must not stop the rest
            report = Report(notebook=safe_name(path),
                            error=safe_name(f"the grader crashed: {error.__class__.__name__}: {error}"))
        if progress:
            progress(f"[{number}/{len(paths)}] {name}: {summary_line(report)}")
        reports.append(report)
    return reports


def executed_target(folder: Path, relative: Path) -> Path:
    """Where the feedback copy of the submission at ``relative`` goes in ``folder``."""
    return folder / relative.with_suffix(".executed.ipynb")

