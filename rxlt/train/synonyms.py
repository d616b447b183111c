"""English synonym sources for synonym augmentation: the paper's list (JSON), or WordNet 3.0 database files.

JSON: `counterfitted_neighbors.json` of SAFER / Robust-XLT, {word: [neighbour, …]} — the list Robust-XLT's RS-DA
draws from (uclanlp/Robust-XLT@175cddb). rxlt ships it (PAPER_SYNONYMS_FILE, Apache-2.0, provenance in the README
beside it): 49,975 lower-case keys, 25,591 with neighbours, at most 8 each, none listing itself.

WordNet: the Princeton WordNet 3.0 `index.*`/`data.*`/`cntlist.rev` files, e.g. Debian's `wordnet-base`
(/usr/share/wordnet; `make setup` installs it where apt is available). Format (wndb(5WN), cntlist(5WN)): index
lines `lemma pos synset_cnt p_cnt [ptr]*p_cnt sense_cnt tagsense_cnt offset*synset_cnt` with the offsets in
sense-number order; data lines start at their byte offset: `offset lex_filenum ss_type w_cnt(hex) [word lex_id]*w_cnt
p_cnt [ptr_symbol offset pos source/target]*p_cnt … | gloss`, words keeping their case ("Turkey", "turkey");
cntlist.rev lines `sense_key sense_number tag_cnt` (SemCor tag counts). Without a tagger, WordNet synonyms are
restricted (WordNetSynonyms) so that augmentation does not swap proper names, other parts of speech, rare senses
or slurs in — on the embedded task, unfiltered WordNet turned "Guinea" into ethnic slurs and "Turkey" into "joker".
"""
from __future__ import annotations

import functools
import json
import re
from pathlib import Path

DEFAULT_WORDNET_DIR = "/usr/share/wordnet"
_POS = ("noun", "verb", "adj", "adv")
_SS_TYPE = {"1": "noun", "2": "verb", "3": "adj", "4": "adv", "5": "adj"}  # sense-key digit -> file (5 = satellite)
_POINTER_POS = {"n": "noun", "v": "verb", "a": "adj", "s": "adj", "r": "adv"}

# The paper's synonym list, shipped with rxlt (uclanlp/Robust-XLT@175cddb counterfitted_neighbors.json, 1,976,448 bytes)
PAPER_SYNONYMS_FILE = Path(__file__).parent / "robust_xlt" / "counterfitted_neighbors.json"
PAPER_SYNONYMS_SHA256 = "103247143f39bd5dd66850f3a912393392641dbd98093c61e2b24a4cc8a96fb0"

# rs_da_protected_words: negators and frequent function words never replaced. Robust-XLT's copy of the SAFER
# neighbour file drops the, and, a, of, to, is, in, was, as, for, not, but, on, you (protocols.md §1.2); this adds
# the other negators and pronouns/auxiliaries so no swap flips or empties a sentence's meaning. WordNet has no
# entries for closed-class words, only homographs ("a" → angstrom, "in" → inch, "will" → volition), so the WordNet
# source never offers candidates for these words, nor uses them as candidates, whatever the key says.
PROTECTED_WORDS: frozenset[str] = frozenset("""
the and a an of to is in was as for not but on you it i this that with which
no nor never none nothing nobody neither nowhere cannot can't don't doesn't didn't isn't aren't wasn't
weren't won't wouldn't shouldn't couldn't n't without
be are were been being am do does did have has had will would shall should can could may might must
he she we they me him her us them my your his its our their or if then than so at by from
""".split())

# How WordNet 3.0 marks a sense offensive. (1) Usage-domain pointers (`;u`) to these data.noun synsets (offset:
# first lemma; checked when the files load): 63 synsets point to them (13 ethnic slur, 41 disparagement, 9
# obscenity). WordNet 3.0 has no "profanity" usage domain; "vulgarism" is a lemma of the obscenity synset; its other
# usage domains (slang 91, colloquialism 286, …) label register, not offence, and are not used. (2) Labels in the
# definition part of the gloss (quoted usage examples removed first: "a racial slur" in an example of `apply` is no
# mark), for the many offensive senses without a pointer — the wordings WordNet 3.0 uses, read from its data.* files:
# "(ethnic slur)", "obscene terms for …", "a disparaging term for …", "pejorative terms for an insane asylum", "terms
# of abuse for a masturbator", "(used as terms of contempt …)", "a United States term for Blacks that is now
# considered offensive", "(used pejoratively)": OFFENSIVE_GLOSS. (3) A usage example that calls a lemma offensive
# ("in England `fanny' is vulgar slang for female genitals"): OFFENSIVE_EXAMPLE. Every lemma of a marked sense is
# dropped as a candidate for any word (so "snatch" or "slit" never come back through another sense), and a marked
# sense gives no candidates. Not marks: "slang for …" without an offence label (WordNet's own slang domain is
# register), "vulgar" of manners ("a rude or vulgar fool") — the lemma there is not a term of abuse.
OFFENSIVE_USAGE_DOMAINS = {6718862: "ethnic_slur", 6717170: "disparagement", 7124340: "obscenity"}
_OFFENCE = r"(?:offensive|obscene|vulgar|disparaging|derogatory|contemptuous|abusive|insulting|pejorative)"
OFFENSIVE_GLOSS = re.compile(
    r"ethnic slur|\((?:offensive|vulgar|obscene|disparaging|derogatory|pejorative)\)|"
    rf"\b{_OFFENCE}\s+(?:\w+\s+){{0,2}}?(?:term|terms|word|words|name|names|slang|expression|reference)\b|"
    r"\bterms? of (?:abuse|contempt|disparagement|opprobrium|reproach)\b|"
    r"\b(?:term|word|name|expression)s? for [^;]{0,60}?\b(?:is|are) (?:now |still |often |generally |usually )?"
    rf"(?:considered|regarded as) (?:\w+ )?{_OFFENCE}|"
    r"\bused (?:pejoratively|disparagingly|contemptuously|offensively|derogatorily|as an insult)\b", re.I)
