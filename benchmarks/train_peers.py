#!/usr/bin/python3
"""The PyTorch peer of benchmarks/train_bench.cpp: one training step (forward, backward, AdamW
update) of the same model with the same loss, at batch 256.  benchmarks/train_vs_pytorch.sh runs
every step; measurements are "MEASURE engine=... key=value ..." lines.

    /usr/bin/python3 train_peers.py info                 torch version and the BLAS it runs on
    /usr/bin/python3 train_peers.py step WINDOWS THREADS STEPS
        (python3-torch 1.13) trains on the windows of WINDOWS (train_bench windows: context 336 +
        horizon 28 floats each, drawn from the bundled data as invf_train draws them), a new batch
        of 256 every step, on torch.set_num_threads(THREADS); the first 5 steps are warm-up, the
        others are timed in 10-step intervals, as train_bench times invforecast's (whose progress
        callback comes every 10 steps)
    /usr/bin/python3 train_peers.py summary MEASURES     table and the RESULT line

The model is encoder_peers.nn_encoder (nn.TransformerEncoder, norm_first layers) on the default
configuration (encoder_peers.CONFIG: the ModelConfig defaults), every tensor trained, as
invf_train does.  The step is invf_train's (lib/train/trainer.cpp): pinball loss averaged over the
quantile levels and the batch, on the normalised scale (targets (y - mean) / std with RevIN's
statistics as constants, quantiles before RevIN is undone); gradient clipping to global norm 1;
AdamW (betas 0.9, 0.999, eps 1e-8) with decoupled weight decay 0.01 on the linear layers' weight
matrices only; the learning rate of invf_train's schedule (warm-up over 5% of the steps, then
cosine from 1e-3 to 1e-5).  A step's time covers zero_grad, forward, loss, backward, clipping and
the update; each batch is sliced from the windows before its timer starts.
"""
import math
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import encoder_peers  # noqa: E402  (beside this file)

BATCH = 256
WARMUP_STEPS = 5
INTERVAL = 10
LEARNING_RATE, MIN_LEARNING_RATE = 1e-3, 1e-5


def measure(**fields):
    print("MEASURE " + " ".join(f"{k}={v}" for k, v in fields.items()), flush=True)


def info():
    import torch
    blas = "; ".join(encoder_peers.blas_of_torch())
    print(f"torch {torch.__version__} | {blas} | MKL: {torch.backends.mkl.is_available()} | "
          f"MKLDNN: {torch.backends.mkldnn.is_available()} | parallel backend: "
          f"{torch.__config__.parallel_info().splitlines()[-1].strip()}")


def learning_rate(step, total_steps):
    """invf_train's schedule (LrSchedule::at in lib/train/optimizer.cpp), step counted from 0."""
    warmup = total_steps // 20
    if step < warmup:
        return LEARNING_RATE * (step + 1) / warmup
    if total_steps - warmup <= 0 or step >= total_steps:
        return MIN_LEARNING_RATE
    progress = (step - warmup) / (total_steps - warmup)
    return MIN_LEARNING_RATE + 0.5 * (LEARNING_RATE - MIN_LEARNING_RATE) * (
        1 + math.cos(math.pi * progress))


def run_step(windows_path, threads, steps):
    import numpy as np
    import torch
    threads, steps = int(threads), int(steps)
    if steps < WARMUP_STEPS + INTERVAL:
        raise SystemExit(f"STEPS must be at least {WARMUP_STEPS + INTERVAL}")
    torch.set_num_threads(threads)
    c = encoder_peers.CONFIG
    L, H = c["context_length"], c["horizon"]
    windows = torch.from_numpy(np.fromfile(windows_path, dtype="<f4").reshape(-1, L + H).copy())
    if windows.shape[0] < steps * BATCH:
        raise SystemExit(f"{windows_path} holds {windows.shape[0]} windows, {steps} steps need "
                         f"{steps * BATCH}")
    parity = encoder_peers.load_module(
        "make_parity_fixture", os.path.join(encoder_peers.SOURCE, "tests", "make_parity_fixture.py"))
    weights = parity.random_weights(c, torch.Generator().manual_seed(c["seed"]))
    model = encoder_peers.nn_encoder(parity, c, weights).train()

    # Decay on the linear layers' weight matrices only (invf_train: rank-2 tensors named *.weight).
    decayed = [p for n, p in model.named_parameters() if p.dim() == 2 and n != "pos"]
    kept = [p for n, p in model.named_parameters() if not (p.dim() == 2 and n != "pos")]
    optimizer = torch.optim.AdamW(
        [{"params": decayed, "weight_decay": 0.01}, {"params": kept, "weight_decay": 0.0}],
        lr=LEARNING_RATE, betas=(0.9, 0.999), eps=1e-8)
    levels = torch.tensor(c["quantiles"], dtype=torch.float32)
    parameters = list(model.parameters())

    def step(batch, index):
        x, y = batch[:, :L], batch[:, L:]
        optimizer.zero_grad(set_to_none=True)
        predictions, mean, std = model.normalized(x)
        targets = ((y - mean) / std).unsqueeze(-1)
        u = targets - predictions
        loss = torch.maximum(levels * u, (levels - 1) * u).mean()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(parameters, 1.0)
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(index, steps)
        optimizer.step()
        return float(loss)

    times, loss, cpu_start = [], float("nan"), 0.0
    for i in range(steps):
        if i == WARMUP_STEPS:
            cpu_start = time.process_time()
        batch = windows[i * BATCH:(i + 1) * BATCH]
        start = time.perf_counter()
        loss = step(batch, i)
        if i >= WARMUP_STEPS:
            times.append(time.perf_counter() - start)
    cpu_per_step = (time.process_time() - cpu_start) / len(times)
    # Timed as invforecast's steps are (its progress callback comes every 10 steps): the time per
    # step of each 10-step interval; the median single step is shown too.
    intervals = [statistics.mean(times[i:i + INTERVAL])
                 for i in range(0, len(times) - INTERVAL + 1, INTERVAL)]
    seconds = statistics.median(intervals)
    measure(engine="pytorch", kind="train_step", threads=threads, batch=BATCH,
            omp_wait_policy=os.environ.get("OMP_WAIT_POLICY", "default"), timed_steps=len(times),
            seconds_per_step=f"{seconds:.5f}",
            median_step_seconds=f"{statistics.median(times):.5f}",
            samples_per_s=f"{BATCH / seconds:.1f}", cpu_seconds_per_step=f"{cpu_per_step:.5f}",
            cores_busy=f"{cpu_per_step * len(times) / sum(times):.2f}", final_loss=f"{loss:.4f}",
            interval_seconds_per_step=",".join(f"{t:.5f}" for t in intervals))


