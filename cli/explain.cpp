// invforecast explain: why a model forecasts what it does for one series.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common.hpp"

namespace invforecast_cli {
namespace {

struct ExplainFlags {
  IngestFlags ingest;
  CovariateFlags covariates;
  std::string model;
  std::string series;
  long long horizon = 0;
  bool json = false;
  int threads = 0;
};

double sum(const std::vector<double>& values) {
  double total = 0.0;
  for (double v : values) total += v;
  return total;
}

void print_table(const invf::Explanation& e, const std::vector<double>& levels,
                 const std::string& series, const std::string& model_file) {
  const invf::Explanation::Dims d = e.dims();
  const std::string start = e.start_date();
  std::printf("Explanation of series %s by %s: %llu days from %s\n", series.c_str(),
              model_file.c_str(), static_cast<unsigned long long>(d.horizon), start.c_str());
  std::printf("Forecast, horizon total (mean): %.3f units; baseline forecast (every group at its "
              "baseline): %.3f\n",
              sum(e.forecast()), sum(e.baseline()));
  // The JSON's words for what the mean is and whose history the history group reads.
  const nlohmann::json about = nlohmann::json::parse(e.to_json());
  std::printf("Mean explained: %s\n", about["mean_definition"].get<std::string>().c_str());
  if (about["history_source"] == "analogues")
    std::printf("History: a new product's analogues, not its own (%s)\n", e.warning().c_str());
  std::printf("\n");

  std::vector<invf::Explanation::Group> groups;
  for (uint64_t g = 0; g < d.group_count; ++g) groups.push_back(e.group(g));
  std::printf("Attributions, horizon total in units (exact Shapley values; each column sums to "
              "forecast - baseline):\n");
  std::printf("%-14s %-13s %10s", "group", "kind", "mean");
  for (double level : levels) {
    char name[32];
    std::snprintf(name, sizeof name, "q%g", level);
    std::printf(" %9s", name);
  }
  std::printf("  baseline (features)\n");
  auto totals = [&](auto&& values_of) {
    std::printf(" %+10.3f", sum(values_of(INVF_EXPLAIN_MEAN)));
    for (size_t q = 0; q < levels.size(); ++q)
      std::printf(" %+9.3f", sum(values_of(static_cast<int64_t>(q))));
  };
  for (uint64_t g = 0; g < d.group_count; ++g) {
    std::printf("%-14s %-13s", groups[g].name.c_str(), groups[g].kind.c_str());
    totals([&](int64_t level) { return e.attribution(g, level); });
    std::printf("  %s (%s)\n", groups[g].baseline.c_str(), groups[g].features.c_str());
  }
  std::printf("%-28s", "forecast - baseline");
  totals([&](int64_t level) {
    std::vector<double> diff = e.forecast(level);
    const std::vector<double> base = e.baseline(level);
    for (size_t i = 0; i < diff.size(); ++i) diff[i] -= base[i];
    return diff;
  });
  std::printf("\n\nAttributions per day, mean in units:\n%-10s %9s %9s", "date", "forecast",
              "baseline");
  for (const auto& g : groups) std::printf(" %12.12s", g.name.c_str());
  std::printf("\n");
  const std::vector<double> forecast = e.forecast(), baseline = e.baseline();
  std::vector<std::vector<double>> daily;
  for (uint64_t g = 0; g < d.group_count; ++g) daily.push_back(e.attribution(g));
  for (uint64_t day = 0; day < d.horizon; ++day) {
    std::printf("%-10s %9.3f %9.3f", add_days(start, static_cast<long>(day)).c_str(),
                forecast[day], baseline[day]);
    for (const auto& values : daily) std::printf(" %+12.3f", values[day]);
    std::printf("\n");
  }

  std::printf("\nAttention over the context's patches (weight each patch gets per layer, "
              "averaged over heads and tokens; * = zero padding before the series' start):\n");
  std::printf("%-5s %-10s %-10s", "patch", "first", "last");
  for (uint64_t l = 0; l < d.layers; ++l) std::printf("  layer%-3llu", static_cast<unsigned long long>(l + 1));
  std::printf("\n");
  const std::vector<double> attention = e.attention();
  for (uint64_t t = 0; t < d.patches; ++t) {
    const invf::Explanation::Patch p = e.patch(t);
    std::printf("%-5llu %-10s %-10s", static_cast<unsigned long long>(t), p.first.c_str(),
                p.last.c_str());
    for (uint64_t l = 0; l < d.layers; ++l)
      std::printf("  %8.4f", attention[l * d.patches + t]);
    std::printf("%s\n", p.padding_days > 0 ? " *" : "");
  }
}

void run_explain(const ExplainFlags& flags) {
  if (flags.horizon < 0)
    throw invf::Error(INVF_ERR_INVALID_ARGUMENT,
                      "--horizon must be a number of days (0 = the model's), got " +
                          std::to_string(flags.horizon));
  Settings settings;
  flags.ingest.apply(settings);
  flags.covariates.apply(settings);
  settings.set("threads", std::to_string(flags.threads));
  settings.require_read(INVF_DOMAIN_DATA | INVF_DOMAIN_FORECAST, "explain");

  const invf::Options options = settings.for_call(INVF_DOMAIN_FORECAST);
  const invf::Model model = invf::Model::load(flags.model, &options);
  const invf::Options ingest = settings.for_call(INVF_DOMAIN_DATA);
  invf::Dataset dataset = invf::Dataset::load_csv(flags.ingest.data, &ingest);
  flags.covariates.read_into(dataset, ingest);
  const invf::Explanation explanation = invf::Explanation::create(
      model, dataset, flags.series, static_cast<uint64_t>(flags.horizon), &options);
  if (flags.json)
    std::printf("%s\n", explanation.to_json().c_str());
  else
    print_table(explanation, model.quantile_levels(), flags.series, flags.model);
  // Warnings after success only, so that a failure is reported by one line.
  print_warnings(dataset.warnings(), 10);
  if (!explanation.warning().empty()) print_warnings({explanation.warning()}, 1);
}

}  // namespace

void register_explain(CLI::App& app) {
  auto flags = std::make_shared<ExplainFlags>();
  CLI::App* command = app.add_subcommand(
      "explain",
      "Explain a model's forecast of one series: attention over its past patches and each "
      "input group's share (exact Shapley values against a stated baseline)");
  flags->ingest.add_to(*command);
  flags->covariates.add_to(*command, true);
  command->add_option("--model", flags->model, "Model file (invforecast format)")
      ->required()
      ->type_name("FILE");
  command->add_option("--series", flags->series, "The series to explain (its series_id)")
      ->required()
      ->type_name("ID");
  command->add_option("--horizon,-H", flags->horizon,
                      "Days to explain, from the day after the series' last date (default 0: "
                      "the model's horizon)")
      ->type_name("DAYS");
  command->add_flag("--json", flags->json,
                    "Print the whole explanation as JSON (every quantile per day) instead of "
                    "tables");
  command->add_option("--threads", flags->threads, "Worker threads, 0 = all cores")
      ->capture_default_str();
  command->callback([flags] { run_explain(*flags); });
}

}  // namespace invforecast_cli
