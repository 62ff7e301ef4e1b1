#!/usr/bin/env bash
# invforecast train and tune on a small M5 slice (6 series x 120 days) with a
# tiny architecture: the model file forecasts and backtests, retraining is
# bit-identical, fine-tuning (full, head, LoRA), pre-training, checkpoints and
# resume, context selection by validation, the error contract of bad flags,
# and explain on the M5 future fixtures: a tiny covariate model's tables
# (attention per patch with its dates, attributions for the horizon total and
# per day) and JSON (attributions adding up to the forecast minus the
# baseline, the forecast `forecast`'s), a new product's from its analogues, a
# negbin model's, and its errors.
set -euo pipefail
. "${BASH_SOURCE[0]%/*}/script_util.bash"
need "$python"
cli="$build/bin/invforecast"
data="$source/tests/fixtures/data/m5_slice.csv.gz"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
[ -x "$cli" ] || fail "$cli not built"

# A few hundred windows of a 1-layer model: each run takes well under a second.
arch=(--set patch_length=7 --set stride=7 --set d_model=16 --set heads=2 --set ffn_dim=32
  --set layers=1)
# The target alone (--covariates none): the slice's price and events have no future file here.
tiny=("${arch[@]}" --set context_length=28 --set horizon=7 --covariates none)
unseeded=(--epochs 3 --steps-per-epoch 20 --batch-size 16 --threads 2 --progress never)
steps=("${unseeded[@]}" --seed 3)


# --- help ----------------------------------------------------------------------
"$cli" --help >"$work/help"
for command in train tune; do
  grep -q "^  $command " "$work/help" || fail "--help does not list $command"
done
"$cli" tune --help >"$work/help_tune"
grep -q -- '--contexts' "$work/help_tune" || fail "tune --help lacks --contexts"
grep -q 'validation hold-out' "$work/help_tune" || fail "tune --help does not name the hold-out"
grep -q 'cut the test period' "$work/help_tune" || fail "tune --help: untouched test advice"

# --- train, forecast, backtest -------------------------------------------------
model="$work/model.invfm"
"$cli" train --data "$data" "${tiny[@]}" "${steps[@]}" --out "$model" >"$work/train_out" \
  2>"$work/train_err" || fail "train: $(cat "$work/train_err")"
grep -qE "^wrote $model: forecast model, context 28 days, horizon 7 days; 3 epochs" \
  "$work/train_out" || fail "train summary: $(cat "$work/train_out")"
[ ! -s "$work/train_err" ] || fail "train --progress never wrote to stderr: $(cat "$work/train_err")"

"$cli" forecast --data "$data" --method model --model "$model" -H 7 --out "$work/f.csv" \
  >/dev/null 2>"$work/f_err" || fail "forecast with the trained model: $(cat "$work/f_err")"
"$python" - "$work/f.csv" <<'PY'
import csv, datetime, sys
rows = list(csv.reader(open(sys.argv[1])))
levels = [f"q0.{i}" for i in range(1, 10)]
assert rows[0] == ["series_id", "date", "mean"] + levels, rows[0]
assert len(rows) == 1 + 6 * 7, len(rows)
by_series = {}
for row in rows[1:]:
    assert len(row) == 12, row
    by_series.setdefault(row[0], []).append(row)
assert len(by_series) == 6 and all(len(r) == 7 for r in by_series.values()), by_series.keys()
for series_rows in by_series.values():
    for d, row in enumerate(series_rows):
        # The slice ends on 2016-03-27 for every series.
        assert row[1] == (datetime.date(2016, 3, 28) + datetime.timedelta(days=d)).isoformat(), row
        qs = [float(x) for x in row[3:]]
        assert float(row[2]) >= 0 and qs == sorted(qs) and qs[0] >= 0, row
PY

