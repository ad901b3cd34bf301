"""Read a CTranslate2 Whisper model back into an openai-whisper checkpoint, for the peer bench.

WhisperLiveKit's SimulStreaming policy steers its decoder by the decoder's
cross-attention, so it needs PyTorch Whisper weights; the registries here ship
Whisper only as CTranslate2 conversions (the models lt bundles). A CTranslate2
`model.bin` (binary version 6) is a list of named arrays, so the same weights
can be laid out again as openai-whisper's state dict: the inverse of
CTranslate2's Whisper converter, which fuses query/key/value (self-attention)
and key/value (cross-attention) into one matrix each, with a zero key bias.

    checkpoint = openai_checkpoint(Path(resolve_model("base").path))  # {"dims": ..., "model_state_dict": ...}
"""

from __future__ import annotations

import base64
import gzip
import json
import re
import struct
from pathlib import Path

import numpy as np

DTYPES = {0: np.float32, 1: np.int8, 2: np.int16, 3: np.int32, 4: np.float16}


def read_variables(path: Path) -> dict[str, np.ndarray]:
    """Every array in a CTranslate2 model.bin, by name (aliases resolved)."""
    data = path.read_bytes()
    at = 0

    def take(fmt: str):
        nonlocal at
        values = struct.unpack_from(fmt, data, at)
        at += struct.calcsize(fmt)
        return values

    def text() -> str:
        nonlocal at
        (length,) = take("<H")
        at += length
        return data[at - length : at - 1].decode()

    (version,) = take("<I")
    if version != 6:
        raise ValueError(f"{path}: CTranslate2 binary version {version}, expected 6")
    text()  # the spec's name
    take("<I")  # its revision
    (count,) = take("<I")
    variables = {}
    for _ in range(count):
        name = text()
        (rank,) = take("<B")
        shape = take(f"<{rank}I")
        dtype, size = take("<BI")
        variables[name] = np.frombuffer(data, DTYPES[dtype], size // np.dtype(DTYPES[dtype]).itemsize, at).reshape(shape)
        at += size
    (aliases,) = take("<I")
    for _ in range(aliases):
        alias, target = text(), text()
        variables[alias] = variables[target]
    return variables


def openai_checkpoint(model_dir: Path) -> dict:
    """openai-whisper's checkpoint layout ({"dims", "model_state_dict"}) of a CTranslate2 Whisper, in float32."""
    ct2 = read_variables(model_dir / "model.bin")
    state: dict[str, np.ndarray] = {}

    def norm(to: str, src: str) -> None:
        state[f"{to}.weight"], state[f"{to}.bias"] = ct2[f"{src}/gamma"], ct2[f"{src}/beta"]

    def linear(to: str, src: str, bias: bool = True) -> None:
        state[f"{to}.weight"] = ct2[f"{src}/weight"]
        if bias:
            state[f"{to}.bias"] = ct2[f"{src}/bias"]

    def fused(names: list[str], prefix: str, src: str) -> None:
        weights = np.split(ct2[f"{src}/weight"], len(names))
        biases = np.split(ct2[f"{src}/bias"], len(names))
        for name, weight, bias in zip(names, weights, biases):
            state[f"{prefix}.{name}.weight"] = weight
            if name != "key":  # Whisper's key projection has no bias; CTranslate2 stores zeros
                state[f"{prefix}.{name}.bias"] = bias

    def block(to: str, src: str, cross: bool) -> None:
        norm(f"{to}.attn_ln", f"{src}/self_attention/layer_norm")
        fused(["query", "key", "value"], f"{to}.attn", f"{src}/self_attention/linear_0")
        linear(f"{to}.attn.out", f"{src}/self_attention/linear_1")
        if cross:
            norm(f"{to}.cross_attn_ln", f"{src}/attention/layer_norm")
            linear(f"{to}.cross_attn.query", f"{src}/attention/linear_0")
            fused(["key", "value"], f"{to}.cross_attn", f"{src}/attention/linear_1")
            linear(f"{to}.cross_attn.out", f"{src}/attention/linear_2")
        norm(f"{to}.mlp_ln", f"{src}/ffn/layer_norm")
        linear(f"{to}.mlp.0", f"{src}/ffn/linear_0")
        linear(f"{to}.mlp.2", f"{src}/ffn/linear_1")

    layers = {side: len({n.split("/")[1] for n in ct2 if re.match(rf"{side}/layer_\d+/", n)}) for side in ("encoder", "decoder")}
    for conv in ("conv1", "conv2"):
        linear(f"encoder.{conv}", f"encoder/{conv}")
    state["encoder.positional_embedding"] = ct2["encoder/position_encodings/encodings"]
    for i in range(layers["encoder"]):
        block(f"encoder.blocks.{i}", f"encoder/layer_{i}", cross=False)
    norm("encoder.ln_post", "encoder/layer_norm")
    state["decoder.token_embedding.weight"] = ct2["decoder/embeddings/weight"]
    state["decoder.positional_embedding"] = ct2["decoder/position_encodings/encodings"]
    for i in range(layers["decoder"]):
        block(f"decoder.blocks.{i}", f"decoder/layer_{i}", cross=True)
    norm("decoder.ln", "decoder/layer_norm")

    import torch

    audio_ctx, audio_state = ct2["encoder/position_encodings/encodings"].shape
    text_ctx, text_state = ct2["decoder/position_encodings/encodings"].shape
    dims = {
        "n_mels": ct2["encoder/conv1/weight"].shape[1],
        "n_audio_ctx": audio_ctx,
        "n_audio_state": audio_state,
        "n_audio_head": int(ct2["encoder/num_heads"]),
        "n_audio_layer": layers["encoder"],
        "n_vocab": ct2["decoder/embeddings/weight"].shape[0],
        "n_text_ctx": text_ctx,
        "n_text_state": text_state,
        "n_text_head": int(ct2["decoder/num_heads"]),
        "n_text_layer": layers["decoder"],
    }
    weights = {name: torch.from_numpy(np.array(array, dtype=np.float32)) for name, array in state.items()}
    return {"dims": dims, "model_state_dict": weights}


def alignment_heads(model_dir: Path, dims: dict) -> str:
    """The model's alignment heads (config.json) in openai-whisper's encoding: base85 of a gzipped bool mask."""
    mask = np.zeros((dims["n_text_layer"], dims["n_text_head"]), dtype=bool)
    for layer, head in json.loads((model_dir / "config.json").read_text())["alignment_heads"]:
        mask[layer, head] = True
    return base64.b85encode(gzip.compress(mask.tobytes())).decode()
