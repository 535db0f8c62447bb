"""A student's view, in a real JupyterLab in headless Chromium (see tests/browser.py).

On a temporary copy of the student notebook 01: every Contents link moves the view to its
heading (in JupyterLab, then in Notebook 7); a wrong answer to exercise 1.1 gives a failure of at most four lines that shows the
hint and no path of the course's package; a right answer gives the ✔. A screenshot of the
failed check is saved to build/screenshots/failed_check.png (the README shows a copy from
docs/). Fails with a plain message when Chromium, chromedriver or Selenium is missing;
``MNIST_COURSE_NO_BROWSER=1`` skips it on purpose.
"""

from __future__ import annotations

import time

import pytest

from browser import ROOT, Page, browser, lab  # noqa: F401  (pytest fixtures)

NOTEBOOK = "01_meet_the_data.ipynb"
SCREENSHOTS = ROOT / "build" / "screenshots"
WRONG_ANSWER = "shapes = (x_train.shape, y_train.shape)\nshapes"
RIGHT_ANSWER = "shapes = (x_train.shape, y_train.shape, x_test.shape, y_test.shape)\nshapes"

# Where a heading is, relative to the notebook's scrolling area, and whether that area can
# scroll further down (a heading near the end of the notebook cannot reach the top).
_HEADING_POSITION = """
const escaped = CSS.escape(arguments[0]);
const heading = document.querySelector(`[data-jupyter-id="${escaped}"], [id="${escaped}"]`);
if (!heading) return null;
const scroller = heading.closest('.jp-WindowedPanel-outer') || document.scrollingElement;
const area = scroller.getBoundingClientRect();
return {offset: heading.getBoundingClientRect().top - Math.max(area.top, 0),
        height: Math.min(area.bottom, window.innerHeight) - Math.max(area.top, 0),
        atBottom: scroller.scrollTop + scroller.clientHeight >= scroller.scrollHeight - 2};
"""
_SCROLL_TO_TOP = """
const scroller = document.querySelector('.jp-WindowedPanel-outer') || document.scrollingElement;
scroller.scrollTop = 0;
"""


def contents_links(page: Page) -> list[str]:
    """The fragments of the links in the notebook's first cell (its Contents list)."""
    from selenium.webdriver.common.by import By

    anchors = page.wait(lambda _: page.cells()[0].find_elements(
        By.CSS_SELECTOR, "a[href*='#']:not(.jp-InternalAnchorLink)"),
        "the first cell shows no links (is the Contents list rendered?)", timeout=20)
    return [anchor.get_attribute("href").split("#", 1)[1] for anchor in anchors]


def click_contents_link(page: Page, index: int) -> None:
    from selenium.webdriver.common.by import By

    page.driver.execute_script(_SCROLL_TO_TOP)
    anchor = page.cells()[0].find_elements(
        By.CSS_SELECTOR, "a[href*='#']:not(.jp-InternalAnchorLink)")[index]
    anchor.click()


def broken_contents_links(page: Page) -> list[str]:
    """Click every Contents link; return those after which the heading is not at the top."""
    broken = []
    for index, fragment in enumerate(contents_links(page)):
        click_contents_link(page, index)
        deadline = time.monotonic() + 3
        while True:
            where = page.driver.execute_script(_HEADING_POSITION, fragment)
            arrived = where is not None and 0 <= where["offset"] < where["height"] and (
                where["offset"] < 80 or where["atBottom"])
            if arrived or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        if not arrived:
            broken.append(f"#{fragment}: " + ("no heading has this id" if where is None else
                                              f"the heading is {where['offset']:.0f} px below the top"))
    return broken


@pytest.fixture(scope="module")
def notebook(lab, browser):  # noqa: F811  (pytest fixtures)
    page = Page(browser, lab)
    page.open(NOTEBOOK)
    page.hide_side_panel()
    return page


def test_the_notebook_runs_in_the_course_kernel(notebook):
    assert notebook.kernel_name() == "mnist-course"


def test_every_contents_link_moves_the_view_to_its_heading(notebook):
    fragments = contents_links(notebook)
    assert len(fragments) >= 10, f"the Contents list of {NOTEBOOK} has only {fragments}"
    assert broken_contents_links(notebook) == []


def test_a_failed_check_is_short_and_a_right_answer_passes(notebook):
    page = notebook
    setup = page.code_cell(containing="setup_notebook()")
    page.run(setup, timeout=120)
    assert "MNIST" in page.output_text(setup)

    answer = page.code_cell(containing="shapes = None")
    check = page.code_cell(containing="check.exercise_1_1(")
    page.set_cell_text(answer, WRONG_ANSWER)
    page.run(answer)
    page.run(check)
    failure = page.output_text(check)
    page.scroll_to(answer)
    page.screenshot(SCREENSHOTS / "failed_check.png")
    print(f"\nA wrong answer to 1.1, as the student reads it:\n{failure}\n")
    lines = [line for line in failure.splitlines() if line.strip()]
    assert 1 <= len(lines) <= 4, f"the failure takes {len(lines)} lines:\n{failure}"
    assert "Exercise 1.1" in failure and "Hint" in failure, failure
    for path in ("mnist_course/", "site-packages", "Traceback"):
        assert path not in failure, f"the failure shows {path!r}:\n{failure}"

    page.set_cell_text(answer, RIGHT_ANSWER)
    page.run(answer)
    page.run(check)
    success = page.output_text(check)
    print(f"A right answer:\n{success}\n")
    assert success.startswith("✔") and "Exercise 1.1" in success, success


def test_contents_links_also_work_in_notebook_7(lab, browser):  # noqa: F811  (pytest fixtures)
    page = Page(browser, lab)
    page.open(NOTEBOOK, app="notebook")
    assert broken_contents_links(page) == []
