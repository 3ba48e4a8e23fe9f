// SPDX-License-Identifier: Apache-2.0
#include "ir/onnx/onnx_import.h"

#include <onnx/onnx_pb.h>

#include <climits>
#include <cstring>
#include <limits>
#include <map>
#include <queue>
#include <set>
#include <unordered_map>

#include "base/file_io.h"
#include "ir/onnx/onnx_tensor.h"
#include "ir/op_schema.h"

namespace yq::ir {
namespace {

constexpr int64_t kMinOpset = 11;
constexpr int64_t kMaxOpset = 17;

std::string q(const std::string& s) { return "'" + s + "'"; }

bool is_default_domain(const std::string& d) { return d.empty() || d == "ai.onnx"; }

// Ops that only exist in yoloq's own domain (ir/fused_ops.md).
bool is_yq_op(const std::string& op) { return op == "FusedConv"; }

struct DeclaredType {
  DType dtype = DType::kF32;
  Shape shape;
  bool shape_known = false;
};

// Reads a ValueInfo's tensor type. A dim without dim_value (dim_param or nothing) is -1 and
// makes the shape unknown; a missing shape leaves the rank unknown too.
Expected<DeclaredType> read_value_info(const onnx::ValueInfoProto& vi, const std::string& what) {
  DeclaredType out;
  if (!vi.has_type() || !vi.type().has_tensor_type()) {
    return unsupported(what + " " + q(vi.name()) + ": expected a tensor type, found another kind (sequence/map/none)");
  }
  const auto& tt = vi.type().tensor_type();
  YQ_ASSIGN_OR_RETURN(out.dtype, onnx_elem_type_to_dtype(tt.elem_type(), what + " " + q(vi.name())));
  if (!tt.has_shape()) return out;
  if (tt.shape().dim_size() > kMaxOnnxRank) {
    return invalid_model(what + " " + q(vi.name()) + ": rank " + std::to_string(tt.shape().dim_size()) +
                         " exceeds the limit " + std::to_string(kMaxOnnxRank));
  }
  out.shape_known = true;
  for (const auto& d : tt.shape().dim()) {
    if (d.has_dim_value()) {
      if (d.dim_value() < 0) {
        return invalid_model(what + " " + q(vi.name()) + ": negative dim " + std::to_string(d.dim_value()));
      }
      out.shape.push_back(d.dim_value());
    } else {
      out.shape.push_back(-1);
      out.shape_known = false;
    }
  }
  return out;
}

Expected<AttrValue> convert_attribute(const onnx::AttributeProto& a, const std::string& where) {
  using A = onnx::AttributeProto;
  const std::string what = where + ", attribute " + q(a.name());
  int type = a.type();
  if (type == A::UNDEFINED) {
    // Very old exporters leave the type unset; the populated field tells it.
    if (a.has_t()) type = A::TENSOR;
    else if (a.has_s()) type = A::STRING;
    else if (a.has_f()) type = A::FLOAT;
    else if (a.has_i()) type = A::INT;
    else if (a.floats_size() > 0) type = A::FLOATS;
    else if (a.ints_size() > 0) type = A::INTS;
    else if (a.strings_size() > 0) type = A::STRINGS;
    else return invalid_model(what + ": attribute type is undefined and no value is set");
  }
  switch (type) {
    case A::INT: return AttrValue(static_cast<int64_t>(a.i()));
    case A::FLOAT: return AttrValue(a.f());
    case A::STRING: return AttrValue(a.s());
    case A::INTS: return AttrValue(std::vector<int64_t>(a.ints().begin(), a.ints().end()));
    case A::FLOATS: return AttrValue(std::vector<float>(a.floats().begin(), a.floats().end()));
    case A::STRINGS: return AttrValue(std::vector<std::string>(a.strings().begin(), a.strings().end()));
    case A::TENSOR: {
      YQ_ASSIGN_OR_RETURN(Tensor t, onnx_tensor_to_tensor(a.t(), what));
      return AttrValue(std::move(t));
    }
    default:
      return unsupported(what + ": attribute kind " + std::to_string(type) +
                         " (graph/sparse tensor/type proto) is not supported");
  }
}

// The value of a Constant node: exactly one of value, value_float(s), value_int(s).
Expected<Tensor> constant_node_value(const onnx::NodeProto& n, const std::string& where) {
  if (n.attribute_size() != 1) {
    return invalid_model(where + ": Constant expects exactly one value attribute, found " +
                         std::to_string(n.attribute_size()));
  }
  const auto& a = n.attribute(0);
  const std::string& k = a.name();
  if (k == "value") {
    if (!a.has_t()) return invalid_model(where + ": Constant attribute 'value' holds no tensor");
    return onnx_tensor_to_tensor(a.t(), where + ", attribute 'value'");
  }
  if (k == "value_float") return Tensor::scalar<float>(a.f());
  if (k == "value_int") return Tensor::scalar<int64_t>(a.i());
  if (k == "value_floats") {
    std::vector<float> v(a.floats().begin(), a.floats().end());
    const int64_t n_el = static_cast<int64_t>(v.size());
    return Tensor::from_vector<float>(v, {n_el});
  }
  if (k == "value_ints") {
    std::vector<int64_t> v(a.ints().begin(), a.ints().end());
    const int64_t n_el = static_cast<int64_t>(v.size());
    return Tensor::from_vector<int64_t>(v, {n_el});
  }
  return unsupported(where + ": Constant attribute " + q(k) +
                     " is not supported (expected value, value_float(s) or value_int(s))");
}

class Importer {
 public:
  Expected<Graph> run(const onnx::ModelProto& m) {
    YQ_RETURN_IF_ERROR(read_opsets(m));
    g_.ir_version = m.ir_version();
    g_.producer_name = m.producer_name();
    for (const auto& p : m.metadata_props()) g_.metadata[p.key()] = p.value();
    if (!m.has_graph()) return invalid_model("model has no graph");
    const auto& gp = m.graph();
    g_.name = gp.name();
    YQ_RETURN_IF_ERROR(read_initializers(gp));
    YQ_RETURN_IF_ERROR(read_inputs(gp));
    for (const auto& vi : gp.value_info()) declared_[vi.name()] = &vi;
    for (const auto& vi : gp.output()) declared_[vi.name()] = &vi;
    YQ_RETURN_IF_ERROR(read_nodes(gp));
    YQ_RETURN_IF_ERROR(read_outputs(gp));
    Status s = g_.verify();
    if (!s.ok()) return invalid_model("imported graph is inconsistent: " + s.message());
    return std::move(g_);
  }

