"""``graphkit build``: ingest → resolve → screen → graph → clusters → output files."""

from __future__ import annotations

import dataclasses
import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from graphkit.csvsafe import write_csv
from graphkit.filedigest import file_digest
from graphkit.filedigest import forget as forget_digests
from graphkit.graph import (
    GRAPH_JSON,
    GraphTables,
    graph_from_tables,
    write_graph_json,
    write_graphml,
    write_tables,
)
from graphkit.graph.assemble import arrow_text
from graphkit.graph.columns import build_tables, entity_nodes
from graphkit.graph.households import households_table
from graphkit.heap import heap_kept, numpy_huge_pages
from graphkit.incremental import (
    BuildState,
    PairReuse,
    read_state,
    screen_reusing,
    write_state,
)
from graphkit.incremental.ingest_cache import IngestCache
from graphkit.incremental.lists_cache import cached_sanctions
from graphkit.incremental.state import StateError
from graphkit.ingest import Ingested, ingest
from graphkit.ingest.project import Project
from graphkit.issues import InputError, IssueLog
from graphkit.lists import read_list, read_sdn, select_programs
from graphkit.nightly.diff import diff_builds
from graphkit.nightly.ids import RingMatching, carry_ring_ids
from graphkit.nightly.view import (
    BuildView,
    entity_rows,
    result_entities,
    write_entities,
    write_entries,
    write_hits,
)
from graphkit.progress import Stages, StageStats
from graphkit.report import build_info, write_report
from graphkit.report.changes import changes_section
from graphkit.resolve import (
    Resolution,
    resolve,
    resolve_companies_exact,
    resolve_people_exact,
)
from graphkit.resolve.review import OVER_BUDGET, review_lines, write_review_pairs
from graphkit.rings import Rings, find_rings, sharing_table
from graphkit.rings.clusters import ClusterResult, shared_identifier_clusters
from graphkit.rings.model import rings_frame
from graphkit.schema import Label, Layout
from graphkit.settings import DEFAULT_SETTINGS, Settings

STAGES = ["ingest", "resolve", "screen", "graph", "clusters", "rings"]


@dataclass
class BuildResult:
    """Everything one build produced, stage by stage. The graph is held as tables
    (``tables``); ``graph`` is its networkx view, built on first use."""

    project: Project
    data: Ingested
    people: Resolution
    companies: Resolution
    sanctions: pd.DataFrame
    hits: pd.DataFrame
    tables: GraphTables
    clusters: ClusterResult
    rings: Rings
    stages: list[StageStats] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: the previous build's folder (``build --previous``): ring ids carried over from it,
    #: and ``write_outputs`` writes the changes since it
    previous: Path | None = None
    #: what the next build may reuse (written to ``state/``), and what this one reused
    state: BuildState | None = None
    incremental: dict[str, dict[str, int]] = field(default_factory=dict)
    _graph: nx.MultiDiGraph | None = field(default=None, repr=False)
    #: the previous build as the diff reads it (read once: ring ids, then the changes)
    previous_view: BuildView | None = field(default=None, repr=False)
    #: the entity translation and ring matches made then (the diff uses them again)
    previous_matching: RingMatching | None = field(default=None, repr=False)
    #: ``record_id, entity_id`` as ``nightly.view.result_entities`` gives it, when made
    entity_map: pd.DataFrame | None = field(default=None, repr=False)

    @property
    def graph(self) -> nx.MultiDiGraph:
        """The networkx view of the tables (for analysts and small builds)."""
        if self._graph is None:
            self._graph = graph_from_tables(self.tables)
        return self._graph

    @property
    def seconds(self) -> dict[str, float]:
        """Wall seconds per stage."""
        return {s.name: s.seconds for s in self.stages}


#: Fewer person records than this are resolved exactly: EM needs data to learn from.
MIN_RECORDS_FOR_EM = 200


def resolve_people(people: pd.DataFrame, settings: Settings = DEFAULT_SETTINGS,
                   compare: PairReuse | None = None) -> Resolution:
    """Probabilistic resolution (Fellegi–Sunter + EM), or exact identity on tiny inputs;
    ``compare`` (optional) reuses a previous build's comparisons."""
    if len(people) < MIN_RECORDS_FOR_EM:
        return resolve_people_exact(people)
    return resolve(people, merge=settings.merge_threshold, review=settings.review_threshold,
                   max_block=settings.resolve_max_block, window=settings.resolve_window,
                   compare=compare, workers=settings.resolve_workers,
                   prepare_with=compare.prepare if compare is not None else None,
                   review_budget=settings.review_budget,
                   chance_partners=settings.resolve_chance_partners)


