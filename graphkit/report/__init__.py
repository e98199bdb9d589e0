"""Reports a person reads: ``report.html`` (``html``: the page; ``triage``, ``facts``,
``drawing``, ``footer``: its parts)."""

from graphkit.report.footer import BuildInfo, build_info
from graphkit.report.html import render_report, ring_svg, write_report

__all__ = ["BuildInfo", "build_info", "render_report", "ring_svg", "write_report"]
