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

The "covariates" model adds the covariate path of docs/covariates.md (also written from that note
and lib/model/model_config.hpp): per-feature embedding tables, the context's channels patched
channel-major and projected into each token, the statics projected into every token, and the
horizon decoder added to the head's raw output.  Its inputs are the arrays the C++ feature encoder
writes (layers::CovariateBatch): NAME_covariates_real.f32 holds context_real [series, context, R],
horizon_real [series, horizon, Rk] and static_real [series, Sr] one after the other;
NAME_covariates_codes.i32 (little-endian int32) context_codes [series, context, Kk + Kp],
horizon_codes [series, horizon, Kk] and static_codes [series, Sc].

The "negbin" model is the covariate model with the negative binomial head (model_config.hpp's
HeadKind::NegBin, docs/count_head.md): two raw values per horizon day, linked to the day's mean and
dispersion.  NAME_output.f32 holds (mu, alpha) [series, horizon, 2]; NAME_quantiles.f32 [series,
horizon, quantiles] the distribution's quantiles (the smallest count whose CDF reaches the level,
from torch.distributions.NegativeBinomial's pmf summed in float64); NAME_targets.f32 [series,
horizon] sales to score (counts, and a few fractional ones) and NAME_loss.f64 (float64) each
series' mean negative log-likelihood of them, from NegativeBinomial.log_prob.
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
# A covariate model: every role and kind (the same features as tests/train_test_util.hpp's
# test_features()), embedding width 4, decoder width 16.
COVARIATE_CONFIG = dict(context_length=32, patch_length=8, stride=4, padding="replicate_end",
                        d_model=16, heads=2, ffn_dim=32, layers=2, horizon=6,
                        quantiles=[0.1, 0.5, 0.9], normalization="revin", affine=True,
                        seed=20261203, embedding_dim=4, decoder_dim=16)
# The covariate model with the negative binomial head.
NEGBIN_CONFIG = dict(COVARIATE_CONFIG, head="negbin", seed=20261204)
NEGBIN_MIN_MEAN = 1e-8        # layers/negbin_head.hpp's floors
NEGBIN_MIN_DISPERSION = 1e-3
WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
COVARIATE_FEATURES = [
    {"name": "target", "kind": "real", "role": "target"},
    {"name": "price", "kind": "real", "role": "future_covariate", "source": "column",
     "mean": 3.0, "scale": 0.5, "log_ratio": True},
    {"name": "event", "kind": "categorical", "role": "future_covariate", "source": "column",
     "levels": ["a", "b", "c"]},
    {"name": "shelf", "kind": "real", "role": "past_covariate", "source": "column",
     "mean": 2.0, "scale": 1.0, "log_ratio": False},
    {"name": "flag", "kind": "categorical", "role": "past_covariate", "source": "column",
     "levels": ["no", "yes"]},
    {"name": "size", "kind": "real", "role": "static_covariate", "source": "column",
     "mean": 10.0, "scale": 4.0, "log_ratio": False},
    {"name": "store", "kind": "categorical", "role": "static_covariate", "source": "column",
     "levels": ["s1", "s2"]},
    {"name": "day_of_week", "kind": "categorical", "role": "future_covariate",
     "source": "calendar", "levels": WEEKDAYS},
    {"name": "day_of_month", "kind": "real", "role": "future_covariate", "source": "calendar",
     "mean": 15.7, "scale": 8.8, "log_ratio": False},
]
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


def step_outputs(c):
    """Raw head values per horizon day (ModelConfig::head_step_outputs)."""
    return 2 if c.get("head") == "negbin" else len(c["quantiles"])


