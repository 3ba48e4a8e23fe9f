# SPDX-License-Identifier: Apache-2.0
# Third-party packages, all from Debian (scripts/install-deps.sh installs them).
find_package(OpenMP REQUIRED)
find_package(dnnl REQUIRED)
find_package(ONNX REQUIRED)
find_package(Protobuf REQUIRED)
find_package(OpenCV REQUIRED COMPONENTS core imgproc imgcodecs)
find_package(CLI11 REQUIRED)
find_package(nlohmann_json REQUIRED)
if(YOLOQ_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()