OFFENSIVE_EXAMPLE = re.compile(rf"`[^`']+' is (?:\w+ )?{_OFFENCE} (?:slang|term|word|usage)\b", re.I)
_EXAMPLE = re.compile(r'"[^"]*"')
_MARK_HINT = re.compile(rb";u |slur|offensive|obscene|vulgar|disparag|derogat|contempt|abusive|insult|pejorativ|abuse|"
                        rb"opprobrium|reproach")  # a prefilter of the lines to parse: every mark above contains one


def offensive_gloss(gloss: str) -> bool:
    """Whether a WordNet gloss (definition; "usage examples") labels its sense offensive (marks (2) and (3) above)."""
    return bool(OFFENSIVE_GLOSS.search(_EXAMPLE.sub(" ", gloss)) or OFFENSIVE_EXAMPLE.search(gloss))


# Without a tagger: a word's part of speech is the one carrying at least MIN_POS_SHARE of its SemCor tags (else it
# is ambiguous and never replaced), and its senses are those tagged at least MIN_SENSE_SHARE as often as its most
# frequent sense (at least once). Untagged words (no SemCor counts: rare words, most proper nouns) are never replaced.
MIN_POS_SHARE = 0.75
MIN_SENSE_SHARE = 0.1


@functools.lru_cache(maxsize=4)
def _load_wordnet(root: str) -> tuple[dict, dict, frozenset, frozenset]:
    """(index {lemma: {pos: offsets}}, tag counts {(lemma, pos, sense number): count}, marked synsets {(pos,
    offset)}, banned lemmas (lower-case) of marked synsets), read once per directory."""
    base = Path(root)
    index: dict[str, dict[str, list[str]]] = {}  # offsets as read (decimal strings), converted when used
    for pos in _POS:
        with open(base / f"index.{pos}", encoding="utf-8") as f:
            for line in f:
                if line.startswith("  "):  # licence header
                    continue
                p = line.split()
                n_synsets, n_ptr = int(p[2]), int(p[3])
                index.setdefault(p[0], {})[pos] = p[4 + n_ptr + 2: 4 + n_ptr + 2 + n_synsets]
    counts: dict[tuple[str, str, int], int] = {}
    with open(base / "cntlist.rev", encoding="utf-8") as f:
        for line in f:
            key, number, count = line.split()
            lemma, rest = key.split("%", 1)
            counts[(lemma, _SS_TYPE[rest[0]], int(number))] = int(count)
    for offset, name in OFFENSIVE_USAGE_DOMAINS.items():
        words = _synset_words(root, "noun", offset)
        if name not in words:
            raise ValueError(f"{base}: data.noun offset {offset} is {words}, not {name!r}: these are not WordNet 3.0 files")
    marked, banned = set(), set()
    for pos in _POS:
        raw = (base / f"data.{pos}").read_bytes()  # bytes.lower() keeps offsets (ASCII only)
        starts = sorted({raw.rfind(b"\n", 0, m.start()) + 1 for m in _MARK_HINT.finditer(raw.lower())})
        for start in starts:  # the lines that may carry a mark (one search of the file: ~10x faster than per line)
            line = raw[start: raw.find(b"\n", start)].decode("utf-8")
            if line.startswith("  "):
                continue
            head, _, gloss = line.partition("|")
            p = head.split()
            n_words = int(p[3], 16)
            i = 4 + 2 * n_words
            pointers = [(p[j], int(p[j + 1])) for j in range(i + 1, i + 1 + 4 * int(p[i]), 4)]
            if any(sym == ";u" and off in OFFENSIVE_USAGE_DOMAINS for sym, off in pointers) or offensive_gloss(gloss):
                marked.add((pos, int(p[0])))
                banned.update(_strip_marker(w).lower() for w in p[4: 4 + 2 * n_words: 2])
    return index, counts, frozenset(marked), frozenset(banned)


