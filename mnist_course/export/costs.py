"""What grading one notebook costs, and the Gradescope settings that follow from it.

The figures are measured, never guessed: ``grading_costs.json`` beside this module holds, for
every notebook and mode, the wall time, CPU seconds and peak memory of a graded run
(``mnist-course grade solutions/NN_*.ipynb --full|--fast``: kernel, judge and grader
together), with the machine, date and command that measured them. ``make benchmark``
writes the same schema. A figure that was not measured is ``null`` and is said so.

Gradescope's defaults (768 MB, half a vCPU, 10 minutes per submission) are compared with
them: :func:`settings_for` gives the memory, CPU and timeout to set, with a margin, and
:func:`advice` the text the Gradescope export prints and writes into its README.

Example:
    >>> costs = load_costs()
    >>> settings_for(costs["notebooks"]["01"]["fast"]).memory_mb >= 768
    True
"""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

COSTS_FILE = Path(__file__).with_name("grading_costs.json")
#: Gradescope's defaults for an autograder (its settings page): memory, vCPUs, timeout.
DEFAULT_MEMORY_MB, DEFAULT_CPUS, DEFAULT_TIMEOUT_MINUTES = 768, 0.5, 10
#: Margins over the measured figures: another machine, another submission.
MEMORY_MARGIN, TIME_MARGIN = 1.25, 1.5
#: Memory sizes to recommend (MB): the default, then whole and half gigabytes.
MEMORY_SIZES_MB = (768, 1024, 1536, 2048, 3072, 4096, 6144, 8192)
#: The shortest timeout recommended: starting Python, TensorFlow and the judge takes a while.
MIN_TIMEOUT_MINUTES = 5


@dataclasses.dataclass
class Settings:
    """What to set in Gradescope's autograder settings for one notebook and mode."""

    memory_mb: int
    cpus: float
    timeout_minutes: int

    @property
    def fits_defaults(self) -> bool:
        return (self.memory_mb <= DEFAULT_MEMORY_MB and self.cpus <= DEFAULT_CPUS
                and self.timeout_minutes <= DEFAULT_TIMEOUT_MINUTES)

    def __str__(self) -> str:
        memory = f"{self.memory_mb / 1024:g} GB" if self.memory_mb >= 1024 else f"{self.memory_mb} MB"
        return f"memory {memory}, {self.cpus:g} vCPU, timeout {self.timeout_minutes} minutes"


def load_costs(path: str | Path = COSTS_FILE) -> dict:
    """The measured costs (see the module's docstring for the schema)."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def settings_for(cost: dict | None) -> Settings | None:
    """The settings one graded run needs, from its measured cost (None when not measured).

    Memory: the peak with a margin, rounded up to one of :data:`MEMORY_SIZES_MB`. Time: the
    CPU seconds with a margin, on half a vCPU if that fits 10 minutes, else on one vCPU, else
    two; rounded up to whole minutes.

    Example:
        >>> str(settings_for({"wall_seconds": 60, "cpu_seconds": 100, "peak_memory_mb": 900}))
        'memory 1.5 GB, 0.5 vCPU, timeout 5 minutes'
    """
    if not cost or cost.get("cpu_seconds") is None or cost.get("peak_memory_mb") is None:
        return None
    need = cost["peak_memory_mb"] * MEMORY_MARGIN
    memory = next((size for size in MEMORY_SIZES_MB if size >= need), math.ceil(need / 1024) * 1024)
    for cpus in (DEFAULT_CPUS, 1.0, 2.0):
        minutes = math.ceil(cost["cpu_seconds"] * TIME_MARGIN / cpus / 60)
        if minutes <= DEFAULT_TIMEOUT_MINUTES or cpus == 2.0:
            return Settings(memory, cpus, max(minutes, MIN_TIMEOUT_MINUTES))
    raise AssertionError("unreachable")  # pragma: no cover


def _figures(cost: dict | None) -> str:
    if not cost:
        return "not measured"
    return (f"{cost['cpu_seconds']:g} CPU seconds, peak memory {cost['peak_memory_mb']:g} MB, "
            f"{cost['wall_seconds']:g} s wall")


def advice(number: str, fast: bool, costs: dict | None = None) -> str:
    """The Gradescope settings for notebook ``number`` in the chosen mode, the measured figures
    they come from, and which mode fits Gradescope's defaults (several lines of text).

    Example:
        >>> print(advice("01", fast=True).splitlines()[0])      # doctest: +ELLIPSIS
        Gradescope settings for notebook 01 in fast mode: memory ...
    """
    costs = costs or load_costs()
    measured = costs["notebooks"].get(number, {})
    mode = "fast" if fast else "full"
    chosen = settings_for(measured.get(mode))
    lines = []
    if chosen is None:
        lines.append(f"Gradescope settings for notebook {number} in {mode} mode: not measured, so none to "
                     f"recommend; Gradescope's defaults ({DEFAULT_MEMORY_MB} MB, {DEFAULT_CPUS:g} vCPU, "
                     f"{DEFAULT_TIMEOUT_MINUTES} minutes) are likely too small (fast mode of this notebook: "
                     f"{_figures(measured.get('fast'))}).")
    else:
        lines.append(f"Gradescope settings for notebook {number} in {mode} mode: {chosen}"
                     + (" (Gradescope's defaults are enough)." if chosen.fits_defaults else
                        f" (Gradescope's defaults, {DEFAULT_MEMORY_MB} MB, {DEFAULT_CPUS:g} vCPU and "
                        f"{DEFAULT_TIMEOUT_MINUTES} minutes, are not: set these in the autograder's settings)."))
    for each in ("full", "fast"):
        lines.append(f"  measured, {each} mode: {_figures(measured.get(each))}")
    fitting = [each for each in ("full", "fast")
               if (s := settings_for(measured.get(each))) is not None and s.fits_defaults]
    if fitting:
        lines.append(f"  {fitting[0]} mode fits Gradescope's defaults.")
    else:
        fast_settings = settings_for(measured.get("fast"))
        lines.append("  Neither mode fits Gradescope's defaults"
                     + (f"; fast mode needs the least ({fast_settings})." if fast_settings else "."))
    lines.append(f"  (measured on {costs.get('measured_on', '?')}, {costs.get('date', '?')}, with "
                 f"{costs.get('command', '?')}; margins: memory x{MEMORY_MARGIN:g}, time x{TIME_MARGIN:g})")
    return "\n".join(lines)
