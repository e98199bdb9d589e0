"""The analyst API on a build folder: how big and how quick ring neighbourhoods are, with
and without hubs, and what a persistent session saves over a query per call.

For the ``--rings`` highest-scoring rings: the members' 2-hop neighbourhood built from the
tables (``ring.neighbourhood``) with hubs set aside (the default) and with everything
(``exclude_hubs=False``): nodes, relationships, seconds, hubs set aside. With ``--ego``
(small builds), the same with ``nx.ego_graph`` around one member on the whole graph, as an
analyst did before (record nodes included, as the whole graph has them). Then
``--queries`` pack queries through ``graphkit.query`` (an engine per call) and through one
``graphkit.session``. Peak RSS of this process at the end.

    python bench/analyst_api.py OUT [--rings 5] [--ego] [--queries 3]
    python bench/analyst_api.py OUT --rings 0 --queries 3   # queries alone
"""

from __future__ import annotations

import argparse
import resource
import time

import networkx as nx

import graphkit


class Seconds(float):
    """Wall seconds that also print the CPU seconds of this process (on a shared machine
    the CPU time is the steadier figure)."""

    cpu: float = 0.0

    def __format__(self, spec: str) -> str:
        return f"{float(self):{spec}} (cpu {self.cpu:{spec}})"


def _timed(fn):
    began, cpu = time.perf_counter(), time.process_time()
    value = fn()
    seconds = Seconds(time.perf_counter() - began)
    seconds.cpu = time.process_time() - cpu
    return value, seconds


def neighbourhoods(build, rings: int, ego: bool) -> None:
    """Print neighbourhood sizes and times of the top ``rings`` rings."""
    whole = graphkit.load(build.folder) if ego else None
    for ring in build.rings.top(rings):
        small, t_small = _timed(lambda r=ring: r.neighbourhood(hops=2))
        full, t_full = _timed(lambda r=ring: r.neighbourhood(hops=2, exclude_hubs=False))
        print(f"{ring.ring_id}: {len(ring.members)} members; 2 hops without hubs "
              f"{small.number_of_nodes():,} nodes / {small.number_of_edges():,} rels in "
              f"{t_small:.3f}s ({len(small.graph['excluded_hubs'])} hubs set aside); with "
              f"hubs {full.number_of_nodes():,} / {full.number_of_edges():,} in {t_full:.3f}s")
        if whole is not None:
            member = ring.members[0]
            around, t_ego = _timed(lambda m=member: nx.ego_graph(whole, m, radius=2,
                                                                 undirected=True))
            one, _ = _timed(lambda m=member: build.neighbourhood(m, hops=2))
            print(f"    one member {member}: nx.ego_graph on the whole graph "
                  f"{around.number_of_nodes():,} nodes in {t_ego:.3f}s; "
                  f"neighbourhood without hubs {one.number_of_nodes():,}")


def queries(build, count: int) -> None:
    """Print the time of ``count`` queries per call and in one session."""
    names = ["overview/node_counts", "rings/shared_accounts", "rings/shared_devices"]
    refs = [names[i % len(names)] for i in range(count)]
    began = time.perf_counter()
    for ref in refs:
        graphkit.query(ref, out_dir=build.folder)
    per_call = time.perf_counter() - began
    began = time.perf_counter()
    with graphkit.session(build.folder) as session:
        started = time.perf_counter() - began
        for ref in refs:
            session.query(ref)
    in_session = time.perf_counter() - began
    print(f"{count} queries: {per_call:.2f}s one engine per call "
          f"({per_call / count:.2f}s each); {in_session:.2f}s in one session "
          f"(start and load {started:.2f}s, then {(in_session - started) / count:.3f}s each)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", help="build folder")
    parser.add_argument("--rings", type=int, default=5)
    parser.add_argument("--ego", action="store_true",
                        help="also nx.ego_graph on the whole graph (small builds)")
    parser.add_argument("--queries", type=int, default=3)
    args = parser.parse_args()
    build = graphkit.open(args.out)
    print(repr(build))
    if args.rings:  # --rings 0: queries only (the tables are not read into this process)
        _, seconds = _timed(lambda: build.index)
        print(f"tables read and indexed in {seconds:.2f}s ({len(build.nodes):,} nodes, "
              f"{len(build.relationships):,} relationships)")
        rings, seconds = _timed(lambda: build.rings)
        print(f"{len(rings):,} rings read in {seconds:.2f}s ({len(rings.hubs):,} hubs)")
        neighbourhoods(build, args.rings, args.ego)
    if args.queries:
        queries(build, args.queries)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of this process: {peak:,.0f} MiB")


if __name__ == "__main__":
    main()
