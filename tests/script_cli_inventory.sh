#!/usr/bin/env bash
# invforecast replenish and simulate beyond the basics of script_cli.sh:
# newsvendor mode, open orders from a CSV, per-SKU targets, empirical lead
# times, the neural model in the simulator, several targets in one run and
# uncertain lead times.
set -euo pipefail
. "${BASH_SOURCE[0]%/*}/script_util.bash"
need "$python"
cli="$build/bin/invforecast"
data="$source/tests/fixtures/capi_small.csv"
tiny="$source/tests/fixtures/model/v1_tiny_meanabs.invfm"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
[ -x "$cli" ] || fail "$cli not built"

# Seasonal naive of capi_small: A sells d units on forecast day d (1..7, from
# Monday 2024-01-22), every quantile equal to the mean.
"$cli" forecast --data "$data" -H 14 -m snaive --out "$work/rf.csv" >/dev/null 2>&1 || fail "forecast"

# --- newsvendor: lead time 2, selling period 3 (days 3..5: 12 units);
# cu 3, co 1 (ratio 0.75); 1 on hand: buy 11.
printf 'sku,on_hand,lead_time_mean,review_period,shortage_cost,overage_cost\nA,1,2,3,3,1\n' >"$work/nv.csv"
"$cli" replenish --mode newsvendor --forecast "$work/rf.csv" --inventory "$work/nv.csv" \
  --out "$work/buys.csv" >"$work/nv_out" || fail "newsvendor"
[ "$(head -1 "$work/buys.csv")" = "sku,on_hand,pipeline,demand_mean,demand_sd,critical_ratio,target_stock,order_quantity,stockout_probability,expected_sales,expected_leftover,expected_lost_sales" ] ||
  fail "newsvendor header: $(head -1 "$work/buys.csv")"
grep -qx 'A,1,0,12,0,0.75,12,11,0,12,0,0' "$work/buys.csv" || fail "newsvendor row: $(cat "$work/buys.csv")"
grep -q "1 to order now, 11 units" "$work/nv_out" || fail "newsvendor summary: $(cat "$work/nv_out")"
expect_error "newsvendor takes no service target" replenish --mode newsvendor --forecast "$work/rf.csv" \
  --inventory "$work/nv.csv" --service-level 0.9 --out "$work/x.csv"
printf 'sku,on_hand,lead_time_mean,shortage_cost\nA,1,2,3\n' >"$work/nv_bad.csv"
expect_error "SKU 'A': newsvendor needs overage_cost > 0" replenish --mode newsvendor \
  --forecast "$work/rf.csv" --inventory "$work/nv_bad.csv" --out "$work/x.csv"

# --- open orders: A, lead time 3, review 1: S = 1+2+3+4 = 10.  3 units on
# day 1 (2024-01-23) count; 50 on day 4 (2024-01-26, after the protection
# interval) do not: position 2 + 3 = 5, order 5.
printf 'sku,on_hand,lead_time_mean\nA,2,3\n' >"$work/state.csv"
printf 'sku,quantity,arrival_date\nA,3,2024-01-23\nA,50,2024-01-26\n' >"$work/open.csv"
"$cli" replenish --forecast "$work/rf.csv" --inventory "$work/state.csv" --open-orders "$work/open.csv" \
  --service-level 0.95 --out "$work/orders.csv" >/dev/null || fail "replenish --open-orders"
grep -qx 'A,2,10,0,0,6,10,5,1,0,0.8' "$work/orders.csv" || fail "open orders row: $(cat "$work/orders.csv")"
printf 'sku,quantity,arrival_day\nA,3,1\nA,50,4\n' >"$work/open_days.csv"
"$cli" replenish --forecast "$work/rf.csv" --inventory "$work/state.csv" --open-orders "$work/open_days.csv" \
  --service-level 0.95 --out "$work/orders_days.csv" >/dev/null || fail "replenish --open-orders by day"
cmp -s "$work/orders.csv" "$work/orders_days.csv" || fail "arrival_day and arrival_date differ"
printf 'sku,quantity,arrival_date\nA,3,2024-01-21\n' >"$work/open_late.csv"
expect_error "before the forecast's first day 2024-01-22" replenish --forecast "$work/rf.csv" \
  --inventory "$work/state.csv" --open-orders "$work/open_late.csv" --service-level 0.95 --out "$work/x.csv"

# --- per-SKU target and empirical lead times: lead times 3 or 4 (S = 10 or
# 15) at the SKU's own 0.95 -> 15, while --service-level 0.3 gives 10.
printf 'sku,on_hand,lead_time_samples,service_level\nA,0,3;4,0.95\n' >"$work/samples.csv"
"$cli" replenish --forecast "$work/rf.csv" --inventory "$work/samples.csv" --service-level 0.3 \
  --out "$work/samples_out.csv" >/dev/null || fail "replenish with lead_time_samples"
awk -F, '$1 == "A" { if ($7 != 15) exit 1; found = 1 } END { exit !found }' "$work/samples_out.csv" ||
  fail "lead_time_samples row: $(cat "$work/samples_out.csv")"
printf 'sku,on_hand,lead_time_samples\nA,0,3;4\n' >"$work/samples_global.csv"
"$cli" replenish --forecast "$work/rf.csv" --inventory "$work/samples_global.csv" --service-level 0.3 \
  --out "$work/samples_global_out.csv" >/dev/null || fail "replenish with lead_time_samples, global target"
awk -F, '$1 == "A" { if ($7 != 10) exit 1; found = 1 } END { exit !found }' "$work/samples_global_out.csv" ||
  fail "global target row: $(cat "$work/samples_global_out.csv")"

# --- simulate with the model, two targets in one run -------------------------
"$cli" simulate --data "$data" --method snaive,model --model "$tiny" --test-days 7 --lead-time 1 \
  --service-level 0.9,0.95 --json >"$work/sim.json" 2>"$work/sim_err" || fail "simulate model: $(cat "$work/sim_err")"
"$python" - "$work/sim.json" <<'PY'
import json, sys
reports = json.load(open(sys.argv[1]))
assert [r["service_target"] for r in reports] == [0.9, 0.95], reports
for r in reports:
    assert [m["method"] for m in r["methods"]] == ["snaive", "model"], r
    for m in r["methods"]:
        for key in ("fill_rate", "cycle_service_level", "stockout_days", "avg_inventory", "orders"):
            assert key in m, (key, m)
PY
"$cli" simulate --data "$data" --method snaive,model --model "$tiny" --test-days 7 --lead-time 1 \
  --service-level 0.9,0.95 >"$work/sim" 2>/dev/null || fail "simulate model table"
[ "$(grep -cE '^model +3 +[01]\.[0-9]{4} ' "$work/sim")" -eq 2 ] || fail "model rows: $(cat "$work/sim")"
"$cli" simulate --data "$data" -m snaive --test-days 7 --lead-time 2 --lead-time-sd 1 \
  --service-level 0.9 >"$work/sim_sd" 2>/dev/null || fail "simulate --lead-time-sd"
grep -q '^service_level 0.9, lead time 2 (sd 1), review 1' "$work/sim_sd" || fail "lead time sd title: $(cat "$work/sim_sd")"
expect_error "--method model needs --model FILE" simulate --data "$data" -m snaive,model --test-days 7 --service-level 0.9
expect_error "exceeds the model's horizon of 2 days" simulate --data "$data" -m model --model "$tiny" \
  --test-days 7 --lead-time 2 --service-level 0.9
expect_error "--model is only used with --method model" simulate --data "$data" -m snaive --model "$tiny" \
  --test-days 7 --service-level 0.9
echo "OK"
