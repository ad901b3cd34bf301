"""Which language an utterance is in: Whisper's detection, held steady across a session.

Whisper detects a language from the audio it is given; on a short segment it
can be confidently wrong (a second of English taken for Latin). So:

- within an utterance, every detection adds to the evidence, and the language
  is the one most probable on average over them, not the latest guess;
- a different language from the session's current one is taken only when the
  evidence is sure of it (`switch_prob`), or when the previous utterance
  favoured it too (`confirm_prob`);
- before the session has a language, nothing is committed until the
  utterance has `first_speech` seconds of speech to detect it from;
- `candidates` restricts detection to a set of languages (`--languages
  en,pt`): Whisper's probabilities over that subset alone, renormalised.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class LanguageSettings:
    fixed: str | None = None  # --language: no detection at all
    candidates: tuple[str, ...] = ()  # --languages: detect among these only
    switch_prob: float = 0.9  # one utterance this sure of another language switches the session
    confirm_prob: float = 0.5  # two utterances in a row this sure of it switch it too
    first_speech: float = 1.0  # seconds of speech needed to settle the session's first language


class LanguageTracker:
    def __init__(self, settings: LanguageSettings = LanguageSettings()):
        self.settings = settings
        self.current: str | None = settings.fixed  # the session's language
        self.utterance: str | None = settings.fixed  # pinned once the utterance has committed words
        self.utterance_prob: float | None = 1.0 if settings.fixed else None
        self._evidence: dict[str, float] = {}  # this utterance's detections, summed
        self._detections = 0
        self._seen: str | None = None  # what this utterance's evidence favours
        self._previous: str | None = None  # what the last utterance's evidence favoured

    @property
    def pinned(self) -> str | None:
        return self.utterance

    def settled(self, speech_seconds: float) -> bool:
        """May words be committed in the language chosen now?"""
        return self.utterance is not None or self.current is not None or speech_seconds >= self.settings.first_speech

    def choose(self, probs: Mapping[str, float]) -> tuple[str, float]:
        """The language to decode in, from Whisper's detected probabilities."""
        self._detections += 1
        for lang, p in self._restricted(probs).items():
            self._evidence[lang] = self._evidence.get(lang, 0.0) + p
        probs = {lang: total / self._detections for lang, total in self._evidence.items()}
        best, p = max(probs.items(), key=lambda kv: kv[1])
        self._seen = best
        if self.current is None or best == self.current:
            return best, p
        s = self.settings
        if p >= s.switch_prob or (self._previous == best and p >= s.confirm_prob):
            return best, p
        return self.current, probs.get(self.current, 0.0)

    def pin(self, language: str | None, prob: float | None) -> None:
        """The utterance has committed words in `language`: it stays in it until it ends."""
        if self.utterance is None and language is not None:
            self.utterance, self.utterance_prob = language, prob
            self.current = language

    def end_utterance(self) -> None:
        self._previous = self._seen
        self._seen = None
        self._evidence, self._detections = {}, 0
        if self.settings.fixed is None:
            self.utterance, self.utterance_prob = None, None

    def _restricted(self, probs: Mapping[str, float]) -> dict[str, float]:
        wanted = self.settings.candidates
        if not wanted:
            return dict(probs)
        subset = {lang: probs.get(lang, 0.0) for lang in wanted}
        total = sum(subset.values())
        return {lang: (p / total if total > 0 else 1 / len(subset)) for lang, p in subset.items()}
