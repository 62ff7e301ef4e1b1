#!/usr/bin/env bash
# Method "ensemble" against each of its members on the bundled data, scored
# on its last 28 days (one backtest window; every method, and the ensemble's
# inner backtest, sees only the days before them), and its cost:
#  - backtest of the model, ets, tsb, snaive and the ensemble of all four;
#  - backtest of the ensemble without the model (ets, tsb, snaive);
#  - wall time of `forecast --method ensemble` on all 280 series, with and
#    without the model, against one `forecast` per member.
#   bash scripts/ensemble_accuracy.sh [MODEL]   (default data/m5_default_model.invfm)
# The shipped model was trained on all the bundled days, the scored ones
# included, so its figures and its weight in the ensemble are flattered: for
# a fair comparison pass a model trained without them (scripts/model_accuracy.sh
# writes one to model-accuracy/model.invfm).  Run after scripts/build.sh;
# THREADS (default 2) workers.
set -euo pipefail
cd "$(dirname "$0")/.."
data=data/m5_tiny_long.csv.gz
cli=${INVF_CLI:-build/bin/invforecast}
model=${1:-data/m5_default_model.invfm}
threads=${THREADS:-2}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== backtest, last 28 days, model $model, $threads threads"
"$cli" backtest --data "$data" --horizon 28 --windows 1 --threads "$threads" --progress never \
  --method model,ets,tsb,snaive,ensemble --model "$model"
echo "== backtest, last 28 days, the ensemble without a model"
"$cli" backtest --data "$data" --horizon 28 --windows 1 --threads "$threads" --progress never \
  --method ensemble | tail -n 1

seconds() {  # label, then the forecast arguments
  local label=$1 start end
  shift
  start=$(date +%s.%N)
  "$cli" forecast --data "$data" --horizon 28 --threads "$threads" --progress never \
    --out "$work/f.csv" "$@" >/dev/null 2>&1
  end=$(date +%s.%N)
  awk -v label="$label" -v s="$start" -v e="$end" 'BEGIN { printf "%-28s %7.2f s\n", label, e - s }'
}
echo "== forecast of all series, horizon 28 (includes reading the data)"
for method in snaive tsb ets; do seconds "$method" --method "$method"; done
seconds "model" --method model --model "$model"
seconds "ensemble (no model)" --method ensemble
seconds "ensemble (with the model)" --method ensemble --model "$model"
