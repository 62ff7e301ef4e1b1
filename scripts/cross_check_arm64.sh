#!/usr/bin/env bash
# Cross-builds the tests for ARM64 (aarch64) and runs them under qemu-user on
# an x86-64 Debian 12 host: the Cpu backend's scalar and vec128 (NEON) kernel
# levels, the packed GEMM (6 x 16 tiles on ARM64), the encoder and the model
# file, with the default ISA and with INVF_CPU_ISA=scalar.  Not part of CI
# (qemu is slow); run it as root after touching kernels/ or CMakeLists.txt.
#   scripts/cross_check_arm64.sh          the kernel-level tests (a few minutes)
#   scripts/cross_check_arm64.sh --all    also every unit and C ABI test
# Build directory: build-arm64/ (oneDNN off: libdnnl-dev:arm64 cannot be
# installed next to the amd64 one, their dnnl_config.h differ; GEMMs use Eigen).
set -euo pipefail
cd "$(dirname "$0")/.."

run_all=0
[[ "${1:-}" == "--all" ]] && run_all=1

# --- toolchain and arm64 libraries (multiarch), installed only when missing
packages=(g++-aarch64-linux-gnu qemu-user libfmt-dev:arm64 zlib1g-dev:arm64 libutf8proc-dev:arm64
          cmake ninja-build libeigen3-dev catch2 nlohmann-json3-dev libcli11-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    dpkg --add-architecture arm64
  fi
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
fi

# --- cross build
build=build-arm64
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_TOOLCHAIN_FILE="$PWD/cmake/aarch64-linux-gnu.cmake" \
  -DINVF_WITH_ONEDNN=OFF -DINVF_BUILD_BENCHMARKS=OFF -DINVF_BUILD_EXAMPLES=OFF
cmake --build "$build" -j"$(nproc)" --target invf_unit_tests invf_capi_tests
file "$build/tests/invf_unit_tests" | grep -q "ARM aarch64" || { echo "not an aarch64 binary" >&2; exit 1; }

# The loader and libc must come from the same glibc build: libc6:arm64's
# /lib/ld-linux-aarch64.so.1 with /lib/aarch64-linux-gnu/libc.so.6.  A
# QEMU_LD_PREFIX of /usr/aarch64-linux-gnu (the cross packages' loader) mixes
# two builds and hangs in the first pthread_create.
unset QEMU_LD_PREFIX
unit=("$build/tests/invf_unit_tests")
logs="$build/arm64_logs"
mkdir -p "$logs"
failures=0
run() {  # run <log name> <INVF_CPU_ISA or empty> <command...>
  local name=$1 isa=$2
  shift 2
  local log="$logs/$name.${isa:-default}.log" start=$SECONDS status=0
  if [[ -n "$isa" ]]; then
    INVF_CPU_ISA=$isa qemu-aarch64 "$@" > "$log" 2>&1 || status=$?
  else
    env -u INVF_CPU_ISA qemu-aarch64 "$@" > "$log" 2>&1 || status=$?
  fi
  printf '%s %-7s %-16s %4ds  %s\n' "$( ((status == 0)) && echo PASS || echo FAIL)" "${isa:-default}" \
    "$name" $((SECONDS - start)) "$(grep -E "^(All tests passed|test cases:|assertions:)" "$log" | tr '\n' ' ')"
  if ((status != 0)); then
    failures=$((failures + 1))
    tail -40 "$log"
  fi
}

# The default ISA must be vec128 there (test_kernels_isa checks it: no AVX2
# level exists on ARM64); INVF_PRINT_KERNEL_ERRORS=1 prints each op's worst
# error against the float64 reference at exit.
for isa in "" scalar; do
  INVF_PRINT_KERNEL_ERRORS=1 run kernels "$isa" "${unit[@]}" "[kernels]"
  for file in test_gemm test_encoder test_kernels_isa test_model_file; do
    run "$file" "$isa" "${unit[@]}" -# "[#$file]"
  done
done
echo "Worst relative errors of the default (vec128) kernels on ARM64:"
grep "max relative error" "$logs/kernels.default.log" || true

if ((run_all)); then
  run all_unit_tests "" "${unit[@]}"
  run all_capi_tests "" "$build/tests/invf_capi_tests"
fi

if ((failures)); then
  echo "ARM64 check: $failures run(s) failed" >&2
  exit 1
fi
echo "ARM64 check: all runs passed"
