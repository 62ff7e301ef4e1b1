// invforecast: command-line front end of libinvforecast.
#include <cstdio>
#include <string>

#include "common.hpp"

namespace {

// Errors go out as exactly one line.
int report_error(const std::string& message) {
  std::string line = message;
  for (char& c : line)
    if (c == '\n' || c == '\r') c = ' ';
  std::fprintf(stderr, "invforecast: error: %s\n", line.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"invforecast: daily demand forecasting for inventory (libinvforecast " +
                   invf::version().library + ")",
               "invforecast"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "invforecast " + invf::version().library);
  app.footer(
      "Run 'invforecast <command> --help' for a command's options.\n"
      "Input: a long CSV (plain or .gz) with columns series_id,date,value and optional\n"
      "covariates (price, event, ...); dates are YYYY-MM-DD. Exit status: 0 on success,\n"
      "1 on any error, with one line 'invforecast: error: <reason>' on stderr.");
  invforecast_cli::register_inspect(app);
  invforecast_cli::register_forecast(app);
  invforecast_cli::register_explain(app);
  invforecast_cli::register_backtest(app);
  invforecast_cli::register_replenish(app);
  invforecast_cli::register_whatif(app);
  invforecast_cli::register_simulate(app);
  invforecast_cli::register_train(app);
  invforecast_cli::register_tune(app);
  invforecast_cli::register_embed(app);

  // CLI11 would only say that a subcommand is required.
  if (argc > 1 && argv[1][0] != '-') {
    try {
      app.get_subcommand(argv[1]);
    } catch (const CLI::OptionNotFound&) {
      return report_error(std::string("unknown command '") + argv[1] +
                          "' (expected inspect, forecast, explain, backtest, replenish, whatif, simulate, train, tune or embed; see --help)");
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return report_error(std::string(e.what()) + " (see --help)");
  } catch (const invf::Error& e) {
    return report_error(e.what());
  } catch (const std::exception& e) {
    return report_error(e.what());
  }
  return 0;
}
