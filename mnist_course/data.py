"""Loading MNIST and Fashion-MNIST, offline first, with errors that say what to do.

Every notebook loads its data through :func:`course_data` (called by
:func:`mnist_course.setup_notebook`); notebook 07 also uses :func:`load_fashion_mnist`.

Where :func:`load_mnist` looks, in order:

1. the ``path`` argument;
2. the file named by the environment variable ``MNIST_COURSE_DATA``;
3. Keras's cache, ``~/.keras/datasets/mnist.npz`` (or under ``$KERAS_HOME``);
4. a download through ``keras.datasets.mnist.load_data()``, which fills that cache.

Whatever it loads is verified (keys, shapes, dtypes, labels 0..9) and any problem raises
:class:`DataError`, whose message names the file, what is wrong and how to fix it. No
file is ever deleted or overwritten here.

Example:
    >>> (x_train, y_train), (x_test, y_test) = load_mnist()   # doctest: +SKIP
    >>> x_train.shape, x_train.dtype
    ((60000, 28, 28), dtype('uint8'))
"""

from __future__ import annotations

import functools
import gzip
import os
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mnist_course import mode

#: Environment variable naming an ``mnist.npz`` to load instead of Keras's cache.
DATA_VARIABLE = "MNIST_COURSE_DATA"
#: Environment variable naming Fashion-MNIST: a directory of IDX ``.gz`` files or an ``.npz``.
FASHION_DATA_VARIABLE = "MNIST_COURSE_FASHION_DATA"
#: Where Debian's ``dataset-fashion-mnist`` package installs the IDX files.
DEBIAN_FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")

#: Names of the ten Fashion-MNIST classes, by label.
FASHION_CLASS_NAMES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)

NPZ_KEYS = ("x_train", "y_train", "x_test", "y_test")
IDX_FILES = {
    "x_train": "train-images-idx3-ubyte.gz",
    "y_train": "train-labels-idx1-ubyte.gz",
    "x_test": "t10k-images-idx3-ubyte.gz",
    "y_test": "t10k-labels-idx1-ubyte.gz",
}
EXPECTED_SHAPES = {
    "x_train": (60000, 28, 28),
    "y_train": (60000,),
    "x_test": (10000, 28, 28),
    "y_test": (10000,),
}

Split = tuple[np.ndarray, np.ndarray]
Dataset = tuple[Split, Split]


class DataError(RuntimeError):
    """The data could not be found, read or trusted; the message says how to fix it."""


@dataclass(frozen=True)
class Source:
    """Where a data set was read from: ``str()`` gives the full path, ``short`` a few words.

    Example:
        >>> source = Source(Path("/data/mnist.npz"), "the environment variable MNIST_COURSE_DATA")
        >>> str(source), source.short
        ('/data/mnist.npz (found through the environment variable MNIST_COURSE_DATA)', 'MNIST_COURSE_DATA')
    """

    location: Path
    how: str

    def __str__(self) -> str:
        return f"{self.location} (found through {self.how})"

    @property
    def short(self) -> str:
        """A few words for the setup line: "MNIST_COURSE_DATA", "Keras cache", "downloaded"..."""
        if self.how.startswith("the environment variable "):
            return self.how.removeprefix("the environment variable ")
        return _SHORT_SOURCES.get(self.how, self.how)


_SHORT_SOURCES = {
    "the path passed in": "your path",
    "Keras's cache": "Keras cache",
    "a download through Keras": "downloaded",
    "Debian's dataset-fashion-mnist package": "Debian package",
}


@dataclass(frozen=True)
class CourseData:
    """The arrays a notebook works with and where they came from.

    ``source`` is a sentence with the full path; ``origin`` says it in a few words.
    """

    train: Split
    test: Split
    source: str
    origin: str = ""


def keras_cache_dir() -> Path:
    """Return the folder where Keras caches downloaded data sets.

    Example:
        >>> keras_cache_dir().name
        'datasets'
    """
    keras_home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return Path(keras_home) / "datasets"


# --------------------------------------------------------------------------- MNIST