# The same data, seed and threads give the same bytes; another seed does not.
"$cli" train --data "$data" "${tiny[@]}" "${steps[@]}" --out "$work/again.invfm" >/dev/null
cmp -s "$model" "$work/again.invfm" || fail "retraining with the same seed changed the model file"
"$cli" train --data "$data" "${tiny[@]}" "${unseeded[@]}" --seed 4 --out "$work/seed4.invfm" >/dev/null
! cmp -s "$model" "$work/seed4.invfm" || fail "another seed gave the same model file"

"$cli" backtest --data "$data" -H 7 --method snaive,model --model "$model" >"$work/bt" ||
  fail "backtest with the model"
[ "$(grep -cE '^(snaive|model) +[0-9.]+ +[0-9.]+ +[0-9.]+ ' "$work/bt")" -eq 2 ] ||
  fail "backtest rows: $(cat "$work/bt")"

# --- fine-tuning -----------------------------------------------------------------
for mode in full head; do
  "$cli" train --data "$data" "${steps[@]}" --init "$model" --finetune $mode \
    --out "$work/$mode.invfm" >"$work/ft_out" 2>&1 || fail "--finetune $mode: $(cat "$work/ft_out")"
  ! cmp -s "$model" "$work/$mode.invfm" || fail "--finetune $mode left the weights unchanged"
  "$cli" forecast --data "$data" -m model --model "$work/$mode.invfm" -H 7 \
    --out "$work/$mode.csv" >/dev/null || fail "forecast with the --finetune $mode model"
done
"$cli" train --data "$data" "${steps[@]}" --init "$model" --finetune lora \
  --adapter "$work/adapter.invfa" --out "$work/lora.invfm" >"$work/lora_out" ||
  fail "--finetune lora"
grep -q "^wrote adapter $work/adapter.invfa" "$work/lora_out" || fail "lora summary"
[ -s "$work/adapter.invfa" ] || fail "no adapter file"
[ "$(stat -c %s "$work/adapter.invfa")" -lt "$(stat -c %s "$model")" ] ||
  fail "the adapter is not smaller than the model"
"$cli" forecast --data "$data" -m model --model "$work/lora.invfm" -H 7 --out "$work/lora.csv" \
  >/dev/null || fail "forecast with the merged LoRA model"

# --- pre-training ----------------------------------------------------------------
"$cli" train --data "$data" "${tiny[@]}" "${steps[@]}" --objective masked_patch \
  --out "$work/pre.invfm" >"$work/pre_out" || fail "--objective masked_patch"
grep -q "masked_patch model" "$work/pre_out" || fail "pre-training summary: $(cat "$work/pre_out")"
expect_error "pre-trained" forecast --data "$data" -m model --model "$work/pre.invfm" -H 7 --out "$work/x.csv"
"$cli" train --data "$data" "${steps[@]}" --init "$work/pre.invfm" --finetune full \
  --out "$work/pre_ft.invfm" >/dev/null || fail "fine-tuning the pre-trained model"
"$cli" forecast --data "$data" -m model --model "$work/pre_ft.invfm" -H 7 --out "$work/x.csv" \
  >/dev/null || fail "forecast after pre-training and fine-tuning"

# --- checkpoints -----------------------------------------------------------------
# Checkpointing does not change the result; resuming a finished run gives it back.
ckpt="$work/run.ckpt"
"$cli" train --data "$data" "${tiny[@]}" "${steps[@]}" --checkpoint "$ckpt" \
  --out "$work/ckpt.invfm" >/dev/null || fail "--checkpoint"
[ -s "$ckpt" ] || fail "no checkpoint written"
cmp -s "$model" "$work/ckpt.invfm" || fail "--checkpoint changed the model"
"$cli" train --data "$data" "${tiny[@]}" "${steps[@]}" --checkpoint "$ckpt" --resume \
  --out "$work/resumed.invfm" >/dev/null || fail "--resume"
cmp -s "$model" "$work/resumed.invfm" || fail "resuming a finished run changed the model"
expect_error "learning_rate" train --data "$data" "${tiny[@]}" "${steps[@]}" --learning-rate 0.002 \
  --checkpoint "$ckpt" --resume --out "$work/x.invfm"

