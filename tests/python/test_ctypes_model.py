"""The model functions of the C ABI from Python through ctypes: loading the
PyTorch parity fixtures from a path and from a buffer, their configuration,
forecasts compared with PyTorch's outputs, and the errors for bad input.

Usage: test_ctypes_model.py BUILD_DIR SOURCE_DIR.  Exits non-zero on the
first failed check (plain asserts; only the standard library is used).
"""
import array
import ctypes
import os
import sys

from invf_ctypes import (BUFFER_TOO_SMALL, CORRUPT_MODEL, DATA, INVALID_ARGUMENT, IO,
                         NULL_POINTER, UNSUPPORTED, Library, c_size, handle, status_p)

build_dir, source_dir = sys.argv[1], sys.argv[2]
fixtures = os.path.join(source_dir, "tests", "fixtures", "parity")
float_p = ctypes.POINTER(ctypes.c_float)

signatures = {
    "invf_model_load": (status_p, [ctypes.c_char_p, handle, ctypes.POINTER(handle)]),
    "invf_model_load_buffer": (status_p, [ctypes.c_void_p, c_size, handle, ctypes.POINTER(handle)]),
    "invf_model_release": (None, [handle]),
    "invf_model_config_int": (status_p, [handle, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int64)]),
    "invf_model_quantile_levels": (status_p, [handle, ctypes.POINTER(ctypes.c_double), c_size]),
    "invf_model_forecast": (status_p, [handle, float_p, c_size, c_size, float_p, c_size]),
}
api = Library(build_dir, signatures)
lib, check, expect_error, options = api.lib, api.check, api.expect_error, api.options


def load_path(path, **settings):
    opts, model = options(**settings), handle()
    try:
        check(lib.invf_model_load(path.encode(), opts, ctypes.byref(model)))
    finally:
        lib.invf_options_release(opts)
    return model


def load_bytes(data, **settings):
    opts, model = options(**settings), handle()
    buffer = ctypes.create_string_buffer(bytes(data), len(data))
    try:
        check(lib.invf_model_load_buffer(buffer, len(data), opts, ctypes.byref(model)))
    finally:
        lib.invf_options_release(opts)
    del buffer  # the library copied the bytes: the model must not need them
    return model


def config(model, key):
    value = ctypes.c_int64()
    check(lib.invf_model_config_int(model, key.encode(), ctypes.byref(value)))
    return value.value


def read_floats(path):
    values = array.array("f")
    with open(path, "rb") as f:
        values.frombytes(f.read())
    if sys.byteorder != "little":
        values.byteswap()
    return values


def as_c_floats(values):
    return (ctypes.c_float * len(values))(*values)


def forecast(model, context, batch, context_length, capacity=None):
    per_series = config(model, "horizon") * config(model, "quantile_count")
    out = (ctypes.c_float * (batch * per_series))(*([-1.0] * (batch * per_series)))
    check(lib.invf_model_forecast(model, context, batch, context_length, out,
                                  len(out) if capacity is None else capacity))
    return list(out)


def max_series_error(got, want, per_series):
    """Per series: max |got - want| / max(max |want|, 1e-3), worst over series (as test_encoder.cpp)."""
    worst = 0.0
    for first in range(0, len(want), per_series):
        pairs = list(zip(got[first:first + per_series], want[first:first + per_series]))
        for g, w in pairs:
            assert g == g and abs(g) != float("inf"), "non-finite forecast"
        diff = max(abs(g - w) for g, w in pairs)
        scale = max([1e-3] + [abs(w) for _, w in pairs])
        worst = max(worst, diff / scale)
    return worst


EXPECTED_CONFIG = {
    "revin": {"context_length": 64, "patch_length": 16, "stride": 8, "tokens": 8, "d_model": 32,
              "heads": 4, "ffn_dim": 64, "layers": 2, "horizon": 7, "quantile_count": 9,
              "format_version": 1},
    "meanabs": {"context_length": 48, "patch_length": 8, "stride": 8, "tokens": 6, "d_model": 16,
                "heads": 2, "ffn_dim": 32, "layers": 2, "horizon": 5, "quantile_count": 5,
                "format_version": 1},
}
EXPECTED_LEVELS = {
    "revin": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9],
    "meanabs": [0.05, 0.25, 0.5, 0.75, 0.95],
}


