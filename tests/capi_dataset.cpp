// Datasets through the C ABI: from arrays and from a CSV file.
#include <cmath>
#include <cstring>
#include <initializer_list>
#include <limits>

#include "capi_support.hpp"

namespace {

double stat(const invf_dataset* dataset, size_t series, const char* name) {
  double value = 0;
  REQUIRE_OK(invf_dataset_series_stat(dataset, series, name, &value));
  return value;
}

std::vector<double> values_of(const invf_dataset* dataset, size_t series) {
  size_t length = 0;
  REQUIRE_OK(invf_dataset_series_length(dataset, series, &length));
  std::vector<double> values(length);
  REQUIRE_OK(invf_dataset_series_values(dataset, series, values.data(), values.size()));
  return values;
}

std::string start_of(const invf_dataset* dataset, size_t series) {
  char date[INVF_DATE_BUFFER];
  REQUIRE_OK(invf_dataset_series_start_date(dataset, series, date));
  return date;
}

}  // namespace

TEST_CASE("a dataset from arrays sorts series by id and fills gaps", "[capi]") {
  invf_dataset* dataset = nullptr;
  REQUIRE_OK(invf_dataset_create(nullptr, &dataset));
  // "zeta" comes first but sorts last; its rows arrive out of order with 01-04 absent.
  const std::vector<std::string> zeta_dates = {"2024-01-05", "2024-01-02", "2024-01-03"};
  const std::vector<double> zeta_values = {5, 2, 3};
  REQUIRE_OK(invf_dataset_add_series(dataset, "zeta", pointers(zeta_dates).data(),
                                     zeta_values.data(), 3));
  const auto alpha_dates = january_days(1, 4);
  const std::vector<double> alpha_values = {0, 0, 4, 2};
  REQUIRE_OK(invf_dataset_add_series(dataset, "alpha", pointers(alpha_dates).data(),
                                     alpha_values.data(), 4));

  size_t count = 0;
  REQUIRE_OK(invf_dataset_series_count(dataset, &count));
  REQUIRE(count == 2);
  const char* id = nullptr;
  REQUIRE_OK(invf_dataset_series_id(dataset, 0, &id));
  REQUIRE(std::string(id) == "alpha");
  REQUIRE_OK(invf_dataset_series_id(dataset, 1, &id));
  REQUIRE(std::string(id) == "zeta");

  REQUIRE(start_of(dataset, 1) == "2024-01-02");
  REQUIRE(values_of(dataset, 1) == std::vector<double>{2, 3, 0, 5});
  REQUIRE(stat(dataset, 1, "gap_days") == 1);
  REQUIRE(stat(dataset, 1, "observed_days") == 3);
  REQUIRE(values_of(dataset, 0) == std::vector<double>{0, 0, 4, 2});
  REQUIRE(stat(dataset, 0, "launch_offset") == 2);
  REQUIRE(stat(dataset, 0, "total") == 6);
  REQUIRE(stat(dataset, 0, "mean") == 3);  // (4 + 2) / 2 days after launch
  REQUIRE(stat(dataset, 0, "zero_fraction") == 0);

  size_t warnings = 0;
  REQUIRE_OK(invf_dataset_warning_count(dataset, &warnings));
  REQUIRE(warnings >= 1);  // the filled day of zeta
  const char* warning = nullptr;
  REQUIRE_OK(invf_dataset_warning(dataset, 0, &warning));
  REQUIRE_THAT(std::string(warning), Catch::Contains("zeta"));
  REQUIRE_FAILS(invf_dataset_warning(dataset, warnings, &warning), INVF_ERR_INVALID_ARGUMENT,
                "warning index");
  invf_dataset_release(dataset);
}

TEST_CASE("repeated calls for one series join its rows", "[capi]") {
  invf_dataset* dataset = nullptr;
  REQUIRE_OK(invf_dataset_create(nullptr, &dataset));
  const auto first = january_days(1, 2), second = january_days(3, 2);
  const double a[] = {1, 2}, b[] = {3, 4};
  REQUIRE_OK(invf_dataset_add_series(dataset, "s", pointers(first).data(), a, 2));
  REQUIRE_OK(invf_dataset_add_series(dataset, "s", pointers(second).data(), b, 2));
  REQUIRE(values_of(dataset, 0) == std::vector<double>{1, 2, 3, 4});
  invf_dataset_release(dataset);
}

