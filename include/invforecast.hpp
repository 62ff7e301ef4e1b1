// invforecast.hpp: a header-only C++17 RAII wrapper over the C ABI in
// invforecast.h.  Every object owns its C handle and releases it when
// destroyed; objects move but do not copy.  A failed call throws invf::Error
// carrying the C status code and message.  The same threading rules as the C
// API apply: const member functions may run concurrently on one object.
#ifndef INVFORECAST_HPP
#define INVFORECAST_HPP

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "invforecast.h"

namespace invf {

class Error : public std::runtime_error {
 public:
  Error(invf_code code, const std::string& message) : std::runtime_error(message), code_(code) {}
  invf_code code() const noexcept { return code_; }

 private:
  invf_code code_;
};

namespace detail {

// Throws the status as an Error (after releasing it); does nothing for NULL.
inline void check(invf_status* status) {
  if (status == nullptr) return;
  const invf_code code = invf_status_code(status);
  std::string message = invf_status_message(status);
  invf_status_release(status);
  throw Error(code, message);
}

// The text a *_to_json call writes for `handle`: its size first, then the text.
template <typename T>
std::string json_of(invf_status* (*to_json)(const T*, char*, size_t, size_t*), const T* handle) {
  size_t needed = 0;
  check(to_json(handle, nullptr, 0, &needed));
  std::string json(needed, '\0');
  check(to_json(handle, json.data(), json.size(), &needed));
  json.resize(needed - 1);  // drop the NUL
  return json;
}

template <typename T, void (*Release)(T*)>
struct Releaser {
  void operator()(T* handle) const noexcept { Release(handle); }
};

template <typename T, void (*Release)(T*)>
using Handle = std::unique_ptr<T, Releaser<T, Release>>;

}  // namespace detail

struct Version {
  std::string library;
  int abi;
};

inline Version version() {
  const char* library = nullptr;
  int abi = -1;
  invf_version(&library, &abi);
  return {library, abi};
}

// The library's thread pool (invf_set_thread_pool_size): 0 = every hardware thread.
inline void set_thread_pool_size(uint32_t threads) {
  detail::check(invf_set_thread_pool_size(threads));
}
inline uint32_t thread_pool_size() { return invf_thread_pool_size(); }

// The domains of option `key` (INVF_DOMAIN_* flags); throws for an unknown key.
inline uint32_t option_domains(const std::string& key) {
  uint32_t domains = 0;
  detail::check(invf_option_domains(key.c_str(), &domains));
  return domains;
}

// Progress callback: (stage, done, total) -> false to cancel the running call.
using ProgressFunction = std::function<bool(std::string_view stage, size_t done, size_t total)>;

class Options {
 public:
  Options() {
    invf_options* raw = nullptr;
    detail::check(invf_options_create(&raw));
    handle_.reset(raw);
  }

  // Returns *this so that settings chain: Options().set("a", "1").set(...).
  Options& set(const std::string& key, const std::string& value) {
    detail::check(invf_options_set(handle_.get(), key.c_str(), value.c_str()));
    return *this;
  }

  // The function is shared with every object created from these options, so
  // it stays alive as long as any of them.  An exception thrown by it cancels
  // the call (INVF_ERR_CANCELLED) instead of crossing the C library.
  Options& set_progress(ProgressFunction function) {
    if (!function) {
      detail::check(invf_options_set_progress(handle_.get(), nullptr, nullptr));
      progress_.reset();
      return *this;
    }
    auto shared = std::make_shared<ProgressFunction>(std::move(function));
    detail::check(invf_options_set_progress(handle_.get(), &Options::trampoline, shared.get()));
    progress_ = std::move(shared);
    return *this;
  }

  const invf_options* get() const noexcept { return handle_.get(); }
  // Keeps the progress function alive for objects that copied these options.
  std::shared_ptr<const ProgressFunction> progress() const { return progress_; }

 private:
  static int trampoline(void* user_data, const char* stage, size_t done, size_t total) {
    try {
      return (*static_cast<ProgressFunction*>(user_data))(stage, done, total) ? 0 : 1;
    } catch (...) {
      return 1;
    }
  }

  detail::Handle<invf_options, invf_options_release> handle_;
  std::shared_ptr<const ProgressFunction> progress_;
};

// A covariate column of a dataset.
struct Column {
  std::string name;
  bool numeric;
};

class Dataset {
 public:
  // An empty dataset to fill with add_series() (ingestion options apply).
  explicit Dataset(const Options* options = nullptr) {
    invf_dataset* raw = nullptr;
    detail::check(invf_dataset_create(options ? options->get() : nullptr, &raw));
    handle_.reset(raw);
  }

  static Dataset load_csv(const std::string& path, const Options* options = nullptr) {
    invf_dataset* raw = nullptr;
    detail::check(invf_dataset_load_csv(path.c_str(), options ? options->get() : nullptr, &raw));
    return Dataset(raw);
  }