def load_sanctions(project: Project, log: IssueLog | None = None) -> pd.DataFrame:
    """The project's sanctions lists (default: bundled SDN snapshot), selected by program."""
    frames = [read_list(path, fmt, log) for path, fmt in project.sanctions] or [read_sdn()]
    return select_programs(pd.concat(frames, ignore_index=True), project.programs)


#: The node columns :func:`entities_to_screen` reads.
SCREENED_NODE_COLUMNS = ("key", "label", "name", "aliases")


def entities_to_screen(nodes: pd.DataFrame, data: Ingested, people: Resolution
                       ) -> pd.DataFrame:
    """One row per name of each person and company node in ``nodes`` (a node table, or
    the entity parts of one): ``record_id`` (the entity key), ``name`` (its name, then
    each alias), ``kind`` and the entity's first known ``dob``; ordered by key. Made on
    Arrow columns: no Python string per row."""
    label = arrow_text(nodes["label"])
    wanted = pc.is_in(label, value_set=pa.array([Label.PERSON.value, Label.COMPANY.value]))
    wanted = pc.fill_null(wanted, False)
    keys = arrow_text(nodes["key"]).filter(wanted)
    by_key = pc.sort_indices(keys)  # stable: as sort_values("key", kind="stable")
    keys = keys.take(by_key)
    is_person = pc.equal(label.filter(wanted).take(by_key), Label.PERSON.value)
    kind = pc.if_else(is_person, "person", "company")
    own = pc.fill_null(arrow_text(nodes["name"]).filter(wanted).take(by_key), "")
    n = len(keys)
    if "aliases" in nodes.columns:
        aliases = pa.array(nodes["aliases"].array).filter(wanted).take(by_key)
        if isinstance(aliases, pa.ChunkedArray):
            aliases = aliases.combine_chunks()
        parent = pc.list_parent_indices(aliases).to_numpy().astype(np.int64)
        other = pc.list_flatten(aliases).cast(pa.string())
    else:
        parent, other = np.zeros(0, dtype=np.int64), pa.array([], pa.string())
    owner = np.r_[np.arange(n, dtype=np.int64), parent]
    # an entity's name, then its aliases in their order (a stable sort of owners)
    order = np.argsort(owner, kind="stable")
    text = pa.concat_arrays([own, other]).take(pa.array(order))
    owner = owner[order]
    keep = pc.fill_null(pc.not_equal(text, ""), True)
    text, owner = text.filter(keep), owner[keep.to_numpy(zero_copy_only=False)]
    at = pa.array(owner)
    key_of = keys.take(at)
    dob = pc.fill_null(_first_dobs(data, people, key_of), "")
    return pd.DataFrame({"record_id": key_of.to_pandas(), "name": text.to_pandas(),
                         "kind": kind.take(at).to_pandas(), "dob": dob.to_pandas()})


def _first_dobs(data: Ingested, people: Resolution, entity_keys: pa.Array) -> pa.Array:
    """Per entity key, the first non-empty date of birth of the entity's person records
    (in ``people.entities`` order); null for companies and entities without one."""
    records = data.records[Layout.PEOPLE]
    dob = pc.fill_null(arrow_text(records["dob"]), "")
    at = pc.index_in(arrow_text(people.entities["record_id"]),
                     value_set=arrow_text(records["record_id"]))
    dobs = pc.fill_null(dob.take(at), "")
    known = pc.not_equal(dobs, "")
    entity = arrow_text(people.entities["entity_id"]).filter(known)
    dobs = dobs.filter(known)
    first = np.unique(pc.dictionary_encode(entity).indices.to_numpy(), return_index=True)[1]
    first = pa.array(first)
    return dobs.take(first).take(pc.index_in(entity_keys, value_set=entity.take(first)))


