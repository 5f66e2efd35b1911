"""What a set of content packs holds: counts, listening time, and how far each language is.

`pack_stats` returns one JSON-ready object (the shape `yachay content stats --json` prints)::

    {
      "packs": ["matematica-primaria"],
      "lessons": 12, "listening_lessons": 0,
      "questions": 72,                 # hand-written + generated
      "hand_written_questions": 48, "generated_questions": 24,
      "templates": 3, "skills": 12, "segments": 60,
      "minutes": 41.5,                 # in each pack's first language
      "words_per_second": {"es": 2.3},
      "grades": {"1": {"lessons": 2, "listening_lessons": 0, "skills": 3, "questions": 12,
                       "hand_written_questions": 8, "generated_questions": 4,
                       "templates": 1, "segments": 10, "minutes": 6.5}, ...},
      "languages": {"es": {"lessons": 12, "segments_with_text": 60, "segments_with_audio": 0,
                           "questions_with_text": 48, "minutes": 41.5}, ...}
    }

Listening time is estimated by `yachay.content.checks.speech_seconds` (the estimate
``yachay content validate`` holds prompts to: words, a group of digits counting as one, at
`yachay.content.checks.WORDS_PER_SECOND`, 2.3 a second for Spanish): every segment
of every lesson (the stories of listening lessons at `LISTENING_SPEED`, 85 %), plus every
hand-written question read aloud as the call reads it (its stem, then each choice as
"Si tu respuesta es …, marca 1."). Explanations are left out (heard only after a wrong
answer), and so are generated practice items (practice asks only a few of them). A pack's
``minutes`` are in its first language; each language's are over the texts that language
has.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from yachay.content.checks import (
    LISTENING_SPEED,
    WORDS_PER_SECOND,
    heard_question,
    speech_seconds,
)
from yachay.content.loader import LoadedLesson, LoadedPack
from yachay.content.schema import Question

__all__ = [
    "pack_stats",
    "question_seconds",
    "segment_seconds",
    "speech_seconds",
]

#: The lesson kind whose segments are a story read slowly.
LISTENING = "listening"


def segment_seconds(text: str, language: str, kind: str = "lesson") -> float:
    """A segment of a lesson of this `kind`: stories (``listening``) are read slowly."""
    return speech_seconds(text, language, LISTENING_SPEED if kind == LISTENING else 1.0)


def question_seconds(question: Question, language: str) -> float:
    """A question read aloud in `language`: its stem, then each choice (`heard_question`)."""
    return speech_seconds(heard_question(question, language), language)


def _minutes(seconds: float) -> float:
    return round(seconds / 60, 1)


def _generated(entry: LoadedLesson) -> Sequence[Question]:
    return tuple(entry.generated)


def _lesson_seconds(entry: LoadedLesson, language: str) -> float:
    """Segments and hand-written questions that have a text in `language`."""
    lesson = entry.lesson
    seconds = sum(
        segment_seconds(s.text[language], language, lesson.kind)
        for s in lesson.segments
        if language in s.text
    )
    seconds += sum(
        question_seconds(q, language)
        for q in lesson.questions
        if language in q.stem and all(language in c for c in q.choices)
    )
    return seconds


def _languages(packs: Iterable[LoadedPack]) -> list[str]:
    """Every language of the packs: the packs' own first, then the lessons' translations."""
    found: dict[str, None] = {}
    for loaded in packs:
        found.update(dict.fromkeys(loaded.pack.languages))
    for loaded in packs:
        for entry in loaded.lessons:
            found.update(dict.fromkeys(entry.lesson.translations))
    return list(found)


def _empty_grade() -> dict[str, Any]:
    return {
        "lessons": 0,
        "listening_lessons": 0,
        "skills": 0,
        "questions": 0,
        "hand_written_questions": 0,
        "generated_questions": 0,
        "templates": 0,
        "segments": 0,
        "seconds": 0.0,
    }


def pack_stats(packs: Sequence[LoadedPack]) -> dict[str, Any]:
    """The statistics of `packs` together, as described in the module docstring."""
    languages = _languages(packs)
    grades: dict[int, dict[str, Any]] = {}
    per_language: dict[str, dict[str, Any]] = {
        language: {
            "lessons": 0,
            "segments_with_text": 0,
            "segments_with_audio": 0,
            "questions_with_text": 0,
            "seconds": 0.0,
        }
        for language in languages
    }
    seconds = 0.0

    def grade(number: int) -> dict[str, Any]:
        return grades.setdefault(number, _empty_grade())

    for loaded in packs:
        base = loaded.pack.languages[0]
        for skill in loaded.pack.skills:
            grade(skill.grade)["skills"] += 1
        for entry in loaded.lessons:
            lesson = entry.lesson
            counts = grade(lesson.grade)
            counts["lessons"] += 1
            counts["listening_lessons"] += lesson.kind == LISTENING
            counts["templates"] += len(lesson.templates)
            counts["segments"] += len(lesson.segments)
            lesson_seconds = _lesson_seconds(entry, base)
            counts["seconds"] += lesson_seconds
            seconds += lesson_seconds
            for question in lesson.questions:
                question_grade = grade(question.grade or lesson.grade)
                question_grade["questions"] += 1
                question_grade["hand_written_questions"] += 1
            for question in _generated(entry):
                question_grade = grade(question.grade or lesson.grade)
                question_grade["questions"] += 1
                question_grade["generated_questions"] += 1
            lesson_languages = {*loaded.pack.languages, *lesson.translations}
            for language, row in per_language.items():
                row["lessons"] += language in lesson_languages
                row["segments_with_text"] += sum(language in s.text for s in lesson.segments)
                row["segments_with_audio"] += sum(language in s.audio for s in lesson.segments)
                row["questions_with_text"] += sum(language in q.stem for q in lesson.questions)
                row["seconds"] += _lesson_seconds(entry, language)

    def finish(row: Mapping[str, Any]) -> dict[str, Any]:
        out = {name: value for name, value in row.items() if name != "seconds"}
        out["minutes"] = _minutes(row["seconds"])
        return out

    grade_rows = {str(number): finish(grades[number]) for number in sorted(grades)}
    hand_written = sum(row["hand_written_questions"] for row in grade_rows.values())
    generated = sum(row["generated_questions"] for row in grade_rows.values())
    return {
        "packs": [loaded.pack.id for loaded in packs],
        "lessons": sum(len(loaded.lessons) for loaded in packs),
        "listening_lessons": sum(row["listening_lessons"] for row in grade_rows.values()),
        "questions": hand_written + generated,
        "hand_written_questions": hand_written,
        "generated_questions": generated,
        "templates": sum(row["templates"] for row in grade_rows.values()),
        "skills": sum(len(loaded.pack.skills) for loaded in packs),
        "segments": sum(row["segments"] for row in grade_rows.values()),
        "minutes": _minutes(seconds),
        "words_per_second": {
            language: WORDS_PER_SECOND.get(language, WORDS_PER_SECOND["es"])
            for language in languages
        },
        "grades": grade_rows,
        "languages": {language: finish(row) for language, row in per_language.items()},
    }
