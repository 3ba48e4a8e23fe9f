#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The test command: install dependencies, build in Release, fuzz the ONNX importer briefly
# (clang, ASan+UBSan, seed corpus), then run the whole ctest suite in parallel. Tests that need
# ../shared/data (or $YOLOQ_DATA) print SKIPPED with the reason when it is absent.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh"
export YOLOQ_DATA="${YOLOQ_DATA:-$root/../shared/data}"
[ -d "$YOLOQ_DATA/models" ] || echo "test: WARNING: no models under YOLOQ_DATA=$YOLOQ_DATA; real-model tests will be SKIPPED"
"$root/fuzz/run_fuzz.sh" "$root/build-fuzz" "${YOLOQ_FUZZ_SECONDS:-45}" 2>&1 | tail -n 5
ctest --test-dir "$root/build" -j "$(nproc)" --output-on-failure --timeout 900
