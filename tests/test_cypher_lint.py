"""Every pack query passes Neo4j's own Cypher parser and linter (npm
@neo4j-cypher/language-support), with the pack's parameters and graphkit's labels and
relationship types declared. The package is installed with npm on first use."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from graphkit.issues import InputError
from graphkit.schema import Label, Rel
from graphkit.store.packs import list_queries, parse_query_file

REPO = Path(__file__).resolve().parent.parent
LINT_PREFIX = REPO / ".cypher-lint"
LINT_PACKAGE = "@neo4j-cypher/language-support@2.0.0-next.38"


@pytest.fixture(scope="module")
def linter() -> Path:
    """The npm prefix holding the linter (installed by .ci/run, or here when missing)."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.fail("node and npm are needed to check the query packs with Neo4j's parser")
    if not (LINT_PREFIX / "node_modules" / "@neo4j-cypher" / "language-support").exists():
        subprocess.run(["npm", "install", "--prefix", str(LINT_PREFIX), "--no-audit",
                        "--no-fund", "--loglevel=error", LINT_PACKAGE], check=True)
    return LINT_PREFIX


def _lint(prefix: Path, queries: list[dict]) -> dict[str, list[dict]]:
    payload = [{**q, "labels": [label.value for label in Label],
                "types": [rel.value for rel in Rel]} for q in queries]
    result = subprocess.run(["node", str(REPO / "tests" / "lint_cypher.cjs"), str(prefix)],
                            input=json.dumps(payload), capture_output=True, text=True,
                            check=True)
    return {r["ref"]: r["diagnostics"] for r in json.loads(result.stdout)}


def test_every_pack_query_lints_clean(linter):
    queries = [{"ref": q.ref, "cypher": q.cypher, "params": q.params} for q in list_queries()]
    assert len(queries) >= 13
    diagnostics = _lint(linter, queries)
    assert diagnostics == {q["ref"]: [] for q in queries}


def test_the_linter_catches_real_mistakes(linter):
    found = _lint(linter, [
        {"ref": "undefined", "cypher": "MATCH (n:Person) RETURN m", "params": {}},
        {"ref": "syntax", "cypher": "MATCH (n:Person RETURN n", "params": {}},
        {"ref": "param", "cypher": "MATCH (n:Person) WHERE n.x = $nope RETURN n", "params": {}},
        {"ref": "label", "cypher": "MATCH (n:Persn) RETURN n", "params": {}},
    ])
    assert all(found[ref] for ref in ("undefined", "syntax", "param", "label")), found


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
