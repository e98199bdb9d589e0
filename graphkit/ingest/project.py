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
    max_identifier_share: 20        # optional; any ``Settings`` field can be set here

Every key and type is checked against ``validation.PROJECT_SCHEMA`` before any data is
read; paths leaving the project folder are warned about (``allow_outside_paths: true``
accepts them silently).
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from graphkit.ingest.spec import LoaderSpec, load_spec
from graphkit.issues import InputError, IssueLog
from graphkit.lists.read import LIST_FORMATS
from graphkit.safeyaml import load_yaml
from graphkit.schema import Layout
from graphkit.settings import Settings
from graphkit.validation import PROJECT_SCHEMA, SETTING_FIELDS, check_mapping

SANCTION_FORMATS = tuple(LIST_FORMATS)


@dataclass
class Project:
    """A parsed project file."""

    name: str
    sources: list[tuple[Path, LoaderSpec]]
    sanctions: list[tuple[Path, str | None]] = field(default_factory=list)
    settings: Settings = field(default_factory=Settings)

    @property
    def programs(self) -> tuple[str, ...]:
        """Sanctions programs screened (owned by ``settings``)."""
        return self.settings.programs

    @property
    def max_identifier_share(self) -> int:
        """Hub threshold (owned by ``settings``)."""
        return self.settings.max_identifier_share


def _outside(base: Path, target: Path) -> bool:
    """True when ``target`` leaves the folder ``base`` (checked on the written path:
    ``..`` steps and absolute paths; symbolic links inside the folder are allowed)."""
    root = os.path.abspath(base)
    return os.path.commonpath([root, os.path.abspath(target)]) != root


def load_project(path: str | Path, log: IssueLog | None = None,
                 max_yaml_nodes: int | None = None) -> Project:
    """Read a project file and check it against ``validation.PROJECT_SCHEMA``; errors name
    the file and the key. A path that leaves the project folder (``../..``, an absolute
    path) is a warning in ``log`` unless the file sets ``allow_outside_paths: true``."""
    path = Path(path)
    if path.is_dir():
        raise InputError(f"project file {path}: is a folder, not a YAML file")
    data = load_yaml(path, "project file", max_yaml_nodes)
    if data is None:
        data = {}
    check_mapping(data, PROJECT_SCHEMA, path.name)
    base = path.parent
    allow_outside = bool(data.get("allow_outside_paths", False))

    def locate(value: object, key: str) -> Path:
        target = base / str(value)
        if _outside(base, target) and not allow_outside:
            message = (f"'{key}' path '{value}' leaves the project folder; read anyway "
                       "(set allow_outside_paths: true to accept such paths)")
            if log is not None:
                log.warn(path, None, key, message)
            else:
                warnings.warn(f"{path.name}: {message}", stacklevel=3)
        return target

    sources = []
    for i, entry in enumerate(data.get("sources") or [], start=1):
        loader = str(entry.get("loader") or Path(str(entry["file"])).stem)
        spec_ref: str | Path = loader
        if loader.endswith((".yml", ".yaml")):
            spec_ref = locate(loader, f"sources[{i}].loader")
        try:
            spec = load_spec(spec_ref, max_yaml_nodes)
        except InputError as exc:
            raise InputError(f"{path.name}: sources[{i}]: {exc}") from None
        sources.append((locate(entry["file"], f"sources[{i}].file"), spec))
    if not sources:
        raise InputError(f"{path.name}: no sources listed")
    sanctions = [(locate(entry["file"], f"sanctions[{i}].file"), entry.get("format"))
                 for i, entry in enumerate(data.get("sanctions") or [], start=1)]
    overrides = {key: data[key] for key in SETTING_FIELDS if data.get(key) is not None}
    if "programs" in overrides:
        if not overrides["programs"]:
            raise InputError(f"{path.name}: 'programs' is empty; list at least one pattern")
        overrides["programs"] = tuple(overrides["programs"])
    return Project(
        name=str(data.get("name") or path.stem),
        sources=sources,
        sanctions=sanctions,
        settings=Settings().with_overrides(**overrides),
    )


def _present(path: Path) -> bool:
    """A file is there, even when it is unusable (a link loop, a broken link): ingest
    refuses it with a clear error instead of the build quietly leaving it out."""
    return path.exists() or path.is_symlink()


def native_project(folder: str | Path) -> Project:
    """A project reading the native files present in ``folder`` (as the demo writes them)."""
    folder = Path(folder)
    sources = [(folder / f"{layout.value}.csv", load_spec(layout.value)) for layout in Layout
               if _present(folder / f"{layout.value}.csv")]
    return Project(name=folder.name, sources=sources)