def covariate_layout(features, E):
    """CovariateLayout (model_config.hpp): feature indices per group and channel counts."""
    groups = {key: [] for key in ("known_real", "known_cat", "past_real", "past_cat",
                                  "static_real", "static_cat")}
    prefix = {"future_covariate": "known", "past_covariate": "past", "static_covariate": "static"}
    for i, f in enumerate(features):
        if f["role"] == "target":
            continue
        groups[prefix[f["role"]] + ("_real" if f["kind"] == "real" else "_cat")].append(i)
    width = lambda i: 2 if features[i].get("log_ratio") else 1
    rk = sum(width(i) for i in groups["known_real"])
    rp = sum(width(i) for i in groups["past_real"])
    k = rk + E * len(groups["known_cat"])
    c = k + rp + E * len(groups["past_cat"])
    s = len(groups["static_real"]) + E * len(groups["static_cat"])
    return groups, dict(rk=rk, rp=rp, K=k, C=c, S=s)


def covariate_weights(c, features, gen):
    """The covariate tensors in expected_tensors() order, after the encoder's."""
    E, D, P, Fd, Q = c["embedding_dim"], c["d_model"], c["patch_length"], c["decoder_dim"], step_outputs(c)
    groups, n = covariate_layout(features, E)

    def linear(out_features, in_features, bias=True, scale=1.0):
        bound = scale / math.sqrt(in_features)
        w = (torch.rand(out_features, in_features, generator=gen) * 2 - 1) * bound
        b = (torch.rand(out_features, generator=gen) * 2 - 1) * bound if bias else None
        return w, b

    tensors = []
    for i, f in enumerate(features):
        if f["role"] != "target" and f["kind"] == "categorical":
            tensors.append((f"features.{i}.embedding", torch.randn(len(f["levels"]) + 1, E, generator=gen)))
    tensors.append(("covariates.patch.weight", linear(D, n["C"] * P, bias=False)[0]))
    w, b = linear(D, n["S"])
    tensors += [("covariates.static.weight", w), ("covariates.static.bias", b)]
    tensors.append(("decoder.known.weight", linear(Fd, n["K"], bias=False)[0]))
    w, b = linear(Fd, D + n["S"])
    tensors += [("decoder.series.weight", w), ("decoder.series.bias", b)]
    w, b = linear(Q, Fd, scale=3.0)  # an output large enough to matter
    tensors += [("decoder.out.weight", w), ("decoder.out.bias", b)]
    return [(name, t.to(torch.float32).contiguous()) for name, t in tensors]


def covariate_inputs(c, features, gen):
    """Random CovariateBatch arrays: reals uniform in +-1.5, codes uniform over each table."""
    E, L, H = c["embedding_dim"], c["context_length"], c["horizon"]
    groups, n = covariate_layout(features, E)
    reals = lambda *shape: (torch.rand(*shape, generator=gen) * 3 - 1.5)

    def codes(rows_shape, columns):
        out = torch.zeros(*rows_shape, len(columns), dtype=torch.int32)
        for j, i in enumerate(columns):
            out[..., j] = torch.randint(0, len(features[i]["levels"]) + 1, rows_shape, generator=gen,
                                        dtype=torch.int32)
        return out

    return dict(
        context_real=reals(SERIES, L, n["rk"] + n["rp"]),
        horizon_real=reals(SERIES, H, n["rk"]),
        static_real=reals(SERIES, len(groups["static_real"])),
        context_codes=codes((SERIES, L), groups["known_cat"] + groups["past_cat"]),
        horizon_codes=codes((SERIES, H), groups["known_cat"]),
        static_codes=codes((SERIES,), groups["static_cat"]))


def covariate_terms(c, features, w, cov, dtype):
    """The covariates' inputs as the model reads them: the context frame [B, L, C], the horizon
    frame [B, H, K] and the static vector [B, S]."""
    groups, n = covariate_layout(features, c["embedding_dim"])
    table = lambda i: w[f"features.{i}.embedding"]
    embed = lambda codes, columns: [table(i)[codes[..., j].long()] for j, i in enumerate(columns)]
    real = cov["context_real"].to(dtype)
    kk = len(groups["known_cat"])
    context = torch.cat([real[..., :n["rk"]]] + embed(cov["context_codes"][..., :kk], groups["known_cat"])
                        + [real[..., n["rk"]:]] + embed(cov["context_codes"][..., kk:], groups["past_cat"]),
                        dim=-1)
    horizon = torch.cat([cov["horizon_real"].to(dtype)] + embed(cov["horizon_codes"], groups["known_cat"]), dim=-1)
    statics = torch.cat([cov["static_real"].to(dtype)] + embed(cov["static_codes"], groups["static_cat"]), dim=-1)
    return context, horizon, statics


