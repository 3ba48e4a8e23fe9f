// SPDX-License-Identifier: Apache-2.0
// PNG charts for the sensitivity and accuracy-budget reports: a horizontal bar chart (one bar per
// layer, most sensitive at the top) and an x/y line plot with an optional second series on its own
// right-hand axis (mAP and latency against the number of float layers). Drawn with OpenCV, encoded
// in memory and written atomically (base/file_io.h). Deterministic: the same data gives the same
// bytes.
#pragma once

#include <cmath>
#include <string>
#include <vector>

#include "base/status.h"

namespace yq::quant {

struct BarChart {
  std::string title;
  std::string value_label;          // axis label of the bar lengths
  std::vector<std::string> labels;  // one per bar, top to bottom
  std::vector<double> values;       // same size as labels; negative values draw leftwards from 0
};

struct LineSeries {
  std::string name;
  std::vector<double> x, y;  // same size; drawn in the order given after sorting by x
};

struct LinePlot {
  std::string title;
  std::string x_label;
  LineSeries left;   // on the left axis
  LineSeries right;  // optional (empty x): on the right axis
  double left_reference = std::nan("");  // a dashed horizontal line on the left axis (e.g. the mAP floor)
};

// Errors: mismatched sizes, no data, a path not ending in .png, encode or write failures (naming
// the path).
Status write_bar_chart_png(const std::string& path, const BarChart& chart);
Status write_line_plot_png(const std::string& path, const LinePlot& plot);

}  // namespace yq::quant
