// SPDX-License-Identifier: Apache-2.0
#include "eval/dataset.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "base/file_io.h"
#include "base/log.h"

namespace yq::eval {
namespace fs = std::filesystem;

namespace {

// YOLO exporters write coordinates with ~6 decimals after clipping; allow that much rounding
// past the [0, 1] edges, but not a box that really lies outside the image.
constexpr double kCoordTolerance = 1e-3;
// Label and class-map files are tiny; refuse anything absurd before allocating.
constexpr size_t kMaxTextFileBytes = size_t{64} << 20;
constexpr size_t kMaxJsonBytes = size_t{2} << 30;

std::string to_lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    if (end == text.size()) break;
    start = end + 1;
  }
  return lines;
}

std::vector<std::string_view> split_whitespace(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && std::isspace(static_cast<unsigned char>(line[i]))) ++i;
    size_t j = i;
    while (j < line.size() && !std::isspace(static_cast<unsigned char>(line[j]))) ++j;
    if (j > i) out.push_back(line.substr(i, j - i));
    i = j;
  }
  return out;
}

bool is_blank(std::string_view line) {
  return std::all_of(line.begin(), line.end(), [](unsigned char c) { return std::isspace(c); });
}

template <typename T>
bool parse_number(std::string_view s, T& out) {
  const char* end = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(s.data(), end, out);
  return ec == std::errc() && ptr == end;
}

uint32_t read_be(const unsigned char* p, int n) {
  uint32_t v = 0;
  for (int i = 0; i < n; ++i) v = (v << 8) | p[i];
  return v;
}

// Walks the JPEG marker segments up to the first SOFn; each segment is skipped by its length,
// so only a few hundred bytes are read even with large EXIF blocks.
Expected<ImageSize> read_jpeg_size(std::ifstream& in, const std::string& path) {
  auto fail = [&](const std::string& what) { return invalid_argument(path + ": corrupt JPEG: " + what); };
  unsigned char buf[8];
  for (;;) {
    int c = in.get();
    if (c == EOF) return fail("truncated before a SOF marker");
    if (c != 0xFF) {
      return fail("expected a marker (0xFF) at byte " + std::to_string(static_cast<long long>(in.tellg()) - 1) +
                  ", found 0x" + [&] {
                    char hex[3];
                    std::snprintf(hex, sizeof(hex), "%02X", c);
                    return std::string(hex);
                  }());
    }
    int marker = in.get();
    while (marker == 0xFF) marker = in.get();  // fill bytes
    if (marker == EOF) return fail("truncated inside a marker");
    if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) continue;  // no length field
    if (marker == 0xD8) return fail("second SOI marker");
    if (marker == 0xD9 || marker == 0xDA) return fail("no SOF marker before the image data");
    if (!in.read(reinterpret_cast<char*>(buf), 2)) return fail("truncated segment length");
    const uint32_t length = read_be(buf, 2);
    if (length < 2) return fail("segment length " + std::to_string(length) + " < 2");
    const bool is_sof = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
    if (is_sof) {
      if (length < 7 || !in.read(reinterpret_cast<char*>(buf), 5)) return fail("truncated SOF segment");
      const int height = static_cast<int>(read_be(buf + 1, 2));
      const int width = static_cast<int>(read_be(buf + 3, 2));
      if (width == 0 || height == 0) {
        return fail("SOF gives " + std::to_string(width) + "x" + std::to_string(height) +
                    " (a height defined later by DNL is not supported)");
      }
      return ImageSize{width, height};
    }
    in.seekg(static_cast<std::streamoff>(length) - 2, std::ios::cur);
    if (!in) return fail("truncated segment");
  }
}

