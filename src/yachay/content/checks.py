"""What a caller hears: checks of ``yachay content validate`` beyond the format.

- **audio**: every recording a lesson names is a file a phone line plays: a WAV of 8- or
  16-bit PCM or μ-law, mono, 8000 to 48000 Hz (read from its header), or an MP3 with a
  valid MPEG layer III frame header; each finding says what is wrong and the sox command
  that fixes it (`audio_problems`);
- **length**: a prompt is heard once, so none may take over `MAX_SECONDS` to say:
  each segment text, each question as heard (stem, then every choice read as "Si tu
  respuesta es …, marca 1.") and
  each explanation, generated items included. Speech time is estimated at
  `WORDS_PER_SECOND` (2.3 words a second: Spanish read slowly to children), counting each
  group of digits as one word (`speech_seconds`);
- **readability**: `UNREADABLE` is a table of what a voice reads badly (symbols like
  "½", "x²", "%", "S/", "+", abbreviations like "km", "Sr.", "etc.", decimals like "2.5",
  hours like "3:30") with the wording to use instead, applied to every text of the pack
  and to the items templates generate (reported at the template's line); a choice that is
  only a number ("15") is flagged too: "es 15, marca 2" puts two bare numbers close together.

Findings are reported through the `PackReader` like every other problem, as
``file:line: message``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from yachay.content.audio_format import audio_problems
from yachay.content.problems import say, within
from yachay.content.schema import ContentModel, Pack, Question, iter_texts
from yachay.content.yaml_lines import Loc

if TYPE_CHECKING:
    from yachay.content.pack_reader import PackReader, ReadLesson

__all__ = [
    "MAX_SECONDS",
    "UNREADABLE",
    "WORDS_PER_SECOND",
    "Unreadable",
    "audio_problems",
    "check_what_callers_hear",
    "heard_question",
    "speech_seconds",
    "unreadable",
    "word_count",
]

#: Longest a prompt may take to hear, in seconds.
MAX_SECONDS = 60
#: Words a second when a voice reads to a child on the phone, per language; others use "es"
#: (Quechua and Aymara words are longer: their estimates are on the low side).
WORDS_PER_SECOND: dict[str, float] = {"es": 2.3}
#: The stories of listening lessons are read slower: at 85 % of that speed (the rate
#: `yachay.voice.twiml.SLOW_RATE` asks the voice for).
LISTENING_SPEED = 0.85
_WORDS = re.compile(r"\d+|[^\W\d_]+(?:['’][^\W\d_]+)*")


def word_count(text: str) -> int:
    """Words as a voice says them: runs of letters, and each group of digits as one."""
    return len(_WORDS.findall(text))


def speech_seconds(text: str, language: str = "es", speed: float = 1.0) -> float:
    """About how long a voice takes to read `text` to a child (`speed` 0.85: slowly)."""
    rate = WORDS_PER_SECOND.get(language, WORDS_PER_SECOND["es"]) * speed
    return word_count(text) / rate


#: How a choice is read (the ``choice`` prompt of ``content/prompts/es.yaml``): the answer
#: first, the key last, so a number in the answer is never heard as a key. Other languages
#: are estimated with the Spanish wording.
CHOICE_READING = "Si tu respuesta es {text}, marca {key}."


def heard_question(question: Question, language: str) -> str:
    """A question as the caller hears it: the stem, then each choice as `CHOICE_READING`."""
    choices = [
        CHOICE_READING.format(text=choice[language], key=number)
        for number, choice in enumerate(question.choices, start=1)
        if language in choice
    ]
    return " ".join([question.stem.get(language, ""), *choices])


# --- what a voice reads badly -----------------------------------------------------------

Advice = str | Callable[[re.Match[str]], str]


@dataclass(frozen=True)
class Unreadable:
    """Something a voice reads badly: what it is, how to find it, what to write instead."""

    what: str
    pattern: re.Pattern[str]
    #: The wording to use instead, or a function of the match that gives it.
    advice: Advice

    def say(self, match: re.Match[str]) -> str:
        advice = self.advice(match) if callable(self.advice) else self.advice
        return f'{self.what} "{match.group(0)}" is read badly on the phone: write {advice}'


def _by_text(words: Mapping[str, str], fallback: str) -> Callable[[re.Match[str]], str]:
    def advice(match: re.Match[str]) -> str:
        return f'"{words.get(match.group(0).strip().lower(), fallback)}"'

    return advice


def _decimal(match: re.Match[str]) -> str:
    whole, fraction = match.group(1), match.group(2).rstrip("0")
    return f'"{whole} coma {fraction}"' if fraction else f'"{whole}"'


_HOURS = "doce una dos tres cuatro cinco seis siete ocho nueve diez once".split()


def _time(match: re.Match[str]) -> str:
    hour, minutes = int(match.group(1)), int(match.group(2))
    if minutes == 45:
        hour, minutes = hour + 1, -15
    word = _HOURS[hour % 12]
    said = "la una" if word == "una" else f"las {word}"
    tail = {0: "", 15: " y cuarto", 30: " y media", -15: " menos cuarto"}.get(
        minutes, f" y {minutes}"
    )
    return f'"{said}{tail}"'


_FRACTIONS = {
    "½": "un medio",
    "⅓": "un tercio",
    "⅔": "dos tercios",
    "¼": "un cuarto",
    "¾": "tres cuartos",
    "⅕": "un quinto",
    "⅛": "un octavo",
}
_UNITS = {
    "km": "kilómetros",
    "kg": "kilos",
    "cm": "centímetros",
    "mm": "milímetros",
    "ml": "mililitros",
    "m": "metros",
    "g": "gramos",
    "l": "litros",
    "h": "horas",
    "min": "minutos",
    "seg": "segundos",
}
_ABBREVIATIONS = {
    "sr.": "señor",
    "sra.": "señora",
    "srta.": "señorita",
    "dr.": "doctor",
    "dra.": "doctora",
    "prof.": "profesor",
    "ud.": "usted",
    "uds.": "ustedes",
    "etc.": "y otros más",
    "etc": "y otros más",
    "aprox.": "aproximadamente",
    "pág.": "página",
    "núm.": "número",
}


def _unit(match: re.Match[str]) -> str:
    return f'"{match.group(1)} {_UNITS[match.group(2).lower()]}"'


def _example(match: re.Match[str]) -> str:
    return '"por ejemplo"'


_SQUARE = {"m²": "metros cuadrados", "cm²": "centímetros cuadrados", "km²": "kilómetros cuadrados"}

#: What a voice reads badly and what to write instead; the first entry to match a stretch
#: of text reports it (so "m²" is one finding, not also "²").
UNREADABLE: tuple[Unreadable, ...] = (
    Unreadable("the fraction", re.compile("[½⅓⅔¼¾⅕⅛]"), _by_text(_FRACTIONS, "the fraction")),
    Unreadable(
        "the unit",
        re.compile(r"\b(?:k|c)?m[²³]"),
        _by_text({**_SQUARE, "m³": "metros cúbicos"}, "the unit in words"),
    ),
    Unreadable(
        "the power",
        re.compile(r"\w?[²³]"),
        lambda m: '"al cuadrado"' if "²" in m.group(0) else '"al cubo"',
    ),
    Unreadable("the symbol", re.compile("%"), '"por ciento"'),
    Unreadable("the abbreviation", re.compile(r"\bS/\.?"), '"soles" after the amount'),
    Unreadable("the symbol", re.compile(r"\$"), 'the currency in words ("soles", "dólares")'),
    Unreadable("the abbreviation", re.compile(r"\b[Nn]\.?\s?[°º]"), '"número"'),
    Unreadable("the ordinal", re.compile(r"\d\.?[ºª]"), 'it in words ("primero", "tercera")'),
    Unreadable("the symbol", re.compile(r"°"), '"grados"'),
    Unreadable("the time", re.compile(r"\b([01]?\d|2[0-3]):([0-5]\d)\b"), _time),
    # In Peru a point groups thousands (1.000 is one thousand), a comma marks decimals.
    Unreadable(
        "the number",
        re.compile(r"\b\d{1,3}(?:\.\d{3})+\b(?![.,]\d)"),
        lambda m: f'"{m.group(0).replace(".", "")}", without the point (it reads as a decimal)',
    ),
    Unreadable("the decimal", re.compile(r"\b(\d+)[.,](\d+)\b"), _decimal),
    Unreadable("the sign", re.compile(r"\d\s*[xX*]\s*\d"), '"por"'),
    Unreadable("the sign", re.compile(r"\d\s*/\s*\d"), 'the fraction in words ("tres cuartos")'),
    Unreadable(
        "the sign",
        re.compile(r"[+=×÷/<>≠≤≥−]"),
        _by_text(
            {
                "+": "más",
                "=": "es igual a",
                "×": "por",
                "÷": "entre",
                "/": "entre",
                "<": "es menor que",
                ">": "es mayor que",
                "≠": "no es igual a",
                "≤": "es menor o igual que",
                "≥": "es mayor o igual que",
                "−": "menos",
            },
            "it in words",
        ),
    ),
    Unreadable("the sign", re.compile(r"\d\s+-\s+\d"), '"menos"'),
    Unreadable("the symbol", re.compile(r"[#&@]"), "it in words"),
    Unreadable(
        "the abbreviation", re.compile(r"\b(?:km|kg|cm|mm|ml)\b", re.I), _by_text(_UNITS, "")
    ),
    Unreadable("the abbreviation", re.compile(r"\b(\d+)\s?(m|g|l|h|min|seg)\b"), _unit),
    Unreadable("the abbreviation", re.compile(r"\bp\.\s?ej\.", re.I), _example),
    Unreadable(
        "the abbreviation",
        re.compile(r"\b(?:Srta|Sra|Sr|Dra|Dr|Prof|Uds|Ud|aprox|pág|núm)\.|\betc\b\.?", re.I),
        _by_text(_ABBREVIATIONS, "the word in full"),
    ),
)


#: All of `UNREADABLE` at once: most texts have none of it, and are passed over quickly.
_ANY_UNREADABLE = re.compile(
    "|".join(
        f"(?{'i' if entry.pattern.flags & re.IGNORECASE else ''}:{entry.pattern.pattern})"
        for entry in UNREADABLE
    )
)


def unreadable(text: str) -> list[str]:
    """What in `text` a voice reads badly, each with the wording to use instead."""
    if not _ANY_UNREADABLE.search(text):
        return []
    found: list[tuple[int, str]] = []
    taken: list[tuple[int, int]] = []
    for entry in UNREADABLE:
        for match in entry.pattern.finditer(text):
            start, end = match.span()
            if any(start < stop and begin < end for begin, stop in taken):
                continue
            taken.append((start, end))
            found.append((start, entry.say(match)))
    return [message for _, message in sorted(found)]


_BARE_NUMBER = re.compile(r"-?\d+")


def _bare_number(choice: str) -> str | None:
    if not _BARE_NUMBER.fullmatch(choice):
        return None
    return (
        f'is only a number ("{choice}"): read as "…es {choice}, marca 2" two bare numbers come '
        "close together; "
        f'give it its noun ("{choice} choclos") or write it in words'
    )


# --- running the checks over a pack ------------------------------------------------------


@dataclass(frozen=True)
class _Finding:
    language: str
    message: str
    #: True: the message is a predicate ("takes about ..."), said after the text's name;
    #: False: a sentence, after a colon.
    predicate: bool

    def said(self, parts: list[str]) -> str:
        return say(parts, self.message) if self.predicate else within(parts, self.message)


def _too_long(text: str, language: str, what: str = "", speed: float = 1.0) -> str | None:
    seconds = speech_seconds(text, language, speed)
    if seconds <= MAX_SECONDS:
        return None
    rate = WORDS_PER_SECOND.get(language, WORDS_PER_SECOND["es"]) * speed
    return (
        f"takes about {round(seconds)} seconds to hear{what} ({word_count(text)} words at "
        f"{round(rate, 2):g} a second); a caller hears it in one go: keep it under {MAX_SECONDS} "
        "seconds"
    )


def _findings(
    texts: Mapping[str, str], *, choice: bool, timed: bool, speed: float = 1.0
) -> Iterable[_Finding]:
    for language, text in texts.items():
        if timed and (message := _too_long(text, language, speed=speed)):
            yield _Finding(language, message, True)
        for message in unreadable(text):
            yield _Finding(language, message, False)
        if choice and (message := _bare_number(text)):
            yield _Finding(language, message, True)


def _question_length(question: Question) -> Iterable[_Finding]:
    for language in question.stem:
        heard = heard_question(question, language)
        if message := _too_long(heard, language, ", stem and choices read in full"):
            yield _Finding(language, message, True)


def _named(parts: list[str], texts: Mapping[str, str], language: str) -> list[str]:
    """Name the language too when the text has several."""
    if len(texts) > 1 and parts:
        return [*parts[:-1], f"{parts[-1]} in {language!r}"]
    return parts


def check_what_callers_hear(
    reader: PackReader, pack: Pack | None, lessons: list[ReadLesson]
) -> None:
    """Audio, length and readability of everything in the pack a caller hears."""
    if pack is not None:
        _check_texts(reader, "pack.yaml", pack, timed=False)
    for entry in lessons:
        relative, lesson = entry.file, entry.lesson
        speed = LISTENING_SPEED if lesson.kind == "listening" else 1.0
        _check_texts(reader, relative, lesson, timed=True, speed=speed)
        for i, question in enumerate(lesson.questions):
            for finding in _question_length(question):
                parts = _named(
                    reader.describe(relative, ("questions", i)), question.stem, finding.language
                )
                reader.at(relative, ("questions", i), finding.said(parts))
        for i, segment in enumerate(lesson.segments):
            for language, audio in segment.audio.items():
                path = reader.folder / audio
                if not path.is_file():
                    continue  # reported by cross_checks
                for message in audio_problems(path, audio):
                    reader.at(
                        relative,
                        ("segments", i, "audio", language),
                        within(reader.describe(relative, ("segments", i)), message),
                    )
        for i, items in enumerate(entry.generated):
            _check_generated(reader, relative, i, items)


def _check_texts(
    reader: PackReader, relative: str, model: ContentModel, *, timed: bool, speed: float = 1.0
) -> None:
    for loc, texts in iter_texts(model, (), skip=frozenset({"templates"})):
        parts = reader.describe(relative, loc)
        if loc[-1] == "text":  # a segment's text: "segment 2"
            parts = parts[:-1]
        choice = len(loc) >= 2 and loc[-2] == "choices"
        segment = loc[-1] == "text"
        for finding in _findings(
            texts,
            choice=choice,
            timed=timed and loc[-1] in ("text", "explanation"),
            speed=speed if segment else 1.0,
        ):
            named = _named(parts, texts, finding.language)
            reader.at(relative, loc + (finding.language,), finding.said(named))


def _check_generated(reader: PackReader, relative: str, index: int, items: list[Question]) -> None:
    """The checks of texts on generated items, at the template's lines, once per template
    field and kind of finding (the item named is the first that shows it)."""
    owner: Loc = ("templates", index)
    fields = {"stem": "stem", "choices": "choice", "explanation": "explanation"}
    reported: set[tuple[str, str, str]] = set()

    def report(
        field: str, loc: Loc, finding: _Finding, texts: Mapping[str, str], item: str
    ) -> None:
        # The same finding on other items differs only in quoted text and numbers.
        key = (field, finding.language, re.sub(r'"[^"]*"|\d+', "", finding.message))
        if key in reported:
            return
        reported.add(key)
        parts = _named([*reader.describe(relative, owner), field], texts, finding.language)
        reader.at(relative, loc, f"{finding.said(parts)} (item {item})")

    for item in items:
        for loc, texts in iter_texts(item):
            field = fields[str(loc[0])]
            for finding in _findings(texts, choice=field == "choice", timed=field == "explanation"):
                report(field, owner + (field, finding.language), finding, texts, item.id)
        for finding in _question_length(item):
            report("question", owner + ("stem",), finding, item.stem, item.id)
