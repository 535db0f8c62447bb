"""``make benchmark``: time the course on this machine, its models and its notebooks.

Instructors use it before class to know how long each notebook takes on their machines and
what its models reach. Everything runs one after the other, each in a fresh process (so that
peak memory is measured per run):

* the course's reference models, built by the very functions the solution notebooks define
  (cells tagged ``model:<name>``: only their imports, constants and functions are run), and
  trained with the settings written above the notebook's ``fit`` call, and one baseline that
  is not ours: the classic Keras "simple MNIST convnet". For each: parameters, epochs,
  training wall time (test evaluations after each epoch are not counted), seconds per epoch,
  test accuracy, the epoch and training time at which test accuracy first reached 99.0 %,
  and peak memory;
* every solution notebook, end to end in full mode in a fresh kernel of this Python
  (:mod:`mnist_course.tools.timing`): wall time, CPU time of every process (the kernel
  included) and peak memory of the process tree, with its slowest cells;
* with ``--graded``, every solution notebook graded by ``python -m mnist_course grade`` in
  fast and in full mode, measured the same way; ``--costs FILE`` writes those figures for
  the Gradescope export.

It writes ``build/benchmark.json``, ``build/benchmark.md``, ``build/benchmark.png`` (test
accuracy against training time) and the executed notebooks in ``build/executed/``.

Example:
    $ python -m mnist_course.tools.benchmark                  # models and notebooks, full data
    $ python -m mnist_course.tools.benchmark --only fast_cnn --only keras_convnet
    $ python -m mnist_course.tools.benchmark --notebooks --only 02 --only 03
    $ python -m mnist_course.tools.benchmark --graded --costs mnist_course/export/grading_costs.json
    $ python -m mnist_course.tools.benchmark --models --live  # the live view's overhead
    $ python -m mnist_course.tools.benchmark --ablation       # the fast CNN's ingredients, one at a time
    $ python -m mnist_course.tools.benchmark --models --epochs-scale 0.2 --limit 6000   # a quick look
"""

from __future__ import annotations

import argparse
import ast
import datetime
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mnist_course.tools import timing

#: Test accuracy whose first crossing is timed.
TARGET_ACCURACY = 0.99
#: Where the solution notebooks are, relative to the repository root.
SOLUTIONS_DIR = Path(__file__).resolve().parents[2] / "solutions"


@dataclass(frozen=True)
class Reference:
    """One model to benchmark and the settings its notebook trains it with."""

    name: str
    title: str
    notebook: str | None        # solution notebook defining build_<name>(); None: defined here
    batch_size: int
    epochs: int
    validation_split: float = 0.0
    inputs: str = "scaled"      # "scaled" (x / 255) or "standardised" (training mean and std)
    build_args: dict[str, Any] = field(default_factory=dict)
    optimizer: tuple[str, float] | None = None   # (class, learning rate) passed to the build function
    builds: str = ""            # the model cell (model:<builds>) when not model:<name>
    seed: int = 42              # the seed the notebook sets before training this model
    course: bool = True         # False for the baseline, which is not the course's
    policy: str = ""            # a Keras dtype policy ("mixed_bfloat16"); default float32


#: Every model of the course, with its notebook's settings, then the baseline.
REFERENCES: tuple[Reference, ...] = (
    Reference("logistic_regression", "02 logistic regression", "02_logistic_regression.ipynb",
              batch_size=32, epochs=10),
    Reference("mlp", "03 MLP (fixed)", "03_mlp.ipynb", batch_size=500, epochs=20,
              validation_split=0.1),
    Reference("normalised_mlp", "04 MLP, standardised, momentum", "04_normalisation.ipynb",
              batch_size=32, epochs=5, validation_split=0.3, inputs="standardised", seed=0),
    Reference("cnn_sgd", "05 CNN (SGD)", "05_cnn.ipynb", batch_size=32, epochs=4, optimizer=("SGD", 0.05),
              builds="cnn"),
    Reference("cnn", "05 CNN (Adam)", "05_cnn.ipynb", batch_size=32, epochs=4, optimizer=("Adam", 0.001)),
    Reference("deeper_cnn", "05 deeper CNN", "05_cnn.ipynb", batch_size=64, epochs=10),
    Reference("fast_cnn", "05 fast CNN", "05_cnn.ipynb", batch_size=128, epochs=6),
    Reference("keras_convnet", "Keras simple convnet (baseline)", None, batch_size=128,
              epochs=15, validation_split=0.1, course=False),
)

