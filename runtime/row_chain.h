// SPDX-License-Identifier: Apache-2.0
// Internal to yoloq_runtime (includes <dnnl.hpp>). Row chains: a run of consecutive int8 steps
// over the same image rows (convs, byte tables, table + add) runs in one OpenMP region, each thread
// through the whole run on its own band of output rows (Engine::Impl::plan_row_chains,
// run_row_chain). A step whose rows read rows of other bands (a 3x3 conv's halo) waits at a
// barrier for every band to finish the steps before it; the others run straight through.
//
// Why: an INT8 YOLOX-Nano run is about 250 steps, most of them small (a 64-channel 1x1 conv at
// 26x26 is 10 us). One at a time, each step pays a fork and a join and splits its few rows across
// the threads; in a chain there is one of each per run of steps, and a thread's band of rows stays
// in its core's cache from one step to the next. Stand-alone, seven (1x1 conv + table) layers on 2
// threads took 0.67 (64 channels at 13x13) to 0.94 (64 at 52x52) of the step-at-a-time time.
#pragma once

#include <dnnl.hpp>

#include <cstdint>
#include <optional>
#include <utility>

namespace yq::runtime {

// Image rows [first, second) of band `band` of `bands` over `rows` (bands differ by at most a row).
std::pair<int64_t, int64_t> row_band(int64_t rows, int band, int bands);

// `d` cut to its first `rows` image rows, or nullopt unless `d` is 4-D with N = 1 and row-major
// pixels: channel stride 1, no blocking, no offset, the row stride W times the pixel stride (so
// rows [r0, r0 + rows) are the same desc at a byte offset of r0 * image_row_bytes(d)). Dense nhwc
// qualifies, and so does a channel slice of a wider nhwc buffer.
std::optional<dnnl::memory::desc> image_rows_desc(const dnnl::memory::desc& d, int64_t rows);
int64_t image_row_bytes(const dnnl::memory::desc& d);

// A 2-D convolution primitive's vertical geometry: what cutting its output into bands of rows
// needs. Output row y reads input rows y * stride - pad_top + [0, kh) (those inside [0, in_rows)).
struct ConvRows {
  int64_t kh = 1, stride = 1, pad_top = 0, in_rows = 0, out_rows = 0;
};
// nullopt unless `full` is a forward-inference 2-D convolution without dilation.
std::optional<ConvRows> conv_rows(const dnnl::primitive& full);

// The input rows [in0, in1) that output rows [r0, r1) read, and the padding the cut has above and
// below them (the conv's own at the image's top and bottom edges, none between bands).
struct RowCut {
  int64_t in0 = 0, in1 = 0, pad_top = 0, pad_bottom = 0;
};
RowCut cut_rows(const ConvRows& g, int64_t r0, int64_t r1);

// `full` over src and dst cut to a band of rows (image_rows_desc) with the cut's vertical padding:
// the same weights layout, bias, attributes and horizontal geometry, so it reads the weights
// `full` was bound with. nullopt when oneDNN has no kernel for the cut taking that weights layout.
// *scratchpad gets the new primitive's scratchpad desc.
std::optional<dnnl::primitive> conv_over_rows(const dnnl::primitive& full, const dnnl::memory::desc& src,
                                              const dnnl::memory::desc& dst, const RowCut& cut,
                                              dnnl::memory::desc* scratchpad);

}  // namespace yq::runtime
