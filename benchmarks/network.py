"""The network lab (`GET /network`): how fast a session trains and streams, and how the server
takes a classroom of them.

Against a real server (`chainrule serve --port 0 --no-browser` in a process of its own, as in
benchmarks/lab.py), with Python WebSocket clients (the `websockets` package) in this process,
and the page itself in headless Chromium (Playwright, Debian's /usr/bin/chromium).

  epochs   Frames (= epochs) per second received by one client playing, for TF Playground's
           default network (circles, 250 training points, 2 -> 4 -> 2 -> 1 tanh, SGD lr 0.03,
           batch 10) and for micrograd's demo network (2 -> 16 -> 16 -> 1 relu on 100 training
           points of moons, noise 0.1, full batch), each frame with its 50 x 50 boundary and
           every neuron's 25 x 25 heatmap. Targets: >= 30 and >= 10 epochs/s.

  browser  The same two networks played by the page in Chromium: frames per second it
           received and drew (each drawing the boundary, every heatmap and the network), read
           from the page's own counters, and its mean drawing time per frame. Targets as above.
           Without Playwright or Chromium this part says so and its targets read n/a.

  predict  In this process: `model.predict_batch` over the 50 x 50 boundary grid against the
           forward pass through Values under `no_grad`, for the default network (medians of
           interleaved rounds). Target: predict >= 5x faster.

  class    SESSIONS clients training at once (the default network each), while a client posts
           /api/explain (the lecture neuron) RATE times a second, each request on its own (a
           slow answer does not slow the next one's start). Reported: frames per second per
           session (the slowest and the median), the explain p50 / p95, the errors, and the
           server's RSS after warm-up and every minute after (every quarter of a --quick run).
           Targets: every session receives frames, explain p95 <= 250 ms, no error, RSS
           growth <= 10% after warm-up.
           Full run: 5 minutes; --quick: 20 s.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time

from benchmarks.lab import NEURON, NEURON_VALUES, Server, percentile
from benchmarks.report import Section, Target, table

DEFAULT = {"dataset": "circles", "points": 500, "train_fraction": 0.5, "noise": 0.0,
           "hidden": [4, 2], "activation": "tanh", "optimizer": "sgd", "lr": 0.03,
           "batch_size": 10, "seed": 0}
# micrograd's demo: make_moons(100, noise=0.1), 2-16-16-1 relu, every sample in each step
# (round(0.9 * 111) = 100 training points)
MICROGRAD = {"dataset": "moons", "points": 111, "train_fraction": 0.9, "noise": 0.1,
             "hidden": [16, 16], "activation": "relu", "optimizer": "sgd", "lr": 0.1,
             "batch_size": 100, "seed": 0}
EPOCH_SECONDS, QUICK_EPOCH_SECONDS = 10.0, 4.0
SESSIONS, RATE = 30, 20.0
CLASS_SECONDS, QUICK_CLASS_SECONDS = 300.0, 20.0
WARM_UP = 10.0  # seconds of the class before the first RSS reading
MINUTE = 60.0
DEFAULT_EPS, MICROGRAD_EPS, PREDICT_SPEEDUP, EXPLAIN_P95_MS = 30.0, 10.0, 5.0, 250.0


def _ws_url(url: str) -> str:
    return url.replace("http://", "ws://") + "ws/network"


async def _open(url: str, config: dict) -> object:
    """A socket with a configured session, its configured message and first frame read."""
    from websockets.asyncio.client import connect

    socket = await connect(_ws_url(url), origin=url.rstrip("/"), max_size=None)
    await socket.send(json.dumps({"type": "configure", "config": config}))
    for kind in ("configured", "frame"):
        message = json.loads(await socket.recv())
        if message["type"] != kind:
            raise RuntimeError(f"the lab answered {message} to a configure")
    return socket


async def _count_frames(socket: object, seconds: float, counts: list[int],
                        epochs: list[int]) -> None:
    """Read frames for `seconds`: counts[0] frames, epochs the epochs they carried."""
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        try:
            text = await asyncio.wait_for(socket.recv(), left)
        except asyncio.TimeoutError:
            break
        if '"type":"frame"' in text[:20]:
            counts[0] += 1
            epochs.append(json.loads(text)["epoch"])


async def _epochs_per_second(url: str, config: dict, seconds: float) -> tuple[float, int]:
    """(frames per second received while playing, the last epoch reached)."""
    socket = await _open(url, config)
    try:
        await socket.send('{"type": "play"}')
        await _count_frames(socket, 1.0, [0], [])  # warm-up
        counts, epochs = [0], []
        await _count_frames(socket, seconds, counts, epochs)
        return counts[0] / seconds, max(epochs, default=0)
    finally:
        await socket.close()


# The two networks as the page's address names them (network.js's configFromHash)
PAGE_ADDRESSES = {"default": "", "micrograd": "#dataset=moons&points=111&train=0.9&noise=0.1"
                  "&seed=0&hidden=16,16&activation=relu&optimizer=sgd&lr=0.1&batch=100&l2=0"}
PAGE_STATE = "async () => { const s = (await import('/static/network.js')).state; return %s; }"
CHROMIUM = "/usr/bin/chromium"


def browser_rates(url: str, seconds: float) -> dict[str, tuple[float, float, float]] | str:
    """network -> (frames received per second, frames drawn per second, mean ms per drawing)
    in headless Chromium playing the page; or why it could not be measured."""
    import os

    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return "Playwright is not installed (make test installs it)"
    if not os.path.exists(CHROMIUM):
        return f"no Chromium at {CHROMIUM} (.ci/install-chromium installs it)"
    read = PAGE_STATE % "[s.counts.received, s.counts.drawn, s.counts.drawMs]"
    rates = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu",
                                            "--no-first-run", "--disable-background-networking",
                                            "--disable-component-update", "--disable-sync"])
        try:
            for name, address in PAGE_ADDRESSES.items():
                page = browser.new_page(viewport={"width": 1920, "height": 1080})
                page.goto(url + "network" + address)
                page.wait_for_function(PAGE_STATE % "s.frame !== null", timeout=30_000)
                page.get_by_role("button", name="Play").click()
                time.sleep(1.0)  # warm-up
                (received0, drawn0, ms0), start = page.evaluate(read), time.monotonic()
                time.sleep(seconds)
                (received1, drawn1, ms1) = page.evaluate(read)
                elapsed = time.monotonic() - start
                drawn = drawn1 - drawn0
                rates[name] = ((received1 - received0) / elapsed, drawn / elapsed,
                               (ms1 - ms0) / max(drawn, 1))
                page.get_by_role("button", name="Pause").click()
                page.close()
        finally:
            browser.close()
    return rates


def predict_ratio(rounds: int) -> tuple[float, float]:
    """(median ms of predict_batch, of the no_grad forward) over the 50 x 50 grid."""
    from autograd import no_grad
    from chainrule.lab.network import RESOLUTION, Session, check_config
    from nn.plots import grid_points

    session = Session(check_config(DEFAULT))
    model, grid = session.model, grid_points(session.shader.bounds, RESOLUTION)
    fast, slow = [], []
    for _ in range(rounds):
        start = time.perf_counter()
        model.predict_batch(grid)
        fast.append(time.perf_counter() - start)
        start = time.perf_counter()
        with no_grad():
            [model(x).data for x in grid]
        slow.append(time.perf_counter() - start)
    return 1000 * statistics.median(fast), 1000 * statistics.median(slow)


def _rss_mb(pid: int) -> float | None:
    """The process's resident memory in MB (Linux's /proc), None elsewhere."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


