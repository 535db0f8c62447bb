"""Grade a student's notebook, exercise by exercise, with the course's own checks.

``mnist-course grade NOTEBOOK`` (see :mod:`mnist_course.cli`) calls :func:`grade_notebook`:

1. **Find the reference.** The notebook's ``exercise:N.M`` / ``check:N.M`` tags say which
   course notebook it is (``N``; a renamed file is fine). The canonical check cells come from
   the course's solution notebook ``NN_*.ipynb`` in ``--solutions DIR``, else in the
   ``solutions/`` folder of the checkout the package was imported from. Without either (an
   installed wheel) the exercises come from ``mnist_course.checks.nbNN`` and each check cell
   must be a plain call ``check.exercise_N_M(variable, ...)`` of that check's parameters.
2. **Compare** the notebook's check cells with the canonical ones (deleted, duplicated,
   moved or edited cells are *tampering*), and scan its code for code that replaces a check
   function or monkeypatches a module (``check.exercise_1_2 = …``, ``np.allclose = …``,
   ``exec``, ``globals()``, ``sys.modules`` …).
3. **Execute a copy** in a fresh kernel of its own (nbclient), never the input file and never
   in this process, with a timeout per cell and for the whole notebook, going on after
   errors. A hidden first cell loads a fresh private copy of the course's checks before any
   student code runs; at each check position the canonical call runs against that copy
   (see :mod:`mnist_course._grading_kernel`), so what the notebook defines cannot change a
   verdict. Output on stderr (TensorFlow's log lines, warnings) is never looked at.
4. **Report** each exercise as one of :data:`STATUSES`.

Example:
    >>> report = grade_notebook("notebooks/01_meet_the_data.ipynb")     # doctest: +SKIP
    >>> print(format_report(report))                                      # doctest: +SKIP
"""

from __future__ import annotations

import ast
import copy
import csv
import dataclasses
import hashlib
import json
import logging
import os
import re
import secrets
import tempfile
import time
import warnings
from collections.abc import Callable, Iterable
from pathlib import Path

import nbformat

from mnist_course import mode as course_mode
from mnist_course.student import (
    CHECK_TAG, EXERCISE_TAG, NotebookError, exercise_ids, read_notebook,
)

PACKAGE_DIR = Path(__file__).resolve().parent
KERNEL_HELPER = PACKAGE_DIR / "_grading_kernel.py"
#: Where the solution notebooks are in a checkout of the course (absent in an installed wheel).
CHECKOUT_SOLUTIONS = PACKAGE_DIR.parent / "solutions"

PASSED, FAILED, NOT_ATTEMPTED, NOT_REACHED, TIMED_OUT, TAMPERED = (
    "passed", "failed", "not attempted", "not reached", "timed out", "tampered")
#: Every result an exercise can get. "tampered": its check cell or check function was changed;
#: the detail says what, and what the course's own check found.
STATUSES = (PASSED, FAILED, NOT_ATTEMPTED, NOT_REACHED, TIMED_OUT, TAMPERED)

#: Default time limits in seconds: (per cell, whole notebook), for full and fast mode.
DEFAULT_TIMEOUTS = {"full": (1800, 7200), "fast": (300, 900)}
#: The environment variables the checks depend on; a notebook that changes them is reported.
WATCHED_VARIABLES = ("MNIST_COURSE_FAST", "MNIST_COURSE_DATA", "MNIST_COURSE_FASHION_DATA", "KERAS_HOME")

_TIMEOUT_ENAME = "GraderCellTimeout"
_PROBE_TIMEOUT = 30
_SETUP_TIMEOUT = 300
_MIME = "application/vnd.mnist-course.grade+json"  # same as _grading_kernel.MIME_TYPE


class GradeError(Exception):
    """Bad input: the path is not a notebook of this course that can be graded (exit code 2)."""


# ------------------------------------------------------------------------------------------
# Results
# ------------------------------------------------------------------------------------------

@dataclasses.dataclass
class ExerciseResult:
    """The grade of one exercise: a status from :data:`STATUSES` and a detail for humans."""

    exercise: str
    status: str
    detail: str = ""
    tampering: list[str] = dataclasses.field(default_factory=list)  # what changed its own check


@dataclasses.dataclass
class Report:
    """Everything the grader found out about one notebook."""

    notebook: str
    course_notebook: str = ""
    reference: str = ""
    mode: str = ""
    seconds: float = 0.0
    exercises: list[ExerciseResult] = dataclasses.field(default_factory=list)
    tampering: list[str] = dataclasses.field(default_factory=list)  # what affects every exercise
    cell_errors: list[str] = dataclasses.field(default_factory=list)
    error: str | None = None

    @property
    def exit_code(self) -> int:
        """0 when every exercise passed, 1 when one did not, 2 on bad input."""
        if self.error is not None:
            return 2
        return 0 if self.exercises and all(r.status == PASSED for r in self.exercises) else 1

    def counts(self) -> dict[str, int]:
        return {status: sum(r.status == status for r in self.exercises) for status in STATUSES}

    def to_dict(self) -> dict:
        data = dataclasses.asdict(self)
        data["exit_code"] = self.exit_code
        data["counts"] = self.counts()
        return data


# ------------------------------------------------------------------------------------------
# Which course notebook, and its canonical check cells
# ------------------------------------------------------------------------------------------

@dataclasses.dataclass
class Reference:
    """The canonical exercises of one course notebook and their check cells."""

    number: int
    exercises: list[str]
    check_sources: dict[str, str]
    offsets: dict[str, int]  # code cells between the exercise cell and its check cell
    source: str
    title: str
    #: False when there is no solution notebook: a check cell of the submission is then taken
    #: as it is if it is a plain call, ``check.exercise_N_M(name, ...)``, of the check's parameters.
    strict: bool = True
    parameters: dict[str, list[str]] = dataclasses.field(default_factory=dict)

    @property
    def module(self) -> str:
        return f"mnist_course.checks.nb{self.number:02d}"


def _checks_file(number: int) -> Path:
    return PACKAGE_DIR / "checks" / f"nb{number:02d}.py"


