"""Training in the background: a thread per network session, sharing the CPU fairly, handing
its frames to the event loop so that the newest wins.

    sessions = Sessions()                        # the lab's: the cap, the CPU's slots
    trainer = sessions.open(Outbox(loop))        # SessionsFull past MAX_SESSIONS
    trainer.post(Command("configure", {"config": config}))   # from the socket's messages
    trainer.close()                              # the socket closed: the thread ends

Why a thread per session: nn.fit is plain Python, and a session trains for as long as its page
is open; the event loop must stay free to answer every page and the formula lab. The thread
owns its Session: every change of the model (an epoch, a reset, a weight set by hand) happens
in it, so nothing needs a lock but the hand-offs below.

Why a slot: Python runs one thread at a time (the GIL), so a second training thread running at
once would only make each frame slower, and every thread that trains at once delays the formula
lab's answers. So an epoch and its frame run only while the thread holds one of CPU_SLOTS (1)
slots; it lets go after each epoch and queues again behind the others: round robin, each
session one epoch per turn, however many there are. And the formula lab goes first: while it
has requests waiting or running, the slot's holder waits before its next minibatch or frame
(up to GIVE_WAY each time); the thread that answers a formula waits at most one switch
interval (SWITCH_INTERVAL, 1 ms, not Python's 5 ms) for the GIL meanwhile.

Hand-offs:
- page -> thread: `Trainer.post` queues a Command (at most COMMAND_BACKLOG waiting); the
  thread takes them between epochs, or waits for one while paused.
- thread -> page: an Outbox, read by the socket's sender task on the event loop. Messages
  (configured, neuron, diverged, error) are kept in order; frames are not: the outbox holds
  only the newest, so when the page reads slower than the session trains, older frames are
  dropped (and while one waits unsent, the next epochs make none): training never waits for
  the page, and memory never grows. A frame never overtakes a message made after it.

Limits for a classroom on one laptop: MAX_SESSIONS open at once (40: a class of 30, with a
teacher's and a few spare tabs); a playing session whose page sends nothing for IDLE_SECONDS
(30 minutes) is paused, a paused one is ended (chainrule.lab.ws watches the time); a closed
socket ends its session's training within one minibatch.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import gc
import json
import logging
import queue
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from chainrule.lab.network import Config, MessageError, Session, Stopped, svg_of
from nn import TrainingDiverged
from nn.train import History

MAX_SESSIONS = 40
IDLE_SECONDS = 30 * 60
CPU_SLOTS = 1
COMMAND_BACKLOG = 64  # commands waiting for a session's thread
SWITCH_INTERVAL = 0.001  # seconds (Python's default is 0.005)
WAIT = 0.25  # seconds between looks at whether a waiting thread should stop
GIVE_WAY = 0.05  # seconds a training thread waits, at most, for the formula lab's requests
GC_SECONDS = 10.0  # while fit keeps Python's cyclic collector paused: collect this often

log = logging.getLogger("chainrule.lab")


class SessionsFull(Exception):
    """MAX_SESSIONS are open already; the message says what to do."""


@dataclass(frozen=True)
class Command:
    """A checked message from the page: its type, and its fields (the config checked)."""

    kind: str
    fields: dict[str, Any] = field(default_factory=dict)
    config: Config | None = None
    question: int = 0  # open_neuron: its number, the session's questions counted as posted


# ---------------------------------------------------------------------------------------------
# The CPU's slots: at most `slots` sessions compute at once, first come, first served.


class FairSlots:
    """A semaphore that serves its waiters in order (threading.Semaphore does not: a thread
    that lets go and asks again at once would often get its slot straight back)."""

    def __init__(self, slots: int = CPU_SLOTS, busy: Callable[[], bool] = lambda: False) -> None:
        self._busy = busy
        self._free = slots
        self._waiting: deque[threading.Event] = deque()
        self._lock = threading.Lock()

    def acquire(self, stop: threading.Event) -> bool:
        """Wait for a slot; False (and no slot held) once `stop` is set."""
        with self._lock:
            if self._free and not self._waiting:
                self._free -= 1
                return True
            ticket = threading.Event()
            self._waiting.append(ticket)
        while not ticket.wait(WAIT):
            if stop.is_set():
                with self._lock:
                    if not ticket.is_set():
                        self._waiting.remove(ticket)
                        return False
                break  # handed a slot as it was stopping: give it back below
        if stop.is_set():
            self.release()
            return False
        return True

    def give_way(self, stop: threading.Event) -> None:
        """While `busy()` (the formula lab has requests waiting or running), wait, up to
        GIVE_WAY seconds: they come first. Called by the slot's holder before each minibatch
        and each frame, so a formula's answer never shares the CPU with training for long,
        and training still moves on (one minibatch per GIVE_WAY at least)."""
        deadline = time.monotonic() + GIVE_WAY
        while self._busy() and not stop.is_set() and time.monotonic() < deadline:
            time.sleep(0.001)

    def release(self) -> None:
        """Hand the slot to the first waiter, or free it."""
        with self._lock:
            if self._waiting:
                self._waiting.popleft().set()  # the slot passes on: _free stays as it is
            else:
                self._free += 1


class Collector:
    """Python's cyclic garbage collector, run by hand while fit keeps it paused.

    nn.fit pauses the collector for its whole run (autograd.pause_gc: a training step's graph
    has no cycles, and reference counting frees it). The pause is process-wide, and a session's
    run lasts as long as its page is open, paused or playing: with one page open, the server's
    own cyclic garbage (asyncio's, Starlette's, the formula lab's) would never be collected. So
    the sessions' threads collect every GC_SECONDS while the collector is off (one at a time)."""

    def __init__(self, every: float = GC_SECONDS) -> None:
        self.every = every
        self._due = time.monotonic() + every
        self._lock = threading.Lock()
        self.collections = 0

    def maybe_collect(self) -> None:
        if gc.isenabled() or time.monotonic() < self._due:
            return
        if not self._lock.acquire(blocking=False):  # another thread is collecting
            return
        try:
            gc.collect()
            self.collections += 1
            self._due = time.monotonic() + self.every
        finally:
            self._lock.release()


# ---------------------------------------------------------------------------------------------
# Thread -> page: messages in order, and the newest frame.


def encode(payload: dict[str, Any]) -> str:
    """A message as JSON text; its numbers are finite (the session sends null otherwise)."""
    return json.dumps(payload, allow_nan=False, separators=(",", ":"))


class Outbox:
    """What a session's thread sends to its page, waiting for the socket's sender task.

    Made on the event loop (it holds an asyncio.Event); `message` and `frame` may be called
    from any thread, `take` only on the loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._lock = threading.Lock()
        self._messages: deque[str] = deque()
        self._frame: str | None = None
        self._ready = asyncio.Event()
        self.frames_dropped = 0
        self.ending: tuple[int, str] | None = None  # (close code, reason), once asked to end

    def message(self, payload: dict[str, Any]) -> None:
        """Queue a message. A frame still waiting goes out before it, as it was made before it
        (a frame of a playing run sent after "diverged" would say it plays again); but a
        "configured" drops it instead (a frame of the network before)."""
        text = encode(payload)
        with self._lock:
            if self._frame is not None:
                if payload["type"] == "configured":
                    self.frames_dropped += 1
                else:
                    self._messages.append(self._frame)
                self._frame = None
            self._messages.append(text)
        self._wake()

    def frame(self, payload: dict[str, Any]) -> None:
        """Put a frame in the outbox, in place of one still waiting."""
        text = encode(payload)
        with self._lock:
            if self._frame is not None:
                self.frames_dropped += 1
            self._frame = text
        self._wake()

    def end(self, code: int, reason: str) -> None:
        """Ask the sender to close the socket once everything before this call is sent."""
        with self._lock:
            self.ending = (code, reason)
        self._wake()

    @property
    def frame_waiting(self) -> bool:
        """Whether a frame waits unsent (the page has not taken the last one yet)."""
        return self._frame is not None

    @property
    def backlog(self) -> int:
        """Messages waiting unsent (frames not counted)."""
        return len(self._messages)

    def _wake(self) -> None:
        with contextlib.suppress(RuntimeError):  # the loop has closed: the server is stopping
            self._loop.call_soon_threadsafe(self._ready.set)

    async def take(self) -> list[str]:
        """Wait until something is there, then all of it: the messages in order, then the
        frame."""
        await self._ready.wait()
        self._ready.clear()
        with self._lock:
            texts = list(self._messages)
            self._messages.clear()
            if self._frame is not None:
                texts.append(self._frame)
                self._frame = None
        return texts


# ---------------------------------------------------------------------------------------------
# A session's thread.


class Trainer:
    """The thread of one session: it takes the page's commands, trains, and sends frames."""

    def __init__(self, outbox: Outbox, slots: FairSlots, name: str,
                 on_bug: Callable[[], None] = lambda: None,
                 collector: Collector | None = None) -> None:
        self.outbox, self._slots, self._on_bug = outbox, slots, on_bug
        self._collector = collector or Collector()
        self.session: Session | None = None
        self.playing = False
        self._stepping = False
        self._in_run = False
        self._holding = False
        self._commands: queue.Queue[Command | None] = queue.Queue(COMMAND_BACKLOG)
        self._questions = 0  # open_neuron messages posted
        self._pending: Command | None = None  # a configure or reset that ended a run
        self._stopping = threading.Event()
        self._interrupt = threading.Event()  # a configure or reset is waiting: end the run
        # held while a command is queued and the flag set, and while the thread clears it: a
        # thread that takes a reset before its post has set the flag clears it only after
        self._posting = threading.Lock()
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)

    # -- from the event loop -----------------------------------------------------------------

    def start(self) -> None:
        self.thread.start()

    def post(self, command: Command) -> bool:
        """Queue a command for the thread; False when COMMAND_BACKLOG are waiting already."""
        if command.kind == "open_neuron":
            self._questions += 1
            command = dataclasses.replace(command, question=self._questions)
        with self._posting:
            try:
                self._commands.put_nowait(command)
            except queue.Full:
                return False
            if command.kind in ("configure", "reset"):
                self._interrupt.set()  # it ends the run: no need to finish the epoch first
        return True

    def close(self) -> None:
        """End the session: the thread stops within one minibatch (or one wait)."""
        self._stopping.set()
        with contextlib.suppress(queue.Full):
            self._commands.put_nowait(None)

    # -- in the thread -----------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stopping.is_set():
            command, self._pending = self._pending, None
            if command is None:
                try:
                    command = self._commands.get(timeout=WAIT)
                except queue.Empty:
                    continue
                if command is None:
                    break
            self._handle(command)

    def _handle(self, command: Command) -> None:
        """Carry out one command; a mistake only the session can see is an error message."""
        try:
            self._dispatch(command)
        except MessageError as error:
            self.outbox.message({"type": "error", "message": str(error)})
        except Stopped:
            pass
        except Exception:  # a bug: said on the page and in the log, and the session goes on
            log.exception("the network lab failed on a %s message", command.kind)
            self._on_bug()
            self.outbox.message({"type": "error", "message": "internal error, a bug in the "
                                 f"lab, while answering {command.kind}: see the server's log"})

    def _dispatch(self, command: Command) -> None:
        kind = command.kind
        if kind in ("configure", "reset"):
            self._clear_interrupt()  # (set when it was posted, to end a run)
        if kind == "configure":
            self.playing = self._stepping = False
            self.session = Session(command.config)
            self.outbox.message(self.session.configured())
            self._send_frame()
            return
        session = self.session
        if session is None:
            raise MessageError(f"{kind} needs a network: send a configure message first")
        if kind == "reset":
            self.playing = self._stepping = False
            session.reset()
            self._send_frame()
        elif kind in ("play", "step"):
            if session.diverged is not None:
                raise MessageError(f"training stopped ({session.diverged}); press Reset or "
                                   "change a setting to start again")
            self.playing, self._stepping = kind == "play", kind == "step"
            if not self._in_run:
                self._train()
        elif kind == "pause":
            self.playing = self._stepping = False
            self._send_frame()
        elif kind == "set_weight":
            f = command.fields
            session.set_weight(f["layer"], f["neuron"], f["input"], f["value"])
            self._send_frame()
        elif kind == "open_neuron":
            if command.question < self._questions:
                return  # a newer question waits: the page shows only the answer to the newest
            f = command.fields
            with self._computing():
                answer = session.open_neuron(f["layer"], f["neuron"], f["point"], self._render)
            self.outbox.message(answer)
        elif kind == "show":
            session.show = command.fields["what"]

    def _send_frame(self) -> None:
        with self._computing():
            self.outbox.frame(self.session.frame(self.playing))

    @contextlib.contextmanager
    def _computing(self) -> Iterator[None]:
        """Hold a CPU slot for the block (if this thread does not hold one already)."""
        if self._holding:
            yield
            return
        if not self._slots.acquire(self._stopping):
            raise Stopped
        self._holding = True
        try:
            yield
        finally:
            self._let_go()

    def _render(self, picture: Any) -> str:
        """svg_of(picture), the CPU slot let go while dot runs (a process of its own, which may
        take seconds: the other sessions train meanwhile)."""
        self._let_go()
        try:
            return svg_of(picture)
        finally:
            if not self._slots.acquire(self._stopping):
                raise Stopped
            self._holding = True

    def _let_go(self) -> None:
        """Give the CPU slot back, if this thread holds it (fit's hook lets go of it between
        epochs, and may end the run without it)."""
        if self._holding:
            self._holding = False
            self._slots.release()

    def _train(self) -> None:
        """One run of nn.fit, followed epoch by epoch from its hook, until a pause that is
        never lifted, a configure, a reset, the socket's closing, or a divergence."""
        self._in_run = True
        try:
            with self._computing():
                self.session.train(self._after_epoch, self._should_stop)
        except TrainingDiverged as error:
            self.playing = self._stepping = False
            self.outbox.message({"type": "diverged", "message": str(error),
                                 "epoch": self.session.epoch})
        except Stopped:
            pass
        finally:
            self._in_run = False
            self._clear_interrupt()

    def _clear_interrupt(self) -> None:
        with self._posting:
            self._interrupt.clear()

    def _should_stop(self) -> bool:
        """Asked before each minibatch: end the run now? (The formula lab's requests go
        first.)"""
        self._slots.give_way(self._stopping)
        return self._stopping.is_set() or self._interrupt.is_set()

    def _after_epoch(self, epoch: int, history: History) -> None:
        """fit's on_epoch hook: the epoch's frame, then the commands that came meanwhile (and,
        while paused, waiting for one), with the CPU slot let go. Raises Stopped to end fit."""
        session = self.session
        self._slots.give_way(self._stopping)
        session.after_epoch(epoch, history)
        self._stepping = False  # a step is this one epoch
        if not self.playing or not self.outbox.frame_waiting:  # else the page is behind: skip
            self.outbox.frame(session.frame(self.playing))
        self._collector.maybe_collect()
        self._let_go()
        self._between_epochs()
        if not self._slots.acquire(self._stopping):
            raise Stopped
        self._holding = True

    def _between_epochs(self) -> None:
        while True:
            if self._should_stop():
                raise Stopped
            try:
                if self.playing or self._stepping:
                    command = self._commands.get_nowait()
                else:  # paused: wait here, inside fit, for a command
                    command = self._commands.get(timeout=WAIT)
            except queue.Empty:
                if self.playing or self._stepping:
                    return
                self._collector.maybe_collect()  # (every session may be paused in fit)
                continue
            if command is None:
                raise Stopped
            if command.kind in ("configure", "reset"):
                self._pending = command  # carried out once fit has ended
                raise Stopped
            self._handle(command)
            if self._stepping:  # a step is one epoch: run it before the next command (a
                return  # second Step already queued is an epoch of its own, not the same one)