def clusters_and_rings(result_tables: GraphTables, settings: Settings, stages: Stages
                       ) -> tuple[ClusterResult, Rings, nx.MultiDiGraph | None, list[str]]:
    """Shared-identifier clusters and rings of the build's tables, with notes for
    summary.txt. Both read one "who shares what" table (``rings.sharing_table``, a
    group-by over the relationships), so no networkx graph is built at any size."""
    with stages.stage("clusters", rows_in=len(result_tables.relationships)) as st:
        sharing = sharing_table(result_tables)
        clusters = shared_identifier_clusters(sharing, settings.max_identifier_share)
        st.rows_out = len(clusters.clusters)
    with stages.stage("rings", rows_in=len(result_tables.relationships)) as st:
        rings = find_rings(sharing, settings)
        st.rows_out = len(rings)
    return clusters, rings, None, []


def run_build(project: Project, log: IssueLog | None = None, show_progress: bool = True,
              stages: Stages | None = None, previous: Path | None = None,
              reuse: bool = True) -> BuildResult:
    """Run every stage of a build on ``project``; ``stages`` (the caller's, left open)
    lets one progress bar go on over ``write_outputs``. With ``previous`` (an earlier
    build's folder): reuse its comparisons and screening for unchanged records and names
    (``graphkit.incremental``: the result equals a full build), and rings that are
    recognisably that build's rings keep their ids (``graphkit.nightly``). ``reuse=False``
    (``build --full``) computes every stage afresh and still carries the ids over. The
    caller closes the ``stages`` it passes (see ``Stages.close``)."""
    own_stages = stages is None
    stages = Stages(STAGES, show_progress) if stages is None else stages
    try:
        return _run_stages(project, log if log is not None else IssueLog(), stages,
                           previous, reuse)
    finally:
        if own_stages:  # also when a stage fails: the stages' freeze is undone
            stages.close()


def _run_stages(project: Project, log: IssueLog, stages: Stages, previous: Path | None,
                reuse: bool) -> BuildResult:
    """``run_build``'s stages, on the stages given (left open)."""
    settings = project.settings
    forget_digests()  # input hashes are computed once in this build, then shared
    reader = IngestCache(previous if reuse else None)
    # the previous build's state is read in a thread while ingest runs (reading Parquet
    # lets go of the GIL, as does most of reading files back); the ingest stage waits for
    # it, as for its cache's writes: no background work runs on past the stage it overlaps
    reading = ThreadPoolExecutor(max_workers=1, thread_name_prefix="graphkit-state")
    prior_read = reading.submit(previous_state, previous if reuse else None)
    reading.shutdown(wait=False)  # the thread ends with the read
    with stages.stage("ingest") as st:
        try:
            data = ingest(project.sources, log, settings=project.settings, reader=reader)
        finally:  # the cache's writing ends in this stage, also when a file is refused
            reader.finish_writes()  # (its staging folder is never removed under a writer)
        prior, notes = prior_read.result()
        st.rows_in = sum(data.count().values())
        st.rows_out = st.rows_in + len(data.identifiers)
    n_records = len(data.records[Layout.PEOPLE]) + len(data.records[Layout.COMPANIES])
    if not n_records:  # every entity comes from a person or company record
        files = ", ".join(Path(path).name for path, _ in project.sources) or "no input files"
        raise InputError(f"nothing to build: no people or company records in {files} (each "
                         "holds a header only, or every row was refused: see the issues)")
    with stages.stage("resolve", rows_in=n_records) as st:
        pairs_reuse = PairReuse(data.records[Layout.PEOPLE], prior.people)
        people = resolve_people(data.records[Layout.PEOPLE], settings, compare=pairs_reuse)
        companies = resolve_companies_exact(data.records[Layout.COMPANIES])
        st.rows_out = people.entities["entity_id"].nunique() + \
            companies.entities["entity_id"].nunique()
    with stages.stage("screen") as st:
        entities = entity_nodes(data, people, companies)
        lists = cached_sanctions(project.sanctions, project.programs, log,
                                 previous if reuse else None,
                                 lambda list_log: load_sanctions(project, list_log))
        sanctions = lists.frame
        names = entities_to_screen(pd.concat(  # only the columns screening reads
            [part[[c for c in SCREENED_NODE_COLUMNS if c in part.columns]]
             for part in entities[0]], ignore_index=True), data, people)
        st.rows_in = len(names)
        hits, screened = screen_reusing(names, sanctions, settings.screen_threshold,
                                        prior.screen)
        st.rows_out = len(hits)
    # the graph, clusters and rings stages make and free many row-sized temporaries: glibc
    # keeps the freed ones for reuse instead of unmapping them (each would come back as
    # fresh pages for the kernel to zero), and gives the memory back when rings end. The
    # graph stage grows into new memory (its tables): NumPy asks for huge pages for it or
    # not, as the machine's first touches are cheaper; clusters and rings reuse memory,
    # where huge pages are the cheaper to touch again
    with heap_kept(settings.heap_keep_mib):
        with stages.stage("graph") as st, numpy_huge_pages(settings.huge_pages) as huge_pages:
            st.rows_in = sum(data.count().values()) + len(data.identifiers)
            keep = settings.keep_record_fields
            if keep is None:  # at most this many nodes: records + identifiers + entities
                keep = st.rows_in + len(entities[0][0]) <= settings.graph_view_max_nodes
            tables = build_tables(data, people, companies, hits, sanctions, entities=entities,
                                  release_records=not keep, households=households_table(people))
            del entities, names  # screening's inputs; the tables hold what later stages read
            st.rows_out = len(tables.nodes) + len(tables.relationships)
        clusters, rings, graph, ring_notes = clusters_and_rings(tables, settings, stages)
    if huge_pages is False and settings.huge_pages is None:
        notes = [*notes, "NumPy's huge pages off for the graph stage: this machine's "
                 "balloon reports free memory to its host, where a huge page touched the "
                 "first time costs the kernel more than 4 KiB pages (setting huge_pages)"]
    old_view, matching, entity_map = None, [], None
    if previous is not None:
        old_view = BuildView.from_folder(previous)
        entity_map = entity_rows(people, companies)
        carried = carry_ring_ids(rings, old_view, entity_map, keep=matching)
        ring_notes = [*ring_notes,
                      f"{carried:,} of {len(rings):,} rings keep their ids from {previous}"]
    reused = {"ingest": reader.counts, "resolve": pairs_reuse.counts,
              "screen": screened.counts}
    notes += reader.notes + ([reader.note] if previous is not None and reuse else [])
    notes += lists.notes + (["incremental screen: sanctions entries read back from the "
                             "previous build (lists unchanged)"] if lists.reused else [])
    notes += reuse_notes(reused, previous if reuse else None)
    notes += [screened.note] if screened.note else []
    return BuildResult(project, data, people, companies, sanctions, hits, tables, clusters,
                       rings, list(stages.stats), notes + ring_notes, previous=previous,
                       state=BuildState(pairs_reuse.state, screened.state, reader, lists),
                       incremental=reused, _graph=graph, previous_view=old_view,
                       previous_matching=matching[0] if matching else None,
                       entity_map=entity_map)


