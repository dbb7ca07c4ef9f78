"""One symbol, one meaning, in every step sentence, over many random graphs.

A step's sentence reads

    a.grad += d.grad × ∂d/∂a = 1.0000 × 2.0000 = 2.0000   (a.grad is now 3.0000)

`name.grad` is always a running total (what .grad holds) and `∂node/∂parent` always one op's
local derivative, so the two can never look alike (the old `dL/dx += dL/dL * dL/dx` wrote both
as d.../d...). These tests parse every sentence of random graphs (reused nodes, nodes used
twice by one op, labelled and unlabelled outputs, earlier backward passes) and check it
against the step it describes.
"""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import Dag, dags, replay, value_leaves

from autograd import Value, backward_steps, graph_snapshot, start_sentence, topological_order
from autograd.trace import BackwardStep

NUMBER = r"-?\d+\.\d+(?:e[+-]\d+)?"
SENTENCE = re.compile(
    rf"(?P<parent>\S+)\.grad \+= (?P<node>\S+)\.grad × (?P<local>∂(?P=node)/∂(?P=parent))"
    rf"(?: \((?P<ordinal>\d+(?:st|nd|rd|th)) operand\))?"
    rf" = (?P<upstream>{NUMBER}) × (?P<local_grad>{NUMBER}) = (?P<contribution>{NUMBER})"
    rf"   \((?P=parent)\.grad is now (?P<now>{NUMBER})"
    rf"(?:, with (?P<earlier>{NUMBER}) from earlier backward passes)?\)"
)
ASCII_SENTENCE = re.compile(
    rf"(?P<parent>\S+)\.grad \+= (?P<node>\S+)\.grad \* local\((?P=node) wrt (?P=parent)\)"
    rf"(?: \(\d+(?:st|nd|rd|th) operand\))?"
    rf" = {NUMBER} \* {NUMBER} = {NUMBER}   \((?P=parent)\.grad is now {NUMBER}"
    rf"(?:, with {NUMBER} from earlier backward passes)?\)"
)

# Labels a learner might give (none of them an auto name: those are checked in test_snapshot).
LABELS = ["a", "b", "h", "z1", "out", "hidden", "y_hat", "q"]


def shows(text: str, value: float, decimals: int) -> bool:
    """`text` is `value` written with `decimals` decimals (or in scientific notation)."""
    half_unit = 0.5 * 10.0**-decimals
    return abs(float(text) - value) <= max(half_unit, abs(value) * half_unit) * (1 + 1e-9)


def ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def check_sentence(step: BackwardStep, names: dict[Value, str], decimals: int) -> None:
    sentence = step.describe(decimals)
    match = SENTENCE.fullmatch(sentence)
    assert match, sentence
    equation, _, aside = sentence.partition("   (")
    # no token twice in the equation: a running total and a local derivative are each written
    # once, and never alike
    totals = re.findall(r"\S+\.grad", equation)
    locals_ = re.findall(r"∂\S+/∂\S+", equation)
    assert len(totals) == len(set(totals)) == 2, sentence
    assert len(locals_) == 1, sentence
    assert not any(t.startswith("∂") or "/" in t for t in totals), sentence
    # the aside restates the parent's running total, and nothing else
    assert re.findall(r"\S+\.grad", aside) == [f"{names[step.parent]}.grad"], sentence
    # the .grad tokens name exactly the parent and the node, by the snapshot's names
    assert match["parent"] == names[step.parent] == step.parent_name
    assert match["node"] == names[step.node] == step.node_name
    # the numbers read back as the step's fields, to the decimals shown
    for field in ("upstream", "local_grad", "contribution"):
        assert shows(match[field], getattr(step, field), decimals), (field, sentence)
    assert shows(match["now"], step.parent_grad, decimals), sentence
    # which operand, exactly when the parent is more than one operand of the node (x*x)
    if step.uses > 1:
        assert match["ordinal"] == ordinal(step.operand + 1), sentence
    else:
        assert match["ordinal"] is None, sentence
    # earlier passes are said exactly when there were some
    if step.earlier:
        assert match["earlier"] is not None and shows(match["earlier"], step.earlier, decimals)
    else:
        assert match["earlier"] is None, sentence


