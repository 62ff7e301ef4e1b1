"""statsforecast AutoETS on the benchmark's training CSV, one process, n_jobs=1.

usage: ets_statsforecast.py TRAIN.csv HORIZON OUT.csv
Prints the fit+forecast time of all series.  numba compiles AutoETS on its
first call; that JIT warm-up (one fit on the first series) is excluded from
the time, as is reading the CSV.
"""
import sys
import time

import pandas as pd
from statsforecast import StatsForecast
from statsforecast.models import AutoETS

train_path, horizon, out_path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
df = pd.read_csv(train_path, usecols=["series_id", "date", "value"])
df = df.rename(columns={"series_id": "unique_id", "date": "ds", "value": "y"})
df["ds"] = pd.to_datetime(df["ds"])
df = df.sort_values(["unique_id", "ds"]).reset_index(drop=True)

first = df[df["unique_id"] == df["unique_id"].iloc[0]]
AutoETS(season_length=7).fit(first["y"].to_numpy()).predict(h=horizon)  # JIT warm-up

sf = StatsForecast(models=[AutoETS(season_length=7)], freq="D", n_jobs=1)
start = time.perf_counter()
forecast = sf.forecast(df=df, h=horizon)
seconds = time.perf_counter() - start
forecast = forecast.reset_index() if "unique_id" not in forecast.columns else forecast
forecast = forecast.rename(columns={"unique_id": "series_id", "ds": "date", "AutoETS": "mean"})
forecast["date"] = pd.to_datetime(forecast["date"]).dt.strftime("%Y-%m-%d")
forecast[["series_id", "date", "mean"]].to_csv(out_path, index=False)
print(f"statsforecast AutoETS: {forecast['series_id'].nunique()} series, horizon {horizon}, "
      f"n_jobs=1: {seconds:.3f} s")
