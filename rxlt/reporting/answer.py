"""The study's answer (markdown written by rxlt.phases.report / rxlt.phases.tiers) cut into what a reader needs
first — the question and the headline condition's answer, effect size, test and power — and the rest.

The cut follows the markdown's structure, not its wording: the first heading is the question, the bullet list
right after it is the headline answer, everything later (the other conditions, the conventions) comes after the
headline figure, folded on the index. An answer of another shape is kept whole as the headline.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass

import mistune

_MARKDOWN = mistune.create_markdown(escape=True)  # raw HTML in the answer is escaped, never injected


@dataclass(frozen=True)
class Answer:
    banner: str  # smoke-study warning ("> …" lines), markdown
    question: str  # the question heading's text, markdown ('' when the answer has no heading)
    headline: str  # the headline condition's bullets, markdown
    more: list[str]  # later blocks (other conditions, conventions), markdown each
    more_title: str  # a short title for `more` (its first paragraph, or "More")


def split_answer(text: str) -> Answer:
    blocks = [b.strip("\n") for b in re.split(r"\n\s*\n", text or "") if b.strip()]
    banner = [b for b in blocks if b.lstrip().startswith(">")]
    rest = [b for b in blocks if b not in banner]
    heading = next((i for i, b in enumerate(rest) if b.startswith("#")), None)
    if heading is None or heading + 1 >= len(rest) or not rest[heading + 1].lstrip().startswith("- "):
        return Answer("\n\n".join(banner), "", "\n\n".join(rest), [], "")
    question = rest[heading].lstrip("#").strip()
    headline = "\n\n".join(rest[:heading] + [rest[heading + 1]])
    more = rest[heading + 2:]
    lead = next((b for b in more if not b.lstrip().startswith("- ")), "")
    bold = re.match(r"\s*\*\*(.+?)\*\*", lead)
    title = bold.group(1) if bold else "More"
    return Answer("\n\n".join(banner), question, headline, more, title)


def split_bullets(markdown: str, keep: int = 2) -> tuple[str, str, list[str]]:
    """A bullet list cut after its first `keep` bullets: (first bullets, the rest, the rest's bold labels).

    The index shows the answer and its effect size on the first screen and folds the test, coverage, readings,
    robustness and power bullets under their labels; the cut is by bullet, never inside one."""
    lines = markdown.splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith("- ")]
    if len(starts) <= keep:
        return markdown, "", []
    cut = starts[keep]
    rest = lines[cut:]
    labels = [m.group(1).rstrip(":") for line in rest if line.startswith("- ")
              if (m := re.match(r"- \*\*(.+?)\*\*", line))]
    return "\n".join(lines[:cut]), "\n".join(rest), labels


def to_html(markdown: str) -> str:
    return _MARKDOWN(markdown or "")


def inline_html(markdown: str) -> str:
    """One line of markdown as inline HTML (no surrounding <p>)."""
    out = to_html(markdown).strip()
    return out[3:-4] if out.startswith("<p>") and out.endswith("</p>") else out or html.escape(markdown)
