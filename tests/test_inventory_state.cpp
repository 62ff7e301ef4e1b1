// The inventory at the lib level: the one schema of SKU fields, the
// newsvendor preparation, and runs over a whole forecast.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "error.hpp"
#include "error_matchers.hpp"
#include "inventory/inventory_state.hpp"

using namespace invforecast;
using invforecast::testing::fails_with;

namespace {

void add(InventoryState& inventory, std::string_view sku, std::vector<std::string_view> keys,
         std::vector<double> values) {
  add_sku(inventory, sku, keys, values);
}

// A forecast of SKU "A": 10 days, demand Normal-ish around 10 a day.
DatasetForecast forecast_of_a() {
  DatasetForecast f;
  f.horizon = 10;
  f.levels = {0.1, 0.5, 0.9};
  f.series_ids = {"A"};
  f.start_days = {1000};
  f.series.resize(1);
  for (size_t d = 0; d < 10; ++d)
    f.series[0].quantiles.insert(f.series[0].quantiles.end(), {7.0, 10.0, 13.0});
  return f;
}

}  // namespace

TEST_CASE("SKU fields are checked against the one schema", "[inventory]") {
  InventoryState inventory;
  add(inventory, "A", {"on_hand", "lead_time_mean", "overage_cost"}, {5, 2, 1});
  REQUIRE(inventory.skus.size() == 1);
  CHECK(inventory.skus[0].inventory.on_hand == 5);
  CHECK(inventory.skus[0].overage_cost == 1);
  CHECK(inventory.skus[0].inventory.pack_size == 1);  // default
  REQUIRE_THROWS_MATCHES(
      (add(inventory, "B", {"on_hand", "lead"}, {1, 2})), Error,
      fails_with(ErrorCode::InvalidArgument, "unknown field 'lead' (known: sku, on_hand,"));
  REQUIRE_THROWS_MATCHES((add(inventory, "B", {"on_hand", "on_hand"}, {1, 2})), Error,
                         fails_with(ErrorCode::InvalidArgument, "field 'on_hand' is given twice"));
  REQUIRE_THROWS_MATCHES(
      (add(inventory, "B", {"on_hand", "lead_time_mean"}, {1, INFINITY})), Error,
      fails_with(ErrorCode::InvalidArgument, "field 'lead_time_mean' is not finite"));
  REQUIRE_THROWS_MATCHES(
      (add(inventory, "B", {"on_hand"}, {1})), Error,
      fails_with(ErrorCode::InvalidArgument, "required field 'lead_time_mean' is missing"));
  REQUIRE_THROWS_MATCHES(
      (add(inventory, "B", {"on_hand", "lead_time_mean", "fill_rate", "service_level"},
           {1, 2, 0.9, 0.9})),
      Error, fails_with(ErrorCode::InvalidArgument, "give service_level or fill_rate, not both"));
  REQUIRE_THROWS_MATCHES((add(inventory, "A", {"on_hand", "lead_time_mean"}, {1, 2})), Error,
                         fails_with(ErrorCode::Data, "SKU 'A' is given twice"));
  CHECK(inventory.skus.size() == 1);  // nothing added by the failures
  inventory.from_file = true;
  REQUIRE_THROWS_MATCHES((add(inventory, "C", {"on_hand", "lead_time_mean"}, {1, 2})), Error,
                         fails_with(ErrorCode::InvalidArgument, "accepts no adds"));
  REQUIRE_THROWS_MATCHES((set_lead_time_samples(inventory, "Z", {2})), Error,
                         fails_with(ErrorCode::Data, "SKU 'Z' is not in the inventory"));
  set_lead_time_samples(inventory, "A", {2, 3});
  CHECK(inventory.skus[0].inventory.lead_time.observed_days == std::vector<int>{2, 3});
}

TEST_CASE("the newsvendor input counts open orders arriving within the period", "[inventory]") {
  SkuInventory sku;
  sku.sku = "N";
  sku.on_hand = 4;
  sku.lead_time = LeadTime::fixed(2);
  sku.review_period_days = 3;
  // Period: forecast days 3..5; an order arriving on day a is there from day
  // a + 1, so it counts when a < 2 + 3.
  sku.open_orders = {{5, 1}, {6, 4}, {7, 5}};
  double pipeline = -1;
  const NewsvendorInput input = newsvendor_input(sku, 2.0, &pipeline);
  CHECK(pipeline == 11);
  CHECK(input.on_hand == 15);
  CHECK(input.first_day == 3);
  CHECK(input.period_days == 3);
  CHECK(input.overage_cost == 2.0);
  CHECK(input.underage_cost == 0.0);  // shortage_cost unset: newsvendor() refuses it
  REQUIRE_THROWS_MATCHES(
      (newsvendor(input, DailyQuantiles{{0.5}, std::vector<double>(10, 1.0)}, {})), Error,
      fails_with(ErrorCode::InvalidArgument, "SKU 'N': newsvendor needs shortage_cost > 0"));
  sku.backorders = 1;
  REQUIRE_THROWS_MATCHES(newsvendor_input(sku, 2.0, &pipeline), Error,
                         fails_with(ErrorCode::InvalidArgument, "backorders do not apply"));
  sku.backorders = 0;
  sku.lead_time = LeadTime::normal(2, 1);
  REQUIRE_THROWS_MATCHES(
      newsvendor_input(sku, 2.0, &pipeline), Error,
      fails_with(ErrorCode::InvalidArgument, "newsvendor needs a fixed lead time"));
}

TEST_CASE("runs over a forecast match SKUs by id and apply the options' measure", "[inventory]") {
  const DatasetForecast forecast = forecast_of_a();
  InventoryState inventory;
  add(inventory, "A", {"on_hand", "lead_time_mean", "shortage_cost", "overage_cost"}, {0, 2, 3, 1});
  InventoryOptions options;
  options.samples = 2000;
  const ReplenishmentResult cycle = replenish_inventory(forecast, inventory, options, {});
  CHECK_THAT(cycle.method(0), Catch::Contains("cycle service level 0.95"));
  options.set("service_measure", "fill_rate");
  const ReplenishmentResult fill = replenish_inventory(forecast, inventory, options, {});
  CHECK_THAT(fill.method(0), Catch::Contains("fill rate 0.95"));
  CHECK_FALSE(fill.value(0, "critical_ratio").has_value());
  // A SKU's own target wins over the options'.
  InventoryState own;
  add(own, "A", {"on_hand", "lead_time_mean", "service_level"}, {0, 2, 0.8});
  CHECK_THAT(replenish_inventory(forecast, own, options, {}).method(0),
             Catch::Contains("cycle service level 0.8"));

  const ReplenishmentResult buys = newsvendor_inventory(forecast, inventory, options, {});
  REQUIRE(buys.newsvendor);
  CHECK(buys.value(0, "critical_ratio") == 0.75);  // 3 / (3 + 1)
  CHECK(buys.value(0, "pipeline") == 0.0);

  InventoryState stranger;
  add(stranger, "Q", {"on_hand", "lead_time_mean"}, {0, 2});
  REQUIRE_THROWS_MATCHES((replenish_inventory(forecast, stranger, options, {})), Error,
                         fails_with(ErrorCode::Data, "have no forecast series: 'Q'"));
}
