// SPDX-License-Identifier: Apache-2.0
// Plain-layout fast kernels (runtime/kernels/fp32/plain_kernels.h) against the reference kernels:
// data movement must match bit for bit, arithmetic within 1e-4·max|ref| + 1e-5. Shapes are odd
// (primes, unit dims, sizes around the 16-wide transpose tile) and some are large enough to take
// the multi-threaded and split-row paths. Then the planner: plain kernels replace reference ones on
// the oneDNN path only, a concat of plain tensors runs on the plain kernel, and a depthwise conv
// fed by a plain tensor is not left on oneDNN's gemm.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include <cstdint>
#include <cstring>
#include <tuple>

#include "base/threads.h"
#include "runtime/kernels/fp32/plain_kernels.h"
#include "runtime/kernels/ref/ref_ops.h"
#include "tests/runtime/engine_test_util.h"

namespace yq::runtime {
namespace {

using testing::add_act;
using testing::add_const;
using testing::add_input;
using testing::compare_onednn_vs_ref;
using testing::expect_close;
using testing::random_tensor;

ir::Node make_node(const std::string& op, ir::Attributes a = {}) {
  ir::Node n;
  n.op_type = op;
  n.name = op + "_test";
  n.attrs = std::move(a);
  return n;
}

// Runs the plain kernel and the reference kernel for `op` on the same inputs and output shapes.
// exact: byte-identical outputs; otherwise the tolerance of expect_close.
void check_op(const ir::Node& n, const std::vector<const Tensor*>& in, const std::vector<Shape>& out_shapes,
              bool exact, const std::string& what, DType out_dtype = DType::kF32) {
  fp32::PlainKernelFn fast = fp32::find_plain_kernel(n.op_type);
  runtime::ref::RefKernelFn ref = runtime::ref::find_ref_kernel(n.op_type);
  ASSERT_NE(fast, nullptr) << n.op_type;
  ASSERT_NE(ref, nullptr) << n.op_type;
  for (int threads : {1, 2}) {
    set_num_threads(threads);
    std::vector<Tensor> got, want;
    for (const Shape& s : out_shapes) {
      got.push_back(Tensor::zeros(out_dtype, s));
      want.push_back(Tensor::zeros(out_dtype, s));
    }
    Status sg = fast(n, in, got);
    Status sw = ref(n, in, want);
    ASSERT_TRUE(sw.ok()) << what << ": " << sw.message();
    ASSERT_TRUE(sg.ok()) << what << ": " << sg.message();
    for (size_t i = 0; i < got.size(); ++i) {
      const std::string label = what + " output " + std::to_string(i) + " threads " + std::to_string(threads);
      if (exact) {
        ASSERT_EQ(got[i].nbytes(), want[i].nbytes()) << label;
        EXPECT_EQ(0, std::memcmp(got[i].raw(), want[i].raw(), got[i].nbytes())) << label;
      } else {
        expect_close(got[i], want[i], label);
      }
    }
  }
}

Shape permuted(const Shape& s, const std::vector<int64_t>& perm) {
  Shape o;
  for (int64_t p : perm) o.push_back(s[p]);
  return o;
}

struct TransposeCase {
  Shape in;
  std::vector<int64_t> perm;
};

TEST(PlainKernels, TransposeMatchesReference) {
  const std::vector<TransposeCase> cases = {
      {{7, 5}, {1, 0}},
      {{1, 3, 85, 20, 20}, {0, 1, 3, 4, 2}},  // YOLOv5 head: one axis moves to the end (tiled)
      {{1, 3, 85, 80, 80}, {0, 1, 3, 4, 2}},  // large: parallel tiles
      {{1, 2, 29, 7, 9}, {0, 2, 1, 3, 4}},    // channel shuffle: contiguous rows
      {{1, 2, 58, 44, 44}, {0, 2, 1, 3, 4}},  // large channel shuffle
      {{3, 17, 15, 2}, {3, 1, 0, 2}},         // general, small inner
      {{2, 3, 4, 5, 6, 7}, {5, 4, 3, 2, 1, 0}},
      {{33, 1, 17}, {2, 1, 0}},
      {{1}, {0}},
  };
  for (const auto& c : cases) {
    Tensor x = random_tensor(c.in, 3);
    ir::Attributes a;
    a.set("perm", c.perm);
    check_op(make_node("Transpose", a), {&x}, {permuted(c.in, c.perm)}, true, "transpose " + shape_str(c.in));
  }
  // No perm attribute: reverse the axes. And an 8-byte dtype.
  Tensor x = random_tensor({4, 6, 19}, 4);
  check_op(make_node("Transpose"), {&x}, {{19, 6, 4}}, true, "transpose default perm");
  Tensor xi = Tensor::empty(DType::kI64, {5, 18, 17});
  for (int64_t i = 0; i < xi.numel(); ++i) xi.data<int64_t>()[i] = i * 7919;
  ir::Attributes a;
  a.set("perm", std::vector<int64_t>{2, 0, 1});
  check_op(make_node("Transpose", a), {&xi}, {{17, 5, 18}}, true, "transpose i64", DType::kI64);
}

TEST(PlainKernels, TransposeBadPermIsReportedLikeReference) {
  Tensor x = random_tensor({2, 3}, 1);
  ir::Attributes a;
  a.set("perm", std::vector<int64_t>{0, 0});
  std::vector<Tensor> out = {Tensor::zeros(DType::kF32, {2, 3})};
  const Tensor* in[] = {&x};
  Status s = fp32::plain_transpose(make_node("Transpose", a), in, out);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("Transpose_test"), std::string::npos) << s.message();
}

TEST(PlainKernels, ConcatMatchesReference) {
  // YOLOv5's detection concat: three [1, n, 85] along axis 1 (one long copy each, split in pieces).
  Tensor a = random_tensor({1, 19200, 85}, 1), b = random_tensor({1, 4800, 85}, 2), c = random_tensor({1, 1200, 85}, 3);
  ir::Attributes ax1;
  ax1.set("axis", int64_t{1});
  check_op(make_node("Concat", ax1), {&a, &b, &c}, {{1, 25200, 85}}, true, "concat yolov5");
  // Channel concat of NCHW tensors with odd sizes, negative axis on the last dim, outer > 1.
  Tensor p = random_tensor({2, 3, 5, 7}, 4), q = random_tensor({2, 1, 5, 7}, 5), r = random_tensor({2, 11, 5, 7}, 6);
  check_op(make_node("Concat", ax1), {&p, &q, &r}, {{2, 15, 5, 7}}, true, "concat channels");
  ir::Attributes last;
  last.set("axis", int64_t{-1});
  Tensor u = random_tensor({3, 4, 1}, 7), v = random_tensor({3, 4, 2}, 8);
  check_op(make_node("Concat", last), {&u, &v, &u}, {{3, 4, 4}}, true, "concat last axis");
  // An empty input contributes nothing.
  Tensor e = random_tensor({2, 0, 5, 7}, 9);
  check_op(make_node("Concat", ax1), {&p, &e, &q}, {{2, 4, 5, 7}}, true, "concat with empty input");
}

TEST(PlainKernels, SplitMatchesReference) {
  Tensor x = random_tensor({1, 3, 80, 80, 85}, 1);
  ir::Attributes a;
  a.set("axis", int64_t{4});
  check_op(make_node("Split", a), {&x}, {{1, 3, 80, 80, 2}, {1, 3, 80, 80, 2}, {1, 3, 80, 80, 81}}, true,
           "split last axis");
  Tensor y = random_tensor({1, 116, 22, 22}, 2);
  ir::Attributes c;
  c.set("axis", int64_t{1});
  check_op(make_node("Split", c), {&y}, {{1, 58, 22, 22}, {1, 58, 22, 22}}, true, "split channels");
  Tensor z = random_tensor({5, 7}, 3);
  ir::Attributes n;
  n.set("axis", int64_t{-2});
  check_op(make_node("Split", n), {&z}, {{1, 7}, {4, 7}}, true, "split rows");
}

TEST(PlainKernels, SliceMatchesReference) {
  Tensor x = random_tensor({1, 3, 416, 416}, 1);
  auto i64 = [](std::vector<int64_t> v) { return Tensor::from_vector<int64_t>(v, {static_cast<int64_t>(v.size())}); };
  // YOLOX Focus: x[..., ::2, ::2] and x[..., 1::2, ::2] (opset-10 inputs).
  Tensor st0 = i64({0, 0}), st1 = i64({1, 0}), en = i64({INT64_MAX, INT64_MAX}), ax = i64({2, 3}), sp = i64({2, 2});
  check_op(make_node("Slice"), {&x, &st0, &en, &ax, &sp}, {{1, 3, 208, 208}}, true, "focus slice 0");
  check_op(make_node("Slice"), {&x, &st1, &en, &ax, &sp}, {{1, 3, 208, 208}}, true, "focus slice 1");
  // Contiguous channel slice, negative start, omitted axes/steps.
  Tensor y = random_tensor({2, 9, 5, 3}, 2);
  Tensor s = i64({0, -4}), e = i64({2, 100});
  check_op(make_node("Slice"), {&y, &s, &e}, {{2, 4, 5, 3}}, true, "channel slice");
  // Negative step along the last axis, attribute form (opset 1).
  ir::Attributes a;
  a.set("starts", std::vector<int64_t>{-1});
  a.set("ends", std::vector<int64_t>{-1000});
  a.set("axes", std::vector<int64_t>{3});
  Tensor neg = i64({-1});
  Tensor st = i64({-1}), en2 = i64({-1000}), ax3 = i64({3});
  check_op(make_node("Slice"), {&y, &st, &en2, &ax3, &neg}, {{2, 9, 5, 3}}, true, "reverse slice");
  check_op(make_node("Slice", a), {&y}, {{2, 9, 5, 0}}, true, "empty slice (attributes)");
}

TEST(PlainKernels, GatherMatchesReference) {
  Tensor x = random_tensor({2, 7, 5, 3}, 1);
  Tensor idx = Tensor::from_vector<int64_t>({0, -1, 3, 3}, {2, 2});
  ir::Attributes a;
  a.set("axis", int64_t{1});
  check_op(make_node("Gather", a), {&x, &idx}, {{2, 2, 2, 5, 3}}, true, "gather axis 1");
  Tensor scalar = Tensor::from_vector<int32_t>({2}, {});
  ir::Attributes l;
  l.set("axis", int64_t{-1});
  check_op(make_node("Gather", l), {&x, &scalar}, {{2, 7, 5}}, true, "gather scalar index, last axis");
  Tensor bad = Tensor::from_vector<int64_t>({7}, {1});
  std::vector<Tensor> out = {Tensor::zeros(DType::kF32, {2, 1, 5, 3})};
  const Tensor* in[] = {&x, &bad};
  Status s = fp32::plain_gather(make_node("Gather", a), in, out);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("index 7"), std::string::npos) << s.message();
}

