#!/usr/bin/env bash
# The main job on the bundled real data (280 Walmart M5 item-store series):
# installs dependencies, builds, inspects the data, backtests the built-in
# methods on the last 28 days, forecasts the next 28 days with the shipped
# transformer (data/m5_default_model.invfm, trained by the engine on this data:
# scripts/train_default_model.sh) and the prices, events and SNAP days M5 gave
# for them (data/m5_tiny_future.csv.gz), turns the forecast into orders for a 95%
# cycle service level, and replays that policy over the last 28 days.  Output
# lands in ./demo-output/.  The model's own accuracy on an untouched test
# period is measured by scripts/model_accuracy.sh (it retrains without it).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install_deps.sh
bash scripts/build.sh
data=data/m5_tiny_long.csv.gz
cli=build/bin/invforecast
out=demo-output
mkdir -p "$out"
"$cli" inspect --data "$data" > "$out/inspect.txt"
head -n 8 "$out/inspect.txt"
"$cli" backtest --data "$data" --horizon 28 --windows 1 \
  --method naive,snaive,ma,ets,croston,sba,tsb,auto
"$cli" forecast --data "$data" --future data/m5_tiny_future.csv.gz --horizon 28 --method model \
  --model data/m5_default_model.invfm --out "$out/forecast.csv"
# The stock position is made up (M5 has no stock data): scripts/make_demo_inventory.py.
"$cli" replenish --forecast "$out/forecast.csv" --inventory data/m5_demo_inventory.csv \
  --service-level 0.95 --out "$out/orders.csv"
"$cli" simulate --data "$data" --method snaive,croston,tsb --test-days 28 \
  --service-level 0.9,0.95 --lead-time 2
echo "demo: forecasts in $out/forecast.csv, orders in $out/orders.csv; first orders:"
head -n 6 "$out/orders.csv"
