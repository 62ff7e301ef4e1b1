#include <algorithm>
#include <cmath>

#include "data/dataset.hpp"

namespace invforecast {

const char* demand_class_name(DemandClass c) {
  switch (c) {
    case DemandClass::Smooth:
      return "smooth";
    case DemandClass::Erratic:
      return "erratic";
    case DemandClass::Intermittent:
      return "intermittent";
    case DemandClass::Lumpy:
      return "lumpy";
  }
  return "unknown";
}

SeriesStats compute_stats(const std::vector<double>& values, const std::vector<uint8_t>& observed) {
  SeriesStats s;
  s.length = values.size();
  for (uint8_t o : observed) s.observed_days += o != 0;
  s.gap_days = s.length - s.observed_days;

  size_t first_sale = values.size();
  size_t last_sale = 0;
  size_t sales = 0;
  double sum_sizes = 0.0;
  for (size_t t = 0; t < values.size(); ++t) {
    s.total += values[t];
    if (values[t] > 0.0) {
      if (first_sale == values.size()) first_sale = t;
      last_sale = t;
      ++sales;
      sum_sizes += values[t];
    }
  }

  if (sales == 0) {
    s.zero_fraction = 1.0;
    s.adi = static_cast<double>(s.length);
  } else {
    s.launch_offset = static_cast<int64_t>(first_sale);
    const size_t active = values.size() - first_sale;
    s.mean = sum_sizes / static_cast<double>(active);
    s.zero_fraction = static_cast<double>(active - sales) / static_cast<double>(active);
    s.adi = sales >= 2
                ? static_cast<double>(last_sale - first_sale) / static_cast<double>(sales - 1)
                : static_cast<double>(active);
    if (sales >= 2) {
      const double size_mean = sum_sizes / static_cast<double>(sales);
      double squares = 0.0;
      for (size_t t = first_sale; t <= last_sale; ++t)
        if (values[t] > 0.0) squares += (values[t] - size_mean) * (values[t] - size_mean);
      s.cv2 = squares / static_cast<double>(sales) / (size_mean * size_mean);
    }
    if (active >= 2) {
      double steps = 0.0;
      for (size_t t = first_sale + 1; t < values.size(); ++t)
        steps += std::abs(values[t] - values[t - 1]);
      s.scale = steps / static_cast<double>(active - 1);
    }
  }

  const bool frequent = s.adi < 1.32;
  const bool variable = s.cv2 >= 0.49;
  s.demand_class = frequent ? (variable ? DemandClass::Erratic : DemandClass::Smooth)
                            : (variable ? DemandClass::Lumpy : DemandClass::Intermittent);
  return s;
}

namespace {
double median_of(std::vector<double>& v) {
  const size_t mid = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid), v.end());
  const double upper = v[mid];
  if (v.size() % 2 == 1) return upper;
  const double lower = *std::max_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid));
  return 0.5 * (lower + upper);
}
}  // namespace

// The reference set is the non-zero sales after launch, not all days: in
// intermittent series most days are zero, so the median and MAD of all days
// are 0 and every sale would look like an outlier.  Zeros after launch
// cannot be outliers anyway.  When the MAD is 0 (most sizes equal) the mean
// absolute deviation from the median measures the spread instead; if that
// is 0 too every size is equal and nothing is clipped.
size_t clip_outliers(std::vector<double>& values, double k, double* cap) {
  std::vector<double> sizes;
  for (double v : values)
    if (v > 0.0) sizes.push_back(v);
  if (sizes.size() < 2) return 0;
  const double median = median_of(sizes);
  std::vector<double> deviations(sizes.size());
  double deviation_sum = 0.0;
  for (size_t i = 0; i < sizes.size(); ++i) {
    deviations[i] = std::abs(sizes[i] - median);
    deviation_sum += deviations[i];
  }
  double spread = median_of(deviations);
  if (spread == 0.0) spread = deviation_sum / static_cast<double>(sizes.size());
  if (spread == 0.0) return 0;
  const double limit = median + k * spread;
  size_t changed = 0;
  for (double& v : values) {
    if (v > limit) {
      v = limit;
      ++changed;
    }
  }
  if (changed > 0 && cap != nullptr) *cap = limit;
  return changed;
}

}  // namespace invforecast
