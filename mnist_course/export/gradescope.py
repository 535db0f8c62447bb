"""Gradescope autograders for the course (``mnist-course export gradescope TARGET``).

One autograder per course notebook: ``--notebook 01 autograder.zip`` writes one zip, and
without ``--notebook`` a folder gets seven, ``01_meet_the_data.zip`` ... Each zip holds, at its
root (Gradescope's layout, https://gradescope-autograders.readthedocs.io/en/latest/specs/):

- ``setup.sh``: run once when Gradescope builds the image: installs bubblewrap (for the
  grader's sandbox) with apt, finds Python 3.11-3.13, makes a virtual environment
  ``$AUTOGRADER_ROOT/venv``, installs the course from the wheel in the zip (the package and
  the student notebooks, never the solutions) and fetches MNIST;
- ``run_autograder``: run for every submission: says whether the grader's sandbox can be made
  (``python -m mnist_course sandbox``), grades the submitted
  notebook with the course's grader and writes ``results/results.json``;
- ``autograder.json``: the course notebook of the assignment, its exercises (one test, one
  point each), the mode (full or fast), the time limits and the tests' visibility;
- ``README.md``: the memory, CPU and timeout to set in Gradescope's settings, from the
  measured cost of grading that notebook in that mode (:mod:`mnist_course.export.costs`);
- the course's wheel.

What a student submits is looked at file by file, and every message names its file: the
course notebook is graded (one test per exercise); a second copy of it, a notebook of another
course notebook, a file that is not a notebook (a ``.py``, an HTML page saved as ``.ipynb``)
is named with what is wrong and not graded. When no notebook of the assignment was submitted,
there are no tests, score 0 and a line that says what to submit. ``results.json`` says its
output is plain text (``output_format``), so nothing a student wrote is read as HTML.

Both scripts take their root from the environment variable ``AUTOGRADER_ROOT`` (default
``/autograder``), so the autograder can be tried on any folder laid out like Gradescope's.

Example:
    $ mnist-course export gradescope autograder.zip --notebook 01
    $ mnist-course export gradescope autograders/              # seven zips, one per notebook
    $ python -m mnist_course.export.gradescope run --root /autograder     # what run_autograder does
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
import zipfile
from pathlib import Path

import nbformat

from mnist_course import grade
from mnist_course.export.costs import advice
from mnist_course.export.wheel import CHECKOUT, build_wheel
from mnist_course.grade.results import PASSED, result_line, results_of, summary
from mnist_course.tools.ipynb import CHECK_TAG, exercise_ids

CONFIG = "autograder.json"
VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")

SETUP_SH = r"""#!/usr/bin/env bash
# Gradescope runs this once, as root, while it builds the autograder's image (Ubuntu).
# It installs bubblewrap (the grader's sandbox) and the mnist-course package (no solutions)
# into $AUTOGRADER_ROOT/venv.
set -euo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
SOURCE="$(cd "$(dirname "$0")" && pwd)"
if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    # bubblewrap: the grader runs each notebook in a sandbox made with it, when it can
    apt-get update && apt-get install -y bubblewrap \
        || echo "warning: could not install bubblewrap; notebooks are graded without the sandbox" >&2
fi
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
# Gradescope runs this for every submission: grade submission/ with the course's own checks
# and write results/results.json. MNIST_COURSE_PYTHON overrides the Python to use.
ROOT="${AUTOGRADER_ROOT:-/autograder}"
PYTHON="${MNIST_COURSE_PYTHON:-$ROOT/venv/bin/python}"
cd "$ROOT"
SANDBOX=""
# one line: whether the grader can run notebooks in a bubblewrap sandbox here
SANDBOX="$("$PYTHON" -m mnist_course sandbox 2>&1 | head -n 1)"
echo "$SANDBOX"
exec "$PYTHON" -m mnist_course.export.gradescope run --root "$ROOT" --config "$ROOT/source/autograder.json" \
    --sandbox-line "$SANDBOX"
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


@dataclasses.dataclass
class Autograder:
    """One autograder written: its zip, its notebook and the settings advice in its README."""

    path: Path
    number: str
    advice: str


def readme(config: dict, settings: str) -> str:
    """The zip's README: what it grades, and the settings to use in Gradescope."""
    number, = config["notebooks"]
    notebook = config["notebooks"][number]
    mode = "fast (a 10 % sample, at most 2 epochs)" if config["fast"] else "full (all data, every epoch)"
    return (f"# Gradescope autograder: mnist-course notebook {number}\n\n"
            f"Grades `{notebook['file']}` ({len(notebook['exercises'])} exercises, one test and one point "
            f"each) in {mode} mode, with the course's own checks. Students submit that one .ipynb file.\n\n"
            f"Upload this zip as the autograder of a programming assignment; base image Ubuntu 24.04.\n\n"
            f"## Settings\n\n```\n{settings}\n```\n")


