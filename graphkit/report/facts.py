"""What the report says about the rings it shows in detail, read from the build's node and
relationship tables in one pass for all of them: each member's role, employer, first and
last seen, total paid and sanctions status; each finding's records with their source file
and line; identifiers' raw values (as read, not normalised)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from graphkit.graph.assemble import arrow_chunks, column_at
from graphkit.graph.tables import GraphTables
from graphkit.rings import Evidence, Ring
from graphkit.rings.model import RingContext
from graphkit.schema import NODE_TABLE_COLUMNS, REL_TABLE_COLUMNS, Label, Rel

#: Columns of a ring's member table (``RingFacts.members``).
MEMBER_COLUMNS = ("entity_id", "name", "role", "employer", "first_seen", "last_seen",
                  "total_paid", "sanctions")
#: Columns of a finding's record table (``RingFacts.records``).
RECORD_COLUMNS = ("record_id", "kind", "entity_id", "file", "line")
#: Record fields that date an entity's activity (payments, shipments, logins).
ACTIVITY_DATES = ("paid_at", "shipped_at", "at")
#: Record kinds that describe who an entity is (used when a finding names no records).
IDENTITY_KINDS = ("people", "companies")
#: Findings that name no records but whose records are known by kind and a true flag:
#: VPN logins are the members' login records flagged ``vpn``.
FLAGGED_RECORDS = {"vpn_logins": ("logins", "vpn")}
#: Node columns the facts read (the others are not copied when nodes are filtered).
NODE_COLUMNS_READ = ("node_id", "key", "label", "name", "raw", "value", "list", "list_id",
                     "record_id", "kind", "file", "line", "role", *ACTIVITY_DATES,
                     *(flag for _, flag in FLAGGED_RECORDS.values()))
#: Relationship columns the facts read.
REL_COLUMNS_READ = ("start_id", "end_id", "start", "end", "type", "amount", "currency",
                    "score")
#: Values of a record flag read as true.
TRUE_VALUES = ("true", "1", "yes", "y", "t")


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    if name in frame.columns:
        return frame[name].astype(object).where(frame[name].notna(), "")
    return pd.Series([""] * len(frame), index=frame.index, dtype=object)


def _lookup(values: pd.Series, index: pd.Index) -> np.ndarray:
    """``values`` at ``index`` as text, ``""`` where missing (any dtype, even empty)."""
    found = values.reindex(index).astype(object)
    return found.where(found.notna(), "").to_numpy(object)


def _totals(paid: pd.DataFrame) -> dict[str, str]:
    """Per payee (``end``), its payments' sum per currency ("1,234.00 USD; …"), from one
    group-by over every payee (currencies in order)."""
    if paid.empty:
        return {}
    by = paid.groupby(["end", "currency"], sort=True)["amount"].sum()
    totals: dict[str, list[str]] = {}
    for (end, currency), value in zip(by.index.tolist(), by.tolist()):
        totals.setdefault(end, []).append(f"{value:,.2f} {currency}".strip())
    return {end: "; ".join(parts) for end, parts in totals.items()}


@dataclass
class RingFacts:
    """Member and record facts of a set of rings (built once by :func:`ring_facts`)."""

    entities: pd.DataFrame          # one row per entity: MEMBER_COLUMNS
    records: pd.DataFrame           # one row per (record, entity): RECORD_COLUMNS
    raw: dict[str, str]             # identifier key → raw value as read
    value: dict[str, str]           # identifier key → normalised value
    context: RingContext            # the rings' neighbourhoods only, with the columns read

    def members(self, ring: Ring) -> pd.DataFrame:
        """The ring's member table (``MEMBER_COLUMNS``), members in key order."""
        table = self.entities.reindex(ring.members)
        table["entity_id"] = ring.members
        return table.fillna("").reset_index(drop=True)[list(MEMBER_COLUMNS)]

    def finding_records(self, ring: Ring, item: Evidence) -> pd.DataFrame:
        """The records behind a finding, with source file and line: its named records
        of its entities (or, when it names none, its entities' identity records)."""
        return self.records.iloc[self.finding_rows(ring, item)].reset_index(drop=True)

    def finding_rows(self, ring: Ring, item: Evidence) -> list[int]:
        """Rows of ``records`` behind a finding (as :meth:`finding_records`), ordered by
        file, line (missing last) and record id: plain Python over a few rows, as the
        report asks for every finding of its rings."""
        column = self.columns()
        rows = self._rows_of(list(item.entities) or ring.members).tolist()
        kind = column["kind"]
        if item.records:
            named, record_id = set(item.records), column["record_id"]
            rows = [i for i in rows if record_id[i] in named]
        elif item.pattern in FLAGGED_RECORDS:
            wanted, flag = FLAGGED_RECORDS[item.pattern]
            flagged = column[flag]
            rows = [i for i in rows if kind[i] == wanted and flagged[i]]
        else:
            rows = [i for i in rows if kind[i] in IDENTITY_KINDS]
        file, line, record_id = column["file"], column["line"], column["record_id"]
        return sorted(rows, key=lambda i: (file[i], line[i] is pd.NA,
                                           0 if line[i] is pd.NA else line[i], record_id[i]))

    def columns(self) -> dict[str, np.ndarray]:
        """``records``' columns as object arrays (``line``: int, or ``pd.NA``), made once."""
        found = self.__dict__.get("_columns")
        if found is None:
            found = self.__dict__["_columns"] = {
                c: (self.records[c].astype("Int64").to_numpy(object) if c == "line"
                    else self.records[c].to_numpy(object)) for c in self.records.columns}
        return found

    def member_rows(self, ring: Ring) -> list[tuple]:
        """The rows of :meth:`members` as tuples (a lookup made once for all rings)."""
        found = self.__dict__.get("_member_rows")
        if found is None:
            table = self.entities.fillna("")
            values = [table[c].tolist() for c in MEMBER_COLUMNS[1:]]
            found = self.__dict__["_member_rows"] = {
                key: row for key, *row in zip(table.index.tolist(), *values)}
        blank = [""] * (len(MEMBER_COLUMNS) - 1)
        return [(m, *found.get(m, blank)) for m in ring.members]

    def _rows_of(self, entities: list[str]) -> np.ndarray:
        """Rows of ``records`` of ``entities``, ascending (a group index made once: the
        report asks for every finding of 50 rings)."""
        groups = self.__dict__.get("_groups")
        if groups is None:
            groups = self.__dict__["_groups"] = self.records.groupby(
                "entity_id", sort=False).indices
        found = [groups[e] for e in dict.fromkeys(entities) if e in groups]
        return np.sort(np.concatenate(found)) if found else np.zeros(0, dtype=np.int64)

    def description(self, item: Evidence) -> str:
        """The finding's description with each identifier's normalised value replaced by
        its raw value as read (an address as written, not its match key)."""
        text = item.description
        for key in item.identifiers:
            value, raw = self.value.get(key, ""), self.raw.get(key, "")
            if value and raw and value in text:
                text = text.replace(value, raw)
        return text

    def drawing(self, ring: Ring) -> tuple[list[str], list[tuple[str, str]], dict[str, dict]]:
        """What the ring's subgraph in the small context holds, for the drawing: its node keys, its
        relationships as (start, end) keys, and each node's ``label`` and shown text
        (``name``, ``raw``, ``value``), read from the small context's arrays made once."""
        look = self.__dict__.get("_drawing")
        if look is None:
            look = self.__dict__["_drawing"] = _DrawingLookup.of(self.context.tables)
        keep = set(ring.members)
        for item in ring.evidence:
            keep.update(item.identifiers)
            keep.update(item.entities)
        ids = {look.id_of[k] for k in keep if k in look.id_of}
        ids.update([end for start in ids for end, kind, _, _ in look.out.get(start, ())
                    if kind == Rel.MATCHES.value])
        edges = [(a, b) for start in ids for end, _, a, b in look.out.get(start, ())
                 if end in ids]
        nodes = [look.key[i] for i in ids]
        return nodes, edges, {k: look.attrs[k] for k in nodes}


