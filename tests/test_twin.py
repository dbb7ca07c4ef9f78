"""The PyTorch twin: `nn.to_torch(model)` computes the same function with the same weights, the
same loss gives the same gradients, `nn.from_torch` brings the weights back to the bit, what
cannot be converted is refused in one clear sentence, and `chainrule twin model.json` prints a
script that builds the very same network.

How close is "the same"? Both sides compute in float64 with the same formulas; they differ only
in how sums are rounded (torch's matrix products add in another order) and in a last bit of
exp or tanh. An error of a few ulps in a number that is then multiplied stays a few ulps, but
one in a difference of two nearly equal numbers does not: a sum of chain-rule terms that cancel
to nearly 0 keeps only its absolute accuracy. So each gradient is compared relative to the size
of the terms it adds up (`path_sums`: the same backward pass over the absolute values of every
local derivative), and the cases are kept where every derivative is well conditioned
(`well_conditioned`): no tanh or sigmoid saturated (1 - tanh^2 of a saturated unit is a
difference of nearly equal numbers), no output at its loss's minimum (p - t), no relu unit at
its kink. There the twin agrees to TWIN_RTOL = 1e-12, the contract's figure, with a margin of
about 20 (the worst ratios seen were 2e-14 to 6e-14: the hypothesis run targets the worst and
reports it in its statistics, `--hypothesis-show-statistics`).
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch
from hypothesis import assume, given, settings, target
from hypothesis import strategies as st

import nn
from autograd import Value, topological_order
from autograd.nary import weighted_sum

ROOT = Path(__file__).resolve().parent.parent
CHAINRULE = Path(sys.executable).parent / "chainrule"

TWIN_RTOL = 1e-12  # the contract: the same loss gives the same gradients to 1e-12 relative
ACTIVATIONS = ("relu", "tanh", "sigmoid", "leaky_relu", "linear")
LOSSES = ("mse", "bce_with_logits", "cross_entropy")
F64 = torch.float64

# What "well conditioned" means here (see the module docstring): a tanh or sigmoid unit keeps at
# least 1% of its peak slope, an output stays 1% of its scale away from its target.
MIN_SLOPE_SHARE = 0.01
MIN_LOSS_GAP = 0.01


# ---------------------------------------------------------------------------------------------
# Random networks, data and losses.


@dataclass
class Case:
    model: nn.MLP
    X: list[list[float]]
    Y: list
    loss: str

    def __repr__(self) -> str:  # what hypothesis prints for a failing example
        biases = [n.b.data for layer in self.model.layers for n in layer.neurons]
        return f"Case({self.model!r}, seed={self.model.seed}, biases={biases}, X={self.X}, " \
               f"Y={self.Y}, loss={self.loss!r})"


@st.composite
def cases(draw: st.DrawFn) -> Case:
    """An MLP of random widths and activations (hidden and output), random biases, a batch of
    inputs in [-3, 3] and targets for one of the three losses."""
    loss = draw(st.sampled_from(LOSSES), label="loss")
    nin = draw(st.integers(1, 4), label="nin")
    hidden = draw(st.lists(st.integers(1, 6), max_size=3), label="hidden widths")
    if loss == "bce_with_logits":
        nout = 1  # one logit per sample
    else:
        nout = draw(st.integers(1, 3) if loss == "mse" else st.integers(2, 4), label="nout")
    model = nn.MLP(nin, [*hidden, nout], activation=draw(st.sampled_from(ACTIVATIONS)),
                   output_activation=draw(st.sampled_from(ACTIVATIONS)),
                   seed=draw(st.integers(0, 2**32 - 1), label="seed"))
    neurons = [n for layer in model.layers for n in layer.neurons]
    for neuron in neurons:  # the weights are the seed's; biases start at 0, so draw them
        neuron.b.data = draw(st.floats(-1.0, 1.0), label="bias")
    batch = draw(st.integers(1, 6), label="batch")
    X = draw(st.lists(st.lists(st.floats(-3.0, 3.0), min_size=nin, max_size=nin),
                      min_size=batch, max_size=batch), label="X")
    if loss == "mse":
        target = st.floats(-2.0, 2.0)
        Y = draw(st.lists(target if nout == 1 else st.lists(target, min_size=nout,
                                                             max_size=nout),
                          min_size=batch, max_size=batch), label="Y")
    elif loss == "bce_with_logits":  # hard labels and soft ones
        Y = draw(st.lists(st.sampled_from([0.0, 1.0]) | st.floats(0.0, 1.0), min_size=batch,
                          max_size=batch), label="Y")
    else:
        Y = draw(st.lists(st.integers(0, nout - 1), min_size=batch, max_size=batch), label="Y")
    return Case(model, X, Y, loss)


def chainrule_loss(case: Case) -> Value:
    outputs = [case.model(x) for x in case.X]
    return {"mse": nn.mse_loss, "bce_with_logits": nn.binary_cross_entropy_with_logits,
            "cross_entropy": nn.cross_entropy}[case.loss](outputs, case.Y)


def torch_loss(twin: torch.nn.Sequential, case: Case) -> torch.Tensor:
    """The same loss, as PyTorch's functional losses compute it (mean over the batch)."""
    out = twin(torch.tensor(case.X, dtype=F64))  # (batch, nout)
    functional = torch.nn.functional
    if case.loss == "mse":
        targets = torch.tensor(case.Y, dtype=F64)
        return functional.mse_loss(out if targets.dim() == 2 else out[:, 0], targets)
    if case.loss == "bce_with_logits":
        return functional.binary_cross_entropy_with_logits(out[:, 0], torch.tensor(case.Y,
                                                                                   dtype=F64))
    return functional.cross_entropy(out, torch.tensor(case.Y))


