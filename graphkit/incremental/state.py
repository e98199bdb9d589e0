"""The ``state/`` folder of a build: what the next build may reuse.

``state/state.json`` (format, code identity, list identity), ``state/people.parquet`` (record id and
content fingerprint, in the build's record order), ``state/pairs.parquet`` (candidate
pairs as positions into people.parquet, with each field's comparison level),
``state/screened.parquet`` (distinct name, kind, dob screened) and ``state/hits.parquet``
(their hits); ``state/features.parquet`` (each person record's resolution features, in
people.parquet's order), ``state/ingest/`` (the per-file ingest cache,
:mod:`graphkit.incremental.ingest_cache`) and ``state/sanctions.json`` (the sanctions
entries screened, :mod:`graphkit.incremental.lists_cache`)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from graphkit.incremental.codedigest import code_digest
from graphkit.resolve.compare import LEVELS

if TYPE_CHECKING:
    from graphkit.incremental.ingest_cache import IngestCache
    from graphkit.incremental.lists_cache import ListsCache

STATE_DIR = "state"
#: Bumped whenever what is stored, or how levels or hits are computed, changes.
STATE_FORMAT = 1
#: The packages whose code decides stored comparison levels and hits.
_DECIDING_CODE = ("resolve", "screen", "text")
_FILES = ("state.json", "people.parquet", "pairs.parquet", "screened.parquet", "hits.parquet")


@dataclass
class PeopleState:
    """Person records (``record_id``, ``fingerprint``) in build order, and the candidate
    pairs (``left``, ``right`` positions, sorted, ``left < right``) with their levels."""

    records: pd.DataFrame
    left: np.ndarray
    right: np.ndarray
    levels: dict[str, np.ndarray]
    #: each record's resolution features (``resolve.prepare``), in record order
    features: pd.DataFrame | None = None


@dataclass
class ScreenState:
    """Distinct screened ``(name, kind, dob)`` keys and their hits (key columns plus the
    hit columns but ``record_id``, in screening order), at list identity ``identity``."""

    identity: str
    screened: pd.DataFrame
    hits: pd.DataFrame


@dataclass
class BuildState:
    """What a build hands to the next one (any part may be missing); ``ingest``: the
    per-file ingest cache (``state/ingest/``), ``lists``: the sanctions entries
    (``state/sanctions.json``), each with its own key and code identity."""

    people: PeopleState | None = None
    screen: ScreenState | None = None
    ingest: IngestCache | None = None
    lists: ListsCache | None = None


class StateError(ValueError):
    """A previous build's state that cannot be used (named by folder and file)."""


@cache
def code_identity() -> str:
    """A digest of the code that computes comparison levels and screening hits
    (``graphkit/resolve``, ``screen``, ``text``): state made by other code is not reused."""
    return code_digest("state", _DECIDING_CODE)


def write_state(state: BuildState, out: str | Path) -> list[Path]:
    """Write ``state`` to ``out/state/``; returns the files written."""
    folder = Path(out) / STATE_DIR
    folder.mkdir(parents=True, exist_ok=True)
    meta = {"format": STATE_FORMAT, "code": code_identity(),
            "list_identity": state.screen.identity if state.screen else None}
    written = [folder / "state.json"]
    written[0].write_text(json.dumps(meta, indent=1), encoding="utf-8")
    if state.people is not None:
        p = state.people
        p.records.to_parquet(folder / "people.parquet", index=False)
        pairs = pd.DataFrame({"left": p.left.astype(np.int64), "right": p.right.astype(np.int64),
                              **{f: p.levels[f] for f in LEVELS}})
        pairs.to_parquet(folder / "pairs.parquet", index=False)
        written += [folder / "people.parquet", folder / "pairs.parquet"]
        if p.features is not None and len(p.features) == len(p.records):
            _features_table(p.features).to_parquet(folder / "features.parquet", index=False)
            written.append(folder / "features.parquet")
    if state.screen is not None:
        state.screen.screened.to_parquet(folder / "screened.parquet", index=False)
        state.screen.hits.to_parquet(folder / "hits.parquet", index=False)
        written += [folder / "screened.parquet", folder / "hits.parquet"]
    if state.ingest is not None:
        written += state.ingest.write(folder)
    if state.lists is not None:
        written.append(state.lists.write(folder))
    return written


