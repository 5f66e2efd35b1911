"""Safe arithmetic over a template's parameters, on Python's `ast`.

A template says how to compute its answer and its wrong choices (``"a * b + b"``) and which
combinations make sense (``"a != b and b > 1"``). The text is parsed with `ast.parse` and
every node is checked against a whitelist before anything runs; what remains is turned into
plain closures, so nothing is ever handed to `eval`:

- numbers (ints and decimals), the names of the template's parameters, parentheses;
- ``+ - * / // %`` and unary ``-`` (and ``+``);
- calls to ``min(x, y, ...)``, ``max(x, y, ...)``, ``abs(x)`` and ``round(x)`` or
  ``round(x, n)`` with a whole number ``n`` from 0 to 6 (halves round up, as in school);
- in conditions (``where``) only: ``== != < <= > >=`` (chained too), ``and``, ``or``, ``not``.

Anything else (``**``, attributes, indexing, text, other functions, ``if``...) is an
`ExpressionError` naming the construct. Evaluation errors are Python's own:
`ZeroDivisionError` for ``/``, ``//`` or ``%`` by zero.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from yachay.content.problems import did_you_mean

__all__ = ["Expression", "ExpressionError", "compile_expression", "FUNCTIONS", "school_round"]

Value = int | float | bool
Values = Mapping[str, int | float]
_Fn = Callable[[Values], Value]

#: Largest `n` in ``round(x, n)``.
MAX_ROUND_DIGITS = 6


def school_round(value: float, digits: int = 0) -> int | float:
    """Round halves up (2.5 -> 3, 0.125 -> 0.13), on the decimal the number is written as."""
    step = Decimal(1).scaleb(-digits)
    rounded = Decimal(repr(value)).quantize(step, rounding=ROUND_HALF_UP)
    return int(rounded) if digits == 0 else float(rounded)


#: name -> (function, fewest arguments, most arguments or None)
FUNCTIONS: dict[str, tuple[Callable[..., int | float], int, int | None]] = {
    "min": (min, 2, None),
    "max": (max, 2, None),
    "abs": (abs, 1, 1),
    "round": (school_round, 1, 2),
}

_BINARY: dict[type[ast.operator], Callable[[float, float], float]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
}
_COMPARE: dict[type[ast.cmpop], Callable[[float, float], bool]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}
#: How the constructs that are not allowed are named in messages.
_CONSTRUCT_NAMES: dict[type[ast.AST], str] = {
    ast.Pow: "a power (**)",
    ast.MatMult: "the operator @",
    ast.BitAnd: "the operator &",
    ast.BitOr: "the operator |",
    ast.BitXor: "the operator ^",
    ast.LShift: "the operator <<",
    ast.RShift: "the operator >>",
    ast.Invert: "the operator ~",
    ast.Attribute: "an attribute (x.y)",
    ast.Subscript: "indexing (x[...])",
    ast.IfExp: "an if-expression",
    ast.Lambda: "a lambda",
    ast.List: "a list",
    ast.Tuple: "a tuple",
    ast.Dict: "a mapping",
    ast.Set: "a set",
    ast.ListComp: "a comprehension",
    ast.SetComp: "a comprehension",
    ast.DictComp: "a comprehension",
    ast.GeneratorExp: "a comprehension",
    ast.JoinedStr: "text",
    ast.NamedExpr: "an assignment (:=)",
    ast.Starred: "a starred value (*x)",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
    ast.In: "the operator in",
    ast.NotIn: "the operator not in",
    ast.Is: "the operator is",
    ast.IsNot: "the operator is not",
}
_ALLOWED_HINT = "use numbers, + - * / // %, parentheses, min(), max(), abs() and round()"
_CONDITION_HINT = "; in where also == != < <= > >=, and, or, not"


class ExpressionError(ValueError):
    """An expression that cannot be used; the message is a predicate about it
    ("uses a power (**), which ...")."""


@dataclass(frozen=True)
class Expression:
    """A checked expression: call it with the parameters' values."""

    source: str
    #: The parameter names it uses.
    names: frozenset[str]
    _fn: _Fn

    def __call__(self, values: Values) -> Value:
        return self._fn(values)


def compile_expression(source: str, names: Iterable[str], *, condition: bool = False) -> Expression:
    """Check `source` and turn it into an `Expression`; `ExpressionError` if it cannot be.

    `names` are the parameters it may use; `condition` allows comparisons and and/or/not
    (a ``where``). An error message is a predicate: ``answer`` + message reads well.
    """
    known = frozenset(names)
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except SyntaxError as exc:
        where = f" at character {exc.offset}" if exc.offset else ""
        raise ExpressionError(f"{source!r} is not a valid expression: {exc.msg}{where}") from None
    except (RecursionError, MemoryError):
        raise ExpressionError(f"{source!r} is nested too deeply") from None
    used: set[str] = set()
    builder = _Builder(known, condition, used)
    try:
        fn = builder.build(tree.body)
    except RecursionError:
        raise ExpressionError(f"{source!r} is nested too deeply") from None
    return Expression(source.strip(), frozenset(used), fn)