def torch_grads(twin: torch.nn.Sequential) -> list[float]:
    """The twin's gradients in chainrule's parameter order: layer by layer, neuron by neuron
    (row by row of each Linear), weights then bias."""
    grads = []
    for module in twin:
        if isinstance(module, torch.nn.Linear):
            for row, b in zip(module.weight.grad.tolist(), module.bias.grad.tolist()):
                grads += [*row, b]
    return grads


# ---------------------------------------------------------------------------------------------
# Where the comparison is meaningful, and how large its terms are.


def pre_activations(model: nn.MLP, x: list[float]) -> list[tuple[str, float, float]]:
    """(activation, z, size) for every unit on input x: z = w.x + b and size = |b| + sum |wi xi|,
    the size of the terms that z adds up."""
    found, h = [], x
    for layer in model.layers:
        for n in layer.neurons:
            w = [wi.data for wi in n.w]
            found.append((layer.activation, weighted_sum(w, h, n.b.data),
                          abs(n.b.data) + sum(abs(wi * hi) for wi, hi in zip(w, h))))
        h = layer.predict(h)
    return found


def well_conditioned(case: Case) -> bool:
    """No unit at a kink or saturated, no output at its loss's minimum (module docstring)."""
    for x in case.X:
        for activation, z, size in pre_activations(case.model, x):
            if activation in ("relu", "leaky_relu") and abs(z) <= 1e-9 * size and size:
                return False  # the sign of z, and so the slope, could differ by a rounding
            if activation == "tanh" and 1.0 - math.tanh(z) ** 2 < MIN_SLOPE_SHARE:
                return False
            if activation == "sigmoid" and abs(z) > 6.9:  # sigmoid'(6.9) = 1% of sigmoid'(0)
                return False
    outputs = [case.model.predict(x) for x in case.X]
    for out, y in zip(outputs, case.Y):
        if case.loss == "mse":
            pairs = zip(out, y) if isinstance(out, list) else [(out, y)]
            if any(abs(p - t) < MIN_LOSS_GAP * max(1.0, abs(p), abs(t)) for p, t in pairs):
                return False
        elif case.loss == "bce_with_logits":
            if abs(1.0 / (1.0 + math.exp(-out)) - y) < MIN_LOSS_GAP:
                return False
    return True


def loss_size(case: Case) -> float:
    """The size of the terms the loss adds up, over the batch: where they cancel (a loss near
    its minimum), the loss keeps only this absolute accuracy. Mean squared error adds squares,
    which never cancel: its size is itself. Cross-entropy logsumexp(x) - x_k cancels as
    softmax(x)_k nears 1, and max(z, 0) - z t + log(1 + e^-|z|) as sigmoid(z) nears t."""
    total = 0.0
    for x, y in zip(case.X, case.Y):
        out = case.model.predict(x)
        out = out if isinstance(out, list) else [out]
        if case.loss == "mse":
            total += sum((p - t) ** 2 for p, t in zip(out, y if isinstance(y, list) else [y]))
            continue
        if case.loss == "cross_entropy":
            top = max(out)
            total += abs(top + math.log(sum(math.exp(v - top) for v in out))) + abs(out[y])
        else:
            (z,) = out
            total += max(z, 0.0) + abs(z * y) + math.log1p(math.exp(-abs(z)))
    return total / len(case.X) / (len(out) if case.loss == "mse" else 1)


