"""What every request of the lab goes through, whatever its route: who may ask (Host and Origin),
how much it may send (64 KB), which headers every answer carries, and where and how long its
work may run (a few worker threads, each job bounded in time).

Why the Host and Origin checks. The lab listens on 127.0.0.1, so no other machine reaches it;
but any web page open in the teacher's browser could still try. A page of another site cannot
read the lab's answers (the browser's same-origin rule), yet it could POST to it, and with DNS
rebinding (its own host name pointed at 127.0.0.1) even read them. So:
- `Host` must name the address served: 127.0.0.1, localhost or [::1] with our port, or the
  --host given. A rebinding page's requests carry its own host name, and get 403.
  Served on every interface (--host 0.0.0.0), any IP address with our port is accepted too:
  students type the teacher's address, and an IP address cannot be rebound.
- `Origin`, when present (browsers send it with every POST and every cross-site request), must
  be the lab's own, http://<the Host>; another site's page gets 403.

This module is plain ASGI and standard library: it needs neither Starlette nor uvicorn.
"""

from __future__ import annotations

import asyncio
import contextvars
import ipaddress
import json
import queue
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

BODY_LIMIT = 64 * 1024  # bytes; a formula and its values fit in a fraction of it

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")
WILDCARDS = ("0.0.0.0", "::", "")

# Every answer: no other site may frame the lab or load its files as something else; the page
# runs only the lab's own scripts (the graph's SVG is inserted as markup: no script in it runs).
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
    (b"content-security-policy",
     b"default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
     b"img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; "
     b"frame-ancestors 'none'"),
]

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


# ---------------------------------------------------------------------------------------------
# Who may ask: the Host and Origin rule.


def _split_host(header: str) -> tuple[str, int | None] | None:
    """A Host header "name:port" as (name in lower case, port), IPv6 in brackets unwrapped;
    None when it is not of that form."""
    header = header.strip().lower()
    if header.startswith("["):
        name, bracket, rest = header[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            return None
        port_text = rest[1:] if rest else None
    else:
        name, colon, port_text = header.rpartition(":")
        if not colon:
            name, port_text = header, None
        if ":" in name:  # an IPv6 address must be in brackets
            return None
    if not name:
        return None
    if port_text is None:
        return name, None
    if not (port_text.isascii() and port_text.isdigit()) or len(port_text) > 5:
        return None
    return name, int(port_text)


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def is_loopback(host: str) -> bool:
    """Whether binding `host` keeps the lab on this machine (127.0.0.0/8, ::1, localhost)."""
    host = host.strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class Served:
    """The address the lab serves: `host` as given to --host, and the port it listens on."""

    host: str
    port: int

    @property
    def names(self) -> frozenset[str]:
        """The host names a Host header may carry (with our port)."""
        given = self.host.strip("[]").lower()
        names = {given} if given not in WILDCARDS else set()
        if given in WILDCARDS or is_loopback(given):
            names |= set(LOOPBACK_NAMES)
        return frozenset(names)

    def host_problem(self, header: str | None) -> str | None:
        """Why a request with this Host header is refused, or None when it is ours."""
        if header is None:
            return "the request has no Host header; the lab answers only requests for itself"
        split = _split_host(header)
        ok = False
        if split is not None:
            name, port = split
            port_ok = port == self.port or (port is None and self.port == 80)
            name_ok = name in self.names or (self.host.strip("[]") in WILDCARDS and _is_ip(name))
            ok = port_ok and name_ok
        if ok:
            return None
        return (f"this lab serves {self.url_host()} only, not {header[:80]!r}: open it at "
                f"http://{self.url_host()}/")

    def origin_problem(self, origin: str | None, host: str) -> str | None:
        """Why a request with this Origin is refused (another site's page), or None."""
        if origin is None or origin.strip().lower() == f"http://{host.strip().lower()}":
            return None
        return (f"requests from another site ({origin[:80]!r}) are refused: only the lab's own "
                f"page, http://{self.url_host()}/, may use it")

    def url_host(self) -> str:
        """HOST:PORT as written in a URL (an IPv6 address in brackets)."""
        host = self.host.strip("[]") or "0.0.0.0"
        return f"[{host}]:{self.port}" if ":" in host else f"{host}:{self.port}"


# ---------------------------------------------------------------------------------------------
# The middleware: Host and Origin, the body limit, the security headers.


class TooLarge(Exception):
    """The request's body is longer than the limit."""


class Guard:
    """ASGI middleware in front of the lab: 403 for a Host or Origin not ours, 413 for a body
    over `body_limit` bytes, the security headers on every answer.

    The body is read here, to the end, counting bytes as they arrive: a Content-Length above the
    limit is refused before reading any, and a body sent in chunks (no Content-Length) is
    refused as soon as it passes the limit. The app then gets the body from memory.
    """

    def __init__(self, app: ASGIApp, served: Served, body_limit: int = BODY_LIMIT) -> None:
        self.app = app
        self.served = served
        self.body_limit = body_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # lifespan, and the network lab's WebSocket (ws.py checks its Host and Origin)
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        hosts = headers.get("host", [])
        host = hosts[0] if len(hosts) == 1 else None
        problem = (self.served.host_problem(host) if len(hosts) <= 1
                   else "the request has more than one Host header")
        origins = headers.get("origin", [])
        if problem is None:
            problem = (self.served.origin_problem(origins[0] if origins else None, host)
                       if len(origins) <= 1 else "the request has more than one Origin header")
        if problem is not None:
            await send_error(send, 403, problem)
            return
        try:
            body = await self._read_body(headers, receive)
        except TooLarge:
            await send_error(send, 413, f"the request body is larger than the limit of "
                             f"{self.body_limit // 1024} KB; a formula and its values need far "
                             "less", close=True)
            return
        if body is None:  # the client went away before sending it all
            return
        await self.app(scope, _replay(body, receive), _with_headers(send))

    async def _read_body(self, headers: dict[str, list[str]], receive: Receive) -> bytes | None:
        """The whole body, or None if the client disconnected; TooLarge past the limit."""
        declared = headers.get("content-length", [])
        if any(not (d.strip().isascii() and d.strip().isdigit()) or int(d) > self.body_limit
               for d in declared):
            raise TooLarge  # (a malformed one never gets here: the HTTP parser refuses it)
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.body_limit:
                raise TooLarge
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)


