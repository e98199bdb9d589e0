"""An analyst's session with graphkit, cell by cell (``# %%`` cells run in VS Code, Jupyter
via jupytext, or as a plain script).

First build something to look at::

    graphkit build --demo --out out
    python examples/analyst.py out
"""

# %% Open the build: every table and the rings as the build wrote them
import sys

import graphkit

build = graphkit.open(sys.argv[1] if len(sys.argv) > 1 else "out")
print(build)
print(build.nodes["label"].value_counts().to_string())
print(f"{len(build.entities):,} entities, {len(build.records):,} records, "
      f"{len(build.rings):,} rings, {len(build.rings.hubs):,} hub identifiers")

# %% The ranked rings, then only the laptop farms and shared devices scoring 50 or more
print(build.rings.to_pandas().head(10)[["ring_id", "score", "n_members", "patterns"]]
      .to_string(index=False))
picked = build.rings.filter(pattern=["laptop_farm", "shared_device"], min_score=50)
print(picked.to_pandas()[["ring_id", "score", "names"]].to_string(index=False))

# %% One ring: who its members are, and every record behind it with its file and line
ring = build.rings.get(build.rings.top(1)[0].ring_id)
for item in ring.evidence:
    print(" ", item.text())
members = ring.members_df()
print(members[["entity", "name", "employers", "total_paid", "first_seen", "last_seen",
               "sanctions"]].to_string(index=False))
records = ring.records_df()
print(records[["entity", "record_id", "file", "line", "patterns"]].to_string(index=False))

# %% Which rings hold a given person, by entity id or by any of their record ids
record_id = records["record_id"].iloc[0]
print(record_id, "->", [r.ring_id for r in build.rings.of(record_id)])

# %% The ring's neighbourhood as networkx: two hops, hubs (big employers, carrier IPs) aside
around = ring.neighbourhood(hops=2)
everything = ring.neighbourhood(hops=2, exclude_hubs=False)
print(f"{around.number_of_nodes()} nodes without hubs, {everything.number_of_nodes()} with; "
      f"set aside: {sorted(around.graph['excluded_hubs'])[:3]}")
svg = ring.draw()  # the drawing of report.html (a notebook shows the ring itself)
print(f"drawing: {len(svg):,} characters of SVG")

# %% Cypher pack queries over one embedded engine, started once and stopped at the end
with graphkit.session(build.folder) as session:
    print(session.query("overview/node_counts").to_string(index=False))
    print(session.query("rings/shared_accounts", {"min_members": 3, "limit": 5})
          .to_string(index=False))
