// What-if scenarios (lib/methods/whatif.*): the edit syntax, the scenario
// applied to a dataset's known-future days, and each error case.  The
// forecasts side by side are tested through the C ABI (capi_whatif.cpp) and
// the CLI (script_whatif.sh).
#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

#include "core/date.hpp"
#include "data/dataset.hpp"
#include "data/future_covariates.hpp"
#include "error.hpp"
#include "error_matchers.hpp"
#include "methods/whatif.hpp"
#include "model/features.hpp"
#include "test_files.hpp"

using namespace invforecast;
using invforecast::testing::check_error;

namespace {

Day day(const char* text) { return *parse_iso_date(text); }

const Column& column(const Dataset& data, const char* name) {
  const int index = data.find_column(name);
  REQUIRE(index >= 0);
  return data.columns[static_cast<size_t>(index)];
}

// A: 2024-01-01..03, B: 2024-01-02..03, both with three future days 01-04..06.
// price and promo vary (known-future), weather is past-only, store static,
// event categorical ("clearance" only in the future, so no model knows it).
struct Data {
  testing::Folder folder{"whatif"};
  IngestOptions options;
  Dataset history, data;

  Data() {
    options.set("past_only", "weather");
    testing::put(folder.file("history.csv"),
                 "series_id,date,value,price,promo,weather,store,event\n"
                 "A,2024-01-01,1,2.0,0,10,north,\n"
                 "A,2024-01-02,2,2.5,1,11,north,sale\n"
                 "A,2024-01-03,3,2.5,0,12,north,\n"
                 "B,2024-01-02,4,1.0,0,13,south,\n"
                 "B,2024-01-03,5,1.0,1,14,south,sale\n");
    testing::put(folder.file("future.csv"),
                 "series_id,date,price,promo,store,event\n"
                 "A,2024-01-04,3.0,1,north,\n"
                 "A,2024-01-05,3.5,0,north,clearance\n"
                 "A,2024-01-06,3.5,0,north,\n"
                 "B,2024-01-04,1.5,0,south,\n"
                 "B,2024-01-05,1.5,1,south,sale\n"
                 "B,2024-01-06,1.5,1,south,\n");
    history = read_csv(folder.file("history.csv"), options);
    data = with_future(history,
                       read_covariate_csv(folder.file("future.csv"), history, options, true),
                       options);
  }
};

std::vector<FeatureSpec> features_of(const Dataset& data, std::vector<std::string> columns = {}) {
  FeatureSelection selection;
  selection.columns = std::move(columns);
  return fit_features(data, selection, 0);
}

Scenario scenario_of(std::vector<std::string> edits, std::vector<std::string> series = {}) {
  Scenario scenario;
  for (const std::string& edit : edits) scenario.edits.push_back(parse_edit(edit));
  scenario.series = std::move(series);
  return scenario;
}

}  // namespace

TEST_CASE("parse_edit reads the four forms and refuses malformed edits", "[whatif]") {
  const CovariateEdit scale = parse_edit("price*=0.8");
  CHECK(scale.column == "price");
  CHECK(scale.op == CovariateEdit::Op::Scale);
  CHECK(scale.number == 0.8);
  CHECK(scale.text == "price*=0.8");
  const CovariateEdit add = parse_edit("price+=-0.5");
  CHECK(add.op == CovariateEdit::Op::Add);
  CHECK(add.number == -0.5);
  const CovariateEdit set = parse_edit("promo=1");
  CHECK(set.op == CovariateEdit::Op::Set);
  CHECK(set.number == 1.0);
  const CovariateEdit level = parse_edit("event=Super Bowl");
  CHECK(level.op == CovariateEdit::Op::Set);
  CHECK(level.operand == "Super Bowl");
  CHECK_FALSE(level.number);

  check_error([] { parse_edit("price0.8"); }, ErrorCode::InvalidArgument,
              "edit 'price0.8' has no operator: expected COL*=x, COL+=x, COL=x or COL=LEVEL");
  check_error([] { parse_edit("*=2"); }, ErrorCode::InvalidArgument, "edit '*=2' names no column");
  check_error([] { parse_edit("price="); }, ErrorCode::InvalidArgument,
              "edit 'price=' gives no value");
  check_error([] { parse_edit("price*=cheap"); }, ErrorCode::InvalidArgument,
              "edit 'price*=cheap': 'cheap' is not a finite number");
  check_error([] { parse_edit("price*=inf"); }, ErrorCode::InvalidArgument,
              "'inf' is not a finite number");
  check_error([] { parse_edit("price+=nan"); }, ErrorCode::InvalidArgument,
              "'nan' is not a finite number");
}

