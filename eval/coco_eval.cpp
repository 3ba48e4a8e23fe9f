// SPDX-License-Identifier: Apache-2.0
// Follows pycocotools cocoeval.py (COCOeval.evaluate / evaluateImg / accumulate / summarize) and
// maskApi.c bbIou. Where pycocotools' numerics are subtle (linspace values, stable sorts, `<`
// versus `<=`, np.spacing(1), numpy pairwise summation) the code reproduces them on purpose so
// the numbers agree with pycocotools to the last printed digit, not just approximately.
#include "eval/coco_eval.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <unordered_map>
#include <vector>

#include "base/check.h"
#include "base/log.h"

namespace yq::eval {
namespace {

constexpr int kNumIou = 10;
constexpr int kNumRec = 101;
constexpr int kNumArea = 4;
constexpr int kNumMaxDet = 3;
constexpr std::array<int, kNumMaxDet> kMaxDets = {1, 10, 100};
constexpr int kMaxDetLast = kMaxDets[kNumMaxDet - 1];

struct AreaRange {
  double lo;
  double hi;
  const char* label;
};
// Params.areaRng = [[0², 1e5²], [0², 32²], [32², 96²], [96², 1e5²]]; the tests are
// `area < lo or area > hi`, so both ends are inclusive.
constexpr std::array<AreaRange, kNumArea> kAreaRanges = {{
    {0.0, 1e10, "all"},
    {0.0, 32.0 * 32.0, "small"},
    {32.0 * 32.0, 96.0 * 96.0, "medium"},
    {96.0 * 96.0, 1e10, "large"},
}};

// np.spacing(1): added to the precision denominator.
constexpr double kEps = std::numeric_limits<double>::epsilon();

// Per detection and IoU threshold, the evaluateImg outcome.
constexpr uint8_t kMatched = 1;  // dtMatches != 0
constexpr uint8_t kIgnored = 2;  // dtIgnore

// numpy.linspace(start, stop, N): arange(N) * ((stop - start) / (N - 1)) + start, then the last
// element overwritten with stop. Two separate roundings, as numpy does them (no fma).
template <size_t N>
std::array<double, N> numpy_linspace(double start, double stop) {
  std::array<double, N> y{};
  const double step = (stop - start) / static_cast<double>(N - 1);
  for (size_t i = 0; i < N; ++i) {
    volatile double scaled = static_cast<double>(i) * step;  // volatile: forbid fma contraction
    y[i] = scaled + start;
  }
  y[N - 1] = stop;
  return y;
}

// numpy's pairwise summation (DOUBLE_pairwise_sum, blocks of 128 with 8 accumulators), which
// np.mean uses on a contiguous 1-D array. Reproducing it makes summarize() bit-identical.
double numpy_pairwise_sum(const double* a, size_t n) {
  if (n < 8) {
    double res = 0.0;
    for (size_t i = 0; i < n; ++i) res += a[i];
    return res;
  }
  if (n <= 128) {
    double r[8];
    for (int j = 0; j < 8; ++j) r[j] = a[j];
    size_t i = 8;
    for (; i < n - (n % 8); i += 8) {
      for (int j = 0; j < 8; ++j) r[j] += a[i + j];
    }
    double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; ++i) res += a[i];
    return res;
  }
  size_t n2 = n / 2;
  n2 -= n2 % 8;
  return numpy_pairwise_sum(a, n2) + numpy_pairwise_sum(a + n2, n - n2);
}

// `np.mean(s[s > -1])`, or -1 when nothing is > -1 (summarize's convention).
double mean_of_valid(const std::vector<double>& values) {
  std::vector<double> valid;
  valid.reserve(values.size());
  for (double v : values) {
    if (v > -1.0) valid.push_back(v);
  }
  if (valid.empty()) return -1.0;
  // np.add.reduce feeds the inner loop in buffer-sized chunks (8192 elements) and adds each
  // chunk's pairwise sum to the running total.
  constexpr size_t kNumpyBufferSize = 8192;
  double sum = 0.0;
  for (size_t i = 0; i < valid.size(); i += kNumpyBufferSize) {
    sum += numpy_pairwise_sum(valid.data() + i, std::min(kNumpyBufferSize, valid.size() - i));
  }
  return sum / static_cast<double>(valid.size());
}

// maskApi.c bbIou for one pair: 0 without positive overlap; a crowd GT divides by the
// detection's area only, so a detection inside a crowd region scores high.
double box_iou(const std::array<double, 4>& d, const std::array<double, 4>& g, bool crowd) {
  const double w = std::fmin(d[2] + d[0], g[2] + g[0]) - std::fmax(d[0], g[0]);
  if (w <= 0) return 0.0;
  const double h = std::fmin(d[3] + d[1], g[3] + g[1]) - std::fmax(d[1], g[1]);
  if (h <= 0) return 0.0;
  const double inter = w * h;
  const double da = d[2] * d[3];
  const double union_area = crowd ? da : da + g[2] * g[3] - inter;
  return inter / union_area;
}

bool all_finite(const std::array<double, 4>& b) {
  return std::isfinite(b[0]) && std::isfinite(b[1]) && std::isfinite(b[2]) && std::isfinite(b[3]);
}

// The accumulated arrays of COCOeval.eval, with their [T,R,K,A,M] / [T,K,A,M] layouts.
class EvalArrays {
 public:
  explicit EvalArrays(int num_cats)
      : k_(num_cats),
        precision_(static_cast<size_t>(kNumIou) * kNumRec * num_cats * kNumArea * kNumMaxDet, -1.0),
        recall_(static_cast<size_t>(kNumIou) * num_cats * kNumArea * kNumMaxDet, -1.0) {}
  double& precision(int t, int r, int k, int a, int m) {
    return precision_[((((static_cast<size_t>(t) * kNumRec + r) * k_ + k) * kNumArea + a) * kNumMaxDet) + m];
  }
  double& recall(int t, int k, int a, int m) {
    return recall_[(((static_cast<size_t>(t) * k_ + k) * kNumArea + a) * kNumMaxDet) + m];
  }
  int num_cats() const { return k_; }

