"""Run one submission, contained: its own folders, a copy of the course, and nothing left behind.

:class:`Workspace` makes a fresh private folder per submission with the kernel's working
directory, ``HOME``, IPython directory, temp directory and caches, a copy of the course's
package without ``solutions/`` for the kernel to import, and the folder the answers are handed
over in. :func:`execute_plan` runs the planned copy there cell by cell (nbclient), with a time
limit per cell and for the whole notebook, going on after errors. Jupyter starts the kernel in
a session of its own; afterwards :func:`end_processes` kills that whole process group and
every process that still carries this run's marker in its environment or works in its folder,
so nothing the notebook started (even detached) outlives its grading.

:func:`snapshot_course` and :func:`snapshot_data` read the course's files and data into memory
before the kernel starts; :func:`write_files` writes them out again for the judge afterwards,
so nothing the notebook does to the files on disk can reach a verdict.

Example:
    >>> with Workspace.create(snapshot_course()) as workspace:          # doctest: +SKIP
    ...     outcome = execute_plan(plan, workspace=workspace, cell_timeout=300, timeout=900,
    ...                            kernel_name="python3", env=kernel_environment(workspace, {}))
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import os
import secrets
import shutil
import signal
import stat
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from mnist_course.grade import sandbox
from mnist_course.grade.plan import Plan
from mnist_course.grade.reference import PACKAGE_DIR
from mnist_course.grade.results import GradeError

TIMEOUT_ENAME = "GraderCellTimeout"
_PROBE_TIMEOUT = 30
_SETUP_TIMEOUT = 300
#: Environment variables passed through to the kernel and the judge as they are (parallel
#: grading sets them to share the cores).
THREAD_VARIABLES = ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS", "OMP_NUM_THREADS")
MARKER = "MNIST_COURSE_GRADE_RUN"


def snapshot_course() -> dict[str, bytes]:
    """The course package's files by relative path (no bytecode, nothing else)."""
    return {str(p.relative_to(PACKAGE_DIR)): p.read_bytes() for p in sorted(PACKAGE_DIR.rglob("*"))
            if p.is_file() and "__pycache__" not in p.parts and p.suffix not in (".pyc", ".pyo")}


def digest_files(files: dict[str, bytes]) -> dict[str, str]:
    return {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}


@dataclasses.dataclass
class DataFile:
    """One data file the checks read: where it is, its variable, its bytes and their digest."""

    path: Path
    variable: str
    name: str
    data: bytes

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def snapshot_data(number: int) -> list[DataFile]:
    """The data files course notebook ``number`` loads, read now (MNIST; Fashion-MNIST for 07).

    Raises :class:`GradeError` when MNIST is not on this machine (the judge needs a file).
    """
    from mnist_course import data

    try:
        mnist, _ = data.find_mnist()
    except data.DataError as error:
        raise GradeError(str(error)) from None
    if mnist is None:
        raise GradeError("MNIST is not on this machine: run `make data` (or set MNIST_COURSE_DATA) first.")
    files = [DataFile(mnist, data.DATA_VARIABLE, "mnist.npz", mnist.read_bytes())]
    if number == 7:
        try:
            fashion, _ = data.find_fashion_mnist()
        except data.DataError as error:
            raise GradeError(str(error)) from None
        if fashion is not None and fashion.is_dir():
            for name in data.IDX_FILES.values():
                files.append(DataFile(fashion / name, data.FASHION_DATA_VARIABLE, f"fashion/{name}",
                                      (fashion / name).read_bytes()))
        elif fashion is not None:
            files.append(DataFile(fashion, data.FASHION_DATA_VARIABLE, "fashion.npz", fashion.read_bytes()))
    return files


