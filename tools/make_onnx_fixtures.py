#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Writes the tiny .onnx fixtures in tests/fixtures/onnx/ that tests/ir_onnx/ and the fuzz seed
corpus use. Deterministic (fixed seed), each file a few KB at most.

Run with Debian's python (onnx 1.12 + numpy), not the pyenv one:
    /usr/bin/python3 tools/make_onnx_fixtures.py [OUT_DIR]
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "onnx")
RNG = np.random.default_rng(1234)


def save(model, name, check=True):
    if check:
        onnx.checker.check_model(model)
    path = os.path.join(OUT, name)
    with open(path, "wb") as f:
        f.write(model.SerializeToString())
    print(f"{path}: {os.path.getsize(path)} B")


def model(graph, opset=13, ir_version=7, extra_opsets=()):
    ops = [helper.make_opsetid("", opset)] + [helper.make_opsetid(d, v) for d, v in extra_opsets]
    m = helper.make_model(graph, opset_imports=ops, producer_name="make_onnx_fixtures")
    m.ir_version = ir_version
    return m


def f32(shape):
    return RNG.standard_normal(shape).astype(np.float32)


def conv_relu():
    """Conv (raw weights, typed-field bias) -> Relu -> Add(Constant value_float); metadata, value_info."""
    w = numpy_helper.from_array(f32((4, 3, 3, 3)), "conv.w")
    b = helper.make_tensor("conv.b", TensorProto.FLOAT, [4], f32((4,)).tolist())  # float_data
    nodes = [
        helper.make_node("Conv", ["x", "conv.w", "conv.b"], ["c"], name="conv0", kernel_shape=[3, 3],
                         pads=[1, 1, 1, 1], strides=[1, 1], group=1),
        helper.make_node("Relu", ["c"], ["r"], name="relu0"),
        helper.make_node("Constant", [], ["half"], name="const_half", value_float=0.5),
        helper.make_node("Add", ["r", "half"], ["y"]),  # unnamed: the importer names it
    ]
    g = helper.make_graph(nodes, "conv_relu", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 8, 8])], [w, b],
                          value_info=[helper.make_tensor_value_info("c", TensorProto.FLOAT, [1, 4, 8, 8])])
    m = model(g)
    helper.set_model_props(m, {"author": "yoloq", "stride": "8"})
    save(m, "conv_relu.onnx")


def dtypes():
    """Initializers in every supported dtype, via typed fields and raw_data; Constant node forms;
    legacy initializers listed as graph inputs; a dim_param input; omitted optional inputs/outputs."""
    inits = [
        helper.make_tensor("f16_raw", TensorProto.FLOAT16, [3],
                           np.array([1.5, -2.0, 65504.0], np.float16).tobytes(), raw=True),
        # helper stores FLOAT16 values as their bit patterns in int32_data.
        helper.make_tensor("f16_typed", TensorProto.FLOAT16, [2], [0.25, -0.0]),
        helper.make_tensor("f64_typed", TensorProto.DOUBLE, [2], [0.5, -1.25]),
        helper.make_tensor("i64_typed", TensorProto.INT64, [2, 2], [1, -2, 3, 1 << 40]),
        helper.make_tensor("i32_typed", TensorProto.INT32, [3], [7, -8, 9]),
        helper.make_tensor("i8_typed", TensorProto.INT8, [2], [-128, 127]),
        helper.make_tensor("u8_raw", TensorProto.UINT8, [2], np.array([0, 255], np.uint8).tobytes(), raw=True),
        helper.make_tensor("bool_typed", TensorProto.BOOL, [3], [True, False, True]),
        helper.make_tensor("scales", TensorProto.FLOAT, [4], [1.0, 1.0, 2.0, 2.0]),
    ]
    inputs = [
        helper.make_tensor_value_info("img", TensorProto.FLOAT, ["batch", 3, 4, 4]),
        # Old exporters list initializers as inputs too; they must not become graph inputs.
        helper.make_tensor_value_info("scales", TensorProto.FLOAT, [4]),
    ]
    nodes = [
        helper.make_node("Constant", [], ["c_ints"], name="c0", value_ints=[1, 2, 3]),
        helper.make_node("Constant", [], ["c_floats"], name="c1", value_floats=[0.5, 1.5]),
        helper.make_node("Constant", [], ["c_int"], name="c2", value_int=42),
        helper.make_node("Constant", [], ["c_tensor"], name="c3",
                         value=numpy_helper.from_array(np.arange(6, dtype=np.float32).reshape(2, 3))),
        helper.make_node("Resize", ["img", "", "scales"], ["up"], name="resize0", mode="nearest",
                         coordinate_transformation_mode="asymmetric", nearest_mode="floor"),
        helper.make_node("Dropout", ["up"], ["drop", ""], name="drop0"),
        helper.make_node("Transpose", ["drop"], ["out"], name="tr0", perm=[0, 1, 3, 2]),
        helper.make_node("Cast", ["i32_typed"], ["i32_as_i64"], name="cast0", to=TensorProto.INT64),
    ]
    outs = [helper.make_tensor_value_info("out", TensorProto.FLOAT, ["batch", 3, 8, 8]),
            helper.make_tensor_value_info("i32_as_i64", TensorProto.INT64, [3])]
    for name in ["f16_raw", "f16_typed", "f64_typed", "i64_typed", "i8_typed", "u8_raw", "bool_typed", "c_ints", "c_floats",
                 "c_int", "c_tensor"]:
        nodes.append(helper.make_node("Identity", [name], [name + "_id"], name="id_" + name))
        outs.append(helper.make_empty_tensor_value_info(name + "_id"))
    g = helper.make_graph(nodes, "dtypes", inputs, outs, inits)
    save(model(g, opset=13, ir_version=7), "dtypes.onnx", check=False)


