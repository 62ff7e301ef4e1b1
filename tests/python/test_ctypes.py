"""Drives libinvforecast through ctypes, exactly as a Python binding would.

Usage: test_ctypes.py BUILD_DIR SOURCE_DIR.  Exits non-zero on the first
failed check (plain asserts; only the standard library is used).
"""
import ctypes
import json
import math
import os
import sys
import threading

from invf_ctypes import (BUFFER_TOO_SMALL, CANCELLED, DATA, INVALID_ARGUMENT, IO, NULL_POINTER,
                         PARSE, Library, c_size, handle, status_p)

build_dir, source_dir = sys.argv[1], sys.argv[2]
c_double_p = ctypes.POINTER(ctypes.c_double)

PROGRESS = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_char_p, c_size, c_size)

signatures = {
    "invf_version": (None, [ctypes.POINTER(ctypes.c_char_p), ctypes.POINTER(ctypes.c_int)]),
    "invf_options_set_progress": (status_p, [handle, PROGRESS, ctypes.c_void_p]),
    "invf_dataset_create": (status_p, [handle, ctypes.POINTER(handle)]),
    "invf_dataset_load_csv": (status_p, [ctypes.c_char_p, handle, ctypes.POINTER(handle)]),
    "invf_dataset_add_series": (
        status_p, [handle, ctypes.c_char_p, ctypes.POINTER(ctypes.c_char_p), c_double_p, c_size]),
    "invf_dataset_add_columns": (
        status_p, [handle, c_size, ctypes.POINTER(ctypes.c_char_p),
                   ctypes.POINTER(ctypes.c_int64), ctypes.POINTER(ctypes.c_int64), c_double_p,
                   c_size, c_size, ctypes.POINTER(ctypes.c_char_p), ctypes.POINTER(c_double_p),
                   c_size, ctypes.c_void_p, ctypes.c_void_p]),
    "invf_dataset_read_future_csv": (status_p, [handle, ctypes.c_char_p, handle]),
    "invf_dataset_series_future_days": (status_p, [handle, c_size, ctypes.POINTER(c_size)]),
    "invf_option_domains": (status_p, [ctypes.c_char_p, ctypes.POINTER(ctypes.c_uint32)]),
    "invf_dataset_series_count": (status_p, [handle, ctypes.POINTER(c_size)]),
    "invf_dataset_series_id": (status_p, [handle, c_size, ctypes.POINTER(ctypes.c_char_p)]),
    "invf_dataset_series_values": (status_p, [handle, c_size, c_double_p, c_size]),
    "invf_dataset_release": (None, [handle]),
    "invf_forecaster_create": (status_p, [ctypes.c_char_p, handle, ctypes.POINTER(handle)]),
    "invf_forecaster_forecast": (status_p, [handle, handle, c_size, ctypes.POINTER(handle)]),
    "invf_forecaster_release": (None, [handle]),
    "invf_forecast_series_count": (status_p, [handle, ctypes.POINTER(c_size)]),
    "invf_forecast_quantile_count": (status_p, [handle, ctypes.POINTER(c_size)]),
    "invf_forecast_start_date": (status_p, [handle, c_size, ctypes.c_char_p]),
    "invf_forecast_mean": (status_p, [handle, c_size, c_double_p, c_size]),
    "invf_forecast_quantiles": (status_p, [handle, c_size, c_double_p, c_size]),
    "invf_forecast_release": (None, [handle]),
    "invf_backtest_run": (status_p, [handle, ctypes.POINTER(ctypes.c_char_p), c_size, c_size,
                                     c_size, handle, ctypes.POINTER(handle)]),
    "invf_backtest_to_json": (status_p, [handle, ctypes.c_char_p, c_size, ctypes.POINTER(c_size)]),
    "invf_backtest_release": (None, [handle]),
}
api = Library(build_dir, signatures)
lib, check, expect_error = api.lib, api.check, api.expect_error

