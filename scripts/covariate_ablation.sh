#!/usr/bin/env bash
# Covariate ablation on the bundled M5 data (issue 11): the default training
# recipe (scripts/train_default_model.sh) on the data WITHOUT its last 28 days,
# once per covariate set, each model backtested on those 28 days (one window),
# and the ensemble over the full-covariate model.  Prints one row per variant:
# WRMSSE, WQL, coverage of the 80% interval and training seconds.
#   bash scripts/covariate_ablation.sh [WORKDIR] [EXTRA TRAIN FLAGS...]
# (default workdir covariate-ablation/; extra flags go to every training run
# and must not repeat the recipe's).  Run after scripts/build.sh; the full
# recipe takes several minutes per variant on 2 cores; EPOCHS=2 (200 steps,
# scripts/train_default_model.sh) is a smoke run.  Interpreter for the table: python3 on PATH (standard
# library only).
# Variants (docs/covariates.md), COVARIATES:HEAD: none = the sales alone;
# calendar = the calendar alone; price,event,snap = plus those known-future
# columns; all = plus the static store, state, dept and category (every M5
# column); HEAD quantile (the default head) or negbin (the count head,
# docs/count_head.md: the negative binomial's quantiles and mean).  VARIANTS
# (space-separated) runs some of them; the ensemble row needs all:quantile.
# After the table, scripts/covariate_headroom.py bounds what covariates could
# gain on the test window, from the no-covariate model's forecast of it.
set -euo pipefail
cd "$(dirname "$0")/.."
data=data/m5_tiny_long.csv.gz
cli=${INVF_CLI:-build/bin/invforecast}
work=${1:-covariate-ablation}
shift || true
mkdir -p "$work"

source scripts/holdout.sh
holdout_split "$data" "$work/train.csv.gz"
echo "test period: the 28 days after $cut (last date $last); load $(cut -d' ' -f1-3 /proc/loadavg)"

rows="$work/rows.txt"
: > "$rows"
variants=${VARIANTS:-none:quantile calendar:quantile price,event,snap:quantile all:quantile none:negbin all:negbin}
for variant in $variants; do
  covariates=${variant%:*} head=${variant#*:}
  name="${covariates//,/_}"
  method=model
  if [ "$head" != quantile ]; then name="${name}_$head" method=$head; fi
  model="$work/model_$name.invfm"
  start=$(date +%s)
  COVARIATES="$covariates" INVF_CLI="$cli" bash scripts/train_default_model.sh \
    "$work/train.csv.gz" "$model" --head "$head" --progress never "$@" > "$work/train_$name.txt"
  seconds=$(( $(date +%s) - start ))
  "$cli" backtest --data "$data" --horizon 28 --windows 1 --method model --model "$model" \
    --json > "$work/backtest_$name.json"
  echo "$covariates $method $seconds $work/backtest_$name.json" >> "$rows"
done
if [ -f "$work/model_all.invfm" ] && [[ " $variants " == *" all:quantile "* ]]; then
  "$cli" backtest --data "$data" --horizon 28 --windows 1 --method ensemble \
    --model "$work/model_all.invfm" --json > "$work/backtest_ensemble.json"
  echo "all ensemble - $work/backtest_ensemble.json" >> "$rows"
fi

python3 - "$rows" <<'PY'
import json, sys
rows = [line.split() for line in open(sys.argv[1])]
base = None
print(f"{'covariates':<18} {'method':<9} {'WRMSSE':>8} {'WQL':>8} {'cov80':>7} {'train s':>8} {'dWRMSSE':>8} {'dWQL':>7}")
for variant, method, seconds, path in rows:
    m = json.load(open(path))["methods"][0]["metrics"]
    if base is None:
        base = m
    gain = lambda k: f"{100 * (1 - m[k] / base[k]):+.1f}%"
    secs = seconds
    print(f"{variant:<18} {method:<9} {m['wrmsse']:>8.4f} {m['wql']:>8.4f} {m['coverage80']:>7.3f} "
          f"{secs:>8} {gain('wrmsse'):>8} {gain('wql'):>7}")
print("dWRMSSE, dWQL: improvement over the first row (by default no covariates, quantile head);"
      " positive is better; method negbin: the count head")
PY

if [ -f "$work/model_none.invfm" ]; then
  "$cli" forecast --data "$work/train.csv.gz" --horizon 28 --method model \
    --model "$work/model_none.invfm" --out "$work/forecast_none.csv" --progress never > /dev/null
  echo "headroom on the test window, from the no-covariate model's forecast:"
  python3 scripts/covariate_headroom.py "$data" "$work/forecast_none.csv"
fi
