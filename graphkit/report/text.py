"""Text helpers of the report: labels shortened at a word boundary, lists cut with
"and N more", HTML escaping."""

from __future__ import annotations

import html
from collections.abc import Sequence

ELLIPSIS = "…"


def shorten(text: str, width: int) -> str:
    """``text`` cut to at most ``width`` characters at a word boundary, with an ellipsis
    (a single word longer than ``width`` is cut inside it, as nothing else fits)."""
    text = " ".join(str(text).split())
    if len(text) <= width:
        return text
    room = text[:width - 1]
    cut = room.rstrip(" ,;:|/-")
    space = max(cut.rfind(" "), cut.rfind(","))
    if space > 0:
        cut = cut[:space].rstrip(" ,;:|/-")
    return cut + ELLIPSIS


def and_more(items: Sequence[str], shown: int, sep: str = ", ") -> str:
    """The first ``shown`` items joined, then "and N more" for the rest (plain text)."""
    head = sep.join(str(i) for i in items[:shown])
    rest = len(items) - shown
    return f"{head}{sep if head else ''}and {rest:,} more" if rest > 0 else head


def esc(value: object) -> str:
    """HTML-escaped text of ``value`` (quotes too, so it is safe in attributes)."""
    return html.escape(str(value), quote=True)


def more_html(rest: int, where: str = "") -> str:
    """An "and N more" note for a cut list (HTML), naming where the rest is."""
    if rest <= 0:
        return ""
    tail = f" ({esc(where)})" if where else ""
    return f"<p class='more'>and {rest:,} more{tail}</p>"


__all__ = ["ELLIPSIS", "and_more", "esc", "more_html", "shorten"]
