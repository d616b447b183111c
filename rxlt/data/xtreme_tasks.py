"""The XTREME-R tasks (plus XTREME's PAWS-X) as data: languages, English source task, metric, sources.

Sources cited next to every list: `google-research/xtreme:evaluate.py@838c13b` (task→languages, groups,
metric per task) as transcribed in /work/shared/reference/protocols.md §2.1 and languages.md (the
"XTREME-R tasks" column, computed from that file); hub ids from protocols.md §2.3. File names and layouts
were checked against the upstream sources themselves (code index, full commits):
- google-research/xtreme@091824888a60162ad9ea10d7fe67aa561615e4ca `scripts/download_data.sh` and
  `utils_preprocess.py` (the `download/` directory: xnli/, pawsx/, udpos/, panx/, tatoeba/, squad/, xquad/,
  mlqa/MLQA_V1/, tydiqa/, xcopa/, siqa/);
- google-research/xtreme@f7920c9a4b3735568b3c99fa3ceea05367c6fe12 `scripts/download_mewslix_data.sh`
  (download/mewslix/) and @9d85d92b4d101f4300cc32d8f61effe68708d5cb `scripts/download_lareqa_data.sh`
  (download/lareqa/ = google-research-datasets/lareqa's tree);
- google-research/xtreme@66367fa3275ada6b285950f6dac4ccdaa2ff1649 `third_party/evaluate_retrieval.py`
  (which files the LAReQA, Mewsli-X and Tatoeba evaluations open).

`local` names, per split, the files a task reads under a data directory, first match wins: the
directory `scripts/download_data.sh` writes (`download/<task>/...`) and the upstream release layouts
where they differ. `{lang}` is the ISO code, `{lang3}` the LASER/Tatoeba 3-letter code, `{name}` the
TyDiQA language name. Splits: `train` = the English training data, `train_dev` = its held-out part where
the release has one (Mewsli-X), `dev` = dev data (English dev is the model-selection set; `english_dev`
marks a task whose English dev file exists although English is not a test language), `test` = the
evaluation data. A pattern without `{lang}` holds English only, except the XNLI-1.0 release files.
"""
from __future__ import annotations

from rxlt.lookup import lookup

KINDS = ("classification", "multiple_choice", "tagging", "qa", "retrieval")

# Universal POS tags in the order of google/xtreme's `udpos.*` ClassLabel (RECALLED from
# huggingface/datasets:datasets/xtreme/xtreme.py; alphabetical UD v2 UPOS set).
UPOS = ["ADJ", "ADP", "ADV", "AUX", "CCONJ", "DET", "INTJ", "NOUN", "NUM", "PART", "PRON", "PROPN", "PUNCT",
        "SCONJ", "SYM", "VERB", "X"]
# WikiANN tags in the ClassLabel order of unimelb-nlp/wikiann and google/xtreme PAN-X.* (RECALLED).
PANX_TAGS = ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC"]

# LASER/Tatoeba 3-letter codes -> ISO, exactly utils_preprocess.py:tatoeba_preprocess's lang3_dict.
TATOEBA_LANG3 = {
    "afr": "af", "ara": "ar", "bul": "bg", "ben": "bn", "deu": "de", "ell": "el", "spa": "es", "est": "et",
    "eus": "eu", "pes": "fa", "fin": "fi", "fra": "fr", "heb": "he", "hin": "hi", "hun": "hu", "ind": "id",
    "ita": "it", "jpn": "ja", "jav": "jv", "kat": "ka", "kaz": "kk", "kor": "ko", "mal": "ml", "mar": "mr",
    "nld": "nl", "por": "pt", "rus": "ru", "swh": "sw", "tam": "ta", "tel": "te", "tha": "th", "tgl": "tl",
    "tur": "tr", "urd": "ur", "vie": "vi", "cmn": "zh", "aze": "az", "lit": "lt", "pol": "pl", "ukr": "uk",
    "ron": "ro",
}
# TyDiQA file language names -> ISO, utils_preprocess.py:tydiqa_preprocess's LANG2ISO.
TYDIQA_NAMES = {"arabic": "ar", "bengali": "bn", "english": "en", "finnish": "fi", "indonesian": "id",
                "korean": "ko", "russian": "ru", "swahili": "sw", "telugu": "te"}

