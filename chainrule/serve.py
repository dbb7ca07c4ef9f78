"""`chainrule serve [--host 127.0.0.1] [--port 8765] [--no-browser]`: the live lab, a web page
over the real engine (see chainrule.lab).

    $ chainrule serve
    http://127.0.0.1:8765/
    chainrule lab: open the address above in a browser; Ctrl-C stops it.

The address is the first line printed, alone on its line, once the lab is listening (with
--port 0 the system picks a free port: the line says which). The lab listens on 127.0.0.1,
this machine only, unless --host says otherwise; another host prints a warning first.

Exit status: 0 when stopped by Ctrl-C, SIGTERM or SIGHUP (within a few seconds: requests still
running get GRACE seconds to finish, then are cut off; a second Ctrl-C cuts them off at once);
2 when it cannot listen where it was told (the port is in use, the host is not an address of
this machine: the same status as any other argument that cannot be used); 1 when the serve
extra is not installed or the server fails.

NOTE: signals. chainrule.cli turns SIGINT, SIGTERM and SIGHUP into exceptions in the main
thread (StopOnSignals), and uvicorn's own `Server.run()` would put its handlers in their place
and raise the signal again after its shutdown, which would end the command with 130 or 143.
So uvicorn runs in a thread of its own, where it installs no handler; the main thread waits,
and when a stop arrives as an exception it asks uvicorn to shut down (`should_exit`), waits for
it, and returns 0.
"""

from __future__ import annotations

import sys

from chainrule.console import PROG, fail, make_parser

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    import socket
    from typing import Any

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
GRACE = 2.0  # seconds that running requests get to finish once a stop is asked for
EXTRA = f"pip install '{PROG}[serve]'"


def parser() -> argparse.ArgumentParser:
    p = make_parser(
        prog=f"{PROG} serve",
        description="Start the live lab: a web page where you type a formula, drag its numbers "
        "and watch every gradient move, computed by chainrule itself.",
        epilog=f"example: {PROG} serve --port 8000 --no-browser",
    )
    p.add_argument("--host", default=DEFAULT_HOST, help="the address to listen on (default "
                   f"{DEFAULT_HOST}: this machine only; 0.0.0.0 lets anyone on the network in)")
    p.add_argument("--port", type=_port, default=DEFAULT_PORT,
                   help=f"the port to listen on (default {DEFAULT_PORT}; 0 picks a free one)")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser")
    return p


def _port(text: str) -> int:
    import argparse

    if not (text.isascii() and text.isdigit()) or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (0 to 65535)")
    return int(text)


