// SPDX-License-Identifier: Apache-2.0
// Channel Gather on dense nhwc int8 tensors: out[p, j] = in[p, channels[j]] for every pixel p.
// ShuffleNetV2's shuffles, once ir::FoldChannelShuffle has turned them into channel Gathers, take
// two shapes, both byte shuffles that SSE2 does 16 at a time:
//   even/odd channels (FastestDet): over the whole tensor out[k] = in[2k + off], because the
//       pixel stride of the input is exactly twice that of the output;
//   interleave of two channel runs (NanoDet): out[p, 2j] = in[p, a + j], out[p, 2j + 1] = in[p, b + j].
// Anything else is copied as contiguous runs of channels per pixel.
#include <emmintrin.h>

#include <algorithm>
#include <cstring>

#include "runtime/kernels/int8/int8_kernels.h"
#include "runtime/kernels/parallel_ranges.h"

namespace yq::runtime::int8 {
namespace {

constexpr int64_t kParallelBytes = 1 << 14;

void deinterleave(const uint8_t* in, uint8_t* out, int64_t begin, int64_t end, int off) {
  const __m128i lo_bytes = _mm_set1_epi16(0x00FF);
  int64_t k = begin;
  for (; k + 16 <= end; k += 16) {
    __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in + 2 * k));
    __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in + 2 * k + 16));
    if (off) {
      a = _mm_srli_epi16(a, 8);
      b = _mm_srli_epi16(b, 8);
    } else {
      a = _mm_and_si128(a, lo_bytes);
      b = _mm_and_si128(b, lo_bytes);
    }
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + k), _mm_packus_epi16(a, b));
  }
  for (; k < end; ++k) out[k] = in[2 * k + off];
}

void interleave(const uint8_t* a, const uint8_t* b, uint8_t* out, int64_t len) {
  int64_t j = 0;
  for (; j + 16 <= len; j += 16) {
    const __m128i va = _mm_loadu_si128(reinterpret_cast<const __m128i*>(a + j));
    const __m128i vb = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + j));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 2 * j), _mm_unpacklo_epi8(va, vb));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 2 * j + 16), _mm_unpackhi_epi8(va, vb));
  }
  for (; j < len; ++j) {
    out[2 * j] = a[j];
    out[2 * j + 1] = b[j];
  }
}

}  // namespace

ChannelGather plan_channel_gather(int64_t c_in, const std::vector<int64_t>& channels) {
  ChannelGather g;
  g.c_in = c_in;
  g.c_out = static_cast<int64_t>(channels.size());
  const int64_t n = g.c_out;
  bool stride2 = n > 0 && 2 * n == c_in && channels[0] <= 1;
  for (int64_t j = 0; stride2 && j < n; ++j) stride2 = channels[j] == channels[0] + 2 * j;
  if (stride2) {
    g.kind = ChannelGather::Kind::kEvenOdd;
    g.a = channels[0];
    return g;
  }
  bool inter = n >= 2 && n % 2 == 0;
  for (int64_t j = 0; inter && j < n / 2; ++j)
    inter = channels[2 * j] == channels[0] + j && channels[2 * j + 1] == channels[1] + j;
  if (inter) {
    g.kind = ChannelGather::Kind::kInterleave;
    g.a = channels[0];
    g.b = channels[1];
    return g;
  }
  g.kind = ChannelGather::Kind::kRuns;
  for (int64_t j = 0; j < n;) {
    int64_t len = 1;
    while (j + len < n && channels[j + len] == channels[j] + len) ++len;
    g.runs.push_back({channels[j], j, len});
    j += len;
  }
  return g;
}

