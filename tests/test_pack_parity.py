"""Every pack query, run through ``graphkit.query`` on the demo build, returns exactly the rows
an independent pandas computation over the same build's node and relationship tables gives
(``graphkit.graph.read_tables``); and every pattern the ring detectors find on the demo is
found by its pack query."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pandas as pd
import pytest

import graphkit
from graphkit.graph import read_tables, record_node
from graphkit.pipeline import write_outputs
from graphkit.rings import find_rings
from graphkit.schema import Layout
from graphkit.store.packs import get_query, list_queries
from graphkit.text.names import romanized_key

ENTITY = ("Person", "Company")
ALL = 1_000_000  # a limit and cap above anything in the demo


@pytest.fixture(scope="module")
def out(demo_build, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("parity")
    write_outputs(demo_build, folder)
    return folder


class Tables:
    """The build's tables with the lookups the expected answers need."""

    def __init__(self, out: Path) -> None:
        tables = read_tables(out)
        self.nodes = tables.nodes.set_index("key", drop=False)
        rels = tables.relationships
        label = self.nodes["label"]
        self.rels = rels.assign(start_label=rels["start"].map(label).to_numpy(),
                                end_label=rels["end"].map(label).to_numpy())

    def prop(self, key: str, name: str):
        value = self.nodes.at[key, name]
        if isinstance(value, str) or hasattr(value, "__len__"):
            return value
        return None if pd.isna(value) else value

    def edges(self, types: tuple[str, ...], start: tuple[str, ...] = ENTITY,
              end: tuple[str, ...] | None = None) -> pd.DataFrame:
        rels = self.rels[self.rels["type"].isin(types) & self.rels["start_label"].isin(start)]
        return rels if end is None else rels[rels["end_label"].isin(end)]

    def groups(self, types: tuple[str, ...], start: tuple[str, ...] = ENTITY,
               end: tuple[str, ...] | None = None) -> dict[str, list[str]]:
        """Identifier key → sorted distinct entity keys reaching it by ``types``."""
        found: dict[str, set[str]] = defaultdict(set)
        for s, e in zip(*(self.edges(types, start, end)[c] for c in ("start", "end"))):
            found[e].add(s)
        return {k: sorted(v) for k, v in found.items()}


@pytest.fixture(scope="module")
def tables(out) -> Tables:
    return Tables(out)


def _plain(value):
    if isinstance(value, list | tuple) or hasattr(value, "tolist"):
        return tuple(_plain(v) for v in (value.tolist() if hasattr(value, "tolist") else value))
    if isinstance(value, float) and value != value:
        return None
    return value


def _rows(frame: pd.DataFrame) -> list[dict]:
    return [{k: _plain(v) for k, v in row.items()} for row in frame.to_dict("records")]


def _run(out: Path, ref: str, **params) -> list[dict]:
    frame = graphkit.query(ref, params, out_dir=out)
    assert list(frame.columns) == get_query(ref).returns, ref
    return _rows(frame)


def _expect(rows: list[dict], order, limit: int) -> list[dict]:
    return [{k: _plain(v) for k, v in r.items()} for r in sorted(rows, key=order)[:limit]]


def _group_rows(t: Tables, groups: dict[str, list[str]], column: str, min_members: int,
                max_members: int, **extra) -> list[dict]:
    rows = []
    for ident, members in groups.items():
        if len(members) < min_members:
            continue
        row = {column: t.prop(ident, "value")}
        row.update({name: fn(ident) for name, fn in extra.items()})
        row.update({"members": len(members), "entity_ids": members[:max_members],
                    "names": [t.prop(m, "name") for m in members[:max_members]],
                    "hub": len(members) > max_members})
        rows.append(row)
    return rows


