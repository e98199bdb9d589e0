"""Stage accounting of a build (issue 15): background writers end within the stage that
starts them and their CPU is given in build.json; ``bench/scale.py`` prints wall and CPU
growth exponents and combines repeated runs."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

from graphkit.pipeline import BUILD_JSON, BuildResult
from graphkit.pipeline import write_outputs as write_build
from graphkit.progress import ThreadCpu

REPO = Path(__file__).resolve().parent.parent


def _spin(seconds: float) -> int:
    """Busy work for about ``seconds`` of CPU."""
    end, n = time.thread_time() + seconds, 0
    while time.thread_time() < end:
        n += 1
    return n


def test_thread_cpu_counts_the_work_of_its_tasks_on_their_own_thread() -> None:
    cpu = ThreadCpu()
    busy = threading.Thread(target=cpu.run, args=(_spin, 0.2))
    idle = threading.Thread(target=cpu.run, args=(time.sleep, 0.3))
    busy.start()
    idle.start()
    busy.join()
    idle.join()
    assert 0.2 <= cpu.seconds < 0.3  # the sleep's 0.3 s of wall is no CPU
    assert cpu.run(sum, [1, 2, 3]) == 6  # the task's answer is passed on


def test_ingest_cache_writes_end_in_the_ingest_stage(demo_build: BuildResult,
                                                     tmp_path: Path) -> None:
    reader = demo_build.state.ingest
    assert not reader.writing  # nothing left to overlap the stages after ingest
    ingest = demo_build.stages[0]
    assert ingest.name == "ingest"
    assert 0 < ingest.background_cpu_seconds <= ingest.cpu_seconds
    write_build(demo_build, tmp_path)
    record = json.loads((tmp_path / BUILD_JSON).read_text(encoding="utf-8"))
    stages = {s["name"]: s for s in record["stages"]}
    for stage in stages.values():
        assert 0 <= stage["background_cpu_seconds"] <= stage["cpu_seconds"] + 0.01
    assert stages["write"]["background_cpu_seconds"] > 0  # graph tables and state/
    assert stages["resolve"]["background_cpu_seconds"] == 0
    index = json.loads((tmp_path / "state" / "ingest" / "index.json").read_text(
        encoding="utf-8"))
    assert len(index["files"]) == len(demo_build.project.sources)  # every entry written


def test_scale_bench_prints_cpu_exponents_of_repeated_runs(tmp_path: Path) -> None:
    measured = tmp_path / "scale.json"
    run = subprocess.run(
        [sys.executable, str(REPO / "bench" / "scale.py"), "--sizes", "400", "800",
         "--generator", "fast", "--repeat", "2", "--pick", "median", "--work",
         str(tmp_path), "--json", str(measured)],
        capture_output=True, text=True, timeout=300, check=True)
    out = run.stdout
    assert "median of 2 runs per stage and figure" in out
    assert "checked on CPU seconds" in out and "n log n = 1.158" in out
    growth = out[out.index("growth exponent 400 → 800"):].splitlines()
    rows = {line.split()[0]: line.split()[1:] for line in growth[2:] if line.strip()}
    for stage in ("ingest", "resolve", "screen", "graph", "clusters", "rings", "write"):
        wall, cpu, verdict = rows[stage]
        assert wall == "-" or float(wall) == float(wall)  # a number, or '-' for ~0 s
        if cpu == "-":
            assert verdict == "-"
        elif abs(float(cpu) - 1.158) > 0.01:  # the CPU exponent decides, not the wall
            assert verdict == ("met" if float(cpu) < 1.158 else "MISSED")
    assert "outside" in rows and "total" in rows
    results = json.loads(measured.read_text(encoding="utf-8"))
    assert [r["people"] for r in results] == [400, 800]
    for r in results:
        assert len(r["runs"]) == 2
        assert r["wall_seconds"] == max(x["wall_seconds"] for x in r["runs"])
        for stage in r["stages"]:
            low, high = stage["spread_cpu"]
            assert low <= stage["cpu_seconds"] <= high
