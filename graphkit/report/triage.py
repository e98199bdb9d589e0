"""The report's triage view: rings at or above the score threshold listed (sortable and
filterable by pattern inside the page), those below it folded away with a count and the
reason that explains most of them. The page script is inline: no network."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from graphkit.report.text import and_more, esc, more_html, shorten
from graphkit.rings import Ring
from graphkit.rings.model import member_names

#: Rings listed in the triage table (the rest counted; all are in rings.csv).
TRIAGE_ROWS = 500
#: Folded (low-score) rings listed inside their fold.
FOLDED_ROWS = 100
#: Member names shown per ring in a table row.
NAMES_SHOWN = 4


def split(rings: list[Ring], min_score: float) -> tuple[list[Ring], list[Ring]]:
    """(rings scoring at least ``min_score``, the rest), each in rank order."""
    above = [r.score >= min_score for r in rings]
    return ([r for r, a in zip(rings, above) if a], [r for r, a in zip(rings, above) if not a])


def patterns_of(ring: Ring) -> list[str]:
    """The ring's patterns that weigh something (sorted), else all its patterns."""
    weighty = sorted({e.pattern for e in ring.evidence if e.weight > 0})
    return weighty or sorted({e.pattern for e in ring.evidence})


def member_labels(ring: Ring, names: Mapping[str, str] | None = None) -> list[str]:
    """Each member as "name (id)": names alone cannot tell two "Yuki Kumar" apart
    (``names``: display name by key, else ``ring.names``)."""
    shown = ring.names if names is None else [str(names.get(m, m)) for m in ring.members]
    return [f"{shorten(name, 40)} ({key.split(':', 1)[-1]})"
            for name, key in zip(shown, ring.members)]


def why_benign(ring: Ring) -> str:
    """The reason a low-scoring ring is folded: the benign explanation most of its
    findings carry when all are explained, else "weak evidence"."""
    weak = "weak evidence (score below the threshold)"
    if not all(e.weight == 0 for e in ring.evidence if e.pattern != "vpn_logins"):
        return weak
    # a plain dict, not a Counter: this runs for each of 100,000 folded rings at 1M people
    explained: dict[str, int] = {}
    for e in ring.evidence:
        if e.explained:
            explained[e.explained] = explained.get(e.explained, 0) + 1
    return min(explained.items(), key=lambda kv: (-kv[1], kv[0]))[0] if explained else weak


def _row(ring: Ring, detailed: bool, rank: int, names: Mapping[str, str] | None) -> str:
    pats = patterns_of(ring)
    link = (f"<a href='#{ring.ring_id}'>{ring.ring_id}</a>" if detailed else ring.ring_id)
    return (f"<tr class='ring-row' data-id='{ring.ring_id}' data-score='{ring.score:g}' "
            f"data-members='{len(ring.members)}' data-rank='{rank}' "
            f"data-patterns='{esc(' '.join(pats))}'>"
            f"<td>{rank}</td><td>{link}</td><td>{ring.score:g}</td><td>{len(ring.members)}</td>"
            f"<td>{esc(and_more(member_labels(ring, names), NAMES_SHOWN, '; '))}</td>"
            f"<td>{esc(', '.join(pats))}</td></tr>")


def triage_html(flagged: list[Ring], folded: list[Ring], min_score: float,
                detailed: set[str]) -> str:
    """The triage table with its pattern filter and sort buttons, then the fold."""
    names = member_names(flagged[:TRIAGE_ROWS] + folded[:FOLDED_ROWS])
    counts = Counter(p for r in flagged for p in patterns_of(r))
    options = "".join(f"<option value='{esc(p)}'>{esc(p)} ({n:,})</option>"
                      for p, n in sorted(counts.items()))
    rows = "".join(_row(r, r.ring_id in detailed, rank, names)
                   for rank, r in enumerate(flagged[:TRIAGE_ROWS], start=1))
    head = "".join(f"<th><button type='button' data-sort='{key}'>{label}</button></th>"
                   if key else f"<th>{label}</th>"
                   for key, label in (("rank", "rank"), ("", "ring"), ("score", "score"),
                                      ("members", "members"), ("", "members (id)"),
                                      ("", "patterns")))
    return (
        f"<section id='triage'><h2>Triage: {len(flagged):,} rings score {min_score:g} or "
        f"more</h2><p class='threshold'>Threshold: score ≥ <b>{min_score:g}</b> "
        "(<code>report_min_score</code>; set it in the project file). "
        f"{len(folded):,} groups below it are folded away (below the table).</p>"
        "<p class='controls'><label>pattern <select id='pattern-filter'>"
        f"<option value=''>all patterns</option>{options}</select></label> "
        "<span id='shown-count'></span></p>"
        f"<table class='summary' id='triage-table'><thead><tr>{head}</tr></thead>"
        f"<tbody>{rows}</tbody></table>"
        f"{more_html(len(flagged) - TRIAGE_ROWS, 'all rings are in rings.csv')}"
        f"{folded_html(folded, min_score, names)}</section>")


