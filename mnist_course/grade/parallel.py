"""Grade a folder of submissions several at a time (``mnist-course grade DIR --jobs N``).

Each submission is graded by a child process of its own, ``python -m mnist_course grade ONE
--json FILE``, so one that crashes or hangs takes nothing else down. The machine's cores are
split between the ``N`` children: each gets ``cores // N`` threads through TensorFlow's and
OpenMP's environment variables (:data:`THREAD_VARIABLES`), which its notebook kernel
inherits. The reports come back in the order of ``paths`` whatever order they finish in,
and a progress bar with the time left is kept on one line of stderr.

Example:
    >>> reports = grade_parallel(find_submissions(Path("submissions")), jobs=2)   # doctest: +SKIP
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import TextIO

from mnist_course.grade.notebook import DEFAULT_TIMEOUTS
from mnist_course.grade.report import not_graded_because, safe_name
from mnist_course.grade.results import Report, read_report

#: The environment variables that set how many threads TensorFlow (and OpenMP) use.
THREAD_VARIABLES = ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS", "OMP_NUM_THREADS")
#: A child gets this long after the grader's own whole-notebook limit before it is stopped.
GRACE_SECONDS = 600


def cores() -> int:
    """The number of CPU cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def threads_per_job(jobs: int) -> int:
    """Threads each of ``jobs`` simultaneous gradings gets: the cores split evenly, at least one.

    Example:
        >>> threads_per_job(cores()) == 1
        True
    """
    return max(1, cores() // jobs)


def child_environment(jobs: int) -> dict[str, str]:
    """This process's environment with the thread variables set for one of ``jobs`` children."""
    environment = dict(os.environ)
    threads = str(threads_per_job(jobs))
    environment.update(dict.fromkeys(THREAD_VARIABLES, threads))
    return environment


class Progress:
    """A progress bar on one line of ``stream``, rewritten in place (a line per change when
    ``stream`` is not a terminal), with the time left estimated from the pace so far."""

    def __init__(self, total: int, stream: TextIO = sys.stderr, width: int = 24) -> None:
        self.total, self.stream, self.width = total, stream, width
        self.done, self.started = 0, time.monotonic()
        self.live = stream.isatty()
        self._lock = threading.Lock()

    def line(self, note: str = "") -> str:
        elapsed = time.monotonic() - self.started
        filled = round(self.width * self.done / self.total) if self.total else self.width
        bar = "#" * filled + "-" * (self.width - filled)
        left = "?" if not self.done else _clock(elapsed / self.done * (self.total - self.done))
        text = f"[{bar}] {self.done}/{self.total} graded, {_clock(elapsed)} elapsed, {left} left"
        return f"{text}  {note}" if note else text

    def advance(self, note: str = "") -> None:
        with self._lock:
            self.done += 1
            self.show(note)

    def show(self, note: str = "") -> None:
        text = self.line(note)
        if self.live:
            columns = 100
            self.stream.write("\r" + text[:columns].ljust(columns))
            if self.done == self.total:
                self.stream.write("\n")
        else:
            self.stream.write(text + "\n")
        self.stream.flush()


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}" if seconds >= 3600 \
        else f"{seconds // 60}:{seconds % 60:02d}"


def _grade_one(path: Path, arguments: Sequence[str], environment: dict[str, str], limit: float,
               executed: Path | None) -> Report:
    with tempfile.TemporaryDirectory(prefix="mnist-course-job-") as scratch:
        target = Path(scratch) / "report.json"
        command = [sys.executable, "-m", "mnist_course", "grade", str(path), "--json", str(target),
                   "--quiet", *arguments]
        if executed is not None:
            command += ["--executed", str(executed)]
        try:
            finished = subprocess.run(command, env=environment, capture_output=True, text=True,
                                      timeout=limit, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:  # subprocess.run has stopped the child
            return Report(notebook=safe_name(path), error=f"the grader did not finish within {limit:.0f} s")
        if target.exists():
            try:
                return read_report(target)
            except (ValueError, TypeError) as error:
                problem = f"its report could not be read ({error})"
        else:
            problem = f"it stopped with exit code {finished.returncode}"
        tail = " ".join(finished.stderr.strip().splitlines()[-3:])[-400:]
        return Report(notebook=safe_name(path), error=safe_name(f"the grader crashed: {problem}. {tail}".strip()))


def grade_parallel(paths: Sequence[Path], *, jobs: int, arguments: Sequence[str] = (),
                   executed_dir: Path | None = None, root: Path | None = None,
                   limit: float | None = None, progress: bool = True,
                   stream: TextIO = sys.stderr) -> list[Report]:
    """Grade ``paths`` with ``jobs`` children at once; the reports are in the order of ``paths``.

    ``arguments`` are passed on to each ``mnist-course grade`` (e.g. ``["--fast"]``);
    ``limit`` (seconds) stops a child that runs longer (default: the grader's whole-notebook
    limit of full mode plus :data:`GRACE_SECONDS`). A submission that cannot be graded gets a
    report with its ``error``, like :func:`mnist_course.grade.grade_many`.
    """
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, got {jobs}.")
    limit = limit or DEFAULT_TIMEOUTS["full"][1] + GRACE_SECONDS
    environment = child_environment(jobs)
    bar = Progress(len(paths), stream) if progress else None
    if bar:
        bar.show(f"{jobs} at a time, {threads_per_job(jobs)} thread(s) each")
    reports: list[Report | None] = [None] * len(paths)

    def executed_copy(path: Path) -> Path | None:
        if executed_dir is None:
            return None
        name = path.relative_to(root) if root else Path(path.name)
        return executed_dir / name.with_suffix(".executed.ipynb")

    skipped = {index: not_graded_because(Path(path), root) if root is not None else None  # a class folder's files
               for index, path in enumerate(paths)}
    for index, reason in skipped.items():
        if reason is not None:
            reports[index] = Report(notebook=safe_name(paths[index]), error=reason)
            if bar:
                bar.advance(safe_name(Path(paths[index]).name))
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(_grade_one, path, arguments, environment, limit, executed_copy(path)): index
                   for index, path in enumerate(paths) if skipped[index] is None}
        for future in as_completed(futures):
            index = futures[future]
            reports[index] = future.result()
            if bar:
                bar.advance(safe_name(Path(paths[index]).name))
    return [report for report in reports if report is not None]