def _tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def _tagged(cell, pattern: re.Pattern) -> list[str]:
    return [m.group(1) for m in map(pattern.match, _tags(cell)) if m]


def _guess_number(notebook, path: Path) -> int | None:
    match = re.match(r"(\d\d)_", path.name)
    if match:
        return int(match.group(1))
    for cell in notebook.cells[:1]:
        match = re.match(r"#\s*(\d\d)\s", cell.source) if cell.cell_type == "markdown" else None
        if match:
            return int(match.group(1))
    return None


def course_number(notebook, path: Path) -> int:
    """The number of the course notebook a submission belongs to, from its tags.

    Raises :class:`GradeError` for a notebook of another course, or one without exercises.
    """
    ids = exercise_ids(notebook) + exercise_ids(notebook, CHECK_TAG)
    numbers = sorted({int(ident.split(".")[0]) for ident in ids})
    if len(numbers) > 1:
        raise GradeError(f"{path} mixes exercises of course notebooks {', '.join(map(str, numbers))}; "
                         f"grade one course notebook per file.")
    if numbers:
        if not _checks_file(numbers[0]).exists():
            raise GradeError(f"{path} is not a notebook of the mnist-course course: its exercises "
                             f"({', '.join(ids[:3])}…) belong to no notebook of this course.")
        return numbers[0]
    guess = _guess_number(notebook, path)
    if guess is not None and _checks_file(guess).exists():
        raise GradeError(f"{path} looks like course notebook {guess:02d} but it is missing its "
                         f"exercises: no cell is tagged exercise:{guess}.M. Were the cells or their "
                         f"tags deleted? Start again from a fresh copy of the notebook.")
    raise GradeError(f"{path} is not a notebook of the mnist-course course: none of its cells is "
                     f"tagged exercise:N.M or check:N.M.")


def find_solution(number: int, name: str, solutions: str | Path | None = None) -> Path | None:
    """The course's solution notebook ``NN_*.ipynb`` (preferring the submission's file name)."""
    folder = Path(solutions) if solutions is not None else CHECKOUT_SOLUTIONS
    if solutions is not None and not folder.is_dir():
        raise GradeError(f"--solutions {folder}: no such folder.")
    candidates = sorted(folder.glob(f"{number:02d}_*.ipynb")) if folder.is_dir() else []
    for candidate in candidates:
        if candidate.name == name:
            return candidate
    return candidates[0] if candidates else None


def load_reference(number: int, name: str = "", solutions: str | Path | None = None) -> Reference:
    """The canonical exercises and check cells of course notebook ``number``."""
    solution = find_solution(number, name, solutions)
    if solution is None:
        return _reference_from_checks(number)
    try:
        notebook = read_notebook(solution)
    except NotebookError as error:
        raise GradeError(f"the course's solution notebook is unusable: {error}") from None
    exercises = exercise_ids(notebook)
    sources, offsets = {}, {}
    for exercise in exercises:
        answer = [i for i, c in enumerate(notebook.cells) if c.cell_type == "code"
                  and exercise in _tagged(c, EXERCISE_TAG)]
        checks = [i for i, c in enumerate(notebook.cells) if exercise in _tagged(c, CHECK_TAG)]
        if not answer or len(checks) != 1:
            raise GradeError(f"{solution}: exercise {exercise} needs one exercise cell and one check cell.")
        sources[exercise] = notebook.cells[checks[0]].source
        offsets[exercise] = sum(c.cell_type == "code" for c in notebook.cells[answer[-1] + 1:checks[0]])
    title = notebook.cells[0].source.splitlines()[0].lstrip("# ").strip() if notebook.cells else ""
    return Reference(number, exercises, sources, offsets, _display_path(solution), title)


def _reference_from_checks(number: int) -> Reference:
    """Without a solution notebook: the exercises and parameters of ``checks/nbNN.py``.

    The check cells are rebuilt as ``check.exercise_N_M(<parameter names>)``, and a submission's
    own check cell is accepted instead when it is a plain call of that function on variables
    (see :func:`_plain_call`): course notebooks may pass a variable named unlike the parameter.
    """
    tree = ast.parse(_checks_file(number).read_text(encoding="utf-8"))
    found = []
    for node in tree.body:
        match = re.fullmatch(r"exercise_(\d+)_(\d+)", getattr(node, "name", ""))
        if isinstance(node, ast.FunctionDef) and match:
            params = [a.arg for a in node.args.posonlyargs + node.args.args]
            found.append(((int(match.group(1)), int(match.group(2))), node.name, params))
    found.sort()
    exercises = [f"{n}.{m}" for (n, m), _, _ in found]
    sources = {f"{n}.{m}": f"check.{name}({', '.join(params)})" for (n, m), name, params in found}
    parameters = {f"{n}.{m}": params for (n, m), _, params in found}
    return Reference(number, exercises, sources, dict.fromkeys(exercises, 0),
                     f"mnist_course/checks/nb{number:02d}.py; no solutions/ found, so each check cell "
                     f"must be a plain call check.exercise_N_M(variable, ...)",
                     f"{number:02d}", strict=False, parameters=parameters)


def _plain_call(source: str, exercise: str, parameters: list[str]) -> bool:
    """True for ``check.exercise_N_M(a, b, c=d)``: variables only, no more than the parameters."""
    try:
        call = _check_call(source, exercise)
    except GradeError:
        return False
    return (all(isinstance(arg, ast.Name) for arg in call.args) and len(call.args) <= len(parameters)
            and all(k.arg in parameters and isinstance(k.value, ast.Name) for k in call.keywords))


def _display_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


# ------------------------------------------------------------------------------------------
# Static inspection: the check cells, and code that tampers
# ------------------------------------------------------------------------------------------

