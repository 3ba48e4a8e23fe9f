// SPDX-License-Identifier: Apache-2.0
// Dataset loaders on the real coco128 split (skipped when the data is absent) and on small
// fixtures written to a temp dir by the tests themselves.
#include "eval/dataset.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <set>
#include <string>

#include "base/file_io.h"
#include "tests/support/test_data.h"

namespace yq::eval {
namespace {
namespace fs = std::filesystem;

std::string coco128() { return yq::testing::data_dir() + "/coco128"; }
std::string class_map() { return coco128() + "/coco80_classes.tsv"; }

// A fresh directory per test, removed at the end.
class TempDir {
 public:
  TempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = fs::temp_directory_path() / ("yq_eval_" + std::string(info->name()) + "_" + std::to_string(::getpid()));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// The header bytes a real baseline JPEG starts with: SOI, an APP0/JFIF segment, SOF0, EOI.
std::string tiny_jpeg(int width, int height) {
  std::string b = {'\xFF', '\xD8', '\xFF', '\xE0', 0, 16, 'J', 'F', 'I', 'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0};
  const std::string sof = {'\xFF',
                           '\xC0',
                           0,
                           17,
                           8,
                           static_cast<char>(height >> 8),
                           static_cast<char>(height & 0xFF),
                           static_cast<char>(width >> 8),
                           static_cast<char>(width & 0xFF),
                           3,
                           1,
                           0x22,
                           0,
                           2,
                           0x11,
                           1,
                           3,
                           0x11,
                           1};
  return b + sof + std::string{'\xFF', '\xD9'};
}

std::string tiny_png(uint32_t width, uint32_t height) {
  std::string b = {'\x89', 'P', 'N', 'G', '\r', '\n', '\x1A', '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R'};
  for (uint32_t v : {width, height}) {
    for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<char>((v >> s) & 0xFF));
  }
  return b + std::string{8, 2, 0, 0, 0, 0, 0, 0, 0};
}

void write(const fs::path& p, const std::string& bytes) {
  fs::create_directories(p.parent_path());
  ASSERT_TRUE(write_file_atomic(p.string(), bytes).ok()) << p;
}

std::string write_class_map(const fs::path& dir) {
  const fs::path p = dir / "classes.tsv";
  write(p, "yolo_index\tcoco_category_id\tname\n0\t1\tperson\n1\t3\tcar\n");
  return p.string();
}

TEST(Dataset, ReadsJpegAndPngSizesFromHeaders) {
  TempDir tmp;
  write(tmp.path() / "a.jpg", tiny_jpeg(640, 426));
  write(tmp.path() / "b.png", tiny_png(33, 7));
  write(tmp.path() / "c.jpg", "not an image at all");
  write(tmp.path() / "d.jpg", std::string("\xFF\xD8\xFF\xE0\x00\x10JFIF", 10));  // cut inside APP0
  auto a = read_image_size((tmp.path() / "a.jpg").string());
  ASSERT_TRUE(a.ok()) << a.status().message();
  EXPECT_EQ(a->width, 640);
  EXPECT_EQ(a->height, 426);
  auto b = read_image_size((tmp.path() / "b.png").string());
  ASSERT_TRUE(b.ok()) << b.status().message();
  EXPECT_EQ(b->width, 33);
  EXPECT_EQ(b->height, 7);
  auto c = read_image_size((tmp.path() / "c.jpg").string());
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("not a JPEG or PNG"), std::string::npos) << c.status().message();
  auto d = read_image_size((tmp.path() / "d.jpg").string());
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.status().message().find("corrupt JPEG"), std::string::npos) << d.status().message();
  EXPECT_FALSE(read_image_size((tmp.path() / "missing.jpg").string()).ok());
}

TEST(Dataset, RealJpegHeader) {
  const std::string img = coco128() + "/images/val2017/000000000139.jpg";
  YQ_REQUIRE_FILE(img);
  auto s = read_image_size(img);
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->width, 640);
  EXPECT_EQ(s->height, 426);
}

