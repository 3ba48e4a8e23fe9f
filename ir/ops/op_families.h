// SPDX-License-Identifier: Apache-2.0
// One function per op family (one .cpp each in this folder) adds that family's schemas.
#pragma once

#include <map>
#include <string>

#include "ir/op_schema.h"

namespace yq::ir {

using SchemaMap = std::map<std::string, OpSchema>;
using AddSchemasFn = void (*)(SchemaMap&);

// Placeholder family so the registry links before the real families land; lists the op names
// with no shape function. Replaced by the real families (elementwise, conv, pool, tensor, ...).
void add_placeholder_schemas(SchemaMap& m);

inline constexpr AddSchemasFn kOpFamilies[] = {&add_placeholder_schemas};

}  // namespace yq::ir