def _python(source: str) -> str:
    """Cell source as plain Python (IPython magics turned into calls)."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager
    except ImportError:  # pragma: no cover - IPython comes with Jupyter
        return source
    try:
        return TransformerManager().transform_cell(source)
    except Exception:
        return source


def _parse(source: str) -> ast.Module | None:
    try:
        return ast.parse(_python(source))
    except (SyntaxError, ValueError):
        return None


def _normalised(source: str) -> str:
    tree = _parse(source)
    return ast.dump(tree) if tree is not None else source.strip()


def _check_call(source: str, exercise: str) -> ast.Call:
    """The single ``check.exercise_N_M(...)`` call of a canonical check cell."""
    tree = _parse(source)
    function = "exercise_" + exercise.replace(".", "_")
    if (tree is not None and len(tree.body) == 1 and isinstance(tree.body[0], ast.Expr)
            and isinstance(call := tree.body[0].value, ast.Call)
            and isinstance(call.func, ast.Attribute) and call.func.attr == function
            and isinstance(call.func.value, ast.Name) and call.func.value.id == "check"):
        return call
    raise GradeError(f"the course's check cell of exercise {exercise} is not one call "
                     f"check.{function}(...): {source!r}")


_SUSPICIOUS_CALLS = {"exec", "eval", "compile", "__import__"}
_NO_ARGUMENT_CALLS = {"globals", "locals", "vars"}
_SUSPICIOUS_NAMES = {"__builtins__", "In", "Out", "_ih", "_oh"}
_SUSPICIOUS_IMPORTS = {"builtins", "importlib", "gc", "ctypes", "imp"}
_SUSPICIOUS_ATTRIBUTES = {"__code__", "__globals__", "__dict__", "__defaults__", "__kwdefaults__",
                          "__closure__", "__builtins__", "__subclasses__", "f_globals", "f_locals",
                          "f_back", "tb_frame", "gi_frame"}
_SUSPICIOUS_SYS = {"modules", "_getframe", "settrace", "setprofile", "meta_path", "path_hooks"}
_ALLOWED_IPYTHON = {"run_line_magic", "run_cell_magic", "system", "getoutput"}
_PYTHON_MAGICS = {"time", "timeit", "prun", "capture", "debug"}


def _root(node: ast.AST) -> str | None:
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def _exercise_in(text: str) -> str | None:
    match = re.search(r"exercise_(\d+)_(\d+)", text)
    return f"{match.group(1)}.{match.group(2)}" if match else None


def _binding_targets(node: ast.AST) -> list[ast.AST]:
    if isinstance(node, ast.Assign):
        return list(node.targets)
    if isinstance(node, (ast.AugAssign, ast.AnnAssign, ast.NamedExpr, ast.For, ast.AsyncFor)):
        return [node.target]
    if isinstance(node, ast.Delete):
        return list(node.targets)
    if isinstance(node, (ast.With, ast.AsyncWith)):
        return [item.optional_vars for item in node.items if item.optional_vars is not None]
    return []


def _flatten(target: ast.AST) -> Iterable[ast.AST]:
    if isinstance(target, (ast.Tuple, ast.List)):
        for element in target.elts:
            yield from _flatten(element)
    elif isinstance(target, ast.Starred):
        yield from _flatten(target.value)
    else:
        yield target


class _Scanner:
    """Finds code that replaces the course's checks or monkeypatches modules."""

    def __init__(self, number: int):
        self.canonical_import = f"nb{number:02d}"
        self.modules: set[str] = set()          # names bound by an import
        self.course: set[str] = {"check", "mnist_course"}  # names bound to the course's package

    def collect_imports(self, tree: ast.AST) -> None:
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    name = alias.asname or alias.name.split(".")[0]
                    self.modules.add(name)
                    if alias.name.split(".")[0] == "mnist_course":
                        self.course.add(name)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                for alias in node.names:
                    name = alias.asname or alias.name
                    self.modules.add(name)
                    if node.module.split(".")[0] == "mnist_course":
                        self.course.add(name)

    def scan(self, tree: ast.AST, where: str) -> list[tuple[str | None, str]]:
        found: list[tuple[str | None, str]] = []

        def note(exercise: str | None, text: str) -> None:
            item = (exercise, f"{where} {text}")
            if item not in found:
                found.append(item)

        for node in ast.walk(tree):
            for target in (t for b in _binding_targets(node) for t in _flatten(b)):
                self._target(target, node, note)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == "check":
                note(None, "defines its own `check`")
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                self._import(node, note)
            elif isinstance(node, ast.Call):
                self._call(node, note, where)
            elif isinstance(node, ast.Name) and node.id in _SUSPICIOUS_NAMES:
                note(None, f"uses `{node.id}`")
            elif isinstance(node, ast.Attribute):
                if node.attr in _SUSPICIOUS_ATTRIBUTES:
                    note(None, f"uses `{ast.unparse(node)}`")
                elif node.attr in _SUSPICIOUS_SYS and _root(node) == "sys":
                    note(None, f"uses `{ast.unparse(node)}`")
        return found

    def _target(self, target: ast.AST, node: ast.AST, note) -> None:
        verb = "deletes" if isinstance(node, ast.Delete) else "replaces"
        if isinstance(target, ast.Name) and target.id == "check":
            note(None, f"{'deletes' if verb == 'deletes' else 'rebinds'} the name `check`")
        elif isinstance(target, ast.Attribute):
            root = _root(target)
            text = ast.unparse(target)
            if root in self.course:
                note(_exercise_in(text), f"{verb} `{text}` (part of the course's checks)")
            elif root in self.modules:
                note(None, f"{verb} `{text}` (monkeypatches a module the checks may use)")

    def _import(self, node: ast.AST, note) -> None:
        for alias in node.names:
            full = alias.name if isinstance(node, ast.Import) else f"{node.module}.{alias.name}"
            bound = alias.asname or alias.name.split(".")[0]
            if full.split(".")[0] in _SUSPICIOUS_IMPORTS or (
                    isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in _SUSPICIOUS_IMPORTS):
                note(None, f"imports {full}")
            if bound == "check" and not (isinstance(node, ast.ImportFrom) and node.module == "mnist_course.checks"
                                         and alias.name == self.canonical_import):
                note(None, f"rebinds the name `check` (import {full})")

    def _call(self, node: ast.Call, note, where: str) -> None:
        func = node.func
        name = func.id if isinstance(func, ast.Name) else None
        if name in _SUSPICIOUS_CALLS:
            note(None, f"calls {name}()")
        elif name in _NO_ARGUMENT_CALLS and not node.args:
            note(None, f"calls {name}()")
        elif name in ("setattr", "delattr") and node.args:
            root = _root(node.args[0])
            if root in self.course:
                note(_exercise_in(ast.unparse(node)), f"calls {name}() on the course's checks")
            elif root in self.modules or isinstance(node.args[0], ast.Call):
                note(None, f"calls {name}() on `{ast.unparse(node.args[0])}`")
        elif isinstance(func, ast.Attribute) and _root(func) == "get_ipython":
            if func.attr not in _ALLOWED_IPYTHON:
                note(None, f"uses get_ipython().{func.attr}")
            elif func.attr in ("run_line_magic", "run_cell_magic") and node.args:
                magic = node.args[0].value if isinstance(node.args[0], ast.Constant) else None
                if magic == "run":
                    note(None, "runs another file with %run")
                body = node.args[-1]  # the line of a line magic, the body of a cell magic
                if magic in _PYTHON_MAGICS and isinstance(body, ast.Constant) and isinstance(body.value, str):
                    inner = _parse(body.value)
                    if inner is not None:
                        for exercise, text in self.scan(inner, where):
                            note(exercise, text[len(where) + 1:])


