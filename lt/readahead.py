"""Reading an iterator on a thread, so a stage can wait for input with a deadline.

Stages that act on time as well as on input (batching by age, a frame clock)
consume through `ReadAhead.get(timeout)`. The queue is bounded: when the
consumer falls behind, the thread stops reading, and the pipe pushes back on
the stage before. A consumer that must account for everything read (the
store) ends with `stop()`, which hands over what was read and not yet taken.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterable
from typing import Any

END = object()
TIMEOUT = object()


class ReadAhead:
    def __init__(self, items: Iterable[Any], maxsize: int = 256):
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=maxsize)
        self._error: BaseException | None = None
        self._done = False
        self._stopping = threading.Event()
        self._waiting_on_source = False
        self._thread = threading.Thread(target=self._run, args=(items,), daemon=True, name="lt-read-ahead")
        self._thread.start()

    def _run(self, items: Iterable[Any]) -> None:
        try:
            source = iter(items)
            while not self._stopping.is_set():
                self._waiting_on_source = True
                item = next(source, END)
                self._waiting_on_source = False
                if item is END:
                    break
                self._queue.put(item)
        except BaseException as exc:  # handed to the consumer thread, which re-raises it
            self._error = exc
        finally:
            self._waiting_on_source = False
            self._queue.put(END)

    def get(self, timeout: float | None = None) -> Any:
        """The next item, TIMEOUT when none came in time, or END once input is exhausted."""
        if self._done:
            return END
        try:
            item = self._queue.get(timeout=timeout)
        except queue.Empty:
            return TIMEOUT
        if item is END:
            self._done = True
            if self._error is not None:
                raise self._error
        return item

    def stop(self, settle: float = 0.05) -> list[Any]:
        """Read no more; the items read and not yet taken, in order. An item the source is still
        producing is waited for up to `settle` seconds (a source blocked on a pipe may never
        produce one); one that comes later is not taken."""
        self._stopping.set()
        taken: list[Any] = []
        waited_since = None
        while not self._done:
            try:
                item = self._queue.get(timeout=0.01)
            except queue.Empty:
                # Checked in this order: an item put before the thread went back to the source is seen.
                if (self._waiting_on_source or not self._thread.is_alive()) and self._queue.empty():
                    waited_since = waited_since or time.monotonic()
                    if not self._thread.is_alive() or time.monotonic() - waited_since >= settle:
                        break
                continue
            waited_since = None
            if item is END:
                self._done = True
                if self._error is not None:
                    raise self._error
            else:
                taken.append(item)
        self._done = True
        return taken

    def pending(self) -> int:
        return self._queue.qsize()
