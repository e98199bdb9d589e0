"""Screening accuracy and speed: graphkit against OpenSanctions' nomenklatura matchers and
a plain rapidfuzz WRatio baseline, on the same queries in the same run.

Queries come from ``screen_data`` (real SDN aliases, realistic variants of primary names,
innocent near-miss names from four Faker locales). graphkit screens each query against
the whole SDN list (all programs, names and aliases). nomenklatura's algorithms score the
same candidates graphkit's index proposes (FollowTheMoney entities built from the same
rows), their best candidate being their answer; WRatio scans every listed name. Printed
per tool: recall@1, and precision/recall/F1 at the tool's threshold, on all queries and
on the Korean-romanization subset, and names per second (nomenklatura's rows time its
scoring of candidates it is handed; graphkit's rows are shown with and without the time
spent generating those candidates). ``--speed N`` also screens N
innocent names (with repeats, as real data has) to time a large batch.

    python bench/screen_vs_nomenklatura.py [--seed 7] [--nk-sample 1500] [--speed 1000000]
"""

from __future__ import annotations

import argparse
import random
import resource
import time

import screen_data
from rapidfuzz import fuzz, process, utils

from graphkit.screen import DEFAULT_THRESHOLD, Screener
from graphkit.screen.index import bucket_of

NK_ALGORITHMS = ("logic-v1", "logic-v2", "name-based", "name-qualified", "ofac",
                 "regression-v1")
NK_THRESHOLD = 0.7  # yente's default match threshold
WRATIO_THRESHOLD = 90.0
_SCHEMA = {"person": "Person", "company": "Company", "vessel": "Vessel",
           "aircraft": "Airplane"}


def run_graphkit(screener: Screener, queries) -> tuple[list[tuple[str, float]], float, float]:
    """Best candidate per query, seconds in all, and seconds of those spent generating
    candidates (tokens and index look-ups: what nomenklatura is handed for free)."""
    spent = [0.0]
    for index in screener.index.buckets.values():
        plain = index.candidates

        def timed(tokens, *args, _plain=plain, **kwargs):
            started = time.perf_counter()
            try:
                return _plain(tokens, *args, **kwargs)
            finally:
                spent[0] += time.perf_counter() - started
        index.candidates = timed
    start = time.perf_counter()
    top = []
    for q in queries:
        hits = screener.screen_one(q.name, q.kind, threshold=0.0)
        top.append((hits[0]["list_id"], hits[0]["score"]) if hits else ("", 0.0))
    seconds = time.perf_counter() - start
    for index in screener.index.buckets.values():
        del index.candidates
    return top, seconds, spent[0]


def _ftm(model, schema: str, entity_id: str, names: list[str], dobs=(), countries=()):
    entity = model.make_entity(schema)
    entity.id = entity_id
    for name in names:
        entity.add("name", name)
    if schema == "Person":
        for dob in dobs:
            entity.add("birthDate", dob, quiet=True)
        for country in countries:
            entity.add("nationality", country, quiet=True)
    return entity


def run_nomenklatura(screener: Screener, queries, algorithms) -> dict[str, tuple[list, float]]:
    """For each algorithm: best candidate per query among graphkit's candidates, seconds."""
    from followthemoney import model
    from nomenklatura.matching import ScoringConfig, get_algorithm

    from graphkit.screen.score import listed_date

    entries = screener.sanctions.to_dict("records")
    cache: dict[int, object] = {}

    def listed(row: int):
        if row not in cache:
            e = entries[row]
            cache[row] = _ftm(model, _SCHEMA.get(e["kind"], "Company"), e["list_id"],
                              [e["name"], *e["aliases"], *e["weak_aliases"]],
                              [listed_date(d) for d in e["dobs"]],
                              e["nationalities"])
        return cache[row]

    cands = []
    for i, q in enumerate(queries):
        rows = list(dict.fromkeys(c.row for c in
                                  screener.name_candidates(q.name, bucket_of(q.kind))))
        query = _ftm(model, _SCHEMA[q.kind], f"q{i}", [q.name])
        cands.append((query, [listed(r) for r in rows]))
    out = {}
    for name in algorithms:
        algorithm, config = get_algorithm(name), ScoringConfig.defaults()
        start = time.perf_counter()
        top = []
        for query, listed_entities in cands:
            best = ("", 0.0)
            for entity in listed_entities:
                score = algorithm.compare(query, entity, config).score
                if score > best[1]:
                    best = (entity.id, score)
            top.append(best)
        out[name] = (top, time.perf_counter() - start)
    return out


def run_wratio(sdn, queries) -> tuple[list[tuple[str, float]], float]:
    """Best WRatio match over every listed name and alias."""
    names, ids = [], []
    for e in sdn.to_dict("records"):
        for n in [e["name"], *e["aliases"], *e["weak_aliases"]]:
            names.append(utils.default_process(n))
            ids.append(e["list_id"])
    start = time.perf_counter()
    top = []
    for q in queries:
        match = process.extractOne(utils.default_process(q.name), names, scorer=fuzz.WRatio)
        top.append((ids[match[2]], match[1]) if match else ("", 0.0))
    return top, time.perf_counter() - start


