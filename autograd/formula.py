"""Formulas as text, such as "tanh(x1*w1 + x2*w2 + b)", turned into a computation graph safely.

The text is read by Python's own parser (`ast.parse`, which only builds a syntax tree and runs
nothing), and then every node of that tree is checked against a whitelist:

    numbers            2, 0.5, 1e-3        (int or float; not True/False, not complex)
    names              x1, w, b            (each name becomes one labelled leaf Value)
    operators          a + b, a - b, a * b, a / b, a ** b, -a, +a, and parentheses
    function calls     exp(x), log(x), tanh(x), relu(x), sigmoid(x), sqrt(x), abs(x), sin(x),
                       cos(x), leaky_relu(x) or leaky_relu(x, slope)   (by name, no keywords)

The whole formula may name its output, `o = tanh(x*w + b)` (NAME = EXPR); unnamed, the output is
called L. Anything else (attributes, subscripts, strings, lambdas, comprehensions, comparisons,
...) is a `FormulaError`, and so is every other way a formula can fail: a syntax error, a missing
value, a domain error such as log(-1). The tree is then evaluated by walking it with the engine's
own operators; user text never reaches eval, exec or compile.

NOTE: numbers are floats from the start, so a power costs the same for any exponent:
9**9**9 is 9.0 ** 387420489.0, a float overflow the engine reports, never a huge integer.
A number combined only with numbers is folded into one number (with the engine's domain checks),
so, as in the rest of the engine, constants shape the local derivatives but are not nodes.
"""

from __future__ import annotations

import ast
import difflib
import keyword
import math
import unicodedata
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from autograd.graph import topological_order
from autograd.snapshot import node_names
from autograd.value import Value, no_grad

MAX_LENGTH = 2_000  # characters; a formula longer than this is not a teaching example
MAX_NESTING = 50  # parentheses inside parentheses (Python's own parser stops at 200)
MAX_UNARY_RUN = 20  # signs in a row, as in ---x (a long run exhausts the parser's stack)

# The functions a formula may call: name -> (the Value method, most arguments; at least 1).
# Built from a fixed list of names, so only methods that exist on Value appear.
_CANDIDATES = {
    "exp": 1, "log": 1, "tanh": 1, "relu": 1, "sigmoid": 1, "sqrt": 1, "abs": 1, "sin": 1,
    "cos": 1, "leaky_relu": 2,  # leaky_relu(x, slope): slope is a number, 0.01 if left out
}
FUNCTIONS: dict[str, tuple[Callable[..., Value], int]] = {
    name: (getattr(Value, name), most)
    for name, most in _CANDIDATES.items()
    if callable(getattr(Value, name, None))
}

_OPERATORS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_WORD_END = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_).")
_SUPPORTED = "numbers, names, + - * / **, parentheses and " + ", ".join(FUNCTIONS)


