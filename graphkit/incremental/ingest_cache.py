"""A per-input-file ingest cache in a build's ``state/ingest/``.

Each loaded file leaves its parsed records, its identifiers and its issues (with their
file and line) as Arrow IPC files, under a key of the file's name, the loader spec, the source
name, the settings ingest reads (:func:`graphkit.ingest.limits_of`) and a digest of the
ingest code. The next build (``--previous``) reads an entry back instead of parsing when
the file's SHA-256 is the one recorded; when the file only grew (it begins with exactly
the old file's bytes, by the SHA-256 of that prefix, and both old and new parts are clean
one-line-per-record text) only the tail is parsed and appended, line numbers going on.
Anything else, or a cache that is missing or unreadable, is parsed in full, and the build
says why. The result equals a full parse: records, identifiers, line numbers, and the
issues (for an appended file, the same issues, the tail's after the head's).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pyarrow import feather

from graphkit.filedigest import file_digest
from graphkit.incremental.codedigest import code_digest
from graphkit.ingest.core import (
    ParsedRows,
    SourceReader,
    finish_records,
    limits_of,
    parse_rows,
)
from graphkit.ingest.fields import STR, unique_ids
from graphkit.ingest.identifiers import KIND_DTYPE, LAYOUT_DTYPE, extract_identifiers
from graphkit.ingest.spec import COMPOSITE_KINDS, LoaderSpec
from graphkit.issues import ISSUE_COLUMNS, IssueLog
from graphkit.schema import IDENTIFIER_COLUMNS
from graphkit.settings import Settings

INGEST_DIR = "ingest"
INDEX = "index.json"
#: Entries are Arrow IPC files, zstd-compressed: read back ~10x faster than Parquet.
SUFFIX = ".arrow"
#: Bumped whenever what an entry holds changes.
INGEST_FORMAT = 2
#: Code that decides records, identifiers and issues (packages, then single modules).
_PACKAGES = ("ingest", "text")
_MODULES = ("schema.py", "distinct.py", "issues.py", "limits.py", "safeyaml.py")
_GZIP_MAGIC = b"\x1f\x8b"


#: What a cache key (and an entry's file stem) looks like.
_KEY = re.compile(r"[0-9a-f]{32}")


@cache
def ingest_code_identity() -> str:
    """A digest of the code that parses files into records, identifiers and issues."""
    return code_digest(f"ingest-cache/{INGEST_FORMAT}", _PACKAGES, _MODULES)


def source_key(path: Path, spec: LoaderSpec, source_name: str | None,
               settings: Settings | None) -> str:
    """The cache key of one source besides its content: file name, loader spec, source
    name, the read limits and the ingest code."""
    spec_text = repr((spec.name, spec.layout, sorted(spec.columns.items()),
                      sorted((k.value, v) for k, v in spec.identifiers.items()),
                      spec.required, spec.encoding, spec.delimiter, spec.max_field_chars,
                      spec.explicit_columns, sorted(spec.extra.items())))
    text = "\0".join([ingest_code_identity(), path.name, source_name or spec.name, spec_text,
                      repr(limits_of(settings, spec))])
    return hashlib.sha256(text.encode()).hexdigest()[:32]


@dataclass
class Entry:
    """One cached file: what it was (``sha256``, ``size``, newline count ``lines``,
    whether it ends with a line end, was read by Arrow and kept its record ids as
    written) and where its files are (``stem``.records/.identifiers/.issues.arrow)."""

    key: str
    file: str
    sha256: str
    size: int
    lines: int
    ends_newline: bool
    fast: bool
    ids_as_written: bool
    stem: str

    @property
    def appendable(self) -> bool:
        """Whether a grown file may be read by parsing only what was appended."""
        return self.fast and self.ids_as_written and self.ends_newline


@dataclass
class _Loaded:
    """A file's parse (or cached parse) as ingest holds it until identifiers are made."""

    entry: Entry | None
    records: pd.DataFrame
    record_ids: pa.ChunkedArray
    read_issues: pd.DataFrame
    identifiers: pd.DataFrame | None = None
    id_issues: pd.DataFrame | None = None
    reused_from: Path | None = None
    #: the previous entry of a changed file (its unchanged records' identifiers)
    before: Entry | None = None


