"""Reading an iterator on a thread, so a stage can wait for input with a deadline.

Stages that act on time as well as on input (batching by age, a frame clock)
consume through `ReadAhead.get(timeout)`. The queue is bounded: when the
consumer falls behind, the thread stops reading, and the pipe pushes back on
the stage before.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable
from typing import Any

END = object()
TIMEOUT = object()


class ReadAhead:
    def __init__(self, items: Iterable[Any], maxsize: int = 256):
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=maxsize)
        self._error: BaseException | None = None
        self._done = False
        self._thread = threading.Thread(target=self._run, args=(items,), daemon=True, name="lt-read-ahead")
        self._thread.start()

    def _run(self, items: Iterable[Any]) -> None:
        try:
            for item in items:
                self._queue.put(item)
        except BaseException as exc:  # handed to the consumer thread, which re-raises it
            self._error = exc
        finally:
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

    def pending(self) -> int:
        return self._queue.qsize()