TEST_CASE("a scenario edits the chosen series' known-future days and nothing else", "[whatif]") {
  Data d;
  const std::vector<FeatureSpec> features = features_of(d.data);
  Scenario scenario = scenario_of({"price*=0.5", "price+=1", "promo=1", "event=sale"}, {"A"});
  scenario.from = day("2024-01-05");
  const ScenarioData out = apply_scenario(d.data, features, scenario, 3);
  // Only A, in both datasets; the base is the data's A untouched.
  REQUIRE(out.base.series.size() == 1);
  REQUIRE(out.scenario.series.size() == 1);
  CHECK(out.base.series[0].id == "A");
  CHECK(column(out.base, "price").numeric_values[0] == column(d.data, "price").numeric_values[0]);
  // Edits in order on 01-05 and 01-06 (to = the last forecast day): 3.5 * 0.5 + 1.
  CHECK(column(out.scenario, "price").numeric_values[0] ==
        std::vector<double>{2.0, 2.5, 2.5, 3.0, 2.75, 2.75});
  CHECK(column(out.scenario, "promo").numeric_values[0] ==
        std::vector<double>{0, 1, 0, 1, 1, 1});
  const Column& event = column(out.scenario, "event");
  const std::vector<int32_t>& codes = event.category_codes[0];
  CHECK(event.levels[static_cast<size_t>(codes[4])] == "sale");
  CHECK(event.levels[static_cast<size_t>(codes[5])] == "sale");
  CHECK(codes[3] == column(d.data, "event").category_codes[0][3]);
  CHECK(out.edited == std::vector<std::vector<uint8_t>>{{0, 1, 1}});
  // The history and the other columns stay as they were.
  CHECK(out.scenario.series[0].values == d.data.series[0].values);
  CHECK(column(out.scenario, "weather").numeric_values[0].size() == 6);
}

TEST_CASE("a scenario over every series covers each one's own horizon", "[whatif]") {
  Data d;
  // Every series, whole horizon of 2 days: each series' first two future days.
  const ScenarioData out = apply_scenario(d.data, features_of(d.data), scenario_of({"price=9"}), 2);
  REQUIRE(out.scenario.series.size() == 2);
  CHECK(column(out.scenario, "price").numeric_values[0] ==
        std::vector<double>{2.0, 2.5, 2.5, 9, 9, 3.5});
  CHECK(column(out.scenario, "price").numeric_values[1] == std::vector<double>{1.0, 1.0, 9, 9, 1.5});
  CHECK(out.edited == std::vector<std::vector<uint8_t>>{{1, 1}, {1, 1}});
}

