"""Language metadata for every language the embedded study and XTREME-R use.

One row per CLDR base locale in babel 2.18 (the embedded study's languages, a superset of the 50
XTREME-R languages). Columns and their sources:
  name       English name, CLDR via babel (`Locale('en').languages`).
  family     top-level family. XTREME-R languages ("src": "xtremer"): ../shared/reference/languages.md
             (XTREME/XTREME-R language tables, RECALLED there); others: haliaeetus/iso-639:
             data/iso_639-1.csv@573a6c3 (a scrape of Wikipedia's ISO 639-1 list; 2-letter codes only); the
             suites' three-letter rows luo and pcm: Glottolog 5.1 (glottolog/glottolog-cldf@b6d3ea2
             cldf/languages.csv, Family_ID of the ISO 639-3 code: Nilotic; Indo-European, where Glottolog places
             Nigerian Pidgin, an English-lexifier creole), the source of rxlt.languages.flores. None = not sourced.
  script     ISO 15924 code of the locale's likely script, CLDR likelySubtags via babel.
  joshi      Joshi et al. 2020 class 0-5. XTREME-R languages: languages.md (MaLA-LM/LangResourceAtlas
             Joshi-et-al-6-classes.json@36f973d, matched by name); others: MaLA-LM/LangResourceAtlas:
             language-source-classification/language-source-classification-by-Joshi.json@50ec59a, matched
             by language name. None = no entry, or several entries with different classes (noted). The
             languages of SIB-200, Belebele and the suites these rules leave without a class are reviewed by hand in
             rxlt.languages.joshi_review: a class where the taxonomy names the same language, else the reason in
             the row's note.
  cc100_gib  CC-100 size in GiB, XLM-R paper (Conneau et al. 2020) Appendix A Table 6, as transcribed in
             mayhewsw/multilingual-data-stats:cc-100/cc-100.csv@7397902 (zh = Hans + Hant, my = both rows).
  in_cc100   the language is one of XLM-R's 100 pretraining languages (has a CC-100 row, same source).
             e5-small starts from a MiniLM distilled from XLM-R-era data: treat it as "seen" for e5 too.
  in_mbert   "In mBERT?" column of mayhewsw/multilingual-data-stats:wiki/wiki.csv@0adee01 (False = no row).
Nothing here is guessed: unknown values are None.
"""
from __future__ import annotations

import re

from rxlt.languages import flores
from rxlt.languages.joshi_review import JOSHI_REVIEW
from rxlt.lookup import UnknownNameError, suggest

_COLUMNS = ("name", "family", "script", "joshi", "cc100_gib", "in_cc100", "in_mbert", "src")

