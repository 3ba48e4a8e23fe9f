#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Reproduces the targets table of the "sensitivity analysis, partial quantization, accuracy-budget
# automatic mode" issue for the five shared models: per model, a one-float SQNR sensitivity ranking,
# then `yoloq quantize --max-drop D` for D in 1.0 and 0.3 (calibrator chosen by mAP), reporting
# FP32 and final INT8 mAP, layers kept float and INT8 vs FP32 latency. Not run by CI (minutes per
# model); single-threaded so numbers are comparable on a shared machine.
#
# usage: bench/sensitivity_targets.sh [BUILD_DIR] [OUT_DIR]
#   env: YOLOQ_DATA (default ../shared/data), VAL_IMAGES (64), CALIB_IMAGES (32), SENS_IMAGES (8),
#        MODELS (space-separated basenames; default: all five), DROPS ("1.0 0.3")
set -euo pipefail
BUILD=${1:-build}
OUT=${2:-sensitivity_targets}
root=$(cd "$(dirname "$0")/.." && pwd)
DATA=${YOLOQ_DATA:-$root/../shared/data}
VAL_IMAGES=${VAL_IMAGES:-64}
CALIB_IMAGES=${CALIB_IMAGES:-32}
SENS_IMAGES=${SENS_IMAGES:-8}
DROPS=${DROPS:-"1.0 0.3"}
MODELS=${MODELS:-"yolox_nano_416_coco nanodet_m_320_coco fastestdet_352_coco yolov5n_640_coco yolov6lite_s_320_coco"}
export OMP_NUM_THREADS=1
YOLOQ="$BUILD/yoloq"
[[ -x "$YOLOQ" ]] || { echo "no $YOLOQ: build the yoloq target first" >&2; exit 2; }
mkdir -p "$OUT"

for m in $MODELS; do
  model="$DATA/models/$m.onnx"
  echo "== $m" >&2
  "$YOLOQ" sensitivity "$model" --calib "$DATA/coco128/images/train2017" --calib-images "$CALIB_IMAGES" \
    --mode one-float --metric sqnr --images "$SENS_IMAGES" --out "$OUT/$m.sens" --threads 1 --json \
    > "$OUT/$m.sens.summary.json"
  for d in $DROPS; do
    "$YOLOQ" quantize "$model" --calib "$DATA/coco128/images/train2017" --calib-images "$CALIB_IMAGES" \
      --val "$DATA/coco128" --val-images "$VAL_IMAGES" --max-drop "$d" --sensitivity "$OUT/$m.sens.json" \
      --out "$OUT/$m.drop$d.onnx" --threads 1 --json > "$OUT/$m.drop$d.json"
  done
done

# The table: one row per (model, budget).
python3 - "$OUT" $MODELS <<'PY'
import json, sys, os
out, models = sys.argv[1], sys.argv[2:]
print("| model | budget | calibrator | FP32 mAP | full INT8 mAP | final mAP | drop | layers float | FP32 ms | INT8 ms | met |")
print("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---|")
for m in models:
    for f in sorted(os.listdir(out)):
        if not (f.startswith(m + ".drop") and f.endswith(".json")):
            continue
        j = json.load(open(os.path.join(out, f)))
        b = j["budget"]
        full = b["steps"][0]["map"] if b["steps"] else float("nan")
        print(f"| {m} | {b['max_drop']} | {j['method']} | {j['map']['fp32']:.2f} | {full:.2f} | {j['map']['int8']:.2f} "
              f"| {j['map']['drop']:.2f} | {b['layers_float']} | {j['latency_ms']['fp32']:.2f} | {j['latency_ms']['int8']:.2f} "
              f"| {'yes' if b['met'] else 'no'} |")
PY
