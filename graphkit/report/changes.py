"""The "Changes since the previous build" section at the top of report.html."""

from __future__ import annotations

import html

from graphkit.nightly.changes import Changes

#: Rows of each kind shown in the report (all are in changes.csv).
ROWS_PER_KIND = 20


def changes_section(changes: Changes, rows_per_kind: int = ROWS_PER_KIND) -> str:
    """An HTML ``<section id='changes'>``: headline counts, then a table of the changes
    (at most ``rows_per_kind`` of each kind; all are in changes.csv)."""
    counts = {k: n for k, n in changes.counts().items() if n}
    heading = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in counts.items()) \
        or "no changes"
    shown: dict[str, int] = {}
    rows = []
    for row in changes.to_frame().to_dict("records"):
        shown[row["change"]] = shown.get(row["change"], 0) + 1
        if shown[row["change"]] > rows_per_kind:
            continue
        link = (f"<a href='#{html.escape(str(row['ring_id']))}'>"
                f"{html.escape(str(row['ring_id']))}</a>") if row["ring_id"] else ""
        rows.append(f"<tr><td>{html.escape(row['change'])}</td><td>{link}</td>"
                    f"<td>{html.escape(str(row['detail']))}</td>"
                    f"<td>{html.escape(str(row['evidence'])[:400])}</td></tr>")
    settings = ("<p>Settings changed: " + html.escape("; ".join(changes.settings_changed))
                + "</p>") if changes.settings_changed else ""
    return (f"<section id='changes'><h2>Changes since {html.escape(changes.old)}</h2>"
            f"<p>{html.escape(heading)} (all in changes.csv)</p>{settings}"
            "<table class='summary'><tr><th>change</th><th>ring</th><th>what</th>"
            f"<th>evidence</th></tr>{''.join(rows)}</table></section>")


__all__ = ["ROWS_PER_KIND", "changes_section"]
