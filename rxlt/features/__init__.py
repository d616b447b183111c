"""Tokenised model inputs per task kind, cached on disk and batched with dynamic padding."""
