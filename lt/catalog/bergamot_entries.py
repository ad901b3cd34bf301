"""Firefox Translations (Bergamot) models: every pair Mozilla publishes in firefox-translations-models.

Mozilla keeps each model in `models/<architecture>/<src><tgt>/` of the
mozilla/firefox-translations-models repository, gzipped, in Git LFS: the
model (`model.<pair>.intgemm.alphas.bin`), its SentencePiece vocabulary
(`vocab.<pair>.spm`, or `srcvocab`/`trgvocab` for pairs with two scripts)
and a lexical shortlist (`lex.50.50.<pair>.s2t.bin`). Each pair is offered
once, in its best architecture: `base-memory` where Mozilla has one, else
`tiny`. Mozilla publishes the sha256 of every LFS file in the repository's
pointer files; those read for this table are pinned below with the commit
they were read at, the rest are checked against what the download computes
on first install and recorded (see docs/models.md).
"""

from __future__ import annotations

from lt.catalog.entries import Entry, RemoteFile
from lt.mt.languages import normal_code

REPOSITORY = "mozilla/firefox-translations-models"
MEDIA = f"https://media.githubusercontent.com/media/{REPOSITORY}"
PAGE = "https://github.com/mozilla/firefox-translations-models"

BASE_MEMORY = """
aren bgen caen csen deen enar enbg enca encs ende enes enet enfi enfr enhu enis enit enja enko enlt
enlv ennl enpl enpt enru ensk ensl enuk enzh esen eten fien fren isen iten jaen koen nlen plen pten
slen zhen
""".split()
TINY = """
azen been bgen bnen bsen caen csen daen deen elen enaz enbg enbn enca encs enda ende enel enes enet
enfa enfi enfr engu enhe enhi enhr enhu enid enit enkn enlt enlv enml enms ennl enpl enpt enro enru
ensk ensl ensq ensv enta ente entr enuk esen eten faen fien fren guen heen hien hren huen iden isen
iten knen lten lven mlen msen mten nben nlen nnen plen pten roen ruen sken slen sqen sren sven taen
teen tren uken vien
""".split()
# Pairs whose source and target vocabularies differ (a CJK script on one side).
_SPLIT_VOCABULARY = {"enja", "enko", "enzh", "jaen", "koen", "zhen"}
# (architecture/pair/file) -> (commit the LFS pointer was read at, sha256, size of the .gz)
PINNED = {
    "base-memory/enes/model.enes.intgemm.alphas.bin.gz": (
        "0cbe4205d23ce9f95d409602067f7ffe1d5849f8", "fe4025fde24a4d5f80533cfb7acd53d0eb7f194dfc2d8f427f0d4563cfb6ac06", 22698792),
    "base-memory/enes/vocab.enes.spm.gz": (
        "0cbe4205d23ce9f95d409602067f7ffe1d5849f8", "ae2760c04bc6eb5362b16e5c2f145c376bb04bac421c33ba3c0766805e6f03b3", 409312),
    "base-memory/enes/lex.50.50.enes.s2t.bin.gz": (
        "ce0a251b3cb4e8af97986fc557b99976369cf9ca", "37a067966f28ff0ba430fddb7412bc5b07afa2cd2fd5a46d9ad74045a1a06380", 2265250),
    "base-memory/esen/model.esen.intgemm.alphas.bin.gz": (
        "2e08e6916490c7f63131b31f2daf72a17df78e42", "54247f1e057180bca1d404dfd5c12836f65bc96cef7af98e59e55acb8bd093b1", 23288494),
    "base-memory/esen/vocab.esen.spm.gz": (
        "69892e2ee8c42b894fb430c80b36cf68eabb27a3", "1658b529b8858cf2e1e8cef2c4e2d69654d77b5f714ac52205864b336dfeb3ee", 409312),
    "base-memory/esen/lex.50.50.esen.s2t.bin.gz": (
        "69892e2ee8c42b894fb430c80b36cf68eabb27a3", "3d7856bfa3b12804bdc80f12fd828fd9062c462113ab73fbf87c5c3b68420813", 2543246),
    "base-memory/ende/model.ende.intgemm.alphas.bin.gz": (
        "4cd3f18bf9f982ba24b785d2d40a21b4ac3547f6", "dc22e8f7947c3e67605db3409caa08d50d2e711140ad172f20a8939f3b348181", 23112992),
    "base-memory/ende/vocab.ende.spm.gz": (
        "4cd3f18bf9f982ba24b785d2d40a21b4ac3547f6", "0629048f7f69fe7637f0aadf7c4987db01464d51f6b34c783255eb8811043897", 413879),
    "base-memory/ende/lex.50.50.ende.s2t.bin.gz": (
        "ce0a251b3cb4e8af97986fc557b99976369cf9ca", "0370d79cda6fed5dfa8f9b2a0009459bd2766893825bb5b8b5114169d18da6c4", 2314750),
    "base-memory/deen/model.deen.intgemm.alphas.bin.gz": (
        "abf9acd4b79a702b1fed5f17ae9cf33d4c6a7fc5", "38b245bcfc23f6d61fd98a187436ea1320a38f41896df411b103df3e83f51681", 22403755),
    "base-memory/deen/vocab.deen.spm.gz": (
        "abf9acd4b79a702b1fed5f17ae9cf33d4c6a7fc5", "88dcd7fdbf20dc60837ce837244d0d55b20f7079f2cbd2ba8e63530632028310", 413879),
    "base-memory/deen/lex.50.50.deen.s2t.bin.gz": (
        "abf9acd4b79a702b1fed5f17ae9cf33d4c6a7fc5", "231e9caf62e0e867775d5f4c1f4cfae21e37c70d9bf2bd628fa468aeeb2ba869", 2626658),
}
_APPROX_SIZE = {"base-memory": 26_000_000, "tiny": 17_000_000}


