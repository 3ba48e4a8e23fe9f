// SPDX-License-Identifier: Apache-2.0
#include "detect/nms.h"

#include <algorithm>
#include <unordered_map>

namespace yq::detect {

std::vector<int32_t> nms_indices(std::span<const Detection> candidates, const NmsOptions& options) {
  std::vector<int32_t> order;
  order.reserve(candidates.size());
  for (size_t i = 0; i < candidates.size(); ++i) {
    // `!(s > t)` also rejects NaN scores.
    if (candidates[i].score > options.score_threshold) order.push_back(static_cast<int32_t>(i));
  }
  std::sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
    const float sa = candidates[a].score, sb = candidates[b].score;
    return sa != sb ? sa > sb : a < b;
  });

  // Kept boxes bucketed by class. Because classes never suppress each other, visiting all
  // candidates in one global score order is the same as running greedy NMS per class, and the
  // k-th box kept globally is the k-th best survivor: stopping at max_total is exact.
  struct Kept {
    Box box;
    float area;
  };
  std::unordered_map<int, std::vector<Kept>> kept_by_class;
  std::vector<int32_t> kept;
  const size_t max_total = options.max_total > 0 ? static_cast<size_t>(options.max_total) : order.size();
  for (int32_t idx : order) {
    if (kept.size() >= max_total) break;
    const Detection& d = candidates[idx];
    std::vector<Kept>& bucket = kept_by_class[d.class_id];
    if (options.max_per_class > 0 && bucket.size() >= static_cast<size_t>(options.max_per_class)) continue;
    const float area = d.box.area();
    bool suppressed = false;
    for (const Kept& k : bucket) {
      const float iw = std::min(d.box.x2, k.box.x2) - std::max(d.box.x1, k.box.x1);
      if (iw <= 0.f) continue;
      const float ih = std::min(d.box.y2, k.box.y2) - std::max(d.box.y1, k.box.y1);
      if (ih <= 0.f) continue;
      const float inter = iw * ih;
      const float uni = area + k.area - inter;
      if (uni > 0.f && inter / uni > options.iou_threshold) {
        suppressed = true;
        break;
      }
    }
    if (suppressed) continue;
    bucket.push_back({d.box, area});
    kept.push_back(idx);
  }
  return kept;
}

std::vector<Detection> nms(std::span<const Detection> candidates, const NmsOptions& options) {
  std::vector<Detection> out;
  for (int32_t i : nms_indices(candidates, options)) out.push_back(candidates[i]);
  return out;
}

}  // namespace yq::detect
