"""The graph stage's integer and coded-text paths give the same tables (and the same
Parquet bytes) as the plain paths they replace, on tricky inputs: empty, one row, nulls,
non-ASCII keys, a column coded in one part and plain in another, values with two labels."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from graphkit.graph.assemble import (
    ENTITIES,
    IDENTIFIERS,
    RelPart,
    _relationship_order,
    assemble,
    coded_text,
    repeated_text,
)
from graphkit.graph.columns import payment_relationships
from graphkit.graph.tables import write_tables
from graphkit.intcodes import first_positions, first_seen_codes, first_seen_pairs


@pytest.mark.parametrize("case", ["one label each", "two labels", "missing", "one", "empty"])
def test_first_seen_pairs_equal_the_sort(case: str) -> None:
    rng = np.random.default_rng(7)
    values = rng.integers(0, 50, 400)
    inner = pd.factorize(values)[0]
    outer = (values % 3).astype(np.int64)  # a function of the value: one label each
    if case == "two labels":
        outer[5] = (outer[5] + 1) % 3
    elif case == "missing":
        inner[[0, 9]] = -1
    elif case == "one":
        inner, outer = inner[:1], outer[:1]
    elif case == "empty":
        inner, outer = inner[:0], outer[:0]
    n_inner = int(inner.max()) + 1 if len(inner) else 0
    codes, first = first_seen_pairs(outer, inner, n_inner)
    expected_codes, expected_first = first_seen_codes(outer * (n_inner + 1) + inner)
    assert codes.tolist() == expected_codes.tolist()
    assert first.tolist() == expected_first.tolist()


def test_first_positions_are_where_codes_first_appear() -> None:
    codes = pd.factorize(np.array(list("bbacabdc")))[0]
    assert first_positions(codes).tolist() == [0, 2, 3, 6]
    assert first_positions(np.zeros(0, dtype=np.int64)).tolist() == []


@pytest.mark.parametrize("n_nodes", [7, 2 ** 31])  # one int64 key; too big for it: lexsort
def test_relationship_order_is_the_stable_lexsort(n_nodes: int) -> None:
    rng = np.random.default_rng(3)
    start, type_code, end = (rng.integers(0, 7, 500), rng.integers(0, 4, 500),
                             rng.integers(0, 7, 500))  # many ties: stability matters
    expected = np.lexsort((end, type_code, start))
    assert _relationship_order(start, type_code, end, n_nodes).tolist() == expected.tolist()
    empty = np.zeros(0, dtype=np.int64)
    assert _relationship_order(empty, empty, empty, n_nodes).tolist() == []


def _parts(coded: bool) -> tuple[dict, list[RelPart]]:
    """Node and relationship parts with text columns either coded or plain."""
    def text(codes: list[int], values: list[str]) -> pa.Array:
        if coded:
            return coded_text(np.array(codes), values)
        return pa.array([values[c] for c in codes], pa.string())

    def same(value: str, n: int) -> pa.Array:
        return repeated_text(value, n) if coded else pa.array([value] * n, pa.string())

    records = pa.table({"key": ["Record:people:Ü2", "Record:people:A1"],
                        "label": same("Record", 2), "kind": same("people", 2),
                        "first_name": ["Jürgen", None]})
    one = pa.table({"key": ["Record:logins:L1"], "label": same("Record", 1),
                    "kind": same("logins", 1), "ip": ["10.0.0.1"]})
    kinds = ["email", "phone"]
    identifiers = pa.table({
        "key": ["Phone:+8210", "Email:김@x.kr", "Email:a@x.de"],
        "label": text([1, 0, 0], ["Email", "Phone"]), "value": ["+8210", "김@x.kr", "a@x.de"],
        "kind": text([1, 0, 0], kinds)})
    # a categorical with a missing value: a null among codes
    status = pd.Categorical(["lead", None], categories=["lead"]) if coded else \
        pd.Series(["lead", None], dtype=object)
    entities = pd.DataFrame({"key": ["person:2", "person:1"], "label": "Person",
                             "entity_id": ["person:2", "person:1"], "status": status})
    empty = pa.table({"key": pa.array([], pa.string()), "label": same("Record", 0)})
    nodes = {"Record:people": records, "Record:logins": one, IDENTIFIERS: identifiers,
             ENTITIES: entities, "Record:shipments": empty}
    types = ["HAS_EMAIL", "HAS_PHONE"]
    has = pd.DataFrame({"start": np.array([1, 0, 0]), "end": np.array([2, 0, 1]),
                        "type": pd.Series(pd.arrays.ArrowExtensionArray(
                            text([0, 1, 0], types))),
                        "kind": pd.Series(pd.arrays.ArrowExtensionArray(
                            text([0, 1, 0], kinds)))})
    resolved = pd.DataFrame({"start": np.array([0, 1]), "end": np.array([0, 1]),
                             "type": pd.Categorical(["RESOLVED_TO"] * 2) if coded else
                             "RESOLVED_TO", "evidence": ["exact", "näher"]})
    linked = pd.DataFrame({"start": np.array([0]), "end": np.array([1]),
                           "type": "RESOLVED_TO",  # plain here, coded elsewhere
                           "evidence": pd.Categorical(["person_record_id"]) if coded else
                           "person_record_id"})
    rels = [RelPart(has, ENTITIES, IDENTIFIERS), RelPart(resolved, "Record:people", ENTITIES),
            RelPart(linked, "Record:logins", ENTITIES)]
    return nodes, rels


def test_coded_text_gives_the_tables_and_files_of_plain_text(tmp_path: Path) -> None:
    plain = assemble(*_parts(coded=False))
    coded = assemble(*_parts(coded=True))
    pd.testing.assert_frame_equal(coded.nodes, plain.nodes)
    pd.testing.assert_frame_equal(coded.relationships, plain.relationships)
    assert coded.nodes["key"].tolist() == sorted(coded.nodes["key"].tolist())
    assert coded.nodes["status"].isna().sum() == len(coded.nodes) - 1
    assert coded.relationships["type"].tolist().count("RESOLVED_TO") == 3
    for column in ("label", "kind", "type", "evidence"):
        frame = coded.nodes if column in coded.nodes.columns else coded.relationships
        assert pa.types.is_string(pa.array(frame[column].array).type), column
    for name, tables in (("plain", plain), ("coded", coded)):
        (tmp_path / name).mkdir()
        write_tables(tables, tmp_path / name)
    for name in ("nodes.parquet", "relationships.parquet"):
        assert (tmp_path / "plain" / name).read_bytes() == \
            (tmp_path / "coded" / name).read_bytes()


def _payments_by_key(payers: pd.DataFrame) -> pd.DataFrame:
    """``PAYS`` and ``WORKS_FOR`` as the first version made them, a pandas group-by on
    entity keys (kept here as the reference for the group-by on node rows)."""
    month = payers["month"].where(payers["month"] != "")
    grouped = payers.assign(month=month).groupby(["company", "person", "currency"],
                                                 sort=False)
    totals = grouped.agg(amount=("amount", "sum"), payments=("amount", "size"),
                         first=("month", "min"), last=("month", "max")).reset_index()
    totals = totals.drop_duplicates(["company", "person"], keep="first")
    period = (totals["first"] + ".." + totals["last"]).where(totals["first"].notna(), "")
    pays = pd.DataFrame({"start": totals["company"], "end": totals["person"],
                         "type": "PAYS", "amount": totals["amount"].round(2),
                         "currency": totals["currency"], "period": period,
                         "payments": totals["payments"].astype("int64")})
    works = pd.DataFrame({"start": totals["person"], "end": totals["company"],
                          "type": "WORKS_FOR"})
    return pd.concat([pays, works], ignore_index=True)


def test_payment_totals_on_rows_equal_the_group_by_on_keys() -> None:
    keys = pd.Index(["company:acme", "person:1", "person:2", "company:name:Zeta"])
    payers = pd.DataFrame({
        "person": ["person:1", "person:1", "person:2", "person:1", "person:2", "person:2"],
        "company": ["company:acme", "company:acme", "company:acme", "company:name:Zeta",
                    "company:acme", "company:gone"],
        "payer": "x",
        "currency": ["USD", "USD", "KRW", "EUR", "USD", "USD"],
        "amount": [0.1, 0.2, 1000.0, 5.0, 3.333, 9.0],
        "month": ["2026-03", "2026-01", "", "2025-12", "2026-02", "2026-01"]})
    by_key = _payments_by_key(payers)
    rows = payers.assign(person=keys.get_indexer(payers["person"]))
    by_row = payment_relationships(rows, pa.array(keys.to_numpy(dtype=object), pa.string()))
    known = by_row[(by_row["start"] >= 0) & (by_row["end"] >= 0)].reset_index(drop=True)
    known = known.assign(start=keys[known["start"]], end=keys[known["end"]])
    expected = by_key[~by_key[["start", "end"]].isin(["company:gone"]).any(axis=1)]
    expected = expected.reset_index(drop=True)
    assert known["type"].astype(str).tolist() == expected["type"].astype(str).tolist()
    for column in ("start", "end", "currency", "period"):
        assert known[column].tolist() == expected[column].tolist(), column
    assert np.allclose(known["amount"].astype(float), expected["amount"].astype(float),
                       equal_nan=True)
    assert known["payments"].fillna(-1).astype(int).tolist() == \
        expected["payments"].fillna(-1).astype(int).tolist()
    assert "2025-12..2025-12" in known["period"].tolist()
    assert "" in known["period"].tolist()  # person 2's KRW month was missing


@pytest.mark.parametrize("dtype", ["arrow", "object"])
def test_record_fields_lose_empty_text_only(dtype: str) -> None:
    from graphkit.graph.columns import _arrow_strings
    from graphkit.ingest.fields import STR

    values = ["Jürgen", "", None, "a b", ""]
    series = pd.Series(values, dtype=STR if dtype == "arrow" else object)
    assert _arrow_strings(series).to_pylist() == ["Jürgen", None, None, "a b", None]
    assert _arrow_strings(series.iloc[1:4]).to_pylist() == [None, None, "a b"]  # a slice
    assert _arrow_strings(series.iloc[:0]).to_pylist() == []