SHARED = {  # query → (relationship types, entity labels, identifier label, value column)
    "rings/shared_accounts": (("HAS_ACCOUNT",), ENTITY, "Account", "account"),
    "rings/shared_devices": (("USES_DEVICE",), ("Person",), "Device", "device"),
    "rings/shared_phones": (("HAS_PHONE",), ENTITY, "Phone", "phone"),
    "rings/shared_emails": (("HAS_EMAIL",), ENTITY, "Email", "email"),
    "rings/shared_ips": (("USES_IP",), ENTITY, "IP", "ip"),
    "rings/shared_addresses": (("LIVES_AT", "SHIPS_TO", "REGISTERED_AT"), ENTITY, "Address",
                               "address"),
}


def _shared_expected(t: Tables, ref: str, min_members: int, max_members: int,
                     limit: int) -> list[dict]:
    types, labels, ident_label, column = SHARED[ref]
    extra = {"kind": lambda i: t.prop(i, "kind")} if ident_label == "Account" else {}
    rows = _group_rows(t, t.groups(types, labels, (ident_label,)), column, min_members,
                       max_members, **extra)
    order = [column, *extra, "members", "entity_ids", "names", "hub"]
    return _expect([{k: r[k] for k in order} for r in rows],
                   lambda r: (r["hub"], -r["members"], r[column]), limit)


@pytest.mark.parametrize("ref", sorted(SHARED))
def test_shared_identifier_packs(ref, out, tables):
    everything = _run(out, ref, max_members=5, limit=ALL)
    assert everything == _shared_expected(tables, ref, 2, 5, ALL)
    assert _run(out, ref, min_members=3, limit=4) == _shared_expected(tables, ref, 3, 20, 4)


def test_hub_groups_are_reported_with_their_size(out, tables):
    rows = _run(out, "rings/shared_ips", max_members=3, limit=ALL)
    hubs = [r for r in rows if r["hub"]]
    assert hubs, "the demo has IPs shared by more than 3 people"
    assert all(r["members"] > 3 and len(r["entity_ids"]) == len(r["names"]) == 3 for r in hubs)
    assert rows[-len(hubs):] == hubs  # after the groups within the cap


def test_laptop_farms(out, tables):
    t = tables
    lives = set(zip(*(t.edges(("LIVES_AT",), ("Person",))[c] for c in ("start", "end"))))
    ships = t.edges(("SHIPS_TO",), ("Person",), ("Address",))
    farms: dict[str, set[str]] = defaultdict(set)
    for person, address in zip(ships["start"], ships["end"]):
        if (person, address) not in lives:
            farms[address].add(person)
    groups = {a: sorted(p) for a, p in farms.items()}
    for min_members, max_members, limit in ((3, 20, 100), (2, 4, ALL)):
        rows = _group_rows(t, groups, "address", min_members, max_members)
        expected = _expect(rows, lambda r: (r["hub"], -r["members"], r["address"]), limit)
        assert _run(out, "rings/laptop_farms", min_members=min_members,
                    max_members=max_members, limit=limit) == expected
    assert expected


def test_shared_pay_destinations(out, tables):
    t = tables
    pays = t.edges(("PAYS",), ("Company",), ("Person",))
    payers_of: dict[str, set[str]] = defaultdict(set)
    for company, person in zip(pays["start"], pays["end"]):
        payers_of[person].add(company)
    held = t.groups(("HAS_ACCOUNT",), ("Person",), ("Account",))
    groups = {a: [p for p in people if payers_of[p]] for a, people in held.items()}
    rows = _group_rows(t, groups, "account", 2, 3, kind=lambda a: t.prop(a, "kind"),
                       payers=lambda a: sorted({t.prop(c, "name") for p in groups[a]
                                                for c in payers_of[p]}))
    order = ["account", "kind", "members", "entity_ids", "names", "payers", "hub"]
    expected = _expect([{k: r[k] for k in order} for r in rows],
                       lambda r: (r["hub"], -r["members"], r["account"]), ALL)
    assert _run(out, "rings/shared_pay_destinations", max_members=3, limit=ALL) == expected
    assert expected