 private:
  Status read_opsets(const onnx::ModelProto& m) {
    for (const auto& op : m.opset_import()) {
      const std::string dom = is_default_domain(op.domain()) ? "" : op.domain();
      g_.opsets[dom] = op.version();
    }
    auto it = g_.opsets.find("");
    if (it == g_.opsets.end()) return invalid_model("model has no opset import for the default ONNX domain");
    if (it->second < kMinOpset || it->second > kMaxOpset) {
      return unsupported("default-domain opset " + std::to_string(it->second) + " is not supported (expected " +
                         std::to_string(kMinOpset) + ".." + std::to_string(kMaxOpset) + ")");
    }
    return ok_status();
  }

  Status define(const std::string& vname, const std::string& by) {
    if (vname.empty()) return invalid_model(by + " defines a value with an empty name");
    if (g_.find_value(vname)) return invalid_model("value " + q(vname) + " is defined twice (again by " + by + ")");
    return ok_status();
  }

  Status read_initializers(const onnx::GraphProto& gp) {
    for (const auto& t : gp.initializer()) {
      YQ_RETURN_IF_ERROR(define(t.name(), "initializer " + q(t.name())));
      YQ_ASSIGN_OR_RETURN(Tensor tensor, onnx_tensor_to_tensor(t, "initializer " + q(t.name())));
      g_.add_constant(t.name(), std::move(tensor));
    }
    if (gp.sparse_initializer_size() > 0) {
      return unsupported("sparse initializer " + q(gp.sparse_initializer(0).values().name()) + " is not supported");
    }
    return ok_status();
  }

  Status read_inputs(const onnx::GraphProto& gp) {
    for (const auto& vi : gp.input()) {
      // Older exporters (IR < 4) also list every initializer as a graph input.
      if (auto v = g_.find_value(vi.name()); v && g_.value(*v).is_constant()) continue;
      YQ_RETURN_IF_ERROR(define(vi.name(), "graph input " + q(vi.name())));
      YQ_ASSIGN_OR_RETURN(DeclaredType d, read_value_info(vi, "graph input"));
      g_.add_input(g_.add_value(vi.name(), d.dtype, d.shape, d.shape_known));
    }
    return ok_status();
  }

