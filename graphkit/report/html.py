"""``report.html``: one self-contained page (no network needed, inline style and script)
that goes from "who and why" to "what next": a triage view of the rings above a score
threshold (low scorers folded away), then for the top rings a drawing, a member table,
every finding with its records (source file and line) and what to check next, and a build
footer. The same input gives a byte-identical page."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from graphkit.report.drawing import legend_html, ring_svg, subgraph_svg
from graphkit.report.facts import MEMBER_COLUMNS, RingFacts, ring_facts
from graphkit.report.footer import BuildInfo, footer_html
from graphkit.report.text import esc, more_html
from graphkit.report.triage import SCRIPT, patterns_of, split, triage_html
from graphkit.rings import Evidence, Ring, Rings
from graphkit.rings.detectors import next_steps
from graphkit.settings import DEFAULT_SETTINGS

#: Records listed per finding (the rest counted; rings.json lists every record id).
RECORDS_SHOWN = 25
#: Members listed per ring's member table.
MEMBERS_SHOWN = 40

#: The page may load nothing: no network, no other file.
CSP = ("default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
       "img-src data:")

_STYLE = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:1150px}
h1{font-size:1.5em} h2{font-size:1.15em;margin-top:2em} h3{font-size:1em;margin:1em 0 .3em}
table{border-collapse:collapse;margin:.5em 0} td,th{border:1px solid #ccc;padding:3px 7px;
text-align:left;vertical-align:top;font-size:.85em} .ring{display:flex;gap:1.5em;flex-wrap:wrap}
.legend span{display:inline-block;margin-right:1em} .dot{display:inline-block;width:.8em;
height:.8em;border-radius:50%;margin-right:.3em} svg{border:1px solid #ddd;background:#fafafa}
th button{font:inherit;font-weight:bold;border:0;background:none;cursor:pointer;padding:0}
th button:after{content:" \\2195";color:#888} .threshold b{font-size:1.1em}
details.folded{margin:1em 0;padding:.5em;background:#f4f4f4} details.folded summary{cursor:pointer}
.finding{margin:.8em 0;padding:.4em .8em;border-left:4px solid #d62728;background:#fff8f8}
.finding.explained{border-left-color:#2ca02c;background:#f6fbf6} .more{color:#555;margin:.2em 0}
.next{background:#fffbe6;border:1px solid #e8d98a;padding:.4em 1em;margin:.8em 0}
footer{margin-top:3em;border-top:2px solid #ccc;font-size:.85em;color:#333}
.settings span{display:inline-block;margin-right:1.2em} [hidden]{display:none!important}
"""


def _members_table(facts: RingFacts, ring: Ring) -> str:
    rows = "".join("<tr>" + "".join(f"<td>{esc(v)}</td>" for v in row) + "</tr>"
                   for row in facts.member_rows(ring)[:MEMBERS_SHOWN])
    head = "".join(f"<th>{c.replace('_', ' ')}</th>" for c in MEMBER_COLUMNS)
    return (f"<h3>Members</h3><table class='members'><tr>{head}</tr>{rows}</table>"
            f"{more_html(len(ring.members) - MEMBERS_SHOWN, 'rings.json lists every member')}")


def _records_table(facts: RingFacts, rows: list[int]) -> str:
    if not rows:
        return "<p class='more'>no records named</p>"
    column = facts.columns()
    record_id, kind, entity_id = column["record_id"], column["kind"], column["entity_id"]
    file, line = column["file"], column["line"]
    cells = "".join(
        f"<tr><td>{esc(record_id[i])}</td><td>{esc(kind[i])}</td><td>{esc(entity_id[i])}</td>"
        f"<td>{esc(file[i])}:{'' if line[i] is pd.NA else int(line[i])}</td></tr>"
        for i in rows[:RECORDS_SHOWN])
    return ("<table class='records'><tr><th>record</th><th>kind</th><th>entity</th>"
            f"<th>source file:line</th></tr>{cells}</table>"
            f"{more_html(len(rows) - RECORDS_SHOWN, 'rings.json lists every record id')}")


