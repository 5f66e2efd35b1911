"""Numbers as a caller hears them, per language.

Spanish prompts keep digits: the Spanish voice reads "12" as "doce" well. Quechua and
Aymara prompts are rendered offline by a voice that does not read digits in those
languages reliably, so numbers are spelled out in words, 0..999 999.

UNREVIEWED: the Quechua and Aymara spellings below follow published descriptions of the
numeral systems (see CURRICULUM.md) and have not been checked by a native speaker yet.

Southern Quechua (official alphabet, Collao/Chanka):
    huk, iskay, kimsa, tawa, pichqa, suqta, qanchis, pusaq, isqun, chunka (10),
    pachak (100), waranqa (1000); zero is ch'usaq ("empty").
    Tens, hundreds and thousands are multiplier + base: iskay chunka (20), kimsa pachak
    (300), iskay waranqa (2000); a bare base means one of it: chunka, pachak, waranqa.
    Units after a larger part take -yuq ("having") after a vowel and -niyuq after a
    consonant: chunka hukniyuq (11), chunka kimsayuq (13), iskay chunka pusaqniyuq (28),
    pachak hukniyuq (101), waranqa isqun pachak iskay chunka qanchisniyuq (1927).
    Only the units take the suffix: 110 is pachak chunka, 2020 is iskay waranqa iskay
    chunka. Ten thousand and more: the number of thousands, spelled, before waranqa:
    chunka waranqa (10 000), chunka iskayniyuq waranqa kimsa pachak (12 300), iskay pachak
    waranqa (200 000). Doubt: some speakers also put -yuq on a final round ten after a hundred or a
    thousand (pachak chunkayuq); we follow the more common grammar rule instead.

Aymara:
    maya, paya, kimsa, pusi, phisqa, suxta, paqallqu, kimsaqallqu, llätunka, tunka (10),
    pataka (100), waranqa (1000); zero is ch'usa ("empty").
    Multipliers: one is left out (tunka, pataka, waranqa, never "maya tunka"), two takes
    its short quantifier form pä (pä tunka 20, pä pataka 200, pä waranqa 2000), the
    others stay whole (kimsa tunka 30, llätunka tunka 90).
    Units after a larger part take -ni ("with"): tunka mayani (11), pä tunka kimsaqallquni
    (28), pä waranqa phisqa pataka tunka pusini (2514). Ten thousand and more: the number
    of thousands, spelled, before waranqa: tunka waranqa (10 000), tunka payani waranqa
    (12 000), pä pataka waranqa (200 000). Doubts: some writers lengthen the
    vowel before -ni (tunka phisqhäni) or clip the multiplier (pä tunk, paqallq tunka)
    in speech; we write the full forms.
"""

from __future__ import annotations

from decimal import Decimal

__all__ = ["MAX_SPELLED", "spoken_hour", "spoken_number"]

#: Largest number spelled in words; anything larger (or negative) is left as digits.
MAX_SPELLED = 999_999

_QU_UNITS = (
    "ch'usaq",
    "huk",
    "iskay",
    "kimsa",
    "tawa",
    "pichqa",
    "suqta",
    "qanchis",
    "pusaq",
    "isqun",
)
_QU_BASES = ((100, "pachak"), (10, "chunka"))

_AY_UNITS = (
    "ch'usa",
    "maya",
    "paya",
    "kimsa",
    "pusi",
    "phisqa",
    "suxta",
    "paqallqu",
    "kimsaqallqu",
    "llätunka",
)
_AY_BASES = ((100, "pataka"), (10, "tunka"))
#: One thousand in both languages (a loan from Quechua into Aymara).
_THOUSAND = "waranqa"

_VOWELS = frozenset("aeiouäëïöü")


def _qu_having(word: str) -> str:
    """A Quechua unit after a larger part: -yuq after a vowel, -niyuq after a consonant."""
    return word + ("yuq" if word[-1] in _VOWELS else "niyuq")


def _qu_multiplier(digit: int, base: str) -> str:
    return base if digit == 1 else f"{_QU_UNITS[digit]} {base}"


def _ay_multiplier(digit: int, base: str) -> str:
    if digit == 1:
        return base
    if digit == 2:
        return f"pä {base}"
    return f"{_AY_UNITS[digit]} {base}"


def _spell(n: int, units, bases, multiplier, with_units) -> str:
    if n == 0:
        return units[0]
    parts: list[str] = []
    thousands, rest = divmod(n, 1000)
    if thousands:  # a digit multiplies waranqa as it does the other bases; more is spelled
        parts.append(
            multiplier(thousands, _THOUSAND)
            if thousands < 10
            else f"{_spell(thousands, units, bases, multiplier, with_units)} {_THOUSAND}"
        )
    for value, base in bases:
        digit, rest = divmod(rest, value)
        if digit:
            parts.append(multiplier(digit, base))
    if rest:
        parts.append(with_units(units[rest]) if parts else units[rest])
    return " ".join(parts)


def _quechua(n: int) -> str:
    return _spell(n, _QU_UNITS, _QU_BASES, _qu_multiplier, _qu_having)


def _aymara(n: int) -> str:
    return _spell(n, _AY_UNITS, _AY_BASES, _ay_multiplier, lambda word: word + "ni")


_SPELLERS = {"qu": _quechua, "ay": _aymara}


def spoken_number(n: int, language: str) -> str:
    """`n` as the caller should hear it in `language`.

    Spanish, unknown languages, negative numbers, numbers above `MAX_SPELLED` and
    anything that is not a plain int give `str(n)`.
    """
    speller = _SPELLERS.get(language)
    if speller is None or type(n) is not int or not 0 <= n <= MAX_SPELLED:
        return str(n)
    return speller(n)


_HOUR_WORDS = "doce una dos tres cuatro cinco seis siete ocho nueve diez once".split()


def spoken_hour(value: Decimal | float) -> str:
    """An hour of the clock as said in Spanish: 6 -> "las seis", 1 -> "la una",
    6.5 -> "las seis y media", 6.25 -> "las seis y cuarto", 6.75 -> "las siete menos
    cuarto" (13 to 24 are read on a twelve-hour clock)."""
    number = Decimal(str(value))
    whole = int(number)
    part = number - whole
    tails = {Decimal("0"): "", Decimal("0.5"): " y media", Decimal("0.25"): " y cuarto"}
    if part == Decimal("0.75"):
        whole, tail = whole + 1, " menos cuarto"
    elif part in tails:
        tail = tails[part]
    else:
        raise ArithmeticError(f"{value} is not an hour, half or quarter hour")
    word = _HOUR_WORDS[whole % 12]
    return ("la una" if word == "una" else f"las {word}") + tail
