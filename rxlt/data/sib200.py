"""SIB-200: 7-way topic classification of FLORES-200 sentences in 205 language varieties (Adelani et al. 2024,
EACL; arXiv 2309.07445). The same 1,004 items (`index_id`) in every variety, split 701 train / 99 dev / 204 test,
so test items are parallel across languages and no translation of a training item is ever tested.

Where the data come from, first match wins (`source="auto"`, the default):
1. a local copy in the upstream layout under `data_dir` (or `$RXLT_DATA_DIR`): `<root>/sib-200/data/annotated/
   <lang>_<Script>/{train,dev,test}.tsv` (a clone of dadelani/sib-200), `<root>/data/annotated/...` (the clone
   itself as the root) or `<root>/sib-200/annotated/...`; N'Ko may be the upstream `nqo_Nkoo.zip` alone;
2. a local hub snapshot `<root>/Davlan/sib200/<lang>_<Script>/<split>/0000.parquet` (the hub's parquet
   conversion, columns index_id, category, text; splits train / validation / test; see HUB below);
3. the copy shipped with rxlt, `rxlt/data/sib200/annotated/<lang>/<split>.tsv.gz` (dadelani/sib-200@593cea8,
   CC BY-SA 4.0: rxlt/data/sib200/README.md).
`source="hub"` (or `$RXLT_SIB200_SOURCE=hub`) reads `datasets.load_dataset("Davlan/sib200", <lang>, split)`
instead (network), `source="shipped"` only the shipped copy. An explicit `data_dir` without SIB-200 files is an
error naming the paths tried. Every file read is recorded in rxlt.data.provenance.

Frames: language, key (= str(index_id)), index_id, text, label. The `language` column holds SIB-200's codes
(ISO 639-3 + ISO 15924, `yor_Latn`), except English (`eng_Latn`), which is rxlt's source-language code `en`
(rxlt.data.catalog.SOURCE_LANGUAGE) so the phases find it; `examples` accepts either, and every code
rxlt.languages.metadata.resolve accepts (`yo`, `yor`, `yor_Latn`).

The files were written by pandas `to_csv(sep="\\t")` (dadelani/sib-200@593cea8 create_sib_data.py) and are read
by upstream with `pd.read_csv(sep="\\t")` (code/util_textclass.py): CSV quoting inside TSV, so a text holding `"`
is quoted with doubled inner quotes. `read_tsv` reads them as such (the csv module, strict quoting); unlike
pandas it keeps texts like "NA" as text. A malformed file is a DataFileError naming file and line.
"""
from __future__ import annotations

import csv
import functools
import gzip
import io
import os
import zipfile
from pathlib import Path

import pandas as pd

from rxlt.data import hub_tasks, provenance
from rxlt.data.readers import DataFileError
from rxlt.languages.metadata import resolve
from rxlt.lookup import UnknownNameError, suggest

SHIPPED = Path(__file__).resolve().parent / "sib200"
UPSTREAM = "dadelani/sib-200@593cea88519930f776c1a4a1980b6a35b39dca57 data/annotated"
SOURCE_LANGUAGE = "en"  # = rxlt.data.catalog.SOURCE_LANGUAGE; SIB-200 calls it eng_Latn
ENGLISH = "eng_Latn"
SPLITS = ("train", "dev", "test")
SOURCES = ("auto", "shipped", "hub")
# Davlan/sib200 on the hub: one config per variety (`hin_Deva`, ...), splits train / validation / test, columns
# index_id (int64), category, text. Layout of its parquet conversion (the refs/convert/parquet branch, which
# `huggingface-cli download Davlan/sib200 --repo-type dataset --revision refs/convert/parquet` fetches):
# `<config>/<split>/0000.parquet` — huggingface.co/datasets/Davlan/sib200/tree/<rev>/ace_Arab/{train,validation,
# test}/0000.parquet (e.g. revisions fe7d9d23, a63b537d); configs and split names as used by downstream code
# (load_dataset("Davlan/sib200", "rus_Cyrl", split="test"), columns `category` and `text`).
HUB = {"id": "Davlan/sib200", "splits": {"train": "train", "dev": "validation", "test": "test"}, "revision": None}
COLUMNS = ("index_id", "category", "text")
LAYOUTS = ("sib-200/data/annotated", "data/annotated", "sib-200/annotated")

