"""The content pack format: `pack.yaml` and its `lessons/*.yaml`, as pydantic models.

A pack is a folder::

    pack.yaml           Pack: id, title, subject, languages, skills, units
    lessons/*.yaml      Lesson: segments to listen to, then questions
    audio/              optional recordings, named from the lessons

Every text a caller hears is a `Texts` mapping, language code -> text (``{es: "..."}``).
These models check the shape of one file. What needs several files at once (ids unique
across the pack, skills that exist, a text in every language of the pack, files that exist)
is checked by `yachay.content.loader`, which also turns errors into ``file:line: message``.

Errors raised here are `PydanticCustomError`s whose message is a predicate ("must be from 1
to 6, not 7"): the loader puts the name of the field in front of it. A model-level check that
concerns one field names it in the error context under ``"field"`` so the loader can point
at that field's line.
"""

from __future__ import annotations

import re
from typing import Annotated, ClassVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictInt,
    model_validator,
)
from pydantic_core import PydanticCustomError

GRADES = range(1, 7)
DIFFICULTIES = range(1, 6)
MIN_CHOICES = 2
#: The phone has keys 1-4 for the choices of a question.
MAX_CHOICES = 4

#: Errors raised here whose message is a whole sentence, not a predicate about the field.
SENTENCE_ERROR_TYPES = frozenset({"choice_count"})
#: The types of the errors raised here; their messages are predicates about a field
#: ("must be from 1 to 6, not 7"), except the `SENTENCE_ERROR_TYPES`.
ERROR_TYPES = frozenset(
    {
        "id_format",
        "language_code",
        "empty_text",
        "no_texts",
        "grade",
        "difficulty",
        "pack_path",
        "choice_count",
        "answer_range",
        "same_choices",
    }
)

_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_LANGUAGE = re.compile(r"[a-z]{2,3}")


def _check_id(value: str) -> str:
    if not _ID.fullmatch(value):
        raise PydanticCustomError(
            "id_format",
            "'{value}' is not a valid id: use lowercase letters without accents, digits "
            "and hyphens, like 'g1-contamos-q1'",
            {"value": value},
        )
    return value


def _check_language(value: str) -> str:
    if not _LANGUAGE.fullmatch(value):
        raise PydanticCustomError(
            "language_code",
            "uses '{value}', which is not a language code like es, qu or ay",
            {"value": value},
        )
    return value


def _text_from_number(value: object) -> object:
    # `es: 15` is a natural way to write a choice; YAML reads it as a number.
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


def _check_text(value: str) -> str:
    value = " ".join(value.split())
    if not value:
        raise PydanticCustomError("empty_text", "is empty")
    return value


def _check_not_empty(value: dict) -> dict:
    if not value:
        raise PydanticCustomError("no_texts", "has no text in any language")
    return value


def _range_check(kind: str, allowed: range, label: str):
    def check(value: int) -> int:
        if value not in allowed:
            raise PydanticCustomError(
                kind,
                "must be a whole number from {low} to {high}{label}, not {value}",
                {"low": allowed.start, "high": allowed.stop - 1, "label": label, "value": value},
            )
        return value

    return check


def _check_choice_count(value: list) -> list:
    if not MIN_CHOICES <= len(value) <= MAX_CHOICES:
        raise PydanticCustomError(
            "choice_count",
            "a question needs {low} to {high} choices, this one has {count}",
            {"low": MIN_CHOICES, "high": MAX_CHOICES, "count": len(value)},
        )
    return value


def _check_pack_path(value: str) -> str:
    parts = value.split("/")
    if not value or value.startswith("/") or "\\" in value or ".." in parts or "" in parts:
        raise PydanticCustomError(
            "pack_path",
            "'{value}' must be a path inside the pack folder, like 'lessons/g1-x.yaml'",
            {"value": value},
        )
    return value


