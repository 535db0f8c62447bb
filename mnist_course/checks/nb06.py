"""Checks for notebook 06, *Beyond accuracy: precision, recall and the confusion matrix*.

Every check gets the notebook's predictions ``y_pred`` (one digit per test image) and compares
the student's answer with what scikit-learn computes from the notebook's own test labels (the
fast-mode sample when fast mode is on), so one check works in both modes. The matrix
convention is scikit-learn's: rows are the true labels, columns the predicted ones.

Example:
    >>> from mnist_course.checks import nb06 as check     # doctest: +SKIP
    >>> check.exercise_6_1(confusion, y_pred)              # doctest: +SKIP
    ✔ Exercise 6.1 passed: ...
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mnist_course.checks._core import (
    check_shape, close, fail, is_number, number, passed, require_attempt, to_array,
)
from mnist_course.data import course_data

from mnist_course.checks._core import summary_for

#: ``check.summary()`` in the last cell of the notebook lists its exercises and their status.
summary = summary_for(__name__)

NUM_CLASSES = 10
LABELS = list(range(NUM_CLASSES))
#: Relative tolerance for scores computed from counts (float32 arithmetic is fine).
RTOL = 1e-5


def _test_labels() -> np.ndarray:
    return np.asarray(course_data().test[1])


def _predictions(exercise: str, y_pred: Any, y_true: np.ndarray) -> np.ndarray:
    """Validate ``y_pred``: one whole number 0..9 per test image, not the labels themselves."""
    __tracebackhide__ = True
    require_attempt(exercise, y_pred=y_pred)
    predictions = to_array(exercise, "y_pred", y_pred)
    if predictions.ndim == 2 and predictions.shape == (len(y_true), NUM_CLASSES):
        fail(exercise, "y_pred holds ten probabilities per image.",
             "Pass the predicted digits: model.predict(...).argmax(-1).")
    check_shape(exercise, "y_pred", predictions, (len(y_true),),
                "y_pred holds one predicted digit per test image, in the order of y_test.")
    if not np.all(np.mod(predictions, 1) == 0) or predictions.min() < 0 or predictions.max() >= NUM_CLASSES:
        fail(exercise, "y_pred should hold whole numbers from 0 to 9.",
             "Take the argmax of the model's ten outputs for each image.")
    predictions = predictions.astype(np.int64)
    if np.array_equal(predictions, y_true):
        fail(exercise, "y_pred is identical to the true labels y_test.",
             "Pass the model's predictions, computed in the cell under 'A network to study'.")
    return predictions


def _reference_matrix(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    from sklearn.metrics import confusion_matrix

    return confusion_matrix(y_true, y_pred, labels=LABELS)


def _per_class(exercise: str, name: str, value: Any) -> np.ndarray:
    """Ten per-class values as floats, failing with a hint for a single number or a bad shape."""
    __tracebackhide__ = True
    if is_number(value):
        fail(exercise, f"{name} is a single number.",
             f"Give one {name.split('_')[0]} per digit: an array of ten values, digit 0 first.")
    array = to_array(exercise, name, value).astype(float)
    check_shape(exercise, name, array, (NUM_CLASSES,), "One value per digit 0..9, digit 0 first.")
    return array


def _same_scores(actual: np.ndarray, expected: np.ndarray) -> bool:
    """Equal per class. Where a score is 0/0 (a digit never predicted, or never right), the
    reference may be NaN or 0 and the answer may be either."""
    lenient = np.isnan(expected) | (np.isnan(actual) & (expected == 0))
    if not close(actual[~lenient], expected[~lenient], rtol=RTOL, atol=1e-8):
        return False
    return bool(np.all(np.isnan(actual[lenient]) | (actual[lenient] == 0)))


def _scalar(exercise: str, name: str, value: Any) -> float:
    __tracebackhide__ = True
    if not is_number(value):
        fail(exercise, f"{name} should be a single number.",
             "Average the ten per-class values into one number.")
    return number(value)


def exercise_6_1(confusion: Any, y_pred: Any) -> None:
    """Exercise 6.1: ``confusion[t, p]`` counts the test images of digit t predicted as p.

    Compared with ``sklearn.metrics.confusion_matrix(y_test, y_pred)``. Accepts arrays,
    lists or DataFrames of ints or whole floats. Rejects the transposed matrix (columns for
    the true labels), shares instead of counts, the fancy-indexing ``+=`` pitfall that counts a
    repeated cell once, and a matrix that does not add up to the test set.
    """
    __tracebackhide__ = True
    require_attempt("6.1", confusion=confusion)
    y_true = _test_labels()
    y_pred = _predictions("6.1", y_pred, y_true)
    matrix = to_array("6.1", "confusion", confusion).astype(float)
    check_shape("6.1", "confusion", matrix, (NUM_CLASSES, NUM_CLASSES),
                "One row per true digit and one column per predicted digit, 0..9 each.")
    expected = _reference_matrix(y_true, y_pred)
    if np.array_equal(matrix, expected):
        passed("6.1", "the same matrix as sklearn.metrics.confusion_matrix: rows true, columns predicted.")
        return
    if np.array_equal(matrix, expected.T):
        fail("6.1", "the matrix is transposed: its rows are the predictions.",
             "Rows are the true labels and columns the predictions: an image of digit t "
             "predicted as p adds one to confusion[t, p].")
    if close(matrix.sum(axis=1), 1.0) or close(matrix.sum(axis=0), 1.0) or close(matrix.sum(), 1.0):
        fail("6.1", "the entries are shares, not counts.",
             "Count images: each cell holds a whole number, and all cells add up to the "
             "number of test images.")
    if matrix.max() <= 1 and matrix.sum() < len(y_true):
        fail("6.1", "no cell holds more than 1.",
             "confusion[y_test, y_pred] += 1 adds only once to a cell that appears many times "
             "in the index arrays. Use np.add.at, or a loop over the images.")
    if matrix.sum() != len(y_true):
        fail("6.1", f"the matrix adds up to {matrix.sum():,.0f}, not to the {len(y_true):,} test images.",
             "Every test image adds exactly one to one cell.")
    if np.array_equal(np.diag(matrix), np.diag(expected)):
        fail("6.1", "the diagonal (the correct predictions) is right, the mistakes are not.",
             "Check how you index the cell of each image: confusion[true label, prediction].")
    fail("6.1", "the counts do not match the test labels and the predictions.",
         "Compare y_test with y_pred, image by image, and count each (true, predicted) pair.")


def exercise_6_2(precision: Any, recall: Any, y_pred: Any) -> None:
    """Exercise 6.2: per-digit precision and recall, computed from the confusion matrix.

    Compared with ``precision_score`` and ``recall_score`` with ``average=None``. Accepts
    arrays or lists of ten fractions (NaN or 0 for a digit never predicted). Rejects the two
    swapped (the same as using the transposed matrix), percentages, a single average, and
    dividing by all the test images instead of a row or a column.
    """
    __tracebackhide__ = True
    require_attempt("6.2", precision=precision, recall=recall)
    from sklearn.metrics import precision_score, recall_score

    y_true = _test_labels()
    y_pred = _predictions("6.2", y_pred, y_true)
    given_precision = _per_class("6.2", "precision", precision)
    given_recall = _per_class("6.2", "recall", recall)
    expected_precision = precision_score(y_true, y_pred, labels=LABELS, average=None, zero_division=np.nan)
    expected_recall = recall_score(y_true, y_pred, labels=LABELS, average=None, zero_division=np.nan)
    precision_ok = _same_scores(given_precision, expected_precision)
    recall_ok = _same_scores(given_recall, expected_recall)
    if precision_ok and recall_ok:
        passed("6.2", "precision and recall of every digit match scikit-learn's.")
        return
    if _same_scores(given_precision, expected_recall) and _same_scores(given_recall, expected_precision):
        fail("6.2", "precision and recall are swapped.",
             "Precision looks at the images the model called d; recall at the images that "
             "really are d. Which of the two is a row of the matrix, and which a column?")
    if _same_scores(given_precision / 100, expected_precision) and _same_scores(given_recall / 100, expected_recall):
        fail("6.2", "these look like percentages.", "Give fractions between 0 and 1, as scikit-learn does.")
    if np.nanmax(np.concatenate([given_precision, given_recall])) > 1.0:
        fail("6.2", "some values are above 1, but a precision or a recall is a share of images.",
             "Divide each digit's count of correct predictions by the count of images in its "
             "column (precision) or its row (recall).")
    correct = np.diag(_reference_matrix(y_true, y_pred))
    if close(given_precision, correct / len(y_true)) or close(given_recall, correct / len(y_true)):
        fail("6.2", "the values are divided by the number of all test images.",
             "Divide each digit's correct count by the images in that digit's own row or column.")
    if precision_ok:
        fail("6.2", "precision is right, recall is not.",
             "Recall of d: of the images that really are d, the share the model called d.")
    if recall_ok:
        fail("6.2", "recall is right, precision is not.",
             "Precision of d: of the images the model called d, the share that really are d.")
    fail("6.2", "neither precision nor recall matches.",
         "Both start from the diagonal of the confusion matrix (the correct predictions of each "
         "digit); they differ in what they divide by.")


def exercise_6_3(f1: Any, macro_f1: Any, weighted_f1: Any, y_pred: Any) -> None:
    """Exercise 6.3: per-digit F1, its macro average and its support-weighted average.

    Compared with ``f1_score`` with ``average=None``, ``"macro"`` and ``"weighted"``.
    Rejects the arithmetic mean of precision and recall, macro and weighted swapped, weights
    from the predicted counts instead of the support, the F1 of the averaged precision and
    recall, the micro average (which is the accuracy), and percentages.
    """
    __tracebackhide__ = True
    require_attempt("6.3", f1=f1, macro_f1=macro_f1, weighted_f1=weighted_f1)
    from sklearn.metrics import f1_score, precision_score, recall_score

    y_true = _test_labels()
    y_pred = _predictions("6.3", y_pred, y_true)
    given_f1 = _per_class("6.3", "f1", f1)
    macro = _scalar("6.3", "macro_f1", macro_f1)
    weighted = _scalar("6.3", "weighted_f1", weighted_f1)
    kwargs = {"labels": LABELS, "zero_division": 0.0}
    expected_f1 = f1_score(y_true, y_pred, average=None, **kwargs)
    expected_macro = f1_score(y_true, y_pred, average="macro", **kwargs)
    expected_weighted = f1_score(y_true, y_pred, average="weighted", **kwargs)
    precision = precision_score(y_true, y_pred, average=None, **kwargs)
    recall = recall_score(y_true, y_pred, average=None, **kwargs)

    percent = [close(value / 100, expected, rtol=RTOL) for value, expected in
               ((macro, expected_macro), (weighted, expected_weighted))]
    if _same_scores(given_f1 / 100, expected_f1) or any(percent):
        fail("6.3", "these look like percentages.",
             "Give fractions between 0 and 1, as the classification report does.")
    if close(macro, np.sum(expected_f1), rtol=RTOL) or close(weighted, np.sum(expected_f1), rtol=RTOL):
        fail("6.3", "an average is the sum of the ten F1 values, not their mean.",
             "An average divides the sum by the total weight: by 10 for the macro average, by "
             "the total support for the weighted one.")
    if np.nanmax(given_f1) > 1.0 or macro > 1.0 or weighted > 1.0:
        fail("6.3", "some values are above 1, but F1 lies between 0 and 1.",
             "F1 combines two shares of images (precision and recall), so it is a share too; "
             "an average of F1 values divides by the total weight.")
    if not _same_scores(given_f1, expected_f1):
        if close(given_f1, (precision + recall) / 2, rtol=RTOL):
            fail("6.3", "f1 is the ordinary mean of precision and recall.",
                 "F1 is their harmonic mean, which is pulled towards the smaller of the two.")
        fail("6.3", "f1 does not match.",
             "Compute F1 of each digit from that digit's precision and recall (exercise 6.2).")
    same = close(expected_macro, expected_weighted, rtol=RTOL)
    if close(macro, expected_macro, rtol=RTOL) and close(weighted, expected_weighted, rtol=RTOL):
        passed("6.3", "F1 per digit and both averages match the classification report.")
        return
    if not same and close(macro, expected_weighted, rtol=RTOL) and close(weighted, expected_macro, rtol=RTOL):
        fail("6.3", "macro_f1 and weighted_f1 are swapped.",
             "The macro average treats every digit alike; the weighted one counts each digit "
             "as often as it appears in the test set.")
    if not close(macro, expected_macro, rtol=RTOL):
        macro_p, macro_r = precision.mean(), recall.mean()
        if close(macro, 2 * macro_p * macro_r / (macro_p + macro_r), rtol=RTOL):
            fail("6.3", "macro_f1 is the F1 of the averaged precision and recall.",
                 "Average the ten per-digit F1 values themselves.")
        if close(macro, np.mean(y_true == y_pred), rtol=RTOL):
            fail("6.3", "macro_f1 equals the accuracy, which is the micro average.",
                 "The macro average is the plain mean of the ten per-digit F1 values.")
        fail("6.3", "macro_f1 does not match.", "It is the plain mean of the ten values in f1.")
    predicted_counts = np.bincount(y_pred, minlength=NUM_CLASSES)
    if close(weighted, np.sum(expected_f1 * predicted_counts) / predicted_counts.sum(), rtol=RTOL):
        fail("6.3", "weighted_f1 is weighted by how often each digit was predicted.",
             "The weights are the support: how many test images really show each digit.")
    if close(weighted, expected_macro, rtol=RTOL):
        fail("6.3", "weighted_f1 equals the macro average: the weights are missing.",
             "Weight each digit's F1 by its support, then divide by the total support.")
    fail("6.3", "weighted_f1 does not match.",
         "Weight each digit's F1 by its support (the images of that digit in the test set), "
         "add up, and divide by the sum of the weights.")


def _digit(exercise: str, name: str, value: Any) -> int:
    __tracebackhide__ = True
    if not is_number(value) or number(value) % 1 != 0:
        fail(exercise, f"{name} should be a single digit, a whole number from 0 to 9.",
             "Give a row or column number of the matrix.")
    digit = int(number(value))
    if not 0 <= digit < NUM_CLASSES:
        fail(exercise, f"{name} is {digit}, not a digit from 0 to 9.",
             "argmax on a 2-D array gives a position in the flattened array; "
             "np.unravel_index turns it back into (row, column).")
    return digit


def exercise_6_4(true_digit: Any, predicted_digit: Any, pair_indices: Any, y_pred: Any) -> None:
    """Exercise 6.4: the largest off-diagonal cell of the confusion matrix, and its images.

    ``true_digit`` is its row, ``predicted_digit`` its column (any cell tied for the largest
    count is accepted). ``pair_indices`` holds the positions in the test set of the images with
    that true label and that prediction, in any order, as integers (a list, an array, a tensor,
    the tuple ``np.where`` returns, the column of ``np.argwhere``) or a boolean mask; the cell
    after the check reads all of them through ``np.arange(len(y_test))[pair_indices]``. Rejects
    a diagonal cell, row and column swapped, both directions added together, a flat argmax
    index, and indices selected by only one of the two conditions.
    """
    __tracebackhide__ = True
    require_attempt("6.4", true_digit=true_digit, predicted_digit=predicted_digit,
                    pair_indices=pair_indices)
    y_true = _test_labels()
    y_pred = _predictions("6.4", y_pred, y_true)
    true_digit = _digit("6.4", "true_digit", true_digit)
    predicted_digit = _digit("6.4", "predicted_digit", predicted_digit)
    if true_digit == predicted_digit:
        fail("6.4", "true_digit and predicted_digit are the same digit: that is a diagonal cell, "
             "the images the model got right.",
             "Set the diagonal of a copy of the matrix to 0 before looking for the largest entry.")
    mistakes = _reference_matrix(y_true, y_pred)
    np.fill_diagonal(mistakes, 0)
    largest = mistakes.max()
    if mistakes[true_digit, predicted_digit] != largest:
        both_ways = mistakes + mistakes.T
        if mistakes[predicted_digit, true_digit] == largest:
            fail("6.4", "the two digits are swapped.",
                 "true_digit is the row of the cell (the real label), predicted_digit its "
                 "column (what the model answered).")
        if both_ways[true_digit, predicted_digit] == both_ways.max():
            fail("6.4", "this pair is the most confused when both directions are added together.",
                 "Look for the single largest cell: one direction only, true_digit taken "
                 "for predicted_digit.")
        fail("6.4", "this is not the largest cell off the diagonal.",
             "Copy the matrix, set its diagonal to 0, and find the position of its largest entry.")

    wanted = np.flatnonzero((y_true == true_digit) & (y_pred == predicted_digit))
    if isinstance(pair_indices, tuple) and len(pair_indices) == 1:  # what np.where returns
        pair_indices = pair_indices[0]
    indices = to_array("6.4", "pair_indices", pair_indices)
    if indices.ndim == 2 and indices.shape[1] == 1:  # the column np.argwhere returns
        indices = indices[:, 0]
    if indices.dtype == bool:
        if indices.shape != y_true.shape:
            fail("6.4", f"the mask pair_indices has shape {indices.shape}, not one value per test image.",
                 "Build the mask from y_test and y_pred, which have one entry per test image.")
        indices = np.flatnonzero(indices)
    if indices.ndim != 1:
        fail("6.4", f"pair_indices has shape {indices.shape}: it should be a flat list of positions.",
             "Store the indices of the images (np.flatnonzero of a mask), not the images.")
    if not np.all(np.mod(indices, 1) == 0):
        fail("6.4", "pair_indices holds fractions.", "Store whole-number positions in the test set.")
    given = np.unique(indices.astype(np.int64))
    if len(given) != len(indices):
        fail("6.4", "pair_indices holds some positions twice.", "Each image should be listed once.")
    if np.array_equal(given, wanted):
        passed("6.4", f"the most frequent mistake is a {true_digit} taken for a "
                      f"{predicted_digit}, and pair_indices finds those images.")
        return
    if np.array_equal(given, np.flatnonzero(y_true == true_digit)):
        fail("6.4", "pair_indices holds every test image of true_digit.",
             "Keep only those the model predicted as predicted_digit: combine two conditions with &.")
    if np.array_equal(given, np.flatnonzero(y_pred == predicted_digit)):
        fail("6.4", "pair_indices holds every image predicted as predicted_digit.",
             "Keep only those whose true label is true_digit: combine two conditions with &.")
    if np.array_equal(given, np.flatnonzero((y_true == predicted_digit) & (y_pred == true_digit))):
        fail("6.4", "pair_indices finds the mistake the other way round.",
             "The label must be true_digit and the prediction predicted_digit.")
    fail("6.4", "pair_indices does not hold exactly the images of this mistake.",
         "Select the test images whose label is true_digit and whose prediction is "
         "predicted_digit, and store their positions.")
