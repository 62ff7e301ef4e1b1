#!/usr/bin/env bash
# The C ABI from Python through ctypes (Debian's interpreter, standard library only).
set -euo pipefail
. "${BASH_SOURCE[0]%/*}/script_util.bash"
need "$python"
exec "$python" "$source/tests/python/test_ctypes.py" "$build" "$source"
