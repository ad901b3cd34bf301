"""One self-contained HTML page about a session: captions on a timeline in every
language (one lane per speaker when the speakers were tracked, with their talk
time), latency per stage over time, the models and parameters, suspect
segments with their evidence, and dead letters. Inline CSS and SVG only, so
the file can be mailed or archived and opens anywhere without a network.
"""

from __future__ import annotations

import datetime as dt
import html
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from lt.events import FRAME, STORE, TRANSCRIBE, TRANSLATE
from lt.latency import STAGES, TOTAL, caption_paths, hops, percentile, stable_words, summarize

HOP_COLOURS = {
    TRANSCRIBE: "#2563eb", TRANSLATE: "#16a34a", STORE: "#9333ea", FRAME: "#ea580c", TOTAL: "#111827",
}
LOW_WORD_PROBABILITY = 0.5
SPEAKER_COLOURS = ("#2563eb", "#16a34a", "#ea580c", "#9333ea", "#0891b2", "#ca8a04", "#db2777", "#4b5563")


@dataclass
class SessionData:
    session: str
    events: list[dict[str, Any]]
    dead_letters: list[dict[str, Any]] = field(default_factory=list)
    speaker_labels: dict[str, str] = field(default_factory=dict)  # stored id -> shown as (merged, renamed)
    comparison: dict[str, Any] | None = None  # lt.compare.compare_sessions(this session, another)


@dataclass(frozen=True)
class CaptionRow:
    seg: int
    start: float | None
    end: float | None
    text: str
    lang: str | None
    flags: tuple[str, ...]
    evidence: Mapping[str, Any]
    translations: Mapping[str, str]
    speaker: str | None = None


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value))


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    minutes, rest = divmod(max(seconds, 0.0), 60)
    return f"{int(minutes):02d}:{rest:05.2f}"


def captions(events: Iterable[Mapping[str, Any]], labels: Mapping[str, str] | None = None) -> list[CaptionRow]:
    finals = {e["seg"]: e for e in events if e.get("type") == "transcript" and e.get("final")}
    translated: dict[int, dict[str, str]] = {}
    for event in events:
        if event.get("type") == "translation" and event.get("final"):
            translated.setdefault(event["seg"], {})[event["target_lang"]] = event["text"]
    out = []
    for seg, event in finals.items():
        words = event.get("words") or []
        evidence = {
            "confidence": event.get("confidence"),
            "no_speech_prob": event.get("no_speech_prob"),
            "low_words": [w["w"] for w in words if (w.get("p") is not None and w["p"] < LOW_WORD_PROBABILITY)],
        }
        speaker = event.get("speaker")
        out.append(CaptionRow(seg, event.get("start"), event.get("end"), event.get("text", ""), event.get("lang"),
                           tuple(event.get("flags") or ()), evidence, translated.get(seg, {}),
                           (labels or {}).get(speaker, speaker) if speaker else None))
    return sorted(out, key=lambda c: (c.start is None, c.start or 0.0, c.seg))


def render_html(data: SessionData) -> str:
    events = data.events
    caps = captions(events, data.speaker_labels)
    langs = sorted({lang for c in caps for lang in c.translations})
    sections = [
        _header(data, caps, langs),
        _timeline_svg(caps) if not any(c.speaker for c in caps) else _speaker_timeline(caps),
        _caption_table(caps, langs),
        _latency_section(events),
        _parameters(events),
        _suspects(caps),
        _dead_letters(data.dead_letters),
        *([_comparison(data.comparison)] if data.comparison else []),
    ]
    return _PAGE.format(title=_e(f"lt session {data.session}"), body="\n".join(sections))


