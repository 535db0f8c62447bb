"""The student notebooks that ship inside the package (``mnist-course notebooks [DIR]``).

A wheel of the course holds the student notebooks (never the solutions) in
``mnist_course/_notebooks/``: ``setup.py`` copies them there from ``notebooks/`` when it
builds. In a checkout (or an editable install) they are read from ``notebooks/`` directly.

:func:`copy_notebooks` copies them out for a student who installed the course with pip.
A file that already exists is never replaced without asking: it is kept (and reported), or
replaced after a "yes" (interactive) or with ``force=True``, and even then its old version
is first copied to ``DIR/backup/``.

Example:
    $ pip install mnist-course
    $ mnist-course notebooks            # writes ./mnist-course-notebooks/01_meet_the_data.ipynb, ...
    $ jupyter lab mnist-course-notebooks
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from importlib import resources
from pathlib import Path

from mnist_course.tools.student import _backup

#: Where ``mnist-course notebooks`` writes when no folder is given.
DEFAULT_FOLDER = "mnist-course-notebooks"
PACKAGED = "_notebooks"  # folder inside the package, filled at build time
CHECKOUT_NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


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