# The 205 varieties: FLORES-200's 204 (facebookresearch/flores@a6c830c flores200/README.md) + nqo_Nkoo, as the
# folders of dadelani/sib-200@593cea8 data/annotated/ (checked against the shipped copy by the tests).
VARIETIES: tuple[str, ...] = (
    'ace_Arab', 'ace_Latn', 'acm_Arab', 'acq_Arab', 'aeb_Arab', 'afr_Latn', 'ajp_Arab', 'aka_Latn', 'als_Latn',
    'amh_Ethi', 'apc_Arab', 'arb_Arab', 'arb_Latn', 'ars_Arab', 'ary_Arab', 'arz_Arab', 'asm_Beng', 'ast_Latn',
    'awa_Deva', 'ayr_Latn', 'azb_Arab', 'azj_Latn', 'bak_Cyrl', 'bam_Latn', 'ban_Latn', 'bel_Cyrl', 'bem_Latn',
    'ben_Beng', 'bho_Deva', 'bjn_Arab', 'bjn_Latn', 'bod_Tibt', 'bos_Latn', 'bug_Latn', 'bul_Cyrl', 'cat_Latn',
    'ceb_Latn', 'ces_Latn', 'cjk_Latn', 'ckb_Arab', 'crh_Latn', 'cym_Latn', 'dan_Latn', 'deu_Latn', 'dik_Latn',
    'dyu_Latn', 'dzo_Tibt', 'ell_Grek', 'eng_Latn', 'epo_Latn', 'est_Latn', 'eus_Latn', 'ewe_Latn', 'fao_Latn',
    'fij_Latn', 'fin_Latn', 'fon_Latn', 'fra_Latn', 'fur_Latn', 'fuv_Latn', 'gaz_Latn', 'gla_Latn', 'gle_Latn',
    'glg_Latn', 'grn_Latn', 'guj_Gujr', 'hat_Latn', 'hau_Latn', 'heb_Hebr', 'hin_Deva', 'hne_Deva', 'hrv_Latn',
    'hun_Latn', 'hye_Armn', 'ibo_Latn', 'ilo_Latn', 'ind_Latn', 'isl_Latn', 'ita_Latn', 'jav_Latn', 'jpn_Jpan',
    'kab_Latn', 'kac_Latn', 'kam_Latn', 'kan_Knda', 'kas_Arab', 'kas_Deva', 'kat_Geor', 'kaz_Cyrl', 'kbp_Latn',
    'kea_Latn', 'khk_Cyrl', 'khm_Khmr', 'kik_Latn', 'kin_Latn', 'kir_Cyrl', 'kmb_Latn', 'kmr_Latn', 'knc_Arab',
    'knc_Latn', 'kon_Latn', 'kor_Hang', 'lao_Laoo', 'lij_Latn', 'lim_Latn', 'lin_Latn', 'lit_Latn', 'lmo_Latn',
    'ltg_Latn', 'ltz_Latn', 'lua_Latn', 'lug_Latn', 'luo_Latn', 'lus_Latn', 'lvs_Latn', 'mag_Deva', 'mai_Deva',
    'mal_Mlym', 'mar_Deva', 'min_Arab', 'min_Latn', 'mkd_Cyrl', 'mlt_Latn', 'mni_Beng', 'mos_Latn', 'mri_Latn',
    'mya_Mymr', 'nld_Latn', 'nno_Latn', 'nob_Latn', 'npi_Deva', 'nqo_Nkoo', 'nso_Latn', 'nus_Latn', 'nya_Latn',
    'oci_Latn', 'ory_Orya', 'pag_Latn', 'pan_Guru', 'pap_Latn', 'pbt_Arab', 'pes_Arab', 'plt_Latn', 'pol_Latn',
    'por_Latn', 'prs_Arab', 'quy_Latn', 'ron_Latn', 'run_Latn', 'rus_Cyrl', 'sag_Latn', 'san_Deva', 'sat_Olck',
    'scn_Latn', 'shn_Mymr', 'sin_Sinh', 'slk_Latn', 'slv_Latn', 'smo_Latn', 'sna_Latn', 'snd_Arab', 'som_Latn',
    'sot_Latn', 'spa_Latn', 'srd_Latn', 'srp_Cyrl', 'ssw_Latn', 'sun_Latn', 'swe_Latn', 'swh_Latn', 'szl_Latn',
    'tam_Taml', 'taq_Latn', 'taq_Tfng', 'tat_Cyrl', 'tel_Telu', 'tgk_Cyrl', 'tgl_Latn', 'tha_Thai', 'tir_Ethi',
    'tpi_Latn', 'tsn_Latn', 'tso_Latn', 'tuk_Latn', 'tum_Latn', 'tur_Latn', 'twi_Latn', 'tzm_Tfng', 'uig_Arab',
    'ukr_Cyrl', 'umb_Latn', 'urd_Arab', 'uzn_Latn', 'vec_Latn', 'vie_Latn', 'war_Latn', 'wol_Latn', 'xho_Latn',
    'ydd_Hebr', 'yor_Latn', 'yue_Hant', 'zho_Hans', 'zho_Hant', 'zsm_Latn', 'zul_Latn'
)
# labels.txt of every upstream folder, in its order (the label ids of a trained head follow it)
LABELS: tuple[str, ...] = ("science/technology", "travel", "politics", "sports", "health", "entertainment",
                           "geography")

