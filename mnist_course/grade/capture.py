"""Hand an answer over as data: written in the student's kernel, read back by the judge.

At a check position the grader's helper in the kernel (:mod:`mnist_course.grade.kernel`)
calls :func:`dump` with the check's arguments; the judge (:mod:`mnist_course.grade.judge`)
calls :func:`load` on the same folder and gets objects the course's check can read. Nothing
in the folder is a verdict, and nothing in it is executed: JSON, ``.npy`` files read with
``allow_pickle=False`` and ``.keras`` files read with ``safe_mode=True``.

What each kind of answer becomes:

* ``None``, numbers, strings, bytes, ``...``: JSON; lists, tuples, sets and dicts (also
  ``Counter``, ``OrderedDict``, ``defaultdict``) keep their type;
* NumPy arrays and scalars, TensorFlow tensors and TensorShapes, ``Path``: their values and
  type (a subclass of ``ndarray`` becomes a plain array: its methods stay in the kernel);
* a Keras model: a ``.keras`` file saved in the kernel (if it cannot be saved, the judge fails
  the exercise and says why);
* a Keras ``History``: its ``history``, ``params`` and ``epoch``, and its model;
* a Matplotlib ``Figure`` or ``Axes``: what is drawn (titles, labels, scales, limits, lines,
  scatter points, images, legends), rebuilt in the judge as real Matplotlib objects;
* a Keras optimizer, loss or metric object: its class and configuration;
* a function (``softmax``, a model builder, a plotting function): the calls the course's check
  made to it in the kernel, inputs and outputs (and the figures a call drew); in the judge it
  becomes a function that answers those same inputs and raises an error for any other (a
  model it returns keeps the optimizer it was given);
* anything else that NumPy reads as numbers: that array; otherwise the judge fails the
  exercise, naming the type it cannot take.

The same object seen twice (a model and ``history.model``) is restored as one object.

Example (both halves in one process; the grader runs them in two):
    >>> import tempfile
    >>> folder = tempfile.mkdtemp()
    >>> dump(folder, ["counts"], [[1, 2, 3]], {})
    >>> load(folder).args
    [[1, 2, 3]]
"""

from __future__ import annotations

import base64
import builtins
import collections
import json
import math
import os
import pathlib
import shutil
import stat
from collections.abc import Callable
from typing import Any

import numpy as np

MANIFEST = "manifest.json"
#: Largest array handed over (bytes); a bigger answer fails with a clear reason.
MAX_ARRAY_BYTES = 400 * 2**20
#: Largest file named by a string answer that is handed over with it (a saved model).
MAX_FILE_BYTES = 200 * 2**20
#: A string answer ending in one of these that names a file hands the file over with it (the
#: judge gets the path of its copy, with the same ending): a path relative to the notebook works.
FILE_SUFFIXES = (".keras", ".h5", ".npz", ".npy")
_DICTS = {"dict": dict, "Counter": collections.Counter, "OrderedDict": collections.OrderedDict,
          "defaultdict": dict}
_SEQUENCES = {"list": list, "tuple": tuple, "set": set, "frozenset": frozenset}


class CaptureError(Exception):
    """An answer could not be handed over, or read back; the message says which and why."""


# ------------------------------------------------------------------------------------------
# In the kernel: objects -> files
# ------------------------------------------------------------------------------------------

def _module_of(value: Any) -> str:
    return type(value).__module__.split(".")[0]


def _is_keras(value: Any, name: str) -> bool:
    return any(c.__name__ == name and c.__module__.split(".")[0] == "keras" for c in type(value).__mro__)


def _is_matplotlib(value: Any, name: str) -> bool:
    return any(c.__name__ == name and c.__module__.startswith("matplotlib.") for c in type(value).__mro__)


