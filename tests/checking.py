"""Assertions shared by the check tests (tests/test_checks_nbNN.py)."""

from __future__ import annotations

import pytest

from mnist_course.checks import CheckFailed


def passes(capsys, call, *args):
    """Assert that a check accepts ``args``: it prints its one-line confirmation."""
    call(*args)
    assert capsys.readouterr().out.startswith("✔ Exercise")


def fails(call, *args, hint):
    """Assert that a check rejects ``args`` with a hint matching ``hint``; return the message."""
    with pytest.raises(CheckFailed, match=hint) as caught:
        call(*args)
    assert "Hint:" in str(caught.value)
    return str(caught.value)


def correct_variants(variants):
    """Parametrize a test over ``[(id, make_args), ...]``: the argument is ``make``."""
    return pytest.mark.parametrize("make", [item[1] for item in variants], ids=[item[0] for item in variants])


def wrong_variants(variants):
    """Parametrize a test over ``[(id, make_args, hint), ...]``: the arguments are ``make, hint``."""
    return pytest.mark.parametrize("make, hint", [item[1:] for item in variants], ids=[item[0] for item in variants])
