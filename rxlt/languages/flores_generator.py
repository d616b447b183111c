"""Writes rxlt/languages/flores.py: the language table of every FLORES-200 variety SIB-200 and Belebele use, and
of the bare ISO 639-3 codes of the low-resource suites (AfriSenti, MasakhaNER 2.0, AmericasNLI, NusaX) that
have no FLORES variety. Run once when a source changes; the module it writes is the reviewed literal table.

    python -m rxlt.languages.flores_generator SOURCES_DIR rxlt/languages/flores.py

SOURCES_DIR holds the upstream files, each read at the commit named in the module it writes:
  flores200_README.md  facebookresearch/flores@a6c830c flores200/README.md ("Language | FLORES-200 code" table)
  belebele_README.md   facebookresearch/belebele@918890b README.md (122 variants; "^" = not in FLORES-200)
  joshi.json           MaLA-LM/LangResourceAtlas@36f973d Joshi-et-al/Joshi-et-al-6-classes.json
  cc100.csv            mayhewsw/multilingual-data-stats@7397902 cc-100/cc-100.csv
  wiki.csv             mayhewsw/multilingual-data-stats@0adee01 wiki/wiki.csv
  glottolog.csv        glottolog/glottolog-cldf@b6d3ea2 (release 5.1) cldf/languages.csv
  macrolanguages.tab   SIL's iso-639-3-macrolanguages.tab as shipped in the PyPI wheel python-iso639 2026.7.23
                       (iso639/_data/iso-639-3-macrolanguages.tab)
and it reads, from this machine: the language-level table rxlt.languages.metadata._ROWS, CLDR via babel
(languageAlias, likelySubtags) and Debian iso-codes 4.15 /usr/share/iso-codes/json/iso_639-3.json.

The rules (also in the written module's docstring) decide every value mechanically; a row's note says which
rule gave which value and where a source was ambiguous. Nothing is typed in by hand except SUITE_CODES (the
codes the suites' own repositories use, verified there) and the two group-to-Glottolog mappings of
COLLECTIVE_FAMILIES (ISO 639-5 collective codes that Glottolog does not list by code).
"""
from __future__ import annotations

import collections
import csv
import json
import re
import sys
from pathlib import Path

from babel.core import get_global

from rxlt.languages.covariates import WIKIPEDIA  # noqa: E402  (the language-level Wikipedia rows)
from rxlt.languages.metadata import _COLUMNS, _ROWS  # noqa: E402  (the language-level rows)

ISO_CODES = Path("/usr/share/iso-codes/json/iso_639-3.json")
SIB200 = Path(__file__).resolve().parents[1] / "data" / "sib200" / "annotated"
# The suites' codes, as their repositories name their data folders (verified at the commits in the module):
SUITE_CODES = {
    "afrisenti": ["amh", "arq", "ary", "hau", "ibo", "kin", "orm", "pcm", "por", "swa", "tir", "tso", "twi", "yor"],
    "masakhaner2": ["bam", "bbj", "ewe", "fon", "hau", "ibo", "kin", "lug", "luo", "mos", "nya", "pcm", "sna", "swa",
                    "tsn", "twi", "wol", "xho", "yor", "zul"],
    "americasnli": ["aym", "bzd", "cni", "gn", "hch", "nah", "oto", "quy", "shp", "tar"],
    "nusax": ["ace", "ban", "bbc", "bjn", "bug", "eng", "ind", "jav", "mad", "min", "nij", "sun"],
}
# ISO 639-5 collective codes (AmericasNLI's nah, oto) have no ISO639P3code in Glottolog: the Glottolog subgroup
# named like the ISO 639-5 group ("Nahuatl languages" = Glottolog's Aztec subgroup azte1234, "Otomian languages" =
# otom1297) gives the family.
COLLECTIVE_FAMILIES = {"nah": "azte1234", "oto": "otom1297"}
# ISO 15924: Kore (Korean) = Hangul + Han; FLORES writes Korean as Hang, CLDR's likely script for ko is Kore
SCRIPT_COMPATIBLE = {("Hang", "Kore")}
ROMANIZED_CC100 = {"hin": "Hindi Romanized", "urd": "Urdu Romanized", "ben": "Bengali Romanized",
                   "tel": "Telugu Romanized", "tam": "Tamil Romanized"}


