"""A small expression language for codebook rules, evaluated without Python's ``eval``.

A codebook rule such as ``auszug >= einzug`` or
``(ausgefuellt_am >= @fieldwork_start) & (ausgefuellt_am <= @fieldwork_end)``
is parsed with :mod:`ast` and checked against a whitelist; it is then
evaluated node by node on pandas Series. A codebook can therefore describe a
consistency check, but never run code: no attributes (except the date parts
``<item>.dt.year|month|day``), no calls except the helpers below, no
subscripts, no lambdas, no names other than the codebook's items and the
manifest's ``@fieldwork_start``/``@fieldwork_end``.

Grammar
-------
- names: codebook items (and multiple-choice option columns ``<item>_<code>``);
  ``@fieldwork_start`` and ``@fieldwork_end``
- literals: numbers, text in quotes, ``True``/``False``; ``date("2021-06-14")``
- comparison ``== != < <= > >=`` (also chained), ``in``/``not in`` a list of literals
- logic ``and or not`` and their element-wise spellings ``& | ~``
- arithmetic ``+ - * / // %`` and unary ``-``
- helpers: ``isna(x)``, ``notna(x)``, ``abs(x)``, ``year(x)``, ``month(x)``,
  ``day(x)``, ``date("YYYY-MM-DD")``

Comparisons with an empty value are false, as in pandas.
"""

from __future__ import annotations

import ast
import io
import operator
import tokenize
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from welcome_eval.errors import WelcomeEvalError

__all__ = [
    "CONTEXT_NAMES",
    "FUNCTIONS",
    "MAX_EXPRESSION_CHARS",
    "MAX_NODES",
    "Expression",
    "RuleError",
    "compile_rule",
]

#: Names a rule may refer to with ``@``, provided by the manifest.
CONTEXT_NAMES = ("fieldwork_start", "fieldwork_end")
#: Longest rule expression and most syntax nodes in one rule.
MAX_EXPRESSION_CHARS = 2_000
MAX_NODES = 300
_CONTEXT_PREFIX = "_at_"
_DATE_PARTS = ("year", "month", "day")


class RuleError(WelcomeEvalError, ValueError):
    """A rule expression uses something outside the rule language."""


_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}
_ARITHMETIC: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
}
_LOGIC: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.BitAnd: operator.and_,
    ast.BitOr: operator.or_,
}


def _isna(value: Any) -> Any:
    return value.isna() if isinstance(value, pd.Series) else pd.isna(value)


def _notna(value: Any) -> Any:
    return value.notna() if isinstance(value, pd.Series) else not pd.isna(value)


def _date_part(part: str) -> Callable[[Any], Any]:
    def get(value: Any) -> Any:
        if isinstance(value, pd.Series):
            return getattr(pd.to_datetime(value).dt, part)
        return getattr(pd.Timestamp(value), part)

    return get


def _date(text: Any) -> pd.Timestamp:
    return pd.Timestamp(text)


#: Helpers a rule may call, with the number of arguments they take.
FUNCTIONS: dict[str, tuple[int, Callable[[Any], Any]]] = {
    "isna": (1, _isna),
    "notna": (1, _notna),
    "abs": (1, abs),
    "year": (1, _date_part("year")),
    "month": (1, _date_part("month")),
    "day": (1, _date_part("day")),
    "date": (1, _date),
}


def _describe(node: ast.AST, source: str) -> str:
    text = ast.get_source_segment(source, node) or type(node).__name__
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{type(node).__name__} {text!r}"


def _rewrite_context(expression: str) -> str:
    """``@fieldwork_end`` -> ``_at_fieldwork_end``; any other ``@`` or ``_name`` is refused.

    The expression is one line, so token columns are character positions and
    everything else stays as written (for readable error messages).
    """
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(expression).readline))
    except (tokenize.TokenError, SyntaxError) as exc:
        raise RuleError(f"not a valid expression ({exc})") from None
    positions: list[int] = []
    for token, following in zip(tokens, [*tokens[1:], None], strict=True):
        if token.type == tokenize.NAME and token.string.startswith("_"):
            raise RuleError(f"forbidden name {token.string!r} (names may not start with '_')")
        if token.type == tokenize.OP and token.string == "@=":
            raise RuleError("forbidden construct '@=' (assignment)")
        if token.type == tokenize.OP and token.string == "@":
            name = following.string if following is not None else ""
            if (
                following is None
                or following.type != tokenize.NAME
                or name not in CONTEXT_NAMES
                or following.start[1] != token.end[1]
            ):
                raise RuleError(
                    f"forbidden construct '@{name}': '@' may only precede "
                    f"{', '.join(CONTEXT_NAMES)}"
                )
            positions.append(token.start[1])
    for position in reversed(positions):
        expression = expression[:position] + _CONTEXT_PREFIX + expression[position + 1 :]
    return expression