async def _explain_load(url: str, seconds: float) -> tuple[list[float], int]:
    """POST /api/explain RATE times a second for `seconds`: (latencies in ms, errors)."""
    import httpx

    latencies: list[float] = []
    errors = 0

    async def one(client: httpx.AsyncClient, k: int) -> None:
        nonlocal errors
        values = {**NEURON_VALUES, "x1": 2.0 + k % 7 / 10}
        start = time.perf_counter()
        try:
            answer = await client.post(url + "api/explain", json={"formula": NEURON,
                                                                  "values": values})
            if answer.status_code != 200:
                errors += 1
        except httpx.HTTPError:
            errors += 1
        latencies.append(1000 * (time.perf_counter() - start))

    limits = httpx.Limits(max_connections=100)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        tasks, start, k = [], time.monotonic(), 0
        while (due := start + k / RATE) < start + seconds:
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            tasks.append(asyncio.create_task(one(client, k)))
            k += 1
        await asyncio.gather(*tasks)
    return latencies, errors


async def _class(url: str, pid: int, seconds: float) -> dict:
    """SESSIONS sessions playing, the explain load beside them, RSS read as it goes."""
    sockets = [await _open(url, {**DEFAULT, "seed": i}) for i in range(SESSIONS)]
    try:
        for socket in sockets:
            await socket.send('{"type": "play"}')
        counts = [[0] for _ in sockets]
        epochs: list[list[int]] = [[] for _ in sockets]
        readers = [asyncio.create_task(_count_frames(s, seconds + WARM_UP, c, e))
                   for s, c, e in zip(sockets, counts, epochs)]
        await asyncio.sleep(WARM_UP)
        rss = [(0.0, _rss_mb(pid))]
        at_warm_up = [c[0] for c in counts]
        load = asyncio.create_task(_explain_load(url, seconds))
        start, every = time.monotonic(), min(MINUTE, seconds / 4)
        while (elapsed := time.monotonic() - start) < seconds - 0.5:
            await asyncio.sleep(every - elapsed % every)
            rss.append((time.monotonic() - start, _rss_mb(pid)))
        latencies, errors = await load
        await asyncio.gather(*readers)
        rates = [(c[0] - w) / seconds for c, w in zip(counts, at_warm_up)]
        return {"rates": rates, "latencies": latencies, "errors": errors, "rss": rss,
                "epochs": [max(e, default=0) for e in epochs]}
    finally:
        for socket in sockets:
            await socket.close()


