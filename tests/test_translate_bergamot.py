"""The bundled offline engine on the example meeting, checked for content, and the CLI around it."""

from __future__ import annotations

import json
import re

import pytest

from lt.events import TranscriptEvent, TranslationEvent, event_id
from lt.mt.bergamot import BergamotTranslator
from lt.mt.router import RouterSettings, build_router
from lt.mt.stage import TranslateSettings, translate_events

# English sentence of examples/meeting.txt -> words its Portuguese translation must contain, and back.
KEY_WORDS = {
    "Today we will review the budget for the new project and agree on the next steps.": (
        ["orçamento", "projeto"], ["budget", "project"]),
    "The design team needs two more weeks to finish the prototype.": (
        ["semanas", "protótipo"], ["weeks", "prototype"]),
    "We have enough money for three engineers until the end of the year.": (
        ["dinheiro", "engenheiros", "ano"], ["money", "engineers", "year"]),
    "The third item is the conference in Lisbon.": (["conferência", "Lisboa"], ["conference", "Lisbon"]),
    "Please send your questions to the project manager before Friday.": (
        ["perguntas", "sexta-feira"], ["questions", "Friday"]),
}


@pytest.fixture(scope="module")
def sentences(example_text) -> list[str]:
    found = re.split(r"(?<=[.?!])\s+", example_text)
    assert set(KEY_WORDS) <= set(found)
    return found


def _transcripts(texts: list[str], lang: str) -> list[TranscriptEvent]:
    return [
        TranscriptEvent(session="S", id=f"t{i}", seg=i, start=2.0 * i, end=2.0 * i + 1.5, text=text,
                        lang=lang, final=True, t={"transcribe": 1.0})
        for i, text in enumerate(texts)
    ]


def test_english_to_portuguese_and_back_keeps_the_meaning(sentences):
    router = build_router(RouterSettings(engine="bergamot"))
    to_pt = [e for e in translate_events(_transcripts(sentences, "en"), router, TranslateSettings(targets=("pt",)))
             if isinstance(e, TranslationEvent)]
    assert len(to_pt) == len(sentences)
    assert {(e.engine, e.model) for e in to_pt} == {("bergamot", "bergamot/en-pt-tiny")}
    portuguese = {e.source_text: e.text for e in to_pt}
    for english, (pt_words, _) in KEY_WORDS.items():
        for word in pt_words:
            assert word.lower() in portuguese[english].lower(), (word, portuguese[english])

    back = [e for e in translate_events(_transcripts([portuguese[s] for s in KEY_WORDS], "pt"), router,
                                        TranslateSettings(targets=("en",)))
            if isinstance(e, TranslationEvent)]
    assert {e.model for e in back} == {"bergamot/pt-en-tiny"}
    for event, (_, en_words) in zip(back, KEY_WORDS.values()):
        for word in en_words:
            assert word.lower() in event.text.lower(), (word, event.text)


def test_a_batch_runs_in_parallel_and_keeps_order(sentences):
    engine = BergamotTranslator("en", "pt", threads=2)
    batch = engine.translate(sentences, "en", "pt")
    assert batch == [engine.translate([s], "en", "pt")[0] for s in sentences]


def test_cli_translates_the_meeting_offline(run_lt, sentences):
    stream = b"".join(json.dumps(e.to_dict()).encode() + b"\n" for e in _transcripts(sentences[:3], "en"))
    done = run_lt("translate", "--to", "pt", input=stream, env={"HF_HUB_OFFLINE": "1"})
    assert done.code == 0, done.stderr
    out = [json.loads(line) for line in done.lines()]
    assert [e["type"] for e in out] == ["transcript", "translation"] * 3
    assert "orçamento" in out[3]["text"]
    assert out[1]["id"] == event_id("S", "translation", 0, "pt", "bergamot/en-pt-tiny", "final")
    assert "translated 3 finals" in done.stderr


BAD_STREAM = (
    b'{"v":1,"type":"transcript","session":"S","id":"a","seg":0,"start":0,"end":1,"text":"Good morning.","lang":"en","final":true}\n'
    b"this is not json\n"
    b'{"v":1,"type":"mystery","session":"S","id":"m","x":1}\n'
    b'{"v":1,"type":"transcript","session":"S","id":"b","seg":1,"start":"soon","end":2,"text":"Bad.","final":true}\n'
    b'{"v":1,"type":"transcript","session":"S","id":"c","seg":2,"start":2,"end":3,"text":"Thank you.","lang":"en","final":true}\n'
)


def test_bad_lines_under_emit(run_lt):
    done = run_lt("translate", "--to", "pt", "--on-bad", "emit", input=BAD_STREAM)
    assert done.code == 3
    out = [json.loads(line) for line in done.lines()]
    assert [(e["type"], e.get("line")) for e in out] == [
        ("transcript", None), ("translation", None), ("error", 2), ("mystery", None), ("error", 4),
        ("transcript", None), ("translation", None),
    ]
    assert out[3] == {"v": 1, "type": "mystery", "session": "S", "id": "m", "x": 1}
    assert "field 'start'" in out[4]["message"]


def test_bad_lines_under_skip(run_lt):
    done = run_lt("translate", "--to", "pt", "--on-bad", "skip", input=BAD_STREAM)
    assert done.code == 3
    assert [json.loads(line)["type"] for line in done.lines()] == [
        "transcript", "translation", "mystery", "transcript", "translation"
    ]
    assert "skipped input line 2" in done.stderr and "skipped input line 4" in done.stderr


def test_bad_lines_under_fail(run_lt):
    done = run_lt("translate", "--to", "pt", "--on-bad", "fail", input=BAD_STREAM)
    assert done.code == 3
    assert [json.loads(line)["type"] for line in done.lines()] == ["transcript", "translation"]
    assert "input line 2" in done.stderr and "Traceback" not in done.stderr


# Any Bergamot model directory, through fxtranslate: here the bundled files, as a directory.

def test_a_bergamot_directory_translates_from_any_thread():
    from concurrent.futures import ThreadPoolExecutor

    from lt.mt.bergamot import BergamotDirTranslator, inspect_bergamot, model_dir

    model = inspect_bergamot(model_dir("en", "pt"))
    assert model.pair == ("en", "pt") and model.shortlist is not None
    translator = BergamotDirTranslator(model)
    translator.load()  # built on its own thread; fxtranslate forbids using it from another
    with ThreadPoolExecutor(2) as pool:
        texts = list(pool.map(lambda t: translator.translate([t], "en", "pt")[0], list(KEY_WORDS)[:2]))
    for text, (pt_words, _) in zip(texts, list(KEY_WORDS.values())[:2]):
        assert all(word in text for word in pt_words), text


def test_a_directory_that_is_not_a_bergamot_model_is_refused(tmp_path):
    from lt.errors import LtError
    from lt.mt.bergamot import inspect_bergamot

    (tmp_path / "model.enxx.intgemm.alphas.bin").write_bytes(b"x")
    with pytest.raises(LtError, match="cannot tell which language pair"):
        inspect_bergamot(tmp_path)
    (tmp_path / "model.enxx.intgemm.alphas.bin").rename(tmp_path / "model.enes.intgemm.alphas.bin")
    with pytest.raises(LtError, match="has no vocabulary"):
        inspect_bergamot(tmp_path)
