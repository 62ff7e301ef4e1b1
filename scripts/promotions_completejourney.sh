#!/usr/bin/env bash
# Promotions on and off on Complete Journey (issue 11): ../shared/data/completejourney's
# 1,817 grocery products, the last 28 days held out, two models trained with the same recipe:
#   off  the calendar alone (--covariates calendar);
#   on   plus the four known-future promotion columns: n_store_display, n_store_mailer,
#        n_campaigns_active, n_coupon_campaigns (PROVENANCE.md says how each is known ahead);
# shelf_price is past-only in both (named in training, read by neither). Recipe: the default model's
# (scripts/train_default_model.sh) with a 112-day context (the history has 337 days) and the
# horizon 28. Each model is backtested on the 28 held-out days (one window) with the data's own
# promotion calendar over them. Prints WRMSSE, WQL, the 80% interval's coverage and the
# training seconds per variant.
#   bash scripts/promotions_completejourney.sh [WORKDIR] [EXTRA TRAIN FLAGS...]
# (default workdir promotions-cj/).  Interpreter for the table: python3 on PATH (standard library).
set -euo pipefail
cd "$(dirname "$0")/.."
data=${CJ_DATA:-../shared/data/completejourney/cj_long.csv.gz}
cli=${INVF_CLI:-build/bin/invforecast}
work=${1:-promotions-cj}
shift || true
mkdir -p "$work"
[ -f "$data" ] || { echo "no $data (set CJ_DATA)" >&2; exit 1; }

source scripts/holdout.sh
holdout_split "$data" "$work/train.csv.gz"
echo "test period: the 28 days after $cut (last date $last); load $(cut -d' ' -f1-3 /proc/loadavg)"

rows="$work/rows.txt"
: > "$rows"
for variant in off on; do
  case $variant in
    off) covariates=calendar ;;
    on) covariates=n_store_display,n_store_mailer,n_campaigns_active,n_coupon_campaigns ;;
  esac
  start=$(date +%s)
  "$cli" train --data "$work/train.csv.gz" --out "$work/model_$variant.invfm" --horizon 28 \
    --covariates "$covariates" --past-only shelf_price --set context_length=112 \
    --set d_model=64 --set heads=4 --set ffn_dim=128 \
    --epochs 20 --steps-per-epoch 100 --batch-size 64 --seed 1 --threads 2 --progress never "$@" \
    > "$work/train_$variant.txt"
  seconds=$(( $(date +%s) - start ))
  "$cli" backtest --data "$data" --horizon 28 --windows 1 --method model \
    --model "$work/model_$variant.invfm" --json > "$work/backtest_$variant.json"
  echo "$variant $seconds $work/backtest_$variant.json" >> "$rows"
done

python3 - "$rows" <<'PY'
import json, sys
rows = [line.split() for line in open(sys.argv[1])]
base = None
print(f"{'promotions':<11} {'WRMSSE':>8} {'WQL':>8} {'cov80':>7} {'train s':>8} {'dWRMSSE':>8} {'dWQL':>7}")
for variant, seconds, path in rows:
    m = json.load(open(path))["methods"][0]["metrics"]
    base = base or m
    gain = lambda k: f"{100 * (1 - m[k] / base[k]):+.1f}%"
    print(f"{variant:<11} {m['wrmsse']:>8.4f} {m['wql']:>8.4f} {m['coverage80']:>7.3f} {seconds:>8} "
          f"{gain('wrmsse'):>8} {gain('wql'):>7}")
print("dWRMSSE, dWQL: improvement over promotions off; positive is better")
PY