def _people_records(t: Tables) -> pd.DataFrame:
    resolved = t.edges(("RESOLVED_TO",), ("Record",), ("Person",))
    kind = resolved["start"].map(t.nodes["kind"])
    return resolved[kind.eq("people").to_numpy()]


def test_identity_reuse_name_and_dob(out, tables):
    t = tables
    records = _people_records(t)
    by_key: dict[tuple[str, str], set[str]] = defaultdict(set)
    for record, person in zip(records["start"], records["end"]):
        dob, key = t.prop(record, "dob"), romanized_key(t.prop(person, "name") or "")
        if dob and key:
            by_key[(key, dob)].add(person)
    docs = t.groups(("HAS_DOCUMENT",), ("Person",), ("Document",))
    nids_of: dict[str, set[str]] = defaultdict(set)
    for doc, people in docs.items():
        if t.prop(doc, "value").startswith("nid:"):
            for person in people:
                nids_of[person].add(t.prop(doc, "value"))
    rows = []
    for (key, dob), people in by_key.items():
        ids = sorted(people)
        nids = sorted(set().union(*(nids_of[p] for p in ids)))
        if len(ids) >= 1 and len(nids) >= 2:
            rows.append({"name": t.prop(ids[0], "name"), "dob": dob, "name_key": key,
                         "members": len(ids), "entity_ids": ids[:20],
                         "names": [t.prop(p, "name") for p in ids[:20]],
                         "national_ids": nids, "hub": len(ids) > 20})
    expected = _expect(rows, lambda r: (r["hub"], -r["members"], r["name_key"], r["dob"]), ALL)
    assert _run(out, "rings/identity_reuse", limit=ALL) == expected
    assert expected, "the demo plants one name and date of birth with several national ids"


def test_document_reuse(out, tables):
    t = tables
    groups = {d: m for d, m in t.groups(("HAS_DOCUMENT",), ENTITY, ("Document",)).items()
              if len({t.prop(e, "name") for e in m} - {None}) >= 2}
    rows = _group_rows(t, groups, "document", 2, 20)
    expected = _expect(rows, lambda r: (r["hub"], -r["members"], r["document"]), ALL)
    assert _run(out, "rings/document_reuse", limit=ALL) == expected


def test_name_variants(out, tables):
    t = tables
    records = _people_records(t)
    records_of: dict[str, set[str]] = defaultdict(set)
    for record, person in zip(records["start"], records["end"]):
        records_of[person].add(t.prop(record, "record_id"))
    people = t.nodes[t.nodes["label"].eq("Person")]
    for min_names, limit in ((2, ALL), (1, ALL), (1, 7)):
        rows = []
        for key, name, aliases in zip(people["key"], people["name"], people["aliases"]):
            names = sorted({name, *aliases})
            if len(names) >= min_names and records_of[key]:
                rows.append({"entity_id": key, "name": name, "names": names,
                             "n_names": len(names), "record_ids": sorted(records_of[key])})
        expected = _expect(rows, lambda r: (-r["n_names"], r["entity_id"]), limit)
        assert _run(out, "rings/name_variants", min_names=min_names, limit=limit) == expected
        assert expected


def test_vpn_logins(out, tables):
    t = tables
    resolved = t.edges(("RESOLVED_TO",), ("Record",), ("Person",))
    logins = resolved[resolved["start"].map(t.nodes["kind"]).eq("logins").to_numpy()]
    total: dict[str, int] = defaultdict(int)
    vpn: dict[str, int] = defaultdict(int)
    ips: dict[str, set[str]] = defaultdict(set)
    for record, person in zip(logins["start"], logins["end"]):
        total[person] += 1
        if t.prop(record, "vpn") == "true":
            vpn[person] += 1
            if t.prop(record, "ip"):
                ips[person].add(t.prop(record, "ip"))
    rows = [{"entity_id": p, "name": t.prop(p, "name"), "vpn_logins": n, "logins": total[p],
             "vpn_ips": sorted(ips[p])} for p, n in vpn.items()]
    expected = _expect(rows, lambda r: (-r["vpn_logins"], r["entity_id"]), ALL)
    assert _run(out, "rings/vpn_logins", limit=ALL) == expected
    assert expected
    top = [r for r in expected if r["vpn_logins"] >= 2]
    assert _run(out, "rings/vpn_logins", min_logins=2, limit=ALL) == top


