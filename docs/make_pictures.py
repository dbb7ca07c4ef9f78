"""Redraw the pictures and pages the README shows, into docs/.

    .venv/bin/python docs/make_pictures.py        (after `make test`: it needs Chromium too)

Each one is made by the same public calls the README shows, so the README's pictures are what
its code gives. The screenshot of the step-through page is taken in headless Chromium.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nn
from autograd import Value, draw_dot, render, save_steps_html

DOCS = Path(__file__).resolve().parent


def lecture_neuron() -> Value:
    x1, x2 = Value(2.0, "x1"), Value(0.0, "x2")
    w1, w2 = Value(-3.0, "w1"), Value(1.0, "w2")
    b = Value(6.8813735870195432, "b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o


def neuron_pictures() -> None:
    o = lecture_neuron()
    o.backward()
    render(draw_dot(o, show_contributions=True, color_by_grad=True), DOCS / "one_neuron",
           formats=("svg", "png"))
    render(draw_dot(o, highlight=8), DOCS / "one_neuron_step", formats=("svg", "png"))
    page = save_steps_html(o, DOCS / "steps_neuron.html")
    screenshot(page, DOCS / "steps_neuron.png", steps=6)


def clustered_graph() -> None:
    model = nn.MLP(2, [3, 3, 1], activation="tanh", seed=3)
    loss = nn.mse_loss(model([0.5, -1.0]), 1.0)
    loss.backward()
    render(draw_dot(loss, cluster="label-prefix", color_by_grad=True, show_local_grads=False),
           DOCS / "graph_clustered", formats=("svg", "png"))


def moons_run() -> None:
    X, y = nn.datasets.moons(100, noise=0.1, seed=1)
    y = nn.datasets.to_pm1(y)
    model = nn.MLP(2, [16, 16, 1], seed=1337, init="uniform")
    recorder = nn.TrainingRecorder(model, X, y)
    optimizer = nn.SGD(model.parameters(), lr=nn.linear_decay(1.0, 0.1, 100))
    history = nn.fit(model, X, y, nn.hinge_loss, optimizer, epochs=100, l2=1e-4, quiet=True,
                     on_epoch=recorder)
    nn.plot_decision_boundary(model, X, y, DOCS / "decision_boundary_moons.png")
    nn.plot_history(history, DOCS / "training_curves.png", title="moons, MLP 2 -> 16 -> 16 -> 1")
    nn.plot_grad_norms(history, DOCS / "grad_norms.png")
    render(nn.draw_network(model, X=X), DOCS / "network_moons", formats=("png",))
    nn.save_training_replay(DOCS / "replay_moons.html", recorder, title="Training replay: moons")


def screenshot(page: Path, png: Path, steps: int) -> None:
    """The page in Chromium at 1280x800 after pressing Next `steps` times."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update"])
        try:
            tab = browser.new_page(viewport={"width": 1280, "height": 800})
            tab.goto(page.resolve().as_uri(), wait_until="load")
            for _ in range(steps):
                tab.keyboard.press("ArrowRight")
            tab.screenshot(path=str(png))
        finally:
            browser.close()


if __name__ == "__main__":
    neuron_pictures()
    clustered_graph()
    moons_run()
    print(f"wrote the README's pictures into {DOCS}", file=sys.stderr)