def export(target: str | Path, numbers: list[str] | None = None, *, checkout: Path = CHECKOUT,
           **settings) -> list[Autograder]:
    """Write one autograder per course notebook: ``target`` is a ``.zip`` for one notebook
    (``numbers`` names exactly one), otherwise a folder that gets one ``NN_name.zip`` per
    notebook (those in ``numbers``, default all). ``settings`` go to :func:`assignment_config`.
    Existing files are never replaced."""
    import tempfile

    target = Path(target)
    wanted = [f"{int(n):02d}" for n in numbers] if numbers else []
    if target.suffix == ".zip" and len(wanted) != 1:
        raise ValueError(f"{target.name} is one zip, for one notebook: name it with --notebook NN, or give a "
                         f"folder to get one zip per notebook.")
    configs = [assignment_config([n], **settings) for n in (wanted or _all_numbers())]
    zips = [target] if target.suffix == ".zip" else [
        target / (Path(next(iter(c["notebooks"].values()))["file"]).stem + ".zip") for c in configs]
    existing = [str(z) for z in zips if z.exists()]
    if existing:
        raise ValueError(f"{', '.join(existing)} already exist{'s' if len(existing) == 1 else ''}; "
                         f"nothing is overwritten. Fix: remove it or choose another name.")
    written = []
    with tempfile.TemporaryDirectory(prefix="mnist-course-gradescope-") as scratch:
        wheel = build_wheel(Path(scratch), checkout)
        for config, path in zip(configs, zips):
            number, = config["notebooks"]
            text = advice(number, config["fast"])
            _write_zip(path, config, wheel, readme(config, text))
            written.append(Autograder(path, number, text))
    return written


def _all_numbers() -> list[str]:
    from mnist_course.tools.install import notebook_files

    return sorted(f.name[:2] for f in notebook_files())


def _write_zip(target: Path, config: dict, wheel: Path, readme_text: str) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(target, "x", zipfile.ZIP_DEFLATED) as archive:
        for name, text in (("setup.sh", SETUP_SH), ("run_autograder", RUN_AUTOGRADER)):
            info = zipfile.ZipInfo(name, date_time=time.localtime()[:6])
            info.external_attr = 0o100755 << 16  # executable, as Gradescope needs
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, text)
        archive.writestr(CONFIG, json.dumps(config, indent=2) + "\n")
        archive.writestr("README.md", readme_text)
        archive.write(wheel, wheel.name)


# ------------------------------------------------------------------------------------------
# run_autograder
# ------------------------------------------------------------------------------------------

#: Files of the submission that are no one's work (macOS and Jupyter leave them).
IGNORED_PARTS = ("__MACOSX", ".ipynb_checkpoints")


@dataclasses.dataclass
class Sorted:
    """A submission's files, sorted: what to grade, and a message for every other file."""

    to_grade: dict[str, Path] = dataclasses.field(default_factory=dict)  # number -> the notebook graded
    problems: list[str] = dataclasses.field(default_factory=list)
    looked_at: list[str] = dataclasses.field(default_factory=list)


def sort_submission(folder: Path, config: dict) -> Sorted:
    """Look at every file of ``folder``: a notebook of the assignment is graded (one per course
    notebook); every other file gets a message that names it and says what is wrong."""
    result = Sorted()
    files = sorted(p for p in folder.rglob("*") if p.is_file()
                   and not any(part in IGNORED_PARTS or part.startswith(".") for part in p.relative_to(folder).parts))
    found: dict[str, list[Path]] = {}
    for path in files:
        name = str(path.relative_to(folder))
        result.looked_at.append(name)
        if path.suffix.lower() != ".ipynb":
            result.problems.append(f"{name} is not a Jupyter notebook ({path.suffix or 'no extension'}): not "
                                   f"graded. Submit the .ipynb file itself, saved from Jupyter.")
            continue
        number, why = _course_number(path)
        if number is None:
            result.problems.append(f"{name} {why}: not graded.")
        else:
            found.setdefault(number, []).append(path)
    for number, paths in sorted(found.items()):
        expected = config["notebooks"].get(number)
        if expected is None:
            for path in paths:
                result.problems.append(
                    f"{path.relative_to(folder)} is course notebook {number}, which is not part of this assignment "
                    f"(notebook {', '.join(config['notebooks'])}): not graded.")
            continue
        named = [p for p in paths if p.name == expected["file"]]
        chosen = (named or paths)[0]
        result.to_grade[number] = chosen
        for other in paths:
            if other != chosen:
                result.problems.append(
                    f"{other.relative_to(folder)} is a second copy of notebook {number}: not graded; only "
                    f"{chosen.relative_to(folder)} was" + (" (it has the course's file name)." if named else
                                                           " (the first by name).")
                    + " Submit one copy.")
    return result


