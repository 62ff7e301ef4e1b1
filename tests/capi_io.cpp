// Files through the C ABI: quoted line breaks in every CSV the library
// reads, atomic CSV writes, and the size of the library's thread pool.
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "capi_support.hpp"
#include "invforecast.hpp"
#include "test_files.hpp"

namespace {

using invforecast::testing::Folder;
using invforecast::testing::put;
using invforecast::testing::slurp;

invf_forecast* naive_forecast(const invf_dataset* dataset, size_t horizon,
                              const invf_options* options = nullptr) {
  invf_forecaster* forecaster = nullptr;
  REQUIRE_OK(invf_forecaster_create("naive", options, &forecaster));
  invf_forecast* forecast = nullptr;
  REQUIRE_OK(invf_forecaster_forecast(forecaster, dataset, horizon, &forecast));
  invf_forecaster_release(forecaster);
  return forecast;
}

std::vector<double> means(const invf_forecast* forecast) {
  size_t count = 0, horizon = 0;
  REQUIRE_OK(invf_forecast_series_count(forecast, &count));
  REQUIRE_OK(invf_forecast_horizon(forecast, &horizon));
  std::vector<double> out(count * horizon);
  for (size_t s = 0; s < count; ++s)
    REQUIRE_OK(invf_forecast_mean(forecast, s, out.data() + s * horizon, horizon));
  return out;
}

// Progress calls, and whether one came from a thread other than the caller.
struct ProgressLog {
  size_t calls = 0;
  bool other_thread = false;
  std::thread::id caller = std::this_thread::get_id();
};

int log_progress(void* user_data, const char*, size_t, size_t) {
  auto* log = static_cast<ProgressLog*>(user_data);
  log->other_thread = log->other_thread || std::this_thread::get_id() != log->caller;
  ++log->calls;
  return 0;
}

}  // namespace

TEST_CASE("a SKU with a line break survives every CSV the library writes and reads", "[capi][io]") {
  Folder folder("capi_io");
  const std::string sku = "shop 1\n\"north\", aisle\r\n3";
  const std::string quoted = "\"shop 1\n\"\"north\"\", aisle\r\n3\"";

  // The dataset reader.
  put(folder.file("sales.csv"), "series_id,date,value\n" + quoted + ",2024-03-01,4\n" + quoted +
                                    ",2024-03-02,6\nplain,2024-03-01,1\n");
  invf_dataset* dataset = nullptr;
  REQUIRE_OK(invf_dataset_load_csv(folder.file("sales.csv").c_str(), nullptr, &dataset));
  const char* id = nullptr;
  REQUIRE_OK(invf_dataset_series_id(dataset, 1, &id));
  REQUIRE(std::string(id) == sku);

  // Forecast CSV: written atomically (no temporary left), read back whole.
  invf_forecast* forecast = naive_forecast(dataset, 3);
  const std::string forecast_csv = folder.file("forecast.csv");
  put(forecast_csv, "stale contents\n");
  REQUIRE_OK(invf_forecast_write_csv(forecast, forecast_csv.c_str()));
  CHECK(slurp(forecast_csv).find(quoted + ",2024-03-03,6,") != std::string::npos);
  invf_forecast* loaded = nullptr;
  REQUIRE_OK(invf_forecast_load_csv(forecast_csv.c_str(), &loaded));
  size_t count = 0;
  REQUIRE_OK(invf_forecast_series_count(loaded, &count));
  REQUIRE(count == 2);
  REQUIRE_OK(invf_forecast_series_id(loaded, 1, &id));
  CHECK(std::string(id) == sku);
  CHECK(means(loaded) == means(forecast));

  // Inventory state and open orders.
  put(folder.file("state.csv"), "sku,on_hand,lead_time_mean\n" + quoted + ",1,2\nplain,0,2\n");
  put(folder.file("orders.csv"), "sku,quantity,arrival_day\n" + quoted + ",5,1\n");
  invf_inventory* inventory = nullptr;
  REQUIRE_OK(invf_inventory_load_csv(folder.file("state.csv").c_str(), &inventory));
  REQUIRE_OK(invf_inventory_sku_id(inventory, 0, &id));
  CHECK(std::string(id) == sku);
  REQUIRE_OK(invf_inventory_load_open_orders_csv(inventory, folder.file("orders.csv").c_str()));
  invf_replenishment* replenishment = nullptr;
  REQUIRE_OK(invf_replenish(loaded, inventory, nullptr, &replenishment));
  double pipeline = 0.0;
  REQUIRE_OK(invf_replenishment_value(replenishment, 0, "pipeline", &pipeline));
  CHECK(pipeline == 5.0);
  const std::string replenishment_csv = folder.file("orders_out.csv");
  REQUIRE_OK(invf_replenishment_write_csv(replenishment, replenishment_csv.c_str()));
  CHECK(slurp(replenishment_csv).find("\n" + quoted + ",") != std::string::npos);
  CHECK(folder.names() == std::vector<std::string>{"forecast.csv", "orders.csv", "orders_out.csv",
                                                   "sales.csv", "state.csv"});

  // A failing write names the path and leaves the old file alone.
  REQUIRE_FAILS(invf_forecast_write_csv(forecast, (folder.file("state.csv") + "/x.csv").c_str()),
                INVF_ERR_IO, "state.csv/x.csv");
  REQUIRE_FAILS(invf_replenishment_write_csv(replenishment, folder.path.c_str()), INVF_ERR_IO,
                "cannot rename");
  CHECK(folder.names().size() == 5);

  // An unterminated quote names the record's first line.
  put(folder.file("open.csv"), "sku,on_hand,lead_time_mean\nplain,0,2\n\"never closed,1,2\n");
  invf_inventory* refused = nullptr;
  REQUIRE_FAILS(invf_inventory_load_csv(folder.file("open.csv").c_str(), &refused), INVF_ERR_PARSE,
                "open.csv:3: field 1: unterminated quoted field");
  CHECK(refused == nullptr);

  invf_replenishment_release(replenishment);
  invf_inventory_release(inventory);
  invf_forecast_release(loaded);
  invf_forecast_release(forecast);
  invf_dataset_release(dataset);
}

