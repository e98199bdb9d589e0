"""Resolution that reuses a previous build's field comparisons for unchanged records.

The comparison levels of a pair depend only on the two records' features, and features
only on the record's own fields (:data:`FINGERPRINT_COLUMNS`). So a candidate pair whose
two records carry the fingerprints they had in the previous build, and that was a
candidate then, has the levels stored then. Everything global (blocking, the EM model,
the random-pair estimate of u, clustering) still runs on all records."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from graphkit.graph.assemble import arrow_text
from graphkit.incremental.state import PeopleState
from graphkit.resolve.compare import LEVELS, compare_pairs
from graphkit.resolve.prepare import (
    FEATURE_COLUMNS,
    INPUT_COLUMNS,
    OBJECT_COLUMNS,
    Features,
    prepare,
)

#: The people columns :func:`graphkit.resolve.prepare.prepare` reads (besides record_id).
FINGERPRINT_COLUMNS = INPUT_COLUMNS


def record_fingerprints(people: pd.DataFrame) -> np.ndarray:
    """A 64-bit content hash per person record over :data:`FINGERPRINT_COLUMNS`."""
    frame = pd.DataFrame({c: people[c].fillna("").astype(str) if c in people.columns
                          else pd.Series("", index=people.index)
                          for c in FINGERPRINT_COLUMNS})
    return pd.util.hash_pandas_object(frame, index=False).to_numpy(np.uint64)


@dataclass
class PairReuse:
    """A stand-in for :func:`~graphkit.resolve.compare.compare_pairs` (pass it as
    ``resolve(..., compare=reuse)``) that reuses ``previous`` levels where it can. After
    the call it holds this build's :class:`PeopleState` (``state``) and counts."""

    people: pd.DataFrame
    previous: PeopleState | None = None
    state: PeopleState | None = None
    counts: dict[str, int] = field(default_factory=dict)
    #: this build's features (``prepare``), handed on to the next build
    features: pd.DataFrame | None = None
    _known: tuple[np.ndarray, np.ndarray] | None = None

    def _fingerprints_and_old(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each record's fingerprint and its position in the previous build (or -1)."""
        if self._known is None or len(self._known[0]) != len(ids):
            fingerprints = record_fingerprints(self.people.reset_index(drop=True))
            self._known = fingerprints, self._old_positions(ids, fingerprints)
        return self._known

    def prepare(self, people: pd.DataFrame, workers: int = 1) -> Features:
        """A stand-in for :func:`~graphkit.resolve.prepare.prepare` (pass it as
        ``resolve(..., prepare=reuse.prepare)``): the previous build's features for
        records whose fingerprint is unchanged (features depend on the record's own
        fields alone), prepared now for the others."""
        ids = people["record_id"].to_numpy(dtype=object)
        _, old = self._fingerprints_and_old(ids)
        before = self.previous.features if self.previous is not None else None
        reused = np.flatnonzero(old >= 0) if before is not None else np.zeros(0, np.int64)
        if not len(reused):
            features = prepare(people, workers=workers)
        else:
            fresh_at = np.flatnonzero(old < 0)
            fresh = prepare(people.iloc[fresh_at], workers=workers).frame \
                if len(fresh_at) else None
            # each record's row in [previous rows, fresh rows]: one take per column
            source = old.copy()
            source[fresh_at] = len(before) + np.arange(len(fresh_at))
            data = {"record_id": pd.Series(ids, dtype=object)}
            for column in FEATURE_COLUMNS[1:]:
                if column in OBJECT_COLUMNS:
                    values = np.empty(len(ids), dtype=object)
                    values[reused] = before[column].to_numpy(dtype=object)[old[reused]]
                    if fresh is not None:
                        values[fresh_at] = fresh[column].to_numpy(dtype=object)
                    data[column] = values
                else:
                    data[column] = _coded(before[column], None if fresh is None
                                          else fresh[column], source)
            features = Features(pd.DataFrame(data, columns=list(FEATURE_COLUMNS)),
                                workers=workers)
        self.counts["features_reused"] = len(reused)
        self.features = features.frame
        return features

    def __call__(self, features: Features, left: np.ndarray, right: np.ndarray
                 ) -> dict[str, np.ndarray]:
        ids = features.frame["record_id"].to_numpy(dtype=object)
        fingerprints, old = self._fingerprints_and_old(ids)
        left, right = np.asarray(left, dtype=np.int64), np.asarray(right, dtype=np.int64)
        found = np.full(len(left), -1, dtype=np.int64)
        if self.previous is not None and len(self.previous.left):
            n_old = len(self.previous.records)
            old_codes = self.previous.left * n_old + self.previous.right  # sorted
            ol, orr = old[left], old[right]
            both = (ol >= 0) & (orr >= 0)
            codes = ol * n_old + orr
            at = np.minimum(np.searchsorted(old_codes, codes), len(old_codes) - 1)
            hit = both & (old_codes[at] == codes)
            found[hit] = at[hit]
        reuse = found >= 0
        fresh = compare_pairs(features, left[~reuse], right[~reuse])
        levels = {}
        for name in LEVELS:
            level = np.empty(len(left), dtype=np.int8)
            level[~reuse] = fresh[name]
            if self.previous is not None:
                level[reuse] = self.previous.levels[name][found[reuse]]
            levels[name] = level
        self.state = PeopleState(pd.DataFrame({"record_id": ids.astype(str),
                                               "fingerprint": fingerprints}),
                                 left, right, levels, self.features)
        self.counts = {"records": len(ids), "records_reused": int((old >= 0).sum()),
                       "features_reused": self.counts.get("features_reused", 0),
                       "pairs": len(left), "pairs_reused": int(reuse.sum()),
                       "pairs_compared": int((~reuse).sum())}
        return levels

    def _old_positions(self, ids: np.ndarray, fingerprints: np.ndarray) -> np.ndarray:
        """Per record, its position in the previous build when its record id is there
        once with the same fingerprint, else -1."""
        if self.previous is None:
            return np.full(len(ids), -1, dtype=np.int64)
        prev = self.previous.records
        prev_ids = _text(prev["record_id"].astype(str))
        counts = pc.value_counts(prev_ids)
        once = pc.filter(counts.field("values"), pc.equal(counts.field("counts"), 1))
        # an id held by several previous records is not matched (as pandas' keep=False)
        unique = pc.is_in(prev_ids, value_set=once).to_numpy(zero_copy_only=False)
        at = np.flatnonzero(unique)
        if not len(at):
            return np.full(len(ids), -1, dtype=np.int64)
        found = pc.index_in(_text(pd.Series(ids, dtype=object).astype(str)),
                            value_set=prev_ids.filter(pa.array(unique)))
        found = pc.fill_null(found, -1).to_numpy(zero_copy_only=False).astype(np.int64)
        old = np.where(found >= 0, at[np.maximum(found, 0)], -1)
        known = old >= 0
        same = np.zeros(len(ids), dtype=bool)
        same[known] = prev["fingerprint"].to_numpy(np.uint64)[old[known]] == fingerprints[known]
        return np.where(same, old, -1)


def _text(values: pd.Series) -> pa.Array:
    """A text feature column as one Arrow string array (categories spread to rows), with
    64-bit offsets: the previous and the fresh rows are joined into one."""
    return arrow_text(values).cast(pa.large_string())


def _coded(before: pd.Series, fresh: pd.Series | None, source: np.ndarray) -> pd.Series:
    """The categorical column :func:`~graphkit.resolve.prepare.coded_column` makes of the
    values ``[before rows, fresh rows][source]``, by Arrow: one take, and one dictionary
    encoding whose codes number the distinct values in order of first appearance (as
    ``pd.factorize``), missing values -1; no Python string per row."""
    pool = _text(before) if fresh is None else pa.concat_arrays([_text(before), _text(fresh)])
    encoded = pc.dictionary_encode(pool.take(pa.array(source)))
    codes = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False)
    categories = pd.Index(encoded.dictionary.to_numpy(zero_copy_only=False), dtype=object)
    return pd.Series(pd.Categorical.from_codes(codes, categories=categories),
                     dtype="category")
