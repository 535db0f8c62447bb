"""Checks of notebook 01, fed by simulated students.

``CORRECT[exercise]`` lists answers written in every correct way we could think of; each
must pass. ``WRONG[exercise]`` lists plausible beginners' mistakes with the hint (a regular
expression) their failure must contain; no failure may contain the answer (``SECRETS``).
The cells that use 1.2's, 1.3's and 1.4's answers are run on every correct answer, so a
check never passes what the next cell cannot use.
"""

from __future__ import annotations

from collections import Counter

import nbformat
import numpy as np
import pytest

from mnist_course.checks import NotAttempted
from mnist_course.checks import nb01 as check

from checking import assert_no_secret, cases, fails, passes, solution_lines
from conftest import SOLUTIONS

NOTEBOOK = SOLUTIONS / "01_meet_the_data.ipynb"
SOLUTION_LINES = solution_lines(NOTEBOOK)


class Context:
    def __init__(self, data):
        (self.x_train, self.y_train), (self.x_test, self.y_test) = data.train, data.test
        self.arrays = (self.x_train, self.y_train, self.x_test, self.y_test)
        self.counts = np.bincount(self.y_train, minlength=10)
        self.means = np.array([self.x_train[self.y_train == d].mean(axis=0) for d in range(10)])


@pytest.fixture(scope="module")
def ctx(course_data):
    return Context(course_data)


def _tf():
    return pytest.importorskip("tensorflow")


def _add_at(c):
    sums = np.zeros((10, 28, 28))
    np.add.at(sums, c.y_train, c.x_train)
    return sums / np.bincount(c.y_train)[:, None, None]


def _loop_means(c):
    means = np.zeros((10, 28, 28), dtype=np.float32)
    for digit in range(10):
        images = c.x_train[c.y_train == digit]
        means[digit] = images.sum(axis=0) / len(images)
    return means


CORRECT = {
    "1.1": [
        ("tuple of shapes", lambda c: ((c.x_train.shape, c.y_train.shape, c.x_test.shape, c.y_test.shape),)),
        ("list of lists", lambda c: ([list(a.shape) for a in c.arrays],)),
        ("TensorShapes", lambda c: ([_tf().TensorShape(a.shape) for a in c.arrays],)),
        ("np.shape", lambda c: (tuple(np.shape(a) for a in c.arrays),)),
        ("arrays of the shapes", lambda c: ([np.array(a.shape) for a in c.arrays],)),
        ("tensors' shapes", lambda c: ([_tf().constant(a).shape for a in c.arrays],)),
    ],
    "1.2": [
        ("bincount", lambda c: (np.bincount(c.y_train),)),
        ("bincount minlength", lambda c: (np.bincount(c.y_train, minlength=10),)),
        ("unique counts", lambda c: (np.unique(c.y_train, return_counts=True)[1],)),
        ("Counter of a list", lambda c: (Counter(c.y_train.tolist()),)),
        ("Counter of the array", lambda c: (Counter(c.y_train),)),
        ("dict comprehension", lambda c: ({d: int(np.sum(c.y_train == d)) for d in range(10)},)),
        ("dict of np.unique", lambda c: (dict(zip(*np.unique(c.y_train, return_counts=True))),)),
        ("list comprehension", lambda c: ([int((c.y_train == d).sum()) for d in range(10)],)),
        ("tuple of counts", lambda c: (tuple(list(c.y_train).count(d) for d in range(10)),)),
        ("histogram counts", lambda c: (np.histogram(c.y_train, bins=range(11))[0],)),
        ("histogram 10 bins", lambda c: (np.histogram(c.y_train, bins=10)[0],)),
        ("one-hot column sums", lambda c: (np.eye(10)[c.y_train].sum(axis=0),)),
        ("tf bincount", lambda c: (_tf().math.bincount(_tf().constant(c.y_train, dtype="int32")),)),
        ("loop with a list", lambda c: (_loop_counts(c.y_train),)),
    ],
    "1.3": [
        ("methods", lambda c: (c.x_train.min(), c.x_train.max(), c.x_train.mean(), c.x_train.std())),
        ("float32 by hand", lambda c: (int(np.min(c.x_train)), float(np.max(c.x_train.astype(np.float32))),
                                       c.x_train.astype(np.float32).sum() / c.x_train.size,
                                       np.sqrt(((c.x_train.astype(np.float32) - c.x_train.mean()) ** 2).mean()))),
        ("ddof 1", lambda c: (0, 255, np.mean(c.x_train), np.std(c.x_train, ddof=1))),
        ("float64 copy", lambda c: tuple(f(c.x_train.astype(float)) for f in (np.min, np.max, np.mean, np.std))),
        ("sqrt of var", lambda c: (c.x_train.min(), c.x_train.max(), c.x_train.mean(), np.sqrt(c.x_train.var()))),
        ("ravel first", lambda c: tuple(f(c.x_train.ravel()) for f in (np.min, np.max, np.mean, np.std))),
        ("tensorflow", lambda c: (_tf().reduce_min(c.x_train), _tf().reduce_max(c.x_train),
                                  _tf().reduce_mean(_tf().cast(c.x_train, "float32")),
                                  _tf().math.reduce_std(_tf().cast(c.x_train, "float32")))),
        ("rounded to 2 decimals", lambda c: (0, 255, round(float(c.x_train.mean()), 2), round(float(c.x_train.std()), 2))),
        ("one-element arrays", lambda c: (np.array([c.x_train.min()]), [c.x_train.max()], np.atleast_1d(c.x_train.mean()),
                                          np.array([[c.x_train.std()]], dtype=np.float32))),
    ],
    "1.4": [
        ("list comprehension", lambda c: (np.array([c.x_train[c.y_train == d].mean(axis=0) for d in range(10)]),)),
        ("add.at", lambda c: (_add_at(c),)),
        ("scaled", lambda c: (np.stack([(c.x_train[c.y_train == d] / 255).mean(0) for d in range(10)]),)),
        ("list of arrays", lambda c: ([c.x_train[c.y_train == d].mean(axis=0) for d in range(10)],)),
        ("loop into float32", lambda c: (_loop_means(c),)),
        ("tensorflow", lambda c: (_tf().stack([_tf().reduce_mean(_tf().cast(c.x_train[c.y_train == d], "float32"), axis=0)
                                               for d in range(10)]),)),
        ("np.where mask", lambda c: (np.array([np.mean(c.x_train[np.where(c.y_train == d)], axis=0) for d in range(10)]),)),
    ],
}


