#!/usr/bin/env bash
# The invforecast command-line tool: help, inspect, forecast, backtest, replenish,
# simulate, and its error contract (exit 1 with one "invforecast: error:" line, never a signal).
set -euo pipefail
. "${BASH_SOURCE[0]%/*}/script_util.bash"
need "$python"
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
"$python" - "$work/inspect.json" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
assert report["series"] == 3 and report["gap_days"] == 1, report
assert report["classes"] == {"smooth": 2, "erratic": 0, "intermittent": 1, "lumpy": 0}
assert [s["id"] for s in report["per_series"]] == ["A", "B", "C"]
assert report["per_series"][2]["launch"] == "2024-01-03"
assert {c["name"]: c["kind"] for c in report["columns"]} == {"price": "numeric", "event": "categorical"}
PY

# The bundled M5 sample against what Python's gzip and csv modules read from
# the file itself: rows, series, dates, one row per day of each series.
"$cli" inspect --data "$source/data/m5_tiny_long.csv.gz" --json >"$work/m5.json"
"$python" - "$work/m5.json" "$source/data/m5_tiny_long.csv.gz" <<'PY'
import collections, csv, gzip, json, sys
report = json.load(open(sys.argv[1]))
with gzip.open(sys.argv[2], "rt", newline="") as f:
    rows = list(csv.DictReader(f))
per_series = collections.Counter(r["series_id"] for r in rows)
dates = sorted({r["date"] for r in rows})
assert report["series"] == len(per_series) and report["rows"] == len(rows), report["rows"]
assert (report["first_date"], report["last_date"]) == (dates[0], dates[-1])
assert report["gap_days"] == 0
assert sum(report["classes"].values()) == len(per_series)
assert {s["id"]: s["length"] for s in report["per_series"]} == per_series
PY

