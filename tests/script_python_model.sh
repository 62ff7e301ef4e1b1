#!/usr/bin/env bash
# The model functions of the C ABI from Python through ctypes (Debian's
# interpreter, standard library only), on the PyTorch parity fixtures.
set -euo pipefail
build=${INVF_BUILD_DIR:?INVF_BUILD_DIR not set}
source=${INVF_SOURCE_DIR:?INVF_SOURCE_DIR not set}
exec /usr/bin/python3 "$source/tests/python/test_ctypes_model.py" "$build" "$source"
