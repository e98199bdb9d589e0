"""report.html's content: triage threshold and fold, member tables checked against the
demo's CSV files, every finding's records with a source file and line that hold them, raw
identifier values, labels cut at word boundaries, "and N more", what to check next, the
build footer, the nightly hook, and a byte-identical page for the same input."""

from __future__ import annotations

import copy
import csv
import hashlib
import os
import re
import subprocess
import sys
from collections import defaultdict
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from graphkit.manifest import read_manifest
from graphkit.pipeline import BuildResult, write_outputs
from graphkit.report import build_info, render_report, triage
from graphkit.report import html as report_html
from graphkit.report.facts import RingFacts, ring_facts
from graphkit.report.text import and_more, shorten
from graphkit.rings.detectors import DETECTORS, EXTRA_NEXT_STEPS, next_steps


class _Text(HTMLParser):
    """Visible text (no script or style) and the drawings' labels of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.labels: list[str] = []
        self.titles: list[str] = []
        self._in: list[str] = []

    def handle_starttag(self, tag, attrs):
        self._in.append(tag)

    def handle_endtag(self, tag):
        if self._in and self._in[-1] == tag:
            self._in.pop()

    def handle_data(self, data):
        where = self._in[-1] if self._in else ""
        if where in ("script", "style"):
            return
        if where == "text":
            self.labels.append(data)
        elif where == "title" and "circle" in self._in:
            self.titles.append(data)
        self.text.append(data)


def _page(build: BuildResult, **options) -> str:
    settings = build.project.settings
    return render_report(build.rings, "test", settings.report_rings,
                         min_score=options.pop("min_score", settings.report_min_score),
                         info=options.pop("info", build_info(build, "2026-01-02T03:04:05Z")),
                         **options)


def _section(page: str, ring_id: str) -> str:
    start = page.index(f"<section class='ring-section' id='{ring_id}'")
    return page[start:page.index("</section>", start)]


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _ring_with(build: BuildResult, pattern: str):
    return next(r for r in build.rings if any(e.pattern == pattern and e.weight > 0
                                               for e in r.evidence))


def test_triage_threshold_folds_low_scorers_with_a_count(demo_build):
    page = _page(demo_build)
    flagged = [r for r in demo_build.rings if r.score >= 40]
    folded = len(demo_build.rings) - len(flagged)
    assert 0 < len(flagged) < len(demo_build.rings)
    assert "Threshold: score ≥ <b>40</b>" in page
    assert f"{folded} groups scoring below 40, folded away" in page
    assert page.count("class='ring-row'") == len(flagged)
    assert page.count("<section class='ring-section'") == len(flagged)
    fold = page[page.index("<details class='folded'"):page.index("</details>")]
    assert " open" not in fold.split(">", 1)[0]  # closed until the reader opens it
    assert "household" in fold  # the demo's low scorers are households, said so
    summary = fold[:fold.index("</summary>")]
    assert sum(int(n.replace(",", "")) for n in re.findall(r"\(([\d,]+)\)", summary)) == folded
    assert fold.count("<tr><td>R") == folded
    # the threshold is a setting: lower it and everything is listed, nothing folded
    everything = _page(demo_build, min_score=0)
    assert everything.count("class='ring-row'") == len(demo_build.rings)
    assert "No group scores below the threshold." in everything


def test_threshold_setting_flows_from_the_project_to_the_report(demo_build, tmp_path):
    build = copy.copy(demo_build)
    build.project = copy.copy(demo_build.project)
    build.project.settings = demo_build.project.settings.with_overrides(report_min_score=70)
    write_outputs(build, tmp_path)
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    above = [r for r in demo_build.rings if r.score >= 70]
    assert "Threshold: score ≥ <b>70</b>" in page
    assert page.count("class='ring-row'") == len(above) >= 1
    assert "<code>report_min_score</code> 70" in page  # and the footer says so


def test_member_table_matches_the_demo_files(demo_build, demo_dir):
    ring = _ring_with(demo_build, "laptop_farm")
    table = ring_facts([ring]).members(ring)
    assert table["entity_id"].tolist() == ring.members
    entity_of = dict(zip(demo_build.people.entities["record_id"],
                         demo_build.people.entities["entity_id"]))
    paid: dict[str, float] = defaultdict(float)
    employer: dict[str, set[str]] = defaultdict(set)
    dates: dict[str, list[str]] = defaultdict(list)
    for row in _csv(demo_dir / "payroll.csv"):
        entity = entity_of.get(row["person_record_id"])
        paid[entity] += float(row["amount"])
        employer[entity].add(row["payer"])
        dates[entity].append(row["paid_at"][:10])
    for name, column in (("shipments.csv", "shipped_at"), ("logins.csv", "at")):
        for row in _csv(demo_dir / name):
            dates[entity_of.get(row["person_record_id"])].append(row[column][:10])
    roles = {entity_of[r["record_id"]]: r["role"] for r in _csv(demo_dir / "people.csv")}
    for row in table.itertuples():
        assert row.total_paid == f"{paid[row.entity_id]:,.2f} USD"
        assert row.employer == ", ".join(sorted(employer[row.entity_id]))
        assert (row.first_seen, row.last_seen) == (min(dates[row.entity_id]),
                                                    max(dates[row.entity_id]))
        assert row.role == roles[row.entity_id]
        assert row.sanctions == "not listed"
    page = _page(demo_build)
    section = _section(page, ring.ring_id)
    assert "<th>entity id</th><th>name</th><th>role</th><th>employer</th><th>first seen</th>" \
        "<th>last seen</th><th>total paid</th><th>sanctions</th>" in section


def test_sanctions_status_names_the_list_entry(demo_build):
    ring = _ring_with(demo_build, "sanctioned_person_name")
    table = ring_facts([ring]).members(ring)
    listed = table[table["sanctions"] != "not listed"]
    assert set(listed["entity_id"]) == set(demo_build.hits["record_id"]) & set(ring.members)
    assert len(listed) >= 1
    assert all(re.fullmatch(r"matches OFAC-SDN \d+ .+ \(score \d\.\d\d\)", s)
               for s in listed["sanctions"])


def test_every_finding_lists_records_whose_file_and_line_hold_them(demo_build, demo_dir):
    page = _page(demo_build)
    cells = re.findall(r"<tr><td>([^<]+)</td><td>(\w+)</td><td>([^<]+)</td>"
                       r"<td>([\w.]+):(\d+)</td></tr>", page)
    assert len(cells) > 50
    files: dict[str, list[str]] = {}
    for record, kind, _entity, name, line in cells:
        lines = files.setdefault(name, (demo_dir / name).read_text(
            encoding="utf-8").splitlines())
        assert lines[int(line) - 1].split(",")[0] == record, (name, line, record)
        assert name == f"{kind}.csv"
    n_findings = sum(len(r.evidence) for r in demo_build.rings if r.score >= 40)
    assert page.count("<div class='finding") == n_findings
    assert page.count("<table class='records'>") + page.count("no records named") == n_findings


def test_raw_values_not_normalised_keys(demo_build, demo_dir):
    page = _page(demo_build)
    text = _Text()
    text.feed(page)
    body = "".join(text.text)
    assert "|" not in body  # no address match key (street|city|region|postcode|country)
    ring = _ring_with(demo_build, "laptop_farm")
    farm = next(e for e in ring.evidence if e.pattern == "laptop_farm")
    shipped = {r["record_id"]: r for r in _csv(demo_dir / "shipments.csv")}
    row = shipped[farm.records[0]]
    raw = ", ".join(row[c] for c in ("street", "city", "region", "postcode", "country"))
    assert f"shipped to {raw}" in body
    assert any(raw.startswith(t.replace("…", "").rstrip()) for t in text.labels)


def test_drawing_labels_are_cut_at_word_boundaries(demo_build):
    text = _Text()
    text.feed(_page(demo_build, min_score=0))
    full = set(text.titles)
    cut = [label for label in text.labels if label.endswith("…")]
    assert cut  # the demo has long names and addresses
    for label in text.labels:
        source = next(t.split(": ", 1)[1] for t in full if t.split(": ", 1)[1].startswith(
            label.rstrip("…")))
        if label.endswith("…"):
            stem = label[:-1]
            # at a word boundary, unless one word (an email address) fills the room
            assert source[len(stem)] in " ," or " " not in stem, label
            assert len(label) <= 28
        else:
            assert label == source


@given(st.text(alphabet="ab ,.-", min_size=0, max_size=60), st.integers(4, 40))
def test_shorten_cuts_at_a_word_boundary(text, width):
    out = shorten(text, width)
    clean = " ".join(text.split())
    assert len(out) <= width
    if out == clean:
        return
    assert out.endswith("…")
    stem = out[:-1]
    assert clean.startswith(stem)
    if " " in clean[:width - 1].strip() and stem:
        assert clean[len(stem)] in " ,;:|/-" or " " not in stem


def test_cut_lists_say_and_n_more(demo_build, monkeypatch):
    assert and_more(["a", "b", "c"], 2) == "a, b, and 1 more"
    assert and_more(["a", "b"], 2) == "a, b"
    page = _page(demo_build)
    big = next(r for r in demo_build.rings if r.score >= 40 and len(r.members) > 4)
    row = page[page.index(f"data-id='{big.ring_id}'"):]
    assert f"and {len(big.members) - 4} more</td>" in row[:row.index("</tr>")]
    frame = pd.DataFrame({"record_id": [f"P{i}" for i in range(30)], "kind": "people",
                          "entity_id": "person:x", "file": "people.csv", "line": range(30)})
    facts = RingFacts(pd.DataFrame(), frame, {}, {}, None)
    assert "and 5 more (rings.json lists every record id)" in report_html._records_table(
        facts, list(range(30)))
    monkeypatch.setattr(triage, "FOLDED_ROWS", 10)
    folded = sum(r.score < 40 for r in demo_build.rings)
    assert f"and {folded - 10} more (all rings are in rings.csv)" in _page(demo_build)


def test_every_pattern_says_what_to_check_next(demo_build):
    patterns = {p for d in DETECTORS for p in d.pattern_names} | set(EXTRA_NEXT_STEPS)
    assert all(d.next_steps for d in DETECTORS)
    assert all(next_steps(p) for p in patterns)
    farm = " ".join(next_steps("laptop_farm"))
    assert "owns or rents the shipping address" in farm and "I-9" in farm
    assert "else whose equipment ships there" in farm
    found = {e.pattern for r in demo_build.rings for e in r.evidence}
    assert found <= patterns
    page = _page(demo_build)
    ring = _ring_with(demo_build, "laptop_farm")
    section = _section(page, ring.ring_id)
    assert "What to check next" in section
    assert all(step.replace("'", "&#x27;") in section for step in next_steps("laptop_farm"))


def test_footer_tells_date_inputs_lists_thresholds_and_hubs(demo_build, demo_dir):
    page = _page(demo_build)
    footer = page[page.index("<footer"):page.index("</footer>")]
    assert "Built 2026-01-02 (UTC)" in footer
    for name in ("people.csv", "payroll.csv", "shipments.csv", "logins.csv", "companies.csv"):
        digest = hashlib.sha256((demo_dir / name).read_bytes()).hexdigest()[:12]
        rows = len(_csv(demo_dir / name))
        assert re.search(rf"<td>{re.escape(name)}</td><td>\w+</td><td>{rows:,}</td>"
                         rf"<td><code>{digest}</code>", footer), name
    assert "ofac_sdn_2024-05-03.csv.gz (bundled)" in footer
    assert f"OFAC-SDN {len(demo_build.sanctions):,}" in footer
    for key in ("max_identifier_share", "report_min_score", "screen_threshold", "seed"):
        assert f"<code>{key}</code>" in footer
    hubs = demo_build.rings.hubs
    assert f"Hubs set aside (shared by more than 20 entities): {len(hubs)}" in footer
    top = max(hubs.items(), key=lambda kv: (kv[1], kv[0]))
    assert f": {top[1]} entities</li>" in footer
    assert str(demo_dir) not in page  # inputs go by file name, no machine path


def test_changes_hook_sits_at_the_top(demo_build):
    page = _page(demo_build, changes_html="<p id='news'>2 new rings</p>")
    assert page.index("<div id='changes'><p id='news'>2 new rings</p></div>") < \
        page.index("<section id='triage'>")
    assert "id='changes'" not in _page(demo_build)


def test_page_loads_nothing_from_anywhere(demo_build):
    page = _page(demo_build)
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert not re.search(r"(src|href)=['\"](https?:)?//", page)


def test_report_stays_small_showing_only_the_top_rings(demo_build):
    page = render_report(demo_build.rings, "t", 3, min_score=0)
    assert page.count("<section class='ring-section'") == 3
    assert page.count("class='ring-row'") == len(demo_build.rings)
    assert len(page.encode()) < 200_000


def test_same_input_gives_a_byte_identical_report(demo_dir, demo_build, tmp_path):
    """A build through the command line, in another process with its own hash seed, and
    the test session's build of the same input: identical report.html."""
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONHASHSEED": "1"}
    subprocess.run([sys.executable, "-m", "graphkit", "build", "--input", str(demo_dir),
                    "--out", str(out), "--quiet"], check=True, env=env,
                   capture_output=True, timeout=600)
    started = read_manifest(out)["started"]
    write_outputs(demo_build, tmp_path / "here", built=started)
    page = (out / "report.html").read_bytes()
    assert (tmp_path / "here" / "report.html").read_bytes() == page
    assert f"Built {started[:10]} (UTC)".encode() in page


