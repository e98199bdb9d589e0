"""Rings: clusters of entities joined by unusual shared identifiers, scored by named evidence.

Entities (people, companies) are linked when they share an identifier; each shared
identifier weighs by how unusual the sharing is (inverse frequency: an account shared by
two people weighs far more than an office IP shared by a thousand), and identifiers shared
by more than ``max_share`` entities are hubs that link nobody. Linked components larger
than ``max_ring`` are split with Louvain communities. Each ring is then examined by named
detectors modelled on public advisories about DPRK IT workers; its risk score is the sum of
their weighted findings, each listing the records and identifiers behind it.

>>> from graphkit.demo import generate_demo
>>> from graphkit.pipeline import run_build
>>> from graphkit.project import native_project
>>> import tempfile
>>> folder = tempfile.mkdtemp()
>>> _ = generate_demo(folder, seed=3, n_people=200)
>>> graph = run_build(native_project(folder), show_progress=False).graph
>>> found = find_rings(graph)
>>> top = found.top(1)[0]
>>> top.score > 50 and top.evidence[0].pattern in PATTERN_WEIGHTS
True
>>> sorted(found.to_pandas().columns)[:3]
['evidence', 'members', 'n_members']
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field

import networkx as nx
import pandas as pd
from rapidfuzz import fuzz

from graphkit.clusters import ENTITY_LABELS, identifier_sharing
from graphkit.names import romanized_key
from graphkit.schema import Label, Rel

DEFAULT_MAX_SHARE = 50
DEFAULT_MAX_RING = 30

#: Weight of each named pattern in a ring's risk score (documented in the README).
PATTERN_WEIGHTS: dict[str, float] = {
    "sanctioned_counterparty": 40.0,
    "sanctioned_person_name": 40.0,
    "laptop_farm": 30.0,
    "shared_pay_destination": 30.0,
    "identity_reuse": 20.0,
    "shared_device": 20.0,
    "shared_phone": 15.0,
    "vpn_logins": 10.0,
    "shared_email": 10.0,
    "shared_address": 3.0,
    "shared_ip": 2.0,
    "duplicate_records": 0.0,
}
#: How strongly sharing an identifier of each label links two entities.
LINK_WEIGHTS: dict[str, float] = {
    Label.ACCOUNT.value: 3.0, Label.DEVICE.value: 3.0, Label.DOCUMENT.value: 3.0,
    Label.PHONE.value: 2.0, Label.EMAIL.value: 2.0, Label.ADDRESS.value: 1.0,
    Label.IP.value: 0.5,
}
RING_COLUMNS = ("ring_id", "rank", "score", "n_members", "members", "names", "patterns",
                "evidence")


@dataclass(frozen=True)
class Evidence:
    """One named finding: the pattern, its weight, what it says, and what is behind it."""

    pattern: str
    weight: float
    description: str
    identifiers: tuple[str, ...] = ()
    entities: tuple[str, ...] = ()
    records: tuple[str, ...] = ()


@dataclass
class Ring:
    """A ring: its members, its evidence and score, and the graph it came from."""

    ring_id: str
    members: list[str]
    graph: nx.MultiDiGraph = field(repr=False)
    evidence: list[Evidence] = field(default_factory=list)

    @property
    def score(self) -> float:
        """Risk score: the sum of the evidence weights."""
        return round(sum(e.weight for e in self.evidence), 2)

    @property
    def names(self) -> list[str]:
        """Display names of the members."""
        return [self.graph.nodes[m].get("name", m) for m in self.members]

    def subgraph(self) -> nx.MultiDiGraph:
        """Members, the identifiers they share, and their sanctions matches."""
        keep = set(self.members)
        for item in self.evidence:
            keep.update(item.identifiers)
        for member in self.members:
            keep.update(d for _, d, k in self.graph.out_edges(member, keys=True)
                        if k == Rel.MATCHES.value)
        return self.graph.subgraph(keep).copy()


class Rings:
    """Rings ranked by score (highest first)."""

    def __init__(self, rings: list[Ring], hubs: dict[str, int]) -> None:
        self.rings = sorted(rings, key=lambda r: (-r.score, -len(r.members), r.members[0]))
        for rank, ring in enumerate(self.rings, start=1):
            ring.ring_id = f"R{rank:04d}"
        self.hubs = hubs

    def __len__(self) -> int:
        return len(self.rings)

    def __iter__(self) -> Iterator[Ring]:
        return iter(self.rings)

    def top(self, k: int = 10) -> list[Ring]:
        """The ``k`` highest-scoring rings."""
        return self.rings[:k]

    def to_pandas(self) -> pd.DataFrame:
        """One row per ring (``RING_COLUMNS``); evidence as readable text."""
        rows = [{
            "ring_id": r.ring_id, "rank": i, "score": r.score, "n_members": len(r.members),
            "members": ";".join(r.members), "names": ";".join(r.names),
            "patterns": ";".join(sorted({e.pattern for e in r.evidence})),
            "evidence": " | ".join(f"{e.pattern} (+{e.weight:g}): {e.description}"
                                   for e in r.evidence),
        } for i, r in enumerate(self.rings, start=1)]
        return pd.DataFrame(rows, columns=list(RING_COLUMNS))

    def to_json(self) -> list[dict]:
        """Rings with structured evidence, for ``rings.json``."""
        return [{"ring_id": r.ring_id, "rank": i, "score": r.score, "members": r.members,
                 "names": r.names, "evidence": [asdict(e) for e in r.evidence]}
                for i, r in enumerate(self.rings, start=1)]


def _link_graph(graph: nx.MultiDiGraph, sharing: dict[str, set[str]], max_share: int,
                n_entities: int) -> nx.Graph:
    links = nx.Graph()
    for ident, entities in sharing.items():
        k = len(entities)
        if k < 2 or k > max_share:
            continue
        weight = LINK_WEIGHTS.get(graph.nodes[ident]["label"], 1.0) * \
            math.log(max(n_entities, 2) / k)
        ordered = sorted(entities)
        for i, a in enumerate(ordered):
            for b in ordered[i + 1:]:
                previous = links.get_edge_data(a, b, {"weight": 0.0})["weight"]
                links.add_edge(a, b, weight=previous + weight)
    return links


def find_rings(graph: nx.MultiDiGraph, max_share: int = DEFAULT_MAX_SHARE,
               max_ring: int = DEFAULT_MAX_RING, seed: int = 7) -> Rings:
    """Rings of the graph, scored and ranked (see the module docstring)."""
    sharing = identifier_sharing(graph)
    n_entities = sum(1 for _, a in graph.nodes(data=True) if a.get("label") in ENTITY_LABELS)
    links = _link_graph(graph, sharing, max_share, n_entities)
    groups: list[set[str]] = []
    for component in nx.connected_components(links):
        if len(component) <= max_ring:
            groups.append(component)
        else:
            groups.extend(nx.community.louvain_communities(
                links.subgraph(component), weight="weight", seed=seed))
    rings = []
    matches = sanction_matches(graph)
    for members in groups:
        if len(members) < 2:
            continue
        ring = Ring("", sorted(members), graph)
        ring.evidence = detect_patterns(graph, ring.members, sharing, max_share, matches)
        rings.append(ring)
    hubs = {n: len(e) for n, e in sharing.items() if len(e) > max_share}
    return Rings(rings, hubs)


def _records_of(graph: nx.MultiDiGraph, entity: str) -> list[str]:
    """People and company records resolved to ``entity``."""
    return sorted(graph.nodes[s]["record_id"] for s, _, k in graph.in_edges(entity, keys=True)
                  if k == Rel.RESOLVED_TO.value
                  and graph.nodes[s].get("kind") in ("people", "companies"))


def _person_facts(graph: nx.MultiDiGraph, entity: str) -> tuple[str, set[str]]:
    """Name and dates of birth of a person entity (from its people records)."""
    dobs = {graph.nodes[s].get("dob", "") for s, _, k in graph.in_edges(entity, keys=True)
            if k == Rel.RESOLVED_TO.value and graph.nodes[s].get("kind") == "people"}
    return graph.nodes[entity].get("name", ""), dobs - {""}


def duplicate_groups(graph: nx.MultiDiGraph, members: list[str],
                     documents: dict[str, set[str]]) -> dict[str, str]:
    """Member → representative of the person it duplicates. Two person entities are one
    person recorded twice when they share an identity document, a date of birth and nearly
    the same name (a typo); what duplicates share with each other is not a ring's sharing."""
    joined = nx.Graph()
    joined.add_nodes_from(members)
    for who in documents.values():
        ordered = sorted(m for m in who if graph.nodes[m]["label"] == Label.PERSON.value)
        for i, a in enumerate(ordered):
            for b in ordered[i + 1:]:
                (name_a, dobs_a), (name_b, dobs_b) = _person_facts(graph, a), \
                    _person_facts(graph, b)
                similar = max(fuzz.ratio(name_a.lower(), name_b.lower()),
                              fuzz.token_sort_ratio(name_a, name_b))
                if dobs_a & dobs_b and similar >= 85:
                    joined.add_edge(a, b)
    return {m: min(group) for group in nx.connected_components(joined) for m in group}