@dataclass(frozen=True)
class Expression:
    """A checked rule expression, ready to be evaluated on a frame of values."""

    source: str
    tree: ast.Expression
    #: Codebook columns the expression reads, sorted.
    names: tuple[str, ...]
    #: Manifest values it needs (``fieldwork_start``, ``fieldwork_end``).
    context: tuple[str, ...]

    def evaluate(self, values: pd.DataFrame, context: Mapping[str, Any]) -> pd.Series:
        """The rule's truth value per row of ``values`` (empty -> False)."""
        result = _Evaluator(values, context).visit(self.tree.body)
        if not isinstance(result, pd.Series):
            result = pd.Series(bool(result), index=values.index)
        return result.fillna(False).astype(bool)


def compile_rule(
    expression: str, columns: Collection[str], text_columns: Collection[str] = ()
) -> Expression:
    """Parse and check a rule expression; :class:`RuleError` names what is not allowed.

    ``columns`` are the names the rule may use (the codebook's columns);
    ``text_columns`` those holding text, which take no arithmetic (``ideen * 10**9``
    would build gigabytes of text), as text literals take none.

    Examples
    --------
    >>> compile_rule("auszug >= einzug", {"auszug", "einzug"}).names
    ('auszug', 'einzug')
    >>> compile_rule("__import__('os')", {"a"})
    Traceback (most recent call last):
    ...
    welcome_eval.ingest.rules.RuleError: forbidden name '__import__' (names may not start with '_')
    """
    if not isinstance(expression, str):
        raise RuleError("the expression must be text")
    if len(expression) > MAX_EXPRESSION_CHARS:
        raise RuleError(
            f"the expression has {len(expression)} characters, more than {MAX_EXPRESSION_CHARS}"
        )
    if "\n" in expression.strip() or ";" in expression:
        raise RuleError("the expression must be a single expression on one line")
    source = _rewrite_context(expression)
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as exc:
        raise RuleError(f"not a valid expression ({exc.msg})") from None
    nodes = list(ast.walk(tree))
    if len(nodes) > MAX_NODES:
        raise RuleError(f"the expression has more than {MAX_NODES} parts")
    names: set[str] = set()
    context: set[str] = set()
    _Checker(source, set(columns), names, context, set(text_columns)).visit(tree.body)
    return Expression(
        source=expression, tree=tree, names=tuple(sorted(names)), context=tuple(sorted(context))
    )


class _Checker:
    """Walks the syntax tree and refuses every node the language does not have."""

    def __init__(
        self,
        source: str,
        columns: set[str],
        names: set[str],
        context: set[str],
        text_columns: set[str],
    ) -> None:
        self.source = source
        self.columns = columns
        self.names = names
        self.context = context
        self.text_columns = text_columns

    def is_text(self, node: ast.AST) -> bool:
        return (isinstance(node, ast.Constant) and isinstance(node.value, str)) or (
            isinstance(node, ast.Name) and node.id in self.text_columns
        )

    def forbid(self, node: ast.AST, why: str = "") -> RuleError:
        return RuleError(f"forbidden construct {_describe(node, self.source)}{why}")

    def visit(self, node: ast.AST, *, in_list: bool = False) -> None:
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool | int | float | str) or node.value is None:
                return
            raise self.forbid(node)
        if isinstance(node, ast.Name):
            if node.id.startswith(_CONTEXT_PREFIX):
                self.context.add(node.id.removeprefix(_CONTEXT_PREFIX))
            elif node.id in ("True", "False", "None"):
                return
            elif node.id in self.columns:
                self.names.add(node.id)
            elif node.id in FUNCTIONS:
                raise self.forbid(node, f": {node.id} is a function, call it as {node.id}(x)")
            else:
                raise RuleError(
                    f"unknown name {node.id!r}: not an item of the codebook "
                    f"(nor @{', @'.join(CONTEXT_NAMES)})"
                )
            return
        if isinstance(node, ast.BoolOp):
            for value in node.values:
                self.visit(value)
            return
        if isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, ast.Not | ast.USub | ast.UAdd | ast.Invert):
                raise self.forbid(node)
            if isinstance(node.op, ast.USub | ast.UAdd) and self.is_text(node.operand):
                raise self.forbid(node, ": no arithmetic with text")
            self.visit(node.operand)
            return
        if isinstance(node, ast.BinOp):
            if type(node.op) not in _ARITHMETIC and type(node.op) not in _LOGIC:
                raise self.forbid(node, " (allowed: + - * / // % & |)")
            if type(node.op) in _ARITHMETIC and (
                self.is_text(node.left) or self.is_text(node.right)
            ):
                raise self.forbid(node, ": no arithmetic with text")
            self.visit(node.left)
            self.visit(node.right)
            return
        if isinstance(node, ast.Compare):
            self.visit(node.left)
            for op, right in zip(node.ops, node.comparators, strict=True):
                if isinstance(op, ast.In | ast.NotIn):
                    if not isinstance(right, ast.List | ast.Tuple | ast.Set):
                        raise self.forbid(right, ": 'in' needs a list of values")
                    for element in right.elts:
                        if not isinstance(element, ast.Constant):
                            raise self.forbid(element, ": a list may hold only literals")
                        self.visit(element)
                elif type(op) in _COMPARE:
                    self.visit(right)
                else:
                    raise self.forbid(node, " (allowed: == != < <= > >= in, not in)")
            return
        if isinstance(node, ast.Call):
            function = node.func
            if not isinstance(function, ast.Name) or function.id not in FUNCTIONS:
                raise self.forbid(
                    node, f" (the only calls allowed are {', '.join(sorted(FUNCTIONS))})"
                )
            arity = FUNCTIONS[function.id][0]
            if node.keywords or len(node.args) != arity:
                raise self.forbid(node, f": {function.id} takes {arity} argument")
            if function.id == "date" and not (
                isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)
            ):
                raise self.forbid(node, ': date takes a text such as "2021-06-14"')
            if function.id == "date":
                try:
                    pd.Timestamp(node.args[0].value)  # type: ignore[attr-defined]
                except (ValueError, TypeError, OverflowError):
                    raise self.forbid(node, ': not a date such as "2021-06-14"') from None
            for argument in node.args:
                if isinstance(argument, ast.Starred):
                    raise self.forbid(argument)
                self.visit(argument)
            return
        if isinstance(node, ast.Attribute):
            # Only the pandas date accessor of an item: <item>.dt.year|month|day.
            inner = node.value
            if (
                node.attr in _DATE_PARTS
                and isinstance(inner, ast.Attribute)
                and inner.attr == "dt"
                and isinstance(inner.value, ast.Name)
                and inner.value.id in self.columns
            ):
                self.names.add(inner.value.id)
                return
            raise self.forbid(
                node, " (attributes are not allowed; only <item>.dt.year, .dt.month, .dt.day)"
            )
        raise self.forbid(node)


