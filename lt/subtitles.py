"""Subtitles from timed captions, following the common caption rules.

- A cue holds at most `max_lines` lines of `line_chars` characters (2 x 42);
  a longer caption is split into several cues at word boundaries, preferring
  sentence ends, each timed by its words (or by its share of the characters
  when the caption has no word timings).
- Two lines are balanced, so the break falls near the middle.
- A cue stays up long enough to read (lt.captions.ReadingTime: 17 characters
  a second, at least 1 s and at most 7 s, as the overlay), and never overlaps the
  next: it stretches into the silence after it, and when the next caption
  follows too closely for the minimum, the next cue starts a little later.
  Where speech is continuous and faster than the reading speed, the cue keeps
  the speech's pace (counted in `SubtitleStats.fast`) rather than drift ever
  further behind the audio.
- A caption without a start begins where the previous one ended (0 for the
  first); without an end, it lasts its reading time. Their number is counted
  in `SubtitleStats.inferred`; nothing is dropped.
- Speakers: every cue knows its caption's speaker. WebVTT marks each cue with
  a voice span (`<v Ana>`); in SRT, with `speaker_prefix`, the first cue after
  a change of speaker begins with the label ("Ana: "), counted in the line
  length like any word.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from lt.captions import Caption, ReadingTime, TimedWord, ends_clause, ends_sentence

@dataclass(frozen=True)
class SubtitleRules:
    line_chars: int = 42
    max_lines: int = 2
    reading: ReadingTime = ReadingTime()

    @property
    def cue_chars(self) -> int:
        return self.line_chars * self.max_lines


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    lines: tuple[str, ...]
    speaker: str | None = None

    @property
    def chars(self) -> int:
        return len(" ".join(self.lines))


@dataclass
class SubtitleStats:
    captions: int = 0
    cues: int = 0
    inferred: int = 0  # captions whose start or end was missing and taken from the neighbours
    fast: int = 0  # cues read faster than chars_per_second because the speech was


def cues(
    captions: Iterable[Caption], rules: SubtitleRules = SubtitleRules(), stats: SubtitleStats | None = None,
    speaker_prefix: bool = False,
) -> list[Cue]:
    """The cues of captions given in timeline order; with `speaker_prefix`, a change of speaker
    starts its cue with "LABEL:"."""
    stats = stats if stats is not None else SubtitleStats()
    raw: list[Cue] = []
    previous: str | None = None
    for caption in _placed(captions, rules, stats):
        prefix = speaker_prefix and caption.speaker is not None and caption.speaker != previous
        raw.extend(_split(caption, rules, f"{caption.speaker}:" if prefix else None))
        previous = caption.speaker
    timed = _timed(raw, rules)
    stats.cues = len(timed)
    stats.fast = sum(1 for cue in timed if cue.chars > rules.reading.chars_per_second * (cue.end - cue.start) + 0.5)
    return timed


def _placed(captions: Iterable[Caption], rules: SubtitleRules, stats: SubtitleStats) -> Iterable[Caption]:
    """Captions with both times set: missing ones taken from the previous caption and the reading time."""
    previous_end = 0.0
    for caption in captions:
        text = " ".join(caption.text.split())
        if not text:
            continue
        stats.captions += 1
        start, end = caption.start, caption.end
        if start is None or end is None:
            stats.inferred += 1
        if start is None:
            start = previous_end if end is None else min(previous_end, end)
        if end is None:
            end = start + rules.reading.seconds(len(text))
        previous_end = max(previous_end, end)
        yield Caption(start, end, text, caption.words, caption.speaker)


def _tokens(caption: Caption, rules: SubtitleRules, prefix: str | None) -> list[TimedWord]:
    words = [TimedWord(w.w.strip(), w.start, w.end) for w in caption.words if w.w.strip()]
    timed = words and all(w.start is not None and w.end is not None for w in words)
    if not (timed and " ".join(w.w for w in words) == caption.text):
        words = [TimedWord(w) for w in caption.text.split()]
    if prefix and words:
        words.insert(0, TimedWord(prefix, words[0].start, words[0].start))
    return [piece for word in words for piece in _hard_split(word, rules.line_chars)]


def _hard_split(word: TimedWord, width: int) -> list[TimedWord]:
    """A word longer than a line (a URL, say) is cut into line-sized pieces."""
    if len(word.w) <= width:
        return [word]
    return [TimedWord(word.w[i:i + width], word.start, word.end) for i in range(0, len(word.w), width)]


def _split(caption: Caption, rules: SubtitleRules, prefix: str | None = None) -> list[Cue]:
    tokens = _tokens(caption, rules, prefix)
    groups = _groups(tokens, rules)
    total = len(" ".join(t.w for t in tokens))
    span = caption.end - caption.start
    out, offset = [], 0
    for group in groups:
        text = " ".join(t.w for t in group)
        if group[0].start is not None and group[-1].end is not None:
            start, end = group[0].start, group[-1].end
        else:  # no word timings: each piece gets its share of the caption's time
            start = caption.start + span * min(offset, total) / total
            end = caption.start + span * min(offset + len(text), total) / total
        offset += len(text) + 1
        out.append(Cue(start, end, tuple(_balanced(group, rules)), caption.speaker))
    return out


def _groups(tokens: list[TimedWord], rules: SubtitleRules) -> list[list[TimedWord]]:
    """Tokens packed into cues that fit the lines: sentences kept apart, each cut into even pieces."""
    return [group for run in _sentences(tokens, rules) for group in _even(run, rules)]


def _sentences(tokens: list[TimedWord], rules: SubtitleRules) -> list[list[TimedWord]]:
    """Runs ending at sentence ends; a short sentence ("Yes.") joins the next one."""
    runs: list[list[TimedWord]] = [[]]
    for token in tokens:
        runs[-1].append(token)
        if ends_sentence(token.w) and _length(runs[-1]) >= rules.cue_chars // 3:
            runs.append([])
    return [run for run in runs if run]


def _even(run: list[TimedWord], rules: SubtitleRules) -> list[list[TimedWord]]:
    """As few cues as greedy packing needs, of lengths as even as possible (no one-word orphan cue)."""
    fewest = len(_pack(run, rules.cue_chars, rules))
    for limit in range(max(len(t.w) for t in run), rules.cue_chars + 1):
        groups = _pack(run, limit, rules)
        if len(groups) <= fewest:
            return groups
    return _pack(run, rules.cue_chars, rules)


def _pack(run: list[TimedWord], limit: int, rules: SubtitleRules) -> list[list[TimedWord]]:
    groups: list[list[TimedWord]] = [[]]
    for token in run:
        grown = [*groups[-1], token]
        if groups[-1] and (_length(grown) > limit or len(_lines(grown, rules.line_chars)) > rules.max_lines):
            groups.append([token])
        else:
            groups[-1] = grown
    return groups


def _length(tokens: Sequence[TimedWord]) -> int:
    return len(" ".join(t.w for t in tokens))


def _lines(tokens: Sequence[TimedWord], width: int) -> list[str]:
    """Greedy line filling."""
    lines: list[str] = []
    for token in tokens:
        if lines and len(lines[-1]) + 1 + len(token.w) <= width:
            lines[-1] += " " + token.w
        else:
            lines.append(token.w)
    return lines


def _balanced(tokens: Sequence[TimedWord], rules: SubtitleRules) -> list[str]:
    """Two lines of similar length (a break after punctuation preferred), else the greedy lines."""
    greedy = _lines(tokens, rules.line_chars)
    if len(greedy) != 2:
        return greedy
    best, best_score = greedy, math.inf
    for cut in range(1, len(tokens)):
        top, bottom = _length(tokens[:cut]), _length(tokens[cut:])
        if max(top, bottom) > rules.line_chars:
            continue
        score = abs(top - bottom) - (6 if ends_clause(tokens[cut - 1].w) or ends_sentence(tokens[cut - 1].w) else 0)
        if score < best_score:
            best_score = score
            best = [" ".join(t.w for t in tokens[:cut]), " ".join(t.w for t in tokens[cut:])]
    return best


def _timed(raw: list[Cue], rules: SubtitleRules) -> list[Cue]:
    """Display times: readable, bounded, and never overlapping the next cue."""
    out: list[Cue] = []
    previous_end = 0.0
    for i, cue in enumerate(raw):
        start = round(max(cue.start, previous_end), 3)
        wanted = min(max(cue.end - start, cue.chars / rules.reading.chars_per_second, rules.reading.min_seconds), rules.reading.max_seconds)
        end = start + wanted
        if i + 1 < len(raw) and end > raw[i + 1].start:
            end = max(raw[i + 1].start, start + rules.reading.min_seconds)
        end = round(end, 3)
        out.append(Cue(start, end, cue.lines, cue.speaker))
        previous_end = end
    return out


def _clock(seconds: float, separator: str) -> str:
    millis = round(seconds * 1000)
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


def srt(cues: Iterable[Cue]) -> str:
    blocks = [
        f"{n}\n{_clock(c.start, ',')} --> {_clock(c.end, ',')}\n" + "\n".join(c.lines) + "\n"
        for n, c in enumerate(cues, 1)
    ]
    return "\n".join(blocks)


def _vtt_text(line: str) -> str:
    # WebVTT cue text treats & and < as markup, and "-->" would end the cue.
    return line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _vtt_lines(cue: Cue) -> str:
    text = "\n".join(map(_vtt_text, cue.lines))
    return text if cue.speaker is None else f"<v {_vtt_text(cue.speaker)}>{text}"


def vtt(cues: Iterable[Cue]) -> str:
    blocks = [f"{_clock(c.start, '.')} --> {_clock(c.end, '.')}\n" + _vtt_lines(c) + "\n" for c in cues]
    return "WEBVTT\n\n" + "\n".join(blocks)