def find_mnist(path: str | os.PathLike | None = None) -> tuple[Path | None, str]:
    """Return ``(file, how it was found)``; ``file`` is None when only a download is left.

    Raises :class:`DataError` when an explicitly named file (argument or variable) is missing.

    Example:
        >>> find_mnist("/nonexistent.npz")
        Traceback (most recent call last):
        ...
        mnist_course.data.DataError: ...
    """
    if path is not None:
        return _must_exist(Path(path), "the path you passed to load_mnist()"), "the path passed in"
    from_variable = os.environ.get(DATA_VARIABLE, "").strip()
    if from_variable:
        where = f"the environment variable {DATA_VARIABLE}"
        return _must_exist(Path(from_variable).expanduser(), where), where
    cached = keras_cache_dir() / "mnist.npz"
    if cached.exists():
        return cached, "Keras's cache"
    return None, "a download through Keras"


def load_mnist(path: str | os.PathLike | None = None) -> Dataset:
    """Load MNIST as ``(x_train, y_train), (x_test, y_test)``, uint8 arrays as Keras gives them.

    Example:
        >>> (x_train, y_train), (x_test, y_test) = load_mnist()   # doctest: +SKIP
        >>> y_train[:5]
        array([5, 0, 4, 1, 9], dtype=uint8)
    """
    return _load_mnist_with_source(path)[0]


def _load_mnist_with_source(path: str | os.PathLike | None) -> tuple[Dataset, Source]:
    file, how = find_mnist(path)
    if file is None:
        file = _download("mnist")
        how = "a download through Keras"
    arrays = _read_npz(file, "MNIST")
    _validate(arrays, file, "MNIST")
    return _as_dataset(arrays), Source(file, how)


def _download(name: str) -> Path:
    """Download through Keras, which caches the file; return the cached location."""
    from mnist_course.quiet import import_keras_quietly

    try:
        getattr(import_keras_quietly().datasets, name).load_data()
    except Exception as error:  # Keras wraps network errors in a plain Exception
        variable = DATA_VARIABLE if name == "mnist" else FASHION_DATA_VARIABLE
        raise DataError(
            f"{_title(name)} is not on this machine and the download through Keras failed "
            f"({error.__class__.__name__}: {str(error)[:200]}).\n"
            f"Fix: connect to the internet and run again, or copy the data file here and set "
            f"{variable} to its path (for example `export {variable}=/path/to/{name}.npz`)."
        ) from None
    if name == "mnist":
        return keras_cache_dir() / "mnist.npz"
    return keras_cache_dir() / "fashion-mnist"


def _title(name: str) -> str:
    return "MNIST" if name == "mnist" else "Fashion-MNIST"


def _must_exist(file: Path, where: str) -> Path:
    if not file.exists():
        raise DataError(
            f"{file} does not exist (named by {where}).\n"
            f"Fix: correct the path, or unset {DATA_VARIABLE} to use Keras's cache or download."
        )
    return file


def _read_npz(file: Path, title: str) -> dict[str, np.ndarray]:
    """Read every array of an ``.npz`` archive, turning each way it can fail into DataError."""
    broken = (
        f"{file} is damaged or incomplete (perhaps an interrupted download or copy).\n"
        f"Fix: replace it with a good copy of {title}; if it is Keras's cache, delete it "
        f"yourself and run again to download a fresh one."
    )
    if file.is_dir():
        raise DataError(f"{file} is a directory, but {title} must be one .npz file.\n"
                        f"Fix: point to the .npz file inside it.")
    with open(file, "rb") as stream:
        starts_like_zip = stream.read(4) == b"PK\x03\x04"
    if starts_like_zip and not zipfile.is_zipfile(file):
        raise DataError(broken)
    if not zipfile.is_zipfile(file):
        raise DataError(
            f"{file} is not an .npz archive (numpy.savez format).\n"
            f"Fix: point to the mnist.npz file that Keras downloads, or write one with "
            f"numpy.savez(path, x_train=..., y_train=..., x_test=..., y_test=...)."
        )
    try:
        with np.load(file, allow_pickle=False) as archive:
            missing = [key for key in NPZ_KEYS if key not in archive.files]
            if missing:
                raise DataError(
                    f"{file} lacks the arrays {', '.join(missing)}; it has "
                    f"{', '.join(archive.files) or 'none'}.\n"
                    f"Fix: use a file with the keys {', '.join(NPZ_KEYS)} (Keras's layout)."
                )
            return {key: archive[key] for key in NPZ_KEYS}
    except DataError:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as error:
        raise DataError(f"{broken}\n(The reader said: {error})") from None


