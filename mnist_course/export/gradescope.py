"""A Gradescope autograder for the course (``mnist-course export gradescope FILE.zip``).

The zip holds, at its root (Gradescope's layout, see
https://gradescope-autograders.readthedocs.io/en/latest/specs/):

- ``setup.sh``: run once when Gradescope builds the image: finds Python 3.11-3.13, makes a
  virtual environment ``$AUTOGRADER_ROOT/venv``, installs the course from the wheel in the
  zip (the package and the student notebooks, never the solutions) and fetches MNIST;
- ``run_autograder``: run for every submission: grades each ``submission/*.ipynb`` with the
  course's grader and writes ``results/results.json``;
- ``autograder.json``: which course notebooks the assignment holds, their exercises (one test,
  one point each), the mode (full or fast), the time limits and the tests' visibility;
- the course's wheel.

Both scripts take their root from the environment variable ``AUTOGRADER_ROOT`` (default
``/autograder``), so the autograder can be tried on any folder laid out like Gradescope's.

Example:
    $ mnist-course export gradescope autograder.zip --notebook 01 --notebook 02
    $ python -m mnist_course.export.gradescope run --root /autograder     # what run_autograder does
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import zipfile
from pathlib import Path

import nbformat

from mnist_course import grade
from mnist_course.export.wheel import CHECKOUT, build_wheel
from mnist_course.grade.results import PASSED, results_of, summary
from mnist_course.tools.ipynb import exercise_ids

CONFIG = "autograder.json"
VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")

SETUP_SH = r"""#!/usr/bin/env bash
# Gradescope runs this once, as root, while it builds the autograder's image (Ubuntu).
# It installs the mnist-course package (no solutions) into $AUTOGRADER_ROOT/venv.
set -euo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
SOURCE="$(cd "$(dirname "$0")" && pwd)"
find_python() {
    for candidate in python3.13 python3.12 python3.11 python3; do
        if command -v "$candidate" >/dev/null && "$candidate" -c \
            'import sys; sys.exit(not ((3, 11) <= sys.version_info[:2] <= (3, 13)))'; then
            command -v "$candidate"; return 0
        fi
    done
    return 1
}
PYTHON="$(find_python || true)"
if [ -z "$PYTHON" ] && command -v apt-get >/dev/null; then
    apt-get update && apt-get install -y python3 python3-venv python3-pip
    PYTHON="$(find_python || true)"
fi
if [ -z "$PYTHON" ]; then
    echo "mnist-course needs Python 3.11, 3.12 or 3.13: choose the Ubuntu 24.04 base image in the autograder settings." >&2
    exit 1
