#!/usr/bin/env bash
# One training step (forward, backward, AdamW update) of the default
# configuration (context 336, patch 16, stride 8 with end padding -> 42
# tokens, d_model 128, 8 heads, ffn 256, 3 layers, horizon 28, 9 quantiles,
# RevIN with affine, median + softplus quantile head, pinball loss averaged
# over the quantiles) at batch 256: invforecast (invf_train through the C
# API, benchmarks/train_bench.cpp) vs PyTorch 1.13 (benchmarks/train_peers.py,
# the same model, loss, clipping and AdamW), on 1 and 2 threads, in one run.
#
#   benchmarks/train_vs_pytorch.sh [BUILD_DIR]        (default: build)
#   ROUNDS=5 benchmarks/train_vs_pytorch.sh [BUILD_DIR]   (rounds; default 3)
#
# Needs: the build's bin/train_bench; Debian's /usr/bin/python3 with
# python3-torch and numpy (BLAS: whatever libblas.so.3 points to, printed
# below; libopenblas0-openmp, not the reference BLAS).
# Both train on windows of the bundled data (data/m5_tiny_long.csv.gz); the
# PyTorch side gets its windows from train_bench, drawn by invf_train's rule.
# Timing: invforecast's progress callback comes every 10 steps, so both
# sides time 10-step intervals after a warm-up (invforecast: 30 steps, 10
# warm-up; PyTorch: 25 steps, 5 warm-up).  Other jobs on the cores only
# ever add time, so the figure is the fastest interval (time per step) over
# all rounds; the median and each round's ratio are printed too.  Setting
# up (loading the data, the sampler, the optimiser, importing torch) lies
# outside; copying each batch's windows lies inside invforecast's step.
# Threads: invf_train's "threads" option (one worker per thread),
# torch.set_num_threads.  train_bench runs with OMP_NUM_THREADS=1: invf_train
# on 1 thread runs its GEMMs (oneDNN, on OpenMP) on the calling thread
# without capping OpenMP's team, which would otherwise spread them over every
# core; on 2 threads each worker caps its own GEMMs to 1 thread.
# cores_busy (process CPU time over wall time during the timed steps) shows
# the cores each side kept busy.  On a shared machine other jobs take cores
# too, so the engines alternate: ROUNDS rounds (default 3) of invforecast
# then PyTorch on 1 thread, then the same on 2.  PyTorch's OpenMP threads
# spin while waiting, which costs it dearly when other jobs hold the cores,
# so one more PyTorch run on 2 threads with OMP_WAIT_POLICY=passive is shown
# for reference (not in the RESULT line).
# The last line is the RESULT line (above 1: invforecast is faster).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source_dir="$(dirname "$here")"
build_dir="${1:-$source_dir/build}"
bench="$build_dir/bin/train_bench"
torch_python=/usr/bin/python3
data="$source_dir/data/m5_tiny_long.csv.gz"
invf_steps=30
torch_steps=25
rounds="${ROUNDS:-3}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
measures="$work/measures.txt"

[ -x "$bench" ] || { echo "train_bench not built: cmake --build $build_dir --target train_bench" >&2; exit 1; }
"$torch_python" -c "import torch, numpy" 2>/dev/null ||
  { echo "$torch_python lacks torch or numpy: apt-get install python3-torch libopenblas0-openmp" >&2; exit 1; }

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "== load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== PyTorch's libblas.so.3: $(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3)"
"$torch_python" "$here/train_peers.py" info 2>&1 | grep -v -i warning

echo "== training windows for PyTorch ($torch_steps batches of 256, drawn by train_bench)"
"$bench" windows "$data" $((torch_steps * 256)) "$work/windows.f32" | tee -a "$measures"

for round in $(seq "$rounds"); do
  for threads in 1 2; do
    echo "== round $round, $threads thread(s): invforecast (invf_train, $invf_steps steps)"
    OMP_NUM_THREADS=1 "$bench" step "$data" "$threads" "$invf_steps" | tee -a "$measures"
    echo "== round $round, $threads thread(s): PyTorch ($torch_steps steps)"
    "$torch_python" "$here/train_peers.py" step "$work/windows.f32" "$threads" "$torch_steps" |
      tee -a "$measures"
  done
done

echo "== PyTorch on 2 threads with OMP_WAIT_POLICY=passive (for reference, not in the RESULT line)"
OMP_WAIT_POLICY=passive "$torch_python" "$here/train_peers.py" step "$work/windows.f32" 2 "$torch_steps" |
  tee -a "$measures"

echo "== invforecast forward pass alone (invf_model_forecast), for scale"
for threads in 1 2; do
  OMP_NUM_THREADS=1 "$bench" forward "$data" "$threads" | tee -a "$measures"
done

echo "== load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
"$torch_python" "$here/train_peers.py" summary "$measures"
