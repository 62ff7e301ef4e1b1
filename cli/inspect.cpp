// invforecast inspect: what a dataset holds, overall and per series.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>

#include <nlohmann/json.hpp>

#include "common.hpp"

namespace invforecast_cli {
namespace {

const char* const kClassNames[] = {"smooth", "erratic", "intermittent", "lumpy"};

struct InspectFlags {
  IngestFlags ingest;
  bool json = false;
};

struct SeriesRow {
  std::string id, start, end, launch;
  size_t length, observed, gaps;
  double zero_fraction, adi, cv2;
  int demand_class;
};

// A number for JSON: NaN and infinities have no JSON form, so they become null.
nlohmann::json number(double value) {
  return std::isfinite(value) ? nlohmann::json(value) : nlohmann::json(nullptr);
}

void run_inspect(const InspectFlags& flags) {
  Settings settings;
  flags.ingest.apply(settings);
  settings.require_read(INVF_DOMAIN_DATA, "inspect");
  const invf::Options options = settings.for_call(INVF_DOMAIN_DATA);
  const invf::Dataset dataset = invf::Dataset::load_csv(flags.ingest.data, &options);

  std::vector<SeriesRow> rows;
  const size_t count = dataset.series_count();
  size_t days = 0, observed = 0, gaps = 0, class_counts[4] = {0, 0, 0, 0};
  double launched_days = 0.0, zero_days = 0.0;
  std::string first, last;
  for (size_t s = 0; s < count; ++s) {
    SeriesRow row;
    row.id = dataset.series_id(s);
    row.start = dataset.series_start_date(s);
    row.length = dataset.series_length(s);
    row.end = add_days(row.start, static_cast<long>(row.length) - 1);
    const double launch = dataset.series_stat(s, "launch_offset");
    row.launch = launch < 0 ? "never" : add_days(row.start, static_cast<long>(launch));
    row.observed = static_cast<size_t>(dataset.series_stat(s, "observed_days"));
    row.gaps = static_cast<size_t>(dataset.series_stat(s, "gap_days"));
    row.zero_fraction = dataset.series_stat(s, "zero_fraction");
    row.adi = dataset.series_stat(s, "adi");
    row.cv2 = dataset.series_stat(s, "cv2");
    row.demand_class = std::clamp(static_cast<int>(dataset.series_stat(s, "class")), 0, 3);

    days += row.length;
    observed += row.observed;
    gaps += row.gaps;
    ++class_counts[row.demand_class];
    if (launch >= 0) {
      const double after_launch = static_cast<double>(row.length) - launch;
      launched_days += after_launch;
      zero_days += row.zero_fraction * after_launch;
    }
    if (first.empty() || row.start < first) first = row.start;
    if (last.empty() || row.end > last) last = row.end;
    rows.push_back(std::move(row));
  }
  const double zero_fraction = launched_days > 0 ? zero_days / launched_days : 0.0;
  const std::vector<invf::Column> columns = dataset.columns();
  const std::vector<std::string> warnings = dataset.warnings();

  if (flags.json) {
    nlohmann::json out;
    out["file"] = flags.ingest.data;
    out["series"] = count;
    out["rows"] = observed;
    out["days"] = days;
    out["first_date"] = first;
    out["last_date"] = last;
    out["gap_days"] = gaps;
    out["zero_fraction"] = number(zero_fraction);
    for (int c = 0; c < 4; ++c) out["classes"][kClassNames[c]] = class_counts[c];
    out["columns"] = nlohmann::json::array();
    for (const invf::Column& column : columns)
      out["columns"].push_back(
          {{"name", column.name}, {"kind", column.numeric ? "numeric" : "categorical"}});
    out["warnings"] = warnings;
    out["per_series"] = nlohmann::json::array();
    for (const SeriesRow& row : rows)
      out["per_series"].push_back({{"id", row.id},
                                   {"start", row.start},
                                   {"end", row.end},
                                   {"length", row.length},
                                   {"observed_days", row.observed},
                                   {"gap_days", row.gaps},
                                   {"launch", row.launch},
                                   {"zero_fraction", number(row.zero_fraction)},
                                   {"adi", number(row.adi)},
                                   {"cv2", number(row.cv2)},
                                   {"class", kClassNames[row.demand_class]}});
    std::printf("%s\n", out.dump(2).c_str());
    return;
  }

  std::printf("file          %s\n", flags.ingest.data.c_str());
  std::printf("series        %zu\n", count);
  std::printf("rows          %zu observed days, %zu calendar days\n", observed, days);
  std::printf("date range    %s .. %s\n", first.c_str(), last.c_str());
  std::printf("gap days      %zu (filled)\n", gaps);
  std::printf("zero fraction %.3f (after launch)\n", zero_fraction);
  std::printf("classes       smooth %zu, erratic %zu, intermittent %zu, lumpy %zu\n",
              class_counts[0], class_counts[1], class_counts[2], class_counts[3]);
  std::printf("columns      ");
  for (const invf::Column& column : columns)
    std::printf(" %s (%s)", column.name.c_str(), column.numeric ? "numeric" : "categorical");
  std::printf("%s\n\n", columns.empty() ? " none" : "");

  size_t id_width = 9;
  for (const SeriesRow& row : rows) id_width = std::max(id_width, row.id.size());
  const int w = static_cast<int>(id_width);
  std::printf("%-*s  %-10s  %-10s  %6s  %-10s  %5s  %6s  %6s  %s\n", w, "series_id", "start",
              "end", "length", "launch", "zero", "ADI", "CV2", "class");
  for (const SeriesRow& row : rows)
    std::printf("%-*s  %-10s  %-10s  %6zu  %-10s  %5.3f  %6.2f  %6.2f  %s\n", w, row.id.c_str(),
                row.start.c_str(), row.end.c_str(), row.length, row.launch.c_str(),
                row.zero_fraction, row.adi, row.cv2, kClassNames[row.demand_class]);
  std::fflush(stdout);  // the table first, then the warnings, when both go to one terminal
  print_warnings(warnings, 10);
}

}  // namespace

void register_inspect(CLI::App& app) {
  auto flags = std::make_shared<InspectFlags>();
  CLI::App* command = app.add_subcommand(
      "inspect", "Summarise a dataset: series, date range, gaps, zeros, demand classes");
  flags->ingest.add_to(*command);
  command->add_flag("--json", flags->json, "Print the summary as JSON");
  command->callback([flags] { run_inspect(*flags); });
}

}  // namespace invforecast_cli