TEST(PlainKernels, PadMatchesReference) {
  Tensor x = random_tensor({1, 24, 43, 45}, 1);
  Tensor pads = Tensor::from_vector<int64_t>({0, 0, 1, 0, 0, 0, 2, 3}, {8});
  Tensor value = Tensor::scalar<float>(-0.5f);
  check_op(make_node("Pad"), {&x, &pads, &value}, {{1, 24, 46, 48}}, true, "pad constant");
  check_op(make_node("Pad"), {&x, &pads}, {{1, 24, 46, 48}}, true, "pad zero");
  // Reflect and cropping go to the reference; still the same answer.
  ir::Attributes r;
  r.set("mode", std::string("reflect"));
  check_op(make_node("Pad", r), {&x, &pads}, {{1, 24, 46, 48}}, true, "pad reflect");
  Tensor crop = Tensor::from_vector<int64_t>({0, 0, -1, 0, 0, 0, 0, 2}, {8});
  check_op(make_node("Pad"), {&x, &crop}, {{1, 24, 42, 47}}, true, "pad crop");
}

// Random bytes as an int8 / uint8 tensor.
Tensor random_bytes(DType dt, const Shape& s, uint32_t seed) {
  Tensor t = Tensor::zeros(dt, s);
  auto* p = static_cast<uint8_t*>(t.raw());
  for (size_t i = 0; i < t.nbytes(); ++i) {
    seed = seed * 1664525u + 1013904223u;
    p[i] = static_cast<uint8_t>(seed >> 24);
  }
  return t;
}

