"""XGLUE's understanding tasks that XTREME lacks, as data: news classification (NC), query-ad matching (QADSM),
web page ranking (WPR) and question-answer matching (QAM). Loader: rxlt.data.suite_loader.

Sources, read in full (fetched repositories, exact commits):
- microsoft/XGLUE@e417c4c53088d9685c177085ada172fcc793e42e `evaluation/xglue_evaluate.py` (task2lg: the
  languages; the metric per task: `simple_accuracy` for NC, QADSM, QAM, `simple_ndcg` for WPR), `Data_Format.txt`
  (file names `xglue.<task>.<lang>.<split>`, columns, label values), `README.md` (tuples per task, "2020-11-26:
  release the test part", i.e. labelled test files), `evaluation/Unicoder_prediction_on_XGLUE_dev/WPR/*.prediction`
  (a WPR prediction is an integer rating 0..4, so nDCG ranks by *predicted labels*, with ties);
- huggingface/datasets@b3fb06883f0eed754303008184dd48bd01f171ea `datasets/xglue/xglue.py` (the hub dataset's
  builder, now `microsoft/xglue`): configs nc/qadsm/wpr/qam, splits `train` (English), `validation.<lang>`,
  `test.<lang>`; columns and ClassLabel orders below; it maps QAM's "0"/"1" to False/True and WPR's "0".."4" to
  Bad..Perfect, reads every tab-separated field of a line in column order (no header).

`local` names, per split, the files of the upstream release `xglue_full_dataset.tar.gz` (the folder it unpacks to,
`xglue_full_dataset/<TASK>/`, or the task folder itself); `{lang}` is XGLUE's two-letter code. `iso639_3` gives each
language's ISO 639-3 code for rxlt.languages. The English training data is each task's own English train file.

Text fields: the sentence-pair classifier reads `text` (query / title / question) and `text_pair`. Where XGLUE has
two document fields (QADSM ad title + description, WPR page title + snippet) rxlt joins them with one space into
`text_pair`, as the XGLUE authors' fine-tuning code does (microsoft/Unicoder@b3d4afd understanding/src/transformers/
data/processors/xglue.py: QadsmProcessor and WprProcessor `text_b = line[1] + " " + line[2]`; microsoft/XGLUE itself
ships no training code).
NC: XGLUE's README and the hub builder say <news title, news body, category>; Data_Format.txt lists a leading
"query" column as well — the reader takes the last three fields, which is right for both.
"""
from __future__ import annotations

from rxlt.lookup import lookup

XGLUE_COMMIT = "e417c4c53088d9685c177085ada172fcc793e42e"
ISO_639_3 = {"de": "deu", "en": "eng", "es": "spa", "fr": "fra", "it": "ita", "pt": "por", "ru": "rus", "zh": "zho"}

# huggingface/datasets@b3fb068 datasets/xglue/xglue.py `_info` ClassLabel orders (the hub's label ids)
NC_CATEGORIES = ["foodanddrink", "sports", "travel", "finance", "lifestyle", "news", "entertainment", "health",
                 "video", "autos"]
RELEVANCE = ["Bad", "Fair", "Good", "Excellent", "Perfect"]  # WPR ratings 0..4 = the gains of nDCG


def _local(task: str, english_train: bool = True) -> dict:
    """xglue_full_dataset/<TASK>/xglue.<task>.<lang>.<split> (xglue.py _PATHS), from the archive's root or its task
    folder. dev/test exist per language; train is English only."""
    folders = [f"xglue_full_dataset/{task.upper()}/", f"{task.upper()}/", ""]
    return {"format": f"xglue_{task}",
            "train": [f"{f}xglue.{task}.en.train" for f in folders],
            "dev": [f"{f}xglue.{task}.{{lang}}.dev" for f in folders],
            "test": [f"{f}xglue.{task}.{{lang}}.test" for f in folders]}


def _hub(task: str, columns: dict, label_column: str, labels: list[str]) -> dict:
    return {"id": "microsoft/xglue", "config": task, "revision": None,  # default branch; the commit read is recorded
            "splits": {"train": "train", "dev": "validation.{lang}", "test": "test.{lang}"},
            "columns": columns, "label_column": label_column, "labels": labels}