def test_a_bare_graph_ring_renders_without_records(recwarn):
    import networkx as nx

    from graphkit.rings import find_rings

    g = nx.MultiDiGraph()
    for entity in ("person:a", "person:b", "person:c"):
        g.add_node(entity, label="Person", entity_id=entity, name=entity[-1].upper(),
                   aliases=[])
        g.add_edge(entity, "Phone:+15550100", key="HAS_PHONE", type="HAS_PHONE",
                   records=[entity])
    g.add_node("Phone:+15550100", label="Phone", value="+15550100", raw="555-0100")
    rings = find_rings(g)
    table = ring_facts(rings.top(1)).members(rings.top(1)[0])
    assert table["sanctions"].tolist() == ["not listed"] * 3
    assert set(table["employer"]) == set(table["total_paid"]) == {""}
    page = render_report(rings, "bare", min_score=0)
    assert "share phone 555-0100" in page and "no records named" in page  # no Record nodes
    assert [w for w in recwarn if issubclass(w.category, (FutureWarning, DeprecationWarning))
            or "fill value" in str(w.message)] == []


def test_vpn_finding_lists_the_members_vpn_logins(demo_build, demo_dir):
    ring = _ring_with(demo_build, "vpn_logins")
    item = next(e for e in ring.evidence if e.pattern == "vpn_logins")
    records = ring_facts([ring]).finding_records(ring, item)
    entity_of = dict(zip(demo_build.people.entities["record_id"],
                         demo_build.people.entities["entity_id"]))
    expected = {r["record_id"] for r in _csv(demo_dir / "logins.csv")
                if r["vpn"] == "true" and entity_of.get(r["person_record_id"]) in item.entities}
    assert set(records["record_id"]) == expected and expected
    assert set(records["file"]) == {"logins.csv"}


