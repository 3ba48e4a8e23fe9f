#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The main job on the default model: install, build, then describe and benchmark YOLOX-Nano
# (from $YOLOQ_DATA, default ../shared/data) and run it on a real image.
# As quantization lands this grows into `yoloq quantize` with its FP32-vs-INT8 report.
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
"$yoloq" info "$model"
echo
"$yoloq" bench "$model" --threads 2 --iters 50
echo
out=$(mktemp -d)
image="$data/coco128/images/val2017/000000000139.jpg"
if [ -f "$image" ]; then
  "$yoloq" run "$model" --image "$image" --preprocess yolox --out "$out"
fi
echo "quickstart: ok (outputs in $out)"
