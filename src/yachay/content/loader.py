"""Load a content pack from its folder, or say exactly what is wrong with it.

`load_pack` reads ``pack.yaml`` and every lesson file it lists, checks each against
`yachay.content.schema`, then checks what needs the whole pack (ids used once, skills and
prerequisites that exist, a text in every language of the pack and of each lesson's
translations, files that exist, templates that generate valid items) and what a caller
hears (`yachay.content.checks`: telephony-playable audio, prompts short enough to hear in
one go, no text a voice reads badly). It collects every problem before it gives up, and
raises one `PackError` listing them all as ``file:line: message``, where the line is the
one a teacher must edit.

The work is split over:

- `yachay.content.yaml_lines`: YAML with the line of every key and item;
- `yachay.content.problems`: `Problem`, `PackError` and the wording of messages;
- `yachay.content.pack_reader`: reading and validating the files of one pack;
- `yachay.content.cross_checks`: checks across files; `yachay.content.templates`: items
  generated from question templates; `yachay.content.checks`: what a caller hears.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from yachay.content.pack_reader import LESSONS_DIR, PACK_FILE, PackReader
from yachay.content.problems import PackError, Problem, place
from yachay.content.schema import Lesson, Pack, Question, Skill, Template, Unit

__all__ = [
    "LESSONS_DIR",
    "PACK_FILE",
    "LoadedLesson",
    "LoadedPack",
    "PackError",
    "Problem",
    "load_pack",
    "load_packs",
]


@dataclass(frozen=True)
class LoadedLesson:
    lesson: Lesson
    unit: Unit
    #: The lesson file as listed in pack.yaml, relative to the pack folder.
    file: str
    #: The practice items the lesson's templates generate, template by template in the
    #: order of ``templates:``, each in the order of its ``params``. Every one is a
    #: `Question` with ``template_id`` set and the lesson's grade.
    generated: tuple[Question, ...] = ()

    def generated_by(self, template_id: str) -> tuple[Question, ...]:
        """The items one template of this lesson generates."""
        return tuple(q for q in self.generated if q.template_id == template_id)


@dataclass(frozen=True)
class LoadedPack:
    """A valid pack: its `Pack`, its lessons in teaching order (units in order, then the
    lessons of each unit in order) and the folder it was read from."""

    pack: Pack
    lessons: tuple[LoadedLesson, ...]
    folder: Path
    #: What is doubtful but allowed (visual-only wording), as ``file:line: message``.
    warnings: tuple[Problem, ...] = ()

    @cached_property
    def _lessons_by_id(self) -> dict[str, Lesson]:
        return {entry.lesson.id: entry.lesson for entry in self.lessons}

    @cached_property
    def _questions_by_id(self) -> dict[str, Question]:
        return {question.id: question for question in (*self.questions, *self.generated)}

    @cached_property
    def _skills_by_id(self) -> dict[str, Skill]:
        return {skill.id: skill for skill in self.pack.skills}

    @cached_property
    def _templates_by_id(self) -> dict[str, Template]:
        return {t.id: t for entry in self.lessons for t in entry.lesson.templates}

    @property
    def id(self) -> str:
        return self.pack.id

    @property
    def questions(self) -> tuple[Question, ...]:
        """Every hand-written question (what lessons ask), in teaching order."""
        return tuple(q for entry in self.lessons for q in entry.lesson.questions)

    @property
    def generated(self) -> tuple[Question, ...]:
        """Every item generated from templates (practice only), in teaching order."""
        return tuple(q for entry in self.lessons for q in entry.generated)

    @property
    def items(self) -> tuple[Question, ...]:
        """Everything a student can be asked: `questions`, then `generated`."""
        return (*self.questions, *self.generated)

    def lesson(self, lesson_id: str) -> Lesson:
        return self._lessons_by_id[lesson_id]

    def question(self, question_id: str) -> Question:
        """A hand-written question or a generated item, by id."""
        return self._questions_by_id[question_id]

    def template(self, template_id: str) -> Template:
        return self._templates_by_id[template_id]

    def skill(self, skill_id: str) -> Skill:
        return self._skills_by_id[skill_id]

    def path(self, relative: str) -> Path:
        """A file named inside the pack (a lesson, an audio recording) on disk."""
        return self.folder / relative


def _read(folder: Path) -> tuple[PackReader, LoadedPack | None]:
    reader = PackReader(folder)
    read = reader.read()
    if read is None:
        return reader, None
    pack, lessons = read
    loaded = LoadedPack(
        pack=pack,
        lessons=tuple(
            LoadedLesson(
                lesson=entry.lesson,
                unit=pack.units[entry.unit_index],
                file=entry.file,
                generated=tuple(q for items in entry.generated for q in items),
            )
            for entry in lessons
        ),
        folder=folder,
        warnings=tuple(reader.sorted_warnings()),
    )
    return reader, loaded


def load_pack(path: Path) -> LoadedPack:
    """Load the pack in folder `path` (or its ``pack.yaml``); raise `PackError` if wrong."""
    folder = Path(path)
    if folder.name == PACK_FILE and folder.is_file():
        folder = folder.parent
    reader, loaded = _read(folder)
    if reader.problems or loaded is None:
        raise PackError(reader.sorted_problems())
    return loaded


def load_packs(directory: Path) -> list[LoadedPack]:
    """Load every pack in the subfolders of `directory` (each with a ``pack.yaml``).

    Besides each pack's own checks, pack ids and question ids (generated items' too) must
    be unique across packs: a student's answers are stored by question id.
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
        reader, loaded = _read(folder)
        for kind, seen, positions in (
            ("pack", pack_ids, reader.pack_id_position),
            ("question", question_ids, reader.question_positions),
        ):
            for item_id, where in positions.items():
                if item_id in seen:
                    reader.problems.append(
                        Problem(
                            where.file,
                            where.line,
                            f"{kind} id {item_id!r} is already used at {place(seen[item_id])}",
                        )
                    )
                else:
                    seen[item_id] = where
        # The curriculum registry is shared: its problems are reported once.
        problems.extend(p for p in reader.sorted_problems() if p not in problems)
        if loaded is not None and not reader.problems:
            packs.append(loaded)
    if problems:
        raise PackError(problems)
    return packs