@dataclass
class _DrawingLookup:
    """The small context's nodes and relationships as dicts: key → node id of the nodes
    that are not records, node id → key, key → drawing attributes, and per start node
    id its relationships (end id, type, start key, end key)."""

    id_of: dict[str, int]
    key: dict[int, str]
    attrs: dict[str, dict]
    out: dict[int, list[tuple[int, str, str, str]]]

    @classmethod
    def of(cls, tables: GraphTables) -> _DrawingLookup:
        nodes, rels = tables.nodes, tables.relationships
        keys = nodes["key"].tolist()
        ids = nodes["node_id"].astype(np.int64).tolist()
        labels = nodes["label"].tolist()
        shown = {name: nodes[name].tolist() for name in ("name", "raw", "value")
                 if name in nodes.columns}
        attrs = {}
        for row, (key, label) in enumerate(zip(keys, labels)):
            attrs[key] = {"label": label, **{name: values[row] for name, values in
                                             shown.items() if isinstance(values[row], str)}}
        out: dict[int, list[tuple[int, str, str, str]]] = {}
        for start, end, kind, a, b in zip(rels["start_id"].astype(np.int64).tolist(),
                                          rels["end_id"].astype(np.int64).tolist(),
                                          rels["type"].tolist(), rels["start"].tolist(),
                                          rels["end"].tolist()):
            out.setdefault(start, []).append((end, kind, a, b))
        return cls({k: i for k, i, lab in zip(keys, ids, labels) if lab != Label.RECORD.value},
                   dict(zip(ids, keys)), attrs, out)


