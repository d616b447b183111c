"""Low-resource zero-shot suites as data: Belebele, AfriSenti, MasakhaNER 2.0, AmericasNLI, NusaX-Senti.
Loader: rxlt.data.suite_loader.

Every entry names its English (or stated) training source, its metric and direction (rxlt.data.metric_directions.METRICS),
its languages and, per language, the code upstream files and hub configs use and the ISO 639-3 code (`codes`; the
language table rxlt.languages resolves both). In frames the English variety is always "en" (the project's source
language, so averages "excluding English" mean it); every other language keeps its upstream code.

Sources, read in full in fetched repositories (exact commits):
- facebookresearch/belebele@918890beb2290a8d3ef2d7a90369925959e1bacf README.md (122 variants, FLORES-200 codes,
  900 questions each, `correct_answer_num` one-indexed, "the metric of interest is simple accuracy", the
  "English finetune & multilingual evaluation" setting on the assembled English training set) and
  assemble_training_set.py (RACE, SciQ, MultiRC, MCTest, MCScript2.0, ReClor -> `belebele_training_set.tsv`,
  written with pandas `to_csv(sep="\t")`: an index column, then dataset, split (train|dev), passage_id, question_id,
  passage, question, answer1..4, correct_answer, correct_answer_num);
- afrisenti-semeval/afrisent-semeval-2023@5aec3cfcf87b59f885e98641f72e52182776429d data/<lang>/{train,dev,test}.tsv
  (header `tweet<TAB>label`, orm/test.tsv also an ID column; orm and tir have empty train files: the zero-shot track,
  subtask C) and evaluation_script/evaluation.py (sklearn f1_score average="weighted" is the reported
  "avg_f1_score"; macro is printed too);
- masakhane-io/masakhane-ner@ba5843cd08aa491d5f96a5e809e71eb9ec461391 MasakhaNER2.0/README.md (20 languages),
  MasakhaNER2.0/data/<lang>/{train,dev,test}.txt ("token TAG", blank line between sentences),
  MasakhaNER2.0/transfer_corpus/en/{train,dev,test}.txt (CoNLL-03 English with MISC removed: 14,041 train
  sentences, PER/ORG/LOC only), code/utils_ner.py get_labels and code/train_ner.py (seqeval f1_score);
- abteen/americasnli@bebd02ca1e4529016fca2e4554a5c48c285b8fba data/anli_final/{dev,test}/<lang>.tsv (header
  id, language, premise, hypothesis, label), configs/dataset/finetuning/anli_default.yaml (train: MNLI
  multinli_1.0_train.txt; model selection on English XNLI dev, `xnli_language: ['en']`),
  configs/training_arguments/finetuning/zs_default.yaml (batch 32, 5 epochs, lr 2e-5,
  metric_for_best_model eval_en_accuracy);
- IndoNLP/nusax@75b0be5d982348332509f296e10d9bf9cb66d60f datasets/sentiment/<language name>/{train,valid,test}.csv
  (header id,text,label; 500/100/400 rows per language, the same ids in every language: parallel, English
  included), code/notebook/sentiment_analysis_nusax_classical.ipynb (f1_score average='macro').
Hub ids and config names: MTEB's task metadata (code index) for indonlp/NusaX-senti and
shmuhammad/AfriSenti-twitter-sentiment; lm-evaluation-harness / MTEB copies (code index) for nala-cub/americas_nli;
facebook/belebele README.md on the hub (pages corpus: one config per FLORES code, split test, data/<code>.jsonl).
Hub label orders not read from a builder are marked RECALLED; rxlt.data.suite_loader prefers the ClassLabel names
stored in a parquet file's own metadata and refuses integer labels it cannot name.
"""
from __future__ import annotations

from rxlt.lookup import lookup

