// Covariates after the history (lib/data/future_covariates.*): future files
// extending the columns past each series' last day, static attribute files,
// new products, the validation of each, and what the record and the
// forecasters see of them.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

#include "backend.hpp"
#include "core/date.hpp"
#include "data/dataset.hpp"
#include "data/future_covariates.hpp"
#include "data/series_input.hpp"
#include "error.hpp"
#include "error_matchers.hpp"
#include "eval/backtest.hpp"
#include "methods/cold_start.hpp"
#include "methods/dataset_forecast.hpp"
#include "model/model_file.hpp"
#include "model/model_runtime.hpp"
#include "test_files.hpp"

using namespace invforecast;
using invforecast::testing::check_error;

namespace {

Day day(const char* text) { return *parse_iso_date(text); }

std::string fixture(const char* name) {
  return std::string(INVF_TEST_FIXTURES) + "/future/" + name;
}

const Column& column(const Dataset& data, const char* name) {
  const int index = data.find_column(name);
  REQUIRE(index >= 0);
  return data.columns[static_cast<size_t>(index)];
}

size_t series_index(const Dataset& data, const char* id) {
  for (size_t s = 0; s < data.series.size(); ++s)
    if (data.series[s].id == id) return s;
  FAIL("no series " << id);
  return 0;
}

const CovariateView& named(const std::vector<CovariateView>& views, std::string_view name) {
  for (const CovariateView& v : views)
    if (v.name == name) return v;
  FAIL("no covariate " << name);
  return views.front();
}

std::string level(const CovariateView& view, size_t t) {
  return view.codes[t] < 0 ? "" : view.levels[static_cast<size_t>(view.codes[t])];
}

// A small history: A 2024-01-01..03, B 2024-01-02..03.  price and promo vary
// (known-future), weather varies (named past-only by the tests that need
// it), store is constant within each series (static), event is categorical.
constexpr const char* kHistory =
    "series_id,date,value,price,promo,weather,store,event\n"
    "A,2024-01-01,1,2.0,0,10,north,\n"
    "A,2024-01-02,2,2.5,1,11,north,sale\n"
    "A,2024-01-03,3,2.5,0,12,north,\n"
    "B,2024-01-02,4,1.0,0,13,south,\n"
    "B,2024-01-03,5,1.0,1,14,south,sale\n";

// Every column a future file may hold for the history above (weather past-only).
constexpr const char* kFutureHeader = "series_id,date,price,promo,store,event\n";

struct Files {
  testing::Folder folder{"future"};
  Dataset history;
  IngestOptions options;

  explicit Files(const std::string& past_only = "weather") {
    if (!past_only.empty()) options.set("past_only", past_only);
    testing::put(folder.file("history.csv"), kHistory);
    history = read_csv(folder.file("history.csv"), options);
  }
  CovariateRows rows(const std::string& text, bool dated = true) {
    const std::string path = folder.file(dated ? "future.csv" : "static.csv");
    testing::put(path, text);
    return read_covariate_csv(path, history, options, dated);
  }
  Dataset future(const std::string& text) { return with_future(history, rows(text), options); }
  Dataset attributes(const std::string& text) { return with_statics(history, rows(text, false)); }
};

// Two complete future days for A and B.
std::string two_days() {
  return std::string(kFutureHeader) +
         "A,2024-01-04,3.0,1,north,\n"
         "A,2024-01-05,3.5,0,north,clearance\n"
         "B,2024-01-04,1.5,0,south,\n"
         "B,2024-01-05,1.5,1,,sale\n";
}

}  // namespace

