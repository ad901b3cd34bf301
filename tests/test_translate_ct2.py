"""The CTranslate2 engine end to end, on tiny random models built here (and a real one when named).

The tiny models translate into nonsense; these tests check what does not depend
on the weights: SentencePiece tokenisation, target-language prefixes for a
multilingual model, batching, caching and event fields. Set
LT_TEST_CT2_MODEL=PATH (or PAIR=PATH, e.g. en-es=~/models/opus-mt-en-es) to run
the same tests against a real converted model as well.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lt.errors import LtError
from lt.events import TranscriptEvent, TranslationEvent, event_id
from lt.mt.cache import TranslationCache
from lt.mt.ct2 import Ct2Settings, Ct2Translator, inspect_model
from lt.mt.models import local_models, parse_model_option
from lt.mt.router import Router, RouterSettings, build_router
from lt.mt.stage import TranslateSettings, TranslateStats, translate_events
from tinymodel import build_tiny_model

ROOT = Path(__file__).resolve().parent.parent
SENTENCES = [
    s.strip() + "." for s in (ROOT / "examples" / "meeting.txt").read_text().split(".") if s.strip()
]
SETTINGS = Ct2Settings(device="cpu", compute_type="auto", beam_size=2)


@pytest.fixture(scope="module")
def tiny_models(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("ct2-models")
    build_tiny_model(root / "en-es", SENTENCES)
    build_tiny_model(root / "m2m-tiny", SENTENCES, languages=("en", "pt", "es", "de"))
    return root


def _real_model() -> tuple[tuple[str, str] | None, Path] | None:
    value = os.environ.get("LT_TEST_CT2_MODEL")
    return parse_model_option(value) if value else None


@pytest.fixture(params=["tiny", "real"])
def ct2(request, tiny_models) -> tuple[Ct2Translator, str, str]:
    """A loaded ct2 translator and a pair it serves: the tiny pair model, or the real one."""
    if request.param == "tiny":
        return Ct2Translator(inspect_model(tiny_models / "en-es", ("en", "es")), SETTINGS), "en", "es"
    real = _real_model()
    if real is None:
        pytest.skip("set LT_TEST_CT2_MODEL to a CTranslate2 model directory to run against a real model")
    pair, path = real
    model = inspect_model(path, pair)
    source, target = model.pair or ("en", next(code for code in sorted(model.languages) if code != "en"))
    return Ct2Translator(model, SETTINGS), source, target


@pytest.fixture(scope="module")
def multilingual(tiny_models) -> Ct2Translator:
    return Ct2Translator(inspect_model(tiny_models / "m2m-tiny"), SETTINGS)


def test_inspection_reads_the_kind_from_the_vocabulary(tiny_models):
    pair = inspect_model(tiny_models / "en-es", ("en", "es"))
    assert (pair.kind, pair.pair) == ("marian", ("en", "es"))
    assert pair.source_spm.name == "source.spm" and pair.target_spm.name == "target.spm"
    multi = inspect_model(tiny_models / "m2m-tiny")
    assert multi.kind == "m2m100" and multi.languages == {"en", "pt", "es", "de"}
    assert multi.supports("de", "pt") and not multi.supports("en", "fr")


def test_sentencepiece_tokens_end_with_eos(ct2):
    translator, source, target = ct2
    tokens, prefix = translator.tokenize(SENTENCES[0], source, target)
    if translator.info.kind != "marian":
        assert prefix is not None and len(prefix) == 1 and tokens[0] not in ("</s>", "<s>")
        tokens = tokens[1:]
    else:
        assert prefix is None
    assert tokens[-1] == "</s>" and len(tokens) > 3
    assert "".join(tokens[:-1]).replace("▁", " ").strip().startswith("Good")


def test_multilingual_model_gets_language_tokens_and_a_target_prefix(multilingual):
    tokens, prefix = multilingual.tokenize("The budget.", "en", "pt")
    assert tokens[0] == "__en__" and tokens[-1] == "</s>" and prefix == ["__pt__"]


def test_target_prefix_reaches_the_decoder_and_is_stripped(multilingual):
    import ctranslate2
    import sentencepiece

    out = multilingual.translate(["The budget."], "en", "pt")
    tokens, prefix = multilingual.tokenize("The budget.", "en", "pt")
    direct = ctranslate2.Translator(str(multilingual.info.path), device="cpu", compute_type=SETTINGS.compute_type)
    hypothesis = direct.translate_batch(
        [tokens], target_prefix=[prefix], beam_size=2, max_decoding_length=2 * len(tokens) + 16
    )[0].hypotheses[0]
    assert hypothesis[0] == "__pt__"
    target_sp = sentencepiece.SentencePieceProcessor(model_file=str(multilingual.info.target_spm))
    assert out == [target_sp.decode_pieces(hypothesis[1:])]
    assert "__pt__" not in out[0]


def test_a_batch_keeps_each_sentence_with_its_translation(ct2):
    translator, source, target = ct2
    batch = translator.translate(SENTENCES[:4], source, target)
    assert len(batch) == 4 and all(isinstance(text, str) for text in batch)
    assert translator.translate(SENTENCES[:4][::-1], source, target) == batch[::-1]


def test_batching_does_not_change_a_translation(tiny_models):
    # Exact on the tiny pair model; a model with near-tied scores may flip a token between batch shapes.
    translator = Ct2Translator(inspect_model(tiny_models / "en-es", ("en", "es")), SETTINGS)
    batch = translator.translate(SENTENCES[:4], "en", "es")
    assert batch == [translator.translate([s], "en", "es")[0] for s in SENTENCES[:4]]


class Counting:
    """Wraps a real translator and records each batch it is handed."""

    def __init__(self, inner: Ct2Translator):
        self.inner = inner
        self.engine, self.model = inner.engine, inner.model
        self.calls: list[int] = []

    def supports(self, source: str, target: str) -> bool:
        return self.inner.supports(source, target)

    def load(self) -> None:
        self.inner.load()

    def translate(self, texts, source, target):
        self.calls.append(len(texts))
        return self.inner.translate(texts, source, target)


def _transcripts(source: str, texts: list[str]) -> list[TranscriptEvent]:
    return [
        TranscriptEvent(session="S", id=f"t{i}", seg=i, start=float(i), end=i + 0.9, text=text,
                        lang=source, final=True, t={"transcribe": 1.0})
        for i, text in enumerate(texts)
    ]


def test_stage_batches_caches_and_fills_event_fields(ct2):
    translator, source, target = ct2
    counting = Counting(translator)
    cache, stats = TranslationCache(64), TranslateStats()
    settings = TranslateSettings(targets=(target,), batch_size=8)
    events = _transcripts(source, SENTENCES[:6] + SENTENCES[:2])
    out = list(translate_events(events, Router([counting]), settings, stats=stats, cache=cache))
    produced = [e for e in out if isinstance(e, TranslationEvent)]
    assert counting.calls == [6]  # one engine call; the repeated sentences are not sent twice
    assert [e.seg for e in produced] == list(range(8))
    assert produced[6].text == produced[0].text
    first = produced[0]
    assert (first.engine, first.model) == ("ct2", translator.model)
    assert (first.source_lang, first.target_lang, first.source_text) == (source, target, SENTENCES[0])
    assert first.id == event_id("S", "translation", 0, target, translator.model, "final")
    assert (first.start, first.end) == (0.0, 0.9) and set(first.t) == {"transcribe", "translate"}

    again = list(translate_events(events[:2], Router([counting]), settings, cache=cache))
    assert counting.calls == [6] and cache.hits == 2
    assert [e.text for e in again if isinstance(e, TranslationEvent)] == [produced[0].text, produced[1].text]


def test_multilingual_stage_serves_several_targets(multilingual):
    settings = TranslateSettings(targets=("pt", "de", "en"), batch_size=8)
    out = list(translate_events(_transcripts("en", SENTENCES[:2]), Router([multilingual]), settings))
    assert [(e.seg, e.target_lang) for e in out if isinstance(e, TranslationEvent)] == [
        (0, "pt"), (0, "de"), (1, "pt"), (1, "de")
    ]


def test_router_prefers_a_configured_model_over_the_bundled_engine(tiny_models, tmp_path):
    router = build_router(RouterSettings(model_options=(f"en-pt={tiny_models / 'en-es'}",), models_dir=tmp_path))
    assert router.route("en", "pt").engine == "ct2"
    assert router.route("pt", "en").engine == "bergamot"
    assert router.route("pt", "de") is None
    with_multi = build_router(RouterSettings(models_dir=tiny_models))
    assert (with_multi.route("de", "es").engine, with_multi.route("de", "es").model) == ("ct2", "m2m-tiny")


def test_pivot_chains_the_bundled_engine_with_a_ct2_model(tiny_models):
    router = build_router(RouterSettings(model_options=(f"en-es={tiny_models / 'en-es'}",),
                                         models_dir=tiny_models / "none"))
    chained = router.route("pt", "es")
    assert chained.engine == "bergamot+ct2 via en" and chained.model == "bergamot/pt-en-tiny+en-es"
    (out,) = chained.translate(["Bom dia a todos."], "pt", "es")
    assert isinstance(out, str) and out


def test_models_directory_listing(tiny_models, tmp_path):
    broken = tiny_models.parent / "models-with-junk"
    broken.mkdir(exist_ok=True)
    (broken / "en-fr").mkdir(exist_ok=True)
    (broken / "en-fr" / "README").write_text("not a model")
    rows = local_models(models_dir=tiny_models) + local_models(models_dir=broken)
    by_name = {(r["name"], r["source"]): r for r in rows}
    assert by_name[("en-pt", "bundled")]["kind"] == "mt"
    assert by_name[("en-es", "models dir")]["detail"] == "marian, en->es"
    assert by_name[("m2m-tiny", "models dir")]["detail"] == "m2m100, 4 languages"
    assert "not usable" in by_name[("en-fr", "models dir")]["detail"]
    assert set(rows[0]) == {"kind", "name", "path", "source", "size", "licence", "detail"}
    option_rows = local_models([f"de-es={tiny_models / 'm2m-tiny'}"], models_dir=tmp_path)
    assert [(r["name"], r["source"]) for r in option_rows if r["source"] == "--model"] == [("de-es", "--model")]


def test_models_directory_from_the_environment(tiny_models, monkeypatch):
    monkeypatch.setenv("LT_TRANSLATE_MODELS", str(tiny_models))
    assert {r["name"] for r in local_models() if r["source"] == "models dir"} == {"en-es", "m2m-tiny"}


def test_inspection_errors_are_one_line_with_a_hint(tmp_path, tiny_models):
    with pytest.raises(LtError, match="no such model directory") as missing:
        inspect_model(tmp_path / "nope", ("en", "es"))
    assert "ct2-transformers-converter" in missing.value.hint
    (tmp_path / "empty").mkdir()
    with pytest.raises(LtError, match="not a CTranslate2 model"):
        inspect_model(tmp_path / "empty", ("en", "es"))
    with pytest.raises(LtError, match="language pair is unknown"):
        inspect_model(tiny_models / "en-es")
    with pytest.raises(LtError, match="unknown language code 'xx'"):
        parse_model_option("xx-es=/tmp")


# Through the real CLI, as a user runs it.

def _lt(*args: str, input: bytes = b"", env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lt", *args], input=input, capture_output=True,
                          env={**os.environ, **(env or {})}, timeout=120)


def _ndjson(events) -> bytes:
    return b"".join(json.dumps(e.to_dict()).encode() + b"\n" for e in events)


def test_cli_translates_with_a_model_directory(tiny_models):
    events = _transcripts("en", SENTENCES[:3])
    done = _lt("translate", "--to", "es,de", "--models-dir", str(tiny_models), "-v", input=_ndjson(events))
    assert done.returncode == 0, done.stderr
    out = [json.loads(line) for line in done.stdout.splitlines()]
    assert [(e["type"], e["seg"], e.get("target_lang")) for e in out] == [
        ("transcript", 0, None), ("translation", 0, "es"), ("translation", 0, "de"),
        ("transcript", 1, None), ("translation", 1, "es"), ("translation", 1, "de"),
        ("transcript", 2, None), ("translation", 2, "es"), ("translation", 2, "de"),
    ]
    assert {e["model"] for e in out if e["type"] == "translation"} == {"en-es", "m2m-tiny"}
    assert "cache: 0 hits, 6 misses" in done.stderr.decode()


def test_cli_model_option(tiny_models):
    events = _transcripts("en", SENTENCES[:1])
    done = _lt("translate", "--to", "es", "--from", "en", "--engine", "ct2",
               "--model", f"{tiny_models / 'en-es'}", "--models-dir", str(tiny_models / "none"),
               input=_ndjson(events))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[1])["engine"] == "ct2"


def test_cli_engine_failure_mid_stream_gives_error_events_and_the_stream_goes_on(tiny_models, tmp_path):
    broken = tmp_path / "en-es"
    shutil.copytree(tiny_models / "en-es", broken)
    (broken / "model.bin").write_bytes((tiny_models / "en-es" / "model.bin").read_bytes()[:2000])
    events = _transcripts("en", ["Good morning everyone.", "The budget."])
    done = _lt("translate", "--to", "es,pt", "--models-dir", str(tmp_path), input=_ndjson(events))
    assert done.returncode == 3, done.stderr  # finished, but translations are missing: not a clean 0
    out = [json.loads(line) for line in done.stdout.splitlines()]
    assert [(e["type"], e["seg"]) for e in out] == [
        ("transcript", 0), ("error", 0), ("translation", 0), ("transcript", 1), ("error", 1), ("translation", 1)
    ]
    assert "cannot load the CTranslate2 model" in out[1]["message"] and out[2]["target_lang"] == "pt"


def _startup_error(*args: str) -> tuple[int, str]:
    """Runs with stdin held open and never written: only a start-up failure lets it end."""
    proc = subprocess.Popen([sys.executable, "-m", "lt", "translate", *args], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        code = proc.wait(timeout=60)
        return code, proc.stderr.read().decode()
    finally:
        proc.kill()
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            stream.close()


@pytest.mark.parametrize("args, message", [
    (("--to", "es", "--model", "en-es=/no/such/dir"), "no such model directory: /no/such/dir"),
    (("--to", "xx"), "unknown language code 'xx' in --to"),
    (("--to", "es", "--from", "zz"), "unknown language code 'zz' in --from"),
    (("--to", "es", "--model", f"en-es={ROOT / 'examples'}"), "is not a CTranslate2 model"),
    (("--to", "de", "--from", "en"), "no translation model for en->de"),
    (("--to", "es", "--engine", "ct2", "--models-dir", "/no/such/dir"), "the CTranslate2 engine was asked for, but there is no CTranslate2 model"),
])
def test_cli_startup_errors_come_before_any_input_is_read(args, message):
    code, err = _startup_error(*args)
    assert code == 1
    assert message in err and "hint:" in err and "Traceback" not in err