# --- forecast ----------------------------------------------------------------
# Checks a forecast CSV: header, rows per series, consecutive dates starting
# the day after each series' last date.
check_forecast() {  # file horizon header
  "$python" - "$@" <<'PY'
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
for method in naive snaive ma ets croston sba tsb auto ensemble; do
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
# The ensemble with the model as a member forecasts the model's levels.
"$cli" forecast --data "$data" -H 2 -m ensemble --model "$tiny" --out "$work/ensemble_model.csv" \
  >"$work/ensemble_out" 2>&1 || fail "forecast ensemble --model: $(cat "$work/ensemble_out")"
check_forecast "$work/ensemble_model.csv" 2 "series_id,date,mean,q0.5" ||
  fail "forecast ensemble --model: bad CSV"
# Of naive and snaive, snaive is exact on A in the inner windows: A's forecast is snaive's.
"$cli" forecast --data "$data" -H 10 -m ensemble --set ensemble_methods=naive,snaive \
  --out "$work/ensemble_two.csv" >/dev/null 2>&1 || fail "forecast ensemble of naive,snaive"
[ "$(grep '^A,' "$work/ensemble_two.csv")" = "$(grep '^A,' "$work/snaive.csv")" ] ||
  fail "ensemble of naive,snaive: A is not snaive's forecast"
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
"$python" - "$work/bt.json" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
assert [m["method"] for m in report["methods"]] == ["naive", "snaive"], report["methods"]
assert report["horizon"] == 7 and report["windows"] == 2
PY
# The ensemble beside its members, and with the model: every method scored on the model's level.
"$cli" backtest --data "$data" -H 7 -m snaive,ensemble >"$work/bt_ensemble" ||
  fail "backtest with ensemble"
grep -qE '^ensemble +[0-9.]+ +' "$work/bt_ensemble" || fail "backtest: no ensemble row"
"$cli" backtest --data "$data" -H 2 -m model,ensemble --model "$tiny" --json >"$work/bt_model.json" ||
  fail "backtest with model and ensemble"
"$python" - "$work/bt_model.json" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
assert [m["method"] for m in report["methods"]] == ["model", "ensemble"], report["methods"]
assert all(m["metrics"]["wql"] is not None for m in report["methods"]), report["methods"]
PY

# --- errors: exit 1, one line, no signal -------------------------------------
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
expect_error "horizon of 2" forecast --data "$data" -H 3 -m ensemble --model "$tiny" --out "$work/x.csv"
expect_error "the model's quantile levels 0.5" forecast --data "$data" -H 2 -m ensemble --model "$tiny" --quantiles 0.1,0.9 --out "$work/x.csv"
expect_error "option 'ensemble_methods': 'model'" forecast --data "$data" -H 2 -m ensemble --set ensemble_methods=ets,model --out "$work/x.csv"
expect_error "only used with --method model or ensemble" backtest --data "$data" -H 2 -m snaive --model "$tiny"
expect_error "series 'A' has 21 days" forecast --data "$data" -H 5 -m model --model "$meanabs" --strict --out "$work/x.csv"
expect_error "nonexistent.invfm" forecast --data "$data" -H 2 -m model --model "$work/nonexistent.invfm" --out "$work/x.csv"
expect_error "model file" forecast --data "$data" -H 2 -m model --model "$data" --out "$work/x.csv"
expect_error "backend" forecast --data "$data" -H 2 -m model --model "$tiny" --set backend=gpu --out "$work/x.csv"
# A key no step of the command reads is refused, not ignored.
expect_error "option 'seed' does not apply to invforecast forecast" forecast --data "$data" -H 2 -m naive --set seed=3 --out "$work/x.csv"
expect_error "'service_level' and 'fill_rate' are both set" backtest --data "$data" -H 2 -m naive --set service_level=0.9 --set fill_rate=0.9
expect_error "unknown command .frobnicate." frobnicate
expect_error "subcommand" --threads 2
# --- known-future and static covariates, new products ------------------------
# Slices of M5 and Complete Journey (tests/fixtures/future/PROVENANCE.md): the
# future files hold a series the history lacks, forecast as zero from the day
# after the history.
future="$source/tests/fixtures/future"
grep -q -- '--future' "$work/help_forecast" || fail "forecast --help lacks --future"
grep -q -- '--static' "$work/help_backtest" || fail "backtest --help lacks --static"
"$cli" forecast --data "$future/m5_history.csv" --future "$future/m5_future.csv" -H 7 -m ets \
  --out "$work/m5f.csv" >"$work/m5f_out" 2>"$work/m5f_err" || fail "forecast --future: $(cat "$work/m5f_err")"
grep -q "4 series x 7 days" "$work/m5f_out" || fail "forecast --future summary: $(cat "$work/m5f_out")"
grep -q "'FOODS_1_033_TX_1' is a new product (no history): forecast from the mean daily sales of 1 series sharing 2 of its 4 attributes" "$work/m5f_err" ||
  fail "forecast --future: no new-product warning: $(cat "$work/m5f_err")"
# Cold start: its forecast is its analogue's, FOODS_1_033_CA_1 (the same department).
[ "$(grep '^FOODS_1_033_TX_1,' "$work/m5f.csv" | cut -d, -f3-)" = "$(grep '^FOODS_1_033_CA_1,' "$work/m5f.csv" | cut -d, -f3-)" ] ||
  fail "forecast --future: the new product's forecast is not its analogue's"
[ "$(grep -c '^FOODS_1_033_TX_1,2016-0[34]-[0-9]*,' "$work/m5f.csv")" -eq 7 ] ||
  fail "forecast --future: rows of the new product: $(grep TX_1 "$work/m5f.csv")"
grep -q '^FOODS_1_033_TX_1,2016-03-28,' "$work/m5f.csv" || fail "forecast --future: new product's first day"
expect_error "needs them to 2016-04-04" forecast --data "$future/m5_history.csv" --future "$future/m5_future.csv" -H 8 -m naive --out "$work/x.csv"
# A missing series, then the same carried forward with a warning.
grep -v '^FOODS_3_702_CA_2' "$future/m5_future.csv" >"$work/m5_missing.csv"
expect_error "series 'FOODS_3_702_CA_2' of the history has no rows" forecast --data "$future/m5_history.csv" --future "$work/m5_missing.csv" -H 7 -m naive --out "$work/x.csv"
"$cli" forecast --data "$future/m5_history.csv" --future "$work/m5_missing.csv" --fill-future last \
  -H 7 -m naive --out "$work/m5fill.csv" >/dev/null 2>"$work/m5fill_err" || fail "--fill-future last"
# 7 days x (price, snap, event) of the missing series.
grep -q "fill_future=last filled 21 missing future cell(s)" "$work/m5fill_err" ||
  fail "--fill-future warning: $(cat "$work/m5fill_err")"
# Complete Journey: the static file's attributes, the price past-only.
"$cli" forecast --data "$future/cj_history.csv" --static "$future/cj_static.csv" \
  --future "$future/cj_future.csv" --past-only shelf_price -H 7 -m snaive --out "$work/cj.csv" \
  >"$work/cj_out" 2>&1 || fail "forecast --static --future: $(cat "$work/cj_out")"
grep -q "3 series x 7 days" "$work/cj_out" || fail "forecast cj summary: $(cat "$work/cj_out")"
# The new product 1106523 has every attribute of 1029743 (the same store-brand milk; in this
# short slice n_coupon_campaigns is constant, so static too): its analogue.
[ "$(grep '^1106523,' "$work/cj.csv" | cut -d, -f2-)" = "$(grep '^1029743,' "$work/cj.csv" | cut -d, -f2-)" ] ||
  fail "forecast cj: the new product is not forecast as its analogue: $(grep -c '^1106523,' "$work/cj.csv") rows"
grep -q "'1106523' is a new product (no history): forecast from the mean daily sales of 1 series sharing 7 of its 7 attributes" "$work/cj_out" ||
  fail "forecast cj: the new product's warning: $(cat "$work/cj_out")"
expect_error "known-future column 'shelf_price' of the history is missing" forecast --data "$future/cj_history.csv" --future "$future/cj_future.csv" -H 7 -m naive --out "$work/x.csv"
expect_error "past-only covariate 'colour' is not a column" forecast --data "$future/cj_history.csv" --past-only colour -H 7 -m naive --out "$work/x.csv"
expect_error "fill-future" forecast --data "$future/cj_history.csv" --fill-future mean -H 7 -m naive --out "$work/x.csv"
"$cli" backtest --data "$future/cj_history.csv" --static "$future/cj_static.csv" -H 7 -m naive \
  >"$work/cj_bt" || fail "backtest --static"
grep -q "backtest of 3 series" "$work/cj_bt" || fail "backtest --static: $(cat "$work/cj_bt")"

# --- replenish ---------------------------------------------------------------
# snaive forecast of capi_small (A repeats 1..7 from Monday 2024-01-22, with
# quantiles all equal to the mean), then orders for the states in
# tests/fixtures/inventory/state_capi_small.csv.
state="$source/tests/fixtures/inventory/state_capi_small.csv"
grep -q "^  replenish " "$work/help" || fail "--help does not list replenish"
"$cli" replenish --help >"$work/help_replenish" || fail "replenish --help exited non-zero"
grep -q -- '--service-level' "$work/help_replenish" || fail "replenish --help lacks --service-level"
"$cli" forecast --data "$data" -H 14 -m snaive --out "$work/rf.csv" >/dev/null 2>&1 ||
  fail "forecast for replenish"
"$cli" replenish --forecast "$work/rf.csv" --inventory "$state" --service-level 0.95 \
  --out "$work/orders.csv" >"$work/replenish_out" 2>"$work/replenish_err" ||
  fail "replenish: $(cat "$work/replenish_err")"
[ ! -s "$work/replenish_err" ] || fail "replenish: unexpected stderr: $(cat "$work/replenish_err")"
grep -q "3 SKUs" "$work/replenish_out" || fail "replenish summary: $(cat "$work/replenish_out")"
[ "$(head -1 "$work/orders.csv")" = "sku,on_hand,demand_mean,demand_sd,safety_stock,reorder_point,order_up_to,order_quantity,expected_fill_rate,stockout_probability,days_of_cover" ] ||
  fail "replenish header: $(head -1 "$work/orders.csv")"
[ "$(wc -l <"$work/orders.csv")" -eq 4 ] || fail "replenish rows"
# A: lead time 3, review 1: reorder point 1+2+3 = 6, order-up-to 1+2+3+4 = 10,
# 2 on hand: order 8; days of cover 2 / (10 / 4 days) = 0.8.
grep -qx 'A,2,10,0,0,6,10,8,1,0,0.8' "$work/orders.csv" || fail "replenish row of A: $(grep '^A' "$work/orders.csv")"
# B: MOQ 12 in packs of 6: a whole number of packs, at least 12.
awk -F, '$1 == "B" { if ($8 < 12 || $8 % 6 != 0) exit 1; found = 1 } END { exit !found }' \
  "$work/orders.csv" || fail "replenish row of B: packs and MOQ"
# Fill rate 0.98 of A's review-period demand E[D_R] = 4 allows 0.08 units
# short per cycle: order-up-to 10 - 0.08 = 9.92, reorder point 5.92, order 8.
"$cli" replenish --forecast "$work/rf.csv" --inventory "$state" --fill-rate 0.98 \
  --regime backorder --out "$work/orders_fill.csv" >/dev/null || fail "replenish --fill-rate"
awk -F, '$1 == "A" { d1 = $6 - 5.92; d2 = $7 - 9.92; if (d1 < 0) d1 = -d1; if (d2 < 0) d2 = -d2
  if (d1 > 1e-9 || d2 > 1e-9 || $8 != 8) exit 1; found = 1 } END { exit !found }' \
  "$work/orders_fill.csv" || fail "replenish --fill-rate row of A: $(grep '^A' "$work/orders_fill.csv")"

