// SPDX-License-Identifier: Apache-2.0
// quant/layer_calibrator: each tensor gets the calibrator with the least error on the layer that
// reads it, and QuantPolicy::calib_methods makes apply_quantization use it.
//
// Two 1x1 identity convs read two inputs of 2x512x512 values uniform in [-1, 1]; input A also
// holds one outlier, 40. With percentile 90 against min-max (expected MSE of the layer output):
//   A: min-max scale 40/127 rounds everything, (40/127)^2/12 = 8.3e-3; percentile clips 10% of
//      the values (3.3e-4) and the outlier (39.1^2 / 524288 = 2.9e-3): percentile wins;
//   B: min-max scale 1/127 gives 5.2e-6; percentile still clips 10% (3.3e-4): min-max wins.
#include <gtest/gtest.h>

#include <random>

#include "quant/layer_calibrator.h"
#include "quant/sensitivity.h"
#include "tests/ir_passes/pass_test_util.h"

namespace yq::quant {
namespace {

using ir::ValueId;
using ir::testing::GraphBuilder;

struct TwoInputs {
  GraphBuilder b{5};
  std::vector<std::vector<Tensor>> samples;
  TwoInputs() {
    const Shape s{1, 2, 512, 512};
    for (const char* name : {"a", "b"}) {
      const ValueId x = b.input(name, s);
      b.output(b.conv(x, 2, 1));
      Tensor& w = *b.g.value(b.g.node(b.last).input(1)).constant;
      Tensor& bias = *b.g.value(b.g.node(b.last).input(2)).constant;
      for (int o = 0; o < 2; ++o) {
        for (int i = 0; i < 2; ++i) w.data<float>()[o * 2 + i] = o == i ? 1.f : 0.f;
        bias.data<float>()[o] = 0.f;
      }
    }
    std::mt19937 rng(9);
    std::uniform_real_distribution<float> d(-1.f, 1.f);
    std::vector<Tensor> in;
    for (int k = 0; k < 2; ++k) {
      Tensor t = Tensor::empty(DType::kF32, s);
      for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = d(rng);
      if (k == 0) t.data<float>()[12345] = 40.f;
      in.push_back(t);
    }
    samples.push_back(in);
  }
};

TEST(LayerCalibrators, EachTensorGetsTheMethodWithTheLeastLayerError) {
  TwoInputs t;
  auto plan = plan_quantization(t.b.g, QuantPolicy{});
  ASSERT_TRUE(plan.ok()) << plan.status().message();
  auto stats = collect_stats_for_inputs(t.b.g, plan->activations, t.samples, 1);
  ASSERT_TRUE(stats.ok()) << stats.status().message();
  CalibOptions calib;
  calib.percentile = 90.0;
  auto choice = choose_layer_calibrators(t.b.g, QuantPolicy{}, *stats, calib,
                                         {CalibMethod::kMinMax, CalibMethod::kPercentile}, t.samples, 1, false);
  ASSERT_TRUE(choice.ok()) << choice.status().message();
  ASSERT_EQ(choice->methods.size(), 2u);
  EXPECT_EQ(choice->methods.at("a"), CalibMethod::kPercentile);
  EXPECT_EQ(choice->methods.at("b"), CalibMethod::kMinMax);
  EXPECT_EQ(choice->wins.at("percentile"), 1);
  EXPECT_EQ(choice->wins.at("minmax"), 1);

  // Methods already in the policy do not bias the sweeps (they would override every candidate).
  QuantPolicy preset;
  preset.calib_methods = {{"a", CalibMethod::kMinMax}, {"b", CalibMethod::kPercentile}};
  auto again = choose_layer_calibrators(t.b.g, preset, *stats, calib, {CalibMethod::kMinMax, CalibMethod::kPercentile},
                                        t.samples, 1, false);
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_EQ(again->methods, choice->methods);

  // The policy carries the choice into the plan and the QParams.
  QuantPolicy policy;
  policy.calib_methods = choice->methods;
  calib.method = CalibMethod::kMinMax;  // the run's method: only for groups without a choice
  auto g = build_quantized_graph(t.b.g, policy, *stats, calib);
  ASSERT_TRUE(g.ok()) << g.status().message();
  const float sa = g->value(*g->find_value("a")).qparams->scales[0];
  const float sb = g->value(*g->find_value("b")).qparams->scales[0];
  EXPECT_LT(sa, 1.f / 127.f * 1.01f) << "a must be clipped near 0.9, not scaled for the outlier 40";
  EXPECT_NEAR(sb, 1.f / 127.f, 1e-4f) << "b keeps its min-max range";
}

}  // namespace
}  // namespace yq::quant