SIB200_TASKS: dict[str, dict] = {
    "sib200": {
        "source": "sib200", "kind": "classification", "metric": "accuracy", "english_task": "sib200",
        "domain": "topic of FLORES-200 sentences (English Wikinews, Wikijunior and Wikivoyage, translated)",
        "description": "sentence -> one of 7 topics; 205 varieties, the same 204 test items in each",
        "labels": list(LABELS), "languages": VARIETIES, "split": {"train": 701, "dev": 99, "test": 204},
        "license": "CC BY-SA 4.0 (FLORES-200 text); annotation: dadelani/sib-200 (Apache-2.0)",
        "upstream": UPSTREAM, "hub": HUB,
        # dadelani/sib-200@593cea8 code/xlmr_zero.sh: the authors' zero-shot baseline
        "protocol": {"model": "xlm-roberta-large", "train_language": ENGLISH, "max_length": 164, "batch_size": 16,
                     "epochs": 20, "lr": 1e-5, "seeds": 20},
    },
}


def frame_code(variety: str) -> str:
    """SIB-200's code as the frames name it: `en` for eng_Latn (rxlt's source language), else itself."""
    return SOURCE_LANGUAGE if variety == ENGLISH else variety


def variety_of(code: str) -> str:
    """The SIB-200 variety of any code rxlt.languages.metadata.resolve accepts (`en`, `yo`, `yor`, `yor_Latn`)."""
    if code in (SOURCE_LANGUAGE, ENGLISH):
        return ENGLISH
    try:
        key = resolve(code)
    except UnknownNameError:
        key = code
    if key in VARIETIES:
        return key
    from rxlt.languages.metadata import LANGUAGES

    row = LANGUAGES.get(key)
    if row is not None and row.get("flores") in VARIETIES:
        return row["flores"]
    raise UnknownNameError(f"sib200 has no language {code!r}: {suggest(code, VARIETIES)}")


