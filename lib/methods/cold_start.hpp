// Cold start: a new product (a series of the forecast set with no history,
// known from a future or static file alone) is forecast from its analogues,
// never dropped and never a bare zero.  Its analogues are the series with a
// history that share the most of its static attributes (store and
// department, say: every static column counts once, compared by level or
// value; no statics, or none shared: every series with a history).  Its
// record for forecasting is its own, with the analogues' mean daily sales
// as the target: the last `days` days of the dataset (the model's context;
// the whole span for the built-in methods), calendar-aligned, each
// day the mean over the analogues that have it (0 before the first one's
// start).  Over those days its time-varying covariates are the first
// analogue's that has the day (mostly a shared calendar: open days, events,
// SNAP days; a price then reads as the analogue's, so the product's own
// future price reads relative to it); over the horizon its known-future
// covariates are its own, and so are its statics.  Every method forecasts from that record: the
// transformer adds what the future covariates say (price, events, the
// calendar) to the analogues' level and season, the built-in methods fit it.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "data/series_input.hpp"

namespace invforecast {

class ColdStart {
 public:
  // The new products of inputs.data(), each with its analogues' mean over
  // the `days` days up to the dataset's last date (0: from its first date).
  // Keeps a reference to `inputs`, which must outlive it.  No new product:
  // nothing is computed.
  explicit ColdStart(const SeriesInputs& inputs, size_t days = 0);
  ~ColdStart();
  ColdStart(const ColdStart&) = delete;
  ColdStart& operator=(const ColdStart&) = delete;

  bool empty() const { return products_.empty(); }
  bool is_new(size_t series) const;
  // The record to forecast series `series` from: inputs.latest() for a
  // series with a history, the analogue record above for a new product
  // (known-future covariates over `horizon` days, checked as latest()
  // checks them).  Views into this object and the dataset.
  SeriesInput input(size_t series, size_t horizon) const;
  // What a new product was forecast from, for the forecast's warnings:
  // "series 'X' is a new product (no history): forecast from the mean daily
  // sales of 3 series sharing 4 of its 4 attributes (store=CA_1, ...) over
  // the last 336 days"; empty for another series.
  const std::string& note(size_t series) const;
  // How many analogues a new product's record comes from (3 above); 0 for
  // another series.
  size_t analogues(size_t series) const;

 private:
  struct Product;
  const SeriesInputs* inputs_;
  size_t days_ = 0;
  std::vector<std::unique_ptr<Product>> products_;  // by series; null for a series with a history
  std::string no_note_;
};

}  // namespace invforecast
