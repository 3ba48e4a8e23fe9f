// SPDX-License-Identifier: Apache-2.0
// The dense quantize/dequantize loops (runtime/kernels/int8/int8_quantize.cpp) against the
// reference quantize_value. Scales are powers of two so that x * (1/s), which the loop and
// oneDNN's reorder compute, equals the reference's x / s exactly: every element must then match,
// ties (k + 0.5) rounding half to even included.
#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "quant/qmath.h"
#include "runtime/kernels/int8/int8_kernels.h"

namespace yq::runtime::int8 {
namespace {

// Values that exercise every branch: ties, saturation both ways, infinities, NaN, then random.
std::vector<float> probe_values(int64_t n, float scale) {
  std::vector<float> x;
  for (int k = -140; k <= 140; ++k) x.push_back((k + 0.5f) * scale);
  for (float v : {0.f, -0.f, 1e30f, -1e30f, std::numeric_limits<float>::infinity(),
                  -std::numeric_limits<float>::infinity(), std::numeric_limits<float>::quiet_NaN()})
    x.push_back(v);
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> d(-300.f * scale, 300.f * scale);
  while (static_cast<int64_t>(x.size()) < n) x.push_back(d(rng));
  return x;
}

class DenseQuantize : public ::testing::TestWithParam<int> {};

TEST_P(DenseQuantize, MatchesTheReferenceOnEveryElement) {
  omp_set_num_threads(GetParam());
  const float scale = 0.0625f;
  // Odd length above the parallel threshold: pieces per thread plus a scalar tail.
  const std::vector<float> x = probe_values((1 << 16) + 13, scale);
  const int64_t n = static_cast<int64_t>(x.size());
  for (bool u8 : {false, true}) {
    const int32_t qmin = u8 ? 0 : -128, qmax = u8 ? 255 : 127;
    std::vector<uint8_t> q(n);
    quantize_dense(x.data(), q.data(), u8, n, 1.f / scale);
    std::vector<float> back(n);
    dequantize_dense(q.data(), u8, back.data(), n, scale);
    for (int64_t i = 0; i < n; ++i) {
      const int32_t got = u8 ? q[i] : static_cast<int8_t>(q[i]);
      // NaN: the loop saturates to qmin like oneDNN's reorder; the reference returns the zero point.
      const int32_t want = std::isnan(x[i]) ? qmin : quant::quantize_value(x[i], scale, 0, qmin, qmax);
      ASSERT_EQ(got, want) << "x[" << i << "] = " << x[i] << (u8 ? " (u8)" : " (s8)");
      ASSERT_EQ(back[i], quant::dequantize_value(got, scale, 0)) << "dequantized q[" << i << "]";
    }
  }
  omp_set_num_threads(1);
}

INSTANTIATE_TEST_SUITE_P(Threads, DenseQuantize, ::testing::Values(1, 2));

TEST(DenseQuantizeSmall, ShortTensorsTakeTheScalarTailOnly) {
  const float x[5] = {-1.f, 0.49f, 0.5f, 1.5f, 300.f};
  uint8_t q[5];
  quantize_dense(x, q, /*to_u8=*/false, 5, 1.f);
  EXPECT_EQ(static_cast<int8_t>(q[0]), -1);
  EXPECT_EQ(static_cast<int8_t>(q[1]), 0);
  EXPECT_EQ(static_cast<int8_t>(q[2]), 0);  // half to even
  EXPECT_EQ(static_cast<int8_t>(q[3]), 2);
  EXPECT_EQ(static_cast<int8_t>(q[4]), 127);
}

}  // namespace
}  // namespace yq::runtime::int8

