"""The parsed, program-selected sanctions entries of a build, cached in ``state/``.

Reading and normalising a published list costs seconds (the bundled SDN snapshot is
~15,000 entries parsed from CSV with their remarks); the entries screened are a few
hundred. ``state/sanctions.json`` holds them, with the issues reading them raised, under
a key of every list file's SHA-256 (an SDN CSV's ``alt``/``add`` companions too), its
format, the programs selected and a digest of the list-reading code. A build with
``--previous`` whose key is the same takes the entries from there; any other reads the
lists. JSON, not pickle: a build folder is data, never code to run.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

import pandas as pd

from graphkit.filedigest import file_digest
from graphkit.incremental.codedigest import code_digest
from graphkit.issues import ISSUE_COLUMNS, IssueLog

SANCTIONS_FILE = "sanctions.json"
#: Bumped whenever what the file holds changes.
LISTS_FORMAT = 1
_PACKAGES = ("lists", "text")
_MODULES = ("schema.py",)


@cache
def lists_code_identity() -> str:
    """A digest of the code that reads, normalises and selects sanctions entries."""
    return code_digest(f"lists-cache/{LISTS_FORMAT}", _PACKAGES, _MODULES)


def _list_files(path: Path, fmt: str | None) -> list[Path]:
    """The files one list entry reads: the file, and an SDN CSV's companions."""
    from graphkit.lists.ofac_csv import _sibling

    files = [path]
    if fmt in (None, "ofac-sdn-csv"):
        files += [p for p in (_sibling(path, "alt"), _sibling(path, "add")) if p is not None]
    return files


def lists_key(sanctions: list[tuple[Path, str | None]], programs: tuple[str, ...]) -> str:
    """The cache key of a project's lists: contents, formats, programs, code."""
    parts = [lists_code_identity(), repr(tuple(programs))]
    if not sanctions:
        from graphkit.lists.ofac_csv import BUNDLED_SDN

        with resources.as_file(resources.files("graphkit.data") / BUNDLED_SDN) as bundled:
            parts.append("bundled:" + file_digest(bundled).sha256)
    for path, fmt in sanctions:
        parts.append(f"{fmt}:" + ",".join(file_digest(p).sha256
                                          for p in _list_files(Path(path), fmt)))
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:32]


@dataclass
class ListsCache:
    """This build's sanctions entries (``frame``) and their issues, with the key they
    were read under; ``reused`` when they came from the previous build."""

    key: str
    frame: pd.DataFrame
    issues: pd.DataFrame
    reused: bool = False
    notes: list[str] = field(default_factory=list)

    def write(self, state_folder: Path) -> Path:
        """Write ``state_folder/sanctions.json``."""
        path = Path(state_folder) / SANCTIONS_FILE
        payload = {"format": LISTS_FORMAT, "key": self.key,
                   "columns": list(self.frame.columns),
                   "rows": self.frame.to_dict("split")["data"],
                   "issues": self.issues.astype(object).where(self.issues.notna(), None)
                   .to_dict("split")["data"]}
        path.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
        return path


def cached_sanctions(sanctions: list[tuple[Path, str | None]], programs: tuple[str, ...],
                     log: IssueLog, previous: Path | None,
                     load: Callable[[IssueLog], pd.DataFrame]) -> ListsCache:
    """The selected sanctions entries: from ``previous``'s ``state/sanctions.json`` when
    its key is this build's (issues replayed into ``log``), else ``load(log)``."""
    key = lists_key(sanctions, programs)
    notes: list[str] = []
    if previous is not None:
        path = Path(previous) / "state" / SANCTIONS_FILE
        try:
            payload = json.loads(path.read_text(encoding="utf-8"))
            if payload.get("format") == LISTS_FORMAT and payload.get("key") == key:
                frame = pd.DataFrame(payload["rows"], columns=payload["columns"])
                issues = pd.DataFrame(payload["issues"], columns=list(ISSUE_COLUMNS))
                rows = [(level, file, None if pd.isna(line) else int(line), column, message)
                        for level, file, line, column, message in issues.itertuples(
                            index=False)]  # all read before any reaches the build's log
                for row in rows:
                    log.add(*row)
                return ListsCache(key, frame, issues, reused=True)
            notes.append("sanctions lists, programs or list code changed since the previous "
                         "build: lists read again")
        except FileNotFoundError:
            notes.append(f"sanctions cache: {path} missing; lists read again")
        except (OSError, ValueError, KeyError, TypeError) as exc:
            notes.append(f"sanctions cache: {path} unreadable ({exc}); lists read again")
    scratch = IssueLog()
    frame = load(scratch)
    for issue in scratch.issues:
        log.add(issue.level, issue.file, issue.line, issue.column, issue.message)
    return ListsCache(key, frame, scratch.to_frame(), notes=notes)
