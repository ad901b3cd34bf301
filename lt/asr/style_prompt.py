"""The prompt a decode gets when no earlier text in its language can prompt it.

Whisper writes in the style of the text before it. With nothing before it, an
utterance's first decodes sometimes come out unpunctuated and uncased, and in
streaming that style then carries on: those words are committed and forced
into every later decode, which continues them in the same style, so a whole
session could come out as one run of words with no sentence ends (and finals
cut only by the length limit). A short punctuated line in the utterance's
language sets the style from the first decode that knows the language (with
`--language auto`, the second of a session: the first detects it). It is context only: the
decoder never writes it, and it gives way to the session's own text as soon
as there is some.

That text carries its style on in the same way: a sentence Whisper started in
lower case ("ask what you can do for your country.") makes the next ones
lower case and then unpunctuated. So the earlier text is prompted in plain sentence
case: each sentence's first letter capitalised, and a sentence mostly in
capitals ("ASK WHAT YOU CAN DO FOR YOUR country.", Whisper's shouting) in
lower case, while an acronym among lower-case words stays. Sentence ends are
the caption vocabulary's (lt.captions), so "Mr. John" is one sentence.
"""

from __future__ import annotations

from lt.captions import sentences

SHOUTED_WORDS = 3  # a sentence this long or longer, at least half of it in capitals, is shouted

STYLE_PROMPTS = {
    "en": "Well, let's begin.",
    "es": "Bueno, empecemos.",
    "pt": "Bem, vamos começar.",
    "fr": "Bon, commençons.",
    "de": "Also, fangen wir an.",
    "it": "Bene, cominciamo.",
    "nl": "Goed, laten we beginnen.",
}


def style_prompt(language: str | None) -> str:
    """The style line for `language`; none for a language without one, or one not known yet."""
    return STYLE_PROMPTS.get(language or "", "")


def in_style(text: str) -> str:
    """Earlier text in sentence case: shouted sentences lowered, and a capital letter after every
    sentence end (the text's own start may be a cut-off word, so it is left as it is)."""
    runs = [_unshouted(run) for run in sentences(text.split())]
    return " ".join(word for i, run in enumerate(runs) for word in (run if i == 0 else _capitalised(run)))


def _unshouted(sentence: list[str]) -> list[str]:
    shouted = [w for w in sentence if w.isupper() and sum(c.isalpha() for c in w) > 1]
    if len(sentence) >= SHOUTED_WORDS and 2 * len(shouted) >= len(sentence):
        return [w.lower() for w in sentence]
    return sentence


def _capitalised(sentence: list[str]) -> list[str]:
    first = sentence[0]
    return [first[:1].upper() + first[1:], *sentence[1:]]
