"""What a build-to-build diff reads of one build, from its folder or from a fresh
``BuildResult``: settings, rings, record → entity map, sanctions hits, the list entries it
screened against (``sanctions.parquet``) and its record keys per source layout."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from graphkit.gcpause import gc_paused
from graphkit.graph.assemble import arrow_text
from graphkit.schema import Layout

#: The screened list entries a build keeps, so a later diff knows what was listed.
SANCTIONS_PARQUET = "sanctions.parquet"
#: The hits as written exactly (``sanctions_hits.csv`` is for people: spreadsheet-safe).
HITS_PARQUET = "sanctions_hits.parquet"
#: ``record_id, entity_id`` as written exactly (``entities.csv`` is spreadsheet-safe), so a
#: later diff reads the entity map without scanning ``relationships.parquet``.
ENTITIES_PARQUET = "entities.parquet"
#: Columns of the list entries kept in ``sanctions.parquet``.
ENTRY_COLUMNS = ("list", "list_id", "name", "kind", "programs")


class BuildFolderError(ValueError):
    """A folder that is not a usable graphkit build; names the folder and the file."""


@dataclass
class BuildView:
    """One build as a diff sees it."""

    name: str
    settings: dict[str, Any]
    rings: list[dict[str, Any]]
    entities: pd.DataFrame  # record_id, entity_id
    hits: pd.DataFrame  # HIT_COLUMNS of screening (record_id is the entity id)
    entries: pd.DataFrame | None  # ENTRY_COLUMNS, None for a build that did not keep them
    records: dict[str, pa.Array]  # record ids per source layout

    @classmethod
    def from_folder(cls, folder: str | Path) -> BuildView:
        """Read a build folder (``graphkit build --out``); its rings are read with the
        garbage collector paused (:func:`~graphkit.gcpause.gc_paused`)."""
        folder = Path(folder)
        if not folder.is_dir():
            raise BuildFolderError(f"{folder}: not a build folder (no such folder)")
        settings = settings_of(folder)
        with gc_paused():
            rings = json.loads(_need(folder, "rings.json").read_text(encoding="utf-8"))
        entities = entity_map(folder)
        if (folder / HITS_PARQUET).is_file():
            hits = pd.read_parquet(folder / HITS_PARQUET).astype(str)
        else:  # a build made before the exact copy existed
            hits = pd.read_csv(_need(folder, "sanctions_hits.csv"), dtype=str,
                               keep_default_na=False)
        entries = None
        if (folder / SANCTIONS_PARQUET).is_file():
            entries = pd.read_parquet(folder / SANCTIONS_PARQUET, columns=list(ENTRY_COLUMNS))
        keys = pq.read_table(_need(folder, "nodes.parquet"), columns=["key"])["key"]
        return cls(str(folder), settings, rings, entities, hits, entries, record_keys(keys))

    @classmethod
    def from_result(cls, result: Any, name: str = "this build",
                    rings: list[dict[str, Any]] | None = None,
                    entities: pd.DataFrame | None = None) -> BuildView:
        """The view of a fresh ``pipeline.BuildResult`` (before its folder is published);
        ``rings``: ``result.rings.to_json()`` and ``entities``: its
        :func:`result_entities`, when the caller already made them."""
        keys = result.tables.nodes["key"]
        return cls(name, result.project.settings.to_dict(),
                   result.rings.to_json() if rings is None else rings,
                   result_entities(result) if entities is None else entities,
                   result.hits.astype({"record_id": str}),
                   entry_table(result.sanctions), record_keys(keys))


def _need(folder: Path, name: str) -> Path:
    path = folder / name
    if not path.is_file():
        raise BuildFolderError(f"{folder}: not a complete build ({name} missing)")
    return path


def settings_of(folder: Path) -> dict[str, Any]:
    """The settings a build folder was made with (manifest.json, else build.json)."""
    for name in ("manifest.json", "build.json"):
        path = folder / name
        if path.is_file():
            try:
                return dict(json.loads(path.read_text(encoding="utf-8"))["settings"])
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise BuildFolderError(f"{path}: no readable 'settings' ({exc})") from exc
    raise BuildFolderError(f"{folder}: not a complete build (manifest.json and build.json "
                           "missing)")


def entity_map(folder: str | Path) -> pd.DataFrame:
    """``record_id, entity_id`` of a build folder's person and company records:
    ``entities.parquet`` when the build wrote it, else read exactly from its
    ``RESOLVED_TO`` relationships (entities.csv may carry spreadsheet guards)."""
    folder = Path(folder)
    if (folder / ENTITIES_PARQUET).is_file():
        return pd.read_parquet(folder / ENTITIES_PARQUET,
                               columns=["record_id", "entity_id"]).astype(str)
    rels = pq.read_table(_need(folder, "relationships.parquet"),
                         columns=["start", "end", "type"],
                         filters=[("type", "=", "RESOLVED_TO")])
    start = rels["start"].combine_chunks().cast(pa.string())
    end = rels["end"].combine_chunks().cast(pa.string())
    frames = []
    for layout in ("people", "companies"):
        prefix = f"Record:{layout}:"
        mine = pc.starts_with(start, prefix)
        frames.append(pd.DataFrame({
            "record_id": pc.utf8_slice_codeunits(start.filter(mine), len(prefix))
            .to_numpy(zero_copy_only=False),
            "entity_id": end.filter(mine).to_numpy(zero_copy_only=False)}))
    return pd.concat(frames, ignore_index=True).astype(str)


def result_entities(result: Any) -> pd.DataFrame:
    """``record_id, entity_id`` (text) of a ``pipeline.BuildResult``'s person and company
    records, in the order :func:`entity_map` reads them from a build folder (people, then
    companies, each by record id: the order of their ``RESOLVED_TO`` relationships)."""
    return entity_rows(result.people, result.companies)


def entity_rows(*resolutions: Any) -> pd.DataFrame:
    """``record_id, entity_id`` (text) of the records of ``resolve.Resolution``s, each
    by record id (see :func:`result_entities`)."""
    frames = []
    for resolution in resolutions:
        rows = resolution.entities[["record_id", "entity_id"]].astype(str)
        rows = rows.drop_duplicates("record_id")
        # a stable sort in Arrow: UTF-8 byte order is Python's code point order
        frames.append(rows.iloc[pc.sort_indices(arrow_text(rows["record_id"])).to_numpy()])
    return pd.concat(frames, ignore_index=True)


def write_entities(entities: pd.DataFrame, folder: Path) -> Path:
    """Write ``entities.parquet`` (``record_id, entity_id``, values exact) into a build
    folder."""
    path = Path(folder) / ENTITIES_PARQUET
    entities[["record_id", "entity_id"]].astype(str).to_parquet(path, index=False)
    return path


def record_keys(keys: Any) -> dict[str, pa.Array]:
    """Record ids per layout of the ``Record:<layout>:<id>`` node keys among ``keys`` (an
    Arrow array or a pandas Series), kept as Arrow string arrays (millions at 1M people)."""
    if isinstance(keys, pd.Series):
        keys = arrow_text(keys)
    if isinstance(keys, pa.ChunkedArray):
        keys = keys.combine_chunks()
    keys = pc.cast(keys, pa.string())
    ordered = len(keys) < 2 or pc.all(pc.less_equal(keys[:-1], keys[1:])).as_py()
    out: dict[str, pa.Array] = {}
    for layout in Layout:
        prefix = f"Record:{layout.value}:"
        if ordered and keys.null_count == 0:  # node tables are sorted by key: one slice
            low = _first_at_least(keys, prefix)
            mine = keys[low:_first_at_least(keys, prefix, low, after=True)]
        else:
            mine = keys.filter(pc.starts_with(keys, prefix))
        if len(mine):
            out[layout.value] = pc.utf8_slice_codeunits(mine, len(prefix))
    return out


def _first_at_least(keys: pa.Array, prefix: str, low: int = 0, after: bool = False) -> int:
    """In sorted ``keys``, the first position whose key is ≥ ``prefix`` (``after``: the
    first whose key is past every key starting with ``prefix``), by bisection."""
    high = len(keys)
    while low < high:
        mid = (low + high) // 2
        key = keys[mid].as_py()
        if (key.startswith(prefix) or key < prefix) if after else key < prefix:
            low = mid + 1
        else:
            high = mid
    return low


def entry_table(sanctions: pd.DataFrame) -> pd.DataFrame:
    """The screened entries' ``ENTRY_COLUMNS`` (programs joined by ``;``)."""
    out = sanctions.reindex(columns=list(ENTRY_COLUMNS)).copy()
    out["programs"] = out["programs"].map(
        lambda v: ";".join(v) if isinstance(v, (list, tuple)) or hasattr(v, "tolist")
        else ("" if v is None else str(v)))
    return out.astype(str).reset_index(drop=True)


def write_entries(sanctions: pd.DataFrame, folder: Path) -> Path:
    """Write ``sanctions.parquet`` (the screened entries) into a build folder."""
    path = Path(folder) / SANCTIONS_PARQUET
    entry_table(sanctions).to_parquet(path, index=False)
    return path


def write_hits(hits: pd.DataFrame, folder: Path) -> Path:
    """Write ``sanctions_hits.parquet`` (the hits, values exact) into a build folder."""
    path = Path(folder) / HITS_PARQUET
    hits.astype({"record_id": str}).to_parquet(path, index=False)
    return path


__all__ = ["ENTITIES_PARQUET", "ENTRY_COLUMNS", "HITS_PARQUET", "SANCTIONS_PARQUET",
           "BuildFolderError", "BuildView", "entity_map", "entity_rows", "entry_table",
           "record_keys",
           "result_entities", "settings_of", "write_entities", "write_entries", "write_hits"]
