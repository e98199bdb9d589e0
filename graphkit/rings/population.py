"""Per-entity facts of the whole population, as tables: names, dates of birth, national
ids, VPN use, which entities are one person recorded twice, and who lives together.

Households are the connected components of people who share a residential address (not a
hub), who resolution put in one household (``SAME_HOUSEHOLD``), or who are one person.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from itertools import chain

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from rapidfuzz import fuzz
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from graphkit.graph.assemble import column_at
from graphkit.intcodes import ascending, sorted_positions
from graphkit.rings.records import ends_of_type, resolved_of
from graphkit.rings.sharing import (
    Sharing,
    _arrow,
    label_codes,
    node_values,
    row_text,
)
from graphkit.schema import Label, Rel
from graphkit.text.names import romanized_tokens


@dataclass
class Population:
    """Facts per entity (``entities``: entity_id, key, label, name, tokens, vpn, person,
    household), the sharing table, and the hub threshold."""

    entities: pd.DataFrame
    sharing: Sharing
    max_share: int
    #: IP nodes some login reached through a VPN: exits unrelated people share
    vpn_exits: frozenset[int] = frozenset()
    #: national ids per person record: entity_id, name, dob, nid
    identities: pd.DataFrame | None = None
    #: an IP shared by people of this many households is a carrier NAT or public network
    nat_households: int = 10
    #: per entity row the number of its name, and each name's tokens (``token_sets``)
    name_sets: tuple[np.ndarray, list[frozenset[str]]] | None = field(default=None,
                                                                        repr=False)

    @functools.cached_property
    def tokens_of(self) -> dict[int, frozenset[str]]:
        """Entity id → romanized name tokens."""
        return dict(zip(self.entities["entity_id"], self.entities["tokens"]))

    @functools.cached_property
    def token_sets(self) -> tuple[np.ndarray, list[frozenset[str]]]:
        """Per entity row a number standing for its name tokens (rows of one number have
        equal tokens), and the tokens of each number: ``name_sets`` when the population
        was built with them, else one number per distinct token set."""
        if self.name_sets is not None:
            return self.name_sets
        codes, distinct = pd.factorize(self.entities["tokens"].to_numpy(dtype=object))
        return codes.astype(np.int64), list(distinct)

    @functools.cached_property
    def set_tokens(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
        """The tokens of each number of ``token_sets`` as integer codes: where each
        number's codes start and how many there are in ``codes`` (the third array), and
        the number of distinct tokens."""
        _, sets = self.token_sets
        lengths = np.fromiter((len(t) for t in sets), dtype=np.int64, count=len(sets))
        words = list(chain.from_iterable(sets))
        codes, vocabulary = pd.factorize(np.asarray(words, dtype=object)) if words else \
            (np.zeros(0, np.int64), [])
        starts = np.cumsum(lengths) - lengths
        return starts, lengths, codes.astype(np.int64), len(vocabulary)

    @property
    def n_people(self) -> int:
        """Distinct persons and companies (duplicates of one person counted once)."""
        return int(self.entities["person"].nunique())


def entity_rows(pop: Population, entity_ids: np.ndarray) -> np.ndarray:
    """Row of each entity id in ``pop.entities`` (-1 where it is no entity). How the ids
    lie is checked once per entities table (the detectors ask many times): increasing ids
    that come in a few runs of consecutive ids (companies, then people: node ids in key
    order) are found by a binary search among the runs' first ids (a small array that
    stays in the cache) and an offset; other increasing ids by a binary search among all
    of them; others by a hash lookup."""
    wanted = np.asarray(entity_ids, dtype=np.int64)
    seen = pop.__dict__.get("_entity_ids")
    if seen is None or seen[0] is not pop.entities:
        ids = pop.entities["entity_id"].to_numpy(np.int64)
        increasing = _increasing(ids)
        seen = pop.__dict__["_entity_ids"] = (pop.entities, ids, increasing,
                                              _id_runs(ids) if increasing else None)
    _, ids, increasing, runs = seen
    if runs is not None:
        return _rows_of_ids_in_runs(runs, wanted)
    return sorted_positions(ids, wanted) if increasing else \
        pd.Index(ids).get_indexer(wanted)


#: More runs of consecutive entity ids than this: rows by a binary search among all ids.
MAX_ID_RUNS = 256


def _id_runs(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """The first row, first id and length of each run of consecutive ``ids``
    (increasing), or None when there are more than ``MAX_ID_RUNS`` runs."""
    cuts = np.flatnonzero(ids[1:] - ids[:-1] != 1) + 1
    if len(cuts) >= MAX_ID_RUNS:
        return None
    rows = np.r_[0, cuts].astype(np.int64)
    return rows, ids[rows], np.diff(np.r_[rows, len(ids)])


def _rows_of_ids_in_runs(runs: tuple[np.ndarray, np.ndarray, np.ndarray], wanted: np.ndarray
                  ) -> np.ndarray:
    """Row of each of ``wanted`` in the runs of :func:`_id_runs` (-1 where absent)."""
    rows, firsts, lengths = runs
    if not len(firsts):
        return np.full(len(wanted), -1, dtype=np.int64)
    run = np.maximum(np.searchsorted(firsts, wanted, side="right") - 1, 0)
    offset = wanted - firsts[run]
    inside = (offset >= 0) & (offset < lengths[run])
    return np.where(inside, rows[run] + offset, -1)


def _increasing(ids: np.ndarray) -> bool:
    return bool(len(ids)) and bool((np.diff(ids) > 0).all())


@functools.cache
def _tokens(name: str) -> frozenset[str]:
    return frozenset(romanized_tokens(name))


def _resolved(sharing: Sharing, kind: str) -> pd.DataFrame:
    """Records of ``kind`` resolved to entities: entity_id, record node id."""
    res = resolved_of(sharing.tables, [kind])  # (a filtered copy: not copied again)
    return pd.DataFrame({"entity_id": res["entity_id"].to_numpy(np.int64),
                         "record": res["record"].to_numpy(np.int64)}, copy=False)


def _components(n: int, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    matrix = coo_matrix((np.ones(len(left)), (left, right)), shape=(n, n))
    return connected_components(matrix, directed=False)[1]


def build_population(sharing: Sharing, max_share: int, nat_households: int = 10
                     ) -> Population:
    """The population facts of the graph behind ``sharing``."""
    tables = sharing.tables
    nodes = tables.nodes
    ent = _entity_nodes(nodes, *label_codes(tables))
    names = node_values(tables, "name", ent["entity_id"]).fillna("").astype(str)
    ent["name"] = names.array  # (the text stays in Arrow: no Python string per entity)
    ent["tokens"], name_sets = _name_tokens(ent["name"])
    pop = Population(ent, sharing, max_share, nat_households=nat_households)  # (filled in
    # below; its entity rows are looked up from here on)
    people = _resolved(sharing, "people")
    # text columns stay in Arrow (no Python string made per record)
    people["dob"] = node_values(tables, "dob", people["record"]).fillna("").astype(
        str).array
    t = sharing.rows
    docs = sharing.of_type(Rel.HAS_DOCUMENT.value)
    value = _arrow(row_text(tables, docs, "value")).cast(pa.string())
    docs = sharing.with_text(  # national ids: the value's text tested in Arrow
        docs[pc.starts_with(value, "nid:").fill_null(False).to_numpy(zero_copy_only=False)],
        ("ident", "records"))
    logins = _resolved(sharing, "logins")
    vpn = node_values(tables, "vpn", logins["record"]).astype(str).str.lower()
    users = set(logins.loc[(vpn == "true").to_numpy(), "entity_id"])
    ent["vpn"] = ent["entity_id"].isin(users).to_numpy()
    ent["person"] = _one_person(pop, t, people)
    ent["household"] = _households(pop, sharing, max_share)
    vpn_records = set(node_values(tables, "record_id", logins.loc[
        (vpn == "true").to_numpy(), "record"]).astype(str))
    exits = _vpn_exits(sharing, vpn_records)
    people["record_id"] = node_values(tables, "record_id", people["record"]).astype(
        str).array
    held = docs[["ident", "records", "entity_id"]].explode("records").dropna()
    held = held.rename(columns={"records": "record_id", "ident": "nid"})
    people = _with_documents(people, held)
    pop.vpn_exits, pop.name_sets = exits, name_sets
    at = entity_rows(pop, people["entity_id"].to_numpy(np.int64))
    people["name"] = ent["name"].array.take(at) if not len(at) or int(at.min()) >= 0 else \
        ent.set_index("entity_id")["name"].reindex(people["entity_id"]).to_numpy()
    pop.identities = people[(people["dob"] != "") & (people["nid"] != "")]
    return pop



def _entity_nodes(nodes: pd.DataFrame, codes: np.ndarray, labels: np.ndarray
                  ) -> pd.DataFrame:
    """``entity_id``, ``key`` and ``label`` of the person and company nodes (node order),
    from the nodes' label ``codes``: those three columns are taken at the entities' rows
    one by one, chunk by chunk (a boolean ``.loc`` of the node table took every column's
    rows first, every property of a million entities, to keep three)."""
    wanted = np.isin(labels, [Label.PERSON.value, Label.COMPANY.value])
    rows = np.flatnonzero(np.r_[wanted, False][codes])  # code -1 (no label): last, False
    return pd.DataFrame({"entity_id": nodes["node_id"].to_numpy()[rows],
                         "key": column_at(nodes["key"], rows),
                         "label": column_at(nodes["label"], rows)})


def _name_tokens(names: pd.Series) -> tuple[np.ndarray,
                                            tuple[np.ndarray, list[frozenset[str]]]]:
    """Romanized name tokens of each name (``_tokens``), made once per distinct name, as
    an object array (one gather of the distinct names' sets: no Python int or list item
    per name); and per name its distinct name's number, with the tokens of each number."""
    codes, distinct = pd.factorize(names)
    tokens = [_tokens(n) for n in distinct.tolist()] + [frozenset()]  # -1: missing
    codes = np.where(codes < 0, len(tokens) - 1, codes).astype(np.int64)
    sets = np.empty(len(tokens), dtype=object)
    sets[:] = tokens  # (element by element: a set is not unpacked into a dimension)
    return sets[codes], (codes, tokens)