class _Builder:
    def __init__(self, known: frozenset[str], condition: bool, used: set[str]):
        self.known = known
        self.condition = condition
        self.used = used

    def refuse(self, node: ast.AST, detail: str = "") -> ExpressionError:
        what = _construct_name(node)
        if not self.condition and isinstance(node, ast.Compare | ast.cmpop | ast.BoolOp | ast.Not):
            return ExpressionError(
                f"uses {what}, which only where can use: an answer or a distractor is a number"
            )
        hint = _ALLOWED_HINT + (_CONDITION_HINT if self.condition else "")
        return ExpressionError(f"uses {what}{detail}, which is not allowed: {hint}")

    def build(self, node: ast.AST) -> _Fn:
        if isinstance(node, ast.Constant):
            value = node.value
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise self.refuse(node)
            return lambda values: value
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.BinOp):
            op = _BINARY.get(type(node.op))
            if op is None:
                raise self.refuse(node.op)
            left, right = self.build(node.left), self.build(node.right)
            return lambda values: op(left(values), right(values))
        if isinstance(node, ast.UnaryOp):
            return self.unary(node)
        if isinstance(node, ast.Call):
            return self.call(node)
        if isinstance(node, ast.Compare) and self.condition:
            return self.compare(node)
        if isinstance(node, ast.BoolOp) and self.condition:
            return self.boolean(node)
        raise self.refuse(node)

    def name(self, node: ast.Name) -> _Fn:
        name = node.id
        if name in FUNCTIONS:
            raise ExpressionError(f"uses {name} without calling it: write {name}(...)")
        if name not in self.known:
            listed = _listing(sorted(self.known))
            raise ExpressionError(
                f"uses {name!r}, which is not a parameter{did_you_mean(name, self.known)}; "
                f"the parameters are {listed}"
            )
        self.used.add(name)
        return lambda values: values[name]

    def unary(self, node: ast.UnaryOp) -> _Fn:
        operand = self.build(node.operand)
        if isinstance(node.op, ast.USub):
            return lambda values: -operand(values)
        if isinstance(node.op, ast.UAdd):
            return operand
        if isinstance(node.op, ast.Not) and self.condition:
            return lambda values: not operand(values)
        raise self.refuse(node.op)

    def call(self, node: ast.Call) -> _Fn:
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            raise self.refuse(node)
        name = node.func.id
        function, fewest, most = FUNCTIONS[name]
        if node.keywords:
            raise self.refuse(node.keywords[0], f" in {name}()")
        count = len(node.args)
        if count < fewest or (most is not None and count > most):
            if most is None:
                wanted = f"at least {fewest} values"
            elif fewest == most:
                wanted = f"{fewest} value"
            else:
                wanted = f"{fewest} or {most} values"
            raise ExpressionError(f"calls {name}() with {count}, but {name}() takes {wanted}")
        if name == "round" and count == 2:
            digits = node.args[1]
            if not (
                isinstance(digits, ast.Constant)
                and type(digits.value) is int
                and 0 <= digits.value <= MAX_ROUND_DIGITS
            ):
                raise ExpressionError(
                    f"calls round(x, n) with n not a whole number from 0 to {MAX_ROUND_DIGITS}: "
                    "write it as a number, like round(x, 1)"
                )
        args = [self.build(arg) for arg in node.args]
        return lambda values: function(*(arg(values) for arg in args))

    def compare(self, node: ast.Compare) -> _Fn:
        ops = []
        for op in node.ops:
            fn = _COMPARE.get(type(op))
            if fn is None:
                raise self.refuse(op)
            ops.append(fn)
        left = self.build(node.left)
        rights = [self.build(c) for c in node.comparators]

        def compare(values: Values) -> bool:
            current = left(values)
            for op, right in zip(ops, rights, strict=True):
                following = right(values)
                if not op(current, following):
                    return False
                current = following
            return True

        return compare

    def boolean(self, node: ast.BoolOp) -> _Fn:
        parts = [self.build(v) for v in node.values]
        if isinstance(node.op, ast.And):

            def both(values: Values) -> bool:
                for part in parts:
                    if not part(values):
                        return False
                return True

            return both

        def either(values: Values) -> bool:
            for part in parts:
                if part(values):
                    return True
            return False

        return either


def _construct_name(node: ast.AST) -> str:
    if type(node) in _CONSTRUCT_NAMES:
        return _CONSTRUCT_NAMES[type(node)]
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool):
            return str(node.value)
        if isinstance(node.value, str):
            return f"text ({node.value!r})"
        return repr(node.value)
    if isinstance(node, ast.Call):
        if isinstance(node.func, ast.Name):
            return f"the function {node.func.id}()"
        return "a call"
    if isinstance(node, ast.Compare | ast.cmpop):
        return "a comparison"
    if isinstance(node, ast.BoolOp | ast.Not):
        return "and/or/not"
    if isinstance(node, ast.keyword):
        return f"a named argument ({node.arg}=)"
    return f"a {type(node).__name__}"


def _listing(names: list[str]) -> str:
    if not names:
        return "none"
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " and " + names[-1]