# A longer run killed after its first epoch resumes to the uninterrupted result
# (wherever the kill lands: checkpoints are written atomically).
long=("${tiny[@]}" --epochs 4 --steps-per-epoch 150 --batch-size 16 --threads 2 --seed 3)
"$cli" train --data "$data" "${long[@]}" --progress never --out "$work/straight.invfm" >/dev/null
"$cli" train --data "$data" "${long[@]}" --checkpoint "$work/long.ckpt" \
  --out "$work/killed.invfm" >/dev/null 2>"$work/long_err" &
pid=$!
while kill -0 $pid 2>/dev/null && ! grep -q '^epoch 1/4' "$work/long_err"; do sleep 0.02; done
kill -KILL $pid 2>/dev/null || true
wait $pid 2>/dev/null || true
"$cli" train --data "$data" "${long[@]}" --progress never --checkpoint "$work/long.ckpt" \
  --resume --out "$work/long_resumed.invfm" >/dev/null || fail "--resume after a kill"
cmp -s "$work/straight.invfm" "$work/long_resumed.invfm" ||
  fail "the resumed run differs from the uninterrupted one"

# Pre-training checkpoints too (its reconstruction head and optimiser with the
# body): killed after epoch 1, it resumes to the uninterrupted result; resuming
# the finished run gives it back; another mask ratio or objective is refused.
pre=("${tiny[@]}" --objective masked_patch --epochs 4 --steps-per-epoch 150 --batch-size 16
  --threads 2 --seed 3)
"$cli" train --data "$data" "${pre[@]}" --progress never --out "$work/pre_straight.invfm" >/dev/null
"$cli" train --data "$data" "${pre[@]}" --checkpoint "$work/pre.ckpt" \
  --out "$work/pre_killed.invfm" >/dev/null 2>"$work/pre_err" &
pid=$!
while kill -0 $pid 2>/dev/null && ! grep -q '^epoch 1/4' "$work/pre_err"; do sleep 0.02; done
kill -KILL $pid 2>/dev/null || true
wait $pid 2>/dev/null || true
"$cli" train --data "$data" "${pre[@]}" --progress never --checkpoint "$work/pre.ckpt" --resume \
  --out "$work/pre_resumed.invfm" >/dev/null || fail "pre-training --resume after a kill"
cmp -s "$work/pre_straight.invfm" "$work/pre_resumed.invfm" ||
  fail "the resumed pre-training differs from the uninterrupted one"
"$cli" train --data "$data" "${pre[@]}" --progress never --checkpoint "$work/pre.ckpt" --resume \
  --out "$work/pre_again.invfm" >/dev/null || fail "pre-training --resume of a finished run"
cmp -s "$work/pre_straight.invfm" "$work/pre_again.invfm" ||
  fail "resuming a finished pre-training changed the model"
expect_error "mask_ratio = 0.4, these settings give 0.5" train --data "$data" "${pre[@]}" \
  --set mask_ratio=0.5 --checkpoint "$work/pre.ckpt" --resume --out "$work/x.invfm"
expect_error "objective = masked_patch, these settings give forecast" train --data "$data" \
  "${long[@]}" --checkpoint "$work/pre.ckpt" --resume --out "$work/x.invfm"

# --- bad flags -------------------------------------------------------------------
expect_error "--finetune needs --init" train --data "$data" "${steps[@]}" --finetune head --out "$work/x.invfm"
expect_error "--horizon 14 differs" train --data "$data" "${steps[@]}" --init "$model" --horizon 14 --out "$work/x.invfm"
expect_error "objective" train --data "$data" "${steps[@]}" --objective forecasting --out "$work/x.invfm"
expect_error "adapter" train --data "$data" "${steps[@]}" --init "$model" --finetune lora --out "$work/x.invfm"
expect_error "resume" train --data "$data" "${tiny[@]}" "${steps[@]}" --resume --out "$work/x.invfm"
[ ! -e "$work/x.invfm" ] || fail "a failed train wrote its --out file"

