// Options by domain through the C ABI: a key set for another call is
// refused naming the key and the call, the explicit service measure, the
// domains query and the replenishment mode.
#include <string>
#include <vector>

#include "capi_support.hpp"
#include "invforecast.hpp"

namespace {

std::string fixture(const std::string& name) {
  return std::string(INVF_TEST_FIXTURES) + "/" + name;
}

invf::Options with(std::initializer_list<std::pair<const char*, const char*>> settings) {
  invf::Options options;
  for (const auto& [key, value] : settings) options.set(key, value);
  return options;
}

// A forecast of the three series of capi_small.csv (A, B, C) and an
// inventory of their SKUs with newsvendor costs.
struct Plan {
  invf::Dataset data = invf::Dataset::load_csv(fixture("capi_small.csv"));
  invf::Forecast forecast = invf::Forecaster("ma").forecast(data, 14);
  invf::Inventory inventory;
  Plan() {
    for (const char* sku : {"A", "B", "C"})
      inventory.add_sku(sku, {{"on_hand", 1.0},
                              {"lead_time_mean", 2.0},
                              {"review_period", 3.0},
                              {"shortage_cost", 4.0},
                              {"overage_cost", 1.0}});
  }
  std::vector<double> orders(const invf::Options& options) const {
    const invf::Replenishment r = invf::Replenishment::run(forecast, inventory, &options);
    std::vector<double> out;
    for (const char* key : {"order_up_to", "reorder_point", "expected_fill_rate"})
      for (size_t s = 0; s < r.sku_count(); ++s) out.push_back(r.value(s, key));
    return out;
  }
};

}  // namespace

TEST_CASE("each call family refuses a key of another domain, naming the key and the call",
          "[capi][options]") {
  const Plan plan;
  invf_dataset* dataset = nullptr;
  REQUIRE_FAILS(invf_dataset_create(with({{"season_length", "7"}}).get(), &dataset),
                INVF_ERR_INVALID_ARGUMENT,
                "option 'season_length' does not apply to invf_dataset_create; it is a "
                "forecasting option");
  REQUIRE_FAILS(invf_dataset_load_csv(fixture("capi_small.csv").c_str(),
                                      with({{"threads", "2"}}).get(), &dataset),
                INVF_ERR_INVALID_ARGUMENT,
                "option 'threads' does not apply to invf_dataset_load_csv");
  CHECK(dataset == nullptr);

  invf_forecaster* forecaster = nullptr;
  REQUIRE_FAILS(invf_forecaster_create("naive", with({{"seed", "3"}}).get(), &forecaster),
                INVF_ERR_INVALID_ARGUMENT,
                "option 'seed' does not apply to invf_forecaster_create; it is a training and "
                "inventory option");
  CHECK(forecaster == nullptr);

  const char* methods[] = {"naive"};
  invf_backtest* backtest = nullptr;
  REQUIRE_FAILS(invf_backtest_run(plan.data.get(), methods, 1, 7, 1,
                                  with({{"negative", "clip"}}).get(), &backtest),
                INVF_ERR_INVALID_ARGUMENT, "option 'negative' does not apply to invf_backtest_run");

  invf_model* model = nullptr;
  REQUIRE_FAILS(invf_model_load(INVF_DEFAULT_MODEL, with({{"epochs", "2"}}).get(), &model),
                INVF_ERR_INVALID_ARGUMENT,
                "option 'epochs' does not apply to invf_model_load; it is a training option");

  REQUIRE_FAILS(invf_train(plan.data.get(), nullptr, with({{"service_level", "0.9"}}).get(),
                           nullptr, nullptr, &model),
                INVF_ERR_INVALID_ARGUMENT,
                "option 'service_level' does not apply to invf_train; it is an inventory option");
  CHECK(model == nullptr);

  invf_replenishment* r = nullptr;
  REQUIRE_FAILS(invf_replenish(plan.forecast.get(), plan.inventory.get(),
                               with({{"lead_time", "2"}}).get(), &r),
                INVF_ERR_INVALID_ARGUMENT,
                "option 'lead_time' does not apply to invf_replenish; it is a simulation option");
  REQUIRE_FAILS(invf_newsvendor(plan.forecast.get(), plan.inventory.get(),
                                with({{"fill_rate", "0.9"}}).get(), &r),
                INVF_ERR_INVALID_ARGUMENT, "option 'fill_rate' does not apply to invf_newsvendor");
  CHECK(r == nullptr);

  invf_simulation* simulation = nullptr;
  REQUIRE_FAILS(
      invf_simulate(plan.data.get(), methods, 1, 7, with({{"batch_size", "8"}}).get(), &simulation),
      INVF_ERR_INVALID_ARGUMENT, "option 'batch_size' does not apply to invf_simulate");
  CHECK(simulation == nullptr);

  // The keys each call reads still pass: the simulator takes all three of
  // its domains, replenishment its own seed.
  REQUIRE_OK(invf_simulate(plan.data.get(), methods, 1, 7,
                           with({{"lead_time", "1"}, {"season_length", "7"}, {"seed", "5"}}).get(),
                           &simulation));
  invf_simulation_release(simulation);
  REQUIRE_OK(invf_replenish(plan.forecast.get(), plan.inventory.get(),
                            with({{"seed", "5"}, {"threads", "1"}}).get(), &r));
  invf_replenishment_release(r);
}

