"""The formula parser: the lecture neuron, a table of hostile inputs, and a fuzz test showing
that the parser raises only its own error and never runs anything."""

from __future__ import annotations

import ast
import builtins
import math
import os
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd import Value, backward_steps
from autograd.formula import (
    FUNCTIONS,
    MAX_LENGTH,
    Formula,
    FormulaError,
    Graph,
    build,
    parse,
    parse_assignments,
)

NEURON = "tanh(x1*w1 + x2*w2 + b)"
NEURON_VALUES = ["x1=2", "x2=0", "w1=-3", "w2=1", "b=6.8813735870195432"]


def explain(text: str, **values: float) -> Graph:
    return build(text, values)


def grads(text: str, **values: float) -> dict[str, float]:
    graph = explain(text, **values)
    graph.root.backward()
    return {name: leaf.grad for name, leaf in graph.inputs.items()}


# ---------------------------------------------------------------------------------------------
# What a formula means.


def test_the_lecture_neuron():
    graph = build(NEURON, parse_assignments(NEURON_VALUES))
    assert list(graph.inputs) == ["x1", "w1", "x2", "w2", "b"]  # order of appearance
    assert graph.root.op == "tanh" and graph.root.data == pytest.approx(math.sqrt(0.5))
    steps = list(backward_steps(graph.root))
    assert len(steps) == 9
    g = {name: leaf.grad for name, leaf in graph.inputs.items()}
    assert g["x1"] == pytest.approx(-1.5) and g["w1"] == pytest.approx(1.0)
    assert g["x2"] == pytest.approx(0.5) and g["w2"] == 0.0 and g["b"] == pytest.approx(0.5)
    assert all(leaf.label == name for name, leaf in graph.inputs.items())
    assert graph.sources[graph.root] == NEURON


def test_nodes_are_named_as_the_trace_names_them_and_never_clash_with_inputs():
    graph = explain("tanh(x*w + b)", x=1.0, w=2.0, b=3.0)
    assert graph.root.label == "L"
    steps = list(backward_steps(graph.root))
    assert str(steps[0]).startswith("v2.grad += L.grad × ∂L/∂v2 = ")
    # in reading order, numbered 1, 2, ... (once v2 and v4: topological indices)
    neuron = build(NEURON, parse_assignments(NEURON_VALUES))
    computed = [node for node in _all_nodes(neuron.root) if node.parents]
    assert [node.label for node in computed] == ["v1", "v2", "v3", "v4", "L"]
    assert [neuron.sources[node] for node in computed[:3]] == [
        "x1*w1", "x2*w2", "x1*w1 + x2*w2"]
    clash = explain("v3 * L + v2", v3=1.0, L=2.0, v2=3.0)
    labels = [n.label for n in _all_nodes(clash.root)]
    assert len(labels) == len(set(labels)), labels
    assert clash.root.label == "L_" and clash.inputs["L"].label == "L"


def _all_nodes(root: Value) -> list[Value]:
    from autograd import topological_order

    return topological_order(root)


def test_operator_precedence_and_signs_follow_python():
    assert explain("2 + 3*x**2", x=4.0).root.data == 50.0
    assert explain("-x**2", x=2.0).root.data == -4.0  # -(x**2)
    assert explain("x**-1", x=2.0).root.data == 0.5
    assert explain("2**x**2", x=3.0).root.data == 512.0  # right-associative
    assert explain("x - 1 - 1", x=0.0).root.data == -2.0  # left-associative
    plus = explain("+x", x=5.0)
    assert plus.root is plus.inputs["x"]  # unary plus makes no node


def test_a_name_used_twice_is_one_leaf_that_gets_both_contributions():
    graph = explain("x*x + x", x=3.0)
    graph.root.backward()
    assert graph.inputs["x"].grad == 7.0  # d(x^2 + x)/dx = 2x + 1


