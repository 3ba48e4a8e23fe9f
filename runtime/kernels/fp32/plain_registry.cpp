// SPDX-License-Identifier: Apache-2.0
// The table of plain-layout kernels (explicit, like the reference and oneDNN tables, so linking
// the static library can never silently drop one).
#include <map>

#include "runtime/kernels/fp32/plain_kernels.h"

namespace yq::runtime::fp32 {

PlainKernelFn find_plain_kernel(const std::string& op_type) {
  static const std::map<std::string, PlainKernelFn> kTable = {
      {"Transpose", &plain_transpose}, {"Concat", &plain_concat}, {"Split", &plain_split},
      {"Slice", &plain_slice},         {"Gather", &plain_gather}, {"Pad", &plain_pad},
      {"Add", &plain_add},             {"Sub", &plain_sub},       {"Mul", &plain_mul},
      {"Div", &plain_div},             {"Pow", &plain_pow},       {"Softmax", &plain_softmax},
      {"Sigmoid", &plain_sigmoid},     {"Exp", &plain_exp},       {"Tanh", &plain_tanh},
      {"Sqrt", &plain_sqrt},           {"Relu", &plain_relu},     {"Neg", &plain_neg},
  };
  auto it = kTable.find(op_type);
  return it == kTable.end() ? nullptr : it->second;
}

bool plain_preferred_over_onednn(const std::string& op_type) { return op_type == "Concat"; }

}  // namespace yq::runtime::fp32