TEST_CASE("a future file extends each column past the history", "[future]") {
  Files files;
  const Dataset data = files.future(two_days());
  REQUIRE(data.series.size() == 2);
  CHECK(data.has_future);
  CHECK(data.series[0].future_days == 2);
  CHECK(data.series[1].future_days == 2);
  CHECK(data.series[0].values == files.history.series[0].values);  // the history is untouched
  const Column& price = column(data, "price");
  CHECK(price.numeric_values[0] == std::vector<double>{2.0, 2.5, 2.5, 3.0, 3.5});
  CHECK(price.numeric_values[1] == std::vector<double>{1.0, 1.0, 1.5, 1.5});
  // Static: repeated over the future days (B's empty cell takes its value).
  const Column& store = column(data, "store");
  CHECK(store.category_codes[1] == std::vector<int32_t>(4, store.category_codes[1][0]));
  // Past-only: unknown after the history.
  const Column& weather = column(data, "weather");
  CHECK(weather.numeric_values[0].size() == 5);
  CHECK(std::isnan(weather.numeric_values[0][3]));
  CHECK(std::isnan(weather.numeric_values[0][4]));
  // A level the history never had is kept as a new level.
  const Column& event = column(data, "event");
  REQUIRE(event.levels == std::vector<std::string>{"sale", "clearance"});
  CHECK(event.category_codes[0][4] == 1);

  // The record: known-future covariates over the horizon after the history,
  // statics unchanged, past-only ones up to the origin.
  const SeriesInputs inputs(data);
  CHECK(inputs.role(static_cast<size_t>(data.find_column("weather"))) == CovariateRole::PastOnly);
  CHECK(inputs.role(static_cast<size_t>(data.find_column("store"))) == CovariateRole::Static);
  const SeriesInput a = inputs.latest(0, 2);
  CHECK(a.target.size() == 3);
  CHECK(a.known_days() == 2);
  CHECK(named(a.known, "price").values.back() == 3.5);
  CHECK(level(named(a.known, "event"), 4) == "clearance");
  CHECK(named(a.past, "weather").size() == 3);
  CHECK(level(named(a.statics, "store"), 0) == "north");
  CHECK(inputs.latest(0, 1).known_days() == 1);
  CHECK(inputs.latest(0).known_days() == 0);
  // A longer horizon than the future days is refused, naming series and dates.
  check_error([&] { inputs.latest(1, 3); }, ErrorCode::Data,
              "series 'B': the future covariates cover 2 day(s) after its history, to "
              "2024-01-05; the horizon of 3 days needs them to 2024-01-06");
  // A cut inside the history reads known-future values over the horizon: here
  // its last day and the two future days.
  CHECK(inputs.at(0, 2, 3).known_days() == 3);
  // Without a future file the history alone is there, and any horizon is accepted.
  CHECK(SeriesInputs(files.history).latest(0, 30).known_days() == 0);
}