class _NodeIds:
    """Node ids of keys among the nodes that are not records (``RingContext.ids_of``),
    by one Arrow hash lookup over the key column (no lookup index over every key)."""

    def __init__(self, nodes: pd.DataFrame) -> None:
        # the chunks as they are: joining them would copy every key of the graph
        self.keys = arrow_chunks(nodes["key"])
        self.node_ids = nodes["node_id"].to_numpy(np.int64)
        self.entities = (nodes["label"] != Label.RECORD.value).to_numpy(bool)

    def __call__(self, keys: list[str]) -> np.ndarray:
        if not keys:
            return np.zeros(0, dtype=np.int64)
        found = pc.is_in(self.keys, value_set=pa.array(keys, pa.string()))
        mask = found.to_numpy(zero_copy_only=False) & self.entities
        return np.unique(self.node_ids[mask])


def _keep_keys(rings: list[Ring]) -> list[str]:
    keep: set[str] = set()
    for ring in rings:
        keep.update(ring.members)
        for item in ring.evidence:
            keep.update(item.identifiers)
            keep.update(item.entities)
    return sorted(keep)


def ring_facts(rings: list[Ring], also: list[str] | tuple[str, ...] = ()) -> RingFacts:
    """Facts of ``rings`` (which share one build's tables), from one pass over them;
    ``also``: more node keys whose raw values are wanted (the hubs)."""
    if not rings:
        empty = pd.DataFrame(columns=list(MEMBER_COLUMNS))
        return RingFacts(empty, pd.DataFrame(columns=list(RECORD_COLUMNS)), {}, {},
                         RingContext(GraphTables(pd.DataFrame(
                             {"node_id": pd.Series(dtype=np.int64), "key": [], "label": []}),
                             pd.DataFrame({"start_id": pd.Series(dtype=np.int64),
                                           "end_id": pd.Series(dtype=np.int64),
                                           "start": [], "end": [], "type": []}))))
    context = rings[0].context
    nodes = _only(context.tables.nodes, NODE_COLUMNS_READ)
    rels = _only(context.tables.relationships, REL_COLUMNS_READ)
    ids_of = _NodeIds(nodes)
    ids = ids_of(_keep_keys(rings))
    touching = _rows_where(rels, rels["start_id"].isin(ids) | rels["end_id"].isin(ids))
    matches = touching[(touching["type"] == Rel.MATCHES.value)
                       & touching["start_id"].isin(ids)]
    resolved = touching[(touching["type"] == Rel.RESOLVED_TO.value)
                        & touching["end_id"].isin(ids)]
    works = touching[(touching["type"] == Rel.WORKS_FOR.value) & touching["start_id"].isin(ids)]
    pays = touching[(touching["type"] == Rel.PAYS.value) & touching["end_id"].isin(ids)]
    extra = ids_of(sorted(also))
    wanted = np.unique(np.concatenate([
        ids, extra, matches["end_id"].to_numpy(np.int64), resolved["start_id"].to_numpy(np.int64),
        works["end_id"].to_numpy(np.int64), pays["start_id"].to_numpy(np.int64)]))
    near = _rows_where(nodes, nodes["node_id"].isin(wanted))
    name_of = dict(zip(near["key"], _column(near, "name")))

    records = near[near["label"] == Label.RECORD.value]
    owner = pd.Series(resolved["end"].to_numpy(object),
                      index=resolved["start"].to_numpy(object))
    owner = owner[~owner.index.duplicated()]
    rec = pd.DataFrame({
        "record_id": _column(records, "record_id").to_numpy(object),
        "kind": _column(records, "kind").to_numpy(object),
        "entity_id": owner.reindex(records["key"].to_numpy(object)).to_numpy(object),
        "file": _column(records, "file").to_numpy(object),
        "line": pd.to_numeric(_column(records, "line").replace("", None),
                              errors="coerce").astype("Int64").to_numpy(),
        "role": _column(records, "role").to_numpy(object),
        "seen": _seen(records),
    })
    for _kind, flag in FLAGGED_RECORDS.values():
        rec[flag] = _column(records, flag).astype(str).str.lower().isin(TRUE_VALUES).to_numpy(
            bool)
    rec = rec[rec["entity_id"].notna()]

    ent = pd.DataFrame(index=pd.Index(sorted(set(rec["entity_id"]) | set(
        near.loc[near["label"].isin([Label.PERSON.value, Label.COMPANY.value]), "key"])),
        dtype=object))
    ent["name"] = [name_of.get(k, "") for k in ent.index]
    roles = rec[rec["role"] != ""].groupby("entity_id")["role"].agg(
        lambda s: ", ".join(sorted(set(s))))
    ent["role"] = _lookup(roles, ent.index)
    employers = works.assign(company=[name_of.get(k, k) for k in works["end"]]).groupby(
        "start")["company"].agg(lambda s: ", ".join(sorted(set(s))))
    ent["employer"] = _lookup(employers, ent.index)
    seen = rec[rec["seen"] != ""].groupby("entity_id")["seen"]
    ent["first_seen"] = _lookup(seen.min(), ent.index)
    ent["last_seen"] = _lookup(seen.max(), ent.index)
    paid = pays.assign(currency=_column(pays, "currency"),
                       amount=pd.to_numeric(pays.get("amount"), errors="coerce"))
    totals = _totals(paid.dropna(subset=["amount"]))
    ent["total_paid"] = [totals.get(k, "") for k in ent.index]
    ent["sanctions"] = _sanctions(ent.index, matches, near, pays, name_of)

    raw = dict(zip(near["key"], _column(near, "raw")))
    value = dict(zip(near["key"], _column(near, "value")))
    # a subset of ``near``: filtered from it, not from the whole node table again
    small = near[near["node_id"].isin(np.union1d(ids, matches["end_id"].to_numpy(np.int64)))]
    inner = touching[touching["start_id"].isin(small["node_id"])
                     & touching["end_id"].isin(small["node_id"])]
    flags = [flag for _, flag in FLAGGED_RECORDS.values()]
    # property columns no drawn node or relationship has are left out once, not looked
    # at again for every ring drawn (a graph view leaves absent properties out anyway)
    small, inner = _filled(small, NODE_TABLE_COLUMNS), _filled(inner, REL_TABLE_COLUMNS)
    return RingFacts(ent, rec[[*RECORD_COLUMNS, *flags]].reset_index(drop=True),
                     {k: v for k, v in raw.items() if v}, {k: v for k, v in value.items() if v},
                     RingContext(GraphTables(small, inner)))


