"""Read one pack folder: parse each file, validate it against the schema and collect every
problem as ``file:line: message``.

`PackReader.read` reads ``pack.yaml`` and the lesson files it lists, then runs the checks
that need the whole pack (`yachay.content.cross_checks`) and the checks of what a caller
hears (`yachay.content.checks`). It never stops at the first problem.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import ValidationError

from yachay.content import checks, cross_checks, curriculum_checks, teacher_checks
from yachay.content.problems import (
    Problem,
    all_field_names,
    close_match,
    describe,
    predicate,
    say,
    within,
)
from yachay.content.schema import SENTENCE_ERROR_TYPES, ContentModel, Lesson, Pack, Question
from yachay.content.yaml_lines import Document, Loc, parse_yaml, yaml_error_message

__all__ = ["LESSONS_DIR", "PACK_FILE", "PackReader", "ReadLesson"]

PACK_FILE = "pack.yaml"
LESSONS_DIR = "lessons"

_M = TypeVar("_M", bound=ContentModel)


@dataclass
class ReadLesson:
    """A lesson file that validated, with the items its templates generate."""

    unit_index: int
    #: The lesson file as listed in pack.yaml, relative to the pack folder.
    file: str
    lesson: Lesson
    #: Per template of the lesson, in order: its generated items (empty if it has problems).
    generated: list[list[Question]]


class PackReader:
    """Reads one pack folder; `problems` holds everything wrong, `read` what is right."""

    def __init__(self, folder: Path):
        self.folder = folder
        #: Problems show files relative to the folder that holds the pack.
        self.root = Path(folder.resolve().name)
        self.problems: list[Problem] = []
        #: What is doubtful but allowed (visual-only wording): printed, never fatal.
        self.warnings: list[Problem] = []
        self.documents: dict[str, Document] = {}
        self.file_order: list[str] = [PACK_FILE]
        self.pack_id_position: dict[str, Problem] = {}
        #: Where each question id (hand-written or generated) is, for checks across packs.
        self.question_positions: dict[str, Problem] = {}
        self._field_names = all_field_names()

    # reporting

    def shown(self, relative: str) -> Path:
        return self.root / relative

    def problem(self, relative: str, line: int, message: str) -> None:
        self.problems.append(Problem(self.shown(relative), line, message))

    def at(self, relative: str, loc: Loc, message: str) -> None:
        """A problem at the line of `loc` in file `relative`."""
        self.problem(relative, self.documents[relative].line(loc), message)

    def warn_at(self, relative: str, loc: Loc, message: str) -> None:
        """A warning at the line of `loc` in file `relative`."""
        line = self.documents[relative].line(loc)
        self.warnings.append(Problem(self.shown(relative), line, message))

    def sorted_warnings(self) -> list[Problem]:
        order = {self.shown(name): index for index, name in enumerate(self.file_order)}
        return sorted(self.warnings, key=lambda p: (order.get(p.file, len(order)), p.file, p.line))

    def position(self, relative: str, loc: Loc) -> Problem:
        """A place, as a message-less Problem (file and line)."""
        return Problem(self.shown(relative), self.documents[relative].line(loc), "")

    def describe(self, relative: str, loc: Loc) -> list[str]:
        return describe(loc, self.documents[relative])

    def sorted_problems(self) -> list[Problem]:
        order = {self.shown(name): index for index, name in enumerate(self.file_order)}
        return sorted(self.problems, key=lambda p: (order.get(p.file, len(order)), p.file, p.line))

    # reading

    def read(self) -> tuple[Pack, list[ReadLesson]] | None:
        """The pack and its lessons in teaching order, or None if anything is wrong."""
        if not self.folder.is_dir():
            self.problems.append(
                Problem(Path(self.folder.as_posix()), 1, "there is no pack folder here")
            )
            return None
        if not (self.folder / PACK_FILE).is_file():
            self.problem(PACK_FILE, 1, f"the pack folder has no {PACK_FILE}")
            return None
        if self.parse(PACK_FILE) is None:
            return None
        pack = self.validate(Pack, PACK_FILE)
        if pack is not None:
            self.pack_id_position[pack.id] = self.position(PACK_FILE, ("id",))
            cross_checks.check_pack(self, pack)
        entries = self.lesson_entries(pack)
        lessons: list[ReadLesson] = []
        for unit_index, relative in entries:
            lesson = self.read_lesson(relative)
            if lesson is not None:
                lessons.append(ReadLesson(unit_index, relative, lesson, []))
        self.check_unlisted_files({relative for _, relative in entries})
        cross_checks.check_lessons(self, pack, lessons)
        curriculum_checks.check_curriculum(self, pack, lessons)
        teacher_checks.check_as_a_teacher(self, pack, lessons)
        checks.check_what_callers_hear(self, pack, lessons)
        if self.problems or pack is None:
            return None
        return pack, lessons

    def parse(self, relative: str) -> Document | None:
        raw = (self.folder / relative).read_bytes()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            self.problem(relative, line, "the file is not UTF-8 text: save it as UTF-8")
            return None
        try:
            document = parse_yaml(text)
        except yaml.YAMLError as exc:
            self.problem(relative, *yaml_error_message(exc))
            return None
        self.documents[relative] = document
        for loc, line, first in document.duplicate_keys:
            parts = describe(loc[:-1], document)
            self.problem(
                relative,
                line,
                within(parts, f"{loc[-1]!r} appears twice (also on line {first}); keep one"),
            )
        return document

    def validate(self, model: type[_M], relative: str) -> _M | None:
        document = self.documents[relative]
        try:
            return model.model_validate(document.data)
        except ValidationError as exc:
            errors = exc.errors(include_url=False)
        # A misspelt field is both unknown and missing: say it once, as the misspelling.
        missing: dict[Loc, set[str]] = {}
        for error in errors:
            if error["type"] == "missing" and error["loc"]:
                missing.setdefault(tuple(error["loc"][:-1]), set()).add(str(error["loc"][-1]))
        meant: dict[Loc, str] = {}
        for error in errors:
            if error["type"] == "extra_forbidden" and error["loc"]:
                loc = tuple(error["loc"])
                close = close_match(loc[-1], missing.get(loc[:-1], ()))
                if close is not None:
                    meant[loc] = close
                    missing[loc[:-1]].discard(close)
        for error in errors:
            loc = tuple(error["loc"])
            if error["type"] == "missing" and loc and loc[-1] not in missing.get(loc[:-1], ()):
                continue
            self.report_validation_error(relative, error, meant.get(loc))
        return None

    def report_validation_error(
        self, relative: str, error: Mapping[str, Any], meant: str | None = None
    ) -> None:
        document = self.documents[relative]
        loc: Loc = tuple(error["loc"])
        context = error.get("ctx") or {}
        if isinstance(context.get("field"), str):
            loc = loc + (context["field"],)
        line = document.line(loc)
        kind = error["type"]
        if not loc and document.data is None:
            message = "the file is empty"
        elif kind == "extra_forbidden":
            name = loc[-1]
            if meant is None:
                meant = close_match(name, self._field_names)
            hint = f" (did you mean {meant!r}?)" if meant else ""
            message = within(describe(loc[:-1], document), f"unknown field {name!r}{hint}")
        elif kind in SENTENCE_ERROR_TYPES:
            message = within(describe(loc, document)[:-1], str(error["msg"]))
        elif kind == "missing":
            message = say(describe(loc, document), "is missing")
        else:
            parts = describe(loc, document)
            message = say(parts, predicate(error, loc[-1] if loc else None))
        self.problem(relative, line, message)

    def lesson_entries(self, pack: Pack | None) -> list[tuple[int, str]]:
        """(unit index, lesson file) for every lesson file pack.yaml lists, in order."""
        entries: list[tuple[int, str]] = []
        listed: dict[str, Loc] = {}
        document = self.documents[PACK_FILE]
        if pack is not None:
            listing = [
                (unit_index, lesson_index, relative)
                for unit_index, unit in enumerate(pack.units)
                for lesson_index, relative in enumerate(unit.lessons)
            ]
        else:  # best effort, to report the lessons' own problems too
            units = document.data.get("units") if isinstance(document.data, Mapping) else None
            listing = [
                (unit_index, lesson_index, relative)
                for unit_index, unit in enumerate(units if isinstance(units, list) else [])
                if isinstance(unit, Mapping) and isinstance(unit.get("lessons"), list)
                for lesson_index, relative in enumerate(unit["lessons"])
                if isinstance(relative, str)
                and relative
                and ".." not in relative.split("/")
                and not relative.startswith("/")
            ]
        for unit_index, lesson_index, relative in listing:
            loc: Loc = ("units", unit_index, "lessons", lesson_index)
            unit_name = describe(loc[:2], document)
            if relative in listed:
                first = document.line(listed[relative])
                self.at(
                    PACK_FILE,
                    loc,
                    within(
                        unit_name, f"lesson file {relative!r} is already listed on line {first}"
                    ),
                )
                continue
            listed[relative] = loc
            if not (self.folder / relative).is_file():
                self.at(
                    PACK_FILE, loc, within(unit_name, f"lesson file {relative!r} does not exist")
                )
                continue
            entries.append((unit_index, relative))
        return entries

    def read_lesson(self, relative: str) -> Lesson | None:
        self.file_order.append(relative)
        if self.parse(relative) is None:
            return None
        return self.validate(Lesson, relative)

    def check_unlisted_files(self, listed: set[str]) -> None:
        lessons_dir = self.folder / LESSONS_DIR
        if not lessons_dir.is_dir():
            return
        for path in sorted([*lessons_dir.rglob("*.yaml"), *lessons_dir.rglob("*.yml")]):
            relative = path.relative_to(self.folder).as_posix()
            if relative not in listed:
                self.file_order.append(relative)
                self.problem(
                    relative,
                    1,
                    f"this lesson is not in any unit of {PACK_FILE}: "
                    "add it to a unit's lessons, or move it out of the pack",
                )