TEST_CASE("each problem of a future file is an error that names it", "[future]") {
  Files files;
  const std::string header = kFutureHeader;
  const std::string b_rows = "B,2024-01-04,1.5,0,south,\nB,2024-01-05,1.5,1,south,\n";
  const std::string path = files.folder.file("future.csv");
  // A date missing from a series' future days.
  check_error(
      [&] { files.future(header + "A,2024-01-04,3,1,north,\nA,2024-01-06,3,1,north,\n" + b_rows); },
      ErrorCode::Data, "series 'A' has no row for 2024-01-05");
  // A known-future column of the history missing from the file.
  check_error([&] { files.future("series_id,date,price,store,event\nA,2024-01-04,3,north,\n"); },
              ErrorCode::Data, "known-future column 'promo' of the history is missing");
  // A column the history does not have.
  check_error([&] { files.future("series_id,date,price,promo,colour\nA,2024-01-04,3,1,red\n"); },
              ErrorCode::Data, "column 'colour' is not a column of the history");
  // A past-only column.
  check_error([&] { files.future("series_id,date,price,promo,weather\nA,2024-01-04,3,1,9\n"); },
              ErrorCode::Data, "column 'weather' is past-only");
  // A series of the history missing from the file.
  check_error([&] { files.future(header + "A,2024-01-04,3,1,north,\n"); }, ErrorCode::Data,
              "series 'B' of the history has no rows");
  // A duplicate row.
  check_error(
      [&] { files.future(header + "A,2024-01-04,3,1,north,\nA,2024-01-04,3,1,north,\n" + b_rows); },
      ErrorCode::Data, path + ":3: duplicate row for series 'A' on 2024-01-04 (first at line 2)");
  // A date that does not follow the history.
  check_error([&] { files.future(header + "A,2024-01-03,3,1,north,\n" + b_rows); }, ErrorCode::Data,
              path +
                  ":2: series 'A': date 2024-01-03 does not follow its history, which ends on "
                  "2024-01-03");
  // Numbers: NaN, infinity, unparsable text, an empty cell.
  check_error([&] { files.future(header + "A,2024-01-04,nan,1,north,\n"); }, ErrorCode::Data,
              path + ":2: column 'price': 'nan' is not a known value");
  check_error([&] { files.future(header + "A,2024-01-04,inf,1,north,\n"); }, ErrorCode::Data,
              "column 'price': 'inf' is not a known value");
  check_error([&] { files.future(header + "A,2024-01-04,cheap,1,north,\n"); }, ErrorCode::Parse,
              path + ":2: column 'price': cannot parse 'cheap' as a number");
  check_error([&] { files.future(header + "A,2024-01-04,,1,north,\nB,2024-01-04,1,1,south,\n"); },
              ErrorCode::Data,
              path + ":2: column 'price': missing value for series 'A' on 2024-01-04");
  check_error([&] { files.future(header + "A,2024-01-0x,3,1,north,\n"); }, ErrorCode::Parse,
              "cannot parse '2024-01-0x' as a date");
  // A static value that differs from the history names series and column.
  check_error(
      [&] { files.future(header + "A,2024-01-04,3,1,south,\nA,2024-01-05,3,1,north,\n" + b_rows); },
      ErrorCode::Data,
      path + ":2: column 'store': 'south' for series 'A' differs from its static value 'north'");
  // More future days than any horizon.
  check_error([&] { files.future(header + "A,2035-01-04,3,1,north,\n"); }, ErrorCode::Data,
              "at most 3660 future days");
  check_error([&] { files.future(header); }, ErrorCode::Data, "no future rows");
  check_error([&] { files.future("date,price\n2024-01-04,3\n"); }, ErrorCode::Parse,
              "header lacks column 'series_id'");
  check_error([&] { files.future("series_id,date,value\nA,2024-01-04,3\n"); }, ErrorCode::Parse,
              "column 'value' has no place in a future file");
  // A dataset reads one future file.
  const Dataset once = files.future(two_days());
  check_error([&] { with_future(once, files.rows(two_days()), files.options); },
              ErrorCode::InvalidArgument, "already holds a future file");
}

TEST_CASE("fill_future=last carries each series' last known value forward", "[future]") {
  Files files;
  files.options.set("fill_future", "last");
  // A lacks 01-05, B every day, and the file lacks promo.
  const Dataset data = files.future(
      "series_id,date,price,store,event\n"
      "A,2024-01-04,3.0,north,\n"
      "A,2024-01-06,4.0,north,\n");
  CHECK(data.series[0].future_days == 3);
  const Column& price = column(data, "price");
  CHECK(price.numeric_values[0] == std::vector<double>{2.0, 2.5, 2.5, 3.0, 3.0, 4.0});
  CHECK(price.numeric_values[1] == std::vector<double>{1.0, 1.0, 1.0, 1.0, 1.0});
  CHECK(column(data, "promo").numeric_values[0] == std::vector<double>{0, 1, 0, 0, 0, 0});
  CHECK(column(data, "promo").numeric_values[1] == std::vector<double>{0, 1, 1, 1, 1});
  const Column& event = column(data, "event");
  CHECK(event.category_codes[1] == std::vector<int32_t>{-1, 0, 0, 0, 0});  // B's last was "sale"
  // 3 days x 2 series x (price, promo, event) = 18 known-future cells, less
  // A's 2 prices and 2 events given.
  REQUIRE_FALSE(data.warnings.empty());
  CHECK_THAT(data.warnings.back(),
             Catch::Contains("fill_future=last") && Catch::Contains(" 14 missing future cell(s)") &&
                 Catch::Contains("first: series 'A', column 'price' on 2024-01-05"));
  // What fill cannot mend stays an error: a date before the history's end, a duplicate.
  check_error([&] { files.future(std::string(kFutureHeader) + "A,2024-01-02,3,1,north,\n"); },
              ErrorCode::Data, "does not follow its history");
}

