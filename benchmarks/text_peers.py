#!/usr/bin/env python3
"""The peers of benchmarks/text_bench.cpp: all-MiniLM-L6-v2 in PyTorch (Hugging Face transformers'
BertModel, masked mean pooling, L2 norm: what sentence-transformers computes) and in ONNX Runtime (the
same BertModel exported from PyTorch), on the same texts in the same batches.
benchmarks/text_vs_pytorch.sh runs every step; each prints "MEASURE engine=... key=value ..." lines.

Interpreter: a venv over Debian's python3-torch 1.13 with transformers and onnxruntime from pip:
    /usr/bin/python3 -m venv --system-site-packages V && V/bin/pip install transformers==4.36.2 onnxruntime

    V/bin/python text_peers.py prepare HF_DIR DIR    the real product texts of
        tests/fixtures/text/minilm.ids.jsonl.gz sorted by token count (as sentence-transformers sorts
        before batching) -> DIR/texts.txt; the model exported -> DIR/model.onnx
    V/bin/python text_peers.py torch HF_DIR DIR      PyTorch timings; DIR/torch.f32 (the embeddings)
    V/bin/python text_peers.py ort HF_DIR DIR        ONNX Runtime timings; DIR/ort.f32
    V/bin/python text_peers.py summary DIR MEASURES  table, agreement and the RESULT line

A timing covers texts to embeddings: tokenizing (Hugging Face's Rust tokenizer for the peers, the
engine's own for invforecast), the model, pooling and normalisation, batch after batch of the sorted
texts, each batch padded to its longest text.  Throughput is texts per second over all batches, the
median of 3 passes after a warm-up pass.
"""
import gzip
import json
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(HERE)
FIXTURE = os.path.join(SOURCE, "tests", "fixtures", "text", "minilm.ids.jsonl.gz")
REAL_TEXTS = 2218  # the fixture's real product texts come first (tests/fixtures/text/README.md)
MAX_TOKENS = 256   # sentence-transformers' max_seq_length for this model
SETTINGS = [(1, 1), (64, 1), (1, 2), (64, 2)]  # (batch, threads)
PASSES = 3
BATCH1_STRIDE = 4
LIMIT = int(os.environ.get("TEXT_BENCH_LIMIT", "0"))  # > 0: the first LIMIT texts only (a smoke run)


def measure(**fields):
    print("MEASURE " + " ".join(f"{k}={v}" for k, v in fields.items()), flush=True)


def read_texts(directory):
    with open(os.path.join(directory, "texts.txt"), encoding="utf-8") as f:
        texts = f.read().split("\n")[:-1]
    return texts[:LIMIT] if LIMIT > 0 else texts


def batches(texts, size):
    return [texts[i:i + size] for i in range(0, len(texts), size)]


def median_rate(run, texts, size):
    # Batch 1 takes every BATCH1_STRIDE-th text (the same length distribution, a quarter of the time).
    groups = batches(texts if size > 1 else texts[::BATCH1_STRIDE], size)
    run(groups[:4])  # warm-up
    seconds = []
    for _ in range(PASSES):
        start = time.perf_counter()
        run(groups)
        seconds.append(time.perf_counter() - start)
    return sum(len(g) for g in groups) / statistics.median(seconds)


def tokenizer(hf_dir):
    from transformers import BertTokenizerFast
    return BertTokenizerFast.from_pretrained(hf_dir)


def prepare(hf_dir, directory):
    import torch
    from transformers import BertModel
    rows = []
    with gzip.open(FIXTURE, "rt", encoding="utf-8") as f:
        for i, line in enumerate(f):
            if i == REAL_TEXTS:
                break
            row = json.loads(line)
            rows.append((len(row["ids"]["minilm"]), row["text"]))
    rows.sort(key=lambda r: r[0])  # stable: equal counts keep the fixture's order
    with open(os.path.join(directory, "texts.txt"), "w", encoding="utf-8") as f:
        f.writelines(text + "\n" for _, text in rows)
    model = BertModel.from_pretrained(hf_dir).eval()
    sample = tokenizer(hf_dir)(["a sample text", "another one"], padding=True, return_tensors="pt")
    torch.onnx.export(model, (sample["input_ids"], sample["attention_mask"], sample["token_type_ids"]),
                      os.path.join(directory, "model.onnx"),
                      input_names=["input_ids", "attention_mask", "token_type_ids"],
                      output_names=["last_hidden_state"],
                      dynamic_axes={n: {0: "batch", 1: "tokens"} for n in
                                    ["input_ids", "attention_mask", "token_type_ids", "last_hidden_state"]},
                      opset_version=14)
    measure(engine="setup", texts=len(rows), mean_tokens=f"{sum(r[0] for r in rows) / len(rows):.2f}",
            max_tokens=rows[-1][0])


def pool_numpy(hidden, mask):
    """Masked mean over the tokens, then L2 normalisation (sentence-transformers' Pooling, Normalize)."""
    import numpy as np
    mean = (hidden * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)
    return mean / np.maximum(np.linalg.norm(mean, axis=1, keepdims=True), 1e-12)


