// SPDX-License-Identifier: Apache-2.0
// Engine: planner (kernel choice, layouts, reorders, zero-copy aliases, arena placement) and the
// executor. The plan is a flat list of steps; every step's arguments are bound to arena addresses
// once at create(), so run() only copies inputs in, executes the steps and copies outputs out.
#include "runtime/engine.h"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstring>
#include <map>
#include <optional>
#include <utility>

#include "base/threads.h"
#include "ir/passes/pattern_utils.h"
#include "quant/qmath.h"
#include "runtime/kernels/fp32/onednn_kernel.h"
#include "runtime/kernels/fp32/plain_kernels.h"
#include "runtime/kernels/fp32/swish.h"
#include "runtime/kernels/int8/int8_kernels.h"
#include "runtime/kernels/ref/activation.h"
#include "runtime/kernels/ref/ref_kernels.h"
#include "runtime/memory_planner.h"
#include "runtime/row_chain.h"
#include "runtime/strided_view.h"

namespace yq::runtime {

namespace {

using dnnl::memory;
constexpr int kForever = INT_MAX / 2;
// The most inputs a Concat that is never written (try_int8_virtual_concat) may have: the bound of
// the source-pointer array kMultiGather steps fill on each run.
constexpr size_t kMaxGatherSources = 48;

// One buffer of one value in one layout. A value may have several slots (its native layout plus
// reordered copies); a group is the arena buffer a set of slots share (a value and its zero-copy
// aliases, or a residual and the FusedConv output written in place over it).
struct Slot {
  ir::ValueId value = ir::kNoValue;
  DType dtype = DType::kF32;
  Shape shape;
  memory::desc desc;  // f32 values (stored f32, s8 or u8); zero for other dtypes
  bool plain = true;
  float scale = 0.f;  // int8 storage: real value = (q - zp) * scale; 0 for f32
  int32_t zp = 0;
  size_t bytes = 0;
  int group = -1;                   // -1: a constant, not in the arena
  const Tensor* constant = nullptr;
  char* ptr = nullptr;              // bound after memory planning
};

struct Group {
  size_t bytes = 0;
  int first = INT_MAX, last = -1;  // step range
  int ir_last = -1;                // last node position (topo index) reading any member value
  bool pinned = false;             // graph output or kept value: lives until the end of run()
  size_t offset = 0;
};

enum class StepKind {
  kDnnl, kReorder, kRef, kFakeQuant, kCopy, kChannelGather, kMultiGather, kByteTable, kTableAdd, kMaxPool, kAvgPool,
  kSwish, kUpsample, kPointwiseTable, kGateQuantize
};

// One strided box of a kCopy step: out[i·os] = in[i·is] over `dims`, offsets and strides in
// elements of `es` bytes (fp32::copy_strided).
struct CopyBox {
  int src = -1, dst = -1;  // slots
  int64_t src_off = 0, dst_off = 0;
  size_t es = 1;
  bool sigmoid = false;  // f32 through the logistic sigmoid (a view piece's, fp32::copy_strided_sigmoid)
  int rank = 0;
  int64_t dims[DNNL_MAX_NDIMS] = {}, is[DNNL_MAX_NDIMS] = {}, os[DNNL_MAX_NDIMS] = {};
};

// How the engine stores a (non-constant, f32) value that carries qparams.
enum class VStore : uint8_t { kF32, kInt8, kFakeQuant };

struct StepArg {
  int arg;
  int slot;
  memory::desc desc;  // how the primitive views the slot (same bytes, maybe other dims)
};

struct Step {
  StepKind kind = StepKind::kRef;
  const ir::Node* node = nullptr;
  int info = -1;  // index into stats.kernels
  std::vector<int> reads, writes;
  // oneDNN kernel or reorder
  std::unique_ptr<fp32::DnnlKernel> dk;
  std::vector<StepArg> args;
  dnnl::primitive prim;
  std::vector<memory> mems;  // keeps the bound memories alive
  std::vector<dnnl_exec_arg_t> c_args;
  float scale = 1.f;  // kReorder: output scale (quantize 1/s, dequantize s, requantize s_in/s_out)
  int32_t zp_from = 0, zp_to = 0;  // kReorder: zero points of the int8 slots (0 for f32)
  // kReorder between two slots of one dense layout, f32 <-> s8/u8: yoloq's loop, not oneDNN's
  // kQuantizeNhwc: f32 NCHW with few channels (an image input) straight into int8 NHWC.
  // kQuantizeS2d: the same into the space-to-depth nhwc layout a stem conv reads (try_int8_conv).
  // kQuantizeIm2col: the same into the patch rows of a conv run as a 1x1 conv (int8::Im2col).
  enum class Dense { kNo, kQuantize, kDequantize, kQuantizeNhwc, kQuantizeS2d, kQuantizeIm2col } dense = Dense::kNo;
  int8::Im2col im2col;  // kQuantizeIm2col
  const ir::QParams* fq = nullptr;  // kFakeQuant
  // residual copy into dst before a sum post-op (-1: none); pre_scale < 0: from the slot scales
  int pre_src = -1, pre_dst = -1;
  float pre_scale = -1.f;
  dnnl::primitive pre_prim;
  std::vector<dnnl_exec_arg_t> pre_c_args;
  // reference kernel
  runtime::ref::RefKernelFn fn = nullptr;
  std::vector<int> ref_in;                // slot per node input; -1 absent; -2 constant
  std::vector<int> ref_out;
  std::vector<Tensor> ref_in_t, ref_out_t;
  std::vector<const Tensor*> ref_in_p;
  std::vector<CopyBox> boxes;  // kCopy
  int8::ChannelGather gather;  // kChannelGather, over `pixels` nhwc pixels
  int8::MultiGather multi;     // kMultiGather: reads[k] is source k
  int64_t pixels = 0;     // the element count of the gathers, tables and kSwish (floats, padding included)
  int8::ByteTable table;  // kByteTable, over `pixels` codes
  int8::TableAdd table_add;  // kTableAdd, over `pixels` codes: reads {t, r}
  // kByteTable or kTableAdd into a Concat's pixels (try_int8_concat_copy): rows of table_row_len
  // codes, written table_out_stride bytes apart from byte table_dst_off of the write slot (0: dense).
  int64_t table_row_len = 0, table_out_stride = 0, table_dst_off = 0;
  // kByteTable into a padded conv source (Engine::Impl::table_into_padded): the border it fills
  // after the rows (channels 0: none).
  int8::PaddedBorder border;
  int8::UpsampleNearest upsample;  // kUpsample: reads {x}, writes from byte table_dst_off of its slot
  // kPointwiseTable (fuse_pointwise_tables): reads {src}, `pixels` pixels src_pixel_stride bytes
  // apart; writes like the kByteTable it replaced (table_row_len, table_out_stride, table_dst_off,
  // border).
  std::shared_ptr<const int8::PointwiseTable> pointwise;
  int64_t src_pixel_stride = 0;
  // kGateQuantize (fuse_gate_quantize): reads {x, gate}, `pixels` nhwc pixels of `channels`
  // floats times the gate's channels, quantized with scale (1/s) and zp_to into writes[0].
  int64_t channels = 0;
  int8::PoolNhwc pool;     // kMaxPool, kAvgPool
  int8::AvgPoolQuant avg;  // kAvgPool
  // Row chains (runtime/row_chain.h, plan_row_chains). The first step of a chain holds its end
  // (one past its last step); every step of one holds its output image rows (which the bands
  // split), what its loop covers per image row (codes, floats, or rows of table_row_len codes)
  // and, a kDnnl conv, a primitive per band.
  int chain_end = -1;
  int64_t out_rows = 0;
  int64_t units_per_row = 0;
  bool halo = false;  // a conv whose rows read rows of other bands: the chain waits before it
  struct Band {
    dnnl::primitive prim;
    int64_t src_row = 0;  // the first source row the band reads
    memory::desc src, dst, scratchpad;
    std::vector<memory> mems;
    std::vector<dnnl_exec_arg_t> c_args;
  };
  std::vector<Band> bands;
};

// The source and destination arguments of a kDnnl step that has exactly those two (a conv with
// no residual or binary input), else nullptr for both.
std::pair<const StepArg*, const StepArg*> src_dst_args(const Step& st) {
  const StepArg* src = nullptr;
  const StepArg* dst = nullptr;
  for (const StepArg& a : st.args) {
    if (a.arg == DNNL_ARG_SRC) src = &a;
    if (a.arg == DNNL_ARG_DST) dst = &a;
  }
  if (st.args.size() != 2 || src == nullptr || dst == nullptr) return {nullptr, nullptr};
  return {src, dst};
}

struct OutputPlan {
  ir::ValueId value = ir::kNoValue;
  int slot = -1;          // -1: constant
  const Tensor* constant = nullptr;
  dnnl::primitive to_plain;  // set when the slot is not plain
};

// The largest conv output whose SiLU runs as a separate pass (split_swish_epilogues).
constexpr int64_t kSwishPassMaxBytes = int64_t{1} << 20;

// Convs whose swish epilogue costs more than the conv's own arithmetic hides: depthwise convs and
// 1x1 convs over at most 256 input channels (K, the multiply-adds per output, <= 256). Denser
// convs (YOLOv5n's 3x3s, K >= 288) hide the epilogue: split, they measured 0.07-0.18 ms slower
// each (conv time unchanged plus the pass).
bool swish_epilogue_dominates(const ir::Graph& g, const ir::Node& conv) {
  const ir::ValueId w = conv.input(1);
  if (w == ir::kNoValue || g.value(w).shape.size() != 4) return false;
  const Shape& ws = g.value(w).shape;  // [oc, ic / group, kh, kw]
  const int64_t group = conv.attrs.get_int("group", 1);
  const bool depthwise = group > 1 && ws[1] == 1 && ws[0] == group;
  const bool pointwise = ws[2] == 1 && ws[3] == 1 && ws[1] <= 256;
  return depthwise || pointwise;
}

// A yq Activation(sigmoid) of one input: elementwise, so its view is its input's pieces through
// a sigmoid (split_sigmoid_epilogues makes them out of detector heads' score convs).
bool is_view_sigmoid(const ir::Node& n) {
  return ir::is_activation_node(n) && n.attrs.get_string("activation", "") == "sigmoid" && n.inputs().size() == 1 &&
         n.outputs().size() == 1;
}

bool is_alias_op(const std::string& op) {
  return op == "Reshape" || op == "Flatten" || op == "Squeeze" || op == "Unsqueeze" || op == "Identity" ||
         op == "Dropout";
}

// True when v is only moved on by Concat and Transpose nodes, directly or through reshapes: what
// the strided views (Engine::Impl::try_view) copy once at the chain's end. Not a graph output.
bool only_copied(const ir::Graph& g, ir::ValueId v) {
  if (g.is_graph_output(v) || g.value(v).consumers().empty()) return false;
  for (ir::NodeId r : g.value(v).consumers()) {
    const ir::Node& c = g.node(r);
    if (c.outputs().size() != 1 || c.output(0) == ir::kNoValue) return false;
    if (c.op_type == "Concat" || c.op_type == "Transpose") continue;
    if (!is_alias_op(c.op_type) || c.input(0) != v || !only_copied(g, c.output(0))) return false;
  }
  return true;
}

std::string node_label(const ir::Node& n) { return "node '" + n.name + "' (" + n.op_type + ")"; }

// Strides (elements) of a desc whose layout is a permutation of its dims with no inner blocks or
// padding (nchw, nhwc, ...); false for blocked layouts.
bool strides_only(const memory::desc& d, int64_t* strides) {
  if (d.is_zero() || d.data.format_kind != dnnl_blocked || d.data.offset0 != 0) return false;
  const dnnl_blocking_desc_t& b = d.data.format_desc.blocking;
  if (b.inner_nblks != 0) return false;
  for (int i = 0; i < d.data.ndims; ++i) {
    if (d.data.padded_dims[i] != d.data.dims[i] || d.data.padded_offsets[i] != 0) return false;
    strides[i] = b.strides[i];
  }
  return true;
}

}  // namespace

struct Engine::Impl {
  EngineOptions opts;
  ir::Graph graph;
  dnnl::engine eng{dnnl::engine::kind::cpu, 0};
  mutable dnnl::stream strm{eng};
  std::vector<Slot> slots;
  std::vector<Group> groups;
  std::vector<Step> steps;
  std::vector<int> native;                  // ValueId -> slot in the producer's layout (-1: none yet)
  std::vector<std::vector<int>> alts;       // ValueId -> slots in other layouts
  std::vector<int> ir_last;                 // ValueId -> last consumer position (kForever if pinned)
  std::vector<int> input_slots;
  std::vector<std::string> in_names, out_names;
  std::vector<Shape> in_shapes, out_shapes;
  std::vector<DType> in_dtypes, out_dtypes;
  std::vector<OutputPlan> outputs;
  std::map<std::string, OutputPlan> kept;
  // Inputs that run() hands to their readers in place instead of copying them into the arena:
  // the oneDNN memories that point at the input's slot, re-pointed at the caller's tensor.
  struct DirectInput {
    size_t input = 0;
    std::vector<memory*> mems;
  };
  std::vector<DirectInput> direct_inputs;
  std::vector<bool> input_is_direct;  // per graph input: one of direct_inputs (not copied)
  // INT8 planning (see the "INT8" block below): per ValueId.
  std::vector<VStore> vstore;
  std::vector<float> vscale;
  std::vector<int32_t> vzp;
  std::vector<DType> vqdtype;
  Tensor arena, scratch;
  // Row chains: bands per chain (the thread count at create; 1: no chains), a stream per band,
  // and a scratchpad per band of band_scratch_bytes each.
  int chain_bands = 1;
  std::vector<dnnl::stream> band_streams;
  std::vector<Status> band_status;
  Tensor band_scratch;
  size_t band_scratch_bytes = 0;
  EngineStats stats;
  bool ran = false;

  int add_group() {
    groups.emplace_back();
    return static_cast<int>(groups.size()) - 1;
  }

  int add_slot(ir::ValueId v, const memory::desc& desc, int group, float scale = 0.f, int32_t zp = 0) {
    const ir::Value& val = graph.value(v);
    Slot s;
    s.value = v;
    s.dtype = val.dtype;
    s.shape = val.shape;
    if (val.dtype == DType::kF32) {
      s.desc = desc.is_zero() ? fp32::plain_desc(val.shape) : desc;
      s.dtype = dtype_of(s.desc);
      s.plain = is_plain_any(s.desc);
      s.bytes = s.desc.get_size();
      s.scale = s.dtype == DType::kF32 ? 0.f : scale;
      s.zp = s.dtype == DType::kF32 ? 0 : zp;
    } else {
      s.bytes = static_cast<size_t>(shape_numel(val.shape)) * dtype_size(val.dtype);
    }
    s.group = group;
    if (group >= 0) {
      groups[group].bytes = std::max(groups[group].bytes, s.bytes);
      groups[group].ir_last = std::max(groups[group].ir_last, ir_last[v]);
    }
    slots.push_back(std::move(s));
    return static_cast<int>(slots.size()) - 1;
  }

  // True when another slot (an alias or view) shares slot s's buffer.
  bool buffer_shared(int s) const {
    for (size_t k = 0; k < slots.size(); ++k)
      if (static_cast<int>(k) != s && slots[k].group == slots[s].group) return true;
    return false;
  }

  // Value v, held in slot s, is read by a step planned at node position `until`, later than its
  // graph readers say (a virtual concat's gathers, a view's copy): no in-place write may take its
  // buffer before then.
  void extend_life(ir::ValueId v, int s, int until) {
    ir_last[v] = std::max(ir_last[v], until);
    const int g = slots[s].group;
    if (g >= 0) groups[g].ir_last = std::max(groups[g].ir_last, ir_last[v]);
  }

  // The slot holding v in its native layout; constants get a slot pointing at their data.
  int native_slot(ir::ValueId v) {
    if (native[v] >= 0) return native[v];
    const ir::Value& val = graph.value(v);
    YQ_CHECK(val.is_constant()) << "value '" << val.name << "' read before it is produced";
    int s = add_slot(v, memory::desc(), -1);
    slots[s].constant = &*val.constant;
    native[v] = s;
    return s;
  }

  static DType dtype_of(const memory::desc& d) {
    switch (d.data_type()) {
      case memory::data_type::s8: return DType::kI8;
      case memory::data_type::u8: return DType::kU8;
      default: return DType::kF32;
    }
  }
  // Same dims and element order, whatever the data types.
  static bool same_layout(const memory::desc& a, const memory::desc& b) {
    return !a.is_zero() && !b.is_zero() && int8::with_data_type(a, b.data_type()) == b;
  }
  static bool is_plain_any(const memory::desc& d) {
    return !d.is_zero() && d == int8::plain_desc(d.dims(), d.data_type());
  }

  // `scale`: 0 for real-valued f32, else the int8 scale (and zero point) wanted.
  static bool compatible(const Slot& s, const memory::desc& want, float scale = 0.f, int32_t zp = 0) {
    if (s.desc.is_zero()) return true;  // values that are not f32 in the IR are always plain
    if (s.desc.data_type() != want.data_type() || s.scale != scale || s.zp != zp) return false;
    if (s.desc == want) return true;
    return s.plain && is_plain_any(want) && s.bytes == want.get_size();
  }

  int add_info(std::string node, std::string op, std::string impl) {
    stats.kernels.push_back({std::move(node), std::move(op), std::move(impl), -1, 0.0, 0});
    return static_cast<int>(stats.kernels.size()) - 1;
  }

  // A slot holding v in layout (and data type) `want`, inserting (and caching) a reorder step
  // when needed. `scale` is 0 for real f32 values, or the scale of the int8 values wanted: an int8
  // value read as f32 is dequantized, an f32 value read as int8 quantized, int8 at another scale
  // requantized (each counted in stats).
  int slot_as(ir::ValueId v, const memory::desc& want, float scale = 0.f, int32_t zp = 0) {
    int n = native_slot(v);
    if (compatible(slots[n], want, scale, zp)) return n;
    for (int a : alts[v])
      if (compatible(slots[a], want, scale, zp)) return a;
    // An int8 graph input wanted in NHWC: quantize its f32 NCHW slot straight into that layout
    // (one pass) rather than reordering the NCHW int8 copy; prune_entry_quantizes() drops that
    // copy's quantize step if nothing else reads it.
    auto f32 = f32_source.find(v);
    if (f32 != f32_source.end() && zp == 0 && is_image_to_nhwc(slots[f32->second].desc, want)) n = f32->second;
    int s = add_convert_step(n, v, want, scale, zp);
    alts[v].push_back(s);
    return s;
  }