BELEBELE_FLORES = [
    "acm_Arab", "afr_Latn", "als_Latn", "amh_Ethi", "apc_Arab", "arb_Arab", "arb_Latn", "ars_Arab", "ary_Arab",
    "arz_Arab", "asm_Beng", "azj_Latn", "bam_Latn", "ben_Beng", "ben_Latn", "bod_Tibt", "bul_Cyrl", "cat_Latn",
    "ceb_Latn", "ces_Latn", "ckb_Arab", "dan_Latn", "deu_Latn", "ell_Grek", "eng_Latn", "est_Latn", "eus_Latn",
    "fin_Latn", "fra_Latn", "fuv_Latn", "gaz_Latn", "grn_Latn", "guj_Gujr", "hat_Latn", "hau_Latn", "heb_Hebr",
    "hin_Deva", "hin_Latn", "hrv_Latn", "hun_Latn", "hye_Armn", "ibo_Latn", "ilo_Latn", "ind_Latn", "isl_Latn",
    "ita_Latn", "jav_Latn", "jpn_Jpan", "kac_Latn", "kan_Knda", "kat_Geor", "kaz_Cyrl", "kea_Latn", "khk_Cyrl",
    "khm_Khmr", "kin_Latn", "kir_Cyrl", "kor_Hang", "lao_Laoo", "lin_Latn", "lit_Latn", "lug_Latn", "luo_Latn",
    "lvs_Latn", "mal_Mlym", "mar_Deva", "mkd_Cyrl", "mlt_Latn", "mri_Latn", "mya_Mymr", "nld_Latn", "nob_Latn",
    "npi_Deva", "npi_Latn", "nso_Latn", "nya_Latn", "ory_Orya", "pan_Guru", "pbt_Arab", "pes_Arab", "plt_Latn",
    "pol_Latn", "por_Latn", "ron_Latn", "rus_Cyrl", "shn_Mymr", "sin_Latn", "sin_Sinh", "slk_Latn", "slv_Latn",
    "sna_Latn", "snd_Arab", "som_Latn", "sot_Latn", "spa_Latn", "srp_Cyrl", "ssw_Latn", "sun_Latn", "swe_Latn",
    "swh_Latn", "tam_Taml", "tel_Telu", "tgk_Cyrl", "tgl_Latn", "tha_Thai", "tir_Ethi", "tsn_Latn", "tso_Latn",
    "tur_Latn", "ukr_Cyrl", "urd_Arab", "urd_Latn", "uzn_Latn", "vie_Latn", "war_Latn", "wol_Latn", "xho_Latn",
    "yor_Latn", "zho_Hans", "zho_Hant", "zsm_Latn", "zul_Latn",
]  # belebele@918890b README "Languages in Belebele" (122 rows; its `ary_arab` is the hub's config `ary_Arab`)

AFRISENTI = ["amh", "arq", "ary", "hau", "ibo", "kin", "orm", "pcm", "por", "swa", "tir", "tso", "twi", "yor"]
MASAKHANER2 = ["bam", "bbj", "ewe", "fon", "hau", "ibo", "kin", "lug", "luo", "mos", "nya", "pcm", "sna", "swa", "tsn",
               "twi", "wol", "xho", "yor", "zul"]
# abteen/americasnli data/anli_final/test/<code>.tsv; ISO 639-3 where the code is one. `gn` is ISO 639-1 (Guarani,
# grn); `nah` (Nahuatl languages) and `oto` (Otomian languages) are ISO 639-5 collective codes and upstream names no
# single variety, so they have no ISO 639-3 code here: the language table must resolve the upstream code itself.
AMERICASNLI = {"aym": "aym", "bzd": "bzd", "cni": "cni", "gn": "grn", "hch": "hch", "nah": None, "oto": None,
               "quy": "quy", "shp": "shp", "tar": "tar"}
# NusaX folder names (IndoNLP/nusax datasets/sentiment/) -> ISO 639-3 = the hub configs (MTEB eval_langs)
NUSAX = {"ace": "acehnese", "ban": "balinese", "bbc": "toba_batak", "bjn": "banjarese", "bug": "buginese",
         "ind": "indonesian", "jav": "javanese", "mad": "madurese", "min": "minangkabau", "nij": "ngaju",
         "sun": "sundanese"}