def random_weights(c, gen):
    """The parameters in expected_tensors() order: [(name, tensor)], float32."""
    D, P, N, Fd = c["d_model"], c["patch_length"], num_tokens(c), c["ffn_dim"]
    outputs = c["horizon"] * step_outputs(c)

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


def forward(c, weights, x, features=None, cov=None):
    """The encoder forward pass; x [B, context] -> quantiles [B, horizon, Q] (the negbin head:
    (mu, alpha) [B, horizon, 2]); dtype of x.  With features and cov (covariate_inputs), the
    covariate model."""
    w = {name: t.to(x.dtype) for name, t in weights}
    B, L = x.shape
    D, heads, N = c["d_model"], c["heads"], num_tokens(c)
    dh = D // heads
    Q = step_outputs(c)

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
    if cov is not None:
        context, horizon, statics = covariate_terms(c, features, w, cov, x.dtype)
        if c["padding"] == "replicate_end":
            context = torch.cat([context, context[:, -1:].expand(B, c["stride"], context.shape[2])], dim=1)
        channel_patches = context.unfold(1, c["patch_length"], c["stride"])  # [B, N, C, P]
        h = h + F.linear(channel_patches.reshape(B, N, -1), w["covariates.patch.weight"])
        h = h + F.linear(statics, w["covariates.static.weight"], w["covariates.static.bias"])[:, None, :]
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
    if cov is not None:
        series = F.linear(torch.cat([h.mean(dim=1), statics], dim=-1), w["decoder.series.weight"],
                          w["decoder.series.bias"])
        hidden = F.gelu(F.linear(horizon, w["decoder.known.weight"]) + series[:, None, :])
        raw = raw + F.linear(hidden, w["decoder.out.weight"], w["decoder.out.bias"])

    if c.get("head") == "negbin":
        # t = (r_mu - beta) / gamma + m / s; mu = s softplus(t) + floor; alpha = softplus(r_a) + floor.
        if c["normalization"] == "revin":
            center, spread = mean, std
        else:
            center, spread = torch.zeros_like(scale), scale
        t = raw[..., 0]
        if c["normalization"] == "revin" and c["affine"]:
            t = (t - w["revin.bias"]) / w["revin.weight"]
        t = t + center / spread
        # softplus(x) = x above 20 (PyTorch's default threshold): off by log1p(exp(-20)) = 2e-9
        # at most, and a constant series (m / s ~ 1e3) does not overflow exp.
        mu = spread * F.softplus(t) + NEGBIN_MIN_MEAN
        alpha = F.softplus(raw[..., 1]) + NEGBIN_MIN_DISPERSION
        return torch.stack([mu, alpha], dim=-1)

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


def negbin(dist):
    """torch's NegativeBinomial for (mu, alpha) [..., 2]: total_count r = 1 / alpha, success
    probability mu / (r + mu), so that the mean is mu and the variance mu + alpha mu^2."""
    r = 1.0 / dist[..., 1]
    return torch.distributions.NegativeBinomial(total_count=r, probs=dist[..., 0] / (r + dist[..., 0]),
                                                validate_args=False)


def negbin_quantiles(dist, levels):
    """[..., 2] (float64) -> [..., Q]: the smallest k with P(Y <= k) >= level, by summing the pmf."""
    d = negbin(dist)
    counts = torch.arange(0, 4096, dtype=torch.float64).reshape(-1, *([1] * (dist.dim() - 1)))
    cdf = torch.cumsum(d.log_prob(counts).exp(), dim=0)  # [K, ...]
    assert bool((cdf[-1] >= max(levels)).all()), "extend the pmf sum"
    return torch.stack([(cdf < q).sum(dim=0).to(torch.float64) for q in levels], dim=-1)


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