# code: (name, family, script, joshi, cc100_gib, in_cc100, in_mbert, src)  src: "xtremer" | "cldr"
_ROWS: dict[str, tuple] = {
    "aa": ('Afar', 'Afro-Asiatic', 'Latn', 0, None, False, False, "cldr"),
    "ab": ('Abkhazian', 'Northwest Caucasian', 'Cyrl', None, None, False, False, "cldr"),  # joshi ambiguous: abkhazian=1, abkhaz=0
    "af": ('Afrikaans', 'Indo-European', 'Latn', 3, 1.3, True, True, "xtremer"),
    "agq": ('Aghem', None, 'Latn', 0, None, False, False, "cldr"),
    "ak": ('Akan', 'Niger-Congo', 'Latn', 1, None, False, False, "cldr"),
    "am": ('Amharic', 'Afro-Asiatic', 'Ethi', 2, 0.8, True, False, "cldr"),
    "an": ('Aragonese', 'Indo-European', 'Latn', 1, None, False, True, "cldr"),
    "ann": ('Obolo', None, 'Latn', 0, None, False, False, "cldr"),
    "apc": (None, None, 'Arab', None, None, False, False, "cldr"),
    "ar": ('Arabic', 'Afro-Asiatic', 'Arab', 5, 28.0, True, True, "xtremer"),
    "arn": ('Mapuche', None, 'Latn', 0, None, False, False, "cldr"),
    "as": ('Assamese', 'Indo-European', 'Beng', 1, 0.1, True, False, "cldr"),
    "asa": ('Asu', None, 'Latn', None, None, False, False, "cldr"),
    "ast": ('Asturian', None, 'Latn', 1, None, False, True, "cldr"),
    "az": ('Azerbaijani', 'Turkic', 'Latn', 1, 6.5, True, True, "xtremer"),
    "ba": ('Bashkir', 'Turkic', 'Cyrl', 1, None, False, True, "cldr"),
    "bal": ('Baluchi', None, 'Arab', 0, None, False, False, "cldr"),
    "bas": ('Basaa', None, 'Latn', 0, None, False, False, "cldr"),
    "be": ('Belarusian', 'Indo-European', 'Cyrl', None, 4.3, True, True, "cldr"),  # joshi ambiguous: belarusian=3, belorussian=0, belarusian (taraškievica)=1
    "bem": ('Bemba', None, 'Latn', None, None, False, False, "cldr"),
    "bew": ('Betawi', None, 'Latn', 0, None, False, False, "cldr"),
    "bez": ('Bena', None, 'Latn', None, None, False, False, "cldr"),
    "bg": ('Bulgarian', 'Indo-European', 'Cyrl', 3, 57.5, True, True, "xtremer"),
    "bgc": ('Haryanvi', None, 'Deva', None, None, False, False, "cldr"),
    "bgn": ('Western Balochi', None, 'Arab', None, None, False, False, "cldr"),
    "bho": ('Bhojpuri', None, 'Deva', 1, None, False, False, "cldr"),
    "blo": ('Anii', None, 'Latn', None, None, False, False, "cldr"),
    "blt": ('Tai Dam', None, 'Tavt', None, None, False, False, "cldr"),
    "bm": ('Bambara', 'Niger-Congo', 'Latn', 1, None, False, False, "cldr"),
    "bn": ('Bangla', 'Indo-European', 'Beng', 3, 8.4, True, True, "xtremer"),
    "bo": ('Tibetan', 'Sino-Tibetan', 'Tibt', 1, None, False, False, "cldr"),
    "br": ('Breton', 'Indo-European', 'Latn', 1, 0.1, True, True, "cldr"),
    "brx": ('Bodo', None, 'Deva', 0, None, False, False, "cldr"),
    "bs": ('Bosnian', 'Indo-European', 'Latn', 3, 0.1, True, True, "cldr"),
    "bss": ('Akoose', None, 'Latn', None, None, False, False, "cldr"),
    "byn": ('Blin', None, 'Ethi', 0, None, False, False, "cldr"),
    "ca": ('Catalan', 'Indo-European', 'Latn', 4, 10.1, True, True, "cldr"),
    "cad": ('Caddo', None, 'Latn', 0, None, False, False, "cldr"),
    "cch": ('Atsam', None, 'Latn', None, None, False, False, "cldr"),
    "ccp": ('Chakma', None, 'Cakm', None, None, False, False, "cldr"),
    "ce": ('Chechen', 'Northeast Caucasian', 'Cyrl', 1, None, False, True, "cldr"),
    "ceb": ('Cebuano', None, 'Latn', 3, None, False, True, "cldr"),
    "cgg": ('Chiga', None, 'Latn', None, None, False, False, "cldr"),
    "cho": ('Choctaw', None, 'Latn', 0, None, False, False, "cldr"),
    "chr": ('Cherokee', None, 'Cher', 1, None, False, False, "cldr"),
    "cic": ('Chickasaw', None, 'Latn', 0, None, False, False, "cldr"),
    "ckb": ('Central Kurdish', None, 'Arab', 1, None, False, False, "cldr"),
    "co": ('Corsican', 'Indo-European', 'Latn', 1, None, False, False, "cldr"),
    "cop": ('Coptic', None, 'Copt', 0, None, False, False, "cldr"),
    "cs": ('Czech', 'Indo-European', 'Latn', 4, 16.3, True, True, "cldr"),
    "csw": ('Swampy Cree', None, 'Cans', 1, None, False, False, "cldr"),
    "cu": ('Church Slavic', 'Indo-European', 'Cyrl', 1, None, False, False, "cldr"),
    "cv": ('Chuvash', 'Turkic', 'Cyrl', 1, None, False, True, "cldr"),
    "cy": ('Welsh', 'Indo-European', 'Latn', 1, 0.8, True, True, "cldr"),
    "da": ('Danish', 'Indo-European', 'Latn', 3, 45.6, True, True, "cldr"),
    "dav": ('Taita', None, 'Latn', 0, None, False, False, "cldr"),
    "de": ('German', 'Indo-European', 'Latn', 5, 66.6, True, True, "xtremer"),
    "dje": ('Zarma', None, 'Latn', None, None, False, False, "cldr"),
    "doi": ('Dogri', None, 'Deva', 0, None, False, False, "cldr"),
    "dsb": ('Lower Sorbian', None, 'Latn', None, None, False, False, "cldr"),  # joshi ambiguous: lower sorbian=1, sorbian=0
    "dua": ('Duala', None, 'Latn', 0, None, False, False, "cldr"),
    "dv": ('Divehi', 'Indo-European', 'Thaa', None, None, False, False, "cldr"),  # joshi ambiguous: divehi=1, dhivehi=0
    "dyo": ('Jola-Fonyi', None, 'Latn', 0, None, False, False, "cldr"),
    "dz": ('Dzongkha', 'Sino-Tibetan', 'Tibt', 1, None, False, False, "cldr"),
    "ebu": ('Embu', None, 'Latn', None, None, False, False, "cldr"),
    "ee": ('Ewe', 'Niger-Congo', 'Latn', 1, None, False, False, "cldr"),
    "el": ('Greek', 'Indo-European', 'Grek', 3, 46.9, True, True, "xtremer"),
    "en": ('English', 'Indo-European', 'Latn', 5, 300.8, True, True, "xtremer"),
    "eo": ('Esperanto', 'Constructed', 'Latn', 1, 0.9, True, False, "cldr"),
    "es": ('Spanish', 'Indo-European', 'Latn', 5, 53.3, True, True, "xtremer"),
    "et": ('Estonian', 'Uralic', 'Latn', 3, 6.1, True, True, "xtremer"),
    "eu": ('Basque', 'Isolate', 'Latn', 4, 2.0, True, True, "xtremer"),
    "ewo": ('Ewondo', None, 'Latn', 0, None, False, False, "cldr"),
    "fa": ('Persian', 'Indo-European', 'Arab', 4, 111.6, True, True, "xtremer"),
    "ff": ('Fula', 'Niger-Congo', 'Latn', None, None, False, False, "cldr"),  # joshi ambiguous: fula=1, fulah=0, fulfulde=0
    "fi": ('Finnish', 'Uralic', 'Latn', 4, 54.3, True, True, "xtremer"),
    "fil": ('Filipino', 'Austronesian', 'Latn', 3, 3.1, True, True, "cldr"),
    "fo": ('Faroese', 'Indo-European', 'Latn', 1, None, False, False, "cldr"),
    "fr": ('French', 'Indo-European', 'Latn', 5, 56.8, True, True, "xtremer"),
    "frr": ('Northern Frisian', None, 'Latn', 1, None, False, False, "cldr"),
    "fur": ('Friulian', None, 'Latn', 1, None, False, False, "cldr"),
    "fy": ('Western Frisian', 'Indo-European', 'Latn', None, 0.2, True, True, "cldr"),  # joshi ambiguous: west frisian=1, frisian=0
    "ga": ('Irish', 'Indo-European', 'Latn', 2, 0.5, True, True, "cldr"),
    "gaa": ('Ga', None, 'Latn', None, None, False, False, "cldr"),
    "gd": ('Scottish Gaelic', 'Indo-European', 'Latn', None, 0.1, True, False, "cldr"),  # joshi ambiguous: scottish gaelic=1, gaelic=0
    "gez": ('Geez', None, 'Ethi', None, None, False, False, "cldr"),
    "gl": ('Galician', 'Indo-European', 'Latn', 3, 2.9, True, True, "cldr"),
    "gn": ('Guarani', 'Tupian', 'Latn', None, None, False, False, "cldr"),  # joshi ambiguous: guarani=1, guaraní=0
    "gsw": ('Swiss German', None, 'Latn', None, None, False, False, "cldr"),  # joshi ambiguous: alemannic=1, alsatian=0
    "gu": ('Gujarati', 'Indo-European', 'Gujr', 1, 1.9, True, True, "xtremer"),
    "guz": ('Gusii', None, 'Latn', 0, None, False, False, "cldr"),
    "gv": ('Manx', 'Indo-European', 'Latn', 1, None, False, False, "cldr"),
    "ha": ('Hausa', 'Afro-Asiatic', 'Latn', 2, 0.3, True, False, "cldr"),
    "haw": ('Hawaiian', None, 'Latn', 1, None, False, False, "cldr"),
    "he": ('Hebrew', 'Afro-Asiatic', 'Hebr', 3, 31.6, True, True, "xtremer"),
    "hi": ('Hindi', 'Indo-European', 'Deva', 4, 20.2, True, True, "xtremer"),
    "hnj": ('Hmong Njua', None, 'Hmnp', 0, None, False, False, "cldr"),
    "hr": ('Croatian', 'Indo-European', 'Latn', 4, 20.5, True, True, "cldr"),
    "hsb": ('Upper Sorbian', None, 'Latn', None, None, False, False, "cldr"),  # joshi ambiguous: upper sorbian=1, sorbian=0
    "ht": ('Haitian Creole', 'French-based creole', 'Latn', 2, None, False, True, "xtremer"),  # joshi: languages.md uses "haitian"=2 (also "haitian creole"=0)
    "hu": ('Hungarian', 'Uralic', 'Latn', 4, 58.4, True, True, "xtremer"),
    "hy": ('Armenian', 'Indo-European', 'Armn', 1, 5.5, True, True, "cldr"),
    "ia": ('Interlingua', 'Constructed', 'Latn', 1, None, False, False, "cldr"),
    "id": ('Indonesian', 'Austronesian', 'Latn', 3, 148.3, True, True, "xtremer"),
    "ie": ('Interlingue', 'Constructed', 'Latn', 1, None, False, False, "cldr"),
    "ig": ('Igbo', 'Niger-Congo', 'Latn', 1, None, False, False, "cldr"),
    "ii": ('Sichuan Yi', 'Sino-Tibetan', 'Yiii', 0, None, False, False, "cldr"),
    "io": ('Ido', 'Constructed', 'Latn', 1, None, False, True, "cldr"),
    "is": ('Icelandic', 'Indo-European', 'Latn', 2, 3.2, True, True, "cldr"),
    "it": ('Italian', 'Indo-European', 'Latn', 4, 30.2, True, True, "xtremer"),
    "iu": ('Inuktitut', 'Eskimo-Aleut', 'Cans', 1, None, False, False, "cldr"),
    "ja": ('Japanese', 'Japonic', 'Jpan', 5, 69.3, True, True, "xtremer"),
    "jbo": ('Lojban', None, 'Latn', 1, None, False, False, "cldr"),
    "jgo": ('Ngomba', None, 'Latn', None, None, False, False, "cldr"),
    "jmc": ('Machame', None, 'Latn', 0, None, False, False, "cldr"),
    "jv": ('Javanese', 'Austronesian', 'Latn', 1, 0.2, True, True, "xtremer"),
    "ka": ('Georgian', 'Kartvelian', 'Geor', 3, 9.1, True, True, "xtremer"),
    "kaa": ('Kara-Kalpak', None, 'Cyrl', 1, None, False, False, "cldr"),
    "kab": ('Kabyle', None, 'Latn', 1, None, False, False, "cldr"),
    "kaj": ('Jju', None, 'Latn', None, None, False, False, "cldr"),
    "kam": ('Kamba', None, 'Latn', None, None, False, False, "cldr"),
    "kcg": ('Tyap', None, 'Latn', None, None, False, False, "cldr"),
    "kde": ('Makonde', None, 'Latn', 0, None, False, False, "cldr"),
    "kea": ('Kabuverdianu', None, 'Latn', None, None, False, False, "cldr"),
    "ken": ('Kenyang', None, 'Latn', 0, None, False, False, "cldr"),
    "kgp": ('Kaingang', None, 'Latn', 0, None, False, False, "cldr"),
    "khq": ('Koyra Chiini', None, 'Latn', 0, None, False, False, "cldr"),
    "ki": ('Kikuyu', 'Niger-Congo', 'Latn', 1, None, False, False, "cldr"),
    "kk": ('Kazakh', 'Turkic', 'Cyrl', 3, 6.4, True, True, "xtremer"),
    "kkj": ('Kako', None, 'Latn', None, None, False, False, "cldr"),
    "kl": ('Kalaallisut', 'Eskimo-Aleut', 'Latn', 1, None, False, False, "cldr"),
    "kln": ('Kalenjin', None, 'Latn', None, None, False, False, "cldr"),
    "km": ('Khmer', 'Austroasiatic', 'Khmr', 1, 1.5, True, False, "cldr"),
    "kn": ('Kannada', 'Dravidian', 'Knda', 1, 3.3, True, True, "cldr"),
    "ko": ('Korean', 'Koreanic', 'Kore', 4, 54.2, True, True, "xtremer"),
    "kok": ('Konkani', None, 'Deva', 2, None, False, False, "cldr"),
    "kpe": ('Kpelle', None, 'Latn', 0, None, False, False, "cldr"),
    "ks": ('Kashmiri', 'Indo-European', 'Arab', 1, None, False, False, "cldr"),
    "ksb": ('Shambala', None, 'Latn', 0, None, False, False, "cldr"),
    "ksf": ('Bafia', None, 'Latn', 0, None, False, False, "cldr"),
    "ksh": ('Colognian', None, 'Latn', 1, None, False, False, "cldr"),
    "ku": ('Kurdish', 'Indo-European', 'Latn', None, 0.4, True, False, "cldr"),  # joshi ambiguous: kurdish=0, kurdish (kurmanji)=1
    "kw": ('Cornish', 'Indo-European', 'Latn', 1, None, False, False, "cldr"),
    "kxv": ('Kuvi', None, 'Latn', 0, None, False, False, "cldr"),
    "ky": ('Kyrgyz', 'Turkic', 'Cyrl', 1, 1.2, True, True, "cldr"),
    "la": ('Latin', 'Indo-European', 'Latn', 3, 2.5, True, True, "cldr"),
    "lag": ('Langi', None, 'Latn', None, None, False, False, "cldr"),
    "lb": ('Luxembourgish', 'Indo-European', 'Latn', None, None, False, True, "cldr"),  # joshi ambiguous: luxembourgish=1, luxemburgeois=0
    "lg": ('Ganda', 'Niger-Congo', 'Latn', 1, None, False, False, "cldr"),
    "lij": ('Ligurian', None, 'Latn', 1, None, False, False, "cldr"),
    "lkt": ('Lakota', None, 'Latn', 0, None, False, False, "cldr"),
    "lld": (None, None, 'Latn', 0, None, False, False, "cldr"),
    "lmo": ('Lombard', None, 'Latn', 1, None, False, True, "cldr"),
    "ln": ('Lingala', 'Niger-Congo', 'Latn', 1, None, False, False, "cldr"),
    "lo": ('Lao', 'Tai-Kadai', 'Laoo', 2, 0.6, True, False, "cldr"),
    "lrc": ('Northern Luri', None, 'Arab', 1, None, False, False, "cldr"),
    "lt": ('Lithuanian', 'Indo-European', 'Latn', 3, 13.7, True, True, "xtremer"),
    "ltg": ('Latgalian', None, 'Latn', 1, None, False, False, "cldr"),
    "lu": ('Luba-Katanga', 'Niger-Congo', 'Latn', 0, None, False, False, "cldr"),
    "luo": ('Luo', 'Nilotic', 'Latn', None, None, False, False, "cldr"),  # family: Glottolog 5.1 (as rxlt.languages.flores)
    "luy": ('Luyia', None, 'Latn', 0, None, False, False, "cldr"),
    "lv": ('Latvian', 'Indo-European', 'Latn', 3, 8.8, True, True, "cldr"),
    "mai": ('Maithili', None, 'Deva', 1, None, False, False, "cldr"),
    "mas": ('Masai', None, 'Latn', None, None, False, False, "cldr"),
    "mdf": ('Moksha', None, 'Cyrl', 1, None, False, False, "cldr"),
    "mer": ('Meru', None, 'Latn', None, None, False, False, "cldr"),
    "mfe": ('Morisyen', None, 'Latn', 0, None, False, False, "cldr"),
    "mg": ('Malagasy', 'Austronesian', 'Latn', 1, 0.2, True, True, "cldr"),
    "mgh": ('Makhuwa-Meetto', None, 'Latn', None, None, False, False, "cldr"),
    "mgo": ('Metaʼ', None, 'Latn', None, None, False, False, "cldr"),
    "mhn": (None, None, 'Latn', None, None, False, False, "cldr"),
    "mi": ('Māori', 'Austronesian', 'Latn', 1, None, False, False, "cldr"),
    "mic": ("Mi'kmaw", None, 'Latn', 0, None, False, False, "cldr"),
    "mk": ('Macedonian', 'Indo-European', 'Cyrl', 1, 4.8, True, True, "cldr"),
    "ml": ('Malayalam', 'Dravidian', 'Mlym', 1, 7.6, True, True, "xtremer"),
    "mn": ('Mongolian', 'Mongolic', 'Cyrl', None, 3.0, True, False, "cldr"),  # joshi ambiguous: mongolian=1, mongol=0
    "mni": ('Manipuri', None, 'Beng', 0, None, False, False, "cldr"),
    "moh": ('Mohawk', None, 'Latn', 0, None, False, False, "cldr"),
    "mr": ('Marathi', 'Indo-European', 'Deva', 2, 2.8, True, True, "xtremer"),
    "ms": ('Malay', 'Austronesian', 'Latn', 3, 8.5, True, True, "xtremer"),
    "mt": ('Maltese', 'Afro-Asiatic', 'Latn', 2, None, False, False, "cldr"),
    "mua": ('Mundang', None, 'Latn', 0, None, False, False, "cldr"),
    "mus": ('Muscogee', None, 'Latn', None, None, False, False, "cldr"),
    "my": ('Burmese', 'Sino-Tibetan', 'Mymr', 1, 0.4, True, True, "xtremer"),
    "myv": ('Erzya', None, 'Cyrl', None, None, False, False, "cldr"),  # joshi ambiguous: erzya=1, mordvin=0
    "mzn": ('Mazanderani', None, 'Arab', 0, None, False, False, "cldr"),
    "naq": ('Nama', None, 'Latn', 0, None, False, False, "cldr"),
    # CC-100 has one row for the Norwegian macrolanguage, `no` (49 GiB); Bokmål is the written standard of
    # most Norwegian web text, so nb takes that row (an inference; nn keeps None: its share is unknown)
    "nb": ('Norwegian Bokmål', 'Indo-European', 'Latn', 1, 49.0, True, True, "cldr"),
    "nd": ('North Ndebele', 'Niger-Congo', 'Latn', 0, None, False, False, "cldr"),
    "nds": ('Low German', None, 'Latn', 0, None, False, True, "cldr"),
    "ne": ('Nepali', 'Indo-European', 'Deva', 1, 3.8, True, True, "cldr"),
    "nl": ('Dutch', 'Indo-European', 'Latn', 4, 29.3, True, True, "xtremer"),
    "nmg": ('Kwasio', None, 'Latn', None, None, False, False, "cldr"),
    "nn": ('Norwegian Nynorsk', 'Indo-European', 'Latn', 1, None, False, True, "cldr"),
    "nnh": ('Ngiemboon', None, 'Latn', None, None, False, False, "cldr"),
    "no": ('Norwegian', 'Indo-European', 'Latn', None, 49.0, True, True, "cldr"),
    "nqo": ('N’Ko', None, 'Nkoo', 0, None, False, False, "cldr"),
    "nr": ('South Ndebele', 'Niger-Congo', 'Latn', 0, None, False, False, "cldr"),
    "nso": ('Northern Sotho', None, 'Latn', 1, None, False, False, "cldr"),
    "nus": ('Nuer', None, 'Latn', 0, None, False, False, "cldr"),
    "nv": ('Navajo', 'Dené-Yeniseian', 'Latn', 1, None, False, False, "cldr"),
    "ny": ('Nyanja', 'Niger-Congo', 'Latn', 1, None, False, False, "cldr"),
    "nyn": ('Nyankole', None, 'Latn', 0, None, False, False, "cldr"),
    "oc": ('Occitan', 'Indo-European', 'Latn', 1, None, False, True, "cldr"),
    "om": ('Oromo', 'Afro-Asiatic', 'Latn', 1, 0.1, True, False, "cldr"),
    "or": ('Odia', 'Indo-European', 'Orya', None, 0.6, True, False, "cldr"),  # joshi ambiguous: odia=1, orya=0
    "os": ('Ossetic', 'Indo-European', 'Cyrl', None, None, False, False, "cldr"),  # joshi ambiguous: ossetic=0, ossetian=1
    "osa": ('Osage', None, 'Osge', 0, None, False, False, "cldr"),
    "pa": ('Punjabi', 'Indo-European', 'Guru', 2, 0.8, True, True, "xtremer"),
    "pap": ('Papiamento', None, 'Latn', 1, None, False, False, "cldr"),
    "pcm": ('Nigerian Pidgin', 'Indo-European', 'Latn', 0, None, False, False, "cldr"),  # family: Glottolog 5.1 (English-lexifier creole)
    "pis": ('Pijin', None, 'Latn', None, None, False, False, "cldr"),
    "pl": ('Polish', 'Indo-European', 'Latn', 4, 44.6, True, True, "xtremer"),
    "prg": ('Prussian', None, 'Latn', None, None, False, False, "cldr"),
    "ps": ('Pashto', 'Indo-European', 'Arab', 1, 0.7, True, False, "cldr"),
    "pt": ('Portuguese', 'Indo-European', 'Latn', 4, 49.1, True, True, "xtremer"),
    "qu": ('Quechua', 'Quechuan', 'Latn', 1, None, False, False, "xtremer"),
    "quc": ('Kʼicheʼ', None, 'Latn', 0, None, False, False, "cldr"),
    "raj": ('Rajasthani', None, 'Deva', None, None, False, False, "cldr"),
    "rhg": ('Rohingya', None, 'Rohg', None, None, False, False, "cldr"),
    "rif": ('Riffian', None, 'Latn', None, None, False, False, "cldr"),
    "rm": ('Romansh', 'Indo-European', 'Latn', None, None, False, False, "cldr"),  # joshi ambiguous: romansh=1, romansch=0
    "rn": ('Rundi', 'Niger-Congo', 'Latn', 1, None, False, False, "cldr"),
    "ro": ('Romanian', 'Indo-European', 'Latn', 3, 61.4, True, True, "xtremer"),
    "rof": ('Rombo', None, 'Latn', None, None, False, False, "cldr"),
    "ru": ('Russian', 'Indo-European', 'Cyrl', 4, 278.0, True, True, "xtremer"),
    "rw": ('Kinyarwanda', 'Niger-Congo', 'Latn', 1, None, False, False, "cldr"),
    "rwk": ('Rwa', None, 'Latn', None, None, False, False, "cldr"),
    "sa": ('Sanskrit', 'Indo-European', 'Deva', 2, 0.3, True, False, "cldr"),
    "sah": ('Yakut', None, 'Cyrl', None, None, False, False, "cldr"),  # joshi ambiguous: yakut=0, sakha=1
    "saq": ('Samburu', None, 'Latn', None, None, False, False, "cldr"),
    "sat": ('Santali', None, 'Olck', 1, None, False, False, "cldr"),
    "sbp": ('Sangu', None, 'Latn', 0, None, False, False, "cldr"),
    "sc": ('Sardinian', 'Indo-European', 'Latn', 1, None, False, False, "cldr"),
    "scn": ('Sicilian', None, 'Latn', 1, None, False, True, "cldr"),
    "sd": ('Sindhi', 'Indo-European', 'Arab', 1, 0.4, True, False, "cldr"),
    "sdh": ('Southern Kurdish', None, 'Arab', None, None, False, False, "cldr"),
    "se": ('Northern Sami', 'Uralic', 'Latn', 1, None, False, False, "cldr"),
    "seh": ('Sena', None, 'Latn', 0, None, False, False, "cldr"),
    "ses": ('Koyraboro Senni', None, 'Latn', 0, None, False, False, "cldr"),
    "sg": ('Sango', 'Creole', 'Latn', 1, None, False, False, "cldr"),
    "shi": ('Tachelhit', None, 'Tfng', 0, None, False, False, "cldr"),
    "shn": ('Shan', None, 'Mymr', 0, None, False, False, "cldr"),
    "si": ('Sinhala', 'Indo-European', 'Sinh', 1, 3.6, True, False, "cldr"),
    "sid": ('Sidamo', None, 'Latn', 0, None, False, False, "cldr"),
    "sk": ('Slovak', 'Indo-European', 'Latn', 3, 23.2, True, True, "cldr"),
    "skr": (None, None, 'Arab', None, None, False, False, "cldr"),
    "sl": ('Slovenian', 'Indo-European', 'Latn', None, 10.3, True, True, "cldr"),  # joshi ambiguous: slovenian=3, slovene=0
    "sma": ('Southern Sami', None, 'Latn', None, None, False, False, "cldr"),
    "smj": ('Lule Sami', None, 'Latn', None, None, False, False, "cldr"),
    "smn": ('Inari Sami', None, 'Latn', None, None, False, False, "cldr"),
    "sms": ('Skolt Sami', None, 'Latn', None, None, False, False, "cldr"),
    "sn": ('Shona', 'Niger-Congo', 'Latn', 1, None, False, False, "cldr"),
    "so": ('Somali', 'Afro-Asiatic', 'Latn', 1, 0.4, True, False, "cldr"),
    "sq": ('Albanian', 'Indo-European', 'Latn', 1, 5.4, True, True, "cldr"),
    "sr": ('Serbian', 'Indo-European', 'Cyrl', 4, 9.1, True, True, "cldr"),
    "ss": ('Swati', 'Niger-Congo', 'Latn', 1, None, False, False, "cldr"),
    "ssy": ('Saho', None, 'Latn', 0, None, False, False, "cldr"),
    "st": ('Southern Sotho', 'Niger-Congo', 'Latn', None, None, False, False, "cldr"),  # joshi ambiguous: southern sotho=0, sesotho=1
    "su": ('Sundanese', 'Austronesian', 'Latn', 1, 0.1, True, True, "cldr"),
    "sv": ('Swedish', 'Indo-European', 'Latn', 4, 85.0, True, True, "cldr"),
    "sw": ('Swahili', 'Niger-Congo', 'Latn', 2, 1.6, True, True, "xtremer"),
    "syr": ('Syriac', None, 'Syrc', None, None, False, False, "cldr"),
    "szl": ('Silesian', None, 'Latn', 1, None, False, False, "cldr"),
    "ta": ('Tamil', 'Dravidian', 'Taml', 3, 12.2, True, True, "xtremer"),
    "te": ('Telugu', 'Dravidian', 'Telu', 1, 4.7, True, True, "xtremer"),
    "teo": ('Teso', None, 'Latn', None, None, False, False, "cldr"),
    "tg": ('Tajik', 'Indo-European', 'Cyrl', 1, None, False, True, "cldr"),
    "th": ('Thai', 'Kra-Dai', 'Thai', 3, 71.7, True, True, "xtremer"),
    "tl": ('Tagalog', 'Austronesian', 'Latn', 3, 3.1, True, True, "xtremer"),  # not a CLDR locale (CLDR uses fil)
    "ti": ('Tigrinya', 'Afro-Asiatic', 'Ethi', 2, None, False, False, "cldr"),
    "tig": ('Tigre', None, 'Ethi', 0, None, False, False, "cldr"),
    "tk": ('Turkmen', 'Turkic', 'Latn', 1, None, False, False, "cldr"),
    "tn": ('Tswana', 'Niger-Congo', 'Latn', 2, None, False, False, "cldr"),
    "to": ('Tongan', 'Austronesian', 'Latn', 1, None, False, False, "cldr"),
    "tok": ('Toki Pona', None, 'Latn', None, None, False, False, "cldr"),
    "tpi": ('Tok Pisin', None, 'Latn', 1, None, False, False, "cldr"),
    "tr": ('Turkish', 'Turkic', 'Latn', 4, 20.9, True, True, "xtremer"),
    "trv": ('Taroko', None, 'Latn', 0, None, False, False, "cldr"),
    "trw": ('Torwali', None, 'Arab', 0, None, False, False, "cldr"),
    "ts": ('Tsonga', 'Niger-Congo', 'Latn', 1, None, False, False, "cldr"),
    "tt": ('Tatar', 'Turkic', 'Cyrl', 1, None, False, True, "cldr"),
    "twq": ('Tasawaq', None, 'Latn', None, None, False, False, "cldr"),
    "tyv": ('Tuvinian', None, 'Cyrl', 1, None, False, False, "cldr"),
    "tzm": ('Central Atlas Tamazight', None, 'Latn', None, None, False, False, "cldr"),
    "ug": ('Uyghur', 'Turkic', 'Arab', 1, 0.4, True, False, "cldr"),
    "uk": ('Ukrainian', 'Indo-European', 'Cyrl', 3, 84.6, True, True, "xtremer"),
    "ur": ('Urdu', 'Indo-European', 'Arab', 3, 5.7, True, True, "xtremer"),
    "uz": ('Uzbek', 'Turkic', 'Latn', 3, 0.7, True, True, "cldr"),
    "vai": ('Vai', None, 'Vaii', 0, None, False, False, "cldr"),
    "ve": ('Venda', 'Niger-Congo', 'Latn', 1, None, False, False, "cldr"),
    "vec": ('Venetian', None, 'Latn', 1, None, False, False, "cldr"),
    "vi": ('Vietnamese', 'Austro-Asiatic', 'Latn', 4, 137.3, True, True, "xtremer"),
    "vmw": ('Makhuwa', None, 'Latn', 0, None, False, False, "cldr"),
    "vo": ('Volapük', 'Constructed', 'Latn', 1, None, False, True, "cldr"),
    "vun": ('Vunjo', None, 'Latn', None, None, False, False, "cldr"),
    "wa": ('Walloon', 'Indo-European', 'Latn', 1, None, False, False, "cldr"),
    "wae": ('Walser', None, 'Latn', None, None, False, False, "cldr"),
    "wal": ('Wolaytta', None, 'Ethi', 0, None, False, False, "cldr"),
    "wbp": ('Warlpiri', None, 'Latn', None, None, False, False, "cldr"),
    "wo": ('Wolof', 'Niger-Congo', 'Latn', 2, None, False, False, "xtremer"),
    "xh": ('Xhosa', 'Niger-Congo', 'Latn', 2, 0.1, True, False, "cldr"),
    "xnr": ('Kangri', None, 'Deva', None, None, False, False, "cldr"),
    "xog": ('Soga', None, 'Latn', None, None, False, False, "cldr"),
    "yav": ('Yangben', None, 'Latn', None, None, False, False, "cldr"),
    "yi": ('Yiddish', 'Indo-European', 'Hebr', 1, 0.3, True, False, "cldr"),
    "yo": ('Yoruba', 'Niger-Congo', 'Latn', 2, None, False, True, "xtremer"),
    "yrl": ('Nheengatu', None, 'Latn', None, None, False, False, "cldr"),
    "yue": ('Cantonese', None, 'Hant', 1, None, False, False, "cldr"),
    "za": ('Zhuang', 'Tai-Kadai', 'Latn', 1, None, False, False, "cldr"),
    "zgh": ('Standard Moroccan Tamazight', None, 'Tfng', None, None, False, False, "cldr"),
    "zh": ('Chinese', 'Sino-Tibetan', 'Hans', 5, 63.5, True, True, "xtremer"),
    "zu": ('Zulu', 'Niger-Congo', 'Latn', 2, None, False, False, "cldr"),
}

