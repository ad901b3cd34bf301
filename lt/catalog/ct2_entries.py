"""Translation models in CTranslate2 format: OPUS-MT pairs and NLLB-200 distilled.

Helsinki-NLP publishes OPUS-MT as Marian/PyTorch weights, and Meta publishes
NLLB-200 the same way; neither publishes a CTranslate2 conversion. The
entries here are community conversions on the Hugging Face Hub (named per
entry): the Hub sends each large file's sha256 (`X-Linked-Etag`) and the
download checks it, but which pairs each converter published and the file
names inside were not checked against their pages (docs/models.md). Where
one is missing, `ct2-transformers-converter` makes it (docs/translate.md).
"""

from __future__ import annotations

from lt.catalog.entries import Entry, RemoteFile
from lt.mt.languages import NLLB

HUB = "https://huggingface.co"
OPUS_CONVERTER = "michaelfeil/ct2fast-opus-mt-{source}-{target}"
OPUS_PAIRS = (
    ("en", "es"), ("es", "en"), ("en", "de"), ("de", "en"), ("en", "fr"), ("fr", "en"),
    ("en", "it"), ("it", "en"), ("en", "ru"), ("ru", "en"), ("en", "zh"), ("zh", "en"),
    ("en", "nl"), ("nl", "en"), ("en", "ar"), ("ar", "en"), ("en", "sv"), ("sv", "en"),
    ("en", "fi"), ("fi", "en"), ("en", "uk"), ("uk", "en"), ("ja", "en"), ("ko", "en"),
)
_MARIAN_FILES = (
    ("model.bin", False), ("config.json", False), ("source.spm", False), ("target.spm", False),
    ("shared_vocabulary.txt", True), ("shared_vocabulary.json", True),
)
NLLB_REPOSITORY = "JustFrederik/nllb-200-distilled-600M-ct2-int8"
_NLLB_FILES = (
    ("model.bin", False), ("config.json", False), ("sentencepiece.bpe.model", False),
    ("shared_vocabulary.txt", True), ("shared_vocabulary.json", True),
)


def entries() -> list[Entry]:
    return [*(_opus(s, t) for s, t in OPUS_PAIRS), _nllb()]


def _files(repo: str, names) -> tuple[RemoteFile, ...]:
    return tuple(RemoteFile(url=f"{HUB}/{repo}/resolve/main/{n}", path=n, optional=o) for n, o in names)


def _opus(source: str, target: str) -> Entry:
    repo = OPUS_CONVERTER.format(source=source, target=target)
    return Entry(
        name=f"opus-mt-{source}-{target}",
        kind="mt",
        engine="ct2",
        install_name=f"opus-mt-{source}-{target}",
        publisher=f"Helsinki-NLP (OPUS-MT), converted by {repo.split('/')[0]}",
        licence="CC-BY-4.0",
        languages=(source, target),
        files=_files(repo, _MARIAN_FILES),
        pairs=((source, target),),
        page=f"{HUB}/{repo}",
        approx_size=310_000_000,
        note="float16 conversion; lt loads it int8 on a CPU",
    )


def _nllb() -> Entry:
    return Entry(
        name="nllb-200-distilled-600m",
        kind="mt",
        engine="ct2",
        install_name="nllb-200-distilled-600M",
        publisher=f"Meta (NLLB-200), converted by {NLLB_REPOSITORY.split('/')[0]}",
        licence="CC-BY-NC-4.0 (non-commercial use only)",
        languages=tuple(NLLB),
        files=_files(NLLB_REPOSITORY, _NLLB_FILES),
        aliases=("nllb", "nllb-200"),
        page=f"{HUB}/{NLLB_REPOSITORY}",
        approx_size=623_000_000,
        note="one model for every pair among its languages; slower than a one-pair model",
    )
