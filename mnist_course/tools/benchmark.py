"""``make benchmark``: train every reference model of the course on the full data, timed.

Instructors use it before class to know how long each notebook's training takes on their
machines and what it reaches. It trains, one after the other and each in a fresh Python
process (so that peak memory is measured per model):

* the course's reference models, built by the very functions the solution notebooks define
  (cells tagged ``model:<name>``: only their imports, constants and functions are run), and
  trained with the settings written above the notebook's ``fit`` call;
* one baseline that is not ours: the classic Keras "simple MNIST convnet".

For each it records parameters, epochs, training wall time (test evaluations after each
epoch are not counted), seconds per epoch, test accuracy, the epoch and training time at
which test accuracy first reached 99.0 %, and peak memory, then writes
``build/benchmark.json``, ``build/benchmark.md`` and ``build/benchmark.png``.

Example:
    $ python -m mnist_course.tools.benchmark                  # everything, full data
    $ python -m mnist_course.tools.benchmark --only mlp       # one model
    $ python -m mnist_course.tools.benchmark --epochs-scale 0.2 --limit 6000   # a quick look
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
    seed: int = 42              # the seed the notebook sets before training this model
    course: bool = True         # False for the baseline, which is not the course's


#: Every model of the course, with its notebook's settings, then the baseline.
REFERENCES: tuple[Reference, ...] = (
    Reference("logistic_regression", "02 logistic regression", "02_logistic_regression.ipynb",
              batch_size=32, epochs=20),
    Reference("mlp", "03 MLP (fixed)", "03_mlp.ipynb", batch_size=500, epochs=20,
              validation_split=0.1),
    Reference("normalised_mlp", "04 MLP, standardised, momentum", "04_normalisation.ipynb",
              batch_size=32, epochs=5, validation_split=0.3, inputs="standardised", seed=0),
    Reference("cnn", "05 CNN (Adam)", "05_cnn.ipynb", batch_size=32, epochs=4),
    Reference("deeper_cnn", "05 deeper CNN", "05_cnn.ipynb", batch_size=64, epochs=10),
    Reference("fast_cnn", "05 fast CNN", "05_cnn.ipynb", batch_size=128, epochs=6),
    Reference("keras_convnet", "Keras simple convnet (baseline)", None, batch_size=128,
              epochs=15, validation_split=0.1, course=False),
)


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

    if reference.notebook is None:
        build = globals()[f"build_{reference.name}"]
    else:
        build = notebook_definitions(reference.notebook, reference.name)[f"build_{reference.name}"]
    arguments = dict(reference.build_args)
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


def run_one(reference: Reference, epochs_scale: float = 1.0, limit: int | None = None) -> dict[str, Any]:
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

    keras.utils.set_random_seed(reference.seed)
    model = build_reference(scaled, steps_per_epoch)
    x_fit, y_fit, x_eval = _prepare(model, reference, x_train, y_train, x_test)
    timer = _epoch_timer(x_eval, y_test, reference.name, epochs)
    model.fit(x_fit, y_fit, batch_size=reference.batch_size, epochs=epochs,
              validation_split=reference.validation_split, verbose=0, callbacks=[timer])
    reached = next((i for i, accuracy in enumerate(timer.accuracies) if accuracy >= TARGET_ACCURACY), None)
    return {
        "name": reference.name,
        "title": reference.title,
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
            self._elapsed = 0.0

        def on_epoch_begin(self, epoch, logs=None):
            self._start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self._elapsed += time.perf_counter() - self._start
            predicted = self.model.predict(x_test, batch_size=1000, verbose=0).argmax(-1)
            accuracy = float(np.mean(predicted == y_test))
            self.accuracies.append(accuracy)
            self.training_seconds.append(self._elapsed)
            print(f"  {name}: epoch {epoch + 1}/{epochs}, {self._elapsed:6.1f} s of training, "
                  f"test accuracy {accuracy:.4f}", flush=True)

    return EpochTimer()


# --------------------------------------------------------------------------- whole run


def machine_description() -> str:
    """A short description of this machine: CPU model, cores, memory, TensorFlow version.

    Example:
        >>> "cores" in machine_description()
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
    try:
        from importlib.metadata import version

        stack = f"TensorFlow {version('tensorflow')}, Keras {version('keras')}"
    except Exception:
        stack = "TensorFlow (version unknown)"
    return f"{cpu}, {os.cpu_count()} cores{memory}, no GPU used; {stack}, Python {platform.python_version()}"


