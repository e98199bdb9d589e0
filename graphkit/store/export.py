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
from pathlib import Path

import networkx as nx

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


def export_neo4j_admin(graph: nx.MultiDiGraph, out_dir: str | Path,
                       database: str = "neo4j") -> tuple[list[Path], str]:
    """Write the import CSVs; returns the files and the ``neo4j-admin`` command to run."""
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
