// Replenishment through the C ABI: forecast CSVs read back, inventory state
// files and arrays, decisions on hand-computed cases, and every error path.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "capi_support.hpp"
#include "invforecast.hpp"

namespace {

std::string inventory_fixture(const char* name) {
  return fixture((std::string("inventory/") + name).c_str());
}

// A file in the temporary directory holding `text`, removed at scope exit.
class TempFile {
 public:
  TempFile(const std::string& name, const std::string& text)
      : path_((std::filesystem::temp_directory_path() /
               ("invf_capi_replenish_" + std::to_string(::getpid()) + "_" + name))
                  .string()) {
    std::ofstream(path_) << text;
  }
  ~TempFile() { std::filesystem::remove(path_); }
  const char* path() const { return path_.c_str(); }

 private:
  std::string path_;
};

invf_forecast* load_forecast(const std::string& path) {
  invf_forecast* forecast = nullptr;
  REQUIRE_OK(invf_forecast_load_csv(path.c_str(), &forecast));
  return forecast;
}

invf_inventory* load_inventory(const std::string& path) {
  invf_inventory* inventory = nullptr;
  REQUIRE_OK(invf_inventory_load_csv(path.c_str(), &inventory));
  return inventory;
}

double value(const invf_replenishment* r, size_t sku, const char* key) {
  double out = NAN;
  REQUIRE_OK(invf_replenishment_value(r, sku, key, &out));
  return out;
}

const char* kHeader = "series_id,date,mean,q0.1,q0.5,q0.9\n";

// Expects invf_forecast_load_csv of `text` to fail with `code` and `fragment`.
void expect_forecast_csv_error(const std::string& text, invf_code code, const std::string& fragment) {
  const TempFile file("bad_forecast.csv", text);
  invf_forecast* forecast = nullptr;
  REQUIRE_FAILS(invf_forecast_load_csv(file.path(), &forecast), code, fragment);
  REQUIRE(forecast == nullptr);
}

void expect_inventory_csv_error(const std::string& text, invf_code code, const std::string& fragment) {
  const TempFile file("bad_state.csv", text);
  invf_inventory* inventory = nullptr;
  REQUIRE_FAILS(invf_inventory_load_csv(file.path(), &inventory), code, fragment);
  REQUIRE(inventory == nullptr);
}

}  // namespace

TEST_CASE("a written forecast CSV reads back to the same numbers", "[capi][replenish]") {
  invf_dataset* dataset = load_small();
  invf_forecaster* forecaster = nullptr;
  REQUIRE_OK(invf_forecaster_create("ets", nullptr, &forecaster));
  invf_forecast* original = nullptr;
  REQUIRE_OK(invf_forecaster_forecast(forecaster, dataset, 9, &original));
  const TempFile file("round_trip.csv", "");
  REQUIRE_OK(invf_forecast_write_csv(original, file.path()));
  invf_forecast* loaded = load_forecast(file.path());

  size_t count = 0, horizon = 0, levels = 0;
  REQUIRE_OK(invf_forecast_series_count(loaded, &count));
  REQUIRE_OK(invf_forecast_horizon(loaded, &horizon));
  REQUIRE_OK(invf_forecast_quantile_count(loaded, &levels));
  CHECK(count == 3);
  CHECK(horizon == 9);
  REQUIRE(levels == 9);
  std::vector<double> level_values(levels);
  REQUIRE_OK(invf_forecast_quantile_levels(loaded, level_values.data(), levels));
  CHECK(level_values.front() == 0.1);
  CHECK(level_values.back() == 0.9);
  for (size_t s = 0; s < count; ++s) {
    const char* id_a = nullptr;
    const char* id_b = nullptr;
    REQUIRE_OK(invf_forecast_series_id(original, s, &id_a));
    REQUIRE_OK(invf_forecast_series_id(loaded, s, &id_b));
    CHECK(std::string(id_a) == id_b);
    char start_a[INVF_DATE_BUFFER], start_b[INVF_DATE_BUFFER];
    REQUIRE_OK(invf_forecast_start_date(original, s, start_a));
    REQUIRE_OK(invf_forecast_start_date(loaded, s, start_b));
    CHECK(std::string(start_a) == start_b);
    std::vector<double> mean_a(horizon), mean_b(horizon), q_a(horizon * levels), q_b(horizon * levels);
    REQUIRE_OK(invf_forecast_mean(original, s, mean_a.data(), horizon));
    REQUIRE_OK(invf_forecast_mean(loaded, s, mean_b.data(), horizon));
    REQUIRE_OK(invf_forecast_quantiles(original, s, q_a.data(), q_a.size()));
    REQUIRE_OK(invf_forecast_quantiles(loaded, s, q_b.data(), q_b.size()));
    // Shortest round-trip formatting: bit-identical.
    CHECK(mean_a == mean_b);
    CHECK(q_a == q_b);
    const char* method = nullptr;
    const char* interval = nullptr;
    REQUIRE_OK(invf_forecast_method(loaded, s, &method, &interval));
    CHECK(std::string(method) == "csv");
  }
  invf_forecast_release(loaded);
  invf_forecast_release(original);
  invf_forecaster_release(forecaster);
  invf_dataset_release(dataset);
}

