// Shared pieces of the invforecast command-line tool: ingestion flags, the
// progress indicator and calendar arithmetic on ISO dates.  The tool uses
// only the public API (invforecast.hpp), as a vendor's program would.
#pragma once

#include <chrono>
#include <cmath>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "invforecast.hpp"

namespace invforecast_cli {

// The library settings of one command: every key=value its flags and --set
// pairs give, checked when set (a bad value or a conflict fails at once).
// A library call refuses keys it does not read, so each call gets options
// with only the keys of its domains (invf_option_domains).
class Settings {
 public:
  Settings& set(const std::string& key, const std::string& value);
  // The progress function the options of every call carry.
  void set_progress(invf::ProgressFunction function);
  // Options for a call reading `domains` (INVF_DOMAIN_* flags).
  invf::Options for_call(uint32_t domains) const;
  // Fails naming the first key that no call of `command` reads, the
  // command's calls reading `domains` together.
  void require_read(uint32_t domains, const std::string& command) const;

 private:
  invf::Options checked_;
  std::vector<std::pair<std::string, std::string>> pairs_;  // first-set order, latest value
  invf::ProgressFunction progress_;
};

// Data ingestion flags shared by every subcommand.
struct IngestFlags {
  std::string data;
  std::string duplicates = "error";
  std::string negative = "error";
  std::string missing_days = "zero";
  std::string outliers = "none";
  std::vector<std::string> settings;  // extra key=value options

  void add_to(CLI::App& command);
  // Applies the flags to `settings` (ingestion keys and --set pairs).
  void apply(Settings& settings) const;
};

// Covariate files read after the history: --static, and with
// `with_future` --future, --fill-future and --past-only.
struct CovariateFlags {
  std::string future;
  std::string statics;
  std::string fill_future = "none";
  std::string past_only;

  void add_to(CLI::App& command, bool with_future);
  // Sets the data keys of the flags given (past_only, fill_future).
  void apply(Settings& settings) const;
  // Reads the static file, then the future file, into `dataset`.
  void read_into(invf::Dataset& dataset, const invf::Options& ingest) const;
};

// The stock state and decision flags of replenish and whatif: the state and
// open-order CSVs, the service target, the regime and the Monte Carlo
// settings.
struct InventoryFlags {
  std::string inventory;
  std::string open_orders;
  double service_level = NAN;
  double fill_rate = NAN;
  std::string regime = "lost_sales";
  std::string dependence = "independent";
  double copula_rho = NAN;
  long long samples = 20000;
  unsigned long long seed = 20240601;

  // `required`: --inventory must be given.
  void add_to(CLI::App& command, bool required);
  // The inventory keys of the flags.  `newsvendor` takes no service target
  // (the costs set it) and no regime; otherwise `target_required` asks for
  // exactly one of --service-level and --fill-rate, else at most one.
  std::vector<std::pair<std::string, std::string>> keys(bool newsvendor,
                                                        bool target_required) const;
  // The state CSV with the open orders.
  invf::Inventory load() const;
};

// Optimisation flags shared by train and tune.
struct TrainingFlags {
  long long epochs = 0, steps_per_epoch = 0, batch_size = 0;  // 0: the library's default
  double learning_rate = 0.0;                                   // 0: the library's default
  long long seed = -1;                                          // < 0: the library's default
  int threads = 0;

  void add_to(CLI::App& command);
  // Sets the options given on the command line (threads always).
  void apply(Settings& settings) const;
};

// Adds --open-column COL (option "open_column"), stored in `column`.
void add_open_column_flag(CLI::App& command, std::string& column);

// When the progress indicator is drawn.
enum class ProgressMode { Auto, Always, Never };

// Adds --progress auto|always|never, stored in `mode`.
void add_progress_flag(CLI::App& command, ProgressMode& mode);

// A one-line progress bar on stderr, redrawn in place.  In Auto mode it shows
// only when stderr is a terminal and the work has lasted more than a second,
// so logs of scripted runs stay clean.
class ProgressBar {
 public:
  explicit ProgressBar(ProgressMode mode);
  ~ProgressBar();
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  // Installs the bar as the progress callback of every call's options.
  void attach(Settings& settings);

 private:
  bool update(std::string_view stage, size_t done, size_t total);

  ProgressMode mode_;
  bool terminal_;
  bool line_open_ = false;  // a terminal line drawn and not yet ended
  int last_percent_ = -1;
  std::string last_stage_;
  std::chrono::steady_clock::time_point start_;
};

// Date `days` after the ISO date `iso` (YYYY-MM-DD), in ISO form.
std::string add_days(const std::string& iso, long days);

// Splits "a,b,c" into its non-empty parts.
std::vector<std::string> split_list(const std::string& text);

// The rule of --model for the methods of --method: method "model" needs
// it, and only "model" and "ensemble" (which takes the model as a member)
// read it.
void check_model_flag(const std::vector<std::string>& methods, const std::string& model_file);
// The forecaster of one --method name: "model" runs `model`, "ensemble" has
// it as a member when it is not null, other names are built-in methods.
invf::Forecaster make_forecaster(const std::string& method, const invf::Model* model,
                                 const invf::Options& options);

// Prints warnings as "invforecast: warning: ..." lines on stderr, at most
// `limit` of them followed by a count of the rest.
void print_warnings(const std::vector<std::string>& warnings, size_t limit);

// Subcommands: each registers itself on `app` and runs when selected.
void register_inspect(CLI::App& app);
void register_forecast(CLI::App& app);
void register_explain(CLI::App& app);
void register_backtest(CLI::App& app);
void register_replenish(CLI::App& app);
void register_whatif(CLI::App& app);
void register_simulate(CLI::App& app);
void register_train(CLI::App& app);
void register_tune(CLI::App& app);
void register_embed(CLI::App& app);

}  // namespace invforecast_cli
