// SPDX-License-Identifier: Apache-2.0
#include "ir/onnx/onnx_import.h"
