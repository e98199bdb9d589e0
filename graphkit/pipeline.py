"""``graphkit build``: ingest → resolve → screen → graph → clusters → output files."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx
import pandas as pd

from graphkit.clusters import ClusterResult, shared_identifier_clusters
from graphkit.graph import (
    GRAPH_JSON,
    add_matches,
    build_graph,
    tables_from_graph,
    write_graph_json,
    write_graphml,
    write_tables,
)
from graphkit.graph.households import add_households, households_table
from graphkit.ingest import Ingested, ingest
from graphkit.issues import IssueLog
from graphkit.progress import Stages
from graphkit.project import Project
from graphkit.report import write_report
from graphkit.resolve import (
    Resolution,
    resolve,
    resolve_companies_exact,
    resolve_people_exact,
)
from graphkit.rings import Rings, find_rings, sharing_table
from graphkit.rings.sharing import ring_tables
from graphkit.schema import Label, Layout
from graphkit.screen import screen
from graphkit.sources import read_list, read_sdn, select_programs


@dataclass
class BuildResult:
    """Everything one build produced, stage by stage."""

    project: Project
    data: Ingested
    people: Resolution
    companies: Resolution
    sanctions: pd.DataFrame
    hits: pd.DataFrame
    graph: nx.MultiDiGraph
    clusters: ClusterResult
    rings: Rings
    seconds: dict[str, float] = field(default_factory=dict)


#: Fewer person records than this are resolved exactly: EM needs data to learn from.
MIN_RECORDS_FOR_EM = 200


def resolve_people(people: pd.DataFrame) -> Resolution:
    """Probabilistic resolution (Fellegi–Sunter + EM), or exact identity on tiny inputs."""
    if len(people) < MIN_RECORDS_FOR_EM:
        return resolve_people_exact(people)
    return resolve(people)


def load_sanctions(project: Project) -> pd.DataFrame:
    """The project's sanctions lists (default: bundled SDN snapshot), selected by program."""
    frames = [read_list(path, fmt) for path, fmt in project.sanctions] or [read_sdn()]
    return select_programs(pd.concat(frames, ignore_index=True), project.programs)


def entities_to_screen(graph: nx.MultiDiGraph, data: Ingested, people: Resolution) -> pd.DataFrame:
    """One row per person and company entity: ``record_id`` (the entity id), name, kind, dob."""
    dob_of = dict(zip(data.records[Layout.PEOPLE]["record_id"],
                      data.records[Layout.PEOPLE]["dob"]))
    entity_dob = {}
    for rid, entity in zip(people.entities["record_id"], people.entities["entity_id"]):
        if dob_of.get(rid):
            entity_dob.setdefault(entity, dob_of[rid])
    rows = []
    for node, attrs in graph.nodes(data=True):
        if attrs.get("label") in (Label.PERSON.value, Label.COMPANY.value):
            kind = "person" if attrs["label"] == Label.PERSON.value else "company"
            for name in [attrs.get("name", ""), *attrs.get("aliases", [])]:
                if name:
                    rows.append({"record_id": node, "name": name, "kind": kind,
                                 "dob": entity_dob.get(node, "")})
    return pd.DataFrame(rows, columns=["record_id", "name", "kind", "dob"])


def run_build(project: Project, log: IssueLog | None = None, show_progress: bool = True
              ) -> BuildResult:
    """Run every stage of a build on ``project``."""
    log = log if log is not None else IssueLog()
    stages = Stages(["ingest", "resolve", "graph", "screen", "clusters", "rings"],
                    show_progress)
    with stages.stage("ingest"):
        data = ingest(project.sources, log)
    with stages.stage("resolve"):
        people = resolve_people(data.records[Layout.PEOPLE])
        companies = resolve_companies_exact(data.records[Layout.COMPANIES])
    with stages.stage("graph"):
        graph = build_graph(data, people, companies)
        add_households(graph, households_table(people))
    with stages.stage("screen"):
        sanctions = load_sanctions(project)
        hits = screen(entities_to_screen(graph, data, people), sanctions)
        add_matches(graph, hits, sanctions)
    with stages.stage("clusters"):
        # the columnar build will hand its tables over directly; until then the tables
        # the ring stage reads (ring_tables: same ids as tables_from_graph, fewer columns)
        sharing = sharing_table(ring_tables(graph))
        clusters = shared_identifier_clusters(sharing, project.settings.max_identifier_share)
    with stages.stage("rings"):
        rings = find_rings(sharing, project.settings)
    stages.close()
    return BuildResult(project, data, people, companies, sanctions, hits, graph, clusters,
                       rings, stages.seconds)


