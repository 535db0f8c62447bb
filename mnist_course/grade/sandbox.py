"""Contain a graded kernel, and the judge, in an operating-system sandbox (bubblewrap).

Where `bubblewrap <https://github.com/containers/bubblewrap>`_ (``bwrap``, the sandbox Flatpak
uses; Debian's and Ubuntu's ``bubblewrap`` package) can make a sandbox, the grader starts each
student's kernel, and afterwards the judge, inside one of its own:

* the file system is read-only and shows only what is needed: the system's ``/usr`` and
  ``/etc``, the Python environment, and the run's own folder, which alone is writable (with
  the course's copy in it read-only); home, the class folder, ``solutions/``, other runs and
  the grader's own files are not there at all (``/tmp`` is an empty file system of its own);
* no network (``--unshare-net``: the kernel talks to the grader through Unix sockets in the
  run's folder, ZeroMQ's ``ipc`` transport);
* its own process namespace (``--unshare-pid``): no process of the submission sees or traces
  the grader, and killing the sandbox ends every process in it (``--die-with-parent``);
* its own IPC and host name, and no capabilities.

Where no sandbox can be made (no ``bwrap``, user namespaces turned off, not Linux), the
grader falls back to the containment it has without one and says so (see :func:`probe`).

``mnist-course sandbox`` (``python -m mnist_course sandbox``) prints one line saying whether graded kernels run in
a sandbox here and why not; it exits 0 when a sandbox can be made, 1 when not.

Example:
    >>> state = probe()
    >>> isinstance(state.available, bool) and bool(state.reason)
    True
    >>> command(["/usr/bin/true"], writable=["/tmp/run"])[:1]    # doctest: +SKIP
    ['/usr/bin/bwrap']
"""

from __future__ import annotations

import dataclasses
import functools
import os
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Iterable, Sequence
from pathlib import Path

#: ``--sandbox`` values: use one where it can be made, require one, never use one.
MODES = ("auto", "required", "off")
INSTALL_HINT = ("install bubblewrap (Debian/Ubuntu: `sudo apt-get install bubblewrap`; Fedora: "
                "`sudo dnf install bubblewrap`) on Linux with unprivileged user namespaces enabled")
#: The top-level folders of the system a Python program needs (others are never shown).
SYSTEM_FOLDERS = ("usr", "etc", "bin", "sbin", "lib", "lib32", "lib64", "libx32")
#: Secrets of the system that a sandbox never shows (files become empty, folders empty).
SECRET_FILES = ("/etc/shadow", "/etc/shadow-", "/etc/gshadow", "/etc/gshadow-", "/etc/sudoers")
SECRET_FOLDERS = ("/etc/ssh", "/etc/ssl/private", "/etc/sudoers.d")
_PROBE_TIMEOUT = 20


@dataclasses.dataclass(frozen=True)
class State:
    """Whether a sandbox can be made here (``available``), and the sentence that says so."""

    available: bool
    reason: str
    bwrap: str | None = None


def _bwrap() -> str | None:
    return shutil.which("bwrap") or next((p for p in ("/usr/bin/bwrap", "/usr/local/bin/bwrap")
                                          if os.access(p, os.X_OK)), None)


@functools.lru_cache(maxsize=1)
def probe() -> State:
    """Find out once whether a sandbox can be made here: ``bwrap`` runs ``true`` in one."""
    if not sys.platform.startswith("linux"):
        return State(False, f"graded kernels run without a sandbox: bubblewrap needs Linux, this is "
                            f"{sys.platform}. Grade untrusted submissions in a Linux container or VM.")
    bwrap = _bwrap()
    if bwrap is None:
        return State(False, f"graded kernels run without a sandbox: bubblewrap (bwrap) is not installed; "
                            f"{INSTALL_HINT}.")
    true = shutil.which("true") or "/usr/bin/true"
    try:
        finished = subprocess.run(command([true], bwrap=bwrap), capture_output=True, text=True,
                                  timeout=_PROBE_TIMEOUT, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError) as error:
        return State(False, f"graded kernels run without a sandbox: {bwrap} could not be run ({error}).")
    if finished.returncode != 0:
        said = " ".join(finished.stderr.strip().splitlines()[-2:]) or f"exit code {finished.returncode}"
        return State(False, f"graded kernels run without a sandbox: {bwrap} cannot make one here ({said}); "
                            f"user namespaces may be turned off (a container without them, or "
                            f"kernel.unprivileged_userns_clone=0).")
    return State(True, f"graded kernels and the judge run in a bubblewrap sandbox ({bwrap}): read-only "
                       f"files, no network, a process namespace of their own.", bwrap)


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def python_folders(extra: Iterable[str | os.PathLike] = ()) -> list[Path]:
    """The folders the Python environment needs: its prefixes and every existing ``sys.path``
    folder (``extra``: more interpreters, e.g. a kernelspec's), without a course checkout's
    root (which holds ``solutions/``)."""
    from mnist_course.grade.reference import PACKAGE_DIR

    checkout = PACKAGE_DIR.parent.resolve()
    found: list[Path] = []
    candidates = [sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
                  *(sysconfig.get_paths().get(k, "") for k in ("stdlib", "platstdlib", "purelib", "platlib")),
                  *sys.path]
    for executable in [sys.executable, *extra]:
        real = Path(os.path.realpath(executable))
        candidates += [str(real.parent.parent), str(Path(executable).absolute().parent.parent)]
    for entry in candidates:
        if not entry:
            continue
        path = Path(os.path.realpath(entry))
        if not path.is_dir() or path == Path("/") or path == checkout or (checkout / "solutions").is_dir() \
                and _inside(checkout, path):
            continue
        if path not in found:
            found.append(path)
    # A folder inside another one already shown adds nothing.
    return [p for p in found if not any(q != p and _inside(p, q) for q in found)]


