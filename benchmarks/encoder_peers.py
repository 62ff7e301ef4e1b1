#!/usr/bin/env python3
"""The peers of benchmarks/encoder_bench.cpp: the same encoder in PyTorch and in ONNX Runtime, on the
same model file and inputs.  benchmarks/encoder_vs_pytorch.sh runs every step; each one prints
"MEASURE engine=... key=value ..." lines.

    /usr/bin/python3 encoder_peers.py prepare DIR     (python3-torch 1.13) random weights of the default
        configuration -> DIR/model.invfm (scripts/invf_model_format.py), DIR/model.onnx (exported from
        PyTorch, dynamic batch), DIR/input.f32 (4096 series x 336 days of Poisson sales)
    /usr/bin/python3 encoder_peers.py torch DIR       PyTorch timings; DIR/torch_b256.f32
    /usr/bin/python3 encoder_peers.py torch-memory DIR    peak memory of a 4096-series forecast
    python3 encoder_peers.py ort DIR                  (pip onnxruntime) ONNX Runtime timings; DIR/ort_b256.f32
    python3 encoder_peers.py summary DIR MEASURES     table, parity and the RESULT line

PyTorch runs two implementations of the one architecture and reports the faster (by batch 256 on one
thread) for throughput, the faster of both for batch-1 latency: "functional", the formula of
tests/make_parity_fixture.py (written from lib/model/model_config.hpp, not from the C++ code), and
"nn_fastpath", nn.TransformerEncoder with norm_first layers, whose inference fast path (fused
multi-head attention) PyTorch 1.13 takes under inference_mode.  ONNX Runtime runs the export of
"nn_fastpath" (traced, so through the exportable, non-fused path) with every graph optimisation on.
"""
import importlib.util
import math
import os
import resource
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(HERE)

# The benchmark's default configuration (issue: context 336, patch 16, stride 8 -> 42 tokens,
# d_model 128, 8 heads, ffn 256, 3 layers, horizon 28, 9 quantiles), RevIN with affine.
CONFIG = dict(context_length=336, patch_length=16, stride=8, padding="replicate_end", d_model=128,
              heads=8, ffn_dim=256, layers=3, horizon=28,
              quantiles=[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9],
              normalization="revin", affine=True, seed=20261130)
MAX_BATCH = 4096
LATENCY_RUNS = 200