Expected<ImageSize> read_png_size(std::ifstream& in, const std::string& path) {
  // 8-byte signature, then the IHDR chunk: length (13), "IHDR", width, height (big-endian).
  unsigned char buf[24];
  if (!in.read(reinterpret_cast<char*>(buf), 24)) return invalid_argument(path + ": corrupt PNG: truncated header");
  if (std::string_view(reinterpret_cast<const char*>(buf + 12), 4) != "IHDR") {
    return invalid_argument(path + ": corrupt PNG: first chunk is not IHDR");
  }
  const uint32_t width = read_be(buf + 16, 4);
  const uint32_t height = read_be(buf + 20, 4);
  constexpr uint32_t kMaxDim = static_cast<uint32_t>(std::numeric_limits<int>::max());
  if (width == 0 || height == 0 || width > kMaxDim || height > kMaxDim) {
    return invalid_argument(path + ": corrupt PNG: IHDR size " + std::to_string(width) + "x" + std::to_string(height));
  }
  return ImageSize{static_cast<int>(width), static_cast<int>(height)};
}

bool is_image_file(const fs::path& p) {
  const std::string ext = to_lower(p.extension().string());
  return ext == ".jpg" || ext == ".jpeg" || ext == ".png";
}

bool all_digits(const std::string& s) {
  return !s.empty() && s.size() <= 18 &&
         std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

// Parses one YOLO label file into GT boxes on an image of size w x h.
Status parse_yolo_labels(const std::string& label_path, const std::unordered_map<int, int>& yolo_to_cat,
                         int64_t image_id, ImageSize size, std::vector<GtBox>& out) {
  YQ_ASSIGN_OR_RETURN(std::string text, read_file(label_path, kMaxTextFileBytes));
  const auto lines = split_lines(text);
  const double width = size.width;
  const double height = size.height;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (is_blank(lines[i])) continue;
    const std::string where = label_path + ":" + std::to_string(i + 1);
    const auto fields = split_whitespace(lines[i]);
    if (fields.size() != 5) {
      return invalid_argument(where + ": expected 5 fields `class cx cy w h`, found " + std::to_string(fields.size()));
    }
    int cls = 0;
    if (!parse_number(fields[0], cls)) {
      return invalid_argument(where + ": class '" + std::string(fields[0]) + "' is not an integer");
    }
    auto cat = yolo_to_cat.find(cls);
    if (cat == yolo_to_cat.end()) {
      return invalid_argument(where + ": class " + std::to_string(cls) + " is not in the class map (" +
                              std::to_string(yolo_to_cat.size()) + " classes)");
    }
    std::array<double, 4> v{};  // cx, cy, w, h
    static constexpr const char* kNames[4] = {"cx", "cy", "w", "h"};
    for (int j = 0; j < 4; ++j) {
      if (!parse_number(fields[j + 1], v[j]) || !std::isfinite(v[j])) {
        return invalid_argument(where + ": " + kNames[j] + " '" + std::string(fields[j + 1]) + "' is not a number");
      }
      if (v[j] < -kCoordTolerance || v[j] > 1.0 + kCoordTolerance || (j >= 2 && v[j] < 0.0)) {
        return invalid_argument(where + ": " + kNames[j] + " = " + std::string(fields[j + 1]) +
                                " is outside [0, 1] (normalised YOLO coordinates expected)");
      }
    }
    // README protocol step 6: bbox = ((cx − w/2)·W, (cy − h/2)·H, w·W, h·H), area = w·h of it.
    GtBox box;
    box.image_id = image_id;
    box.category_id = cat->second;
    box.bbox = {(v[0] - v[2] / 2) * width, (v[1] - v[3] / 2) * height, v[2] * width, v[3] * height};
    box.area = box.bbox[2] * box.bbox[3];
    box.iscrowd = false;
    out.push_back(box);
  }
  return ok_status();
}

// Labels dir for an images dir: the last path component named `images` becomes `labels`.
Expected<fs::path> labels_dir_for(const fs::path& images_dir) {
  std::vector<fs::path> parts(images_dir.begin(), images_dir.end());
  for (size_t i = parts.size(); i-- > 0;) {
    if (parts[i] == "images") {
      fs::path out;
      for (size_t j = 0; j < parts.size(); ++j) out /= (j == i ? fs::path("labels") : parts[j]);
      return out;
    }
  }
  return invalid_argument(images_dir.string() +
                          ": has no 'images' path component, so the YOLO labels directory cannot be found");
}

using nlohmann::json;

