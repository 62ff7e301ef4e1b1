// Neural models through the C ABI: loading from a path and from memory,
// configuration queries, forecasts against PyTorch's outputs on the parity
// fixtures (tests/make_parity_fixture.py), damaged files, bad arguments, one
// handle shared by 8 threads, and the "model" forecaster over a dataset.
//
// Parity metric (as tests/test_encoder.cpp), per series s:
// max_i |got - want| / max(max_i |want|, 1e-3) over its horizon x quantiles,
// within 1e-5 (reference) and 1e-4 (cpu): test_encoder.cpp says why.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <thread>

#include <unistd.h>
#include <zlib.h>

#include "capi_support.hpp"
#include "invforecast.hpp"

namespace {

std::vector<unsigned char> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  return std::vector<unsigned char>(std::istreambuf_iterator<char>(in), {});
}

std::vector<float> read_f32(const std::string& path) {
  const std::vector<unsigned char> bytes = read_bytes(path);
  REQUIRE(bytes.size() % sizeof(float) == 0);
  std::vector<float> values(bytes.size() / sizeof(float));
  std::memcpy(values.data(), bytes.data(), bytes.size());
  return values;
}

std::string parity(const std::string& name) { return fixture("parity/") + name; }

struct ModelHandle {
  invf_model* raw = nullptr;
  ModelHandle() = default;
  ModelHandle(const ModelHandle&) = delete;
  ~ModelHandle() { invf_model_release(raw); }
};

struct OptionsHandle {
  invf_options* raw = nullptr;
  // key=value pairs, in order.
  explicit OptionsHandle(std::initializer_list<std::pair<const char*, const char*>> settings) {
    REQUIRE_OK(invf_options_create(&raw));
    for (const auto& [key, value] : settings) REQUIRE_OK(invf_options_set(raw, key, value));
  }
  OptionsHandle(const OptionsHandle&) = delete;
  ~OptionsHandle() { invf_options_release(raw); }
};

int64_t config(const invf_model* model, const char* key) {
  int64_t value = -1;
  REQUIRE_OK(invf_model_config_int(model, key, &value));
  return value;
}

size_t outputs_per_series(const invf_model* model) {
  return static_cast<size_t>(config(model, "horizon") * config(model, "quantile_count"));
}

std::vector<float> forecast(const invf_model* model, const std::vector<float>& context) {
  const auto length = static_cast<size_t>(config(model, "context_length"));
  const size_t batch = context.size() / length;
  std::vector<float> out(batch * outputs_per_series(model), -1.0f);
  REQUIRE_OK(invf_model_forecast(model, context.data(), batch, length, out.data(), out.size()));
  return out;
}

double max_series_error(const std::vector<float>& got, const std::vector<float>& want,
                        size_t per_series) {
  if (got.size() != want.size() || want.empty()) return std::numeric_limits<double>::infinity();
  double worst = 0.0;
  for (size_t first = 0; first < want.size(); first += per_series) {
    double diff = 0.0, scale = 1e-3;
    for (size_t i = first; i < first + per_series; ++i) {
      if (!std::isfinite(got[i])) return std::numeric_limits<double>::infinity();
      diff = std::max(diff, std::abs(static_cast<double>(got[i]) - want[i]));
      scale = std::max(scale, std::abs(static_cast<double>(want[i])));
    }
    worst = std::max(worst, diff / scale);
  }
  return worst;
}

// Consecutive ISO dates from 2023-01-01 on.
std::vector<std::string> days_from_2023(size_t count) {
  using namespace std::chrono;
  std::vector<std::string> dates;
  const sys_days first{year{2023} / January / 1};
  for (size_t i = 0; i < count; ++i) {
    const year_month_day date{first + days{static_cast<int>(i)}};
    char text[16];
    std::snprintf(text, sizeof text, "%04d-%02u-%02u", static_cast<int>(date.year()),
                  static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()));
    dates.emplace_back(text);
  }
  return dates;
}

}  // namespace