@dataclass
class IngestCache(SourceReader):
    """A :class:`~graphkit.ingest.core.SourceReader` reading unchanged files back from
    the previous build's ``state/ingest/`` (``previous``: that build folder, or None)
    and holding this build's entries for :func:`write_ingest_state`. ``counts``: files
    read back, appended to, parsed; ``notes``: why a cache could not be used."""

    previous: Path | None = None
    counts: dict[str, int] = field(default_factory=lambda: {
        "files": 0, "files_reused": 0, "files_appended": 0, "files_parsed": 0,
        "rows_parsed": 0})
    notes: list[str] = field(default_factory=list)
    _index: dict[str, Entry] = field(default_factory=dict)
    _folder: Path | None = None
    _loaded: dict[int, _Loaded] = field(default_factory=dict)
    _done: list[tuple[Entry, Path]] = field(default_factory=list)
    _staging: tempfile.TemporaryDirectory | None = None
    _writer: ThreadPoolExecutor | None = None
    _pending: list[tuple[str, Future]] = field(default_factory=list)
    _failed: set[str] = field(default_factory=set)
    _seen: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.previous is None:
            return
        folder = Path(self.previous) / "state" / INGEST_DIR
        index = folder / INDEX
        if not index.is_file():
            self.notes.append(f"ingest cache: {index} missing; every file parsed")
            return
        try:
            meta = json.loads(index.read_text(encoding="utf-8"))
            if meta.get("format") != INGEST_FORMAT:
                raise ValueError(f"format {meta.get('format')!r}, this graphkit reads "
                                 f"{INGEST_FORMAT}")
            entries = [Entry(**e) for e in meta["files"]]
            for entry in entries:  # names of files inside this folder, nothing else
                if not (_KEY.fullmatch(entry.key) and entry.stem == entry.key):
                    raise ValueError(f"entry {entry.key!r}: not a cache key")
            self._index = {e.key: e for e in entries}
            self._folder = folder
        except (OSError, ValueError, KeyError, TypeError) as exc:
            self.notes.append(f"ingest cache: {index} unreadable ({exc}); every file parsed")

    # -- SourceReader ------------------------------------------------------------------

    def records(self, path: Path, spec: LoaderSpec, log: IssueLog, source_name: str | None,
                settings: Settings | None) -> pd.DataFrame:
        """Records of one file: read back, tail-parsed, or parsed (see the module)."""
        key = source_key(path, spec, source_name, settings)
        self._seen[key] = seen = self._seen.get(key, 0) + 1
        if seen > 1:  # a second source with this file name and spec: a key of its own
            key = hashlib.sha256(f"{key}#{seen}".encode()).hexdigest()[:32]
        old = self._index.get(key)
        digest = file_digest(path, prefix=old.size if old is not None else None)
        self.counts["files"] += 1
        loaded = None
        if old is not None and digest.sha256 == old.sha256:
            loaded = self._read_back(old, path)
            if loaded is not None:
                self.counts["files_reused"] += 1
        elif (old is not None and old.appendable and digest.prefix_sha256 == old.sha256
              and digest.size > old.size):
            loaded = self._append(old, path, spec, settings, source_name, digest)
        elif old is not None and digest.prefix_sha256 == old.sha256:
            why = ("its record ids were renamed (empty or repeated)" if not old.ids_as_written
                   else "it was not clean one-line-per-record text" if not old.fast
                   else "it did not end with a line end")
            self.notes.append(f"ingest cache: {path.name} grew, but {why}; parsed in full")
        elif old is not None:
            self.notes.append(f"ingest cache: {path.name} changed; parsed in full")
        if loaded is None:
            loaded = self._parse(path, spec, settings, source_name, key, digest.sha256,
                                 digest.size)
            loaded.before = old  # its unchanged records may keep their identifiers
        if loaded.entry is not None and path.stat().st_size != digest.size:
            self.notes.append(f"ingest cache: {path.name} changed while it was read; "
                              "not cached")
            loaded.entry = None
        _replay(loaded.read_issues, log)
        self._loaded[id(loaded.records)] = loaded
        return loaded.records

    def identifiers(self, records: pd.DataFrame, spec: LoaderSpec, log: IssueLog
                    ) -> pd.DataFrame:
        """Identifiers of one file's records: the cached ones while its record ids are
        those it was cached with, else extracted now (and the file not cached)."""
        loaded = self._loaded.pop(id(records), None)
        if loaded is None:
            return super().identifiers(records, spec, log)
        same_ids = _ids(records).equals(loaded.record_ids)
        if loaded.identifiers is None and same_ids and loaded.before is not None:
            self._identifiers_reusing(loaded, spec)
        if loaded.identifiers is None or not same_ids:
            scratch = IssueLog()
            loaded.identifiers = extract_identifiers(records, spec.identifiers, spec.layout,
                                                     scratch)
            loaded.id_issues = _issue_frame(scratch)
            if not same_ids:  # renamed across files: not what the file alone gives
                loaded.entry = None
        _replay(loaded.id_issues, log)
        if loaded.entry is not None:
            if loaded.reused_from is None:
                self._stage(loaded)
            # the entry and where its files are, not the frames: the graph stage lets the
            # records go, and this cache must not hold them for the whole build
            self._done.append((loaded.entry, loaded.reused_from))
        return loaded.identifiers

    def _identifiers_reusing(self, loaded: _Loaded, spec: LoaderSpec) -> None:
        """Identifiers of a changed file: the previous entry's rows for records whose
        id and identifier fields are unchanged (identifiers are made record by record),
        extracted now for the others, in the order a whole-file extraction gives. Left
        undone (None) when the previous entry had identifier issues or is unreadable.
        Records are matched by Arrow hash lookups on their ids (no Python string per
        row), and of the previous records only the id and identifier columns are read."""
        records = loaded.records
        columns = ["record_id", *sorted({c for cols in spec.identifiers.values()
                                         for c in cols if c and c in records.columns})]
        before = loaded.before
        try:
            issues = _read(self._file(before, "issues"))
            if (issues["phase"] == "identifiers").any():
                return
            old_records = _read(self._file(before, "records"), columns)
            old_identifiers = _identifier_frame(_read(self._file(before, "identifiers")))
        except (OSError, ValueError, KeyError, pa.ArrowException) as exc:
            self.notes.append(f"ingest cache: entry of {Path(before.file).name} unreadable "
                              f"({exc}); identifiers extracted in full")
            return
        old_ids = _text(old_records["record_id"])
        if pc.count_distinct(old_ids).as_py() != len(old_ids):
            return
        old_at = _positions(_text(records["record_id"]), old_ids)
        same = old_at >= 0
        new_text = _row_text(records, columns).filter(pa.array(same))
        old_text = _row_text(old_records, columns).take(pa.array(old_at[same]))
        same[same] = pc.equal(new_text, old_text).to_numpy(zero_copy_only=False)
        new_of_old = np.full(len(old_records) + 1, -1, dtype=np.int64)  # [-1]: not found
        new_of_old[old_at[same]] = np.flatnonzero(same)
        # the previous rows of unchanged records, at their records' new positions
        kept = new_of_old[_positions(_text(old_identifiers["record_id"]), old_ids)]
        parts = [old_identifiers[kept >= 0]]
        positions = [kept[kept >= 0]]
        changed = np.flatnonzero(~same)
        scratch = IssueLog()
        if len(changed):
            subset = records.iloc[changed].reset_index(drop=True)
            fresh = extract_identifiers(subset, spec.identifiers, spec.layout, scratch)
            at = _positions(_text(fresh["record_id"]), _text(subset["record_id"]))
            parts.append(fresh)
            positions.append(changed[at])
        both = pd.concat(parts, ignore_index=True)
        order = np.lexsort((np.concatenate(positions), _piece_numbers(both, spec)))
        loaded.identifiers = _identifier_frame(both.iloc[order])
        loaded.id_issues = _issue_frame(scratch)  # the old rows had none
        self.counts["records_identifiers_reused"] = (
            self.counts.get("records_identifiers_reused", 0) + int(same.sum()))

    # -- the three ways to a file's records ---------------------------------------------

    def _read_back(self, entry: Entry, path: Path) -> _Loaded | None:
        try:
            records = _records_frame(_read(self._file(entry, "records")))
            identifiers = _identifier_frame(_read(self._file(entry, "identifiers")))
            issues = _read(self._file(entry, "issues"))
        except (OSError, ValueError, KeyError, pa.ArrowException) as exc:
            self.notes.append(f"ingest cache: entry of {path.name} unreadable ({exc}); "
                              "parsed in full")
            return None
        read, ids = _split_issues(issues)
        return _Loaded(entry, records, _ids(records), read, identifiers, ids,
                       reused_from=self._folder)

    def _parse(self, path: Path, spec: LoaderSpec, settings: Settings | None,
               source_name: str | None, key: str, sha256: str, size: int) -> _Loaded:
        scratch = IssueLog()
        parsed = parse_rows(path, spec, scratch, settings)
        written = (_ids(parsed.frame) if parsed.frame is not None
                   else pa.chunked_array([], pa.string()))
        records = finish_records(parsed, path, spec, scratch, source_name)
        ids = _ids(records)
        lines, ends = _newlines(path)
        entry = Entry(key, path.name, sha256, size, lines, ends, parsed.fast,
                      bool(written.equals(ids)), key)
        self.counts["files_parsed"] += 1
        self.counts["rows_parsed"] += len(records)
        return _Loaded(entry, records, ids, _issue_frame(scratch))

    def _append(self, old: Entry, path: Path, spec: LoaderSpec, settings: Settings | None,
                source_name: str | None, digest) -> _Loaded | None:
        """The old entry plus the parse of the appended tail, or None (then the caller
        parses in full) when the tail is not clean or the entry cannot be read."""
        head = self._read_back(old, path)
        if head is None:
            return None
        with path.open("rb") as stream:
            header = stream.readline()
            stream.seek(old.size)
            tail = stream.read(digest.size - old.size)  # what the hash covered, no more
        if header[:2] == _GZIP_MAGIC:
            return None
        scratch = IssueLog()
        with tempfile.TemporaryDirectory(prefix="graphkit-tail-") as tmp:
            part = Path(tmp) / path.name
            part.write_bytes(header + tail)
            parsed = parse_rows(part, spec, scratch, settings)
        if not parsed.fast or parsed.frame is None:
            why = "not clean text" if not parsed.fast else "no rows"
            self.notes.append(f"ingest cache: {path.name} grew but its new part is {why}; "
                              "parsed in full")
            return None
        shift = old.lines - 1  # tail line 2 is the file's line old.lines + 1
        lines = parsed.lines + shift
        tail_issues = _issue_frame(scratch)
        tail_issues = tail_issues[tail_issues["line"].notna() & (tail_issues["line"] > 1)]
        tail_issues = tail_issues.assign(line=tail_issues["line"] + shift)
        # record ids unique within the whole file, as a full parse makes them: the head's
        # ids are as written, so the combined check renames only tail rows
        id_log = IssueLog()
        head_ids = head.records["record_id"].astype(STR)
        all_ids = unique_ids(pd.concat([head_ids, parsed.frame["record_id"].astype(STR)],
                                       ignore_index=True),
                             np.r_[head.records["line"].to_numpy(np.int64), lines], path,
                             id_log)
        written = _ids(parsed.frame)
        parsed.frame["record_id"] = all_ids.iloc[len(head_ids):].to_numpy(object)
        tail_records = finish_records(ParsedRows(parsed.frame, lines, True), path, spec,
                                      IssueLog(), source_name)
        tail_records["record_id"] = tail_records["record_id"].astype(STR)
        records = pd.concat([head.records, tail_records], ignore_index=True)
        read_issues = pd.concat([head.read_issues, tail_issues, _issue_frame(id_log)],
                                ignore_index=True)
        tail_log = IssueLog()
        tail_ids = extract_identifiers(tail_records, spec.identifiers, spec.layout, tail_log)
        identifiers = _merge_pieces(head.identifiers, tail_ids, spec)
        id_issues = pd.concat([head.id_issues, _issue_frame(tail_log)], ignore_index=True)
        new_lines, ends = old.lines + tail.count(b"\n"), tail.endswith(b"\n")
        ids = _ids(records)
        entry = Entry(old.key, path.name, digest.sha256, digest.size, new_lines, ends, True,
                      bool(written.equals(_ids(tail_records))), old.key)
        self.counts["files_appended"] += 1
        self.counts["rows_parsed"] += len(tail_records)
        return _Loaded(entry, records, ids, read_issues.astype({"line": "Int64"}),
                       identifiers, id_issues)

    def _file(self, entry: Entry, part: str) -> Path:
        assert self._folder is not None
        return self._folder / f"{entry.stem}.{part}{SUFFIX}"

    def _stage(self, loaded: _Loaded) -> None:
        """Write a parsed file's entry now (to a staging folder), so that memory need not
        hold it until the build folder is written."""
        if self._staging is None:
            self._staging = tempfile.TemporaryDirectory(prefix="graphkit-ingest-")
        if self._writer is None:
            self._writer = ThreadPoolExecutor(1, thread_name_prefix="graphkit-ingest-cache")
        folder = Path(self._staging.name)
        stem = loaded.entry.stem
        issues = pd.concat([loaded.read_issues.assign(phase="read"),
                            loaded.id_issues.assign(phase="identifiers")], ignore_index=True)
        # Arrow tables now (they share the frames' buffers and never change), written
        # by a thread while the build goes on: compressing and writing let go of the GIL
        for part, frame in (("records", loaded.records), ("identifiers", loaded.identifiers),
                            ("issues", issues)):
            table = pa.Table.from_pandas(frame, preserve_index=False)
            self._pending.append((stem, self._writer.submit(
                feather.write_feather, table, folder / f"{stem}.{part}{SUFFIX}",
                compression="zstd")))
        loaded.reused_from = folder

    @property
    def writing(self) -> bool:
        """Whether staged entries may still be being written (until :meth:`finish_writes`)."""
        return bool(self._pending)

    def finish_writes(self) -> None:
        """Wait until every staged entry is written, and end the writer thread. The build
        calls it at the end of its ingest stage, so that the writing is counted there and
        does not run on into (and slow) the stages after it. An entry that could not be
        written (e.g. a full disk) is left out of :meth:`write`: the cache is optional."""
        try:
            for stem, job in self._pending:
                try:
                    job.result()
                except OSError:
                    self._failed.add(stem)
        finally:  # any other error: every write still ends before it is raised
            self._pending.clear()
            if self._writer is not None:
                self._writer.shutdown(wait=True)
                self._writer = None

    def write(self, state_folder: Path) -> list[Path]:
        """This build's entries into ``state_folder/ingest/`` (unchanged files linked
        from the previous build's, where the file system allows); the files written.
        An entry whose files are gone (a previous build folder replaced meanwhile) is
        left out: the next build parses that file. May be called again (another build
        folder): parsed files stay staged until this object is let go."""
        folder = Path(state_folder) / INGEST_DIR
        folder.mkdir(parents=True, exist_ok=True)
        self.finish_writes()  # e.g. a full disk: the cache is optional, the build is not
        written, entries = [], []
        for entry, source in self._done:
            if entry.stem in self._failed:
                continue  # the next build parses this file in full
            names = [f"{entry.stem}.{part}{SUFFIX}"
                     for part in ("records", "identifiers", "issues")]
            try:
                for name in names:
                    _link_or_copy(source / name, folder / name)
            except FileNotFoundError:
                for name in names:
                    (folder / name).unlink(missing_ok=True)
                continue
            written += [folder / name for name in names]
            entries.append(asdict(entry))
        index = folder / INDEX
        index.write_text(json.dumps({"format": INGEST_FORMAT, "files": entries}, indent=1),
                         encoding="utf-8")
        return [index, *written]

    @property
    def note(self) -> str:
        """One summary line: files read back, appended to and parsed."""
        c = self.counts
        return (f"incremental ingest: {c['files_reused']:,} of {c['files']:,} files read "
                f"back from the previous build, {c['files_appended']:,} appended to (only "
                f"new lines parsed), {c['files_parsed']:,} parsed in full")


