#!/usr/bin/python3
"""Regenerates tests/fixtures/parity/: small encoder models with random (seeded) weights in the
invforecast model format, random sales-like inputs, and the forecasts PyTorch computes for them.
tests/test_encoder.cpp runs the C++ encoder on the same inputs and compares.

    /usr/bin/python3 tests/make_parity_fixture.py      (Debian's python3-torch 1.13)

The PyTorch model below is written from the architecture documented in lib/model/model_config.hpp
(not from the C++ code): RevIN or mean-absolute scaling, end-replicated patching, linear patch
embedding plus a learned positional embedding, pre-norm layers (LayerNorm, fused-qkv multi-head
attention, residual, LayerNorm, FFN with exact-erf GELU, residual), final LayerNorm, a linear head
to horizon x quantiles, median + cumulative softplus quantiles, denormalised and clipped at zero.

Per model NAME it writes NAME.invfm, NAME_input.f32 ([series, context] little-endian float32) and
NAME_output.f32 ([series, horizon, quantiles] float32, PyTorch's float32 forward).  It prints how
far that float32 forward is from the same model run in float64, as a yardstick for the C++ errors.
"""
import importlib.util
import math
import os
import sys

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
OUT_DIR = os.path.join(HERE, "fixtures", "parity")
FORMAT_SCRIPT = os.path.join(HERE, "..", "scripts", "invf_model_format.py")

spec = importlib.util.spec_from_file_location("invf_model_format", FORMAT_SCRIPT)
invf_model_format = importlib.util.module_from_spec(spec)
spec.loader.exec_module(invf_model_format)

# Two configurations covering both normalisations and both padding modes.
CONFIGS = {
    "revin": dict(context_length=64, patch_length=16, stride=8, padding="replicate_end", d_model=32,
                  heads=4, ffn_dim=64, layers=2, horizon=7,
                  quantiles=[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9],
                  normalization="revin", affine=True, seed=20261128),
    "meanabs": dict(context_length=48, patch_length=8, stride=8, padding="none", d_model=16,
                    heads=2, ffn_dim=32, layers=2, horizon=5,
                    quantiles=[0.05, 0.25, 0.5, 0.75, 0.95],
                    normalization="meanabs", affine=False, seed=20261129),
}
NORM_EPS = 1e-5
LAYER_NORM_EPS = 1e-5
SERIES = 16


def num_tokens(c):
    padded = c["context_length"] + (c["stride"] if c["padding"] == "replicate_end" else 0)
    return (padded - c["patch_length"]) // c["stride"] + 1


def median_index(levels):
    # The level closest to 0.5, the first of two equally close (ModelConfig::median_quantile_index).
    best = 0
    for i, q in enumerate(levels):
        if abs(q - 0.5) < abs(levels[best] - 0.5):
            best = i
    return best


def random_weights(c, gen):
    """The parameters in expected_tensors() order: [(name, tensor)], float32."""
    D, P, N, Fd = c["d_model"], c["patch_length"], num_tokens(c), c["ffn_dim"]
    outputs = c["horizon"] * len(c["quantiles"])

    def linear(out_features, in_features):
        bound = 1.0 / math.sqrt(in_features)  # nn.Linear's default init range
        w = (torch.rand(out_features, in_features, generator=gen) * 2 - 1) * bound
        b = (torch.rand(out_features, generator=gen) * 2 - 1) * bound
        return w, b

    def norm_pair(n):
        return 1.0 + 0.2 * torch.randn(n, generator=gen), 0.1 * torch.randn(n, generator=gen)

    tensors = []
    if c["normalization"] == "revin" and c["affine"]:
        # Positive weight, as the encoder requires; away from 1 so the affine step is exercised.
        tensors += [("revin.weight", 0.8 + 0.4 * torch.rand(1, generator=gen)),
                    ("revin.bias", 0.2 * torch.randn(1, generator=gen))]
    w, b = linear(D, P)
    tensors += [("patch_embed.weight", w), ("patch_embed.bias", b),
                ("pos_embed", 0.1 * torch.randn(N, D, generator=gen))]
    for i in range(c["layers"]):
        p = f"layers.{i}."
        ln1 = norm_pair(D)
        qkv = linear(3 * D, D)
        out = linear(D, D)
        ln2 = norm_pair(D)
        ffn1 = linear(Fd, D)
        ffn2 = linear(D, Fd)
        tensors += [(p + "ln1.weight", ln1[0]), (p + "ln1.bias", ln1[1]),
                    (p + "attn.qkv.weight", qkv[0]), (p + "attn.qkv.bias", qkv[1]),
                    (p + "attn.out.weight", out[0]), (p + "attn.out.bias", out[1]),
                    (p + "ln2.weight", ln2[0]), (p + "ln2.bias", ln2[1]),
                    (p + "ffn1.weight", ffn1[0]), (p + "ffn1.bias", ffn1[1]),
                    (p + "ffn2.weight", ffn2[0]), (p + "ffn2.bias", ffn2[1])]
    final = norm_pair(D)
    head = linear(outputs, N * D)
    tensors += [("final_ln.weight", final[0]), ("final_ln.bias", final[1]),
                ("head.weight", head[0]), ("head.bias", head[1])]
    return [(name, t.to(torch.float32).contiguous()) for name, t in tensors]


