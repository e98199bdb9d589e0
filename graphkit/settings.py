"""Settings: every threshold and limit of a build, with one owner.

A ``Settings`` object is made once (defaults, then the project file, then the command
line) and passed down the pipeline to every stage that uses it; no stage keeps its own
copy of a threshold.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace


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
    #: resolution: uncertain pairs (the band, and merges a rule refused) queued for review
    #: per 1,000 records, the most probable first; the rest are kept apart with decision
    #: ``over_budget`` (``review_pairs.csv``). 0 (or None from Python): no cap; a project
    #: file's ``null`` keeps this default (README, "Review budget")
    review_budget: float | None = 1.0
    #: resolution: blocks up to this many records give all their pairs; larger ones are
    #: windowed (sorted neighbourhoods), so candidate pairs per record stay bounded
    resolve_max_block: int = 8
    #: resolution: neighbours each record of a large block is paired with, per sort order
    resolve_window: int = 1
    #: resolution: a block of a name-with-context key (name token and postcode, birth date
    #: and initial) that chance alone would fill with this many records (how common the
    #: token times how common the postcode, over the records) is split by a second key
    #: (date of birth, day and month in either order; postcode), so chance namesakes
    #: per record stay bounded as the records grow (``graphkit.resolve.blocking.
    #: SPLIT_KEYS``; a record without that key joins every part); 0: never split
    resolve_chance_partners: float = 2.0
    #: resolution: threads it may use (0: the cores available, at most 4; 1: none);
    #: the entities and pairs are the same for any count
    resolve_workers: int = 0
    #: screening: hits at or above this calibrated probability are kept
    screen_threshold: float = 0.5
    #: sanctions entries screened: program glob patterns, "all", or "dprk-nexus" (DPRK
    #: programs, or North Korea in nationality, citizenship, address or remarks;
    #: ``graphkit.lists.DPRK_NEXUS``)
    programs: tuple[str, ...] = ("dprk-nexus",)
    #: seed of every randomised step (community detection, sampling, drawing layouts)
    seed: int = 7
    #: limits on hostile input (each ends in a clear error naming the file, never a hang):
    #: bytes a gzip file may unpack to (lists and data files)
    max_decompressed_bytes: int = 4 * 1024**3
    #: unpacked / packed size ratio a gzip file may reach once past 16 MiB (bombs: ~1000)
    max_compression_ratio: int = 200
    #: YAML nodes a project file or loader spec may expand to through aliases
    max_yaml_nodes: int = 100_000
    #: columns a data file's header may have
    max_columns: int = 2_000
    #: characters one field may hold (a longer field is reported and emptied, its row kept;
    #: a physical line longer than 1,000 times this is reported and skipped)
    max_field_chars: int = 10_000
    #: CSVs meant for people (clusters, entities, hits, issues, rings) neutralise cells
    #: that a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``, tab, CR)
    csv_safety: bool = True
    #: write graph.graphml: True always, False never, None only for builds of at most
    #: ``graph_files_max_nodes`` nodes (``nodes.parquet`` is the lossless graph at any size)
    graphml: bool | None = None
    #: write graph.json (node-link JSON): True, False, or None as for ``graphml``
    graph_json: bool | None = None
    #: builds up to this many nodes write GraphML and JSON unless told otherwise
    graph_files_max_nodes: int = 100_000
    #: builds up to this many nodes count as small: they keep the ingested fields in memory
    #: (``keep_record_fields``); clusters and rings run on the tables at any size
    graph_view_max_nodes: int = 400_000
    #: rings shown in detail in report.html (the highest-scoring at or above
    #: ``report_min_score``; all are in rings.csv)
    report_rings: int = 50
    #: report.html's triage threshold: rings scoring below this are folded away (counted,
    #: listed briefly); those at or above it are listed, and the top ``report_rings`` drawn
    report_min_score: float = 40.0
    #: keep every ingested field in ``BuildResult.data`` after the graph is built: True,
    #: False, or None for small builds only (``graph_view_max_nodes``); the fields live on
    #: as properties of the Record nodes either way
    keep_record_fields: bool | None = None
    #: the graph, clusters and rings stages: glibc (Linux) serves blocks of up to this many
    #: MiB from its heap and keeps freed ones there for reuse, instead of fresh pages the
    #: kernel zeroes for every big temporary; given back when rings end (``graphkit.heap``).
    #: 0: off (glibc left alone). At 1M people 1024 saved 2-4 s of the graph stage's CPU and
    #: slowed its growth for 1.2-3.2% more peak memory (README, "Keeping freed big blocks").
    #: Changes how fast and how much memory, never what is built
    heap_keep_mib: int = 1024
    #: the graph stage, which grows into new memory (its tables): whether NumPy asks for
    #: transparent huge pages for its big arrays (True, False), or None to follow the
    #: machine: not on a virtual machine whose balloon reports free memory to its host
    #: (there a huge page of memory touched the first time costs the kernel ~4x what 4 KiB
    #: pages do), else NumPy's own choice (``graphkit.heap.numpy_huge_pages``). Changes
    #: how fast, never what is built
    huge_pages: bool | None = None
    #: build-to-build changes (``graphkit diff``, ``build --previous``): a ring's score
    #: moving by at least this much (0–100 scale) is a ``score_changed`` change
    diff_score_change: float = 5.0

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
