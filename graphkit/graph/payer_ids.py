"""The entity id of a payer known only by name: one rule, for the table builder
(``graph.columns.payer_company``) and the graph's public helpers (``graph.build``)."""

from __future__ import annotations

from graphkit.text.normalize import company_key


def payer_entity_id(payer: str) -> str:
    """Entity id of a payer known only by name in payroll (not in companies.csv):
    ``company:name:`` and its suffix-free name (the name itself when that is empty)."""
    return f"company:name:{company_key(payer) or payer}"


__all__ = ["payer_entity_id"]
