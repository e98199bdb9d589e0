"""The declared detectors: each looks at the whole population (group-bys over the sharing
table and the population facts) and returns its findings, one row per finding.

A finding names its pattern, the identifier behind it, the entities involved, how many
distinct people they are, a description in words, the records behind it, and — when one
applies — the benign explanation that discounts it (``explained``, ``factor``: the share
of its surprise that still counts). How findings are weighed is ``graphkit.rings.scoring``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import chain, pairwise

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from graphkit.intcodes import sorted_positions, sorted_unique
from graphkit.rings.grouped import group_bounds, run_bounds
from graphkit.rings.population import Population, entity_rows
from graphkit.rings.records import ends_of_type
from graphkit.rings.sharing import _arrow, node_values, sanction_hits
from graphkit.schema import Label, Rel

FINDING_COLUMNS = ("pattern", "idents", "members", "n_people", "description", "records",
                   "explained", "factor")


@dataclass(frozen=True)
class Detector:
    """One named detector: what it looks for, how it is weighed, and its test. Its
    findings carry pattern names (``identity_reuse`` from two detectors, for example)."""

    name: str
    looks_for: str
    weighed: str
    test: str
    find: Callable[[Population], pd.DataFrame]
    #: what an investigator checks next when a ring shows this detector's finding
    next_steps: tuple[str, ...] = ()
    #: pattern names its findings carry (default: the detector's own name)
    patterns: tuple[str, ...] = ()

    @property
    def pattern_names(self) -> tuple[str, ...]:
        """The pattern names this detector's findings carry."""
        return self.patterns or (self.name,)


def _empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in FINDING_COLUMNS})


def _frame(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(FINDING_COLUMNS)) if rows else _empty()


def _with_people(pop: Population, rows: pd.DataFrame) -> pd.DataFrame:
    """``rows`` (of the sharing table: every entity is one of ``pop``'s) with the
    ``person`` and ``household`` number of their entity."""
    at = entity_rows(pop, rows["entity_id"].to_numpy(np.int64))
    if len(at) and int(at.min()) < 0:
        raise ValueError("sharing rows name an entity the population does not hold")
    ent = pop.entities
    return rows.assign(person=ent["person"].to_numpy()[at],
                       household=ent["household"].to_numpy()[at])


def _of_members(pop: Population, column: str, groups: list) -> list[list]:
    """Per group of entity ids, the ``column`` of ``pop.entities`` of each (one gather for
    all groups; ``KeyError`` naming an id that is no entity, as a lookup by id would)."""
    sizes = [len(g) for g in groups]
    flat = np.fromiter(chain.from_iterable(groups), dtype=np.int64, count=sum(sizes))
    at = entity_rows(pop, flat)
    if len(at) and int(at.min()) < 0:
        raise KeyError(int(flat[at < 0][0]))
    values = pop.entities[column].iloc[at].tolist()
    bounds = np.r_[0, np.cumsum(sizes, dtype=np.int64)].tolist()
    return [values[a:b] for a, b in pairwise(bounds)]


def _groups(pop: Population, rel: str) -> pd.DataFrame:
    """Identifiers reached by ``rel`` and shared (by any type) by 2..max_share entities,
    with their sharers, distinct people and households (only where 2+ people)."""
    rows = pop.sharing.shared_of_type(pop.max_share, rel)
    if rows.empty:
        return pd.DataFrame()
    rows = _with_people(pop, rows)
    people = rows.groupby("ident_id")["person"].transform("nunique")
    rows = rows[people.to_numpy() >= 2]
    if rows.empty:
        return pd.DataFrame()
    rows = pop.sharing.with_text(rows, ("records",))
    grouped = rows.groupby("ident_id", sort=True)
    sizes = grouped["person"].nunique()
    # the identifier's key and value: one per group (every row of a group has its id)
    text = pop.sharing.with_text(pd.DataFrame({"ident_id": sizes.index.to_numpy()},
                                              index=sizes.index), ("ident", "value"))
    out = pd.DataFrame({
        "ident": text["ident"], "value": text["value"], "n_people": sizes,
        "n_households": grouped["household"].nunique(),
    })
    out.insert(2, "members", _sorted_sets(rows["ident_id"].to_numpy(np.int64),
                                          rows["entity_id"].to_numpy(np.int64), out.index))
    records = _arrow(rows["records"]).cast(pa.list_(pa.string()))
    parent = pc.list_parent_indices(records)
    flat = pc.list_flatten(records).cast(pa.string())
    valid = pc.is_valid(flat)
    parent = parent.filter(valid).to_numpy()
    flat = flat.filter(valid)
    flat = flat.combine_chunks() if isinstance(flat, pa.ChunkedArray) else flat
    out["records"] = _sorted_sets(rows["ident_id"].to_numpy(np.int64)[parent], flat,
                                  out.index)
    return out


