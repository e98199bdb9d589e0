"""FalkorDB query parameters, written column by column.

FalkorDB takes parameters as a ``CYPHER name=value …`` header in front of the query text
(what its own client does, value by value). Loading sends whole columns as list
parameters, so each column is turned into one list literal with vectorised string
operations: strings double-quoted with ``\\`` and ``"`` escaped, numbers as Python writes
them, missing values ``null``. Two kinds of value the engine cannot hold are changed and
counted in ``Cleaned``: a NUL character (it ends the engine's strings) becomes U+FFFD, and
a float that is not finite becomes ``null``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from graphkit.store.rows import present


@dataclass
class Cleaned:
    """Values changed so that the engine can hold them, per ``(file, column)``."""

    nul_replaced: dict[tuple[str, str], int] = field(default_factory=dict)
    non_finite: dict[tuple[str, str], int] = field(default_factory=dict)

    def add(self, counts: dict, where: tuple[str, str], n: int) -> None:
        """Count ``n`` more changes of one kind at ``where``."""
        if n:
            counts[where] = counts.get(where, 0) + n

    def lines(self) -> list[str]:
        """One plain line per kind of change and column."""
        return ([f"{f} column '{c}': NUL replaced by U+FFFD in {n:,} values"
                 for (f, c), n in sorted(self.nul_replaced.items())]
                + [f"{f} column '{c}': {n:,} values not finite, loaded as missing"
                   for (f, c), n in sorted(self.non_finite.items())])


def quote(text: str) -> str:
    """One string literal (NUL already replaced)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _strings(values: list, where: tuple[str, str], cleaned: Cleaned) -> list[str]:
    nul = sum(1 for v in values if v.__class__ is str and "\x00" in v)
    if nul:
        cleaned.add(cleaned.nul_replaced, where, nul)
        values = [v.replace("\x00", "\ufffd") if v.__class__ is str else v for v in values]
    return ['"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"' if v.__class__ is str
            else "null" for v in values]


def _scalar(value, where: tuple[str, str], cleaned: Cleaned) -> str:
    if not present(value):
        return "null"
    if hasattr(value, "item") and not isinstance(value, np.ndarray):
        value = value.item()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isinf(value):
            cleaned.add(cleaned.non_finite, where, 1)
            return "null"
        return repr(value)
    if isinstance(value, list | tuple | np.ndarray):
        items = [_scalar(v, where, cleaned) for v in value]
        return "[" + ",".join(i for i in items if i != "null") + "]"
    text = str(value)
    if "\x00" in text:
        cleaned.add(cleaned.nul_replaced, where, 1)
        text = text.replace("\x00", "\ufffd")
    return quote(text)


def list_literal(values: pd.Series, where: tuple[str, str], cleaned: Cleaned) -> str:
    """The column ``values`` as one FalkorDB list literal."""
    if pd.api.types.infer_dtype(values, skipna=True) == "string":
        items = _strings(values.tolist(), where, cleaned)
    elif pd.api.types.is_integer_dtype(values.dtype):
        items = ["null" if v is pd.NA else str(int(v)) for v in values.tolist()]
    else:
        items = [_scalar(v, where, cleaned) for v in values.tolist()]
    return "[" + ",".join(items) + "]"


def header(params: dict[str, str]) -> str:
    """The ``CYPHER`` header for parameters already written as literals (names are
    checked identifiers)."""
    return "CYPHER " + " ".join(f"{name}={literal}" for name, literal in params.items()) + " "


def int_list(values: np.ndarray) -> str:
    """A list literal of integers."""
    return "[" + ",".join(map(str, values.tolist())) + "]"
