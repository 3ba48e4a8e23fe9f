// SPDX-License-Identifier: Apache-2.0
#include "cli/common_options.h"

#include <cstdio>
#include <iostream>

namespace yq::cli {

void ModelOptions::add_to(CLI::App& cmd) {
  cmd.add_option("model", model, "ONNX model file")->required();
  cmd.add_option("--input-shape", input_shape, "override input 0's shape, e.g. 1,3,640,640");
  cmd.add_option("--batch", batch, "batch size (sets dim 0 of every input)")->check(CLI::Range(1, 4096));
  cmd.add_flag("--no-optimize", no_optimize, "skip graph fusion passes");
  cmd.add_flag("--dump-ir", dump_ir, "print the IR after every pass to stderr");
  cmd.add_flag("--json", json, "print one JSON object on stdout");
}

Expected<runtime::LoadOptions> ModelOptions::to_load_options() const {
  runtime::LoadOptions o;
  if (!input_shape.empty()) {
    YQ_ASSIGN_OR_RETURN(Shape s, parse_shape(input_shape));
    o.input_shape = s;
  }
  o.batch = batch;
  o.optimize = !no_optimize;
  o.pipeline.dump_ir = dump_ir;
  return o;
}

Expected<Shape> parse_shape(const std::string& text) {
  Shape s;
  size_t pos = 0;
  while (pos <= text.size()) {
    const size_t comma = text.find_first_of(",x", pos);
    const std::string tok = text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    char* end = nullptr;
    const long long v = std::strtoll(tok.c_str(), &end, 10);
    if (tok.empty() || *end != '\0' || v <= 0 || v > (1LL << 31)) {
      return invalid_argument("--input-shape '" + text + "': expected positive integers like 1,3,640,640");
    }
    s.push_back(v);
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return s;
}

int report_error(const Status& s) {
  std::fprintf(stderr, "yoloq: error: %s\n", s.message().c_str());
  return 2;
}

void print_json(const nlohmann::json& j) { std::cout << j.dump(2) << std::endl; }

nlohmann::json shape_json(const Shape& s) { return nlohmann::json(s); }

std::string safe_file_name(const std::string& name) {
  std::string out = name;
  for (char& c : out) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '_' || c == '-';
    if (!ok) c = '_';
  }
  return out.empty() ? "_" : out;
}

}  // namespace yq::cli