# --- version ------------------------------------------------------------------
version, abi = ctypes.c_char_p(), ctypes.c_int(-1)
lib.invf_version(ctypes.byref(version), ctypes.byref(abi))
assert version.value == b"0.3.0" and abi.value == 0, (version.value, abi.value)
lib.invf_version(None, None)
assert lib.invf_status_code(None) == 0 and lib.invf_status_message(None) == b""

# --- a dataset from arrays ----------------------------------------------------
def c_strings(strings):
    return (ctypes.c_char_p * len(strings))(*[s.encode() for s in strings])


def c_doubles(values):
    return (ctypes.c_double * len(values))(*values)


dataset = handle()
check(lib.invf_dataset_create(None, ctypes.byref(dataset)))
weeks = 4
dates = [f"2024-01-{d:02d}" for d in range(1, 7 * weeks + 1)]
pattern = [float(d % 7 + 1) for d in range(7 * weeks)]  # 1..7 every week
check(lib.invf_dataset_add_series(dataset, b"weekly", c_strings(dates), c_doubles(pattern),
                                  len(dates)))
flat = [2.0] * 10
check(lib.invf_dataset_add_series(dataset, b"flat", c_strings(dates[:10]), c_doubles(flat), 10))

count = c_size()
check(lib.invf_dataset_series_count(dataset, ctypes.byref(count)))
assert count.value == 2
series_id = ctypes.c_char_p()
check(lib.invf_dataset_series_id(dataset, 0, ctypes.byref(series_id)))
assert series_id.value == b"flat"  # sorted by id
values = (ctypes.c_double * 28)()
check(lib.invf_dataset_series_values(dataset, 1, values, 28))
assert list(values) == pattern

# Bad input: the status carries code and message, the dataset is unchanged.
nan_values = c_doubles([1.0, math.nan])
expect_error(DATA, "values[1]", lib.invf_dataset_add_series, dataset, b"bad",
             c_strings(dates[:2]), nan_values, 2)
expect_error(PARSE, "2024-13-01", lib.invf_dataset_add_series, dataset, b"bad",
             c_strings(["2024-13-01"]), c_doubles([1.0]), 1)
expect_error(NULL_POINTER, "dates", lib.invf_dataset_add_series, dataset, b"bad", None, None, 5)
expect_error(NULL_POINTER, "series_id", lib.invf_dataset_add_series, dataset, None,
             c_strings(dates[:1]), c_doubles([1.0]), 1)
expect_error(NULL_POINTER, "out", lib.invf_dataset_series_count, dataset, None)
expect_error(NULL_POINTER, "dataset", lib.invf_dataset_series_count, None, ctypes.byref(count))
expect_error(BUFFER_TOO_SMALL, "28", lib.invf_dataset_series_values, dataset, 1, values, 27)
expect_error(INVALID_ARGUMENT, "index 2", lib.invf_dataset_series_id, dataset, 2,
             ctypes.byref(series_id))
check(lib.invf_dataset_series_count(dataset, ctypes.byref(count)))
assert count.value == 2

# --- forecast -------------------------------------------------------------------
options = handle()
check(lib.invf_options_create(ctypes.byref(options)))
check(lib.invf_options_set(options, b"quantiles", b"0.1,0.5,0.9"))
expect_error(INVALID_ARGUMENT, "colour", lib.invf_options_set, options, b"colour", b"red")
progress_calls = []
threads_seen = set()


@PROGRESS
def on_progress(user_data, stage, done, total):
    progress_calls.append((stage.decode(), done, total))
    threads_seen.add(threading.get_ident())
    return 0


check(lib.invf_options_set_progress(options, on_progress, None))
forecaster = handle()
check(lib.invf_forecaster_create(b"snaive", options, ctypes.byref(forecaster)))
expect_error(INVALID_ARGUMENT, "prophet", lib.invf_forecaster_create, b"prophet", None,
             ctypes.byref(handle()))
forecast = handle()
expect_error(INVALID_ARGUMENT, "horizon", lib.invf_forecaster_forecast, forecaster, dataset, 0,
             ctypes.byref(forecast))
