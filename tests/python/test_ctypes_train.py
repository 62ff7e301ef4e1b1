"""Training through the C ABI from Python with ctypes, as a binding would do
it: a dataset built from arrays, invf_train with a progress callback written
in Python (which also cancels), the trained model saved to bytes, loaded
back and forecast, its provenance, and the errors a binding must surface.

Usage: test_ctypes_train.py BUILD_DIR.  Exits non-zero on the first failed
check (plain asserts; only the standard library is used).
"""
import ctypes
import datetime
import math
import sys

from invf_ctypes import (CANCELLED, INVALID_ARGUMENT, NULL_POINTER, InvfError, Library, c_size,
                         handle, status_p)


class TrainProgress(ctypes.Structure):
    _fields_ = [("epoch", c_size), ("epochs", c_size), ("step", c_size),
                ("total_steps", c_size), ("train_loss", ctypes.c_double),
                ("val_loss", ctypes.c_double), ("samples_per_second", ctypes.c_double),
                ("eta_seconds", ctypes.c_double), ("epoch_end", ctypes.c_int)]


TRAIN_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.POINTER(TrainProgress))

signatures = {
    "invf_dataset_create": (status_p, [handle, ctypes.POINTER(handle)]),
    "invf_dataset_add_series": (status_p, [handle, ctypes.c_char_p,
                                           ctypes.POINTER(ctypes.c_char_p),
                                           ctypes.POINTER(ctypes.c_double), c_size]),
    "invf_dataset_release": (None, [handle]),
    "invf_train": (status_p, [handle, handle, handle, TRAIN_FN, ctypes.c_void_p,
                              ctypes.POINTER(handle)]),
    "invf_model_save_buffer": (status_p, [handle, ctypes.c_void_p, c_size,
                                          ctypes.POINTER(c_size)]),
    "invf_model_load_buffer": (status_p, [ctypes.c_void_p, c_size, handle,
                                          ctypes.POINTER(handle)]),
    "invf_model_provenance": (status_p, [handle, ctypes.c_char_p,
                                         ctypes.POINTER(ctypes.c_char_p)]),
    "invf_model_forecast": (status_p, [handle, ctypes.POINTER(ctypes.c_float), c_size, c_size,
                                       ctypes.POINTER(ctypes.c_float), c_size]),
    "invf_model_release": (None, [handle]),
}
api = Library(sys.argv[1], signatures)
lib, check, options = api.lib, api.check, api.options


SMALL = dict(context_length=28, patch_length=7, stride=7, d_model=16, heads=2, ffn_dim=32,
             layers=1, horizon=7, quantiles="0.1,0.5,0.9", epochs=2, steps_per_epoch=10,
             batch_size=16, threads=1, seed=3,
             covariates="none")  # the target alone: forecast below from raw arrays

# 10 weekly series of 120 days.
dataset = handle()
check(lib.invf_dataset_create(None, ctypes.byref(dataset)))
start = datetime.date(2024, 1, 1)
days = 120
dates = (ctypes.c_char_p * days)(*[(start + datetime.timedelta(d)).isoformat().encode()
                                   for d in range(days)])
for s in range(10):
    values = [max(0.0, round((s + 2) * (1 + 0.5 * math.sin(2 * math.pi * (t + s) / 7))))
              for t in range(days)]
    check(lib.invf_dataset_add_series(dataset, f"sku{s}".encode(), dates,
                                      (ctypes.c_double * days)(*values), days))

reports = []


@TRAIN_FN
def on_progress(user_data, progress):
    p = progress.contents
    reports.append((p.epoch, p.step, p.total_steps, p.train_loss, p.val_loss, p.epoch_end))
    return 0


opts = options(**SMALL)
model = handle()
check(lib.invf_train(dataset, None, opts, on_progress, None, ctypes.byref(model)))
assert reports, "no progress report"
assert all(r[2] == 20 for r in reports), reports
epoch_ends = [r for r in reports if r[5]]
assert [r[0] for r in epoch_ends] == [1, 2], epoch_ends
assert all(math.isfinite(r[4]) for r in epoch_ends), epoch_ends

value = ctypes.c_char_p()
check(lib.invf_model_provenance(model, b"steps", ctypes.byref(value)))
assert value.value == b"20", value.value

# Save to bytes, load back: the same forecasts.
needed = c_size()
check(lib.invf_model_save_buffer(model, None, 0, ctypes.byref(needed)))
data = ctypes.create_string_buffer(needed.value)
check(lib.invf_model_save_buffer(model, data, needed.value, ctypes.byref(needed)))
loaded = handle()
check(lib.invf_model_load_buffer(data, needed.value, None, ctypes.byref(loaded)))
context = (ctypes.c_float * 28)(*[float(t % 7) for t in range(28)])
outputs = []
for m in (model, loaded):
    out = (ctypes.c_float * 21)()
    check(lib.invf_model_forecast(m, context, 1, 28, out, 21))
    outputs.append(list(out))
assert outputs[0] == outputs[1], outputs
assert all(v >= 0 and math.isfinite(v) for v in outputs[0]), outputs[0]
for d in range(7):
    low, mid, high = outputs[0][3 * d: 3 * d + 3]
    assert low <= mid <= high, outputs[0]

# A callback that cancels: INVF_ERR_CANCELLED, no model.


@TRAIN_FN
def cancel(user_data, progress):
    return 1


refused = handle()
try:
    check(lib.invf_train(dataset, None, opts, cancel, None, ctypes.byref(refused)))
    raise AssertionError("a cancelling callback did not stop training")
except InvfError as error:
    assert error.code == CANCELLED, error
assert not refused.value

# Errors a binding must surface, with their messages.
for args, code, fragment in [
        ((None, None, opts, TRAIN_FN(0), None, ctypes.byref(refused)), NULL_POINTER, "dataset"),
        ((dataset, model, opts, TRAIN_FN(0), None, ctypes.byref(refused)), INVALID_ARGUMENT,
         "keeps its configuration")]:
    try:
        check(lib.invf_train(*args))
        raise AssertionError(f"invf_train succeeded, expected {code}")
    except InvfError as error:
        assert error.code == code and fragment in error.message, error

for h in (model, loaded):
    lib.invf_model_release(h)
lib.invf_options_release(opts)
lib.invf_dataset_release(dataset)
print(f"ctypes training: {len(reports)} progress reports, model of {needed.value} bytes, OK")