# Columns the variety rows of rxlt.languages.flores add; the language-level rows above get them too, derived:
# iso639_3/macrolanguage None (not sourced here), rxlt_code = the code itself, iso639_1 = the code when it has
# two letters, wiki = the code (rxlt.languages.covariates.WIKIPEDIA is keyed by it), note "".
VARIETY_COLUMNS = _COLUMNS + ("iso639_3", "macrolanguage", "rxlt_code", "iso639_1", "wiki", "note")


def _language_row(code: str, row: tuple) -> dict:
    return {**dict(zip(_COLUMNS, row)), "iso639_3": None, "macrolanguage": None, "rxlt_code": code,
            "iso639_1": code if len(code) == 2 else None, "wiki": code, "note": "", "code": code}


LANGUAGES: dict[str, dict] = {code: _language_row(code, row) for code, row in _ROWS.items()}
# The FLORES-200 varieties (SIB-200, Belebele) and the bare ISO 639-3 codes of the low-resource suites, each with
# its own sourced values (rxlt.languages.flores says how every value was derived).
LANGUAGES.update({code: {**dict(zip(VARIETY_COLUMNS, row)), "code": code}
                  for code, row in {**flores.VARIETY_ROWS, **flores.SUITE_ROWS}.items()})
# Each language-level row names its default FLORES variety: among the varieties of that language, the one whose
# code maps to it directly (ISO 639-1/3 rather than a CLDR alias), in its script when it has several.
for _code, _row in list(LANGUAGES.items()):
    if _row["src"] in ("xtremer", "cldr"):
        _row["flores"] = None
