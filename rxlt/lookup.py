"""Table lookups that answer an unknown name with close matches."""
from __future__ import annotations

import difflib
from typing import Mapping, TypeVar

V = TypeVar("V")


def suggest(name: str, choices) -> str:
    """'did you mean …? available: …' for an unknown `name`."""
    choices = sorted(map(str, choices))
    close = difflib.get_close_matches(str(name), choices, n=3, cutoff=0.5)
    hint = f"did you mean {', '.join(repr(c) for c in close)}? " if close else ""
    shown = ", ".join(choices[:40]) + (f", … ({len(choices)} in all)" if len(choices) > 40 else "")
    return f"{hint}available: {shown}"


class UnknownNameError(LookupError):
    """An unknown task, language, model or key; the message lists close matches."""


def lookup(table: Mapping[str, V], name: str, what: str) -> V:
    try:
        return table[name]
    except KeyError:
        raise UnknownNameError(f"unknown {what} {name!r}: {suggest(name, table)}") from None