// Typed accessors for the COCO JSON loader: errors name the element and the field.
Expected<int64_t> json_int(const json& obj, const char* key, const std::string& where) {
  auto it = obj.find(key);
  if (it == obj.end()) return invalid_argument(where + ": missing '" + key + "'");
  if (it->is_number_integer()) return it->get<int64_t>();
  if (it->is_number_float()) {
    const double d = it->get<double>();
    if (std::floor(d) == d && std::fabs(d) < 9.0e15) return static_cast<int64_t>(d);
  }
  return invalid_argument(where + ": '" + key + "' is not an integer: " + it->dump());
}

Expected<double> json_number(const json& obj, const char* key, const std::string& where) {
  auto it = obj.find(key);
  if (it == obj.end()) return invalid_argument(where + ": missing '" + key + "'");
  if (!it->is_number()) return invalid_argument(where + ": '" + key + "' is not a number: " + it->dump());
  return it->get<double>();
}

Expected<const json*> json_array(const json& root, const char* key, const std::string& path) {
  auto it = root.find(key);
  if (it == root.end() || !it->is_array()) return invalid_argument(path + ": missing array '" + key + "'");
  return &*it;
}

}  // namespace

std::vector<int64_t> Dataset::image_ids() const {
  std::vector<int64_t> ids;
  ids.reserve(images.size());
  for (const auto& im : images) ids.push_back(im.id);
  return ids;
}

std::vector<int> Dataset::category_ids() const {
  std::vector<int> ids;
  ids.reserve(categories.size());
  for (const auto& c : categories) ids.push_back(c.id);
  return ids;
}

int Dataset::category_for_yolo_index(int yolo_index) const {
  for (const auto& c : categories) {
    if (c.yolo_index == yolo_index) return c.id;
  }
  return -1;
}

Expected<ImageSize> read_image_size(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::error_code ec;
    return io_error(path + ": " + (fs::exists(path, ec) ? "cannot open" : "no such file"));
  }
  unsigned char magic[8] = {};
  in.read(reinterpret_cast<char*>(magic), 8);
  const auto got = in.gcount();
  in.clear();
  if (got >= 2 && magic[0] == 0xFF && magic[1] == 0xD8) {
    in.seekg(2);
    return read_jpeg_size(in, path);
  }
  static constexpr unsigned char kPngMagic[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  if (got == 8 && std::equal(magic, magic + 8, kPngMagic)) {
    in.seekg(0);
    return read_png_size(in, path);
  }
  return invalid_argument(path + ": not a JPEG or PNG file (unrecognised magic bytes)");
}

Expected<std::vector<Category>> load_class_map(const std::string& path) {
  YQ_ASSIGN_OR_RETURN(std::string text, read_file(path, kMaxTextFileBytes));
  const auto lines = split_lines(text);
  if (lines.empty() || lines[0] != "yolo_index\tcoco_category_id\tname") {
    return invalid_argument(path + ":1: expected the header 'yolo_index<TAB>coco_category_id<TAB>name', found '" +
                            std::string(lines.empty() ? "" : lines[0]) + "'");
  }
  std::vector<Category> cats;
  std::set<int> seen_index;
  std::set<int> seen_id;
  for (size_t i = 1; i < lines.size(); ++i) {
    if (is_blank(lines[i])) continue;
    const std::string where = path + ":" + std::to_string(i + 1);
    const std::string_view line = lines[i];
    const size_t t1 = line.find('\t');
    const size_t t2 = t1 == std::string_view::npos ? t1 : line.find('\t', t1 + 1);
    if (t2 == std::string_view::npos || line.find('\t', t2 + 1) != std::string_view::npos) {
      return invalid_argument(where + ": expected 3 tab-separated fields");
    }
    Category c;
    if (!parse_number(line.substr(0, t1), c.yolo_index) || c.yolo_index < 0) {
      return invalid_argument(where + ": yolo_index is not a non-negative integer");
    }
    if (!parse_number(line.substr(t1 + 1, t2 - t1 - 1), c.id)) {
      return invalid_argument(where + ": coco_category_id is not an integer");
    }
    c.name = std::string(line.substr(t2 + 1));
    if (!seen_index.insert(c.yolo_index).second) {
      return invalid_argument(where + ": duplicate yolo_index " + std::to_string(c.yolo_index));
    }
    if (!seen_id.insert(c.id).second)
      return invalid_argument(where + ": duplicate category id " + std::to_string(c.id));
    cats.push_back(std::move(c));
  }
  if (cats.empty()) return invalid_argument(path + ": no classes");
  return cats;
}

