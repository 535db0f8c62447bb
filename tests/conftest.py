"""Shared fixtures: paths of the repository and notebook helpers for the tests."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions"
NOTEBOOKS = ROOT / "notebooks"


@pytest.fixture(scope="session")
def course_data():
    """The data the notebooks and checks use in this run (fast-mode sample under pytest)."""
    from mnist_course.data import course_data as load

    return load()


@pytest.fixture(scope="module")
def fast_mode():
    """Fast mode for a whole test module: the checks compare with the fast-mode sample, and
    the tests train on it too (whatever MNIST_COURSE_FAST says outside)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MNIST_COURSE_FAST", "1")
        yield


@pytest.fixture(scope="module")
def data(fast_mode):
    """The fast-mode sample prepared as notebooks 04 and 05 prepare it: flat, standardised
    with the training statistics, scaled with a channel axis, and one-hot labels."""
    import keras
    from mnist_course.data import course_data as load

    course = load()
    (x_train, y_train), (x_test, y_test) = course.train, course.test
    x_train_flat = x_train.reshape(len(x_train), 784).astype("float32")
    x_test_flat = x_test.reshape(len(x_test), 784).astype("float32")
    mean, std = x_train_flat.mean(), x_train_flat.std()
    return {
        "x_train": x_train_flat, "x_test": x_test_flat, "y_train": y_train, "y_test": y_test,
        "y_train_onehot": keras.utils.to_categorical(y_train, 10),
        "y_test_onehot": keras.utils.to_categorical(y_test, 10),
        "x_train_std": (x_train_flat - mean) / std, "x_test_std": (x_test_flat - mean) / std,
        "mean": mean, "std": std,
        "x_train_scaled": x_train.astype("float32") / 255, "x_test_scaled": x_test.astype("float32") / 255,
        "x_train_4d": (x_train.astype("float32") / 255)[..., None],
        "x_test_4d": (x_test.astype("float32") / 255)[..., None],
    }

