#!/usr/bin/env bash
# invforecast embed on the tiny random BERT (tests/fixtures/text/tiny_bert.invft): one CSV row of 32
# floats per input line, no header, each row of unit length and equal to transformers' embedding of
# the line (tiny_expected.json), the token ids per line with --tokens; the errors: a forecast model
# given as --text-model, invalid UTF-8 named by its line, a missing input.
set -euo pipefail
. "${BASH_SOURCE[0]%/*}/script_util.bash"
need "$python"
cli="$build/bin/invforecast"
model="$source/tests/fixtures/text/tiny_bert.invft"
expected="$source/tests/fixtures/text/tiny_expected.json"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
[ -x "$cli" ] || fail "$cli not built"

# The fixture's texts, one per line (CRLF on one line: its CR is not part of the text).
"$python" - "$expected" "$work/texts.txt" <<'PY'
import json, sys
texts = [t["text"] for t in json.load(open(sys.argv[1], encoding="utf-8"))["texts"]]
with open(sys.argv[2], "w", encoding="utf-8", newline="") as f:
    f.write(texts[0] + "\r\n" + "".join(t + "\n" for t in texts[1:]))
PY
"$cli" embed --text-model "$model" --input "$work/texts.txt" --out "$work/emb.csv" \
  --tokens "$work/tokens.jsonl" --threads 2 >"$work/out"
grep -q "wrote $work/emb.csv: 5 texts x 32 floats" "$work/out" || fail "summary: $(cat "$work/out")"
"$python" - "$expected" "$work/emb.csv" "$work/tokens.jsonl" <<'PY'
import json, math, sys
texts = json.load(open(sys.argv[1], encoding="utf-8"))["texts"]
rows = [list(map(float, line.split(","))) for line in open(sys.argv[2])]
tokens = [json.loads(line) for line in open(sys.argv[3])]
assert len(rows) == len(texts) == len(tokens), (len(rows), len(tokens))
for t, row, ids in zip(texts, rows, tokens):
    assert ids == t["ids"], (t["text"], ids, t["ids"])
    assert len(row) == 32 and abs(math.sqrt(sum(v * v for v in row)) - 1) < 1e-6, row
    # float32 against transformers in float64 (tests/test_text_encoder.cpp's tolerance).
    err = max(abs(a - b) for a, b in zip(row, t["embedding"])) / max(map(abs, t["embedding"]))
    assert err < 1e-5, (t["text"], err)
PY

expect_error "is a forecast model file" embed --text-model "$source/data/m5_default_model.invfm" \
  --input "$work/texts.txt" --out "$work/x.csv"
printf 'w1 w2\nbad \xff byte\n' >"$work/bad.txt"
expect_error "bad.txt: text 1: .*UTF-8.*\(text i is line i \+ 1\)" embed --text-model "$model" \
  --input "$work/bad.txt" --out "$work/x.csv"
[ ! -e "$work/x.csv" ] || fail "a failed embed wrote its output"
expect_error "cannot open input" embed --text-model "$model" --input "$work/missing.txt" --out "$work/x.csv"
echo "OK: embed"