TEST_CASE("deterministic demand: reorder point is the lead-time sum, orders round to packs",
          "[capi][replenish]") {
  invf_forecast* forecast = load_forecast(inventory_fixture("forecast_small.csv"));
  invf_inventory* inventory = load_inventory(inventory_fixture("state_small.csv"));
  size_t skus = 0;
  REQUIRE_OK(invf_inventory_sku_count(inventory, &skus));
  REQUIRE(skus == 2);
  invf_options* options = nullptr;
  REQUIRE_OK(invf_options_create(&options));
  REQUIRE_OK(invf_options_set(options, "service_level", "0.95"));
  REQUIRE_OK(invf_options_set(options, "samples", "2000"));
  invf_replenishment* r = nullptr;
  REQUIRE_OK(invf_replenish(forecast, inventory, options, &r));
  REQUIRE_OK(invf_replenishment_sku_count(r, &skus));
  REQUIRE(skus == 2);
  const char* id = nullptr;
  REQUIRE_OK(invf_replenishment_sku_id(r, 0, &id));
  REQUIRE(std::string(id) == "X");

  // X sells exactly d units on day d.  Lead time 3, review 2: D_L = 1+2+3,
  // D_P = 1+..+5.  Position = 4 on hand + 2 on order; 15 - 6 = 9 rounds up
  // to 3 packs of 4 (12, above the MOQ of 8).
  CHECK(value(r, 0, "reorder_point") == 6.0);
  CHECK(value(r, 0, "safety_stock") == 0.0);
  CHECK(value(r, 0, "order_up_to") == 15.0);
  CHECK(value(r, 0, "demand_mean") == 15.0);
  CHECK(value(r, 0, "demand_sd") == 0.0);
  CHECK(value(r, 0, "inventory_position") == 6.0);
  CHECK(value(r, 0, "unrounded_order") == 9.0);
  CHECK(value(r, 0, "order_quantity") == 12.0);
  CHECK(value(r, 0, "expected_fill_rate") == 1.0);
  CHECK(value(r, 0, "stockout_probability") == 0.0);
  CHECK(value(r, 0, "days_of_cover") == Approx(4.0 / 3.0).epsilon(1e-12));  // one division
  CHECK(value(r, 0, "protection_days") == 5.0);

  // Y: uncertain lead time, so the order-up-to level carries safety stock
  // and the decision meets the target; capacity 100 is not reached.
  CHECK(value(r, 1, "lead_time_sd") > 0.0);
  CHECK(value(r, 1, "order_up_to") > value(r, 1, "demand_mean"));
  CHECK(value(r, 1, "stockout_probability") <= 0.05 + 1e-12);
  // Nothing on hand or on order: the order-up-to level, rounded up to a whole unit.
  CHECK(value(r, 1, "order_quantity") == std::ceil(value(r, 1, "order_up_to")));
  const char* method = nullptr;
  REQUIRE_OK(invf_replenishment_method(r, 1, &method));
  CHECK(std::string(method).find("independent") != std::string::npos);

  double unused = 0.0;
  REQUIRE_FAILS(invf_replenishment_value(r, 0, "profit", &unused), INVF_ERR_INVALID_ARGUMENT,
                "unknown replenishment value 'profit'");
  REQUIRE_FAILS(invf_replenishment_value(r, 2, "order_quantity", &unused), INVF_ERR_INVALID_ARGUMENT,
                "SKU index 2 is out of range");

  // The CSV holds the same numbers.
  const TempFile out("orders.csv", "");
  REQUIRE_OK(invf_replenishment_write_csv(r, out.path()));
  std::ifstream file(out.path());
  std::string header, row_x;
  std::getline(file, header);
  std::getline(file, row_x);
  CHECK(header ==
        "sku,on_hand,demand_mean,demand_sd,safety_stock,reorder_point,order_up_to,order_quantity,"
        "expected_fill_rate,stockout_probability,days_of_cover");
  CHECK(row_x.rfind("X,4,15,0,0,6,15,12,1,0,1.333", 0) == 0);

  invf_replenishment_release(r);
  invf_options_release(options);
  invf_inventory_release(inventory);
  invf_forecast_release(forecast);
}

TEST_CASE("inventories built from arrays: MOQ, packs and capacity", "[capi][replenish]") {
  invf_forecast* forecast = load_forecast(inventory_fixture("forecast_small.csv"));
  invf_inventory* inventory = nullptr;
  REQUIRE_OK(invf_inventory_create(&inventory));
  const char* keys[] = {"on_hand", "lead_time_mean", "review_period", "moq", "pack_size", "max_stock"};
  // Lead time 2, review 1: needs 1+2+3 - 1 = 5 units, one pack; the MOQ of
  // 20 (4 packs of 5) applies.
  const double moq_case[] = {1, 2, 1, 20, 5, 1000};
  REQUIRE_OK(invf_inventory_add_sku(inventory, "X", keys, moq_case, 6));
  REQUIRE_FAILS(invf_inventory_add_sku(inventory, "X", keys, moq_case, 6), INVF_ERR_DATA,
                "SKU 'X' is given twice");
  REQUIRE_FAILS(invf_inventory_add_sku(inventory, "Z", keys, moq_case, 1), INVF_ERR_INVALID_ARGUMENT,
                "required field 'lead_time_mean' is missing");
  const char* typo[] = {"on_hand", "lead_time"};
  REQUIRE_FAILS(invf_inventory_add_sku(inventory, "Z", typo, moq_case, 2), INVF_ERR_INVALID_ARGUMENT,
                "unknown field 'lead_time'");
  size_t count = 0;
  REQUIRE_OK(invf_inventory_sku_count(inventory, &count));
  REQUIRE(count == 1);

  invf_replenishment* r = nullptr;
  REQUIRE_OK(invf_replenish(forecast, inventory, nullptr, &r));
  CHECK(value(r, 0, "unrounded_order") == 5.0);
  CHECK(value(r, 0, "order_quantity") == 20.0);
  CHECK(value(r, 0, "capped_by_max_stock") == 0.0);
  invf_replenishment_release(r);
  invf_inventory_release(inventory);

  // Lead time 3, review 2: needs 15 - 1 = 14, 3 packs of 5; capacity 12
  // leaves room for 11 units, so 2 packs.
  REQUIRE_OK(invf_inventory_create(&inventory));
  const double capped[] = {1, 3, 2, 0, 5, 12};
  REQUIRE_OK(invf_inventory_add_sku(inventory, "X", keys, capped, 6));
  REQUIRE_OK(invf_replenish(forecast, inventory, nullptr, &r));
  CHECK(value(r, 0, "order_quantity") == 10.0);
  CHECK(value(r, 0, "capped_by_max_stock") == 1.0);
  invf_replenishment_release(r);
  invf_inventory_release(inventory);
  invf_forecast_release(forecast);
}