def _open_text(path: Path, member: str | None):
    if member is not None:
        return io.TextIOWrapper(zipfile.ZipFile(path).open(member), encoding="utf-8", newline="")
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8", newline="")
    return open(path, encoding="utf-8", newline="")


@functools.lru_cache(maxsize=1024)
def _read_cached(path: str, member: str | None, mtime: float, size: int) -> tuple[tuple[int, str, str], ...]:
    return tuple(_parse(Path(path), member))


def _parse(path: Path, member: str | None):
    where = f"{path}!{member}" if member else str(path)
    rows, seen = [], set()
    try:
        with _open_text(path, member) as f:
            reader = csv.reader(f, delimiter="\t", quotechar='"', doublequote=True, strict=True)
            try:
                header = next(reader)
            except StopIteration:
                raise DataFileError(f"{where}:1: empty file; expected the header {'<TAB>'.join(COLUMNS)}") from None
            if header != list(COLUMNS):
                raise DataFileError(f"{where}:1: header {header}; expected {list(COLUMNS)} (SIB-200 upstream layout)")
            for cols in reader:
                no = reader.line_num
                if not cols:
                    continue
                if len(cols) != 3:
                    raise DataFileError(f"{where}:{no}: expected 3 tab-separated fields (index_id, category, text), "
                                        f"got {len(cols)}; a text holding a tab or '\"' must be CSV-quoted")
                rows.append(_checked(cols[0], cols[1], cols[2], f"{where}:{no}", seen))
    except csv.Error as exc:
        raise DataFileError(f"{where}:{reader.line_num}: {exc} (the files are CSV-quoted TSV: a field holding '\"' "
                            f"is quoted and its inner quotes doubled)") from None
    except UnicodeDecodeError as exc:
        raise DataFileError(f"{where}: not UTF-8 text ({exc})") from None
    except (OSError, EOFError, zipfile.BadZipFile) as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        raise DataFileError(f"{where}: unreadable ({type(exc).__name__}: {exc})") from None
    return rows


def _checked(index_id, category, text, where: str, seen: set) -> tuple[int, str, str]:
    try:
        item = int(index_id)
    except (TypeError, ValueError):
        raise DataFileError(f"{where}: index_id {index_id!r} is not an integer") from None
    if category not in LABELS:
        raise DataFileError(f"{where}: category {category!r} is not one of {list(LABELS)}")
    if not isinstance(text, str) or not text.strip():
        raise DataFileError(f"{where}: empty text for index_id {item}")
    if item in seen:
        raise DataFileError(f"{where}: index_id {item} occurs twice")
    seen.add(item)
    return item, category, text


def read_tsv(path, member: str | None = None) -> list[tuple[int, str, str]]:
    """(index_id, category, text) rows of one SIB-200 file: `.tsv`, `.tsv.gz` or `member` of a zip archive."""
    path = Path(path)
    stat = path.stat()
    return list(_read_cached(str(path.resolve()), member, stat.st_mtime, stat.st_size))


def _frame(parts: list[tuple[str, list]]) -> pd.DataFrame:
    """One frame from (variety, rows) parts, built once (a frame per variety costs pandas ~10 ms each)."""
    cols = {"language": [], "key": [], "index_id": [], "text": [], "label": []}
    for variety, rows in parts:
        code = frame_code(variety)
        for item, category, text in rows:
            cols["language"].append(code)
            cols["key"].append(str(item))
            cols["index_id"].append(item)
            cols["text"].append(text)
            cols["label"].append(category)
    return pd.DataFrame(cols).astype({"index_id": "int64"})


# ---------------- where the files are ----------------

def _root(data_dir) -> Path | None:
    if data_dir is not None:
        return Path(data_dir)
    env = os.environ.get("RXLT_DATA_DIR")
    return Path(env) if env else None