  void add_series(const std::string& series_id, const std::vector<std::string>& dates,
                  const std::vector<double>& values) {
    if (dates.size() != values.size())
      throw Error(INVF_ERR_INVALID_ARGUMENT, "add_series: " + std::to_string(dates.size()) +
                                                 " dates but " + std::to_string(values.size()) +
                                                 " values");
    const std::vector<const char*> date_pointers = c_strings(dates);
    detail::check(invf_dataset_add_series(handle_.get(), series_id.c_str(), date_pointers.data(),
                                          values.data(), values.size()));
  }

  void add_numeric(const std::string& series_id, const std::string& column,
                   const std::vector<std::string>& dates, const std::vector<double>& values) {
    if (dates.size() != values.size())
      throw Error(INVF_ERR_INVALID_ARGUMENT, "add_numeric: dates and values differ in length");
    const std::vector<const char*> date_pointers = c_strings(dates);
    detail::check(invf_dataset_add_numeric(handle_.get(), series_id.c_str(), column.c_str(),
                                           date_pointers.data(), values.data(), values.size()));
  }

  void add_categorical(const std::string& series_id, const std::string& column,
                       const std::vector<std::string>& dates,
                       const std::vector<std::string>& values) {
    if (dates.size() != values.size())
      throw Error(INVF_ERR_INVALID_ARGUMENT, "add_categorical: dates and values differ in length");
    const std::vector<const char*> date_pointers = c_strings(dates);
    const std::vector<const char*> value_pointers = c_strings(values);
    detail::check(invf_dataset_add_categorical(handle_.get(), series_id.c_str(), column.c_str(),
                                               date_pointers.data(), value_pointers.data(),
                                               values.size()));
  }

  // Several series at once (invf_dataset_add_columns): ids, first days as
  // day numbers (days since 1970-01-01), lengths, the values back to back
  // and numeric covariate columns (name, one cell per value).
  void add_columns(const std::vector<std::string>& ids, const std::vector<int64_t>& start_days,
                   const std::vector<int64_t>& lengths, const std::vector<double>& values,
                   const std::vector<std::pair<std::string, std::vector<double>>>& numeric = {}) {
    if (start_days.size() != ids.size() || lengths.size() != ids.size())
      throw Error(INVF_ERR_INVALID_ARGUMENT,
                  "add_columns: ids, start_days and lengths differ in length");
    std::vector<const char*> names;
    std::vector<const double*> cells;
    for (const auto& [name, column] : numeric) {
      if (column.size() != values.size())
        throw Error(INVF_ERR_INVALID_ARGUMENT, "add_columns: column '" + name + "' has " +
                                                   std::to_string(column.size()) + " cells for " +
                                                   std::to_string(values.size()) + " values");
      names.push_back(name.c_str());
      cells.push_back(column.data());
    }
    const std::vector<const char*> id_pointers = c_strings(ids);
    detail::check(invf_dataset_add_columns(handle_.get(), ids.size(), id_pointers.data(),
                                           start_days.data(), lengths.data(), values.data(),
                                           values.size(), names.size(), names.data(), cells.data(),
                                           0, nullptr, nullptr));
  }

  // Known-future covariates after the history and static attributes
  // (invf_dataset_read_future_csv, invf_dataset_read_static_csv); either may
  // add new products.
  void read_future_csv(const std::string& path, const Options* options = nullptr) {
    detail::check(invf_dataset_read_future_csv(handle_.get(), path.c_str(),
                                               options ? options->get() : nullptr));
  }
  void read_static_csv(const std::string& path, const Options* options = nullptr) {
    detail::check(invf_dataset_read_static_csv(handle_.get(), path.c_str(),
                                               options ? options->get() : nullptr));
  }

  size_t series_count() const {
    size_t count = 0;
    detail::check(invf_dataset_series_count(handle_.get(), &count));
    return count;
  }
  std::string series_id(size_t series) const {
    const char* id = nullptr;
    detail::check(invf_dataset_series_id(handle_.get(), series, &id));
    return id;
  }
  size_t series_length(size_t series) const {
    size_t length = 0;
    detail::check(invf_dataset_series_length(handle_.get(), series, &length));
    return length;
  }
  size_t series_future_days(size_t series) const {
    size_t days = 0;
    detail::check(invf_dataset_series_future_days(handle_.get(), series, &days));
    return days;
  }
  std::string series_start_date(size_t series) const {
    char date[INVF_DATE_BUFFER];
    detail::check(invf_dataset_series_start_date(handle_.get(), series, date));
    return date;
  }
  std::vector<double> series_values(size_t series) const {
    std::vector<double> values(series_length(series));
    detail::check(
        invf_dataset_series_values(handle_.get(), series, values.data(), values.size()));
    return values;
  }
  // See invf_dataset_series_stat for the names.
  double series_stat(size_t series, const std::string& name) const {
    double value = 0.0;
    detail::check(invf_dataset_series_stat(handle_.get(), series, name.c_str(), &value));
    return value;
  }
  std::vector<Column> columns() const {
    size_t count = 0;
    detail::check(invf_dataset_column_count(handle_.get(), &count));
    std::vector<Column> columns;
    for (size_t c = 0; c < count; ++c) {
      const char* name = nullptr;
      int numeric = 0;
      detail::check(invf_dataset_column_name(handle_.get(), c, &name, &numeric));
      columns.push_back({name, numeric != 0});
    }
    return columns;
  }
  std::vector<std::string> warnings() const {
    size_t count = 0;
    detail::check(invf_dataset_warning_count(handle_.get(), &count));
    std::vector<std::string> warnings;
    for (size_t w = 0; w < count; ++w) {
      const char* text = nullptr;
      detail::check(invf_dataset_warning(handle_.get(), w, &text));
      warnings.emplace_back(text);
    }
    return warnings;
  }

