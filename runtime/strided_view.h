// SPDX-License-Identifier: Apache-2.0
// Strided views: a value described as boxes of other buffers instead of its own bytes, so a
// chain of pure data movement (Concat, Transpose, Reshape) costs one copy at its end.
//
// Why: detector heads end in exactly such chains. YOLOX concatenates each level's box, objectness
// and class maps on channels, flattens them, transposes them to [anchors, 85] and concatenates the
// levels; YOLOv6 and NanoDet do the same with other counts. Step by step that is a concat, a
// transpose and a second concat over the whole output (YOLOX-Nano INT8: 0.18 ms of a 3.5 ms run).
// Composed, every conv output is copied once, straight to its rows and columns of the result.
//
// A View is a list of pieces; piece p holds the box [p.pos, p.pos + p.dims) of the value, whose
// element i (per dim, relative to p.pos) sits at element p.offset + sum_d i[d] * p.strides[d] of
// buffer p.slot (through a sigmoid when p.sigmoid). Pieces of one view do not overlap and
// together cover the value.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "base/tensor.h"

namespace yq::runtime {

inline constexpr int kMaxViewRank = 8;  // what fp32::copy_strided takes

struct ViewPiece {
  int slot = -1;        // the buffer (an engine slot)
  int64_t offset = 0;   // elements
  int rank = 0;
  int64_t pos[kMaxViewRank] = {};
  int64_t dims[kMaxViewRank] = {};
  int64_t strides[kMaxViewRank] = {};
  // The piece's values are the logistic sigmoid of the buffer's: an Activation(sigmoid) in the
  // chain (a detector head's score sigmoid, split off its conv), applied by the chain's copy.
  bool sigmoid = false;
};

using View = std::vector<ViewPiece>;

// The whole of a buffer of `shape` laid out with `strides` (elements). Empty when rank exceeds
// kMaxViewRank.
View whole_view(int slot, const Shape& shape, const int64_t* strides);

// The view of Concat(inputs, axis): input k's pieces shifted along `axis` by the sizes of the
// inputs before it. `shapes[k]` is input k's shape; axis must be in range (not negative).
View concat_view(const std::vector<View>& inputs, const std::vector<Shape>& shapes, int axis);

// The view of Transpose(v, perm): output dim d is input dim perm[d].
View transpose_view(const View& v, const std::vector<int64_t>& perm);

// The view of Reshape(v) from `from` to `to`, or nullopt when a piece cannot be reshaped in place:
// the dims are matched in groups of equal product; a group of one dim on each side keeps the
// pieces' extents, a group that merges or splits dims needs every piece to cover it whole, in a
// layout where those dims are contiguous relative to each other (nhwc [1,H,W,C] -> [1,H*W,C]).
std::optional<View> reshape_view(const View& v, const Shape& from, const Shape& to);

}  // namespace yq::runtime