TEST(Dataset, Coco128Val2017) {
  YQ_REQUIRE_FILE(class_map());
  auto ds = load_yolo_dataset(coco128(), "val2017", class_map());
  ASSERT_TRUE(ds.ok()) << ds.status().message();
  EXPECT_EQ(ds->images.size(), 128u);
  EXPECT_EQ(ds->boxes.size(), 898u);
  EXPECT_TRUE(ds->skipped.empty());
  EXPECT_EQ(ds->categories.size(), 80u);
  EXPECT_EQ(ds->images.front().id, 139);  // COCO ids from the numeric stems
  EXPECT_EQ(ds->images.back().id, 13201);
  EXPECT_EQ(ds->images.front().width, 640);
  EXPECT_EQ(ds->images.front().height, 426);
  std::set<int> present;
  for (const auto& b : ds->boxes) present.insert(b.category_id);
  EXPECT_EQ(present.size(), 73u);  // README: 73 classes present in val2017

  // First line of 000000000139.txt: "58 0.389578 0.416103 0.0385937 0.163146"; class 58 is
  // COCO category 64 (potted plant). Protocol step 6 box on the 640×426 image:
  EXPECT_EQ(ds->category_for_yolo_index(58), 64);
  const GtBox& b = ds->boxes.front();
  EXPECT_EQ(b.image_id, 139);
  EXPECT_EQ(b.category_id, 64);
  EXPECT_DOUBLE_EQ(b.bbox[0], (0.389578 - 0.0385937 / 2) * 640);
  EXPECT_DOUBLE_EQ(b.bbox[1], (0.416103 - 0.163146 / 2) * 426);
  EXPECT_DOUBLE_EQ(b.bbox[2], 0.0385937 * 640);
  EXPECT_DOUBLE_EQ(b.bbox[3], 0.163146 * 426);
  EXPECT_DOUBLE_EQ(b.area, (0.0385937 * 640) * (0.163146 * 426));
  EXPECT_FALSE(b.iscrowd);

  // The split directory itself finds the same labels via images -> labels.
  auto same = load_yolo_dataset(coco128() + "/images/val2017", "", class_map());
  ASSERT_TRUE(same.ok()) << same.status().message();
  EXPECT_EQ(same->images.size(), 128u);
  EXPECT_EQ(same->boxes.size(), 898u);

  // GT scored against itself: every box found exactly → AP ≈ 1 (73 categories).
  std::vector<DtBox> dts;
  for (const auto& g : ds->boxes) dts.push_back({g.image_id, g.category_id, g.bbox, 1.0});
  auto r = evaluate_coco(ds->image_ids(), ds->category_ids(), ds->boxes, dts);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_NEAR(r->stats[0], 1.0, 1e-9);
  EXPECT_EQ(r->num_categories_with_gt, 73);
}

TEST(Dataset, Coco128Train2017HasTwoNegatives) {
  YQ_REQUIRE_FILE(class_map());
  auto ds = load_yolo_dataset(coco128(), "train2017", class_map());
  ASSERT_TRUE(ds.ok()) << ds.status().message();
  EXPECT_EQ(ds->images.size(), 128u);
  EXPECT_EQ(ds->boxes.size(), 929u);
  std::set<int64_t> with_boxes;
  std::set<int> present;
  for (const auto& b : ds->boxes) {
    with_boxes.insert(b.image_id);
    present.insert(b.category_id);
  }
  EXPECT_EQ(with_boxes.size(), 126u);
  EXPECT_EQ(with_boxes.count(250), 0u);
  EXPECT_EQ(with_boxes.count(508), 0u);
  EXPECT_EQ(present.size(), 71u);  // README: 71 classes present in train2017
}

