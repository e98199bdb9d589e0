"""``neo4j-admin database import full`` CSVs for batch rebuilds of large graphs.

One node file per label and one relationship file per type, each with its own header
line (``key:ID(graphkit)``, ``:LABEL``, typed properties; ``:START_ID(graphkit)``,
``:END_ID(graphkit)``, ``:TYPE``). Node ids are graphkit's node keys, stable across runs,
so a nightly job can rebuild Neo4j from scratch. Arrays use the delimiter U+001F, passed
to the importer with ``--array-delimiter``.
"""

from __future__ import annotations

import csv
import shlex
from collections import defaultdict
from contextlib import ExitStack
from pathlib import Path

import networkx as nx
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from graphkit.graph.tables import NODES_FILE, RELATIONSHIPS_FILE
from graphkit.schema import Label, Rel
from graphkit.store.writer import KEY, properties

ID_SPACE = "graphkit"
ARRAY_DELIMITER = "\x1f"
ARRAY_DELIMITER_ARG = "U+001F"


def _type_of(values: list) -> str:
    """neo4j-admin type of a column from its values: long, double, boolean, string (+[])."""
    scalars = [v for value in values for v in (value if isinstance(value, list) else [value])]
    is_array = any(isinstance(v, list) for v in values)
    if scalars and all(isinstance(v, bool) for v in scalars):
        base = "boolean"
    elif scalars and all(isinstance(v, int) and not isinstance(v, bool) for v in scalars):
        base = "long"
    elif scalars and all(isinstance(v, int | float) and not isinstance(v, bool)
                         for v in scalars):
        base = "double"
    else:
        base = "string"
    return base + ("[]" if is_array else "")