def test_numbers_are_constants_folded_into_local_derivatives():
    graph = explain("x * (2 + 1)", x=5.0)
    assert graph.root.parents == (graph.inputs["x"],)
    assert graph.root.local_grads == (3.0,)
    assert explain("(-2)**2 * x", x=1.0).root.data == 4.0  # integer power of a negative number
    const = explain("exp(0) + 2*3")
    assert const.root.data == 7.0 and const.inputs == {} and not const.root.parents


def test_every_function_is_the_engines_own():
    x = 0.7
    for name in FUNCTIONS:
        graph = explain(f"{name}(x)", x=x)
        expected = getattr(Value(x), name)()
        assert graph.root.op == expected.op and graph.root.data == expected.data, name
        assert graph.root.local_grads == expected.local_grads, name
    slope = explain("leaky_relu(x, 0.2)", x=-1.0)
    assert slope.root.data == pytest.approx(-0.2) and slope.root.local_grads == (0.2,)


def test_line_breaks_and_tabs_are_spaces():
    assert explain("(x +\n\ty)", x=1.0, y=2.0).root.data == 3.0


def test_unicode_names_and_columns_in_characters():
    assert explain("θ * 2", θ=1.5).root.data == 3.0
    with pytest.raises(FormulaError) as e:
        parse("αβγ + x.y")
    assert e.value.column == 7  # the dot, in characters (in UTF-8 bytes, as ast counts: 10)
    assert parse_assignments(["ｘ=3"]) == {"x": 3.0}  # NFKC, as Python normalizes the formula


def test_name_equals_expr_names_the_output():
    graph = build("o = tanh(x1*w1 + x2*w2 + b)", parse_assignments(NEURON_VALUES))
    assert graph.formula.output == "o" and graph.root.label == "o"
    assert list(graph.inputs) == ["x1", "w1", "x2", "w2", "b"]  # o is no input
    assert graph.sources[graph.root] == "tanh(x1*w1 + x2*w2 + b)"
    steps = list(backward_steps(graph.root))
    assert str(steps[0]).startswith("v4.grad += o.grad × ∂o/∂v4 = ")
    assert graph.root.data == pytest.approx(math.sqrt(0.5))
    assert parse("  loss=x*2").output == "loss"  # spaces around it are fine
    assert parse("θ = x*2").output == "θ"
    assert parse("x*y").output == ""
    assert explain("  x*2", x=1.5).root.data == 3.0  # leading spaces: no "unexpected indent"


@pytest.mark.parametrize("text, column", [
    ("1 = x", 0), ("x.y = 2", 0), ("  2*o = x", 2), ("x^2", 1), ("y + x ^ 2", 6),
    ("max(x, 0)", 0), ("o = x = y", 6),
])
def test_a_bad_target_or_a_caret_operator_is_flagged_where_it_is(text, column):
    with pytest.raises(FormulaError) as e:
        parse(text)
    assert e.value.column == column, e.value
    assert e.value.pointer().splitlines()[1] == " " * column + "^"


# ---------------------------------------------------------------------------------------------
# Errors point at the problem.


def test_a_syntax_error_points_at_its_column_with_a_caret():
    with pytest.raises(FormulaError, match="syntax error: '\\(' was never closed") as e:
        parse("tanh(x")
    assert e.value.column == 4
    assert str(e.value).startswith("column 5: ")
    assert e.value.pointer() == "tanh(x\n    ^"


def test_a_domain_error_points_at_the_operator():
    with pytest.raises(FormulaError, match="division by zero") as e:
        explain("x / (y - y)", x=1.0, y=2.0)
    assert e.value.column == 2
    with pytest.raises(FormulaError, match=r"log\(-1.0\)") as e:
        explain("x + log(y)", x=1.0, y=-1.0)
    assert e.value.column == 4


def test_the_pointer_of_a_long_formula_is_a_window_around_the_column():
    text = "x + " * 100 + "x.y"
    with pytest.raises(FormulaError) as e:
        parse(text)
    first, caret = e.value.pointer().split("\n")
    assert len(first) < 90 and first.startswith("...")
    assert first[caret.index("^"):].startswith(".y")


