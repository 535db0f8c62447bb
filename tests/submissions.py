"""Submissions of notebook 01 for the instructor tests (exports, statistics, parallel grading).

Notebook 01 trains nothing, so grading one takes seconds. Each submission is the solution
notebook with some answers replaced (the lines between the solution markers) and the rest
stubbed, as a student would hand it in.
"""

from __future__ import annotations

from pathlib import Path

import nbformat

from conftest import SOLUTIONS
from mnist_course.tools.student import BEGIN_MARKER, END_MARKER, EXERCISE_TAG, make_student_notebook

NOTEBOOK_01 = SOLUTIONS / "01_meet_the_data.ipynb"
EXERCISES_01 = ("1.1", "1.2", "1.3", "1.4")
#: Plausible wrong answers, each with a phrase of the hint the check gives for it.
WRONG = {
    "1.1": ("shapes = (x_train.shape, x_test.shape, y_train.shape, y_test.shape)", "in another order"),
    "1.2": ("class_counts = np.bincount(y_test, minlength=10)", "counts of the test set"),
    "1.3": ("pixel_min, pixel_max = x_test.min(), x_test.max()\n"
            "pixel_mean, pixel_std = x_test.mean(), x_test.std()", "match the test images"),
}


def _answer_lines(source: str, code: str) -> str:
    lines, kept, inside = source.split("\n"), [], False
    for line in lines:
        if line.strip() == BEGIN_MARKER:
            inside = True
            kept.extend(code.split("\n"))
        elif line.strip() == END_MARKER:
            inside = False
        elif not inside:
            kept.append(line)
    return "\n".join(kept)


def submission(answers: dict[str, str] | None = None, *, right: tuple[str, ...] = EXERCISES_01,
               solution: Path = NOTEBOOK_01) -> nbformat.NotebookNode:
    """Notebook 01 with the solution's answer for each exercise in ``right``, the code given in
    ``answers`` for others, and the student stub for the rest."""
    answers = answers or {}
    notebook = nbformat.read(solution, as_version=4)
    stubbed = make_student_notebook(notebook)
    for cell, stub in zip(notebook.cells, stubbed.cells):
        tags = [m.group(1) for m in map(EXERCISE_TAG.match, cell.metadata.get("tags", [])) if m]
        if not tags or BEGIN_MARKER not in cell.source:
            continue
        if tags[0] in answers:
            cell.source = _answer_lines(cell.source, answers[tags[0]])
        elif tags[0] not in right:
            cell.source = stub.source
        else:
            cell.source = _answer_lines(cell.source, _solution_of(cell.source))
    return notebook


def _solution_of(source: str) -> str:
    lines = source.split("\n")
    start = next(i for i, line in enumerate(lines) if line.strip() == BEGIN_MARKER)
    end = next(i for i, line in enumerate(lines) if line.strip() == END_MARKER)
    return "\n".join(lines[start + 1:end])


def write(notebook: nbformat.NotebookNode, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)
    return path


def class_folder(folder: Path, count: int = 10) -> list[Path]:
    """``count`` submissions of notebook 01 with mixed answers (some right, some wrong, some not
    attempted), named student01.ipynb, ...; the same every time."""
    mixes = [
        ({}, EXERCISES_01),                                     # everything right
        ({"1.2": WRONG["1.2"][0]}, EXERCISES_01),               # test-set counts
        ({}, ("1.1", "1.2")),                                   # stopped half way
        ({"1.1": WRONG["1.1"][0]}, EXERCISES_01),               # shapes in another order
        ({"1.2": WRONG["1.2"][0], "1.3": WRONG["1.3"][0]}, EXERCISES_01),
        ({}, ()),                                               # nothing done
        ({}, EXERCISES_01),
        ({"1.2": WRONG["1.2"][0]}, ("1.1", "1.2", "1.3")),
        ({"1.3": WRONG["1.3"][0]}, EXERCISES_01),
        ({}, ("1.1",)),
    ]
    return [write(submission(mixes[i % len(mixes)][0], right=mixes[i % len(mixes)][1]), folder / f"student{i + 1:02d}.ipynb")
            for i in range(count)]
