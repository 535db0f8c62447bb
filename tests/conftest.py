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
