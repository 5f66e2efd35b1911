"""Question templates: safe expressions, and items generated the same way every time."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from yachay.content.expressions import ExpressionError, compile_expression, school_round
from yachay.content.schema import Template
from yachay.content.templates import (
    MAX_COMBINATIONS,
    TemplateError,
    expand,
    format_number,
    generate,
    item_id,
)


def template(**changes: Any) -> Template:
    data: dict[str, Any] = {
        "id": "g3-surcos",
        "stem": {"es": "Hay {a} surcos con {b} plantas en cada uno. ¿Cuántas plantas hay?"},
        "params": {"a": {"from": 2, "to": 9}, "b": {"values": [3, 4, 5, 6]}},
        "answer": "a * b",
        "distractors": ["a + b", "a * b + b", "a * b - a"],
        "choice": {"es": "{value} plantas"},
        "explanation": {"es": "{a} por {b} es {answer}."},
        "skills": ["multiplicar"],
        "difficulty": 2,
        "count": 10,
    }
    data.update(changes)
    return Template.model_validate(data)


# --- expressions ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("a * b + 1", 13),
        ("-a + b", 1),
        ("-(a + b)", -7),
        ("+a", 3),
        ("a / b", 0.75),
        ("b // a", 1),
        ("b % a", 1),
        ("(a + b) * 2", 14),
        ("min(a, b, 2)", 2),
        ("max(a, b)", 4),
        ("abs(a - b)", 1),
        ("round(b / 3, 1)", 1.3),
        ("round(2.5)", 3),
        ("2.5 * a", 7.5),
    ],
)
def test_expressions_compute(source: str, expected: float) -> None:
    assert compile_expression(source, ["a", "b"])({"a": 3, "b": 4}) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("a < b", True),
        ("a == b", False),
        ("a != b and b > 1", True),
        ("a > b or not a == 4", True),
        ("1 <= a < b <= 4", True),
        ("a >= 4", False),
        # and/or stop early: no division by zero when b is 0.
        ("b != 0 and a % b == 0", False),
    ],
)
def test_conditions(source: str, expected: bool) -> None:
    values = {"a": 3, "b": 0 if "%" in source else 4}
    assert compile_expression(source, ["a", "b"], condition=True)(values) is expected


def test_names_used_are_recorded() -> None:
    assert compile_expression("a * 2", ["a", "b"]).names == {"a"}


ALLOWED = "use numbers, + - * / // %, parentheses, min(), max(), abs() and round()"


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("a ** 2", f"uses a power (**), which is not allowed: {ALLOWED}"),
        ("a.real", f"uses an attribute (x.y), which is not allowed: {ALLOWED}"),
        ("a[0]", f"uses indexing (x[...]), which is not allowed: {ALLOWED}"),
        ("'a'", f"uses text ('a'), which is not allowed: {ALLOWED}"),
        ("__import__('os')", f"uses the function __import__(), which is not allowed: {ALLOWED}"),
        ("(lambda: 1)()", f"uses a call, which is not allowed: {ALLOWED}"),
        ("a if a else b", f"uses an if-expression, which is not allowed: {ALLOWED}"),
        ("[a]", f"uses a list, which is not allowed: {ALLOWED}"),
        ("a & b", f"uses the operator &, which is not allowed: {ALLOWED}"),
        ("True", f"uses True, which is not allowed: {ALLOWED}"),
        ("(a := 2)", f"uses an assignment (:=), which is not allowed: {ALLOWED}"),
        (
            "round(a, ndigits=1)",
            f"uses a named argument (ndigits=) in round(), which is not allowed: {ALLOWED}",
        ),
        (
            "a > b",
            "uses a comparison, which only where can use: an answer or a distractor is a number",
        ),
        (
            "a and b",
            "uses and/or/not, which only where can use: an answer or a distractor is a number",
        ),
        ("c + a", "uses 'c', which is not a parameter; the parameters are a and b"),
        (
            "aa + 1",
            "uses 'aa', which is not a parameter (did you mean 'a'?); the parameters are a and b",
        ),
        ("min", "uses min without calling it: write min(...)"),
        ("min(a)", "calls min() with 1, but min() takes at least 2 values"),
        ("abs(a, b)", "calls abs() with 2, but abs() takes 1 value"),
        (
            "round(a, b)",
            "calls round(x, n) with n not a whole number from 0 to 6: write it as "
            "a number, like round(x, 1)",
        ),
        ("a +", "'a +' is not a valid expression: invalid syntax"),
        ("(a", "'(a' is not a valid expression: '(' was never closed at character 1"),
    ],
)
def test_what_an_expression_cannot_do(source: str, message: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        compile_expression(source, ["a", "b"])
    assert str(caught.value) == message


def test_conditions_name_their_extra_words() -> None:
    with pytest.raises(ExpressionError, match=r"in where also == != < <= > >=, and, or, not"):
        compile_expression("a in b", ["a", "b"], condition=True)


def test_division_by_zero_is_pythons_own() -> None:
    with pytest.raises(ZeroDivisionError):
        compile_expression("a / b", ["a", "b"])({"a": 1, "b": 0})


def test_school_round_rounds_halves_up() -> None:
    assert [school_round(x) for x in (0.5, 1.5, 2.5, -0.4)] == [1, 2, 3, 0]
    assert school_round(2.675, 2) == 2.68
    assert school_round(1.25, 1) == 1.3


# --- numbers and ids -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "said"),
    [
        (12, "12"),
        (3.0, "3"),
        (2.5, "2 coma 5"),
        (2.50, "2 coma 5"),
        (0.05, "0 coma 05"),
        (1 / 3, "0 coma 33"),
        (2.675, "2 coma 68"),
        (-3, "menos 3"),
        (-0.5, "menos 0 coma 5"),
        (0.001, "0"),
        (1e6, "1000000"),
    ],
)
def test_numbers_are_written_to_be_read(value: float, said: str) -> None:
    assert format_number(value) == said


@pytest.mark.parametrize(
    ("value", "language", "said"),
    [
        (12, "qu", "chunka iskayniyuq"),
        (3.0, "qu", "kimsa"),
        (12, "ay", "tunka payani"),
        (2.5, "qu", "2 coma 5"),  # not a whole number: left as digits
        (12000, "qu", "chunka iskayniyuq waranqa"),
        (1_000_000, "qu", "1000000"),  # beyond what is spelled
    ],
)
def test_quechua_and_aymara_numbers_are_words(value: float, language: str, said: str) -> None:
    # Their offline voice does not read digits.
    assert format_number(value, language) == said


def test_a_placeholder_formatted_as_an_hour_is_allowed() -> None:
    t = template(stem={"es": "Sales a {a:hora} y trabajas {b} horas."})
    expansion = expand(t, 3)
    assert expansion.problems == []
    assert all(item.stem["es"].startswith("Sales a la") for item in expansion.items)


def test_item_ids() -> None:
    assert item_id("g3-x", {"a": 4, "b": 6}) == "g3-x-4-6"
    assert item_id("g3-x", {"a": 2.5, "b": -3}) == "g3-x-2p5-m3"
    assert item_id("g3-x", {"a": 0.125}) == "g3-x-0p125"


# --- generating ------------------------------------------------------------------------


def test_items_are_generated_from_the_template() -> None:
    items = generate(template(), lesson_grade=3)
    assert len(items) == 10
    assert len({item.id for item in items}) == 10
    for item in items:
        a, b = (int(part) for part in item.id.split("-")[-2:])
        assert item.id == f"g3-surcos-{a}-{b}"
        assert item.template_id == "g3-surcos"
        assert item.stem == {
            "es": f"Hay {a} surcos con {b} plantas en cada uno. ¿Cuántas plantas hay?"
        }
        assert item.right_choice == {"es": f"{a * b} plantas"}
        assert item.explanation == {"es": f"{a} por {b} es {a * b}."}
        assert (item.grade, item.difficulty, item.skills) == (3, 2, ["multiplicar"])
        wrong = {c["es"] for c in item.choices} - {f"{a * b} plantas"}
        expected = {f"{v} plantas" for v in (a + b, a * b + b, a * b - a)} - {f"{a * b} plantas"}
        assert wrong == expected
    # Listed in the order of params: by a, then by b.
    keys = [tuple(int(p) for p in item.id.split("-")[-2:]) for item in items]
    assert keys == sorted(keys)


def test_generation_is_deterministic() -> None:
    first = generate(template(), 3)
    again = generate(template(), 3)
    assert [q.model_dump() for q in first] == [q.model_dump() for q in again]


def test_a_larger_count_keeps_the_earlier_items() -> None:
    small = generate(template(count=5), 3)
    large = generate(template(count=20), 3)
    assert {q.id for q in small} < {q.id for q in large}
    by_id = {q.id: q for q in large}
    for item in small:  # the same item, the right choice on the same key
        assert by_id[item.id] == item


def test_ids_and_keys_do_not_depend_on_the_other_params_values() -> None:
    """Adding a value to a parameter keeps the items that were there (ids are stable)."""
    before = {q.id: q for q in generate(template(count=32), 3)}
    wider = template(params={"a": {"from": 2, "to": 9}, "b": {"values": [3, 4, 5, 6, 7]}})
    after = {q.id: q for q in generate(wider.model_copy(update={"count": 40}), 3)}
    assert set(before) <= set(after)
    assert all(after[key] == item for key, item in before.items())


def test_where_leaves_combinations_out() -> None:
    items = generate(template(where="a > b", count=5), 3)
    for item in items:
        a, b = (int(part) for part in item.id.split("-")[-2:])
        assert a > b


def test_distractors_equal_to_the_answer_or_each_other_or_below_zero_are_dropped() -> None:
    t = template(
        params={"a": {"from": 0, "to": 2}},
        stem={"es": "¿Cuánto es {a} más uno?"},
        answer="a + 1",
        distractors=["a - 1", "a * 2 + 1", "a + 2"],
        choice={"es": "el número {value}"},
        explanation={"es": "Es {answer}."},
        count=3,
    )
    items = {q.id: q for q in generate(t, 1)}
    choices = {key: sorted(c["es"] for c in q.choices) for key, q in items.items()}
    # a = 0: a - 1 is below zero and a * 2 + 1 is the answer: both dropped.
    assert choices["g3-surcos-0"] == ["el número 1", "el número 2"]
    # a = 1: a * 2 + 1 and a + 2 are both 3: the second is dropped.
    assert choices["g3-surcos-1"] == ["el número 0", "el número 2", "el número 3"]
    assert choices["g3-surcos-2"] == ["el número 1", "el número 3", "el número 4", "el número 5"]
    assert items["g3-surcos-0"].right_choice == {"es": "el número 1"}


def test_a_combination_left_without_a_distractor_is_skipped() -> None:
    t = template(
        params={"a": {"values": [0, 1, 2]}},
        stem={"es": "¿Cuánto es {a} por dos?"},
        answer="a * 2",
        distractors=["a"],  # a = 0: the distractor equals the answer
        explanation={"es": "Es {answer}."},
        count=2,
    )
    assert [q.id for q in generate(t, 2)] == ["g3-surcos-1", "g3-surcos-2"]
    expansion = expand(t.model_copy(update={"count": 3}), 2)
    assert expansion.possible == 2
    assert [p.message for p in expansion.problems] == [
        "only 2 distinct items are possible, count asks for 3"
    ]


def test_decimals_are_read_in_words() -> None:
    t = template(
        params={"a": {"values": [2.5, 3]}, "b": {"values": [2, 4]}},
        stem={"es": "Un kilo cuesta {a} soles. ¿Cuánto cuestan {b} kilos?"},
        answer="a * b",
        distractors=["a + b", "a * b / 2"],
        choice={"es": "{value} soles"},
        explanation={"es": "{b} por {a} es {answer}."},
        count=4,
    )
    items = {q.id: q for q in generate(t, 5)}
    assert set(items) == {"g3-surcos-2p5-2", "g3-surcos-2p5-4", "g3-surcos-3-2", "g3-surcos-3-4"}
    item = items["g3-surcos-2p5-2"]
    assert item.stem["es"] == "Un kilo cuesta 2 coma 5 soles. ¿Cuánto cuestan 2 kilos?"
    assert item.right_choice == {"es": "5 soles"}
    assert sorted(c["es"] for c in item.choices) == ["2 coma 5 soles", "4 coma 5 soles", "5 soles"]


def test_the_right_answers_are_spread_over_the_keys() -> None:
    t = template(
        params={"a": {"from": 2, "to": 40}, "b": {"from": 2, "to": 40}},
        distractors=["a + b + 100", "a * b + 1000", "a * b + 2000"],
        count=400,
    )
    keys = Counter(item.answer for item in generate(t, 3))
    assert set(keys) == {1, 2, 3, 4}
    assert all(70 <= count <= 130 for count in keys.values()), keys


def test_a_wrong_template_raises_with_its_problems() -> None:
    with pytest.raises(TemplateError) as caught:
        generate(template(answer="a ** b"), 3)
    assert [p.loc for p in caught.value.problems] == [("answer",)]
    assert str(caught.value).startswith("template g3-surcos: answer uses a power (**)")


def test_too_many_combinations() -> None:
    t = template(params={"a": {"from": 1, "to": 200}, "b": {"from": 1, "to": 200}})
    expansion = expand(t, 3)
    assert [p.message for p in expansion.problems] == [
        f"params give 40000 combinations of values, more than the {MAX_COMBINATIONS} a "
        "template may have: narrow the ranges"
    ]


def test_every_problem_of_a_template_is_reported_at_once() -> None:
    t = template(
        where="a >",
        distractors=["a + c", "a ** 2"],
        stem={"es": "¿{a} por {b}? {x}"},
        choice={"es": "plantas"},
    )
    assert [(p.loc, p.message) for p in expand(t, 3).problems] == [
        (("where",), "where 'a >' is not a valid expression: invalid syntax"),
        (
            ("distractors", 0),
            "distractor 1 uses 'c', which is not a parameter; the parameters are a and b",
        ),
        (("distractors", 1), f"distractor 2 uses a power (**), which is not allowed: {ALLOWED}"),
        (("stem", "es"), "stem uses {x}, which is not a parameter; use {a}, {b} or {answer}"),
        (("choice", "es"), "choice must say the choice's value with {value}"),
    ]


def test_a_placeholder_with_a_format_is_named() -> None:
    t = template(explanation={"es": "{a} por {b} es {answer:.2f}."})
    assert [p.message for p in expand(t, 3).problems] == [
        "explanation uses {answer:.2f}, which has a format: write just {answer}; use {a}, {b} "
        "or {answer}"
    ]


def test_stray_braces() -> None:
    t = template(explanation={"es": "{a} por {b} es {answer."})
    assert [p.message for p in expand(t, 3).problems] == [
        "explanation has a { or } that does not enclose a name"
    ]


def test_texts_in_several_languages_name_the_language() -> None:
    t = template(
        stem={"es": "Hay {a} surcos con {b} plantas.", "qu": "{a} wachupi {b} {c} plantas."},
    )
    assert [(p.loc, p.message) for p in expand(t, 3).problems] == [
        (
            ("stem", "qu"),
            "stem in 'qu' uses {c}, which is not a parameter; use {a}, {b} or {answer}",
        ),
    ]
