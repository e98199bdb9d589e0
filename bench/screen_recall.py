"""Screening recall per kind of variant, innocents alerted and speed: this checkout, and
optionally another one (``--base``, e.g. a worktree of an older commit), on the same
queries in the same run.

Queries come from ``screen_data`` (real SDN aliases, variants of primary names, innocent
near-miss names from four Faker locales). Each checkout screens them in a child process
of its own (its own ``graphkit`` on ``sys.path``) against the full SDN list it reads, and
reports its best candidate per query and the CPU seconds spent screening (index build timed
apart; CPU time, so that other load on a shared machine counts less). The parent scores
both with this checkout's ``screen_data.evaluate``. ``--rounds`` alternates the children
that many times and keeps each one's fastest round.

    python bench/screen_recall.py [--seed 7] [--base DIR] [--rounds 2]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections import defaultdict
from dataclasses import asdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
#: Variant kinds reported together as "typo" (one-letter errors of any sort).
TYPO_KINDS = ("typo", "swap", "substitution")


def _child(code_dir: str, queries_file: str, threshold: float) -> None:
    """Screen the queries with the ``graphkit`` in ``code_dir``; print JSON."""
    import time

    sys.path.insert(0, code_dir)
    from graphkit.lists import read_sdn
    from graphkit.screen import Screener

    queries = json.loads(Path(queries_file).read_text(encoding="utf-8"))
    started = time.perf_counter()
    shared = HERE.parents[1] / "shared" / "data" / "ofac" / "sdn.csv"
    screener = Screener(read_sdn(shared if shared.exists() else None))
    built = time.perf_counter() - started
    started, cpu = time.perf_counter(), time.process_time()
    top, alerts = [], []
    for q in queries:
        hits = screener.screen_one(q["name"], q["kind"], threshold=0.0)
        top.append((hits[0]["list_id"], hits[0]["score"]) if hits else ("", 0.0))
        alerts.append([h["list_id"] for h in hits if h["score"] >= threshold])
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(json.dumps({"top": top, "alerts": alerts, "seconds": seconds, "cpu": cpu,
                      "built": built}))


def run(code_dir: Path, queries_file: Path, threshold: float) -> dict:
    """Run one checkout's screener in a child process."""
    done = subprocess.run(
        [sys.executable, __file__, "--child", str(code_dir), str(queries_file),
         str(threshold)], capture_output=True, text=True, check=True, cwd=HERE)
    return json.loads(done.stdout.splitlines()[-1])


def report(label: str, queries, result: dict, same, threshold: float) -> None:
    """Per-variant recall and overall figures of one checkout."""
    import screen_data

    top = [tuple(t) for t in result["top"]]
    by_how: dict[str, list[int]] = defaultdict(list)
    for i, q in enumerate(queries):
        if q.truth:
            by_how[q.how].append(i)
            if q.how in TYPO_KINDS:
                by_how["typo (all one-letter errors)"].append(i)
            if q.korean:
                by_how["Korean (all)"].append(i)
    innocent = [i for i, q in enumerate(queries) if not q.truth]
    alerted = sum(bool(result["alerts"][i]) for i in innocent) / max(len(innocent), 1)
    every = screen_data.evaluate(queries, top, threshold, same)
    print(f"\n{label}: precision {every.precision:.3f}, recall {every.recall:.3f}, "
          f"F1 {every.f1:.3f}, recall@1 {every.recall_at_1:.3f}; innocents alerted "
          f"{alerted:.2%} of {len(innocent):,}; {len(queries) / result['cpu']:,.0f} "
          f"queries per CPU second ({len(queries) / result['seconds']:,.0f}/s wall clock; "
          f"index built in {result['built']:.1f} s)")
    print("| variant | positives | recall |\n| --- | --- | --- |")
    for how in sorted(by_how):
        idx = by_how[how]
        sub = screen_data.evaluate([queries[i] for i in idx], [top[i] for i in idx],
                                   threshold, same)
        print(f"| {how} | {len(idx):,} | {sub.recall:.3f} |")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        _child(sys.argv[2], sys.argv[3], float(sys.argv[4]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--aliases", type=int, default=2000)
    parser.add_argument("--variants", type=int, default=4000)
    parser.add_argument("--innocent", type=int, default=5000)
    parser.add_argument("--threshold", type=float, default=0.5)
    parser.add_argument("--base", type=Path, help="another checkout to run on the same queries")
    parser.add_argument("--rounds", type=int, default=1, help="alternating timed rounds")
    args = parser.parse_args()
    import screen_data

    sdn = screen_data.load_sdn()
    queries, dropped = screen_data.build_queries(sdn, args.aliases, args.variants,
                                                 args.innocent, args.seed)
    same = screen_data.equivalent_ids(sdn)
    print(f"{len(queries):,} queries ({sum(bool(q.truth) for q in queries):,} positive); "
          f"{dropped} innocent names dropped as exact namesakes")
    checkouts = {"this checkout": HERE.parent}
    if args.base:
        checkouts["base"] = args.base.resolve()
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        queries_file = Path(tmp) / "queries.json"
        queries_file.write_text(json.dumps([asdict(q) for q in queries]), encoding="utf-8")
        for _ in range(args.rounds):
            for label, code_dir in checkouts.items():
                result = run(code_dir, queries_file, args.threshold)
                if label not in results or result["cpu"] < results[label]["cpu"]:
                    results[label] = result
    for label, result in results.items():
        report(f"{label} ({checkouts[label]})", queries, result, same, args.threshold)
    if "base" in results:
        ratio = results["base"]["cpu"] / results["this checkout"]["cpu"]
        print(f"\nspeed of this checkout relative to base: {ratio:.2f}x in CPU time "
              f"(best of {args.rounds} alternating round(s) each; CPU time, as the "
              "machine may be shared)")


if __name__ == "__main__":
    main()