@st.composite
def labelled_graphs(draw) -> tuple[Value, Dag]:
    """A random DAG (reused nodes, ops using one node twice) whose interior nodes may carry
    learner-style labels, whose output is labelled (o, or another label) or not, and whose
    leaves may hold grads from earlier passes."""
    dag = draw(dags())
    leaves = value_leaves(dag.leaves)
    _, root = replay(dag, leaves)
    order = topological_order(root)
    pool = iter(draw(st.permutations(LABELS)))
    for node in order:
        if node.parents and node is not root and draw(st.booleans()):
            node.label = next(pool, "")
    root.label = draw(st.sampled_from(["o", "", "loss"]))
    if draw(st.booleans()):  # an earlier pass: the leaves accumulate, the sentences say so
        root.backward()
    return root, dag


@settings(max_examples=200, deadline=None)
@given(graph=labelled_graphs(), decimals=st.sampled_from([2, 4]))
def test_every_sentence_has_one_symbol_for_one_meaning(graph, decimals):
    root, _ = graph
    names = dict(graph_snapshot(root).names)
    for step in backward_steps(root):
        check_sentence(step, names, decimals)
        # the output is named by its label, never by L, whenever it appears
        if root.label:
            assert names[root] == root.label
            assert "L.grad" not in str(step) and "∂L/" not in str(step)
            if step.node is root:
                assert str(step).split(" += ")[1].startswith(f"{root.label}.grad × ")


@settings(max_examples=100, deadline=None)
@given(graph=labelled_graphs())
def test_the_ascii_spelling_has_one_symbol_for_one_meaning_too(graph):
    root, _ = graph
    for step in backward_steps(root):
        sentence = step.describe(ascii=True)
        assert sentence.isascii() and ASCII_SENTENCE.fullmatch(sentence), sentence
        equation = sentence.partition("   (")[0]
        totals = re.findall(r"\S+\.grad", equation)
        assert len(totals) == len(set(totals)) == 2, sentence


def test_the_notation_on_the_issues_examples():
    """x*x says which operand; d = a*b + a keeps the output's label d."""
    x = Value(3.0, "x")
    sq = x * x
    assert [str(s) for s in backward_steps(sq)] == [
        "x.grad += L.grad × ∂L/∂x (1st operand) = 1.0000 × 3.0000 = 3.0000   "
        "(x.grad is now 3.0000)",
        "x.grad += L.grad × ∂L/∂x (2nd operand) = 1.0000 × 3.0000 = 3.0000   "
        "(x.grad is now 6.0000)",
    ]
    a, b = Value(3.0, "a"), Value(2.0, "b")
    c = a * b
    c.label = "c"
    d = c + a
    d.label = "d"
    sentences = [str(s) for s in backward_steps(d)]
    assert sentences == [
        "c.grad += d.grad × ∂d/∂c = 1.0000 × 1.0000 = 1.0000   (c.grad is now 1.0000)",
        "a.grad += d.grad × ∂d/∂a = 1.0000 × 1.0000 = 1.0000   (a.grad is now 1.0000)",
        "a.grad += c.grad × ∂c/∂a = 1.0000 × 2.0000 = 2.0000   (a.grad is now 3.0000)",
        "b.grad += c.grad × ∂c/∂b = 1.0000 × 3.0000 = 3.0000   (b.grad is now 3.0000)",
    ]


def test_a_sentence_after_an_earlier_pass_says_how_much_came_from_it():
    x1, w1 = Value(2.0, "x1"), Value(-3.0, "w1")
    o = (x1 * w1 * 0.25).tanh()
    o.label = "o"
    o.backward()
    first = x1.grad
    (into_x1,) = [s for s in backward_steps(o) if s.parent is x1]
    assert into_x1.parent_grad == x1.grad == 2 * first
    assert str(into_x1).endswith(
        f"(x1.grad is now {2 * first:.4f}, with {first:.4f} from earlier backward passes)")


def test_the_start_of_the_pass_is_said_in_words():
    assert start_sentence("o") == (
        "The backward pass starts at o: o.grad = 1, since o changes one for one with itself.")
    a = Value(2.0, "a")
    out = a * 3.0
    assert graph_snapshot(out).start_sentence() == start_sentence("L")
    out.label = "y"
    assert graph_snapshot(out).start_sentence().startswith("The backward pass starts at y: ")
    assert "∂" not in start_sentence("o") and "/" not in start_sentence("o")


@pytest.mark.parametrize("decimals", [2, 4])
def test_tiny_and_huge_numbers_read_back_too(decimals):
    x = Value(1e-7, "x")
    y = x * 1e8
    (step,) = backward_steps(y)
    check_sentence(step, {x: "x", y: "L"}, decimals)
    assert math.isclose(step.local_grad, 1e8)