class FormulaError(ValueError):
    """Anything wrong with a formula or its values, with the column it concerns (0-based,
    None when the problem is not at one place in the text, e.g. a bad NAME=VALUE argument)."""

    def __init__(self, message: str, column: int | None = None, text: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.column = column
        self.text = text

    def __str__(self) -> str:
        if self.column is None:
            return self.message
        return f"column {self.column + 1}: {self.message}"

    def pointer(self, width: int = 76) -> str:
        """Two lines: the formula (a window around the column if it is long) and a caret under
        the column; empty when there is no column."""
        if self.column is None or self.text is None:
            return ""
        text, column = self.text, min(self.column, len(self.text))
        start = max(0, min(column - width // 2, len(text) - width))
        shown = "".join(  # control characters would garble the terminal: show them as '?'
            "?" if unicodedata.category(ch).startswith("C") else ch
            for ch in text[start:start + width]
        )
        prefix = "..." if start > 0 else ""
        suffix = "..." if start + width < len(text) else ""
        return f"{prefix}{shown}{suffix}\n{' ' * (len(prefix) + column - start)}^"


@dataclass(frozen=True)
class Formula:
    """A checked formula: its text, its syntax tree (of the expression), its names in order of
    appearance, and the output's name when the formula gives one (`o = ...`; else "")."""

    text: str
    tree: ast.Expression
    names: tuple[str, ...]
    output: str = ""


@dataclass(frozen=True)
class Graph:
    """A formula evaluated into the engine's graph.

    `root` is the output Value; `inputs` maps each name to its leaf, in order of appearance;
    `sources` maps nodes to the piece of formula text that computed them.
    """

    formula: Formula
    root: Value
    inputs: dict[str, Value]
    sources: dict[Value, str]


# ---------------------------------------------------------------------------------------------
# Parsing: text -> a whitelisted syntax tree.


def _char_column(text: str, byte_offset: int) -> int:
    """ast counts columns in UTF-8 bytes; the caret needs characters."""
    return len(text.encode("utf-8")[:byte_offset].decode("utf-8", errors="ignore"))


def _check_text(text: object) -> str:
    """Checks that need no parsing: type, length, characters, nesting. Returns the text with
    line breaks and tabs turned into spaces (one for one, so columns stay put)."""
    if not isinstance(text, str):
        raise FormulaError(f"a formula must be a str, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise FormulaError(
            f"the formula is {len(text):,} characters long; the limit is {MAX_LENGTH:,}"
        )
    if not text.strip():
        raise FormulaError("the formula is empty; try something like \"tanh(x*w + b)\"")
    text = "".join(" " if ch in "\t\n\r\f\v" else ch for ch in text)
    depth, run = 0, 0
    for i, ch in enumerate(text):
        if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn"):
            raise FormulaError(f"unexpected control character {ch!r}", i, text)
        if ch in "([{":
            depth += 1
            if depth > MAX_NESTING:
                raise FormulaError(
                    f"too deeply nested: more than {MAX_NESTING} brackets inside one another",
                    i, text,
                )
        elif ch in ")]}":
            depth -= 1
        if ch in "+-~":
            run += 1
            if run > MAX_UNARY_RUN:
                raise FormulaError(f"more than {MAX_UNARY_RUN} signs in a row", i, text)
        elif ch != " ":
            run = 0
    return text


def _syntax_error(e: SyntaxError, text: str) -> FormulaError:
    """Python's syntax error as a FormulaError, reworded where the formula grammar differs."""
    column = max(0, (e.offset or 1) - 1) if e.lineno in (None, 1) else 0
    column = min(column, len(text))
    ch = text[column] if column < len(text) else ""
    message = e.msg
    if ch == ";":
        message = "a formula is one expression; ';' (several statements) is not allowed"
    elif ch == "=" or text[column:column + 2] == ":=":
        message = (
            "assignments are not allowed in a formula; give the values separately, as "
            "NAME=VALUE (e.g. x=2 y=3)"
        )
    elif "forgot a comma" in message or (
        message == "invalid syntax"
        and (ch.isalnum() or ch in "_(")
        and (text[:column].rstrip()[-1:] or " ") in _WORD_END
    ):
        message = "invalid syntax: a missing operator? (write 2*x or x*y, not 2 x or x y)"
    elif ch == "*" and message == "invalid syntax":
        message = "invalid syntax: '*' needs something on its left (and *x is not allowed)"
    elif message.startswith("invalid decimal literal"):
        message = "invalid number (write 2*x, not 2x)"
    return FormulaError(f"syntax error: {message}", column, text)


def _problem(node: ast.AST, func_positions: set[int], text: str) -> str | None:
    """Why `node` is not allowed in a formula, or None if it is."""
    if isinstance(node, (ast.Expression, ast.Load, ast.USub, ast.UAdd)):
        return None
    if type(node) in _OPERATORS:
        return None
    if isinstance(node, (ast.Store, ast.Del)):
        return "assignments are not allowed in a formula; give values as NAME=VALUE"
    if isinstance(node, ast.BinOp):
        if type(node.op) in _OPERATORS:
            return None
        if isinstance(node.op, ast.BitXor):
            left, right = (_segment(text, side) for side in (node.left, node.right))
            return f"use ** for a power (^ is XOR): write {left}**{right}"
        return f"the operator {_op_symbol(node.op)} is not supported; use + - * / **"
    if isinstance(node, ast.UnaryOp):
        if isinstance(node.op, (ast.USub, ast.UAdd)):
            return None
        return f"the operator {_op_symbol(node.op)} is not supported; use + - * / **"
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool):
            return f"{value} is not a number here; use 1 or 0"
        if isinstance(value, (int, float)):
            return None
        if isinstance(value, (str, bytes)):
            return "strings are not allowed in a formula"
        if isinstance(value, complex):
            return "complex numbers are not supported; values are real numbers"
        return f"{value!r} is not allowed in a formula; only numbers and names"
    if isinstance(node, ast.Name):
        if node.id in FUNCTIONS and id(node) not in func_positions:
            return f"{node.id} is a function: call it, as in {node.id}(x)"
        return None
    if isinstance(node, ast.Call):
        return _call_problem(node, text)
    if isinstance(node, ast.Attribute):
        return f"attribute access (.{node.attr}) is not allowed in a formula"
    if isinstance(node, ast.Subscript):
        return "subscripts (x[...]) are not allowed in a formula"
    if isinstance(node, ast.Lambda):
        return "lambda is not allowed in a formula"
    if isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
        return "comprehensions are not allowed in a formula"
    if isinstance(node, ast.NamedExpr):
        return "assignments (:=) are not allowed in a formula; give values as NAME=VALUE"
    if isinstance(node, (ast.JoinedStr, ast.FormattedValue)):
        return "strings are not allowed in a formula"
    if isinstance(node, ast.Compare):
        return "comparisons (<, ==, ...) are not supported in a formula"
    if isinstance(node, ast.BoolOp):
        return "'and' / 'or' are not supported in a formula"
    if isinstance(node, ast.IfExp):
        return "conditional expressions (a if c else b) are not supported; try relu or abs"
    if isinstance(node, ast.Tuple):
        return "tuples are not allowed; a formula is one expression (no commas outside calls)"
    if isinstance(node, (ast.List, ast.Set, ast.Dict)):
        return "lists, sets and dicts are not allowed in a formula"
    if isinstance(node, ast.Starred):
        return "starred arguments (*x) are not allowed in a formula"
    if isinstance(node, ast.keyword):
        return "keyword arguments are not allowed; write tanh(x), not tanh(x=...)"
    return f"{type(node).__name__} is not allowed in a formula; it may hold {_SUPPORTED}"


def _op_symbol(op: ast.AST) -> str:
    symbols = {
        ast.FloorDiv: "//", ast.Mod: "%", ast.MatMult: "@", ast.LShift: "<<", ast.RShift: ">>",
        ast.BitOr: "|", ast.BitXor: "^", ast.BitAnd: "&", ast.Not: "not", ast.Invert: "~",
    }
    return symbols.get(type(op), type(op).__name__)


def _segment(text: str, node: ast.AST) -> str:
    """The formula text of `node` (a few words at most)."""
    segment = ast.get_source_segment(text, node) or "x"
    return segment if len(segment) <= 30 else segment[:27] + "..."


def _min_max_problem(node: ast.Call, text: str) -> str:
    """max and min are no ops of the engine; say how to write them with relu and abs."""
    name = node.func.id
    args = [_segment(text, a) for a in node.args]
    zero = [i for i, a in enumerate(node.args)
            if isinstance(a, ast.Constant) and a.value == 0 and not isinstance(a.value, bool)]
    if len(args) == 2 and len(zero) == 1:  # max(x, 0) or min(x, 0)
        x = args[1 - zero[0]]
        x_paren = x if x.isidentifier() else f"({x})"
        instead = f"relu({x})" if name == "max" else f"-relu(-{x_paren})"
        return f"{name} is not a formula function: for {name}({', '.join(args)}) write {instead}"
    if name == "max":
        return ("max is not a formula function: for max(x, 0) write relu(x); max(a, b) is "
                "(a + b + abs(a - b))/2")
    return ("min is not a formula function: for min(x, 0) write -relu(-x); min(a, b) is "
            "(a + b - abs(a - b))/2")


def _call_problem(node: ast.Call, text: str) -> str | None:
    if not isinstance(node.func, ast.Name):
        if isinstance(node.func, ast.Attribute):
            return f"attribute access (.{node.func.attr}) is not allowed in a formula"
        return f"only the functions {', '.join(FUNCTIONS)} can be called, by name"
    name = node.func.id
    if name in ("max", "min"):
        return _min_max_problem(node, text)
    if name not in FUNCTIONS:
        close = difflib.get_close_matches(name, FUNCTIONS, n=2, cutoff=0.6)
        hint = (
            f"; did you mean {' or '.join(close)}?" if close
            else f"; to multiply, write {name}*(...)"
        )
        return f"unknown function {name!r}{hint} (the functions: {', '.join(FUNCTIONS)})"
    if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
        return None  # the keyword or starred node itself is reported, at its own column
    most = FUNCTIONS[name][1]
    if not 1 <= len(node.args) <= most:
        usage = f"{name}(x)" if most == 1 else f"{name}(x) or {name}(x, slope)"
        n = len(node.args)
        return f"{name} takes {'1 argument' if most == 1 else '1 or 2 arguments'}, got {n}: " \
               f"write {usage}"
    return None


def parse(text: str) -> Formula:
    """Check `text` and return its `Formula`; raise `FormulaError` if it is not one.

    `text` is an expression, or NAME = EXPR to name the output (o = tanh(x*w + b)).
    """
    text = _check_text(text)
    equals = _assignment(text)
    tree = _parse_tree(text, equals)
    output = ""
    if equals is not None:
        output, tree = _output_and_expression(text, equals, tree)

    # Breadth first with a queue, never recursion: a tree can be as deep as the text is long.
    # Nodes without a position of their own (operators, contexts) take their parent's.
    located: list[tuple[ast.AST, int]] = [(tree, 0)]
    for node, byte in located:
        located.extend(
            (child, getattr(child, "col_offset", byte)) for child in ast.iter_child_nodes(node)
        )
    nodes = [node for node, _ in located]
    func_positions = {id(n.func) for n in nodes if isinstance(n, ast.Call)}
    problems = []
    for order, (node, byte) in enumerate(located):
        why = _problem(node, func_positions, text)
        if why is not None:
            column = _char_column(text, byte)
            if isinstance(node, (ast.Attribute, ast.Subscript)):  # point at the '.' or '['
                column = _char_column(text, node.value.end_col_offset or byte)
            elif isinstance(node, ast.BinOp):  # at the operator: x ^ 2 is flagged at the ^
                column = _operator_column(text, node)
            problems.append((byte, order, column, why))
    if problems:
        _, _, column, why = min(problems)  # the leftmost problem; the outermost on a tie
        raise FormulaError(why, column, text)

    names: dict[str, None] = {}
    for node in sorted(
        (n for n in nodes if isinstance(n, ast.Name) and id(n) not in func_positions),
        key=lambda n: n.col_offset,
    ):
        names.setdefault(node.id, None)
    for node in nodes:  # numbers that do not fit a float
        if isinstance(node, ast.Constant) and not math.isfinite(_to_float(node.value)):
            raise FormulaError(
                "this number is too large for a float (the limit is about 1.8e308)",
                _char_column(text, node.col_offset), text,
            )
    if output in names:
        raise FormulaError(f"{output} names the output and is also an input of the formula; "
                           "give the output another name", 0, text)
    return Formula(text, tree, tuple(names), output)


def _parse_tree(text: str, equals: int | None) -> ast.AST:
    """Python's syntax tree of the text: an expression, or (with an `=` at column `equals`)
    one assignment statement. Leading spaces are no indent: they are left out of the parse and
    added back to every offset, so offsets are those of the text itself."""
    body = text.lstrip(" ")
    shift = len(text) - len(body)  # spaces: as many bytes as characters
    try:
        # NOTE: the compiler warns about some texts (a string with "\d", `1 is 1`); the
        # whitelist refuses those anyway, and a warning printed to stderr would only confuse.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(body, mode="eval" if equals is None else "exec")
    except SyntaxError as e:
        if e.offset is not None and e.lineno in (None, 1):
            e.offset += shift
        raise _syntax_error(e, text) from None
    except (RecursionError, MemoryError):
        raise FormulaError("the formula is too deeply nested to parse", None, text) from None
    except ValueError as e:  # e.g. null bytes, if any slipped through
        raise FormulaError(f"cannot parse the formula: {e}", None, text) from None
    if shift:
        nodes = [tree]  # every node, breadth first (ast.walk would import at each call)
        for node in nodes:
            nodes.extend(ast.iter_child_nodes(node))
            for field in ("col_offset", "end_col_offset"):
                if getattr(node, field, None) is not None:
                    setattr(node, field, getattr(node, field) + shift)
    return tree


_COMPOUND = set("=!<>:+-*/%@&|^")  # characters that make `=` part of another operator


def _assignment(text: str) -> int | None:
    """The column of the `=` of NAME = EXPR (outside brackets, not part of ==, <=, +=, :=,
    ...), or None. The text before it is then checked to be a plain name."""
    depth = 0
    for i, ch in enumerate(text):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif (ch == "=" and depth == 0 and text[i - 1:i] not in _COMPOUND
              and text[i + 1:i + 2] != "="):
            target = text[:i].strip()
            where = len(text[:i]) - len(text[:i].lstrip())
            name = unicodedata.normalize("NFKC", target)
            if not name.isidentifier() or keyword.iskeyword(name) or name in FUNCTIONS:
                shown = f"'{target}'" if target else "nothing"
                raise FormulaError(
                    f"before '=' comes the output's name, a plain name such as o "
                    f"(o = tanh(x*w + b)); got {shown}", where if target else i, text,
                )
            if not text[i + 1:].strip():
                raise FormulaError(f"nothing after '=': write the formula there, e.g. "
                                   f"{target} = tanh(x*w + b)", i, text)
            return i
    return None


def _output_and_expression(text: str, equals: int, module: ast.Module) -> tuple[str, ast.AST]:
    """NAME = EXPR, parsed as a statement: the output's name and EXPR as an ast.Expression."""
    statement = module.body[0] if len(module.body) == 1 else None
    if not isinstance(statement, ast.Assign) or len(statement.targets) != 1:
        extra = text.find("=", equals + 1) if statement is not None else text.find(";")
        why = ("a formula is one expression; ';' (several statements) is not allowed"
               if statement is None else "one '=' only: write o = EXPR, and the values apart, "
               "as NAME=VALUE (e.g. x=2 y=3)")
        raise FormulaError(why, max(extra, 0), text)
    target, value = statement.targets[0], statement.value
    if not isinstance(target, ast.Name):  # ruled out by _assignment; checked again here
        raise FormulaError("before '=' comes the output's name, a plain name such as o", 0, text)
    if isinstance(value, ast.Constant) or (
        isinstance(value, ast.UnaryOp) and isinstance(value.operand, ast.Constant)
    ):
        raise FormulaError(
            f"{text.strip()} looks like a value, not a formula: give the formula first, then "
            "the values, e.g. \"x*y\" x=2 y=3 (to name the output: \"o = x*y\" x=2 y=3)",
            equals, text,
        )
    return target.id, ast.Expression(body=value)


def _to_float(number: int | float) -> float:
    try:
        return float(number)
    except OverflowError:
        return math.inf


# ---------------------------------------------------------------------------------------------
# Values: NAME=VALUE arguments -> {name: float}.


def parse_assignments(pairs: Iterable[str]) -> dict[str, float]:
    """`["x=2", "w=-3"]` -> `{"x": 2.0, "w": -3.0}`; FormulaError on anything else.

    A name is a Python identifier (normalized as Python normalizes names in the formula, so
    the two always match) and not a function name; a value is a finite float; a name is
    given at most once.
    """
    values: dict[str, float] = {}
    raw: dict[str, str] = {}
    for pair in pairs:
        if not isinstance(pair, str):
            raise FormulaError(f"a value must be given as a 'NAME=VALUE' str, got {pair!r}")
        name, eq, number = pair.partition("=")
        name = unicodedata.normalize("NFKC", name.strip())
        if not eq:
            raise FormulaError(f"expected NAME=VALUE, got {pair!r:.60}")
        if not name.isidentifier() or keyword.iskeyword(name):
            raise FormulaError(f"{pair!r:.60}: {name!r:.40} is not a valid name")
        if name in FUNCTIONS:
            raise FormulaError(f"{pair!r:.60}: {name} is a function, not a name for a value")
        try:
            value = float(number)
        except ValueError:
            raise FormulaError(f"{pair!r:.60}: {number.strip()!r:.40} is not a number") from None
        if not math.isfinite(value):
            raise FormulaError(f"{pair!r:.60}: the value must be a finite number")
        if name in values:
            raise FormulaError(f"{name} is given twice ({raw[name]} and {pair.strip()})")
        values[name], raw[name] = value, pair.strip()
    return values


# ---------------------------------------------------------------------------------------------
# Evaluation: the checked tree -> the engine's graph.


def _children(node: ast.AST) -> Sequence[ast.AST]:
    if isinstance(node, ast.BinOp):
        return (node.left, node.right)
    if isinstance(node, ast.UnaryOp):
        return (node.operand,)
    if isinstance(node, ast.Call):
        return node.args
    return ()


def _operator_column(text: str, node: ast.BinOp) -> int:
    """The column of the operator symbol itself (between the operands), for the caret."""
    start = _char_column(text, node.left.end_col_offset or 0)
    end = _char_column(text, node.right.col_offset)
    symbol = _OPERATORS.get(type(node.op)) or _op_symbol(node.op)
    found = text.find(symbol, start, end)
    return found if found >= 0 else _char_column(text, node.col_offset)


def _apply(node: ast.AST, args: list[Value | float]) -> Value | float:
    """One node of the tree: the engine's operator or function on its evaluated children.

    Numbers combined only with numbers go through the engine too (under no_grad, the first one
    as a Value, the others as plain numbers), so they get the same domain checks and messages,
    and stay plain numbers: constants, not nodes.
    """
    if not any(isinstance(a, Value) for a in args):
        with no_grad():
            return _apply(node, [Value(args[0]), *args[1:]]).data
    if isinstance(node, ast.BinOp):
        a, b = args
        op = type(node.op)
        if op is ast.Add:
            return a + b
        if op is ast.Sub:
            return a - b
        if op is ast.Mult:
            return a * b
        if op is ast.Div:
            return a / b
        return a**b  # x ** number, number ** x (base > 0), x ** y (base > 0)
    if isinstance(node, ast.UnaryOp):
        (a,) = args
        return -a if isinstance(node.op, ast.USub) else a
    if isinstance(node, ast.Call):
        x, *rest = args
        if any(isinstance(r, Value) for r in rest):
            raise ValueError(f"{node.func.id}(x, slope): the slope must be a number, not a name")
        return FUNCTIONS[node.func.id][0](x, *rest)
    raise AssertionError(f"unchecked node {type(node).__name__}")  # parse() rules this out


def _error_column(text: str, node: ast.AST) -> int:
    if isinstance(node, ast.BinOp):
        return _operator_column(text, node)
    return _char_column(text, node.col_offset)


def build(formula: Formula | str, values: Mapping[str, float]) -> Graph:
    """Evaluate `formula` with `values` (name -> number) into the engine's graph.

    Every name of the formula needs a value, and every value a name of the formula (an unused
    value is most likely a typo). Domain errors of the engine (log of a negative number,
    division by zero, overflow) become FormulaErrors pointing at the op.

    Every computed node gets the label the trace, the picture and the page would give it
    (`autograd.snapshot.node_names`): the root the formula's own name for it (`o = ...`), else
    L; the others v1, v2, ... in reading order; a name already taken by an input gets a
    trailing underscore instead, so no two nodes share one.
    """
    if not isinstance(formula, Formula):
        formula = parse(formula)
    text = formula.text
    missing = [name for name in formula.names if name not in values]
    extra = [name for name in values if name not in formula.names]
    if missing:
        hints = []
        for name in missing:
            close = difflib.get_close_matches(name, extra, n=1, cutoff=0.5)
            if close:
                hints.append(f"did you mean {name}= instead of {close[0]}=?")
        first = min(
            (n for n in ast.walk(formula.tree) if isinstance(n, ast.Name) and n.id == missing[0]),
            key=lambda n: n.col_offset,
        )
        example = " ".join(f"{name}=1.0" for name in missing[:4])
        raise FormulaError(
            f"no value for {', '.join(missing)}; give {'it' if len(missing) == 1 else 'them'} "
            f"as NAME=VALUE after the formula, e.g. {example}"
            + ("  (" + "; ".join(hints) + ")" if hints else ""),
            _char_column(text, first.col_offset), text,
        )
    if extra:
        known = ", ".join(formula.names) or "none"
        raise FormulaError(
            f"{', '.join(extra)} {'is' if len(extra) == 1 else 'are'} given a value but "
            f"not in the formula (its names: {known})"
        )

    inputs = {name: Value(float(values[name]), label=name) for name in formula.names}
    sources: dict[Value, str] = {}
    # NOTE: the text is one line and ast counts UTF-8 bytes, so a node's source is a slice of
    # the encoded text (ast.get_source_segment rescans the text each time: quadratic)
    encoded = text.encode("utf-8")
    results: dict[int, Value | float] = {}
    stack: list[tuple[ast.AST, bool]] = [(formula.tree.body, False)]
    while stack:  # post-order, with an explicit stack: no recursion however deep the tree
        node, children_done = stack.pop()
        children = _children(node)
        if not children_done and children:
            stack.append((node, True))
            stack.extend((child, False) for child in reversed(children))
            continue
        if isinstance(node, ast.Name):
            out: Value | float = inputs[node.id]
        elif isinstance(node, ast.Constant):
            out = float(node.value)
        else:
            try:
                out = _apply(node, [results.pop(id(child)) for child in children])
            except (ValueError, ZeroDivisionError, OverflowError) as e:
                raise FormulaError(str(e), _error_column(text, node), text) from None
        if isinstance(out, Value) and out not in sources:
            sources[out] = encoded[node.col_offset:node.end_col_offset].decode("utf-8", "replace")
        results[id(node)] = out
    out = results[id(formula.tree.body)]
    root = out if isinstance(out, Value) else Value(out)
    sources.setdefault(root, text.strip())

    if formula.output:
        if not root.parents and root.label:  # o = x: the root is the input x itself
            raise FormulaError(f"{formula.output} = {root.label} only renames an input; a "
                               "formula needs an operation to name its output", 0, text)
        root.label = formula.output
    for node, name in node_names(topological_order(root)).items():
        if node.parents and not node.label:
            node.label = name
    return Graph(formula, root, inputs, sources)
