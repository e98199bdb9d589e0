"""Field comparisons: each candidate pair gets one agreement level per field.

Level -1 means a value is missing on either side; it carries no weight, so a missing value
never counts as disagreement. Higher levels mean closer agreement.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein, JaroWinkler

from graphkit.intcodes import first_seen_codes
from graphkit.resolve.prepare import Features, value_codes, without_empty
from graphkit.resolve.threads import run_each

MISSING = -1

#: Field → level labels, index = level.
LEVELS: dict[str, tuple[str, ...]] = {
    "name": ("different", "partly similar (aligned Jaro-Winkler ≥ 0.75 or a shared token)",
             "similar (aligned Jaro-Winkler ≥ 0.88)",
             "near-identical (aligned Jaro-Winkler ≥ 0.95)", "same romanized name"),
    "dob": ("different", "same year or two digits off",
            "near (day/month swapped, one digit off or two digits transposed)", "exact"),
    "email": ("different", "same local part", "exact"),
    "phone": ("different", "same last 7 digits", "exact"),
    "national_id": ("different", "one or two characters off", "exact"),
    "address": ("different", "same postcode and house number, or a similar street line",
                "exact"),
    "passport": ("different", "exact"),
}


def name_alignment(a: tuple[str, ...], b: tuple[str, ...]) -> float:
    """Order-free name similarity: each token of the shorter name is paired with its most
    similar token of the other (Jaro-Winkler), and the pairings are averaged, so swapped
    given/family names and a typo in each still score high."""
    if len(a) == len(b):  # symmetric: the weaker of the two directions
        return min(_one_way(a, b), _one_way(b, a))
    return _one_way(a, b) if len(a) < len(b) else _one_way(b, a)


def _one_way(short: tuple[str, ...], long_: tuple[str, ...]) -> float:
    return sum(max(JaroWinkler.normalized_similarity(t, u) for u in long_)
               for t in short) / len(short)


def name_alignments(a: list[tuple[str, ...]], b: list[tuple[str, ...]]) -> np.ndarray:
    """:func:`name_alignment` of many pairs at once (vectorised over chunks of pairs).

    >>> name_alignments([("kim", "jong", "un")], [("jong", "un", "gim")]).round(3).tolist()
    [0.926]
    """
    vocab, ids = _token_ids(list(a) + list(b))
    return _aligned(ids[:len(a)], ids[len(a):], vocab)[0]


def _token_ids(names: list[tuple[str, ...]]) -> tuple[np.ndarray, np.ndarray]:
    """Distinct tokens, and each name as a row of token ids padded with -1."""
    lengths = np.fromiter((len(t) for t in names), dtype=np.int64, count=len(names))
    flat = [tok for toks in names for tok in toks]
    codes, vocab = pd.factorize(pd.Series(flat, dtype=object))
    width = int(lengths.max()) if len(lengths) else 0
    ids = np.full((len(names), max(width, 1)), -1, dtype=np.int32)
    rows = np.repeat(np.arange(len(names)), lengths)
    cols = np.arange(len(flat)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    ids[rows, cols] = codes
    return np.asarray(vocab, dtype=object), ids


#: Name pairs aligned per vectorised step (bounds the token-pair matrices).
NAME_CHUNK = 20_000


def _aligned(ids_a: np.ndarray, ids_b: np.ndarray, vocab: np.ndarray
             ) -> tuple[np.ndarray, np.ndarray]:
    """Alignment (as :func:`name_alignment`) and whether a token is shared, for the name
    pairs given as padded token-id rows; each distinct token pair of a chunk is scored
    once."""
    sim = np.zeros(len(ids_a))
    shared = np.zeros(len(ids_a), dtype=bool)
    width = len(vocab) + 1
    for start in range(0, len(ids_a), NAME_CHUNK):
        a, b = ids_a[start:start + NAME_CHUNK], ids_b[start:start + NAME_CHUNK]
        valid_a, valid_b = a >= 0, b >= 0
        a = a[:, :max(int(valid_a.sum(1).max()), 1)]
        b = b[:, :max(int(valid_b.sum(1).max()), 1)]
        valid_a, valid_b = a >= 0, b >= 0
        valid = valid_a[:, :, None] & valid_b[:, None, :]
        codes = a[:, :, None].astype(np.int64) * width + b[:, None, :]
        distinct, inverse = unique_inverse(codes[valid])
        scores = np.asarray(process.cpdist(vocab[distinct // width], vocab[distinct % width],
                                           scorer=JaroWinkler.normalized_similarity,
                                           workers=1), dtype=np.float64)
        cells = np.full(codes.shape, -1.0)
        cells[valid] = scores[inverse]
        len_a, len_b = valid_a.sum(1), valid_b.sum(1)
        a_to_b = np.where(valid_a, cells.max(axis=2), 0.0).sum(1) / len_a
        b_to_a = np.where(valid_b, cells.max(axis=1), 0.0).sum(1) / len_b
        sim[start:start + len(a)] = np.where(len_a == len_b, np.minimum(a_to_b, b_to_a),
                                             np.where(len_a < len_b, a_to_b, b_to_a))
        shared[start:start + len(a)] = (
            (a[:, :, None] == b[:, None, :]) & valid).any(axis=(1, 2))
    return sim, shared


def unique_inverse(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct values of an integer array and the index of each value among them,
    by one argsort (no hash table)."""
    order = np.argsort(codes, kind="stable")
    ordered = codes[order]
    new = np.r_[True, ordered[1:] != ordered[:-1]] if len(codes) else np.zeros(0, bool)
    inverse = np.empty(len(codes), dtype=np.int64)
    inverse[order] = np.cumsum(new) - 1
    return ordered[new], inverse


