#!/usr/bin/env bash
# Runs the C example (examples/forecast.c) on the small fixture and on the
# bundled M5 data, and checks what it prints; a missing file must fail cleanly.
# INVF_C_EXAMPLE names another build of the example (script_abi_v0.sh).
set -euo pipefail
. "${BASH_SOURCE[0]%/*}/script_util.bash"
need gzip
example=${INVF_C_EXAMPLE:-"$build/bin/forecast_c_example"}
fail() { echo "FAIL: $*"; exit 1; }

[ -x "$example" ] || fail "$example not built"

out=$("$example" "$source/tests/fixtures/capi_small.csv" 14)
echo "$out"
grep -qx 'libinvforecast 0.3.0 (ABI 0)' <<<"$out" || fail "version line"
grep -q ': 3 series$' <<<"$out" || fail "series count of the fixture"
for method in ets snaive; do
  grep -qE "^method $method: 3 series, horizon 14, [0-9]+ warnings$" <<<"$out" ||
    fail "summary line of $method"
done
# Series A repeats 1..7 every week from a Monday, so snaive forecasts 1..7
# from 2024-01-22 (the day after its last date), with three quantile columns.
snaive=$(sed -n '/^method snaive/,$p' <<<"$out")
grep -qx 'series A from 2024-01-22 by snaive (.*)' <<<"$snaive" || fail "snaive series line"
grep -qx 'day  mean  q0.1  q0.5  q0.9' <<<"$snaive" || fail "snaive header"
for day in 1 2 3 4 5 6 7; do
  grep -qE "^ +$day  $day\.000  " <<<"$snaive" || fail "snaive day $day mean is not $day"
done
[ "$(grep -cE '^ +[0-9]+  [0-9.]+  ' <<<"$out")" -eq 14 ] || fail "expected 7 rows per method"

bundled=$("$example" "$source/data/m5_tiny_long.csv.gz" 28)
# The series count as the file has it: distinct ids in the first column.
series=$(gzip -dc "$source/data/m5_tiny_long.csv.gz" | tail -n +2 | cut -d, -f1 | sort -u | wc -l)
grep -q "m5_tiny_long.csv.gz: $series series\$" <<<"$bundled" || fail "bundled data series count"
grep -qE "^method ets: $series series, horizon 28" <<<"$bundled" || fail "bundled ets summary"

set +e
err=$("$example" /nonexistent/sales.csv 2>&1 >/dev/null)
rc=$?
set -e
[ $rc -eq 1 ] || fail "missing file: exit code $rc, expected 1"
grep -q 'invf_dataset_load_csv failed (code 3)' <<<"$err" || fail "missing file message: $err"
echo "OK"
