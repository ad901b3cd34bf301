"""Language codes: the ISO 639-1 codes Whisper reports, and what multilingual models call them.

M2M100 writes a language as `__pt__`; NLLB uses FLORES-200 codes such as
`por_Latn`. Codes without an NLLB equivalent have None.
"""

from __future__ import annotations

from lt.errors import LtError

# code, English name, NLLB (FLORES-200) code; the languages Whisper can report.
_TABLE = """
en English eng_Latn|zh Chinese zho_Hans|de German deu_Latn|es Spanish spa_Latn|ru Russian rus_Cyrl
ko Korean kor_Hang|fr French fra_Latn|ja Japanese jpn_Jpan|pt Portuguese por_Latn|tr Turkish tur_Latn
pl Polish pol_Latn|ca Catalan cat_Latn|nl Dutch nld_Latn|ar Arabic arb_Arab|sv Swedish swe_Latn
it Italian ita_Latn|id Indonesian ind_Latn|hi Hindi hin_Deva|fi Finnish fin_Latn|vi Vietnamese vie_Latn
he Hebrew heb_Hebr|uk Ukrainian ukr_Cyrl|el Greek ell_Grek|ms Malay zsm_Latn|cs Czech ces_Latn
ro Romanian ron_Latn|da Danish dan_Latn|hu Hungarian hun_Latn|ta Tamil tam_Taml|no Norwegian nob_Latn
th Thai tha_Thai|ur Urdu urd_Arab|hr Croatian hrv_Latn|bg Bulgarian bul_Cyrl|lt Lithuanian lit_Latn
la Latin -|mi Maori mri_Latn|ml Malayalam mal_Mlym|cy Welsh cym_Latn|sk Slovak slk_Latn
te Telugu tel_Telu|fa Persian pes_Arab|lv Latvian lvs_Latn|bn Bengali ben_Beng|sr Serbian srp_Cyrl
az Azerbaijani azj_Latn|sl Slovenian slv_Latn|kn Kannada kan_Knda|et Estonian est_Latn|mk Macedonian mkd_Cyrl
br Breton -|eu Basque eus_Latn|is Icelandic isl_Latn|hy Armenian hye_Armn|ne Nepali npi_Deva
mn Mongolian khk_Cyrl|bs Bosnian bos_Latn|kk Kazakh kaz_Cyrl|sq Albanian als_Latn|sw Swahili swh_Latn
gl Galician glg_Latn|mr Marathi mar_Deva|pa Punjabi pan_Guru|si Sinhala sin_Sinh|km Khmer khm_Khmr
sn Shona sna_Latn|yo Yoruba yor_Latn|so Somali som_Latn|af Afrikaans afr_Latn|oc Occitan oci_Latn
ka Georgian kat_Geor|be Belarusian bel_Cyrl|tg Tajik tgk_Cyrl|sd Sindhi snd_Arab|gu Gujarati guj_Gujr
am Amharic amh_Ethi|yi Yiddish ydd_Hebr|lo Lao lao_Laoo|uz Uzbek uzn_Latn|fo Faroese fao_Latn
ht Haitian_Creole hat_Latn|ps Pashto pbt_Arab|tk Turkmen tuk_Latn|nn Nynorsk nno_Latn|mt Maltese mlt_Latn
sa Sanskrit san_Deva|lb Luxembourgish ltz_Latn|my Myanmar mya_Mymr|bo Tibetan bod_Tibt|tl Tagalog tgl_Latn
mg Malagasy plt_Latn|as Assamese asm_Beng|tt Tatar tat_Cyrl|haw Hawaiian -|ln Lingala lin_Latn
ha Hausa hau_Latn|ba Bashkir bak_Cyrl|jw Javanese jav_Latn|su Sundanese sun_Latn|yue Cantonese yue_Hant
"""

NAMES: dict[str, str] = {}
NLLB: dict[str, str] = {}
for _entry in _TABLE.replace("\n", "|").split("|"):
    if _entry.strip():
        _code, _name, _nllb = _entry.split()
        NAMES[_code] = _name.replace("_", " ")
        if _nllb != "-":
            NLLB[_code] = _nllb

# Whisper says "jw" for Javanese where ISO 639-1 (and M2M100) say "jv".
_M2M100_SPELLING = {"jw": "jv"}


def m2m100_token(code: str) -> str:
    return f"__{_M2M100_SPELLING.get(code, code)}__"


def nllb_token(code: str) -> str | None:
    return NLLB.get(code)


def check_code(code: str, what: str) -> str:
    """A known code, lower-cased; an LtError naming the bad one otherwise."""
    normal = code.strip().lower()
    if normal not in NAMES:
        raise LtError(
            f"unknown language code {code!r} in {what}",
            hint="use ISO 639-1 codes as Whisper reports them, e.g. en, es, pt, de, zh",
        )
    return normal