  // Appends a reorder from slot `from` (of v) into a new slot of layout `want` holding v at int8
  // scale `scale` and zero point `zp` (scale 0: real f32).
  int add_convert_step(int from, ir::ValueId v, const memory::desc& want, float scale, int32_t zp = 0) {
    // Zero points are applied by yoloq's dense loops only (oneDNN 2.6's jit reorder drops a source
    // zero point when it also transposes, e.g. u8 nhwc -> f32 nchw with 128 channels), so a
    // conversion with a zero point and a layout change becomes a pure int8 reorder (on the int8
    // side) plus a conversion within one layout.
    const Slot f = slots[from];  // a copy: the recursive calls grow `slots`
    const bool f_int = f.dtype != DType::kF32, w_int = want.data_type() != memory::data_type::f32;
    const bool zps = (f_int && f.zp != 0) || (w_int && zp != 0);
    const bool pure_int8_copy = f_int && w_int && f.scale == scale && f.zp == zp;  // a plain reorder
    if (zps && !pure_int8_copy) {
      // Blocked layouts with padded channels go through the plain layout of their own type first.
      const Shape& shape = graph.value(v).shape;
      auto padded = [&](const memory::desc& d) {
        return d.get_size() != static_cast<size_t>(shape_numel(shape)) * memory::data_type_size(d.data_type());
      };
      if (padded(f.desc)) {
        from = add_convert_step(from, v, int8::plain_desc(shape, f.desc.data_type()), f.scale, f.zp);
        return add_convert_step(from, v, want, scale, zp);
      }
      if (padded(want)) {
        from = add_convert_step(from, v, int8::plain_desc(shape, want.data_type()), scale, zp);
        return add_convert_step(from, v, want, scale, zp);
      }
      if (!same_layout(f.desc, want)) {
        // Change the layout on the int8 side first (as pure copies), then convert within one layout.
        if (f_int) {
          from = add_convert_step(from, v, int8::with_data_type(want, f.desc.data_type()), f.scale, f.zp);
        } else {
          from = add_convert_step(from, v, int8::with_data_type(f.desc, want.data_type()), scale, zp);
        }
        return add_convert_step(from, v, want, scale, zp);
      }
      if (f_int && w_int) {
        // requantize with a zero point: through f32 in this layout
        from = add_convert_step(from, v, int8::with_data_type(f.desc, memory::data_type::f32), 0.f);
        return add_convert_step(from, v, want, scale, zp);
      }
    }
    int g = add_group();
    int s = add_slot(v, want, g, scale, zp);
    Step st;
    st.kind = StepKind::kReorder;
    st.reads = {from};
    st.writes = {s};
    const float fs = slots[from].dtype == DType::kF32 ? 1.f : slots[from].scale;
    const float ts = slots[s].dtype == DType::kF32 ? 1.f : slots[s].scale;
    st.scale = fs / ts;
    st.zp_from = slots[from].zp;
    st.zp_to = slots[s].zp;
    const std::string& name = graph.value(v).name;
    const bool from_int = slots[from].dtype != DType::kF32, to_int = slots[s].dtype != DType::kF32;
    if (from_int && !to_int) {
      st.info = add_info("dequantize:" + name, "Dequantize", "onednn:reorder");
      ++stats.dequantize_ops;
    } else if (!from_int && to_int) {
      st.info = add_info("quantize:" + name, "Quantize", "onednn:reorder");
      ++stats.quantize_ops;
    } else if (from_int && to_int && (slots[from].scale != slots[s].scale || slots[from].zp != slots[s].zp)) {
      st.info = add_info("requantize:" + name, "Requantize", "onednn:reorder");
      ++stats.requantize_ops;
    } else {
      st.info = add_info("reorder:" + name, "Reorder", "onednn:reorder");
      ++stats.reorders;
    }
    steps.push_back(std::move(st));
    return s;
  }

  // Graph inputs stored int8: their f32 input slot, and the step quantizing it on entry.
  std::map<ir::ValueId, int> f32_source;
  std::map<ir::ValueId, int> entry_quantize_step;
  void prune_entry_quantizes();
  size_t sole_reader(int s) const;
  void fuse_pointwise_tables();
  std::optional<std::string> pointwise_into_concat(Step& f, int x, Step& copy);
  void fuse_gate_quantize();
  void erase_step(size_t idx);

  // f32 4-d NCHW (plain abcd) with at most int8::kMaxInterleaveChannels channels -> int8 NHWC
  // (acdb) of the same dims: what int8::quantize_nchw_to_nhwc does in one pass.
  static bool is_image_to_nhwc(const memory::desc& from, const memory::desc& to) {
    if (from.dims().size() != 4 || from.dims() != to.dims() || from.data_type() != memory::data_type::f32 ||
        to.data_type() == memory::data_type::f32 || from.dims()[1] > int8::kMaxInterleaveChannels) {
      return false;
    }
    return from == memory::desc(from.dims(), from.data_type(), memory::format_tag::abcd) &&
           to == memory::desc(to.dims(), to.data_type(), memory::format_tag::acdb);
  }

  int plain_slot(ir::ValueId v) {
    const ir::Value& val = graph.value(v);
    if (val.dtype != DType::kF32) return native_slot(v);
    return slot_as(v, fp32::plain_desc(val.shape));
  }

