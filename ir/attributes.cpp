// SPDX-License-Identifier: Apache-2.0
#include "ir/attributes.h"

namespace yq::ir {

int64_t Attributes::get_int(const std::string& name, int64_t def) const {
  auto it = map_.find(name);
  if (it == map_.end()) return def;
  if (auto* v = std::get_if<int64_t>(&it->second)) return *v;
  // A float read as an int truncates; one no int64 holds (NaN, infinite, beyond +-2^63: a hostile
  // file's) reads as the default, as a value of the wrong kind does (the cast would be undefined).
  if (auto* v = std::get_if<float>(&it->second))
    return *v >= -0x1p63f && *v < 0x1p63f ? static_cast<int64_t>(*v) : def;
  return def;
}

float Attributes::get_float(const std::string& name, float def) const {
  auto it = map_.find(name);
  if (it == map_.end()) return def;
  if (auto* v = std::get_if<float>(&it->second)) return *v;
  if (auto* v = std::get_if<int64_t>(&it->second)) return static_cast<float>(*v);
  return def;
}

std::string Attributes::get_string(const std::string& name, const std::string& def) const {
  auto it = map_.find(name);
  if (it == map_.end()) return def;
  if (auto* v = std::get_if<std::string>(&it->second)) return *v;
  return def;
}

std::vector<int64_t> Attributes::get_ints(const std::string& name, const std::vector<int64_t>& def) const {
  auto it = map_.find(name);
  if (it == map_.end()) return def;
  if (auto* v = std::get_if<std::vector<int64_t>>(&it->second)) return *v;
  if (auto* v = std::get_if<int64_t>(&it->second)) return {*v};
  return def;
}

std::vector<float> Attributes::get_floats(const std::string& name, const std::vector<float>& def) const {
  auto it = map_.find(name);
  if (it == map_.end()) return def;
  if (auto* v = std::get_if<std::vector<float>>(&it->second)) return *v;
  if (auto* v = std::get_if<float>(&it->second)) return {*v};
  return def;
}

const Tensor* Attributes::get_tensor(const std::string& name) const {
  auto it = map_.find(name);
  if (it == map_.end()) return nullptr;
  return std::get_if<Tensor>(&it->second);
}

}  // namespace yq::ir
