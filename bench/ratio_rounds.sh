#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# INT8/FP32 latency ratios of model pairs, robust to a busy machine: for each pair, both models in
# one process (`yoloq bench INT8 --against FP32 --threads 2`), ROUNDS rounds of blocks of 10 runs
# (INT8, FP32, FP32, INT8); prints per pair the median FP32 and INT8 times and the median of the
# per-round ratios. Not run by CI.
#
# usage: bench/ratio_rounds.sh ROUNDS YOLOQ FP32.onnx INT8.onnx [FP32.onnx INT8.onnx ...]
set -euo pipefail
[[ $# -ge 4 && $(( ($# - 2) % 2 )) -eq 0 ]] || { echo "usage: $0 ROUNDS YOLOQ FP32.onnx INT8.onnx [...]" >&2; exit 2; }
ROUNDS=$1
YOLOQ=$2
shift 2
args=("$@")
for ((i = 0; i < ${#args[@]}; i += 2)); do
  "$YOLOQ" bench "${args[i + 1]}" --against "${args[i]}" --threads 2 --rounds "$ROUNDS" --iters 10 --warmup 10 \
    --json | python3 -c "
import json, sys
d = json.load(sys.stdin)
print('pair', $((i / 2)), 'fp32', round(d['against']['median_ms'], 3), 'int8', round(d['median_ms'], 3),
      'ratio', round(d['ratio'], 3), '(rounds p10', round(d['ratio_p10'], 3), 'p90', round(d['ratio_p90'], 3), end=')\n')"
done