  // ONNX requires nodes in topological order, but some tools write them unsorted; sorting here
  // (stable, by file position) costs little and lets cycles and undefined names be reported.
  Expected<std::vector<int>> sorted_nodes(const onnx::GraphProto& gp, const std::vector<std::string>& names) {
    const int n = gp.node_size();
    std::unordered_map<std::string, int> producer;
    for (int i = 0; i < n; ++i) {
      for (const auto& o : gp.node(i).output()) {
        if (o.empty()) continue;
        if (g_.find_value(o) || !producer.emplace(o, i).second) {
          return invalid_model("value " + q(o) + " is defined twice (again by node " + q(names[i]) + ")");
        }
      }
    }
    std::vector<int> pending(n, 0);
    std::vector<std::vector<int>> users(n);
    for (int i = 0; i < n; ++i) {
      for (const auto& in : gp.node(i).input()) {
        if (in.empty()) continue;
        auto it = producer.find(in);
        if (it == producer.end()) {
          if (g_.find_value(in)) continue;
          return invalid_model("node " + q(names[i]) + " reads undefined value " + q(in));
        }
        ++pending[i];
        users[it->second].push_back(i);
      }
    }
    std::priority_queue<int, std::vector<int>, std::greater<>> ready;
    for (int i = 0; i < n; ++i) {
      if (pending[i] == 0) ready.push(i);
    }
    std::vector<int> order;
    order.reserve(n);
    while (!ready.empty()) {
      const int i = ready.top();
      ready.pop();
      order.push_back(i);
      for (int u : users[i]) {
        if (--pending[u] == 0) ready.push(u);
      }
    }
    if (static_cast<int>(order.size()) != n) {
      for (int i = 0; i < n; ++i) {
        if (pending[i] > 0) return invalid_model("graph has a cycle through node " + q(names[i]));
      }
    }
    return order;
  }

  Status read_nodes(const onnx::GraphProto& gp) {
    // Unique names for unnamed nodes, avoiding every name already in the file.
    std::set<std::string> taken;
    for (const auto& n : gp.node()) taken.insert(n.name());
    std::vector<std::string> names(gp.node_size());
    for (int i = 0; i < gp.node_size(); ++i) {
      names[i] = gp.node(i).name();
      if (!names[i].empty()) continue;
      for (int k = i;; ++k) {
        std::string cand = gp.node(i).op_type() + "_" + std::to_string(k);
        if (taken.insert(cand).second) {
          names[i] = cand;
          break;
        }
      }
    }
    YQ_ASSIGN_OR_RETURN(std::vector<int> order, sorted_nodes(gp, names));
    for (int i : order) YQ_RETURN_IF_ERROR(read_node(gp.node(i), names[i]));
    return ok_status();
  }

