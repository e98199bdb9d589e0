"""Compare two builds: rings new, grown, shrunk, dissolved, merged and split; score
changes; newly listed, new and cleared sanctions hits; entity merges and splits; records
added and removed per source. Builds made with different settings are refused unless
told otherwise (and the differing settings are named either way)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from graphkit.gcpause import gc_paused
from graphkit.nightly.changes import Changes
from graphkit.nightly.ids import (
    RingMatching,
    entity_pairs,
    entity_translation,
    match_rings,
    translated,
)
from graphkit.nightly.view import BuildFolderError, BuildView, settings_of
from graphkit.settings import DEFAULT_SETTINGS

#: Settings that change only what is written or how fast, not what is found: never block
#: a diff.
OUTPUT_SETTINGS = frozenset({
    "csv_safety", "graphml", "graph_json", "graph_files_max_nodes", "graph_view_max_nodes",
    "report_rings", "report_min_score", "keep_record_fields", "diff_score_change",
    "max_decompressed_bytes", "max_compression_ratio", "max_yaml_nodes", "max_columns",
    "max_field_chars", "resolve_workers", "heap_keep_mib", "huge_pages"})
#: Record ids shown in one ``records_added`` / ``records_removed`` cell at most.
MAX_IDS_SHOWN = 1000


class SettingsDiffer(ValueError):
    """Two builds made with different settings (``differences`` names them)."""

    def __init__(self, old: str, new: str, differences: list[str]) -> None:
        self.differences = differences
        super().__init__(f"{old} and {new} were built with different settings: "
                         + "; ".join(differences)
                         + " (--allow-settings-change compares them anyway)")


#: Settings whose default is not what builds made before the setting existed did: a build
#: that does not record one of these behaved as the value given here.
BEFORE_SETTING = {"review_budget": None,  # no cap on the review queue
                  "resolve_chance_partners": 0}  # common blocks never split


def settings_differences(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """``name: old → new`` of every setting that changes findings and differs (a setting
    one build does not record, made before it existed, counts as what such builds did:
    :data:`BEFORE_SETTING`, else its default value)."""
    before = {**DEFAULT_SETTINGS.to_dict(), **BEFORE_SETTING}
    out = []
    for name in sorted(set(old) | set(new)):
        if name in OUTPUT_SETTINGS:
            continue
        a = old.get(name, before.get(name, "(unset)"))
        b = new.get(name, before.get(name, "(unset)"))
        if a != b:
            out.append(f"{name}: {a!r} → {b!r}")
    return out


def check_previous(previous: str | Path, settings: Mapping[str, Any],
                   allow_settings_change: bool = False) -> list[str]:
    """Before ``build --previous``: the previous folder is a complete build and was made
    with the same settings (else :class:`SettingsDiffer`, unless allowed); returns the
    differences."""
    old = Path(previous)
    for name in ("rings.json", "relationships.parquet", "sanctions_hits.csv",
                 "nodes.parquet"):
        if not (old / name).is_file():
            raise BuildFolderError(f"--previous {old}: not a complete build ({name} missing)")
    differences = settings_differences(settings_of(old), settings)
    if differences and not allow_settings_change:
        raise SettingsDiffer(str(old), "this build", differences)
    return differences


def as_view(build: Any) -> BuildView:
    """A :class:`BuildView` of a build folder, a ``BuildResult`` or a view."""
    if isinstance(build, BuildView):
        return build
    if isinstance(build, (str, Path)):
        return BuildView.from_folder(build)
    return BuildView.from_result(build)


def diff_builds(old: Any, new: Any, allow_settings_change: bool = False,
                score_change: float | None = None,
                matching: RingMatching | None = None) -> Changes:
    """The changes from build ``old`` to build ``new`` (folders, ``BuildResult``s or
    views). Raises :class:`SettingsDiffer` when their settings differ, unless
    ``allow_settings_change``. ``score_change`` defaults to the new build's
    ``diff_score_change`` setting. ``matching``: the entity translation and ring matches
    of these two builds when the caller made them already (``build --previous`` does,
    to carry ring ids over). Runs with the garbage collector paused
    (:func:`~graphkit.gcpause.gc_paused`)."""
    with gc_paused():
        return _diff_builds(old, new, allow_settings_change, score_change, matching)


def _diff_builds(old: Any, new: Any, allow_settings_change: bool,
                 score_change: float | None, matching: RingMatching | None) -> Changes:
    old, new = as_view(old), as_view(new)
    differences = settings_differences(old.settings, new.settings)
    if differences and not allow_settings_change:
        raise SettingsDiffer(old.name, new.name, differences)
    if score_change is None:
        score_change = float(new.settings.get("diff_score_change",
                                              DEFAULT_SETTINGS.diff_score_change))
    changes = Changes(old.name, new.name, settings_changed=differences)
    pairs = matching.pairs if matching and matching.pairs is not None else \
        entity_pairs(old.entities, new.entities)
    translate = matching.translate if matching else entity_translation(
        old.entities, new.entities, pairs)
    _ring_changes(changes, old.rings, new.rings, translate, score_change,
                  matching.matches if matching else None)
    _hit_changes(changes, old, new, translate)
    _entity_changes(changes, pairs)
    _record_changes(changes, old.records, new.records)
    return changes


def evidence_text(item: Mapping[str, Any]) -> str:
    """One line of a ``rings.json`` evidence item (as ``rings.model.Evidence.text``)."""
    why = f" [explained: {item['explained']}]" if item.get("explained") else ""
    return f"{item['pattern']} (+{float(item['weight']):g}): {item['description']}{why}"


def _evidence_for(ring: Mapping[str, Any], members: set[str]) -> str:
    items = [e for e in ring.get("evidence", ())
             if not members or members & set(e.get("entities") or ())]
    return " | ".join(evidence_text(e) for e in items)


@dataclass
class _RingPairs:
    """Old and new rings, their member sets (old ones translated through entity merges),
    the matches both ways and who is in which ring."""

    old: Sequence[Mapping]
    new: Sequence[Mapping]
    old_members: list[set[str]]
    new_members: list[set[str]]
    new_of: dict[int, int]
    old_of: dict[int, int]
    owner: dict[str, int]
    old_owner: dict[str, list[int]]

    @classmethod
    def of(cls, old: Sequence[Mapping], new: Sequence[Mapping],
           translate: Mapping[str, str], matches: list | None = None) -> _RingPairs:
        matches = match_rings(old, new, translate) if matches is None else matches
        old_members = [translated(r["members"], translate) for r in old]
        new_members = [set(r["members"]) for r in new]
        old_owner: dict[str, list[int]] = {}
        for i, ms in enumerate(old_members):
            for m in ms:
                old_owner.setdefault(m, []).append(i)
        return cls(old, new, old_members, new_members, {m.old: m.new for m in matches},
                   {m.new: m.old for m in matches},
                   {m: j for j, ms in enumerate(new_members) for m in ms}, old_owner)


def _ring_changes(changes: Changes, old: Sequence[Mapping], new: Sequence[Mapping],
                  translate: Mapping[str, str], score_change: float,
                  matches: list | None = None) -> None:
    pairs = _RingPairs.of(old, new, translate, matches)
    _matched_rings(changes, pairs, score_change)
    _unmatched_new_rings(changes, pairs)
    _unmatched_old_rings(changes, pairs)


def _matched_rings(changes: Changes, p: _RingPairs, score_change: float) -> None:
    """Grown, shrunk or changed rings, and score changes, of rings matched one to one."""
    for j, ring in enumerate(p.new):
        i = p.old_of.get(j)
        if i is None:
            continue
        old, before, after = p.old[i], p.old_members[i], p.new_members[j]
        joined, left = after - before, before - after
        renamed = [old["ring_id"]] if old["ring_id"] != ring["ring_id"] else []
        if joined or left:
            kind = "ring_changed" if joined and left else \
                "ring_grown" if joined else "ring_shrunk"
            changes.add(kind, f"{ring['ring_id']}: {len(joined)} joined, {len(left)} left "
                        f"({len(before)} → {len(after)} members)",
                        ring_id=ring["ring_id"], old_ids=renamed, joined=sorted(joined),
                        left=sorted(left), old_value=len(before), new_value=len(after),
                        evidence=_evidence_for(ring, joined) if joined else "")
        if abs(float(ring["score"]) - float(old["score"])) >= score_change:
            changes.add("score_changed", f"{ring['ring_id']}: score {old['score']:g} → "
                        f"{ring['score']:g}", ring_id=ring["ring_id"], old_ids=renamed,
                        old_value=old["score"], new_value=ring["score"],
                        evidence=_evidence_for(ring, set()))


def _unmatched_new_rings(changes: Changes, p: _RingPairs) -> None:
    """New rings: split off a matched old ring (most members from it), or new."""
    for j, ring in enumerate(p.new):
        if j in p.old_of:
            continue
        members = p.new_members[j]
        near = sorted({i for m in members for i in p.old_owner.get(m, ())})
        parents = [i for i in near if i in p.new_of
                   and 2 * len(p.old_members[i] & members) >= len(members)]
        if parents:
            i = parents[0]
            kept = p.new[p.new_of[i]]["ring_id"]
            changes.add("ring_split", f"{p.old[i]['ring_id']} split: {ring['ring_id']} "
                        f"({len(members)} members) left it; {kept} keeps its id",
                        ring_id=ring["ring_id"], old_ids=[p.old[i]["ring_id"]],
                        joined=sorted(members), new_value=ring["score"],
                        evidence=_evidence_for(ring, set()))
        else:
            changes.add("ring_new", f"{ring['ring_id']}: new ring of {len(members)} "
                        f"(score {ring['score']:g})", ring_id=ring["ring_id"],
                        joined=sorted(members), new_value=ring["score"],
                        evidence=_evidence_for(ring, set()))


def _unmatched_old_rings(changes: Changes, p: _RingPairs) -> None:
    """Old rings gone: merged into a matched new ring (most members in it), or dissolved."""
    for i, ring in enumerate(p.old):
        if i in p.new_of:
            continue
        members = p.old_members[i]
        into = sorted({p.owner[m] for m in members if m in p.owner})
        target = [j for j in into if j in p.old_of
                  and 2 * len(members & p.new_members[j]) >= len(members)]
        if target:
            new = p.new[target[0]]
            changes.add("ring_merged", f"{ring['ring_id']} merged into {new['ring_id']}",
                        ring_id=new["ring_id"], old_ids=[ring["ring_id"]],
                        joined=sorted(members & p.new_members[target[0]]),
                        old_value=ring["score"], new_value=new["score"],
                        evidence=_evidence_for(new, members))
        else:
            where = ", ".join(p.new[j]["ring_id"] for j in into) or "no ring"
            changes.add("ring_dissolved", f"{ring['ring_id']} dissolved (members now in "
                        f"{where})", ring_id=ring["ring_id"], left=sorted(members),
                        old_value=ring["score"])


def _hit_key(hits: pd.DataFrame, translate: Mapping[str, str] | None = None) -> pd.Series:
    ids = hits["record_id"].astype(str)
    if translate:
        ids = ids.map(lambda v: translate.get(v, v))
    return ids + "\x1f" + hits["list"].astype(str) + "\x1f" + hits["list_id"].astype(str)


def _entry_keys(entries: pd.DataFrame | None) -> set[str] | None:
    if entries is None:
        return None
    return set(entries["list"].astype(str) + "\x1f" + entries["list_id"].astype(str))


def _hit_changes(changes: Changes, old: BuildView, new: BuildView,
                 translate: Mapping[str, str]) -> None:
    old_keys = set(_hit_key(old.hits, translate))
    new_keys = set(_hit_key(new.hits))
    was_listed, is_listed = _entry_keys(old.entries), _entry_keys(new.entries)
    # only the new hits' entities are looked for among the old entities
    old_ids = old.entities["entity_id"]
    known = set(old_ids[old_ids.isin(new.hits["record_id"].astype(str))].astype(str))
    for row, key in zip(new.hits.to_dict("records"), _hit_key(new.hits)):
        if key in old_keys:
            continue
        entry = f"{row['list']}\x1f{row['list_id']}"
        newly = was_listed is not None and entry not in was_listed
        who = "existing" if row["record_id"] in known else "new"
        what = (f"{row['record_id']} ({who}) matches {row['listed_name']}, "
                + ("newly added to " if newly else "") + f"{row['list']} {row['list_id']}"
                f" ({row['programs']}), score {row['score']}")
        changes.add("newly_listed" if newly else "hit_new", what, entity_id=row["record_id"],
                    list=row["list"], list_id=row["list_id"], listed_name=row["listed_name"],
                    programs=row["programs"], new_value=row["score"],
                    evidence=row.get("evidence", ""))
    for row, key in zip(old.hits.to_dict("records"), _hit_key(old.hits, translate)):
        if key in new_keys:
            continue
        entry = f"{row['list']}\x1f{row['list_id']}"
        why = ("the entry is no longer on the list" if is_listed is not None
               and entry not in is_listed else "no longer matches")
        entity = key.split("\x1f", 1)[0]
        changes.add("hit_cleared", f"{entity} and {row['listed_name']} ({row['list']} "
                    f"{row['list_id']}): {why}", entity_id=entity, list=row["list"],
                    list_id=row["list_id"], listed_name=row["listed_name"],
                    programs=row["programs"], old_value=row["score"],
                    evidence=row.get("evidence", ""))


def _entity_changes(changes: Changes, pairs: pd.DataFrame) -> None:
    """Entity merges, splits and renames from the builds' entity pairs
    (``ids.entity_pairs``)."""
    pairs = pairs[["entity_id_old", "entity_id_new"]]
    # only ids in more than one pair merged or split: group those alone (a handful of
    # groups, not one Python step per entity)
    merged = pairs[pairs["entity_id_new"].duplicated(keep=False)]
    for new_id, group in merged.groupby("entity_id_new", sort=True):
        olds = sorted(group["entity_id_old"])
        changes.add("entity_merged", f"{', '.join(olds)} are now one entity {new_id}",
                    entity_id=new_id, old_ids=olds)
    split = pairs[pairs["entity_id_old"].duplicated(keep=False)]
    for old_id, group in split.groupby("entity_id_old", sort=True):
        news = sorted(group["entity_id_new"])
        changes.add("entity_split", f"{old_id} is now {len(news)} entities: "
                    + ", ".join(news), entity_id=news, old_ids=[old_id])
    one_to_one = pairs[~pairs["entity_id_old"].duplicated(keep=False)
                       & ~pairs["entity_id_new"].duplicated(keep=False)]
    renamed = one_to_one[one_to_one["entity_id_old"] != one_to_one["entity_id_new"]]
    for old_id, new_id in zip(renamed["entity_id_old"], renamed["entity_id_new"]):
        changes.add("entity_renamed", f"{old_id} is now {new_id} (its smallest record id "
                    "left it)", entity_id=new_id, old_ids=[old_id])


def _record_changes(changes: Changes, old: Mapping[str, pa.Array],
                    new: Mapping[str, pa.Array]) -> None:
    empty = pa.array([], pa.string())
    for layout in sorted(set(old) | set(new)):
        a, b = old.get(layout, empty), new.get(layout, empty)
        if a.equals(b):  # the same ids in the same order (most sources, most nights)
            continue
        for kind, ids, column in (
                ("records_added", b.filter(pc.invert(pc.is_in(b, value_set=a))), "joined"),
                ("records_removed", a.filter(pc.invert(pc.is_in(a, value_set=b))), "left")):
            if not len(ids):
                continue
            shown = pc.sort_indices(ids)[:MAX_IDS_SHOWN]
            more = "" if len(ids) <= MAX_IDS_SHOWN else f" (first {MAX_IDS_SHOWN:,} shown)"
            changes.add(kind, f"{layout}: {len(ids):,} records "
                        f"{'added' if kind == 'records_added' else 'removed'}{more}",
                        source=layout, count=len(ids),
                        **{column: ids.take(shown).to_pylist()})


__all__ = ["OUTPUT_SETTINGS", "SettingsDiffer", "as_view", "check_previous", "diff_builds",
           "evidence_text", "settings_differences"]
