#!/usr/bin/env bash
# Transfer experiment on the bundled data (280 M5 item-store series, 28 per
# store): pre-train on the other stores, fine-tune on one store that has
# little history, and compare on that store's last 28 days with training from
# scratch and with the built-in baselines.
#
#   bash scripts/transfer_experiment.sh [BUILD_DIR]        (default: build)
#
# Setup (environment variables, defaults in brackets):
#   TARGET_STORE [CA_3]    the "new" store; the other nine stores are the source
#   HISTORY_DAYS [180]     days of the target store's history before its test window
#   CONTEXT [112]          context length of every model (days)
#   PRETRAIN_EPOCHS [10], PRETRAIN_STEPS [100]   steps per epoch on the source stores
#   FINETUNE_EPOCHS [10], FINETUNE_STEPS [50]    the same budget for every target-store run
#   FINETUNE_LR [0.0003]   peak learning rate of the fine-tunes (scratch runs use the default 0.001)
#   SEEDS ["1 2 3"]        seeds of the target-store runs (one row each)
#   THREADS [2], OUT [transfer-output]
#
# Nothing after the target store's test origin is read by any model: the
# source stores are cut at the same date (no cross-store look-ahead), the
# target store's models train on its HISTORY_DAYS days only, and the backtest
# scores the 28 days after them.  Rows:
#   ssl+finetune   masked-patch pre-training on the source stores, then a full fine-tune
#   fc+finetune    forecasting training on the source stores, then a full fine-tune
#   fc+lora        that source model with LoRA adapters (rank 8) trained on the target store
#   fc zero-shot   that source model as it is, no target-store training
#   scratch        a new model trained on the target store only
#   built-in methods, fitted on the same HISTORY_DAYS days.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
cli=$build/bin/invforecast
data=data/m5_tiny_long.csv.gz
target=${TARGET_STORE:-CA_3}
history_days=${HISTORY_DAYS:-180}
context=${CONTEXT:-112}
pre_epochs=${PRETRAIN_EPOCHS:-10}
pre_steps=${PRETRAIN_STEPS:-100}
fine_epochs=${FINETUNE_EPOCHS:-10}
fine_lr=${FINETUNE_LR:-0.0003}
fine_steps=${FINETUNE_STEPS:-50}
seeds=${SEEDS:-1 2 3}
threads=${THREADS:-2}
out=${OUT:-transfer-output}
mkdir -p "$out"

# Dates: the test window is the last 28 days of the data (ISO dates compare as text).
last=$(zcat "$data" | awk -F, 'NR > 1 && $2 > last { last = $2 } END { print last }')
test_start=$(date -u -d "$last -27 days" +%F)
history_start=$(date -u -d "$test_start -$history_days days" +%F)
zcat "$data" | awk -F, -v s="$target" -v t="$test_start" 'NR == 1 || ($5 != s && $2 < t)' \
  > "$out/source.csv"
zcat "$data" | awk -F, -v s="$target" -v h="$history_start" 'NR == 1 || ($5 == s && $2 >= h)' \
  > "$out/target.csv"
zcat "$data" | awk -F, -v s="$target" -v h="$history_start" -v t="$test_start" \
  'NR == 1 || ($5 == s && $2 >= h && $2 < t)' > "$out/target_history.csv"
if [ "$(wc -l < "$out/target.csv")" -le 1 ]; then
  echo "transfer_experiment: no series in store '$target'" >&2
  exit 1
fi
echo "target store $target: history $history_start .. $(date -u -d "$test_start -1 day" +%F)," \
  "test $test_start .. $last; source: the other stores before $test_start" >&2

train() { "$cli" train --threads "$threads" --progress never "$@" >&2; }
pre_flags=(--epochs "$pre_epochs" --steps-per-epoch "$pre_steps")
fine_flags=(--epochs "$fine_epochs" --steps-per-epoch "$fine_steps")

SECONDS=0
train --data "$out/source.csv" --context-length "$context" --objective masked_patch \
  "${pre_flags[@]}" --out "$out/source_ssl.invfm"
train --data "$out/source.csv" --context-length "$context" "${pre_flags[@]}" \
  --out "$out/source_fc.invfm"
echo "source models trained in ${SECONDS} s" >&2
for seed in $seeds; do
  train --data "$out/target_history.csv" --init "$out/source_ssl.invfm" --finetune full \
    "${fine_flags[@]}" --learning-rate "$fine_lr" --seed "$seed" \
    --out "$out/ssl_finetune_$seed.invfm"
  train --data "$out/target_history.csv" --init "$out/source_fc.invfm" --finetune full \
    "${fine_flags[@]}" --learning-rate "$fine_lr" --seed "$seed" \
    --out "$out/fc_finetune_$seed.invfm"
  train --data "$out/target_history.csv" --init "$out/source_fc.invfm" --finetune lora \
    "${fine_flags[@]}" --learning-rate "$fine_lr" --seed "$seed" \
    --out "$out/fc_lora_$seed.invfm" --adapter "$out/fc_lora_$seed.adapter"
  train --data "$out/target_history.csv" --context-length "$context" "${fine_flags[@]}" \
    --seed "$seed" --out "$out/scratch_$seed.invfm"
done

# One backtest per model; the row named "model" gets the model's label.
score_model() {
  "$cli" backtest --data "$out/target.csv" --horizon 28 --windows 1 --method model \
    --model "$2" | awk -v label="$1" '$1 == "model" { $1 = label; print }'
}
{
  "$cli" backtest --data "$out/target.csv" --horizon 28 --windows 1 \
    --method naive,snaive,ma,ets,croston,sba,tsb,auto \
    | awk '$1 == "method" || (NF == 8 && $2 ~ /^[0-9.]+$/)'
  score_model "fc_zero-shot" "$out/source_fc.invfm"
  for seed in $seeds; do
    score_model "ssl+finetune_s$seed" "$out/ssl_finetune_$seed.invfm"
    score_model "fc+finetune_s$seed" "$out/fc_finetune_$seed.invfm"
    score_model "fc+lora_s$seed" "$out/fc_lora_$seed.invfm"
    score_model "scratch_s$seed" "$out/scratch_$seed.invfm"
  done
} | awk '{ printf "%-20s", $1; for (i = 2; i <= NF; ++i) printf " %9s", $i; printf "\n" }' \
  | tee "$out/table.txt"
echo "total ${SECONDS} s; table in $out/table.txt" >&2
