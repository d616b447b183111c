"""Joshi et al. 2020 classes reviewed by hand for every language of SIB-200, Belebele and the low-resource suites
that the mechanical rules of rxlt.languages.flores / metadata leave without one: a class only where the taxonomy
names the same language (another spelling, or the same group), else the reason it stays None.

Sources searched for every entry (by name, diacritics folded, and by code): MaLA-LM/LangResourceAtlas@36f973d
Joshi-et-al/Joshi-et-al-6-classes.json (the flores table's source) and @50ec59a language-source-classification/
language-source-classification-by-Joshi.json (the language-level table's), both transcriptions of Joshi et al.'s
lang2tax.txt, whose entries are language *names*; their ISO codes were added by LLMs (the repository's README) and
are wrong for some languages, so a code alone never gives a class here. Names: ISO 639-3 / 639-5 (Debian iso-codes
4.15) and Glottolog 5.1 (glottolog/glottolog-cldf@b6d3ea2). A class of a macrolanguage or a group is not given to one
of its members (Joshi's "arabic" is Modern Standard Arabic's 5, not a dialect's; "quechua", "aymara", "dinka" and
"pashto" likewise), as the flores table does for CC-100.
"""
from __future__ import annotations

_NO_ENTRY = "no entry of that name in either transcription"
_DIALECT = "Joshi lists only 'arabic' (5: the macrolanguage, Modern Standard Arabic) and 'egyptian arabic'; " + _NO_ENTRY

# code: (class or None, why). Rows that inherit their class from a language-level row ("joshi = row X" in their note)
# are reviewed at that row.
JOSHI_REVIEW: dict[str, tuple[int | None, str]] = {
    # the suites' bare codes (rxlt.languages.flores.SUITE_ROWS)
    "nah": (1, "'nahuatl' (1) names the group ISO 639-5 calls 'Nahuatl languages' (nah); the LLM code agrees (nah_Latn)"),
    "shp": (0, "'shipibo-konibo' (0) is ISO 639-3 Shipibo-Conibo (shp) in the spelling with k (AmericasNLI's); the LLM "
               "code agrees (shp_Latn)"),
    "oto": (None, "'otomí' (0) names the Otomí languages, a part of the ISO 639-5 group oto 'Otomian languages' "
                  "(Otomí + Mazahua): not the same group"),
    "tar": (None, "'tarahumara' (0) names the Tarahumara languages (ISO 639-3 tac, tar, tcu, thh, twr), not Central "
                  "Tarahumara (tar) alone; the LLM's tar_Latn is its guess"),
    "cni": (None, "Asháninka: " + _NO_ENTRY + "; the LLM code cni_Latn is given to 'nomatsiguenga' (ISO 639-3 not), "
                  "another language"),
    "bbj": (None, "Ghomálá': " + _NO_ENTRY + "; the LLM code bbj_Latn is given to 'babungo' (ISO 639-3 bav), another "
                  "language"),
    "bbc": (None, "Batak Toba: " + _NO_ENTRY + "; 'batak' (0) is the Batak group (btk), 'toba' (0) Toba Qom (tob)"),
    "mad": (None, "Madurese: " + _NO_ENTRY),
    "nij": (None, "Ngaju: " + _NO_ENTRY),
    "arq": (None, "Algerian Arabic: " + _DIALECT),
    # FLORES-200 varieties without a language-level row
    "acm_Arab": (None, "Mesopotamian Arabic: " + _DIALECT + "; the LLM code acm_Latn is given to 'acoma' (kjq)"),
    "acq_Arab": (None, "Ta'izzi-Adeni Arabic: " + _DIALECT),
    "aeb_Arab": (None, "Tunisian Arabic: " + _DIALECT),
    "ars_Arab": (None, "Najdi Arabic: " + _DIALECT),
    "ary_Arab": (None, "Moroccan Arabic: " + _DIALECT),
    "ayr_Latn": (None, "Central Aymara: 'aymara' (1) is the macrolanguage aym, of which ayr is one member"),
    "dik_Latn": (None, "Southwestern Dinka: 'dinka' (1) is the macrolanguage din, of which dik is one member"),
    "pbt_Arab": (None, "Southern Pashto: 'pashto' (1) is the macrolanguage pus, of which pbt is one member"),
    "quy_Latn": (None, "Ayacucho Quechua: 'quechua' (1) is the macrolanguage que, of which quy is one member"),
    "cjk_Latn": (None, "Chokwe: " + _NO_ENTRY),
    "hne_Deva": (None, "Chhattisgarhi: " + _NO_ENTRY),
    "kac_Latn": (None, "Jingpho (Kachin): " + _NO_ENTRY),
    "kmb_Latn": (None, "Kimbundu: " + _NO_ENTRY),
    "knc_Arab": (None, "Central Kanuri: " + _NO_ENTRY),
    "knc_Latn": (None, "Central Kanuri: " + _NO_ENTRY),
    "lua_Latn": (None, "Luba-Kasai: " + _NO_ENTRY + "; 'kiluba' (0) is Luba-Katanga (lu), another language"),
    "taq_Latn": (None, "Tamasheq: " + _NO_ENTRY),
    "taq_Tfng": (None, "Tamasheq: " + _NO_ENTRY),
    # language-level rows (rxlt.languages.metadata) the varieties above inherit from
    "apc": (None, "Levantine Arabic: " + _DIALECT),
    "bem": (None, "Bemba: " + _NO_ENTRY),
    "kam": (None, "Kamba: " + _NO_ENTRY),
    "kea": (None, "Kabuverdianu: " + _NO_ENTRY),
    "luo": (None, "Luo (Dholuo): " + _NO_ENTRY),
    "tzm": (None, "Central Atlas Tamazight: " + _NO_ENTRY),
    "be": (None, "ambiguous: 'belarusian' 3, 'belorussian' 0, 'belarusian (taraškievica)' 1"),
    "gd": (None, "ambiguous: 'scottish gaelic' 1, 'gaelic' 0"),
    "gn": (None, "ambiguous: 'guarani' 1, 'guaraní' 0"),
    "ku": (None, "ambiguous: 'kurdish' 0, 'kurdish (kurmanji)' 1"),
    "lb": (None, "ambiguous: 'luxembourgish' 1, 'luxemburgeois' 0"),
    "mn": (None, "ambiguous: 'mongolian' 1, 'mongol' 0"),
    "or": (None, "ambiguous: 'odia' 1, 'orya' 0"),
    "sl": (None, "ambiguous: 'slovenian' 3, 'slovene' 0"),
    "st": (None, "ambiguous: 'southern sotho' 0, 'sesotho' 1"),
}
