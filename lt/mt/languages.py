"""Language codes: the ISO 639-1 codes Whisper reports, what users type, and what each engine calls them.

lt names a language by the code Whisper reports (ISO 639-1, plus `haw`,
`yue` and Whisper's `jw`). `normal_code` also accepts ISO 639-3 and 639-2/B
codes, English and native names (`spanish`, `Español`, `spa`) and region tags
(`pt-BR`). Engines spell languages their own way: M2M100 writes `__pt__`, NLLB
uses FLORES-200 codes such as `por_Latn`, Firefox Translations says `nb` for
Norwegian Bokmål; `engine_code` maps to each.
"""

from __future__ import annotations

import re

from lt.errors import LtError

# code, ISO 639-3, English name, NLLB (FLORES-200) code; the languages Whisper can report.
_TABLE = """
en eng English eng_Latn|zh zho Chinese zho_Hans|de deu German deu_Latn|es spa Spanish spa_Latn|ru rus Russian rus_Cyrl
ko kor Korean kor_Hang|fr fra French fra_Latn|ja jpn Japanese jpn_Jpan|pt por Portuguese por_Latn|tr tur Turkish tur_Latn
pl pol Polish pol_Latn|ca cat Catalan cat_Latn|nl nld Dutch nld_Latn|ar ara Arabic arb_Arab|sv swe Swedish swe_Latn
it ita Italian ita_Latn|id ind Indonesian ind_Latn|hi hin Hindi hin_Deva|fi fin Finnish fin_Latn|vi vie Vietnamese vie_Latn
he heb Hebrew heb_Hebr|uk ukr Ukrainian ukr_Cyrl|el ell Greek ell_Grek|ms msa Malay zsm_Latn|cs ces Czech ces_Latn
ro ron Romanian ron_Latn|da dan Danish dan_Latn|hu hun Hungarian hun_Latn|ta tam Tamil tam_Taml|no nor Norwegian nob_Latn
th tha Thai tha_Thai|ur urd Urdu urd_Arab|hr hrv Croatian hrv_Latn|bg bul Bulgarian bul_Cyrl|lt lit Lithuanian lit_Latn
la lat Latin -|mi mri Maori mri_Latn|ml mal Malayalam mal_Mlym|cy cym Welsh cym_Latn|sk slk Slovak slk_Latn
te tel Telugu tel_Telu|fa fas Persian pes_Arab|lv lav Latvian lvs_Latn|bn ben Bengali ben_Beng|sr srp Serbian srp_Cyrl
az aze Azerbaijani azj_Latn|sl slv Slovenian slv_Latn|kn kan Kannada kan_Knda|et est Estonian est_Latn|mk mkd Macedonian mkd_Cyrl
br bre Breton -|eu eus Basque eus_Latn|is isl Icelandic isl_Latn|hy hye Armenian hye_Armn|ne nep Nepali npi_Deva
mn mon Mongolian khk_Cyrl|bs bos Bosnian bos_Latn|kk kaz Kazakh kaz_Cyrl|sq sqi Albanian als_Latn|sw swa Swahili swh_Latn
gl glg Galician glg_Latn|mr mar Marathi mar_Deva|pa pan Punjabi pan_Guru|si sin Sinhala sin_Sinh|km khm Khmer khm_Khmr
sn sna Shona sna_Latn|yo yor Yoruba yor_Latn|so som Somali som_Latn|af afr Afrikaans afr_Latn|oc oci Occitan oci_Latn
ka kat Georgian kat_Geor|be bel Belarusian bel_Cyrl|tg tgk Tajik tgk_Cyrl|sd snd Sindhi snd_Arab|gu guj Gujarati guj_Gujr
am amh Amharic amh_Ethi|yi yid Yiddish ydd_Hebr|lo lao Lao lao_Laoo|uz uzb Uzbek uzn_Latn|fo fao Faroese fao_Latn
ht hat Haitian_Creole hat_Latn|ps pus Pashto pbt_Arab|tk tuk Turkmen tuk_Latn|nn nno Nynorsk nno_Latn|mt mlt Maltese mlt_Latn
sa san Sanskrit san_Deva|lb ltz Luxembourgish ltz_Latn|my mya Myanmar mya_Mymr|bo bod Tibetan bod_Tibt|tl tgl Tagalog tgl_Latn
mg mlg Malagasy plt_Latn|as asm Assamese asm_Beng|tt tat Tatar tat_Cyrl|haw haw Hawaiian -|ln lin Lingala lin_Latn
ha hau Hausa hau_Latn|ba bak Bashkir bak_Cyrl|jw jav Javanese jav_Latn|su sun Sundanese sun_Latn|yue yue Cantonese yue_Hant
"""

