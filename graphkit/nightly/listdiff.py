"""Two versions of a sanctions list compared for the names given (``graphkit screen
--since OLD_LIST``): matches with entries added since the old version are
``newly_listed``, matches with entries removed from it are ``cleared``."""

from __future__ import annotations

import pandas as pd

from graphkit.screen import HIT_COLUMNS, screen

#: Columns of ``screen --since`` output: the change, then the hit's columns.
SINCE_COLUMNS = ("change", *HIT_COLUMNS)


def entry_keys(entries: pd.DataFrame) -> pd.Series:
    """``list`` and ``list_id`` of each entry, as one key (an entry's identity across
    versions of its list)."""
    return entries["list"].astype(str) + "\x1f" + entries["list_id"].astype(str)


def added_and_removed(old: pd.DataFrame, new: pd.DataFrame
                      ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Entries of ``new`` not in ``old``, and entries of ``old`` not in ``new``."""
    old_keys, new_keys = entry_keys(old), entry_keys(new)
    return (new[~new_keys.isin(set(old_keys))].reset_index(drop=True),
            old[~old_keys.isin(set(new_keys))].reset_index(drop=True))


def screen_since(names: pd.DataFrame, old: pd.DataFrame, new: pd.DataFrame,
                 threshold: float) -> pd.DataFrame:
    """Hits of ``names`` on entries added between list versions ``old`` and ``new``
    (``change`` = ``newly_listed``) and on entries removed (``cleared``), with
    ``SINCE_COLUMNS``. Only the changed entries are screened."""
    added, removed = added_and_removed(old, new)
    frames = []
    for change, entries in (("newly_listed", added), ("cleared", removed)):
        if len(entries):
            hits = screen(names, entries, threshold=threshold)
            frames.append(hits.assign(change=change))
    if not frames:
        return pd.DataFrame(columns=list(SINCE_COLUMNS))
    return pd.concat(frames, ignore_index=True)[list(SINCE_COLUMNS)]


__all__ = ["SINCE_COLUMNS", "added_and_removed", "entry_keys", "screen_since"]
