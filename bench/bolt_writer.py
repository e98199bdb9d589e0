"""Bolt writer throughput at about 1,000,000 relationships, and the neo4j-admin export time.

Builds the demo company at a size giving ~1M relationships, then in the same run:
- the batched writer (UNWIND + MERGE, byte-capped batches for the embedded FalkorDB),
- a naive writer (one MERGE per node / relationship, one request each) on a sample,
- ``export_neo4j_admin`` on the whole graph.
Prints nodes/s, relationships/s and the ratio between the two writers.

    python bench/bolt_writer.py [--people 75000] [--naive-sample 20000]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from graphkit.demo import generate_demo
from graphkit.pipeline import run_build
from graphkit.project import native_project
from graphkit.store.export import export_neo4j_admin
from graphkit.store.server import (
    EMBEDDED_MAX_MESSAGE_BYTES,
    EmbeddedServer,
    escape_for_falkordb,
)
from graphkit.store.writer import (
    BoltWriter,
    merge_nodes_statement,
    merge_relationships_statement,
    node_batches,
    relationship_batches,
)


def naive_write(writer: BoltWriter, graph, limit: int) -> tuple[int, int, float]:
    """One request per node and per relationship, for the first ``limit`` of each."""
    started = time.perf_counter()
    nodes = rels = 0
    for label, rows in node_batches(graph).items():
        for row in rows:
            if nodes >= limit:
                break
            writer.run(merge_nodes_statement(label), rows=[row])
            nodes += 1
    for group, rows in relationship_batches(graph).items():
        for row in rows:
            if rels >= limit:
                break
            writer.run(merge_relationships_statement(*group), rows=[row])
            rels += 1
    return nodes, rels, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=75_000)
    parser.add_argument("--naive-sample", type=int, default=20_000)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="gk-bolt-"))
    try:
        started = time.perf_counter()
        generate_demo(work / "data", seed=1, n_people=args.people)
        graph = run_build(native_project(work / "data"), show_progress=False).graph
        print(f"graph: {graph.number_of_nodes():,} nodes, {graph.number_of_edges():,} "
              f"relationships (built in {time.perf_counter() - started:.0f}s)")

        started = time.perf_counter()
        files, _ = export_neo4j_admin(graph, work / "import")
        print(f"neo4j-admin export: {len(files)} files in {time.perf_counter() - started:.1f}s")

        with EmbeddedServer(work / "db") as server:
            writer = BoltWriter(server.driver, show_progress=False,
                                max_batch_bytes=EMBEDDED_MAX_MESSAGE_BYTES,
                                escape=escape_for_falkordb)
            stats = writer.write(graph, wipe=True)
            batched_rate = (stats.nodes + stats.relationships) / stats.seconds
            print(f"batched writer: {stats.seconds:.0f}s in all; nodes "
                  f"{stats.nodes / stats.node_seconds:,.0f}/s, relationships "
                  f"{stats.relationships / stats.relationship_seconds:,.0f}/s; "
                  f"{batched_rate:,.0f} items/s overall")
        with EmbeddedServer(work / "db-naive") as server:
            writer = BoltWriter(server.driver, show_progress=False,
                                escape=escape_for_falkordb)
            writer.ensure_indexes(list(node_batches(graph)))
            nodes, rels, seconds = naive_write(writer, graph, args.naive_sample)
            naive_rate = (nodes + rels) / seconds
            print(f"naive writer (one request per item, {nodes:,} nodes + {rels:,} "
                  f"relationships): {seconds:.0f}s, {naive_rate:,.0f} items/s")
        print(f"ratio batched / naive: {batched_rate / naive_rate:.1f}x")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
