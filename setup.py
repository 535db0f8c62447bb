"""Build step of the wheel: the student notebooks go inside the package (see pyproject.toml).

``notebooks/`` (generated from ``solutions/`` by ``make student``) is the one source; it is
copied to ``mnist_course/_notebooks/`` in the build, never into the source tree, and
``solutions/`` never is. ``mnist_course.tools.install`` reads them there.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


class BuildWithNotebooks(build_py):
    """build_py that also copies notebooks/*.ipynb into the built package."""

    def run(self):
        super().run()
        sources = sorted((ROOT / "notebooks").glob("*.ipynb"))
        if not sources:
            raise SystemExit("notebooks/ holds no student notebooks: run `make student` before building.")
        target = Path(self.build_lib) / "mnist_course" / "_notebooks"
        target.mkdir(parents=True, exist_ok=True)
        for source in sources:
            shutil.copyfile(source, target / source.name)


setup(cmdclass={"build_py": BuildWithNotebooks})
