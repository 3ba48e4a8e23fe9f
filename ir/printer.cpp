// SPDX-License-Identifier: Apache-2.0
#include "ir/printer.h"

#include <cstdio>
#include <sstream>
#include <type_traits>

namespace yq::ir {
namespace {

constexpr size_t kMaxListItems = 16;

std::string fmt_float(float f) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", static_cast<double>(f));
  return buf;
}

std::string type_suffix(DType dtype, const Shape& shape) {
  return std::string(dtype == DType::kF32 ? "" : dtype_name(dtype)) + shape_str(shape);
}

std::string value_ref(const Graph& g, ValueId id) {
  if (id == kNoValue) return "_";
  const Value& v = g.value(id);
  if (v.is_constant()) return "$" + v.name + type_suffix(v.dtype, v.shape);
  return "%" + v.name;
}

std::string value_def(const Value& v) {
  std::string s = "%" + v.name;
  if (v.shape_known) {
    s += ':';
    s += type_suffix(v.dtype, v.shape);
  }
  return s;
}

template <typename T, typename F>
std::string fmt_list(const std::vector<T>& v, F&& item) {
  std::string s = "[";
  for (size_t i = 0; i < v.size() && i < kMaxListItems; ++i) {
    if (i) s += ',';
    s += item(v[i]);
  }
  if (v.size() > kMaxListItems) {
    s += ",...(";
    s += std::to_string(v.size());
    s += ')';
  }
  s += ']';
  return s;
}

std::string fmt_attr(const AttrValue& a) {
  return std::visit(
      [](const auto& v) -> std::string {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, int64_t>) {
          return std::to_string(v);
        } else if constexpr (std::is_same_v<T, float>) {
          return fmt_float(v);
        } else if constexpr (std::is_same_v<T, std::string>) {
          return "\"" + v + "\"";
        } else if constexpr (std::is_same_v<T, std::vector<int64_t>>) {
          return fmt_list(v, [](int64_t x) { return std::to_string(x); });
        } else if constexpr (std::is_same_v<T, std::vector<float>>) {
          return fmt_list(v, fmt_float);
        } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
          return fmt_list(v, [](const std::string& x) { return "\"" + x + "\""; });
        } else {
          return std::string("tensor<") + dtype_name(v.dtype()) + shape_str(v.shape()) + ">";
        }
      },
      a);
}

}  // namespace

std::string print_node(const Graph& g, NodeId id) {
  const Node& n = g.node(id);
  std::string s;
  for (size_t i = 0; i < n.outputs().size(); ++i) {
    if (i) s += ", ";
    s += n.output(i) == kNoValue ? "_" : value_def(g.value(n.output(i)));
  }
  s += " = ";
  if (!n.domain.empty()) s += n.domain + ".";
  s += n.op_type + "(";
  for (size_t i = 0; i < n.inputs().size(); ++i) {
    if (i) s += ", ";
    s += value_ref(g, n.input(i));
  }
  s += ")";
  if (!n.attrs.all().empty()) {
    s += " {";
    bool first = true;
    for (const auto& [name, value] : n.attrs.all()) {
      if (!first) s += ", ";
      s += name;
      s += '=';
      s += fmt_attr(value);
      first = false;
    }
    s += "}";
  }
  return s;
}

std::string print_graph(const Graph& g) {
  std::ostringstream os;
  os << "graph " << (g.name.empty() ? "<unnamed>" : g.name) << " (";
  bool first = true;
  for (const auto& [dom, ver] : g.opsets) {
    os << (first ? "" : ", ") << (dom.empty() ? "opset" : dom) << " " << ver;
    first = false;
  }
  os << ")\n";
  for (ValueId v : g.inputs()) os << "input " << value_def(g.value(v)) << "\n";
  for (NodeId n : g.topo_order()) os << print_node(g, n) << "\n";
  for (ValueId v : g.outputs()) os << "output " << value_ref(g, v) << "\n";
  return os.str();
}

}  // namespace yq::ir
