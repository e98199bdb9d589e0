"""Rings: planted rings outrank innocent sharing, each with evidence naming its pattern."""

from __future__ import annotations

import csv
import warnings
from html.parser import HTMLParser

import networkx as nx
import pandas as pd

import graphkit
from graphkit.report import render_report
from graphkit.rings import RING_COLUMNS, score_of

EXPECTED = {
    "R1": "laptop_farm", "R2": "shared_pay_destination", "R3": "shared_device",
    "R4": "identity_reuse", "R5": "sanctioned_counterparty", "R6": "sanctioned_person_name",
}


def _truth_of_rings(demo_dir, demo_build) -> dict[str, set[str]]:
    with (demo_dir / "truth.csv").open(encoding="utf-8", newline="") as handle:
        truth = {t["record_id"]: t["ring_id"] for t in csv.DictReader(handle)
                 if t["layout"] in ("people", "companies")}
    g = demo_build.graph
    labels = {}
    for ring in demo_build.rings:
        records = {g.nodes[s]["record_id"] for m in ring.members
                   for s, _, k in g.in_edges(m, keys=True)
                   if k == "RESOLVED_TO" and g.nodes[s]["kind"] in ("people", "companies")}
        labels[ring.ring_id] = {truth[r] for r in records}
    return labels


def test_every_planted_ring_outranks_every_innocent_cluster(demo_dir, demo_build):
    labels = _truth_of_rings(demo_dir, demo_build)
    ranked = [r.ring_id for r in demo_build.rings]
    planted = [rid for rid in ranked if labels[rid] - {""}]
    innocent = [rid for rid in ranked if labels[rid] == {""}]
    assert {next(iter(labels[rid] - {""})) for rid in planted} == set(EXPECTED)
    assert all(len(labels[rid] - {""}) == 1 for rid in planted)  # no two rings glued
    assert max(ranked.index(r) for r in planted) < min(ranked.index(r) for r in innocent)


def test_evidence_names_the_planted_pattern(demo_dir, demo_build):
    labels = _truth_of_rings(demo_dir, demo_build)
    for ring in demo_build.rings:
        truth = labels[ring.ring_id] - {""}
        if truth:
            patterns = {e.pattern for e in ring.evidence}
            assert EXPECTED[truth.pop()] in patterns, (ring.ring_id, patterns)
            assert ring.points == round(sum(e.weight for e in ring.evidence), 2)
            assert ring.score == score_of(ring.points)
            assert all(e.description for e in ring.evidence)


def test_duplicate_records_of_one_person_score_nothing():
    from graphkit.rings import find_rings

    g = nx.MultiDiGraph()
    _person(g, "person:a", "Emily Kowalski", "1990-02-03", "111223333")
    _person(g, "person:b", "Emily Kowalske", "1990-02-03", "111223333")  # typo, same id
    g.add_node("Device:X1", label="Device", value="X1")
    for p in ("person:a", "person:b"):
        g.add_edge(p, "Device:X1", key="USES_DEVICE", type="USES_DEVICE", records=[p])
    (ring,) = find_rings(g).top(5)
    assert [e.pattern for e in ring.evidence] == ["duplicate_records"]
    assert ring.score == 0


def test_resolution_merges_the_demo_duplicates(demo_build):
    # the probabilistic resolver merges applicants re-entered with a typo in the name,
    # so no ring in the demo is only one person recorded twice
    assert not [r for r in demo_build.rings
                if any(e.pattern == "duplicate_records" for e in r.evidence)]


def test_analyst_api(demo_build, tmp_path):
    from graphkit.pipeline import write_outputs

    write_outputs(demo_build, tmp_path)
    g = graphkit.load(tmp_path)
    rings = graphkit.rings(g)
    assert [r.members for r in rings.top(5)] == [r.members for r in demo_build.rings.top(5)]
    listed = next(r for r in rings if any(e.pattern == "sanctioned_counterparty"
                                          for e in r.evidence))
    sub = listed.subgraph()
    assert set(listed.members) <= set(sub.nodes)
    assert any(a["label"] == "Sanction" for _, a in sub.nodes(data=True))
    frame = rings.to_pandas()
    assert list(frame.columns) == list(RING_COLUMNS) and len(frame) == len(rings)
    assert frame["score"].is_monotonic_decreasing
    for name in ("rings.csv", "rings.json", "report.html"):
        assert (tmp_path / name).stat().st_size > 0


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.svgs = self.circles = self.sections = 0
        self.external: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.svgs += tag == "svg"
        self.circles += tag == "circle"
        self.sections += tag == "section"
        for key in ("src", "href"):
            if attrs.get(key, "").startswith(("http", "//")):
                self.external.append(attrs[key])


