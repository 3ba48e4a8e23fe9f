#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end checks of the yoloq CLI contract: bad input gives one line
# `yoloq: error: FILE: reason` and exit code 2; --json prints exactly one JSON object.
# Usage: cli_test.sh BUILD_DIR SOURCE_DIR
set -uo pipefail
yoloq="$1/yoloq"
src="$2"
data="${YOLOQ_DATA:-$src/../shared/data}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
pass=0

expect_error() {  # name, expected substring, command...
  local name="$1" want="$2"
  shift 2
  "$@" >"$tmp/out" 2>"$tmp/err"
  local rc=$?
  local lines
  lines=$(wc -l <"$tmp/err")
  if [ "$rc" -ne 2 ] || ! grep -q "^yoloq: error: .*$want" "$tmp/err" || [ "$lines" -ne 1 ]; then
    echo "FAIL $name: rc=$rc, stderr:"; cat "$tmp/err"; fails=$((fails + 1))
  else
    echo "ok   $name: $(cat "$tmp/err")"; pass=$((pass + 1))
  fi
}

expect_error missing-file "$tmp/nope.onnx" "$yoloq" info "$tmp/nope.onnx"
head -c 3000 /dev/urandom >"$tmp/random.onnx"
expect_error random-bytes "$tmp/random.onnx" "$yoloq" info "$tmp/random.onnx"
: >"$tmp/empty.onnx"
expect_error empty-file "$tmp/empty.onnx" "$yoloq" info "$tmp/empty.onnx"

model="$data/models/yolox_nano_416_coco.onnx"
if [ -f "$model" ]; then
  head -c 1000000 "$model" >"$tmp/truncated.onnx"
  expect_error truncated "$tmp/truncated.onnx" "$yoloq" info "$tmp/truncated.onnx"
  expect_error bad-shape "input-shape" "$yoloq" info "$model" --input-shape 1,3,abc
  expect_error bad-input-npy "$tmp/in.npy" "$yoloq" run "$model" --input "$tmp/in.npy" --out "$tmp/o"
  echo "not an image" >"$tmp/bad.jpg"
  expect_error corrupt-image "$tmp/bad.jpg" "$yoloq" run "$model" --image "$tmp/bad.jpg" --preprocess yolox --out "$tmp/o"
  mkdir -p "$tmp/empty_calib"
  expect_error empty-calib-folder "$tmp/empty_calib" "$yoloq" quantize "$model" --calib "$tmp/empty_calib" --out "$tmp/q/x.onnx"
  if ls "$tmp/q" 2>/dev/null | grep -q .; then echo "FAIL quantize left files after an error"; fails=$((fails + 1)); fi
  expect_error sensitivity-unwritable-out "cannot create output folder" "$yoloq" sensitivity "$model" \
    --calib "$data/coco128/images/train2017" --out /dev/null/ranking
  expect_error bad-method "entropy" "$yoloq" quantize "$model" --calib "$tmp/empty_calib" --method kl --out "$tmp/q/x.onnx"
  expect_error equalize-needs-depthwise "needs --quantize-depthwise" "$yoloq" quantize "$model" \
    --calib "$data/coco128/images/train2017" --equalize-depthwise lossy --out "$tmp/q/x.onnx"
  expect_error bench-against-missing "$tmp/nope.onnx" "$yoloq" bench "$model" --against "$tmp/nope.onnx" --iters 1
  # --against: both models timed in one process; the ratio is this model's median over the other's.
  fastest="$data/models/fastestdet_352_coco.onnx"
  if "$yoloq" bench "$fastest" --against "$model" --iters 2 --rounds 3 --warmup 0 --json >"$tmp/j" 2>"$tmp/err" &&
     /usr/bin/python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["rounds"] == 3 and d["against"]["model"].endswith("yolox_nano_416_coco.onnx"), d
