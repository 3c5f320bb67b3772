"""Safe YAML loading that remembers the line of every value.

PyYAML's constructors throw positions away, so this module composes the node graph with
PyYAML's composer and safe resolver and builds plain data itself. The parse events come from
libyaml when PyYAML has it (see :data:`LIBYAML`), else from PyYAML's pure-Python parser; syntax
errors from either read alike, naming the line and column. That gives one place to refuse what
a configuration file must not contain: tags (``!!python/...``, ``!include``, any other),
duplicate keys (PyYAML silently keeps the last), several documents, deep nesting, alias
expansion bombs, oversized files and text that is not UTF-8. Timestamps stay strings so the
caller parses dates itself. Mapping keys are always read as text (``on:`` is the key ``"on"``).
A plain document (no tag, anchor, merge or duplicate key: nearly every configuration) is
first read by the faster loop of :mod:`.yamlfast`, which gives the same data and lines.

Every refusal is a :class:`YamlError` with a 1-based line where there is one. Finding and
reading the files (directories, links, encodings, size) is :mod:`.files`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.events import (
    DocumentStartEvent,
    Event,
    MappingStartEvent,
    ScalarEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import Resolver
from yaml.scanner import Scanner

from taskform.config import yamlfast

MAX_BYTES = 5 * 1024 * 1024
MAX_DEPTH = 64
MAX_NODES = 2_000_000  # a 5 MiB file holds fewer; only alias bombs reach it

YamlPath = tuple[str | int, ...]

_T = "tag:yaml.org,2002:"
_TIMESTAMP = _T + "timestamp"
_MERGE = _T + "merge"


@dataclass(frozen=True)
class Issue:
    """One thing wrong with a YAML file."""

    message: str
    line: int | None = None
    hint: str = ""


class YamlError(Exception):
    """The file cannot be read as a taskform YAML document; ``issues`` says why."""

    def __init__(self, message: str, line: int | None = None, hint: str = "") -> None:
        self.issues: tuple[Issue, ...] = (Issue(message, line, hint),)
        super().__init__(message)

    @classmethod
    def of(cls, issues: list[Issue]) -> YamlError:
        error = cls(issues[0].message, issues[0].line, issues[0].hint)
        error.issues = tuple(issues)
        return error


@dataclass(frozen=True)
class Document:
    """One YAML file as plain data plus where each part of it was written.

    Paths are tuples of mapping keys and sequence indexes from the root, e.g.
    ``("tasks", 0, "schedule")``. ``key_lines`` has the line of a mapping key (or of a
    sequence item).
    """

    file: str
    data: Any
    key_lines: Mapping[YamlPath, int]

    def line(self, path: YamlPath) -> int | None:
        """The line of ``path``'s key, or of its nearest ancestor that was written down."""
        for end in range(len(path), -1, -1):
            line = self.key_lines.get(path[:end])
            if line is not None:
                return line
        return None


class _Loader(Composer, SafeConstructor, Resolver):
    """PyYAML's composer without timestamps, refusing tags and deep nesting.

    The events come from a subclass: libyaml's C parser when PyYAML was built with it
    (several times faster), otherwise PyYAML's pure-Python one.
    """

    yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != _TIMESTAMP]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }

    if TYPE_CHECKING:  # provided by the event source

        def peek_event(self) -> Event: ...
        def check_event(self, *choices: Any) -> bool: ...
        def get_event(self) -> Event: ...
        def dispose(self) -> None: ...

    def __init__(self) -> None:
        Composer.__init__(self)
        SafeConstructor.__init__(self)
        Resolver.__init__(self)
        self._depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        event = self.peek_event()
        if isinstance(event, (ScalarEvent, SequenceStartEvent, MappingStartEvent)):
            if event.tag is not None:
                raise _tag_error(event.tag, _line(event.start_mark))
            if not isinstance(event, ScalarEvent):
                self._depth += 1
                if self._depth > MAX_DEPTH:
                    raise _depth_error(_line(event.start_mark))
        try:
            return super().compose_node(parent, index)
        finally:
            if isinstance(event, (SequenceStartEvent, MappingStartEvent)):
                self._depth -= 1