def read_state(build: str | Path) -> BuildState:
    """The state a previous build folder left; :class:`StateError` naming the folder and
    file when it has none or it cannot be used."""
    folder = Path(build) / STATE_DIR
    meta_path = folder / "state.json"
    if not meta_path.is_file():
        raise StateError(f"{build}: no {STATE_DIR}/state.json (not a graphkit build folder, "
                         "or built before incremental builds)")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise StateError(f"{meta_path}: unreadable ({exc})") from exc
    if meta.get("format") != STATE_FORMAT:
        raise StateError(f"{meta_path}: state format {meta.get('format')!r}, this graphkit "
                         f"reads {STATE_FORMAT}")
    if meta.get("code") != code_identity():
        raise StateError(f"{meta_path}: made by another version of graphkit's comparison "
                         "and screening code")
    state = BuildState()
    try:
        if (folder / "people.parquet").is_file():
            records = pd.read_parquet(folder / "people.parquet")
            pairs = pd.read_parquet(folder / "pairs.parquet")
            _require(records, ("record_id", "fingerprint"), folder / "people.parquet")
            _require(pairs, ("left", "right", *LEVELS), folder / "pairs.parquet")
            state.people = PeopleState(
                records, pairs["left"].to_numpy(np.int64), pairs["right"].to_numpy(np.int64),
                {f: pairs[f].to_numpy(np.int8) for f in LEVELS},
                _read_features(folder / "features.parquet", len(records)))
        if meta.get("list_identity") and (folder / "screened.parquet").is_file():
            screened = pd.read_parquet(folder / "screened.parquet")
            hits = pd.read_parquet(folder / "hits.parquet")
            _require(screened, ("name", "kind", "dob"), folder / "screened.parquet")
            _require(hits, ("name", "kind", "dob"), folder / "hits.parquet")
            state.screen = ScreenState(str(meta["list_identity"]), screened, hits)
    except (OSError, ValueError) as exc:
        if isinstance(exc, StateError):
            raise
        raise StateError(f"{folder}: unreadable state ({exc})") from exc
    return state


def _features_table(features: pd.DataFrame) -> pd.DataFrame:
    """Features as stored: text columns, ``name_tokens`` a list of text."""
    return pd.DataFrame({c: features[c].to_numpy(dtype=object) if c == "name_tokens"
                         else features[c].astype(str) for c in features.columns})


def _read_features(path: Path, n_records: int) -> pd.DataFrame | None:
    """Stored features: ``record_id`` objects, ``name_tokens`` tuples, the others text;
    None when there are none (they are then prepared afresh)."""
    from graphkit.resolve.prepare import FEATURE_COLUMNS, OBJECT_COLUMNS

    if not path.is_file():
        return None
    frame = pd.read_parquet(path)
    _require(frame, FEATURE_COLUMNS, path)
    if len(frame) != n_records:
        raise StateError(f"{path}: {len(frame):,} rows for {n_records:,} person records")
    # the text features stay Arrow-backed (``PairReuse.prepare`` codes them by Arrow)
    data = {c: frame[c].to_numpy(dtype=object) if c in OBJECT_COLUMNS else frame[c]
            for c in FEATURE_COLUMNS}
    tokens = np.empty(len(frame), dtype=object)
    tokens[:] = [tuple(t) for t in data["name_tokens"]]
    data["name_tokens"] = tokens
    return pd.DataFrame(data, columns=list(FEATURE_COLUMNS))


def _require(frame: pd.DataFrame, columns: tuple[str, ...], path: Path) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise StateError(f"{path}: lacks column(s) {', '.join(missing)}")