def path_sums(root: Value) -> dict[Value, float]:
    """For every node, the sum over all paths from root of |the product of the local derivatives
    along it|: what its gradient would be if no two terms had opposite signs. It is at least
    |gradient|, and sets how precisely the gradient can be computed at all."""
    order = topological_order(root)
    size = dict.fromkeys(order, 0.0)
    size[root] = 1.0
    for node in reversed(order):
        for parent, local in zip(node.parents, node.local_grads):
            size[parent] += abs(local) * size[node]
    return size


# ---------------------------------------------------------------------------------------------
# The twin computes the same loss and the same gradients.


@settings(max_examples=400, deadline=None)
@given(case=cases())
def test_the_twin_gives_the_same_loss_and_every_gradient_to_1e_12(case: Case):
    assume(well_conditioned(case))
    twin = nn.to_torch(case.model)
    L = chainrule_loss(case)
    case.model.zero_grad()
    L.backward()
    L_torch = torch_loss(twin, case)
    L_torch.backward()

    loss_scale = loss_size(case)
    assert abs(L.data - L_torch.item()) <= TWIN_RTOL * loss_scale, (L.data, L_torch.item())
    sizes = path_sums(L)
    params = case.model.parameters()
    theirs = torch_grads(twin)
    assert len(theirs) == len(params)
    worst = 0.0
    for i, (p, g) in enumerate(zip(params, theirs)):
        scale = sizes[p]
        assert abs(p.grad - g) <= TWIN_RTOL * scale, f"parameter {i} {p.label}: {p.grad} vs {g}"
        if scale:
            worst = max(worst, abs(p.grad - g) / scale)
    target(worst, label="largest |chainrule - torch| / size of a gradient's terms")
    target(abs(L.data - L_torch.item()) / loss_scale, label="|chainrule - torch| / size of "
           "the loss's terms")


@settings(max_examples=200, deadline=None)
@given(case=cases())
def test_the_twin_computes_what_predict_computes(case: Case):
    """The forward pass alone, with no condition: outputs agree to 1e-12 (relative, or absolute
    for an output below 1)."""
    with torch.no_grad():
        theirs = nn.to_torch(case.model)(torch.tensor(case.X, dtype=F64)).tolist()
    for x, row in zip(case.X, theirs):
        ours = case.model.predict(x)
        for a, b in zip(ours if isinstance(ours, list) else [ours], row):
            assert abs(a - b) <= TWIN_RTOL * max(1.0, abs(b)), (x, a, b)


def bits(model: nn.Module) -> list[str]:
    """Every parameter to the bit (hex tells 0.0 from -0.0, which == does not)."""
    return [p.data.hex() for p in model.parameters()]


@settings(max_examples=200, deadline=None)
@given(case=cases())
def test_from_torch_of_to_torch_gives_the_same_weights_to_the_bit(case: Case):
    model = case.model
    back = nn.from_torch(nn.to_torch(model))
    assert isinstance(back, nn.MLP)
    assert bits(back) == bits(model)
    assert (back.nin, back.nouts, back.output_activation) == (
        model.nin, model.nouts, model.output_activation)
    if len(model.nouts) > 1:  # without a hidden layer the hidden activation means nothing
        assert back.activation == model.activation
    assert back.predict_batch(case.X) == model.predict_batch(case.X)


def test_to_torch_of_from_torch_gives_the_same_tensors_to_the_bit():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.Tanh(), torch.nn.Linear(5, 5),
                              torch.nn.Tanh(), torch.nn.Linear(5, 2), torch.nn.Sigmoid()).double()
    model = nn.from_torch(net)
    assert (model.nouts, model.activation, model.output_activation) == ([5, 5, 2], "tanh",
                                                                        "sigmoid")
    again = nn.to_torch(model)
    assert [type(m).__name__ for m in again] == [type(m).__name__ for m in net]
    for (name, a), (_, b) in zip(net.state_dict().items(), again.state_dict().items()):
        assert a.dtype == b.dtype == F64 and torch.equal(a, b), name


def test_a_trained_twin_comes_back_with_its_trained_weights():
    """The use case: train in PyTorch, bring the weights home (and the twin is a copy)."""
    model = nn.MLP(2, [4, 1], activation="tanh", seed=3)
    before = bits(model)
    twin = nn.to_torch(model)
    optimizer = torch.optim.SGD(twin.parameters(), lr=0.1)
    X, y = torch.tensor([[0.0, 1.0], [1.0, 0.0]], dtype=F64), torch.tensor([[1.0], [-1.0]],
                                                                          dtype=F64)
    for _ in range(5):
        optimizer.zero_grad()
        torch.nn.functional.mse_loss(twin(X), y).backward()
        optimizer.step()
    assert bits(model) == before  # training the twin left the model alone
    trained = nn.from_torch(twin)
    assert bits(trained) != before
    assert [p.data for p in trained.parameters()] == [
        v for m in twin if isinstance(m, torch.nn.Linear)
        for row, b in zip(m.weight.tolist(), m.bias.tolist()) for v in [*row, b]]


