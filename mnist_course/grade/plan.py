"""The copy of a submission that is executed: where each exercise's check position goes.

:func:`plan_execution` compares the submission's check cells with the course's (deleted,
duplicated, moved or edited cells make that exercise *tampered*), scans its code
(:mod:`mnist_course.grade.scan`), and builds the copy to run: a hidden first cell that sets up
the grader's helper in the kernel (:mod:`mnist_course.grade.kernel`) before any student
code, then the submission's cells, with the course's own check call at each check position,
rewritten to hand the call's arguments over as data instead of checking them there.

Example:
    >>> plan = plan_execution(notebook, load_reference(1), {})          # doctest: +SKIP
    >>> plan.notebook.cells[plan.grader_cells["1.2"]].source            # doctest: +SKIP
    "_mnist_course_grader.hand_over('1.2', lambda: ((class_counts,), {}), globals())"
"""

from __future__ import annotations

import ast
import copy
import dataclasses

import nbformat

from mnist_course.grade.reference import (
    Reference, check_call, normalised, parse, plain_call,
)
from mnist_course.grade.results import GradeError
from mnist_course.grade.scan import Scanner
from mnist_course.tools.ipynb import CHECK_TAG, EXERCISE_TAG, tagged

#: The name of the grader's helper object in the kernel.
HELPER = "_mnist_course_grader"


@dataclasses.dataclass
class Plan:
    """The notebook to execute and where everything is in it."""

    notebook: nbformat.NotebookNode
    grader_cells: dict[str, int]                # exercise -> index of its check position
    exercise_cells: dict[str, list[int]]        # exercise -> indices of its code cells
    original_index: dict[int, int]              # executed index -> index in the submission
    tampering: dict[str | None, list[str]]      # exercise (None: all) -> what was changed
    bound_before: dict[int, set[str]]           # executed index -> names bound by earlier cells
    notes: list[str] = dataclasses.field(default_factory=list)  # unusual code, not a verdict


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


def first_line(source: str, width: int = 60) -> str:
    """The first non-blank line of ``source``, cut to ``width`` characters."""
    line = next((line.strip() for line in source.splitlines() if line.strip()), "")
    return line if len(line) <= width else line[: width - 1] + "…"


def plan_execution(notebook, reference: Reference, environment: dict[str, str | None], *,
                   package_dir: str = "", answers_dir: str = "") -> Plan:
    """Compare the submission with the reference and build the copy to execute.

    ``package_dir`` is the course's package as the kernel imports it and ``answers_dir`` the
    folder the answers are handed over in (both made by :mod:`mnist_course.grade.run`).
    Raises :class:`GradeError` when an exercise cell of the course notebook is missing.
    """
    cells = notebook.cells
    code_of = {e: [i for i, c in enumerate(cells) if c.cell_type == "code" and e in tagged(c, EXERCISE_TAG)]
               for e in reference.exercises}
    missing = [e for e, found in code_of.items() if not found]
    if missing:
        raise GradeError(
            f"this notebook of the course is missing exercise{'s' if len(missing) > 1 else ''} "
            f"{', '.join(missing)} (no code cell tagged exercise:{missing[0]}, …). Was it made from "
            f"another version of the course, or were cells deleted? Start from a fresh copy.")
    checks_of = {e: [i for i, c in enumerate(cells) if e in tagged(c, CHECK_TAG)] for e in reference.exercises}
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
        canonical = normalised(reference.check_sources[exercise])
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
                        if cells[i].cell_type == "code" and normalised(cells[i].source) == canonical]
        else:
            matching = [i for i in in_window if cells[i].cell_type == "code" and plain_call(
                cells[i].source, exercise, reference.parameters.get(exercise, []))]
        chosen = (matching or in_window or [None])[0]
        if not reference.strict and chosen in matching:
            sources[exercise] = cells[chosen].source
        if chosen is not None and chosen not in matching:
            notes.append(f"its check cell was edited (it reads `{first_line(cells[chosen].source)}`)")
        for index in checks:
            if index != chosen:
                neutralise[index] = exercise
        if chosen is not None:
            place[exercise] = ("replace", chosen)
        else:
            anchor = max(i for i in code_of[exercise] if i < end)
            skip = reference.offsets.get(exercise, 0)
            while skip and anchor + 1 < end and cells[anchor + 1].cell_type == "code" and not (
                    tagged(cells[anchor + 1], CHECK_TAG) or tagged(cells[anchor + 1], EXERCISE_TAG)):
                anchor, skip = anchor + 1, skip - 1
            place[exercise] = ("after", anchor)

    # Code that replaces the course's checks (tampering), and other unusual code (notes).
    scanner = Scanner(reference.number)
    notes: list[str] = []
    replaced = {index for kind, index in place.values() if kind == "replace"} | set(neutralise)
    trees = {i: parse(c.source) for i, c in enumerate(cells) if c.cell_type == "code"}
    for index, tree in trees.items():
        if tree is not None and index not in replaced:
            scanner.collect_imports(tree)
    for index, tree in trees.items():
        if tree is None or index in replaced:
            continue
        for finding in scanner.scan(tree, f"cell {index + 1} (`{first_line(cells[index].source, 40)}`)"):
            if not finding.tampering:
                if finding.text not in notes:
                    notes.append(finding.text)
                continue
            key = finding.exercise if finding.exercise in tampering else None
            if finding.text not in tampering.setdefault(key, []):
                tampering[key].append(finding.text)

    # Build the copy: hidden set-up cell first, then the submission with the check positions.
    result = nbformat.v4.new_notebook(metadata=copy.deepcopy(notebook.metadata))
    result.cells.append(nbformat.v4.new_code_cell(_setup_source(reference, environment, package_dir, answers_dir)))
    grader_cells: dict[str, int] = {}
    exercise_cells: dict[str, list[int]] = {e: [] for e in reference.exercises}
    original_index: dict[int, int] = {}
    after = {index: e for e, (kind, index) in place.items() if kind == "after"}
    replace = {index: e for e, (kind, index) in place.items() if kind == "replace"}
    for index, cell in enumerate(cells):
        new = copy.deepcopy(cell)
        if index in replace:
            new = nbformat.v4.new_code_cell(_grader_source(sources[replace[index]], replace[index]),
                                            metadata=copy.deepcopy(cell.metadata))
            grader_cells[replace[index]] = len(result.cells)
        elif index in neutralise:
            new = nbformat.v4.new_markdown_cell(
                f"*(A cell tagged check:{neutralise[index]} that the grader did not run: the course's "
                f"check of exercise {neutralise[index]} runs once, right after its exercise.)*",
                metadata=copy.deepcopy(cell.metadata))
        if new.cell_type == "code":
            new.outputs, new.execution_count = [], None
            for exercise in tagged(cell, EXERCISE_TAG):
                if exercise in exercise_cells and index not in replace:
                    exercise_cells[exercise].append(len(result.cells))
        original_index[len(result.cells)] = index
        result.cells.append(new)
        if index in after:
            grader_cells[after[index]] = len(result.cells)
            result.cells.append(nbformat.v4.new_code_cell(
                _grader_source(sources[after[index]], after[index]),
                metadata={"tags": [f"check:{after[index]}"]}))
    for index, cell in enumerate(result.cells):
        cell["id"] = f"graded-{index}"

    bound_before: dict[int, set[str]] = {}
    bound: set[str] = set()
    for index, cell in enumerate(result.cells):
        bound_before[index] = set(bound)
        if cell.cell_type == "code" and index in original_index:
            bound |= _bound_names(parse(cell.source))
    return Plan(result, grader_cells, exercise_cells, original_index, tampering, bound_before, notes)