def detect_patterns(graph: nx.MultiDiGraph, members: list[str],
                    sharing: dict[str, set[str]], max_share: int,
                    matches: dict[str, list[tuple[str, dict]]] | None = None
                    ) -> list[Evidence]:
    """Every named pattern found among ``members``, strongest first."""
    if matches is None:
        matches = sanction_matches(graph)
    inside = set(members)
    found: list[Evidence] = []
    shared_by_rel: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for member in members:
        for _, ident, key in graph.out_edges(member, keys=True):
            if ident in sharing and len(sharing[ident] & inside) >= 2 and \
                    len(sharing[ident]) <= max_share:
                shared_by_rel[key][ident].add(member)
    person_of = duplicate_groups(graph, members, shared_by_rel[Rel.HAS_DOCUMENT.value])
    sizes = Counter(person_of.values())
    for group in (p for p, n in sizes.items() if n > 1):
        same = sorted(m for m, p in person_of.items() if p == group)
        names = sorted({graph.nodes[m].get("name", "") for m in same})
        found.append(Evidence(
            "duplicate_records", PATTERN_WEIGHTS["duplicate_records"],
            f"likely one person recorded {len(same)} times ({', '.join(names)}: same "
            "document and date of birth); what they share with each other is not counted",
            (), tuple(same), tuple(r for m in same for r in _records_of(graph, m))))
    for key, by_ident in shared_by_rel.items():  # sharing must span two different people
        shared_by_rel[key] = defaultdict(set, {
            ident: who for ident, who in by_ident.items()
            if len({person_of[m] for m in who}) >= 2})
    found += _laptop_farms(graph, shared_by_rel[Rel.SHIPS_TO.value])
    for rel, pattern, noun in (
        (Rel.HAS_ACCOUNT.value, "shared_pay_destination", "account"),
        (Rel.USES_DEVICE.value, "shared_device", "device"),
        (Rel.HAS_PHONE.value, "shared_phone", "phone"),
        (Rel.HAS_EMAIL.value, "shared_email", "email"),
        (Rel.LIVES_AT.value, "shared_address", "residential address"),
        (Rel.USES_IP.value, "shared_ip", "IP address"),
    ):
        for ident, who in sorted(shared_by_rel[rel].items()):
            value = graph.nodes[ident].get("value", ident)
            found.append(Evidence(pattern, PATTERN_WEIGHTS[pattern],
                                  f"{len(who)} members share {noun} {value}", (ident,),
                                  tuple(sorted(who)), _edge_records(graph, who, ident, rel)))
    found += _identity_reuse(graph, members, shared_by_rel[Rel.HAS_DOCUMENT.value])
    found += _sanctions(graph, members, matches)
    found += _vpn(graph, members)
    return _dedupe(found)


