"""Build the property graph as node and relationship tables with table operations only.

``build_tables(data, people, companies, hits, sanctions)`` gives the same nodes, keys,
labels, properties and relationships as the row-by-row networkx builder graphkit had
before, but every step is a vectorised pandas operation (merge, group-by, sort, factorised
integer ids): no Python loop over records or identifiers. Python functions run once per
*distinct* value where a normaliser is needed (company names). The result follows the
contract of :mod:`graphkit.graph.tables`.

This module, with ``graphkit.resolve`` (blocking, comparisons) and the rings' group-by,
is the seam where the heavy stages are table operations that could move to an
out-of-core engine (DuckDB, Spark): each function here is a join or an aggregation.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from graphkit.distinct import map_distinct
from graphkit.graph.assemble import (
    ARROW_TYPES,
    ENTITIES,
    IDENTIFIERS,
    LIST_DTYPE,
    SANCTIONS,
    RelPart,
    arrow_chunks,
    arrow_codes,
    arrow_text,
    assemble,
    coded_text,
    repeated_text,
    take_chunked,
    take_rows,
)
from graphkit.graph.payer_ids import payer_entity_id
from graphkit.graph.tables import GraphTables
from graphkit.ingest import Ingested
from graphkit.ingest.fields import STR
from graphkit.ingest.identifiers import LAYOUT_DTYPE
from graphkit.intcodes import (
    first_positions,
    first_seen_codes,
    first_seen_pairs,
    grouped_positions,
    repeated,
    sorted_unique,
)
from graphkit.resolve import Resolution
from graphkit.schema import (
    ID_LABEL,
    NODE_PROPERTY_TYPES,
    IdKind,
    Label,
    Layout,
    Rel,
    id_relationship,
)
from graphkit.text.names import romanized_key
from graphkit.text.normalize import company_key

# --- small vectorised helpers -----------------------------------------------------------

def _text(series: pd.Series) -> pd.Series:
    """Strings with missing values as '' (the dtype is kept; an empty column of any
    type becomes an empty object column)."""
    if not len(series):
        return series.astype(object)
    missing = series.isna()
    return series.where(~missing, "") if missing.any() else series


def _repeated(value: str, n: int) -> pd.Categorical:
    """``value`` on ``n`` rows as a categorical: assembled as codes, not as n strings."""
    return pd.Categorical.from_codes(np.zeros(n, dtype=np.int8), categories=[value])


def _list_column(groups: np.ndarray, values: pd.Series, n_groups: int) -> pd.Series:
    """A list column of ``n_groups`` rows from ``values`` ordered by ``groups`` (sorted
    group numbers 0..n_groups-1, each value in its group's list in the given order)."""
    counts = np.bincount(groups, minlength=n_groups) if len(groups) else np.zeros(n_groups,
                                                                                   int)
    offsets = np.zeros(n_groups + 1, dtype=np.int32)
    np.cumsum(counts, out=offsets[1:])
    array = pa.ListArray.from_arrays(pa.array(offsets, pa.int32()),
                                     pa.array(_text(values).to_numpy(dtype=object),
                                              pa.string()))
    return pd.Series(pd.arrays.ArrowExtensionArray(array), dtype=LIST_DTYPE)


def _empty_lists(n: int) -> pd.Series:
    return _list_column(np.zeros(0, dtype=np.int64), pd.Series([], dtype=object), n)


def display_names(people: pd.DataFrame) -> pd.Series:
    """``full_name`` when given, else first, middle and last name joined (vectorised
    ``resolve.person_display_name``)."""
    def col(name: str) -> pd.Series:
        return _text(people[name]) if name in people.columns else pd.Series(
            "", index=people.index)
    joined = col("first_name")
    for name in ("middle_name", "last_name"):
        part = col(name)
        joined = joined.where(part == "", (joined + " " + part).where(joined != "", part))
    full = col("full_name")
    return full.where(full != "", joined)


# --- the parts of the graph -------------------------------------------------------------

def _arrow_strings(series: pd.Series) -> pa.Array | pa.ChunkedArray:
    """A string column as Arrow, '' and missing as null; chunk by chunk, as the column is
    held (its chunks are not joined: that would copy every field of every record)."""
    if isinstance(series.dtype, pd.ArrowDtype | pd.StringDtype):
        array = pa.array(series.array)
    else:
        array = pa.array(series.to_numpy(dtype=object), type=pa.string(), from_pandas=True)
    array = array.cast(pa.string())
    if isinstance(array, pa.ChunkedArray):
        if array.num_chunks != 1:
            return pa.chunked_array([_blank_as_null(chunk) for chunk in array.chunks],
                                    pa.string())
        array = array.chunk(0)
    return _blank_as_null(array)


def _blank_as_null(array: pa.Array) -> pa.Array:
    """A string array with '' as null."""
    present = pc.invert(pc.fill_null(pc.equal(array, ""), True))
    if array.offset == 0 and present.offset == 0:
        # '' has no characters: marking it missing needs a new validity bitmap only,
        # the characters and offsets stay where they are (no copy of the column)
        return pa.Array.from_buffers(pa.string(), len(array),
                                     [present.buffers()[1], *array.buffers()[1:]])
    # nulls as an array, not a null scalar: before pyarrow 24 ``if_else`` with a null scalar
    # garbles a sliced string array (apache/arrow#49410)
    return pc.if_else(present, array, pa.nulls(len(array), pa.string()))


def record_nodes(data: Ingested, release: bool = False) -> list[tuple[str, pa.Table]]:
    """One ``Record`` node per ingested row, as ``(layout, table)``: its non-empty
    fields, ``kind`` (the layout) and ``source`` (the ``source`` column, else the source
    name). ``release``: once a layout's nodes are made, keep only the ``record_id`` column
    of its frame in ``data.records``."""
    parts = []
    for layout, frame in list(data.records.items()):
        if release:
            data.records[layout] = frame[["record_id"]]
        layout = Layout(layout)
        if frame.empty:
            continue
        columns = {}
        for name in frame.columns:
            typ = NODE_PROPERTY_TYPES.get(name, "str")
            columns[name] = (_arrow_strings(frame[name]) if typ == "str" else
                             pa.array(frame[name], type=ARROW_TYPES[typ], from_pandas=True))
        if "source_name" in columns:
            names = arrow_chunks(frame["source_name"]).cast(pa.string())
            columns["source"] = pc.coalesce(columns["source"], names) \
                if "source" in columns else names
        # chunk by chunk, as the column is held: no copy of every record id joined first
        record_ids = pc.fill_null(arrow_chunks(frame["record_id"]).cast(pa.string()), "")
        n = len(frame)
        parts.append((layout.value, pa.table({
            "key": pc.binary_join_element_wise(f"Record:{layout.value}:", record_ids, ""),
            "label": repeated_text(Label.RECORD.value, n),
            "kind": repeated_text(layout.value, n), **columns})))
        del frame, columns
    return parts


def _entity_names(frame: pd.DataFrame, display: pd.Series, resolution: Resolution
                  ) -> pd.DataFrame:
    """``entity_id, name, aliases``: an entity's distinct non-empty display names in the
    order of its records in ``resolution.entities``; the first is its name."""
    named = pd.Series(display.to_numpy(dtype=object),
                      index=_text(frame["record_id"]).to_numpy(dtype=object))
    rows = resolution.entities[["record_id", "entity_id"]].copy()
    rows["name"] = _text(rows["record_id"].map(named) if len(rows) else
                         pd.Series([], dtype=object))
    entities = pd.unique(rows["entity_id"])
    present = rows[rows["name"] != ""].drop_duplicates(["entity_id", "name"])
    code = pd.Index(entities).get_indexer(present["entity_id"])
    order = np.argsort(code, kind="stable")
    code, names = code[order], present["name"].to_numpy()[order]
    first = np.ones(len(code), dtype=bool)
    first[1:] = code[1:] != code[:-1]
    name = np.full(len(entities), "", dtype=object)
    name[code[first]] = names[first]
    aliases = _list_column(code[~first], pd.Series(names[~first], dtype=object),
                           len(entities))
    return pd.DataFrame({"entity_id": entities, "name": name, "aliases": aliases})


def entity_parts(frame: pd.DataFrame, display: pd.Series, resolution: Resolution,
                 label: Label, layout: Layout) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Entity nodes (``label``) with name and aliases, and each record's ``RESOLVED_TO``."""
    names = _entity_names(frame, display, resolution)
    nodes = pd.DataFrame({"key": names["entity_id"], "label": label.value,
                          "entity_id": names["entity_id"], "name": names["name"],
                          "aliases": names["aliases"]})
    ents = resolution.entities
    start, unique = record_rows(frame, ents["record_id"])
    rels = pd.DataFrame({"start": start,
                         "end": ents["entity_id"].to_numpy(),
                         "type": _repeated(Rel.RESOLVED_TO.value, len(ents)),
                         "score": pd.to_numeric(ents["score"]).astype(float).to_numpy(),
                         "evidence": _text(ents["evidence"]).to_numpy()}, index=ents.index)
    return nodes, rels if unique else rels.drop_duplicates(["start", "end"])


def record_rows(frame: pd.DataFrame, record_ids: pd.Series) -> tuple[np.ndarray, bool]:
    """The row in ``frame`` (a layout's records, whose ``Record`` nodes are made in
    frame order) of each of ``record_ids`` (-1: none; a repeated id: its first row), and
    whether the rows are all distinct. By position when ``record_ids`` are the frame's
    own ids in order and unique (resolution keeps them so), else by Arrow's hash lookup:
    no node key text is made or looked up."""
    own = pc.fill_null(arrow_text(frame["record_id"]), "")
    ids = pc.fill_null(arrow_text(record_ids), "")
    if len(own) == len(ids) and own.equals(ids) and \
            pc.count_distinct(own).as_py() == len(own):
        return np.arange(len(ids), dtype=np.int64), True
    return _lookup(record_ids.fillna(""), own, np.arange(len(own), dtype=np.int64)), False


def entity_nodes(data: Ingested, people: Resolution, companies: Resolution
                 ) -> tuple[list[pd.DataFrame], list[pd.DataFrame]]:
    """Person and Company nodes (with payers known only by name) and their
    ``RESOLVED_TO`` relationships; the entities screening needs come from these."""
    person_nodes, person_rels = entity_parts(
        data.records[Layout.PEOPLE], display_names(data.records[Layout.PEOPLE]), people,
        Label.PERSON, Layout.PEOPLE)
    # order- and romanization-free name, which the identity_reuse pack groups on
    person_nodes["name_key"] = map_distinct(person_nodes["name"], romanized_key).to_numpy()
    company_frame = data.records[Layout.COMPANIES]
    company_nodes, company_rels = entity_parts(
        company_frame, _text(company_frame["name"]), companies, Label.COMPANY,
        Layout.COMPANIES)
    payer_nodes = _first_payers(data, people, companies)
    payer_nodes = payer_nodes[~payer_nodes["company"].isin(company_nodes["key"])]
    payer_nodes = pd.DataFrame({"key": payer_nodes["company"].to_numpy(),
                                "label": Label.COMPANY.value,
                                "entity_id": payer_nodes["company"].to_numpy(),
                                "name": payer_nodes["payer"].to_numpy(),
                                "aliases": _empty_lists(len(payer_nodes))})
    return [person_nodes, company_nodes, payer_nodes], [person_rels, company_rels]


def _first_payers(data: Ingested, people: Resolution, companies: Resolution
                  ) -> pd.DataFrame:
    """``company, payer`` of the first payroll row of each payer company among the rows
    of ``_payers`` (a known person, a payer), in row order: what
    ``_payers(...).drop_duplicates("company")`` gives, found from each company's first
    row with a payer (a few payers among millions of rows: only those rows' persons are
    looked up). When one of those rows has no known person, by ``_payers`` itself."""
    payroll = data.records[Layout.PAYROLL]
    indices, names = arrow_codes(pc.fill_null(arrow_chunks(payroll["payer"]), ""))
    company = payer_company(data, companies)
    # companies numbered in order of first appearance (names are), no payer: -1
    company_code, company_names = pd.factorize(pd.Series(
        [company(name) if name else None for name in names], dtype=object))
    codes = company_code[indices]
    paid = np.flatnonzero(codes >= 0)
    firsts = paid[first_positions(codes[paid])]
    if not _each_known_once(payroll["person_record_id"].iloc[firsts], people):
        # a company's first row has no known person (or a repeated one): the long way
        payers = _payers(data, people, companies)
        return payers.drop_duplicates("company")[["company", "payer"]].reset_index(drop=True)
    return pd.DataFrame({"company": np.asarray(company_names, dtype=object)[codes[firsts]],
                         "payer": np.asarray(names, dtype=object)[indices[firsts]]})


def _each_known_once(record_ids: pd.Series, people: Resolution) -> bool:
    """Whether each of a few ``record_ids`` is the record of exactly one row of
    ``people.entities``, with an entity: the people's records looked up among these few
    ids (a small hash table), not these among a hash table of every person's record."""
    wanted = pc.unique(arrow_text(record_ids))
    if wanted.null_count:
        return False
    at = pc.index_in(arrow_text(people.entities["record_id"]), value_set=wanted)
    rows = np.flatnonzero(pc.is_valid(at).to_numpy(zero_copy_only=False))
    if len(rows) != len(wanted):
        return False
    found = at.take(pa.array(rows)).to_numpy(zero_copy_only=False)
    entity = arrow_text(people.entities["entity_id"].iloc[rows])
    return len(np.unique(found)) == len(wanted) and not entity.null_count


def _payers(data: Ingested, people: Resolution, companies: Resolution,
            person_rows: np.ndarray | None = None) -> pd.DataFrame:
    """Payroll rows of known people with a payer: ``person, company, payer, currency,
    amount, month`` (row order kept). A payer is the company of companies.csv with the
    same suffix-free name, else a company known only by that name. ``person_rows``: per
    payroll row, the row of its person among the entity nodes (-1: unknown); then
    ``person`` holds these rows instead of the person's key. ``payer, company, currency,
    month`` are categoricals (a few distinct values, each payer's company and each date's
    month worked out once; months' categories in text order), no string per row."""
    payroll = data.records[Layout.PAYROLL]
    # the payroll's columns are read chunk by chunk as they are held (no column joined
    # into one array, nor cast): payers and dates coded once, each distinct one mapped
    payer_code, names = arrow_codes(pc.fill_null(arrow_chunks(payroll["payer"]), ""))
    names = names.tolist()
    no_payer = names.index("") if "" in names else -1
    has_payer = payer_code != no_payer
    if person_rows is None:
        person = _person_keys(payroll["person_record_id"], people)
        keep = pc.is_valid(person).to_numpy(zero_copy_only=False) & has_payer
    else:
        keep = (person_rows >= 0) & has_payer
    company = payer_company(data, companies)
    kept = pa.array(keep)
    payer_rows = payer_code[keep]
    company_code, company_names = pd.factorize(pd.Series([company(name) for name in names],
                                                         dtype=object))
    currency_code, currencies = arrow_codes(pc.fill_null(arrow_chunks(payroll["currency"]), ""))
    date_code, dates = arrow_codes(pc.fill_null(arrow_chunks(payroll["paid_at"]), ""))
    months = sorted({date[:7] for date in dates})  # categories in text order
    month_of_date = pd.Index(months, dtype=object).get_indexer([date[:7] for date in dates])
    return pd.DataFrame({
        "person": _str_series(person.filter(kept)) if person_rows is None
        else person_rows[keep],
        "payer": _categorical(payer_rows, names),
        "company": _categorical(company_code[payer_rows], company_names),
        "currency": _categorical(currency_code[keep], currencies),
        "amount": decimal_numbers(_chunks_text(payroll["amount"], kept)),
        "month": _categorical(month_of_date[date_code[keep]], months)})


def _categorical(codes: np.ndarray, categories) -> pd.Categorical:
    """Text held as codes into a few distinct values (no string per row)."""
    return pd.Categorical.from_codes(codes, categories=pd.Index(categories, dtype=object))


def _chunks_text(values: pd.Series, kept: pa.Array) -> pa.Array:
    """A text column (missing as '') at the rows ``kept`` marks, as one string array,
    filtered chunk by chunk (the whole column is not joined first)."""
    text = pc.fill_null(arrow_chunks(values), "").filter(kept)
    return (text.combine_chunks() if text.num_chunks != 1 else text.chunk(0)).cast(
        pa.string())


def payer_company(data: Ingested, companies: Resolution) -> Callable[[str], str]:
    """The company entity a payer name stands for: the company of companies.csv with the
    same suffix-free name (the last such record), else the id of a payer known only by
    name (:func:`graphkit.graph.payer_ids.payer_entity_id`)."""
    frame = data.records[Layout.COMPANIES]
    keys = map_distinct(_text(frame["name"]), lambda v: company_key(v) or "")
    by_key = pd.DataFrame({"key": keys.to_numpy(),
                           "record_id": _text(frame["record_id"]).to_numpy()})
    by_key = by_key[by_key["key"] != ""].drop_duplicates("key", keep="last")
    company_of_key = dict(zip(by_key["key"], by_key["record_id"].map(
        companies.entities.set_index("record_id")["entity_id"])))

    def company(name: str) -> str:
        key = company_key(name) or ""
        found = company_of_key.get(key) if key else None
        return found if isinstance(found, str) else payer_entity_id(name)

    return company


def _person_keys(record_ids: pd.Series, people: Resolution) -> pa.Array:
    """The entity id of the person of each of ``record_ids`` (missing read as ''), null
    when no person has that record: by Arrow's hash lookup when the people's record ids
    are unique, else as ``Series.map`` does it (which refuses repeated ids)."""
    own = arrow_text(people.entities["record_id"])
    if pc.count_distinct(own, mode="all").as_py() != len(own):
        person_of = people.entities.set_index("record_id")["entity_id"]
        return pa.array(_text(record_ids).map(person_of).to_numpy(dtype=object),
                        pa.string(), from_pandas=True)
    where = pc.index_in(pc.fill_null(arrow_text(record_ids), ""), value_set=own)
    return arrow_text(people.entities["entity_id"]).take(where)


def _str_series(array: pa.Array) -> pd.Series:
    """Arrow text as a pandas ``str`` column (Arrow-backed, no copy, no Python string
    per row): the column pandas makes of an object array of the same strings."""
    return pd.Series(pd.array(array.cast(pa.string()), dtype=STR))


#: Plain decimals (up to 15 digits before the point and 2 after): parsed the same,
#: correctly rounded, by Arrow's cast as by ``pd.to_numeric``
_PLAIN_DECIMAL = r"^-?[0-9]{1,15}(\.[0-9]{0,2})?$"


def decimal_numbers(text: pa.Array) -> np.ndarray:
    """``pd.to_numeric`` of a text column, '' read as 0: by Arrow's cast (no Python
    object per value) when every value is a plain decimal, else by pandas (the same
    numbers, the same errors). Amounts repeat: each distinct text is checked and cast
    once, the numbers spread by codes."""
    if not text.null_count:
        encoded = pc.dictionary_encode(text)
        numbers = _plain_decimals(encoded.dictionary)
        if numbers is not None:
            return numbers[encoded.indices.to_numpy(zero_copy_only=False)]
    else:  # a distinct value that is no plain decimal fails every row's check too
        numbers = _plain_decimals(text)
        if numbers is not None:
            return numbers
    text = pc.if_else(pc.equal(text, ""), "0", text)
    return pd.to_numeric(pd.Series(text.to_numpy(zero_copy_only=False))).to_numpy()


def _plain_decimals(text: pa.Array) -> np.ndarray | None:
    """The numbers of ``text`` ('' read as 0) by Arrow's cast when every value is a plain
    decimal, else None."""
    text = pc.if_else(pc.equal(text, ""), "0", text)
    if pc.all(pc.match_substring_regex(text, _PLAIN_DECIMAL)).as_py() is False:
        return None
    numbers = text.cast(pa.float64()).to_numpy(zero_copy_only=False)
    if not pc.any(pc.match_substring(text, ".")).as_py():
        numbers = numbers + 0.0  # integers only: pandas reads '-0' as the integer 0
    return numbers


def payment_relationships(payers: pd.DataFrame, entity_keys: pa.Array) -> pd.DataFrame:
    """``PAYS`` per payer and person (summed amount, count, first..last month; when one
    pair was paid in several currencies, the currency seen first) and ``WORKS_FOR``.
    ``payers`` as ``_payers(person_rows=...)`` gives them (``person``: the person's row
    among the entity nodes); ``entity_keys``: the keys of the entity nodes, among which
    the payer too becomes its row (-1: none). Currencies and periods are categoricals
    (a few distinct values: assembled as codes, the text made once)."""
    if payers.empty:
        return pd.DataFrame(columns=["start", "end", "type"])
    month = payers["month"].where(payers["month"] != "")
    codes, companies = pd.factorize(payers["company"])  # a few distinct payers:
    rows = _key_rows(pd.Series(companies, dtype=object), entity_keys)  # looked up once
    totals = _payment_totals(payers.assign(company=rows[codes]), month)
    totals = totals.drop_duplicates(["company", "person"], keep="first")
    n = len(totals)
    company, person = totals["company"].to_numpy(), totals["person"].to_numpy()
    missing = np.full(n, np.nan)
    none = np.full(n, -1, dtype=np.int64)
    currency = totals["currency"].array
    if not isinstance(currency, pd.Categorical):  # a currency missing: no category for it
        currency = pd.Categorical(currency)
    period = _periods(totals["first"].to_numpy(), totals["last"].to_numpy(),
                      totals.attrs["months"])
    return pd.DataFrame({
        "start": np.concatenate([company, person]), "end": np.concatenate([person, company]),
        "type": pd.Categorical.from_codes(np.repeat(np.arange(2, dtype=np.int8), [n, n]),
                                          categories=[Rel.PAYS.value, Rel.WORKS_FOR.value]),
        "amount": np.concatenate([totals["amount"].round(2).to_numpy(), missing]),
        "currency": pd.Categorical.from_codes(np.concatenate([currency.codes, none]),
                                              dtype=currency.dtype),
        "period": pd.Categorical.from_codes(np.concatenate([period.codes, none]),
                                            dtype=period.dtype),
        "payments": np.concatenate([totals["payments"].to_numpy(np.float64), missing])})


def _periods(first: np.ndarray, last: np.ndarray, months: np.ndarray) -> pd.Categorical:
    """``first..last`` of month codes (NaN: no month, then '') as a categorical, the
    text made once per distinct pair."""
    width = len(months) + 1
    pair = np.where(np.isnan(first), -1, first) * width + np.where(np.isnan(last), -1, last)
    distinct, rows = np.unique(pair.astype(np.int64), return_inverse=True)
    lo, hi = np.divmod(distinct + width + 1, width)  # codes back (the -1s included)
    lo, hi = lo - 1, hi - 1
    text = ["" if a < 0 else f"{months[a]}..{months[b]}" for a, b in zip(lo.tolist(),
                                                                        hi.tolist())]
    return pd.Categorical.from_codes(rows.reshape(-1), categories=text)


def _layout_column(layout: Layout, n: int) -> pd.Categorical:
    return pd.Categorical.from_codes(np.full(n, LAYOUT_DTYPE.categories.get_loc(layout.value),
                                             dtype=np.int8), dtype=LAYOUT_DTYPE)


def _ids(values: pd.Series, rows: np.ndarray | None = None) -> pd.Series:
    """Text such as record ids (missing as '') as an Arrow-backed column, at ``rows``
    when given: no Python string per row."""
    ids = pc.fill_null(arrow_text(values), "")
    return _arrow_series(ids if rows is None else ids.take(pa.array(rows)))


def _key_rows(values: pd.Series, keys: pa.Array) -> np.ndarray:
    """The row of each value among ``keys`` (-1: not there; a repeated key: its first
    row), by Arrow's hash lookup. Few values (a few companies among millions of entity
    keys): the keys are looked up among the values, a small hash table, not the values
    among a hash table of every key."""
    if len(values) * 16 >= len(keys):
        return _lookup(values, keys, np.arange(len(keys), dtype=np.int64))
    text = arrow_text(values)
    distinct = pc.unique(text.drop_null())
    at = pc.fill_null(pc.index_in(keys, value_set=distinct), -1)
    at = at.to_numpy(zero_copy_only=False).astype(np.int64)
    hits = np.flatnonzero(at >= 0)
    first = np.full(len(distinct) + 1, -1, dtype=np.int64)  # the last: no value
    found, where = np.unique(at[hits], return_index=True)  # stable: first rows
    first[found] = hits[where]
    code = pc.fill_null(pc.index_in(text, value_set=distinct), -1)
    return first[code.to_numpy(zero_copy_only=False).astype(np.int64)]


def _leading_rows(values: pd.Series, keys: pa.Array) -> np.ndarray:
    """``_key_rows(values, keys)`` when ``keys`` begin with the distinct values in order
    of first appearance (the person nodes lead the entity nodes, made so by
    ``entity_parts``): then each value's row is its first-seen code, found by one pass
    over the values instead of a lookup of each among every key."""
    codes, distinct = pd.factorize(values)
    if (len(codes) and codes.min() < 0) or len(distinct) > len(keys) or not \
            keys.slice(0, len(distinct)).equals(arrow_text(pd.Series(distinct))):
        return _key_rows(values, keys)
    return codes.astype(np.int64, copy=False)


def _resolved_to_rows(rels: pd.DataFrame, resolution: Resolution,
                      entity_rows: np.ndarray) -> pd.DataFrame:
    """``RESOLVED_TO`` rows of ``entity_parts`` with the entity as its row among the
    entity nodes (``entity_rows``: per row of ``resolution.entities``, as
    :func:`record_owners` found it) instead of its key looked up again; unchanged when
    its rows cannot be traced to ``resolution.entities``."""
    index = resolution.entities.index
    if not (isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1
            and len(entity_rows) == len(index) and rels.index.isin(index).all()):
        return rels
    return rels.assign(end=entity_rows[rels.index.to_numpy()])


def _lookup(values: pd.Series, keys: pa.Array, rows: np.ndarray) -> np.ndarray:
    """``rows`` at the position of each value among ``keys`` (-1: not there)."""
    where = pc.fill_null(pc.index_in(arrow_text(values), value_set=keys), -1)
    where = where.to_numpy(zero_copy_only=False).astype(np.int64)
    return np.where(where >= 0, rows[np.maximum(where, 0)] if len(rows) else -1, -1)


def _payment_totals(payers: pd.DataFrame, month: pd.Series) -> pd.DataFrame:
    """``company, person, currency, amount, payments, first, last`` per (company,
    person, currency), in order of first appearance: the group-by of
    ``payment_relationships`` on one int64 key (company and person are rows among the
    entity nodes, -1 for none); the currency a categorical, ``first`` and ``last`` codes
    into the months in sorted order (``attrs["months"]``; NaN: no month)."""
    company = payers["company"].to_numpy(np.int64)
    person = payers["person"].to_numpy(np.int64)
    currency, currencies = pd.factorize(payers["currency"], use_na_sentinel=False)
    months, month_values = pd.factorize(month, sort=True)
    width = int(max(person.max(initial=0), 0)) + 2
    key = ((company + 1) * width + (person + 1)) * (len(currencies) + 1) + currency
    group, first = first_seen_codes(key)
    month_code = pd.Series(np.where(months >= 0, months, np.nan))
    amounts = pd.Series(payers["amount"].to_numpy(dtype=float))
    names = np.asarray(currencies, dtype=object)
    totals = pd.DataFrame({
        "company": company[first], "person": person[first],
        "currency": pd.Categorical.from_codes(currency[first], categories=names)
        if not pd.isna(names).any() else names[currency[first]],
        "amount": amounts.groupby(group).sum().to_numpy(),
        "payments": np.bincount(group, minlength=len(first)),
        "first": month_code.groupby(group).min().to_numpy(),
        "last": month_code.groupby(group).max().to_numpy()})
    totals.attrs["months"] = np.asarray(month_values, dtype=object)
    return totals


def record_owners(data: Ingested, people: Resolution, companies: Resolution,
                  entity_keys: pa.Array) -> pd.DataFrame:
    """``layout, record_id, entity, entity_label, row``: the entity each record belongs
    to (``entity``: its row in ``entity_keys``, the keys of the entity nodes, -1 when not
    there; ``row``: the record's position in its layout's frame; -1 for people and
    companies, whose entities come from resolution). People come first, in the order of
    ``people.entities``. Integer rows, so that later steps look no entity key up again."""
    person_rows = _leading_rows(people.entities["entity_id"], entity_keys)
    company_rows = _key_rows(companies.entities["entity_id"], entity_keys)
    parts = [pd.DataFrame({"layout": _layout_column(Layout.PEOPLE, len(person_rows)),
                           "record_id": _record_ids(people.entities["record_id"]),
                           "entity": person_rows,
                           "entity_label": _entity_label(Label.PERSON, len(person_rows)),
                           "row": -1}),
             pd.DataFrame({"layout": _layout_column(Layout.COMPANIES, len(company_rows)),
                           "record_id": _record_ids(companies.entities["record_id"]),
                           "entity": company_rows,
                           "entity_label": _entity_label(Label.COMPANY, len(company_rows)),
                           "row": -1})]
    people_ids = arrow_text(people.entities["record_id"])
    # a person's entity row by her position among the people; the last entry, -1, is
    # what position -1 (not there) picks: one gather, no masks
    entity_of = np.append(person_rows.astype(np.int64, copy=False), -1)
    for layout in (Layout.PAYROLL, Layout.SHIPMENTS, Layout.LOGINS):
        frame = data.records[layout]
        # linked records usually list their people in the people's order: walked along
        where = ordered_positions(arrow_text(frame["person_record_id"]), people_ids)
        entity = np.take(entity_of, where, mode="wrap")
        del where
        known = np.flatnonzero(entity >= 0)
        parts.append(pd.DataFrame({"layout": _layout_column(layout, len(known)),
                                   "record_id": _record_ids(frame["record_id"], known),
                                   "entity": entity if len(known) == len(entity)
                                   else entity[known],
                                   "entity_label": _entity_label(Label.PERSON, len(known)),
                                   "row": known}))
        del entity, known
    return pd.concat(parts, ignore_index=True)


#: ``record_owners``' ``entity_label``: a byte per row, not a string object
_ENTITY_LABELS = pd.CategoricalDtype([Label.PERSON.value, Label.COMPANY.value])


def _entity_label(label: Label, n: int) -> pd.Categorical:
    return pd.Categorical.from_codes(
        np.full(n, _ENTITY_LABELS.categories.get_loc(label.value), dtype=np.int8),
        dtype=_ENTITY_LABELS)


def _record_ids(values: pd.Series, rows: np.ndarray | None = None) -> pd.Series:
    """``_ids(values, rows)`` without copying a column held in one Arrow chunk, nor
    gathering when ``rows`` are every row."""
    ids = pc.fill_null(arrow_text(values), "")
    if rows is not None and not (len(rows) == len(ids) and
                                 (not len(rows) or rows[-1] == len(ids) - 1)):
        ids = ids.take(pa.array(rows))
    return _arrow_series(ids)


def payroll_person_rows(owners: pd.DataFrame, n_payroll: int) -> np.ndarray:
    """Per payroll row, the row of its person among the entity nodes (-1: unknown)."""
    rows = np.full(n_payroll, -1, dtype=np.int64)
    at = _layout_rows(owners, Layout.PAYROLL)
    rows[owners["row"].to_numpy(dtype=np.int64)[at]] = owners["entity"].to_numpy(np.int64)[at]
    return rows


def _layout_rows(owners: pd.DataFrame, layout: Layout) -> np.ndarray:
    """The positions of ``layout``'s rows in ``owners`` (of :func:`record_owners`): the
    integer columns are then taken at them, not every column of the frame (its record
    ids are text) filtered."""
    return np.flatnonzero((owners["layout"] == layout.value).to_numpy(dtype=bool))


def linked_record_relationships(owners: pd.DataFrame) -> list[RelPart]:
    """``RESOLVED_TO`` from payroll, shipment and login records to their person (start:
    the record's row in its layout's part; end: the person's row among the entities)."""
    parts = []
    row, entity = owners["row"].to_numpy(dtype=np.int64), owners["entity"].to_numpy(np.int64)
    for layout in (Layout.PAYROLL, Layout.SHIPMENTS, Layout.LOGINS):
        at = _layout_rows(owners, layout)
        frame = pd.DataFrame({"start": row[at], "end": entity[at],
                              "type": _repeated(Rel.RESOLVED_TO.value, len(at)),
                              "score": 1.0,
                              "evidence": _repeated("person_record_id", len(at))})
        parts.append(RelPart(frame, f"Record:{layout.value}", ENTITIES))
    return parts


def identifier_parts(identifiers: pd.DataFrame, owners: pd.DataFrame, n_entities: int
                     ) -> tuple[pa.Table | pd.DataFrame, pd.DataFrame]:
    """Identifier nodes in key order (first sighting gives ``value, kind, raw``) and one
    relationship per entity and identifier, listing the records behind it in order of
    appearance (start: the entity's row among the ``n_entities`` entity nodes, as ``owners`` gives
    it (:func:`record_owners`); end: the identifier's row in the nodes returned).

    Works on integer codes (owner entity, identifier, relationship type, record) so that
    memory grows with the number of rows, not with the strings built per row."""
    if identifiers.empty:
        return (pd.DataFrame(columns=["key", "label"]),
                pd.DataFrame(columns=["start", "end", "type"]))
    # the record ids chunk by chunk, as held (not joined: a copy of a row each); the
    # relationships list their records' ids from the owners' (the same text)
    record_ids = arrow_chunks(identifiers["record_id"]).cast(pa.string())
    owner_records = arrow_text(owners["record_id"])
    owner, record = _identifier_owners(identifiers, owners, record_ids, owner_records)
    kind_code, kinds = _kind_codes(identifiers["kind"])
    labels = np.array([ID_LABEL[IdKind(k)].value for k in kinds], dtype=object)
    # identifier = distinct (label, value), numbered in key order from the start
    keyed = identifier_keys(kind_code, labels, arrow_chunks(identifiers["value"]))
    if keyed is not None:  # per label, each value hashed once and each distinct one sorted
        ident, first_by_key, node_values = keyed
    else:  # a value missing, or a label the prefix of another: by the joined key text
        ident, first_by_key, node_values = _identifier_keys_joined(
            kind_code, labels, identifiers["value"])
    nodes = _identifier_nodes(kind_code[first_by_key], kinds, labels, node_values,
                              _text_at(identifiers["raw"], first_by_key))
    company = np.zeros(n_entities + 1, dtype=bool)  # the last: no entity (-1)
    entities = owners["entity"].to_numpy(dtype=np.int64)
    company[entities[(owners["entity_label"] == Label.COMPANY.value).to_numpy()]] = True
    rels = _identifier_relationships(owner, record, len(owners), ident, len(first_by_key),
                                     kind_code, kinds, company, owner_records)
    return nodes, rels


def _kind_codes(kinds: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Each row's kind as a small code into the kinds present. A categorical column (as
    ingest makes it) gives its own int8 codes, remapped through a table only when some
    category is absent: no int64 code per row made and narrowed. Any code order will
    do: kinds are named by their codes, and every order made from them is by text."""
    if isinstance(kinds.dtype, pd.CategoricalDtype) and len(kinds.cat.categories) < 64:
        codes = kinds.array.codes  # the codes themselves (``.cat.codes`` copies them)
        if not len(codes) or codes.min() >= 0:
            count = np.bincount(codes, minlength=len(kinds.cat.categories))
            present = np.flatnonzero(count)
            names = pd.Index(np.asarray(kinds.cat.categories, dtype=object)[present])
            if len(present) == len(count):
                return codes.astype(np.int8, copy=False), names
            table = np.full(len(count), -1, dtype=np.int8)
            table[present] = np.arange(len(present))
            return table[codes], names
    codes, names = pd.factorize(kinds)
    return codes.astype(np.int8 if len(names) < 64 else np.int32), names  # few kinds


def _identifier_owners(identifiers: pd.DataFrame, owners: pd.DataFrame,
                       record_ids: pa.Array | pa.ChunkedArray, owner_records: pa.Array
                       ) -> tuple[np.ndarray, np.ndarray]:
    """Per identifier row (``record_ids``: its record's id), its owner's entity row and
    its record's row among ``owners`` (``owner_records``: their record ids; -1: not
    found; int32 where the range allows: half the pages to fault in): each layout's
    record ids placed among its owners in one walk along both lists
    (:func:`ordered_positions`)."""
    layout_code, layouts = _layout_codes(identifiers["layout"])
    entities = owners["entity"].to_numpy(dtype=np.int64)
    small = np.int32 if max(int(entities.max(initial=0)) + 1, len(owners)) < 1 << 31 \
        else np.int64
    owner = np.full(len(identifiers), -1, dtype=small)
    record = np.full(len(identifiers), -1, dtype=small)
    for name, rows in _rows_by_layout(owners["layout"]):
        found_layout = np.flatnonzero(np.asarray(layouts) == name)
        at = _code_rows(layout_code, found_layout[0]) if len(found_layout) else None
        if at is None or not len(at):
            continue
        if isinstance(at, range):
            # the layout's identifier rows are one run (as ingest lays them out): its
            # record ids a slice, each found position mapped straight into its slice of
            # ``owner`` and ``record`` through a table whose last entry, -1, is what
            # position -1 (none) picks
            where = ordered_positions(record_ids.slice(at.start, len(at)),
                                      _rows_of(owner_records, rows))
            lo, hi = at.start, at.stop
            table = np.empty(len(rows) + 1, dtype=small)
            np.take(entities, rows, out=table[:-1], mode="clip")
            table[-1] = -1
            np.take(table, where, out=owner[lo:hi], mode="wrap")
            table[:-1] = rows
            np.take(table, where, out=record[lo:hi], mode="wrap")
        else:
            where = ordered_positions(_rows_of(record_ids, at), _rows_of(owner_records, rows))
            found = where >= 0
            owner[at[found]] = entities[rows[where[found]]]
            record[at[found]] = rows[where[found]]
    return owner, record


def _layout_codes(layouts: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Each row's layout as a code into the layouts named: of a categorical column (as
    ingest makes it) its own codes and categories (no hash of a row each), else
    ``pd.factorize``'s."""
    if isinstance(layouts.dtype, pd.CategoricalDtype):
        return layouts.array.codes, pd.Index(layouts.cat.categories, dtype=object)
    return pd.factorize(layouts)


def _code_rows(codes: np.ndarray, code: int) -> range | np.ndarray:
    """The rows whose code is ``code``: a range when they are one run (no position of a
    row each made), else their positions."""
    found = codes == code
    count = int(np.count_nonzero(found))
    lo = int(np.argmax(found)) if count else 0
    if found[lo:lo + count].all():
        return range(lo, lo + count)
    return np.flatnonzero(found)


def _rows_by_layout(layouts: pd.Series) -> list[tuple[str, np.ndarray]]:
    """Each layout's rows, as ``groupby(sort=True, observed=True).indices`` gives them:
    of a categorical column, by one comparison pass per category (no group-by)."""
    if not isinstance(layouts.dtype, pd.CategoricalDtype):
        return list(layouts.groupby(layouts, sort=True, observed=True).indices.items())
    codes = layouts.cat.codes.to_numpy()
    found = [(name, np.flatnonzero(codes == code))
             for code, name in enumerate(layouts.cat.categories)]
    return [(name, rows) for name, rows in found if len(rows)]


def _identifier_nodes(kind_code: np.ndarray, kinds: pd.Index, labels: np.ndarray,
                      values: pa.Array, raw: pa.Array) -> pa.Table:
    """The identifier nodes, one per kind code, value and raw text (in key order):
    ``key, label, value, kind, raw``, label and kind coded into their few values."""
    node_label = coded_text(kind_code, labels)
    return pa.table({
        "key": pc.binary_join_element_wise(node_label.cast(pa.string()), values, ":"),
        "label": node_label, "value": values,
        "kind": coded_text(kind_code, np.asarray(kinds, dtype=object)),
        "raw": raw})


def _identifier_relationships(owner: np.ndarray, record: np.ndarray, n_records: int,
                              ident: np.ndarray, n_idents: int, kind_code: np.ndarray,
                              kinds: pd.Index, company: np.ndarray, record_ids: pa.Array
                              ) -> pd.DataFrame:
    """One relationship per (entity, identifier, type) from the rows' owners (-1: none),
    records (rows among ``n_records``, whose ids ``record_ids`` holds), identifiers and
    kinds: ``start, end, type, kind, records`` (the record ids behind it, each once, in
    order of appearance)."""
    rel_names = np.array([[id_relationship(IdKind(k), Label.PERSON).value,
                           id_relationship(IdKind(k), Label.COMPANY).value] for k in kinds],
                         dtype=object).reshape(len(kinds), 2)
    rel_codes, rel_uniques = pd.factorize(rel_names.ravel())
    rel_codes = rel_codes.astype(np.int8 if len(rel_uniques) < 128 else np.int32)

    def rel_of(rows: np.ndarray | None, owners: np.ndarray | None = None) -> np.ndarray:
        """Each row's type (of every row for None), by its kind and its owner's label
        (``owners``: the rows' owners when the caller has them)."""
        small = np.int16 if len(kinds) < 1 << 14 else np.int64
        at = kind_code.astype(small) if rows is None else kind_code[rows].astype(small)
        at *= 2
        at += company[owner[rows] if owners is None else owners]
        return rel_codes[at]

    # the rows with an owner: every row, usually (then no positions made, nor the
    # owners, identifiers and records copied at them)
    owned = None if bool((owner >= 0).all()) else np.flatnonzero(owner >= 0)

    def at_owned(values: np.ndarray, owned: np.ndarray | None) -> np.ndarray:
        return values if owned is None else np.take(values, owned)

    # one relationship per (entity, identifier, type): rows sorted by that key (stable:
    # rows of one relationship stay in their order), a record listed once per relationship.
    # The key built in one int64 buffer, each row's owner taken once
    owners = at_owned(owner, owned)
    key = owners.astype(np.int64)
    key *= n_idents + 1
    key += at_owned(ident, owned)
    key *= len(rel_uniques) + 1
    key += rel_of(owned, owners)
    del owners
    rows, group = _grouped_rows(key, at_owned(record, owned), n_records + 1)
    del key
    if owned is not None:
        rows = owned[rows]
    del owned
    heads = rows[np.r_[True, group[1:] != group[:-1]]] if len(rows) else rows
    return pd.DataFrame({
        "start": owner[heads].astype(np.int64),
        "end": ident[heads].astype(np.int64),
        # types and kinds as codes into their few distinct values
        "type": _arrow_series(coded_text(rel_of(heads),
                                         np.asarray(rel_uniques, dtype=object))),
        "kind": _arrow_series(coded_text(kind_code[heads], np.asarray(kinds, dtype=object))),
        # plain text lists: lists coded into the record ids were tried; they kept every
        # record id alive until assemble's final order, past the 1M peak
        "records": _list_array(group, record_ids.take(pa.array(record[rows])), len(heads))})


#: ``ordered_positions``: rows compared at a time while two id lists run on together, the
#: keys searched for the next value after a break, and the breaks allowed before the rest
#: is looked up by hash
_ALIGN_BLOCK, _ALIGN_SEARCH, _ALIGN_BREAKS = 1 << 16, 1 << 12, 256


def ordered_positions(values: pa.Array | pa.ChunkedArray, keys: pa.Array, block: int = _ALIGN_BLOCK,
                      search: int = _ALIGN_SEARCH, max_breaks: int = _ALIGN_BREAKS
                      ) -> np.ndarray:
    """The position of each of ``values`` among ``keys`` (distinct, no nulls), -1 where
    absent: ``pc.index_in`` without a hash table when the values follow the keys in order
    (an identifier column of a file lists its records in their order, some left out).
    The values are matched to the keys a block at a time by comparing the two lists
    side by side; where they part, the next value is searched for among the next few
    keys, then among the first few (a value not there is left for later). After too
    many breaks (values in another order, many left out) and for the values left,
    Arrow's hash lookup. Keys are assumed distinct (a layout's record ids are). A value
    repeated on consecutive rows (the person of each of her payroll rows) is placed
    once. Null values are not placed (-1)."""
    if values.null_count:
        where = ordered_positions(pc.fill_null(values, ""), keys, block, search,
                                  max_breaks)
        where[values.is_null().to_numpy(zero_copy_only=False)] = -1
        return where
    if len(values) > 1:
        again = pc.equal(values.slice(1), values.slice(0, len(values) - 1))
        again = again.to_numpy(zero_copy_only=False)
        if again.any():  # each run of one value placed once
            heads = np.flatnonzero(np.r_[True, ~again])
            placed = ordered_positions(values.take(pa.array(heads)), keys, block, search,
                                       max_breaks)
            return placed[np.cumsum(np.r_[True, ~again]) - 1]
    n, m = len(values), len(keys)
    where = np.full(n, -1, dtype=np.int64)
    i = k = breaks = 0
    while i < n and m and breaks <= max_breaks:
        span = min(n - i, m - k, block)
        if span:
            same = pc.equal(values.slice(i, span), keys.slice(k, span))
            same = same.to_numpy(zero_copy_only=False)
            run = int(np.argmin(same)) if not same.all() else span
            where[i:i + run] = np.arange(k, k + run)
            i, k = i + run, k + run
            if run == span or i >= n:
                continue
        # values[i] is not keys[k]: among the next keys, else among the first ones (the
        # next column of the same records starts over), else left for the hash lookup
        breaks += 1
        ahead = pc.index(keys.slice(k, search), values[i]).as_py()
        if ahead >= 0:
            k += ahead
            continue
        ahead = pc.index(keys.slice(0, min(k, search)), values[i]).as_py()
        if ahead >= 0:
            k = ahead
        else:
            i += 1
    rest = np.flatnonzero(where < 0)
    if len(rest):
        found = pc.index_in(_rows_of(values, rest), value_set=keys)
        where[rest] = pc.fill_null(found, -1).to_numpy(zero_copy_only=False)
    return where


def _grouped_rows(keys: np.ndarray, members: np.ndarray, n_members: int
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Positions of ``keys`` sorted by key (stable), a member repeated within a key left
    out (its first row kept), and per position kept, its key's number in key order. One
    sort of the keys; a member repeated within a key is found by comparing neighbours
    where each key's members come in increasing order (the usual case: a key's rows are
    runs of records in file order), by a sort only of the keys where they do not."""
    order = np.argsort(keys, kind="stable")
    head = np.empty(len(order), dtype=bool)
    head[:1] = True
    ordered = np.take(keys, order)
    np.not_equal(ordered[1:], ordered[:-1], out=head[1:])
    # group numbers fit in int32 below 2**31 rows (half the bytes); the sorted keys'
    # buffer, done with, holds the pairs (no fresh buffer of a row each, twice)
    group = np.cumsum(head, dtype=np.int32 if len(order) < 1 << 31 else np.int64)
    del head
    group -= 1
    pairs = ordered if ordered.dtype == np.int64 else np.empty(len(order), np.int64)
    del ordered
    np.multiply(group, n_members, out=pairs, dtype=np.int64)
    pairs += np.take(members, order)
    once = _repeated_in_sorted_groups(pairs, group)
    del pairs
    np.logical_not(once, out=once)
    return order[once], group[once]


def _repeated_in_sorted_groups(pairs: np.ndarray, group: np.ndarray) -> np.ndarray:
    """``repeated(pairs)`` for pairs sorted by ``group`` (non-decreasing, and every pair
    of a group greater than every pair of an earlier one): neighbours compared where a
    group's pairs are in order, :func:`repeated` only over the groups where they are
    not."""
    again = np.zeros(len(pairs), dtype=bool)
    if len(pairs) < 2:
        return again
    np.equal(pairs[1:], pairs[:-1], out=again[1:])
    down = np.flatnonzero(pairs[1:] < pairs[:-1]) + 1
    if len(down):  # a group whose pairs go down somewhere: sorted, that group alone
        unordered = np.zeros(int(group[-1]) + 1, dtype=bool)
        unordered[group[down]] = True
        rows = np.flatnonzero(unordered[group])
        again[rows] = repeated(pairs[rows])
    return again


def _identifier_keys_joined(kind_code: np.ndarray, labels: np.ndarray, values: pd.Series
                            ) -> tuple[np.ndarray, np.ndarray, pa.Array]:
    """``identifier_keys`` for any values (missing ones read as ''): identifiers numbered
    by first sighting, then put in key order by :func:`labelled_key_order`."""
    label_code = pd.factorize(labels)[0][kind_code]
    value_code, distinct = pd.factorize(values)
    ident, first = first_seen_pairs(label_code, value_code, len(distinct))
    del label_code, value_code, distinct
    node_values = pc.fill_null(arrow_text(values).take(pa.array(first)), "")
    by_key = labelled_key_order(kind_code[first], labels, node_values)
    row = np.empty(len(by_key), dtype=np.int64)  # each identifier's row in key order
    row[by_key] = np.arange(len(by_key))
    return row[ident], first[by_key], node_values.take(pa.array(by_key))


def _labels_nest(names: list[str]) -> bool:
    """Whether a label is a prefix of another: then rows grouped by label do not follow
    the order of their ``label:value`` keys."""
    return any(a != b and b.startswith(a) for a in names for b in names)


def _rows_by_label(names: list[str], codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows (each the code of its label in ``names``) grouped by label in the labels'
    sorted order, rows of one label in their order, and the bounds of each label's group
    (one per distinct label, empty ones too)."""
    distinct = sorted(set(names))
    small = np.int8 if len(distinct) < 128 else np.int64  # a small type sorts by radix
    rank = np.array([distinct.index(name) for name in names], dtype=small)
    row_rank = rank[codes] if len(codes) else np.zeros(0, dtype=small)
    return grouped_positions(row_rank, len(distinct))


#: ``identifier_keys``: rows of one label hashed and sorted together at most (about); a
#: label with more is cut into parts by the leading bytes of its values
_PART_ROWS = 1 << 18


def identifier_keys(kind_code: np.ndarray, labels: np.ndarray, values: pa.ChunkedArray,
                    part_rows: int = _PART_ROWS
                    ) -> tuple[np.ndarray, np.ndarray, pa.Array] | None:
    """Identifiers (distinct label and value; key ``label:value``) in key order: per row,
    its identifier's row in that order; per identifier, its first row; and the values
    in that order. Each label's values are dictionary-encoded alone (a hash table of one
    label's values, read as slices where its rows run on; a label of more than
    ``part_rows`` rows in parts that follow the key order, :func:`_ordered_parts`) and
    only the distinct values are sorted. None when a value is missing or a label is a
    prefix of another (the groups by label would not follow the key order):
    ``_identifier_keys_joined`` then."""
    names = [str(label) for label in labels]
    if values.null_count or _labels_nest(names):
        return None
    if pa.types.is_dictionary(values.type):  # chunks may carry dictionaries of their own
        values = values.cast(values.type.value_type)
    by_label, bounds = _rows_by_label(names, kind_code)
    ident = np.empty(len(kind_code), dtype=np.int32 if len(kind_code) < 1 << 31 else np.int64)
    firsts, sorted_values, offset = [], [], 0
    for lo, hi in zip(bounds[:-1].tolist(), bounds[1:].tolist()):
        if hi == lo:
            continue
        label_rows = by_label[lo:hi]
        label_values = _rows_in_runs(values, label_rows)
        distinct_share = 0.0  # of the label's last part: mostly distinct, sorted alone
        for part in _ordered_parts(label_values, part_rows):
            rows = label_rows if part is None else label_rows[part]
            part_values = label_values if part is None else take_chunked(label_values, part)
            if label_values.num_chunks == 1 and part is None:
                part_values = label_values.chunk(0)
            if isinstance(part_values, pa.Array) and distinct_share > _SORT_ONLY_SHARE:
                rank, first, distinct = _sorted_part(part_values)
            else:
                rank, first, distinct = _hashed_part(part_values)
            ident[rows] = rank + offset
            firsts.append(rows[first])
            sorted_values.append(distinct)
            offset += len(distinct)
            distinct_share = len(distinct) / max(len(rows), 1)
    if not sorted_values:
        return ident, np.zeros(0, dtype=np.int64), pa.array([], pa.string())
    return ident, np.concatenate(firsts), pa.concat_arrays(sorted_values)


#: ``identifier_keys``: a label's next part is sorted alone, not hashed first, when more
#: than this share of its last part's values were distinct (measured: sorting every
#: value beats hashing then sorting the distinct ones by 20-30% when nearly all are
#: distinct, and loses 2.4x at one in three)
_SORT_ONLY_SHARE = 0.75


def _hashed_part(values: pa.Array | pa.ChunkedArray
                 ) -> tuple[np.ndarray, np.ndarray, pa.Array]:
    """Per value its distinct value's rank in byte order, per distinct value (in that
    order) the position of its first sighting, and the distinct values as ``string``:
    each value hashed once, the distinct ones sorted."""
    encoded = pc.dictionary_encode(values)
    if isinstance(encoded, pa.ChunkedArray):
        codes = np.concatenate([chunk.indices.to_numpy(zero_copy_only=False)
                                for chunk in encoded.chunks])
        dictionary = encoded.chunks[0].dictionary.cast(pa.string())
    else:
        codes = encoded.indices.to_numpy(zero_copy_only=False)
        dictionary = encoded.dictionary.cast(pa.string())
    order = string_order(dictionary)
    code_rank = np.empty(len(order), dtype=np.int64)  # each value's rank in key order
    code_rank[order] = np.arange(len(order))
    # codes come in order of first sighting: where each first appears, in one pass
    return (code_rank[codes], first_positions(codes)[order],
            dictionary.take(pa.array(order)))


def _sorted_part(values: pa.Array) -> tuple[np.ndarray, np.ndarray, pa.Array]:
    """``_hashed_part`` by one stable sort of every value and a comparison of
    neighbours: no hash table, for values mostly distinct."""
    order = string_order(values)
    ordered = values.take(pa.array(order))
    head = np.empty(len(order), dtype=bool)
    head[:1] = True
    if len(order) > 1:
        head[1:] = pc.not_equal(ordered.slice(1), ordered.slice(0, len(order) - 1)
                                ).to_numpy(zero_copy_only=False)
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.cumsum(head) - 1
    return rank, order[head], ordered.filter(pa.array(head)).cast(pa.string())


def _ordered_parts(values: pa.ChunkedArray, part_rows: int = _PART_ROWS
                   ) -> list[np.ndarray | None]:
    """``values`` cut into parts of about ``part_rows`` rows (the positions of each, in
    order) such that equal values fall in one part and every value of a part sorts
    before every value of the next: by the 8 bytes that follow the values' common
    prefix, cut at sampled quantiles. A hash table and a sort of one part fit the CPU
    caches where one of every value does not. ``[None]``: one part, all the rows."""
    n = len(values)
    if n <= part_rows or values.null_count:
        return [None]
    skip = _common_prefix(values)
    if values.num_chunks == 1:
        words = _leading_word(values.chunk(0), skip)
    else:  # each chunk's words written into their place (no concatenation)
        words = np.empty(n, dtype=np.uint64)
        at = 0
        for chunk in values.chunks:
            _leading_word(chunk, skip, out=words[at:at + len(chunk)])
            at += len(chunk)
    sample = np.sort(words[::max(1, n // 8192)])
    cuts = sorted_unique(sample[(np.arange(1, -(-n // part_rows)) * len(sample))
                                // -(-n // part_rows)])
    if not len(cuts):
        return [None]
    part = _part_numbers(words, cuts)
    order = np.argsort(part, kind="stable")  # a small type sorts by radix
    bounds = np.searchsorted(part[order], np.arange(len(cuts) + 2))
    parts = [order[a:b] for a, b in zip(bounds[:-1].tolist(), bounds[1:].tolist()) if b > a]
    return parts if len(parts) > 1 else [None]


def _common_prefix(values: pa.Array | pa.ChunkedArray) -> int:
    """The number of leading bytes every value shares (those its least and greatest
    value share: every value between them in byte order starts with them too)."""
    low, high = pc.min_max(values).values()
    low, high = low.as_py().encode(), high.as_py().encode()
    skip = 0
    while skip < min(len(low), len(high)) and low[skip] == high[skip]:
        skip += 1
    return skip


def string_order(values: pa.Array) -> np.ndarray:
    """``pc.sort_indices(values)`` as int64 positions, of a string array with no nulls (byte
    order, stable): rows sorted as integers by their 8 bytes after the values' common
    prefix (no string compared, no cache miss per comparison), then only the rows whose
    8 bytes tie with a neighbour's sorted again, by Arrow on their whole text. Integers
    in order give texts in order (a shorter text's missing bytes read as zeros: it
    sorts first), so the tied rows, sorted together, fall back into their ties' slots
    in order. (Sorting ties by their next 8 bytes, round after round, measured slower
    than Arrow's sort of them.)"""
    n = len(values)
    if n < 2 or values.null_count:
        return pc.sort_indices(values).to_numpy().astype(np.int64)
    words = _leading_word(values, _common_prefix(values))
    order = np.argsort(words, kind="stable")
    words = np.take(words, order)
    same = words[1:] == words[:-1]
    del words
    tied = np.zeros(n, dtype=bool)
    tied[1:] = same
    tied[:-1] |= same
    del same
    slots = np.flatnonzero(tied)
    if len(slots):
        rows = order[slots]
        order[slots] = rows[pc.sort_indices(values.take(pa.array(rows))).to_numpy()]
    return order


def _leading_word(chunk: pa.Array, skip: int, out: np.ndarray | None = None) -> np.ndarray:
    """Per value of a string chunk, its bytes ``skip`` to ``skip + 8`` as a big-endian
    integer, zeros past its end (values in byte order give integers in order, ties
    where they agree on those bytes); written into ``out`` (uint64) when given."""
    chunk = chunk.cast(pa.large_string())
    n = len(chunk)
    offsets = np.frombuffer(chunk.buffers()[1], dtype=np.int64)[chunk.offset:chunk.offset + n + 1]
    data = chunk.buffers()[2]
    data = np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, np.uint8)
    start, end = offsets[:-1] + skip, offsets[1:]
    if len(data) < 8:
        data = np.concatenate([data, np.zeros(8 - len(data), np.uint8)])
    # the 8 bytes from each start in one gather, straight into the words' own bytes (a
    # start near the buffer's end: moved back, its bytes moved forward again below),
    # bytes past a value's end zeroed; ``start`` is the one row-sized temporary, reused
    last = len(data) - 8
    moved = np.flatnonzero(start > last)  # starts moved back (their own kept aside)
    moved_start = start[moved]
    np.minimum(start, last, out=start)
    # (a fancy index of the window view: ``np.take`` of it into ``out`` measured 25x slower)
    bytes_ = np.lib.stride_tricks.sliding_window_view(data, 8)[start]
    words = bytes_.view(np.uint64).ravel()
    for row, first in zip(moved.tolist(), moved_start.tolist()):
        if first < end[row]:
            shift = first - last
            bytes_[row] = np.r_[bytes_[row, shift:], np.zeros(shift, np.uint8)]
    if sys.byteorder == "little":
        words.byteswap(inplace=True)  # the words read big-endian, in place
    # bytes past a value's end zeroed: the word masked to its first (end - start) bytes,
    # each mask picked from the nine there are
    np.subtract(end, start, out=start)
    start[moved] = end[moved] - moved_start
    np.clip(start, 0, 8, out=start)
    kept = start.astype(np.uint8)
    del start
    masks = np.array([0 if k == 0 else ((1 << 64) - 1) ^ ((1 << (64 - 8 * k)) - 1)
                      for k in range(9)], dtype=np.uint64)
    words &= masks[kept]
    if out is not None:
        out[:] = words
        return out
    return words


def _part_numbers(words: np.ndarray, cuts: np.ndarray) -> np.ndarray:
    """``np.searchsorted(cuts, words, side="right")`` as a small integer type: for a few
    cuts, one comparison pass per cut (a binary search per word mispredicts its
    branches)."""
    small = np.int16 if len(cuts) < 1 << 15 else np.int32
    if len(cuts) > 16:  # measured: a pass per cut is slower than the search past ~30
        return np.searchsorted(cuts, words, side="right").astype(small)
    part = np.zeros(len(words), dtype=small)
    above = np.empty(len(words), dtype=bool)
    for cut in cuts.tolist():
        np.greater_equal(words, np.uint64(cut), out=above)
        part += above
    return part


def _rows_in_runs(values: pa.ChunkedArray, rows: np.ndarray) -> pa.ChunkedArray:
    """``values`` at ``rows`` (increasing), as slices where the rows run on (no copy; an
    identifiers frame holds each kind's rows of a file in one run), else one gather."""
    breaks = np.flatnonzero(np.diff(rows) != 1) + 1
    if len(breaks) > max(64, len(rows) // 256):
        return pa.chunked_array([take_chunked(values, rows)], values.type)
    starts = np.r_[0, breaks]
    ends = np.r_[breaks, len(rows)]
    chunks = [chunk for lo, hi in zip(starts.tolist(), ends.tolist())
              for chunk in values.slice(int(rows[lo]), hi - lo).chunks if len(chunk)]
    return pa.chunked_array(chunks, values.type)


def labelled_key_order(codes: np.ndarray, labels: np.ndarray, values: pa.Array
                       ) -> np.ndarray:
    """The order of rows by their key text ``labels[codes] + ":" + values`` (byte order,
    as ``pc.sort_indices`` of the joined text gives it), without making that text: rows
    grouped by label in the labels' text order, then each label's values sorted alone
    (shorter sorts over fewer rows). When a label is a prefix of another, the groups
    would not follow the key order: the joined text is sorted then."""
    names = [str(label) for label in labels]
    if _labels_nest(names):
        keys = pc.binary_join_element_wise(
            pa.array(np.asarray(names, dtype=object)[codes], pa.string()), values, ":")
        return pc.sort_indices(keys).to_numpy()
    by_label, bounds = _rows_by_label(names, codes)
    order = np.empty(len(codes), dtype=np.int64)
    for lo, hi in zip(bounds[:-1].tolist(), bounds[1:].tolist()):
        rows = by_label[lo:hi]
        if hi - lo > 1:
            rows = rows[pc.sort_indices(values.take(pa.array(rows))).to_numpy()]
        order[lo:hi] = rows
    return order


def _text_at(values: pd.Series, rows: np.ndarray) -> pa.Array:
    """``arrow_text(values).take(rows)`` without first copying the whole column into
    one string array (an Arrow-backed column is taken from its chunks as they are:
    :func:`take_rows`)."""
    if not isinstance(values.dtype, pd.ArrowDtype | pd.StringDtype):
        return arrow_text(values).take(pa.array(rows))
    return take_rows(values, rows, pa.string())


def _rows_of(array: pa.Array | pa.ChunkedArray, rows: np.ndarray
             ) -> pa.Array | pa.ChunkedArray:
    """``array`` at ``rows`` (increasing): a slice, no copy, when they are one run (a
    layout's rows of the identifiers and of the owners usually are)."""
    if len(rows) and rows[-1] - rows[0] + 1 == len(rows):
        return array.slice(int(rows[0]), len(rows))
    return array.take(pa.array(rows))


def _arrow_series(array: pa.Array) -> pd.Series:
    """An Arrow array (text, or text coded by ``coded_text``) as an Arrow-backed column
    (no Python object per row)."""
    return pd.Series(pd.arrays.ArrowExtensionArray(array))


def _list_array(groups: np.ndarray, values: pa.Array, n_groups: int) -> pd.Series:
    """Like ``_list_column`` for values already in Arrow."""
    counts = np.bincount(groups, minlength=n_groups) if len(groups) else np.zeros(n_groups,
                                                                                   int)
    offsets = np.zeros(n_groups + 1, dtype=np.int32)
    np.cumsum(counts, out=offsets[1:])
    array = pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), values)
    return pd.Series(pd.arrays.ArrowExtensionArray(array), dtype=LIST_DTYPE)


def review_relationships(people: Resolution) -> pd.DataFrame:
    """``POSSIBLY_SAME_AS`` between the entities of record pairs left for review (the
    best-scored pair per entity pair; entity ids in sorted order)."""
    pairs = people.pairs
    if "decision" not in pairs.columns or pairs.empty:
        return pd.DataFrame(columns=["start", "end", "type"])
    review = pairs[pairs["decision"] == "review"]
    if review.empty:  # no lookup table of every record made for nothing
        return pd.DataFrame(columns=["start", "end", "type"])
    person_of = people.entities.set_index("record_id")["entity_id"]
    a = _text(review["record_id_l"]).map(person_of)
    b = _text(review["record_id_r"]).map(person_of)
    keep = a.notna() & b.notna() & (a != b)
    a, b, review = a[keep], b[keep], review[keep]
    frame = pd.DataFrame({"start": np.where(a < b, a, b), "end": np.where(a < b, b, a),
                          "type": _repeated(Rel.POSSIBLY_SAME_AS.value, len(a)),
                          "score": review["score"].astype(float).to_numpy(),
                          "evidence": _text(review["evidence"]).to_numpy()})
    frame = frame.iloc[np.argsort(-frame["score"].to_numpy(), kind="stable")]
    return frame.drop_duplicates(["start", "end"], keep="first")


def match_parts(hits: pd.DataFrame | None, sanctions: pd.DataFrame | None
                ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A ``Sanction`` node per listed entry hit and a ``MATCHES`` relationship from the
    entity (the first hit per entity and entry)."""
    if hits is None or sanctions is None or hits.empty:
        return (pd.DataFrame(columns=["key", "label"]),
                pd.DataFrame(columns=["start", "end", "type"]))
    key = "Sanction:" + _text(hits["list"]) + ":" + _text(hits["list_id"])
    rels = pd.DataFrame({"start": _text(hits["record_id"]).to_numpy(), "end": key.to_numpy(),
                         "type": _repeated(Rel.MATCHES.value, len(hits)),
                         "score": hits["score"].astype(float).to_numpy(),
                         "evidence": _text(hits["evidence"]).to_numpy(),
                         "matched_name": _text(hits["matched_name"]).to_numpy()})
    rels = rels.drop_duplicates(["start", "end"])
    wanted = hits[["list", "list_id"]].astype(str).drop_duplicates()
    entries = sanctions.assign(list=_text(sanctions["list"]),
                               list_id=_text(sanctions["list_id"]))
    entries = entries.drop_duplicates(["list", "list_id"]).merge(wanted, on=["list", "list_id"])
    nodes = pd.DataFrame({
        "key": ("Sanction:" + entries["list"] + ":" + entries["list_id"]).to_numpy(),
        "label": Label.SANCTION.value, "list": entries["list"].to_numpy(),
        "list_id": entries["list_id"].to_numpy(), "name": _text(entries["name"]).to_numpy(),
        "aliases": pd.Series(list(entries["aliases"]), dtype=LIST_DTYPE).to_numpy(),
        "programs": pd.Series(list(entries["programs"]), dtype=LIST_DTYPE).to_numpy(),
        "kind": _text(entries["kind"]).to_numpy()})
    return nodes, rels


def build_tables(data: Ingested, people: Resolution, companies: Resolution,
                 hits: pd.DataFrame | None = None, sanctions: pd.DataFrame | None = None,
                 entities: tuple[list[pd.DataFrame], list[pd.DataFrame]] | None = None,
                 release_records: bool = False,
                 households: pd.DataFrame | None = None) -> GraphTables:
    """The property graph of records, entities, identifiers, payments, review pairs and
    sanctions matches, as node and relationship tables. ``entities``: the output of
    :func:`entity_nodes` when the caller already has it (screening needs it first).
    ``release_records``: once every part is made, keep only the ids of ``data.records``
    and ``data.identifiers`` (rows and counts stay; the fields live on as node
    properties), so that a large build does not hold them twice while assembling.
    ``households``: ``SAME_HOUSEHOLD`` rows (``graph.households.households_table``),
    assembled with the rest (the same tables as ``append_households`` afterwards, without
    copying and re-sorting every relationship)."""
    entity_frames, entity_rels = entities or entity_nodes(data, people, companies)
    entity_part = pd.concat([f for f in entity_frames if len(f)], ignore_index=True)
    entity_keys = arrow_text(entity_part["key"])
    owners = record_owners(data, people, companies, entity_keys)
    person_rows = owners["entity"].to_numpy(np.int64)[:len(people.entities)]
    entity_rels = [_resolved_to_rows(entity_rels[0], people, person_rows), *entity_rels[1:]]
    id_nodes, id_rels = identifier_parts(data.identifiers, owners, len(entity_keys))
    payroll = payroll_person_rows(owners, len(data.records[Layout.PAYROLL]))
    payments = payment_relationships(_payers(data, people, companies, payroll), entity_keys)
    if release_records:  # the identifiers' fields now live in id_nodes
        data.identifiers = data.identifiers[["layout", "record_id", "kind"]]
    match_nodes, match_rels = match_parts(hits, sanctions)
    rels = [RelPart(r, f"Record:{layout}", ENTITIES)
            for r, layout in zip(entity_rels, (Layout.PEOPLE.value, Layout.COMPANIES.value))]
    rels += linked_record_relationships(owners)
    rels += [RelPart(id_rels, ENTITIES, IDENTIFIERS),
             RelPart(payments, ENTITIES, ENTITIES),
             RelPart(review_relationships(people), ENTITIES, ENTITIES),
             RelPart(match_rels, ENTITIES, SANCTIONS)]
    if households is not None and len(households):
        rels.append(RelPart(household_relationships(households), ENTITIES, ENTITIES))
    del owners, entity_frames, entity_rels, id_rels, payments, match_rels
    # records last: with release_records each layout's fields are let go as soon as its
    # Record nodes hold them, so a large build never holds two copies of every record
    node_parts: dict[str, pd.DataFrame | pa.Table] = {
        f"Record:{layout}": table for layout, table in record_nodes(data, release_records)}
    node_parts[ENTITIES] = entity_part
    node_parts[IDENTIFIERS] = id_nodes
    node_parts[SANCTIONS] = match_nodes
    del entity_part, id_nodes, match_nodes
    if release_records:
        release_record_fields(data)
    return assemble(node_parts, rels)


def household_relationships(households: pd.DataFrame) -> pd.DataFrame:
    """``SAME_HOUSEHOLD`` relationship rows (entity keys) of a ``households_table``."""
    return pd.DataFrame({"start": households["start"].to_numpy(dtype=object),
                         "end": households["end"].to_numpy(dtype=object),
                         "type": _repeated(Rel.SAME_HOUSEHOLD.value, len(households)),
                         "evidence": _text(households["evidence"]).to_numpy(dtype=object)})


def release_record_fields(data: Ingested) -> None:
    """Keep only the ``record_id`` column of each records frame of ``data``, and the
    ``layout, record_id, kind`` columns of its identifiers (rows and counts stay)."""
    for layout, frame in data.records.items():
        data.records[layout] = frame[["record_id"]]
    data.identifiers = data.identifiers[["layout", "record_id", "kind"]]


__all__ = [
    "ENTITIES",
    "IDENTIFIERS",
    "SANCTIONS",
    "RelPart",
    "assemble",
    "build_tables",
    "display_names",
    "entity_nodes",
    "household_relationships",
    "identifier_parts",
    "match_parts",
    "ordered_positions",
    "payer_company",
    "payment_relationships",
    "record_nodes",
    "record_owners",
    "release_record_fields",
    "review_relationships",
]
