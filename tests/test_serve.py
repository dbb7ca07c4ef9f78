"""`chainrule serve`, run as a teacher runs it: the installed console script in a subprocess,
listening on 127.0.0.1 (port 0: a free one, which the first line of its output names), stopped
by a real SIGINT or SIGTERM, also while a request is half sent and while an idle browser
connection is held open. The contract: it stops within 5 s, with exit status 0."""

from __future__ import annotations

import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from chainrule.lab.guard import is_loopback

SCRIPT = Path(sys.executable).parent / "chainrule"
if not SCRIPT.exists():
    SCRIPT = Path(shutil.which("chainrule") or "chainrule")
STOP_WITHIN = 5.0  # seconds: the contract's bound


class Served:
    """A running `chainrule serve` and the address it printed."""

    def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
        environment = {k: v for k, v in os.environ.items()
                       if k not in ("DISPLAY", "WAYLAND_DISPLAY", "BROWSER")}
        environment.update(env or {})
        self.process = subprocess.Popen(
            [str(SCRIPT), "serve", "--port", "0", *args], stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, env=environment)
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.url = self.readline(timeout=60)
        assert self.url.startswith("http://127.0.0.1:") and self.url.endswith("/"), self.url
        self.port = int(self.url.rsplit(":", 1)[1].rstrip("/"))

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))

    def readline(self, timeout: float) -> str:
        """The next line it prints (waiting at most `timeout` s for it)."""
        try:
            return self.lines.get(timeout=timeout)
        except queue.Empty:
            self.process.kill()
            pytest.fail(f"chainrule serve printed nothing in {timeout} s: "
                        f"{self.process.stderr.read()}")

    def stop(self, signum: int) -> tuple[int, float, str]:
        """Send `signum`; (exit status, seconds it took to exit, stderr)."""
        sent = time.monotonic()
        self.process.send_signal(signum)
        try:
            status = self.process.wait(timeout=STOP_WITHIN)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            pytest.fail(f"chainrule serve did not stop within {STOP_WITHIN} s of {signum}")
        took = time.monotonic() - sent
        return status, took, self.process.stderr.read()

    def connect(self) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.port), timeout=10)


@pytest.fixture
def served() -> Iterator[Served]:
    lab = Served("--no-browser")
    try:
        yield lab
    finally:
        if lab.process.poll() is None:
            lab.process.kill()
            lab.process.wait()


def test_serve_prints_its_address_alone_on_the_first_line_and_answers_there(served):
    assert httpx.get(served.url + "api/health").json() == {"ok": True}
    page = httpx.get(served.url)
    assert page.status_code == 200
    assert '<label for="formula">Formula</label>' in page.text  # the lab's page
    assert "Ctrl-C" in served.readline(timeout=10)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_stop_signal_ends_it_with_status_0(served, signum):
    assert httpx.get(served.url + "api/health").status_code == 200
    status, _, stderr = served.stop(signum)
    assert status == 0, stderr
    assert "Traceback" not in stderr


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_it_stops_with_a_request_half_sent_and_a_browser_connection_held_open(served, signum):
    idle = served.connect()  # a browser tab: one request answered, the connection kept alive
    idle.sendall(f"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1:{served.port}\r\n\r\n".encode())
    assert b"200 OK" in idle.recv(65536)
    half = served.connect()  # a request whose body never comes: in flight until cut off
    half.sendall(f"POST /api/explain HTTP/1.1\r\nHost: 127.0.0.1:{served.port}\r\n"
                 "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{".encode())
    time.sleep(0.2)  # (let the server start reading it)
    try:
        status, _, stderr = served.stop(signum)
    finally:
        idle.close()
        half.close()
    assert status == 0, stderr
    assert "Traceback" not in stderr


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_request_begun_before_the_stop_is_still_answered(served, signum):
    body = b'{"formula": "x*y", "values": {"x": 2, "y": 3}}'
    with served.connect() as begun:
        begun.sendall(f"POST /api/explain HTTP/1.1\r\nHost: 127.0.0.1:{served.port}\r\n"
                      f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
                      "\r\n".encode() + body[:10])
        time.sleep(0.2)  # (let the server start reading it)
        served.process.send_signal(signum)
        time.sleep(0.2)
        begun.sendall(body[10:])  # the rest comes after the stop: within the grace it gets
        answer = b""
        while chunk := begun.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
    assert b'"grads"' in answer
    status, _, stderr = served.stop(signum)
    assert status == 0, stderr


def test_it_stops_while_requests_are_being_worked_on(served):
    formula = " + ".join(f"tanh(w{i}*x{i})" for i in range(60))
    answers: list[int] = []

    def ask() -> None:
        try:
            answers.append(httpx.post(served.url + "api/explain", json={
                "formula": formula, "values": {}, "fill_missing": True}, timeout=30).status_code)
        except httpx.HTTPError:  # cut off by the stop: that is allowed
            answers.append(0)

    askers = [threading.Thread(target=ask) for _ in range(4)]
    for asker in askers:
        asker.start()
    time.sleep(0.05)
    status, _, stderr = served.stop(signal.SIGINT)
    for asker in askers:
        asker.join()
    assert status == 0, stderr
    assert all(answer in (0, 200, 503) for answer in answers), answers


def test_a_port_in_use_is_a_one_line_error_and_exit_status_2():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run([str(SCRIPT), "serve", "--port", str(port), "--no-browser"],
                              capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stdout == ""
    (line,) = done.stderr.splitlines()
    assert f"port {port} is in use" in line and "--port" in line


@pytest.mark.parametrize("port", ["70000", "abc", "-1"])
def test_a_port_that_is_no_port_is_a_usage_error(port):
    done = subprocess.run([str(SCRIPT), "serve", "--port", port], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2
    assert len(done.stderr.splitlines()) == 1 and "--port" in done.stderr


def test_the_browser_is_opened_at_the_address_unless_told_not_to(tmp_path):
    opened = tmp_path / "opened.txt"
    browser = (f"{sys.executable} -c \"import sys; open(sys.argv[1], 'w')"
               f".write(sys.argv[2])\" {opened} %s")
    lab = Served(env={"BROWSER": browser})
    try:
        for _ in range(200):
            if opened.exists() and opened.read_text():
                break
            time.sleep(0.05)
        assert opened.read_text() == lab.url
    finally:
        status, _, stderr = lab.stop(signal.SIGTERM)
    assert status == 0, stderr


def test_without_a_display_no_browser_is_started_and_it_says_so():
    lab = Served()  # DISPLAY, WAYLAND_DISPLAY and BROWSER are left out of its environment
    try:
        assert "Ctrl-C" in lab.readline(timeout=10)
        assert "no browser opened" in lab.readline(timeout=10)
        assert httpx.get(lab.url + "api/health").status_code == 200
    finally:
        status, _, stderr = lab.stop(signal.SIGINT)
    assert status == 0, stderr


def test_the_help_lists_serve():
    done = subprocess.run([str(SCRIPT), "--help"], capture_output=True, text=True, timeout=60)
    assert "serve [--host H] [--port P] [--no-browser]" in done.stdout


def test_only_loopback_addresses_count_as_this_machine():
    for host in ("127.0.0.1", "127.0.0.2", "localhost", "::1", "[::1]", "LOCALHOST"):
        assert is_loopback(host), host
    for host in ("0.0.0.0", "::", "192.168.1.2", "10.0.0.1", "lab.school.example", ""):
        assert not is_loopback(host), host