# --- tune ------------------------------------------------------------------------
tuned="$work/tuned.invfm"
"$cli" tune --data "$data" "${arch[@]}" "${steps[@]}" --horizon 7 --contexts 28,14 \
  --out "$tuned" >"$work/tune" 2>"$work/tune_err" || fail "tune: $(cat "$work/tune_err")"
grep -qE '^context +epochs +best +val_loss +WRMSSE +WQL +cov80 +seconds$' "$work/tune" ||
  fail "tune header: $(cat "$work/tune")"
for context in 14 28; do
  grep -qE "^ +$context +3 +[123] +[0-9.]+ +[0-9.]+ +[0-9.]+ +[01]\.[0-9]{4} " "$work/tune" ||
    fail "tune row of context $context: $(cat "$work/tune")"
done
grep -qE "^kept context (14|28) days \(lowest WQL, [0-9.]+\); wrote $tuned$" "$work/tune" ||
  fail "tune choice: $(cat "$work/tune")"
[ -s "$tuned" ] || fail "tune wrote no model"

# The JSON report: the kept candidate has the lowest WQL, the written model is
# the one `train` gives for that context with the same seed (hold-out = horizon),
# and a backtest of it reproduces the WQL tune reported.
"$cli" tune --data "$data" "${arch[@]}" "${steps[@]}" -H 7 --contexts 14,28 --json \
  --out "$work/tuned2.invfm" >"$work/tune.json"
cmp -s "$tuned" "$work/tuned2.invfm" || fail "tune is not deterministic"
kept=$("$python" - "$work/tune.json" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
rows = report["candidates"]
assert [r["context_length"] for r in rows] == [14, 28] and all(r["trained"] for r in rows), rows
assert report["horizon"] == 7 and report["holdout_days"] == 7 and report["criterion"] == "wql"
best = min(rows, key=lambda r: (r["wql"], r["context_length"]))
assert report["kept_context_length"] == best["context_length"], report
for r in rows:
    assert r["epochs_run"] == 3 and 1 <= r["best_epoch"] <= 3 and 0 <= r["coverage80"] <= 1, r
print(best["context_length"], repr(best["wql"]))
PY
) || fail "tune --json: $(cat "$work/tune.json")"
read -r kept_context kept_wql <<<"$kept"
"$cli" train --data "$data" "${arch[@]}" "${steps[@]}" --context-length "$kept_context" -H 7 \
  --out "$work/kept.invfm" >/dev/null
cmp -s "$tuned" "$work/kept.invfm" || fail "tune's model is not train's with context $kept_context"
"$cli" backtest --data "$data" -H 7 -m model --model "$tuned" --json >"$work/kept_bt.json"
"$python" - "$work/kept_bt.json" "$kept_wql" <<'PY'
import json, sys
wql = json.load(open(sys.argv[1]))["methods"][0]["metrics"]["wql"]
assert abs(wql - float(sys.argv[2])) <= 1e-12 * max(1.0, wql), (wql, sys.argv[2])
PY

# Contexts shorter than the patch or longer than the history are skipped, not fatal.
"$cli" tune --data "$data" "${arch[@]}" "${steps[@]}" -H 7 --contexts 5,28,200 --set covariates=none \
  --out "$work/skip.invfm" >"$work/tune_skip" || fail "tune with unusable contexts"
grep -qE '^ +5 +skipped: .*patch_length' "$work/tune_skip" || fail "skip of 5: $(cat "$work/tune_skip")"
grep -qE '^ +200 +skipped: no training window holds 200 days.* 106 ' "$work/tune_skip" ||
  fail "skip of 200: $(cat "$work/tune_skip")"
