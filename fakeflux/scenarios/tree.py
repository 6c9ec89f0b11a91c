"""A scenario document as a tree of located values, from YAML or msgpack.

YAML is read with PyYAML's ``SafeLoader`` only: the document is *composed*
(so every node keeps its line) and each scalar is constructed by the safe
constructor; tags that are not plain YAML data are refused.  A msgpack
document has no lines: its errors name the path inside the document instead.
Nothing here runs code or opens any file but the scenario itself.
"""

from __future__ import annotations

import os
from typing import Any, Dict, Iterator, List, Optional, Set, Tuple, Union

import yaml

_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_SCALARS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:binary",
}

Plain = Union[None, bool, int, float, str, bytes, List[Any], Dict[str, Any]]


class ScenarioError(ValueError):
    """A scenario that cannot be used; the message reads ``FILE:LINE: PATH: what was expected``."""

    def __init__(self, source: str, line: Optional[int], path: str, message: str) -> None:
        self.source = source
        self.line = line
        self.path = path
        self.message = message
        where = f"{source}:{line}" if line is not None else source
        super().__init__(f"{where}: {path + ': ' if path else ''}{message}")


class Node:
    """A value of the document, where it came from and how to get there (``services.kvs[0]``)."""

    __slots__ = ("value", "line", "path", "source")

    def __init__(self, value: Any, line: Optional[int], path: str, source: str) -> None:
        # A mapping's value is a list of (key, Node) pairs, in document order;
        # a sequence's a list of Nodes; anything else the plain value.
        self.value = value
        self.line = line
        self.path = path
        self.source = source

    def error(self, message: str) -> ScenarioError:
        return ScenarioError(self.source, self.line, self.path, message)

    def describe(self) -> str:
        """What is here, for "expected X, got Y"."""
        if isinstance(self, MapNode):
            return "a mapping"
        if isinstance(self, SeqNode):
            return "a list"
        v = self.value
        if v is None:
            return "nothing (null)"
        if isinstance(v, bool):
            return f"{str(v).lower()} (a boolean)"
        if isinstance(v, (int, float)):
            return f"{v!r} (a number)"
        if isinstance(v, bytes):
            return "binary data"
        return repr(v)

    def plain(self) -> Plain:
        """The value as plain Python data (for payloads)."""
        return self.value


class MapNode(Node):
    __slots__ = ()

    @property
    def items(self) -> List[Tuple[str, Node]]:
        return self.value

    def keys(self) -> List[str]:
        return [k for k, _ in self.items]

    def get(self, key: str) -> Optional[Node]:
        for k, v in self.items:
            if k == key:
                return v
        return None

    def need(self, key: str) -> Node:
        """The value of a key already checked to be there."""
        value = self.get(key)
        if value is None:
            raise self.error(f"missing key '{key}'")
        return value

    def plain(self) -> Plain:
        return {k: v.plain() for k, v in self.items}


class SeqNode(Node):
    __slots__ = ()

    def __iter__(self) -> Iterator[Node]:
        return iter(self.value)

    def __len__(self) -> int:
        return len(self.value)

    def plain(self) -> Plain:
        return [v.plain() for v in self.value]


def _child_path(path: str, key: Union[str, int]) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


# -- YAML ----------------------------------------------------------------------------------

#: Values that aliases may add to a document, beyond the ones written out: a
#: scenario is untrusted input, and a few hundred bytes of nested aliases
#: ("billion laughs") would otherwise expand to billions of values.
MAX_ALIAS_EXPANSION = 100_000