# Revisions: `None` means "the hub's default branch"; `rxlt.data.xtreme_loader.load` warns, and whatever commit is
# actually read is recorded in results.json (rxlt.data.provenance). A pin needs a full 40-hex commit from a
# citable source AND evidence that the commit holds every config's data files; none met both offline. Seen
# but NOT pinned (no evidence they are complete, loadable states of the repository):
# - facebook/xnli 30f05912bbad2b003b679a8f0b90ca71303c154f ("Add bg data files", mid-conversion;
#   https://huggingface.co/datasets/facebook/xnli/blob/30f05912bbad2b003b679a8f0b90ca71303c154f/README.md),
#   4846bbb2cb0061ee797774ec263147d504166488 (a mirror's copy of facebook/xnli README, git.lnyan.com),
#   b8dd5d7af51114dbda02c0e3f6133f332186418e (https://huggingface.co/datasets/xnli/blame/b8dd5d7.../README.md);
# - google/xquad 51adfef ("Convert dataset to Parquet (#3)") — short SHA only.
# Pin with `huggingface_hub.HfApi().dataset_info(id).sha` before a published run.
UNVERIFIED = None

XTREME_TASKS: dict[str, dict] = {
    "xnli": {
        "kind": "classification", "group": "classification",
        # 15 languages: evaluate.py@838c13b TASK2LANGS (protocols.md §2.1; languages.md "XN")
        "languages": ["ar", "bg", "de", "el", "en", "es", "fr", "hi", "ru", "sw", "th", "tr", "ur", "vi", "zh"],
        "english_task": "mnli",  # XNLI-MT-1.0 multinli.train.en (utils_preprocess.py:xnli_preprocess)
        "metric": "accuracy",  # evaluate.py METRIC_FUNCTION['xnli']
        # utils_preprocess.py maps XNLI's "contradictory" to "contradiction"; we do the same everywhere
        "labels": ["entailment", "neutral", "contradiction"],
        "parallel": True,
        # facebook/xnli README@30f0591 (hub blob page): per-language configs, columns premise/hypothesis/label
        # (0 entailment, 1 neutral, 2 contradiction), train 392,702 / validation 2,490 / test 5,010 rows. That
        # commit is mid-conversion ("Add bg data files"), so it is cited, not pinned.
        "hub": {"id": "facebook/xnli", "config": "{lang}", "revision": UNVERIFIED,  # protocols.md §2.3
                "splits": {"train": "train", "dev": "validation", "test": "test"}},
        "local": {"format": "xnli",
                  "train": ["xnli/train-en.tsv", "XNLI-MT-1.0/multinli/multinli.train.en.tsv"],
                  "dev": ["xnli/dev-{lang}.tsv", "XNLI-1.0/xnli.dev.tsv"],
                  "test": ["xnli/test-{lang}.tsv", "XNLI-1.0/xnli.test.tsv"]},
    },
    "pawsx": {
        "kind": "classification", "group": "classification",  # XTREME only (evaluate.py GROUP2TASK, v1)
        "languages": ["de", "en", "es", "fr", "ja", "ko", "zh"],  # evaluate.py TASK2LANGS['pawsx']
        "english_task": "paws",  # PAWS-Wiki English train (utils_preprocess.py:pawsx_preprocess, en/train.tsv)
        "metric": "accuracy",
        "labels": ["different", "paraphrase"],  # PAWS-X label 0 / 1 ("1" = paraphrase)
        "parallel": True,
        "hub": {"id": "google-research-datasets/paws-x", "config": "{lang}", "revision": UNVERIFIED,
                "splits": {"train": "train", "dev": "validation", "test": "test"}},
        "local": {"format": "pawsx",
                  "train": ["pawsx/train-en.tsv", "x-final/en/train.tsv"],
                  "dev": ["pawsx/dev-{lang}.tsv", "x-final/{lang}/dev_2k.tsv"],
                  "test": ["pawsx/test-{lang}.tsv", "x-final/{lang}/test_2k.tsv"]},
    },
    "xcopa": {
        "kind": "multiple_choice", "group": "classification",  # evaluate.py@838c13b lists it under both
        # 11 languages: languages.md "XC"; download_data.sh download_xcopa langs=(et ht id it qu sw ta th tr vi zh)
        "languages": ["et", "ht", "id", "it", "qu", "sw", "ta", "th", "tr", "vi", "zh"],
        "english_task": ["siqa", "copa"],  # SIQA first, then COPA (train_xcopa.sh; protocols.md §2.1)
        "metric": "accuracy",
        "labels": None,
        "parallel": True,
        # English dev = COPA val: xtreme@c061466 third_party/xcopa_data/xcopa_data.py config "en" has
        # validation = download/xcopa/val-en.jsonl (written as val.en.jsonl by download_data.sh@0918248) and
        # train = COPA train; train_xcopa.sh runs --do_eval on it. English is not a test language.
        "english_dev": True,
        "hub": {"id": "cambridgeltl/xcopa", "config": "{lang}", "revision": UNVERIFIED,
                "splits": {"dev": "validation", "test": "test"}},
        # download_data.sh@0918248 download_xcopa: COPA/{train,val,test}.jsonl -> xcopa/{split}.en.jsonl and
        # cambridgeltl/xcopa data/{lang}/{val,test}.{lang}.jsonl -> xcopa/; fields premise, choice1, choice2,
        # question (cause|effect), label, idx (+ changed in XCOPA)
        "local": {"format": "xcopa",
                  "train": ["xcopa/train.en.jsonl", "COPA/train.jsonl"],
                  "dev": ["xcopa/val.{lang}.jsonl", "data/{lang}/val.{lang}.jsonl", "COPA/val.jsonl"],
                  "test": ["xcopa/test.{lang}.jsonl", "data/{lang}/test.{lang}.jsonl"]},
    },
    "udpos": {
        "kind": "tagging", "group": "tagging",
        # 38 languages: languages.md "POS" (evaluate.py@838c13b; XTREME's 33 + lt pl uk wo ro, UD v2.7)
        "languages": ["af", "ar", "bg", "de", "el", "en", "es", "et", "eu", "fa", "fi", "fr", "he", "hi", "hu",
                      "id", "it", "ja", "kk", "ko", "lt", "mr", "nl", "pl", "pt", "ro", "ru", "ta", "te", "th",
                      "tl", "tr", "uk", "ur", "vi", "wo", "yo", "zh"],
        "english_task": "udpos-en",  # all English UD train treebanks pooled (utils_preprocess.py:udpos_preprocess)
        "metric": "seqeval_f1",  # evaluate.py METRIC_FUNCTION['udpos'] = seqeval f1 on POS tags
        "labels": UPOS,
        "parallel": False,
        # google/xtreme covers the 33 XTREME languages only (protocols.md §2.3); config udpos.<English name>.
        # Its rows are UD v2.5 *syntactic words* (huggingface datasets xtreme.py skips range lines), unlike
        # download/udpos, whose multiword tokens are fused (rxlt.data.readers.conllu reads raw CoNLL-U that way)
        "hub": {"id": "google/xtreme", "config": "udpos.{name}", "revision": UNVERIFIED,
                "splits": {"train": "train", "dev": "validation", "test": "test"},
                "columns": {"tokens": "tokens", "tags": "pos_tags"}},
        # download_data.sh@0918248 download_udpos: ud-treebanks-v2.7, every treebank of a language pooled
        # (utils_preprocess.py udpos_preprocess) into udpos/{split}-{lang}.tsv (token<TAB>UPOS; test tags removed,
        # refused). Raw CoNLL-U: all treebanks of the language are pooled the same way; files are matched as
        # <lang>_<treebank>-ud-<split>.conllu under udpos/, the release folder ud-treebanks-v2.*/ or UD_*/
        "local": {"format": "udpos",
                  "train": ["udpos/train-en.tsv", "udpos/UD_*/{lang}_*-ud-train.conllu",
                            "ud-treebanks-v2.*/UD_*/{lang}_*-ud-train.conllu", "UD_*/{lang}_*-ud-train.conllu"],
                  "dev": ["udpos/dev-{lang}.tsv", "udpos/UD_*/{lang}_*-ud-dev.conllu",
                          "ud-treebanks-v2.*/UD_*/{lang}_*-ud-dev.conllu", "UD_*/{lang}_*-ud-dev.conllu"],
                  "test": ["udpos/test-{lang}.tsv", "udpos/UD_*/{lang}_*-ud-test.conllu",
                           "ud-treebanks-v2.*/UD_*/{lang}_*-ud-test.conllu", "UD_*/{lang}_*-ud-test.conllu"]},
    },
    "panx": {
        "kind": "tagging", "group": "tagging",
        # 48 languages: languages.md "NER"; download_data.sh download_panx langs (40 XTREME + qu pl uk az lt pa gu ro)
        "languages": ["af", "ar", "az", "bg", "bn", "de", "el", "en", "es", "et", "eu", "fa", "fi", "fr", "gu",
                      "he", "hi", "hu", "id", "it", "ja", "jv", "ka", "kk", "ko", "lt", "ml", "mr", "ms", "my",
                      "nl", "pa", "pl", "pt", "qu", "ro", "ru", "sw", "ta", "te", "th", "tl", "tr", "uk", "ur",
                      "vi", "yo", "zh"],
        "english_task": "panx-en",  # WikiANN English train (Rahimi et al. 2019 split)
        "metric": "seqeval_f1",
        "labels": PANX_TAGS,
        "parallel": False,
        # unimelb-nlp/wikiann has all 48 (protocols.md §2.3, RECALLED; same Rahimi et al. splits)
        "hub": {"id": "unimelb-nlp/wikiann", "config": "{lang}", "revision": UNVERIFIED,
                "splits": {"train": "train", "dev": "validation", "test": "test"},
                "columns": {"tokens": "tokens", "tags": "ner_tags"}},
        "local": {"format": "panx",
                  "train": ["panx/train-en.tsv", "panx_dataset/en-train"],
                  "dev": ["panx/dev-{lang}.tsv", "panx_dataset/{lang}-dev"],
                  "test": ["panx/test-{lang}.tsv", "panx_dataset/{lang}-test"]},
    },
    "xquad": {
        "kind": "qa", "group": "qa",
        "languages": ["ar", "de", "el", "en", "es", "hi", "ro", "ru", "th", "tr", "vi", "zh"],  # languages.md "XQ"
        "english_task": "squad",  # SQuAD v1.1 (download_data.sh download_squad)
        "metric": "squad",  # evaluate.py squad_em_f1; task score (EM+F1)/2
        "labels": None,
        "parallel": True,  # XQuAD question ids are SQuAD ids shared by the 12 translations
        "hub": {"id": "google/xquad", "config": "xquad.{lang}", "revision": UNVERIFIED,  # protocols.md §2.3
                "splits": {"test": "validation"}},
        "local": {"format": "squad",
                  "train": ["squad/train-v1.1.json"],
                  "dev": ["squad/dev-v1.1.json"],
                  "test": ["xquad/xquad.{lang}.json"]},
    },
    "mlqa": {
        "kind": "qa", "group": "qa",
        "languages": ["ar", "de", "en", "es", "hi", "vi", "zh"],  # evaluate.py TASK2LANGS['mlqa']
        "english_task": "squad",
        "metric": "mlqa",  # evaluate.py mlqa_em_f1 (third_party/evaluate_mlqa.py, per-language normalisation)
        "labels": None,
        "parallel": True,  # MLQA ids are shared by the parallel versions of an instance
        "hub": {"id": "facebook/mlqa", "config": "mlqa.{lang}.{lang}", "revision": UNVERIFIED,
                "splits": {"dev": "validation", "test": "test"}},
        # download_data.sh unzips MLQA_V1.zip into mlqa/ and blanks the answers of MLQA_V1/test (refused);
        # MLQA_V1/ is the release layout
        "local": {"format": "squad",
                  "train": ["squad/train-v1.1.json"],
                  "dev": ["mlqa/MLQA_V1/dev/dev-context-{lang}-question-{lang}.json",
                          "MLQA_V1/dev/dev-context-{lang}-question-{lang}.json"],
                  "test": ["mlqa/MLQA_V1/test/test-context-{lang}-question-{lang}.json",
                           "MLQA_V1/test/test-context-{lang}-question-{lang}.json"]},
    },
    "tydiqa": {
        "kind": "qa", "group": "qa",
        "languages": ["ar", "bn", "en", "fi", "id", "ko", "ru", "sw", "te"],  # evaluate.py TASK2LANGS['tydiqa']
        "english_task": "tydiqa-en",  # TyDiQA-GoldP English train (protocols.md §2.1)
        "metric": "squad",  # evaluate.py squad_em_f1
        "labels": None,
        "parallel": False,
        # google/xtreme config "tydiqa": all languages in one split, language = id prefix (protocols.md §2.3)
        "hub": {"id": "google/xtreme", "config": "tydiqa", "revision": UNVERIFIED,
                "splits": {"train": "train", "test": "validation"}},
        # utils_preprocess.py@0918248 tydiqa_preprocess: splits the train file into
        # tydiqa-goldp-v1.1-train/tydiqa.goldp.<iso>.train.json (ids reduced to their numeric suffix), moves the
        # original there, renames dev files tydiqa-goldp-dev-<name>.json -> tydiqa.goldp.<iso>.dev.json and blanks
        # their answers (refused). Release layout: tydiqa-goldp-v1.1-train.json, tydiqa-goldp-v1.1-dev/.
        "local": {"format": "squad",
                  "train": ["tydiqa/tydiqa-goldp-v1.1-train/tydiqa.goldp.en.train.json",
                            "tydiqa/tydiqa-goldp-v1.1-train/tydiqa-goldp-v1.1-train.json",
                            "tydiqa/tydiqa-goldp-v1.1-train.json", "tydiqa-goldp-v1.1-train.json"],
                  "test": ["tydiqa/tydiqa-goldp-v1.1-dev/tydiqa.goldp.{lang}.dev.json",
                           "tydiqa/tydiqa-goldp-v1.1-dev/tydiqa-goldp-dev-{name}.json",
                           "tydiqa-goldp-v1.1-dev/tydiqa-goldp-dev-{name}.json"]},
    },
    "mewslix": {
        "kind": "retrieval", "group": "retrieval",
        "languages": ["ar", "de", "en", "es", "fa", "ja", "pl", "ro", "ta", "tr", "uk"],  # utils_mewslix.MENTION_LANGUAGES
        # English Wikipedia mention-entity pairs: train_mewslix.sh@66367fa fine-tunes a dual encoder on
        # wikipedia_pairs-train.jsonl, selecting on wikipedia_pairs-dev.jsonl (split "train_dev" here); phase 2
        # trains rxlt.model.heads.DualEncoder on them (RETRIEVAL_TRAINING_TASKS below).
        "english_task": "wikipedia-pairs",
        # evaluate.py@838c13b mewslix_map20 reports "map@20" = utils_mewslix.evaluate(k=20), which is MRR@20
        # over the gold examples of each language (one gold entity, predictions cut at 20, a missing one scores 0)
        "metric": "mrr_at_20",
        "labels": None,
        "parallel": False,
        "hub": None,  # no canonical hub copy (protocols.md §2.3): build with xtreme's download script
        # download_mewslix_data.sh@f7920c9 moves get-mewsli-x.sh's mewsli_x/output/dataset/ files into
        # download/mewslix/; evaluate_retrieval.py@66367fa (task mewslix) reads candidate_set_entities.jsonl and
        # wikinews_mentions-*.jsonl. Formats: rxlt.data.mewslix.
        "local": {"format": "mewslix",
                  "candidates": ["mewslix/candidate_set_entities.jsonl", "candidate_set_entities.jsonl",
                                 "mewsli_x/output/dataset/candidate_set_entities.jsonl"],
                  "train": ["mewslix/wikipedia_pairs-train.jsonl", "wikipedia_pairs-train.jsonl",
                            "mewsli_x/output/dataset/wikipedia_pairs-train.jsonl"],
                  "train_dev": ["mewslix/wikipedia_pairs-dev.jsonl", "wikipedia_pairs-dev.jsonl",
                                "mewsli_x/output/dataset/wikipedia_pairs-dev.jsonl"],
                  "dev": ["mewslix/wikinews_mentions-dev.jsonl", "wikinews_mentions-dev.jsonl",
                          "mewsli_x/output/dataset/wikinews_mentions-dev.jsonl"],
                  "test": ["mewslix/wikinews_mentions-test.jsonl", "wikinews_mentions-test.jsonl",
                           "mewsli_x/output/dataset/wikinews_mentions-test.jsonl"]},
    },
    "lareqa": {
        "kind": "retrieval", "group": "retrieval",
        # XQuAD-R languages (languages.md "LQ"; evaluate.py leaves 'lareqa': [])
        "languages": ["ar", "de", "el", "en", "es", "hi", "ru", "th", "tr", "vi", "zh"],
        # train_lareqa.sh@4fd68dc: run_retrieval_qa.py (dual encoder, in-batch softmax) on squad/train-v1.1.json,
        # dev squad/dev-v1.1.json: phase 2 trains rxlt.model.heads.DualEncoder on SQuAD retrieval pairs (below)
        "english_task": "squad-retrieval",
        # evaluate_retrieval.py@66367fa task lareqa: utils_lareqa.mean_avg_prec_at_k(k=20) over all questions of
        # the pooled languages (per language here: the mean over that language's questions; the task score,
        # a mean of the 11 language means, equals upstream's pooled mean when every language keeps the same
        # number of questions — XQuAD-R has 1,190 each, minus questions whose answer lies in no sentence)
        "metric": "map_at_20",
        "labels": None,
        "parallel": True,
        "hub": None,  # no canonical hub copy (protocols.md §2.3)
        # download_lareqa_data.sh@9d85d92 unpacks google-research-datasets/lareqa into download/lareqa/;
        # evaluate_retrieval.py@66367fa reads every file of lareqa/xquad-r/ (language = file stem).
        # google-research-datasets/lareqa@5405d2a77e83d5ccb47623a3f9e5604c3f103193 xquad-r/<lang>.json: SQuAD v1.1
        # JSON whose paragraphs add `sentence_breaks` [[start, end], ...] and `sentences`
        "local": {"format": "lareqa",
                  "test": ["lareqa/xquad-r/{lang}.json", "xquad-r/{lang}.json"]},
    },
    "tatoeba": {
        "kind": "retrieval", "group": "retrieval",
        # 41 languages, each paired with English: languages.md "Tat" (XTREME's 36 + az lt pl uk ro)
        "languages": ["af", "ar", "az", "bg", "bn", "de", "el", "es", "et", "eu", "fa", "fi", "fr", "he", "hi",
                      "hu", "id", "it", "ja", "jv", "ka", "kk", "ko", "lt", "ml", "mr", "nl", "pl", "pt", "ro",
                      "ru", "sw", "ta", "te", "th", "tl", "tr", "uk", "ur", "vi", "zh"],
        "english_task": "squad",  # XTREME-R run_tatoeba.sh uses a SQuAD-fine-tuned model (protocols.md §2.1)
        # evaluate.py@838c13b METRIC_FUNCTION['tatoeba'] = accuracy of predicted vs gold line indices, direction
        # en->x only: evaluate_retrieval.py@838c13b (task tatoeba) calls utils_retrieve.py@838c13b
        # similarity_search(x = the non-English embeddings, y = the English ones), which indexes x and searches it
        # with every English sentence (cosine = L2 on normalised vectors; one prediction per English line). rxlt's
        # headline is that direction (rxlt.phases.evaluate.HEADLINE_DIRECTION) and it also reports x->en
        # (accuracy_x_to_en). Layer and length: rxlt.phases.evaluate.XTREME_RETRIEVAL_LAYER, RETRIEVAL_MAX_LENGTH.
        "metric": "retrieval_accuracy",
        "labels": None,
        "parallel": True,
        "hub": {"id": "google/xtreme", "config": "tatoeba.{lang3}", "revision": UNVERIFIED,  # XTREME's 36 only
                "splits": {"test": "validation"}},
        # LASER data/tatoeba/v1: line i of .{lang3} translates line i of .eng. download_data.sh's tatoeba/
        # (utils_preprocess.py@0918248 tatoeba_preprocess: <iso>-en.<iso> and <iso>-en.en) sorts the English
        # side, hiding the gold alignment, so it cannot be scored and is refused.
        "local": {"format": "tatoeba",
                  "test": ["tatoeba/v1/tatoeba.{lang3}-eng.{lang3}", "tatoeba/tatoeba.{lang3}-eng.{lang3}",
                           "LASER/data/tatoeba/v1/tatoeba.{lang3}-eng.{lang3}"]},
    },
}

