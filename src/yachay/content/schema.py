"""The content pack format: `pack.yaml` and its `lessons/*.yaml`, as pydantic models.

A pack is a folder::

    pack.yaml           Pack: id, title, subject, languages, skills, units
    lessons/*.yaml      Lesson: segments to listen to, then questions; optionally
                        templates that generate practice items, and translations
    audio/              optional recordings, named from the lessons

Every text a caller hears is a `Texts` mapping, language code -> text (``{es: "..."}``).
These models check the shape of one file. What needs several files at once (ids unique
across the pack, skills that exist, a text in every language of the pack, files that exist)
is checked by `yachay.content.loader`, which also turns errors into ``file:line: message``.
What a `Template`'s expressions mean and which items it generates is in
`yachay.content.templates`.

Errors raised here are `PydanticCustomError`s whose message is a predicate ("must be from 1
to 6, not 7"): the loader puts the name of the field in front of it. A model-level check that
concerns one field names it in the error context under ``"field"`` so the loader can point
at that field's line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    StrictBool,
    StrictInt,
    model_validator,
)
from pydantic_core import PydanticCustomError

GRADES = range(1, 7)
DIFFICULTIES = range(1, 6)
MIN_CHOICES = 2
#: The phone has keys 1-4 for the choices of a question.
MAX_CHOICES = 4
#: A template gives 1 to 3 wrong choices: with the right one, at most `MAX_CHOICES`.
MAX_DISTRACTORS = MAX_CHOICES - 1
#: How many items one template may generate.
MAX_TEMPLATE_COUNT = 500

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
        "number",
        "param_name",
        "param_shape",
        "param_range",
        "param_values",
        "expression_type",
        "count",
    }
)

_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_LANGUAGE = re.compile(r"[a-z]{2,3}")
_PARAM_NAME = re.compile(r"[a-z][a-z0-9_]*")
#: Names a parameter cannot take: the placeholders of texts, the functions of expressions
#: and the words of `where`.
RESERVED_NAMES = frozenset(
    {"answer", "value", "min", "max", "abs", "round", "and", "or", "not", "in", "is", "if"}
    | {"else", "for", "lambda", "true", "false", "none"}
)


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


def _check_number(value: object) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PydanticCustomError(
            "number", "must be a number, like 3 or 2.5, not {value}", {"value": repr(value)}
        )
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _check_param_name(value: str) -> str:
    if not _PARAM_NAME.fullmatch(value) or value in RESERVED_NAMES:
        raise PydanticCustomError(
            "param_name",
            "uses '{value}', which cannot name a parameter: use lowercase letters without "
            "accents (and digits or _ after the first), like a or precio, and none of "
            "answer, value, min, max, abs, round, and, or, not",
            {"value": value},
        )
    return value


def _expression_from_number(value: object) -> object:
    # `answer: 10` is a (constant) expression; YAML reads it as a number.
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value


def _check_expression(value: object) -> str:
    if not isinstance(value, str):
        raise PydanticCustomError(
            "expression_type",
            'must be an expression in quotes, like "a * b", not {value}',
            {"value": "a list" if isinstance(value, list) else repr(value)},
        )
    if not value.strip():
        raise PydanticCustomError("empty_text", "is empty")
    return value.strip()


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
#: A number in a template: an int, or a float (a float with no fraction becomes an int).
Number = Annotated[Any, PlainValidator(_check_number)]
ParamName = Annotated[str, AfterValidator(_check_param_name)]
#: An expression over a template's parameters, checked by `yachay.content.expressions`.
Expression = Annotated[
    Any, BeforeValidator(_expression_from_number), PlainValidator(_check_expression)
]


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
    #: The id of the `Template` that generated this item; None for a hand-written question
    #: (a lesson file may not set it: the loader reports it).
    template_id: Id | None = None

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


class Param(ContentModel):
    """The values of one template parameter: ``{from: 2, to: 9}`` (whole numbers, both
    included) or ``{values: [3, 4, 2.5]}``."""

    # Dumped as "from", as written in the lesson file.
    model_config = ConfigDict(extra="forbid", serialize_by_alias=True)

    from_: StrictInt | None = Field(default=None, alias="from")
    to: StrictInt | None = None
    values: list[Number] | None = None

    @model_validator(mode="after")
    def _one_shape(self) -> Param:
        has_range = self.from_ is not None or self.to is not None
        if has_range and self.values is not None:
            raise PydanticCustomError(
                "param_shape",
                "gives both from/to and values: use one or the other",
            )
        if self.values is None and (self.from_ is None or self.to is None):
            raise PydanticCustomError(
                "param_shape",
                "needs from and to (like {from: 2, to: 9}) or values (like {values: [3, 5]})",
            )
        if self.from_ is not None and self.to is not None and self.from_ > self.to:
            raise PydanticCustomError(
                "param_range",
                "must not be below from ({low}), it is {high}",
                {"field": "to", "low": self.from_, "high": self.to},
            )
        if self.values is not None:
            if not self.values:
                raise PydanticCustomError(
                    "param_values", "must list at least one number", {"field": "values"}
                )
            seen: set[int | float] = set()
            for value in self.values:
                if value in seen:
                    raise PydanticCustomError(
                        "param_values",
                        "lists {value} twice",
                        {"field": "values", "value": value},
                    )
                seen.add(value)
        return self

    @property
    def choices(self) -> list[int | float]:
        """Every value of the parameter, in order."""
        if self.values is not None:
            return list(self.values)
        assert self.from_ is not None and self.to is not None
        return list(range(self.from_, self.to + 1))


class Template(ContentModel):
    """Practice items generated from parameters; see `yachay.content.templates`."""

    id: Id
    stem: Texts
    #: name -> values, in the order item ids list them.
    params: Annotated[dict[ParamName, Param], Field(min_length=1)]
    #: Which combinations of values make sense (optional).
    where: Expression | None = None
    answer: Expression
    #: Typical mistakes: 1 to 3 expressions.
    distractors: Annotated[list[Expression], Field(min_length=1, max_length=MAX_DISTRACTORS)]
    #: How each choice is read; ``{value}`` is the choice's value.
    choice: Texts
    explanation: Texts
    skills: list[Id] = Field(min_length=1)
    difficulty: Difficulty
    count: Annotated[
        StrictInt,
        AfterValidator(_range_check("count", range(1, MAX_TEMPLATE_COUNT + 1), "")),
    ]

    text_fields: ClassVar[tuple[str, ...]] = ("stem", "choice", "explanation")


class Translation(ContentModel):
    """A language a lesson adds beyond the pack's: every text of the lesson must have it.

    See `yachay.content.mother_tongue` for what is checked of a Quechua translation."""

    reviewed_by_native_speaker: StrictBool
    note: str = ""
    #: The written variety the texts keep to; for Southern Quechua (``qu``) ``collao`` or
    #: ``chanka`` (MINEDU publishes them apart: two varieties are two translations).
    variety: Literal["collao", "chanka"] | None = None
    #: Spanish words kept as loans, as written in the texts (a suffix may follow):
    #: the only words of a Quechua text allowed an e or an o.
    loans: list[str] = Field(default_factory=list)
    #: What the reviewer should check first: word choices, grammar the writer was unsure of.
    doubts: list[str] = Field(default_factory=list)


class Lesson(ContentModel):
    id: Id
    title: Texts
    grade: Grade
    #: ``listening``: the segments are a story read slowly, offered again before the
    #: questions.
    kind: Literal["lesson", "listening"] = "lesson"
    skills: list[Id] = Field(min_length=1)
    segments: list[Segment] = Field(min_length=1)
    questions: list[Question] = Field(default_factory=list)
    #: Practice items generated from parameters (the lesson itself asks only `questions`).
    templates: list[Template] = Field(default_factory=list)
    #: Languages this lesson adds beyond the pack's languages.
    translations: dict[LanguageCode, Translation] = Field(default_factory=dict)
    #: The CNEB competency the lesson works on (an id of ``content/curriculum.yaml``, like
    #: ``cantidad`` or ``oral``) and the desempeños it teaches; checked against that
    #: registry by `yachay.content.curriculum_checks`. Optional: ``yachay content
    #: coverage`` lists the lessons without them.
    competency: Id | None = None
    desempenos: list[Id] = Field(default_factory=list)

    text_fields: ClassVar[tuple[str, ...]] = ("title",)

    @model_validator(mode="after")
    def _questions_default_to_lesson_grade(self) -> Lesson:
        for question in self.questions:
            if question.grade is None:
                question.grade = self.grade
        return self


def iter_texts(
    model: ContentModel, loc: tuple[str | int, ...] = (), skip: frozenset[str] = frozenset()
) -> Iterator[tuple[tuple[str | int, ...], Mapping[str, str]]]:
    """Every `Texts` of a model and of the models inside it, with its location path
    (``('questions', 0, 'choices', 1)``); fields named in `skip` are left out."""
    for name in type(model).model_fields:
        if name in skip:
            continue
        value = getattr(model, name)
        if name in model.text_fields:
            if isinstance(value, Mapping):
                yield loc + (name,), value
            else:
                for i, item in enumerate(value):
                    yield loc + (name, i), item
        elif isinstance(value, ContentModel):
            yield from iter_texts(value, loc + (name,), skip)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, ContentModel):
                    yield from iter_texts(item, loc + (name, i), skip)