NAMES: dict[str, str] = {}
ISO639_3: dict[str, str] = {}
NLLB: dict[str, str] = {}
for _entry in _TABLE.replace("\n", "|").split("|"):
    if _entry.strip():
        _code, _iso3, _name, _nllb = _entry.split()
        NAMES[_code] = _name.replace("_", " ")
        ISO639_3[_code] = _iso3
        if _nllb != "-":
            NLLB[_code] = _nllb

# What else people and other tools call these languages: ISO 639-2/B codes, individual
# ISO 639-3 codes of macrolanguages, older or alternative codes, and common names.
_ALIASES = {
    "chi": "zh", "cmn": "zh", "ger": "de", "fre": "fr", "dut": "nl", "gre": "el", "cze": "cs",
    "rum": "ro", "mol": "ro", "per": "fa", "pes": "fa", "arm": "hy", "baq": "eu", "bur": "my", "geo": "ka",
    "ice": "is", "mac": "mk", "mao": "mi", "may": "ms", "zsm": "ms", "slo": "sk", "tib": "bo", "wel": "cy",
    "alb": "sq", "als": "sq", "arb": "ar", "nb": "no", "nob": "no", "lvs": "lv", "ekk": "et", "swh": "sw",
    "uzn": "uz", "azj": "az", "khk": "mn", "npi": "ne", "ydd": "yi", "pbt": "ps", "plt": "mg",
    "jv": "jw", "iw": "he", "in": "id", "ji": "yi", "fil": "tl", "sh": "hr",
    "farsi": "fa", "mandarin": "zh", "castilian": "es", "flemish": "nl", "burmese": "my",
    "filipino": "tl", "valencian": "ca", "moldavian": "ro", "moldovan": "ro", "panjabi": "pa",
    "pushto": "ps", "sinhalese": "si", "letzeburgesch": "lb", "haitian": "ht", "bokmal": "no",
    "norwegian bokmal": "no", "norwegian bokmål": "no", "norwegian nynorsk": "nn", "bangla": "bn", "slovene": "sl",
    "español": "es", "espanol": "es", "castellano": "es", "deutsch": "de", "français": "fr",
    "francais": "fr", "português": "pt", "portugues": "pt", "italiano": "it", "nederlands": "nl",
    "polski": "pl", "русский": "ru", "中文": "zh", "日本語": "ja", "한국어": "ko", "العربية": "ar",
    "türkçe": "tr", "turkce": "tr", "svenska": "sv", "dansk": "da", "norsk": "no", "suomi": "fi",
    "čeština": "cs", "cestina": "cs", "magyar": "hu", "română": "ro", "romana": "ro",
    "ελληνικά": "el", "українська": "uk", "हिन्दी": "hi", "català": "ca", "catala": "ca",
    "galego": "gl", "euskara": "eu", "bokmål": "no", "norsk bokmål": "no", "tiếng việt": "vi",
    "bahasa indonesia": "id", "bahasa melayu": "ms", "עברית": "he", "فارسی": "fa",
}
_LOOKUP: dict[str, str] = {**{c: c for c in NAMES}, **{v: c for c, v in ISO639_3.items()},
                           **{n.lower(): c for c, n in NAMES.items()}, **_ALIASES}
_REGION = re.compile(r"^([a-z]{2,3})[-_][a-z0-9]{2,8}$")

# Whisper says "jw" for Javanese where ISO 639-1 (and M2M100) say "jv".
_M2M100_SPELLING = {"jw": "jv"}
# Firefox Translations names Norwegian Bokmål "nb" where Whisper says "no".
_BERGAMOT_SPELLING = {"no": "nb", "jw": "jv"}


def m2m100_token(code: str) -> str:
    return f"__{_M2M100_SPELLING.get(code, code)}__"


def nllb_token(code: str) -> str | None:
    return NLLB.get(code)


def engine_code(code: str, engine: str) -> str | None:
    """What `engine` calls lt's language `code` (None where it has no name for it)."""
    if engine == "nllb":
        return NLLB.get(code)
    if engine == "m2m100":
        return m2m100_token(code)
    if engine == "bergamot":
        return _BERGAMOT_SPELLING.get(code, code)
    return code


def normal_code(text: str) -> str | None:
    """lt's code for a code or name a user typed, or None when it names no language lt knows."""
    wanted = " ".join(text.strip().lower().replace("_", " ").split())
    if wanted in _LOOKUP:
        return _LOOKUP[wanted]
    region = _REGION.match(text.strip().lower())
    return _LOOKUP.get(region[1]) if region else None


def check_code(code: str, what: str) -> str:
    """lt's code for a language code or name; an LtError naming the bad one otherwise."""
    normal = normal_code(code)
    if normal is None:
        raise LtError(
            f"unknown language code {code!r} in {what}",
            hint="use an ISO 639-1 or 639-3 code or a name, e.g. es, spa or spanish (lt models available --languages lists them)",
        )
    return normal