def bad_models():
    # An op yoloq does not support.
    n = helper.make_node("Einsum", ["a", "b"], ["y"], name="weird_einsum", equation="ij,jk->ik")
    g = helper.make_graph([n], "unsupported_op", [helper.make_tensor_value_info("a", TensorProto.FLOAT, [2, 2]),
                                                  helper.make_tensor_value_info("b", TensorProto.FLOAT, [2, 2])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 2])])
    save(model(g), "unsupported_op.onnx")

    # Opset 9 is below the supported range.
    n = helper.make_node("Relu", ["x"], ["y"], name="relu_old")
    g = helper.make_graph([n], "opset9", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4])])
    save(model(g, opset=9, ir_version=4), "opset9.onnx")

    # Initializer whose data lives in an external file.
    w = TensorProto(name="ext_weight", data_type=TensorProto.FLOAT, dims=[4])
    w.data_location = TensorProto.EXTERNAL
    for k, v in [("location", "weights.bin"), ("offset", "0"), ("length", "16")]:
        e = w.external_data.add()
        e.key, e.value = k, v
    n = helper.make_node("Add", ["x", "ext_weight"], ["y"], name="add_ext")
    g = helper.make_graph([n], "external", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4])], [w])
    save(model(g), "external_data.onnx", check=False)

    # A node in a vendor domain.
    n = helper.make_node("FusedGemm", ["x", "x"], ["y"], name="ms_gemm", domain="com.microsoft")
    g = helper.make_graph([n], "custom_domain", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 2])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 2])])
    save(model(g, extra_opsets=[("com.microsoft", 1)]), "custom_domain.onnx", check=False)

    # A node reading a name nothing defines.
    n = helper.make_node("Add", ["x", "ghost"], ["y"], name="add_ghost")
    g = helper.make_graph([n], "undefined_input", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4])])
    save(model(g), "undefined_input.onnx", check=False)

    # raw_data shorter than dims x element size.
    w = TensorProto(name="short_weight", data_type=TensorProto.FLOAT, dims=[2, 3], raw_data=b"\0" * 20)
    n = helper.make_node("Add", ["x", "short_weight"], ["y"], name="add_short")
    g = helper.make_graph([n], "bad_raw_size", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])], [w])
    save(model(g), "bad_raw_size.onnx", check=False)

    # Dims claiming 2^40 floats with one value stored: must be refused before allocating.
    w = TensorProto(name="huge_weight", data_type=TensorProto.FLOAT, dims=[1 << 20, 1 << 20], float_data=[1.0])
    n = helper.make_node("Add", ["x", "huge_weight"], ["y"], name="add_huge")
    g = helper.make_graph([n], "huge_dims", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])], [w])
    save(model(g), "huge_dims.onnx", check=False)

    # Two nodes feeding each other.
    n1 = helper.make_node("Add", ["x", "b"], ["a"], name="cyc_a")
    n2 = helper.make_node("Relu", ["a"], ["b"], name="cyc_b")
    g = helper.make_graph([n1, n2], "cycle", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])],
                          [helper.make_tensor_value_info("b", TensorProto.FLOAT, [4])])
    save(model(g), "cycle.onnx", check=False)

    # Wrong arity: Sigmoid with two inputs.
    n = helper.make_node("Sigmoid", ["x", "x"], ["y"], name="sigmoid_two_inputs")
    g = helper.make_graph([n], "bad_arity", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4])])
    save(model(g), "bad_arity.onnx", check=False)


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    conv_relu()
    dtypes()
    bad_models()