def _with_documents(people: pd.DataFrame, held: pd.DataFrame) -> pd.DataFrame:
    """``people.merge(held, on=["record_id", "entity_id"])`` (inner: people's order, and
    each person row's matches in ``held``'s order), joined on the entity ids (integers)
    first: an entity has one or two records and documents, so its few candidate pairs
    have their record ids compared in Arrow (missing equals missing, as a merge has
    it), and no record id text is hashed."""
    left_e = people["entity_id"].to_numpy(np.int64)
    right_e = held["entity_id"].to_numpy(np.int64)
    order = None if ascending(right_e) else \
        np.argsort(right_e, kind="stable")
    ordered = right_e if order is None else right_e[order]
    low = np.searchsorted(ordered, left_e, side="left")
    counts = np.searchsorted(ordered, left_e, side="right") - low
    ends = np.cumsum(counts)
    lefts = np.repeat(np.arange(len(left_e)), counts)
    rights = np.arange(int(ends[-1]) if len(ends) else 0) - np.repeat(ends - counts - low,
                                                                    counts)
    if order is not None:
        rights = order[rights]
    mine = _arrow(people["record_id"]).cast(pa.string()).take(pa.array(lefts))
    theirs = _arrow(held["record_id"]).cast(pa.string()).take(pa.array(rights))
    same = pc.or_(pc.fill_null(pc.equal(mine, theirs), False),
                  pc.and_(mine.is_null(), theirs.is_null()))
    same = same.to_numpy(zero_copy_only=False)
    out = people.iloc[lefts[same]].reset_index(drop=True)
    for column in held.columns.drop(["record_id", "entity_id"]):
        out[column] = held[column].iloc[rights[same]].to_numpy() if not isinstance(
            held[column].dtype, pd.ArrowDtype | pd.StringDtype) else \
            held[column].array.take(rights[same])
    return out


