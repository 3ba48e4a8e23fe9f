#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Configures and builds yoloq in Release into build/ (the CLI lands at build/yoloq).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cmake -S "$root" -B "$root/build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DYOLOQ_BUILD_TESTS=ON "$@" >/dev/null
cmake --build "$root/build" -j "$(nproc)"