namespace yq::runtime {
namespace {

// quantize_nchw_to_nhwc equals quantize_dense followed by an NCHW -> NHWC transpose, for 1..4
// channels, both data types, and pixel counts around the 16-pixel step and the 1024-pixel block.
TEST(Int8Quantize, NchwToNhwcEqualsDenseThenTranspose) {
  for (int64_t c = 1; c <= int8::kMaxInterleaveChannels; ++c) {
    for (int64_t hw : {1, 15, 16, 17, 1023, 1024, 1041, 5000}) {
      for (bool u8 : {false, true}) {
        const int64_t n = 2;
        std::vector<float> x(static_cast<size_t>(n * c * hw));
        for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>((static_cast<int64_t>(i) * 37) % 601) * 0.5f - 150.f;
        std::vector<uint8_t> dense(x.size()), got(x.size());
        int8::quantize_dense(x.data(), dense.data(), u8, static_cast<int64_t>(x.size()), 1.f / 0.9f);
        int8::quantize_nchw_to_nhwc(x.data(), got.data(), u8, n, c, hw, 1.f / 0.9f);
        for (int64_t i = 0; i < n; ++i)
          for (int64_t ch = 0; ch < c; ++ch)
            for (int64_t p = 0; p < hw; ++p)
              ASSERT_EQ(got[(i * hw + p) * c + ch], dense[(i * c + ch) * hw + p])
                  << "c " << c << " hw " << hw << " u8 " << u8 << " image " << i << " pixel " << p;
      }
    }
  }
}

// quantize_nchw_to_s2d_nhwc equals quantize_dense followed by the space-to-depth rearrangement
// out[i, y, x, (dy*c + ch)*2 + dx] = in[i, ch, 2y + dy, 2x + dx], for 1..4 channels, both data
// types, and widths around the 32-pixel step of the word interleave.
TEST(Int8Quantize, NchwToSpaceToDepthEqualsDenseThenRearrange) {
  for (int64_t c = 1; c <= int8::kMaxInterleaveChannels; ++c) {
    for (int64_t w : {2, 62, 64, 66, 130}) {
      for (bool u8 : {false, true}) {
        const int64_t n = 2, h = 6, oh = h / 2, ow = w / 2;
        std::vector<float> x(static_cast<size_t>(n * c * h * w));
        for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>((static_cast<int64_t>(i) * 37) % 601) * 0.5f - 150.f;
        std::vector<uint8_t> dense(x.size()), got(x.size());
        int8::quantize_dense(x.data(), dense.data(), u8, static_cast<int64_t>(x.size()), 1.f / 0.9f);
        int8::quantize_nchw_to_s2d_nhwc(x.data(), got.data(), u8, n, c, h, w, 1.f / 0.9f);
        for (int64_t i = 0; i < n; ++i)
          for (int64_t y = 0; y < oh; ++y)
            for (int64_t xo = 0; xo < ow; ++xo)
              for (int64_t dy = 0; dy < 2; ++dy)
                for (int64_t ch = 0; ch < c; ++ch)
                  for (int64_t dx = 0; dx < 2; ++dx)
                    ASSERT_EQ(got[((i * oh + y) * ow + xo) * 4 * c + (dy * c + ch) * 2 + dx],
                              dense[((i * c + ch) * h + 2 * y + dy) * w + 2 * xo + dx])
                        << "c " << c << " w " << w << " u8 " << u8 << " image " << i << " at " << y << "," << xo;
      }
    }
  }
}

// quantize_nchw_to_im2col equals quantize_dense followed by the patch gather (zeros outside the
// image and past c * kh * kw), for 3x3 stride 2 and 1 stems, a 5x5 one-channel conv, a 3x1 kernel
// (rows of 12 codes: the masked stores of a row's last pixel), odd sizes; nothing written past
// the rows.
TEST(Int8Quantize, NchwToIm2colEqualsDenseThenGather) {
  struct Geo {
    int64_t c, h, w, k_h, k_w, stride, pad;
  };
  for (const Geo& t : {Geo{3, 9, 17, 3, 3, 2, 1}, Geo{3, 8, 20, 3, 3, 1, 1}, Geo{1, 11, 13, 5, 5, 2, 2},
                       Geo{3, 7, 9, 3, 1, 1, 0}, Geo{4, 6, 33, 3, 3, 2, 1}}) {
    for (bool u8 : {false, true}) {
      SCOPED_TRACE("c " + std::to_string(t.c) + " " + std::to_string(t.k_h) + "x" + std::to_string(t.k_w) + " s" +
                   std::to_string(t.stride) + " w " + std::to_string(t.w) + (u8 ? " u8" : " s8"));
      int8::Im2col im;
      im.c = t.c;
      im.h = t.h;
      im.w = t.w;
      im.kh = t.k_h;
      im.kw = t.k_w;
      im.stride_h = im.stride_w = t.stride;
      im.pad_t = t.k_h == 1 ? 0 : t.pad;
      im.pad_l = t.k_w == 1 ? 0 : t.pad;
      im.oh = (t.h + 2 * im.pad_t - t.k_h) / t.stride + 1;
      im.ow = (t.w + 2 * im.pad_l - t.k_w) / t.stride + 1;
      im.k_pad = (t.c * t.k_h * t.k_w + 3) / 4 * 4;
      std::vector<float> x(static_cast<size_t>(t.c * t.h * t.w));
      for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>((static_cast<int64_t>(i) * 37) % 601) * 0.5f - 150.f;
      std::vector<uint8_t> dense(x.size());
      int8::quantize_dense(x.data(), dense.data(), u8, static_cast<int64_t>(x.size()), 1.f / 0.9f);
      const size_t n = static_cast<size_t>(im.oh * im.ow * im.k_pad);
      std::vector<uint8_t> got(n + 64, 0xEE), want(n + 64, 0xEE);
      for (int64_t y = 0; y < im.oh; ++y)
        for (int64_t xo = 0; xo < im.ow; ++xo)
          for (int64_t k = 0; k < im.k_pad; ++k) {
            uint8_t v = 0;
            if (k < t.c * t.k_h * t.k_w) {
              const int64_t ch = k % t.c, kx = (k / t.c) % t.k_w, ky = k / (t.c * t.k_w);
              const int64_t iy = y * t.stride - im.pad_t + ky, ix = xo * t.stride - im.pad_l + kx;
              if (iy >= 0 && iy < t.h && ix >= 0 && ix < t.w) v = dense[(ch * t.h + iy) * t.w + ix];
            }
            want[(y * im.ow + xo) * im.k_pad + k] = v;
          }
      int8::quantize_nchw_to_im2col(x.data(), got.data(), u8, im, 1.f / 0.9f, 0, im.oh);
      for (size_t i = 0; i < got.size(); ++i)
        ASSERT_EQ(got[i], want[i]) << "byte " << i << " (pixel " << i / im.k_pad << ", code " << i % im.k_pad << ")";
      // In two bands of rows (a row chain's): the same bytes.
      std::vector<uint8_t> banded(n + 64, 0xEE);
      int8::quantize_nchw_to_im2col(x.data(), banded.data(), u8, im, 1.f / 0.9f, im.oh / 2, im.oh);
      int8::quantize_nchw_to_im2col(x.data(), banded.data(), u8, im, 1.f / 0.9f, 0, im.oh / 2);
      EXPECT_EQ(banded, want);
    }
  }
}

}  // namespace
}  // namespace yq::runtime