TEST_CASE("a static file adds attribute columns and checks existing ones", "[future][static]") {
  Files files;
  const Dataset data = files.attributes("series_id,size,brand,store\nA,1.5,acme,north\nB,,,\n");
  REQUIRE(data.series.size() == 2);
  const Column& size = column(data, "size");
  CHECK(size.numeric);
  CHECK(size.numeric_values[0] == std::vector<double>(3, 1.5));
  CHECK(std::isnan(size.numeric_values[1][0]));  // B gave none: unknown
  const Column& brand = column(data, "brand");
  CHECK_FALSE(brand.numeric);
  CHECK(brand.category_codes[0] == std::vector<int32_t>(3, 0));
  const SeriesInputs inputs(data);
  CHECK(inputs.role(static_cast<size_t>(data.find_column("size"))) == CovariateRole::Static);
  CHECK(inputs.role(static_cast<size_t>(data.find_column("brand"))) == CovariateRole::Static);

  const std::string path = files.folder.file("static.csv");
  check_error(
      [&] { files.attributes("series_id,store\nA,south\n"); }, ErrorCode::Data,
      path + ":2: column 'store': 'south' for series 'A' differs from its static value 'north'");
  check_error([&] { files.attributes("series_id,price\nA,2\n"); }, ErrorCode::Data,
              "column 'price' varies within a series of the history");
  check_error([&] { files.attributes("series_id,size\nA,1\nA,1\n"); }, ErrorCode::Data,
              path + ":3: series 'A' is given twice (first at line 2)");
  check_error([&] { files.attributes("series_id,size\nA,1,2\n"); }, ErrorCode::Parse,
              path + ":2: 3 fields, expected 2");
  check_error([&] { files.attributes("series_id,date\nA,2024-01-01\n"); }, ErrorCode::Parse,
              "column 'date' has no place in a static file");
}

TEST_CASE("new products join with no history, their statics and future days", "[future][static]") {
  Files files;
  const Dataset statics = files.attributes("series_id,brand,store\nA,acme,\nN,zeta,east\n");
  REQUIRE(statics.series.size() == 3);
  const size_t n = series_index(statics, "N");
  const Series& product = statics.series[n];
  CHECK(product.values.empty());
  CHECK(product.start_day == day("2024-01-04"));  // the day after the dataset's last date
  CHECK(product.stats.launch_offset == -1);
  // The record of a new product from the static file alone carries its statics.
  const SeriesInput alone = SeriesInputs(statics).latest(n, 7);
  CHECK(alone.target.empty());
  CHECK(alone.start == day("2024-01-04"));
  CHECK(level(named(alone.statics, "brand"), 0) == "zeta");
  CHECK(level(named(alone.statics, "store"), 0) == "east");
  CHECK(alone.known_days() == 0);

  // Then a future file: N must be in it, and its days start after the dataset's last date.
  check_error([&] { with_future(statics, files.rows(two_days()), files.options); }, ErrorCode::Data,
              "series 'N' (a new product) has no rows");
  const Dataset data =
      with_future(statics,
                  files.rows(two_days() + "N,2024-01-04,9,1,,\nN,2024-01-05,9,0,east,\nM,2024-01-"
                                          "04,8,0,west,\nM,2024-01-05,8,0,west,\n"),
                  files.options);
  REQUIRE(data.series.size() == 4);
  const std::vector<std::string> ids = {data.series[0].id, data.series[1].id, data.series[2].id,
                                        data.series[3].id};
  CHECK(ids == std::vector<std::string>{"A", "B", "M", "N"});  // in id order
  const SeriesInputs inputs(data);
  for (const char* id : {"M", "N"}) {
    INFO(id);
    const SeriesInput in = inputs.latest(series_index(data, id), 2);
    CHECK(in.target.empty());
    CHECK(in.start == day("2024-01-04"));
    CHECK(in.known_days() == 2);
  }
  const SeriesInput m = inputs.latest(series_index(data, "M"), 2);
  CHECK(named(m.known, "price").values[0] == 8.0);
  CHECK(level(named(m.statics, "store"), 0) == "west");
  const SeriesInput n2 = inputs.latest(series_index(data, "N"), 2);
  CHECK(level(named(n2.statics, "brand"), 0) == "zeta");
  CHECK(named(n2.known, "promo").values[0] == 1.0);
  // Static agreement holds for new products too: N's store is east.
  check_error(
      [&] {
        with_future(statics,
                    files.rows(two_days() + "N,2024-01-04,9,1,west,\nN,2024-01-05,9,0,east,\n"),
                    files.options);
      },
      ErrorCode::Data,
      "column 'store': 'west' for series 'N' differs from its static value 'east'");
  // A new product's dates must follow the dataset's last date.
  check_error(
      [&] {
        with_future(statics, files.rows(two_days() + "N,2024-01-03,9,1,east,\n"), files.options);
      },
      ErrorCode::Data,
      "series 'N': date 2024-01-03 does not follow its history, which ends on 2024-01-03");

  // The built-in methods forecast a new product from its analogues (cold_start.hpp): M's
  // store, west, is no other's, so every series with a history is one, and M reads their
  // mean day by day: 2024-01-01 A's 1 alone, then (2 + 4) / 2 and (3 + 5) / 2.  Its forecast
  // starts on the same day as the others'.
  const auto naive = make_forecaster("snaive", {});
  const DatasetForecast forecast = forecast_dataset(*naive, {}, {}, data, 2);
  const size_t m_index = series_index(data, "M");
  const std::vector<double> analogue_mean{1, 3, 4};
  CHECK(forecast.series[m_index].mean ==
        forecast_series(*naive, {}, "M", SeriesInput(analogue_mean), 2).mean);
  CHECK(forecast.series[m_index].mean != std::vector<double>{0, 0});
  CHECK(forecast.start_days[m_index] == day("2024-01-04"));
  CHECK(forecast.start_days[0] == day("2024-01-04"));
  CHECK_THAT(forecast.series[m_index].warning,
             Catch::Contains("series 'M' is a new product (no history): forecast from the mean "
                             "daily sales of 2 series (no attribute to match"));
  check_error([&] { forecast_dataset(*naive, {}, {}, data, 3); }, ErrorCode::Data,
              "the horizon of 3 days needs them to 2024-01-06");
  // A backtest scores no window of a new product and goes on with the others.
  const BacktestReport report = run_backtest(data, {"naive"}, 1, 1, {});
  CHECK(report.methods[0].scored_windows[m_index] == 0);
  CHECK(report.methods[0].scored_windows[0] == 1);
}