def summary(measures_path):
    """Per engine and thread count, the 10-step intervals of every run (the runs alternate between
    the engines).  Other jobs on the cores only ever add time, so the figure is the fastest
    interval; the median, the cores each side kept busy and each round's ratio are shown too."""
    rows = []
    for line in open(measures_path):
        if line.startswith("MEASURE "):
            rows.append(dict(part.split("=", 1) for part in line.split()[1:]))

    def runs(engine, threads, wait_policy="default"):
        found = [r for r in rows if r["engine"] == engine and r["kind"] == "train_step"
                 and r["threads"] == str(threads)
                 and r.get("omp_wait_policy", "default") == wait_policy]
        if not found:
            raise SystemExit(f"no train_step measurement for {engine} at {threads} threads")
        return found

    def intervals(run):
        return [float(v) for v in run["interval_seconds_per_step"].split(",")]

    def pooled(engine, threads, wait_policy="default"):
        return [t for r in runs(engine, threads, wait_policy) for t in intervals(r)]

    best, cpu = {}, {}
    print(f"\n{'engine':<12} {'threads':>7} {'batch':>6} {'runs':>5} {'best s/step':>11} "
          f"{'samples/s':>10} {'median s/step':>13} {'CPU s/step':>10} {'cores busy':>10}")
    for engine in ("invforecast", "pytorch"):
        for threads in (1, 2):
            key = (engine, threads)
            times = pooled(engine, threads)
            best[key] = min(times)
            cpu[key] = statistics.median(float(r["cpu_seconds_per_step"])
                                         for r in runs(engine, threads))
            busy = statistics.median(float(r["cores_busy"]) for r in runs(engine, threads))
            print(f"{engine:<12} {threads:>7} {BATCH:>6} {len(runs(engine, threads)):>5} "
                  f"{best[key]:>11.4f} {BATCH / best[key]:>10.1f} {statistics.median(times):>13.4f} "
                  f"{cpu[key]:>10.4f} {busy:>10.2f}")
    for threads in (1, 2):
        ratios = [min(intervals(p)) / min(intervals(i))
                  for i, p in zip(runs("invforecast", threads), runs("pytorch", threads))]
        print(f"{threads} thread(s), each round's ratio (PyTorch / invforecast, fastest intervals): "
              + ", ".join(f"{r:.2f}" for r in ratios))
    print(f"1 thread, CPU time per step (median of the runs): invforecast "
          f"{cpu[('invforecast', 1)]:.4f} s, PyTorch {cpu[('pytorch', 1)]:.4f} s, ratio "
          f"{cpu[('pytorch', 1)] / cpu[('invforecast', 1)]:.2f}")
    if any(r.get("omp_wait_policy") == "passive" for r in rows):
        passive = min(pooled("pytorch", 2, "passive"))
        print(f"PyTorch on 2 threads with OMP_WAIT_POLICY=passive (its OpenMP threads sleep instead "
              f"of spinning): {passive:.4f} s/step, invforecast faster by "
              f"{passive / best[('invforecast', 2)]:.2f}")
    for r in rows:
        if r["engine"] == "invforecast" and r["kind"] == "forward":
            share = float(r["seconds"]) / best[("invforecast", int(r["threads"]))]
            print(f"invforecast inference forward (invf_model_forecast, batch {r['batch']}, "
                  f"{r['threads']} thread(s)): {float(r['seconds']):.4f} s = {share:.2f} of a "
                  f"training step")
    speedup = {t: best[("pytorch", t)] / best[("invforecast", t)] for t in (1, 2)}
    print(f"RESULT train_speedup_1t={speedup[1]:.2f} train_speedup_2t={speedup[2]:.2f}")


def main(argv):
    commands = {"info": (info, 0), "step": (run_step, 3), "summary": (summary, 1)}
    if len(argv) < 2 or argv[1] not in commands or len(argv) - 2 != commands[argv[1]][1]:
        print(__doc__, file=sys.stderr)
        return 2
    commands[argv[1]][0](*argv[2:])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