TEST_CASE("adding after a read rebuilds, and strings read before stay valid",
          "[capi]") {
  invf_dataset* dataset = january_dataset("m", {1, 2, 3});
  const char* first_id = nullptr;
  REQUIRE_OK(invf_dataset_series_id(dataset, 0, &first_id));
  const auto dates = january_days(1, 3);
  const double values[] = {1, 2, 3};
  REQUIRE_OK(invf_dataset_add_series(dataset, "b", pointers(dates).data(), values, 3));
  size_t count = 0;
  REQUIRE_OK(invf_dataset_series_count(dataset, &count));
  REQUIRE(count == 2);
  const char* id = nullptr;
  REQUIRE_OK(invf_dataset_series_id(dataset, 0, &id));
  REQUIRE(std::string(id) == "b");
  REQUIRE(std::string(first_id) == "m");  // the pointer from the first build
  invf_dataset_release(dataset);
}

TEST_CASE("bad array input fails with a code and leaves the dataset as it was",
          "[capi]") {
  invf_dataset* dataset = january_dataset("ok", {1, 2, 3});
  const auto dates = january_days(1, 3);
  const double good[] = {1, 2, 3};

  const double with_nan[] = {1, std::numeric_limits<double>::quiet_NaN(), 3};
  REQUIRE_FAILS(invf_dataset_add_series(dataset, "x", pointers(dates).data(), with_nan, 3),
                INVF_ERR_DATA, "values[1]");
  const double with_inf[] = {1, 2, std::numeric_limits<double>::infinity()};
  REQUIRE_FAILS(invf_dataset_add_series(dataset, "x", pointers(dates).data(), with_inf, 3),
                INVF_ERR_DATA, "values[2]");
  const double negative[] = {1, -2, 3};
  REQUIRE_FAILS(invf_dataset_add_series(dataset, "x", pointers(dates).data(), negative, 3),
                INVF_ERR_DATA, "negative");
  const std::vector<std::string> bad_dates = {"2024-01-01", "2024-02-30", "2024-01-03"};
  REQUIRE_FAILS(invf_dataset_add_series(dataset, "x", pointers(bad_dates).data(), good, 3),
                INVF_ERR_PARSE, "2024-02-30");
  const char* hole[] = {"2024-01-01", nullptr};
  REQUIRE_FAILS(invf_dataset_add_series(dataset, "x", hole, good, 2), INVF_ERR_NULL_POINTER,
                "dates[1]");
  REQUIRE_FAILS(invf_dataset_add_series(dataset, "", pointers(dates).data(), good, 3),
                INVF_ERR_INVALID_ARGUMENT, "series_id");
  // A huge count with NULL arrays is refused before anything is read.
  REQUIRE_FAILS(invf_dataset_add_series(dataset, "x", nullptr, nullptr, size_t(1) << 60),
                INVF_ERR_NULL_POINTER, "'dates'");

  size_t count = 0;
  REQUIRE_OK(invf_dataset_series_count(dataset, &count));
  REQUIRE(count == 1);  // only "ok": no failed call added a row
  invf_dataset_release(dataset);
}

TEST_CASE("absurd counts fail with out-of-memory, not a crash", "[capi]") {
  invf_dataset* dataset = nullptr;
  REQUIRE_OK(invf_dataset_create(nullptr, &dataset));
  const char* dates[] = {"2024-01-01"};
  const double values[] = {1};
  // The count is refused when room for it is requested, before any element
  // past the first is read.  2^60 days fails to allocate (the preallocated
  // status, which release must not free); SIZE_MAX exceeds any vector.
  REQUIRE_FAILS(invf_dataset_add_series(dataset, "x", dates, values, size_t(1) << 60),
                INVF_ERR_OUT_OF_MEMORY, "out of memory");
  REQUIRE_FAILS(invf_dataset_add_series(dataset, "x", dates, values, SIZE_MAX),
                INVF_ERR_OUT_OF_MEMORY, "out of memory");
  invf_status* first = invf_dataset_add_series(dataset, "x", dates, values, size_t(1) << 60);
  invf_status* second = invf_dataset_add_series(dataset, "x", dates, values, size_t(1) << 60);
  REQUIRE(invf_status_code(first) == INVF_ERR_OUT_OF_MEMORY);
  REQUIRE(first == second);  // the one preallocated status
  invf_status_release(first);
  invf_status_release(second);  // a no-op: freeing it twice would crash
  REQUIRE(invf_status_code(second) == INVF_ERR_OUT_OF_MEMORY);
  invf_dataset_release(dataset);
}

