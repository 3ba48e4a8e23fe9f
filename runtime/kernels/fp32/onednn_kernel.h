// SPDX-License-Identifier: Apache-2.0
// Internal to yoloq_runtime (includes <dnnl.hpp>; never include it from a public header).
//
// A DnnlKernel is one node planned onto one oneDNN primitive. Factories run once, at
// Engine::create: they pick the primitive (letting oneDNN choose layouts with format_tag::any
// where that helps), pack constant weights into the chosen layout and report, per node input and
// output, the memory layout (memory::desc) the primitive reads or writes. The engine's planner
// inserts reorders where a producer's layout differs from what a consumer asks for, places every
// activation in its arena, and then binds the arguments once, so execution never allocates.
//
// A factory returns nullptr to decline (the node then runs on the reference kernel), and an
// error only for a node that is malformed in a way shape inference cannot have caught. A
// dnnl::error thrown while building a primitive is also treated as "decline" by the caller.
#pragma once

#include <dnnl.hpp>

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "base/tensor.h"
#include "ir/graph.h"

namespace yq::runtime::fp32 {

struct DnnlKernel {
  std::string impl;  // "onednn:conv", ... (shown in stats and profiles)
  dnnl::primitive prim;
  // Node inputs the primitive reads as activations: (DNNL_ARG_*, node input index).
  std::vector<std::pair<int, int>> input_args;
  // Layout wanted for each node input (indexed by input; zero desc where not read as activation).
  std::vector<dnnl::memory::desc> input_descs;
  // Node outputs the primitive writes: (DNNL_ARG_*, node output index).
  std::vector<std::pair<int, int>> output_args;
  std::vector<dnnl::memory::desc> output_descs;  // indexed by node output
  // Arguments the kernel owns: packed weights, bias.
  std::vector<std::pair<int, dnnl::memory>> owned_args;
  size_t weight_bytes = 0;
  dnnl::memory::desc scratchpad_desc;  // zero when the primitive needs no scratchpad
  // Sum post-op: the node input whose value dst must hold when the primitive starts (-1: none).
  // input_descs[sum_input] equals output_descs[0].
  int sum_input = -1;
};

// `in` holds, per node input, the layout the value currently has (zero desc: absent, not f32,
// or not representable); constant inputs come as plain row-major descs.
using DnnlFactory = Expected<std::unique_ptr<DnnlKernel>> (*)(const ir::Graph& g, const ir::Node& n,
                                                              std::span<const dnnl::memory::desc> in,
                                                              const dnnl::engine& eng);

// The oneDNN factory for op_type, or nullptr when there is none.
DnnlFactory find_onednn_factory(const std::string& op_type);

// --- helpers shared by the factories and the planner ---
dnnl::memory::dims to_dims(const Shape& s);  // rank 0 becomes {1}
// f32, dense row-major strides (rank 0 becomes {1}). memory::dims and Shape are the same type.
dnnl::memory::desc plain_desc(const dnnl::memory::dims& d);
bool is_plain(const dnnl::memory::desc& d);
// Creates the primitive attribute every yoloq primitive uses (user-managed scratchpad).
dnnl::primitive_attr base_attr();
// Copies `src` (a plain f32 tensor) into newly allocated memory of layout `dst_desc`.
dnnl::memory pack_constant(const Tensor& src, const dnnl::memory::dims& plain_dims, const dnnl::memory::desc& dst_desc,
                           const dnnl::engine& eng);

// Conv/FusedConv geometry in oneDNN's terms, shared by the fp32 and int8 conv factories.
struct ConvGeometry {
  int64_t group = 1, ic = 0, oc = 0, kh = 0, kw = 0;
  dnnl::memory::dims src_dims, dst_dims;
  dnnl::memory::dims w_dims;  // {oc, ic, kh, kw}, or {g, oc/g, ic/g, kh, kw} when grouped
  dnnl::memory::dims strides, dilations, pad_l, pad_r;  // dilations oneDNN-style (0 = dense)
};
// nullopt: not a 2-D conv oneDNN can take (the caller declines); an error: a weight that cannot
// fit the input (shape inference should have caught it). auto_pad SAME_*/VALID become pads.
Expected<std::optional<ConvGeometry>> conv_geometry(const ir::Graph& g, const ir::Node& n);

// A forward-inference direct convolution over `geo` with these layouts; `bias` may be a zero desc
// (no bias). make_conv_pd throws dnnl::error when oneDNN has no implementation; try_conv_pd
// returns an empty primitive_desc instead, and also when only a reference implementation exists,
// so a caller can try another layout before settling.
dnnl::convolution_forward::primitive_desc make_conv_pd(const ConvGeometry& geo, const dnnl::memory::desc& src,
                                                       const dnnl::memory::desc& weights,
                                                       const dnnl::memory::desc& bias, const dnnl::memory::desc& dst,
                                                       const dnnl::primitive_attr& attr, const dnnl::engine& eng);
dnnl::convolution_forward::primitive_desc try_conv_pd(const ConvGeometry& geo, const dnnl::memory::desc& src,
                                                      const dnnl::memory::desc& weights,
                                                      const dnnl::memory::desc& bias, const dnnl::memory::desc& dst,
                                                      const dnnl::primitive_attr& attr, const dnnl::engine& eng);

// The kernel for a oneDNN concat of node inputs `used` (each in its layout in `in`) along `axis`;
// `label` names it in stats ("onednn:concat", ...). nullptr when oneDNN would only run its
// reference implementation and allow_ref is false (mixed layouts: the plain kernel is faster).
std::unique_ptr<DnnlKernel> make_concat_kernel(const ir::Node& n, int axis, std::span<const dnnl::memory::desc> in,
                                               const std::vector<int>& used, bool allow_ref, const char* label,
                                               const dnnl::engine& eng);

// Appends the eltwise post-ops computing a FusedConv / yq Activation node's `activation`
// (ir/fused_ops.md); false when oneDNN 2.6 cannot express it. `scale` multiplies the activation's
// result (the last eltwise post-op's own scale), which lets the 1/s_y of an int8 dst ride on it:
// oneDNN 2.6's jit int8 conv computes a chain linear -> clip -> linear (hardsigmoid then 1/s_y)
// wrongly (tests/runtime_int8 caught it).
bool append_activation(const ir::Node& n, dnnl::post_ops& po, float scale = 1.f);

// A FusedConv's channel scale S (input 4, ir/fused_ops.md) as oc floats: nullopt when absent;
// an empty vector when it is present but not an f32 constant of oc elements (decline).
std::optional<std::vector<float>> conv_channel_scale(const ir::Graph& g, const ir::Node& n, int64_t oc);
// Appends y *= factors[c] as a per-channel binary_mul post-op, and returns the argument the
// primitive then needs at execution (its index in `po` names it); add it to owned_args.
std::pair<int, dnnl::memory> append_channel_multiply(dnnl::post_ops& po, const std::vector<float>& factors,
                                                     const dnnl::engine& eng);

// What a factory returns to decline a node.
inline Expected<std::unique_ptr<DnnlKernel>> decline() { return std::unique_ptr<DnnlKernel>(); }

// Factories (one file per family).
Expected<std::unique_ptr<DnnlKernel>> make_conv(const ir::Graph&, const ir::Node&, std::span<const dnnl::memory::desc>,
                                                const dnnl::engine&);
Expected<std::unique_ptr<DnnlKernel>> make_pool(const ir::Graph&, const ir::Node&, std::span<const dnnl::memory::desc>,
                                                const dnnl::engine&);
Expected<std::unique_ptr<DnnlKernel>> make_concat(const ir::Graph&, const ir::Node&,
                                                  std::span<const dnnl::memory::desc>, const dnnl::engine&);
Expected<std::unique_ptr<DnnlKernel>> make_unary(const ir::Graph&, const ir::Node&, std::span<const dnnl::memory::desc>,
                                                 const dnnl::engine&);
Expected<std::unique_ptr<DnnlKernel>> make_binary(const ir::Graph&, const ir::Node&,
                                                  std::span<const dnnl::memory::desc>, const dnnl::engine&);
Expected<std::unique_ptr<DnnlKernel>> make_resize(const ir::Graph&, const ir::Node&,
                                                  std::span<const dnnl::memory::desc>, const dnnl::engine&);

}  // namespace yq::runtime::fp32
