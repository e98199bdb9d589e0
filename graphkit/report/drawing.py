"""A ring's drawing: an inline SVG of its subgraph, laid out with a seeded spring layout
(the same input gives the same picture, byte for byte)."""

from __future__ import annotations

import networkx as nx

from graphkit.report.text import esc, shorten
from graphkit.rings import Ring
from graphkit.settings import DEFAULT_SETTINGS

COLOURS = {
    "Person": "#1f77b4", "Company": "#9467bd", "Account": "#d62728", "Device": "#ff7f0e",
    "IP": "#7f7f7f", "Email": "#17becf", "Phone": "#bcbd22", "Address": "#2ca02c",
    "Document": "#8c564b", "Sanction": "#000000",
}
WIDTH, HEIGHT, PAD, LABEL_ROOM = 560, 360, 30, 150
#: Characters of a node's label in the drawing (cut at a word boundary).
LABEL_CHARS = 28


def node_label(node: str, attrs: dict) -> str:
    """What a node shows: an entity's or entry's name, an identifier's raw value as read
    (not its normalised key), else the key."""
    for key in ("name", "raw", "value"):
        value = attrs.get(key)
        if isinstance(value, str) and value:
            return value
    return str(node)


def ring_svg(ring: Ring, seed: int = DEFAULT_SETTINGS.seed) -> str:
    """An inline SVG drawing of the ring's subgraph (spring layout seeded by ``seed``)."""
    sub = ring.subgraph()
    return subgraph_svg(ring.ring_id, list(sub.nodes()), list(sub.edges()),
                        {node: sub.nodes[node] for node in sub.nodes()}, seed)


def subgraph_svg(ring_id: str, nodes: list[str], edges: list[tuple[str, str]],
                 attrs: dict[str, dict], seed: int = DEFAULT_SETTINGS.seed) -> str:
    """The SVG of :func:`ring_svg` from a subgraph's node keys, its (start, end) edges
    and each node's attributes (``label``, ``name``, ``raw``, ``value``)."""
    simple = nx.Graph()
    simple.add_nodes_from(sorted(nodes))
    simple.add_edges_from(sorted(tuple(sorted((a, b))) for a, b in edges if a != b))
    pos = nx.spring_layout(simple, seed=seed) if len(simple) > 1 else {n: (0.0, 0.0)
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
             f'aria-label="subgraph of ring {esc(ring_id)}">']
    for a, b in simple.edges():
        (x1, y1), (x2, y2) = place(a), place(b)
        parts.append(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
                     'stroke="#999" stroke-width="1.2"/>')
    for node in simple.nodes():
        x, y = place(node)
        label = attrs[node].get("label", "")
        full = node_label(node, attrs[node])
        radius = 9 if label in ("Person", "Company", "Sanction") else 6
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{radius}" '
                     f'fill="{COLOURS.get(label, "#ccc")}"><title>{esc(label)}: '
                     f'{esc(full)}</title></circle>')
        parts.append(f'<text x="{x + 11:.1f}" y="{y + 4:.1f}" font-size="10">'
                     f'{esc(shorten(full, LABEL_CHARS))}</text>')
    parts.append("</svg>")
    return "".join(parts)


def legend_html() -> str:
    """The colour legend of the drawings."""
    return "".join(f'<span><i class="dot" style="background:{c}"></i>{k}</span>'
                   for k, c in COLOURS.items())


__all__ = ["COLOURS", "legend_html", "node_label", "ring_svg", "subgraph_svg"]
