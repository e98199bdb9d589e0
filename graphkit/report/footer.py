"""The report's build footer: build date, inputs, sanctions-list versions, the settings
(thresholds) and the hubs set aside. Built from a ``BuildResult``; holds no wall-clock
time but the build date it is given (the manifest's ``started``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from graphkit.filedigest import sha256_of
from graphkit.report.text import esc, shorten

#: Hex digits of an input's SHA-256 shown (the manifest holds all 64).
HASH_CHARS = 12
#: Hubs listed by name in the footer (the rest counted).
HUBS_SHOWN = 10


@dataclass(frozen=True)
class InputFile:
    """One input of the build: role (source, sanctions), file name, how it was read
    (loader or list format), rows or entries read, and the start of its SHA-256."""

    role: str
    name: str
    read_as: str
    rows: int | None
    sha256: str


@dataclass(frozen=True)
class BuildInfo:
    """What the footer tells of a build."""

    built: str = ""
    project: str = ""
    inputs: tuple[InputFile, ...] = ()
    lists: dict[str, int] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    #: uncertain record pairs over the review budget, in one sentence ('' if none)
    review_note: str = ""


def build_date(started: str) -> str:
    """The day (``YYYY-MM-DD``, UTC) of a manifest's ``started`` time: the report shows
    the build's date, so two builds of one input on one day give identical reports."""
    return started[:10]


def _short_hash(path: Path) -> str:
    return sha256_of(path)[:HASH_CHARS] if path.is_file() else ""


def build_info(result: Any, built: str = "") -> BuildInfo:
    """The footer's facts of a ``pipeline.BuildResult`` built on ``built`` (a manifest
    ``started`` time, or ``""``). Inputs are named by file name only."""
    from graphkit.lists.ofac_csv import BUNDLED_SDN

    inputs = []
    for path, spec in result.project.sources:
        path = Path(path)
        frame = result.data.records[spec.layout]
        rows = int((frame["file"] == path.name).sum()) if "file" in frame else None
        inputs.append(InputFile("source", path.name, spec.name, rows, _short_hash(path)))
    for path, fmt in result.project.sanctions:
        path = Path(path)
        inputs.append(InputFile("sanctions", path.name, fmt or "detected", None,
                                _short_hash(path)))
    if not result.project.sanctions:
        with resources.as_file(resources.files("graphkit.data") / BUNDLED_SDN) as bundled:
            inputs.append(InputFile("sanctions", f"{BUNDLED_SDN} (bundled)", "ofac-sdn-csv",
                                    None, _short_hash(Path(bundled))))
    lists = {}
    if "list" in result.sanctions.columns:
        lists = {str(k): int(v) for k, v in
                 result.sanctions["list"].value_counts().sort_index().items()}
    review = getattr(result.people, "review", None)
    return BuildInfo(build_date(built), result.project.name, tuple(inputs), lists,
                     result.project.settings.to_dict(),
                     review.line() if review is not None else "")


def footer_html(info: BuildInfo | None, hubs: dict[str, int], raw: dict[str, str]) -> str:
    """The footer: build date and project, inputs, list versions, settings, hubs."""
    info = info or BuildInfo()
    parts = ["<footer id='build'><h2>About this build</h2>"]
    parts.append(f"<p>Built {esc(info.built) or 'on an unrecorded date'}"
                 f"{' (UTC)' if info.built else ''}"
                 f"{', project ' + esc(info.project) if info.project else ''}.</p>")
    if info.inputs:
        rows = "".join(
            f"<tr><td>{esc(i.role)}</td><td>{esc(i.name)}</td><td>{esc(i.read_as)}</td>"
            f"<td>{'' if i.rows is None else f'{i.rows:,}'}</td><td><code>{esc(i.sha256)}"
            "</code></td></tr>" for i in info.inputs)
        parts.append("<table class='inputs'><tr><th>input</th><th>file</th><th>read as</th>"
                     f"<th>rows</th><th>sha256</th></tr>{rows}</table>")
    if info.lists:
        parts.append("<p>Sanctions lists screened (entries after program selection): "
                     + ", ".join(f"{esc(k)} {v:,}" for k, v in info.lists.items())
                     + "; versions as the list files above (name and hash).</p>")
    if info.settings:
        items = "".join(f"<span><code>{esc(k)}</code> {esc(_setting(v))}</span>"
                        for k, v in info.settings.items())
        parts.append(f"<p class='settings'>Thresholds and limits: {items}</p>")
    parts.append(_hubs_html(hubs, raw, info.settings.get("max_identifier_share")))
    parts.append("</footer>")
    return "".join(parts)


def _setting(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return "auto" if value is None else str(value)


def _hubs_html(hubs: dict[str, int], raw: dict[str, str], share: Any) -> str:
    if not hubs:
        return "<p class='hubs'>Hubs set aside: none.</p>"
    ranked = sorted(hubs.items(), key=lambda kv: (-kv[1], kv[0]))
    shown = "".join(
        f"<li>{esc(key.split(':', 1)[0])} {esc(shorten(raw.get(key) or key.split(':', 1)[-1], 60))}"
        f": {n:,} entities</li>" for key, n in ranked[:HUBS_SHOWN])
    rest = len(ranked) - HUBS_SHOWN
    more = f"<li>and {rest:,} more</li>" if rest > 0 else ""
    limit = f" (shared by more than {share} entities)" if share else ""
    return (f"<div class='hubs'><p>Hubs set aside{limit}: {len(ranked):,}; they link no "
            f"ring.</p><ul>{shown}{more}</ul></div>")


__all__ = ["BuildInfo", "InputFile", "build_date", "build_info", "footer_html"]
