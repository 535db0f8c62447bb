"""Read a submission's code, before it runs, for what a report should mention.

The scan reports; it convicts only code that replaces or patches the course's checks: an
assignment to or deletion of anything reached from ``check`` or ``mnist_course``
(``check.exercise_1_2 = …``, ``core.fail = print``), ``setattr``/``delattr`` on them, and
rebinding, deleting or redefining the name ``check``. That makes the exercise (or, when no
exercise is named, every exercise) **tampered**. Everything else unusual (``exec``,
``globals()``, ``sys.modules``, patching ``numpy``, ``gc``, ``ctypes``, IPython hooks) becomes
a *note* in the report and never changes a verdict: the verdicts come from the judge, which
no code in the notebook can reach, so such code can only change the answers themselves.

Example:
    >>> scanner = Scanner(1)
    >>> tree = ast.parse("check.exercise_1_2 = print")
    >>> scanner.collect_imports(tree)
    >>> scanner.scan(tree, "cell 9")
    [Finding(exercise='1.2', text='cell 9 replaces `check.exercise_1_2` (part of the course's checks)', tampering=True)]
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from typing import NamedTuple

from mnist_course.grade.reference import parse

_SUSPICIOUS_CALLS = {"exec", "eval", "compile", "__import__"}
_NO_ARGUMENT_CALLS = {"globals", "locals", "vars"}
_SUSPICIOUS_NAMES = {"__builtins__", "In", "Out", "_ih", "_oh"}
_SUSPICIOUS_IMPORTS = {"builtins", "importlib", "gc", "ctypes", "imp"}
_SUSPICIOUS_ATTRIBUTES = {"__code__", "__globals__", "__dict__", "__defaults__", "__kwdefaults__",
                          "__closure__", "__builtins__", "__subclasses__", "f_globals", "f_locals",
                          "f_back", "tb_frame", "gi_frame", "__self__"}
_SUSPICIOUS_SYS = {"modules", "_getframe", "settrace", "setprofile", "meta_path", "path_hooks"}
_ALLOWED_IPYTHON = {"run_line_magic", "run_cell_magic", "system", "getoutput"}
_PYTHON_MAGICS = {"time", "timeit", "prun", "capture", "debug"}


class Finding(NamedTuple):
    """One thing the scan found: in which exercise's check (None: any), what, and whether it
    replaces or patches the course's checks (``tampering``) or is only worth a note."""

    exercise: str | None
    text: str
    tampering: bool


def _root(node: ast.AST) -> str | None:
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def exercise_in(text: str) -> str | None:
    """The exercise ``N.M`` named as ``exercise_N_M`` in ``text``, if any."""
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


class Scanner:
    """Finds code that replaces the course's checks (tampering), and other unusual code (notes)."""

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

    def scan(self, tree: ast.AST, where: str) -> list[Finding]:
        found: list[Finding] = []

        def note(exercise: str | None, text: str, tampering: bool = False) -> None:
            item = Finding(exercise, f"{where} {text}", tampering)
            if item not in found:
                found.append(item)

        for node in ast.walk(tree):
            for target in (t for b in _binding_targets(node) for t in _flatten(b)):
                self._target(target, node, note)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == "check":
                note(None, "defines its own `check`", True)
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
            note(None, f"{'deletes' if verb == 'deletes' else 'rebinds'} the name `check`", True)
        elif isinstance(target, ast.Subscript) and isinstance(target.value, ast.Call) \
                and isinstance(target.value.func, ast.Name) and target.value.func.id in ("vars", "getattr"):
            text = ast.unparse(target)
            inner = target.value.args[0] if target.value.args else None
            if inner is not None and _root(inner) in self.course:
                note(exercise_in(text), f"{verb} `{text}` (part of the course's checks)", True)
            else:
                note(None, f"{verb} `{text}`")
        elif isinstance(target, (ast.Attribute, ast.Subscript)):
            root = _root(target)
            text = ast.unparse(target)
            if root in self.course and isinstance(target, ast.Attribute):
                note(exercise_in(text), f"{verb} `{text}` (part of the course's checks)", True)
            elif root in self.modules and isinstance(target, ast.Attribute):
                note(None, f"{verb} `{text}` (monkeypatches a module)")

    def _import(self, node: ast.AST, note) -> None:
        for alias in node.names:
            full = alias.name if isinstance(node, ast.Import) else f"{node.module}.{alias.name}"
            bound = alias.asname or alias.name.split(".")[0]
            if full.split(".")[0] in _SUSPICIOUS_IMPORTS or (
                    isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in _SUSPICIOUS_IMPORTS):
                note(None, f"imports {full}")
            if bound == "check" and not (isinstance(node, ast.ImportFrom) and node.module == "mnist_course.checks"
                                         and alias.name == self.canonical_import):
                note(None, f"rebinds the name `check` (import {full})", True)

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
                note(exercise_in(ast.unparse(node)), f"calls {name}() on the course's checks", True)
            else:
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
                    inner = parse(body.value)
                    if inner is not None:
                        for finding in self.scan(inner, where):
                            note(finding.exercise, finding.text[len(where) + 1:], finding.tampering)