Id = Annotated[str, AfterValidator(_check_id)]
LanguageCode = Annotated[str, AfterValidator(_check_language)]
Text = Annotated[str, BeforeValidator(_text_from_number), AfterValidator(_check_text)]
#: A text in several languages, language code -> text. Surrounding and repeated spaces are
#: removed (a voice reads the text, line breaks mean nothing).
Texts = Annotated[dict[LanguageCode, Text], AfterValidator(_check_not_empty)]
Grade = Annotated[StrictInt, AfterValidator(_range_check("grade", GRADES, " (1.º to 6.º grado)"))]
Difficulty = Annotated[StrictInt, AfterValidator(_range_check("difficulty", DIFFICULTIES, ""))]
#: A path inside the pack folder, with forward slashes, like ``lessons/g1-x.yaml``.
PackPath = Annotated[str, AfterValidator(_check_pack_path)]


class ContentModel(BaseModel):
    """Base of every content model: unknown fields are errors, so a typo never goes unseen."""

    model_config = ConfigDict(extra="forbid")

    #: Fields holding a `Texts` (or a list of them): the loader checks each has every
    #: language of the pack.
    text_fields: ClassVar[tuple[str, ...]] = ()


class Skill(ContentModel):
    id: Id
    name: Texts
    grade: Grade
    #: Ids of the skills a student should master before this one.
    prerequisites: list[Id] = Field(default_factory=list)

    text_fields: ClassVar[tuple[str, ...]] = ("name",)


class Unit(ContentModel):
    id: Id
    title: Texts
    grade: Grade
    #: Lesson files, relative to the pack folder, in teaching order.
    lessons: list[PackPath] = Field(min_length=1)

    text_fields: ClassVar[tuple[str, ...]] = ("title",)


class Pack(ContentModel):
    id: Id
    title: Texts
    subject: Id
    #: Languages every text of the pack must have.
    languages: list[LanguageCode] = Field(min_length=1)
    skills: list[Skill] = Field(default_factory=list)
    units: list[Unit] = Field(min_length=1)

    text_fields: ClassVar[tuple[str, ...]] = ("title",)


class Segment(ContentModel):
    """One part of a lesson: about half a minute of speech, one idea."""

    text: Texts
    #: Recorded audio per language, a path inside the pack (it wins over synthesis).
    audio: dict[LanguageCode, PackPath] = Field(default_factory=dict)

    text_fields: ClassVar[tuple[str, ...]] = ("text",)


class Question(ContentModel):
    id: Id
    stem: Texts
    choices: Annotated[list[Texts], AfterValidator(_check_choice_count)]
    #: 1-based number of the right choice: the key the caller presses.
    answer: StrictInt
    explanation: Texts
    skills: list[Id] = Field(min_length=1)
    difficulty: Difficulty
    #: The grade the question is for; inside a `Lesson` it defaults to the lesson's grade.
    grade: Grade | None = None

    text_fields: ClassVar[tuple[str, ...]] = ("stem", "choices", "explanation")

    @model_validator(mode="after")
    def _answer_is_a_choice(self) -> Question:
        if not 1 <= self.answer <= len(self.choices):
            raise PydanticCustomError(
                "answer_range",
                "is {answer}, but there {are} only {count} choice{s}: use a number from 1 to "
                "{count}",
                {
                    "field": "answer",
                    "answer": self.answer,
                    "are": "is" if len(self.choices) == 1 else "are",
                    "count": len(self.choices),
                    "s": "" if len(self.choices) == 1 else "s",
                },
            )
        return self

    @model_validator(mode="after")
    def _choices_differ(self) -> Question:
        seen: dict[tuple[tuple[str, str], ...], int] = {}
        for number, choice in enumerate(self.choices, start=1):
            key = tuple(sorted((lang, text.casefold()) for lang, text in choice.items()))
            if key in seen:
                raise PydanticCustomError(
                    "same_choices",
                    "{first} and {second} say the same thing",
                    {"field": "choices", "first": seen[key], "second": number},
                )
            seen[key] = number
        return self

    @property
    def right_choice(self) -> dict[str, str]:
        return self.choices[self.answer - 1]


class Lesson(ContentModel):
    id: Id
    title: Texts
    grade: Grade
    skills: list[Id] = Field(min_length=1)
    segments: list[Segment] = Field(min_length=1)
    questions: list[Question] = Field(default_factory=list)

    text_fields: ClassVar[tuple[str, ...]] = ("title",)

    @model_validator(mode="after")
    def _questions_default_to_lesson_grade(self) -> Lesson:
        for question in self.questions:
            if question.grade is None:
                question.grade = self.grade
        return self