grep -q '^kept context 28 days' "$work/tune_skip" || fail "tune kept: $(cat "$work/tune_skip")"
cmp -s "$work/skip.invfm" "$model" || fail "tune's model for context 28 is not train's"
expect_error "no context length could be scored" tune --data "$data" "${arch[@]}" "${steps[@]}" -H 7 --contexts 5,200 --out "$work/x.invfm"
expect_error "--contexts: 'x' is not a positive" tune --data "$data" -H 7 --contexts 14,x --out "$work/x.invfm"
expect_error "--set context_length is not for tune" tune --data "$data" --set context_length=14 -H 7 --contexts 14 --out "$work/x.invfm"
expect_error "horizon" tune --data "$data" -H 0 --contexts 14 --out "$work/x.invfm"
[ ! -e "$work/x.invfm" ] || fail "a failed tune wrote its --out file"

# --- explain: a covariate model on the M5 future fixtures (3 series x 27 days, their next 7) ---
m5_history="$source/tests/fixtures/future/m5_history.csv"
m5_future="$source/tests/fixtures/future/m5_future.csv"
"$cli" --help | grep -q "^  explain " || fail "--help does not list explain"

# Every column and the calendar; 2 layers of 3 patches: days 1-7 and 8-14 of the context and one
# past its end (it repeats day 14).
explained="$work/explained.invfm"
"$cli" train --data "$m5_history" --set context_length=14 --set patch_length=7 --set stride=7 \
  --set d_model=16 --set heads=2 --set ffn_dim=32 --set layers=2 --set horizon=7 \
  --set holdout_days=0 --set min_history=14 --epochs 2 --steps-per-epoch 10 --batch-size 8 \
  --threads 2 --seed 5 --progress never --out "$explained" >/dev/null 2>"$work/train_err" ||
  fail "train: $(cat "$work/train_err")"

"$cli" explain --model "$explained" --data "$m5_history" --future "$m5_future" --series FOODS_3_702_CA_2 \
  >"$work/table" 2>"$work/table_err" || fail "explain: $(cat "$work/table_err")"
grep -q "^Explanation of series FOODS_3_702_CA_2 by .*: 7 days from 2016-03-28" "$work/table" ||
  fail "explain title: $(head -1 "$work/table")"
for group in history price snap event calendar static; do
  grep -qE "^$group " "$work/table" || fail "explain table lacks group $group"
done
grep -qE "^2016-04-03 " "$work/table" || fail "explain table lacks the last day"
grep -qE "^0 +2016-03-14 2016-03-20 " "$work/table" || fail "explain table lacks patch 0's dates"
grep -qE "^1 +2016-03-21 2016-03-27 " "$work/table" || fail "explain table lacks patch 1's dates"

# explained MODEL SERIES HISTORY_SOURCE MEAN_DEFINITION: its JSON explanation, whose groups add up
# to the forecast minus the baseline (per day, the mean and each quantile; double rounding only)
# and whose forecast is `forecast`'s for the series, bit for bit (both print shortest round-trip
# numbers).  The JSON is left in $work/e.json.
explained() {
  "$cli" forecast --data "$m5_history" --future "$m5_future" -m model --model "$1" -H 7 \
    --out "$work/explained.csv" >/dev/null 2>&1 || fail "forecast with $1"
  "$cli" explain --model "$1" --data "$m5_history" --future "$m5_future" --series "$2" --json \
    >"$work/e.json" 2>/dev/null || fail "explain --json $2"
  "$python" - "$work/e.json" "$work/explained.csv" "$2" "$3" "$4" <<'PY' || fail "explain --json $2"
import csv, json, sys
e = json.load(open(sys.argv[1]))
series, source, mean = sys.argv[3:6]
assert e["series_id"] == series and e["horizon"] == 7, e["series_id"]
assert e["history_source"] == source and e["mean_definition"].startswith(mean), e
scale = 1e-9 * (1 + max(e["forecast"]["mean"]))
for d in range(7):
    diff = e["forecast"]["mean"][d] - e["baseline"]["mean"][d]
    assert abs(sum(g["mean"][d] for g in e["groups"]) - diff) <= scale, d
    for q in range(len(e["quantiles"])):
        diff = e["forecast"]["quantiles"][d][q] - e["baseline"]["quantiles"][d][q]
        assert abs(sum(g["quantiles"][d][q] for g in e["groups"]) - diff) <= scale, (d, q)
for g in e["groups"]:
    assert abs(g["total"]["mean"] - sum(g["mean"])) <= 1e-9 * (1 + abs(g["total"]["mean"])), g["name"]
rows = [r for r in csv.DictReader(open(sys.argv[2])) if r["series_id"] == series]
assert rows[0]["date"] == e["start_date"], rows[0]
assert [float(r["mean"]) for r in rows] == e["forecast"]["mean"], (rows, e["forecast"]["mean"])
levels = ["q%g" % level for level in e["quantiles"]]
assert [[float(r[k]) for k in levels] for r in rows] == e["forecast"]["quantiles"], rows
PY
}

