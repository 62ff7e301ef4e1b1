// DatasetBuilder (the path array input takes), temporal splits and calendar
// features.
#include <catch2/catch.hpp>
#include <cmath>

#include "error.hpp"
#include "data/dataset.hpp"

using namespace invforecast;

namespace {

Day day(const char* iso) { return *parse_iso_date(iso); }

struct Failure {
  ErrorCode code;
  std::string message;
};

template <typename F>
Failure failure_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return {e.code(), e.what()};
  }
  FAIL("expected an error");
  return {};
}

}  // namespace

TEST_CASE("builder sorts series and days, fills gaps and aligns covariates", "[data][builder]") {
  DatasetBuilder b({});
  const uint32_t src = b.add_source("array input");
  b.add_value("zeta", day("2021-03-02"), 4, {src, 0});
  b.add_value("alpha", day("2021-03-05"), 2, {src, 0});
  b.add_value("alpha", day("2021-03-01"), 1, {src, 0});
  b.add_value("zeta", day("2021-03-01"), 3, {src, 0});
  b.add_numeric("alpha", "price", day("2021-03-05"), 9.5, {src, 0});
  b.add_numeric("alpha", "price", day("2021-03-01"), std::nan(""), {src, 0});
  b.add_categorical("zeta", "event", day("2021-03-02"), "Promo", {src, 0});
  b.add_categorical("zeta", "event", day("2021-03-01"), "", {src, 0});
  b.declare_column("unused", true);
  const Dataset d = b.build();

  REQUIRE(d.series.size() == 2);
  CHECK(d.series[0].id == "alpha");
  CHECK(d.series[0].start_day == day("2021-03-01"));
  CHECK(d.series[0].end_day() == day("2021-03-05"));
  CHECK(d.series[0].values == std::vector<double>{1, 0, 0, 0, 2});
  CHECK(d.series[0].observed == std::vector<uint8_t>{1, 0, 0, 0, 1});
  CHECK(d.series[0].stats.gap_days == 3);
  CHECK(d.series[1].values == std::vector<double>{3, 4});
  REQUIRE(d.warnings.size() == 1);
  CHECK_THAT(d.warnings[0], Catch::Contains("filled 3 missing day") && Catch::Contains("1 series"));

  REQUIRE(d.columns.size() == 3);
  const Column& price = d.columns[static_cast<size_t>(d.find_column("price"))];
  CHECK(price.numeric);
  CHECK(std::isnan(price.numeric_values[0][0]));
  CHECK(price.numeric_values[0][4] == 9.5);
  CHECK(price.numeric_values[1].size() == 2);
  CHECK(std::isnan(price.numeric_values[1][0]));
  const Column& event = d.columns[static_cast<size_t>(d.find_column("event"))];
  CHECK_FALSE(event.numeric);
  CHECK(event.levels == std::vector<std::string>{"Promo"});
  CHECK(event.category_codes[0] == std::vector<int32_t>(5, -1));
  CHECK(event.category_codes[1] == std::vector<int32_t>{-1, 0});
  const Column& unused = d.columns[static_cast<size_t>(d.find_column("unused"))];
  CHECK(std::isnan(unused.numeric_values[0][2]));
}