TEST_CASE("count 0 adds nothing", "[capi]") {
  invf_dataset* dataset = nullptr;
  REQUIRE_OK(invf_dataset_create(nullptr, &dataset));
  REQUIRE_OK(invf_dataset_add_series(dataset, "none", nullptr, nullptr, 0));
  // Nothing was added, so there is no dataset to read yet.
  size_t count = 99;
  REQUIRE_FAILS(invf_dataset_series_count(dataset, &count), INVF_ERR_DATA, "");
  REQUIRE(count == 99);
  invf_dataset_release(dataset);
}

TEST_CASE("negative sales can be clipped when the options ask", "[capi]") {
  invf_options* options = nullptr;
  REQUIRE_OK(invf_options_create(&options));
  REQUIRE_OK(invf_options_set(options, "negative", "clip"));
  invf_dataset* dataset = nullptr;
  REQUIRE_OK(invf_dataset_create(options, &dataset));
  invf_options_release(options);  // the dataset keeps its own copy
  const auto dates = january_days(1, 3);
  const double values[] = {1, -2, 3};
  REQUIRE_OK(invf_dataset_add_series(dataset, "x", pointers(dates).data(), values, 3));
  REQUIRE(values_of(dataset, 0) == std::vector<double>{1, 0, 3});
  REQUIRE(stat(dataset, 0, "clipped") == 1);
  invf_dataset_release(dataset);
}

TEST_CASE("duplicate dates fail on first read, or are summed", "[capi]") {
  const std::vector<std::string> dates = {"2024-01-01", "2024-01-02", "2024-01-01"};
  const double values[] = {1, 2, 5};
  SECTION("by default an error naming the series and date") {
    invf_dataset* dataset = nullptr;
    REQUIRE_OK(invf_dataset_create(nullptr, &dataset));
    REQUIRE_OK(invf_dataset_add_series(dataset, "dup", pointers(dates).data(), values, 3));
    size_t count = 0;
    REQUIRE_FAILS(invf_dataset_series_count(dataset, &count), INVF_ERR_DATA, "2024-01-01");
    invf_dataset_release(dataset);
  }
  SECTION("summed with duplicates=sum") {
    invf_options* options = nullptr;
    REQUIRE_OK(invf_options_create(&options));
    REQUIRE_OK(invf_options_set(options, "duplicates", "sum"));
    invf_dataset* dataset = nullptr;
    REQUIRE_OK(invf_dataset_create(options, &dataset));
    REQUIRE_OK(invf_dataset_add_series(dataset, "dup", pointers(dates).data(), values, 3));
    REQUIRE(values_of(dataset, 0) == std::vector<double>{6, 2});
    invf_dataset_release(dataset);
    invf_options_release(options);
  }
}

TEST_CASE("covariates from arrays are kept as columns", "[capi]") {
  invf_dataset* dataset = nullptr;
  REQUIRE_OK(invf_dataset_create(nullptr, &dataset));
  const auto dates = january_days(1, 3);
  const double sales[] = {1, 2, 3};
  const double prices[] = {2.5, std::numeric_limits<double>::quiet_NaN(), 2.5};
  const char* events[] = {"", "holiday", nullptr};
  REQUIRE_OK(invf_dataset_add_series(dataset, "x", pointers(dates).data(), sales, 3));
  REQUIRE_OK(invf_dataset_add_numeric(dataset, "x", "price", pointers(dates).data(), prices, 3));
  REQUIRE_OK(invf_dataset_add_categorical(dataset, "x", "event", pointers(dates).data(), events, 3));
  size_t columns = 0;
  REQUIRE_OK(invf_dataset_column_count(dataset, &columns));
  REQUIRE(columns == 2);
  const char* name = nullptr;
  int numeric = -1;
  REQUIRE_OK(invf_dataset_column_name(dataset, 0, &name, &numeric));
  REQUIRE(std::string(name) == "price");
  REQUIRE(numeric == 1);
  REQUIRE_OK(invf_dataset_column_name(dataset, 1, &name, &numeric));
  REQUIRE(std::string(name) == "event");
  REQUIRE(numeric == 0);
  REQUIRE_FAILS(invf_dataset_column_name(dataset, 2, &name, &numeric), INVF_ERR_INVALID_ARGUMENT,
                "column index 2");
  const double infinite[] = {1, std::numeric_limits<double>::infinity(), 1};
  REQUIRE_FAILS(invf_dataset_add_numeric(dataset, "x", "price", pointers(dates).data(), infinite, 3),
                INVF_ERR_DATA, "values[1]");
  invf_dataset_release(dataset);
}

