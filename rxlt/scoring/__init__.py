"""Predictions and scores: model outputs in input order, smoothed prediction, retrieval ranking, metrics."""
