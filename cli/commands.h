// SPDX-License-Identifier: Apache-2.0
// Subcommands of the `yoloq` CLI. Each registers its options on the CLI11 app and returns the
// process exit code: 0 success, 2 bad input (with `yoloq: error: ...` on stderr).
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace yq::cli {

using Runner = std::function<int()>;

Runner add_info_command(CLI::App& app);
Runner add_run_command(CLI::App& app);
Runner add_bench_command(CLI::App& app);
Runner add_val_command(CLI::App& app);
Runner add_detect_command(CLI::App& app);
Runner add_quantize_command(CLI::App& app);
Runner add_compare_command(CLI::App& app);
Runner add_sensitivity_command(CLI::App& app);

}  // namespace yq::cli
