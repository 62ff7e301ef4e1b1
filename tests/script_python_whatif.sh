#!/usr/bin/env bash
# What-if scenarios through the C ABI from Python with ctypes (Debian's
# interpreter, standard library only): what a Python binding does.
set -euo pipefail
. "${BASH_SOURCE[0]%/*}/script_util.bash"
need "$python"
exec "$python" "$source/tests/python/test_ctypes_whatif.py" "$build"
