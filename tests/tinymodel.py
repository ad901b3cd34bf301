"""Build a tiny CTranslate2 translation model with random weights: a fixture of the tests (and a benchmark).

No real translation model can be downloaded where lt is tested, so the ct2
engine is exercised end to end on a model built here: a one-layer Transformer
with random weights and a SentencePiece model trained on a few sentences. It
translates into nonsense, but through exactly the files and code paths a real
converted OPUS-MT (`source.spm`/`target.spm`) or M2M100
(`sentencepiece.bpe.model`, `__xx__` language tokens) model uses.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

DIM = 16
FFN_DIM = 32


def build_tiny_model(
    out_dir: Path,
    sentences: Sequence[str],
    *,
    languages: Sequence[str] = (),
    vocab_size: int = 64,
    seed: int = 0,
) -> Path:
    """A pair model (OPUS-MT layout), or a multilingual M2M100-like one when `languages` are given."""
    out_dir = Path(out_dir)
    sp_model = _train_sentencepiece(sentences, vocab_size)
    vocabulary = _pieces(sp_model) + [f"__{code}__" for code in languages]
    spec = _random_spec(len(vocabulary), seed)
    spec.register_source_vocabulary(vocabulary)
    spec.register_target_vocabulary(vocabulary)
    spec.config.decoder_start_token = "</s>"
    spec.validate()
    out_dir.mkdir(parents=True, exist_ok=True)
    spec.save(str(out_dir))
    spm_names = ["sentencepiece.bpe.model"] if languages else ["source.spm", "target.spm"]
    for name in spm_names:
        (out_dir / name).write_bytes(sp_model)
    return out_dir


def _train_sentencepiece(sentences: Sequence[str], vocab_size: int) -> bytes:
    import sentencepiece

    model = io.BytesIO()
    sentencepiece.SentencePieceTrainer.train(
        sentence_iterator=iter(list(sentences) * 4),
        model_writer=model,
        vocab_size=vocab_size,
        hard_vocab_limit=False,
        unk_id=0, bos_id=1, eos_id=2, pad_id=-1,
        minloglevel=2,
    )
    return model.getvalue()


def _pieces(sp_model: bytes) -> list[str]:
    import sentencepiece

    processor = sentencepiece.SentencePieceProcessor(model_proto=sp_model)
    return [processor.id_to_piece(i) for i in range(processor.get_piece_size())]


def _random_spec(vocab: int, seed: int):
    from ctranslate2.specs import model_spec, transformer_spec

    spec = transformer_spec.TransformerSpec.from_config(1, 2)
    rng = np.random.default_rng(seed)

    def fill(layer, name: str, value) -> None:
        if value is not None:
            return
        attr = name.rsplit("/", 1)[-1]
        shape = _shape(name, vocab)
        if attr == "gamma":
            setattr(layer, attr, np.ones(shape, np.float32))
        elif attr == "beta":
            setattr(layer, attr, np.zeros(shape, np.float32))
        else:
            setattr(layer, attr, rng.normal(0.0, 0.5, shape).astype(np.float32))

    model_spec.visit_spec(spec, fill)
    return spec


def _shape(name: str, vocab: int) -> tuple[int, ...]:
    if re.search(r"(embeddings(_\d+)?|projection)/weight$", name):
        return (vocab, DIM)
    if name.endswith(("gamma", "beta")):
        return (DIM,)
    shapes = {
        "self_attention/linear_0": (3 * DIM, DIM),
        "self_attention/linear_1": (DIM, DIM),
        "attention/linear_0": (DIM, DIM),
        "attention/linear_1": (2 * DIM, DIM),
        "attention/linear_2": (DIM, DIM),
        "ffn/linear_0": (FFN_DIM, DIM),
        "ffn/linear_1": (DIM, FFN_DIM),
    }
    for suffix, shape in shapes.items():
        if name.endswith(suffix + "/weight"):
            return shape
    raise ValueError(f"no shape known for {name}")