def flores_names(src: Path) -> dict[str, str]:
    names = {}
    for line in (src / "flores200_README.md").read_text(encoding="utf-8").splitlines():
        m = re.match(r"^(.+?) \| ([a-z]{3}_[A-Z][a-z]{3})\s*$", line.strip())
        if m:
            names[m.group(2)] = m.group(1)
    return names


def belebele(src: Path) -> dict[str, tuple[str, bool]]:
    out = {}
    for line in (src / "belebele_README.md").read_text(encoding="utf-8").splitlines():
        m = re.match(r"^([a-z]{3}_[A-Za-z]{4})(\^?) \| (.+?) \| (\w+) \| (.+)$", line.strip())
        if m:
            code = m.group(1)[:4] + m.group(1)[4].upper() + m.group(1)[5:]  # the README writes "ary_arab"
            out[code] = (m.group(3), bool(m.group(2)))
    return out


def main(src: Path, target_path: Path) -> None:
    iso = {r["alpha_3"]: r for r in json.loads(ISO_CODES.read_text())["639-3"]}
    aliases, likely = get_global("language_aliases"), get_global("likely_subtags")
    joshi = json.loads((src / "joshi.json").read_text(encoding="utf-8"))
    by_name, by_code = collections.defaultdict(set), collections.defaultdict(set)
    for cls, entries in joshi.items():
        for e in entries:
            by_name[e["lang_name"].lower()].add(int(cls))
            by_code[e["lang_code"]].add((int(cls), e["lang_name"]))
    cc100 = list(csv.DictReader((src / "cc100.csv").open(encoding="utf-8")))
    wiki = {r["Wiki"]: r for r in csv.DictReader((src / "wiki.csv").open(encoding="utf-8"))}
    glotto = list(csv.DictReader((src / "glottolog.csv").open(encoding="utf-8")))
    glotto_id = {r["ID"]: r for r in glotto}
    glotto_iso = {r["ISO639P3code"]: r for r in glotto if r["ISO639P3code"]}
    rows_lang = {c: dict(zip(_COLUMNS, r)) for c, r in _ROWS.items()}
    macro_of, members = {}, collections.defaultdict(list)
    for line in (src / "macrolanguages.tab").read_text(encoding="utf-8").splitlines()[1:]:
        m_id, i_id, status = line.split("\t")[:3]
        if status.strip() == "A":
            macro_of[i_id] = m_id
            members[m_id].append(i_id)

    names = flores_names(src)
    names["nqo_Nkoo"] = iso["nqo"]["name"]  # SIB-200 adds N'Ko (a later FLORES addition) to FLORES-200's 204
    bb = belebele(src)
    sib = sorted(p.name for p in SIB200.iterdir() if p.is_dir())
    assert len(sib) == 205 and set(sib) == set(names), "SIB-200 = FLORES-200 + nqo_Nkoo"
    varieties = {c: names[c] for c in sib}
    for code, (name, extra) in bb.items():
        assert code in varieties or extra, code
        varieties.setdefault(code, name)  # the 5 romanized Belebele variants not in FLORES-200

    def family(iso3: str) -> tuple[str | None, str]:
        g = glotto_id.get(COLLECTIVE_FAMILIES[iso3]) if iso3 in COLLECTIVE_FAMILIES else glotto_iso.get(iso3)
        if g is None and members.get(iso3):  # a macrolanguage: Glottolog lists its individual languages
            fams = {family(m)[0] for m in members[iso3] if m in glotto_iso}
            if len(fams) == 1 and None not in fams:
                return fams.pop(), f"family: Glottolog's for every member of macrolanguage {iso3}"
            return None, f"family: members of macrolanguage {iso3} differ in Glottolog ({sorted(map(str, fams))})"
        if g is None:
            return None, "family: no Glottolog entry"
        if g["Family_ID"]:
            return glotto_id[g["Family_ID"]]["Name"], ""
        if g["Is_Isolate"] == "True" or g["Level"] == "language":
            return "Isolate", ""
        return g["Name"], ""  # the entry is itself a top-level family

    def language_row(iso3: str) -> tuple[str | None, str | None, str]:
        """(rxlt code of the language-level row, ISO 639-1 code, how)."""
        two = iso.get(iso3, {}).get("alpha_2")
        if two and two in rows_lang:
            return two, two, ""
        if iso3 in rows_lang:
            return iso3, two, ""
        target = aliases.get(iso3)
        if target and target in rows_lang:
            return target, two or (target if len(target) == 2 else None), f"row {target} via CLDR languageAlias {iso3}->{target}"
        if target:
            two = two or (target if len(target) == 2 else None)
            return None, two, f"CLDR aliases {iso3} to {target}, which has no language-level row"
        return None, two, ""

    def likely_script(code: str) -> str | None:
        tag = likely.get(code)
        return tag.split("_")[1] if tag and len(tag.split("_")) >= 2 and len(tag.split("_")[1]) == 4 else None

    def joshi_by_names(cands: list[str]) -> tuple[int | None, str]:
        hits = {n: by_name[n.lower()] for n in cands if n and n.lower() in by_name}
        classes = set().union(*hits.values()) if hits else set()
        if len(classes) == 1:
            return classes.pop(), f"joshi: name {'/'.join(sorted(hits))}"
        if classes:
            return None, "joshi ambiguous: " + ", ".join(f"{n}={sorted(c)}" for n, c in sorted(hits.items()))
        return None, ""

    def wiki_edition(iso3: str, two: str | None, script: str, name: str) -> tuple[str | None, str]:
        for code in (two, iso3):
            if code and code in wiki:
                ws = likely_script(code)
                if ws is None:
                    return None, f"wiki: edition {code} exists but CLDR has no likely script for it"
                if ws != script:
                    return None, f"wiki: edition {code} is in {ws} script"
                return code, ""
        return None, ""

    out = {}
    for code, name in sorted(varieties.items()):
        iso3, script = code.split("_")
        notes = []
        fam, why = family(iso3)
        notes += [why] if why else []
        rxlt, two, how = language_row(iso3)
        notes += [how] if how else []
        base = rows_lang.get(rxlt)
        same_script = base is not None and (script == base["script"] or (script, base["script"]) in SCRIPT_COMPATIBLE)
        plain = re.sub(r" \((?:[A-Z][a-z]+ script|Romanized|Simplified|Traditional)\)$", "", name)
        if base is not None:
            joshi_cls = base["joshi"]
            notes.append(f"joshi = row {rxlt} ({'same language' if same_script else 'a class of the language, not of the script'})")
        else:
            joshi_cls, why = joshi_by_names([plain, iso.get(iso3, {}).get("name"), glotto_iso.get(iso3, {}).get("Name")])
            if joshi_cls is None and not why:
                exact = by_code.get(code, set())
                if len({c for c, _ in exact}) == 1:
                    joshi_cls = next(iter(exact))[0]
                    why = f"joshi: MaLA code {code} only ({next(iter(exact))[1]!r})"
                elif exact:
                    why = f"joshi ambiguous by MaLA code {code}: {sorted(exact)}"
            notes += [why] if why else []
        wiki_code, in_mbert = None, False
        if same_script:
            cc, seen, in_mbert = base["cc100_gib"], base["in_cc100"], base["in_mbert"]
            if rxlt == "my":
                notes.append("cc100: the my row's 0.4 GiB; the CSV has a second Burmese row (1.6 GiB), one of the two "
                             "is XLM-R's Zawgyi-encoded my_zaw (unverified which)")
            wiki_code = rxlt if rxlt in WIKIPEDIA else None
            if rxlt == "zh":  # CC-100 lists Simplified and Traditional separately; the zh row sums them
                row = next(r for r in cc100 if r["Language"] == "Chinese (Simplified)")
                cc = float(row["Size (GiB)"])
                notes.append("cc100: the 'Chinese (Simplified)' row")
        elif iso3 == "zho" and script == "Hant":
            row = next(r for r in cc100 if r["Language"] == "Chinese (Traditional)")
            cc, seen, in_mbert, wiki_code = float(row["Size (GiB)"]), True, True, "zh"
            notes.append("cc100: the 'Chinese (Traditional)' row; mbert: google-research/bert@eedf571 multilingual.md lists "
                         "Chinese (Traditional) among the 104 languages")
        elif script == "Latn" and iso3 in ROMANIZED_CC100:
            row = next(r for r in cc100 if r["Language"] == ROMANIZED_CC100[iso3])
            cc, seen = float(row["Size (GiB)"]), True
            notes.append(f"cc100: the '{row['Language']}' row")
        else:
            cc, seen = None, False
            if base is not None and base["in_cc100"]:
                notes.append(f"cc100: the {rxlt} row is {base['script']} script")
            if base is None:
                wiki_code, why = wiki_edition(iso3, two, script, name)
                notes += [why] if why else []
                in_mbert = bool(wiki_code) and wiki[wiki_code]["In mBERT?"].strip() == "y"
            elif base["in_mbert"]:
                notes.append(f"mbert: the {rxlt} Wikipedia is {base['script']} script")
        if base is not None and not same_script and wiki_code == rxlt and iso3 != "zho":
            wiki_code = None
        macro = macro_of.get(iso3)
        if macro and not seen:
            two_m = iso.get(macro, {}).get("alpha_2")
            mrow = rows_lang.get(two_m)
            if mrow is not None and mrow["in_cc100"] and rxlt != two_m:
                notes.append(f"cc100: member of macrolanguage {macro}, whose CC-100 row {two_m} ({mrow['cc100_gib']} GiB) "
                             f"is another language by CLDR; counted unseen")
        src = "flores" if code in names else "belebele"
        out[code] = (name, fam, script, joshi_cls, cc, bool(seen), bool(in_mbert), src, iso3, macro, rxlt, two,
                     wiki_code, "; ".join(n for n in notes if n))

    suites = sorted({c for codes in SUITE_CODES.values() for c in codes})
    bare = {}
    for c in suites:
        if len(c) == 2 or any(k.startswith(c + "_") for k in out):
            continue  # a two-letter row, or a FLORES variety the resolver finds (checked by the tests)
        rxlt, two, how = language_row(c)
        if rxlt is not None:
            continue  # resolves to a language-level row (pcm, swa -> sw, orm -> om, ...)
        name = iso[c]["name"] if c in iso else {"nah": "Nahuatl languages", "oto": "Otomian languages"}[c]
        fam, why = family(c)
        notes = [n for n in (how, why) if n]
        joshi_cls, why = joshi_by_names([name, glotto_iso.get(c, {}).get("Name")])
        notes += [why] if why else []
        script = likely_script(c) or "Latn"
        if likely_script(c) is None:
            notes.append("script: not in CLDR likelySubtags; the suite's data are Latin-script text")
        wiki_code, why = wiki_edition(c, two, script, name)
        notes += [why] if why else []
        in_mbert = bool(wiki_code) and wiki[wiki_code]["In mBERT?"].strip() == "y"
        macro = macro_of.get(c)
        bare[c] = (name, fam, script, joshi_cls, None, False, in_mbert, "suite", c if c in iso else None, macro, None,
                   two, wiki_code, "; ".join(notes))
    wiki_rows = {}
    for row in list(out.values()) + list(bare.values()):
        w = row[12]
        if w and w not in WIKIPEDIA:
            r = wiki[w]
            wiki_rows[w] = (int(r["Articles"].replace(",", "")), int(r["Tokens"].replace(",", "")))
    # one default variety per ISO 639-3 code that has several: the one in CLDR's likely script of the code (or of
    # the code CLDR aliases it to), so a bare code (NusaX's "ace") finds its variety
    by_iso3 = collections.defaultdict(list)
    for code in out:
        by_iso3[code[:3]].append(code)
    defaults = {}
    for iso3, codes in sorted(by_iso3.items()):
        if len(codes) > 1:
            target = aliases.get(iso3, iso3).split("_")[0]
            ls = likely_script(iso3) or likely_script(target)
            pick = [c for c in codes if c.endswith("_" + str(ls))]
            assert len(pick) == 1, (iso3, codes, ls)
            defaults[iso3] = pick[0]
    # ISO 639-3 -> ISO 639-1 for every two-letter row of the language-level table (iso_639-3.json), so "swa",
    # "orm", "deu" reach the rows "sw", "om", "de" where no FLORES variety has that code
    iso3_to_1 = {r["alpha_3"]: r["alpha_2"] for r in iso.values() if r.get("alpha_2") in rows_lang}
    SUITE_CODES["belebele"] = sorted(bb)  # the 122 variants of its README (ary_arab written ary_Arab)
    lines = emit(out, bare, wiki_rows, defaults, iso3_to_1)
    Path(target_path).write_text("\n".join(lines) + "\n", encoding="utf-8")