  const invf_dataset* get() const noexcept { return handle_.get(); }

 private:
  explicit Dataset(invf_dataset* raw) : handle_(raw) {}

  static std::vector<const char*> c_strings(const std::vector<std::string>& strings) {
    std::vector<const char*> pointers;
    pointers.reserve(strings.size());
    for (const std::string& s : strings) pointers.push_back(s.c_str());
    return pointers;
  }

  detail::Handle<invf_dataset, invf_dataset_release> handle_;
};

class Forecast {
 public:
  // Reads the CSV that write_csv() writes (invf_forecast_load_csv).
  static Forecast load_csv(const std::string& path) {
    invf_forecast* raw = nullptr;
    detail::check(invf_forecast_load_csv(path.c_str(), &raw));
    return Forecast(raw);
  }

  size_t series_count() const {
    size_t count = 0;
    detail::check(invf_forecast_series_count(handle_.get(), &count));
    return count;
  }
  size_t horizon() const {
    size_t horizon = 0;
    detail::check(invf_forecast_horizon(handle_.get(), &horizon));
    return horizon;
  }
  std::vector<double> quantile_levels() const {
    size_t count = 0;
    detail::check(invf_forecast_quantile_count(handle_.get(), &count));
    std::vector<double> levels(count);
    detail::check(invf_forecast_quantile_levels(handle_.get(), levels.data(), levels.size()));
    return levels;
  }
  std::string series_id(size_t series) const {
    const char* id = nullptr;
    detail::check(invf_forecast_series_id(handle_.get(), series, &id));
    return id;
  }
  std::string start_date(size_t series) const {
    char date[INVF_DATE_BUFFER];
    detail::check(invf_forecast_start_date(handle_.get(), series, date));
    return date;
  }
  // The method used after any fallback, and how its quantiles were made.
  std::pair<std::string, std::string> method(size_t series) const {
    const char* method = nullptr;
    const char* interval = nullptr;
    detail::check(invf_forecast_method(handle_.get(), series, &method, &interval));
    return {method, interval};
  }
  std::vector<double> mean(size_t series) const {
    std::vector<double> values(horizon());
    detail::check(invf_forecast_mean(handle_.get(), series, values.data(), values.size()));
    return values;
  }
  // Day-major: [day * quantile_count + level].
  std::vector<double> quantiles(size_t series) const {
    size_t count = 0;
    detail::check(invf_forecast_quantile_count(handle_.get(), &count));
    std::vector<double> values(horizon() * count);
    detail::check(invf_forecast_quantiles(handle_.get(), series, values.data(), values.size()));
    return values;
  }
  void write_csv(const std::string& path) const {
    detail::check(invf_forecast_write_csv(handle_.get(), path.c_str()));
  }
  std::vector<std::string> warnings() const {
    size_t count = 0;
    detail::check(invf_forecast_warning_count(handle_.get(), &count));
    std::vector<std::string> warnings;
    for (size_t w = 0; w < count; ++w) {
      const char* text = nullptr;
      detail::check(invf_forecast_warning(handle_.get(), w, &text));
      warnings.emplace_back(text);
    }
    return warnings;
  }

  const invf_forecast* get() const noexcept { return handle_.get(); }

 private:
  friend class Forecaster;
  friend class WhatIf;
  explicit Forecast(invf_forecast* raw) : handle_(raw) {}

  detail::Handle<invf_forecast, invf_forecast_release> handle_;
};

class Model;

class Forecaster {
 public:
  explicit Forecaster(const std::string& method, const Options* options = nullptr)
      : progress_(options ? options->progress() : nullptr) {
    invf_forecaster* raw = nullptr;
    detail::check(
        invf_forecaster_create(method.c_str(), options ? options->get() : nullptr, &raw));
    handle_.reset(raw);
  }

  Forecast forecast(const Dataset& dataset, size_t horizon) const {
    invf_forecast* raw = nullptr;
    detail::check(invf_forecaster_forecast(handle_.get(), dataset.get(), horizon, &raw));
    return Forecast(raw);
  }

  const invf_forecaster* get() const noexcept { return handle_.get(); }

