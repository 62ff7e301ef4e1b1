#!/usr/bin/env bash
# ETS: invforecast vs R's forecast::ets vs statsforecast AutoETS, one thread
# each, in the same run, on the same histories, h = 28.
#
#   benchmarks/ets_vs_r.sh [BUILD_DIR]        (default: build)
#   WINDOW=730 benchmarks/ets_vs_r.sh         last 730 training days per series
#
# Every series of the bundled data is cut at its first sale; its last 28 days
# are held out and the days before them (the last $WINDOW of them; default:
# all) are the training history all three engines fit on.  Times cover fit
# and forecast of all series only: not reading data, not R/Python start-up,
# not statsforecast's numba JIT warm-up (one fit on one series first).
# Accuracy on the held-out 28 days: MASE (scale: mean |y_t - y_{t-7}| of the
# training history) and RMSSE (scale: mean squared one-step difference),
# averaged over series with a non-zero scale.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source_dir="$(dirname "$here")"
build_dir="${1:-$source_dir/build}"
window="${WINDOW:-0}"
horizon=28
python="$(command -v python3)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

"$python" - "$source_dir/data/m5_tiny_long.csv.gz" "$work" "$horizon" "$window" <<'PY'
import sys
import pandas as pd
data_path, work, horizon, window = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
df = pd.read_csv(data_path, usecols=["series_id", "date", "value"]).sort_values(["series_id", "date"])
train, test = [], []
for sid, g in df.groupby("series_id", sort=True):
    sold = g["value"].to_numpy() > 0
    g = g.iloc[sold.argmax():] if sold.any() else g
    head, tail = g.iloc[:-horizon], g.iloc[-horizon:]
    if window > 0:
        head = head.iloc[-window:]
    train.append(head)
    test.append(tail)
pd.concat(train).to_csv(f"{work}/train.csv", index=False)
pd.concat(test).to_csv(f"{work}/test.csv", index=False)
PY

echo "== invforecast (C API, benchmarks/ets_bench.cpp)"
invf_line="$("$build_dir/bin/ets_bench" "$work/train.csv" "$horizon" "$work/invf.csv")"
echo "$invf_line"

echo "== R forecast::ets"
r_line="$(Rscript - "$work/train.csv" "$horizon" "$work/r.csv" <<'RS'
args <- commandArgs(trailingOnly = TRUE)
suppressMessages(library(forecast))
train <- read.csv(args[1], stringsAsFactors = FALSE)
horizon <- as.integer(args[2])
ids <- sort(unique(train$series_id))
series <- split(train, train$series_id)
out <- vector("list", length(ids))
start <- proc.time()[["elapsed"]]
for (i in seq_along(ids)) {
  s <- series[[ids[i]]]
  fit <- ets(ts(s$value, frequency = 7))
  out[[i]] <- data.frame(series_id = ids[i],
                         date = format(as.Date(s$date[nrow(s)]) + seq_len(horizon)),
                         mean = as.numeric(forecast(fit, h = horizon, PI = FALSE)$mean))
}
seconds <- proc.time()[["elapsed"]] - start
write.csv(do.call(rbind, out), args[3], row.names = FALSE)
cat(sprintf("R forecast::ets %s: %d series, horizon %d, 1 thread: %.3f s\n",
            packageVersion("forecast"), length(ids), horizon, seconds))
RS
)"
echo "$r_line"

echo "== statsforecast AutoETS"
sf_line="$("$python" "$here/ets_statsforecast.py" "$work/train.csv" "$horizon" "$work/sf.csv" 2>/dev/null)"
echo "$sf_line"

seconds() { sed -E 's/.*: ([0-9.]+) s$/\1/' <<<"$1"; }
"$python" - "$work" "$(seconds "$invf_line")" "$(seconds "$r_line")" "$(seconds "$sf_line")" <<'PY'
import sys
import numpy as np
import pandas as pd
work = sys.argv[1]
t_invf, t_r, t_sf = map(float, sys.argv[2:5])
train = pd.read_csv(f"{work}/train.csv")
test = pd.read_csv(f"{work}/test.csv")
scales = {}
for sid, g in train.groupby("series_id"):
    y = g["value"].to_numpy(float)
    scales[sid] = (np.mean(np.abs(y[7:] - y[:-7])) if len(y) > 7 else np.nan,
                   np.mean(np.diff(y) ** 2) if len(y) > 1 else np.nan)

def accuracy(path):
    fc = pd.read_csv(path, usecols=["series_id", "date", "mean"])
    merged = test.merge(fc, on=["series_id", "date"], how="left")
    assert merged["mean"].notna().all(), f"{path}: missing forecasts"
    mase, rmsse = [], []
    for sid, g in merged.groupby("series_id"):
        err = g["value"].to_numpy(float) - g["mean"].to_numpy(float)
        mase_scale, rmsse_scale = scales[sid]
        if mase_scale > 0: mase.append(np.mean(np.abs(err)) / mase_scale)
        if rmsse_scale > 0: rmsse.append(np.sqrt(np.mean(err ** 2) / rmsse_scale))
    return np.mean(mase), np.mean(rmsse)

print()
print(f"{'engine':<26}{'seconds':>10}{'MASE':>10}{'RMSSE':>10}")
for name, seconds, path in [("invforecast ets", t_invf, "invf.csv"), ("R forecast::ets", t_r, "r.csv"),
                            ("statsforecast AutoETS", t_sf, "sf.csv")]:
    mase, rmsse = accuracy(f"{work}/{path}")
    print(f"{name:<26}{seconds:>10.3f}{mase:>10.4f}{rmsse:>10.4f}")
print()
print(f"RESULT ets_speedup_vs_r={t_r / t_invf:.2f} ets_speedup_vs_statsforecast={t_sf / t_invf:.2f}")
PY