TEST_CASE("a dataset loaded from CSV matches the fixture", "[capi]") {
  invf_dataset* dataset = load_small();
  size_t count = 0;
  REQUIRE_OK(invf_dataset_series_count(dataset, &count));
  REQUIRE(count == 3);
  REQUIRE(start_of(dataset, 0) == "2024-01-01");
  const std::vector<double> a = values_of(dataset, 0);
  REQUIRE(a.size() == 21);
  for (size_t d = 0; d < a.size(); ++d) REQUIRE(a[d] == double(d % 7 + 1));
  REQUIRE(start_of(dataset, 1) == "2024-01-08");
  const std::vector<double> b = values_of(dataset, 1);
  REQUIRE(b.size() == 14);
  REQUIRE(b[2] == 0);  // 2024-01-10 was absent
  REQUIRE(b[3] == 3);
  REQUIRE(stat(dataset, 1, "gap_days") == 1);
  // C sells 2 on every fourth day from its third: ADI 4, CV2 0, intermittent.
  REQUIRE(stat(dataset, 2, "launch_offset") == 2);
  REQUIRE(stat(dataset, 2, "adi") == Approx(4.0));
  REQUIRE(stat(dataset, 2, "cv2") == Approx(0.0).margin(1e-12));  // equal sizes: zero up to rounding
  REQUIRE(stat(dataset, 2, "class") == 2);
  REQUIRE(stat(dataset, 0, "class") == 0);

  double small[20];
  REQUIRE_FAILS(invf_dataset_series_values(dataset, 0, small, 20), INVF_ERR_BUFFER_TOO_SMALL,
                "needs 21");
  REQUIRE_FAILS(invf_dataset_add_series(dataset, "x", nullptr, nullptr, 0),
                INVF_ERR_INVALID_ARGUMENT, "loaded from a file");
  invf_dataset_release(dataset);
}

TEST_CASE("CSV errors carry the file's name", "[capi]") {
  invf_dataset* dataset = nullptr;
  REQUIRE_FAILS(invf_dataset_load_csv("/no/such/file.csv", nullptr, &dataset), INVF_ERR_IO,
                "/no/such/file.csv");
  REQUIRE(dataset == nullptr);
}

namespace {

// Everything a reader sees of a dataset, for comparing two of them.
struct Snapshot {
  std::vector<std::string> ids, starts, columns;
  std::vector<std::vector<double>> values;
  std::vector<double> stats;
  bool operator==(const Snapshot&) const = default;
};

Snapshot snapshot(const invf_dataset* dataset) {
  Snapshot shot;
  size_t count = 0;
  REQUIRE_OK(invf_dataset_series_count(dataset, &count));
  for (size_t s = 0; s < count; ++s) {
    const char* id = nullptr;
    REQUIRE_OK(invf_dataset_series_id(dataset, s, &id));
    shot.ids.emplace_back(id);
    shot.starts.push_back(start_of(dataset, s));
    shot.values.push_back(values_of(dataset, s));
    for (const char* name : {"observed_days", "gap_days", "launch_offset", "total", "clipped"})
      shot.stats.push_back(stat(dataset, s, name));
  }
  REQUIRE_OK(invf_dataset_column_count(dataset, &count));
  for (size_t c = 0; c < count; ++c) {
    const char* name = nullptr;
    int numeric = 0;
    REQUIRE_OK(invf_dataset_column_name(dataset, c, &name, &numeric));
    shot.columns.push_back(std::string(name) + (numeric ? ":numeric" : ":categorical"));
  }
  return shot;
}

constexpr int64_t kJanuary1 = 19723;  // 2024-01-01 in days since 1970-01-01

}  // namespace

