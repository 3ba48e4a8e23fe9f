// SPDX-License-Identifier: Apache-2.0
// The op registry. Each ir/ops/<family>.cpp contributes its schemas through one
// `add_<family>_schemas` function listed here, so the full op set reads in one place.
#include "ir/op_schema.h"

#include <map>

#include "ir/ops/op_families.h"

namespace yq::ir {
namespace {

const std::map<std::string, OpSchema>& registry() {
  static const std::map<std::string, OpSchema> kRegistry = [] {
    std::map<std::string, OpSchema> m;
    for (auto add : kOpFamilies) add(m);
    return m;
  }();
  return kRegistry;
}

}  // namespace

const OpSchema* find_op_schema(const std::string& op_type) {
  auto it = registry().find(op_type);
  return it == registry().end() ? nullptr : &it->second;
}

std::vector<std::string> supported_op_types() {
  std::vector<std::string> out;
  for (const auto& [name, schema] : registry()) out.push_back(name);
  return out;
}

}  // namespace yq::ir
