#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""PTQ targets of the INT8 quantization issue, on the shared models (not run by CI).

For every model and calibrator: `yoloq quantize` (calibrate on coco128 train2017, evaluate on
val2017), then ONNX Runtime on the same QDQ file. Prints FP32 vs INT8 mAP, yoloq INT8/FP32
latency and ORT(QDQ)/yoloq(INT8) latency; the best calibrator per model is marked. "per-layer"
is `--per-layer-calibrator` (each tensor's calibrator by least layer-output error). Latencies come
from `yoloq bench` / ORT runs made back to back (FP32, INT8, ORT) for each row, not from the
quantize report, so that a busy moment of the machine hits all three alike.

    bench/ptq_targets.py [--yoloq build/yoloq] [--threads 2] [--calib-images 32] [--methods entropy,percentile,mse,minmax,per-layer]
                         [--quantize-options "--quantize-depthwise --table-activations --zero-points"]
"""
import argparse
import glob
import json
import os
import shlex
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_json(cmd):
    return json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--calib-images", type=int, default=32)
    ap.add_argument("--methods", default="entropy,percentile,mse,minmax,per-layer")
    ap.add_argument("--quantize-options", default="",
                    help='more `yoloq quantize` options, e.g. "--quantize-depthwise --table-activations --zero-points"')
    ap.add_argument("--yoloq", default=os.path.join(ROOT, "build", "yoloq"), help="the yoloq binary")
    ap.add_argument("models", nargs="*")
    a = ap.parse_args()
    data = os.environ.get("YOLOQ_DATA", os.path.join(ROOT, "..", "shared", "data"))
    models = a.models or sorted(glob.glob(os.path.join(data, "models", "*.onnx")))
    if not models:
        sys.exit(f"ptq_targets: error: no models under {data}/models")
    yoloq = a.yoloq
    out = tempfile.mkdtemp(prefix="yq_ptq_")
    print(f"{'model':28s} {'method':10s} {'fp32':>6s} {'int8':>6s} {'drop':>6s} {'int8/fp32':>9s} {'ORT/yoloq':>9s}")
    for m in models:
        rows = []
        for method in a.methods.split(","):
            q = os.path.join(out, f"{os.path.basename(m)}.{method}.onnx")
            calib = ["--method", "mse", "--per-layer-calibrator"] if method == "per-layer" else ["--method", method]
            j = run_json([yoloq, "quantize", m, "--calib", os.path.join(data, "coco128", "images", "train2017"),
                          "--calib-images", str(a.calib_images), *calib, "--out", q,
                          *shlex.split(a.quantize_options),
                          "--val", os.path.join(data, "coco128"), "--threads", str(a.threads), "--json"])
            # INT8 against FP32 in one process, alternating blocks of runs (yoloq bench --against).
            yq = run_json([yoloq, "bench", q, "--against", m, "--threads", str(a.threads), "--rounds", "20",
                           "--iters", "10", "--json"])
            ort = run_json(["node", os.path.join(ROOT, "tools", "ort_run.mjs"), "bench", q,
                            "--threads", str(a.threads), "--iters", "50"])
            rows.append((method, j["map"]["fp32"], j["map"]["int8"], j["map"]["drop"],
                         yq["ratio"], ort["median_ms"] / yq["median_ms"]))
        best = min(rows, key=lambda r: r[3])
        for r in rows:
            mark = " *" if r is best else ""
            print(f"{os.path.basename(m):28s} {r[0]:10s} {r[1]:6.2f} {r[2]:6.2f} {r[3]:6.2f} {r[4]:9.2f} {r[5]:9.2f}{mark}")


if __name__ == "__main__":
    main()