def _loop_counts(labels):
    counts = [0] * 10
    for label in labels:
        counts[label] += 1
    return counts


WRONG = {
    "1.1": [
        ("lengths", lambda c: ([len(a) for a in c.arrays],), "not len"),
        ("test first", lambda c: ((c.x_test.shape, c.y_test.shape, c.x_train.shape, c.y_train.shape),), "order"),
        ("one image", lambda c: ((c.x_train[0].shape, c.y_train.shape, c.x_test.shape, c.y_test.shape),), "single image"),
        ("one shape only", lambda c: (c.x_train.shape,), "four shapes"),
        ("three shapes", lambda c: ((c.x_train.shape, c.y_train.shape, c.x_test.shape),), "four shapes"),
        ("images and labels swapped", lambda c: ((c.y_train.shape, c.x_train.shape, c.y_test.shape, c.x_test.shape),),
         "order"),
        ("sizes", lambda c: ([a.size for a in c.arrays],), "not len"),
        ("x_train twice", lambda c: ((c.x_train.shape, c.x_train.shape, c.x_test.shape, c.y_test.shape),),
         "do not match|shape attribute"),
        ("transposed images", lambda c: ((c.x_train.T.shape, c.y_train.shape, c.x_test.shape, c.y_test.shape),),
         "do not match|shape attribute"),
        ("dtypes", lambda c: ([a.dtype for a in c.arrays],), "not a shape"),
        ("a dict", lambda c: ({"x_train": c.x_train.shape},), "tuple of four shapes"),
    ],
    "1.2": [
        ("test counts", lambda c: (np.bincount(c.y_test),), "y_train"),
        ("fractions", lambda c: (c.counts / c.counts.sum(),), "share"),
        ("Counter values in order of appearance", lambda c: (list(Counter(c.y_train.tolist()).values()),), "class_counts\\[0\\]"),
        ("nine counts", lambda c: (c.counts[:9],), "one count per digit"),
        ("unique's pair", lambda c: (np.unique(c.y_train, return_counts=True),), "Keep only the counts"),
        ("histogram's pair", lambda c: (np.histogram(c.y_train, bins=10),), "Keep only the counts"),
        ("most_common", lambda c: (Counter(c.y_train.tolist()).most_common(),), "most_common"),
        ("counts off by one", lambda c: (c.counts + 1,), "exactly once"),
        ("string keys", lambda c: ({str(d): int(n) for d, n in enumerate(c.counts)},), "strings"),
        ("bincount of pixels", lambda c: (np.bincount(c.x_train.ravel()),), "one count per digit"),
        ("reversed", lambda c: (c.counts[::-1],), "wrong order"),
        ("sorted", lambda c: (np.sort(c.counts),), "wrong order"),
        ("percentages", lambda c: (100 * c.counts / c.counts.sum(),), "add up to|Count every label"),
        ("train and test together", lambda c: (c.counts + np.bincount(c.y_test, minlength=10),), "exactly once"),
        ("half of the labels", lambda c: (np.bincount(c.y_train[: len(c.y_train) // 2], minlength=10),), "exactly once"),
        ("labels shifted", lambda c: (np.bincount(c.y_train + 1),), "one count per digit"),
        ("Counter of a subset", lambda c: (Counter(c.y_train[c.y_train < 9].tolist()),), "one per digit"),
        ("equal split", lambda c: ([len(c.y_train) // 10] * 10,), "do not match"),
        ("the first label's count repeated", lambda c: ([c.counts[0]] * 10,), "exactly once|do not match"),
    ],
    "1.3": [
        ("scaled", lambda c: tuple(f(c.x_train / 255) for f in (np.min, np.max, np.mean, np.std)), "raw uint8"),
        ("test set", lambda c: tuple(f(c.x_test) for f in (np.min, np.max, np.mean, np.std)), "x_train"),
        ("train and test pooled", lambda c: tuple(f(np.concatenate([c.x_train.ravel(), c.x_test.ravel()]))
                                                   for f in (np.min, np.max, np.mean, np.std)), "include the test images"),
        ("tf mean in uint8", lambda c: (0, 255, _tf().reduce_mean(c.x_train), c.x_train.std()), "whole number"),
        ("variance", lambda c: (c.x_train.min(), c.x_train.max(), c.x_train.mean(), c.x_train.var()), "square root"),
        ("mean per pixel", lambda c: (c.x_train.min(), c.x_train.max(), c.x_train.mean(axis=0), c.x_train.std()),
         "leave out axis"),
        ("std per image", lambda c: (c.x_train.min(), c.x_train.max(), c.x_train.mean(), c.x_train.std(axis=(1, 2))),
         "leave out axis"),
        ("uint8 wrap-around", lambda c: (0, 255, c.x_train.mean(), np.sqrt((((c.x_train.astype(np.int64)
                                         - c.x_train.mean().astype(np.int64)).astype(np.uint8)).astype(float) ** 2).mean())),
         "convert to float"),
        ("min and max swapped", lambda c: (c.x_train.max(), c.x_train.min(), c.x_train.mean(), c.x_train.std()),
         "pixel_min is not right"),
        ("mean of the first image", lambda c: (0, 255, c.x_train[0].mean(), c.x_train.std()), "pixel_mean is not right"),
        ("median for the mean", lambda c: (0, 255, np.median(c.x_train), c.x_train.std()), "pixel_mean is not right"),
        ("mean of per-pixel stds", lambda c: (0, 255, c.x_train.mean(), c.x_train.std(axis=0).mean()), "pixel_std is not right"),
        ("mean rounded to a whole number", lambda c: (0, 255, int(c.x_train.mean()), c.x_train.std()), "pixel_mean"),
        ("std of the labels", lambda c: (0, 255, c.x_train.mean(), c.y_train.std()), "pixel_std is not right"),
        ("a string", lambda c: (0, 255, f"{c.x_train.mean():.2f}", c.x_train.std()), "single number"),
        ("mean of unique values", lambda c: (0, 255, np.unique(c.x_train).mean(), c.x_train.std()), "pixel_mean"),
    ],
    "1.4": [
        ("digit axis last", lambda c: (np.moveaxis(c.means, 0, -1),), "new first axis"),
        ("flat", lambda c: (c.means.reshape(10, 784),), "reshape"),
        ("sums", lambda c: (c.means * np.bincount(c.y_train)[:, None, None],), "sums"),
        ("reversed", lambda c: (c.means[::-1],), "wrong order"),
        ("test set", lambda c: (np.array([c.x_test[c.y_test == d].mean(axis=0) for d in range(10)]),), "training images"),
        ("overall mean ten times", lambda c: (np.repeat(c.x_train.mean(axis=0)[None], 10, axis=0),), "mask"),
        ("first image of each digit", lambda c: (np.array([c.x_train[c.y_train == d][0] for d in range(10)]),),
         "do not match|mask"),
        ("median images", lambda c: (np.array([np.median(c.x_train[c.y_train == d], axis=0) for d in range(10)]),),
         "do not match"),
        ("mean over the wrong axis", lambda c: ([c.x_train[c.y_train == d].mean(axis=1) for d in range(10)],),
         "so each mean is 28x28"),
        ("nine digits", lambda c: (c.means[:9],), "One 28x28 average image"),
        ("scaled twice", lambda c: (c.means / 255 / 255,), "do not match"),
        ("digits 1..10", lambda c: (np.array([c.x_train[c.y_train == d].mean(axis=0) if d < 10
                                              else np.zeros((28, 28)) for d in range(1, 11)]),), "wrong order|do not match"),
    ],
}

SECRETS = {
    "1.1": lambda c: ["x_train.shape", str(c.x_train.shape)],
    "1.2": lambda c: ["np.bincount(y_train"] + [rf"\b{n}\b" for n in c.counts],
    "1.3": lambda c: ["x_train.std()", "x_train.mean()", f"{c.x_train.mean():.2f}", f"{c.x_train.std():.2f}",
                      f"{c.x_train.mean():.1f}", f"{c.x_train.std():.1f}"],
    "1.4": lambda c: ["x_train[y_train == d].mean(axis=0)", "mean(axis=0)", "x_train[y_train == digit]"],
}

CHECKS = {"1.1": check.exercise_1_1, "1.2": check.exercise_1_2, "1.3": check.exercise_1_3, "1.4": check.exercise_1_4}


@pytest.mark.parametrize("exercise, name, make", cases(CORRECT))
def test_correct_answers_pass(ctx, capsys, exercise, name, make):
    passes(capsys, CHECKS[exercise], *make(ctx))


@pytest.mark.parametrize("exercise, name, make, hint", cases(WRONG))
def test_wrong_answers_fail_with_a_hint_that_gives_no_answer(ctx, exercise, name, make, hint):
    # No answer of this exercise, and no line of any solution in the notebook (issue 16, item 6).
    assert_no_secret(fails(CHECKS[exercise], *make(ctx), hint=hint), SECRETS[exercise](ctx) + SOLUTION_LINES)


def test_every_exercise_has_simulated_students_both_ways():
    assert set(CORRECT) == set(WRONG) == set(CHECKS) == set(SECRETS)
    assert all(len(CORRECT[exercise]) >= 5 and len(WRONG[exercise]) >= 10 for exercise in CHECKS)


@pytest.mark.parametrize("exercise, nargs", [("1.1", 1), ("1.2", 1), ("1.3", 4), ("1.4", 1)])
def test_unfilled_exercises_are_not_attempted(exercise, nargs):
    with pytest.raises(NotAttempted, match="not attempted yet"):
        CHECKS[exercise](*([None] * nargs))


# --------------------------------------------------------------------------- the cells that use the answers


def _cells():
    return nbformat.read(NOTEBOOK, as_version=4).cells


def _cell_after(tag):
    cells = _cells()
    index = next(i for i, cell in enumerate(cells) if tag in cell.metadata.get("tags", []))
    return cells[index + 1].source


def _after_solution(tag):
    """The lines of an exercise cell after its solution (they run in the student's notebook too)."""
    cell = next(cell for cell in _cells() if tag in cell.metadata.get("tags", []) and cell.cell_type == "code")
    return cell.source.split("### END SOLUTION", 1)[1]


@pytest.fixture()
def namespace(ctx):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from mnist_course import plots

    yield {"np": np, "plt": plt, "plots": plots, "x_train": ctx.x_train, "y_train": ctx.y_train}
    plt.close("all")


@pytest.mark.parametrize("name, make", [pytest.param(*case, id=case[0]) for case in CORRECT["1.2"]])
def test_the_bar_chart_takes_every_count_the_check_passes(ctx, namespace, name, make):
    exec(_cell_after("check:1.2"), namespace | {"class_counts": make(ctx)[0]})


@pytest.mark.parametrize("name, make", [pytest.param(*case[:2], id=case[0]) for case in CORRECT["1.3"] + WRONG["1.3"]
                                        if case[0] != "a string"])
def test_the_statistics_print_never_stops_before_the_check(ctx, namespace, name, make, capsys):
    values = dict(zip(("pixel_min", "pixel_max", "pixel_mean", "pixel_std"), make(ctx)))
    exec(_after_solution("exercise:1.3"), namespace | values)


@pytest.mark.parametrize("name, make", [pytest.param(*case, id=case[0]) for case in CORRECT["1.4"]])
def test_the_mean_images_plot_takes_every_answer_the_check_passes(ctx, namespace, name, make):
    exec(_cell_after("check:1.4"), namespace | {"mean_images": make(ctx)[0]})
