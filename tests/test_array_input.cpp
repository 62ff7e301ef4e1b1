// Columnar input at the lib level: the same dataset as value-by-value adds,
// and every check made before anything is added.
#include <catch2/catch.hpp>

#include <cmath>
#include <string_view>
#include <vector>

#include "data/array_input.hpp"
#include "error_matchers.hpp"

using namespace invforecast;
using invforecast::testing::fails_with;

TEST_CASE("add_columns builds what adding each value builds", "[dataset]") {
  IngestOptions ingest;
  const std::vector<std::string_view> ids = {"y", "x"};
  const std::vector<int64_t> starts = {100, 98}, lengths = {2, 3};
  const std::vector<double> values = {4, 5, 0, 1, 2};
  const std::vector<double> price = {1, NAN, 2, 2, 3};
  const std::vector<std::string_view> numeric = {"price"};
  const std::vector<const double*> numeric_values = {price.data()};
  ColumnarSeries input{ids, starts, lengths, values, numeric, numeric_values, {}, {}};
  DatasetBuilder columnar(ingest);
  add_columns(columnar, input);
  const Dataset built = columnar.build();

  DatasetBuilder rows(ingest);
  rows.declare_column("price", true);
  size_t i = 0;
  for (size_t s = 0; s < ids.size(); ++s)
    for (int64_t d = 0; d < lengths[s]; ++d, ++i) {
      const auto day = static_cast<Day>(starts[s] + d);
      rows.add_value(ids[s], day, values[i], Origin{});
      rows.add_numeric(ids[s], "price", day, price[i], Origin{});
    }
  const Dataset expected = rows.build();
  REQUIRE(built.series.size() == 2);
  for (size_t s = 0; s < 2; ++s) {
    CHECK(built.series[s].id == expected.series[s].id);
    CHECK(built.series[s].start_day == expected.series[s].start_day);
    CHECK(built.series[s].values == expected.series[s].values);
  }
  REQUIRE(built.columns.size() == 1);
  CHECK(built.columns[0].numeric);
  // Series sort by id: "x" (days 98..100), then "y" (days 100..101).
  CHECK(built.columns[0].numeric_values[0] == expected.columns[0].numeric_values[0]);
  CHECK(built.columns[0].numeric_values[1][0] == 1.0);
  CHECK(std::isnan(built.columns[0].numeric_values[1][1]));  // "y" on day 101: not known
}

TEST_CASE("add_columns checks everything first and adds nothing on failure", "[dataset]") {
  IngestOptions ingest;
  DatasetBuilder builder(ingest);
  builder.declare_column("event", false);
  const std::vector<std::string_view> ids = {"a"};
  const std::vector<int64_t> starts = {0}, lengths = {2};
  const std::vector<double> values = {1, -2};
  const std::vector<std::string_view> numeric = {"event"};
  const std::vector<double> cells = {0, 0};
  const std::vector<const double*> numeric_values = {cells.data()};
  // The column exists as categorical: refused before the negative value is seen.
  const ColumnarSeries wrong_kind{ids, starts, lengths, values, numeric, numeric_values, {}, {}};
  REQUIRE_THROWS_MATCHES(
      add_columns(builder, wrong_kind), Error,
      fails_with(ErrorCode::InvalidArgument, "column 'event' is already categorical"));
  const ColumnarSeries plain{ids, starts, lengths, values, {}, {}, {}, {}};
  REQUIRE_THROWS_MATCHES(add_columns(builder, plain), Error,
                         fails_with(ErrorCode::Data, "series 'a': values[1] is negative"));
  const std::vector<int64_t> too_long = {3};
  const ColumnarSeries short_of_values{ids, starts, too_long, values, {}, {}, {}, {}};
  REQUIRE_THROWS_MATCHES(add_columns(builder, short_of_values), Error,
                         fails_with(ErrorCode::InvalidArgument, "more than the 2 values given"));
  // Nothing was added: the builder holds no series yet.
  REQUIRE_THROWS_MATCHES(builder.build(), Error, fails_with(ErrorCode::Data, ""));
  // Under the builder's negative=clip the same values are taken, and clipped.
  ingest.negative = NegativePolicy::Clip;
  DatasetBuilder clipping(ingest);
  add_columns(clipping, plain);
  CHECK(clipping.build().series.at(0).values == std::vector<double>{1, 0});
}
