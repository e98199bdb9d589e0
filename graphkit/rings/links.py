"""Links between entities: a sparse, symmetric matrix of how strongly each pair shares.

Every identifier shared by 2 to ``max_share`` entities links each pair of its sharers with
``LINK_WEIGHTS[label] · ln(N / k)`` (N entities, k sharers): an account shared by two
counts far more than an IP shared by fifteen. A payer matching a sanctions entry links to
everyone it pays (a star), so its payees form a ring around it even when they share
nothing else. VPN exits link nobody: unrelated users share them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix, csr_matrix

from graphkit.rings.population import Population, entity_rows
from graphkit.rings.records import ends_of_type
from graphkit.schema import Label, Rel

#: How strongly sharing an identifier of each label links two entities.
LINK_WEIGHTS: dict[str, float] = {
    Label.ACCOUNT.value: 3.0, Label.DEVICE.value: 3.0, Label.DOCUMENT.value: 3.0,
    Label.PHONE.value: 2.0, Label.EMAIL.value: 2.0, Label.ADDRESS.value: 1.0,
    Label.IP.value: 0.5,
}
#: Link weight of a sanctioned payer to each payee, in units of ``ln N``.
STAR_WEIGHT = 3.0


def link_matrix(pop: Population, star_payers: np.ndarray) -> csr_matrix:
    """Symmetric link weights between entities, indexed by row of ``pop.entities``."""
    n = len(pop.entities)
    shared = pop.sharing.shared(pop.max_share)[["ident_id", "entity_id", "ident_label",
                                                "n_entities"]]
    shared = shared.drop_duplicates(["ident_id", "entity_id"])
    shared = shared[~shared["ident_id"].isin(pop.vpn_exits)]  # exits link nobody
    pairs = shared.merge(shared[["ident_id", "entity_id"]], on="ident_id")
    pairs = pairs[pairs["entity_id_x"] < pairs["entity_id_y"]]
    scale = np.log(max(n, 2) / pairs["n_entities"].to_numpy(float))
    weight = pairs["ident_label"].map(LINK_WEIGHTS).fillna(1.0).to_numpy(float) * np.maximum(
        scale, 0.1)
    a = _rows(pop, pairs["entity_id_x"])
    b = _rows(pop, pairs["entity_id_y"])
    pays = ends_of_type(pop.sharing.tables, Rel.PAYS.value)
    pays = pays[pays["start_id"].isin(star_payers).to_numpy(bool)]
    sa = _rows(pop, pays["start_id"])
    sb = _rows(pop, pays["end_id"])
    ok = ~(np.isnan(sa) | np.isnan(sb)) if len(sa) else np.zeros(0, bool)
    a = np.r_[a.astype(float), sa[ok].astype(float)].astype(np.int64)
    b = np.r_[b.astype(float), sb[ok].astype(float)].astype(np.int64)
    weight = np.r_[weight, np.full(int(ok.sum()), STAR_WEIGHT * np.log(max(n, 2)))]
    matrix = coo_matrix((np.r_[weight, weight], (np.r_[a, b], np.r_[b, a])), shape=(n, n))
    return matrix.tocsr()


def _rows(pop: Population, ids: pd.Series) -> np.ndarray:
    """Row of each entity id in ``pop.entities``, NaN where it is none (as a reindex of
    the rows by id gives them)."""
    rows = entity_rows(pop, ids.to_numpy(np.int64))
    return rows if not len(rows) or int(rows.min()) >= 0 else \
        np.where(rows >= 0, rows, np.nan)


__all__ = ["LINK_WEIGHTS", "STAR_WEIGHT", "link_matrix"]