  Expected<bool> try_onednn(const ir::Node& n, int pos);
  // INT8 (definitions in the "INT8" block below).
  Status init_quant();
  bool is_int8(ir::ValueId v) const { return v != ir::kNoValue && vstore[v] == VStore::kInt8; }
  bool same_int8(ir::ValueId a, ir::ValueId b) const {
    return is_int8(a) && is_int8(b) && vscale[a] == vscale[b] && vzp[a] == vzp[b] && vqdtype[a] == vqdtype[b];
  }
  memory::data_type int8_dt(ir::ValueId v) const {
    return vqdtype[v] == DType::kU8 ? memory::data_type::u8 : memory::data_type::s8;
  }
  // The nhwc desc of shape `s` in v's int8 data type: the layout the int8 convs and the int8
  // byte kernels (channel gathers, MaxPool) share.
  memory::desc int8_nhwc(const Shape& s, ir::ValueId v) const {
    return memory::desc(fp32::to_dims(s), int8_dt(v), memory::format_tag::acdb);
  }
  Status finish_output(ir::ValueId o);
  Expected<bool> try_int8(const ir::Node& n, int pos);
  Expected<bool> try_int8_conv(const ir::Node& n, int pos);
  // The space-to-depth nhwc desc conv n reads its image input x in (int8::space_to_depth_geometry),
  // or a zero desc when that does not apply.
  memory::desc space_to_depth_src(const ir::Node& n, ir::ValueId x);
  memory::desc im2col_src(const ir::Node& n, ir::ValueId x);
  // The padded nhwc desc conv n reads its zero-point source x in (int8::padded_source_geometry)
  // when x's table can write it (table_into_padded), or a zero desc.
  memory::desc padded_table_src(const ir::Node& n, ir::ValueId x);
  void table_into_padded(const ir::Node& n, ir::ValueId x, const memory::desc& padded);
  bool try_int8_data_movement(const ir::Node& n);
  bool try_int8_concat_copy(const ir::Node& n);
  bool try_int8_channel_gather(const ir::Node& n);
  // A channel Gather's indices into its int8 input when it can run as a byte gather (same scale,
  // constant 1-D indices along axis 1 of a 4-d tensor); false otherwise.
  bool channel_gather_indices(const ir::Node& n, std::vector<int64_t>* channels) const;
  bool channel_slice_indices(const ir::Node& n, std::vector<int64_t>* channels) const;
  bool try_int8_virtual_concat(const ir::Node& n);
  // Concats never written (try_int8_virtual_concat): output -> the Concat's inputs, in order.
  std::map<ir::ValueId, std::vector<ir::ValueId>> virtual_concat;
  bool try_int8_byte_table(const ir::Node& n);
  // Activation(t) -> Add(a, r) between int8 values as one pass (int8::TableAdd): the Activation is
  // deferred (planned at its Add), keyed by its output a.
  bool defer_for_table_add(const ir::Node& act);
  bool try_int8_table_add(const ir::Node& add, int pos);
  std::map<ir::ValueId, const ir::Node*> table_add_pending;
  // int8 table (and table + add) outputs -> the step computing them
  std::map<ir::ValueId, size_t> table_step;
  bool table_into_concat(ir::ValueId v, const ir::Node& concat, int ys, const memory::dims& ystr, int axis,
                         int64_t at);
  // int8 nearest Resize outputs (oneDNN steps over an nhwc source) -> the step computing them.
  std::map<ir::ValueId, size_t> resize_step;
  bool resize_into_concat(ir::ValueId v, const ir::Node& concat, int ys, const memory::dims& ystr, int axis,
                          int64_t at);
  bool try_int8_pool_nhwc(const ir::Node& n);
  // Appends the step of a planned oneDNN kernel: reads its inputs in the layouts (and, for int8,
  // scales and zero points; empty in_zps: all 0) it asked for, places a residual in dst (in place
  // over R when R dies here and already has dst's layout, else a copy rescaled by pre_scale; -1:
  // no rescale), allocates its outputs.
  void emit_dnnl_step(const ir::Node& n, std::unique_ptr<fp32::DnnlKernel> dk, const std::vector<float>& in_scales,
                      float out_scale, int pos, float pre_scale, bool int8, const std::vector<int32_t>& in_zps = {},
                      int32_t out_zp = 0);
  Status plan_ref(const ir::Node& n);
  bool inputs_plain(const ir::Node& n);
  bool try_alias(const ir::Node& n);
  // Strided views (runtime/strided_view.h): f32 values of Concat/Transpose/Reshape chains that
  // are never written; the chain's last Concat or Transpose copies every piece once.
  std::map<ir::ValueId, View> views;
  bool is_view_value(ir::ValueId v) const;
  bool is_view_op(const ir::Node& n) const;
  bool feeds_view_copy(ir::ValueId y) const;
  View view_of(ir::ValueId v);
  void add_view_copy(const ir::Node* n, ir::ValueId y, const View& v, const std::string& impl);
  bool try_view(const ir::Node& n);
  void split_swish_epilogues();
  void split_sigmoid_epilogues();
  bool try_swish(const ir::Node& n, int pos);
  Status plan(const ir::Graph& g);
  Status plan_output(ir::ValueId v, OutputPlan* out);
  void bind();
  void bind_bands(Step& st);
  void classify_reorder(Step& st);
  void plan_direct_inputs();
  Status execute_step(Step& st);
  // Row chains (runtime/row_chain.h): which steps qualify, and running one chain band by band.
  void plan_row_chains();
  std::optional<int64_t> chain_rows_of(Step& st);
  Status run_row_chain(size_t first);
  int64_t whole_units(const Step& st) const;
  Status execute_units(Step& st, int band, int64_t u0, int64_t units);
  Status to_plain(const OutputPlan& p, Tensor* out) const;
};

Expected<bool> Engine::Impl::try_onednn(const ir::Node& n, int pos) {
  fp32::DnnlFactory factory = fp32::find_onednn_factory(n.op_type);
  if (!factory) return false;
  for (ir::ValueId o : n.outputs())
    if (o != ir::kNoValue && graph.value(o).dtype != DType::kF32) return false;
  std::vector<memory::desc> in(n.inputs().size());
  for (size_t i = 0; i < n.inputs().size(); ++i) {
    ir::ValueId v = n.input(i);
    if (v == ir::kNoValue || graph.value(v).dtype != DType::kF32) continue;
    // An int8-stored value is offered in its layout as f32: slot_as dequantizes it.
    in[i] = graph.value(v).is_constant() ? fp32::plain_desc(graph.value(v).shape)
                                          : int8::with_data_type(slots[native_slot(v)].desc, memory::data_type::f32);
  }
  std::unique_ptr<fp32::DnnlKernel> dk;
  try {
    auto made = factory(graph, n, in, eng);
    if (!made.ok()) return made.status().with_context(node_label(n));
    dk = std::move(made).value();
  } catch (const dnnl::error&) {
    return false;  // oneDNN has no implementation for this configuration: the reference runs it
  }
  if (!dk) return false;

  // f32 step: every value read and written as real numbers (scale 0), no int8 residual rescale.
  emit_dnnl_step(n, std::move(dk), std::vector<float>(n.inputs().size(), 0.f), 0.f, pos, -1.f, /*int8=*/false);
  for (ir::ValueId o : n.outputs())
    if (o != ir::kNoValue) YQ_RETURN_IF_ERROR(finish_output(o));
  return true;
}

// An int8 conv writing f32, or an f32 depthwise or narrow 1x1 conv (swish_epilogue_dominates)
// writing at most kSwishPassMaxBytes of f32, runs its SiLU as yoloq's own pass over its output
// instead of as oneDNN's epilogue: a 64-channel 1x1 conv at 52x52 takes 72 us without the swish
// and 114 us with it, the pass (fp32/swish.cpp) about 30 us while the output is still in cache.
// For f32 convs above 1 MiB the second trip through memory costs more than it saves (a 2 MiB
// bound made FP32 YOLOv5n 8% slower). Measured against all-fused (A B B A rounds, median
// ratio): FP32 YOLOX-Nano 0.92-0.95, FP32 YOLOv5n 0.97.
// Lowered here, on the engine's copy of the graph, as FusedConv(no activation) ->
// Activation(silu), the split quant/split_activations.h makes for tables; try_swish then runs
// the Activation in place. Convs with a residual or a channel scale (applied after the
// activation) and convs writing int8 (the swish precedes the rounding) keep the epilogue.
void Engine::Impl::split_swish_epilogues() {
  for (ir::NodeId id : graph.topo_order()) {
    const ir::Node& n = graph.node(id);
    if (!ir::is_fused_conv(n) || ir::has_residual(n) || ir::has_channel_scale(n)) continue;
    if (n.attrs.get_string("activation", "") != "silu" || n.outputs().size() != 1) continue;
    const ir::ValueId y = n.output(0);
    const ir::Value& yv = graph.value(y);
    if (yv.qparams || yv.dtype != DType::kF32) continue;
    // An int8 conv (its source quantized) computes about 3x faster than an f32 one, so its swish
    // epilogue dominates whatever its shape, and the pass pays even over memory: YOLOX-Nano's
    // int8 stem (3x3 over 12 channels, 2.8 MB out) 371 us with the epilogue, 152 + 129 us split.
    const bool int8_conv = graph.value(n.input(0)).qparams.has_value();
    if (!int8_conv && (shape_numel(yv.shape) * 4 > kSwishPassMaxBytes || !swish_epilogue_dominates(graph, n)))
      continue;
    ir::split_activation(graph, id);
  }
}

// A FusedConv whose sigmoid epilogue feeds only a chain of data movement (a detector head:
// YOLOX's objectness and class maps -> Concat -> Reshape -> Transpose -> Concat) is lowered, on
// the engine's copy of the graph, to FusedConv(no activation) -> Activation(sigmoid), which
// try_view folds into the chain's one copy (fp32::copy_strided_sigmoid): no pass of its own.
// Why: oneDNN 2.6's logistic epilogue costs more than the conv on such wide, shallow convs
// (YOLOX-Nano's 80-class 1x1 conv at 52x52: INT8 115 -> 42 us without it, FP32 230 -> 152 us;
// the head's copy 108 -> 146 us; the whole head INT8 317 -> 230 us, FP32 535 -> 449 us). As for
// the SiLU pass, only outputs up to kSwishPassMaxBytes: the copy's sigmoid runs on data that has
// left the cache, so on YOLOv5n's 6.5 MB 80x80 map the epilogue was cheaper (conv 715 -> 471 us,
// its transpose copy 425 -> 718 us); at or below 1 MiB the other models' heads came out even.
void Engine::Impl::split_sigmoid_epilogues() {
  for (ir::NodeId id : graph.topo_order()) {
    const ir::Node& n = graph.node(id);
    if (!ir::is_fused_conv(n) || ir::has_residual(n) || ir::has_channel_scale(n)) continue;
    if (n.attrs.get_string("activation", "") != "sigmoid" || n.outputs().size() != 1) continue;
    const ir::ValueId y = n.output(0);
    const ir::Value& yv = graph.value(y);
    if (yv.qparams || yv.dtype != DType::kF32 || shape_numel(yv.shape) * 4 > kSwishPassMaxBytes) continue;
    if (!only_copied(graph, y)) continue;
    ir::split_activation(graph, id);
  }
}

bool Engine::Impl::try_swish(const ir::Node& n, int pos) {
  if (!ir::is_activation_node(n) || n.attrs.get_string("activation", "") != "silu") return false;
  if (n.inputs().size() != 1 || n.outputs().size() != 1) return false;
  const ir::ValueId x = n.input(0), y = n.output(0);
  if (x == ir::kNoValue || graph.value(x).is_constant() || vstore[x] != VStore::kF32 || vstore[y] != VStore::kF32)
    return false;
  if (graph.value(x).dtype != DType::kF32 || graph.value(y).dtype != DType::kF32) return false;
  const int s = native_slot(x);
  if (s < 0 || slots[s].dtype != DType::kF32) return false;
  // Elementwise over the whole buffer, padding included (swish(0) = 0 keeps a blocked layout's
  // padding zero); in place when x dies here.
  const bool in_place = ir_last[x] == pos;
  Step st;
  st.kind = StepKind::kSwish;
  st.node = &n;
  st.reads = {s};
  const int out = add_slot(y, slots[s].desc, in_place ? slots[s].group : add_group());
  native[y] = out;
  st.writes = {out};
  st.pixels = static_cast<int64_t>(slots[s].desc.get_size() / sizeof(float));
  ++stats.ref_kernels;
  st.info = add_info(n.name, n.op_type, in_place ? "plain:swish(in place)" : "plain:swish");
  steps.push_back(std::move(st));
  return true;
}

bool Engine::Impl::try_alias(const ir::Node& n) {
  if (!is_alias_op(n.op_type) || n.inputs().empty() || n.outputs().empty()) return false;
  for (size_t i = 1; i < n.outputs().size(); ++i)
    if (n.output(i) != ir::kNoValue) return false;  // Dropout's mask
  ir::ValueId in = n.input(0), out = n.output(0);
  if (in == ir::kNoValue || graph.value(in).is_constant()) return false;
  const ir::Value& vi = graph.value(in);
  const ir::Value& vo = graph.value(out);
  if (vi.dtype != vo.dtype || shape_numel(vi.shape) != shape_numel(vo.shape)) return false;
  // A fake-quantized output is rounded in place: only safe over an input already rounded the same way.
  if (vstore[out] == VStore::kFakeQuant &&
      !(vstore[in] == VStore::kFakeQuant && vi.qparams->scales == vo.qparams->scales &&
        vi.qparams->zero_points == vo.qparams->zero_points && vi.qparams->axis < 0 && vo.qparams->axis < 0))
    return false;
  if (same_int8(in, out)) {
    // int8 in, int8 out at the same scale: a view of the plain int8 bytes.
    int s = slot_as(in, int8::plain_desc(vi.shape, int8_dt(in)), vscale[in], vzp[in]);
    native[out] = add_slot(out, int8::plain_desc(vo.shape, int8_dt(out)), slots[s].group, vscale[out], vzp[out]);
    ++stats.int8_kernels;
    add_info(n.name, n.op_type, "alias:int8");
    return true;
  }
  int s = plain_slot(in);
  native[out] = add_slot(out, memory::desc(), slots[s].group);
  add_info(n.name, n.op_type, "alias");
  if (vstore[out] == VStore::kInt8) (void)finish_output(out);  // quantizes a plain f32 view: cannot fail
  return true;
}

// Strided views (runtime/strided_view.h).
bool Engine::Impl::is_view_value(ir::ValueId v) const {
  if (v == ir::kNoValue) return false;
  const ir::Value& val = graph.value(v);
  return !val.is_constant() && val.dtype == DType::kF32 && !val.qparams && vstore[v] == VStore::kF32 &&
         !val.shape.empty() && val.shape.size() <= static_cast<size_t>(kMaxViewRank) && shape_numel(val.shape) > 0;
}

// Concat, Transpose, a reshape or a sigmoid over real-valued f32 activations (no qparams, nothing
// int8).
bool Engine::Impl::is_view_op(const ir::Node& n) const {
  if (n.outputs().size() != 1 || n.inputs().empty() || !is_view_value(n.output(0))) return false;
  const Shape& ys = graph.value(n.output(0)).shape;
  const int rank = static_cast<int>(ys.size());
  if (n.op_type == "Concat") {
    int64_t axis = n.attrs.get_int("axis", 0);
    if (axis < 0) axis += rank;
    if (axis < 0 || axis >= rank) return false;
    for (ir::ValueId v : n.inputs())
      if (!is_view_value(v) || static_cast<int>(graph.value(v).shape.size()) != rank) return false;
    return true;
  }
  if (n.op_type == "Transpose") {
    if (n.inputs().size() != 1 || !is_view_value(n.input(0)) || graph.value(n.input(0)).shape.size() != ys.size())
      return false;
    const std::vector<int64_t> perm = n.attrs.get_ints("perm", {});
    if (perm.empty()) return true;  // reversed dims
    if (static_cast<int>(perm.size()) != rank) return false;
    std::vector<char> seen(rank, 0);
    for (int64_t p : perm) {
      if (p < 0 || p >= rank || seen[p]) return false;
      seen[p] = 1;
    }
    return true;
  }
  if (is_view_sigmoid(n)) return is_view_value(n.input(0)) && graph.value(n.input(0)).shape == ys;
  return is_alias_op(n.op_type) && n.op_type != "Identity" && n.op_type != "Dropout" && is_view_value(n.input(0)) &&
         shape_numel(graph.value(n.input(0)).shape) == shape_numel(ys);
}

// True when every reader of y is a Concat or Transpose that copies it, or a reshape whose output
// is such a value (so a view's readers always materialize it or are views themselves).
bool Engine::Impl::feeds_view_copy(ir::ValueId y) const {
  if (ir_last[y] == kForever) return false;
  const auto& readers = graph.value(y).consumers();
  if (readers.empty()) return false;
  for (ir::NodeId r : readers) {
    const ir::Node& c = graph.node(r);
    if (!is_view_op(c)) return false;
    if (c.op_type != "Concat" && c.op_type != "Transpose" && !feeds_view_copy(c.output(0))) return false;
  }
  return true;
}

// A view's pieces, or the whole of v's slot when its layout is strides only (nhwc conv outputs
// included), else of its plain copy.
View Engine::Impl::view_of(ir::ValueId v) {
  if (auto it = views.find(v); it != views.end()) return it->second;
  int s = native_slot(v);
  int64_t st[DNNL_MAX_NDIMS];
  if (slots[s].dtype != DType::kF32 || !strides_only(slots[s].desc, st)) {
    s = plain_slot(v);
    YQ_CHECK(strides_only(slots[s].desc, st)) << "plain slot of '" << graph.value(v).name << "' has no strides";
  }
  return whole_view(s, graph.value(v).shape, st);
}

// A kCopy step writing view `v` of y into a new plain slot: one box per piece.
void Engine::Impl::add_view_copy(const ir::Node* n, ir::ValueId y, const View& v, const std::string& impl) {
  const Shape& ys = graph.value(y).shape;
  const int rank = static_cast<int>(ys.size());
  Step st;
  st.kind = StepKind::kCopy;
  st.node = n;
  const int out = add_slot(y, memory::desc(), add_group());
  native[y] = out;
  int64_t os[kMaxViewRank];
  int64_t acc = 1;
  for (int d = rank - 1; d >= 0; --d) {
    os[d] = acc;
    acc *= ys[d];
  }
  int through_sigmoid = 0;
  for (const ViewPiece& p : v) {
    CopyBox b;
    b.src = p.slot;
    b.dst = out;
    b.src_off = p.offset;
    b.es = sizeof(float);
    b.sigmoid = p.sigmoid;
    through_sigmoid += p.sigmoid;
    b.rank = rank;
    for (int d = 0; d < rank; ++d) {
      b.dst_off += p.pos[d] * os[d];
      b.dims[d] = p.dims[d];
      b.is[d] = p.strides[d];
      b.os[d] = os[d];
    }
    st.boxes.push_back(b);
    if (std::find(st.reads.begin(), st.reads.end(), p.slot) == st.reads.end()) st.reads.push_back(p.slot);
  }
  st.writes = {out};
  ++stats.ref_kernels;
  std::string pieces = std::to_string(v.size()) + " pieces";
  if (through_sigmoid > 0) pieces += ", " + std::to_string(through_sigmoid) + " through sigmoid";
  st.info = add_info(n->name, n->op_type, impl + "(" + pieces + ")");
  steps.push_back(std::move(st));
  (void)finish_output(y);  // f32 without qparams: nothing to add
}

// A Concat, Transpose or reshape of a data-movement chain: no step when its output is only copied
// further down the chain (a view), else one copy of every piece (the chain's end).
bool Engine::Impl::try_view(const ir::Node& n) {
  if (!is_view_op(n)) return false;
  const ir::ValueId y = n.output(0);
  bool view_input = false;
  for (ir::ValueId v : n.inputs()) view_input = view_input || views.count(v) > 0;
  const bool virt = feeds_view_copy(y);
  // A Transpose of a layout without blocks (an nhwc conv output) is one strided copy into a plain
  // output, instead of a reorder to plain and then the transpose.
  int64_t st[DNNL_MAX_NDIMS];
  const bool strided_in = n.op_type == "Transpose" && native[n.input(0)] >= 0 &&
                          !slots[native[n.input(0)]].plain && strides_only(slots[native[n.input(0)]].desc, st);
  if (!virt && !view_input && !strided_in) return false;  // nothing to save: the usual kernels
  const Shape& ys = graph.value(y).shape;
  const int rank = static_cast<int>(ys.size());
  std::optional<View> v;
  if (n.op_type == "Concat") {
    int64_t axis = n.attrs.get_int("axis", 0);
    if (axis < 0) axis += rank;
    std::vector<View> ins;
    std::vector<Shape> shapes;
    for (ir::ValueId x : n.inputs()) {
      ins.push_back(view_of(x));
      shapes.push_back(graph.value(x).shape);
    }
    v = concat_view(ins, shapes, static_cast<int>(axis));
  } else if (n.op_type == "Transpose") {
    std::vector<int64_t> perm = n.attrs.get_ints("perm", {});
    if (perm.empty())
      for (int d = rank - 1; d >= 0; --d) perm.push_back(d);
    v = transpose_view(view_of(n.input(0)), perm);
  } else if (is_view_sigmoid(n)) {
    // Materialized here, or a sigmoid of a sigmoid (one flag per piece): the usual kernel, after
    // its input's pieces are copied out (below).
    v = view_of(n.input(0));
    for (ViewPiece& p : *v) {
      if (p.sigmoid) v.reset();
      if (!v) break;
      p.sigmoid = true;
    }
    if (!virt) v.reset();
  } else {
    v = reshape_view(view_of(n.input(0)), graph.value(n.input(0)).shape, ys);
  }
  if (!v || !virt) {
    if (v && (n.op_type == "Concat" || n.op_type == "Transpose")) {
      add_view_copy(&n, y, *v, "plain:strided:" + n.op_type);
      return true;
    }
    // A reshape the pieces cannot follow: its input is copied out as it is, the usual kernels
    // take the reshape.
    if (auto it = views.find(n.input(0)); it != views.end()) {
      const View in = it->second;
      views.erase(it);
      add_view_copy(&n, n.input(0), in, "plain:strided:view");
    }
    return false;
  }
  // The pieces' buffers now live until the chain's end reads them.
  for (const ViewPiece& p : *v) extend_life(slots[p.slot].value, p.slot, ir_last[y]);
  views[y] = std::move(*v);
  add_info(n.name, n.op_type, "view:" + n.op_type);
  return true;
}

// True when every f32 activation input of n already sits in a plain (row-major) slot.
bool Engine::Impl::inputs_plain(const ir::Node& n) {
  for (ir::ValueId v : n.inputs()) {
    if (v == ir::kNoValue || graph.value(v).is_constant() || graph.value(v).dtype != DType::kF32) continue;
    if (!slots[native_slot(v)].plain) return false;
  }
  return true;
}

Status Engine::Impl::plan_ref(const ir::Node& n) {
  // The fast plain-layout kernel when there is one, except on the reference path (the oracle).
  const runtime::ref::RefKernelFn plain_fn = opts.use_onednn ? fp32::find_plain_kernel(n.op_type) : nullptr;
  runtime::ref::RefKernelFn fn = plain_fn ? plain_fn : runtime::ref::find_ref_kernel(n.op_type);
  if (!fn) return unsupported(node_label(n) + ": no kernel for op '" + n.op_type + "' (neither oneDNN nor reference)");
  Step st;
  st.kind = StepKind::kRef;
  st.node = &n;
  st.fn = fn;
  for (ir::ValueId v : n.inputs()) {
    if (v == ir::kNoValue) {
      st.ref_in.push_back(-1);
    } else if (graph.value(v).is_constant()) {
      st.ref_in.push_back(-2);
    } else {
      int s = plain_slot(v);
      st.ref_in.push_back(s);
      st.reads.push_back(s);
    }
  }
  for (ir::ValueId o : n.outputs()) {
    if (o == ir::kNoValue) return unsupported(node_label(n) + ": omitted outputs are not supported");
    int s = add_slot(o, memory::desc(), add_group());
    native[o] = s;
    st.ref_out.push_back(s);
    st.writes.push_back(s);
  }
  ++stats.ref_kernels;
  st.info = add_info(n.name, n.op_type, (plain_fn ? "plain:" : "ref:") + n.op_type);
  steps.push_back(std::move(st));
  for (ir::ValueId o : n.outputs()) YQ_RETURN_IF_ERROR(finish_output(o));
  return ok_status();
}

Status Engine::Impl::plan_output(ir::ValueId v, OutputPlan* out) {
  const ir::Value& val = graph.value(v);
  out->value = v;
  if (val.is_constant()) {
    out->constant = &*val.constant;
    return ok_status();
  }
  if (native[v] < 0) return invalid_argument("value '" + val.name + "' is never computed");
  out->slot = native[v];
  // Codes with a zero point leave through a dequantize step (the exit reorder takes a scale only).
  if (slots[out->slot].zp != 0) out->slot = slot_as(v, fp32::plain_desc(val.shape));
  const Slot& s = slots[out->slot];
  groups[s.group].pinned = true;
  if (s.dtype != val.dtype) {
    // An int8-stored value leaves the engine as f32: dequantize on exit.
    dnnl::primitive_attr attr;
    attr.set_output_scales(0, {s.scale});
    out->to_plain =
        dnnl::reorder(dnnl::reorder::primitive_desc(eng, s.desc, eng, fp32::plain_desc(s.shape), attr));
    ++stats.dequantize_ops;
  } else if (s.dtype == DType::kF32 && !s.plain) {
    out->to_plain = dnnl::reorder(dnnl::reorder::primitive_desc(eng, s.desc, eng, fp32::plain_desc(s.shape)));
    ++stats.reorders;
  }
  return ok_status();
}

Status Engine::Impl::plan(const ir::Graph& g) {
  graph = g;
  if (opts.use_onednn) {
    split_swish_epilogues();
    split_sigmoid_epilogues();
  }
  const size_t nv = graph.value_capacity();
  YQ_RETURN_IF_ERROR(init_quant());
  native.assign(nv, -1);
  alts.assign(nv, {});
  ir_last.assign(nv, -1);
  std::vector<ir::NodeId> order = graph.topo_order();

  // Every value the plan touches must have an inferred shape.
  for (ir::ValueId v : graph.inputs()) {
    const ir::Value& val = graph.value(v);
    if (!val.shape_known) return invalid_argument("graph input '" + val.name + "' has no known shape");
  }
  for (ir::NodeId id : order) {
    const ir::Node& n = graph.node(id);
    for (ir::ValueId o : n.outputs())
      if (o != ir::kNoValue && !graph.value(o).shape_known)
        return invalid_argument(node_label(n) + ": output '" + graph.value(o).name +
                                "' has no inferred shape (run ir::infer_shapes first)");
  }

  // Last use of each value in node positions; graph outputs and kept values live forever.
  for (size_t pos = 0; pos < order.size(); ++pos)
    for (ir::ValueId v : graph.node(order[pos]).inputs())
      if (v != ir::kNoValue) ir_last[v] = std::max(ir_last[v], static_cast<int>(pos));
  for (ir::ValueId v : graph.outputs()) ir_last[v] = kForever;
  std::vector<ir::ValueId> kept_ids;
  for (const std::string& name : opts.keep_values) {
    auto v = graph.find_value(name);
    if (!v) return invalid_argument("keep_values: no value named '" + name + "' in the graph");
    ir_last[*v] = kForever;
    kept_ids.push_back(*v);
  }

  for (ir::ValueId v : graph.inputs()) {
    const ir::Value& val = graph.value(v);
    int s = add_slot(v, memory::desc(), add_group());
    native[v] = s;
    input_slots.push_back(s);
    in_names.push_back(val.name);
    in_shapes.push_back(val.shape);
    in_dtypes.push_back(val.dtype);
  }
  // Inputs with qparams: quantize (or fake-quantize) on entry; input_slots keep the f32 slot.
  for (ir::ValueId v : graph.inputs()) YQ_RETURN_IF_ERROR(finish_output(v));

  for (size_t pos = 0; pos < order.size(); ++pos) {
    const ir::Node& n = graph.node(order[pos]);
    if (opts.use_onednn) {
      if (try_swish(n, static_cast<int>(pos))) continue;
      if (try_view(n)) continue;
      YQ_ASSIGN_OR_RETURN(bool int8_done, try_int8(n, static_cast<int>(pos)));
      if (int8_done) continue;
      // Some ops run faster on the plain kernel than on oneDNN when their inputs are already plain.
      if (fp32::plain_preferred_over_onednn(n.op_type) && inputs_plain(n)) {
        YQ_RETURN_IF_ERROR(plan_ref(n));
        continue;
      }
      YQ_ASSIGN_OR_RETURN(bool done, try_onednn(n, static_cast<int>(pos)));
      if (done) continue;
    }
    if (try_alias(n)) continue;
    YQ_RETURN_IF_ERROR(plan_ref(n));
  }

  for (ir::ValueId v : graph.outputs()) {
    OutputPlan p;
    YQ_RETURN_IF_ERROR(plan_output(v, &p));
    outputs.push_back(p);
    out_names.push_back(graph.value(v).name);
    out_shapes.push_back(graph.value(v).shape);
    out_dtypes.push_back(graph.value(v).dtype);
  }
  for (ir::ValueId v : kept_ids) {
    OutputPlan p;
    YQ_RETURN_IF_ERROR(plan_output(v, &p));
    // Kept values are converted after run(), so they do not count as per-run reorders.
    if (p.to_plain) {
      if (p.slot >= 0 && slots[p.slot].dtype != graph.value(v).dtype) {
        --stats.dequantize_ops;
      } else {
        --stats.reorders;
      }
    }
    kept[graph.value(v).name] = p;
  }

  prune_entry_quantizes();
  fuse_pointwise_tables();
  fuse_gate_quantize();
  plan_row_chains();

  // Lifetimes in steps, then one arena for every group. A buffer touched anywhere in a row chain
  // lives through the whole chain: its bands run the steps concurrently, so a buffer freed by one
  // step must not be handed to another step of the chain.
  const int nsteps = static_cast<int>(steps.size());
  for (int s : input_slots) groups[slots[s].group].first = 0;
  for (int i = 0, chain_first = 0, chain_last = 0; i < nsteps; ++i) {
    if (steps[i].chain_end > 0) {
      chain_first = i;
      chain_last = steps[i].chain_end - 1;
    }
    const bool in_chain = i <= chain_last && chain_last > chain_first;
    for (const std::vector<int>* list : {&steps[i].reads, &steps[i].writes})
      for (int s : *list) {
        int gi = slots[s].group;
        if (gi < 0) continue;
        groups[gi].first = std::min(groups[gi].first, in_chain ? chain_first : i);
        groups[gi].last = std::max(groups[gi].last, in_chain ? chain_last : i);
      }
  }
  std::vector<BufferRequest> reqs(groups.size());
  for (size_t i = 0; i < groups.size(); ++i) {
    Group& gr = groups[i];
    if (gr.first == INT_MAX) gr.first = 0;
    if (gr.pinned) gr.last = nsteps;
    gr.last = std::max(gr.last, gr.first);
    reqs[i] = {gr.bytes, gr.first, gr.last};
  }
  MemoryPlan mp = plan_memory(reqs);
  for (size_t i = 0; i < groups.size(); ++i) groups[i].offset = mp.offsets[i];
  stats.peak_activation_bytes = mp.total_bytes;
  arena = Tensor::empty(DType::kU8, {static_cast<int64_t>(std::max<size_t>(mp.total_bytes, 1))});
  size_t scratch_bytes = 0;
  for (const Step& st : steps)
    if (st.dk) scratch_bytes = std::max(scratch_bytes, st.dk->scratchpad_desc.get_size());
  scratch = Tensor::empty(DType::kU8, {static_cast<int64_t>(std::max<size_t>(scratch_bytes, 1))});
  if (band_scratch_bytes > 0)
    band_scratch = Tensor::empty(DType::kU8, {static_cast<int64_t>(band_scratch_bytes) * chain_bands});
  bind();
  plan_direct_inputs();
  return ok_status();
}

// Drops the entry quantize of an int8 graph input when every reader took a layout quantized
// straight from the f32 input (slot_as): its NCHW int8 copy would be written and never read.
void Engine::Impl::prune_entry_quantizes() {
  std::vector<int> dead;
  for (const auto& [v, idx] : entry_quantize_step) {
    const int slot = steps[idx].writes[0];
    bool read = false;
    for (const Step& st : steps) read = read || std::find(st.reads.begin(), st.reads.end(), slot) != st.reads.end();
    for (const OutputPlan& p : outputs) read = read || p.slot == slot;
    for (const auto& [name, p] : kept) read = read || p.slot == slot;
    if (!read) dead.push_back(idx);
  }
  std::sort(dead.rbegin(), dead.rend());
  for (int idx : dead) {
    erase_step(idx);
    --stats.quantize_ops;
  }
}

// The one step that reads slot s; steps.size() when none or several do.
size_t Engine::Impl::sole_reader(int s) const {
  size_t found = steps.size();
  for (size_t j = 0; j < steps.size(); ++j) {
    if (std::find(steps[j].reads.begin(), steps[j].reads.end(), s) == steps[j].reads.end()) continue;
    if (found < steps.size()) return steps.size();
    found = j;
  }
  return found;
}

// Removes step idx and its line in stats.kernels.
void Engine::Impl::erase_step(size_t idx) {
  const int info = steps[idx].info;
  steps.erase(steps.begin() + static_cast<std::ptrdiff_t>(idx));
  stats.kernels.erase(stats.kernels.begin() + info);
  for (Step& st : steps) st.info -= st.info > info ? 1 : 0;
}

namespace {

// The constants of a 1x1 int8 conv primitive in the form int8::make_pointwise_table takes (with
// `table`: its weights unpacked from oneDNN's layout, bias, output scales and its one linear
// post-op) or int8::make_pointwise_hardswish (without: a HardSwish post-op, then a per-channel
// binary multiply and a final linear, each optional but the first). nullopt for any other
// primitive (a padded, strided or grouped conv, other post-ops, a runtime zero point, packed
// weights that do not reorder back).
std::optional<int8::PointwiseTable> pointwise_kernel_of(const fp32::DnnlKernel& dk, const int8::ByteTable* table,
                                                        const dnnl::engine& eng) {
  const_dnnl_primitive_desc_t pd = nullptr;
  const dnnl_convolution_desc_t* cd = nullptr;
  if (dnnl_primitive_get_primitive_desc(dk.prim.get(), &pd) != dnnl_success ||
      dnnl_primitive_desc_query(pd, dnnl_query_convolution_d, 0, &cd) != dnnl_success || cd == nullptr)
    return std::nullopt;
  const dnnl_memory_desc_t* w = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
  if (w == nullptr || w->ndims != 4 || w->dims[2] != 1 || w->dims[3] != 1 || cd->src_desc.ndims != 4)
    return std::nullopt;
  for (int i = 0; i < 2; ++i)
    if (cd->strides[i] != 1 || cd->dilates[i] != 0 || cd->padding[0][i] != 0 || cd->padding[1][i] != 0)
      return std::nullopt;
  const dnnl_data_type_t src_dt = cd->src_desc.data_type, dst_dt = cd->dst_desc.data_type;
  if ((src_dt != dnnl_u8 && src_dt != dnnl_s8) || (dst_dt != dnnl_u8 && dst_dt != dnnl_s8)) return std::nullopt;
  const int64_t oc = w->dims[0], ic = w->dims[1];
  const_dnnl_primitive_attr_t attr = nullptr;
  const_dnnl_post_ops_t po = nullptr;
  if (dnnl_primitive_desc_get_attr(pd, &attr) != dnnl_success ||
      dnnl_primitive_attr_get_post_ops(attr, &po) != dnnl_success)
    return std::nullopt;
  // The post-ops: with a table, one linear (alpha, beta); without, hardswish (times hs_scale), an
  // optional binary multiply (post-op `binary`), an optional final linear.
  const int len = dnnl_post_ops_len(po);
  float alpha = 1.f, beta = 0.f, hs_scale = 1.f;
  int binary = -1;
  for (int i = 0; i < len; ++i) {
    const dnnl_primitive_kind_t kind = dnnl_post_ops_get_kind(po, i);
    float s = 0.f, a = 0.f, b = 0.f;
    dnnl_alg_kind_t alg{};
    if (kind == dnnl_eltwise && dnnl_post_ops_get_params_eltwise(po, i, &s, &alg, &a, &b) != dnnl_success)
      return std::nullopt;
    const bool last = i == len - 1;
    if (table != nullptr) {
      if (len != 1 || kind != dnnl_eltwise || alg != dnnl_eltwise_linear || s != 1.f) return std::nullopt;
      alpha = a;
      beta = b;
    } else if (i == 0) {
      if (kind != dnnl_eltwise || alg != dnnl_eltwise_hardswish) return std::nullopt;
      hs_scale = s;
    } else if (kind == dnnl_binary && binary < 0 && i == 1) {
      binary = i;
    } else if (kind == dnnl_eltwise && alg == dnnl_eltwise_linear && s == 1.f && last) {
      alpha = a;
      beta = b;
    } else {
      return std::nullopt;
    }
  }
  if (table == nullptr && len == 0) return std::nullopt;
  dnnl_dim_t count = 0;
  int mask = 0;
  const float* oscales = nullptr;
  if (dnnl_primitive_attr_get_output_scales(attr, &count, &mask, &oscales) != dnnl_success) return std::nullopt;
  if (count != 1 && count != oc) return std::nullopt;
  std::vector<float> scale(oc), bias(oc, 0.f), mul(oc, hs_scale * alpha);
  for (int64_t c = 0; c < oc; ++c) scale[c] = oscales[count == 1 ? 0 : c];
  std::vector<int8_t> codes(static_cast<size_t>(oc * ic));
  bool have_factors = false;
  for (const auto& [arg, m] : dk.owned_args) {
    if (arg == DNNL_ARG_WEIGHTS) {
      try {
        memory plain(memory::desc({oc, ic, 1, 1}, memory::data_type::s8, memory::format_tag::oihw), eng, codes.data());
        dnnl::stream s(eng);
        dnnl::reorder(m, plain).execute(s, const_cast<memory&>(m), plain);
        s.wait();
      } catch (const dnnl::error&) {
        return std::nullopt;  // e.g. a layout with s8-source compensation, which does not reorder back
      }
    } else if (arg == DNNL_ARG_BIAS) {
      const memory::desc bd = m.get_desc();
      if (bd.data_type() != memory::data_type::f32 || bd.get_size() != static_cast<size_t>(oc) * sizeof(float))
        return std::nullopt;
      const auto* b = static_cast<const float*>(m.get_data_handle());
      bias.assign(b, b + oc);
    } else if (binary >= 0 && arg == (DNNL_ARG_ATTR_MULTIPLE_POST_OP(binary) | DNNL_ARG_SRC_1)) {
      // fp32::append_channel_multiply's [1, oc, 1, 1] factors
      const memory::desc fd = m.get_desc();
      if (fd.data_type() != memory::data_type::f32 || fd.get_size() != static_cast<size_t>(oc) * sizeof(float))
        return std::nullopt;
      const auto* f = static_cast<const float*>(m.get_data_handle());
      for (int64_t c = 0; c < oc; ++c) mul[c] *= f[c];
      have_factors = true;
    } else {
      return std::nullopt;  // a zero point argument
    }
  }
  if (binary >= 0 && !have_factors) return std::nullopt;
  if (table != nullptr)
    return int8::make_pointwise_table(codes.data(), oc, ic, scale.data(), bias.data(), alpha, beta,
                                      src_dt == dnnl_s8, dst_dt == dnnl_u8, *table);
  return int8::make_pointwise_hardswish(codes.data(), oc, ic, scale.data(), bias.data(), mul.data(), beta,
                                        src_dt == dnnl_s8, dst_dt == dnnl_u8);
}

}  // namespace

// When kCopy step `copy` (a Concat's) copies slot x, the dense nhwc output of kPointwiseTable
// step f, as one box into the Concat's pixels (the same byte layout, channels innermost): f
// writes its rows there instead (rows of one pixel's oc codes, the Concat's pixel stride apart)
// and the box goes; returns the Concat's name. nullopt (nothing changed) otherwise.
std::optional<std::string> Engine::Impl::pointwise_into_concat(Step& f, int x, Step& copy) {
  if (copy.node == nullptr || copy.node->op_type != "Concat") return std::nullopt;
  if (std::count_if(copy.boxes.begin(), copy.boxes.end(), [x](const CopyBox& b) { return b.src == x; }) != 1)
    return std::nullopt;  // a Concat of x with itself: its second copy would read what is never written
  const int64_t oc = f.pointwise->oc;
  for (size_t b = 0; b < copy.boxes.size(); ++b) {
    const CopyBox& box = copy.boxes[b];
    if (box.src != x) continue;
    // [1, oc, H, W] bytes: the source dense nhwc, the destination pixels C_total apart.
    if (box.es != 1 || box.rank != 4 || box.src_off != 0 || box.dims[0] != 1 || box.dims[1] != oc ||
        box.dims[2] * box.dims[3] != f.pixels || box.is[1] != 1 || box.is[3] != oc || box.is[2] != oc * box.dims[3] ||
        box.os[1] != 1 || box.os[2] != box.os[3] * box.dims[3] || box.os[3] < oc)
      return std::nullopt;
    f.writes = {box.dst};
    f.table_row_len = oc;
    f.table_out_stride = box.os[3];
    f.table_dst_off = box.dst_off;
    copy.boxes.erase(copy.boxes.begin() + static_cast<std::ptrdiff_t>(b));
    copy.reads.erase(std::find(copy.reads.begin(), copy.reads.end(), x));
    groups[slots[x].group].bytes = 0;  // the conv's own buffer is never used now
    return copy.node->name;
  }
  return std::nullopt;
}

// A 1x1 int8 conv whose output only a byte table reads becomes one kPointwiseTable step (at the
// conv's place; the table's step and line in the stats go): int8::PointwiseTable says why. One
// with a HardSwish (and an equalizing channel factor) in its epilogue becomes one in its place.
void Engine::Impl::fuse_pointwise_tables() {
  if (!opts.use_onednn || !opts.fuse_pointwise_tables || !int8::pointwise_table_supported()) return;
  for (size_t i = 0; i < steps.size(); ++i) {
    Step& conv = steps[i];
    if (conv.kind != StepKind::kDnnl || conv.dk == nullptr || conv.node == nullptr || conv.pre_src >= 0 ||
        conv.dk->sum_input >= 0 || conv.writes.size() != 1 || conv.reads.size() != 1)
      continue;
    if (conv.node->op_type != "Conv" && conv.node->op_type != "FusedConv") continue;
    const int x = conv.writes[0];
    // A table's input buffer goes away: only an unshared buffer of the conv's own.
    const bool own_buffer = slots[x].group >= 0 && !groups[slots[x].group].pinned && !buffer_shared(x);
    const size_t t = sole_reader(x);
    const bool alone = t < steps.size();  // one step reads x
    const auto [src_arg, dst_arg] = src_dst_args(conv);
    if (src_arg == nullptr) continue;
    const StepArg& src = *src_arg;
    const StepArg& dst = *dst_arg;
    const memory::dims sd = src.desc.dims(), dd = dst.desc.dims();
    if (sd.size() != 4 || dd.size() != 4 || !image_rows_desc(src.desc, sd[2]) || !image_rows_desc(dst.desc, dd[2]) ||
        dst.desc.data.format_desc.blocking.strides[3] != dd[1])
      continue;  // pixels row-major in both; the output dense (what a table's rows index)
    // With a table after it: the table's epilogue and destination. Without: its HardSwish (and an
    // equalizing factor) in its epilogue, its own destination.
    const bool with_table =
        own_buffer && alone && steps[t].kind == StepKind::kByteTable && steps[t].reads[0] == x;
    std::optional<int8::PointwiseTable> k = pointwise_kernel_of(*conv.dk, with_table ? &steps[t].table : nullptr, eng);
    if (!k || k->ic != sd[1] || k->oc != dd[1]) continue;
    Step f;
    f.kind = StepKind::kPointwiseTable;
    f.node = conv.node;
    f.info = conv.info;
    f.reads = conv.reads;
    f.writes = conv.writes;
    f.pixels = dd[2] * dd[3];
    f.src_pixel_stride = src.desc.data.format_desc.blocking.strides[3];
    f.pointwise = std::make_shared<const int8::PointwiseTable>(std::move(*k));
    f.table_row_len = f.table_out_stride = f.pixels * dd[1];
    std::string impl = "int8:conv1x1+hardswish";
    size_t erase = steps.size();  // a step the fused one replaces too
    if (with_table) {
      const Step& table = steps[t];
      f.writes = table.writes;
      if (table.table_row_len > 0) {
        f.table_row_len = table.table_row_len;
        f.table_out_stride = table.table_out_stride;
      }
      f.table_dst_off = table.table_dst_off;
      f.border = table.border;
      const std::string& table_impl = stats.kernels[table.info].impl;  // "int8:table:silu(...)"
      impl = "int8:conv1x1+" + table_impl.substr(table_impl.find(':') + 1);
      erase = t;
    } else if (own_buffer && alone && steps[t].kind == StepKind::kCopy) {
      // Its output copied into a Concat's pixels and nowhere else: written there directly.
      if (std::optional<std::string> cat = pointwise_into_concat(f, x, steps[t]); cat) {
        impl += "(into " + *cat + ")";
        if (steps[t].boxes.empty()) erase = t;
      }
    }
    stats.kernels[f.info].impl = impl;
    --stats.onednn_kernels;
    steps[i] = std::move(f);
    if (erase < steps.size()) {
      erase_step(erase);
      if (erase < i) --i;
    }
  }
}

// A Mul of an f32 nhwc x by a [1, C, 1, 1] gate whose product only a dense quantize reads becomes
// one kGateQuantize step at the Mul's place (the quantize's step and line in the stats go). Why:
// oneDNN's binary Mul over nhwc with a channel broadcast took YOLOv6Lite-S's 15 squeeze-excitation
// gates 0.22 ms (8 channels of 80x80: 59 us), and the quantize read the product once more.
void Engine::Impl::fuse_gate_quantize() {
  if (!opts.use_onednn || !opts.fuse_gate_quantize) return;
  for (size_t i = 0; i < steps.size(); ++i) {
    Step& mul = steps[i];
    if (mul.kind != StepKind::kDnnl || mul.dk == nullptr || mul.node == nullptr || mul.node->op_type != "Mul" ||
        !mul.node->domain.empty() || mul.pre_src >= 0 || mul.dk->sum_input >= 0 || mul.writes.size() != 1 ||
        mul.args.size() != 3)
      continue;
    // x: the source of the product's shape; the gate: the other one.
    const StepArg* ya = nullptr;
    for (const StepArg& a : mul.args)
      if (a.arg == DNNL_ARG_DST) ya = &a;
    if (ya == nullptr) continue;
    const memory::dims yd = ya->desc.dims();
    const StepArg* xa = nullptr;
    const StepArg* ga = nullptr;
    for (const StepArg& a : mul.args) {
      if (a.arg != DNNL_ARG_SRC_0 && a.arg != DNNL_ARG_SRC_1) continue;
      if (a.desc.dims() == yd && xa == nullptr) {
        xa = &a;
      } else {
        ga = &a;
      }
    }
    if (xa == nullptr || ga == nullptr || yd.size() != 4 || yd[0] != 1) continue;
    const memory::dims gd = ga->desc.dims();
    if (gd != memory::dims{1, yd[1], 1, 1}) continue;
    // f32 everywhere; x and y dense nhwc (pixel-major rows of C floats), the gate C floats apart.
    int64_t xs[DNNL_MAX_NDIMS], ys[DNNL_MAX_NDIMS], gs[DNNL_MAX_NDIMS];
    const auto f32 = memory::data_type::f32;
    if (xa->desc.data_type() != f32 || ga->desc.data_type() != f32 || ya->desc.data_type() != f32 ||
        !strides_only(xa->desc, xs) || !strides_only(ya->desc, ys) || !strides_only(ga->desc, gs) || gs[1] != 1)
      continue;
    const int64_t c = yd[1], w = yd[3];
    const bool nhwc = xs[1] == 1 && xs[3] == c && xs[2] == c * w && ys[1] == 1 && ys[3] == c && ys[2] == c * w;
    if (!nhwc) continue;
    const int y = mul.writes[0];
    if (slots[y].group < 0 || groups[slots[y].group].pinned || buffer_shared(y)) continue;
    const size_t t = sole_reader(y);
    if (t == steps.size() || steps[t].kind != StepKind::kReorder || steps[t].reads[0] != y) continue;
    Step& q = steps[t];
    classify_reorder(q);
    if (q.dense != Step::Dense::kQuantize || !same_layout(slots[y].desc, slots[q.writes[0]].desc)) continue;
    Step f;
    f.kind = StepKind::kGateQuantize;
    f.node = mul.node;
    f.info = mul.info;
    f.reads = {xa->slot, ga->slot};
    f.writes = q.writes;
    f.pixels = yd[2] * w;
    f.channels = c;
    f.scale = q.scale;
    f.zp_to = q.zp_to;
    stats.kernels[f.info].impl = "int8:gate+quantize";
    --stats.onednn_kernels;
    steps[i] = std::move(f);
    erase_step(t);
    if (t < i) --i;
  }
}

// The output image rows of a step that can run in a row chain, with units_per_row, halo and (a
// kDnnl conv) its band primitives set (a reorder gets classified on the way, classify_reorder);
// nullopt for any other step. A step is row-local when every
// output row is computed from the same row of its inputs (which then have its rows), so a band
// runs it as soon as the band has run the steps before it; a conv whose rows read other rows
// (kernel taller than 1, stride, padding) is a halo step, which waits for every band.
std::optional<int64_t> Engine::Impl::chain_rows_of(Step& st) {
  if (st.writes.empty() || (st.node == nullptr && st.kind != StepKind::kReorder)) return std::nullopt;
  if (st.kind == StepKind::kReorder) classify_reorder(st);
  const Shape& shape = st.node ? graph.value(st.node->output(0)).shape : slots[st.writes[0]].shape;
  if (shape.size() != 4 || shape[0] != 1 || shape[2] < chain_bands) return std::nullopt;
  const int64_t h = shape[2];
  // A buffer of h row-major image rows.
  auto rows_major = [&](int slot) {
    const memory::desc& d = slots[slot].desc;
    return !d.is_zero() && d.dims().size() == 4 && d.dims()[2] == h && image_rows_desc(d, h);
  };
  // Elementwise steps over whole buffers: units_per_row elements each image row.
  auto elementwise = [&](int64_t units) -> std::optional<int64_t> {
    if (!rows_major(st.reads[0]) || !rows_major(st.writes[0]) || units % h != 0) return std::nullopt;
    st.units_per_row = units / h;
    return h;
  };
  switch (st.kind) {
    case StepKind::kDnnl: {
      if (st.pre_src >= 0 || st.dk == nullptr || st.dk->sum_input >= 0) return std::nullopt;
      if (st.node->op_type != "Conv" && st.node->op_type != "FusedConv") return std::nullopt;
      const auto [src, dst] = src_dst_args(st);
      if (src == nullptr) return std::nullopt;
      const std::optional<ConvRows> geo = conv_rows(st.dk->prim);
      if (!geo || geo->out_rows != h) return std::nullopt;
      std::vector<Step::Band> bands(chain_bands);
      std::vector<RowCut> cuts(chain_bands);
      for (int b = 0; b < chain_bands; ++b) {
        const auto [r0, r1] = row_band(h, b, chain_bands);
        const RowCut cut = cuts[b] = cut_rows(*geo, r0, r1);
        auto s = image_rows_desc(src->desc, cut.in1 - cut.in0);
        auto d = image_rows_desc(dst->desc, r1 - r0);
        if (!s || !d) return std::nullopt;
        bands[b].src_row = cut.in0;
        bands[b].src = *s;
        bands[b].dst = *d;
        // Bands of the same rows and padding share a primitive (it runs concurrently on other memories).
        for (int a = 0; a < b && !bands[b].prim; ++a)
          if (bands[a].src == *s && bands[a].dst == *d && cuts[a].pad_top == cut.pad_top &&
              cuts[a].pad_bottom == cut.pad_bottom) {
            bands[b].prim = bands[a].prim;
            bands[b].scratchpad = bands[a].scratchpad;
          }
        if (!bands[b].prim) {
          std::optional<dnnl::primitive> p = conv_over_rows(st.dk->prim, *s, *d, cut, &bands[b].scratchpad);
          if (!p) return std::nullopt;
          bands[b].prim = *p;
        }
      }
      st.bands = std::move(bands);
      st.units_per_row = 1;
      st.halo = geo->kh > 1 || geo->stride > 1 || geo->pad_top > 0;
      return h;
    }
    case StepKind::kByteTable:
    case StepKind::kTableAdd: {
      if (st.table_row_len == 0) return elementwise(whole_units(st));
      // Rows of table_row_len codes written table_out_stride apart (into a Concat or a padded buffer).
      for (int slot : st.reads)
        if (!rows_major(slot)) return std::nullopt;
      if (whole_units(st) % h != 0) return std::nullopt;
      st.units_per_row = whole_units(st) / h;
      return h;
    }
    case StepKind::kSwish:
      return elementwise(whole_units(st));
    case StepKind::kPointwiseTable:
      if (!rows_major(st.reads[0]) || st.pixels % h != 0) return std::nullopt;
      st.units_per_row = st.pixels / h;
      return h;
    case StepKind::kGateQuantize:
      if (!rows_major(st.reads[0]) || !rows_major(st.writes[0]) || st.pixels % h != 0) return std::nullopt;
      st.units_per_row = st.pixels / h;
      return h;
    case StepKind::kReorder:
      if (st.dense == Step::Dense::kQuantizeIm2col) {  // a band of output rows from the (whole) image
        st.units_per_row = 1;
        return st.im2col.oh >= chain_bands ? std::optional<int64_t>(st.im2col.oh) : std::nullopt;
      }
      if (st.dense != Step::Dense::kQuantize && st.dense != Step::Dense::kDequantize) return std::nullopt;
      return elementwise(shape_numel(slots[st.reads[0]].shape));
    default:
      return std::nullopt;
  }
}

// Marks the row chains: each run of at least two consecutive steps that chain_rows_of accepts.
// Before lifetimes are planned (they stretch over a chain), after the step list is final.
void Engine::Impl::plan_row_chains() {
  chain_bands = opts.row_chains && opts.use_onednn ? num_threads() : 1;
  if (chain_bands < 2) return;
  std::vector<bool> chainable(steps.size());
  for (size_t i = 0; i < steps.size(); ++i) {
    const std::optional<int64_t> rows = chain_rows_of(steps[i]);
    chainable[i] = rows.has_value();
    steps[i].out_rows = rows.value_or(0);
  }
  int chains = 0;
  for (size_t i = 0; i < steps.size();) {
    size_t j = i + 1;
    while (j < steps.size() && chainable[i] && chainable[j]) ++j;
    if (!chainable[i] || j - i < 2) {
      for (size_t k = i; k < j; ++k) steps[k].bands.clear();  // not chained after all
    } else {
      steps[i].chain_end = static_cast<int>(j);
      for (size_t k = i; k < j; ++k) {
        stats.kernels[steps[k].info].row_chain = chains;
        for (const Step::Band& b : steps[k].bands)
          band_scratch_bytes = std::max(band_scratch_bytes, b.scratchpad.get_size());
      }
      ++chains;
    }
    i = j;
  }
  band_scratch_bytes = (band_scratch_bytes + 63) / 64 * 64;
  band_streams.clear();
  for (int b = 0; b < chain_bands; ++b) band_streams.emplace_back(eng);
  band_status.assign(chain_bands, ok_status());
}

// A chained kDnnl conv's arguments per band: its src and dst rows at their byte offsets, the
// weights and bias it owns, and the band's own scratchpad.
void Engine::Impl::bind_bands(Step& st) {
  const StepArg& src = *src_dst_args(st).first;  // chain_rows_of found both
  const StepArg& dst = *src_dst_args(st).second;
  for (int b = 0; b < chain_bands; ++b) {
    Step::Band& band = st.bands[b];
    const int64_t r0 = row_band(st.out_rows, b, chain_bands).first;
    band.mems = {memory(band.src, eng, slots[src.slot].ptr + band.src_row * image_row_bytes(src.desc)),
                 memory(band.dst, eng, slots[dst.slot].ptr + r0 * image_row_bytes(dst.desc))};
    band.c_args = {{DNNL_ARG_SRC, band.mems[0].get()}, {DNNL_ARG_DST, band.mems[1].get()}};
    for (auto& [arg, m] : st.dk->owned_args) band.c_args.push_back({arg, m.get()});
    if (band.scratchpad.get_size() > 0) {
      char* sp = static_cast<char*>(band_scratch.raw()) + b * band_scratch_bytes;
      band.mems.push_back(memory(band.scratchpad, eng, sp));
      band.c_args.push_back({DNNL_ARG_SCRATCHPAD, band.mems.back().get()});
    }
  }
}

// Picks yoloq's own loop for a reorder where one applies (Step::Dense); kNo leaves it to oneDNN.
// Depends on the slots' layouts only, so the row chains (which take the dense ones) can ask
// before memory is bound.
void Engine::Impl::classify_reorder(Step& st) {
  if (st.dense != Step::Dense::kNo) return;  // planned as such (try_int8_conv), or classified already
  const Slot& from = slots[st.reads[0]];
  const Slot& to = slots[st.writes[0]];
  const bool no_zp = st.zp_from == 0 && st.zp_to == 0;
  const bool int_copy =
      from.dtype != DType::kF32 && to.dtype != DType::kF32 && st.scale == 1.f && st.zp_from == st.zp_to;
  if (!no_zp && !int_copy) {
    // add_convert_step planned it within one layout: quantize or dequantize with the zero point
    YQ_CHECK(same_layout(from.desc, to.desc) && (from.dtype == DType::kF32) != (to.dtype == DType::kF32) &&
             from.desc.get_size() / dtype_size(from.dtype) == static_cast<size_t>(shape_numel(from.shape)))
        << "zero-point conversion of '" << graph.value(from.value).name << "' not planned as a dense one";
    st.dense = from.dtype == DType::kF32 ? Step::Dense::kQuantize : Step::Dense::kDequantize;
    stats.kernels[st.info].impl = "int8:dense";
    return;
  }
  if (no_zp && is_image_to_nhwc(from.desc, to.desc)) {
    st.dense = Step::Dense::kQuantizeNhwc;
    stats.kernels[st.info].impl = "int8:nchw-to-nhwc";
    return;
  }
  // Within one dense layout (plain, nhwc, any order without padded blocks): an elementwise loop.
  // oneDNN 2.6 runs f32 -> s8 nhwc with its generic reorder, 13 us for YOLOv6Lite-S's 40x40x24.
  const bool dense_layout = same_layout(from.desc, to.desc) &&
                            to.desc.get_size() / dtype_size(to.dtype) == static_cast<size_t>(shape_numel(to.shape));
  if (no_zp && dense_layout && (from.dtype == DType::kF32) != (to.dtype == DType::kF32)) {
    st.dense = from.dtype == DType::kF32 ? Step::Dense::kQuantize : Step::Dense::kDequantize;
    stats.kernels[st.info].impl = "int8:dense";
    return;
  }
}

void Engine::Impl::bind() {
  char* base = static_cast<char*>(arena.raw());
  for (Slot& s : slots)
    s.ptr = s.group >= 0 ? base + groups[s.group].offset : static_cast<char*>(const_cast<void*>(s.constant->raw()));
  auto mem = [&](const memory::desc& d, int slot) { return memory(d, eng, slots[slot].ptr); };
  for (Step& st : steps) {
    if (st.kind == StepKind::kReorder) {
      classify_reorder(st);
      if (st.dense != Step::Dense::kNo) continue;  // yoloq's loop (execute_step)
      const Slot& from = slots[st.reads[0]];
      const Slot& to = slots[st.writes[0]];
      memory src = mem(from.desc, st.reads[0]);
      memory dst = mem(to.desc, st.writes[0]);
      dnnl::primitive_attr attr;
      if (st.scale != 1.f) attr.set_output_scales(0, {st.scale});
      st.prim = dnnl::reorder(dnnl::reorder::primitive_desc(src, dst, attr));
      st.mems = {src, dst};
      st.c_args = {{DNNL_ARG_FROM, src.get()}, {DNNL_ARG_TO, dst.get()}};
    } else if (st.kind == StepKind::kDnnl) {
      st.prim = st.dk->prim;
      for (const StepArg& a : st.args) {
        st.mems.push_back(mem(a.desc, a.slot));
        st.c_args.push_back({a.arg, st.mems.back().get()});
      }
      for (auto& [arg, m] : st.dk->owned_args) st.c_args.push_back({arg, m.get()});
      if (!st.dk->scratchpad_desc.is_zero() && st.dk->scratchpad_desc.get_size() > 0) {
        st.mems.push_back(memory(st.dk->scratchpad_desc, eng, scratch.raw()));
        st.c_args.push_back({DNNL_ARG_SCRATCHPAD, st.mems.back().get()});
      }
      if (st.pre_src >= 0) {
        memory src = mem(slots[st.pre_src].desc, st.pre_src);
        memory dst = mem(slots[st.pre_dst].desc, st.pre_dst);
        // R into dst: an int8 R read by an f32 dst is dequantized on the way (pre_scale < 0).
        // (An int8 R copied into an int8 dst keeps its codes: the sum post-op knows R's zero point;
        // an R with a zero point read by an f32 dst was dequantized by emit_dnnl_step.)
        float sc = st.pre_scale;
        if (sc < 0) {
          const Slot& a = slots[st.pre_src];
          const Slot& b = slots[st.pre_dst];
          sc = (a.dtype == DType::kF32 ? 1.f : a.scale) / (b.dtype == DType::kF32 ? 1.f : b.scale);
        }
        dnnl::primitive_attr attr;
        if (sc != 1.f) attr.set_output_scales(0, {sc});
        st.pre_prim = dnnl::reorder(dnnl::reorder::primitive_desc(src, dst, attr));
        st.mems.push_back(src);
        st.mems.push_back(dst);
        st.pre_c_args = {{DNNL_ARG_FROM, src.get()}, {DNNL_ARG_TO, dst.get()}};
      }
      if (!st.bands.empty()) bind_bands(st);
    } else if (st.kind == StepKind::kFakeQuant || st.kind == StepKind::kCopy || st.kind == StepKind::kChannelGather ||
               st.kind == StepKind::kMultiGather || st.kind == StepKind::kSwish ||
               st.kind == StepKind::kByteTable || st.kind == StepKind::kMaxPool || st.kind == StepKind::kAvgPool ||
               st.kind == StepKind::kPointwiseTable || st.kind == StepKind::kGateQuantize) {
      // nothing to bind: execute_step reads the slot pointers
    } else {
      st.ref_in_t.reserve(st.ref_in.size());
      for (size_t i = 0; i < st.ref_in.size(); ++i) {
        int s = st.ref_in[i];
        if (s >= 0) st.ref_in_t.push_back(Tensor::wrap(slots[s].ptr, slots[s].dtype, slots[s].shape));
      }
      size_t k = 0;
      for (size_t i = 0; i < st.ref_in.size(); ++i) {
        int s = st.ref_in[i];
        if (s == -1) {
          st.ref_in_p.push_back(nullptr);
        } else if (s == -2) {
          st.ref_in_p.push_back(&*graph.value(st.node->input(i)).constant);
        } else {
          st.ref_in_p.push_back(&st.ref_in_t[k++]);
        }
      }
      for (int s : st.ref_out) st.ref_out_t.push_back(Tensor::wrap(slots[s].ptr, slots[s].dtype, slots[s].shape));
    }
  }
}

// Copying YOLOX-Nano's 2 MB image into the arena cost about 0.3 ms of a 6 ms INT8 run, before its
// quantize read it again. An input qualifies when no step writes it (no in-place op), it is no
// output or kept value, no view shares its buffer, and every reader finds it through the slot
// pointer at run time or through oneDNN memories bound to the slot (which run() re-points);
// reference kernels wrap the pointer at bind time, so an input they read is still copied.
void Engine::Impl::plan_direct_inputs() {
  auto has = [](const std::vector<int>& list, int s) { return std::find(list.begin(), list.end(), s) != list.end(); };
  for (size_t i = 0; i < input_slots.size(); ++i) {
    const int s = input_slots[i];
    const int g = slots[s].group;
    bool ok = !groups[g].pinned && !buffer_shared(s);
    DirectInput d{i, {}};
    for (size_t j = 0; ok && j < steps.size(); ++j) {
      Step& st = steps[j];
      if (has(st.writes, s) || st.pre_src == s || st.pre_dst == s) {
        ok = false;
      } else if (!has(st.reads, s)) {
        continue;
      } else if (st.kind == StepKind::kRef) {
        ok = false;
      } else if (st.kind == StepKind::kDnnl && !st.bands.empty()) {
        ok = false;  // its band memories point into the slot at row offsets
      } else if (st.kind == StepKind::kDnnl) {
        for (size_t k = 0; k < st.args.size(); ++k)  // bind() made mems[k] for args[k]
          if (st.args[k].slot == s) {
            ok = ok && st.args[k].arg != DNNL_ARG_DST;
            d.mems.push_back(&st.mems[k]);
          }
      } else if (st.kind == StepKind::kReorder && st.dense == Step::Dense::kNo) {
        d.mems.push_back(&st.mems[0]);  // {src, dst}
      }
    }
    if (ok) direct_inputs.push_back(std::move(d));
  }
  input_is_direct.assign(input_slots.size(), false);
  for (const DirectInput& d : direct_inputs) input_is_direct[d.input] = true;
  stats.direct_inputs = static_cast<int>(direct_inputs.size());
}

Status Engine::Impl::execute_step(Step& st) {
  auto exec = [&](const dnnl::primitive& p, const std::vector<dnnl_exec_arg_t>& args) -> Status {
    dnnl_status_t rc = dnnl_primitive_execute(p.get(), strm.get(), static_cast<int>(args.size()), args.data());
    if (rc != dnnl_success) {
      return internal_error((st.node ? node_label(*st.node) : stats.kernels[st.info].node) +
                            ": oneDNN execution failed with status " + std::to_string(static_cast<int>(rc)));
    }
    return ok_status();
  };
  switch (st.kind) {
    case StepKind::kReorder: {
      if (st.dense == Step::Dense::kNo) return exec(st.prim, st.c_args);
      const Slot& from = slots[st.reads[0]];
      const Slot& to = slots[st.writes[0]];
      const int64_t n = shape_numel(from.shape);
      if (st.dense == Step::Dense::kQuantizeIm2col) {
        return execute_units(st, 0, 0, st.im2col.oh);
      } else if (st.dense == Step::Dense::kQuantizeS2d) {
        const Shape& s = from.shape;
        int8::quantize_nchw_to_s2d_nhwc(reinterpret_cast<const float*>(from.ptr), to.ptr, to.dtype == DType::kU8, s[0],
                                        s[1], s[2], s[3], st.scale);
      } else if (st.dense == Step::Dense::kQuantizeNhwc) {
        const memory::dims& d = from.desc.dims();
        int8::quantize_nchw_to_nhwc(reinterpret_cast<const float*>(from.ptr), to.ptr, to.dtype == DType::kU8, d[0],
                                    d[1], d[2] * d[3], st.scale);
      } else {
        return execute_units(st, 0, 0, n);  // dense quantize or dequantize
      }
      return ok_status();
    }
    case StepKind::kDnnl:
      if (st.pre_src >= 0) YQ_RETURN_IF_ERROR(exec(st.pre_prim, st.pre_c_args));
      return exec(st.prim, st.c_args);
    case StepKind::kRef: {
      Status s = st.fn(*st.node, st.ref_in_p, st.ref_out_t);
      return s.ok() ? s : s.with_context(node_label(*st.node));
    }
    case StepKind::kCopy:
      for (const CopyBox& b : st.boxes) {
        const char* in = slots[b.src].ptr + b.src_off * static_cast<int64_t>(b.es);
        char* out = slots[b.dst].ptr + b.dst_off * static_cast<int64_t>(b.es);
        const bool fits =
            b.sigmoid ? fp32::copy_strided_sigmoid(reinterpret_cast<const float*>(in), reinterpret_cast<float*>(out),
                                                   b.rank, b.dims, b.is, b.os)
                      : fp32::copy_strided(in, out, b.es, b.rank, b.dims, b.is, b.os);
        if (!fits) return internal_error(node_label(*st.node) + ": strided copy does not fit");  // checked when planned
      }
      return ok_status();
    case StepKind::kChannelGather:
      int8::run_channel_gather(st.gather, slots[st.reads[0]].ptr, slots[st.writes[0]].ptr, st.pixels);
      return ok_status();
    case StepKind::kMultiGather: {
      const void* srcs[kMaxGatherSources];
      for (size_t k = 0; k < st.reads.size(); ++k) srcs[k] = slots[st.reads[k]].ptr;
      int8::run_multi_gather(st.multi, srcs, slots[st.writes[0]].ptr, st.pixels);
      return ok_status();
    }
    case StepKind::kUpsample:
      int8::run_upsample_nearest(st.upsample, slots[st.reads[0]].ptr, slots[st.writes[0]].ptr + st.table_dst_off);
      return ok_status();
    case StepKind::kByteTable:
    case StepKind::kTableAdd:
    case StepKind::kPointwiseTable:
    case StepKind::kSwish:
    case StepKind::kGateQuantize:
      return execute_units(st, 0, 0, whole_units(st));
    case StepKind::kAvgPool:
      int8::run_avgpool_nhwc(st.pool, st.avg, slots[st.reads[0]].ptr, slots[st.writes[0]].ptr);
      return ok_status();
    case StepKind::kMaxPool:
      int8::run_maxpool_nhwc(st.pool, slots[st.reads[0]].ptr, slots[st.writes[0]].ptr,
                             slots[st.reads[0]].dtype == DType::kU8);
      return ok_status();
    case StepKind::kFakeQuant: {
      // Per-tensor params round every element alike, so a blocked layout (padding included) is
      // rounded as one flat array; per-channel params are only planned on plain slots.
      const Slot& sl = slots[st.writes[0]];
      Tensor t = sl.plain ? Tensor::wrap(sl.ptr, DType::kF32, sl.shape)
                          : Tensor::wrap(sl.ptr, DType::kF32, {static_cast<int64_t>(sl.bytes / sizeof(float))});
      quant::fake_quantize_inplace(t, *st.fq);
      return ok_status();
    }
  }
  return ok_status();
}

// Runs steps [first, steps[first].chain_end) band by band: one OpenMP region, each thread through
// every step on its bands' rows (one band per thread unless OpenMP gives fewer threads).
Status Engine::Impl::run_row_chain(size_t first) {
  const Step& head = steps[first];
#pragma omp parallel num_threads(chain_bands)
  {
    const int t = omp_get_thread_num(), nt = omp_get_num_threads();
    // Segments end before each halo step: every band finishes the segment before any reads its rows.
    for (int seg = static_cast<int>(first); seg < head.chain_end;) {
      int seg_end = seg + 1;
      while (seg_end < head.chain_end && !steps[seg_end].halo) ++seg_end;
      for (int band = t; band < chain_bands; band += nt) {
        Status& status = band_status[band];
        for (int j = seg; j < seg_end && status.ok(); ++j) {
          const auto [r0, r1] = row_band(steps[j].out_rows, band, chain_bands);
          status = execute_units(steps[j], band, r0 * steps[j].units_per_row, (r1 - r0) * steps[j].units_per_row);
        }
      }
      seg = seg_end;
      if (seg < head.chain_end) {
#pragma omp barrier
      }
    }
  }
  for (Status& s : band_status)
    if (!s.ok()) return std::exchange(s, ok_status());
  return ok_status();
}

// What the loop of an elementwise or table step covers (execute_units): codes, floats, pixels, or
// rows of table_row_len codes.
int64_t Engine::Impl::whole_units(const Step& st) const {
  if ((st.kind == StepKind::kByteTable || st.kind == StepKind::kTableAdd) && st.table_row_len > 0)
    return st.pixels / st.table_row_len;
  return st.pixels;
}

// Units [u0, u0 + units) of step `st` (whole_units counts them) on the calling thread: one band of
// a row chain (band 0 also fills a padded border; the kernels' parallel_ranges runs inline inside
// the chain's region), or, from execute_step, all of them over all threads. A chained kDnnl conv
// runs its band's primitive. Only the kinds chain_rows_of accepts.
Status Engine::Impl::execute_units(Step& st, int band, int64_t u0, int64_t units) {
  switch (st.kind) {
    case StepKind::kDnnl: {
      const Step::Band& b = st.bands[band];
      dnnl_status_t rc = dnnl_primitive_execute(b.prim.get(), band_streams[band].get(),
                                                static_cast<int>(b.c_args.size()), b.c_args.data());
      if (rc != dnnl_success)
        return internal_error(stats.kernels[st.info].node + ": oneDNN execution of band " + std::to_string(band) +
                              " failed with status " + std::to_string(static_cast<int>(rc)));
      return ok_status();
    }
    case StepKind::kByteTable:
      if (st.table_row_len > 0) {
        int8::run_byte_table_rows(st.table, slots[st.reads[0]].ptr + u0 * st.table_row_len,
                                  slots[st.writes[0]].ptr + st.table_dst_off + u0 * st.table_out_stride, units,
                                  st.table_row_len, st.table_out_stride);
        // The border lies outside every band's rows: one band fills it.
        if (band == 0 && st.border.channels > 0) int8::fill_border(st.border, slots[st.writes[0]].ptr);
      } else {
        int8::run_byte_table(st.table, slots[st.reads[0]].ptr + u0, slots[st.writes[0]].ptr + u0, units);
      }
      return ok_status();
    case StepKind::kTableAdd:
      if (st.table_row_len > 0) {
        int8::run_table_add_rows(st.table_add, slots[st.reads[0]].ptr + u0 * st.table_row_len,
                                 slots[st.reads[1]].ptr + u0 * st.table_row_len,
                                 slots[st.writes[0]].ptr + st.table_dst_off + u0 * st.table_out_stride, units,
                                 st.table_row_len, st.table_out_stride);
      } else {
        int8::run_table_add(st.table_add, slots[st.reads[0]].ptr + u0, slots[st.reads[1]].ptr + u0,
                            slots[st.writes[0]].ptr + u0, units);
      }
      return ok_status();
    case StepKind::kPointwiseTable:
      int8::run_pointwise_table(*st.pointwise, slots[st.reads[0]].ptr, st.src_pixel_stride,
                                slots[st.writes[0]].ptr + st.table_dst_off, st.table_row_len, st.table_out_stride, u0,
                                u0 + units);
      if (band == 0 && st.border.channels > 0) int8::fill_border(st.border, slots[st.writes[0]].ptr);
      return ok_status();
    case StepKind::kGateQuantize: {
      const Slot& to = slots[st.writes[0]];
      int8::quantize_gated(reinterpret_cast<const float*>(slots[st.reads[0]].ptr) + u0 * st.channels,
                           reinterpret_cast<const float*>(slots[st.reads[1]].ptr), to.ptr + u0 * st.channels,
                           to.dtype == DType::kU8, units, st.channels, st.scale, st.zp_to);
      return ok_status();
    }
    case StepKind::kSwish:
      fp32::swish(reinterpret_cast<const float*>(slots[st.reads[0]].ptr) + u0,
                  reinterpret_cast<float*>(slots[st.writes[0]].ptr) + u0, units);
      return ok_status();
    case StepKind::kReorder: {
      const Slot& from = slots[st.reads[0]];
      const Slot& to = slots[st.writes[0]];
      if (st.dense == Step::Dense::kQuantizeIm2col) {
        int8::quantize_nchw_to_im2col(reinterpret_cast<const float*>(from.ptr), to.ptr, to.dtype == DType::kU8,
                                      st.im2col, st.scale, u0, u0 + units);
      } else if (st.dense == Step::Dense::kQuantize) {
        int8::quantize_dense(reinterpret_cast<const float*>(from.ptr) + u0, to.ptr + u0, to.dtype == DType::kU8, units,
                             st.scale, st.zp_to);
      } else {
        int8::dequantize_dense(from.ptr + u0, from.dtype == DType::kU8, reinterpret_cast<float*>(to.ptr) + u0, units,
                               st.scale, st.zp_from);
      }
      return ok_status();
    }
    default:
      return internal_error(stats.kernels[st.info].node + ": not a row-chain step");  // plan_row_chains checked
  }
}

Status Engine::Impl::to_plain(const OutputPlan& p, Tensor* out) const {
  if (p.slot < 0) {
    *out = p.constant->clone();
    return ok_status();
  }
  const Slot& s = slots[p.slot];
  *out = Tensor::empty(graph.value(p.value).dtype, s.shape);
  if (!p.to_plain) {
    std::memcpy(out->raw(), s.ptr, out->nbytes());
    return ok_status();
  }
  memory src(s.desc, eng, s.ptr), dst(fp32::plain_desc(s.shape), eng, out->raw());
  dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, src.get()}, {DNNL_ARG_TO, dst.get()}};
  dnnl_status_t rc = dnnl_primitive_execute(p.to_plain.get(), strm.get(), 2, args);
  if (rc != dnnl_success) return internal_error("reorder of '" + graph.value(p.value).name + "' to plain failed");
  return ok_status();
}

