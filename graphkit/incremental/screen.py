"""Screening that reuses a previous build's hits for names already screened.

A name's hits depend only on the name, its kind and date of birth, the lists and the
threshold. Names are screened once per distinct ``(name, kind, dob)``; those the
previous build screened against lists of the same identity (content hash, with the
threshold) take its hits, the rest are screened now."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from graphkit.incremental.state import STATE_FORMAT, ScreenState
from graphkit.screen import HIT_COLUMNS, screen

KEY = ["name", "kind", "dob"]
_HIT_VALUES = [c for c in HIT_COLUMNS if c not in ("record_id", "name")]


def list_identity(sanctions: pd.DataFrame, threshold: float) -> str:
    """Content hash of the (selected) sanctions entries and the screening threshold."""
    digest = hashlib.sha256(f"{STATE_FORMAT}|{threshold!r}|{list(sanctions.columns)}".encode())
    text = sanctions.astype(str)
    digest.update(pd.util.hash_pandas_object(text, index=False).to_numpy().tobytes())
    return digest.hexdigest()[:32]


@dataclass
class ScreenReuse:
    """This build's screening state and what was reused."""

    state: ScreenState
    counts: dict[str, int] = field(default_factory=dict)
    note: str = ""


def screen_reusing(names: pd.DataFrame, sanctions: pd.DataFrame, threshold: float,
                   previous: ScreenState | None = None) -> tuple[pd.DataFrame, ScreenReuse]:
    """Hits of ``names`` (``record_id, name, kind, dob``), as
    :func:`graphkit.screen.screen` returns them, screening only distinct keys that
    ``previous`` did not screen at the same list identity."""
    identity = list_identity(sanctions, threshold)
    keys = names[KEY].fillna("").astype(str)
    distinct = keys.drop_duplicates().reset_index(drop=True)
    note = ""
    if previous is not None and previous.identity != identity:
        note = "sanctions lists or threshold changed since the previous build: all names " \
               "screened again"
        previous = None
    if previous is not None:
        old = pd.MultiIndex.from_frame(previous.screened[KEY].astype(str))
        known = pd.MultiIndex.from_frame(distinct).isin(old)
    else:
        known = np.zeros(len(distinct), dtype=bool)
    todo = distinct[~known].reset_index(drop=True)
    fresh = screen(todo.assign(record_id=np.arange(len(todo)).astype(str)), sanctions,
                   threshold=threshold)
    at = fresh["record_id"].astype(np.int64).to_numpy()
    fresh_hits = pd.concat([todo.iloc[at][KEY].reset_index(drop=True),
                            fresh[_HIT_VALUES].reset_index(drop=True)], axis=1)
    parts = [fresh_hits]
    if previous is not None:
        old_hits = previous.hits
        wanted = pd.MultiIndex.from_frame(old_hits[KEY].astype(str)).isin(
            pd.MultiIndex.from_frame(distinct[known]))
        parts.insert(0, old_hits[wanted][KEY + _HIT_VALUES])
    by_key = pd.concat(parts, ignore_index=True)
    by_key["_order"] = np.arange(len(by_key))
    rows = names[["record_id"]].assign(**{k: keys[k] for k in KEY},
                                       _row=np.arange(len(names)))
    hits = rows.merge(by_key, on=KEY, how="inner").sort_values(["_row", "_order"],
                                                              kind="stable")
    # built as graphkit.screen.screen builds its frame, so the column types are its own
    hits = pd.DataFrame(hits[list(HIT_COLUMNS)].to_dict("records"), columns=list(HIT_COLUMNS))
    state = ScreenState(identity, distinct, by_key.drop(columns="_order"))
    counts = {"names": len(names), "distinct_names": len(distinct),
              "names_reused": int(known.sum()), "names_screened": len(todo)}
    return hits, ScreenReuse(state, counts, note)