assert 0 < d["ratio_p10"] <= d["ratio"] <= d["ratio_p90"], d
assert 0 < d["min_ms"] <= d["median_ms"] and 0 < d["against"]["min_ms"] <= d["against"]["median_ms"], d
' "$tmp/j"; then
    echo "ok   bench-against"; pass=$((pass + 1))
  else
    echo "FAIL bench-against"; cat "$tmp/j" "$tmp/err"; fails=$((fails + 1))
  fi
  for cmd in info "bench --iters 2 --warmup 0"; do
    # shellcheck disable=SC2086
    if "$yoloq" $cmd "$model" --json >"$tmp/j" 2>"$tmp/err" && /usr/bin/python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$tmp/j"; then
      echo "ok   json-$cmd"; pass=$((pass + 1))
    else
      echo "FAIL json-$cmd: stdout is not one JSON object"; cat "$tmp/j" "$tmp/err"; fails=$((fails + 1))
    fi
  done
  if "$yoloq" run "$model" --image "$data/coco128/images/val2017/000000000139.jpg" --preprocess yolox --out "$tmp/o" --json >"$tmp/j" &&
     [ -f "$tmp/o/output.npy" ]; then
    echo "ok   run-writes-npy"; pass=$((pass + 1))
  else
    echo "FAIL run-writes-npy"; fails=$((fails + 1))
  fi
  ls "$tmp/o" | grep -q '\.tmp\.' && { echo "FAIL temp file left behind"; fails=$((fails + 1)); }
  # Budget mode starts from everything INT8, depthwise convs included: with a budget nothing can
  # miss, NanoDet-m (25 depthwise convs) must come back with no float layer of any kind.
  nanodet="$data/models/nanodet_m_320_coco.onnx"
  if "$yoloq" quantize "$nanodet" --calib "$data/coco128/images/train2017" --calib-images 4 --val "$data/coco128" \
       --val-images 8 --images 2 --max-drop 100 --out "$tmp/q/n.onnx" --json >"$tmp/j" 2>"$tmp/err" &&
     /usr/bin/python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
b = d["budget"]
assert b["met"] and b["float_layers"] == [] and d["depthwise_float_layers"] == [], (b, d["depthwise_float_layers"])
assert set(b["calibrators"]["depthwise_int8"]) == {"entropy", "percentile", "mse", "minmax", "per-layer"}, b["calibrators"]
assert b["table_activations"] is False and d["table_activations"] == 0  # LeakyReLU: no table activation
assert b["search_start"] == "depthwise_int8", b["search_start"]
' "$tmp/j"; then
    echo "ok   budget-starts-from-depthwise-int8"; pass=$((pass + 1))
  else
    echo "FAIL budget-starts-from-depthwise-int8"; tail -3 "$tmp/err"; fails=$((fails + 1))
  fi
  # With a budget nothing can miss, a model with SiLUs ends in the fastest configuration, the
  # first one tried: every conv INT8 (depthwise too), table activations, u8 zero points.
  if "$yoloq" quantize "$model" --calib "$data/coco128/images/train2017" --calib-images 4 --val "$data/coco128" \
       --val-images 4 --images 2 --max-drop 100 --method minmax --out "$tmp/q/b.onnx" --json >"$tmp/j" 2>"$tmp/err" &&
     /usr/bin/python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
b = d["budget"]
assert b["met"] and b["table_activations"] is True and d["table_activations"] > 0, (b, d["table_activations"])
assert b["zero_points"] is True and d["zero_point_values"] > 0, (b["zero_points"], d["zero_point_values"])
assert "fastest" in b["calibrators"] and "depthwise_int8" not in b["calibrators"], b["calibrators"]
assert b["search_start"] == "fastest", b["search_start"]
assert d["depthwise_float_layers"] == [], d["depthwise_float_layers"]
' "$tmp/j"; then
    echo "ok   budget-takes-the-fastest-configuration"; pass=$((pass + 1))
  else
    echo "FAIL budget-takes-the-fastest-configuration"; tail -3 "$tmp/err"; fails=$((fails + 1))
  fi
  # --table-activations: YOLOX-Nano's SiLUs after INT8 convs run as byte tables, and the QDQ file
  # loads back with them (the importer turns Q/DQ -> Sigmoid, Mul into one Activation node).
  if "$yoloq" quantize "$model" --calib "$data/coco128/images/train2017" --calib-images 2 --method minmax \
       --table-activations --out "$tmp/q/t.onnx" --json >"$tmp/j" 2>"$tmp/err" &&
     "$yoloq" info "$tmp/q/t.onnx" --compiled --json >"$tmp/ji" 2>>"$tmp/err" &&
     /usr/bin/python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["table_activations"] > 0, d["table_activations"]
info = open(sys.argv[2]).read()
# alone ("int8:table:silu") or fused with the 1x1 conv before it ("int8:conv1x1+table:silu")
assert info.count("table:silu") == d["table_activations"], (info.count("table:silu"), d["table_activations"])
' "$tmp/j" "$tmp/ji"; then
    echo "ok   table-activations-round-trip"; pass=$((pass + 1))
  else
    echo "FAIL table-activations-round-trip"; tail -3 "$tmp/err"; fails=$((fails + 1))
  fi
else
  echo "SKIPPED real-model CLI checks: $model not found (set YOLOQ_DATA)"
fi
echo "$pass passed, $fails failed"
[ "$fails" -eq 0 ]