def load_module(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def measure(**fields):
    print("MEASURE " + " ".join(f"{k}={v}" for k, v in fields.items()), flush=True)


def read_input(directory, batch):
    import numpy as np
    x = np.fromfile(os.path.join(directory, "input.f32"), dtype="<f4")
    return x.reshape(-1, CONFIG["context_length"])[:batch].copy()


def median_latency(run):
    for _ in range(30):
        run()
    times = []
    for _ in range(LATENCY_RUNS):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def median_seconds(run, reps):
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


# ----------------------------------------------------------------------------------------------
# PyTorch

def nn_encoder(parity, c, weights):
    """The architecture as nn.TransformerEncoder with norm_first layers, loaded with `weights`
    ([(name, tensor)] in the invforecast order).  forward(x) gives the sales-scale quantiles
    [B, horizon, Q]; normalized(x) the quantiles on the normalised scale (what the training loss
    reads, before RevIN's statistics are undone and the clip) with RevIN's mean and std.  Every
    tensor of the model is a trainable parameter (benchmarks/train_peers.py trains it)."""
    import torch

    class NnEncoder(torch.nn.Module):
        def __init__(self):
            super().__init__()
            w = dict(weights)
            D, N = c["d_model"], parity.num_tokens(c)
            layer = torch.nn.TransformerEncoderLayer(
                D, c["heads"], c["ffn_dim"], dropout=0.0, activation="gelu",
                layer_norm_eps=parity.LAYER_NORM_EPS, batch_first=True, norm_first=True)
            self.encoder = torch.nn.TransformerEncoder(
                layer, c["layers"], norm=torch.nn.LayerNorm(D, eps=parity.LAYER_NORM_EPS),
                enable_nested_tensor=False)
            with torch.no_grad():
                for i, l in enumerate(self.encoder.layers):
                    p = f"layers.{i}."
                    l.norm1.weight.copy_(w[p + "ln1.weight"]); l.norm1.bias.copy_(w[p + "ln1.bias"])
                    l.self_attn.in_proj_weight.copy_(w[p + "attn.qkv.weight"])
                    l.self_attn.in_proj_bias.copy_(w[p + "attn.qkv.bias"])
                    l.self_attn.out_proj.weight.copy_(w[p + "attn.out.weight"])
                    l.self_attn.out_proj.bias.copy_(w[p + "attn.out.bias"])
                    l.norm2.weight.copy_(w[p + "ln2.weight"]); l.norm2.bias.copy_(w[p + "ln2.bias"])
                    l.linear1.weight.copy_(w[p + "ffn1.weight"]); l.linear1.bias.copy_(w[p + "ffn1.bias"])
                    l.linear2.weight.copy_(w[p + "ffn2.weight"]); l.linear2.bias.copy_(w[p + "ffn2.bias"])
                self.encoder.norm.weight.copy_(w["final_ln.weight"])
                self.encoder.norm.bias.copy_(w["final_ln.bias"])
            self.patch = torch.nn.Linear(c["patch_length"], D)
            self.head = torch.nn.Linear(N * D, c["horizon"] * len(c["quantiles"]))
            with torch.no_grad():
                self.patch.weight.copy_(w["patch_embed.weight"]); self.patch.bias.copy_(w["patch_embed.bias"])
                self.head.weight.copy_(w["head.weight"]); self.head.bias.copy_(w["head.bias"])
            self.pos = torch.nn.Parameter(w["pos_embed"].clone())
            self.revin_w = torch.nn.Parameter(w["revin.weight"].clone())
            self.revin_b = torch.nn.Parameter(w["revin.bias"].clone())
            self.median = parity.median_index(c["quantiles"])
            # Patch t covers positions t*stride .. t*stride+P-1, the end padding repeating the last
            # value: one gather, which (unlike unfold of a padded copy) exports to ONNX.
            L = c["context_length"]
            index = torch.arange(N)[:, None] * c["stride"] + torch.arange(c["patch_length"])[None, :]
            self.register_buffer("patch_index", index.clamp(max=L - 1))

        def normalized(self, x):
            B = x.shape[0]
            mean = x.mean(dim=1, keepdim=True)
            std = torch.sqrt(x.var(dim=1, unbiased=False, keepdim=True) + parity.NORM_EPS)
            z = (x - mean) / std * self.revin_w + self.revin_b
            h = self.patch(z[:, self.patch_index]) + self.pos
            h = self.encoder(h)
            raw = self.head(h.reshape(B, -1)).reshape(B, c["horizon"], len(c["quantiles"]))
            m = self.median
            med = raw[..., m:m + 1]
            upper = med + torch.cumsum(torch.nn.functional.softplus(raw[..., m + 1:]), dim=-1)
            lower = med - torch.cumsum(torch.nn.functional.softplus(raw[..., :m]).flip(-1), dim=-1).flip(-1)
            q = torch.cat([lower, med, upper], dim=-1)
            return (q - self.revin_b) / self.revin_w, mean, std

        def forward(self, x):
            B = x.shape[0]
            q, mean, std = self.normalized(x)
            q = q.reshape(B, -1) * std + mean
            return q.clamp(min=0.0).reshape(B, c["horizon"], -1)

    return NnEncoder()


def torch_models():
    import torch
    parity = load_module("make_parity_fixture", os.path.join(SOURCE, "tests", "make_parity_fixture.py"))
    c = CONFIG
    weights = parity.random_weights(c, torch.Generator().manual_seed(c["seed"]))

    class Functional(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.names = [n for n, _ in weights]
            self.params = torch.nn.ParameterList(
                [torch.nn.Parameter(t.clone(), requires_grad=False) for _, t in weights])

        def forward(self, x):
            return parity.forward(c, list(zip(self.names, self.params)), x)

    return parity, weights, Functional().eval(), nn_encoder(parity, c, weights).eval()


def prepare(directory):
    import numpy as np
    import torch
    os.makedirs(directory, exist_ok=True)
    torch.set_num_threads(1)
    parity, weights, functional, fast = torch_models()
    fmt = load_module("invf_model_format", os.path.join(SOURCE, "scripts", "invf_model_format.py"))
    metadata = parity.metadata("benchmark_default", CONFIG)
    metadata["provenance"]["generator"] = "benchmarks/encoder_peers.py"
    model = fmt.write_model(metadata,
                            [(n, list(t.shape), t.numpy().astype("<f4")) for n, t in weights])
    with open(os.path.join(directory, "model.invfm"), "wb") as f:
        f.write(model)
    # Sales-like inputs: weekly Poisson rates around a per-series level, a quarter intermittent.
    rng = np.random.default_rng(7)
    t = np.arange(CONFIG["context_length"])
    level = np.exp(rng.normal(1.0, 1.0, size=(MAX_BATCH, 1)))
    rate = level * (1.0 + 0.4 * np.sin(2 * math.pi * (t + rng.integers(0, 7, (MAX_BATCH, 1))) / 7))
    x = rng.poisson(rate).astype("<f4")
    x[::4] *= rng.random((x[::4].shape)) < 0.3
    x.tofile(os.path.join(directory, "input.f32"))

    sample = torch.from_numpy(x[:64])
    with torch.inference_mode():
        a, b = functional(sample), fast(sample)
    error = float(((a - b).abs().amax(dim=(1, 2)) / a.abs().amax(dim=(1, 2)).clamp(min=1e-3)).max())
    print(f"prepare: {len(model)}-byte model, nn_fastpath vs functional max relative error {error:.2e}")
    if error > 1e-4:
        raise SystemExit("the two PyTorch implementations disagree")
    torch.onnx.export(fast, sample, os.path.join(directory, "model.onnx"), opset_version=14,
                      input_names=["context"], output_names=["quantiles"],
                      dynamic_axes={"context": {0: "batch"}, "quantiles": {0: "batch"}})


def blas_of_torch():
    import torch
    config = torch.__config__.show()
    for part in config.replace("\n", ",").split(","):
        for key in ("BLAS_INFO=", "LAPACK_INFO="):
            if key in part:
                yield part[part.index(key):].strip()


def run_torch(directory):
    import torch
    _, _, functional, fast = torch_models()
    variants = {"functional": functional, "nn_fastpath": fast}
    print("torch", torch.__version__, "|", "; ".join(blas_of_torch()),
          "| MKL:", torch.backends.mkl.is_available(), "| MKLDNN:", torch.backends.mkldnn.is_available())
    x = torch.from_numpy(read_input(directory, MAX_BATCH))
    torch.set_num_threads(1)
    with torch.inference_mode():
        latency = {}
        for name, model in variants.items():
            one = x[:1]
            latency[name] = median_latency(lambda: model(one))
            measure(engine="pytorch", kind="latency_variant", variant=name, threads=1, batch=1,
                    median_ms=f"{latency[name] * 1e3:.4f}")
        measure(engine="pytorch", kind="latency", threads=1, batch=1,
                median_ms=f"{min(latency.values()) * 1e3:.4f}")
        b256 = x[:256]
        speed = {}
        for name, model in variants.items():
            model(b256)
            speed[name] = median_seconds(lambda: model(b256), 3)
            measure(engine="pytorch", kind="throughput_variant", variant=name, threads=1, batch=256,
                    seconds=f"{speed[name]:.5f}")
        best = min(speed, key=speed.get)
        model = variants[best]
        (model(b256).numpy().astype("<f4")).tofile(os.path.join(directory, "torch_b256.f32"))
        for threads in (1, 2):
            torch.set_num_threads(threads)
            for batch in (256, MAX_BATCH):
                xb = x[:batch]
                model(x[:256])
                seconds = median_seconds(lambda: model(xb), 3 if batch == 256 else 2)
                measure(engine="pytorch", kind="throughput", variant=best, threads=threads,
                        batch=batch, seconds=f"{seconds:.5f}", series_per_s=f"{batch / seconds:.1f}")


def run_torch_memory(directory):
    import torch
    _, _, functional, fast = torch_models()
    x = torch.from_numpy(read_input(directory, MAX_BATCH))
    torch.set_num_threads(1)
    for name, model in (("nn_fastpath", fast),):
        with torch.inference_mode():
            before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            model(x)
            after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        measure(engine="pytorch", kind="memory", variant=name, batch=MAX_BATCH,
                delta_mib=f"{(after - before) / 1024:.1f}")


# ----------------------------------------------------------------------------------------------
# ONNX Runtime

def run_ort(directory):
    import onnxruntime as ort
    print("onnxruntime", ort.__version__, ort.get_available_providers())
    x = read_input(directory, MAX_BATCH)

    def session(threads):
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        return ort.InferenceSession(os.path.join(directory, "model.onnx"), options,
                                    providers=["CPUExecutionProvider"])

    one_thread = session(1)
    one = x[:1]
    latency = median_latency(lambda: one_thread.run(None, {"context": one}))
    measure(engine="onnxruntime", kind="latency", threads=1, batch=1, median_ms=f"{latency * 1e3:.4f}")
    one_thread.run(None, {"context": x[:256]})[0].astype("<f4").tofile(
        os.path.join(directory, "ort_b256.f32"))
    for threads in (1, 2):
        s = one_thread if threads == 1 else session(2)
        for batch in (256, MAX_BATCH):
            xb = x[:batch]
            s.run(None, {"context": x[:256]})
            seconds = median_seconds(lambda: s.run(None, {"context": xb}), 3 if batch == 256 else 2)
            measure(engine="onnxruntime", kind="throughput", threads=threads, batch=batch,
                    seconds=f"{seconds:.5f}", series_per_s=f"{batch / seconds:.1f}")


# ----------------------------------------------------------------------------------------------
# Summary

def summary(directory, measures_path):
    import numpy as np
    rows = []
    for line in open(measures_path):
        if line.startswith("MEASURE "):
            rows.append(dict(part.split("=", 1) for part in line.split()[1:]))

    def find(**want):
        for r in rows:
            if all(r.get(k) == str(v) for k, v in want.items()):
                return r
        raise SystemExit(f"no measurement {want}")

    def rate(engine, threads, batch):
        return float(find(engine=engine, kind="throughput", threads=threads, batch=batch)["series_per_s"])

    def latency(engine):
        return float(find(engine=engine, kind="latency", threads=1, batch=1)["median_ms"])

    per_series = float(find(engine="invforecast", kind="config")["mflop_per_series"]) * 1e6
    print(f"\n{'engine':<12} {'threads':>7} {'batch':>6} {'series/s':>10} {'GFLOP/s':>8}")
    for engine in ("invforecast", "pytorch", "onnxruntime"):
        for threads in (1, 2):
            for batch in (256, MAX_BATCH):
                r = rate(engine, threads, batch)
                print(f"{engine:<12} {threads:>7} {batch:>6} {r:>10.1f} {r * per_series / 1e9:>8.2f}")
    print(f"\nbatch-1 latency (median, 1 thread): invforecast {latency('invforecast'):.3f} ms, "
          f"PyTorch {latency('pytorch'):.3f} ms, ONNX Runtime {latency('onnxruntime'):.3f} ms")
    ceiling = find(engine="sgemm", kind="ceiling", threads=1)
    ceiling2 = find(engine="sgemm", kind="ceiling", threads=2)
    achieved = rate("invforecast", 1, MAX_BATCH) * per_series / 1e9
    fraction = achieved / float(ceiling["gflops"])
    print(f"sgemm ceiling at the model's GEMM shapes: {ceiling['gflops']} GFLOP/s (1 thread), "
          f"{ceiling2['gflops']} GFLOP/s (2 threads); invforecast at batch 4096, 1 thread: "
          f"{achieved:.2f} GFLOP/s = {fraction:.2f} of the ceiling")
    memory = find(engine="invforecast", kind="memory")
    torch_memory = find(engine="pytorch", kind="memory")
    print(f"peak memory added by a 4096-series forecast (maxrss delta): invforecast "
          f"{memory['delta_mib']} MiB, PyTorch (nn_fastpath) {torch_memory['delta_mib']} MiB")

    # The engines ran the same model: compare their batch-256 forecasts with invforecast's.
    invf = np.fromfile(os.path.join(directory, "invf_b256.f32"), dtype="<f4").reshape(256, -1)
    for peer in ("torch", "ort"):
        other = np.fromfile(os.path.join(directory, f"{peer}_b256.f32"), dtype="<f4").reshape(256, -1)
        error = (np.abs(invf - other).max(axis=1) / np.maximum(np.abs(other).max(axis=1), 1e-3)).max()
        print(f"max per-series relative difference, invforecast vs {peer}: {error:.2e}")

    result = dict(
        speedup_b4096_1t=rate("invforecast", 1, MAX_BATCH) / rate("pytorch", 1, MAX_BATCH),
        speedup_b4096_2t=rate("invforecast", 2, MAX_BATCH) / rate("pytorch", 2, MAX_BATCH),
        speedup_b256_1t=rate("invforecast", 1, 256) / rate("pytorch", 1, 256),
        latency_b1_speedup=latency("pytorch") / latency("invforecast"),
        ort_speedup_b4096_1t=rate("invforecast", 1, MAX_BATCH) / rate("onnxruntime", 1, MAX_BATCH),
        ort_latency_b1_speedup=latency("onnxruntime") / latency("invforecast"),
        ort_speedup_b256_2t=rate("invforecast", 2, 256) / rate("onnxruntime", 2, 256),
        scaling_b256_2t=rate("invforecast", 2, 256) / rate("invforecast", 1, 256),
        ceiling_fraction_b4096_1t=fraction)
    print("RESULT " + " ".join(f"{k}={v:.2f}" for k, v in result.items()))


def main(argv):
    commands = {"prepare": prepare, "torch": run_torch, "torch-memory": run_torch_memory,
                "ort": run_ort, "summary": summary}
    if len(argv) < 3 or argv[1] not in commands:
        print(__doc__, file=sys.stderr)
        return 2
    commands[argv[1]](*argv[2:])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
