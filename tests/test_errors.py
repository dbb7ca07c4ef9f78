"""Every bad input the contract names gets its own error, with a message that says what was wrong.

And a failed op leaves the graph built so far exactly as it was.
"""

import math
import re

import pytest

from autograd import Value, backward_steps, dot, logsumexp, no_grad, topological_order, vsum


@pytest.mark.parametrize("bad", ["3", None, 1 + 2j, [1.0], (1.0,), True, False, {"x": 1}])
def test_constructor_rejects_non_numbers_naming_the_type(bad):
    with pytest.raises(TypeError, match=type(bad).__name__):
        Value(bad)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, 10**400])
def test_constructor_rejects_non_finite(bad):
    with pytest.raises(ValueError, match="finite|too large"):
        Value(bad)


def test_constructor_stores_ints_as_float_and_rejects_non_str_label():
    v = Value(3)
    assert type(v.data) is float and v.data == 3.0 and v.grad == 0.0 and v.op == ""
    assert v.parents == () and v.local_grads == ()
    with pytest.raises(TypeError, match="label"):
        Value(1.0, label=5)


@pytest.mark.parametrize("other", [[1, 2], "ab", None, 1j, (1.0,), True])
@pytest.mark.parametrize(
    "op",
    [
        lambda a, b: a + b, lambda a, b: b + a, lambda a, b: a - b, lambda a, b: b - a,
        lambda a, b: a * b, lambda a, b: b * a, lambda a, b: a / b, lambda a, b: b / a,
        lambda a, b: a**b, lambda a, b: b**a,
    ],
)
def test_operators_refuse_other_types_with_type_error(op, other):
    """micrograd silently builds `[1, 2] * Value(3)`; here Python raises TypeError."""
    with pytest.raises(TypeError):
        op(Value(3.0), other)


def test_non_finite_constant_is_refused():
    with pytest.raises(ValueError, match="finite"):
        Value(1.0) * math.inf


@pytest.mark.parametrize(
    "build, error, words",
    [
        (lambda: Value(0.0).log(), ValueError, r"log\(0.0\)"),
        (lambda: Value(-2.0).log(), ValueError, r"log\(-2.0\)"),
        (lambda: Value(1.0) / Value(0.0), ZeroDivisionError, "division by zero"),
        (lambda: Value(1.0) / 0, ZeroDivisionError, "division by zero"),
        (lambda: 3 / Value(0.0), ZeroDivisionError, "division by zero"),
        (lambda: Value(-8.0) ** 0.5, ValueError, "negative base"),
        (lambda: Value(-8.0) ** Value(2.0), ValueError, "base > 0"),
        (lambda: (-2) ** Value(2.0), ValueError, "base > 0"),
        (lambda: Value(0.0) ** -1, ZeroDivisionError, r"0.0 \*\* -1"),
        (lambda: Value(0.0) ** 0.5, ValueError, "infinite"),
        (lambda: Value(800.0).exp(), OverflowError, r"exp\(800.0\)"),
        (lambda: Value(-1.0).sqrt(), ValueError, r"sqrt\(-1.0\)"),
        (lambda: Value(0.0).sqrt(), ValueError, "infinite"),
        (lambda: Value(1e200) * Value(1e200), OverflowError, r"\*"),
        (lambda: Value(1e300) ** 2, OverflowError, "too large"),
        (lambda: Value(1e-200) ** -2, OverflowError, "too large"),
        (lambda: Value(1.0) / Value(1e-200), OverflowError, "too steep"),
        (lambda: 1.0 / Value(1e-200), OverflowError, "too steep"),
    ],
)
def test_domain_errors_name_the_op_and_the_value(build, error, words):
    with pytest.raises(error, match=words):
        build()


def test_failed_op_leaves_the_graph_intact():
    a, b = Value(2.0, "a"), Value(3.0, "b")
    c = a * b
    before = (c.data, c.parents, c.local_grads, a.grad, b.grad)
    with pytest.raises(ValueError):
        (c - 6.0).log()  # log(0)
    assert (c.data, c.parents, c.local_grads, a.grad, b.grad) == before
    d = c + 1.0
    d.backward()
    assert (a.grad, b.grad) == (3.0, 2.0)


def test_backward_overflow_is_an_error_not_a_silent_inf():
    x = Value(1e-300, "x")
    y = x * 1e300  # forward: 1.0, but dy/dx = 1e300
    loss = y * 1e300  # forward: 1e300, still finite; dloss/dx = 1e600 is not
    with pytest.raises(OverflowError, match="gradient of x"):
        loss.backward()


