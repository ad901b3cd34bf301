"""Piper voices (kind `tts`): every voice listed in Piper's VOICES.md, release v1.0.0 of rhasspy/piper-voices.

A voice `<locale>-<name>-<quality>` is two files on the Hugging Face Hub,
`<lang>/<locale>/<name>/<quality>/<voice>.onnx` and its `.onnx.json`
config; it installs into `LT_HOME/models/tts/<voice>/` as `<voice>.onnx` and
`<voice>.onnx.json`, the layout `lt speak` reads. The Hub sends the sha256 of
the `.onnx` (`X-Linked-Etag`), which the download checks. Each voice has its
own licence, in the MODEL_CARD next to it (linked as its page).
"""

from __future__ import annotations

from lt.catalog.entries import Entry, RemoteFile
from lt.mt.languages import normal_code

RELEASE = "https://huggingface.co/rhasspy/piper-voices/resolve/v1.0.0"
TREE = "https://huggingface.co/rhasspy/piper-voices/tree/v1.0.0"

# locale: voice=quality,quality ... (as VOICES.md lists them)
VOICES = """
ar_JO: kareem=low,medium
ca_ES: upc_ona=x_low,medium upc_pau=x_low
cs_CZ: jirka=low,medium
cy_GB: bu_tts=medium gwryw_gogleddol=medium
da_DK: talesyntese=medium
de_DE: eva_k=x_low karlsson=low kerstin=low mls=medium pavoque=low ramona=low thorsten=low,medium,high thorsten_emotional=medium
el_GR: rapunzelina=low
en_GB: alan=low,medium alba=medium aru=medium cori=medium,high jenny_dioco=medium northern_english_male=medium semaine=medium southern_english_female=low vctk=medium
en_US: amy=low,medium arctic=medium bryce=medium danny=low hfc_female=medium hfc_male=medium joe=medium john=medium kathleen=low kristin=medium kusal=medium l2arctic=medium lessac=low,medium,high libritts=high libritts_r=medium ljspeech=medium,high norman=medium reza_ibrahim=medium ryan=low,medium,high sam=medium
es_ES: carlfm=x_low davefx=medium mls_10246=low mls_9972=low sharvard=medium
es_MX: ald=medium claude=high
fa_IR: amir=medium ganji=medium ganji_adabi=medium gyro=medium reza_ibrahim=medium
fi_FI: harri=low,medium
fr_FR: gilles=low mls=medium mls_1840=low siwis=low,medium tom=medium upmc=medium
hu_HU: anna=medium berta=medium imre=medium
is_IS: bui=medium salka=medium steinn=medium ugla=medium
it_IT: paola=medium riccardo=x_low
ka_GE: natia=medium
kk_KZ: iseke=x_low issai=high raya=x_low
lb_LU: marylux=medium
lv_LV: aivars=medium
ml_IN: arjun=medium meera=medium
ne_NP: google=x_low,medium
nl_BE: nathalie=x_low,medium rdh=x_low,medium
nl_NL: mls=medium mls_5809=low mls_7432=low pim=medium ronnie=medium
no_NO: talesyntese=medium
pl_PL: darkman=medium gosia=medium mc_speech=medium mls_6892=low
pt_BR: cadu=medium edresson=low faber=medium jeff=medium
pt_PT: tugão=medium
ro_RO: mihai=medium
ru_RU: denis=medium dmitri=medium irina=medium ruslan=medium
sk_SK: lili=medium
sl_SI: artur=medium
sr_RS: serbski_institut=medium
sv_SE: lisa=medium nst=medium
sw_CD: lanfrica=medium
tr_TR: dfki=medium fahrettin=medium fettah=medium
uk_UA: lada=x_low ukrainian_tts=medium
vi_VN: 25hours_single=low vais1000=medium vivos=x_low
zh_CN: huayan=x_low,medium
"""
# Typical size of a voice's .onnx by quality, for display before a download.
_APPROX_SIZE = {"x_low": 21_000_000, "low": 63_000_000, "medium": 63_000_000, "high": 114_000_000}


def entries() -> list[Entry]:
    found = []
    for line in VOICES.strip().splitlines():
        locale, _, voices = line.partition(": ")
        for voice in voices.split():
            name, _, qualities = voice.partition("=")
            found += [_entry(locale, name, quality) for quality in qualities.split(",")]
    return found


def _entry(locale: str, name: str, quality: str) -> Entry:
    voice = f"{locale}-{name}-{quality}"
    folder = f"{locale.split('_')[0]}/{locale}/{name}/{quality}"
    return Entry(
        name=voice,
        kind="tts",
        engine="piper",
        install_name=voice,
        publisher="Piper (rhasspy/piper-voices)",
        licence="per voice: see its MODEL_CARD",
        languages=(normal_code(locale.split("_")[0]),),
        files=(
            RemoteFile(url=f"{RELEASE}/{folder}/{voice}.onnx", path=f"{voice}.onnx"),
            RemoteFile(url=f"{RELEASE}/{folder}/{voice}.onnx.json", path=f"{voice}.onnx.json"),
        ),
        aliases=(f"piper-{voice}",),
        page=f"{TREE}/{folder}",
        approx_size=_APPROX_SIZE[quality],
        checked=True,
        note=f"{locale} {quality}",
    )
