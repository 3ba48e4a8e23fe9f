// SPDX-License-Identifier: Apache-2.0
#include "runtime/row_chain.h"

#include <algorithm>
#include <memory>

namespace yq::runtime {

using dnnl::memory;

std::pair<int64_t, int64_t> row_band(int64_t rows, int band, int bands) {
  return {rows * band / bands, rows * (band + 1) / bands};
}

std::optional<memory::desc> image_rows_desc(const memory::desc& d, int64_t rows) {
  const dnnl_memory_desc_t& md = d.data;
  if (md.ndims != 4 || md.format_kind != dnnl_blocked || md.offset0 != 0 || md.dims[0] != 1) return std::nullopt;
  const dnnl_blocking_desc_t& b = md.format_desc.blocking;
  if (b.inner_nblks != 0 || md.extra.flags != 0) return std::nullopt;
  const int64_t w = md.dims[3];
  if (b.strides[1] != 1 || b.strides[3] < md.dims[1] || b.strides[2] != w * b.strides[3]) return std::nullopt;
  const memory::dims dims = {1, md.dims[1], rows, w};
  const memory::dims strides = {rows * b.strides[2], 1, b.strides[2], b.strides[3]};
  return memory::desc(dims, d.data_type(), strides);
}

int64_t image_row_bytes(const memory::desc& d) {
  return d.data.format_desc.blocking.strides[2] * static_cast<int64_t>(memory::data_type_size(d.data_type()));
}

namespace {

struct ConvDesc {
  const_dnnl_primitive_desc_t pd = nullptr;
  const dnnl_convolution_desc_t* cd = nullptr;
};

std::optional<ConvDesc> conv_desc(const dnnl::primitive& full) {
  ConvDesc c;
  if (dnnl_primitive_get_primitive_desc(full.get(), &c.pd) != dnnl_success) return std::nullopt;
  if (dnnl_primitive_desc_query(c.pd, dnnl_query_convolution_d, 0, &c.cd) != dnnl_success || c.cd == nullptr)
    return std::nullopt;
  if (c.cd->prop_kind != dnnl_forward_inference || c.cd->src_desc.ndims != 4) return std::nullopt;
  if (c.cd->dilates[0] != 0 || c.cd->dilates[1] != 0) return std::nullopt;
  return c;
}

}  // namespace

std::optional<ConvRows> conv_rows(const dnnl::primitive& full) {
  const std::optional<ConvDesc> c = conv_desc(full);
  if (!c) return std::nullopt;
  const dnnl_memory_desc_t* w = dnnl_primitive_desc_query_md(c->pd, dnnl_query_weights_md, 0);
  if (w == nullptr || w->ndims < 4) return std::nullopt;
  return ConvRows{w->dims[w->ndims - 2], c->cd->strides[0], c->cd->padding[0][0], c->cd->src_desc.dims[2],
                  c->cd->dst_desc.dims[2]};
}

RowCut cut_rows(const ConvRows& g, int64_t r0, int64_t r1) {
  const int64_t first = r0 * g.stride - g.pad_top, last = (r1 - 1) * g.stride - g.pad_top + g.kh - 1;
  RowCut c;
  c.in0 = std::max<int64_t>(first, 0);
  c.in1 = std::min<int64_t>(last + 1, g.in_rows);
  c.pad_top = c.in0 - first;
  c.pad_bottom = last + 1 - c.in1;
  return c;
}

std::optional<dnnl::primitive> conv_over_rows(const dnnl::primitive& full, const memory::desc& src,
                                              const memory::desc& dst, const RowCut& cut, memory::desc* scratchpad) {
  const std::optional<ConvDesc> c = conv_desc(full);
  if (!c) return std::nullopt;
  const dnnl_memory_desc_t* w = dnnl_primitive_desc_query_md(c->pd, dnnl_query_weights_md, 0);
  const dnnl_memory_desc_t* bias = dnnl_primitive_desc_query_md(c->pd, dnnl_query_weights_md, 1);
  if (w == nullptr) return std::nullopt;
  dnnl_convolution_desc_t d = *c->cd;
  d.src_desc = src.data;
  d.dst_desc = dst.data;
  d.weights_desc = *w;
  if (bias != nullptr) d.bias_desc = *bias;
  d.padding[0][0] = cut.pad_top;
  d.padding[1][0] = cut.pad_bottom;
  const_dnnl_primitive_attr_t attr = nullptr;
  dnnl_engine_t eng = nullptr;
  if (dnnl_primitive_desc_get_attr(c->pd, &attr) != dnnl_success ||
      dnnl_primitive_desc_query(c->pd, dnnl_query_engine, 0, &eng) != dnnl_success)
    return std::nullopt;
  dnnl_primitive_desc_t cut_pd = nullptr;
  if (dnnl_primitive_desc_create(&cut_pd, &d, attr, eng, nullptr) != dnnl_success) return std::nullopt;
  std::unique_ptr<dnnl_primitive_desc, decltype(&dnnl_primitive_desc_destroy)> owned(cut_pd,
                                                                                     &dnnl_primitive_desc_destroy);
  const dnnl_memory_desc_t* cut_w = dnnl_primitive_desc_query_md(cut_pd, dnnl_query_weights_md, 0);
  if (cut_w == nullptr || !dnnl_memory_desc_equal(cut_w, w)) return std::nullopt;
  const dnnl_memory_desc_t* sp = dnnl_primitive_desc_query_md(cut_pd, dnnl_query_scratchpad_md, 0);
  *scratchpad = sp ? memory::desc(*sp) : memory::desc();
  dnnl_primitive_t prim = nullptr;
  if (dnnl_primitive_create(&prim, cut_pd) != dnnl_success) return std::nullopt;
  return dnnl::primitive(prim);
}

}  // namespace yq::runtime
