"""Where finals end: whole sentences; a pause or a length limit cuts them shorter."""

from __future__ import annotations

from lt.asr.engine import Segment, Word
from lt.asr.hypothesis import HypWord
from lt.asr.sentences import FinalRules, Segmenter, early_cut, next_final
from lt.asr.vad import Span


def words(text: str, gaps: dict[int, float] | None = None, step: float = 0.3) -> list[HypWord]:
    out, t = [], 0.0
    for i, w in enumerate(text.split()):
        t += (gaps or {}).get(i, 0.0)
        out.append(HypWord(Word(" " + w, t, t + step), Segment(()), "en", 1.0))
        t += step
    return out


def test_a_sentence_end_ends_the_final():
    assert next_final(words("the first item. the second"), FinalRules(), closed=False) == 3


def test_an_open_sentence_waits_unless_the_input_is_closed():
    assert next_final(words("no end yet"), FinalRules(), closed=False) is None
    assert next_final(words("no end yet"), FinalRules(), closed=True) == 3


def test_a_pause_between_words_ends_the_final_wherever_it_falls():
    assert next_final(words("we have enough money for", gaps={3: 0.9}), FinalRules(pause=0.8), closed=False) == 3


def test_a_gap_between_aligned_words_is_no_pause_where_the_vad_heard_speech():
    """ "meeting" aligned 0.86 s after "planning", but the speaker paused only 0.28 s."""
    found = words("weekly planning meeting. today", gaps={2: 0.86})
    rules = FinalRules(pause=0.8)
    assert next_final(found, rules, closed=False) == 2
    speech = [Span(0.0, found[1].end + 0.58), Span(found[2].start, 3.0)]
    assert next_final(found, rules, closed=False, speech=speech) == 3


def test_a_lone_word_with_a_full_stop_joins_the_next_sentence_unless_a_pause_follows():
    assert next_final(words("good. morning everyone. the"), FinalRules(), closed=False) == 3
    assert next_final(words("yes. I agree.", gaps={1: 0.5}), FinalRules(short_pause=0.4), closed=False) == 1


def test_a_stray_full_stop_leaves_its_word_to_the_next_sentence():
    rules = FinalRules(short_pause=0.4)
    found = words("our results. there. please send")
    assert next_final(found, rules, closed=False) == 2
    assert next_final(found[2:], rules, closed=True) == 3


def test_a_one_word_sentence_run_on_from_a_sentence_and_left_alone_by_a_pause_ends_its_final():
    rules = FinalRules(short_pause=0.4)
    assert next_final(words("our results. there. please", gaps={3: 0.6}), rules, closed=False) == 3
    assert next_final(words("our results. there."), rules, closed=True) == 3
    assert next_final(words("our results. there."), rules, closed=False) is None  # is a pause next?
    assert next_final(words("our results. there. please"), rules, closed=False) == 2
    assert next_final(words("our results. there.", gaps={2: 0.5}), rules, closed=True) == 2


def test_a_sentence_waits_while_the_one_word_sentence_run_on_from_it_is_still_tentative():
    rules = FinalRules(short_pause=0.4)
    found = words("our results. there. please")
    assert next_final(found[:2], rules, closed=False, ahead=found[2:3]) is None
    assert next_final(found[:3], rules, closed=False, ahead=found[3:]) == 2  # "there." runs on into "please"
    assert next_final(found[:2], rules, closed=False, ahead=words("our results. the")[2:]) == 2
    apart = words("our results. there.", gaps={2: 0.5})
    assert next_final(apart[:2], rules, closed=False, ahead=apart[2:]) == 2


def test_the_segmenter_holds_a_sentence_for_its_tentative_one_word_sentence():
    found = words("our results. there.")
    segmenter = Segmenter(FinalRules(short_pause=0.4))
    segmenter.add(found[:2])
    assert segmenter.cut(1.0, ahead=found[2:]) == []
    segmenter.add(found[2:])
    assert [[w.text.strip() for w in f] for f in segmenter.cut(2.0, closed=True)] == [["our", "results.", "there."]]


def test_a_long_sentence_is_cut_at_its_last_clause_before_the_limit():
    text = "one two three, four five six seven eight nine ten"
    assert next_final(words(text), FinalRules(max_chars=40), closed=False) == 3


def test_early_cut_prefers_the_last_clause():
    assert early_cut(words("and so, we went on")) == 2
    assert early_cut(words("no boundary")) == 2


def test_the_segmenter_holds_words_until_their_final_is_ready():
    segmenter = Segmenter(FinalRules(max_hold=5))
    segmenter.add(words("the budget is"))
    assert segmenter.cut(now=1.0) == []
    segmenter.add(words("fine. and"))
    (final,) = segmenter.cut(now=2.0)
    assert [w.text.strip() for w in final] == ["the", "budget", "is", "fine."]
    assert [w.text.strip() for w in segmenter.pending] == ["and"]


def test_a_long_final_runs_on_to_its_sentence_end_a_few_words_later():
    long = "you must already be connected " * 5 + "to the internet. Please"
    rules = FinalRules(max_chars=160)
    assert next_final(words(long), rules, closed=False) == len(long.split()) - 1
    assert next_final(words(long.rsplit(" ", 2)[0]), rules, closed=False) is None  # "the": wait for the end
    assert next_final(words("word " * 60), rules, closed=False) < 60  # no end in sight: cut at the limit


def test_a_mark_left_after_its_sentence_went_out_is_not_a_final_of_its_own():
    segmenter = Segmenter(FinalRules())
    segmenter.add(words(". Today we"))
    assert [w.text.strip() for w in segmenter.pending] == ["Today", "we"]
    segmenter.add(words("review, ok."))
    assert [w.text.strip() for w in segmenter.pending] == ["Today", "we", "review,", "ok."]


def test_one_vocabulary_of_sentence_and_clause_ends_for_every_stage():
    from lt.captions import ends_clause, ends_sentence

    for word in ("budget.", "Friday?", "no!", "終わり。", "本当？", "«fin.»", "year.\"", "(end.)", "انتهى؟"):
        assert ends_sentence(word), word
    for word in ("Mr.", "Dr.", "e.g.", "budget", "item,"):
        assert not ends_sentence(word), word
    for word in ("first,", "そして、", "however;", "«aussi,»"):
        assert ends_clause(word), word