def run_all(names: list[str], output: Path, epochs_scale: float, limit: int | None) -> dict[str, Any]:
    """Train each named model in its own process, then write the JSON, table and plot."""
    output.mkdir(parents=True, exist_ok=True)
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
        completed = subprocess.run(command)
        if completed.returncode != 0:
            result_file.unlink(missing_ok=True)
            raise RuntimeError(f"training {name} failed (exit code {completed.returncode}); "
                               f"see the messages above.")
        results.append(json.loads(result_file.read_text()))
        result_file.unlink()
    report = {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "machine": machine_description(),
        "epochs_scale": epochs_scale,
        "limit": limit,
        "target_accuracy": TARGET_ACCURACY,
        "models": results,
        "bars": bars(results) if limit is None and epochs_scale == 1.0 else [],
    }
    (output / "benchmark.json").write_text(json.dumps(report, indent=2) + "\n")
    (output / "benchmark.md").write_text(markdown_table(report))
    plot_accuracy_against_time(results).savefig(output / "benchmark.png", dpi=110,
                                                bbox_inches="tight")
    return report


def _reference(name: str) -> Reference:
    for reference in REFERENCES:
        if reference.name == name:
            return reference
    known = ", ".join(reference.name for reference in REFERENCES)
    raise SystemExit(f"error: no model called {name!r}; known models: {known}")


def bars(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Judge a full run against the course's bars; each bar says what it measured."""
    by_name = {result["name"]: result for result in results}
    checks: list[dict[str, Any]] = []

    def bar(text: str, ok: bool | None, measured: str) -> None:
        checks.append({"bar": text, "passed": ok, "measured": measured})

    for name, floor in (("logistic_regression", 0.92), ("mlp", 0.98), ("cnn", 0.985), ("fast_cnn", 0.992)):
        if name in by_name:
            accuracy = by_name[name]["test_accuracy"]
            bar(f"{by_name[name]['title']}: test accuracy ≥ {floor:.1%}", accuracy >= floor, f"{accuracy:.2%}")
    fast, baseline = by_name.get("fast_cnn"), by_name.get("keras_convnet")
    if fast and baseline:
        if fast["seconds_to_target"] is not None and baseline["seconds_to_target"] is not None:
            ratio = fast["seconds_to_target"] / baseline["seconds_to_target"]
            bar("fast CNN reaches 99.0 % in ≤ 0.35 × the baseline's time", ratio <= 0.35,
                f"{fast['seconds_to_target']:.0f} s / {baseline['seconds_to_target']:.0f} s = {ratio:.2f}")
        else:
            bar("fast CNN reaches 99.0 % in ≤ 0.35 × the baseline's time",
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


def markdown_table(report: dict[str, Any]) -> str:
    """The benchmark as a Markdown table, with the machine, date and bars.

    Example:
        >>> print(markdown_table({"date": "d", "machine": "m", "models": [], "bars": []}))   # doctest: +ELLIPSIS
        Benchmark of ...
    """
    lines = [
        f"Benchmark of {report['date']} on {report['machine']}"
        + ("" if not report.get("limit") and report.get("epochs_scale", 1.0) == 1.0
           else f" (quick look: {report.get('limit')} images, epochs × {report.get('epochs_scale')})"),
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
    return "\n".join(lines) + "\n"


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


def main(argv: list[str] | None = None) -> int:
    """Command line of ``make benchmark``."""
    parser = argparse.ArgumentParser(
        prog="python -m mnist_course.tools.benchmark",
        description="Train every reference model of the course on the full data and time it.")
    parser.add_argument("--only", action="append", metavar="NAME",
                        help="run only this model (repeatable); one of: "
                        + ", ".join(reference.name for reference in REFERENCES))
    parser.add_argument("--epochs-scale", type=float, default=1.0,
                        help="multiply every epoch count by this (at least 1 epoch), for a quick look")
    parser.add_argument("--limit", type=int, default=None,
                        help="train on a stratified sample of this many images (for tests)")
    parser.add_argument("--output", type=Path, default=Path("build"),
                        help="folder for benchmark.json, benchmark.md and benchmark.png")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--result-file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.epochs_scale <= 0:
        parser.error("--epochs-scale must be positive")
    if args.child:
        result = run_one(_reference(args.child), args.epochs_scale, args.limit)
        args.result_file.write_text(json.dumps(result))
        return 0
    names = args.only or [reference.name for reference in REFERENCES]
    for name in names:
        _reference(name)
    report = run_all(names, args.output, args.epochs_scale, args.limit)
    print()
    print(markdown_table(report))
    print(f"Wrote {args.output / 'benchmark.json'}, benchmark.md and benchmark.png.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
