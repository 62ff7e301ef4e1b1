#!/usr/bin/env python3
"""Writes a synthetic long CSV (series_id,date,value,price) whose demand has a known constant
price elasticity: the covariate model's sanity check (docs/covariates.md), and later the what-if
test's data.

    python3 scripts/synthetic_elasticity.py OUT.csv.gz [--series 60] [--days 500]
        [--elasticity -2] [--seed 5]

Per series: a base rate uniform in [3, 30], a reference price uniform in [1, 20]; every 14 days
the price is set to the reference times one of 0.6, 0.8, 1.0, 1.0, 1.2, 1.4; daily demand is
Poisson(base * (price / reference) ** elasticity * (1 + 0.3 sin(2 pi t / 7))).  The price is
known in advance (a known-future covariate).  Standard library only; any Python 3.
"""
import argparse
import datetime
import gzip
import math
import random


def poisson(rate, rng):
    if rate >= 30:  # normal approximation, rounded and floored at 0
        return max(0, round(rng.gauss(rate, math.sqrt(rate))))
    limit, k, product = math.exp(-rate), 0, 1.0
    while True:
        product *= rng.random()
        if product < limit:
            return k
        k += 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out")
    parser.add_argument("--series", type=int, default=60)
    parser.add_argument("--days", type=int, default=500)
    parser.add_argument("--elasticity", type=float, default=-2.0)
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    start = datetime.date(2022, 1, 1)
    with gzip.open(args.out, "wt") as f:
        f.write("series_id,date,value,price\n")
        for s in range(args.series):
            base, reference = rng.uniform(3, 30), rng.uniform(1, 20)
            price = reference
            for t in range(args.days):
                if t % 14 == 0:
                    price = reference * rng.choice([0.6, 0.8, 1.0, 1.0, 1.2, 1.4])
                rate = base * (price / reference) ** args.elasticity * (1 + 0.3 * math.sin(2 * math.pi * t / 7))
                day = start + datetime.timedelta(days=t)
                f.write(f"s{s},{day},{poisson(rate, rng)},{price:.4f}\n")


if __name__ == "__main__":
    main()
