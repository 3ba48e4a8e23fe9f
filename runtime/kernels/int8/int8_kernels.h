// SPDX-License-Identifier: Apache-2.0
// Internal to yoloq_runtime: oneDNN int8 kernels. Same contract as the fp32 factories
// (runtime/kernels/fp32/onednn_kernel.h: a DnnlKernel with per-input/output layouts, packed
// weights, nullptr to decline) plus the quantization the planner decided (int8_planning.h).
//
// Numerics (oneDNN 2.6, doc/advanced/int8_computations.md and the post-ops docs):
//   conv: acc = sum(q_x * q_w) in int32 (exact; weights are symmetric [-127, 127] so the AVX2/VNNI
//         u8*s8 pair sums cannot saturate), then in f32:
//         v = (acc + B / (s_x*s_w[c])) * (s_x*s_w[c])     output_scales, per channel (mask 1<<1);
//             oneDNN 2.x adds the bias before the output scale, hence the pre-divided bias
//         v = act(v)                                       eltwise post-op(s), as in fp32
//         v = v * S[c]                                     FusedConv channel scale (input 4): a
//             binary_mul post-op, or folded into the output scales and bias after none/relu/leaky_relu
//         v = v + s_R * q_R                                sum post-op, reading dst's int8 values
//         v = v * (1 / s_y)                                eltwise_linear, int8 dst only
//         dst = saturate(round_half_to_even(v))            int8 dst; f32 dst stores v
//   MaxPool / nearest Resize / Concat: pure data movement on int8 values that share one scale.
#pragma once

#include <functional>
#include <optional>
#include <vector>

#include "runtime/kernels/fp32/onednn_kernel.h"