Expected<Dataset> load_yolo_dataset(const std::string& root, const std::string& split,
                                    const std::string& class_map_path) {
  fs::path images_dir;
  fs::path labels_dir;
  if (!split.empty()) {
    images_dir = fs::path(root) / "images" / split;
    labels_dir = fs::path(root) / "labels" / split;
  } else {
    images_dir = fs::path(root);
    YQ_ASSIGN_OR_RETURN(labels_dir, labels_dir_for(images_dir.lexically_normal()));
  }
  std::error_code ec;
  if (!fs::is_directory(images_dir, ec)) return io_error(images_dir.string() + ": images directory not found");
  if (!fs::is_directory(labels_dir, ec)) return io_error(labels_dir.string() + ": labels directory not found");

  Dataset ds;
  YQ_ASSIGN_OR_RETURN(ds.categories, load_class_map(class_map_path));
  std::unordered_map<int, int> yolo_to_cat;
  for (const auto& c : ds.categories) yolo_to_cat.emplace(c.yolo_index, c.id);

  std::vector<fs::path> files;
  for (fs::directory_iterator it(images_dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_regular_file(ec) && is_image_file(it->path())) files.push_back(it->path());
  }
  if (ec) return io_error(images_dir.string() + ": cannot list: " + ec.message());
  if (files.empty()) return invalid_argument(images_dir.string() + ": no .jpg/.jpeg/.png images");
  std::sort(files.begin(), files.end(),
            [](const fs::path& a, const fs::path& b) { return a.filename().string() < b.filename().string(); });

  // COCO-style numeric stems become the ids only if all of them are numeric and distinct;
  // otherwise every image gets its index, so the two schemes never collide.
  bool numeric_ids =
      std::all_of(files.begin(), files.end(), [](const fs::path& p) { return all_digits(p.stem().string()); });
  std::vector<int64_t> ids(files.size());
  if (numeric_ids) {
    std::unordered_set<int64_t> seen;
    for (size_t i = 0; i < files.size(); ++i) {
      ids[i] = std::stoll(files[i].stem().string());
      if (!seen.insert(ids[i]).second) numeric_ids = false;
    }
  }
  if (!numeric_ids) {
    for (size_t i = 0; i < files.size(); ++i) ids[i] = static_cast<int64_t>(i);
  }

  for (size_t i = 0; i < files.size(); ++i) {
    const std::string path = files[i].string();
    auto size = read_image_size(path);
    if (!size.ok()) {
      YQ_LOG(Warning) << "skipping image: " << size.status().message();
      ds.skipped.push_back({path, size.status().message()});
      continue;
    }
    const fs::path label = labels_dir / (files[i].stem().string() + ".txt");
    if (fs::exists(label, ec)) {
      YQ_RETURN_IF_ERROR(parse_yolo_labels(label.string(), yolo_to_cat, ids[i], *size, ds.boxes));
    }
    ds.images.push_back({path, ids[i], size->width, size->height});
  }
  return ds;
}