printf 'sku,on_hand,lead_time_mean\nA,1,2\nZZ,1,2\n' >"$work/state_missing.csv"
printf 'sku,on_hand,lead_time_mean\nA,1,2\nB,x,2\n' >"$work/state_bad.csv"
printf 'sku,on_hand,lead_time_mean,review_period\nA,1,10,7\n' >"$work/state_long.csv"
expect_error "no forecast series: 'ZZ'" replenish --forecast "$work/rf.csv" --inventory "$work/state_missing.csv" --service-level 0.9 --out "$work/x.csv"
expect_error "state_bad.csv:3: column 'on_hand'" replenish --forecast "$work/rf.csv" --inventory "$work/state_bad.csv" --service-level 0.9 --out "$work/x.csv"
expect_error "forecast covers 14 days but the protection interval needs 17" replenish --forecast "$work/rf.csv" --inventory "$work/state_long.csv" --service-level 0.9 --out "$work/x.csv"
expect_error "service_level.*must be in \(0, 1\)" replenish --forecast "$work/rf.csv" --inventory "$state" --service-level 1.5 --out "$work/x.csv"
expect_error "exactly one service target" replenish --forecast "$work/rf.csv" --inventory "$state" --out "$work/x.csv"
expect_error "expected the header" replenish --forecast "$data" --inventory "$state" --service-level 0.9 --out "$work/x.csv"
expect_error "nonexistent.csv" replenish --forecast "$work/nonexistent.csv" --inventory "$state" --service-level 0.9 --out "$work/x.csv"
# --- simulate ----------------------------------------------------------------
"$cli" simulate --help >"$work/help_simulate" || fail "simulate --help exited non-zero"
grep -q -- '--test-days' "$work/help_simulate" || fail "simulate --help lacks --test-days"
"$cli" simulate --data "$data" --method naive,snaive --test-days 7 --service-level 0.9,0.95 \
  --lead-time 2 >"$work/sim" 2>"$work/sim_err" || fail "simulate: $(cat "$work/sim_err")"
