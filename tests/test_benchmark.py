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


def test_tiny_run_writes_json_table_and_plot(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "mnist_course.tools.benchmark", "--limit", "600", "--epochs-scale", "0.01",
         "--output", str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "epoch 1/1" in result.stdout, "progress is shown while it runs"
    report = json.loads((tmp_path / "benchmark.json").read_text())
    names = [model["name"] for model in report["models"]]
    assert names == [reference.name for reference in benchmark.REFERENCES]
    for model in report["models"]:
        assert model["parameters"] > 0 and model["epochs"] == 1
        assert 0.0 <= model["test_accuracy"] <= 1.0 and model["training_seconds"] > 0
        assert model["peak_memory_mb"] > 0
        assert len(model["accuracy_per_epoch"]) == 1
    table = (tmp_path / "benchmark.md").read_text()
    assert table.count("\n| ") >= len(names) + 1 and "quick look" in table
    assert (tmp_path / "benchmark.png").read_bytes()[:4] == b"\x89PNG"


def test_unknown_model_is_refused():
    result = subprocess.run([sys.executable, "-m", "mnist_course.tools.benchmark", "--only", "nope"],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode != 0 and "known models" in result.stderr