Expected<Dataset> load_coco_dataset(const std::string& json_path, const std::string& images_dir) {
  YQ_ASSIGN_OR_RETURN(std::string text, read_file(json_path, kMaxJsonBytes));
  json root;
  try {
    root = json::parse(text);
  } catch (const json::exception& e) {
    return invalid_argument(json_path + ": invalid JSON: " + e.what());
  }
  if (!root.is_object()) return invalid_argument(json_path + ": top level is not an object");
  YQ_ASSIGN_OR_RETURN(const json* images, json_array(root, "images", json_path));
  YQ_ASSIGN_OR_RETURN(const json* anns, json_array(root, "annotations", json_path));
  YQ_ASSIGN_OR_RETURN(const json* cats, json_array(root, "categories", json_path));

  Dataset ds;
  std::unordered_set<int> cat_ids;
  for (size_t i = 0; i < cats->size(); ++i) {
    const json& c = (*cats)[i];
    const std::string where = json_path + ": categories[" + std::to_string(i) + "]";
    if (!c.is_object()) return invalid_argument(where + ": not an object");
    YQ_ASSIGN_OR_RETURN(int64_t id, json_int(c, "id", where));
    Category cat;
    cat.id = static_cast<int>(id);
    if (auto n = c.find("name"); n != c.end() && n->is_string()) cat.name = n->get<std::string>();
    if (!cat_ids.insert(cat.id).second) return invalid_argument(where + ": duplicate id " + std::to_string(id));
    ds.categories.push_back(std::move(cat));
  }

  std::unordered_map<int64_t, bool> image_kept;  // id -> not skipped
  for (size_t i = 0; i < images->size(); ++i) {
    const json& im = (*images)[i];
    const std::string where = json_path + ": images[" + std::to_string(i) + "]";
    if (!im.is_object()) return invalid_argument(where + ": not an object");
    ImageInfo info;
    YQ_ASSIGN_OR_RETURN(info.id, json_int(im, "id", where));
    YQ_ASSIGN_OR_RETURN(int64_t w, json_int(im, "width", where));
    YQ_ASSIGN_OR_RETURN(int64_t h, json_int(im, "height", where));
    auto fn = im.find("file_name");
    if (fn == im.end() || !fn->is_string()) return invalid_argument(where + ": missing string 'file_name'");
    if (w <= 0 || h <= 0 || w > std::numeric_limits<int>::max() || h > std::numeric_limits<int>::max()) {
      return invalid_argument(where + ": bad size " + std::to_string(w) + "x" + std::to_string(h));
    }
    info.width = static_cast<int>(w);
    info.height = static_cast<int>(h);
    info.path = images_dir.empty() ? fn->get<std::string>() : (fs::path(images_dir) / fn->get<std::string>()).string();
    if (image_kept.count(info.id)) return invalid_argument(where + ": duplicate image id " + std::to_string(info.id));
    bool keep = true;
    if (!images_dir.empty()) {
      auto size = read_image_size(info.path);
      std::string reason;
      if (!size.ok()) {
        reason = size.status().message();
      } else if (size->width != info.width || size->height != info.height) {
        reason = info.path + ": file is " + std::to_string(size->width) + "x" + std::to_string(size->height) +
                 " but the JSON says " + std::to_string(info.width) + "x" + std::to_string(info.height);
      }
      if (!reason.empty()) {
        YQ_LOG(Warning) << "skipping image: " << reason;
        ds.skipped.push_back({info.path, reason});
        keep = false;
      }
    }
    image_kept[info.id] = keep;
    if (keep) ds.images.push_back(std::move(info));
  }

  for (size_t i = 0; i < anns->size(); ++i) {
    const json& a = (*anns)[i];
    const std::string where = json_path + ": annotations[" + std::to_string(i) + "]";
    if (!a.is_object()) return invalid_argument(where + ": not an object");
    GtBox box;
    YQ_ASSIGN_OR_RETURN(box.image_id, json_int(a, "image_id", where));
    YQ_ASSIGN_OR_RETURN(int64_t cat, json_int(a, "category_id", where));
    box.category_id = static_cast<int>(cat);
    auto kept = image_kept.find(box.image_id);
    if (kept == image_kept.end()) {
      return invalid_argument(where + ": image_id " + std::to_string(box.image_id) + " is not in 'images'");
    }
    if (!cat_ids.count(box.category_id)) {
      return invalid_argument(where + ": category_id " + std::to_string(cat) + " is not in 'categories'");
    }
    auto bb = a.find("bbox");
    if (bb == a.end() || !bb->is_array() || bb->size() != 4)
      return invalid_argument(where + ": 'bbox' is not [x,y,w,h]");
    for (int j = 0; j < 4; ++j) {
      if (!(*bb)[j].is_number()) return invalid_argument(where + ": 'bbox' has a non-number");
      box.bbox[j] = (*bb)[j].get<double>();
    }
    if (a.contains("area")) {
      YQ_ASSIGN_OR_RETURN(box.area, json_number(a, "area", where));
    } else {
      box.area = box.bbox[2] * box.bbox[3];
    }
    if (auto c = a.find("iscrowd"); c != a.end()) {
      if (c->is_boolean()) {
        box.iscrowd = c->get<bool>();
      } else if (c->is_number()) {
        box.iscrowd = c->get<double>() != 0.0;
      } else {
        return invalid_argument(where + ": 'iscrowd' is not 0/1");
      }
    }
    if (kept->second) ds.boxes.push_back(box);
  }
  return ds;
}