TEST_CASE("invf_dataset_add_columns gives the dataset the row-wise calls give", "[capi]") {
  // "b" comes in two runs with 2024-01-04 absent (a gap to fill); "a" once.
  const char* ids[] = {"b", "a", "b"};
  const int64_t starts[] = {kJanuary1 + 1, kJanuary1, kJanuary1 + 4};
  const int64_t lengths[] = {2, 3, 2};
  const std::vector<double> values = {1, 2, 0, 3, 4, 5, 6};
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const std::vector<double> price = {1.5, nan, 2, 2, 2.5, 3, 3};
  const std::vector<const char*> event = {"", "promo", nullptr, "x", "", "promo", ""};
  const char* numeric_names[] = {"price"};
  const double* numeric_values[] = {price.data()};
  const char* categorical_names[] = {"event"};
  const char* const* categorical_values[] = {event.data()};
  invf_dataset* columnar = nullptr;
  REQUIRE_OK(invf_dataset_create(nullptr, &columnar));
  REQUIRE_OK(invf_dataset_add_columns(columnar, 3, ids, starts, lengths, values.data(),
                                      values.size(), 1, numeric_names, numeric_values, 1,
                                      categorical_names, categorical_values));

  invf_dataset* rows = nullptr;
  REQUIRE_OK(invf_dataset_create(nullptr, &rows));
  size_t first = 0;
  for (size_t s = 0; s < 3; ++s) {
    const auto dates = january_days(static_cast<int>(starts[s] - kJanuary1) + 1,
                                    static_cast<int>(lengths[s]));
    const auto n = static_cast<size_t>(lengths[s]);
    REQUIRE_OK(invf_dataset_add_series(rows, ids[s], pointers(dates).data(), &values[first], n));
    REQUIRE_OK(invf_dataset_add_numeric(rows, ids[s], "price", pointers(dates).data(),
                                        &price[first], n));
    REQUIRE_OK(invf_dataset_add_categorical(rows, ids[s], "event", pointers(dates).data(),
                                            &event[first], n));
    first += n;
  }
  const Snapshot expected = snapshot(rows);
  CHECK(expected.ids == std::vector<std::string>{"a", "b"});
  CHECK(expected.values[1] == std::vector<double>{1, 2, 0, 5, 6});  // 01-04 filled with 0
  CHECK(snapshot(columnar) == expected);
  invf_dataset_release(rows);
  invf_dataset_release(columnar);
}

TEST_CASE("invf_dataset_add_columns refuses bad input and then adds nothing", "[capi]") {
  invf_dataset* dataset = nullptr;
  REQUIRE_OK(invf_dataset_create(nullptr, &dataset));
  const char* ids[] = {"a", "b"};
  const int64_t starts[] = {kJanuary1, kJanuary1};
  const int64_t lengths[] = {2, 1};
  const double values[] = {1, 2, 3};
  REQUIRE_OK(invf_dataset_add_columns(dataset, 1, ids, starts, lengths, values, 2, 0, nullptr,
                                      nullptr, 0, nullptr, nullptr));
  const Snapshot before = snapshot(dataset);
  auto add = [&](const int64_t* l, const double* v, size_t value_count) {
    return invf_dataset_add_columns(dataset, 2, ids, starts, l, v, value_count, 0, nullptr,
                                    nullptr, 0, nullptr, nullptr);
  };
  const double with_nan[] = {1, std::nan(""), 3};
  REQUIRE_FAILS(add(lengths, with_nan, 3), INVF_ERR_DATA, "series 'a': values[1] is nan");
  const double negative[] = {1, 2, -3};
  REQUIRE_FAILS(add(lengths, negative, 3), INVF_ERR_DATA, "series 'b': values[2] is negative");
  REQUIRE_FAILS(add(lengths, values, 2), INVF_ERR_INVALID_ARGUMENT, "more than the 2 values");
  const double four[] = {1, 2, 3, 4};
  REQUIRE_FAILS(add(lengths, four, 4), INVF_ERR_INVALID_ARGUMENT,
                "lengths add up to 3 but 4 values");
  const int64_t negative_length[] = {2, -1};
  REQUIRE_FAILS(add(negative_length, values, 3), INVF_ERR_INVALID_ARGUMENT,
                "lengths[1] is negative");
  // Lengths whose sum overflows 64 bits are measured against the values given.
  const int64_t huge[] = {std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::max()};
  REQUIRE_FAILS(add(huge, values, 3), INVF_ERR_INVALID_ARGUMENT, "more than the 3 values");
  REQUIRE_FAILS(add(lengths, nullptr, 3), INVF_ERR_NULL_POINTER, "'values'");
  REQUIRE_FAILS(add(lengths, values, std::numeric_limits<size_t>::max()), INVF_ERR_INVALID_ARGUMENT,
                "too large");
  const int64_t far[] = {kJanuary1, 2932897};  // 9999-12-31 + 1: past the calendar
  REQUIRE_FAILS(invf_dataset_add_columns(dataset, 2, ids, far, lengths, values, 3, 0, nullptr,
                                         nullptr, 0, nullptr, nullptr),
                INVF_ERR_INVALID_ARGUMENT, "start_days[1]");
  const char* empty_id[] = {"a", ""};
  REQUIRE_FAILS(invf_dataset_add_columns(dataset, 2, empty_id, starts, lengths, values, 3, 0,
                                         nullptr, nullptr, 0, nullptr, nullptr),
                INVF_ERR_INVALID_ARGUMENT, "series_ids[1] is empty");
  const char* twice[] = {"price", "price"};
  const double* cells[] = {values, values};
  REQUIRE_FAILS(invf_dataset_add_columns(dataset, 2, ids, starts, lengths, values, 3, 2, twice,
                                         cells, 0, nullptr, nullptr),
                INVF_ERR_INVALID_ARGUMENT, "'price' is given twice");
  const double infinite[] = {1, INFINITY, 3};
  const double* infinite_cells[] = {infinite};
  REQUIRE_FAILS(invf_dataset_add_columns(dataset, 2, ids, starts, lengths, values, 3, 1, twice,
                                         infinite_cells, 0, nullptr, nullptr),
                INVF_ERR_DATA, "values[1] is infinite");
  const double* no_cells[] = {nullptr};
  REQUIRE_FAILS(invf_dataset_add_columns(dataset, 2, ids, starts, lengths, values, 3, 1, twice,
                                         no_cells, 0, nullptr, nullptr),
                INVF_ERR_NULL_POINTER, "numeric column 'price'");
  CHECK(snapshot(dataset) == before);

  // A day given twice is refused when the dataset is read, as for rows.
  REQUIRE_OK(add(lengths, values, 3));
  size_t count = 0;
  REQUIRE_FAILS(invf_dataset_series_count(dataset, &count), INVF_ERR_DATA, "");
  invf_dataset_release(dataset);

  invf_dataset* loaded = nullptr;
  REQUIRE_OK(invf_dataset_load_csv((std::string(INVF_TEST_FIXTURES) + "/capi_small.csv").c_str(),
                                   nullptr, &loaded));
  REQUIRE_FAILS(invf_dataset_add_columns(loaded, 2, ids, starts, lengths, values, 3, 0, nullptr,
                                         nullptr, 0, nullptr, nullptr),
                INVF_ERR_INVALID_ARGUMENT, "loaded from a file");
  invf_dataset_release(loaded);
}