TEST_CASE("a model forecast reads new products and refuses a horizon past the future days",
          "[future][model]") {
  // Context 12 days, horizon 2: every series here is padded, the new one wholly.
  const ModelRuntime runtime(
      ModelFile::open(std::string(INVF_TEST_FIXTURES) + "/model/v1_tiny_meanabs.invfm"),
      kernels::backend_of(kernels::BackendKind::Cpu));
  Files files;
  const Dataset data =
      files.future(two_days() + "N,2024-01-04,9,1,east,\nN,2024-01-05,9,0,east,\n");
  const DatasetForecast forecast = forecast_dataset_with_model(runtime, {}, {}, data, 2);
  const size_t n = series_index(data, "N");
  CHECK(forecast.start_days[n] == day("2024-01-04"));
  CHECK(forecast.series[n].mean.size() == 2);
  CHECK_THAT(forecast.series[n].warning, Catch::Contains("series 'N' is a new product"));
  const Dataset one_day = files.future(std::string(kFutureHeader) +
                                       "A,2024-01-04,3.0,1,north,\nB,2024-01-04,1.5,0,south,\n");
  check_error([&] { forecast_dataset_with_model(runtime, {}, {}, one_day, 2); }, ErrorCode::Data,
              "series 'A': the future covariates cover 1 day(s) after its history");
}

