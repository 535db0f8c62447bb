"""The ``mnist-course`` command (also ``python -m mnist_course``): every subcommand.

``grade PATH``
    Grade a notebook, or every notebook in a folder of submissions, with the course's own
    checks (see :mod:`mnist_course.grade`). Prints a table; exits 0 when every exercise
    passed, 1 when one did not, 2 on bad input. ``--jobs N`` grades N at once
    (:mod:`mnist_course.grade.parallel`), ``--stats FILE.md`` writes the class statistics
    (:mod:`mnist_course.grade.stats`).
``export nbgrader COURSE``, ``export gradescope TARGET``
    The exports to nbgrader (a course folder with its config) and Gradescope (one
    autograder zip per notebook, with the settings to use) (:mod:`mnist_course.export`).
``sandbox``
    One line: whether graded kernels run in a bubblewrap sandbox here (exit 0) or not (exit 1).
``notebooks [DIR]``
    Copy the student notebooks that ship in the package into ``DIR`` and register their
    Jupyter kernel for this Python (:mod:`mnist_course.tools.install`).

Example:
    $ mnist-course grade notebooks/01_meet_the_data.ipynb
    $ mnist-course grade submissions/ --jobs 2 --csv grades.csv --json grades.json --stats stats.md
    $ MNIST_COURSE_FAST=1 python -m mnist_course grade notebooks/02_logistic_regression.ipynb --executed feedback.ipynb
    $ mnist-course export nbgrader nbgrader-course --notebook 01
    $ mnist-course export gradescope autograder.zip --notebook 01
    $ mnist-course export gradescope autograders/
    $ mnist-course notebooks
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

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
    grade.add_argument("--sandbox", choices=("auto", "required", "off"), default="auto",
                       help="run each graded kernel, and the judge, in a bubblewrap sandbox (read-only "
                            "files, no network, own processes): auto (default) where one can be made, "
                            "required (refuse to grade without one), off")
    _add_grade_options(grade)
    _add_commands(commands)
    return parser


def _grade(args: argparse.Namespace) -> int:
    from mnist_course import grade

    for name in ("cell_timeout", "timeout", "threads", "jobs"):
        value = getattr(args, name)
        if value is not None and value < 1:
            print(f"error: --{name.replace('_', '-')} must be at least 1.", file=sys.stderr)
            return EXIT_BAD_INPUT
    from mnist_course.grade import sandbox

    try:
        state = sandbox.resolve(args.sandbox)
    except grade.GradeError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if not state.available:
        print(f"Note: {state.reason}", file=sys.stderr, flush=True)
    args.sandbox_state = state
    options = dict(solutions=args.solutions, fast=args.fast, cell_timeout=args.cell_timeout,
                   timeout=args.timeout, kernel_name=args.kernel, threads=args.threads, sandbox=state)
    path: Path = args.path
    files = [p for p in (args.json, args.csv) if p is not None]
    if args.stats is not None:  # the page and its chart are new files too
        files += [args.stats, args.stats.with_suffix(".png")]
    try:
        if path.is_dir():
            paths = grade.find_submissions(path)
            if not any(p.suffix.lower() == ".ipynb" for p in paths):
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
            reports = _grade_folder_in_parallel(args, paths)
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
        _write_stats(args, reports)
    if any(r.error is not None for r in reports):
        return EXIT_NOT_ALL_PASSED
    return EXIT_OK if all(r.exit_code == 0 for r in reports) else EXIT_NOT_ALL_PASSED


def _write(grade, reports, args: argparse.Namespace, single: bool, root: Path | None) -> bool:
    """Write the JSON and CSV asked for (new files only); False if one could not be written."""
    state = getattr(args, "sandbox_state", None)
    sandbox = None if state is None else {"used": state.available, "reason": state.reason}
    written = True
    for option, write in ((args.json, lambda: grade.write_json(reports, args.json, single, sandbox=sandbox)),
                          (args.csv, lambda: grade.write_csv(reports, args.csv, root=root))):
        if option is None:
            continue
        try:  # one that cannot be written does not keep the other from being written
            write()
        except (grade.GradeError, OSError, ValueError) as error:
            print(f"error: {grade.safe_name(str(error))}", file=sys.stderr)
            written = False
    return written


def _add_grade_options(grade: argparse.ArgumentParser) -> None:
    """``--jobs`` and ``--stats`` of ``mnist-course grade``."""
    grade.add_argument("--jobs", type=int, default=1, metavar="N",
                       help="for a folder: grade N submissions at once, each in a process of its own, "
                            "with the CPU cores split between them (default 1)")
    grade.add_argument("--stats", type=Path, metavar="FILE.md",
                       help="for a folder: write the class statistics (share passed, failed, not "
                            "attempted, not reached per exercise; frequent failure messages) to "
                            "FILE.md, with its chart beside it as FILE.png")


def _add_commands(commands) -> None:
    """The ``export`` and ``notebooks`` subcommands."""
    from mnist_course.tools.install import DEFAULT_FOLDER

    export = commands.add_parser("export", help="export the course to nbgrader or Gradescope",
                                 description="Export the course to the autograding tools instructors run.")
    kinds = export.add_subparsers(dest="kind", required=True, metavar="TOOL")
    nbgrader = kinds.add_parser(
        "nbgrader", help="an nbgrader course folder: config and solution notebooks with nbgrader's metadata",
        description="Write an nbgrader course folder COURSE: nbgrader_config.py (time limits the "
                    "course needs, the kernel) and source/ASSIGNMENT/ with the solution notebooks "
                    "carrying nbgrader's cell metadata (answers as solution cells, check cells as "
                    "locked autograder tests worth 1 point, the rest locked), one assignment per "
                    "notebook unless --assignment names one. COURSE/source/NAME writes assignment "
                    "NAME. Existing files that differ are kept, never overwritten.")
    nbgrader.add_argument("directory", type=Path, metavar="COURSE")
    nbgrader.add_argument("--notebook", action="append", metavar="NN",
                          help="only this course notebook (repeat for more; default all)")
    nbgrader.add_argument("--assignment", metavar="NAME",
                          help="put the notebooks in one assignment NAME (default: one per notebook, named like it)")
    nbgrader.add_argument("--solutions", type=Path, metavar="DIR",
                          help="the solution notebooks (default: solutions/ of the course checkout)")
    gradescope = kinds.add_parser(
        "gradescope", help="Gradescope autograders, one zip per notebook",
        description="Write Gradescope autograders (setup.sh, run_autograder, the course's wheel "
                    "without solutions, a README with the settings to use): one test per exercise, "
                    "the check's message as its output. TARGET is FILE.zip for one notebook "
                    "(--notebook NN), or a folder that gets one zip per notebook. Prints the memory, "
                    "CPU and timeout to set in Gradescope, measured for that notebook and mode.")
    gradescope.add_argument("zip", type=Path, metavar="TARGET")
    gradescope.add_argument("--notebook", action="append", metavar="NN",
                            help="course notebook (one for FILE.zip; repeat for a folder; default all)")
    gradescope.add_argument("--fast", action="store_true",
                            help="grade in fast mode (10%% sample, 2 epochs); default full mode")
    gradescope.add_argument("--visibility", default="visible",
                            choices=("visible", "hidden", "after_due_date", "after_published"),
                            help="when students see the tests' results (default visible)")
    gradescope.add_argument("--cell-timeout", type=int, metavar="SECONDS")
    gradescope.add_argument("--timeout", type=int, metavar="SECONDS")
    commands.add_parser(
        "sandbox", help="say whether graded kernels run in a bubblewrap sandbox here",
        description="Print one line: whether the grader can run notebooks in a bubblewrap sandbox on "
                    "this machine, and why not. Exit code 0 when it can, 1 when not.")
    notebooks = commands.add_parser(
        "notebooks", help="copy the student notebooks into a folder",
        description="Copy the course's student notebooks into DIR. A notebook that is already "
                    "there with other content is kept unless you say yes (or give --force); a "
                    "replaced one is first copied to DIR/backup/.")
    notebooks.add_argument("directory", type=Path, nargs="?", default=Path(DEFAULT_FOLDER), metavar="DIR",
                           help=f"where to put them (default ./{DEFAULT_FOLDER})")
    notebooks.add_argument("--force", action="store_true",
                           help="replace notebooks that differ without asking (after a backup)")
    notebooks.add_argument("--no-kernel", action="store_true",
                           help="do not register the notebooks' Jupyter kernel \"mnist-course\" for this "
                                "Python (by default it is registered, for your user, when it is missing or "
                                "starts another Python; in a terminal you are asked first)")


def _error(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT


def _export_nbgrader(args: argparse.Namespace) -> int:
    from mnist_course.export import nbgrader
    from mnist_course.export.wheel import CHECKOUT
    from mnist_course.tools.install import KERNEL_NAME, kernel_status
    from mnist_course.tools.ipynb import NotebookError

    try:
        done = nbgrader.export_course(args.solutions or CHECKOUT / "solutions", args.directory, args.notebook,
                                      args.assignment)
    except (NotebookError, ValueError, OSError) as error:
        return _error(str(error))
    for path in done.written:
        print(f"wrote {path}")
    for path in done.unchanged:
        print(f"unchanged {path}")
    for path in done.kept:
        print(f"kept {path}: it exists with other content (yours?); not replaced."
              + (f" Make sure it sets c.Execute.timeout = {nbgrader.CELL_TIMEOUT} (nbgrader's default, 30 s per "
                 f"cell, stops a notebook that trains)." if path.name == nbgrader.CONFIG else ""))
    print(f"Time limits (in {done.course / nbgrader.CONFIG}): {nbgrader.CELL_TIMEOUT} s per cell, "
          f"{nbgrader.STARTUP_TIMEOUT} s for a kernel to start.")
    status = kernel_status()
    command = f"python -m ipykernel install --user --name {KERNEL_NAME} --display-name \"Python (mnist-course)\""
    if status.registered:
        print(f"Kernel: the notebooks run in the Jupyter kernel \"{KERNEL_NAME}\"; here it starts {status.python}. "
              f"On another grading machine, register it with the Python that has mnist-course: {command}")
    else:
        print(f"Kernel: the notebooks run in the Jupyter kernel \"{KERNEL_NAME}\", which is NOT registered here "
              f"(nbgrader would stop with NoSuchKernel). Register it with the Python that has mnist-course: {command}")
    first = done.assignments[0] if done.assignments else "ASSIGNMENT"
    print(f"Next: cd {done.course} && nbgrader generate_assignment {first}; after collecting, "
          f"nbgrader autograde {first} --create (MNIST must be on the grading machine: `mnist-course` finds it "
          f"through MNIST_COURSE_DATA or Keras's cache).")
    return EXIT_OK


def _export_gradescope(args: argparse.Namespace) -> int:
    from mnist_course.export import gradescope
    from mnist_course.export.wheel import BuildError

    try:
        written = gradescope.export(args.zip, args.notebook, fast=args.fast, visibility=args.visibility,
                                    cell_timeout=args.cell_timeout, timeout=args.timeout)
    except (ValueError, BuildError, OSError) as error:
        return _error(str(error))
    for autograder in written:
        print(f"wrote {autograder.path}: the autograder of notebook {autograder.number}")
        print(autograder.advice)
    print("Upload each zip as the autograder of a Gradescope programming assignment (base image Ubuntu 24.04) "
          "and set its memory, CPU and timeout as above (also in the zip's README.md).")
    return EXIT_OK


def _ask(path: Path) -> bool:
    answer = input(f"{path} exists and differs from the course's copy. Replace it (the old one "
                   f"goes to {path.parent / 'backup'}/)? [y/N] ")
    return answer.strip().lower() in ("y", "yes")


def _notebooks(args: argparse.Namespace) -> int:
    from mnist_course.tools.install import copy_notebooks, notebook_files

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
    _kernel(args, interactive=sys.stdin.isatty())
    print(f"Next: jupyter lab {args.directory}")
    return EXIT_OK


def _kernel(args: argparse.Namespace, interactive: bool) -> None:
    """Register the notebooks' kernel for this Python (or say how), and say which it is."""
    from mnist_course.tools.install import KERNEL_DISPLAY_NAME, KERNEL_NAME, kernel_status, register_kernel

    status = kernel_status()
    command = f"{sys.executable} -m ipykernel install --user --name {KERNEL_NAME} --display-name \"{KERNEL_DISPLAY_NAME}\""
    if status.for_this_python:
        print(f"The notebooks' Jupyter kernel \"{KERNEL_DISPLAY_NAME}\" ({KERNEL_NAME}) is registered for "
              f"this Python ({sys.executable}), in {status.folder}.")
        return
    now = (f"it starts another Python ({status.python})" if status.registered
           else "Jupyter does not know it yet (it would say NoSuchKernel)")
    if args.no_kernel or (interactive and input(
            f"The notebooks run in the Jupyter kernel \"{KERNEL_NAME}\": {now}. Register it for this "
            f"Python ({sys.executable})? [Y/n] ").strip().lower() in ("n", "no")):
        print(f"Not registered: the notebooks name the kernel \"{KERNEL_NAME}\" and {now}. "
              f"To register it for this Python: {command}")
        return
    try:
        folder = register_kernel()
    except Exception as error:  # e.g. a folder that cannot be written
        print(f"error: could not register the Jupyter kernel \"{KERNEL_NAME}\" ({error.__class__.__name__}: "
              f"{error}). Fix: run {command}", file=sys.stderr)
        return
    print(f"Registered the Jupyter kernel \"{KERNEL_DISPLAY_NAME}\" ({KERNEL_NAME}) for this Python "
          f"({sys.executable}) in {folder}: Jupyter opens the notebooks in it"
          + (f" (before, {now})." if status.registered else "."))