TEST(Dataset, MalformedLabelNamesFileAndLine) {
  TempDir tmp;
  const std::string classes = write_class_map(tmp.path());
  write(tmp.path() / "images/val/000001.jpg", tiny_jpeg(100, 50));
  const fs::path label = tmp.path() / "labels/val/000001.txt";
  auto expect_error = [&](const std::string& content, const std::string& needle) {
    write(label, content);
    auto ds = load_yolo_dataset(tmp.path().string(), "val", classes);
    ASSERT_FALSE(ds.ok()) << "accepted: " << content;
    EXPECT_NE(ds.status().message().find(needle), std::string::npos) << ds.status().message();
  };
  // Line 3 is the bad one; the blank line 2 is allowed.
  expect_error("0 0.5 0.5 0.2 0.2\n\n1 0.5 0.5 0.2\n", label.string() + ":3: expected 5 fields");
  expect_error("7 0.5 0.5 0.2 0.2\n", label.string() + ":1: class 7 is not in the class map");
  expect_error("0 0.5 1.2 0.2 0.2\n", label.string() + ":1: cy = 1.2 is outside [0, 1]");
  expect_error("0 0.5 0.5 abc 0.2\n", label.string() + ":1: w 'abc' is not a number");
  expect_error("x 0.5 0.5 0.2 0.2\n", label.string() + ":1: class 'x' is not an integer");

  // Within tolerance and with CRLF endings it loads.
  write(label, "0 1.0004 0.5 0.2 0.2\r\n1 0.25 0.5 0.5 1\r\n");
  auto ok = load_yolo_dataset(tmp.path().string(), "val", classes);
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  ASSERT_EQ(ok->boxes.size(), 2u);
  EXPECT_EQ(ok->boxes[1].category_id, 3);
  EXPECT_DOUBLE_EQ(ok->boxes[1].bbox[0], 0.0);
  EXPECT_DOUBLE_EQ(ok->boxes[1].bbox[2], 50.0);
  EXPECT_DOUBLE_EQ(ok->boxes[1].area, 50.0 * 50.0);
}

TEST(Dataset, CorruptImageIsSkippedNotFatalAndIdsFallBackToIndex) {
  TempDir tmp;
  const std::string classes = write_class_map(tmp.path());
  write(tmp.path() / "images/b_img.png", tiny_png(20, 10));
  write(tmp.path() / "images/a_img.jpg", "garbage");
  write(tmp.path() / "images/c_img.jpg", tiny_jpeg(8, 8));
  write(tmp.path() / "labels/b_img.txt", "1 0.5 0.5 1 1\n");
  write(tmp.path() / "images/notes.txt", "ignored: not an image extension");
  auto ds = load_yolo_dataset((tmp.path() / "images").string(), "", classes);
  ASSERT_TRUE(ds.ok()) << ds.status().message();
  ASSERT_EQ(ds->skipped.size(), 1u);
  EXPECT_NE(ds->skipped[0].path.find("a_img.jpg"), std::string::npos);
  EXPECT_FALSE(ds->skipped[0].reason.empty());
  ASSERT_EQ(ds->images.size(), 2u);
  // Non-numeric stems: ids are indices in file-name order (a=0 skipped, b=1, c=2).
  EXPECT_EQ(ds->images[0].id, 1);
  EXPECT_EQ(ds->images[1].id, 2);
  ASSERT_EQ(ds->boxes.size(), 1u);  // c_img has no label file: a negative
  EXPECT_EQ(ds->boxes[0].image_id, 1);
  EXPECT_DOUBLE_EQ(ds->boxes[0].bbox[2], 20.0);
}

TEST(Dataset, MissingDirectoriesAndBadClassMapAreErrors) {
  TempDir tmp;
  const std::string classes = write_class_map(tmp.path());
  EXPECT_FALSE(load_yolo_dataset(tmp.path().string(), "val", classes).ok());
  write(tmp.path() / "pics/x.jpg", tiny_jpeg(4, 4));
  auto no_images_component = load_yolo_dataset((tmp.path() / "pics").string(), "", classes);
  ASSERT_FALSE(no_images_component.ok());
  EXPECT_NE(no_images_component.status().message().find("'images'"), std::string::npos);
  write(tmp.path() / "bad.tsv", "index\tid\tname\n0\t1\tperson\n");
  auto bad = load_class_map((tmp.path() / "bad.tsv").string());
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find(":1:"), std::string::npos);
  write(tmp.path() / "dup.tsv", "yolo_index\tcoco_category_id\tname\n0\t1\ta\n1\t1\tb\n");
  auto dup = load_class_map((tmp.path() / "dup.tsv").string());
  ASSERT_FALSE(dup.ok());
  EXPECT_NE(dup.status().message().find("dup.tsv:3: duplicate category id 1"), std::string::npos);
}