#: The fast CNN's ingredients one at a time (``--ablation``): its recipe for 3 epochs, then
#: the same with one thing changed. Notebook 05's "Training faster" quotes this table.
ABLATION: tuple[Reference, ...] = tuple(
    Reference(f"ablation_{name}", f"fast CNN, {title}", "05_cnn.ipynb", batch_size=batch, epochs=3,
              build_args=build_args, builds="fast_cnn", course=False, policy=policy)
    for name, title, batch, build_args, policy in (
        ("recipe", "its recipe (24 and 48 filters, decaying rate, batch 128, 32 steps per call)", 128, {}, ""),
        ("filters_32_64", "32 and 64 filters", 128, {"filters": (32, 64)}, ""),
        ("filters_16_32", "16 and 32 filters", 128, {"filters": (16, 32)}, ""),
        ("constant_0.001", "constant learning rate 0.001", 128,
         {"peak_learning_rate": 0.001, "decay_per_epoch": 1.0}, ""),
        ("constant_0.004", "constant learning rate 0.004", 128, {"decay_per_epoch": 1.0}, ""),
        ("batch_64", "batch 64", 64, {}, ""),
        ("one_step_per_call", "one step per call (steps_per_execution=1)", 128, {"steps_per_execution": 1}, ""),
        ("mixed_bfloat16", "mixed_bfloat16 policy (16-bit arithmetic)", 128, {}, "mixed_bfloat16"),
    ))
#: Every model the benchmark knows by name (``--only``).
ALL_MODELS: tuple[Reference, ...] = REFERENCES + ABLATION


def build_keras_convnet():
    """The classic Keras "simple MNIST convnet", the baseline the course's models are timed against.

    Example:
        >>> build_keras_convnet().count_params()   # doctest: +SKIP
        34826
    """
    import keras
    from keras import layers

    model = keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Flatten(),
        layers.Dropout(0.5),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    return model


# --------------------------------------------------------------------------- model sources


def notebook_definitions(notebook: str | Path, name: str) -> dict[str, Any]:
    """Run the imports, constants and functions of the cell tagged ``model:<name>``.

    Nothing else of the cell runs (no training, no prints), so the benchmark builds models
    exactly as the notebook defines them without executing the notebook.

    Example:
        >>> build = notebook_definitions("solutions/03_mlp.ipynb", "mlp")["build_mlp"]   # doctest: +SKIP
    """
    import nbformat

    path = Path(notebook)
    if not path.is_absolute() and not path.exists():
        path = SOLUTIONS_DIR / path
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist: the benchmark reads model definitions "
                                f"from the solution notebooks; run it from the repository.")
    cells = [cell for cell in nbformat.read(path, as_version=4).cells
             if f"model:{name}" in cell.get("metadata", {}).get("tags", [])]
    if len(cells) != 1:
        raise LookupError(f"{path.name} should have exactly one cell tagged model:{name}, "
                          f"found {len(cells)}.")
    tree = ast.parse(cells[0].source)
    kept = [node for node in tree.body if isinstance(
        node, (ast.Import, ast.ImportFrom, ast.FunctionDef)) or _is_constant_assignment(node)]
    import keras
    from keras import layers

    namespace: dict[str, Any] = {"keras": keras, "layers": layers, "np": np}
    exec(compile(ast.Module(body=kept, type_ignores=[]), f"{path.name}[model:{name}]", "exec"),
         namespace)
    if f"build_{name}" not in namespace:
        raise LookupError(f"The cell tagged model:{name} in {path.name} defines no build_{name}().")
    return namespace


def _is_constant_assignment(node: ast.stmt) -> bool:
    if not isinstance(node, ast.Assign):
        return False
    try:
        ast.literal_eval(node.value)
    except ValueError:
        return False
    return all(isinstance(target, ast.Name) for target in node.targets)


def build_reference(reference: Reference, steps_per_epoch: int):
    """Return the compiled model of ``reference``.

    A build function may take ``steps_per_epoch`` and ``num_epochs`` (for a learning-rate
    schedule); they are passed when its signature names them.
    """
    import inspect

    model_cell = reference.builds or reference.name
    if reference.notebook is None:
        build = globals()[f"build_{model_cell}"]
    else:
        build = notebook_definitions(reference.notebook, model_cell)[f"build_{model_cell}"]
    arguments = dict(reference.build_args)
    if reference.optimizer is not None:
        import keras

        name, rate = reference.optimizer
        arguments["optimizer"] = getattr(keras.optimizers, name)(learning_rate=rate)
    parameters = inspect.signature(build).parameters
    if "steps_per_epoch" in parameters:
        arguments["steps_per_epoch"] = steps_per_epoch
    if "num_epochs" in parameters:
        arguments["num_epochs"] = reference.epochs
    return build(**arguments)


# --------------------------------------------------------------------------- one model