void run_channel_gather(const ChannelGather& g, const void* in_v, void* out_v, int64_t pixels) {
  const auto* in = static_cast<const uint8_t*>(in_v);
  auto* out = static_cast<uint8_t*>(out_v);
  const int64_t bytes = pixels * g.c_out;
  switch (g.kind) {
    case ChannelGather::Kind::kEvenOdd:
      parallel_ranges(bytes, bytes >= kParallelBytes, 1,
                      [&](int64_t b, int64_t e) { deinterleave(in, out, b, e, static_cast<int>(g.a)); });
      return;
    case ChannelGather::Kind::kInterleave:
      parallel_ranges(pixels, bytes >= kParallelBytes, 1, [&](int64_t b, int64_t e) {
        for (int64_t p = b; p < e; ++p) {
          const uint8_t* src = in + p * g.c_in;
          interleave(src + g.a, src + g.b, out + p * g.c_out, g.c_out / 2);
        }
      });
      return;
    case ChannelGather::Kind::kRuns:
      parallel_ranges(pixels, bytes >= kParallelBytes, 1, [&](int64_t b, int64_t e) {
        for (int64_t p = b; p < e; ++p) {
          const uint8_t* src = in + p * g.c_in;
          uint8_t* dst = out + p * g.c_out;
          for (const ChannelGather::Run& r : g.runs) std::memcpy(dst + r.dst, src + r.src, static_cast<size_t>(r.len));
        }
      });
      return;
  }
}

MultiGather plan_multi_gather(const std::vector<int64_t>& source_channels, const std::vector<int64_t>& channels) {
  MultiGather g;
  g.src_channels = source_channels;
  g.c_out = static_cast<int64_t>(channels.size());
  // (source, channel) of every output channel.
  std::vector<std::pair<int, int64_t>> at;
  for (int64_t c : channels) {
    int k = 0;
    while (c >= source_channels[static_cast<size_t>(k)]) c -= source_channels[static_cast<size_t>(k++)];
    at.emplace_back(k, c);
  }
  const int64_t n = g.c_out;
  for (int64_t j = 0; j < n;) {
    // An interleave of two runs, at least 4 pairs long.
    int64_t pairs = 0;
    while (j + 2 * pairs + 1 < n && at[j + 2 * pairs].first == at[j].first &&
           at[j + 2 * pairs].second == at[j].second + pairs && at[j + 2 * pairs + 1].first == at[j + 1].first &&
           at[j + 2 * pairs + 1].second == at[j + 1].second + pairs)
      ++pairs;
    if (pairs >= 4) {
      g.pieces.push_back({at[j].first, at[j + 1].first, at[j].second, at[j + 1].second, 1, j, pairs});
      j += 2 * pairs;
      continue;
    }
    // A run of step 1 or 2 within one source.
    const int64_t step = j + 1 < n && at[j + 1].first == at[j].first && at[j + 1].second - at[j].second == 2 ? 2 : 1;
    int64_t len = 1;
    while (j + len < n && at[j + len].first == at[j].first && at[j + len].second == at[j].second + step * len) ++len;
    g.pieces.push_back({at[j].first, -1, at[j].second, 0, len > 1 ? step : 1, j, len});
    j += len;
  }
  return g;
}

void run_multi_gather(const MultiGather& g, const void* const* srcs, void* out_v, int64_t pixels) {
  auto* out = static_cast<uint8_t*>(out_v);
  const int64_t bytes = pixels * g.c_out;
  parallel_ranges(pixels, bytes >= kParallelBytes, 1, [&](int64_t b, int64_t e) {
    for (int64_t p = b; p < e; ++p) {
      uint8_t* dst = out + p * g.c_out;
      for (const MultiGather::Piece& pc : g.pieces) {
        const auto* a = static_cast<const uint8_t*>(srcs[pc.a_src]) + p * g.src_channels[static_cast<size_t>(pc.a_src)] + pc.a_ch;
        if (pc.b_src >= 0) {
          const auto* bb = static_cast<const uint8_t*>(srcs[pc.b_src]) + p * g.src_channels[static_cast<size_t>(pc.b_src)] + pc.b_ch;
          interleave(a, bb, dst + pc.dst, pc.len);
        } else if (pc.step == 1) {
          std::memcpy(dst + pc.dst, a, static_cast<size_t>(pc.len));
        } else {
          for (int64_t t = 0; t < pc.len; ++t) dst[pc.dst + t] = a[pc.step * t];
        }
      }
    }
  });
}

}  // namespace yq::runtime::int8
