#!/usr/bin/env bash
# A second, independent implementation of model format v1 (scripts/invf_model_format.py, Python standard
# library) reads every frozen fixture, checks its checksum and table, and writes it again from what it
# read: the bytes must equal the C++ writer's, so the format's spec, the C++ writer and the Python
# helper (used to write models from PyTorch) agree.
set -euo pipefail
. "${BASH_SOURCE[0]%/*}/script_util.bash"
need "$python"
fixtures=("$source"/tests/fixtures/model/*.invfm)
[ -e "${fixtures[0]}" ] || { echo "FAIL: no frozen model fixtures"; exit 1; }
"$python" "$source/scripts/invf_model_format.py" rewrite-check "${fixtures[@]}"
# The helper refuses a damaged file: one flipped byte in the middle.
damaged=$(mktemp)
trap 'rm -f "$damaged"' EXIT
"$python" - "${fixtures[0]}" "$damaged" <<'PY'
import sys
data = bytearray(open(sys.argv[1], "rb").read())
data[len(data) // 2] ^= 0x10
open(sys.argv[2], "wb").write(data)
PY
if "$python" "$source/scripts/invf_model_format.py" show "$damaged" >/dev/null 2>&1; then
  echo "FAIL: a damaged model file was accepted"
  exit 1
fi
echo "OK"