 private:
  int k_;
  std::vector<double> precision_;
  std::vector<double> recall_;
};

// Gathers precision[t?, :, k?, a, m] or recall[t?, k?, a, m] in numpy's C order (t, r, k) and
// means the entries > -1, i.e. COCOeval.summarize's _summarize for one setting.
// `iou_index` < 0 means all thresholds; `cat_index` < 0 means all categories.
double summarize_setting(EvalArrays& arrays, bool ap, int iou_index, int area, int max_det_index, int cat_index) {
  std::vector<double> values;
  const int t0 = iou_index < 0 ? 0 : iou_index;
  const int t1 = iou_index < 0 ? kNumIou : iou_index + 1;
  const int k0 = cat_index < 0 ? 0 : cat_index;
  const int k1 = cat_index < 0 ? arrays.num_cats() : cat_index + 1;
  for (int t = t0; t < t1; ++t) {
    if (ap) {
      for (int r = 0; r < kNumRec; ++r) {
        for (int k = k0; k < k1; ++k) values.push_back(arrays.precision(t, r, k, area, max_det_index));
      }
    } else {
      for (int k = k0; k < k1; ++k) values.push_back(arrays.recall(t, k, area, max_det_index));
    }
  }
  return mean_of_valid(values);
}

// One summary line of _summarizeDets: AP or AR, an IoU threshold (or all), area, maxDets.
struct StatSetting {
  bool ap;
  double iou;  // < 0: all thresholds (the "0.50:0.95" line)
  int area;
  int max_det_index;
};
constexpr std::array<StatSetting, 12> kStatSettings = {{
    {true, -1.0, 0, 2},
    {true, 0.5, 0, 2},
    {true, 0.75, 0, 2},
    {true, -1.0, 1, 2},
    {true, -1.0, 2, 2},
    {true, -1.0, 3, 2},
    {false, -1.0, 0, 0},
    {false, -1.0, 0, 1},
    {false, -1.0, 0, 2},
    {false, -1.0, 1, 2},
    {false, -1.0, 2, 2},
    {false, -1.0, 3, 2},
}};

// Detections and GT of one category, bucketed by image, plus the evaluateImg results.
struct CategoryWork {
  // Per evaluated image (one with GT or detections in this category), ascending image id.
  std::vector<int> dt_begin;  // first position in `scores`
  std::vector<int> dt_count;  // detections kept (<= 100), sorted by descending score
  std::vector<double> scores;
  // flags[a][pos * kNumIou + t]: kMatched / kIgnored bits.
  std::array<std::vector<uint8_t>, kNumArea> flags;
  std::array<int64_t, kNumArea> num_gt_not_ignored{};
};

class Evaluator {
 public:
  Evaluator(std::vector<int64_t> image_ids, std::vector<int> cat_ids)
      : image_ids_(std::move(image_ids)),
        cat_ids_(std::move(cat_ids)),
        iou_thrs_(coco_iou_thresholds()),
        rec_thrs_(coco_recall_thresholds()),
        arrays_(static_cast<int>(cat_ids_.size())) {}