def run(quick: bool) -> Section:
    epoch_seconds = QUICK_EPOCH_SECONDS if quick else EPOCH_SECONDS
    class_seconds = QUICK_CLASS_SECONDS if quick else CLASS_SECONDS
    fast_ms, slow_ms = predict_ratio(5 if quick else 21)
    server = Server()
    try:
        pid = server.process.pid
        default_eps, default_epoch = asyncio.run(_epochs_per_second(server.url, DEFAULT,
                                                                    epoch_seconds))
        micrograd_eps, micrograd_epoch = asyncio.run(_epochs_per_second(server.url, MICROGRAD,
                                                                        epoch_seconds))
        in_browser = browser_rates(server.url, epoch_seconds)
        crowd = asyncio.run(_class(server.url, pid, class_seconds))
    finally:
        server.stop()

    section = Section("The network lab: epochs per second at a client, predict, a class of 30")
    rates, latencies = sorted(crowd["rates"]), crowd["latencies"]
    rss = crowd["rss"]
    first_rss, last_rss = rss[0][1], rss[-1][1]
    growth = (last_rss / first_rss - 1.0) if first_rss and last_rss else None
    section.lines += [
        "One client playing; frames (one per epoch, each with its boundary and heatmaps) "
        f"received per second over {epoch_seconds:g} s:",
        "",
        *table(["network", "epochs/s", "epoch reached"], [
            ["TF Playground default, 2-4-2-1 tanh, 250 points, batch 10",
             f"{default_eps:.1f}", f"{default_epoch}"],
            ["micrograd's 2-16-16-1 relu, 100 moons, full batch",
             f"{micrograd_eps:.1f}", f"{micrograd_epoch}"]]),
        "",
        *_browser_lines(in_browser, epoch_seconds),
        "",
        f"The 50 x 50 boundary grid through the default network: predict_batch {fast_ms:.2f} ms, "
        f"the no_grad forward {slow_ms:.2f} ms ({slow_ms / fast_ms:.1f}x).",
        "",
        f"{SESSIONS} sessions playing the default network for {class_seconds:g} s (after "
        f"{WARM_UP:g} s of warm-up), /api/explain {RATE:g} times a second meanwhile:",
        "",
        *table(["frames/s per session: slowest", "median", "fastest", "explain p50 ms",
                "p95 ms", "requests", "errors"],
               [[f"{rates[0]:.2f}", f"{statistics.median(rates):.2f}", f"{rates[-1]:.2f}",
                 f"{statistics.median(latencies):.1f}", f"{percentile(latencies, 95):.1f}",
                 f"{len(latencies)}", f"{crowd['errors']}"]]),
        "",
        "The server's RSS (MB) from the end of warm-up: " + ", ".join(
            f"{t:.0f} s: {'n/a' if mb is None else f'{mb:.1f}'}" for t, mb in rss),
    ]
    note = "quick run: short" if quick else ""
    section.targets += [
        Target("ms per epoch, default network (1000 / 30)", 1000 / max(default_eps, 1e-9),
               1000 / DEFAULT_EPS, note),
        Target("ms per epoch, 2-16-16-1 moons (1000 / 10)", 1000 / max(micrograd_eps, 1e-9),
               1000 / MICROGRAD_EPS, note),
        *_browser_targets(in_browser, note),
        Target("predict / no_grad forward, 50 x 50 grid", fast_ms / slow_ms,
               1 / PREDICT_SPEEDUP),
        Target(f"sessions of {SESSIONS} receiving no frame", float(sum(r == 0 for r in rates)),
               0.0),
        Target(f"/api/explain p95 (ms), {SESSIONS} sessions training", percentile(latencies, 95),
               EXPLAIN_P95_MS),
        Target("/api/explain errors", float(crowd["errors"]), 0.0),
        Target("RSS growth after warm-up", growth, 0.10, note),
    ]
    return section


