"""The build a store answers from: its folder, its identity and its tables.

A build's identity is ``manifest.json``'s ``build_id`` when the build wrote one, else the
SHA-256 of its ``nodes.parquet`` and ``relationships.parquet`` (old builds with only
``graph.json``: of that file). Tables read from Parquet are hashed from the very bytes
parsed, so the identity always names the data loaded.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from graphkit.graph import (
    GRAPH_JSON,
    NODES_FILE,
    RELATIONSHIPS_FILE,
    GraphTables,
    tables_from_graph,
)
from graphkit.graph.files import graph_from_json
from graphkit.issues import InputError

MANIFEST = "manifest.json"


def _manifest_id(folder: Path) -> str | None:
    path = folder / MANIFEST
    if not path.exists():
        return None
    try:
        value = json.loads(path.read_text(encoding="utf-8")).get("build_id")
    except (OSError, ValueError, AttributeError) as exc:
        raise InputError(f"{path}: unreadable manifest ({exc})") from None
    if not isinstance(value, str) or not value:
        raise InputError(f"{path}: key 'build_id' missing or not text")
    return value


def _data_files(folder: Path) -> list[Path]:
    tables = [folder / NODES_FILE, folder / RELATIONSHIPS_FILE]
    if all(p.exists() for p in tables):
        return tables
    if (folder / GRAPH_JSON).exists():
        return [folder / GRAPH_JSON]
    raise InputError(f"{folder}: no build there ({NODES_FILE} and {RELATIONSHIPS_FILE}, or "
                     f"{GRAPH_JSON}); run 'graphkit build … --out {folder}' first")


def _digest(blobs: list[bytes]) -> str:
    digest = hashlib.sha256()
    for blob in blobs:
        digest.update(len(blob).to_bytes(8, "big"))
        digest.update(blob)
    return digest.hexdigest()


def build_id(folder: str | Path) -> str:
    """The identity of the build in ``folder`` (see the module docstring)."""
    folder = Path(folder)
    manifest = _manifest_id(folder)
    if manifest is not None:
        return manifest
    return _digest([p.read_bytes() for p in _data_files(folder)])


def signature(folder: str | Path) -> tuple:
    """A cheap fingerprint (inode, size, mtime of the identity files) to notice rebuilds."""
    folder = Path(folder)
    sig = []
    for name in (MANIFEST, NODES_FILE, RELATIONSHIPS_FILE, GRAPH_JSON):
        try:
            info = (folder / name).stat()
        except OSError:
            continue
        sig.append((name, info.st_ino, info.st_size, info.st_mtime_ns))
    return (str(folder.resolve()), *sig)


@dataclass
class Build:
    """A build's identity and its node and relationship tables."""

    folder: Path
    build_id: str
    tables: GraphTables


def _parquet(blob: bytes) -> pa.Table:
    return pq.read_table(pa.BufferReader(blob))


def read_build(folder: str | Path) -> Build:
    """Read the build in ``folder``: its tables and the identity of exactly those tables."""
    folder = Path(folder)
    before = _manifest_id(folder)
    files = _data_files(folder)
    blobs = [p.read_bytes() for p in files]
    if files[0].name == GRAPH_JSON:
        graph = graph_from_json(json.loads(blobs[0].decode("utf-8")))
        tables = tables_from_graph(graph)
    else:
        tables = _tables_from_parquet(blobs)
    if before is not None and _manifest_id(folder) != before:
        raise InputError(f"{folder}: the build changed while it was read; run again")
    return Build(folder, before if before is not None else _digest(blobs), tables)


def _frame(blob: bytes):
    """A table from Parquet bytes in the in-memory form of ``GraphTables`` (int64 ids as
    numpy, every other column Arrow-backed): no Python object per cell, so a build of a
    million people loads in the memory of its columns (object columns took ~13 GB)."""
    from graphkit.graph.assemble import to_pandas

    return to_pandas(_parquet(blob))


def _tables_from_parquet(blobs: list[bytes]) -> GraphTables:
    """Tables from the bytes of nodes.parquet and relationships.parquet, typed as
    ``graphkit.graph.read_tables`` types them."""
    return GraphTables(_frame(blobs[0]), _frame(blobs[1]))