TEST_CASE("builder rule violations name the origin and column", "[data][builder]") {
  IngestOptions options;
  auto f = failure_of([&] { DatasetBuilder(options).build(); });
  CHECK(f.code == ErrorCode::Data);
  CHECK_THAT(f.message, Catch::Contains("empty dataset"));

  f = failure_of([&] {
    DatasetBuilder b(options);
    b.add_value("A", day("2021-01-01"), std::nan(""),
                {b.add_source("array input for series A"), 0});
  });
  CHECK(f.code == ErrorCode::Data);
  CHECK_THAT(f.message, Catch::Contains("array input for series A") &&
                            Catch::Contains("column 'value'") && Catch::Contains("NaN"));

  f = failure_of([&] {
    DatasetBuilder b(options);
    b.add_value("A", day("2021-01-01"), INFINITY, {b.add_source("in.csv"), 7});
  });
  CHECK(f.code == ErrorCode::Data);
  CHECK_THAT(f.message, Catch::Contains("in.csv:7") && Catch::Contains("infinite"));

  f = failure_of([&] {
    DatasetBuilder b(options);
    b.add_value("", day("2021-01-01"), 1, {b.add_source("in.csv"), 3});
  });
  CHECK(f.code == ErrorCode::Data);
  CHECK_THAT(f.message, Catch::Contains("in.csv:3") && Catch::Contains("empty series id"));

  f = failure_of([&] {
    DatasetBuilder b(options);
    const uint32_t src = b.add_source("arrays");
    b.add_value("A", day("2021-01-02"), 1, {src, 0});
    b.add_numeric("A", "price", day("2021-01-05"), 2.0, {src, 0});
    b.build();
  });
  CHECK(f.code == ErrorCode::Data);
  CHECK_THAT(f.message, Catch::Contains("column 'price'") && Catch::Contains("2021-01-05") &&
                            Catch::Contains("outside"));

  f = failure_of([&] {
    DatasetBuilder b(options);
    const uint32_t src = b.add_source("arrays");
    b.add_value("A", day("2021-01-02"), 1, {src, 0});
    b.add_numeric("B", "price", day("2021-01-02"), 2.0, {src, 0});
    b.build();
  });
  CHECK(f.code == ErrorCode::Data);
  CHECK_THAT(f.message, Catch::Contains("'B'") && Catch::Contains("no sales values"));

  f = failure_of([&] {
    DatasetBuilder b(options);
    const uint32_t src = b.add_source("arrays");
    b.add_value("A", day("2021-01-02"), 1, {src, 0});
    b.add_categorical("A", "event", day("2021-01-02"), "X", {src, 0});
    b.add_categorical("A", "event", day("2021-01-02"), "Y", {src, 0});
    b.build();
  });
  CHECK(f.code == ErrorCode::Data);
  CHECK_THAT(f.message,
             Catch::Contains("column 'event'") && Catch::Contains("'Y'") && Catch::Contains("'X'"));

  f = failure_of([&] {
    DatasetBuilder b(options);
    b.declare_column("price", true);
    b.declare_column("price", false);
  });
  CHECK(f.code == ErrorCode::Data);
  CHECK_THAT(f.message, Catch::Contains("'price'"));

  // A covariate cannot take the name of the id, date or value column.
  f = failure_of([&] { DatasetBuilder(options).declare_column("value", true); });
  CHECK(f.code == ErrorCode::InvalidArgument);
  CHECK_THAT(f.message, Catch::Contains("'value'") && Catch::Contains("reserved"));
}

TEST_CASE("builder duplicates from array input, refused or summed", "[data][builder]") {
  IngestOptions options;
  auto add_twice = [](DatasetBuilder& b) {
    const uint32_t first = b.add_source("first call");
    const uint32_t second = b.add_source("second call");
    b.add_value("A", day("2021-01-01"), 2, {first, 0});
    b.add_value("A", day("2021-01-01"), 5, {second, 0});
  };
  const auto f = failure_of([&] {
    DatasetBuilder b(options);
    add_twice(b);
    b.build();
  });
  CHECK(f.code == ErrorCode::Data);
  CHECK_THAT(f.message, Catch::Contains("first call") && Catch::Contains("second call") &&
                            Catch::Contains("duplicate"));
  options.duplicates = DuplicatePolicy::Sum;
  DatasetBuilder b(options);
  add_twice(b);
  CHECK(b.build().series[0].values == std::vector<double>{7});
}

TEST_CASE("builder clips outliers when asked and reports them", "[data][builder]") {
  IngestOptions options;
  options.outliers = OutlierPolicy::Clip;
  options.negative = NegativePolicy::Clip;
  DatasetBuilder b(options);
  const uint32_t src = b.add_source("arrays");
  const std::vector<double> values = {0, 1, 0, 2, 3, 100, -1};
  for (size_t i = 0; i < values.size(); ++i)
    b.add_value("S", day("2021-01-01") + static_cast<Day>(i), values[i], {src, 0});
  b.add_value("T", day("2021-01-01"), 5, {src, 0});
  const Dataset d = b.build();
  CHECK(d.series[0].values == std::vector<double>{0, 1, 0, 2, 3, 12.5, 0});
  CHECK(d.series[0].stats.clipped == 2);  // one outlier, one negative
  CHECK(d.series[0].stats.total == 18.5);
  CHECK(d.series[1].stats.clipped == 0);
  REQUIRE(d.warnings.size() == 2);
  CHECK_THAT(d.warnings[0], Catch::Contains("clipped 1 negative"));
  CHECK_THAT(d.warnings[1],
             Catch::Contains("'S'") && Catch::Contains("1 outlier") && Catch::Contains("12.5"));
}

