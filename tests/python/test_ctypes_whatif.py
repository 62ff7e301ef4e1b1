"""What-if scenarios through the C ABI from Python with ctypes, as a binding
would do it: a history and a future file with a price, a small covariate
model trained on them, a scenario built by calls, the two sides read back as
forecasts and from the JSON, and the errors a binding must surface.

Usage: test_ctypes_whatif.py BUILD_DIR.  Exits non-zero on the first failed
check (plain asserts; only the standard library is used).
"""
import ctypes
import datetime
import json
import math
import os
import sys
import tempfile

from invf_ctypes import INVALID_ARGUMENT, InvfError, Library, c_size, handle, status_p

c_double_p = ctypes.POINTER(ctypes.c_double)
signatures = {
    "invf_dataset_load_csv": (status_p, [ctypes.c_char_p, handle, ctypes.POINTER(handle)]),
    "invf_dataset_read_future_csv": (status_p, [handle, ctypes.c_char_p, handle]),
    "invf_dataset_release": (None, [handle]),
    "invf_train": (status_p, [handle, handle, handle, ctypes.c_void_p, ctypes.c_void_p,
                              ctypes.POINTER(handle)]),
    "invf_model_release": (None, [handle]),
    "invf_scenario_create": (status_p, [ctypes.POINTER(handle)]),
    "invf_scenario_add_edit": (status_p, [handle, ctypes.c_char_p]),
    "invf_scenario_set_series": (status_p, [handle, ctypes.POINTER(ctypes.c_char_p), c_size]),
    "invf_scenario_set_dates": (status_p, [handle, ctypes.c_char_p, ctypes.c_char_p]),
    "invf_scenario_release": (None, [handle]),
    "invf_whatif_run": (status_p, [handle, handle, handle, c_size, handle, handle,
                                   ctypes.POINTER(handle)]),
    "invf_whatif_forecast": (status_p, [handle, ctypes.c_int32, ctypes.POINTER(handle)]),
    "invf_whatif_edited_days": (status_p, [handle, c_size, ctypes.POINTER(ctypes.c_uint8), c_size]),
    "invf_whatif_revenue": (status_p, [handle, ctypes.c_int32, c_size, c_double_p, c_size]),
    "invf_whatif_to_json": (status_p, [handle, ctypes.c_char_p, c_size, ctypes.POINTER(c_size)]),
    "invf_whatif_release": (None, [handle]),
    "invf_forecast_mean": (status_p, [handle, c_size, c_double_p, c_size]),
    "invf_forecast_release": (None, [handle]),
}
api = Library(sys.argv[1], signatures)
lib, check, options = api.lib, api.check, api.options
BASE, SCENARIO = 0, 1  # invf_whatif_side