class Snapshot:
    """The course's files and data as they were when a grading run began, read once and used
    for every submission of the run: what one notebook does to the files on disk cannot reach
    the next one's kernel or any judge."""

    def __init__(self) -> None:
        self.course = snapshot_course()
        self._data: dict[bool, list[DataFile]] = {}

    def data(self, number: int) -> list[DataFile]:
        key = number == 7
        if key not in self._data:
            self._data[key] = snapshot_data(number)
        return self._data[key]


def data_variables(data: list[DataFile], folder: Path) -> dict[str, str]:
    """The environment variables that point the course at ``data`` written under ``folder``."""
    return {item.variable: str(folder / item.name.split("/")[0]) for item in data}


def write_files(files: dict[str, bytes], target: Path, *, read_only: bool = True) -> None:
    """Write ``files`` under ``target``; read-only files and folders when ``read_only``."""
    for name, data in files.items():
        path = target / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    if read_only:
        for path in sorted(target.rglob("*"), reverse=True):
            path.chmod(0o444 if path.is_file() else 0o555)
        target.chmod(0o555)


def private_folder(prefix: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=prefix))


def remove_tree(path: Path) -> None:
    """Delete ``path`` even where it was made read-only."""
    def unlock(function, name, _):
        try:
            os.chmod(os.path.dirname(name), stat.S_IRWXU)
            os.chmod(name, stat.S_IRWXU)
            function(name)
        except OSError:
            pass
    if path.exists():
        shutil.rmtree(path, onerror=unlock)


def _copy_font_cache(target: Path) -> None:
    """Matplotlib's font list, so that a fresh config folder does not rebuild it (seconds)."""
    try:
        import matplotlib

        source = Path(matplotlib.get_cachedir())
    except Exception:
        return
    target.mkdir(parents=True, exist_ok=True)
    for font_list in source.glob("fontlist-*.json"):
        shutil.copyfile(font_list, target / font_list.name)


@dataclasses.dataclass
class Workspace:
    """The folders of one submission's run (all under ``root``, made for it and removed after)."""

    root: Path
    token: str

    @classmethod
    def create(cls, course_files: dict[str, bytes]) -> Workspace:
        workspace = cls(private_folder("mnist-course-grade-"), secrets.token_hex(8))
        for folder in ("work", "home", "ipython", "tmp", "answers", "mpl", "keras"):
            (workspace.root / folder).mkdir()
        _copy_font_cache(workspace.root / "mpl")
        write_files({k: v for k, v in course_files.items()}, workspace.root / "course" / "mnist_course",
                    read_only=False)
        return workspace

    @property
    def package_dir(self) -> Path:
        return self.root / "course" / "mnist_course"

    @property
    def answers(self) -> Path:
        return self.root / "answers"

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc) -> None:
        end_processes(self.token, None, self.root)
        remove_tree(self.root)


