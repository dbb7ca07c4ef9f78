"""Pausing CPython's cyclic garbage collector while a very large graph is built.

CPython frees a Value as soon as nothing refers to it (reference counting). Its *cyclic* collector
is only needed for reference cycles, and a computation graph has none: every node points at
parents that existed before it. Yet the collector walks every live node each time the heap has
grown by a quarter, so building one graph of millions of nodes spends more and more time there
(chainrule's benchmark measures it). Pausing the collector while building makes the cost per
node flat again; it is switched back on, exactly as it was, when the block ends.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

# The collector is one switch for the whole process, while pauses may overlap in several
# threads (two trainings side by side in the live lab): the first pause to begin switches it
# off, the last to end puts back what the first found.
_lock = threading.Lock()
_pauses = 0
_was_enabled = False


@contextmanager
def pause_gc() -> Iterator[None]:
    """Within this block the cyclic collector does not run; when the last block open in any
    thread ends, its state before the first one returns.

    Use it around building and differentiating a very large graph (100,000s of nodes and more).
    Reference counting still frees everything that is no longer used.
    """
    global _pauses, _was_enabled
    with _lock:
        if _pauses == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _lock:
            _pauses -= 1
            if _pauses == 0 and _was_enabled:
                gc.enable()
