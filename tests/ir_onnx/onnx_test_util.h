// SPDX-License-Identifier: Apache-2.0
// Shared helpers for tests/ir_onnx: where the fixtures and real models are, and a structural
// graph comparison used by the round-trip tests.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <type_traits>
#include <variant>

#include "ir/graph.h"

namespace yq::ir::testing {

inline std::string fixture(const std::string& name) { return std::string(YQ_SOURCE_DIR) + "/tests/fixtures/onnx/" + name; }

inline std::string data_dir() {
  const char* env = std::getenv("YOLOQ_DATA");
  return env && *env ? std::string(env) : std::string(YQ_SOURCE_DIR) + "/../shared/data";
}

inline std::string model_path(const std::string& file) { return data_dir() + "/models/" + file; }
inline bool have_model(const std::string& file) { return std::filesystem::exists(model_path(file)); }

inline bool same_tensor(const Tensor& a, const Tensor& b) {
  return a.dtype() == b.dtype() && a.shape() == b.shape() &&
         (a.nbytes() == 0 || std::memcmp(a.raw(), b.raw(), a.nbytes()) == 0);
}

inline bool same_attr(const AttrValue& a, const AttrValue& b) {
  if (a.index() != b.index()) return false;
  return std::visit(
      [&b](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        const T& y = std::get<T>(b);
        if constexpr (std::is_same_v<T, Tensor>) {
          return same_tensor(x, y);
        } else {
          return x == y;
        }
      },
      a);
}

inline std::string value_name(const Graph& g, ValueId v) { return v == kNoValue ? "" : g.value(v).name; }

// Same names, op order, edges, attributes, constant bytes, declared shapes and model properties.
inline void expect_same_graph(const Graph& a, const Graph& b) {
  EXPECT_EQ(a.opsets, b.opsets);
  EXPECT_EQ(a.metadata, b.metadata);
  EXPECT_EQ(a.ir_version, b.ir_version);
  EXPECT_EQ(a.producer_name, b.producer_name);
  ASSERT_EQ(a.inputs().size(), b.inputs().size());
  for (size_t i = 0; i < a.inputs().size(); ++i) {
    const Value& va = a.value(a.inputs()[i]);
    const Value& vb = b.value(b.inputs()[i]);
    EXPECT_EQ(va.name, vb.name);
    EXPECT_EQ(va.dtype, vb.dtype);
    EXPECT_EQ(va.shape, vb.shape);
    EXPECT_EQ(va.shape_known, vb.shape_known);
  }
  ASSERT_EQ(a.outputs().size(), b.outputs().size());
  for (size_t i = 0; i < a.outputs().size(); ++i) {
    EXPECT_EQ(value_name(a, a.outputs()[i]), value_name(b, b.outputs()[i]));
  }
  const auto oa = a.topo_order();
  const auto ob = b.topo_order();
  ASSERT_EQ(oa.size(), ob.size());
  for (size_t i = 0; i < oa.size(); ++i) {
    const Node& na = a.node(oa[i]);
    const Node& nb = b.node(ob[i]);
    SCOPED_TRACE("node " + na.name);
    EXPECT_EQ(na.op_type, nb.op_type);
    EXPECT_EQ(na.name, nb.name);
    EXPECT_EQ(na.domain, nb.domain);
    ASSERT_EQ(na.inputs().size(), nb.inputs().size());
    for (size_t k = 0; k < na.inputs().size(); ++k) {
      EXPECT_EQ(value_name(a, na.input(k)), value_name(b, nb.input(k)));
      if (na.input(k) == kNoValue || nb.input(k) == kNoValue) continue;
      const Value& va = a.value(na.input(k));
      const Value& vb = b.value(nb.input(k));
      ASSERT_EQ(va.is_constant(), vb.is_constant()) << va.name;
      if (va.is_constant()) {
        EXPECT_TRUE(same_tensor(*va.constant, *vb.constant)) << va.name;
      }
    }
    ASSERT_EQ(na.outputs().size(), nb.outputs().size());
    for (size_t k = 0; k < na.outputs().size(); ++k) {
      const Value& va = a.value(na.output(k));
      const Value& vb = b.value(nb.output(k));
      EXPECT_EQ(va.name, vb.name);
      EXPECT_EQ(va.shape_known, vb.shape_known) << va.name;
      if (va.shape_known) {
        EXPECT_EQ(va.shape, vb.shape) << va.name;
        EXPECT_EQ(va.dtype, vb.dtype) << va.name;
      }
    }
    ASSERT_EQ(na.attrs.all().size(), nb.attrs.all().size());
    for (const auto& [k, v] : na.attrs.all()) {
      ASSERT_TRUE(nb.attrs.has(k)) << k;
      EXPECT_TRUE(same_attr(v, nb.attrs.all().at(k))) << k;
    }
  }
}

}  // namespace yq::ir::testing
