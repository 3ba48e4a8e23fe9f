#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Configures a clang + ASan/UBSan build in DIR, builds fuzz_onnx_import and runs it for SECONDS
# on a copy of the seed corpus (the source tree is never modified). Crashes land in DIR/crashes.
# Usage: fuzz/run_fuzz.sh DIR SECONDS
set -eu
[ $# -eq 2 ] || { echo "usage: $0 DIR SECONDS" >&2; exit 2; }
build="$1"
seconds="$2"
root="$(cd "$(dirname "$0")/.." && pwd)"

CXX=clang++ CC=clang cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DYOLOQ_BUILD_FUZZ=ON -DYOLOQ_BUILD_TESTS=OFF "-DYOLOQ_SANITIZE=address;undefined" \
  "-DCMAKE_CXX_FLAGS=-fno-sanitize-recover=all"
ninja -C "$build" -j 2 fuzz_onnx_import

corpus="$(mktemp -d)"
trap 'rm -rf "$corpus"' EXIT
"$root/fuzz/make_seed_corpus.sh" "$corpus"
mkdir -p "$build/crashes"
# rss_limit: refusing absurd sizes before allocating is part of what is being tested.
"$build/fuzz/fuzz_onnx_import" "$corpus" -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=65536 \
  -artifact_prefix="$build/crashes/" -print_final_stats=1