def test_readme_shows_the_triage_screenshot():
    repo = Path(__file__).resolve().parent.parent
    shot = repo / "docs" / "report-triage.png"
    assert "](docs/report-triage.png)" in (repo / "README.md").read_text(encoding="utf-8")
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and 20_000 < len(data) < 300_000


def test_report_of_a_huge_ring_stays_small():
    """A ring of 200 members, each with its record, cited by one finding: the page lists
    the first members and records and counts the rest, and stays small."""
    import networkx as nx

    from graphkit.graph.tables import tables_from_graph
    from graphkit.rings.model import Evidence, Ring, RingContext, Rings

    g = nx.MultiDiGraph()
    g.add_node("Phone:+15550100", label="Phone", value="+15550100", raw="555-0100")
    members, records = [], []
    for i in range(200):
        entity, record = f"person:p{i:04d}", f"p{i:04d}"
        g.add_node(entity, label="Person", entity_id=entity, name=f"Person {i}")
        g.add_node(f"Record:people:{record}", label="Record", record_id=record,
                   kind="people", file="people.csv", line=i + 2)
        g.add_edge(f"Record:people:{record}", entity, key="RESOLVED_TO", type="RESOLVED_TO")
        g.add_edge(entity, "Phone:+15550100", key="HAS_PHONE", type="HAS_PHONE")
        members.append(entity)
        records.append(record)
    item = Evidence("shared_phone", 20.0, "200 people share phone +15550100",
                    ("Phone:+15550100",), tuple(members), tuple(records))
    ring = Ring("R-huge", members, RingContext(tables_from_graph(g)), [item])
    page = render_report(Rings.ranked([ring], {}), "huge", min_score=0)
    assert "and 160 more (rings.json lists every member)" in page
    assert "and 175 more (rings.json lists every record id)" in page
    assert "share phone 555-0100" in page  # the raw value as read
    assert page.count("<td>people.csv:") == 25 and "<td>people.csv:2</td>" in page
    assert len(page.encode()) < 120_000


