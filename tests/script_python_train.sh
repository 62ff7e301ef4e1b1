#!/usr/bin/env bash
# Training through the C ABI from Python with ctypes (Debian's interpreter,
# standard library only): what a Python binding does.
set -euo pipefail
build=${INVF_BUILD_DIR:?INVF_BUILD_DIR not set}
source=${INVF_SOURCE_DIR:?INVF_SOURCE_DIR not set}
exec /usr/bin/python3 "$source/tests/python/test_ctypes_train.py" "$build"