def _course_number(path: Path) -> tuple[str | None, str]:
    """The course notebook a file is (from its exercise tags), or None and what it is instead."""
    head = path.read_bytes()[:2048].lstrip()
    if head[:1] == b"<":
        return None, ("is an HTML page saved with the .ipynb extension, not a notebook; in Jupyter use "
                      "File > Save (or Download) and submit that .ipynb file")
    try:
        notebook = nbformat.read(path, as_version=4)
    except Exception as error:  # not JSON, or not a notebook
        return None, f"is not a valid Jupyter notebook ({error.__class__.__name__}); submit the file saved from Jupyter"
    ids = exercise_ids(notebook) + exercise_ids(notebook, CHECK_TAG)
    numbers = sorted({f"{int(ident.split('.')[0]):02d}" for ident in ids})
    if len(numbers) == 1:
        return numbers[0], ""
    if numbers:
        return None, f"mixes exercises of course notebooks {', '.join(numbers)}"
    return None, ("is a notebook without the course's exercise tags (was it started from the course's "
                  "notebook?)")


def _output(result: grade.ExerciseResult, name: str) -> str:
    lines = [result_line(result)]
    lines += [f"Tampering: {text}" for text in getattr(result, "tampering", [])]
    return "\n".join(lines + [f"(graded from {name})"])


def results_json(reports: list[grade.Report], config: dict, seconds: float, problems: list[str] | None = None,
                 looked_at: list[str] | None = None, sandbox: str = "") -> dict:
    """Gradescope's results: one test per exercise of each submitted course notebook of the
    assignment, one point each; the top-level output says what was graded, and what was not
    and why, naming each file."""
    visibility = config.get("visibility", "visible")
    tests, graded, notes = [], [], []
    by_number = {}
    for report in reports:
        number = _number_of(report) if report.error is None else None
        name = Path(report.notebook).name
        if report.error is not None:
            notes.append(f"{name} could not be graded: {report.error}")
        elif number not in config["notebooks"]:
            notes.append(f"{name} is course notebook {number}, which is not part of this assignment: not counted.")
        else:
            by_number[number] = report
    for number, expected in config["notebooks"].items():
        report = by_number.get(number)
        if report is None:
            continue
        name = Path(report.notebook).name
        results = {r.exercise: r for r in results_of(report)}
        graded.append(f"Graded {name} as notebook {number}: {summary(report)}.")
        for exercise in expected["exercises"]:
            result = results.get(exercise)
            passed = result is not None and result.status == PASSED
            output = _output(result, name) if result else f"Exercise {exercise} is missing from {name}."
            tests.append({"name": f"Exercise {exercise}", "number": exercise, "score": 1.0 if passed else 0.0,
                          "max_score": 1.0, "status": "passed" if passed else "failed",
                          "output": output, "output_format": "text", "visibility": visibility})
    notes += problems or []
    missing = [n for n in config["notebooks"] if n not in by_number]
    for number in missing:
        expected = config["notebooks"][number]
        seen = f" (submitted: {', '.join(looked_at)})" if looked_at else " (nothing was submitted)"
        notes.append(f"No notebook {number} was graded{seen}: score 0. Submit {expected['file']}, saved from "
                     f"Jupyter, as one .ipynb file.")
    return {"score": sum(t["score"] for t in tests), "execution_time": round(seconds),
            "output": "\n".join(([sandbox] if sandbox else []) + graded + notes), "output_format": "text", "test_output_format": "text",
            "visibility": visibility, "stdout_visibility": "hidden", "tests": tests}


def _number_of(report: grade.Report) -> str | None:
    results = results_of(report)
    return f"{int(results[0].exercise.split('.')[0]):02d}" if results else None


def run(root: Path, config_path: Path, sandbox: str = "") -> dict:
    """Grade what was submitted in ``root/submission`` and write ``root/results/results.json``."""
    started = time.monotonic()
    config = json.loads(config_path.read_text(encoding="utf-8"))
    submission = root / "submission"
    found = sort_submission(submission, config) if submission.is_dir() else Sorted()
    options = dict(fast=config.get("fast", False), cell_timeout=config.get("cell_timeout"),
                   timeout=config.get("timeout"))
    paths = list(found.to_grade.values())
    reports = grade.grade_many(paths, progress=lambda line: print(line, flush=True), root=submission, **options)
    for report in reports:
        print(grade.format_report(report), end="\n\n")
    results = results_json(reports, config, time.monotonic() - started, found.problems, found.looked_at, sandbox)
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
    runner.add_argument("--sandbox-line", default="", help="what the sandbox check said (for the output)")
    args = parser.parse_args(argv)
    results = run(args.root, args.config or args.root / "source" / CONFIG, args.sandbox_line.strip())
    print(f"score {results['score']:g} of {sum(t['max_score'] for t in results['tests']):g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