TEST_CASE("replenishment errors: NULLs, missing SKUs, short forecasts, bad targets and fields",
          "[capi][replenish]") {
  invf_forecast* forecast = load_forecast(inventory_fixture("forecast_small.csv"));
  invf_inventory* inventory = load_inventory(inventory_fixture("state_small.csv"));
  invf_replenishment* r = nullptr;
  REQUIRE_FAILS(invf_replenish(nullptr, inventory, nullptr, &r), INVF_ERR_NULL_POINTER, "'forecast'");
  REQUIRE_FAILS(invf_replenish(forecast, nullptr, nullptr, &r), INVF_ERR_NULL_POINTER, "'inventory'");
  REQUIRE_FAILS(invf_replenish(forecast, inventory, nullptr, nullptr), INVF_ERR_NULL_POINTER, "'out'");
  REQUIRE_FAILS(invf_forecast_load_csv(nullptr, &forecast), INVF_ERR_NULL_POINTER, "'path'");
  REQUIRE_FAILS(invf_inventory_load_csv("/nonexistent/state.csv", &inventory), INVF_ERR_IO,
                "/nonexistent/state.csv");
  REQUIRE_FAILS(invf_replenishment_write_csv(nullptr, "x.csv"), INVF_ERR_NULL_POINTER,
                "'replenishment'");

  invf_options* options = nullptr;
  REQUIRE_OK(invf_options_create(&options));
  REQUIRE_FAILS(invf_options_set(options, "service_level", "1.2"), INVF_ERR_INVALID_ARGUMENT,
                "must be in (0, 1)");
  REQUIRE_FAILS(invf_options_set(options, "fill_rate", "0"), INVF_ERR_INVALID_ARGUMENT,
                "must be in (0, 1)");
  REQUIRE_FAILS(invf_options_set(options, "regime", "lost"), INVF_ERR_INVALID_ARGUMENT,
                "lost_sales, backorder");
  REQUIRE_FAILS(invf_options_set(options, "dependence", "copula"), INVF_ERR_INVALID_ARGUMENT,
                "gaussian_copula");
  REQUIRE_FAILS(invf_options_set(options, "samples", "0"), INVF_ERR_INVALID_ARGUMENT, "samples");
  invf_options_release(options);

  // A SKU the forecast lacks: named.
  invf_inventory* extra = nullptr;
  REQUIRE_OK(invf_inventory_create(&extra));
  const char* keys[] = {"on_hand", "lead_time_mean"};
  const double fields[] = {1, 2};
  REQUIRE_OK(invf_inventory_add_sku(extra, "X", keys, fields, 2));
  REQUIRE_OK(invf_inventory_add_sku(extra, "W9", keys, fields, 2));
  REQUIRE_FAILS(invf_replenish(forecast, extra, nullptr, &r), INVF_ERR_DATA,
                "1 SKU(s) of the inventory have no forecast series: 'W9'");
  invf_inventory_release(extra);

  // Lead time 9 + review 2 needs 11 days of a 10-day forecast.
  REQUIRE_OK(invf_inventory_create(&extra));
  const char* long_keys[] = {"on_hand", "lead_time_mean", "review_period"};
  const double long_lead[] = {0, 9, 2};
  REQUIRE_OK(invf_inventory_add_sku(extra, "Y", long_keys, long_lead, 3));
  REQUIRE_FAILS(invf_replenish(forecast, extra, nullptr, &r), INVF_ERR_DATA,
                "forecast covers 10 days but the protection interval needs 11");
  invf_inventory_release(extra);

  // Engine checks, named by SKU and field.
  REQUIRE_OK(invf_inventory_create(&extra));
  const double negative[] = {-1, 2};
  REQUIRE_OK(invf_inventory_add_sku(extra, "X", keys, negative, 2));
  REQUIRE_FAILS(invf_replenish(forecast, extra, nullptr, &r), INVF_ERR_INVALID_ARGUMENT,
                "SKU 'X': on_hand");
  invf_inventory_release(extra);
  REQUIRE_OK(invf_inventory_create(&extra));
  const char* moq_keys[] = {"on_hand", "lead_time_mean", "moq", "pack_size"};
  const double bad_moq[] = {0, 2, 7, 5};
  REQUIRE_OK(invf_inventory_add_sku(extra, "X", moq_keys, bad_moq, 4));
  REQUIRE_FAILS(invf_replenish(forecast, extra, nullptr, &r), INVF_ERR_INVALID_ARGUMENT,
                "moq 7 is not a multiple of pack_size 5");
  invf_inventory_release(extra);
  REQUIRE(r == nullptr);

  invf_inventory_release(inventory);
  invf_forecast_release(forecast);
}

TEST_CASE("bad forecast CSVs are refused with the line", "[capi][replenish]") {
  expect_forecast_csv_error("series_id,date,value\nA,2024-01-01,1\n", INVF_ERR_PARSE,
                            ":1: expected the header series_id,date,mean");
  expect_forecast_csv_error("series_id,date,mean,q0.5,q0.1\n", INVF_ERR_PARSE,
                            "not strictly ascending at 'q0.1'");
  expect_forecast_csv_error("series_id,date,mean,p50\n", INVF_ERR_PARSE, "column 'p50'");
  expect_forecast_csv_error(std::string(kHeader) + "A,2024-01-01,1,1,1,1\nA,2024-01-02,1,x,1,1\n",
                            INVF_ERR_PARSE, ":3: column 'q0.1': 'x' is not a finite number");
  expect_forecast_csv_error(std::string(kHeader) + "A,2024-01-01,1,1,1\n", INVF_ERR_PARSE,
                            ":2: 5 fields, expected 6");
  expect_forecast_csv_error(std::string(kHeader) + "A,2024-01-01,1,1,2,1.5\n", INVF_ERR_DATA,
                            ":2: quantiles cross: q0.9 = 1.5");
  expect_forecast_csv_error(std::string(kHeader) + "A,2024-01-01,1,-1,1,1\n", INVF_ERR_DATA,
                            ":2: column 'q0.1': negative value");
  expect_forecast_csv_error(std::string(kHeader) + "A,2024-01-01,1,1,1,1\nA,2024-01-03,1,1,1,1\n",
                            INVF_ERR_DATA, ":3: series 'A': date 2024-01-03 does not follow 2024-01-01");
  expect_forecast_csv_error(std::string(kHeader) + "A,2024-01-01,1,1,1,1\nA,2024-13-02,1,1,1,1\n",
                            INVF_ERR_PARSE, ":3: column 'date'");
  expect_forecast_csv_error(std::string(kHeader) +
                                "A,2024-01-01,1,1,1,1\nA,2024-01-02,1,1,1,1\nB,2024-01-01,1,1,1,1\n",
                            INVF_ERR_DATA, "series 'B' has 1 days but series 'A' has 2");
  expect_forecast_csv_error(std::string(kHeader) +
                                "A,2024-01-01,1,1,1,1\nB,2024-01-01,1,1,1,1\nA,2024-01-02,1,1,1,1\n",
                            INVF_ERR_DATA, ":4: series 'A' appears again");
  expect_forecast_csv_error(kHeader, INVF_ERR_DATA, "no forecast rows");
  expect_forecast_csv_error("", INVF_ERR_DATA, "empty");
}