def _validate(arrays: dict[str, np.ndarray], file: Path, title: str) -> None:
    """Check shapes, dtypes and label range; raise DataError naming what is off."""
    for key, shape in EXPECTED_SHAPES.items():
        array = arrays[key]
        if array.shape != shape:
            raise DataError(
                f"In {file}, {key} has shape {array.shape}, but {title} has shape {shape}.\n"
                f"Fix: this is not the complete {title}; use the original file."
            )
        if array.dtype != np.uint8:
            raise DataError(
                f"In {file}, {key} has dtype {array.dtype}, but {title} is stored as uint8.\n"
                f"Fix: use the original file (pixels 0..255 and labels 0..9 as uint8)."
            )
    for key in ("y_train", "y_test"):
        if arrays[key].max() > 9:
            raise DataError(
                f"In {file}, {key} holds the label {arrays[key].max()}, but labels run 0..9.\n"
                f"Fix: use the original file."
            )


def _as_dataset(arrays: dict[str, np.ndarray]) -> Dataset:
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])


# --------------------------------------------------------------------------- Fashion-MNIST


def load_fashion_mnist(path: str | os.PathLike | None = None) -> Dataset:
    """Load Fashion-MNIST as ``(x_train, y_train), (x_test, y_test)``, uint8 like MNIST.

    Looks at ``path`` (a directory of the four IDX ``.gz`` files, or an ``.npz``), then
    ``MNIST_COURSE_FASHION_DATA``, then Debian's ``/usr/share/datasets/fashion-mnist``,
    then Keras's cache, then downloads through Keras. Labels name
    :data:`FASHION_CLASS_NAMES`.

    Example:
        >>> (x_train, y_train), _ = load_fashion_mnist()   # doctest: +SKIP
        >>> FASHION_CLASS_NAMES[y_train[0]]
        'Ankle boot'
    """
    return _load_fashion_with_source(path)[0]


def find_fashion_mnist(path: str | os.PathLike | None = None) -> tuple[Path | None, str]:
    """Return ``(file or directory, how it was found)``; None when only a download is left.

    Example:
        >>> find_fashion_mnist("/nonexistent")
        Traceback (most recent call last):
        ...
        mnist_course.data.DataError: ...
    """
    candidates: list[tuple[Path, str, bool]] = []
    if path is not None:
        candidates.append((Path(path), "the path passed in", True))
    else:
        from_variable = os.environ.get(FASHION_DATA_VARIABLE, "").strip()
        if from_variable:
            candidates.append(
                (Path(from_variable).expanduser(), f"the environment variable {FASHION_DATA_VARIABLE}", True)
            )
        candidates.append((DEBIAN_FASHION_DIR, "Debian's dataset-fashion-mnist package", False))
        candidates.append((keras_cache_dir() / "fashion-mnist", "Keras's cache", False))
    for candidate, how, explicit in candidates:
        if explicit:
            if not candidate.exists():
                raise DataError(
                    f"{candidate} does not exist (named by {how}).\n"
                    f"Fix: correct the path: a directory holding {', '.join(IDX_FILES.values())}, "
                    f"or an .npz with the keys {', '.join(NPZ_KEYS)}."
                )
            return candidate, how
        if candidate.is_dir() and all((candidate / name).exists() for name in IDX_FILES.values()):
            return candidate, how
    return None, "a download through Keras"


def _load_fashion_with_source(path: str | os.PathLike | None) -> tuple[Dataset, Source]:
    location, how = find_fashion_mnist(path)
    if location is None:
        location = _download("fashion_mnist")
        how = "a download through Keras"
    if location.is_dir():
        arrays = {key: read_idx(location / name) for key, name in IDX_FILES.items()}
    else:
        arrays = _read_npz(location, "Fashion-MNIST")
    _validate(arrays, location, "Fashion-MNIST")
    return _as_dataset(arrays), Source(location, how)


