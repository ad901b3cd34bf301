"""The catalogue's entries, language names, and the downloader's edge cases (in process, on 127.0.0.1)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from lt.catalog.download import FetchSettings, fetch
from lt.catalog.entries import Entry, RemoteFile, builtin, catalogue
from lt.catalog.progress import Silent
from lt.errors import LtError
from lt.mt.languages import NAMES, check_code, engine_code, normal_code
from model_server import ModelServer


@pytest.fixture(scope="module")
def server():
    server = ModelServer()
    yield server
    server.close()


def test_builtin_entries_are_well_formed():
    entries = builtin()
    names = [n.lower() for e in entries for n in (e.name, *e.aliases)]
    assert len(names) == len(set(names)), "names and aliases are unique"
    for entry in entries:
        assert entry.kind in ("asr", "mt", "tts") and entry.files and entry.licence and entry.publisher
        assert set(entry.languages) <= set(NAMES), entry.name
        assert all(f.url.startswith("https://") for f in entry.files), entry.name
        assert all(s in entry.languages and t in entry.languages for s, t in entry.pairs), entry.name
        for file in entry.files:
            if file.sha256:
                assert len(file.sha256) == 64 and file.size and "/main/" not in file.url


def test_whisper_entries_are_faster_whispers_own_table():
    from faster_whisper.utils import _MODELS

    shelf = catalogue()
    for name, repo in _MODELS.items():
        entry = shelf.get(name)
        assert entry is not None and entry.kind == "asr", name
        assert entry.page.endswith("/" + repo)


def test_piper_voices_use_the_layout_lt_speak_reads():
    voice = catalogue().require("en_US-lessac-medium")
    assert voice.kind == "tts" and voice.install_name == "en_US-lessac-medium"
    assert [f.path for f in voice.files] == ["en_US-lessac-medium.onnx", "en_US-lessac-medium.onnx.json"]
    assert voice.files[0].url.endswith("/v1.0.0/en/en_US/lessac/medium/en_US-lessac-medium.onnx")


def test_bergamot_entries_cover_every_pair_and_prefer_base_memory():
    shelf = catalogue()
    en_es = shelf.require("bergamot-en-es")
    assert en_es.pairs == (("en", "es"),) and en_es.note == "base-memory" and en_es.checked
    assert [f.remote_name for f in en_es.files] == [
        "model.enes.intgemm.alphas.bin.gz", "vocab.enes.spm.gz", "lex.50.50.enes.s2t.bin.gz"]
    assert shelf.require("bergamot-nb-en").name == "bergamot-no-en", "Mozilla's nb is Whisper's no"
    assert [f.path for f in shelf.require("bergamot-en-ja").files][1:3] == ["srcvocab.enja.spm", "trgvocab.enja.spm"]
    assert shelf.translating("en", "es")[0].name == "bergamot-en-es"
    assert {e.engine for e in shelf.translating("en", "es")} == {"bergamot", "ct2"}


def test_an_entry_survives_json(tmp_path, monkeypatch):
    entry = catalogue().require("bergamot-en-es")
    assert Entry.from_dict(json.loads(json.dumps(entry.to_dict()))) == entry
    extra = tmp_path / "extra.json"
    extra.write_text(json.dumps([{**entry.to_dict(), "licence": "ours"}]))
    monkeypatch.setenv("LT_MODEL_CATALOG", str(extra))
    assert catalogue().require("bergamot-en-es").licence == "ours"
    extra.write_text("[{\"name\": 1}]")
    with pytest.raises(LtError, match="is not a model catalogue"):
        catalogue()


@pytest.mark.parametrize("typed, code", [
    ("es", "es"), ("spa", "es"), ("Spanish", "es"), ("español", "es"), ("pt-BR", "pt"), ("pt_PT", "pt"),
    ("ger", "de"), ("deu", "de"), ("nb", "no"), ("Norwegian Bokmål", "no"), ("farsi", "fa"), ("zh-Hans", "zh"),
    ("haitian creole", "ht"), ("yue", "yue"), ("klingon", None),
])
def test_language_codes_and_names(typed, code):
    assert normal_code(typed) == code


def test_engine_spellings_and_bad_codes():
    assert (engine_code("pt", "nllb"), engine_code("jw", "m2m100"), engine_code("no", "bergamot")) == (
        "por_Latn", "__jv__", "nb")
    with pytest.raises(LtError, match="unknown language code 'xx' in --to") as caught:
        check_code("xx", "--to")
    assert "spanish" in caught.value.hint


def _file(tmp_path: Path, size: int) -> tuple[Path, str]:
    path = tmp_path / "blob"
    path.write_bytes(bytes(range(256)) * (size // 256))
    return path, hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_server_that_ignores_range_makes_the_file_start_again(server, tmp_path):
    blob, digest = _file(tmp_path, 300_000)
    url = server.publish("/whole", blob)
    server.published.ignore_range.add("/whole")
    part = tmp_path / "out" / "blob.part"
    part.parent.mkdir()
    part.write_bytes(blob.read_bytes()[:1000])
    got = fetch(url, part, sha256=digest, size=None, label="blob", progress=Silent())
    assert got.sha256 == digest and part.read_bytes() == blob.read_bytes()


def test_a_complete_part_is_not_fetched_again(server, tmp_path):
    blob, digest = _file(tmp_path, 204_800)
    url = server.publish("/complete", blob)
    part = tmp_path / "blob.part"
    part.write_bytes(blob.read_bytes())
    got = fetch(url, part, sha256=digest, size=None, label="blob", progress=Silent())
    assert got.sha256 == digest
    assert [r.range for r in server.published.requests_for("/complete")] == ["bytes=204800-"]  # the 416


def test_a_connection_that_keeps_breaking_gives_up_with_exit_4(server, tmp_path):
    blob, digest = _file(tmp_path, 400_000)
    url = server.publish("/flaky", blob)
    server.cut("/flaky", 50_000, 50_000, 50_000)
    part = tmp_path / "blob.part"
    with pytest.raises(LtError) as caught:
        fetch(url, part, sha256=digest, size=None, label="blob", progress=Silent(),
              settings=FetchSettings(retries=2, backoff=0.01))
    assert caught.value.code == 4 and "0.1 MB kept" in caught.value.message
    assert part.stat().st_size == 150_000


def test_a_wrong_size_is_refused_even_without_a_checksum(server, tmp_path):
    blob, _ = _file(tmp_path, 10_240)
    url = server.publish("/sized", blob)
    with pytest.raises(LtError, match="expected 999 bytes"):
        fetch(url, tmp_path / "x.part", sha256=None, size=999, label="x", progress=Silent())
    assert not (tmp_path / "x.part").exists()


def test_the_router_names_only_the_missing_leg_of_a_pivot():
    from lt.mt.router import Router
    from test_translate_stage import FakeTranslator

    router = Router([FakeTranslator([("en", "pt")])])
    assert "`lt models add bergamot-de-en`" in router.needed("de", "pt")
    assert "`lt models add bergamot-de-en bergamot-en-es`" in router.needed("de", "es")
    with pytest.raises(LtError, match="no translation model can produce es, fr: run `lt models add bergamot-en-es bergamot-en-fr`"):
        router.require_some(("es", "fr"))
    router.require_some(("es", "pt"))  # pt can be made: the stage reports es per pair


def test_two_adds_of_one_model_at_once_are_refused(tmp_path, monkeypatch):
    import fcntl

    from lt.catalog.install import add

    monkeypatch.setenv("LT_HOME", str(tmp_path))
    entry = catalogue().require("bergamot-en-es")
    work = tmp_path / "models" / ".partial" / entry.name
    work.mkdir(parents=True)
    with open(work / ".lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        with pytest.raises(LtError, match="another lt models add is fetching bergamot-en-es"):
            add(entry, Silent())
