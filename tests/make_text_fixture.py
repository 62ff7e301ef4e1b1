#!/usr/bin/env python3
"""Text-encoder parity fixtures for tests/test_text_encoder.cpp, computed by Hugging Face transformers.

Interpreter: a venv with transformers 4.36.2 over Debian's torch 1.13, made with
    /usr/bin/python3 -m venv --system-site-packages V && V/bin/pip install transformers==4.36.2
then
    V/bin/python tests/make_text_fixture.py tiny                 tests/fixtures/text/tiny_*
    V/bin/python tests/make_text_fixture.py real MODEL_DIR       tests/fixtures/text/minilm_parity_*
(MODEL_DIR: the unpacked model.zip of scripts/fetch_text_model.sh, with tokenizer.json).

tiny: a randomly initialised transformers.BertModel of all-MiniLM-L6-v2's architecture at a tiny size
(hidden 32, 2 layers, 4 heads, intermediate 64, a vocabulary of 300), saved as safetensors and
converted by scripts/convert_text_model.py into tiny_bert.invft, and batches of token ids with the
expected outputs (tiny_expected.json): the last hidden states and the masked-mean-pooled,
L2-normalised embeddings, computed in float64 with each batch padded to its longest text and masked;
and a few texts with their token ids and embeddings.

real: product texts (online_retail titles, completejourney product types from ../shared/data) and
hard strings (accents, CJK, emoji, punctuation, tabs, zero-width and combining characters, text far
beyond 256 tokens); their token ids by the model's tokenizer.json (HF tokenizers, truncated at 256),
and sentence-transformers' computation of their embeddings (BertModel, masked mean pooling, L2 norm)
in float64: minilm_parity_texts.txt (one text per line), minilm_parity_ids.jsonl,
minilm_parity_embeddings.f32 (little-endian float32, texts x 384).
"""
import csv
import json
import os
import random
import sys
import tempfile

import torch
import transformers

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
OUT = os.path.join(HERE, "fixtures", "text")
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import convert_text_model  # noqa: E402
import invf_model_format  # noqa: E402


def pooled(model, batch, pad_id):
    """(embeddings, last hidden states) of token-id lists, padded to the longest and masked."""
    n = max(len(ids) for ids in batch)
    ids = torch.tensor([x + [pad_id] * (n - len(x)) for x in batch])
    mask = torch.tensor([[1] * len(x) + [0] * (n - len(x)) for x in batch])
    with torch.no_grad():
        hidden = model(input_ids=ids, attention_mask=mask).last_hidden_state
    m = mask.unsqueeze(-1).to(hidden.dtype)
    mean = (hidden * m).sum(1) / m.sum(1).clamp(min=1e-9)
    return torch.nn.functional.normalize(mean, p=2, dim=1), hidden


def tiny():
    torch.manual_seed(12)
    rng = random.Random(12)
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    vocab = specials + [f"w{i}" for i in range(200)] + [f"##s{i}" for i in range(95)]
    config = transformers.BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2,
                                     num_attention_heads=4, intermediate_size=64,
                                     max_position_embeddings=64, type_vocab_size=2,
                                     layer_norm_eps=1e-12, hidden_act="gelu")
    model = transformers.BertModel(config, add_pooling_layer=False).eval()
    # Weights far from the default init (std 0.02, LayerNorm 1 and 0): attention that is not
    # near-uniform and LayerNorms that differ, so a swapped or missing parameter shows.
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.copy_(torch.randn_like(p) * (0.3 if p.dim() > 1 else 0.2) + (1.0 if "LayerNorm.weight" in name else 0.0))
    with tempfile.TemporaryDirectory() as work:
        model.save_pretrained(work, safe_serialization=True)
        os.makedirs(os.path.join(work, "1_Pooling"))
        with open(os.path.join(work, "1_Pooling", "config.json"), "w") as f:
            json.dump({"word_embedding_dimension": 32, "pooling_mode_mean_tokens": True,
                       "pooling_mode_cls_token": False, "pooling_mode_max_tokens": False}, f)
        with open(os.path.join(work, "sentence_bert_config.json"), "w") as f:
            json.dump({"max_seq_length": 48, "do_lower_case": False}, f)
        tokenizer = {
            "added_tokens": [{"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False,
                              "normalized": False, "special": True} for i, t in enumerate(specials)],
            "normalizer": {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True,
                           "strip_accents": None, "lowercase": True},
            "post_processor": {"single": [{"SpecialToken": {"id": "[CLS]"}}, {"Sequence": {"id": "A"}},
                                          {"SpecialToken": {"id": "[SEP]"}}]},
            "padding": {"pad_token": "[PAD]"},
            "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
                      "max_input_chars_per_word": 100, "vocab": {t: i for i, t in enumerate(vocab)}},
        }
        with open(os.path.join(work, "tokenizer.json"), "w") as f:
            json.dump(tokenizer, f)
        metadata, tensors = convert_text_model.convert(work, "tests/make_text_fixture.py tiny (random)")
    with open(os.path.join(OUT, "tiny_bert.invft"), "wb") as f:
        f.write(invf_model_format.write_model(metadata, tensors))

    # Batches of different lengths: 2 ([CLS] [SEP]) up to max_seq_length 48, one text alone.
    batches = []
    for sizes in ([2, 9, 17, 5], [48, 3, 30], [11], [6, 6, 40, 21, 2, 13]):
        batches.append([[2] + [rng.randrange(5, len(vocab)) for _ in range(n - 2)] + [3] for n in sizes])
    model = model.double()
    out = {"batches": []}
    for batch in batches:
        emb, hidden = pooled(model, batch, pad_id=0)
        out["batches"].append([{"ids": ids, "embedding": emb[i].tolist(),
                                "last_hidden": hidden[i, :len(ids)].reshape(-1).tolist()}
                               for i, ids in enumerate(batch)])
    # Texts with their ids as the tokenizer gives them in this vocabulary (w{i} is id 5 + i, ##s{i}
    # 205 + i; lower case, accents stripped, punctuation split off, [UNK] for a word it cannot cut),
    # for the C ABI and CLI tests, which start from text.
    texts = [("W1 w22s7", [2, 6, 27, 212, 3]), ("w3 w4 w5s1s2 w6", [2, 8, 9, 10, 206, 207, 11, 3]),
             ("w7, w8!", [2, 12, 1, 13, 1, 3]), ("CAF\u00c9\tw10", [2, 1, 15, 3]), ("", [2, 3])]
    out["texts"] = [{"text": text, "ids": ids, "embedding": pooled(model, [ids], pad_id=0)[0][0].tolist()}
                    for text, ids in texts]
    with open(os.path.join(OUT, "tiny_expected.json"), "w") as f:
        json.dump(out, f, separators=(",", ":"))


