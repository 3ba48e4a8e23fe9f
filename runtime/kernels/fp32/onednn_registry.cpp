// SPDX-License-Identifier: Apache-2.0
// The oneDNN kernel table and the helpers the factories share. The table is explicit (not static
// self-registration) so that linking the static library can never silently drop a kernel.
#include <map>

#include "runtime/kernels/fp32/onednn_kernel.h"

namespace yq::runtime::fp32 {

DnnlFactory find_onednn_factory(const std::string& op_type) {
  static const std::map<std::string, DnnlFactory> kTable = {
      {"Conv", &make_conv},
      {"FusedConv", &make_conv},
      {"MaxPool", &make_pool},
      {"AveragePool", &make_pool},
      {"GlobalAveragePool", &make_pool},
      {"GlobalMaxPool", &make_pool},
      {"Concat", &make_concat},
      {"Add", &make_binary},
      {"Sub", &make_binary},
      {"Mul", &make_binary},
      {"Div", &make_binary},
      {"Relu", &make_unary},
      {"LeakyRelu", &make_unary},
      {"Sigmoid", &make_unary},
      {"Tanh", &make_unary},
      {"Exp", &make_unary},
      {"HardSwish", &make_unary},
      {"HardSigmoid", &make_unary},
      {"Clip", &make_unary},
      {"Activation", &make_unary},
      {"Resize", &make_resize},
  };
  auto it = kTable.find(op_type);
  return it == kTable.end() ? nullptr : it->second;
}

dnnl::memory::dims to_dims(const Shape& s) {
  if (s.empty()) return {1};
  return dnnl::memory::dims(s.begin(), s.end());
}

dnnl::memory::desc plain_desc(const dnnl::memory::dims& dims) {
  const dnnl::memory::dims d = to_dims(dims);
  dnnl::memory::dims strides(d.size());
  int64_t stride = 1;
  for (size_t i = d.size(); i-- > 0;) {
    strides[i] = stride;
    stride *= d[i];
  }
  return dnnl::memory::desc(d, dnnl::memory::data_type::f32, strides);
}

bool is_plain(const dnnl::memory::desc& d) {
  if (d.is_zero()) return false;
  return d == plain_desc(d.dims());
}

dnnl::primitive_attr base_attr() {
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return attr;
}

dnnl::memory pack_constant(const Tensor& src, const dnnl::memory::dims& plain_dims, const dnnl::memory::desc& dst_desc,
                           const dnnl::engine& eng) {
  dnnl::memory user(plain_desc(plain_dims), eng, const_cast<void*>(src.raw()));
  dnnl::memory packed(dst_desc, eng);
  dnnl::stream s(eng);
  dnnl::reorder(user, packed).execute(s, user, packed);
  s.wait();
  return packed;
}

}  // namespace yq::runtime::fp32
