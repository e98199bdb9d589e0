"""Rings: groups of entities joined by unusual shared identifiers, scored by named
evidence with a risk model calibrated on the population itself.

The flow (every step a table operation on the columnar graph):

1. ``sharing``: who shares what — one group-by over the relationships table;
2. ``population``: per-entity facts (names, dates of birth, ids, VPN use), who is one
   person recorded twice, and who lives together (households);
3. ``detectors``: the declared detectors (``DETECTORS``) run over the whole population and
   return findings, each with its benign explanation where one applies;
4. ``scoring``: each finding weighs by how surprising it is in this data;
5. ``links`` and ``communities``: a sparse link matrix, its connected components, large
   ones split with Leiden (seeded);
6. each ring gets the findings that fall inside it (``assemble``); ``model`` holds the
   rings.

What is local and what is global (for ``build --previous``, which today recomputes these
stages in full on the new tables, so its rings equal a full build's by construction):

* local to an identifier: its sharing count ``n_entities`` and whether it is a hub
  (``> max_identifier_share``) — but one new sharer anywhere turns it into a hub and cuts
  every component it joined; whether an IP is a VPN exit (its login records);
* local to a connected component of entities joined by non-hub identifiers, SAME_HOUSEHOLD
  and sanctioned-payer stars: one-person groups, households, the shared-identifier,
  laptop-farm, document-reuse, duplicate and paid-by-listed findings, clusters, and
  rings of components up to ``max_ring`` — except two global inputs: the set of company
  addresses (a laptop farm at any company site is explained) and the name-and-date-of-
  birth groups of ``name_dob_ids`` (they join entities that share no identifier);
* global: every finding's weight (``scoring.calibrate``: people caught per detector over
  ``n_people`` of the whole population), link weights ``ln(N / k)`` with N the entities
  of the whole build (so Leiden's split of a component larger than ``max_ring`` changes
  when an entity is added anywhere), VPN weights (a ring ranked against all rings), ranks,
  cluster ids and ring order.

So a per-component reuse must still build the sharing table and population facts of the
whole graph (to find changed components and the global statistics), rescore every reused
finding, re-split every large component and re-make every ``Evidence``: at 100k people
those whole-graph steps cost more than the per-component work they would save, which is
why this round made the steps themselves array operations instead.

>>> from graphkit.demo import generate_demo
>>> from graphkit.pipeline import run_build
>>> from graphkit.ingest.project import native_project
>>> import tempfile
>>> folder = tempfile.mkdtemp()
>>> _ = generate_demo(folder, seed=3, n_people=200)
>>> graph = run_build(native_project(folder), show_progress=False).graph
>>> found = find_rings(graph)
>>> top = found.top(1)[0]
>>> top.score > 50 and top.evidence[0].pattern in {d.name for d in DETECTORS}
True
>>> sorted(found.to_pandas().columns)[:3]
['evidence', 'members', 'n_members']
>>> import shutil; shutil.rmtree(folder)  # the demo files go with the example
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd

from graphkit.gcpause import gc_paused
from graphkit.graph.tables import GraphTables
from graphkit.intcodes import sorted_unique
from graphkit.rings.assemble import assemble_rings
from graphkit.rings.communities import communities
from graphkit.rings.detectors import DETECTORS, Detector, run_detectors
from graphkit.rings.links import link_matrix
from graphkit.rings.model import RING_COLUMNS, Evidence, Ring, Rings, score_of
from graphkit.rings.population import Population, build_population, entity_rows
from graphkit.rings.scoring import calibrate
from graphkit.rings.sharing import (
    Sharing,
    sanction_hits,
    shared_identifier_groups,
    sharing_table,
)
from graphkit.settings import DEFAULT_SETTINGS, Settings


def find_rings(source: GraphTables | nx.MultiDiGraph | Sharing,
               settings: Settings | None = None, **overrides) -> Rings:
    """Rings of the graph (tables, or a networkx graph), scored and ranked.

    Thresholds come from ``settings`` (``max_identifier_share``, ``max_ring``, ``seed``);
    keyword overrides of those fields are accepted for the analyst API.
    """
    settings = (settings or DEFAULT_SETTINGS).with_overrides(**overrides)
    with gc_paused():
        return _find_rings(source, settings)


def _find_rings(source: GraphTables | nx.MultiDiGraph | Sharing, settings: Settings
                ) -> Rings:
    sharing = source if isinstance(source, Sharing) else sharing_table(source)
    pop = build_population(sharing, settings.max_identifier_share,
                           settings.nat_min_households)
    findings = calibrate(run_detectors(pop), pop.n_people)
    stars = findings.loc[findings["pattern"] == "paid_by_sanctioned", "members"]
    payers = _star_payers(sharing, stars)
    groups = communities(link_matrix(pop, payers), settings.max_ring, settings.seed)
    groups += _lone_entities(pop, findings, groups)
    rings = assemble_rings(pop, findings, groups)
    hub_rows = sharing.hubs(settings.max_identifier_share)
    hubs = dict(zip(hub_rows["identifier"], hub_rows["entities"]))
    return Rings(rings, hubs)


def _star_payers(sharing: Sharing, stars: pd.Series) -> np.ndarray:
    hits = set(sanction_hits(sharing.tables)["entity_id"])
    return np.array(sorted({m for members in stars for m in members if m in hits}),
                    dtype=np.int64)


def _lone_entities(pop: Population, findings: pd.DataFrame,
                   groups: list[np.ndarray]) -> list[np.ndarray]:
    """Entities in no group that carry a weighty finding of their own (one merged person
    with several national ids, a listed name): rings of one."""
    members = findings["members"].tolist()
    sizes = np.fromiter(map(len, members), dtype=np.int64, count=len(members))
    alone = np.flatnonzero((sizes == 1) & (findings["weight"].to_numpy(float) > 0))
    ids = np.fromiter((members[f][0] for f in alone.tolist()), dtype=np.int64,
                      count=len(alone))
    rows = entity_rows(pop, ids)  # an array lookup, not an index of every entity's id
    if len(rows) and int(rows.min()) < 0:
        raise ValueError("a finding names an entity that is not in the population")
    grouped = np.zeros(len(pop.entities), dtype=bool)  # a mask, not a unique of the rows
    if groups:
        grouped[np.concatenate(groups)] = True
    return [np.array([r]) for r in sorted_unique(rows[~grouped[rows]]).tolist()]


__all__ = ["DETECTORS", "RING_COLUMNS", "Detector", "Evidence", "Ring", "Rings",
           "find_rings", "score_of", "shared_identifier_groups", "sharing_table"]