@pytest.mark.parametrize("activation, module", [
    ("relu", torch.nn.ReLU), ("tanh", torch.nn.Tanh), ("sigmoid", torch.nn.Sigmoid),
    ("leaky_relu", torch.nn.LeakyReLU), ("linear", None),
])
def test_each_activation_becomes_its_module(activation, module):
    twin = nn.to_torch(nn.MLP(2, [3, 1], activation=activation, output_activation=activation,
                              seed=0))
    kinds = [type(m) for m in twin]
    linear = torch.nn.Linear
    assert kinds == ([linear, linear] if module is None else [linear, module, linear, module])
    if activation == "leaky_relu":
        assert twin[1].negative_slope == 0.01  # Value.leaky_relu's slope, the MLP's
    assert all(m.weight.dtype == F64 for m in twin if isinstance(m, linear))


def test_a_layer_and_a_neuron_become_one_layer_sequentials():
    """A Layer and a Neuron compute what a one-layer MLP computes: converted as one, and
    from_torch gives back that MLP, weight for weight."""
    layer = nn.Layer(3, 2, activation="tanh", seed=1)
    neuron = nn.Neuron(3, activation="sigmoid", seed=2)
    x = [0.5, -1.0, 2.0]
    for model, expected in ((layer, layer.predict(x)), (neuron, [neuron.predict(x)])):
        twin = nn.to_torch(model)
        assert len([m for m in twin if isinstance(m, torch.nn.Linear)]) == 1
        with torch.no_grad():
            out = twin(torch.tensor([x], dtype=F64))[0].tolist()
        assert out == pytest.approx(expected, rel=TWIN_RTOL)
        back = nn.from_torch(twin)
        assert isinstance(back, nn.MLP) and bits(back) == bits(model)
        assert back.output_activation == model.activation


# ---------------------------------------------------------------------------------------------
# What cannot be converted is refused, in one sentence that says what and what to do.


class Doubled(nn.MLP):
    def __call__(self, x):
        return super().__call__(x) * 2


class Custom(nn.Module):
    pass


@pytest.mark.parametrize("model, error, message", [
    (Custom(), TypeError, "to_torch converts an nn.MLP, Layer or Neuron, got a Custom"),
    ([1.0, 2.0], TypeError, "got a list"),
    (Doubled(2, [1]), TypeError, "it overrides the forward pass (__call__) of MLP"),
])
def test_to_torch_refuses_what_it_cannot_see(model, error, message):
    with pytest.raises(error) as caught:
        nn.to_torch(model)
    assert message in str(caught.value)


def test_to_torch_refuses_an_activation_that_has_no_torch_twin(monkeypatch):
    """An activation added to nn without a twin (here, made up for the test) is refused,
    naming the layer, rather than converted into something else."""
    import nn.layers

    monkeypatch.setitem(nn.layers.ACTIVATIONS, "cube", lambda z: z**3)
    monkeypatch.setitem(nn.layers.FLOAT_ACTIVATIONS, "cube", lambda z: z**3)
    monkeypatch.setitem(nn.layers.DEFAULT_INIT, "cube", "xavier")
    model = nn.MLP(2, [3, 1], activation="cube", seed=0)
    with pytest.raises(ValueError, match=r"layer 0 uses the activation 'cube', which has no "
                                         r"twin in PyTorch"):
        nn.to_torch(model)
    from nn.torch_twin import twin_script

    with pytest.raises(ValueError, match="'cube'"):
        twin_script(model)


def linear(nin: int, nout: int, **kwargs) -> torch.nn.Linear:
    return torch.nn.Linear(nin, nout, dtype=F64, **kwargs)


