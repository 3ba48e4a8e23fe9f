// SPDX-License-Identifier: Apache-2.0
// Strided views (runtime/strided_view.h): each view is materialized by reading its pieces out of
// buffers whose elements hold their own index, and compared with the same op done on plain data.
#include "runtime/strided_view.h"

#include <gtest/gtest.h>

#include <numeric>

namespace yq::runtime {
namespace {

int64_t numel(const Shape& s) { return std::accumulate(s.begin(), s.end(), int64_t{1}, std::multiplies<>()); }

// Every element of the value the view describes, row-major: (slot, element) pairs packed as
// slot * 1e6 + element.
std::vector<int64_t> materialize(const View& v, const Shape& shape) {
  std::vector<int64_t> out(numel(shape), -1);
  for (const ViewPiece& p : v) {
    EXPECT_EQ(p.rank, static_cast<int>(shape.size()));
    std::vector<int64_t> i(p.rank, 0);
    const int64_t n = std::accumulate(p.dims, p.dims + p.rank, int64_t{1}, std::multiplies<>());
    for (int64_t k = 0; k < n; ++k) {
      int64_t rem = k, src = p.offset, dst = 0;
      for (int d = p.rank - 1; d >= 0; --d) {
        i[d] = rem % p.dims[d];
        rem /= p.dims[d];
      }
      for (int d = 0; d < p.rank; ++d) {
        src += i[d] * p.strides[d];
        dst = dst * shape[d] + p.pos[d] + i[d];
      }
      EXPECT_EQ(out[dst], -1) << "pieces overlap at " << dst;
      out[dst] = p.slot * 1000000 + src;
    }
  }
  for (int64_t x : out) EXPECT_NE(x, -1) << "pieces leave a hole";
  return out;
}

// nhwc strides of a [1, C, H, W] value
std::vector<int64_t> nhwc(const Shape& s) { return {s[1] * s[2] * s[3], 1, s[3] * s[1], s[1]}; }

TEST(StridedView, HeadChainMatchesThePlainOps) {
  // Three nhwc conv outputs of 4, 1 and 5 channels at 3x2: Concat(axis 1) -> [1,10,6] -> [1,6,10].
  const Shape a{1, 4, 3, 2}, b{1, 1, 3, 2}, c{1, 5, 3, 2};
  const auto sa = nhwc(a), sb = nhwc(b), sc = nhwc(c);
  View cat = concat_view({whole_view(0, a, sa.data()), whole_view(1, b, sb.data()), whole_view(2, c, sc.data())},
                         {a, b, c}, 1);
  auto flat = reshape_view(cat, {1, 10, 3, 2}, {1, 10, 6});
  ASSERT_TRUE(flat.has_value());
  View t = transpose_view(*flat, {0, 2, 1});
  std::vector<int64_t> got = materialize(t, {1, 6, 10});
  // Expected: row r (pixel y*2+x), column ch: the channel's source buffer at its nhwc element.
  for (int64_t r = 0; r < 6; ++r)
    for (int64_t ch = 0; ch < 10; ++ch) {
      const int slot = ch < 4 ? 0 : ch < 5 ? 1 : 2;
      const int64_t local = ch < 4 ? ch : ch < 5 ? ch - 4 : ch - 5;
      const int64_t channels = slot == 0 ? 4 : slot == 1 ? 1 : 5;
      EXPECT_EQ(got[r * 10 + ch], slot * 1000000 + r * channels + local) << r << "," << ch;
    }
}

TEST(StridedView, ConcatShiftsPositionsAlongTheAxis) {
  const Shape a{2, 3}, b{2, 5};
  const int64_t st_a[] = {3, 1}, st_b[] = {5, 1};
  std::vector<int64_t> got = materialize(concat_view({whole_view(0, a, st_a), whole_view(1, b, st_b)}, {a, b}, 1),
                                         {2, 8});
  const std::vector<int64_t> want = {0, 1, 2, 1000000, 1000001, 1000002, 1000003, 1000004,
                                     3, 4, 5, 1000005, 1000006, 1000007, 1000008, 1000009};
  EXPECT_EQ(got, want);
}

TEST(StridedView, ReshapeKeepsSizeOneDimsAndSplitsWholePieces) {
  const Shape s{1, 6, 1, 4};
  const int64_t st[] = {24, 4, 4, 1};
  auto r = reshape_view(whole_view(0, s, st), s, {2, 3, 1, 1, 4});
  ASSERT_TRUE(r.has_value());
  std::vector<int64_t> got = materialize(*r, {2, 3, 1, 1, 4});
  for (int64_t k = 0; k < 24; ++k) EXPECT_EQ(got[k], k);
  auto back = reshape_view(*r, {2, 3, 1, 1, 4}, {24});
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(materialize(*back, {24}), got);
}

TEST(StridedView, ReshapeRefusesWhatPiecesCannotFollow) {
  // A channel slice merged with H: the slice's rows interleave with the other input's.
  const Shape a{1, 2, 3, 4}, b{1, 1, 3, 4};
  const auto sa = nhwc(a), sb = nhwc(b);
  View cat = concat_view({whole_view(0, a, sa.data()), whole_view(1, b, sb.data())}, {a, b}, 1);
  EXPECT_FALSE(reshape_view(cat, {1, 3, 3, 4}, {1, 9, 4}).has_value());
  // Merging H and W of a transposed (non-contiguous) buffer.
  const int64_t tr[] = {12, 1, 1, 3};  // W outer, H inner: [1,1,3,4] stored as [W][H]
  EXPECT_FALSE(reshape_view(whole_view(0, b, tr), b, {1, 1, 12}).has_value());
  // But merging H and W of nhwc pieces works (each piece covers them whole).
  EXPECT_TRUE(reshape_view(cat, {1, 3, 3, 4}, {1, 3, 12}).has_value());
}

}  // namespace
}  // namespace yq::runtime