TEST_CASE("bad state CSVs are refused with the line", "[capi][replenish]") {
  expect_inventory_csv_error("sku,on_hand,lead_time_mean,leadtime_sd\n", INVF_ERR_PARSE,
                             ":1: unknown column 'leadtime_sd'");
  expect_inventory_csv_error("sku,on_hand\nX,1\n", INVF_ERR_PARSE,
                             ":1: required column 'lead_time_mean' is missing");
  expect_inventory_csv_error("on_hand,lead_time_mean\n1,2\n", INVF_ERR_PARSE, "no 'sku' column");
  expect_inventory_csv_error("sku,on_hand,lead_time_mean\nX,1,2\nY,one,2\n", INVF_ERR_PARSE,
                             ":3: column 'on_hand': 'one' is not a finite number");
  expect_inventory_csv_error("sku,on_hand,lead_time_mean\nX,1,2\nX,3,2\n", INVF_ERR_DATA,
                             ":3: SKU 'X' is given twice");
  expect_inventory_csv_error("sku,on_hand,lead_time_mean\nX,1\n", INVF_ERR_PARSE,
                             ":2: 2 fields, expected 3");
  expect_inventory_csv_error("sku,on_hand,lead_time_mean,review_period\nX,1,2,1.5\n",
                             INVF_ERR_INVALID_ARGUMENT, ":2: SKU 'X': review_period must be a whole number");
  expect_inventory_csv_error("sku,on_hand,lead_time_mean\n", INVF_ERR_DATA, "no SKU rows");

  invf_inventory* inventory = load_inventory(inventory_fixture("state_small.csv"));
  const char* keys[] = {"on_hand", "lead_time_mean"};
  const double fields[] = {1, 2};
  REQUIRE_FAILS(invf_inventory_add_sku(inventory, "Q", keys, fields, 2), INVF_ERR_INVALID_ARGUMENT,
                "accepts no adds");
  invf_inventory_release(inventory);
}

TEST_CASE("the C++ wrapper runs the same decisions and throws the C status", "[capi][replenish]") {
  const invf::Forecast forecast = invf::Forecast::load_csv(inventory_fixture("forecast_small.csv"));
  invf::Inventory inventory;
  inventory.add_sku("X", {{"on_hand", 4}, {"lead_time_mean", 3}, {"review_period", 2},
                          {"on_order", 2}, {"moq", 8}, {"pack_size", 4}});
  REQUIRE(inventory.sku_count() == 1);
  CHECK(inventory.sku_id(0) == "X");
  invf::Options options;
  options.set("service_level", "0.9").set("dependence", "comonotonic");
  const invf::Replenishment orders = invf::Replenishment::run(forecast, inventory, &options);
  CHECK(orders.sku_id(0) == "X");
  CHECK(orders.value(0, "order_quantity") == 12.0);
  CHECK(orders.method(0).find("comonotonic") != std::string::npos);
  try {
    invf::Inventory::load_csv(inventory_fixture("missing.csv"));
    FAIL("no exception");
  } catch (const invf::Error& e) {
    CHECK(e.code() == INVF_ERR_IO);
    CHECK(std::string(e.what()).find("missing.csv") != std::string::npos);
  }
}

TEST_CASE("the policy simulator through the C ABI", "[capi][simulate]") {
  // A sells 1..7 from Monday to Sunday for five weeks: seasonal naive
  // forecasts it exactly (all quantiles equal), so the policy never runs out.
  invf_dataset* dataset = nullptr;
  REQUIRE_OK(invf_dataset_create(nullptr, &dataset));
  std::vector<std::string> dates;
  std::vector<double> sales;
  for (int d = 0; d < 35; ++d) {
    char text[16];
    std::snprintf(text, sizeof text, "2024-%02d-%02d", d < 31 ? 1 : 2, d < 31 ? d + 1 : d - 30);
    dates.emplace_back(text);
    sales.push_back(d % 7 + 1);
  }
  const std::vector<const char*> date_pointers = pointers(dates);
  REQUIRE_OK(invf_dataset_add_series(dataset, "A", date_pointers.data(), sales.data(), sales.size()));
  invf_options* options = nullptr;
  REQUIRE_OK(invf_options_create(&options));
  REQUIRE_OK(invf_options_set(options, "lead_time", "2"));
  REQUIRE_OK(invf_options_set(options, "service_level", "0.9"));
  const char* methods[] = {"snaive", "naive"};
  invf_simulation* simulation = nullptr;
  REQUIRE_OK(invf_simulate(dataset, methods, 2, 7, options, &simulation));
  size_t count = 0;
  REQUIRE_OK(invf_simulation_method_count(simulation, &count));
  REQUIRE(count == 2);
  const char* name = nullptr;
  REQUIRE_OK(invf_simulation_method_name(simulation, 0, &name));
  CHECK(std::string(name) == "snaive");
  auto measure = [&](size_t method, const char* key) {
    double out = NAN;
    REQUIRE_OK(invf_simulation_value(simulation, method, key, &out));
    return out;
  };
  CHECK(measure(0, "series") == 1.0);
  CHECK(measure(0, "demand") == 28.0);  // the last week: 1 + ... + 7
  CHECK(measure(0, "fill_rate") == 1.0);
  CHECK(measure(0, "cycle_service_level") == 1.0);
  CHECK(measure(0, "stockout_days") == 0.0);
  // Start at S, so the first review orders nothing; each later review t
  // replaces what the protection window gained: the demand of day t + 2
  // (days 4..9 of the cycle: 4+5+6+7+1+2).
  CHECK(measure(0, "orders") == 6.0);
  CHECK(measure(0, "ordered_units") == 25.0);
  double unused = 0.0;
  REQUIRE_FAILS(invf_simulation_value(simulation, 0, "profit", &unused), INVF_ERR_INVALID_ARGUMENT,
                "unknown simulation value 'profit'");
  REQUIRE_FAILS(invf_simulation_value(simulation, 2, "fill_rate", &unused), INVF_ERR_INVALID_ARGUMENT,
                "method index 2");

  size_t needed = 0;
  REQUIRE_OK(invf_simulation_to_json(simulation, nullptr, 0, &needed));
  std::string json(needed, '\0');
  REQUIRE_FAILS(invf_simulation_to_json(simulation, json.data(), needed - 1, nullptr),
                INVF_ERR_BUFFER_TOO_SMALL, "the JSON report needs");
  REQUIRE_OK(invf_simulation_to_json(simulation, json.data(), needed, nullptr));
  CHECK(json.find("\"method\":\"snaive\"") != std::string::npos);
  CHECK(json.find("\"cycle_service_level\"") != std::string::npos);
  invf_simulation_release(simulation);

  const char* unknown[] = {"prophet"};
  REQUIRE_FAILS(invf_simulate(dataset, unknown, 1, 7, options, &simulation), INVF_ERR_INVALID_ARGUMENT,
                "prophet");
  REQUIRE_FAILS(invf_simulate(dataset, methods, 2, 0, options, &simulation), INVF_ERR_INVALID_ARGUMENT,
                "test_days 0");
  REQUIRE_FAILS(invf_simulate(dataset, methods, 0, 7, options, &simulation), INVF_ERR_INVALID_ARGUMENT,
                "method_count is 0");
  REQUIRE_FAILS(invf_simulate(nullptr, methods, 2, 7, options, &simulation), INVF_ERR_NULL_POINTER,
                "'dataset'");
  REQUIRE_FAILS(invf_options_set(options, "lead_time", "0"), INVF_ERR_INVALID_ARGUMENT, "lead_time");
  invf_options_release(options);
  invf_dataset_release(dataset);
}

