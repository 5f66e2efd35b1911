"""The checks that need more than one file or field at once: ids used once across the pack,
skills and prerequisites that exist, languages (the pack's and each lesson's translations),
files that exist, and templates that generate valid items.

Each function reports through a `yachay.content.pack_reader.PackReader` (``reader.at``), so
every problem is ``file:line: message`` at the line to edit.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from yachay.content.problems import Problem, did_you_mean, place, say, within
from yachay.content.schema import ContentModel, Lesson, Pack, iter_texts
from yachay.content.templates import expand
from yachay.content.yaml_lines import Loc

if TYPE_CHECKING:
    from yachay.content.pack_reader import PackReader, ReadLesson

__all__ = ["check_lessons", "check_pack"]

PACK_FILE = "pack.yaml"


def check_pack(reader: PackReader, pack: Pack) -> None:
    check_unique(
        reader,
        "skill",
        [(skill.id, PACK_FILE, ("skills", i, "id")) for i, skill in enumerate(pack.skills)],
    )
    check_unique(
        reader,
        "unit",
        [(unit.id, PACK_FILE, ("units", i, "id")) for i, unit in enumerate(pack.units)],
    )
    skills = {skill.id for skill in pack.skills}
    for i, skill in enumerate(pack.skills):
        for j, prerequisite in enumerate(skill.prerequisites):
            loc: Loc = ("skills", i, "prerequisites", j)
            where = reader.describe(PACK_FILE, ("skills", i))
            if prerequisite == skill.id:
                reader.at(PACK_FILE, loc, within(where, "cannot be its own prerequisite"))
            elif prerequisite not in skills:
                reader.at(
                    PACK_FILE,
                    loc,
                    within(
                        where,
                        f"prerequisite {prerequisite!r} is not a skill of this pack"
                        f"{did_you_mean(prerequisite, skills)}",
                    ),
                )
    _check_prerequisite_cycles(reader, pack)
    check_languages(reader, pack, PACK_FILE, pack)


def _check_prerequisite_cycles(reader: PackReader, pack: Pack) -> None:
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
                reader.at(
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


def check_unique(
    reader: PackReader,
    kind: str,
    items: list[tuple[str, str, Loc]],
    first: dict[str, Problem] | None = None,
) -> dict[str, Problem]:
    """Report every id already used; `first` holds the places of ids seen before."""
    first = {} if first is None else first
    for item_id, relative, loc in items:
        if item_id in first:
            reader.at(
                relative, loc, f"{kind} id {item_id!r} is already used at {place(first[item_id])}"
            )
        else:
            first[item_id] = reader.position(relative, loc)
    return first


def check_lessons(reader: PackReader, pack: Pack | None, lessons: list[ReadLesson]) -> None:
    check_unique(reader, "lesson", [(entry.lesson.id, entry.file, ("id",)) for entry in lessons])
    check_unique(
        reader,
        "template",
        [
            (template.id, entry.file, ("templates", i, "id"))
            for entry in lessons
            for i, template in enumerate(entry.lesson.templates)
        ],
    )
    questions = check_unique(
        reader,
        "question",
        [
            (question.id, entry.file, ("questions", i, "id"))
            for entry in lessons
            for i, question in enumerate(entry.lesson.questions)
        ],
    )
    for entry in lessons:
        _expand_templates(reader, entry, questions)
        _check_no_template_id(reader, entry)
    reader.question_positions = questions
    if pack is None:
        return
    skills = {skill.id for skill in pack.skills}
    for entry in lessons:
        lesson, relative = entry.lesson, entry.file
        owners: list[tuple[Loc, list[str]]] = [((), lesson.skills)]
        owners += [(("questions", i), q.skills) for i, q in enumerate(lesson.questions)]
        owners += [(("templates", i), t.skills) for i, t in enumerate(lesson.templates)]
        for owner, used in owners:
            for j, skill_id in enumerate(used):
                if skill_id not in skills:
                    reader.at(
                        relative,
                        owner + ("skills", j),
                        within(
                            reader.describe(relative, owner),
                            f"unknown skill {skill_id!r}: {PACK_FILE} declares no such "
                            f"skill{did_you_mean(skill_id, skills)}",
                        ),
                    )
        check_languages(reader, pack, relative, lesson)
        for i, segment in enumerate(lesson.segments):
            for language, audio in segment.audio.items():
                if not (reader.folder / audio).is_file():
                    reader.at(
                        relative,
                        ("segments", i, "audio", language),
                        within(
                            reader.describe(relative, ("segments", i)),
                            f"audio file {audio!r} for {language!r} does not exist",
                        ),
                    )


def _expand_templates(reader: PackReader, entry: ReadLesson, questions: dict[str, Problem]) -> None:
    """Generate each template's items into `entry.generated`; report the templates'
    problems and generated ids already used (by a question or another template)."""
    relative = entry.file
    for i, template in enumerate(entry.lesson.templates):
        owner: Loc = ("templates", i)
        expansion = expand(template, entry.lesson.grade)
        for problem in expansion.problems:
            reader.at(
                relative,
                owner + problem.loc,
                within(reader.describe(relative, owner), problem.message),
            )
        items = []
        for item in expansion.items:
            if item.id in questions:
                reader.at(
                    relative,
                    owner + ("id",),
                    within(
                        reader.describe(relative, owner),
                        f"generates item {item.id!r}, whose id is already used at "
                        f"{place(questions[item.id])}",
                    ),
                )
                continue
            questions[item.id] = reader.position(relative, owner + ("id",))
            items.append(item)
        entry.generated.append(items)


def _check_no_template_id(reader: PackReader, entry: ReadLesson) -> None:
    """`Question.template_id` marks generated items: a lesson file may not set it."""
    document = reader.documents[entry.file]
    for i in range(len(entry.lesson.questions)):
        if (
            isinstance(document.get(("questions", i)), Mapping)
            and document.get(("questions", i, "template_id")) is not None
        ):
            reader.at(
                entry.file,
                ("questions", i, "template_id"),
                say(
                    reader.describe(entry.file, ("questions", i, "template_id")),
                    "is set on the items a template generates, never by hand: remove it",
                ),
            )


def check_languages(reader: PackReader, pack: Pack, relative: str, model: ContentModel) -> None:
    """Every text has each language of the pack, and no language that neither the pack nor
    (for a lesson) its translations declare; a lesson's translations cover its texts."""
    translations = model.translations if isinstance(model, Lesson) else {}
    declared = set(pack.languages) | set(translations)
    document = reader.documents[relative]
    for language in translations:
        if language in pack.languages:
            reader.at(
                relative,
                ("translations", language),
                f"translations: {language!r} is already a language of the pack "
                f"(see {PACK_FILE}): remove it here",
            )
    translated_texts = {loc for loc, _ in iter_texts(model, (), skip=frozenset({"templates"}))}
    for loc, texts in iter_texts(model, ()):
        parts = reader.describe(relative, loc)
        if loc[-1] == "text":  # a segment: "segment 2 has no text in 'es'"
            parts = parts[:-1]
        for language in pack.languages:
            if language not in texts:
                reader.at(relative, loc, say(parts, f"has no text in {language!r}"))
        if loc in translated_texts:
            for language in translations:
                if language not in texts and language not in pack.languages:
                    line = document.line(("translations", language))
                    reader.at(
                        relative,
                        loc,
                        say(
                            parts,
                            f"has no text in {language!r}, which this lesson's translations "
                            f"declare (line {line})",
                        ),
                    )
        for language in texts:
            if language not in declared:
                where = (
                    "add it to translations: of this lesson, or remove it"
                    if isinstance(model, Lesson)
                    else f"add it to the languages of {PACK_FILE}, or remove it"
                )
                reader.at(
                    relative,
                    loc + (language,),
                    say(
                        parts,
                        f"has a text in {language!r}, a language this pack does not have: {where}",
                    ),
                )
