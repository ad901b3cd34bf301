"""The engine for a language (`--engine auto`): a Piper voice if there is one, else espeak-ng.

Everything here runs before the first input line is read, so a language nothing
can speak fails at once with one line that says what to install.
"""

from __future__ import annotations

import logging
from pathlib import Path

from lt.errors import LtError
from lt.tts.engine import EngineKind, Synthesizer
from lt.tts.espeak import INSTALL_HINT, EspeakSynthesizer, espeak_program, espeak_voice_for, espeak_voices
from lt.tts.voices import PiperVoiceFiles, find_piper_voice, named_voice, tts_models_dir, voice_at

log = logging.getLogger("lt.speak")


def choose_engine(lang: str, kind: EngineKind = EngineKind.auto, voice: str | None = None) -> Synthesizer:
    if voice:
        return _chosen_voice(lang, kind, voice)
    if kind is not EngineKind.espeak:
        files = find_piper_voice(lang)
        if files is not None:
            return _piper(files, lang)
        if kind is EngineKind.piper:
            raise LtError(f"no Piper voice for language {lang!r}", hint=_piper_hint(lang))
    espeak_voice = espeak_voice_for(lang)
    if espeak_voice is not None:
        return EspeakSynthesizer(espeak_voice, lang)
    raise _nothing_speaks(lang, kind)


def _chosen_voice(lang: str, kind: EngineKind, voice: str) -> Synthesizer:
    if kind is not EngineKind.espeak:
        files = _piper_voice_named(voice)
        if files is not None:
            if files.lang and files.lang != lang:
                log.warning("the voice %s speaks %r, not %r as --lang says", files.name, files.lang, lang)
            return _piper(files, lang)
    if kind is not EngineKind.piper and voice.lower() in espeak_voices():
        return EspeakSynthesizer(voice.lower(), lang)
    raise LtError(
        f"no voice {voice!r}: not a Piper .onnx file, not installed under {tts_models_dir()}"
        + ("" if kind is EngineKind.piper else ", not an espeak-ng voice"),
        hint="give the path of a Piper voice's .onnx file, an installed voice's name, or an espeak-ng voice (espeak-ng --voices)",
    )


def _piper_voice_named(voice: str) -> PiperVoiceFiles | None:
    path = Path(voice).expanduser()
    if path.exists() or voice.endswith(".onnx") or "/" in voice:
        return voice_at(path)
    return named_voice(voice)


def _piper(files: PiperVoiceFiles, lang: str) -> Synthesizer:
    from lt.tts.piper import PiperSynthesizer

    return PiperSynthesizer(files, lang)


def _piper_hint(lang: str, espeak: bool = True) -> str:
    return (
        f"install a Piper voice for {lang!r} into {tts_models_dir()}/NAME/ (NAME.onnx and NAME.onnx.json) "
        "or pass --voice PATH.onnx" + (", or use --engine espeak-ng" if espeak else "")
    )


def _nothing_speaks(lang: str, kind: EngineKind) -> LtError:
    if espeak_program() is None:
        why = "no Piper voice is installed for it and espeak-ng is not installed"
        if kind is EngineKind.espeak:
            return LtError(f"cannot speak {lang!r}: espeak-ng is not installed", hint=INSTALL_HINT)
        return LtError(f"cannot speak {lang!r}: {why}", hint=f"{INSTALL_HINT}, or {_piper_hint(lang, espeak=False)}")
    return LtError(f"cannot speak {lang!r}: neither a Piper voice nor espeak-ng knows it", hint=_piper_hint(lang, espeak=False))
