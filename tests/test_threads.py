"""`no_grad()` holds for the thread (and the asyncio task) that entered it, and only while it is
open: another thread keeps recording, whatever order blocks in several threads open and close.

Threads are made to interleave exactly as each test says, with barriers, events, or a `Worker`
that runs one function at a time when told to: no test depends on how the scheduler happens to
switch. Every wait has a timeout, so a broken synchronisation fails the test instead of hanging.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import gc
import queue
import threading
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd import Value, is_recording, no_grad
from autograd import value as value_module
from nn import MLP, SGD, evaluate, fit, hinge_loss
from nn.datasets import moons, to_pm1

TIMEOUT = 30  # seconds: only ever reached when a test is broken


def records() -> bool:
    """Whether an op made here, now, records its graph (checked on the node, not the flag)."""
    a = Value(2.0)
    return (a * 3.0).parents == (a,)


def square_grad(w: Value) -> float:
    """d(w*w)/dw by a backward pass, made here, now: 2 * w.data when ops record."""
    w.grad = 0.0
    (w * w).backward()
    return w.grad


def no_block_open() -> bool:
    """No no_grad block is open in any thread or task (the engine's fast path is on)."""
    return not value_module._open_blocks and value_module._none_open is True


def run_threads(*targets: Callable[[], None]) -> None:
    """Run each target in its own thread, wait for all, and re-raise the first failure."""
    failures: list[BaseException] = []

    def guarded(target: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                target()
            except BaseException as e:  # noqa: BLE001 (handed to the main thread)
                failures.append(e)

        return run

    threads = [threading.Thread(target=guarded(t)) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(TIMEOUT)
        assert not t.is_alive(), "a thread did not finish: the test's synchronisation is broken"
    if failures:
        raise failures[0]


class Worker:
    """A thread that runs the functions it is handed, one at a time, and hands back each result.

    Its thread (and so its context) lives as long as the worker: a no_grad block entered by one
    function stays open for the next ones, until a later function closes it.
    """

    def __init__(self) -> None:
        self.inbox: queue.Queue = queue.Queue()
        self.outbox: queue.Queue = queue.Queue()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while (function := self.inbox.get()) is not None:
            try:
                self.outbox.put((True, function()))
            except BaseException as e:  # noqa: BLE001 (re-raised by run)
                self.outbox.put((False, e))

    def run(self, function: Callable[[], Any]) -> Any:
        self.inbox.put(function)
        ok, result = self.outbox.get(timeout=TIMEOUT)
        if not ok:
            raise result
        return result

    def stop(self) -> None:
        self.inbox.put(None)
        self.thread.join(TIMEOUT)


# ---------------------------------------------------------------------------------------------
# Two threads.


def test_another_thread_keeps_recording_while_one_sits_inside_no_grad():
    inside, done = threading.Event(), threading.Event()
    seen: dict[str, object] = {}

    def evaluating() -> None:
        with no_grad():
            inside.set()
            assert done.wait(TIMEOUT)
            seen["evaluating records"] = records()
            seen["evaluating is_recording"] = is_recording()

    def training() -> None:
        assert inside.wait(TIMEOUT)
        try:
            w = Value(3.0, "w")
            seen["grad"] = square_grad(w)
            seen["training is_recording"] = is_recording()
        finally:
            done.set()

    run_threads(evaluating, training)
    assert seen == {
        "grad": 6.0,  # 2 * w.data: the graph of w*w was recorded
        "training is_recording": True,
        "evaluating records": False,  # the block still holds where it was entered
        "evaluating is_recording": False,
    }
    assert no_block_open()


def test_interleaved_blocks_leave_every_thread_recording():
    """A enters, B enters, A exits, B exits: each block holds in its own thread until it ends.
    (With one global flag B's exit would restore A's 'off' and leave recording off for good.)"""
    step = threading.Barrier(2, timeout=TIMEOUT)
    seen: dict[str, bool] = {}

    def a() -> None:
        with no_grad():
            step.wait()  # 1: A is inside
            step.wait()  # 2: B is inside
            seen["A inside, B inside"] = records()
        seen["A out, B inside"] = records()
        step.wait()  # 3: A has left
        step.wait()  # 4: B has left
        seen["A at the end"] = records() and is_recording()

    def b() -> None:
        step.wait()  # 1
        seen["B before entering, A inside"] = records()
        with no_grad():
            step.wait()  # 2
            step.wait()  # 3: A has left, B is still inside
            seen["B inside, A out"] = records() or is_recording()
        step.wait()  # 4
        seen["B at the end"] = records() and is_recording()

    run_threads(a, b)
    assert seen == {
        "B before entering, A inside": True,
        "A inside, B inside": False,
        "A out, B inside": True,
        "B inside, A out": False,
        "A at the end": True,
        "B at the end": True,
    }
    assert records() and is_recording() and no_block_open()


@settings(max_examples=40, deadline=None)
@given(schedule=st.lists(st.tuples(st.integers(0, 2), st.booleans()), max_size=30))
def test_any_interleaving_of_blocks_in_three_threads(schedule):
    """Three threads enter and leave (nested) no_grad blocks in any order: after every move,
    each one records exactly when it is inside none of its own blocks, the main thread always
    records, and once every block has closed none is left open."""
    workers = [Worker() for _ in range(3)]
    blocks: list[list] = [[] for _ in workers]  # each worker's open blocks, innermost last

    def enter(stack: list) -> None:
        block = no_grad()
        block.__enter__()
        stack.append(block)

    def leave(stack: list) -> None:
        stack.pop().__exit__(None, None, None)

    def check() -> None:
        for worker, stack in zip(workers, blocks):
            expected = not stack
            assert worker.run(is_recording) is expected
            assert worker.run(records) is expected
        assert records() and is_recording()

    try:
        for who, entering in schedule:
            stack = blocks[who]
            move = enter if entering or not stack else leave
            workers[who].run(lambda: move(stack))  # noqa: B023 (run at once, in the loop)
            check()
        for worker, stack in zip(workers, blocks):
            while stack:
                worker.run(lambda: leave(stack))  # noqa: B023
                check()
        assert no_block_open()
    finally:
        for worker in workers:
            worker.stop()


# ---------------------------------------------------------------------------------------------
# asyncio tasks share a thread but not a context.



def run_in_fresh_thread(make_coroutine):  # noqa: ANN001, ANN201
    """asyncio.run(make_coroutine()) in a thread of its own: the test session's main thread
    may already run an event loop (Playwright's sync API keeps one there for the browser
    tests), where asyncio.run refuses to start."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(make_coroutine())).result()


def test_two_asyncio_tasks_one_inside_no_grad_while_the_other_trains():
    async def both() -> tuple:
        inside, done = asyncio.Event(), asyncio.Event()

        async def evaluating() -> tuple[bool, bool]:
            with no_grad():
                inside.set()
                await done.wait()  # the other task runs here, in the same thread
                return records(), is_recording()

        async def training() -> tuple[float, bool]:
            await inside.wait()
            try:
                return square_grad(Value(3.0)), is_recording()
            finally:
                done.set()

        return await asyncio.gather(evaluating(), training())

    (evaluating_records, evaluating_flag), (grad, training_flag) = run_in_fresh_thread(both)
    assert grad == 6.0 and training_flag is True
    assert evaluating_records is False and evaluating_flag is False
    assert records() and no_block_open()


def test_a_task_started_inside_a_block_is_inside_it_until_the_block_ends():
    """A task's context is a copy of its creator's: it starts inside the creator's block, and
    records again once that block has ended (the block, not a copied flag, decides)."""

    async def scenario() -> list[bool]:
        seen: list[bool] = []
        block_over = asyncio.Event()

        async def child() -> None:
            seen.append(records())
            await block_over.wait()
            seen.append(records())

        with no_grad():
            task = asyncio.create_task(child())
            await asyncio.sleep(0)  # the child's first part runs while the block is open
        block_over.set()
        await task
        return seen

    assert run_in_fresh_thread(scenario) == [False, True]
    assert no_block_open()


# ---------------------------------------------------------------------------------------------
# One context: nesting, errors, and blocks that outlive their code (generators).


def test_nested_blocks_end_in_order():
    with no_grad():
        with no_grad():
            assert not records()
        assert not records() and not is_recording()  # the outer block still holds
        with pytest.raises(ZeroDivisionError), no_grad():
            Value(1.0) / 0.0
        assert not records()
    assert records() and is_recording() and no_block_open()


def test_is_recording_answers_for_the_asking_context():
    with no_grad():
        assert not is_recording()
        answers: list[bool] = []
        run_threads(lambda: answers.append(is_recording()))  # a new thread: its own context
        assert answers == [True]
        # a copy of this context is inside the block too (as an asyncio task started here is)
        assert contextvars.copy_context().run(is_recording) is False
        assert contextvars.Context().run(is_recording) is True  # an empty one is not
    assert is_recording()


def test_a_failing_block_never_leaves_a_block_open():
    for _ in range(3):
        with pytest.raises(ValueError), no_grad():
            Value(-1.0).log()
    assert records() and no_block_open()


def lazy_evaluation(w: Value):
    """A generator that yields inside no_grad: while it is suspended there, its caller is
    inside the block too (generators have no context of their own)."""
    with no_grad():
        yield w * 2.0
        yield w * 3.0


def test_a_generator_abandoned_inside_no_grad_closes_its_block():
    w = Value(1.0)
    values = lazy_evaluation(w)
    assert next(values).parents == ()
    assert not records()  # suspended inside the block: documented, as with decimal contexts
    del values  # never resumed: closing it (here, at once, by reference counting) ends the block
    assert records() and is_recording() and no_block_open()


def test_a_block_ended_in_another_thread_ends_and_leaves_that_thread_alone():
    """The generator is resumed to its end by another thread, itself inside a block of its own:
    its block ends (the entering thread records again), and the other thread's block holds."""
    w = Value(1.0)
    values = lazy_evaluation(w)
    next(values)  # entered here, in the main thread
    assert not records()
    seen: dict[str, bool] = {}

    def finish_elsewhere() -> None:
        with no_grad():
            for _ in values:  # the generator's block ends in this thread
                pass
            seen["the other thread, in its own block"] = records() or is_recording()
        seen["the other thread, after it"] = records()

    run_threads(finish_elsewhere)
    assert seen == {"the other thread, in its own block": False, "the other thread, after it": True}
    assert records() and is_recording() and no_block_open()


def test_blocks_that_end_elsewhere_never_pile_up():
    """Many generators entered here and finished in another thread: each leaves this context
    pointing at a block that has ended, but the next entry starts past it (no growing chain)."""
    for _ in range(50):
        values = lazy_evaluation(Value(1.0))
        next(values)
        run_threads(lambda: list(values))  # noqa: B023 (run at once, in the loop)
        assert records()
    with no_grad():
        innermost = value_module._innermost.get()
        assert innermost.outer is None  # the 50 ended blocks are not behind this one
    assert records() and no_block_open()


def test_a_generator_collected_by_the_cyclic_collector_closes_its_block():
    w = Value(1.0)
    values = lazy_evaluation(w)
    next(values)
    cycle = [values]
    cycle.append(cycle)  # only the cyclic collector can free the generator now
    del values, cycle
    gc.collect()
    assert records() and no_block_open()


# ---------------------------------------------------------------------------------------------
# What a user sees: training in one thread while another evaluates.


def test_fit_beside_a_looping_evaluate_trains_exactly_as_fit_alone():
    X, y = moons(n=40, noise=0.1, seed=3)
    y = to_pm1(y)

    def train(model: MLP) -> None:
        fit(model, X, y, hinge_loss, SGD(model.parameters(), lr=0.1), epochs=20, quiet=True)

    alone = MLP(2, [8, 8, 1], seed=5)
    train(alone)

    model = MLP(2, [8, 8, 1], seed=5)
    started, stop = threading.Event(), threading.Event()
    evaluations = []

    def evaluating() -> None:
        while not stop.is_set():
            evaluations.append(evaluate(model, X, y))  # under no_grad, reading the weights
            started.set()

    thread = threading.Thread(target=evaluating)
    thread.start()
    try:
        assert started.wait(TIMEOUT)
        train(model)
    finally:
        stop.set()
        thread.join(TIMEOUT)
    assert len(evaluations) > 1
    assert [p.data for p in model.parameters()] == [p.data for p in alone.parameters()]
    assert no_block_open()