assert not forecast.value  # untouched on error
check(lib.invf_forecaster_forecast(forecaster, dataset, 14, ctypes.byref(forecast)))
assert progress_calls[-1] == ("forecast", 2, 2), progress_calls
assert threads_seen == {threading.get_ident()}

check(lib.invf_forecast_series_count(forecast, ctypes.byref(count)))
assert count.value == 2
levels = c_size()
check(lib.invf_forecast_quantile_count(forecast, ctypes.byref(levels)))
assert levels.value == 3
start = ctypes.create_string_buffer(11)
check(lib.invf_forecast_start_date(forecast, 1, start))
assert start.value == b"2024-01-29", start.value
mean = (ctypes.c_double * 14)()
check(lib.invf_forecast_mean(forecast, 1, mean, 14))
assert list(mean) == pattern[:14], list(mean)  # the weekly series continues its pattern
quantiles = (ctypes.c_double * 42)()
expect_error(BUFFER_TOO_SMALL, "42", lib.invf_forecast_quantiles, forecast, 1, quantiles, 41)
check(lib.invf_forecast_quantiles(forecast, 1, quantiles, 42))
for day in range(14):
    q = quantiles[day * 3: day * 3 + 3]
    assert 0 <= q[0] <= q[1] <= q[2], q

# --- one forecaster, several Python threads (ctypes drops the GIL in calls) ----
plain = handle()
check(lib.invf_forecaster_create(b"snaive", None, ctypes.byref(plain)))
thread_means, thread_errors = {}, []


def forecast_in_thread(index):
    try:
        result = handle()
        check(lib.invf_forecaster_forecast(plain, dataset, 14, ctypes.byref(result)))
        buffer = (ctypes.c_double * 14)()
        check(lib.invf_forecast_mean(result, 1, buffer, 14))
        thread_means[index] = list(buffer)
        lib.invf_forecast_release(result)
    except Exception as error:  # reported below, on the main thread
        thread_errors.append(error)


workers = [threading.Thread(target=forecast_in_thread, args=(i,)) for i in range(4)]
for worker in workers:
    worker.start()
for worker in workers:
    worker.join()
assert not thread_errors, thread_errors
assert all(thread_means[i] == pattern[:14] for i in range(4)), thread_means
lib.invf_forecaster_release(plain)

# --- cancelling through the callback ------------------------------------------
@PROGRESS
def cancel(user_data, stage, done, total):
    return 1 if done >= 1 else 0


check(lib.invf_options_set(options, b"threads", b"1"))
check(lib.invf_options_set_progress(options, cancel, None))
cancelling = handle()
check(lib.invf_forecaster_create(b"naive", options, ctypes.byref(cancelling)))
expect_error(CANCELLED, "cancel", lib.invf_forecaster_forecast, cancelling, dataset, 7,
             ctypes.byref(handle()))

# --- backtest and the JSON size protocol --------------------------------------
methods = c_strings(["naive", "snaive"])
backtest = handle()
check(lib.invf_backtest_run(dataset, methods, 2, 7, 2, None, ctypes.byref(backtest)))
needed = c_size()
check(lib.invf_backtest_to_json(backtest, None, 0, ctypes.byref(needed)))
small = ctypes.create_string_buffer(needed.value - 1)
expect_error(BUFFER_TOO_SMALL, str(needed.value), lib.invf_backtest_to_json, backtest, small,
             needed.value - 1, None)
text = ctypes.create_string_buffer(needed.value)
check(lib.invf_backtest_to_json(backtest, text, needed.value, None))
report = json.loads(text.value.decode())
assert [m["method"] for m in report["methods"]] == ["naive", "snaive"]

