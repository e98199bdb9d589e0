"""Settings: every threshold and limit of a build, with one owner.

A ``Settings`` object is made once (defaults, then the project file, then the command
line) and passed down the pipeline to every stage that uses it; no stage keeps its own
copy of a threshold.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace

from graphkit.schema import DPRK_PROGRAMS


@dataclass(frozen=True)
class Settings:
    """Thresholds and limits of one build (documented in the README)."""

    #: identifiers shared by more entities than this are hubs: reported, never linking
    max_identifier_share: int = 20
    #: linked components larger than this are split into communities before scoring
    max_ring: int = 30
    #: rings: an IP shared by people of this many households or more is explained as a
    #: carrier NAT or public network (it still links them)
    nat_min_households: int = 10
    #: resolution: pairs at or above this match probability are merged
    merge_threshold: float = 0.95
    #: resolution: pairs between this and ``merge_threshold`` go to review
    review_threshold: float = 0.5
    #: screening: hits at or above this calibrated probability are kept
    screen_threshold: float = 0.5
    #: sanctions programs screened (glob patterns)
    programs: tuple[str, ...] = DPRK_PROGRAMS
    #: seed of every randomised step (community detection, sampling, drawing layouts)
    seed: int = 7

    def with_overrides(self, **values) -> Settings:
        """A copy with the given fields replaced (``None`` values are ignored)."""
        known = {f.name for f in fields(self)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise KeyError(f"unknown setting(s): {', '.join(unknown)}")
        return replace(self, **{k: v for k, v in values.items() if v is not None})

    def to_dict(self) -> dict:
        """Plain values, for manifests and reports."""
        data = asdict(self)
        data["programs"] = list(self.programs)
        return data


DEFAULT_SETTINGS = Settings()

__all__ = ["DEFAULT_SETTINGS", "Settings"]
