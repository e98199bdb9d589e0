"""Names a package re-exports from its submodules, loaded on first use (PEP 562).

A package ``__init__`` that imports every submodule makes ``from graphkit.graph.tables
import GraphTables`` pay for the whole package (``graph.columns`` loads resolve, scipy …).
With ``lazy_exports`` the package lists its public names and where they live; a submodule
is imported only when one of its names is asked for, then the name is kept in the package
(later lookups are plain attribute reads)::

    __getattr__, __dir__ = lazy_exports(__name__, {"GraphTables": "graphkit.graph.tables"})
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(package: str, names: Mapping[str, str]
                 ) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package`` that load ``names`` (public name →
    module defining it) from their modules on first use."""

    def __getattr__(name: str) -> Any:
        module = names.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(names))

    return __getattr__, __dir__


__all__ = ["lazy_exports"]
