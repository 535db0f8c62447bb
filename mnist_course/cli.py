"""The ``mnist-course`` command (also ``python -m mnist_course``).

Subcommands:

``grade PATH``
    Grade a notebook, or every notebook in a folder of submissions, with the course's own
    checks (see :mod:`mnist_course.grade`). Prints a table; exits 0 when every exercise
    passed, 1 when one did not, 2 on bad input. ``--jobs N`` grades N at once, ``--stats
    FILE.md`` writes the class statistics (see :mod:`mnist_course.cli_instructor`).

``export nbgrader DIR``, ``export gradescope FILE.zip``, ``notebooks [DIR]``
    The exports to nbgrader and Gradescope, and copying out the packaged student notebooks
    (see :mod:`mnist_course.cli_instructor`).

Example:
    $ mnist-course grade notebooks/01_meet_the_data.ipynb
    $ mnist-course grade submissions/ --csv grades.csv --json grades.json
    $ MNIST_COURSE_FAST=1 python -m mnist_course grade notebooks/02_logistic_regression.ipynb --executed feedback.ipynb
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mnist_course import cli_instructor as instructor

EXIT_OK, EXIT_NOT_ALL_PASSED, EXIT_BAD_INPUT = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    from mnist_course.grade import DEFAULT_TIMEOUTS

    parser = argparse.ArgumentParser(
        prog="mnist-course", description="Tools for the mnist-course notebooks.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    full, fast = DEFAULT_TIMEOUTS["full"], DEFAULT_TIMEOUTS["fast"]
    grade = commands.add_parser(
        "grade", help="grade a notebook, or a folder of submitted notebooks",
        description="Execute a copy of each notebook in a fresh kernel and grade every exercise "
                    "with the course's own checks, judged in a separate clean process: passed, "
                    "failed (with the check's hint), not attempted, not reached, timed out, or "
                    "tampered (its check cell was changed, or code replaces the course's checks). "
                    "Nothing is overwritten: outputs must be new files outside the submissions. "
                    "Exit code: 0 when everything passed, 1 when something did not, 2 on bad input.")
    grade.add_argument("path", type=Path, help="a notebook (.ipynb), or a folder of them (searched recursively)")
    grade.add_argument("--json", type=Path, metavar="FILE", help="also write the report as JSON (a new file)")
    grade.add_argument("--csv", type=Path, metavar="FILE",
                       help="also write one row per notebook, one column per exercise (a new file)")
    grade.add_argument("--executed", type=Path, metavar="FILE",
                       help="save the executed copy (with the checks' output) for feedback; for a "
                            "folder, a folder outside it to save one new copy per notebook in")
    mode = grade.add_mutually_exclusive_group()
    mode.add_argument("--fast", dest="fast", action="store_true", default=None,
                      help="fast mode: a 10%% sample of the data, at most 2 epochs "
                           "(default: the MNIST_COURSE_FAST environment variable)")
    mode.add_argument("--full", dest="fast", action="store_false", help="full mode: all data, all epochs")
    grade.add_argument("--cell-timeout", type=int, metavar="SECONDS",
                       help=f"time limit of one cell (default {full[0]} s, {fast[0]} s in fast mode)")
    grade.add_argument("--timeout", type=int, metavar="SECONDS",
                       help=f"time limit of a whole notebook (default {full[1]} s, {fast[1]} s in fast mode)")
    grade.add_argument("--solutions", type=Path, metavar="DIR",
                       help="folder of the course's solution notebooks, whose check cells are the "
                            "reference (default: solutions/ of the course checkout)")
    grade.add_argument("--kernel", default="python3", metavar="NAME",
                       help="Jupyter kernel to run the notebooks in (default python3, the grader's own Python)")
    grade.add_argument("--threads", type=int, metavar="N",
                       help="threads for TensorFlow and OpenMP in the kernel and the judge (default: "
                            "TF_NUM_INTRAOP_THREADS, TF_NUM_INTEROP_THREADS, OMP_NUM_THREADS as set)")
    grade.add_argument("--quiet", action="store_true", help="print no progress lines for a folder")
    instructor.add_grade_options(grade)
    instructor.add_commands(commands)
    return parser


def _grade(args: argparse.Namespace) -> int:
    from mnist_course import grade

    for name in ("cell_timeout", "timeout", "threads", "jobs"):
        value = getattr(args, name)
        if value is not None and value < 1:
            print(f"error: --{name.replace('_', '-')} must be at least 1.", file=sys.stderr)
            return EXIT_BAD_INPUT
    options = dict(solutions=args.solutions, fast=args.fast, cell_timeout=args.cell_timeout,
                   timeout=args.timeout, kernel_name=args.kernel, threads=args.threads)
    path: Path = args.path
    files = [p for p in (args.json, args.csv) if p is not None]
    if args.stats is not None:  # the page and its chart are new files too
        files += [args.stats, args.stats.with_suffix(".png")]
    try:
        if path.is_dir():
            paths = grade.find_submissions(path)
            if not paths:
                raise grade.GradeError(f"{path} holds no notebooks (*.ipynb).")
            folders = [args.executed] if args.executed is not None else []
            grade.check_outputs(paths, path, files, folders)
            if args.executed is not None:  # every feedback copy is a new file
                grade.check_outputs(paths, path, [grade.executed_target(args.executed, p.relative_to(path))
                                                  for p in paths])
        else:
            grade.check_outputs([path], None, files + ([args.executed] if args.executed else []))
    except grade.GradeError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if path.is_dir():
        progress = None if args.quiet else (lambda line: print(line, file=sys.stderr, flush=True))
        if args.jobs > 1:
            reports = instructor.grade_folder_in_parallel(args, paths)
        else:
            reports = grade.grade_many(paths, progress=progress, executed_dir=args.executed, root=path, **options)
        for report in reports:
            print(grade.format_report(report), end="\n\n")
        graded = [r for r in reports if r.error is None]
        all_passed = sum(r.exit_code == 0 for r in reports)
        print(f"{len(reports)} notebooks: {all_passed} with every exercise passed, "
              f"{len(graded) - all_passed} with something to fix, {len(reports) - len(graded)} not graded.")
        single = False
    else:
        try:
            reports = [grade.grade_notebook(path, executed=args.executed, **options)]
        except grade.GradeError as error:
            print(f"error: {error}", file=sys.stderr)
            bad = [grade.Report(notebook=str(path), error=str(error))]
            _write(grade, bad, args, single=True, root=None)
            return EXIT_BAD_INPUT
        print(grade.format_report(reports[0]))
        single = True
    if not _write(grade, reports, args, single, root=path if path.is_dir() else None):
        return EXIT_BAD_INPUT
    if args.stats:
        instructor.write_stats(args, reports)
    if any(r.error is not None for r in reports):
        return EXIT_NOT_ALL_PASSED
    return EXIT_OK if all(r.exit_code == 0 for r in reports) else EXIT_NOT_ALL_PASSED


def _write(grade, reports, args: argparse.Namespace, single: bool, root: Path | None) -> bool:
    """Write the JSON and CSV asked for (new files only); False if one could not be written."""
    try:
        if args.json:
            grade.write_json(reports, args.json, single)
        if args.csv:
            grade.write_csv(reports, args.csv, root=root)
    except grade.GradeError as error:
        print(f"error: {error}", file=sys.stderr)
        return False
    return True


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``mnist-course``; returns the exit code."""
    args = _parser().parse_args(argv)
    if args.command == "grade":
        return _grade(args)
    if args.command in instructor.COMMANDS:
        return instructor.run(args)
    return EXIT_BAD_INPUT  # pragma: no cover - argparse only accepts known commands


if __name__ == "__main__":
    sys.exit(main())
