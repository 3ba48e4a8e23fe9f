#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Copies the ONNX fixtures (tests/fixtures/onnx, made by tools/make_onnx_fixtures.py) into DIR as
# the fuzzer's seed corpus. Usage: fuzz/make_seed_corpus.sh DIR
set -eu
[ $# -eq 1 ] || { echo "usage: $0 DIR" >&2; exit 2; }
src="$(cd "$(dirname "$0")/.." && pwd)/tests/fixtures/onnx"
mkdir -p "$1"
cp "$src"/*.onnx "$1"/
echo "seed corpus: $(ls "$1" | wc -l) files in $1"