def _grade_folder_in_parallel(args: argparse.Namespace, paths: list[Path]):
    """The reports of ``mnist-course grade DIR --jobs N`` (N > 1), in the order of ``paths``."""
    from mnist_course import mode
    from mnist_course.grade import DEFAULT_TIMEOUTS
    from mnist_course.grade.parallel import GRACE_SECONDS, grade_parallel

    arguments = []
    if args.fast is not None:
        arguments.append("--fast" if args.fast else "--full")
    for option in ("cell_timeout", "timeout", "solutions", "kernel", "sandbox"):
        value = getattr(args, option)
        if value is not None:
            arguments += [f"--{option.replace('_', '-')}", str(value)]
    fast = mode.is_fast_mode() if args.fast is None else args.fast
    limit = (args.timeout or DEFAULT_TIMEOUTS["fast" if fast else "full"][1]) + GRACE_SECONDS
    return grade_parallel(paths, jobs=args.jobs, arguments=arguments, executed_dir=args.executed,
                          root=args.path, limit=limit, progress=not args.quiet)


def _write_stats(args: argparse.Namespace, reports) -> None:
    """``--stats FILE.md``: the class statistics page and its chart."""
    from mnist_course.grade.stats import write_stats as write

    page, image = write(reports, args.stats)
    print(f"Class statistics: {page} (chart {image}).", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``mnist-course``; returns the exit code."""
    args = _parser().parse_args(argv)
    if args.command == "grade":
        return _grade(args)
    if args.command == "sandbox":
        from mnist_course.grade import sandbox

        return sandbox.main()
    if args.command == "notebooks":
        return _notebooks(args)
    if args.command == "export":
        return _export_nbgrader(args) if args.kind == "nbgrader" else _export_gradescope(args)
    return EXIT_BAD_INPUT  # pragma: no cover - argparse only accepts known commands


if __name__ == "__main__":
    sys.exit(main())
