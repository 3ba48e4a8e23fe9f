# SPDX-License-Identifier: Apache-2.0
# Warning and sanitizer flags travel on INTERFACE targets; only yoloq's own targets link them.
add_library(yoloq_warnings INTERFACE)
target_compile_options(yoloq_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
  -Wno-unused-parameter $<$<BOOL:${YOLOQ_WERROR}>:-Werror>)

add_library(yoloq_sanitizers INTERFACE)
if(YOLOQ_SANITIZE)
  string(REPLACE ";" "," _yq_san "${YOLOQ_SANITIZE}")
  target_compile_options(yoloq_sanitizers INTERFACE -fsanitize=${_yq_san} -fno-omit-frame-pointer)
  target_link_options(yoloq_sanitizers INTERFACE -fsanitize=${_yq_san})
endif()

add_library(yoloq_flags INTERFACE)
target_link_libraries(yoloq_flags INTERFACE yoloq_warnings yoloq_sanitizers)
target_include_directories(yoloq_flags INTERFACE ${PROJECT_SOURCE_DIR})
