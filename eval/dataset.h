// SPDX-License-Identifier: Apache-2.0
// Detection datasets for evaluation and calibration: images (path, id, size) + COCO-style GT
// boxes + the category list. Two loaders (YOLO label layout, COCO instances JSON) and the two
// JSON writers used to cross-check yoloq's mAP with pycocotools.
//
// Image sizes come from the file headers (JPEG SOFn, PNG IHDR); no decoder is involved. An
// image whose header is missing or corrupt is not an error: it goes to Dataset::skipped with
// the reason (and a warning), and neither it nor its GT is part of the dataset.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "eval/coco_eval.h"

namespace yq::eval {

struct ImageInfo {
  std::string path;  // full path to the image file
  int64_t id = 0;
  int width = 0;
  int height = 0;
};

struct Category {
  int id = 0;  // COCO category_id (what DtBox/GtBox carry)
  std::string name;
  int yolo_index = -1;  // the model's class index; -1 when unknown (COCO JSON loader)
};

struct SkippedImage {
  std::string path;
  std::string reason;
};

struct Dataset {
  std::vector<ImageInfo> images;     // sorted by file name (YOLO) or JSON order (COCO)
  std::vector<GtBox> boxes;          // image_id refers to ImageInfo::id
  std::vector<Category> categories;  // all categories of the dataset, with or without boxes
  std::vector<SkippedImage> skipped;

  std::vector<int64_t> image_ids() const;
  std::vector<int> category_ids() const;
  // COCO category_id for a model class index, or -1 if the class map has no such index.
  int category_for_yolo_index(int yolo_index) const;
};

struct ImageSize {
  int width = 0;
  int height = 0;
};

// Width and height from a JPEG (SOF0..SOF15 except DHT/JPG/DAC) or PNG (IHDR) header. The
// stored size: EXIF orientation is not applied, as in COCO's own image records.
// Errors (kIoError / kInvalidArgument) name the path and what was wrong.
Expected<ImageSize> read_image_size(const std::string& path);

// `coco80_classes.tsv`-style class map: a header line `yolo_index<TAB>coco_category_id<TAB>name`
// then one line per class. yolo_index and category ids must be unique integers.
Expected<std::vector<Category>> load_class_map(const std::string& path);

// YOLO layout. With a non-empty `split`, images are `root/images/<split>/*.{jpg,jpeg,png}` and
// labels `root/labels/<split>/<stem>.txt`. With an empty split, `root` is the images directory
// itself (e.g. `.../images/val2017`) and labels are found by replacing its last `images`
// path component with `labels`.
// Each label line `class cx cy w h` (normalised) becomes the GT box
// ((cx − w/2)·W, (cy − h/2)·H, w·W, h·H) with area w·W·h·H and iscrowd 0. A missing label file
// means no objects (a negative image). A malformed line (field count, not a number, class
// not in the class map, coordinate outside [0, 1] by more than 1e-3, negative size) is a
// kInvalidArgument naming `file:line`.
// Image ids: the integer value of the file stem when every stem is all digits (COCO naming),
// otherwise the 0-based index in file-name order (never a mix, so ids cannot collide).
Expected<Dataset> load_yolo_dataset(const std::string& root, const std::string& split,
                                    const std::string& class_map_path);

// COCO instances JSON (`images`, `annotations`, `categories`). Image paths are
// `images_dir/<file_name>`; sizes are the JSON's (checked against the file header, a mismatch
// or an unreadable file lands in `skipped`). `area` defaults to w·h and `iscrowd` to 0 when
// absent. With an empty images_dir the files are not opened at all (GT-only use).
Expected<Dataset> load_coco_dataset(const std::string& json_path, const std::string& images_dir);

// COCO results format `[{"image_id", "category_id", "bbox": [x,y,w,h], "score"}, ...]`, values
// unrounded (shortest round-trip decimal). Written atomically.
Status write_coco_detections_json(const std::string& path, std::span<const DtBox> dts);

// Reads a COCO results file (the format above; extra fields ignored). Errors name the element.
Expected<std::vector<DtBox>> load_coco_detections_json(const std::string& path);

// A COCO instances JSON of the dataset (annotation ids 1..N in box order), loadable by
// pycocotools' COCO(). Written atomically.
Status write_coco_gt_json(const std::string& path, const Dataset& dataset);

}  // namespace yq::eval