namespace yq::runtime {
namespace {

// quantize_gated equals the product x * gate rounded to f32, then quantize_dense: every code, for
// channel counts below, at and across the 16-float step, both data types, with a zero point, and
// on one and two threads (pixel ranges per thread).
TEST(Int8Quantize, GatedEqualsTheProductThenDense) {
  for (int threads : {1, 2}) {
    omp_set_num_threads(threads);
    for (int64_t channels : {8, 16, 40}) {
      const int64_t pixels = 997;  // odd: uneven pieces per thread
      const std::vector<float> x = int8::probe_values(pixels * channels, 0.05f);
      std::vector<float> gate(channels);
      for (int64_t c = 0; c < channels; ++c) gate[c] = 0.1f + 0.9f * static_cast<float>(c) / channels;
      std::vector<float> product(x.size());
      for (int64_t p = 0; p < pixels; ++p)
        for (int64_t c = 0; c < channels; ++c) product[p * channels + c] = x[p * channels + c] * gate[c];
      for (bool u8 : {false, true}) {
        const int32_t zp = u8 ? 37 : 0;
        std::vector<uint8_t> want(x.size()), got(x.size(), 0xAA);
        int8::quantize_dense(product.data(), want.data(), u8, pixels * channels, 1.f / 0.03f, zp);
        int8::quantize_gated(x.data(), gate.data(), got.data(), u8, pixels, channels, 1.f / 0.03f, zp);
        for (size_t i = 0; i < x.size(); ++i)
          ASSERT_EQ(got[i], want[i]) << "pixel " << i / channels << " channel " << i % channels << " of " << channels
                                     << (u8 ? " (u8)" : " (s8)") << ", " << threads << " threads";
      }
    }
  }
  omp_set_num_threads(1);
}

}  // namespace
}  // namespace yq::runtime
