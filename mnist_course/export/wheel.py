"""Build the course's wheel from a checkout, from a clean copy of what goes into it.

Example:
    >>> build_wheel(Path("/tmp/wheels"))     # doctest: +SKIP
    PosixPath('/tmp/wheels/mnist_course-0.1.0-py3-none-any.whl')
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[2]
#: What a build needs; solutions/ is not among them.
BUILD_INPUTS = ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "mnist_course", "notebooks")


class BuildError(RuntimeError):
    """The wheel could not be built; the message says why."""


def build_wheel(target: Path, checkout: Path = CHECKOUT) -> Path:
    """Build the wheel of ``checkout`` into ``target`` and return its path.

    The build runs on a fresh copy of :data:`BUILD_INPUTS` (no stale ``build/``, no
    solutions), with ``pip wheel --no-deps``.
    """
    missing = [name for name in BUILD_INPUTS if not (checkout / name).exists()]
    if missing:
        raise BuildError(f"{checkout} is not a checkout of the course (no {', '.join(missing)}); "
                         f"the wheel is built from one.")
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="mnist-course-build-") as scratch:
        source = Path(scratch) / "mnist-course"
        source.mkdir()
        ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints", "backup")
        for name in BUILD_INPUTS:
            path = checkout / name
            if path.is_dir():
                shutil.copytree(path, source / name, ignore=ignore)
            else:
                shutil.copy2(path, source / name)
        built = Path(scratch) / "wheel"
        result = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet",
                                 str(source), "-w", str(built)], capture_output=True, text=True)
        wheels = sorted(built.glob("mnist_course-*.whl"))
        if result.returncode != 0 or not wheels:
            raise BuildError(f"pip wheel failed: {result.stderr.strip()[-1000:]}")
        final = target / wheels[0].name
        shutil.copy2(wheels[0], final)
    return final
