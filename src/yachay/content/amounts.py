"""The amount a short Spanish text names, to tell when two choices say the same amount in
different words ("cuatro octavos de litro" and "medio litro", "2 kilos" and "2000 gramos").

`amount` reads one quantity: a whole number (digits or words up to the hundreds), a
decimal ("2 coma 5", "dos coma cinco"), a fraction in words ("tres cuartos", "un medio",
"medio", "2 y medio") and the unit after it, if any ("litro", "soles", "choclos"). Units of
one measure are brought to its smallest unit (kilos to gramos, horas to minutos, soles to
céntimos), so equal amounts compare equal. A text with more than one number is not read:
it is not one amount ("5 más 3"), and neither is a text with words beyond the amount and
its unit ("más de 6 cuartas", "un kilo de papas", "camino 5 cuadritos").
"""

from __future__ import annotations

import re
import unicodedata
from fractions import Fraction

__all__ = ["Amount", "amount"]

#: (value, unit): the unit in the singular, without accents, or "" for a bare number.
Amount = tuple[Fraction, str]

_UNITS_WORDS = {
    "cero": 0, "un": 1, "uno": 1, "una": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5,
    "seis": 6, "siete": 7, "ocho": 8, "nueve": 9, "diez": 10, "once": 11, "doce": 12,
    "trece": 13, "catorce": 14, "quince": 15, "dieciseis": 16, "diecisiete": 17,
    "dieciocho": 18, "diecinueve": 19, "veinte": 20, "veintiuno": 21, "veintiun": 21,
    "veintiuna": 21, "veintidos": 22, "veintitres": 23, "veinticuatro": 24,
    "veinticinco": 25, "veintiseis": 26, "veintisiete": 27, "veintiocho": 28,
    "veintinueve": 29,
}  # fmt: skip
_TENS = {
    "treinta": 30, "cuarenta": 40, "cincuenta": 50, "sesenta": 60, "setenta": 70,
    "ochenta": 80, "noventa": 90,
}  # fmt: skip
_HUNDREDS = {
    "cien": 100, "ciento": 100, "doscientos": 200, "doscientas": 200, "trescientos": 300,
    "trescientas": 300, "cuatrocientos": 400, "cuatrocientas": 400, "quinientos": 500,
    "quinientas": 500, "seiscientos": 600, "seiscientas": 600, "setecientos": 700,
    "setecientas": 700, "ochocientos": 800, "ochocientas": 800, "novecientos": 900,
    "novecientas": 900,
}  # fmt: skip
_DENOMINATORS = {
    "medio": 2, "media": 2, "tercio": 3, "cuarto": 4, "quinto": 5, "sexto": 6,
    "septimo": 7, "octavo": 8, "noveno": 9, "decimo": 10, "centesimo": 100,
}  # fmt: skip
#: unit -> (the smallest unit of its measure, how many of those it is)
_CONVERSIONS = {
    "kilo": ("gramo", 1000), "kilogramo": ("gramo", 1000), "gramo": ("gramo", 1),
    "litro": ("mililitro", 1000), "mililitro": ("mililitro", 1),
    "kilometro": ("centimetro", 100000), "metro": ("centimetro", 100),
    "centimetro": ("centimetro", 1),
    "hora": ("minuto", 60), "minuto": ("minuto", 1),
    "sol": ("centimo", 100), "centimo": ("centimo", 1),
    "siglo": ("ano", 100), "decada": ("ano", 10), "ano": ("ano", 1),
}  # fmt: skip
_FILLER = {"de", "del", "el", "la", "los", "las", "y"}
_TOKEN = re.compile(r"\d+|[a-zñ]+")


def _plain(text: str) -> str:
    text = unicodedata.normalize("NFD", text.lower())
    return "".join(c for c in text if unicodedata.category(c) != "Mn").replace("n\u0303", "ñ")


def _singular(word: str) -> str:
    if word.endswith("es") and word[:-2] in _CONVERSIONS:
        return word[:-2]
    return word[:-1] if word.endswith("s") and len(word) > 3 else word


def _whole(tokens: list[str], i: int) -> tuple[int, int] | None:
    """A whole number starting at token i: (value, tokens used)."""
    if i >= len(tokens):
        return None
    if tokens[i].isdigit():
        return int(tokens[i]), 1
    value, used = 0, 0
    if tokens[i] in _HUNDREDS:
        value, used = _HUNDREDS[tokens[i]], 1
    if i + used < len(tokens) and tokens[i + used] in _TENS:
        value += _TENS[tokens[i + used]]
        used += 1
        if (
            i + used + 1 < len(tokens)
            and tokens[i + used] == "y"
            and tokens[i + used + 1] in _UNITS_WORDS
            and _UNITS_WORDS[tokens[i + used + 1]] < 10
        ):
            value += _UNITS_WORDS[tokens[i + used + 1]]
            used += 2
    elif i + used < len(tokens) and tokens[i + used] in _UNITS_WORDS:
        value += _UNITS_WORDS[tokens[i + used]]
        used += 1
    return (value, used) if used else None


def amount(text: str) -> Amount | None:
    """The one amount `text` names, or None (no number, or several)."""
    tokens = _TOKEN.findall(_plain(text))
    found: list[tuple[Fraction, int]] = []  # (value, index after it)
    starts: list[int] = []
    i = 0
    while i < len(tokens):
        word = _singular(tokens[i])
        if word in ("medio", "media") and not found:
            found.append((Fraction(1, 2), i + 1))
            starts.append(i)
            i += 1
            continue
        whole = _whole(tokens, i)
        if whole is None:
            i += 1
            continue
        starts.append(i)
        value, used = whole
        j = i + used
        number = Fraction(value)
        if j + 1 < len(tokens) and tokens[j] == "coma":
            decimal = _whole(tokens, j + 1)
            if decimal is not None:
                digits = tokens[j + 1] if tokens[j + 1].isdigit() else str(decimal[0])
                number += Fraction(decimal[0], 10 ** len(digits))
                j += 1 + decimal[1]
        elif j < len(tokens) and _singular(tokens[j]) in _DENOMINATORS and tokens[j] != "media":
            number = Fraction(value, _DENOMINATORS[_singular(tokens[j])])
            j += 1
        elif j + 1 < len(tokens) and tokens[j] == "y" and tokens[j + 1] in ("medio", "media"):
            number += Fraction(1, 2)
            j += 2
        found.append((number, j))
        i = j
    if len(found) != 1 or any(t not in _FILLER for t in tokens[: starts[0]]):
        return None
    number, after = found[0]
    rest = [t for t in tokens[after:] if t not in _FILLER]
    unit = _singular(rest[0]) if rest else ""
    if len(rest) > 1 and rest[1] in ("medio", "media", "cuarto"):  # "2 litros y medio"
        number += Fraction(1, 2) if rest[1] != "cuarto" else Fraction(1, 4)
        rest = rest[:1]
    if len(rest) > 1:  # more than an amount: "más de 6 cuartas", "un kilo de papas"
        return None
    if unit in _CONVERSIONS:
        base, factor = _CONVERSIONS[unit]
        return number * factor, base
    return number, unit