# English training sets of the retrieval dual encoder (rxlt.model.heads.DualEncoder; pairs built by rxlt.data.retrieval_pairs).
# Phase 2 trains one for `task: mewslix` / `task: lareqa` (their `english_task` above); rows are (query, positive
# candidate) pairs, `target` = the candidate's key. Recommended optimiser settings (study/phase-2 keys, not
# applied automatically): Mewsli-X epochs 2, lr 2e-5 mBERT (train_mewslix.sh@66367fa: "best dev-set loss after 2
# epochs among {1e-5, 2e-5, 5e-5, 1e-4}"), 1e-5 XLM-R (protocols.md §2.2), batch 64 × 4 accumulation, warm-up 0,
# weight decay 0; LAReQA epochs 3, lr 2e-5 (train_lareqa.sh@4fd68dc first block; its second block repeats the
# settings with LR=5e-5, which is the one the script's python call sees), batch 4 × 4, warm-up 0, weight decay 0.
RETRIEVAL_TRAINING_TASKS: dict[str, dict] = {
    "wikipedia-pairs": {
        "kind": "retrieval",
        "source": "mewslix",  # rxlt.data.xtreme_loader.load("mewslix", split): MentionEntityPair lines (rxlt.data.mewslix)
        "splits": {"train": "train", "dev": "train_dev"},  # wikipedia_pairs-{train,dev}.jsonl
        # train_mewslix.sh@66367fa MAX_SEQ_LEN=64, used for the mention and the entity alike
        # (processors/mewslix.py@66367fa wikipedia_el_convert_example_to_features: both max_length=max_seq_length)
        "query_length": 64, "candidate_length": 64,
    },
    "squad-retrieval": {
        "kind": "retrieval",
        "source": "xquad",  # its train/dev splits are SQuAD v1.1 train/dev (squad/{train,dev}-v1.1.json)
        "splits": {"train": "train", "dev": "dev"},
        # train_lareqa.sh@4fd68dc MAX_QUERY_LEN=96, MAX_ANSWER_LEN=256 (MAX_SEQ_LEN=352 is their sum and unused:
        # processors/lareqa.py@c168376 "Currently we don't use max_seq_length")
        "query_length": 96, "candidate_length": 256,
    },
}