def pool_torch(hidden, mask):
    import torch
    mean = (hidden * mask[..., None]).sum(1) / mask.sum(1, keepdim=True)
    return torch.nn.functional.normalize(mean, p=2, dim=1)


def run_torch(hf_dir, directory):
    import torch
    from transformers import BertModel
    tok = tokenizer(hf_dir)
    model = BertModel.from_pretrained(hf_dir).eval()
    texts = read_texts(directory)

    def run(groups, out=None):
        with torch.inference_mode():
            for group in groups:
                enc = tok(group, padding=True, truncation=True, max_length=MAX_TOKENS, return_tensors="pt")
                hidden = model(**enc).last_hidden_state
                e = pool_torch(hidden, enc["attention_mask"].to(hidden.dtype))
                if out is not None:
                    out.append(e.numpy())

    for size, threads in SETTINGS:
        torch.set_num_threads(threads)
        measure(engine="torch", batch=size, threads=threads, texts_per_s=f"{median_rate(run, texts, size):.1f}")
    out = []
    torch.set_num_threads(1)
    run(batches(texts, 64), out)
    import numpy as np
    np.concatenate(out).astype("<f4").tofile(os.path.join(directory, "torch.f32"))


def run_ort(hf_dir, directory):
    import numpy as np
    import onnxruntime as ort
    tok = tokenizer(hf_dir)
    texts = read_texts(directory)
    sessions = {}

    def session(threads):
        if threads not in sessions:
            o = ort.SessionOptions()
            o.intra_op_num_threads = threads
            o.inter_op_num_threads = 1
            o.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
            o.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            sessions[threads] = ort.InferenceSession(os.path.join(directory, "model.onnx"), o,
                                                     providers=["CPUExecutionProvider"])
        return sessions[threads]

    for size, threads in SETTINGS:
        s = session(threads)

        def run(groups, out=None):
            for group in groups:
                enc = tok(group, padding=True, truncation=True, max_length=MAX_TOKENS, return_tensors="np")
                feed = {k: enc[k].astype(np.int64) for k in ("input_ids", "attention_mask", "token_type_ids")}
                hidden = s.run(None, feed)[0]
                e = pool_numpy(hidden, enc["attention_mask"].astype(np.float32))
                if out is not None:
                    out.append(e)

        measure(engine="ort", batch=size, threads=threads, texts_per_s=f"{median_rate(run, texts, size):.1f}")
        if (size, threads) == (64, 1):
            out = []
            run(batches(texts, 64), out)
            np.concatenate(out).astype("<f4").tofile(os.path.join(directory, "ort.f32"))


def summary(directory, measures_path):
    import numpy as np
    rates = {}
    for line in open(measures_path):
        if not line.startswith("MEASURE "):
            continue
        f = dict(kv.split("=", 1) for kv in line.split()[1:])
        if "texts_per_s" in f:
            rates[(f["engine"], int(f["batch"]), int(f["threads"]))] = float(f["texts_per_s"])
    print(f"{'batch':>5} {'threads':>7} {'invforecast':>12} {'pytorch':>9} {'onnxruntime':>12}  texts/s")
    for size, threads in SETTINGS:
        r = [rates.get((e, size, threads), float("nan")) for e in ("invforecast", "torch", "ort")]
        print(f"{size:>5} {threads:>7} {r[0]:>12.1f} {r[1]:>9.1f} {r[2]:>12.1f}")
    ref = np.fromfile(os.path.join(directory, "torch.f32"), dtype="<f4").reshape(-1, 384)
    for name in ("invforecast", "ort"):
        e = np.fromfile(os.path.join(directory, f"{name}.f32"), dtype="<f4").reshape(-1, 384)
        cos = (e * ref).sum(1) / np.linalg.norm(e, axis=1) / np.linalg.norm(ref, axis=1)
        print(f"{name} against PyTorch: minimum cosine {cos.min():.7f} over {len(cos)} texts")
    ratio = lambda peer, b, t: rates[("invforecast", b, t)] / rates[(peer, b, t)]
    fields = {"speedup_b64_1t": ratio("torch", 64, 1), "ort_speedup_b64_1t": ratio("ort", 64, 1),
              "speedup_b1_1t": ratio("torch", 1, 1), "ort_speedup_b1_1t": ratio("ort", 1, 1),
              "speedup_b64_2t": ratio("torch", 64, 2), "ort_speedup_b64_2t": ratio("ort", 64, 2)}
    print("RESULT " + " ".join(f"{k}={v:.2f}" for k, v in fields.items()))


if __name__ == "__main__":
    step = sys.argv[1] if len(sys.argv) > 1 else ""
    if step == "prepare" and len(sys.argv) == 4:
        prepare(sys.argv[2], sys.argv[3])
    elif step == "torch" and len(sys.argv) == 4:
        run_torch(sys.argv[2], sys.argv[3])
    elif step == "ort" and len(sys.argv) == 4:
        run_ort(sys.argv[2], sys.argv[3])
    elif step == "summary" and len(sys.argv) == 4:
        summary(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
