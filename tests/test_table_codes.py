"""The graph and sharing tables' codes made without a Python object per row are the codes
pandas gives, and a node part already in key order is laid out unchanged."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from graphkit.graph import GraphTables
from graphkit.graph.assemble import RelPart, assemble
from graphkit.pipeline import BuildResult
from graphkit.rings.sharing import label_codes, sharing_table


def test_label_codes_are_factorize_codes(demo_build: BuildResult) -> None:
    tables = GraphTables(demo_build.tables.nodes, demo_build.tables.relationships)
    codes, labels = label_codes(tables)
    expected, uniques = pd.factorize(tables.nodes["label"].to_numpy(dtype=object))
    assert codes.tolist() == expected.tolist()
    assert list(labels) == list(uniques)


def test_sharing_types_in_order_of_first_appearance(demo_build: BuildResult) -> None:
    table = sharing_table(GraphTables(demo_build.tables.nodes,
                                      demo_build.tables.relationships)).table
    types = table["type"]
    assert list(types.cat.categories) == list(pd.unique(types.astype(str)))
    rels = demo_build.tables.relationships
    assert set(types.astype(str)) <= set(rels["type"].astype(str))


def test_parts_in_key_order_or_not_give_the_same_tables() -> None:
    keys = [f"Record:people:p{i:03d}" for i in range(50)]
    part = pd.DataFrame({"key": keys, "label": "Record", "name": [f"n{i}" for i in range(50)]})
    people = pd.DataFrame({"key": ["person:1", "person:2"], "label": "Person"})
    rels = pd.DataFrame({"start": np.arange(50, dtype=np.int64), "end": ["person:1"] * 50,
                         "type": "RESOLVED_TO"})
    shuffled = part.sample(frac=1, random_state=3).reset_index(drop=True)
    at = pd.Index(shuffled["key"]).get_indexer(keys)
    shuffled_rels = rels.assign(start=at.astype(np.int64))
    in_order = assemble({"records": part.copy(), "entities": people.copy()},
                        [RelPart(rels.copy(), "records", "entities")])
    reordered = assemble({"records": shuffled, "entities": people.copy()},
                         [RelPart(shuffled_rels, "records", "entities")])
    assert in_order.nodes.equals(reordered.nodes)
    assert in_order.relationships.equals(reordered.relationships)
    assert in_order.nodes["key"].tolist() == sorted([*keys, "person:1", "person:2"])
    assert pa.array(in_order.nodes["name"].array).to_pylist()[:3] == ["n0", "n1", "n2"]