namespace {

size_t future_days_of(const invf_dataset* dataset, size_t series) {
  size_t days = 0;
  REQUIRE_OK(invf_dataset_series_future_days(dataset, series, &days));
  return days;
}

size_t index_of(const invf_dataset* dataset, const std::string& id) {
  size_t count = 0;
  REQUIRE_OK(invf_dataset_series_count(dataset, &count));
  for (size_t s = 0; s < count; ++s) {
    const char* name = nullptr;
    REQUIRE_OK(invf_dataset_series_id(dataset, s, &name));
    if (id == name) return s;
  }
  FAIL("no series " << id);
  return 0;
}

invf_options* options_with(std::initializer_list<std::pair<const char*, const char*>> pairs) {
  invf_options* options = nullptr;
  REQUIRE_OK(invf_options_create(&options));
  for (const auto& [key, value] : pairs) REQUIRE_OK(invf_options_set(options, key, value));
  return options;
}

}  // namespace

TEST_CASE("a future file read into a dataset: new products, horizons, errors", "[capi][future]") {
  invf_dataset* dataset = nullptr;
  REQUIRE_OK(invf_dataset_load_csv(fixture("future/m5_history.csv").c_str(), nullptr, &dataset));
  const char* first_id = nullptr;
  REQUIRE_OK(invf_dataset_series_id(dataset, 0, &first_id));
  const Snapshot history = snapshot(dataset);
  REQUIRE_FAILS(invf_dataset_read_future_csv(dataset, fixture("future/none.csv").c_str(), nullptr),
                INVF_ERR_IO, "none.csv");
  REQUIRE_FAILS(invf_dataset_read_future_csv(dataset, fixture("future/m5_history.csv").c_str(),
                                             nullptr),
                INVF_ERR_PARSE, "column 'value' has no place in a future file");
  invf_options* forecast_key = options_with({{"season_length", "7"}});
  REQUIRE_FAILS(invf_dataset_read_future_csv(dataset, fixture("future/m5_future.csv").c_str(),
                                             forecast_key),
                INVF_ERR_INVALID_ARGUMENT, "invf_dataset_read_future_csv");
  invf_options_release(forecast_key);
  CHECK(snapshot(dataset) == history);  // failed reads change nothing

  const std::string m5_future = fixture("future/m5_future.csv");
  REQUIRE_OK(invf_dataset_read_future_csv(dataset, m5_future.c_str(), nullptr));
  CHECK(std::string(first_id) == "FOODS_1_033_CA_1");  // strings read before stay valid
  size_t count = 0;
  REQUIRE_OK(invf_dataset_series_count(dataset, &count));
  REQUIRE(count == 4);
  const size_t product = index_of(dataset, "FOODS_1_033_TX_1");
  size_t length = 1;
  REQUIRE_OK(invf_dataset_series_length(dataset, product, &length));
  CHECK(length == 0);
  CHECK(start_of(dataset, product) == "2016-03-28");
  for (size_t s = 0; s < count; ++s) CHECK(future_days_of(dataset, s) == 7);
  REQUIRE_FAILS(invf_dataset_read_future_csv(dataset, m5_future.c_str(), nullptr),
                INVF_ERR_INVALID_ARGUMENT, "already holds a future file");

  invf_forecaster* naive = nullptr;
  REQUIRE_OK(invf_forecaster_create("naive", nullptr, &naive));
  invf_forecast* forecast = nullptr;
  REQUIRE_FAILS(invf_forecaster_forecast(naive, dataset, 8, &forecast), INVF_ERR_DATA,
                "needs them to 2016-04-04");
  REQUIRE_OK(invf_forecaster_forecast(naive, dataset, 7, &forecast));
  std::vector<double> mean(7, -1.0);
  REQUIRE_OK(invf_forecast_mean(forecast, product, mean.data(), mean.size()));
  // Cold start: the history's FOODS_1_033_CA_1 shares the most statics (dept, category), and
  // the new product is forecast from its sales.
  std::vector<double> analogue(7, -1.0);
  REQUIRE_OK(invf_forecast_mean(forecast, index_of(dataset, "FOODS_1_033_CA_1"), analogue.data(),
                                analogue.size()));
  CHECK(mean == analogue);
  CHECK(mean[0] > 0.0);
  char date[INVF_DATE_BUFFER];
  REQUIRE_OK(invf_forecast_start_date(forecast, product, date));
  CHECK(std::string(date) == "2016-03-28");
  size_t warnings = 0;
  REQUIRE_OK(invf_forecast_warning_count(forecast, &warnings));
  bool warned = false;
  for (size_t w = 0; w < warnings; ++w) {
    const char* text = nullptr;
    REQUIRE_OK(invf_forecast_warning(forecast, w, &text));
    warned = warned ||
             std::string(text).find("'FOODS_1_033_TX_1' is a new product (no history)") !=
                 std::string::npos;
  }
  CHECK(warned);
  invf_forecast_release(forecast);
  invf_forecaster_release(naive);
  invf_dataset_release(dataset);
}