class _Evaluator:
    """Evaluates a checked tree on the values frame; nothing but the whitelisted nodes."""

    def __init__(self, values: pd.DataFrame, context: Mapping[str, Any]) -> None:
        self.values = values
        self.context = context

    def visit(self, node: ast.AST) -> Any:
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            if node.id.startswith(_CONTEXT_PREFIX):
                return self.context[node.id.removeprefix(_CONTEXT_PREFIX)]
            if node.id in ("True", "False", "None"):
                return {"True": True, "False": False, "None": None}[node.id]
            return self.values[node.id]
        if isinstance(node, ast.BoolOp):
            combine = operator.and_ if isinstance(node.op, ast.And) else operator.or_
            result = _as_bool(self.visit(node.values[0]))
            for value in node.values[1:]:
                result = combine(result, _as_bool(self.visit(value)))
            return result
        if isinstance(node, ast.UnaryOp):
            operand = self.visit(node.operand)
            if isinstance(node.op, ast.Not | ast.Invert):
                flag = _as_bool(operand)
                return ~flag if isinstance(flag, pd.Series) else not flag
            if isinstance(node.op, ast.USub):
                return -operand
            return +operand
        if isinstance(node, ast.BinOp):
            left, right = self.visit(node.left), self.visit(node.right)
            if type(node.op) in _LOGIC:
                return _LOGIC[type(node.op)](_as_bool(left), _as_bool(right))
            return _ARITHMETIC[type(node.op)](left, right)
        if isinstance(node, ast.Compare):
            left = self.visit(node.left)
            result: Any = True
            for op, right_node in zip(node.ops, node.comparators, strict=True):
                if isinstance(op, ast.In | ast.NotIn):
                    options = [element.value for element in right_node.elts]  # type: ignore[attr-defined]
                    if isinstance(left, pd.Series):
                        step = left.isin(options)
                        step = ~step if isinstance(op, ast.NotIn) else step
                    else:
                        step = (left in options) != isinstance(op, ast.NotIn)
                    right = None
                else:
                    right = self.visit(right_node)
                    step = _COMPARE[type(op)](left, right)
                    step = _as_bool(step)
                result = step if result is True else operator.and_(result, step)
                left = right
            return result
        if isinstance(node, ast.Call):
            name = node.func.id  # type: ignore[attr-defined]
            return FUNCTIONS[name][1](*(self.visit(a) for a in node.args))
        if isinstance(node, ast.Attribute):
            column = self.values[node.value.value.id]  # type: ignore[attr-defined]
            return getattr(pd.to_datetime(column).dt, node.attr)
        raise RuleError(f"cannot evaluate {type(node).__name__}")  # checked before; unreachable


def _as_bool(value: Any) -> Any:
    """Element-wise truth: empty (NA) counts as false."""
    if isinstance(value, pd.Series):
        if value.dtype == bool:
            return value
        return value.fillna(False).astype(bool)
    if value is None or value is pd.NA or value is pd.NaT:
        return False
    try:
        return bool(value)
    except (TypeError, ValueError):
        return False
