"""Nothing overwritten: where the grader may write its reports and feedback copies.

Every output path is checked before any grading starts (:func:`check_outputs`) and refused,
with :class:`GradeError` (exit code 2), when it is one of the notebooks being graded, lies
inside the folder of submissions, is named twice, or already exists: the grader never
overwrites a file it did not create in this run. Files are then created with
:func:`create_text`, which refuses to replace anything, even a file that appeared meanwhile.

Example:
    >>> try:
    ...     check_outputs([Path("a.ipynb")], None, [Path("a.ipynb")])
    ... except GradeError as error:
    ...     print(str(error)[:34])
    a.ipynb is a notebook being graded
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from mnist_course.grade.results import GradeError


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def check_outputs(inputs: list[Path], submissions: Path | None, files: list[Path],
                  folders: list[Path] = ()) -> None:
    """Refuse output ``files`` (and files to be made in ``folders``) that would overwrite
    an input, land inside the ``submissions`` folder, or replace an existing file."""
    resolved_inputs = {p.resolve() for p in inputs}
    seen: set[Path] = set()
    for path in [*files, *folders]:
        target = path.resolve()
        if target in resolved_inputs:
            raise GradeError(f"{path} is a notebook being graded: the grader never writes over a "
                             f"submission. Choose another output path.")
        if submissions is not None and _inside(target, submissions.resolve()):
            raise GradeError(f"{path} lies inside the folder of submissions {submissions}: the grader "
                             f"writes nothing there. Choose a path outside it.")
        if target in seen:
            raise GradeError(f"{path} is named for two outputs; give each its own path.")
        seen.add(target)
    for path in files:
        if path.exists() or path.is_symlink():
            raise GradeError(f"{path} already exists and this run did not create it: the grader does "
                             f"not overwrite files. Delete it or choose another path.")
    for folder in folders:
        if folder.exists() and not folder.is_dir():
            raise GradeError(f"{folder} is a file, not a folder for the executed copies.")


def create_text(path: Path, text: str) -> None:
    """Write ``text`` to a new file ``path``; raise :class:`GradeError` if anything is there.

    The text goes to a temporary file beside ``path`` first, which is then linked in place
    (a link is never made over an existing file): ``path`` appears whole or not at all.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() or path.is_symlink():
        raise GradeError(f"{path} already exists and this run did not create it: not overwritten.")
    handle = tempfile.NamedTemporaryFile("w", encoding="utf-8", newline="", dir=path.parent,
                                         prefix=f".{path.name}.", suffix=".tmp", delete=False)
    try:
        with handle:
            handle.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(handle.name, 0o666 & ~umask)  # as open() would have made it, not private
        try:
            os.link(handle.name, path)
        except FileExistsError:
            raise GradeError(f"{path} already exists and this run did not create it: not overwritten.") from None
        except OSError:  # a file system without hard links: renamed, after one more look
            if path.exists() or path.is_symlink():
                raise GradeError(f"{path} already exists and this run did not create it: not overwritten.") from None
            os.replace(handle.name, path)
    finally:
        if os.path.exists(handle.name):
            os.unlink(handle.name)


def same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return a.resolve() == b.resolve()