class _PyLoader(_Loader, Reader, Scanner, Parser):
    """Events from PyYAML's pure-Python reader, scanner and parser."""

    def __init__(self, stream: str) -> None:
        Reader.__init__(self, stream)
        Scanner.__init__(self)
        Parser.__init__(self)
        _Loader.__init__(self)


_LOADERS: dict[bool, Callable[[str], _Loader]] = {False: _PyLoader}

if yaml.__with_libyaml__:
    from yaml._yaml import CParser

    class _CLoader(_Loader, CParser):
        """Events from libyaml."""

        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            _Loader.__init__(self)

    _LOADERS[True] = _CLoader

#: Whether :func:`parse` reads events from libyaml rather than PyYAML's Python parser. Both
#: give the same documents, and errors as clear (the tests run with both).
LIBYAML: bool = yaml.__with_libyaml__


def _line(mark: Any) -> int | None:
    """The 1-based line of a PyYAML mark."""
    return int(mark.line) + 1 if mark is not None else None


def _tag_error(tag: str, line: int | None) -> YamlError:
    shown = "!!" + tag[len(_T) :] if tag.startswith(_T) else tag
    hint = _NO_TAGS
    if shown.startswith("!include"):
        hint = "to split a configuration, put several files in a directory and pass it with -c"
    return YamlError(f"YAML tags such as '{shown}' are not allowed", line, hint)


def _depth_error(line: int | None) -> YamlError:
    return YamlError(
        f"the document is nested more than {MAX_DEPTH} levels deep",
        line,
        "flatten the structure",
    )


def parse(text: str, file: str) -> Document:
    """Parse ``text`` (one YAML document) into a :class:`Document`: by the fast path of
    :mod:`.yamlfast` when the document is plain, else composing it node by node here."""
    fast = _compose_fast(text)
    if fast is not None:
        return Document(file, fast[0], fast[1])
    return _parse_nodes(text, file)


def _compose_fast(text: str) -> yamlfast.Composed | None:
    try:
        loader = _LOADERS[LIBYAML](text)
    except Exception:  # e.g. text libyaml cannot take: the careful path says why
        return None

    def plain(value: str) -> Any:
        tag: str = loader.resolve(ScalarNode, value, (True, False))  # type: ignore[no-untyped-call]
        return _construct(loader, tag, value)

    try:
        return yamlfast.compose(loader.get_event, plain, max_depth=MAX_DEPTH, max_nodes=MAX_NODES)
    finally:
        loader.dispose()


def _parse_nodes(text: str, file: str) -> Document:
    libyaml = LIBYAML
    loader: _Loader | None = None
    try:
        try:
            loader = _LOADERS[libyaml](text)
            loader.get_event()  # StreamStartEvent
            if loader.check_event(StreamEndEvent):
                raise YamlError("the file is empty", None, "start it with 'version: 1'")
            root = loader.compose_document()
            if not loader.check_event(StreamEndEvent):
                event = loader.peek_event()
                line = _line(event.start_mark)
                if isinstance(event, DocumentStartEvent):
                    raise YamlError(
                        "only one YAML document per file is allowed, a second one starts here",
                        line,
                        "put it in a separate file, or remove the '---'",
                    )
                raise YamlError("unexpected content after the document", line)  # pragma: no cover
        except yaml.MarkedYAMLError as exc:
            raise _syntax_error(exc, text) from None
        except yaml.reader.ReaderError as exc:
            position = exc.position
            if libyaml:  # libyaml counts bytes of the UTF-8 text
                position = len(text.encode("utf-8")[:position].decode("utf-8", "ignore"))
            char = exc.character if isinstance(exc.character, str) else chr(exc.character)
            raise _bad_character(text, position, char) from None
        except UnicodeEncodeError as exc:  # libyaml takes UTF-8, which has no lone surrogates
            raise _bad_character(text, exc.start, text[exc.start]) from None
        except yaml.YAMLError as exc:  # pragma: no cover - every PyYAML error is one of the above
            raise YamlError(f"invalid YAML: {exc}") from None
        except RecursionError:  # pragma: no cover - MAX_DEPTH stops this first
            raise _depth_error(None) from None
        builder = _Builder(loader)
        data = builder.build(root, (), 0, frozenset()) if root is not None else None
        if builder.issues:
            raise YamlError.of(builder.issues)
        if data is None:
            raise YamlError("the file is empty", None, "start it with 'version: 1'")
        return Document(file, data, builder.key_lines)
    finally:
        if loader is not None:
            loader.dispose()


