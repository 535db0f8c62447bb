"""An installable course: the wheel holds the student notebooks and no solutions,
`mnist-course notebooks` copies them out without overwriting anything and registers the
notebooks' kernel for its Python, the README's pip route works end to end in a fresh virtual
environment, the Python versions the README states are pyproject's, and `make data` prints no
warning.

No test here touches your own Jupyter kernels: every test sees a Jupyter data folder of its
own (JUPYTER_DATA_DIR), where kernels are registered."""

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
from mnist_course.tools.install import KERNEL_NAME, copy_notebooks, kernel_status, notebook_files

from submissions import submission


@pytest.fixture(autouse=True)
def own_jupyter_data(tmp_path_factory, monkeypatch) -> Path:
    """A Jupyter data folder of this test's own: kernels registered here, not in yours."""
    folder = tmp_path_factory.mktemp("jupyter-data")
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(folder))
    monkeypatch.delenv("JUPYTER_PATH", raising=False)
    return folder


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
    replace = [q for q in questions if "Replace it" in q]
    assert mine.read_text() == "mine" and len(replace) == 1 and "01_meet_the_data" in replace[0]
    assert "Register it for this Python" in questions[-1], "and it offers to register the kernel"
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


def test_notebooks_command_registers_the_kernel_for_its_python(tmp_path, own_jupyter_data, capsys, monkeypatch):
    from mnist_course.tools import cli

    assert not kernel_status().registered
    assert cli.main(["notebooks", str(tmp_path / "a"), "--no-kernel"]) == 0
    out = capsys.readouterr().out
    assert "Not registered" in out and "NoSuchKernel" in out and "ipykernel install --user --name mnist-course" in out
    assert not kernel_status().registered
    assert cli.main(["notebooks", str(tmp_path / "a")]) == 0  # not a terminal: registered without asking
    status = kernel_status()
    assert status.for_this_python and Path(status.folder).parent.parent == own_jupyter_data
    assert f"Registered the Jupyter kernel \"Python (mnist-course)\" (mnist-course) for this Python ({sys.executable})" \
        in capsys.readouterr().out
    assert cli.main(["notebooks", str(tmp_path / "a")]) == 0
    assert "is registered for this Python" in capsys.readouterr().out
    # registered for another Python: in a terminal, the student is asked and may say no
    spec = Path(status.folder) / "kernel.json"
    spec.write_text(spec.read_text().replace(json_string(sys.executable), json_string("/elsewhere/bin/python")))
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True, raising=False)
    questions = []
    monkeypatch.setattr("builtins.input", lambda question: questions.append(question) or "n")
    assert cli.main(["notebooks", str(tmp_path / "a")]) == 0
    assert len(questions) == 1 and "/elsewhere/bin/python" in questions[0]
    assert kernel_status().python == "/elsewhere/bin/python"
    monkeypatch.setattr("builtins.input", lambda question: "")  # Enter: yes
    assert cli.main(["notebooks", str(tmp_path / "a")]) == 0
    assert kernel_status().for_this_python


def json_string(text: str) -> str:
    import json

    return json.dumps(text)


def test_the_readmes_pip_route_in_a_fresh_virtual_environment(wheel, tmp_path, own_jupyter_data):
    """pip install the wheel into a new venv, `mnist-course notebooks`, open notebook 01 in the
    kernel it names and run a check cell. The venv gets the course's dependencies from this
    environment (a .pth file, like --system-site-packages), so nothing is downloaded; the
    course itself comes only from the wheel."""
    import site

    venv = tmp_path / "mnist-env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    own_site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                              capture_output=True, text=True, check=True).stdout.strip()
    dependencies = [p for p in site.getsitepackages() if Path(p).is_dir()]
    (Path(own_site) / "course_dependencies.pth").write_text("\n".join(dependencies) + "\n")
    environment = {**os.environ, "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}"}
    environment.pop("PYTHONPATH", None)
    environment.pop("VIRTUAL_ENV", None)

    def run(*command: str, **options):
        result = subprocess.run(command, cwd=tmp_path, env=environment, capture_output=True, text=True,
                                timeout=600, **options)
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
        return result

    run(sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps", "--no-index",
        str(wheel))
    copied = run(str(venv / "bin" / "mnist-course"), "notebooks", stdin=subprocess.DEVNULL)
    print(copied.stdout)  # the transcript
    assert f"Registered the Jupyter kernel \"Python (mnist-course)\" (mnist-course) for this Python ({python})" \
        in copied.stdout
    assert "jupyter lab mnist-course-notebooks" in copied.stdout
    folder = tmp_path / "mnist-course-notebooks"
    assert (folder / "01_meet_the_data.ipynb").is_file()
    answered = submission()
    answer = next(c.source for c in answered.cells
                  if c.cell_type == "code" and "exercise:1.1" in c.metadata.get("tags", []))
    script = f"""
import sys, nbformat, nbclient, mnist_course
from pathlib import Path
assert Path(mnist_course.__file__).is_relative_to(Path(sys.prefix)), mnist_course.__file__
notebook = nbformat.read({str(folder / "01_meet_the_data.ipynb")!r}, as_version=4)
def tagged(cells, tag):
    return next(i for i, c in enumerate(cells) if c.cell_type == "code" and tag in c.metadata.get("tags", []))
first = next(c for c in notebook.cells if c.cell_type == "code")
exercise = notebook.cells[tagged(notebook.cells, "exercise:1.1")]
exercise.source = {answer!r}
where = nbformat.v4.new_code_cell("import sys, mnist_course; print(sys.executable, mnist_course.__file__)")
notebook.cells = [first, where, exercise, notebook.cells[tagged(notebook.cells, "check:1.1")]]
name = notebook.metadata.kernelspec.name
print("kernel", name)
nbclient.NotebookClient(notebook, kernel_name=name, timeout=600, startup_timeout=300).execute()
for cell in notebook.cells[1:]:
    for output in cell.outputs:
        print(output.get("text", output.get("ename", "")))
"""
    ran = run(str(python), "-c", script)
    print(ran.stdout)
    assert f"kernel {KERNEL_NAME}" in ran.stdout
    assert f"{python} {venv}" in ran.stdout, "the kernel is the new environment's Python, with the wheel's course"
    assert "✔ Exercise 1.1 passed" in ran.stdout
