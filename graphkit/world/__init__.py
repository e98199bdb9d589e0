"""Generated worlds: a hiring and payroll population with the sharing real life has and
planted rings, drawn from parameters (``WorldParams``: size, seed, rates, rings), with a
truth file. ``graphkit.demo`` is one such world with the six classic demo rings."""

from __future__ import annotations

from pathlib import Path

from graphkit.schema import NATIVE_COLUMNS, TRUTH_COLUMNS
from graphkit.world.base import Generator, companies, write_csv
from graphkit.world.params import WorldParams
from graphkit.world.planted import plant
from graphkit.world.population import Population, site_companies


def write_world(gen: Generator, out_dir: str | Path) -> dict[str, int]:
    """Write the generator's rows (shuffled) and ``truth.csv``; rows per file."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    counts = {}
    for layout, rows in gen.files.rows.items():
        gen.rng.shuffle(rows)
        write_csv(out / f"{layout.value}.csv", NATIVE_COLUMNS[layout], rows)
        counts[f"{layout.value}.csv"] = len(rows)
    truth = [{**t, "household_id": gen.household_of.get(t["person_id"], "")}
             for t in gen.files.truth]
    write_csv(out / "truth.csv", TRUTH_COLUMNS, truth)
    counts["truth.csv"] = len(gen.files.truth)
    return counts


def generate_world(out_dir: str | Path, params: WorldParams | None = None
                   ) -> dict[str, int]:
    """Write a world (five native files and ``truth.csv``) drawn from ``params``; the same
    parameters give the same files. Returns rows per file."""
    params = params or WorldParams()
    gen = Generator(params.seed)
    companies(gen)
    site_companies(gen)
    Population(gen, params).run()
    plant(gen, params.rings, params.ring_scale)
    return write_world(gen, out_dir)


__all__ = ["WorldParams", "generate_world", "write_world"]