def forward(c, weights, x):
    """The encoder forward pass; x [B, context] -> quantiles [B, horizon, Q]; dtype of x."""
    w = {name: t.to(x.dtype) for name, t in weights}
    B, L = x.shape
    D, heads, N = c["d_model"], c["heads"], num_tokens(c)
    dh = D // heads
    Q = len(c["quantiles"])

    # Per-series normalisation (statistics are constants of the series).
    if c["normalization"] == "revin":
        mean = x.mean(dim=1, keepdim=True)
        std = torch.sqrt(x.var(dim=1, unbiased=False, keepdim=True) + NORM_EPS)
        z = (x - mean) / std
        if c["affine"]:
            z = z * w["revin.weight"] + w["revin.bias"]
    else:
        scale = x.abs().mean(dim=1, keepdim=True).clamp(min=NORM_EPS)
        z = x / scale

    # Patching: end padding repeats the last value `stride` times.
    if c["padding"] == "replicate_end":
        z = torch.cat([z, z[:, -1:].expand(B, c["stride"])], dim=1)
    patches = z.unfold(1, c["patch_length"], c["stride"])  # [B, N, P]
    assert patches.shape[1] == N

    h = F.linear(patches, w["patch_embed.weight"], w["patch_embed.bias"]) + w["pos_embed"]
    for i in range(c["layers"]):
        p = f"layers.{i}."
        a = F.layer_norm(h, (D,), w[p + "ln1.weight"], w[p + "ln1.bias"], LAYER_NORM_EPS)
        qkv = F.linear(a, w[p + "attn.qkv.weight"], w[p + "attn.qkv.bias"])  # [B, N, 3D]
        q, k, v = qkv.split(D, dim=-1)
        q, k, v = (t.reshape(B, N, heads, dh).transpose(1, 2) for t in (q, k, v))  # [B, h, N, dh]
        scores = q @ k.transpose(-1, -2) / math.sqrt(dh)
        attended = (scores.softmax(dim=-1) @ v).transpose(1, 2).reshape(B, N, D)
        h = h + F.linear(attended, w[p + "attn.out.weight"], w[p + "attn.out.bias"])
        a = F.layer_norm(h, (D,), w[p + "ln2.weight"], w[p + "ln2.bias"], LAYER_NORM_EPS)
        ff = F.gelu(F.linear(a, w[p + "ffn1.weight"], w[p + "ffn1.bias"]))  # exact erf GELU
        h = h + F.linear(ff, w[p + "ffn2.weight"], w[p + "ffn2.bias"])
    h = F.layer_norm(h, (D,), w["final_ln.weight"], w["final_ln.bias"], LAYER_NORM_EPS)

    raw = F.linear(h.reshape(B, N * D), w["head.weight"], w["head.bias"])
    raw = raw.reshape(B, c["horizon"], Q)

    # Non-crossing: the median plus cumulative softplus increments each way.
    m = median_index(c["quantiles"])
    median = raw[..., m:m + 1]
    upper = median + torch.cumsum(F.softplus(raw[..., m + 1:]), dim=-1)
    lower = median - torch.cumsum(F.softplus(raw[..., :m]).flip(-1), dim=-1).flip(-1)
    quant = torch.cat([lower, median, upper], dim=-1)

    # Undo the normalisation, then clip: sales are non-negative.
    flat = quant.reshape(B, -1)
    if c["normalization"] == "revin":
        if c["affine"]:
            flat = (flat - w["revin.bias"]) / w["revin.weight"]
        flat = flat * std + mean
    else:
        flat = flat * scale
    return flat.clamp(min=0.0).reshape(B, c["horizon"], Q)