// ---------------------------------------------------------------------------------------------
// INT8 planning. A value with qparams (ir/quantized_ir.md) is read by every consumer as
// fake_quant(v). The planner realises that in one of three ways (VStore):
//  * kInt8: stored as s8/u8 (per-tensor, the dtype's full range, use_onednn; a zero point only
//    with u8). An int8 kernel writes it directly; an f32 producer writes a private f32 slot
//    followed by a quantize reorder (round half to even, saturate); f32 readers get a dequantize
//    reorder. Zero points ride on oneDNN's conv source zero points (padding included), the sum
//    post-op's zero point and the output linear's shift; every conversion with a zero point runs
//    yoloq's dense loops within one layout (add_convert_step), never a oneDNN reorder.
//  * kFakeQuant: kept f32 and rounded in place right after it is produced (the reference path,
//    and int8-unfriendly params such as per-channel activations or s8 with a zero point).
//  * constants: fake-quantized once here, so every kernel (f32 or int8) reads the same values.
// ---------------------------------------------------------------------------------------------

Status Engine::Impl::init_quant() {
  const size_t nv = graph.value_capacity();
  vstore.assign(nv, VStore::kF32);
  vscale.assign(nv, 0.f);
  vzp.assign(nv, 0);
  vqdtype.assign(nv, DType::kF32);
  for (size_t i = 0; i < nv; ++i) {
    ir::Value& v = graph.value(static_cast<ir::ValueId>(i));
    if (!v.alive() || !v.qparams) continue;
    const ir::QParams& qp = *v.qparams;
    const std::string what = "value '" + v.name + "'";
    if (v.dtype != DType::kF32)
      return invalid_argument(what + " has qparams but dtype " + dtype_name(v.dtype) + "; expected f32");
    if (Status st = qp.validate(); !st.ok()) return st.with_context(what);
    if (qp.per_channel() && (qp.axis >= static_cast<int>(v.shape.size()) ||
                             static_cast<int64_t>(qp.scales.size()) != v.shape[qp.axis]))
      return invalid_argument(what + ": per-channel qparams with " + std::to_string(qp.scales.size()) +
                              " scales along axis " + std::to_string(qp.axis) + " do not fit shape " +
                              shape_str(v.shape));
    if (v.is_constant()) {
      // The graph copy shares tensor storage with the caller's graph: round a private copy.
      Tensor t = v.constant->clone();
      quant::fake_quantize_inplace(t, qp);
      v.constant = std::move(t);
      continue;
    }
    const bool full_range = qp.dtype == DType::kI8 ? (qp.qmin == -128 && qp.qmax == 127) : (qp.qmin == 0 && qp.qmax == 255);
    // A zero point only with u8 (a code range shifted below zero); s8 stays symmetric.
    const bool zp_ok = qp.zero_points[0] == 0 || qp.dtype == DType::kU8;
    if (opts.use_onednn && !qp.per_channel() && zp_ok && full_range) {
      vstore[i] = VStore::kInt8;
      vscale[i] = qp.scales[0];
      vzp[i] = qp.zero_points[0];
      vqdtype[i] = qp.dtype;
    } else {
      vstore[i] = VStore::kFakeQuant;
    }
  }
  return ok_status();
}