def _dob(a: str, b: str) -> int:
    """Level of one pair of dates (the rule :func:`_dob_levels` applies to many)."""
    if not a or not b:
        return MISSING
    if a == b:
        return 3
    if len(a) == len(b) == 10:
        if a[:4] == b[:4] and a[5:7] == b[8:10] and a[8:10] == b[5:7]:
            return 2  # day and month swapped
        edits = DamerauLevenshtein.distance(a, b)
        if edits == 1:
            return 2
        if edits == 2:
            return 1
    return 1 if a[:4] == b[:4] else 0


def _part_codes(whole: tuple[np.ndarray, np.ndarray],
                part: Callable[[pa.Array], pa.Array]) -> tuple[np.ndarray, np.ndarray]:
    """:func:`~graphkit.resolve.prepare.value_codes` of a part of every value (e-mail
    local part, phone tail), computed once per distinct value (``part``: an Arrow kernel
    over the distinct values) from the codes of the whole values."""
    codes, distinct = whole
    encoded = pc.dictionary_encode(part(pa.array(distinct, type=pa.string())))
    part_codes, parts = without_empty(  # the empty part has no code
        encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64),
        np.asarray(encoded.dictionary.to_numpy(zero_copy_only=False), dtype=object))
    return np.where(codes >= 0, np.r_[part_codes, -1][codes], -1), parts


def _before(separator: str) -> Callable[[pa.Array], pa.Array]:
    """An Arrow kernel: each string up to the first ``separator`` (all of it without)."""
    return lambda a: pc.list_element(pc.split_pattern(a, separator, max_splits=1), 0)