// The engine runs int8 data movement on these kernels: 1-byte elements must match the reference.
TEST(PlainKernels, DataMovementOnInt8MatchesReference) {
  for (DType dt : {DType::kI8, DType::kU8}) {
    const std::string tag = dtype_name(dt);
    Tensor x = random_bytes(dt, {1, 24, 43, 45}, 3);
    Tensor pads = Tensor::from_vector<int64_t>({0, 0, 1, 0, 0, 0, 2, 3}, {8});
    check_op(make_node("Pad"), {&x, &pads}, {{1, 24, 46, 48}}, true, tag + " pad zero", dt);
    Tensor v = random_bytes(dt, {}, 9);
    check_op(make_node("Pad"), {&x, &pads, &v}, {{1, 24, 46, 48}}, true, tag + " pad value", dt);
    ir::Attributes ta;
    ta.set("perm", std::vector<int64_t>{0, 2, 3, 1});
    check_op(make_node("Transpose", ta), {&x}, {{1, 43, 45, 24}}, true, tag + " transpose", dt);
    Tensor y = random_bytes(dt, {1, 5, 43, 45}, 4);
    ir::Attributes ca;
    ca.set("axis", int64_t{1});
    check_op(make_node("Concat", ca), {&x, &y}, {{1, 29, 43, 45}}, true, tag + " concat", dt);
    Tensor starts = Tensor::from_vector<int64_t>({1, 0}, {2}), ends = Tensor::from_vector<int64_t>({1000, 1000}, {2});
    Tensor axes = Tensor::from_vector<int64_t>({2, 3}, {2}), steps = Tensor::from_vector<int64_t>({2, 2}, {2});
    check_op(make_node("Slice"), {&x, &starts, &ends, &axes, &steps}, {{1, 24, 21, 23}}, true, tag + " slice", dt);
  }
}