TEST_CASE("cold start: a new product reads the analogues sharing the most statics",
          "[future][cold]") {
  Files files;
  // N is sold in the north, as A alone is: A is its one analogue.
  const Dataset data =
      files.future(two_days() + "N,2024-01-04,9,1,north,\nN,2024-01-05,8,0,north,sale\n");
  const size_t n = series_index(data, "N"), a = series_index(data, "A");
  const SeriesInputs inputs(data);
  const ColdStart cold(inputs, 4);
  CHECK(cold.is_new(n));
  CHECK_FALSE(cold.is_new(a));
  CHECK(cold.note(a).empty());
  CHECK(cold.analogues(n) == 1);
  CHECK(cold.analogues(a) == 0);
  CHECK(cold.note(n) ==
        "series 'N' is a new product (no history): forecast from the mean daily sales of 1 series "
        "sharing 1 of its 1 attributes (store=north) over the last 4 days");
  const SeriesInput record = cold.input(n, 2);
  // Four days up to the dataset's last, 2023-12-31 before anyone's start.
  CHECK(record.start == day("2023-12-31"));
  CHECK(std::vector<double>(record.target.begin(), record.target.end()) ==
        std::vector<double>{0, 1, 2, 3});
  CHECK(record.known_days() == 2);
  // Over the analogue days A's covariates (unknown before its start), then N's own.
  const CovariateView price = named(record.known, "price");
  REQUIRE(price.values.size() == 6);
  CHECK(std::isnan(price.values[0]));
  CHECK(std::vector<double>(price.values.begin() + 1, price.values.end()) ==
        std::vector<double>{2.0, 2.5, 2.5, 9, 8});
  const CovariateView event = named(record.known, "event");
  CHECK(level(event, 2) == "sale");  // A's sale on 2024-01-02
  CHECK(level(event, 5) == "sale");  // N's own on 2024-01-05
  CHECK(level(named(record.statics, "store"), 0) == "north");
  CHECK(named(record.past, "weather").values.size() == 4);
  // A series with a history keeps its own record.
  CHECK(cold.input(a, 2).target.size() == 3);
  // Through the coverage check of SeriesInputs::latest.
  check_error([&] { cold.input(n, 3); }, ErrorCode::Data, "the horizon of 3 days");

  // A model that reads the sales alone forecasts N as it forecasts A: the same context.
  const ModelRuntime runtime(
      ModelFile::open(std::string(INVF_TEST_FIXTURES) + "/model/v1_tiny_meanabs.invfm"),
      kernels::backend_of(kernels::BackendKind::Cpu));
  const DatasetForecast forecast = forecast_dataset_with_model(runtime, {}, {}, data, 2);
  CHECK(forecast.series[n].mean == forecast.series[a].mean);
  CHECK(forecast.series[n].quantiles == forecast.series[a].quantiles);
  CHECK_THAT(forecast.series[n].warning, Catch::Contains("1 series sharing 1 of its 1 attributes"));
}

TEST_CASE("future arrays give the dataset the file gives", "[future]") {
  Files files;
  const std::string_view ids[] = {"A", "B"};
  const int64_t starts[] = {day("2024-01-04"), day("2024-01-04")};
  const int64_t lengths[] = {2, 2};
  const double price[] = {3.0, 3.5, 1.5, 1.5}, promo[] = {1, 0, 0, 1};
  const char* store[] = {"north", "north", "south", nullptr};
  const char* event[] = {"", "clearance", nullptr, "sale"};
  const std::string_view numeric[] = {"price", "promo"};
  const double* numbers[] = {price, promo};
  const std::string_view categorical[] = {"store", "event"};
  const char* const* texts[] = {store, event};
  ColumnarCovariates input{ids, starts, lengths, 4, numeric, numbers, categorical, texts};
  const Dataset arrays = with_future(files.history, columnar_rows(input), files.options);
  const Dataset file = files.future(two_days());
  for (const char* name : {"price", "promo", "store", "event"}) {
    INFO(name);
    CHECK(column(arrays, name).numeric_values == column(file, name).numeric_values);
    CHECK(column(arrays, name).category_codes == column(file, name).category_codes);
    CHECK(column(arrays, name).levels == column(file, name).levels);
  }
  const double infinite[] = {3.0, INFINITY, 1.5, 1.5};
  const double* bad[] = {infinite, promo};
  input.numeric_values = bad;
  check_error([&] { columnar_rows(input); }, ErrorCode::Data,
              "series 'A', column 'price': values[1] is infinite");
  const int64_t short_lengths[] = {2, 1};
  input.numeric_values = numbers;
  input.lengths = short_lengths;
  check_error([&] { columnar_rows(input); }, ErrorCode::InvalidArgument,
              "lengths add up to 3 but 4 values");
}

