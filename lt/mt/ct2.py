"""CTranslate2 translation models: OPUS-MT/Marian (one per pair) and multilingual M2M100/NLLB.

A model is a directory as `ct2-transformers-converter` writes it (`model.bin`,
`config.json`, a vocabulary file) plus its SentencePiece model(s):

- OPUS-MT/Marian: `source.spm` and `target.spm`; source tokens end with `</s>`.
- M2M100: `sentencepiece.bpe.model`; the vocabulary has `__en__`-style language
  tokens; the source starts with the source language token and the target
  language token is forced as the decoder prefix.
- NLLB: `sentencepiece.bpe.model`; language tokens such as `por_Latn`, used the
  same way as M2M100's.

The kind is read from the vocabulary, so a directory needs no extra metadata.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from lt.errors import LtError
from lt.threads import default_threads
from lt.mt.languages import NAMES, m2m100_token, nllb_token

log = logging.getLogger("lt.translate")

_VOCABULARY_FILES = ("shared_vocabulary", "source_vocabulary", "target_vocabulary")
_SHARED_SPM = ("sentencepiece.bpe.model", "spm.model", "sentencepiece.model")


@dataclass(frozen=True)
class Ct2Settings:
    device: str = "auto"
    compute_type: str = "auto"
    threads: int = 0
    beam_size: int = 2
    max_batch: int = 32


@dataclass(frozen=True)
class Ct2Model:
    """An inspected model directory: what it is and which languages it serves."""

    name: str
    path: Path
    kind: str  # "marian", "m2m100" or "nllb"
    languages: frozenset[str]
    pair: tuple[str, str] | None = None
    source_spm: Path = field(default=Path())
    target_spm: Path = field(default=Path())

    def supports(self, source: str, target: str) -> bool:
        if self.pair is not None:
            return (source, target) == self.pair
        return source in self.languages and target in self.languages

    def describe(self) -> str:
        if self.pair is not None:
            return f"{self.kind}, {self.pair[0]}->{self.pair[1]}"
        return f"{self.kind}, {len(self.languages)} languages"


def inspect_model(path: Path, pair: tuple[str, str] | None = None) -> Ct2Model:
    """Reads what a directory holds without loading the weights; LtError when it is no usable model."""
    path = Path(path).expanduser()
    if not path.exists():
        raise LtError(f"no such model directory: {path}", hint=_GET_A_MODEL)
    if not (path / "model.bin").is_file() or not (path / "config.json").is_file():
        raise LtError(
            f"{path} is not a CTranslate2 model (it has no model.bin and config.json)",
            hint=_GET_A_MODEL,
        )
    vocabulary = _vocabulary(path)
    kind, languages = _kind(vocabulary)
    if kind == "marian":
        if pair is None:
            raise LtError(
                f"{path} is a one-pair model, but its language pair is unknown",
                hint="name its directory after the pair (e.g. en-es), or name the pair with the model (en-es=PATH)",
            )
        source_spm, target_spm = _marian_spm(path)
        return Ct2Model(path.name, path, kind, frozenset(pair), pair, source_spm, target_spm)
    spm = _first_existing(path, _SHARED_SPM)
    if spm is None:
        raise LtError(f"{path} has no SentencePiece model ({', '.join(_SHARED_SPM)})", hint=_GET_A_MODEL)
    if pair is not None and not {*pair} <= languages:
        raise LtError(f"{path} is a {kind} model without {pair[0]} or {pair[1]}")
    return Ct2Model(path.name, path, kind, languages, pair, spm, spm)


_GET_A_MODEL = (
    "convert one where you have a network: ct2-transformers-converter --model Helsinki-NLP/opus-mt-en-es "
    "--output_dir LT_HOME/models/translate/en-es --copy_files source.spm target.spm (see docs/translate.md)"
)


def _vocabulary(path: Path) -> list[str]:
    for stem in _VOCABULARY_FILES:
        json_file, text_file = path / f"{stem}.json", path / f"{stem}.txt"
        if json_file.is_file():
            try:
                return json.loads(json_file.read_text(encoding="utf-8"))
            except (ValueError, UnicodeDecodeError) as exc:
                raise LtError(f"{json_file} is not a vocabulary: {exc}") from None
        if text_file.is_file():
            return text_file.read_text(encoding="utf-8").splitlines()
    raise LtError(f"{path} is not a CTranslate2 translation model (no vocabulary file)", hint=_GET_A_MODEL)


def _kind(vocabulary: list[str]) -> tuple[str, frozenset[str]]:
    tokens = set(vocabulary)
    m2m100 = {code for code in NAMES if m2m100_token(code) in tokens}
    if m2m100:
        return "m2m100", frozenset(m2m100)
    nllb = {code for code in NAMES if nllb_token(code) in tokens}
    if nllb:
        return "nllb", frozenset(nllb)
    return "marian", frozenset()


def _marian_spm(path: Path) -> tuple[Path, Path]:
    shared = _first_existing(path, _SHARED_SPM)
    source = path / "source.spm" if (path / "source.spm").is_file() else shared
    target = path / "target.spm" if (path / "target.spm").is_file() else shared
    if source is None or target is None:
        raise LtError(
            f"{path} has no SentencePiece models (source.spm and target.spm)",
            hint="copy them in when converting: ct2-transformers-converter ... --copy_files source.spm target.spm",
        )
    return source, target


def _first_existing(path: Path, names: Sequence[str]) -> Path | None:
    return next((path / name for name in names if (path / name).is_file()), None)


class Ct2Translator:
    """One CTranslate2 model; the weights load on first use (or `load()`), once."""

    engine = "ct2"

    def __init__(self, model: Ct2Model, settings: Ct2Settings):
        self.info = model
        self.model = model.name
        self.settings = settings
        self._translator = None
        self._source_sp = None
        self._target_sp = None

    def supports(self, source: str, target: str) -> bool:
        return self.info.supports(source, target)

    def load(self) -> None:
        if self._translator is not None:
            return
        import ctranslate2
        import sentencepiece

        s = self.settings
        try:
            self._translator = ctranslate2.Translator(
                str(self.info.path), device=s.device, compute_type=s.compute_type,
                intra_threads=s.threads or default_threads(), inter_threads=1,
            )
            self._source_sp = sentencepiece.SentencePieceProcessor(model_file=str(self.info.source_spm))
            self._target_sp = sentencepiece.SentencePieceProcessor(model_file=str(self.info.target_spm))
        except (RuntimeError, ValueError, OSError) as exc:
            self._translator = None
            raise LtError(
                f"cannot load the CTranslate2 model {self.info.path}: {str(exc).splitlines()[0]}",
                hint="is it a translation model converted by CTranslate2 4.x? try it on the CPU",
            ) from None
        log.debug("loaded %s (%s) on %s", self.info.path, self.info.describe(), self._translator.device)

    def tokenize(self, text: str, source: str, target: str) -> tuple[list[str], list[str] | None]:
        """Source tokens, and the target prefix a multilingual model needs to pick the language."""
        self.load()
        pieces = self._source_sp.encode(text, out_type=str)
        if self.info.kind == "m2m100":
            return [m2m100_token(source), *pieces, "</s>"], [m2m100_token(target)]
        if self.info.kind == "nllb":
            return [nllb_token(source), *pieces, "</s>"], [nllb_token(target)]
        return [*pieces, "</s>"], None

    def translate(self, texts: Sequence[str], source: str, target: str) -> list[str]:
        if not texts:
            return []
        self.load()
        batch = [self.tokenize(text, source, target) for text in texts]
        sources = [tokens for tokens, _ in batch]
        prefixes = [prefix for _, prefix in batch]
        results = self._translator.translate_batch(
            sources,
            target_prefix=None if prefixes[0] is None else prefixes,
            beam_size=self.settings.beam_size,
            max_batch_size=self.settings.max_batch,
            max_decoding_length=max(map(output_bound, sources)),
        )
        return [
            self._detokenize(result.hypotheses[0], prefix, output_bound(tokens))
            for result, prefix, tokens in zip(results, prefixes, sources)
        ]

    def _detokenize(self, tokens: list[str], prefix: list[str] | None, bound: int) -> str:
        tokens = tokens[:bound]  # the decoder counts the prefix in its bound too
        if prefix and tokens[: len(prefix)] == prefix:
            tokens = tokens[len(prefix):]
        return self._target_sp.decode_pieces(tokens)


def output_bound(source_tokens: list[str]) -> int:
    """A looping model stops here; each sentence gets its own bound, whatever it is batched with."""
    return 2 * len(source_tokens) + 16