# evaluate.py@838c13b groups for XTREME-R (protocols.md §2.1): XTREME-R drops PAWS-X and BUCC and lists
# xcopa under classification and multi_choice. One deliberate difference: evaluate.py@838c13b's
# XTREME_R_GROUP2TASK has retrieval = ['tatoeba', 'mewslix'] and TASK2LANGS 'lareqa': [] (LAReQA is scored by
# evaluate_retrieval.py, not evaluate.py, so evaluate.py cannot produce an XTREME-R overall score at all); we
# follow the XTREME-R paper, whose retrieval category holds Tatoeba, Mewsli-X and LAReQA. The overall score averages each task once (evaluate.py
# averages over the distinct tasks of TASK2LANGS). "xtreme" is evaluate.py's v1 GROUP2TASK minus BUCC.
GROUPS: dict[str, dict[str, list[str]]] = {
    "xtreme-r": {"classification": ["xnli", "xcopa"], "multi_choice": ["xcopa"], "tagging": ["udpos", "panx"],
                 "qa": ["xquad", "mlqa", "tydiqa"], "retrieval": ["mewslix", "lareqa", "tatoeba"]},
    "xtreme": {"classification": ["pawsx", "xnli"], "tagging": ["udpos", "panx"],
               "qa": ["xquad", "mlqa", "tydiqa"], "retrieval": ["tatoeba"]},
}