# ---------------------------------------------------------------------------------------------
# The lab's sessions.


class Sessions:
    """The open sessions of one lab: at most `max_sessions`, sharing `cpu_slots` slots, and
    giving way to the formula lab whenever `busy()`."""

    def __init__(self, max_sessions: int = MAX_SESSIONS, cpu_slots: int = CPU_SLOTS,
                 idle_seconds: float = IDLE_SECONDS,
                 on_bug: Callable[[], None] = lambda: None,
                 busy: Callable[[], bool] = lambda: False) -> None:
        self.max_sessions, self.idle_seconds = max_sessions, idle_seconds
        self.slots = FairSlots(cpu_slots, busy)
        self.collector = Collector()
        self._on_bug = on_bug
        self._open: set[Trainer] = set()
        self._lock = threading.Lock()
        self._count = 0  # sessions ever opened, to name their threads

    def open(self, outbox: Outbox) -> Trainer:
        """A new session's trainer, its thread started; SessionsFull past the cap."""
        with self._lock:
            if len(self._open) >= self.max_sessions:
                raise SessionsFull(
                    f"the lab has {self.max_sessions} network sessions open, its limit: close "
                    "another tab of the network lab, or try again when one closes")
            self._count += 1
            trainer = Trainer(outbox, self.slots, f"chainrule-network-{self._count}",
                              self._on_bug, self.collector)
            self._open.add(trainer)
        if sys.getswitchinterval() > SWITCH_INTERVAL:
            sys.setswitchinterval(SWITCH_INTERVAL)
        trainer.start()
        return trainer

    def close(self, trainer: Trainer) -> None:
        """End a session (its thread stops within one minibatch)."""
        with self._lock:
            self._open.discard(trainer)
        trainer.close()

    def close_all(self) -> None:
        with self._lock:
            trainers, self._open = list(self._open), set()
        for trainer in trainers:
            trainer.close()

    def __len__(self) -> int:
        with self._lock:
            return len(self._open)
