"""Class statistics after grading a folder (``mnist-course grade DIR --stats FILE.md``).

For every exercise: the share of submissions that passed, failed, did not attempt it, did
not reach it (and timed out or tampered, when any did), as a table in ``FILE.md`` and a
stacked bar chart in ``FILE.png`` beside it, followed by the most frequent failure messages
of each exercise with their counts: which exercise to revisit, and which misconception the
hints point at.

Example:
    >>> from mnist_course.grade import ExerciseResult, Report
    >>> reports = [Report("a.ipynb", exercises=[ExerciseResult("1.1", "passed")]),
    ...            Report("b.ipynb", exercises=[ExerciseResult("1.1", "failed", "Exercise 1.1: wrong order.")])]
    >>> statistics(reports).shares["1.1"]["passed"]
    0.5
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from pathlib import Path

from mnist_course.grade.results import (
    FAILED, NOT_ATTEMPTED, NOT_REACHED, PASSED, STATUSES, TAMPERED, TIMED_OUT, Report, results_of,
)

#: Statuses always shown, then the rarer ones when they occur.
MAIN_STATUSES = (PASSED, FAILED, NOT_ATTEMPTED, NOT_REACHED)
COLOURS = {PASSED: "#2e7d32", FAILED: "#c62828", NOT_ATTEMPTED: "#9e9e9e",
           NOT_REACHED: "#ef6c00", TIMED_OUT: "#6a1b9a", TAMPERED: "#212121"}
#: How many failure messages to list per exercise.
TOP_MESSAGES = 5


@dataclasses.dataclass
class ClassStatistics:
    """Counts and shares of each status per exercise, and the failure messages counted."""

    submissions: int
    not_graded: list[str]
    statuses: list[str]
    counts: dict[str, Counter]
    messages: dict[str, Counter]

    @property
    def shares(self) -> dict[str, dict[str, float]]:
        return {exercise: {s: counter[s] / max(1, sum(counter.values())) for s in self.statuses}
                for exercise, counter in self.counts.items()}


def _exercise_key(exercise: str) -> tuple:
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"[.]", exercise))


def failure_message(detail: str) -> str:
    """The part of a failed check's detail that names the misconception: its first line."""
    lines = [line.strip() for line in detail.splitlines() if line.strip()]
    return lines[0] if lines else "(no message)"


def statistics(reports: list[Report]) -> ClassStatistics:
    """Count every exercise's statuses and failure messages over ``reports``."""
    counts: dict[str, Counter] = {}
    messages: dict[str, Counter] = {}
    for report in reports:
        if report.error is not None:
            continue
        for result in results_of(report):
            counts.setdefault(result.exercise, Counter())[result.status] += 1
            if result.status == FAILED:
                messages.setdefault(result.exercise, Counter())[failure_message(result.detail)] += 1
    order = sorted(counts, key=_exercise_key)
    seen = {status for counter in counts.values() for status in counter}
    statuses = list(MAIN_STATUSES) + [s for s in STATUSES if s not in MAIN_STATUSES and s in seen]
    return ClassStatistics(
        submissions=len(reports),
        not_graded=[f"{r.notebook}: {r.error}" for r in reports if r.error is not None],
        statuses=statuses,
        counts={exercise: counts[exercise] for exercise in order},
        messages={exercise: messages[exercise] for exercise in order if exercise in messages})


def plot(stats: ClassStatistics, target: Path) -> None:
    """A horizontal stacked bar per exercise: the share of each status (PNG)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    exercises = list(stats.counts)
    figure = Figure(figsize=(7.0, 1.2 + 0.42 * max(1, len(exercises))), dpi=110, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    left = [0.0] * len(exercises)
    for status in stats.statuses:
        widths = [100 * stats.shares[e][status] for e in exercises]
        bars = axes.barh(exercises, widths, left=left, color=COLOURS[status], label=status)
        for bar, width in zip(bars, widths):
            if width >= 8:
                axes.text(bar.get_x() + width / 2, bar.get_y() + bar.get_height() / 2, f"{width:.0f}%",
                          ha="center", va="center", color="white", fontsize=8)
        left = [a + b for a, b in zip(left, widths)]
    graded = stats.submissions - len(stats.not_graded)
    axes.set_title(f"Results per exercise ({graded} graded submissions)")
    axes.set_xlabel("share of submissions (%)")
    axes.set_ylabel("exercise")
    axes.set_xlim(0, 100)
    axes.invert_yaxis()
    axes.legend(ncols=len(stats.statuses), loc="lower center", bbox_to_anchor=(0.5, 1.08),
                fontsize=8, frameon=False)
    figure.savefig(target)


def markdown(stats: ClassStatistics, image: str) -> str:
    """The statistics page: summary, table of shares, the chart, the frequent failures."""
    graded = stats.submissions - len(stats.not_graded)
    lines = ["# Class statistics", "",
             f"{stats.submissions} submissions, {graded} graded"
             + (f", {len(stats.not_graded)} not graded (listed at the end)." if stats.not_graded else "."), "",
             "| Exercise | " + " | ".join(s.capitalize() for s in stats.statuses) + " |",
             "|---|" + "---:|" * len(stats.statuses)]
    for exercise, counter in stats.counts.items():
        total = sum(counter.values())
        cells = [f"{100 * counter[s] / total:.0f}% ({counter[s]})" for s in stats.statuses]
        lines.append(f"| {exercise} | " + " | ".join(cells) + " |")
    lines += ["", f"![Results per exercise]({image})", "", "## Most frequent failure messages", ""]
    if not stats.messages:
        lines.append("No check failed.")
    for exercise, counter in stats.messages.items():
        lines.append(f"**Exercise {exercise}** ({sum(counter.values())} failed)")
        lines.append("")
        for message, count in counter.most_common(TOP_MESSAGES):
            lines.append(f"- {count} × {message}")
        if len(counter) > TOP_MESSAGES:
            lines.append(f"- … and {len(counter) - TOP_MESSAGES} other messages")
        lines.append("")
    if stats.not_graded:
        lines += ["## Not graded", ""] + [f"- {line}" for line in stats.not_graded] + [""]
    return "\n".join(lines).rstrip() + "\n"


def write_stats(reports: list[Report], target: str | Path) -> tuple[Path, Path]:
    """Write the statistics page ``target`` (Markdown) and its chart beside it (same name,
    ``.png``); returns both paths."""
    target = Path(target)
    image = target.with_suffix(".png")
    target.parent.mkdir(parents=True, exist_ok=True)
    stats = statistics(reports)
    plot(stats, image)
    target.write_text(markdown(stats, image.name), encoding="utf-8")
    return target, image
