"""``report.html``: one self-contained page (no network needed) with the ranked rings, a
drawing of each ring's subgraph (inline SVG, nodes coloured by kind) and its evidence."""

from __future__ import annotations

import html
from pathlib import Path

import networkx as nx

from graphkit.rings import Ring, Rings

COLOURS = {
    "Person": "#1f77b4", "Company": "#9467bd", "Account": "#d62728", "Device": "#ff7f0e",
    "IP": "#7f7f7f", "Email": "#17becf", "Phone": "#bcbd22", "Address": "#2ca02c",
    "Document": "#8c564b", "Sanction": "#000000",
}
WIDTH, HEIGHT, PAD, LABEL_ROOM = 560, 360, 30, 150

_STYLE = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:1100px}
h1{font-size:1.5em} h2{font-size:1.15em;margin-top:2em}
table{border-collapse:collapse;margin:.5em 0} td,th{border:1px solid #ccc;padding:4px 8px;
text-align:left;vertical-align:top;font-size:.9em} .ring{display:flex;gap:1.5em;flex-wrap:wrap}
.legend span{display:inline-block;margin-right:1em} .dot{display:inline-block;width:.8em;
height:.8em;border-radius:50%;margin-right:.3em} svg{border:1px solid #ddd;background:#fafafa}
"""


def ring_svg(ring: Ring) -> str:
    """An inline SVG drawing of the ring's subgraph (deterministic layout)."""
    sub = ring.subgraph()
    simple = nx.Graph(sub.to_undirected())
    pos = nx.spring_layout(simple, seed=7) if len(simple) > 1 else {n: (0.0, 0.0)
                                                                    for n in simple}
    xs = [p[0] for p in pos.values()] or [0.0]
    ys = [p[1] for p in pos.values()] or [0.0]
    span_x, span_y = (max(xs) - min(xs)) or 1.0, (max(ys) - min(ys)) or 1.0

    def place(node: str) -> tuple[float, float]:
        x, y = pos[node]
        return (PAD + (x - min(xs)) / span_x * (WIDTH - 2 * PAD - LABEL_ROOM),
                PAD + (y - min(ys)) / span_y * (HEIGHT - 2 * PAD))

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
             f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" class="ring-graph" '
             f'aria-label="subgraph of ring {html.escape(ring.ring_id)}">']
    for a, b in simple.edges():
        (x1, y1), (x2, y2) = place(a), place(b)
        parts.append(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
                     'stroke="#999" stroke-width="1.2"/>')
    for node, attrs in sub.nodes(data=True):
        x, y = place(node)
        label = attrs.get("label", "")
        text = str(attrs.get("name") or attrs.get("value") or node)[:28]
        radius = 9 if label in ("Person", "Company", "Sanction") else 6
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{radius}" '
                     f'fill="{COLOURS.get(label, "#ccc")}"><title>{html.escape(label)}: '
                     f'{html.escape(str(node))}</title></circle>')
        parts.append(f'<text x="{x + 11:.1f}" y="{y + 4:.1f}" font-size="10">'
                     f'{html.escape(text)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _evidence_table(ring: Ring) -> str:
    rows = "".join(
        f"<tr><td>{html.escape(e.pattern)}</td><td>+{e.weight:g}</td>"
        f"<td>{html.escape(e.description)}"
        f"{'<br><i>explained: ' + html.escape(e.explained) + '</i>' if e.explained else ''}</td>"
        f"<td>{html.escape(', '.join(e.records[:12]))}</td></tr>" for e in ring.evidence)
    return ("<table class='evidence'><tr><th>pattern</th><th>weight</th><th>finding</th>"
            f"<th>records</th></tr>{rows}</table>")


def render_report(rings: Rings, title: str, limit: int = 50, changes_html: str = "") -> str:
    """The whole page as a string; ``changes_html`` (``report.changes.changes_section``)
    goes at the top when a build is compared with a previous one."""
    legend = "".join(f'<span><i class="dot" style="background:{c}"></i>{k}</span>'
                     for k, c in COLOURS.items())
    summary = "".join(
        f"<tr><td><a href='#{r.ring_id}'>{r.ring_id}</a></td><td>{r.score:g}</td>"
        f"<td>{len(r.members)}</td><td>{html.escape('; '.join(r.names[:6]))}</td>"
        f"<td>{html.escape(', '.join(sorted({e.pattern for e in r.evidence})))}</td></tr>"
        for r in rings.top(limit))
    sections = "".join(
        f"<section class='ring-section' id='{r.ring_id}'><h2>{r.ring_id} — score "
        f"{r.score:g}, {len(r.members)} members</h2><div class='ring'>{ring_svg(r)}"
        f"<div>{_evidence_table(r)}<p>Members: {html.escape('; '.join(r.names))}</p>"
        "</div></div></section>" for r in rings.top(limit))
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>"
            f"<h1>{html.escape(title)}</h1>{changes_html}"
            f"<p>{len(rings)} rings, the {min(limit, len(rings))}"
            " highest-scoring shown. A ring's score (0–100) grows with the sum of its evidence"
            " points; explained findings weigh nothing or little."
            f"</p><p class='legend'>{legend}</p><table class='summary'><tr><th>ring</th>"
            "<th>score</th><th>members</th><th>names</th><th>patterns</th></tr>"
            f"{summary}</table>{sections}</body></html>")


def write_report(rings: Rings, path: str | Path, title: str = "graphkit rings",
                 limit: int = 50, changes_html: str = "") -> None:
    """Write ``report.html`` (the ``limit`` highest-scoring rings; ``changes_html`` on
    top, see :func:`render_report`)."""
    Path(path).write_text(render_report(rings, title, limit, changes_html), encoding="utf-8")
