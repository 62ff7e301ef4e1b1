#!/usr/bin/python3
"""Writes data/m5_demo_inventory.csv, the stock position the demo replenishes.

The M5 data has sales but no stock records, so the demo's state is made up,
deterministically: each SKU holds four days of its mean sales over the last
28 days (rounded down), has a 3-day lead time with a 1-day standard
deviation, is reviewed weekly, and is ordered in units (no MOQ, pack 1).
Standard library only; run with Debian's /usr/bin/python3 from the repo root.
"""
import csv
import gzip
from collections import defaultdict

SALES = "data/m5_tiny_long.csv.gz"
OUT = "data/m5_demo_inventory.csv"

history = defaultdict(list)
with gzip.open(SALES, "rt", newline="") as f:
    for row in csv.DictReader(f):
        history[row["series_id"]].append((row["date"], float(row["value"])))

with open(OUT, "w", newline="") as f:
    out = csv.writer(f, lineterminator="\n")
    out.writerow(["sku", "on_hand", "lead_time_mean", "lead_time_sd", "review_period", "moq", "pack_size"])
    for sku in sorted(history):
        last28 = [v for _, v in sorted(history[sku])[-28:]]
        on_hand = int(4 * sum(last28) / len(last28))
        out.writerow([sku, on_hand, 3, 1, 7, 0, 1])
