"""Declared schemas of the YAML files graphkit reads, checked before any long work.

Each file kind (project file, loader spec, a loader spec's column rule) is a dict from key
to :class:`Field`; :func:`check_mapping` refuses a wrong type (``programs: DPRK``, a string
where a list belongs) naming the file, the key and what was expected, and an unknown key
with the nearest known one (``loadr`` → did you mean ``loader``?).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any

from graphkit.issues import InputError
from graphkit.lists.read import LIST_FORMATS
from graphkit.schema import Layout
from graphkit.settings import Settings


@dataclass(frozen=True)
class Kind:
    """A value type: a test and the words that describe it in an error."""

    describe: str
    test: Callable[[Any], bool]
    choices: tuple[str, ...] = ()


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


STRING = Kind("a string", lambda v: isinstance(v, str))
NAME = Kind("a name (string)", lambda v: isinstance(v, str | int | float) and not isinstance(
    v, bool) and str(v).strip() != "")
SCALAR = Kind("a single value (string or number)",
              lambda v: isinstance(v, str | int | float | bool))
BOOL = Kind("true or false", lambda v: isinstance(v, bool))
POSITIVE_INT = Kind("a whole number above 0", lambda v: _is_int(v) and v > 0)
INT = Kind("a whole number", _is_int)
NON_NEGATIVE_INT = Kind("a whole number of 0 or more", lambda v: _is_int(v) and v >= 0)
NUMBER = Kind("a number", lambda v: isinstance(v, int | float) and not isinstance(v, bool))
NON_NEGATIVE = Kind("a number of 0 or more", lambda v: NUMBER.test(v) and 0 <= v < float("inf"))
STRINGS = Kind("a list of strings (e.g. [a, b])",
               lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v))
NAMES = Kind("a list of column names (e.g. [a, b])",
             lambda v: isinstance(v, list) and all(NAME.test(x) for x in v))
MAPPING = Kind("a mapping (key: value lines)", lambda v: isinstance(v, dict))
MAPPINGS = Kind("a list of mappings (lines starting with '- key: value')",
                lambda v: isinstance(v, list) and all(isinstance(x, dict) for x in v))
CHAR = Kind("one character (e.g. ',')", lambda v: isinstance(v, str) and len(v) == 1)
PART = Kind("an index or a list of indexes (e.g. 0 or [1, 0])",
            lambda v: _is_int(v) or (isinstance(v, list) and v and all(_is_int(x) for x in v)))
COLUMN_RULE = Kind("a source column name or a mapping with 'from', 'join' or 'value'",
                   lambda v: NAME.test(v) or isinstance(v, dict))
ID_COLUMNS = Kind("a column, a list of columns or a mapping of roles to columns",
                  lambda v: NAME.test(v) or NAMES.test(v) or isinstance(v, dict))


def one_of(*choices: str) -> Kind:
    """A string among ``choices``."""
    return Kind("one of " + ", ".join(choices), lambda v: isinstance(v, str) and v in choices,
                choices)


def mapping_of(kind: Kind) -> Kind:
    """A mapping whose values are all ``kind``."""
    return Kind(f"a mapping whose values are each {kind.describe}",
                lambda v: isinstance(v, dict) and all(kind.test(x) for x in v.values()))


@dataclass(frozen=True)
class Field:
    """One key of a file kind."""

    kind: Kind
    required: bool = False
    #: for lists of mappings: the schema of each item
    items: dict[str, Field] | None = None


def _got(value: Any) -> str:
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"the string {shown!r}"
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"{str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, list):
        return f"a list of {len(value)}"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def suggest(key: str, known: list[str]) -> str:
    """' (did you mean 'x'?)' for the closest known key, or ''."""
    close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def check_mapping(data: Any, schema: dict[str, Field], where: str, path: str = "") -> None:
    """Raise :class:`InputError` on the first key of ``data`` that breaks ``schema``:
    unknown (with a suggestion), missing when required, or of the wrong type."""
    label = f"{path}" if path else "the top level"
    if not isinstance(data, dict):
        raise InputError(f"{where}: {label}: expected a mapping (key: value lines), "
                         f"got {_got(data)}")
    known = list(schema)
    for key in data:
        if key not in schema:
            dotted = f"{path}.{key}" if path else str(key)
            raise InputError(f"{where}: unknown key '{dotted}'{suggest(str(key), known)}; "
                             f"known keys: {', '.join(known)}")
    for key, spec in schema.items():
        dotted = f"{path}.{key}" if path else key
        if key not in data or data[key] is None:
            if spec.required:
                raise InputError(f"{where}: '{dotted}' is required ({spec.kind.describe})")
            continue
        value = data[key]
        if not spec.kind.test(value):
            if spec.kind.choices and isinstance(value, str):
                raise InputError(f"{where}: '{dotted}': unknown {key} '{value}'"
                                 f"{suggest(value, list(spec.kind.choices))}; expected "
                                 f"{spec.kind.describe}")
            raise InputError(f"{where}: '{dotted}': expected {spec.kind.describe}, "
                             f"got {_got(value)}")
        if spec.items is not None:
            for i, item in enumerate(value, start=1):
                check_mapping(item, spec.items, where, f"{dotted}[{i}]")


# --- project files -------------------------------------------------------------------------

def _setting_kind(name: str, annotation: str) -> Kind:
    if annotation in ("bool", "bool | None"):  # None (left out): the build decides
        return BOOL
    if annotation == "int":
        if name == "seed":
            return INT
        # 0 has a meaning of its own: the cores available; glibc's heap left alone
        return NON_NEGATIVE_INT if name in ("resolve_workers", "heap_keep_mib") else \
            POSITIVE_INT
    if annotation == "float":
        return NUMBER
    if annotation == "float | None":  # review_budget: 0 for no cap (null: the default)
        return NON_NEGATIVE
    return STRINGS


#: Settings a project file may set at its top level (``max_identifier_share: 20`` …);
#: ``max_yaml_nodes`` bounds the reading of the project file itself, so it is set on the
#: command line only.
SETTING_FIELDS: dict[str, Field] = {
    f.name: Field(_setting_kind(f.name, str(f.type))) for f in fields(Settings)
    if f.name != "max_yaml_nodes"
}

PROJECT_SCHEMA: dict[str, Field] = {
    "name": Field(NAME),
    "sources": Field(MAPPINGS, required=True, items={
        "file": Field(NAME, required=True),
        "loader": Field(NAME),
    }),
    "sanctions": Field(MAPPINGS, items={
        "file": Field(NAME, required=True),
        "format": Field(one_of(*LIST_FORMATS)),
    }),
    "allow_outside_paths": Field(BOOL),
    **SETTING_FIELDS,
}

# --- loader specs --------------------------------------------------------------------------

SPEC_SCHEMA: dict[str, Field] = {
    "name": Field(NAME),
    "layout": Field(one_of(*(m.value for m in Layout)), required=True),
    "description": Field(STRING),
    "encoding": Field(STRING),
    "delimiter": Field(CHAR),
    "required": Field(NAMES),
    "columns": Field(mapping_of(COLUMN_RULE)),
    "identifiers": Field(mapping_of(ID_COLUMNS)),
    "max_field_chars": Field(POSITIVE_INT),
}

RULE_SCHEMA: dict[str, Field] = {
    "from": Field(NAME),
    "join": Field(NAMES),
    "sep": Field(STRING),
    "split": Field(Kind("a non-empty string", lambda v: isinstance(v, str) and v != "")),
    "part": Field(PART),
    "value": Field(SCALAR),
    "date_format": Field(Kind("a strptime format with % codes (e.g. '%m/%d/%Y')",
                              lambda v: isinstance(v, str) and ("%" in v or v == "ISO8601"))),
    "map": Field(mapping_of(SCALAR)),
    "default": Field(SCALAR),
}

__all__ = [
    "PROJECT_SCHEMA",
    "RULE_SCHEMA",
    "SETTING_FIELDS",
    "SPEC_SCHEMA",
    "Field",
    "Kind",
    "check_mapping",
    "suggest",
]
