"""Strict, typed parameters: the machinery (strict) and one frozen dataclass per phase (phases)."""
