// Per-series statistics and the Syntetos-Boylan classes on hand-computed
// series, and the robust outlier rule.
#include <algorithm>
#include <catch2/catch.hpp>
#include <vector>

#include "data/dataset.hpp"

using namespace invforecast;

namespace {
SeriesStats stats_of(const std::vector<double>& values) {
  return compute_stats(values, std::vector<uint8_t>(values.size(), 1));
}
}  // namespace

// Hand-computed values in double: 1e-12 relative is far above the rounding of a few operations
// (~1e-16) and far below any slip in the formulas.
TEST_CASE("stats of a smooth series", "[data][stats]") {
  // Sales every day: ADI 1; sizes 2,3,2,3,2,3 have mean 2.5 and variance 0.25.
  const SeriesStats s = stats_of({2, 3, 2, 3, 2, 3});
  CHECK(s.length == 6);
  CHECK(s.launch_offset == 0);
  CHECK(s.total == 15);
  CHECK(s.mean == 2.5);
  CHECK(s.zero_fraction == 0.0);
  CHECK(s.adi == 1.0);
  CHECK(s.cv2 == Approx(0.25 / 6.25).epsilon(1e-12));
  CHECK(s.scale == 1.0);
  CHECK(s.demand_class == DemandClass::Smooth);
  CHECK(std::string(demand_class_name(s.demand_class)) == "smooth");
}

TEST_CASE("stats of an erratic series", "[data][stats]") {
  // Sizes 1,10,1,10: mean 5.5, variance 20.25, CV2 = 20.25 / 30.25.
  const SeriesStats s = stats_of({1, 10, 1, 10});
  CHECK(s.adi == 1.0);
  CHECK(s.cv2 == Approx(20.25 / 30.25).epsilon(1e-12));
  CHECK(s.scale == 9.0);
  CHECK(s.demand_class == DemandClass::Erratic);
  CHECK(std::string(demand_class_name(s.demand_class)) == "erratic");
}

TEST_CASE("stats of an intermittent series", "[data][stats]") {
  // Launch on day 2; sales on days 2, 5, 8: intervals 3 and 3.
  const SeriesStats s = stats_of({0, 0, 3, 0, 0, 3, 0, 0, 3, 0});
  CHECK(s.launch_offset == 2);
  CHECK(s.total == 9);
  CHECK(s.mean == 9.0 / 8.0);  // 8 days from launch to the end
  CHECK(s.zero_fraction == 5.0 / 8.0);
  CHECK(s.adi == 3.0);
  CHECK(s.cv2 == 0.0);
  CHECK(s.scale == Approx(15.0 / 7.0).epsilon(1e-12));  // |diffs| 3,0,3,3,0,3,3
  CHECK(s.demand_class == DemandClass::Intermittent);
  CHECK(std::string(demand_class_name(s.demand_class)) == "intermittent");
}

TEST_CASE("stats of a lumpy series", "[data][stats]") {
  // Sales on days 1, 4, 8 (ADI 3.5), sizes 1, 9, 1: mean 11/3, variance 128/9.
  const SeriesStats s = stats_of({0, 1, 0, 0, 9, 0, 0, 0, 1});
  CHECK(s.launch_offset == 1);
  CHECK(s.adi == 3.5);
  CHECK(s.cv2 == Approx(128.0 / 121.0).epsilon(1e-12));
  CHECK(s.demand_class == DemandClass::Lumpy);
  CHECK(std::string(demand_class_name(s.demand_class)) == "lumpy");
}

TEST_CASE("stats class cut-offs are ADI 1.32 and CV2 0.49", "[data][stats]") {
  // 26 sales, 8 intervals of 2 days then 17 of 1 day: ADI = 33/25 = 1.32,
  // which is not below the cut-off, so the series is intermittent.
  std::vector<double> at_cutoff(34, 0.0);
  for (size_t day = 0, interval = 0; day < at_cutoff.size();
       day += interval < 8 ? 2 : 1, ++interval)
    at_cutoff[day] = 1.0;
  REQUIRE(std::count(at_cutoff.begin(), at_cutoff.end(), 1.0) == 26);
  CHECK(stats_of(at_cutoff).adi == 1.32);
  CHECK(stats_of(at_cutoff).demand_class == DemandClass::Intermittent);

  // Sizes 3 and 17 daily: mean 10, variance 49, CV2 exactly 0.49: erratic.
  // Sizes 3 and 16: CV2 42.25/90.25 < 0.49: smooth.
  const SeriesStats s = stats_of({3, 17, 3, 17});
  CHECK(s.cv2 == 0.49);
  CHECK(s.demand_class == DemandClass::Erratic);
  CHECK(stats_of({3, 16, 3, 16}).demand_class == DemandClass::Smooth);
}

TEST_CASE("stats of series with no or one sale", "[data][stats]") {
  const SeriesStats none = stats_of({0, 0, 0, 0});
  CHECK(none.launch_offset == -1);
  CHECK(none.mean == 0.0);
  CHECK(none.zero_fraction == 1.0);
  CHECK(none.adi == 4.0);
  CHECK(none.cv2 == 0.0);
  CHECK(none.scale == 0.0);
  CHECK(none.demand_class == DemandClass::Intermittent);

  const SeriesStats one = stats_of({0, 0, 5, 0, 0, 0});
  CHECK(one.launch_offset == 2);
  CHECK(one.adi == 4.0);  // at least the 4 days from launch to the end
  CHECK(one.cv2 == 0.0);
  CHECK(one.mean == 1.25);
  CHECK(one.scale == Approx(5.0 / 3.0).epsilon(1e-12));
}

TEST_CASE("stats count observed and gap days", "[data][stats]") {
  const SeriesStats s = compute_stats({1, 0, 0, 2}, {1, 0, 1, 1});
  CHECK(s.length == 4);
  CHECK(s.observed_days == 3);
  CHECK(s.gap_days == 1);
  CHECK(s.clipped == 0);
}

TEST_CASE("outlier clipping uses median + k*MAD of non-zero sales", "[data][stats]") {
  // Non-zero sizes 1,2,3,100: median 2.5, absolute deviations 1.5,0.5,0.5,97.5,
  // MAD 1.0, so with k = 10 the cap is 12.5.
  std::vector<double> v = {0, 1, 0, 2, 3, 100};
  double cap = 0.0;
  CHECK(clip_outliers(v, 10.0, &cap) == 1);
  CHECK(cap == 12.5);
  CHECK(v == std::vector<double>{0, 1, 0, 2, 3, 12.5});

  // MAD 0 (most sizes equal): the mean absolute deviation, 45/5 = 9, is used.
  std::vector<double> w = {5, 5, 5, 5, 50};
  CHECK(clip_outliers(w, 10.0, &cap) == 0);  // cap 95
  CHECK(clip_outliers(w, 2.0, &cap) == 1);   // cap 5 + 2*9 = 23
  CHECK(cap == 23.0);
  CHECK(w.back() == 23.0);

  std::vector<double> flat = {4, 0, 4, 4};
  CHECK(clip_outliers(flat, 1.0, &cap) == 0);
  CHECK(flat == std::vector<double>{4, 0, 4, 4});
}