PROB_GRID = [round(0.05 * i, 2) for i in range(2, 20)]
WRATIO_GRID = [float(t) for t in range(60, 101, 2)]


def _row(tool, queries, top, threshold, same, seconds, grid=PROB_GRID) -> str:
    korean = [i for i, q in enumerate(queries) if q.korean]
    every = screen_data.evaluate(queries, top, threshold, same)
    sub = screen_data.evaluate([queries[i] for i in korean], [top[i] for i in korean],
                               threshold, same)
    return (f"| {tool} | {len(queries):,} | {every.recall_at_1:.3f} | {every.precision:.3f} | "
            f"{every.recall:.3f} | {every.f1:.3f} | {sub.recall_at_1:.3f} | {sub.precision:.3f} "
            f"| {sub.f1:.3f} | {best_f1(queries, top, same, grid)} | "
            f"{len(queries) / seconds:,.0f} |")


def speed(sdn, n: int, seed: int) -> None:
    """Screen ``n`` innocent names drawn from Faker (names repeat as they do in real data)."""
    import pandas as pd

    from graphkit.screen import screen

    made = time.perf_counter()
    batch = screen_data.innocents(n, seed)
    frame = pd.DataFrame({"record_id": [str(i) for i in range(n)],
                          "name": [q.name for q in batch], "kind": [q.kind for q in batch]})
    made = time.perf_counter() - made
    start = time.perf_counter()
    hits = screen(frame, sdn)
    seconds = time.perf_counter() - start
    print(f"\nspeed: {n:,} names ({frame['name'].nunique():,} distinct; made in {made:.0f} s) "
          f"screened against the full SDN list in {seconds:.1f} s "
          f"(index build included) = {n / seconds:,.0f} names/s; "
          f"{hits['record_id'].nunique():,} with a hit at {DEFAULT_THRESHOLD}; peak RSS "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB")


def best_f1(queries, top, same, thresholds) -> str:
    """The best F1 over ``thresholds``, and where."""
    score, at = max((screen_data.evaluate(queries, top, t, same).f1, t) for t in thresholds)
    return f"{score:.3f} at {at:g}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--aliases", type=int, default=2000)
    parser.add_argument("--variants", type=int, default=3000)
    parser.add_argument("--innocent", type=int, default=5000)
    parser.add_argument("--nk-sample", type=int, default=1500,
                        help="queries scored by nomenklatura and WRatio (they are slow)")
    parser.add_argument("--nk-algorithms", nargs="*", default=list(NK_ALGORITHMS))
    parser.add_argument("--speed", type=int, default=0, help="also time N names")
    args = parser.parse_args()

    sdn = screen_data.load_sdn()
    queries, dropped = screen_data.build_queries(sdn, args.aliases, args.variants,
                                                 args.innocent, args.seed)
    same = screen_data.equivalent_ids(sdn)
    start = time.perf_counter()
    screener = Screener(sdn)
    print(f"SDN: {len(sdn):,} entries, {screener.index.size:,} names and aliases indexed in "
          f"{time.perf_counter() - start:.1f} s; {len(queries):,} queries "
          f"({sum(bool(q.truth) for q in queries):,} positive, "
          f"{sum(q.korean for q in queries):,} in the Korean subset); "
          f"{dropped} innocent names dropped as exact namesakes of listed names\n")
    header = ("| tool | queries | recall@1 | precision | recall | F1 | Korean recall@1 | "
              "Korean precision | Korean F1 | best F1 (threshold) | names/s |\n| --- "
              + "| --- " * 10 + "|")
    print(header)
    top, seconds, candidate_seconds = run_graphkit(screener, queries)
    print(_row(f"graphkit (threshold {DEFAULT_THRESHOLD})", queries, top, DEFAULT_THRESHOLD,
               same, seconds), flush=True)
    sample = random.Random(args.seed).sample(range(len(queries)),
                                             min(args.nk_sample, len(queries)))
    sub = [queries[i] for i in sample]
    print(_row("graphkit, same sample", sub, [top[i] for i in sample], DEFAULT_THRESHOLD,
               same, seconds * len(sub) / len(queries)), flush=True)
    print(_row("graphkit, same sample, scoring only", sub, [top[i] for i in sample],
               DEFAULT_THRESHOLD, same,
               (seconds - candidate_seconds) * len(sub) / len(queries)), flush=True)
    for name, (nk_top, nk_seconds) in run_nomenklatura(screener, sub,
                                                       args.nk_algorithms).items():
        print(_row(f"nomenklatura {name} ({NK_THRESHOLD})", sub, nk_top, NK_THRESHOLD, same,
                   nk_seconds), flush=True)
    wr_top, wr_seconds = run_wratio(sdn, sub)
    print(_row(f"rapidfuzz WRatio ({WRATIO_THRESHOLD:.0f})", sub, wr_top, WRATIO_THRESHOLD,
               same, wr_seconds, WRATIO_GRID))
    if args.speed:
        speed(sdn, args.speed, args.seed + 2)


if __name__ == "__main__":
    main()