TEST_CASE("truncated_before splits by date keeping covariates aligned", "[data][builder]") {
  DatasetBuilder b({});
  const uint32_t src = b.add_source("arrays");
  for (int i = 0; i < 6; ++i) {
    b.add_value("A", day("2021-01-01") + i, i + 1, {src, 0});
    b.add_numeric("A", "price", day("2021-01-01") + i, 10.0 + i, {src, 0});
  }
  b.add_value("B", day("2021-01-05"), 0, {src, 0});
  b.add_value("B", day("2021-01-06"), 2, {src, 0});
  b.add_numeric("B", "price", day("2021-01-06"), 7.0, {src, 0});
  const Dataset full = b.build();
  const Dataset cut = full.truncated_before(day("2021-01-04"));

  REQUIRE(cut.series.size() == 2);
  CHECK(cut.series[0].values == std::vector<double>{1, 2, 3});
  CHECK(cut.series[0].observed.size() == 3);
  CHECK(cut.series[0].stats.length == 3);
  CHECK(cut.series[0].stats.total == 6);
  CHECK(cut.series[0].stats.mean == 2);
  CHECK(cut.columns[0].numeric_values[0] == std::vector<double>{10, 11, 12});
  // B starts after the cutoff: kept, empty, so indices stay aligned.
  CHECK(cut.series[1].id == "B");
  CHECK(cut.series[1].values.empty());
  CHECK(cut.series[1].stats.launch_offset == -1);
  CHECK(cut.columns[0].numeric_values[1].empty());
  // A cutoff after the end keeps everything.
  const Dataset all = full.truncated_before(day("2022-01-01"));
  CHECK(all.series[1].values == full.series[1].values);
  CHECK(all.series[0].stats.total == full.series[0].stats.total);
}

TEST_CASE("calendar features of known days", "[data][calendar]") {
  const CalendarFeatures saturday = calendar_features(day("2011-01-29"));
  CHECK(saturday.day_of_week == 5);
  CHECK(saturday.month == 1);
  CHECK(saturday.week_of_year == 4);
  const CalendarFeatures new_year = calendar_features(day("2021-01-01"));
  CHECK(new_year.day_of_week == 4);
  CHECK(new_year.month == 1);
  CHECK(new_year.week_of_year == 53);
  const CalendarFeatures leap = calendar_features(day("2024-02-29"));
  CHECK(leap.day_of_week == 3);
  CHECK(leap.month == 2);
  CHECK(leap.week_of_year == 9);
}

TEST_CASE("array input and the CSV reader build the same dataset", "[data][builder]") {
  // tests/fixtures/data/small.csv, cell by cell through the array path.
  DatasetBuilder b({});
  const uint32_t src = b.add_source("arrays");
  const Origin o{src, 0};
  struct Row {
    const char* series;
    const char* date;
    double value;
    double price;
    const char* event;
    double promo;
    const char* store;
  };
  const double unknown = std::nan("");
  const Row rows[] = {{"B", "2021-01-03", 2, 1.5, "", 0, "South \"2\""},
                      {"A", "2021-01-01", 1, 2.25, "NewYear", 1, "North, 1"},
                      {"A", "2021-01-02", 0, unknown, "", 0, "North, 1"},
                      {"B", "2021-01-01", 4, 1.5, "NewYear", 0, "South \"2\""},
                      {"A", "2021-01-04", 3, 2.25, "", 1, "North, 1"},
                      {"B", "2021-01-02", 5, 1.75, "", unknown, "South \"2\""}};
  b.declare_column("price", true);
  b.declare_column("event", false);
  b.declare_column("promo", true);
  b.declare_column("store", false);
  for (const Row& r : rows) {
    b.add_value(r.series, day(r.date), r.value, o);
    b.add_numeric(r.series, "price", day(r.date), r.price, o);
    b.add_categorical(r.series, "event", day(r.date), r.event, o);
    b.add_numeric(r.series, "promo", day(r.date), r.promo, o);
    b.add_categorical(r.series, "store", day(r.date), r.store, o);
  }
  const Dataset arrays = b.build();
  const Dataset csv = read_csv(std::string(INVF_TEST_FIXTURES) + "/data/small.csv", {});

  REQUIRE(arrays.series.size() == csv.series.size());
  for (size_t s = 0; s < csv.series.size(); ++s) {
    CHECK(arrays.series[s].id == csv.series[s].id);
    CHECK(arrays.series[s].start_day == csv.series[s].start_day);
    CHECK(arrays.series[s].values == csv.series[s].values);
    CHECK(arrays.series[s].observed == csv.series[s].observed);
  }
  REQUIRE(arrays.columns.size() == csv.columns.size());
  for (size_t c = 0; c < csv.columns.size(); ++c) {
    const Column& x = arrays.columns[c];
    const Column& y = csv.columns[c];
    CHECK(x.name == y.name);
    CHECK(x.numeric == y.numeric);
    CHECK(x.levels == y.levels);
    CHECK(x.category_codes == y.category_codes);
    for (size_t s = 0; s < x.numeric_values.size(); ++s)
      for (size_t t = 0; t < x.numeric_values[s].size(); ++t) {
        const double p = x.numeric_values[s][t], q = y.numeric_values[s][t];
        CHECK((p == q || (std::isnan(p) && std::isnan(q))));
      }
  }
  CHECK(arrays.warnings == csv.warnings);
}