  // Method "model": runs a neural model over datasets (invf_forecaster_create_model).
  static Forecaster from_model(const Model& model, const Options* options = nullptr);
  // Method "ensemble" of `model` (may be null) and the built-in methods of
  // option "ensemble_methods" (invf_forecaster_create_ensemble).
  static Forecaster ensemble(const Model* model, const Options* options = nullptr);

 private:
  Forecaster(invf_forecaster* raw, std::shared_ptr<const ProgressFunction> progress)
      : progress_(std::move(progress)), handle_(raw) {}

  std::shared_ptr<const ProgressFunction> progress_;
  detail::Handle<invf_forecaster, invf_forecaster_release> handle_;
};

class Backtest {
 public:
  static Backtest run(const Dataset& dataset, const std::vector<std::string>& methods,
                      size_t horizon, size_t windows, const Options* options = nullptr) {
    std::vector<const char*> names;
    names.reserve(methods.size());
    for (const std::string& m : methods) names.push_back(m.c_str());
    invf_backtest* raw = nullptr;
    detail::check(invf_backtest_run(dataset.get(), names.data(), names.size(), horizon, windows,
                                    options ? options->get() : nullptr, &raw));
    return Backtest(raw);
  }
  // Forecasters made by the caller (built-in methods and models side by side).
  static Backtest run_forecasters(const Dataset& dataset,
                                  const std::vector<const Forecaster*>& forecasters,
                                  size_t horizon, size_t windows, const Options* options = nullptr) {
    std::vector<const invf_forecaster*> handles;
    handles.reserve(forecasters.size());
    for (const Forecaster* f : forecasters) handles.push_back(f ? f->get() : nullptr);
    invf_backtest* raw = nullptr;
    detail::check(invf_backtest_run_forecasters(dataset.get(), handles.data(), handles.size(),
                                                horizon, windows,
                                                options ? options->get() : nullptr, &raw));
    return Backtest(raw);
  }

  size_t method_count() const {
    size_t count = 0;
    detail::check(invf_backtest_method_count(handle_.get(), &count));
    return count;
  }
  std::string method_name(size_t method) const {
    const char* name = nullptr;
    detail::check(invf_backtest_method_name(handle_.get(), method, &name));
    return name;
  }
  // See invf_backtest_metric for the names ("mase", "rmsse", ...).
  double metric(size_t method, const std::string& metric) const {
    double value = 0.0;
    detail::check(invf_backtest_metric(handle_.get(), method, metric.c_str(), &value));
    return value;
  }
  double series_metric(size_t method, size_t series, const std::string& metric) const {
    double value = 0.0;
    detail::check(
        invf_backtest_series_metric(handle_.get(), method, series, metric.c_str(), &value));
    return value;
  }
  std::string to_json() const { return detail::json_of(invf_backtest_to_json, handle_.get()); }

  const invf_backtest* get() const noexcept { return handle_.get(); }

 private:
  explicit Backtest(invf_backtest* raw) : handle_(raw) {}

  detail::Handle<invf_backtest, invf_backtest_release> handle_;
};

// A neural forecasting model (invforecast model file).  Const members may run
// on many threads at once.
class Model {
 public:
  static Model load(const std::string& path, const Options* options = nullptr) {
    invf_model* raw = nullptr;
    detail::check(invf_model_load(path.c_str(), options ? options->get() : nullptr, &raw));
    return Model(raw);
  }
  // The bytes are copied; `data` may be freed after the call.
  static Model load_buffer(const void* data, size_t size, const Options* options = nullptr) {
    invf_model* raw = nullptr;
    detail::check(invf_model_load_buffer(data, size, options ? options->get() : nullptr, &raw));
    return Model(raw);
  }

  // See invf_model_config_int for the keys ("context_length", "horizon", ...).
  int64_t config(const std::string& key) const {
    int64_t value = 0;
    detail::check(invf_model_config_int(handle_.get(), key.c_str(), &value));
    return value;
  }
  std::vector<double> quantile_levels() const {
    std::vector<double> levels(static_cast<size_t>(config("quantile_count")));
    detail::check(invf_model_quantile_levels(handle_.get(), levels.data(), levels.size()));
    return levels;
  }
  // context: batch x context_length raw sales, oldest first; returns
  // batch x horizon x quantile_count.
  std::vector<float> forecast(const std::vector<float>& context) const {
    const auto length = static_cast<size_t>(config("context_length"));
    if (length == 0 || context.size() % length != 0)
      throw Error(INVF_ERR_INVALID_ARGUMENT,
                  "forecast: " + std::to_string(context.size()) +
                      " values are not a whole number of contexts of " + std::to_string(length));
    const size_t batch = context.size() / length;
    std::vector<float> out(batch * static_cast<size_t>(config("horizon")) *
                           static_cast<size_t>(config("quantile_count")));
    detail::check(invf_model_forecast(handle_.get(), context.data(), batch, length, out.data(),
                                      out.size()));
    return out;
  }

  // Training progress: return false to cancel (train() then throws
  // INVF_ERR_CANCELLED).  An exception thrown by it cancels too.
  using TrainProgressFunction = std::function<bool(const invf_train_progress&)>;