def _construct(loader: _Loader, tag: str, value: str) -> Any:
    """A scalar's value by its resolved tag (timestamps stay text)."""
    node = ScalarNode(tag, value)
    try:
        if tag == _T + "int":
            return loader.construct_yaml_int(node)
        if tag == _T + "float":
            return loader.construct_yaml_float(node)
        if tag == _T + "bool":
            return loader.construct_yaml_bool(node)
        if tag == _T + "null":
            return None
    except (ValueError, yaml.YAMLError):  # pragma: no cover - resolver regexps prevent it
        pass
    return str(value)


def _bad_character(text: str, position: int, char: str) -> YamlError:
    return YamlError(
        f"the file contains the character U+{ord(char):04X}, which YAML does not allow",
        text.count("\n", 0, position) + 1,
        "remove it",
    )


_INDENTATION = "check the indentation"
_NO_TAGS = "taskform reads plain YAML only; remove the tag"
_SYNTAX_HINTS = (
    ("'\\t'", "indent with spaces; YAML does not allow tabs"),
    ("mapping values are not allowed", "check the indentation, or quote a value containing ': '"),
    ("could not find expected ':'", "check the indentation and that each key ends with ':'"),
    ("found undefined alias", "define the anchor (&name) before using *name"),
    ("found character '@'", 'quote values starting with @, e.g. "@daily"'),
    ("found character '`'", "quote the value"),
    ("expected <block end>", _INDENTATION),  # PyYAML
    ("expected key", _INDENTATION),  # libyaml
    ("expected '-' indicator", _INDENTATION),  # libyaml
    ("tag handle", _NO_TAGS),
    ("URI", _NO_TAGS),
    ("directive", "a line starting with % is a YAML directive; quote values that start with %"),
)
_INDICATORS = "-?:,[]{}#&*!|>'\"%@`"
_LINE_BREAKS = "\r\n\x85\u2028\u2029"


def _syntax_error(exc: yaml.MarkedYAMLError, text: str) -> YamlError:
    """A parse error as a :class:`YamlError`, whether PyYAML or libyaml found it."""
    mark = exc.problem_mark or exc.context_mark
    problem = exc.problem or exc.context or "invalid YAML"
    if mark is None:  # pragma: no cover - PyYAML and libyaml always set a mark
        return YamlError(f"invalid YAML: {problem}")
    problem = _what_was_found(problem, text, int(mark.index))
    hint = next((h for key, h in _SYNTAX_HINTS if key in problem), "")
    line_start = int(mark.index) - int(mark.column)
    if "'\\t'" in problem or "tab character" in problem:
        problem = "a tab character is not allowed here"
        hint = _SYNTAX_HINTS[0][1]
    elif 0 <= line_start < len(text) and text[line_start] == "\ufeff":  # libyaml skips it
        problem = "the line starts with a byte-order mark (U+FEFF), which is not allowed here"
        hint = "remove it; joining files can leave one behind"
    elif exc.context and exc.context_mark and exc.context_mark.line != mark.line:
        where = f"line {exc.context_mark.line + 1}, column {exc.context_mark.column + 1}"
        problem += f", {exc.context} that starts at {where}"
    if not hint and "flow" in (exc.context or ""):
        hint = "check that every [ and { is closed, or quote the value"
    if not hint and "tag" in (exc.context or ""):
        hint = _NO_TAGS
    return YamlError(f"invalid YAML at column {mark.column + 1}: {problem}", mark.line + 1, hint)


