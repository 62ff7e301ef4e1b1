// A training run from the train domain's settings, as invf_train makes it.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "error.hpp"
#include "core/options.hpp"
#include "error_matchers.hpp"
#include "train/training_run.hpp"
#include "train_test_util.hpp"

using namespace invforecast;
using namespace invforecast::train;
using invforecast::testing::fails_with;

namespace {

TrainingSettings small_settings() {
  Options options;
  for (const auto& [key, value] : std::vector<std::pair<const char*, const char*>>{
           {"context_length", "28"}, {"patch_length", "7"}, {"stride", "7"}, {"d_model", "16"},
           {"heads", "2"}, {"ffn_dim", "32"}, {"layers", "1"}, {"horizon", "7"},
           {"quantiles", "0.2,0.5,0.8"}, {"epochs", "2"}, {"steps_per_epoch", "10"},
           {"batch_size", "8"}, {"threads", "1"}, {"seed", "11"}})
    options.set(key, value);
  return options.training;
}

}  // namespace

TEST_CASE("run_training builds the model its settings describe and reports progress",
          "[train]") {
  const Dataset data = invforecast::train::testing::weekly_dataset(6, 120, 5);
  std::vector<int64_t> steps;
  const TrainedModel trained = run_training(data, nullptr, small_settings(),
                                            [&](const TrainProgress& p) {
                                              steps.push_back(p.step);
                                              return true;
                                            });
  CHECK_FALSE(trained.adapter.has_value());
  const ModelFile file = ModelFile::from_buffer(trained.bytes, BufferMode::Copy);
  CHECK(file.config().context_length == 28);
  CHECK(file.config().quantiles == std::vector<double>{0.2, 0.5, 0.8});  // training's own levels
  CHECK(file.metadata().provenance.at("seed") == "11");                  // training's own seed
  CHECK(file.metadata().provenance.at("objective") == "forecast");
  // Every 10 steps and after each of the 2 epochs of 10 steps.
  REQUIRE_FALSE(steps.empty());
  CHECK(steps.back() == 20);

  // The same settings give the same bytes.
  CHECK(run_training(data, nullptr, small_settings(), {}).bytes == trained.bytes);

  // A callback returning false cancels.
  REQUIRE_THROWS_MATCHES(
      run_training(data, nullptr, small_settings(), [](const TrainProgress&) { return false; }),
      Error, fails_with(ErrorCode::Cancelled, "training cancelled"));
  // Settings that need a base model are refused without one.
  TrainingSettings head = small_settings();
  head.finetune = "head";
  CHECK_THROWS_WITH(run_training(data, nullptr, head, {}),
                    Catch::Contains("'finetune' needs a model to start from"));
  // A fine-tune keeps the base's configuration.
  TrainingSettings again = small_settings();
  CHECK_THROWS_WITH(run_training(data, &file, again, {}),
                    Catch::Contains("keeps its configuration"));
}