def _matches(t: Tables, min_score: float, start: tuple[str, ...] = ENTITY) -> pd.DataFrame:
    matches = t.edges(("MATCHES",), start, ("Sanction",))
    return matches[matches["score"].astype(float) >= min_score]


def test_sanctioned_counterparty(out, tables):
    t = tables
    pays = t.edges(("PAYS",), ("Company",), ("Person",))
    holders = t.groups(("HAS_ACCOUNT",), ENTITY, ("Account",))
    rows = []
    for company, entry, score in zip(*(_matches(t, 0.5, ("Company",))[c]
                                       for c in ("start", "end", "score"))):
        paid = sorted(set(pays.loc[pays["start"].eq(company), "end"]))
        sharers = sorted({h for held in holders.values() if company in held for h in held}
                         - {company})
        rows.append({"company": company, "company_name": t.prop(company, "name"),
                     "listed_name": t.prop(entry, "name"), "list": t.prop(entry, "list"),
                     "list_id": t.prop(entry, "list_id"), "score": float(score),
                     "paid": len(paid), "paid_ids": paid[:20],
                     "paid_names": [t.prop(p, "name") for p in paid[:20]],
                     "account_sharers": len(sharers), "account_sharer_ids": sharers[:20],
                     "account_sharer_names": [t.prop(h, "name") for h in sharers[:20]]})
    expected = _expect(rows, lambda r: (-r["score"], r["company"], r["list"], r["list_id"]),
                       ALL)
    assert _run(out, "rings/sanctioned_counterparty", limit=ALL) == expected
    assert expected and expected[0]["account_sharers"] == 3  # the demo's front company


def test_sanctions_matched_entities(out, tables):
    t = tables
    rows = [{"entity_id": e, "name": t.prop(e, "name"), "list": t.prop(s, "list"),
             "list_id": t.prop(s, "list_id"), "listed_name": t.prop(s, "name"),
             "programs": list(t.prop(s, "programs")), "score": float(score),
             "evidence": evidence}
            for e, s, score, evidence in zip(*(_matches(t, 0.88)[c]
                                               for c in ("start", "end", "score", "evidence")))]
    expected = _expect(rows, lambda r: (-r["score"], r["entity_id"], r["list"], r["list_id"]),
                       ALL)
    assert _run(out, "sanctions/matched_entities", limit=ALL) == expected
    assert len(expected) == 2


def test_sanctions_payments_to_sanctioned(out, tables):
    t = tables
    holders = t.groups(("HAS_ACCOUNT",), ENTITY, ("Account",))
    matched = _matches(t, 0.88)
    rows = []
    for account, entities in holders.items():
        for person in (e for e in entities if t.prop(e, "label") == "Person"):
            for holder, entry, score in zip(*(matched[c] for c in ("start", "end", "score"))):
                if holder in entities and holder != person:
                    rows.append({"person": person, "person_name": t.prop(person, "name"),
                                 "account": t.prop(account, "value"), "holder": holder,
                                 "holder_name": t.prop(holder, "name"),
                                 "listed_name": t.prop(entry, "name"),
                                 "list_id": t.prop(entry, "list_id"), "score": float(score)})
    expected = _expect(rows, lambda r: (r["person"], r["account"], r["holder"], r["list_id"]),
                       ALL)
    assert _run(out, "sanctions/payments_to_sanctioned", limit=ALL) == expected
    assert len({r["person"] for r in expected}) == 4


