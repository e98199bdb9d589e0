"""Project files: which sources to load, through which loader specs, against which lists.

A project file is YAML; paths are relative to the project file::

    name: acme-hiring
    sources:
      - file: exports/candidates.csv
        loader: ats_export          # a bundled spec name, or a path to your own .yml
      - file: exports/payroll.csv
        loader: specs/our_payroll.yml
    sanctions:                      # optional; default: the bundled OFAC SDN snapshot
      - file: lists/sdn.csv
        format: ofac-sdn-csv        # or ofac-sdn-xml, un-sc-xml, ftm-json
    programs: ["dprk-nexus"]        # optional (program patterns, dprk-nexus or all);
                                    # default dprk-nexus: DPRK programs, or North Korea in
                                    # nationality, citizenship, address or remarks
    max_identifier_share: 20        # optional
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from graphkit.clusters import DEFAULT_MAX_SHARE
from graphkit.issues import InputError
from graphkit.loaderspec import LoaderSpec, load_spec
from graphkit.schema import Layout
from graphkit.sources.lists import LIST_FORMATS
from graphkit.sources.ofac_csv import DPRK_NEXUS

SANCTION_FORMATS = tuple(LIST_FORMATS)


@dataclass
class Project:
    """A parsed project file."""

    name: str
    sources: list[tuple[Path, LoaderSpec]]
    sanctions: list[tuple[Path, str | None]] = field(default_factory=list)
    programs: tuple[str, ...] = (DPRK_NEXUS,)
    max_identifier_share: int = DEFAULT_MAX_SHARE


def load_project(path: str | Path) -> Project:
    """Read and check a project file; errors name the file and the entry."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise InputError(f"project file {path}: cannot read: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise InputError(f"project file {path.name}: not valid YAML: {exc}") from None
    base = path.parent
    sources = []
    for i, entry in enumerate(data.get("sources") or [], start=1):
        if not isinstance(entry, dict) or "file" not in entry:
            raise InputError(f"{path.name}: sources[{i}] needs a 'file'")
        loader = str(entry.get("loader") or Path(entry["file"]).stem)
        spec_ref: str | Path = loader
        if loader.endswith((".yml", ".yaml")):
            spec_ref = base / loader
        sources.append((base / entry["file"], load_spec(spec_ref)))
    if not sources:
        raise InputError(f"{path.name}: no sources listed")
    sanctions = []
    for i, entry in enumerate(data.get("sanctions") or [], start=1):
        fmt = entry.get("format")  # None: detected from the file
        if fmt is not None and fmt not in SANCTION_FORMATS:
            raise InputError(f"{path.name}: sanctions[{i}]: unknown format '{fmt}' "
                             f"(known: {', '.join(SANCTION_FORMATS)})")
        sanctions.append((base / entry["file"], fmt))
    return Project(
        name=str(data.get("name") or path.stem),
        sources=sources,
        sanctions=sanctions,
        programs=tuple(data.get("programs") or (DPRK_NEXUS,)),
        max_identifier_share=int(data.get("max_identifier_share", DEFAULT_MAX_SHARE)),
    )


def native_project(folder: str | Path) -> Project:
    """A project reading the native files present in ``folder`` (as the demo writes them)."""
    folder = Path(folder)
    sources = [(folder / f"{layout.value}.csv", load_spec(layout.value)) for layout in Layout
               if (folder / f"{layout.value}.csv").exists()]
    return Project(name=folder.name, sources=sources)
