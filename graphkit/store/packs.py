"""Cypher query packs: ``queries/<pack>/<query>.cypher`` files with a comment header.

Header lines (DESIGN.md)::

    // name: shared_accounts
    // description: Accounts that several people or companies use.
    // params: min_members=2, max_members=20
    // returns: account, members, entity_ids

Parameter types follow their defaults (int, float, true/false, or text).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path

from graphkit.issues import InputError
from graphkit.resources import shipped_dir

_HEADER = re.compile(r"^//\s*(\w+):\s*(.*)$")
_WRITE = re.compile(r"\b(CREATE|MERGE|DELETE|DETACH|SET|REMOVE|DROP|LOAD\s+CSV)\b", re.I)


@dataclass(frozen=True)
class PackQuery:
    """One query of a pack."""

    pack: str
    name: str
    description: str
    params: dict[str, object]
    returns: list[str]
    cypher: str
    path: Path
    notes: dict[str, str] = field(default_factory=dict)

    @property
    def ref(self) -> str:
        """``pack/name``, as given on the command line."""
        return f"{self.pack}/{self.name}"

    def bind(self, overrides: dict[str, str] | None = None) -> dict[str, object]:
        """Default parameters with ``overrides`` (text from the command line) converted."""
        params = dict(self.params)
        for key, text in (overrides or {}).items():
            if key not in params:
                raise InputError(f"{self.ref}: unknown parameter '{key}' "
                                 f"(known: {', '.join(params) or 'none'})")
            params[key] = convert_like(text, params[key], f"{self.ref} parameter '{key}'")
        return params


def parse_literal(text: str) -> object:
    """A default value from a header: int, float, true/false, or text (quotes optional)."""
    text = text.strip()
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text.strip("'\"")


def convert_like(text: str | object, default: object, where: str) -> object:
    """Convert ``text`` to the type of ``default``; errors name ``where``."""
    if not isinstance(text, str):
        return text
    try:
        if isinstance(default, bool):
            if text.lower() not in ("true", "false"):
                raise ValueError(text)
            return text.lower() == "true"
        if isinstance(default, int):
            return int(text)
        if isinstance(default, float):
            return float(text)
    except ValueError:
        raise InputError(f"{where}: expected {type(default).__name__}, got {text!r}") from None
    return text


def parse_query_file(path: Path, pack: str) -> PackQuery:
    """Read one ``.cypher`` file and its header."""
    text = path.read_text(encoding="utf-8")
    header: dict[str, str] = {}
    for line in text.splitlines():
        match = _HEADER.match(line.strip())
        if not match:
            if line.strip() and not line.strip().startswith("//"):
                break
            continue
        header[match.group(1).lower()] = match.group(2).strip()
    for required in ("name", "description", "params", "returns"):
        if required not in header:
            raise InputError(f"{path}: header line '// {required}:' missing")
    params: dict[str, object] = {}
    if header["params"] and header["params"].lower() != "(none)":
        for item in header["params"].split(","):
            key, _, default = item.partition("=")
            params[key.strip()] = parse_literal(default)
    name = header["name"]
    if name != path.stem:
        raise InputError(f"{path}: header name '{name}' differs from the file name")
    cypher = "\n".join(line for line in text.splitlines()
                       if not line.strip().startswith("//")).strip()
    if not name.startswith("load_") and _WRITE.search(_strip_strings(cypher)):
        raise InputError(f"{path}: pack queries must be read-only (only load_* may write)")
    notes = {k: v for k, v in header.items()
             if k not in ("name", "description", "params", "returns")}
    return PackQuery(pack, name, header["description"], params,
                     [r.strip() for r in header["returns"].split(",")], cypher, path, notes)


def _strip_strings(cypher: str) -> str:
    return re.sub(r"'[^']*'|\"[^\"]*\"", "''", cypher)


def list_queries(root: Path | None = None) -> list[PackQuery]:
    """Every query of every pack, sorted by ``pack/name``."""
    root = root or shipped_dir("queries")
    return [parse_query_file(p, p.parent.name) for p in sorted(root.glob("*/*.cypher"))]


def get_query(ref: str, root: Path | None = None) -> PackQuery:
    """The query ``pack/name``, or a bare ``name`` that one pack alone has; an unknown
    or ambiguous name is an ``InputError`` suggesting the close or the candidate names."""
    queries = list_queries(root)
    for query in queries:
        if query.ref == ref:
            return query
    named = [q for q in queries if "/" not in ref and q.name == ref]
    if len(named) == 1:
        return named[0]
    if named:
        raise InputError(f"query name '{ref}' is in several packs; give one of: "
                         + ", ".join(q.ref for q in named))
    names = difflib.get_close_matches(ref.rpartition("/")[2], {q.name for q in queries},
                                      n=3, cutoff=0.8)
    close = [q.ref for name in names for q in queries if q.name == name]
    hint = (f"did you mean {' or '.join(repr(c) for c in close)}?" if close
            else "'graphkit query list' lists them")
    raise InputError(f"unknown query '{ref}'; {hint}")
