"""Time a command and every process it starts: wall time, CPU time, peak memory.

``make benchmark`` (:mod:`mnist_course.tools.benchmark`) uses it to time each solution
notebook run end to end in a fresh kernel, and each graded run of a notebook. A notebook's
kernel is a child of the process that runs it, and the grader starts a kernel and a judge, so
the figures cover the whole process tree:

* CPU seconds: user + system time of every process that ended during the run
  (``resource.getrusage(RUSAGE_CHILDREN)`` before and after, which counts a process once its
  parent has waited for it), or, if larger, the sum of what the samples saw each process of
  the tree use (which misses at most the last ``interval`` of each);
* peak memory: the largest sum of the resident memory of the tree, sampled every
  ``interval`` seconds with psutil (a peak shorter than that can be missed), and never less
  than the largest single process (``ru_maxrss`` of the children).

Run as a program, it executes one notebook in a fresh kernel of the current environment
(the ``python3`` kernel of this Python) and can save the executed copy, whose cells carry
nbclient's start and end times:

Example:
    >>> figures = measure([sys.executable, "-c", "sum(range(10**6))"])
    >>> figures.returncode, figures.wall_seconds > 0
    (0, True)

    $ MNIST_COURSE_FAST=0 python -m mnist_course.tools.timing solutions/06_metrics.ipynb --executed /tmp/06.ipynb
"""

from __future__ import annotations

import argparse
import datetime
import os
import resource
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

#: How often the process tree's memory is sampled, in seconds.
SAMPLE_INTERVAL = 0.5


@dataclass
class Measurement:
    """What one run of a command cost."""

    wall_seconds: float
    cpu_seconds: float
    peak_memory_mb: float
    returncode: int

    def figures(self) -> dict[str, float]:
        """The three figures, rounded, without the exit code.

        Example:
            >>> Measurement(1.234, 2.0, 300.04, 0).figures()
            {'wall_seconds': 1.2, 'cpu_seconds': 2.0, 'peak_memory_mb': 300.0}
        """
        data = asdict(self)
        data.pop("returncode")
        return {key: round(value, 1) for key, value in data.items()}


def _sample_tree(process, cpu_seen: dict[tuple[int, float], float]) -> int:
    """Resident memory in bytes of ``process`` and all its descendants (0 if it has ended);
    records each one's own CPU seconds so far in ``cpu_seen``, keyed by pid and start time."""
    import psutil

    total = 0
    try:
        members = [process, *process.children(recursive=True)]
    except psutil.Error:
        return 0
    for member in members:
        try:
            with member.oneshot():
                total += member.memory_info().rss
                times = member.cpu_times()
                cpu_seen[(member.pid, member.create_time())] = times.user + times.system
        except psutil.Error:
            pass
    return total


def measure(command: list[str], *, env: dict[str, str] | None = None, cwd: str | Path | None = None,
            interval: float = SAMPLE_INTERVAL, stdout=None) -> Measurement:
    """Run ``command`` to its end and return its wall time, CPU time and peak memory.

    The CPU time includes every process the command starts (a Jupyter kernel, a judge),
    as long as each is waited for by its parent, which is what the course's tools do.

    Example:
        >>> measure([sys.executable, "-c", "pass"]).cpu_seconds >= 0
        True
    """
    import psutil

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    child = subprocess.Popen(command, env=env, cwd=cwd, stdout=stdout)
    peak = 0
    cpu_seen: dict[tuple[int, float], float] = {}
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        try:
            process = psutil.Process(child.pid)
        except psutil.Error:
            return
        while not done.is_set():
            peak = max(peak, _sample_tree(process, cpu_seen))
            done.wait(interval)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    returncode = child.wait()
    wall = time.perf_counter() - start
    done.set()
    sampler.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    # A process that its parent did not wait for (one left to init) is missing from the
    # rusage figure; the samples saw it. Both are lower bounds: take the larger.
    cpu = max(cpu, sum(cpu_seen.values()))
    # ru_maxrss of the children is the largest single process ever waited for (KiB on Linux).
    largest = after.ru_maxrss * 1024
    return Measurement(wall_seconds=wall, cpu_seconds=cpu, peak_memory_mb=max(peak, largest) / 2**20,
                       returncode=returncode)


def slowest_cells(notebook, count: int = 5) -> list[dict[str, Any]]:
    """The ``count`` code cells that ran longest, from nbclient's timing metadata.

    Each entry has the cell's index, its tags, its first line and its seconds.

    Example:
        >>> import nbformat
        >>> slowest_cells(nbformat.v4.new_notebook())
        []
    """
    timed = []
    for index, cell in enumerate(notebook.cells):
        times = cell.get("metadata", {}).get("execution", {})
        started, ended = times.get("iopub.execute_input"), times.get("shell.execute_reply")
        if cell.cell_type != "code" or not started or not ended:
            continue
        seconds = (datetime.datetime.fromisoformat(ended.replace("Z", "+00:00"))
                   - datetime.datetime.fromisoformat(started.replace("Z", "+00:00"))).total_seconds()
        first_line = next((line for line in cell.source.splitlines() if line.strip()), "")
        timed.append({"cell": index, "tags": list(cell.metadata.get("tags", [])),
                      "first_line": first_line[:80], "seconds": round(seconds, 1)})
    return sorted(timed, key=lambda entry: -entry["seconds"])[:count]


