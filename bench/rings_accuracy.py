"""Ring accuracy over generated worlds: where do the planted rings rank among everything
the population's own sharing produces?

Each world (``graphkit.world.WorldParams``: seed, size, household rate, ring sizes) is
generated, built with ``graphkit build``'s pipeline, and its ranked rings are compared
with the truth file: per planted ring its best rank, recall@10, precision@10 (share of
the top 10 holding planted members), and average precision (every planted ring counted
at its best rank; AP 1.0 means every planted ring outranks every innocent group). Also
the ring stage's time and the build's peak memory.

    python bench/rings_accuracy.py                 # the five reference worlds
    python bench/rings_accuracy.py --worlds w20k-a --show 15
    python bench/rings_accuracy.py --custom seed=9,people=5000,household_rate=0.5
"""

from __future__ import annotations

import argparse
import csv
import resource
import shutil
import tempfile
import time
from dataclasses import fields, replace
from pathlib import Path

from graphkit.ingest.project import native_project
from graphkit.pipeline import run_build
from graphkit.rings import find_rings, sharing_table
from graphkit.rings.clusters import shared_identifier_clusters
from graphkit.world import WorldParams, generate_world

#: Reference worlds (none of them used while the risk model was written; seeds 1 and 2 at
#: 20k were).
WORLDS: dict[str, WorldParams] = {
    "w20k-a": WorldParams(people=20_000, seed=101),
    "w20k-families": WorldParams(people=20_000, seed=202, household_rate=0.65,
                                 roommate_rate=0.1, ring_scale=0.7, rings=9),
    "w20k-noisy": WorldParams(people=20_000, seed=303, vpn_rate=0.07, cgnat_rate=0.4,
                              cgnat_per_ip=15, ring_scale=1.5, rings=7),
    "w200k-a": WorldParams(people=200_000, seed=404),
    "w200k-families": WorldParams(people=200_000, seed=505, household_rate=0.6,
                                  ring_scale=0.8, rings=9),
}


def _truth(folder: Path) -> dict[str, str]:
    with (folder / "truth.csv").open(encoding="utf-8", newline="") as handle:
        return {t["record_id"]: t["ring_id"] for t in csv.DictReader(handle)
                if t["layout"] in ("people", "companies")}


def ring_labels(result, truth: dict[str, str]) -> list[set[str]]:
    """Planted ring ids held by each ranked ring (empty set: an innocent group)."""
    rels = result.tables.relationships
    start = rels["start"].astype(str)
    own = rels[(rels["type"] == "RESOLVED_TO").to_numpy()
               & (start.str.startswith("Record:people:")
                  | start.str.startswith("Record:companies:")).to_numpy()]
    records_of: dict[str, list[str]] = {}
    for record, entity in zip(own["start"].astype(str), own["end"].astype(str)):
        records_of.setdefault(entity, []).append(record.split(":", 2)[2])
    out = []
    for ring in result.rings:
        labels = {truth.get(r, "") for m in ring.members for r in records_of.get(m, ())}
        out.append(labels - {""})
    return out


def metrics(labels: list[set[str]], planted: set[str], k: int = 10) -> dict:
    """Best rank per planted ring, recall@k, precision@k and average precision."""
    best: dict[str, int] = {}
    for rank, held in enumerate(labels, start=1):
        for ring_id in held:
            best.setdefault(ring_id, rank)
    innocent_before = []
    innocents = 0
    first_innocent = None
    firsts = set(best.values())
    for rank, held in enumerate(labels, start=1):
        if not held:
            innocents += 1
            first_innocent = first_innocent or rank
        elif rank in firsts:
            innocent_before.append(innocents)
    found = sorted(innocent_before)
    ap = sum((i + 1) / (i + 1 + before) for i, before in enumerate(found)) / max(
        len(planted), 1)
    top = labels[:k]
    return {"best": best, "recall@10": sum(1 for r in best.values() if r <= k) / len(planted),
            "precision@10": sum(1 for h in top if h) / max(len(top), 1), "AP": ap,
            "first_innocent": first_innocent}


def evaluate(name: str, params: WorldParams, show: int = 0) -> dict:
    """Generate, build and score one world; print one line (and the top rings)."""
    folder = Path(tempfile.mkdtemp(prefix="gk-rings-"))
    try:
        generate_world(folder, params)
        truth = _truth(folder)
        planted = {r for r in truth.values() if r}
        started = time.perf_counter()
        result = run_build(native_project(folder), show_progress=False)
        seconds = time.perf_counter() - started
        labels = ring_labels(result, truth)
        m = metrics(labels, planted)
        cpu = time.process_time()  # the ring stage again, on the build's own tables
        sharing = sharing_table(result.tables)
        shared_identifier_clusters(sharing, result.project.settings.max_identifier_share)
        find_rings(sharing, result.project.settings)
        m["ring_stage_cpu"] = time.process_time() - cpu
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024
        print(f"{name}: {params.people:,} people, seed {params.seed}, households "
              f"{params.household_rate}, ring scale {params.ring_scale}: {len(planted)} "
              f"planted, {len(result.rings):,} rings; recall@10 {m['recall@10']:.2f}, "
              f"precision@10 {m['precision@10']:.2f}, AP {m['AP']:.3f}; best ranks "
              + " ".join(f"{r}={m['best'].get(r, '-')}" for r in sorted(planted))
              + f"; first innocent rank {m['first_innocent']}; sharing+clusters+rings "
              f"{m['ring_stage_cpu']:.1f}s CPU (in the build, wall: clusters "
              f"{result.seconds['clusters']:.1f}s, rings "
              f"{result.seconds['rings']:.1f}s), build {seconds:.0f}s, peak RSS {rss:.2f} GB",
              flush=True)
        for rank, (ring, held) in enumerate(zip(result.rings, labels), start=1):
            if rank > show:
                break
            print(f"  {rank:3d} {','.join(sorted(held)) or 'innocent':10s} {ring.score:5.1f} "
                  f"({ring.points:g}) n={len(ring.members)}: "
                  + " | ".join(e.text()[:110] for e in ring.evidence[:4]))
        return m
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _custom(text: str) -> WorldParams:
    types = {f.name: f.type for f in fields(WorldParams)}
    values = {}
    for part in text.split(","):
        key, value = part.split("=")
        values[key] = float(value) if types[key] in ("float", float) else int(value)
    return replace(WorldParams(), **values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--worlds", nargs="+", default=list(WORLDS), choices=list(WORLDS))
    parser.add_argument("--custom", nargs="*", default=[],
                        help="extra worlds as key=value,… of WorldParams")
    parser.add_argument("--show", type=int, default=0, help="print the top N rings")
    args = parser.parse_args()
    runs = [(n, WORLDS[n]) for n in args.worlds] if not args.custom else []
    runs += [(f"custom-{i}", _custom(c)) for i, c in enumerate(args.custom)]
    for name, params in runs:
        evaluate(name, params, args.show)


if __name__ == "__main__":
    main()
