// SPDX-License-Identifier: Apache-2.0
// Conv, ConvTranspose and FusedConv reference kernels against independent formulations.
#include <chrono>

#include "ref_test_util.h"

namespace yq::runtime::ref::testing {
namespace {

struct ConvCase {
  int64_t n, c, h, w, oc, k, stride, dil, pad_t, pad_l, pad_b, pad_r, group;
  bool bias;
};

// Output spatial size of a convolution.
int64_t conv_out(int64_t in, int64_t k, int64_t s, int64_t d, int64_t p0, int64_t p1) {
  return (in + p0 + p1 - ((k - 1) * d + 1)) / s + 1;
}

// Conv written as im2col + matmul: every output pixel's receptive field is unrolled into a
// column (zeros for padding), then the group's weight rows are dotted with it.
Tensor conv_im2col(const Tensor& x, const Tensor& w, const Tensor* b, const ConvCase& cc) {
  const int64_t oh_n = conv_out(cc.h, cc.k, cc.stride, cc.dil, cc.pad_t, cc.pad_b);
  const int64_t ow_n = conv_out(cc.w, cc.k, cc.stride, cc.dil, cc.pad_l, cc.pad_r);
  const int64_t cg = cc.c / cc.group, ocg = cc.oc / cc.group, kk = cc.k * cc.k;
  Tensor y = Tensor::zeros(DType::kF32, {cc.n, cc.oc, oh_n, ow_n});
  std::vector<double> col(static_cast<size_t>(cg * kk));
  for (int64_t n = 0; n < cc.n; ++n) {
    for (int64_t g = 0; g < cc.group; ++g) {
      for (int64_t oh = 0; oh < oh_n; ++oh) {
        for (int64_t ow = 0; ow < ow_n; ++ow) {
          for (int64_t c = 0; c < cg; ++c) {
            for (int64_t i = 0; i < cc.k; ++i) {
              for (int64_t j = 0; j < cc.k; ++j) {
                const int64_t ih = oh * cc.stride - cc.pad_t + i * cc.dil;
                const int64_t iw = ow * cc.stride - cc.pad_l + j * cc.dil;
                const bool in = ih >= 0 && ih < cc.h && iw >= 0 && iw < cc.w;
                col[(c * cc.k + i) * cc.k + j] =
                    in ? x.data<float>()[((n * cc.c + g * cg + c) * cc.h + ih) * cc.w + iw] : 0.0;
              }
            }
          }
          for (int64_t o = 0; o < ocg; ++o) {
            const int64_t oc = g * ocg + o;
            double s = b ? b->data<float>()[oc] : 0.0;
            for (int64_t r = 0; r < cg * kk; ++r) s += w.data<float>()[oc * cg * kk + r] * col[r];
            y.data<float>()[((n * cc.oc + oc) * oh_n + oh) * ow_n + ow] = static_cast<float>(s);
          }
        }
      }
    }
  }
  return y;
}

ir::Attributes conv_attrs(const ConvCase& cc) {
  ir::Attributes a;
  a.set("kernel_shape", std::vector<int64_t>{cc.k, cc.k});
  a.set("strides", std::vector<int64_t>{cc.stride, cc.stride});
  a.set("dilations", std::vector<int64_t>{cc.dil, cc.dil});
  a.set("pads", std::vector<int64_t>{cc.pad_t, cc.pad_l, cc.pad_b, cc.pad_r});
  a.set("group", cc.group);
  return a;
}

class ConvVsIm2col : public ::testing::TestWithParam<ConvCase> {};

TEST_P(ConvVsIm2col, Matches) {
  const ConvCase cc = GetParam();
  const Tensor x = random_f32({cc.n, cc.c, cc.h, cc.w}, 1);
  const Tensor w = random_f32({cc.oc, cc.c / cc.group, cc.k, cc.k}, 2);
  const Tensor b = random_f32({cc.oc}, 3);
  const Tensor want = conv_im2col(x, w, cc.bias ? &b : nullptr, cc);
  std::vector<const Tensor*> in{&x, &w};
  if (cc.bias) in.push_back(&b);
  const Tensor got = run1("Conv", conv_attrs(cc), in, DType::kF32, want.shape());
  expect_near(got, want, 1e-5);
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, ConvVsIm2col,
    ::testing::Values(ConvCase{1, 3, 7, 6, 4, 3, 1, 1, 1, 1, 1, 1, 1, true},     // plain 3x3 same
                      ConvCase{2, 4, 9, 8, 6, 3, 2, 2, 2, 1, 0, 3, 1, true},     // strided+dilated+asym pads
                      ConvCase{1, 6, 8, 7, 6, 3, 1, 1, 1, 1, 1, 1, 6, false},    // depthwise
                      ConvCase{1, 6, 10, 9, 4, 5, 2, 1, 2, 2, 2, 2, 2, true},    // group 2, 5x5 stride 2
                      ConvCase{1, 5, 5, 5, 3, 1, 1, 1, 0, 0, 0, 0, 1, false},    // 1x1
                      ConvCase{1, 2, 6, 6, 2, 6, 1, 1, 0, 0, 0, 0, 1, true}));  // kernel == input

TEST(RefConv, AutoPadSameUpperPutsOddPadAtEnd) {
  // 5 wide, k=2, s=1: total pad 1, SAME_UPPER puts it at the end -> same as pads {0,0,1,1}.
  const ConvCase cc{1, 2, 5, 5, 3, 2, 1, 1, 0, 0, 1, 1, 1, false};
  const Tensor x = random_f32({1, 2, 5, 5}, 4);
  const Tensor w = random_f32({3, 2, 2, 2}, 5);
  ir::Attributes a;
  a.set("auto_pad", std::string("SAME_UPPER"));
  const Tensor got = run1("Conv", a, {&x, &w}, DType::kF32, {1, 3, 5, 5});
  expect_near(got, conv_im2col(x, w, nullptr, cc), 1e-5);
  ir::Attributes lower;
  lower.set("auto_pad", std::string("SAME_LOWER"));
  const ConvCase cl{1, 2, 5, 5, 3, 2, 1, 1, 1, 1, 0, 0, 1, false};
  expect_near(run1("Conv", lower, {&x, &w}, DType::kF32, {1, 3, 5, 5}), conv_im2col(x, w, nullptr, cl), 1e-5);
}

TEST(RefConv, BadBiasSizeIsAnErrorNamingTheNode) {
  const Tensor x = random_f32({1, 2, 4, 4}, 6);
  const Tensor w = random_f32({3, 2, 1, 1}, 7);
  const Tensor b = random_f32({2}, 8);
  auto r = run_op("Conv", {}, {&x, &w, &b}, {{DType::kF32, {1, 3, 4, 4}, nullptr}});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("test_Conv"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("bias"), std::string::npos) << r.status().message();
}

double dot(const Tensor& a, const Tensor& b) {
  double s = 0.0;
  for (int64_t i = 0; i < a.numel(); ++i) s += static_cast<double>(a.data<float>()[i]) * b.data<float>()[i];
  return s;
}

// ConvTranspose is the adjoint of Conv with the same weights: <conv(x), y> == <x, convT(y)>.
class ConvTransposeAdjoint : public ::testing::TestWithParam<ConvCase> {};

TEST_P(ConvTransposeAdjoint, InnerProductsAgree) {
  const ConvCase cc = GetParam();
  const int64_t oh = conv_out(cc.h, cc.k, cc.stride, cc.dil, cc.pad_t, cc.pad_b);
  const int64_t ow = conv_out(cc.w, cc.k, cc.stride, cc.dil, cc.pad_l, cc.pad_r);
  const Tensor x = random_f32({cc.n, cc.c, cc.h, cc.w}, 11);
  const Tensor w = random_f32({cc.oc, cc.c / cc.group, cc.k, cc.k}, 12);
  const Tensor y = random_f32({cc.n, cc.oc, oh, ow}, 13);
  const Tensor cx = run1("Conv", conv_attrs(cc), {&x, &w}, DType::kF32, {cc.n, cc.oc, oh, ow});
  // The transpose maps [oh, ow] back to [h, w]; rows the conv never read (stride remainder)
  // come back through output_padding.
  ir::Attributes a = conv_attrs(cc);
  const int64_t span = (cc.k - 1) * cc.dil + 1;
  a.set("output_padding", std::vector<int64_t>{cc.h - (cc.stride * (oh - 1) + span - cc.pad_t - cc.pad_b),
                                               cc.w - (cc.stride * (ow - 1) + span - cc.pad_l - cc.pad_r)});
  const Tensor ty = run1("ConvTranspose", a, {&y, &w}, DType::kF32, {cc.n, cc.c, cc.h, cc.w});
  const double lhs = dot(cx, y), rhs = dot(x, ty);
  EXPECT_NEAR(lhs, rhs, 1e-4 * (1.0 + std::fabs(lhs)));
}

INSTANTIATE_TEST_SUITE_P(Shapes, ConvTransposeAdjoint,
                         ::testing::Values(ConvCase{1, 3, 6, 6, 4, 3, 1, 1, 1, 1, 1, 1, 1, false},
                                           ConvCase{2, 4, 9, 8, 6, 3, 2, 2, 2, 1, 0, 1, 2, false},
                                           ConvCase{1, 4, 8, 8, 4, 2, 2, 1, 0, 0, 0, 0, 4, false},
                                           ConvCase{1, 2, 7, 7, 3, 4, 3, 1, 1, 2, 1, 0, 1, false}));

TEST(RefConvTranspose, Stride2HandValues) {
  // 1x1x2x2 input, 2x2 ones kernel, stride 2: every input pixel becomes a 2x2 block.
  const Tensor x = f32({1, 2, 3, 4}, {1, 1, 2, 2});
  const Tensor w = f32({1, 1, 1, 1}, {1, 1, 2, 2});
  const Tensor b = f32({0.5f}, {1});
  ir::Attributes a;
  a.set("strides", std::vector<int64_t>{2, 2});
  const Tensor y = run1("ConvTranspose", a, {&x, &w, &b}, DType::kF32, {1, 1, 4, 4});
  const std::vector<float> want = {1.5, 1.5, 2.5, 2.5, 1.5, 1.5, 2.5, 2.5, 3.5, 3.5, 4.5, 4.5, 3.5, 3.5, 4.5, 4.5};
  expect_near(y, f32(want, {1, 1, 4, 4}), 0);
}

struct FusedCase {
  std::string activation;
  // The same computation from separate ONNX ops (after the conv).
  std::vector<std::pair<std::string, ir::Attributes>> ops;
  bool has_alpha;
  float alpha, beta;
};

ir::Attributes attrs_ab(const char* a_name, float a, const char* b_name, float b) {
  ir::Attributes at;
  if (a_name) at.set(a_name, a);
  if (b_name) at.set(b_name, b);
  return at;
}

// FusedConv == Conv, then the activation as its own op, then Add of the residual.
TEST(RefFusedConv, EqualsConvThenActivationThenAdd) {
  const ConvCase cc{1, 4, 6, 6, 4, 3, 1, 1, 1, 1, 1, 1, 1, true};
  const Tensor x = random_f32({1, 4, 6, 6}, 21, -2, 2);
  const Tensor w = random_f32({4, 4, 3, 3}, 22);
  const Tensor b = random_f32({4}, 23);
  const Tensor r = random_f32({1, 4, 6, 6}, 24);
  const Shape ys{1, 4, 6, 6};
  const Tensor conv = run1("Conv", conv_attrs(cc), {&x, &w, &b}, DType::kF32, ys);
  struct Act {
    std::string name;
    std::string onnx_op;
    ir::Attributes onnx_attrs;
    std::optional<float> alpha, beta;
  };
  const std::vector<Act> acts = {
      {"", "Identity", {}, {}, {}},
      {"relu", "Relu", {}, {}, {}},
      {"leaky_relu", "LeakyRelu", attrs_ab("alpha", 0.1f, nullptr, 0), 0.1f, {}},
      {"sigmoid", "Sigmoid", {}, {}, {}},
      {"silu", "silu", {}, {}, {}},
      {"hardswish", "HardSwish", {}, {}, {}},
      {"hardsigmoid", "HardSigmoid", attrs_ab("alpha", 0.3f, "beta", 0.4f), 0.3f, 0.4f},
      {"clip", "Clip", attrs_ab("min", 0.0f, "max", 0.6f), 0.0f, 0.6f},
      {"tanh", "Tanh", {}, {}, {}},
  };
  for (const Act& act : acts) {
    SCOPED_TRACE(act.name);
    Tensor activated;
    if (act.onnx_op == "silu") {  // x * sigmoid(x)
      const Tensor s = run1("Sigmoid", {}, {&conv}, DType::kF32, ys);
      activated = run1("Mul", {}, {&conv, &s}, DType::kF32, ys);
    } else {
      activated = run1(act.onnx_op, act.onnx_attrs, {&conv}, DType::kF32, ys);
    }
    const Tensor want = run1("Add", {}, {&activated, &r}, DType::kF32, ys);
    ir::Attributes fa = conv_attrs(cc);
    fa.set("activation", act.name);
    if (act.alpha) fa.set("activation_alpha", *act.alpha);
    if (act.beta) fa.set("activation_beta", *act.beta);
    const Tensor got = run1("FusedConv", fa, {&x, &w, &b, &r}, DType::kF32, ys);
    expect_near(got, want, 1e-6);
  }
}

TEST(RefFusedConv, UnknownActivationIsUnsupported) {
  const Tensor x = random_f32({1, 1, 3, 3}, 31);
  const Tensor w = random_f32({1, 1, 1, 1}, 32);
  ir::Attributes a;
  a.set("activation", std::string("gelu"));
  auto r = run_op("FusedConv", a, {&x, &w}, {{DType::kF32, {1, 1, 3, 3}, nullptr}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(r.status().message().find("gelu"), std::string::npos);
}

// A real detector layer must stay cheap enough to be the oracle in other tests.
TEST(RefConv, DetectorLayerRunsInUnderASecond) {
  const Tensor x = random_f32({1, 64, 80, 80}, 41);
  const Tensor w = random_f32({64, 64, 3, 3}, 42);
  const ConvCase cc{1, 64, 80, 80, 64, 3, 1, 1, 1, 1, 1, 1, 1, false};
  const auto t0 = std::chrono::steady_clock::now();
  const Tensor y = run1("Conv", conv_attrs(cc), {&x, &w}, DType::kF32, {1, 64, 80, 80});
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
#if defined(NDEBUG) && !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
  EXPECT_LT(secs, 1.0);  // only meaningful in an optimised, uninstrumented build
#else
  (void)secs;
#endif
  // Spot-check one interior pixel against the direct sum.
  double s = 0.0;
  for (int c = 0; c < 64; ++c)
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 3; ++j) s += w.data<float>()[((5 * 64 + c) * 3 + i) * 3 + j] * double(x.data<float>()[(c * 80 + 40 + i - 1) * 80 + 17 + j - 1]);
  EXPECT_NEAR(y.data<float>()[(5 * 80 + 40) * 80 + 17], s, 1e-4);
}

}  // namespace
}  // namespace yq::runtime::ref::testing
