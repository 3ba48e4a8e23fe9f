#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""FP32 speed of yoloq vs ONNX Runtime on the shared detectors, in one run.

For each model, yoloq and ORT are benchmarked alternately for --rounds rounds (same threads,
batch, iterations); each round yields a median latency, and the table reports the median of
those medians and the ratio ORT/yoloq (> 1.0: yoloq is faster).

    bench/compare_ort.py [--threads 2] [--batch 1] [--iters 50] [--rounds 3] [--markdown]
"""
import argparse
import glob
import json
import os
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def bench(cmd):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out)["median_ms"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--iters", type=int, default=50)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--markdown", action="store_true")
    ap.add_argument("models", nargs="*")
    a = ap.parse_args()
    data = os.environ.get("YOLOQ_DATA", os.path.join(ROOT, "..", "shared", "data"))
    models = a.models or sorted(glob.glob(os.path.join(data, "models", "*.onnx")))
    if not models:
        sys.exit(f"compare_ort: error: no models under {data}/models")
    yoloq = os.path.join(ROOT, "build", "yoloq")
    common = ["--threads", str(a.threads), "--iters", str(a.iters)]
    rows = []
    for m in models:
        yq_ms, ort_ms = [], []
        for _ in range(a.rounds):
            yq_ms.append(bench([yoloq, "bench", m, "--json", "--batch", str(a.batch)] + common))
            ort_ms.append(bench(["node", os.path.join(ROOT, "tools", "ort_run.mjs"), "bench", m,
                                 "--batch", str(a.batch)] + common))
        y, o = statistics.median(yq_ms), statistics.median(ort_ms)
        rows.append((os.path.basename(m), o, y, o / y))
    hdr = f"threads {a.threads}, batch {a.batch}, {a.iters} iters x {a.rounds} rounds (median of medians)"
    if a.markdown:
        print(f"| model | ORT 1.30 ms | yoloq ms | ORT/yoloq |\n|---|---|---|---|")
        for name, o, y, r in rows:
            print(f"| {name} | {o:.2f} | {y:.2f} | {r:.2f} |")
        print(f"\n{hdr}")
    else:
        print(hdr)
        print(f"{'model':32s} {'ORT ms':>9s} {'yoloq ms':>9s} {'ORT/yoloq':>10s}")
        for name, o, y, r in rows:
            print(f"{name:32s} {o:9.2f} {y:9.2f} {r:10.2f}")


if __name__ == "__main__":
    main()