def _records_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A cached records frame with the dtypes ingest makes (text, ``line`` int64)."""
    want = {c: np.dtype("int64") if c == "line" else STR for c in frame.columns}
    if all(frame[c].dtype == want[c] for c in frame.columns):
        return frame.reset_index(drop=True)
    return frame.astype(want).reset_index(drop=True)


def _identifier_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A cached identifiers frame with the dtypes ingest makes."""
    missing = [c for c in IDENTIFIER_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"identifiers lack column(s) {', '.join(missing)}")
    dtypes = {"layout": LAYOUT_DTYPE, "kind": KIND_DTYPE}
    out = {}
    for c in IDENTIFIER_COLUMNS:
        column = frame[c]
        if c in dtypes:  # read back with only the categories present, in their order
            column = (column.cat.set_categories(dtypes[c].categories)
                      if isinstance(column.dtype, pd.CategoricalDtype)
                      else column.astype(str)).astype(dtypes[c])
        elif column.dtype != STR:
            column = column.astype(STR)
        out[c] = column.reset_index(drop=True)
    return pd.DataFrame(out, index=pd.RangeIndex(len(frame)))


def _merge_pieces(head: pd.DataFrame, tail: pd.DataFrame, spec: LoaderSpec) -> pd.DataFrame:
    """Head and tail identifiers in the order a whole-file extraction gives: piece by
    piece (kind, column, as the spec lists them), rows in file order within each."""
    if not len(tail):
        return head
    both = pd.concat([head, tail], ignore_index=True)
    piece = _piece_numbers(both, spec)
    return both.iloc[np.argsort(piece, kind="stable")].reset_index(drop=True)


