"""Whisper in CTranslate2 format: the conversions faster-whisper itself downloads.

The names and repositories are faster-whisper 1.2.1's own table
(`faster_whisper.utils._MODELS`). Files are served by the Hugging Face Hub,
which publishes the sha256 of every large file: the download checks each
against the `X-Linked-Etag` the Hub sends with it. Sizes are estimates
(model.bin of the float16 conversion), shown before a download starts.
"""

from __future__ import annotations

from lt.catalog.entries import Entry, RemoteFile
from lt.mt.languages import NAMES

HUB = "https://huggingface.co"
MB = 1_000_000

# name (the `lt transcribe --model` value), repository, approximate download size, English only
_MODELS = (
    ("tiny", "Systran/faster-whisper-tiny", 75 * MB, False),
    ("tiny.en", "Systran/faster-whisper-tiny.en", 75 * MB, True),
    ("base", "Systran/faster-whisper-base", 145 * MB, False),
    ("base.en", "Systran/faster-whisper-base.en", 145 * MB, True),
    ("small", "Systran/faster-whisper-small", 484 * MB, False),
    ("small.en", "Systran/faster-whisper-small.en", 484 * MB, True),
    ("medium", "Systran/faster-whisper-medium", 1530 * MB, False),
    ("medium.en", "Systran/faster-whisper-medium.en", 1530 * MB, True),
    ("large-v1", "Systran/faster-whisper-large-v1", 3090 * MB, False),
    ("large-v2", "Systran/faster-whisper-large-v2", 3090 * MB, False),
    ("large-v3", "Systran/faster-whisper-large-v3", 3090 * MB, False),
    ("large-v3-turbo", "mobiuslabsgmbh/faster-whisper-large-v3-turbo", 1620 * MB, False),
    ("distil-small.en", "Systran/faster-distil-whisper-small.en", 332 * MB, True),
    ("distil-medium.en", "Systran/faster-distil-whisper-medium.en", 789 * MB, True),
    ("distil-large-v2", "Systran/faster-distil-whisper-large-v2", 1510 * MB, False),
    ("distil-large-v3", "Systran/faster-distil-whisper-large-v3", 1510 * MB, False),
    ("distil-large-v3.5", "distil-whisper/distil-large-v3.5-ct2", 1510 * MB, False),
)
# Names faster-whisper also accepts for the same models.
_ALIASES = {"large-v3": ("large",), "large-v3-turbo": ("turbo",)}
# What faster-whisper fetches from a repository; conversions differ in which vocabulary
# and preprocessor files they carry, so those may be missing.
_FILES = (
    ("config.json", False), ("model.bin", False), ("tokenizer.json", False),
    ("vocabulary.txt", True), ("vocabulary.json", True), ("preprocessor_config.json", True),
)


def entries() -> list[Entry]:
    return [_entry(*row) for row in _MODELS]


def _entry(size: str, repo: str, approx: int, english_only: bool) -> Entry:
    return Entry(
        name=f"whisper-{size}",
        kind="asr",
        engine="whisper",
        install_name=size,
        publisher=repo.split("/")[0],
        licence="MIT",
        languages=("en",) if english_only else tuple(NAMES),
        files=tuple(
            RemoteFile(url=f"{HUB}/{repo}/resolve/main/{name}", path=name, optional=optional)
            for name, optional in _FILES
        ),
        aliases=(size, *_ALIASES.get(size, ())),
        page=f"{HUB}/{repo}",
        approx_size=approx,
        checked=True,
        note="sha256 of model.bin from the Hub's X-Linked-Etag at download time",
    )
