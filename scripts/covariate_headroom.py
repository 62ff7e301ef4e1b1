#!/usr/bin/env python3
"""How much WRMSSE known-future covariates could gain on a test window, at most.

    python3 scripts/covariate_headroom.py DATA FORECAST [--group state,category] [--flag snap]

DATA is the long CSV (.gz ok) the forecast was made from plus the test days after its cut;
FORECAST is `invforecast forecast --out` for those test days (series_id,date,mean,...), made from
DATA without them (scripts/covariate_ablation.sh leaves the models and the split in its work
directory).  Interpreter: python3 on PATH, standard library only.

The score is M5's WRMSSE of the forecast's mean (weights: each series' revenue over its last 28
days before the test, sales x price; scale: the mean squared one-day change of its history from
its first sale), computed here as `invforecast backtest` does, so the first line matches
backtest's figure for the same model.  Each further line rescales the forecast and scores it again:

  flag ratio      on days with FLAG = 1, multiply by the ratio of the mean sales on flagged days to
                  the mean on the others, per GROUP, measured on the last 365 days before the test
                  (and renormalised to keep each series' window total): what the flag's average
                  effect, the part a model can learn, is worth;
  day shape       per GROUP and test day, multiply by the group's actual over forecast sales of the
                  day, divided by the same ratio over the window (each series' window level kept):
                  an oracle that knows every effect the group's series share on each day (the
                  flag, events, the calendar, weather, anything), so a bound on what any covariate
                  common to a group's days can gain, and a loose one (it also fits the group's
                  noise);
  series level    multiply each series by its actual over forecast window total: the gain from
                  knowing each series' level, which day-by-day covariates do not give.
"""
import argparse
import collections
import csv
import gzip
import math


def read_rows(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", newline="") as f:
        yield from csv.DictReader(f)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("data")
    ap.add_argument("forecast")
    ap.add_argument("--group", default="state,category", help="static columns the oracles group by")
    ap.add_argument("--flag", default="snap", help="known-future 0/1 column for the flag-ratio line")
    args = ap.parse_args()
    group_cols = args.group.split(",")

    forecast = collections.defaultdict(dict)
    for r in read_rows(args.forecast):
        forecast[r["series_id"]][r["date"]] = float(r["mean"])
    first_test = min(min(days) for days in forecast.values())

    history = collections.defaultdict(list)  # (value, price, flag) per day before the test
    actual = collections.defaultdict(dict)
    flag, group = {}, {}
    for r in read_rows(args.data):
        s, d = r["series_id"], r["date"]
        if s not in forecast:
            continue
        group[s] = tuple(r[c] for c in group_cols)
        v = float(r["value"])
        if d < first_test:
            history[s].append((v, float(r["price"]) if r.get("price") else 0.0, r.get(args.flag) == "1"))
        elif d in forecast[s]:
            actual[s][d] = v
            flag[(s, d)] = r.get(args.flag) == "1"
    missing = [s for s in forecast if len(actual[s]) != len(forecast[s])]
    if missing:
        raise SystemExit(f"covariate_headroom: the data lack test days of {len(missing)} series, e.g. {missing[0]}")

    weight, scale = {}, {}
    for s, h in history.items():
        values = [v for v, _, _ in h]
        start = next((i for i, v in enumerate(values) if v > 0), len(values))
        changes = [(values[i] - values[i - 1]) ** 2 for i in range(start + 1, len(values))]
        scale[s] = sum(changes) / len(changes) if changes else float("nan")
        weight[s] = sum(v * p for v, p, _ in h[-28:])
    total_weight = sum(weight.values())

    def wrmsse(points):
        score = 0.0
        for s, days in actual.items():
            if not scale[s] > 0:
                continue
            mse = sum((points[s][d] - days[d]) ** 2 for d in days) / len(days)
            score += weight[s] / total_weight * math.sqrt(mse / scale[s])
        return score

    def keep_total(s, points):
        k = sum(forecast[s].values()) / max(sum(points.values()), 1e-12)
        return {d: p * k for d, p in points.items()}

    base = wrmsse(forecast)
    print(f"WRMSSE of the forecast's mean: {base:.4f} ({len(actual)} series, {len(next(iter(actual.values())))} days from {first_test})")

    def line(name, points):
        score = wrmsse(points)
        print(f"  {name:<48} {score:.4f}  {100 * (1 - score / base):+.2f}%")

    sums = collections.defaultdict(lambda: [0.0, 0, 0.0, 0])
    for s, h in history.items():
        for v, _, f in h[-365:]:
            acc = sums[group[s]]
            if f:
                acc[0] += v
                acc[1] += 1
            else:
                acc[2] += v
                acc[3] += 1
    ratio = {g: (a[0] / a[1]) / (a[2] / a[3]) if a[1] and a[3] and a[2] > 0 else 1.0 for g, a in sums.items()}
    line(f"{args.flag} ratio (learnable: last year's {args.flag} effect)",
         {s: keep_total(s, {d: p * (ratio[group[s]] if flag[(s, d)] else 1.0) for d, p in days.items()})
          for s, days in forecast.items()})

    day = collections.defaultdict(lambda: [0.0, 0.0])
    window = collections.defaultdict(lambda: [0.0, 0.0])
    for s, days in forecast.items():
        for d, p in days.items():
            for acc in (day[group[s] + (d,)], window[group[s]]):
                acc[0] += actual[s][d]
                acc[1] += p
    def shape(s, d):
        a, f = day[group[s] + (d,)]
        wa, wf = window[group[s]]
        return (a / f) / (wa / wf) if f > 0 and wa > 0 and wf > 0 else 1.0
    line(f"day shape per {args.group} (oracle bound)",
         {s: {d: p * shape(s, d) for d, p in days.items()} for s, days in forecast.items()})
    line("series level (oracle)",
         {s: {d: p * sum(actual[s].values()) / max(sum(days.values()), 1e-12) for d, p in days.items()}
          for s, days in forecast.items()})


if __name__ == "__main__":
    main()