def base_environment(home: Path, mode_variables: dict[str, str | None], threads: int | None) -> dict[str, str]:
    """What both the kernel and the judge get: a private home, the mode, the thread limits."""
    env = {k: os.environ[k] for k in ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "LD_LIBRARY_PATH",
                                      "VIRTUAL_ENV", "CONDA_PREFIX", "CUDA_VISIBLE_DEVICES",
                                      "TF_ENABLE_ONEDNN_OPTS", *THREAD_VARIABLES) if k in os.environ}
    if threads is not None:
        env.update({name: str(threads) for name in THREAD_VARIABLES})
    env.update(HOME=str(home / "home"), TMPDIR=str(home / "tmp"), TEMP=str(home / "tmp"),
               TMP=str(home / "tmp"), MPLCONFIGDIR=str(home / "mpl"), KERAS_HOME=str(home / "keras"),
               TF_CPP_MIN_LOG_LEVEL=os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2"))
    for variable, value in mode_variables.items():
        if value is not None:
            env[variable] = value
    return env


def kernel_environment(workspace: Workspace, mode_variables: dict[str, str | None],
                       threads: int | None = None) -> dict[str, str]:
    """The kernel's environment: its folders, the course's copy first on the path, the marker."""
    env = base_environment(workspace.root, mode_variables, threads)
    env.update(IPYTHONDIR=str(workspace.root / "ipython"), PYTHONPATH=str(workspace.package_dir.parent),
               JUPYTER_CONFIG_DIR=str(workspace.root / "home" / ".jupyter"), PYTHONNOUSERSITE="1")
    env[MARKER] = workspace.token
    return env


# ------------------------------------------------------------------------------------------
# Ending every process of a run
# ------------------------------------------------------------------------------------------

_PR_SET_CHILD_SUBREAPER = 36


def become_subreaper() -> None:
    """Make this process adopt the orphans of its descendants (Linux), so that a process the
    notebook detaches (a double fork, ``setsid``) becomes our child and can be ended."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except Exception:  # pragma: no cover - not Linux: the other ways must do
        pass


def _stat(entry: Path) -> tuple[int, int, str] | None:
    """(parent pid, start time in clock ticks, state) of a process, from /proc/PID/stat."""
    try:
        fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[1]), int(fields[19]), fields[0]
    except (OSError, IndexError, ValueError):
        return None


def start_ticks() -> int:
    """Now, in the clock ticks since boot that /proc/PID/stat counts start times in."""
    try:
        return int(float(Path("/proc/uptime").read_text().split()[0]) * os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError):  # pragma: no cover - not Linux
        return 0


def _processes_of(token: str, root: Path, since: int | None) -> list[int]:
    """Processes that carry ``token`` in their environment, work inside ``root``, or were
    adopted by this process after ``since`` (Linux)."""
    found = []
    marker = f"{MARKER}={token}".encode()
    proc = Path("/proc")
    if not proc.is_dir():  # pragma: no cover - not Linux: the process group is all we have
        return found
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            stat_ = _stat(entry)
            if since is not None and stat_ and stat_[0] == os.getpid() and stat_[1] >= since \
                    and int(entry.name) not in OWN_CHILDREN:
                found.append(int(entry.name))
                continue
            if marker in (entry / "environ").read_bytes().split(b"\0"):
                found.append(int(entry.name))
                continue
            cwd = os.readlink(entry / "cwd")
            if cwd == str(root) or cwd.startswith(str(root) + os.sep):
                found.append(int(entry.name))
        except OSError:
            continue
    return found


#: Kernels and judges this process started on purpose (other runs' too, when grading in
#: threads): never taken for a leftover of a run.
OWN_CHILDREN: set[int] = set()


def end_processes(token: str, pgid: int | None, root: Path, since: int | None = None) -> None:
    """Kill the kernel's process group and every process left from this run: those with
    the run's marker, working in its folder, or adopted by us since ``since`` (see
    :func:`become_subreaper`)."""
    if pgid is not None and pgid > 1 and pgid != os.getpgid(0):
        try:
            os.killpg(pgid, signal.SIGKILL)
        except OSError:
            pass
    for _ in range(3):  # a process may start another while the first is killed
        left = _processes_of(token, root, since)
        if not left:
            break
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.1)
    _reap(since)


def _collect(pid: int | None, since: int | None, wait: float = 2.0) -> None:
    """Collect the exit status of the kernel's process and of what we adopted from it (a
    sandbox's init ends just after its parent), so that no zombie is left per notebook."""
    deadline = time.monotonic() + wait
    while pid and time.monotonic() < deadline:
        try:
            if os.waitpid(pid, os.WNOHANG)[0]:
                break
        except ChildProcessError:
            break
        time.sleep(0.05)
    while since is not None and time.monotonic() < deadline and _adopted(since):
        _reap(since)
        time.sleep(0.05)


def _adopted(since: int) -> list[int]:
    """Children adopted since ``since`` that have not been collected (alive or zombies)."""
    proc = Path("/proc")
    if not proc.is_dir():  # pragma: no cover - not Linux
        return []
    found = []
    for entry in proc.iterdir():
        stat_ = _stat(entry) if entry.name.isdigit() else None
        if stat_ and stat_[0] == os.getpid() and stat_[1] >= since and int(entry.name) not in OWN_CHILDREN:
            found.append(int(entry.name))
    return found