def run_notebook(path: str | Path, executed: str | Path | None = None, cell_timeout: int = 1800) -> None:
    """Execute the notebook at ``path`` top to bottom in a fresh ``python3`` kernel of this
    Python, in a temporary working directory; stop at the first error.

    The mode (fast or full) is whatever ``MNIST_COURSE_FAST`` says. ``executed`` saves the
    run copy, with each cell's timing in its metadata.
    """
    import tempfile

    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    with tempfile.TemporaryDirectory(prefix="mnist-course-timing-") as folder:
        client = NotebookClient(notebook, timeout=cell_timeout, kernel_name="python3",
                                record_timing=True, resources={"metadata": {"path": folder}})
        try:
            client.execute()
        finally:
            if executed is not None:
                nbformat.write(notebook, executed)


#: The course's solution notebooks, relative to the repository root.
SOLUTIONS_DIR = Path(__file__).resolve().parents[2] / "solutions"


def solution_notebooks(selected: list[str] | None = None, folder: Path = SOLUTIONS_DIR) -> list[Path]:
    """The solution notebooks, in course order; ``selected`` keeps those whose number or
    name is listed ("02", "02_logistic_regression" or "02_logistic_regression.ipynb").

    Example:
        >>> [path.name for path in solution_notebooks(["06"])]   # doctest: +SKIP
        ['06_metrics.ipynb']
    """
    paths = sorted(folder.glob("[0-9][0-9]_*.ipynb"))
    if selected is None:
        return paths
    return [path for path in paths if notebook_matches(path, selected)]


def notebook_matches(path: Path, names: list[str]) -> bool:
    """True when ``names`` lists the notebook at ``path`` by number, stem or file name."""
    return any(name in (path.name[:2], path.stem, path.name) for name in names)


def time_notebook(path: Path, *, fast: bool = False, executed: Path | None = None) -> dict[str, Any]:
    """Execute one notebook end to end in a fresh kernel (in a child process) and measure it.

    Returns the notebook's number and name, the mode, the three figures (the kernel
    included) and, when ``executed`` is given, its slowest cells.
    """
    environment = dict(os.environ, MNIST_COURSE_FAST="1" if fast else "0")
    command = [sys.executable, "-m", "mnist_course.tools.timing", str(path)]
    if executed is not None:
        command += ["--executed", str(executed)]
    cost = measure(command, env=environment)
    if cost.returncode != 0:
        raise RuntimeError(f"{path.name} stopped with an error (exit code {cost.returncode}); "
                           f"see the messages above.")
    result = {"notebook": path.name[:2], "file": path.name, "mode": "fast" if fast else "full",
              **cost.figures()}
    if executed is not None:
        import nbformat

        result["slowest_cells"] = slowest_cells(nbformat.read(executed, as_version=4))
    return result


def grade_command(path: Path, mode: str) -> list[str]:
    """The command that grades ``path`` in ``mode`` ("fast" or "full"), as ``--graded`` runs it.

    Example:
        >>> grade_command(Path("solutions/01_meet_the_data.ipynb"), "fast")[1:]
        ['-m', 'mnist_course', 'grade', 'solutions/01_meet_the_data.ipynb', '--fast']
    """
    return [sys.executable, "-m", "mnist_course", "grade", str(path), f"--{mode}"]


def time_grading(path: Path, modes: tuple[str, ...] = ("fast", "full")) -> dict[str, dict[str, float]]:
    """Grade one notebook once per mode with the course's grader, each run measured.

    The grader runs the notebook in a kernel and judges it in a process of its own: the
    CPU time and memory of both are counted. A notebook that does not pass is an error.
    """
    figures = {}
    for mode in modes:
        cost = measure(grade_command(path, mode), stdout=subprocess.DEVNULL)
        if cost.returncode != 0:
            raise RuntimeError(f"grading {path.name} in {mode} mode did not pass every exercise "
                               f"(exit code {cost.returncode}); run "
                               f"`{' '.join(grade_command(path, mode)[1:])}` to see why.")
        figures[mode] = cost.figures()
    return figures


def grading_costs(graded: dict[str, dict[str, dict[str, float]]], *, machine: str, command: str,
                  date: datetime.date | None = None) -> dict[str, Any]:
    """The graded figures in the schema the Gradescope export reads (``grading_costs.json``).

    Example:
        >>> costs = grading_costs({"01": {"fast": {"wall_seconds": 9.0, "cpu_seconds": 8.0,
        ...                                        "peak_memory_mb": 700.0}}},
        ...                       machine="a CPU, 2 cores, 24 GiB", command="make benchmark",
        ...                       date=datetime.date(2026, 12, 3))
        >>> costs["date"], costs["notebooks"]["01"]["fast"]["cpu_seconds"], costs["notebooks"]["01"]["fast"]["peak_memory_mb"]
        ('2026-12-03', 8.0, 700)
    """
    rounded = {number: {mode: {**figures, "peak_memory_mb": round(figures["peak_memory_mb"])}
                        for mode, figures in modes.items()} for number, modes in graded.items()}
    return {"measured_on": machine, "date": (date or datetime.date.today()).isoformat(),
            "command": command, "notebooks": rounded}


def main(argv: list[str] | None = None) -> int:
    """Command line: execute one notebook (used by ``make benchmark`` in a child process)."""
    parser = argparse.ArgumentParser(prog="python -m mnist_course.tools.timing",
                                     description="Execute one notebook in a fresh kernel of this Python.")
    parser.add_argument("notebook", type=Path)
    parser.add_argument("--executed", type=Path, help="save the executed copy here")
    parser.add_argument("--cell-timeout", type=int, default=1800)
    args = parser.parse_args(argv)
    if not args.notebook.is_file():
        parser.error(f"{args.notebook} is not a file")
    run_notebook(args.notebook, args.executed, args.cell_timeout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
