"""Checks of ``yachay content validate`` found by reading the packs as a teacher would
(issue 21): what a child on the phone cannot do, or hears wrong.

Errors:

- **same amount**: two choices of a question name the same amount in different words
  ("medio litro" and "cuatro octavos de litro"), so two are right or both wrong
  (`yachay.content.amounts`); generated items read every value with one wording, and a
  distractor equal to the answer is dropped, so this is for hand-written questions;
- **two choices left**: a generated item falls to two choices because a distractor equals
  the answer or another distractor (the template gives more);
- **hour in digits**: a template says an hour with a number placeholder ("a las {a}"):
  hours are said in words, ``{a:hora}`` ("a las seis", "a la una");
- **zero count**: a generated item says "0 billetes", which a child hears as "ningún
  billete": leave 0 out of the values;
- **cero coma soles**: an amount under a sol read as "cero coma dos soles", where a child
  hears "veinte céntimos": the question or segment must say the céntimos too.

Warnings (printed, never fatal):

- **visual-only wording**: "mira" (in teaching, not in stories, where characters look),
  "la figura", "en el dibujo", "la tabla", colours used as data ("la barra verde"): the
  child hears the lesson and sees nothing; teach with what a child can hold, count or move.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from yachay.content.amounts import amount
from yachay.content.mother_tongue import check_mother_tongue
from yachay.content.problems import within
from yachay.content.schema import Lesson, Pack, Question, iter_texts
from yachay.content.yaml_lines import Loc

if TYPE_CHECKING:
    from yachay.content.pack_reader import PackReader, ReadLesson

__all__ = ["VISUAL_ONLY", "check_as_a_teacher", "same_amounts", "visual_only"]

_COLOURS = (
    r"roj[oa]s?|azul(?:es)?|verdes?|amarill[oa]s?|negr[oa]s?|anaranjad[oa]s?|morad[oa]s?|"
    r"blanc[oa]s?|rosad[oa]s?|celestes?|plomo"
)
#: (what, pattern, teaching kinds it applies to): wording that only works for the eyes.
VISUAL_ONLY: tuple[tuple[str, re.Pattern[str], frozenset[str]], ...] = (
    (
        "asks the child to look",
        re.compile(r"\b(?:mira|miren|observa|observen)\b(?!\s+hacia)", re.IGNORECASE),
        frozenset({"lesson"}),
    ),
    (
        "describes a picture",
        re.compile(
            r"\b(?:en|de)\s+(?:la|esta|esa)\s+(?:figura|imagen|ilustraci[oó]n|l[aá]mina|hoja)\b"
            r"|\b(?:en|de)\s+(?:el|este|ese)\s+(?:dibujo|gr[aá]fico|cuadro)\b",
            re.IGNORECASE,
        ),
        frozenset({"lesson", "listening"}),
    ),
    (
        "describes a table to read",
        re.compile(r"\b(?:la|esta|esa)\s+tabla\b(?!\s+del\b)", re.IGNORECASE),
        frozenset({"lesson", "listening"}),
    ),
    (
        "uses a colour as data",
        re.compile(
            r"\b(?:barras?|l[ií]neas?|puntos?|columnas?|casillas?|cuadros?|flechas?)\s+"
            rf"(?:{_COLOURS})\b",
            re.IGNORECASE,
        ),
        frozenset({"lesson", "listening"}),
    ),
)
#: "a las {a}." but not "las {a} ovejas": an hour is followed by a pause, "y", "en punto"
#: or "de la mañana".
_HOUR_PLACEHOLDER = re.compile(
    r"\b(?:las|la)\s+\{([a-z][a-z0-9_]*)\}(?=\s*(?:[.,;:?!)]|$)|\s+(?:y|en punto|de la)\b)",
    re.IGNORECASE,
)
#: "0 billetes": a count of zero, which is said "ningún billete" (a template cannot).
_ZERO_COUNT = re.compile(r"(?<![\d.,])\b0\s+(?!coma\b)([^\W\d_]+)", re.IGNORECASE)
_CERO_COMA_SOLES = re.compile(r"\b(?:0|cero) coma \w+ (?:soles|sol)\b", re.IGNORECASE)
_CENTIMOS = re.compile(r"c[eé]ntimos?", re.IGNORECASE)


def visual_only(text: str, kind: str = "lesson") -> list[str]:
    """Warnings for wording in `text` a child on the phone cannot follow."""
    found = []
    for what, pattern, kinds in VISUAL_ONLY:
        if kind not in kinds:
            continue
        for match in pattern.finditer(text):
            found.append(
                f'{what} ("{match.group(0)}"): the child only hears the lesson; teach with '
                "what a child can hold, count or move (stones, beans, a string, fingers)"
            )
    return found


def same_amounts(question: Question, language: str = "es") -> tuple[int, int, str] | None:
    """The first two choices (1-based) that name the same amount, and the amount's words."""
    seen: dict[tuple, int] = {}
    for number, choice in enumerate(question.choices, start=1):
        text = choice.get(language)
        found = amount(text) if text else None
        if found is None:
            continue
        if found in seen:
            return seen[found], number, text
        seen[found] = number
    return None