Status Engine::Impl::finish_output(ir::ValueId o) {
  if (o == ir::kNoValue || native[o] < 0) return ok_status();
  const int n = native[o];
  if (vstore[o] == VStore::kInt8 && slots[n].dtype == DType::kF32) {
    native[o] = add_convert_step(n, o, int8::with_data_type(slots[n].desc, int8_dt(o)), vscale[o], vzp[o]);
    if (graph.is_graph_input(o)) {
      f32_source[o] = n;
      entry_quantize_step[o] = static_cast<int>(steps.size()) - 1;
    }
  } else if (vstore[o] == VStore::kFakeQuant) {
    const ir::Value& val = graph.value(o);
    if (val.qparams->per_channel() && !slots[n].plain)
      return unsupported("value '" + val.name + "': per-channel qparams on an activation in a blocked layout");
    Step st;
    st.kind = StepKind::kFakeQuant;
    st.reads = {n};
    st.writes = {n};
    st.fq = &*val.qparams;
    st.info = add_info("fake_quant:" + val.name, "FakeQuant", "fake_quant");
    steps.push_back(std::move(st));
  }
  return ok_status();
}

void Engine::Impl::emit_dnnl_step(const ir::Node& n, std::unique_ptr<fp32::DnnlKernel> dk,
                                  const std::vector<float>& in_scales, float out_scale, int pos, float pre_scale,
                                  bool int8, const std::vector<int32_t>& in_zps, int32_t out_zp) {
  Step st;
  st.kind = StepKind::kDnnl;
  st.node = &n;
  for (auto [arg, idx] : dk->input_args) {
    int s = slot_as(n.input(idx), dk->input_descs[idx], in_scales[idx], in_zps.empty() ? 0 : in_zps[idx]);
    st.args.push_back({arg, s, dk->input_descs[idx]});
    st.reads.push_back(s);
  }
  int out_group = -1;
  if (dk->sum_input >= 0) {
    // dst must hold R (R's int8 values for an int8 dst) when the primitive starts. In place over
    // R when nothing reads R (or an alias of it) later and it already has dst's layout and type;
    // otherwise copy R into dst first.
    ir::ValueId r = n.input(dk->sum_input);
    int rs = native_slot(r);
    const memory::desc& dst_desc = dk->output_descs[0];
    // An int8 R with a zero point read by an f32 dst: dequantized first (into dst's layout).
    if (slots[rs].zp != 0 && dst_desc.data_type() == memory::data_type::f32) rs = slot_as(r, dst_desc);
    bool alias = slots[rs].group >= 0 && slots[rs].desc == dst_desc && !groups[slots[rs].group].pinned &&
                 groups[slots[rs].group].ir_last == pos;
    for (const StepArg& a : st.args)
      if (slots[a.slot].group == slots[rs].group) alias = false;
    if (alias) {
      out_group = slots[rs].group;
    } else {
      st.pre_src = rs;
      st.pre_scale = pre_scale;
      if (!(slots[rs].desc == dst_desc)) ++stats.reorders;
    }
    st.reads.push_back(rs);
  }
  for (auto [arg, idx] : dk->output_args) {
    ir::ValueId o = n.output(idx);
    int g = (idx == 0 && out_group >= 0) ? out_group : add_group();
    int s = add_slot(o, dk->output_descs[idx], g, out_scale, idx == 0 ? out_zp : 0);
    native[o] = s;
    st.args.push_back({arg, s, dk->output_descs[idx]});
    st.writes.push_back(s);
    if (idx == 0 && dk->sum_input >= 0 && st.pre_src >= 0) st.pre_dst = s;
  }
  stats.weight_bytes += dk->weight_bytes;
  ++stats.onednn_kernels;
  if (int8) ++stats.int8_kernels;
  std::string impl = dk->impl;
  if (dk->sum_input >= 0) impl += st.pre_src >= 0 ? "+sum:copy" : "+sum:inplace";
  st.info = add_info(n.name, n.op_type, impl);
  st.dk = std::move(dk);
  steps.push_back(std::move(st));
}