TEST_CASE("model loads from a path and from a buffer with its configuration", "[model]") {
  struct Expected {
    const char* file;
    int64_t context, patch, stride, tokens, d_model, heads, ffn, layers, horizon, quantiles;
    std::vector<double> levels;
  };
  const std::vector<Expected> cases = {
      {"parity/revin.invfm", 64, 16, 8, 8, 32, 4, 64, 2, 7, 9,
       {0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9}},
      {"parity/meanabs.invfm", 48, 8, 8, 6, 16, 2, 32, 2, 5, 5, {0.05, 0.25, 0.5, 0.75, 0.95}},
      {"model/v1_tiny_meanabs.invfm", 12, 4, 4, 3, 4, 2, 8, 2, 2, 1, {0.5}},
      {"model/v1_small_revin_runnable.invfm", 16, 4, 2, 8, 8, 2, 16, 1, 2, 3, {0.05, 0.5, 0.95}},
  };
  for (const Expected& e : cases) {
    INFO(e.file);
    ModelHandle from_path, from_buffer;
    REQUIRE_OK(invf_model_load(fixture(e.file).c_str(), nullptr, &from_path.raw));
    std::vector<unsigned char> bytes = read_bytes(fixture(e.file));
    REQUIRE_OK(invf_model_load_buffer(bytes.data(), bytes.size(), nullptr, &from_buffer.raw));
    // The buffer is copied: overwriting it after the call changes nothing.
    std::fill(bytes.begin(), bytes.end(), 0xAB);
    for (const invf_model* model : {from_path.raw, from_buffer.raw}) {
      CHECK(config(model, "context_length") == e.context);
      CHECK(config(model, "patch_length") == e.patch);
      CHECK(config(model, "stride") == e.stride);
      CHECK(config(model, "tokens") == e.tokens);
      CHECK(config(model, "d_model") == e.d_model);
      CHECK(config(model, "heads") == e.heads);
      CHECK(config(model, "ffn_dim") == e.ffn);
      CHECK(config(model, "layers") == e.layers);
      CHECK(config(model, "horizon") == e.horizon);
      CHECK(config(model, "quantile_count") == e.quantiles);
      CHECK(config(model, "format_version") == 1);
      std::vector<double> levels(e.levels.size() + 1, -1.0);
      REQUIRE_OK(invf_model_quantile_levels(model, levels.data(), levels.size()));
      levels.pop_back();
      CHECK(levels == e.levels);
      REQUIRE_FAILS(invf_model_quantile_levels(model, levels.data(), levels.size() - 1),
                    INVF_ERR_BUFFER_TOO_SMALL, "needs");
    }
    // Saving hands back the file exactly as it was loaded, from either source.
    const std::vector<unsigned char> original = read_bytes(fixture(e.file));
    for (const invf_model* model : {from_path.raw, from_buffer.raw}) {
      size_t needed = 0;
      REQUIRE_OK(invf_model_save_buffer(model, nullptr, 0, &needed));
      REQUIRE(needed == original.size());
      std::vector<unsigned char> saved(needed);
      REQUIRE_OK(invf_model_save_buffer(model, saved.data(), saved.size(), &needed));
      CHECK(saved == original);
    }
    // Same weights either way.
    std::vector<float> context(static_cast<size_t>(e.context) * 3);
    for (size_t i = 0; i < context.size(); ++i) context[i] = static_cast<float>((i * 7) % 5);
    CHECK(forecast(from_path.raw, context) == forecast(from_buffer.raw, context));
  }
}

TEST_CASE("model forecasts match PyTorch on the parity fixtures", "[model][parity]") {
  for (const char* name : {"revin", "meanabs"}) {
    const std::vector<float> input = read_f32(parity(name) + "_input.f32");
    const std::vector<float> want = read_f32(parity(name) + "_output.f32");
    for (const char* backend : {"cpu", "reference"}) {
      INFO(name << " on " << backend);
      OptionsHandle options({{"backend", backend}});
      ModelHandle model;
      REQUIRE_OK(invf_model_load((parity(name) + ".invfm").c_str(), options.raw, &model.raw));
      const std::vector<float> got = forecast(model.raw, input);
      const double tolerance = std::string(backend) == "reference" ? 1e-5 : 1e-4;
      CHECK(max_series_error(got, want, outputs_per_series(model.raw)) <= tolerance);
    }
  }
}

