"""Encoders and task heads: short model aliases, the embedded encoder's conversion, checkpoints, precision."""
