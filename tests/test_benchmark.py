"""The benchmark module: builds the notebooks' own models and writes a well-formed report.

Timings are not asserted: they depend on the machine. A tiny run checks the plumbing."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from mnist_course.tools import benchmark

from conftest import ROOT, SOLUTIONS


def test_only_definitions_of_the_model_cell_run(tmp_path):
    source = (
        "import math\nunits = 16\nmodel = None\n### BEGIN SOLUTION\n"
        "def build_tiny(steps_per_epoch=1):\n"
        "    model = keras.Sequential([keras.Input(shape=(784,)), layers.Dense(units), layers.Dense(10, activation='softmax')])\n"
        "    model.compile(optimizer='sgd', loss='sparse_categorical_crossentropy')\n"
        "    return model\n### END SOLUTION\n"
        "model = build_tiny()\nmodel.fit(x_train, y_train)\nraise RuntimeError('training ran')\n")
    notebook = new_notebook(cells=[new_code_cell(source, metadata={"tags": ["exercise:9.1", "model:tiny"]})])
    path = tmp_path / "09_tiny.ipynb"
    nbformat.write(notebook, path)
    namespace = benchmark.notebook_definitions(path, "tiny")
    assert namespace["units"] == 16
    assert namespace.get("model") is None, "the training lines of the cell must not run"
    assert namespace["build_tiny"]().count_params() == 784 * 16 + 16 + 16 * 10 + 10


def test_missing_model_cell_is_a_clear_error(tmp_path):
    path = tmp_path / "09_none.ipynb"
    nbformat.write(new_notebook(cells=[new_code_cell("x = 1")]), path)
    with pytest.raises(LookupError, match="exactly one cell tagged model:tiny"):
        benchmark.notebook_definitions(path, "tiny")


@pytest.mark.parametrize("reference", [r for r in benchmark.REFERENCES if r.notebook],
                         ids=lambda r: r.name)
def test_settings_match_the_notebook(reference):
    """The benchmark trains with the literals written in the notebook above its fit call."""
    notebook = nbformat.read(SOLUTIONS / reference.notebook, as_version=4)
    text = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")
    assert re.search(rf"\bbatch_size\s*=\s*{reference.batch_size}\b", text)
    assert re.search(rf"\bnum_epochs\s*=\s*{reference.epochs}\b", text)
    if reference.validation_split:
        assert re.search(rf"validation_split\s*=\s*{reference.validation_split}\b", text)
    if reference.optimizer:
        name, rate = reference.optimizer
        assert re.search(rf"optimizers\.{name}\(learning_rate={rate}\)", text)


@pytest.mark.parametrize("reference", benchmark.ALL_MODELS, ids=lambda r: r.name)
def test_every_model_builds_compiled_from_its_notebook(reference):
    """Each model the benchmark trains is built (not trained) from its notebook's cell, with its
    settings: compiled, for 28x28 or flat inputs, ten outputs."""
    model = benchmark.build_reference(reference, steps_per_epoch=10)
    assert model.optimizer is not None and model.count_params() > 0
    assert tuple(model.outputs[0].shape[1:]) == (10,)
    if reference.optimizer:
        name, rate = reference.optimizer
        assert type(model.optimizer).__name__ == name
        assert float(model.optimizer.learning_rate.numpy()) == pytest.approx(rate)
    if reference.name == "ablation_filters_32_64":
        recipe = benchmark.build_reference(benchmark.ABLATION[0], steps_per_epoch=10)
        assert model.count_params() > recipe.count_params()


def test_models_selects_every_reference_model(monkeypatch):
    assert _selection(monkeypatch, "--models")["names"] == [reference.name for reference in benchmark.REFERENCES]


def test_tiny_run_writes_json_table_and_plot(tmp_path):
    """Three models through the real path (a child process each): one of 02, the fast CNN with
    its schedule, and the baseline, which the bars compare."""
    chosen = ["logistic_regression", "fast_cnn", "keras_convnet"]
    result = subprocess.run(
        [sys.executable, "-m", "mnist_course.tools.benchmark", "--models", *[f"--only={name}" for name in chosen],
         "--limit", "600", "--epochs-scale", "0.01", "--output", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "epoch 1/1" in result.stdout, "progress is shown while it runs"
    report = json.loads((tmp_path / "benchmark.json").read_text())
    names = [model["name"] for model in report["models"]]
    assert names == chosen
    for model in report["models"]:
        assert model["parameters"] > 0 and model["epochs"] == 1
        assert 0.0 <= model["test_accuracy"] <= 1.0 and model["training_seconds"] > 0
        assert model["peak_memory_mb"] > 0
        assert len(model["accuracy_per_epoch"]) == 1
        assert len(model["cpu_seconds_per_epoch_cumulative"]) == 1 and model["cpu_seconds_per_epoch_cumulative"][0] > 0
    table = (tmp_path / "benchmark.md").read_text()
    assert table.count("\n| ") >= len(names) + 1 and "quick look" in table
    assert (tmp_path / "benchmark.png").read_bytes()[:4] == b"\x89PNG"


def test_ablation_selects_the_fast_cnn_and_its_variants_only(monkeypatch):
    seen = _selection(monkeypatch, "--ablation")
    assert seen["names"] == [reference.name for reference in benchmark.ABLATION]
    assert seen["notebooks"] == [] and seen["graded"] == []
    assert all(reference.builds == "fast_cnn" and reference.epochs == 3 for reference in benchmark.ABLATION)


def test_ablation_trains_variants_and_tabulates_them(tmp_path):
    """One variant through the real path (child processes, the notebook's builder with
    other arguments): the table notebook 05's "Training faster" quotes."""
    result = subprocess.run(
        [sys.executable, "-m", "mnist_course.tools.benchmark", "--ablation", "--only", "ablation_filters_32_64",
         "--limit", "600", "--epochs-scale", "0.34", "--output", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    report = json.loads((tmp_path / "benchmark.json").read_text())
    assert [model["name"] for model in report["models"]] == ["ablation_filters_32_64"]
    table = (tmp_path / "benchmark.md").read_text()
    assert "The fast CNN's ingredients" in table and "| fast CNN, 32 and 64 filters |" in table


def test_unknown_model_is_refused():
    result = subprocess.run([sys.executable, "-m", "mnist_course.tools.benchmark", "--only", "nope"],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode != 0 and "known models" in result.stderr


# --------------------------------------------------------------------------- the course's own cost

from mnist_course.tools import timing


def test_measure_counts_every_process_of_the_tree():
    """CPU time and peak memory include a grandchild, as a notebook's kernel is one."""
    grandchild = ("import time\nblock = bytearray(300 * 2**20)\nend = time.process_time() + 1.0\n"
                  "while time.process_time() < end: pass\ntime.sleep(1.0)\n")
    child = f"import subprocess, sys\nsubprocess.run([sys.executable, '-c', {grandchild!r}], check=True)\n"
    cost = timing.measure([sys.executable, "-c", child], interval=0.1)
    assert cost.returncode == 0
    assert cost.cpu_seconds >= 0.9, "the grandchild's second of CPU must be counted"
    assert cost.peak_memory_mb >= 300, "the grandchild's 300 MB must be in the peak"
    assert cost.wall_seconds >= 2.0


def test_a_failing_command_keeps_its_exit_code():
    assert timing.measure([sys.executable, "-c", "raise SystemExit(3)"]).returncode == 3


def test_slowest_cells_come_from_nbclient_timing():
    cells = []
    for seconds in (2, 30, 5):
        cell = new_code_cell(f"train({seconds})", metadata={"tags": ["exercise:9.1"], "execution": {
            "iopub.execute_input": "2026-12-03T10:00:00.000000Z",
            "shell.execute_reply": f"2026-12-03T10:00:{seconds:02d}.500000Z"}})
        cells.append(cell)
    slowest = timing.slowest_cells(new_notebook(cells=cells), count=2)
    assert [entry["seconds"] for entry in slowest] == [30.5, 5.5]
    assert slowest[0] == {"cell": 1, "tags": ["exercise:9.1"], "first_line": "train(30)", "seconds": 30.5}


def test_notebooks_are_picked_by_number_or_name():
    picked = timing.solution_notebooks(["02", "06_metrics", "07_going_further.ipynb"])
    assert [path.name for path in picked] == ["02_logistic_regression.ipynb", "06_metrics.ipynb",
                                             "07_going_further.ipynb"]
    assert len(timing.solution_notebooks()) == len(list(SOLUTIONS.glob("*.ipynb")))


def _selection(monkeypatch, *argv):
    """What main() would run for ``argv``, without running it."""
    seen = {}

    def fake_run_all(names, output, epochs_scale=1.0, limit=None, **options):
        seen.update(names=names, notebooks=[p.name[:2] for p in options["notebooks"]],
                    graded=[p.name[:2] for p in options["graded"]], live=options["live"],
                    costs=options["costs"])
        return {"date": "d", "machine": "m", "models": [], "bars": []}

    monkeypatch.setattr(benchmark, "run_all", fake_run_all)
    assert benchmark.main(list(argv)) == 0
    return seen


def test_only_two_models_runs_those_models_and_no_notebook(monkeypatch):
    seen = _selection(monkeypatch, "--only", "fast_cnn", "--only", "keras_convnet")
    assert seen["names"] == ["fast_cnn", "keras_convnet"] and seen["notebooks"] == [] and seen["graded"] == []


def test_default_runs_every_model_and_every_notebook(monkeypatch):
    seen = _selection(monkeypatch)
    assert seen["names"] == [reference.name for reference in benchmark.REFERENCES]
    assert seen["notebooks"] == ["01", "02", "03", "04", "05", "06", "07"] and seen["graded"] == []


def test_notebooks_only_and_graded_with_costs(monkeypatch, tmp_path):
    assert _selection(monkeypatch, "--notebooks", "--only", "03")["names"] == []
    assert _selection(monkeypatch, "--notebooks", "--only", "03")["notebooks"] == ["03"]
    seen = _selection(monkeypatch, "--costs", str(tmp_path / "costs.json"), "--only", "01", "--only", "02")
    assert seen["graded"] == ["01", "02"] and seen["names"] == [] and seen["notebooks"] == []
    assert _selection(monkeypatch, "--models", "--only", "mlp")["notebooks"] == []


def test_costs_file_has_the_schema_the_gradescope_export_reads(monkeypatch, tmp_path):
    figures = {"wall_seconds": 12.3, "cpu_seconds": 20.1, "peak_memory_mb": 900.0}
    calls = []

    def fake_time_grading(path, modes):
        calls.append((path.name, modes))
        return {mode: dict(figures) for mode in modes}

    monkeypatch.setattr(timing, "time_grading", fake_time_grading)
    costs = tmp_path / "grading_costs.json"
    assert benchmark.main(["--costs", str(costs), "--only", "01", "--only", "06",
                           "--output", str(tmp_path / "build")]) == 0
    assert calls == [("01_meet_the_data.ipynb", ("fast", "full")), ("06_metrics.ipynb", ("fast", "full"))]
    document = json.loads(costs.read_text())
    assert set(document) == {"measured_on", "date", "command", "notebooks"}
    assert "cores" in document["measured_on"] and "GPU" not in document["measured_on"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", document["date"])
    assert "--costs" in document["command"]
    assert document["notebooks"] == {"01": {"fast": figures, "full": figures},
                                     "06": {"fast": figures, "full": figures}}
    report = json.loads((tmp_path / "build" / "benchmark.json").read_text())
    assert report["graded"] == document["notebooks"]
    assert "| 06 | 12 s | 20 s | 900 MB | 12 s | 20 s | 900 MB |" in (tmp_path / "build" / "benchmark.md").read_text()


def test_live_needs_plots_live(monkeypatch, capsys):
    monkeypatch.setattr(benchmark, "_plots", lambda: object())
    with pytest.raises(SystemExit) as stopped:
        benchmark.main(["--only", "mlp", "--live"])
    assert stopped.value.code == 2 and "plots.live()" in capsys.readouterr().err


def test_live_is_recorded(monkeypatch):
    class FakePlots:
        @staticmethod
        def live():
            return None

    monkeypatch.setattr(benchmark, "_plots", lambda: FakePlots)
    assert _selection(monkeypatch, "--only", "mlp", "--live")["live"] is True


def test_a_notebook_runs_end_to_end_timed(tmp_path):
    """Notebook 01 in fast mode (the cheapest one) through the real path: child, kernel, JSON."""
    result = subprocess.run(
        [sys.executable, "-m", "mnist_course.tools.benchmark", "--notebooks", "--only", "01",
         "--notebook-mode", "fast", "--output", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    report = json.loads((tmp_path / "benchmark.json").read_text())
    assert report["models"] == [] and report["notebook_mode"] == "fast"
    (notebook,) = report["notebooks"]
    assert notebook["notebook"] == "01" and notebook["mode"] == "fast"
    assert notebook["cpu_seconds"] > 1, "the kernel's CPU time is counted"
    assert notebook["peak_memory_mb"] > 100 and notebook["wall_seconds"] > 1
    assert notebook["slowest_cells"] and (tmp_path / "executed" / "01_meet_the_data.ipynb").exists()
    assert "| 01 |" in (tmp_path / "benchmark.md").read_text()


def _readme_section(title: str) -> str:
    text = (ROOT / "README.md").read_text()
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start:end if end != -1 else None]


def test_readme_run_times_come_from_the_benchmark_table():
    """The notebook table's run-time column says what the README's benchmark table measured."""
    section = _readme_section("Benchmark")
    assert "`make benchmark`" in section
    measured = {number: (int(wall), int(cpu)) for number, wall, cpu in re.findall(
        r"^\| (\d\d) \| (\d+) s \| (\d+) s \| \d+ MB \| [^|]+ \|$", section, re.M)}
    pending = re.findall(r"^\| (\d\d) \| not measured yet[^|]*\|", section, re.M)
    rows = re.findall(r"^\| (\d\d) \| \[.*\| ([^|]+) \|$", _readme_section("The notebooks"), re.M)
    assert [number for number, _ in rows] == ["01", "02", "03", "04", "05", "06", "07"]
    assert sorted([*measured, *pending]) == [number for number, _ in rows], "one benchmark row per notebook"
    for number, run_time in rows:
        if number in measured:
            assert run_time.strip() == benchmark.run_time_label(*measured[number]), (
                f"notebook {number}: the README says {run_time.strip()!r}, its benchmark row "
                f"{measured[number]} (wall, CPU): write run_time_label{measured[number]}")


def _header_minutes(text: str) -> tuple[float, float]:
    """The range of minutes a notebook's "**Run time:**" line claims."""
    claim = re.search(r"\*\*Run time:\*\* (under a minute|about half a minute|about (\d+(?:\.\d)?) minutes?)", text)
    assert claim, f"no run time in the notebook's header: {text[:200]!r}"
    if claim.group(2) is None:   # "under a minute", "about half a minute"
        return 0.0, 1.0
    minutes = float(claim.group(2))
    return minutes - 0.5, minutes + 0.5


def test_notebook_headers_state_the_measured_run_time():
    """Each solution notebook's "Run time" line agrees with the README's benchmark table
    (the shorter of wall and CPU time, within half a minute)."""
    section = _readme_section("Benchmark")
    measured = {number: min(int(wall), int(cpu)) / 60 for number, wall, cpu in re.findall(
        r"^\| (\d\d) \| (\d+) s \| (\d+) s \| \d+ MB \| [^|]+ \|$", section, re.M)}
    assert len(measured) == 7, measured
    for path in sorted(SOLUTIONS.glob("0*.ipynb")):
        low, high = _header_minutes(nbformat.read(path, as_version=4).cells[0].source)
        minutes = measured[path.name[:2]]
        assert low <= minutes <= high, (
            f"{path.name} says {low + 0.5:g} minutes (give or take half a minute); the benchmark measured "
            f"{minutes:.1f}")


def test_notebook_05s_ingredient_table_is_the_measured_one():
    """The "Training faster" table of notebook 05 is docs/ablation.json (written from
    `benchmark --ablation`): each row's fastest epoch and accuracy after each epoch, in the
    order of benchmark.ABLATION."""
    import numpy as np

    measured = json.loads((ROOT / "docs" / "ablation.json").read_text())
    assert "--ablation" in measured["command"]
    assert [model["name"] for model in measured["models"]] == [reference.name for reference in benchmark.ABLATION]
    cell = next(cell for cell in nbformat.read(SOLUTIONS / "05_cnn.ipynb", as_version=4).cells
                if cell.source.startswith("## Training faster"))
    rows = re.findall(r"^\| ([^|]+) \| ([\d.]+) \| ([^|]+) \|$", cell.source, re.M)
    assert len(rows) == len(measured["models"]), rows
    for (variant, seconds, accuracies), model in zip(rows, measured["models"]):
        fastest = min(np.diff([0.0, *model["seconds_per_epoch_cumulative"]]))
        assert float(seconds) == round(fastest, 1), (variant, model["name"])
        shown = [float(value) for value in re.findall(r"([\d.]+) %", accuracies)]
        assert shown == [round(100 * accuracy, 2) for accuracy in model["accuracy_per_epoch"]], variant


def test_readme_says_every_bar_is_met_only_when_its_table_does():
    section = _readme_section("Benchmark")
    verdicts = re.findall(r"^\| [^|]+ \| [^|]+ \| (yes|\*\*no\*\*|n/a) \|$", section, re.M)
    assert len(verdicts) >= 15, verdicts
    if "Every bar is met in this run" in section:
        assert set(verdicts) == {"yes"}, verdicts


def test_notebook_05_trains_three_networks_unless_asked_for_more():
    """What the README says of 05: every fit call but three sits under a flag that is False
    (RUN_OPTIONAL, TRAIN_DEEPER), so Run All trains SGD, Adam and the fast CNN only."""
    import ast

    unconditional, flagged = 0, []
    for cell in nbformat.read(SOLUTIONS / "05_cnn.ipynb", as_version=4).cells:
        if cell.cell_type != "code":
            continue
        tree = ast.parse("\n".join(line for line in cell.source.splitlines() if not line.startswith("%")))
        flags = {node.targets[0].id: node.value.value for node in tree.body if isinstance(node, ast.Assign)
                 and isinstance(node.targets[0], ast.Name) and isinstance(node.value, ast.Constant)}
        for node in tree.body:
            fits = sum(isinstance(call, ast.Call) and getattr(call.func, "attr", "") == "fit" for call in ast.walk(node))
            if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and flags.get(node.test.id) is False:
                flagged += [node.test.id] * fits
            else:
                unconditional += fits
    assert unconditional == 3 and sorted(flagged) == ["RUN_OPTIONAL", "TRAIN_DEEPER"], (unconditional, flagged)