def _what_was_found(problem: str, text: str, index: int) -> str:
    """``problem`` naming what is at ``index``, as PyYAML does and libyaml does not."""
    found = text[index] if 0 <= index < len(text) else ""
    if problem == "found character that cannot start any token" and found:
        return f"found character {found!r} that cannot start any token"
    if problem == "found unknown escape character" and found:
        return f"{problem} {text[index + 1 : index + 2]!r}"  # libyaml marks the backslash
    if not problem.startswith("did not find expected "):
        return problem
    problem = problem[len("did not find ") :]
    but = ", but got" if problem.startswith("expected ',' or") else ", but found"
    if index >= len(text.rstrip()):
        return f"{problem}{but} the end of the file"
    if found in _LINE_BREAKS:
        return f"{problem}{but} the end of the line"
    if found == " ":
        return f"{problem}{but} a space"
    if found in _INDICATORS:
        return f"{problem}{but} {found!r}"
    return problem


class _Builder:
    """Turns composed nodes into plain data, recording lines and refusing oversized graphs."""

    def __init__(self, loader: _Loader) -> None:
        self.loader = loader
        self.nodes = 0
        self.issues: list[Issue] = []
        self.key_lines: dict[YamlPath, int] = {}

    def count(self, nodes: int, path: YamlPath, line: int) -> None:
        self.nodes += nodes
        if self.nodes > MAX_NODES:
            # Report the top-level entry being expanded: an alias's own line is lost.
            raise YamlError(
                f"the document expands to more than {MAX_NODES} values",
                self.key_lines.get(path[:1], line),
                "aliases like *name may be repeating large parts of it; write it out smaller",
            )

    def build(self, node: Node, path: YamlPath, depth: int, stack: frozenset[int]) -> Any:
        line = node.start_mark.line + 1
        self.count(1, path, line)
        if not path:
            self.key_lines[path] = line
        if isinstance(node, ScalarNode):
            return self._scalar(node)
        if id(node) in stack:
            raise YamlError("an alias refers to a value that contains it", line, "remove the loop")
        if depth >= MAX_DEPTH:
            raise _depth_error(line)
        inner = stack | {id(node)}
        if isinstance(node, SequenceNode):
            items = []
            for index, child in enumerate(node.value):
                self.key_lines.setdefault((*path, index), child.start_mark.line + 1)
                items.append(self.build(child, (*path, index), depth + 1, inner))
            return items
        assert isinstance(node, MappingNode)
        result: dict[str, Any] = {}
        for key, key_node, value_node in self._pairs(node, path, 0):
            self.key_lines.setdefault((*path, key), key_node.start_mark.line + 1)
            result[key] = self.build(value_node, (*path, key), depth + 1, inner)
        return result

    def _scalar(self, node: ScalarNode) -> Any:
        return _construct(self.loader, node.tag, node.value)

    def _pairs(self, node: MappingNode, path: YamlPath, depth: int) -> list[tuple[str, Node, Node]]:
        """The mapping's (key, key node, value node) entries, with ``<<`` merges applied."""
        if depth > MAX_DEPTH:
            raise _depth_error(node.start_mark.line + 1)
        self.count(len(node.value), path, node.start_mark.line + 1)
        explicit: dict[str, tuple[str, Node, Node]] = {}
        merged: dict[str, tuple[str, Node, Node]] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if isinstance(key_node, ScalarNode) and key_node.tag == _MERGE:
                sources = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
                for source in sources:
                    if not isinstance(source, MappingNode):
                        raise YamlError(
                            "'<<' must be followed by a mapping or a list of mappings", line
                        )
                    for entry in self._pairs(source, path, depth + 1):
                        merged.setdefault(entry[0], entry)
                continue
            if not isinstance(key_node, ScalarNode):
                raise YamlError(
                    "a mapping key must be plain text, not a list or mapping",
                    line,
                    "quote the key",
                )
            key = str(key_node.value)
            if key in explicit:
                first = explicit[key][1].start_mark.line + 1
                self.issues.append(
                    Issue(
                        f"duplicate key '{key}' (first at line {first})",
                        line,
                        "each key may appear only once in a mapping",
                    )
                )
                continue
            explicit[key] = (key, key_node, value_node)
        merged.update(explicit)
        return list(merged.values())


__all__ = [
    "MAX_BYTES",
    "MAX_DEPTH",
    "MAX_NODES",
    "Document",
    "Issue",
    "YamlError",
    "YamlPath",
    "parse",
]