def test_a_missing_value_lists_every_missing_name_and_suggests_a_typo():
    with pytest.raises(FormulaError, match="no value for w2, b") as e:
        build(NEURON, {"x1": 2.0, "x2": 0.0, "w1": -3.0})
    assert e.value.column == NEURON.index("w2")
    with pytest.raises(FormulaError, match="did you mean b= instead of bb=") as e:
        build("x + b", {"x": 1.0, "bb": 2.0})


def test_a_value_for_a_name_not_in_the_formula_is_an_error():
    with pytest.raises(FormulaError, match=r"z is given a value but not in the formula \(its "
                       r"names: x, y\)"):
        build("x*y", {"x": 1.0, "y": 2.0, "z": 3.0})


@pytest.mark.parametrize("pairs, message", [
    (["x"], "expected NAME=VALUE, got 'x'"),
    (["=2"], "'' is not a valid name"),
    (["1x=2"], "'1x' is not a valid name"),
    (["if=2"], "'if' is not a valid name"),
    (["x.y=2"], "'x.y' is not a valid name"),
    (["exp=2"], "exp is a function"),
    (["x=abc"], "'abc' is not a number"),
    (["x="], "'' is not a number"),
    (["x=1/2"], "'1/2' is not a number"),
    (["x=nan"], "must be a finite number"),
    (["x=inf"], "must be a finite number"),
    (["x=1e999"], "must be a finite number"),
    (["x=1", "x=2"], r"x is given twice \(x=1 and x=2\)"),
])
def test_bad_values_are_refused_with_the_reason(pairs, message):
    with pytest.raises(FormulaError, match=message):
        parse_assignments(pairs)


def test_good_values():
    assert parse_assignments(["x=-3", " b = 6.5 ", "w=1e-3", "k=2"]) == {
        "x": -3.0, "b": 6.5, "w": 0.001, "k": 2.0}


