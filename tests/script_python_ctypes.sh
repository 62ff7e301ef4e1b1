#!/usr/bin/env bash
# The C ABI from Python through ctypes (Debian's interpreter, standard library only).
set -euo pipefail
build=${INVF_BUILD_DIR:?INVF_BUILD_DIR not set}
source=${INVF_SOURCE_DIR:?INVF_SOURCE_DIR not set}
exec /usr/bin/python3 "$source/tests/python/test_ctypes.py" "$build" "$source"