def test_overview_counts(out, tables):
    t = tables
    nodes = t.nodes["label"].value_counts()
    expected = _expect([{"label": k, "nodes": int(v)} for k, v in nodes.items()],
                       lambda r: (-r["nodes"], r["label"]), ALL)
    assert _run(out, "overview/node_counts") == expected
    rels = t.rels["type"].value_counts()
    expected = _expect([{"type": k, "relationships": int(v)} for k, v in rels.items()],
                       lambda r: (-r["relationships"], r["type"]), ALL)
    assert _run(out, "overview/relationship_counts") == expected
    identifiers = ("Account", "Device", "IP", "Email", "Phone", "Address", "Document")
    rels = t.rels[t.rels["start_label"].isin(ENTITY) & t.rels["end_label"].isin(identifiers)]
    shared = rels.groupby("end")["start"].nunique()
    expected = _expect([{"identifier": k, "label": t.prop(k, "label"), "entities": int(v)}
                        for k, v in shared.items()],
                       lambda r: (-r["entities"], r["identifier"]), 20)
    assert _run(out, "overview/top_shared_identifiers") == expected


def _neighbourhood(t: Tables, entity: str, max_share: int, limit: int) -> list[dict]:
    """Undirected: entity — via — neighbour, via no record, shared by at most max_share."""
    adjacent: dict[str, set[str]] = defaultdict(set)
    for s, e in zip(t.rels["start"], t.rels["end"]):
        adjacent[s].add(e)
        adjacent[e].add(s)
    label = t.nodes["label"]
    starts = {entity} if entity in t.nodes.index and label[entity] in ENTITY else set()
    records = t.nodes[t.nodes["label"].eq("Record")]
    for record in records.index[records["key"].eq(entity) | records["record_id"].eq(entity)]:
        starts |= {n for n in adjacent[record] if label[n] in ENTITY}
    rows = []
    for start in starts:
        for via in (v for v in adjacent[start] if label[v] != "Record"):
            holders = sorted(h for h in adjacent[via] if label[h] in ENTITY)
            if len(holders) > max_share:
                continue
            value = t.prop(via, "value")
            for n in (h for h in holders if h != start):
                rows.append({"entity": start, "entity_name": t.prop(start, "name"),
                             "via": via, "via_label": label[via],
                             "via_value": value if value is not None else t.prop(via, "name"),
                             "shared_by": len(holders), "neighbour": n,
                             "neighbour_name": t.prop(n, "name")})
    return _expect(rows, lambda r: (r["entity"], r["shared_by"], r["via"], r["neighbour"]),
                   limit)


def test_member_neighbourhood(out, tables, demo_build):
    t = tables
    top = find_rings(demo_build.graph).top(1)[0]
    member = top.members[0]
    record = sorted(r for r in t.rels.loc[t.rels["end"].eq(member)
                                          & t.rels["type"].eq("RESOLVED_TO"), "start"])[0]
    record_id = t.prop(record, "record_id")
    ref = "rings/member_neighbourhood"
    hood = _run(out, ref, entity=member)
    assert hood == _neighbourhood(t, member, 20, 100)
    assert {r["neighbour"] for r in hood} & (set(top.members) - {member})
    assert all(r["shared_by"] <= 20 for r in hood)  # the employer and hub IPs left out
    assert _run(out, ref, entity=record_id) == hood  # a bare record id stands for its entity
    assert _run(out, ref, entity=record) == hood  # and so does a record key
    wide = _run(out, ref, entity=member, max_share=ALL, limit=ALL)
    assert wide == _neighbourhood(t, member, ALL, ALL)
    assert len(wide) > 10 * len(hood)  # co-workers through the employer, hub IPs
    company = t.rels.loc[t.rels["type"].eq("MATCHES") & t.rels["start_label"].eq("Company"),
                         "start"].iloc[0]
    assert _run(out, ref, entity=company, limit=ALL) == _neighbourhood(t, company, 20, ALL)
    assert _run(out, ref, entity="no such id") == []


