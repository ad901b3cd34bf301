"""Model resolution, offline first: bundled packages, the joined base model, local directories; and
the threads a model gets."""

from __future__ import annotations

import hashlib
import os

import faster_whisper
import pytest

from lt import threads
from lt.asr.engine import ModelSettings, load_whisper
from lt.asr.models import BASE_SHA256, joined_base_model, local_models, resolve_model
from lt.errors import LtError

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def test_tiny_en_is_the_bundled_package():
    model = resolve_model("tiny.en")
    assert model.source == "bundled"
    assert (model.path / "model.bin").is_file() and model.path.name == "model"


def test_base_is_joined_into_lt_home_once_and_verified(lt_home):
    model = resolve_model("base")
    assert model.source == "bundled"
    assert model.path == lt_home / "models" / "whisper-base"
    digest = hashlib.sha256((model.path / "model.bin").read_bytes()).hexdigest()
    assert digest == BASE_SHA256
    before = (model.path / "model.bin").stat().st_mtime_ns
    assert joined_base_model() == model.path
    assert (model.path / "model.bin").stat().st_mtime_ns == before
    assert not list(model.path.glob("*.tmp"))


def test_a_directory_is_used_as_it_is():
    bundled = resolve_model("tiny.en").path
    model = resolve_model(str(bundled))
    assert (model.source, model.path) == ("directory", bundled)


def test_a_directory_without_a_model_is_refused(tmp_path):
    with pytest.raises(LtError, match="missing model.bin, config.json"):
        resolve_model(str(tmp_path))


def test_local_models_lists_both_bundled_models_with_where_they_live():
    resolve_model("base")
    rows = {row["name"]: row for row in local_models()}
    assert {"tiny.en", "base"} <= set(rows)
    for row in rows.values():
        assert set(row) == {"kind", "name", "path", "source", "size", "licence", "detail"}
        assert row["kind"] == "asr" and os.path.isdir(row["path"])
    assert rows["tiny.en"]["source"] == "bundled"
    assert rows["base"]["source"] == "LT_HOME"


@pytest.mark.parametrize("cores, expected", [(1, 1), (2, 1), (3, 1), (4, 2), (8, 4), (64, 4)])
def test_default_threads_are_half_the_cores_at_most_four(monkeypatch, cores, expected):
    monkeypatch.setattr(threads, "usable_cores", lambda: cores)
    assert threads.default_threads() == expected


def test_a_model_gets_the_default_threads_unless_told(monkeypatch):
    given = []

    class Recorded:
        def __init__(self, path, **options):
            given.append(options["cpu_threads"])

    monkeypatch.setattr(faster_whisper, "WhisperModel", Recorded)
    monkeypatch.setattr(threads, "usable_cores", lambda: 8)
    load_whisper(ModelSettings("tiny.en", device="cpu"))
    load_whisper(ModelSettings("tiny.en", device="cpu", cpu_threads=3))
    assert given == [4, 3]


def test_numpy_blas_gets_one_thread_unless_the_user_says(monkeypatch):
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    monkeypatch.setenv("MKL_NUM_THREADS", "3")
    threads.one_blas_thread()
    assert (os.environ["OPENBLAS_NUM_THREADS"], os.environ["MKL_NUM_THREADS"]) == ("1", "3")
