"""Every pack query passes Neo4j's own Cypher parser and linter (npm
@neo4j-cypher/language-support) against what graphkit writes: Neo4j 5's built-in function
registry, the pack's parameters, graphkit's labels and relationship types, the property keys
and the (from, type, to) relationship triples of the demo build. A small pattern check here
covers what the linter leaves out: every ``(a:A)-[:T]->(b:B)`` segment, with the labels a
variable gets anywhere in the query's patterns, must be a triple the build holds. The npm
package is installed on first use."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from itertools import pairwise
from pathlib import Path

import pytest

from graphkit.graph import tables_from_graph
from graphkit.issues import InputError
from graphkit.schema import REL_TABLE_COLUMNS, Label, Rel
from graphkit.store.packs import list_queries, parse_query_file

REPO = Path(__file__).resolve().parent.parent
LINT_PREFIX = REPO / ".cypher-lint"
LINT_PACKAGE = "@neo4j-cypher/language-support@2.0.0-next.38"

Triple = tuple[str, str, str]
_NODE = re.compile(r"\(\s*(\w*)\s*((?::\s*\w+\s*)*)(?:\{[^{}]*\})?\s*\)")
_REL = re.compile(r"(<)?-(?:\[\s*\w*\s*(?::\s*([\w|\s]+?))?\s*(?:\{[^{}]*\})?\s*\])?-(>)?")


@pytest.fixture(scope="module")
def linter() -> Path:
    """The npm prefix holding the linter (installed by .ci/run, or here when missing)."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.fail("node and npm are needed to check the query packs with Neo4j's parser")
    if not (LINT_PREFIX / "node_modules" / "@neo4j-cypher" / "language-support").exists():
        subprocess.run(["npm", "install", "--prefix", str(LINT_PREFIX), "--no-audit",
                        "--no-fund", "--loglevel=error", LINT_PACKAGE], check=True)
    return LINT_PREFIX


@pytest.fixture(scope="module")
def written(demo_build) -> dict:
    """Property keys and (from, type, to) triples of the graph the demo build writes."""
    tables = tables_from_graph(demo_build.graph)
    nodes, rels = tables.nodes, tables.relationships
    properties = {c for c in nodes.columns if c != "node_id"} | \
        {c for c in rels.columns if c not in REL_TABLE_COLUMNS}
    label = dict(zip(nodes["key"], nodes["label"]))
    triples = {(label[s], t, label[e]) for s, t, e in zip(rels["start"], rels["type"],
                                                          rels["end"])}
    return {"properties": sorted(properties), "triples": sorted(triples)}


def _lint(prefix: Path, queries: list[dict], written: dict) -> dict[str, list[dict]]:
    payload = [{**q, "labels": [label.value for label in Label],
                "types": [rel.value for rel in Rel], **written} for q in queries]
    result = subprocess.run(["node", str(REPO / "tests" / "lint_cypher.cjs"), str(prefix)],
                            input=json.dumps(payload), capture_output=True, text=True,
                            check=True)
    return {r["ref"]: r["diagnostics"] for r in json.loads(result.stdout)}


def pattern_segments(cypher: str) -> list[tuple[set[str], tuple[str, ...], set[str], str]]:
    """``(left labels, types, right labels, direction)`` of every relationship segment of
    the query's patterns; a variable's labels are those it gets in any node pattern."""
    nodes = list(_NODE.finditer(cypher))
    labels: dict[str, set[str]] = {}
    for node in nodes:
        if node.group(1):
            found = {x.strip() for x in node.group(2).split(":") if x.strip()}
            labels.setdefault(node.group(1), set()).update(found)

    def labels_of(node: re.Match) -> set[str]:
        own = {x.strip() for x in node.group(2).split(":") if x.strip()}
        return own or labels.get(node.group(1), set())

    segments = []
    for left, right in pairwise(nodes):
        rel = _REL.fullmatch(cypher[left.end():right.start()].strip())
        if rel is None or not cypher[left.end():right.start()].strip():
            continue
        types = tuple(t.strip() for t in (rel.group(2) or "").split("|") if t.strip())
        direction = "<" if rel.group(1) else ">" if rel.group(3) else "-"
        segments.append((labels_of(left), types, labels_of(right), direction))
    return segments


