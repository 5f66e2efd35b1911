"""YAML with line numbers: the plain data of a file and the line of every place in it.

The file is composed once, the plain data is built from the node tree, and the line of every
mapping key and sequence item is recorded under its location path, e.g.
``('questions', 2, 'answer')``, the same path pydantic reports in
``ValidationError.errors()[i]['loc']``. Keys that appear twice in one mapping are recorded
too (PyYAML silently keeps the last one).

Files are read with libyaml when PyYAML has it (several times faster); a file libyaml cannot
read is read again by PyYAML's Python loader, so the error a teacher sees (and its hint in
`YAML_HINTS`) is always the same.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

__all__ = ["YAML_HINTS", "Document", "Loc", "parse_yaml", "yaml_error_message"]

#: A place in a document: mapping keys and list indexes from the top, like pydantic's `loc`.
Loc = tuple[str | int, ...]


class _LineLoader(yaml.SafeLoader):
    """A safe loader; kept apart so nothing registered on SafeLoader changes it."""


#: libyaml's loader is several times faster; a file it cannot read is read again by the
#: Python one, whose error messages (and the hints below) are the ones teachers see.
_FastLoader: type | None = None
if getattr(yaml, "__with_libyaml__", False):

    class _FastLoader(yaml.CSafeLoader):  # type: ignore[no-redef]
        """libyaml's safe loader, kept apart like `_LineLoader`."""


@dataclass
class Document:
    """One YAML file: its plain data and the line of every location in it."""

    data: Any
    lines: dict[Loc, int]
    #: (location of the repeated key, its line, the line where it first appeared)
    duplicate_keys: list[tuple[Loc, int, int]] = field(default_factory=list)

    def line(self, loc: Loc) -> int:
        """The line of `loc`, or of the nearest enclosing location that has one."""
        for end in range(len(loc), -1, -1):
            line = self.lines.get(tuple(loc[:end]))
            if line is not None:
                return line
        return 1

    def get(self, loc: Loc) -> Any:
        """The plain value at `loc`, or None if there is none."""
        value = self.data
        for step in loc:
            try:
                value = value[step]
            except (KeyError, IndexError, TypeError):
                return None
        return value


def parse_yaml(text: str) -> Document:
    """Parse one YAML document; raises `yaml.YAMLError` (see `yaml_error_message`)."""
    if _FastLoader is not None:
        try:
            return _parse(_FastLoader, text)
        except yaml.YAMLError:
            pass  # read it again below, for the Python loader's message
    return _parse(_LineLoader, text)


def _parse(loader_class: type, text: str) -> Document:
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return Document(None, {(): 1})
        data = loader.construct_document(node)
        document = Document(data, {(): node.start_mark.line + 1})
        _record_lines(loader, node, (), document)
        return document
    finally:
        loader.dispose()


def _record_lines(loader: yaml.BaseLoader, node: yaml.Node, loc: Loc, doc: Document) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            key = _key(loader, key_node)
            line = key_node.start_mark.line + 1
            if key in seen:
                doc.duplicate_keys.append((loc + (key,), line, seen[key]))
            seen[key] = line
            # A key's own line, not its value's: for a nested mapping that is the line
            # that names the field ("stem:"), where a teacher looks.
            doc.lines[loc + (key,)] = line
            _record_lines(loader, value_node, loc + (key,), doc)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            doc.lines[loc + (index,)] = item.start_mark.line + 1
            _record_lines(loader, item, loc + (index,), doc)


def _key(loader: yaml.BaseLoader, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        try:
            key = loader.construct_object(node, deep=True)
        except yaml.YAMLError:
            return node.value
        try:
            hash(key)
        except TypeError:
            return node.value
        return key
    return repr(node)


#: What usually causes PyYAML's error messages, for someone editing a lesson by hand.
YAML_HINTS = (
    (
        "mapping values are not allowed here",
        '; a text with ": " in it must be in quotes, like es: "Uno: el tres"',
    ),
    ("found character '\\t'", "; indent with spaces, not tabs"),
    ("found a tab character", "; indent with spaces, not tabs"),
    ("expected <block end>", "; check the indentation of this line and the one before"),
    ("could not find expected ':'", "; a field needs a colon after its name, like grade: 1"),
    ("found unexpected end of stream", "; a quote or bracket is not closed"),
)


def yaml_error_message(exc: yaml.YAMLError) -> tuple[int, str]:
    """(line, message) for a YAML error, with a hint at the usual cause."""
    if not isinstance(exc, yaml.MarkedYAMLError):
        return 1, f"YAML syntax error: {exc}"
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark is not None else 1
    what = exc.problem or exc.context or "the file cannot be read"
    if exc.context and exc.problem:
        what = f"{exc.problem} ({exc.context})"
    hint = next((hint for start, hint in YAML_HINTS if what.startswith(start)), "")
    return line, f"YAML syntax error: {what}{hint}"