def test_member_neighbourhood_looks_records_up_by_key_for_every_layout():
    cypher = get_query("rings/member_neighbourhood").cypher
    for layout in Layout:  # record keys are Record:<layout>:<record_id> (graph.record_node)
        assert f"'{record_node(layout, '')}' + $entity" in cypher, layout


DETECTOR_PACKS = {  # pattern → (pack query, column holding the identifier's value)
    "laptop_farm": ("rings/laptop_farms", "address"),
    "shared_pay_destination": ("rings/shared_accounts", "account"),
    "shared_device": ("rings/shared_devices", "device"),
    "shared_phone": ("rings/shared_phones", "phone"),
    "shared_email": ("rings/shared_emails", "email"),
    "shared_address": ("rings/shared_addresses", "address"),
    "shared_ip": ("rings/shared_ips", "ip"),
}


def test_every_detector_finding_is_found_by_a_pack(out, tables, demo_build):
    t = tables
    found = find_rings(demo_build.graph)
    evidence = [e for ring in found for e in ring.evidence]
    patterns = {e.pattern for e in evidence}
    cypher: dict[str, list[dict]] = {}

    def rows(ref: str, **params) -> list[dict]:
        if ref not in cypher:
            cypher[ref] = _run(out, ref, max_members=ALL, limit=ALL, **params)
        return cypher[ref]

    for item in evidence:
        members = set(item.entities)
        if item.pattern in DETECTOR_PACKS:
            ref, column = DETECTOR_PACKS[item.pattern]
            value = t.prop(item.identifiers[0], "value")
            hits = [r for r in rows(ref) if r[column] == value]
            assert hits and members <= set(hits[0]["entity_ids"]), (item, ref)
        elif item.pattern == "identity_reuse" and len(item.identifiers) == 1:  # a document
            value = t.prop(item.identifiers[0], "value")
            assert any(r["document"] == value and members <= set(r["entity_ids"])
                       for r in rows("rings/document_reuse")), item
        elif item.pattern == "identity_reuse" and item.identifiers:  # name+dob, national ids
            nids = {t.prop(i, "value") for i in item.identifiers}
            assert any(members <= set(r["entity_ids"]) and nids <= set(r["national_ids"])
                       for r in rows("rings/identity_reuse")), item
        elif item.pattern == "identity_reuse":  # one person, records under several names
            assert members <= {r["entity_id"] for r in _run(out, "rings/name_variants",
                                                                limit=ALL)}, item
        elif item.pattern == "sanctioned_counterparty":
            listed = {t.prop(i, "list_id") for i in item.identifiers}
            assert any(r["list_id"] in listed and
                       (r["company"] in members or members & set(r["paid_ids"]))
                       for r in rows("rings/sanctioned_counterparty")), item
        elif item.pattern == "sanctioned_person_name":
            assert any(r["entity_id"] in members
                       for r in _run(out, "sanctions/matched_entities", min_score=0.0,
                                     limit=ALL)), item
        elif item.pattern == "vpn_logins":
            assert members <= {r["entity_id"] for r in _run(out, "rings/vpn_logins",
                                                            limit=ALL)}, item
        else:
            assert item.pattern == "duplicate_records", f"no pack query for {item.pattern}"
    assert {"identity_reuse", "laptop_farm", "shared_pay_destination",
            "sanctioned_counterparty", "vpn_logins"} <= patterns


def test_every_pack_query_is_checked_here():
    checked = set(SHARED) | {
        "rings/laptop_farms", "rings/shared_pay_destinations", "rings/identity_reuse",
        "rings/document_reuse", "rings/name_variants", "rings/vpn_logins",
        "rings/sanctioned_counterparty", "rings/member_neighbourhood",
        "sanctions/matched_entities", "sanctions/payments_to_sanctioned",
        "overview/node_counts", "overview/relationship_counts",
        "overview/top_shared_identifiers"}
    assert {q.ref for q in list_queries()} == checked
