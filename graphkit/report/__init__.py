"""Reports a person reads: ``report.html`` (``html``)."""

from graphkit.report.html import render_report, ring_svg, write_report

__all__ = ["render_report", "ring_svg", "write_report"]