for _code, _row in sorted(LANGUAGES.items()):
    if _row["src"] in ("flores", "belebele") and _row["rxlt_code"]:
        _base = LANGUAGES[_row["rxlt_code"]]
        _rank = (_row["iso639_1"] != _base["code"] and _row["iso639_3"] != _base["code"],
                 _row["script"] != _base["script"] and not (_row["script"], _base["script"]) == ("Hang", "Kore"))
        if _base["flores"] is None or _rank < _base.setdefault("_rank", (True, True)):
            _base["flores"], _base["_rank"] = _code, _rank
for _row in LANGUAGES.values():
    _row.pop("_rank", None)
    _row.setdefault("flores", _row["code"] if _row["src"] in ("flores", "belebele") else None)

# Classes the rules above leave empty, reviewed by hand (rxlt.languages.joshi_review): the class, or why none
for _code, (_cls, _why) in JOSHI_REVIEW.items():
    _row = LANGUAGES[_code]
    if _row["joshi"] is not None:
        raise ValueError(f"rxlt.languages.joshi_review: {_code} already has Joshi class {_row['joshi']}; the review "
                         f"fills only classes the sourced rules leave empty")
    _row["joshi"] = _cls
    _row["note"] = "; ".join(n for n in (_row["note"], f"joshi (reviewed, rxlt.languages.joshi_review): {_why}") if n)

