"""The network lab's WebSocket, `GET /ws/network`: one socket, one session (see
/work/notes/network_protocol.md for the messages, chainrule.lab.training for the thread).

    page --configure/play/step/...--> network_socket --Command--> Trainer (its thread)
    page <--configured/frame/...----- sender task <----Outbox----- Trainer

What a socket goes through, in order:
- Host and Origin, as every HTTP request (chainrule.lab.guard's rule): another site's page, or
  a DNS-rebinding one, is refused before the socket is accepted (close code 1008: HTTP 403).
- the cap: past MAX_SESSIONS the socket gets an error message and is closed (code 1013).
- every message is checked here, at the boundary, before the session's thread sees it: text
  (not bytes), at most MESSAGE_LIMIT bytes, strict JSON (no NaN, no key twice), an object of a
  known type with exactly its fields, of the right JSON types; the config by
  chainrule.lab.network.check_config. A mistake is an "error" message naming what was wrong;
  nothing else changes, and no other session notices.
- a flood: more than RATE messages a second (beyond a burst of BURST) are refused, with one
  error a second at most; a page that stops reading its messages while sending more is closed
  once OUTBOX_LIMIT messages wait unsent (memory stays bounded either way).
- idle: no message from the page for IDLE_SECONDS pauses a playing session; as long again, and
  the session is ended (a forgotten tab does not train all night).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import sys
import time
from typing import TYPE_CHECKING, Any

from chainrule.lab.network import MessageError, check_config
from chainrule.lab.training import Command, Outbox, SessionsFull, Trainer

if TYPE_CHECKING:
    from starlette.websockets import WebSocket

    from chainrule.lab.app import Lab

MESSAGE_LIMIT = 16 * 1024  # bytes: the largest message, a configure, is about 300
RATE, BURST = 20.0, 40  # messages a second, and how many may come at once
OUTBOX_LIMIT = 256  # messages waiting unsent: past it the page is not reading, and is closed
POLICY_VIOLATION, TRY_AGAIN_LATER = 1008, 1013  # WebSocket close codes
CLOSE_SECONDS = 5.0  # for the last messages to go out before an idle session's socket closes

# type -> its fields and their JSON types (bool is not a number here)
FIELDS: dict[str, dict[str, tuple[type, ...]]] = {
    "configure": {"config": (dict,)},
    "play": {}, "pause": {}, "step": {}, "reset": {},
    "set_weight": {"layer": (int,), "neuron": (int,), "input": (int,), "value": (int, float)},
    "open_neuron": {"layer": (int,), "neuron": (int,), "point": (int,)},
    "show": {"what": (str,)},
}
TYPE_NAMES = {dict: "an object", int: "a whole number", float: "a number", str: "a string"}
EXAMPLE = '{"type": "play"}'


# ---------------------------------------------------------------------------------------------
# A message: text -> JSON -> a Command (or MessageError, one sentence).


def _constant(text: str) -> None:
    raise MessageError(f"{text} is not a JSON number: every number must be finite")


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise MessageError(f"the key {key!r:.60} is given twice in one JSON object")
        found[key] = value
    return found


def _float(text: str) -> float:
    x = float(text)
    if not math.isfinite(x):  # 1e400 reads as inf
        raise MessageError(f"the number {text:.30} is too large for a float")
    return x


def _int(text: str) -> int:
    """A JSON integer; one past a float's range would overflow where a number is read as a
    float (the protocol's integers are seeds and indices, far smaller)."""
    n = int(text)
    if abs(n) > sys.float_info.max:
        raise MessageError(f"the number {text:.30} is too large for a float")
    return n


def read_message(text: str) -> Command:
    """One message from the page, checked: a Command for the session's thread."""
    if len(text) > MESSAGE_LIMIT or len(text.encode("utf-8", "surrogatepass")) > MESSAGE_LIMIT:
        raise MessageError(f"the message is larger than the limit of {MESSAGE_LIMIT // 1024} KB; "
                           "the protocol's messages need far less")
    try:
        data = json.loads(text, object_pairs_hook=_object, parse_constant=_constant,
                          parse_float=_float, parse_int=_int)
    except RecursionError:
        raise MessageError("the message's JSON is nested too deeply: the protocol's messages "
                           "nest three levels at most") from None
    except ValueError as error:
        if isinstance(error, MessageError):
            raise
        raise MessageError(f"the message is not JSON ({str(error)[:80]}): send an object such "
                           f"as {EXAMPLE}") from None
    if not isinstance(data, dict) or not isinstance(data.get("type"), str):
        raise MessageError(f"a message is a JSON object with a \"type\", such as {EXAMPLE}")
    kind = data["type"]
    fields = FIELDS.get(kind)
    if fields is None:
        raise MessageError(f"there is no message type {kind!r:.40}; the types are "
                           f"{', '.join(FIELDS)}")
    given = {key: value for key, value in data.items() if key != "type"}
    for key in given:
        if key not in fields:
            raise MessageError(f"a {kind} message has no field {key!r:.40}"
                               + (f"; its fields are {', '.join(fields)}" if fields else ""))
    for key, types in fields.items():
        if key not in given:
            raise MessageError(f"a {kind} message needs the field {key!r}")
        value = given[key]
        if isinstance(value, bool) or not isinstance(value, types):
            raise MessageError(f"{kind}.{key} must be {TYPE_NAMES[types[-1]]}, not "
                               f"{_json_kind(value)}")
    if kind == "configure":
        return Command(kind, config=check_config(given["config"]))
    if kind == "show" and given["what"] not in ("weights", "grads"):
        raise MessageError(f"show.what must be \"weights\" or \"grads\", not "
                           f"{given['what']!r:.40}")
    return Command(kind, given)


def _json_kind(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    return {list: "an array", dict: "an object", str: "a string"}.get(
        type(value), "a number")


class RateLimit:
    """A token bucket: `rate` messages a second on average, `burst` at once."""

    def __init__(self, rate: float = RATE, burst: int = BURST) -> None:
        self.rate, self.burst = rate, burst
        self._tokens, self._at = float(burst), time.monotonic()
        self._told = -math.inf  # when the page was last told it sends too much

    def allow(self) -> bool:
        now = time.monotonic()
        self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
        self._at = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False

    def tell(self) -> bool:
        """Whether to send the "too many messages" error now (once a second at most)."""
        now = time.monotonic()
        if now - self._told >= 1.0:
            self._told = now
            return True
        return False


# ---------------------------------------------------------------------------------------------
# The route.


def _refusal(websocket: WebSocket, lab: Lab) -> str | None:
    """Why this socket is refused (Host or Origin not the lab's), or None."""
    headers = websocket.headers.getlist
    hosts, origins = headers("host"), headers("origin")
    if len(hosts) != 1:
        return "the request must have one Host header"
    if len(origins) > 1:
        return "the request has more than one Origin header"
    return (lab.served.host_problem(hosts[0])
            or lab.served.origin_problem(origins[0] if origins else None, hosts[0]))


async def network_socket(websocket: WebSocket) -> None:
    """One page's session, from its socket's opening to its closing."""
    lab: Lab = websocket.app.state.lab
    problem = _refusal(websocket, lab)
    if problem is not None:
        await websocket.close(code=POLICY_VIOLATION, reason=problem[:120])
        return
    await websocket.accept()
    outbox = Outbox(asyncio.get_running_loop())
    try:
        trainer = lab.sessions.open(outbox)
    except SessionsFull as full:
        await websocket.send_text(json.dumps({"type": "error", "message": str(full)}))
        await websocket.close(code=TRY_AGAIN_LATER, reason="too many sessions")
        return
    sender = asyncio.create_task(_send_all(websocket, outbox))
    try:
        await _receive_all(websocket, trainer, outbox, lab.sessions.idle_seconds, sender)
    finally:
        lab.sessions.close(trainer)
        sender.cancel()
        try:
            await sender
        except (asyncio.CancelledError, Exception):  # noqa: BLE001 - the socket is gone
            pass


async def _send_all(websocket: WebSocket, outbox: Outbox) -> None:
    """The sender task: everything the session's thread puts in the outbox, in order; then,
    when the outbox is ended, the close."""
    while True:
        for text in await outbox.take():
            await websocket.send_text(text)
        if outbox.ending is not None:
            await websocket.close(*outbox.ending)
            return


async def _receive_all(websocket: WebSocket, trainer: Trainer, outbox: Outbox,
                       idle_seconds: float, sender: asyncio.Task) -> None:
    """Read the page's messages until it closes, or is idle too long, or stops reading."""
    limit = RateLimit()
    last = time.monotonic()  # when the page last sent a message
    receiving: asyncio.Future | None = None
    while True:
        if receiving is None:
            receiving = asyncio.ensure_future(websocket.receive())
        done, _ = await asyncio.wait({receiving, sender}, timeout=idle_seconds,
                                     return_when=asyncio.FIRST_COMPLETED)
        if sender in done:  # the socket failed while sending: the page is gone
            receiving.cancel()
            return
        if not done:  # idle for idle_seconds more
            if trainer.playing:
                trainer.post(Command("pause"))
                continue
            receiving.cancel()
            minutes = (time.monotonic() - last) / 60
            why = (f"the session was ended after {minutes:.3g} minutes without a message from "
                   "the page: reload the page for a new one")
            outbox.message(_error(why))
            outbox.end(1000, "idle")
            with contextlib.suppress(Exception):  # (the socket may be gone already)
                await asyncio.wait_for(sender, CLOSE_SECONDS)
            return
        message, receiving = receiving.result(), None
        last = time.monotonic()
        if message["type"] == "websocket.disconnect":
            return
        if outbox.backlog > OUTBOX_LIMIT:
            await websocket.close(code=POLICY_VIOLATION, reason="the page reads no messages")
            return
        if not limit.allow():
            if limit.tell():
                outbox.message(_error(f"more than {RATE:g} messages a second: the ones over "
                                      "are ignored; send fewer"))
            continue
        try:
            text = message.get("text")
            if text is None:
                raise MessageError("messages are JSON text, not bytes")
            command = read_message(text)
        except MessageError as error:
            outbox.message(_error(str(error)))
            continue
        if not trainer.post(command):
            outbox.message(_error("the session has too many messages waiting: wait for its "
                                  "answers before sending more"))


def _error(message: str) -> dict[str, Any]:
    return {"type": "error", "message": message}