def _sorted_sets(groups: np.ndarray, values: np.ndarray | pa.Array, index: pd.Index
                 ) -> list[tuple]:
    """Per group of ``index`` (ascending group keys), the tuple of its distinct
    ``values`` (integers, or an Arrow string array) in sorted order (empty where a group
    has none): what ``groupby(...).agg(lambda s: tuple(sorted(set(s))))`` gives, from one
    integer sort (strings are ranked once, in Arrow)."""
    groups = np.asarray(groups, dtype=np.int64)
    text = isinstance(values, pa.Array)
    if text:
        encoded = values.dictionary_encode()
        order = pc.array_sort_indices(encoded.dictionary).to_numpy()
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order))
        ranks = rank[encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)]
        width = max(len(order), 1)
        key = sorted_unique(groups * width + ranks.reshape(-1))
        keys, picked = key // width, order[key % width]
        # the Python values made for the picked (group, value) pairs only, in output order
        items = encoded.dictionary.take(pa.array(picked)).to_pylist()
    else:  # integers order as themselves: one sort of (group, value) pairs
        numbers = np.asarray(values, dtype=np.int64)
        low = int(numbers.min()) if len(numbers) else 0
        width = int(numbers.max()) - low + 1 if len(numbers) else 1
        if len(groups) and (int(groups.max()) + 1) * width >= 2**62:  # would overflow
            uniques, ranks = np.unique(numbers, return_inverse=True)
            numbers, low, width = ranks.reshape(-1), 0, max(len(uniques), 1)
        else:
            uniques = None
        key = sorted_unique(groups * width + (numbers - low))
        keys = key // width
        items = (key % width + low).tolist() if uniques is None else \
            uniques[key % width].tolist()
    out: list[tuple] = [()] * len(index)
    if not len(keys):
        return out
    cuts = np.flatnonzero(keys[1:] != keys[:-1]) + 1
    lows, highs = np.r_[0, cuts], np.r_[cuts, len(keys)]
    at = sorted_positions(index.to_numpy(np.int64), keys[lows])
    if len(at) == len(out) and bool((at == np.arange(len(out))).all()):  # every group
        return [tuple(items[lo:hi]) for lo, hi in zip(lows.tolist(), highs.tolist())]
    known = at >= 0
    for pos, lo, hi in zip(at[known].tolist(), lows[known].tolist(), highs[known].tolist()):
        out[pos] = tuple(items[lo:hi])
    return out