# The 50 XTREME-R languages (union of evaluate.py's task lists + LAReQA; languages.md).
XTREME_R_LANGUAGES: tuple[str, ...] = tuple(sorted(c for c, r in LANGUAGES.items() if r["src"] == "xtremer"))
# The 205 SIB-200 varieties (FLORES-200 + nqo_Nkoo) and the 5 romanized Belebele-only variants
FLORES_VARIETIES: tuple[str, ...] = tuple(sorted(c for c, r in LANGUAGES.items() if r["src"] == "flores"))
_FLORES_CODE = re.compile(r"^([A-Za-z]{3})[_-]([A-Za-z]{4})$")


def resolve(code: str) -> str:
    """The key of `code`'s row in LANGUAGES. Accepts the table's own keys (two-letter and CLDR codes, FLORES codes
    `yor_Latn`, the suites' ISO 639-3 codes), FLORES codes in any case or with a hyphen (`ary_arab`, `yor-Latn`),
    ISO 639-3 codes without script (`yor` -> `yor_Latn`; a code with several varieties -> the one in CLDR's likely
    script, rxlt.languages.flores.DEFAULT_VARIETIES: `ace` -> `ace_Latn`; a code with none -> its two-letter row:
    `swa` -> `sw`), and two-letter codes that only a variety carries (`tw` -> `twi_Latn`). Anything else is an
    UnknownNameError that suggests close codes."""
    if not isinstance(code, str):
        raise UnknownNameError(f"language code must be a string, got {type(code).__name__} {code!r}")
    if code in LANGUAGES:
        return code
    m = _FLORES_CODE.match(code.strip())
    if m:
        flores_code = f"{m.group(1).lower()}_{m.group(2).title()}"
        if flores_code in LANGUAGES:
            return flores_code
        raise UnknownNameError(f"unknown language {code!r}: no FLORES-200 variety {flores_code!r}; "
                               f"{suggest(flores_code, FLORES_VARIETIES)}")
    low = code.strip().lower()
    if low in LANGUAGES:
        return low
    if len(low) == 3:
        found = [c for c, r in LANGUAGES.items() if r["iso639_3"] == low and r["src"] in ("flores", "belebele")]
        if len(found) == 1:
            return found[0]
        if found:
            return flores.DEFAULT_VARIETIES[low]
        if low in flores.ISO639_3_TO_1:
            return flores.ISO639_3_TO_1[low]
    if len(low) == 2:  # a suite's bare code (`ay` -> aym) before a FLORES variety (`tw` -> twi_Latn)
        found = sorted(c for c, r in LANGUAGES.items() if r["iso639_1"] == low and r["src"] == "suite") or \
            sorted(c for c, r in LANGUAGES.items() if r["iso639_1"] == low and r["src"] in ("flores", "belebele"))
        if found:
            by_iso3 = {c[:3] for c in found}
            if len(by_iso3) == 1:
                iso3 = by_iso3.pop()
                return found[0] if len(found) == 1 else flores.DEFAULT_VARIETIES[iso3]
            raise UnknownNameError(f"language {code!r} is ambiguous: the varieties {found} carry it; name one")
    raise UnknownNameError(f"unknown language {code!r}: {suggest(code, LANGUAGES)}")


def language(code: str) -> dict:
    """The metadata row of any code `resolve` accepts (its key is the row's `code`)."""
    return LANGUAGES[resolve(code)]


def flores_code(code: str) -> str | None:
    """The FLORES-200 variety of a code (`yo` -> `yor_Latn`, `ar` -> `arb_Arab`), or None when it has none."""
    return language(code)["flores"]


def rxlt_code(code: str) -> str | None:
    """The language-level code rxlt uses elsewhere (XTREME-R, CLDR tasks) for any code: `yor_Latn` -> `yo`,
    `arb_Latn` -> `ar`, `swh_Latn` -> `sw`; None when the language has no language-level row."""
    return language(code)["rxlt_code"]