memory::desc Engine::Impl::space_to_depth_src(const ir::Node& n, ir::ValueId x) {
  auto f32 = f32_source.find(x);
  if (f32 == f32_source.end() || vzp[x] != 0 || !is_image_to_nhwc(slots[f32->second].desc, int8_nhwc(graph.value(x).shape, x)))
    return {};
  if (n.op_type == "FusedConv" && (n.input(3) != ir::kNoValue || n.input(4) != ir::kNoValue)) return {};
  auto geo = fp32::conv_geometry(graph, n);
  if (!geo.ok() || !*geo) return {};
  auto s = int8::space_to_depth_geometry(**geo);
  if (!s || s->src_dims[3] > 1024) return {};  // quantize_nchw_to_s2d_nhwc's row buffers: width <= 2048
  return memory::desc(s->src_dims, int8_dt(x), memory::format_tag::acdb);
}

// The patch rows (int8::Im2col) conv n would read the image x in, as an nhwc [1, k_pad, oh, ow]
// desc; zero desc when it does not apply (not the image's quantized copy, a zero point, a
// residual, a conv im2col_of declines, or EngineOptions::im2col_stems off) or does not pay: only
// a conv that fuse_pointwise_tables will take (an int8 output that a table alone reads, or a
// HardSwish in its epilogue). In one process (bench_row_chains FEATURE=im2col_stems):
// YOLOv6Lite-S 0.98 (HardSwish), NanoDet-m 1.01 and FastestDet 1.06 (oneDNN's 1x1 conv over 28
// codes against its 3x3 over 3 channels).
memory::desc Engine::Impl::im2col_src(const ir::Node& n, ir::ValueId x) {
  if (!opts.im2col_stems || !opts.fuse_pointwise_tables || !int8::pointwise_table_supported()) return {};
  const ir::ValueId y = n.output(0);
  if (y == ir::kNoValue || !is_int8(y)) return {};
  const std::string act = n.op_type == "FusedConv" ? n.attrs.get_string("activation", "") : "";
  const auto& readers = graph.value(y).consumers();
  const bool table_reads =
      act.empty() && readers.size() == 1 && ir::is_activation_node(graph.node(readers[0])) && !graph.is_graph_output(y);
  if (act != "hardswish" && !table_reads) return {};
  auto f32 = f32_source.find(x);
  if (f32 == f32_source.end() || vzp[x] != 0 ||
      !is_image_to_nhwc(slots[f32->second].desc, int8_nhwc(graph.value(x).shape, x)))
    return {};
  if (n.op_type == "FusedConv" && n.input(3) != ir::kNoValue) return {};
  auto geo = fp32::conv_geometry(graph, n);
  if (!geo.ok() || !*geo) return {};
  const std::optional<int8::Im2col> im = int8::im2col_of(**geo);
  if (!im || im->c > int8::kMaxInterleaveChannels || im->kw * im->c > 16 ||
      im->k_pad - (im->kh - 1) * im->kw * im->c > 16 || im->w > 1024)
    return {};  // quantize_nchw_to_im2col's limits
  return memory::desc({1, im->k_pad, im->oh, im->ow}, int8_dt(x), memory::format_tag::acdb);
}

// Conditions: x has a zero point (else zero padding is already right), one image, and comes from
// a table step writing it densely in nhwc that nothing else retargeted (table_into_concat); every
// reader of x is a conv reading it as its source only, with the same pads (YOLOX's head: the box
// and class branches' depthwise convs over one tensor). The first of them retargets the
// table; the others find the padded slot among x's alternatives.
memory::desc Engine::Impl::padded_table_src(const ir::Node& n, ir::ValueId x) {
  // The padded desc conv c would read x in, and its top and left pads (where the interior starts).
  struct Padded {
    memory::desc desc;
    int64_t top = 0, left = 0;
    bool operator==(const Padded& o) const { return desc == o.desc && top == o.top && left == o.left; }
  };
  auto padded = [&](const ir::Node& c) -> Padded {
    if ((c.op_type != "Conv" && c.op_type != "FusedConv") || c.input(0) != x ||
        std::count(c.inputs().begin(), c.inputs().end(), x) != 1)
      return {};
    auto geo = fp32::conv_geometry(graph, c);
    if (!geo.ok() || !*geo) return {};
    const auto p = int8::padded_source_geometry(**geo);
    if (!p) return {};
    return {memory::desc(p->src_dims, int8_dt(x), memory::format_tag::acdb), (**geo).pad_l[0], (**geo).pad_l[1]};
  };
  if (vzp[x] == 0 || ir_last[x] == kForever) return {};
  const Padded want = padded(n);
  if (want.desc.is_zero()) return {};
  auto it = table_step.find(x);
  if (it == table_step.end()) return {};
  const Step& t = steps[it->second];
  if (t.kind != StepKind::kByteTable) return {};  // only the byte table fills a border
  if (t.border.channels > 0) {  // an earlier reader had it padded, with the same pads (below)
    for (int a : alts[x])
      if (slots[a].desc == want.desc && t.border.top == want.top && t.border.left == want.left) return want.desc;
    return {};
  }
  const int s = native_slot(x);
  if (!alts[x].empty() || t.writes.size() != 1 || t.writes[0] != s || t.table_row_len != 0 || buffer_shared(s))
    return {};
  for (ir::NodeId r : graph.value(x).consumers())
    if (!(padded(graph.node(r)) == want)) return {};
  const Shape& sh = graph.value(x).shape;
  if (sh.size() != 4 || sh[0] != 1) return {};
  int64_t st[DNNL_MAX_NDIMS];
  if (!strides_only(slots[s].desc, st) || st[1] != 1 || st[3] != sh[1] || st[2] != sh[1] * sh[3]) return {};
  return want.desc;
}

// x's table writes its rows into the interior of a new slot in `padded`'s layout and fills the
// border with x's zero point; that slot is the alternative of x that n (and x's other readers,
// padded_table_src) reads, so x's own buffer is never used. Nothing to do when already done.
void Engine::Impl::table_into_padded(const ir::Node& n, ir::ValueId x, const memory::desc& padded) {
  Step& t = steps[table_step.at(x)];
  if (t.border.channels > 0) return;
  const Shape& sh = graph.value(x).shape;
  const memory::dims& pd = padded.dims();
  int8::PaddedBorder b;
  b.rows = sh[2];
  b.cols = sh[3];
  b.channels = sh[1];
  // padded_source_geometry grows H and W by the conv's pads: recover them from the conv itself.
  const auto geo = fp32::conv_geometry(graph, n);
  YQ_CHECK(geo.ok() && *geo) << "padded source of " << n.name << " without a conv geometry";
  b.top = (**geo).pad_l[0];
  b.bottom = pd[2] - sh[2] - b.top;
  b.left = (**geo).pad_l[1];
  b.right = pd[3] - sh[3] - b.left;
  b.code = static_cast<uint8_t>(vzp[x]);
  const int old = native_slot(x);
  const int s = add_slot(x, padded, add_group(), vscale[x], vzp[x]);
  groups[slots[old].group].bytes = 0;  // the table's own buffer is never used now
  t.writes = {s};
  t.table_row_len = b.cols * b.channels;
  t.table_out_stride = pd[3] * b.channels;
  t.table_dst_off = (b.top * pd[3] + b.left) * b.channels;
  t.border = b;
  alts[x].push_back(s);
  stats.kernels[t.info].impl += "(padded for " + n.name + ")";
}

