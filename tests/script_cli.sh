#!/usr/bin/env bash
# The invforecast command-line tool: help, inspect, forecast, backtest, and
# its error contract (exit 1 with one "invforecast: error:" line, never a signal).
set -euo pipefail
build=${INVF_BUILD_DIR:?INVF_BUILD_DIR not set}
source=${INVF_SOURCE_DIR:?INVF_SOURCE_DIR not set}
cli="$build/bin/invforecast"
data="$source/tests/fixtures/capi_small.csv"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
[ -x "$cli" ] || fail "$cli not built"

# --- help --------------------------------------------------------------------
"$cli" --help >"$work/help"
for command in inspect forecast backtest; do
  grep -q "^  $command " "$work/help" || fail "--help does not list $command"
  "$cli" $command --help >"$work/help_$command" || fail "$command --help exited non-zero"
done
grep -q -- '--horizon' "$work/help_forecast" || fail "forecast --help lacks --horizon"
grep -q 'tsb' "$work/help_forecast" || fail "forecast --help does not list the methods"
grep -q -- '--windows' "$work/help_backtest" || fail "backtest --help lacks --windows"

# --- inspect -----------------------------------------------------------------
"$cli" inspect --data "$data" >"$work/inspect" 2>"$work/inspect_err"
grep -qE '^series +3$' "$work/inspect" || fail "inspect: series count"
grep -qE '^date range +2024-01-01 \.\. 2024-01-28$' "$work/inspect" || fail "inspect: date range"
grep -qE '^gap days +1 ' "$work/inspect" || fail "inspect: gap days"
grep -qE '^classes +smooth 2, erratic 0, intermittent 1, lumpy 0$' "$work/inspect" ||
  fail "inspect: class counts"
grep -qE '^B +2024-01-08 +2024-01-21 +14 +2024-01-08 ' "$work/inspect" || fail "inspect: row of B"
grep -qE '^C +2024-01-01 +2024-01-28 +28 +2024-01-03 +0\.731 +4\.00 +0\.00 +intermittent$' \
  "$work/inspect" || fail "inspect: row of C"
grep -q "invforecast: warning: .*'B'" "$work/inspect_err" || fail "inspect: gap warning"

"$cli" inspect --data "$data" --json >"$work/inspect.json"
/usr/bin/python3 - "$work/inspect.json" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
assert report["series"] == 3 and report["gap_days"] == 1, report
assert report["classes"] == {"smooth": 2, "erratic": 0, "intermittent": 1, "lumpy": 0}
assert [s["id"] for s in report["per_series"]] == ["A", "B", "C"]
assert report["per_series"][2]["launch"] == "2024-01-03"
assert {c["name"]: c["kind"] for c in report["columns"]} == {"price": "numeric", "event": "categorical"}
PY

# The bundled M5 sample: 280 series over 1885 days, no gaps.
"$cli" inspect --data "$source/data/m5_tiny_long.csv.gz" --json >"$work/m5.json"
/usr/bin/python3 - "$work/m5.json" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
assert report["series"] == 280 and report["rows"] == 280 * 1885, report["series"]
assert (report["first_date"], report["last_date"]) == ("2011-01-29", "2016-03-27")
assert sum(report["classes"].values()) == 280
assert all(s["length"] == 1885 for s in report["per_series"])
PY