def _upstream_base(root: Path) -> Path | None:
    for layout in LAYOUTS:
        base = root / layout
        if (base / ENGLISH).is_dir() or any(base.glob("*_*/test.tsv")) or (base / "nqo_Nkoo.zip").is_file():
            return base
    return None


def _upstream_file(base: Path, variety: str, split: str) -> tuple[Path, str | None] | None:
    path = base / variety / f"{split}.tsv"
    if path.is_file():
        return path, None
    archive = base / f"{variety}.zip"  # upstream ships N'Ko as nqo_Nkoo.zip (nqo_Nkoo/<split>.tsv inside)
    if archive.is_file():
        member = f"{variety}/{split}.tsv"
        try:
            if member in zipfile.ZipFile(archive).namelist():
                return archive, member
        except zipfile.BadZipFile as exc:
            raise DataFileError(f"{archive}: not a zip archive ({exc})") from None
    return None


def _shipped_file(variety: str, split: str) -> Path:
    return SHIPPED / "annotated" / variety / f"{split}.tsv.gz"


def _record_local(split: str, path: Path, member: str | None, source: str) -> None:
    where = str(path.resolve()) + (f"!{member}" if member else "")
    entry = {"task": "sib200", "split": split, "source": source, "path": where, "bytes": path.stat().st_size}
    if source == "rxlt shipped copy":
        entry["upstream"] = UPSTREAM
    provenance.record(entry)


def _snapshot_files(root: Path, variety: str, split: str) -> list[Path]:
    return hub_tasks._local_files({"hub_id": HUB["id"], "config": variety}, HUB["splits"][split], root)


def _hub_rows(raw: pd.DataFrame, where: str) -> list[tuple[int, str, str]]:
    missing = [c for c in COLUMNS if c not in raw.columns]
    if missing:
        raise DataFileError(f"{where}: columns {missing} missing (have {list(raw.columns)}); expected {list(COLUMNS)}")
    seen: set = set()
    return [_checked(i, c, t, f"{where} row {n}", seen)
            for n, (i, c, t) in enumerate(zip(raw["index_id"], raw["category"], raw["text"]))]


def _check_source(source: str | None) -> str:
    source = source or os.environ.get("RXLT_SIB200_SOURCE") or "auto"
    if source not in SOURCES:
        raise ValueError(f"sib200 source {source!r}: expected one of {SOURCES} (argument or $RXLT_SIB200_SOURCE)")
    return source


def _plan(split: str, data_dir, source: str) -> tuple[str, Path | None]:
    """Which source serves the split: ("upstream", base), ("snapshot", root), ("shipped", None) or ("hub", root)."""
    if split not in SPLITS:
        raise ValueError(f"sib200 has no split {split!r}: it has {list(SPLITS)}")
    root = _root(data_dir)
    if source == "hub":
        return "hub", root
    if source == "auto" and root is not None:
        base = _upstream_base(root)
        if base is not None:
            return "upstream", base
        if (root / HUB["id"]).is_dir():
            return "snapshot", root
        if data_dir is not None:
            tried = [str(root / layout / ENGLISH / f"{split}.tsv") for layout in LAYOUTS] + [str(root / HUB["id"])]
            raise FileNotFoundError(f"sib200 {split}: no SIB-200 files under {root}; tried {tried}")
    return "shipped", None


def _present(kind: str, where: Path | None, split: str) -> list[str]:
    if kind == "upstream":
        return [v for v in VARIETIES if _upstream_file(where, v, split)]
    if kind == "snapshot":
        return [v for v in VARIETIES if _snapshot_files(where, v, split)]
    return list(VARIETIES)


def local_files(split: str, data_dir=None, source: str | None = None) -> list[Path]:
    """The upstream-layout files under the data directory that `load(split)` reads (N'Ko's zip archive included), for
    checks before any run; [] where the split comes from a hub snapshot, the hub or the shipped copy."""
    kind, where = _plan(split, data_dir, _check_source(source))
    if kind != "upstream":
        return []
    return sorted({_upstream_file(where, v, split)[0] for v in _present(kind, where, split)})


