"""The student notebooks that ship inside the package (``mnist-course notebooks [DIR]``).

A wheel of the course holds the student notebooks (never the solutions) in
``mnist_course/_notebooks/``: ``setup.py`` copies them there from ``notebooks/`` when it
builds. In a checkout (or an editable install) they are read from ``notebooks/`` directly.

:func:`copy_notebooks` copies them out for a student who installed the course with pip.
A file that already exists is never replaced without asking: it is kept (and reported), or
replaced after a "yes" (interactive) or with ``force=True``, and even then its old version
is first copied to ``DIR/backup/``.

The notebooks name the Jupyter kernel ``mnist-course``. :func:`register_kernel` registers it
for the Python this runs in (with ipykernel's own installer, as ``make setup`` does), and
:func:`kernel_status` says whether it is registered and for which Python: a student who
installed the course with pip gets it from ``mnist-course notebooks``.

Example:
    $ pip install mnist-course
    $ mnist-course notebooks            # writes ./mnist-course-notebooks/01_meet_the_data.ipynb, ...
    $ jupyter lab mnist-course-notebooks
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from importlib import resources
from pathlib import Path

import sys

from mnist_course.tools.student import _backup

#: Where ``mnist-course notebooks`` writes when no folder is given.
DEFAULT_FOLDER = "mnist-course-notebooks"
PACKAGED = "_notebooks"  # folder inside the package, filled at build time
CHECKOUT_NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
#: The Jupyter kernel the notebooks name in their metadata, and its display name.
KERNEL_NAME, KERNEL_DISPLAY_NAME = "mnist-course", "Python (mnist-course)"


@dataclasses.dataclass
class KernelStatus:
    """Whether the kernel ``name`` is registered, where, and for which Python."""

    name: str
    folder: str | None = None   # its kernelspec folder; None when not registered
    python: str | None = None   # the interpreter it starts (argv[0])

    @property
    def registered(self) -> bool:
        return self.folder is not None

    @property
    def for_this_python(self) -> bool:
        """True when it starts the interpreter this code runs in."""
        return self.python is not None and _same_file(self.python, sys.executable)


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b) and Path(a).absolute().parent == Path(b).absolute().parent
    except OSError:
        return False


def kernel_status(name: str = KERNEL_NAME) -> KernelStatus:
    """Where Jupyter finds the kernel ``name`` (as ``jupyter kernelspec list`` would) and the
    Python it starts.

    Example:
        >>> kernel_status("no-such-kernel").registered
        False
    """
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        spec = KernelSpecManager().get_kernel_spec(name)
    except NoSuchKernel:
        return KernelStatus(name)
    return KernelStatus(name, spec.resource_dir, spec.argv[0] if spec.argv else None)


def register_kernel(name: str = KERNEL_NAME, display_name: str = KERNEL_DISPLAY_NAME) -> Path:
    """Register the Jupyter kernel ``name`` for this Python, for the current user (ipykernel's
    ``install --user``, as ``make setup`` does); returns its kernelspec folder.

    Example:
        >>> register_kernel()     # doctest: +SKIP
        PosixPath('/home/ada/.local/share/jupyter/kernels/mnist-course')
    """
    from ipykernel.kernelspec import install

    return Path(install(user=True, kernel_name=name, display_name=display_name))


def notebook_files() -> list:
    """The student notebooks of this installation, in course order (files you can read).

    Example:
        >>> [f.name for f in notebook_files()][0]
        '01_meet_the_data.ipynb'
    """
    packaged = resources.files("mnist_course") / PACKAGED
    folder = packaged if packaged.is_dir() else CHECKOUT_NOTEBOOKS
    files = sorted((f for f in folder.iterdir() if f.name.endswith(".ipynb")), key=lambda f: f.name)
    if not files:
        raise FileNotFoundError(
            "this installation of mnist-course holds no student notebooks. Fix: reinstall it "
            "(pip install --force-reinstall mnist-course), or use a checkout of the course.")
    return files


@dataclasses.dataclass
class CopyResult:
    written: list[Path] = dataclasses.field(default_factory=list)
    unchanged: list[Path] = dataclasses.field(default_factory=list)
    kept: list[Path] = dataclasses.field(default_factory=list)
    backups: list[Path] = dataclasses.field(default_factory=list)


def copy_notebooks(target: str | Path = DEFAULT_FOLDER, *, force: bool = False,
                   ask: Callable[[Path], bool] | None = None) -> CopyResult:
    """Copy the student notebooks into ``target``.

    A file that exists with other content is kept unless ``force`` or ``ask(path)`` says yes;
    a replaced file is first backed up to ``target/backup/``. Identical files are left alone.
    """
    target = Path(target)
    if target.exists() and not target.is_dir():
        raise NotADirectoryError(f"{target} is a file, not a folder. Fix: name a folder to copy the notebooks into.")
    target.mkdir(parents=True, exist_ok=True)
    result = CopyResult()
    for source in notebook_files():
        content = source.read_bytes()
        path = target / source.name
        if path.exists():
            if path.read_bytes() == content:
                result.unchanged.append(path)
                continue
            if not (force or (ask is not None and ask(path))):
                result.kept.append(path)
                continue
            result.backups.append(_backup(path))
        path.write_bytes(content)
        result.written.append(path)
    return result