// copy_strided in a channels-last layout (how the engine concatenates nhwc int8 conv outputs):
// the logical order is nchw, memory order nhwc, and the copy must land every byte.
TEST(PlainKernels, CopyStridedChannelsLast) {
  const int64_t H = 7, W = 9, C = 40, Ci = 24;
  Tensor src = random_bytes(DType::kI8, {H * W * Ci}, 1);
  std::vector<int8_t> dst(H * W * C, 0);
  const int64_t dims[4] = {1, Ci, H, W};
  const int64_t is[4] = {H * W * Ci, 1, W * Ci, Ci}, os[4] = {H * W * C, 1, W * C, C};
  ASSERT_TRUE(fp32::copy_strided(src.raw(), dst.data() + 8, 1, 4, dims, is, os));
  const int8_t* sp = src.data<int8_t>();
  for (int64_t p = 0; p < H * W; ++p)
    for (int64_t c = 0; c < C; ++c) {
      const int8_t want = c >= 8 && c < 8 + Ci ? sp[p * Ci + c - 8] : 0;
      ASSERT_EQ(dst[p * C + c], want) << "pixel " << p << " channel " << c;
    }
}

// copy_strided_sigmoid: a YOLOX-style head piece, nhwc [h*w, c] rows written into [anchors, 85]
// at a channel offset, through the sigmoid: contiguous rows (80 classes: vector blocks and a
// masked tail) and a one-channel map (objectness: rows of one value, 85 floats apart), both
// against 1 / (1 + exp(-x)) in double; nothing outside the box is written.
TEST(PlainKernels, CopyStridedSigmoidWritesTheBoxThroughTheSigmoid) {
  const int64_t P = 3 * 7 + 2, row = 85;
  for (int64_t c : {int64_t{80}, int64_t{1}, int64_t{19}}) {
    SCOPED_TRACE("channels " + std::to_string(c));
    std::vector<float> src(P * c);
    std::mt19937 rng(static_cast<uint32_t>(c));
    std::normal_distribution<float> d(0.f, 6.f);
    for (float& v : src) v = d(rng);
    std::vector<float> dst(P * row, -7.f);
    const int64_t dims[2] = {P, c}, is[2] = {c, 1}, os[2] = {row, 1};
    ASSERT_TRUE(fp32::copy_strided_sigmoid(src.data(), dst.data() + 5, 2, dims, is, os));
    for (int64_t p = 0; p < P; ++p)
      for (int64_t k = 0; k < row; ++k) {
        const float got = dst[p * row + k];
        if (k < 5 || k >= 5 + c) {
          ASSERT_EQ(got, -7.f) << "pixel " << p << " column " << k << " written";
          continue;
        }
        const double want = 1.0 / (1.0 + std::exp(-static_cast<double>(src[p * c + k - 5])));
        ASSERT_NEAR(got, want, 2e-6 * want) << "pixel " << p << " class " << k - 5;
      }
  }
}

