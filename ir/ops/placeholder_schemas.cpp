// SPDX-License-Identifier: Apache-2.0
#include "ir/ops/op_families.h"

namespace yq::ir {

void add_placeholder_schemas(SchemaMap& m) {
  for (const char* op :
       {"Conv", "ConvTranspose", "BatchNormalization", "Add", "Sub", "Mul", "Div", "Pow", "Sqrt", "Sigmoid", "Relu",
        "LeakyRelu", "HardSigmoid", "HardSwish", "Tanh", "Exp", "Clip", "Softmax", "Concat", "Split", "Slice",
        "Gather", "MaxPool", "AveragePool", "GlobalAveragePool", "Resize", "Upsample", "Reshape", "Flatten",
        "Transpose", "Squeeze", "Unsqueeze", "Pad", "MatMul", "Gemm", "Identity", "Dropout", "Constant", "Shape",
        "Cast", "ConstantOfShape", "Expand", "Range", "Equal", "Where", "ReduceMean", "Floor", "Neg", "FusedConv"}) {
    OpSchema s;
    s.op_type = op;
    s.max_inputs = 8;
    s.min_inputs = 0;
    s.max_outputs = 8;
    m[op] = s;
  }
}

}  // namespace yq::ir