def available_languages(split: str = "test", data_dir=None, source: str | None = None) -> list[str]:
    """Frame codes (`en`, `yor_Latn`, ...) of the varieties whose `split` the chosen source has."""
    kind, where = _plan(split, data_dir, _check_source(source))
    return [frame_code(v) for v in _present(kind, where, split)]


def load(split: str, languages=None, data_dir=None, source: str | None = None,
         revision: str | None = None) -> pd.DataFrame:
    """Rows (language, key, index_id, text, label) of `split` for `languages` (None = every variety the source
    has; codes as `variety_of` accepts). A requested variety the source lacks is an error naming the file."""
    kind, where = _plan(split, data_dir, _check_source(source))
    if isinstance(languages, str):
        languages = [languages]
    wanted = _present(kind, where, split) if languages is None else list(dict.fromkeys(map(variety_of, languages)))
    frames = []
    for variety in wanted:
        if kind == "upstream":
            found = _upstream_file(where, variety, split)
            if found is None:
                raise FileNotFoundError(f"sib200 {split} {variety}: {where / variety / f'{split}.tsv'} does not exist "
                                        f"(nor {where / f'{variety}.zip'})")
            _record_local(split, *found, source="local")
            frames.append((variety, read_tsv(*found)))
        elif kind == "snapshot":
            files = _snapshot_files(where, variety, split)
            if not files:
                folder = where / HUB["id"] / variety / HUB["splits"][split]
                raise FileNotFoundError(f"sib200 {split} {variety}: no {folder}/*.parquet in the hub snapshot")
            provenance.record_snapshot(HUB["id"], variety, HUB["splits"][split], files, where / HUB["id"])
            raw = pd.concat([hub_tasks._read(f) for f in files], ignore_index=True)
            frames.append((variety, _hub_rows(raw, f"{where / HUB['id']} ({variety}, {HUB['splits'][split]})")))
        elif kind == "hub":
            raw = hub_tasks._from_hub({"hub_id": HUB["id"], "config": variety}, HUB["splits"][split],
                                      revision or HUB["revision"], where)
            frames.append((variety, _hub_rows(raw, f"{HUB['id']} ({variety}, {HUB['splits'][split]})")))
        else:
            path = _shipped_file(variety, split)
            _record_local(split, path, None, source="rxlt shipped copy")
            frames.append((variety, read_tsv(path)))
    _check_parallel(frames, split)
    return _frame(frames)


def _check_parallel(parts: list[tuple[str, list]], split: str) -> None:
    """Every variety must hold the same items: pairing across languages is by index_id."""
    if not parts:
        return
    first, ref = parts[0][0], frozenset(r[0] for r in parts[0][1])
    for variety, rows in parts[1:]:
        items = frozenset(r[0] for r in rows)
        if items != ref:
            diff = sorted(items ^ ref)
            raise DataFileError(f"sib200 {split}: {variety} and {first} hold different items (index_id {diff[:5]}"
                                f"{' …' if len(diff) > 5 else ''}); SIB-200 is parallel across languages")


def summary(data_dir=None, source: str | None = None) -> pd.DataFrame:
    """Examples per split x language that `load` finds, in the layout of rxlt.data.xtreme_loader.summary."""
    rows = []
    for split in SPLITS:
        try:
            df = load(split, data_dir=data_dir, source=source)
        except FileNotFoundError:
            continue
        except DataFileError as exc:
            rows.append({"task": "sib200", "split": split, "language": "-", "examples": 0, "problem": str(exc)})
            continue
        for lang, n in df.groupby("language", sort=False).size().items():
            rows.append({"task": "sib200", "split": split, "language": lang, "examples": int(n), "problem": ""})
    return pd.DataFrame(rows, columns=["task", "split", "language", "examples", "problem"])