def _in_chunks(frame: pd.DataFrame, parts: int = 3) -> pd.DataFrame:
    """``frame`` with each Arrow column held in ``parts`` chunks (as a large build's are)."""
    from itertools import pairwise

    import numpy as np
    import pyarrow as pa

    cuts = np.linspace(0, len(frame), parts + 1).astype(int).tolist()
    out = {}
    for name in frame.columns:
        column = frame[name]
        if isinstance(column.dtype, pd.ArrowDtype):
            array = pa.chunked_array(column.array._pa_array).combine_chunks()
            column = pd.Series(pd.arrays.ArrowExtensionArray(pa.chunked_array(
                [array.slice(a, b - a) for a, b in pairwise(cuts)], array.type)),
                index=frame.index)
        out[name] = column
    return pd.DataFrame(out, index=frame.index)


def test_facts_and_names_of_tables_in_chunks_equal_those_in_one(demo_build):
    """Report facts and ring member names gather rows chunk by chunk: the same facts,
    names and page as from tables held in one chunk; names asked twice are looked up
    once (the second asking, for fewer rings, answered from the first)."""
    from graphkit.graph.tables import GraphTables
    from graphkit.rings.model import Ring, RingContext, Rings, member_names

    def rings_on(tables: GraphTables) -> Rings:
        context = RingContext(tables)
        return Rings.ranked([Ring(r.ring_id, r.members, context, r.evidence)
                             for r in demo_build.rings], demo_build.rings.hubs)

    tables = demo_build.rings.rings[0].context.tables
    whole = rings_on(GraphTables(tables.nodes, tables.relationships))
    parts = rings_on(GraphTables(_in_chunks(tables.nodes), _in_chunks(tables.relationships)))
    assert parts.rings[0].context.tables.nodes["key"].array._pa_array.num_chunks == 3
    one, three = ring_facts(whole.top(5)), ring_facts(parts.top(5))
    pd.testing.assert_frame_equal(one.entities, three.entities)
    pd.testing.assert_frame_equal(one.records, three.records)
    assert one.raw == three.raw and one.value == three.value
    assert whole.to_json() == parts.to_json()
    parts.rings[0].context._member_names = None  # as before any lookup
    everyone = member_names(parts.rings)
    assert member_names(parts.top(2)) is everyone  # answered from the first lookup
    # the names the rings stage gave its rings are those a lookup finds
    assert all(r.member_names is not None for r in demo_build.rings)
    assert member_names(demo_build.rings.rings) == {
        m: member_names(parts.rings)[m] for r in parts for m in r.members}
    assert render_report(whole, "t", 5, min_score=0) == render_report(parts, "t", 5,
                                                                      min_score=0)