[ "$(grep -cE '^method +series +fill_rate +cycle_sl +stockouts +avg_inventory +orders$' "$work/sim")" -eq 2 ] ||
  fail "simulate table headers: $(cat "$work/sim")"
grep -q '^service_level 0.95, lead time 2' "$work/sim" || fail "simulate title"
[ "$(grep -cE '^(naive|snaive) +3 +[01]\.[0-9]{4} +[01]\.[0-9]{4} +[0-9]+ ' "$work/sim")" -eq 4 ] ||
  fail "simulate rows: $(cat "$work/sim")"
"$cli" simulate --data "$data" -m naive,snaive --test-days 7 --service-level 0.9 --json >"$work/sim.json"
"$python" - "$work/sim.json" <<'PY'
import json, sys
reports = json.load(open(sys.argv[1]))
assert len(reports) == 1 and reports[0]["test_days"] == 7 and reports[0]["lead_time"] == 2, reports
methods = reports[0]["methods"]
assert [m["method"] for m in methods] == ["naive", "snaive"], methods
for m in methods:
    for key in ("fill_rate", "cycle_service_level", "stockout_days", "avg_inventory", "orders"):
        assert key in m, (key, m)
    assert 0 <= m["fill_rate"] <= 1 and 0 <= m["cycle_service_level"] <= 1, m
