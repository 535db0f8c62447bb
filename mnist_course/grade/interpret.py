"""One result per exercise, from the judge's verdicts and what happened when the copy ran.

The judge (:mod:`mnist_course.grade.judge`) decides whether an answer passes. What ran in
the kernel only explains the other outcomes: the exercise cell still raised
``NotImplementedError`` (**not attempted**), an earlier error left a name undefined (**not
reached**), a cell ran out of time (**timed out**), the kernel died. Tampering found by the
scan, or claimed by the kernel about its own check functions, turns the result into
**tampered** and keeps what the course's check found in the detail.

Example:
    >>> results, everywhere, notes, errors = interpret(plan, reference, outcome, verdicts, handed)  # doctest: +SKIP
"""

from __future__ import annotations

import ast
import re

from mnist_course.grade.plan import Plan, _bound_names, first_line
from mnist_course.grade.reference import Reference, parse
from mnist_course.grade.results import (
    FAILED, NOT_ATTEMPTED, NOT_REACHED, PASSED, TAMPERED, TIMED_OUT, ExerciseResult,
)
from mnist_course.grade.run import TIMEOUT_ENAME, Execution
from mnist_course.grade.scan import exercise_in


def error_of(cell, reply: dict | None) -> tuple[str, str] | None:
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            return output.get("ename", ""), output.get("evalue", "")
    if reply and reply.get("status") == "error":
        return reply.get("ename", ""), reply.get("evalue", "")
    return None


def error_text(name: str, value: str) -> str:
    value = first_line(value, 160)
    return f"{name}: {value}" if value else name


def one_line(text: str) -> str:
    return " ".join(line.strip() for line in text.splitlines() if line.strip())


def _read_names(source: str) -> set[str]:
    """Names a cell reads that it does not bind itself (those come from earlier cells)."""
    tree = parse(source)
    if tree is None:
        return set()
    read = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)}
    return read - _bound_names(tree)


def broken_inputs(plan: Plan, executed: set[int], failed: dict[int, str]) -> dict[int, tuple[int, str]]:
    """For each executed cell that reads a name whose latest definition before it is in a
    cell that raised (``failed``: index -> its error), or in a cell broken that way itself:
    the first cell of that chain and the names it left broken. A crash in exercise 2.2 that left
    ``x_train_flat`` at ``None`` marks every later cell reading ``x_train_flat``.

    Example:
        >>> broken_inputs(plan, {1, 2, 3}, {2: "TypeError: ..."})   # doctest: +SKIP
        {3: (2, 'x_train_flat')}
    """
    cells = plan.notebook.cells
    providers: dict[str, int] = {}  # name -> the latest executed cell that binds it
    broken: dict[int, tuple[int, str]] = {}
    for index in sorted(executed):
        if index not in plan.original_index or cells[index].cell_type != "code":
            continue
        roots: dict[int, list[str]] = {}
        for name in sorted(_read_names(cells[index].source)):
            provider = providers.get(name)
            if provider in failed:
                roots.setdefault(provider, []).append(name)
            elif provider in broken:
                roots.setdefault(broken[provider][0], []).append(name)
        if roots:
            root = min(roots)
            broken[index] = (root, " and ".join(roots[root]))
        for name in _bound_names(parse(cells[index].source)):
            providers[name] = index
    return broken


def interpret(plan: Plan, reference: Reference, outcome: Execution, verdicts: dict[str, dict],
              kernel_notes: dict[str, list[str]]) -> tuple[list[ExerciseResult], list[str], list[str], list[str]]:
    """Results by exercise, tampering that affects every exercise, notes, and errors of other cells.

    ``verdicts`` are the judge's by exercise; ``kernel_notes`` what the kernel noticed at each
    check position (a replaced check function counts as tampering with that exercise).
    """
    cells = plan.notebook.cells
    setup_ok = 0 in outcome.executed and error_of(cells[0], outcome.replies.get(0)) is None
    errors: list[tuple[int, str]] = []
    exercise_indices = {i for found in plan.exercise_cells.values() for i in found}
    graders = set(plan.grader_cells.values())
    for index in sorted(outcome.executed):
        if index in plan.original_index and index not in graders:
            error = error_of(cells[index], outcome.replies.get(index))
            if error and error[0] != TIMEOUT_ENAME:
                errors.append((index, error_text(*error)))
            elif index in outcome.timed_out:
                errors.append((index, "timed out"))

    def where(index: int) -> str:
        original = plan.original_index[index]
        return f"cell {original + 1} (`{first_line(cells[index].source, 40)}`)"

    cell_errors = [f"{where(i)}: {text}" for i, text in errors if i not in exercise_indices]
    broken = broken_inputs(plan, outcome.executed | graders, dict(errors))
    owner = {i: e for e, found in plan.exercise_cells.items() for i in found}
    raised = dict(errors)

    def cause(index: int) -> str:
        """Why the cell ``index`` could not do its work: the earlier error it depends on."""
        root, name = broken[index]
        text = raised[root]
        if root in owner:
            what = (f"exercise {owner[root]} is not attempted" if text.startswith("NotImplementedError")
                    else f"exercise {owner[root]}'s cell {'ran out of time' if text == 'timed out' else 'raised ' + text}")
        else:
            what = f"{where(root)} {'ran out of time' if text == 'timed out' else 'raised ' + text}"
        return f"it uses {name}, which an earlier error left undefined or broken: {what}"

    own: dict[str, list[str]] = {e: list(plan.tampering.get(e, [])) for e in reference.exercises}
    everywhere = list(plan.tampering.get(None, []))
    notes = list(plan.notes)
    for exercise in reference.exercises:
        for text in kernel_notes.get(exercise, []):
            named = exercise_in(text)
            if named in own and text.startswith(f"{reference.module}.exercise_"):
                if text not in own[named]:
                    own[named].append(text)
            elif text not in notes:
                notes.append(text)
    results = []
    for exercise in reference.exercises:
        grader_index = plan.grader_cells[exercise]
        verdict = verdicts.get(exercise) if grader_index in outcome.executed else None
        cells_of = [i for i in plan.exercise_cells[exercise] if i < grader_index]
        inherited = next((cause(i) for i in cells_of + [grader_index]
                          if i in broken and broken[i][0] not in cells_of), "")
        status, detail = _status(exercise, plan, outcome, verdict, errors, grader_index, setup_ok, where,
                                 inherited)
        output = (verdict or {}).get("output", "") if status == PASSED else ""
        if own[exercise] or everywhere:
            found = f"the course's check: {status}" + (f" ({one_line(detail)})" if detail else "")
            status, detail = TAMPERED, found
        results.append(ExerciseResult(exercise, status, detail, own[exercise], output))
    return results, everywhere, notes, cell_errors