def test_an_interior_overflow_is_caught_when_the_leaf_below_gets_nan():
    """The check sums only the leaves: an inf gradient inside must still reach one of them.
    Here it does as nan (inf * a local derivative of 0), and the first bad node is named."""
    x = Value(2.0, "x")
    zero = x * 0.0  # d(zero)/dx = 0
    tiny = zero + 1e-300
    loss = (tiny * 1e300) * 1e300  # forward 1e300; dloss/d(tiny) = 1e600 = inf, so
    # dloss/d(zero) = inf too, and then dloss/dx = inf * 0 = nan
    with pytest.raises(OverflowError, match=r"gradient of x became nan"):
        loss.backward()
    with pytest.raises(OverflowError, match=r"gradient of x became nan"):
        list(backward_steps(loss))


def test_nary_ops_validate_their_inputs():
    with pytest.raises(ValueError, match="as many weights as inputs"):
        dot([Value(1.0)], [Value(1.0), Value(2.0)])
    with pytest.raises(TypeError, match="str"):
        vsum([Value(1.0), "x"])
    with pytest.raises(ValueError, match="at least one"):
        vsum([])
    with pytest.raises(ValueError, match="at least one"):
        logsumexp([])


def test_values_hash_by_identity_and_equality_is_not_overloaded():
    a, b = Value(1.0), Value(1.0)
    assert a != b and a == a
    assert len({a, b, a}) == 2
    assert {a: 1, b: 2}[b] == 2


def test_a_tiny_constant_base_with_a_value_exponent_is_fine():
    y = Value(-1.0, "y")
    out = 1e-300 ** y  # 1e300 and d/dy = 1e300 * log(1e-300) are finite floats
    out.backward()
    assert out.data == pytest.approx(1e300) and y.grad == pytest.approx(1e300 * -690.7755, 1e-6)
    with pytest.raises(OverflowError, match=r"\*\* : the derivative of .* is too steep"):
        Value(1e-300) ** Value(-1.0)  # d/dbase = -1 * (1e-300)^-2 overflows


def test_leaky_relu_slope_must_be_a_finite_number():
    with pytest.raises(TypeError, match="slope must be a number, got str"):
        Value(-1.0).leaky_relu("0.1")
    with pytest.raises(ValueError, match="finite"):
        Value(-1.0).leaky_relu(float("nan"))


def test_a_hand_made_op_needs_one_local_derivative_per_parent():
    x = Value(2.0, "x")
    with pytest.raises(ValueError, match="one local derivative per parent"):
        Value(4.0, op="square", parents=(x,), local_grads=())
    sq = Value(4.0, op="square", parents=[x], local_grads=[4.0])
    assert sq.parents == (x,) and sq.local_grads == (4.0,)


def test_a_failed_backward_leaves_every_grad_as_it_was():
    """CONTRACT: an overflowing pass raises OverflowError. It also changes no grad: the leaves
    keep what they had accumulated and the interior nodes the earlier pass's gradients."""
    x, other = Value(1e-300, "x"), Value(2.0, "other")
    y = x * 1e300 * other  # forward 2.0, dy/dx = 2e300
    y.backward()  # a first, good pass: x.grad = 2e300, other.grad = 1.0, y.grad = 1.0
    loss = y * 1e300  # d(loss)/dx = 2e600 overflows
    nodes = topological_order(loss)
    before = [node.grad for node in nodes]
    with pytest.raises(OverflowError, match="gradient of x"):
        loss.backward()
    assert [node.grad for node in nodes] == before
    with pytest.raises(OverflowError, match="gradient of x"):
        list(backward_steps(loss))  # the trace run to its end: the same
    assert [node.grad for node in nodes] == before
    y.backward()  # and the leaves go on accumulating from where they were
    assert (x.grad, other.grad) == (4e300, 2.0)


def test_an_interrupted_backward_leaves_every_grad_as_it_was():
    """A pass stopped by any exception (here a Ctrl-C raised by a local derivative, halfway
    through) changes no grad either."""

    class Interrupting(float):
        def __mul__(self, other):
            raise KeyboardInterrupt

    a, b = Value(2.0, "a"), Value(3.0, "b")
    c = a * b
    (c + a).backward()
    d = c * a
    nodes = topological_order(d)
    before = [node.grad for node in nodes]
    c.local_grads = (Interrupting(3.0), 2.0)  # a pass reaching c raises there, half done
    with pytest.raises(KeyboardInterrupt):
        d.backward()
    assert [node.grad for node in nodes] == before


