#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Reproduces the targets table of the "sensitivity analysis, partial quantization, accuracy-budget
# automatic mode" issue for the five shared models: `yoloq quantize --max-drop D` for each budget D
# (calibrator chosen by mAP, layers ranked by the built-in one-float mAP sweep on RANK_IMAGES
# validation images, budget judged on VAL_IMAGES), reporting FP32 and final INT8 mAP, layers kept
# float, how many activations run as INT8 tables (the budget takes them when they still meet it),
# INT8 vs FP32 latency and the wall time of the whole command. Not run by CI (minutes per
# model). The latency columns re-bench the written model against the FP32 one afterwards:
# ROUNDS rounds of `yoloq bench` runs (FP32, INT8, INT8, FP32), the median of the per-round
# ratios (a busy moment of a shared machine then hits both sides of a round alike).
#
# usage: bench/sensitivity_targets.sh [BUILD_DIR] [OUT_DIR]
#   env: YOLOQ_DATA (default ../shared/data), VAL_IMAGES (0 = all 128), CALIB_IMAGES (32),
#        RANK_IMAGES (0 = the budget's images), THREADS (2), MODELS (space-separated basenames; default: all five),
#        DROPS ("0.3"), ROUNDS (5)
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
ROUNDS=${ROUNDS:-5}
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
    : > "$OUT/$m.drop$d.bench"
    # Each round runs FP32, INT8, INT8, FP32: the second of two back-to-back runs measured up to 8%
    # faster here, so each side gets both positions.
    for r in $(seq "$ROUNDS"); do
      for f in "$model" "$OUT/$m.drop$d.onnx" "$OUT/$m.drop$d.onnx" "$model"; do
        "$YOLOQ" bench "$f" --threads "$THREADS" --iters 60 --warmup 10 --json |
          python3 -c 'import json,sys; print(json.load(sys.stdin)["median_ms"], end=" ")' >> "$OUT/$m.drop$d.bench"
      done
      echo >> "$OUT/$m.drop$d.bench"
    done
  done
done

# The table: one row per (model, budget).
python3 - "$OUT" $MODELS <<'PY'
import json, sys, os
out, models = sys.argv[1], sys.argv[2:]
print("| model | budget | calibrator | tables | FP32 mAP | full INT8 mAP | final mAP | drop | layers float (+ depthwise) | FP32 ms | INT8 ms | INT8/FP32 | met | seconds |")
print("|---|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|")
for m in models:
    for f in sorted(os.listdir(out)):
        if not (f.startswith(m + ".drop") and f.endswith(".json")) or f.endswith(".ranges.json"):
            continue
        j = json.load(open(os.path.join(out, f)))
        b = j["budget"]
        full = b["steps"][0]["map"] if b["steps"] else float("nan")
        secs = open(os.path.join(out, f[:-5] + ".seconds")).read().strip()
        # one round: FP32, INT8, INT8, FP32
        runs = [tuple(map(float, l.split())) for l in open(os.path.join(out, f[:-5] + ".bench")) if l.strip()]
        rounds = [((a + d) / 2, (b + c) / 2) for a, b, c, d in runs]
        ratios = sorted(i / f32 for f32, i in rounds)
        mid = lambda xs: sorted(xs)[len(xs) // 2]
        lat = {"fp32": mid([r[0] for r in rounds]), "int8": mid([r[1] for r in rounds]), "ratio": mid(ratios)}
        tables = j.get("table_activations", 0)
        print(f"| {m} | {b['max_drop']} | {j['method']} | {tables or 'no'} | {j['map']['fp32']:.2f} | {full:.2f} | {j['map']['int8']:.2f} "
              f"| {j['map']['drop']:.2f} | {len(j['float_layers'])} (+{len(j.get('depthwise_float_layers', []))}) "
              f"| {lat['fp32']:.2f} | {lat['int8']:.2f} | {lat['ratio']:.2f} | {'yes' if b['met'] else 'no'} | {secs} |")
PY
