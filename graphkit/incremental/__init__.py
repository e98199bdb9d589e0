"""Incremental builds: ``graphkit build --previous OLD_BUILD`` reuses what an earlier
build computed for records and names that did not change, and equals a full rebuild.

Every build writes ``state/`` beside its outputs (:mod:`~graphkit.incremental.state`):
a content fingerprint per person record, the field-comparison levels of every candidate
pair, and the screening hits per distinct name with the identity (content hash) of the
lists and threshold they were screened at. The next build

* resolves (:mod:`~graphkit.incremental.resolve`) by blocking all records again (blocks
  and windows depend on every record), reusing the stored levels of each candidate pair
  whose two records are unchanged and comparing only the others; the model (EM, its
  prior, the random-pair u estimate) and the clustering then run on all pairs, so every
  global statistic and decision is that of a full rebuild;
* screens (:mod:`~graphkit.incremental.screen`) only names (with kind and date of birth)
  not screened before, unless the lists or the threshold changed, when all are screened.

What was reused and what recompared is reported per stage in summary.txt and build.json.
"""

from graphkit.incremental.resolve import PairReuse, record_fingerprints
from graphkit.incremental.screen import ScreenReuse, list_identity, screen_reusing
from graphkit.incremental.state import (
    STATE_DIR,
    BuildState,
    PeopleState,
    ScreenState,
    read_state,
    write_state,
)

__all__ = ["STATE_DIR", "BuildState", "PairReuse", "PeopleState", "ScreenReuse",
           "ScreenState", "list_identity", "read_state", "record_fingerprints",
           "screen_reusing", "write_state"]