NETWORK_NAMES = {"default": "TF Playground default, 2-4-2-1 tanh, 250 points, batch 10",
                 "micrograd": "micrograd's 2-16-16-1 relu, 100 moons, full batch"}


def _browser_lines(rates: dict | str, seconds: float) -> list[str]:
    if isinstance(rates, str):
        return [f"The page in Chromium: not measured, {rates}."]
    return [f"The page in Chromium playing, over {seconds:g} s (at 1920 x 1080):", "",
            *table(["network", "received/s", "drawn/s", "ms per drawing"],
                   [[NETWORK_NAMES[name], f"{got:.1f}", f"{drawn:.1f}", f"{ms:.1f}"]
                    for name, (got, drawn, ms) in rates.items()])]


def _browser_targets(rates: dict | str, note: str) -> list[Target]:
    """ms per frame drawn by the page, against the same 30 and 10 epochs a second."""
    if isinstance(rates, str):
        return [Target("ms per frame drawn in Chromium, default network", None,
                       1000 / DEFAULT_EPS, rates),
                Target("ms per frame drawn in Chromium, 2-16-16-1 moons", None,
                       1000 / MICROGRAD_EPS, rates)]
    return [Target("ms per frame drawn in Chromium, default network",
                   1000 / max(rates["default"][1], 1e-9), 1000 / DEFAULT_EPS, note),
            Target("ms per frame drawn in Chromium, 2-16-16-1 moons",
                   1000 / max(rates["micrograd"][1], 1e-9), 1000 / MICROGRAD_EPS, note)]