# --- columnar add, as a binding hands over a data frame's columns --------------
columnar = handle()
check(lib.invf_dataset_create(None, ctypes.byref(columnar)))
ids = c_strings(["p", "q"])
starts = (ctypes.c_int64 * 2)(19723, 19724)  # 2024-01-01 and -02 as days since 1970-01-01
lengths = (ctypes.c_int64 * 2)(2, 3)
cells = (ctypes.c_double * 5)(1, 2, 3, 4, 5)
price = (ctypes.c_double * 5)(1.5, math.nan, 2, 2, 2)
prices = (c_double_p * 1)(price)
check(lib.invf_dataset_add_columns(columnar, 2, ids, starts, lengths, cells, 5, 1,
                                   c_strings(["price"]), prices, 0, None, None))
check(lib.invf_dataset_series_count(columnar, ctypes.byref(count)))
assert count.value == 2
q_values = (ctypes.c_double * 3)()
check(lib.invf_dataset_series_values(columnar, 1, q_values, 3))
assert list(q_values) == [3, 4, 5]
expect_error(INVALID_ARGUMENT, "more than the 4 values given", lib.invf_dataset_add_columns,
             columnar, 2, ids, starts, lengths, cells, 4, 0, None, None, 0, None, None)
lib.invf_dataset_release(columnar)
domains = ctypes.c_uint32()
check(lib.invf_option_domains(b"seed", ctypes.byref(domains)))
assert domains.value == 4 | 8, domains.value  # INVF_DOMAIN_TRAIN | INVF_DOMAIN_INVENTORY

# --- loading a file -----------------------------------------------------------
loaded = handle()
expect_error(IO, "/nonexistent/sales.csv", lib.invf_dataset_load_csv, b"/nonexistent/sales.csv",
             None, ctypes.byref(loaded))
fixture = os.path.join(source_dir, "tests", "fixtures", "capi_small.csv").encode()
check(lib.invf_dataset_load_csv(fixture, None, ctypes.byref(loaded)))
check(lib.invf_dataset_series_count(loaded, ctypes.byref(count)))
assert count.value == 3

# --- a future file: known-future covariates after the history, a new product -----
future_dir = os.path.join(source_dir, "tests", "fixtures", "future")
m5 = handle()
check(lib.invf_dataset_load_csv(os.path.join(future_dir, "m5_history.csv").encode(), None,
                                ctypes.byref(m5)))
check(lib.invf_dataset_read_future_csv(m5, os.path.join(future_dir, "m5_future.csv").encode(),
                                       None))
check(lib.invf_dataset_series_count(m5, ctypes.byref(count)))
assert count.value == 4, count.value  # FOODS_1_033_TX_1 is new
days = c_size()
check(lib.invf_dataset_series_future_days(m5, 1, ctypes.byref(days)))
assert days.value == 7, days.value
m5_forecast = handle()
expect_error(DATA, "needs them to 2016-04-04", lib.invf_forecaster_forecast, forecaster, m5, 8,
             ctypes.byref(m5_forecast))
check(lib.invf_forecaster_forecast(forecaster, m5, 7, ctypes.byref(m5_forecast)))
new_mean = (ctypes.c_double * 7)()
check(lib.invf_forecast_mean(m5_forecast, 1, new_mean, 7))  # series 1: FOODS_1_033_TX_1
# Cold start: it reads the sales of series 0, FOODS_1_033_CA_1, the one sharing its department.
analogue_mean = (ctypes.c_double * 7)()
check(lib.invf_forecast_mean(m5_forecast, 0, analogue_mean, 7))
assert list(new_mean) == list(analogue_mean) and sum(new_mean) > 0, list(new_mean)
lib.invf_forecast_release(m5_forecast)
lib.invf_dataset_release(m5)

# --- release: NULL-safe ---------------------------------------------------------
for release, obj in [(lib.invf_backtest_release, backtest), (lib.invf_forecast_release, forecast),
                     (lib.invf_forecaster_release, forecaster),
                     (lib.invf_forecaster_release, cancelling),
                     (lib.invf_options_release, options), (lib.invf_dataset_release, dataset),
                     (lib.invf_dataset_release, loaded)]:
    release(obj)
    release(None)
lib.invf_status_release(None)
print("OK: ctypes drove version, datasets, future files, forecasts, backtests and errors")