Expected<bool> Engine::Impl::try_int8_conv(const ir::Node& n, int pos) {
  const ir::ValueId x = n.input(0), w = n.input(1), y = n.output(0);
  if (!is_int8(x) || w == ir::kNoValue || !graph.value(w).is_constant() || !graph.value(w).qparams) return false;
  int8::ConvQuant q;
  q.src_dt = int8_dt(x);
  q.src_scale = vscale[x];
  q.src_zp = vzp[x];
  const ir::ValueId r = n.op_type == "FusedConv" ? n.input(3) : ir::kNoValue;
  // An int8 dst sums R's int8 values, so R must be int8 of the same type; otherwise compute f32
  // (R read as real values) and quantize afterwards.
  const bool int_dst = is_int8(y) && (r == ir::kNoValue || (is_int8(r) && vqdtype[r] == vqdtype[y]));
  if (int_dst) {
    q.dst_dt = int8_dt(y);
    q.dst_scale = vscale[y];
    q.dst_zp = vzp[y];
  }
  if (r != ir::kNoValue) {
    const Slot& rs = slots[native_slot(r)];
    q.sum_scale = int_dst ? vscale[r] : 1.f;
    q.sum_zp = int_dst ? vzp[r] : 0;
    q.res_desc = int_dst ? rs.desc : int8::with_data_type(rs.desc, memory::data_type::f32);
  }
  std::unique_ptr<fp32::DnnlKernel> dk;
  // Source layouts in order of preference: a stride-2 stem over the image as the stride-1 conv
  // over space-to-depth blocks, which the image quantize writes directly
  // (int8::space_to_depth_geometry says why); a zero-point source with the padding in its bytes,
  // which its table writes directly (int8::padded_source_geometry); the source as it is.
  // An image conv with few taps as a 1x1 conv over patch rows (int8::im2col_of says why), which
  // the image quantize also writes directly.
  enum class Src { kSpaceToDepth, kIm2col, kPadded, kNative };
  const memory::desc s2d = space_to_depth_src(n, x);
  const memory::desc im2col = s2d.is_zero() ? im2col_src(n, x) : memory::desc();
  const memory::desc padded = s2d.is_zero() && im2col.is_zero() ? padded_table_src(n, x) : memory::desc();
  Src src = Src::kNative;
  for (Src kind : {Src::kSpaceToDepth, Src::kIm2col, Src::kPadded, Src::kNative}) {
    const memory::desc& want = kind == Src::kSpaceToDepth ? s2d
                               : kind == Src::kIm2col     ? im2col
                               : kind == Src::kPadded     ? padded
                                                          : slots[native_slot(x)].desc;
    if (kind != Src::kNative && want.is_zero()) continue;
    q.space_to_depth = kind == Src::kSpaceToDepth;
    q.im2col = kind == Src::kIm2col;
    q.padded_src = kind == Src::kPadded;
    try {
      auto made = int8::make_int8_conv(graph, n, q, want, eng);
      if (!made.ok()) return made.status().with_context(node_label(n));
      dk = std::move(made).value();
    } catch (const dnnl::error&) {
      dk.reset();
    }
    if (dk && kind != Src::kNative && !(dk->input_descs[0] == want)) dk.reset();  // oneDNN wanted another layout
    if (dk) {
      src = kind;
      break;
    }
  }
  if (!dk) return false;
  if (src == Src::kPadded) {
    table_into_padded(n, x, padded);
    dk->impl += "+padded";
  }
  if (src == Src::kSpaceToDepth || src == Src::kIm2col) {
    // The blocks (patch rows) are a slot of x that only this conv finds (its dims are not x's shape).
    const bool s2d_src = src == Src::kSpaceToDepth;
    const int f32 = f32_source.at(x);
    const int s = add_slot(x, s2d_src ? s2d : im2col, add_group(), vscale[x], vzp[x]);
    Step st;
    st.kind = StepKind::kReorder;
    st.dense = s2d_src ? Step::Dense::kQuantizeS2d : Step::Dense::kQuantizeIm2col;
    if (!s2d_src) st.im2col = *int8::im2col_of(**fp32::conv_geometry(graph, n));  // im2col_src checked both
    st.reads = {f32};
    st.writes = {s};
    st.scale = 1.f / vscale[x];
    st.info = add_info("quantize:" + graph.value(x).name, "Quantize",
                       s2d_src ? "int8:nchw-to-s2d-nhwc" : "int8:nchw-to-im2col");
    ++stats.quantize_ops;
    steps.push_back(std::move(st));
    alts[x].push_back(s);
  }
  std::vector<float> in_scales(n.inputs().size(), 0.f);
  in_scales[0] = vscale[x];
  // int8 dst: copy R's integers unchanged (the sum post-op scales them by s_R); f32 dst: from the
  // slot scales (dequantizes an int8 R).
  std::vector<int32_t> in_zps(n.inputs().size(), 0);
  in_zps[0] = vzp[x];
  emit_dnnl_step(n, std::move(dk), in_scales, int_dst ? vscale[y] : 0.f, pos, int_dst ? 1.f : -1.f, true, in_zps,
                 int_dst ? vzp[y] : 0);
  YQ_RETURN_IF_ERROR(finish_output(y));
  return true;
}

// Ops that only move bytes run on the int8 data unchanged, on the plain kernels (their strided copy
// takes any element size). Pad fills with q = 0, the zero point: only a zero pad value qualifies.
bool Engine::Impl::try_int8_data_movement(const ir::Node& n) {
  static const char* const kOps[] = {"Slice", "Split", "Transpose", "Gather", "Pad"};
  if (std::find(std::begin(kOps), std::end(kOps), n.op_type) == std::end(kOps)) return false;
  const ir::ValueId x = n.input(0);
  if (!is_int8(x) || n.outputs().empty()) return false;
  for (ir::ValueId o : n.outputs())
    if (o == ir::kNoValue || !same_int8(x, o)) return false;
  const bool pad = n.op_type == "Pad";
  if (pad && vzp[x] != 0) return false;  // the fill is code 0, which is not the value 0
  if (pad) {
    if (n.attrs.get_string("mode", "constant") != "constant" || n.attrs.get_float("value", 0.f) != 0.f) return false;
    const ir::ValueId c = n.input(2);
    if (c != ir::kNoValue) {
      const ir::Value& cv = graph.value(c);
      if (!cv.is_constant() || cv.dtype != DType::kF32) return false;
      for (int64_t i = 0; i < cv.constant->numel(); ++i)
        if (cv.constant->data<float>()[i] != 0.f) return false;
    }
  }
  runtime::ref::RefKernelFn fn = fp32::find_plain_kernel(n.op_type);
  if (!fn) return false;
  Step st;
  st.kind = StepKind::kRef;
  st.node = &n;
  st.fn = fn;
  for (size_t i = 0; i < n.inputs().size(); ++i) {
    ir::ValueId v = n.input(i);
    if (v == ir::kNoValue || (pad && i == 2)) {
      st.ref_in.push_back(-1);  // Pad's (zero, f32) constant: the int8 kernel's default fill is 0
    } else if (graph.value(v).is_constant()) {
      st.ref_in.push_back(-2);
    } else {
      int s = i == 0 ? slot_as(v, int8::plain_desc(graph.value(v).shape, int8_dt(v)), vscale[v], vzp[v]) : plain_slot(v);
      st.ref_in.push_back(s);
      st.reads.push_back(s);
    }
  }
  for (ir::ValueId o : n.outputs()) {
    int s = add_slot(o, int8::plain_desc(graph.value(o).shape, int8_dt(o)), add_group(), vscale[o], vzp[o]);
    native[o] = s;
    st.ref_out.push_back(s);
    st.writes.push_back(s);
  }
  ++stats.ref_kernels;
  ++stats.int8_kernels;
  st.info = add_info(n.name, n.op_type, "int8:plain:" + n.op_type);
  steps.push_back(std::move(st));
  return true;
}

// Concat of int8 values as strided copies, in the layout of the largest input whose layout is a
// permutation of dims (nhwc from the int8 convs, or plain): every input in such a layout is read
// in place; others (blocked, or another scale or type) are first converted to plain int8 at the
// output's scale. Exact: it moves the int8 values the output scale already describes.
bool Engine::Impl::try_int8_concat_copy(const ir::Node& n) {
  if (n.outputs().size() != 1 || n.inputs().empty()) return false;
  const ir::ValueId y = n.output(0);
  if (!is_int8(y)) return false;
  const ir::Value& yv = graph.value(y);
  const int rank = static_cast<int>(yv.shape.size());
  if (rank == 0 || rank > DNNL_MAX_NDIMS) return false;
  int64_t axis = n.attrs.get_int("axis", 0);
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= rank) return false;
  bool any_shared = false;
  int64_t total = 0;
  for (ir::ValueId v : n.inputs()) {
    if (v == ir::kNoValue || graph.value(v).is_constant()) return false;
    const Shape& sh = graph.value(v).shape;
    if (static_cast<int>(sh.size()) != rank) return false;
    for (int d = 0; d < rank; ++d)
      if (d != axis && sh[d] != yv.shape[d]) return false;
    total += sh[axis];
    any_shared = any_shared || same_int8(v, y);
  }
  if (!any_shared || total != yv.shape[axis]) return false;
  // Output layout: the dim order (strides-only) of the largest input that needs no conversion, else
  // plain. The largest, not the first: FastestDet's neck concatenates a small NCHW pooled branch
  // first with two NHWC conv outputs, and following the first turned the whole concat into byte
  // transposes (0.17 ms) plus a reorder back to NHWC for the next conv.
  int64_t order_strides[DNNL_MAX_NDIMS];
  bool keep = false;
  int64_t keep_numel = -1;
  for (ir::ValueId v : n.inputs()) {
    int64_t st[DNNL_MAX_NDIMS];
    const int64_t numel = shape_numel(graph.value(v).shape);
    if (numel > keep_numel && same_int8(v, y) && strides_only(slots[native_slot(v)].desc, st)) {
      keep = true;
      keep_numel = numel;
      std::copy(st, st + rank, order_strides);
    }
  }
  std::vector<int> order(rank);
  for (int d = 0; d < rank; ++d) order[d] = d;
  if (keep)
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return order_strides[a] > order_strides[b]; });
  memory::dims ystr(rank);
  int64_t acc = 1;
  for (int k = rank - 1; k >= 0; --k) {
    ystr[order[k]] = acc;
    acc *= yv.shape[order[k]];
  }
  const memory::desc ydesc(fp32::to_dims(yv.shape), int8_dt(y), ystr);

  Step st;
  st.kind = StepKind::kCopy;
  st.node = &n;
  const int ys = add_slot(y, ydesc, add_group(), vscale[y], vzp[y]);
  int64_t at = 0;
  int written_in_place = 0, upsampled_in_place = 0;
  for (ir::ValueId v : n.inputs()) {
    const Shape& sh = graph.value(v).shape;
    if (table_into_concat(v, n, ys, ystr, static_cast<int>(axis), at)) {
      at += sh[axis];
      ++written_in_place;
      continue;
    }
    if (resize_into_concat(v, n, ys, ystr, static_cast<int>(axis), at)) {
      at += sh[axis];
      ++upsampled_in_place;
      continue;
    }
    int64_t is[DNNL_MAX_NDIMS];
    int s = native_slot(v);
    if (!(same_int8(v, y) && strides_only(slots[s].desc, is))) {
      s = slot_as(v, int8::plain_desc(sh, int8_dt(y)), vscale[y], vzp[y]);
      (void)strides_only(slots[s].desc, is);
    }
    CopyBox b;
    b.src = s;
    b.dst = ys;
    b.dst_off = at * ystr[axis];
    b.es = 1;
    b.rank = rank;
    for (int d = 0; d < rank; ++d) {
      b.dims[d] = sh[d];
      b.is[d] = is[d];
      b.os[d] = ystr[d];
    }
    at += sh[axis];
    if (shape_numel(sh) == 0) continue;
    st.boxes.push_back(b);
    st.reads.push_back(s);
  }
  st.writes = {ys};
  native[y] = ys;
  ++stats.int8_kernels;
  std::string impl = std::string("int8:copy:Concat(") + (keep ? "keep" : "plain");
  if (written_in_place > 0) impl += ", " + std::to_string(written_in_place) + " written by their tables";
  if (upsampled_in_place > 0) impl += ", " + std::to_string(upsampled_in_place) + " upsampled into it";
  st.info = add_info(n.name, n.op_type, impl + ")");
  if (!st.boxes.empty()) steps.push_back(std::move(st));
  return true;
}

// When int8 table (or table + add) output v is read by `concat` alone, in the concat's byte
// layout with the channels innermost (nhwc) on both sides: its step writes it straight into the
// concat's pixels (slot ys, channel offset `at`), rows of C_v codes C_total bytes apart, and the
// concat copies nothing for it. YOLOX-Nano's CSP blocks end in such concats (0.18 ms of copies
// over 13), three of them with a residual block's table + add as one input.
bool Engine::Impl::table_into_concat(ir::ValueId v, const ir::Node& concat, int ys, const memory::dims& ystr,
                                     int axis, int64_t at) {
  auto it = table_step.find(v);
  if (it == table_step.end() || ir_last[v] == kForever || !alts[v].empty()) return false;
  if (graph.value(v).consumers().size() != 1 || std::count(concat.inputs().begin(), concat.inputs().end(), v) != 1)
    return false;
  const ir::ValueId y = concat.output(0);
  Step& t = steps[it->second];
  const int s = native_slot(v);
  if (!same_int8(v, y) || t.writes.size() != 1 || t.writes[0] != s || t.table_row_len != 0) return false;
  if (buffer_shared(s)) return false;  // an alias reads the table's buffer
  int64_t is[DNNL_MAX_NDIMS];
  if (!strides_only(slots[s].desc, is) || is[axis] != 1 || ystr[axis] != 1) return false;
  const Shape& sh = graph.value(v).shape;
  const int64_t cv = sh[axis], ct = graph.value(y).shape[axis];
  for (size_t d = 0; d < sh.size(); ++d)  // the same pixel order: stride per pixel C_v here, C_total there
    if (static_cast<int>(d) != axis && is[d] * ct != ystr[d] * cv) return false;
  groups[slots[s].group].bytes = 0;  // the table's own buffer is never used now
  t.writes = {ys};
  t.table_row_len = cv;
  t.table_out_stride = ct;
  t.table_dst_off = at;
  stats.kernels[t.info].impl += "(into " + concat.name + ")";
  return true;
}

// When int8 nearest Resize output v (integer factors, make_int8_resize) is read by `concat` alone,
// one image with nhwc on both sides: its oneDNN step is replaced by yoloq's upsampling
// (int8::UpsampleNearest) writing straight into the concat's pixels, and the concat copies
// nothing for it. YOLOX's PAFPN concatenates each 2x upsampled map with a backbone level.
bool Engine::Impl::resize_into_concat(ir::ValueId v, const ir::Node& concat, int ys, const memory::dims& ystr,
                                      int axis, int64_t at) {
  auto it = resize_step.find(v);
  if (it == resize_step.end() || ir_last[v] == kForever || !alts[v].empty()) return false;
  if (graph.value(v).consumers().size() != 1 || std::count(concat.inputs().begin(), concat.inputs().end(), v) != 1)
    return false;
  Step& r = steps[it->second];
  const int s = native_slot(v);
  if (!same_int8(v, concat.output(0)) || r.kind != StepKind::kDnnl || r.writes.size() != 1 || r.writes[0] != s ||
      r.reads.size() != 1 || buffer_shared(s))
    return false;
  const Shape& xs = graph.value(r.node->input(0)).shape;
  const Shape& sh = graph.value(v).shape;
  if (axis != 1 || xs.size() != 4 || sh[0] != 1 || xs[0] != 1) return false;
  const int src = r.reads[0];
  int64_t is[DNNL_MAX_NDIMS], os[DNNL_MAX_NDIMS];
  const auto nhwc = [](const int64_t* st, const Shape& d, int64_t pixel) {
    return st[1] == 1 && st[3] == pixel && st[2] == pixel * d[3];
  };
  if (!strides_only(slots[src].desc, is) || !nhwc(is, xs, xs[1])) return false;
  const int64_t ct = graph.value(concat.output(0)).shape[1];
  for (int d = 0; d < 4; ++d) os[d] = ystr[d];
  if (!nhwc(os, graph.value(concat.output(0)).shape, ct)) return false;
  Step st;
  st.kind = StepKind::kUpsample;
  st.node = r.node;
  st.info = r.info;
  st.reads = {src};
  st.writes = {ys};
  st.upsample = {xs[2], xs[3], xs[1], sh[2] / xs[2], sh[3] / xs[3], ct};
  st.table_dst_off = at;
  groups[slots[s].group].bytes = 0;  // the resize's own buffer is never used now
  stats.kernels[r.info].impl = "int8:upsample-nearest(into " + concat.name + ")";
  --stats.onednn_kernels;
  r = std::move(st);
  return true;
}

// Gather along the channels (axis 1) of a rank-4 int8 tensor with constant 1-D indices, in nhwc
// (the layout the int8 convs read and write): the channel shuffles of ShuffleNetV2 backbones after
// ir::FoldChannelShuffle. Plain data movement would cost a reorder on either side.
// A Slice of one contiguous channel range of a 4-D int8 value (constant starts and ends, axis 1,
// step 1) as the channels a gather takes. Why: ShuffleNetV2 blocks split their input in two by
// channel Slices, which ran on plain nchw copies between reorders from and back to nhwc
// (YOLOv6Lite-S: 9 reorders, 0.11 ms).
bool Engine::Impl::channel_slice_indices(const ir::Node& n, std::vector<int64_t>* channels) const {
  if (!n.domain.empty() || n.inputs().size() < 3 || n.outputs().size() != 1) return false;
  const ir::ValueId x = n.input(0), y = n.output(0);
  if (!is_int8(x) || !same_int8(x, y) || graph.value(x).shape.size() != 4) return false;
  auto ints = [&](size_t i, std::vector<int64_t>* out) {
    if (i >= n.inputs().size() || n.input(i) == ir::kNoValue) return false;
    const ir::Value& v = graph.value(n.input(i));
    if (!v.is_constant() || v.constant->shape().size() != 1 || v.constant->numel() != 1) return false;
    *out = v.constant->to_int64_vector();
    return true;
  };
  std::vector<int64_t> starts, ends, axes{1}, steps{1};
  if (!ints(1, &starts) || !ints(2, &ends)) return false;
  if (n.inputs().size() > 3 && n.input(3) != ir::kNoValue && !ints(3, &axes)) return false;
  if (n.inputs().size() > 4 && n.input(4) != ir::kNoValue && !ints(4, &steps)) return false;
  if ((axes[0] != 1 && axes[0] != -3) || steps[0] != 1) return false;
  const int64_t c = graph.value(x).shape[1];
  int64_t b = starts[0] < 0 ? starts[0] + c : starts[0], e = ends[0] < 0 ? ends[0] + c : ends[0];
  b = std::clamp<int64_t>(b, 0, c);
  e = std::clamp<int64_t>(e, 0, c);
  if (e - b != graph.value(y).shape[1] || e <= b) return false;
  channels->clear();
  for (int64_t k = b; k < e; ++k) channels->push_back(k);
  return true;
}

bool Engine::Impl::channel_gather_indices(const ir::Node& n, std::vector<int64_t>* channels) const {
  if (n.op_type == "Slice") return channel_slice_indices(n, channels);
  if (n.op_type != "Gather" || n.inputs().size() != 2 || n.outputs().size() != 1) return false;
  const ir::ValueId x = n.input(0), y = n.output(0);
  if (!is_int8(x) || !same_int8(x, y)) return false;
  const ir::Value& xv = graph.value(x);
  const ir::Value& iv = graph.value(n.input(1));
  if (xv.shape.size() != 4 || !iv.is_constant() || iv.constant->shape().size() != 1) return false;
  const int64_t axis = n.attrs.get_int("axis", 0);
  if (axis != 1 && axis != -3) return false;
  *channels = iv.constant->to_int64_vector();
  for (int64_t& c : *channels) {
    if (c < 0) c += xv.shape[1];
    if (c < 0 || c >= xv.shape[1]) return false;
  }
  return true;
}

