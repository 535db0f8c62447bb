"""The instructors' and installers' parts of the ``mnist-course`` command.

``export nbgrader DIR``
    The solution notebooks with nbgrader's cell metadata, ready for ``nbgrader generate_assignment``.
``export gradescope FILE.zip``
    A Gradescope autograder for the course.
``notebooks [DIR]``
    Copy the student notebooks that ship in the package into ``DIR``.
``grade DIR --jobs N --stats FILE.md``
    Options of ``grade``: several submissions at once, and the class statistics page.

Example:
    $ mnist-course export nbgrader nbgrader-course/source/ps1 --notebook 01
    $ mnist-course export gradescope autograder.zip --notebook 01
    $ mnist-course notebooks
    $ mnist-course grade submissions/ --jobs 2 --stats stats.md
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

EXIT_OK, EXIT_BAD_INPUT = 0, 2
COMMANDS = ("export", "notebooks")


def add_grade_options(grade: argparse.ArgumentParser) -> None:
    """``--jobs`` and ``--stats`` of ``mnist-course grade``."""
    grade.add_argument("--jobs", type=int, default=1, metavar="N",
                       help="for a folder: grade N submissions at once, each in a process of its own, "
                            "with the CPU cores split between them (default 1)")
    grade.add_argument("--stats", type=Path, metavar="FILE.md",
                       help="for a folder: write the class statistics (share passed, failed, not "
                            "attempted, not reached per exercise; frequent failure messages) to "
                            "FILE.md, with its chart beside it as FILE.png")


def add_commands(commands) -> None:
    """The ``export`` and ``notebooks`` subcommands."""
    from mnist_course.notebooks import DEFAULT_FOLDER

    export = commands.add_parser("export", help="export the course to nbgrader or Gradescope",
                                 description="Export the course to the autograding tools instructors run.")
    kinds = export.add_subparsers(dest="kind", required=True, metavar="TOOL")
    nbgrader = kinds.add_parser(
        "nbgrader", help="solution notebooks with nbgrader's cell metadata",
        description="Write the solution notebooks with nbgrader's cell metadata (answers as "
                    "solution cells, check cells as locked autograder tests worth 1 point, the "
                    "rest locked) into DIR, e.g. COURSE/source/ps1, for nbgrader generate_assignment.")
    nbgrader.add_argument("directory", type=Path, metavar="DIR")
    nbgrader.add_argument("--notebook", action="append", metavar="NN",
                          help="only this course notebook (repeat for more; default all)")
    nbgrader.add_argument("--solutions", type=Path, metavar="DIR",
                          help="the solution notebooks (default: solutions/ of the course checkout)")
    gradescope = kinds.add_parser(
        "gradescope", help="a Gradescope autograder zip",
        description="Write a Gradescope autograder (setup.sh, run_autograder, the course's wheel "
                    "without solutions): one test per exercise, the check's message as its output.")
    gradescope.add_argument("zip", type=Path, metavar="FILE.zip")
    gradescope.add_argument("--notebook", action="append", metavar="NN",
                            help="course notebook of the assignment (repeat for more; default all)")
    gradescope.add_argument("--fast", action="store_true",
                            help="grade in fast mode (10%% sample, 2 epochs); default full mode")
    gradescope.add_argument("--visibility", default="visible",
                            choices=("visible", "hidden", "after_due_date", "after_published"),
                            help="when students see the tests' results (default visible)")
    gradescope.add_argument("--cell-timeout", type=int, metavar="SECONDS")
    gradescope.add_argument("--timeout", type=int, metavar="SECONDS")
    notebooks = commands.add_parser(
        "notebooks", help="copy the student notebooks into a folder",
        description="Copy the course's student notebooks into DIR. A notebook that is already "
                    "there with other content is kept unless you say yes (or give --force); a "
                    "replaced one is first copied to DIR/backup/.")
    notebooks.add_argument("directory", type=Path, nargs="?", default=Path(DEFAULT_FOLDER), metavar="DIR",
                           help=f"where to put them (default ./{DEFAULT_FOLDER})")
    notebooks.add_argument("--force", action="store_true",
                           help="replace notebooks that differ without asking (after a backup)")


def run(args: argparse.Namespace) -> int:
    if args.command == "notebooks":
        return _notebooks(args)
    if args.kind == "nbgrader":
        return _export_nbgrader(args)
    return _export_gradescope(args)


def _error(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT


def _export_nbgrader(args: argparse.Namespace) -> int:
    from mnist_course.export import nbgrader
    from mnist_course.export.wheel import CHECKOUT
    from mnist_course.student import NotebookError

    try:
        written = nbgrader.export(args.solutions or CHECKOUT / "solutions", args.directory, args.notebook)
    except NotebookError as error:
        return _error(str(error))
    for path in written:
        print(f"wrote {path}")
    print(f"Next: put {args.directory} at COURSE/source/ASSIGNMENT/ and run `nbgrader generate_assignment ASSIGNMENT`.")
    return EXIT_OK


def _export_gradescope(args: argparse.Namespace) -> int:
    from mnist_course.export import gradescope
    from mnist_course.export.wheel import BuildError

    try:
        path = gradescope.export(args.zip, args.notebook, fast=args.fast, visibility=args.visibility,
                                 cell_timeout=args.cell_timeout, timeout=args.timeout)
    except (ValueError, BuildError) as error:
        return _error(str(error))
    print(f"wrote {path}: upload it as the autograder of a Gradescope programming assignment "
          f"(base image Ubuntu 24.04).")
    return EXIT_OK


def _ask(path: Path) -> bool:
    answer = input(f"{path} exists and differs from the course's copy. Replace it (the old one "
                   f"goes to {path.parent / 'backup'}/)? [y/N] ")
    return answer.strip().lower() in ("y", "yes")


def _notebooks(args: argparse.Namespace) -> int:
    from mnist_course.notebooks import copy_notebooks, notebook_files

    interactive = sys.stdin.isatty() and not args.force
    try:
        result = copy_notebooks(args.directory, force=args.force, ask=_ask if interactive else None)
    except (OSError, FileNotFoundError) as error:
        return _error(str(error))
    print(f"The course's student notebooks, from {notebook_files()[0].parent}:")
    for path in result.written:
        print(f"wrote {path}")
    for path in result.unchanged:
        print(f"unchanged {path}")
    for path in result.backups:
        print(f"kept your old version at {path}")
    for path in result.kept:
        print(f"kept {path}: it differs from the course's copy (your work?); not replaced. "
              f"--force replaces it after a backup.")
    print(f"Next: jupyter lab {args.directory}")
    return EXIT_OK


def grade_folder_in_parallel(args: argparse.Namespace, paths: list[Path]):
    """The reports of ``mnist-course grade DIR --jobs N`` (N > 1), in the order of ``paths``."""
    from mnist_course import mode
    from mnist_course.grade import DEFAULT_TIMEOUTS
    from mnist_course.parallel import GRACE_SECONDS, grade_parallel

    arguments = []
    if args.fast is not None:
        arguments.append("--fast" if args.fast else "--full")
    for option in ("cell_timeout", "timeout", "solutions", "kernel"):
        value = getattr(args, option)
        if value is not None:
            arguments += [f"--{option.replace('_', '-')}", str(value)]
    fast = mode.is_fast_mode() if args.fast is None else args.fast
    limit = (args.timeout or DEFAULT_TIMEOUTS["fast" if fast else "full"][1]) + GRACE_SECONDS
    return grade_parallel(paths, jobs=args.jobs, arguments=arguments, executed_dir=args.executed,
                          root=args.path, limit=limit, progress=not args.quiet)


def write_stats(args: argparse.Namespace, reports) -> None:
    """``--stats FILE.md``: the class statistics page and its chart."""
    from mnist_course.stats import write_stats as write

    page, image = write(reports, args.stats)
    print(f"Class statistics: {page} (chart {image}).", file=sys.stderr)