TEST_CASE("model forecast argument errors", "[model]") {
  ModelHandle model;
  REQUIRE_OK(invf_model_load(parity("revin.invfm").c_str(), nullptr, &model.raw));
  const std::vector<float> input = read_f32(parity("revin_input.f32"));
  const size_t length = 64, per_series = 7 * 9, batch = input.size() / length;
  std::vector<float> out(batch * per_series, -7.0f);

  REQUIRE_FAILS(invf_model_forecast(nullptr, input.data(), batch, length, out.data(), out.size()),
                INVF_ERR_NULL_POINTER, "model");
  REQUIRE_FAILS(invf_model_forecast(model.raw, nullptr, batch, length, out.data(), out.size()),
                INVF_ERR_NULL_POINTER, "context");
  REQUIRE_FAILS(invf_model_forecast(model.raw, input.data(), batch, length, nullptr, out.size()),
                INVF_ERR_NULL_POINTER, "out");
  REQUIRE_FAILS(invf_model_forecast(model.raw, input.data(), batch, 63, out.data(), out.size()),
                INVF_ERR_INVALID_ARGUMENT, "context_length 63");
  REQUIRE_FAILS(
      invf_model_forecast(model.raw, input.data(), batch, length, out.data(), out.size() - 1),
      INVF_ERR_BUFFER_TOO_SMALL, "needs 1008");
  REQUIRE_FAILS(invf_model_forecast(model.raw, input.data(), std::numeric_limits<size_t>::max(),
                                    length, out.data(), out.size()),
                INVF_ERR_INVALID_ARGUMENT, "overflows");

  std::vector<float> bad = input;
  bad[3 * length + 10] = std::numeric_limits<float>::quiet_NaN();
  REQUIRE_FAILS(invf_model_forecast(model.raw, bad.data(), batch, length, out.data(), out.size()),
                INVF_ERR_DATA, "series 3");
  bad = input;
  bad[5 * length + 2] = -1.0f;
  REQUIRE_FAILS(invf_model_forecast(model.raw, bad.data(), batch, length, out.data(), out.size()),
                INVF_ERR_DATA, "series 5 holds -1 at day 2");
  bad[5 * length + 2] = std::numeric_limits<float>::infinity();
  REQUIRE_FAILS(invf_model_forecast(model.raw, bad.data(), batch, length, out.data(), out.size()),
                INVF_ERR_DATA, "finite");
  // Refused calls leave the output alone.
  CHECK(std::all_of(out.begin(), out.end(), [](float v) { return v == -7.0f; }));
  // An empty batch is a no-op.
  REQUIRE_OK(invf_model_forecast(model.raw, nullptr, 0, length, nullptr, 0));

  int64_t value = 0;
  REQUIRE_FAILS(invf_model_config_int(model.raw, "depth", &value), INVF_ERR_INVALID_ARGUMENT,
                "unknown model configuration key 'depth'");
  REQUIRE_FAILS(invf_model_config_int(model.raw, nullptr, &value), INVF_ERR_NULL_POINTER, "key");
  REQUIRE_FAILS(invf_model_config_int(model.raw, "horizon", nullptr), INVF_ERR_NULL_POINTER,
                "out");
  REQUIRE_FAILS(invf_model_config_int(nullptr, "horizon", &value), INVF_ERR_NULL_POINTER,
                "model");
  REQUIRE_FAILS(invf_model_quantile_levels(model.raw, nullptr, 9), INVF_ERR_NULL_POINTER,
                "buffer");
  invf_model_release(nullptr);  // NULL-safe
}