  // Trains a model on `dataset` (see invf_train for the option keys); from
  // `init`'s weights when given.
  static Model train(const Dataset& dataset, const Model* init, const Options* options = nullptr,
                     TrainProgressFunction progress = nullptr);

  void save(const std::string& path) const {
    detail::check(invf_model_save(handle_.get(), path.c_str()));
  }
  std::vector<unsigned char> save_buffer() const {
    size_t needed = 0;
    detail::check(invf_model_save_buffer(handle_.get(), nullptr, 0, &needed));
    std::vector<unsigned char> bytes(needed);
    detail::check(invf_model_save_buffer(handle_.get(), bytes.data(), bytes.size(), &needed));
    return bytes;
  }
  // A new model: this one with the adapter file at `path` merged in.
  Model load_adapter(const std::string& path, const Options* options = nullptr) const {
    invf_model* raw = nullptr;
    detail::check(invf_model_load_adapter(handle_.get(), path.c_str(),
                                          options ? options->get() : nullptr, &raw));
    return Model(raw);
  }
  // Only for a model from a LoRA fine-tune (see invf_model_save_adapter).
  void save_adapter(const std::string& path) const {
    detail::check(invf_model_save_adapter(handle_.get(), path.c_str()));
  }
  // See invf_model_provenance ("objective", "epochs_run", "best_val_loss", ...).
  std::string provenance(const std::string& key) const {
    const char* value = nullptr;
    detail::check(invf_model_provenance(handle_.get(), key.c_str(), &value));
    return value;
  }

  // The features the model reads: the target, then its covariates.
  struct Feature {
    std::string name, kind, role;
  };
  std::vector<Feature> features() const {
    uint64_t count = 0;
    detail::check(invf_model_feature_count(handle_.get(), &count));
    std::vector<Feature> out;
    for (uint64_t i = 0; i < count; ++i) {
      const char *name = nullptr, *kind = nullptr, *role = nullptr;
      detail::check(invf_model_feature(handle_.get(), i, &name, &kind, &role));
      out.push_back({name, kind, role});
    }
    return out;
  }

  const invf_model* get() const noexcept { return handle_.get(); }

 private:
  explicit Model(invf_model* raw) : handle_(raw) {}
  static int train_trampoline(void* user_data, const invf_train_progress* progress) {
    try {
      return (*static_cast<TrainProgressFunction*>(user_data))(*progress) ? 0 : 1;
    } catch (...) {
      return 1;
    }
  }

  detail::Handle<invf_model, invf_model_release> handle_;
};

// A sentence encoder for product texts (invf_text_model_*).
class TextModel {
 public:
  static TextModel load(const std::string& path, const Options* options = nullptr) {
    invf_text_model* raw = nullptr;
    detail::check(invf_text_model_load(path.c_str(), options ? options->get() : nullptr, &raw));
    return TextModel(raw);
  }
  // The bytes are copied; `data` may be freed after the call.
  static TextModel load_buffer(const void* data, size_t size, const Options* options = nullptr) {
    invf_text_model* raw = nullptr;
    detail::check(
        invf_text_model_load_buffer(data, size, options ? options->get() : nullptr, &raw));
    return TextModel(raw);
  }

  size_t dim() const {
    uint64_t value = 0;
    detail::check(invf_text_model_dim(handle_.get(), &value));
    return static_cast<size_t>(value);
  }
  size_t max_tokens() const {
    uint64_t value = 0;
    detail::check(invf_text_model_max_tokens(handle_.get(), &value));
    return static_cast<size_t>(value);
  }
  // texts.size() x dim() floats, row i the embedding of texts[i].
  std::vector<float> embed(const std::vector<std::string>& texts) const {
    std::vector<const char*> pointers;
    std::vector<size_t> lengths;
    for (const std::string& t : texts) {
      pointers.push_back(t.data());
      lengths.push_back(t.size());
    }
    std::vector<float> out(texts.size() * dim());
    detail::check(invf_text_model_embed(handle_.get(), pointers.data(), lengths.data(),
                                        texts.size(), out.data(), out.size()));
    return out;
  }
  std::vector<int32_t> tokenize(std::string_view text) const {
    std::vector<int32_t> ids(max_tokens());
    size_t count = 0;
    detail::check(invf_text_model_tokenize(handle_.get(), text.data(), text.size(), ids.data(),
                                           ids.size(), &count));
    ids.resize(count);
    return ids;
  }

  const invf_text_model* get() const noexcept { return handle_.get(); }