struct BinaryCase {
  Shape a, b, y;
};

TEST(PlainKernels, BinaryMatchesReference) {
  const std::vector<BinaryCase> cases = {
      {{1, 3, 80, 80, 2}, {1, 3, 80, 80, 2}, {1, 3, 80, 80, 2}},  // same shape, parallel
      {{1, 3, 20, 20, 2}, {}, {1, 3, 20, 20, 2}},                 // scalar
      {{}, {1, 3, 20, 20, 2}, {1, 3, 20, 20, 2}},                 // scalar first
      {{1, 3, 80, 80, 2}, {1, 3, 1, 1, 2}, {1, 3, 80, 80, 2}},    // anchor grid
      {{1, 1, 20, 20, 2}, {1, 3, 20, 20, 2}, {1, 3, 20, 20, 2}},  // broadcast first input
      {{2, 37, 11, 13}, {37, 1, 1}, {2, 37, 11, 13}},             // per-channel
      {{5, 1, 7}, {1, 3, 1}, {5, 3, 7}},                          // both broadcast
      {{1, 1}, {1}, {1, 1}},
      {{1, 8400, 85}, {1, 8400, 1}, {1, 8400, 85}},
  };
  for (const char* op : {"Add", "Sub", "Mul", "Div"}) {
    for (const auto& c : cases) {
      Tensor a = random_tensor(c.a, 1), b = random_tensor(c.b, 2, 0.5f, 2.f);
      check_op(make_node(op), {&a, &b}, {c.y}, false,
               std::string(op) + " " + shape_str(c.a) + " " + shape_str(c.b));
    }
  }
  // Pow: square, square root, general exponent, tensor exponent; positive bases.
  Tensor base = random_tensor({1, 3, 20, 20, 2}, 3, 0.f, 4.f);
  for (float e : {2.f, 0.5f, 1.7f}) {
    Tensor ex = Tensor::scalar<float>(e);
    check_op(make_node("Pow"), {&base, &ex}, {{1, 3, 20, 20, 2}}, false, "pow " + std::to_string(e));
  }
  Tensor ex = random_tensor({2}, 4, -2.f, 3.f);
  check_op(make_node("Pow"), {&base, &ex}, {{1, 3, 20, 20, 2}}, false, "pow tensor exponent");
  Tensor iex = Tensor::from_vector<int64_t>({3}, {});
  check_op(make_node("Pow"), {&base, &iex}, {{1, 3, 20, 20, 2}}, false, "pow i64 exponent (reference)");
  // Integer arithmetic goes to the reference.
  Tensor ia = Tensor::from_vector<int64_t>({1, 2, 3}, {3}), ib = Tensor::from_vector<int64_t>({4}, {1});
  check_op(make_node("Add"), {&ia, &ib}, {{3}}, true, "add i64", DType::kI64);
}

