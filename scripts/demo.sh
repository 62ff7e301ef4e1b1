#!/usr/bin/env bash
# The main job on the bundled real data (280 Walmart M5 item-store series):
# installs dependencies, builds, inspects the data, backtests the built-in
# methods on the last 28 days, and forecasts the next 30 days.
# Output lands in ./demo-output/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install_deps.sh
bash scripts/build.sh
data=data/m5_tiny_long.csv.gz
cli=build/bin/invforecast
mkdir -p demo-output
"$cli" inspect --data "$data" > demo-output/inspect.txt
head -n 20 demo-output/inspect.txt
"$cli" backtest --data "$data" --horizon 28 --windows 1 \
  --method naive,snaive,ma,ets,croston,sba,tsb,auto
"$cli" forecast --data "$data" --horizon 30 --method auto --out demo-output/forecast.csv
echo "demo: forecasts written to demo-output/forecast.csv"
head -n 5 demo-output/forecast.csv
