"""Question templates: many practice items from one parameterised question.

A `yachay.content.schema.Template` names parameters (``a: {from: 2, to: 9}``), an optional
``where`` condition, an ``answer`` and 1 to 3 ``distractors`` (expressions, see
`yachay.content.expressions`) and texts with ``{a}``, ``{answer}`` and, in ``choice``,
``{value}`` placeholders. `generate` turns it into `Question`s; everything about them is
fixed by the template alone, never by chance or by the time of import:

- combinations: every combination of the parameters' values, in the order of ``params``,
  for which ``where`` holds, the answer can be computed and at least one distractor is
  left (a distractor equal to the answer or to an earlier distractor, or below zero, is
  dropped for that item);
- item id: the template id and the values, ``g3-x-4-6``; a decimal 2.5 is written ``2p5``
  and a negative -3 ``m3``, so ids stay valid;
- which items: the valid combinations sorted by a stable hash (SHA-256) of their item id,
  the first ``count`` of them, so a larger ``count`` keeps every earlier item; they are
  listed in the order of ``params``;
- the right choice's key: a stable hash of the item id, modulo the number of choices; the
  distractors keep their order around it;
- numbers: rounded to 2 decimals (halves up); whole numbers as digits ("12"), others as
  "2 coma 5", negatives as "menos 3";
- grade: the lesson's; skills and difficulty: the template's.

`expand` also reports what is wrong with a template as `TemplateProblem`s (a location
inside the template and a message), which the loader turns into ``file:line: message``.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from pydantic import ValidationError

from yachay.content.expressions import Expression, ExpressionError, compile_expression
from yachay.content.numbers import MAX_SPELLED, spoken_hour, spoken_number
from yachay.content.schema import Question, Template
from yachay.content.yaml_lines import Loc

__all__ = [
    "MAX_COMBINATIONS",
    "Expansion",
    "TemplateError",
    "TemplateProblem",
    "expand",
    "format_number",
    "generate",
    "item_id",
]

#: Most combinations of parameter values one template may have (they are all tried).
MAX_COMBINATIONS = 20_000
#: The word between the whole and the decimal part of a number, per language.
DECIMAL_WORDS = {"es": "coma", "qu": "coma", "ay": "coma"}
#: Languages whose whole numbers are written in words in generated texts.
SPELLED_LANGUAGES = frozenset({"qu", "ay"})
NEGATIVE_WORDS = {"es": "menos", "qu": "menos", "ay": "menos"}
_CENT = Decimal("0.01")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


@dataclass(frozen=True)
class TemplateProblem:
    """Something wrong with a template: where inside it, and what."""

    #: Location inside the template, e.g. ``("answer",)`` or ``("stem", "es")``.
    loc: Loc
    message: str


class TemplateError(ValueError):
    def __init__(self, template_id: str, problems: list[TemplateProblem]):
        self.problems = problems
        super().__init__(
            f"template {template_id}: " + "; ".join(problem.message for problem in problems)
        )


@dataclass
class Expansion:
    """What a template gives: its items and its problems (no items if any problem)."""

    items: list[Question] = field(default_factory=list)
    problems: list[TemplateProblem] = field(default_factory=list)
    #: How many distinct valid items the template can give at most.
    possible: int = 0


def generate(template: Template, lesson_grade: int) -> list[Question]:
    """The items of `template` for a lesson of `lesson_grade`; `TemplateError` if it is wrong."""
    expansion = expand(template, lesson_grade)
    if expansion.problems:
        raise TemplateError(template.id, expansion.problems)
    return expansion.items


def canonical(value: float) -> Decimal:
    """A computed value as it is compared and read: rounded to 2 decimals, halves up."""
    if type(value) is int:
        return Decimal(value)
    if isinstance(value, float) and value.is_integer():
        return Decimal(int(value))
    try:
        number = Decimal(repr(float(value)) if isinstance(value, float) else int(value))
        return number.quantize(_CENT, rounding=ROUND_HALF_UP).normalize() + 0
    except InvalidOperation:
        raise ArithmeticError(f"{value} cannot be written as a number") from None


def format_number(value: float | Decimal, language: str = "es") -> str:
    """How a number is read: ``12``, ``2 coma 5``, ``menos 3`` (rounded to 2 decimals).

    In Quechua and Aymara a whole number from 0 to `MAX_SPELLED` is written in words
    (``chunka iskayniyuq``): their voice does not read digits (`yachay.content.numbers`)."""
    number = value if isinstance(value, Decimal) else canonical(value)
    if (
        language in SPELLED_LANGUAGES
        and number == number.to_integral_value()
        and 0 <= number <= MAX_SPELLED
    ):
        return spoken_number(int(number), language)
    sign = ""
    if number < 0:
        sign = NEGATIVE_WORDS.get(language, "menos") + " "
        number = -number
    text = format(number, "f")
    if "." not in text:
        return sign + text
    whole, fraction = text.split(".")
    fraction = fraction.rstrip("0")
    if not fraction:
        return sign + whole
    return f"{sign}{whole} {DECIMAL_WORDS.get(language, 'coma')} {fraction}"


def _id_part(value: float) -> str:
    exact = Decimal(repr(value)).normalize() if isinstance(value, float) else Decimal(value)
    return format(exact, "f").replace("-", "m").replace(".", "p")


def item_id(template_id: str, values: Mapping[str, float]) -> str:
    """``g3-x-4-6``: the template id and the values in the order of ``params``."""
    return "-".join([template_id, *(_id_part(v) for v in values.values())])


def _hash(salt: str, text: str) -> int:
    return int.from_bytes(hashlib.sha256(f"{salt}:{text}".encode()).digest()[:8], "big")


def _show_values(values: Mapping[str, float]) -> str:
    return ", ".join(f"{name} = {format(Decimal(repr(v)), 'f')}" for name, v in values.items())


# --- checking --------------------------------------------------------------------------


def _expression_label(loc: Loc) -> str:
    return f"distractor {int(loc[1]) + 1}" if loc[0] == "distractors" else str(loc[0])


@dataclass
class _Compiled:
    where: Expression | None
    answer: Expression
    distractors: list[Expression]


def _compile(template: Template, problems: list[TemplateProblem]) -> _Compiled | None:
    names = list(template.params)
    compiled: dict[Loc, Expression | None] = {}
    sources: list[tuple[Loc, str | None, bool]] = [
        (("where",), template.where, True),
        (("answer",), template.answer, False),
        *((("distractors", i), d, False) for i, d in enumerate(template.distractors)),
    ]
    for loc, source, condition in sources:
        if source is None:
            compiled[loc] = None
            continue
        try:
            compiled[loc] = compile_expression(source, names, condition=condition)
        except ExpressionError as exc:
            problems.append(TemplateProblem(loc, f"{_expression_label(loc)} {exc}"))
    if problems:
        return None
    answer = compiled[("answer",)]
    assert answer is not None
    return _Compiled(
        compiled[("where",)],
        answer,
        [e for i in range(len(template.distractors)) if (e := compiled[("distractors", i)])],
    )


def _check_texts(template: Template, problems: list[TemplateProblem]) -> None:
    params = list(template.params)
    fields = (
        ("stem", template.stem),
        ("choice", template.choice),
        ("explanation", template.explanation),
    )
    for name, texts in fields:
        allowed = {*params, "answer"} | ({"value"} if name == "choice" else set())
        for language, text in texts.items():
            loc: Loc = (name, language)
            label = f"{name} in {language!r}" if len(texts) > 1 else name
            used: set[str] = set()
            for match in _PLACEHOLDER.finditer(text):
                inside = match.group(1)
                if inside in allowed:
                    used.add(inside)
                    continue
                name, _, spec = inside.partition(":")
                if spec in FORMATS and name in allowed:
                    used.add(name)
                    continue
                if inside == "value":
                    why = "which only choice can use (it is the value of each choice)"
                elif (bare := re.split(r"[:!]", inside)[0].strip()) in allowed:
                    why = f"which has a format: write just {{{bare}}}"
                else:
                    why = "which is not a parameter"
                names = [f"{{{n}}}" for n in [*params, *sorted(allowed - set(params))]]
                listed = ", ".join(names[:-1]) + " or " + names[-1]
                problems.append(
                    TemplateProblem(loc, f"{label} uses {match.group(0)}, {why}; use {listed}")
                )
            rest = _PLACEHOLDER.sub("", text)
            if "{" in rest or "}" in rest:
                problems.append(
                    TemplateProblem(loc, f"{label} has a {{ or }} that does not enclose a name")
                )
            if name == "choice" and "value" not in used:
                problems.append(
                    TemplateProblem(loc, f"{label} must say the choice's value with {{value}}")
                )
    for param in params:
        if not any(re.search(rf"\{{{param}(?::\w+)?\}}", text) for text in template.stem.values()):
            problems.append(
                TemplateProblem(
                    ("params", param),
                    f"parameter {param} is not in the stem, so items that differ only in "
                    f"{param} sound the same: use {{{param}}} in the stem or remove it",
                )
            )


# --- expanding --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Item:
    id: str
    values: dict[str, int | float]
    answer: Decimal
    distractors: list[Decimal]


def _combinations(template: Template) -> tuple[int, itertools.product]:
    choices = [param.choices for param in template.params.values()]
    total = 1
    for values in choices:
        total *= len(values)
    return total, itertools.product(*choices)


def _valid_items(
    template: Template, compiled: _Compiled, problems: list[TemplateProblem]
) -> list[_Item]:
    names = list(template.params)
    total, combinations = _combinations(template)
    if total > MAX_COMBINATIONS:
        problems.append(
            TemplateProblem(
                ("params",),
                f"params give {total} combinations of values, more than the "
                f"{MAX_COMBINATIONS} a template may have: narrow the ranges",
            )
        )
        return []
    failed: set[Loc] = set()

    def compute(loc: Loc, expression: Expression, values: dict[str, int | float]):  # noqa: ANN202
        try:
            result = expression(values)
            return result if loc == ("where",) else canonical(result)
        except ZeroDivisionError:
            why = "divides by zero"
        except (ArithmeticError, ValueError, TypeError) as exc:
            why = f"cannot be computed ({exc})"
        if loc not in failed:
            failed.add(loc)
            label = _expression_label(loc)
            zero = next((name for name, v in values.items() if v == 0), None)
            hint = ""
            if loc != ("where",):
                example = f' like "{zero} != 0"' if zero else ""
                hint = f" (leave such values out with a where{example})"
            problems.append(
                TemplateProblem(loc, f"{label} {why} when {_show_values(values)}{hint}")
            )
        return None

    items: list[_Item] = []
    for combination in combinations:
        values = dict(zip(names, combination, strict=True))
        if compiled.where is not None and not compute(("where",), compiled.where, values):
            continue
        answer = compute(("answer",), compiled.answer, values)
        if answer is None:
            continue
        kept: list[Decimal] = []
        for i, expression in enumerate(compiled.distractors):
            value = compute(("distractors", i), expression, values)
            if value is None or value < 0 or value == answer or value in kept:
                continue
            kept.append(value)
        if not kept:
            continue
        items.append(_Item(item_id(template.id, values), values, answer, kept))
    return items


#: Formats a placeholder may take: ``{a:hora}`` says an hour ("las seis", "la una").
FORMATS = {"hora": spoken_hour}


def _fill(text: str, values: Mapping[str, Decimal | float], language: str) -> str:
    def replace(match: re.Match[str]) -> str:
        name, _, spec = match.group(1).partition(":")
        if spec in FORMATS:
            return FORMATS[spec](values[name])
        return format_number(values[name], language)

    return _PLACEHOLDER.sub(replace, text)


def _question(template: Template, item: _Item, grade: int) -> Question:
    choices = list(item.distractors)
    key = _hash("key", item.id) % (len(choices) + 1)
    choices.insert(key, item.answer)
    named: dict[str, Decimal | float] = {**item.values, "answer": item.answer}

    def texts(source: Mapping[str, str], extra: Mapping[str, Decimal] | None = None) -> dict:
        merged = {**named, **(extra or {})}
        return {language: _fill(text, merged, language) for language, text in source.items()}

    data = {
        "id": item.id,
        "stem": texts(template.stem),
        "choices": [texts(template.choice, {"value": value}) for value in choices],
        "answer": key + 1,
        "explanation": texts(template.explanation),
        "skills": list(template.skills),
        "difficulty": template.difficulty,
        "grade": grade,
        "template_id": template.id,
    }
    return Question.model_validate(data)


def expand(template: Template, lesson_grade: int) -> Expansion:
    """Check `template` and build its items (none if it has a problem)."""
    expansion = Expansion()
    problems = expansion.problems
    compiled = _compile(template, problems)
    _check_texts(template, problems)
    if compiled is None:
        return expansion
    valid = _valid_items(template, compiled, problems)
    expansion.possible = len(valid)
    if problems:
        return expansion
    if len(valid) < template.count:
        if not valid:
            said = (
                "no item is possible (where, or distractors equal to the answer, rule out "
                "every combination)"
            )
        elif len(valid) == 1:
            said = "only 1 distinct item is possible"
        else:
            said = f"only {len(valid)} distinct items are possible"
        problems.append(TemplateProblem(("count",), f"{said}, count asks for {template.count}"))
        return expansion
    chosen = sorted(valid, key=lambda item: (_hash("pick", item.id), item.id))[: template.count]
    keep = {item.id for item in chosen}
    try:
        expansion.items = [
            _question(template, item, lesson_grade) for item in valid if item.id in keep
        ]
    except ValidationError as exc:  # a texts problem the checks above did not foresee
        problems.append(TemplateProblem(("id",), f"generates an item that is not valid: {exc}"))
        expansion.items = []
    except ArithmeticError as exc:  # {x:hora} given a value that is not an hour
        problems.append(TemplateProblem(("stem",), f"cannot say a value as an hour: {exc}"))
        expansion.items = []
    return expansion