TEST_CASE("model loading refuses bad arguments and damaged files", "[model]") {
  invf_model* model = nullptr;
  REQUIRE_FAILS(invf_model_load(nullptr, nullptr, &model), INVF_ERR_NULL_POINTER, "path");
  REQUIRE_FAILS(invf_model_load(parity("revin.invfm").c_str(), nullptr, nullptr),
                INVF_ERR_NULL_POINTER, "out");
  REQUIRE_FAILS(invf_model_load_buffer(nullptr, 10, nullptr, &model), INVF_ERR_NULL_POINTER,
                "data");
  REQUIRE_FAILS(invf_model_load(fixture("model/absent.invfm").c_str(), nullptr, &model),
                INVF_ERR_IO, "absent.invfm");
  REQUIRE_FAILS(invf_model_load(fixture("capi_small.csv").c_str(), nullptr, &model),
                INVF_ERR_CORRUPT_MODEL, "model file");
  {
    invf_options* options = nullptr;
    REQUIRE_OK(invf_options_create(&options));
    // One mapping from the name to a backend: an unknown name and one this build lacks are
    // both UNSUPPORTED, naming the backends there are.
    REQUIRE_FAILS(invf_options_set(options, "backend", "gpu"), INVF_ERR_UNSUPPORTED,
                  "unknown backend 'gpu': the backends built in are reference and cpu");
    REQUIRE_FAILS(invf_options_set(options, "backend", "cuda"), INVF_ERR_UNSUPPORTED,
                  "the cuda backend is not available");
    invf_options_release(options);
  }

  const std::vector<unsigned char> good = read_bytes(parity("meanabs.invfm"));
  // Every truncation, down to nothing, is refused (cheap: the model is small).
  for (size_t size = 0; size < good.size(); size += (size < 64 ? 1 : 97)) {
    INFO("truncated to " << size << " bytes");
    REQUIRE_FAILS(invf_model_load_buffer(good.data(), size, nullptr, &model),
                  INVF_ERR_CORRUPT_MODEL, "model file");
  }
  // A flipped bit anywhere: header, metadata, tensor table, weights, checksum.
  for (size_t at = 0; at < good.size(); at += 211) {
    INFO("bit flipped at byte " << at);
    std::vector<unsigned char> damaged = good;
    damaged[at] ^= 0x10;
    REQUIRE_FAILS(invf_model_load_buffer(damaged.data(), damaged.size(), nullptr, &model),
                  INVF_ERR_CORRUPT_MODEL, "model file");
  }
  // A file of a later format (version field raised, checksum re-sealed) is
  // not damage but unsupported, and the message names both versions.
  std::vector<unsigned char> newer = good;
  newer[8] = 2;  // format_version u32 at offset 8
  const uLong crc = crc32(0L, newer.data(), static_cast<uInt>(newer.size() - 4));
  for (size_t i = 0; i < 4; ++i) newer[newer.size() - 4 + i] = static_cast<unsigned char>(crc >> (8 * i));
  REQUIRE_FAILS(invf_model_load_buffer(newer.data(), newer.size(), nullptr, &model),
                INVF_ERR_UNSUPPORTED, "format version 2 is newer than this library's 1");

  // The mapped path refuses a truncated file the same way.
  const std::string path =
      (std::filesystem::temp_directory_path() / ("invf_truncated_" + std::to_string(getpid()) +
                                                 ".invfm"))
          .string();
  {
    std::ofstream file(path, std::ios::binary);
    file.write(reinterpret_cast<const char*>(good.data()),
               static_cast<std::streamsize>(good.size() / 2));
  }
  REQUIRE_FAILS(invf_model_load(path.c_str(), nullptr, &model), INVF_ERR_CORRUPT_MODEL,
                "model file");
  std::filesystem::remove(path);
  CHECK(model == nullptr);  // never written on failure
}

TEST_CASE("one model handle forecasts on 8 threads at once, bit for bit", "[model][threads]") {
  // 150 series: several tiles, so the handle's own worker split is exercised too.
  const std::vector<float> fixture_input = read_f32(parity("revin_input.f32"));
  const size_t length = 64, batch = 150;
  std::vector<float> input(batch * length);
  for (size_t s = 0; s < batch; ++s)
    for (size_t t = 0; t < length; ++t)
      input[s * length + t] = fixture_input[(s % 16) * length + t] * static_cast<float>(1 + s % 7);

  OptionsHandle one_thread({{"threads", "1"}}), three_threads({{"threads", "3"}});
  ModelHandle single, shared;
  REQUIRE_OK(invf_model_load(parity("revin.invfm").c_str(), one_thread.raw, &single.raw));
  REQUIRE_OK(invf_model_load(parity("revin.invfm").c_str(), three_threads.raw, &shared.raw));
  const std::vector<float> expected = forecast(single.raw, input);

  constexpr int kThreads = 8, kRounds = 5;
  std::vector<std::vector<float>> results(kThreads * kRounds);
  std::vector<invf_code> codes(kThreads * kRounds, INVF_ERR_INTERNAL);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int r = 0; r < kRounds; ++r) {
        std::vector<float>& out = results[t * kRounds + r];
        // Threads vary the batch so that concurrent calls differ in shape.
        const size_t series = batch - static_cast<size_t>((t + r) % 3) * 40;
        out.assign(series * 63, -1.0f);
        invf_status* status = invf_model_forecast(shared.raw, input.data(), series, length,
                                                  out.data(), out.size());
        codes[t * kRounds + r] = invf_status_code(status);
        invf_status_release(status);
      }
    });
  for (std::thread& thread : threads) thread.join();
  for (size_t i = 0; i < results.size(); ++i) {
    INFO("thread " << i / kRounds << " round " << i % kRounds);
    REQUIRE(codes[i] == INVF_OK);
    const std::vector<float> prefix(expected.begin(),
                                    expected.begin() + static_cast<ptrdiff_t>(results[i].size()));
    CHECK(results[i] == prefix);
  }
}