TEST(PlainKernels, SoftmaxMatchesReferenceBothOpsets) {
  struct SoftmaxCase {
    Shape s;
    int64_t axis;
    bool legacy;
  };
  const std::vector<SoftmaxCase> cases = {
      {{1, 85, 22, 22}, 1, false},  // across rows: vectorised over 484 columns
      {{1, 85, 22, 22}, 1, true},   // opset 11: flattened over 85*22*22
      {{1, 80, 60, 60}, 1, true},   // one row long enough to be split across threads
      {{3, 7, 9}, -1, false},
      {{3, 7, 9}, 2, true},
      {{2, 5, 33}, 1, false},
      {{1, 4, 300, 17}, -1, false},
      {{7}, 0, false},
      {{1, 22, 22, 80}, 3, true},  // FastestDet's classes: 484 rows of 80 (the AVX-512 row loop)
      {{2, 3, 300}, -1, false},    // rows of 18 vectors and a 12-wide tail
  };
  for (const auto& c : cases) {
    Tensor x = random_tensor(c.s, 5, -8.f, 8.f);
    ir::Attributes a;
    a.set("axis", c.axis);
    if (c.legacy) a.set("yq_opset_lt13", int64_t{1});
    check_op(make_node("Softmax", a), {&x}, {c.s}, false,
             "softmax " + shape_str(c.s) + " axis " + std::to_string(c.axis) + (c.legacy ? " legacy" : ""));
  }
  // Default axes: -1 for opset 13, 1 for the legacy semantics.
  Tensor x = random_tensor({2, 3, 4}, 6);
  check_op(make_node("Softmax"), {&x}, {{2, 3, 4}}, false, "softmax default axis");
  ir::Attributes l;
  l.set("yq_opset_lt13", int64_t{1});
  check_op(make_node("Softmax", l), {&x}, {{2, 3, 4}}, false, "legacy softmax default axis");
}

TEST(PlainKernels, UnaryMatchesReference) {
  Tensor x = random_tensor({1, 3, 40, 41, 5}, 7, -6.f, 6.f);
  Tensor pos = random_tensor({3, 1001}, 8, 0.f, 9.f);
  for (const char* op : {"Sigmoid", "Exp", "Tanh", "Relu", "Neg"})
    check_op(make_node(op), {&x}, {x.shape()}, false, op);
  check_op(make_node("Sqrt"), {&pos}, {pos.shape()}, false, "Sqrt");
}

// --- planner ---

int count_prefix(const EngineStats& st, const std::string& prefix) {
  int n = 0;
  for (const KernelInfo& k : st.kernels) n += k.impl.rfind(prefix, 0) == 0;
  return n;
}

