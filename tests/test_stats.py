"""`--stats FILE.md`: shares per exercise, the chart beside the page, frequent failure messages."""

from __future__ import annotations

from mnist_course.grade import ExerciseResult, Report
from mnist_course.grade.stats import markdown, statistics, write_stats


def report(name: str, *results: tuple[str, str, str]) -> Report:
    return Report(name, exercises=[ExerciseResult(*result) for result in results])


REPORTS = [
    report("a", ("1.1", "passed", ""), ("1.2", "failed", "Exercise 1.2: counts of the test set.\nCount y_train."),
           ("10.1", "passed", "")),
    report("b", ("1.1", "failed", "Exercise 1.1: another order."), ("1.2", "failed", "Exercise 1.2: counts of the test set."),
           ("10.1", "not reached", "")),
    report("c", ("1.1", "passed", ""), ("1.2", "not attempted", ""), ("10.1", "timed out", "")),
    report("d", ("1.1", "passed", ""), ("1.2", "failed", "Exercise 1.2: fractions."), ("10.1", "not attempted", "")),
    Report("e", error="not a valid Jupyter notebook"),
]


def test_shares_and_messages():
    stats = statistics(REPORTS)
    assert list(stats.counts) == ["1.1", "1.2", "10.1"]  # numeric order, not text order
    assert stats.statuses == ["passed", "failed", "not attempted", "not reached", "timed out"]
    assert stats.shares["1.1"]["passed"] == 0.75 and stats.shares["1.2"]["failed"] == 0.75
    assert stats.messages["1.2"].most_common() == [("Exercise 1.2: counts of the test set.", 2),
                                                   ("Exercise 1.2: fractions.", 1)]
    assert stats.not_graded == ["e: not a valid Jupyter notebook"]


def test_the_page():
    page = markdown(statistics(REPORTS), "stats.png")
    assert "5 submissions, 4 graded, 1 not graded" in page
    assert "| Exercise | Passed | Failed | Not attempted | Not reached | Timed out |" in page
    assert "| 1.2 | 0% (0) | 75% (3) | 25% (1) | 0% (0) | 0% (0) |" in page
    assert "![Results per exercise](stats.png)" in page
    lines = page.splitlines()
    top = lines.index("**Exercise 1.2** (3 failed)")
    assert lines[top + 2:top + 4] == ["- 2 × Exercise 1.2: counts of the test set.", "- 1 × Exercise 1.2: fractions."]
    assert "- e: not a valid Jupyter notebook" in page


def test_write_stats_puts_the_chart_beside_the_page(tmp_path):
    from PIL import Image

    page, image = write_stats(REPORTS, tmp_path / "out" / "class.md")
    assert image == tmp_path / "out" / "class.png"
    with Image.open(image) as picture:
        width, height = picture.size
        colours = {colour for _, colour in picture.convert("RGB").getcolors(1 << 20)}
    assert 600 <= width <= 900 and height < width  # fits a page's column
    assert {(0x2E, 0x7D, 0x32), (0xC6, 0x28, 0x28)} <= colours  # passed and failed bars are drawn


def test_no_failures():
    page = markdown(statistics([report("a", ("1.1", "passed", ""))]), "x.png")
    assert "No check failed." in page
