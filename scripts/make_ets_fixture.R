#!/usr/bin/env Rscript
# Regenerates tests/fixtures/ets_r/ets_r_fixture.csv: R's forecast::ets
# (defaults: AICc selection, "lik" criterion, "both" bounds) on a few bundled
# M5 series, for tests/test_ets_vs_r.cpp.  Run from the repository root:
#   Rscript scripts/make_ets_fixture.R
# Each series is taken from its first sale on, then its last `window` days;
# ts(frequency = 7).  A window of 0 means: the longest tail (at most 730 days)
# without zeros, so that R also considers multiplicative forms.
suppressMessages(library(forecast))

data <- read.csv(gzfile("data/m5_tiny_long.csv.gz"), stringsAsFactors = FALSE)
picks <- data.frame(
  series_id = c("FOODS_3_586_CA_3", "FOODS_3_080_CA_3", "FOODS_3_377_CA_3", "FOODS_3_702_CA_3",
                "HOUSEHOLD_1_521_CA_3", "FOODS_1_046_CA_3", "HOBBIES_1_115_CA_3",
                "FOODS_3_586_CA_2", "FOODS_3_080_CA_2"),
  window = c(730, 730, 730, 730, 730, 730, 730, 0, 0),
  stringsAsFactors = FALSE)
horizon <- 28

rows <- list()
for (i in seq_len(nrow(picks))) {
  id <- picks$series_id[i]
  s <- data[data$series_id == id, ]
  s <- s[order(s$date), ]
  y <- s$value[which(s$value > 0)[1]:nrow(s)]
  window <- picks$window[i]
  if (window == 0) {
    last_zero <- max(c(0, which(y <= 0)))
    window <- min(730, length(y) - last_zero)
  }
  y <- tail(y, window)
  fit <- ets(ts(y, frequency = 7))
  fc <- forecast(fit, h = horizon, PI = FALSE)$mean
  par <- fit$par
  get <- function(name) if (is.na(par[name])) NA else unname(par[name])
  row <- data.frame(series_id = id, window = window, model = fit$method, aicc = fit$aicc,
                    alpha = get("alpha"), beta = get("beta"), gamma = get("gamma"), phi = get("phi"))
  for (h in seq_len(horizon)) row[[paste0("f", h)]] <- as.numeric(fc[h])
  rows[[i]] <- row
}
out <- do.call(rbind, rows)
dir.create("tests/fixtures/ets_r", showWarnings = FALSE, recursive = TRUE)
write.csv(out, "tests/fixtures/ets_r/ets_r_fixture.csv", row.names = FALSE, na = "")
cat(sprintf("%s %s window=%d aicc=%.3f\n", out$series_id, out$model, out$window, out$aicc), sep = "")
