"""Checks of a lesson's translations into a mother tongue (issue 21): one Quechua variety
per text and kept to, loans marked, the doubts listed for the reviewer.

For a ``qu`` translation (Southern Quechua):

- ``variety`` names the written variety, ``collao`` or ``chanka``; a Chanka text has no
  aspirated or glottalised stops (ph, p', kh, k', qh, q', chh, ch', th, t'): those are
  Collao spellings (p'unchaw, t'anta, mikhuy against punchaw, tanta, mikuy);
- the official alphabet has three vowels, so a word with an e or an o must be a listed
  loan (``loans``: Spanish words kept as they are); a listed loan spelled half-way
  (with a Quechua k or w, like "mierkoles" or "piktograma") is refused: adapt it fully
  (simana) or keep the Spanish spelling (miércoles);
- a translation not yet reviewed by a native speaker lists its ``doubts``.

An ``ay`` translation (Aymara, also written with three vowels a, i, u, and ä, ï, ü for a
long vowel) is held to the same loans: a word with an e or an o is a listed loan or a
name, so "pilota", half adapted from pelota, is refused (write "piluta", or "pelota" as a
listed loan).

Words that start with a capital letter are names (Rosa, Pedro) and are left alone.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from yachay.content.schema import Lesson, iter_texts

if TYPE_CHECKING:
    from yachay.content.pack_reader import PackReader, ReadLesson

__all__ = ["check_mother_tongue", "collao_spellings", "unlisted_loans"]

_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
_COLLAO_STOPS = re.compile(r"chh|ch['’]|[ptkq]h|[ptkq]['’]", re.IGNORECASE)
_NOT_THREE_VOWELS = re.compile(r"[eoéó]", re.IGNORECASE)
_HALF_ADAPTED = re.compile(r"[kw]", re.IGNORECASE)
_PLACEHOLDER = re.compile(r"\{[^{}]*\}")


def collao_spellings(text: str) -> list[str]:
    """Words of `text` with aspirated or glottalised stops (Collao spellings)."""
    return [word for word in _WORD.findall(text) if _COLLAO_STOPS.search(word)]


def unlisted_loans(text: str, loans: list[str]) -> list[str]:
    """Words of `text` with an e or an o that are neither names nor a listed loan (with
    or without a suffix)."""
    stems = [loan.lower() for loan in loans]
    found = []
    for word in _WORD.findall(text):
        if word[0].isupper() or not _NOT_THREE_VOWELS.search(word):
            continue
        if not any(word.lower().startswith(stem) for stem in stems):
            found.append(word)
    return found


#: Languages held to three vowels, and the name the messages give them.
_THREE_VOWELS = {"qu": "Quechua", "ay": "Aymara"}


def check_mother_tongue(reader: PackReader, lessons: list[ReadLesson]) -> None:
    for entry in lessons:
        if "qu" in entry.lesson.translations:
            _check_quechua(reader, entry.file, entry.lesson)
        if "ay" in entry.lesson.translations:
            _check_loans(reader, entry.file, entry.lesson, "ay", set())
        for language, translation in entry.lesson.translations.items():
            if not translation.reviewed_by_native_speaker and not translation.doubts:
                reader.at(
                    entry.file,
                    ("translations", language),
                    f"translation {language!r} is not reviewed by a native speaker: list "
                    "the doubts the reviewer should check first (doubts: [...])",
                )


def _check_quechua(reader: PackReader, relative: str, lesson: Lesson) -> None:
    translation = lesson.translations["qu"]
    loc = ("translations", "qu")
    if translation.variety is None:
        reader.at(
            relative,
            loc,
            "translation 'qu' must name its Quechua variety: variety: collao or "
            "variety: chanka (a text keeps to one; both means two translations)",
        )
    reported: set[str] = set()
    if translation.variety == "chanka":
        for text_loc, texts in iter_texts(lesson):
            text = _PLACEHOLDER.sub(" ", texts.get("qu") or "")
            for word in collao_spellings(text):
                if word.lower() not in reported:
                    reported.add(word.lower())
                    reader.at(
                        relative,
                        (*text_loc, "qu"),
                        ": ".join(
                            [
                                *reader.describe(relative, text_loc),
                                f'"{word}" is a Collao spelling in a Chanka text: write '
                                "it without the aspirated or glottalised stop",
                            ]
                        ),
                    )
    _check_loans(reader, relative, lesson, "qu", reported)


def _check_loans(
    reader: PackReader, relative: str, lesson: Lesson, language: str, reported: set[str]
) -> None:
    """Three vowels: a word with an e or an o is a listed loan (or a name), and a listed
    loan is spelled either the Spanish way or fully adapted."""
    translation = lesson.translations[language]
    name = _THREE_VOWELS[language]
    article = "an" if name[0] in "AEIOU" else "a"
    loc = ("translations", language)
    for index, loan in enumerate(translation.loans):
        if _HALF_ADAPTED.search(loan) and _NOT_THREE_VOWELS.search(loan):
            reader.at(
                relative,
                (*loc, "loans", index),
                f'translation {language!r}: loan "{loan}" is half adapted ({article} {name} k '
                "or w, but an e or an o): adapt it to three vowels or keep the Spanish "
                "spelling",
            )
    for text_loc, texts in iter_texts(lesson):
        text = texts.get(language)
        if not text:
            continue
        text = _PLACEHOLDER.sub(" ", text)  # a template's {value}, {answer}
        for word in unlisted_loans(text, translation.loans):
            if word.lower() not in reported:
                reported.add(word.lower())
                reader.at(
                    relative,
                    (*text_loc, language),
                    ": ".join(
                        [
                            *reader.describe(relative, text_loc),
                            f'"{word}" has an e or an o, which {name} writes with a, '
                            "i, u: adapt it, or list the Spanish word under loans",
                        ]
                    ),
                )
