"""Demo 12, spot the bug: each mistake's numbers are what that mistake really gives.

The demo's pieces are functions; each is checked here against the engine or against the
mistake written out again independently, and the sentences and picture titles against them.
The demo itself also runs as a learner runs it (in test_demos' shared tour folder), and once
more without Graphviz's `dot` on PATH.
"""

import importlib.util
import math
import os
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_demos import (
    ROOT,
    boxes_and_edges,
    check_picture,
    run_demo,
    svg_tree,
    texts_of,
    tour_dir,
)

from autograd import topological_order
from nn import MLP, SGD, TrainingDiverged, fit, mse_loss
from nn.draw_network import DEAD_FILL

STEM = "12_spot_the_bug"


def load_demo():
    """The demo as a module (its tour runs only under __main__); registered in sys.modules
    first, as its dataclasses need."""
    spec = importlib.util.spec_from_file_location("spot_the_bug", ROOT / "demos" / f"{STEM}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


demo = load_demo()
# values away from 0, so no path's share is 0 and every mistake changes a grad
nonzero = st.floats(0.25, 4.0) | st.floats(-4.0, -0.25)


def naive_loop(root, order, assign):
    """The backward loop, written again here: `=` when assign, else `+=`."""
    grads = {node: 0.0 for node in topological_order(root)}
    grads[root] = 1.0
    for node in order:
        for parent, local in zip(node.parents, node.local_grads):
            if assign:
                grads[parent] = local * grads[node]
            else:
                grads[parent] += local * grads[node]
    return grads


@settings(max_examples=50, deadline=None)
@given(nonzero, nonzero)
def test_the_right_hand_loop_is_the_engines_backward(a, b):
    L, va, vb = demo.small_graph(a, b)
    right = demo.hand_backward(L, demo.reverse_order(L))
    L.backward()
    for node in topological_order(L):
        assert right.grads[node] == pytest.approx(node.grad, rel=1e-12, abs=1e-12)
    assert va.grad == pytest.approx((a + b) * b + a * b)  # the product rule, by hand
    assert vb.grad == pytest.approx((a + b) * a + a * b)
    assert right.overwritten == set()


@settings(max_examples=50, deadline=None)
@given(nonzero, nonzero)
def test_the_overwriting_loop_keeps_only_each_leafs_last_share(a, b):
    L, va, vb = demo.small_graph(a, b)
    wrong = demo.hand_backward(L, demo.reverse_order(L), accumulate=False)
    assert wrong.grads == naive_loop(L, demo.reverse_order(L), assign=True)
    L.backward()
    for leaf in (va, vb):
        lost = wrong.lost(leaf)
        assert len(lost) == 1  # two edges in, the first one erased
        assert wrong.grads[leaf] + sum(lost.values()) == pytest.approx(leaf.grad, abs=1e-9)


def test_the_overwrite_sentence_and_picture_give_the_numbers_of_the_run(tmp_path_factory):
    L, a, b = demo.small_graph()
    wrong = naive_loop(L, demo.reverse_order(L), assign=True)
    L.backward()
    sentence = demo.overwrite_sentence(
        demo.hand_backward(L, demo.reverse_order(L), accumulate=False), a, b)
    assert wrong[a] != a.grad and wrong[b] != b.grad
    assert f"a.grad = {wrong[a]:g} instead of {a.grad:g}" in sentence
    assert f"b.grad = {wrong[b]:g} instead of {b.grad:g}" in sentence
    assert f"the {a.grad - wrong[a]:g} back from d" in sentence
    out_dir = tour_dir(tmp_path_factory)
    result = run_demo(STEM, out_dir)
    assert sentence in result.stdout
    svg = svg_tree(out_dir / "12_1_overwritten.svg")
    assert (f"WRONG: = instead of += leaves a.grad = {wrong[a]:g}, b.grad = {wrong[b]:g} "
            f"(right: {a.grad:g}, {b.grad:g})") in texts_of(svg)
    grads, edges = boxes_and_edges(svg)
    assert sum(overwritten for _, _, overwritten in edges) == 2  # one edge into a, one into b
    for box in {tail for tail, _, _ in edges}:  # each box holds what its kept edges sent
        kept = sum(sent for tail, sent, overwritten in edges if tail == box and not overwritten)
        assert kept == pytest.approx(grads[box], abs=1e-4)


def test_backward_twice_doubles_the_leaves_and_says_so(tmp_path_factory):
    L, a, b = demo.small_graph()
    L.backward()
    one_pass = [a.grad, b.grad]
    L2, a2, b2 = demo.small_graph()
    once, twice = demo.backward_twice(L2, [a2, b2])
    assert once == one_pass and twice == [2 * g for g in one_pass]
    sentence = demo.twice_sentence([a2, b2], once, twice)
    assert f"a.grad = {2 * one_pass[0]:g} (one pass: {one_pass[0]:g})" in sentence
    assert f"b.grad = {2 * one_pass[1]:g} (one pass: {one_pass[1]:g})" in sentence
    assert "twice the right grads" in sentence
    out_dir = tour_dir(tmp_path_factory)
    assert sentence in run_demo(STEM, out_dir).stdout
    # the picture: each leaf's box holds twice what its edges send back in one pass
    # (c and d hold what they send: interior grads are this pass's, as the contract says)
    grads, edges = boxes_and_edges(svg_tree(out_dir / "12_2_backward_twice.svg"))
    sent = {box: sum(s for tail, s, _ in edges if tail == box) for box in {e[0] for e in edges}}
    doubled = sorted(grads[box] for box in sent if grads[box] == pytest.approx(2 * sent[box]))
    assert doubled == sorted(twice)
    assert all(grads[box] == pytest.approx(sent[box]) for box in sent
               if grads[box] not in twice)


def test_the_forward_order_walk_reads_grads_before_they_arrive(tmp_path_factory):
    L, a, b = demo.small_graph()
    order = topological_order(L)
    forward = demo.hand_backward(L, order)
    assert forward.grads == naive_loop(L, order, assign=False)
    assert forward.grads[a] == 0.0 and forward.grads[b] == 0.0
    L.backward()
    sentence = demo.forward_sentence(forward, [a, b])
    assert "read c.grad = 0 and d.grad = 0" in sentence
    assert f"a.grad = 0 (right: {a.grad:g}), b.grad = 0 (right: {b.grad:g})" in sentence
    out_dir = tour_dir(tmp_path_factory)
    assert sentence in run_demo(STEM, out_dir).stdout
    titles = texts_of(svg_tree(out_dir / "12_3_forward_order.svg"))
    assert any(t.startswith("WRONG: a forward-order walk leaves a.grad = 0, b.grad = 0")
               for t in titles)


def test_the_training_loops_are_what_fit_and_a_loop_without_zero_grad_give():
    right, wrong = demo.train_by_hand(zero_grad=True), demo.train_by_hand(zero_grad=False)
    X, y = demo.moons_pm1()
    model = MLP(2, [1], seed=0)
    history = fit(model, X, y, mse_loss, SGD(model.parameters(), lr=0.2), epochs=60, quiet=True)
    assert right.losses == pytest.approx(history.loss, rel=1e-12)  # fit zeroes the grads
    model = MLP(2, [1], seed=0)
    losses, total = [], [0.0] * 3
    for _ in range(60):  # the forgotten zero_grad, written out: each step uses the running sum
        loss = mse_loss([model(x) for x in X], y)
        for p in model.parameters():
            p.grad = 0.0
        loss.backward()
        total = [t + p.grad for t, p in zip(total, model.parameters())]
        for p, g in zip(model.parameters(), total):
            p.data -= 0.2 * g
        losses.append(loss.data)
    assert wrong.losses == pytest.approx(losses, rel=1e-9)
    assert wrong.used == pytest.approx(math.hypot(*total), rel=1e-9)
    assert wrong.losses[-1] > 2 * right.losses[-1]  # the lesson the picture shows
    sentence = demo.zero_grad_sentence(right, wrong)
    assert f"{right.losses[-1]:.3f} with zero_grad and {wrong.losses[-1]:.3f} without" in sentence
    assert f"grads of size {math.hypot(*total):.3g}" in sentence


def dead_by_hand(model, X):
    """Dead units counted here on plain floats: relu z = w.x + b <= 0 for every sample."""
    dead, rows = 0, X
    for layer in model.layers[:-1]:
        zs = [[sum(w.data * x for w, x in zip(n.w, row)) + n.b.data for n in layer.neurons]
              for row in rows]
        dead += sum(all(z[j] <= 0.0 for z in zs) for j in range(layer.nout))
        rows = [[max(0.0, v) for v in z] for z in zs]
    return dead


def test_dead_relus_are_counted_as_the_forward_pass_finds_them(tmp_path_factory):
    X, y = demo.moons_pm1()
    for bias in (None, -0.5, -1.5):
        model = demo.relu_net(bias)
        assert demo.dead_count(model, X) == dead_by_hand(model, X)
    good, bad = demo.relu_net(None), demo.relu_net(-1.5)
    good_run, bad_run = demo.train_relu_net(good, X, y), demo.train_relu_net(bad, X, y)
    assert bad_run.dead_before == dead_by_hand(demo.relu_net(-1.5), X) > 0
    assert bad_run.dead_after == dead_by_hand(bad, X)
    assert good_run.dead_before == 0 < bad_run.dead_before
    assert bad_run.accuracy < good_run.accuracy
    sentence = demo.relu_sentence(-1.5, good_run, bad_run, 16)
    assert (f"{bad_run.dead_before} of 16 units are dead before training and "
            f"{bad_run.dead_after} after it") in sentence
    assert f"from the default start (bias 0): 0 and {dead_by_hand(good, X)} " in sentence
    out_dir = tour_dir(tmp_path_factory)
    assert sentence in run_demo(STEM, out_dir).stdout
    for name, model, headline in (
        ("12_5_dead_relus", bad, "WRONG: hidden biases started at -1.5 leave"),
        ("12_5_dead_relus_right", good, "RIGHT: from the default start (bias 0),"),
    ):
        svg = (out_dir / f"{name}.svg").read_text(encoding="utf-8")
        dead = dead_by_hand(model, X)
        title = texts_of(svg_tree(out_dir / f"{name}.svg"))[0]  # its first line
        assert title == f"{headline} {dead} of 16 relu units dead after training"
        assert svg.count(f'fill="{DEAD_FILL}"') == dead  # the grey units in the picture



def test_the_diverging_rate_prints_fits_own_message(tmp_path_factory):
    bad, good = demo.train_at(3.0), demo.train_at(0.3)
    X, y = demo.moons_pm1()
    model = MLP(2, [16, 1], activation="tanh", seed=0)
    with pytest.raises(TrainingDiverged) as raised:
        fit(model, X, y, mse_loss, SGD(model.parameters(), lr=3.0), epochs=120, quiet=True)
    assert str(bad.error) == str(raised.value)
    assert f"diverged at epoch {len(bad.losses) + 1}" in str(bad.error)
    assert all(math.isfinite(v) for v in bad.losses) and bad.losses[-1] > 1e100
    assert good.error is None and good.losses[-1] < good.losses[0]
    out = run_demo(STEM, tour_dir(tmp_path_factory)).stdout
    assert f"TrainingDiverged: {raised.value}" in out
    assert demo.rate_sentence(good, bad) in out


def test_the_demo_writes_every_picture_and_says_so(tmp_path_factory):
    out_dir = tour_dir(tmp_path_factory)
    result = run_demo(STEM, out_dir)
    names = [f"12_{n}.{ext}" for n in ("0_right", "1_overwritten", "2_backward_twice",
                                       "3_forward_order", "5_dead_relus", "5_dead_relus_right")
             for ext in ("svg", "png")]
    for name in [*names, "12_4_no_zero_grad.png", "12_6_diverging_lr.png"]:
        path = out_dir / name
        assert f"wrote {path}" in result.stdout
        check_picture(path)  # PNG signature, header and end; SVG parses
    for number in range(1, 7):
        assert f"\n{number}. " in result.stdout


def test_the_demo_survives_a_missing_dot(tmp_path):
    """No `dot` on PATH: the graphs are skipped with how to get Graphviz, the plots still made."""
    env = {**os.environ, "PATH": str(tmp_path / "empty"), "MPLBACKEND": "Agg"}
    result = subprocess.run([sys.executable, str(ROOT / "demos" / f"{STEM}.py"), str(tmp_path)],
                            capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    assert ("no pictures 12_0_right, 12_1_overwritten, 12_2_backward_twice, 12_3_forward_order, "
            "12_5_dead_relus, 12_5_dead_relus_right: Graphviz's `dot` program is needed"
            ) in result.stdout
    assert "sudo apt-get install graphviz" in result.stdout
    assert sorted(p.name for p in tmp_path.glob("12_*")) == ["12_4_no_zero_grad.png",
                                                             "12_6_diverging_lr.png"]
    assert "TrainingDiverged: diverged at epoch" in result.stdout