  Status bucket(std::span<const GtBox> gts, std::span<const DtBox> dts) {
    std::unordered_map<int64_t, int> image_index;
    image_index.reserve(image_ids_.size() * 2);
    for (size_t i = 0; i < image_ids_.size(); ++i) image_index.emplace(image_ids_[i], static_cast<int>(i));
    std::unordered_map<int, int> cat_index;
    for (size_t k = 0; k < cat_ids_.size(); ++k) cat_index.emplace(cat_ids_[k], static_cast<int>(k));
    const int64_t num_images = static_cast<int64_t>(image_ids_.size());

    size_t gt_outside = 0;
    std::vector<std::pair<int64_t, int>> gt_keys;  // (cat * I + img, index)
    gt_keys.reserve(gts.size());
    for (size_t i = 0; i < gts.size(); ++i) {
      const GtBox& g = gts[i];
      if (!all_finite(g.bbox) || !std::isfinite(g.area)) {
        return invalid_argument("ground-truth box #" + std::to_string(i) + " (image " + std::to_string(g.image_id) +
                                "): bbox or area is not finite");
      }
      auto img = image_index.find(g.image_id);
      auto cat = cat_index.find(g.category_id);
      if (img == image_index.end() || cat == cat_index.end()) {
        ++gt_outside;
        continue;
      }
      gt_keys.emplace_back(cat->second * num_images + img->second, static_cast<int>(i));
    }
    if (gt_outside > 0) {
      YQ_LOG(Warning) << "coco eval: " << gt_outside
                      << " ground-truth boxes are on images or categories outside the evaluated set; left out";
    }
    std::vector<std::pair<int64_t, int>> dt_keys;
    dt_keys.reserve(dts.size());
    for (size_t i = 0; i < dts.size(); ++i) {
      const DtBox& d = dts[i];
      if (!all_finite(d.bbox) || !std::isfinite(d.score)) {
        return invalid_argument("detection #" + std::to_string(i) + " (image " + std::to_string(d.image_id) +
                                "): bbox or score is not finite");
      }
      auto img = image_index.find(d.image_id);
      if (img == image_index.end()) {
        return invalid_argument("detection #" + std::to_string(i) + ": image_id " + std::to_string(d.image_id) +
                                " is not one of the " + std::to_string(image_ids_.size()) + " evaluated images");
      }
      auto cat = cat_index.find(d.category_id);
      if (cat == cat_index.end()) continue;  // pycocotools' getAnnIds(catIds=...) drops it too
      dt_keys.emplace_back(cat->second * num_images + img->second, static_cast<int>(i));
    }
    // Sorting (key, input index) pairs keeps input order inside each (category, image) bucket,
    // which is the order pycocotools' _dts lists have before its stable score sort.
    std::sort(gt_keys.begin(), gt_keys.end());
    std::sort(dt_keys.begin(), dt_keys.end());
    gt_keys_ = std::move(gt_keys);
    dt_keys_ = std::move(dt_keys);
    return ok_status();
  }