def _dedupe(found: list[Evidence]) -> list[Evidence]:
    """One piece of evidence per pattern counts fully; repeats of a pattern add a third."""
    out: list[Evidence] = []
    seen: dict[str, int] = defaultdict(int)
    for item in sorted(found, key=lambda e: -e.weight):
        seen[item.pattern] += 1
        weight = item.weight if seen[item.pattern] == 1 else round(item.weight / 3, 2)
        out.append(Evidence(item.pattern, weight, item.description, item.identifiers,
                            item.entities, item.records))
    return sorted(out, key=lambda e: (-e.weight, e.pattern))


def _edge_records(graph: nx.MultiDiGraph, who: set[str] | list[str], ident: str,
                  rel: str) -> tuple[str, ...]:
    """Records that put each of ``who`` at identifier ``ident``."""
    return tuple(sorted({r for m in who
                         for r in graph.edges[m, ident, rel].get("records", [])}))


def _laptop_farms(graph: nx.MultiDiGraph, shipped: dict[str, set[str]]) -> list[Evidence]:
    out = []
    for address, who in sorted(shipped.items()):
        elsewhere = sorted(m for m in who if not graph.has_edge(m, address, Rel.LIVES_AT.value))
        if len(elsewhere) >= 3:
            out.append(Evidence(
                "laptop_farm", PATTERN_WEIGHTS["laptop_farm"],
                f"equipment of {len(elsewhere)} members who live elsewhere shipped to "
                f"{graph.nodes[address]['value']}", (address,), tuple(elsewhere),
                _edge_records(graph, elsewhere, address, Rel.SHIPS_TO.value)))
    return out


