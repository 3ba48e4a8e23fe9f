#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs everything yoloq needs on a fresh Debian 12 machine: the Debian -dev packages the build
# links, the test/bench tools, and onnxruntime-node (the reference oracle) into .deps/ort.
# Idempotent: a second run only checks. Needs root (or sudo) for apt-get.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

packages=(
  build-essential cmake ninja-build pkg-config git
  libdnnl-dev                       # oneDNN 2.6: fp32/int8 conv, pooling, ...
  ocl-icd-opencl-dev opencl-headers # dnnl-config.cmake finds OpenCL; only a Recommends of libdnnl-dev
  libonnx-dev libprotobuf-dev protobuf-compiler   # ONNX protobuf classes
  libopencv-dev                     # image decode/resize
  libcli11-dev nlohmann-json3-dev libcpp-httplib-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  clang lld libclang-rt-14-dev      # libFuzzer + sanitizers
  python3-onnx python3-numpy        # ONNX checker in tests, fixture generators under tools/
)
# Node.js runs the onnxruntime-node oracle. A machine may already have its own Node (not Debian's
# package, and Debian's npm then conflicts with it): install Debian's only when none is on PATH.
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  echo "install-deps: apt-get install ${missing[*]}"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# onnxruntime-node: its postinstall downloads nothing we need (and the download is blocked here);
# the npm package ships the CPU binary.
ort_dir="$root/.deps/ort"
if [ ! -f "$ort_dir/node_modules/onnxruntime-node/package.json" ]; then
  echo "install-deps: npm install onnxruntime-node into .deps/ort"
  mkdir -p "$ort_dir"
  [ -f "$ort_dir/package.json" ] || echo '{"name":"yoloq-ort-oracle","private":true}' > "$ort_dir/package.json"
  (cd "$ort_dir" && npm install --ignore-scripts --no-audit --no-fund --loglevel=error onnxruntime-node@1 >/dev/null)
fi
echo "install-deps: ok"