class Recorder:
    """Turns objects into JSON nodes and files in ``folder`` (see the module docstring)."""

    def __init__(self, folder: str):
        self.folder = folder
        self.ids: dict[int, int] = {}
        self.keep: list[Any] = []      # keeps every object alive so that its id() is not reused
        self.calls: dict[int, list] = {}   # id of a recorded function -> its calls
        self.files = 0

    def _file(self, suffix: str) -> str:
        self.files += 1
        return f"f{self.files}{suffix}"

    def encode(self, value: Any) -> dict:
        if value is None or value is Ellipsis:
            return {"t": "none" if value is None else "ellipsis"}
        if isinstance(value, bool):
            return {"t": "bool", "v": value}
        if type(value) is str and value.lower().endswith(FILE_SUFFIXES):  # a saved model's path
            return {**_plain(value), **self._named_file(value)}
        if type(value) in (int, float, complex, bytes):
            return _plain(value)
        key = id(value)
        if key in self.ids:
            return {"t": "ref", "id": self.ids[key]}
        self.ids[key] = number = len(self.keep)
        self.keep.append(value)
        node = self._encode_new(value)
        node["id"] = number
        return node

    def _encode_new(self, value: Any) -> dict:
        for plain in (int, float, complex, str, bytes):  # a subclass: its plain value only
            if isinstance(value, plain):
                return _plain(plain(value))
        if isinstance(value, tuple(_SEQUENCES.values())):
            kind = next(k for k, t in _SEQUENCES.items() if isinstance(value, t))
            return {"t": kind, "v": [self.encode(item) for item in value]}
        if isinstance(value, dict):
            kind = next((k for k, t in _DICTS.items() if type(value).__name__ == k), "dict")
            return {"t": "dict", "kind": kind, "v": [[self.encode(k), self.encode(v)] for k, v in value.items()]}
        if isinstance(value, np.generic):
            return {"t": "npscalar", "file": self._array(np.asarray(value))}
        if isinstance(value, np.ndarray):
            return {"t": "array", "file": self._array(value)}
        if isinstance(value, pathlib.PurePath):
            return {"t": "path", "v": str(value), **self._named_file(str(value))}
        if _is_keras(value, "Model"):
            return self._model(value)
        if _is_keras(value, "History"):
            return {"t": "history", "history": self.encode(dict(getattr(value, "history", {}) or {})),
                    "params": self.encode(dict(getattr(value, "params", {}) or {})),
                    "epoch": self.encode(list(getattr(value, "epoch", []) or [])),
                    "model": self.encode(getattr(value, "model", None))}
        if _is_matplotlib(value, "Figure"):
            return {"t": "figure", **_figure_properties(self, value)}
        if _is_matplotlib(value, "Axes"):
            return {"t": "axes", "figure": self.encode(value.get_figure()),
                    "index": value.get_figure().axes.index(value)}
        if _module_of(value) == "keras" and hasattr(value, "get_config"):
            return self._keras_object(value)
        if type(value).__name__ == "TensorShape":
            return {"t": "tensorshape", "v": [None if d is None else int(d) for d in value.as_list()]}
        if _module_of(value) in ("tensorflow", "keras", "jax", "torch") and hasattr(value, "numpy"):
            return {"t": "tensor", "file": self._array(np.asarray(value.numpy()))}
        if callable(value) and not isinstance(value, type):
            calls = self.calls.setdefault(id(value), [])
            return {"t": "function", "name": getattr(value, "__name__", type(value).__name__), "calls": calls}
        try:
            array = np.asarray(value)
        except Exception:
            array = None
        if array is not None and array.dtype != object:
            return {"t": "array", "file": self._array(array), "was": type(value).__name__}
        return {"t": "unsupported", "type": type(value).__name__}

    def _array(self, array: np.ndarray) -> str:
        array = np.array(array, copy=True, subok=False)
        if array.dtype == object:
            raise CaptureError("an array of Python objects cannot be handed over; use numbers")
        if array.nbytes > MAX_ARRAY_BYTES:
            raise CaptureError(f"an array of {array.nbytes / 2**20:.0f} MB is larger than the grader takes")
        name = self._file(".npy")
        np.save(os.path.join(self.folder, name), array, allow_pickle=False)
        return name

    def _model(self, model: Any) -> dict:
        name = self._file(".keras")
        try:
            model.save(os.path.join(self.folder, name))
        except Exception as error:
            return {"t": "unsaved", "type": type(model).__name__,
                    "error": f"{type(error).__name__}: {str(error)[:300]}"}
        node = {"t": "model", "file": name}
        optimizer = getattr(model, "optimizer", None)
        if optimizer is not None and id(optimizer) in self.ids:  # e.g. the optimizer a builder was given
            node["optimizer"] = {"t": "ref", "id": self.ids[id(optimizer)]}
        return node

    def _keras_object(self, value: Any) -> dict:
        """An optimizer, loss or metric object: its class and configuration (JSON)."""
        try:
            import keras

            config = keras.saving.serialize_keras_object(value)
            json.dumps(config)
        except Exception:
            return {"t": "unsupported", "type": type(value).__name__}
        return {"t": "keras_object", "config": config}

    def _named_file(self, text: str) -> dict:
        """A string or Path that names a file (a saved model): the file goes along with it."""
        try:
            if not text or len(text) > 4096 or "\n" in text or not os.path.isfile(text) \
                    or os.path.getsize(text) > MAX_FILE_BYTES:
                return {}
        except (OSError, ValueError):
            return {}
        name = self._file(os.path.splitext(text)[1][:16])
        shutil.copyfile(text, os.path.join(self.folder, name))
        return {"file": name}

    def record(self, function: Callable, before: tuple, after: tuple, kwargs: dict, result: Any = None,
               error: BaseException | None = None, figures: list | None = None) -> None:
        """One call the check made to the student's ``function``: its inputs (``before``, arrays
        copied before the call), output, error, the figures it drew, and arrays it changed."""
        entry = {"args": [self.encode(a) for a in before],
                 "kwargs": [[k, self.encode(v)] for k, v in kwargs.items()],
                 "after": [self.encode(np.array(a)) if isinstance(a, np.ndarray) and not np.array_equal(a, b)
                           else None for a, b in zip(after, before)],
                 "figures": [self.encode(f) for f in figures or []]}
        if error is not None:
            entry["error"] = [type(error).__name__, str(error)[:500]]
        else:
            entry["result"] = self.encode(result)
        self.calls.setdefault(id(function), []).append(entry)