  void run(std::span<const GtBox> gts, std::span<const DtBox> dts) {
    const int64_t num_images = static_cast<int64_t>(image_ids_.size());
    size_t gi = 0;
    size_t di = 0;
    for (int k = 0; k < static_cast<int>(cat_ids_.size()); ++k) {
      CategoryWork work;
      const int64_t key_end = (k + 1) * num_images;
      // Walk images of this category that have GT or detections, in ascending image order.
      while ((gi < gt_keys_.size() && gt_keys_[gi].first < key_end) ||
             (di < dt_keys_.size() && dt_keys_[di].first < key_end)) {
        const int64_t gk = gi < gt_keys_.size() ? gt_keys_[gi].first : std::numeric_limits<int64_t>::max();
        const int64_t dk = di < dt_keys_.size() ? dt_keys_[di].first : std::numeric_limits<int64_t>::max();
        const int64_t key = std::min(gk, dk);
        gt_scratch_.clear();
        dt_scratch_.clear();
        while (gi < gt_keys_.size() && gt_keys_[gi].first == key) gt_scratch_.push_back(&gts[gt_keys_[gi++].second]);
        while (di < dt_keys_.size() && dt_keys_[di].first == key) dt_scratch_.push_back(&dts[dt_keys_[di++].second]);
        evaluate_image(work);
      }
      accumulate_category(k, work);
    }
  }

  CocoResult summarize() {
    CocoResult result;
    for (size_t i = 0; i < kStatSettings.size(); ++i) {
      const StatSetting& s = kStatSettings[i];
      int iou_index = -1;
      if (s.iou >= 0) {
        // summarize uses np.where(iouThr == p.iouThrs): an exact float comparison.
        iou_index = -2;
        for (int t = 0; t < kNumIou; ++t) {
          if (iou_thrs_[t] == s.iou) iou_index = t;
        }
      }
      result.stats[i] =
          iou_index == -2 ? -1.0 : summarize_setting(arrays_, s.ap, iou_index, s.area, s.max_det_index, -1);
    }
    for (int k = 0; k < arrays_.num_cats(); ++k) {
      const double ap = summarize_setting(arrays_, true, -1, 0, kNumMaxDet - 1, k);
      if (ap > -1.0) {
        result.per_class_ap[cat_ids_[k]] = ap;
        ++result.num_categories_with_gt;
      }
    }
    return result;
  }

