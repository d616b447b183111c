"""English synonym sources for RS-DA: WordNet 3.0 database files, or a SAFER-style JSON file.

WordNet: the Princeton WordNet 3.0 `index.*`/`data.*` files, e.g. Debian's `wordnet-base`
(/usr/share/wordnet; `make setup` installs it where apt is available). Format (wndb(5WN)):
index lines `lemma pos synset_cnt p_cnt [ptr]*p_cnt sense_cnt tagsense_cnt offset*synset_cnt`;
data lines start at their byte offset: `offset lex_filenum ss_type w_cnt(hex) [word lex_id]*w_cnt …`.
JSON: `counterfitted_neighbors.json` of SAFER / Robust-XLT, {word: [neighbour, …]}.
"""
from __future__ import annotations

import functools
import json
from pathlib import Path

DEFAULT_WORDNET_DIR = "/usr/share/wordnet"
_POS = ("noun", "verb", "adj", "adv")

# Never replaced: negation and frequent function words. Robust-XLT's copy of the SAFER neighbour file
# drops the, and, a, of, to, is, in, was, as, for, not, but, on, you (protocols.md §1.2); we add the
# other negators and pronouns/auxiliaries so no swap flips or empties a sentence's meaning.
PROTECTED_WORDS: frozenset[str] = frozenset("""
the and a an of to is in was as for not but on you it i this that with which
no nor never none nothing nobody neither nowhere cannot can't don't doesn't didn't isn't aren't wasn't
weren't won't wouldn't shouldn't couldn't n't without
be are were been being am do does did have has had will would shall should can could may might must
he she we they me him her us them my your his its our their or if then than so at by from
""".split())


class WordNetSynonyms:
    """Single-word synonyms of a lowercase lemma, in WordNet sense order (all parts of speech)."""

    def __init__(self, root: str | Path = DEFAULT_WORDNET_DIR):
        self.root = Path(root)
        missing = [f"{kind}.{pos}" for pos in _POS for kind in ("index", "data") if not (self.root / f"{kind}.{pos}").is_file()]
        if missing:
            raise FileNotFoundError(
                f"WordNet 3.0 files missing in {self.root}: {', '.join(missing[:4])}… — install Debian's "
                "`wordnet-base` (apt-get install wordnet-base) or set wordnet_dir / synonyms_file")
        self._index = self._read_index()

    def _read_index(self) -> dict[str, list[tuple[str, int]]]:
        index: dict[str, list[tuple[str, int]]] = {}
        for pos in _POS:
            with open(self.root / f"index.{pos}", encoding="utf-8") as f:
                for line in f:
                    if line.startswith("  "):  # licence header
                        continue
                    p = line.split()
                    n_synsets, n_ptr = int(p[2]), int(p[3])
                    index.setdefault(p[0], []).extend((pos, int(o)) for o in p[4 + n_ptr + 2: 4 + n_ptr + 2 + n_synsets])
        return index

    @functools.lru_cache(maxsize=None)
    def _synset(self, pos: str, offset: int) -> tuple[str, ...]:
        with open(self.root / f"data.{pos}", "rb") as f:
            f.seek(offset)
            p = f.readline().decode("utf-8").split()
        n_words = int(p[3], 16)
        return tuple(w.split("(")[0] for w in p[4: 4 + 2 * n_words: 2])  # drop adjective markers "(a)"

    def __call__(self, word: str) -> list[str]:
        out: list[str] = []
        for pos, offset in self._index.get(word, ()):
            for w in self._synset(pos, offset):
                w = w.lower()
                if w != word and "_" not in w and w not in out:
                    out.append(w)
        return out


class JsonSynonyms:
    """{word: [neighbours]} as in SAFER's / Robust-XLT's counterfitted_neighbors.json."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise FileNotFoundError(f"synonyms_file {self.path} does not exist") from None
        except json.JSONDecodeError as exc:
            raise ValueError(f"synonyms_file {self.path}: not JSON ({exc})") from None
        if not isinstance(data, dict) or not all(isinstance(v, list) for v in data.values()):
            raise ValueError(f"synonyms_file {self.path}: expected {{word: [neighbour, …]}}")
        self.table = data

    def __call__(self, word: str) -> list[str]:
        return [w for w in self.table.get(word, []) if w != word]


def synonym_source(synonyms_file: str = "", wordnet_dir: str = DEFAULT_WORDNET_DIR):
    return JsonSynonyms(synonyms_file) if synonyms_file else WordNetSynonyms(wordnet_dir)
