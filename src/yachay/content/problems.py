"""What is wrong with a pack, worded for the teacher who must fix it.

A `Problem` is one ``file:line: message``; a `PackError` carries every problem found. The
helpers here turn a location path (``('questions', 1, 'stem')``) into words
(``question g1-x-q2: stem``) and pydantic's errors into predicates ("must be a whole
number, not 'dos'").
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from yachay.content.schema import ERROR_TYPES, ContentModel
from yachay.content.yaml_lines import Document, Loc

__all__ = [
    "PackError",
    "Problem",
    "all_field_names",
    "close_match",
    "describe",
    "did_you_mean",
    "place",
    "predicate",
    "say",
    "show",
    "within",
]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a pack, at the line to edit.

    `file` is shown relative to the folder that holds the pack, e.g.
    ``matematica-primaria/lessons/g1-x.yaml``.
    """

    file: Path
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file.as_posix()}:{self.line}: {self.message}"


class PackError(ValueError):
    """A pack (or several) that cannot be used, with every problem found."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems: list[Problem] = list(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))


#: List fields whose items are named "<singular> <id or number>" in messages.
ITEM_NAMES = {
    "segments": "segment",
    "questions": "question",
    "templates": "template",
    "choices": "choice",
    "skills": "skill",
    "units": "unit",
    "lessons": "lesson",
    "prerequisites": "prerequisite",
    "languages": "language",
    "distractors": "distractor",
}
#: Mapping fields keyed by language code.
BY_LANGUAGE = {"title", "name", "stem", "explanation", "text", "audio", "choice"}


def all_field_names() -> set[str]:
    """Every field name of every content model: the candidates for "did you mean"."""
    names: set[str] = set()
    pending: list[type] = [ContentModel]
    while pending:
        cls = pending.pop()
        for name, info in getattr(cls, "model_fields", {}).items():
            names.add(info.alias or name)
        pending.extend(cls.__subclasses__())
    return names


def describe(loc: Loc, doc: Document) -> list[str]:
    """Name the parts of a location for a person: ('questions', 1, 'stem') ->
    ['question g1-x-q2', 'stem']."""
    parts: list[str] = []
    language_next = False
    index = 0
    while index < len(loc):
        step = loc[index]
        following = loc[index + 1] if index + 1 < len(loc) else None
        if step == "[key]":
            index += 1
        elif isinstance(step, str) and step in ITEM_NAMES and isinstance(following, int):
            item = doc.get(loc[: index + 2])
            label: object = following + 1
            if isinstance(item, Mapping) and isinstance(item.get("id"), str) and item["id"]:
                label = item["id"]
            parts.append(f"{ITEM_NAMES[step]} {label}")
            language_next = step == "choices"
            index += 2
        elif step == "params" and isinstance(following, str) and following != "[key]":
            if index + 2 < len(loc) and loc[index + 2] == "[key]":
                parts.append("params")  # the name itself is wrong: "params uses 'A'"
            else:
                parts.append(f"parameter {following}")
            index += 2
        elif language_next and isinstance(step, str):
            if following != "[key]":
                parts[-1] += f" in {step!r}"
            language_next = False
            index += 1
        elif isinstance(step, int):
            parts.append(f"item {step + 1}")
            language_next = False
            index += 1
        else:
            parts.append(str(step))
            language_next = step in BY_LANGUAGE
            index += 1
    return parts


def say(parts: list[str], predicate: str) -> str:
    """'question q1', 'answer' + 'must be ...' -> 'question q1: answer must be ...'."""
    if not parts:
        return f"the file {predicate}"
    return ": ".join([*parts[:-1], f"{parts[-1]} {predicate}"])


def within(parts: list[str], message: str) -> str:
    """'question q1' + 'unknown field ...' -> 'question q1: unknown field ...'."""
    return ": ".join([*parts, message])


def show(value: Any) -> str:
    """A value as quoted in a message, cut short."""
    if value is None:
        return "nothing"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def place(position: Problem) -> str:
    """``file:line`` of a position (a Problem whose message is unused)."""
    return f"{position.file.as_posix()}:{position.line}"


def close_match(word: object, candidates: Iterable[str]) -> str | None:
    matches = difflib.get_close_matches(str(word), sorted(candidates), n=1, cutoff=0.6)
    return matches[0] if matches else None


def did_you_mean(word: object, candidates: Iterable[str]) -> str:
    match = close_match(word, candidates)
    return f" (did you mean {match!r}?)" if match else ""


def predicate(error: Mapping[str, Any], field_name: object) -> str:
    """A pydantic error as a predicate about the field it concerns."""
    kind = error["type"]
    value = error.get("input")
    context = error.get("ctx") or {}
    if kind in ERROR_TYPES:
        return str(error["msg"])  # one of ours (schema.py): already a predicate
    if value is None and kind == "string_type":
        return "is empty"
    if value is None and kind in {"list_type", "dict_type", "model_type"}:
        return "has nothing after the colon"
    if kind in {"int_type", "int_parsing", "int_from_float"}:
        return f"must be a whole number, not {show(value)}"
    if kind in {"float_type", "float_parsing"}:
        return f"must be a number, not {show(value)}"
    if kind in {"bool_type", "bool_parsing"}:
        return f"must be true or false, not {show(value)}"
    if kind == "string_type":
        return f"must be text, not {show(value)}"
    if kind == "list_type":
        return f"must be a list, not {show(value)}"
    if kind == "literal_error":
        return f"must be {context.get('expected', 'one of the allowed words')}, not {show(value)}"
    if kind == "dict_type" and field_name == "audio":
        return "must name a file per language, like qu: audio/x.wav"
    if kind == "dict_type":
        return f'must have a text per language, like es: "...", not {show(value)}'
    if kind in {"model_type", "model_attributes_type"}:
        return f"must be a mapping of fields (name: value), not {show(value)}"
    if kind == "too_short":
        count = context.get("min_length", 1)
        return f"must have at least {count} item{'s' if count != 1 else ''}"
    if kind == "too_long":
        count = context.get("max_length")
        return f"must have at most {count} item{'s' if count != 1 else ''}"
    message = str(error["msg"])
    return f"is not valid: {message[:1].lower()}{message[1:]}"