def _prepare(model, reference: Reference, x_train, y_train, x_test):
    """Shape and scale the inputs as the model's notebook does; one-hot labels if its loss wants."""
    x_train = x_train.astype("float32")
    x_test = x_test.astype("float32")
    if reference.inputs == "standardised":
        mean, std = x_train.mean(), x_train.std()
        x_train, x_test = (x_train - mean) / std, (x_test - mean) / std
    else:
        x_train, x_test = x_train / 255, x_test / 255
    input_shape = tuple(model.inputs[0].shape[1:])
    x_train = x_train.reshape((-1, *input_shape))
    x_test = x_test.reshape((-1, *input_shape))
    loss = model.loss if isinstance(model.loss, str) else getattr(model.loss, "name", "")
    if "sparse" not in str(loss).lower() and "categorical" in str(loss).lower():
        import keras

        y_train = keras.utils.to_categorical(y_train, 10)
    return x_train, y_train, x_test


def run_one(reference: Reference, epochs_scale: float = 1.0, limit: int | None = None,
            live: bool = False) -> dict[str, Any]:
    """Train one model in this process and return its measurements.

    Example:
        >>> run_one(REFERENCES[0], epochs_scale=0.05, limit=600)["test_accuracy"]   # doctest: +SKIP
        0.83
    """
    from mnist_course import data
    from mnist_course.quiet import import_keras_quietly

    keras = import_keras_quietly()
    (x_train, y_train), (x_test, y_test) = data.load_mnist()
    if limit:
        x_train, y_train = data.stratified_subset(x_train, y_train, limit / len(x_train))
        x_test, y_test = data.stratified_subset(x_test, y_test, max(limit // 6, 100) / len(x_test))
    epochs = max(1, round(reference.epochs * epochs_scale))
    scaled = Reference(**{**asdict(reference), "epochs": epochs})
    fit_size = int(len(x_train) * (1 - reference.validation_split))
    steps_per_epoch = -(-fit_size // reference.batch_size)

    if reference.policy:
        keras.mixed_precision.set_global_policy(reference.policy)
    keras.utils.set_random_seed(reference.seed)
    model = build_reference(scaled, steps_per_epoch)
    x_fit, y_fit, x_eval = _prepare(model, reference, x_train, y_train, x_test)
    timer = _epoch_timer(x_eval, y_test, reference.name, epochs)
    # The live view (--live) comes first, so that its drawing is inside the timed epoch.
    callbacks = ([_plots().live()] if live else []) + [timer]
    model.fit(x_fit, y_fit, batch_size=reference.batch_size, epochs=epochs,
              validation_split=reference.validation_split, verbose=0, callbacks=callbacks)
    reached = next((i for i, accuracy in enumerate(timer.accuracies) if accuracy >= TARGET_ACCURACY), None)
    return {
        "name": reference.name,
        "title": reference.title,
        "live": live,
        "course": reference.course,
        "notebook": reference.notebook,
        "parameters": int(model.count_params()),
        "batch_size": reference.batch_size,
        "epochs": epochs,
        "train_images": len(x_train),
        "training_seconds": round(timer.training_seconds[-1], 2),
        "seconds_per_epoch": round(timer.training_seconds[-1] / epochs, 2),
        "test_accuracy": round(timer.accuracies[-1], 4),
        "accuracy_per_epoch": [round(a, 4) for a in timer.accuracies],
        "seconds_per_epoch_cumulative": [round(s, 2) for s in timer.training_seconds],
        "epoch_reaching_target": None if reached is None else reached + 1,
        "seconds_to_target": None if reached is None else round(timer.training_seconds[reached], 2),
        "cpu_seconds_per_epoch_cumulative": [round(s, 2) for s in timer.cpu_seconds],
        "cpu_seconds_to_target": None if reached is None else round(timer.cpu_seconds[reached], 2),
        "peak_memory_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def _epoch_timer(x_test, y_test, name: str, epochs: int):
    """A Keras callback that records training time per epoch (test evaluation excluded) and
    test accuracy after each epoch, and prints one progress line per epoch."""
    import keras

    class EpochTimer(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.accuracies: list[float] = []
            self.training_seconds: list[float] = []
            self.cpu_seconds: list[float] = []   # CPU time of this process (all its threads)
            self._elapsed = self._cpu = 0.0

        def on_epoch_begin(self, epoch, logs=None):
            self._start = time.perf_counter()
            self._cpu_start = time.process_time()

        def on_epoch_end(self, epoch, logs=None):
            self._elapsed += time.perf_counter() - self._start
            self._cpu += time.process_time() - self._cpu_start
            self.cpu_seconds.append(self._cpu)
            predicted = self.model.predict(x_test, batch_size=1000, verbose=0).argmax(-1)
            accuracy = float(np.mean(predicted == y_test))
            self.accuracies.append(accuracy)
            self.training_seconds.append(self._elapsed)
            print(f"  {name}: epoch {epoch + 1}/{epochs}, {self._elapsed:6.1f} s of training, "
                  f"test accuracy {accuracy:.4f}", flush=True)

    return EpochTimer()


# --------------------------------------------------------------------------- whole run


def hardware_description() -> str:
    """This machine's CPU model, number of cores and memory.

    Example:
        >>> "cores" in hardware_description()
        True
    """
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        memory = f", {pages / 2**30:.0f} GiB"
    except (ValueError, OSError, AttributeError):
        pass
    return f"{cpu}, {os.cpu_count()} cores{memory}"


def machine_description() -> str:
    """A short description of this machine: CPU model, cores, memory, TensorFlow version.

    Example:
        >>> "cores" in machine_description()
        True
    """
    try:
        from importlib.metadata import version

        stack = f"TensorFlow {version('tensorflow')}, Keras {version('keras')}"
    except Exception:
        stack = "TensorFlow (version unknown)"
    return f"{hardware_description()}, no GPU used; {stack}, Python {platform.python_version()}"


def load_average() -> list[float] | None:
    """The 1, 5 and 15-minute load averages (None where the system does not say).

    Example:
        >>> len(load_average() or [0, 0, 0])
        3
    """
    try:
        return [round(value, 2) for value in os.getloadavg()]
    except (AttributeError, OSError):
        return None


def train_models(names: list[str], epochs_scale: float, limit: int | None, live: bool = False) -> list[dict[str, Any]]:
    """Train each named model in its own process, one after the other; return their results."""
    results = []
    for index, name in enumerate(names, start=1):
        reference = _reference(name)
        print(f"[{index}/{len(names)}] {reference.title}: {reference.epochs} epochs "
              f"(scale {epochs_scale}), batch {reference.batch_size}", flush=True)
        with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
            result_file = Path(handle.name)
        command = [sys.executable, "-m", "mnist_course.tools.benchmark", "--child", name,
                   "--epochs-scale", str(epochs_scale), "--result-file", str(result_file)]
        if limit:
            command += ["--limit", str(limit)]
        if live:
            command.append("--live")
        completed = subprocess.run(command)
        if completed.returncode != 0:
            result_file.unlink(missing_ok=True)
            raise RuntimeError(f"training {name} failed (exit code {completed.returncode}); "
                               f"see the messages above.")
        results.append(json.loads(result_file.read_text()))
        result_file.unlink()
    return results


def time_notebooks(paths: list[Path], *, fast: bool, executed_dir: Path | None) -> list[dict[str, Any]]:
    """Run each solution notebook end to end in a fresh kernel, one after the other, timed."""
    results = []
    for index, path in enumerate(paths, start=1):
        print(f"[notebook {index}/{len(paths)}] {path.name} ({'fast' if fast else 'full'} mode)", flush=True)
        load = load_average()
        executed = None if executed_dir is None else executed_dir / path.name
        result = timing.time_notebook(path, fast=fast, executed=executed)
        result["load_average"] = {"before": load, "after": load_average()}
        print(f"  {path.name}: {result['wall_seconds']:.0f} s wall, {result['cpu_seconds']:.0f} s CPU, "
              f"{result['peak_memory_mb']:.0f} MB", flush=True)
        results.append(result)
    return results


def time_graded(paths: list[Path], modes: tuple[str, ...]) -> dict[str, dict[str, dict[str, float]]]:
    """Grade each solution notebook in each mode, timed; keyed by notebook number, then mode."""
    graded = {}
    for index, path in enumerate(paths, start=1):
        print(f"[graded {index}/{len(paths)}] {path.name} ({', '.join(modes)})", flush=True)
        graded[path.name[:2]] = timing.time_grading(path, modes)
        for mode, figures in graded[path.name[:2]].items():
            print(f"  {mode}: {figures['wall_seconds']:.0f} s wall, {figures['cpu_seconds']:.0f} s CPU, "
                  f"{figures['peak_memory_mb']:.0f} MB", flush=True)
    return graded


def run_all(names: list[str], output: Path, epochs_scale: float = 1.0, limit: int | None = None, *,
            notebooks: list[Path] = (), notebook_fast: bool = False, graded: list[Path] = (),
            graded_modes: tuple[str, ...] = ("fast", "full"), costs: Path | None = None,
            live: bool = False, command: str = "make benchmark") -> dict[str, Any]:
    """Train the named models, run the notebooks and grade the ``graded`` ones, each timed;
    then write ``benchmark.json``, ``benchmark.md`` (and ``benchmark.png`` when models ran)
    into ``output``, and the graded figures to ``costs`` if given."""
    output.mkdir(parents=True, exist_ok=True)
    started = load_average()
    results = train_models(names, epochs_scale, limit, live) if names else []
    executed_dir = output / "executed"
    if notebooks:
        executed_dir.mkdir(exist_ok=True)
    notebook_results = time_notebooks(list(notebooks), fast=notebook_fast, executed_dir=executed_dir)
    graded_results = time_graded(list(graded), graded_modes) if graded else {}
    report = {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "machine": machine_description(),
        "command": command,
        "load_average": {"start": started, "end": load_average()},
        "epochs_scale": epochs_scale,
        "limit": limit,
        "live": live,
        "target_accuracy": TARGET_ACCURACY,
        "models": results,
        "bars": (bars(results) if results and limit is None and epochs_scale == 1.0 else [])
        + (notebook_bars(notebook_results) if notebook_results and not notebook_fast else []),
        "notebooks": notebook_results,
        "notebook_mode": "fast" if notebook_fast else "full",
        "graded": graded_results,
    }
    (output / "benchmark.json").write_text(json.dumps(report, indent=2) + "\n")
    (output / "benchmark.md").write_text(markdown_table(report))
    if results:
        plot_accuracy_against_time(results).savefig(output / "benchmark.png", dpi=110,
                                                    bbox_inches="tight")
    if costs is not None:
        costs.parent.mkdir(parents=True, exist_ok=True)
        document = timing.grading_costs(graded_results, machine=hardware_description(), command=command)
        costs.write_text(json.dumps(document, indent=2) + "\n")
    return report


def _reference(name: str) -> Reference:
    for reference in ALL_MODELS:
        if reference.name == name:
            return reference
    known = ", ".join(reference.name for reference in ALL_MODELS)
    raise SystemExit(f"error: no model called {name!r}; known models: {known}")


#: Test accuracy each reference model must reach on the full data (issue 18's bars).
ACCURACY_BARS = {"logistic_regression": 0.92, "mlp": 0.98, "normalised_mlp": 0.97, "cnn_sgd": 0.975, "cnn": 0.985,
                 "deeper_cnn": 0.99, "fast_cnn": 0.993}
#: The fast CNN's time to 99.0 % as a share of the baseline's, at most.
SPEED_BAR = 0.15
#: Wall time of one solution notebook in full mode, and of the whole course, at most (seconds).
NOTEBOOK_BAR, COURSE_BAR = 180, 720


def notebook_bars(notebooks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Judge the notebooks run end to end in full mode: each within :data:`NOTEBOOK_BAR`
    seconds of wall time, all of them within :data:`COURSE_BAR`.

    Example:
        >>> [b["passed"] for b in notebook_bars([{"notebook": "01_a.ipynb", "wall_seconds": 9.0},
        ...                                      {"notebook": "05_b.ipynb", "wall_seconds": 263.0}])]
        [True, False, True]
    """
    checks = [{"bar": f"{entry['notebook'][:2]}: at most {NOTEBOOK_BAR // 60} min of wall time in full mode",
               "passed": entry["wall_seconds"] <= NOTEBOOK_BAR, "measured": f"{entry['wall_seconds']:.0f} s"}
              for entry in notebooks]
    total = sum(entry["wall_seconds"] for entry in notebooks)
    checks.append({"bar": f"the whole course at most {COURSE_BAR // 60} min of wall time in full mode",
                   "passed": total <= COURSE_BAR, "measured": f"{total:.0f} s"})
    return checks


def bars(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Judge a full run against the course's bars; each bar says what it measured."""
    by_name = {result["name"]: result for result in results}
    checks: list[dict[str, Any]] = []

    def bar(text: str, ok: bool | None, measured: str) -> None:
        checks.append({"bar": text, "passed": ok, "measured": measured})

    for name, floor in ACCURACY_BARS.items():
        if name in by_name:
            accuracy = by_name[name]["test_accuracy"]
            bar(f"{by_name[name]['title']}: test accuracy ≥ {floor:.1%}", accuracy >= floor, f"{accuracy:.2%}")
    fast, baseline = by_name.get("fast_cnn"), by_name.get("keras_convnet")
    if fast and baseline:
        if fast["seconds_to_target"] is not None and baseline["seconds_to_target"] is not None:
            ratio = fast["seconds_to_target"] / baseline["seconds_to_target"]
            measured = f"{fast['seconds_to_target']:.1f} s / {baseline['seconds_to_target']:.1f} s = {ratio:.2f}"
            if fast.get("cpu_seconds_to_target") and baseline.get("cpu_seconds_to_target"):
                measured += (f" (CPU time: {fast['cpu_seconds_to_target']:.0f} s / "
                             f"{baseline['cpu_seconds_to_target']:.0f} s = "
                             f"{fast['cpu_seconds_to_target'] / baseline['cpu_seconds_to_target']:.2f})")
            bar(f"fast CNN reaches 99.0 % in ≤ {SPEED_BAR:.2f} × the baseline's time", ratio <= SPEED_BAR, measured)
        else:
            bar(f"fast CNN reaches 99.0 % in ≤ {SPEED_BAR:.2f} × the baseline's time",
                None if fast["seconds_to_target"] is not None else False,
                f"fast CNN: {fast['seconds_to_target']} s, baseline: never reached 99.0 %"
                if baseline["seconds_to_target"] is None else "fast CNN never reached 99.0 %")
        bar("fast CNN's final accuracy ≥ the baseline's",
            fast["test_accuracy"] >= baseline["test_accuracy"],
            f"{fast['test_accuracy']:.2%} vs {baseline['test_accuracy']:.2%}")
    peak = max(result["peak_memory_mb"] for result in results)
    bar("peak memory of every model < 3 GB", peak < 3000, f"largest {peak:.0f} MB")
    course = [result for result in results if result["course"]]
    if len(course) == sum(reference.course for reference in REFERENCES):
        total = sum(result["training_seconds"] for result in course)
        bar("all course models train in < 8 minutes together", total < 480, f"{total:.0f} s")
    return checks


def run_time_label(wall_seconds: float, cpu_seconds: float | None = None) -> str:
    """The README's run-time wording for a notebook run in full mode: "under 1 min", else the
    time rounded to half a minute.

    The time is the shorter of the wall time and the CPU time (all processes). On a machine
    busy with other work, the wall time measures that work too, and the CPU time is an upper
    bound of the notebook's wall time on an idle machine (it keeps at least one core busy);
    on an idle machine with several cores the wall time is the shorter.

    Example:
        >>> run_time_label(42), run_time_label(95), run_time_label(620, 170)
        ('under 1 min', 'about 1.5 min', 'about 3 min')
    """
    seconds = wall_seconds if cpu_seconds is None else min(wall_seconds, cpu_seconds)
    if seconds < 60:
        return "under 1 min"
    return f"about {round(seconds / 30) / 2:g} min"


def _load_text(load: dict[str, Any] | None) -> str:
    values = [value for value in (load or {}).values() if value]
    return "" if not values else " (load average " + " to ".join(f"{v[0]:.1f}" for v in values) + ")"


def markdown_table(report: dict[str, Any]) -> str:
    """The benchmark as Markdown: the machine and date, then the models with their bars, the
    notebooks run end to end and the graded runs, each table only when it ran.

    Example:
        >>> print(markdown_table({"date": "d", "machine": "m", "models": [], "bars": []}))   # doctest: +ELLIPSIS
        Benchmark of ...
    """
    quick = report.get("limit") or report.get("epochs_scale", 1.0) != 1.0
    lines = [
        f"Benchmark of {report['date']} on {report['machine']}"
        + ("" if not quick else f" (quick look: {report.get('limit')} images, epochs × {report.get('epochs_scale')})")
        + _load_text(report.get("load_average"))
        + (", with the live training view (plots.live)" if report.get("live") else "")
        + (f"; command: `{report['command']}`" if report.get("command") else ""),
    ]
    if report["models"]:
        lines += [
            "",
            "| Model | Parameters | Epochs | Batch | Training time | s/epoch | Test accuracy "
            "| Reached 99.0 % | Peak memory |",
            "|---|---:|---:|---:|---:|---:|---:|---|---:|",
        ]
    for result in report["models"]:
        reached = ("no" if result["epoch_reaching_target"] is None else
                   f"epoch {result['epoch_reaching_target']}, {result['seconds_to_target']:.0f} s")
        lines.append(
            f"| {result['title']} | {result['parameters']:,} | {result['epochs']} | {result['batch_size']} "
            f"| {result['training_seconds']:.0f} s | {result['seconds_per_epoch']:.1f} "
            f"| {result['test_accuracy']:.2%} | {reached} | {result['peak_memory_mb']:.0f} MB |")
    if report.get("bars"):
        lines += ["", "| Bar | Measured | Met |", "|---|---|---|"]
        for check in report["bars"]:
            met = {True: "yes", False: "**no**", None: "n/a"}[check["passed"]]
            lines.append(f"| {check['bar']} | {check['measured']} | {met} |")
    variants = {reference.name for reference in ABLATION}
    lines += ablation_table([result for result in report["models"] if result["name"] in variants])
    lines += notebook_table(report.get("notebooks") or [], report.get("notebook_mode", "full"))
    lines += graded_table(report.get("graded") or {})
    return "\n".join(lines) + "\n"


def ablation_table(results: list[dict[str, Any]]) -> list[str]:
    """Lines of the table of the fast CNN's ingredients (none when ``--ablation`` did not run).

    An epoch's wall time is given as the fastest of the run's epochs (a pause of the machine
    only ever adds time), with the median CPU time of the training process beside it.

    Example:
        >>> ablation_table([{"title": "fast CNN, batch 64", "seconds_per_epoch_cumulative": [6.5, 11.7, 23.1],
        ...                  "cpu_seconds_per_epoch_cumulative": [10.0, 18.7, 29.6],
        ...                  "accuracy_per_epoch": [0.9877, 0.9896, 0.9903]}])[-1]
        '| fast CNN, batch 64 | 5.2 | 10.0 | 98.77% · 98.96% · 99.03% |'
    """
    if not results:
        return []
    lines = ["", "The fast CNN's ingredients, one changed at a time (`--ablation`, 3 epochs each)", "",
             "| Variant | Fastest epoch (s) | CPU s per epoch (median) | Test accuracy after each epoch |",
             "|---|---:|---:|---|"]
    for result in results:
        wall = np.diff([0.0, *result["seconds_per_epoch_cumulative"]])
        cpu = np.diff([0.0, *result.get("cpu_seconds_per_epoch_cumulative", [])])
        accuracies = " · ".join(f"{accuracy:.2%}" for accuracy in result["accuracy_per_epoch"])
        cpu_text = f"{np.median(cpu):.1f}" if len(cpu) else "n/a"
        lines.append(f"| {result['title']} | {wall.min():.1f} | {cpu_text} | {accuracies} |")
    return lines


def notebook_table(notebooks: list[dict[str, Any]], mode: str = "full") -> list[str]:
    """Lines of the table of notebooks run end to end (none when no notebook ran).

    Example:
        >>> notebook_table([{"notebook": "06", "file": "06_metrics.ipynb", "wall_seconds": 50.0,
        ...                  "cpu_seconds": 70.0, "peak_memory_mb": 900.0}])[-1]
        '| 06 | 50 s | 70 s | 900 MB | under 1 min |'
    """
    if not notebooks:
        return []
    lines = ["", f"Each solution notebook run end to end in a fresh kernel ({mode} mode); "
                 "CPU time counts every process (the kernel too)", "",
             "| Notebook | Wall time | CPU time | Peak memory | Run time in the README |",
             "|---|---:|---:|---:|---|"]
    for result in notebooks:
        lines.append(f"| {result['notebook']} | {result['wall_seconds']:.0f} s | {result['cpu_seconds']:.0f} s "
                     f"| {result['peak_memory_mb']:.0f} MB | {run_time_label(result['wall_seconds'], result['cpu_seconds'])} |")
    if len(notebooks) > 1:
        wall = sum(result["wall_seconds"] for result in notebooks)
        cpu = sum(result["cpu_seconds"] for result in notebooks)
        peak = max(result["peak_memory_mb"] for result in notebooks)
        lines.append(f"| all | {wall:.0f} s ({wall / 60:.1f} min) | {cpu:.0f} s | {peak:.0f} MB | |")
    return lines


def graded_table(graded: dict[str, dict[str, dict[str, float]]]) -> list[str]:
    """Lines of the table of graded runs, one row per notebook, one group of columns per mode."""
    if not graded:
        return []
    modes = [mode for mode in ("fast", "full") if any(mode in runs for runs in graded.values())]
    header = "| Notebook | " + " | ".join(f"{mode}: wall | {mode}: CPU | {mode}: peak memory" for mode in modes) + " |"
    lines = ["", "Each solution notebook graded (`python -m mnist_course grade NOTEBOOK --fast`, `--full`)", "",
             header, "|---|" + "---:|" * (3 * len(modes))]
    for notebook, runs in graded.items():
        cells = []
        for mode in modes:
            figures = runs.get(mode)
            cells += (["", "", ""] if figures is None else
                      [f"{figures['wall_seconds']:.0f} s", f"{figures['cpu_seconds']:.0f} s",
                       f"{figures['peak_memory_mb']:.0f} MB"])
        lines.append(f"| {notebook} | " + " | ".join(cells) + " |")
    return lines


def plot_accuracy_against_time(results: list[dict[str, Any]]):
    """Test accuracy after each epoch against training time, one line per model."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, ax = plt.subplots(figsize=(8, 5))
    for result in results:
        ax.plot(result["seconds_per_epoch_cumulative"], np.array(result["accuracy_per_epoch"]) * 100,
                marker="o", markersize=3, linestyle="--" if not result["course"] else "-",
                label=result["title"])
    ax.axhline(TARGET_ACCURACY * 100, color="gray", linewidth=0.8)
    ax.set_xscale("log")
    ax.set_title("Test accuracy against training time (full MNIST)")
    ax.set_xlabel("Training time (s, log scale)")
    ax.set_ylabel("Test accuracy (%)")
    low = min([min(r["accuracy_per_epoch"]) for r in results if r["accuracy_per_epoch"]] + [0.9])
    ax.set_ylim(max(low * 100 - 0.5, 0), 100)
    ax.legend(fontsize="small", loc="lower right")
    ax.grid(alpha=0.3)
    return figure


def _select(args: argparse.Namespace, parser: argparse.ArgumentParser) -> tuple[list[str], list[Path], list[Path]]:
    """The models, notebooks and graded notebooks that the command line asks for."""
    model_names = [reference.name for reference in ALL_MODELS]
    default_models = [reference.name for reference in (ABLATION if args.ablation else REFERENCES)]
    all_notebooks = timing.solution_notebooks()
    only = args.only or []
    unknown = [name for name in only if name not in model_names
               and not any(timing.notebook_matches(path, [name]) for path in all_notebooks)]
    if unknown:
        parser.error(f"no model or notebook called {unknown[0]!r}; known models: {', '.join(model_names)}; "
                     f"notebooks: {', '.join(path.name[:2] for path in all_notebooks)} (or their file names)")
    sections = {"models": args.models or args.ablation, "notebooks": args.notebooks,
                "graded": args.graded or args.costs is not None}
    if not any(sections.values()):
        # No section named: the models and the notebook runs, or what --only names.
        sections["models"] = not only or any(name in model_names for name in only)
        sections["notebooks"] = not only or any(name not in model_names for name in only)
    names = ([name for name in model_names if name in only] if only else default_models) if sections["models"] else []
    picked = [path for path in all_notebooks if not only or timing.notebook_matches(path, only)]
    if only and not [name for name in only if name not in model_names]:
        picked = all_notebooks  # --only named models only: it filters the models, not the notebooks
    notebooks = picked if sections["notebooks"] else []
    graded = picked if sections["graded"] else []
    return names, notebooks, graded


def main(argv: list[str] | None = None) -> int:
    """Command line of ``make benchmark``."""
    parser = argparse.ArgumentParser(
        prog="python -m mnist_course.tools.benchmark",
        description="Time the course on this machine: train every reference model on the full data, "
                    "and run every solution notebook end to end in full mode, each in a fresh process. "
                    "With none of --models, --notebooks, --graded: the models and the notebooks.")
    parser.add_argument("--models", action="store_true", help="train the reference models")
    parser.add_argument("--ablation", action="store_true",
                        help="train the fast CNN for 3 epochs as it is and with each ingredient changed "
                             "(filters, learning rate, batch, steps per call, dtype policy), instead of "
                             "the reference models")
    parser.add_argument("--notebooks", action="store_true",
                        help="run the solution notebooks end to end in a fresh kernel, one after the other")
    parser.add_argument("--graded", action="store_true",
                        help="grade each solution notebook with `python -m mnist_course grade NOTEBOOK` "
                             "--fast and --full, timed (wall, CPU of every process, peak memory)")
    parser.add_argument("--costs", type=Path, metavar="FILE",
                        help="write the graded figures to FILE as JSON (implies --graded); the Gradescope "
                             "export reads mnist_course/export/grading_costs.json")
    parser.add_argument("--only", action="append", metavar="NAME",
                        help="only this model or notebook (repeatable); models: "
                        + ", ".join(reference.name for reference in ALL_MODELS)
                        + "; notebooks by number (02) or name")
    parser.add_argument("--live", action="store_true",
                        help="train the models with callbacks=[plots.live()], the live training view, "
                             "to measure its overhead against a run without")
    parser.add_argument("--notebook-mode", choices=("full", "fast"), default="full",
                        help="mode of the notebook runs (default full; fast is for a quick check)")
    parser.add_argument("--grade-modes", default="fast,full", help=argparse.SUPPRESS)
    parser.add_argument("--epochs-scale", type=float, default=1.0,
                        help="multiply every epoch count by this (at least 1 epoch), for a quick look")
    parser.add_argument("--limit", type=int, default=None,
                        help="train on a stratified sample of this many images (for tests)")
    parser.add_argument("--output", type=Path, default=Path("build"),
                        help="folder for benchmark.json, benchmark.md, benchmark.png and the executed notebooks")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--result-file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.epochs_scale <= 0:
        parser.error("--epochs-scale must be positive")
    if args.live and not callable(getattr(_plots(), "live", None)):
        parser.error("--live needs mnist_course.plots.live(), the live training view, which this "
                     "version of the course does not have")
    if args.child:
        result = run_one(_reference(args.child), args.epochs_scale, args.limit, live=args.live)
        args.result_file.write_text(json.dumps(result))
        return 0
    grade_modes = tuple(mode for mode in args.grade_modes.split(",") if mode)
    if not grade_modes or set(grade_modes) - {"fast", "full"}:
        parser.error("--grade-modes takes fast, full or fast,full")
    if args.costs is not None and args.costs.exists():
        print(f"note: {args.costs} will be replaced by this run's figures", flush=True)
    names, notebooks, graded = _select(args, parser)
    command = "python -m mnist_course.tools.benchmark" + "".join(f" {arg}" for arg in (argv if argv is not None else sys.argv[1:]))
    report = run_all(names, args.output, args.epochs_scale, args.limit, notebooks=notebooks,
                     notebook_fast=args.notebook_mode == "fast", graded=graded, graded_modes=grade_modes,
                     costs=args.costs, live=args.live, command=command)
    print()
    print(markdown_table(report))
    print(f"Wrote {args.output / 'benchmark.json'} and benchmark.md"
          + (" and benchmark.png" if report["models"] else "")
          + (f", and {args.costs}" if args.costs else "") + ".")
    return 0


def _plots():
    from mnist_course import plots

    return plots


if __name__ == "__main__":
    sys.exit(main())
