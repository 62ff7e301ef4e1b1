// Training through the C ABI: a small model trained, saved, reloaded and
// forecast; bit-identical retraining; cancellation and checkpoint resume
// (forecasting and pre-training); head-only, LoRA and masked-patch pre-training then fine-tuning; the
// backtest of a model next to built-in methods; bad options.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <unistd.h>
#include <zlib.h>

#include "capi_support.hpp"

namespace {

using Model = Owned<invf_model, invf_model_release>;
using Dataset = Owned<invf_dataset, invf_dataset_release>;
using Options = Owned<invf_options, invf_options_release>;
using ForecasterHandle = Owned<invf_forecaster, invf_forecaster_release>;
using BacktestHandle = Owned<invf_backtest, invf_backtest_release>;

// A small architecture so that a test trains in well under a second.
using Settings = std::vector<std::pair<const char*, const char*>>;

const Settings kSmallModel = {
    {"context_length", "28"}, {"patch_length", "7"}, {"stride", "7"},
    {"d_model", "16"},        {"heads", "2"},        {"ffn_dim", "32"},
    {"layers", "1"},          {"horizon", "7"},      {"quantiles", "0.1,0.5,0.9"},
    {"epochs", "3"},          {"steps_per_epoch", "20"}, {"batch_size", "16"},
    {"threads", "2"},         {"seed", "7"},
    // The target alone: these tests forecast raw arrays (invf_model_forecast), which carry no
    // dates or covariates.
    {"covariates", "none"}};

void set_all(Options& options, const Settings& settings) {
  if (options.raw == nullptr) REQUIRE_OK(invf_options_create(&options.raw));
  for (const auto& [key, value] : settings) REQUIRE_OK(invf_options_set(options.raw, key, value));
}

// The first `days` dates of 2024 (at most a year), "YYYY-MM-DD".
std::vector<std::string> dates_of_2024(int days) {
  std::vector<std::string> dates;
  for (int d = 0; d < days; ++d) {
    const int month_lengths[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int day = d, month = 0;
    while (day >= month_lengths[month]) day -= month_lengths[month++];
    char text[16];
    std::snprintf(text, sizeof text, "2024-%02d-%02d", month + 1, day + 1);
    dates.emplace_back(text);
  }
  return dates;
}

// 12 weekly-periodic series of 140 days from 2024-01-01 (levels 3..36, a
// phase each, deterministic noise), so that there is something to learn.
void weekly_dataset(Dataset& dataset, int days = 140) {
  REQUIRE_OK(invf_dataset_create(nullptr, &dataset.raw));
  const std::vector<std::string> dates = dates_of_2024(days);
  const std::vector<const char*> date_pointers = pointers(dates);
  for (int s = 0; s < 12; ++s) {
    std::vector<double> values(static_cast<size_t>(days));
    const double level = 3.0 * (s + 1);
    for (int t = 0; t < days; ++t) {
      const double season = 1.0 + 0.6 * std::sin(2.0 * M_PI * (t + s) / 7.0);
      const double noise = 0.1 * std::sin(12.9898 * (t * 13 + s * 7));
      values[static_cast<size_t>(t)] = std::max(0.0, std::round(level * (season + noise)));
    }
    const std::string id = "s" + std::to_string(s);
    REQUIRE_OK(invf_dataset_add_series(dataset.raw, id.c_str(), date_pointers.data(),
                                       values.data(), values.size()));
  }
}

// Trains kSmallModel, with `settings` on top, on `data` into `model`.
void train_small(const Dataset& data, const Settings& settings, Model& model) {
  Options options;
  set_all(options, kSmallModel);
  set_all(options, settings);
  REQUIRE_OK(invf_train(data.raw, nullptr, options.raw, nullptr, nullptr, &model.raw));
}

std::vector<unsigned char> model_bytes(const invf_model* model) {
  size_t needed = 0;
  REQUIRE_OK(invf_model_save_buffer(model, nullptr, 0, &needed));
  std::vector<unsigned char> bytes(needed);
  REQUIRE_OK(invf_model_save_buffer(model, bytes.data(), bytes.size(), &needed));
  return bytes;
}

// Forecasts of the model for a fixed input (context of 28 days, 2 series).
std::vector<float> probe(const invf_model* model) {
  std::vector<float> context(56);
  for (size_t i = 0; i < context.size(); ++i) context[i] = static_cast<float>((i * 7) % 11);
  std::vector<float> out(2 * 7 * 3);
  REQUIRE_OK(invf_model_forecast(model, context.data(), 2, 28, out.data(), out.size()));
  return out;
}

std::string provenance(const invf_model* model, const char* key) {
  const char* value = nullptr;
  REQUIRE_OK(invf_model_provenance(model, key, &value));
  return value;
}

std::string temp_path(const char* name) {
  return (std::filesystem::temp_directory_path() /
          (std::string("invf_capi_train_") + std::to_string(getpid()) + "_" + name))
      .string();
}

struct Recorder {
  std::vector<invf_train_progress> reports;
  size_t cancel_after_epoch = 0;  // 0 = never cancel
};

int record(void* user_data, const invf_train_progress* p) {
  auto* recorder = static_cast<Recorder*>(user_data);
  recorder->reports.push_back(*p);
  return recorder->cancel_after_epoch != 0 && p->epoch_end &&
         p->epoch == recorder->cancel_after_epoch;
}

}  // namespace

TEST_CASE("train, save, reload and forecast a model through the C ABI", "[train]") {
  Dataset data;
  weekly_dataset(data);
  Options options;
  set_all(options, kSmallModel);
  Recorder recorder;
  Model model;
  REQUIRE_OK(invf_train(data.raw, nullptr, options.raw, record, &recorder, &model.raw));

  int64_t value = 0;
  REQUIRE_OK(invf_model_config_int(model.raw, "context_length", &value));
  CHECK(value == 28);
  REQUIRE_OK(invf_model_config_int(model.raw, "horizon", &value));
  CHECK(value == 7);
  CHECK(provenance(model.raw, "objective") == "forecast");
  CHECK(provenance(model.raw, "epochs_run") == "3");
  CHECK(provenance(model.raw, "steps") == "60");
  CHECK(provenance(model.raw, "seed") == "7");
  REQUIRE_FAILS(invf_model_provenance(model.raw, "no_such_key", &*std::make_unique<const char*>()),
                INVF_ERR_INVALID_ARGUMENT, "no_such_key");

  // Progress: every 10 steps and after each epoch, steps increasing, validation after epochs.
  REQUIRE(!recorder.reports.empty());
  size_t epoch_ends = 0;
  for (size_t i = 0; i < recorder.reports.size(); ++i) {
    const invf_train_progress& p = recorder.reports[i];
    CHECK(p.total_steps == 60);
    CHECK(p.epochs == 3);
    if (i > 0) CHECK(p.step >= recorder.reports[i - 1].step);
    if (p.epoch_end) {
      ++epoch_ends;
      CHECK(std::isfinite(p.val_loss));
      CHECK(p.step == 20 * p.epoch);
    }
  }
  CHECK(epoch_ends == 3);

  // The saved file loads back to the same bytes and the same forecasts.
  const std::string path = temp_path("model.invfm");
  REQUIRE_OK(invf_model_save(model.raw, path.c_str()));
  Model loaded;
  REQUIRE_OK(invf_model_load(path.c_str(), nullptr, &loaded.raw));
  CHECK(model_bytes(loaded.raw) == model_bytes(model.raw));
  CHECK(probe(loaded.raw) == probe(model.raw));
  std::filesystem::remove(path);

  // The buffer size protocol.
  size_t needed = 0;
  REQUIRE_OK(invf_model_save_buffer(model.raw, nullptr, 0, &needed));
  std::vector<unsigned char> small(needed - 1);
  REQUIRE_FAILS(invf_model_save_buffer(model.raw, small.data(), small.size(), nullptr),
                INVF_ERR_BUFFER_TOO_SMALL, std::to_string(needed));
  REQUIRE_FAILS(invf_model_save_buffer(model.raw, nullptr, 0, nullptr), INVF_ERR_NULL_POINTER,
                "needed");
}

TEST_CASE("a trained model is backtested next to built-in methods", "[train]") {
  Dataset data;
  weekly_dataset(data);
  Options options;
  set_all(options, kSmallModel);
  set_all(options, {{"epochs", "6"}, {"steps_per_epoch", "40"}});
  Model model;
  REQUIRE_OK(invf_train(data.raw, nullptr, options.raw, nullptr, nullptr, &model.raw));
  // The last 7 days were the training's validation hold-out, never a target.
  // A weekly pattern defeats the moving average, which the model must learn
  // to beat (seasonal naive is near-perfect on this noise, so it is no bar).
  // The forecasting calls take forecasting keys only: the model's levels
  // (for the scores) and the threads.
  Options forecasting;
  set_all(forecasting, {{"quantiles", "0.1,0.5,0.9"}, {"threads", "2"}});
  ForecasterHandle refused_model;
  REQUIRE_FAILS(invf_forecaster_create_model(model.raw, options.raw, &refused_model.raw),
                INVF_ERR_INVALID_ARGUMENT,
                "option 'context_length' does not apply to invf_forecaster_create_model");
  ForecasterHandle neural, ma;
  REQUIRE_OK(invf_forecaster_create_model(model.raw, forecasting.raw, &neural.raw));
  REQUIRE_OK(invf_forecaster_create("ma", forecasting.raw, &ma.raw));
  const invf_forecaster* both[] = {ma.raw, neural.raw};
  BacktestHandle backtest;
  REQUIRE_OK(
      invf_backtest_run_forecasters(data.raw, both, 2, 7, 1, forecasting.raw, &backtest.raw));
  const char* name = nullptr;
  REQUIRE_OK(invf_backtest_method_name(backtest.raw, 0, &name));
  CHECK(std::string(name) == "ma");
  REQUIRE_OK(invf_backtest_method_name(backtest.raw, 1, &name));
  CHECK(std::string(name) == "model");
  double ma_wql = 0.0, model_wql = 0.0;
  REQUIRE_OK(invf_backtest_metric(backtest.raw, 0, "wql", &ma_wql));
  REQUIRE_OK(invf_backtest_metric(backtest.raw, 1, "wql", &model_wql));
  INFO("ma WQL " << ma_wql << ", model WQL " << model_wql);
  CHECK(model_wql < 0.75 * ma_wql);

  // Quantile levels other than the model's are refused, not scored wrongly.
  Options other;
  set_all(other, {{"quantiles", "0.25,0.5,0.75"}});
  const invf_forecaster* model_only[] = {neural.raw};
  BacktestHandle refused;
  REQUIRE_FAILS(invf_backtest_run_forecasters(data.raw, model_only, 1, 7, 1, other.raw,
                                              &refused.raw),
                INVF_ERR_INVALID_ARGUMENT, "quantile levels");
  const invf_forecaster* with_null[] = {ma.raw, nullptr};
  REQUIRE_FAILS(invf_backtest_run_forecasters(data.raw, with_null, 2, 7, 1, forecasting.raw,
                                              &refused.raw),
                INVF_ERR_NULL_POINTER, "forecasters[1]");
}

TEST_CASE("training and the model's forecast pass a new product with no history", "[train]") {
  Dataset data;
  weekly_dataset(data);
  const std::string path = temp_path("static.csv");
  {
    std::FILE* file = std::fopen(path.c_str(), "w");
    REQUIRE(file != nullptr);
    std::fputs("series_id,brand\ns0,acme\nzz_new,zeta\n", file);
    std::fclose(file);
  }
  REQUIRE_OK(invf_dataset_read_static_csv(data.raw, path.c_str(), nullptr));
  std::filesystem::remove(path);
  size_t count = 0;
  REQUIRE_OK(invf_dataset_series_count(data.raw, &count));
  REQUIRE(count == 13);
  Model model;
  train_small(data, {}, model);  // the new product gives no window
  Options forecasting;
  set_all(forecasting, {{"threads", "2"}});
  ForecasterHandle neural;
  REQUIRE_OK(invf_forecaster_create_model(model.raw, forecasting.raw, &neural.raw));
  invf_forecast* forecast = nullptr;
  REQUIRE_OK(invf_forecaster_forecast(neural.raw, data.raw, 7, &forecast));
  char start[INVF_DATE_BUFFER];
  REQUIRE_OK(invf_forecast_start_date(forecast, 12, start));
  CHECK(std::string(start) == "2024-05-20");  // the day after the history's last, day 140
  std::vector<double> mean(7, -1.0);
  REQUIRE_OK(invf_forecast_mean(forecast, 12, mean.data(), mean.size()));
  CHECK(std::all_of(mean.begin(), mean.end(), [](double m) { return m >= 0.0; }));
  invf_forecast_release(forecast);
}

TEST_CASE("the same training twice gives a bit-identical model file", "[train]") {
  Dataset data;
  weekly_dataset(data);
  Options options;
  set_all(options, kSmallModel);
  Model first, second;
  REQUIRE_OK(invf_train(data.raw, nullptr, options.raw, nullptr, nullptr, &first.raw));
  REQUIRE_OK(invf_train(data.raw, nullptr, options.raw, nullptr, nullptr, &second.raw));
  CHECK(model_bytes(first.raw) == model_bytes(second.raw));
  // Per-series loss weights change the model; revenue needs a price column.
  Options weighted;
  set_all(weighted, kSmallModel);
  set_all(weighted, {{"loss_weighting", "volume"}});
  Model by_volume;
  REQUIRE_OK(invf_train(data.raw, nullptr, weighted.raw, nullptr, nullptr, &by_volume.raw));
  CHECK(model_bytes(by_volume.raw) != model_bytes(first.raw));
  set_all(weighted, {{"loss_weighting", "revenue"}});
  REQUIRE_FAILS(invf_train(data.raw, nullptr, weighted.raw, nullptr, nullptr, &by_volume.raw),
                INVF_ERR_INVALID_ARGUMENT, "price");
  // Another seed gives another model.
  set_all(options, {{"seed", "8"}});
  Model third;
  REQUIRE_OK(invf_train(data.raw, nullptr, options.raw, nullptr, nullptr, &third.raw));
  CHECK(model_bytes(third.raw) != model_bytes(first.raw));
}

TEST_CASE("a cancelled run resumes from its checkpoint to the uninterrupted result", "[train]") {
  Dataset data;
  weekly_dataset(data);
  Options plain;
  set_all(plain, kSmallModel);
  Model straight;
  REQUIRE_OK(invf_train(data.raw, nullptr, plain.raw, nullptr, nullptr, &straight.raw));

  const std::string checkpoint = temp_path("run.ckpt");
  Options options;
  set_all(options, kSmallModel);
  set_all(options, {{"checkpoint", checkpoint.c_str()}});
  Recorder cancel_in_epoch_2;
  cancel_in_epoch_2.cancel_after_epoch = 2;
  Model none;
  REQUIRE_FAILS(invf_train(data.raw, nullptr, options.raw, record, &cancel_in_epoch_2, &none.raw),
                INVF_ERR_CANCELLED, "resume from the checkpoint");
  CHECK(none.raw == nullptr);
  REQUIRE(std::filesystem::exists(checkpoint));

  set_all(options, {{"resume", "true"}});
  Model resumed;
  REQUIRE_OK(invf_train(data.raw, nullptr, options.raw, nullptr, nullptr, &resumed.raw));
  CHECK(model_bytes(resumed.raw) == model_bytes(straight.raw));

  // Resuming with other settings is refused, naming the setting.
  set_all(options, {{"batch_size", "8"}});
  Model refused;
  REQUIRE_FAILS(invf_train(data.raw, nullptr, options.raw, nullptr, nullptr, &refused.raw),
                INVF_ERR_INVALID_ARGUMENT, "batch_size");
  std::filesystem::remove(checkpoint);
  Options no_file;
  set_all(no_file, {{"resume", "true"}});
  REQUIRE_FAILS(invf_train(data.raw, nullptr, no_file.raw, nullptr, nullptr, &refused.raw),
                INVF_ERR_INVALID_ARGUMENT, "checkpoint");
}

TEST_CASE("a cancelled masked-patch pre-training resumes to the uninterrupted result", "[train]") {
  Dataset data;
  weekly_dataset(data);
  Model straight;
  train_small(data, {{"objective", "masked_patch"}, {"mask_ratio", "0.5"}}, straight);

  const std::string checkpoint = temp_path("pre.ckpt");
  Options options;
  set_all(options, kSmallModel);
  set_all(options, {{"objective", "masked_patch"},
                    {"mask_ratio", "0.5"},
                    {"checkpoint", checkpoint.c_str()}});
  Recorder cancel_in_epoch_2;
  cancel_in_epoch_2.cancel_after_epoch = 2;
  Model none;
  REQUIRE_FAILS(invf_train(data.raw, nullptr, options.raw, record, &cancel_in_epoch_2, &none.raw),
                INVF_ERR_CANCELLED, "resume from the checkpoint");
  REQUIRE(std::filesystem::exists(checkpoint));

  set_all(options, {{"resume", "true"}});
  Model resumed;
  REQUIRE_OK(invf_train(data.raw, nullptr, options.raw, nullptr, nullptr, &resumed.raw));
  CHECK(model_bytes(resumed.raw) == model_bytes(straight.raw));
  CHECK(provenance(resumed.raw, "objective") == "masked_patch");
  CHECK(provenance(resumed.raw, "epochs_run") == "3");

  // Another mask ratio, or the forecasting objective, cannot continue this run.
  Model refused;
  set_all(options, {{"mask_ratio", "0.4"}});
  REQUIRE_FAILS(invf_train(data.raw, nullptr, options.raw, nullptr, nullptr, &refused.raw),
                INVF_ERR_INVALID_ARGUMENT, "mask_ratio = 0.5");
  Options forecast;
  set_all(forecast, kSmallModel);
  set_all(forecast, {{"checkpoint", checkpoint.c_str()}, {"resume", "true"}});
  REQUIRE_FAILS(invf_train(data.raw, nullptr, forecast.raw, nullptr, nullptr, &refused.raw),
                INVF_ERR_INVALID_ARGUMENT, "objective = masked_patch");
  std::filesystem::remove(checkpoint);
}

TEST_CASE("fine-tuning: head only, LoRA adapters, and pre-training then fine-tuning", "[train]") {
  Dataset data;
  weekly_dataset(data);
  Options options;
  set_all(options, kSmallModel);
  Model base;
  REQUIRE_OK(invf_train(data.raw, nullptr, options.raw, nullptr, nullptr, &base.raw));

  // A fine-tune keeps the base's configuration: model keys are refused.
  Model refused;
  REQUIRE_FAILS(invf_train(data.raw, base.raw, options.raw, nullptr, nullptr, &refused.raw),
                INVF_ERR_INVALID_ARGUMENT, "keeps its configuration");
  Options tune;
  set_all(tune, {{"epochs", "2"}, {"steps_per_epoch", "10"}, {"batch_size", "16"},
                 {"threads", "1"}, {"quantiles", "0.1,0.5,0.9"}});
  Options bad;
  set_all(bad, {{"finetune", "head"}});
  REQUIRE_FAILS(invf_train(data.raw, nullptr, bad.raw, nullptr, nullptr, &refused.raw),
                INVF_ERR_INVALID_ARGUMENT, "init");

  SECTION("head only") {
    set_all(tune, {{"finetune", "head"}});
    Model tuned;
    REQUIRE_OK(invf_train(data.raw, base.raw, tune.raw, nullptr, nullptr, &tuned.raw));
    CHECK(provenance(tuned.raw, "finetune") == "head");
    CHECK(probe(tuned.raw) != probe(base.raw));
    REQUIRE_FAILS(invf_model_save_adapter(tuned.raw, temp_path("x.adapter").c_str()),
                  INVF_ERR_INVALID_ARGUMENT, "");
  }
  SECTION("LoRA: the adapter alone, loaded over the base, gives the same model") {
    set_all(tune, {{"finetune", "lora"}, {"lora_rank", "2"}});
    Model tuned;
    REQUIRE_OK(invf_train(data.raw, base.raw, tune.raw, nullptr, nullptr, &tuned.raw));
    CHECK(provenance(tuned.raw, "finetune") == "lora");
    CHECK(provenance(tuned.raw, "lora_rank") == "2");
    const std::string adapter = temp_path("tuned.adapter");
    REQUIRE_OK(invf_model_save_adapter(tuned.raw, adapter.c_str()));
    CHECK(std::filesystem::file_size(adapter) < model_bytes(base.raw).size() / 2);
    Model merged;
    REQUIRE_OK(invf_model_load_adapter(base.raw, adapter.c_str(), nullptr, &merged.raw));
    CHECK(probe(merged.raw) == probe(tuned.raw));
    CHECK(probe(merged.raw) != probe(base.raw));
    std::filesystem::remove(adapter);
  }
  SECTION("masked-patch pre-training gives a base that must be fine-tuned") {
    Options pre;
    set_all(pre, kSmallModel);
    set_all(pre, {{"objective", "masked_patch"}, {"mask_ratio", "0.5"}});
    Model pretrained;
    REQUIRE_OK(invf_train(data.raw, nullptr, pre.raw, nullptr, nullptr, &pretrained.raw));
    CHECK(provenance(pretrained.raw, "objective") == "masked_patch");
    std::vector<float> context(28, 1.0f), out(21);
    REQUIRE_FAILS(invf_model_forecast(pretrained.raw, context.data(), 1, 28, out.data(), 21),
                  INVF_ERR_INVALID_ARGUMENT, "only pre-trained");
    ForecasterHandle forecaster;
    REQUIRE_FAILS(invf_forecaster_create_model(pretrained.raw, nullptr, &forecaster.raw),
                  INVF_ERR_INVALID_ARGUMENT, "only pre-trained");
    Model tuned;
    REQUIRE_OK(invf_train(data.raw, pretrained.raw, tune.raw, nullptr, nullptr, &tuned.raw));
    CHECK(provenance(tuned.raw, "objective") == "forecast");
    CHECK(provenance(tuned.raw, "init_objective") == "masked_patch");
    CHECK(probe(tuned.raw).size() == 42);
  }
}

TEST_CASE("invf_train refuses bad arguments and options", "[train]") {
  Dataset data;
  weekly_dataset(data);
  Model model;
  REQUIRE_FAILS(invf_train(nullptr, nullptr, nullptr, nullptr, nullptr, &model.raw),
                INVF_ERR_NULL_POINTER, "dataset");
  REQUIRE_FAILS(invf_train(data.raw, nullptr, nullptr, nullptr, nullptr, nullptr),
                INVF_ERR_NULL_POINTER, "out");
  Options options;
  REQUIRE_OK(invf_options_create(&options.raw));
  REQUIRE_FAILS(invf_options_set(options.raw, "epochs", "0"), INVF_ERR_INVALID_ARGUMENT, "epochs");
  REQUIRE_FAILS(invf_options_set(options.raw, "objective", "magic"), INVF_ERR_INVALID_ARGUMENT,
                "forecast, masked_patch");
  REQUIRE_FAILS(invf_options_set(options.raw, "learning_rate", "nan"), INVF_ERR_INVALID_ARGUMENT,
                "learning_rate");
  // An inconsistent architecture is the caller's mistake, named.
  set_all(options, kSmallModel);
  set_all(options, {{"heads", "3"}});
  REQUIRE_FAILS(invf_train(data.raw, nullptr, options.raw, nullptr, nullptr, &model.raw),
                INVF_ERR_INVALID_ARGUMENT, "heads");
  // Series shorter than context + horizon: no window to train on.
  Dataset short_data;
  weekly_dataset(short_data, 30);
  Options small;
  set_all(small, kSmallModel);
  REQUIRE_FAILS(invf_train(short_data.raw, nullptr, small.raw, nullptr, nullptr, &model.raw),
                INVF_ERR_SERIES_TOO_SHORT, "");
  set_all(small, {{"lora_rank", "4"}});
  REQUIRE_FAILS(invf_train(data.raw, nullptr, small.raw, nullptr, nullptr, &model.raw),
                INVF_ERR_INVALID_ARGUMENT, "lora");
  CHECK(model.raw == nullptr);
}

// Covariates through the C ABI (docs/covariates.md): the default is every column and the
// calendar; the model lists its features, refuses raw arrays (no dates there), forecasts a
// dataset from the dates alone when the calendar is all it reads, needs the horizon's values of
// a known-future column, and backtests on the history, where those values are known.
TEST_CASE("a model trained with covariates lists them and forecasts datasets", "[train][covariates]") {
  Dataset data;
  weekly_dataset(data);
  Model calendar;
  train_small(data, {{"covariates", "all"}}, calendar);
  uint64_t count = 0;
  REQUIRE_OK(invf_model_feature_count(calendar.raw, &count));
  REQUIRE(count == 5);
  const char *name = nullptr, *kind = nullptr, *role = nullptr;
  REQUIRE_OK(invf_model_feature(calendar.raw, 0, &name, &kind, &role));
  CHECK(std::string(name) == "target");
  CHECK(std::string(role) == "target");
  REQUIRE_OK(invf_model_feature(calendar.raw, 1, &name, &kind, &role));
  CHECK(std::string(name) == "day_of_week");
  CHECK(std::string(kind) == "categorical");
  CHECK(std::string(role) == "future_covariate");
  REQUIRE_OK(invf_model_feature(calendar.raw, 2, nullptr, &kind, nullptr));
  CHECK(std::string(kind) == "real");  // day_of_month
  REQUIRE_FAILS(invf_model_feature(calendar.raw, 5, &name, &kind, &role), INVF_ERR_INVALID_ARGUMENT,
                "feature index 5 is out of range (the model has 5)");
  std::vector<float> context(28, 1.0f), out(7 * 3);
  REQUIRE_FAILS(invf_model_forecast(calendar.raw, context.data(), 1, 28, out.data(), out.size()),
                INVF_ERR_UNSUPPORTED, "this model reads covariates");

  ForecasterHandle forecaster;
  REQUIRE_OK(invf_forecaster_create_model(calendar.raw, nullptr, &forecaster.raw));
  Owned<invf_forecast, invf_forecast_release> forecast;
  REQUIRE_OK(invf_forecaster_forecast(forecaster.raw, data.raw, 7, &forecast.raw));
  std::vector<double> mean(7);
  REQUIRE_OK(invf_forecast_mean(forecast.raw, 0, mean.data(), mean.size()));
  for (double m : mean) CHECK((std::isfinite(m) && m >= 0.0));

  // A known-future price (varying, so not static): forecasting past the history needs its
  // values for the horizon; a backtest reads them from the history.
  Dataset priced;
  weekly_dataset(priced);
  const std::vector<std::string> dates = dates_of_2024(140);
  const std::vector<const char*> date_pointers = pointers(dates);
  for (int s = 0; s < 12; ++s) {
    std::vector<double> price(140);
    for (int d = 0; d < 140; ++d) price[static_cast<size_t>(d)] = 2.0 + 0.5 * ((d / 10 + s) % 3);
    const std::string id = "s" + std::to_string(s);
    REQUIRE_OK(invf_dataset_add_numeric(priced.raw, id.c_str(), "price", date_pointers.data(),
                                        price.data(), price.size()));
  }
  Model with_price;
  train_small(priced, {{"covariates", "price"}}, with_price);
  REQUIRE_OK(invf_model_feature_count(with_price.raw, &count));
  CHECK(count == 6);  // the target, price and the calendar
  ForecasterHandle priced_forecaster;
  REQUIRE_OK(invf_forecaster_create_model(with_price.raw, nullptr, &priced_forecaster.raw));
  Owned<invf_forecast, invf_forecast_release> refused;
  REQUIRE_FAILS(invf_forecaster_forecast(priced_forecaster.raw, priced.raw, 7, &refused.raw),
                INVF_ERR_INVALID_ARGUMENT,
                "known-future covariate 'price' of series 's0' covers 0 of the 7 days");
  Owned<invf_backtest, invf_backtest_release> backtest;
  const invf_forecaster* members[] = {priced_forecaster.raw};
  Options levels;
  set_all(levels, {{"quantiles", "0.1,0.5,0.9"}});
  REQUIRE_OK(invf_backtest_run_forecasters(priced.raw, members, 1, 7, 2, levels.raw, &backtest.raw));
}

TEST_CASE("the shipped default model forecasts the bundled data", "[train]") {
  Model model;
  REQUIRE_OK(invf_model_load(INVF_DEFAULT_MODEL, nullptr, &model.raw));
  CHECK(provenance(model.raw, "objective") == "forecast");
  int64_t horizon = 0;
  REQUIRE_OK(invf_model_config_int(model.raw, "horizon", &horizon));
  CHECK(horizon == 30);
  // It reads every M5 column and the calendar; the future file gives the 28 days after.
  uint64_t features = 0;
  REQUIRE_OK(invf_model_feature_count(model.raw, &features));
  CHECK(features == 12);  // the target, 7 columns, 4 calendar features
  Dataset data;
  REQUIRE_OK(invf_dataset_load_csv(INVF_BUNDLED_DATA, nullptr, &data.raw));
  ForecasterHandle forecaster;
  REQUIRE_OK(invf_forecaster_create_model(model.raw, nullptr, &forecaster.raw));
  Owned<invf_forecast, invf_forecast_release> forecast;
  REQUIRE_FAILS(invf_forecaster_forecast(forecaster.raw, data.raw, 28, &forecast.raw),
                INVF_ERR_INVALID_ARGUMENT, "known-future covariate 'price'");
  REQUIRE_OK(invf_dataset_read_future_csv(data.raw, INVF_BUNDLED_FUTURE, nullptr));
  REQUIRE_OK(invf_forecaster_forecast(forecaster.raw, data.raw, 28, &forecast.raw));
  size_t series = 0, levels = 0;
  REQUIRE_OK(invf_forecast_series_count(forecast.raw, &series));
  REQUIRE_OK(invf_forecast_quantile_count(forecast.raw, &levels));
  CHECK(series == 280);
  REQUIRE(levels == 9);
  // Every series: 28 days of finite, non-negative, non-crossing quantiles;
  // in total the forecast means are on the scale of the last 28 days' sales.
  double forecast_total = 0.0, recent_total = 0.0;
  for (size_t s = 0; s < series; ++s) {
    std::vector<double> mean(28);
    REQUIRE_OK(invf_forecast_mean(forecast.raw, s, mean.data(), mean.size()));
    for (double m : mean) forecast_total += m;
    size_t length = 0;
    REQUIRE_OK(invf_dataset_series_length(data.raw, s, &length));
    std::vector<double> values(length);
    REQUIRE_OK(invf_dataset_series_values(data.raw, s, values.data(), values.size()));
    for (size_t t = length - 28; t < length; ++t) recent_total += values[t];
    std::vector<double> quantiles(28 * levels);
    REQUIRE_OK(invf_forecast_quantiles(forecast.raw, s, quantiles.data(), quantiles.size()));
    for (size_t d = 0; d < 28; ++d)
      for (size_t q = 0; q < levels; ++q) {
        const double v = quantiles[d * levels + q];
        REQUIRE(std::isfinite(v));
        REQUIRE(v >= 0.0);
        if (q > 0) REQUIRE(v >= quantiles[d * levels + q - 1]);
      }
  }
  INFO("forecast total " << forecast_total << ", last 28 days " << recent_total);
  CHECK(forecast_total > 0.6 * recent_total);
  CHECK(forecast_total < 1.5 * recent_total);
}

TEST_CASE("a diverging run fails with INVF_ERR_DIVERGED, not INTERNAL", "[train]") {
  Dataset data;
  weekly_dataset(data);
  {
    // The largest learning rate the options accept, with neither warm-up, decay nor clipping:
    // the losses stay finite, but the steps (about 10 per weight) drive RevIN's gain below 0,
    // which no model may have (the encoder divides by it).
    Options options;
    set_all(options, kSmallModel);
    set_all(options, {{"learning_rate", "10"}, {"min_learning_rate", "10"}, {"warmup_steps", "0"},
                      {"clip_norm", "0"}, {"loss", "mse"}, {"epochs", "20"}});
    Model model;
    REQUIRE_FAILS(invf_train(data.raw, nullptr, options.raw, nullptr, nullptr, &model.raw),
                  INVF_ERR_DIVERGED, "train: training drove revin.weight to -");
    CHECK(model.raw == nullptr);
  }
  // Mean-absolute scaling: a model without RevIN's gain and bias.
  Model base;
  train_small(data, {{"epochs", "1"}, {"normalization", "meanabs"}}, base);
  for (float v : probe(base.raw)) REQUIRE(std::isfinite(v));
  // Learning rate 10 does not make the loss of this model overflow, so the run starts where
  // such a run ends: the base's weights blown up by 1e18 (every float from
  // the end of the tensor table to the checksum: the tensors and their zero padding), the
  // checksum re-sealed.  The model loads (its values are finite), and its first forward pass
  // overflows float32 (a product of two weights is already 1e36 before any sum).
  std::vector<unsigned char> bytes = model_bytes(base.raw);
  uint64_t header_len = 0;
  std::memcpy(&header_len, bytes.data() + 24, sizeof header_len);
  for (size_t at = (header_len + 3) / 4 * 4; at + 4 < bytes.size(); at += 4) {
    float v;
    std::memcpy(&v, bytes.data() + at, sizeof v);
    v *= 1e18f;
    std::memcpy(bytes.data() + at, &v, sizeof v);
  }
  const uLong crc = crc32(0L, bytes.data(), static_cast<uInt>(bytes.size() - 4));
  for (size_t i = 0; i < 4; ++i) bytes[bytes.size() - 4 + i] = static_cast<unsigned char>(crc >> (8 * i));
  Model blown;
  REQUIRE_OK(invf_model_load_buffer(bytes.data(), bytes.size(), nullptr, &blown.raw));
  Options tune;
  set_all(tune, {{"epochs", "1"}, {"steps_per_epoch", "5"}, {"batch_size", "16"},
                 {"quantiles", "0.1,0.5,0.9"}});
  Model model;
  REQUIRE_FAILS(invf_train(data.raw, blown.raw, tune.raw, nullptr, nullptr, &model.raw),
                INVF_ERR_DIVERGED, "train: the loss is nan at step 1 (diverged: lower learning_rate)");
  CHECK(model.raw == nullptr);
}

namespace {

struct StageLog {
  std::vector<std::string> stages;
  std::vector<size_t> done, total;
  size_t cancel_at = 0;  // 0 = never cancel
};

int log_stage(void* user_data, const char* stage, size_t done, size_t total) {
  auto* log = static_cast<StageLog*>(user_data);
  log->stages.emplace_back(stage);
  log->done.push_back(done);
  log->total.push_back(total);
  return log->cancel_at != 0 && done >= log->cancel_at;
}

}  // namespace

TEST_CASE("invf_train reports through the progress callback set on its options", "[train]") {
  Dataset data;
  weekly_dataset(data);
  Options options;
  set_all(options, kSmallModel);
  StageLog log;
  REQUIRE_OK(invf_options_set_progress(options.raw, log_stage, &log));
  Model model;
  REQUIRE_OK(invf_train(data.raw, nullptr, options.raw, nullptr, nullptr, &model.raw));
  // 3 epochs of 20 steps: reports every 10 steps and after each epoch.
  REQUIRE(log.stages.size() >= 6);
  for (size_t i = 0; i < log.stages.size(); ++i) {
    CHECK(log.stages[i] == "training");
    CHECK(log.total[i] == 60);
    if (i > 0) CHECK(log.done[i] >= log.done[i - 1]);
  }
  CHECK(log.done.back() == 60);

  // Returning non-zero cancels the run.
  StageLog cancel;
  cancel.cancel_at = 20;
  REQUIRE_OK(invf_options_set_progress(options.raw, log_stage, &cancel));
  Model cancelled;
  REQUIRE_FAILS(invf_train(data.raw, nullptr, options.raw, nullptr, nullptr, &cancelled.raw),
                INVF_ERR_CANCELLED, "cancelled");
  CHECK(cancelled.raw == nullptr);
  CHECK(cancel.done.back() == 20);

  // Pre-training reports through the same callback, under its own stage.
  StageLog pre_log;
  Options pre;
  set_all(pre, kSmallModel);
  set_all(pre, {{"objective", "masked_patch"}, {"epochs", "1"}});
  REQUIRE_OK(invf_options_set_progress(pre.raw, log_stage, &pre_log));
  Model pretrained;
  REQUIRE_OK(invf_train(data.raw, nullptr, pre.raw, nullptr, nullptr, &pretrained.raw));
  REQUIRE_FALSE(pre_log.stages.empty());
  CHECK(pre_log.stages.front() == "pre-training");
  CHECK(pre_log.done.back() == 20);

  // Two callbacks for one run are refused rather than one silently ignored.
  Recorder recorder;
  REQUIRE_FAILS(invf_train(data.raw, nullptr, options.raw, record, &recorder, &cancelled.raw),
                INVF_ERR_INVALID_ARGUMENT, "two progress callbacks");
  CHECK(recorder.reports.empty());
}

TEST_CASE("a negbin head trains through the C ABI and forecasts its distribution", "[train]") {
  Dataset data;
  weekly_dataset(data);
  Model model;
  train_small(data, {{"head", "negbin"}}, model);
  // Whole, non-crossing quantiles from the raw-array call.
  const std::vector<float> out = probe(model.raw);
  for (size_t i = 0; i < out.size(); ++i) {
    CHECK(out[i] >= 0.0f);
    CHECK(out[i] == std::floor(out[i]));
    if (i % 3 != 0) CHECK(out[i] >= out[i - 1]);
  }
  // The forecaster's mean is the distribution's, not the average of the three quantiles (whole
  // units: the average is a multiple of 1/3, the mean almost never one).
  ForecasterHandle forecaster;
  REQUIRE_OK(invf_forecaster_create_model(model.raw, nullptr, &forecaster.raw));
  Owned<invf_forecast, invf_forecast_release> forecast;
  REQUIRE_OK(invf_forecaster_forecast(forecaster.raw, data.raw, 7, &forecast.raw));
  std::vector<double> mean(7), quantiles(21);
  REQUIRE_OK(invf_forecast_mean(forecast.raw, 11, mean.data(), mean.size()));
  REQUIRE_OK(invf_forecast_quantiles(forecast.raw, 11, quantiles.data(), quantiles.size()));
  int distinct = 0;
  for (size_t d = 0; d < 7; ++d) {
    CHECK(mean[d] > 0.0);
    CHECK(mean[d] >= quantiles[d * 3] - 1.0);  // within the distribution's bulk
    CHECK(mean[d] <= quantiles[d * 3 + 2] + 1.0);
    const double average = (quantiles[d * 3] + quantiles[d * 3 + 1] + quantiles[d * 3 + 2]) / 3.0;
    distinct += std::abs(mean[d] - average) > 1e-6;
  }
  CHECK(distinct == 7);
  // The quantile head's loss does not apply.
  Options options;
  set_all(options, kSmallModel);
  set_all(options, {{"head", "negbin"}, {"loss", "mae"}});
  Model refused;
  REQUIRE_FAILS(invf_train(data.raw, nullptr, options.raw, nullptr, nullptr, &refused.raw),
                INVF_ERR_INVALID_ARGUMENT, "applies to the quantile head");
  // A fine-tune keeps the base's head: setting it again is a model key.
  Options again;
  set_all(again, {{"head", "negbin"}, {"epochs", "1"}});
  REQUIRE_FAILS(invf_train(data.raw, model.raw, again.raw, nullptr, nullptr, &refused.raw),
                INVF_ERR_INVALID_ARGUMENT, "keeps its configuration");
}
