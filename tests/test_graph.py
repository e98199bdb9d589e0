"""The property graph follows the schema of DESIGN.md."""

from __future__ import annotations

from collections import Counter

from graphkit.schema import Label, Rel


def test_every_record_resolves_to_one_entity(demo_build):
    g = demo_build.graph
    for node, attrs in g.nodes(data=True):
        if attrs["label"] == Label.RECORD.value and attrs["kind"] in ("people", "companies"):
            targets = [d for _, d, k in g.out_edges(node, keys=True) if k == Rel.RESOLVED_TO]
            assert len(targets) == 1, node
            assert g.nodes[targets[0]]["label"] in ("Person", "Company")


def test_relationship_types_connect_the_right_labels(demo_build):
    g = demo_build.graph
    allowed = {
        Rel.RESOLVED_TO: ({"Record"}, {"Person", "Company"}),
        Rel.HAS_ACCOUNT: ({"Person", "Company"}, {"Account"}),
        Rel.USES_DEVICE: ({"Person"}, {"Device"}), Rel.USES_IP: ({"Person"}, {"IP"}),
        Rel.HAS_EMAIL: ({"Person", "Company"}, {"Email"}),
        Rel.HAS_PHONE: ({"Person", "Company"}, {"Phone"}),
        Rel.LIVES_AT: ({"Person"}, {"Address"}), Rel.SHIPS_TO: ({"Person"}, {"Address"}),
        Rel.HAS_DOCUMENT: ({"Person", "Company"}, {"Document"}),
        Rel.REGISTERED_AT: ({"Company"}, {"Address"}),
        Rel.PAYS: ({"Company"}, {"Person"}), Rel.WORKS_FOR: ({"Person"}, {"Company"}),
        Rel.MATCHES: ({"Person", "Company"}, {"Sanction"}),
        Rel.POSSIBLY_SAME_AS: ({"Person"}, {"Person"}),
        Rel.SAME_HOUSEHOLD: ({"Person"}, {"Person"}),
    }
    seen = Counter()
    for src, dst, key, attrs in g.edges(keys=True, data=True):
        assert attrs["type"] == key
        sources, targets = allowed[Rel(key)]
        assert g.nodes[src]["label"] in sources and g.nodes[dst]["label"] in targets, key
        seen[key] += 1
    assert set(seen) >= {r.value for r in allowed} - {Rel.POSSIBLY_SAME_AS.value}


def test_review_pairs_become_possibly_same_as_edges(demo_build):
    import pandas as pd

    from graphkit.graph import build_graph
    from graphkit.resolve import Resolution

    people = demo_build.people
    entity = dict(zip(people.entities.record_id, people.entities.entity_id))
    a, b = people.entities.record_id.iloc[0], people.entities.record_id.iloc[5]
    assert entity[a] != entity[b]
    review = pd.DataFrame([{"record_id_l": a, "record_id_r": b, "score": 0.7,
                            "evidence": "name: similar (+5.0)", "decision": "review",
                            "match_weight": 1.2}])
    with_review = Resolution(people.entities, pd.concat([people.pairs, review]))
    g = build_graph(demo_build.data, with_review, demo_build.companies)
    found = [(s, d, attrs) for s, d, k, attrs in g.edges(keys=True, data=True)
             if k == Rel.POSSIBLY_SAME_AS]
    added = [attrs for s, d, attrs in found if (s, d) == tuple(sorted((entity[a], entity[b])))]
    assert len(added) == 1 and added[0]["score"] == 0.7 and "name" in added[0]["evidence"]
    assert len(found) == 1 + sum(1 for *_, k in demo_build.graph.edges(keys=True)
                                 if k == Rel.POSSIBLY_SAME_AS)


def test_payments_are_summed_per_payer_and_person(demo_build):
    g = demo_build.graph
    pays = [(s, d, a) for s, d, k, a in g.edges(keys=True, data=True) if k == Rel.PAYS]
    assert pays
    payroll = demo_build.data.records["payroll"]
    total = sum(float(a) for a in payroll["amount"])
    assert abs(sum(a["amount"] for _, _, a in pays) - total) < 0.01
    # the employer, and the staffing agency paying its placed workers
    assert {g.nodes[s]["name"] for s, _, _ in pays} == {"Northwind Analytics Inc.",
                                                       "Bright Staffing Partners"}


def test_graph_json_round_trip_keeps_lists(demo_build, tmp_path):
    from graphkit.graph import read_graph_json, write_graph_json

    write_graph_json(demo_build.graph, tmp_path / "graph.json")
    back = read_graph_json(tmp_path / "graph.json")
    assert set(back.nodes) == set(demo_build.graph.nodes)
    assert set(back.edges(keys=True)) == set(demo_build.graph.edges(keys=True))
    listed = [a for _, a in back.nodes(data=True) if a["label"] == "Sanction"]
    assert listed and all(isinstance(a["programs"], list) for a in listed)