def previous_state(previous: Path | None) -> tuple[BuildState, list[str]]:
    """The state of the previous build to reuse (empty without one), and a note when
    it cannot be used (the build then computes everything, and says why)."""
    if previous is None:
        return BuildState(), []
    try:
        return read_state(previous), []
    except StateError as exc:
        return BuildState(), [f"--previous not used, everything computed afresh: {exc}"]


def reuse_notes(reused: dict[str, dict[str, int]], previous: Path | None) -> list[str]:
    """Summary lines: what resolution and screening reused from ``previous``."""
    if previous is None:
        return []
    lines = []
    people = reused.get("resolve", {})
    if people:
        lines.append(f"incremental resolve: {people['records_reused']:,} of "
                     f"{people['records']:,} person records unchanged "
                     f"({people.get('features_reused', 0):,} with their features reused); "
                     f"{people['pairs_reused']:,} candidate pairs reused, "
                     f"{people['pairs_compared']:,} compared")
    names = reused.get("screen", {})
    if names:
        lines.append(f"incremental screen: {names['names_reused']:,} of "
                     f"{names['distinct_names']:,} distinct names reused, "
                     f"{names['names_screened']:,} screened")
    lines.append("incremental graph, clusters, rings and outputs: computed in full")
    return lines


def graph_file_wanted(choice: bool | None, tables: GraphTables, settings: Settings) -> bool:
    """Whether to write an optional whole-graph file (``graphml``/``graph_json`` setting:
    True, False, or None for "only when the build is small")."""
    if choice is not None:
        return choice
    return len(tables.nodes) <= settings.graph_files_max_nodes


