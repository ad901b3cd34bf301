"""Put back BPE merges missing from the front of a Whisper tokenizer.json.

The bundled base model's tokenizer.json lost its first merge ("Ġ t", the way a
converter that takes the first line of merges.txt for a "#version" header
loses it). Decoding is unaffected, but encoding is not: every word that starts
with " t" comes out as a lone space token and the rest of the word (" the" as
[" ", "the"], never Whisper's own " the"). The streaming decoder encodes the
committed words it forces and the prompt it passes, so Whisper was fed token
sequences it never writes itself.

In a byte-level BPE vocabulary the first 256 ids are the bytes and every id
after them is the product of one merge, in merge order. So the products of the
missing merges are exactly the ids between the bytes and the first merge's
product, and each one's merge is its split into two earlier tokens.
"""

from __future__ import annotations

import json
from pathlib import Path

BYTE_TOKENS = 256


def missing_merges(model: dict) -> list[tuple[str, str]]:
    """The merges missing before the first one, in order; none when the file is whole or not understood."""
    vocab, merges = model.get("vocab") or {}, model.get("merges") or []
    if model.get("type") != "BPE" or not merges:
        return []
    first = vocab.get("".join(_pair(merges[0])))
    if first is None or first <= BYTE_TOKENS:
        return []
    tokens = {i: t for t, i in vocab.items()}
    restored = []
    for product in range(BYTE_TOKENS, first):
        split = _split(tokens.get(product, ""), product, vocab)
        if split is None:
            return []
        restored.append(split)
    return restored


def repair_tokenizer_file(path: Path) -> bool:
    """Put the missing merges back into the tokenizer.json at `path`; True when it changed. A file
    this does not understand is left for the model loader to report."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    restored = missing_merges(data.get("model") or {}) if isinstance(data, dict) else []
    if not restored:
        return False
    as_text = isinstance(data["model"]["merges"][0], str)
    data["model"]["merges"][:0] = [" ".join(pair) if as_text else list(pair) for pair in restored]
    partial = path.with_name(path.name + ".tmp")
    partial.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    partial.replace(path)  # atomic: a concurrent load sees the old file or the new one
    return True


def _pair(merge) -> tuple[str, str]:
    left, right = merge.split(" ", 1) if isinstance(merge, str) else merge
    return left, right


def _split(token: str, product: int, vocab: dict[str, int]) -> tuple[str, str] | None:
    """The two tokens, both older than `product`, that merge into `token`."""
    for cut in range(1, len(token)):
        left, right = token[:cut], token[cut:]
        if vocab.get(left, product) < product and vocab.get(right, product) < product:
            return left, right
    return None
