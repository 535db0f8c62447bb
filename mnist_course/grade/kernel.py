"""The part of the grader that runs inside the student's kernel (see :mod:`mnist_course.grade`).

It decides nothing. The grader adds one hidden cell at the top of the copy it executes; that
cell loads this file under a private module name from the course's copy made for this run
(which has no ``solutions/``) and creates a :class:`Grader` before any student code runs. At
each check position, :meth:`Grader.hand_over` evaluates the arguments of the course's own
check call in the notebook and writes them as data into a folder of this run
(:mod:`mnist_course.grade.capture`): arrays, numbers, models as ``.keras`` files, and so on.
For a function answer (``softmax``, a model builder, a plotting function) it runs the course's
check once here with the function wrapped, only to record which inputs the check gives it and
what it returns; that run's verdict is thrown away. The judge, a separate process, reads the
folder and decides every verdict.

It also writes what it notices (a replaced check function, a changed environment variable)
as notes beside the answers; they are the notebook's own claims, and never a verdict.

Example (what the grader writes into the hidden first cell; shown for reading only):
    >>> grader = Grader("/run/course/mnist_course", "mnist_course.checks.nb01",
    ...                 "/run/answers", {"MNIST_COURSE_FAST": "1"})       # doctest: +SKIP
    >>> grader.hand_over("1.2", lambda: ((class_counts,), {}), globals())   # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import importlib.util
import inspect
import io
import json
import os
import shutil
import sys
import traceback
import types

PACKAGE = "mnist_course"
#: The file beside each exercise's answers that says how handing them over went.
STATUS_FILE = "kernel.json"
_MISSING = object()
_CONSTANTS = (str, bytes, int, float, complex, bool, type(None), tuple, frozenset)


def _is_course_module(name: str) -> bool:
    return name == PACKAGE or name.startswith(PACKAGE + ".")


def load_fresh(package_dir: str, module_name: str) -> dict[str, types.ModuleType]:
    """Import ``module_name`` anew from ``package_dir``; return the fresh course modules by name.

    ``sys.modules`` is left as it was: the notebook's own ``mnist_course`` (if already
    imported) stays what it is, and the fresh copies are reachable only through the result.
    """
    saved = {name: module for name, module in sys.modules.items() if _is_course_module(name)}
    for name in saved:
        del sys.modules[name]
    try:
        spec = importlib.util.spec_from_file_location(
            PACKAGE, os.path.join(package_dir, "__init__.py"), submodule_search_locations=[package_dir])
        package = importlib.util.module_from_spec(spec)
        sys.modules[PACKAGE] = package
        spec.loader.exec_module(package)
        importlib.import_module(module_name)
        fresh = {name: module for name, module in sys.modules.items() if _is_course_module(name)}
    finally:
        for name in [name for name in sys.modules if _is_course_module(name)]:
            del sys.modules[name]
        sys.modules.update(saved)
    return fresh


def _load_file(path: str, name: str) -> types.ModuleType:
    """Execute one file of the course as a private module (not in ``sys.modules``)."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _code_key(function):
    """What identifies a function: its code object (compared by value) and its defaults."""
    function = getattr(function, "__wrapped__", function)
    if not isinstance(function, types.FunctionType):
        return None
    return function.__code__, repr(function.__defaults__), repr(function.__kwdefaults__)


def _same_file(a: str | None, b: str | None) -> bool:
    try:
        return bool(a and b) and os.path.samefile(a, b)
    except OSError:
        return False


