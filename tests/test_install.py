"""An installable course: the wheel holds the student notebooks and no solutions,
`mnist-course notebooks` copies them out without overwriting anything, the Python versions
the README states are pyproject's, and `make data` prints no warning."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from conftest import NOTEBOOKS, ROOT, SOLUTIONS
from mnist_course.export.wheel import build_wheel
from mnist_course.tools.install import copy_notebooks, notebook_files


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    return build_wheel(tmp_path_factory.mktemp("wheel"))


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    """The wheel installed (without dependencies: the environment has them) into a folder of its own."""
    target = tmp_path_factory.mktemp("site")
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target),
                    str(wheel)], check=True)
    return target


def test_the_wheel_holds_exactly_the_student_notebooks_and_no_solutions(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        packaged = {Path(n).name: archive.read(n) for n in names if n.endswith(".ipynb")}
        texts = [archive.read(n).decode("utf-8", "replace") for n in names if not n.endswith((".png", ".whl"))]
    assert all(n.startswith("mnist_course/_notebooks/") for n in names if n.endswith(".ipynb"))
    assert packaged == {p.name: p.read_bytes() for p in NOTEBOOKS.glob("*.ipynb")}
    assert not any(n.startswith("solutions/") or "/solutions/" in n for n in names)
    # the answers of the solution notebooks are nowhere in the wheel
    assert not any(b"### BEGIN SOLUTION" in content for content in packaged.values())
    answer = "the starting weights are small"  # the written answer of exercise 2.5, in solutions/ only
    assert answer in (SOLUTIONS / "02_logistic_regression.ipynb").read_text()
    assert not any(answer in text for text in texts)


def run_installed(installed: Path, cwd: Path, *args: str, stdin: str | None = None):
    environment = {**os.environ, "PYTHONPATH": str(installed)}
    return subprocess.run([sys.executable, "-m", "mnist_course", *args], cwd=cwd, env=environment,
                          capture_output=True, text=True, input=stdin, timeout=120)


def test_notebooks_command_of_an_installed_wheel_copies_the_packaged_notebooks(installed, tmp_path):
    result = run_installed(installed, tmp_path, "notebooks")
    assert result.returncode == 0, result.stderr
    folder = tmp_path / "mnist-course-notebooks"
    assert sorted(p.name for p in folder.glob("*.ipynb")) == sorted(p.name for p in NOTEBOOKS.glob("*.ipynb"))
    assert all((folder / p.name).read_bytes() == p.read_bytes() for p in NOTEBOOKS.glob("*.ipynb"))
    assert "jupyter lab mnist-course-notebooks" in result.stdout
    # they came from the installed package, not from a checkout
    assert f"from {installed / 'mnist_course' / '_notebooks'}" in result.stdout


def test_notebooks_command_never_overwrites_work_without_asking(tmp_path, capsys):
    from mnist_course.tools import cli

    folder = tmp_path / "course"
    folder.mkdir()
    mine = folder / "01_meet_the_data.ipynb"
    mine.write_text("my work", encoding="utf-8")
    assert cli.main(["notebooks", str(folder)]) == 0  # stdin is not a terminal under pytest: no prompt
    assert mine.read_text() == "my work"
    assert re.search(r"kept \S*01_meet_the_data\.ipynb", capsys.readouterr().out)
    assert (folder / "02_logistic_regression.ipynb").exists()
    assert cli.main(["notebooks", str(folder)]) == 0
    assert "unchanged" in capsys.readouterr().out and mine.read_text() == "my work"
    assert cli.main(["notebooks", str(folder), "--force"]) == 0
    assert mine.read_bytes() == (NOTEBOOKS / mine.name).read_bytes()
    backups = list((folder / "backup").glob("01_meet_the_data.*.ipynb"))
    assert len(backups) == 1 and backups[0].read_text() == "my work"
    assert "kept your old version at" in capsys.readouterr().out


def test_copy_notebooks_asks_before_replacing(tmp_path):
    (tmp_path / "03_mlp.ipynb").write_text("mine", encoding="utf-8")
    asked = []
    result = copy_notebooks(tmp_path, ask=lambda path: asked.append(path.name) or False)
    assert asked == ["03_mlp.ipynb"] and result.kept == [tmp_path / "03_mlp.ipynb"]
    assert (tmp_path / "03_mlp.ipynb").read_text() == "mine"
    result = copy_notebooks(tmp_path, ask=lambda path: True)
    assert result.written == [tmp_path / "03_mlp.ipynb"] and len(result.backups) == 1
    assert [f.name for f in notebook_files()] == sorted(p.name for p in NOTEBOOKS.glob("*.ipynb"))


def test_notebooks_command_asks_in_a_terminal(tmp_path, monkeypatch, capsys):
    from mnist_course.tools import cli

    mine = tmp_path / "01_meet_the_data.ipynb"
    mine.write_text("mine", encoding="utf-8")
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True, raising=False)
    questions = []
    monkeypatch.setattr("builtins.input", lambda question: questions.append(question) or "n")
    assert cli.main(["notebooks", str(tmp_path)]) == 0
    assert mine.read_text() == "mine" and "Replace it" in questions[0] and len(questions) == 1
    monkeypatch.setattr("builtins.input", lambda question: "y")
    assert cli.main(["notebooks", str(tmp_path)]) == 0
    assert mine.read_bytes() == (NOTEBOOKS / mine.name).read_bytes()
    assert [p.read_text() for p in (tmp_path / "backup").iterdir()] == ["mine"]


def test_notebooks_command_refuses_a_file_as_folder(tmp_path):
    from mnist_course.tools import cli

    (tmp_path / "file").write_text("x")
    assert cli.main(["notebooks", str(tmp_path / "file")]) == 2


def test_readme_states_the_python_versions_of_pyproject():
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert requires == ">=3.11,<3.14"
    low, high = re.fullmatch(r">=3\.(\d+),<3\.(\d+)", requires).groups()
    readme = (ROOT / "README.md").read_text()
    stated = re.search(r"Python (3\.\d+)[-–](3\.\d+)", readme)
    assert stated, "the README does not say which Python versions work (Python 3.X-3.Y)"
    assert stated.groups() == (f"3.{low}", f"3.{int(high) - 1}")
    classifiers = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"].get("classifiers", [])
    listed = sorted(c.rsplit(" ", 1)[-1] for c in classifiers if re.fullmatch(r".*Python :: 3\.\d+", c))
    assert listed == [f"3.{minor}" for minor in range(int(low), int(high))]


def test_readme_tells_a_pip_only_student_how_to_start():
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Install with pip"):]
    section = section[:section.index("\n## ", 3)]
    for command in ("pip install", "mnist-course notebooks", "jupyter lab mnist-course-notebooks"):
        assert command in section


def test_make_data_prints_no_warning():
    result = subprocess.run([sys.executable, "-W", "default", "-m", "mnist_course.data"], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "Warning" not in result.stderr, result.stderr
    assert "MNIST:" in result.stdout
