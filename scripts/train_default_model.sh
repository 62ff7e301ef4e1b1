#!/usr/bin/env bash
# Trains the default model shipped as data/m5_default_model.invfm (the
# README's main command forecasts with it) from the bundled data, with the
# engine's own trainer on 2 threads.  The result is bit-identical for the
# same data, seed and thread count.
#   bash scripts/train_default_model.sh [DATA] [OUT]
# (defaults: data/m5_tiny_long.csv.gz and data/m5_default_model.invfm);
# scripts/model_accuracy.sh calls it on the data without its last 28 days.
# COVARIATES (default all: every column of the data, and the calendar) is its
# --covariates; scripts/covariate_ablation.sh varies it (none: the sales
# alone, the shipped model of before 0.2.0).  EPOCHS (default 20, of 100
# steps) shortens a smoke run: the CLI takes each flag once, so it cannot be
# overridden by an extra --epochs; SEED (default 1) likewise picks the seed.
set -euo pipefail
cd "$(dirname "$0")/.."
data=${1:-data/m5_tiny_long.csv.gz}
out=${2:-data/m5_default_model.invfm}
cli=${INVF_CLI:-build/bin/invforecast}
# Architecture: the defaults (context 336 days, patches of 16 every 8 days,
# 3 layers, 9 quantiles) at width 64, horizon 30 days (the product's default
# horizon); 2000 steps of 64 windows.
"$cli" train --data "$data" --out "$out" --horizon 30 --covariates "${COVARIATES:-all}" \
  --set d_model=64 --set heads=4 --set ffn_dim=128 \
  --epochs "${EPOCHS:-20}" --steps-per-epoch 100 --batch-size 64 --seed "${SEED:-1}" --threads 2 "${@:3}"