# --- forecast ----------------------------------------------------------------
# Checks a forecast CSV: header, rows per series, consecutive dates starting
# the day after each series' last date.
check_forecast() {  # file horizon header
  /usr/bin/python3 - "$@" <<'PY'
import csv, datetime, sys
path, horizon, header = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rows = list(csv.reader(open(path)))
assert ",".join(rows[0]) == header, rows[0]
starts = {"A": "2024-01-22", "B": "2024-01-22", "C": "2024-01-29"}
assert len(rows) == 1 + len(starts) * horizon, len(rows)
by_series = {}
for row in rows[1:]:
    assert len(row) == len(rows[0]), row
    by_series.setdefault(row[0], []).append(row)
assert list(by_series) == ["A", "B", "C"], list(by_series)
for sid, series_rows in by_series.items():
    first = datetime.date.fromisoformat(starts[sid])
    for d, row in enumerate(series_rows):
        assert row[1] == (first + datetime.timedelta(days=d)).isoformat(), (sid, d, row)
        mean, qs = float(row[2]), [float(x) for x in row[3:]]
        assert mean >= 0 and all(q >= 0 for q in qs), row
        assert qs == sorted(qs), row
PY
}
for method in naive snaive ma ets croston sba tsb auto; do
  "$cli" forecast --data "$data" --horizon 10 --method $method --out "$work/$method.csv" \
    >"$work/forecast_out" 2>"$work/forecast_err" || fail "forecast $method exited non-zero"
  check_forecast "$work/$method.csv" 10 \
    "series_id,date,mean,q0.1,q0.2,q0.3,q0.4,q0.5,q0.6,q0.7,q0.8,q0.9" ||
    fail "forecast $method: bad CSV"
  grep -q "3 series x 10 days" "$work/forecast_out" || fail "forecast $method: summary"
  # stderr is not a terminal here: warnings only, no progress bar.
  if grep -v '^invforecast: warning: ' "$work/forecast_err" | grep -q .; then
    fail "forecast $method: unexpected stderr: $(cat "$work/forecast_err")"
  fi
done
# A repeats 1..7 weekly from a Monday: snaive's means are exact.
[ "$(sed -n '2,8p' "$work/snaive.csv" | cut -d, -f3 | tr '\n' ' ')" = "1 2 3 4 5 6 7 " ] ||
  fail "snaive means of A"
"$cli" forecast --data "$data" -H 5 -m naive --quantiles 0.05,0.5,0.95 --threads 2 \
  --out "$work/q.csv" >/dev/null 2>&1
check_forecast "$work/q.csv" 5 "series_id,date,mean,q0.05,q0.5,q0.95" || fail "custom quantiles"
"$cli" forecast --data "$data" -H 5 -m naive --progress always --out "$work/p.csv" \
  >/dev/null 2>"$work/progress"
grep -q '100% (3/3)' "$work/progress" || fail "--progress always shows no completion"

# --- forecast with a neural model (model files from tests/fixtures) ----------
# v1_tiny_meanabs: context 12 days, horizon 2, the median only; every series of
# the data is at least 12 days long, so no warning.
tiny="$source/tests/fixtures/model/v1_tiny_meanabs.invfm"
"$cli" forecast --data "$data" -H 2 -m model --model "$tiny" --out "$work/model.csv" \
  >"$work/model_out" 2>"$work/model_err" || fail "forecast model: $(cat "$work/model_err")"
check_forecast "$work/model.csv" 2 "series_id,date,mean,q0.5" || fail "forecast model: bad CSV"
grep -q "3 series x 2 days, method model" "$work/model_out" || fail "forecast model: summary"
# Only the data's gap warning (B misses a day), nothing about padding.
if grep -v "^invforecast: warning: filled 1 missing day" "$work/model_err" | grep -q .; then
  fail "forecast model: unexpected stderr: $(cat "$work/model_err")"
fi
# One level: the mean is that quantile.
awk -F, 'NR > 1 && $3 != $4 {exit 1}' "$work/model.csv" || fail "forecast model: mean != q0.5"
# The reference kernels give the same forecast up to float rounding.
"$cli" forecast --data "$data" -H 2 -m model --model "$tiny" --set backend=reference \
  --out "$work/model_ref.csv" >/dev/null 2>&1 || fail "forecast model on the reference backend"
paste -d, "$work/model.csv" "$work/model_ref.csv" | awk -F, 'NR > 1 {
  d = $3 - $7; if (d < 0) d = -d; s = ($3 < 0 ? -$3 : $3); if (d > 1e-4 * (s > 1 ? s : 1)) exit 1 }' ||
  fail "forecast model: cpu and reference backends differ"
# The parity model reads 48 days: every series is left-padded, with a warning each.
meanabs="$source/tests/fixtures/parity/meanabs.invfm"
"$cli" forecast --data "$data" -H 5 -m model --model "$meanabs" --threads 2 \
  --out "$work/model5.csv" >/dev/null 2>"$work/model5_err" || fail "forecast model (padded)"
check_forecast "$work/model5.csv" 5 "series_id,date,mean,q0.05,q0.25,q0.5,q0.75,q0.95" ||
  fail "forecast model (padded): bad CSV"
