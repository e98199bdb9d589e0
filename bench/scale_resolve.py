"""Resolution at scale: graphkit and Splink on the same people files, same run.

For each population size a people file is drawn by :func:`people_sets.faker_people`
(names and errors the resolver's rules did not write; ~1.5 records per person). Each
tool resolves it in a forked child process of its own, and the wall time, the CPU
seconds of all its threads (steadier than the wall time on a busy machine), the child's
peak resident memory and pairwise precision, recall and F1 against the truth are
printed, with graphkit's candidate pairs per record, its review pairs (and per 1,000
records) and the time of each of its stages (``block`` among them); then the growth
exponent of each figure between consecutive sizes (``log(b/a) / log(n_b/n_a)``).

    python bench/scale_resolve.py --people 20000 100000 1000000 --splink-max 100000

``bench/scale.py`` calls :func:`resolve_scale` and :func:`print_rows` for its resolve
part. Splink's DuckDB is given a memory limit (``--splink-memory``, default 6GB) and a
temporary folder to spill to, so it runs at a million people too; ``--splink-max`` keeps it
to the sizes wanted. ``--cache DIR`` keeps each generated people set there as Parquet and
reuses it. Needs the ``bench`` extra (splink, faker).
"""

from __future__ import annotations

import argparse
import itertools
import math
import resource
import time
from pathlib import Path

import numpy as np
import pandas as pd
from people_sets import faker_people
from resolve_vs_splink import SPLINK_MEMORY_LIMIT, _run_in_child, run_splink

from graphkit.resolve import resolve


def pairwise_scores(found: np.ndarray, truth: np.ndarray) -> tuple[float, float, float]:
    """Pairwise precision, recall and F1 of a clustering (labels per record) against the
    true labels, from group counts (no pair sets)."""
    def pairs(counts) -> float:
        counts = np.asarray(counts, dtype=np.float64)
        return float((counts * (counts - 1) / 2).sum())

    frame = pd.DataFrame({"found": pd.factorize(found)[0], "truth": pd.factorize(truth)[0]})
    tp = pairs(frame.groupby(["found", "truth"]).size())
    n_found, n_true = pairs(frame.groupby("found").size()), pairs(frame.groupby("truth").size())
    p = tp / n_found if n_found else 1.0
    r = tp / n_true if n_true else 1.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def people_set(n_people: int, seed: int = 11, cache: Path | None = None
               ) -> tuple[pd.DataFrame, np.ndarray]:
    """The people file of ``n_people`` people and the true person of every row, drawn by
    :func:`people_sets.faker_people`; with ``cache`` (a folder), read from
    ``faker-<n>-<seed>.parquet`` there when present, else drawn and saved there, so a
    million-person set is made once and reused."""
    path = cache / f"faker-{n_people}-{seed}.parquet" if cache else None
    if path is not None and path.exists():
        frame = pd.read_parquet(path)
        return frame.drop(columns="true_person"), frame["true_person"].to_numpy()
    people, person = faker_people(n_people, seed)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        people.assign(true_person=person).to_parquet(path, index=False)
    return people, person


def _graphkit(people: pd.DataFrame, _source) -> tuple[dict, float]:
    started, cpu = time.perf_counter(), time.process_time()
    result = resolve(people, review_budget=None)  # the whole band, not a queue
    seconds = time.perf_counter() - started
    entity = result.entities["entity_id"].to_numpy()
    return {"labels": entity, "cpu": time.process_time() - cpu, "pairs": len(result.blocking),
            "review": int((result.pairs["decision"] == "review").sum()),
            "stages": dict(result.stages)}, seconds


#: DuckDB's memory limit for Splink (``--splink-memory``), read by the forked child.
splink_memory = SPLINK_MEMORY_LIMIT


def _splink(people: pd.DataFrame, source) -> tuple[dict, float]:
    cpu = time.process_time()  # of every thread of the process (DuckDB's among them)
    clusters, seconds = run_splink(people, source, as_clusters=True,
                                   memory_limit=splink_memory)
    cpu = time.process_time() - cpu
    label = dict(zip(clusters.unique_id, clusters.cluster_id))
    return {"labels": people["record_id"].map(label).fillna(people["record_id"]).to_numpy(),
            "cpu": cpu}, seconds


