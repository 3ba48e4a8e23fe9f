// SPDX-License-Identifier: Apache-2.0
// Human-readable dump of a Graph (the CLI's --dump-ir). Text only, for people: the format may
// change and nothing should parse it.
//
//   graph yolox (opset 11)
//   input %images:[1,3,416,416]
//   %c1:[1,16,208,208] = Conv(%images, $w1[16,3,3,3], $b1[16]) {kernel_shape=[3,3], pads=[1,1,1,1]}
//   output %c1
//
// One line per live node in topological order. `%name` is a value, `:[shape]` is printed when
// the shape is known (with the dtype when it is not f32, e.g. `:i64[4]`), `$name[shape]` is a
// constant, `_` an omitted optional input. Ops outside the default domain print as `domain.Op`.
// Long attribute lists are shortened with "...".
#pragma once

#include <string>

#include "ir/graph.h"

namespace yq::ir {

std::string print_graph(const Graph& g);
// Just the node's line, without a trailing newline.
std::string print_node(const Graph& g, NodeId n);

}  // namespace yq::ir