def test_report_is_self_contained_with_a_drawing_per_ring(demo_build):
    page = _Page()
    page.feed(render_report(demo_build.rings, "test", limit=10, min_score=0))
    assert page.sections - 1 == page.svgs == min(10, len(demo_build.rings))  # + triage
    assert page.circles >= 2 * page.svgs
    assert page.external == []


def _person(graph, entity: str, name: str, dob: str, nid: str) -> None:
    record = f"Record:people:{entity}"
    graph.add_node(entity, label="Person", entity_id=entity, name=name, aliases=[])
    graph.add_node(record, label="Record", kind="people", record_id=entity, dob=dob)
    graph.add_edge(record, entity, key="RESOLVED_TO", type="RESOLVED_TO")
    graph.add_node(f"Document:nid:{nid}", label="Document", value=f"nid:{nid}")
    graph.add_edge(entity, f"Document:nid:{nid}", key="HAS_DOCUMENT", type="HAS_DOCUMENT",
                   records=[entity])


def test_identity_reuse_and_sanctioned_payer_are_detected():
    from graphkit.rings import find_rings

    g = nx.MultiDiGraph()
    _person(g, "person:a", "Pak Jong Chol", "1991-06-17", "111223333")
    _person(g, "person:b", "Park Jeong-cheol", "1991-06-17", "999887777")
    g.add_node("Device:X1", label="Device", value="X1")
    for p in ("person:a", "person:b"):
        g.add_edge(p, "Device:X1", key="USES_DEVICE", type="USES_DEVICE", records=[p])
    g.add_node("company:front", label="Company", name="Volasys Silver Star", aliases=[])
    g.add_node("Sanction:OFAC-SDN:24978", label="Sanction", name="VOLASYS SILVER STAR",
               list="OFAC-SDN", list_id="24978")
    g.add_edge("company:front", "Sanction:OFAC-SDN:24978", key="MATCHES", type="MATCHES",
               score=0.97)
    g.add_edge("company:front", "person:a", key="PAYS", type="PAYS")
    (ring,) = find_rings(g).top(5)
    found = {e.pattern: e for e in ring.evidence}
    assert "2 different national ids" in found["identity_reuse"].description
    assert "paid by Volasys Silver Star" in found["paid_by_sanctioned"].description
    assert "matches VOLASYS SILVER STAR" in found["sanctioned_counterparty"].description
    assert set(ring.members) == {"company:front", "person:a", "person:b"}


# --- detectors on small hand-made populations -------------------------------------------

def _population(n_people: int = 40) -> nx.MultiDiGraph:
    """``n_people`` unrelated people, each with a home, a phone and an account, so the
    calibration has a population to weigh surprise against."""
    g = nx.MultiDiGraph()
    for i in range(n_people):
        _member(g, f"person:x{i}", f"Person{i} Unrelated{i}", home=f"home-x{i}",
                phone=f"phone-x{i}", account=f"acct-x{i}")
    return g


def _ident(g, key: str, label: str) -> str:
    node = f"{label}:{key}"
    if node not in g:
        g.add_node(node, label=label, value=key)
    return node


def _link(g, entity: str, key: str, label: str, rel: str) -> None:
    g.add_edge(entity, _ident(g, key, label), key=rel, type=rel, records=[entity])


def _member(g, entity: str, name: str, *, home: str, phone: str | None = None,
            account: str | None = None, device: str | None = None,
            ship: str | None = None, dob: str = "1990-01-01") -> None:
    record = f"Record:people:{entity}"
    g.add_node(entity, label="Person", entity_id=entity, name=name, aliases=[])
    g.add_node(record, label="Record", kind="people", record_id=entity, dob=dob)
    g.add_edge(record, entity, key="RESOLVED_TO", type="RESOLVED_TO")
    _link(g, entity, home, "Address", "LIVES_AT")
    for key, label, rel in ((phone, "Phone", "HAS_PHONE"), (account, "Account", "HAS_ACCOUNT"),
                            (device, "Device", "USES_DEVICE"), (ship, "Address", "SHIPS_TO")):
        if key:
            _link(g, entity, key, label, rel)


