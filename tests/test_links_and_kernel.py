"""Every link of every notebook reaches its target in JupyterLab, Notebook 7, nbconvert's HTML
and GitHub, and every notebook names the kernel that `make setup` and Binder register.

How the front ends find a link's target (read in their sources):

- JupyterLab 4 and Notebook 7 give a Markdown heading the id ``textContent.replace(/ /g, '-')``
  (case and punctuation kept; stored as ``data-jupyter-id`` by the sanitizer) and, on a click on
  ``#fragment``, look for that id with the fragment *as the browser encoded it*: a non-ASCII
  character (an en dash, a ``²``) is percent-encoded in the link and raw in the id, so the
  link does nothing.
- nbconvert's HTML gives the same id, then URL-quotes every character outside
  ``A-Za-z0-9_.-~`` and ``?/:@!$&'()*+,;=``.
- GitHub's notebook renderer follows Jupyter's rule (an ASCII id of this form is the same).

So a link works everywhere when its fragment is the heading's Jupyter id, made only of
characters that neither the browser nor nbconvert encode. The browser test
(tests/test_browser.py) clicks the links of a notebook in a real JupyterLab.
"""

from __future__ import annotations

import re
import shlex
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import nbformat
import pytest
from nbconvert.filters.markdown_mistune import markdown2html_mistune

from conftest import NOTEBOOKS, ROOT, SOLUTIONS

KERNEL_NAME = "mnist-course"
KERNEL_DISPLAY_NAME = "Python (mnist-course)"
ALL_FILES = sorted(SOLUTIONS.glob("*.ipynb")) + sorted(NOTEBOOKS.glob("*.ipynb"))
IDS = [str(p.relative_to(ROOT)) for p in ALL_FILES]
# Characters a fragment may hold so that no front end percent-encodes it (browsers encode
# non-ASCII, space, ", <, >, `; nbconvert also [ ] { } | \ ^ # %).
SAFE_FRAGMENT = re.compile(r"[A-Za-z0-9_.~?/:@!$&'()*+,;=-]+")


class _Collector(HTMLParser):
    """Headings (their text and nbconvert's id) and link targets of rendered Markdown."""

    def __init__(self):
        super().__init__()
        self.headings: list[tuple[str, str]] = []  # (text, nbconvert id)
        self.links: list[str] = []
        self._heading: list | None = None
        self._in_anchor_link = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if re.fullmatch(r"h[1-6]", tag):
            self._heading = [attrs.get("id", ""), ""]
        elif tag == "a":
            if self._heading is not None and attrs.get("class") == "anchor-link":
                self._in_anchor_link = True  # nbconvert's "¶", not part of the heading's text
            elif attrs.get("href"):
                self.links.append(attrs["href"])

    def handle_endtag(self, tag):
        if tag == "a":
            self._in_anchor_link = False
        elif re.fullmatch(r"h[1-6]", tag) and self._heading is not None:
            self.headings.append((self._heading[1], self._heading[0]))
            self._heading = None

    def handle_data(self, data):
        if self._heading is not None and not self._in_anchor_link:
            self._heading[1] += data


def jupyter_heading_id(text: str) -> str:
    """The id JupyterLab 4 and Notebook 7 give a heading (renderMarkdown.createHeaderId)."""
    return text.replace(" ", "-")


def notebook_targets(path: Path) -> tuple[dict[str, int], dict[str, int], list[tuple[int, str]]]:
    """(Jupyter ids -> how often, nbconvert ids -> how often, [(cell index, href)])."""
    jupyter: dict[str, int] = {}
    nbconvert: dict[str, int] = {}
    links: list[tuple[int, str]] = []
    for index, cell in enumerate(nbformat.read(path, as_version=4).cells):
        if cell.cell_type != "markdown":
            continue
        collector = _Collector()
        collector.feed(markdown2html_mistune(cell.source))
        for text, html_id in collector.headings:
            key = jupyter_heading_id(text.strip())
            jupyter[key] = jupyter.get(key, 0) + 1
            nbconvert[html_id] = nbconvert.get(html_id, 0) + 1
        links += [(index, href) for href in collector.links]
    return jupyter, nbconvert, links


