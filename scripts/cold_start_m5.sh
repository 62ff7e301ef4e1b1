#!/usr/bin/env bash
# Cold start on the bundled M5 data (issue 11): whole SKUs (one item of each
# department, in all 10 stores: 70 series) are held out of training and of the
# history, then forecast as new products from their statics and known-future
# covariates (lib/methods/cold_start.hpp), over the 28 days after the cut.
# Compared with the average of the same department in the same store: each
# held-out series forecast flat at the mean daily sales, over the 28 days
# before the cut, of the other items of its department in its store.
#   bash scripts/cold_start_m5.sh [WORKDIR] [EXTRA TRAIN FLAGS...]
# (default workdir cold-start/).  Trains the default recipe with every
# covariate (scripts/train_default_model.sh) on the rest: minutes on 2 cores.
# Prints MAE, RMSE and bias of the daily mean forecasts and WQL where there
# are quantiles, over the held-out series' 28 days.  Interpreter: python3 on
# PATH (standard library only).
set -euo pipefail
cd "$(dirname "$0")/.."
data=data/m5_tiny_long.csv.gz
cli=${INVF_CLI:-build/bin/invforecast}
work=${1:-cold-start}
shift || true
mkdir -p "$work"

source scripts/holdout.sh
holdout_split "$data"
# The first item (in id order) of each department.
zcat "$data" | awk -F, 'NR > 1 { split($1, p, "_"); item = p[1] "_" p[2] "_" p[3];
  dept = p[1] "_" p[2]; if (!(dept in first) || item < first[dept]) first[dept] = item }
  END { for (d in first) print first[d] }' | sort > "$work/held_out_items.txt"
echo "test period: the 28 days after $cut; held-out items: $(tr '\n' ' ' < "$work/held_out_items.txt")"
echo "load $(cut -d' ' -f1-3 /proc/loadavg)"

held() { awk -F, -v list="$work/held_out_items.txt" 'BEGIN { while ((getline l < list) > 0) h[l] = 1 }
  { split($1, p, "_"); item = p[1] "_" p[2] "_" p[3] } '"$1"; }
# History: the days up to the cut, without the held-out items.
zcat "$data" | held 'NR == 1 || ($2 <= "'"$cut"'" && !(item in h))' | gzip -n > "$work/history.csv.gz"
# Future file: every series' covariates (no sales) over the 28 days after the cut.
zcat "$data" | awk -F, -v OFS=, 'NR == 1 || $2 > "'"$cut"'" { $3 = ""; sub(/,,/, ","); print }' |
  gzip -n > "$work/future.csv.gz"
# Truth: the held-out series' sales over those days.
zcat "$data" | held 'NR > 1 && $2 > "'"$cut"'" && (item in h) { print $1 "," $2 "," $3 }' > "$work/truth.csv"

start=$(date +%s)
COVARIATES=all INVF_CLI="$cli" bash scripts/train_default_model.sh "$work/history.csv.gz" \
  "$work/model.invfm" --progress never "$@" > "$work/train.txt"
echo "training: $(( $(date +%s) - start )) s"
for method in model ets; do
  model_flag=(); [ "$method" = model ] && model_flag=(--model "$work/model.invfm")
  "$cli" forecast --data "$work/history.csv.gz" --future "$work/future.csv.gz" -H 28 \
    --method "$method" "${model_flag[@]}" --out "$work/forecast_$method.csv" 2> "$work/forecast_$method.log"
done
grep -m1 "new product" "$work/forecast_model.log" || true

python3 - "$work" "$cut" <<'PY'
import csv, gzip, math, sys, datetime
from collections import defaultdict
work, cut = sys.argv[1], sys.argv[2]
cut_day = datetime.date.fromisoformat(cut)
truth = {}
for sid, date, value in csv.reader(open(f"{work}/truth.csv")):
    truth[(sid, date)] = float(value)
held = sorted({sid for sid, _ in truth})
# The dept-store average over the 28 days before the cut, from the history.
first_day = (cut_day - datetime.timedelta(days=27)).isoformat()
total = defaultdict(float)
with gzip.open(f"{work}/history.csv.gz", "rt") as f:
    r = csv.DictReader(f)
    for row in r:
        if row["date"] >= first_day:
            total[row["series_id"]] += float(row["value"])
group_mean = defaultdict(list)
for sid, t in total.items():
    *item, store1, store2 = sid.split("_")
    group_mean[(item[0] + "_" + item[1], store1 + "_" + store2)].append(t / 28.0)
def group_of(sid):
    p = sid.split("_")
    return (p[0] + "_" + p[1], p[-2] + "_" + p[-1])
baseline = {sid: sum(group_mean[group_of(sid)]) / len(group_mean[group_of(sid)]) for sid in held}

def read_forecast(path):
    out = {}
    with open(path) as f:
        r = csv.reader(f)
        header = next(r)
        levels = [float(h[1:]) for h in header[3:]]
        for row in r:
            out[(row[0], row[1])] = (float(row[2]), [float(x) for x in row[3:]])
    return levels, out

def scores(mean_of, quantiles_of=None, levels=None):
    errors = [mean_of(k) - y for k, y in truth.items()]
    mae = sum(abs(e) for e in errors) / len(errors)
    rmse = math.sqrt(sum(e * e for e in errors) / len(errors))
    bias = sum(errors) / sum(truth.values())
    wql = None
    if quantiles_of:
        loss = 0.0
        for k, y in truth.items():
            for tau, q in zip(levels, quantiles_of(k)):
                loss += 2 * max(tau * (y - q), (tau - 1) * (y - q))
        wql = loss / len(levels) / sum(truth.values())
    return mae, rmse, bias, wql

rows = [("dept-store average", scores(lambda k: baseline[k[0]]))]
for method in ("model", "ets"):
    levels, fc = read_forecast(f"{work}/forecast_{method}.csv")
    rows.append((f"{method} (cold start)", scores(lambda k: fc[k][0], lambda k: fc[k][1], levels)))
print(f"{len(held)} held-out series x 28 days, {sum(truth.values()):.0f} units sold")
print(f"{'forecast':24s} {'MAE':>7s} {'RMSE':>7s} {'bias':>7s} {'WQL':>7s}")
base_mae = rows[0][1][0]
for name, (mae, rmse, bias, wql) in rows:
    print(f"{name:24s} {mae:7.4f} {rmse:7.4f} {bias:+7.1%} {'-' if wql is None else f'{wql:7.4f}':>7s}"
          f"   MAE vs dept-store average {mae / base_mae - 1:+.1%}")
PY