# The hostile inputs: each is refused with the parser's own error and a message that says why.
HOSTILE = [
    ("__import__('os').system('touch pwned')", "attribute access (.system)"),
    ("__import__('os')", "unknown function '__import__'"),
    ("().__class__", "attribute access (.__class__)"),
    ("().__class__.__bases__[0].__subclasses__()", "attribute access"),
    ("x.y", "attribute access (.y)"),
    ("x[0]", "subscripts"),
    ("lambda: 1", "lambda"),
    ("(lambda: 1)()", "only the functions"),
    ("[i for i in x]", "comprehensions"),
    ("(i for i in x)", "comprehensions"),
    ("'s'", "strings are not allowed"),
    ("b'x'", "strings are not allowed"),
    ("f'{x}'", "strings are not allowed"),
    ("x=1", "x=1 looks like a value, not a formula: give the formula first"),
    ("1 = x", "before '=' comes the output's name, a plain name such as o"),
    ("x.y = 2", "before '=' comes the output's name"),
    ("tanh = x", "before '=' comes the output's name"),
    ("o = o*2", "o names the output and is also an input"),
    ("o = x", "only renames an input"),
    ("o = x = y", "one '=' only"),
    ("o = ", "nothing after '='"),
    ("x^2", "use ** for a power (^ is XOR): write x**2"),
    ("max(x, 0)", "for max(x, 0) write relu(x)"),
    ("max(0, x*y)", "for max(0, x*y) write relu(x*y)"),
    ("min(x, 0)", "for min(x, 0) write -relu(-x)"),
    ("max(x, y)", "max(a, b) is (a + b + abs(a - b))/2"),
    ("min(x, y, 1)", "min(a, b) is (a + b - abs(a - b))/2"),
    ("(y:=1)", "assignments (:=)"),
    ("a;b", "';' (several statements)"),
    ("9**9**9", "9.0 ** 387420489.0 is too large for a float"),
    ("10**400", "too large for a float"),
    ("1e400", "too large for a float"),
    ("1" * 400, "too large for a float"),
    ("(" * 10_000 + "x" + ")" * 10_000, "20,001 characters long; the limit is 2,000"),
    ("(" * 60 + "x" + ")" * 60, "too deeply nested"),
    ("-" * 1_000 + "x", "signs in a row"),
    ("x" * 100_000, "100,000 characters long"),
    ("log(-1)", "log(-1.0): log is defined only for x > 0"),
    ("1/0", "division by zero"),
    ("exp(1000)", "exp(1000.0) overflows"),
    ("sqrt(-4)", "sqrt(-4.0)"),
    ("(-8)**0.5", "fractional power of a negative base"),
    ("f(x)", "unknown function 'f'"),
    ("tanhh(x)", "did you mean tanh"),
    ("open('f', 'w')", "unknown function 'open'"),
    ("eval('1')", "unknown function 'eval'"),
    ("tanh(x, y)", "tanh takes 1 argument, got 2"),
    ("exp()", "exp takes 1 argument, got 0"),
    ("tanh(x=1)", "keyword arguments"),
    ("tanh(*x)", "starred arguments"),
    ("*x", "syntax error"),
    ("1 if x else 2", "conditional expressions"),
    ("x < y", "comparisons"),
    ("x and y", "'and' / 'or'"),
    ("not x", "the operator not"),
    ("~x", "the operator ~"),
    ("x // y", "the operator //"),
    ("x % y", "the operator %"),
    ("x @ y", "the operator @"),
    ("x, y", "tuples are not allowed"),
    ("{}", "dicts"),
    ("[1, 2]", "lists"),
    ("1j", "complex numbers"),
    ("True", "True is not a number"),
    ("None", "None is not allowed"),
    ("...", "Ellipsis is not allowed"),
    ("await x", "Await is not allowed"),
    ("exp", "exp is a function: call it"),
    ("exp(x)(y)", "only the functions"),
    ("2x", "write 2*x"),
    ("x y", "a missing operator"),
    ("", "the formula is empty"),
    ("x\x00", "control character"),
    ("x\x1b[2J", "control character"),
    ("x )", "unmatched ')'"),
]