def link_problems(path: Path) -> list[str]:
    """What is wrong with the in-notebook and cross-notebook links of *path* (empty: nothing)."""
    jupyter, nbconvert, links = notebook_targets(path)
    problems = [f"two headings have the id {key!r}: a link reaches only the first"
                for key, count in jupyter.items() if count > 1]
    for index, href in links:
        parts = urlsplit(href)
        if parts.scheme or parts.netloc:
            continue  # a web link: not ours to resolve
        target_path, fragment = path, parts.fragment
        if parts.path:
            target_path = (path.parent / unquote(parts.path)).resolve()
            if not target_path.exists():
                problems.append(f"cell {index}: {href!r} points to a missing file")
                continue
            if target_path.suffix != ".ipynb":
                continue
            jupyter_ids, nbconvert_ids, _ = notebook_targets(target_path)
        else:
            jupyter_ids, nbconvert_ids = jupyter, nbconvert
        if not fragment:
            continue
        if not SAFE_FRAGMENT.fullmatch(fragment):
            problems.append(f"cell {index}: the fragment of {href!r} has characters a browser "
                            "or nbconvert would percent-encode; keep headings ASCII")
        elif fragment not in jupyter_ids:
            problems.append(f"cell {index}: {href!r} matches no heading id in JupyterLab/Notebook 7 "
                            f"(a heading's id is its text with spaces replaced by '-')")
        elif fragment not in nbconvert_ids:
            problems.append(f"cell {index}: {href!r} matches no heading id in nbconvert's HTML")
    return problems


@pytest.mark.parametrize("path", ALL_FILES, ids=IDS)
def test_every_link_reaches_its_heading(path):
    problems = link_problems(path)
    assert not problems, f"{path.name}:\n" + "\n".join(problems)


@pytest.mark.parametrize("path", ALL_FILES, ids=IDS)
def test_every_contents_entry_is_a_working_link(path):
    """The Contents list links every section (##) and every exercise heading of the notebook."""
    cells = nbformat.read(path, as_version=4).cells
    contents = cells[0].source.split("**Contents**", 1)[1]
    linked = set(re.findall(r"\]\(#([^)]+)\)", contents))
    headings = {jupyter_heading_id(m.lstrip("# ")) for cell in cells if cell.cell_type == "markdown"
                for m in re.findall(r"^(## .+?|### Exercise .+?)\s*$", cell.source, re.M)}
    assert headings - linked == set(), "headings missing from the Contents list"


def test_the_link_rules_catch_a_broken_link(tmp_path):
    """The checker itself: an en dash in a heading, a link to no heading, a good link."""
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("[a](#Exercise-1.1-–-Shapes) [b](#Nowhere) [c](#Good:-one)"),
        nbformat.v4.new_markdown_cell("### Exercise 1.1 – Shapes\n\n## Good: one")])
    path = tmp_path / "x.ipynb"
    nbformat.write(notebook, path)
    problems = link_problems(path)
    assert len(problems) == 2
    assert "percent-encode" in problems[0] and "#Nowhere" in problems[1]


@pytest.mark.parametrize("path", ALL_FILES, ids=IDS)
def test_notebook_names_the_course_kernel(path):
    spec = nbformat.read(path, as_version=4).metadata.get("kernelspec", {})
    assert spec.get("name") == KERNEL_NAME and spec.get("display_name") == KERNEL_DISPLAY_NAME, (
        f"{path.name} names the kernel {spec.get('name')!r}; set its metadata to the course kernel")


def _registered_kernels(text: str) -> list[tuple[str, str]]:
    """(name, display name) of every `ipykernel install` command in a shell script or Makefile."""
    text = text.replace("$(KERNEL_NAME)", KERNEL_NAME if "KERNEL_NAME := mnist-course" in text
                        else "$(KERNEL_NAME)")
    found = []
    for line in text.splitlines():
        if "ipykernel install" in line:
            words = shlex.split(line.strip())
            found.append((words[words.index("--name") + 1],
                          words[words.index("--display-name") + 1]))
    return found


@pytest.mark.parametrize("script", ["Makefile", "postBuild"])
def test_setup_and_binder_register_the_course_kernel(script):
    assert _registered_kernels((ROOT / script).read_text()) == [(KERNEL_NAME, KERNEL_DISPLAY_NAME)]