def _reap(since: int | None) -> None:
    """Collect the exit status of adopted children that have ended (no zombies left)."""
    proc = Path("/proc")
    if not proc.is_dir():  # pragma: no cover - not Linux
        return
    for entry in proc.iterdir():
        stat_ = _stat(entry) if entry.name.isdigit() and since is not None else None
        if stat_ and stat_[0] == os.getpid() and stat_[1] >= since and stat_[2] == "Z" \
                and int(entry.name) not in OWN_CHILDREN:
            try:
                os.waitpid(int(entry.name), os.WNOHANG)
            except OSError:
                pass


# ------------------------------------------------------------------------------------------
# Executing the planned copy
# ------------------------------------------------------------------------------------------

@dataclasses.dataclass
class Execution:
    """What happened when the copy ran."""

    replies: dict[int, dict] = dataclasses.field(default_factory=dict)
    executed: set[int] = dataclasses.field(default_factory=set)
    timed_out: set[int] = dataclasses.field(default_factory=set)
    stopped_at: int | None = None      # index of the cell at which execution stopped early
    stop_reason: str = ""
    kernel_log: str = ""
    cell_timeout: int = 0
    survivors: list[int] = dataclasses.field(default_factory=list)  # processes that could not be ended


def require_kernel(name: str) -> None:
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        KernelSpecManager().get_kernel_spec(name)
    except NoSuchKernel:
        raise GradeError(f"there is no Jupyter kernel named {name!r} (see `jupyter kernelspec list`).") from None


def sandboxed_kernel_manager(kernel_name: str, workspace: Workspace, state: sandbox.State,
                             hidden: Sequence[Path] = ()):
    """A kernel manager whose kernel runs in a sandbox (see :mod:`mnist_course.grade.sandbox`):
    only ``workspace`` is writable (its course copy read-only), ``hidden`` folders are covered,
    and the kernel talks to the grader through Unix sockets in ``workspace`` (ZeroMQ's ``ipc``
    transport), so that the sandbox has no network at all. It is interrupted by a message,
    not a signal (a signal would reach the sandbox, not the kernel in it)."""
    from jupyter_client.manager import AsyncKernelManager

    class SandboxedKernelManager(AsyncKernelManager):
        def format_kernel_cmd(self, extra_arguments=None):
            argv = super().format_kernel_cmd(extra_arguments)
            return sandbox.command(argv, writable=[workspace.root], readable=[workspace.package_dir.parent],
                                   hidden=hidden, cwd=workspace.root / "work", bwrap=state.bwrap,
                                   python=argv[:1])

    manager = SandboxedKernelManager(kernel_name=kernel_name, transport="ipc",
                                     connection_file=str(workspace.root / "connection.json"))
    manager.kernel_spec.interrupt_mode = "message"
    return manager