XGLUE_TASKS: dict[str, dict] = {
    "xglue-nc": {
        "suite": "xglue", "kind": "classification",
        "languages": ["de", "en", "es", "fr", "ru"],  # xglue_evaluate.py task2lg["NC"]
        "english_task": "xglue.nc.en.train",
        "metric": "accuracy",  # xglue_evaluate.py: simple_accuracy for NC
        "labels": NC_CATEGORIES,
        "parallel": False,
        "hub": _hub("nc", {"text": "news_title", "text_pair": "news_body"}, "news_category", NC_CATEGORIES),
        "local": _local("nc"),
    },
    "xglue-qadsm": {
        "suite": "xglue", "kind": "classification",
        "languages": ["de", "en", "fr"],  # task2lg["QADSM"]
        "english_task": "xglue.qadsm.en.train",
        "metric": "accuracy",
        "labels": ["Bad", "Good"],  # Data_Format.txt: predicted label in ["Good", "Bad"]; xglue.py ClassLabel order
        "parallel": False,
        "hub": _hub("qadsm", {"text": "query", "text_pair": ["ad_title", "ad_description"]}, "relevance_label",
                    ["Bad", "Good"]),
        "local": _local("qadsm"),
    },
    "xglue-wpr": {
        "suite": "xglue", "kind": "classification",  # a 5-way relevance classifier over (query, page) pairs
        "languages": ["de", "en", "es", "fr", "it", "pt", "zh"],  # task2lg["WPR"]
        "english_task": "xglue.wpr.en.train",
        # xglue_evaluate.py simple_ndcg: pairs grouped by query, sklearn.metrics.ndcg_score(labels, predictions)
        # per query (k = all documents, gain = the rating, 1/log2(rank+1) discount, tied scores averaged),
        # queries with fewer than 2 documents skipped, plain mean over queries (rxlt.scoring.metrics.ndcg)
        "metric": "ndcg",
        "labels": RELEVANCE,
        "parallel": False,
        # xglue_evaluate.py load_data: a new query id starts whenever a line's query differs from the previous
        # line's, so documents of one query are consecutive lines; rxlt numbers the groups the same way
        "groups": "consecutive_query",
        # the column is misspelt upstream (xglue.py: "relavance_label")
        "hub": _hub("wpr", {"text": "query", "text_pair": ["web_page_title", "web_page_snippet"]}, "relavance_label",
                    RELEVANCE),
        "local": _local("wpr"),
    },
    "xglue-qam": {
        "suite": "xglue", "kind": "classification",
        "languages": ["de", "en", "fr"],  # task2lg["QAM"]
        "english_task": "xglue.qam.en.train",
        "metric": "accuracy",
        "labels": ["False", "True"],  # xglue.py maps the files' 0/1 to False/True
        "parallel": False,
        "hub": _hub("qam", {"text": "question", "text_pair": "answer"}, "label", ["False", "True"]),
        "local": _local("qam"),
    },
}
for _spec in XGLUE_TASKS.values():
    _spec["codes"] = {lg: {"upstream": lg, "iso639_3": ISO_639_3[lg]} for lg in _spec["languages"]}
    _spec["source"] = f"microsoft/XGLUE@{XGLUE_COMMIT} evaluation/xglue_evaluate.py"

# Upstream label values in the release files -> rxlt label names (xglue.py `_process_dict`)
FILE_LABELS = {"xglue-qam": {"0": "False", "1": "True"},
               "xglue-wpr": {str(i): name for i, name in enumerate(RELEVANCE)}}

# Hyper-parameters of XGLUE's baselines: microsoft/Unicoder@b3d4afd understanding/unicoder/xglue.sh (lr 5e-6, 10
# epochs, max length 256, batch 32 for NC, QADSM, QAM and WPR): params/xglue-nc.yaml, xglue-qadsm.yaml, xglue-qam.yaml;
# params/xglue.yaml (WPR) keeps XTREME's sentence-pair settings and says so.


def xglue_task(name: str) -> dict:
    return lookup(XGLUE_TASKS, name, "XGLUE task")