def _finding(facts: RingFacts, ring: Ring, item: Evidence) -> str:
    explained = (f"<br><i>explained: {esc(item.explained)}</i>" if item.explained else "")
    css = "finding explained" if item.explained or item.weight == 0 else "finding"
    return (f"<div class='{css}' data-pattern='{esc(item.pattern)}'><b>{esc(item.pattern)}"
            f"</b> (+{item.weight:g} points): {esc(facts.description(item))}{explained}"
            f"{_records_table(facts, facts.finding_rows(ring, item))}</div>")


def _next_steps(ring: Ring) -> str:
    items = []
    for pattern in patterns_of(ring):
        steps = next_steps(pattern)
        if steps:
            items.append(f"<li><b>{esc(pattern)}</b><ul>"
                         + "".join(f"<li>{esc(s)}</li>" for s in steps) + "</ul></li>")
    return (f"<div class='next'><h3>What to check next</h3><ul>{''.join(items)}</ul></div>"
            if items else "")


def _section(facts: RingFacts, ring: Ring, seed: int) -> str:
    return (f"<section class='ring-section' id='{ring.ring_id}' "
            f"data-patterns='{esc(' '.join(patterns_of(ring)))}'>"
            f"<h2>{ring.ring_id} — score {ring.score:g}, {len(ring.members)} members</h2>"
            f"<div class='ring'>{subgraph_svg(ring.ring_id, *facts.drawing(ring), seed)}"
            f"<div>{_next_steps(ring)}</div></div>{_members_table(facts, ring)}"
            "<h3>Findings</h3>" + "".join(_finding(facts, ring, e) for e in ring.evidence)
            + "</section>")


def render_report(rings: Rings, title: str, limit: int = 50, *,
                  min_score: float | None = None, info: BuildInfo | None = None,
                  seed: int | None = None, changes_html: str = "") -> str:
    """The whole page as a string: triage (rings scoring ``min_score`` or more; default
    ``Settings.report_min_score``), the ``limit`` highest of them in detail, the footer.

    ``changes_html`` is placed at the top, before the triage (a nightly build's "changes
    since the previous build"); ``seed`` seeds the drawings' layout.
    """
    min_score = DEFAULT_SETTINGS.report_min_score if min_score is None else min_score
    seed = DEFAULT_SETTINGS.seed if seed is None else seed
    flagged, folded = split(list(rings), min_score)
    detailed = flagged[:limit]
    facts = ring_facts(detailed or rings.top(1), also=sorted(rings.hubs))
    sections = "".join(_section(facts, r, seed) for r in detailed)
    changes = f"<div id='changes'>{changes_html}</div>" if changes_html else ""
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            f"<meta http-equiv='Content-Security-Policy' content=\"{CSP}\">"
            f"<title>{esc(title)}</title><style>{_STYLE}</style></head><body>"
            f"<h1>{esc(title)}</h1>{changes}<p>{len(rings):,} rings; "
            f"{len(flagged):,} score {min_score:g} or more, the {len(detailed):,} highest"
            " shown in detail below. A ring's score (0–100) grows with the sum of its"
            " evidence points; explained findings weigh nothing or little.</p>"
            f"{_review_note(info)}"
            f"{triage_html(flagged, folded, min_score, {r.ring_id for r in detailed})}"
            f"<p class='legend'>{legend_html()}</p>{sections}"
            f"{footer_html(info, rings.hubs, facts.raw)}"
            f"<script>{SCRIPT}</script></body></html>")


def _review_note(info: BuildInfo | None) -> str:
    """One line on the uncertain pairs left over the review budget ('' if none)."""
    return f"<p class='review'>{esc(info.review_note)}.</p>" if info and info.review_note \
        else ""


def write_report(rings: Rings, path: str | Path, title: str = "graphkit rings",
                 limit: int = 50, **options) -> None:
    """Write ``report.html`` (options as :func:`render_report`)."""
    Path(path).write_text(render_report(rings, title, limit, **options), encoding="utf-8")


__all__ = ["CSP", "render_report", "ring_svg", "write_report"]