def test_fixture(name):
    path = os.path.join(fixtures, name + ".invfm")
    with open(path, "rb") as f:
        file_bytes = f.read()
    inputs = read_floats(os.path.join(fixtures, name + "_input.f32"))
    want = read_floats(os.path.join(fixtures, name + "_output.f32"))

    from_path, from_buffer = load_path(path), load_bytes(file_bytes)
    reference = load_path(path, backend="reference")
    two_threads = load_path(path, threads=2)
    try:
        for model in (from_path, from_buffer):
            for key, value in EXPECTED_CONFIG[name].items():
                assert config(model, key) == value, (name, key, config(model, key), value)
            levels = (ctypes.c_double * 9)()
            check(lib.invf_model_quantile_levels(model, levels, 9))
            count = config(model, "quantile_count")
            assert [round(x, 12) for x in levels[:count]] == EXPECTED_LEVELS[name], list(levels)

        length = config(from_path, "context_length")
        per_series = config(from_path, "horizon") * config(from_path, "quantile_count")
        batch = len(inputs) // length
        assert batch == 16 and len(want) == batch * per_series
        context = as_c_floats(inputs)

        fast = forecast(from_path, context, batch, length)
        assert forecast(from_buffer, context, batch, length) == fast, "path and buffer differ"
        assert forecast(two_threads, context, batch, length) == fast, "2 threads differ from 1"
        fast_error = max_series_error(fast, want, per_series)
        reference_error = max_series_error(forecast(reference, context, batch, length), want,
                                           per_series)
        print(f"{name}: max per-series relative error vs PyTorch: cpu {fast_error:.3g}, "
              f"reference {reference_error:.3g}")
        assert fast_error <= 1e-4 and reference_error <= 1e-5

        # Non-negative, non-decreasing quantiles; a series alone gives the same bits.
        count = config(from_path, "quantile_count")
        for row in range(0, len(fast), count):
            quantiles = fast[row:row + count]
            assert quantiles[0] >= 0.0 and quantiles == sorted(quantiles), quantiles
        third = as_c_floats(inputs[2 * length:3 * length])
        assert forecast(from_path, third, 1, length) == fast[2 * per_series:3 * per_series]

        # Bad forecast arguments; `out` must stay untouched on error.
        out = (ctypes.c_float * (batch * per_series))(*([-1.0] * (batch * per_series)))
        expect_error(INVALID_ARGUMENT, f"does not match the model's context of {length} days",
                     lib.invf_model_forecast, from_path, context, batch, length - 1, out, len(out))
        expect_error(BUFFER_TOO_SMALL, "", lib.invf_model_forecast, from_path, context, batch,
                     length, out, len(out) - 1)
        expect_error(NULL_POINTER, "context", lib.invf_model_forecast, from_path, None, batch,
                     length, out, len(out))
        expect_error(NULL_POINTER, "model", lib.invf_model_forecast, None, context, batch, length,
                     out, len(out))
        for bad, word in ((float("nan"), "finite"), (float("inf"), "finite"), (-1.0, ">= 0")):
            poisoned = list(inputs)
            poisoned[3 * length + 5] = bad
            expect_error(DATA, "series 3", lib.invf_model_forecast, from_path,
                         as_c_floats(poisoned), batch, length, out, len(out))
            expect_error(DATA, word, lib.invf_model_forecast, from_path, as_c_floats(poisoned),
                         batch, length, out, len(out))
        assert all(value == -1.0 for value in out), "out was written by a refused call"
        # batch 0 does nothing, even with null pointers.
        check(lib.invf_model_forecast(from_path, None, 0, length, None, 0))

        expect_error(INVALID_ARGUMENT, "unknown model configuration key 'width'",
                     lib.invf_model_config_int, from_path, b"width",
                     ctypes.byref(ctypes.c_int64()))
        expect_error(BUFFER_TOO_SMALL, "", lib.invf_model_quantile_levels, from_path,
                     (ctypes.c_double * 1)(), 1)
    finally:
        for model in (from_path, from_buffer, reference, two_threads):
            lib.invf_model_release(model)
    return file_bytes


def test_bad_files(file_bytes):
    model = handle()
    expect_error(IO, "", lib.invf_model_load,
                 os.path.join(build_dir, "no_such_model.invfm").encode(), None, ctypes.byref(model))
    expect_error(NULL_POINTER, "path", lib.invf_model_load, None, None, ctypes.byref(model))
    expect_error(NULL_POINTER, "data", lib.invf_model_load_buffer, None, 10, None,
                 ctypes.byref(model))
    for cut in (0, 7, 64, len(file_bytes) // 2, len(file_bytes) - 1):
        truncated = ctypes.create_string_buffer(file_bytes[:cut], max(cut, 1))
        expect_error(CORRUPT_MODEL, "", lib.invf_model_load_buffer, truncated, cut, None,
                     ctypes.byref(model))
    flipped = bytearray(file_bytes)
    flipped[len(flipped) // 2] ^= 0x40  # inside the tensor data: only the checksum can tell
    buffer = ctypes.create_string_buffer(bytes(flipped), len(flipped))
    expect_error(CORRUPT_MODEL, "", lib.invf_model_load_buffer, buffer, len(flipped), None,
                 ctypes.byref(model))
    not_a_model = b"this is a CSV file, not a model\n" * 8
    expect_error(CORRUPT_MODEL, "", lib.invf_model_load_buffer,
                 ctypes.create_string_buffer(not_a_model), len(not_a_model), None,
                 ctypes.byref(model))
    opts = handle()
    check(lib.invf_options_create(ctypes.byref(opts)))
    expect_error(UNSUPPORTED, "unknown backend", lib.invf_options_set, opts, b"backend", b"gpu")
    lib.invf_options_release(opts)


if __name__ == "__main__":
    revin_bytes = test_fixture("revin")
    test_fixture("meanabs")
    test_bad_files(revin_bytes)
    print("test_ctypes_model: all checks passed")