@pytest.mark.parametrize("modules, error, message", [
    ([linear(2, 3), torch.nn.GELU(), linear(3, 1)], TypeError,
     "module 1 (GELU) is not a layer an nn.MLP has: from_torch reads Linear layers"),
    ([linear(2, 3), torch.nn.Dropout(0.5), linear(3, 1)], TypeError, "module 1 (Dropout)"),
    ([torch.nn.Sequential(linear(2, 1))], TypeError, "module 0 (Sequential)"),
    ([linear(2, 3, bias=False)], ValueError, "has no bias, and every neuron of an nn.MLP has "
                                             "one: build it with bias=True"),
    ([linear(2, 3), torch.nn.LeakyReLU(0.2)], ValueError, "negative_slope 0.2"),
    ([torch.nn.ReLU(), linear(2, 3)], ValueError, "module 0 (ReLU) does not follow a Linear"),
    ([linear(2, 3), torch.nn.ReLU(), torch.nn.Tanh()], ValueError,
     "module 2 (Tanh) does not follow a Linear"),
    ([linear(2, 3), torch.nn.ReLU(), linear(4, 1)], ValueError,
     "module 2 (Linear) reads 4 inputs, but the layer before it has 3 outputs"),
    ([linear(2, 3), torch.nn.ReLU(), linear(3, 3), torch.nn.Tanh(), linear(3, 1)], ValueError,
     "the hidden layers use different activations (relu, tanh)"),
    ([], ValueError, "has no Linear layer"),
])
def test_from_torch_refuses_what_an_mlp_cannot_represent(modules, error, message):
    with pytest.raises(error) as caught:
        nn.from_torch(torch.nn.Sequential(*modules))
    assert message in str(caught.value)
    assert str(caught.value).startswith("from_torch")


def test_from_torch_refuses_a_bare_module_and_nan_weights():
    with pytest.raises(TypeError, match="from_torch takes a torch.nn.Sequential of Linear "
                                        "layers and activations, got a Linear"):
        nn.from_torch(linear(2, 1))
    broken = linear(2, 1)
    with torch.no_grad():
        broken.weight[0, 1] = math.nan
    with pytest.raises(ValueError, match="nan or inf"):
        nn.from_torch(torch.nn.Sequential(broken))


def test_from_torch_converts_float32_exactly_and_says_so():
    """PyTorch's default dtype: each float32 weight is also a float64, converted exactly, with
    a warning (the MLP computes in float64); after .double() the same, silently."""
    torch.manual_seed(1)
    net32 = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1))
    with pytest.warns(UserWarning, match="the network holds torch.float32 weights, each "
                                         "converted exactly to float64") as caught:
        model = nn.from_torch(net32)
    assert len(caught) == 1  # one note for the network, not one per layer
    expected = [float(v) for m in net32 if isinstance(m, torch.nn.Linear)
                for row, b in zip(m.weight.tolist(), m.bias.tolist()) for v in [*row, b]]
    assert [p.data for p in model.parameters()] == expected
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert bits(nn.from_torch(net32.double())) == bits(model)


# ---------------------------------------------------------------------------------------------
# PyTorch stays optional.


def run_python(code: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)


def test_import_nn_imports_no_torch():
    """Not even the twin's own module: it is loaded when nn.to_torch or nn.from_torch is first
    looked up, and loading it still imports no torch (only making a twin does)."""
    result = run_python("import sys, nn\n"
                        "print('torch' in sys.modules, 'nn.torch_twin' in sys.modules)\n"
                        "print(nn.to_torch.__module__, nn.from_torch.__module__)\n"
                        "print('torch' in sys.modules)\n"
                        "from nn import from_torch, to_torch\n"
                        "print(to_torch is nn.to_torch, 'to_torch' in dir(nn))\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "False", "nn.torch_twin", "nn.torch_twin",
                                     "False", "True", "True"]


def test_nn_names_no_attribute_it_lacks():
    with pytest.raises(AttributeError, match="module 'nn' has no attribute 'to_tensorflow'"):
        nn.to_tensorflow  # noqa: B018


def test_without_torch_to_torch_says_how_to_install_it():
    code = ("import sys; sys.modules['torch'] = None\n"  # as if PyTorch were not installed
            "import nn\n"
            "try:\n"
            "    nn.to_torch(nn.MLP(2, [1]))\n"
            "except ImportError as e:\n"
            "    print(e)\n")
    result = run_python(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ("the PyTorch twin needs PyTorch, which is not installed: "
                                     "pip install 'chainrule[torch]'")


def test_the_torch_extra_pins_the_cpu_build_that_installs_here():
    import tomllib

    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"]
    assert extras["torch"] == ["torch==2.13.0"]


# ---------------------------------------------------------------------------------------------
# `chainrule twin model.json`: the twin as a script.


def twin_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(CHAINRULE), "twin", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=120)


