// invf_inventory (SKU states and open orders), invf_replenish (order-up-to
// decisions) and invf_newsvendor (one-shot buys): order decisions from a
// forecast through lib/inventory/inventory_state.hpp.  This file only
// translates inputs and outputs; the engine checks every value and names the
// SKU.
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "boundary.hpp"
#include "handles.hpp"

namespace invforecast::capi {
namespace {

const invf_replenishment& replenishment_ref(const invf_replenishment* r) {
  require(r, "replenishment");
  return *r;
}

}  // namespace
}  // namespace invforecast::capi

using namespace invforecast;
using namespace invforecast::capi;

extern "C" {

invf_status* invf_inventory_create(invf_inventory** out) {
  return guarded([&] {
    require(out, "out");
    *out = new invf_inventory{};
  });
}

invf_status* invf_inventory_load_csv(const char* path, invf_inventory** out) {
  return guarded([&] {
    require(path, "path");
    require(out, "out");
    *out = new invf_inventory{load_inventory_csv(path)};
  });
}

void invf_inventory_release(invf_inventory* inventory) { delete inventory; }

invf_status* invf_inventory_add_sku(invf_inventory* inventory, const char* sku,
                                    const char* const* keys, const double* values, size_t count) {
  return guarded([&] {
    require(inventory, "inventory");
    require(sku, "sku");
    if (count > 0) {
      require(keys, "keys");
      require(values, "values");
    }
    std::vector<std::string_view> names;
    for (size_t i = 0; i < count; ++i) {
      require(keys[i], "keys[i]");
      names.emplace_back(keys[i]);
    }
    add_sku(*inventory, sku, names, std::span<const double>(values, count));
  });
}

invf_status* invf_inventory_set_lead_time_samples(invf_inventory* inventory, const char* sku,
                                                  const int* days, size_t count) {
  return guarded([&] {
    require(inventory, "inventory");
    require(sku, "sku");
    if (count > 0) require(days, "days");
    set_lead_time_samples(*inventory, sku, std::vector<int>(days, days + count));
  });
}

invf_status* invf_inventory_add_open_order(invf_inventory* inventory, const char* sku,
                                           double quantity, int arrival_day) {
  return guarded([&] {
    require(inventory, "inventory");
    require(sku, "sku");
    add_open_order(*inventory, sku, quantity, Arrival{static_cast<double>(arrival_day), {}},
                   "invf_inventory_add_open_order");
  });
}

invf_status* invf_inventory_load_open_orders_csv(invf_inventory* inventory, const char* path) {
  return guarded([&] {
    require(inventory, "inventory");
    require(path, "path");
    load_open_orders_csv(*inventory, path);
  });
}

invf_status* invf_inventory_sku_count(const invf_inventory* inventory, size_t* out) {
  return guarded([&] {
    require(inventory, "inventory");
    require(out, "out");
    *out = inventory->skus.size();
  });
}

invf_status* invf_inventory_sku_id(const invf_inventory* inventory, size_t sku, const char** out) {
  return guarded([&] {
    require(inventory, "inventory");
    require(out, "out");
    require_index(sku, inventory->skus.size(), "SKU");
    *out = inventory->skus[sku].inventory.sku.c_str();
  });
}

invf_status* invf_replenish(const invf_forecast* forecast, const invf_inventory* inventory,
                            const invf_options* options, invf_replenishment** out) {
  return guarded([&] {
    require(forecast, "forecast");
    require(inventory, "inventory");
    require(out, "out");
    const Options& settings = options_for(options, "invf_replenish", kInventoryDomain);
    *out = new invf_replenishment{
        replenish_inventory(*forecast, *inventory, settings.inventory, settings.progress)};
  });
}

invf_status* invf_newsvendor(const invf_forecast* forecast, const invf_inventory* inventory,
                             const invf_options* options, invf_replenishment** out) {
  return guarded([&] {
    require(forecast, "forecast");
    require(inventory, "inventory");
    require(out, "out");
    const Options& settings = options_for(options, "invf_newsvendor", kInventoryDomain);
    settings.refuse_keys("invf_newsvendor",
                         {"service_level", "fill_rate", "service_measure", "regime"},
                         "the critical ratio of its costs sets the target and leftovers are not "
                         "carried");
    *out = new invf_replenishment{
        newsvendor_inventory(*forecast, *inventory, settings.inventory, settings.progress)};
  });
}

void invf_replenishment_release(invf_replenishment* replenishment) { delete replenishment; }

invf_status* invf_replenishment_sku_count(const invf_replenishment* replenishment, size_t* out) {
  return guarded([&] {
    const invf_replenishment& r = replenishment_ref(replenishment);
    require(out, "out");
    *out = r.size();
  });
}

invf_status* invf_replenishment_mode(const invf_replenishment* replenishment, int32_t* out) {
  return guarded([&] {
    const invf_replenishment& r = replenishment_ref(replenishment);
    require(out, "out");
    *out = r.newsvendor ? INVF_REPLENISH_NEWSVENDOR : INVF_REPLENISH_ORDER_UP_TO;
  });
}

invf_status* invf_replenishment_sku_id(const invf_replenishment* replenishment, size_t sku,
                                       const char** out) {
  return guarded([&] {
    const invf_replenishment& r = replenishment_ref(replenishment);
    require(out, "out");
    require_index(sku, r.size(), "SKU");
    *out = r.sku(sku).c_str();
  });
}

invf_status* invf_replenishment_value(const invf_replenishment* replenishment, size_t sku,
                                      const char* key, double* out) {
  return guarded([&] {
    const invf_replenishment& r = replenishment_ref(replenishment);
    require(key, "key");
    require(out, "out");
    require_index(sku, r.size(), "SKU");
    const std::optional<double> value = r.value(sku, key);
    if (!value)
      fail(ErrorCode::InvalidArgument, "unknown {} value '{}'",
           r.newsvendor ? "newsvendor" : "replenishment", key);
    *out = *value;
  });
}

invf_status* invf_replenishment_method(const invf_replenishment* replenishment, size_t sku,
                                       const char** out) {
  return guarded([&] {
    const invf_replenishment& r = replenishment_ref(replenishment);
    require(out, "out");
    require_index(sku, r.size(), "SKU");
    *out = r.method(sku).c_str();
  });
}

invf_status* invf_replenishment_write_csv(const invf_replenishment* replenishment,
                                          const char* path) {
  return guarded([&] {
    const invf_replenishment& r = replenishment_ref(replenishment);
    require(path, "path");
    r.write_csv(path);
  });
}

}  // extern "C"
