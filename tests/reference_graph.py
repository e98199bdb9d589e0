"""The networkx graph builder graphkit used before the columnar one: row by row, kept here
only as an independent oracle for ``graphkit.graph.build_tables`` (the test compares them)."""

from __future__ import annotations

import networkx as nx
import pandas as pd

from graphkit.graph import payer_entity_id, record_node, sanction_node
from graphkit.ingest import Ingested
from graphkit.resolve import Resolution, person_display_name
from graphkit.schema import ID_LABEL, IdKind, Label, Layout, Rel, id_key, id_relationship
from graphkit.text.names import romanized_key
from graphkit.text.normalize import company_key


def _add_edge(graph: nx.MultiDiGraph, src: str, dst: str, rel: Rel, **props) -> None:
    if not graph.has_edge(src, dst, key=rel.value):
        graph.add_edge(src, dst, key=rel.value, type=rel.value, **props)


def reference_graph(data: Ingested, people: Resolution, companies: Resolution,
                hits: pd.DataFrame | None = None, sanctions: pd.DataFrame | None = None
                ) -> nx.MultiDiGraph:
    """Property graph of records, entities, identifiers and sanctions matches."""
    graph = nx.MultiDiGraph()
    person_of = people.entity_of()
    company_of = companies.entity_of()
    _add_records(graph, data)
    _add_entities(graph, data.records[Layout.PEOPLE], people, Label.PERSON,
                  person_display_name, Layout.PEOPLE)
    _add_entities(graph, data.records[Layout.COMPANIES], companies, Label.COMPANY,
                  lambda r: r["name"], Layout.COMPANIES)
    company_by_key = {
        company_key(n): company_of[r]
        for r, n in zip(data.records[Layout.COMPANIES]["record_id"],
                        data.records[Layout.COMPANIES]["name"]) if company_key(n)
    }
    owner = _record_owners(data, person_of, company_of)
    for (layout, record_id), entity in owner.items():
        if layout not in (Layout.PEOPLE.value, Layout.COMPANIES.value):
            _add_edge(graph, record_node(layout, record_id), entity, Rel.RESOLVED_TO,
                      score=1.0, evidence="person_record_id")
    _add_identifiers(graph, data.identifiers, owner)
    _add_payments(graph, data.records[Layout.PAYROLL], person_of, company_by_key)
    _add_reviews(graph, people, person_of)
    if hits is not None and sanctions is not None and len(hits):
        add_matches(graph, hits, sanctions)
    return graph


def _add_records(graph: nx.MultiDiGraph, data: Ingested) -> None:
    for layout, frame in data.records.items():
        for rec in frame.to_dict("records"):
            props = {k: v for k, v in rec.items() if v not in ("", None)}
            props.setdefault("source", rec["source_name"])
            graph.add_node(record_node(layout, rec["record_id"]), label=Label.RECORD.value,
                           kind=layout.value, **props)


def _add_entities(graph: nx.MultiDiGraph, frame: pd.DataFrame, resolution: Resolution,
                  label: Label, display, layout: Layout) -> None:
    names: dict[str, list[str]] = {}
    display_of = {r["record_id"]: str(display(r)) for r in frame.to_dict("records")}
    for rec in resolution.entities.to_dict("records"):
        entity = rec["entity_id"]
        name = display_of[rec["record_id"]]
        names.setdefault(entity, [])
        if name and name not in names[entity]:
            names[entity].append(name)
        if entity not in graph:
            graph.add_node(entity, label=label.value, entity_id=entity)
        _add_edge(graph, record_node(layout, rec["record_id"]), entity, Rel.RESOLVED_TO,
                  score=float(rec["score"]), evidence=rec["evidence"])
    for entity, aliases in names.items():
        graph.nodes[entity]["name"] = aliases[0] if aliases else ""
        graph.nodes[entity]["aliases"] = aliases[1:]
        if label is Label.PERSON:  # order- and romanization-free name, for Cypher packs
            graph.nodes[entity]["name_key"] = romanized_key(graph.nodes[entity]["name"])


def _record_owners(data: Ingested, person_of: dict[str, str], company_of: dict[str, str]
                   ) -> dict[tuple[str, str], str]:
    """Entity each record's identifiers belong to, by (layout, record_id)."""
    owner = {(Layout.PEOPLE.value, r): e for r, e in person_of.items()}
    owner.update({(Layout.COMPANIES.value, r): e for r, e in company_of.items()})
    for layout in (Layout.PAYROLL, Layout.SHIPMENTS, Layout.LOGINS):
        frame = data.records[layout]
        for rid, pid in zip(frame["record_id"], frame["person_record_id"]):
            if pid in person_of:
                owner[(layout.value, rid)] = person_of[pid]
    return owner