def _cell(value, typ: str) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ARRAY_DELIMITER.join(_cell(v, typ.removesuffix("[]")) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _write(path: Path, fixed: list[str], fixed_rows: list[list[str]], props: list[dict]) -> None:
    columns = sorted({k for p in props for k in p})
    types = {c: _type_of([p[c] for p in props if c in p]) for c in columns}
    header = fixed + [c if types[c] == "string" else f"{c}:{types[c]}" for c in columns]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for head, prop in zip(fixed_rows, props):
            writer.writerow(head + [_cell(prop.get(c), types[c]) for c in columns])


def _command(database: str, node_files: list[Path], rel_files: list[Path]) -> str:
    args = [f"--nodes={shlex.quote(str(p))}" for p in node_files] + \
        [f"--relationships={shlex.quote(str(p))}" for p in rel_files]
    return (f"neo4j-admin database import full {shlex.quote(database)} --overwrite-destination "
            f"--array-delimiter={ARRAY_DELIMITER_ARG} " + " ".join(args))


def export_neo4j_admin(graph: nx.MultiDiGraph, out_dir: str | Path,
                       database: str = "neo4j") -> tuple[list[Path], str]:
    """Write the import CSVs of a networkx graph (held whole in memory; for a build,
    :func:`export_neo4j_admin_tables` streams the same files from its Parquet tables);
    returns the files and the ``neo4j-admin`` command to run."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    nodes: dict[Label, list[tuple[str, dict]]] = defaultdict(list)
    for node, attrs in graph.nodes(data=True):
        props = properties({k: v for k, v in attrs.items() if k != "label"})
        nodes[Label(attrs["label"])].append((node, props))
    rels: dict[Rel, list[tuple[str, str, dict]]] = defaultdict(list)
    for src, dst, key, attrs in graph.edges(keys=True, data=True):
        rels[Rel(key)].append((src, dst, properties({k: v for k, v in attrs.items()
                                                     if k != "type"})))
    files: list[Path] = []
    args = []
    for label in sorted(nodes):
        rows = sorted(nodes[label])
        path = out / f"nodes_{label.value}.csv"
        _write(path, [f"{KEY}:ID({ID_SPACE})", ":LABEL"],
               [[key, label.value] for key, _ in rows], [p for _, p in rows])
        files.append(path)
        args.append(f"--nodes={shlex.quote(str(path))}")
    for rel in sorted(rels):
        rows = sorted(rels[rel], key=lambda r: (r[0], r[1]))
        path = out / f"relationships_{rel.value}.csv"
        _write(path, [f":START_ID({ID_SPACE})", f":END_ID({ID_SPACE})", ":TYPE"],
               [[s, d, rel.value] for s, d, _ in rows], [p for _, _, p in rows])
        files.append(path)
        args.append(f"--relationships={shlex.quote(str(path))}")
    command = (f"neo4j-admin database import full {shlex.quote(database)} --overwrite-destination "
               f"--array-delimiter={ARRAY_DELIMITER_ARG} " + " ".join(args))
    return files, command


# --- streamed from a build's Parquet tables ---------------------------------------------

def _admin_type(typ: pa.DataType) -> str:
    """neo4j-admin type of an Arrow column type of the graph tables."""
    if pa.types.is_list(typ):
        return "string[]"
    if pa.types.is_floating(typ):
        return "double"
    if pa.types.is_integer(typ):
        return "long"
    if pa.types.is_boolean(typ):
        return "boolean"
    return "string"


def _non_empty(column: pa.Array) -> pa.Array:
    """Which cells hold a value (not null, not '', not an empty list)."""
    if pa.types.is_list(column.type):
        return pc.fill_null(pc.greater(pc.list_value_length(column), 0), False)
    if pa.types.is_string(column.type):
        return pc.fill_null(pc.not_equal(column, ""), False)
    return pc.is_valid(column)


def _texts(column: pa.Array, mask: pa.Array) -> list[str]:
    """Cells as import text ('' when empty; arrays joined with the array delimiter)."""
    values = column.to_pylist()
    present = mask.to_pylist()
    if pa.types.is_list(column.type):
        return [ARRAY_DELIMITER.join(v) if p else "" for v, p in zip(values, present)]
    return [str(v) if p else "" for v, p in zip(values, present)]


def _used_columns(path: Path, group: str, fixed: tuple[str, ...], batch_rows: int
                  ) -> dict[str, list[str]]:
    """Per label (or type), the property columns some row of it fills, in name order."""
    handle = pq.ParquetFile(path)
    props = [n for n in handle.schema_arrow.names if n not in fixed]
    used: dict[str, set[str]] = defaultdict(set)
    for batch in handle.iter_batches(batch_size=batch_rows):
        groups = batch.column(group)
        for value in pc.unique(groups).to_pylist():
            rows = batch.filter(pc.equal(groups, value))
            used[value] |= {n for n in props
                            if pc.any(_non_empty(rows.column(n))).as_py()}
    return {value: sorted(names) for value, names in used.items()}


def _stream(path: Path, out: Path, group: str, fixed: tuple[str, ...], prefix: str,
            head: list[str], head_columns: list[str], batch_rows: int) -> list[Path]:
    """One CSV per value of ``group`` (sorted), rows in file order, streamed by batch."""
    used = _used_columns(path, group, fixed, batch_rows)
    handle = pq.ParquetFile(path)
    schema = handle.schema_arrow
    files = {value: out / f"{prefix}_{value}.csv" for value in sorted(used)}
    with ExitStack() as stack:
        writers = {}
        for value, file in files.items():
            writer = csv.writer(stack.enter_context(file.open("w", encoding="utf-8",
                                                              newline="")))
            types = {c: _admin_type(schema.field(c).type) for c in used[value]}
            writer.writerow(head + [c if types[c] == "string" else f"{c}:{types[c]}"
                                    for c in used[value]])
            writers[value] = writer
        for batch in handle.iter_batches(batch_size=batch_rows):
            groups = batch.column(group)
            for value in pc.unique(groups).to_pylist():
                rows = batch.filter(pc.equal(groups, value))
                columns = [rows.column(c).to_pylist() for c in head_columns]
                for name in used[value]:
                    column = rows.column(name)
                    columns.append(_texts(column, _non_empty(column)))
                writers[value].writerows(zip(*columns))
    return list(files.values())


def export_neo4j_admin_tables(build_dir: str | Path, out_dir: str | Path,
                              database: str = "neo4j", batch_rows: int = 100_000
                              ) -> tuple[list[Path], str]:
    """Write the import CSVs of a build from its ``nodes.parquet`` and
    ``relationships.parquet``, reading ``batch_rows`` rows at a time (memory stays
    bounded whatever the graph's size); the same files as :func:`export_neo4j_admin` on
    the build's graph. Returns the files and the ``neo4j-admin`` command to run."""
    build, out = Path(build_dir), Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    node_files = _stream(build / NODES_FILE, out, "label", ("node_id", "key", "label"),
                         "nodes", [f"{KEY}:ID({ID_SPACE})", ":LABEL"], ["key", "label"],
                         batch_rows)
    rel_files = _stream(build / RELATIONSHIPS_FILE, out, "type",
                        ("start_id", "end_id", "start", "end", "type"), "relationships",
                        [f":START_ID({ID_SPACE})", f":END_ID({ID_SPACE})", ":TYPE"],
                        ["start", "end", "type"], batch_rows)
    return node_files + rel_files, _command(database, node_files, rel_files)