fi
"$PYTHON" -m venv "$ROOT/venv"
"$ROOT/venv/bin/python" -m pip install --upgrade pip
"$ROOT/venv/bin/python" -m pip install "$SOURCE"/mnist_course-*.whl
"$ROOT/venv/bin/python" -m mnist_course.data   # downloads MNIST into Keras's cache now, not per submission
"""

RUN_AUTOGRADER = r"""#!/usr/bin/env bash
# Gradescope runs this for every submission: grade submission/*.ipynb with the course's own
# checks and write results/results.json. MNIST_COURSE_PYTHON overrides the Python to use.
ROOT="${AUTOGRADER_ROOT:-/autograder}"
PYTHON="${MNIST_COURSE_PYTHON:-$ROOT/venv/bin/python}"
cd "$ROOT"
exec "$PYTHON" -m mnist_course.export.gradescope run --root "$ROOT" --config "$ROOT/source/autograder.json"
"""


def assignment_config(numbers: list[str], *, fast: bool = False, visibility: str = "visible",
                      cell_timeout: int | None = None, timeout: int | None = None) -> dict:
    """The assignment's settings: each course notebook's title and exercises, the mode, limits."""
    from mnist_course.tools.install import notebook_files

    if visibility not in VISIBILITIES:
        raise ValueError(f"visibility must be one of {', '.join(VISIBILITIES)}, got {visibility!r}.")
    files = {f.name[:2]: f for f in notebook_files()}
    wanted = [f"{int(n):02d}" for n in numbers] if numbers else sorted(files)
    unknown = [n for n in wanted if n not in files]
    if unknown:
        raise ValueError(f"the course has no notebook {', '.join(unknown)} (it has {', '.join(sorted(files))}).")
    notebooks = {}
    for number in wanted:
        with files[number].open("r", encoding="utf-8") as handle:
            notebook = nbformat.read(handle, as_version=4)
        notebooks[number] = {"file": files[number].name, "exercises": exercise_ids(notebook)}
    return {"notebooks": notebooks, "fast": fast, "visibility": visibility,
            "cell_timeout": cell_timeout, "timeout": timeout}


def export(target: str | Path, numbers: list[str] | None = None, *, checkout: Path = CHECKOUT,
           **settings) -> Path:
    """Write the autograder zip ``target``; ``numbers`` are the course notebooks of the
    assignment (default all), ``settings`` go to :func:`assignment_config`."""
    import tempfile

    target = Path(target)
    config = assignment_config(numbers or [], **settings)
    with tempfile.TemporaryDirectory(prefix="mnist-course-gradescope-") as scratch:
        wheel = build_wheel(Path(scratch), checkout)
        target.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, text in (("setup.sh", SETUP_SH), ("run_autograder", RUN_AUTOGRADER)):
                info = zipfile.ZipInfo(name, date_time=time.localtime()[:6])
                info.external_attr = 0o100755 << 16  # executable, as Gradescope needs
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, text)
            archive.writestr(CONFIG, json.dumps(config, indent=2) + "\n")
            archive.write(wheel, wheel.name)
    return target


# ------------------------------------------------------------------------------------------
# run_autograder
# ------------------------------------------------------------------------------------------

def _number_of(report: grade.Report) -> str | None:
    results = results_of(report)
    return f"{int(results[0].exercise.split('.')[0]):02d}" if results else None


def _output(result: grade.ExerciseResult) -> str:
    lines = [result.status.capitalize() + "."]
    if result.detail:
        lines.append(result.detail)
    lines += [f"Tampering: {text}" for text in getattr(result, "tampering", [])]
    return "\n".join(lines)


def results_json(reports: list[grade.Report], config: dict, seconds: float) -> dict:
    """Gradescope's results: one test per exercise of the assignment, one point each."""
    visibility = config.get("visibility", "visible")
    by_number: dict[str, grade.Report] = {}
    for report in reports:
        number = _number_of(report) if report.error is None else None
        if number and (number not in by_number or _passed(report) > _passed(by_number[number])):
            by_number[number] = report
    errors = [f"{Path(r.notebook).name}: {r.error}" for r in reports if r.error is not None]
    tests, notes = [], []
    for number, expected in config["notebooks"].items():
        report = by_number.get(number)
        if report is None:
            why = ("; ".join(errors) if errors else "no notebook of it was submitted")
            notes.append(f"Notebook {number} ({expected['file']}) could not be graded: {why}. "
                         f"Submit the .ipynb file saved from Jupyter.")
        results = {r.exercise: r for r in results_of(report)} if report else {}
        for exercise in expected["exercises"]:
            result = results.get(exercise)
            passed = result is not None and result.status == PASSED
            output = _output(result) if result else (
                "Not graded: " + ("the exercise is missing from the notebook." if report else notes[-1]))
            tests.append({"name": f"Exercise {exercise}", "number": exercise, "score": 1.0 if passed else 0.0,
                          "max_score": 1.0, "status": "passed" if passed else "failed",
                          "output": output, "visibility": visibility})
        if report is not None:
            notes.append(f"Notebook {number} ({Path(report.notebook).name}): {summary(report)}.")
    for report in reports:
        if report.error is None and _number_of(report) not in config["notebooks"]:
            notes.append(f"{Path(report.notebook).name} is not part of this assignment; not counted.")
    return {"score": sum(t["score"] for t in tests), "execution_time": round(seconds),
            "output": "\n".join(notes), "visibility": visibility, "stdout_visibility": "hidden",
            "tests": tests}


def _passed(report: grade.Report) -> int:
    return sum(r.status == PASSED for r in results_of(report))


def run(root: Path, config_path: Path) -> dict:
    """Grade ``root/submission/**/*.ipynb`` and write ``root/results/results.json``."""
    started = time.monotonic()
    config = json.loads(config_path.read_text(encoding="utf-8"))
    submission = root / "submission"
    paths = grade.find_submissions(submission) if submission.is_dir() else []
    options = dict(fast=config.get("fast", False), cell_timeout=config.get("cell_timeout"),
                   timeout=config.get("timeout"))
    reports = grade.grade_many(paths, progress=lambda line: print(line, flush=True), root=submission, **options)
    for report in reports:
        print(grade.format_report(report), end="\n\n")
    results = results_json(reports, config, time.monotonic() - started)
    target = root / "results" / "results.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return results


def main(argv: list[str] | None = None) -> int:
    """``python -m mnist_course.export.gradescope run --root DIR --config FILE``."""
    parser = argparse.ArgumentParser(description="Gradescope autograder of mnist-course.")
    commands = parser.add_subparsers(dest="command", required=True)
    runner = commands.add_parser("run", help="grade ROOT/submission, write ROOT/results/results.json")
    runner.add_argument("--root", type=Path, default=Path("/autograder"))
    runner.add_argument("--config", type=Path, help=f"default ROOT/source/{CONFIG}")
    args = parser.parse_args(argv)
    results = run(args.root, args.config or args.root / "source" / CONFIG)
    print(f"score {results['score']:g} of {sum(t['max_score'] for t in results['tests']):g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