def _plain(value: Any) -> dict:
    if isinstance(value, bool):
        return {"t": "bool", "v": value}
    if isinstance(value, int):
        return {"t": "int", "v": str(value)}
    if isinstance(value, float):
        return {"t": "float", "v": repr(value)}
    if isinstance(value, complex):
        return {"t": "complex", "v": [repr(value.real), repr(value.imag)]}
    if isinstance(value, str):
        return {"t": "str", "v": value}
    return {"t": "bytes", "v": base64.b64encode(value).decode("ascii")}


def _figure_properties(recorder: Recorder, figure: Any) -> dict:
    suptitle = getattr(figure, "_suptitle", None)
    return {
        "suptitle": suptitle.get_text() if suptitle is not None else None,
        "legends": len(getattr(figure, "legends", [])),
        "size": [float(v) for v in figure.get_size_inches()],
        "axes": [_axes_properties(recorder, ax) for ax in figure.axes],
    }


def _line_values(values: Any) -> np.ndarray:
    """A line's x or y values: numbers as floats; anything else (categories such as ``"epoch 1"``,
    which Matplotlib draws on a categorical axis) as strings."""
    try:
        return np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        return np.asarray([str(v) for v in np.asarray(values, dtype=object).ravel()], dtype=str)


def _axes_properties(recorder: Recorder, ax: Any) -> dict:
    legend = ax.get_legend()
    return {
        "position": [float(v) for v in ax.get_position().bounds],
        "titles": {loc: ax.get_title(loc=loc) for loc in ("center", "left", "right")},
        "xlabel": ax.get_xlabel(), "ylabel": ax.get_ylabel(),
        "xscale": ax.get_xscale(), "yscale": ax.get_yscale(),
        "xlim": [float(v) for v in ax.get_xlim()], "ylim": [float(v) for v in ax.get_ylim()],
        "lines": [{"x": recorder._array(_line_values(line.get_xdata())),
                   "y": recorder._array(_line_values(line.get_ydata())),
                   "label": str(line.get_label()), "linestyle": str(line.get_linestyle()),
                   "marker": str(line.get_marker())} for line in ax.get_lines()],
        "collections": [recorder._array(np.asarray(c.get_offsets(), dtype=float)) for c in ax.collections],
        "images": [recorder._array(np.asarray(image.get_array())) for image in ax.get_images()],
        "legend": None if legend is None else [text.get_text() for text in legend.get_texts()],
        "xticklabels": [t.get_text() for t in ax.get_xticklabels()],
        "yticklabels": [t.get_text() for t in ax.get_yticklabels()],
    }


