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


def fake_history(model, logs: dict, steps: int):
    """A History as fit would return it, for checks that fail before they look at numbers.

    Builds no training run: ``logs`` are the per-epoch values, ``steps`` the steps per epoch.
    """
    import keras

    history = keras.callbacks.History()
    history.set_model(model)
    history.history = {key: list(values) for key, values in logs.items()}
    history.params = {"verbose": 0, "epochs": len(logs["loss"]), "steps": steps}
    return history


def correct_variants(variants):
    """Parametrize a test over ``[(id, make_args), ...]``: the argument is ``make``."""
    return pytest.mark.parametrize("make", [item[1] for item in variants], ids=[item[0] for item in variants])


def wrong_variants(variants):
    """Parametrize a test over ``[(id, make_args, hint), ...]``: the arguments are ``make, hint``."""
    return pytest.mark.parametrize("make, hint", [item[1:] for item in variants], ids=[item[0] for item in variants])


def cases(table):
    """``pytest.param(exercise, name, *rest)`` for every simulated student of ``{exercise: [(name, ...)]}``.

    The tests of the checks keep their simulated students in two such tables, ``CORRECT`` (each
    ``(name, make)``) and ``WRONG`` (each ``(name, make, hint)``), so their counts are easy to read.
    """
    return [pytest.param(exercise, *case, id=f"{exercise} {case[0]}") for exercise, cases in table.items()
            for case in cases]


def assert_no_secret(message, secrets):
    """Assert that a failure shows none of ``secrets`` (answers or solution code).

    A secret starting with ``\\b`` is a regular expression (a whole number); numbers written with
    thousands separators are the student's own figures (a sum, a count of images) and are skipped.
    """
    import re

    shown = re.sub(r"\d{1,3}(,\d{3})+", "", message)
    for secret in secrets:
        found = re.search(secret, shown) if secret.startswith("\\b") else secret in shown
        assert not found, f"the failure shows {secret!r}"


def solution_lines(notebook, minimum: int = 16) -> list[str]:
    """The lines a solution notebook holds between ``### BEGIN SOLUTION`` and ``### END SOLUTION``,
    and the expressions they assign (stripped, at least ``minimum`` characters): a failure may show
    none of them, whichever exercise it belongs to."""
    import re

    import nbformat

    lines, inside = [], False
    for cell in nbformat.read(notebook, as_version=4).cells:
        for line in cell.source.splitlines():
            text = line.strip()
            if text.startswith("### BEGIN SOLUTION"):
                inside = True
            elif text.startswith("### END SOLUTION"):
                inside = False
            elif inside:
                # the whole line, and the expression it assigns (shown alone it is the answer too)
                # (a bare name or a call without arguments, such as build_mlp(), names, not answers)
                lines += [part for part in {text, text.partition(" = ")[2]}
                          if len(part) >= minimum and not re.fullmatch(r"[\w.]+(\(\))?", part)]
    return lines