def _vpn_exits(sharing: Sharing, vpn_records: set[str]) -> frozenset[int]:
    """IP node ids reached by a login record that went through a VPN."""
    ips = sharing.of_type(Rel.USES_IP.value)
    if ips.empty or not vpn_records:
        return frozenset()
    records = _arrow(row_text(sharing.tables, ips, "records")).cast(pa.list_(pa.string()))
    parent = pc.list_parent_indices(records).to_numpy()
    hit = pc.is_in(pc.list_flatten(records).cast(pa.string()),
                   value_set=pa.array(sorted(vpn_records), pa.string()))
    rows = parent[hit.fill_null(False).to_numpy(zero_copy_only=False)]
    return frozenset(ips["ident_id"].to_numpy(np.int64)[rows].tolist())


def _one_person(pop: Population, t: pd.DataFrame, people: pd.DataFrame) -> np.ndarray:
    """Group number per entity: entities sharing a document, a date of birth and nearly
    the same name are one person recorded twice."""
    docs = t.loc[((t["type"] == Rel.HAS_DOCUMENT.value) & (t["n_entities"] >= 2)
                  & (t["entity_label"] == Label.PERSON.value)).to_numpy(bool),
                 ["ident_id", "entity_id"]].drop_duplicates(["ident_id", "entity_id"])
    pairs = docs.merge(docs, on="ident_id")[["entity_id_x", "entity_id_y"]]
    pairs = pairs[pairs["entity_id_x"] < pairs["entity_id_y"]].drop_duplicates()
    ent = pop.entities
    a = entity_rows(pop, pairs["entity_id_x"].to_numpy(np.int64))
    b = entity_rows(pop, pairs["entity_id_y"].to_numpy(np.int64))
    involved = set(pairs["entity_id_x"]) | set(pairs["entity_id_y"])
    known = people[people["entity_id"].isin(involved) & (people["dob"] != "")]
    dobs: dict[int, set[str]] = {}
    for entity, dob in zip(known["entity_id"], known["dob"]):
        dobs.setdefault(entity, set()).add(dob)
    # the names of the pairs' entities only (not a Python string per entity)
    names_a = ent["name"].to_numpy(dtype=object)[a] if len(a) and int(a.min()) < 0 else \
        ent["name"].array.take(a).to_numpy(dtype=object)
    names_b = ent["name"].to_numpy(dtype=object)[b] if len(b) and int(b.min()) < 0 else \
        ent["name"].array.take(b).to_numpy(dtype=object)
    same = [bool(dobs.get(x, set()) & dobs.get(y, set())) and max(
        fuzz.ratio(m.lower(), n.lower()), fuzz.token_sort_ratio(m, n)) >= 85
        for x, y, m, n in zip(pairs["entity_id_x"], pairs["entity_id_y"], names_a,
                              names_b)]
    keep = np.array(same, dtype=bool)
    return _components(len(ent), a[keep], b[keep]) if len(ent) else np.zeros(0, np.int64)