def entries() -> list[Entry]:
    best = {pair: "base-memory" for pair in BASE_MEMORY}
    for pair in TINY:
        best.setdefault(pair, "tiny")
    return [_entry(pair, architecture) for pair, architecture in sorted(best.items())]


def _entry(pair: str, architecture: str) -> Entry:
    source, target = normal_code(pair[:2]), normal_code(pair[2:])
    files = tuple(_file(architecture, pair, name, optional) for name, optional in _file_names(pair))
    return Entry(
        name=f"bergamot-{source}-{target}",
        kind="mt",
        engine="bergamot",
        install_name=f"bergamot-{source}-{target}",
        publisher="Mozilla (Firefox Translations)",
        licence="MPL-2.0",
        languages=(source, target),
        files=files,
        pairs=((source, target),),
        aliases=(f"bergamot-{pair[:2]}-{pair[2:]}",) if pair[:2] + pair[2:] != source + target else (),
        page=f"{PAGE}/tree/main/models/{architecture}/{pair}",
        approx_size=_APPROX_SIZE[architecture],
        checked=all(f.sha256 for f in files if not f.optional),
        note=architecture,
    )


def _file_names(pair: str) -> list[tuple[str, bool]]:
    if pair in _SPLIT_VOCABULARY:
        vocabulary = [(f"srcvocab.{pair}.spm", False), (f"trgvocab.{pair}.spm", False)]
    else:
        vocabulary = [(f"vocab.{pair}.spm", False)]
    return [(f"model.{pair}.intgemm.alphas.bin", False), *vocabulary, (f"lex.50.50.{pair}.s2t.bin", True)]


def _file(architecture: str, pair: str, name: str, optional: bool) -> RemoteFile:
    key = f"{architecture}/{pair}/{name}.gz"
    commit, sha256, size = PINNED.get(key, ("main", None, None))
    return RemoteFile(
        url=f"{MEDIA}/{commit}/models/{key}", path=name, size=size, sha256=sha256, gzip=True,
        optional=optional and sha256 is None,
    )