def dump(folder: str, names: list[str], args: list, kwargs: dict,
         record_calls: Callable[[Recorder, list, dict], None] | None = None) -> None:
    """Write the answers ``args``/``kwargs`` (the check's parameters ``names``) into ``folder``.

    ``record_calls(recorder, args, kwargs)``, if given, runs the course's check with every
    function answer wrapped by :meth:`Recorder.record` (see :mod:`mnist_course.grade.kernel`).
    Raises :class:`CaptureError` for an answer that cannot be handed over.
    """
    os.makedirs(folder, exist_ok=True)
    recorder = Recorder(folder)
    manifest = {"names": list(names), "args": [recorder.encode(a) for a in args],
                "kwargs": [[k, recorder.encode(v)] for k, v in kwargs.items()]}
    if record_calls is not None:  # fills the "calls" of the function answers encoded above
        record_calls(recorder, args, kwargs)
    with open(os.path.join(folder, MANIFEST), "w", encoding="utf-8") as handle:
        json.dump(manifest, handle)


# ------------------------------------------------------------------------------------------
# In the judge: files -> objects
# ------------------------------------------------------------------------------------------

class Loaded:
    """The answers read back: the check's arguments, and what could not be handed over."""

    def __init__(self, args: list, kwargs: dict, problems: list[str]):
        self.args, self.kwargs, self.problems = args, kwargs, problems


class NotHandedOver:
    """Stands for an answer the grader could not take from the kernel (see ``problems``)."""

    def __init__(self, what: str):
        self.what = what

    def __repr__(self) -> str:
        return f"<not handed over: {self.what}>"


class ReplayError(LookupError):
    """A function answer was called on inputs the grader did not run it on in the kernel."""


