// SPDX-License-Identifier: Apache-2.0
// The table of reference kernels. Explicit (not static self-registration) so that linking the
// static library can never silently drop a kernel.
#include <map>

#include "runtime/kernels/ref/ref_kernels.h"
#include "runtime/kernels/ref/ref_ops.h"

namespace yq::runtime::ref {

RefKernelFn find_ref_kernel(const std::string& op_type) {
  static const std::map<std::string, RefKernelFn> kTable = {
      YQ_REF_KERNEL_TABLE
  };
  auto it = kTable.find(op_type);
  return it == kTable.end() ? nullptr : it->second;
}

Expected<std::vector<Tensor>> RefEvaluator::evaluate(const ir::Node& node, std::span<const Tensor* const> inputs,
                                                     std::span<const ir::TensorInfo> outputs) const {
  RefKernelFn fn = find_ref_kernel(node.op_type);
  if (!fn) return unsupported("no reference kernel for op " + node.op_type);
  std::vector<Tensor> out;
  out.reserve(outputs.size());
  for (const ir::TensorInfo& info : outputs) out.push_back(Tensor::empty(info.dtype, info.shape));
  YQ_RETURN_IF_ERROR(fn(node, inputs, out));
  return out;
}

}  // namespace yq::runtime::ref
