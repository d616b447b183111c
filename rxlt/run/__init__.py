"""Orchestration: a study expanded into runs, executed locally or on Slurm, with its ledger and results."""
