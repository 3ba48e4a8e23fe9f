// SPDX-License-Identifier: Apache-2.0
#include "ir/onnx/onnx_export.h"

#include <onnx/onnx_pb.h>

#include <limits>
#include <type_traits>

#include "base/file_io.h"
#include "ir/onnx/onnx_tensor.h"

namespace yq::ir {
namespace {

void write_type(const Value& v, onnx::ValueInfoProto* vi) {
  vi->set_name(v.name);
  auto* tt = vi->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(dtype_to_onnx_elem_type(v.dtype));
  // No shape field means "rank unknown"; the importer reads it back the same way.
  if (!v.shape_known && v.shape.empty()) return;
  auto* shape = tt->mutable_shape();
  for (int64_t d : v.shape) {
    auto* dim = shape->add_dim();
    if (d >= 0) dim->set_dim_value(d);
  }
}

void write_attribute(const std::string& name, const AttrValue& value, onnx::AttributeProto* a) {
  using A = onnx::AttributeProto;
  a->set_name(name);
  std::visit(
      [a](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, int64_t>) {
          a->set_type(A::INT);
          a->set_i(v);
        } else if constexpr (std::is_same_v<T, float>) {
          a->set_type(A::FLOAT);
          a->set_f(v);
        } else if constexpr (std::is_same_v<T, std::string>) {
          a->set_type(A::STRING);
          a->set_s(v);
        } else if constexpr (std::is_same_v<T, std::vector<int64_t>>) {
          a->set_type(A::INTS);
          for (int64_t x : v) a->add_ints(x);
        } else if constexpr (std::is_same_v<T, std::vector<float>>) {
          a->set_type(A::FLOATS);
          for (float x : v) a->add_floats(x);
        } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
          a->set_type(A::STRINGS);
          for (const auto& x : v) a->add_strings(x);
        } else {
          static_assert(std::is_same_v<T, Tensor>);
          a->set_type(A::TENSOR);
          tensor_to_onnx(v, a->mutable_t());
        }
      },
      value);
}

}  // namespace

Expected<std::string> export_onnx_bytes(const Graph& g) {
  Status ok = g.verify();
  if (!ok.ok()) return invalid_argument("cannot export an inconsistent graph: " + ok.message());

  onnx::ModelProto m;
  m.set_ir_version(g.ir_version);
  m.set_producer_name(g.producer_name);
  std::map<std::string, int64_t> opsets = g.opsets;
  if (!opsets.count("")) opsets[""] = kDefaultExportOpset;
  for (NodeId id : g.live_nodes()) {
    const std::string& dom = g.node(id).domain;
    if (!dom.empty() && !opsets.count(dom)) opsets[dom] = 1;
  }
  for (const auto& [dom, ver] : opsets) {
    auto* op = m.add_opset_import();
    op->set_domain(dom);
    op->set_version(ver);
  }
  for (const auto& [k, v] : g.metadata) {
    auto* p = m.add_metadata_props();
    p->set_key(k);
    p->set_value(v);
  }

  auto* gp = m.mutable_graph();
  gp->set_name(g.name.empty() ? "yoloq" : g.name);
  for (ValueId v : g.inputs()) write_type(g.value(v), gp->add_input());
  for (ValueId v : g.outputs()) write_type(g.value(v), gp->add_output());
  for (size_t i = 0; i < g.value_capacity(); ++i) {
    const Value& v = g.value(static_cast<ValueId>(i));
    if (!v.alive()) continue;
    if (v.is_constant()) {
      auto* t = gp->add_initializer();
      t->set_name(v.name);
      tensor_to_onnx(*v.constant, t);
      continue;
    }
    if (v.producer() == kNoNode || g.is_graph_output(v.id)) continue;
    if (v.shape_known || !v.shape.empty() || v.dtype != DType::kF32) write_type(v, gp->add_value_info());
  }
  for (NodeId id : g.topo_order()) {
    const Node& n = g.node(id);
    auto* np = gp->add_node();
    np->set_op_type(n.op_type);
    np->set_name(n.name);
    if (!n.domain.empty()) np->set_domain(n.domain);
    for (ValueId in : n.inputs()) np->add_input(in == kNoValue ? std::string() : g.value(in).name);
    for (ValueId out : n.outputs()) np->add_output(out == kNoValue ? std::string() : g.value(out).name);
    for (const auto& [name, value] : n.attrs.all()) {
      // yq_* markers are yoloq-internal annotations of standard ops (e.g. Softmax's pre-13
      // semantics, implied again by the exported opset); ONNX tools would reject them.
      if (n.domain.empty() && name.rfind("yq_", 0) == 0) continue;
      write_attribute(name, value, np->add_attribute());
    }
  }

  if (m.ByteSizeLong() > static_cast<size_t>(std::numeric_limits<int>::max())) {
    return invalid_argument("graph '" + g.name + "' exceeds protobuf's 2 GiB limit (" +
                            std::to_string(m.ByteSizeLong()) + " bytes)");
  }
  std::string bytes;
  if (!m.SerializeToString(&bytes)) return internal_error("graph '" + g.name + "': protobuf serialization failed");
  return bytes;
}

Status export_onnx_file(const Graph& g, const std::string& path) {
  auto bytes = export_onnx_bytes(g);
  if (!bytes.ok()) return bytes.status().with_context(path);
  return write_file_atomic(path, *bytes);
}

}  // namespace yq::ir
