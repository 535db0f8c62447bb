"""`mnist-course export gradescope`: one zip per notebook with the settings to use, and its
run_autograder run on folders laid out like Gradescope's /autograder (AUTOGRADER_ROOT) with the
course installed from the zip's wheel, without solutions: a full, a partly wrong and a broken
submission of notebook 01, two copies of it, an HTML page saved as .ipynb, a .py, and a
notebook of another assignment."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import SOLUTIONS
from mnist_course.tools import cli
from mnist_course.export.costs import DEFAULT_MEMORY_MB, advice, load_costs, settings_for
from mnist_course.export.gradescope import results_json
from mnist_course.grade import ExerciseResult, Report

from submissions import EXERCISES_01, WRONG, submission, write


def _partial(folder: Path, name: str = "my notebook.ipynb") -> Path:
    return write(submission({"1.2": WRONG["1.2"][0]}, right=("1.1", "1.2", "1.3")), folder / name)


SUBMISSIONS = {
    "full": lambda folder: write(submission(), folder / "01_meet_the_data.ipynb"),
    "partial": _partial,
    "broken": lambda folder: (folder / "01_meet_the_data.ipynb").write_text('{"cells": [', encoding="utf-8"),
    "html": lambda folder: (folder / "01_meet_the_data.ipynb").write_text(
        "<!DOCTYPE html>\n<html><body><script>alert(1)</script></body></html>", encoding="utf-8"),
    "script": lambda folder: (folder / "s7_script.py").write_text("print('my answers')\n", encoding="utf-8"),
    "two_copies": lambda folder: (write(submission(), folder / "01_meet_the_data.ipynb"), _partial(folder, "copy.ipynb")),
    "other_notebook": lambda folder: shutil.copy(SOLUTIONS / "06_metrics.ipynb", folder / "06_metrics.ipynb"),
}


@pytest.fixture(scope="module")
def autograder(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("gradescope")
    target = folder / "autograder.zip"
    assert cli.main(["export", "gradescope", str(target), "--notebook", "01", "--fast",
                     "--visibility", "after_published"]) == 0
    return target


@pytest.fixture(scope="module")
def site(autograder, tmp_path_factory) -> Path:
    """The zip's wheel installed into a folder of its own."""
    folder = tmp_path_factory.mktemp("site")
    with zipfile.ZipFile(autograder) as archive:
        wheel = next(n for n in archive.namelist() if n.endswith(".whl"))
        archive.extract(wheel, folder)
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target",
                    str(folder / "lib"), str(folder / wheel)], check=True)
    return folder / "lib"