def regular_file(path: str) -> bool:
    """True for a regular file (not a pipe or a device, which could keep a reader waiting)."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False


#: Largest status file or manifest read (bytes).
MAX_SMALL_FILE = 8 * 2**20


def read_small(path: str | os.PathLike, limit: int = MAX_SMALL_FILE) -> str:
    """The text of ``path`` if it is a regular file (not a link, a pipe or a device, which
    could keep a reader waiting) of at most ``limit`` bytes; :class:`CaptureError` otherwise.

    Example:
        >>> read_small("/dev/null")
        Traceback (most recent call last):
        ...
        mnist_course.grade.capture.CaptureError: /dev/null is not a regular file
    """
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        descriptor = os.open(path, flags)
    except OSError as error:
        raise CaptureError(f"{os.fspath(path)} could not be opened ({error.strerror})") from None
    with os.fdopen(descriptor, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise CaptureError(f"{os.fspath(path)} is not a regular file")
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise CaptureError(f"{os.fspath(path)} is larger than {limit} bytes")
    return data.decode("utf-8", errors="replace")


def load(folder: str) -> Loaded:
    """Read the answers :func:`dump` wrote into ``folder``; raises :class:`CaptureError`."""
    try:
        manifest = json.loads(read_small(os.path.join(folder, MANIFEST)))
        loader = _Loader(folder)
        names = manifest.get("names", [])
        args = [loader.decode(node, names[i] if i < len(names) else f"argument {i + 1}")
                for i, node in enumerate(manifest["args"])]
        kwargs = {str(k): loader.decode(v, str(k)) for k, v in manifest["kwargs"]}
    except CaptureError:
        raise
    except Exception as error:
        raise CaptureError(f"the answers handed over could not be read ({type(error).__name__}: {error})") from None
    return Loaded(args, kwargs, loader.problems)


class _Loader:
    def __init__(self, folder: str):
        self.folder = os.path.realpath(folder)
        self.objects: dict[int, Any] = {}
        self.problems: list[str] = []

    def path(self, name: str) -> str:
        path = os.path.realpath(os.path.join(self.folder, str(name)))
        if os.path.dirname(path) != self.folder or not regular_file(path):
            raise CaptureError(f"a handed-over file is missing, or not a file in its folder: {name!r}")
        return path

    def array(self, name: str) -> np.ndarray:
        array = np.load(self.path(name), allow_pickle=False)
        return np.asarray(array)

    def decode(self, node: dict, where: str) -> Any:
        kind = node["t"]
        if kind == "ref":
            if node["id"] not in self.objects:
                raise CaptureError(f"a reference to an unknown object in {where}")
            return self.objects[node["id"]]
        value = self._decode(node, kind, where)
        if "id" in node:  # the latest copy: a replayed call draws its figures anew
            self.objects[node["id"]] = value
        return value

    def _decode(self, node: dict, kind: str, where: str) -> Any:
        simple = {"none": lambda: None, "ellipsis": lambda: Ellipsis, "bool": lambda: bool(node["v"]),
                  "int": lambda: int(node["v"]), "float": lambda: float(node["v"]),
                  "complex": lambda: complex(float(node["v"][0]), float(node["v"][1])),
                  "str": lambda: self.path(node["file"]) if "file" in node else str(node["v"]),
                  "bytes": lambda: base64.b64decode(node["v"])}
        if kind in simple:
            return simple[kind]()
        if kind == "list":  # registered first: a list may contain itself
            items = self.objects[node["id"]] = []
            items.extend(self.decode(item, where) for item in node["v"])
            return items
        if kind in _SEQUENCES:
            return _SEQUENCES[kind](self.decode(item, where) for item in node["v"])
        if kind == "dict":
            result = _DICTS.get(node.get("kind"), dict)()
            self.objects[node["id"]] = result
            for key, value in node["v"]:
                result[self.decode(key, where)] = self.decode(value, where)
            return result
        if kind in ("array", "tensor"):
            array = self.array(node["file"])
            return _tensor(array) if kind == "tensor" else array
        if kind == "npscalar":
            return self.array(node["file"])[()]
        if kind == "path":
            return pathlib.Path(self.path(node["file"]) if "file" in node else node["v"])
        if kind == "tensorshape":
            import tensorflow as tf

            return tf.TensorShape(node["v"])
        if kind == "model":
            model = _load_model(self.path(node["file"]), where)
            if "optimizer" in node:
                model.optimizer = self.decode(node["optimizer"], where)
            return model
        if kind == "keras_object":
            import keras

            return keras.saving.deserialize_keras_object(node["config"])
        if kind == "history":
            return self._history(node, where)
        if kind == "figure":
            return _rebuild_figure(self, node)
        if kind == "axes":
            figure = self.decode(node["figure"], where)
            return figure.axes[int(node["index"])]
        if kind == "function":
            return _replay(self, node, where)
        if kind == "unsaved":
            self.problems.append(f"{where} (a {node['type']}) could not be saved as a .keras file in the "
                                 f"kernel ({node['error']}): build the model from Keras's own layers")
            return NotHandedOver(node["type"])
        if kind == "unsupported":
            self.problems.append(f"{where} is a {node['type']}, which the grader cannot hand over to the "
                                 f"course's check: store NumPy arrays, lists, numbers or strings")
            return NotHandedOver(node["type"])
        raise CaptureError(f"{where} was handed over as an unknown kind {kind!r}")

    def _history(self, node: dict, where: str) -> Any:
        import keras

        history = keras.callbacks.History()
        self.objects[node["id"]] = history
        history.history = self.decode(node["history"], where)
        history.params = self.decode(node["params"], where)
        history.epoch = self.decode(node["epoch"], where)
        model = self.decode(node["model"], where)
        if model is not None:
            history.set_model(model)
        return history


def _tensor(array: np.ndarray) -> Any:
    try:
        import tensorflow as tf
    except ImportError:  # pragma: no cover - TensorFlow comes with the course
        return array
    return tf.convert_to_tensor(array)


def _load_model(path: str, where: str) -> Any:
    import keras

    try:
        return keras.models.load_model(path, safe_mode=True)
    except Exception as error:
        raise CaptureError(f"{where}: the model saved in the kernel could not be loaded with safe_mode "
                           f"({type(error).__name__}: {str(error)[:200]}); use Keras's own layers "
                           f"(no Lambda layers or custom classes)") from None


def _rebuild_figure(loader: _Loader, node: dict) -> Any:
    import matplotlib.pyplot as plt

    figure = plt.figure(figsize=node.get("size") or None)
    loader.objects[node["id"]] = figure
    for props in node["axes"]:
        ax = figure.add_axes(props["position"])
        for line in props["lines"]:
            ax.plot(loader.array(line["x"]), loader.array(line["y"]), label=line["label"],
                    linestyle=line["linestyle"], marker=line["marker"])
        for offsets in props["collections"]:
            points = loader.array(offsets).reshape(-1, 2) if loader.array(offsets).size else np.zeros((0, 2))
            ax.scatter(points[:, 0], points[:, 1])
        for image in props["images"]:
            ax.imshow(loader.array(image))
        for loc, text in props["titles"].items():
            if text:
                ax.set_title(text, loc=loc)
        ax.set_xlabel(props["xlabel"])
        ax.set_ylabel(props["ylabel"])
        ax.set_xscale(props["xscale"])
        ax.set_yscale(props["yscale"])
        ax.set_xlim(*props["xlim"])
        ax.set_ylim(*props["ylim"])
        if props["legend"] is not None:
            ax.legend()
    if node.get("suptitle"):
        figure.suptitle(node["suptitle"])
    for _ in range(int(node.get("legends", 0))):
        figure.legend()
    return figure


def _same(given: Any, recorded: Any) -> bool:
    if given is recorded:
        return True
    if type(recorded).__module__.startswith("keras") and hasattr(recorded, "get_config"):
        try:
            unnamed = [{k: v for k, v in o.get_config().items() if k != "name"} for o in (given, recorded)]
            return type(given) is type(recorded) and unnamed[0] == unnamed[1]
        except Exception:
            return False
    if isinstance(recorded, np.ndarray) or isinstance(given, np.ndarray):
        try:
            a, b = np.asarray(given), np.asarray(recorded)
        except Exception:
            return False
        if a.shape != b.shape:
            return False
        if a.dtype.kind in "fc" or b.dtype.kind in "fc":
            return bool(np.allclose(a, b, rtol=1e-6, atol=1e-9, equal_nan=True))
        return bool(np.array_equal(a, b))
    if isinstance(recorded, (list, tuple)) and isinstance(given, (list, tuple)):
        return len(given) == len(recorded) and all(_same(g, r) for g, r in zip(given, recorded))
    if type(recorded) in (int, float, str, bool, bytes, complex, type(None)):
        try:
            return type(given) is type(recorded) and (given == recorded or (
                isinstance(given, float) and math.isnan(given) and math.isnan(recorded)))
        except Exception:
            return False
    return False


def _error(name: str, message: str) -> BaseException:
    builtin = getattr(builtins, name, None)
    if isinstance(builtin, type) and issubclass(builtin, Exception):
        return builtin(message)
    return type(name, (Exception,), {})(message)


def _replay(loader: _Loader, node: dict, where: str) -> Callable:
    """A function that answers the calls recorded in the kernel, and nothing else."""
    calls = node["calls"]
    used: set[int] = set()
    name = node.get("name") or where

    def replay(*args, **kwargs):
        import matplotlib.pyplot as plt

        candidates = []
        for index, call in enumerate(calls):
            recorded = [loader.decode(a, where) for a in call["args"]]
            named = {k: loader.decode(v, where) for k, v in call["kwargs"]}
            if len(recorded) == len(args) and named.keys() == kwargs.keys() and all(
                    _same(g, r) for g, r in zip(args, recorded)) and all(_same(kwargs[k], named[k]) for k in named):
                candidates.append(index)
        if not candidates:
            raise ReplayError(f"{name} was not run on these inputs when the notebook ran, so the "
                              f"grader has no answer for them")
        index = next((i for i in candidates if i not in used), candidates[-1])
        used.add(index)
        call = calls[index]
        for given, node in zip(args, call["args"]):  # what the result refers to is what was given
            if "id" in node:
                loader.objects[node["id"]] = given
        for given, after in zip(args, call["after"]):
            if after is not None and isinstance(given, np.ndarray) and given.flags.writeable:
                changed = loader.decode(after, where)
                if changed.shape == given.shape:
                    np.copyto(given, changed, casting="unsafe")
        for figure in call["figures"]:
            if figure.get("t") == "figure":
                loader.decode(figure, where)
        plt.draw_if_interactive()
        if "error" in call:
            raise _error(*call["error"])
        return loader.decode(call["result"], where)

    replay.__name__ = str(name)
    replay.__qualname__ = str(name)
    return replay
