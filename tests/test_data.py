"""Data loading: where it looks, what it verifies, and every way it can fail clearly."""

from __future__ import annotations

import gzip
import hashlib
import struct

import numpy as np
import pytest

from mnist_course import data
from mnist_course.data import DataError


def full_arrays(**changes):
    """Arrays shaped like MNIST (zeros, labels cycling 0..9), with some replaced."""
    arrays = {
        "x_train": np.zeros((60000, 28, 28), np.uint8),
        "y_train": (np.arange(60000) % 10).astype(np.uint8),
        "x_test": np.zeros((10000, 28, 28), np.uint8),
        "y_test": (np.arange(10000) % 10).astype(np.uint8),
    }
    arrays.update(changes)
    return {key: value for key, value in arrays.items() if value is not None}


def write_npz(path, **changes):
    np.savez_compressed(path, **full_arrays(**changes))
    return path


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def isolated(monkeypatch, tmp_path):
    """No data variable and an empty Keras cache in a temporary home."""
    monkeypatch.delenv(data.DATA_VARIABLE, raising=False)
    monkeypatch.delenv(data.FASHION_DATA_VARIABLE, raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    return tmp_path


def test_loads_a_good_file_in_keras_layout(isolated):
    path = write_npz(isolated / "mnist.npz")
    (x_train, y_train), (x_test, y_test) = data.load_mnist(path)
    assert x_train.shape == (60000, 28, 28) and x_train.dtype == np.uint8
    assert y_test.shape == (10000,) and y_train[:3].tolist() == [0, 1, 2]


def test_order_argument_then_variable_then_cache(isolated, monkeypatch):
    cache = isolated / "keras_home" / "datasets"
    cache.mkdir(parents=True)
    write_npz(cache / "mnist.npz")
    assert data.find_mnist() == (cache / "mnist.npz", "Keras's cache")
    from_variable = write_npz(isolated / "other.npz")
    monkeypatch.setenv(data.DATA_VARIABLE, str(from_variable))
    assert data.find_mnist()[0] == from_variable
    argument = write_npz(isolated / "third.npz")
    assert data.find_mnist(argument)[0] == argument


def test_without_file_and_network_the_error_says_what_to_do(isolated, monkeypatch):
    keras = pytest.importorskip("keras")

    def no_network():
        raise Exception("URL fetch failure on https://example.invalid/mnist.npz: None -- "
                        "[Errno -2] Name or service not known")

    monkeypatch.setattr(keras.datasets.mnist, "load_data", no_network)
    with pytest.raises(DataError) as caught:
        data.load_mnist()
    message = str(caught.value)
    assert "download through Keras failed" in message
    assert data.DATA_VARIABLE in message and "Fix:" in message
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_missing_file_named_by_the_variable(isolated, monkeypatch):
    monkeypatch.setenv(data.DATA_VARIABLE, str(isolated / "nowhere.npz"))
    with pytest.raises(DataError, match=r"nowhere\.npz does not exist .*MNIST_COURSE_DATA"):
        data.load_mnist()


@pytest.mark.parametrize("make, expected", [
    (lambda p: p.write_text("hello, not numbers"), "not an .npz archive"),
    (lambda p: np.save(p.open("wb"), np.zeros(3)), "not an .npz archive"),
    (lambda p: p.mkdir(), "is a directory"),
    (lambda p: write_npz(p, x_test=None), "lacks the arrays x_test"),
    (lambda p: write_npz(p, x_train=np.zeros((100, 28, 28), np.uint8)), r"shape \(100, 28, 28\)"),
    (lambda p: write_npz(p, x_train=np.zeros((60000, 28, 28), np.float32)), "dtype float32"),
    (lambda p: write_npz(p, y_test=np.full(10000, 11, np.uint8)), "label 11"),
])
def test_bad_files_raise_one_clear_error(isolated, make, expected):
    path = isolated / "mnist.npz"
    make(path)
    with pytest.raises(DataError, match=expected) as caught:
        data.load_mnist(path)
    assert str(path) in str(caught.value) and "Fix:" in str(caught.value)


def test_truncated_file_is_reported_and_kept(isolated):
    path = write_npz(isolated / "mnist.npz")
    content = path.read_bytes()
    path.write_bytes(content[: len(content) // 2])
    before = digest(path)
    with pytest.raises(DataError, match="damaged or incomplete"):
        data.load_mnist(path)
    assert path.exists() and digest(path) == before


def test_corrupt_cache_is_reported_not_replaced(isolated, monkeypatch):
    keras = pytest.importorskip("keras")
    cache = isolated / "keras_home" / "datasets"
    cache.mkdir(parents=True)
    (cache / "mnist.npz").write_bytes(b"PK\x03\x04 garbage that is not a zip")
    before = digest(cache / "mnist.npz")
    monkeypatch.setattr(keras.datasets.mnist, "load_data",
                        lambda: pytest.fail("must not download over the user's file"))
    with pytest.raises(DataError, match="delete it"):
        data.load_mnist()
    assert digest(cache / "mnist.npz") == before


# --------------------------------------------------------------------------- IDX / Fashion


def write_idx(path, array, *, magic_type=0x08, cut=0):
    header = bytes([0, 0, magic_type, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    content = header + array.astype(np.uint8).tobytes()
    with gzip.open(path, "wb") as stream:
        stream.write(content[: len(content) - cut] if cut else content)
    return path


def write_fashion_dir(folder, **changes):
    folder.mkdir(parents=True, exist_ok=True)
    for key, name in data.IDX_FILES.items():
        write_idx(folder / name, full_arrays(**changes)[key])
    return folder


def test_read_idx_round_trip(tmp_path):
    array = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    assert np.array_equal(data.read_idx(write_idx(tmp_path / "a-idx3-ubyte.gz", array)), array)


@pytest.mark.parametrize("kwargs, expected", [
    ({"magic_type": 0x0D}, "not an IDX file"),
    ({"cut": 5}, "truncated or padded"),
])
def test_read_idx_rejects_bad_files(tmp_path, kwargs, expected):
    path = write_idx(tmp_path / "bad-idx1-ubyte.gz", np.zeros(10, np.uint8), **kwargs)
    with pytest.raises(DataError, match=expected):
        data.read_idx(path)


def test_read_idx_rejects_a_broken_gzip(tmp_path):
    path = tmp_path / "broken-idx1-ubyte.gz"
    path.write_bytes(b"\x1f\x8b\x08\x00 definitely not deflate")
    with pytest.raises(DataError, match="could not be read"):
        data.read_idx(path)


def test_fashion_from_a_directory_of_idx_files(isolated):
    folder = write_fashion_dir(isolated / "fashion")
    (x_train, y_train), (x_test, _) = data.load_fashion_mnist(folder)
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert y_train.max() == 9


def test_fashion_from_the_variable_and_an_npz(isolated, monkeypatch):
    monkeypatch.setenv(data.FASHION_DATA_VARIABLE, str(write_npz(isolated / "fashion.npz")))
    assert data.find_fashion_mnist()[1].endswith(data.FASHION_DATA_VARIABLE)
    assert data.load_fashion_mnist()[0][0].shape == (60000, 28, 28)


def test_fashion_with_a_missing_file_in_the_directory(isolated):
    folder = write_fashion_dir(isolated / "fashion")
    (folder / data.IDX_FILES["y_test"]).unlink()
    with pytest.raises(DataError, match="t10k-labels-idx1-ubyte.gz does not exist"):
        data.load_fashion_mnist(folder)


def test_fashion_without_any_copy_or_network(isolated, monkeypatch):
    keras = pytest.importorskip("keras")
    monkeypatch.setattr(data, "DEBIAN_FASHION_DIR", isolated / "no-debian")

    def no_network():
        raise Exception("URL fetch failure: [Errno -2] Name or service not known")

    monkeypatch.setattr(keras.datasets.fashion_mnist, "load_data", no_network)
    with pytest.raises(DataError, match="(?s)Fashion-MNIST is not on this machine.*MNIST_COURSE_FASHION_DATA"):
        data.load_fashion_mnist()


@pytest.mark.skipif(not data.DEBIAN_FASHION_DIR.is_dir(), reason="dataset-fashion-mnist not installed")
def test_fashion_from_debian_package(isolated):
    assert data.find_fashion_mnist()[0] == data.DEBIAN_FASHION_DIR
    (x_train, y_train), _ = data.load_fashion_mnist()
    assert x_train.shape == (60000, 28, 28) and np.bincount(y_train).tolist() == [6000] * 10


# --------------------------------------------------------------------------- course data


def test_stratified_subset_keeps_class_shares():
    labels = np.repeat(np.arange(10), [50, 100, 150, 200, 250, 300, 350, 400, 450, 500])
    _, small = data.stratified_subset(np.zeros((len(labels), 1)), labels, 0.1)
    assert np.bincount(small).tolist() == [5, 10, 15, 20, 25, 30, 35, 40, 45, 50]


def test_course_data_is_the_fast_sample_and_repeatable(course_data):
    from mnist_course import mode

    (x_train, y_train), (x_test, _) = course_data.train, course_data.test
    if mode.is_fast_mode():
        assert len(x_train) == 6000 and len(x_test) == 1000
    assert data.course_data() is course_data
    assert not x_train.flags.writeable, "the shared copy must be protected from the notebook"