TEST(Dataset, CocoJsonRoundTrip) {
  TempDir tmp;
  const std::string classes = write_class_map(tmp.path());
  write(tmp.path() / "images/val/000000000007.jpg", tiny_jpeg(100, 50));
  write(tmp.path() / "images/val/000000000003.jpg", tiny_jpeg(64, 64));
  write(tmp.path() / "labels/val/000000000007.txt", "0 0.5 0.5 0.2 0.4\n1 0.1 0.1 0.2 0.2\n");
  auto ds = load_yolo_dataset(tmp.path().string(), "val", classes);
  ASSERT_TRUE(ds.ok()) << ds.status().message();
  const std::string json = (tmp.path() / "gt.json").string();
  ASSERT_TRUE(write_coco_gt_json(json, *ds).ok());

  auto back = load_coco_dataset(json, (tmp.path() / "images/val").string());
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_TRUE(back->skipped.empty());
  ASSERT_EQ(back->images.size(), 2u);
  EXPECT_EQ(back->images[0].id, 3);
  EXPECT_EQ(back->images[1].width, 100);
  ASSERT_EQ(back->boxes.size(), ds->boxes.size());
  for (size_t i = 0; i < ds->boxes.size(); ++i) {
    EXPECT_EQ(back->boxes[i].bbox, ds->boxes[i].bbox);  // shortest round-trip decimals: exact
    EXPECT_EQ(back->boxes[i].area, ds->boxes[i].area);
    EXPECT_EQ(back->boxes[i].category_id, ds->boxes[i].category_id);
  }
  EXPECT_EQ(back->category_ids(), ds->category_ids());

  // A missing image file is skipped together with its GT.
  fs::remove(tmp.path() / "images/val/000000000007.jpg");
  auto partial = load_coco_dataset(json, (tmp.path() / "images/val").string());
  ASSERT_TRUE(partial.ok()) << partial.status().message();
  EXPECT_EQ(partial->skipped.size(), 1u);
  EXPECT_EQ(partial->images.size(), 1u);
  EXPECT_TRUE(partial->boxes.empty());

  // Detections JSON: COCO results format.
  const std::string dets = (tmp.path() / "dets.json").string();
  std::vector<DtBox> dts = {{7, 3, {1.5, 2.25, 10.0, 0.1}, 0.123456789}};
  ASSERT_TRUE(write_coco_detections_json(dets, dts).ok());
  auto text = read_file(dets);
  ASSERT_TRUE(text.ok());
  EXPECT_NE(text->find("\"image_id\":7"), std::string::npos) << *text;
  EXPECT_NE(text->find("\"bbox\":[1.5,2.25,10.0,0.1]"), std::string::npos) << *text;
  EXPECT_NE(text->find("\"score\":0.123456789"), std::string::npos) << *text;
}

TEST(Dataset, CocoJsonErrorsNameTheElement) {
  TempDir tmp;
  const fs::path p = tmp.path() / "bad.json";
  write(p, R"({"images":[{"id":1,"file_name":"a.jpg","width":10,"height":10}],
              "annotations":[{"image_id":1,"category_id":5,"bbox":[0,0,1,1]}],
              "categories":[{"id":1,"name":"x"}]})");
  auto r = load_coco_dataset(p.string(), "");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("annotations[0]: category_id 5"), std::string::npos) << r.status().message();
  write(p, "{not json");
  EXPECT_FALSE(load_coco_dataset(p.string(), "").ok());
}

}  // namespace
}  // namespace yq::eval
