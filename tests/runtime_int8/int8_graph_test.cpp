// SPDX-License-Identifier: Apache-2.0
// Whole graphs in int8: the planner keeps a conv -> maxpool -> concat -> resize -> conv chain in
// int8 with one quantize at the input and one dequantize at the output; the QuantizeLinear /
// DequantizeLinear reference kernels agree with quant/qmath.h; absorb_qdq turns a QDQ graph into
// qparams without changing what it computes, and rejects inconsistent scales by node name.
#include <gtest/gtest.h>

#include <map>

#include <cstring>

#include "ir/passes/absorb_qdq.h"
#include "ir/passes/pass.h"
#include "ir/passes/pipeline.h"
#include "ir/shape_inference.h"
#include "runtime/kernels/ref/ref_kernels.h"
#include "tests/runtime_int8/int8_test_util.h"

namespace yq::runtime {
namespace {

using namespace int8_testing;

ir::ValueId add_conv(ir::Graph& g, const std::string& name, ir::ValueId x, int64_t ic, int64_t oc, int64_t k,
                     const Shape& out, uint32_t seed) {
  Tensor wt = random_tensor({oc, ic, k, k}, seed, -0.4f, 0.4f);
  ir::QParams wq = quant::per_channel_weight_qparams(wt, 0);
  ir::ValueId w = add_const(g, name + ".w", wt);
  g.value(w).qparams = wq;
  ir::ValueId b = add_const(g, name + ".b", random_tensor({oc}, seed + 1, -0.2f, 0.2f));
  ir::ValueId y = add_act(g, name + ".y", out);
  ir::NodeId n = g.add_node("FusedConv", name, {x, w, b}, {y}, conv_attrs(k, "relu"));
  g.node(n).domain = "yq";
  return y;
}

// A nearest 2x Resize node `name` of x (asymmetric / floor: what PyTorch's nearest Upsample
// exports) with output shape `out`; returns the output value (no qparams).
ir::ValueId add_upsample_2x(ir::Graph& g, const std::string& name, ir::ValueId x, const Shape& out) {
  ir::ValueId roi = g.add_constant(name + ".roi", Tensor::from_vector<float>({}, {0}));
  ir::ValueId sc = g.add_constant(name + ".scales", Tensor::from_vector<float>({1, 1, 2, 2}, {4}));
  ir::ValueId up = add_act(g, name + ".y", out);
  ir::Attributes ra;
  ra.set("mode", std::string("nearest"));
  ra.set("coordinate_transformation_mode", std::string("asymmetric"));
  ra.set("nearest_mode", std::string("floor"));
  g.add_node("Resize", name, {x, roi, sc}, {up}, ra);
  return up;
}

// x[1,8,10,12] -> conv1 -> maxpool -> {conv2, conv3} -> concat (one shared scale) -> resize x2 -> conv4
ir::Graph int8_chain() {
  ir::Graph g;
  ir::ValueId x = add_input(g, "x", {1, 8, 10, 12});
  g.value(x).qparams = sym(1.f / 127);
  ir::ValueId c1 = add_conv(g, "conv1", x, 8, 16, 3, {1, 16, 10, 12}, 100);
  g.value(c1).qparams = sym(0.02f);
  ir::ValueId p = add_act(g, "pool.y", {1, 16, 5, 6});
  ir::Attributes pa;
  pa.set("kernel_shape", std::vector<int64_t>{2, 2});
  pa.set("strides", std::vector<int64_t>{2, 2});
  g.add_node("MaxPool", "pool", {c1}, {p}, pa);
  g.value(p).qparams = sym(0.02f);
  ir::ValueId c2 = add_conv(g, "conv2", p, 16, 8, 1, {1, 8, 5, 6}, 200);
  ir::ValueId c3 = add_conv(g, "conv3", p, 16, 8, 3, {1, 8, 5, 6}, 300);
  g.value(c2).qparams = sym(0.03f);
  g.value(c3).qparams = sym(0.03f);
  ir::ValueId cat = add_channel_concat(g, "concat", {c2, c3}, "cat", {1, 16, 5, 6});
  g.value(cat).qparams = sym(0.03f);
  ir::ValueId up = add_upsample_2x(g, "resize", cat, {1, 16, 10, 12});
  g.value(up).qparams = sym(0.03f);
  ir::ValueId c4 = add_conv(g, "conv4", up, 16, 4, 3, {1, 4, 10, 12}, 400);
  g.value(c4).qparams = sym(0.04f);
  g.add_output(c4);
  return g;
}

TEST(Int8Graph, ChainRunsFullyInInt8) {
  ir::Graph g = int8_chain();
  std::vector<Tensor> in = {random_tensor({1, 8, 10, 12}, 7)};
  RunOut fast = run(g, in, true);
  RunOut ref = run(g, in, false);
  ASSERT_EQ(fast.outputs.size(), 1u);
  ASSERT_EQ(ref.outputs.size(), 1u);
  EXPECT_EQ(fast.stats.quantize_ops, 1);    // x on entry
  EXPECT_EQ(fast.stats.dequantize_ops, 1);  // conv4 on exit
  EXPECT_EQ(fast.stats.requantize_ops, 0);
  EXPECT_EQ(fast.stats.int8_kernels, 7);    // 4 convs, pool, concat, resize
  EXPECT_EQ(fast.stats.ref_kernels, 0);
  // A 1-LSB boundary difference in an intermediate value (see int8_conv_test.cpp) moves a
  // downstream conv's real value by at most sum|w|*s_in, so allow 1 LSB at the output with a few
  // rare exceptions of 2, never more.
  const double lsb = 0.04;
  Diff d = diff_lsb(fast.outputs[0], ref.outputs[0], lsb, 1e-3 * lsb);
  EXPECT_LE(d.max_abs, 2 * lsb + 1e-3 * lsb) << "max diff " << d.max_abs / lsb << " LSB";
  EXPECT_LE(d.over_1lsb, d.n / 1000) << d.over_1lsb << " of " << d.n;
  EXPECT_LE(d.nonzero, d.n / 50) << d.nonzero << " of " << d.n << " elements differ";
}

// Zero points (quant::CalibOptions::zero_points): u8 codes shifted below zero through an int8 1x1
// conv, a SiLU table, a depthwise stride-2 conv (int8, or f32 between a dequantize and a
// quantize), a max pool, a concat and a padded 3x3 conv. Each zero point must be honoured by
// oneDNN (conv sources, padding, sums, reorders) exactly as the fake-quant reference does.
ir::Graph zero_point_chain(bool int8_depthwise) {
  ir::Graph g;
  auto u8 = [](float lo, float hi) { return quant::asymmetric_u8_qparams(lo, hi); };
  auto conv = [&](const std::string& name, ir::ValueId x, int64_t ic, int64_t oc, int64_t k, int64_t stride,
                  int64_t group, const char* act, const Shape& out, uint32_t seed, bool int8_w) {
    Tensor wt = random_tensor({oc, ic / group, k, k}, seed, -0.4f, 0.4f);
    ir::ValueId w = add_const(g, name + ".w", wt);
    if (int8_w) g.value(w).qparams = quant::per_channel_weight_qparams(*g.value(w).constant, 0);
    ir::ValueId b = add_const(g, name + ".b", random_tensor({oc}, seed + 1, -0.2f, 0.2f));
    ir::ValueId y = add_act(g, name + ".y", out);
    ir::Attributes a = conv_attrs(k, act);
    a.set("strides", std::vector<int64_t>{stride, stride});
    a.set("group", group);
    g.node(g.add_node("FusedConv", name, {x, w, b}, {y}, a)).domain = "yq";
    return y;
  };
  ir::ValueId x = add_input(g, "x", {1, 16, 10, 12});
  g.value(x).qparams = u8(-0.3f, 1.f);
  ir::ValueId t = conv("conv1", x, 16, 32, 1, 1, 1, "", {1, 32, 10, 12}, 500, true);
  g.value(t).qparams = u8(-1.5f, 1.2f);
  ir::ValueId a = add_act(g, "silu.y", {1, 32, 10, 12});
  ir::Attributes sa;
  sa.set("activation", std::string("silu"));
  g.node(g.add_node("Activation", "silu", {t}, {a}, sa)).domain = "yq";
  g.value(a).qparams = u8(-0.28f, 0.9f);
  ir::ValueId d = conv("dw", a, 32, 32, 3, 2, 32, "silu", {1, 32, 5, 6}, 600, int8_depthwise);
  ir::ValueId p = add_act(g, "pool.y", {1, 32, 5, 6});
  ir::Attributes pa;
  pa.set("kernel_shape", std::vector<int64_t>{2, 2});
  pa.set("strides", std::vector<int64_t>{2, 2});
  g.add_node("MaxPool", "pool", {a}, {p}, pa);
  g.value(p).qparams = g.value(a).qparams;
  ir::ValueId cat = add_channel_concat(g, "concat", {d, p}, "cat", {1, 64, 5, 6});
  g.value(d).qparams = g.value(a).qparams;
  g.value(cat).qparams = g.value(a).qparams;
  ir::ValueId y = conv("conv2", cat, 64, 8, 3, 1, 1, "", {1, 8, 5, 6}, 700, true);
  g.value(y).qparams = sym(0.04f);
  g.add_output(y);
  return g;
}

TEST(Int8Graph, ZeroPointsMatchTheReference) {
  for (bool int8_dw : {true, false}) {
    SCOPED_TRACE(int8_dw ? "int8 depthwise" : "f32 depthwise");
    ir::Graph g = zero_point_chain(int8_dw);
    std::vector<Tensor> in = {random_tensor({1, 16, 10, 12}, 8, -0.3f, 1.f)};
    RunOut fast = run(g, in, true);
    RunOut ref = run(g, in, false);
    ASSERT_EQ(fast.outputs.size(), 1u);
    ASSERT_EQ(ref.outputs.size(), 1u);
    EXPECT_EQ(fast.stats.int8_kernels, int8_dw ? 6 : 5);  // conv1, table, (dw), pool, concat, conv2
    EXPECT_EQ(fast.stats.requantize_ops, 0);
    EXPECT_EQ(fast.stats.quantize_ops, int8_dw ? 1 : 2);  // x on entry (and the f32 dw's output)
    // As in ChainRunsFullyInInt8: 1-LSB boundary differences may pass through, nothing more.
    const double lsb = 0.04;
    Diff d = diff_lsb(fast.outputs[0], ref.outputs[0], lsb, 1e-3 * lsb);
    EXPECT_LE(d.max_abs, 2 * lsb + 1e-3 * lsb) << "max diff " << d.max_abs / lsb << " LSB";
    EXPECT_LE(d.nonzero, d.n / 20) << d.nonzero << " of " << d.n << " elements differ";
  }
}

// An int8 output against the reference: never more than one LSB apart, and rarely that.
void expect_within_one_lsb(const RunOut& fast, const RunOut& ref, double lsb, int64_t max_differing_per_mille) {
  ASSERT_EQ(fast.outputs.size(), 1u);
  ASSERT_EQ(ref.outputs.size(), 1u);
  Diff d = diff_lsb(fast.outputs[0], ref.outputs[0], lsb, 1e-3 * lsb);
  EXPECT_EQ(d.over_1lsb, 0) << "max diff " << d.max_abs / lsb << " LSB";
  EXPECT_LE(d.nonzero * 1000, d.n * max_differing_per_mille) << d.nonzero << " of " << d.n << " elements differ";
}

// A Concat whose output keeps its first input's plain layout and zero point, the second input an
// int8 conv's nhwc output with another scale and zero point: that one is requantized (through f32,
// in nhwc) and then reordered as bytes; nothing may reach a oneDNN reorder with a zero point.
TEST(Int8Graph, ZeroPointConcatRequantizesItsInputs) {
  ir::Graph g;
  const ir::QParams qa = quant::asymmetric_u8_qparams(-0.5f, 1.5f);
  ir::ValueId a = add_input(g, "a", {1, 8, 6, 7});
  g.value(a).qparams = qa;
  ir::ValueId x = add_input(g, "x", {1, 8, 6, 7});
  g.value(x).qparams = quant::asymmetric_u8_qparams(-0.3f, 1.f);
  ir::ValueId b = add_pointwise_conv(g, "conv", x, 8, 8, {1, 8, 6, 7}, 901);
  g.value(b).qparams = quant::asymmetric_u8_qparams(-0.7f, 2.f);
  ir::ValueId y = add_channel_concat(g, "concat", {a, b}, "y", {1, 16, 6, 7});
  g.value(y).qparams = qa;
  g.add_output(y);
  std::vector<Tensor> in = {random_tensor({1, 8, 6, 7}, 10, -0.5f, 1.5f), random_tensor({1, 8, 6, 7}, 11, -0.3f, 1.f)};
  RunOut fast = run(g, in, true);
  RunOut ref = run(g, in, false);
  EXPECT_GE(fast.stats.requantize_ops + fast.stats.dequantize_ops, 1);  // b's requantization
  expect_within_one_lsb(fast, ref, qa.scales[0], 20);
}

// A Concat of a small plain NCHW int8 input (a quantized graph input, as after a float pooling
// branch) and a larger int8 conv output in NHWC (48 channels: rows of 48 bytes, the masked copy):
// the output takes the larger input's NHWC order, so the next conv reads it without a reorder, and
// the copy is exact.
TEST(Int8Graph, ConcatFollowsItsLargestInputsLayout) {
  ir::Graph g;
  ir::ValueId a = add_input(g, "a", {1, 8, 6, 7});
  g.value(a).qparams = sym(0.02f);
  ir::ValueId x = add_input(g, "x", {1, 16, 6, 7});
  g.value(x).qparams = sym(1.f / 127);
  ir::ValueId b = add_pointwise_conv(g, "conv", x, 16, 48, {1, 48, 6, 7}, 904);
  g.value(b).qparams = sym(0.02f);
  ir::ValueId cat = add_channel_concat(g, "concat", {a, b}, "cat", {1, 56, 6, 7});
  g.value(cat).qparams = sym(0.02f);
  ir::ValueId y = add_pointwise_conv(g, "conv2", cat, 56, 8, {1, 8, 6, 7}, 905);
  g.value(y).qparams = sym(0.03f);
  g.add_output(y);
  std::vector<Tensor> in = {random_tensor({1, 8, 6, 7}, 13), random_tensor({1, 16, 6, 7}, 14)};
  RunOut fast = run(g, in, true);
  RunOut ref = run(g, in, false);
  EXPECT_EQ(fast.stats.requantize_ops, 0);
  bool kept = false;
  for (const KernelInfo& k : fast.stats.kernels) {
    kept = kept || (k.node == "concat" && k.impl == "int8:copy:Concat(keep)");
    EXPECT_NE(k.node, "reorder:cat");  // the only reorder left is input x's, into the first conv's NHWC
  }
  EXPECT_TRUE(kept);
  expect_within_one_lsb(fast, ref, 0.03, 20);
}

// A YOLOv5-style head on an int8 conv's f32 nhwc output: Reshape [1,3,5,H,W] (or YOLOX's
// [1,15,H*W]) as a strided view of the nhwc buffer, then a Transpose copying straight from it, no
// reorder to nchw in between; the values are the reference's.
TEST(Int8Graph, HeadReshapeTransposeReadsTheConvsNhwcOutput) {
  struct Head {
    Shape reshaped;
    std::vector<int64_t> perm;
    Shape out;
  };
  for (const Head& h : {Head{{1, 3, 5, 4, 6}, {0, 1, 3, 4, 2}, {1, 3, 4, 6, 5}}, Head{{1, 15, 24}, {0, 2, 1}, {1, 24, 15}}}) {
    ir::Graph g;
    ir::ValueId x = add_input(g, "x", {1, 16, 4, 6});
    g.value(x).qparams = sym(1.f / 127);
    ir::ValueId c = add_pointwise_conv(g, "conv", x, 16, 15, {1, 15, 4, 6}, 906);
    ir::ValueId r = add_act(g, "r", h.reshaped);
    Tensor shape = Tensor::empty(DType::kI64, {static_cast<int64_t>(h.reshaped.size())});
    for (size_t i = 0; i < h.reshaped.size(); ++i) shape.data<int64_t>()[i] = h.reshaped[i];
    g.add_node("Reshape", "reshape", {c, add_const(g, "shape", shape)}, {r});
    ir::ValueId y = add_act(g, "y", h.out);
    ir::Attributes ta;
    ta.set("perm", h.perm);
    g.add_node("Transpose", "transpose", {r}, {y}, ta);
    g.add_output(y);
    std::vector<Tensor> in = {random_tensor({1, 16, 4, 6}, 15)};
    RunOut fast = run(g, in, true);
    RunOut ref = run(g, in, false);
    bool strided = false, view = false;
    for (const KernelInfo& k : fast.stats.kernels) {
      EXPECT_NE(k.node, "reorder:conv.y");  // the only reorder is input x's, into the conv's nhwc
      strided = strided || (k.node == "transpose" && k.impl == "plain:strided:Transpose(1 pieces)");
      view = view || (k.node == "reshape" && k.impl == "view:Reshape");
    }
    EXPECT_TRUE(strided && view) << h.reshaped.size();
    ASSERT_EQ(fast.outputs.size(), 1u);
    Diff d = diff_lsb(fast.outputs[0], ref.outputs[0], 0, 1e-5);
    EXPECT_EQ(d.nonzero, 0) << "max diff " << d.max_abs;
  }
}

// A YOLOX-style head: per level, int8 convs writing f32 (nhwc) are concatenated on channels,
// flattened, transposed to [anchors, channels], and the levels concatenated. The chain is views
// (runtime/strided_view.h): one copy of every conv output into the result, exact. `split` flattens
// [1,C,H,W] to [1,C*H,W] instead, which mixes a channel slice into H: the pieces cannot follow, so
// each level's concat is copied out first and the rest still runs (same result). With `sigmoid`
// the 1- and 5-channel convs end in a sigmoid (YOLOX's objectness and class scores): the engine
// moves it from their epilogues into that one copy.
RunOut yolox_style_head(bool split, const std::vector<Tensor>& in, bool use_onednn, bool sigmoid = false) {
  ir::Graph g;
  std::vector<ir::ValueId> levels;
  const int64_t sizes[3][2] = {{4, 6}, {2, 3}, {4, 6}};
  ir::ValueId x0 = ir::kNoValue, first_part = ir::kNoValue;  // level 0's input and 4-channel conv
  int lvl = 0;
  for (const auto& hw : sizes) {
    const int64_t h = hw[0], w = hw[1];
    const std::string p = "l" + std::to_string(lvl);
    ir::ValueId x = add_input(g, p + ".x", {1, 16, h, w});
    g.value(x).qparams = sym(1.f / 127);
    std::vector<ir::ValueId> parts;
    int64_t c_total = 0;
    for (int64_t oc : {4, 1, 5}) {
      parts.push_back(add_pointwise_conv(g, p + ".conv" + std::to_string(oc), x, 16, oc, {1, oc, h, w},
                                         static_cast<uint32_t>(910 + 10 * lvl + oc),
                                         sigmoid && oc != 4 ? "sigmoid" : ""));
      c_total += oc;
    }
    if (lvl == 0) x0 = x, first_part = parts[0];
    ir::ValueId cat = add_channel_concat(g, p + ".concat", parts, p + ".cat", {1, c_total, h, w});
    const Shape flat = split ? Shape{1, c_total * h, w} : Shape{1, c_total, h * w};
    Tensor shape = Tensor::from_vector<int64_t>(std::vector<int64_t>(flat.begin(), flat.end()), {3});
    ir::ValueId r = add_act(g, p + ".flat", flat);
    g.add_node("Reshape", p + ".reshape", {cat, add_const(g, p + ".shape", shape)}, {r});
    ir::ValueId t = add_act(g, p + ".t", {1, flat[2], flat[1]});
    ir::Attributes ta;
    ta.set("perm", std::vector<int64_t>{0, 2, 1});
    g.add_node("Transpose", p + ".transpose", {r}, {t}, ta);
    levels.push_back(t);
    ++lvl;
  }
  if (split) {
    for (ir::ValueId t : levels) g.add_output(t);  // levels of different widths: one output each
  } else {
    // A later conv adds level 0's 4-channel output as its residual. That output is still to be
    // copied by the final Concat, so the sum must not be written over it in place.
    ir::ValueId rw = add_const(g, "res.w", random_tensor({4, 16, 1, 1}, 940, -0.4f, 0.4f));
    g.value(rw).qparams = quant::per_channel_weight_qparams(*g.value(rw).constant, 0);
    ir::ValueId rb = add_const(g, "res.b", random_tensor({4}, 941, -0.2f, 0.2f));
    ir::ValueId res = add_act(g, "res.y", {1, 4, 4, 6});
    g.node(g.add_node("FusedConv", "res", {x0, rw, rb, first_part}, {res}, conv_attrs(1, ""))).domain = "yq";
    ir::ValueId y = add_channel_concat(g, "levels", levels, "y", {1, 24 + 6 + 24, 10});
    g.add_output(y);
    g.add_output(res);
  }
  return run(g, in, use_onednn);
}

TEST(Int8Graph, HeadConcatTransposeChainIsOneCopy) {
  const std::vector<Tensor> in = {random_tensor({1, 16, 4, 6}, 31), random_tensor({1, 16, 2, 3}, 32),
                                  random_tensor({1, 16, 4, 6}, 33)};
  for (bool sigmoid : {false, true})
    for (bool split : {false, true}) {
      SCOPED_TRACE(std::string(split ? "split" : "flat") + (sigmoid ? ", sigmoid scores" : ""));
      RunOut fast = yolox_style_head(split, in, true, sigmoid);
      RunOut ref = yolox_style_head(split, in, false, sigmoid);
      int views = 0, copies = 0, one_copy = 0, copied_out = 0, sigmoid_epilogues = 0;
      const std::string pieces = sigmoid ? "9 pieces, 6 through sigmoid" : "9 pieces";
      const std::string level_pieces = sigmoid ? "3 pieces, 2 through sigmoid" : "3 pieces";
      for (const KernelInfo& k : fast.stats.kernels) {
        views += k.impl.rfind("view:", 0) == 0;
        copies += k.impl.rfind("plain:strided:", 0) == 0;
        one_copy += k.node == "levels" && k.impl == "plain:strided:Concat(" + pieces + ")";
        copied_out += k.impl == "plain:strided:view(" + level_pieces + ")";
        sigmoid_epilogues += k.op == "FusedConv" && k.node != "res" && k.impl.find("sigmoid") != std::string::npos;
      }
      // The sigmoids are views too (6: one per 1- and 5-channel conv), never a conv epilogue.
      if (!split) {
        EXPECT_EQ(views, sigmoid ? 15 : 9);  // each level's Concat, Reshape and Transpose
        EXPECT_EQ(copies, 1);
        EXPECT_EQ(one_copy, 1);  // the final Concat, from the nine conv outputs
      } else {
        EXPECT_EQ(views, sigmoid ? 9 : 3);  // the Concats
        EXPECT_EQ(copies, 3);
        EXPECT_EQ(copied_out, 3);  // each level's concat, copied out at its Reshape
      }
      EXPECT_EQ(sigmoid_epilogues, 0);
      ASSERT_EQ(fast.outputs.size(), ref.outputs.size());
      // Exact copies; through the sigmoid, within its float rounding (about 1e-6 relative).
      for (size_t i = 0; i < ref.outputs.size(); ++i) {
        Diff d = diff_lsb(fast.outputs[i], ref.outputs[i], 0, sigmoid ? 4e-6 : 1e-5);
        EXPECT_EQ(d.nonzero, 0) << "output " << i << " max diff " << d.max_abs;
      }
    }
}

// x -> two 1x1 int8 convs writing pre-activation codes -> SiLU tables -> Concat (one shared scale)
// -> a 1x1 conv. The tables write straight into the concat's pixels and the concat copies nothing;
// with `also_output` the second table's output is a graph output too, so it keeps its own buffer
// and the concat copies it.
ir::Graph tables_into_concat(bool also_output) {
  ir::Graph g;
  ir::ValueId x = add_input(g, "x", {1, 16, 6, 7});
  g.value(x).qparams = sym(1.f / 127);
  const ir::QParams act_q = *ir::QParams::per_tensor(1.2f / 255, 60, DType::kU8);
  std::vector<ir::ValueId> parts;
  for (auto [name, oc] : {std::pair{"a", int64_t{24}}, std::pair{"b", int64_t{40}}}) {
    ir::ValueId pre = add_pointwise_conv(g, name, x, 16, oc, {1, oc, 6, 7}, name[0] == 'a' ? 950u : 960u);
    g.value(pre).qparams = sym(3.f / 127);
    ir::ValueId post = add_act(g, std::string(name) + ".silu", {1, oc, 6, 7});
    ir::Attributes sa;
    sa.set("activation", std::string("silu"));
    g.node(g.add_node("Activation", std::string(name) + "_silu", {pre}, {post}, sa)).domain = "yq";
    g.value(post).qparams = act_q;
    parts.push_back(post);
  }
  ir::ValueId cat = add_channel_concat(g, "concat", parts, "cat", {1, 64, 6, 7});
  g.value(cat).qparams = act_q;
  ir::ValueId y = add_pointwise_conv(g, "head", cat, 64, 8, {1, 8, 6, 7}, 970);
  g.value(y).qparams = sym(0.05f);
  g.add_output(y);
  if (also_output) g.add_output(parts[1]);
  return g;
}

TEST(Int8Graph, TablesWriteStraightIntoTheirConcat) {
  const std::vector<Tensor> in = {random_tensor({1, 16, 6, 7}, 77)};
  for (bool also_output : {false, true}) {
    SCOPED_TRACE(also_output ? "second table also a graph output" : "tables read by the concat alone");
    ir::Graph g = tables_into_concat(also_output);
    RunOut fast = run(g, in, true);
    RunOut ref = run(g, in, false);
    int into = 0;
    std::string concat_impl;
    for (const KernelInfo& k : fast.stats.kernels) {
      into += k.impl.find("(into concat)") != std::string::npos;
      if (k.node == "concat") concat_impl = k.impl;
    }
    EXPECT_EQ(into, also_output ? 1 : 2);
    EXPECT_EQ(concat_impl, also_output ? "int8:copy:Concat(keep, 1 written by their tables)"
                                       : "int8:copy:Concat(keep, 2 written by their tables)");
    // The tables and the concat are exact; the head conv may round a boundary value either way.
    expect_outputs_within_one_lsb(fast, ref, {0.05, 1.2 / 255});
  }
}

// A residual block split for tables (quant/split_activations.h): conv -> t -> Activation(silu) ->
// a -> Add(a, x) -> y, with t, x and y quantized (u8 with zero points, as --zero-points gives
// them) and a float. The engine runs the Activation and the Add as one int8 pass.
ir::Graph residual_table_add(DType r_type) {
  ir::Graph g;
  ir::ValueId x = add_input(g, "x", {1, 16, 9, 7});
  g.value(x).qparams = r_type == DType::kU8 ? *ir::QParams::per_tensor(1.1f / 255, 20, DType::kU8) : sym(1.f / 127);
  ir::ValueId pre = add_pointwise_conv(g, "conv", x, 16, 16, {1, 16, 9, 7}, 990);
  g.value(pre).qparams = *ir::QParams::per_tensor(6.f / 255, 170, DType::kU8);
  ir::ValueId a = add_act(g, "a", {1, 16, 9, 7});
  ir::Attributes sa;
  sa.set("activation", std::string("silu"));
  g.node(g.add_node("Activation", "conv_silu", {pre}, {a}, sa)).domain = "yq";
  ir::ValueId y = add_act(g, "y", {1, 16, 9, 7});
  g.add_node("Add", "residual", {a, x}, {y});
  g.value(y).qparams = *ir::QParams::per_tensor(4.f / 255, 40, DType::kU8);
  ir::ValueId out = add_pointwise_conv(g, "head", y, 16, 8, {1, 8, 9, 7}, 991);
  g.value(out).qparams = sym(0.05f);
  g.add_output(out);
  g.add_output(y);
  return g;
}

TEST(Int8Graph, ResidualTableAndAddRunAsOneInt8Pass) {
  const std::vector<Tensor> in = {random_tensor({1, 16, 9, 7}, 78)};
  for (DType r_type : {DType::kU8, DType::kI8}) {
    SCOPED_TRACE(r_type == DType::kU8 ? "u8 residual" : "s8 residual");
    ir::Graph g = residual_table_add(r_type);
    RunOut fast = run(g, in, true);
    RunOut ref = run(g, in, false);
    std::string add_impl;
    for (const KernelInfo& k : fast.stats.kernels)
      if (k.node == "conv_silu+residual") add_impl = k.impl;
    EXPECT_EQ(add_impl, "int8:table-add:silu");
    EXPECT_EQ(fast.stats.dequantize_ops, 2);  // the two graph outputs leave int8, nothing else
    EXPECT_EQ(fast.stats.quantize_ops, 1);    // the input
    // y: at most one code off the reference where (a + x) / s_y sits at a rounding tie
    // (int8_kernels.h, TableAdd); the head conv may then round a boundary value either way.
    expect_outputs_within_one_lsb(fast, ref, {0.05, 4.0 / 255});
  }
}

// x -> 1x1 int8 conv -> SiLU table (u8 with a zero point) -> depthwise 3x3 convs. With the
// readers listed in `readers` ("s1": stride 1, pads 1; "s1shift": stride 1, pads 0 before and 2
// after, the same padded size; "s2": stride 2, pads 1; "s2same": stride 2, pads 0 before and 1
// after; "pool": a 2x2 max pool), each conv a graph output.
ir::Graph table_into_padded_depthwise(const std::vector<std::string>& readers) {
  ir::Graph g;
  ir::ValueId x = add_input(g, "x", {1, 16, 10, 12});
  g.value(x).qparams = sym(1.f / 127);
  ir::ValueId pre = add_pointwise_conv(g, "pw", x, 16, 32, {1, 32, 10, 12}, 1200);
  g.value(pre).qparams = *ir::QParams::per_tensor(5.f / 255, 150, DType::kU8);
  ir::ValueId a = add_act(g, "a", {1, 32, 10, 12});
  ir::Attributes sa;
  sa.set("activation", std::string("silu"));
  g.node(g.add_node("Activation", "pw_silu", {pre}, {a}, sa)).domain = "yq";
  g.value(a).qparams = *ir::QParams::per_tensor(1.5f / 255, 60, DType::kU8);
  uint32_t seed = 1300;
  for (const std::string& r : readers) {
    if (r == "pool") {
      ir::ValueId p = add_act(g, "pool.y", {1, 32, 5, 6});
      ir::Attributes pa;
      pa.set("kernel_shape", std::vector<int64_t>{2, 2});
      pa.set("strides", std::vector<int64_t>{2, 2});
      g.add_node("MaxPool", "pool", {a}, {p}, pa);
      g.value(p).qparams = g.value(a).qparams;
      g.add_output(p);
      continue;
    }
    const int64_t stride = r.rfind("s1", 0) == 0 ? 1 : 2;
    const Shape out = stride == 1 ? Shape{1, 32, 10, 12} : Shape{1, 32, 5, 6};
    ir::ValueId w = add_const(g, "dw_" + r + ".w", random_tensor({32, 1, 3, 3}, seed, -0.6f, 0.6f));
    g.value(w).qparams = quant::per_channel_weight_qparams(*g.value(w).constant, 0);
    ir::ValueId b = add_const(g, "dw_" + r + ".b", random_tensor({32}, seed + 1, -0.2f, 0.2f));
    seed += 2;
    ir::ValueId y = add_act(g, "dw_" + r + ".y", out);
    ir::Attributes ca = conv_attrs(3, "");
    ca.set("strides", std::vector<int64_t>{stride, stride});
    ca.set("group", int64_t{32});
    if (r == "s2same") ca.set("pads", std::vector<int64_t>{0, 0, 1, 1});
    if (r == "s1shift") ca.set("pads", std::vector<int64_t>{0, 0, 2, 2});
    g.node(g.add_node("FusedConv", "dw_" + r, {a, w, b}, {y}, ca)).domain = "yq";
    g.value(y).qparams = sym(0.03f);
    g.add_output(y);
  }
  return g;
}

// An int8 conv writing f32 (its reader stays float, like YOLOX-Nano's stem before a float
// depthwise conv) runs its SiLU as the separate pass whatever its shape and size: its arithmetic
// is too cheap to hide oneDNN's swish epilogue. Here a dense 3x3 conv with 1.02 MiB of output,
// which as an f32 conv keeps the epilogue (ConvSwish.DepthwiseAndPointwiseConvsUpToOneMebibyte).
TEST(Int8Graph, Int8ConvWritingF32RunsItsSiluAsAPass) {
  ir::Graph g;
  ir::ValueId x = add_input(g, "x", {1, 8, 128, 130});
  g.value(x).qparams = sym(1.f / 127);
  Tensor wt = random_tensor({16, 8, 3, 3}, 1400, -0.4f, 0.4f);
  ir::ValueId w = add_const(g, "conv.w", wt);
  g.value(w).qparams = quant::per_channel_weight_qparams(wt, 0);
  ir::ValueId b = add_const(g, "conv.b", random_tensor({16}, 1401, -0.2f, 0.2f));
  ir::ValueId y = add_act(g, "conv.y", {1, 16, 128, 130});
  g.node(g.add_node("FusedConv", "conv", {x, w, b}, {y}, conv_attrs(3, "silu"))).domain = "yq";
  g.add_output(y);
  const std::vector<Tensor> in = {random_tensor({1, 8, 128, 130}, 80)};
  RunOut fast = run(g, in, true);
  RunOut ref = run(g, in, false);
  std::string conv_impl, pass_impl;
  for (const KernelInfo& k : fast.stats.kernels) {
    if (k.node == "conv") conv_impl = k.impl;
    if (k.node.rfind("conv_act", 0) == 0) pass_impl = k.impl;
  }
  EXPECT_EQ(conv_impl.rfind("onednn:conv_int8(", 0), 0u) << conv_impl;
  EXPECT_EQ(pass_impl, "plain:swish(in place)");
  ASSERT_EQ(fast.outputs.size(), 1u);
  Diff d = diff_lsb(fast.outputs[0], ref.outputs[0], 0, 1e-4);
  EXPECT_EQ(d.nonzero, 0) << "max diff " << d.max_abs;
}

// A padded conv over a zero-point source reads a buffer with the padding in its bytes, which the
// table writes (its border the zero point's code): no oneDNN zero-point path, the zero point in
// the bias. Readers sharing one padding share the buffer; a reader that is not such a conv (the
// max pool) or pads differently keeps the plain buffer and the zero-point path for all. The same
// values as the reference.
TEST(Int8Graph, DepthwiseConvsReadTheirZeroPointSourceWithThePaddingInIt) {
  const std::vector<Tensor> in = {random_tensor({1, 16, 10, 12}, 79)};
  struct Case {
    std::vector<std::string> readers;
    int padded_convs;
  };
  // s1 and s1shift read buffers of one size with the interior at different places: not shared.
  for (const Case& c :
       {Case{{"s1", "s2"}, 2}, Case{{"s2same"}, 1}, Case{{"s1", "pool"}, 0}, Case{{"s1", "s1shift"}, 0}}) {
    std::string label;
    for (const std::string& r : c.readers) label += r + " ";
    SCOPED_TRACE(label);
    ir::Graph g = table_into_padded_depthwise(c.readers);
    RunOut fast = run(g, in, true);
    RunOut ref = run(g, in, false);
    int padded_convs = 0, padded_tables = 0;
    for (const KernelInfo& k : fast.stats.kernels) {
      padded_convs += k.impl.find("+padded") != std::string::npos;
      padded_tables += k.impl.find("(padded for dw_") != std::string::npos;
    }
    EXPECT_EQ(padded_convs, c.padded_convs);
    EXPECT_EQ(padded_tables, c.padded_convs > 0 ? 1 : 0);
    EXPECT_EQ(fast.stats.int8_kernels, static_cast<int>(2 + c.readers.size()));
    // The table is exact; each conv may round a value at a tie either way.
    expect_outputs_within_one_lsb(fast, ref, std::vector<double>(c.readers.size(), 0.03));
  }
}

// A CSP block's end (YOLOX): a residual block's table + add and a second branch's table, both
// read by one Concat alone: both write straight into the concat's pixels.
TEST(Int8Graph, ResidualTableAddWritesStraightIntoItsConcat) {
  ir::Graph g;
  ir::ValueId x = add_input(g, "x", {1, 16, 9, 7});
  const ir::QParams act_q = *ir::QParams::per_tensor(1.1f / 255, 20, DType::kU8);
  g.value(x).qparams = act_q;
  auto silu = [&](const std::string& name, ir::ValueId pre, int64_t c) {
    ir::ValueId a = add_act(g, name + ".a", {1, c, 9, 7});
    ir::Attributes sa;
    sa.set("activation", std::string("silu"));
    g.node(g.add_node("Activation", name + "_silu", {pre}, {a}, sa)).domain = "yq";
    return a;
  };
  ir::ValueId pre = add_pointwise_conv(g, "conv", x, 16, 16, {1, 16, 9, 7}, 1500);
  g.value(pre).qparams = *ir::QParams::per_tensor(6.f / 255, 170, DType::kU8);
  ir::ValueId y = add_act(g, "y", {1, 16, 9, 7});
  g.add_node("Add", "residual", {silu("conv", pre, 16), x}, {y});
  ir::ValueId pre2 = add_pointwise_conv(g, "side", x, 16, 24, {1, 24, 9, 7}, 1501);
  g.value(pre2).qparams = *ir::QParams::per_tensor(5.f / 255, 150, DType::kU8);
  ir::ValueId side = silu("side", pre2, 24);
  const ir::QParams cat_q = *ir::QParams::per_tensor(4.f / 255, 40, DType::kU8);
  g.value(y).qparams = cat_q;
  g.value(side).qparams = cat_q;
  ir::ValueId cat = add_channel_concat(g, "concat", {y, side}, "cat", {1, 40, 9, 7});
  g.value(cat).qparams = cat_q;
  ir::ValueId out = add_pointwise_conv(g, "head", cat, 40, 8, {1, 8, 9, 7}, 1502);
  g.value(out).qparams = sym(0.05f);
  g.add_output(out);
  const std::vector<Tensor> in = {random_tensor({1, 16, 9, 7}, 81, -0.2f, 1.f)};
  RunOut fast = run(g, in, true);
  RunOut ref = run(g, in, false);
  std::string add_impl, concat_impl;
  for (const KernelInfo& k : fast.stats.kernels) {
    if (k.node == "conv_silu+residual") add_impl = k.impl;
    if (k.node == "concat") concat_impl = k.impl;
  }
  EXPECT_EQ(add_impl, "int8:table-add:silu(into concat)");
  EXPECT_EQ(concat_impl, "int8:copy:Concat(keep, 2 written by their tables)");
  // The tables and the concat are exact, the table + add at most one code off at a tie; the head
  // conv may round a boundary value either way.
  expect_outputs_within_one_lsb(fast, ref, {0.05});
}

// YOLOX's PAFPN: a 1x1 conv's output upsampled 2x (nearest) and concatenated with a larger map,
// then a 1x1 conv. When the concat alone reads the upsampled map, the upsampling writes straight
// into the concat's pixels (72 channels: a 64-code block and a masked tail per pixel); as a graph
// output too it keeps oneDNN's resampling and the concat copies it. The same codes either way.
TEST(Int8Graph, UpsampledMapIsWrittenStraightIntoItsConcat) {
  for (bool also_output : {false, true}) {
    SCOPED_TRACE(also_output ? "upsampled map also a graph output" : "read by the concat alone");
    ir::Graph g;
    ir::ValueId x = add_input(g, "x", {1, 16, 5, 6});
    g.value(x).qparams = sym(1.f / 127);
    ir::ValueId big = add_input(g, "big", {1, 24, 10, 12});
    g.value(big).qparams = sym(0.03f);
    ir::ValueId small = add_pointwise_conv(g, "lateral", x, 16, 72, {1, 72, 5, 6}, 1600);
    g.value(small).qparams = sym(0.03f);
    ir::ValueId up = add_upsample_2x(g, "resize", small, {1, 72, 10, 12});
    g.value(up).qparams = sym(0.03f);
    ir::ValueId cat = add_channel_concat(g, "concat", {up, big}, "cat", {1, 96, 10, 12});
    g.value(cat).qparams = sym(0.03f);
    ir::ValueId y = add_pointwise_conv(g, "head", cat, 96, 8, {1, 8, 10, 12}, 1601);
    g.value(y).qparams = sym(0.05f);
    g.add_output(y);
    if (also_output) g.add_output(up);
    const std::vector<Tensor> in = {random_tensor({1, 16, 5, 6}, 82), random_tensor({1, 24, 10, 12}, 83)};
    RunOut fast = run(g, in, true);
    RunOut ref = run(g, in, false);
    std::string resize_impl, concat_impl;
    for (const KernelInfo& k : fast.stats.kernels) {
      if (k.node == "resize") resize_impl = k.impl;
      if (k.node == "concat") concat_impl = k.impl;
    }
    if (also_output) {
      EXPECT_EQ(resize_impl.rfind("onednn:resampling_int8", 0), 0u) << resize_impl;
      EXPECT_EQ(concat_impl.find("upsampled"), std::string::npos) << concat_impl;
    } else {
      EXPECT_EQ(resize_impl, "int8:upsample-nearest(into concat)");
      EXPECT_EQ(concat_impl, "int8:copy:Concat(keep, 1 upsampled into it)");
    }
    // The upsampling and the concat move codes exactly; the convs may round a tie either way.
    expect_outputs_within_one_lsb(fast, ref, {0.05, 0.03});
  }
}

// An f32 conv (weights float) with 24 output channels, quantized with a zero point for an int8 conv:
// whatever layout oneDNN gives the f32 output (a blocked one pads 24 channels to 32), the
// quantize step is planned through a dense layout.
TEST(Int8Graph, ZeroPointQuantizeAfterAnF32Conv) {
  ir::Graph g;
  ir::ValueId x = add_input(g, "x", {1, 8, 10, 12});
  ir::ValueId w = add_const(g, "f.w", random_tensor({24, 8, 3, 3}, 902, -0.4f, 0.4f));
  ir::ValueId h = add_act(g, "f.y", {1, 24, 10, 12});
  g.node(g.add_node("FusedConv", "f32conv", {x, w}, {h}, conv_attrs(3, "silu"))).domain = "yq";
  g.value(h).qparams = quant::asymmetric_u8_qparams(-0.28f, 1.5f);
  ir::ValueId y = add_pointwise_conv(g, "conv", h, 24, 16, {1, 16, 10, 12}, 903);
  g.value(y).qparams = sym(0.02f);
  g.add_output(y);
  std::vector<Tensor> in = {random_tensor({1, 8, 10, 12}, 12)};
  RunOut fast = run(g, in, true);
  RunOut ref = run(g, in, false);
  EXPECT_EQ(fast.stats.int8_kernels, 1);
  EXPECT_EQ(fast.stats.quantize_ops, 1);
  expect_within_one_lsb(fast, ref, 0.02, 20);
}

// A u8 value with a zero point leaving the engine from an nhwc int8 conv with 128 channels: the
// case oneDNN 2.6's jit reorder gets wrong (it drops the source zero point while transposing to
// nchw), so the engine must dequantize in the conv's layout with its own loop.
TEST(Int8Graph, ZeroPointValueLeavesNhwcWithItsZeroPoint) {
  ir::Graph g;
  ir::ValueId x = add_input(g, "x", {1, 128, 13, 13});
  g.value(x).qparams = quant::asymmetric_u8_qparams(-0.3f, 1.f);
  ir::ValueId y = add_pointwise_conv(g, "conv", x, 128, 128, {1, 128, 13, 13}, 900);
  g.value(y).qparams = quant::asymmetric_u8_qparams(-0.5f, 2.f);
  g.add_output(y);
  std::vector<Tensor> in = {random_tensor({1, 128, 13, 13}, 9, -0.3f, 1.f)};
  RunOut fast = run(g, in, true);
  RunOut ref = run(g, in, false);
  EXPECT_EQ(fast.stats.int8_kernels, 1);
  expect_within_one_lsb(fast, ref, g.value(y).qparams->scales[0], 10);
}

// An image-like int8 input (3 channels) read by an int8 conv in NHWC is quantized straight from
// the f32 NCHW input into NHWC: one step, no u8 reorder, and the NCHW copy's quantize is dropped.
TEST(Int8Graph, ImageInputIsQuantizedStraightIntoNhwc) {
  ir::Graph g;
  ir::ValueId x = add_input(g, "x", {1, 3, 20, 24});
  ir::QParams u8 = *ir::QParams::per_tensor(1.f / 255, 0, DType::kU8);
  u8.qmin = 0;
  u8.qmax = 255;
  g.value(x).qparams = u8;
  ir::ValueId c1 = add_conv(g, "conv1", x, 3, 16, 3, {1, 16, 20, 24}, 500);
  g.value(c1).qparams = sym(0.02f);
  ir::ValueId c2 = add_conv(g, "conv2", c1, 16, 8, 1, {1, 8, 20, 24}, 600);
  g.add_output(c2);
  std::vector<Tensor> in = {random_tensor({1, 3, 20, 24}, 9, 0.f, 1.f)};
  RunOut fast = run(g, in, true);
  RunOut ref = run(g, in, false);
  ASSERT_EQ(fast.outputs.size(), 1u);
  int entry = 0, reorders_of_x = 0;
  for (const auto& k : fast.stats.kernels) {
    entry += k.impl == "int8:nchw-to-nhwc" ? 1 : 0;
    reorders_of_x += k.node == "reorder:x" || k.node == "quantize:x" ? 1 : 0;
  }
  EXPECT_EQ(entry, 1);
  EXPECT_EQ(reorders_of_x, 1);  // the one quantize step
  EXPECT_EQ(fast.stats.quantize_ops, 1);
  EXPECT_EQ(fast.stats.direct_inputs, 1);  // it reads the caller's tensor, no copy first
  // Same codes as the reference's quantization of x, so only the convs' rounding differs.
  const double lsb = 1.0;  // conv2 writes f32: compare in absolute terms against its scale
  Diff d = diff_lsb(fast.outputs[0], ref.outputs[0], 0.02 * lsb, 1e-4);
  EXPECT_LE(d.max_abs, 0.05) << "max diff " << d.max_abs;
}

// A stride-2 6x6 stem over the image (YOLOX's, after fold_space_to_depth_conv) runs as a 3x3
// stride-1 conv over the image's space-to-depth blocks, which the entry quantize writes
// directly; the same sums as the reference. An odd width keeps the plain stride-2 conv.
TEST(Int8Graph, StrideTwoStemRunsOnSpaceToDepthBlocks) {
  for (int64_t w : {74, 75}) {
    SCOPED_TRACE("width " + std::to_string(w));
    const int64_t ow = (w + 4 - 6) / 2 + 1;
    ir::Graph g;
    ir::ValueId x = add_input(g, "x", {1, 3, 10, w});
    ir::QParams u8 = *ir::QParams::per_tensor(1.f / 255, 0, DType::kU8);
    g.value(x).qparams = u8;
    Tensor wt = random_tensor({16, 3, 6, 6}, 510, -0.4f, 0.4f);
    ir::ValueId wv = add_const(g, "stem.w", wt);
    g.value(wv).qparams = quant::per_channel_weight_qparams(wt, 0);
    ir::ValueId b = add_const(g, "stem.b", random_tensor({16}, 511, -0.2f, 0.2f));
    ir::ValueId y = add_act(g, "stem.y", {1, 16, 5, ow});
    ir::Attributes a;
    a.set("kernel_shape", std::vector<int64_t>{6, 6});
    a.set("strides", std::vector<int64_t>{2, 2});
    a.set("pads", std::vector<int64_t>{2, 2, 2, 2});
    a.set("activation", std::string("silu"));
    g.node(g.add_node("FusedConv", "stem", {x, wv, b}, {y}, a)).domain = "yq";
    ir::ValueId c2 = add_pointwise_conv(g, "next", y, 16, 8, {1, 8, 5, ow}, 512);
    g.value(y).qparams = *ir::QParams::per_tensor(2.f / 255, 20, DType::kU8);
    g.value(c2).qparams = sym(0.05f);
    g.add_output(c2);
    std::vector<Tensor> in = {random_tensor({1, 3, 10, w}, 513, 0.f, 1.f)};
    RunOut fast = run(g, in, true);
    RunOut ref = run(g, in, false);
    std::string stem_impl, quantize_impl;
    for (const KernelInfo& k : fast.stats.kernels) {
      if (k.node == "stem") stem_impl = k.impl;
      if (k.node == "quantize:x") quantize_impl = k.impl;
    }
    const bool blocks = w % 2 == 0;
    EXPECT_EQ(stem_impl.find("+s2d") != std::string::npos, blocks) << stem_impl;
    EXPECT_EQ(quantize_impl, blocks ? "int8:nchw-to-s2d-nhwc" : "int8:nchw-to-nhwc");
    EXPECT_EQ(fast.stats.quantize_ops, 1);
    expect_within_one_lsb(fast, ref, 0.05, 20);
  }
}

// A 3x3 stride-2 stem over the image (YOLOv6Lite-S's, NanoDet-m's) runs as a 1x1 conv over the
// patch rows the entry quantize writes (EngineOptions::im2col_stems), which the fused 1x1 kernel
// then takes with its table: the same bytes as oneDNN's 3x3 conv and the table pass, within one
// LSB of the reference; odd and even sizes.
TEST(Int8Graph, ImageStemRunsAsOneByOneConvOverPatchRows) {
  for (int64_t w : {33, 40}) {
    SCOPED_TRACE("width " + std::to_string(w));
    const int64_t oh = 9, ow = (w + 2 - 3) / 2 + 1;
    ir::Graph g;
    ir::ValueId x = add_input(g, "x", {1, 3, 17, w});
    g.value(x).qparams = *ir::QParams::per_tensor(1.f / 255, 0, DType::kU8);
    Tensor wt = random_tensor({32, 3, 3, 3}, 520, -0.5f, 0.5f);
    ir::ValueId wv = add_const(g, "stem.w", wt);
    g.value(wv).qparams = quant::per_channel_weight_qparams(wt, 0);
    ir::ValueId b = add_const(g, "stem.b", random_tensor({32}, 521, -0.2f, 0.2f));
    ir::ValueId pre = add_act(g, "stem.pre", {1, 32, oh, ow});
    ir::Attributes a = conv_attrs(3, "");
    a.set("strides", std::vector<int64_t>{2, 2});
    g.node(g.add_node("FusedConv", "stem", {x, wv, b}, {pre}, a)).domain = "yq";
    g.value(pre).qparams = *ir::QParams::per_tensor(4.f / 255, 100, DType::kU8);
    ir::ValueId y = add_silu(g, "y", pre);
    g.value(y).qparams = *ir::QParams::per_tensor(3.f / 255, 20, DType::kU8);
    g.add_output(y);
    std::vector<Tensor> in = {random_tensor({1, 3, 17, w}, 522, 0.f, 1.f)};
    auto run_with = [&](bool im2col) {
      EngineOptions o;
      o.threads = 2;
      o.im2col_stems = im2col;
      RunOut r;
      auto e = Engine::create(g, o);
      EXPECT_TRUE(e.ok()) << e.status().message();
      if (!e.ok()) return r;
      EXPECT_TRUE((*e)->run(in, &r.outputs).ok());
      r.stats = (*e)->stats();
      return r;
    };
    RunOut patches = run_with(true);
    RunOut native = run_with(false);
    RunOut ref = run(g, in, false);
    std::map<std::string, std::string> impl, native_impl;
    for (const KernelInfo& k : patches.stats.kernels) impl[k.node] = k.impl;
    for (const KernelInfo& k : native.stats.kernels) native_impl[k.node] = k.impl;
    EXPECT_EQ(impl["quantize:x"], "int8:nchw-to-im2col");
    EXPECT_EQ(impl["stem"], "int8:conv1x1+table:silu");
    EXPECT_EQ(native_impl["quantize:x"], "int8:nchw-to-nhwc");
    EXPECT_EQ(native_impl["stem"].find("im2col"), std::string::npos);
    EXPECT_EQ(patches.stats.quantize_ops, 1);
    ASSERT_EQ(patches.outputs.size(), 1u);
    ASSERT_EQ(native.outputs.size(), 1u);
    EXPECT_EQ(std::memcmp(patches.outputs[0].raw(), native.outputs[0].raw(), patches.outputs[0].nbytes()), 0);
    expect_outputs_within_one_lsb(patches, ref, {3.f / 255});
  }
}

// A MaxPool whose int8 input comes from a quantize step (plain nchw s8, as after a float layer):
// oneDNN only has its scalar reference for that layout, so the pool runs on nhwc (yoloq's loop,
// or oneDNN's jit without AVX-512BW) and the planner reorders (FastestDet with a float stem ran
// its stem pool at 15 ms instead of 0.05 ms).
TEST(Int8Graph, MaxPoolAfterAQuantizeStepAvoidsOneDnnsReferencePooling) {
  ir::Graph g;
  ir::ValueId x = add_input(g, "x", {1, 16, 12, 12});
  g.value(x).qparams = sym(1.f / 127);
  ir::ValueId p = add_act(g, "pool.y", {1, 16, 6, 6});
  ir::Attributes pa;
  pa.set("kernel_shape", std::vector<int64_t>{3, 3});
  pa.set("strides", std::vector<int64_t>{2, 2});
  pa.set("pads", std::vector<int64_t>{1, 1, 1, 1});
  g.add_node("MaxPool", "pool", {x}, {p}, pa);
  g.value(p).qparams = sym(1.f / 127);
  ir::ValueId c = add_conv(g, "conv", p, 16, 8, 1, {1, 8, 6, 6}, 500);
  g.value(c).qparams = sym(0.02f);
  g.add_output(c);
  std::vector<Tensor> in = {random_tensor({1, 16, 12, 12}, 9)};
  RunOut fast = run(g, in, true);
  RunOut ref = run(g, in, false);
  bool found = false;
  for (const KernelInfo& k : fast.stats.kernels) {
    if (k.node != "pool") continue;
    found = true;
    EXPECT_EQ(k.impl.find("onednn:pool_int8(ref"), std::string::npos) << k.impl;
    EXPECT_TRUE(k.impl == "int8:nhwc:MaxPool" || k.impl.rfind("onednn:pool_int8(", 0) == 0) << k.impl;
  }
  EXPECT_TRUE(found);
  const double lsb = 0.02;
  Diff d = diff_lsb(fast.outputs[0], ref.outputs[0], lsb, 1e-3 * lsb);
  EXPECT_LE(d.max_abs, lsb + 1e-3 * lsb) << "max diff " << d.max_abs / lsb << " LSB";
}

TEST(Int8Graph, ConcatRequantizesTheOddInputOut) {
  ir::Graph g = int8_chain();
  g.value(*g.find_value("conv3.y")).qparams = sym(0.05f);  // no longer the concat's scale
  std::vector<Tensor> in = {random_tensor({1, 8, 10, 12}, 7)};
  RunOut fast = run(g, in, true);
  RunOut ref = run(g, in, false);
  EXPECT_EQ(fast.stats.requantize_ops, 1);
  EXPECT_EQ(fast.stats.int8_kernels, 7);
  const double lsb = 0.04;
  Diff d = diff_lsb(fast.outputs[0], ref.outputs[0], lsb, 1e-3 * lsb);
  EXPECT_LE(d.max_abs, 2 * lsb + 1e-3 * lsb) << "max diff " << d.max_abs / lsb << " LSB";
}

// A Focus stem on int8 (YOLOX): four stride-2 Slices, a Concat, a conv whose output goes
// through Pad and a Transpose. The data movement runs on the plain strided-copy kernels and the
// Concat as one strided copy, all on int8 bytes, so everything up to the conv is exact; then a
// concat of two int8 conv outputs (kept in the convs' layout) and of an f32-path input.
TEST(Int8Graph, DataMovementRunsOnPlainInt8Kernels) {
  ir::Graph g;
  ir::ValueId x = add_input(g, "x", {1, 3, 18, 22});
  g.value(x).qparams = sym(1.f / 64);
  std::vector<ir::ValueId> parts;
  for (int i = 0; i < 4; ++i) {
    ir::ValueId st = g.add_constant("st" + std::to_string(i), Tensor::from_vector<int64_t>({i % 2, i / 2}, {2}));
    ir::ValueId en = g.add_constant("en" + std::to_string(i), Tensor::from_vector<int64_t>({1000, 1000}, {2}));
    ir::ValueId ax = g.add_constant("ax" + std::to_string(i), Tensor::from_vector<int64_t>({2, 3}, {2}));
    ir::ValueId sp = g.add_constant("sp" + std::to_string(i), Tensor::from_vector<int64_t>({2, 2}, {2}));
    ir::ValueId y = add_act(g, "s" + std::to_string(i), {1, 3, 9, 11});
    g.add_node("Slice", "slice" + std::to_string(i), {x, st, en, ax, sp}, {y});
    g.value(y).qparams = sym(1.f / 64);
    parts.push_back(y);
  }
  ir::ValueId cat = add_channel_concat(g, "focus_cat", parts, "focus", {1, 12, 9, 11});
  g.value(cat).qparams = sym(1.f / 64);
  ir::ValueId c1 = add_conv(g, "conv1", cat, 12, 16, 3, {1, 16, 9, 11}, 11);
  ir::ValueId c2 = add_conv(g, "conv2", cat, 12, 8, 1, {1, 8, 9, 11}, 12);
  g.value(c1).qparams = sym(0.05f);
  g.value(c2).qparams = sym(0.05f);
  ir::ValueId cat2 = add_channel_concat(g, "cat2", {c1, c2}, "cat2", {1, 24, 9, 11});
  g.value(cat2).qparams = sym(0.05f);
  ir::ValueId pads = g.add_constant("pads", Tensor::from_vector<int64_t>({0, 0, 1, 2, 0, 0, 2, 1}, {8}));
  ir::ValueId padded = add_act(g, "padded", {1, 24, 12, 14});
  g.add_node("Pad", "pad", {cat2, pads}, {padded});
  g.value(padded).qparams = sym(0.05f);
  ir::ValueId tr = add_act(g, "tr", {1, 12, 14, 24});
  ir::Attributes ta;
  ta.set("perm", std::vector<int64_t>{0, 2, 3, 1});
  g.add_node("Transpose", "transpose", {padded}, {tr}, ta);
  g.value(tr).qparams = sym(0.05f);
  g.add_output(cat);
  g.add_output(tr);

  std::vector<Tensor> in = {random_tensor({1, 3, 18, 22}, 5)};
  RunOut fast = run(g, in, true);
  RunOut ref = run(g, in, false);
  ASSERT_EQ(fast.outputs.size(), 2u);
  ASSERT_EQ(ref.outputs.size(), 2u);
  // 4 Slices, 2 Concats, 2 convs, Pad, Transpose: all int8, nothing quantized twice.
  EXPECT_EQ(fast.stats.int8_kernels, 10);
  EXPECT_EQ(fast.stats.quantize_ops, 1);
  EXPECT_EQ(fast.stats.requantize_ops, 0);
  int plain = 0, copy = 0;
  for (const KernelInfo& k : fast.stats.kernels) {
    plain += k.impl.rfind("int8:plain:", 0) == 0;
    copy += k.impl.rfind("int8:copy:Concat", 0) == 0;
  }
  EXPECT_EQ(plain, 6);  // Slices, Pad, Transpose
  EXPECT_EQ(copy, 2);
  EXPECT_EQ(0, std::memcmp(fast.outputs[0].raw(), ref.outputs[0].raw(), ref.outputs[0].nbytes()));
  const double lsb = 0.05;
  Diff d = diff_lsb(fast.outputs[1], ref.outputs[1], lsb, 1e-3 * lsb);
  EXPECT_LE(d.max_abs, lsb + 1e-3 * lsb) << "max diff " << d.max_abs / lsb << " LSB";
  EXPECT_LE(d.nonzero, d.n / 50) << d.nonzero << " of " << d.n << " elements differ";
}

// ---- QuantizeLinear / DequantizeLinear reference kernels vs quant/qmath.h ----

TEST(QdqRef, QuantizeLinearMatchesQmathIncludingTies) {
  ir::Graph g;
  ir::ValueId x = add_input(g, "x", {2, 3, 2});
  ir::ValueId s = add_const(g, "s", Tensor::from_vector<float>({0.5f, 0.25f, 0.1f}, {3}));
  ir::ValueId z = add_const(g, "z", Tensor::from_vector<int8_t>({0, 3, -2}, {3}));
  ir::ValueId q = g.add_value("q", DType::kI8);
  ir::ValueId y = g.add_value("y", DType::kF32);
  ir::Attributes a;
  a.set("axis", int64_t{1});
  g.add_node("QuantizeLinear", "q", {x, s, z}, {q}, a);
  g.add_node("DequantizeLinear", "dq", {q, s, z}, {y}, a);
  g.add_output(q);
  g.add_output(y);
  ref::RefEvaluator ev;
  ASSERT_TRUE(ir::infer_shapes(g, {&ev}).ok());
  EXPECT_EQ(g.value(q).dtype, DType::kI8);
  // Ties (0.25 / 0.5 = 0.5 -> 0, 0.75 / 0.5 = 1.5 -> 2), saturation and negative values.
  Tensor xt = Tensor::from_vector<float>({0.25f, 0.75f, -0.375f, 0.125f, 100.f, -100.f, 1.25f, -1.25f, 0.05f, -0.15f,
                                          0.2f, 0.f},
                                         {2, 3, 2});
  RunOut r = run(g, {xt}, false);
  ASSERT_EQ(r.outputs.size(), 2u);
  ir::QParams qp;
  qp.dtype = DType::kI8;
  qp.scales = {0.5f, 0.25f, 0.1f};
  qp.zero_points = {0, 3, -2};
  qp.axis = 1;
  Tensor want_q = quant::quantize_tensor(xt, qp);
  Tensor want_y = quant::dequantize_tensor(want_q, qp);
  for (int64_t i = 0; i < xt.numel(); ++i) {
    EXPECT_EQ(r.outputs[0].data<int8_t>()[i], want_q.data<int8_t>()[i]) << "element " << i;
    EXPECT_EQ(r.outputs[1].data<float>()[i], want_y.data<float>()[i]) << "element " << i;
  }
  EXPECT_EQ(r.outputs[0].data<int8_t>()[0], 0);  // 0.5 rounds to even
  EXPECT_EQ(r.outputs[0].data<int8_t>()[1], 2);  // 1.5 rounds to even
}

// ---- absorb_qdq ----

// x -> Q -> DQ -> Conv(W = DQ(int8 initializer, per axis 0), B) -> y, and y -> Q -> DQ -> out.
ir::Graph qdq_graph(float dq_scale_x = 1.f / 64) {
  ir::Graph g;
  ir::ValueId x = add_input(g, "x", {1, 4, 6, 6});
  ir::ValueId sx = add_const(g, "sx", Tensor::scalar<float>(1.f / 64));
  ir::ValueId sx2 = add_const(g, "sx2", Tensor::scalar<float>(dq_scale_x));
  ir::ValueId zx = add_const(g, "zx", Tensor::scalar<int8_t>(0));
  ir::ValueId xq = g.add_value("x_q", DType::kI8);
  ir::ValueId xd = g.add_value("x_dq", DType::kF32);
  g.add_node("QuantizeLinear", "q_x", {x, sx, zx}, {xq});
  g.add_node("DequantizeLinear", "dq_x", {xq, sx2, zx}, {xd});
  Tensor wq = Tensor::empty(DType::kI8, {3, 4, 3, 3});
  for (int64_t i = 0; i < wq.numel(); ++i) wq.data<int8_t>()[i] = static_cast<int8_t>((i * 37) % 255 - 127);
  ir::ValueId wi = add_const(g, "w_int8", wq);
  ir::ValueId sw = add_const(g, "sw", Tensor::from_vector<float>({0.01f, 0.02f, 0.005f}, {3}));
  ir::ValueId zw = add_const(g, "zw", Tensor::from_vector<int8_t>({0, 0, 0}, {3}));
  ir::ValueId wd = g.add_value("w_dq", DType::kF32);
  ir::Attributes wa;
  wa.set("axis", int64_t{0});
  g.add_node("DequantizeLinear", "dq_w", {wi, sw, zw}, {wd}, wa);
  ir::ValueId b = add_const(g, "b", Tensor::from_vector<float>({0.1f, -0.2f, 0.3f}, {3}));
  ir::ValueId y = g.add_value("y", DType::kF32);
  ir::Attributes ca;
  ca.set("kernel_shape", std::vector<int64_t>{3, 3});
  ca.set("pads", std::vector<int64_t>{1, 1, 1, 1});
  g.add_node("Conv", "conv", {xd, wd, b}, {y}, ca);
  ir::ValueId sy = add_const(g, "sy", Tensor::scalar<float>(0.05f));
  ir::ValueId zy = add_const(g, "zy", Tensor::scalar<uint8_t>(128));
  ir::ValueId yq = g.add_value("y_q", DType::kU8);
  ir::ValueId out = g.add_value("out", DType::kF32);
  g.add_node("QuantizeLinear", "q_y", {y, sy, zy}, {yq});
  g.add_node("DequantizeLinear", "dq_y", {yq, sy, zy}, {out});
  g.add_output(out);
  return g;
}

int count_op(const ir::Graph& g, const std::string& op) {
  int n = 0;
  for (ir::NodeId id : g.live_nodes()) n += g.node(id).op_type == op;
  return n;
}

TEST(AbsorbQdq, TurnsQdqIntoQparamsWithSameNumerics) {
  ir::Graph qdq = qdq_graph();
  ref::RefEvaluator ev;
  ASSERT_TRUE(ir::infer_shapes(qdq, {&ev}).ok());
  ir::Graph g = qdq;
  auto rep = ir::optimize_graph(g);
  ASSERT_TRUE(rep.ok()) << rep.status().message();
  ASSERT_TRUE(ir::infer_shapes(g, {&ev}).ok());
  ASSERT_TRUE(g.verify().ok());
  EXPECT_EQ(count_op(g, "QuantizeLinear"), 0);
  EXPECT_EQ(count_op(g, "DequantizeLinear"), 0);
  EXPECT_EQ(count_op(g, "Conv"), 1);
  const ir::Node& conv = g.node(g.live_nodes()[0]);
  // x carries {1/64, 0}; the weight became an f32 constant with per-channel qparams on axis 0.
  const ir::Value& x = g.value(conv.input(0));
  EXPECT_EQ(x.name, "x");
  ASSERT_TRUE(x.qparams.has_value());
  EXPECT_EQ(x.qparams->scales, std::vector<float>{1.f / 64});
  EXPECT_EQ(x.qparams->dtype, DType::kI8);
  const ir::Value& w = g.value(conv.input(1));
  ASSERT_TRUE(w.is_constant());
  ASSERT_TRUE(w.qparams.has_value());
  EXPECT_EQ(w.qparams->axis, 0);
  EXPECT_EQ(w.qparams->scales, (std::vector<float>{0.01f, 0.02f, 0.005f}));
  EXPECT_FLOAT_EQ(w.constant->data<float>()[0], -127 * 0.01f);
  // The output keeps its name; its producer is the conv, with u8 qparams {0.05, 128}.
  ASSERT_EQ(g.outputs().size(), 1u);
  const ir::Value& out = g.value(g.outputs()[0]);
  EXPECT_EQ(out.name, "out");
  EXPECT_EQ(out.producer(), conv.id);
  ASSERT_TRUE(out.qparams.has_value());
  EXPECT_EQ(out.qparams->dtype, DType::kU8);
  EXPECT_EQ(out.qparams->zero_points, std::vector<int32_t>{128});

  // Same numbers: the QDQ graph on the reference kernels vs the absorbed graph on the fake-quant
  // reference path (both compute in f32 on identical values: exact).
  std::vector<Tensor> in = {random_tensor({1, 4, 6, 6}, 3, -2.f, 2.f)};
  RunOut a = run(qdq, in, false);
  RunOut b = run(g, in, false);
  ASSERT_EQ(a.outputs.size(), 1u);
  ASSERT_EQ(b.outputs.size(), 1u);
  Diff d = diff_lsb(b.outputs[0], a.outputs[0], 0, 0);
  EXPECT_EQ(d.nonzero, 0) << "max diff " << d.max_abs;
}

TEST(AbsorbQdq, InconsistentScalesNameTheNode) {
  ir::Graph g = qdq_graph(1.f / 32);  // dq_x dequantizes with another scale than q_x used
  ref::RefEvaluator ev;
  ASSERT_TRUE(ir::infer_shapes(g, {&ev}).ok());
  auto rep = ir::optimize_graph(g);
  ASSERT_FALSE(rep.ok());
  const std::string msg = rep.status().message();
  EXPECT_NE(msg.find("inconsistent scales"), std::string::npos) << msg;
  EXPECT_NE(msg.find("dq_x"), std::string::npos) << msg;
  EXPECT_NE(msg.find("q_x"), std::string::npos) << msg;
}

TEST(AbsorbQdq, TwoQuantizersOfOneTensorNameBothNodes) {
  ir::Graph g = qdq_graph();
  // A second Q -> DQ of x with another scale, feeding a second output.
  ir::ValueId x = *g.find_value("x");
  ir::ValueId s = add_const(g, "s_other", Tensor::scalar<float>(1.f / 16));
  ir::ValueId z = *g.find_value("zx");
  ir::ValueId q = g.add_value("x_q2", DType::kI8);
  ir::ValueId d = g.add_value("x_dq2", DType::kF32);
  g.add_node("QuantizeLinear", "q_x_other", {x, s, z}, {q});
  g.add_node("DequantizeLinear", "dq_x_other", {q, s, z}, {d});
  ir::ValueId r = g.add_value("r", DType::kF32);
  g.add_node("Relu", "relu", {d}, {r});
  g.add_output(r);
  ref::RefEvaluator ev;
  ASSERT_TRUE(ir::infer_shapes(g, {&ev}).ok());
  auto rep = ir::optimize_graph(g);
  ASSERT_FALSE(rep.ok());
  const std::string msg = rep.status().message();
  EXPECT_NE(msg.find("inconsistent scales"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'q_x'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'q_x_other'"), std::string::npos) << msg;
}

TEST(AbsorbQdq, FusionDeclinesOverQuantizedValues) {
  // conv -> y (qparams) -> Relu: fusing into the conv would drop the rounding of y, so the Relu
  // becomes a standalone yq Activation reading y (the int8 engine's byte table).
  ir::Graph g;
  ir::ValueId x = add_input(g, "x", {1, 2, 4, 4});
  ir::ValueId w = add_const(g, "w", random_tensor({2, 2, 1, 1}, 1));
  ir::ValueId y = add_act(g, "y", {1, 2, 4, 4});
  ir::ValueId r = add_act(g, "r", {1, 2, 4, 4});
  ir::Attributes ca;
  ca.set("kernel_shape", std::vector<int64_t>{1, 1});
  g.add_node("Conv", "conv", {x, w}, {y}, ca);
  g.add_node("Relu", "relu", {y}, {r});
  g.add_output(r);
  g.value(y).qparams = sym(0.01f);
  auto rep = ir::optimize_graph(g);
  ASSERT_TRUE(rep.ok()) << rep.status().message();
  EXPECT_EQ(count_op(g, "FusedConv") + count_op(g, "Conv"), 1);
  for (ir::NodeId id : g.live_nodes()) {
    if (g.node(id).op_type == "FusedConv") {
      EXPECT_EQ(g.node(id).attrs.get_string("activation", ""), "");
    }
  }
  EXPECT_EQ(count_op(g, "Relu"), 0);
  ASSERT_EQ(count_op(g, "Activation"), 1);
  EXPECT_EQ(g.producer_of(r)->input(0), y);
}

}  // namespace
}  // namespace yq::runtime