TEST_CASE("real M5 slice: a held-out SKU is forecast from the future file", "[future][m5]") {
  const Dataset history = read_csv(fixture("m5_history.csv"), {});
  REQUIRE(history.series.size() == 3);
  const Dataset data =
      with_future(history, read_covariate_csv(fixture("m5_future.csv"), history, {}, true), {});
  REQUIRE(data.series.size() == 4);
  const size_t held_out = series_index(data, "FOODS_1_033_TX_1");
  const SeriesInputs inputs(data);
  CHECK(inputs.role(static_cast<size_t>(data.find_column("price"))) == CovariateRole::KnownFuture);
  CHECK(inputs.role(static_cast<size_t>(data.find_column("snap"))) == CovariateRole::KnownFuture);
  CHECK(inputs.role(static_cast<size_t>(data.find_column("dept"))) == CovariateRole::Static);
  for (size_t s = 0; s < data.series.size(); ++s) CHECK(data.series[s].future_days == 7);
  const SeriesInput product = inputs.latest(held_out, 7);
  CHECK(product.target.empty());
  CHECK(product.start == day("2016-03-28"));
  CHECK(level(named(product.statics, "store"), 0) == "TX_1");
  CHECK(level(named(product.statics, "dept"), 0) == "FOODS_1");
  CHECK(named(product.known, "price").values[0] == 6.27);
  // snap: Texas' SNAP days of early April, as the file gives them.
  const CovariateView snap = named(product.known, "snap");
  CHECK(std::vector<double>(snap.values.begin(), snap.values.end()) ==
        std::vector<double>{0, 0, 0, 0, 1, 0, 1});
  // A series of the history reads its 27 days and the 7 after.
  const SeriesInput foods = inputs.latest(series_index(data, "FOODS_3_702_CA_2"), 7);
  CHECK(foods.target.size() == 27);
  CHECK(named(foods.known, "price").size() == 34);
  CHECK(named(foods.known, "price").values[33] == 3.0);
  const DatasetForecast forecast = forecast_dataset(*make_forecaster("ets", {}), {}, {}, data, 7);
  // Cold start: of the history, FOODS_1_033_CA_1 alone shares two of the held-out SKU's
  // statics (dept FOODS_1, category FOODS), so the SKU reads its history and gets its forecast.
  const size_t analogue = series_index(data, "FOODS_1_033_CA_1");
  CHECK(forecast.series[held_out].mean == forecast.series[analogue].mean);
  CHECK(forecast.series[held_out].mean[0] > 0.0);
  CHECK_THAT(forecast.series[held_out].warning,
             Catch::Contains("1 series sharing 2 of its 4 attributes (store=TX_1, state=TX, "
                             "dept=FOODS_1, category=FOODS)"));
  CHECK(forecast.start_days[held_out] == day("2016-03-28"));
}

TEST_CASE("real Complete Journey slice: static file, past-only price, future promotions",
          "[future][static][cj]") {
  IngestOptions options;
  options.set("past_only", "shelf_price");
  const Dataset history = read_csv(fixture("cj_history.csv"), options);
  const Dataset statics =
      with_statics(history, read_covariate_csv(fixture("cj_static.csv"), history, options, false));
  REQUIRE(statics.series.size() == 3);
  const size_t held_out = series_index(statics, "1106523");
  CHECK(statics.series[held_out].values.empty());
  CHECK_FALSE(column(statics, "text").numeric);  // text is kept as a categorical static
  const Dataset data = with_future(
      statics, read_covariate_csv(fixture("cj_future.csv"), statics, options, true), options);
  const SeriesInputs inputs(data);
  const SeriesInput product = inputs.latest(held_out, 7);
  CHECK(level(named(product.statics, "department"), 0) == "GROCERY");
  CHECK(level(named(product.statics, "package_size"), 0) == "1 GA");
  CHECK(named(product.known, "n_store_display").values[0] == 21.0);
  CHECK(named(product.past, "shelf_price").size() == 0);
  const SeriesInput milk = inputs.latest(series_index(data, "1029743"), 7);
  CHECK(named(milk.known, "n_store_display").values[28] == 20.0);
  CHECK(named(milk.past, "shelf_price").size() == 28);
  // Without past_only the shelf price is taken for a known-future column the file lacks.
  const Dataset unmarked = read_csv(fixture("cj_history.csv"), {});
  check_error(
      [&] {
        with_future(unmarked, read_covariate_csv(fixture("cj_future.csv"), unmarked, {}, true), {});
      },
      ErrorCode::Data, "known-future column 'shelf_price' of the history is missing");
}
