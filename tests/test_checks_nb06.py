"""Checks of notebook 06: correct answers written several ways pass; typical mistakes fail
with a hint, and the hint never gives the answer away.

The predictions are made up from the test labels (no model needed): most are right, some
are random mistakes, and many 4s are taken for 9s, so the largest mistake is known."""

from __future__ import annotations

import re

import numpy as np
import pytest
from sklearn.metrics import classification_report, confusion_matrix, precision_recall_fscore_support

from mnist_course.checks import CheckFailed, NotAttempted
from mnist_course.checks import nb06 as check

from checking import correct_variants, fails, passes, wrong_variants
from checking_models import assert_no_solution_line, solution_lines


@pytest.fixture(scope="module")
def y_true(course_data):
    return np.asarray(course_data.test[1])


@pytest.fixture(scope="module")
def y_pred(y_true):
    rng = np.random.default_rng(6)
    predictions = y_true.astype(np.int64).copy()
    wrong = rng.choice(len(y_true), size=len(y_true) // 12, replace=False)
    predictions[wrong] = (predictions[wrong] + rng.integers(1, 10, size=len(wrong))) % 10
    fours = np.flatnonzero(y_true == 4)
    predictions[fours[: len(fours) // 4]] = 9
    return predictions


@pytest.fixture(scope="module")
def confusion(y_true, y_pred):
    matrix = np.zeros((10, 10), dtype=int)
    for true, predicted in zip(y_true, y_pred):
        matrix[true, predicted] += 1
    return matrix


@pytest.mark.parametrize("function, nargs", [(check.exercise_6_1, 1), (check.exercise_6_2, 2),
                                              (check.exercise_6_3, 3), (check.exercise_6_4, 3)])
def test_unfilled_exercises_are_not_attempted(function, nargs, y_pred):
    with pytest.raises(NotAttempted, match="not attempted yet"):
        function(*([None] * nargs), y_pred)


def test_bad_predictions_are_explained(confusion, y_true, y_pred):
    probabilities = np.eye(10)[y_pred]
    fails(check.exercise_6_1, confusion, probabilities, hint="argmax")
    fails(check.exercise_6_1, confusion, y_pred[:-5], hint="one predicted digit per test image")
    fails(check.exercise_6_1, confusion, y_true, hint="model's predictions")
    fails(check.exercise_6_1, confusion, y_pred + 0.5, hint="argmax")


# 6.1 -------------------------------------------------------------------------------------

def test_confusion_matrix_many_ways(capsys, confusion, y_true, y_pred):
    passes(capsys, check.exercise_6_1, confusion, y_pred)
    added = np.zeros((10, 10))
    np.add.at(added, (y_true, y_pred), 1)
    passes(capsys, check.exercise_6_1, added, y_pred.tolist())
    counted = np.bincount(10 * y_true.astype(int) + y_pred, minlength=100).reshape(10, 10)
    passes(capsys, check.exercise_6_1, counted.tolist(), y_pred)
    passes(capsys, check.exercise_6_1, confusion_matrix(y_true, y_pred), y_pred.astype(np.uint8))


def test_confusion_matrix_mistakes(confusion, y_true, y_pred):
    fails(check.exercise_6_1, confusion.T, y_pred, hint="Rows are the true labels")
    fails(check.exercise_6_1, confusion / confusion.sum(axis=1, keepdims=True), y_pred, hint="Count images")
    fancy = np.zeros((10, 10), dtype=int)
    fancy[y_true, y_pred] += 1
    fails(check.exercise_6_1, fancy, y_pred, hint="np.add.at")
    fails(check.exercise_6_1, confusion[:9], y_pred, hint="One row per true digit")
    fails(check.exercise_6_1, confusion + np.eye(10, dtype=int), y_pred, hint="exactly one")
    off = confusion.copy()
    off[0, 1] += 1
    off[0, 2] -= 1 if off[0, 2] else -1
    if off.sum() == confusion.sum():
        fails(check.exercise_6_1, off, y_pred, hint="confusion\\[true label, prediction\\]")
    shifted = confusion_matrix(y_true, (y_pred + 1) % 10)
    fails(check.exercise_6_1, shifted, y_pred, hint="count each")


# 6.2 -------------------------------------------------------------------------------------

def test_precision_recall_many_ways(capsys, confusion, y_true, y_pred):
    correct = np.diag(confusion)
    passes(capsys, check.exercise_6_2, correct / confusion.sum(axis=0), correct / confusion.sum(axis=1), y_pred)
    precision = [confusion[d, d] / confusion[:, d].sum() for d in range(10)]
    recall = [np.mean(y_pred[y_true == d] == d) for d in range(10)]
    passes(capsys, check.exercise_6_2, precision, np.float32(recall), y_pred)
    sk_precision, sk_recall, _, _ = precision_recall_fscore_support(y_true, y_pred)
    passes(capsys, check.exercise_6_2, sk_precision, sk_recall, y_pred)


def test_precision_of_a_digit_never_predicted_may_be_nan_or_zero(capsys, y_true, y_pred):
    never_eight = np.where(y_pred == 8, 3, y_pred)
    matrix = confusion_matrix(y_true, never_eight)
    correct = np.diag(matrix)
    with np.errstate(invalid="ignore"):
        precision = correct / matrix.sum(axis=0)
    assert np.isnan(precision[8])
    passes(capsys, check.exercise_6_2, precision, correct / matrix.sum(axis=1), never_eight)
    passes(capsys, check.exercise_6_2, np.nan_to_num(precision), correct / matrix.sum(axis=1), never_eight)


def test_precision_recall_mistakes(confusion, y_pred):
    correct = np.diag(confusion)
    precision, recall = correct / confusion.sum(axis=0), correct / confusion.sum(axis=1)
    message = fails(check.exercise_6_2, recall, precision, y_pred, hint="swapped")
    assert "sum(axis" not in message
    transposed = confusion.T
    fails(check.exercise_6_2, np.diag(transposed) / transposed.sum(axis=0),
          np.diag(transposed) / transposed.sum(axis=1), y_pred, hint="a row of the matrix")
    fails(check.exercise_6_2, 100 * precision, 100 * recall, y_pred, hint="fractions")
    fails(check.exercise_6_2, precision.mean(), recall, y_pred, hint="one precision per digit")
    fails(check.exercise_6_2, correct / confusion.sum(), recall, y_pred, hint="own row or column")
    fails(check.exercise_6_2, precision, precision, y_pred, hint="Recall of d")
    fails(check.exercise_6_2, recall, recall, y_pred, hint="Precision of d")
    fails(check.exercise_6_2, precision[::-1], recall[::-1], y_pred, hint="diagonal")


# 6.3 -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def scores(confusion):
    correct = np.diag(confusion)
    precision, recall = correct / confusion.sum(axis=0), correct / confusion.sum(axis=1)
    support = confusion.sum(axis=1)
    f1 = 2 * precision * recall / (precision + recall)
    return precision, recall, support, f1


def test_f1_averages_many_ways(capsys, scores, y_true, y_pred):
    precision, recall, support, f1 = scores
    passes(capsys, check.exercise_6_3, f1, f1.mean(), (f1 * support).sum() / support.sum(), y_pred)
    harmonic = [2 / (1 / p + 1 / r) for p, r in zip(precision, recall)]
    passes(capsys, check.exercise_6_3, harmonic, np.mean(harmonic), np.average(harmonic, weights=support), y_pred)
    report = classification_report(y_true, y_pred, output_dict=True)
    passes(capsys, check.exercise_6_3, [report[str(d)]["f1-score"] for d in range(10)],
           report["macro avg"]["f1-score"], report["weighted avg"]["f1-score"], y_pred)


def test_f1_averages_mistakes(scores, y_true, y_pred):
    precision, recall, support, f1 = scores
    macro, weighted = f1.mean(), np.average(f1, weights=support)
    assert not np.isclose(macro, weighted, rtol=1e-5), "the made-up predictions must tell the two apart"
    fails(check.exercise_6_3, (precision + recall) / 2, macro, weighted, y_pred, hint="harmonic mean")
    fails(check.exercise_6_3, f1, weighted, macro, y_pred, hint="treats every digit alike")
    predicted = np.bincount(y_pred, minlength=10)
    fails(check.exercise_6_3, f1, macro, np.average(f1, weights=predicted), y_pred, hint="support")
    mp, mr = precision.mean(), recall.mean()
    fails(check.exercise_6_3, f1, 2 * mp * mr / (mp + mr), weighted, y_pred, hint="per-digit F1 values themselves")
    fails(check.exercise_6_3, f1, np.mean(y_true == y_pred), weighted, y_pred, hint="plain mean")
    fails(check.exercise_6_3, f1, macro, macro, y_pred, hint="by its support")
    fails(check.exercise_6_3, f1, macro, f1.sum() / 10 * 1.01, y_pred, hint="sum of the weights")
    fails(check.exercise_6_3, 100 * f1, 100 * macro, 100 * weighted, y_pred, hint="fractions")
    fails(check.exercise_6_3, f1, f1, weighted, y_pred, hint="into one number")
    fails(check.exercise_6_3, f1[::-1], macro, weighted, y_pred, hint="from that digit's precision")


# 6.4 -------------------------------------------------------------------------------------

def test_most_confused_pair_many_ways(capsys, confusion, y_true, y_pred):
    mistakes = confusion.copy()
    np.fill_diagonal(mistakes, 0)
    row, column = np.unravel_index(mistakes.argmax(), mistakes.shape)
    mask = (y_true == row) & (y_pred == column)
    passes(capsys, check.exercise_6_4, row, column, np.flatnonzero(mask), y_pred)
    passes(capsys, check.exercise_6_4, int(row), float(column), mask, y_pred)
    masked = np.where(np.eye(10, dtype=bool), -1, confusion)
    rows, columns = np.nonzero(masked == masked.max())
    passes(capsys, check.exercise_6_4, rows[0], columns[0],
           list(reversed(np.flatnonzero(mask).tolist())), y_pred)


def test_ties_accept_every_largest_cell(capsys, y_true, y_pred):
    tied = y_pred.copy()
    sevens = np.flatnonzero((y_true == 7) & (tied == 7))
    count = int(np.sum((y_true == 4) & (y_pred == 9)))
    tied[sevens[:count - int(np.sum((y_true == 7) & (y_pred == 2)))]] = 2
    assert np.sum((y_true == 7) & (tied == 2)) == count
    for true, predicted in ((4, 9), (7, 2)):
        passes(capsys, check.exercise_6_4, true, predicted,
               np.flatnonzero((y_true == true) & (tied == predicted)), tied)


def test_most_confused_pair_mistakes(confusion, y_true, y_pred):
    mistakes = confusion.copy()
    np.fill_diagonal(mistakes, 0)
    row, column = np.unravel_index(mistakes.argmax(), mistakes.shape)
    right = np.flatnonzero((y_true == row) & (y_pred == column))
    diagonal = np.unravel_index(confusion.argmax(), confusion.shape)
    fails(check.exercise_6_4, diagonal[0], diagonal[1], right, y_pred, hint="diagonal")
    fails(check.exercise_6_4, column, row, right, y_pred, hint="row of the cell")
    fails(check.exercise_6_4, mistakes.argmax(), 0, right, y_pred, hint="unravel_index")
    smallest = np.unravel_index(np.where(np.eye(10, dtype=bool), 10**6, confusion).argmin(), (10, 10))
    fails(check.exercise_6_4, smallest[0], smallest[1], right, y_pred, hint="largest entry")
    fails(check.exercise_6_4, row, column, np.flatnonzero(y_true == row), y_pred, hint="predicted as predicted_digit")
    fails(check.exercise_6_4, row, column, np.flatnonzero(y_pred == column), y_pred, hint="whose true label")
    fails(check.exercise_6_4, row, column, np.flatnonzero((y_true == column) & (y_pred == row)), y_pred,
          hint="label must be true_digit")
    fails(check.exercise_6_4, row, column, right[:-1], y_pred, hint="store their positions")
    fails(check.exercise_6_4, row, column, np.zeros((len(right), 28, 28)), y_pred, hint="not the images")
    fails(check.exercise_6_4, row, column, np.concatenate([right, right[:1]]), y_pred, hint="listed once")


def test_both_directions_added_is_explained(y_true):
    # 3 -> 5 is the largest single cell (12); 7 -> 2 and 2 -> 7 add up to more (10 + 10).
    predictions = y_true.astype(np.int64).copy()
    for true, predicted, count in ((3, 5, 12), (7, 2, 10), (2, 7, 10)):
        predictions[np.flatnonzero(y_true == true)[:count]] = predicted
    fails(check.exercise_6_4, 7, 2, np.flatnonzero((y_true == 7) & (predictions == 2)), predictions,
          hint="one direction only")


# 6.4, as simulated students: every container a student may use for the positions, and the
# cell after the check (which reads them through np.arange(len(y_test))[pair_indices]).

def _pair(y_true, y_pred):
    matrix = confusion_matrix(y_true, y_pred)
    np.fill_diagonal(matrix, 0)
    row, column = np.unravel_index(matrix.argmax(), matrix.shape)
    return int(row), int(column), (y_true == row) & (y_pred == column)


CORRECT_6_4 = [
    ("flatnonzero", lambda mask: np.flatnonzero(mask)),
    ("boolean mask", lambda mask: mask),
    ("np.where tuple", lambda mask: np.where(mask)),
    ("np.where()[0]", lambda mask: np.where(mask)[0]),
    ("np.argwhere column", lambda mask: np.argwhere(mask)),
    ("a list of ints", lambda mask: [int(i) for i in np.flatnonzero(mask)]),
    ("a list of bools", lambda mask: mask.tolist()),
    ("reversed", lambda mask: np.flatnonzero(mask)[::-1]),
    ("a tensor", lambda mask: __import__("keras").ops.convert_to_tensor(np.flatnonzero(mask))),
]

WRONG_6_4 = [
    ("every image of true_digit", lambda y_true, y_pred, row, column: np.flatnonzero(y_true == row), "&"),
    ("every image predicted as predicted_digit", lambda y_true, y_pred, row, column: np.flatnonzero(y_pred == column),
     "&"),
    ("the other direction", lambda y_true, y_pred, row, column: np.flatnonzero((y_true == column) & (y_pred == row)),
     "other way round"),
    ("or instead of and", lambda y_true, y_pred, row, column: np.flatnonzero((y_true == row) | (y_pred == column)),
     "exactly the images"),
    ("listed twice", lambda y_true, y_pred, row, column: np.tile(np.flatnonzero((y_true == row) & (y_pred == column)), 2),
     "twice"),
    ("a mask of the wrong length", lambda y_true, y_pred, row, column: ((y_true == row) & (y_pred == column))[:-1],
     "one value per test image"),
    ("the images themselves", lambda y_true, y_pred, row, column: np.zeros((3, 28, 28)), "flat list"),
]


@correct_variants(CORRECT_6_4)
def test_6_4_correct_and_the_next_cell_reads_it(make, capsys, y_true, y_pred):
    row, column, mask = _pair(y_true, y_pred)
    answer = make(mask)
    passes(capsys, check.exercise_6_4, row, column, answer, y_pred)
    positions = np.ravel(np.arange(len(y_true))[answer])  # the notebook's cell after the check
    assert np.array_equal(np.sort(positions), np.flatnonzero(mask))


@wrong_variants(WRONG_6_4)
def test_6_4_wrong(make, hint, y_true, y_pred):
    row, column, mask = _pair(y_true, y_pred)
    message = fails(check.exercise_6_4, row, column, make(y_true, y_pred, row, column), y_pred, hint=hint)
    assert not re.search(rf"\b{int(mask.sum())}\b", message), "the message gives the count away"


# Hints that name the mistake made, and numbers in every form ------------------------------

def test_counts_or_sums_are_not_called_percentages(confusion, scores, y_pred):
    """Values above 1 that are not percentages (counts, sums) get their own hint."""
    precision, recall, support, f1 = scores
    correct = np.diag(confusion)
    message = fails(check.exercise_6_2, correct.astype(float), recall, y_pred, hint="share of images")
    assert "percent" not in message
    message = fails(check.exercise_6_2, correct / confusion.sum(axis=0), correct * 1.0, y_pred,
                    hint="its row \\(recall\\)")
    assert "percent" not in message
    message = fails(check.exercise_6_3, f1, f1.sum(), np.average(f1, weights=support), y_pred, hint="not their mean")
    assert "percent" not in message
    message = fails(check.exercise_6_3, f1, f1.mean(), np.sum(f1 * support), y_pred, hint="total weight")
    assert "percent" not in message
    fails(check.exercise_6_3, f1, 100 * f1.mean(), np.average(f1, weights=support), y_pred, hint="percentages")


def test_one_element_answers_are_numbers(capsys, scores, confusion, y_pred):
    """A number given as a one-element array, list or tensor is the same number (issue 16, item 1)."""
    tf = pytest.importorskip("tensorflow")
    precision, recall, support, f1 = scores
    passes(capsys, check.exercise_6_3, f1, np.array([f1.mean()]), [np.average(f1, weights=support)], y_pred)
    passes(capsys, check.exercise_6_3, tf.constant(f1), tf.constant([f1.mean()]),
           tf.constant(np.average(f1, weights=support)), y_pred)
    mistakes = confusion.copy()
    np.fill_diagonal(mistakes, 0)
    row, column = np.unravel_index(np.argmax(mistakes), mistakes.shape)
    indices = np.flatnonzero((check._test_labels() == row) & (y_pred == column))
    passes(capsys, check.exercise_6_4, np.array([row]), [column], indices, y_pred)
    passes(capsys, check.exercise_6_4, tf.constant(row), tf.constant([column]), tf.constant(indices), y_pred)


def test_no_hint_shows_a_solution_line(confusion, scores, y_true, y_pred):
    """Every mistake of this file's lists above, once more: no message holds a line of the solutions."""
    lines = solution_lines("06_metrics")
    precision, recall, support, f1 = scores
    correct = np.diag(confusion)
    attempts = [
        (check.exercise_6_1, confusion.T, y_pred), (check.exercise_6_1, confusion / confusion.sum(), y_pred),
        (check.exercise_6_1, np.minimum(confusion, 1), y_pred),
        (check.exercise_6_2, recall, precision, y_pred), (check.exercise_6_2, correct / confusion.sum(), recall, y_pred),
        (check.exercise_6_2, correct * 1.0, recall, y_pred), (check.exercise_6_2, precision, precision, y_pred),
        (check.exercise_6_3, (precision + recall) / 2, f1.mean(), f1.mean(), y_pred),
        (check.exercise_6_3, f1, f1.sum(), f1.mean(), y_pred), (check.exercise_6_3, f1 * 100, 1, 1, y_pred),
        (check.exercise_6_3, f1, f1.mean(), f1.mean() * 1.01, y_pred),
        (check.exercise_6_4, 4, 4, [], y_pred), (check.exercise_6_4, 9, 4, [], y_pred),
        (check.exercise_6_4, 4, 9, np.flatnonzero(y_true == 4), y_pred),
    ]
    for call, *args in attempts:
        with pytest.raises(CheckFailed) as caught:
            call(*args)
        assert_no_solution_line(str(caught.value), lines)
