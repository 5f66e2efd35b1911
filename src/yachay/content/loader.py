"""Load a content pack from its folder, or say exactly what is wrong with it.

`load_pack` reads ``pack.yaml`` and every lesson file it lists, checks each against
`yachay.content.schema`, then checks what needs the whole pack: ids used once, skills and
prerequisites that exist, a text in every language of the pack, files that exist. It
collects every problem before it gives up, and raises one `PackError` listing them all as
``file:line: message``, where the line is the one a teacher must edit.

Line numbers come from the YAML node tree: the file is composed once, the plain data is
built from it, and the line of every mapping key and sequence item is recorded under its
location path, e.g. ``('questions', 2, 'answer')``, the same path pydantic reports in
``ValidationError.errors()[i]['loc']``.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import ValidationError

from yachay.content.schema import (
    ERROR_TYPES,
    SENTENCE_ERROR_TYPES,
    ContentModel,
    Lesson,
    Pack,
    Question,
    Skill,
    Unit,
)

PACK_FILE = "pack.yaml"
LESSONS_DIR = "lessons"

Loc = tuple[str | int, ...]
_M = TypeVar("_M", bound=ContentModel)


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


@dataclass(frozen=True)
class LoadedLesson:
    lesson: Lesson
    unit: Unit
    #: The lesson file as listed in pack.yaml, relative to the pack folder.
    file: str


@dataclass(frozen=True)
class LoadedPack:
    """A valid pack: its `Pack`, its lessons in teaching order (units in order, then the
    lessons of each unit in order) and the folder it was read from."""

    pack: Pack
    lessons: tuple[LoadedLesson, ...]
    folder: Path

    @cached_property
    def _lessons_by_id(self) -> dict[str, Lesson]:
        return {entry.lesson.id: entry.lesson for entry in self.lessons}

    @cached_property
    def _questions_by_id(self) -> dict[str, Question]:
        return {question.id: question for question in self.questions}

    @cached_property
    def _skills_by_id(self) -> dict[str, Skill]:
        return {skill.id: skill for skill in self.pack.skills}

    @property
    def id(self) -> str:
        return self.pack.id

    @property
    def questions(self) -> tuple[Question, ...]:
        """Every question, in teaching order."""
        return tuple(q for entry in self.lessons for q in entry.lesson.questions)

    def lesson(self, lesson_id: str) -> Lesson:
        return self._lessons_by_id[lesson_id]

    def question(self, question_id: str) -> Question:
        return self._questions_by_id[question_id]

    def skill(self, skill_id: str) -> Skill:
        return self._skills_by_id[skill_id]

    def path(self, relative: str) -> Path:
        """A file named inside the pack (a lesson, an audio recording) on disk."""
        return self.folder / relative


def load_pack(path: Path) -> LoadedPack:
    """Load the pack in folder `path` (or its ``pack.yaml``); raise `PackError` if wrong."""
    folder = Path(path)
    if folder.name == PACK_FILE and folder.is_file():
        folder = folder.parent
    reader = _PackReader(folder)
    loaded = reader.read()
    if reader.problems:
        raise PackError(reader.sorted_problems())
    assert loaded is not None
    return loaded


def load_packs(directory: Path) -> list[LoadedPack]:
    """Load every pack in the subfolders of `directory` (each with a ``pack.yaml``).

    Besides each pack's own checks, pack ids and question ids must be unique across packs:
    a student's answers are stored by question id.
    """
    directory = Path(directory)
    folders = sorted(p.parent for p in directory.glob(f"*/{PACK_FILE}"))
    if not folders:
        raise PackError(
            [Problem(Path(directory.as_posix()), 1, f"no pack here: no {PACK_FILE} in a subfolder")]
        )
    problems: list[Problem] = []
    packs: list[LoadedPack] = []
    pack_ids: dict[str, Problem] = {}
    question_ids: dict[str, Problem] = {}
    for folder in folders:
        reader = _PackReader(folder)
        loaded = reader.read()
        for kind, seen, positions in (
            ("pack", pack_ids, reader.pack_id_position),
            ("question", question_ids, reader.question_positions),
        ):
            for item_id, where in positions.items():
                if item_id in seen:
                    first = seen[item_id]
                    reader.problems.append(
                        Problem(
                            where.file,
                            where.line,
                            f"{kind} id {item_id!r} is already used at {_place(first)}",
                        )
                    )
                else:
                    seen[item_id] = where
        problems.extend(reader.sorted_problems())
        if loaded is not None and not reader.problems:
            packs.append(loaded)
    if problems:
        raise PackError(problems)
    return packs


# --- YAML with line numbers -------------------------------------------------------------


class _LineLoader(yaml.SafeLoader):
    """A safe loader; kept apart so nothing registered on SafeLoader changes it."""


@dataclass
class _Document:
    """One YAML file: its plain data and the line of every location in it."""

    data: Any
    lines: dict[Loc, int]
    duplicate_keys: list[tuple[Loc, int, int]] = field(default_factory=list)

    def line(self, loc: Loc) -> int:
        """The line of `loc`, or of the nearest enclosing location that has one."""
        for end in range(len(loc), -1, -1):
            line = self.lines.get(tuple(loc[:end]))
            if line is not None:
                return line
        return 1

    def get(self, loc: Loc) -> Any:
        value = self.data
        for step in loc:
            try:
                value = value[step]
            except (KeyError, IndexError, TypeError):
                return None
        return value


def _parse_yaml(text: str) -> _Document:
    loader = _LineLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return _Document(None, {(): 1})
        data = loader.construct_document(node)
        document = _Document(data, {(): node.start_mark.line + 1})
        _record_lines(loader, node, (), document)
        return document
    finally:
        loader.dispose()


def _record_lines(loader: yaml.SafeLoader, node: yaml.Node, loc: Loc, doc: _Document) -> None:
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


def _key(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
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
_YAML_HINTS = (
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

# --- messages --------------------------------------------------------------------------

#: List fields whose items are named "<singular> <id or number>" in messages.
_ITEM_NAMES = {
    "segments": "segment",
    "questions": "question",
    "choices": "choice",
    "skills": "skill",
    "units": "unit",
    "lessons": "lesson",
    "prerequisites": "prerequisite",
    "languages": "language",
}
#: Mapping fields keyed by language code.
_BY_LANGUAGE = {"title", "name", "stem", "explanation", "text", "audio"}


def _all_field_names() -> set[str]:
    names: set[str] = set()
    pending: list[type] = [ContentModel]
    while pending:
        cls = pending.pop()
        names.update(getattr(cls, "model_fields", {}))
        pending.extend(cls.__subclasses__())
    return names


def _describe(loc: Loc, doc: _Document) -> list[str]:
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
        elif isinstance(step, str) and step in _ITEM_NAMES and isinstance(following, int):
            item = doc.get(loc[: index + 2])
            label: object = following + 1
            if isinstance(item, Mapping) and isinstance(item.get("id"), str) and item["id"]:
                label = item["id"]
            parts.append(f"{_ITEM_NAMES[step]} {label}")
            language_next = step == "choices"
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
            language_next = step in _BY_LANGUAGE
            index += 1
    return parts


def _say(parts: list[str], predicate: str) -> str:
    """'question q1', 'answer' + 'must be ...' -> 'question q1: answer must be ...'."""
    if not parts:
        return f"the file {predicate}"
    return ": ".join([*parts[:-1], f"{parts[-1]} {predicate}"])


def _within(parts: list[str], message: str) -> str:
    """'question q1' + 'unknown field ...' -> 'question q1: unknown field ...'."""
    return ": ".join([*parts, message])


def _show(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _place(position: Problem) -> str:
    return f"{position.file.as_posix()}:{position.line}"


def _close_match(word: object, candidates: Iterable[str]) -> str | None:
    matches = difflib.get_close_matches(str(word), sorted(candidates), n=1, cutoff=0.6)
    return matches[0] if matches else None


def _did_you_mean(word: object, candidates: Iterable[str]) -> str:
    match = _close_match(word, candidates)
    return f" (did you mean {match!r}?)" if match else ""


def _predicate(error: Mapping[str, Any], field_name: object) -> str:
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
        return f"must be a whole number, not {_show(value)}"
    if kind == "string_type":
        return f"must be text, not {_show(value)}"
    if kind == "list_type":
        return f"must be a list, not {_show(value)}"
    if kind == "dict_type" and field_name == "audio":
        return "must name a file per language, like qu: audio/x.wav"
    if kind == "dict_type":
        return f'must have a text per language, like es: "...", not {_show(value)}'
    if kind in {"model_type", "model_attributes_type"}:
        return f"must be a mapping of fields (name: value), not {_show(value)}"
    if kind == "too_short":
        count = context.get("min_length", 1)
        return f"must have at least {count} item{'s' if count != 1 else ''}"
    if kind == "too_long":
        count = context.get("max_length")
        return f"must have at most {count} item{'s' if count != 1 else ''}"
    message = str(error["msg"])
    return f"is not valid: {message[:1].lower()}{message[1:]}"


# --- reading a pack ----------------------------------------------------------------------


class _PackReader:
    def __init__(self, folder: Path):
        self.folder = folder
        #: Problems show files relative to the folder that holds the pack.
        self.root = Path(folder.resolve().name)
        self.problems: list[Problem] = []
        self.documents: dict[str, _Document] = {}
        self.file_order: list[str] = [PACK_FILE]
        self.pack_id_position: dict[str, Problem] = {}
        self.question_positions: dict[str, Problem] = {}
        self._field_names = _all_field_names()

    # reporting

    def shown(self, relative: str) -> Path:
        return self.root / relative

    def problem(self, relative: str, line: int, message: str) -> None:
        self.problems.append(Problem(self.shown(relative), line, message))

    def at(self, relative: str, loc: Loc, message: str) -> None:
        self.problem(relative, self.documents[relative].line(loc), message)

    def position(self, relative: str, loc: Loc) -> Problem:
        """A place, as a message-less Problem (file and line)."""
        return Problem(self.shown(relative), self.documents[relative].line(loc), "")

    def sorted_problems(self) -> list[Problem]:
        order = {self.shown(name): index for index, name in enumerate(self.file_order)}
        return sorted(self.problems, key=lambda p: (order.get(p.file, len(order)), p.file, p.line))

    # reading

    def read(self) -> LoadedPack | None:
        if not self.folder.is_dir():
            self.problems.append(
                Problem(Path(self.folder.as_posix()), 1, "there is no pack folder here")
            )
            return None
        if not (self.folder / PACK_FILE).is_file():
            self.problem(PACK_FILE, 1, f"the pack folder has no {PACK_FILE}")
            return None
        document = self.parse(PACK_FILE)
        if document is None:
            return None
        pack = self.validate(Pack, PACK_FILE)
        if pack is not None:
            self.pack_id_position[pack.id] = self.position(PACK_FILE, ("id",))
            self.check_pack(pack)
        entries = self.lesson_entries(pack)
        lessons: list[tuple[int, str, Lesson]] = []
        for unit_index, relative in entries:
            lesson = self.read_lesson(relative)
            if lesson is not None:
                lessons.append((unit_index, relative, lesson))
        self.check_unlisted_files({relative for _, relative in entries})
        self.check_lessons(pack, lessons)
        if self.problems or pack is None:
            return None
        return LoadedPack(
            pack=pack,
            lessons=tuple(
                LoadedLesson(lesson=lesson, unit=pack.units[unit_index], file=relative)
                for unit_index, relative, lesson in lessons
            ),
            folder=self.folder,
        )

    def parse(self, relative: str) -> _Document | None:
        raw = (self.folder / relative).read_bytes()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            self.problem(relative, line, "the file is not UTF-8 text: save it as UTF-8")
            return None
        try:
            document = _parse_yaml(text)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark is not None else 1
            what = exc.problem or exc.context or "the file cannot be read"
            if exc.context and exc.problem:
                what = f"{exc.problem} ({exc.context})"
            hint = next((hint for start, hint in _YAML_HINTS if what.startswith(start)), "")
            self.problem(relative, line, f"YAML syntax error: {what}{hint}")
            return None
        except yaml.YAMLError as exc:
            self.problem(relative, 1, f"YAML syntax error: {exc}")
            return None
        self.documents[relative] = document
        for loc, line, first in document.duplicate_keys:
            parts = _describe(loc[:-1], document)
            self.problem(
                relative,
                line,
                _within(parts, f"{loc[-1]!r} appears twice (also on line {first}); keep one"),
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
                close = _close_match(loc[-1], missing.get(loc[:-1], ()))
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
                meant = _close_match(name, self._field_names)
            hint = f" (did you mean {meant!r}?)" if meant else ""
            message = _within(_describe(loc[:-1], document), f"unknown field {name!r}{hint}")
        elif kind in SENTENCE_ERROR_TYPES:
            message = _within(_describe(loc, document)[:-1], str(error["msg"]))
        elif kind == "missing":
            message = _say(_describe(loc, document), "is missing")
        else:
            parts = _describe(loc, document)
            message = _say(parts, _predicate(error, loc[-1] if loc else None))
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
            unit_name = _describe(loc[:2], document)
            if relative in listed:
                first = document.line(listed[relative])
                self.at(
                    PACK_FILE,
                    loc,
                    _within(
                        unit_name,
                        f"lesson file {relative!r} is already listed on line {first}",
                    ),
                )
                continue
            listed[relative] = loc
            if not (self.folder / relative).is_file():
                self.at(
                    PACK_FILE,
                    loc,
                    _within(unit_name, f"lesson file {relative!r} does not exist"),
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

    # checks across files

    def check_pack(self, pack: Pack) -> None:
        self.check_unique(
            "skill",
            [(skill.id, PACK_FILE, ("skills", i, "id")) for i, skill in enumerate(pack.skills)],
        )
        self.check_unique(
            "unit", [(unit.id, PACK_FILE, ("units", i, "id")) for i, unit in enumerate(pack.units)]
        )
        skills = {skill.id for skill in pack.skills}
        document = self.documents[PACK_FILE]
        for i, skill in enumerate(pack.skills):
            for j, prerequisite in enumerate(skill.prerequisites):
                loc: Loc = ("skills", i, "prerequisites", j)
                where = _describe(("skills", i), document)
                if prerequisite == skill.id:
                    self.at(PACK_FILE, loc, _within(where, "cannot be its own prerequisite"))
                elif prerequisite not in skills:
                    self.at(
                        PACK_FILE,
                        loc,
                        _within(
                            where,
                            f"prerequisite {prerequisite!r} is not a skill of this pack"
                            f"{_did_you_mean(prerequisite, skills)}",
                        ),
                    )
        self.check_prerequisite_cycles(pack)
        self.check_languages(pack, PACK_FILE, pack)

    def check_prerequisite_cycles(self, pack: Pack) -> None:
        index = {skill.id: i for i, skill in enumerate(pack.skills)}
        requires = {
            skill.id: [p for p in skill.prerequisites if p in index and p != skill.id]
            for skill in pack.skills
        }
        done: set[str] = set()
        reported: set[frozenset[str]] = set()

        def visit(skill_id: str, path: list[str]) -> None:
            if skill_id in path:
                cycle = path[path.index(skill_id) :] + [skill_id]
                key = frozenset(cycle)
                if key not in reported:
                    reported.add(key)
                    first = cycle[0]
                    self.at(
                        PACK_FILE,
                        ("skills", index[first], "prerequisites"),
                        f"skill {first}: prerequisites go round in a circle: " + " -> ".join(cycle),
                    )
                return
            if skill_id in done:
                return
            for prerequisite in requires[skill_id]:
                visit(prerequisite, [*path, skill_id])
            done.add(skill_id)

        for skill in pack.skills:
            visit(skill.id, [])

    def check_unique(self, kind: str, items: list[tuple[str, str, Loc]]) -> dict[str, Problem]:
        first: dict[str, Problem] = {}
        for item_id, relative, loc in items:
            if item_id in first:
                place = first[item_id]
                self.at(
                    relative,
                    loc,
                    f"{kind} id {item_id!r} is already used at {_place(place)}",
                )
            else:
                first[item_id] = self.position(relative, loc)
        return first

    def check_lessons(self, pack: Pack | None, lessons: list[tuple[int, str, Lesson]]) -> None:
        self.check_unique(
            "lesson", [(lesson.id, relative, ("id",)) for _, relative, lesson in lessons]
        )
        self.question_positions = self.check_unique(
            "question",
            [
                (question.id, relative, ("questions", i, "id"))
                for _, relative, lesson in lessons
                for i, question in enumerate(lesson.questions)
            ],
        )
        if pack is None:
            return
        skills = {skill.id for skill in pack.skills}
        for _, relative, lesson in lessons:
            document = self.documents[relative]
            owners: list[tuple[Loc, list[str]]] = [((), lesson.skills)]
            owners += [(("questions", i), q.skills) for i, q in enumerate(lesson.questions)]
            for owner, used in owners:
                for j, skill_id in enumerate(used):
                    if skill_id not in skills:
                        self.at(
                            relative,
                            owner + ("skills", j),
                            _within(
                                _describe(owner, document),
                                f"unknown skill {skill_id!r}: {PACK_FILE} declares no such "
                                f"skill{_did_you_mean(skill_id, skills)}",
                            ),
                        )
            self.check_languages(pack, relative, lesson)
            for i, segment in enumerate(lesson.segments):
                for language, audio in segment.audio.items():
                    if not (self.folder / audio).is_file():
                        self.at(
                            relative,
                            ("segments", i, "audio", language),
                            _within(
                                _describe(("segments", i), document),
                                f"audio file {audio!r} for {language!r} does not exist",
                            ),
                        )

    def check_languages(self, pack: Pack, relative: str, model: ContentModel) -> None:
        document = self.documents[relative]
        for loc, texts in _texts(model, ()):
            for language in pack.languages:
                if language in texts:
                    continue
                parts = _describe(loc, document)
                if loc[-1] == "text":  # a segment: "segment 2 has no text in 'es'"
                    parts = parts[:-1]
                self.at(relative, loc, _say(parts, f"has no text in {language!r}"))


def _texts(model: ContentModel, loc: Loc) -> Iterator[tuple[Loc, Mapping[str, str]]]:
    """Every `Texts` of a model and the models inside it, with its location."""
    for name in type(model).model_fields:
        value = getattr(model, name)
        if name in model.text_fields:
            if isinstance(value, Mapping):
                yield loc + (name,), value
            else:
                for i, item in enumerate(value):
                    yield loc + (name, i), item
        elif isinstance(value, ContentModel):
            yield from _texts(value, loc + (name,))
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, ContentModel):
                    yield from _texts(item, loc + (name, i))