def write_outputs(result: BuildResult, out_dir: str | Path) -> list[Path]:
    """Write clusters.csv, nodes.parquet, relationships.parquet, graph.graphml, graph.json,
    entities.csv, sanctions_hits.csv, issues.csv, rings.csv, rings.json, report.html and
    summary.txt to ``out_dir``; returns the paths written."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    result.clusters.clusters.to_csv(out / "clusters.csv", index=False)
    written.append(out / "clusters.csv")
    written += write_tables(tables_from_graph(result.graph), out)
    write_graphml(result.graph, out / "graph.graphml")
    written.append(out / "graph.graphml")
    write_graph_json(result.graph, out / GRAPH_JSON)
    written.append(out / GRAPH_JSON)
    entities = pd.concat([result.people.entities, result.companies.entities], ignore_index=True)
    entities.to_csv(out / "entities.csv", index=False)
    written.append(out / "entities.csv")
    result.hits.to_csv(out / "sanctions_hits.csv", index=False)
    written.append(out / "sanctions_hits.csv")
    result.data.log.to_frame().to_csv(out / "issues.csv", index=False)
    written.append(out / "issues.csv")
    result.rings.to_pandas().to_csv(out / "rings.csv", index=False)
    (out / "rings.json").write_text(json.dumps(result.rings.to_json(), indent=1,
                                               ensure_ascii=False), encoding="utf-8")
    write_report(result.rings, out / "report.html", f"graphkit rings: {result.project.name}")
    written += [out / "rings.csv", out / "rings.json", out / "report.html"]
    (out / "summary.txt").write_text(summary_text(result), encoding="utf-8")
    written.append(out / "summary.txt")
    return written


def summary_text(result: BuildResult) -> str:
    """A short report a person can read: what was loaded, found and set aside."""
    g = result.graph
    labels = pd.Series([a.get("label") for _, a in g.nodes(data=True)]).value_counts()
    clusters = result.clusters.clusters
    counts = result.data.log.counts
    lines = [
        f"graphkit build: {result.project.name}",
        "",
        "Loaded rows: " + ", ".join(f"{k} {v:,}" for k, v in result.data.count().items()),
        f"Issues: {counts.get('error', 0)} errors, {counts.get('warning', 0)} warnings "
        "(all in issues.csv)",
        f"Entities: {labels.get('Person', 0):,} people, {labels.get('Company', 0):,} companies "
        f"({result.people.method}; {(result.people.pairs['decision'] == 'merge').sum():,} "
        f"merged pairs, {(result.people.pairs['decision'] == 'review').sum():,} for review)",
        "Identifiers: " + ", ".join(f"{lab} {labels.get(lab, 0):,}" for lab in
                                    ("Account", "Device", "IP", "Email", "Phone", "Address",
                                     "Document")),
        f"Graph: {g.number_of_nodes():,} nodes, {g.number_of_edges():,} relationships",
        f"Sanctions: {len(result.sanctions):,} list entries screened "
        f"(programs {', '.join(result.project.programs)}); {len(result.hits):,} hits",
        "",
        f"Shared-identifier clusters: {len(clusters):,} "
        f"(identifiers shared by more than {result.clusters.max_share} entities are treated "
        f"as hubs and ignored: {len(result.clusters.hubs)})",
    ]
    for hub in result.clusters.hubs.head(5).itertuples():
        lines.append(f"  hub ignored: {hub.identifier} shared by {hub.entities} entities")
    lines.append("")
    lines.append("Largest clusters:")
    for row in clusters.head(10).itertuples():
        shared = row.shared_identifiers.split(";")[:3]
        hits = f"; SANCTIONS: {row.sanctions_hits}" if row.sanctions_hits else ""
        lines.append(f"  {row.cluster_id}: {row.size} entities, shares {', '.join(shared)}{hits}")
    flagged = clusters[clusters["sanctions_hits"] != ""]
    lines.append("")
    lines.append(f"Clusters with sanctions hits: {len(flagged)}")
    for row in flagged.itertuples():
        lines.append(f"  {row.cluster_id}: {row.names} -> {row.sanctions_hits}")
    lines.append("")
    lines.append(f"Rings, ranked by risk score (all in rings.csv and report.html): "
                 f"{len(result.rings)}")
    for ring in result.rings.top(8):
        patterns = ", ".join(sorted({e.pattern for e in ring.evidence}))
        lines.append(f"  {ring.ring_id}: score {ring.score:g}, {len(ring.members)} members "
                     f"({patterns})")
    lines.append("")
    lines.append("Stage times: " + ", ".join(f"{k} {v:.1f}s" for k, v in result.seconds.items()))
    return "\n".join(lines) + "\n"


__all__ = ["BuildResult", "run_build", "summary_text", "write_outputs"]
