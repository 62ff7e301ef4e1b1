// invforecast whatif: the model's forecast of some series with and without
// edits to their known-future covariates, side by side: units, revenue and
// the replenishment orders of each.
#include <cmath>
#include <cstdio>
#include <memory>
#include <optional>

#include "common.hpp"

namespace invforecast_cli {
namespace {

struct WhatIfFlags {
  IngestFlags ingest;
  CovariateFlags covariates;
  std::string model;
  std::vector<std::string> edits;
  std::string series;
  std::string from, to;
  long long horizon = 0;
  InventoryFlags stock;
  bool json = false;
  std::string out;
  std::string open_column;
  int threads = 0;
  ProgressMode progress = ProgressMode::Auto;
};

// Per-day rows are printed for at most this many series (the CSV and JSON hold them all).
constexpr size_t kDaySeries = 10;

double sum(const std::vector<double>& values) {
  double total = 0.0;
  for (double v : values)
    if (std::isfinite(v)) total += v;
  return total;
}

std::string change(double base, double scenario) {
  if (base == 0.0) return "-";
  char text[32];
  std::snprintf(text, sizeof text, "%+.1f%%", 100.0 * (scenario / base - 1.0));
  return text;
}

void print_report(const invf::WhatIf& result, const std::vector<std::string>& edits,
                  bool with_orders) {
  const invf::Forecast base = result.forecast(INVF_WHATIF_BASE);
  const invf::Forecast scenario = result.forecast(INVF_WHATIF_SCENARIO);
  const bool revenue = result.has_revenue();
  std::optional<invf::Replenishment> base_orders, scenario_orders;
  if (with_orders) {
    base_orders.emplace(result.replenishment(INVF_WHATIF_BASE));
    scenario_orders.emplace(result.replenishment(INVF_WHATIF_SCENARIO));
  }
  std::string edit_list;
  for (const std::string& edit : edits) edit_list += (edit_list.empty() ? "" : " ") + edit;
  std::printf("what-if %s: %zu series x %zu days; revenue %s\n", edit_list.c_str(),
              base.series_count(), base.horizon(),
              revenue ? "= mean units x the day's price" : "absent (the data has no price column)");
  std::printf("%-24s %11s %11s %7s %12s %12s %7s %9s %9s\n", "series", "base_units", "scen_units",
              "change", "base_revenue", "scen_revenue", "change", "base_ord", "scen_ord");
  for (size_t s = 0; s < base.series_count(); ++s) {
    const double units = sum(base.mean(s)), scen_units = sum(scenario.mean(s));
    char money[2][16] = {"-", "-"}, money_change[16] = "-";
    if (revenue) {
      const double b = sum(result.revenue(INVF_WHATIF_BASE, s));
      const double c = sum(result.revenue(INVF_WHATIF_SCENARIO, s));
      std::snprintf(money[0], sizeof money[0], "%.2f", b);
      std::snprintf(money[1], sizeof money[1], "%.2f", c);
      std::snprintf(money_change, sizeof money_change, "%s", change(b, c).c_str());
    }
    // The orders of the series' SKU, when the inventory has one.
    char orders[2][16] = {"-", "-"};
    const std::string id = base.series_id(s);
    for (size_t k = 0; base_orders && k < base_orders->sku_count(); ++k)
      if (base_orders->sku_id(k) == id) {
        std::snprintf(orders[0], sizeof orders[0], "%g", base_orders->value(k, "order_quantity"));
        std::snprintf(orders[1], sizeof orders[1], "%g", scenario_orders->value(k, "order_quantity"));
      }
    std::printf("%-24s %11.2f %11.2f %7s %12s %12s %7s %9s %9s\n", id.c_str(), units, scen_units,
                change(units, scen_units).c_str(), money[0], money[1], money_change, orders[0],
                orders[1]);
  }
  if (base.series_count() > kDaySeries) {
    std::printf("per-day rows: --out CSV or --json (printed for at most %zu series)\n", kDaySeries);
    return;
  }
  for (size_t s = 0; s < base.series_count(); ++s) {
    std::printf("\n%s (* = edited day)\n%-10s %1s %10s %10s %10s %10s\n", base.series_id(s).c_str(),
                "date", "", "base_mean", "scen_mean", "base_price", "scen_price");
    const std::vector<double> mean = base.mean(s), scen_mean = scenario.mean(s);
    const std::vector<uint8_t> edited = result.edited_days(s);
    std::vector<double> price, scen_price;
    if (revenue) {
      price = result.price(INVF_WHATIF_BASE, s);
      scen_price = result.price(INVF_WHATIF_SCENARIO, s);
    }
    const std::string start = base.start_date(s);
    for (size_t d = 0; d < mean.size(); ++d) {
      char prices[2][16] = {"-", "-"};
      if (revenue) {
        std::snprintf(prices[0], sizeof prices[0], "%.4g", price[d]);
        std::snprintf(prices[1], sizeof prices[1], "%.4g", scen_price[d]);
      }
      std::printf("%-10s %1s %10.3f %10.3f %10s %10s\n",
                  add_days(start, static_cast<long>(d)).c_str(), edited[d] ? "*" : "", mean[d],
                  scen_mean[d], prices[0], prices[1]);
    }
  }
}

void run_whatif(const WhatIfFlags& flags) {
  if (flags.horizon < 0)
    throw invf::Error(INVF_ERR_INVALID_ARGUMENT,
                      "--horizon must be a number of days (0: the model's), got " +
                          std::to_string(flags.horizon));
  const bool with_orders = !flags.stock.inventory.empty();
  if (!with_orders && !flags.stock.open_orders.empty())
    throw invf::Error(INVF_ERR_INVALID_ARGUMENT, "--open-orders needs --inventory");
  Settings settings;
  flags.ingest.apply(settings);
  flags.covariates.apply(settings);
  if (with_orders)
    for (const auto& [key, value] : flags.stock.keys(false, false)) settings.set(key, value);
  if (!flags.open_column.empty()) settings.set("open_column", flags.open_column);
  settings.set("threads", std::to_string(flags.threads));
  settings.require_read(INVF_DOMAIN_DATA | INVF_DOMAIN_FORECAST | INVF_DOMAIN_INVENTORY, "whatif");
  ProgressBar bar(flags.progress);
  bar.attach(settings);

  // The scenario's syntax and the model are checked before the data is read.
  invf::Scenario scenario;
  for (const std::string& edit : flags.edits) scenario.add_edit(edit);
  scenario.set_series(split_list(flags.series)).set_dates(flags.from, flags.to);
  const invf::Options load = settings.for_call(INVF_DOMAIN_FORECAST);
  const invf::Model model = invf::Model::load(flags.model, &load);
  std::optional<invf::Inventory> inventory;
  if (with_orders) inventory.emplace(flags.stock.load());
  const invf::Options ingest = settings.for_call(INVF_DOMAIN_DATA);
  invf::Dataset dataset = invf::Dataset::load_csv(flags.ingest.data, &ingest);
  flags.covariates.read_into(dataset, ingest);
  const invf::Options options = settings.for_call(INVF_DOMAIN_FORECAST | INVF_DOMAIN_INVENTORY);
  const invf::WhatIf result =
      invf::WhatIf::run(model, dataset, scenario, static_cast<size_t>(flags.horizon),
                        inventory ? &*inventory : nullptr, &options);
  if (!flags.out.empty()) result.write_csv(flags.out);
  print_warnings(dataset.warnings(), 10);
  print_warnings(result.forecast(INVF_WHATIF_BASE).warnings(), 10);
  if (flags.json) {
    std::printf("%s\n", result.to_json().c_str());
    return;
  }
  print_report(result, flags.edits, with_orders);
  if (!flags.out.empty()) std::printf("wrote %s\n", flags.out.c_str());
}

}  // namespace

void register_whatif(CLI::App& app) {
  auto flags = std::make_shared<WhatIfFlags>();
  CLI::App* command = app.add_subcommand(
      "whatif",
      "The model's forecast with edited known-future covariates (a price, a promotion) beside "
      "the base forecast: units, revenue and replenishment orders");
  flags->ingest.add_to(*command);
  flags->covariates.add_to(*command, true);
  command->add_option("--model", flags->model, "Model file trained with covariates")
      ->required()
      ->type_name("FILE");
  command
      ->add_option("--edit", flags->edits,
                   "An edit of a known-future column on the scenario's days: COL*=x (scale), "
                   "COL+=x (add), COL=x (set a real column) or COL=LEVEL (a categorical one, a "
                   "level the model knows), e.g. 'price*=0.9'; repeatable, applied in order")
      ->required()
      ->type_name("EDIT");
  command->add_option("--series", flags->series,
                      "Comma-separated series the scenario edits and reports (default every one)")
      ->type_name("IDS");
  command->add_option("--from", flags->from,
                      "First edited day, YYYY-MM-DD (default each series' first forecast day)")
      ->type_name("DATE");
  command->add_option("--to", flags->to,
                      "Last edited day, YYYY-MM-DD (default each series' last forecast day)")
      ->type_name("DATE");
  command
      ->add_option("--horizon,-H", flags->horizon,
                   "Days to forecast; 0 = the model's horizon, or the --future days when fewer")
      ->capture_default_str()
      ->type_name("DAYS");
  flags->stock.add_to(*command, false);
  command->add_flag("--json", flags->json,
                    "Print the whole result as JSON (per series and per day, both sides)");
  command
      ->add_option("--out,-o", flags->out,
                   "Also write the per-day CSV: series_id,date,edited,base_mean,scenario_mean,"
                   "base_price,scenario_price,base_revenue,scenario_revenue,base_q...,scenario_q...")
      ->type_name("FILE");
  command->add_option("--threads", flags->threads, "Worker threads, 0 = all cores")
      ->capture_default_str();
  add_open_column_flag(*command, flags->open_column);
  add_progress_flag(*command, flags->progress);
  command->callback([flags] { run_whatif(*flags); });
}

}  // namespace invforecast_cli