def execute_plan(plan: Plan, *, workspace: Workspace, cell_timeout: int, timeout: int, kernel_name: str,
                 env: dict[str, str], sandbox_state: sandbox.State | None = None,
                 hidden: Sequence[Path] = ()) -> Execution:
    """Run the copy cell by cell in a new kernel in ``workspace`` (in a sandbox when
    ``sandbox_state`` says one can be made); go on after errors and cell timeouts; end every
    process of the run afterwards, and record any that could not be ended."""
    from nbclient import NotebookClient
    from nbclient.exceptions import DeadKernelError

    outcome = Execution(cell_timeout=cell_timeout)

    def on_executed(cell, cell_index, execute_reply):
        if execute_reply is not None:
            outcome.replies[cell_index] = execute_reply.get("content", {})

    quiet = logging.getLogger("mnist_course.grade.nbclient")
    quiet.addHandler(logging.NullHandler())
    quiet.propagate = False
    log_path = workspace.root / "kernel.log"
    manager = None
    if sandbox_state is not None and sandbox_state.available:
        manager = sandboxed_kernel_manager(kernel_name, workspace, sandbox_state, hidden)
    client = NotebookClient(
        plan.notebook, km=manager, timeout=cell_timeout, kernel_name=kernel_name, allow_errors=True,
        interrupt_on_timeout=True, record_timing=False, log=quiet,
        error_on_timeout={"ename": TIMEOUT_ENAME, "evalue": "time limit", "traceback": []},
        resources={"metadata": {"path": str(workspace.root / "work")}}, on_cell_executed=on_executed)
    deadline = time.monotonic() + timeout
    pgid = kernel_pid = None
    become_subreaper()
    since = start_ticks()
    with open(log_path, "wb") as log:
        try:
            with client.setup_kernel(env=env, stderr=log, stdout=log):
                pgid = getattr(getattr(client.km, "provisioner", None), "pgid", None)
                kernel_pid = getattr(getattr(client.km, "provisioner", None), "pid", None)
                OWN_CHILDREN.add(kernel_pid)
                try:
                    _run_cells(client, plan, outcome, cell_timeout, deadline, timeout, DeadKernelError)
                finally:
                    OWN_CHILDREN.discard(kernel_pid)
        except DeadKernelError:
            outcome.stop_reason = outcome.stop_reason or "the kernel died"
        except Exception as error:  # the kernel did not start, or stopped answering
            if outcome.stopped_at is None:
                outcome.stopped_at = 0
            outcome.stop_reason = f"the kernel failed: {error.__class__.__name__}: {error}"
        finally:
            end_processes(workspace.token, pgid, workspace.root, since)
            _collect(kernel_pid, since)
            outcome.survivors = _processes_of(workspace.token, workspace.root, None)
    outcome.kernel_log = log_path.read_text(errors="replace")[-2000:]
    return outcome


def _run_cells(client, plan: Plan, outcome: Execution, cell_timeout: int, deadline: float,
               timeout: int, dead_kernel_error) -> None:
    from nbformat.v4 import new_code_cell

    for index, cell in enumerate(plan.notebook.cells):
        if cell.cell_type != "code" or not cell.source.strip():
            continue
        remaining = deadline - time.monotonic()
        if remaining < 1:
            outcome.stopped_at, outcome.stop_reason = index, f"the notebook's time limit ({timeout} s) ran out"
            return
        # The grader's own set-up cell imports the course: it gets a generous limit of its own.
        limit = max(cell_timeout, _SETUP_TIMEOUT) if index == 0 else cell_timeout
        limited = remaining < limit
        client.timeout = max(1, int(min(limit, remaining)))
        try:
            client.execute_cell(cell, index, store_history=index in plan.original_index)
        except dead_kernel_error:
            outcome.executed.add(index)
            outcome.stopped_at, outcome.stop_reason = index, "the kernel died (out of memory, or the code ended the process)"
            return
        outcome.executed.add(index)
        if outcome.replies.get(index, {}).get("ename") == TIMEOUT_ENAME:
            outcome.timed_out.add(index)
            if limited:
                outcome.stopped_at, outcome.stop_reason = index, f"the notebook's time limit ({timeout} s) ran out"
                return
            # The kernel was interrupted; it must answer again before the next cell runs.
            client.timeout = _PROBE_TIMEOUT
            outcome.replies.pop(-1, None)
            last = plan.notebook.cells[-1]  # nbclient files the probe's cell under its index
            client.execute_cell(new_code_cell("pass"), -1, store_history=False)
            plan.notebook.cells[-1] = last
            if outcome.replies.get(-1, {}).get("status") != "ok":
                outcome.stopped_at = index
                outcome.stop_reason = "the kernel did not stop after a cell timed out"
                return