def _surnames_shared(pop: Population, groups: list[tuple[int, ...]]) -> np.ndarray:
    """Per group of entity ids, whether some name token is common to all its members
    (:func:`_surname_shared` of each group, counted over all groups at once from the
    population's token codes: one sort of (group, token) pairs)."""
    sizes = np.fromiter((len(g) for g in groups), dtype=np.int64, count=len(groups))
    flat = np.fromiter(chain.from_iterable(groups), dtype=np.int64, count=int(sizes.sum()))
    owner = np.repeat(np.arange(len(groups), dtype=np.int64), sizes)
    set_of_row, _ = pop.token_sets
    starts, lengths, codes, n_words = pop.set_tokens
    number = set_of_row[entity_rows(pop, flat)]
    per = lengths[number]
    total = int(per.sum())
    if not total:
        return np.zeros(len(groups), dtype=bool)
    # each member's token codes, member after member (a gather of its number's codes)
    at = np.repeat(starts[number] - (np.cumsum(per) - per), per) + np.arange(total)
    pairs = np.sort(np.repeat(owner, per) * n_words + codes[at])
    heads, ends = run_bounds(pairs)
    counts = ends - heads
    found = pairs[heads]
    shared = np.zeros(len(groups), dtype=bool)
    shared[found[counts == sizes[found // n_words]] // n_words] = True
    return shared


def _surname_shared(pop: Population, members: tuple[int, ...]) -> bool:
    tokens = pop.tokens_of
    return bool(frozenset.intersection(*[tokens[m] for m in members]))


#: Sharing patterns: relationship, pattern name, noun.
SHARED = {
    Rel.HAS_ACCOUNT.value: ("shared_pay_destination", "pay destination"),
    Rel.USES_DEVICE.value: ("shared_device", "device"),
    Rel.HAS_PHONE.value: ("shared_phone", "phone"),
    Rel.HAS_EMAIL.value: ("shared_email", "email"),
    Rel.USES_IP.value: ("shared_ip", "IP address"),
    Rel.LIVES_AT.value: ("shared_address", "residential address"),
}


#: Share of surprise left when people of one surname living apart share (relatives).
RELATIVES_APART = 0.25


def _shared(rel: str) -> Callable[[Population], pd.DataFrame]:
    pattern, noun = SHARED[rel]

    def find(pop: Population) -> pd.DataFrame:
        groups = _groups(pop, rel)
        if groups.empty:
            return _empty()
        members = groups["members"].tolist()
        surname = _surnames_shared(pop, members)
        vpn = np.isin(groups.index.to_numpy(), np.fromiter(pop.vpn_exits, np.int64)) if \
            rel == Rel.USES_IP.value else np.zeros(len(groups), dtype=bool)
        people = groups["n_people"].tolist()
        homes = groups["n_households"].tolist()
        explained, factor = _explanations(rel == Rel.USES_IP.value, vpn, surname,
                                          groups["n_households"].to_numpy(np.int64),
                                          pop.nat_households)
        return pd.DataFrame({
            "pattern": [pattern] * len(groups),
            "idents": [(i,) for i in groups["ident"].tolist()],
            "members": members, "n_people": people,
            "description": [f"{p} people in {h} household(s) share {noun} {v}"
                            for p, h, v in zip(people, homes, groups["value"].tolist())],
            "records": groups["records"].tolist(), "explained": explained,
            "factor": factor}, columns=list(FINDING_COLUMNS))
    return find


def _explanations(ip: bool, vpn: np.ndarray, surname: np.ndarray, homes: np.ndarray,
                  nat_households: int) -> tuple[list[str], list[float]]:
    """Per sharing group, the benign explanation and the share of surprise left: a VPN
    exit (IPs), relatives of one surname living apart, a carrier NAT (IPs shared by
    ``nat_households`` households or more), one household; the first that applies."""
    vpn = vpn & ip
    relatives = ~vpn & (homes > 1) & surname
    nat = ~vpn & ~relatives & ip & (homes >= nat_households)
    home = ~vpn & ~relatives & ~nat & (homes == 1)
    explained = np.full(len(homes), "", dtype=object)
    factor = np.ones(len(homes))
    explained[vpn] = "a VPN exit, which unrelated users share"
    explained[relatives] = "relatives of one surname living apart"
    explained[nat] = [f"a carrier NAT or public network ({n} households)"
                      for n in homes[nat].tolist()]
    explained[home & surname] = "household: one surname at the members' own home"
    explained[home & ~surname] = "the members live together (household or roommates)"
    factor[vpn | nat | home] = 0.0
    factor[relatives] = RELATIVES_APART
    return explained.tolist(), factor.tolist()


def _site_key(value: str) -> str:
    """An address value without its region (company rows carry none)."""
    parts = str(value).split("|")
    return "|".join(parts[:2] + parts[3:]) if len(parts) == 5 else str(value)


def _company_sites(pop: Population) -> set[str]:
    """Addresses a company is registered at (known company sites), region left out."""
    t = pop.sharing.rows
    sites = t[((t["entity_label"] == Label.COMPANY.value)
               & (t["ident_label"] == Label.ADDRESS.value)).to_numpy(bool)]
    return {_site_key(v) for v in pop.sharing.with_text(sites, ("value",))["value"]}


def laptop_farms(pop: Population) -> pd.DataFrame:
    """Equipment of 3+ people who live elsewhere shipped to one address."""
    shared = pop.sharing.shared_of_type
    ships = _with_people(pop, shared(pop.max_share, Rel.SHIPS_TO.value))
    if ships.empty:
        return _empty()
    homes = _with_people(pop, shared(pop.max_share, Rel.LIVES_AT.value))
    living = homes[["ident_id", "household"]].drop_duplicates().assign(_home=True)
    ships = ships.merge(living, on=["ident_id", "household"], how="left")
    who = ships[ships["_home"].isna()]
    people = who.groupby("ident_id")["person"].transform("nunique")
    who = pop.sharing.with_text(who[people.to_numpy() >= 3], ("ident", "value", "records"))
    sites = _company_sites(pop)
    rows = []
    for _, group in who.groupby("ident_id"):
        value = group["value"].iloc[0]
        n = group["person"].nunique()
        explained, factor = ("shipping to a known company site", 0.0) \
            if _site_key(value) in sites else ("", 1.0)
        records = tuple(sorted({str(r) for recs in group["records"] for r in recs}))
        rows.append({"pattern": "laptop_farm", "idents": (group["ident"].iloc[0],),
                     "members": tuple(sorted(set(group["entity_id"]))), "n_people": n,
                     "description": f"equipment of {n} people who live elsewhere "
                                    f"shipped to {value}",
                     "records": records, "explained": explained, "factor": factor})
    return _frame(rows)


def document_reuse(pop: Population) -> pd.DataFrame:
    """One national id or passport under the names of several people."""
    groups = _groups(pop, Rel.HAS_DOCUMENT.value)
    members = groups["members"].tolist() if len(groups) else []
    labels = _of_members(pop, "label", members)
    named = _of_members(pop, "name", members)
    rows = []
    for g, label, name in zip(groups.itertuples(), labels, named):
        if any(v != Label.PERSON.value for v in label):
            continue
        names = sorted(set(name))
        rows.append({"pattern": "identity_reuse", "idents": (g.ident,), "members": g.members,
                     "n_people": g.n_people,
                     "description": f"document {g.value} used under names "
                                    f"{', '.join(names)}",
                     "records": g.records, "explained": "", "factor": 1.0})
    return _frame(rows)


def name_dob_ids(pop: Population) -> pd.DataFrame:
    """One name and date of birth with several national ids (person records of one or
    several entities)."""
    frame = pop.identities
    if frame is None or frame.empty:
        return _empty()
    at = entity_rows(pop, frame["entity_id"].to_numpy(np.int64))
    number, distinct = pop.token_sets  # one join per distinct name (or token set)
    sets = number[at]
    texts = [" ".join(sorted(t)) for t in distinct]
    text_code, _ = pd.factorize(np.asarray(texts, dtype=object))
    key = text_code[sets]
    several = _several_per_group(key, frame["dob"], frame["nid"])
    picked = np.flatnonzero(several)
    keys = [texts[i] for i in sets[picked].tolist()]
    dobs, nids, members, names, records = (
        frame[column].iloc[picked].tolist()
        for column in ("dob", "nid", "entity_id", "name", "record_id"))
    # the rows of each (name, dob) group, groups in text order, rows in frame order:
    # what ``groupby(["key", "dob"])`` iterates, with no pandas object per group
    order = sorted(range(len(keys)), key=lambda i: (keys[i], dobs[i]))
    rows = []
    for group in _runs(order, keys, dobs):
        key, dob = keys[group[0]], dobs[group[0]]
        if not key:
            continue
        ids = sorted({nids[i] for i in group})
        rows.append({"pattern": "identity_reuse", "idents": tuple(ids),
                     "members": tuple(sorted({members[i] for i in group})),
                     "n_people": max(2, len(ids)),
                     "description": f"one name and date of birth ({names[group[0]]}, "
                                    f"{dob}) with {len(ids)} different national ids",
                     "records": tuple(sorted({records[i] for i in group})),
                     "explained": "", "factor": 1.0})
    return _frame(rows)


def _runs(order: list[int], keys: list[str], dobs: list[str]) -> list[list[int]]:
    """``order`` cut into runs of one (key, dob)."""
    runs: list[list[int]] = []
    for i in order:
        if runs and keys[runs[-1][0]] == keys[i] and dobs[runs[-1][0]] == dobs[i]:
            runs[-1].append(i)
        else:
            runs.append([i])
    return runs


def _several_per_group(key: np.ndarray, dob: pd.Series, nid: pd.Series) -> np.ndarray:
    """Per row, whether its (``key`` code, ``dob``) group holds two or more distinct
    ``nid``: ``groupby([key, dob])[nid].transform("nunique") >= 2`` on integer codes
    (missing dob or nid are no value, as pandas counts them). Only the rows of groups of
    two or more rows (found by one sort) have their ``nid`` coded."""
    dobs, _ = pd.factorize(dob)
    known = np.flatnonzero(dobs >= 0)
    out = np.zeros(len(dobs), dtype=bool)
    if not len(known):
        return out
    group = key[known].astype(np.int64) * (int(dobs.max()) + 1) + dobs[known]
    order, heads, ends = group_bounds(group)
    sizes = ends - heads
    run = np.repeat(np.arange(len(heads)), sizes)  # group number of each sorted row
    several = sizes[run] >= 2
    rows = known[order[several]]  # rows of groups of two or more, by group
    nids, _ = pd.factorize(nid.iloc[rows])
    run = run[several]
    has = nids >= 0
    width = int(nids.max(initial=0)) + 1
    pairs = sorted_unique(run[has] * width + nids[has])
    per_group = np.bincount(pairs // width, minlength=len(heads))
    out[rows] = per_group[run] >= 2
    return out


def _matches(pop: Population) -> pd.DataFrame:
    return sanction_hits(pop.sharing.tables)


def listed_names(pop: Population) -> pd.DataFrame:
    """A person or company whose name matches a sanctions-list entry."""
    hits = _matches(pop)
    found = entity_rows(pop, hits["entity_id"].to_numpy(np.int64))
    hits = hits[found >= 0]  # matches of nodes that are no entity are left out
    label = _of_members(pop, "label", [hits["entity_id"].tolist()])[0] if len(hits) else []
    name = _of_members(pop, "name", [hits["entity_id"].tolist()])[0] if len(hits) else []
    rows = []
    for at, h in enumerate(hits.itertuples()):
        company = label[at] == Label.COMPANY.value
        rows.append({"pattern": "sanctioned_counterparty" if company
                     else "sanctioned_person_name",
                     "idents": (),
                     "members": (h.entity_id,), "n_people": 1,
                     "description": f"{name[at]} matches {h.hit}, "
                                    f"score {h.score:.2f}",
                     "records": (), "explained": "", "factor": float(h.score),
                     "sanction_id": h.sanction_id})
    frame = pd.DataFrame(rows)
    if frame.empty:
        return _empty()
    keys = node_values(pop.sharing.tables, "key", frame["sanction_id"]).tolist()
    frame["idents"] = [(k,) for k in keys]
    return frame[list(FINDING_COLUMNS)]


def paid_by_listed(pop: Population) -> pd.DataFrame:
    """Everyone a listed (or listed-name-like) payer pays: a star around the payer."""
    hits = _matches(pop)
    pays = ends_of_type(pop.sharing.tables, Rel.PAYS.value)
    pays = pays[pays["start_id"].isin(hits["entity_id"]).to_numpy(bool)]
    payers = sorted(set(pays["start_id"].tolist()))
    name = dict(zip(payers, _of_members(pop, "name", [payers])[0])) if payers else {}
    rows = []
    for payer, group in pays.groupby("start_id"):
        hit = hits[hits["entity_id"] == payer].iloc[0]
        payees = tuple(sorted(set(group["end_id"].astype(np.int64))))
        rows.append({"pattern": "paid_by_sanctioned", "idents": (),
                     "members": tuple(sorted({int(payer), *payees})),
                     "n_people": len(payees),
                     "description": f"{len(payees)} people paid by {name[payer]}, "
                                    f"which matches {hit['hit']} (score {hit['score']:.2f})",
                     "records": (), "explained": "", "factor": float(hit["score"])})
    return _frame(rows)


def duplicate_records(pop: Population) -> pd.DataFrame:
    """One person recorded as several entities (same document and date of birth, a typo in
    the name): named, weighing nothing; what they share with each other is not a finding."""
    ent = pop.entities
    sizes = ent.groupby("person")["entity_id"].transform("size")
    rows = []
    for _, group in ent[sizes > 1].groupby("person"):
        names = sorted(set(group["name"]))
        rows.append({"pattern": "duplicate_records", "idents": (),
                     "members": tuple(sorted(group["entity_id"])), "n_people": 1,
                     "description": f"likely one person recorded {len(group)} times "
                                    f"({', '.join(names)}: same document and date of birth)",
                     "records": (), "explained": "one person recorded twice", "factor": 0.0})
    return _frame(rows)


DETECTORS: tuple[Detector, ...] = (
    Detector("laptop_farm", "equipment of 3+ people who live elsewhere shipped to one address",
             "surprise of that many people in such groups; 0 at a known company site",
             "test_laptop_farm_and_company_site", laptop_farms,
             next_steps=(
                 "Find who owns or rents the shipping address (property records, the lease, the "
                 "business registered there).",
                 "List everyone else whose equipment ships there, in this build and in past "
                 "shipments.",
                 "Check the members' I-9 documents and identity checks against the people who "
                 "turned up on camera.",
                 "Ask IT whether the laptops log in from the shipping address or from abroad.")),
    Detector("shared_pay_destination", "one account, payment handle or wallet used by "
             "several people", "surprise; a household's joint account counts 0",
             "test_shared_pay_destination_across_households", _shared(Rel.HAS_ACCOUNT.value),
             next_steps=(
                 "Ask the bank or payment provider who holds the account or handle.",
                 "Compare the payee names on each payment with the account holder's name.",
                 "Check when each member changed their pay details, and from which IP address.")),
    Detector("shared_device", "one device used by several people",
             "surprise; within a household 0 (one surname) or a quarter (roommates)",
             "test_phone_and_device_across_households", _shared(Rel.USES_DEVICE.value),
             next_steps=(
                 "Pull the device's login history: which accounts, from which IPs, at which "
                 "hours.",
                 "Check the asset register: to whom was the device issued and shipped?",
                 "Look for remote-desktop or KVM software on the device.")),
    Detector("shared_phone", "one phone number given by several people",
             "surprise; a family phone plan counts 0",
             "test_phone_and_device_across_households", _shared(Rel.HAS_PHONE.value),
             next_steps=(
                 "Look up the number's carrier and type (VoIP numbers are cheap to share).",
                 "Check which member verified the number (2FA, HR onboarding) and when.",
                 "Call the number during the members' stated working hours.")),
    Detector("shared_email", "one email address given by several people",
             "surprise; within a household 0 or a quarter", "test_household_ring_scores_zero",
             _shared(Rel.HAS_EMAIL.value),
             next_steps=(
                 "Check who controls the mailbox (recovery phone, sign-up IP).",
                 "Compare the members' onboarding and recruiter correspondence sent to it.")),
    Detector("shared_ip", "one IP address (not a hub) used by several people",
             "surprise (carrier NAT and VPN exits make it common); home network 0",
             "test_household_ring_scores_zero", _shared(Rel.USES_IP.value),
             next_steps=(
                 "Look up the IP's owner and type (hosting, VPN, residential, mobile).",
                 "Compare login times from the IP with the members' stated time zones.",
                 "List other accounts that logged in from the IP.")),
    Detector("shared_address", "one residential address given by several people",
             "always explained: they live there", "test_household_ring_scores_zero",
             _shared(Rel.LIVES_AT.value),
             next_steps=(
                 "Confirm who lives at the address (a household or roommates explain it).",
                 "Check whether equipment for people living elsewhere ships there too.")),
    Detector("document_reuse", "one national id or passport under several people's names",
             "surprise", "test_identity_reuse_and_sanctioned_payer_are_detected",
             document_reuse,
             next_steps=(
                 "Verify the document with the issuer (SSA, passport office) and check whose "
                 "name it is in.",
                 "Compare the members' I-9 documents and photos side by side.",
                 "Ask the background-check vendor which identity it verified."),
             patterns=("identity_reuse",)),
    Detector("name_dob_ids", "one name and date of birth with several national ids",
             "surprise", "test_identity_reuse_and_sanctioned_payer_are_detected",
             name_dob_ids,
             next_steps=(
                 "Verify each national id with the issuer: which one belongs to this name?",
                 "Compare the I-9 documents filed under each id.",
                 "Check whether the records are one person re-hired under new ids."),
             patterns=("identity_reuse",)),
    Detector("listed_name", "a person or company matching a sanctions entry",
             "surprise × match score", "test_identity_reuse_and_sanctioned_payer_are_detected",
             listed_names,
             next_steps=(
                 "Compare the listed entry's dates of birth, nationalities and identifiers with "
                 "the member's records.",
                 "Escalate to sanctions compliance before any further payment.",
                 "Review the payments already made and who received them."),
             patterns=("sanctioned_person_name", "sanctioned_counterparty")),
    Detector("paid_by_sanctioned", "everyone a listed payer pays (a star, even when they "
             "share nothing else)", "surprise × match score",
             "test_sanctioned_payer_star_is_a_ring", paid_by_listed,
             next_steps=(
                 "Confirm the payer's identity against the listed entry.",
                 "Freeze payments from the payer pending review and report as required.",
                 "Check how each payee was hired and who referred them.")),
    Detector("duplicate_records", "one person recorded twice (document, dob, near name)",
             "0: explained", "test_duplicate_records_of_one_person_score_nothing",
             duplicate_records,
             next_steps=(
                 "Merge the records in the HR system after checking they are one person.",)),
)


#: What to check next for patterns no single detector names (scoring adds VPN logins).
EXTRA_NEXT_STEPS: dict[str, tuple[str, ...]] = {
    "vpn_logins": ("Compare the members' login hours with their stated time zones.",
                   "Ask IT for the VPN provider and the exit countries seen."),
}


def next_steps(pattern: str) -> tuple[str, ...]:
    """What an investigator checks next for a finding of ``pattern`` (every detector that
    names it, in ``DETECTORS`` order, then ``EXTRA_NEXT_STEPS``)."""
    steps = [step for d in DETECTORS if pattern in d.pattern_names for step in d.next_steps]
    steps += EXTRA_NEXT_STEPS.get(pattern, ())
    return tuple(dict.fromkeys(steps))


def run_detectors(pop: Population) -> pd.DataFrame:
    """Findings of every detector over the whole population, numbered ``finding``, with
    the ``detector`` that found each."""
    frames = [d.find(pop).assign(detector=d.name) for d in DETECTORS]
    found = pd.concat([f for f in frames if len(f)], ignore_index=True) if any(
        len(f) for f in frames) else _empty()
    found["finding"] = np.arange(len(found))
    return found


__all__ = ["DETECTORS", "EXTRA_NEXT_STEPS", "FINDING_COLUMNS", "Detector", "next_steps",
           "run_detectors"]
