// SPDX-License-Identifier: Apache-2.0
// Shared by the QDQ export tests: the ONNX checker and the ONNX Runtime oracle as external tools.
#pragma once

#include <cstdlib>
#include <string>

#include "tests/support/test_data.h"

namespace yq::quant::testing {

inline bool python_has_onnx() { return std::system("/usr/bin/python3 -c 'import onnx' > /dev/null 2>&1") == 0; }

// onnx.checker.check_model(full_check=True); true when it passes.
inline bool onnx_checker_passes(const std::string& path) {
  const std::string cmd =
      "/usr/bin/python3 -c \"import onnx,sys; onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)\" '" +
      path + "'";
  return std::system(cmd.c_str()) == 0;
}

inline bool has_ort() {
  return yq::testing::has_file(yq::testing::source_dir() + "/.deps/ort/node_modules/onnxruntime-node");
}

// tools/ort_run.mjs writes one .npy per output (named after the output) into out_dir.
inline bool run_ort(const std::string& model, const std::string& input_npy, const std::string& out_dir) {
  const std::string cmd = "node '" + yq::testing::source_dir() + "/tools/ort_run.mjs' run '" + model + "' '" +
                          input_npy + "' '" + out_dir + "' --threads 1 > /dev/null";
  return std::system(cmd.c_str()) == 0;
}

}  // namespace yq::quant::testing

#define YQ_REQUIRE_ONNX_CHECKER()                                                                  \
  do {                                                                                             \
    if (!::yq::quant::testing::python_has_onnx()) {                                                \
      GTEST_SKIP() << "SKIPPED: /usr/bin/python3 has no 'onnx' module; the ONNX checker cannot run"; \
    }                                                                                              \
  } while (0)
#define YQ_REQUIRE_ORT()                                                                            \
  do {                                                                                             \
    if (!::yq::quant::testing::has_ort()) {                                                        \
      GTEST_SKIP() << "SKIPPED: onnxruntime-node missing: run scripts/install-deps.sh";            \
    }                                                                                              \
  } while (0)