TEST_CASE("invf_option_domains tells each key's domains", "[capi][options]") {
  uint32_t domains = 0;
  REQUIRE_OK(invf_option_domains("seed", &domains));
  CHECK(domains == (INVF_DOMAIN_TRAIN | INVF_DOMAIN_INVENTORY));
  REQUIRE_OK(invf_option_domains("threads", &domains));
  CHECK(domains == (INVF_DOMAIN_FORECAST | INVF_DOMAIN_TRAIN | INVF_DOMAIN_INVENTORY));
  REQUIRE_OK(invf_option_domains("duplicates", &domains));
  CHECK(domains == INVF_DOMAIN_DATA);
  REQUIRE_OK(invf_option_domains("history_days", &domains));
  CHECK(domains == INVF_DOMAIN_SIMULATION);
  domains = 77;
  REQUIRE_FAILS(invf_option_domains("colour", &domains), INVF_ERR_INVALID_ARGUMENT,
                "unknown option 'colour'");
  CHECK(domains == 77);  // untouched on failure
  REQUIRE_FAILS(invf_option_domains(nullptr, &domains), INVF_ERR_NULL_POINTER, "'key'");
  REQUIRE_FAILS(invf_option_domains("seed", nullptr), INVF_ERR_NULL_POINTER, "'out'");
}

TEST_CASE("service_measure replaces 'last key wins'", "[capi][options]") {
  const Plan plan;
  invf_options* options = nullptr;
  REQUIRE_OK(invf_options_create(&options));
  REQUIRE_OK(invf_options_set(options, "fill_rate", "0.9"));
  REQUIRE_FAILS(invf_options_set(options, "service_level", "0.9"), INVF_ERR_INVALID_ARGUMENT,
                "'service_level' and 'fill_rate' are both set");
  REQUIRE_FAILS(invf_options_set(options, "service_measure", "service_level"),
                INVF_ERR_INVALID_ARGUMENT, "contradicts option 'fill_rate'");
  invf_options_release(options);

  // The measure alone applies to the default target of 0.95, so it gives
  // exactly the decisions of fill_rate=0.95 and not those of the default
  // cycle service level (demand of the "ma" forecast is uncertain, so the
  // two measures set different levels).
  const std::vector<double> by_measure = plan.orders(with({{"service_measure", "fill_rate"}}));
  CHECK(by_measure == plan.orders(with({{"fill_rate", "0.95"}})));
  CHECK(by_measure != plan.orders(with({})));
  CHECK(plan.orders(with({{"service_measure", "service_level"}})) == plan.orders(with({})));
}

TEST_CASE("invf_replenishment_mode tells order-up-to decisions from newsvendor buys",
          "[capi][replenish]") {
  const Plan plan;
  const invf::Replenishment orders = invf::Replenishment::run(plan.forecast, plan.inventory);
  const invf::Replenishment buys = invf::Replenishment::newsvendor(plan.forecast, plan.inventory);
  int32_t mode = -1;
  REQUIRE_OK(invf_replenishment_mode(orders.get(), &mode));
  CHECK(mode == INVF_REPLENISH_ORDER_UP_TO);
  REQUIRE_OK(invf_replenishment_mode(buys.get(), &mode));
  CHECK(mode == INVF_REPLENISH_NEWSVENDOR);
  CHECK(buys.mode() == INVF_REPLENISH_NEWSVENDOR);
  // The mode says which keys apply: "critical_ratio" is a newsvendor key only.
  double value = 0.0;
  REQUIRE_OK(invf_replenishment_value(buys.get(), 0, "critical_ratio", &value));
  CHECK(value == Approx(0.8));  // cu / (cu + co) = 4 / 5
  REQUIRE_FAILS(invf_replenishment_value(orders.get(), 0, "critical_ratio", &value),
                INVF_ERR_INVALID_ARGUMENT, "critical_ratio");
  mode = -1;
  REQUIRE_FAILS(invf_replenishment_mode(nullptr, &mode), INVF_ERR_NULL_POINTER, "replenishment");
  REQUIRE_FAILS(invf_replenishment_mode(orders.get(), nullptr), INVF_ERR_NULL_POINTER, "'out'");
  CHECK(mode == -1);
}