# ------------------------------------------------------------------------------------------
# The copy that is executed
# ------------------------------------------------------------------------------------------

@dataclasses.dataclass
class Plan:
    """The notebook to execute and where everything is in it."""

    notebook: nbformat.NotebookNode
    grader_cells: dict[str, int]                # exercise -> index of its check position
    exercise_cells: dict[str, list[int]]        # exercise -> indices of its code cells
    original_index: dict[int, int]              # executed index -> index in the submission
    tampering: dict[str | None, list[str]]      # exercise (None: all) -> what was changed
    bound_before: dict[int, set[str]]           # executed index -> names bound by earlier cells
    nonce: str
    helper: str


def _bound_names(tree: ast.AST | None) -> set[str]:
    names: set[str] = set()
    if tree is None:
        return names
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update(alias.asname or alias.name.split(".")[0] for alias in node.names)
    return names


def _first_line(source: str, width: int = 60) -> str:
    line = next((line.strip() for line in source.splitlines() if line.strip()), "")
    return line if len(line) <= width else line[: width - 1] + "…"


def plan_execution(notebook, reference: Reference, environment: dict[str, str | None]) -> Plan:
    """Compare the submission with the reference and build the copy to execute.

    Raises :class:`GradeError` when an exercise cell of the course notebook is missing.
    """
    cells = notebook.cells
    code_of = {e: [i for i, c in enumerate(cells) if c.cell_type == "code" and e in _tagged(c, EXERCISE_TAG)]
               for e in reference.exercises}
    missing = [e for e, found in code_of.items() if not found]
    if missing:
        raise GradeError(
            f"this notebook of the course is missing exercise{'s' if len(missing) > 1 else ''} "
            f"{', '.join(missing)} (no code cell tagged exercise:{missing[0]}, …). Was it made from "
            f"another version of the course, or were cells deleted? Start from a fresh copy.")
    checks_of = {e: [i for i, c in enumerate(cells) if e in _tagged(c, CHECK_TAG)] for e in reference.exercises}
    exercise_starts = sorted(i for found in code_of.values() for i in found)

    tampering: dict[str | None, list[str]] = {}
    sources = dict(reference.check_sources)  # the check call run for each exercise
    place: dict[str, tuple[str, int]] = {}  # exercise -> ("replace", index) or ("after", index)
    neutralise: dict[int, str] = {}
    for exercise in reference.exercises:
        notes = tampering.setdefault(exercise, [])
        first = code_of[exercise][0]
        following = [i for i in exercise_starts if i > first and i not in code_of[exercise]]
        end = following[0] if following else len(cells)
        canonical = _normalised(reference.check_sources[exercise])
        checks = checks_of[exercise]
        in_window = [i for i in checks if first < i < end]
        if not checks:
            notes.append(f"its check cell (tagged check:{exercise}) was deleted")
        elif len(checks) > 1:
            notes.append(f"its check cell was duplicated ({len(checks)} cells are tagged check:{exercise})")
        if checks and not in_window:
            notes.append("its check cell was moved away from the exercise")
        if reference.strict:
            matching = [i for i in in_window
                        if cells[i].cell_type == "code" and _normalised(cells[i].source) == canonical]
        else:
            matching = [i for i in in_window if cells[i].cell_type == "code" and _plain_call(
                cells[i].source, exercise, reference.parameters.get(exercise, []))]
        chosen = (matching or in_window or [None])[0]
        if not reference.strict and chosen in matching:
            sources[exercise] = cells[chosen].source
        if chosen is not None and chosen not in matching:
            notes.append(f"its check cell was edited (it reads `{_first_line(cells[chosen].source)}`)")
        for index in checks:
            if index != chosen:
                neutralise[index] = exercise
        if chosen is not None:
            place[exercise] = ("replace", chosen)
        else:
            anchor = max(i for i in code_of[exercise] if i < end)
            skip = reference.offsets.get(exercise, 0)
            while skip and anchor + 1 < end and cells[anchor + 1].cell_type == "code" and not (
                    _tagged(cells[anchor + 1], CHECK_TAG) or _tagged(cells[anchor + 1], EXERCISE_TAG)):
                anchor, skip = anchor + 1, skip - 1
            place[exercise] = ("after", anchor)

    # Code that replaces checks or monkeypatches modules, everywhere except the check positions.
    number = reference.number
    scanner = _Scanner(number)
    replaced = {index for kind, index in place.values() if kind == "replace"} | set(neutralise)
    trees = {i: _parse(c.source) for i, c in enumerate(cells) if c.cell_type == "code"}
    for index, tree in trees.items():
        if tree is not None and index not in replaced:
            scanner.collect_imports(tree)
    for index, tree in trees.items():
        if tree is None or index in replaced:
            continue
        for exercise, text in scanner.scan(tree, f"cell {index + 1} (`{_first_line(cells[index].source, 40)}`)"):
            key = exercise if exercise in tampering else None
            if text not in tampering.setdefault(key, []):
                tampering[key].append(text)

    # Build the copy: hidden set-up cell first, then the submission with the check positions.
    nonce = secrets.token_hex(8)
    helper = f"_mnist_course_grader_{nonce}"
    result = nbformat.v4.new_notebook(metadata=copy.deepcopy(notebook.metadata))
    result.cells.append(nbformat.v4.new_code_cell(_setup_source(helper, reference, nonce, environment)))
    grader_cells: dict[str, int] = {}
    exercise_cells: dict[str, list[int]] = {e: [] for e in reference.exercises}
    original_index: dict[int, int] = {}
    after = {index: e for e, (kind, index) in place.items() if kind == "after"}
    replace = {index: e for e, (kind, index) in place.items() if kind == "replace"}
    for index, cell in enumerate(cells):
        new = copy.deepcopy(cell)
        if index in replace:
            new = nbformat.v4.new_code_cell(_grader_source(helper, sources[replace[index]], replace[index]),
                                            metadata=copy.deepcopy(cell.metadata))
            grader_cells[replace[index]] = len(result.cells)
        elif index in neutralise:
            new = nbformat.v4.new_markdown_cell(
                f"*(A cell tagged check:{neutralise[index]} that the grader did not run: the course's "
                f"check of exercise {neutralise[index]} runs once, right after its exercise.)*",
                metadata=copy.deepcopy(cell.metadata))
        if new.cell_type == "code":
            new.outputs, new.execution_count = [], None
            for exercise in _tagged(cell, EXERCISE_TAG):
                if exercise in exercise_cells and index not in replace:
                    exercise_cells[exercise].append(len(result.cells))
        original_index[len(result.cells)] = index
        result.cells.append(new)
        if index in after:
            grader_cells[after[index]] = len(result.cells)
            result.cells.append(nbformat.v4.new_code_cell(
                _grader_source(helper, sources[after[index]], after[index]),
                metadata={"tags": [f"check:{after[index]}"]}))
    for index, cell in enumerate(result.cells):
        cell["id"] = f"graded-{index}"

    bound_before: dict[int, set[str]] = {}
    bound: set[str] = set()
    for index, cell in enumerate(result.cells):
        bound_before[index] = set(bound)
        if cell.cell_type == "code" and index in original_index:
            bound |= _bound_names(_parse(cell.source))
    return Plan(result, grader_cells, exercise_cells, original_index, tampering, bound_before, nonce, helper)