def emit(out, bare, wiki_rows, defaults, iso3_to_1) -> list[str]:
    lines = []
    print = lines.append  # noqa: A001 - the module is built line by line
    print(HEADER.strip("\n"))
    print("\n# code: (name, family, script, joshi, cc100_gib, in_cc100, in_mbert, src, iso639_3, macrolanguage, rxlt_code, iso639_1, wiki, note)")
    print("VARIETY_ROWS: dict[str, tuple] = {")
    for code, row in out.items():  # one record per line (the module stays under 500 lines)
        print(f"    {code!r}: {row!r},")
    print("}\n\n# ISO 639-3 codes of the suites without a FLORES variety or a language-level row (same columns)")
    print("SUITE_ROWS: dict[str, tuple] = {")
    for code, row in bare.items():
        print(f"    {code!r}: {row!r},")
    print("}\n\n# Wikipedia edition -> (articles, whitespace tokens), wiki.csv@0adee01, for editions the language-level")
    print("# table (rxlt.languages.covariates.WIKIPEDIA) lacks")
    print("WIKIPEDIA_EDITIONS: dict[str, tuple[int, int]] = {")
    for code, row in sorted(wiki_rows.items()):
        print(f"    {code!r}: {row!r},")
    print("}\n\n# The codes each suite's data use: AfriSenti, MasakhaNER 2.0, AmericasNLI, NusaX as their repositories name")
    print("# their data folders (see the header); Belebele's 122 FLORES-200 variants as its README lists them")
    print("SUITE_CODES: dict[str, tuple[str, ...]] = {")
    for suite, codes in SUITE_CODES.items():
        items = [repr(c) for c in codes]
        print(f"    {suite!r}: (")
        for i in range(0, len(items), 9):
            print("        " + ", ".join(items[i:i + 9]) + ",")
        print("    ),")
    print("}\n\n# ISO 639-3 code with several varieties -> the variety in CLDR's likely script (babel 2.18 likelySubtags)")
    print("DEFAULT_VARIETIES: dict[str, str] = {")
    items = [f"{k!r}: {v!r}" for k, v in defaults.items()]
    for i in range(0, len(items), 6):
        print("    " + ", ".join(items[i:i + 6]) + ",")
    print("}\n\n# ISO 639-3 -> ISO 639-1 where the two-letter code is a row of the language-level table (iso_639-3.json)")
    print("ISO639_3_TO_1: dict[str, str] = {")
    items = [f"{k!r}: {v!r}" for k, v in sorted(iso3_to_1.items())]
    for i in range(0, len(items), 9):
        print("    " + ", ".join(items[i:i + 9]) + ",")
    print("}")
    return lines


