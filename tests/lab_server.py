"""A real lab server for the tests: uvicorn on a free port of 127.0.0.1, in a thread of this
process (so a test can look at the app's state, and run engine code beside the server), the
way `chainrule serve` runs it (chainrule.serve.RunningLab).

    pytest_plugins = ["lab_server"]   # in the test module: its fixtures

    def test_x(lab):                 # one server for the module
        httpx.get(lab.url + "api/health")
        lab.app.state.lab            # the Lab: its pool, its layout cache, its error count

    def test_y(lab_with):            # a server of one's own, with other options
        with lab_with(time_limit=0) as slow:
            ...

It binds 127.0.0.1 only, never another address; `serving` returns once /api/health answers
and stops the server after.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from chainrule.serve import RunningLab, bind

HOST = "127.0.0.1"


@contextlib.contextmanager
def serving(**app_options: Any) -> Iterator[RunningLab]:
    """A lab listening on a free port of 127.0.0.1 until the block ends."""
    running = RunningLab(bind(HOST, 0), HOST, **app_options)
    assert running.start(), "the lab's server did not start"
    try:
        _wait_for_health(running.url)
        yield running
    finally:
        assert running.stop(), "the lab's server did not stop"


def _wait_for_health(url: str, attempts: int = 200) -> None:
    for _ in range(attempts):
        try:
            if httpx.get(url + "api/health", timeout=5).json() == {"ok": True}:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise AssertionError(f"{url}api/health never answered")


@pytest.fixture(scope="module")
def lab() -> Iterator[RunningLab]:
    """One lab server shared by a test module."""
    with serving() as running:
        yield running


@pytest.fixture
def lab_with() -> Callable[..., contextlib.AbstractContextManager[RunningLab]]:
    """`serving` itself: `with lab_with(workers=1) as other:` a server with other options."""
    return serving
