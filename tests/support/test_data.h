// SPDX-License-Identifier: Apache-2.0
// Where tests find the shared real data ($YOLOQ_DATA, default <source>/../shared/data) and the
// ONNX Runtime oracle. Tests call YQ_REQUIRE_DATA() and are SKIPPED, with the reason printed,
// when the data is absent.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>

namespace yq::testing {

inline std::string data_dir() {
  if (const char* env = std::getenv("YOLOQ_DATA"); env && *env) return env;
  return std::string(YQ_SOURCE_DIR) + "/../shared/data";
}
inline std::string model_path(const std::string& file) { return data_dir() + "/models/" + file; }
inline bool has_file(const std::string& path) { return std::filesystem::exists(path); }
inline std::string source_dir() { return YQ_SOURCE_DIR; }

}  // namespace yq::testing

#define YQ_REQUIRE_FILE(path)                                                                      \
  do {                                                                                             \
    if (!::yq::testing::has_file(path)) {                                                          \
      GTEST_SKIP() << "SKIPPED: test data not found: " << (path) << " (set YOLOQ_DATA to the shared data dir)"; \
    }                                                                                              \
  } while (0)
