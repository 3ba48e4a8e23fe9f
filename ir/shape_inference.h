// SPDX-License-Identifier: Apache-2.0
// Static shape inference over a whole graph, with constant propagation.
//
// Visits nodes in topological order. For each node: if every input is constant and an evaluator
// is given and the outputs are small (<= max_fold_elements each), the outputs become constants
// (this resolves Shape->Gather->Unsqueeze->Concat->Reshape chains). Shape is special-cased: its
// output is a constant as soon as its input's shape is known. Otherwise the op's ShapeFn sets the
// output dtypes and shapes. A node whose shape cannot be resolved is an error naming the node.
#pragma once

#include "base/status.h"
#include "ir/graph.h"
#include "ir/op_schema.h"

namespace yq::ir {

struct ShapeInferenceOptions {
  const ConstantEvaluator* evaluator = nullptr;
  int64_t max_fold_elements = int64_t{1} << 22;  // don't materialise huge constants
};

Status infer_shapes(Graph& g, const ShapeInferenceOptions& opts = {});

// Sets the shape of graph input `index`; later infer_shapes() propagates it (e.g. a new image
// size or batch). Rank must match the declared one.
Status set_input_shape(Graph& g, size_t index, const Shape& shape);

}  // namespace yq::ir