def _cero_coma_soles(texts: Iterable[Mapping[str, str]]) -> str | None:
    """The first "cero coma N soles" in `texts` if none of them says the céntimos."""
    said = [text for texts_ in texts for text in texts_.values()]
    if any(_CENTIMOS.search(text) for text in said):
        return None
    for text in said:
        if match := _CERO_COMA_SOLES.search(text):
            return match.group(0)
    return None


def _cero_coma_message(found: str) -> str:
    return (
        f'says "{found}", which a child hears as céntimos: say the céntimos too '
        '(like "cero coma dos soles, o sea, veinte céntimos")'
    )


def check_as_a_teacher(reader: PackReader, pack: Pack | None, lessons: list[ReadLesson]) -> None:
    check_mother_tongue(reader, lessons)
    for entry in lessons:
        _check_lesson(reader, entry.file, entry.lesson)
        for index, items in enumerate(entry.generated):
            _check_generated(reader, entry.file, entry.lesson, index, items)


def _check_lesson(reader: PackReader, relative: str, lesson: Lesson) -> None:
    for loc, texts in iter_texts(lesson, (), skip=frozenset({"templates"})):
        parts = reader.describe(relative, loc)
        if loc[-1] == "text":  # a segment's text: "segment 2"
            parts = parts[:-1]
        for language, text in texts.items():
            for message in dict.fromkeys(visual_only(text, lesson.kind)):
                reader.warn_at(relative, loc + (language,), within(parts, message))
    for i, segment in enumerate(lesson.segments):
        if found := _cero_coma_soles([segment.text]):
            parts = reader.describe(relative, ("segments", i))
            reader.at(relative, ("segments", i), within(parts, _cero_coma_message(found)))
    for i, question in enumerate(lesson.questions):
        loc: Loc = ("questions", i)
        parts = reader.describe(relative, loc)
        if same := same_amounts(question):
            first, second, _ = same
            reader.at(
                relative,
                loc + ("choices", second - 1),
                within(
                    parts,
                    f"choices {first} and {second} are the same amount in other words: make "
                    "each wrong choice a different amount",
                ),
            )
        if found := _cero_coma_soles([question.stem, *question.choices, question.explanation]):
            reader.at(relative, loc, within(parts, _cero_coma_message(found)))


def _check_generated(
    reader: PackReader, relative: str, lesson: Lesson, index: int, items: list[Question]
) -> None:
    template = lesson.templates[index]
    owner: Loc = ("templates", index)
    parts = reader.describe(relative, owner)
    for field in ("stem", "choice", "explanation"):
        for language, text in getattr(template, field).items():
            for match in _HOUR_PLACEHOLDER.finditer(text):
                reader.at(
                    relative,
                    owner + (field, language),
                    within(
                        [*parts, field],
                        f'says the hour "{match.group(0)}" with a number: write '
                        f'{{{match.group(1)}:hora}} in its place (it says "las seis", "la una")',
                    ),
                )
            for message in visual_only(text, lesson.kind):
                reader.warn_at(
                    relative, owner + (field, language), within([*parts, field], message)
                )
    full = 1 + len(template.distractors)
    short = [item for item in items if len(item.choices) == 2 < full]
    if short:
        reader.at(
            relative,
            owner + ("distractors",),
            within(
                parts,
                f"{len(short)} of {len(items)} items fall to two choices because a distractor "
                f"equals the answer or another distractor (item {short[0].id}): change the "
                "distractors, or leave those values out with where",
            ),
        )
    for item in items:
        said = [text for texts in (item.stem, item.explanation) for text in texts.values()]
        if match := next(filter(None, map(_ZERO_COUNT.search, said)), None):
            reader.at(
                relative,
                owner + ("params",),
                within(
                    parts,
                    f'item {item.id} says "{match.group(0)}", where a child hears "ningún": '
                    "leave 0 out of the values (or its count out of the text)",
                ),
            )
            break
    for item in items:
        if found := _cero_coma_soles([item.stem, *item.choices, item.explanation]):
            reader.at(
                relative,
                owner + ("explanation",),
                within(parts, f"item {item.id} {_cero_coma_message(found)}"),
            )
            break