TEST_CASE("a static file through the C ABI; backtests and simulations pass new products",
          "[capi][future]") {
  invf_options* past_only = options_with({{"past_only", "shelf_price"}});
  invf_dataset* dataset = nullptr;
  REQUIRE_OK(invf_dataset_load_csv(fixture("future/cj_history.csv").c_str(), past_only, &dataset));
  REQUIRE_OK(
      invf_dataset_read_static_csv(dataset, fixture("future/cj_static.csv").c_str(), nullptr));
  size_t count = 0;
  REQUIRE_OK(invf_dataset_series_count(dataset, &count));
  REQUIRE(count == 3);
  const size_t product = index_of(dataset, "1106523");
  CHECK(start_of(dataset, product) == "2017-12-04");
  CHECK(values_of(dataset, product).empty());
  size_t columns = 0;
  REQUIRE_OK(invf_dataset_column_count(dataset, &columns));
  CHECK(columns == 5 + 6);  // the history's five covariates and the six attributes
  REQUIRE_FAILS(invf_dataset_read_static_csv(dataset, fixture("future/cj_history.csv").c_str(),
                                             nullptr),
                INVF_ERR_PARSE, "column 'date' has no place in a static file");

  const char* methods[] = {"naive"};
  invf_backtest* backtest = nullptr;
  REQUIRE_OK(invf_backtest_run(dataset, methods, 1, 7, 1, nullptr, &backtest));
  invf_backtest_release(backtest);
  invf_options* simulation_options = options_with({{"lead_time", "1"}});
  invf_simulation* simulation = nullptr;
  REQUIRE_OK(invf_simulate(dataset, methods, 1, 7, simulation_options, &simulation));
  size_t needed = 0;
  REQUIRE_OK(invf_simulation_to_json(simulation, nullptr, 0, &needed));
  std::string json(needed, '\0');
  REQUIRE_OK(invf_simulation_to_json(simulation, json.data(), needed, nullptr));
  CHECK_THAT(json, Catch::Contains("series '1106523' skipped"));
  invf_simulation_release(simulation);
  invf_options_release(simulation_options);

  // Then the future file: the new product's promotions are there too.
  REQUIRE_OK(
      invf_dataset_read_future_csv(dataset, fixture("future/cj_future.csv").c_str(), past_only));
  CHECK(future_days_of(dataset, product) == 7);
  invf_options_release(past_only);
  invf_dataset_release(dataset);
}