def _setup_source(reference: Reference, environment: dict, package_dir: str, answers_dir: str) -> str:
    kernel_helper = f"{package_dir}/grade/kernel.py"
    return (
        "# Added by mnist-course grade: sets up the grader's helper before any other code runs.\n"
        "def _mnist_course_grader_setup():\n"
        "    import importlib.util\n"
        f"    spec = importlib.util.spec_from_file_location('_mnist_course_grading_kernel', {kernel_helper!r})\n"
        "    module = importlib.util.module_from_spec(spec)\n"
        "    spec.loader.exec_module(module)\n"
        f"    return module.Grader({package_dir!r}, {reference.module!r}, {answers_dir!r}, {environment!r})\n"
        f"{HELPER} = _mnist_course_grader_setup()\n"
        "del _mnist_course_grader_setup\n"
    )


def _grader_source(check_source: str, exercise: str) -> str:
    """``helper.hand_over("1.2", lambda: ((class_counts,), {}), globals())`` from the canonical call."""
    call = check_call(check_source, exercise)
    arguments = ast.Tuple(elts=[ast.Tuple(elts=list(call.args), ctx=ast.Load()),
                                ast.Dict(keys=[k.arg and ast.Constant(k.arg) for k in call.keywords],
                                         values=[k.value for k in call.keywords])], ctx=ast.Load())
    thunk = ast.Lambda(args=ast.arguments(posonlyargs=[], args=[], kwonlyargs=[], kw_defaults=[],
                                          defaults=[]), body=arguments)
    return f"{HELPER}.hand_over({exercise!r}, {ast.unparse(ast.fix_missing_locations(thunk))}, globals())"


def canonical_source(grader_source: str, exercise: str) -> str:
    """The check cell as the course writes it, from its check position's source."""
    tree = ast.parse(grader_source)
    lam = tree.body[0].value.args[1]
    positional, keywords = lam.body.elts
    call = ast.Call(func=ast.Attribute(value=ast.Name("check", ast.Load()),
                                       attr="exercise_" + exercise.replace(".", "_"), ctx=ast.Load()),
                    args=positional.elts,
                    keywords=[ast.keyword(arg=k.value if k is not None else None, value=v)
                              for k, v in zip(keywords.keys, keywords.values)])
    return ast.unparse(ast.fix_missing_locations(call))