def _only(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    """``frame``'s ``columns`` that it has (rows are then filtered column by column: the
    fewer, the faster)."""
    return frame[[c for c in frame.columns if c in columns]]


def _rows_where(frame: pd.DataFrame, mask: pd.Series) -> pd.DataFrame:
    """``frame[mask]`` (same columns, dtypes and row labels), each Arrow column gathered
    chunk by chunk (``take_rows``): a boolean filter takes an Arrow column held in chunks
    by joining them first, a copy of the whole column (every node's key, of a million
    people's graph) for a few hundred rows."""
    rows = np.flatnonzero(mask.to_numpy(bool))
    return pd.DataFrame({name: column_at(frame[name], rows) for name in frame.columns},
                        index=frame.index[rows])


def _filled(frame: pd.DataFrame, fixed: tuple[str, ...]) -> pd.DataFrame:
    """``frame`` without the property columns (those not in ``fixed``) no row fills."""
    empty = [c for c in frame.columns if c not in fixed and not frame[c].notna().any()]
    return frame.drop(columns=empty) if empty else frame


def _seen(records: pd.DataFrame) -> np.ndarray:
    """Each record's activity date (``YYYY-MM-DD``; payments, shipments, logins)."""
    seen = pd.Series([""] * len(records), index=records.index, dtype=object)
    for name in ACTIVITY_DATES:
        values = _column(records, name).astype(str).str.slice(0, 10)
        seen = seen.where(seen != "", values)
    return seen.to_numpy(object)


def _sanctions(index: pd.Index, matches: pd.DataFrame, near: pd.DataFrame,
               pays: pd.DataFrame, name_of: dict[str, str]) -> list[str]:
    """Each entity's sanctions status: the entries it matches (list, id, name, score),
    and the listed payers that pay it."""
    entry = near.set_index("key")
    listed: dict[str, list[str]] = {}
    score = _column(matches, "score")
    for start, end, s in zip(matches["start"], matches["end"], score):
        lst = entry.at[end, "list"] if "list" in entry.columns else ""
        lid = entry.at[end, "list_id"] if "list_id" in entry.columns else ""
        text = f"matches {lst} {lid} {name_of.get(end, '')}".replace("  ", " ").strip()
        listed.setdefault(start, []).append(f"{text} (score {float(s):.2f})" if s != ""
                                            else text)
    paid_by: dict[str, list[str]] = {}
    for start, end in zip(pays["start"], pays["end"]):
        if start in listed:
            paid_by.setdefault(end, []).append(f"paid by {name_of.get(start, start)}, "
                                               "a listed name")
    return ["; ".join(sorted(listed.get(k, [])) + sorted(set(paid_by.get(k, []))))
            or "not listed" for k in index]


__all__ = ["MEMBER_COLUMNS", "RECORD_COLUMNS", "RingFacts", "ring_facts"]
