"""Who shares what: the one group-by over the relationships table that clusters, rings and
the query packs' parity test all read.

``sharing_table(tables)`` keeps every relationship from a person or company entity to an
identifier node (account, device, IP, email, phone, address, document), one row per
(entity, identifier, type), with the identifier's label and value and ``n_entities``: how
many distinct entities reach that identifier by any type.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

import networkx as nx
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from graphkit.graph.assemble import arrow_chunks, arrow_codes, take_rows
from graphkit.graph.tables import GraphTables, tables_from_graph
from graphkit.intcodes import ascending
from graphkit.rings.grouped import run_bounds
from graphkit.schema import ID_LABEL, Label, Rel

ENTITY_LABELS = frozenset({Label.PERSON.value, Label.COMPANY.value})
IDENTIFIER_LABELS = frozenset(label.value for label in ID_LABEL.values())
SHARING_COLUMNS = ("entity_id", "entity", "entity_label", "ident_id", "ident", "ident_label",
                   "value", "type", "records", "n_entities")
#: The integer columns ``Sharing.rows`` keeps (``rel``: the relationship's row).
ROW_COLUMNS = ("entity_id", "entity_label", "ident_id", "ident_label", "type", "n_entities",
               "rel")
#: The text columns gathered on demand (``Sharing.with_text``).
TEXT_COLUMNS = ("entity", "ident", "value", "records")


def as_tables(source: GraphTables | nx.MultiDiGraph) -> GraphTables:
    """``source`` as tables (a networkx graph is converted)."""
    return source if isinstance(source, GraphTables) else tables_from_graph(source)


def node_index(tables: GraphTables) -> pd.Index:
    """The node table's ``node_id`` as an index (a ``RangeIndex`` when ids are row
    positions, as ``assemble`` makes them: lookups then cost no hash table)."""
    cache = tables.__dict__.setdefault("_node_columns", {})
    if "_index" not in cache:
        ids = tables.nodes["node_id"].to_numpy(dtype=np.int64)
        positional = len(ids) == 0 or (ids[0] == 0 and ids[-1] == len(ids) - 1 and
                                       bool((np.diff(ids) == 1).all()))
        cache["_index"] = pd.RangeIndex(len(ids)) if positional else pd.Index(ids)
    return cache["_index"]


def node_column(tables: GraphTables, column: str) -> pd.Series:
    """A node property indexed by ``node_id`` (missing where absent), kept with the tables
    after the first call (the tables are read-only to every stage). Strings stay in
    Arrow-backed ``str`` columns (no Python object per node)."""
    cache = tables.__dict__.setdefault("_node_columns", {})
    if column not in cache:
        nodes = tables.nodes
        index = node_index(tables)
        if column not in nodes.columns:
            cache[column] = pd.Series(np.nan, index=index, dtype="str")
        else:
            values = nodes[column]
            text = isinstance(values.dtype, pd.ArrowDtype) and \
                pa.types.is_string(values.dtype.pyarrow_dtype)
            values = _str_column(values) if text else values.astype(object)
            cache[column] = pd.Series(values.to_numpy() if not text else values.array,
                                      index=index)
    return cache[column]


def node_positions(tables: GraphTables, ids: np.ndarray) -> np.ndarray:
    """Row of each node id in the node table (-1 where unknown)."""
    index = node_index(tables)
    ids = np.asarray(ids, dtype=np.int64)
    if isinstance(index, pd.RangeIndex):
        if not len(ids) or (int(ids.min()) >= 0 and int(ids.max()) < len(index)):
            return ids  # every id is its row: no copy
        return np.where((ids >= 0) & (ids < len(index)), ids, -1)
    return index.get_indexer(ids)


def node_values(tables: GraphTables, column: str, ids) -> pd.Series:
    """``node_column(tables, column).reindex(ids)`` (missing where a node or the
    property is absent), made from the rows asked for only: a text property is gathered
    in Arrow, so no converted copy of the whole column is made or kept."""
    ids = np.asarray(ids, dtype=np.int64)
    nodes = tables.nodes
    values = nodes[column] if column in nodes.columns else None
    if values is None or not (isinstance(values.dtype, pd.ArrowDtype) and
                              pa.types.is_string(values.dtype.pyarrow_dtype)):
        return node_column(tables, column).reindex(ids)
    at = node_positions(tables, ids)
    taken = take_rows(values, np.maximum(at, 0))
    if len(at) and int(at.min()) < 0:
        taken = pc.if_else(pa.array(at >= 0), taken, pa.nulls(len(at), taken.type))
    out = _text_column(taken)
    out.index = pd.Index(ids)
    return out


def label_codes(tables: GraphTables) -> tuple[np.ndarray, np.ndarray]:
    """Per node, a small integer code of its label (int8 while fewer than 128 labels: the
    codes of every node then fit in the CPU's cache, and reading them at the random ends
    of relationships stays there); and the labels the codes stand for."""
    cache = tables.__dict__.setdefault("_node_columns", {})
    if "_label_codes" not in cache:
        cache["_label_codes"] = _run_codes(arrow_chunks(tables.nodes["label"]))
    return cache["_label_codes"]


def node_codes(tables: GraphTables, column: str) -> tuple[np.ndarray, np.ndarray]:
    """:func:`label_codes` of another text column of the node table (-1 where a node
    lacks it): for a column whose values come in long runs in key order, as ``kind``
    does (each label's nodes are one range of keys), the runs are coded, not each node's
    text. Made once per tables."""
    cache = tables.__dict__.setdefault("_node_columns", {})
    name = f"_codes:{column}"
    if name not in cache:
        cache[name] = _run_codes(arrow_chunks(tables.nodes[column]))
    return cache[name]


def type_codes(tables: GraphTables) -> tuple[np.ndarray, np.ndarray]:
    """Per relationship, a small integer code of its type (int8 while fewer than 128
    types); and the types the codes stand for (in order of first appearance). Made once
    per tables, slice by slice (:func:`small_codes`)."""
    cache = tables.__dict__.setdefault("_node_columns", {})
    if "_type_codes" not in cache:
        cache["_type_codes"] = small_codes(arrow_chunks(tables.relationships["type"]))
    return cache["_type_codes"]


#: Rows coded at a time by :func:`small_codes`.
CODE_SLICE = 1 << 20


def small_codes(array: pa.ChunkedArray, step: int = CODE_SLICE
                ) -> tuple[np.ndarray, np.ndarray]:
    """:func:`arrow_codes` of a text column with few distinct values (-1 where missing),
    int8 while fewer than 128 values (else int32): each slice of ``step`` rows is
    dictionary-encoded alone and its few values mapped to the codes so far, written into
    one small output, so no column-long int32 indices (nor their joined copy) are made,
    only the codes themselves."""
    values: dict = {}
    out = np.empty(len(array), dtype=np.int8)
    at = 0
    for chunk in array.chunks:
        if pa.types.is_dictionary(chunk.type):
            chunk = chunk.cast(chunk.type.value_type)
        for low in range(0, len(chunk), step):
            part = pc.dictionary_encode(chunk.slice(low, step))
            local = part.dictionary.to_pylist()
            mapping = [values.setdefault(v, len(values)) for v in local]
            if len(values) >= 128 and out.dtype == np.int8:
                out = out.astype(np.int32)
            indices = part.indices.fill_null(len(local)).to_numpy(zero_copy_only=False)
            np.take(np.array([*mapping, -1], dtype=out.dtype), indices,
                    out=out[at:at + len(part)])
            at += len(part)
    return out, np.asarray(list(values), dtype=object)


def rows_of_type(tables: GraphTables, rel: str) -> np.ndarray:
    """Positions of the relationships of type ``rel`` (ascending), from the type codes
    (:func:`type_codes`); kept with the tables (several steps ask for one type)."""
    cache = tables.__dict__.setdefault("_node_columns", {}).setdefault("_type_rows", {})
    if rel not in cache:
        codes, types = type_codes(tables)
        number = {t: i for i, t in enumerate(types.tolist())}
        rows = np.flatnonzero(codes == number[rel]) if rel in number else \
            np.zeros(0, np.int64)
        rows.flags.writeable = False  # shared by every caller: read-only
        cache[rel] = rows
    return cache[rel]


def type_run(tables: GraphTables, rel: str) -> slice | None:
    """The rows of relationship type ``rel`` as one slice when they are one run of
    consecutive rows (every record's RESOLVED_TO, every payment: the relationships are
    sorted by start node and each kind of start node is one range of keys), else None:
    read through it, their columns are views, and no array of row numbers is made.
    Kept with the tables."""
    cache = tables.__dict__.setdefault("_node_columns", {}).setdefault("_type_runs", {})
    if rel not in cache:
        codes, types = type_codes(tables)
        number = {t: i for i, t in enumerate(types.tolist())}
        run = None
        if rel in number:
            hit = codes == number[rel]
            first = int(np.argmax(hit))
            count = int(np.count_nonzero(hit))
            if count and bool(hit[first:first + count].all()):
                run = slice(first, first + count)
        cache[rel] = run
    return cache[rel]


def _first_seen_small(codes: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """``codes`` (each below a small ``n``) renumbered in order of first appearance, and
    the old code of each new one: ``pd.factorize`` of a column with a few distinct values,
    one pass per value instead of a hash table or a sort."""
    present = np.flatnonzero(np.bincount(codes, minlength=n)) if len(codes) else \
        np.zeros(0, np.int64)
    first = np.array([int(np.argmax(codes == c)) for c in present.tolist()], dtype=np.int64)
    old = present[np.argsort(first, kind="stable")]
    small = np.int8 if n < 128 else np.int32  # (what a categorical keeps: no int32 copy)
    new = np.full(n, -1, dtype=small)
    new[old] = np.arange(len(old), dtype=small)
    return new[codes], old


@dataclass
class Sharing:
    """The sharing table of one graph and the graph's tables.

    ``rows`` holds only integer columns (``ROW_COLUMNS``: node ids, label and type
    categoricals, ``n_entities`` and ``rel``, the relationship's row): the text of a row
    (``TEXT_COLUMNS``) is the node table's and the relationship table's, gathered by
    :meth:`with_text` for the rows a step shows, so the table does not hold a second copy
    of every key, value and record list. :attr:`table` is the whole table with its text
    (``SHARING_COLUMNS``), made on each call, for analysts and tests."""

    rows: pd.DataFrame
    tables: GraphTables

    @property
    def table(self) -> pd.DataFrame:
        """Every row with its text (``SHARING_COLUMNS``), made on each call (not kept)."""
        return self.with_text(self.rows, TEXT_COLUMNS)[list(SHARING_COLUMNS)]

    def with_text(self, frame: pd.DataFrame, columns: tuple[str, ...] | list[str]
                  ) -> pd.DataFrame:
        """``frame`` (rows of :attr:`rows`, any subset and order, with the columns the text
        comes from: ``entity_id``, ``ident_id``, ``rel``) with ``columns`` of
        ``TEXT_COLUMNS`` added: ``entity`` and ``ident`` the nodes' keys, ``value`` the
        identifier's value (its key where it has none), ``records`` the relationship's."""
        out = frame.copy()
        for column in columns:
            out[column] = row_text(self.tables, frame, column)
        return out

    def sizes(self) -> pd.Series:
        """``n_entities`` per identifier node id."""
        return self.rows.drop_duplicates("ident_id").set_index("ident_id")["n_entities"]

    def shared(self, max_share: int) -> pd.DataFrame:
        """Rows of identifiers shared by 2 to ``max_share`` entities (hubs left out); made
        once per threshold (every step only reads it)."""
        cache = self.__dict__.setdefault("_shared", {})
        if max_share not in cache:
            n = self.rows["n_entities"]
            cache[max_share] = self.rows[(n >= 2) & (n <= max_share)]
        return cache[max_share]

    def shared_of_type(self, max_share: int, rel: str) -> pd.DataFrame:
        """The rows of :meth:`shared` of relationship type ``rel``, in the same order (the
        shared rows are sorted by type once, so each type is a slice, not a filter)."""
        cache = self.__dict__.setdefault("_shared_types", {})
        if max_share not in cache:
            shared = self.shared(max_share)
            codes = shared["type"].cat.codes.to_numpy() if len(shared) else np.zeros(0)
            order = np.argsort(codes, kind="stable")
            ordered = shared.iloc[order]
            bounds = np.searchsorted(codes[order], np.arange(len(shared["type"].cat.categories)
                                                             + 1))
            cache[max_share] = (ordered, {str(t): (int(bounds[i]), int(bounds[i + 1]))
                                          for i, t in enumerate(shared["type"].cat.categories)})
        ordered, spans = cache[max_share]
        start, end = spans.get(rel, (0, 0))
        return ordered.iloc[start:end]

    def of_type(self, rel: str) -> pd.DataFrame:
        """The rows of relationship type ``rel`` (any sharing count), in table order."""
        types = self.rows["type"]
        if rel not in types.cat.categories:
            return self.rows.iloc[:0]
        code = types.cat.categories.get_loc(rel)
        return self.rows[(types.cat.codes == code).to_numpy(bool)]

    def hubs(self, max_share: int) -> pd.DataFrame:
        """Identifiers shared by more than ``max_share`` entities: key, label, kind, count."""
        rows = self.rows.loc[(self.rows["n_entities"] > max_share).to_numpy(bool),
                             ["ident_id", "ident_label", "n_entities"]]
        rows = rows.drop_duplicates("ident_id")
        kind = node_values(self.tables, "kind", rows["ident_id"])
        return pd.DataFrame({"identifier": row_text(self.tables, rows, "ident").to_numpy(),
                             "label": rows["ident_label"].to_numpy(),
                             "kind": kind.fillna("").to_numpy(),
                             "entities": rows["n_entities"].to_numpy()})


def row_text(tables: GraphTables, frame: pd.DataFrame, column: str) -> pd.Series:
    """One text column of ``TEXT_COLUMNS`` for the sharing rows ``frame`` (index kept):
    gathered from the node table (keys, values) or the relationship table (records)."""
    if column == "records":
        rels = tables.relationships
        if "records" in rels.columns:
            records = take_rows(rels["records"], frame["rel"].to_numpy(np.int64)).cast(
                pa.list_(pa.string()))
        else:
            records = pa.array([[]] * len(frame), pa.list_(pa.string()))
        return pd.Series(pd.arrays.ArrowExtensionArray(records), index=frame.index)
    if column not in ("entity", "ident", "value"):
        raise ValueError(f"no text column {column!r} in the sharing table "
                         f"(one of {', '.join(TEXT_COLUMNS)})")
    ids = frame["entity_id" if column == "entity" else "ident_id"].to_numpy(np.int64)
    out = node_values(tables, "key", ids)
    if column == "value" and "value" in tables.nodes.columns:
        out = node_values(tables, "value", ids).fillna(out)
    out.index = frame.index
    return out


def _run_codes(array: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`arrow_codes` of a column whose values come in long runs (the nodes' labels, in
    key order): the runs are found first (run-end encoding, chunk by chunk), one code is
    made per run and repeated over its length."""
    if not (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)):
        codes, dictionary = arrow_codes(array)  # (no run-end kernel for dictionary columns)
        return (codes.astype(np.int8) if len(dictionary) < 128 else codes), dictionary
    values, lengths = [], []
    for chunk in array.chunks:
        if not len(chunk):
            continue
        runs = pc.run_end_encode(chunk)
        ends = runs.run_ends.to_numpy(zero_copy_only=False).astype(np.int64)
        values.append(runs.values)
        lengths.append(np.diff(ends, prepend=0))
    if not values:
        return np.zeros(0, np.int8), np.asarray([], dtype=object)
    codes, dictionary = arrow_codes(pa.chunked_array(values, array.type))
    if len(dictionary) < 128:  # repeated as int8: no int32 copy of the column made first
        codes = codes.astype(np.int8)
    return np.repeat(codes, np.concatenate(lengths)), dictionary


def _arrow(series: pd.Series) -> pa.Array:
    """A column as one Arrow array (no Python objects made for Arrow-backed columns)."""
    array = pa.array(series.array) if isinstance(series.dtype, pd.ArrowDtype | pd.StringDtype) \
        else pa.array(series.to_numpy(dtype=object), from_pandas=True)
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array


def _text_column(array: pa.Array) -> pd.Series:
    """An Arrow string array as a pandas ``str`` column (Arrow-backed, no copy per cell);
    nulls stay missing (pandas 2's ``astype("str")`` would write them as "<NA>")."""
    return _str_column(pd.Series(pd.arrays.ArrowExtensionArray(array.cast(pa.string()))))


def _str_column(values: pd.Series) -> pd.Series:
    """An Arrow-backed text column as pandas' ``str`` dtype, missing values kept missing
    (pandas 2's ``astype("str")`` writes them as the text "<NA>")."""
    out = values.astype("str")
    missing = values.isna()
    return out.where(~missing) if missing.any() else out


def sharing_table(source: GraphTables | nx.MultiDiGraph) -> Sharing:
    """Every entity → identifier relationship with the identifier's sharing count.

    Built from integer codes (node rows, label codes): labels and types are categoricals,
    and the text of a row stays in the node and relationship tables (``Sharing.rows``
    holds integers only; ``Sharing.with_text`` gathers text for the rows shown)."""
    tables = as_tables(source)
    rels = tables.relationships
    _, labels = label_codes(tables)
    start_id = rels["start_id"].to_numpy(np.int64)
    end_id = rels["end_id"].to_numpy(np.int64)
    is_entity = np.r_[np.isin(labels, list(ENTITY_LABELS)), False]  # code -1: False
    is_ident = np.r_[np.isin(labels, list(IDENTIFIER_LABELS)), False]
    keep, start_code, end_code = _entity_to_identifier(tables, start_id, end_id, is_entity,
                                                       is_ident)
    all_types, type_names = type_codes(tables)
    kept_types, old = _first_seen_small(all_types[keep], len(type_names))
    types = type_names[old]
    category = pd.CategoricalDtype(list(labels))
    entity_ids, ident_ids = start_id[keep], end_id[keep]
    table = pd.DataFrame({
        "entity_id": entity_ids,
        "entity_label": pd.Categorical.from_codes(start_code, dtype=category),
        "ident_id": ident_ids,
        "ident_label": pd.Categorical.from_codes(end_code, dtype=category),
        "type": pd.Categorical.from_codes(kept_types, categories=list(types)),
        "n_entities": _distinct_sharers(ident_ids, entity_ids),
        "rel": keep.astype(np.int64, copy=False),
    }, copy=False)  # the integer columns kept as they are (not copied into one block)
    return Sharing(table, tables)


def _entity_to_identifier(tables: GraphTables, start_id: np.ndarray, end_id: np.ndarray,
                          is_entity: np.ndarray, is_ident: np.ndarray
                          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The relationship rows from an entity to an identifier (ascending), and the label
    codes of their start and end nodes (``is_entity``/``is_ident``: per label code, and
    False at the end for code -1). Where the start nodes' rows ascend (the tables'
    contract) and entities are a few runs of nodes (each label one range of keys), the
    rows of each run are one slice found by binary search: no code is read per
    relationship from a non-entity, and no gathered copy of the slice's end ids is made."""
    codes, _ = label_codes(tables)
    spans = _entity_spans(tables, start_id, codes, is_entity)
    if spans is None:
        start_code = _codes_at(codes, node_positions(tables, start_id))
        from_entity = np.flatnonzero(is_entity[start_code])  # only their ends are looked up
        end_code = _codes_at(codes, node_positions(tables, end_id[from_entity]))
        to_ident = is_ident[end_code]
        keep = from_entity[to_ident]
        return keep, start_code[keep], end_code[to_ident]
    if not spans:
        return np.zeros(0, np.int64), codes[:0], codes[:0]
    # the runs' rows marked in one mask (and their end codes kept), then one flatnonzero:
    # no row numbers made per run and joined after (three int64 copies of every row)
    hits = np.zeros(len(end_id), dtype=bool)
    end_codes = np.empty(len(end_id), dtype=codes.dtype)
    counts = []
    for low, high, _ in spans:
        end_codes[low:high] = _codes_at(codes, node_positions(tables, end_id[low:high]))
        hits[low:high] = is_ident[end_codes[low:high]]
        counts.append(int(np.count_nonzero(hits[low:high])))
    keep = np.flatnonzero(hits)
    start_code = np.repeat(np.array([code for *_, code in spans], dtype=codes.dtype), counts)
    return keep, start_code, end_codes[keep]


#: More runs of entity nodes than this: their rows are found by a code per relationship.
MAX_ENTITY_RUNS = 64


def _entity_spans(tables: GraphTables, start_id: np.ndarray, codes: np.ndarray,
                  is_entity: np.ndarray) -> list[tuple[int, int, int]] | None:
    """(first row, end row, label code) of the relationships whose start nodes are one
    run of entity nodes, run after run, when the start nodes' rows ascend and there are
    at most ``MAX_ENTITY_RUNS`` runs; else None."""
    at = node_positions(tables, start_id)
    if not ascending(at):
        return None
    lows, highs = run_bounds(codes)
    run_code = codes[lows].astype(np.int64)
    entity = np.flatnonzero(is_entity[run_code])
    if len(entity) > MAX_ENTITY_RUNS:
        return None
    first = np.searchsorted(at, lows[entity]).tolist()  # rows of unknown nodes (-1)
    last = np.searchsorted(at, highs[entity]).tolist()  # come first: in no run
    return [(a, b, c) for a, b, c in zip(first, last, run_code[entity].tolist()) if b > a]


def _codes_at(codes: np.ndarray, at: np.ndarray) -> np.ndarray:
    """``codes`` at rows ``at`` (-1 where a row is -1: an unknown node)."""
    if not len(at) or int(at.min()) >= 0:
        return codes[at]
    return np.where(at >= 0, codes[np.maximum(at, 0)], -1).astype(codes.dtype)


def _distinct_sharers(idents: np.ndarray, entities: np.ndarray, step: int = CODE_SLICE
                      ) -> np.ndarray:
    """Per row, how many distinct ``entities`` share the row's identifier: the rows per
    identifier (a count over the identifiers' id range) less the rows that repeat an
    (entity, identifier) pair (one entity reaching one identifier by two types). The rows
    come in entity order, so a repeat lies within one entity's rows: the pairs, packed
    entity-major into one integer, are sorted slice by slice (slices cut between two
    entities), each sort only merging short runs. No hash table, no argsort, and no
    temporary as long as the table (at a million people those were fresh pages, whose
    zeroing cost more than the sort)."""
    if not len(idents):
        return np.ones(0, dtype=np.int64)
    low_i, low_e = int(idents.min()), int(entities.min())
    span_i, span_e = int(idents.max()) - low_i + 1, int(entities.max()) - low_e + 1
    if span_i * span_e >= 2 ** 62 or span_i > 8 * len(idents) + (1 << 20) or not \
            ascending(entities, step):
        # ids too far apart for one integer or one table of counts, or rows not in
        # entity order: pairs by lexsort
        return _distinct_sharers_lexsort(idents, entities)
    local = idents - low_i if low_i else idents  # (no copy when the ids start at 0)
    per_ident = np.bincount(local, minlength=span_i)  # (np.add.at is 6x slower)
    for low, high in _entity_slices(entities, step):
        pairs = entities[low:high] - low_e  # one array, made in place
        pairs *= span_i
        pairs += local[low:high]
        pairs.sort(kind="stable")
        repeat = np.flatnonzero(pairs[1:] == pairs[:-1])
        if len(repeat):
            np.subtract.at(per_ident, pairs[repeat + 1] % span_i, 1)
    return _gathered_counts(per_ident, local, step)


def _gathered_counts(counts: np.ndarray, at: np.ndarray, step: int = CODE_SLICE
                     ) -> np.ndarray:
    """``counts[at]`` as int64 (``counts``: non-negative, ``at``: valid positions), read
    from a copy of ``counts`` in the narrowest unsigned type that holds them (one byte
    each while every count is below 256) and gathered ``step`` rows at a time through a
    small buffer into the output. The positions are random (identifiers in entity order):
    at a million people an int64 table of every identifier is 54 MB, past the CPU's
    caches, and its gather took 2.5x the time of the byte table's."""
    narrow = counts.astype(np.min_scalar_type(int(counts.max(initial=0))), copy=False)
    out = np.empty(len(at), dtype=np.int64)
    buffer = np.empty(min(step, len(at)), dtype=narrow.dtype)
    for low in range(0, len(at), step):
        part = buffer[:min(step, len(at) - low)]
        np.take(narrow, at[low:low + step], out=part, mode="clip")  # (valid rows:
        out[low:low + len(part)] = part  # "raise" would buffer the output)
    return out


def _entity_slices(entities: np.ndarray, step: int) -> list[tuple[int, int]]:
    """Slices of about ``step`` rows of ``entities`` (ascending), each cut where the
    entity changes, so no entity's rows are split."""
    cuts = [0]
    while cuts[-1] < len(entities):
        nominal = cuts[-1] + step
        if nominal >= len(entities):
            cuts.append(len(entities))
            break
        cut = int(np.searchsorted(entities, entities[nominal], side="left"))
        if cut <= cuts[-1]:  # one entity's rows longer than a slice: cut after them
            cut = int(np.searchsorted(entities, entities[nominal], side="right"))
        cuts.append(cut)
    return list(pairwise(cuts))


def _distinct_sharers_lexsort(idents: np.ndarray, entities: np.ndarray) -> np.ndarray:
    """:func:`_distinct_sharers` for ids whose pairs do not fit one int64."""
    pair = np.lexsort((entities, idents))
    ids, ents = idents[pair], entities[pair]
    starts = np.r_[True, ids[1:] != ids[:-1]]
    head = starts | np.r_[True, ents[1:] != ents[:-1]]
    group = np.cumsum(starts) - 1
    per_ident = np.bincount(group, weights=head, minlength=int(starts.sum())).astype(np.int64)
    n_entities = np.empty(len(idents), dtype=np.int64)
    n_entities[pair] = per_ident[group]
    return n_entities


def sanction_hits(tables: GraphTables) -> pd.DataFrame:
    """``entity_id``, ``sanction_id``, ``score``, ``hit`` text of MATCHES edges to Sanction
    nodes (made once per tables, which every stage only reads: clusters and two ring
    steps ask; callers must not change the frame)."""
    cache = tables.__dict__.setdefault("_node_columns", {})
    if "_sanction_hits" not in cache:
        cache["_sanction_hits"] = _sanction_hits(tables)
    return cache["_sanction_hits"]


def _sanction_hits(tables: GraphTables) -> pd.DataFrame:
    rels = tables.relationships
    rows = rows_of_type(tables, Rel.MATCHES.value)  # the matches' rows of the columns read
    end = rels["end_id"].to_numpy()[rows]
    rows = rows[node_values(tables, "label", end).to_numpy() == Label.SANCTION.value]
    start, end = rels["start_id"].to_numpy()[rows], rels["end_id"].to_numpy()[rows]
    name = node_values(tables, "name", end).astype(str).to_numpy()
    lst = node_values(tables, "list", end).astype(str).to_numpy()
    lid = node_values(tables, "list_id", end).astype(str).to_numpy()
    score = rels["score"].iloc[rows].astype(float).to_numpy() if "score" in rels.columns \
        else np.ones(len(rows))
    return pd.DataFrame({"entity_id": start, "sanction_id": end, "score": score,
                         "hit": [f"{a} ({b} {c})" for a, b, c in zip(name, lst, lid)]})


def shared_identifier_groups(source: GraphTables | nx.MultiDiGraph | Sharing,
                             rel_types: tuple[str, ...],
                             entity_labels: tuple[str, ...] = ("Person", "Company"),
                             min_members: int = 2, max_members: int = 20,
                             exclude_rel: str | None = None) -> dict[str, set[str]]:
    """Identifier value → entity keys reaching it by ``rel_types``, for groups whose size is
    within [min_members, max_members]. With ``exclude_rel``, an entity counts only when it
    does not also reach the identifier by that type (laptop farms: SHIPS_TO, not LIVES_AT).

    This is the in-process twin of the ``rings/shared_*`` Cypher pack queries.
    """
    sharing = source if isinstance(source, Sharing) else sharing_table(source)
    t = sharing.rows
    picked = t[t["type"].isin(rel_types) & t["entity_label"].isin(entity_labels)]
    if exclude_rel:
        excluded = t.loc[t["type"] == exclude_rel, ["entity_id", "ident_id"]]
        both = picked.merge(excluded.assign(_x=True), on=["entity_id", "ident_id"],
                            how="left")
        picked = picked[both["_x"].isna().to_numpy()]
    picked = sharing.with_text(picked, ("value", "entity"))
    groups = picked.groupby("value")["entity"].agg(lambda s: set(s))
    sizes = groups.map(len)
    groups = groups[(sizes >= min_members) & (sizes <= max_members)]
    return dict(groups.items())


__all__ = ["ENTITY_LABELS", "IDENTIFIER_LABELS", "ROW_COLUMNS", "SHARING_COLUMNS",
           "TEXT_COLUMNS", "Sharing", "as_tables",
           "label_codes", "node_codes", "node_column", "node_index", "node_positions",
           "node_values",
           "row_text", "rows_of_type",
           "sanction_hits",
           "shared_identifier_groups", "sharing_table", "small_codes", "take_rows", "type_codes",
           "type_run"]