namespace {

// Series "A": `values` on consecutive days from 2024-01-01.
invf_dataset* dataset_of(const std::vector<double>& values) {
  invf_dataset* dataset = nullptr;
  REQUIRE_OK(invf_dataset_create(nullptr, &dataset));
  std::vector<std::string> dates;
  for (size_t d = 0; d < values.size(); ++d) {
    char text[16];
    std::snprintf(text, sizeof text, "2024-%02zu-%02zu", d < 31 ? size_t{1} : size_t{2},
                  d < 31 ? d + 1 : d - 30);
    dates.emplace_back(text);
  }
  const std::vector<const char*> date_pointers = pointers(dates);
  REQUIRE_OK(invf_dataset_add_series(dataset, "A", date_pointers.data(), values.data(), values.size()));
  return dataset;
}

double simulation_value(const invf_simulation* simulation, size_t row, const char* key) {
  double out = NAN;
  REQUIRE_OK(invf_simulation_value(simulation, row, key, &out));
  return out;
}

}  // namespace

TEST_CASE("the neural model in the policy simulator, fed only the days before each decision",
          "[capi][simulate]") {
  // 30 days; the last (the only test day) sells nothing.  With lead time 1
  // and review 1 the decision needs the model's 2 days, its only quantile
  // 0.5 makes demand deterministic, so S = q(day 1) + q(day 2) and the start
  // stock is S rounded up; nothing sells, so the average stock is that.
  std::vector<double> sales;
  for (int d = 0; d < 29; ++d) sales.push_back(100.0 * ((d * 7) % 5 + 1));
  sales.push_back(0.0);
  invf_dataset* dataset = dataset_of(sales);

  invf_model* model = nullptr;
  REQUIRE_OK(invf_model_load(fixture("model/v1_tiny_meanabs.invfm").c_str(), nullptr, &model));
  int64_t context_length = 0;
  REQUIRE_OK(invf_model_config_int(model, "context_length", &context_length));
  REQUIRE(context_length == 12);
  // The context of the decision: the 12 days before the test day (days 17..28).
  std::vector<float> context(sales.begin() + 17, sales.begin() + 29);
  float quantiles[2] = {0, 0};
  REQUIRE_OK(invf_model_forecast(model, context.data(), 1, 12, quantiles, 2));
  const double expected_stock = std::ceil(double(quantiles[0]) + double(quantiles[1]) - 1e-9);
  // With the test day leaked into the context the stock would differ.
  std::vector<float> leaked(sales.begin() + 18, sales.end());
  float leaked_quantiles[2] = {0, 0};
  REQUIRE_OK(invf_model_forecast(model, leaked.data(), 1, 12, leaked_quantiles, 2));
  REQUIRE(std::ceil(double(leaked_quantiles[0]) + double(leaked_quantiles[1]) - 1e-9) != expected_stock);

  invf_forecaster* neural = nullptr;
  REQUIRE_OK(invf_forecaster_create_model(model, nullptr, &neural));
  invf_model_release(model);  // the forecaster keeps the weights alive
  invf_forecaster* snaive = nullptr;
  REQUIRE_OK(invf_forecaster_create("snaive", nullptr, &snaive));
  invf_options* options = nullptr;
  REQUIRE_OK(invf_options_create(&options));
  REQUIRE_OK(invf_options_set(options, "lead_time", "1"));
  REQUIRE_OK(invf_options_set(options, "service_level", "0.9,0.95"));
  const invf_forecaster* forecasters[] = {snaive, neural};
  invf_simulation* simulation = nullptr;
  REQUIRE_OK(invf_simulate_forecasters(dataset, forecasters, 2, 1, options, &simulation));
  size_t rows = 0;
  REQUIRE_OK(invf_simulation_method_count(simulation, &rows));
  REQUIRE(rows == 4);  // 2 targets x 2 methods, target-major
  const char* name = nullptr;
  REQUIRE_OK(invf_simulation_method_name(simulation, 3, &name));
  CHECK(std::string(name) == "model");
  REQUIRE_OK(invf_simulation_method_name(simulation, 2, &name));
  CHECK(std::string(name) == "snaive");
  CHECK(simulation_value(simulation, 1, "service_target") == 0.9);
  CHECK(simulation_value(simulation, 3, "service_target") == 0.95);
  for (size_t row : {size_t{1}, size_t{3}}) {
    CHECK(simulation_value(simulation, row, "series") == 1.0);
    CHECK(simulation_value(simulation, row, "avg_inventory") == expected_stock);
    CHECK(simulation_value(simulation, row, "orders") == 0.0);
    CHECK(simulation_value(simulation, row, "fill_rate") == 1.0);
  }
  size_t needed = 0;
  REQUIRE_OK(invf_simulation_to_json(simulation, nullptr, 0, &needed));
  std::string json(needed, '\0');
  REQUIRE_OK(invf_simulation_to_json(simulation, json.data(), needed, nullptr));
  CHECK(json.front() == '[');  // one report per target
  CHECK(json.find("\"service_target\":0.95") != std::string::npos);
  invf_simulation_release(simulation);

  // Lead time 2 + review 1 needs 3 days of a 2-day model.
  REQUIRE_OK(invf_options_set(options, "lead_time", "2"));
  REQUIRE_FAILS(invf_simulate_forecasters(dataset, forecasters, 2, 1, options, &simulation),
                INVF_ERR_INVALID_ARGUMENT, "exceeds the model's horizon of 2 days");
  const invf_forecaster* with_null[] = {snaive, nullptr};
  REQUIRE_FAILS(invf_simulate_forecasters(dataset, with_null, 2, 1, options, &simulation),
                INVF_ERR_NULL_POINTER, "'forecasters[1]'");
  REQUIRE_FAILS(invf_simulate_forecasters(dataset, forecasters, 0, 1, options, &simulation),
                INVF_ERR_INVALID_ARGUMENT, "count is 0");
  REQUIRE_FAILS(invf_simulate_forecasters(dataset, forecasters, 2, 0, options, &simulation),
                INVF_ERR_INVALID_ARGUMENT, "test_days 0");
  invf_options_release(options);
  invf_forecaster_release(snaive);
  invf_forecaster_release(neural);
  invf_dataset_release(dataset);
}