def _ring_with(rings, member: str):
    return next(r for r in rings if member in r.members)


def test_household_ring_scores_zero():
    from graphkit.rings import find_rings

    g = _population()
    for i, first in enumerate(("Linda", "Adam", "Ella")):
        _member(g, f"person:m{i}", f"{first} Miller", home="12 oak st", phone="555-0100",
                account="joint-1", device="family-pc")
    ring = _ring_with(find_rings(g), "person:m0")
    assert ring.points == 0 and ring.score == 0
    assert {e.pattern for e in ring.evidence} >= {"shared_pay_destination", "shared_phone"}
    assert all("household" in e.explained for e in ring.evidence)


def test_shared_pay_destination_across_households():
    from graphkit.rings import find_rings

    g = _population()
    for i in range(3):
        _member(g, f"person:p{i}", f"Worker{i} Name{i}", home=f"home-p{i}",
                account="acct-shared")
    _member(g, "person:j0", "Ann Joint", home="home-j", account="acct-joint")
    _member(g, "person:j1", "Bob Joint", home="home-j", account="acct-joint")
    rings = find_rings(g)
    found = _ring_with(rings, "person:p0")
    family = _ring_with(rings, "person:j0")
    (pay,) = [e for e in found.evidence if e.pattern == "shared_pay_destination"]
    assert pay.weight > 0 and not pay.explained and "3 people in 3 household" in pay.description
    assert found.points > family.points == 0
    assert list(rings).index(found) < list(rings).index(family)


def test_laptop_farm_and_company_site():
    from graphkit.rings import find_rings

    g = _population()
    for i in range(3):
        _member(g, f"person:f{i}", f"Farm{i} Worker{i}", home=f"home-f{i}", ship="9 elm dr")
        _member(g, f"person:o{i}", f"Office{i} Worker{i}", home=f"home-o{i}",
                ship="1 corporate plaza")
    g.add_node("company:c1", label="Company", name="Employer Inc", aliases=[])
    _link(g, "company:c1", "1 corporate plaza", "Address", "REGISTERED_AT")
    rings = find_rings(g)
    farm = [e for e in _ring_with(rings, "person:f0").evidence if e.pattern == "laptop_farm"]
    site = [e for e in _ring_with(rings, "person:o0").evidence if e.pattern == "laptop_farm"]
    assert farm[0].weight > 0 and "3 people who live elsewhere" in farm[0].description
    assert site[0].weight == 0 and site[0].explained == "shipping to a known company site"


def test_phone_and_device_across_households():
    from graphkit.rings import find_rings

    g = _population()
    for i in range(3):
        _member(g, f"person:v{i}", f"Voip{i} User{i}", home=f"home-v{i}", phone="646-555-0199",
                device="C02SHARED" if i < 2 else None)
    ring = _ring_with(find_rings(g), "person:v0")
    found = {e.pattern: e for e in ring.evidence}
    assert found["shared_phone"].weight > 0 and found["shared_device"].weight > 0
    assert ring.members == find_rings(g).top(1)[0].members


def test_sanctioned_payer_star_is_a_ring():
    from graphkit.rings import find_rings

    g = _population()
    g.add_node("company:front", label="Company", name="Volasys Silver Star", aliases=[])
    g.add_node("Sanction:OFAC-SDN:24978", label="Sanction", name="VOLASYS SILVER STAR",
               list="OFAC-SDN", list_id="24978")
    g.add_edge("company:front", "Sanction:OFAC-SDN:24978", key="MATCHES", type="MATCHES",
               score=0.97)
    for i in range(4):  # they share nothing else
        g.add_edge("company:front", f"person:x{i}", key="PAYS", type="PAYS")
    ring = _ring_with(find_rings(g), "company:front")
    assert set(ring.members) == {"company:front", *(f"person:x{i}" for i in range(4))}
    assert "4 people paid by Volasys Silver Star" in next(
        e.description for e in ring.evidence if e.pattern == "paid_by_sanctioned")
    assert ring.points > 0


def test_every_detector_is_declared_with_a_test():
    from graphkit.rings import DETECTORS

    names = set(globals())
    for detector in DETECTORS:
        assert detector.looks_for and detector.weighed
        assert detector.test in names, detector.test


