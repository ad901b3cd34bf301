"""espeak-ng, the formant synthesiser that speaks nearly every language: robotic, always there.

It runs as the `espeak-ng` program (Debian package `espeak-ng`), one process per
caption, reading the text on stdin and writing WAV on stdout.
"""

from __future__ import annotations

import functools
import io
import logging
import re
import shutil
import subprocess

import numpy as np

from lt.pcm import Resampler
from lt.errors import LtError

log = logging.getLogger("lt.speak")

PROGRAM = "espeak-ng"
TIMEOUT = 60.0  # seconds for one caption; espeak-ng needs milliseconds
INSTALL_HINT = "install it (Debian/Ubuntu: apt-get install espeak-ng)"


def espeak_program() -> str | None:
    return shutil.which(PROGRAM)


@functools.cache
def espeak_voices() -> frozenset[str]:
    """Every language code and alias espeak-ng answers to (`pt`, `pt-br`, `en-us`, `zh`...), lower case."""
    program = espeak_program()
    if program is None:
        return frozenset()
    listing = subprocess.run([program, "--voices"], capture_output=True, text=True, timeout=TIMEOUT).stdout
    codes: set[str] = set()
    for line in listing.splitlines()[1:]:
        fields = line.split()
        if len(fields) >= 2:
            codes.add(fields[1].lower())
            codes.update(alias.lower() for alias in re.findall(r"\(([^\s()]+) \d+\)", line))
    return frozenset(codes)


# Brazilian rather than European Portuguese: most speakers, the variety lt's bundled translation
# engine writes, and the one Whisper base reads back better (the example's 10 translations spoken
# caption by caption: WER 0.70 against 0.83).
_PREFERRED = {"pt": "pt-br"}


def espeak_voice_for(lang: str) -> str | None:
    """The espeak-ng voice for a language code: the code itself, else its first regional variant."""
    voices = espeak_voices()
    code = lang.lower().replace("_", "-")
    if _PREFERRED.get(code) in voices:
        return _PREFERRED[code]
    if code in voices:
        return code
    family = code.split("-")[0]
    if family in voices:
        return family
    variants = sorted(v for v in voices if v.split("-")[0] == family)
    return variants[0] if variants else None


class EspeakSynthesizer:
    engine = "espeak-ng"

    def __init__(self, voice: str, lang: str):
        program = espeak_program()
        if program is None:
            raise LtError(f"{PROGRAM} is not installed", hint=INSTALL_HINT)
        self.program = program
        self.voice = voice
        self.lang = lang

    def synthesize(self, text: str) -> np.ndarray:
        import soundfile as sf

        # Text on stdin, not argv: a caption starting with "-" must not be read as an option.
        try:
            done = subprocess.run(
                [self.program, "-v", self.voice, "-b", "1", "--stdin", "--stdout"],
                input=text.encode(), capture_output=True, timeout=TIMEOUT,
            )
        except subprocess.TimeoutExpired:
            raise LtError(f"{PROGRAM} took more than {TIMEOUT:.0f} s for one caption") from None
        if done.returncode != 0 or not done.stdout:
            reason = done.stderr.decode(errors="replace").strip().splitlines()
            raise LtError(f"{PROGRAM} failed (exit {done.returncode}): {reason[0] if reason else 'no audio'}")
        audio, rate = sf.read(io.BytesIO(done.stdout), dtype="float32", always_2d=True)
        return Resampler(rate)(audio.mean(axis=1), last=True)