def _households(pop: Population, sharing: Sharing, max_share: int) -> np.ndarray:
    """Household number per entity (see the module docstring); companies are their own."""
    t = sharing.rows
    home = t.loc[((t["type"] == Rel.LIVES_AT.value) & (t["n_entities"] >= 2)
                  & (t["n_entities"] <= max_share)).to_numpy(bool),
                 ["ident_id", "entity_id"]].drop_duplicates(["ident_id", "entity_id"])
    first = home.groupby("ident_id")["entity_id"].transform("min")
    ent = pop.entities
    left = [entity_rows(pop, home["entity_id"].to_numpy(np.int64))]
    right = [entity_rows(pop, first.to_numpy(np.int64))]
    same = ends_of_type(sharing.tables, "SAME_HOUSEHOLD")
    starts = entity_rows(pop, same["start_id"].to_numpy(np.int64))
    ends = entity_rows(pop, same["end_id"].to_numpy(np.int64))
    left.append(starts[starts >= 0])  # (each side's entities kept, as before)
    right.append(ends[ends >= 0])
    person = ent["person"].to_numpy()
    order = np.argsort(person, kind="stable")
    starts = np.r_[True, person[order][1:] != person[order][:-1]]
    rep = order[np.maximum.accumulate(np.where(starts, np.arange(len(order)), 0))]
    left.append(order)
    right.append(rep)
    if not len(ent):
        return np.zeros(0, np.int64)
    return _components(len(ent), np.concatenate(left).astype(np.int64),
                       np.concatenate(right).astype(np.int64))


__all__ = ["Population", "build_population", "entity_rows"]
