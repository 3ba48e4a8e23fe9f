// SPDX-License-Identifier: Apache-2.0
#include "ir/onnx/onnx_export.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "ir/onnx/onnx_import.h"
#include "onnx_test_util.h"

namespace yq::ir {
namespace {

using testing::expect_same_graph;
using testing::fixture;
using testing::have_model;
using testing::model_path;

Graph round_trip(const Graph& g) {
  auto bytes = export_onnx_bytes(g);
  EXPECT_TRUE(bytes.ok()) << bytes.status().message();
  if (!bytes.ok()) return {};
  auto back = import_onnx_bytes(*bytes, "exported");
  EXPECT_TRUE(back.ok()) << back.status().message();
  return back.ok() ? std::move(back).value() : Graph{};
}

class FixtureRoundTrip : public ::testing::TestWithParam<const char*> {};

TEST_P(FixtureRoundTrip, ExportThenImportIsIdentical) {
  auto g = import_onnx_file(fixture(GetParam()));
  ASSERT_TRUE(g.ok()) << g.status().message();
  Graph back = round_trip(*g);
  EXPECT_TRUE(back.verify().ok());
  expect_same_graph(*g, back);
  // Export is deterministic: a second trip gives the same bytes.
  auto b1 = export_onnx_bytes(*g);
  auto b2 = export_onnx_bytes(back);
  ASSERT_TRUE(b1.ok() && b2.ok());
  EXPECT_EQ(*b1, *b2);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, FixtureRoundTrip, ::testing::Values("conv_relu.onnx", "dtypes.onnx"),
                         [](const auto& tp) {
                           std::string s = tp.param;
                           return s.substr(0, s.find('.'));
                         });

class RealModelRoundTrip : public ::testing::TestWithParam<const char*> {};

TEST_P(RealModelRoundTrip, ExportThenImportIsIdentical) {
  if (!have_model(GetParam())) GTEST_SKIP() << "model " << model_path(GetParam()) << " not found; set YOLOQ_DATA";
  auto g = import_onnx_file(model_path(GetParam()));
  ASSERT_TRUE(g.ok()) << g.status().message();
  Graph back = round_trip(*g);
  EXPECT_TRUE(back.verify().ok());
  expect_same_graph(*g, back);
}

INSTANTIATE_TEST_SUITE_P(Models, RealModelRoundTrip,
                         ::testing::Values("yolox_nano_416_coco.onnx", "nanodet_m_320_coco.onnx"),
                         [](const auto& tp) {
                           std::string s = tp.param;
                           return s.substr(0, s.find('_'));
                         });

// A graph built in code with a yq-domain op, every attribute kind and no opsets set.
Graph make_fused_graph() {
  std::mt19937 rng(7);
  std::normal_distribution<float> nd;
  std::vector<float> w(8 * 3 * 3 * 3);
  for (float& x : w) x = nd(rng);
  Graph g;
  g.name = "fused";
  g.metadata["k"] = "v";
  const ValueId x = g.add_value("x", DType::kF32, {1, 3, 16, 16}, true);
  g.add_input(x);
  const ValueId wv = g.add_constant("w", Tensor::from_vector<float>(w, {8, 3, 3, 3}));
  const ValueId y = g.add_value("y", DType::kF32, {1, 8, 16, 16}, true);
  Attributes a;
  a.set("kernel_shape", std::vector<int64_t>{3, 3});
  a.set("pads", std::vector<int64_t>{1, 1, 1, 1});
  a.set("activation", std::string("hardswish"));
  a.set("activation_alpha", 1.0f / 6.0f);
  a.set("activation_beta", 0.5f);
  a.set("group", int64_t{1});
  a.set("names", std::vector<std::string>{"a", "b"});
  a.set("floats", std::vector<float>{0.25f, -1.0f});
  a.set("t", Tensor::from_vector<int64_t>({1, 2, 3}, {3}));
  const NodeId n = g.add_node("FusedConv", "fc0", {x, wv, kNoValue}, {y}, a);
  g.node(n).domain = "yq";
  const ValueId z = g.add_value("z");
  g.add_node("Relu", "relu0", {y}, {z});
  g.add_output(z);
  return g;
}

TEST(OnnxExport, YqDomainAddsOpsetImportAndRoundTrips) {
  Graph g = make_fused_graph();
  Graph back = round_trip(g);
  EXPECT_EQ(back.opsets.at(""), kDefaultExportOpset);
  EXPECT_EQ(back.opsets.at("yq"), 1);
  const auto order = back.topo_order();
  ASSERT_EQ(order.size(), 2u);
  EXPECT_EQ(back.node(order[0]).domain, "yq");
  EXPECT_EQ(back.node(order[0]).op_type, "FusedConv");
  // Trailing omitted input is dropped on import; everything else matches.
  EXPECT_EQ(back.node(order[0]).inputs().size(), 2u);
  g.set_node_inputs(g.topo_order()[0], {g.find_value("x").value(), g.find_value("w").value()});
  g.opsets[""] = kDefaultExportOpset;
  g.opsets["yq"] = 1;
  expect_same_graph(g, back);
  EXPECT_EQ(back.metadata.at("k"), "v");
}

TEST(OnnxExport, FileIsWrittenAndReadBack) {
  Graph g = make_fused_graph();
  const auto path = (std::filesystem::temp_directory_path() / "yq_onnx_export_test.onnx").string();
  ASSERT_TRUE(export_onnx_file(g, path).ok());
  auto back = import_onnx_file(path);
  std::filesystem::remove(path);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->live_node_count(), 2u);
}

TEST(OnnxExport, UnwritablePathIsIoError) {
  Status s = export_onnx_file(make_fused_graph(), "/nonexistent/dir/out.onnx");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kIoError);
  EXPECT_NE(s.message().find("/nonexistent/dir/out.onnx"), std::string::npos);
}

}  // namespace
}  // namespace yq::ir
