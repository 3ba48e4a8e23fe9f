// SPDX-License-Identifier: Apache-2.0
// Options every model-taking subcommand shares, and the one way to print results: human text on
// stdout, or (with --json) exactly one JSON object on stdout. Errors go to stderr as
// `yoloq: error: <file>: <reason>` with exit code 2.
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "base/status.h"
#include "runtime/load_model.h"

namespace yq::cli {

struct ModelOptions {
  std::string model;
  std::string input_shape;  // "1,3,640,640"
  int64_t batch = 0;
  bool no_optimize = false;
  bool dump_ir = false;
  bool json = false;

  void add_to(CLI::App& cmd);
  Expected<runtime::LoadOptions> to_load_options() const;
};

Expected<Shape> parse_shape(const std::string& text);
int report_error(const Status& s);  // prints, returns 2
void print_json(const nlohmann::json& j);
nlohmann::json shape_json(const Shape& s);
// Output names become file names: anything outside [A-Za-z0-9._-] becomes '_'.
std::string safe_file_name(const std::string& name);

}  // namespace yq::cli