 private:
  explicit TextModel(invf_text_model* raw) : handle_(raw) {}
  detail::Handle<invf_text_model, invf_text_model_release> handle_;
};

inline Model Model::train(const Dataset& dataset, const Model* init, const Options* options,
                         TrainProgressFunction progress) {
  invf_model* raw = nullptr;
  detail::check(invf_train(dataset.get(), init ? init->get() : nullptr,
                           options ? options->get() : nullptr,
                           progress ? &Model::train_trampoline : nullptr,
                           progress ? &progress : nullptr, &raw));
  return Model(raw);
}

inline Forecaster Forecaster::from_model(const Model& model, const Options* options) {
  invf_forecaster* raw = nullptr;
  detail::check(
      invf_forecaster_create_model(model.get(), options ? options->get() : nullptr, &raw));
  return Forecaster(raw, options ? options->progress() : nullptr);
}

inline Forecaster Forecaster::ensemble(const Model* model, const Options* options) {
  invf_forecaster* raw = nullptr;
  detail::check(invf_forecaster_create_ensemble(model ? model->get() : nullptr,
                                                options ? options->get() : nullptr, &raw));
  return Forecaster(raw, options ? options->progress() : nullptr);
}

// Why a model forecasts what it does for one series (invf_explain): the
// attention over the context's patches and each input group's attribution.
class Explanation {
 public:
  // horizon 0: the model's.
  static Explanation create(const Model& model, const Dataset& dataset,
                            const std::string& series_id, uint64_t horizon = 0,
                            const Options* options = nullptr) {
    invf_explanation* raw = nullptr;
    detail::check(invf_explain(model.get(), dataset.get(), series_id.c_str(), horizon,
                               options ? options->get() : nullptr, &raw));
    return Explanation(raw);
  }

  struct Dims {
    uint64_t horizon, quantile_count, group_count, layers, patches;
  };
  Dims dims() const {
    Dims d{};
    detail::check(invf_explanation_dims(handle_.get(), &d.horizon, &d.quantile_count,
                                        &d.group_count, &d.layers, &d.patches));
    return d;
  }
  std::string start_date() const {
    char date[INVF_DATE_BUFFER];
    detail::check(invf_explanation_start_date(handle_.get(), date));
    return date;
  }
  std::string warning() const {
    const char* text = nullptr;
    detail::check(invf_explanation_warning(handle_.get(), &text));
    return text;
  }
  // Per day, level a quantile index or INVF_EXPLAIN_MEAN.
  std::vector<double> forecast(int64_t level = INVF_EXPLAIN_MEAN) const {
    std::vector<double> values(dims().horizon);
    detail::check(invf_explanation_forecast(handle_.get(), level, values.data(), nullptr,
                                            values.size()));
    return values;
  }
  std::vector<double> baseline(int64_t level = INVF_EXPLAIN_MEAN) const {
    std::vector<double> values(dims().horizon);
    detail::check(invf_explanation_forecast(handle_.get(), level, nullptr, values.data(),
                                            values.size()));
    return values;
  }
  struct Group {
    std::string name, kind, features, baseline;
  };
  Group group(uint64_t group) const {
    const char *name = nullptr, *kind = nullptr, *features = nullptr, *baseline = nullptr;
    detail::check(invf_explanation_group(handle_.get(), group, &name, &kind, &features, &baseline));
    return {name, kind, features, baseline};
  }
  std::vector<double> attribution(uint64_t group, int64_t level = INVF_EXPLAIN_MEAN) const {
    std::vector<double> values(dims().horizon);
    detail::check(
        invf_explanation_attribution(handle_.get(), group, level, values.data(), values.size()));
    return values;
  }
  // layers x patches, layer-major.
  std::vector<double> attention() const {
    const Dims d = dims();
    std::vector<double> values(d.layers * d.patches);
    detail::check(invf_explanation_attention(handle_.get(), values.data(), values.size()));
    return values;
  }
  struct Patch {
    std::string first, last;
    uint64_t padding_days;
  };
  Patch patch(uint64_t patch) const {
    char first[INVF_DATE_BUFFER], last[INVF_DATE_BUFFER];
    uint64_t padding = 0;
    detail::check(invf_explanation_patch(handle_.get(), patch, first, last, &padding));
    return {first, last, padding};
  }
  std::string to_json() const { return detail::json_of(invf_explanation_to_json, handle_.get()); }

  const invf_explanation* get() const noexcept { return handle_.get(); }

 private:
  explicit Explanation(invf_explanation* raw) : handle_(raw) {}

  detail::Handle<invf_explanation, invf_explanation_release> handle_;
};

// SKU stock states (invf_inventory): fields by name, see invforecast.h.
class Inventory {
 public:
  Inventory() {
    invf_inventory* raw = nullptr;
    detail::check(invf_inventory_create(&raw));
    handle_.reset(raw);
  }

  static Inventory load_csv(const std::string& path) {
    invf_inventory* raw = nullptr;
    detail::check(invf_inventory_load_csv(path.c_str(), &raw));
    return Inventory(raw);
  }

  // fields: e.g. {{"on_hand", 12}, {"lead_time_mean", 3}, {"pack_size", 6}}.
  void add_sku(const std::string& sku, const std::vector<std::pair<std::string, double>>& fields) {
    std::vector<const char*> keys;
    std::vector<double> values;
    for (const auto& [key, value] : fields) {
      keys.push_back(key.c_str());
      values.push_back(value);
    }
    detail::check(
        invf_inventory_add_sku(handle_.get(), sku.c_str(), keys.data(), values.data(), keys.size()));
  }