def resolve_scale(sizes: list[int], splink_max: int = 100_000, timeout: int = 3600,
                  seed: int = 11, cache: Path | None = None) -> list[dict]:
    """One row per (size, tool): people, records, seconds, CPU seconds (of all the
    tool's threads), peak MiB, precision, recall, F1, and for graphkit candidate pairs,
    pairs per record, review pairs and stage seconds."""
    rows = []
    for n_people in sizes:
        people, person = people_set(n_people, seed, cache)
        tools = [("graphkit", _graphkit)] + ([("splink", _splink)]
                                             if n_people <= splink_max else [])
        for tool, run in tools:
            outcome = _run_in_child(run, people, None, timeout)
            row = {"people": n_people, "records": len(people), "tool": tool}
            if isinstance(outcome, str):
                rows.append({**row, "failed": outcome})
                print_rows(rows[-1:], header=False)
                continue
            found, seconds, peak = outcome
            p, r, f = pairwise_scores(found.pop("labels"), person)
            rows.append({**row, "seconds": seconds, "peak_mib": peak, "precision": p,
                         "recall": r, "f1": f, **found})
            print_rows(rows[-1:], header=len(rows) == 1)
    return rows


def print_rows(rows: list[dict], header: bool = True) -> None:
    """Print result rows as a table."""
    if header:
        print(f"{'people':>10}{'records':>10} {'tool':<9}{'seconds':>9}{'CPU s':>8}{'peak MiB':>9}"
              f"{'P':>7}{'R':>7}{'F1':>7}{'pairs/rec':>10}{'review':>9}{'rev/1k':>8}"
              "  stages (s)")
    for row in rows:
        start = f"{row['people']:>10,}{row['records']:>10,} {row['tool']:<9}"
        if "failed" in row:
            print(f"{start}{row['failed']}", flush=True)
            continue
        per = f"{row['pairs'] / row['records']:>10.2f}" if "pairs" in row else f"{'':>10}"
        review = f"{row['review']:>9,}{1000 * row['review'] / row['records']:>8.2f}" \
            if "review" in row else f"{'':>17}"
        stages = " ".join(f"{k} {v:.1f}" for k, v in row.get("stages", {}).items())
        cpu = f"{row['cpu']:>8.1f}" if "cpu" in row else f"{'':>8}"
        print(f"{start}{row['seconds']:>9.1f}{cpu}{row['peak_mib']:>9,.0f}{row['precision']:>7.3f}"
              f"{row['recall']:>7.3f}{row['f1']:>7.3f}{per}{review}  {stages}", flush=True)


def growth(rows: list[dict]) -> list[str]:
    """Growth exponents of time, memory, pairs and review pairs between consecutive sizes
    of each tool."""
    out = []
    for tool in dict.fromkeys(r["tool"] for r in rows):
        done = [r for r in rows if r["tool"] == tool and "failed" not in r]
        for a, b in itertools.pairwise(done):
            ratio = math.log(b["records"] / a["records"])

            def exp(key, a=a, b=b, ratio=ratio):
                return f"{math.log(max(b[key], 1e-9) / max(a[key], 1e-9)) / ratio:.2f}"
            parts = [f"time N^{exp('seconds')}", f"peak memory N^{exp('peak_mib')}"]
            if "pairs" in a:
                parts += [f"pairs N^{exp('pairs')}", f"review N^{exp('review')}"]
                parts += [f"{k} N^{math.log(max(b['stages'][k], 1e-3) / max(v, 1e-3)) / ratio:.2f}"
                          for k, v in a["stages"].items() if k in b["stages"]]
            out.append(f"{tool} {a['people']:,}→{b['people']:,} people: " + ", ".join(parts))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", nargs="+", type=int, default=[20_000, 100_000])
    parser.add_argument("--splink-max", type=int, default=100_000,
                        help="largest population Splink runs on (it needs ~20 GB at 1M)")
    parser.add_argument("--timeout", type=int, default=3600)
    parser.add_argument("--splink-memory", default=SPLINK_MEMORY_LIMIT,
                        help="DuckDB memory_limit for Splink; past it DuckDB spills to disk")
    parser.add_argument("--cache", type=Path, default=None,
                        help="folder keeping generated people sets (made once, then reused)")
    parser.add_argument("--make-only", action="store_true",
                        help="only make (and cache) the people sets")
    args = parser.parse_args()
    global splink_memory
    splink_memory = args.splink_memory
    if args.make_only:
        for n_people in args.people:
            people, _ = people_set(n_people, cache=args.cache)
            print(f"{n_people:,} people: {len(people):,} records")
        return
    rows = resolve_scale(args.people, args.splink_max, args.timeout, cache=args.cache)
    for line in growth(rows):
        print(line)
    print(f"(this process: peak {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f}"
          " MiB)")


if __name__ == "__main__":
    main()
