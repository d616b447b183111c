"""Raw CoNLL-U reads exactly as XTREME's download_data.sh writes udpos/<split>-<lang>.tsv: conllu_to_conll.py
--replace_subtokens_with_fused_forms (google-research/xtreme@091824888a60162ad9ea10d7fe67aa561615e4ca
third_party/ud-conversion-tools/lib/conll.py `_keep_fused_form`), then utils_preprocess.py udpos_preprocess.
The golden files below are derived by hand from that code: a multiword token is one token with its fused form,
tagged with the UPOS of the span word with the fewest ancestors (HEAD and DEPS edges), ties broken by the
language's precedence list (es: VERB AUX PRON ADP DET; default: ... AUX ADP DET ...)."""
import pytest

from rxlt.data.xtreme_loader import load

COLS = "{i}\t{form}\t_\t{upos}\t_\t_\t{head}\t_\t{deps}\t_\n"


def conllu(*sentences) -> str:
    out = []
    for sent in sentences:
        for row in sent:
            i, form, upos, head, *deps = row
            out.append(COLS.format(i=i, form=form, upos=upos, head=head, deps=deps[0] if deps else "_"))
        out.append("\n")
    return "".join(out)


def span(ids: str, form: str) -> tuple:
    return (ids, form, "_", "_")


def xtreme_tsv(frame) -> str:
    """The frame in udpos_preprocess's tsv layout: token<TAB>tag per line, a blank line after each sentence."""
    return "".join("".join(f"{w}\t{t}\n" for w, t in zip(r.tokens, r.tags)) + "\n" for r in frame.itertuples())


def write(root, name: str, lang: str, text: str):
    path = root / "ud-treebanks-v2.7" / f"UD_{name}" / f"{lang}_x-ud-test.conllu"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_spanish_del_and_al_keep_the_fused_form_with_the_adp_tag(offline, tmp_path):
    sent1 = [  # "Voy al mercado del pueblo ." — a/de (case) and el (det) both hang off the noun: a tie
        (1, "Voy", "VERB", 0), span("2-3", "al"), (2, "a", "ADP", 4), (3, "el", "DET", 4), (4, "mercado", "NOUN", 1),
        span("5-6", "del"), (5, "de", "ADP", 7), (6, "el", "DET", 7), (7, "pueblo", "NOUN", 4),
        (8, ".", "PUNCT", 1)]
    sent2 = [  # "Dámelo ." — the verb is the span's only highest word, whatever the precedence list says
        span("1-3", "Dámelo"), (1, "Da", "VERB", 0), (2, "me", "PRON", 1), (3, "lo", "PRON", 1), (4, ".", "PUNCT", 1)]
    sent3 = [(1, "Sí", "INTJ", 0), ("1.1", "es", "AUX", "_"), (2, ".", "PUNCT", 1)]  # empty node skipped
    write(tmp_path, "Spanish-X", "es", "# sent_id = 1\n" + conllu(sent1, sent2, sent3))
    got = load("udpos", "test", ["es"], data_dir=tmp_path)
    assert xtreme_tsv(got) == ("Voy\tVERB\nal\tADP\nmercado\tNOUN\ndel\tADP\npueblo\tNOUN\n.\tPUNCT\n\n"
                               "Dámelo\tVERB\n.\tPUNCT\n\n"
                               "Sí\tINTJ\n.\tPUNCT\n\n")


def test_german_zum_head_follows_deps_edges_then_precedence(offline, tmp_path):
    zum = [(1, "Wir", "PRON", 2), (2, "gehen", "VERB", 0), span("3-4", "zum"), (3, "zu", "ADP", 5),
           (4, "dem", "DET", 5), (5, "Markt", "NOUN", 2), (6, ".", "PUNCT", 2)]
    # the same sentence, but the enhanced graph (DEPS) gives "zu" one more ancestor (word 1): "dem" is highest
    deps = [(1, "Wir", "PRON", 2), (2, "gehen", "VERB", 0), span("3-4", "zum"), (3, "zu", "ADP", 5, "5:case|1:dep"),
            (4, "dem", "DET", 5, "5:det"), (5, "Markt", "NOUN", 2), (6, ".", "PUNCT", 2)]
    write(tmp_path, "German-X", "de", conllu(zum, deps))
    got = load("udpos", "test", ["de"], data_dir=tmp_path)
    assert got.tokens.tolist() == [["Wir", "gehen", "zum", "Markt", "."]] * 2
    assert got.tags.tolist() == [["PRON", "VERB", "ADP", "NOUN", "PUNCT"], ["PRON", "VERB", "DET", "NOUN", "PUNCT"]]


def test_withheld_forms_are_counted_on_the_fused_tokens(offline, tmp_path):
    """Words "_ _ c" would be dropped (2 of 3 empty: 2 < 2 is false), but "_"+"_" fused as "ab" leaves
    ["ab", "c"] with none empty, so udpos_preprocess keeps it; a fused "_" of two tokens is dropped."""
    kept = [span("1-2", "ab"), (1, "_", "PRON", 3), (2, "_", "ADP", 1), (3, "c", "VERB", 0)]
    dropped = [span("1-2", "_"), (1, "_", "PRON", 3), (2, "_", "ADP", 1), (3, "_", "VERB", 0)]
    write(tmp_path, "English-X", "en", conllu(kept, dropped))
    got = load("udpos", "test", ["en"], data_dir=tmp_path)
    assert got.tokens.tolist() == [["ab", "c"]] and got.tags.tolist() == [["PRON", "VERB"]]


def test_a_tie_the_converter_cannot_break_leaves_the_file_out_as_xtreme_does(offline, tmp_path):
    """es's precedence list has no NOUN: conllu_to_conll.py raises (list.index) and writes no .conll file."""
    tie = [span("1-2", "xy"), (1, "x", "NOUN", 3), (2, "y", "ADJ", 3), (3, "z", "VERB", 0)]
    path = write(tmp_path, "Spanish-X", "es", conllu([(1, "Hola", "INTJ", 0)], tie))
    with pytest.warns(UserWarning, match=rf"{path.name}: XTREME's conllu_to_conll.py stops on this file "
                                         r"\(line \d+: .*UPOS 'NOUN' is not in"):
        with pytest.raises(FileNotFoundError, match="no es rows"):
            load("udpos", "test", ["es"], data_dir=tmp_path)