def xtreme_task(name: str) -> dict:
    return lookup(XTREME_TASKS, name, "XTREME task")


class IncompleteGridError(ValueError):
    """An average was asked over a task × language grid with holes."""


def task_score(task: str, per_language: dict[str, float], include_english: bool = True) -> dict:
    """Unweighted mean over the task's languages (evaluate.py: sum / len over TASK2LANGS[task]); refuses a
    grid missing any of them. Tatoeba has no English entry (every language is scored against English)."""
    spec = xtreme_task(task)
    langs = [lg for lg in spec["languages"] if include_english or lg != "en"]
    missing = [lg for lg in langs if lg not in per_language]
    if missing:
        raise IncompleteGridError(f"{task}: no score for {missing}; an average needs all of {langs}")
    return {"task": task, "score": sum(per_language[lg] for lg in langs) / len(langs),
            "languages": len(langs), "english_included": "en" in langs}


def aggregate(scores: dict[str, dict[str, float]], version: str = "xtreme-r",
              include_english: bool = True) -> dict:
    """Task, group and overall scores as evaluate.py computes them: task = mean over its languages,
    group = mean of its tasks, overall = mean of all tasks — each only when complete.

    `scores` maps task -> language -> score in [0, 1] (QA: already (EM+F1)/2, see rxlt.scoring.metrics.qa_score).
    A task with missing languages raises; a group or the overall score with missing tasks is left out and
    listed under "incomplete" (evaluate.py shows group/overall only if all their tasks are present).
    `english_included` says whether English scores entered the averages.
    """
    groups = lookup(GROUPS, version, "XTREME version")
    tasks = {t: task_score(t, per_lang, include_english) for t, per_lang in scores.items()}
    out = {"version": version, "tasks": {t: v["score"] for t, v in tasks.items()}, "groups": {},
           "english_included": include_english, "incomplete": []}
    for group, members in groups.items():
        absent = [t for t in members if t not in tasks]
        if absent:
            out["incomplete"].append(f"{group}: missing {absent}")
        else:
            out["groups"][group] = sum(tasks[t]["score"] for t in members) / len(members)
    every = list(dict.fromkeys(t for members in groups.values() for t in members))
    if all(t in tasks for t in every):
        out["overall"] = sum(tasks[t]["score"] for t in every) / len(every)
    return out