// A channel Concat read only by channel Gathers (ShuffleNetV2's shuffle after
// ir::FoldChannelShuffle) is never written: each Gather reads the Concat's inputs directly
// (try_int8_channel_gather), when their indices make per-pixel interleaves or contiguous runs
// (NanoDet-m: all 16 of its concats; FastestDet's even/odd splits keep theirs): a copy pass saved.
bool Engine::Impl::try_int8_virtual_concat(const ir::Node& n) {
  if (n.outputs().size() != 1 || n.inputs().size() < 2 || n.inputs().size() > kMaxGatherSources) return false;
  const ir::ValueId y = n.output(0);
  if (!is_int8(y) || ir_last[y] == kForever) return false;
  const Shape& ys = graph.value(y).shape;
  int64_t axis = n.attrs.get_int("axis", 0);
  if (ys.size() != 4 || (axis != 1 && axis != -3)) return false;
  for (ir::ValueId v : n.inputs()) {
    if (v == ir::kNoValue || graph.value(v).is_constant() || !same_int8(v, y)) return false;
    const Shape& s = graph.value(v).shape;
    if (s.size() != 4 || s[0] != ys[0] || s[2] != ys[2] || s[3] != ys[3]) return false;
  }
  const auto& readers = graph.value(y).consumers();
  if (readers.empty()) return false;
  std::vector<int64_t> channels, source_channels;
  for (ir::ValueId v : n.inputs()) source_channels.push_back(graph.value(v).shape[1]);
  for (ir::NodeId r : readers) {
    const ir::Node& g = graph.node(r);
    if (g.input(0) != y || !channel_gather_indices(g, &channels)) return false;
    // Only shapes the per-pixel pieces do well: interleaves and contiguous runs (NanoDet-m). Every
    // other channel (FastestDet's even/odd split) byte by byte per pixel measured slower (INT8/FP32
    // 0.59 -> 0.72) than the concat plus one deinterleave over the whole tensor.
    for (const int8::MultiGather::Piece& pc : int8::plan_multi_gather(source_channels, channels).pieces)
      if (pc.b_src < 0 && (pc.step != 1 || pc.len < 8)) return false;
  }
  virtual_concat[y] = n.inputs();
  // The inputs now live until the last Gather reads them (no in-place write over them before).
  for (ir::ValueId v : n.inputs()) extend_life(v, native_slot(v), ir_last[y]);
  ++stats.int8_kernels;
  add_info(n.name, n.op_type, "int8:virtual:Concat(read by its channel gathers)");
  return true;
}

bool Engine::Impl::try_int8_channel_gather(const ir::Node& n) {
  std::vector<int64_t> channels;
  if (!channel_gather_indices(n, &channels)) return false;
  const ir::ValueId x = n.input(0), y = n.output(0);
  const ir::Value& xv = graph.value(x);
  const Shape& ys = graph.value(y).shape;
  if (auto vc = virtual_concat.find(x); vc != virtual_concat.end()) {
    Step st;
    st.kind = StepKind::kMultiGather;
    st.node = &n;
    std::vector<int64_t> source_channels;
    for (ir::ValueId v : vc->second) {
      st.reads.push_back(slot_as(v, int8_nhwc(graph.value(v).shape, x), vscale[v], vzp[v]));
      source_channels.push_back(graph.value(v).shape[1]);
    }
    const int out = add_slot(y, int8_nhwc(ys, x), add_group(), vscale[y], vzp[y]);
    native[y] = out;
    st.writes = {out};
    st.multi = int8::plan_multi_gather(source_channels, channels);
    st.pixels = xv.shape[0] * xv.shape[2] * xv.shape[3];
    ++stats.int8_kernels;
    st.info = add_info(n.name, n.op_type, "int8:nhwc:ChannelGather(from the concat's inputs)");
    steps.push_back(std::move(st));
    return true;
  }
  Step st;
  st.kind = StepKind::kChannelGather;
  st.node = &n;
  const int in = slot_as(x, int8_nhwc(xv.shape, x), vscale[x], vzp[x]);
  const int out = add_slot(y, int8_nhwc(ys, x), add_group(), vscale[y], vzp[y]);
  native[y] = out;
  st.reads = {in};
  st.writes = {out};
  st.gather = int8::plan_channel_gather(xv.shape[1], channels);
  st.pixels = xv.shape[0] * xv.shape[2] * xv.shape[3];
  static const char* const kKind[] = {"even-odd", "interleave", "runs"};
  ++stats.int8_kernels;
  st.info = add_info(n.name, n.op_type, std::string("int8:nhwc:ChannelGather(") +
                                            kKind[static_cast<int>(st.gather.kind)] + ")");
  steps.push_back(std::move(st));
  return true;
}

// MaxPool between two int8 values of one scale, on nhwc (int8_maxpool.cpp): the layout the int8
// convs around it use. Dilated, ceil-mode-beyond-padding or non-4-d pools go to oneDNN.
// MaxPool (codes of one scale: the max of the codes is exact) or AveragePool (int8 in, int8 out at
// any scales) over nhwc int8, in yoloq's loops (int8_maxpool.cpp, int8_avgpool.cpp).
bool Engine::Impl::try_int8_pool_nhwc(const ir::Node& n) {
  const bool average = n.op_type == "AveragePool";
  if (!(average ? int8::avgpool_nhwc_supported() : int8::maxpool_nhwc_supported())) return false;
  if (n.inputs().size() != 1 || n.outputs().size() != 1) return false;
  const ir::ValueId x = n.input(0), y = n.output(0);
  if (average ? !(is_int8(x) && is_int8(y)) : !(is_int8(x) && same_int8(x, y))) return false;
  const Shape& xs = graph.value(x).shape;
  const Shape& ys = graph.value(y).shape;
  if (xs.size() != 4 || ys.size() != 4 || xs[0] != ys[0] || xs[1] != ys[1]) return false;
  const std::vector<int64_t> k = n.attrs.get_ints("kernel_shape"), s = n.attrs.get_ints("strides", {1, 1}),
                             pads = n.attrs.get_ints("pads", {0, 0, 0, 0}), dil = n.attrs.get_ints("dilations", {1, 1});
  if (k.size() != 2 || s.size() != 2 || pads.size() != 4 || dil != std::vector<int64_t>{1, 1} ||
      n.attrs.get_string("auto_pad", "NOTSET") != "NOTSET" || n.attrs.get_int("storage_order", 0) != 0)
    return false;
  // An average's count over a ceil-mode window that overhangs the padding is ONNX's own rule: left
  // to the float pool.
  if (average && n.attrs.get_int("ceil_mode", 0) != 0) return false;
  int8::PoolNhwc p;
  p.n = xs[0], p.c = xs[1], p.ih = xs[2], p.iw = xs[3], p.oh = ys[2], p.ow = ys[3];
  p.kh = k[0], p.kw = k[1], p.sh = s[0], p.sw = s[1], p.pt = pads[0], p.pl = pads[1];
  // Every window must hold at least one input cell (ceil mode may not start one in the padding).
  if (p.kh < 1 || p.kw < 1 || p.sh < 1 || p.sw < 1 || (p.oh - 1) * p.sh - p.pt >= p.ih ||
      (p.ow - 1) * p.sw - p.pl >= p.iw || p.pt >= p.kh || p.pl >= p.kw)
    return false;
  Step st;
  st.kind = average ? StepKind::kAvgPool : StepKind::kMaxPool;
  st.node = &n;
  const int in = slot_as(x, int8_nhwc(xs, x), vscale[x], vzp[x]);
  const int out = add_slot(y, int8_nhwc(ys, y), add_group(), vscale[y], vzp[y]);
  native[y] = out;
  st.reads = {in};
  st.writes = {out};
  st.pool = p;
  if (average) {
    st.avg.count_include_pad = n.attrs.get_int("count_include_pad", 0) != 0;
    st.avg.in_u8 = vqdtype[x] == DType::kU8;
    st.avg.out_u8 = vqdtype[y] == DType::kU8;
    st.avg.in_zp = vzp[x];
    st.avg.out_zp = vzp[y];
    st.avg.in_scale = vscale[x];
    st.avg.inv_out_scale = 1.f / vscale[y];
  }
  ++stats.int8_kernels;
  st.info = add_info(n.name, n.op_type, "int8:nhwc:" + n.op_type);
  steps.push_back(std::move(st));
  return true;
}

// A yq Activation from one int8 value to another (quant/split_activations.h): a 256-entry table
// over the input's codes, in the input's own layout (elementwise, so any layout without padding
// will do). Per-tensor params only: a per-channel scale would need a table per channel.
bool Engine::Impl::try_int8_byte_table(const ir::Node& n) {
  if (n.inputs().size() != 1 || n.outputs().size() != 1) return false;
  const ir::ValueId x = n.input(0), y = n.output(0);
  if (!is_int8(x) || !is_int8(y)) return false;
  const ir::QParams& qx = *graph.value(x).qparams;
  const ir::QParams& qy = *graph.value(y).qparams;
  if (qx.per_channel() || qy.per_channel()) return false;
  auto act = runtime::ref::node_activation(n);
  if (!act.ok()) return false;
  const int in = native_slot(x);
  const memory::desc src = slots[in].desc;
  const int64_t numel = shape_numel(graph.value(x).shape);
  if (static_cast<int64_t>(src.get_size()) != numel) return false;  // padded (blocked) layouts
  Step st;
  st.kind = StepKind::kByteTable;
  st.node = &n;
  const int out = add_slot(y, int8::with_data_type(src, int8_dt(y)), add_group(), vscale[y], vzp[y]);
  native[y] = out;
  st.reads = {in};
  st.writes = {out};
  const runtime::ref::Activation f = *act;
  st.table = int8::make_byte_table(qx, qy, [f](float v) { return f(v); });
  st.pixels = numel;
  ++stats.int8_kernels;
  st.info = add_info(n.name, n.op_type, "int8:table:" + n.attrs.get_string("activation", ""));
  table_step[y] = steps.size();
  steps.push_back(std::move(st));
  return true;
}

bool Engine::Impl::defer_for_table_add(const ir::Node& act) {
  if (act.inputs().size() != 1 || act.outputs().size() != 1) return false;
  const ir::ValueId t = act.input(0), a = act.output(0);
  if (!is_int8(t) || vstore[a] != VStore::kF32 || ir_last[a] == kForever) return false;
  const std::optional<ir::ResidualAdd> ra = ir::residual_add_after(graph, a);
  if (!ra) return false;
  const ir::ValueId r = ra->residual, y = graph.node(ra->add).output(0);
  if (!is_int8(r) || native[r] < 0 || !is_int8(y)) return false;
  const Shape& shape = graph.value(t).shape;
  if (graph.value(a).shape != shape || graph.value(y).shape != shape) return false;
  const memory::desc& td = slots[native_slot(t)].desc;
  if (static_cast<int64_t>(td.get_size()) != shape_numel(shape)) return false;  // padded (blocked) layouts
  if (!runtime::ref::node_activation(act).ok()) return false;
  table_add_pending[a] = &act;
  return true;
}

bool Engine::Impl::try_int8_table_add(const ir::Node& add, int pos) {
  const ir::Node* act = nullptr;
  ir::ValueId a = ir::kNoValue;
  for (ir::ValueId in : add.inputs()) {
    auto it = table_add_pending.find(in);
    if (it != table_add_pending.end()) {
      act = it->second;
      a = in;
    }
  }
  if (act == nullptr) return false;
  const ir::ValueId t = act->input(0), r = ir::residual_add_after(graph, a)->residual, y = add.output(0);
  const int ts = native_slot(t);
  const memory::desc td = slots[ts].desc;
  // r in t's layout (its own codes; a reorder only when its producer chose another layout).
  const int rs = slot_as(r, int8::with_data_type(td, int8_dt(r)), vscale[r], vzp[r]);
  extend_life(t, ts, pos);
  Step st;
  st.kind = StepKind::kTableAdd;
  st.node = &add;
  const int out = add_slot(y, int8::with_data_type(td, int8_dt(y)), add_group(), vscale[y], vzp[y]);
  native[y] = out;
  st.reads = {ts, rs};
  st.writes = {out};
  const runtime::ref::Activation f = *runtime::ref::node_activation(*act);
  st.table_add = int8::make_table_add(*graph.value(t).qparams, *graph.value(r).qparams, *graph.value(y).qparams,
                                      [f](float v) { return f(v); });
  st.pixels = shape_numel(graph.value(t).shape);
  ++stats.int8_kernels;
  st.info = add_info(act->name + "+" + add.name, "Add", "int8:table-add:" + act->attrs.get_string("activation", ""));
  table_add_pending.erase(a);
  table_step[y] = steps.size();
  steps.push_back(std::move(st));
  return true;
}

Expected<bool> Engine::Impl::try_int8(const ir::Node& n, int pos) {
  if (!n.domain.empty() && n.domain != "yq") return false;
  if (n.op_type == "Activation") return defer_for_table_add(n) || try_int8_byte_table(n);
  if (n.op_type == "Add" && n.domain.empty() && try_int8_table_add(n, pos)) return true;
  if (n.op_type == "Conv" || n.op_type == "FusedConv") return try_int8_conv(n, pos);
  const bool pool = n.op_type == "MaxPool", resize = n.op_type == "Resize", concat = n.op_type == "Concat";
  if ((n.op_type == "Gather" || n.op_type == "Slice") && try_int8_channel_gather(n)) return true;
  if (n.op_type == "AveragePool") return try_int8_pool_nhwc(n);
  if (!pool && !resize && !concat) return try_int8_data_movement(n);
  if (concat && (try_int8_virtual_concat(n) || try_int8_concat_copy(n))) return true;
  if (pool && try_int8_pool_nhwc(n)) return true;
  if (n.outputs().size() != 1) return false;
  const ir::ValueId y = n.output(0);
  if (!is_int8(y)) return false;
  std::unique_ptr<fp32::DnnlKernel> dk;
  std::vector<float> in_scales(n.inputs().size(), 0.f);
  try {
    Expected<std::unique_ptr<fp32::DnnlKernel>> made = std::unique_ptr<fp32::DnnlKernel>();
    if (pool || resize) {
      const ir::ValueId x = n.input(0);
      if (!same_int8(x, y)) return false;
      in_scales[0] = vscale[x];
      const memory::desc& src = slots[native_slot(x)].desc;
      made = pool ? int8::make_int8_maxpool(graph, n, src, eng) : int8::make_int8_resize(graph, n, src, eng);
    } else {
      // Every input is read at the output's scale: an input quantized differently is requantized
      // (an f32 one quantized), counted in stats. Worth it only when one input already matches.
      std::vector<memory::desc> srcs(n.inputs().size());
      bool any_shared = false;
      for (size_t i = 0; i < n.inputs().size(); ++i) {
        const ir::ValueId v = n.input(i);
        if (v == ir::kNoValue || graph.value(v).is_constant()) return false;
        in_scales[i] = vscale[y];
        if (same_int8(v, y)) {
          srcs[i] = slots[native_slot(v)].desc;
          any_shared = true;
        } else {
          srcs[i] = int8::plain_desc(graph.value(v).shape, int8_dt(y));
        }
      }
      if (!any_shared) return false;
      made = int8::make_int8_concat(graph, n, srcs, eng);
    }
    if (!made.ok()) return made.status().with_context(node_label(n));
    dk = std::move(made).value();
  } catch (const dnnl::error&) {
    return false;
  }
  if (!dk) return false;
  // Pool, resize and concat see codes of one scale and zero point (max, interpolation weights
  // summing to 1, and copies all commute with the shift).
  emit_dnnl_step(n, std::move(dk), in_scales, vscale[y], pos, 1.f, true, std::vector<int32_t>(n.inputs().size(), vzp[y]),
                 vzp[y]);
  if (resize) resize_step[y] = steps.size() - 1;
  return true;
}

Engine::Engine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Engine::~Engine() = default;

Expected<std::unique_ptr<Engine>> Engine::create(const ir::Graph& g, const EngineOptions& opts) {
  set_num_threads(opts.threads);
  auto impl = std::make_unique<Impl>();
  impl->opts = opts;
  try {
    YQ_RETURN_IF_ERROR(impl->plan(g));
  } catch (const dnnl::error& e) {
    return internal_error(std::string("oneDNN error while planning: ") + e.what());
  }
  return std::unique_ptr<Engine>(new Engine(std::move(impl)));
}

Status Engine::run(std::span<const Tensor> inputs, std::vector<Tensor>* outputs) {
  Impl& m = *impl_;
  if (inputs.size() != m.input_slots.size())
    return invalid_argument("expected " + std::to_string(m.input_slots.size()) + " inputs, found " +
                            std::to_string(inputs.size()));
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& t = inputs[i];
    if (t.dtype() != m.in_dtypes[i] || t.shape() != m.in_shapes[i])
      return invalid_argument("input '" + m.in_names[i] + "': expected " + dtype_name(m.in_dtypes[i]) +
                              shape_str(m.in_shapes[i]) + ", found " + dtype_name(t.dtype()) + shape_str(t.shape()));
  }
  set_num_threads(m.opts.threads);
  for (Impl::DirectInput& d : m.direct_inputs) {
    // Steps only read it (plan_direct_inputs), so the caller's const tensor is safe to hand over.
    char* p = static_cast<char*>(const_cast<void*>(inputs[d.input].raw()));
    m.slots[m.input_slots[d.input]].ptr = p;
    for (memory* mem : d.mems) mem->set_data_handle(p);
  }
  for (size_t i = 0; i < inputs.size(); ++i)
    if (!m.input_is_direct[i] && inputs[i].nbytes() > 0)
      std::memcpy(m.slots[m.input_slots[i]].ptr, inputs[i].raw(), inputs[i].nbytes());
  for (size_t i = 0; i < m.steps.size();) {
    Step& st = m.steps[i];
    const size_t next = st.chain_end > 0 ? static_cast<size_t>(st.chain_end) : i + 1;
    auto t0 = std::chrono::steady_clock::now();
    YQ_RETURN_IF_ERROR(st.chain_end > 0 ? m.run_row_chain(i) : m.execute_step(st));
    KernelInfo& info = m.stats.kernels[st.info];
    if (m.opts.profile) {
      m.strm.wait();
      info.total_ms += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    }
    for (size_t j = i; j < next; ++j) ++m.stats.kernels[m.steps[j].info].calls;
    i = next;
  }
  m.strm.wait();
  outputs->resize(m.outputs.size());
  for (size_t i = 0; i < m.outputs.size(); ++i) YQ_RETURN_IF_ERROR(m.to_plain(m.outputs[i], &(*outputs)[i]));
  m.strm.wait();
  m.ran = true;
  return ok_status();
}

const std::vector<std::string>& Engine::input_names() const { return impl_->in_names; }
const std::vector<Shape>& Engine::input_shapes() const { return impl_->in_shapes; }
const std::vector<DType>& Engine::input_dtypes() const { return impl_->in_dtypes; }
const std::vector<std::string>& Engine::output_names() const { return impl_->out_names; }
const std::vector<Shape>& Engine::output_shapes() const { return impl_->out_shapes; }
const std::vector<DType>& Engine::output_dtypes() const { return impl_->out_dtypes; }
const EngineStats& Engine::stats() const { return impl_->stats; }

Expected<Tensor> Engine::kept_value(const std::string& name) const {
  const Impl& m = *impl_;
  if (!m.ran) return invalid_argument("kept_value('" + name + "'): run() has not been called");
  const OutputPlan* p = nullptr;
  auto it = m.kept.find(name);
  if (it != m.kept.end()) {
    p = &it->second;
  } else {
    for (size_t i = 0; i < m.outputs.size(); ++i)
      if (m.out_names[i] == name) p = &m.outputs[i];
  }
  if (!p) return invalid_argument("kept_value: '" + name + "' is not a graph output and was not in keep_values");
  Tensor t;
  YQ_RETURN_IF_ERROR(m.to_plain(*p, &t));
  m.strm.wait();
  return t;
}

}  // namespace yq::runtime
