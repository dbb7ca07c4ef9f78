"""The lab's wiring: `create_app(host, port)` puts the routes (api.py) behind the guard
(guard.py), with the worker threads and the layout cache they share, and the network lab's
page and WebSocket (ws.py) with its sessions (training.py).

    app = create_app("127.0.0.1", 8765)     # an ASGI app; `chainrule serve` runs it on uvicorn
    app.state.lab                           # its Lab: pool, layouts, sessions, the pages' files

The page and its files are read once, here, into memory: no request ever names a file that the
server then opens.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from importlib.resources import files
from typing import Any

from chainrule.lab.guard import BODY_LIMIT, Guard, Served, WorkPool
from chainrule.lab.layouts import LayoutCache
from chainrule.lab.training import IDLE_SECONDS, MAX_SESSIONS, Sessions

JS, CSS = "text/javascript; charset=utf-8", "text/css; charset=utf-8"
# name under /static/ -> (package, file, media type): the lab's own files, and the
# step-through's, which the static page inlines (one copy of each, shared)
STATIC_FILES = {
    "lab.js": ("chainrule.lab", "static/lab.js", JS),
    "lab.css": ("chainrule.lab", "static/lab.css", CSS),
    "steps.js": ("autograd", "steps.js", JS),
    "steps.css": ("autograd", "steps.css", CSS),
    "network.js": ("chainrule.lab", "static/network.js", JS),
    "network.css": ("chainrule.lab", "static/network.css", CSS),
}
PAGE = ("chainrule.lab", "static/lab.html")
NETWORK_PAGE = ("chainrule.lab", "static/network.html")


def _read(package: str, name: str) -> bytes:
    return files(package).joinpath(name).read_bytes()


@dataclass
class Lab:
    """What the routes share: the address served, the work pool, the layout cache, the network
    lab's sessions, the pages and their files (bytes, read at start), and a count of the bugs
    the last resort caught (in a request or in a session's thread)."""

    served: Served
    pool: WorkPool
    layouts: LayoutCache
    sessions: Sessions = field(default_factory=Sessions)
    page: bytes = field(default_factory=lambda: _read(*PAGE))
    network_page: bytes = field(default_factory=lambda: _read(*NETWORK_PAGE))
    static: dict[str, tuple[bytes, str]] = field(default_factory=lambda: {
        name: (_read(package, path), media) for name, (package, path, media)
        in STATIC_FILES.items()})
    internal_errors: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count_internal_error(self) -> None:
        with self._lock:
            self.internal_errors += 1


def create_app(
    host: str = "127.0.0.1",
    port: int = 8765,
    *,
    workers: int = 4,
    backlog: int = 64,
    time_limit: float = 10.0,
    body_limit: int = BODY_LIMIT,
    layouts: LayoutCache | None = None,
    max_sessions: int = MAX_SESSIONS,
    idle_seconds: float = IDLE_SECONDS,
) -> Any:
    """The lab as an ASGI app (Starlette), answering only requests for http://host:port/.

    `workers` threads do the requests' work, at most `workers + backlog` requests wait or run
    at once, and each is answered within `time_limit` seconds (503 past it). At most
    `max_sessions` network sessions are open at once; one whose page sends nothing for
    `idle_seconds` is paused, then ended (chainrule.lab.ws).
    """
    from starlette.applications import Starlette
    from starlette.exceptions import HTTPException
    from starlette.middleware import Middleware
    from starlette.responses import Response
    from starlette.routing import Route, WebSocketRoute

    from chainrule.lab import api, ws

    served = Served(host, port)
    lab = Lab(served, WorkPool(workers, backlog, time_limit), layouts or LayoutCache())
    lab.sessions = Sessions(max_sessions, idle_seconds=idle_seconds,
                            on_bug=lab.count_internal_error,
                            busy=lambda: lab.pool.pending > 0)  # the formula lab goes first

    async def network_page(request: Any) -> Any:
        return Response(lab.network_page, media_type="text/html; charset=utf-8")

    @contextlib.asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        yield
        lab.sessions.close_all()
        lab.pool.close()

    app = Starlette(
        routes=[*api.routes(), Route("/network", network_page, methods=["GET"]),
                WebSocketRoute("/ws/network", ws.network_socket)],
        middleware=[Middleware(Guard, served=served, body_limit=body_limit)],
        exception_handlers={HTTPException: api.http_error, Exception: api.last_resort},
        lifespan=lifespan,
    )
    app.state.lab = lab
    return app
