"""A bounded LRU cache of translations, so replays and repeated phrases cost nothing."""

from __future__ import annotations

from collections import OrderedDict

Key = tuple[str, str, str, str]  # text, source, target, model


class TranslationCache:
    def __init__(self, maxsize: int):
        self.maxsize = maxsize
        self.hits = 0
        self.misses = 0
        self.evictions = 0
        self._items: OrderedDict[Key, str] = OrderedDict()

    def get(self, key: Key) -> str | None:
        found = self._items.get(key)
        if found is None:
            self.misses += 1
            return None
        self._items.move_to_end(key)
        self.hits += 1
        return found

    def put(self, key: Key, value: str) -> None:
        if self.maxsize <= 0:
            return
        self._items[key] = value
        self._items.move_to_end(key)
        if len(self._items) > self.maxsize:
            self._items.popitem(last=False)
            self.evictions += 1

    def __len__(self) -> int:
        return len(self._items)

    def summary(self) -> str:
        return (
            f"cache: {self.hits} hits, {self.misses} misses, {self.evictions} evictions, "
            f"{len(self)}/{self.maxsize} entries"
        )
