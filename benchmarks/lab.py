"""The live lab (`chainrule serve`): how fast a slider answers, and how the server takes a crowd.

Both against a real server: `chainrule serve --port 0 --no-browser` in a process of its own,
as a teacher runs it (so the measuring side, Chromium or the clients, never shares its GIL).

  slider   In headless Chromium (Debian's /usr/bin/chromium, as the tests drive it), the lab
           page with a formula drawn; then MOVES slider moves, one after the other: each sets the
           first input's slider and fires its input event, and is timed from there until the
           page has written the answer's numbers into the graph (the page counts its answers in
           the body's data-answers attribute, after the numbers are in the DOM). p50 and p95,
           for the lecture neuron (10 nodes) and for a sum of 50 tanh(wi*xi) terms (249 nodes).
           Target: p95 <= 100 ms for the big one, on this 2-core machine.

  crowd    CLIENTS clients at once (asyncio + httpx), each sending REQUESTS POST /api/explain
           of the lecture neuron with its own values, one after the other. Reported: requests per
           second over the whole run, p50 and p95 of a request's time, and the errors (any
           answer but 200, or no answer). Target: 0 errors.

The slider target is an absolute time, unlike the other workloads' ratios: it is what a
student's hand feels, on the machine the lab is meant for (a laptop of two cores or more).
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.report import Section, Target, table

NEURON = "o = tanh(x1*w1 + x2*w2 + b)"
NEURON_VALUES = {"x1": 2.0, "x2": 0.0, "w1": -3.0, "w2": 1.0, "b": 6.8813735870195432}
BIG = "L = " + " + ".join(f"tanh(w{i}*x{i})" for i in range(50))  # 249 nodes, 248 edges
MOVES, QUICK_MOVES = 200, 30
CLIENTS, REQUESTS, QUICK_REQUESTS = 20, 100, 10
SLIDER_P95_MS = 100.0

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]  # as tests/conftest.py

# One slider move, timed in the page: from the input event to the answer's numbers in the DOM.
MOVE = """async ([index, value]) => {
  const slider = document.getElementById("slider-" + index);
  const before = Number(document.body.dataset.answers);
  const answered = new Promise((resolve) => {
    const watch = new MutationObserver(() => {
      if (Number(document.body.dataset.answers) > before) { watch.disconnect(); resolve(); }
    });
    watch.observe(document.body, { attributes: true, attributeFilter: ["data-answers"] });
  });
  const start = performance.now();
  slider.value = String(value);
  slider.dispatchEvent(new Event("input", { bubbles: true }));
  await answered;
  return [performance.now() - start, document.getElementById("formula-error").hidden];
}"""


class Server:
    """`chainrule serve` on a free port of 127.0.0.1, until stopped."""

    def __init__(self) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "chainrule.cli", "serve", "--port", "0", "--no-browser"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env,
            cwd=Path(__file__).resolve().parents[1])
        self.url = self.process.stdout.readline().strip()
        if not self.url.startswith("http://127.0.0.1:"):
            self.stop()
            raise RuntimeError(f"chainrule serve did not start (it said {self.url!r})")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def percentile(samples: list[float], p: float) -> float:
    """The p-th percentile (0-100) of samples, by the nearest rank."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def slider_round_trips(url: str, moves: int) -> dict[str, tuple[list[float], int]]:
    """formula -> (the round trips of `moves` slider moves in ms, answers that were errors)."""
    from playwright.sync_api import sync_playwright

    found = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for name, formula in (("lecture neuron (10 nodes)", NEURON),
                                  ("50 tanh(wi*xi) terms (249 nodes)", BIG)):
                page = browser.new_page(viewport={"width": 1920, "height": 1080})
                page.goto(url)
                page.wait_for_selector('body[data-explain="idle"][data-answers]',
                                       state="attached")
                box = page.get_by_role("textbox", name="Formula")
                box.fill(formula)
                box.press("Enter")
                page.wait_for_selector('body[data-explain="idle"]', state="attached")
                low, high = (float(page.locator("#slider-0").get_attribute(a))
                             for a in ("min", "max"))
                times, errors = [], 0
                for k in range(moves + 5):  # 5 to warm up
                    value = low + (high - low) * ((k * 37) % 101) / 100
                    took, clean = page.evaluate(MOVE, [0, value])
                    if k >= 5:
                        times.append(took)
                        errors += not clean
                found[name] = (times, errors)
                page.close()
        finally:
            browser.close()
    return found


async def _crowd(url: str, clients: int, requests: int) -> tuple[list[float], int, float]:
    import httpx

    latencies: list[float] = []
    errors = 0

    async def client(seed: int) -> None:
        nonlocal errors
        rng = random.Random(seed)
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:
            for _ in range(requests):
                values = {name: x + rng.uniform(-1, 1) for name, x in NEURON_VALUES.items()}
                start = time.perf_counter()
                try:
                    answer = await http.post("/api/explain",
                                             json={"formula": NEURON, "values": values})
                    ok = answer.status_code == 200 and "grads" in answer.json()
                except Exception:  # noqa: BLE001 - a failed request is the error being counted
                    ok = False
                latencies.append((time.perf_counter() - start) * 1000)
                errors += not ok

    start = time.perf_counter()
    await asyncio.gather(*(client(seed) for seed in range(clients)))
    return latencies, errors, time.perf_counter() - start


def run(quick: bool) -> Section:
    moves = QUICK_MOVES if quick else MOVES
    requests = QUICK_REQUESTS if quick else REQUESTS
    server = Server()
    try:
        trips = slider_round_trips(server.url, moves)
        latencies, errors, seconds = asyncio.run(_crowd(server.url, CLIENTS, requests))
    finally:
        server.stop()

    section = Section("The live lab: a slider's round trip in Chromium, and a crowd of clients")
    rows = [[name, f"{len(times)}", f"{statistics.median(times):.1f}",
             f"{percentile(times, 95):.1f}", f"{max(times):.1f}", f"{bad}"]
            for name, (times, bad) in trips.items()]
    total = CLIENTS * requests
    section.lines += [
        f"Slider moves, one after the other: from the input event to the new numbers in the "
        f"DOM (ms); server: chainrule serve on 127.0.0.1, {os.cpu_count()} cores.",
        "",
        *table(["formula", "moves", "p50", "p95", "max", "error answers"], rows),
        "",
        f"{CLIENTS} clients at once x {requests} POST /api/explain (the lecture neuron, random "
        "values) each:",
        "",
        *table(["requests", "seconds", "requests/s", "p50 ms", "p95 ms", "errors"],
               [[f"{total}", f"{seconds:.2f}", f"{total / seconds:.0f}",
                 f"{statistics.median(latencies):.1f}", f"{percentile(latencies, 95):.1f}",
                 f"{errors}"]]),
    ]
    big_times, _ = trips["50 tanh(wi*xi) terms (249 nodes)"]
    section.targets += [
        Target("slider p95, 249-node formula (ms)", percentile(big_times, 95), SLIDER_P95_MS,
               "quick run: few moves" if quick else ""),
        Target(f"errors, {CLIENTS} clients x {requests} requests", float(errors), 0.0),
    ]
    return section
