#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Reproduces the targets table of the "sensitivity analysis, partial quantization, accuracy-budget
# automatic mode" issue for the five shared models: `yoloq quantize --max-drop D` for each budget D
# (calibrator chosen by mAP, layers ranked by the built-in one-float mAP sweep on RANK_IMAGES
# validation images, budget judged on VAL_IMAGES), reporting FP32 and final INT8 mAP, layers kept
# float, how many activations run as INT8 tables (the budget takes them when they still meet it),
# INT8 vs FP32 latency and the wall time of the whole command. Not run by CI (minutes per
# model). The latency columns re-bench the written model against the FP32 one afterwards, both in
# one process (`yoloq bench INT8 --against FP32`): ROUNDS rounds of blocks of 10 runs (INT8, FP32,
# FP32, INT8), the median of the per-round ratios (a slow spell of a shared machine, which lasts
# seconds, then hits both sides of a round alike).
#
# usage: bench/sensitivity_targets.sh [BUILD_DIR] [OUT_DIR]
#   env: YOLOQ_DATA (default ../shared/data), VAL_IMAGES (0 = all 128), CALIB_IMAGES (32),
#        RANK_IMAGES (0 = the budget's images), THREADS (2), MODELS (space-separated basenames; default: all five),
#        DROPS ("0.3"), ROUNDS (20)
set -euo pipefail
BUILD=${1:-build}
OUT=${2:-sensitivity_targets}
root=$(cd "$(dirname "$0")/.." && pwd)
DATA=${YOLOQ_DATA:-$root/../shared/data}
VAL_IMAGES=${VAL_IMAGES:-0}
CALIB_IMAGES=${CALIB_IMAGES:-32}
RANK_IMAGES=${RANK_IMAGES:-0}
THREADS=${THREADS:-2}
DROPS=${DROPS:-"0.3"}
ROUNDS=${ROUNDS:-20}
MODELS=${MODELS:-"yolox_nano_416_coco nanodet_m_320_coco fastestdet_352_coco yolov5n_640_coco yolov6lite_s_320_coco"}
# OpenMP runs with libgomp's defaults, as a user's would. (An earlier GOMP_SPINCOUNT=10000 here
# let the second thread fall asleep between the INT8 graph's ~200 small steps and wake for each:
# YOLOX-Nano's fastest INT8 model measured INT8/FP32 0.61 with it and 0.52 without.)
YOLOQ="$BUILD/yoloq"
[[ -x "$YOLOQ" ]] || { echo "no $YOLOQ: build the yoloq target first" >&2; exit 2; }
mkdir -p "$OUT"

for m in $MODELS; do
  model="$DATA/models/$m.onnx"
  echo "== $m" >&2
  for d in $DROPS; do
    start=$SECONDS
    "$YOLOQ" quantize "$model" --calib "$DATA/coco128/images/train2017" --calib-images "$CALIB_IMAGES" \
      --val "$DATA/coco128" --val-images "$VAL_IMAGES" --max-drop "$d" --rank-images "$RANK_IMAGES" \
      --out "$OUT/$m.drop$d.onnx" --threads "$THREADS" --json > "$OUT/$m.drop$d.json"
    echo $((SECONDS - start)) > "$OUT/$m.drop$d.seconds"
    # INT8 against FP32 in one process, alternating blocks of 10 runs (yoloq bench --against).
    "$YOLOQ" bench "$OUT/$m.drop$d.onnx" --against "$model" --threads "$THREADS" --rounds "$ROUNDS" --iters 10 \
      --warmup 10 --json > "$OUT/$m.drop$d.bench.json"
  done
done

# The table: one row per (model, budget).
python3 - "$OUT" $MODELS <<'PY'
import json, sys, os
out, models = sys.argv[1], sys.argv[2:]
print("| model | budget | calibrator | tables | FP32 mAP | full INT8 mAP | final mAP | drop | layers float (+ depthwise) | FP32 ms | INT8 ms | INT8/FP32 | rounds p10-p90 | met | seconds |")
print("|---|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|")
for m in models:
    for f in sorted(os.listdir(out)):
        if not (f.startswith(m + ".drop") and f.endswith(".json")) or f.endswith((".ranges.json", ".bench.json")):
            continue
        j = json.load(open(os.path.join(out, f)))
        b = j["budget"]
        full = b["steps"][0]["map"] if b["steps"] else float("nan")
        secs = open(os.path.join(out, f[:-5] + ".seconds")).read().strip()
        bench = json.load(open(os.path.join(out, f[:-5] + ".bench.json")))
        lat = {"fp32": bench["against"]["median_ms"], "int8": bench["median_ms"], "ratio": bench["ratio"],
               "spread": f"{bench['ratio_p10']:.2f}-{bench['ratio_p90']:.2f}"}
        tables = j.get("table_activations", 0)
        print(f"| {m} | {b['max_drop']} | {j['method']} | {tables or 'no'} | {j['map']['fp32']:.2f} | {full:.2f} | {j['map']['int8']:.2f} "
              f"| {j['map']['drop']:.2f} | {len(j['float_layers'])} (+{len(j.get('depthwise_float_layers', []))}) "
              f"| {lat['fp32']:.2f} | {lat['int8']:.2f} | {lat['ratio']:.2f} | {lat['spread']} | {'yes' if b['met'] else 'no'} | {secs} |")
PY