def write_outputs(result: BuildResult, out_dir: str | Path, show_progress: bool = False,
                  stages: Stages | None = None, built: str = "") -> list[Path]:
    """Write clusters.csv, nodes.parquet, relationships.parquet, graph.graphml and
    graph.json (small builds, or when asked), entities.csv (and entities.parquet, exact),
    sanctions_hits.csv (and sanctions_hits.parquet, exact), sanctions.parquet (the entries
    screened), issues.csv, rings.csv, rings.json, report.html, state/, summary.txt and
    build.json to ``out_dir``, and with a previous build
    (``result.previous``) changes.csv and changes.json; returns the paths written.
    ``stages``: the caller's (see ``run_build``), left open. ``built``: the build's start
    (the manifest's ``started``), whose date report.html shows."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    settings = result.project.settings
    own_stages = stages is None
    stages = Stages(["write"], show_progress) if stages is None else stages
    first_new = len(stages.stats)
    written: list[Path] = []
    notes: list[str] = []
    with stages.stage("write", rows_in=len(result.tables.nodes) +
                      len(result.tables.relationships)) as st, \
            ThreadPoolExecutor(max_workers=1) as background:
        safe = settings.csv_safety  # CSVs for people: spreadsheet formulas neutralised
        # the Parquet writer runs outside the GIL: the graph tables are written while
        # the CSVs, the diff and the report are made
        tables_written = background.submit(_write_and_hash_tables, result.tables, out)
        # and then state/ (Parquet and links too), while the main thread goes on
        state_written = background.submit(write_state, result.state, out) \
            if result.state is not None else None
        write_csv(result.clusters.clusters, out / "clusters.csv", safe)
        written.append(out / "clusters.csv")
        tables_at = len(written)  # listed where they were before the writes overlapped
        for name, choice, writer, flag in (
                (GRAPHML_FILE, settings.graphml, write_graphml, "--graphml"),
                (GRAPH_JSON, settings.graph_json, write_graph_json, "--graph-json")):
            if graph_file_wanted(choice, result.tables, settings):
                tables_written.result()
                writer(out, out / name)  # streamed from the Parquet files
                written.append(out / name)
            else:
                (out / name).unlink(missing_ok=True)
                why = ("turned off" if choice is False else
                       f"{len(result.tables.nodes):,} nodes > {settings.graph_files_max_nodes:,}"
                       " (graph_files_max_nodes)")
                notes.append(f"{name} not written ({why}); nodes.parquet and "
                                    f"relationships.parquet hold the graph; {flag} writes it")
        entities = pd.concat([result.people.entities, result.companies.entities],
                             ignore_index=True)
        write_csv(entities, out / "entities.csv", safe)
        written.append(out / "entities.csv")
        written += write_review_pairs(result.people.review, out, safe)
        entity_map = result_entities(result) if result.entity_map is None \
            else result.entity_map
        written.append(write_entities(entity_map, out))
        write_csv(result.hits, out / "sanctions_hits.csv", safe)
        written.append(out / "sanctions_hits.csv")
        written.append(write_hits(result.hits, out))
        written.append(write_entries(result.sanctions, out))
        changes = None
        rings_json = rings_rows(result)
        if result.previous is not None:
            # the command checks settings before the build runs; a differing setting is
            # named in the changes (settings_changed), not refused, at this point
            changes = diff_builds(result.previous_view or result.previous,
                                  BuildView.from_result(result, rings=rings_json,
                                                        entities=entity_map),
                                  allow_settings_change=True,
                                  matching=result.previous_matching
                                  if result.previous_view is not None else None)
            written += changes.write(out, safe)
        write_csv(result.data.log.to_frame(), out / "issues.csv", safe)
        written.append(out / "issues.csv")
        write_csv(rings_frame(rings_json), out / "rings.csv", safe)
        write_json_list(rings_json, out / "rings.json")
        write_report(result.rings, out / "report.html",
                     f"graphkit rings: {result.project.name}", limit=settings.report_rings,
                     min_score=settings.report_min_score, seed=settings.seed,
                     info=build_info(result, built),
                     changes_html=changes_section(changes) if changes else "")
        written += [out / "rings.csv", out / "rings.json", out / "report.html"]
        if state_written is not None:  # listed as the one folder "state"
            written.append(state_written.result()[0].parent)
        written[tables_at:tables_at] = tables_written.result()
        st.rows_out = st.rows_in
    if own_stages:
        stages.close()
    # summary.txt and build.json tell of this write too; the caller's result is unchanged
    result = dataclasses.replace(result, stages=[*result.stages, *stages.stats[first_new:]],
                                 notes=[*result.notes, *notes])
    headline = "\n".join(changes.headline()) + "\n\n" if changes else ""
    (out / "summary.txt").write_text(headline + summary_text(result), encoding="utf-8")
    written.append(out / "summary.txt")
    written.append(out / BUILD_JSON)
    (out / BUILD_JSON).write_text(json.dumps(build_record(result, written), indent=1,
                                             ensure_ascii=False), encoding="utf-8")
    return written


def _write_and_hash_tables(tables: GraphTables, out: Path) -> list[Path]:
    """``write_tables``, then each file's SHA-256 while its bytes are fresh (hashing lets
    go of the GIL: the manifest finds the hashes made, ``graphkit.filedigest``)."""
    paths = write_tables(tables, out)
    for path in paths:
        file_digest(path)
    return paths


def rings_rows(result: BuildResult) -> list[dict]:
    """``result.rings.to_json()``, or the rows made when ring ids were carried over
    while they still name the same rings."""
    made = result.previous_matching.rings if result.previous_matching else None
    if made is not None and len(made) == len(result.rings) and all(
            row["ring_id"] == ring.ring_id and row["members"] == ring.members
            for row, ring in zip(made, result.rings)):
        return made
    return result.rings.to_json()


def write_json_list(items: list[dict], path: Path) -> None:
    """A JSON list, one item per line (each encoded by the C encoder: an indented dump
    runs json's pure-Python encoder, minutes for the rings of a million people)."""
    encode = json.JSONEncoder(ensure_ascii=False, check_circular=False).encode  # made once
    with path.open("w", encoding="utf-8") as handle:
        handle.write("[")
        for i, item in enumerate(items):
            handle.write(("\n" if i == 0 else ",\n") + encode(item))
        handle.write("\n]\n")


#: Machine-readable record of a build: counts, settings, per-stage measurements.
BUILD_JSON = "build.json"
GRAPHML_FILE = "graph.graphml"


def build_record(result: BuildResult, written: list[Path]) -> dict:
    """The content of ``build.json``: what was loaded and built, the settings, each
    stage's seconds, rows in and out, rows per second and peak memory, and the files."""
    decisions = result.people.pairs["decision"].value_counts() \
        if "decision" in result.people.pairs.columns else pd.Series(dtype=int)
    return {
        "project": result.project.name,
        "settings": result.project.settings.to_dict(),
        "loaded_rows": result.data.count(),
        "identifiers": len(result.data.identifiers),
        "issues": dict(result.data.log.counts),
        "people_merged_pairs": int(decisions.get("merge", 0)),
        "people_review_pairs": int(decisions.get("review", 0)),
        "people_over_budget_pairs": int(decisions.get(OVER_BUDGET, 0)),
        "nodes": len(result.tables.nodes),
        "relationships": len(result.tables.relationships),
        "labels": result.tables.label_counts(),
        "relationship_types": result.tables.type_counts(),
        "sanctions_entries": len(result.sanctions),
        "sanctions_hits": len(result.hits),
        "clusters": len(result.clusters.clusters),
        "rings": len(result.rings),
        "stages": [s.to_dict() for s in result.stages],
        "seconds": round(sum(s.seconds for s in result.stages), 3),
        "peak_rss_mib": round(max((s.peak_rss_mib for s in result.stages), default=0.0), 1),
        "notes": result.notes,
        "incremental": result.incremental,
        "files": sorted(p.name for p in written),
    }


def summary_text(result: BuildResult) -> str:
    """A short report a person can read: what was loaded, found and set aside."""
    labels = result.tables.label_counts()
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
        *review_lines(result.people.review),
        "Identifiers: " + ", ".join(f"{lab} {labels.get(lab, 0):,}" for lab in
                                    ("Account", "Device", "IP", "Email", "Phone", "Address",
                                     "Document")),
        f"Graph: {len(result.tables.nodes):,} nodes, "
        f"{len(result.tables.relationships):,} relationships",
        f"Sanctions: {len(result.sanctions):,} list entries screened "
        f"(programs {', '.join(result.project.programs)}); {len(result.hits):,} hits",
    ]
    lines += [f"Note: {note}" for note in result.notes]
    lines += [
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
    lines.append("Stages (rows in → out, rows/s, peak memory; all in build.json):")
    lines += [f"  {s.line()}" for s in result.stages]
    return "\n".join(lines) + "\n"


__all__ = ["BUILD_JSON", "BuildResult", "build_record", "clusters_and_rings",
           "entities_to_screen", "run_build", "summary_text", "write_outputs"]
