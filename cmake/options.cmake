# SPDX-License-Identifier: Apache-2.0
# Every yoloq build switch lives here, prefixed YOLOQ_.
option(YOLOQ_BUILD_TESTS "Build the GoogleTest suite" ON)
option(YOLOQ_BUILD_BENCH "Build Google Benchmark targets under bench/" OFF)
option(YOLOQ_BUILD_FUZZ "Build libFuzzer targets (needs clang)" OFF)
option(YOLOQ_WITH_TORCH "Build train/ on libtorch" OFF)
option(YOLOQ_WITH_SERVE "Build serve/ on cpp-httplib" OFF)
option(YOLOQ_WERROR "Treat warnings as errors" OFF)
set(YOLOQ_SANITIZE "" CACHE STRING "Sanitizers: '', 'address;undefined', 'thread'")