TEST_CASE("several service targets in one simulation equal separate runs", "[capi][simulate]") {
  std::vector<double> sales;
  for (int d = 0; d < 60; ++d) sales.push_back((d * 13) % 11 + (d % 7 == 5 ? 6 : 0));
  invf_dataset* dataset = dataset_of(sales);
  const char* methods[] = {"snaive", "ma"};
  auto run = [&](const char* targets, const char* lead_time_sd) {
    invf_options* options = nullptr;
    REQUIRE_OK(invf_options_create(&options));
    REQUIRE_OK(invf_options_set(options, "service_level", targets));
    REQUIRE_OK(invf_options_set(options, "lead_time", "3"));
    REQUIRE_OK(invf_options_set(options, "lead_time_sd", lead_time_sd));
    invf_simulation* simulation = nullptr;
    REQUIRE_OK(invf_simulate(dataset, methods, 2, 21, options, &simulation));
    invf_options_release(options);
    return simulation;
  };
  for (const char* sd : {"0", "1.5"}) {
    invf_simulation* both = run("0.8,0.97", sd);
    invf_simulation* low = run("0.8", sd);
    invf_simulation* high = run("0.97", sd);
    for (const char* key : {"fill_rate", "avg_inventory", "orders", "ordered_units", "stockout_days"})
      for (size_t m = 0; m < 2; ++m) {
        CHECK(simulation_value(both, m, key) == simulation_value(low, m, key));
        CHECK(simulation_value(both, 2 + m, key) == simulation_value(high, m, key));
      }
    // A higher target holds more stock.
    CHECK(simulation_value(both, 2, "avg_inventory") > simulation_value(both, 0, "avg_inventory"));
    invf_simulation_release(both);
    invf_simulation_release(low);
    invf_simulation_release(high);
  }
  invf_options* options = nullptr;
  REQUIRE_OK(invf_options_create(&options));
  REQUIRE_FAILS(invf_options_set(options, "service_level", "0.9,x"), INVF_ERR_INVALID_ARGUMENT,
                "'x' is not a finite number");
  REQUIRE_FAILS(invf_options_set(options, "lead_time_sd", "-1"), INVF_ERR_INVALID_ARGUMENT,
                "lead_time_sd");
  // A list is for the simulator only.
  REQUIRE_OK(invf_options_set(options, "service_level", "0.9,0.95"));
  invf_forecast* forecast = load_forecast(inventory_fixture("forecast_small.csv"));
  invf_inventory* inventory = load_inventory(inventory_fixture("state_small.csv"));
  invf_replenishment* r = nullptr;
  REQUIRE_FAILS(invf_replenish(forecast, inventory, options, &r), INVF_ERR_INVALID_ARGUMENT,
                "replenish takes one service target, got 2");
  invf_inventory_release(inventory);
  invf_forecast_release(forecast);
  invf_options_release(options);
  invf_dataset_release(dataset);
}

TEST_CASE("newsvendor buys through the C ABI", "[capi][replenish]") {
  // X sells d units on day d, with no spread.  Lead time 2, selling period
  // (review) 3: days 3..5, demand 12.  cu = 3, co = 1: critical ratio 0.75,
  // target 12; 5 on hand and 2 units arriving on day 4 (before the period
  // ends on day 5) count as stock, the 9 arriving on day 5 do not.
  invf_forecast* forecast = load_forecast(inventory_fixture("forecast_small.csv"));
  invf_inventory* inventory = nullptr;
  REQUIRE_OK(invf_inventory_create(&inventory));
  const char* keys[] = {"on_hand", "lead_time_mean", "review_period", "shortage_cost", "overage_cost"};
  const double fields[] = {5, 2, 3, 3, 1};
  REQUIRE_OK(invf_inventory_add_sku(inventory, "X", keys, fields, 5));
  REQUIRE_OK(invf_inventory_add_open_order(inventory, "X", 2, 4));
  REQUIRE_OK(invf_inventory_add_open_order(inventory, "X", 9, 5));
  invf_replenishment* buys = nullptr;
  REQUIRE_OK(invf_newsvendor(forecast, inventory, nullptr, &buys));
  CHECK(value(buys, 0, "critical_ratio") == 0.75);
  CHECK(value(buys, 0, "demand_mean") == 12.0);
  CHECK(value(buys, 0, "target_stock") == 12.0);
  CHECK(value(buys, 0, "pipeline") == 2.0);
  CHECK(value(buys, 0, "order_quantity") == 5.0);
  CHECK(value(buys, 0, "expected_sales") == 12.0);
  CHECK(value(buys, 0, "expected_leftover") == 0.0);
  CHECK(value(buys, 0, "expected_lost_sales") == 0.0);
  CHECK(value(buys, 0, "stockout_probability") == 0.0);
  const char* method = nullptr;
  REQUIRE_OK(invf_replenishment_method(buys, 0, &method));
  CHECK(std::string(method).find("newsvendor over days 3..5") != std::string::npos);
  double unused = 0.0;
  REQUIRE_FAILS(invf_replenishment_value(buys, 0, "reorder_point", &unused), INVF_ERR_INVALID_ARGUMENT,
                "unknown newsvendor value 'reorder_point'");
  const TempFile out("buys.csv", "");
  REQUIRE_OK(invf_replenishment_write_csv(buys, out.path()));
  std::ifstream written(out.path());
  std::string header, row;
  std::getline(written, header);
  std::getline(written, row);
  CHECK(header ==
        "sku,on_hand,pipeline,demand_mean,demand_sd,critical_ratio,target_stock,order_quantity,"
        "stockout_probability,expected_sales,expected_leftover,expected_lost_sales");
  CHECK(row == "X,5,2,12,0,0.75,12,5,0,12,0,0");
  invf_replenishment_release(buys);
  invf_inventory_release(inventory);

  // Y: quantiles 1, 2, 4 at 0.1, 0.5, 0.9 each day; cu = co: the median of
  // the 1-day period (day 2), 2 units, up to Monte Carlo noise.
  REQUIRE_OK(invf_inventory_create(&inventory));
  const double median_buy[] = {0, 1, 1, 2, 2};
  REQUIRE_OK(invf_inventory_add_sku(inventory, "Y", keys, median_buy, 5));
  REQUIRE_OK(invf_newsvendor(forecast, inventory, nullptr, &buys));
  CHECK(value(buys, 0, "critical_ratio") == 0.5);
  CHECK(value(buys, 0, "target_stock") == Approx(2.0).epsilon(0.02));
  invf_replenishment_release(buys);
  invf_inventory_release(inventory);

  // Errors: no overage cost, an uncertain lead time, backorders.
  auto expect_error = [&](const std::vector<const char*>& sku_keys, const std::vector<double>& sku_values,
                          const std::string& fragment) {
    invf_inventory* bad = nullptr;
    REQUIRE_OK(invf_inventory_create(&bad));
    REQUIRE_OK(invf_inventory_add_sku(bad, "X", sku_keys.data(), sku_values.data(), sku_keys.size()));
    invf_replenishment* none = nullptr;
    REQUIRE_FAILS(invf_newsvendor(forecast, bad, nullptr, &none), INVF_ERR_INVALID_ARGUMENT, fragment);
    REQUIRE(none == nullptr);
    invf_inventory_release(bad);
  };
  expect_error({"on_hand", "lead_time_mean", "shortage_cost"}, {0, 2, 3},
               "SKU 'X': newsvendor needs overage_cost > 0");
  expect_error({"on_hand", "lead_time_mean", "overage_cost"}, {0, 2, 3},
               "SKU 'X': newsvendor needs shortage_cost > 0");
  expect_error({"on_hand", "lead_time_mean", "lead_time_sd", "shortage_cost", "overage_cost"},
               {0, 2, 1, 3, 1}, "newsvendor needs a fixed lead time");
  expect_error({"on_hand", "lead_time_mean", "backorders", "shortage_cost", "overage_cost"},
               {0, 2, 1, 3, 1}, "backorders do not apply");
  invf_forecast_release(forecast);
}