def _add_identifiers(graph: nx.MultiDiGraph, identifiers: pd.DataFrame,
                     owner: dict[tuple[str, str], str]) -> None:
    for rec in identifiers.to_dict("records"):
        entity = owner.get((rec["layout"], rec["record_id"]))
        kind = IdKind(rec["kind"])
        node = id_key(kind, rec["value"])
        if node not in graph:
            graph.add_node(node, label=ID_LABEL[kind].value, value=rec["value"],
                           kind=kind.value, raw=rec["raw"])
        if entity is None:
            continue
        entity_label = Label(graph.nodes[entity]["label"])
        rel = id_relationship(kind, entity_label)
        key = rel.value
        if graph.has_edge(entity, node, key=key):
            edge = graph.edges[entity, node, key]
            if rec["record_id"] not in edge["records"]:
                edge["records"].append(rec["record_id"])
        else:
            graph.add_edge(entity, node, key=key, type=rel.value, kind=kind.value,
                           records=[rec["record_id"]])


def _add_payments(graph: nx.MultiDiGraph, payroll: pd.DataFrame, person_of: dict[str, str],
                  company_by_key: dict[str, str]) -> None:
    totals: dict[tuple[str, str, str], list] = {}
    for rec in payroll.to_dict("records"):
        person = person_of.get(rec["person_record_id"])
        if person is None or not rec["payer"]:
            continue
        company = company_by_key.get(company_key(rec["payer"]) or "")
        if company is None:
            company = payer_entity_id(rec["payer"])
            if company not in graph:
                graph.add_node(company, label=Label.COMPANY.value, entity_id=company,
                               name=rec["payer"], aliases=[])
        slot = totals.setdefault((company, person, rec["currency"]), [0.0, 0, set()])
        slot[0] += float(rec["amount"] or 0)
        slot[1] += 1
        if rec["paid_at"]:
            slot[2].add(rec["paid_at"][:7])
    for (company, person, currency), (amount, count, months) in totals.items():
        period = f"{min(months)}..{max(months)}" if months else ""
        _add_edge(graph, company, person, Rel.PAYS, amount=round(amount, 2),
                  currency=currency, period=period, payments=count)
        _add_edge(graph, person, company, Rel.WORKS_FOR)


def _add_reviews(graph: nx.MultiDiGraph, people: Resolution, person_of: dict[str, str]
                 ) -> None:
    """``POSSIBLY_SAME_AS`` between entities of record pairs left for a person to decide."""
    if "decision" not in people.pairs.columns:
        return
    review = people.pairs[people.pairs["decision"] == "review"]
    for rec in review.to_dict("records"):
        a, b = person_of.get(rec["record_id_l"]), person_of.get(rec["record_id_r"])
        if a and b and a != b:
            src, dst = sorted((a, b))
            if not graph.has_edge(src, dst, key=Rel.POSSIBLY_SAME_AS.value) or \
                    graph.edges[src, dst, Rel.POSSIBLY_SAME_AS.value]["score"] < rec["score"]:
                graph.add_edge(src, dst, key=Rel.POSSIBLY_SAME_AS.value,
                               type=Rel.POSSIBLY_SAME_AS.value, score=float(rec["score"]),
                               evidence=rec["evidence"])


def add_matches(graph: nx.MultiDiGraph, hits: pd.DataFrame, sanctions: pd.DataFrame) -> None:
    """Add a Sanction node per listed entry hit and a MATCHES edge from the entity."""
    by_id = sanctions.set_index(["list", "list_id"])
    for hit in hits.to_dict("records"):
        node = sanction_node(hit["list"], hit["list_id"])
        if node not in graph:
            entry = by_id.loc[(hit["list"], hit["list_id"])]
            graph.add_node(node, label=Label.SANCTION.value, list=hit["list"],
                           list_id=hit["list_id"], name=entry["name"],
                           aliases=list(entry["aliases"]), programs=list(entry["programs"]),
                           kind=entry["kind"])
        _add_edge(graph, hit["record_id"], node, Rel.MATCHES, score=float(hit["score"]),
                  evidence=hit["evidence"], matched_name=hit["matched_name"])
