#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The main job on the default model: install, build, then quantize YOLOX-Nano to INT8 (calibrate
# on coco128 train2017, evaluate on val2017) with the accuracy-budget mode, and print the
# FP32-vs-INT8 report. Data comes from $YOLOQ_DATA (default ../shared/data); pass another model
# path as $1 to quantize that instead.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh"
data="${YOLOQ_DATA:-$root/../shared/data}"
model="${1:-$data/models/yolox_nano_416_coco.onnx}"
if [ ! -f "$model" ]; then
  echo "quickstart: error: $model: no such model (set YOLOQ_DATA or pass a model path)" >&2
  exit 2
fi
yoloq="$root/build/yoloq"
out="$root/out"
mkdir -p "$out"
name=$(basename "$model" .onnx)
"$yoloq" info "$model"
echo
"$yoloq" quantize "$model" --calib "$data/coco128/images/train2017" --calib-images 32 \
  --val "$data/coco128" --max-drop 0.3 --out "$out/${name}_int8.onnx"
echo
echo "quickstart: ok — INT8 model, ranges, TensorRT cache and budget report in $out/"
