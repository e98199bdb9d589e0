"""The changes between two builds, one row per change, and their files.

Kinds (``KINDS``, in this order in every file): ``ring_new``, ``ring_grown``,
``ring_shrunk``, ``ring_changed`` (members both joined and left), ``ring_dissolved``,
``ring_merged`` / ``ring_split`` (which old ring ids became which new ones),
``score_changed`` (past ``Settings.diff_score_change``), ``newly_listed`` (a match with a
list entry the previous build's lists did not have), ``hit_new``, ``hit_cleared``,
``entity_merged`` / ``entity_split`` / ``entity_renamed`` (which entity ids became which;
renamed: the same records under the id of another of them), ``records_added`` /
``records_removed`` (per source layout).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from graphkit.csvsafe import write_csv

CHANGES_CSV = "changes.csv"
CHANGES_JSON = "changes.json"

KINDS = ("ring_new", "ring_grown", "ring_shrunk", "ring_changed", "ring_dissolved",
         "ring_merged", "ring_split", "score_changed", "newly_listed", "hit_new",
         "hit_cleared", "entity_merged", "entity_split", "entity_renamed", "records_added",
         "records_removed")

#: Columns of ``changes.csv`` (lists inside a cell are joined by ``;``).
CHANGE_COLUMNS = ("change", "ring_id", "old_ids", "entity_id", "joined", "left", "source",
                  "count", "list", "list_id", "listed_name", "programs", "old_value",
                  "new_value", "evidence", "detail")


@dataclass
class Changes:
    """Changes from build ``old`` to build ``new``: rows of ``CHANGE_COLUMNS``."""

    old: str
    new: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    settings_changed: list[str] = field(default_factory=list)

    def add(self, change: str, detail: str, **values: Any) -> None:
        """Record one change of kind ``change`` (one of ``KINDS``)."""
        if change not in KINDS:
            raise ValueError(f"unknown change kind {change!r}")
        row = {c: "" for c in CHANGE_COLUMNS}
        for key, value in values.items():
            if key not in row:
                raise KeyError(f"no change column {key!r}")
            row[key] = ";".join(map(str, value)) if isinstance(value, (list, tuple, set)) \
                else value
        row.update(change=change, detail=detail)
        self.rows.append(row)

    def counts(self) -> dict[str, int]:
        """Changes per kind, every kind listed."""
        seen = Counter(r["change"] for r in self.rows)
        return {k: seen.get(k, 0) for k in KINDS}

    def to_frame(self) -> pd.DataFrame:
        """One row per change, ordered by kind."""
        order = {k: i for i, k in enumerate(KINDS)}
        rows = sorted(self.rows, key=lambda r: order[r["change"]])
        return pd.DataFrame(rows, columns=list(CHANGE_COLUMNS))

    def to_json(self) -> dict[str, Any]:
        """``changes.json``: the two builds, counts per kind and the rows."""
        return {"old_build": self.old, "new_build": self.new,
                "settings_changed": self.settings_changed, "counts": self.counts(),
                "changes": self.to_frame().to_dict("records")}

    def headline(self) -> list[str]:
        """The lines summary.txt starts with."""
        c = self.counts()
        rings = (f"rings: {c['ring_new']} new, {c['ring_grown']} grown, "
                 f"{c['ring_shrunk']} shrunk, {c['ring_changed']} changed, "
                 f"{c['ring_dissolved']} dissolved, {c['ring_merged']} merged, "
                 f"{c['ring_split']} split, {c['score_changed']} score changes")
        hits = (f"sanctions: {c['newly_listed']} newly listed, {c['hit_new']} new hits, "
                f"{c['hit_cleared']} cleared")
        ents = (f"entities: {c['entity_merged']} merged, {c['entity_split']} split, "
                f"{c['entity_renamed']} renamed; "
                f"records: {self._records('records_added')} added, "
                f"{self._records('records_removed')} removed")
        lines = [f"Changes since {self.old}: {rings}; {hits}; {ents} (changes.csv)"]
        if self.settings_changed:
            lines.append("Settings changed since then: " + ", ".join(self.settings_changed))
        return lines

    def _records(self, kind: str) -> int:
        return sum(int(r["count"] or 0) for r in self.rows if r["change"] == kind)

    def write(self, folder: str | Path, csv_safety: bool = True) -> list[Path]:
        """Write ``changes.csv`` (spreadsheet formulas neutralised unless ``csv_safety``
        is off) and ``changes.json`` into ``folder``; returns their paths."""
        folder = Path(folder)
        write_csv(self.to_frame(), folder / CHANGES_CSV, csv_safety)
        (folder / CHANGES_JSON).write_text(json.dumps(self.to_json(), indent=1,
                                                      ensure_ascii=False, default=str),
                                           encoding="utf-8")
        return [folder / CHANGES_CSV, folder / CHANGES_JSON]


__all__ = ["CHANGES_CSV", "CHANGES_JSON", "CHANGE_COLUMNS", "KINDS", "Changes"]