  // Past lead times in whole days: the SKU's lead time becomes their
  // empirical distribution.
  void set_lead_time_samples(const std::string& sku, const std::vector<int>& days) {
    detail::check(
        invf_inventory_set_lead_time_samples(handle_.get(), sku.c_str(), days.data(), days.size()));
  }
  // An open order arriving `arrival_day` days from now (0 = today).
  void add_open_order(const std::string& sku, double quantity, int arrival_day) {
    detail::check(invf_inventory_add_open_order(handle_.get(), sku.c_str(), quantity, arrival_day));
  }
  // CSV sku,quantity,arrival_day or sku,quantity,arrival_date.
  void load_open_orders_csv(const std::string& path) {
    detail::check(invf_inventory_load_open_orders_csv(handle_.get(), path.c_str()));
  }

  size_t sku_count() const {
    size_t count = 0;
    detail::check(invf_inventory_sku_count(handle_.get(), &count));
    return count;
  }
  std::string sku_id(size_t sku) const {
    const char* id = nullptr;
    detail::check(invf_inventory_sku_id(handle_.get(), sku, &id));
    return id;
  }

  const invf_inventory* get() const noexcept { return handle_.get(); }

 private:
  explicit Inventory(invf_inventory* raw) : handle_(raw) {}

  detail::Handle<invf_inventory, invf_inventory_release> handle_;
};

// Order decisions per SKU (invf_replenish).
class Replenishment {
 public:
  static Replenishment run(const Forecast& forecast, const Inventory& inventory,
                           const Options* options = nullptr) {
    invf_replenishment* raw = nullptr;
    detail::check(invf_replenish(forecast.get(), inventory.get(),
                                 options ? options->get() : nullptr, &raw));
    return Replenishment(raw);
  }
  // One-shot buys (invf_newsvendor); read with the same getters.
  static Replenishment newsvendor(const Forecast& forecast, const Inventory& inventory,
                                  const Options* options = nullptr) {
    invf_replenishment* raw = nullptr;
    detail::check(invf_newsvendor(forecast.get(), inventory.get(),
                                  options ? options->get() : nullptr, &raw));
    return Replenishment(raw);
  }

  size_t sku_count() const {
    size_t count = 0;
    detail::check(invf_replenishment_sku_count(handle_.get(), &count));
    return count;
  }
  // INVF_REPLENISH_ORDER_UP_TO or INVF_REPLENISH_NEWSVENDOR.
  invf_replenish_mode mode() const {
    int32_t mode = 0;
    detail::check(invf_replenishment_mode(handle_.get(), &mode));
    return static_cast<invf_replenish_mode>(mode);
  }
  std::string sku_id(size_t sku) const {
    const char* id = nullptr;
    detail::check(invf_replenishment_sku_id(handle_.get(), sku, &id));
    return id;
  }
  // See invf_replenishment_value for the keys ("order_quantity", ...).
  double value(size_t sku, const std::string& key) const {
    double out = 0.0;
    detail::check(invf_replenishment_value(handle_.get(), sku, key.c_str(), &out));
    return out;
  }
  std::string method(size_t sku) const {
    const char* text = nullptr;
    detail::check(invf_replenishment_method(handle_.get(), sku, &text));
    return text;
  }
  void write_csv(const std::string& path) const {
    detail::check(invf_replenishment_write_csv(handle_.get(), path.c_str()));
  }

  const invf_replenishment* get() const noexcept { return handle_.get(); }

 private:
  friend class WhatIf;
  explicit Replenishment(invf_replenishment* raw) : handle_(raw) {}

  detail::Handle<invf_replenishment, invf_replenishment_release> handle_;
};

// A what-if scenario (invf_scenario): edits such as "price*=0.9" over a
// date range of some series.
class Scenario {
 public:
  Scenario() {
    invf_scenario* raw = nullptr;
    detail::check(invf_scenario_create(&raw));
    handle_.reset(raw);
  }
  Scenario& add_edit(const std::string& edit) {
    detail::check(invf_scenario_add_edit(handle_.get(), edit.c_str()));
    return *this;
  }
  // Empty: every series.
  Scenario& set_series(const std::vector<std::string>& ids) {
    std::vector<const char*> pointers;
    for (const std::string& id : ids) pointers.push_back(id.c_str());
    detail::check(invf_scenario_set_series(handle_.get(), pointers.data(), pointers.size()));
    return *this;
  }
  // "" for a bound: each series' first (last) forecast day.
  Scenario& set_dates(const std::string& from, const std::string& to) {
    detail::check(invf_scenario_set_dates(handle_.get(), from.empty() ? nullptr : from.c_str(),
                                          to.empty() ? nullptr : to.c_str()));
    return *this;
  }

  const invf_scenario* get() const noexcept { return handle_.get(); }

