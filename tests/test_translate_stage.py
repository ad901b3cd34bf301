"""The translate stage with honest fake engines: order, pass-through, batching, partials, pivots, failures."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence

import pytest

from lt.errors import LtError
from lt.events import ErrorEvent, SessionEvent, TranscriptEvent, TranslationEvent, UnknownEvent, event_id
from lt.mt.cache import TranslationCache
from lt.mt.router import Router
from lt.mt.stage import TranslateSettings, TranslateStats, translate_events


class FakeTranslator:
    """Translates by tagging the text with the target; fails on sentences containing 'boom'."""

    def __init__(self, pairs: Sequence[tuple[str, str]], model: str = "fake-model", delay: float = 0.0):
        self.pairs = set(pairs)
        self.engine = "fake"
        self.model = model
        self.delay = delay
        self.calls: list[list[str]] = []
        self.loaded = False

    def supports(self, source: str, target: str) -> bool:
        return (source, target) in self.pairs

    def load(self) -> None:
        self.loaded = True

    def translate(self, texts: Sequence[str], source: str, target: str) -> list[str]:
        self.calls.append(list(texts))
        time.sleep(self.delay)
        if any("boom" in text for text in texts):
            raise RuntimeError("the engine broke")
        return [f"<{target}> {text}" for text in texts]


def transcript(seg: int, text: str, *, final: bool = True, rev: int = 0, lang: str | None = "en",
               start: float = 0.0, end: float | None = None) -> TranscriptEvent:
    return TranscriptEvent(
        session="S", id=event_id("S", "transcript", seg, rev), seg=seg, rev=rev, start=start,
        end=start + 1.0 if end is None else end, text=text, lang=lang, final=final, t={"transcribe": 100.0 + seg},
    )


def run(events, translators, **settings) -> list:
    options = {"targets": ("pt",), "batch_wait": 0.0, **settings}
    return list(translate_events(events, Router(translators), TranslateSettings(**options)))


def translations(out: list) -> list[TranslationEvent]:
    return [e for e in out if isinstance(e, TranslationEvent)]


def test_every_event_passes_through_in_order_and_translations_follow_their_transcript():
    unknown = UnknownEvent({"v": 1, "type": "future-thing", "session": "S", "id": "u1", "payload": {"x": [1]}})
    upstream_error = ErrorEvent(session="S", id="e1", stage="transcribe", message="hiccup")
    start = SessionEvent(session="S", id="s1", kind="start", stage="transcribe")
    events = [start, transcript(0, "Hello there."), unknown, transcript(1, "Good morning."), upstream_error]
    out = run(events, [FakeTranslator([("en", "pt"), ("en", "es")])], targets=("pt", "es"))

    assert [e for e in out if not isinstance(e, TranslationEvent)] == events
    assert out[0] is start and out[4] is unknown and out[-1] is upstream_error
    assert [(e.seg, e.target_lang) for e in out[2:4]] == [(0, "pt"), (0, "es")]
    assert [(e.seg, e.target_lang) for e in out[6:8]] == [(1, "pt"), (1, "es")]


def test_translation_event_fields():
    source = transcript(3, "See you on Friday.", start=12.5, end=14.0)
    (event,) = translations(run([source], [FakeTranslator([("en", "pt")], model="m1")]))
    assert event.seg == 3 and event.rev == 0 and event.final is True
    assert (event.source_lang, event.target_lang) == ("en", "pt")
    assert event.text == "<pt> See you on Friday." and event.source_text == "See you on Friday."
    assert (event.engine, event.model) == ("fake", "m1")
    assert (event.start, event.end) == (12.5, 14.0)
    assert event.session == "S"
    assert event.id == event_id("S", "translation", 3, "pt", "m1", "final")
    assert event.t["transcribe"] == 103.0 and event.t["translate"] >= event.t["transcribe"]


def test_ids_are_deterministic_across_replays():
    events = [transcript(0, "One."), transcript(1, "Two.")]
    first = [e.id for e in translations(run(events, [FakeTranslator([("en", "pt")])]))]
    again = [e.id for e in translations(run(events, [FakeTranslator([("en", "pt")])]))]
    assert first == again and len(set(first)) == 2


def test_target_equal_to_source_is_skipped_and_from_overrides_lang():
    engine = FakeTranslator([("en", "pt"), ("de", "pt")])
    out = run([transcript(0, "Hello.", lang="en")], [engine], targets=("en", "pt"))
    assert [e.target_lang for e in translations(out)] == ["pt"]
    out = run([transcript(0, "Hallo.", lang="en")], [engine], source="de")
    assert translations(out)[0].source_lang == "de"


def test_empty_text_is_not_translated():
    engine = FakeTranslator([("en", "pt")])
    assert translations(run([transcript(0, "  ")], [engine])) == [] and engine.calls == []


def test_finals_waiting_while_the_engine_is_busy_go_in_one_call():
    engine = FakeTranslator([("en", "pt")], delay=0.3)

    def live() -> Iterator[TranscriptEvent]:
        yield transcript(0, "First.")
        time.sleep(0.05)  # the engine is now busy with the first final for a while
        for seg in range(1, 6):
            yield transcript(seg, f"Sentence {seg}.")

    out = run(live(), [engine], batch_size=16)
    assert [len(call) for call in engine.calls] == [1, 5]
    assert [e.seg for e in translations(out)] == [0, 1, 2, 3, 4, 5]


def test_batches_are_bounded():
    engine = FakeTranslator([("en", "pt")])
    stats = TranslateStats()
    events = [transcript(seg, f"Sentence {seg}.") for seg in range(7)]
    list(translate_events(events, Router([engine]), TranslateSettings(targets=("pt",), batch_size=3), stats=stats))
    assert max(len(call) for call in engine.calls) <= 3
    assert sum(len(call) for call in engine.calls) == 7 and stats.finals == 7


def test_partials_are_ignored_unless_asked():
    engine = FakeTranslator([("en", "pt")])
    out = run([transcript(0, "Good", final=False), transcript(0, "Good morning.", rev=1)], [engine])
    assert [e.final for e in translations(out)] == [True]


def test_partials_are_debounced_on_audio_time():
    engine = FakeTranslator([("en", "pt")])
    partials = [
        transcript(0, "Good", final=False, rev=0, end=0.5),
        transcript(0, "Good morning", final=False, rev=1, end=0.8),  # only 0.3 s later: skipped
        transcript(0, "Good morning every", final=False, rev=2, end=1.6),
        transcript(0, "Good morning every", final=False, rev=3, end=2.8),  # same text: skipped
        transcript(0, "Good morning everyone", final=False, rev=4, end=1.7),  # too soon: skipped
        transcript(0, "Good morning everyone.", final=True, rev=5, end=2.0),
        transcript(0, "Good morning everyone and", final=False, rev=6, end=4.0),  # after the final: stale
    ]
    # batch_size=1 hands the stage one event at a time, as a slow live stream would.
    out = run(partials, [engine], partials=True, partial_interval=1.0, batch_size=1)
    assert [(e.rev, e.final) for e in translations(out)] == [(0, False), (2, False), (5, True)]
    assert translations(out)[0].id == event_id("S", "translation", 0, "pt", "fake-model", 0)


def test_a_partial_superseded_in_the_same_batch_is_not_translated():
    engine = FakeTranslator([("en", "pt")])
    events = [
        transcript(0, "Good", final=False, rev=0),
        transcript(0, "Good morning", final=False, rev=1, end=3.0),
        transcript(1, "Next", final=False, rev=0),
    ]
    out = run(events, [engine], partials=True, batch_size=16)
    assert [(e.seg, e.rev) for e in translations(out)] == [(0, 1), (1, 0)]


def test_pivot_through_english_when_two_models_chain():
    pt_en = FakeTranslator([("pt", "en")], model="pt-en")
    en_es = FakeTranslator([("en", "es")], model="en-es")
    (event,) = translations(run([transcript(0, "Bom dia.", lang="pt")], [pt_en, en_es], targets=("es",)))
    assert event.text == "<es> <en> Bom dia."
    assert event.engine == "fake+fake via en" and event.model == "pt-en+en-es"


def test_a_direct_model_beats_a_pivot_and_order_of_translators_decides():
    direct = FakeTranslator([("pt", "es")], model="direct")
    chain = [FakeTranslator([("pt", "en")]), FakeTranslator([("en", "es")])]
    (event,) = translations(run([transcript(0, "Olá.", lang="pt")], [*chain, direct], targets=("es",)))
    assert event.model == "direct"


def test_a_pair_without_a_model_is_reported_once_and_names_the_model():
    engine = FakeTranslator([("en", "pt")])
    events = [transcript(0, "Hallo.", lang="de"), transcript(1, "Hello.", lang="en"), transcript(2, "Tschüss.", lang="de")]
    out = run(events, [engine], targets=("pt",))
    errors = [e for e in out if isinstance(e, ErrorEvent)]
    assert len(errors) == 1
    assert errors[0].seg == 0 and errors[0].stage == "translate"
    assert "de->pt" in errors[0].message and "--model de-pt=PATH" in errors[0].message
    # en->pt is here, so only the first leg of the pivot through English is missing.
    assert "`lt models add bergamot-de-en`" in errors[0].message
    assert [e.seg for e in translations(out)] == [1]
    assert out.index(errors[0]) == 1


def test_a_transcript_without_language_asks_for_from():
    out = run([transcript(0, "Hello.", lang=None)], [FakeTranslator([("en", "pt")])])
    assert isinstance(out[1], ErrorEvent) and "--from" in out[1].message


def test_engine_failure_on_one_segment_gives_an_error_event_and_the_stream_continues():
    engine = FakeTranslator([("en", "pt")])
    events = [transcript(0, "Fine."), transcript(1, "Then boom."), transcript(2, "Fine again.")]
    out = run(events, [engine], batch_size=16)
    kinds = [(type(e).__name__, e.seg) for e in out]
    assert kinds == [
        ("TranscriptEvent", 0), ("TranslationEvent", 0),
        ("TranscriptEvent", 1), ("ErrorEvent", 1),
        ("TranscriptEvent", 2), ("TranslationEvent", 2),
    ]
    assert "the engine broke" in out[3].message and "segment 1" in out[3].message
    # The whole batch failed once, then each sentence was retried alone.
    assert engine.calls[0] == ["Fine.", "Then boom.", "Fine again."] and len(engine.calls) == 4


def test_cache_serves_repeats_and_evicts_within_its_bound():
    engine = FakeTranslator([("en", "pt")])
    cache = TranslationCache(maxsize=2)
    events = [transcript(i, text) for i, text in enumerate(["A.", "B.", "A.", "C.", "B."])]
    settings = TranslateSettings(targets=("pt",), batch_size=1, batch_wait=0.0)
    out = list(translate_events(events, Router([engine]), settings, cache=cache))
    assert [e.text for e in translations(out)] == ["<pt> A.", "<pt> B.", "<pt> A.", "<pt> C.", "<pt> B."]
    assert engine.calls == [["A."], ["B."], ["C."], ["B."]]
    assert (cache.hits, cache.misses, cache.evictions, len(cache)) == (1, 4, 2, 2)
    assert "1 hits, 4 misses, 2 evictions" in cache.summary()


def test_cache_key_includes_the_model():
    cache = TranslationCache(maxsize=10)
    settings = TranslateSettings(targets=("pt",), batch_wait=0.0)
    first, second = FakeTranslator([("en", "pt")], model="m1"), FakeTranslator([("en", "pt")], model="m2")
    list(translate_events([transcript(0, "Hi.")], Router([first]), settings, cache=cache))
    list(translate_events([transcript(0, "Hi.")], Router([second]), settings, cache=cache))
    assert first.calls == [["Hi."]] and second.calls == [["Hi."]]


def test_prepare_loads_routes_and_fails_on_a_missing_pair():
    engine = FakeTranslator([("en", "pt")])
    router = Router([engine])
    router.prepare("en", ("pt", "en"))
    assert engine.loaded
    with pytest.raises(LtError, match="en->de"):
        router.prepare("en", ("de",))


def test_warm_loads_only_models_that_can_produce_a_target():
    to_pt, to_de = FakeTranslator([("en", "pt")]), FakeTranslator([("en", "de")])
    Router([to_pt, to_de]).warm(("pt", "es"))
    assert to_pt.loaded and not to_de.loaded


def test_a_long_final_goes_to_the_engine_in_bounded_pieces_and_comes_back_whole_and_in_order():
    from lt.mt.stage import PIECE_CHARS

    sentences = [f"Sentence number {i} is about the budget, the schedule and the plan." for i in range(400)]
    text = " ".join(sentences) + " " + "x" * 1000  # and one "word" longer than any piece
    engine = FakeTranslator([("en", "pt")])
    out = translations(run([transcript(0, text), transcript(1, "Thank you.")], [engine], batch_size=16))
    assert [t.seg for t in out] == [0, 1]
    pieces = [piece for call in engine.calls for piece in call]
    assert all(len(piece) <= PIECE_CHARS for piece in pieces) and len(pieces) > 60
    assert all(len(call) <= 16 for call in engine.calls)
    assert all(piece.rstrip().endswith(".") for piece in pieces[:-4])  # cut between sentences
    assert out[0].text.replace("<pt> ", "").replace(" ", "") == text.replace(" ", "")
    assert out[0].source_text == text


def test_a_text_beyond_the_hard_bound_gets_an_error_event_and_the_stream_goes_on():
    from lt.mt.stage import MOST_CHARS

    engine = FakeTranslator([("en", "pt")])
    out = run([transcript(0, "word " * (MOST_CHARS // 4)), transcript(1, "Thank you.")], [engine])
    errors = [e for e in out if isinstance(e, ErrorEvent)]
    assert len(errors) == 1 and errors[0].seg == 0 and "longer than" in errors[0].message
    assert [t.seg for t in translations(out)] == [1]
    assert engine.calls == [["Thank you."]]