class BindError(Exception):
    """The lab cannot listen where it was told to; the message says why and what to do."""


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on host:port (port 0: a free one), or BindError in one sentence."""
    import errno
    import socket

    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
    except (socket.gaierror, UnicodeError) as e:
        raise BindError(f"cannot listen on {host!r}: it is not an address or a known host name "
                        f"({getattr(e, 'strerror', None) or e}); leave --host out to use "
                        f"{DEFAULT_HOST}") from None
    sock = socket.socket(family, kind, proto)
    try:
        # a lab stopped a moment ago leaves its port in TIME_WAIT; one still running keeps it
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError as e:
        sock.close()
        where = f"{host}:{port}"
        if e.errno == errno.EADDRINUSE:
            raise BindError(f"port {port} is in use on {host} (another {PROG} serve?): stop the "
                            f"program using it, or choose another port, e.g. --port "
                            f"{port + 1 if port < 65535 else 8766}") from None
        if e.errno == errno.EACCES:
            raise BindError(f"no permission to listen on {where}: choose a port above 1023, "
                            f"e.g. --port {DEFAULT_PORT}") from None
        if e.errno == errno.EADDRNOTAVAIL:
            raise BindError(f"cannot listen on {host}: it is not an address of this machine; "
                            f"leave --host out to use {DEFAULT_HOST}") from None
        raise BindError(f"cannot listen on {where}: {e.strerror or e}") from None
    return sock


class RunningLab:
    """The lab on uvicorn, in a thread of its own, serving `sock`.

        lab = RunningLab(bind("127.0.0.1", 0), "127.0.0.1")
        lab.start()          # True once it answers
        lab.url              # http://127.0.0.1:PORT/
        lab.stop()           # shut down: running requests get GRACE seconds

    `app_options` go to chainrule.lab.app.create_app (workers, time_limit, ...).
    """

    def __init__(self, sock: socket.socket, host: str, grace: float = GRACE,
                 **app_options: Any) -> None:
        import threading

        import uvicorn

        from chainrule.lab.app import create_app

        self.sock, self.grace = sock, grace
        port = sock.getsockname()[1]
        self.app = create_app(host, port, **app_options)
        self.url = f"http://{self.app.state.lab.served.url_host()}/"
        config = uvicorn.Config(
            self.app, log_level="warning", access_log=False, lifespan="on",
            timeout_graceful_shutdown=grace, server_header=False,
            # the network lab's messages are small (ws.py refuses over 16 KB): uvicorn need not
            # gather 16 MB of one before that check can see it
            ws_max_size=64 * 1024,
        )
        _hide_cut_off_requests()
        self.server = uvicorn.Server(config)
        self.ended = threading.Event()  # set when the server's thread is done
        self.thread = threading.Thread(target=self._serve, name="chainrule-lab-server",
                                       daemon=True)

    def _serve(self) -> None:
        try:
            self.server.run(sockets=[self.sock])
        finally:
            self.ended.set()

    # NOTE: the main thread waits on `ended`, never with Thread.join: a Ctrl-C that interrupts
    # join() can leave the thread marked as stopped while it still runs (CPython's
    # _wait_for_tstate_lock), and the process would then exit without letting it shut down.

    def start(self) -> bool:
        """Start serving; True once uvicorn is up, False if it ended before that."""
        self.thread.start()
        while not self.server.started and not self.ended.wait(0.02):
            pass
        return self.server.started and not self.ended.is_set()

    def wait(self) -> None:
        """Until the server ends (it ends only when stopped): Ctrl-C arrives here."""
        while not self.ended.wait(0.5):
            pass

    def stop(self) -> bool:
        """Shut the server down; True when it has ended. Open connections are closed, requests
        running get `grace` seconds; a stop signal while waiting cuts them off at once."""
        import time

        from chainrule.cli import Terminated

        self.server.should_exit = True
        if not self.thread.ident:  # stopped before it started
            self.sock.close()
            return True
        deadline = time.monotonic() + self.grace + 2.0
        while not self.ended.is_set() and time.monotonic() < deadline:
            try:
                self.ended.wait(0.1)
            except (KeyboardInterrupt, Terminated):  # a second stop: do not wait for anyone
                self.server.force_exit = True
        return self.ended.is_set()


def _hide_cut_off_requests() -> None:
    """uvicorn logs each request it cancels at the end of a graceful shutdown (one still running
    after GRACE seconds) as "Exception in ASGI application" with a traceback. That cancellation
    is the stop the user asked for, not a failure: its line "Cancel 1 running task(s)" stays,
    the traceback goes. Any other exception is logged as before."""
    import asyncio
    import logging

    class CutOff(logging.Filter):
        def filter(self, record: logging.LogRecord) -> bool:
            error = record.exc_info[1] if record.exc_info else None
            return not isinstance(error, asyncio.CancelledError)

    logger = logging.getLogger("uvicorn.error")
    if not any(type(f).__name__ == "CutOff" for f in logger.filters):
        logger.addFilter(CutOff())


def run(ns: argparse.Namespace) -> int:
    from chainrule.cli import Terminated

    try:
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as e:
        fail(f"the live lab needs {e.name}, which is not installed: {EXTRA}")
        return 1
    from chainrule.lab.guard import is_loopback

    try:
        sock = bind(ns.host, ns.port)
    except BindError as e:
        fail(str(e))
        return 2
    if not is_loopback(ns.host):
        print(f"{PROG}: warning: listening on {ns.host}, so anyone on the network who can reach "
              "this machine can use the lab (and its CPU); leave --host out to keep it to this "
              "machine", file=sys.stderr, flush=True)
    lab = None
    try:
        lab = RunningLab(sock, ns.host)
        if not lab.start():
            fail("the lab's server stopped as it started (see the messages above)")
            return 1
        print(lab.url, flush=True)
        print(f"{PROG} lab: open the address above in a browser; Ctrl-C stops it.", flush=True)
        if not ns.no_browser:
            _open_browser(lab.url)
        lab.wait()
        fail("the lab's server stopped by itself (see the messages above)")
        return 1
    except (KeyboardInterrupt, Terminated):
        return 0
    finally:
        if lab is not None:
            lab.stop()
        else:
            sock.close()


def _open_browser(url: str) -> None:
    """Open `url` in the user's browser, in a thread, never blocking or failing the server.

    Only where a graphical browser can be: a display (X11 or Wayland), macOS, Windows, or a
    BROWSER variable naming one. On a machine without any, Python's webbrowser would start a
    text browser (lynx, w3m) that takes over this terminal."""
    import os
    import threading

    graphical = (sys.platform in ("darwin", "win32") or os.environ.get("DISPLAY")
                 or os.environ.get("WAYLAND_DISPLAY") or os.environ.get("BROWSER"))
    if not graphical:
        print("(no browser opened: this machine has no display)", flush=True)
        return

    def open_it() -> None:
        import webbrowser

        try:
            webbrowser.open(url)
        except Exception:  # noqa: BLE001 - a browser that fails to start is not the lab's failure
            pass

    threading.Thread(target=open_it, name="chainrule-open-browser", daemon=True).start()