def _header(data: SessionData, caps: list[CaptionRow], langs: list[str]) -> str:
    starts = [e for e in data.events if e.get("type") == "session" and e.get("kind") == "start"]
    first_stamp = min((min(e["t"].values()) for e in data.events if e.get("t")), default=None)
    started = dt.datetime.fromtimestamp(first_stamp, dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC") if first_stamp else "–"
    ends = [c.end for c in caps if c.end is not None]
    source = next((s.get("source") for s in starts if s.get("source")), None)
    total = next((s for s in summarize(data.events) if s.hop == TOTAL), None)
    stable = stable_words(data.events)
    cards = [
        ("started", started),
        ("source", source or "–"),
        ("audio", _clock(max(ends)) if ends else "–"),
        ("finals", len(caps)),
        ("speakers", len({c.speaker for c in caps if c.speaker}) or "–"),
        ("languages", ", ".join(sorted({c.lang for c in caps if c.lang} | set(langs))) or "–"),
        ("suspect segments", sum(1 for c in caps if c.flags)),
        ("dead letters", len(data.dead_letters)),
        ("word end → stable caption, p50", f"{percentile(stable, 50):.2f} s" if stable else "–"),
        ("word end → last stage, p50", f"{total.p50:.2f} s" if total else "–"),
    ]
    items = "".join(f'<div class="card"><div class="k">{_e(k)}</div><div class="v">{_e(v)}</div></div>' for k, v in cards)
    return f'<h1>Session <code>{_e(data.session)}</code></h1>\n<section id="summary" class="cards">{items}</section>'


def _timeline_svg(caps: list[CaptionRow]) -> str:
    timed = [c for c in caps if c.start is not None and c.end is not None]
    if not timed:
        return '<section id="timeline"><h2>Timeline</h2><p class="muted">No timed captions.</p></section>'
    width, height, span = 1000, 56, max(c.end for c in timed) or 1.0
    blocks = []
    for c in timed:
        x, w = 10 + 980 * c.start / span, max(2.0, 980 * (c.end - c.start) / span)
        colour = "#dc2626" if c.flags else "#2563eb"
        blocks.append(
            f'<rect x="{x:.1f}" y="8" width="{w:.1f}" height="26" rx="3" fill="{colour}" opacity="0.8">'
            f"<title>{_e(_clock(c.start))} {_e(c.text)}</title></rect>"
        )
    ticks = "".join(
        f'<text x="{10 + 980 * i / 5:.1f}" y="50" font-size="11" fill="#6b7280" '
        f'text-anchor="{("start", "middle", "middle", "middle", "middle", "end")[i]}">{_e(_clock(span * i / 5))}</text>'
        for i in range(6)
    )
    return (
        f'<section id="timeline"><h2>Timeline</h2><svg class="timeline" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="captions over audio time">{"".join(blocks)}{ticks}</svg>'
        '<p class="muted">Each block is a final caption at its audio time; red ones are flagged as suspect.</p></section>'
    )


def _speaker_timeline(caps: list[CaptionRow]) -> str:
    """One lane per speaker, a block per turn, coloured by speaker; the legend gives talk time."""
    timed = [c for c in caps if c.start is not None and c.end is not None]
    order = list(dict.fromkeys(c.speaker or "?" for c in timed))
    if not timed:
        return _timeline_svg(caps)
    lane, label_width, width = 30, 110, 1000
    span = max(c.end for c in timed) or 1.0
    scale = (width - label_width - 10) / span
    talk = {name: sum(c.end - c.start for c in timed if (c.speaker or "?") == name) for name in order}
    parts = []
    for i, name in enumerate(order):
        colour = SPEAKER_COLOURS[i % len(SPEAKER_COLOURS)]
        y = 8 + i * lane
        parts.append(
            f'<text x="4" y="{y + 17}" font-size="12" fill="{colour}">{_e(name[:14])} {_e(_clock(talk[name]))}</text>'
        )
        for c in (c for c in timed if (c.speaker or "?") == name):
            x, w = label_width + scale * c.start, max(2.0, scale * (c.end - c.start))
            stroke = ' stroke="#dc2626" stroke-width="2"' if c.flags else ""
            parts.append(
                f'<rect class="turn" data-speaker="{_e(name)}" x="{x:.1f}" y="{y}" width="{w:.1f}" height="22" rx="3" '
                f'fill="{colour}" opacity="0.85"{stroke}><title>{_e(name)} {_e(_clock(c.start))} {_e(c.text)}</title></rect>'
            )
    height = 8 + len(order) * lane + 16
    ticks = "".join(
        f'<text x="{label_width + (width - label_width - 10) * i / 5:.1f}" y="{height - 4}" font-size="11" fill="#6b7280" '
        f'text-anchor="{("start", "middle", "middle", "middle", "middle", "end")[i]}">{_e(_clock(span * i / 5))}</text>'
        for i in range(6)
    )
    return (
        f'<section id="timeline"><h2>Timeline</h2><svg class="timeline" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="speaker turns over audio time">{"".join(parts)}{ticks}</svg>'
        '<p class="muted">One lane per speaker (with their talk time); each block is a final caption at its audio '
        "time; outlined in red when flagged as suspect.</p></section>"
    )


def _caption_table(caps: list[CaptionRow], langs: list[str]) -> str:
    head = "".join(f"<th>{_e(lang)}</th>" for lang in langs)
    speakers = any(c.speaker for c in caps)
    colours = {name: SPEAKER_COLOURS[i % len(SPEAKER_COLOURS)] for i, name in enumerate(dict.fromkeys(c.speaker for c in caps if c.speaker))}
    rows = []
    for c in caps:
        cells = "".join(f"<td lang=\"{_e(lang)}\">{_e(c.translations.get(lang, ''))}</td>" for lang in langs)
        flags = "".join(f'<span class="flag">{_e(f)}</span>' for f in c.flags)
        who = f'<td class="speaker" style="color:{colours.get(c.speaker, "#6b7280")}">{_e(c.speaker or "–")}</td>' if speakers else ""
        rows.append(
            f'<tr class="{"suspect" if c.flags else ""}"><td class="time">{_clock(c.start)}–{_clock(c.end)}</td>{who}'
            f'<td lang="{_e(c.lang)}">{_e(c.text)} {flags}</td>{cells}</tr>'
        )
    who_head = "<th>speaker</th>" if speakers else ""
    return (
        f'<section id="captions"><h2>Captions</h2><table><thead><tr><th>time</th>{who_head}<th>original</th>{head}</tr></thead>'
        f'<tbody>{"".join(rows)}</tbody></table></section>'
    )


def _latency_section(events: list[Mapping[str, Any]]) -> str:
    summary = summarize(events)
    if not summary:
        return '<section id="latency"><h2>Latency</h2><p class="muted">No stage stamps in this session.</p></section>'
    rows = "".join(
        f"<tr><td>{_e(_hop_label(s.hop))}</td><td>{s.count}</td><td>{s.p50:.2f}</td><td>{s.p95:.2f}</td><td>{s.max:.2f}</td></tr>"
        for s in summary
    )
    if stable := stable_words(events):
        rows += (
            f"<tr><td>word end → stable caption</td><td>{len(stable)}</td><td>{percentile(stable, 50):.2f}</td>"
            f"<td>{percentile(stable, 95):.2f}</td><td>{max(stable):.2f}</td></tr>"
        )
    return (
        '<section id="latency"><h2>Latency per stage</h2>'
        f"{_latency_plot(events)}"
        '<table class="narrow"><thead><tr><th>hop</th><th>n</th><th>p50 s</th><th>p95 s</th><th>max s</th></tr></thead>'
        f"<tbody>{rows}</tbody></table>"
        '<p class="muted">Each hop runs from the previous stage that stamped a final to this one; '
        "the total runs from the end of the caption's last word in the audio to the last stage; "
        "word end → stable caption, per word, to the first caption that showed it stable (a partial's "
        "stable words or its final) at its last stage.</p></section>"
    )


def _hop_label(hop: str) -> str:
    if hop == TOTAL:
        return "total (word end → last stage)"
    before = STAGES[STAGES.index(hop) - 1]
    return f"{before} → {hop}"


def _latency_plot(events: list[Mapping[str, Any]]) -> str:
    series: dict[str, list[tuple[float, float]]] = {}
    for event in caption_paths(events):
        if event.get("end") is None:
            continue
        for hop, seconds in hops(event.get("t") or {}).items():
            series.setdefault(hop, []).append((event["end"], seconds))
    points = [p for values in series.values() for p in values]
    if not points:
        return ""
    width, height, pad = 1000, 260, 40
    x_max = max(x for x, _ in points) or 1.0
    y_max = max(max(y for _, y in points), 0.5) * 1.1
    y_min = min(0.0, min(y for _, y in points))

    def xy(x: float, y: float) -> str:
        return f"{pad + (width - 2 * pad) * x / x_max:.1f},{height - pad - (height - 2 * pad) * (y - y_min) / (y_max - y_min):.1f}"

    lines, legend = [], []
    for i, (hop, values) in enumerate(sorted(series.items(), key=lambda kv: [*STAGES, TOTAL].index(kv[0]))):
        colour = HOP_COLOURS.get(hop, "#6b7280")
        path = " ".join(xy(x, y) for x, y in sorted(values))
        lines.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{path}"/>')
        lines.extend(f'<circle cx="{xy(x, y).split(",")[0]}" cy="{xy(x, y).split(",")[1]}" r="2.5" fill="{colour}"/>' for x, y in values)
        legend.append(f'<text x="{pad + 10 + 190 * i}" y="20" font-size="12" fill="{colour}">■ {_e(_hop_label(hop))}</text>')
    grid = "".join(
        f'<line x1="{pad}" x2="{width - pad}" y1="{xy(0, y).split(",")[1]}" y2="{xy(0, y).split(",")[1]}" stroke="#e5e7eb"/>'
        f'<text x="4" y="{float(xy(0, y).split(",")[1]) + 4:.1f}" font-size="11" fill="#6b7280">{y:.1f}s</text>'
        for y in [y_min + (y_max - y_min) * i / 4 for i in range(5)]
    )
    axis = f'<text x="{width / 2}" y="{height - 8}" font-size="11" fill="#6b7280" text-anchor="middle">audio time (s), 0 – {x_max:.0f}</text>'
    return (
        f'<svg class="plot" viewBox="0 0 {width} {height}" role="img" aria-label="latency per stage over audio time">'
        f"{grid}{''.join(lines)}{''.join(legend)}{axis}</svg>"
    )


def _parameters(events: list[Mapping[str, Any]]) -> str:
    rows = []
    for event in events:
        if event.get("type") != "session":
            continue
        params = ", ".join(f"{k}={_param(v)}" for k, v in sorted((event.get("params") or {}).items()))
        stats = ", ".join(f"{k}={_param(v)}" for k, v in sorted((event.get("stats") or {}).items()))
        rows.append(
            f"<tr><td>{_e(event.get('stage'))}</td><td>{_e(event.get('kind'))}</td><td>{_e(event.get('model'))}</td>"
            f"<td>{_e(event.get('language'))}</td><td class=\"mono\">{_e(params or stats)}</td></tr>"
        )
    # The translate stage writes no session events: its engines and models are named on each translation.
    for (source, target, engine, model), count in sorted(_translators(events).items(), key=lambda kv: tuple(map(str, kv[0]))):
        rows.append(
            f"<tr><td>translate</td><td>{count} finals</td><td>{_e(model or engine)}</td>"
            f"<td>{_e(source or '?')} → {_e(target)}</td><td class=\"mono\">engine={_e(engine)}</td></tr>"
        )
    body = "".join(rows) or '<tr><td colspan="5" class="muted">No session events were stored.</td></tr>'
    return (
        '<section id="parameters"><h2>Models and parameters</h2><table><thead><tr><th>stage</th><th>event</th>'
        f"<th>model</th><th>language</th><th>parameters / totals</th></tr></thead><tbody>{body}</tbody></table></section>"
    )


def _translators(events: list[Mapping[str, Any]]) -> Counter:
    """Final translations per (source language, target language, engine, model)."""
    return Counter(
        (e.get("source_lang"), e.get("target_lang"), e.get("engine"), e.get("model"))
        for e in events if e.get("type") == "translation" and e.get("final")
    )


def _param(value: Any) -> Any:
    """Measured floats to the millisecond (wall_seconds=44.031, not 44.03119589400001)."""
    if isinstance(value, float) and value and abs(value) < 0.01:
        return f"{value:.2g}"
    return f"{value:.3f}".rstrip("0").rstrip(".") if isinstance(value, float) else value


def _suspects(caps: list[CaptionRow]) -> str:
    flagged = [c for c in caps if c.flags]
    if not flagged:
        return '<section id="suspects"><h2>Suspect segments</h2><p class="muted">None flagged.</p></section>'
    rows = "".join(
        f"<tr><td class=\"time\">{_clock(c.start)}</td><td>{_e(c.text)}</td><td>{_e(', '.join(c.flags))}</td>"
        f"<td>{_fmt(c.evidence['confidence'])}</td><td>{_fmt(c.evidence['no_speech_prob'])}</td>"
        f"<td>{_e(' '.join(c.evidence['low_words']))}</td></tr>"
        for c in flagged
    )
    return (
        '<section id="suspects"><h2>Suspect segments</h2><table><thead><tr><th>time</th><th>text</th><th>flags</th>'
        f"<th>confidence</th><th>no-speech prob.</th><th>words under p={LOW_WORD_PROBABILITY}</th></tr></thead>"
        f"<tbody>{rows}</tbody></table></section>"
    )


def _fmt(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def _dead_letters(letters: list[Mapping[str, Any]]) -> str:
    if not letters:
        return '<section id="dead-letters"><h2>Dead letters</h2><p class="muted">None: every input line was stored.</p></section>'
    rows = "".join(
        f"<tr><td>{_e(d.get('line'))}</td><td>{_e(d.get('error'))}</td><td class=\"mono\">{_e((d.get('raw') or '')[:300])}</td></tr>"
        for d in letters
    )
    return (
        '<section id="dead-letters"><h2>Dead letters</h2><table><thead><tr><th>line</th><th>error</th><th>raw input</th>'
        f"</tr></thead><tbody>{rows}</tbody></table></section>"
    )


def _comparison(c: Mapping[str, Any]) -> str:
    from lt.compare import side_by_side

    wer = "–" if c["wer"] is None else f"{c['wer']:.1%}"
    e = c["errors"]
    rows = "".join(f"<tr><td>{_e(k)}</td><td>{_e(a)}</td><td>{_e(b)}</td></tr>" for k, a, b in side_by_side(c))
    diffs = "".join(f"<tr><td>{_e(d['a'] or '–')}</td><td>{_e(d['b'] or '–')}</td></tr>" for d in c["differences"])
    more = c["differences_total"] - len(c["differences"])
    return (
        f'<section id="compare"><h2>Compared with <code>{_e(c["b"]["session"])}</code></h2>'
        f'<p><b>WER {wer}</b> of that session against this one: {e["substitutions"]} substitutions, '
        f'{e["deletions"]} deletions, {e["insertions"]} insertions over {e["reference_words"]} words.</p>'
        f'<table><thead><tr><th></th><th>this session</th><th>{_e(c["b"]["session"])}</th></tr></thead><tbody>{rows}</tbody></table>'
        + (f'<h3>Where they differ</h3><table><thead><tr><th>this session</th><th>the other</th></tr></thead><tbody>{diffs}</tbody></table>' if diffs else '<p class="muted">The transcripts agree word for word.</p>')
        + (f'<p class="muted">… and {more} more differences.</p>' if more > 0 else "")
        + "</section>"
    )


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body {{ font: 15px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; color: #111827; padding: 0 1rem; }}
h1 {{ font-size: 1.5rem; }} h2 {{ font-size: 1.15rem; margin-top: 2rem; border-bottom: 1px solid #e5e7eb; }}
code, .mono {{ font-family: ui-monospace, monospace; font-size: 0.9em; }}
.cards {{ display: grid; grid-template-columns: repeat(4, 1fr); gap: .6rem; }}
.card {{ background: #f3f4f6; border-radius: 8px; padding: .6rem .8rem; }}
.card .k {{ color: #6b7280; font-size: .8rem; }} .card .v {{ font-size: 1.05rem; font-weight: 600; word-break: break-all; }}
table {{ border-collapse: collapse; width: 100%; }} table.narrow {{ width: auto; }}
th, td {{ text-align: left; vertical-align: top; padding: .3rem .5rem; border-bottom: 1px solid #f3f4f6; }}
th {{ background: #f9fafb; font-weight: 600; }} td.time {{ white-space: nowrap; color: #6b7280; font-variant-numeric: tabular-nums; }}
tr.suspect td {{ background: #fef2f2; }} .flag {{ background: #dc2626; color: white; border-radius: 4px; padding: 0 .3rem; font-size: .75rem; }}
svg {{ width: 100%; height: auto; background: #fff; }} .muted {{ color: #6b7280; }}
</style></head>
<body>
{body}
<footer class="muted"><p>Made by <code>lt report</code>.</p></footer>
</body></html>
"""