# 6 series of 120 days whose sales fall with the price, and 7 future days of price.
folder = tempfile.mkdtemp(prefix="invf_ctypes_whatif_")
history, future = os.path.join(folder, "history.csv"), os.path.join(folder, "future.csv")
start = datetime.date(2024, 1, 1)
with open(history, "w") as h, open(future, "w") as f:
    h.write("series_id,date,value,price\n")
    f.write("series_id,date,price\n")
    for s in range(6):
        for t in range(127):
            price = (2 + s) * (1 + 0.2 * ((t // 10 + s) % 3 - 1))
            day = (start + datetime.timedelta(t)).isoformat()
            if t < 120:
                sales = round(5 * (s + 1) * (1 + 0.4 * math.sin(2 * math.pi * t / 7))
                              * ((2 + s) / price) ** 2)
                h.write(f"sku{s},{day},{sales},{price}\n")
            else:
                f.write(f"sku{s},{day},{price}\n")

dataset = handle()
check(lib.invf_dataset_load_csv(history.encode(), None, ctypes.byref(dataset)))
check(lib.invf_dataset_read_future_csv(dataset, future.encode(), None))
opts = options(context_length=28, patch_length=7, stride=7, d_model=16, heads=2, ffn_dim=32,
               layers=1, horizon=7, quantiles="0.1,0.5,0.9", epochs=2, steps_per_epoch=20,
               batch_size=16, threads=1, seed=3, covariates="price")
model = handle()
check(lib.invf_train(dataset, None, opts, None, None, ctypes.byref(model)))

scenario = handle()
check(lib.invf_scenario_create(ctypes.byref(scenario)))
check(lib.invf_scenario_add_edit(scenario, b"price*=0.5"))
check(lib.invf_scenario_set_series(scenario, (ctypes.c_char_p * 2)(b"sku4", b"sku1"), 2))
check(lib.invf_scenario_set_dates(scenario, b"2024-05-01", None))  # days 2..7 of the horizon
whatif = handle()
check(lib.invf_whatif_run(model, dataset, scenario, 0, None, None, ctypes.byref(whatif)))

needed = c_size()
check(lib.invf_whatif_to_json(whatif, None, 0, ctypes.byref(needed)))
text = ctypes.create_string_buffer(needed.value)
check(lib.invf_whatif_to_json(whatif, text, needed.value, ctypes.byref(needed)))
report = json.loads(text.value.decode())
assert [s["series_id"] for s in report["series"]] == ["sku1", "sku4"], report["series"]
assert report["horizon"] == 7 and report["levels"] == [0.1, 0.5, 0.9], report

for side, name in ((BASE, "base"), (SCENARIO, "scenario")):
    forecast = handle()
    check(lib.invf_whatif_forecast(whatif, side, ctypes.byref(forecast)))
    for s, entry in enumerate(report["series"]):
        mean = (ctypes.c_double * 7)()
        check(lib.invf_forecast_mean(forecast, s, mean, 7))
        revenue = (ctypes.c_double * 7)()
        check(lib.invf_whatif_revenue(whatif, side, s, revenue, 7))
        flags = (ctypes.c_uint8 * 7)()
        check(lib.invf_whatif_edited_days(whatif, s, flags, 7))
        assert list(flags) == [0, 1, 1, 1, 1, 1, 1], list(flags)
        for d, day in enumerate(entry["days"]):
            assert day[name]["mean"] == mean[d] and day[name]["revenue"] == revenue[d], day
            assert day["edited"] == bool(flags[d]), day
            assert day[name]["price"] * day[name]["mean"] == revenue[d], day
        assert abs(entry[name]["units"] - sum(mean)) < 1e-9, entry[name]
    lib.invf_forecast_release(forecast)
for entry in report["series"]:  # only the edited days move
    assert entry["days"][0]["base"] == entry["days"][0]["scenario"], entry["days"][0]
    for day in entry["days"][1:]:
        assert day["scenario"]["price"] == 0.5 * day["base"]["price"], day
        assert day["scenario"]["mean"] != day["base"]["mean"], day

# Errors a binding must surface, out-params untouched.
untouched = handle(12345)
for edit, fragment in ((b"cost*=2", "'cost' is not a column of the data"),
                       (b"price=cheap", "'price' is a real column and 'cheap' is not a finite number")):
    bad = handle()
    check(lib.invf_scenario_create(ctypes.byref(bad)))
    check(lib.invf_scenario_add_edit(bad, edit))
    try:
        check(lib.invf_whatif_run(model, dataset, bad, 0, None, None, ctypes.byref(untouched)))
        raise AssertionError(f"invf_whatif_run accepted {edit}")
    except InvfError as error:
        assert error.code == INVALID_ARGUMENT and fragment in error.message, error
    assert untouched.value == 12345
    lib.invf_scenario_release(bad)

lib.invf_whatif_release(whatif)
lib.invf_scenario_release(scenario)
lib.invf_model_release(model)
lib.invf_options_release(opts)
lib.invf_dataset_release(dataset)
for path in (history, future):
    os.remove(path)
os.rmdir(folder)
print(f"ctypes what-if: {len(report['series'])} series x {report['horizon']} days, OK")
