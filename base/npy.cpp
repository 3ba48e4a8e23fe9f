// SPDX-License-Identifier: Apache-2.0
#include "base/npy.h"

#include <cstring>
#include <regex>

#include "base/file_io.h"

namespace yq {
namespace {

const char* descr_of(DType t) {
  switch (t) {
    case DType::kF32: return "<f4";
    case DType::kF16: return "<f2";
    case DType::kI64: return "<i8";
    case DType::kI32: return "<i4";
    case DType::kI8: return "|i1";
    case DType::kU8: return "|u1";
    case DType::kBool: return "|b1";
  }
  return "";
}

bool dtype_from_descr(const std::string& d, DType* out) {
  for (DType t : {DType::kF32, DType::kF16, DType::kI64, DType::kI32, DType::kI8, DType::kU8, DType::kBool}) {
    if (d == descr_of(t)) {
      *out = t;
      return true;
    }
  }
  return false;
}

}  // namespace

Expected<Tensor> parse_npy(const std::string& bytes, const std::string& name) {
  static const char kMagic[] = "\x93NUMPY";
  if (bytes.size() < 10 || std::memcmp(bytes.data(), kMagic, 6) != 0) return invalid_argument(name + ": not a .npy file");
  const uint8_t major = static_cast<uint8_t>(bytes[6]);
  size_t header_len = 0, offset = 0;
  if (major == 1) {
    header_len = static_cast<uint8_t>(bytes[8]) | (static_cast<uint8_t>(bytes[9]) << 8);
    offset = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) return invalid_argument(name + ": truncated .npy header");
    uint32_t len;
    std::memcpy(&len, bytes.data() + 8, 4);
    header_len = len;
    offset = 12;
  } else {
    return invalid_argument(name + ": unsupported .npy version " + std::to_string(major));
  }
  if (offset + header_len > bytes.size()) return invalid_argument(name + ": truncated .npy header");
  const std::string header = bytes.substr(offset, header_len);
  std::smatch m;
  if (!std::regex_search(header, m, std::regex("'descr':\\s*'([^']*)'"))) return invalid_argument(name + ": .npy header has no descr");
  DType dtype;
  if (!dtype_from_descr(m[1].str(), &dtype)) return unsupported(name + ": .npy dtype '" + m[1].str() + "'");
  if (std::regex_search(header, m, std::regex("'fortran_order':\\s*True"))) return unsupported(name + ": Fortran-order .npy");
  if (!std::regex_search(header, m, std::regex("'shape':\\s*\\(([^)]*)\\)"))) return invalid_argument(name + ": .npy header has no shape");
  Shape shape;
  const std::string dims = m[1].str();
  static const std::regex kDigits("[0-9]+");
  std::sregex_iterator it(dims.begin(), dims.end(), kDigits), end;
  for (; it != end; ++it) {
    const std::string d = it->str();
    if (d.size() > 12) return invalid_argument(name + ": absurd .npy dim " + d);
    shape.push_back(std::stoll(d));
  }
  const size_t data_off = offset + header_len;
  int64_t numel = 1;
  for (int64_t d : shape) {
    if (d != 0 && numel > (int64_t{1} << 40) / d) return invalid_argument(name + ": .npy shape too large");
    numel *= d;
  }
  const size_t need = static_cast<size_t>(numel) * dtype_size(dtype);
  if (bytes.size() - data_off < need) {
    return invalid_argument(name + ": .npy data truncated: need " + std::to_string(need) + " bytes, have " +
                            std::to_string(bytes.size() - data_off));
  }
  Tensor t = Tensor::empty(dtype, shape);
  if (need) std::memcpy(t.raw(), bytes.data() + data_off, need);
  return t;
}

Expected<Tensor> load_npy(const std::string& path) {
  YQ_ASSIGN_OR_RETURN(std::string bytes, read_file(path));
  return parse_npy(bytes, path);
}

std::string serialize_npy(const Tensor& t) {
  std::string shape = "(";
  for (int i = 0; i < t.rank(); ++i) shape += std::to_string(t.shape()[i]) + (t.rank() == 1 ? "," : (i + 1 < t.rank() ? ", " : ""));
  shape += ")";
  std::string header = std::string("{'descr': '") + descr_of(t.dtype()) + "', 'fortran_order': False, 'shape': " + shape + ", }";
  // Pad so that magic(6)+version(2)+len(2)+header is a multiple of 64, ending in '\n'.
  const size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header.push_back('\n');
  std::string out = std::string("\x93NUMPY\x01\x00", 8);
  out.push_back(static_cast<char>(header.size() & 0xff));
  out.push_back(static_cast<char>(header.size() >> 8));
  out += header;
  out.append(static_cast<const char*>(t.raw()), t.nbytes());
  return out;
}

Status save_npy(const std::string& path, const Tensor& t) { return write_file_atomic(path, serialize_npy(t)); }

}  // namespace yq
