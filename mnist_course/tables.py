"""Small result tables that render as Markdown in Jupyter and as aligned text elsewhere.

A notebook builds a list of rows (dicts with the same keys) and ends a cell with
``tables.Table(rows)``; Jupyter shows it as a formatted table. Used by notebook 04 to
compare training runs.

Example:
    >>> table = Table([{"model": "baseline", "test accuracy": 0.9712, "time (s)": 21.4}],
    ...               formats={"test accuracy": "{:.2%}", "time (s)": "{:.0f}"})
    >>> print(table)
    model    | test accuracy | time (s)
    baseline | 97.12%        | 21
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


class Table:
    """Rows of results with the same keys; ``formats`` maps a column to a format string.

    A value of None is shown as a dash.

    Example:
        >>> Table([{"a": 1}, {"a": 22}]).columns
        ['a']
    """

    def __init__(self, rows: Sequence[Mapping[str, Any]], *, formats: Mapping[str, str] | None = None):
        if not rows:
            raise ValueError("Table needs at least one row.")
        self.columns = list(rows[0].keys())
        for row in rows:
            if list(row.keys()) != self.columns:
                raise ValueError(f"every row needs the columns {self.columns}, in that order; "
                                 f"got {list(row.keys())}.")
        self.rows = [dict(row) for row in rows]
        self.formats = dict(formats or {})

    def cells(self) -> list[list[str]]:
        """The rows as text, each value formatted with its column's format."""
        return [[self._format(column, row[column]) for column in self.columns] for row in self.rows]

    def _format(self, column: str, value: Any) -> str:
        if value is None:
            return "–"
        if column in self.formats:
            return self.formats[column].format(value)
        return str(value)

    def _repr_markdown_(self) -> str:
        lines = ["| " + " | ".join(self.columns) + " |",
                 "|" + "|".join("---" for _ in self.columns) + "|"]
        lines += ["| " + " | ".join(cells) + " |" for cells in self.cells()]
        return "\n".join(lines)

    def __str__(self) -> str:
        cells = self.cells()
        widths = [max(len(column), *(len(row[i]) for row in cells))
                  for i, column in enumerate(self.columns)]
        lines = [" | ".join(text.ljust(width) for text, width in zip(self.columns, widths)).rstrip()]
        lines += [" | ".join(text.ljust(width) for text, width in zip(row, widths)).rstrip()
                  for row in cells]
        return "\n".join(lines)

    __repr__ = __str__
