// The option domains: one table of keys, each domain's struct parsing
// exactly its keys, calls refusing keys of other domains, the service
// measure and the per-domain seeds.
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <string>

#include "error.hpp"
#include "core/options.hpp"
#include "error_matchers.hpp"

using namespace invforecast;
using invforecast::testing::fails_with;

namespace {

// A valid value of every key, as "key=value" words (a key missing here
// fails the first test).
std::map<std::string, std::string> valid_values() {
  const std::string words =
      "duplicates=sum negative=clip missing_days=error outliers=clip outlier_k=4 "
      "series_column=sku date_column=day value_column=units fill_future=last "
      "quantiles=0.2,0.8 "
      "season_length=12 ma_window=7 strict=true auto_methods=naive,ets auto_windows=2 "
      "open_column=is_open "
      "ensemble_methods=ets,naive ensemble_windows=2 ensemble_top=1 "
      "threads=3 backend=reference service_level=0.9 fill_rate=0.97 "
      "service_measure=fill_rate regime=backorder samples=100 seed=42 "
      "dependence=comonotonic copula_rho=0.5 lead_time=3 lead_time_sd=1 review_period=7 "
      "history_days=90 context_length=56 patch_length=7 stride=7 d_model=16 heads=2 "
      "ffn_dim=32 layers=1 horizon=14 normalization=meanabs head=negbin norm_eps=1e-4 epochs=2 "
      "steps_per_epoch=5 batch_size=8 warmup_steps=0 min_history=14 holdout_days=0 "
      "patience=1 learning_rate=0.01 min_learning_rate=0.001 weight_decay=0 clip_norm=2 "
      "loss=mae sampling=volume loss_weighting=revenue objective=masked_patch "
      "mask_ratio=0.3 finetune=head lora_rank=4 lora_alpha=8 checkpoint=run.ckpt "
      "resume=true covariates=price,snap past_only=shelf_price embedding_dim=4 decoder_dim=32";
  std::map<std::string, std::string> values;
  size_t start = 0;
  while (start < words.size()) {
    const size_t end = std::min(words.find(' ', start), words.size());
    const std::string word = words.substr(start, end - start);
    values[word.substr(0, word.find('='))] = word.substr(word.find('=') + 1);
    start = end + 1;
  }
  return values;
}

}  // namespace

TEST_CASE("each domain's struct parses exactly the keys the table gives it", "[options]") {
  const std::map<std::string, std::string> kValidValue = valid_values();
  std::set<std::string_view> seen;
  for (const OptionKey& key : option_keys()) {
    INFO("key " << key.name);
    CHECK(seen.insert(key.name).second);  // listed once
    CHECK(key.domains != 0);
    const auto value = kValidValue.find(std::string(key.name));
    REQUIRE(value != kValidValue.end());
    IngestOptions ingest;
    ForecastOptions forecast;
    TrainingSettings training;
    InventoryOptions inventory;
    CHECK(ingest.set(key.name, value->second) == ((key.domains & kDataDomain) != 0));
    CHECK(forecast.set(key.name, value->second) == ((key.domains & kForecastDomain) != 0));
    CHECK(set_training_option(training, key.name, value->second) ==
          ((key.domains & kTrainDomain) != 0));
    // InventoryOptions holds the simulator's settings as well.
    CHECK(inventory.set(key.name, value->second) ==
          ((key.domains & (kInventoryDomain | kSimulationDomain)) != 0));
    Options options;
    options.set(key.name, value->second);
    CHECK(options.keys_set() == std::vector<std::string>{std::string(key.name)});
  }
  CHECK(seen.size() == kValidValue.size());
  REQUIRE_THROWS_MATCHES(option_domains("colour"), Error, fails_with(ErrorCode::InvalidArgument));
}

TEST_CASE("a key set for another domain is refused naming the key, the call and its domain",
          "[options]") {
  Options options;
  options.set("season_length", "12");
  options.set("seed", "7");
  options.set("season_length", "14");  // set again: listed once
  CHECK(options.keys_set() == std::vector<std::string>{"season_length", "seed"});
  REQUIRE_NOTHROW(options.require_domains("invf_train", kForecastDomain | kTrainDomain));
  REQUIRE_THROWS_WITH(options.require_domains("invf_forecaster_create", kForecastDomain),
                      "option 'seed' does not apply to invf_forecaster_create; it is a training "
                      "and inventory option");
  REQUIRE_THROWS_WITH(options.require_domains("invf_dataset_create", kDataDomain),
                      Catch::Contains("option 'season_length' does not apply to "
                                      "invf_dataset_create; it is a forecasting option"));
  Options simulation;
  simulation.set("lead_time", "3");
  REQUIRE_THROWS_WITH(simulation.require_domains("invf_replenish", kInventoryDomain),
                      Catch::EndsWith("it is a simulation option"));
  Options inventory;
  inventory.set("regime", "backorder");
  REQUIRE_THROWS_MATCHES(inventory.require_domains("invf_train", kTrainDomain), Error,
                         fails_with(ErrorCode::InvalidArgument));
  REQUIRE_THROWS_WITH(inventory.require_domains("invf_train", kTrainDomain),
                      Catch::EndsWith("it is an inventory option"));
  REQUIRE_THROWS_WITH((inventory.refuse_keys("invf_newsvendor", {"fill_rate", "regime"}, "why")),
                      "option 'regime' does not apply to invf_newsvendor; why");
  CHECK(domain_names(kDataDomain | kForecastDomain | kInventoryDomain) ==
        "data, forecasting and inventory");
}

