"""Accuracy on real problems, measured from the model's own outputs.

The issue's acceptance criteria: a 3-class spiral (100 points per class) reaches >= 95% training
accuracy, and MLP(64, [32, 10]) reaches >= 95% on a held-out fifth of scikit-learn's 8x8 digits,
both with cross_entropy + Adam. The accuracy asserted is recomputed here (argmax of the logits
under no_grad) rather than read back from History, so a bug in fit's bookkeeping cannot pass it.
"""

import math

from autograd import no_grad
from nn import MLP, Adam, cross_entropy, fit, linear_decay
from nn.datasets import digits, spiral, train_test_split


def argmax_accuracy(model: MLP, X: list[list[float]], y: list[int]) -> float:
    """Share of samples whose largest logit is at the true class's index."""
    correct = 0
    with no_grad():
        for x, label in zip(X, y):
            logits = [v.data for v in model(x)]
            correct += logits.index(max(logits)) == label
    return correct / len(y)


def test_three_class_spiral_reaches_95_percent_training_accuracy():
    # NOTE: minibatches of 32 (10 Adam steps per epoch) get there in ~10 epochs; 25 leave a
    # margin (98-99% over model seeds 0..5). About 2 s.
    X, y = spiral(n_per_class=100, classes=3, seed=0)
    model = MLP(2, [16, 16, 3], seed=0)
    before = argmax_accuracy(model, X, y)
    history = fit(model, X, y, cross_entropy, Adam(model.parameters(), lr=0.02), epochs=25,
                  batch_size=32, quiet=True)
    accuracy = argmax_accuracy(model, X, y)
    assert before < 0.6  # not solved by the initial weights
    assert accuracy >= 0.95, f"training accuracy {accuracy:.1%} after {history.epochs} epochs"
    assert history.loss[-1] < history.loss[0] / 4


def test_mlp_reaches_95_percent_on_held_out_digits():
    X, y = digits()  # scikit-learn is in the test extra: a missing one fails, never skips
    assert len(X) == 1797 and len(X[0]) == 64
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_fraction=0.2, seed=0)
    assert len(X_test) == 360
    # NOTE: 10 epochs of minibatches of 32, the learning rate falling from 0.02 to 0.001 over
    # the run: 96.9-97.8% held out over model seeds 0..3 (a constant 0.01 stalls near 96%).
    # About 1 s per epoch.
    epochs, batch_size = 10, 32
    model = MLP(64, [32, 10], seed=0)
    steps = epochs * math.ceil(len(X_train) / batch_size)
    optimizer = Adam(model.parameters(), lr=linear_decay(0.02, 0.001, steps))
    fit(model, X_train, y_train, cross_entropy, optimizer, epochs=epochs,
        batch_size=batch_size, quiet=True)
    accuracy = argmax_accuracy(model, X_test, y_test)
    assert accuracy >= 0.95, f"held-out accuracy {accuracy:.1%}"
