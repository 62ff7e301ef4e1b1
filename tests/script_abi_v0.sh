#!/usr/bin/env bash
# Binary compatibility with release 0.1: the C example (examples/forecast.c)
# compiled against the header as 0.1 shipped it (tests/fixtures/abi/
# invforecast_v0.h, never edited) and linked to this build's library must
# bind every call to the 0.1 version node (INVF_0) and pass the same checks
# as the example built with today's header (script_example_c.sh).
set -euo pipefail
. "${BASH_SOURCE[0]%/*}/script_util.bash"
cc=${INVF_C_COMPILER:-cc}
need "$cc" objdump
fail() { echo "FAIL: $*"; exit 1; }

[ -e "$build/libinvforecast.so" ] || fail "$build/libinvforecast.so not built"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/include"
cp "$source/tests/fixtures/abi/invforecast_v0.h" "$work/include/invforecast.h"
"$cc" -std=c11 -Wall -Wextra -Werror -I "$work/include" "$source/examples/forecast.c" \
  -L "$build" -linvforecast -Wl,-rpath,"$build" -o "$work/forecast_v0" ||
  fail "examples/forecast.c does not compile against the 0.1 header"

# Every library function the program calls is bound to INVF_0.
# (objdump -T shows an import's version in parentheses.)
imports=$(objdump -T "$work/forecast_v0" | awk '$NF ~ /^invf_/ {gsub(/[()]/, "", $(NF-1)); print $NF, $(NF-1)}')
[ -n "$imports" ] || fail "the program imports no invf_ symbol"
wrong=$(awk '$2 != "INVF_0"' <<<"$imports")
[ -z "$wrong" ] || fail "imports not bound to INVF_0: $wrong"
echo "$(wc -l <<<"$imports") invf_ imports, all at INVF_0"

INVF_C_EXAMPLE="$work/forecast_v0" bash "$source/tests/script_example_c.sh"