def _setup_source(helper: str, reference: Reference, nonce: str, environment: dict) -> str:
    return (
        "# Added by mnist-course grade: loads the course's checks afresh before any other code runs.\n"
        "def _mnist_course_grader_setup():\n"
        "    import importlib.util\n"
        f"    spec = importlib.util.spec_from_file_location({helper!r}, {str(KERNEL_HELPER)!r})\n"
        "    module = importlib.util.module_from_spec(spec)\n"
        "    spec.loader.exec_module(module)\n"
        f"    return module.Grader({str(PACKAGE_DIR)!r}, {reference.module!r}, {nonce!r}, {environment!r})\n"
        f"{helper} = _mnist_course_grader_setup()\n"
        "del _mnist_course_grader_setup\n"
    )


def _grader_source(helper: str, check_source: str, exercise: str) -> str:
    """``helper.grade("1.2", lambda: ((class_counts,), {}), globals())`` from the canonical call."""
    call = _check_call(check_source, exercise)
    arguments = ast.Tuple(elts=[ast.Tuple(elts=list(call.args), ctx=ast.Load()),
                                ast.Dict(keys=[k.arg and ast.Constant(k.arg) for k in call.keywords],
                                         values=[k.value for k in call.keywords])], ctx=ast.Load())
    thunk = ast.Lambda(args=ast.arguments(posonlyargs=[], args=[], kwonlyargs=[], kw_defaults=[],
                                          defaults=[]), body=arguments)
    return f"{helper}.grade({exercise!r}, {ast.unparse(ast.fix_missing_locations(thunk))}, globals())"


# ------------------------------------------------------------------------------------------
# Execution
# ------------------------------------------------------------------------------------------

@dataclasses.dataclass
class Execution:
    """What happened when the copy ran."""

    replies: dict[int, dict] = dataclasses.field(default_factory=dict)
    executed: set[int] = dataclasses.field(default_factory=set)
    timed_out: set[int] = dataclasses.field(default_factory=set)
    stopped_at: int | None = None      # index of the cell at which execution stopped early
    stop_reason: str = ""
    kernel_log: str = ""
    cell_timeout: int = 0


