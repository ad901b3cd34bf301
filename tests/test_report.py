"""The session report renders in a real headless Chromium."""

import shutil
import subprocess

import pytest

from lt.report import SessionData, render_html

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (scripts/system-deps.sh installs it)")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def sample_session() -> SessionData:
    t0 = 1795453501.0
    events = [{"type": "session", "session": "r1", "kind": "start", "stage": "transcribe", "model": "base",
               "language": "auto", "source": "meeting.wav", "params": {"mode": "stream"}, "t": {"transcribe": t0}}]
    for seg in range(6):
        start, end = seg * 4.0, seg * 4.0 + 3.0
        t = {"capture": t0 + end, "transcribe": t0 + end + 1.5}
        events.append({"type": "transcript", "session": "r1", "final": True, "seg": seg, "start": start, "end": end,
                       "text": f"budget item {seg} <script>alert(1)</script>", "lang": "en",
                       "flags": ["suspect_hallucination"] if seg == 2 else [], "confidence": 0.4,
                       "no_speech_prob": 0.7, "words": [{"w": "budget", "start": start, "end": end, "p": 0.2}], "t": t})
        events.append({"type": "translation", "session": "r1", "final": True, "seg": seg, "target_lang": "pt",
                       "text": f"orçamento item {seg}", "start": start, "end": end,
                       "t": {**t, "translate": t["transcribe"] + 0.3, "store": t["transcribe"] + 0.6, "frame": t["transcribe"] + 0.7}})
    letters = [{"line": 9, "error": "input line 9: not valid JSON", "raw": "{broken", "source": "stdin"}]
    return SessionData("r1", events, letters)


def test_report_holds_every_section_and_escapes_text():
    page = render_html(sample_session())
    for anchor in ('id="summary"', 'id="timeline"', 'id="captions"', 'id="latency"', 'id="parameters"',
                   'id="suspects"', 'id="dead-letters"', "<svg"):
        assert anchor in page
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "orçamento item 5" in page and "suspect_hallucination" in page and "{broken" in page
    assert "http://" not in page and "https://" not in page, "the page must not load anything from a network"


def test_report_names_the_translation_engine_and_rounds_measured_totals():
    data = sample_session()
    data.events.append({"type": "session", "session": "r1", "kind": "end", "stage": "transcribe", "model": "base",
                        "stats": {"wall_seconds": 44.03119589400001, "audio_seconds": 45.059}, "t": {}})
    for event in data.events:
        if event["type"] == "translation":
            event.update(source_lang="en", engine="bergamot", model="bergamot/en-pt-tiny")
    section = render_html(data).split('id="parameters"', 1)[1].split("</section>", 1)[0]
    assert "audio_seconds=45.059, wall_seconds=44.031<" in section
    assert "<td>translate</td><td>6 finals</td><td>bergamot/en-pt-tiny</td><td>en → pt</td>" in section
    assert "engine=bergamot" in section


def test_report_of_an_empty_session_still_renders():
    page = render_html(SessionData("empty", [], []))
    assert "No timed captions" in page and "No stage stamps" in page


@needs_chromium
def test_report_renders_in_headless_chromium(tmp_path):
    page = tmp_path / "report.html"
    page.write_text(render_html(sample_session()), encoding="utf-8")
    shot = tmp_path / "shot.png"
    common = [CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}"]
    subprocess.run([*common, f"--screenshot={shot}", "--window-size=1200,2000", page.as_uri()],
                   capture_output=True, timeout=120, check=True)
    assert shot.stat().st_size > 20_000, "the screenshot is (nearly) blank"
    dom = subprocess.run([*common, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120, check=True).stdout
    for text in ("Session", "Latency per stage", "capture → transcribe", "Suspect segments", "Dead letters", "orçamento item 3"):
        assert text in dom
    assert dom.count("<rect") == 6 and "<polyline" in dom