class Grader:
    """Hands the answers at each check position over to the judge, as data."""

    def __init__(self, package_dir: str, module_name: str, answers_dir: str, environment: dict):
        self.module_name = module_name
        self.answers_dir = answers_dir
        self.environment = dict(environment)
        self.fresh = load_fresh(package_dir, module_name)
        self.checks = self.fresh[module_name]
        self.capture = _load_file(os.path.join(package_dir, "grade", "capture.py"), "_mnist_course_capture")

    # -- what the notebook changed (its own claims: notes for the report) -------------------
    def noticed(self, namespace: dict) -> list[str]:
        """What the notebook replaced among the course's modules, and which of the course's
        environment variables it changed (those are put back)."""
        found = []
        for variable, expected in self.environment.items():
            actual = os.environ.get(variable)
            if actual != expected:
                found.append(f"the notebook changed the environment variable {variable} "
                             f"(from {expected!r} to {actual!r})")
                if expected is None:
                    os.environ.pop(variable, None)
                else:
                    os.environ[variable] = expected
        loaded = sys.modules.get(self.module_name)
        if "check" in namespace and loaded is not None and namespace["check"] is not loaded:
            found.append(f"the name `check` was rebound: it is no longer {self.module_name}")
        for name, fresh in self.fresh.items():
            module = sys.modules.get(name)
            if module is None or name.startswith(PACKAGE + ".grade"):
                continue
            if not isinstance(module, types.ModuleType) or not _same_file(
                    getattr(module, "__file__", None), getattr(fresh, "__file__", None)):
                found.append(f"the notebook uses a different {name} than the course's")
                continue
            found.extend(self._compare_module(name, module, fresh))
        return found

    def _compare_module(self, name: str, module: types.ModuleType, fresh: types.ModuleType) -> list[str]:
        found = []
        for attribute, expected in vars(fresh).items():
            if attribute.startswith("__"):
                continue
            actual = getattr(module, attribute, _MISSING)
            where = f"{name}.{attribute}"
            if actual is _MISSING:
                if not isinstance(expected, types.ModuleType):
                    found.append(f"{where} was deleted")
            elif isinstance(expected, types.ModuleType):
                wanted = sys.modules.get(expected.__name__) if _is_course_module(expected.__name__) else expected
                if actual is not wanted:
                    found.append(f"{where} was replaced")
            elif _code_key(expected) is not None:
                if _code_key(actual) != _code_key(expected):
                    found.append(f"{where} was replaced")
            elif isinstance(expected, type):
                if not (isinstance(actual, type) and actual.__qualname__ == expected.__qualname__
                        and actual.__module__ == expected.__module__):
                    found.append(f"{where} was replaced")
            elif isinstance(expected, _CONSTANTS):
                try:
                    changed = type(actual) is not type(expected) or actual != expected
                except Exception:
                    changed = True
                if changed:
                    found.append(f"{where} was changed")
        return found

    # -- one check position ---------------------------------------------------------------
    def hand_over(self, exercise: str, arguments, namespace: dict) -> None:
        """Write the answers ``arguments()`` (a thunk returning ``(args, kwargs)``, evaluated
        in the notebook) for the judge, with a status file saying how that went."""
        folder = os.path.join(self.answers_dir, exercise)
        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(folder)
        status = {"exercise": exercise, "status": "handed over", "message": "", "notes": []}
        try:
            status["notes"] = self.noticed(namespace)
        except Exception as error:  # never let the inspection itself stop the grading
            status["notes"] = [f"the grader could not inspect the course's modules ({error!r})"]
        function = getattr(self.checks, "exercise_" + exercise.replace(".", "_"), None)
        try:
            args, kwargs = arguments()
        except NameError as error:
            status.update(status="name error", message=f"NameError: {error}")
        except Exception as error:
            status.update(status="error", message=_describe(error, "evaluating the check's arguments"))
        else:
            try:
                names = _parameter_names(function, len(args))
                record = self._record_calls(function) if any(_is_function(a) for a in
                                                              [*args, *kwargs.values()]) else None
                self.capture.dump(folder, names, list(args), dict(kwargs), record)
            except self.capture.CaptureError as error:
                status.update(status="error", message=f"the answer could not be handed over: {error}")
            except KeyboardInterrupt:
                raise
            except BaseException as error:
                status.update(status="error", message=_describe(error, "handing the answer over"))
        with open(os.path.join(folder, STATUS_FILE), "w", encoding="utf-8") as handle:
            json.dump(status, handle)
        if status["status"] == "error":
            print(f"The grader could not take this exercise's answer: {status['message']}")

    def _record_calls(self, check):
        """Run the course's ``check`` here with each function answer wrapped, to record the
        calls it makes to them; its verdict and output are thrown away."""
        def record_calls(recorder, args: list, kwargs: dict) -> None:
            wrapped_args = [_wrap(recorder, a) if _is_function(a) else a for a in args]
            wrapped_kwargs = {k: _wrap(recorder, v) if _is_function(v) else v for k, v in kwargs.items()}
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                try:
                    check(*wrapped_args, **wrapped_kwargs)
                except KeyboardInterrupt:
                    raise
                except BaseException:
                    pass
        return record_calls


def _is_function(value) -> bool:
    if isinstance(value, type) or not callable(value):
        return False
    module = type(value).__module__.split(".")[0]
    return module not in ("keras", "tensorflow", "numpy", "matplotlib")


def _wrap(recorder, function):
    """``function``, recording every call in ``recorder`` (see capture.Recorder.record)."""
    import numpy as np

    @functools.wraps(function)
    def recording(*args, **kwargs):
        before = tuple(np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in args)
        pyplot = sys.modules.get("matplotlib.pyplot")
        numbers = set(pyplot.get_fignums()) if pyplot else set()
        result = error = None
        try:
            result = function(*args, **kwargs)
        except Exception as caught:
            error = caught
        pyplot = sys.modules.get("matplotlib.pyplot")
        figures = [pyplot.figure(n) for n in pyplot.get_fignums() if n not in numbers] if pyplot else []
        recorder.record(function, before, args, kwargs, result, error, figures)
        if error is not None:
            raise error
        return result

    return recording


def _parameter_names(function, count: int) -> list[str]:
    try:
        names = [p.name for p in inspect.signature(function).parameters.values()
                 if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        names = []
    return [names[i] if i < len(names) else f"argument {i + 1}" for i in range(count)]


def _describe(error: BaseException, context: str) -> str:
    lines = traceback.format_exception_only(type(error), error)
    return f"{context}: {''.join(lines).strip()}"