TEST_CASE("training and inventory each read their own seed, threads and levels", "[options]") {
  Options options;
  CHECK_FALSE(options.training.seed.has_value());
  CHECK_FALSE(options.inventory.seed.has_value());
  options.set("seed", "123");
  options.set("threads", "2");
  options.set("quantiles", "0.25,0.75");
  options.set("backend", "reference");
  CHECK(options.training.seed == 123u);
  CHECK(options.inventory.seed == 123u);
  CHECK(options.training.threads == 2);
  CHECK(options.inventory.threads == 2);
  CHECK(options.forecast.threads == 2);
  CHECK(options.training.quantiles == std::vector<double>{0.25, 0.75});
  CHECK(options.forecast.quantiles == std::vector<double>{0.25, 0.75});
  CHECK(options.training.backend == kernels::BackendKind::Reference);
  // A bad value changes no domain.
  REQUIRE_THROWS_WITH(options.set("seed", "-1"), Catch::Contains("option 'seed'"));
  CHECK(options.training.seed == 123u);
  CHECK(options.inventory.seed == 123u);
}

TEST_CASE("the service measure is explicit and a second target key is an error", "[options]") {
  SECTION("fill_rate alone is a fill-rate target, as before") {
    Options options;
    options.set("fill_rate", "0.97");
    CHECK(options.inventory.service_measure() == ServiceMeasure::FillRate);
    CHECK(options.inventory.service_target == 0.97);
  }
  SECTION("no key: cycle service level") {
    CHECK(Options().inventory.service_measure() == ServiceMeasure::CycleServiceLevel);
  }
  SECTION("service_measure alone picks the measure of the default target") {
    Options options;
    options.set("service_measure", "fill_rate");
    CHECK(options.inventory.service_measure() == ServiceMeasure::FillRate);
    CHECK_FALSE(options.inventory.service_target.has_value());
    REQUIRE_THROWS_WITH(options.set("service_level", "0.9"),
                        Catch::Contains("option 'service_level' contradicts option "
                                        "'service_measure' = 'fill_rate'"));
    REQUIRE_NOTHROW(options.set("fill_rate", "0.9"));
    REQUIRE_THROWS_WITH(options.set("service_measure", "cycle"),
                        Catch::Contains("service_level, fill_rate"));
  }
  SECTION("both target keys fail naming both, in either order") {
    for (const auto& [first, second] : {std::pair{"service_level", "fill_rate"},
                                        std::pair{"fill_rate", "service_level"}}) {
      Options options;
      options.set(first, "0.9");
      options.set(first, "0.95");  // the same key again replaces the target
      REQUIRE_THROWS_MATCHES(options.set(second, "0.8"), Error,
                             fails_with(ErrorCode::InvalidArgument));
      REQUIRE_THROWS_WITH(options.set(second, "0.8"),
                          Catch::Contains("'service_level' and 'fill_rate' are both set"));
      CHECK(options.inventory.service_target == 0.95);  // unchanged by the refused set
      CHECK(options.keys_set() == std::vector<std::string>{first});
    }
  }
  SECTION("a measure that contradicts the target key given") {
    Options options;
    options.set("service_level", "0.9,0.95");
    REQUIRE_THROWS_WITH(options.set("service_measure", "fill_rate"),
                        Catch::Contains("contradicts option 'service_level'"));
    REQUIRE_NOTHROW(options.set("service_measure", "service_level"));
    CHECK(options.inventory.service_targets == std::vector<double>{0.9, 0.95});
  }
}

TEST_CASE("covariate selection: all, none, a list; past-only columns", "[options]") {
  TrainingSettings t;
  REQUIRE(set_training_option(t, "covariates", "price,snap"));
  CHECK(t.covariates == std::vector<std::string>{"price", "snap"});
  CHECK_FALSE(t.covariates_none);
  REQUIRE(set_training_option(t, "covariates", "none"));
  CHECK(t.covariates_none);
  CHECK(t.covariates.empty());
  REQUIRE(set_training_option(t, "covariates", "calendar"));
  CHECK(t.covariates_calendar);
  CHECK_FALSE(t.covariates_none);
  REQUIRE(set_training_option(t, "covariates", "all"));
  CHECK_FALSE(t.covariates_none);
  CHECK_FALSE(t.covariates_calendar);
  CHECK(t.covariates.empty());
  REQUIRE(set_training_option(t, "past_only", "shelf_price"));
  CHECK(t.past_only == std::vector<std::string>{"shelf_price"});
  REQUIRE_THROWS_MATCHES(set_training_option(t, "covariates", "price,,snap"), Error,
                         fails_with(ErrorCode::InvalidArgument, "an empty name"));
  REQUIRE_THROWS_MATCHES(set_training_option(t, "past_only", "a,a"), Error,
                         fails_with(ErrorCode::InvalidArgument, "'a' is listed twice"));
}