[ "$(grep -c "left-padded" "$work/model5_err")" -eq 3 ] || fail "padding warnings: $(cat "$work/model5_err")"
grep -q "'B': 14 days of history" "$work/model5_err" || fail "padding warning of B"

# --- backtest ----------------------------------------------------------------
"$cli" backtest --data "$data" --horizon 7 --windows 2 --method naive,snaive >"$work/bt"
grep -qE '^method +MASE +RMSSE +WRMSSE +sMAPE +WQL +cov80 +bias$' "$work/bt" ||
  fail "backtest table header"
[ "$(grep -cE '^(naive|snaive) +(-?[0-9.]+|nan) +' "$work/bt")" -eq 2 ] || fail "backtest rows"
"$cli" backtest --data "$data" -H 7 -k 2 -m naive,snaive --json >"$work/bt.json"
/usr/bin/python3 - "$work/bt.json" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
assert [m["method"] for m in report["methods"]] == ["naive", "snaive"], report["methods"]
assert report["horizon"] == 7 and report["windows"] == 2
PY

# --- errors: exit 1, one line, no signal -------------------------------------
expect_error() {  # pattern args...
  local pattern=$1
  shift
  set +e
  "$cli" "$@" >"$work/err_out" 2>"$work/err"
  local rc=$?
  set -e
  [ $rc -lt 128 ] || fail "'$*' died from a signal (exit $rc)"
  [ $rc -eq 1 ] || fail "'$*' exited $rc, expected 1"
  [ "$(wc -l <"$work/err")" -eq 1 ] || fail "'$*' wrote $(wc -l <"$work/err") lines to stderr"
  grep -qE "^invforecast: error: .*$pattern" "$work/err" || fail "'$*': $(cat "$work/err")"
}
expect_error "nonexistent.csv" forecast --data "$work/nonexistent.csv" -H 7 -m naive --out "$work/x.csv"
expect_error "nonexistent.csv" inspect --data "$work/nonexistent.csv"
expect_error "nonexistent.csv" backtest --data "$work/nonexistent.csv" -H 7 -m naive
expect_error "prophet" forecast --data "$data" -H 7 -m prophet --out "$work/x.csv"
expect_error "prophet" backtest --data "$data" -H 7 -m naive,prophet
expect_error "horizon" forecast --data "$data" -H 0 -m naive --out "$work/x.csv"
expect_error "horizon" forecast --data "$data" -H -3 -m naive --out "$work/x.csv"
expect_error "horizon" forecast --data "$data" -H 100000 -m naive --out "$work/x.csv"
expect_error "horizon" forecast --data "$data" -H seven -m naive --out "$work/x.csv"
expect_error "windows" backtest --data "$data" -H 7 -k 0 -m naive
expect_error "out" forecast --data "$data" -H 7 -m naive
expect_error "duplicates" forecast --data "$data" -H 7 -m naive --duplicates merge --out "$work/x.csv"
expect_error "quantiles" forecast --data "$data" -H 7 -m naive --quantiles 0.9,0.1 --out "$work/x.csv"
expect_error "cannot open" forecast --data "$data" -H 7 -m naive --out /nonexistent-dir/x.csv
expect_error "needs --model" forecast --data "$data" -H 2 -m model --out "$work/x.csv"
expect_error "only used with --method model" forecast --data "$data" -H 2 -m naive --model "$tiny" --out "$work/x.csv"
expect_error "horizon of 2" forecast --data "$data" -H 3 -m model --model "$tiny" --out "$work/x.csv"
expect_error "series 'A' has 21 days" forecast --data "$data" -H 5 -m model --model "$meanabs" --strict --out "$work/x.csv"
expect_error "nonexistent.invfm" forecast --data "$data" -H 2 -m model --model "$work/nonexistent.invfm" --out "$work/x.csv"
expect_error "model file" forecast --data "$data" -H 2 -m model --model "$data" --out "$work/x.csv"
expect_error "backend" forecast --data "$data" -H 2 -m model --model "$tiny" --set backend=gpu --out "$work/x.csv"
expect_error "unknown command .frobnicate." frobnicate
expect_error "subcommand" --threads 2
echo "OK"
