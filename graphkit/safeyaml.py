"""Read project files and loader specs as YAML with bounded size.

``yaml.safe_load`` already refuses tags that build Python objects, but it accepts an alias
bomb: a few hundred bytes whose anchors and aliases expand to billions of nodes the moment
anything walks the data (a 1 KB project name cost 106 s and 5.6 GB). :func:`load_yaml`
counts the nodes a document holds *after* alias expansion, without expanding it, and
refuses a document over ``Settings.max_yaml_nodes`` (or one with a recursive alias), and
a file over ``MAX_YAML_BYTES`` before reading it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, SequenceNode

from graphkit.issues import InputError
from graphkit.settings import DEFAULT_SETTINGS

#: A project file or loader spec is a page of settings: a larger file is refused unread.
MAX_YAML_BYTES = 4 * 1024**2


class YamlLimitError(InputError):
    """A YAML file larger than the limits once its aliases are expanded."""


def expanded_size(root: Node) -> int:
    """Number of nodes ``root`` stands for with every alias expanded (memoised, so an
    alias bomb is measured in time linear in its size). Raises ``ValueError`` on a
    recursive alias (a node that contains itself)."""
    sizes: dict[int, int] = {}
    visiting: set[int] = set()

    def size(node: Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in visiting:
            raise ValueError("a recursive alias (a node that contains itself)")
        visiting.add(key)
        total = 1
        if isinstance(node, SequenceNode):
            total += sum(size(child) for child in node.value)
        elif isinstance(node, MappingNode):
            total += sum(size(k) + size(v) for k, v in node.value)
        visiting.discard(key)
        sizes[key] = total
        return total

    return size(root)


def load_yaml(path: Path, what: str, max_nodes: int | None = None) -> Any:
    """The YAML document in ``path`` (``what`` names it in errors: 'project file', 'loader
    spec'); an unreadable file, bad YAML, or a document expanding to more than
    ``max_nodes`` nodes (default ``Settings.max_yaml_nodes``) raises :class:`InputError`."""
    limit = max_nodes if max_nodes is not None else DEFAULT_SETTINGS.max_yaml_nodes
    try:
        if path.stat().st_size > MAX_YAML_BYTES:
            raise YamlLimitError(f"{what} {path.name}: {path.stat().st_size:,} bytes (at most "
                                 f"{MAX_YAML_BYTES:,}); not a {what}")
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{what} {path.name}: not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise InputError(f"{what} {path}: cannot read: {exc.strerror}") from None
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        try:
            nodes = expanded_size(node)
        except ValueError as exc:
            raise YamlLimitError(f"{what} {path.name}: {exc}; not accepted") from None
        if nodes > limit:
            raise YamlLimitError(
                f"{what} {path.name}: expands to {nodes:,} YAML nodes through its aliases "
                f"(limit {limit:,}, setting max_yaml_nodes): refused as an alias bomb")
        return loader.construct_document(node)
    except yaml.YAMLError as exc:
        raise InputError(f"{what} {path.name}: not valid YAML: {exc}") from None
    except RecursionError:
        raise InputError(f"{what} {path.name}: nested too deeply") from None
    finally:
        loader.dispose()


__all__ = ["YamlLimitError", "expanded_size", "load_yaml"]