 private:
  // COCOeval.computeIoU + evaluateImg for every area range, for the image whose boxes are in
  // gt_scratch_ / dt_scratch_ (input order).
  void evaluate_image(CategoryWork& work) {
    // Detections: stable sort by descending score (np.argsort(-score, kind='mergesort')), top 100.
    std::stable_sort(dt_scratch_.begin(), dt_scratch_.end(),
                     [](const DtBox* a, const DtBox* b) { return a->score > b->score; });
    if (dt_scratch_.size() > static_cast<size_t>(kMaxDetLast)) dt_scratch_.resize(kMaxDetLast);
    const int num_dt = static_cast<int>(dt_scratch_.size());
    const int num_gt = static_cast<int>(gt_scratch_.size());

    const int pos0 = static_cast<int>(work.scores.size());
    work.dt_begin.push_back(pos0);
    work.dt_count.push_back(num_dt);
    for (const DtBox* d : dt_scratch_) work.scores.push_back(d->score);
    for (auto& f : work.flags) f.resize(work.scores.size() * kNumIou, 0);

    // ious[d * G + g] against the GT in input order.
    ious_.assign(static_cast<size_t>(num_dt) * num_gt, 0.0);
    for (int d = 0; d < num_dt; ++d) {
      for (int g = 0; g < num_gt; ++g) {
        ious_[static_cast<size_t>(d) * num_gt + g] =
            box_iou(dt_scratch_[d]->bbox, gt_scratch_[g]->bbox, gt_scratch_[g]->iscrowd);
      }
    }

    for (int a = 0; a < kNumArea; ++a) {
      const AreaRange& rng = kAreaRanges[a];
      // GT order: not-ignored first, stable (np.argsort(_ignore, kind='mergesort')).
      gt_order_.clear();
      gt_ignore_.assign(num_gt, 0);
      for (int g = 0; g < num_gt; ++g) {
        const GtBox& gt = *gt_scratch_[g];
        gt_ignore_[g] = (gt.iscrowd || gt.area < rng.lo || gt.area > rng.hi) ? 1 : 0;
        if (!gt_ignore_[g]) gt_order_.push_back(g);
      }
      work.num_gt_not_ignored[a] += static_cast<int64_t>(gt_order_.size());
      for (int g = 0; g < num_gt; ++g) {
        if (gt_ignore_[g]) gt_order_.push_back(g);
      }

      uint8_t* flags = work.flags[a].data() + static_cast<size_t>(pos0) * kNumIou;
      if (num_gt > 0 && num_dt > 0) {
        for (int t = 0; t < kNumIou; ++t) {
          gt_matched_.assign(num_gt, 0);  // indexed by position in gt_order_
          for (int d = 0; d < num_dt; ++d) {
            const double* iou_row = ious_.data() + static_cast<size_t>(d) * num_gt;
            double best = std::min(iou_thrs_[t], 1 - 1e-10);
            int m = -1;
            for (int j = 0; j < num_gt; ++j) {
              const int g = gt_order_[j];
              // An already matched GT is skipped unless it is a crowd (crowds absorb many dts).
              if (gt_matched_[j] && !gt_scratch_[g]->iscrowd) continue;
              // Once matched to a real GT, stop at the first ignored one (they are sorted last).
              if (m > -1 && !gt_ignore_[gt_order_[m]] && gt_ignore_[g]) break;
              // `<`, not `<=`: a later GT with an equal IoU replaces the current best.
              if (iou_row[g] < best) continue;
              best = iou_row[g];
              m = j;
            }
            if (m == -1) continue;
            gt_matched_[m] = 1;
            flags[static_cast<size_t>(d) * kNumIou + t] =
                static_cast<uint8_t>(kMatched | (gt_ignore_[gt_order_[m]] ? kIgnored : 0));
          }
        }
      }
      // Unmatched detections outside the area range are ignored (dt area = w·h, as loadRes sets).
      for (int d = 0; d < num_dt; ++d) {
        const double area = dt_scratch_[d]->bbox[2] * dt_scratch_[d]->bbox[3];
        if (!(area < rng.lo || area > rng.hi)) continue;
        for (int t = 0; t < kNumIou; ++t) {
          uint8_t& f = flags[static_cast<size_t>(d) * kNumIou + t];
          if (!(f & kMatched)) f |= kIgnored;
        }
      }
    }
  }

  // COCOeval.accumulate for one category k, all area ranges and maxDets.
  void accumulate_category(int k, const CategoryWork& work) {
    if (work.dt_begin.empty()) return;  // no evaluated image: stays -1
    const int num_evaluated = static_cast<int>(work.dt_begin.size());
    for (int m = 0; m < kNumMaxDet; ++m) {
      const int max_det = kMaxDets[m];
      // Concatenate the first maxDet detections of each image (ascending image id), then
      // stable sort by descending score, as np.argsort(-dtScores, kind='mergesort').
      order_.clear();
      for (int e = 0; e < num_evaluated; ++e) {
        const int n = std::min(work.dt_count[e], max_det);
        for (int i = 0; i < n; ++i) order_.push_back(work.dt_begin[e] + i);
      }
      std::stable_sort(order_.begin(), order_.end(), [&](int a, int b) { return work.scores[a] > work.scores[b]; });
      const int nd = static_cast<int>(order_.size());
      rc_.resize(nd);
      pr_.resize(nd);
      for (int a = 0; a < kNumArea; ++a) {
        const int64_t npig = work.num_gt_not_ignored[a];
        if (npig == 0) continue;  // no GT in this category and range: precision/recall stay -1
        const double npig_d = static_cast<double>(npig);
        const uint8_t* flags = work.flags[a].data();
        for (int t = 0; t < kNumIou; ++t) {
          // Integer cumsums converted to float, as np.cumsum(bool).astype(float).
          int64_t tp = 0;
          int64_t fp = 0;
          for (int i = 0; i < nd; ++i) {
            const uint8_t f = flags[static_cast<size_t>(order_[i]) * kNumIou + t];
            if (!(f & kIgnored)) {
              if (f & kMatched) {
                ++tp;
              } else {
                ++fp;
              }
            }
            const double tp_d = static_cast<double>(tp);
            const double fp_d = static_cast<double>(fp);
            rc_[i] = tp_d / npig_d;
            pr_[i] = tp_d / (fp_d + tp_d + kEps);
          }
          arrays_.recall(t, k, a, m) = nd > 0 ? rc_[nd - 1] : 0.0;
          // Precision envelope: make it non-increasing from the right.
          for (int i = nd - 1; i > 0; --i) {
            if (pr_[i] > pr_[i - 1]) pr_[i - 1] = pr_[i];
          }
          // q[r] = pr[searchsorted(rc, recThrs[r], side='left')]; an index past the end raises
          // in pycocotools, which its bare except turns into "the remaining q stay 0".
          for (int r = 0; r < kNumRec; ++r) {
            const auto it = std::lower_bound(rc_.begin(), rc_.begin() + nd, rec_thrs_[r]);
            const int idx = static_cast<int>(it - rc_.begin());
            if (idx >= nd) {
              for (int r2 = r; r2 < kNumRec; ++r2) arrays_.precision(t, r2, k, a, m) = 0.0;
              break;
            }
            arrays_.precision(t, r, k, a, m) = pr_[idx];
          }
        }
      }
    }
  }