HEADER = '''"""Language metadata of every FLORES-200 variety SIB-200 and Belebele evaluate, and of the bare ISO 639-3
codes of AfriSenti, MasakhaNER 2.0, AmericasNLI and NusaX that have no FLORES variety.

GENERATED by rxlt/languages/flores_generator.py from the sources below; edit the script, not these rows. Looked up
through rxlt.languages.metadata.language(code), which resolves FLORES codes (`yor_Latn`), ISO 639-3 codes with
or without script and the two-letter codes of the language-level table.

Rows: the 205 SIB-200 varieties (dadelani/sib-200@593cea88 data/annotated/: FLORES-200's 204 + nqo_Nkoo), the 5
romanized Belebele variants not in FLORES-200 (ben_Latn, hin_Latn, npi_Latn, sin_Latn, urd_Latn;
facebookresearch/belebele@918890b README.md, "^" rows), and SUITE_ROWS. Columns and sources:
  name        FLORES-200 "Language" column (facebookresearch/flores@a6c830c flores200/README.md); nqo_Nkoo: Debian
              iso-codes 4.15 iso_639-3.json; Belebele's romanized variants: its README; suites: iso_639-3.json
              (ISO 639-5 for the collective codes nah, oto).
  family      top-level family in Glottolog 5.1 (glottolog/glottolog-cldf@b6d3ea2 cldf/languages.csv, Family_ID of
              the ISO 639-3 code; "Isolate" for isolates; for a macrolanguage, the family all its members share).
              Glottolog's names: "Atlantic-Congo" where the language-level table says "Niger-Congo"; creoles
              under their lexifier's family as Glottolog places them; Esperanto and N'Ko (a standardized written
              Manding) are Glottolog's "Artificial Language".
  script      the ISO 15924 part of the code (suites: CLDR likelySubtags via babel).
  joshi       Joshi et al. 2020 class, MaLA-LM/LangResourceAtlas@36f973d Joshi-et-al/Joshi-et-al-6-classes.json.
              A variety of a language that has a language-level row (rxlt_code) takes that row's class (a class
              is a property of the language, not of its script: arb_Latn = Arabic's 5; noted per row); otherwise
              entries whose name equals the FLORES, ISO 639-3 or Glottolog name, all of one class; failing any
              name, entries whose (LLM-annotated) code equals the FLORES code, all of one class. Several classes
              or no entry = None (the note lists what was found).
  cc100_gib, in_cc100
              XLM-R's CC-100 (Conneau et al. 2020 Table 6 via mayhewsw/multilingual-data-stats@7397902
              cc-100/cc-100.csv). A variety is seen when it is the language of a CC-100 row in that row's script:
              its language-level row has one and the scripts agree (Hang within Kore), or it is a Latin-script
              variety of a language with a "Romanized" row (hi, ur, bn, ta, te). Chinese: the Simplified and the
              Traditional rows separately. Another member of the same macrolanguage (Arabic dialects, Dari,
              Southern Pashto, South Azerbaijani, Banjar, Minangkabau, ...) is NOT the CC-100 language (CLDR
              languageAlias says which member is): counted unseen, noted with the macrolanguage's size.
  in_mbert    mBERT's 104 Wikipedia languages ("In mBERT?" of mayhewsw/multilingual-data-stats@0adee01
              wiki/wiki.csv; Chinese (Traditional): google-research/bert@eedf571 multilingual.md), for the
              variety's Wikipedia edition in the edition's CLDR likely script.
  src         "flores" | "belebele" | "suite".
  iso639_3, macrolanguage
              the ISO 639-3 code and its macrolanguage (SIL iso-639-3-macrolanguages.tab, as shipped in the
              python-iso639 2026.7.23 wheel), None when it is not a member of one.
  rxlt_code   the row of rxlt.languages.metadata's language-level table this variety's language has: the ISO
              639-1 code of iso_639-3.json, the ISO 639-3 code itself, or CLDR's languageAlias (babel 2.18:
              arb->ar, swh->sw, zsm->ms, twi->ak, ...); None when the language has no row there.
  iso639_1    the two-letter code (iso_639-3.json, else the CLDR alias), also where no row has it.
  wiki        the key of its Wikipedia edition in rxlt.languages.covariates' token counts (None: no edition in
              wiki.csv, or one in another script).
  note        which rule gave which value, and every ambiguity met.

SUITE_CODES, as the suites' own data name their languages: AfriSenti afrisenti-semeval/afrisent-semeval-2023@5aec3cf
data/<code>/ (its README table writes "ama" and "pt-MZ" for the folders amh and por; por = Mozambican
Portuguese, which has no row of its own: it resolves to por_Latn); MasakhaNER 2.0 masakhane-io/masakhane-ner
@ba5843c MasakhaNER2.0/data/<code>/; AmericasNLI abteen/americasnli@bebd02c data/anli_final/{dev,test}/<code>.tsv;
NusaX IndoNLP/nusax@75b0be5 datasets/sentiment/<language name>/ (each name mapped to the ISO 639-3 code
iso_639-3.json gives that name: acehnese = Achinese ace, banjarese = Banjar bjn, toba_batak = Batak Toba bbc);
Belebele its README's 122 codes. A bare code that is also a key of the language-level table (luo, pcm, gn)
resolves to that row; its FLORES variety, where it has one, is `flores_code(code)`.
"""
from __future__ import annotations
'''

if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