def _strip_marker(word: str) -> str:
    return word.split("(")[0]  # adjective position markers "(a)", "(p)", "(ip)"


@functools.lru_cache(maxsize=None)
def _synset_words(root: str, pos: str, offset: int) -> tuple[str, ...]:
    with open(Path(root) / f"data.{pos}", "rb") as f:
        f.seek(offset)
        p = f.readline().decode("utf-8").split()
    return tuple(_strip_marker(w) for w in p[4: 4 + 2 * int(p[3], 16): 2])


class WordNetSynonyms:
    """Single-word synonyms of a lower-case word from WordNet 3.0, restricted without a tagger:

    - capitalised words are never replaced (proper nouns; sentence-initial words too), and only senses in which
      the word itself is a lower-case lemma count ("turkey" the bird, not "Turkey" the country);
    - one part of speech: the one with ≥ MIN_POS_SHARE of the word's SemCor tag counts (cntlist.rev), else none;
    - frequent senses: tagged ≥ MIN_SENSE_SHARE as often as the word's most frequent sense of that POS;
    - candidates are lower-case single words for which the shared sense is itself one of their frequent senses
      (by the same rules: "film" for "movie", not the untagged "flick"), never a lemma of a sense WordNet marks
      offensive (usage domain ethnic slur / disparagement / obscenity, or a gloss label: offensive_gloss), never a
      PROTECTED_WORDS word.
    Candidates come most frequent sense first. `folds_case = False`: rs_da_tokens: normalized does not
    lower-case for it (so capitalised tokens stay).
    """

    folds_case = False

    def __init__(self, root: str | Path = DEFAULT_WORDNET_DIR):
        self.root = Path(root)
        needed = [f"{kind}.{pos}" for pos in _POS for kind in ("index", "data")] + ["cntlist.rev"]
        missing = [name for name in needed if not (self.root / name).is_file()]
        if missing:
            raise FileNotFoundError(
                f"WordNet 3.0 files missing in {self.root}: {', '.join(missing[:4])}… — install Debian's "
                "`wordnet-base` (apt-get install wordnet-base) or set wordnet_dir / synonyms_file")
        self._index, self._counts, self.marked_senses, self.banned_lemmas = _load_wordnet(str(self.root))

    def senses(self, word: str) -> list[tuple[str, int]]:
        """(pos, offset) of the word's senses that may give candidates (class docstring), most frequent first."""
        if word != word.lower() or word in PROTECTED_WORDS or word not in self._index:
            return []
        tags = {pos: [self._counts.get((word, pos, i + 1), 0) for i in range(len(offsets))]
                for pos, offsets in self._index[word].items()}
        total = sum(sum(c) for c in tags.values())
        if not total:
            return []
        pos = max(tags, key=lambda q: sum(tags[q]))
        if sum(tags[pos]) < MIN_POS_SHARE * total:
            return []
        floor = max(1, MIN_SENSE_SHARE * max(tags[pos]))
        order = sorted((i for i, c in enumerate(tags[pos]) if c >= floor), key=lambda i: -tags[pos][i])
        offsets = [int(self._index[word][pos][i]) for i in order]
        return [(pos, o) for o in offsets
                if (pos, o) not in self.marked_senses and word in _synset_words(str(self.root), pos, o)]

    @functools.lru_cache(maxsize=None)
    def _frequent(self, word: str) -> frozenset:
        return frozenset(self.senses(word))

    @functools.lru_cache(maxsize=None)
    def __call__(self, word: str) -> tuple[str, ...]:
        out: list[str] = []
        for pos, offset in self.senses(word):
            for w in _synset_words(str(self.root), pos, offset):
                if (w != word and w == w.lower() and "_" not in w and w not in self.banned_lemmas
                        and w not in PROTECTED_WORDS and w not in out and (pos, offset) in self._frequent(w)):
                    out.append(w)
        return tuple(out)

    def __hash__(self):  # for the lru_cache of __call__
        return hash(str(self.root))

    def __eq__(self, other):
        return isinstance(other, WordNetSynonyms) and other.root == self.root


class JsonSynonyms:
    """{word: [neighbours]} as in SAFER's / Robust-XLT's counterfitted_neighbors.json, looked up as is (the
    neighbours in file order, as perturb.py's [word] + neighbors[word])."""

    folds_case = True  # its keys are lower-case: rs_da_tokens: normalized looks tokens up lower-cased

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
        return self.table.get(word, [])


def synonym_source(synonyms_file: str = "", wordnet_dir: str = DEFAULT_WORDNET_DIR):
    return JsonSynonyms(synonyms_file) if synonyms_file else WordNetSynonyms(wordnet_dir)
