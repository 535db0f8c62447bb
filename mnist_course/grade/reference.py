"""Which course notebook a submission is, and the course's canonical check cells for it.

The notebook's ``exercise:N.M`` / ``check:N.M`` tags say which course notebook it is (``N``;
a renamed file is fine). The canonical check cells come from the course's solution notebook
``NN_*.ipynb`` in ``--solutions DIR``, else in the ``solutions/`` folder of the checkout the
package was imported from. Without either (an installed wheel) the exercises come from
``mnist_course.checks.nbNN`` and each check cell must be a plain call
``check.exercise_N_M(variable, ...)`` of that check's parameters.

Example:
    >>> reference = load_reference(1)                      # doctest: +SKIP
    >>> reference.check_sources["1.2"]                     # doctest: +SKIP
    'check.exercise_1_2(class_counts)'
"""

from __future__ import annotations

import ast
import dataclasses
import re
from pathlib import Path

from mnist_course.grade.results import GradeError
from mnist_course.tools.ipynb import CHECK_TAG, EXERCISE_TAG, NotebookError, exercise_ids, read_notebook, tagged

PACKAGE_DIR = Path(__file__).resolve().parents[1]
#: Where the solution notebooks are in a checkout of the course (absent in an installed wheel).
CHECKOUT_SOLUTIONS = PACKAGE_DIR.parent / "solutions"



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
        return reference_from_checks(number)
    try:
        notebook = read_notebook(solution)
    except NotebookError as error:
        raise GradeError(f"the course's solution notebook is unusable: {error}") from None
    exercises = exercise_ids(notebook)
    sources, offsets = {}, {}
    for exercise in exercises:
        answer = [i for i, c in enumerate(notebook.cells) if c.cell_type == "code"
                  and exercise in tagged(c, EXERCISE_TAG)]
        checks = [i for i, c in enumerate(notebook.cells) if exercise in tagged(c, CHECK_TAG)]
        if not answer or len(checks) != 1:
            raise GradeError(f"{solution}: exercise {exercise} needs one exercise cell and one check cell.")
        sources[exercise] = notebook.cells[checks[0]].source
        offsets[exercise] = sum(c.cell_type == "code" for c in notebook.cells[answer[-1] + 1:checks[0]])
    title = notebook.cells[0].source.splitlines()[0].lstrip("# ").strip() if notebook.cells else ""
    return Reference(number, exercises, sources, offsets, display_path(solution), title)


def reference_from_checks(number: int) -> Reference:
    """Without a solution notebook: the exercises and parameters of ``checks/nbNN.py``.

    The check cells are rebuilt as ``check.exercise_N_M(<parameter names>)``, and a submission's
    own check cell is accepted instead when it is a plain call of that function on variables
    (see :func:`plain_call`): course notebooks may pass a variable named unlike the parameter.
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


def plain_call(source: str, exercise: str, parameters: list[str]) -> bool:
    """True for ``check.exercise_N_M(a, b, c=d)``: variables only, no more than the parameters."""
    try:
        call = check_call(source, exercise)
    except GradeError:
        return False
    return (all(isinstance(arg, ast.Name) for arg in call.args) and len(call.args) <= len(parameters)
            and all(k.arg in parameters and isinstance(k.value, ast.Name) for k in call.keywords))


def display_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


# ------------------------------------------------------------------------------------------
# Cell sources as Python
# ------------------------------------------------------------------------------------------

def python(source: str) -> str:
    """Cell source as plain Python (IPython magics turned into calls)."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager
    except ImportError:  # pragma: no cover - IPython comes with Jupyter
        return source
    try:
        return TransformerManager().transform_cell(source)
    except Exception:
        return source


def parse(source: str) -> ast.Module | None:
    try:
        return ast.parse(python(source))
    except (SyntaxError, ValueError):
        return None


def normalised(source: str) -> str:
    tree = parse(source)
    return ast.dump(tree) if tree is not None else source.strip()


def check_call(source: str, exercise: str) -> ast.Call:
    """The single ``check.exercise_N_M(...)`` call of a canonical check cell."""
    tree = parse(source)
    function = "exercise_" + exercise.replace(".", "_")
    if (tree is not None and len(tree.body) == 1 and isinstance(tree.body[0], ast.Expr)
            and isinstance(call := tree.body[0].value, ast.Call)
            and isinstance(call.func, ast.Attribute) and call.func.attr == function
            and isinstance(call.func.value, ast.Name) and call.func.value.id == "check"):
        return call
    raise GradeError(f"the course's check cell of exercise {exercise} is not one call "
                     f"check.{function}(...): {source!r}")
