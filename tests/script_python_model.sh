#!/usr/bin/env bash
# The model functions of the C ABI from Python through ctypes (Debian's
# interpreter, standard library only), on the PyTorch parity fixtures.
set -euo pipefail
. "${BASH_SOURCE[0]%/*}/script_util.bash"
need "$python"
exec "$python" "$source/tests/python/test_ctypes_model.py" "$build" "$source"
