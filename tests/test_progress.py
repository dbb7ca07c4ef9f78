"""Reporting progress while fit runs: the on_epoch hook, and the tqdm bar on a terminal only."""

from nn import MLP
from nn.datasets import moons
from nn.losses import cross_entropy
from nn.optim import SGD, Adam
from nn.train import History, fit


def test_on_epoch_is_called_once_per_epoch_after_the_history_grows():
    X, y = moons(n=20, noise=0.1, seed=3)
    model = MLP(2, [4, 2], seed=0)
    calls = []

    def record(epoch: int, history: History) -> None:
        # the epoch's numbers are already in the history when the hook runs
        calls.append((epoch, history.epochs, history.loss[-1], len(history.grad_norms)))

    history = fit(model, X, y, cross_entropy, Adam(model.parameters(), lr=0.01), epochs=5,
                  quiet=True, on_epoch=record)
    assert [c[0] for c in calls] == [1, 2, 3, 4, 5]
    assert [c[1] for c in calls] == [1, 2, 3, 4, 5]
    assert [c[3] for c in calls] == [1, 2, 3, 4, 5]
    assert [c[2] for c in calls] == history.loss


def test_on_epoch_is_not_called_after_an_early_stop():
    X, y = moons(n=20, noise=0.1, seed=3)
    model = MLP(2, [4, 2], seed=0)
    epochs_seen = []
    history = fit(model, X, y, cross_entropy, SGD(model.parameters(), lr=1e-12), epochs=50,
                  patience=2, quiet=True, on_epoch=lambda e, h: epochs_seen.append(e))
    assert "no improvement" in history.stopped and history.epochs < 50
    assert epochs_seen == list(range(1, history.epochs + 1))