namespace yq::runtime::int8 {

struct ConvQuant {
  dnnl::memory::data_type src_dt = dnnl::memory::data_type::s8;  // s8 or u8
  float src_scale = 1.f;
  int32_t src_zp = 0;  // u8 sources may have a zero point (real value = (q - zp) * scale)
  // dst: s8/u8 (then dst_scale is s_y) or f32 (dst_scale ignored).
  dnnl::memory::data_type dst_dt = dnnl::memory::data_type::f32;
  float dst_scale = 1.f;
  int32_t dst_zp = 0;
  // Residual (FusedConv input 3), when present: the scale of the values dst holds before the
  // primitive runs (s_R for an int8 R in an int8 dst; 1 for a real-valued f32 dst).
  float sum_scale = 1.f;
  int32_t sum_zp = 0;  // R's zero point, for an int8 R in an int8 dst
  // The layout R currently has (zero: none/any); an int8 dst in it allows an in-place sum.
  dnnl::memory::desc res_desc;
  // Run as space_to_depth_geometry's stride-1 conv: src_layout is then the space-to-depth nhwc desc
  // ([n, 4c, h/2, w/2] dims), and the weights are rearranged to match.
  bool space_to_depth = false;
  // Run as padded_source_geometry's unpadded conv: src_layout is then the nhwc source with the
  // conv's padding in its bytes ([n, c, h + pad_t + pad_b, w + pad_l + pad_r] dims, the border
  // holding the zero point's code: PaddedBorder), so a source zero point folds into the bias.
  bool padded_src = false;
  // Run as im2col_geometry's 1x1 conv: src_layout is then the im2col nhwc desc ([n, k_pad, oh, ow]
  // dims, Im2col), and the weights are rearranged to match.
  bool im2col = false;
};

// Conv / FusedConv whose weight (input 1) is a constant with symmetric int8 qparams (per-tensor or
// per output channel along axis 0). Declines (nullptr) for anything else, including activations
// oneDNN cannot fuse and configurations with only a reference int8 implementation.
Expected<std::unique_ptr<fp32::DnnlKernel>> make_int8_conv(const ir::Graph& g, const ir::Node& n,
                                                            const ConvQuant& q, const dnnl::memory::desc& src_layout,
                                                            const dnnl::engine& eng);
// A stride-2 conv over an image-like input (group 1, at most kMaxInterleaveChannels channels,
// even kernel, even pads, even height and width, no dilation) as the stride-1 conv with half the
// kernel over the input's space-to-depth blocks (quantize_nchw_to_s2d_nhwc), which computes the
// same sums: out[y, x] = sum over (ky, kx) = (2ay + dy, 2ax + dx) of W[ky, kx] * in[2y - p + ky,
// 2x - p + kx], and the padding halves with the kernel. Why: oneDNN's int8 kernels have no good
// path for 3 input channels. YOLOX-Nano's 6x6/s2 stem over 3 channels (swish, f32 out, 2
// threads): 0.58 ms; as a 3x3/s1 conv over 12 channels on jit_int8: 0.31 ms. nullopt when it
// does not apply.
std::optional<fp32::ConvGeometry> space_to_depth_geometry(const fp32::ConvGeometry& geo);
// A conv over an image-like input (group 1, one image, no dilation, c * kh * kw <= kMaxIm2col)
// as a 1x1 conv over its patches: output pixel (y, x) reads a row of k_pad codes, tap (ky, kx) of
// channel ch at (ky * kw + kx) * c + ch, the rest zero (quantize_nchw_to_im2col writes them from
// the f32 image). Why: YOLOv6Lite-S's 3x3/s2 stem over 3 channels took 0.14 ms on oneDNN's
// jit_int8 (0.27 ms with HardSwish and an equalizing factor in its epilogue); as a 1x1 conv it
// takes yoloq's fused kernels (int8::PointwiseTable). nullopt when it does not apply.
inline constexpr int64_t kMaxIm2col = 64;
struct Im2col {
  int64_t c = 0, h = 0, w = 0, kh = 0, kw = 0, stride_h = 1, stride_w = 1, pad_t = 0, pad_l = 0, oh = 0, ow = 0;
  int64_t k_pad = 0;  // codes per output pixel: c * kh * kw rounded up to 4
};
std::optional<Im2col> im2col_of(const fp32::ConvGeometry& geo);
fp32::ConvGeometry im2col_geometry(const fp32::ConvGeometry& geo, const Im2col& im);
// A padded 2-D conv as the unpadded conv over its source with the padding materialized: the same
// sums when the border holds the value 0. Why: over a u8 source with a zero point, the padded
// taps must read the zero point's code, and oneDNN 2.6's zero-point path for that costs 25-35% on
// depthwise convs (64 channels at 52x52, 2 threads: 0.022 -> 0.039 ms stand-alone) and rules out
// its brdgmm kernel; without padding the zero point is a per-channel constant folded into the
// bias. nullopt when the conv has no padding or the source is not 4-D.
std::optional<fp32::ConvGeometry> padded_source_geometry(const fp32::ConvGeometry& geo);

// The border of a padded nhwc source (one image): `rows` x `cols` pixels of `channels` codes
// written by another pass, inside (top + rows + bottom) x (left + cols + right) pixels. How a
// padded conv reads a zero-point source unpadded (padded_source_geometry): the producing table
// writes the interior (run_byte_table_rows) and fill_border sets every border byte to `code`,
// the zero point, on every run (the arena reuses the bytes between runs).
struct PaddedBorder {
  int64_t rows = 0, cols = 0, channels = 0;
  int64_t top = 0, bottom = 0, left = 0, right = 0;
  uint8_t code = 0;
};
void fill_border(const PaddedBorder& b, void* buf);

// MaxPool on int8 (src desc given, dst same data type, oneDNN picks the layout).
Expected<std::unique_ptr<fp32::DnnlKernel>> make_int8_maxpool(const ir::Graph& g, const ir::Node& n,
                                                               const dnnl::memory::desc& src,
                                                               const dnnl::engine& eng);
// Nearest Resize with integer factors (asymmetric / floor, as fp32::make_resize accepts).
Expected<std::unique_ptr<fp32::DnnlKernel>> make_int8_resize(const ir::Graph& g, const ir::Node& n,
                                                              const dnnl::memory::desc& src,
                                                              const dnnl::engine& eng);
// Concat of int8 inputs sharing one scale and data type (descs per node input).
Expected<std::unique_ptr<fp32::DnnlKernel>> make_int8_concat(const ir::Graph& g, const ir::Node& n,
                                                              const std::vector<dnnl::memory::desc>& srcs,
                                                              const dnnl::engine& eng);

// Quantize n floats of a dense tensor to s8/u8 (q = saturate(round_half_even(x * inv_scale) + zp)),
// or dequantize them back (y = (q - zp) * scale): the reorders between two slots of one dense
// layout (int8_quantize.cpp says why oneDNN's reorder is not used for them), and every
// conversion with a zero point (oneDNN 2.6's jit reorder drops the zero point of a u8 nhwc ->
// f32 nchw reorder with 128 channels).
void quantize_dense(const float* x, void* q, bool to_u8, int64_t n, float inv_scale, int32_t zp = 0);
void dequantize_dense(const void* q, bool from_u8, float* y, int64_t n, float scale, int32_t zp = 0);
// x * gate quantized, x `pixels` nhwc rows of `channels` floats and gate one float per channel (a
// squeeze-excitation Mul whose product only int8 readers take): the product rounds to f32 first,
// then quantize_dense's arithmetic, so the codes are those of the Mul and the quantize apart.
void quantize_gated(const float* x, const float* gate, void* q, bool to_u8, int64_t pixels, int64_t channels,
                    float inv_scale, int32_t zp = 0);
// Quantize an f32 NCHW tensor with few channels (an image) straight into NHWC s8/u8, the layout the
// int8 stem conv reads: the same arithmetic as quantize_dense. 1 <= c <= kMaxInterleaveChannels.
inline constexpr int64_t kMaxInterleaveChannels = 4;
void quantize_nchw_to_nhwc(const float* x, void* q, bool to_u8, int64_t n, int64_t c, int64_t hw, float inv_scale);
// The same into the space-to-depth layout of block 2 that a stride-2 stem conv reads as a
// stride-1 conv (space_to_depth_geometry): out[img, y, x, (dy*c + ch)*2 + dx] = quantize(
// in[img, ch, 2y + dy, 2x + dx]), [n, h/2, w/2, 4c] bytes; h and w even.
void quantize_nchw_to_s2d_nhwc(const float* x, void* q, bool to_u8, int64_t n, int64_t c, int64_t h, int64_t w,
                               float inv_scale);
// The same into Im2col's patch rows ([oh * ow][k_pad] codes; taps outside the image and the
// padding codes past c * kh * kw are 0, the zero point, which has to be 0), one image.
// Output rows [r0, r1) only (a row chain's band; the rows' bytes at their place in q).
void quantize_nchw_to_im2col(const float* x, void* q, bool to_u8, const Im2col& im, float inv_scale, int64_t r0,
                             int64_t r1);

// Gather along channels of a dense nhwc int8 tensor (any N): out[p, j] = in[p, channels[j]]
// (int8_channel_gather.cpp). Planned once per step; the shape of `channels` picks the loop.
struct ChannelGather {
  enum class Kind { kEvenOdd, kInterleave, kRuns } kind = Kind::kRuns;
  int64_t c_in = 0, c_out = 0;
  int64_t a = 0, b = 0;  // kEvenOdd: first channel (0 or 1); kInterleave: the two runs' starts
  struct Run {
    int64_t src, dst, len;
  };
  std::vector<Run> runs;  // kRuns: contiguous channel runs
};
ChannelGather plan_channel_gather(int64_t c_in, const std::vector<int64_t>& channels);
void run_channel_gather(const ChannelGather& g, const void* in, void* out, int64_t pixels);

// The same gather from the inputs of a channel Concat that is never written (a ShuffleNetV2
// shuffle: Concat -> channel Gathers): out[p, j] = src_k[p, c] for the (k, c) that Concat
// channel channels[j] comes from. Planned as per-pixel pieces: interleaves of two channel runs
// (from any two sources) and runs of step 1 or 2 within one source.
struct MultiGather {
  struct Piece {
    int a_src = 0, b_src = -1;  // b_src >= 0: interleave out[2t] = a[a_ch + t], out[2t+1] = b[b_ch + t]
    int64_t a_ch = 0, b_ch = 0, step = 1;  // otherwise out[t] = a[a_ch + step * t]
    int64_t dst = 0, len = 0;              // output channels dst .. dst + len (interleave: 2 * len)
  };
  std::vector<int64_t> src_channels;  // channel count of each source
  int64_t c_out = 0;
  std::vector<Piece> pieces;
};
// `source_channels`: the Concat inputs' channel counts, in order; `channels`: the Gather's indices
// into the Concat output (valid, checked by the caller).
MultiGather plan_multi_gather(const std::vector<int64_t>& source_channels, const std::vector<int64_t>& channels);
void run_multi_gather(const MultiGather& g, const void* const* srcs, void* out, int64_t pixels);

// A pooling window over a dense nhwc tensor (dilation 1); every window holds at least one input cell.
struct PoolNhwc {
  int64_t n = 0, c = 0, ih = 0, iw = 0, oh = 0, ow = 0;
  int64_t kh = 0, kw = 0, sh = 1, sw = 1, pt = 0, pl = 0;  // kernel, strides, top/left pads
};

// MaxPool over a dense nhwc int8 tensor, out of bounds cells skipped (ONNX: pads never win a
// max), in yoloq's loop (int8_maxpool.cpp says why). Needs AVX-512BW: maxpool_nhwc_supported();
// otherwise the planner keeps oneDNN's pooling.
bool maxpool_nhwc_supported();
void run_maxpool_nhwc(const PoolNhwc& p, const void* in, void* out, bool u8);

// AveragePool from one int8 value to another (int8_avgpool.cpp): y = quantize(in_scale *
// sum(q - in_zp) / count, out) over each window's input cells, count the window size
// (count_include_pad: padded cells are real zeros) or its input cells. Needs AVX-512BW and VL:
// avgpool_nhwc_supported(); otherwise the pool runs in float.
struct AvgPoolQuant {
  bool count_include_pad = false;
  bool in_u8 = false, out_u8 = false;
  int32_t in_zp = 0, out_zp = 0;
  float in_scale = 1.f, inv_out_scale = 1.f;
};
bool avgpool_nhwc_supported();
void run_avgpool_nhwc(const PoolNhwc& p, const AvgPoolQuant& q, const void* in, void* out);

// An elementwise function of one 8-bit code, as a table indexed by the code's byte (an s8 code
// -1 is byte 255): out = table[in] (int8_table.cpp). How the engine runs a yq Activation between
// two int8 values: f evaluated once per code, so the cost is a byte shuffle, whatever f is.
struct ByteTable {
  uint8_t out[256];
};
// table[byte(q)] = quantize(f(dequantize(q, in)), out) for every code q of `in`'s data type, with
// quant/qmath's rounding, so the table equals the fake-quant reference exactly.
ByteTable make_byte_table(const ir::QParams& in, const ir::QParams& out, const std::function<float(float)>& f);
void run_byte_table(const ByteTable& t, const void* in, void* out, int64_t n);
// The same over `rows` dense rows of `row_len` codes, each written `out_stride` bytes after the
// previous one: a table whose output is one input of an nhwc Concat along channels, written
// straight into the Concat's pixels (the engine's concat then skips that input).
void run_byte_table_rows(const ByteTable& t, const void* in, void* out, int64_t rows, int64_t row_len,
                         int64_t out_stride);

// A 1x1 int8 conv (stride 1, no padding, one group, no residual) whose output only a ByteTable
// reads, as one pass (int8_pointwise_table.cpp): per output channel c, pre = saturate(
// round_half_even(fma((acc + bias[c]) * scale[c], alpha, beta))) to the pre-activation's code
// range (oneDNN's int8 epilogue and its linear post-op, float operation by float operation: the
// same codes), then out = table[byte(pre)]. acc sums u8 (or s8) source codes times s8 weights
// over ic channels. Why: the table pass after each of YOLOX-Nano's
// 1x1 convs cost a read and a write of every code; here the codes go from the accumulator
// through the table in registers.
// The same kernel also runs a 1x1 int8 conv whose HardSwish and per-channel factor stay in its
// epilogue (Epilogue::kHardSwish, make_pointwise_hardswish): out = saturate(round_half_even(
// hardswish(f) * out_mul[c] + out_zp)), f = (acc + bias[c]) * scale[c] as above, hardswish(f) =
// f * min(max(f / 6 + 1/2, 0), 1). How the engine runs the convs writing an equalized depthwise
// input (quant/equalize_depthwise.h: the factors come after the activation, so no table can
// carry them), which oneDNN 2.6 runs with a binary post-op at 1.5-2x the time of its plain conv.
// Not oneDNN's float operations one by one: a code can differ from its conv at a rounding tie.
// Needs ic % 4 == 0 (nullopt otherwise) and AVX-512 VNNI + VBMI to run. An oc off 16 computes its
// last block whole and stores its real channels under a mask.
struct PointwiseTable {
  enum class Epilogue { kTable, kHardSwish };
  Epilogue epilogue = Epilogue::kTable;
  int64_t ic = 0, oc = 0;
  bool src_s8 = false, dst_u8 = true;  // dst_u8: the pre-activation's (kHardSwish: output's) codes are u8
  float alpha = 1.f, beta = 0.f;
  std::vector<int8_t> weights;         // [ceil(oc / 16)][ic / 4][16][4], zeros past oc
  std::vector<float> scale, bias;      // per output channel (zeros past oc); bias in accumulator units
  std::vector<int32_t> compensation;   // per output channel: 128 * sum of weights for an s8 source
  ByteTable table;                     // kTable
  std::vector<float> out_mul;          // kHardSwish: per output channel (factor / output scale)
  float out_zp = 0.f;                  // kHardSwish: the output's zero point
};
bool pointwise_table_supported();
// w: [oc][ic] int8 codes; bias may be null (zero).
std::optional<PointwiseTable> make_pointwise_table(const int8_t* w, int64_t oc, int64_t ic, const float* scale,
                                                   const float* bias, float alpha, float beta, bool src_s8,
                                                   bool dst_u8, const ByteTable& table);
std::optional<PointwiseTable> make_pointwise_hardswish(const int8_t* w, int64_t oc, int64_t ic, const float* scale,
                                                       const float* bias, const float* out_mul, float out_zp,
                                                       bool src_s8, bool dst_u8);
// Pixels [p0, p1): source pixel p at src + p * src_pixel_stride (ic codes); its oc outputs at
// byte p * oc of a destination laid out in rows of dst_row_len bytes, dst_row_stride apart (dense:
// both the same; a Concat's pixels or a padded buffer's rows: as run_byte_table_rows).
void run_pointwise_table(const PointwiseTable& k, const void* src, int64_t src_pixel_stride, void* dst,
                         int64_t dst_row_len, int64_t dst_row_stride, int64_t p0, int64_t p1);

// A residual block's activation and add between 8-bit codes (int8_table_add.cpp): y =
// quantize(f(dequantize(t)) + dequantize(r), y) elementwise over n values of one dense layout.
// How the engine runs Activation(t) -> Add(., r) when t, r and y are int8 and the activation's
// output is read by that Add alone (the split a residual conv gets with table activations,
// quant/split_activations.h).
// Numerics: table[c] = f(dequantize(c, t)) / s_y, then v = table[t] + (r - zp_r) * (s_r / s_y)
// + zp_y, rounded half to even and clamped to y's code range: the reference's round((a + R) /
// s_y) + zp_y with the division distributed, so a value exactly at a rounding tie may land one
// code away from it (1 LSB).
struct TableAdd {
  float table[256];  // by t's code byte
  float r_scale = 1.f, offset = 0.f;
  bool r_u8 = false;
  int32_t qmin = -128, qmax = 127;  // y's code range
};
TableAdd make_table_add(const ir::QParams& t, const ir::QParams& r, const ir::QParams& y,
                        const std::function<float(float)>& f);
void run_table_add(const TableAdd& ta, const void* t, const void* r, void* y, int64_t n);
// The same over `rows` dense rows of `row_len` values (t and r), each written `out_stride` bytes
// after the previous one: a residual block's output that is one input of an nhwc Concat along
// channels, written straight into the Concat's pixels (as run_byte_table_rows).
void run_table_add_rows(const TableAdd& ta, const void* t, const void* r, void* y, int64_t rows, int64_t row_len,
                        int64_t out_stride);

// Nearest upsampling of a dense nhwc image (one image, h x w pixels of c codes) by integer factors
// fy, fx: output pixel (y, x) is input pixel (y / fy, x / fx), written out_pixel_stride bytes per
// pixel (c for a dense output, C_total to write one input of an nhwc Concat along channels). How
// the engine runs a 2x Resize whose output only a Concat reads (int8_upsample.cpp): the oneDNN
// resampling and the Concat's copy of its output become one pass. Exact (codes only move).
struct UpsampleNearest {
  int64_t h = 0, w = 0, c = 0, fy = 1, fx = 1, out_pixel_stride = 0;
};
void run_upsample_nearest(const UpsampleNearest& u, const void* in, void* out);

// `d` with its data type replaced (same dims and layout).
dnnl::memory::desc with_data_type(const dnnl::memory::desc& d, dnnl::memory::data_type dt);
// Dense row-major desc of data type `dt`.
dnnl::memory::desc plain_desc(const Shape& s, dnnl::memory::data_type dt);

}  // namespace yq::runtime::int8