def test_a_hand_made_op_refuses_parents_that_are_not_values():
    x = Value(2.0, "x")
    with pytest.raises(TypeError, match=r"square: parent 1 must be a Value, got float"):
        Value(4.0, op="square", parents=(x, 2.0), local_grads=(4.0, 1.0))
    with pytest.raises(TypeError, match=r"square: parents must be a tuple of Values, got Value"):
        Value(4.0, op="square", parents=x, local_grads=(4.0,))


@pytest.mark.parametrize("bad", ["abc", None, True, 1j, [1.0]])
def test_a_hand_made_op_refuses_a_local_derivative_that_is_not_a_number(bad):
    x = Value(2.0, "x")
    with pytest.raises(TypeError, match=rf"square: local derivative 0 .* got {type(bad).__name__}"):
        Value(4.0, op="square", parents=(x,), local_grads=(bad,))


@pytest.mark.parametrize("bad", [math.inf, -math.inf, math.nan, 10**400],
                         ids=["inf", "-inf", "nan", "10**400"])
def test_a_hand_made_op_refuses_a_local_derivative_that_is_not_finite(bad):
    x = Value(2.0, "x")
    with pytest.raises(ValueError, match=r"square: local derivative 0 must be finite"):
        Value(4.0, op="square", parents=(x,), local_grads=(bad,))


def test_a_hand_made_op_is_checked_inside_no_grad_too_and_stores_floats():
    x = Value(2.0, "x")
    with pytest.raises(TypeError, match="local derivative"), no_grad():
        Value(4.0, op="square", parents=(x,), local_grads=("abc",))
    sq = Value(4.0, op="square", parents=(x,), local_grads=(4,))
    assert sq.local_grads == (4.0,) and type(sq.local_grads[0]) is float
    (sq * 1.5).backward()
    assert x.grad == 6.0


# ---------------------------------------------------------------------------------------------
# Silent mistakes get words.


def test_backward_on_a_result_made_inside_no_grad_says_there_is_nothing_to_differentiate():
    """Such a result is a leaf: backward() once set its grad to 1 and said nothing."""
    from autograd import NO_GRAPH, draw_dot

    x = Value(2.0, "x")
    with no_grad():
        y = (x * 3.0).tanh()
        s = vsum([x, x])
    for result in (y, s):
        assert result.parents is NO_GRAPH and not result.parents and len(result.parents) == 0
        assert result.parents == () and result.local_grads == () and result.op == ""
        for call, who in ((Value.backward, "backward()"), (backward_steps, "backward_steps"),
                          (draw_dot, "draw_dot")):
            with pytest.raises(ValueError, match=rf"^{re.escape(who)}: this Value was computed "
                               r"inside a no_grad\(\) block.*compute it outside no_grad"):
                call(result)
    assert y.grad == 0.0 and x.grad == 0.0
    # a leaf made as a leaf still gets grad 1 (the contract), inside no_grad too
    with no_grad():
        leaf = Value(5.0, "leaf")
    leaf.backward()
    assert leaf.grad == 1.0 and leaf.parents == () and leaf.parents is not NO_GRAPH
    # a result of constants only (recording) is no mistake either
    constant = vsum([1.0, 2.0])
    constant.backward()
    assert constant.grad == 1.0


def test_a_no_grad_result_used_later_is_an_ordinary_leaf_of_the_graph():
    x = Value(2.0, "x")
    with no_grad():
        y = x * 3.0
    z = y * x
    z.backward()  # no error: z has a graph, y is one of its leaves
    assert (x.grad, y.grad) == (6.0, 2.0)


@pytest.mark.parametrize("call", [math.tanh, math.exp, float, math.sqrt, math.isfinite],
                         ids=["math.tanh", "math.exp", "float", "math.sqrt", "math.isfinite"])
def test_math_functions_on_a_value_name_its_methods_and_data(call):
    v = Value(1.0, "v")
    with pytest.raises(TypeError, match=r"a Value is not a plain number: use its own methods "
                       r"to stay in the graph \(v\.tanh\(\), v\.exp\(\).*or v\.data for its "
                       r"number \(1\.0\)"):
        call(v)


def test_float_refused_leaves_equality_and_hashing_as_they_were():
    a, b = Value(1.0), Value(1.0)
    assert a != b and a == a and a != 1.0
    assert len({a, b, a}) == 2
    assert Value(2.0) * 3 is not None  # numbers still combine with Values