def metadata(name, c, features=None):
    meta = {
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
    if c.get("head", "quantile") != "quantile":
        meta["config"]["head"] = c["head"]
    if features is not None:
        meta["features"] = features
        meta["config"]["embedding_dim"] = c["embedding_dim"]
        meta["config"]["decoder_dim"] = c["decoder_dim"]
    return meta


def write_negbin_extras(name, c, dist, gen):
    """NAME_quantiles.f32, NAME_targets.f32 and NAME_loss.f64 of the float64 distributions."""
    quantiles = negbin_quantiles(dist, c["quantiles"])
    targets = torch.poisson(dist[..., 0].clamp(max=200.0), generator=gen)
    targets[0, :3] = torch.tensor([0.5, 2.5, 7.25], dtype=torch.float64)  # the continuous extension
    loss = -negbin(dist).log_prob(targets).mean(dim=1)
    for suffix, values, kind in (("quantiles.f32", quantiles, "<f4"), ("targets.f32", targets, "<f4"),
                                 ("loss.f64", loss, "<f8")):
        with open(os.path.join(OUT_DIR, f"{name}_{suffix}"), "wb") as f:
            f.write(values.numpy().astype(kind).tobytes())
    print(f"{name}: quantiles [{float(quantiles.min()):.0f}, {float(quantiles.max()):.0f}], "
          f"mean loss {float(loss.mean()):.4f}")


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    torch.set_num_threads(1)
    models = [(name, c, None) for name, c in CONFIGS.items()]
    models.append(("covariates", COVARIATE_CONFIG, COVARIATE_FEATURES))
    models.append(("negbin", NEGBIN_CONFIG, COVARIATE_FEATURES))
    for name, c, features in models:
        gen = torch.Generator().manual_seed(c["seed"])
        weights = random_weights(c, gen)
        x = sales_inputs(c, gen)
        cov = None
        if features is not None:
            weights += covariate_weights(c, features, gen)
            cov = covariate_inputs(c, features, gen)
            reals = torch.cat([cov[k].reshape(-1) for k in ("context_real", "horizon_real", "static_real")])
            codes = torch.cat([cov[k].reshape(-1) for k in ("context_codes", "horizon_codes", "static_codes")])
            with open(os.path.join(OUT_DIR, f"{name}_covariates_real.f32"), "wb") as f:
                f.write(reals.to(torch.float32).numpy().astype("<f4").tobytes())
            with open(os.path.join(OUT_DIR, f"{name}_covariates_codes.i32"), "wb") as f:
                f.write(codes.numpy().astype("<i4").tobytes())
        with torch.no_grad():
            y32 = forward(c, weights, x, features, cov)
            y64 = forward(c, weights, x.to(torch.float64), features, cov)
        # A yardstick for the C++ errors: PyTorch float32 against the same model in float64,
        # max |difference| per series over max(max |float64 output| of the series, 1e-3).
        diff = (y32.double() - y64).abs().reshape(SERIES, -1).max(dim=1).values
        ref = y64.abs().reshape(SERIES, -1).max(dim=1).values.clamp(min=1e-3)
        model = invf_model_format.write_model(
            metadata(name, c, features),
            [(n, list(t.shape), t.numpy().astype("<f4")) for n, t in weights])
        with open(os.path.join(OUT_DIR, f"{name}.invfm"), "wb") as f:
            f.write(model)
        with open(os.path.join(OUT_DIR, f"{name}_input.f32"), "wb") as f:
            f.write(x.numpy().astype("<f4").tobytes())
        with open(os.path.join(OUT_DIR, f"{name}_output.f32"), "wb") as f:
            f.write(y32.numpy().astype("<f4").tobytes())
        if c.get("head") == "negbin":
            write_negbin_extras(name, c, y64, gen)
        print(f"{name}: {len(model)} bytes, tokens {num_tokens(c)}, output range "
              f"[{float(y32.min()):.4g}, {float(y32.max()):.4g}], torch float32 vs float64 "
              f"max relative error {float((diff / ref).max()):.3g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
