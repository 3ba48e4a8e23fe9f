// SPDX-License-Identifier: Apache-2.0
// yoloq: calibrate, quantize, evaluate and benchmark YOLO-family detectors.
#include <CLI/CLI.hpp>
#include <map>

#include "base/log.h"
#include "cli/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"yoloq: INT8 YOLO-family detectors at FP32 accuracy"};
  app.require_subcommand(1);
  bool verbose = false;
  app.add_flag("-v,--verbose", verbose, "log progress and details to stderr");
  std::map<std::string, yq::cli::Runner> runners = {
      {"info", yq::cli::add_info_command(app)},
      {"run", yq::cli::add_run_command(app)},
      {"bench", yq::cli::add_bench_command(app)},
      {"val", yq::cli::add_val_command(app)},
      {"detect", yq::cli::add_detect_command(app)},
      {"quantize", yq::cli::add_quantize_command(app)},
      {"compare", yq::cli::add_compare_command(app)},
      {"sensitivity", yq::cli::add_sensitivity_command(app)},
  };
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // Usage errors exit 2 like every other bad input (CLI11 prints help/usage itself).
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  if (verbose) yq::set_log_level(yq::LogLevel::kInfo);
  for (auto* sub : app.get_subcommands()) return runners.at(sub->get_name())();
  return 2;
}