TEST_CASE("per-SKU service targets override the options' target", "[capi][replenish]") {
  invf_forecast* forecast = load_forecast(inventory_fixture("forecast_small.csv"));
  auto order_up_to = [&](const std::vector<const char*>& keys, const std::vector<double>& values,
                         const char* option, const char* target) {
    invf_inventory* inventory = nullptr;
    REQUIRE_OK(invf_inventory_create(&inventory));
    REQUIRE_OK(invf_inventory_add_sku(inventory, "Y", keys.data(), values.data(), keys.size()));
    invf_options* options = nullptr;
    REQUIRE_OK(invf_options_create(&options));
    REQUIRE_OK(invf_options_set(options, option, target));
    invf_replenishment* r = nullptr;
    REQUIRE_OK(invf_replenish(forecast, inventory, options, &r));
    const double level = value(r, 0, "order_up_to");
    invf_replenishment_release(r);
    invf_options_release(options);
    invf_inventory_release(inventory);
    return level;
  };
  const double own_half = order_up_to({"on_hand", "lead_time_mean", "service_level"}, {0, 2, 0.5},
                                      "service_level", "0.95");
  const double global_half = order_up_to({"on_hand", "lead_time_mean"}, {0, 2}, "service_level", "0.5");
  const double global_high = order_up_to({"on_hand", "lead_time_mean"}, {0, 2}, "service_level", "0.95");
  CHECK(own_half == global_half);
  CHECK(own_half < global_high);
  const double own_fill = order_up_to({"on_hand", "lead_time_mean", "fill_rate"}, {0, 2, 0.6},
                                      "service_level", "0.95");
  const double global_fill = order_up_to({"on_hand", "lead_time_mean"}, {0, 2}, "fill_rate", "0.6");
  CHECK(own_fill == global_fill);
  CHECK(own_fill != global_half);

  // From a state file: a column per measure, one per row at most.
  const TempFile state("targets.csv",
                       "sku,on_hand,lead_time_mean,service_level,fill_rate\nY,0,2,0.5,\nX,0,2,,\n");
  invf_inventory* inventory = load_inventory(state.path());
  invf_options* options = nullptr;
  REQUIRE_OK(invf_options_create(&options));
  REQUIRE_OK(invf_options_set(options, "service_level", "0.95"));
  invf_replenishment* r = nullptr;
  REQUIRE_OK(invf_replenish(forecast, inventory, options, &r));
  CHECK(value(r, 0, "order_up_to") == global_half);
  CHECK(value(r, 1, "order_up_to") == 1.0 + 2.0 + 3.0);  // X: deterministic
  invf_replenishment_release(r);
  invf_inventory_release(inventory);
  expect_inventory_csv_error("sku,on_hand,lead_time_mean,service_level,fill_rate\nY,0,2,0.5,0.9\n",
                             INVF_ERR_INVALID_ARGUMENT, ":2: SKU 'Y': give service_level or fill_rate, not both");
  const TempFile bad_target("bad_target.csv", "sku,on_hand,lead_time_mean,service_level\nY,0,2,1.5\n");
  inventory = load_inventory(bad_target.path());
  REQUIRE_FAILS(invf_replenish(forecast, inventory, options, &r), INVF_ERR_INVALID_ARGUMENT,
                "SKU 'Y': service_level must be in (0, 1), got 1.5");
  invf_inventory_release(inventory);
  invf_options_release(options);
  invf_forecast_release(forecast);
}

