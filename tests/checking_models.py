"""What the check tests of notebooks 04-07 share beyond ``checking.py``: the solution lines no
hint may show, and models written in the less common ways (activations as layers of their own,
subclassed models, learning-rate schedules, a model that was trained before).

Example:
    lines = solution_lines("04_normalisation")
    assert_no_solution_line("Hint: use build_mlp(learning_rate)", lines)   # fails if it is one
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

SOLUTIONS = Path(__file__).resolve().parent.parent / "solutions"


def _normal(text: str) -> str:
    """Code as compared: no spaces, double quotes, no trailing comma or semicolon."""
    return re.sub(r"\s+", "", text).replace("'", '"').rstrip(",;")


@functools.lru_cache(maxsize=None)
def solution_lines(notebook: str) -> tuple[str, ...]:
    """The code a hint must not show: each line of the notebook's solutions (between the
    nbgrader markers), and the right-hand side of each assignment among them, normalised;
    code the notebook's Markdown (prompts) already shows, short lines, first lines of a block
    or a call, and settings the prompt fixes (``batch_size = 32``) are left out.
    """
    cells = json.loads((SOLUTIONS / f"{notebook}.ipynb").read_text())["cells"]
    prose = _normal(" ".join("".join(cell["source"]) for cell in cells if cell["cell_type"] == "markdown"))
    found = set()
    for cell in cells:
        inside = False
        for line in "".join(cell["source"]).splitlines():
            stripped = line.strip()
            if stripped.startswith("### BEGIN SOLUTION"):
                inside = True
            elif stripped.startswith("### END SOLUTION"):
                inside = False
            elif inside and stripped and not stripped.startswith(("#", '"""')):
                code = stripped.split("  #")[0]
                pieces = [code]
                if re.match(r"^[\w\s,\[\]\.]+=[^=]", code):
                    pieces.append(code.split("=", 1)[1])
                for piece in pieces:
                    normal = _normal(piece)
                    opener = normal.endswith(("(", "[", "{", ":"))       # a def, a loop, a call's first line
                    setting = re.fullmatch(r"\w+=[-\d.e]+", normal)      # a hyperparameter the prompt fixes
                    if len(normal) >= 12 and normal not in prose and not opener and not setting:
                        found.add(normal)
    return tuple(sorted(found))


def assert_no_solution_line(message: str, lines: tuple[str, ...]) -> None:
    """Assert that a failure message shows none of the solution ``lines``."""
    shown = _normal(message)
    leaked = [line for line in lines if line in shown]
    assert not leaked, f"the failure shows the solution code {leaked}: {message}"


def trained_before(model, steps: int = 10**6):
    """``model`` with its optimizer's step counter set as if it had been trained before."""
    model.optimizer.build(model.trainable_variables)
    model.optimizer.iterations.assign(steps)
    return model
