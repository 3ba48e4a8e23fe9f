// SPDX-License-Identifier: Apache-2.0
#include "base/npy.h"

#include <gtest/gtest.h>

namespace yq {

TEST(Npy, RoundTripKeepsShapeDtypeAndBytes) {
  Tensor t = Tensor::from_vector<float>({1.f, -2.5f, 3.f, 4.f, 5.f, 6.f}, {2, 3});
  auto back = parse_npy(serialize_npy(t), "mem");
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->shape(), (Shape{2, 3}));
  EXPECT_EQ(back->dtype(), DType::kF32);
  EXPECT_EQ(back->data<float>()[1], -2.5f);
}

TEST(Npy, TruncatedDataIsAnErrorNotACrash) {
  Tensor t = Tensor::from_vector<int64_t>({1, 2, 3}, {3});
  std::string bytes = serialize_npy(t);
  bytes.resize(bytes.size() - 4);
  auto back = parse_npy(bytes, "x.npy");
  ASSERT_FALSE(back.ok());
  EXPECT_NE(back.status().message().find("x.npy"), std::string::npos);
  EXPECT_NE(back.status().message().find("truncated"), std::string::npos);
}

TEST(Npy, NotNpyIsRejected) { EXPECT_FALSE(parse_npy("hello world", "h").ok()); }

}  // namespace yq
