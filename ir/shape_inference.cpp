// SPDX-License-Identifier: Apache-2.0
#include "ir/shape_inference.h"

#include <string>
#include <vector>

#include "ir/ops/schema_util.h"

namespace yq::ir {
namespace {

std::string node_label(const Node& n) { return "node '" + n.name + "' (" + n.op_type + ")"; }

bool dims_known(const Shape& s) {
  for (int64_t d : s) {
    if (d < 0) return false;
  }
  return true;
}

// Shape's output: the input's dims in [start, end), as an i64 vector.
Tensor shape_constant(const Node& node, const Shape& in_shape) {
  auto [start, end] = shape_op_range(node, static_cast<int64_t>(in_shape.size()));
  std::vector<int64_t> dims(in_shape.begin() + start, in_shape.begin() + end);
  const int64_t n = static_cast<int64_t>(dims.size());
  return Tensor::from_vector<int64_t>(dims, {n});
}

void store(Value& v, const TensorInfo& info, std::optional<Tensor> constant) {
  v.dtype = info.dtype;
  v.shape = info.shape;
  v.shape_known = true;
  v.constant = std::move(constant);
}

Status infer_node(Graph& g, NodeId id, const ShapeInferenceOptions& opts) {
  const Node& node = g.node(id);
  const OpSchema* schema = find_op_schema(node.op_type);
  if (schema == nullptr) return unsupported("op is not supported by yoloq");
  if (!schema->infer) return internal_error("op has no shape function");

  std::vector<TensorInfo> in_infos(node.inputs().size());
  std::vector<const TensorInfo*> in_ptrs(node.inputs().size(), nullptr);
  std::vector<const Tensor*> in_tensors(node.inputs().size(), nullptr);
  bool all_constant = true;
  for (size_t i = 0; i < node.inputs().size(); ++i) {
    const ValueId vid = node.inputs()[i];
    if (vid == kNoValue) continue;
    const Value& v = g.value(vid);
    if (v.is_constant()) {
      in_infos[i] = {v.constant->dtype(), v.constant->shape(), &*v.constant};
    } else {
      if (!v.shape_known || !dims_known(v.shape)) {
        if (g.is_graph_input(vid)) {
          return invalid_argument("input '" + v.name + "' has unknown dims " + dims_str(v.shape) +
                                  "; give --input-shape");
        }
        return invalid_model("input " + std::to_string(i) + " '" + v.name +
                             "' has no known shape (nothing computed it)");
      }
      in_infos[i] = {v.dtype, v.shape, nullptr};
      all_constant = false;
    }
    in_ptrs[i] = &in_infos[i];
    in_tensors[i] = in_infos[i].constant;
  }

  std::vector<TensorInfo> outs(node.outputs().size());
  YQ_RETURN_IF_ERROR(schema->infer(node, in_ptrs, outs));

  // Outputs are recomputed on every run: a value folded for an earlier input shape must not
  // survive a set_input_shape().
  std::vector<std::optional<Tensor>> folded(outs.size());
  if (node.op_type == "Constant") {
    YQ_ASSIGN_OR_RETURN(Tensor t, constant_node_value(node));
    folded[0] = std::move(t);
  } else if (node.op_type == "Shape") {
    folded[0] = shape_constant(node, in_infos[0].shape);
  } else if (all_constant && opts.evaluator != nullptr) {
    bool small = true;
    for (const TensorInfo& o : outs) small = small && shape_numel(o.shape) <= opts.max_fold_elements;
    if (small) {
      Expected<std::vector<Tensor>> r = opts.evaluator->evaluate(node, in_tensors, outs);
      if (r.ok()) {
        if (r->size() != outs.size()) {
          return internal_error("constant evaluator returned " + std::to_string(r->size()) + " outputs, expected " +
                                std::to_string(outs.size()));
        }
        for (size_t i = 0; i < outs.size(); ++i) {
          const Tensor& t = (*r)[i];
          if (t.dtype() != outs[i].dtype || t.shape() != outs[i].shape) {
            return internal_error("constant evaluator gave output " + std::to_string(i) + " as " +
                                  dtype_name(t.dtype()) + shape_str(t.shape()) + ", shape inference expects " +
                                  dtype_name(outs[i].dtype) + shape_str(outs[i].shape));
          }
          folded[i] = t;
        }
      } else if (r.status().code() != StatusCode::kUnsupported) {
        // kUnsupported means "no kernel for this op": keep the shape-only result. Anything else
        // is bad data the kernel found (e.g. an out-of-range index) and is the model's fault.
        return r.status();
      }
    }
  }

  for (size_t i = 0; i < outs.size(); ++i) {
    const ValueId vid = node.outputs()[i];
    if (vid == kNoValue) continue;
    store(g.value(vid), outs[i], std::move(folded[i]));
  }
  return ok_status();
}

}  // namespace

Status infer_shapes(Graph& g, const ShapeInferenceOptions& opts) {
  for (ValueId vid : g.inputs()) {
    const Value& v = g.value(vid);
    if (v.is_constant()) continue;
    if (!v.shape_known || !dims_known(v.shape)) {
      return invalid_argument("input '" + v.name + "' has unknown dims " + dims_str(v.shape) + "; give --input-shape");
    }
    YQ_RETURN_IF_ERROR(check_shape_limits(v.shape, "input '" + v.name + "'"));
  }
  for (NodeId id : g.topo_order()) {
    YQ_RETURN_IF_ERROR(infer_node(g, id, opts).with_context(node_label(g.node(id))));
  }
  return ok_status();
}

Status set_input_shape(Graph& g, size_t index, const Shape& shape) {
  if (index >= g.inputs().size()) {
    return invalid_argument("input index " + std::to_string(index) + " is out of range; the graph has " +
                            std::to_string(g.inputs().size()) + " inputs");
  }
  Value& in = g.value(g.inputs()[index]);
  // A declared rank is known when the import recorded one (possibly with '?' dims).
  if (!in.shape.empty() && in.shape.size() != shape.size()) {
    return invalid_argument("input '" + in.name + "' has rank " + std::to_string(in.shape.size()) + " " +
                            dims_str(in.shape) + ", the given shape " + shape_str(shape) + " has rank " +
                            std::to_string(shape.size()));
  }
  for (int64_t d : shape) {
    if (d <= 0) return invalid_argument("input '" + in.name + "': shape " + shape_str(shape) + " has a dim <= 0");
  }
  YQ_RETURN_IF_ERROR(check_shape_limits(shape, "input '" + in.name + "'"));
  in.shape = shape;
  in.shape_known = true;
  // Everything downstream is stale. Initializers (constants with no producer) are not; folded
  // constants have a producer and are recomputed by the next infer_shapes().
  for (size_t i = 0; i < g.value_capacity(); ++i) {
    Value& v = g.value(static_cast<ValueId>(i));
    if (!v.alive() || g.is_graph_input(v.id)) continue;
    if (v.is_constant() && v.producer() == kNoNode) continue;
    v.shape_known = false;
    if (v.producer() != kNoNode) v.constant.reset();
  }
  return ok_status();
}

}  // namespace yq::ir