def _headers(scope: Scope) -> dict[str, list[str]]:
    """The request's headers by lower-case name, each name's values in order (latin-1)."""
    found: dict[str, list[str]] = {}
    for name, value in scope.get("headers", []):
        found.setdefault(name.decode("latin-1").lower(), []).append(value.decode("latin-1"))
    return found


def _replay(body: bytes, receive: Receive) -> Receive:
    """A `receive` that gives the body read already, then waits on the client (disconnect)."""
    given = False

    async def replay() -> dict[str, Any]:
        nonlocal given
        if not given:
            given = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _with_headers(send: Send) -> Send:
    async def send_with_headers(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", []), *SECURITY_HEADERS]}
        await send(message)

    return send_with_headers


def error_body(message: str, column: int | None = None) -> bytes:
    """The lab's error answer, {"error": message} (and "column" when it points into the
    formula), as JSON bytes. ASCII only, so a lone surrogate from the request cannot break it."""
    payload: dict[str, object] = {"error": message}
    if column is not None:
        payload["column"] = column
    return json.dumps(payload, ensure_ascii=True).encode("ascii")


async def send_error(send: Send, status: int, message: str, *, close: bool = False) -> None:
    """Answer with a JSON error, straight from the middleware (no app involved)."""
    body = error_body(message)
    headers = [(b"content-type", b"application/json"),
               (b"content-length", str(len(body)).encode("ascii")), *SECURITY_HEADERS]
    if close:  # the rest of the body was not read: the connection cannot carry another request
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


# ---------------------------------------------------------------------------------------------
# Where the work runs: a few threads, each job bounded in time.


class Busy(Exception):
    """The lab cannot take this work now (too much waiting, or it ran past its time bound):
    answered with 503 and the message."""


class WorkPool:
    """`workers` threads that run the lab's jobs (parsing, the engine, dot), so the event loop
    stays free to answer; at most `workers + backlog` jobs wait or run at once.

    A job that has not finished within `time_limit` seconds (waiting included) is answered
    with Busy (503). Python cannot stop a thread, so a job already running goes on to its end
    and its answer is dropped; it still holds its worker until then, which is what bounds the
    work in flight (dot, the slowest part, is stopped by its own time limit). A job still
    waiting is dropped without running. Each job runs in a fresh context (contextvars): nothing,
    not even a no_grad() block, passes from one request to the next.

    The threads are daemons: a stopping server never waits for a job to finish.
    """

    def __init__(self, workers: int = 2, backlog: int = 32, time_limit: float = 10.0) -> None:
        self.time_limit = time_limit
        self.capacity = workers + backlog
        self._jobs: queue.SimpleQueue[tuple[Future, Callable[[], Any]] | None] = (
            queue.SimpleQueue())
        self._lock = threading.Lock()
        self._pending = 0
        self._threads = [threading.Thread(target=self._work, name=f"chainrule-lab-{i}",
                                          daemon=True) for i in range(workers)]
        for thread in self._threads:
            thread.start()

    def submit(self, job: Callable[[], Any]) -> Future:
        """Queue `job`; Busy when `workers + backlog` jobs are waiting or running already."""
        with self._lock:
            if self._pending >= self.capacity:
                raise Busy("the lab is busy with other requests; try again in a moment")
            self._pending += 1
        future: Future = Future()
        self._jobs.put((future, job))
        return future

    async def run(self, job: Callable[[], Any]) -> Any:
        """`job()` in a worker thread, awaited; Busy when the pool is full or time runs out."""
        future = self.submit(job)
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), self.time_limit)
        except asyncio.TimeoutError:
            future.cancel()  # a job still waiting never runs
            raise Busy(f"the lab could not finish this request within {self.time_limit:g} s; "
                       "try a smaller formula, or again in a moment") from None

    @property
    def pending(self) -> int:
        """Jobs waiting or running."""
        with self._lock:
            return self._pending

    def close(self) -> None:
        """Let the threads end once the jobs before this call are done."""
        for _ in self._threads:
            self._jobs.put(None)

    def _work(self) -> None:
        while (item := self._jobs.get()) is not None:
            future, job = item
            try:
                if future.set_running_or_notify_cancel():  # False: given up while waiting
                    try:
                        result = contextvars.Context().run(job)
                    except BaseException as error:  # handed to the request that awaits it
                        future.set_exception(error)
                    else:
                        future.set_result(result)
            finally:
                with self._lock:
                    self._pending -= 1

