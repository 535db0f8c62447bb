"""The part of the grader that runs inside the notebook's own kernel (see :mod:`mnist_course.grade`).

The grader adds one hidden cell at the top of the copy it executes. That cell loads this file
under a random private module name (it is never imported as ``mnist_course._grading_kernel``)
and creates a :class:`Grader`, before any of the student's code runs. The grader object:

* imports a fresh, private copy of the course's checks (``mnist_course.checks.nbNN`` with the
  ``mnist_course`` modules it uses) from the grader's own package folder, so a notebook that
  replaces a check function or monkeypatches ``mnist_course`` cannot change a verdict;
* at each check position runs the course's check call against that copy, and publishes the
  result as one display output of its own MIME type, tagged with a nonce, for the grader
  process to read; it also prints the check's line (✔ … or the failure) for the feedback copy;
* before each check, compares what the notebook sees (the name ``check`` and every loaded
  ``mnist_course`` module) with the fresh copy, and reports anything replaced or deleted, and
  puts back the course's environment variables if the notebook changed them.

Only the standard library and IPython are used here.

Example (what the grader writes into the hidden first cell; shown for reading only):
    >>> grader = Grader("/path/to/mnist_course", "mnist_course.checks.nb01", "ab12",
    ...                 {"MNIST_COURSE_FAST": "1"})          # doctest: +SKIP
    >>> grader.grade("1.2", lambda: ((class_counts,), {}), globals())   # doctest: +SKIP
    ✔ Exercise 1.2 passed: ten counts, one per digit, that add up to the training set.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import traceback
import types

#: MIME type of the one output in which a check position publishes its result.
MIME_TYPE = "application/vnd.mnist-course.grade+json"
PACKAGE = "mnist_course"
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
    """Runs the course's checks, freshly imported, at the check positions of a notebook."""

    def __init__(self, package_dir: str, module_name: str, nonce: str, environment: dict):
        self.module_name = module_name
        self.nonce = nonce
        self.environment = dict(environment)
        self.fresh = load_fresh(package_dir, module_name)
        self.checks = self.fresh[module_name]
        core = self.fresh[PACKAGE + ".checks._core"]
        self.CheckFailed, self.NotAttempted = core.CheckFailed, core.NotAttempted

    # -- what the notebook changed -------------------------------------------------------
    def tampering(self, namespace: dict) -> list[str]:
        """What the notebook replaced, deleted or rebound among the course's modules, and
        which of the course's environment variables it changed (those are put back)."""
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
            if module is None:
                continue
            if not isinstance(module, types.ModuleType) or not _same_file(
                    getattr(module, "__file__", None), getattr(fresh, "__file__", None)):
                found.append(f"the notebook uses a different {name} than the course's "
                             f"({getattr(module, '__file__', module)!r})")
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
    def grade(self, exercise: str, arguments, namespace: dict) -> None:
        """Run the course's check of ``exercise`` on ``arguments()`` (a thunk returning
        ``(args, kwargs)``, evaluated in the notebook) and publish the result."""
        result = {"nonce": self.nonce, "exercise": exercise, "status": None, "message": "",
                  "tampering": []}
        try:
            result["tampering"] = self.tampering(namespace)
        except Exception as error:  # never let the inspection itself stop the grading
            result["tampering"] = [f"the grader could not inspect the course's modules ({error!r})"]
        function = getattr(self.checks, "exercise_" + exercise.replace(".", "_"), None)
        try:
            args, kwargs = arguments()
        except NameError as error:
            result.update(status="not reached", message=f"NameError: {error}")
        except Exception as error:
            result.update(status="failed", message=_describe(error, "evaluating the check's arguments"))
        else:
            if function is None:
                result.update(status="error", message=f"{self.module_name} has no check for {exercise}")
            else:
                try:
                    function(*args, **kwargs)
                except self.NotAttempted as error:
                    result.update(status="not attempted", message=str(error))
                except self.CheckFailed as error:
                    result.update(status="failed", message=str(error))
                except KeyboardInterrupt:
                    raise
                except Exception as error:
                    result.update(status="failed",
                                  message=_describe(error, "the check could not use the answer"))
                else:
                    result.update(status="passed")
        if result["status"] != "passed":
            print(f"✘ {result['message']}" if result["status"] == "failed" else result["message"])
        _publish(result)


def _describe(error: BaseException, context: str) -> str:
    lines = traceback.format_exception_only(type(error), error)
    return f"{context}: {''.join(lines).strip()}"


def _publish(result: dict) -> None:
    from IPython.display import display

    display({MIME_TYPE: result}, raw=True)
