// SPDX-License-Identifier: Apache-2.0
// Channel Gather on nhwc int8 (runtime/kernels/int8/int8_channel_gather.cpp): every loop it picks
// against the definition out[p, j] = in[p, channels[j]], byte for byte, including the SSE2 tails,
// and the engine's use of it on a small ShuffleNetV2 block against the reference kernels.
#include <gtest/gtest.h>
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

}  // namespace
}  // namespace yq::runtime
