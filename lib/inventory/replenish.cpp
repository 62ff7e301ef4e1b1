#include "inventory/replenish.hpp"

#include <algorithm>
#include <cmath>
#include <functional>

#include "error.hpp"

namespace invforecast {

namespace {

void require_non_negative(double value, std::string_view field, std::string_view sku) {
  if (!std::isfinite(value) || value < 0.0)
    fail(ErrorCode::InvalidArgument, "SKU '{}': {} must be a finite number >= 0, got {}", sku, field,
         value);
}

void validate_order_constraints(double moq, double pack_size, double max_stock, std::string_view sku) {
  if (!std::isfinite(pack_size) || pack_size <= 0.0)
    fail(ErrorCode::InvalidArgument, "SKU '{}': pack_size must be > 0, got {}", sku, pack_size);
  require_non_negative(moq, "moq", sku);
  const double packs = moq / pack_size;
  if (std::abs(packs - std::round(packs)) > 1e-9 * std::max(1.0, packs))
    fail(ErrorCode::InvalidArgument, "SKU '{}': moq {} is not a multiple of pack_size {}", sku, moq,
         pack_size);
  if (std::isnan(max_stock) || max_stock <= 0.0)
    fail(ErrorCode::InvalidArgument, "SKU '{}': max_stock must be > 0, got {}", sku, max_stock);
}

void validate_inventory(const SkuInventory& inventory) {
  const std::string_view sku = inventory.sku;
  require_non_negative(inventory.on_hand, "on_hand", sku);
  require_non_negative(inventory.backorders, "backorders", sku);
  if (inventory.regime == StockoutRegime::LostSales && inventory.backorders > 0.0)
    fail(ErrorCode::InvalidArgument, "SKU '{}': backorders must be 0 under lost sales, got {}", sku,
         inventory.backorders);
  for (const OpenOrder& order : inventory.open_orders) {
    require_non_negative(order.quantity, "open order quantity", sku);
    if (order.arrival_day < 0)
      fail(ErrorCode::InvalidArgument, "SKU '{}': open order arrival_day must be >= 0, got {}", sku,
           order.arrival_day);
  }
  if (inventory.review_period_days < 1)
    fail(ErrorCode::InvalidArgument, "SKU '{}': review_period must be at least 1 day, got {}", sku,
         inventory.review_period_days);
  const std::string_view target_name =
      inventory.service_measure == ServiceMeasure::FillRate ? "fill_rate" : "service_level";
  if (!(inventory.service_target > 0.0 && inventory.service_target < 1.0))
    fail(ErrorCode::InvalidArgument, "SKU '{}': {} must be in (0, 1), got {}", sku, target_name,
         inventory.service_target);
  require_non_negative(inventory.costs.holding_per_unit_day, "holding cost", sku);
  require_non_negative(inventory.costs.shortage_per_unit, "shortage cost", sku);
  require_non_negative(inventory.costs.fixed_per_order, "fixed order cost", sku);
  validate_order_constraints(inventory.moq, inventory.pack_size, inventory.max_stock, sku);
}

// Smallest level x in [0, highest] with shortage(x) <= allowed, for a
// shortage that does not increase with x and is 0 at `highest`.  Bisection
// to a relative width of 1e-12: the sample loss functions are piecewise
// linear, so this is exact to rounding.
double smallest_level_with_shortage_at_most(const std::function<double(double)>& shortage,
                                            double allowed, double highest) {
  if (shortage(0.0) <= allowed) return 0.0;
  double low = 0.0;
  double high = highest;
  while (high - low > 1e-12 * std::max(1.0, high)) {
    const double middle = 0.5 * (low + high);
    if (middle <= low || middle >= high) break;
    (shortage(middle) <= allowed ? high : low) = middle;
  }
  return high;
}

const char* dependence_name(const SamplingOptions& options) {
  switch (options.dependence) {
    case Dependence::Independent: return "independent days";
    case Dependence::Comonotonic: return "comonotonic days (one level for all days)";
    case Dependence::GaussianCopula: return "Gaussian copula with equal correlation between days";
  }
  return "";
}

std::string sampling_method(const SamplingOptions& options) {
  std::string text = fmt::format(
      "Monte Carlo sum of daily quantile functions ({} samples, seed {}, {}", options.samples,
      options.seed, dependence_name(options));
  if (options.dependence == Dependence::GaussianCopula) text += fmt::format(" rho={}", options.copula_rho);
  return text +
         "); each day piecewise linear between quantile levels, first segment extended "
         "linearly to level 0 and clamped at 0, exponential tail above the top level";
}

}  // namespace

ServiceMeasure parse_service_measure(std::string_view name) {
  if (name == "service_level") return ServiceMeasure::CycleServiceLevel;
  if (name == "fill_rate") return ServiceMeasure::FillRate;
  fail(ErrorCode::InvalidArgument, "unknown service measure '{}' (service_level, fill_rate)", name);
}

StockoutRegime parse_stockout_regime(std::string_view name) {
  if (name == "lost_sales") return StockoutRegime::LostSales;
  if (name == "backorder") return StockoutRegime::Backorder;
  fail(ErrorCode::InvalidArgument, "unknown stockout regime '{}' (lost_sales, backorder)", name);
}

Dependence parse_dependence(std::string_view name) {
  if (name == "independent") return Dependence::Independent;
  if (name == "comonotonic") return Dependence::Comonotonic;
  if (name == "gaussian_copula") return Dependence::GaussianCopula;
  fail(ErrorCode::InvalidArgument,
       "unknown dependence '{}' (independent, comonotonic, gaussian_copula)", name);
}

double round_order_quantity(double needed, double position, double moq, double pack_size,
                            double max_stock, bool& capped) {
  capped = false;
  // Shortfalls below 1e-9 units are rounding noise, not a reason to order a pack.
  if (!(needed > 1e-9)) return 0.0;
  const double packs = std::max(1.0, std::ceil(needed / pack_size - 1e-9));
  double quantity = std::max(packs * pack_size, moq);
  if (position + quantity > max_stock) {
    capped = true;
    const double room = max_stock - position;
    quantity = room > 0.0 ? std::floor(room / pack_size + 1e-9) * pack_size : 0.0;
    if (quantity < moq || quantity <= 0.0) quantity = 0.0;
  }
  return quantity;
}

ReplenishDecision replenish(const SkuInventory& inventory, const DailyQuantiles& forecast,
                            const ReplenishOptions& options) {
  const std::string_view sku = inventory.sku;
  validate_inventory(inventory);
  validate_daily_quantiles(forecast, sku);
  const LeadTimeDistribution lead_time = discretise_lead_time(inventory.lead_time, sku);
  const int review = inventory.review_period_days;
  ProtectionSamples samples =
      sample_protection_demand(forecast, lead_time, review, options.sampling, sku);

  const SampleDistribution lead_demand(std::move(samples.lead_time_demand));
  const SampleDistribution protection_demand(std::move(samples.protection_demand));
  const double review_mean = protection_demand.mean() - lead_demand.mean();
  const bool backorder = inventory.regime == StockoutRegime::Backorder;

  // Expected units short per cycle when the position after ordering is y.
  const auto cycle_shortage = [&](double y) {
    const double excess = protection_demand.expected_excess(y);
    return backorder ? std::max(0.0, excess - lead_demand.expected_excess(y)) : excess;
  };
  const auto fill_rate = [&](double shortage) {
    return review_mean > 0.0 ? std::clamp(1.0 - shortage / review_mean, 0.0, 1.0) : 1.0;
  };

  ReplenishDecision out;
  out.sku = inventory.sku;
  out.lead_time_demand = summarise(lead_demand, options.report_levels);
  out.protection_demand = summarise(protection_demand, options.report_levels);
  out.review_demand_mean = review_mean;
  out.lead_time_mean = lead_time.mean();
  out.lead_time_sd = std::sqrt(lead_time.variance());
  out.longest_protection_days = lead_time.max_days() + review;

  const double target = inventory.service_target;
  if (inventory.service_measure == ServiceMeasure::CycleServiceLevel) {
    out.order_up_to = protection_demand.quantile(target);
    out.reorder_point = lead_demand.quantile(target);
  } else {
    const double allowed = (1.0 - target) * review_mean;
    out.order_up_to = smallest_level_with_shortage_at_most(cycle_shortage, allowed, protection_demand.max());
    out.reorder_point = smallest_level_with_shortage_at_most(
        [&](double s) { return lead_demand.expected_excess(s); }, allowed, lead_demand.max());
  }
  out.safety_stock = out.reorder_point - lead_demand.mean();
  out.cycle_safety_stock = out.order_up_to - protection_demand.mean();

  // Arrival day a means available from forecast day a + 1 on, so an order
  // covers part of the protection interval (days 1..longest) only if a < longest.
  for (const OpenOrder& order : inventory.open_orders)
    (order.arrival_day < out.longest_protection_days ? out.pipeline_counted : out.pipeline_later) +=
        order.quantity;
  out.inventory_position = inventory.on_hand - inventory.backorders + out.pipeline_counted;
  out.unrounded_order = std::max(0.0, out.order_up_to - out.inventory_position);
  out.order_quantity =
      round_order_quantity(out.unrounded_order, out.inventory_position, inventory.moq,
                           inventory.pack_size, inventory.max_stock, out.capped_by_max_stock);

  const double position_after = out.inventory_position + out.order_quantity;
  out.stockout_probability = 1.0 - protection_demand.cdf(position_after);
  out.expected_shortage = cycle_shortage(position_after);
  out.expected_fill_rate = fill_rate(out.expected_shortage);
  // (y - D)^+ = y - D + (D - y)^+, so its mean needs only the loss function.
  out.expected_ending_stock =
      position_after - protection_demand.mean() + protection_demand.expected_excess(position_after);
  const InventoryCosts& costs = inventory.costs;
  out.expected_cycle_cost =
      (out.order_quantity > 0.0 ? costs.fixed_per_order : 0.0) +
      costs.holding_per_unit_day * review * (out.expected_ending_stock + 0.5 * review_mean) +
      costs.shortage_per_unit * out.expected_shortage;

  out.mean_daily_demand = protection_demand.mean() / (out.lead_time_mean + review);
  out.days_of_cover = out.mean_daily_demand > 0.0 ? inventory.on_hand / out.mean_daily_demand
                                                  : std::numeric_limits<double>::infinity();

  const std::string service =
      inventory.service_measure == ServiceMeasure::CycleServiceLevel
          ? fmt::format("cycle service level {}", target)
          : fmt::format("fill rate {} (shortage per cycle over mean review-period demand)", target);
  out.method = fmt::format(
      "{}; lead time {:.3g} +- {:.3g} days over {}..{} days; periodic review every {} days, "
      "order up to S; {}; {}",
      sampling_method(options.sampling), out.lead_time_mean, out.lead_time_sd, lead_time.min_days,
      lead_time.max_days(), review, service, backorder ? "backorders" : "lost sales");
  return out;
}

NewsvendorDecision newsvendor(const NewsvendorInput& input, const DailyQuantiles& forecast,
                              const ReplenishOptions& options) {
  const std::string_view sku = input.sku;
  require_non_negative(input.on_hand, "on_hand", sku);
  if (!std::isfinite(input.underage_cost) || input.underage_cost <= 0.0)
    fail(ErrorCode::InvalidArgument,
         "SKU '{}': newsvendor needs shortage_cost > 0 (the underage cost: a unit of demand not "
         "met), got {}",
         sku, input.underage_cost);
  if (!std::isfinite(input.overage_cost) || input.overage_cost <= 0.0)
    fail(ErrorCode::InvalidArgument,
         "SKU '{}': newsvendor needs overage_cost > 0 (the cost of a unit left over), got {}", sku,
         input.overage_cost);
  validate_order_constraints(input.moq, input.pack_size, input.max_stock, sku);
  validate_daily_quantiles(forecast, sku);

  const SampleDistribution demand(
      sample_window_demand(forecast, input.first_day, input.period_days, options.sampling, sku));
  NewsvendorDecision out;
  out.sku = input.sku;
  out.demand = summarise(demand, options.report_levels);
  out.critical_ratio = input.underage_cost / (input.underage_cost + input.overage_cost);
  out.target_stock = demand.quantile(out.critical_ratio);
  out.unrounded_order = std::max(0.0, out.target_stock - input.on_hand);
  out.order_quantity = round_order_quantity(out.unrounded_order, input.on_hand, input.moq,
                                            input.pack_size, input.max_stock, out.capped_by_max_stock);
  const double stock = input.on_hand + out.order_quantity;
  out.stockout_probability = 1.0 - demand.cdf(stock);
  out.expected_lost_sales = demand.expected_excess(stock);
  out.expected_sales = demand.mean() - out.expected_lost_sales;
  out.expected_leftover = stock - out.expected_sales;
  out.method = fmt::format("{}; newsvendor over days {}..{}, critical ratio cu/(cu+co) = {:.6g}",
                           sampling_method(options.sampling), input.first_day,
                           input.first_day + input.period_days - 1, out.critical_ratio);
  return out;
}

}  // namespace invforecast
