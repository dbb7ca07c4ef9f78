"""`paths(root, leaf)`: the chain rule as a sum over paths, checked against backward()."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import Dag, dags, replay

from autograd import Value, paths
from autograd.formula import build
from autograd.paths import count_paths


def close(a: float, b: float, scale: float) -> bool:
    """Equal to rounding: the sum over paths adds the same terms as backward in another order."""
    return abs(a - b) <= 1e-9 * (1.0 + scale)


@settings(max_examples=200, deadline=None)
@given(dag=dags(), which=st.integers(0, 3))
def test_the_products_sum_to_the_gradient_backward_gives(dag: Dag, which: int):
    leaves = [Value(x, f"x{i}") for i, x in enumerate(dag.leaves)]
    pool, root = replay(dag, leaves)
    leaf = leaves[which % len(leaves)]
    found = paths(root, leaf, limit=100_000)
    root.backward()
    products = [p.product for p in found]
    assert close(math.fsum(products), leaf.grad, sum(abs(p) for p in products))
    assert len(found) == count_paths(root, leaf)
    for p in found:
        assert p.nodes[0] is leaf and p.nodes[-1] is root
        assert len(p.local_grads) == len(p.operands) == len(p.nodes) - 1
        for i, k in enumerate(p.operands):  # each hop is a real edge with its local derivative
            assert p.nodes[i + 1].parents[k] is p.nodes[i]
            assert p.local_grads[i] == p.nodes[i + 1].local_grads[k]
        assert p.product == math.prod(p.local_grads)


@settings(max_examples=100, deadline=None)
@given(dag=dags())
def test_paths_are_distinct_and_listing_them_changes_no_grad(dag: Dag):
    leaves = [Value(x, f"x{i}") for i, x in enumerate(dag.leaves)]
    _, root = replay(dag, leaves)
    root.backward()
    before = [leaf.grad for leaf in leaves]
    for leaf in leaves:
        found = paths(root, leaf, limit=100_000)
        routes = [(tuple(map(id, p.nodes)), p.operands) for p in found]
        assert len(set(routes)) == len(routes)
    assert [leaf.grad for leaf in leaves] == before


def test_the_lecture_neuron_has_one_path_from_x1_with_product_minus_one_and_a_half():
    graph = build("tanh(x1*w1 + x2*w2 + b)",
                  {"x1": 2, "x2": 0, "w1": -3, "w2": 1, "b": 6.8813735870195432})
    (path,) = paths(graph.root, graph.inputs["x1"])
    assert path.product == pytest.approx(-1.5)
    assert path.names[0] == "x1" and path.names[-1] == graph.root.label


def test_a_node_used_twice_has_two_paths_that_add_up():
    a, b = Value(3.0, "a"), Value(2.0, "b")
    d = a * b + a
    d.label = "d"
    found = paths(d, a)
    assert sorted(p.product for p in found) == [1.0, 2.0]
    d.backward()
    assert sum(p.product for p in found) == a.grad == 3.0
    assert "a → d" in {str(p).split(":")[0] for p in found}


def test_x_times_x_gives_a_path_per_operand():
    x = Value(3.0, "x")
    y = x * x
    y.label = "y"
    found = paths(y, x)
    assert [p.operands for p in found] == [(0,), (1,)]
    assert "1st operand" in str(found[0]) and "2nd operand" in str(found[1])


def test_beyond_the_limit_the_refusal_names_the_count():
    x = Value(1.0, "x")
    z = x
    for _ in range(40):  # each level doubles the paths: 2**40 of them
        z = z * 1.0 + z * 2.0
    with pytest.raises(ValueError, match="1,099,511,627,776 paths") as refused:
        paths(z, x)
    assert "edges once" in str(refused.value)
    assert count_paths(z, x) == 2**40


def test_edge_cases_the_root_itself_and_an_unrelated_leaf():
    x, other = Value(2.0, "x"), Value(5.0, "other")
    y = x * 3.0
    y.label = "y"
    (itself,) = paths(y, y)
    assert itself.nodes == (y,) and itself.product == 1.0
    assert paths(y, other) == []
    with pytest.raises(TypeError):
        paths(y, 3.0)
    with pytest.raises(ValueError, match="limit"):
        paths(y, x, limit=0)