def execute_plan(plan: Plan, *, cell_timeout: int, timeout: int, kernel_name: str,
                 environment: dict[str, str | None]) -> Execution:
    """Run the copy cell by cell in a new kernel; go on after errors and cell timeouts."""
    from nbclient import NotebookClient
    from nbclient.exceptions import DeadKernelError

    outcome = Execution(cell_timeout=cell_timeout)

    def on_executed(cell, cell_index, execute_reply):
        if execute_reply is not None:
            outcome.replies[cell_index] = execute_reply.get("content", {})

    quiet = logging.getLogger("mnist_course.grade.nbclient")
    quiet.addHandler(logging.NullHandler())
    quiet.propagate = False
    env = {k: v for k, v in os.environ.items()}
    for variable, value in environment.items():
        if value is None:
            env.pop(variable, None)
        else:
            env[variable] = value
    env["PYTHONPATH"] = os.pathsep.join([str(PACKAGE_DIR.parent)] + (
        [env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    with tempfile.TemporaryDirectory(prefix="mnist-course-grade-") as workdir:
        log_path = Path(workdir) / "kernel.log"
        run_dir = Path(workdir) / "run"
        run_dir.mkdir()
        client = NotebookClient(
            plan.notebook, timeout=cell_timeout, kernel_name=kernel_name, allow_errors=True,
            interrupt_on_timeout=True, record_timing=False, log=quiet,
            error_on_timeout={"ename": _TIMEOUT_ENAME, "evalue": "time limit", "traceback": []},
            resources={"metadata": {"path": str(run_dir)}}, on_cell_executed=on_executed)
        deadline = time.monotonic() + timeout
        with open(log_path, "wb") as log:
            try:
                with client.setup_kernel(env=env, stderr=log, stdout=log):
                    _run_cells(client, plan, outcome, cell_timeout, deadline, timeout, DeadKernelError)
            except DeadKernelError:
                outcome.stop_reason = outcome.stop_reason or "the kernel died"
            except Exception as error:  # the kernel did not start, or stopped answering
                if outcome.stopped_at is None:
                    outcome.stopped_at = 0
                outcome.stop_reason = f"the kernel failed: {error.__class__.__name__}: {error}"
        outcome.kernel_log = log_path.read_text(errors="replace")[-2000:]
    return outcome


def _run_cells(client, plan: Plan, outcome: Execution, cell_timeout: int, deadline: float,
               timeout: int, dead_kernel_error) -> None:
    from nbformat.v4 import new_code_cell

    for index, cell in enumerate(plan.notebook.cells):
        if cell.cell_type != "code" or not cell.source.strip():
            continue
        remaining = deadline - time.monotonic()
        if remaining < 1:
            outcome.stopped_at, outcome.stop_reason = index, f"the notebook's time limit ({timeout} s) ran out"
            return
        # The grader's own set-up cell imports TensorFlow: it gets a generous limit of its own.
        limit = max(cell_timeout, _SETUP_TIMEOUT) if index == 0 else cell_timeout
        limited = remaining < limit
        client.timeout = max(1, int(min(limit, remaining)))
        try:
            client.execute_cell(cell, index, store_history=index in plan.original_index)
        except dead_kernel_error:
            outcome.executed.add(index)
            outcome.stopped_at, outcome.stop_reason = index, "the kernel died (out of memory, or the code ended the process)"
            return
        outcome.executed.add(index)
        if outcome.replies.get(index, {}).get("ename") == _TIMEOUT_ENAME:
            outcome.timed_out.add(index)
            if limited:
                outcome.stopped_at, outcome.stop_reason = index, f"the notebook's time limit ({timeout} s) ran out"
                return
            # The kernel was interrupted; it must answer again before the next cell runs.
            client.timeout = _PROBE_TIMEOUT
            outcome.replies.pop(-1, None)
            client.execute_cell(new_code_cell("pass"), -1, store_history=False)
            if outcome.replies.get(-1, {}).get("status") != "ok":
                outcome.stopped_at = index
                outcome.stop_reason = "the kernel did not stop after a cell timed out"
                return


# ------------------------------------------------------------------------------------------
# Reading the results
# ------------------------------------------------------------------------------------------

def _error_of(cell, reply: dict | None) -> tuple[str, str] | None:
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            return output.get("ename", ""), output.get("evalue", "")
    if reply and reply.get("status") == "error":
        return reply.get("ename", ""), reply.get("evalue", "")
    return None


def _error_text(name: str, value: str) -> str:
    value = _first_line(value, 160)
    return f"{name}: {value}" if value else name


def _grader_result(cell, nonce: str) -> dict | None:
    for output in cell.get("outputs", []):
        data = output.get("data", {}) if output.get("output_type") == "display_data" else {}
        result = data.get(_MIME)
        if isinstance(result, dict) and result.get("nonce") == nonce:
            return result
    return None


def interpret(plan: Plan, reference: Reference, outcome: Execution, changed_files: list[str]) -> tuple[
        list[ExerciseResult], list[str], list[str]]:
    """Turn the executed copy into one result per exercise, the notebook-wide tampering and
    the errors raised by cells outside the exercises."""
    cells = plan.notebook.cells
    setup_ok = 0 in outcome.executed and _error_of(cells[0], outcome.replies.get(0)) is None
    errors: list[tuple[int, str]] = []
    exercise_indices = {i for found in plan.exercise_cells.values() for i in found}
    graders = set(plan.grader_cells.values())
    for index in sorted(outcome.executed):
        if index in plan.original_index and index not in graders:
            error = _error_of(cells[index], outcome.replies.get(index))
            if error and error[0] != _TIMEOUT_ENAME:
                errors.append((index, _error_text(*error)))
            elif index in outcome.timed_out:
                errors.append((index, "timed out"))

    def where(index: int) -> str:
        original = plan.original_index[index]
        return f"cell {original + 1} (`{_first_line(cells[index].source, 40)}`)"

    cell_errors = [f"{where(i)}: {text}" for i, text in errors if i not in exercise_indices]
    own: dict[str, list[str]] = {e: list(plan.tampering.get(e, [])) for e in reference.exercises}
    everywhere = list(plan.tampering.get(None, [])) + changed_files
    graded: dict[str, dict | None] = {}
    for exercise in reference.exercises:
        grader_index = plan.grader_cells[exercise]
        result = _grader_result(cells[grader_index], plan.nonce) if grader_index in outcome.executed else None
        graded[exercise] = result
        for text in (result or {}).get("tampering", []):
            named = _exercise_in(text)
            target = own[named] if named in own else everywhere
            if text not in target:
                target.append(text)
    results = []
    for exercise in reference.exercises:
        grader_index = plan.grader_cells[exercise]
        status, detail = _status(exercise, plan, outcome, graded[exercise], errors, grader_index, setup_ok, where)
        if own[exercise] or everywhere:
            verdict = f"the course's check: {status}" + (f" ({_one_line(detail)})" if detail else "")
            status, detail = TAMPERED, verdict
        results.append(ExerciseResult(exercise, status, detail, own[exercise]))
    return results, everywhere, cell_errors


def _one_line(text: str) -> str:
    return " ".join(line.strip() for line in text.splitlines() if line.strip())


def _status(exercise, plan: Plan, outcome: Execution, result, errors, grader_index, setup_ok, where):
    cells = plan.notebook.cells
    own = [i for i in plan.exercise_cells[exercise] if i < grader_index]
    earlier = next((f"{where(i)} raised {text}" for i, text in errors if i < min(own + [grader_index])), "")
    because = f" (earlier, {earlier})" if earlier else ""
    if result and result.get("status") == PASSED:
        for index in own:
            error = _error_of(cells[index], outcome.replies.get(index)) if index in outcome.executed else None
            if error:  # the answer is right, but the cell also raised (e.g. a stub line left in)
                return PASSED, f"(but the exercise cell also raised {_error_text(*error)})"
        return PASSED, ""
    if not setup_ok and 0 in outcome.executed:
        if 0 in outcome.timed_out:
            return NOT_REACHED, "the grader's set-up (importing TensorFlow and the checks) ran out of time"
        error = _error_of(cells[0], outcome.replies.get(0)) or ("", "")
        return NOT_REACHED, f"the grader could not load the course's checks: {error[0]}: {error[1]}"
    for index in own:
        if index in outcome.timed_out:
            if index == outcome.stopped_at:
                return TIMED_OUT, f"{outcome.stop_reason} while the exercise cell ran"
            return TIMED_OUT, f"the exercise cell ran longer than the time limit ({outcome.cell_timeout} s)"
    for index in own:
        if index not in outcome.executed:
            continue
        error = _error_of(cells[index], outcome.replies.get(index))
        if error is None:
            continue
        name, value = error
        if name == "NotImplementedError":
            return NOT_ATTEMPTED, "the exercise cell still raises NotImplementedError"
        missing = re.search(r"name '(\w+)' is not defined", value)
        if name == "NameError" and missing and missing.group(1) in plan.bound_before.get(index, set()):
            return NOT_REACHED, f"NameError: {value}{because}"
        if name == "KeyboardInterrupt":
            continue
        if earlier and "NoneType" in value and name in ("TypeError", "AttributeError"):
            # e.g. an earlier exercise left its answer at None and this one computes with it
            return NOT_REACHED, f"{_error_text(name, value)}{because}"
        return FAILED, f"the exercise cell raised {_error_text(name, value)}"
    if grader_index in outcome.timed_out:
        if grader_index == outcome.stopped_at:
            return TIMED_OUT, f"{outcome.stop_reason} while the check ran"
        return TIMED_OUT, f"the check ran longer than the time limit ({outcome.cell_timeout} s)"
    if grader_index not in outcome.executed:
        stop = outcome.stop_reason or "the notebook stopped"
        started = [i for i in own if i in outcome.executed]
        if outcome.stopped_at is not None and started and outcome.stopped_at in own:
            if outcome.stopped_at in outcome.timed_out:
                return TIMED_OUT, stop
            return FAILED, stop
        return NOT_REACHED, stop
    if result is None:
        error = _error_of(cells[grader_index], outcome.replies.get(grader_index))
        text = f"{error[0]}: {error[1]}" if error else "no result"
        return NOT_REACHED, f"the check could not run ({text})"
    status, message = result.get("status"), result.get("message", "")
    if status == NOT_REACHED:
        missing = re.search(r"name '(\w+)' is not defined", message)
        if missing and missing.group(1) not in plan.bound_before.get(grader_index, set()):
            return FAILED, f"{message}: the exercise must define {missing.group(1)}"
        return NOT_REACHED, message + because
    if status in (FAILED, NOT_ATTEMPTED):
        return status, message
    return FAILED, message or f"unexpected result {status!r}"


# ------------------------------------------------------------------------------------------
# The whole job for one notebook
# ------------------------------------------------------------------------------------------

def _course_files_digest() -> dict[str, str]:
    return {str(p.relative_to(PACKAGE_DIR)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(PACKAGE_DIR.rglob("*.py"))}


def resolve_mode(fast: bool | None) -> str:
    """"fast" or "full": the ``fast`` argument if given, else ``MNIST_COURSE_FAST``."""
    if fast is None:
        fast = course_mode.is_fast_mode()
    return "fast" if fast else "full"


def grade_notebook(path: str | Path, *, solutions: str | Path | None = None, fast: bool | None = None,
                   cell_timeout: int | None = None, timeout: int | None = None,
                   kernel_name: str = "python3", executed: str | Path | None = None) -> Report:
    """Grade one notebook; raises :class:`GradeError` for bad input.

    ``fast`` picks the mode (default: the ``MNIST_COURSE_FAST`` environment variable);
    ``cell_timeout`` and ``timeout`` (seconds) default to :data:`DEFAULT_TIMEOUTS` of that
    mode. With ``executed``, the executed copy is saved there, with the checks' output.
    """
    started = time.monotonic()
    path = Path(path)
    try:
        with warnings.catch_warnings():  # e.g. duplicate cell ids: nbformat mends them and warns
            warnings.simplefilter("ignore")
            notebook = read_notebook(path)
    except NotebookError as error:
        raise GradeError(str(error)) from None
    number = course_number(notebook, path)
    reference = load_reference(number, path.name, solutions)
    mode_name = resolve_mode(fast)
    default_cell, default_total = DEFAULT_TIMEOUTS[mode_name]
    environment = {variable: os.environ.get(variable) for variable in WATCHED_VARIABLES}
    environment["MNIST_COURSE_FAST"] = "1" if mode_name == "fast" else "0"
    plan = plan_execution(notebook, reference, environment)
    _require_kernel(kernel_name)
    before = _course_files_digest()
    outcome = execute_plan(plan, cell_timeout=cell_timeout or default_cell, timeout=timeout or default_total,
                           kernel_name=kernel_name, environment=environment)
    after = _course_files_digest()
    changed = [f"the notebook changed the course's file mnist_course/{name}"
               for name in sorted(set(before) | set(after)) if before.get(name) != after.get(name)]
    exercises, tampering, cell_errors = interpret(plan, reference, outcome, changed)
    if outcome.stop_reason:
        cell_errors.append(f"execution stopped early: {outcome.stop_reason}")
        log = [line for line in outcome.kernel_log.splitlines()
               if line.strip() and "without encryption" not in line]
        if "kernel" in outcome.stop_reason and log:
            cell_errors.append("kernel log (end): " + _one_line("\n".join(log)[-500:]))
    report = Report(
        notebook=str(path), course_notebook=reference.title, reference=reference.source, mode=mode_name,
        exercises=exercises, tampering=tampering, cell_errors=cell_errors)
    if executed is not None:
        save_executed(plan, Path(executed))
    report.seconds = round(time.monotonic() - started, 1)
    return report


def _require_kernel(name: str) -> None:
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        KernelSpecManager().get_kernel_spec(name)
    except NoSuchKernel:
        raise GradeError(f"there is no Jupyter kernel named {name!r} (see `jupyter kernelspec list`).") from None


def save_executed(plan: Plan, target: Path) -> None:
    """Save the executed copy for feedback: the checks' cells read as in the course, the
    grader's own set-up cell and result outputs are left out."""
    notebook = copy.deepcopy(plan.notebook)
    sources = {index: exercise for exercise, index in plan.grader_cells.items()}
    for index, cell in enumerate(notebook.cells):
        if index in sources:
            cell.source = _canonical_source(cell.source, sources[index])
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.outputs if _MIME not in o.get("data", {})]
    del notebook.cells[0]
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, target)


def _canonical_source(grader_source: str, exercise: str) -> str:
    tree = ast.parse(grader_source)
    lam = tree.body[0].value.args[1]
    positional, keywords = lam.body.elts
    call = ast.Call(func=ast.Attribute(value=ast.Name("check", ast.Load()),
                                       attr="exercise_" + exercise.replace(".", "_"), ctx=ast.Load()),
                    args=positional.elts,
                    keywords=[ast.keyword(arg=k.value if k is not None else None, value=v)
                              for k, v in zip(keywords.keys, keywords.values)])
    return ast.unparse(ast.fix_missing_locations(call))


# ------------------------------------------------------------------------------------------
# Many notebooks, and the outputs: table, JSON, CSV
# ------------------------------------------------------------------------------------------

def find_submissions(folder: Path) -> list[Path]:
    """Every ``*.ipynb`` under ``folder``, except Jupyter's checkpoints and backups."""
    return sorted(p for p in folder.rglob("*.ipynb")
                  if ".ipynb_checkpoints" not in p.parts and "backup" not in p.relative_to(folder).parts[:-1])


def grade_many(paths: list[Path], *, progress: Callable[[str], None] | None = None,
               executed_dir: Path | None = None, root: Path | None = None, **options) -> list[Report]:
    """Grade each notebook in turn; a notebook that is bad input or crashes gets a report
    with its ``error`` and the others go on."""
    reports = []
    for number, path in enumerate(paths, start=1):
        name = str(path.relative_to(root)) if root else str(path)
        if progress:
            progress(f"[{number}/{len(paths)}] {name} …")
        try:
            target = None
            if executed_dir is not None:
                target = executed_dir / Path(name).with_suffix(".executed.ipynb")
            report = grade_notebook(path, executed=target, **options)
        except GradeError as error:
            report = Report(notebook=str(path), error=str(error))
        except Exception as error:  # keep going: one broken submission must not stop the rest
            report = Report(notebook=str(path), error=f"the grader crashed: {error.__class__.__name__}: {error}")
        if progress:
            progress(f"[{number}/{len(paths)}] {name}: {summary_line(report)}")
        reports.append(report)
    return reports


def summary_line(report: Report) -> str:
    if report.error is not None:
        return f"not graded: {report.error}"
    counts = report.counts()
    parts = [f"{counts[PASSED]} of {len(report.exercises)} passed"]
    parts += [f"{counts[s]} {s}" for s in STATUSES[1:] if counts[s]]
    return ", ".join(parts) + f" ({report.seconds:.0f} s)"


def format_report(report: Report) -> str:
    """The table printed for one notebook."""
    if report.error is not None:
        return f"{report.notebook}: not graded.\n  {report.error}"
    lines = [f"{report.notebook}: course notebook {report.course_notebook}, {report.mode} mode",
             f"  (checks compared with {report.reference})", ""]
    width = max([len(s) for s in STATUSES] + [6])
    lines.append(f"  {'Exercise':<9} {'Result':<{width}}  Details")
    lines.append(f"  {'-' * 9} {'-' * width}  {'-' * 40}")
    for result in report.exercises:
        detail = [line for line in result.detail.splitlines() if line.strip()] or [""]
        lines.append(f"  {result.exercise:<9} {result.status:<{width}}  {detail[0]}".rstrip())
        lines.extend(f"  {'':<9} {'':<{width}}  {line}" for line in detail[1:])
        for text in result.tampering:
            lines.append(f"  {'':<9} {'':<{width}}  tampering: {text}")
    lines.append("")
    if report.tampering:
        lines.append("Tampering that affects every exercise (the course's own checks were run anyway):")
        lines.extend(f"  {text}" for text in report.tampering)
        lines.append("")
    if report.cell_errors:
        lines.append("Other cells that raised errors (see the executed copy, --executed FILE):")
        lines.extend(f"  {text}" for text in report.cell_errors[:5])
        if len(report.cell_errors) > 5:
            lines.append(f"  … and {len(report.cell_errors) - 5} more")
        lines.append("")
    lines.append(f"{summary_line(report)}.")
    return "\n".join(lines)


def write_json(reports: list[Report], target: Path, single: bool) -> None:
    data = reports[0].to_dict() if single else {"submissions": [r.to_dict() for r in reports]}
    target.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def write_csv(reports: list[Report], target: Path, root: Path | None = None) -> None:
    """One row per submission, one column per exercise (its status)."""
    exercises = sorted({r.exercise for report in reports for r in report.exercises},
                       key=lambda e: tuple(int(p) for p in e.split(".")))
    with target.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["submission", "course_notebook", "passed", "exercises", *exercises,
                         "tampering", "error"])
        for report in reports:
            path = Path(report.notebook)
            name = str(path.relative_to(root)) if root and path.is_relative_to(root) else report.notebook
            statuses = {r.exercise: r.status for r in report.exercises}
            writer.writerow([name, report.course_notebook, report.counts()[PASSED], len(report.exercises),
                             *[statuses.get(e, "") for e in exercises],
                             "; ".join(report.tampering + [f"{r.exercise}: {t}" for r in report.exercises
                                                           for t in r.tampering]),
                             report.error or ""])
