#!/usr/bin/env bash
# Closed days on online_retail (a shop closed on Saturdays and holidays): the
# classical methods backtested on the last 28 days of every SKU (one window),
# without and with --open-column is_open, on the same data.
#   bash scripts/closed_days_online_retail.sh [DATA]
#   (default ../shared/data/online_retail/online_retail_long.csv.gz)
# Run after scripts/build.sh.  METHODS overrides the method list.
set -euo pipefail
cd "$(dirname "$0")/.."
data=${1:-../shared/data/online_retail/online_retail_long.csv.gz}
cli=${INVF_CLI:-build/bin/invforecast}
methods=${METHODS:-naive,snaive,ma,ets,croston,sba,tsb,auto}

for flags in "" "--open-column is_open"; do
  echo "== ${flags:-without an open column}"
  start=$(date +%s)
  # shellcheck disable=SC2086  # the flags are two words or none
  "$cli" backtest --data "$data" --horizon 28 --windows 1 --method "$methods" $flags --progress never
  echo "took $(( $(date +%s) - start )) s"
done