@pytest.fixture(scope="module")
def results(autograder, site, tmp_path_factory) -> dict[str, dict]:
    """results.json of each submission; the autograders run at once."""
    running = {}
    for name, make in SUBMISSIONS.items():
        root = tmp_path_factory.mktemp(f"autograder-{name}")
        with zipfile.ZipFile(autograder) as archive:
            archive.extractall(root / "source")
        for script in ("run_autograder", "setup.sh"):  # zipfile does not restore the mode bits
            path = root / "source" / script
            path.chmod(path.stat().st_mode | stat.S_IXUSR)
        shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
        (root / "submission").mkdir()
        make(root / "submission")
        environment = {**os.environ, "AUTOGRADER_ROOT": str(root), "MNIST_COURSE_PYTHON": sys.executable,
                       "PYTHONPATH": str(site)}  # the installed course only: no solutions/
        running[name] = (root, subprocess.Popen([str(root / "run_autograder")], cwd="/", env=environment,
                                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
    found = {}
    for name, (root, process) in running.items():
        output, _ = process.communicate(timeout=900)
        assert process.returncode == 0, output[-3000:]
        found[name] = json.loads((root / "results" / "results.json").read_text())
        found[name]["stdout"] = output
    return found


def test_the_zip_has_gradescopes_layout(autograder):
    with zipfile.ZipFile(autograder) as archive:
        names = set(archive.namelist())
        modes = {info.filename: info.external_attr >> 16 for info in archive.infolist()}
        config = json.loads(archive.read("autograder.json"))
        setup = archive.read("setup.sh").decode()
        run = archive.read("run_autograder").decode()
        readme = archive.read("README.md").decode()
        wheel = next(n for n in names if n.endswith(".whl"))
        with archive.open(wheel) as handle, zipfile.ZipFile(handle) as inner:
            inside = inner.namelist()
    assert {"setup.sh", "run_autograder", "autograder.json", "README.md"} <= names
    assert all(modes[n] & stat.S_IXUSR for n in ("setup.sh", "run_autograder"))
    assert "pip install" in setup and ".whl" in setup and "AUTOGRADER_ROOT" in setup
    assert "apt-get install -y bubblewrap" in setup  # the grader's sandbox
    assert "-m mnist_course sandbox" in run
    assert "-m mnist_course.data" in setup  # MNIST is fetched once, when the image is built
    assert not any("solutions" in n for n in inside)
    assert "mnist_course/export/grading_costs.json" in inside
    assert config["notebooks"] == {"01": {"file": "01_meet_the_data.ipynb", "exercises": list(EXERCISES_01)}}
    assert config["fast"] is True and config["visibility"] == "after_published"
    assert advice("01", fast=True) in readme and "01_meet_the_data.ipynb" in readme


def test_setup_sh_is_valid_bash(autograder, tmp_path):
    with zipfile.ZipFile(autograder) as archive:
        archive.extractall(tmp_path, members=["setup.sh", "run_autograder"])
    for script in ("setup.sh", "run_autograder"):
        assert subprocess.run(["bash", "-n", str(tmp_path / script)]).returncode == 0


def test_one_zip_per_notebook_by_default(tmp_path, capsys):
    assert cli.main(["export", "gradescope", str(tmp_path / "all")]) == 0
    zips = sorted(p.name for p in (tmp_path / "all").iterdir())
    assert zips == [p.stem + ".zip" for p in sorted(SOLUTIONS.glob("*.ipynb"))]
    out = capsys.readouterr().out
    for number in ("01", "05", "07"):
        assert f"Gradescope settings for notebook {number} in full mode" in out
    with zipfile.ZipFile(tmp_path / "all" / "05_cnn.zip") as archive:
        assert list(json.loads(archive.read("autograder.json"))["notebooks"]) == ["05"]
    # nothing is overwritten; one zip is for one notebook
    assert cli.main(["export", "gradescope", str(tmp_path / "all"), "--notebook", "05"]) == 2
    assert "already exists" in capsys.readouterr().err
    assert cli.main(["export", "gradescope", str(tmp_path / "two.zip"), "--notebook", "01", "--notebook", "02"]) == 2
    assert "one zip, for one notebook" in capsys.readouterr().err


def test_the_settings_come_from_the_measured_costs():
    costs = load_costs()
    assert set(costs) >= {"measured_on", "date", "command", "notebooks"}
    assert sorted(costs["notebooks"]) == [p.name[:2] for p in sorted(SOLUTIONS.glob("*.ipynb"))]
    for number, modes in costs["notebooks"].items():
        assert set(modes) == {"full", "fast"}
        for cost in modes.values():
            assert cost is None or set(cost) == {"wall_seconds", "cpu_seconds", "peak_memory_mb"}
        fast = settings_for(modes["fast"])
        text = advice(number, fast=True, costs=costs)
        assert f"{modes['fast']['cpu_seconds']:g} CPU seconds" in text and str(fast) in text
        assert fast.memory_mb >= modes["fast"]["peak_memory_mb"] * 1.25 and fast.memory_mb >= DEFAULT_MEMORY_MB
    made_up = {"measured_on": "x", "date": "d", "command": "c", "notebooks": {"09": {
        "full": None, "fast": {"wall_seconds": 30, "cpu_seconds": 60, "peak_memory_mb": 500}}}}
    text = advice("09", fast=False, costs=made_up)
    assert "in full mode: not measured" in text and "fast mode fits Gradescope's defaults" in text
    big = {"wall_seconds": 900, "cpu_seconds": 1600, "peak_memory_mb": 2400}
    assert str(settings_for(big)) == "memory 3 GB, 2 vCPU, timeout 20 minutes"


def _tests(result: dict) -> dict[str, dict]:
    return {test["number"]: test for test in result["tests"]}


def test_a_full_submission_scores_every_point(results):
    result = results["full"]
    assert result["score"] == len(EXERCISES_01)
    assert [t["number"] for t in result["tests"]] == list(EXERCISES_01)
    for test in result["tests"]:
        assert test | {"output": ""} == {"name": f"Exercise {test['number']}", "number": test["number"],
                                          "score": 1.0, "max_score": 1.0, "status": "passed", "output": "",
                                          "output_format": "text", "visibility": "after_published"}
        assert test["output"].startswith(f"✔ Exercise {test['number']} passed")
        assert test["output"].endswith("(graded from 01_meet_the_data.ipynb)")
    assert result["visibility"] == "after_published" and result["stdout_visibility"] == "hidden"
    assert result["output_format"] == "text" and result["test_output_format"] == "text"
    assert isinstance(result["execution_time"], int) and result["execution_time"] > 0
    lines = result["output"].splitlines()
    # first, the grader's own word on the sandbox (`mnist-course sandbox`), as the instructor sees it
    assert lines[0].startswith(("yes: ", "no: ")) and lines[0] in result["stdout"]
    assert lines[1] == "Graded 01_meet_the_data.ipynb as notebook 01: 4 of 4 passed."


def test_a_partial_submission_gets_the_checks_hints(results):
    tests = _tests(results["partial"])
    assert results["partial"]["score"] == 2
    assert [tests[e]["score"] for e in EXERCISES_01] == [1.0, 0.0, 1.0, 0.0]
    assert tests["1.2"]["status"] == "failed" and WRONG["1.2"][1] in tests["1.2"]["output"]
    assert tests["1.2"]["output"].startswith("✘ Exercise 1.2:")
    assert tests["1.4"]["output"].startswith("○ Exercise 1.4 is not attempted yet")
    assert all(t["output"].endswith("(graded from my notebook.ipynb)") for t in tests.values())


def test_a_file_that_cannot_be_graded_is_named_with_what_is_wrong(results):
    for name, says in (("broken", "01_meet_the_data.ipynb is not a valid Jupyter notebook"),
                       ("html", "01_meet_the_data.ipynb is an HTML page saved with the .ipynb extension"),
                       ("script", "s7_script.py is not a Jupyter notebook (.py): not graded")):
        result = results[name]
        assert result["score"] == 0 and result["tests"] == [], "no tests for a notebook that was not submitted"
        assert says in result["output"], result["output"]
        assert "No notebook 01 was graded" in result["output"] and "Submit 01_meet_the_data.ipynb" in result["output"]
        assert result["output_format"] == "text"
    assert "<!DOCTYPE" not in results["html"]["output"] and "<script>" not in results["html"]["output"]


def test_two_copies_and_a_notebook_of_another_assignment_are_said_plainly(results):
    two = results["two_copies"]
    assert two["score"] == len(EXERCISES_01), "the copy with the course's file name is graded"
    assert ("copy.ipynb is a second copy of notebook 01: not graded; only 01_meet_the_data.ipynb was"
            in two["output"])
    other = results["other_notebook"]
    assert other["score"] == 0 and other["tests"] == []
    assert "06_metrics.ipynb is course notebook 06, which is not part of this assignment" in other["output"]


def test_results_without_any_notebook():
    config = {"notebooks": {"01": {"file": "01_meet_the_data.ipynb", "exercises": ["1.1"]}}, "visibility": "visible"}
    result = results_json([], config, 1.2)
    assert result["score"] == 0 and result["tests"] == [] and "nothing was submitted" in result["output"]
    other = Report("x.ipynb", exercises=[ExerciseResult("2.1", "passed")])
    assert "x.ipynb is course notebook 02, which is not part of this assignment" in results_json([other], config, 1)["output"]


def test_the_readmes_cost_table_is_the_measured_one():
    """The README's tables of Gradescope settings (fast mode, then full mode) are
    grading_costs.json's (regenerate both together)."""
    import re

    from conftest import ROOT

    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("### Gradescope"):readme.index("## Benchmark")]
    marker = "Full mode (the instructor's grade"
    tables = {"fast": section[:section.index(marker)], "full": section[section.index(marker):]}
    costs = load_costs()["notebooks"]
    for mode, table in tables.items():
        rows = re.findall(r"^\| (\d\d) \| ([\d.]+) \| (\d+) MB \| (\d+) s \| (.+) \|$", table, re.M)
        assert [row[0] for row in rows] == sorted(number for number in costs if costs[number].get(mode)), mode
        for number, cpu, memory, wall, settings in rows:
            measured = costs[number][mode]
            assert (float(cpu), int(memory), int(wall)) == (measured["cpu_seconds"], measured["peak_memory_mb"],
                                                            round(measured["wall_seconds"])), (mode, number)
            assert str(settings_for(measured)) == settings, (mode, number)