def _by_value_pair(codes: np.ndarray, left: np.ndarray, right: np.ndarray,
                   levels: np.ndarray, todo: np.ndarray,
                   decide: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> None:
    """Fill ``levels[todo]`` with ``decide(codes_a, codes_b)``, called once on every
    distinct pair of values (not once per record pair) and vectorised over them."""
    if not todo.any():
        return
    cl, cr = codes[left[todo]], codes[right[todo]]
    lo, hi = np.minimum(cl, cr), np.maximum(cl, cr)
    width = int(codes.max()) + 1
    # one hash pass (the order of the distinct pairs does not change what is decided)
    inverse, unique = pd.factorize(lo * width + hi)
    decided = decide(unique // width, unique % width)
    levels[todo] = np.asarray(decided, dtype=np.int8)[inverse]


def _scores(scorer, distinct: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.asarray(process.cpdist(distinct[a], distinct[b], scorer=scorer, workers=-1))


def _dob_levels(distinct: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """:func:`_dob` for many pairs of different, non-empty dates (codes into ``distinct``)."""
    text = pd.Series(distinct, dtype=object)
    year = text.str[:4].to_numpy()
    month = text.str[5:7].to_numpy()
    day = text.str[8:10].to_numpy()
    full = (text.str.len() == 10).to_numpy()
    both = full[a] & full[b]
    same_year = year[a] == year[b]
    swapped = both & same_year & (month[a] == day[b]) & (day[a] == month[b])
    edits = _scores(DamerauLevenshtein.distance, distinct, a, b)
    return np.select([swapped, both & (edits == 1), both & (edits == 2), same_year],
                     [2, 2, 1, 1], 0)


#: Record pairs compared per step: bounds the temporary arrays whatever the pair count.
PAIR_CHUNK = 1_000_000
#: Threads do not split the pairs into chunks smaller than this.
MIN_THREAD_CHUNK = 50_000


def compare_pairs(features: Features, left: np.ndarray, right: np.ndarray,
                  workers: int | None = None) -> dict[str, np.ndarray]:
    """Level arrays (int8) per field for the pairs ``(left[k], right[k])``.

    Pairs are compared in chunks of :data:`PAIR_CHUNK`; within a chunk each distinct pair
    of values is compared once, however many record pairs share it. Chunks run on
    ``workers`` threads (default: ``features.workers``); the levels are the same for any
    count.
    """
    columns = _columns(features)
    left, right = np.asarray(left, dtype=np.int64), np.asarray(right, dtype=np.int64)
    out = {name: np.empty(len(left), dtype=np.int8) for name in LEVELS}
    workers = features.workers if workers is None else workers

    # with threads, chunks small enough that each thread gets one (levels do not depend
    # on the chunking: each pair of values is decided by the same rule in any chunk)
    # (and of equal sizes, so that no thread is left with a last chunk alone)
    chunk = PAIR_CHUNK
    if workers > 1:
        rounds = -(-len(left) // (workers * PAIR_CHUNK))
        chunk = max(MIN_THREAD_CHUNK, -(-len(left) // (workers * max(rounds, 1))))

    def one_chunk(start: int) -> None:
        stop = start + chunk
        part = _compare_chunk(columns, left[start:stop], right[start:stop])
        for name in LEVELS:
            out[name][start:stop] = part[name]

    run_each(one_chunk, range(0, len(left), chunk), workers)
    return out


def _columns(features: Features) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per-record value codes (and distinct values) of every compared column, computed
    once per feature set."""
    with _COLUMNS_LOCK:  # threads comparing the same features make them once
        if "compare" not in features.cache:
            features.cache["compare"] = _make_columns(features)
        return features.cache["compare"]


#: Held while a feature set's comparison columns are made.
_COLUMNS_LOCK = threading.Lock()


def _make_columns(features: Features) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    f = features.frame
    email, phone, address = (value_codes(f[c]) for c in ("email", "phone", "address"))
    columns = {
        "name": value_codes(f["name_key"]),
        "dob": value_codes(f["dob"]),
        "email": email,
        "email_local": _part_codes(email, _before("@")),
        "phone": phone,
        "phone_tail": _part_codes(phone, lambda p: pc.utf8_slice_codeunits(p, -7)),
        "national_id": value_codes(f["national_id"]),
        "passport": value_codes(f["passport"]),
        "address": address,
        "place": _joined_codes(value_codes(f["postcode"]), value_codes(f["street_number"])),
        "street": _part_codes(address, _before("|")),
    }
    columns["name_tokens"] = _key_token_ids(columns["name"][1])
    return columns


def _key_token_ids(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_token_ids` of name keys (tokens joined by single spaces), split by Arrow
    rather than name by name: the padded token-id rows and the distinct tokens."""
    split = pc.split_pattern(pa.array(np.asarray(keys, dtype=object), type=pa.string()), " ")
    lengths = np.asarray(pc.list_value_length(split), dtype=np.int64)
    encoded = pc.dictionary_encode(pc.list_flatten(split))
    vocab = np.asarray(encoded.dictionary.to_numpy(zero_copy_only=False), dtype=object)
    if (vocab == "").any():  # not single-spaced tokens: split name by name
        vocab, ids = _token_ids([tuple(key.split()) for key in keys.tolist()])
        return ids, vocab
    codes = encoded.indices.to_numpy(zero_copy_only=False)
    ids = np.full((len(keys), max(int(lengths.max()) if len(keys) else 0, 1)), -1,
                  dtype=np.int32)
    rows = np.repeat(np.arange(len(keys)), lengths)
    ids[rows, np.arange(len(codes)) - np.repeat(np.cumsum(lengths) - lengths, lengths)] = codes
    return ids, vocab


def _joined_codes(first: tuple[np.ndarray, np.ndarray], second: tuple[np.ndarray, np.ndarray]
                  ) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_codes` of ``first|second`` per record (empty unless both are given), from
    the codes of the two columns: no string is built per record. The first column must
    not contain ``|`` (a postcode holds letters and digits only), so that distinct code
    pairs are distinct strings."""
    (a, values_a), (b, values_b) = first, second
    width = len(values_b) + 1
    key = np.where((a >= 0) & (b >= 0), a * width + b, -1)
    codes, first = first_seen_codes(key)  # pd.factorize's codes, by a sort
    distinct = key[first]
    empty = np.flatnonzero(distinct == -1)
    if len(empty):
        at = int(empty[0])
        codes = np.where(codes == at, -1, codes - (codes > at))
        distinct = np.delete(distinct, at)
    if not len(distinct):
        return codes, np.empty(0, dtype=object)
    joined = pc.binary_join_element_wise(
        pa.array(np.asarray(values_a, dtype=object)[distinct // width], type=pa.string()),
        pa.array(np.asarray(values_b, dtype=object)[distinct % width], type=pa.string()), "|")
    return codes, np.asarray(joined.to_numpy(zero_copy_only=False), dtype=object)


def _exact(codes: np.ndarray, left: np.ndarray, right: np.ndarray, top: int) -> np.ndarray:
    """Levels of one field: missing, ``top`` where equal, else 0."""
    cl, cr = codes[left], codes[right]
    out = np.zeros(len(left), dtype=np.int8)
    out[cl == cr] = top
    out[(cl < 0) | (cr < 0)] = MISSING
    return out


def _compare_chunk(columns: dict, left: np.ndarray, right: np.ndarray
                   ) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    key_codes = columns["name"][0]
    ids, vocab = columns["name_tokens"]
    name = _exact(key_codes, left, right, 4)

    def name_levels(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        sim, shared = _aligned(ids[a], ids[b], vocab)
        return np.select([sim >= 0.95, sim >= 0.88, (sim >= 0.75) | shared], [3, 2, 1], 0)

    _by_value_pair(key_codes, left, right, name, name == 0, name_levels)
    out["name"] = name
    dob_codes, dob_distinct = columns["dob"]
    out["dob"] = _exact(dob_codes, left, right, 3)
    _by_value_pair(dob_codes, left, right, out["dob"], out["dob"] == 0,
                   lambda a, b: _dob_levels(dob_distinct, a, b))
    for field_name, part in (("email", "email_local"), ("phone", "phone_tail")):
        levels = _exact(columns[field_name][0], left, right, 2)
        _same_part(levels, columns[part][0], left, right)
        out[field_name] = levels
    nid_codes, nid_distinct = columns["national_id"]
    out["national_id"] = _exact(nid_codes, left, right, 2)
    _by_value_pair(nid_codes, left, right, out["national_id"], out["national_id"] == 0,
                   lambda a, b: _scores(DamerauLevenshtein.distance, nid_distinct, a, b) <= 2)
    out["passport"] = _exact(columns["passport"][0], left, right, 1)
    address = _exact(columns["address"][0], left, right, 2)
    place = columns["place"][0]
    address[(place[left] == place[right]) & (place[left] >= 0) & (address == 0)] = 1
    street_codes, streets = columns["street"]
    _by_value_pair(street_codes, left, right, address,
                   (address == 0) & (street_codes[left] >= 0) & (street_codes[right] >= 0),
                   lambda a, b: _scores(JaroWinkler.normalized_similarity,
                                        streets, a, b) >= 0.92)
    out["address"] = address
    return {name: out[name] for name in LEVELS}


def _same_part(levels: np.ndarray, codes: np.ndarray, left: np.ndarray,
               right: np.ndarray) -> None:
    """Level 1 where values differ but a part (e-mail local part, last 7 digits) agrees."""
    agree = (levels == 0) & (codes[left] == codes[right]) & (codes[left] >= 0)
    levels[agree] = 1