PY
expect_error "test-days" simulate --data "$data" -m naive --test-days 0 --service-level 0.9
expect_error "prophet" simulate --data "$data" -m naive,prophet --test-days 7 --service-level 0.9
expect_error "exactly one service target" simulate --data "$data" -m naive --test-days 7
expect_error "service_level.*must be in \(0, 1\)" simulate --data "$data" -m naive --test-days 7 --service-level 0.9,1
# --- closed days (--open-column) ---------------------------------------------
# Three SKUs of online_retail from Sunday 2011-03-06 to Saturday 2011-05-14,
# closed on Saturdays and five holidays (fixtures/data/online_retail_slice_PROVENANCE.md).
shop="$source/tests/fixtures/data/online_retail_slice.csv"
grep -q -- '--open-column' "$work/help_forecast" || fail "forecast --help lacks --open-column"
"$cli" backtest --data "$shop" -H 14 -k 2 -m naive,snaive,ets,auto --open-column is_open --json \
  >"$work/closed.json" 2>"$work/closed_err" || fail "backtest --open-column: $(cat "$work/closed_err")"
"$python" - "$work/closed.json" "$shop" <<'PY'
# naive on the open days: each window forecasts the last open day's sales
# before its origin on its open days and 0 on its closed ones, and every day
# is scored (bias = mean of forecast - actual over the 28 days).
import csv, json, sys
report = json.load(open(sys.argv[1]))
days = {}
for r in csv.DictReader(open(sys.argv[2])):
    days.setdefault(r["series_id"], []).append((float(r["value"]), r["is_open"] == "1"))
assert [m["method"] for m in report["methods"]] == ["naive", "snaive", "ets", "auto"]
for entry in report["methods"][0]["per_series"]:
    history = days[entry["series_id"]]
    errors = []
    for origin in (len(history) - 28, len(history) - 14):
        last = [v for v, is_open in history[:origin] if is_open][-1]
        errors += [(last if is_open else 0.0) - v for v, is_open in history[origin:origin + 14]]
    assert len(errors) == 28 and abs(entry["bias"] - sum(errors) / 28) < 1e-9, (entry, errors)
for method in report["methods"]:
    assert all(method["metrics"][k] is not None for k in ("wql", "mase", "coverage80")), method
PY
# The history ends on a closed Saturday: naive repeats Friday's 25 units of
# 85123A, not the Saturday's 0; no open values after the history, so a warning.
"$cli" forecast --data "$shop" -H 7 -m naive --open-column is_open --out "$work/closed.csv" \
  >/dev/null 2>"$work/closed_err" || fail "forecast --open-column: $(cat "$work/closed_err")"
grep -q '^85123A,2011-05-15,25,' "$work/closed.csv" || fail "forecast --open-column: $(grep 85123A "$work/closed.csv")"
grep -q "series '85123A': open column 'is_open' has no value for 7 of the 7 horizon days (from 2011-05-15)" \
  "$work/closed_err" || fail "forecast --open-column warning: $(cat "$work/closed_err")"
"$cli" forecast --data "$shop" -H 7 -m naive --out "$work/closed_plain.csv" >/dev/null 2>&1
grep -q '^85123A,2011-05-15,0,' "$work/closed_plain.csv" || fail "forecast without --open-column"
"$cli" simulate --data "$shop" -m snaive,ets --test-days 14 --service-level 0.9 --open-column is_open \
  >"$work/closed_sim" 2>"$work/closed_err" || fail "simulate --open-column: $(cat "$work/closed_err")"
[ "$(grep -cE '^(snaive|ets) +3 +[01]\.[0-9]{4} ' "$work/closed_sim")" -eq 2 ] ||
  fail "simulate --open-column rows: $(cat "$work/closed_sim")"
sed 's/^\(84879,2011-04-01,[^,]*,[^,]*\),1$/\1,/' "$shop" >"$work/shop_gap.csv"
expect_error "series '21212': open column 'price' is 0.42 on 2011-03-06: expected 1 .open. or 0 .closed." \
  backtest --data "$shop" -H 7 -m naive --open-column price
expect_error "open column 'is_closed' is not a column of the data" \
  forecast --data "$shop" -H 7 -m naive --open-column is_closed --out "$work/x.csv"
expect_error "series '84879': open column 'is_open' has no value on 2011-04-01" \
  simulate --data "$work/shop_gap.csv" -m naive --test-days 7 --service-level 0.9 --open-column is_open
echo "OK"
