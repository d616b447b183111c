"""rxlt: zero-shot cross-lingual transfer studies — intermediate training, robust fine-tuning,
zero-shot evaluation and resource-tier statistics, as papermill-run notebooks over this package."""

__version__ = "0.1.0"