def saved_models(tmp_path: Path) -> list[tuple[Path, nn.Module]]:
    """A model of each kind and every activation, with random biases, saved to files."""
    models = [nn.MLP(3, [5, 4, 2], activation="tanh", output_activation="sigmoid", seed=1),
              nn.MLP(2, [6, 6, 1], activation="relu", seed=2),
              nn.MLP(4, [3, 3], activation="leaky_relu", output_activation="leaky_relu", seed=3),
              nn.Layer(2, 3, activation="sigmoid", seed=4),
              nn.Neuron(3, activation="tanh", seed=5)]
    found = []
    for k, model in enumerate(models):
        for j, p in enumerate(model.parameters()):
            if p.label.endswith("b"):
                p.data = (-1) ** j * 0.1 * (j + 1) / 3  # not representable in few digits
        path = model.save(tmp_path / f"model{k}.json")
        found.append((path, model))
    return found


# Runs the printed script for real (as a module, so that __main__ does not print), then the
# inputs of argv[2] through its `model`.
EVALUATE = """
import json, runpy, sys, torch
model = runpy.run_path(sys.argv[1], run_name="twin")["model"]
with torch.no_grad():
    print(json.dumps(model(torch.tensor(json.loads(sys.argv[2]), dtype=torch.float64)).tolist()))
"""


def test_chainrule_twin_prints_a_script_that_builds_the_same_network(tmp_path):
    for path, model in saved_models(tmp_path):
        result = twin_cli(str(path))
        assert result.returncode == 0, result.stderr
        assert result.stderr == ""
        script = tmp_path / f"{path.stem}_twin.py"
        script.write_text(result.stdout, encoding="utf-8")
        nin = model.nin
        X = [[(-1.0) ** (i + j) * (0.37 * i + 0.11 * j) for j in range(nin)] for i in range(7)]
        run = run_python(EVALUATE, str(script), json.dumps(X))
        assert run.returncode == 0, run.stderr
        for x, row in zip(X, json.loads(run.stdout)):
            ours = model.predict(x)
            for a, b in zip(ours if isinstance(ours, list) else [ours], row):
                assert abs(a - b) <= TWIN_RTOL * max(1.0, abs(b)), (path.name, x, a, b)
        # and its weights are the saved ones, to the bit
        weights = run_python("import runpy, sys\n"
                             "model = runpy.run_path(sys.argv[1], run_name='twin')['model']\n"
                             "import nn\n"
                             "print([p.data.hex() for p in nn.from_torch(model).parameters()])",
                             str(script))
        assert weights.stdout.strip() == str(bits(model)), path.name


def test_the_printed_script_runs_on_its_own_and_says_how_to_train(tmp_path):
    (path, model), *_ = saved_models(tmp_path)
    script = tmp_path / "twin.py"
    script.write_text(twin_cli(str(path)).stdout, encoding="utf-8")
    text = script.read_text(encoding="utf-8")
    assert "optimizer.zero_grad()" in text and "loss.backward()" in text
    assert "nn.from_torch(model)" in text
    run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr
    assert "Sequential(" in run.stdout and "model(zeros) = [[" in run.stdout


# Appended to a printed script: its training note, uncommented, on data of the shape it names.
TRAIN_AS_NOTED = """
torch.manual_seed(0)
X = torch.randn(16, {nin}, dtype=torch.float64)
Y = {targets}
before = [p.detach().clone() for p in model.parameters()]
{loop}
print(all(not torch.equal(a, b) for a, b in zip(before, model.parameters())), loss.dim())
"""


