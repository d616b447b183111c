"""Statistics for zero-shot results: intervals, hypothesis tests and models, power."""