def command(argv: Sequence[str], *, writable: Sequence[str | os.PathLike] = (),
            readable: Sequence[str | os.PathLike] = (), hidden: Sequence[str | os.PathLike] = (),
            cwd: str | os.PathLike | None = None, bwrap: str | None = None,
            python: Iterable[str | os.PathLike] = ()) -> list[str]:
    """``argv`` run in a sandbox: ``writable`` folders bound read-write, ``readable`` ones
    (inside them, or elsewhere) read-only afterwards, ``hidden`` ones covered by an empty
    folder, ``cwd`` its working directory. ``python``: more interpreters to show."""
    bwrap = bwrap or _bwrap() or "bwrap"
    args = [bwrap, "--die-with-parent", "--unshare-pid", "--unshare-net", "--unshare-ipc",
            "--unshare-uts", "--unshare-cgroup-try", "--hostname", "mnist-course-grade"]
    if os.geteuid() == 0:
        args += ["--cap-drop", "ALL"]
    for name in SYSTEM_FOLDERS:
        path = Path("/") / name
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            args += ["--ro-bind", str(path), str(path)]
    args += [arg for path in SECRET_FILES if os.path.lexists(path) for arg in ("--ro-bind", "/dev/null", path)]
    args += [arg for path in SECRET_FOLDERS if os.path.isdir(path) for arg in ("--tmpfs", path)]
    args += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--tmpfs", "/run",
             "--ro-bind-try", "/sys/devices/system/cpu", "/sys/devices/system/cpu"]
    for folder in python_folders(python):
        args += ["--ro-bind", str(folder), str(folder)]
    for folder in writable:
        args += ["--bind", str(folder), str(folder)]
    for folder in readable:
        args += ["--ro-bind", str(folder), str(folder)]
    shown = [Path(os.path.realpath(f)) for f in [*python_folders(python), *writable, *readable]]
    for folder in hidden:  # covered where it would be seen, never over what must be seen
        folder = Path(os.path.realpath(folder))
        if folder.is_dir() and any(_inside(folder, f) for f in shown) \
                and not any(_inside(f, folder) for f in shown):
            args += ["--tmpfs", str(folder)]
    # ipykernel quits when its parent is not the grader: inside, its parent is the sandbox's init.
    args += ["--unsetenv", "JPY_PARENT_PID"]
    if cwd is not None:
        args += ["--chdir", str(cwd)]
    return [*args, "--", *argv]


def resolve(mode: str) -> State:
    """The sandbox state for ``--sandbox mode``: ``off`` never uses one; ``required`` raises
    :class:`~mnist_course.grade.results.GradeError` (with what to install) when none can be
    made; ``auto`` uses one where it can."""
    from mnist_course.grade.results import GradeError

    if mode not in MODES:
        raise GradeError(f"--sandbox must be one of {', '.join(MODES)}, not {mode!r}.")
    if mode == "off":
        return State(False, "graded kernels run without a sandbox (--sandbox off).")
    state = probe()
    if mode == "required" and not state.available:
        raise GradeError(f"--sandbox required, but {state.reason.split(': ', 1)[-1]} To grade anyway "
                         f"without one, use --sandbox auto or off; to get one, {INSTALL_HINT}.")
    return state


def main(argv: Sequence[str] | None = None) -> int:
    """Print whether graded kernels run in a sandbox here; 0 if one can be made, else 1."""
    state = probe()
    print(("yes: " if state.available else "no: ") + state.reason)
    return 0 if state.available else 1