TEST_CASE("each scenario error names what is wrong", "[whatif]") {
  Data d;
  const std::vector<FeatureSpec> features = features_of(d.data);
  auto fails = [&](const Scenario& scenario, ErrorCode code, const std::string& fragment,
                   const std::vector<FeatureSpec>& with = {}) {
    check_error([&] { apply_scenario(d.data, with.empty() ? features : with, scenario, 3); }, code,
                fragment);
  };
  fails(Scenario{}, ErrorCode::InvalidArgument, "the scenario has no edit");
  fails(scenario_of({"cost*=2"}), ErrorCode::InvalidArgument,
        "edit 'cost*=2': 'cost' is not a column of the data");
  fails(scenario_of({"promo=1"}), ErrorCode::InvalidArgument,
        "edit 'promo=1': the model does not read column 'promo'", features_of(d.data, {"price"}));
  fails(scenario_of({"store=south"}), ErrorCode::InvalidArgument,
        "'store' is a static covariate of the model");
  fails(scenario_of({"weather+=1"}), ErrorCode::InvalidArgument,
        "'weather' is a past-only covariate of the model, not read over the horizon");
  fails(scenario_of({"event*=2"}), ErrorCode::InvalidArgument,
        "edit 'event*=2': 'event' is categorical; only event=LEVEL applies to it");
  fails(scenario_of({"price=cheap"}), ErrorCode::InvalidArgument,
        "'price' is a real column and 'cheap' is not a finite number");
  // Refused rather than read as the unknown bucket.
  fails(scenario_of({"event=clearance"}), ErrorCode::InvalidArgument,
        "the model never saw level 'clearance' of 'event' (it would read the unknown bucket, not "
        "that level); its 1 levels: 'sale'");
  fails(scenario_of({"price*=2"}, {"C"}), ErrorCode::InvalidArgument,
        "scenario series 'C' is not a series of the data");
  fails(scenario_of({"price*=2"}, {"A", "B", "A"}), ErrorCode::InvalidArgument,
        "scenario series 'A' is named twice");
  fails(scenario_of({"price*=1e308"}), ErrorCode::Data,
        "edit 'price*=1e308' gives a non-finite 'price' (inf) for series 'A' on 2024-01-04");

  Scenario dates = scenario_of({"price*=2"});
  dates.from = day("2024-01-03");
  fails(dates, ErrorCode::InvalidArgument,
        "the scenario's dates 2024-01-03 to 2024-01-06 are outside the horizon of series 'A': its "
        "forecast days are 2024-01-04 to 2024-01-06");
  dates.from = day("2024-01-05");
  dates.to = day("2024-01-04");
  fails(dates, ErrorCode::InvalidArgument, "the scenario's dates run backwards: from 2024-01-05 to 2024-01-04");
  dates.from.reset();
  dates.to = day("2024-01-07");
  check_error([&] { apply_scenario(d.data, features, dates, 4); }, ErrorCode::Data,
              "edit 'price*=2': series 'A' has no known-future 'price' on 2024-01-07 (give it with "
              "a future file)");
}

TEST_CASE("a missing value cannot be scaled but can be set", "[whatif]") {
  Data d;
  Dataset data = d.data;
  Column& price = data.columns[static_cast<size_t>(data.find_column("price"))];
  price.numeric_values[1][3] = NAN;  // B on 2024-01-05
  const std::vector<FeatureSpec> features = features_of(d.data);
  check_error([&] { apply_scenario(data, features, scenario_of({"price*=0.9"}, {"B"}), 3); },
              ErrorCode::Data,
              "edit 'price*=0.9': 'price' of series 'B' is unknown on 2024-01-05: nothing to change");
  const ScenarioData out = apply_scenario(data, features, scenario_of({"price=2"}, {"B"}), 3);
  CHECK(column(out.scenario, "price").numeric_values[0] == std::vector<double>{1.0, 1.0, 2, 2, 2});
}

TEST_CASE("the what-if horizon: the model's, the future days when fewer", "[whatif]") {
  Data d;
  ModelConfig config;
  config.horizon = 5;
  CHECK(whatif_horizon(config, d.data, 0) == 3);  // the future file's 3 days
  CHECK(whatif_horizon(config, d.data, 2) == 2);
  check_error([&] { whatif_horizon(config, d.data, 6); }, ErrorCode::InvalidArgument, "horizon");
  check_error([&] { whatif_horizon(config, d.history, 0); }, ErrorCode::InvalidArgument,
              "read them into the data with a future file first");
}
