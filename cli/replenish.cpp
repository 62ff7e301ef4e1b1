// invforecast replenish: order decisions per SKU from a forecast CSV and a
// stock-state CSV (order-up-to policy, or one-shot newsvendor buys), with
// optional open orders from a second CSV.
#include <cmath>
#include <cstdio>
#include <memory>

#include "common.hpp"

namespace invforecast_cli {
namespace {

struct ReplenishFlags {
  std::string forecast;
  std::string inventory;
  std::string open_orders;
  std::string out;
  std::string mode = "order_up_to";
  double service_level = NAN;
  double fill_rate = NAN;
  std::string regime = "lost_sales";
  std::string dependence = "independent";
  double copula_rho = NAN;
  long long samples = 20000;
  unsigned long long seed = 20240601;
  int threads = 0;
};

void run_replenish(const ReplenishFlags& flags) {
  const bool has_level = !std::isnan(flags.service_level);
  const bool has_fill = !std::isnan(flags.fill_rate);
  const bool newsvendor = flags.mode == "newsvendor";
  if (newsvendor && (has_level || has_fill))
    throw invf::Error(INVF_ERR_INVALID_ARGUMENT,
                      "--mode newsvendor takes no service target: the critical ratio of "
                      "shortage_cost and overage_cost sets it");
  if (!newsvendor && has_level == has_fill)
    throw invf::Error(INVF_ERR_INVALID_ARGUMENT,
                      "give exactly one service target: --service-level or --fill-rate");
  if (flags.samples <= 0)
    throw invf::Error(INVF_ERR_INVALID_ARGUMENT,
                      "--samples must be positive, got " + std::to_string(flags.samples));
  invf::Options options;
  // Shortest round-trip text, so the library sees exactly the value given.
  char target[32];
  if (!newsvendor) {
    std::snprintf(target, sizeof target, "%.17g", has_level ? flags.service_level : flags.fill_rate);
    options.set(has_level ? "service_level" : "fill_rate", target);
    options.set("regime", flags.regime);  // a newsvendor buy carries nothing over
  }
  options.set("dependence", flags.dependence)
      .set("samples", std::to_string(flags.samples))
      .set("seed", std::to_string(flags.seed))
      .set("threads", std::to_string(flags.threads));
  if (!std::isnan(flags.copula_rho)) {
    if (flags.dependence != "gaussian_copula")
      throw invf::Error(INVF_ERR_INVALID_ARGUMENT,
                        "--copula-rho is only used with --dependence gaussian_copula");
    std::snprintf(target, sizeof target, "%.17g", flags.copula_rho);
    options.set("copula_rho", target);
  }

  invf::Inventory inventory = invf::Inventory::load_csv(flags.inventory);
  if (!flags.open_orders.empty()) inventory.load_open_orders_csv(flags.open_orders);
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
  command
      ->add_option("--inventory", flags->inventory,
                   "State CSV: sku,on_hand,lead_time_mean[,lead_time_sd,review_period,moq,"
                   "pack_size,max_stock,on_order,backorders,holding_cost,shortage_cost,order_cost,"
                   "service_level|fill_rate (per-SKU target),overage_cost (newsvendor)]; "
                   "lead_time_samples (e.g. 3;4;6) may replace lead_time_mean/sd")
      ->required()
      ->type_name("FILE");
  command
      ->add_option("--open-orders", flags->open_orders,
                   "Open-orders CSV: sku,quantity,arrival_day (days from today, 0 = today) or "
                   "sku,quantity,arrival_date; an order counts only if it arrives before the end "
                   "of the protection interval (lead time + review period)")
      ->type_name("FILE");
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
  command->add_option("--service-level", flags->service_level,
                      "Cycle service level target in (0,1): P(no stockout in a cycle); a SKU's "
                      "service_level or fill_rate column overrides it");
  command->add_option("--fill-rate", flags->fill_rate,
                      "Fill-rate target in (0,1): share of demand served from stock");
  command->add_option("--regime", flags->regime, "Unmet demand: lost_sales or backorder")
      ->check(CLI::IsMember({"lost_sales", "backorder"}))
      ->capture_default_str();
  command
      ->add_option("--dependence", flags->dependence,
                   "Dependence between the days of demand: independent, comonotonic, or "
                   "gaussian_copula (equal correlation --copula-rho between days)")
      ->check(CLI::IsMember({"independent", "comonotonic", "gaussian_copula"}))
      ->capture_default_str();
  command->add_option("--copula-rho", flags->copula_rho,
                      "Correlation in [0,1] between days, for --dependence gaussian_copula");
  command->add_option("--samples", flags->samples, "Monte Carlo paths per SKU")
      ->capture_default_str();
  command->add_option("--seed", flags->seed, "Random seed (same seed, same result)")
      ->capture_default_str();
  command->add_option("--threads", flags->threads, "Worker threads, 0 = all cores")
      ->capture_default_str();
  command->callback([flags] { run_replenish(*flags); });
}

}  // namespace invforecast_cli