def _identity_reuse(graph: nx.MultiDiGraph, members: list[str],
                    documents: dict[str, set[str]]) -> list[Evidence]:
    out = []
    for doc, who in sorted(documents.items()):
        names = {graph.nodes[m].get("name", "") for m in who}
        if len(names) > 1:
            out.append(Evidence("identity_reuse", PATTERN_WEIGHTS["identity_reuse"],
                                f"document {graph.nodes[doc]['value']} used under names "
                                f"{', '.join(sorted(names))}", (doc,), tuple(sorted(who)),
                                _edge_records(graph, who, doc, Rel.HAS_DOCUMENT.value)))
    by_name_dob: dict[tuple[str, str], list[str]] = defaultdict(list)
    for member in members:
        name, dobs = _person_facts(graph, member)
        for dob in dobs:
            by_name_dob[(romanized_key(name), dob)].append(member)
    for (_, dob), same in sorted(by_name_dob.items()):
        ids = {d for m in same for _, d, k in graph.out_edges(m, keys=True)
               if k == Rel.HAS_DOCUMENT.value and graph.nodes[d]["value"].startswith("nid:")}
        if len(same) > 1 and len(ids) > 1:
            out.append(Evidence(
                "identity_reuse", PATTERN_WEIGHTS["identity_reuse"],
                f"one name and date of birth ({graph.nodes[same[0]].get('name')}, {dob}) with "
                f"{len(ids)} different national ids", tuple(sorted(ids)), tuple(sorted(same)),
                tuple(r for m in same for r in _records_of(graph, m))))
    for member in members:
        aliases = graph.nodes[member].get("aliases") or []
        if graph.nodes[member].get("label") == Label.PERSON.value and aliases:
            out.append(Evidence(
                "identity_reuse", PATTERN_WEIGHTS["identity_reuse"],
                f"one person behind records named {graph.nodes[member]['name']}, "
                f"{', '.join(aliases)}", (), (member,), tuple(_records_of(graph, member))))
    return out


def sanction_matches(graph: nx.MultiDiGraph) -> dict[str, list[tuple[str, dict]]]:
    """Entity → the sanctions entries it matches (with the MATCHES edge's attributes),
    read from the few Sanction nodes rather than from every edge."""
    found: dict[str, list[tuple[str, dict]]] = defaultdict(list)
    for node, attrs in graph.nodes(data=True):
        if attrs.get("label") == Label.SANCTION.value:
            for entity, _, key, edge in graph.in_edges(node, keys=True, data=True):
                if key == Rel.MATCHES.value:
                    found[entity].append((node, edge))
    return found


def _sanctions(graph: nx.MultiDiGraph, members: list[str],
               matches: dict[str, list[tuple[str, dict]]]) -> list[Evidence]:
    out = []
    for member in members:
        for payer, _, key in graph.in_edges(member, keys=True):
            if key != Rel.PAYS.value:
                continue
            for listed, attrs in matches.get(payer, ()):
                out.append(Evidence(
                    "sanctioned_counterparty", PATTERN_WEIGHTS["sanctioned_counterparty"],
                    f"{graph.nodes[member].get('name')} is paid by "
                    f"{graph.nodes[payer].get('name')}, which matches "
                    f"{graph.nodes[listed]['name']} (score {attrs['score']:.2f})",
                    (listed,), (member, payer), tuple(_records_of(graph, member))))
        for listed, attrs in matches.get(member, ()):
            entry = graph.nodes[listed]
            company = graph.nodes[member]["label"] == Label.COMPANY.value
            pattern = "sanctioned_counterparty" if company else "sanctioned_person_name"
            out.append(Evidence(
                pattern, PATTERN_WEIGHTS[pattern],
                f"{graph.nodes[member].get('name')} matches {entry['name']} "
                f"({entry['list']} {entry['list_id']}, score {attrs['score']:.2f})",
                (listed,), (member,), tuple(_records_of(graph, member))))
    return out


def _vpn(graph: nx.MultiDiGraph, members: list[str]) -> list[Evidence]:
    vpn_members, records = [], []
    for member in members:
        logins = [graph.nodes[s] for s, _, k in graph.in_edges(member, keys=True)
                  if k == Rel.RESOLVED_TO.value and graph.nodes[s].get("kind") == "logins"]
        flagged = [r["record_id"] for r in logins if r.get("vpn") == "true"]
        if flagged:
            vpn_members.append(member)
            records += flagged
    if len(vpn_members) * 2 >= len(members) and vpn_members:
        return [Evidence("vpn_logins", PATTERN_WEIGHTS["vpn_logins"],
                         f"{len(vpn_members)} of {len(members)} members log in through VPNs",
                         (), tuple(vpn_members), tuple(sorted(records)))]
    return []