MASAKHANER2_TAGS = ["O", "B-DATE", "I-DATE", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC"]  # utils_ner.get_labels
SENTIMENT = ["negative", "neutral", "positive"]
NLI = ["entailment", "neutral", "contradiction"]

# English training sources the tasks below name (rows: English `train` and `dev` splits of the task)
ENGLISH_SOURCES: dict[str, dict] = {
    "belebele-train": {
        "kind": "multiple_choice",
        "what": "Belebele's assembled English training set (RACE, SciQ, MultiRC, MCTest, MCScript2.0, ReClor: 67.5k "
                "train / 3.7k dev questions, belebele README); no hub copy: build it with assemble_training_set.py",
        "local": {"format": "belebele_train", "train": ["belebele_training_set.tsv", "belebele/belebele_training_set.tsv"],
                  "dev": ["belebele_training_set.tsv", "belebele/belebele_training_set.tsv"]},
        "hub": None,
    },
    "tweeteval-sentiment": {
        "kind": "classification",
        "what": "TweetEval sentiment (English tweets, SemEval-2017 Task 4A; 0 negative, 1 neutral, 2 positive: "
                "cardiffnlp/tweeteval@8df207ad6fcdab017000ad5196f797cd21f9a30f datasets/sentiment/mapping.txt)",
        "local": {"format": "tweeteval",
                  "train": ["tweeteval/datasets/sentiment/train_text.txt", "datasets/sentiment/train_text.txt"],
                  "dev": ["tweeteval/datasets/sentiment/val_text.txt", "datasets/sentiment/val_text.txt"]},
        "hub": {"id": "cardiffnlp/tweet_eval", "config": "sentiment", "revision": None,
                "splits": {"train": "train", "dev": "validation"}, "columns": {"text": "text"},
                "label_column": "label", "labels": SENTIMENT},
    },
    "conll2003-en-nomisc": {
        "kind": "tagging",
        "what": "CoNLL-2003 English without MISC, as MasakhaNER 2.0's transfer corpus (transfer_corpus/en)",
        "local": {"format": "conll_space",
                  "train": ["MasakhaNER2.0/transfer_corpus/en/train.txt",
                            "masakhane-ner/MasakhaNER2.0/transfer_corpus/en/train.txt"],
                  "dev": ["MasakhaNER2.0/transfer_corpus/en/dev.txt",
                          "masakhane-ner/MasakhaNER2.0/transfer_corpus/en/dev.txt"]},
        # the hub's CoNLL-2003 with its MISC tags turned into O gives transfer_corpus/en's tags (same 14,041 train
        # sentences; 6,600 B-PER in both); ClassLabel order RECALLED (O, B-PER, I-PER, B-ORG, I-ORG, B-LOC, I-LOC,
        # B-MISC, I-MISC)
        "hub": {"id": "eriktks/conll2003", "config": "conll2003", "revision": None,
                "splits": {"train": "train", "dev": "validation"}, "columns": {"tokens": "tokens"},
                "label_column": "ner_tags",
                "labels": ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC", "B-MISC", "I-MISC"],
                "tag_map": {"B-MISC": "O", "I-MISC": "O"}},
    },
    "mnli-xnli-dev": {
        "kind": "classification",
        "what": "MNLI train (rxlt.data.hub_tasks 'mnli', or XNLI-MT's multinli.train.en via rxlt.data.xtreme_loader) "
                "and English XNLI dev for model selection (AmericasNLI anli_default.yaml)",
        "local": None, "hub": None,  # delegated: rxlt.data.catalog's xnli train, rxlt.data.xtreme_loader xnli dev en
    },
}

LOWRES_TASKS: dict[str, dict] = {
    "belebele": {
        "suite": "belebele", "kind": "multiple_choice",
        "languages": ["en" if c == "eng_Latn" else c for c in BELEBELE_FLORES],
        "codes": {("en" if c == "eng_Latn" else c): {"upstream": c, "iso639_3": c.split("_")[0]} for c in BELEBELE_FLORES},
        "english_task": "belebele-train",
        "metric": "accuracy",  # README: "simple accuracy (# correct / total)"
        "labels": None, "choices": 4,
        "parallel": True,  # the same 900 questions (link + question_number) in every variant
        "hub": {"id": "facebook/belebele", "config": "{code}", "revision": None, "splits": {"test": "test"},
                "snapshot_files": "data/{code}.jsonl"},
        # Belebele.zip (dl.fbaipublicfiles.com/belebele) and the hub's data/: one <code>.jsonl per variant
        "local": {"format": "belebele", "test": ["Belebele/{code}.jsonl", "belebele/{code}.jsonl", "data/{code}.jsonl"]},
    },
    "afrisenti": {
        "suite": "afrisenti", "kind": "classification",
        "languages": list(AFRISENTI),
        "codes": {c: {"upstream": c, "iso639_3": c} for c in AFRISENTI},  # `swa`, `por`: macrolanguage / Mozambican
        # AfriSenti has no English data: its zero-shot track (subtask C: orm, tir) trains on the other African
        # languages. rxlt's question is transfer from English, so rxlt trains on English tweets with the same three
        # labels — rxlt's choice, not the shared task's
        "english_task": "tweeteval-sentiment",
        "metric": "weighted_f1",  # evaluation_script/evaluation.py: f1_score(average="weighted")
        "labels": SENTIMENT,
        "parallel": False,
        "hub": {"id": "shmuhammad/AfriSenti-twitter-sentiment", "config": "{code}", "revision": None,
                # seen, not pinned: MTEB pins b52e930385cf5ed7f063072c3f7bd17b599a16cf
                "splits": {"dev": "validation", "test": "test"}, "columns": {"text": "tweet"},
                "label_column": "label", "labels": None},  # ClassLabel order unverified: names from parquet metadata
        "local": {"format": "afrisenti",
                  "dev": ["afrisent-semeval-2023/data/{code}/dev.tsv", "data/{code}/dev.tsv"],
                  "test": ["afrisent-semeval-2023/data/{code}/test.tsv", "data/{code}/test.tsv"]},
    },
    "masakhaner2": {
        "suite": "masakhaner", "kind": "tagging",
        "languages": list(MASAKHANER2),
        "codes": {c: {"upstream": c, "iso639_3": c} for c in MASAKHANER2},
        # zero-shot from English: the paper's English source is its transfer corpus (CoNLL-03 without MISC); the
        # English model never sees DATE, which upstream's seqeval F1 still counts in the target languages
        "english_task": "conll2003-en-nomisc",
        "metric": "seqeval_f1",  # train_ner.py: seqeval f1_score (default mode, micro)
        "labels": MASAKHANER2_TAGS,
        "parallel": False,
        "hub": {"id": "masakhane/masakhaner2", "config": "{code}", "revision": None,
                "splits": {"dev": "validation", "test": "test"}, "columns": {"tokens": "tokens"},
                "label_column": "ner_tags",  # RECALLED order of the hub builder
                "labels": ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC", "B-DATE", "I-DATE"]},
        "local": {"format": "conll_space",
                  "dev": ["MasakhaNER2.0/data/{code}/dev.txt", "masakhane-ner/MasakhaNER2.0/data/{code}/dev.txt"],
                  "test": ["MasakhaNER2.0/data/{code}/test.txt", "masakhane-ner/MasakhaNER2.0/data/{code}/test.txt"]},
    },
    "americasnli": {
        "suite": "americasnli", "kind": "classification",
        "languages": list(AMERICASNLI),
        "codes": {c: {"upstream": c, "iso639_3": iso} for c, iso in AMERICASNLI.items()},
        "english_task": "mnli-xnli-dev",  # anli_default.yaml: MNLI train, English XNLI dev selects
        "metric": "accuracy",  # zs_default.yaml metric_for_best_model eval_en_accuracy; the paper reports accuracy
        "labels": NLI,
        "parallel": True,  # translations of the same XNLI items (no shared ids across the files)
        "hub": {"id": "nala-cub/americas_nli", "config": "{code}", "revision": None,
                "splits": {"dev": "validation", "test": "test"},
                "columns": {"text": "premise", "text_pair": "hypothesis"}, "label_column": "label",
                "labels": NLI},  # tensorflow/datasets community catalog americas_nli.md: ClassLabel names
        "local": {"format": "anli",
                  "dev": ["americasnli/data/anli_final/dev/{code}.tsv", "data/anli_final/dev/{code}.tsv",
                          "anli_final/dev/{code}.tsv"],
                  "test": ["americasnli/data/anli_final/test/{code}.tsv", "data/anli_final/test/{code}.tsv",
                           "anli_final/test/{code}.tsv"]},
    },
    "nusax": {
        "suite": "nusax", "kind": "classification",
        "languages": ["en", *NUSAX],
        "codes": {"en": {"upstream": "eng", "iso639_3": "eng"}, **{c: {"upstream": c, "iso639_3": c} for c in NUSAX}},
        # NusaX-Senti's own English split: the English translations of the same 500/100/400 items, so no English
        # training item's translation is ever a test item in another language (ids are split-parallel)
        "english_task": "nusax-eng",
        "metric": "macro_f1",  # the authors' baseline notebook: f1_score(average='macro')
        "labels": SENTIMENT,
        "parallel": True,
        "hub": {"id": "indonlp/NusaX-senti", "config": "{code}", "revision": None,
                # seen, not pinned: MTEB pins a450ba4b1b6d2216c3674d3e576b2e85ce729add
                "splits": {"train": "train", "dev": "validation", "test": "test"}, "columns": {"text": "text"},
                "label_column": "label", "labels": SENTIMENT},  # dataset card: 0 negative, 1 neutral, 2 positive
        "local": {"format": "nusax",
                  "train": ["nusax/datasets/sentiment/{name}/train.csv", "datasets/sentiment/{name}/train.csv"],
                  "dev": ["nusax/datasets/sentiment/{name}/valid.csv", "datasets/sentiment/{name}/valid.csv"],
                  "test": ["nusax/datasets/sentiment/{name}/test.csv", "datasets/sentiment/{name}/test.csv"]},
        "names": {"en": "english", **NUSAX},
    },
}
for _name, _spec in LOWRES_TASKS.items():
    _spec["source"] = {"belebele": "facebookresearch/belebele@918890b", "afrisenti": "afrisent-semeval-2023@5aec3cf",
                       "masakhaner2": "masakhane-ner@ba5843c", "americasnli": "abteen/americasnli@bebd02c",
                       "nusax": "IndoNLP/nusax@75b0be5"}[_name]


def lowres_task(name: str) -> dict:
    return lookup(LOWRES_TASKS, name, "low-resource suite task")