TEST_CASE("open orders with arrival days and dates", "[capi][replenish]") {
  // X (day d sells d), lead time 2, review 1: the protection interval is days
  // 1..3, so an order counts when it arrives on day 0, 1 or 2 (available from
  // day 1, 2 or 3), not on day 3.  S = 1 + 2 + 3 = 6.
  invf_forecast* forecast = load_forecast(inventory_fixture("forecast_small.csv"));
  const TempFile state("open_state.csv", "sku,on_hand,lead_time_mean\nX,1,2\nY,0,2\n");
  invf_inventory* inventory = load_inventory(state.path());
  REQUIRE_OK(invf_inventory_add_open_order(inventory, "X", 2, 2));
  REQUIRE_OK(invf_inventory_add_open_order(inventory, "X", 7, 3));
  invf_replenishment* r = nullptr;
  REQUIRE_OK(invf_replenish(forecast, inventory, nullptr, &r));
  CHECK(value(r, 0, "pipeline") == 2.0);
  CHECK(value(r, 0, "pipeline_later") == 7.0);
  CHECK(value(r, 0, "inventory_position") == 3.0);
  CHECK(value(r, 0, "order_quantity") == 3.0);
  invf_replenishment_release(r);
  invf_inventory_release(inventory);

  // The same by date: forecast day 1 is 2024-03-01 (today = arrival day 0).
  const TempFile orders("open_orders.csv",
                        "sku,quantity,arrival_date\nX,2,2024-03-03\nX,7,2024-03-04\nX,1,2024-03-01\n");
  inventory = load_inventory(state.path());
  REQUIRE_OK(invf_inventory_load_open_orders_csv(inventory, orders.path()));
  REQUIRE_OK(invf_replenish(forecast, inventory, nullptr, &r));
  CHECK(value(r, 0, "pipeline") == 3.0);
  CHECK(value(r, 0, "pipeline_later") == 7.0);
  CHECK(value(r, 0, "order_quantity") == 2.0);
  invf_replenishment_release(r);
  invf_inventory_release(inventory);

  auto expect_orders_error = [&](const std::string& text, invf_code code, const std::string& fragment) {
    const TempFile file("bad_orders.csv", text);
    invf_inventory* target = load_inventory(state.path());
    REQUIRE_FAILS(invf_inventory_load_open_orders_csv(target, file.path()), code, fragment);
    // A failing file adds nothing.
    invf_replenishment* clean = nullptr;
    REQUIRE_OK(invf_replenish(forecast, target, nullptr, &clean));
    CHECK(value(clean, 0, "pipeline") == 0.0);
    invf_replenishment_release(clean);
    invf_inventory_release(target);
  };
  expect_orders_error("sku,quantity,arrival_day\nX,1,0\nQ,1,0\n", INVF_ERR_DATA,
                      ":3: open order for SKU 'Q', which the inventory does not hold");
  expect_orders_error("sku,quantity\nX,1\n", INVF_ERR_PARSE, "exactly one of the columns arrival_day");
  expect_orders_error("sku,quantity,arrival_day,arrival_date\nX,1,0,2024-03-01\n", INVF_ERR_PARSE,
                      "exactly one of the columns arrival_day");
  expect_orders_error("sku,qty,arrival_day\nX,1,0\n", INVF_ERR_PARSE, "unknown column 'qty'");
  expect_orders_error("sku,quantity,arrival_day\nX,1,0\nX,-1,0\n", INVF_ERR_INVALID_ARGUMENT,
                      ":3: SKU 'X': open order quantity must be a finite number >= 0");
  expect_orders_error("sku,quantity,arrival_day\nX,1,1.5\n", INVF_ERR_INVALID_ARGUMENT,
                      "arrival_day must be a whole number");
  expect_orders_error("sku,quantity,arrival_date\nX,1,2024-02-30\n", INVF_ERR_PARSE,
                      ":2: column 'arrival_date'");

  // An arrival date before today is refused when decisions are made.
  const TempFile overdue("overdue.csv", "sku,quantity,arrival_date\nX,1,2024-02-29\n");
  inventory = load_inventory(state.path());
  REQUIRE_OK(invf_inventory_load_open_orders_csv(inventory, overdue.path()));
  REQUIRE_FAILS(invf_replenish(forecast, inventory, nullptr, &r), INVF_ERR_DATA,
                "open order arrives on 2024-02-29, before the forecast's first day 2024-03-01");
  REQUIRE_FAILS(invf_inventory_add_open_order(inventory, "X", 1, -1), INVF_ERR_INVALID_ARGUMENT,
                "arrival_day must be a whole number of days in [0, 3660], got -1");
  REQUIRE_FAILS(invf_inventory_add_open_order(inventory, "nope", 1, 1), INVF_ERR_DATA, "'nope'");
  invf_inventory_release(inventory);
  invf_forecast_release(forecast);
}

TEST_CASE("empirical lead times from the state file and from arrays", "[capi][replenish]") {
  // X (day d sells d), past lead times 2 and 3 (half each), review 1: D_P is
  // 1+2+3 = 6 or 1+2+3+4 = 10, D_L is 3 or 6, so at 0.95 S = 10 and s = 6;
  // at 0.4, S = 6 and s = 3.
  invf_forecast* forecast = load_forecast(inventory_fixture("forecast_small.csv"));
  const TempFile state("samples.csv", "sku,on_hand,lead_time_samples\nX,0,2;3;3;2\n");
  invf_inventory* from_file = load_inventory(state.path());
  invf_inventory* from_arrays = nullptr;
  REQUIRE_OK(invf_inventory_create(&from_arrays));
  const char* keys[] = {"on_hand", "lead_time_mean"};
  const double fields[] = {0, 7};
  REQUIRE_OK(invf_inventory_add_sku(from_arrays, "X", keys, fields, 2));
  const int past[] = {3, 2};
  REQUIRE_OK(invf_inventory_set_lead_time_samples(from_arrays, "X", past, 2));
  for (const char* level : {"0.95", "0.4"}) {
    invf_options* options = nullptr;
    REQUIRE_OK(invf_options_create(&options));
    REQUIRE_OK(invf_options_set(options, "service_level", level));
    for (invf_inventory* inventory : {from_file, from_arrays}) {
      invf_replenishment* r = nullptr;
      REQUIRE_OK(invf_replenish(forecast, inventory, options, &r));
      const bool high = std::string(level) == "0.95";
      CHECK(value(r, 0, "order_up_to") == (high ? 10.0 : 6.0));
      CHECK(value(r, 0, "reorder_point") == (high ? 6.0 : 3.0));
      CHECK(value(r, 0, "lead_time_mean") == 2.5);
      CHECK(value(r, 0, "lead_time_sd") == 0.5);
      CHECK(value(r, 0, "protection_days") == 4.0);
      invf_replenishment_release(r);
    }
    invf_options_release(options);
  }
  invf_inventory_release(from_file);

  REQUIRE_FAILS(invf_inventory_set_lead_time_samples(from_arrays, "X", past, 0), INVF_ERR_INVALID_ARGUMENT,
                "count is 0");
  const int zero[] = {2, 0};
  REQUIRE_FAILS(invf_inventory_set_lead_time_samples(from_arrays, "X", zero, 2), INVF_ERR_INVALID_ARGUMENT,
                "SKU 'X'");
  REQUIRE_FAILS(invf_inventory_set_lead_time_samples(from_arrays, "Q", past, 2), INVF_ERR_DATA, "'Q'");
  invf_inventory_release(from_arrays);
  expect_inventory_csv_error("sku,on_hand,lead_time_samples\nX,0,2;0\n", INVF_ERR_INVALID_ARGUMENT,
                             ":2: column 'lead_time_samples': lead time 0 is not a whole number");
  expect_inventory_csv_error("sku,on_hand,lead_time_samples\nX,0,2;x\n", INVF_ERR_PARSE,
                             ":2: column 'lead_time_samples': 'x' is not a finite number");
  expect_inventory_csv_error("sku,on_hand,lead_time_mean,lead_time_samples\nX,0,2,2;3\n",
                             INVF_ERR_INVALID_ARGUMENT, "give lead_time_samples or lead_time_mean");
  expect_inventory_csv_error("sku,on_hand,lead_time_samples\nX,0,\n", INVF_ERR_INVALID_ARGUMENT,
                             "required field 'lead_time_mean' is missing");
  invf_forecast_release(forecast);
}