def impossible_segments(cypher: str, triples: set[Triple]) -> list[str]:
    """Segments of ``cypher`` that no (from, type, to) triple of ``triples`` allows."""
    bad = []
    for left, types, right, direction in pattern_segments(cypher):
        ends = [(left, right)] if direction == ">" else [(right, left)] \
            if direction == "<" else [(left, right), (right, left)]
        if not any((not a or f in a) and (not types or t in types) and (not b or e in b)
                   for f, t, e in triples for a, b in ends):
            bad.append(f"({':'.join(sorted(left))}){direction}[:{'|'.join(types)}]"
                       f"({':'.join(sorted(right))})")
    return bad


def test_every_pack_query_lints_clean(linter, written):
    queries = [{"ref": q.ref, "cypher": q.cypher, "params": q.params} for q in list_queries()]
    assert len(queries) >= 19
    diagnostics = _lint(linter, queries, written)
    assert diagnostics == {q["ref"]: [] for q in queries}


def test_every_pack_pattern_is_a_written_triple(written):
    triples = {tuple(t) for t in written["triples"]}
    found = {q.ref: impossible_segments(q.cypher, triples) for q in list_queries()}
    assert found == {ref: [] for ref in found}
    assert sum(len(pattern_segments(q.cypher)) for q in list_queries()) >= 25
    farms = pattern_segments(next(q.cypher for q in list_queries()
                                  if q.ref == "rings/laptop_farms"))
    assert farms == [({"Person"}, ("SHIPS_TO",), {"Address"}, ">"),
                     ({"Person"}, ("LIVES_AT",), {"Address"}, ">")]


def test_the_linter_catches_real_mistakes(linter, written):
    found = _lint(linter, [
        {"ref": "undefined", "cypher": "MATCH (n:Person) RETURN m", "params": {}},
        {"ref": "syntax", "cypher": "MATCH (n:Person RETURN n", "params": {}},
        {"ref": "param", "cypher": "MATCH (n:Person) WHERE n.x = $nope RETURN n", "params": {}},
        {"ref": "label", "cypher": "MATCH (n:Persn) RETURN n", "params": {}},
        {"ref": "function", "cypher": "MATCH (n:Person) RETURN tolowr(n.name)", "params": {}},
        {"ref": "plugin", "cypher": "MATCH (n:Person) RETURN apoc.text.clean(n.name)",
         "params": {}},
        {"ref": "property", "cypher": "MATCH (n:Person) RETURN n.nmae", "params": {}},
        {"ref": "triple", "cypher": "MATCH (n:Person)-[:PAYS]->(c:Company) RETURN n.name",
         "params": {}},
        {"ref": "fine", "cypher": "MATCH (c:Company)-[:PAYS]->(n:Person) "
                                  "RETURN toLower(n.name), c.entity_id", "params": {}},
    ], written)
    assert found["fine"] == []
    for ref in ("undefined", "syntax", "param", "label", "function", "plugin", "property",
                "triple"):
        assert found[ref], ref
    assert "tolowr" in found["function"][0]["message"]
    assert "nmae" in found["property"][0]["message"]


def test_the_pattern_check_catches_what_the_linter_leaves(written):
    triples = {tuple(t) for t in written["triples"]}
    # the person's label comes from another pattern, the wrong one sits in a predicate
    query = ("MATCH (p:Person)-[:SHIPS_TO]->(a:Address) "
             "WHERE NOT (p)-[:LIVES_AT]->(:Account) RETURN a.value")
    assert impossible_segments(query, triples) == ["(Person)>[:LIVES_AT](Account)"]
    assert impossible_segments("MATCH (a:Account)<-[:HAS_ACCOUNT]-(c:Company)<--(r:Record) "
                               "RETURN c", triples) == []
    assert impossible_segments("MATCH (a:Account)--(s:Sanction) RETURN a", triples) == \
        ["(Account)-[:](Sanction)"]
    assert impossible_segments("MATCH (e)-[:WORKS_FOR|PAYS]->(d:Device) RETURN e", triples) \
        == ["()>[:WORKS_FOR|PAYS](Device)"]


def test_pack_headers_are_checked(tmp_path):
    path = tmp_path / "bad_write.cypher"
    path.write_text("// name: bad_write\n// description: d\n// params: (none)\n// returns: n\n"
                    "MATCH (n) DETACH DELETE n\n", encoding="utf-8")
    with pytest.raises(InputError, match="read-only"):
        parse_query_file(path, "x")
    path = tmp_path / "nohead.cypher"
    path.write_text("MATCH (n) RETURN n\n", encoding="utf-8")
    with pytest.raises(InputError, match="header line '// name:' missing"):
        parse_query_file(path, "x")