TEST_CASE("model forecaster runs over a dataset", "[model][forecaster]") {
  const std::vector<float> input = read_f32(parity("revin_input.f32"));
  const size_t length = 64, series = input.size() / length, per_series = 7 * 9;
  ModelHandle model;
  REQUIRE_OK(invf_model_load(parity("revin.invfm").c_str(), nullptr, &model.raw));
  const std::vector<float> direct = forecast(model.raw, input);

  // Each fixture series gets 10 older days before its 64-day context (which the
  // model must ignore), and one series "short" has only 20 days.
  invf_dataset* dataset = nullptr;
  REQUIRE_OK(invf_dataset_create(nullptr, &dataset));
  const std::vector<std::string> dates = days_from_2023(length + 10);
  const std::vector<const char*> date_pointers = pointers(dates);
  std::vector<std::string> ids;
  for (size_t s = 0; s < series; ++s) {
    char id[16];
    std::snprintf(id, sizeof id, "s%02zu", s);
    ids.emplace_back(id);
    std::vector<double> values(length + 10, 1000.0);
    for (size_t t = 0; t < length; ++t) values[10 + t] = input[s * length + t];
    REQUIRE_OK(invf_dataset_add_series(dataset, id, date_pointers.data(), values.data(),
                                       values.size()));
  }
  std::vector<double> short_values(20);
  for (size_t t = 0; t < short_values.size(); ++t) short_values[t] = static_cast<double>(t % 4);
  REQUIRE_OK(invf_dataset_add_series(dataset, "short", date_pointers.data() + 54,
                                     short_values.data(), short_values.size()));

  invf_forecaster* forecaster = nullptr;
  OptionsHandle options({{"threads", "2"}});
  REQUIRE_OK(invf_forecaster_create_model(model.raw, options.raw, &forecaster));
  invf_forecast* result = nullptr;
  REQUIRE_FAILS(invf_forecaster_forecast(forecaster, dataset, 8, &result),
                INVF_ERR_INVALID_ARGUMENT, "exceeds the model's horizon of 7");
  // The forecaster keeps the weights alive after the model handle is gone.
  invf_model_release(model.raw);
  model.raw = nullptr;
  REQUIRE_OK(invf_forecaster_forecast(forecaster, dataset, 5, &result));

  size_t count = 0, horizon = 0, levels = 0;
  REQUIRE_OK(invf_forecast_series_count(result, &count));
  REQUIRE_OK(invf_forecast_horizon(result, &horizon));
  REQUIRE_OK(invf_forecast_quantile_count(result, &levels));
  REQUIRE(count == series + 1);
  CHECK(horizon == 5);
  REQUIRE(levels == 9);
  for (size_t s = 0; s < series; ++s) {
    const char* id = nullptr;
    REQUIRE_OK(invf_forecast_series_id(result, s, &id));
    REQUIRE(std::string(id) == ids[s]);  // series order is by id
    std::vector<double> quantiles(horizon * levels), mean(horizon);
    REQUIRE_OK(invf_forecast_quantiles(result, s, quantiles.data(), quantiles.size()));
    REQUIRE_OK(invf_forecast_mean(result, s, mean.data(), mean.size()));
    for (size_t d = 0; d < horizon; ++d) {
      double sum = 0.0;
      for (size_t q = 0; q < levels; ++q) {
        // Same floats as the batch call: the first 5 of the model's 7 days.
        CHECK(quantiles[d * levels + q] == direct[s * per_series + d * levels + q]);
        sum += quantiles[d * levels + q];
      }
      // The mean is the levels' average, summed in double in another order: 1e-12 relative.
      CHECK(mean[d] == Approx(sum / 9).epsilon(1e-12));
    }
    const char *method = nullptr, *interval = nullptr;
    REQUIRE_OK(invf_forecast_method(result, s, &method, &interval));
    CHECK(std::string(method) == "model");
    CHECK(std::string(interval) == "encoder quantiles");
  }
  char start[INVF_DATE_BUFFER];
  REQUIRE_OK(invf_forecast_start_date(result, 0, start));
  CHECK(std::string(start) == "2023-03-16");  // 74 days from 2023-01-01

  // The short series: zeros before its 20 days, and a warning naming it.
  std::vector<float> padded(length, 0.0f);
  for (size_t t = 0; t < short_values.size(); ++t)
    padded[length - 20 + t] = static_cast<float>(short_values[t]);
  ModelHandle again;
  REQUIRE_OK(invf_model_load(parity("revin.invfm").c_str(), nullptr, &again.raw));
  const std::vector<float> padded_forecast = forecast(again.raw, padded);
  std::vector<double> quantiles(horizon * levels);
  REQUIRE_OK(invf_forecast_quantiles(result, series, quantiles.data(), quantiles.size()));
  for (size_t i = 0; i < quantiles.size(); ++i) CHECK(quantiles[i] == padded_forecast[i]);
  size_t warnings = 0;
  REQUIRE_OK(invf_forecast_warning_count(result, &warnings));
  REQUIRE(warnings == 1);
  const char* warning = nullptr;
  REQUIRE_OK(invf_forecast_warning(result, 0, &warning));
  CHECK_THAT(warning, Catch::Contains("'short'") && Catch::Contains("left-padded with 44"));
  invf_forecast_release(result);
  invf_forecaster_release(forecaster);

  // Strict mode refuses the short series instead.
  OptionsHandle strict({{"strict", "true"}});
  REQUIRE_OK(invf_forecaster_create_model(again.raw, strict.raw, &forecaster));
  REQUIRE_FAILS(invf_forecaster_forecast(forecaster, dataset, 7, &result),
                INVF_ERR_SERIES_TOO_SHORT, "series 'short' has 20 days");
  invf_forecaster_release(forecaster);
  REQUIRE_FAILS(invf_forecaster_create_model(nullptr, nullptr, &forecaster),
                INVF_ERR_NULL_POINTER, "model");
  invf_dataset_release(dataset);
}

