// SPDX-License-Identifier: Apache-2.0
// Channel Gather on nhwc int8 (runtime/kernels/int8/int8_channel_gather.cpp): every loop it picks
// against the definition out[p, j] = in[p, channels[j]], byte for byte, including the SSE2 tails,
// and the engine's use of it on a small ShuffleNetV2 block against the reference kernels.
#include <gtest/gtest.h>

#include <map>
#include <omp.h>

#include <algorithm>
#include <numeric>
#include <random>

#include "runtime/kernels/int8/int8_kernels.h"
#include "tests/runtime_int8/int8_test_util.h"

namespace yq::runtime {
namespace {

using namespace int8_testing;

struct GatherCase {
  const char* name;
  int64_t c_in;
  std::vector<int64_t> channels;
  int8::ChannelGather::Kind kind;
};

std::vector<int64_t> stepped(int64_t start, int64_t n, int64_t step) {
  std::vector<int64_t> v(n);
  for (int64_t j = 0; j < n; ++j) v[j] = start + j * step;
  return v;
}
std::vector<int64_t> interleaved(int64_t a, int64_t b, int64_t n) {
  std::vector<int64_t> v;
  for (int64_t j = 0; j < n; ++j) {
    v.push_back(a + j);
    v.push_back(b + j);
  }
  return v;
}
std::vector<int64_t> shuffled(int64_t c, uint32_t seed) {
  std::vector<int64_t> v(c);
  std::iota(v.begin(), v.end(), 0);
  std::shuffle(v.begin(), v.end(), std::mt19937(seed));
  return v;
}

void PrintTo(const GatherCase& c, std::ostream* os) { *os << c.name; }

class ChannelGatherKernel : public ::testing::TestWithParam<GatherCase> {};

TEST_P(ChannelGatherKernel, MatchesTheDefinitionOnEveryByte) {
  const GatherCase& c = GetParam();
  const int8::ChannelGather plan = int8::plan_channel_gather(c.c_in, c.channels);
  EXPECT_EQ(plan.kind, c.kind);
  const int64_t c_out = static_cast<int64_t>(c.channels.size());
  for (int threads : {1, 2}) {
    omp_set_num_threads(threads);
    for (int64_t pixels : {int64_t{1}, int64_t{7}, int64_t{44 * 44}}) {
      std::vector<uint8_t> in(pixels * c.c_in);
      std::mt19937 rng(static_cast<uint32_t>(pixels));
      for (uint8_t& b : in) b = static_cast<uint8_t>(rng());
      std::vector<uint8_t> out(pixels * c_out, 0xAB);
      int8::run_channel_gather(plan, in.data(), out.data(), pixels);
      for (int64_t p = 0; p < pixels; ++p)
        for (int64_t j = 0; j < c_out; ++j)
          ASSERT_EQ(out[p * c_out + j], in[p * c.c_in + c.channels[j]])
              << c.name << ": pixel " << p << " channel " << j << " (" << pixels << " pixels, " << threads
              << " threads)";
    }
  }
  omp_set_num_threads(1);
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, ChannelGatherKernel,
    ::testing::Values(GatherCase{"even", 48, stepped(0, 24, 2), int8::ChannelGather::Kind::kEvenOdd},
                      GatherCase{"odd", 48, stepped(1, 24, 2), int8::ChannelGather::Kind::kEvenOdd},
                      GatherCase{"odd_small", 6, stepped(1, 3, 2), int8::ChannelGather::Kind::kEvenOdd},
                      GatherCase{"shuffle_first_half", 116, interleaved(0, 58, 29),
                                 int8::ChannelGather::Kind::kInterleave},
                      GatherCase{"shuffle_second_half", 116, interleaved(29, 87, 29),
                                 int8::ChannelGather::Kind::kInterleave},
                      GatherCase{"shuffle_whole", 64, interleaved(0, 32, 32), int8::ChannelGather::Kind::kInterleave},
                      GatherCase{"slice", 40, stepped(8, 20, 1), int8::ChannelGather::Kind::kRuns},
                      GatherCase{"permutation", 37, shuffled(37, 5), int8::ChannelGather::Kind::kRuns},
                      GatherCase{"repeats", 8, {3, 3, 0, 7, 7, 1}, int8::ChannelGather::Kind::kRuns}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

// conv(8->16) -> Gather(odd channels) -> conv(8->8): the Gather runs on nhwc int8 between the two
// convs with no reorder, and the result equals the reference kernels' (one LSB for the convs'
// rounding, int8_conv_test.cpp says why).
TEST(Int8ChannelGather, RunsBetweenInt8ConvsWithoutReorders) {
  ir::Graph g;
  ir::ValueId x = add_input(g, "x", {1, 8, 9, 11});
  g.value(x).qparams = sym(1.f / 127);
  Tensor wt = random_tensor({16, 8, 1, 1}, 3, -0.4f, 0.4f);
  auto conv = [&](const std::string& name, ir::ValueId in, int64_t ic, int64_t oc, uint32_t seed) {
    Tensor w = random_tensor({oc, ic, 1, 1}, seed, -0.4f, 0.4f);
    ir::ValueId wv = add_const(g, name + ".w", w);
    g.value(wv).qparams = quant::per_channel_weight_qparams(w, 0);
    ir::ValueId b = add_const(g, name + ".b", random_tensor({oc}, seed + 1, -0.2f, 0.2f));
    ir::ValueId y = add_act(g, name + ".y", {1, oc, 9, 11});
    ir::Attributes a;
    a.set("kernel_shape", std::vector<int64_t>{1, 1});
    a.set("activation", std::string("relu"));
    ir::NodeId n = g.add_node("FusedConv", name, {in, wv, b}, {y}, a);
    g.node(n).domain = "yq";
    return y;
  };
  ir::ValueId c1 = conv("conv1", x, 8, 16, 10);
  g.value(c1).qparams = sym(0.02f);
  Tensor idx = Tensor::empty(DType::kI64, {8});
  for (int64_t j = 0; j < 8; ++j) idx.data<int64_t>()[j] = 2 * j + 1;
  ir::ValueId iv = add_const(g, "odd", idx);
  ir::ValueId odd = add_act(g, "odd.y", {1, 8, 9, 11});
  ir::Attributes ga;
  ga.set("axis", int64_t{1});
  g.add_node("Gather", "gather", {c1, iv}, {odd}, ga);
  g.value(odd).qparams = sym(0.02f);
  ir::ValueId c2 = conv("conv2", odd, 8, 8, 20);
  g.add_output(c2);
  std::vector<Tensor> in = {random_tensor({1, 8, 9, 11}, 4)};
  RunOut fast = run(g, in, true);
  RunOut ref = run(g, in, false);
  bool found = false;
  for (const KernelInfo& k : fast.stats.kernels) {
    if (k.node == "gather") {
      found = true;
      EXPECT_EQ(k.impl, "int8:nhwc:ChannelGather(even-odd)");
    }
    // No conversion of the Gather's input or output: both stay in the convs' nhwc int8.
    EXPECT_EQ(k.node.find("conv1.y"), std::string::npos) << k.op << " " << k.node;
    EXPECT_EQ(k.node.find("odd.y"), std::string::npos) << k.op << " " << k.node;
  }
  EXPECT_TRUE(found);
  ASSERT_EQ(fast.outputs.size(), 1u);
  Diff d = diff_lsb(fast.outputs[0], ref.outputs[0], 1.0, 1e-5);
  // conv2's f32 output: its int8 input may differ by one LSB (0.02) from the reference's.
  EXPECT_LE(d.max_abs, 0.02 * 8 * 0.4 * 1.01) << "max diff " << d.max_abs;
}

// ShuffleNetV2's split: two channel Slices of an int8 conv output (one with a negative start, one
// over the channel axis given as -3) run as channel gathers on nhwc, with no reorder; a Slice
// along the height stays a plain copy. Within one LSB of the reference.
TEST(Int8ChannelGather, ChannelSlicesRunAsGathersWithoutReorders) {
  ir::Graph g;
  ir::ValueId x = add_input(g, "x", {1, 16, 9, 11});
  g.value(x).qparams = sym(1.f / 127);
  ir::ValueId c1 = add_pointwise_conv(g, "conv1", x, 16, 24, {1, 24, 9, 11}, 30, "relu");
  g.value(c1).qparams = sym(0.02f);
  auto slice = [&](const std::string& name, int64_t start, int64_t end, int64_t axis, const Shape& out) {
    ir::ValueId st = add_const(g, name + ".st", Tensor::from_vector<int64_t>({start}, {1}));
    ir::ValueId en = add_const(g, name + ".en", Tensor::from_vector<int64_t>({end}, {1}));
    ir::ValueId ax = add_const(g, name + ".ax", Tensor::from_vector<int64_t>({axis}, {1}));
    ir::ValueId y = add_act(g, name + ".y", out);
    g.add_node("Slice", name, {c1, st, en, ax}, {y});
    g.value(y).qparams = sym(0.02f);
    return y;
  };
  ir::ValueId lo = slice("lo", 0, 8, 1, {1, 8, 9, 11});
  ir::ValueId hi = slice("hi", -16, 1000, -3, {1, 16, 9, 11});
  ir::ValueId top = slice("top", 0, 4, 2, {1, 24, 4, 11});
  g.add_output(add_pointwise_conv(g, "conv_lo", lo, 8, 16, {1, 16, 9, 11}, 31));
  g.add_output(add_pointwise_conv(g, "conv_hi", hi, 16, 16, {1, 16, 9, 11}, 32));
  g.add_output(top);
  std::vector<Tensor> in = {random_tensor({1, 16, 9, 11}, 5)};
  RunOut fast = run(g, in, true);
  RunOut ref = run(g, in, false);
  std::map<std::string, std::string> impl;
  for (const KernelInfo& k : fast.stats.kernels) impl[k.node] = k.impl;
  EXPECT_EQ(impl["lo"], "int8:nhwc:ChannelGather(runs)");
  EXPECT_EQ(impl["hi"], "int8:nhwc:ChannelGather(runs)");
  EXPECT_EQ(impl["top"].find("ChannelGather"), std::string::npos) << impl["top"];
  // Between the convs no reorder but the height Slice's plain copy of conv1's output.
  int reorders = 0;
  for (const KernelInfo& k : fast.stats.kernels) {
    reorders += k.op == "Reorder" && k.node == "reorder:conv1.y";
    EXPECT_EQ(k.node.find("lo.y"), std::string::npos) << k.op << " " << k.node;
    EXPECT_EQ(k.node.find("hi.y"), std::string::npos) << k.op << " " << k.node;
  }
  EXPECT_EQ(reorders, 1);
  ASSERT_EQ(fast.outputs.size(), 3u);
  for (int i = 0; i < 2; ++i) {
    Diff d = diff_lsb(fast.outputs[i], ref.outputs[i], 1.0, 1e-5);
    EXPECT_LE(d.max_abs, 0.02 * 16 * 0.4 * 1.01) << "output " << i << " max diff " << d.max_abs;
  }
  EXPECT_LE(diff_lsb(fast.outputs[2], ref.outputs[2], 0.02, 1e-5).over_1lsb, 0);
}

}  // namespace
}  // namespace yq::runtime

namespace yq::runtime {
namespace {

using namespace int8_testing;

// The gather from a Concat's inputs (int8::MultiGather) against the definition, for the shapes
// ShuffleNetV2 gives it and for arbitrary ones (step-2 runs, permutations, three sources).
TEST(Int8MultiGather, MatchesTheDefinitionOnEveryByte) {
  struct Case {
    const char* name;
    std::vector<int64_t> sources;
    std::vector<int64_t> channels;
  };
  const Case cases[] = {
      {"shuffle_first_half", {58, 58}, interleaved(0, 58, 29)},
      {"shuffle_second_half", {58, 58}, interleaved(29, 87, 29)},
      {"shuffle_whole", {58, 58}, interleaved(0, 58, 58)},
      {"even_across_sources", {24, 24}, stepped(0, 24, 2)},
      {"three_sources_permuted", {5, 17, 9}, shuffled(31, 7)},
      {"runs_and_repeats", {8, 8}, {3, 4, 5, 6, 7, 8, 9, 10, 11, 0, 0, 15}},
  };
  for (const Case& c : cases) {
    const int8::MultiGather plan = int8::plan_multi_gather(c.sources, c.channels);
    const int64_t pixels = 37;
    std::vector<std::vector<uint8_t>> src;
    std::vector<const void*> ptrs;
    std::mt19937 rng(5);
    for (int64_t ch : c.sources) {
      src.emplace_back(static_cast<size_t>(pixels * ch));
      for (uint8_t& v : src.back()) v = static_cast<uint8_t>(rng());
    }
    for (const auto& s : src) ptrs.push_back(s.data());
    std::vector<uint8_t> out(static_cast<size_t>(pixels) * c.channels.size(), 0xAB);
    int8::run_multi_gather(plan, ptrs.data(), out.data(), pixels);
    int64_t wrong = 0;
    for (int64_t p = 0; p < pixels; ++p)
      for (size_t j = 0; j < c.channels.size(); ++j) {
        int64_t ch = c.channels[j];
        size_t k = 0;
        while (ch >= c.sources[k]) ch -= c.sources[k++];
        wrong += out[static_cast<size_t>(p) * c.channels.size() + j] != src[k][static_cast<size_t>(p * c.sources[k] + ch)];
      }
    EXPECT_EQ(wrong, 0) << c.name;
  }
}

// A ShuffleNetV2 shuffle on int8: Concat(a, b) read only by two interleaving Gathers is never
// written, each Gather reads a and b directly; the values are exactly the reference's. A conv
// with a as its residual sits between the Concat and the Gathers: it must not write over a
// before the Gathers have read it.
TEST(Int8MultiGather, ConcatReadOnlyByShuffleGathersIsNeverWritten) {
  ir::Graph g;
  ir::ValueId xa = add_input(g, "xa", {1, 16, 5, 7});
  ir::ValueId b = add_input(g, "b", {1, 16, 5, 7});
  ir::ValueId x = add_input(g, "x", {1, 8, 5, 7});
  for (ir::ValueId v : {xa, b, x}) g.value(v).qparams = sym(1.f / 127);
  // a: an int8 conv's nhwc output, the layout the residual conv's dst has (so it could sum in place).
  ir::Attributes conv;
  conv.set("kernel_shape", std::vector<int64_t>{1, 1});
  conv.set("activation", std::string(""));
  Tensor wa = random_tensor({16, 16, 1, 1}, 29, -0.3f, 0.3f);
  ir::ValueId wav = add_const(g, "wa", wa);
  g.value(wav).qparams = quant::per_channel_weight_qparams(wa, 0);
  ir::ValueId a = add_act(g, "a", {1, 16, 5, 7});
  g.node(g.add_node("FusedConv", "conv_a", {xa, wav}, {a}, conv)).domain = "yq";
  g.value(a).qparams = sym(1.f / 127);
  ir::ValueId cat = add_act(g, "cat", {1, 32, 5, 7});
  ir::Attributes ca;
  ca.set("axis", int64_t{1});
  g.add_node("Concat", "concat", {a, b}, {cat}, ca);
  g.value(cat).qparams = sym(1.f / 127);
  // r = conv(x) + a, planned right after the Concat.
  Tensor w = random_tensor({16, 8, 1, 1}, 30, -0.4f, 0.4f);
  ir::ValueId wv = add_const(g, "w", w);
  g.value(wv).qparams = quant::per_channel_weight_qparams(w, 0);
  ir::ValueId r = add_act(g, "r", {1, 16, 5, 7});
  g.node(g.add_node("FusedConv", "residual_conv", {x, wv, ir::kNoValue, a}, {r}, conv)).domain = "yq";
  g.value(r).qparams = sym(3.f / 127);
  std::vector<ir::ValueId> halves;
  for (int h = 0; h < 2; ++h) {
    Tensor idx = Tensor::empty(DType::kI64, {16});
    for (int64_t j = 0; j < 8; ++j) {
      idx.data<int64_t>()[2 * j] = 8 * h + j;
      idx.data<int64_t>()[2 * j + 1] = 16 + 8 * h + j;
    }
    ir::ValueId out = add_act(g, "half" + std::to_string(h), {1, 16, 5, 7});
    ir::Attributes ga;
    ga.set("axis", int64_t{1});
    g.add_node("Gather", "gather" + std::to_string(h), {cat, add_const(g, "idx" + std::to_string(h), idx)}, {out}, ga);
    g.value(out).qparams = sym(1.f / 127);
    g.add_output(out);
    halves.push_back(out);
  }
  g.add_output(r);
  std::vector<Tensor> in = {random_tensor({1, 16, 5, 7}, 31), random_tensor({1, 16, 5, 7}, 32),
                            random_tensor({1, 8, 5, 7}, 33)};
  RunOut fast = run(g, in, true);
  RunOut ref = run(g, in, false);
  int virtual_concats = 0, direct_gathers = 0;
  for (const KernelInfo& k : fast.stats.kernels) {
    virtual_concats += k.impl.rfind("int8:virtual:Concat", 0) == 0;
    direct_gathers += k.impl == "int8:nhwc:ChannelGather(from the concat's inputs)";
    // a is still to be read by the Gathers: the sum copies it into the conv's output.
    if (k.node == "residual_conv") {
      EXPECT_NE(k.impl.find("+sum:copy"), std::string::npos) << k.impl;
    }
  }
  EXPECT_EQ(virtual_concats, 1);
  EXPECT_EQ(direct_gathers, 2);
  ASSERT_EQ(fast.outputs.size(), 3u);
  for (int h = 0; h < 2; ++h) {
    Diff d = diff_lsb(fast.outputs[h], ref.outputs[h], 1.f / 127, 0.0);
    EXPECT_EQ(d.nonzero, 0) << "half " << h << ": max diff " << d.max_abs;
  }
  Diff d = diff_lsb(fast.outputs[2], ref.outputs[2], 3.f / 127, 1e-3 * 3.f / 127);
  EXPECT_EQ(d.over_1lsb, 0) << "residual conv: max diff " << d.max_abs;
}

}  // namespace
}  // namespace yq::runtime