def _piece_numbers(identifiers: pd.DataFrame, spec: LoaderSpec) -> np.ndarray:
    """Per identifier row, the number of the extraction step that made it (the spec's
    kinds and columns in order: ``extract_identifiers`` makes them one after another)."""
    order: dict[tuple[str, str], int] = {}
    for kind, cols in spec.identifiers.items():
        if kind in COMPOSITE_KINDS:
            order[(kind.value, "+".join(c for c in cols if c))] = len(order)
        else:
            for col in cols:
                order.setdefault((kind.value, col), len(order))
    codes, uniques = pd.factorize(identifiers["column"].astype(STR))
    columns = pd.Index(np.asarray(uniques, dtype=object))
    kinds = identifiers["kind"].astype(KIND_DTYPE).cat.codes.to_numpy(np.int64)
    table = np.full((len(KIND_DTYPE.categories), max(len(columns), 1)), len(order),
                    dtype=np.int64)
    for (kind, column), number in order.items():
        if column in columns:
            table[KIND_DTYPE.categories.get_loc(kind), columns.get_loc(column)] = number
    at = table[kinds, codes] if len(identifiers) else np.zeros(0, dtype=np.int64)
    return np.where(at >= 0, at, len(order)).astype(np.int64)


def _ids(frame: pd.DataFrame) -> pa.ChunkedArray:
    """The record ids of a frame as an Arrow array (a snapshot: later in-place changes
    to the frame do not reach it)."""
    array = pa.array(frame["record_id"].astype(STR))
    return array if isinstance(array, pa.ChunkedArray) else pa.chunked_array([array])