 private:
  detail::Handle<invf_scenario, invf_scenario_release> handle_;
};

// The base and the scenario forecast side by side (invf_whatif).
class WhatIf {
 public:
  // `inventory` may be null (no orders); horizon 0: the model's, or the
  // dataset's future days when fewer.
  static WhatIf run(const Model& model, const Dataset& dataset, const Scenario& scenario,
                    size_t horizon = 0, const Inventory* inventory = nullptr,
                    const Options* options = nullptr) {
    invf_whatif* raw = nullptr;
    detail::check(invf_whatif_run(model.get(), dataset.get(), scenario.get(), horizon,
                                  inventory ? inventory->get() : nullptr,
                                  options ? options->get() : nullptr, &raw));
    WhatIf result(raw);
    result.horizon_ = result.forecast(INVF_WHATIF_BASE).horizon();
    return result;
  }

  Forecast forecast(invf_whatif_side side) const {
    invf_forecast* raw = nullptr;
    detail::check(invf_whatif_forecast(handle_.get(), side, &raw));
    return Forecast(raw);
  }
  Replenishment replenishment(invf_whatif_side side) const {
    invf_replenishment* raw = nullptr;
    detail::check(invf_whatif_replenishment(handle_.get(), side, &raw));
    return Replenishment(raw);
  }
  bool has_revenue() const {
    int32_t out = 0;
    detail::check(invf_whatif_has_revenue(handle_.get(), &out));
    return out != 0;
  }
  std::vector<double> price(invf_whatif_side side, size_t series) const {
    std::vector<double> values(horizon());
    detail::check(invf_whatif_price(handle_.get(), side, series, values.data(), values.size()));
    return values;
  }
  std::vector<double> revenue(invf_whatif_side side, size_t series) const {
    std::vector<double> values(horizon());
    detail::check(invf_whatif_revenue(handle_.get(), side, series, values.data(), values.size()));
    return values;
  }
  std::vector<uint8_t> edited_days(size_t series) const {
    std::vector<uint8_t> days(horizon());
    detail::check(invf_whatif_edited_days(handle_.get(), series, days.data(), days.size()));
    return days;
  }
  std::string to_json() const {
    size_t needed = 0;
    detail::check(invf_whatif_to_json(handle_.get(), nullptr, 0, &needed));
    std::string json(needed, '\0');
    detail::check(invf_whatif_to_json(handle_.get(), json.data(), json.size(), &needed));
    json.resize(needed - 1);  // drop the NUL
    return json;
  }
  void write_csv(const std::string& path) const {
    detail::check(invf_whatif_write_csv(handle_.get(), path.c_str()));
  }

  // Days of each forecast.
  size_t horizon() const noexcept { return horizon_; }
  const invf_whatif* get() const noexcept { return handle_.get(); }

 private:
  explicit WhatIf(invf_whatif* raw) : handle_(raw) {}

  detail::Handle<invf_whatif, invf_whatif_release> handle_;
  size_t horizon_ = 0;
};

// The policy simulator (invf_simulate): one outcome row per (service target,
// method).
class Simulation {
 public:
  static Simulation run(const Dataset& dataset, const std::vector<std::string>& methods,
                        size_t test_days, const Options* options = nullptr) {
    std::vector<const char*> names;
    names.reserve(methods.size());
    for (const std::string& m : methods) names.push_back(m.c_str());
    invf_simulation* raw = nullptr;
    detail::check(invf_simulate(dataset.get(), names.data(), names.size(), test_days,
                                options ? options->get() : nullptr, &raw));
    return Simulation(raw);
  }
  // With forecasters, the model among them (invf_simulate_forecasters).
  static Simulation run(const Dataset& dataset, const std::vector<const Forecaster*>& forecasters,
                        size_t test_days, const Options* options = nullptr) {
    std::vector<const invf_forecaster*> handles;
    handles.reserve(forecasters.size());
    for (const Forecaster* f : forecasters) handles.push_back(f != nullptr ? f->get() : nullptr);
    invf_simulation* raw = nullptr;
    detail::check(invf_simulate_forecasters(dataset.get(), handles.data(), handles.size(),
                                            test_days, options ? options->get() : nullptr, &raw));
    return Simulation(raw);
  }

  size_t method_count() const {
    size_t count = 0;
    detail::check(invf_simulation_method_count(handle_.get(), &count));
    return count;
  }
  std::string method_name(size_t method) const {
    const char* name = nullptr;
    detail::check(invf_simulation_method_name(handle_.get(), method, &name));
    return name;
  }
  // See invf_simulation_value for the keys ("fill_rate", ...).
  double value(size_t method, const std::string& key) const {
    double out = 0.0;
    detail::check(invf_simulation_value(handle_.get(), method, key.c_str(), &out));
    return out;
  }
  std::string to_json() const { return detail::json_of(invf_simulation_to_json, handle_.get()); }

  const invf_simulation* get() const noexcept { return handle_.get(); }

 private:
  explicit Simulation(invf_simulation* raw) : handle_(raw) {}

  detail::Handle<invf_simulation, invf_simulation_release> handle_;
};

}  // namespace invf

#endif  // INVFORECAST_HPP