// YOLOv5-style head on plain graph inputs: Reshape -> Transpose -> Sigmoid -> Pow -> Concat.
TEST(PlainKernels, EngineUsesPlainKernelsOnlyOnOneDnnPath) {
  ir::Graph g;
  ir::ValueId x0 = add_input(g, "x0", {1, 3 * 9, 6, 5});
  ir::ValueId x1 = add_input(g, "x1", {1, 3 * 9, 3, 3});
  std::vector<ir::ValueId> flat;
  for (auto [x, h, w] : {std::tuple{x0, 6, 5}, std::tuple{x1, 3, 3}}) {
    const std::string p = g.value(x).name;
    ir::ValueId shape = g.add_constant(p + "_s", Tensor::from_vector<int64_t>({1, 3, 9, h, w}, {5}));
    ir::ValueId r = add_act(g, p + "_r", {1, 3, 9, h, w});
    g.add_node("Reshape", p + "_reshape", {x, shape}, {r});
    ir::ValueId t = add_act(g, p + "_t", {1, 3, h, w, 9});
    ir::Attributes ta;
    ta.set("perm", std::vector<int64_t>{0, 1, 3, 4, 2});
    g.add_node("Transpose", p + "_transpose", {r}, {t}, ta);
    ir::ValueId e = g.add_constant(p + "_two", Tensor::scalar<float>(2.f));
    ir::ValueId sq = add_act(g, p + "_sq", {1, 3, h, w, 9});
    g.add_node("Pow", p + "_pow", {t, e}, {sq});
    ir::ValueId fs = g.add_constant(p + "_fs", Tensor::from_vector<int64_t>({1, -1, 9}, {3}));
    ir::ValueId f = add_act(g, p + "_f", {1, 3 * h * w, 9});
    g.add_node("Reshape", p + "_flat", {sq, fs}, {f});
    flat.push_back(f);
  }
  ir::ValueId y = add_act(g, "y", {1, 3 * 30 + 3 * 9, 9});
  ir::Attributes ca;
  ca.set("axis", int64_t{1});
  g.add_node("Concat", "concat", flat, {y}, ca);
  g.add_output(y);

  std::vector<Tensor> in = {random_tensor({1, 27, 6, 5}, 1), random_tensor({1, 27, 3, 3}, 2)};
  EngineStats st = compare_onednn_vs_ref(g, in, "yolov5-style head");
  // Reshape -> Transpose and Reshape -> Concat are views copied once (runtime/strided_view.h).
  EXPECT_EQ(count_prefix(st, "view:Reshape"), 4);
  EXPECT_EQ(count_prefix(st, "plain:strided:Transpose"), 2);
  EXPECT_EQ(count_prefix(st, "plain:Pow"), 2);
  EXPECT_EQ(count_prefix(st, "plain:strided:Concat(2 pieces)"), 1);  // not oneDNN's generic concat
  EXPECT_EQ(count_prefix(st, "ref:"), 0);
  EXPECT_EQ(st.onednn_kernels, 0);

  testing::RunResult oracle = testing::run_graph(g, in, false);
  EXPECT_EQ(count_prefix(oracle.stats, "plain:"), 0);  // the reference path stays the oracle
}

// A depthwise conv whose input is plain (a graph input, or a channel shuffle's output) must get a
// blocked oneDNN kernel after a reorder, not gemm on the plain tensor.
TEST(PlainKernels, DepthwiseConvOnPlainInputAvoidsGemm) {
  ir::Graph g;
  ir::ValueId x = add_input(g, "x", {1, 48, 22, 22});
  ir::ValueId w = add_const(g, "w", {48, 1, 3, 3}, 3);
  ir::ValueId y = add_act(g, "y", {1, 48, 22, 22});
  ir::Attributes a;
  a.set("kernel_shape", std::vector<int64_t>{3, 3});
  a.set("pads", std::vector<int64_t>{1, 1, 1, 1});
  a.set("group", int64_t{48});
  g.add_node("Conv", "dw", {x, w}, {y}, a);
  g.add_output(y);
  EngineStats st = compare_onednn_vs_ref(g, {random_tensor({1, 48, 22, 22}, 4)}, "depthwise on plain");
  ASSERT_EQ(st.onednn_kernels, 1);
  for (const KernelInfo& k : st.kernels) {
    if (k.node == "dw") {
      EXPECT_EQ(k.impl.find("gemm"), std::string::npos) << k.impl;
    }
  }
}

}  // namespace
}  // namespace yq::runtime
