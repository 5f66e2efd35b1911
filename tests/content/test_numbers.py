import itertools

import pytest

from yachay.content.numbers import MAX_SPELLED, spoken_number

QUECHUA = {
    0: "ch'usaq",
    1: "huk",
    2: "iskay",
    3: "kimsa",
    4: "tawa",
    5: "pichqa",
    6: "suqta",
    7: "qanchis",
    8: "pusaq",
    9: "isqun",
    10: "chunka",
    11: "chunka hukniyuq",
    12: "chunka iskayniyuq",
    13: "chunka kimsayuq",
    15: "chunka pichqayuq",
    17: "chunka qanchisniyuq",
    19: "chunka isqunniyuq",
    20: "iskay chunka",
    21: "iskay chunka hukniyuq",
    34: "kimsa chunka tawayuq",
    99: "isqun chunka isqunniyuq",
    100: "pachak",
    101: "pachak hukniyuq",
    110: "pachak chunka",
    111: "pachak chunka hukniyuq",
    200: "iskay pachak",
    1000: "waranqa",
    1927: "waranqa isqun pachak iskay chunka qanchisniyuq",
    2024: "iskay waranqa iskay chunka tawayuq",
    9999: "isqun waranqa isqun pachak isqun chunka isqunniyuq",
}

AYMARA = {
    0: "ch'usa",
    1: "maya",
    2: "paya",
    3: "kimsa",
    4: "pusi",
    5: "phisqa",
    6: "suxta",
    7: "paqallqu",
    8: "kimsaqallqu",
    9: "llätunka",
    10: "tunka",
    11: "tunka mayani",
    12: "tunka payani",
    15: "tunka phisqani",
    19: "tunka llätunkani",
    20: "pä tunka",
    21: "pä tunka mayani",
    28: "pä tunka kimsaqallquni",
    43: "pusi tunka kimsani",
    90: "llätunka tunka",
    100: "pataka",
    101: "pataka mayani",
    200: "pä pataka",
    1000: "waranqa",
    2000: "pä waranqa",
    2514: "pä waranqa phisqa pataka tunka pusini",
}


QUECHUA_LARGE = {
    10_000: "chunka waranqa",
    12_300: "chunka iskayniyuq waranqa kimsa pachak",
    25_007: "iskay chunka pichqayuq waranqa qanchisniyuq",
    200_000: "iskay pachak waranqa",
    999_999: "isqun pachak isqun chunka isqunniyuq waranqa isqun pachak isqun chunka isqunniyuq",
}
AYMARA_LARGE = {
    10_000: "tunka waranqa",
    12_000: "tunka payani waranqa",
    200_000: "pä pataka waranqa",
    1_001: "waranqa mayani",
}


@pytest.mark.parametrize(("n", "words"), sorted(QUECHUA_LARGE.items()))
def test_quechua_ten_thousand_and_more(n, words):
    assert spoken_number(n, "qu") == words


@pytest.mark.parametrize(("n", "words"), sorted(AYMARA_LARGE.items()))
def test_aymara_ten_thousand_and_more(n, words):
    assert spoken_number(n, "ay") == words


@pytest.mark.parametrize(("n", "words"), sorted(QUECHUA.items()))
def test_quechua(n, words):
    assert spoken_number(n, "qu") == words


@pytest.mark.parametrize(("n", "words"), sorted(AYMARA.items()))
def test_aymara(n, words):
    assert spoken_number(n, "ay") == words


@pytest.mark.parametrize("n", [0, 7, 12, 100, 2024])
def test_spanish_keeps_digits(n):
    assert spoken_number(n, "es") == str(n)


@pytest.mark.parametrize(
    ("n", "language"), [(5, "xx"), (-1, "qu"), (MAX_SPELLED + 1, "qu"), (-3, "ay"), (10**6, "ay")]
)
def test_unknown_language_and_out_of_range_give_digits(n, language):
    assert spoken_number(n, language) == str(n)


def test_bool_is_not_spelled():
    assert spoken_number(True, "qu") == "True"


@pytest.mark.parametrize("language", ["qu", "ay"])
def test_every_number_is_spelled_in_words(language):
    # every number to 20 000, then a stride through the rest (all of them take seconds)
    for n in itertools.chain(range(20_000), range(20_000, MAX_SPELLED + 1, 997)):
        words = spoken_number(n, language)
        assert words and not any(ch.isdigit() for ch in words), (n, words)
        assert "  " not in words and words == words.strip()