def read_idx(file: str | os.PathLike) -> np.ndarray:
    """Read one IDX file of unsigned bytes (``.gz`` or not), the original MNIST format.

    The header is two zero bytes, a type byte (8 for uint8), the number of dimensions,
    then each dimension as a big-endian 32-bit integer; the data follow.

    Example:
        >>> read_idx("/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz").shape
        (10000,)
    """
    file = Path(file)
    if not file.exists():
        raise DataError(
            f"{file} does not exist.\nFix: the directory must hold {', '.join(IDX_FILES.values())}."
        )
    opener = gzip.open if file.suffix == ".gz" else open
    try:
        with opener(file, "rb") as stream:
            content = stream.read()
    except (OSError, EOFError, zlib.error) as error:
        raise DataError(
            f"{file} could not be read: {error}.\n"
            f"Fix: the file is damaged or incomplete; replace it with the original."
        ) from None
    if len(content) < 4 or content[0] != 0 or content[1] != 0 or content[2] != 0x08:
        raise DataError(
            f"{file} is not an IDX file of unsigned bytes (its header is wrong).\n"
            f"Fix: use the original {file.name} from the data set."
        )
    ndim = content[3]
    header_size = 4 + 4 * ndim
    shape = tuple(int(n) for n in np.frombuffer(content[4:header_size], dtype=">u4"))
    expected = int(np.prod(shape)) if shape else 0
    if len(shape) != ndim or len(content) - header_size != expected:
        raise DataError(
            f"{file} is truncated or padded: its header promises shape {shape} "
            f"({expected} bytes) but {max(len(content) - header_size, 0)} bytes follow.\n"
            f"Fix: the file is damaged or incomplete; replace it with the original."
        )
    return np.frombuffer(content, dtype=np.uint8, offset=header_size).reshape(shape)


# --------------------------------------------------------------------------- course data


def stratified_subset(x: np.ndarray, y: np.ndarray, fraction: float, seed: int = 0) -> Split:
    """Return a random ``fraction`` of ``(x, y)`` with the same class proportions.

    Example:
        >>> y = np.repeat(np.arange(10), 100)
        >>> _, y_small = stratified_subset(np.zeros((1000, 2)), y, 0.1)
        >>> np.bincount(y_small).tolist()
        [10, 10, 10, 10, 10, 10, 10, 10, 10, 10]
    """
    from sklearn.model_selection import train_test_split

    x_small, _, y_small, _ = train_test_split(
        x, y, train_size=fraction, stratify=y, random_state=seed
    )
    return x_small, y_small


def course_data(dataset: str = "mnist") -> CourseData:
    """The data every notebook and check uses: the whole set, or a fast-mode sample.

    ``dataset`` is ``"mnist"`` or ``"fashion"``. The result is the same on every call
    with the same environment (fast mode's sample is drawn with a fixed seed), so a
    check can compare against exactly what the notebook trained on.

    Example:
        >>> data = course_data()   # doctest: +SKIP
        >>> (x_train, y_train), (x_test, y_test) = data.train, data.test
    """
    key = (
        dataset,
        os.environ.get(DATA_VARIABLE, ""),
        os.environ.get(FASHION_DATA_VARIABLE, ""),
        str(keras_cache_dir()),
        mode.is_fast_mode(),
    )
    return _course_data_cached(*key)


@functools.lru_cache(maxsize=4)
def _course_data_cached(dataset: str, _mnist_var: str, _fashion_var: str, _cache: str,
                        fast: bool) -> CourseData:
    if dataset == "mnist":
        ((x_train, y_train), (x_test, y_test)), source = _load_mnist_with_source(None)
    elif dataset == "fashion":
        ((x_train, y_train), (x_test, y_test)), source = _load_fashion_with_source(None)
    else:
        raise ValueError(f"dataset must be 'mnist' or 'fashion', got {dataset!r}.")
    if fast:
        x_train, y_train = stratified_subset(x_train, y_train, mode.FAST_FRACTION)
        x_test, y_test = stratified_subset(x_test, y_test, mode.FAST_FRACTION)
    for array in (x_train, y_train, x_test, y_test):
        array.flags.writeable = False  # shared by the notebook and the checks
    return CourseData((x_train, y_train), (x_test, y_test), str(source), source.short)


def describe_source(dataset: str = "mnist") -> str:
    """The full path of the file the course reads for *dataset*, and how it was found.

    Example:
        >>> describe_source()   # doctest: +SKIP
        '/home/me/.keras/datasets/mnist.npz (found through Keras's cache)'
    """
    return course_data(dataset).source


def main() -> int:
    """``python -m mnist_course.data``: find (or download) the data and say where it is."""
    import sys

    for title, loader in (("MNIST", _load_mnist_with_source), ("Fashion-MNIST", _load_fashion_with_source)):
        try:
            ((x_train, _), (x_test, _)), source = loader(None)
        except DataError as error:
            print(f"{title}: NOT AVAILABLE\n{error}", file=sys.stderr)
            if title == "MNIST":
                return 1
            continue
        print(f"{title}: {len(x_train):,} training and {len(x_test):,} test images, "
              f"verified, from {source}.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