@pytest.mark.parametrize("nouts, targets, loss", [
    ([4, 1], "torch.randn(16, dtype=torch.float64)", "mse_loss(model(X)[:, 0], Y)"),
    ([4, 3], "torch.randint(0, 3, (16,))", "cross_entropy(model(X), Y)"),
])
def test_the_printed_training_note_trains_the_twin(nouts, targets, loss, tmp_path):
    """The note is code a student will uncomment: it must run as written, with the loss that
    fits the model's outputs (one: mse; several: cross-entropy on class indices)."""
    path = nn.MLP(3, nouts, activation="tanh", seed=1).save(tmp_path / "model.json")
    script = twin_cli(str(path)).stdout
    note = [line[len("#     "):] for line in script.splitlines() if line.startswith("#     ")]
    assert any(loss in line for line in note), note
    loop = "\n".join(note)
    code = script.replace('if __name__ == "__main__":', "if False:")
    code += TRAIN_AS_NOTED.format(nin=3, targets=targets, loop=loop)
    (tmp_path / "train.py").write_text(code, encoding="utf-8")
    run = subprocess.run([sys.executable, str(tmp_path / "train.py")], capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""  # no broadcasting warning: Y has the shape the loss wants
    assert run.stdout.split() == ["True", "0"]  # every tensor trained, the loss a scalar


def test_chainrule_twin_needs_no_torch_to_print(tmp_path):
    """Printing the script is writing text: it works where PyTorch is not installed."""
    (path, _), *_ = saved_models(tmp_path)
    code = ("import sys; sys.modules['torch'] = None\n"
            "from chainrule.cli import main\n"
            "sys.exit(main(['twin', sys.argv[1]]))")
    result = run_python(code, str(path))
    assert result.returncode == 0, result.stderr
    assert result.stdout == twin_cli(str(path)).stdout


@pytest.mark.parametrize("content, message", [
    ("{not json", "is not valid JSON"),
    ('{"format": "chainrule.model", "version": 1, "architecture": {"type": "MLP", "nin": 2, '
     '"nouts": [1]}, "parameters": [1.0]}', "holds 1 parameters where its architecture needs 3"),
    ("", "is empty: not a saved model"),
])
def test_chainrule_twin_of_a_bad_file_is_one_line_and_exit_2(content, message, tmp_path):
    path = tmp_path / "model.json"
    path.write_text(content, encoding="utf-8")
    result = twin_cli(str(path))
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith("chainrule: error: ") and message in line, line


def test_chainrule_twin_of_a_missing_file_or_no_file_is_exit_2(tmp_path):
    result = twin_cli(str(tmp_path / "nowhere.json"))
    assert result.returncode == 2
    (line,) = result.stderr.splitlines()
    assert "no model file at" in line and "check the path" in line
    result = twin_cli()
    assert result.returncode == 2
    assert "chainrule: error:" in result.stderr and "MODEL" in result.stderr


def test_chainrule_help_lists_twin():
    result = subprocess.run([str(CHAINRULE), "--help"], capture_output=True, text=True,
                            timeout=60)
    assert "twin MODEL.json" in result.stdout


# ---------------------------------------------------------------------------------------------
# Demo 11, "graduating to PyTorch": it runs as the other demos run (tests/test_demos.py), and
# its figures are the twin's promise.


def demo_11(tmp_path_factory: pytest.TempPathFactory) -> str:
    from test_demos import run_demo, tour_dir

    return run_demo("11_graduating_to_pytorch", tour_dir(tmp_path_factory)).stdout


def printed_number(out: str, prefix: str) -> float:
    """The number that follows `prefix` on the first line of `out` that starts with it."""
    (line, *_) = [x.strip() for x in out.splitlines() if x.strip().startswith(prefix)]
    return float(line[len(prefix):].split()[0])


def test_demo_11_shows_the_same_gradients_side_by_side(tmp_path_factory):
    out = demo_11(tmp_path_factory)
    rows = [line.split() for line in out.splitlines() if line.startswith("  L")]
    assert len(rows) == 37  # MLP(2, [4, 4, 1]): every parameter, in chainrule's order
    assert rows[0][:2] == ["L0.n0.w0", "twin[0].weight[0,0]"]
    assert rows[-1][:2] == ["L2.n0.b", "twin[4].bias[0]"]
    for label, _, ours, theirs, difference in rows:
        # each gradient is printed to 17 digits, the one float it is; the difference to 2
        assert float(difference) == pytest.approx(abs(float(ours) - float(theirs)), rel=0.05,
                                                  abs=0.0), label
        assert abs(float(ours) - float(theirs)) <= TWIN_RTOL * max(abs(float(ours)), 1e-3)
    largest = printed_number(out, "largest difference:")
    assert largest == max(float(row[4]) for row in rows)
    # float32 is far worse, which is why the twin is float64
    assert "differs by up to" in out and "to_torch builds it in float64" in out


def test_demo_11_trains_both_to_the_same_weights_and_draws_the_two_curves(tmp_path_factory):
    from test_demos import check_picture, tour_dir

    out = demo_11(tmp_path_factory)
    assert "after 8 epochs (48 SGD steps of 8 samples, lr = 0.3):" in out  # the fast setting
    assert printed_number(out, "largest weight difference:") <= 1e-13
    assert printed_number(out, "largest loss difference over the run:") <= 1e-13
    (accuracy,) = [line for line in out.splitlines() if "training accuracy:" in line]
    ours, theirs = accuracy.split("chainrule ")[1].split(", PyTorch ")
    assert ours == theirs
    assert "every weight PyTorch's to the bit: True" in out
    picture = tour_dir(tmp_path_factory) / "11_graduating_to_pytorch.png"
    assert f"wrote {picture}" in out
    check_picture(picture)


def test_demo_11_without_torch_says_how_to_install_it_and_exits_0(tmp_path):
    code = ("import runpy, sys\n"
            "sys.modules['torch'] = None  # as if PyTorch were not installed\n"
            "sys.argv = [sys.argv[1], sys.argv[2]]\n"
            "runpy.run_path(sys.argv[0], run_name='__main__')\n")
    result = run_python(code, str(ROOT / "demos" / "11_graduating_to_pytorch.py"), str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "pip install 'chainrule[torch]'" in result.stdout
    assert result.stderr == ""
    assert not list(tmp_path.iterdir())  # and it wrote nothing


# ---------------------------------------------------------------------------------------------
# The careless and the hostile user: what must be refused in one clear sentence, never turned
# into a twin that computes something else, a nan, or a traceback.


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, "0.5", None, True, 10**400],
                         ids=["nan", "inf", "-inf", "str", "None", "True", "10**400"])