def test_sharing_table_is_who_shares_what_in_the_graph(demo_build):
    """The columnar sharing table (integer codes, Arrow strings) holds exactly the
    entity → identifier relationships of the networkx view, with their records and the
    number of distinct entities reaching each identifier."""
    from graphkit.rings.sharing import ENTITY_LABELS, IDENTIFIER_LABELS, sharing_table

    graph = demo_build.graph
    expected, sharers = set(), {}
    for start, end, data in graph.edges(data=True):
        if graph.nodes[start].get("label") in ENTITY_LABELS and \
                graph.nodes[end].get("label") in IDENTIFIER_LABELS:
            value = graph.nodes[end].get("value") or end
            expected.add((start, end, data["type"], value, tuple(data.get("records") or ())))
            sharers.setdefault(end, set()).add(start)
    table = sharing_table(demo_build.tables).table
    got = {(e, i, t, v, tuple(r)) for e, i, t, v, r in zip(
        table["entity"], table["ident"], table["type"], table["value"], table["records"])}
    assert len(expected) > 1000 and got == expected and len(table) == len(expected)
    assert dict(zip(table["ident"], table["n_entities"])) == {
        ident: len(who) for ident, who in sharers.items()}
    assert max(len(who) for who in sharers.values()) > 2  # some identifiers are shared
    # pandas' "str" dtype: Arrow-backed text from pandas 3, Python objects before
    assert table["entity"].dtype == pd.Series([], dtype="str").dtype
    assert table["type"].dtype == "category"


def test_ring_subgraph_is_its_neighbourhood_in_the_graph(demo_build):
    """A ring's subgraph (found by key lookups and sorted-id ranges, not scans of every
    relationship) holds its members, the identifiers and entities of its evidence, the
    sanctions entries they match, and every relationship among them, as in the graph."""
    graph = demo_build.graph
    checked = 0
    for ring in demo_build.rings.top(10):
        keep = set(ring.members)
        for item in ring.evidence:
            keep.update(item.identifiers)
            keep.update(item.entities)
        keep = {k for k in keep if k in graph}
        keep |= {v for u in keep for _, v, t in graph.out_edges(u, keys=True)
                 if t == "MATCHES"}
        expected = graph.subgraph(keep)
        got = ring.subgraph()
        assert dict(got.nodes(data=True)) == dict(expected.nodes(data=True))
        assert sorted(got.edges(keys=True)) == sorted(expected.edges(keys=True))
        checked += got.number_of_edges()
    assert checked > 20
    assert any(d.get("label") == "Sanction" for r in demo_build.rings.top(10)
               for _, d in r.subgraph().nodes(data=True))


def test_rings_json_holds_every_ring_with_its_evidence(demo_build, tmp_path):
    """rings.json (written a ring per line) parses to ``Rings.to_json()``, whose evidence
    dicts are ``dataclasses.asdict`` of each finding."""
    import dataclasses
    import json

    from graphkit.pipeline import write_json_list

    rings = demo_build.rings
    write_json_list(rings.to_json(), tmp_path / "rings.json")
    back = json.loads((tmp_path / "rings.json").read_text(encoding="utf-8"))
    assert len(back) == len(rings) > 10
    assert back == json.loads(json.dumps(rings.to_json()))
    first = rings.top(1)[0]
    assert back[0]["evidence"] == json.loads(json.dumps(
        [dataclasses.asdict(e) for e in first.evidence]))
    write_json_list([], tmp_path / "none.json")
    assert json.loads((tmp_path / "none.json").read_text(encoding="utf-8")) == []


def test_clusters_without_any_sanctions_hit_are_made_without_warnings():
    from graphkit.rings.clusters import shared_identifier_clusters
    from graphkit.rings.sharing import sharing_table

    g = _population()
    _member(g, "person:a", "Ann Lee", home="addr:1", phone="phone:+1555")
    _member(g, "person:b", "Bo Park", home="addr:2", phone="phone:+1555")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # pandas warns when text fills a float column
        result = shared_identifier_clusters(sharing_table(g), 20)
    shared = result.clusters[result.clusters["members"].str.contains("person:a")]
    assert len(shared) == 1 and shared["sanctions_hits"].tolist() == [""]
    assert "phone:+1555 (2)" in shared["shared_identifiers"].iloc[0]
