// SPDX-License-Identifier: Apache-2.0
#include "quant/channel_loss.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>

#include "quant/equalize_depthwise.h"

namespace yq::quant {
namespace {

// The QParams scale every member of each planned group would get (apply_quantization's rule).
Expected<std::map<ir::ValueId, float>> planned_scales(const ir::Graph& g, const QuantPlan& plan,
                                                      const std::map<ir::ValueId, TensorStats>& stats,
                                                      const CalibOptions& calib, GroupQParamsCache* cache) {
  std::map<ir::ValueId, float> scales;
  for (size_t i = 0; i < plan.groups.size(); ++i) {
    const auto& group = plan.groups[i];
    if (group.empty()) continue;
    auto qp = calibrate_group(g, group, stats, group_calib_options(plan, i, calib), cache);
    if (!qp.ok()) return qp.status().with_context("channel-loss rule");
    for (ir::ValueId v : group) scales[v] = qp->scales[0];
  }
  return scales;
}

// Which input channels of Conv/FusedConv `n` are lost under scale `s` (see the header): every value
// rounds to zero (0 < max|x_c| < s/2) and, on some output o, the removed contribution
// max|x_c| * sum_k |W[o,c,k]| exceeds the rounding noise the layer sees anyway,
// (s / sqrt(12)) * ||W[o,:,:,:]||_2 (uniform rounding error of variance s^2/12 on each input).
// Returns the lost channels' indices.
std::vector<int64_t> lost_channels(const ir::Graph& g, const ir::Node& n, const std::vector<float>& cmax, float s) {
  std::vector<int64_t> lost;
  const ir::Value& wv = g.value(n.input(1));
  if (!wv.is_constant() || wv.constant->dtype() != DType::kF32 || wv.constant->rank() != 4) return lost;
  const Shape& ws = wv.constant->shape();
  const int64_t oc = ws[0], icg = ws[1], kk = ws[2] * ws[3];
  const int64_t groups = n.attrs.get_int("group", 1);
  if (groups <= 0 || oc % groups != 0 || icg * groups != static_cast<int64_t>(cmax.size())) return lost;
  const float* w = wv.constant->data<float>();
  const int64_t oc_per_group = oc / groups;
  const double half_lsb = 0.5 * s, noise_per_unit = s / std::sqrt(12.0);
  std::vector<char> is_lost(cmax.size(), 0);
  for (int64_t o = 0; o < oc; ++o) {
    const float* wo = w + o * icg * kk;
    double l2 = 0.0;
    for (int64_t i = 0; i < icg * kk; ++i) l2 += static_cast<double>(wo[i]) * wo[i];
    const double noise = noise_per_unit * std::sqrt(l2);
    const int64_t c0 = (o / oc_per_group) * icg;
    for (int64_t ci = 0; ci < icg; ++ci) {
      const double m = cmax[static_cast<size_t>(c0 + ci)];
      if (m <= 0.0 || m >= half_lsb) continue;
      double l1 = 0.0;
      for (int64_t k = 0; k < kk; ++k) l1 += std::fabs(wo[ci * kk + k]);
      if (m * l1 > noise) is_lost[static_cast<size_t>(c0 + ci)] = 1;
    }
  }
  for (size_t c = 0; c < is_lost.size(); ++c)
    if (is_lost[c]) lost.push_back(static_cast<int64_t>(c));
  return lost;
}

}  // namespace

std::string describe_channel_loss(const ChannelLoss& l) {
  char buf[160];
  std::snprintf(buf, sizeof(buf), " channel %lld of %lld (max |x| %.3g) rounds to zero at scale %.3g (%lld such channel%s)",
                static_cast<long long>(l.channel), static_cast<long long>(l.channels), l.channel_abs_max, l.scale,
                static_cast<long long>(l.lost_channels), l.lost_channels == 1 ? "" : "s");
  return l.layer + ": input '" + l.value + "'" + buf + (l.equalized ? ", equalized" : ", kept float");
}

Expected<QuantPolicy> keep_channel_loss_float(const ir::Graph& g, const QuantPolicy& policy,
                                              const std::map<ir::ValueId, TensorStats>& stats,
                                              const CalibOptions& calib, std::vector<ChannelLoss>* found,
                                              GroupQParamsCache* cache) {
  QuantPolicy out = policy;
  std::vector<ChannelLoss> losses;
  if (!policy.float_on_channel_loss) {
    if (found) found->clear();
    return out;
  }
  // Each round only adds layers, so this ends within the number of compute layers.
  for (bool added = true; added;) {
    added = false;
    YQ_ASSIGN_OR_RETURN(QuantPlan plan, plan_quantization(g, out));
    YQ_ASSIGN_OR_RETURN(auto scales, planned_scales(g, plan, stats, calib, cache));
    std::set<ir::ValueId> equalized;  // inputs with per-channel ranges: no channel rounds away
    for (size_t i = 0; i < plan.groups.size(); ++i)
      if (i < plan.group_equalized.size() && plan.group_equalized[i] != ir::kNoNode)
        equalized.insert(plan.groups[i].begin(), plan.groups[i].end());
    for (ir::NodeId id : plan.compute_nodes) {
      const ir::Node& n = g.node(id);
      const ir::ValueId x = n.input(0);
      if (equalized.count(x)) continue;
      auto s_it = scales.find(x);
      auto st_it = stats.find(x);
      if (s_it == scales.end() || st_it == stats.end()) continue;
      if (n.op_type != "Conv" && n.op_type != "FusedConv") continue;  // ConvTranspose weights are [Cin, ...]
      const std::vector<float>& cmax = st_it->second.channel_abs_max();
      const std::vector<int64_t> lost = lost_channels(g, n, cmax, s_it->second);
      if (lost.empty()) continue;
      ChannelLoss loss{n.name, g.value(x).name, -1, static_cast<int64_t>(lost.size()),
                       static_cast<int64_t>(cmax.size()), 0.f, s_it->second};
      for (int64_t c : lost) {
        if (loss.channel < 0 || cmax[static_cast<size_t>(c)] > loss.channel_abs_max) {
          loss.channel = c;
          loss.channel_abs_max = cmax[static_cast<size_t>(c)];
        }
      }
      // kLossy: equalize the input instead of keeping the layer float, where it qualifies.
      if (out.equalize_depthwise == EqualizeDepthwise::kLossy && equalization_site(g, n)) {
        out.equalized_layers.insert(n.name);
        loss.equalized = true;
      } else {
        out.keep_float.insert(n.name);
      }
      losses.push_back(std::move(loss));
      added = true;
    }
  }
  std::sort(losses.begin(), losses.end(), [](const ChannelLoss& a, const ChannelLoss& b) { return a.layer < b.layer; });
  if (found) *found = std::move(losses);
  return out;
}

}  // namespace yq::quant