def _read(path: Path, columns: list[str] | None = None) -> pd.DataFrame:
    """One Arrow IPC file of an entry as pandas (the dtypes it was written with);
    ``columns``: only these (the others are not decompressed)."""
    return feather.read_table(path, columns=columns, memory_map=True).to_pandas()


def _text(values: pd.Series) -> pa.Array:
    """A text column as one Arrow string array (nulls kept)."""
    array = pa.array(values.astype(STR))
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    return array.cast(pa.large_string())


def _positions(values: pa.Array, index: pa.Array) -> np.ndarray:
    """Per value, its position in ``index`` (values unique), -1 where absent."""
    return pc.fill_null(pc.index_in(values, value_set=index), -1).to_numpy(
        zero_copy_only=False).astype(np.int64)


def _row_text(frame: pd.DataFrame, columns: list[str]) -> pa.Array:
    """Each row's ``columns`` joined into one text (ingest removes the separator, a
    control character, from every field), for comparing rows column by column at once."""
    arrays = []
    for column in columns:
        array = pa.array(frame[column].astype(STR))
        if isinstance(array, pa.ChunkedArray):
            array = array.combine_chunks()
        arrays.append(pc.fill_null(array.cast(pa.large_string()), ""))
    return pc.binary_join_element_wise(*arrays, pa.scalar("\x1f", pa.large_string()))


def _issue_frame(log: IssueLog) -> pd.DataFrame:
    frame = log.to_frame()
    return frame.astype({"line": "Int64"})


def _split_issues(issues: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    issues = issues.astype({"line": "Int64"})
    read = issues[issues["phase"] == "read"][list(ISSUE_COLUMNS)].reset_index(drop=True)
    ids = issues[issues["phase"] == "identifiers"][list(ISSUE_COLUMNS)].reset_index(drop=True)
    return read, ids


def _replay(issues: pd.DataFrame | None, log: IssueLog) -> None:
    """Add cached issues to ``log`` in their order (echoed as if found now)."""
    if issues is None:
        return
    for level, file, line, column, message in issues[list(ISSUE_COLUMNS)].itertuples(
            index=False):
        log.add(level, file, None if pd.isna(line) else int(line),
                None if column is None or pd.isna(column) else column, message)


def _newlines(path: Path) -> tuple[int, bool]:
    """The number of line ends in a file, and whether it ends with one."""
    count, last = 0, b""
    with path.open("rb") as stream:
        while block := stream.read(1 << 22):
            count += block.count(b"\n")
            last = block[-1:]
    return count, last == b"\n"


def _link_or_copy(source: Path, target: Path) -> None:
    target.unlink(missing_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)