  Status read_node(const onnx::NodeProto& n, const std::string& nname) {
    const std::string where = "node " + q(nname);
    const std::string& op = n.op_type();
    if (!is_default_domain(n.domain()) && n.domain() != "yq") {
      return unsupported(where + ": domain " + q(n.domain()) + " (op " + q(op) +
                         ") is not supported; only the default ONNX domain is");
    }
    const bool yq_domain = n.domain() == "yq";
    if (yq_domain != is_yq_op(op) || !find_op_schema(op)) {
      return unsupported("unsupported op " + q(op) + " (node " + q(nname) + ")" +
                         (yq_domain ? " in domain 'yq'" : ""));
    }
    if (op == "Constant") {
      if (n.output_size() != 1 || n.input_size() != 0) {
        return invalid_model(where + ": Constant expects 0 inputs and 1 output, found " +
                             std::to_string(n.input_size()) + " and " + std::to_string(n.output_size()));
      }
      YQ_ASSIGN_OR_RETURN(Tensor t, constant_node_value(n, where));
      // Names made up for omitted outputs are not in the file, so they were not checked up front.
      if (g_.find_value(n.output(0))) {
        return invalid_model("value " + q(n.output(0)) + " is defined twice (again by " + where + ")");
      }
      g_.add_constant(n.output(0), std::move(t));
      return ok_status();
    }
    const OpSchema* schema = find_op_schema(op);

    std::vector<ValueId> inputs;
    int n_in = n.input_size();
    while (n_in > 0 && n.input(n_in - 1).empty()) --n_in;  // trailing omitted optionals
    for (int i = 0; i < n_in; ++i) {
      if (n.input(i).empty()) {
        inputs.push_back(kNoValue);
        continue;
      }
      auto v = g_.find_value(n.input(i));
      YQ_CHECK(v.has_value()) << "topological sort let through an undefined input";
      inputs.push_back(*v);
    }
    int n_out = n.output_size();
    while (n_out > 0 && n.output(n_out - 1).empty()) --n_out;
    if (n_in < schema->min_inputs || n_in > schema->max_inputs) {
      return invalid_model(where + " (" + op + "): expected " + std::to_string(schema->min_inputs) + ".." +
                           std::to_string(schema->max_inputs) + " inputs, found " + std::to_string(n_in));
    }
    if (n_out < schema->min_outputs || n_out > schema->max_outputs) {
      return invalid_model(where + " (" + op + "): expected " + std::to_string(schema->min_outputs) + ".." +
                           std::to_string(schema->max_outputs) + " outputs, found " + std::to_string(n_out));
    }

    Attributes attrs;
    for (const auto& a : n.attribute()) {
      if (a.name().empty()) return invalid_model(where + ": attribute with an empty name");
      YQ_ASSIGN_OR_RETURN(AttrValue v, convert_attribute(a, where));
      attrs.set(a.name(), std::move(v));
    }
    // Softmax changed meaning at opset 13 (flatten-to-2D at axis, default 1, became a plain axis,
    // default -1). The kernels read this marker instead of the graph's opset.
    if (op == "Softmax" && g_.opsets.at("") < 13) attrs.set("yq_opset_lt13", int64_t{1});

    std::vector<ValueId> outputs;
    for (int i = 0; i < n_out; ++i) {
      const std::string& oname = n.output(i);
      // An omitted output in the middle still needs a Value to keep output positions.
      if (oname.empty()) {
        outputs.push_back(g_.add_value(g_.unique_name(nname + "_unused")));
        continue;
      }
      if (g_.find_value(oname)) return invalid_model("value " + q(oname) + " is defined twice (again by " + where + ")");
      DeclaredType d;
      if (auto it = declared_.find(oname); it != declared_.end()) {
        // Declared types of intermediate values are hints; unsupported ones are left to shape inference.
        auto r = read_value_info(*it->second, "value");
        if (r.ok()) d = *r;
      }
      outputs.push_back(g_.add_value(oname, d.dtype, d.shape, d.shape_known));
    }
    const NodeId id = g_.add_node(op, nname, std::move(inputs), std::move(outputs), std::move(attrs));
    g_.node(id).domain = yq_domain ? "yq" : "";
    return ok_status();
  }

  Status read_outputs(const onnx::GraphProto& gp) {
    for (const auto& vi : gp.output()) {
      auto v = g_.find_value(vi.name());
      if (!v) return invalid_model("graph output " + q(vi.name()) + " is not produced by any node");
      // The type of a graph output is optional in ONNX; when present it must be one yoloq handles.
      if (vi.has_type()) {
        YQ_ASSIGN_OR_RETURN(DeclaredType d, read_value_info(vi, "graph output"));
        (void)d;  // node outputs already took the declared type
      }
      g_.add_output(*v);
    }
    return ok_status();
  }

  Graph g_;
  std::unordered_map<std::string, const onnx::ValueInfoProto*> declared_;
};

}  // namespace

Expected<Graph> import_onnx_bytes(const std::string& bytes, const std::string& name, const OnnxImportOptions& opts) {
  if (bytes.size() > opts.max_file_bytes || bytes.size() > static_cast<size_t>(INT_MAX)) {
    return invalid_model(name + ": " + std::to_string(bytes.size()) + " bytes exceeds the protobuf limit");
  }
  onnx::ModelProto m;
  if (!m.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return invalid_model(name + ": not a valid ONNX protobuf (parse failed)");
  }
  Importer imp;
  auto g = imp.run(m);
  if (!g.ok()) return g.status().with_context(name);
  return g;
}

Expected<Graph> import_onnx_file(const std::string& path, const OnnxImportOptions& opts) {
  YQ_ASSIGN_OR_RETURN(std::string bytes, read_file(path, opts.max_file_bytes));
  return import_onnx_bytes(bytes, path, opts);
}

}  // namespace yq::ir
