#!/usr/bin/env bash
# The transformer against the built-in methods on the bundled data, with its
# last 28 days as an untouched test period: trains the default recipe
# (scripts/train_default_model.sh) on the data WITHOUT those days, then
#  - backtests every method and the model on the 28 days (one window), and
#  - replays the replenishment policy over them (simulate) at two service levels.
#   bash scripts/model_accuracy.sh [WORKDIR]   (default: model-accuracy/)
# Run after scripts/build.sh.  Takes a few minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
data=data/m5_tiny_long.csv.gz
cli=${INVF_CLI:-build/bin/invforecast}
work=${1:-model-accuracy}
mkdir -p "$work"

# The test period: the last 28 days of the data (the same for every series).
source scripts/holdout.sh
holdout_split "$data" "$work/train.csv.gz"
echo "test period: the 28 days after $cut (last date $last)"

start=$(date +%s)
INVF_CLI="$cli" bash scripts/train_default_model.sh "$work/train.csv.gz" "$work/model.invfm" \
  --progress never
echo "training took $(( $(date +%s) - start )) s"

"$cli" backtest --data "$data" --horizon 28 --windows 1 \
  --method naive,snaive,ma,ets,croston,sba,tsb,auto,model --model "$work/model.invfm"
"$cli" simulate --data "$data" --test-days 28 --service-level 0.9,0.95 --lead-time 2 \
  --method naive,snaive,ma,ets,croston,sba,tsb,model --model "$work/model.invfm" \
  --history-days 365
