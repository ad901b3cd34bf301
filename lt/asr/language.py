"""Which language an utterance is in: Whisper's detection, held steady across a session.

Whisper detects a language from the audio it is given; on a short segment it
can be confidently wrong (a second of English taken for Latin). So:

- within an utterance, each decode hears all of it so far, so the latest
  detection, made on the most audio, is the evidence;
- a different language from the session's current one is taken only when the
  evidence is sure of it (`switch_prob`), or likely (`confirm_prob`) and
  either favoured by the previous utterance too or far likelier than the
  session's language (`dominance`): Spanish at 0.87 against English at 0.10
  switches, Latin at 0.6 against English at 0.3 does not;
- before the session has a language, or when an utterance's detection leans
  to another one, nothing is committed until the detection is fairly sure
  with `first_speech` seconds of speech, or has had `undecided` seconds;
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
    confirm_prob: float = 0.5  # two utterances in a row this sure of it switch it too, or one
    dominance: float = 5.0  # ... that finds it this many times likelier than the session's language
    first_speech: float = 1.0  # seconds of speech needed to settle a new language
    undecided: float = 3.0  # ... and after this many, the detection is taken however unsure
    agree_prob: float = 0.3  # a detection of the session's language this sure settles at once


class LanguageTracker:
    def __init__(self, settings: LanguageSettings = LanguageSettings()):
        self.settings = settings
        self.current: str | None = settings.fixed  # the session's language
        self.utterance: str | None = settings.fixed  # pinned once the utterance has committed words
        self.utterance_prob: float | None = 1.0 if settings.fixed else None
        self._seen: str | None = None  # what this utterance's evidence favours
        self._seen_prob = 0.0
        self._previous: str | None = None  # what the last utterance's evidence favoured

    @property
    def pinned(self) -> str | None:
        return self.utterance

    @property
    def leaning(self) -> str | None:
        """The language this utterance's evidence favours so far (None before any detection)."""
        return self.utterance or self._seen

    def settled(self, speech_seconds: float) -> bool:
        """May words be committed in the language chosen now? At once when the detection agrees with
        the session's language; else (a new session, or perhaps a new language) once the utterance
        has `first_speech` seconds of speech and the detection is fairly sure, or `undecided` seconds
        whatever it says."""
        if self.utterance is not None:
            return True
        if self.current is not None and (self._seen is None or (self._seen == self.current and self._seen_prob >= self.settings.agree_prob)):
            return True
        if speech_seconds >= self.settings.undecided:
            return True
        return speech_seconds >= self.settings.first_speech and self._seen_prob >= self.settings.confirm_prob

    def choose(self, probs: Mapping[str, float]) -> tuple[str, float]:
        """The language to decode in, from Whisper's detected probabilities."""
        probs = self._restricted(probs)
        best, p = max(probs.items(), key=lambda kv: kv[1])
        self._seen, self._seen_prob = best, p
        if self.current is None or best == self.current:
            return best, p
        s = self.settings
        current = probs.get(self.current, 0.0)
        if p >= s.switch_prob or (p >= s.confirm_prob and (self._previous == best or p >= s.dominance * current)):
            return best, p
        return self.current, probs.get(self.current, 0.0)

    def pin(self, language: str | None, prob: float | None) -> None:
        """The utterance has committed words in `language`: it stays in it until it ends."""
        if self.utterance is None and language is not None:
            self.utterance, self.utterance_prob = language, prob
            self.current = language

    def end_utterance(self) -> None:
        self._previous = self._seen
        self._seen, self._seen_prob = None, 0.0
        if self.settings.fixed is None:
            self.utterance, self.utterance_prob = None, None

    def _restricted(self, probs: Mapping[str, float]) -> dict[str, float]:
        wanted = self.settings.candidates
        if not wanted:
            return dict(probs)
        subset = {lang: probs.get(lang, 0.0) for lang in wanted}
        total = sum(subset.values())
        return {lang: (p / total if total > 0 else 1 / len(subset)) for lang, p in subset.items()}
