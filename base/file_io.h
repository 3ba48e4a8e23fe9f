// SPDX-License-Identifier: Apache-2.0
// Whole-file reads and atomic writes. Every output yoloq produces goes through
// write_file_atomic: data lands in "<path>.tmp.<pid>" and is renamed over <path> only when
// complete, so a crash or error never leaves a half-written file behind.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace yq {

// Reads at most max_bytes (refusing larger files before allocating).
Expected<std::string> read_file(const std::string& path, size_t max_bytes = size_t{4} << 30);
Status write_file_atomic(const std::string& path, std::string_view bytes);
// Creates folder `dir` and its parents if missing (an empty `dir` is the current folder). Commands
// call it before long work so that an unwritable output place fails first, not last.
Status ensure_folder(const std::string& dir);

}  // namespace yq
