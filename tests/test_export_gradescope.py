"""`mnist-course export gradescope`: the zip, and its run_autograder run on a folder laid out
like Gradescope's /autograder (AUTOGRADER_ROOT) with the course installed from the zip's
wheel, without solutions: a full, a partly wrong and a broken submission of notebook 01."""

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

from mnist_course.tools import cli
from mnist_course.export.gradescope import results_json
from mnist_course.grade import ExerciseResult, Report

from submissions import EXERCISES_01, WRONG, submission, write

SUBMISSIONS = {
    "full": lambda folder: write(submission(), folder / "01_meet_the_data.ipynb"),
    "partial": lambda folder: write(submission({"1.2": WRONG["1.2"][0]}, right=("1.1", "1.2", "1.3")),
                                    folder / "my notebook.ipynb"),
    "broken": lambda folder: (folder / "01_meet_the_data.ipynb").write_text('{"cells": [', encoding="utf-8"),
}


@pytest.fixture(scope="module")
def autograder(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("gradescope")
    target = folder / "autograder.zip"
    assert cli.main(["export", "gradescope", str(target), "--notebook", "01", "--fast",
                     "--visibility", "after_published"]) == 0
    return target


@pytest.fixture(scope="module")
def results(autograder, tmp_path_factory) -> dict[str, dict]:
    """results.json of each submission; the three autograders run at once."""
    site = tmp_path_factory.mktemp("site")
    with zipfile.ZipFile(autograder) as archive:
        wheel = next(n for n in archive.namelist() if n.endswith(".whl"))
        archive.extract(wheel, site)
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target",
                    str(site / "lib"), str(site / wheel)], check=True)
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
                       "PYTHONPATH": str(site / "lib")}  # the installed course only: no solutions/
        running[name] = (root, subprocess.Popen([str(root / "run_autograder")], cwd="/", env=environment,
                                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
    found = {}
    for name, (root, process) in running.items():
        output, _ = process.communicate(timeout=600)
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
        wheel = next(n for n in names if n.endswith(".whl"))
        with archive.open(wheel) as handle, zipfile.ZipFile(handle) as inner:
            inside = inner.namelist()
    assert {"setup.sh", "run_autograder", "autograder.json"} <= names
    assert all(modes[n] & stat.S_IXUSR for n in ("setup.sh", "run_autograder"))
    assert "pip install" in setup and ".whl" in setup and "AUTOGRADER_ROOT" in setup
    assert "-m mnist_course.data" in setup  # MNIST is fetched once, when the image is built
    assert not any("solutions" in n for n in inside)
    assert config["notebooks"] == {"01": {"file": "01_meet_the_data.ipynb", "exercises": list(EXERCISES_01)}}
    assert config["fast"] is True and config["visibility"] == "after_published"


def test_setup_sh_is_valid_bash(autograder, tmp_path):
    with zipfile.ZipFile(autograder) as archive:
        archive.extract("setup.sh", tmp_path)
    assert subprocess.run(["bash", "-n", str(tmp_path / "setup.sh")]).returncode == 0


def _tests(result: dict) -> dict[str, dict]:
    return {test["number"]: test for test in result["tests"]}


def test_a_full_submission_scores_every_point(results):
    result = results["full"]
    assert result["score"] == len(EXERCISES_01)
    assert [t["number"] for t in result["tests"]] == list(EXERCISES_01)
    for test in result["tests"]:
        assert test | {"output": ""} == {"name": f"Exercise {test['number']}", "number": test["number"],
                                          "score": 1.0, "max_score": 1.0, "status": "passed", "output": "",
                                          "visibility": "after_published"}
    assert result["visibility"] == "after_published" and result["stdout_visibility"] == "hidden"
    assert isinstance(result["execution_time"], int) and result["execution_time"] > 0


def test_a_partial_submission_gets_the_checks_hints(results):
    tests = _tests(results["partial"])
    assert results["partial"]["score"] == 2
    assert [tests[e]["score"] for e in EXERCISES_01] == [1.0, 0.0, 1.0, 0.0]
    assert tests["1.2"]["status"] == "failed" and WRONG["1.2"][1] in tests["1.2"]["output"]
    assert "Failed." in tests["1.2"]["output"]
    assert tests["1.4"]["output"].startswith("Not attempted.")
    assert all(t["max_score"] == 1.0 for t in tests.values())


def test_a_broken_submission_scores_zero_and_says_why(results):
    result = results["broken"]
    assert result["score"] == 0 and len(result["tests"]) == len(EXERCISES_01)
    assert all(t["score"] == 0 and t["max_score"] == 1.0 for t in result["tests"])
    assert "not a valid Jupyter notebook" in result["output"]
    assert "could not be graded" in result["tests"][0]["output"]


def test_results_without_any_notebook():
    config = {"notebooks": {"01": {"file": "01_meet_the_data.ipynb", "exercises": ["1.1"]}}, "visibility": "visible"}
    result = results_json([], config, 1.2)
    assert result["score"] == 0 and "no notebook of it was submitted" in result["output"]
    other = Report("x.ipynb", exercises=[ExerciseResult("2.1", "passed")])
    assert "not part of this assignment" in results_json([other], config, 1)["output"]
