#!/usr/bin/env bash
# The price elasticities a covariate model learned on the bundled M5 data
# (issue 11): `invforecast whatif --edit 'price*=0.9'` over the 28 days of
# the M5 future file against the base forecast, per series
# log(scenario units / base units) / log(0.9), then per department and per
# store, each the units-weighted mean of its series (weights: base units) and
# the elasticity of the group's summed units.
#   [FUTURE=FILE] bash scripts/whatif_elasticities.sh MODEL [EXTRA WHATIF FLAGS...]
# FUTURE (the M5 future file) defaults to data/m5_tiny_future.csv.gz, else
# ../shared/data/m5_tiny/m5_tiny_future.csv.gz.
# Run after scripts/build.sh; python3 on PATH (standard library only).
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:?usage: [FUTURE=FILE] whatif_elasticities.sh MODEL [WHATIF FLAGS...]}
shift
future=${FUTURE:-data/m5_tiny_future.csv.gz}
[ -n "${FUTURE:-}" ] || [ -e "$future" ] || future=../shared/data/m5_tiny/m5_tiny_future.csv.gz
data=data/m5_tiny_long.csv.gz
cli=${INVF_CLI:-build/bin/invforecast}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$cli" whatif --data "$data" --future "$future" --model "$model" --edit 'price*=0.9' --json \
  --progress never "$@" >"$work/whatif.json"
python3 - "$work/whatif.json" "$future" <<'PY'
import csv, gzip, json, math, sys
report = json.load(open(sys.argv[1]))
groups = {}  # series -> (dept, store), from the future file's static columns
with gzip.open(sys.argv[2], "rt") as f:
    for row in csv.DictReader(f):
        groups.setdefault(row["series_id"], (row["dept"], row["store"]))
log_ratio = math.log(0.9)
rows = []
for s in report["series"]:
    base, scenario = s["base"]["units"], s["scenario"]["units"]
    if base > 0 and scenario > 0:
        rows.append((s["series_id"], base, scenario, math.log(scenario / base) / log_ratio))
print(f"price*=0.9 over {report['horizon']} days, {len(rows)} series; elasticity = "
      "log(units ratio) / log(0.9)")
for label, key in (("department", 0), ("store", 1)):
    print(f"\n{label:<12} {'series':>6} {'base units':>11} {'weighted':>9} {'pooled':>8} {'min':>7} {'max':>7}")
    by = {}
    for row in rows:
        by.setdefault(groups[row[0]][key], []).append(row)
    for name in sorted(by) + ["all"]:
        members = rows if name == "all" else by[name]
        base = sum(r[1] for r in members)
        weighted = sum(r[1] * r[3] for r in members) / base
        pooled = math.log(sum(r[2] for r in members) / base) / log_ratio
        print(f"{name:<12} {len(members):>6} {base:>11.1f} {weighted:>9.3f} {pooled:>8.3f} "
              f"{min(r[3] for r in members):>7.3f} {max(r[3] for r in members):>7.3f}")
print("\nweighted: mean of the series' elasticities weighted by base units; pooled: of the summed units")
PY