def test_to_torch_and_the_script_refuse_a_weight_that_is_no_finite_number(bad):
    """`.data` is assignable, so a diverged or hand-edited model can hold a nan: its twin would
    compute nan, and its printed script would not even run (`nan` is no Python name)."""
    from nn.torch_twin import twin_script

    model = nn.MLP(2, [3, 1], seed=0)
    model.layers[1].neurons[0].w[2].data = bad
    for convert in (nn.to_torch, twin_script):
        with pytest.raises(ValueError) as caught:
            convert(model)
        message = str(caught.value)
        assert "layer 1, neuron 0, weight 2" in message and "finite number" in message, message


def test_to_torch_refuses_a_nan_bias_too():
    model = nn.Neuron(2, seed=0)
    model.b.data = math.nan
    with pytest.raises(ValueError, match="layer 0, neuron 0, bias"):
        nn.to_torch(model)


class TwiceLinear(torch.nn.Linear):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return 2 * super().forward(x)


def test_from_torch_refuses_a_linear_with_a_forward_pass_of_its_own():
    """A subclass of Linear that computes something else would come back as an MLP that
    computes another function, silently."""
    with pytest.raises(TypeError, match=r"module 0 \(TwiceLinear\) overrides the forward pass "
                                        r"of Linear"):
        nn.from_torch(torch.nn.Sequential(TwiceLinear(2, 1, dtype=F64)))


def test_from_torch_still_reads_a_parametrized_linear():
    """weight_norm makes a subclass of Linear whose forward is Linear's own: the function is
    the same, and its weight is what the layer computes with."""
    from torch.nn.utils import parametrizations

    layer = parametrizations.weight_norm(linear(2, 3))
    model = nn.from_torch(torch.nn.Sequential(layer))
    x = torch.tensor([[0.3, -0.7]], dtype=F64)
    with torch.no_grad():
        expected = layer(x)[0].tolist()
    assert model.predict([0.3, -0.7]) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("layer, message", [
    (lambda: linear(2, 0), "module 0 (Linear) has 0 outputs"),
    (lambda: linear(0, 3), "module 0 (Linear) has 0 inputs"),
    (lambda: torch.nn.LazyLinear(3, dtype=F64), "module 0 (LazyLinear) has no weights yet"),
    (lambda: torch.nn.Linear(2, 3, device="meta", dtype=F64), "module 0 (Linear) has no "
                                                               "weights yet"),
])
@pytest.mark.filterwarnings("ignore:Initializing zero-element tensors")
def test_from_torch_refuses_a_linear_without_numbers_in_one_sentence(layer, message):
    with pytest.raises(ValueError) as caught:
        nn.from_torch(torch.nn.Sequential(layer()))
    assert str(caught.value).startswith(f"from_torch: {message}"), str(caught.value)


def test_chainrule_twin_with_stdout_closed_or_full_is_one_line_exit_1(tmp_path):
    (path, _), *_ = saved_models(tmp_path)
    closed = subprocess.run(f'"{CHAINRULE}" twin "{path}" >&-', shell=True,
                            capture_output=True, text=True, timeout=120)
    with open("/dev/full", "w") as full:  # every write fails with ENOSPC, as on a full disk
        filled = subprocess.run([str(CHAINRULE), "twin", str(path)], stdout=full,
                                stderr=subprocess.PIPE, text=True, timeout=120)
    for result in (closed, filled):
        assert result.returncode == 1, result.stderr
        (line,) = result.stderr.splitlines()
        assert line.startswith("chainrule: error: could not write the script") and (
            "internal error" not in line), line
