// SPDX-License-Identifier: Apache-2.0
#include "quant/report_plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "base/file_io.h"

namespace yq::quant {
namespace {

const cv::Scalar kBlack(0, 0, 0), kGrey(200, 200, 200), kBlue(180, 110, 30), kOrange(30, 130, 240),
    kRed(40, 40, 200);
constexpr int kFont = cv::FONT_HERSHEY_SIMPLEX;

bool ends_with_png(const std::string& p) { return p.size() > 4 && p.substr(p.size() - 4) == ".png"; }

std::string fmt(double v) {
  char b[32];
  std::snprintf(b, sizeof(b), "%.3g", v);
  return b;
}

Status save_png(const std::string& path, const cv::Mat& img) {
  std::vector<uchar> bytes;
  if (!cv::imencode(".png", img, bytes)) return io_error(path + ": PNG encoding failed");
  return write_file_atomic(path, std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

void text(cv::Mat& img, const std::string& s, int x, int y, double scale = 0.4, cv::Scalar c = kBlack) {
  cv::putText(img, s, {x, y}, kFont, scale, c, 1, cv::LINE_AA);
}

// Data range padded by 5% (and never empty).
std::pair<double, double> padded_range(const std::vector<double>& v) {
  double lo = *std::min_element(v.begin(), v.end()), hi = *std::max_element(v.begin(), v.end());
  if (hi - lo < 1e-9) {
    lo -= 0.5;
    hi += 0.5;
  }
  const double pad = 0.05 * (hi - lo);
  return {lo - pad, hi + pad};
}

}  // namespace

Status write_bar_chart_png(const std::string& path, const BarChart& c) {
  if (!ends_with_png(path)) return invalid_argument("chart path must end in .png, got '" + path + "'");
  if (c.labels.size() != c.values.size() || c.values.empty()) {
    return invalid_argument(path + ": bar chart needs one value per label and at least one bar");
  }
  const int n = static_cast<int>(c.values.size());
  const int bar_h = 14, left = 260, right = 60, top = 40, bottom = 40, plot_w = 600;
  const int w = left + plot_w + right, h = top + n * bar_h + bottom;
  cv::Mat img(h, w, CV_8UC3, cv::Scalar(255, 255, 255));
  double lo = std::min(0.0, *std::min_element(c.values.begin(), c.values.end()));
  double hi = std::max(0.0, *std::max_element(c.values.begin(), c.values.end()));
  if (hi - lo < 1e-12) hi = lo + 1.0;
  auto px = [&](double v) { return left + static_cast<int>(std::lround((v - lo) / (hi - lo) * plot_w)); };
  text(img, c.title, 10, 22, 0.55);
  for (int i = 0; i < n; ++i) {
    const int y = top + i * bar_h;
    const int x0 = px(0.0), x1 = px(c.values[i]);
    cv::rectangle(img, {std::min(x0, x1), y + 2}, {std::max(x0, x1), y + bar_h - 2}, i == 0 ? kRed : kBlue,
                  cv::FILLED);
    std::string label = c.labels[i].size() > 40 ? "..." + c.labels[i].substr(c.labels[i].size() - 37) : c.labels[i];
    text(img, label, 6, y + bar_h - 3, 0.35);
    text(img, fmt(c.values[i]), std::max(x0, x1) + 4, y + bar_h - 3, 0.33);
  }
  cv::line(img, {px(0.0), top}, {px(0.0), top + n * bar_h}, kBlack, 1);
  cv::line(img, {left, top + n * bar_h}, {left + plot_w, top + n * bar_h}, kBlack, 1);
  text(img, fmt(lo), left, top + n * bar_h + 14, 0.35);
  text(img, fmt(hi), left + plot_w - 30, top + n * bar_h + 14, 0.35);
  text(img, c.value_label, left + plot_w / 2 - 80, top + n * bar_h + 30, 0.4);
  return save_png(path, img);
}

Status write_line_plot_png(const std::string& path, const LinePlot& p) {
  if (!ends_with_png(path)) return invalid_argument("plot path must end in .png, got '" + path + "'");
  if (p.left.x.empty() || p.left.x.size() != p.left.y.size() || p.right.x.size() != p.right.y.size()) {
    return invalid_argument(path + ": line plot needs matching, non-empty x and y");
  }
  const int w = 760, h = 460, left = 70, right = 70, top = 50, bottom = 60;
  const int pw = w - left - right, ph = h - top - bottom;
  cv::Mat img(h, w, CV_8UC3, cv::Scalar(255, 255, 255));
  std::vector<double> xs = p.left.x;
  xs.insert(xs.end(), p.right.x.begin(), p.right.x.end());
  auto [x_lo, x_hi] = padded_range(xs);
  std::vector<double> ly = p.left.y;
  if (!std::isnan(p.left_reference)) ly.push_back(p.left_reference);
  auto [l_lo, l_hi] = padded_range(ly);
  auto X = [&](double x) { return left + static_cast<int>(std::lround((x - x_lo) / (x_hi - x_lo) * pw)); };
  auto Y = [&](double y, double lo, double hi) {
    return top + ph - static_cast<int>(std::lround((y - lo) / (hi - lo) * ph));
  };
  cv::rectangle(img, {left, top}, {left + pw, top + ph}, kGrey, 1);
  text(img, p.title, 10, 24, 0.55);
  text(img, p.x_label, left + pw / 2 - 60, h - 18, 0.45);
  text(img, fmt(x_lo), left, top + ph + 16, 0.35);
  text(img, fmt(x_hi), left + pw - 30, top + ph + 16, 0.35);
  text(img, fmt(l_hi), 4, top + 10, 0.35, kBlue);
  text(img, fmt(l_lo), 4, top + ph, 0.35, kBlue);
  text(img, p.left.name, left, top - 8, 0.45, kBlue);

  auto draw = [&](const LineSeries& s, double lo, double hi, const cv::Scalar& col) {
    std::vector<size_t> idx(s.x.size());
    std::iota(idx.begin(), idx.end(), size_t{0});
    std::stable_sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return s.x[a] < s.x[b]; });
    for (size_t i = 0; i < idx.size(); ++i) {
      const cv::Point pt(X(s.x[idx[i]]), Y(s.y[idx[i]], lo, hi));
      cv::circle(img, pt, 3, col, cv::FILLED, cv::LINE_AA);
      if (i > 0) cv::line(img, {X(s.x[idx[i - 1]]), Y(s.y[idx[i - 1]], lo, hi)}, pt, col, 2, cv::LINE_AA);
    }
  };
  if (!std::isnan(p.left_reference)) {
    const int y = Y(p.left_reference, l_lo, l_hi);
    for (int x = left; x < left + pw; x += 12) cv::line(img, {x, y}, {std::min(x + 6, left + pw), y}, kRed, 1);
  }
  draw(p.left, l_lo, l_hi, kBlue);
  if (!p.right.x.empty()) {
    auto [r_lo, r_hi] = padded_range(p.right.y);
    draw(p.right, r_lo, r_hi, kOrange);
    text(img, fmt(r_hi), left + pw + 6, top + 10, 0.35, kOrange);
    text(img, fmt(r_lo), left + pw + 6, top + ph, 0.35, kOrange);
    text(img, p.right.name, left + pw - 200, top - 8, 0.45, kOrange);
  }
  return save_png(path, img);
}

}  // namespace yq::quant