HARD = [
    "Crème brûlée façade — naïve café, ÀÉÎÕÜ",
    "北京烤鸭 and 寿司 セット 한국어 mixed",
    "🎁 Gift set 🎄🎅 with ❤️ and 👍🏽",
    "mixed!!punctuation??...;;--(((brackets)))[x]{y}<z>",
    "tabs\tbetween\twords\tand  double  spaces",
    "zero\u200bwidth\u200cjoiners\u200dhere\ufeffbom",
    "combining e\u0301 a\u0300 n\u0303 o\u0308 characters",
    "ALL CAPS WITH 12.5 OZ & 3-PACK @ $4.99",
    "ﬁ ligature ﬂ and fullwidth ＡＢＣ１２３",
    "\u00a0non-breaking\u00a0space and soft\u00adhyphen",
    "control\x07bell\x1bescape chars",
    "Ελληνικά κείμενο και русский текст",
    "עברית ועברית عربى",
    "a",
    "?",
    " ".join(["supercalifragilisticexpialidocious"] * 40),
    " ".join(f"item{i} red blue green large" for i in range(150)),
]


def product_texts():
    texts = []
    for path, limit in (("online_retail/online_retail_static.csv", 760), ("completejourney/cj_static.csv", 260)):
        with open(os.path.join(ROOT, "..", "shared", "data", path), encoding="utf-8", newline="") as f:
            rows = [r["text"] for r in csv.DictReader(f) if r["text"].strip()]
        texts += rows[:limit]
    return [t for t in texts if "\n" not in t and "\r" not in t]


def real(model_dir):
    import tokenizers  # HF tokenizers, a dependency of transformers
    tok = tokenizers.Tokenizer.from_file(os.path.join(model_dir, "tokenizer.json"))
    tok.no_padding()
    tok.enable_truncation(256)
    texts = product_texts() + HARD
    ids = [tok.encode(t).ids for t in texts]
    model = transformers.BertModel.from_pretrained(model_dir, add_pooling_layer=False).double().eval()
    embeddings = []
    for first in range(0, len(ids), 64):
        embeddings.append(pooled(model, ids[first:first + 64], pad_id=0)[0].float())
    data = torch.cat(embeddings).numpy().astype("<f4").tobytes()
    with open(os.path.join(OUT, "minilm_parity_texts.txt"), "w", encoding="utf-8", newline="\n") as f:
        for t in texts:
            f.write(t + "\n")
    with open(os.path.join(OUT, "minilm_parity_ids.jsonl"), "w") as f:
        for x in ids:
            f.write(json.dumps(x, separators=(",", ":")) + "\n")
    with open(os.path.join(OUT, "minilm_parity_embeddings.f32"), "wb") as f:
        f.write(data)
    print(f"{len(texts)} texts, longest {max(map(len, ids))} tokens")


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    if sys.argv[1:2] == ["tiny"]:
        tiny()
    elif sys.argv[1:2] == ["real"] and len(sys.argv) == 3:
        real(sys.argv[2])
    else:
        sys.exit(__doc__)