Status write_coco_detections_json(const std::string& path, std::span<const DtBox> dts) {
  json out = json::array();
  for (size_t i = 0; i < dts.size(); ++i) {
    const DtBox& d = dts[i];
    const bool finite =
        std::isfinite(d.score) && std::all_of(d.bbox.begin(), d.bbox.end(), [](double v) { return std::isfinite(v); });
    if (!finite) return invalid_argument(path + ": detection #" + std::to_string(i) + " has a non-finite value");
    out.push_back({{"image_id", d.image_id},
                   {"category_id", d.category_id},
                   {"bbox", {d.bbox[0], d.bbox[1], d.bbox[2], d.bbox[3]}},
                   {"score", d.score}});
  }
  return write_file_atomic(path, out.dump());
}

Expected<std::vector<DtBox>> load_coco_detections_json(const std::string& path) {
  YQ_ASSIGN_OR_RETURN(std::string text, read_file(path, kMaxJsonBytes));
  json root;
  try {
    root = json::parse(text);
  } catch (const json::exception& e) {
    return invalid_argument(path + ": invalid JSON: " + e.what());
  }
  if (!root.is_array()) return invalid_argument(path + ": a COCO results file is a JSON array");
  std::vector<DtBox> dts;
  dts.reserve(root.size());
  for (size_t i = 0; i < root.size(); ++i) {
    const json& d = root[i];
    const std::string where = path + ": [" + std::to_string(i) + "]";
    if (!d.is_object()) return invalid_argument(where + ": not an object");
    DtBox box;
    YQ_ASSIGN_OR_RETURN(box.image_id, json_int(d, "image_id", where));
    YQ_ASSIGN_OR_RETURN(int64_t cat, json_int(d, "category_id", where));
    box.category_id = static_cast<int>(cat);
    YQ_ASSIGN_OR_RETURN(box.score, json_number(d, "score", where));
    auto bb = d.find("bbox");
    if (bb == d.end() || !bb->is_array() || bb->size() != 4)
      return invalid_argument(where + ": 'bbox' is not [x,y,w,h]");
    for (int j = 0; j < 4; ++j) {
      if (!(*bb)[j].is_number()) return invalid_argument(where + ": 'bbox' has a non-number");
      box.bbox[j] = (*bb)[j].get<double>();
    }
    dts.push_back(box);
  }
  return dts;
}

Status write_coco_gt_json(const std::string& path, const Dataset& dataset) {
  json images = json::array();
  for (const auto& im : dataset.images) {
    images.push_back({{"id", im.id},
                      {"file_name", fs::path(im.path).filename().string()},
                      {"width", im.width},
                      {"height", im.height}});
  }
  json anns = json::array();
  int64_t next_id = 1;  // pycocotools treats a match id of 0 as "unmatched": start at 1
  for (const auto& b : dataset.boxes) {
    anns.push_back({{"id", next_id++},
                    {"image_id", b.image_id},
                    {"category_id", b.category_id},
                    {"bbox", {b.bbox[0], b.bbox[1], b.bbox[2], b.bbox[3]}},
                    {"area", b.area},
                    {"iscrowd", b.iscrowd ? 1 : 0}});
  }
  json cats = json::array();
  for (const auto& c : dataset.categories) cats.push_back({{"id", c.id}, {"name", c.name}});
  json root = {{"images", std::move(images)}, {"annotations", std::move(anns)}, {"categories", std::move(cats)}};
  return write_file_atomic(path, root.dump());
}

}  // namespace yq::eval