def sales_inputs(c, gen):
    """Positive, sales-like series with weekly seasonality; several intermittent ones (mostly
    zeros), one all zeros (a dead item) and one constant; never a series of only tiny values."""
    L = c["context_length"]
    t = torch.arange(L, dtype=torch.float64)
    rows = []
    for s in range(SERIES):
        level = math.exp(float(torch.randn(1, generator=gen)) + 1.0)
        season = 1.0 + 0.4 * torch.sin(2 * math.pi * (t + s) / 7.0)
        trend = 1.0 + 0.01 * (s % 3 - 1) * t
        rate = (level * season * trend).clamp(min=0.05)
        values = torch.poisson(rate.to(torch.float32), generator=gen).to(torch.float64)
        if s % 4 == 1:  # intermittent: most days without a sale
            values = values * (torch.rand(L, generator=gen) < 0.3)
        if s == SERIES - 2:
            values = torch.zeros(L, dtype=torch.float64)
        if s == SERIES - 1:
            values = torch.full((L,), 3.0, dtype=torch.float64)
        rows.append(values)
    return torch.stack(rows).to(torch.float32)


def metadata(name, c):
    return {
        "config": {
            "architecture": "patchtst_encoder",
            "context_length": c["context_length"],
            "patch_length": c["patch_length"],
            "stride": c["stride"],
            "padding": c["padding"],
            "d_model": c["d_model"],
            "heads": c["heads"],
            "ffn_dim": c["ffn_dim"],
            "activation": "gelu",
            "layers": c["layers"],
            "horizon": c["horizon"],
            "quantiles": c["quantiles"],
            "quantile_head": "median_softplus",
            "layer_norm_eps": LAYER_NORM_EPS,
            "normalization": {"kind": c["normalization"], "affine": c["affine"], "eps": NORM_EPS},
        },
        "features": [{"name": "target", "kind": "real", "role": "target"}],
        "provenance": {"generator": "tests/make_parity_fixture.py", "model": name,
                       "seed": str(c["seed"]), "torch": torch.__version__},
    }


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    torch.set_num_threads(1)
    for name, c in CONFIGS.items():
        gen = torch.Generator().manual_seed(c["seed"])
        weights = random_weights(c, gen)
        x = sales_inputs(c, gen)
        with torch.no_grad():
            y32 = forward(c, weights, x)
            y64 = forward(c, weights, x.to(torch.float64))
        # A yardstick for the C++ errors: PyTorch float32 against the same model in float64,
        # max |difference| per series over max(max |float64 output| of the series, 1e-3).
        diff = (y32.double() - y64).abs().reshape(SERIES, -1).max(dim=1).values
        ref = y64.abs().reshape(SERIES, -1).max(dim=1).values.clamp(min=1e-3)
        model = invf_model_format.write_model(
            metadata(name, c),
            [(n, list(t.shape), t.numpy().astype("<f4")) for n, t in weights])
        with open(os.path.join(OUT_DIR, f"{name}.invfm"), "wb") as f:
            f.write(model)
        with open(os.path.join(OUT_DIR, f"{name}_input.f32"), "wb") as f:
            f.write(x.numpy().astype("<f4").tobytes())
        with open(os.path.join(OUT_DIR, f"{name}_output.f32"), "wb") as f:
            f.write(y32.numpy().astype("<f4").tobytes())
        print(f"{name}: {len(model)} bytes, tokens {num_tokens(c)}, output range "
              f"[{float(y32.min()):.4g}, {float(y32.max()):.4g}], torch float32 vs float64 "
              f"max relative error {float((diff / ref).max()):.3g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