TEST_CASE("invf_dataset_add_future_columns extends a dataset from arrays", "[capi][future]") {
  invf_dataset* dataset = january_dataset("s", {1, 2, 3, 4});
  const auto dates = january_days(1, 4);
  const double prices[] = {2, 2, 3, 3};
  REQUIRE_OK(invf_dataset_add_numeric(dataset, "s", "price", pointers(dates).data(), prices, 4));
  const char* ids[] = {"s", "new"};
  const int64_t starts[] = {kJanuary1 + 4, kJanuary1 + 4};
  const int64_t lengths[] = {2, 2};
  const char* names[] = {"price"};
  const double future_prices[] = {4, 4, 9, 9};
  const double* cells[] = {future_prices};
  const char* unknown[] = {"colour"};
  REQUIRE_FAILS(invf_dataset_add_future_columns(dataset, 2, ids, starts, lengths, 4, 1, unknown,
                                                cells, 0, nullptr, nullptr, nullptr),
                INVF_ERR_DATA, "column 'colour' is not a column of the history");
  REQUIRE_FAILS(invf_dataset_add_future_columns(dataset, 2, nullptr, starts, lengths, 4, 1, names,
                                                cells, 0, nullptr, nullptr, nullptr),
                INVF_ERR_NULL_POINTER, "series_ids");
  const int64_t early[] = {kJanuary1 + 3, kJanuary1 + 4};
  REQUIRE_FAILS(invf_dataset_add_future_columns(dataset, 2, ids, early, lengths, 4, 1, names,
                                                cells, 0, nullptr, nullptr, nullptr),
                INVF_ERR_DATA, "date 2024-01-04 does not follow its history");
  const double missing[] = {4, NAN, 9, 9};
  const double* holes[] = {missing};
  REQUIRE_FAILS(invf_dataset_add_future_columns(dataset, 2, ids, starts, lengths, 4, 1, names,
                                                holes, 0, nullptr, nullptr, nullptr),
                INVF_ERR_DATA, "missing value for series 's' on 2024-01-06");
  invf_options* fill = options_with({{"fill_future", "last"}});
  REQUIRE_OK(invf_dataset_add_future_columns(dataset, 2, ids, starts, lengths, 4, 1, names, holes,
                                             0, nullptr, nullptr, fill));
  invf_options_release(fill);
  size_t count = 0;
  REQUIRE_OK(invf_dataset_series_count(dataset, &count));
  REQUIRE(count == 2);
  CHECK(future_days_of(dataset, index_of(dataset, "s")) == 2);
  CHECK(start_of(dataset, index_of(dataset, "new")) == "2024-01-05");
  size_t warnings = 0;
  REQUIRE_OK(invf_dataset_warning_count(dataset, &warnings));
  REQUIRE(warnings >= 1);
  const char* warning = nullptr;
  REQUIRE_OK(invf_dataset_warning(dataset, warnings - 1, &warning));
  CHECK_THAT(std::string(warning), Catch::Contains("filled 1 missing future cell(s)"));
  // The history is complete once covariates after it are read.
  const double more[] = {5};
  const char* day5[] = {"2024-01-05"};
  REQUIRE_FAILS(invf_dataset_add_series(dataset, "s", day5, more, 1), INVF_ERR_INVALID_ARGUMENT,
                "add every row of its history before reading them");
  invf_dataset_release(dataset);
}
