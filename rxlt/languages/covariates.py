"""Resource predictors and confound covariates per language, with unseen languages kept explicit.

Columns (sources in rxlt/languages/metadata.py unless stated):
  joshi             Joshi et al. 2020 class 0-5 (None = no unambiguous entry).
  cc100_gib         CC-100 size (XLM-R paper Table 6); None = not a pretraining language (unseen).
  log2_cc100_gib    log2 of that; NaN for unseen languages — never imputed, they are counted and
                    reported as excluded from continuous-size models and analysed as their own tier.
  seen              in the pretraining data of the model family (`corpus`): XLM-R's 100 CC-100 languages
                    (`in_cc100`) for XLM-R and the e5 encoders built on it, mBERT's Wikipedia languages
                    (`in_mbert`) for mBERT; both flags are kept as columns too.
  wiki_articles, wiki_tokens_m, log2_wiki_tokens_m
                    Wikipedia 2020-10-01 dumps, mayhewsw/multilingual-data-stats:wiki/wiki.csv@0adee01
                    (WIKIPEDIA below; a proxy for mBERT's ~2018 pretraining data, see
                    ../shared/reference/languages.md "Wikipedia articles / tokens"). None = no edition row.
                    A FLORES variety uses its row's `wiki` edition (rxlt.languages.flores: only an edition in
                    the variety's script), with the editions WIKIPEDIA lacks in flores.WIKIPEDIA_EDITIONS.
  script, family    CLDR likely script; top-level family (None = not sourced).
  distance_from_english
                    a coarse, derived distance: 0 = Indo-European and Latin script (as English),
                    1 = one of the two differs, 2 = both differ; None when the family is unknown.
                    It is not lang2vec (not available offline); protocols.md §7.3 item 4 asks for a
                    distance covariate because distance and resource size are confounded.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from rxlt.languages.flores import WIKIPEDIA_EDITIONS
from rxlt.languages.metadata import language
from rxlt.lookup import lookup

# code: (articles, whitespace tokens) — mayhewsw/multilingual-data-stats:wiki/wiki.csv@0adee01, 2020-10-01 dumps,
# matched on the CSV's "Wiki" edition code; CLDR nb -> edition "no", yue -> "zh-yue".
WIKIPEDIA: dict[str, tuple[int, int]] = {
    "aa": (1, 26),
    "ab": (6086, 91931),
    "af": (94457, 25947892),
    "ak": (927, 113207),
    "am": (14885, 1331164),
    "an": (38287, 6408993),
    "ar": (1069379, 169126089),
    "as": (7346, 3736117),
    "ast": (107513, 65983513),
    "az": (173715, 35836610),
    "ba": (54010, 12887502),
    "be": (196592, 34304304),
    "bg": (266159, 71857586),
    "bm": (669, 55229),
    "bn": (95617, 42126320),
    "bo": (5922, 18425861),
    "br": (68680, 9049686),
    "bs": (84320, 18064480),
    "ca": (658953, 237367425),
    "ce": (300516, 20419081),
    "ceb": (5341531, 523789311),
    "cho": (6, 212),
    "chr": (917, 46138),
    "ckb": (27587, 4035619),
    "co": (5839, 909976),
    "cs": (463666, 142124285),
    "cu": (744, 43078),
    "cv": (43908, 3132272),
    "cy": (131953, 16162792),
    "da": (261591, 65038779),
    "de": (2488262, 946132694),
    "dsb": (3283, 296217),
    "dv": (2958, 730413),
    "dz": (219, 108571),
    "ee": (359, 29176),
    "el": (182546, 78796996),
    "en": (6171405, 2622505044),
    "eo": (286180, 52019987),
    "es": (1631829, 688970215),
    "et": (212406, 38424418),
    "eu": (365301, 46487007),
    "fa": (748384, 105621494),
    "ff": (272, 73460),
    "fi": (494487, 98712322),
    "fo": (13387, 1679729),
    "fr": (2255469, 823362731),
    "frr": (11263, 807187),
    "fur": (3420, 571064),
    "fy": (44579, 13811022),
    "ga": (53692, 6182079),
    "gd": (15145, 1745934),
    "gl": (167417, 54327028),
    "gn": (3880, 648651),
    "gu": (29133, 8497087),
    "gv": (5012, 610774),
    "ha": (5380, 873159),
    "haw": (2291, 206395),
    "he": (277732, 139128963),
    "hi": (142300, 43915945),
    "hr": (222687, 54599725),
    "hsb": (13629, 1230200),
    "ht": (60033, 2645669),
    "hu": (476628, 131870740),
    "hy": (276064, 13911288),
    "ia": (22591, 1739754),
    "id": (547825, 96356452),
    "ie": (5118, 421340),
    "ig": (1584, 255216),
    "ii": (3, 88),
    "io": (29813, 4966626),
    "is": (50634, 8532518),
    "it": (1640420, 542009174),
    "iu": (472, 9563),
    "ja": (1232093, 712594813),
    "jbo": (1257, 152536),
    "jv": (58343, 6399283),
    "ka": (142966, 24307093),
    "kaa": (1865, 309277),
    "kab": (4838, 471773),
    "ki": (1366, 39132),
    "kk": (227182, 29048575),
    "kl": (833, 36642),
    "km": (8311, 9889328),
    "kn": (26615, 21500253),
    "ko": (522723, 81063675),
    "ks": (425, 18187),
    "ksh": (2878, 448092),
    "ku": (33255, 3631745),
    "kw": (4226, 289063),
    "ky": (80722, 10723374),
    "la": (133814, 10115896),
    "lb": (58845, 7607731),
    "lg": (1199, 607041),
    "lij": (4296, 821012),
    "lld": (1043, 176965),
    "lmo": (42995, 5755715),
    "ln": (3176, 177548),
    "lo": (3567, 536868),
    "lrc": (5884, 375500),
    "lt": (201087, 32775980),
    "ltg": (1001, 94891),
    "lv": (103451, 20613699),
    "mai": (13606, 1178858),
    "mdf": (1196, 92642),
    "mg": (93285, 7913989),
    "mi": (7168, 483362),
    "mk": (108868, 38098346),
    "ml": (70636, 25868577),
    "mn": (19692, 5277245),
    "mr": (63033, 10531427),
    "ms": (343638, 38876137),
    "mt": (3616, 1754341),
    "mus": (1, 26),
    "my": (47843, 12207584),
    "myv": (6194, 519328),
    "mzn": (13179, 952614),
    "nb": (541575, 109282992),  # edition "no"
    "nds": (76572, 9839619),
    "ne": (33489, 6519689),
    "nl": (2034988, 297460303),
    "nn": (154727, 26608287),
    "no": (541575, 109282992),
    "nqo": (740, 591973),
    "nso": (8207, 266353),
    "nv": (15865, 1198761),
    "ny": (734, 142176),
    "oc": (86217, 16172213),
    "om": (857, 241918),
    "or": (15776, 4111292),
    "os": (12467, 621314),
    "pa": (34799, 9848083),
    "pap": (2004, 363839),
    "pl": (1430688, 275152255),
    "ps": (11576, 5311832),
    "pt": (1043975, 312091086),
    "qu": (22701, 962373),
    "rm": (3695, 2798883),
    "rn": (617, 56508),
    "ro": (412469, 83624589),
    "ru": (1666830, 575335225),
    "rw": (1903, 138225),
    "sa": (11464, 3887185),
    "sah": (12779, 2335184),
    "sat": (4629, 1589191),
    "sc": (6727, 1529970),
    "scn": (26059, 2204233),
    "sd": (13742, 3659636),
    "se": (7697, 313093),
    "sg": (262, 10054),
    "shn": (7311, 1928903),
    "si": (15874, 8268697),
    "sk": (234648, 38600297),
    "sl": (169604, 42511205),
    "sn": (6109, 311302),
    "so": (5839, 1435422),
    "sq": (81501, 21402243),
    "sr": (638812, 100162403),
    "ss": (518, 43463),
    "st": (788, 107833),
    "su": (60531, 4927214),
    "sv": (3652646, 360709245),
    "sw": (59645, 6195009),
    "szl": (52481, 2315511),
    "ta": (131527, 41522292),
    "te": (69706, 40619645),
    "tg": (102711, 7129512),
    "th": (139917, 44215268),
    "ti": (196, 34075),
    "tk": (5809, 1359768),
    "tl": (67581, 8721524),
    "tn": (712, 269082),
    "to": (1741, 111971),
    "tpi": (1625, 55962),
    "tr": (367896, 75354794),
    "ts": (700, 113382),
    "tt": (150741, 11169207),
    "tyv": (2788, 809251),
    "ug": (4367, 2864792),
    "uk": (1047938, 262974187),
    "ur": (157572, 22157310),
    "uz": (136913, 12377243),
    "ve": (372, 33696),
    "vec": (66638, 2980596),
    "vi": (1256994, 180247477),
    "vo": (125134, 14197351),
    "wa": (14083, 1849464),
    "wo": (1422, 615141),
    "xh": (1055, 206106),
    "yi": (14921, 2912843),
    "yo": (32748, 1343939),
    "yue": (103034, 3452890),  # edition "zh-yue"
    "za": (1952, 74933),
    "zh": (1151113, 269492468),
    "zu": (4379, 196016),
}

# Resource predictors a report can use; each says what it is and how unseen languages are treated.
PREDICTORS: dict[str, str] = {
    "log2_cc100_gib": "log2 CC-100 GiB (XLM-R pretraining data); languages unseen by the model excluded, counted, analysed as a tier",
    "log2_wiki_tokens_m": "log2 Wikipedia tokens (M, 2020-10 dumps; mBERT proxy); languages unseen by the model or without an "
                          "edition row excluded, counted",
    "joshi": "Joshi et al. 2020 class 0-5 as a number; languages without a class excluded",
}
SIZE_PREDICTORS = ("log2_cc100_gib", "log2_wiki_tokens_m")  # pretraining-data sizes: only defined for seen languages
AUTO = "auto"  # the resource predictor of the model family's pretraining corpus (CORPORA)

# Pretraining corpus of each model family: which languages it saw and which size measures its data.
CORPORA: dict[str, dict] = {
    "cc100": {"seen": "in_cc100", "predictor": "log2_cc100_gib",
              "name": "XLM-R's CC-100 (100 languages; Conneau et al. 2020 Table 6)"},
    "wikipedia": {"seen": "in_mbert", "predictor": "log2_wiki_tokens_m",
                  "name": "mBERT's Wikipedia (104 languages; the wiki.csv 'In mBERT?' column)"},
}
# model name (alias, hub id or local path) -> corpus, by the first pattern the lower-cased name contains.
# multilingual-e5 is initialised from XLM-R and keeps its tokenizer: it is XLM-R-family here (metadata.py `in_cc100`).
MODEL_FAMILIES: tuple[tuple[str, str], ...] = (
    ("bert-base-multilingual", "wikipedia"), ("mbert", "wikipedia"),
    ("xlm-roberta", "cc100"), ("xlmr", "cc100"), ("multilingual-e5", "cc100"), ("e5-", "cc100"),
)


def pretraining_corpus(models) -> str | None:
    """The one pretraining corpus (a CORPORA key) of the models; None if a model is not recognised.

    Models of different families cannot share one seen/unseen list: an error naming them."""
    found = {}
    for m in models:
        name = str(m).lower()
        found[m] = next((corpus for pattern, corpus in MODEL_FAMILIES if pattern in name), None)
    if None in found.values():
        return None
    if len(set(found.values())) > 1:
        raise ValueError(f"the runs use models of different pretraining corpora ({found}): seen/unseen languages and the "
                         "resource predictor differ between them; analyse one model family at a time")
    return next(iter(found.values()), None)


def resolve_predictor(predictor: str, models) -> tuple[str, str, str]:
    """(predictor, corpus, how it was chosen) for a requested predictor and the runs' models.

    `auto` takes the model family's corpus (log2 CC-100 GiB for XLM-R / e5, log2 Wikipedia tokens for mBERT);
    an explicit predictor is kept, and the seen/unseen list still follows the model (its pretraining data)."""
    corpus = pretraining_corpus(models)
    if predictor == AUTO:
        if corpus is None:
            raise ValueError(f"resource_predictor 'auto': the model family of {sorted(map(str, models))} is not known "
                             f"(patterns: {', '.join(p for p, _ in MODEL_FAMILIES)}); set resource_predictor to one of "
                             f"{', '.join(PREDICTORS)}")
        return CORPORA[corpus]["predictor"], corpus, f"auto: {CORPORA[corpus]['name']}, the pretraining data of {', '.join(map(str, models))}"
    lookup(PREDICTORS, predictor, "resource predictor")
    if corpus is None:  # an unknown model: the seen list follows the predictor's corpus
        corpus = "wikipedia" if predictor == "log2_wiki_tokens_m" else "cc100"
        return predictor, corpus, f"set explicitly; model family unknown, so seen/unseen follows {CORPORA[corpus]['name']}"
    return predictor, corpus, f"set explicitly; seen/unseen follows {CORPORA[corpus]['name']} (the model's pretraining data)"


def _distance(family, script) -> float | None:
    if family is None:
        return None
    return float((family != "Indo-European") + (script != "Latn"))


def covariate_table(codes, corpus: str = "cc100") -> pd.DataFrame:
    """One row per language code: resource predictors and covariates (nulls kept as NaN/None).

    `seen` follows `corpus` (CORPORA); size predictors are NaN for languages the corpus did not contain (unseen by
    the model: never imputed), even where the other corpus has a size for them."""
    lookup(CORPORA, corpus, "pretraining corpus")
    rows = []
    for c in codes:
        r = language(c)
        wiki = WIKIPEDIA.get(r["wiki"]) or WIKIPEDIA_EDITIONS.get(r["wiki"]) if r["wiki"] else None
        rows.append({
            "language": c, "name": r["name"], "family": r["family"], "script": r["script"],
            "joshi": np.nan if r["joshi"] is None else float(r["joshi"]),
            "cc100_gib": np.nan if r["cc100_gib"] is None else float(r["cc100_gib"]),
            "seen": bool(r[CORPORA[corpus]["seen"]]), "in_cc100": bool(r["in_cc100"]), "in_mbert": bool(r["in_mbert"]),
            "wiki_articles": np.nan if wiki is None else float(wiki[0]),
            "wiki_tokens_m": np.nan if wiki is None else wiki[1] / 1e6,
            "latin_script": r["script"] == "Latn",
            "distance_from_english": _distance(r["family"], r["script"]),
        })
    df = pd.DataFrame(rows)
    df["log2_cc100_gib"] = np.log2(df.cc100_gib).where(df.seen)
    df["log2_wiki_tokens_m"] = np.log2(df.wiki_tokens_m).where(df.seen)
    df["distance_from_english"] = df.distance_from_english.astype(float)
    return df


def predictor_coverage(cov: pd.DataFrame, languages=None) -> pd.DataFrame:
    """How many of the languages have each resource predictor (and which lack it), so a report can say how many
    languages every analysis uses instead of dropping the rest silently. `cov` is a covariate_table; `languages`
    restricts it (e.g. without the source language). One row per predictor of PREDICTORS plus `seen`:
    predictor, languages (evaluated), with_value, without_value, missing (codes, sorted), description."""
    df = cov if languages is None else cov[cov.language.isin(list(languages))]
    rows = []
    for name, description in {**PREDICTORS, "seen": "in the model's pretraining corpus (always known)"}.items():
        known = df[name].notna() if name != "seen" else pd.Series(True, index=df.index)
        rows.append({"predictor": name, "languages": int(len(df)), "with_value": int(known.sum()),
                     "without_value": int((~known).sum()), "missing": sorted(df.language[~known]),
                     "description": description})
    return pd.DataFrame(rows)


def predictor_values(cov: pd.DataFrame, predictor: str) -> tuple[pd.Series, list[str]]:
    """(values indexed by language, languages excluded because the predictor is unknown for them)."""
    lookup(PREDICTORS, predictor, "resource predictor")
    values = cov.set_index("language")[predictor].astype(float)
    return values.dropna(), sorted(values.index[values.isna()])


def exclusion_reasons(cov: pd.DataFrame, predictor: str) -> dict[str, list[str]]:
    """The languages a predictor leaves out, by reason: unseen in pretraining (size predictors only) or no value."""
    _, excluded = predictor_values(cov, predictor)
    seen = cov.set_index("language").seen
    unseen = [c for c in excluded if predictor in SIZE_PREDICTORS and not seen.get(c, False)]
    return {"unseen": unseen, "no value": [c for c in excluded if c not in unseen]}
