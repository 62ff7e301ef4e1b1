#!/usr/bin/env bash
# Encoder forward: invforecast vs PyTorch 1.13 vs ONNX Runtime on the default
# configuration (context 336, patch 16, stride 8 -> 42 tokens, d_model 128,
# 8 heads, ffn 256, 3 layers, horizon 28, 9 quantiles), the same weights
# and the same 4096 input series for all, plus oneDNN sgemm at the model's
# GEMM shapes as the machine's ceiling.
#
#   benchmarks/encoder_vs_pytorch.sh [BUILD_DIR]        (default: build)
#
# Needs: the build's bin/encoder_bench; Debian's /usr/bin/python3 with
# python3-torch (BLAS: whatever libblas.so.3 points to, printed below;
# libopenblas0-openmp, not the reference BLAS); `python3` on PATH with the
# pip package onnxruntime.  Timings cover the forward call only (no start-up,
# no file reading); throughput is the median of 3 calls (2 at batch 4096)
# after a warm-up, latency the median of 200-300 batch-1 calls on 1 thread.
# Threads: invforecast's "threads" option (it caps oneDNN's OpenMP team
# itself), torch.set_num_threads, ONNX Runtime's intra_op_num_threads.
# encoder_bench runs with OMP_NUM_THREADS=1 for its direct dnnl_sgemm calls
# (the ceiling), which would otherwise each start a team on every core.  The last line is the RESULT line (ratios above 1:
# invforecast is faster).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source_dir="$(dirname "$here")"
build_dir="${1:-$source_dir/build}"
bench="$build_dir/bin/encoder_bench"
torch_python=/usr/bin/python3
ort_python="$(command -v python3)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
measures="$work/measures.txt"

[ -x "$bench" ] || { echo "encoder_bench not built: cmake --build $build_dir --target encoder_bench" >&2; exit 1; }
"$ort_python" -c "import onnxruntime" 2>/dev/null ||
  { echo "$ort_python lacks onnxruntime: $ort_python -m pip install onnxruntime" >&2; exit 1; }

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "== load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== PyTorch's libblas.so.3: $(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3)"

echo "== model and inputs (PyTorch, random weights, written in the invforecast format + ONNX)"
"$torch_python" "$here/encoder_peers.py" prepare "$work" 2>&1 | grep -v -i warning | grep -v '^ ' || true
[ -s "$work/model.onnx" ] || { echo "the ONNX export failed" >&2; exit 1; }

echo "== invforecast (C API, benchmarks/encoder_bench.cpp)"
OMP_NUM_THREADS=1 "$bench" speed "$work/model.invfm" "$work/input.f32" "$work/invf_b256.f32" | tee -a "$measures"
OMP_NUM_THREADS=1 "$bench" memory "$work/model.invfm" "$work/input.f32" | tee -a "$measures"

echo "== PyTorch $("$torch_python" -c 'import torch; print(torch.__version__)' 2>/dev/null)"
"$torch_python" "$here/encoder_peers.py" torch "$work" | tee -a "$measures"
"$torch_python" "$here/encoder_peers.py" torch-memory "$work" | tee -a "$measures"

echo "== ONNX Runtime"
"$ort_python" "$here/encoder_peers.py" ort "$work" | tee -a "$measures"

echo "== load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
"$ort_python" "$here/encoder_peers.py" summary "$work" "$measures"