def _status(exercise, plan: Plan, outcome: Execution, verdict, errors, grader_index, setup_ok, where,
            inherited: str = ""):
    """The status and detail of one exercise; ``inherited`` says which earlier error broke
    what this exercise uses (empty when nothing did)."""
    cells = plan.notebook.cells
    own = [i for i in plan.exercise_cells[exercise] if i < grader_index]
    earlier = next((f"{where(i)} raised {text}" for i, text in errors if i < min(own + [grader_index])), "")
    because = f" (earlier, {earlier})" if earlier else ""
    if verdict and verdict.get("status") == PASSED:
        for index in own:
            error = error_of(cells[index], outcome.replies.get(index)) if index in outcome.executed else None
            if error:  # the answer is right, but the cell also raised (e.g. a stub line left in)
                return PASSED, f"(but the exercise cell also raised {error_text(*error)})"
        return PASSED, ""
    if not setup_ok and 0 in outcome.executed:
        if 0 in outcome.timed_out:
            return NOT_REACHED, "the grader's set-up (importing the course) ran out of time"
        error = error_of(cells[0], outcome.replies.get(0)) or ("", "")
        return NOT_REACHED, f"the grader could not set up in the kernel: {error[0]}: {error[1]}"
    for index in own:
        if index in outcome.timed_out:
            if index == outcome.stopped_at:
                return TIMED_OUT, f"{outcome.stop_reason} while the exercise cell ran"
            return TIMED_OUT, f"the exercise cell ran longer than the time limit ({outcome.cell_timeout} s)"
    for index in own:
        if index not in outcome.executed:
            continue
        error = error_of(cells[index], outcome.replies.get(index))
        if error is None:
            continue
        name, value = error
        if name == "NotImplementedError":
            return NOT_ATTEMPTED, "the exercise cell still raises NotImplementedError"
        missing = re.search(r"name '(\w+)' is not defined", value)
        if name == "NameError" and missing and missing.group(1) in plan.bound_before.get(index, set()):
            return NOT_REACHED, f"NameError: {value}{because}"
        if name == "KeyboardInterrupt":
            continue
        if inherited and name != "NameError":  # a NameError of a name no cell defines is a typo
            return NOT_REACHED, inherited
        if earlier and "NoneType" in value and name in ("TypeError", "AttributeError"):
            # e.g. an earlier exercise left its answer at None and this one computes with it
            return NOT_REACHED, f"{error_text(name, value)}{because}"
        return FAILED, f"the exercise cell raised {error_text(name, value)}"
    if grader_index in outcome.timed_out:
        if grader_index == outcome.stopped_at:
            return TIMED_OUT, f"{outcome.stop_reason} while the check's answers were handed over"
        return TIMED_OUT, f"handing the answers over took longer than the time limit ({outcome.cell_timeout} s)"
    if grader_index not in outcome.executed:
        stop = outcome.stop_reason or "the notebook stopped"
        started = [i for i in own if i in outcome.executed]
        if outcome.stopped_at is not None and started and outcome.stopped_at in own:
            if outcome.stopped_at in outcome.timed_out:
                return TIMED_OUT, stop
            return FAILED, stop
        return NOT_REACHED, stop
    if verdict is None:
        error = error_of(cells[grader_index], outcome.replies.get(grader_index))
        text = f"{error[0]}: {error[1]}" if error else "no verdict"
        return NOT_REACHED, f"the check could not run ({text})"
    status, message = verdict.get("status"), verdict.get("message", "")
    if inherited and status in (FAILED, NOT_REACHED):
        return NOT_REACHED, inherited
    if status == NOT_REACHED:
        missing = re.search(r"name '(\w+)' is not defined", message)
        if missing and missing.group(1) not in plan.bound_before.get(grader_index, set()):
            return FAILED, f"{message}: the exercise must define {missing.group(1)}"
        return NOT_REACHED, message + because
    if status in (FAILED, NOT_ATTEMPTED):
        return status, message
    return NOT_REACHED, f"the grader could not judge this exercise: {message}"
