"""A user's CSV file as features and labels, with a label column that must look like class labels.

The label is the last column unless ``label_column`` (``--label-column``) names another, by header
name or by index (negative counts from the end).  A CSV whose label sits in its first column would
otherwise train silently on a feature as if it were the class: 17 "classes" of digit pixel values,
and a fine-looking accuracy.  So the default column is checked before anything trains, and refused
when it does not look like class labels (:data:`RULES`), with a hint naming a column that does.
Naming the column yourself says that it is meant: then only the hard rules (integers, none
negative) apply, which is also how a genuinely rare class gets through.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

MIN_EXAMPLES = 5          # a class with fewer examples cannot be split into train, validation and test
MAX_IMBALANCE = 50        # largest class / smallest class
MAX_CLASS_SHARE = 0.05    # classes per row; a small table may always have up to FEW_CLASSES
FEW_CLASSES = 10
RULES = (f"integer values, none negative, at least 2 classes, each with at least {MIN_EXAMPLES} examples, the "
         f"largest at most {MAX_IMBALANCE} times the smallest, and no more classes than {MAX_CLASS_SHARE:.0%} of "
         f"the rows (or {FEW_CLASSES})")


def read_csv(path: Path, label_column: int | str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Features (float64) and integer labels of a CSV file, refusing a label column that looks wrong."""
    with open(path, newline="") as f:
        rows = [row for row in csv.reader(f) if row]
    header = None
    if rows and _is_header(rows[0]):
        header, rows = [cell.strip() for cell in rows[0]], rows[1:]
    lengths = [len(row) for row in rows]
    if len(set(lengths)) > 1:
        bad = next(i for i, n in enumerate(lengths) if n != lengths[0])
        raise ValueError(f"data {str(path)!r} is ragged: row {bad + 1} has {lengths[bad]} values, row 1 has "
                         f"{lengths[0]} (rows after a header line counted from 1)")
    try:
        table = np.array(rows, dtype=np.float64)
    except ValueError as err:
        raise ValueError(f"data {str(path)!r}: every row must be numbers, with a header line or none ({err})") from None
    if table.ndim != 2 or table.shape[1] < 2:
        raise ValueError(f"data {str(path)!r} needs at least one feature column and a label column")
    index = column_index(path, label_column, header, table.shape[1])
    problems = label_problems(table[:, index], hard_only=label_column is not None)
    if problems:
        raise ValueError(f"data {str(path)!r}: {_name(index, header, table.shape[1])}, taken as the label, does not "
                         f"look like class labels: {'; '.join(problems)}; {_hint(table, index, header)}")
    return np.delete(table, index, axis=1), table[:, index].astype(np.int64)


def column_index(path: Path, label_column: int | str | None, header: list[str] | None, n_columns: int) -> int:
    """The non-negative index of ``label_column`` (None: the last column; a number: an index, negative
    from the end; other text: a header name)."""
    if label_column is None:
        return n_columns - 1
    text = str(label_column).strip()
    try:
        index = int(text)
    except ValueError:
        if header is None:
            raise ValueError(f"label_column {text!r}: data {str(path)!r} has no header line to find a column "
                             f"name in; give an index (0 to {n_columns - 1}, or negative from the end)") from None
        if text not in header:
            shown = ", ".join(repr(name) for name in header[:12]) + (", ..." if len(header) > 12 else "")
            raise ValueError(f"label_column {text!r}: no such column in data {str(path)!r}; its columns: {shown}")
        return header.index(text)
    if not -n_columns <= index < n_columns:
        raise ValueError(f"label_column {index}: data {str(path)!r} has {n_columns} columns; valid: "
                         f"{-n_columns} to {n_columns - 1}, or a header name")
    return index % n_columns


def label_problems(values: np.ndarray, hard_only: bool = False) -> list[str]:
    """Why a column does not look like class labels (empty: it does).  ``hard_only``: only what no
    labels can be (fractions, negatives), not what is merely unlikely (rare or too many classes)."""
    fractional = np.flatnonzero(values != np.round(values))          # NaN counts: it is no integer either
    if fractional.size:
        row = fractional[0]
        return [f"it must hold integer class labels, got {float(values[row])!r} in row {row + 1}"]
    if values.size and values.min() < 0:
        row = int(np.argmin(values))
        return [f"it has a negative label {int(values[row])} in row {row + 1}"]
    if hard_only:
        return []
    classes, counts = np.unique(values.astype(np.int64), return_counts=True)
    problems = []
    if classes.size < 2:
        problems.append(f"it holds one class only ({int(classes[0])})" if classes.size else "it is empty")
    rare = counts < MIN_EXAMPLES
    if rare.any():
        smallest = int(np.argmin(counts))
        problems.append(f"{int(rare.sum())} of its {classes.size} classes have fewer than {MIN_EXAMPLES} examples "
                        f"(class {int(classes[smallest])}: {int(counts[smallest])})")
    if counts.size and counts.max() > MAX_IMBALANCE * counts.min():
        problems.append(f"its largest class ({int(classes[np.argmax(counts)])}: {int(counts.max()):,} examples) is "
                        f"{counts.max() / counts.min():,.0f} times its smallest (more than {MAX_IMBALANCE})")
    if classes.size > max(FEW_CLASSES, MAX_CLASS_SHARE * values.size):
        problems.append(f"{classes.size} classes in {values.size:,} rows (more than {MAX_CLASS_SHARE:.0%} of them)")
    return problems


def _name(index: int, header: list[str] | None, n_columns: int) -> str:
    where = "the last column" if index == n_columns - 1 else f"column {index}"
    return where + (f" ({header[index]!r})" if header else "")


def _hint(table: np.ndarray, rejected: int, header: list[str] | None) -> str:
    """A column that would make a plausible label (the first, the last, then the others), as advice."""
    n_columns = table.shape[1]
    for index in dict.fromkeys([0, n_columns - 1, *range(1, n_columns - 1)]):
        if index != rejected and not label_problems(table[:, index]):
            counts = np.unique(table[:, index], return_counts=True)[1]
            sizes = f"{counts.min():,} examples each" if counts.min() == counts.max() else \
                f"{counts.min():,} to {counts.max():,} examples"
            return (f"{_name(index, header, n_columns)} would make a plausible label ({counts.size} classes of "
                    f"{sizes}): pass --label-column {index} (label_column={index})")
    return (f"no column looks like one ({RULES}); pass --label-column with the column that holds the labels (a "
            f"header name or an index), which also says that these are meant")


def _is_header(row: list[str]) -> bool:
    """A header line: its last cell, or at least half its cells, are not numbers (a data row with
    one mistyped value stays a data row, and is refused as such)."""
    words = [not _is_number(cell) for cell in row]
    return words[-1] or 2 * sum(words) >= len(words)


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False
