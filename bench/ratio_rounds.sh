#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# INT8/FP32 latency ratios of model pairs, robust to a busy machine: ROUNDS rounds, each running
# FP32, INT8, INT8, FP32 (`yoloq bench --threads 2 --iters 60 --warmup 10`), so both sides take
# both positions (the second of two back-to-back runs measured up to 8% faster here); prints per
# pair the median FP32 and INT8 times and the median of the per-round ratios. Not run by CI.
#
# usage: bench/ratio_rounds.sh ROUNDS YOLOQ FP32.onnx INT8.onnx [FP32.onnx INT8.onnx ...]
set -euo pipefail
[[ $# -ge 4 && $(( ($# - 2) % 2 )) -eq 0 ]] || { echo "usage: $0 ROUNDS YOLOQ FP32.onnx INT8.onnx [...]" >&2; exit 2; }
ROUNDS=$1
YOLOQ=$2
shift 2
one() { "$YOLOQ" bench "$1" --threads 2 --iters 60 --warmup 10 --json | python3 -c "import json,sys; print(json.load(sys.stdin)['median_ms'])"; }
args=("$@")
for _ in $(seq "$ROUNDS"); do
  line=""
  for ((i = 0; i < ${#args[@]}; i += 2)); do
    f=${args[i]}
    q=${args[i + 1]}
    a=$(one "$f"); b=$(one "$q"); c=$(one "$q"); d=$(one "$f")
    line="$line $a $b $c $d"
  done
  echo "$line"
done | python3 -c "
import sys, statistics as st
rows = [list(map(float, l.split())) for l in sys.stdin]
for i in range(len(rows[0]) // 4):
    f = [(r[4 * i] + r[4 * i + 3]) / 2 for r in rows]
    q = [(r[4 * i + 1] + r[4 * i + 2]) / 2 for r in rows]
    print('pair', i, 'fp32', round(st.median(f), 3), 'int8', round(st.median(q), 3),
          'ratio', round(st.median(y / x for x, y in zip(f, q)), 3))
"