@pytest.mark.parametrize("text, message", HOSTILE, ids=[repr(t[:30]) for t, _ in HOSTILE])
def test_hostile_input_is_refused_with_a_useful_message(text, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with no_side_effects(), pytest.raises(FormulaError) as e:
        formula = parse(text)
        build(formula, dict.fromkeys(formula.names, 1.0))
    assert message in str(e.value)
    assert len(str(e.value).splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_the_hostile_table_is_big_enough():
    assert len(HOSTILE) >= 25


# ---------------------------------------------------------------------------------------------
# Fuzz: whatever the text, the parser raises only FormulaError or returns a graph, and runs
# nothing: during each call, importing, opening files, eval/exec, compiling anything but a
# syntax tree, and starting processes all fail loudly.


class SideEffect(BaseException):
    """Raised by the booby-trapped builtins; a BaseException so no `except Exception` hides it."""


@contextmanager
def no_side_effects() -> Iterator[None]:
    real_compile = builtins.compile

    def only_ast(source, filename, mode, flags=0, *args, **kwargs):  # noqa: ANN001, ANN202
        if not flags & ast.PyCF_ONLY_AST:  # ast.parse compiles to a tree only: allowed
            raise SideEffect(f"compile({source!r:.40})")
        return real_compile(source, filename, mode, flags, *args, **kwargs)

    real_import = builtins.__import__

    def parser_imports_only(name, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        # Python's parser itself imports these (unicodedata for "\N{...}" in a string literal,
        # warnings for a SyntaxWarning) before the whitelist gets to refuse the text.
        if name not in ("unicodedata", "warnings"):
            raise SideEffect(f"__import__({name!r})")
        return real_import(name, *args, **kwargs)

    def trap(name: str):  # noqa: ANN202
        def fail(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
            raise SideEffect(f"{name}({', '.join(type(a).__name__ for a in args)})")

        return fail

    patches = [
        (builtins, "compile", only_ast),
        (builtins, "__import__", parser_imports_only),
        *[(builtins, name, trap(name)) for name in ("open", "eval", "exec", "input",
                                                     "breakpoint")],
        (os, "system", trap("os.system")),
        (os, "popen", trap("os.popen")),
        (subprocess, "Popen", trap("subprocess.Popen")),
    ]
    saved = [(obj, name, getattr(obj, name)) for obj, name, _ in patches]
    for obj, name, replacement in patches:
        setattr(obj, name, replacement)
    try:
        yield
    finally:
        for obj, name, original in saved:
            setattr(obj, name, original)


@contextmanager
def sandbox() -> Iterator[Path]:
    """An empty working directory, checked to be still empty afterwards."""
    old = os.getcwd()
    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(tmp)
        try:
            yield Path(tmp)
        finally:
            os.chdir(old)
        assert os.listdir(tmp) == [], os.listdir(tmp)


def parse_and_build(text: str, values: dict[str, float] | None = None) -> Graph | None:
    """parse + build, which may only return a Graph or raise FormulaError."""
    with sandbox(), no_side_effects():
        try:
            formula = parse(text)
            assert isinstance(formula, Formula)
            given = values if values is not None else dict.fromkeys(formula.names, 0.5)
            graph = build(formula, {n: given.get(n, 0.5) for n in formula.names})
        except FormulaError as e:
            assert isinstance(str(e), str) and isinstance(e.pointer(), str)
            return None
    assert isinstance(graph.root, Value) and math.isfinite(graph.root.data)
    return graph


ALPHABET = "xyw12.0e+-*/()_, []{}'\"=:;<>!@#$%^&|~`?\\\t\n abcdefghijklmnopqrstuvwz" + "λé\x00"
TOKENS = [
    *FUNCTIONS, "x", "y", "1", "2.5", "1e308", "9", "**", "*", "/", "+", "-", "(", ")", ",", " ",
    "__import__", "open", ".", "[", "]", "lambda", ":", "=", ":=", "'", "if", "else", "for",
    "in", "not", "and", "True", "None", "...", "@", "//", "%", "j", ";", "{", "}", "\\", "\n",
]


@settings(max_examples=400, deadline=None)
@given(st.one_of(
    st.text(ALPHABET, max_size=60),
    st.lists(st.sampled_from(TOKENS), max_size=30).map("".join),
    st.text(max_size=40),  # any unicode at all
))
def test_fuzz_random_text_raises_only_formula_errors_and_runs_nothing(text):
    parse_and_build(text)


# Random trees over the grammar, rendered to text, with junk nodes mixed in.
NAMES = ["x", "y", "w1"]
JUNK = ["x.y", "'s'", "[1]", "x[0]", "lambda: 1", "__import__('os')", "open('f', 'w')",
        "True", "None", "1j", "(y:=1)", "x if y else 1", "x < y", "{}", "*x", "...",
        "exec('1')", "print(1)", "x//y", "~x", "not x", "b'x'", "getattr(x, 'y')"]


def _numbers() -> st.SearchStrategy[str]:
    return st.one_of(
        st.integers(0, 10**6).map(str),
        st.floats(0.0, 1e6, allow_nan=False).map(repr),
        st.sampled_from(["0", "1e308", "1e-308", "9", "0.5", "1_000", "0x1F"]),
    )


def _trees(junk: bool) -> st.SearchStrategy[str]:
    leaves = st.one_of(_numbers(), st.sampled_from(NAMES))
    if junk:
        leaves = st.one_of(leaves, st.sampled_from(JUNK))

    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        ops = ["+", "-", "*", "/", "**"] + (["//", "%", "@", "<", " and "] if junk else [])
        functions = [*FUNCTIONS] + (["f", "open", "eval", "x.exp"] if junk else [])
        return st.one_of(
            st.tuples(inner, st.sampled_from(ops), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
            st.tuples(st.sampled_from(["-", "+"] + (["~", "not "] if junk else [])), inner)
            .map(lambda t: f"{t[0]}({t[1]})"),
            st.tuples(st.sampled_from(functions), inner).map(lambda t: f"{t[0]}({t[1]})"),
            st.tuples(st.sampled_from(functions), st.lists(inner, max_size=3))
            .map(lambda t: f"{t[0]}({', '.join(t[1])})"),
        )

    return st.recursive(leaves, extend, max_leaves=20)


@settings(max_examples=300, deadline=None)
@given(_trees(junk=True), st.floats(-3.0, 3.0))
def test_fuzz_random_trees_with_junk_raise_only_formula_errors_and_run_nothing(text, value):
    parse_and_build(text, dict.fromkeys(NAMES, value))


def _reference(tree: ast.AST, values: dict[str, float]) -> float:
    """The same formula in plain Python floats and math (an independent oracle)."""
    functions = {
        "exp": math.exp, "log": math.log, "tanh": math.tanh, "relu": lambda v: max(v, 0.0),
        "sigmoid": lambda v: 1.0 / (1.0 + math.exp(-v)), "sqrt": math.sqrt, "abs": abs,
        "sin": math.sin, "cos": math.cos,
        "leaky_relu": lambda v, s=0.01: v if v > 0 else s * v,
    }
    if isinstance(tree, ast.Expression):
        return _reference(tree.body, values)
    if isinstance(tree, ast.Constant):
        return float(tree.value)
    if isinstance(tree, ast.Name):
        return values[tree.id]
    if isinstance(tree, ast.UnaryOp):
        v = _reference(tree.operand, values)
        return -v if isinstance(tree.op, ast.USub) else v
    if isinstance(tree, ast.BinOp):
        a, b = _reference(tree.left, values), _reference(tree.right, values)
        op = type(tree.op)
        if op is ast.Add:
            return a + b
        if op is ast.Sub:
            return a - b
        if op is ast.Mult:
            return a * b
        return a / b if op is ast.Div else a**b
    if isinstance(tree, ast.Call):
        return functions[tree.func.id](*[_reference(a, values) for a in tree.args])
    raise AssertionError(type(tree).__name__)


@settings(max_examples=300, deadline=None)
@given(_trees(junk=False), st.floats(0.1, 3.0))
def test_fuzz_formulas_of_the_grammar_compute_what_python_computes(text, value):
    values = dict.fromkeys(NAMES, value)
    graph = parse_and_build(text, values)
    if graph is None:
        return  # a domain error, overflow, a bad argument count: refused, as checked above
    try:
        expected = _reference(ast.parse(graph.formula.text, mode="eval"), values)
    except (ArithmeticError, ValueError, TypeError):
        return  # math refuses what the engine accepted (e.g. a huge intermediate): no oracle
    assert graph.root.data == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_the_length_limit_is_exact():
    parse("x" * MAX_LENGTH)
    with pytest.raises(FormulaError, match="the limit is 2,000"):
        parse("x" * (MAX_LENGTH + 1))


def test_the_traps_of_the_fuzz_tests_are_armed(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for attempt in (
        lambda: __import__("os"),
        lambda: open("f", "w"),  # noqa: SIM115
        lambda: eval("1"),
        lambda: exec("x = 1"),
        lambda: compile("1", "<f>", "eval"),
        lambda: os.system("true"),
        lambda: subprocess.run(["true"]),
    ):
        with no_side_effects(), pytest.raises(SideEffect):
            attempt()
    with pytest.raises(AssertionError):
        with sandbox():
            Path("left-behind").write_text("x")
