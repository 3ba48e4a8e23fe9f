// SPDX-License-Identifier: Apache-2.0
#include "detect/decoders/yolov6.h"

#include "detect/decoders/common.h"

namespace yq::detect {

Status decode_yolov6(const ModelSpec& spec, std::span<const Tensor> outputs, std::vector<Detection>* candidates) {
  YQ_ASSIGN_OR_RETURN(auto outs, internal::ordered_outputs(spec, outputs, 1));
  if (!spec.decoded) return unsupported("yolov6: only the decoded export ([1,N,5+nc]) is supported");
  return internal::decode_decoded_rows(spec, *outs[0], candidates);
}

}  // namespace yq::detect