  std::vector<int64_t> image_ids_;
  std::vector<int> cat_ids_;
  std::array<double, kNumIou> iou_thrs_;
  std::array<double, kNumRec> rec_thrs_;
  EvalArrays arrays_;
  std::vector<std::pair<int64_t, int>> gt_keys_;
  std::vector<std::pair<int64_t, int>> dt_keys_;
  // Scratch reused across images and categories (no per-image allocation after warm-up).
  std::vector<const GtBox*> gt_scratch_;
  std::vector<const DtBox*> dt_scratch_;
  std::vector<double> ious_;
  std::vector<int> gt_order_;
  std::vector<uint8_t> gt_ignore_;
  std::vector<uint8_t> gt_matched_;
  std::vector<int> order_;
  std::vector<double> rc_;
  std::vector<double> pr_;
};

}  // namespace

std::array<double, 10> coco_iou_thresholds() { return numpy_linspace<10>(0.5, 0.95); }
std::array<double, 101> coco_recall_thresholds() { return numpy_linspace<101>(0.0, 1.0); }

Expected<CocoResult> evaluate_coco(std::span<const int64_t> image_ids, std::span<const int> category_ids,
                                   std::span<const GtBox> gts, std::span<const DtBox> dts) {
  // pycocotools: p.imgIds = np.unique(imgIds), p.catIds = np.unique(catIds) (sorted, deduped).
  std::vector<int64_t> imgs(image_ids.begin(), image_ids.end());
  std::sort(imgs.begin(), imgs.end());
  imgs.erase(std::unique(imgs.begin(), imgs.end()), imgs.end());
  std::vector<int> cats(category_ids.begin(), category_ids.end());
  std::sort(cats.begin(), cats.end());
  cats.erase(std::unique(cats.begin(), cats.end()), cats.end());

  Evaluator evaluator(std::move(imgs), std::move(cats));
  YQ_RETURN_IF_ERROR(evaluator.bucket(gts, dts));
  evaluator.run(gts, dts);
  return evaluator.summarize();
}

std::string format_coco_summary(const CocoResult& result) {
  // ' {:<18} {} @[ IoU={:<9} | area={:>6s} | maxDets={:>3d} ] = {:0.3f}'
  std::string out;
  char line[160];
  for (size_t i = 0; i < kStatSettings.size(); ++i) {
    const StatSetting& s = kStatSettings[i];
    const char* iou = s.iou < 0 ? "0.50:0.95" : (s.iou == 0.5 ? "0.50" : "0.75");
    std::snprintf(line, sizeof(line), " %-18s %s @[ IoU=%-9s | area=%6s | maxDets=%3d ] = %0.3f\n",
                  s.ap ? "Average Precision" : "Average Recall", s.ap ? "(AP)" : "(AR)", iou, kAreaRanges[s.area].label,
                  kMaxDets[s.max_det_index], result.stats[i]);
    out += line;
  }
  return out;
}

}  // namespace yq::eval
