// invforecast replenish: order decisions per SKU from a forecast CSV and a
// stock-state CSV (order-up-to policy, or one-shot newsvendor buys), with
// optional open orders from a second CSV.
#include <cstdio>
#include <memory>

#include "common.hpp"

namespace invforecast_cli {
namespace {

struct ReplenishFlags {
  std::string forecast;
  InventoryFlags stock;
  std::string out;
  std::string mode = "order_up_to";
  int threads = 0;
};

void run_replenish(const ReplenishFlags& flags) {
  const bool newsvendor = flags.mode == "newsvendor";
  invf::Options options;
  for (const auto& [key, value] : flags.stock.keys(newsvendor, true)) options.set(key, value);
  options.set("threads", std::to_string(flags.threads));
  invf::Inventory inventory = flags.stock.load();
  const invf::Forecast forecast = invf::Forecast::load_csv(flags.forecast);
  const invf::Replenishment orders = newsvendor
                                         ? invf::Replenishment::newsvendor(forecast, inventory, &options)
                                         : invf::Replenishment::run(forecast, inventory, &options);
  orders.write_csv(flags.out);
  size_t ordering = 0;
  double units = 0.0;
  for (size_t s = 0; s < orders.sku_count(); ++s) {
    const double quantity = orders.value(s, "order_quantity");
    ordering += quantity > 0.0 ? 1 : 0;
    units += quantity;
  }
  std::printf("wrote %s: %zu SKUs, %zu to order now, %g units in all\n", flags.out.c_str(),
              orders.sku_count(), ordering, units);
}

}  // namespace

void register_replenish(CLI::App& app) {
  auto flags = std::make_shared<ReplenishFlags>();
  CLI::App* command = app.add_subcommand(
      "replenish", "Order quantities per SKU from a forecast CSV and a stock-state CSV");
  command
      ->add_option("--forecast", flags->forecast,
                   "Forecast CSV as written by 'invforecast forecast' (series_id,date,mean,q...); "
                   "day 1 is the first day of the lead time")
      ->required()
      ->type_name("FILE");
  flags->stock.add_to(*command, true);
  command
      ->add_option("--mode", flags->mode,
                   "order_up_to: periodic-review order-up-to decisions; newsvendor: one-shot buy "
                   "for forecast days L+1..L+R at the critical ratio "
                   "shortage_cost/(shortage_cost+overage_cost)")
      ->check(CLI::IsMember({"order_up_to", "newsvendor"}))
      ->capture_default_str();
  command
      ->add_option("--out,-o", flags->out,
                   "Output CSV: sku,on_hand,demand_mean,demand_sd,safety_stock,reorder_point,"
                   "order_up_to,order_quantity,expected_fill_rate,stockout_probability,"
                   "days_of_cover (newsvendor: sku,on_hand,pipeline,demand_mean,demand_sd,"
                   "critical_ratio,target_stock,order_quantity,stockout_probability,"
                   "expected_sales,expected_leftover,expected_lost_sales)")
      ->required()
      ->type_name("FILE");
  command->add_option("--threads", flags->threads, "Worker threads, 0 = all cores")
      ->capture_default_str();
  command->callback([flags] { run_replenish(*flags); });
}

}  // namespace invforecast_cli
