#!/usr/bin/env bash
# The shared library exports exactly the C ABI: the invf_ symbols listed in
# tests/exported_symbols.txt (one per INVF_API declaration in invforecast.h),
# nothing else, under the soname libinvforecast.so.<ABI>.
set -euo pipefail
build=${INVF_BUILD_DIR:?INVF_BUILD_DIR not set}
source=${INVF_SOURCE_DIR:?INVF_SOURCE_DIR not set}
lib="$build/libinvforecast.so"
expected="$source/tests/exported_symbols.txt"
status=0

[ -e "$lib" ] || { echo "FAIL: $lib not built"; exit 1; }

# Defined dynamic symbols, without version suffixes; the version node itself
# (INVF_0, an absolute symbol) is not code.
defined=$(nm -D --defined-only "$lib" | awk '$2 != "A" {print $3}' | sed 's/@.*//' | sort -u)

foreign=$(grep -v '^invf_' <<<"$defined" || true)
if [ -n "$foreign" ]; then
  echo "FAIL: symbols other than invf_* are exported:"
  echo "$foreign" | head -20
  status=1
fi

if ! diff -u "$expected" <(grep '^invf_' <<<"$defined"); then
  echo "FAIL: exported invf_ symbols differ from $expected (+ = exported, not listed)"
  status=1
fi

# Every function the header declares is in the list (and so exported).
declared=$(grep -E '^INVF_API' "$source/include/invforecast.h" |
  grep -oE 'invf_[a-z0-9_]+[[:space:]]*\(' | tr -d '( ' | sort -u)
if ! diff -u <(echo "$declared") "$expected"; then
  echo "FAIL: invforecast.h declarations (-) and $expected (+) differ"
  status=1
fi

abi=$(sed -n 's/^#define INVF_ABI_VERSION \([0-9]*\).*/\1/p' "$source/include/invforecast.h")
soname=$(readelf -d "$lib" | sed -n 's/.*Library soname: \[\(.*\)\].*/\1/p')
if [ "$soname" != "libinvforecast.so.$abi" ]; then
  echo "FAIL: soname is '$soname', expected libinvforecast.so.$abi"
  status=1
fi

[ $status -eq 0 ] && echo "OK: $(wc -l <"$expected") invf_ symbols, soname $soname"
exit $status