TEST_CASE("the thread pool's size is set by the host; results do not depend on it", "[capi][io]") {
  const uint32_t saved = invf_thread_pool_size();
  REQUIRE_OK(invf_set_thread_pool_size(0));
  CHECK(invf_thread_pool_size() == std::max(1u, std::thread::hardware_concurrency()));
  REQUIRE_FAILS(invf_set_thread_pool_size(5000), INVF_ERR_INVALID_ARGUMENT,
                "more than the 4096 allowed");

  invf_dataset* dataset = load_small();
  invf_options* options = nullptr;
  REQUIRE_OK(invf_options_create(&options));
  REQUIRE_OK(invf_options_set(options, "threads", "0"));
  REQUIRE_OK(invf_set_thread_pool_size(1));
  CHECK(invf_thread_pool_size() == 1);
  invf_forecast* one = naive_forecast(dataset, 5, options);
  for (uint32_t size : {3u, 8u}) {
    REQUIRE_OK(invf_set_thread_pool_size(size));
    CHECK(invf_thread_pool_size() == size);
    ProgressLog log;
    REQUIRE_OK(invf_options_set_progress(options, log_progress, &log));
    invf_forecast* many = naive_forecast(dataset, 5, options);
    CHECK(means(many) == means(one));
    CHECK_FALSE(log.other_thread);
    CHECK(log.calls >= 2);  // at least the start and the end
    invf_forecast_release(many);
    REQUIRE_OK(invf_options_set_progress(options, nullptr, nullptr));
  }
  invf_forecast_release(one);
  invf_options_release(options);
  invf_dataset_release(dataset);

  // The C++ wrapper: the same calls, failures as invf::Error.
  invf::set_thread_pool_size(2);
  CHECK(invf::thread_pool_size() == 2);
  try {
    invf::set_thread_pool_size(4097);
    FAIL("expected invf::Error");
  } catch (const invf::Error& e) {
    CHECK(e.code() == INVF_ERR_INVALID_ARGUMENT);
  }
  CHECK(invf::thread_pool_size() == 2);
  REQUIRE_OK(invf_set_thread_pool_size(saved));
}
