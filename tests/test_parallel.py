"""`mnist-course grade DIR --jobs N`: children with the cores split between them, rows in the
order of the files whatever order they finish in, a progress bar with the time left, and
`--stats` from the same run."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT
from mnist_course.grade import parallel
from mnist_course.grade import Report

from submissions import class_folder

#: What class_folder's first two submissions get, exercise by exercise.
EXPECTED = {
    "student01.ipynb": ["passed"] * 4,
    "student02.ipynb": ["passed", "failed", "passed", "passed"],
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("class")
    class_folder(folder / "submissions", count=2)
    (folder / "submissions" / "zz_not_a_notebook.ipynb").write_text("{", encoding="utf-8")
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "mnist_course", "grade", str(folder / "submissions"), "--fast", "--jobs", "2",
         "--csv", str(folder / "grades.csv"), "--json", str(folder / "grades.json"),
         "--stats", str(folder / "stats.md"), "--executed", str(folder / "feedback")],
        cwd=ROOT, capture_output=True, text=True, timeout=900)
    return folder, result, time.monotonic() - started


def test_rows_come_in_the_order_of_the_files(graded):
    folder, result, _ = graded
    assert result.returncode == 1, result.stderr[-2000:]  # not everything passed
    with (folder / "grades.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert [row["submission"] for row in rows] == [*EXPECTED, "zz_not_a_notebook.ipynb"]
    for row in rows[:-1]:
        assert [row[e] for e in ("1.1", "1.2", "1.3", "1.4")] == EXPECTED[row["submission"]]
    assert "not a valid Jupyter notebook" in rows[-1]["error"]
    reports = json.loads((folder / "grades.json").read_text())["submissions"]
    assert [Path(r["notebook"]).name for r in reports] == [row["submission"] for row in rows]
    assert sorted(p.name for p in (folder / "feedback").glob("*.ipynb")) == [
        name.replace(".ipynb", ".executed.ipynb") for name in EXPECTED]


def test_the_table_and_the_progress_bar(graded):
    _, result, _ = graded
    assert result.stdout.count("course notebook") == 2
    assert "3 notebooks: 1 with every exercise passed, 1 with something to fix, 1 not graded." in result.stdout
    progress = [line for line in result.stderr.splitlines() if line.startswith("[")]
    assert progress[0].startswith("[------------------------] 0/3 graded") and "2 at a time" in progress[0]
    assert progress[-1].startswith("[########################] 3/3 graded") and "0:00 left" in progress[-1]
    assert all("left" in line and "elapsed" in line for line in progress)


def test_stats_from_the_same_run(graded):
    folder, _, _ = graded
    page = (folder / "stats.md").read_text()
    assert "3 submissions, 2 graded, 1 not graded" in page
    assert "| 1.2 | 50% (1) | 50% (1) | 0% (0) | 0% (0) |" in page
    assert "- 1 × Exercise 1.2: these are the counts of the test set." in page
    assert (folder / "stats.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_threads_are_split_between_the_jobs(monkeypatch):
    monkeypatch.setattr(parallel, "cores", lambda: 8)
    assert [parallel.threads_per_job(j) for j in (1, 2, 3, 8, 16)] == [8, 4, 2, 1, 1]
    environment = parallel.child_environment(4)
    assert all(environment[name] == "2" for name in parallel.THREAD_VARIABLES)


def test_a_child_that_crashes_or_hangs_gets_a_row(monkeypatch, tmp_path):
    calls = []

    def fake_run(command, **kwargs):
        calls.append(kwargs["env"]["TF_NUM_INTRAOP_THREADS"])
        if "crash.ipynb" in command[4]:
            time.sleep(0.5)  # the first file finishes last: its row stays first
        if "hang.ipynb" in command[4]:
            raise subprocess.TimeoutExpired(command, kwargs["timeout"])
        return subprocess.CompletedProcess(command, 1, "", "Traceback ...\nMemoryError")

    monkeypatch.setattr(parallel.subprocess, "run", fake_run)
    reports = parallel.grade_parallel([tmp_path / "crash.ipynb", tmp_path / "hang.ipynb"], jobs=2,
                                      limit=5, progress=False)
    assert [Path(r.notebook).name for r in reports] == ["crash.ipynb", "hang.ipynb"]
    assert "crashed" in reports[0].error and "MemoryError" in reports[0].error
    assert "did not finish within 5 s" in reports[1].error
    assert calls == [str(parallel.threads_per_job(2))] * 2
    with pytest.raises(ValueError):
        parallel.grade_parallel([], jobs=0)


def test_progress_estimates_the_time_left(monkeypatch):
    clock = iter([100.0, 110.0, 120.0])
    monkeypatch.setattr(parallel.time, "monotonic", lambda: next(clock))
    stream = io.StringIO()
    bar = parallel.Progress(4, stream, width=8)  # started at 100 s
    bar.advance("a.ipynb")  # 10 s for one: 30 s for the other three
    assert stream.getvalue() == "[##------] 1/4 graded, 0:10 elapsed, 0:30 left  a.ipynb\n"
    bar.advance()
    assert stream.getvalue().splitlines()[-1] == "[####----] 2/4 graded, 0:20 elapsed, 0:20 left"


def test_jobs_must_be_positive(capsys):
    from mnist_course.tools import cli

    assert cli.main(["grade", str(ROOT / "notebooks"), "--jobs", "0"]) == 2
    assert "--jobs" in capsys.readouterr().err


def test_report_json_round_trip():
    from mnist_course.grade import ExerciseResult
    from mnist_course.grade.results import report_from_dict

    report = Report("a.ipynb", course_notebook="01", exercises=[ExerciseResult("1.1", "failed", "why")])
    again = report_from_dict(json.loads(json.dumps(report.to_dict())))
    assert again.to_dict() == report.to_dict()
