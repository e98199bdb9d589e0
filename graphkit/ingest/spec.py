"""Loader specs: YAML files that map a source file's columns onto a native layout.

A spec names the layout it produces and, for each native column, where its value comes from::

    name: ats_export
    layout: people
    encoding: utf-8            # optional (default utf-8, with or without BOM)
    delimiter: ","             # optional
    required: [Candidate ID]   # source columns the file must have (default: record_id's)
    columns:
      record_id: Candidate ID                       # plain rename
      full_name: {from: Candidate Name}
      last_name: {from: Legal Name, split: ",", part: 0}
      payee_name: {from: Legal Name, split: ", ", part: [1, 0]}   # "Last, First" -> "First Last"
      street: {join: [Address 1, Address 2], sep: " "}
      dob: {from: Date of Birth (MM/DD/YYYY), date_format: "%m/%d/%Y"}
      source: {value: ats}                          # constant
      vpn: {from: VPN?, map: {Y: "true", N: "false"}}
    identifiers:               # optional; default: the native spec's identifiers
      email: [email]
      address: [street, city, region, postcode, country]   # composite: columns in order,
      # or by role: {street: street, city: city, postcode: postcode, country: country}

Native date columns without a ``date_format`` are read as ISO 8601.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graphkit.issues import InputError
from graphkit.resources import shipped_dir
from graphkit.safeyaml import load_yaml
from graphkit.schema import DATE_COLUMNS, NATIVE_COLUMNS, IdKind, Layout
from graphkit.validation import RULE_SCHEMA, SPEC_SCHEMA, check_mapping, suggest

#: Identifier kinds built from several columns, given in this order.
COMPOSITE_KINDS: dict[IdKind, tuple[str, ...]] = {
    IdKind.ADDRESS: ("street", "city", "region", "postcode", "country"),
    IdKind.SHIP_ADDRESS: ("street", "city", "region", "postcode", "country"),
    IdKind.BANK_ACCOUNT: ("account_number", "routing_number"),
}


@dataclass(frozen=True)
class ColumnRule:
    """How one native column is filled from a source row."""

    sources: tuple[str, ...] = ()
    sep: str = " "
    split: str | None = None
    parts: tuple[int, ...] = (0,)
    value: str | None = None
    date_format: str | None = None
    mapping: dict[str, str] | None = None
    default: str = ""


@dataclass(frozen=True)
class LoaderSpec:
    """A parsed loader spec (see the module docstring for the YAML format)."""

    name: str
    layout: Layout
    columns: dict[str, ColumnRule]
    identifiers: dict[IdKind, tuple[str, ...]]
    required: tuple[str, ...]
    encoding: str = "utf-8"
    delimiter: str = ","
    max_field_chars: int | None = None  # None: the build's Settings.max_field_chars
    path: Path | None = None
    description: str = ""
    explicit_columns: bool = True  # False: native layout read by column name, all optional
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def source_columns(self) -> set[str]:
        """Every source column the spec reads."""
        return {c for rule in self.columns.values() for c in rule.sources}


def available_specs() -> dict[str, Path]:
    """Bundled specs by name (file stem)."""
    return {p.stem: p for p in sorted(shipped_dir("loaders").glob("*.yml"))}


def load_spec(name_or_path: str | Path, max_yaml_nodes: int | None = None) -> LoaderSpec:
    """Load a bundled spec by name ('people', 'ats_export') or any spec file by path,
    checked against the declared spec schema (``validation.SPEC_SCHEMA``)."""
    path = Path(name_or_path)
    if not path.suffix:
        bundled = available_specs()
        if str(name_or_path) not in bundled:
            raise InputError(
                f"unknown loader spec '{name_or_path}'{suggest(str(name_or_path), list(bundled))}"
                f"; bundled specs: {', '.join(bundled)}"
            )
        path = bundled[str(name_or_path)]
    if not path.exists():
        raise InputError(f"loader spec {path} does not exist")
    if not path.is_file():
        raise InputError(f"loader spec {path} is not a file")
    return parse_spec(load_yaml(path, "loader spec", max_yaml_nodes), path)


def parse_spec(data: Any, path: Path | None = None) -> LoaderSpec:
    """Validate the YAML mapping of a spec; errors name the spec file and the key."""
    where = path.name if path else "loader spec"
    check_mapping(data, SPEC_SCHEMA, where)
    try:
        layout = Layout(data.get("layout"))
    except ValueError:
        raise InputError(
            f"{where}: 'layout' must be one of {', '.join(m.value for m in Layout)}"
        ) from None
    native = NATIVE_COLUMNS[layout]
    raw_columns = data.get("columns") or {c: c for c in native}
    if not isinstance(raw_columns, dict):
        raise InputError(f"{where}: 'columns' must map native columns to source columns")
    columns: dict[str, ColumnRule] = {}
    for target, raw in raw_columns.items():
        if target not in native:
            raise InputError(
                f"{where}: column '{target}' is not in the {layout.value} layout"
                f"{suggest(str(target), list(native))} ({', '.join(native)})"
            )
        columns[target] = _parse_rule(raw, f"{where}: columns.{target}")
    for date_col in DATE_COLUMNS[layout]:
        rule = columns.get(date_col)
        if rule is not None and rule.date_format is None and rule.value is None:
            columns[date_col] = ColumnRule(**{**rule.__dict__, "date_format": "ISO8601"})
    if "record_id" not in columns:
        raise InputError(f"{where}: 'columns' must say where record_id comes from")
    identifiers = _parse_identifiers(data.get("identifiers"), layout, where)
    required = tuple(str(c) for c in data.get("required") or columns["record_id"].sources)
    return LoaderSpec(
        name=str(data.get("name") or (path.stem if path else layout.value)),
        layout=layout,
        columns=columns,
        identifiers=identifiers,
        required=required,
        encoding=str(data.get("encoding", "utf-8")),
        delimiter=str(data.get("delimiter", ",")),
        max_field_chars=(int(data["max_field_chars"]) if data.get("max_field_chars")
                         is not None else None),
        path=path,
        description=str(data.get("description", "")),
        explicit_columns="columns" in data,
    )


def _parse_rule(raw: Any, where: str) -> ColumnRule:
    if isinstance(raw, str):
        return ColumnRule(sources=(raw,))
    if not isinstance(raw, dict):
        return ColumnRule(sources=(str(raw),))
    file, _, key = where.partition(": ")
    check_mapping(raw, RULE_SCHEMA, file, key)
    if "value" in raw:
        return ColumnRule(value=str(raw["value"]))
    if "join" in raw:
        sources = tuple(str(c) for c in raw["join"])
    elif "from" in raw:
        sources = (str(raw["from"]),)
    else:
        raise InputError(f"{where}: needs 'from', 'join' or 'value'")
    mapping = raw.get("map")
    return ColumnRule(
        sources=sources,
        sep=str(raw.get("sep", " ")),
        split=str(raw["split"]) if "split" in raw else None,
        parts=_parts(raw.get("part", 0), where),
        date_format=raw.get("date_format"),
        mapping={str(k): str(v) for k, v in mapping.items()} if mapping else None,
        default=str(raw.get("default", "")),
    )


def _parts(raw: Any, where: str) -> tuple[int, ...]:
    values = raw if isinstance(raw, list) else [raw]
    try:
        return tuple(int(v) for v in values)
    except (TypeError, ValueError):
        raise InputError(f"{where}: 'part' must be an index or a list of indexes") from None


def _parse_identifiers(raw: Any, layout: Layout, where: str) -> dict[IdKind, tuple[str, ...]]:
    if raw is None:
        if where == f"{layout.value}.yml":
            raise InputError(f"{where}: the native spec must list its identifiers")
        return load_spec(layout.value).identifiers
    if not isinstance(raw, dict):
        raise InputError(f"{where}: 'identifiers' must map identifier kinds to columns")
    result: dict[IdKind, tuple[str, ...]] = {}
    for kind_name, cols in raw.items():
        try:
            kind = IdKind(kind_name)
        except ValueError:
            known = [k.value for k in IdKind]
            raise InputError(
                f"{where}: unknown identifier kind '{kind_name}'"
                f"{suggest(str(kind_name), known)}; known: {', '.join(known)}"
            ) from None
        if isinstance(cols, dict) and kind in COMPOSITE_KINDS:
            roles = COMPOSITE_KINDS[kind]
            bad = set(cols) - set(roles)
            if bad:
                raise InputError(f"{where}: identifiers.{kind_name} roles must be among "
                                 f"{', '.join(roles)}, not {sorted(bad)}")
            cols = tuple(cols.get(role, "") for role in roles)
        else:
            cols = (cols,) if isinstance(cols, str) else tuple(cols)
        for col in cols:
            if col and col not in NATIVE_COLUMNS[layout]:
                raise InputError(f"{where}: identifiers.{kind_name} uses unknown column '{col}'"
                                 f"{suggest(str(col), list(NATIVE_COLUMNS[layout]))}")
        if kind in COMPOSITE_KINDS and len(cols) > len(COMPOSITE_KINDS[kind]):
            raise InputError(f"{where}: identifiers.{kind_name} takes at most "
                             f"{', '.join(COMPOSITE_KINDS[kind])}")
        result[kind] = cols
    return result