TEST_CASE("model through the C++ wrapper, with progress", "[model][wrapper]") {
  const invf::Model model = invf::Model::load(parity("meanabs.invfm"));
  CHECK(model.config("context_length") == 48);
  CHECK(model.quantile_levels() == std::vector<double>{0.05, 0.25, 0.5, 0.75, 0.95});
  const std::vector<float> input = read_f32(parity("meanabs_input.f32"));
  const std::vector<float> want = read_f32(parity("meanabs_output.f32"));
  CHECK(max_series_error(model.forecast(input), want, 25) <= 1e-4);
  try {
    model.forecast(std::vector<float>(47, 1.0f));
    FAIL("a partial context was accepted");
  } catch (const invf::Error& e) {
    CHECK(e.code() == INVF_ERR_INVALID_ARGUMENT);
    CHECK_THAT(e.what(), Catch::Contains("whole number of contexts of 48"));
  }

  // 3 series of 60 days through the forecaster: progress reaches 3 of 3.
  invf::Dataset dataset;
  const std::vector<std::string> dates = days_from_2023(60);
  for (int s = 0; s < 3; ++s)
    dataset.add_series("item" + std::to_string(s), dates,
                       std::vector<double>(60, static_cast<double>(s + 1)));
  invf::Options options;
  size_t last_done = 0, last_total = 0;
  options.set_progress([&](std::string_view stage, size_t done, size_t total) {
    CHECK(stage == "forecast");
    last_done = done;
    last_total = total;
    return true;
  });
  const invf::Forecaster forecaster = invf::Forecaster::from_model(model, &options);
  const invf::Forecast result = forecaster.forecast(dataset, 5);
  CHECK(last_done == 3);
  CHECK(last_total == 3);
  CHECK(result.quantile_levels() == model.quantile_levels());
  CHECK(result.warnings().empty());
  // A constant series: mean-absolute scaling makes every level scale with it.
  const std::vector<double> one = result.quantiles(0), three = result.quantiles(2);
  // Equal in exact arithmetic; the float32 passes round their scaled inputs apart by a few ulp
  // (1.2e-7) through the layers: 1e-5 relative.
  for (size_t i = 0; i < one.size(); ++i) CHECK(three[i] == Approx(3.0 * one[i]).epsilon(1e-5));

  options.set_progress([](std::string_view, size_t, size_t) { return false; });
  const invf::Forecaster cancelled = invf::Forecaster::from_model(model, &options);
  try {
    cancelled.forecast(dataset, 5);
    FAIL("the progress callback could not cancel");
  } catch (const invf::Error& e) {
    CHECK(e.code() == INVF_ERR_CANCELLED);
  }
}