explained "$explained" FOODS_3_702_CA_2 own "the average of the day's quantiles"
"$python" - "$work/e.json" <<'PY'
import json, sys
e = json.load(open(sys.argv[1]))
names = [g["name"] for g in e["groups"]]
assert names == ["history", "price", "snap", "event", "calendar", "static"], names
patches = e["attention"]["patches"]
assert [(p["first"], p["last"]) for p in patches] == [
    ("2016-03-14", "2016-03-20"), ("2016-03-21", "2016-03-27"), ("2016-03-27", "2016-03-27")], patches
for layer in range(e["attention"]["layers"]):
    assert abs(sum(p["weights"][layer] for p in patches) - 1) < 1e-5, layer
PY

# A new product (in the future file alone) is explained from its analogues, as it is forecast.
explained "$explained" FOODS_1_033_TX_1 analogues "the average of the day's quantiles"
"$cli" explain --model "$explained" --data "$m5_history" --future "$m5_future" --series FOODS_1_033_TX_1 \
  >"$work/table" 2>"$work/table_err" || fail "explain a new product: $(cat "$work/table_err")"
grep -qF "History: a new product's analogues, not its own (series 'FOODS_1_033_TX_1' is a new product (no history): forecast from the mean daily sales of 1 series sharing 2 of its 4 attributes" \
  "$work/table" || fail "explain of a new product: $(head -4 "$work/table")"

# A negbin model: its whole-unit quantiles and its distribution's mean.
negbin="$work/negbin.invfm"
"$cli" train --data "$m5_history" --set context_length=14 --set patch_length=7 --set stride=7 \
  --set d_model=16 --set heads=2 --set ffn_dim=32 --set layers=1 --set horizon=7 --head negbin \
  --set holdout_days=0 --set min_history=14 --epochs 1 --steps-per-epoch 10 --batch-size 8 \
  --threads 2 --seed 5 --progress never --out "$negbin" >/dev/null 2>"$work/train_err" ||
  fail "train negbin: $(cat "$work/train_err")"
explained "$negbin" FOODS_3_702_CA_2 own "the negative binomial distribution's mean mu"
"$cli" explain --model "$negbin" --data "$m5_history" --future "$m5_future" --series FOODS_3_702_CA_2 \
  >"$work/table" 2>"$work/table_err" || fail "explain negbin: $(cat "$work/table_err")"
grep -q "^Mean explained: the negative binomial distribution's mean mu" "$work/table" ||
  fail "explain negbin: $(head -4 "$work/table")"

expect_error "series 'NOPE' is not in the dataset" explain --model "$explained" --data "$m5_history" \
  --future "$m5_future" --series NOPE
expect_error "covers 0 of the 7 days" explain --model "$explained" --data "$m5_history" \
  --series FOODS_1_033_CA_1
expect_error "the series to explain|--series is required" explain --model "$explained" --data "$m5_history"
expect_error "option 'epochs' does not apply to invforecast explain" explain --model "$explained" \
  --data "$m5_history" --future "$m5_future" --series FOODS_1_033_CA_1 --set epochs=2
expect_error "expected inspect, forecast, explain," explian
echo "OK"
