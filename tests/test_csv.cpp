// CSV ingestion: plain and gzip input, covariates, and every kind of bad
// input, each answered with the right code and a message naming the place.
#include <unistd.h>
#include <zlib.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <utility>

#include "error.hpp"
#include "data/dataset.hpp"

using namespace invforecast;

namespace {

std::string fixture(const std::string& name) {
  return std::string(INVF_TEST_FIXTURES) + "/data/" + name;
}

// A per-process temporary folder, removed when the test program exits.
struct TempFolder {
  std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("invf_test_csv_" + std::to_string(::getpid()));
  ~TempFolder() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
} temp_folder;

// Writes `content` to a fresh file in the temporary folder.
std::string write_temp(const std::string& name, const std::string& content) {
  std::filesystem::create_directories(temp_folder.path);
  const auto path = (temp_folder.path / name).string();
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

struct Failure {
  ErrorCode code;
  std::string message;
};

Failure load_failure(const std::string& path, const IngestOptions& options = {}) {
  try {
    read_csv(path, options);
  } catch (const Error& e) {
    return {e.code(), e.what()};
  }
  FAIL("loading " << path << " should have failed");
  return {};
}

const Series& by_id(const Dataset& d, const std::string& id) {
  for (const Series& s : d.series)
    if (s.id == id) return s;
  FAIL("no series " << id);
  return d.series.front();
}

Day day(const char* iso) { return *parse_iso_date(iso); }

const std::string header = "series_id,date,value,price\n";

}  // namespace

TEST_CASE("csv loads the small fixture with gaps, covariates and quoted fields", "[data][csv]") {
  const Dataset d = read_csv(fixture("small.csv"), {});
  REQUIRE(d.series.size() == 2);
  CHECK(d.series[0].id == "A");  // sorted by id although B comes first in the file
  CHECK(d.series[1].id == "B");

  const Series& a = d.series[0];
  CHECK(a.start_day == day("2021-01-01"));
  CHECK(a.values == std::vector<double>{1, 0, 0, 3});
  CHECK(a.observed == std::vector<uint8_t>{1, 1, 0, 1});
  CHECK(a.stats.gap_days == 1);
  CHECK(a.stats.observed_days == 3);
  const Series& b = d.series[1];
  CHECK(b.values == std::vector<double>{4, 5, 2});
  CHECK(b.stats.gap_days == 0);

  REQUIRE(d.warnings.size() == 1);
  CHECK_THAT(d.warnings[0],
             Catch::Contains("filled 1 missing day") && Catch::Contains("'A' on 2021-01-03"));

  REQUIRE(d.columns.size() == 4);
  CHECK(d.find_column("price") == 0);
  CHECK(d.find_column("event") == 1);
  CHECK(d.find_column("promo") == 2);
  CHECK(d.find_column("store") == 3);
  CHECK(d.find_column("value") == -1);

  const Column& price = d.columns[0];
  REQUIRE(price.numeric);
  CHECK(price.numeric_values[0][0] == 2.25);
  CHECK(std::isnan(price.numeric_values[0][1]));  // empty cell
  CHECK(std::isnan(price.numeric_values[0][2]));  // filled gap
  CHECK(price.numeric_values[0][3] == 2.25);
  CHECK(price.numeric_values[1] == std::vector<double>{1.5, 1.75, 1.5});

  const Column& event = d.columns[1];
  REQUIRE_FALSE(event.numeric);
  REQUIRE(event.levels == std::vector<std::string>{"NewYear"});
  CHECK(event.category_codes[0] == std::vector<int32_t>{0, -1, -1, -1});
  CHECK(event.category_codes[1] == std::vector<int32_t>{0, -1, -1});

  const Column& promo = d.columns[2];
  REQUIRE(promo.numeric);
  CHECK(std::isnan(promo.numeric_values[1][1]));
  CHECK(promo.numeric_values[1][2] == 0.0);

  const Column& store = d.columns[3];
  REQUIRE_FALSE(store.numeric);
  REQUIRE(store.levels.size() == 2);
  CHECK(store.levels[static_cast<size_t>(store.category_codes[0][0])] == "North, 1");
  CHECK(store.levels[static_cast<size_t>(store.category_codes[1][0])] == "South \"2\"");
}

namespace {

// Exact equality of two datasets (NaN equals NaN in covariates).
void check_same(const Dataset& x, const Dataset& y) {
  REQUIRE(x.series.size() == y.series.size());
  for (size_t s = 0; s < x.series.size(); ++s) {
    CHECK(x.series[s].id == y.series[s].id);
    CHECK(x.series[s].start_day == y.series[s].start_day);
    CHECK(x.series[s].values == y.series[s].values);
    CHECK(x.series[s].observed == y.series[s].observed);
    CHECK(x.series[s].stats.clipped == y.series[s].stats.clipped);
  }
  REQUIRE(x.columns.size() == y.columns.size());
  for (size_t c = 0; c < x.columns.size(); ++c) {
    CHECK(x.columns[c].name == y.columns[c].name);
    CHECK(x.columns[c].numeric == y.columns[c].numeric);
    CHECK(x.columns[c].levels == y.columns[c].levels);
    CHECK(x.columns[c].category_codes == y.columns[c].category_codes);
    REQUIRE(x.columns[c].numeric_values.size() == y.columns[c].numeric_values.size());
    for (size_t s = 0; s < x.columns[c].numeric_values.size(); ++s) {
      const auto& a = x.columns[c].numeric_values[s];
      const auto& b = y.columns[c].numeric_values[s];
      REQUIRE(a.size() == b.size());
      for (size_t t = 0; t < a.size(); ++t)
        CHECK((a[t] == b[t] || (std::isnan(a[t]) && std::isnan(b[t]))));
    }
  }
  CHECK(x.warnings == y.warnings);
}

}  // namespace

TEST_CASE("csv gzip and plain files give identical datasets", "[data][csv]") {
  const Dataset plain = read_csv(fixture("small.csv"), {});
  // The gzip copy is found by its magic bytes even without a .gz name, and
  // a file of two concatenated gzip members (as `cat a.gz b.gz`) is whole.
  std::ifstream in(fixture("small.csv.gz"), std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (const std::string& path :
       {fixture("small.csv.gz"), write_temp("gzip_named_plain.csv", bytes),
        fixture("multi_member.csv.gz")})
    check_same(read_csv(path, {}), plain);
}

TEST_CASE("csv parsed in many slices equals one sequential pass", "[data][csv]") {
  for (const std::string& path : {fixture("small.csv"), fixture("m5_slice.csv.gz")}) {
    const Dataset whole = read_csv(path, {}, size_t{1} << 30, 1);
    for (size_t slices : {2, 3, 7, 64}) check_same(read_csv(path, {}, 1, slices), whole);
  }
  // A column numeric in the first rows and text only near the end; another
  // empty at first: every slice must agree on the kinds and level order.
  std::string text = "series_id,date,value,code,note\n";
  for (int i = 0; i < 40; ++i)
    text += fmt::format("S{},{},{},{},{}\n", i % 3,
                        format_iso_date(parse_iso_date("2021-01-01").value() + i / 3), i, i % 5,
                        i < 30 ? "" : (i % 2 ? "odd" : "even"));
  text += "S0,2021-02-01,1,x,\n";
  const std::string path = write_temp("kinds_across_slices.csv", text);
  const Dataset whole = read_csv(path, {}, size_t{1} << 30, 1);
  REQUIRE(whole.columns.size() == 2);
  CHECK_FALSE(whole.columns[0].numeric);
  CHECK(whole.columns[0].levels == std::vector<std::string>{"0", "1", "2", "3", "4", "x"});
  CHECK(whole.columns[1].levels == std::vector<std::string>{"even", "odd"});
  for (size_t slices : {2, 5, 16}) check_same(read_csv(path, {}, 1, slices), whole);
}

TEST_CASE("csv errors in sliced parsing are the first in file order", "[data][csv]") {
  std::string rows;
  for (int i = 0; i < 60; ++i)
    rows += fmt::format("A,{},1,\n", format_iso_date(parse_iso_date("2021-01-01").value() + i));
  std::string late_error = header + rows + "A,2021-13-01,1,\n";  // line 62
  for (size_t slices : {1, 4, 9}) {
    try {
      read_csv(write_temp("late_error.csv", late_error), {}, 1, slices);
      FAIL("expected a parse error");
    } catch (const Error& e) {
      CHECK(e.code() == ErrorCode::Parse);
      CHECK_THAT(e.what(),
                 Catch::Contains("late_error.csv:62") && Catch::Contains("column 'date'"));
    }
  }
  // A rule violation early (NaN, line 3) wins over a parse error far later.
  std::string both = header + "A,2020-12-30,1,\nA,2020-12-31,nan,\n" + rows + "A,2021-13-01,1,\n";
  for (size_t slices : {1, 4, 9}) {
    try {
      read_csv(write_temp("both_errors.csv", both), {}, 1, slices);
      FAIL("expected an error");
    } catch (const Error& e) {
      CHECK(e.code() == ErrorCode::Data);
      CHECK_THAT(e.what(), Catch::Contains("both_errors.csv:3") && Catch::Contains("NaN"));
    }
  }
  // An infinite covariate found late is reported with its file line.
  const std::string infinite = header + rows + "B,2021-01-01,1,inf\n";  // line 62
  for (size_t slices : {1, 4, 9}) {
    try {
      read_csv(write_temp("late_inf.csv", infinite), {}, 1, slices);
      FAIL("expected an error");
    } catch (const Error& e) {
      CHECK(e.code() == ErrorCode::Data);
      CHECK_THAT(e.what(), Catch::Contains("late_inf.csv:62") && Catch::Contains("column 'price'"));
    }
  }
  // Duplicates found across slices name both lines.
  std::string dup = header + rows + "A,2021-01-05,2,\n";
  for (size_t slices : {1, 4, 9}) {
    try {
      read_csv(write_temp("dup_slices.csv", dup), {}, 1, slices);
      FAIL("expected a duplicate error");
    } catch (const Error& e) {
      CHECK(e.code() == ErrorCode::Data);
      CHECK_THAT(e.what(),
                 Catch::Contains("dup_slices.csv:62") && Catch::Contains("dup_slices.csv:6"));
    }
  }
}

TEST_CASE("csv real M5 slice loads with the expected counts", "[data][csv]") {
  const Dataset d = read_csv(fixture("m5_slice.csv.gz"), {});
  REQUIRE(d.series.size() == 6);
  CHECK(d.warnings.empty());
  // Totals and sale-day counts computed from the file with pandas.
  const std::vector<std::tuple<std::string, double, size_t>> expected = {
      {"FOODS_1_033_CA_1", 117, 62},   {"FOODS_2_096_WI_1", 47, 33},
      {"FOODS_3_377_TX_1", 1913, 119}, {"HOBBIES_1_254_CA_2", 721, 109},
      {"HOBBIES_2_057_WI_2", 18, 9},   {"HOUSEHOLD_1_474_TX_2", 1064, 119}};
  for (size_t s = 0; s < 6; ++s) {
    const auto& [id, total, sale_days] = expected[s];
    const Series& series = d.series[s];
    CHECK(series.id == id);
    CHECK(series.start_day == day("2015-11-29"));
    CHECK(series.end_day() == day("2016-03-27"));
    CHECK(series.stats.length == 120);
    CHECK(series.stats.gap_days == 0);
    CHECK(series.stats.total == total);
    CHECK(std::count_if(series.values.begin(), series.values.end(),
                        [](double v) { return v > 0; }) == static_cast<std::ptrdiff_t>(sale_days));
  }
  REQUIRE(d.columns.size() == 7);
  const char* names[] = {"price", "store", "state", "dept", "category", "snap", "event"};
  const bool numeric[] = {true, false, false, false, false, true, false};
  for (size_t c = 0; c < 7; ++c) {
    CHECK(d.columns[c].name == names[c]);
    CHECK(d.columns[c].numeric == numeric[c]);
  }
  CHECK(d.columns[1].levels.size() == 6);   // one store per series
  CHECK(d.columns[6].levels.size() == 13);  // distinct events in the window
  double snap_days = 0;
  for (const auto& per_series : d.columns[5].numeric_values)
    for (double v : per_series) snap_days += v;
  CHECK(snap_days == 240);
}

TEST_CASE("csv bundled M5 data loads completely", "[data][csv]") {
  // What the file holds, counted line by line through zlib alone: its data rows and zero values,
  // and the rows and the sum of the values (third field) of each series id (first field).
  std::map<std::string, std::pair<size_t, double>> in_file;
  size_t file_rows = 0, file_zeros = 0;
  {
    gzFile gz = gzopen(INVF_BUNDLED_DATA, "rb");
    REQUIRE(gz != nullptr);
    char line[4096];
    REQUIRE(gzgets(gz, line, sizeof line) != nullptr);  // the header
    while (gzgets(gz, line, sizeof line) != nullptr) {
      const std::string text(line);
      REQUIRE(text.back() == '\n');  // no line longer than the buffer
      const size_t first = text.find(','), second = text.find(',', first + 1);
      auto& [rows, sum] = in_file[text.substr(0, first)];
      ++rows;
      const double value = std::stod(text.substr(second + 1, text.find(',', second + 1) - second - 1));
      sum += value;
      file_zeros += value == 0.0;
      ++file_rows;
    }
    gzclose(gz);
  }
  const Dataset d = read_csv(INVF_BUNDLED_DATA, {});
  REQUIRE(d.series.size() == in_file.size());
  size_t days = 0, zeros = 0;
  for (const Series& s : d.series) {
    INFO(s.id);
    REQUIRE(in_file.count(s.id) == 1);
    // No gaps: one row per day, and not a unit lost or added.
    CHECK(s.values.size() == in_file[s.id].first);
    CHECK(s.stats.total == in_file[s.id].second);
    CHECK(s.stats.gap_days == 0);
    CHECK(s.stats.launch_offset >= 0);
    days += s.values.size();
    zeros += static_cast<size_t>(std::count(s.values.begin(), s.values.end(), 0.0));
  }
  CHECK(days == file_rows);
  CHECK(zeros == file_zeros);
  CHECK(d.columns.size() == 7);
}

TEST_CASE("csv rejects unparsable and non-finite values", "[data][csv]") {
  auto f =
      load_failure(write_temp("bad_value.csv", header + "A,2021-01-01,1,\nA,2021-01-02,abc,\n"));
  CHECK(f.code == ErrorCode::Parse);
  CHECK_THAT(f.message, Catch::Contains("bad_value.csv:3") && Catch::Contains("column 'value'") &&
                            Catch::Contains("'abc'"));

  for (const char* text : {"nan", "NaN", "inf", "-inf", "Infinity"}) {
    f = load_failure(write_temp("nonfinite.csv", header + "A,2021-01-01," + text + ",\n"));
    CHECK(f.code == ErrorCode::Data);
    CHECK_THAT(f.message, Catch::Contains("nonfinite.csv:2") && Catch::Contains("column 'value'"));
  }

  f = load_failure(write_temp("missing_value.csv", header + "A,2021-01-01,1,\nA,2021-01-02,,2\n"));
  CHECK(f.code == ErrorCode::Parse);
  CHECK_THAT(f.message, Catch::Contains("missing_value.csv:3") &&
                            Catch::Contains("column 'value'") && Catch::Contains("missing value"));

  f = load_failure(write_temp("trailing.csv", header + "A,2021-01-01,1.5x,\n"));
  CHECK(f.code == ErrorCode::Parse);
  CHECK_THAT(f.message, Catch::Contains("trailing.csv:2") && Catch::Contains("'1.5x'"));
}

TEST_CASE("csv rejects bad dates", "[data][csv]") {
  for (const char* text : {"2021-02-30", "2021/01/01", "20210101", "2021-13-01", "01-01-2021"}) {
    const auto f =
        load_failure(write_temp("bad_date.csv", header + "A,2021-01-01,1,\nA," + text + ",1,\n"));
    CHECK(f.code == ErrorCode::Parse);
    CHECK_THAT(f.message, Catch::Contains("bad_date.csv:3") && Catch::Contains("column 'date'") &&
                              Catch::Contains(text));
  }
  const auto f = load_failure(write_temp("no_date.csv", header + "A,,1,\n"));
  CHECK(f.code == ErrorCode::Parse);
  CHECK_THAT(f.message, Catch::Contains("no_date.csv:2") && Catch::Contains("column 'date'"));
}

TEST_CASE("csv rejects a wrong field count naming the column", "[data][csv]") {
  auto f = load_failure(write_temp("short_row.csv", header + "A,2021-01-01,1,2\nA,2021-01-02,1\n"));
  CHECK(f.code == ErrorCode::Parse);
  CHECK_THAT(f.message, Catch::Contains("short_row.csv:3") && Catch::Contains("column 'price'") &&
                            Catch::Contains("expected 4 fields, found 3"));
  f = load_failure(write_temp("long_row.csv", header + "A,2021-01-01,1,2,9\n"));
  CHECK(f.code == ErrorCode::Parse);
  CHECK_THAT(f.message, Catch::Contains("long_row.csv:2") && Catch::Contains("found 5") &&
                            Catch::Contains("column 'price'"));
  f = load_failure(write_temp("open_quote.csv", header + "\"A,2021-01-01,1,2\n"));
  CHECK(f.code == ErrorCode::Parse);
  CHECK_THAT(f.message,
             Catch::Contains("open_quote.csv:2") && Catch::Contains("column 'series_id'"));
}

TEST_CASE("csv duplicates are refused naming both lines, or summed", "[data][csv]") {
  const std::string text = header + "A,2021-01-01,1,\nB,2021-01-01,1,\nA,2021-01-01,2,\n";
  const auto f = load_failure(write_temp("dup.csv", text));
  CHECK(f.code == ErrorCode::Data);
  CHECK_THAT(f.message, Catch::Contains("dup.csv:4") && Catch::Contains("dup.csv:2") &&
                            Catch::Contains("'A'") && Catch::Contains("2021-01-01"));

  IngestOptions sum;
  sum.duplicates = DuplicatePolicy::Sum;
  const Dataset d = read_csv(write_temp("dup.csv", text), sum);
  CHECK(by_id(d, "A").values == std::vector<double>{3});
  CHECK(by_id(d, "B").values == std::vector<double>{1});

  // Summed rows must agree on their covariates.
  const auto conflict = load_failure(
      write_temp("dup_price.csv", header + "A,2021-01-01,1,2.5\nA,2021-01-01,2,3.5\n"), sum);
  CHECK(conflict.code == ErrorCode::Data);
  CHECK_THAT(conflict.message,
             Catch::Contains("column 'price'") && Catch::Contains("dup_price.csv:"));
}

TEST_CASE("csv negative sales are refused, or clipped and counted", "[data][csv]") {
  const std::string text =
      header + "A,2021-01-01,1,\nA,2021-01-02,-2,\nA,2021-01-03,-1,\nB,2021-01-01,3,\n";
  const auto f = load_failure(write_temp("negative.csv", text));
  CHECK(f.code == ErrorCode::Data);
  CHECK_THAT(f.message, Catch::Contains("negative.csv:3") && Catch::Contains("column 'value'") &&
                            Catch::Contains("negative"));

  IngestOptions clip;
  clip.negative = NegativePolicy::Clip;
  const Dataset d = read_csv(write_temp("negative.csv", text), clip);
  CHECK(by_id(d, "A").values == std::vector<double>{1, 0, 0});
  CHECK(by_id(d, "A").stats.clipped == 2);
  CHECK(by_id(d, "B").stats.clipped == 0);
  REQUIRE(d.warnings.size() == 1);
  CHECK_THAT(d.warnings[0],
             Catch::Contains("clipped 2 negative") && Catch::Contains("negative.csv:3"));
}

TEST_CASE("csv header problems", "[data][csv]") {
  auto f = load_failure(write_temp("no_cols.csv", "series_id,day,sales\nA,2021-01-01,1\n"));
  CHECK(f.code == ErrorCode::Parse);
  CHECK_THAT(f.message, Catch::Contains("no_cols.csv:1") && Catch::Contains("'date'") &&
                            Catch::Contains("'value'") && !Catch::Contains("'series_id'"));

  f = load_failure(
      write_temp("twice.csv", "series_id,date,value,price,price\nA,2021-01-01,1,2,2\n"));
  CHECK(f.code == ErrorCode::Parse);
  CHECK_THAT(f.message, Catch::Contains("twice.csv:1") && Catch::Contains("'price' appears twice"));

  f = load_failure(write_temp("empty.csv", ""));
  CHECK(f.code == ErrorCode::Parse);
  CHECK_THAT(f.message, Catch::Contains("empty.csv") && Catch::Contains("empty file"));

  f = load_failure(write_temp("header_only.csv", header));
  CHECK(f.code == ErrorCode::Data);
  CHECK_THAT(f.message, Catch::Contains("header_only.csv") && Catch::Contains("no data rows"));

  // Other column names through the options.
  IngestOptions names;
  names.series_column = "sku";
  names.date_column = "day";
  names.value_column = "units";
  const Dataset d =
      read_csv(write_temp("renamed.csv", "day,units,sku\n2021-01-02,4,X\n2021-01-01,3,X\n"), names);
  REQUIRE(d.series.size() == 1);
  CHECK(d.series[0].values == std::vector<double>{3, 4});
  CHECK(d.columns.empty());
}

TEST_CASE("csv empty series id, missing file and refused gaps", "[data][csv]") {
  auto f = load_failure(write_temp("no_id.csv", header + "A,2021-01-01,1,\n,2021-01-02,1,\n"));
  CHECK(f.code == ErrorCode::Parse);
  CHECK_THAT(f.message, Catch::Contains("no_id.csv:3") && Catch::Contains("column 'series_id'") &&
                            Catch::Contains("empty series id"));

  f = load_failure(fixture("no_such_file.csv"));
  CHECK(f.code == ErrorCode::Io);
  CHECK_THAT(f.message, Catch::Contains("no_such_file.csv"));

  IngestOptions refuse;
  refuse.missing_days = MissingDayPolicy::Error;
  f = load_failure(write_temp("gap.csv", header + "A,2021-01-01,1,\nA,2021-01-05,1,\n"), refuse);
  CHECK(f.code == ErrorCode::Data);
  CHECK_THAT(f.message, Catch::Contains("gap.csv:3") && Catch::Contains("'A'") &&
                            Catch::Contains("3 missing day") && Catch::Contains("2021-01-02") &&
                            Catch::Contains("column 'date'"));
}

TEST_CASE("csv truncated or corrupt gzip is a parse error", "[data][csv]") {
  for (const char* name : {"truncated_mid.csv.gz", "truncated_trailer.csv.gz", "corrupt.csv.gz"}) {
    const auto f = load_failure(fixture(name));
    CHECK(f.code == ErrorCode::Parse);
    CHECK_THAT(f.message, Catch::Contains(name) && Catch::Contains("gzip"));
  }
  auto f = load_failure(write_temp("not_gzip.csv.gz", header + "A,2021-01-01,1,\n"));
  CHECK(f.code == ErrorCode::Parse);
  CHECK_THAT(f.message, Catch::Contains("not_gzip.csv.gz") && Catch::Contains("not a gzip file"));

  std::ifstream in(fixture("small.csv.gz"), std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  f = load_failure(write_temp("junk_after.csv.gz", bytes + "junk"));
  CHECK(f.code == ErrorCode::Parse);
  CHECK_THAT(f.message,
             Catch::Contains("junk_after.csv.gz") && Catch::Contains("4 unexpected byte"));
}

TEST_CASE("csv column kinds: late text makes a column categorical, infinity is refused",
          "[data][csv]") {
  // "code" looks numeric for three rows, then a text cell turns it categorical:
  // the earlier cells become levels too, in order of appearance.
  const Dataset d =
      read_csv(write_temp("late_text.csv",
                          "series_id,date,value,code\nA,2021-01-01,1,7\nA,2021-01-02,1,\n"
                          "A,2021-01-03,1,8.5\nA,2021-01-04,1,x\nA,2021-01-05,1,7\n"),
               {});
  REQUIRE(d.columns.size() == 1);
  CHECK_FALSE(d.columns[0].numeric);
  CHECK(d.columns[0].levels == std::vector<std::string>{"7", "8.5", "x"});
  CHECK(d.columns[0].category_codes[0] == std::vector<int32_t>{0, -1, 1, 2, 0});

  const auto f =
      load_failure(write_temp("inf_price.csv", header + "A,2021-01-01,1,2\nA,2021-01-02,1,inf\n"));
  CHECK(f.code == ErrorCode::Data);
  CHECK_THAT(f.message, Catch::Contains("inf_price.csv:3") && Catch::Contains("column 'price'"));
}

TEST_CASE("csv unescapes several quoted fields of one row", "[data][csv]") {
  const Dataset d = read_csv(write_temp("quotes.csv",
                                        "series_id,date,value,a,b\n"
                                        "\"x\"\"1\",2021-01-01,1,\"p \"\"q\"\"\",\"r,\"\"s\"\n"),
                             {});
  REQUIRE(d.series.size() == 1);
  CHECK(d.series[0].id == "x\"1");
  REQUIRE(d.columns.size() == 2);
  CHECK(d.columns[0].levels == std::vector<std::string>{"p \"q\""});
  CHECK(d.columns[1].levels == std::vector<std::string>{"r,\"s"});
  const auto f =
      load_failure(write_temp("quote_junk.csv", "series_id,date,value\n\"A\"x,2021-01-01,1\n"));
  CHECK(f.code == ErrorCode::Parse);
  CHECK_THAT(f.message,
             Catch::Contains("quote_junk.csv:2") && Catch::Contains("column 'series_id'"));
}

TEST_CASE("csv accepts CRLF, a byte-order mark and blank lines", "[data][csv]") {
  const Dataset d = read_csv(
      write_temp("crlf.csv",
                 "\xEF\xBB\xBFseries_id,date,value\r\nA,2021-01-01,2\r\n\r\nA,2021-01-02,3\r\n"),
      {});
  REQUIRE(d.series.size() == 1);
  CHECK(d.series[0].values == std::vector<double>{2, 3});
  // Line numbers count blank lines, so errors point at the physical line.
  const auto f =
      load_failure(write_temp("blank_then_bad.csv", "series_id,date,value\n\nA,2021-01-01,x\n"));
  CHECK_THAT(f.message, Catch::Contains("blank_then_bad.csv:3"));
}