def folded_html(folded: list[Ring], min_score: float,
                names: Mapping[str, str] | None = None) -> str:
    """The low-scoring groups in a closed ``<details>``: a count, the reasons, a list
    (``names``: members' display names by key, else each ring's own)."""
    if not folded:
        return "<p class='folded-none'>No group scores below the threshold.</p>"
    reasons = Counter(why_benign(r) for r in folded)
    why = "; ".join(f"{esc(text)} ({n:,})" for text, n in
                    sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0])))
    rows = "".join(
        f"<tr><td>{r.ring_id}</td><td>{r.score:g}</td><td>{len(r.members)}</td>"
        f"<td>{esc(and_more(member_labels(r, names), NAMES_SHOWN, '; '))}</td>"
        f"<td>{esc(why_benign(r))}</td></tr>" for r in folded[:FOLDED_ROWS])
    return (f"<details class='folded' id='folded'><summary>{len(folded):,} groups scoring "
            f"below {min_score:g}, folded away as benign or weak: {why}</summary>"
            "<table class='folded-table'><tr><th>ring</th><th>score</th><th>members</th>"
            f"<th>members (id)</th><th>why folded</th></tr>{rows}</table>"
            f"{more_html(len(folded) - FOLDED_ROWS, 'all rings are in rings.csv')}"
            "</details>")


#: The page script: filter rows and ring sections by pattern, sort the triage table.
#: State can come from the address (``#pattern=laptop_farm&sort=members``).
SCRIPT = """
(function(){
var table=document.getElementById('triage-table');if(!table)return;
var body=table.tBodies[0],select=document.getElementById('pattern-filter'),
count=document.getElementById('shown-count'),order={};
function rows(){return Array.prototype.slice.call(body.rows);}
function filter(){var p=select.value,n=0;rows().forEach(function(r){
var on=!p||r.dataset.patterns.split(' ').indexOf(p)>=0;r.hidden=!on;if(on)n++;});
document.querySelectorAll('section.ring-section').forEach(function(s){
s.hidden=!!p&&s.dataset.patterns.split(' ').indexOf(p)<0;});
count.textContent=n+' of '+body.rows.length+' rings shown';}
function sort(key){var down=order[key]=!order[key];var list=rows();
list.sort(function(a,b){var x=a.dataset[key],y=b.dataset[key];
var c=parseFloat(x)-parseFloat(y);
if(down&&key!=='rank')c=-c;return c!==0?c:parseFloat(a.dataset.rank)-parseFloat(b.dataset.rank);});
list.forEach(function(r){body.appendChild(r);});table.dataset.sorted=key;}
select.addEventListener('change',filter);
document.querySelectorAll('button[data-sort]').forEach(function(b){
b.addEventListener('click',function(){sort(b.dataset.sort);});});
var h=location.hash.slice(1);if(h.indexOf('=')>0){h.split('&').forEach(function(kv){
var p=kv.split('='),v=decodeURIComponent(p[1]||'');
if(p[0]==='pattern')select.value=v;if(p[0]==='sort'&&['rank','score','members'].indexOf(v)>=0)sort(v);});}
filter();})();
"""


__all__ = ["FOLDED_ROWS", "SCRIPT", "TRIAGE_ROWS", "folded_html", "member_labels",
           "patterns_of", "split", "triage_html", "why_benign"]