class _Loader(yaml.SafeLoader):
    """SafeLoader that remembers where each anchored value is first used by an
    alias (composed documents keep only the anchor's place), and counts what
    aliases add while the document becomes a tree."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.alias_uses: Dict[int, Tuple[str, int]] = {}  # id(node) -> (anchor, line of its first alias)
        self.built: Set[int] = set()  # nodes already turned into a tree once
        self.open: Set[int] = set()  # collections being built (the path from the root)
        self.expanded = 0
        self.outer_alias: Optional[Tuple[str, int]] = None  # (anchor, line) of the alias being expanded

    def compose_node(self, parent: Optional[yaml.Node], index: Any) -> Optional[yaml.Node]:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            target = self.anchors.get(event.anchor)
            if target is not None:
                self.alias_uses.setdefault(id(target), (event.anchor, event.start_mark.line + 1))
        return super().compose_node(parent, index)


def _from_yaml(loader: _Loader, node: yaml.Node, path: str, source: str) -> Node:
    line = node.start_mark.line + 1
    key = id(node)
    if key in loader.built:
        # A second use through an alias: its whole value is built again.
        loader.expanded += 1
        if loader.outer_alias is None:
            loader.outer_alias = loader.alias_uses.get(key)
        if loader.expanded > MAX_ALIAS_EXPANSION:
            anchor, alias_line = loader.outer_alias or ("?", line)
            raise ScenarioError(
                source,
                alias_line,
                path,
                f"aliases (here *{anchor}) expand to more than {MAX_ALIAS_EXPANSION} values: refused",
            )
        try:
            return _build(loader, node, key, path, source, line)
        finally:
            if loader.outer_alias == loader.alias_uses.get(key):
                loader.outer_alias = None
    loader.built.add(key)
    return _build(loader, node, key, path, source, line)


def _build(loader: _Loader, node: yaml.Node, key: int, path: str, source: str, line: int) -> Node:
    if isinstance(node, yaml.CollectionNode):
        if key in loader.open:
            anchor, alias_line = loader.alias_uses.get(key, ("?", line))
            raise ScenarioError(source, alias_line, path, f"recursive alias: *{anchor} is used inside its own value")
        loader.open.add(key)
        try:
            return _collection_from_yaml(loader, node, path, source, line)
        finally:
            loader.open.discard(key)
    return _scalar_from_yaml(loader, node, path, source, line)


def _collection_from_yaml(loader: _Loader, node: yaml.Node, path: str, source: str, line: int) -> Node:
    if isinstance(node, yaml.MappingNode):
        if node.tag != _MAP:
            raise ScenarioError(source, line, path, f"the tag {node.tag} is not allowed here (plain YAML data only)")
        items: List[Tuple[str, Node]] = []
        seen: Dict[str, int] = {}
        for key_node, value_node in node.value:
            key_line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
                raise ScenarioError(
                    source, key_line, path, "expected a plain key (merge keys and complex keys are not allowed)"
                )
            key = _from_yaml(loader, key_node, path, source).value
            if not isinstance(key, (str, int)) or isinstance(key, bool):
                raise ScenarioError(source, key_line, path, f"expected a name as key, got {key!r}")
            key = str(key)
            if key in seen:
                raise ScenarioError(
                    source, key_line, _child_path(path, key), f"duplicate key (first given on line {seen[key]})"
                )
            seen[key] = key_line
            items.append((key, _from_yaml(loader, value_node, _child_path(path, key), source)))
        return MapNode(items, line, path, source)
    if isinstance(node, yaml.SequenceNode):
        if node.tag != _SEQ:
            raise ScenarioError(source, line, path, f"the tag {node.tag} is not allowed here (plain YAML data only)")
        return SeqNode(
            [_from_yaml(loader, n, _child_path(path, i), source) for i, n in enumerate(node.value)], line, path, source
        )
    raise ScenarioError(source, line, path, f"unexpected YAML node {type(node).__name__}")


def _scalar_from_yaml(loader: _Loader, node: yaml.Node, path: str, source: str, line: int) -> Node:
    if node.tag not in _SCALARS:
        raise ScenarioError(source, line, path, f"the tag {node.tag} is not allowed here (plain YAML data only)")
    try:
        value = loader.construct_object(node, deep=True)
    except yaml.constructor.ConstructorError as exc:
        raise ScenarioError(source, line, path, f"invalid value: {exc.problem}") from None
    return Node(value, line, path, source)


def parse_yaml(text: str, source: str) -> Node:
    """Compose ``text`` (one YAML document) into a located tree."""
    loader = _Loader(text)
    try:
        try:
            node = loader.get_single_node()
        except RecursionError:
            raise ScenarioError(source, None, "", "not valid YAML: nested too deeply") from None
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark is not None else None
            what = exc.problem or "not valid YAML"
            context = f" ({exc.context})" if exc.context else ""
            raise ScenarioError(source, line, "", f"not valid YAML: {what}{context}") from None
        except yaml.YAMLError as exc:
            raise ScenarioError(source, None, "", f"not valid YAML: {exc}") from None
        if node is None:
            raise ScenarioError(source, 1, "", "the file is empty: expected a mapping with 'version: 1'")
        try:
            return _from_yaml(loader, node, "", source)
        except RecursionError:
            raise ScenarioError(source, None, "", "nested too deeply") from None
    finally:
        loader.dispose()


# -- plain data (msgpack) ---------------------------------------------------------------------
def from_plain(value: Any, source: str, path: str = "") -> Node:
    if isinstance(value, dict):
        items: List[Tuple[str, Node]] = []
        for k, v in value.items():
            if not isinstance(k, str):
                raise ScenarioError(source, None, path, f"expected a name as key, got {k!r}")
            items.append((k, from_plain(v, source, _child_path(path, k))))
        return MapNode(items, None, path, source)
    if isinstance(value, (list, tuple)):
        return SeqNode([from_plain(v, source, _child_path(path, i)) for i, v in enumerate(value)], None, path, source)
    if value is None or isinstance(value, (bool, int, float, str, bytes)):
        return Node(value, None, path, source)
    raise ScenarioError(source, None, path, f"unsupported value of type {type(value).__name__}")


MSGPACK_SUFFIXES = (".msgpack", ".mpk")


def is_msgpack(path: str, head: bytes) -> bool:
    """msgpack by its name, or by content: a packed scenario starts with a map byte."""
    if path.endswith(MSGPACK_SUFFIXES):
        return True
    return bool(head) and (0x80 <= head[0] <= 0x8F or head[0] in (0xDE, 0xDF))


def parse_msgpack(data: bytes, source: str) -> Node:
    import msgpack  # type: ignore[import-untyped]

    try:
        value = msgpack.unpackb(data, raw=False, strict_map_key=True)
    except Exception as exc:  # msgpack raises several unrelated types
        raise ScenarioError(source, None, "", f"not a valid msgpack scenario: {exc}") from None
    return from_plain(value, source)


def read_document(path: str) -> Node:
    """The scenario file at ``path`` (YAML, or msgpack by name or content) as a tree."""
    source = os.path.relpath(path) if not os.path.isabs(path) else path
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as exc:
        raise ScenarioError(source, None, "", f"cannot read the scenario: {exc.strerror}") from None
    if is_msgpack(path, data[:1]):
        return parse_msgpack(data, source)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ScenarioError(
            source, line, "", "not UTF-8 text (a scenario is YAML, or msgpack named *.msgpack)"
        ) from None
    return parse_yaml(text, source)
