/*
 * invforecast.h: the C ABI of libinvforecast (ABI version 0).
 *
 * Conventions, for every function below unless it says otherwise:
 *
 * Errors.  Every fallible call returns an `invf_status*`.  NULL means success.
 *   A non-NULL status carries a code (invf_code) and a UTF-8 message; the caller
 *   owns it and frees it with invf_status_release().  No thread-local "last
 *   error" exists, so callers that hop threads (Go goroutines) need no pinning.
 *   No C++ exception ever crosses this boundary and the library never aborts.
 * Out-parameters.  Left untouched when the call fails.
 * Ownership.  Objects returned through `T** out` are owned by the caller and
 *   freed with the matching invf_*_release(); every release function accepts
 *   NULL and returns nothing.  `const char*` results point into the object they
 *   were read from and stay valid until that object is released.
 * Strings.  UTF-8, NUL-terminated.  Dates are ISO 8601 calendar dates
 *   "YYYY-MM-DD"; date outputs need a buffer of INVF_DATE_BUFFER bytes.
 * Units.  Sales values are units sold per day (non-negative, finite).  Sizes
 *   and counts are size_t, indices are 0-based.
 * Threads.  Distinct objects may be used from distinct threads freely.  One
 *   object may be read (const functions) from many threads at once; mutating
 *   it (add, set) needs the caller's exclusion.
 * Files.  Every file the library writes (models, adapters, checkpoints,
 *   CSVs) replaces its target atomically: it is written under a unique
 *   temporary name in the target's directory, synced, renamed over the
 *   target, and the directory synced, so a reader, a crash or a concurrent
 *   writer sees the old file or the new one, never a mix; a failed write
 *   (INVF_ERR_IO naming the path and the system's reason) leaves the old
 *   file and no temporary.  CSV files, read or written, follow RFC 4180:
 *   a quoted field may hold commas, doubled quotes and line breaks; LF or
 *   CRLF line ends, blank lines and a UTF-8 byte-order mark are accepted;
 *   errors name the file, the first line of the record and the column.
 * Options.  Behaviour is configured by an opaque invf_options holding
 *   key=value strings, so new settings never change a signature.  A NULL
 *   options pointer means "all defaults".  Unknown keys and malformed values
 *   are rejected when set (INVF_ERR_INVALID_ARGUMENT).  Each key belongs to
 *   one or more domains (invf_option_domains) and each call that takes
 *   options states the domains it reads ("Options: forecast"); a key set on
 *   the options that belongs to none of them fails the call with
 *   INVF_ERR_INVALID_ARGUMENT naming the key and the call, so a setting
 *   meant for another call never passes unnoticed.
 */
#ifndef INVFORECAST_H
#define INVFORECAST_H

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32)
#  if defined(INVF_BUILDING_LIBRARY)
#    define INVF_API __declspec(dllexport)
#  else
#    define INVF_API __declspec(dllimport)
#  endif
#else
#  define INVF_API __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* Version                                                                   */

/* The ABI version this header describes; compare with invf_version(). */
#define INVF_ABI_VERSION 0
/* Bytes needed for a date written by the library ("YYYY-MM-DD" and NUL). */
#define INVF_DATE_BUFFER 11

/* Library version ("0.3.0") and ABI version.  Either pointer may be NULL.
 * Never fails.  The string is static. */
INVF_API void invf_version(const char** library_version, int* abi_version);

/* ------------------------------------------------------------------------ */
/* Status                                                                    */

typedef enum invf_code {
  INVF_OK = 0,
  INVF_ERR_INVALID_ARGUMENT = 1, /* bad option, size, index or method name */
  INVF_ERR_NULL_POINTER = 2,     /* a required pointer argument was NULL */
  INVF_ERR_IO = 3,               /* file missing, unreadable, unwritable */
  INVF_ERR_PARSE = 4,            /* malformed file contents (CSV, gzip) */
  INVF_ERR_DATA = 5,             /* data violates a rule: NaN, negative, duplicate, empty */
  INVF_ERR_BUFFER_TOO_SMALL = 6, /* caller's buffer shorter than needed */
  INVF_ERR_SERIES_TOO_SHORT = 7, /* strict mode: a series too short for the method */
  INVF_ERR_OUT_OF_MEMORY = 8,
  INVF_ERR_CANCELLED = 9,        /* a progress callback asked to stop */
  INVF_ERR_UNSUPPORTED = 10,     /* feature not built in (e.g. CUDA), or a model
                                    file of a newer format version */
  INVF_ERR_CORRUPT_MODEL = 11,   /* model file truncated, checksum, structure */
  INVF_ERR_INTERNAL = 12,        /* a bug: please report the message */
  INVF_ERR_DIVERGED = 13         /* training diverged (a non-finite loss or
                                    gradient, an unusable model): lower
                                    "learning_rate" */
} invf_code;

typedef struct invf_status invf_status;

/* Code of a status; INVF_OK for NULL. */
INVF_API invf_code invf_status_code(const invf_status* status);
/* Message of a status; "" for NULL.  Valid until the status is released. */
INVF_API const char* invf_status_message(const invf_status* status);
INVF_API void invf_status_release(invf_status* status);

/* ------------------------------------------------------------------------ */
/* Thread pool                                                               */

/* Sets the size of the library's one thread pool: `threads` workers in all
 * (0 = the hardware's thread count, the size until this is called), at most
 * 4096 (INVF_ERR_INVALID_ARGUMENT above).  The workers are started once and
 * reused by every call; the calling thread of a parallel call is one of
 * them.  The size caps every "threads" option of the work that runs on the
 * pool: per-series forecasts, backtests, simulations, replenishment, CSV
 * parsing, training shares and the batches of invf_model_forecast ("threads"
 * above the size runs on the size; training and invf_model_forecast keep
 * their "threads" shares, so their results do not change).  One
 * call holds the pool at a time: a parallel call made meanwhile from another
 * host thread runs on its calling thread alone (never waits, never fails).
 * After a parallel call its workers stay runnable, yielding the CPU, for
 * 20 ms before they sleep, so that calls made in a loop find them awake.
 * oneDNN and OpenMP: each worker, and the calling thread while it works for
 * the pool, caps its OpenMP team to one thread (omp_set_num_threads(1) on
 * that thread), so the GEMMs of a parallel call never spawn more threads
 * than the pool has; the calling thread's setting is restored when the call
 * returns, and the host's own OpenMP code is not affected.  Resizing waits
 * for a parallel call in progress on another thread; a progress callback
 * that calls it while its call's work is running gets
 * INVF_ERR_INVALID_ARGUMENT (it would otherwise wait for itself).  When the
 * system refuses a thread the call fails with INVF_ERR_OUT_OF_MEMORY and the
 * pool keeps the workers it could start.  Results never depend on the size. */
INVF_API invf_status* invf_set_thread_pool_size(uint32_t threads);
/* The pool's current size in workers (see above).  Never fails. */
INVF_API uint32_t invf_thread_pool_size(void);

/* ------------------------------------------------------------------------ */
/* Options: string key/value settings                                        */

typedef struct invf_options invf_options;

INVF_API invf_status* invf_options_create(invf_options** out);
INVF_API void invf_options_release(invf_options* options);

/* Option domains, as bit flags: which calls read a key. */
typedef enum invf_option_domain {
  INVF_DOMAIN_DATA = 1,       /* ingestion: invf_dataset_load_csv, invf_dataset_create,
                                 the future and static reads */
  INVF_DOMAIN_FORECAST = 2,   /* forecasters, backtests, model handles, what-ifs */
  INVF_DOMAIN_TRAIN = 4,      /* invf_train */
  INVF_DOMAIN_INVENTORY = 8,  /* invf_replenish, invf_newsvendor, the simulator,
                                 invf_whatif_run */
  INVF_DOMAIN_SIMULATION = 16 /* the policy simulator only (invf_simulate*) */
} invf_option_domain;

/* The domains of option `key`, an OR of invf_option_domain flags, into
 * *out: e.g. "threads" is read by forecasting, training and inventory calls,
 * "seed" by training (weights, windows) and inventory (Monte Carlo paths),
 * each keeping its own copy.  An unknown key fails with
 * INVF_ERR_INVALID_ARGUMENT.  Lets a program that gathers settings in one
 * place (a command line) give each call only the keys it reads. */
INVF_API invf_status* invf_option_domains(const char* key, uint32_t* out);

/* Sets `key` to `value`.  Keys and accepted values, by domain:
 *
 * Data ingestion (INVF_DOMAIN_DATA):
 *   "duplicates"     "error" (default) | "sum": repeated (series, date) rows
 *   "negative"       "error" (default) | "clip": negative sales -> 0, counted
 *   "missing_days"   "zero" (default) | "error": days absent between a series'
 *                    first and last date are filled with 0, or refused
 *   "outliers"       "none" (default) | "clip": clip values above
 *                    median + k * MAD of the series' sales after launch
 *   "outlier_k"      positive number, default "10"
 *   "value_column", "date_column", "series_column": CSV column names,
 *                    defaults "value", "date", "series_id"
 *   "past_only"      comma-separated covariate columns not known in advance
 *                    (default none): past-only roles, refused in a future
 *                    file (invf_dataset_read_future_csv)
 *   "fill_future"    "none" (default) | "last": missing dates, columns or
 *                    series of a future file take each series' last known
 *                    value, with a warning counting the cells
 * Forecasting (INVF_DOMAIN_FORECAST):
 *   "quantiles"      comma-separated levels in (0,1), ascending, default
 *                    "0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9"
 *   "season_length"  integer >= 2, default "7" (weekly)
 *   "ma_window"      integer >= 1, default "28"
 *   "strict"         "false" (default) | "true": a series too short for the
 *                    method fails with INVF_ERR_SERIES_TOO_SHORT instead of
 *                    being forecast by a simpler method with a warning
 *   "auto_methods"   candidates of method "auto", default
 *                    "snaive,ets,croston,sba,tsb,ma"
 *   "auto_windows"   rolling origins "auto" selects on, default "3"
 *   "open_column"    a known-future trading-calendar column of the dataset,
 *                    numeric, 1 on open days and 0 on closed ones (e.g.
 *                    "is_open"); default none.  Every method, the model
 *                    included, forecasts 0 (mean and every quantile) on the
 *                    closed days of the horizon, and the built-in methods are
 *                    fitted on the open days alone, with their season and
 *                    moving-average window in open days (a weekday closed on
 *                    most weeks is left out of the season: 6 for a weekly
 *                    shop closed on Saturdays; a holiday keeps its place in
 *                    the cycle).  The forecasting call fails with
 *                    INVF_ERR_INVALID_ARGUMENT when the dataset has no such
 *                    column or it is categorical, and with INVF_ERR_DATA for
 *                    a value other than 0 or 1 or an empty one, naming the
 *                    series and the date.  A horizon day past the values the
 *                    dataset holds is forecast as open, with a warning that
 *                    counts such days.  Backtests score closed days as any
 *                    other day.
 *   "ensemble_methods"  built-in members of method "ensemble" (see
 *                    invf_forecaster_create_ensemble), default "ets,tsb,snaive"
 *   "ensemble_windows"  inner backtest windows the ensemble weighs its
 *                    members on, 1 to 100, default "3"
 *   "ensemble_top"   members the ensemble keeps per series, the best by inner
 *                    error, 0 to 100, default "2"; "0" keeps all
 *   "threads"        integer >= 0, 0 (default) = the whole thread pool
 *                    (invf_set_thread_pool_size; more than the pool runs on it;
 *                    also a training and an inventory key)
 * Neural models (forecast and train domains):
 *   "backend"        "cpu" (default: packed AVX2/FMA kernels chosen at run
 *                    time, a portable fallback without AVX2) | "reference"
 *                    (plain Eigen, slow, for checks)
 *   "quantiles" also sets the levels of a model invf_train makes
 * Training (INVF_DOMAIN_TRAIN): see invf_train.
 * Replenishment (INVF_DOMAIN_INVENTORY): "service_level", "fill_rate",
 *   "service_measure", "regime", "samples", "seed", "dependence",
 *   "copula_rho", "threads": see invf_replenish.
 * Policy simulation (INVF_DOMAIN_SIMULATION): "lead_time", "lead_time_sd",
 *   "review_period", "history_days": see invf_simulate.
 */
INVF_API invf_status* invf_options_set(invf_options* options, const char* key, const char* value);
/* Progress reporting for long calls (fit, forecast, backtest).  `stage`
 * names the work, `done` of `total` units are finished.  Return 0 to go on,
 * non-zero to cancel: the running call then fails with INVF_ERR_CANCELLED.
 * Called from the thread that made the call.  NULL removes the callback.
 * Every long call that takes these options reports through it (forecast,
 * backtest, replenishment, simulation, and invf_train with stage "training"
 * or "pre-training", done = optimiser steps of total_steps).  The options
 * copy the pointers only: `user_data` must stay valid while any call using
 * these options runs, including calls on objects that copied them (a
 * forecaster made with them keeps the callback). */
typedef int (*invf_progress_fn)(void* user_data, const char* stage, size_t done, size_t total);
INVF_API invf_status* invf_options_set_progress(invf_options* options, invf_progress_fn fn, void* user_data);

/* ------------------------------------------------------------------------ */
/* Dataset: daily sales per series                                           */

typedef struct invf_dataset invf_dataset;

/* Loads a long CSV (plain, or gzip when the name ends in .gz): a header with
 * at least series_id,date,value; any other column is kept as a numeric
 * covariate when every non-empty cell parses as a number, else as a
 * categorical one.  Rows may come in any order.  Errors name the file, line
 * and column.  Options: data. */
INVF_API invf_status* invf_dataset_load_csv(const char* path, const invf_options* options,
                                            invf_dataset** out);

/* An empty dataset to fill from arrays with invf_dataset_add_*.  `options`
 * is copied; Options: data.  Rules that span rows
 * (duplicates, refused missing days, an empty dataset) are checked when the
 * dataset is first read after an add, so any reading call may then fail with
 * INVF_ERR_DATA.  Strings read earlier stay valid after later adds. */
INVF_API invf_status* invf_dataset_create(const invf_options* options, invf_dataset** out);
INVF_API void invf_dataset_release(invf_dataset* dataset);

/* Adds `count` observations of series `series_id`: dates[i] (ISO) sold
 * values[i] units.  Calls may repeat a series id; rows join the same series.
 * Values are checked as in a CSV (NaN, Inf, negative, duplicates).  A failed
 * call adds nothing.  count 0 adds nothing (the arrays may then be NULL).
 * Datasets from invf_dataset_load_csv accept no adds (INVF_ERR_INVALID_ARGUMENT). */
INVF_API invf_status* invf_dataset_add_series(invf_dataset* dataset, const char* series_id,
                                              const char* const* dates, const double* values,
                                              size_t count);
/* Adds a numeric covariate `column` (e.g. "price") for observations of
 * `series_id` on `dates`.  NaN means "not known" (e.g. no price that week). */
INVF_API invf_status* invf_dataset_add_numeric(invf_dataset* dataset, const char* series_id,
                                               const char* column, const char* const* dates,
                                               const double* values, size_t count);
/* Adds a categorical covariate (e.g. "event"); NULL or "" means none. */
INVF_API invf_status* invf_dataset_add_categorical(invf_dataset* dataset, const char* series_id,
                                                   const char* column, const char* const* dates,
                                                   const char* const* values, size_t count);

/* Adds `series_count` series at once, column by column (a data frame's
 * columns, a NumPy array each):
 *   series_ids[s]   id of series s (non-empty; an id may repeat, and may
 *                   already hold rows: its days join the same series)
 *   start_days[s]   its first day as a day number: days since 1970-01-01
 *                   (NumPy datetime64[D] viewed as int64; 2024-01-01 is
 *                   19723), within 0001-01-01..9999-12-31
 *   lengths[s]      its number of consecutive days (>= 0)
 *   values          `value_count` sales, the series back to back in order:
 *                   series s at values[lengths[0] + ... + lengths[s-1]] on;
 *                   value_count must equal the sum of the lengths
 *   numeric_names[c], numeric_values[c]   `numeric_count` covariate columns,
 *                   each `value_count` doubles aligned with `values` (NaN =
 *                   not known)
 *   categorical_names[c], categorical_values[c]   `categorical_count`
 *                   columns, each `value_count` strings (NULL or "" = none)
 * The dataset is the same as from invf_dataset_add_series,
 * invf_dataset_add_numeric and invf_dataset_add_categorical per series.
 * Errors: INVF_ERR_NULL_POINTER for a NULL array (or element of an id or
 * name array) that a count says is there; INVF_ERR_INVALID_ARGUMENT for a
 * negative length, lengths that do not sum to value_count, sizes past the
 * address space or over 4096 columns of a kind, an empty id, a start day out
 * of range, an empty or repeated column name or one already of the other
 * kind; INVF_ERR_DATA for a NaN, infinite or (under negative=error)
 * negative sales value or an infinite covariate, naming the series and the
 * index into `values`.  Duplicate days are checked when the dataset is next
 * read, by the "duplicates" option, as for the row-wise calls.  A failed
 * call adds nothing.  Datasets from invf_dataset_load_csv accept no adds. */
INVF_API invf_status* invf_dataset_add_columns(
    invf_dataset* dataset, size_t series_count, const char* const* series_ids,
    const int64_t* start_days, const int64_t* lengths, const double* values, size_t value_count,
    size_t numeric_count, const char* const* numeric_names, const double* const* numeric_values,
    size_t categorical_count, const char* const* categorical_names,
    const char* const* const* categorical_values);

/* Known-future and static covariates after the history.
 *
 * A future file is a long CSV (plain or gzip): `series_id,date` (the names
 * of "series_column" and "date_column") and covariate columns, no sales,
 * for the days after each series' history: what is known in advance
 * (prices, promotions, events, opening days).  It extends the dataset's
 * covariate columns past the history: every series gets the same number of
 * future days (invf_dataset_series_future_days), the most any series has in
 * the file, counted from the day after its own last date, and forecasts of
 * up to that many days then read them.  A forecast with a longer horizon
 * fails with INVF_ERR_DATA naming the series and the dates.  Roles: a
 * column constant within every series of the history is static (a value in
 * the file must equal the series' known one), one named in "past_only"
 * (here or when the history was loaded) is past-only and refused in the
 * file, every other is known-future and must be in it.  Errors,
 * INVF_ERR_DATA naming the file, line, series, column and date where they
 * apply: a column the history lacks, a past-only column, a missing
 * known-future column, a series of the dataset without rows, a date on or
 * before its series' last date or more than 3660 days after it, a
 * duplicate (series, date), a date missing between a series' last date and
 * the last future day, an empty numeric cell, a static value that differs,
 * NaN or infinity; INVF_ERR_PARSE for a malformed header, record, date or
 * number.  A categorical level the history never had is kept as a new level
 * (a model maps it to its unknown bucket).  With "fill_future" "last" the
 * missing dates, columns, series and cells take each series' last known
 * value instead, and one dataset warning counts the cells filled.  A
 * dataset reads one future file (a second fails with
 * INVF_ERR_INVALID_ARGUMENT).
 *
 * A static file is a CSV with `series_id` and attribute columns, one row
 * per series (a series twice fails with INVF_ERR_DATA): each becomes a
 * static covariate, the value repeated over the series' days; a column the
 * dataset has must be static there and agree, naming series and column
 * (INVF_ERR_DATA); a series the file lacks keeps unknown attributes.  A
 * column is numeric when every non-empty cell is a number, else categorical
 * (text columns are kept as categoricals).
 *
 * New products.  A series of either file that the history lacks joins the
 * dataset, in id order (indices of later series move), with no history:
 * length 0, its start date the day after the dataset's last date, so its
 * forecast starts with the others'.  The built-in methods forecast it as
 * zero with a warning, as a series that never sold.
 *
 * After a read the dataset accepts no more adds (INVF_ERR_INVALID_ARGUMENT):
 * give the whole history first.  Strings read from the dataset before stay
 * valid.  A failed read leaves the dataset as it was.  Options: data
 * ("series_column", "date_column", "past_only", "fill_future"). */
INVF_API invf_status* invf_dataset_read_future_csv(invf_dataset* dataset, const char* path,
                                                   const invf_options* options);
INVF_API invf_status* invf_dataset_read_static_csv(invf_dataset* dataset, const char* path,
                                                   const invf_options* options);
/* The future rows of invf_dataset_read_future_csv from arrays, in the
 * layout of invf_dataset_add_columns without sales:
 *   series_ids[s], start_days[s]   series s and its first future day as a
 *                   day number (days since 1970-01-01)
 *   lengths[s]      its number of consecutive days (>= 0)
 *   numeric_names[c], numeric_values[c]   `numeric_count` columns of
 *                   `cell_count` doubles each, series s at
 *                   lengths[0] + ... + lengths[s-1] on (NaN = missing)
 *   categorical_names[c], categorical_values[c]   `categorical_count`
 *                   columns of `cell_count` strings (NULL or "" = none)
 * cell_count must equal the sum of the lengths.  Errors as for
 * invf_dataset_add_columns (sizes, NULL arrays, names) and as for the file;
 * messages give the cell index as the line.  Options: data. */
INVF_API invf_status* invf_dataset_add_future_columns(
    invf_dataset* dataset, size_t series_count, const char* const* series_ids,
    const int64_t* start_days, const int64_t* lengths, size_t cell_count, size_t numeric_count,
    const char* const* numeric_names, const double* const* numeric_values,
    size_t categorical_count, const char* const* categorical_names,
    const char* const* const* categorical_values, const invf_options* options);

/* Number of series.  Series are ordered by id (byte order). */
INVF_API invf_status* invf_dataset_series_count(const invf_dataset* dataset, size_t* out);
INVF_API invf_status* invf_dataset_series_id(const invf_dataset* dataset, size_t series,
                                             const char** out);
/* Days in the aligned daily calendar of a series, first day to last day. */
INVF_API invf_status* invf_dataset_series_length(const invf_dataset* dataset, size_t series,
                                                 size_t* out);
/* Days after the last date of a series that its covariates cover (from a
 * future file; 0 without one).  The same for every series. */
INVF_API invf_status* invf_dataset_series_future_days(const invf_dataset* dataset, size_t series,
                                                      size_t* out);
INVF_API invf_status* invf_dataset_series_start_date(const invf_dataset* dataset, size_t series,
                                                     char out[INVF_DATE_BUFFER]);
/* Copies the aligned daily values (gap-filled, cleaned) into `buffer` of
 * `capacity` doubles; fails with INVF_ERR_BUFFER_TOO_SMALL if capacity <
 * length.  For a series of length 0 (a new product) it copies nothing and
 * `buffer` may be NULL. */
INVF_API invf_status* invf_dataset_series_values(const invf_dataset* dataset, size_t series,
                                                 double* buffer, size_t capacity);
/* A per-series statistic by name:
 *   "length", "observed_days", "gap_days", "launch_offset" (days from the
 *   first date to the first sale; -1 if never sold), "total", "mean",
 *   "zero_fraction" (after launch), "adi", "cv2", "scale" (mean absolute
 *   one-step difference after launch), "clipped" (values changed by the
 *   negative/outlier rules), "class" (0 smooth, 1 erratic, 2 intermittent,
 *   3 lumpy: Syntetos-Boylan with ADI 1.32 and CV2 0.49). */
INVF_API invf_status* invf_dataset_series_stat(const invf_dataset* dataset, size_t series,
                                               const char* name, double* out);
/* Names of the covariate columns kept (numeric and categorical). */
INVF_API invf_status* invf_dataset_column_count(const invf_dataset* dataset, size_t* out);
INVF_API invf_status* invf_dataset_column_name(const invf_dataset* dataset, size_t column,
                                               const char** out, int* is_numeric);
/* Warnings raised while building the dataset (clipped values, filled gaps). */
INVF_API invf_status* invf_dataset_warning_count(const invf_dataset* dataset, size_t* out);
INVF_API invf_status* invf_dataset_warning(const invf_dataset* dataset, size_t index,
                                           const char** out);

/* ------------------------------------------------------------------------ */
/* Forecaster and forecasts                                                  */

typedef struct invf_forecaster invf_forecaster;
typedef struct invf_forecast invf_forecast;

/* A built-in method: "naive", "snaive", "ma", "ets", "croston", "sba",
 * "tsb", "auto", "ensemble" (without a model; see
 * invf_forecaster_create_ensemble).  `options` is copied; Options: forecast. */
INVF_API invf_status* invf_forecaster_create(const char* method, const invf_options* options,
                                             invf_forecaster** out);
INVF_API void invf_forecaster_release(invf_forecaster* forecaster);

/* Fits the method to every series of `dataset` and forecasts days 1..horizon
 * (1 <= horizon <= 3660) after each series' last date.  A forecaster may be
 * used by many threads at once.  The result does not depend on "threads". */
INVF_API invf_status* invf_forecaster_forecast(const invf_forecaster* forecaster,
                                               const invf_dataset* dataset, size_t horizon,
                                               invf_forecast** out);
INVF_API void invf_forecast_release(invf_forecast* forecast);

INVF_API invf_status* invf_forecast_series_count(const invf_forecast* forecast, size_t* out);
INVF_API invf_status* invf_forecast_horizon(const invf_forecast* forecast, size_t* out);
INVF_API invf_status* invf_forecast_quantile_count(const invf_forecast* forecast, size_t* out);
/* Copies the quantile levels (ascending) into `buffer`. */
INVF_API invf_status* invf_forecast_quantile_levels(const invf_forecast* forecast,
                                                    double* buffer, size_t capacity);
INVF_API invf_status* invf_forecast_series_id(const invf_forecast* forecast, size_t series,
                                              const char** out);
/* Date of forecast day 1 of a series (the day after its last date). */
INVF_API invf_status* invf_forecast_start_date(const invf_forecast* forecast, size_t series,
                                               char out[INVF_DATE_BUFFER]);
/* The method that produced the series' forecast (differs from the requested
 * one when a short series fell back to a simpler method), and how its
 * quantiles were made ("analytic normal", "empirical residuals by horizon"). */
INVF_API invf_status* invf_forecast_method(const invf_forecast* forecast, size_t series,
                                           const char** method, const char** interval_method);
/* Mean forecast of days 1..horizon: `capacity` >= horizon. */
INVF_API invf_status* invf_forecast_mean(const invf_forecast* forecast, size_t series,
                                         double* buffer, size_t capacity);
/* Quantiles, day-major: buffer[d * quantile_count + q] for day d, level q.
 * Non-negative and non-decreasing in q.  `capacity` >= horizon*quantile_count. */
INVF_API invf_status* invf_forecast_quantiles(const invf_forecast* forecast, size_t series,
                                              double* buffer, size_t capacity);
/* Writes the long CSV "series_id,date,mean,q0.1,...": one row per series per
 * day. */
INVF_API invf_status* invf_forecast_write_csv(const invf_forecast* forecast, const char* path);
INVF_API invf_status* invf_forecast_warning_count(const invf_forecast* forecast, size_t* out);
INVF_API invf_status* invf_forecast_warning(const invf_forecast* forecast, size_t index,
                                            const char** out);

/* ------------------------------------------------------------------------ */
/* Backtest                                                                  */

typedef struct invf_backtest invf_backtest;

/* Rolling-origin backtest: `windows` origins (1 to 1000), each `horizon` days
 * (1 to 3660), the last window ending on each series' last date, origins
 * `horizon` days apart.  Every method in `methods` (names as for
 * invf_forecaster_create) is fitted on the data before each origin only.
 * Options: forecast. */
INVF_API invf_status* invf_backtest_run(const invf_dataset* dataset, const char* const* methods,
                                        size_t method_count, size_t horizon, size_t windows,
                                        const invf_options* options, invf_backtest** out);
/* The same with forecasters the caller made: built-in methods
 * (invf_forecaster_create) and neural models (invf_forecaster_create_model)
 * side by side, each reported under its method name ("model" for a model).
 * Each forecaster's own options apply to it; `options` gives "threads",
 * the progress callback, "strict", "open_column" and the quantile levels
 * scored ("quantiles"), which
 * every forecaster must produce (a model's are its own: set "quantiles" to
 * them, else INVF_ERR_INVALID_ARGUMENT).  A model sees only the days before
 * each origin, like every method; it must not have been trained on the
 * scored days for the figures to mean anything.  Options: forecast. */
INVF_API invf_status* invf_backtest_run_forecasters(const invf_dataset* dataset,
                                                   const invf_forecaster* const* forecasters,
                                                   size_t count, size_t horizon, size_t windows,
                                                   const invf_options* options,
                                                   invf_backtest** out);
INVF_API void invf_backtest_release(invf_backtest* backtest);

INVF_API invf_status* invf_backtest_method_count(const invf_backtest* backtest, size_t* out);
INVF_API invf_status* invf_backtest_method_name(const invf_backtest* backtest, size_t method,
                                                const char** out);
/* Aggregate metric of a method by name: "mase", "rmsse", "wrmsse", "smape",
 * "wql", "coverage80" (share of actuals inside [q0.1, q0.9]), "bias" (mean
 * forecast minus actual over all points, units/day).  Series whose scale is
 * zero are left out of scaled metrics. */
INVF_API invf_status* invf_backtest_metric(const invf_backtest* backtest, size_t method,
                                           const char* metric, double* out);
/* The same metric for one series (NaN where undefined, e.g. zero scale). */
INVF_API invf_status* invf_backtest_series_metric(const invf_backtest* backtest, size_t method,
                                                  size_t series, const char* metric, double* out);
/* The whole report as JSON.  Writes at most `capacity` bytes including the
 * NUL; `*needed` (if not NULL) receives the size required.  With capacity 0
 * and buffer NULL it only reports the size (then `needed` is required).  A
 * capacity below the size fails with INVF_ERR_BUFFER_TOO_SMALL, writing
 * nothing; the message states the size. */
INVF_API invf_status* invf_backtest_to_json(const invf_backtest* backtest, char* buffer,
                                            size_t capacity, size_t* needed);

/* ------------------------------------------------------------------------ */
/* Neural model: a trained forecasting encoder (invforecast model file v1)   */

/* A loaded model: a PatchTST-style transformer encoder that maps the last
 * `context_length` days of a series to `horizon` days x `quantile_count`
 * quantiles.  Immutable once loaded: one handle may be used by any number of
 * threads at once (each call takes its own activation buffers).  Objects
 * made from it (forecasters) share its weights and keep them alive, so the
 * handle may be released while they are still in use. */
typedef struct invf_model invf_model;

/* Loads a model file by mapping it read-only (mmap); the file must not be
 * truncated or rewritten while the model lives.  `options` (copied; NULL =
 * defaults) supplies "backend" and "threads" for invf_model_forecast;
 * Options: forecast (also for invf_model_load_buffer).
 * Every size in the file is checked before use: a truncated or damaged file,
 * a checksum mismatch, a tensor of the wrong shape or absurd dimensions fail
 * with INVF_ERR_CORRUPT_MODEL and a message naming what is wrong; a missing
 * or unreadable file with INVF_ERR_IO; a file of a format version newer than
 * this library reads (the message names both versions), or a model that
 * needs inputs this library does not support, with INVF_ERR_UNSUPPORTED. */
INVF_API invf_status* invf_model_load(const char* path, const invf_options* options,
                                      invf_model** out);
/* The same from `size` bytes at `data` (appliances without a file system).
 * The bytes are copied once into storage the model owns, so the caller may
 * free `data` as soon as the call returns; `data` needs no alignment. */
INVF_API invf_status* invf_model_load_buffer(const void* data, size_t size,
                                             const invf_options* options, invf_model** out);
INVF_API void invf_model_release(invf_model* model);

/* An integer of the model's configuration by key:
 *   "context_length" (days of history the model reads), "patch_length",
 *   "stride", "tokens" (patches per series), "d_model", "heads", "ffn_dim",
 *   "layers", "horizon" (days forecast), "quantile_count",
 *   "format_version" (of the file it was loaded from).
 * An unknown key fails with INVF_ERR_INVALID_ARGUMENT. */
INVF_API invf_status* invf_model_config_int(const invf_model* model, const char* key,
                                            int64_t* out);
/* Copies the model's quantile levels (ascending, in (0,1)) into `buffer` of
 * `capacity` >= quantile_count doubles. */
INVF_API invf_status* invf_model_quantile_levels(const invf_model* model, double* buffer,
                                                 size_t capacity);

/* Forecasts `batch` series at once.  `context` holds batch x context_length
 * floats, series-major, oldest day first: the raw daily sales (units, finite,
 * >= 0) of the last `context_length` days of each series; the model
 * normalises each series itself and undoes it on the output.
 * `context_length` must equal the model's (INVF_ERR_INVALID_ARGUMENT
 * otherwise): a shorter history is never padded silently here; pad it
 * yourself, or use invf_forecaster_create_model, whose rule is stated there.
 * `out` receives batch x horizon x quantile_count floats:
 * out[(s * horizon + d) * quantile_count + q] for series s, day d, level q;
 * non-negative and non-decreasing in q (whole units for a "negbin" head,
 * the quantiles of its distribution).  `out_capacity` (in floats) below
 * that fails with INVF_ERR_BUFFER_TOO_SMALL.  A NaN, infinite or negative
 * sales value fails with INVF_ERR_DATA naming the series and day.  On error
 * `out` is left untouched.  batch 0 does nothing (pointers may be NULL).
 * Series are split across the "threads" given at load time; the result does
 * not depend on the thread count (bit for bit).  The library keeps a pool
 * of activation buffers per model, reused by later calls, so once warm a
 * call with one worker ("threads" = 1, or a batch of one tile) allocates
 * nothing; several workers allocate only to start their threads.  A model
 * with covariates (invf_model_feature_count > 1) needs dates and covariate
 * values, which raw arrays do not carry: INVF_ERR_UNSUPPORTED; forecast it
 * from a dataset (invf_forecaster_create_model). */
INVF_API invf_status* invf_model_forecast(const invf_model* model, const float* context,
                                          size_t batch, size_t context_length, float* out,
                                          size_t out_capacity);

/* A forecaster (method name "model") that runs `model` over a dataset with
 * invf_forecaster_forecast, giving an invf_forecast like the built-in methods
 * (so invf_forecast_write_csv and every reader work unchanged):
 * - Each series is forecast from its last context_length days.  A series
 *   with fewer days is left-padded with zeros (as if nothing had sold before
 *   its first date) and a warning names it; with option "strict" = "true" it
 *   fails with INVF_ERR_SERIES_TOO_SHORT instead.
 * - The horizon asked of invf_forecaster_forecast must not exceed the
 *   model's horizon (INVF_ERR_INVALID_ARGUMENT); a shorter one keeps the
 *   model's first days.
 * - Quantile levels are the model's: a "quantiles" key on `options` is
 *   accepted (one options object may serve all the forecasters of a
 *   backtest, whose levels must be the model's) and changes nothing.  The
 *   mean is the average of the model's quantiles of the day, the interval
 *   method "encoder quantiles"; a model trained with "head" = "negbin"
 *   gives its distribution's mean and whole-unit quantiles, the interval
 *   method "encoder distribution quantiles".  The method reads "model".
 * `options` (copied; Options: forecast) supplies "backend", "threads",
 * "strict" and the progress callback.  The forecaster shares the model's weights: `model`
 * may be released before the forecaster. */
INVF_API invf_status* invf_forecaster_create_model(const invf_model* model,
                                                   const invf_options* options,
                                                   invf_forecaster** out);

/* A forecaster (method name "ensemble") that forecasts each series by a
 * weighted average of its members, each weighted by its error in a
 * rolling-origin backtest on that series' own history:
 * - Members: `model` when it is not NULL (a forecasting model, as for
 *   invf_forecaster_create_model; NULL is the same as
 *   invf_forecaster_create("ensemble")), then the built-in methods of option
 *   "ensemble_methods" (default "ets,tsb,snaive"; "model" and "ensemble"
 *   are refused there).  A member drops out for a series it cannot forecast:
 *   too short for it after the series' first sale, or a non-finite value in
 *   its forecast (named in the forecast's warnings).
 * - Error: the inner backtest has up to "ensemble_windows" (default 3)
 *   windows of `horizon` days ending on the last day of the history the
 *   forecaster is given (in invf_backtest_run_forecasters, the history
 *   before each outer origin), the most at which every member can be
 *   fitted; a member's error is its mean pinball loss over those days and
 *   the quantile levels (its WQL there, up to a factor the same for all).
 * - Weights: the "ensemble_top" members of lowest error (default 2; 0: all)
 *   weighted by inverse error, w_i = (1/e_i) / sum_j (1/e_j), members of
 *   zero error sharing equally; a series too short for any window gives
 *   every member that can forecast it the same weight.
 * - Result: mean and quantiles are the weighted averages of the members',
 *   level by level, so the quantiles stay non-negative and non-decreasing in
 *   the level.  invf_forecast_method reads "ensemble:" and the members kept
 *   with their weights, e.g. "ensemble:model=0.41,ets=0.33,tsb=0.26"; the
 *   interval method "weighted quantile average".  Deterministic.
 * - Levels: with a model, the model's (every member forecasts them); a
 *   "quantiles" key set to other levels fails with INVF_ERR_INVALID_ARGUMENT.
 *   Without one, option "quantiles".
 * - Cost: each member is fitted up to windows + 1 times per series; with the
 *   defaults ETS dominates, and the ensemble takes 4 to 5 times as long as
 *   "ets" alone (README.md has the figures on the bundled data).
 * The horizon asked of invf_forecaster_forecast must not exceed a model
 * member's horizon (INVF_ERR_INVALID_ARGUMENT).  A series too short for
 * every member is forecast by "naive", with a warning (or fails with
 * INVF_ERR_SERIES_TOO_SHORT under "strict").  `options` (copied; Options:
 * forecast) supplies the keys above, those of the members, "backend" (of the
 * model), "threads", "strict" and the progress callback.  The forecaster
 * shares the model's weights: `model` may be released before it. */
INVF_API invf_status* invf_forecaster_create_ensemble(const invf_model* model,
                                                      const invf_options* options,
                                                      invf_forecaster** out);

/* ------------------------------------------------------------------------ */
/* Text model: a sentence encoder for product texts (all-MiniLM-L6-v2)       */

/* A loaded text model: a WordPiece tokenizer and a BERT-family sentence
 * encoder in one text-model file (the engine's model format; made by
 * scripts/fetch_text_model.sh, docs/text.md).  It maps a UTF-8 text to a
 * unit-length embedding of invf_text_model_dim floats, as
 * sentence-transformers does (mean of the final token states, L2
 * normalised).  Immutable once loaded: one handle may be used by any number
 * of threads at once.  Since 0.3. */
typedef struct invf_text_model invf_text_model;

/* Loads a text-model file by mapping it read-only; the file must not be
 * truncated or rewritten while the model lives.  `options` (copied; NULL =
 * defaults) supplies "backend" and "threads" (workers for
 * invf_text_model_embed); Options: forecast.  Every size in the file is
 * checked before use, as invf_model_load does: a damaged or truncated file
 * fails with INVF_ERR_CORRUPT_MODEL naming what is wrong, a missing file with
 * INVF_ERR_IO, a later format version with INVF_ERR_UNSUPPORTED, and a
 * forecast model file with INVF_ERR_INVALID_ARGUMENT saying so (and
 * invf_model_load refuses a text model the same way). */
INVF_API invf_status* invf_text_model_load(const char* path, const invf_options* options,
                                           invf_text_model** out);
/* The same from `size` bytes at `data`, copied once into storage the model
 * owns (the caller may free `data` when the call returns). */
INVF_API invf_status* invf_text_model_load_buffer(const void* data, size_t size,
                                                  const invf_options* options,
                                                  invf_text_model** out);
INVF_API void invf_text_model_release(invf_text_model* model);

/* Floats per embedding (384 for all-MiniLM-L6-v2). */
INVF_API invf_status* invf_text_model_dim(const invf_text_model* model, uint64_t* out);
/* The most token ids a text gives, [CLS] and [SEP] included (256 for
 * all-MiniLM-L6-v2): longer texts are truncated to it. */
INVF_API invf_status* invf_text_model_max_tokens(const invf_text_model* model, uint64_t* out);

/* Embeds `count` texts: texts[i] is UTF-8 of lengths[i] bytes, or
 * NUL-terminated when `lengths` is NULL.  `out` receives count x dim
 * floats, row i the unit-length embedding of text i; `out_capacity` (in
 * floats) below that fails with INVF_ERR_BUFFER_TOO_SMALL.  A NULL text
 * fails with INVF_ERR_NULL_POINTER naming its index; invalid UTF-8 (a
 * truncated or overlong sequence, a surrogate, a stray continuation byte)
 * with INVF_ERR_INVALID_ARGUMENT naming the text and the byte offset,
 * nothing replaced silently.  Texts are tokenized, truncated to
 * invf_text_model_max_tokens, sorted by length and embedded in batches, each
 * padded to its longest text and masked: a text's embedding does not depend
 * on the texts beside it, nor on "threads".  On error `out` is untouched.
 * count 0 does nothing (pointers may be NULL). */
INVF_API invf_status* invf_text_model_embed(const invf_text_model* model,
                                            const char* const* texts, const size_t* lengths,
                                            size_t count, float* out, size_t out_capacity);
/* The token ids of one text of `length` bytes ([CLS] first, [SEP] last, at
 * most invf_text_model_max_tokens), as the embedding reads them.  `*count`
 * receives their number; `ids` of `capacity` int32 values receives them.
 * `ids` NULL with capacity 0 only reports the count; a capacity below it
 * fails with INVF_ERR_BUFFER_TOO_SMALL, writing nothing.  Invalid UTF-8 as
 * for invf_text_model_embed. */
INVF_API invf_status* invf_text_model_tokenize(const invf_text_model* model, const char* text,
                                               size_t length, int32_t* ids, size_t capacity,
                                               size_t* count);

/* ------------------------------------------------------------------------ */
/* Training: the engine fits its own encoder, no Python in the path         */

/* What invf_train reports while it runs (all counts 1-based where they are
 * positions).  val_loss is NaN before the first validation or without one. */
typedef struct invf_train_progress {
  size_t epoch, epochs;     /* epoch in progress (or just finished) and planned */
  size_t step, total_steps; /* optimiser steps done and planned */
  double train_loss;        /* mean batch loss of the epoch so far (normalised scale) */
  double val_loss;          /* latest validation loss */
  double samples_per_second;
  double eta_seconds;
  int epoch_end;            /* 1 for the report after an epoch's validation */
} invf_train_progress;
/* Return 0 to go on, non-zero to cancel: invf_train then fails with
 * INVF_ERR_CANCELLED (and, with "checkpoint" set, the last epoch's
 * checkpoint stays on disk for "resume").  Called on the training thread. */
typedef int (*invf_train_fn)(void* user_data, const invf_train_progress* progress);

/* Trains a forecasting encoder on every series of `dataset` (one global
 * model) and returns it as a model handle, ready for invf_model_forecast,
 * invf_forecaster_create_model and invf_model_save.
 *
 * `init` NULL: a new model from the configuration keys below, weights drawn
 * from "seed".  `init` non-NULL: training starts from its weights and uses
 * its configuration (the configuration keys must then be unset); "finetune"
 * says what is updated.  `progress` may be NULL.  The result is bit-identical
 * for the same data, options, seed, thread count and backend.
 *
 * Options: train.  The progress callback set on the options
 * (invf_options_set_progress) is called like `progress`, with stage
 * "training" or "pre-training" and done/total = optimiser steps; giving both
 * it and `progress` fails with INVF_ERR_INVALID_ARGUMENT.  Keys, besides
 * "backend", "threads", "quantiles" (the new model's levels):
 *   model (new models only): "context_length" (336), "patch_length" (16),
 *     "stride" (8), "d_model" (128), "heads" (8), "ffn_dim" (256),
 *     "layers" (3), "horizon" (28), "normalization" "revin" | "meanabs",
 *     "norm_eps" (1e-5; added to the variance, in squared sales units),
 *     "head" "quantile" (default: the levels directly, trained on "loss") |
 *     "negbin" (a negative binomial distribution per day, trained on its
 *     likelihood of the sales; its forecast is the distribution's quantiles
 *     at the levels, in whole units, and its mean; "loss" must stay unset)
 *   optimisation: "epochs" (10), "steps_per_epoch" (100), "batch_size" (64),
 *     "learning_rate" (1e-3), "min_learning_rate" (1e-5), "warmup_steps"
 *     (-1 = 5% of all steps), "weight_decay" (0.01), "clip_norm" (1.0),
 *     "loss" "pinball" | "mae" | "mse" (the quantile head's), "seed" (1;
 *     training's own: the inventory calls keep theirs),
 *     "sampling" "uniform" | "volume" | "revenue" (how often a series'
 *     windows are drawn), "loss_weighting" "uniform" | "volume" | "revenue"
 *     (each window's weight in the loss: the series' mean daily units, or
 *     units x "price"), "min_history" (28)
 *   validation: "holdout_days" (-1 = the horizon; 0 = none), "patience" (3)
 *   transfer: "objective" "forecast" | "masked_patch" (self-supervised
 *     pre-training: the result is a base for a later fine-tune, and
 *     forecasting with it fails with INVF_ERR_INVALID_ARGUMENT),
 *     "mask_ratio" (0.4), "finetune" "full" | "head" | "lora" (with
 *     `init`), "lora_rank" (8), "lora_alpha" (16)
 *   checkpoints: "checkpoint" a path written after every epoch (weights,
 *     optimiser state, position; with "masked_patch" also the run's
 *     reconstruction head), "resume" "true" to continue from it: forecasting
 *     and pre-training runs alike (a checkpoint of the other objective, or of
 *     another "mask_ratio", is refused like any other changed setting)
 * Errors: INVF_ERR_INVALID_ARGUMENT (bad or conflicting options, or a
 * checkpoint written with other settings: the message names the setting),
 * INVF_ERR_SERIES_TOO_SHORT (no series has a whole window), INVF_ERR_DIVERGED
 * (training diverged: a non-finite loss or gradient norm, the message naming
 * the step, or a RevIN gain driven to zero or below; lower "learning_rate"),
 * INVF_ERR_CANCELLED, INVF_ERR_IO (checkpoint not writable or missing for
 * "resume"), INVF_ERR_CORRUPT_MODEL (a damaged checkpoint). */
INVF_API invf_status* invf_train(const invf_dataset* dataset, const invf_model* init,
                                 const invf_options* options, invf_train_fn progress,
                                 void* user_data, invf_model** out);

/* Writes the model in the invforecast model format (written to a temporary
 * name, then renamed into place).  A model from a LoRA fine-tune is written
 * merged (base + adapter), a standalone file. */
INVF_API invf_status* invf_model_save(const invf_model* model, const char* path);
/* The same into `buffer` of `capacity` bytes; `*needed` (if not NULL) gets
 * the size.  capacity 0 with buffer NULL only reports the size; a smaller
 * capacity fails with INVF_ERR_BUFFER_TOO_SMALL and writes nothing. */
INVF_API invf_status* invf_model_save_buffer(const invf_model* model, void* buffer,
                                             size_t capacity, size_t* needed);
/* A model trained with "finetune" = "lora" keeps its low-rank adapter apart:
 * this writes only the adapter (a small file that names its base model's
 * checksum).  Other models fail with INVF_ERR_INVALID_ARGUMENT. */
INVF_API invf_status* invf_model_save_adapter(const invf_model* model, const char* path);
/* Loads an adapter file over `base`, giving a new model (base + adapter).
 * `options` NULL keeps the base's "backend" and "threads"; otherwise they
 * come from `options` (Options: forecast).  An adapter made for another base fails with
 * INVF_ERR_INVALID_ARGUMENT; a damaged file with INVF_ERR_CORRUPT_MODEL; a
 * missing one with INVF_ERR_IO. */
INVF_API invf_status* invf_model_load_adapter(const invf_model* base, const char* path,
                                              const invf_options* options, invf_model** out);
/* The features the model reads, the target first (index 0), then its
 * covariates (docs/covariates.md): a model of the target alone has 1.
 * Never fails for a valid handle. */
INVF_API invf_status* invf_model_feature_count(const invf_model* model, uint64_t* out);
/* Feature `index` (< invf_model_feature_count): its name (a data column or
 * a calendar feature: day_of_week, day_of_month, month, week_of_year),
 * kind ("real" | "categorical") and role ("target" | "past_covariate" |
 * "future_covariate" | "static_covariate"); each pointer may be NULL, and
 * the strings stay valid while the model lives.  INVF_ERR_INVALID_ARGUMENT
 * for an index out of range. */
INVF_API invf_status* invf_model_feature(const invf_model* model, uint64_t index,
                                         const char** name, const char** kind,
                                         const char** role);

/* A training-provenance value of the model by key (e.g. "objective",
 * "epochs_run", "best_epoch", "best_val_loss", "steps", "seed", "finetune";
 * only reproducible facts, so the same training gives the same file);
 * `*out` stays valid while the model lives.  INVF_ERR_INVALID_ARGUMENT when
 * the model has no such entry. */
INVF_API invf_status* invf_model_provenance(const invf_model* model, const char* key,
                                            const char** out);

/* ------------------------------------------------------------------------ */
/* Explanations: why a model forecasts what it does for one series          */

typedef struct invf_explanation invf_explanation;

/* The `level` argument of the explanation's per-day values: a quantile
 * index 0 .. quantile_count - 1, or this for the mean, the forecast's (the
 * average of the day's quantiles; a "negbin" model's distribution mean,
 * see invf_explanation_forecast). */
#define INVF_EXPLAIN_MEAN (-1)

/* Explains the forecast `model` makes for series `series_id` of `dataset`
 * over days 1..horizon after its last date (1 to the model's horizon; 0 =
 * the model's horizon), from the same inputs as invf_forecaster_create_model
 * (the last context_length days, left-padded with zeros when fewer, with a
 * warning; the known-future covariates of the dataset's future days).  A
 * new product (a series of the future or static file without history) is
 * explained as it is forecast: its context is the mean daily sales of its
 * analogues (the series sharing the most of its static attributes), its
 * known-future values and statics its own; invf_explanation_warning names
 * them, as the forecast's warning does, and the history group is theirs.
 * Two parts:
 * - Attention: for each transformer layer, the weight each patch of the
 *   context (a token: patch_length days, stride apart, oldest first) gets,
 *   averaged over the heads and the tokens that attend (each layer's
 *   weights sum to 1), as the encoder computed them for this series.
 * - Attributions: the forecast's inputs in groups, from the model's
 *   features (invf_model_feature): "history" (the series' context), one
 *   group per time-varying covariate column (known-future or past-only,
 *   e.g. "price" with its log-ratio channel, "event", "snap"), "calendar"
 *   (day of week and month, day of month, week of year) and "static" (every
 *   static attribute together); with more than 12 groups the columns are
 *   merged into "known_future" and "past_only".  A group left out reads its
 *   baseline: the history a flat context at the mean of the series' days in
 *   it (its level kept, its shape removed); a numeric covariate its training
 *   mean (normalised 0; a price's log ratio 0, the series' usual price); a
 *   categorical one the unknown bucket, on every day.  The model forecasts
 *   all 2^groups combinations of actual and baseline groups in one batch,
 *   and each group's attribution is its exact Shapley value over them, per
 *   day, per quantile and for the mean (invf_explanation_forecast says
 *   which).  They add up, day by day and so over any days, to the
 *   forecast minus the baseline forecast (every group at its baseline).
 *   A model without covariates has the history alone: its attribution is
 *   the forecast minus that of the flat history.
 * The forecast read here equals the model forecaster's for the series.
 * Options: forecast; "backend", "threads" (the result does not depend on
 * it) and "strict" (a series shorter than the context fails with
 * INVF_ERR_SERIES_TOO_SHORT) apply; "open_column" fails with
 * INVF_ERR_INVALID_ARGUMENT (the explanation is of the model's own output).
 * Errors: INVF_ERR_NULL_POINTER; INVF_ERR_INVALID_ARGUMENT for a series the
 * dataset lacks (named), a new product of a dataset where no series has a
 * history, a horizon beyond the model's, a model only pre-trained, and
 * a dataset without a column the model reads or of another kind (the
 * message names it); INVF_ERR_INVALID_ARGUMENT or INVF_ERR_DATA when the
 * known-future columns do not cover the horizon, as for a forecast. */
INVF_API invf_status* invf_explain(const invf_model* model, const invf_dataset* dataset,
                                   const char* series_id, uint64_t horizon,
                                   const invf_options* options, invf_explanation** out);
INVF_API void invf_explanation_release(invf_explanation* explanation);
/* The explanation's sizes: days explained, the model's quantile levels
 * (invf_model_quantile_levels), attribution groups, transformer layers and
 * patches (tokens).  Each pointer may be NULL. */
INVF_API invf_status* invf_explanation_dims(const invf_explanation* explanation,
                                            uint64_t* horizon, uint64_t* quantile_count,
                                            uint64_t* group_count, uint64_t* layers,
                                            uint64_t* patches);
/* Date of day 1 explained (the day after the series' last date). */
INVF_API invf_status* invf_explanation_start_date(const invf_explanation* explanation,
                                                  char out[INVF_DATE_BUFFER]);
/* The warning of a series shorter than the model's context, or for a new
 * product the forecast's note of what its history is: "series 'X' is a new
 * product (no history): forecast from the mean daily sales of N series
 * sharing K of its M attributes (store=CA_1, ...) over the last D days"
 * ("" when none).  Lives as long as the explanation. */
INVF_API invf_status* invf_explanation_warning(const invf_explanation* explanation,
                                               const char** out);
/* Per day, for `level` (a quantile index or INVF_EXPLAIN_MEAN): the
 * forecast (every group actual) into `forecast` and the baseline forecast
 * (every group at its baseline) into `baseline`, `capacity` >= horizon
 * doubles each (INVF_ERR_BUFFER_TOO_SMALL); either may be NULL.  A level
 * out of range fails with INVF_ERR_INVALID_ARGUMENT.  The mean explained is
 * the forecast's: the average of the day's quantiles for a quantile head;
 * for a "negbin" head the negative binomial's mean mu (the forecaster's
 * mean), not the average of its whole-unit quantiles.  The JSON's
 * "mean_definition" says which in words. */
INVF_API invf_status* invf_explanation_forecast(const invf_explanation* explanation,
                                                int64_t level, double* forecast,
                                                double* baseline, uint64_t capacity);
/* Group `group` (< group_count): its name ("history", a column's name,
 * "calendar", "static", "known_future", "past_only"), kind ("history" |
 * "known_future" | "past_only" | "calendar" | "static"), the model's
 * features in it (comma-separated; "target" for the history) and its
 * baseline in words.  Each pointer may be NULL; the strings live as long as
 * the explanation.  INVF_ERR_INVALID_ARGUMENT for a group out of range. */
INVF_API invf_status* invf_explanation_group(const invf_explanation* explanation, uint64_t group,
                                             const char** name, const char** kind,
                                             const char** features, const char** baseline);
/* The attribution of group `group` per day for `level` (a quantile index or
 * INVF_EXPLAIN_MEAN), in units, into `buffer` of `capacity` >= horizon
 * doubles; summed over the groups it is forecast - baseline of the day. */
INVF_API invf_status* invf_explanation_attribution(const invf_explanation* explanation,
                                                   uint64_t group, int64_t level,
                                                   double* buffer, uint64_t capacity);
/* The attention, layers x patches, layer-major: buffer[l * patches + t] is
 * the weight patch t gets in layer l (>= 0; each layer's sum to 1);
 * `capacity` >= layers * patches doubles. */
INVF_API invf_status* invf_explanation_attention(const invf_explanation* explanation,
                                                 double* buffer, uint64_t capacity);
/* The context days patch `patch` (< patches) covers, first and last (a
 * patch reaching past the context's end repeats its last day, so its days
 * stop there), and how many of them precede the series' first date (zero
 * padding of a series shorter than the context); each output may be NULL. */
INVF_API invf_status* invf_explanation_patch(const invf_explanation* explanation, uint64_t patch,
                                             char first[INVF_DATE_BUFFER],
                                             char last[INVF_DATE_BUFFER],
                                             uint64_t* padding_days);
/* The whole explanation as JSON: {"series_id", "start_date", "horizon",
 * "quantiles", "method", "mean_definition" (the mean explained, in words),
 * "history_source" ("own", or "analogues" for a new product), "analogues"
 * (how many; 0 for "own"), "history_days", "warning", "forecast": {"mean":
 * [per day], "quantiles": [[per level] per day]}, "baseline": {the same},
 * "groups": [{"name", "kind", "features", "baseline", "total": {"mean",
 * "quantiles"} (summed over the days), "mean", "quantiles"}], "attention":
 * {"layers", "patches": [{"first", "last", "padding_days", "weights": [per
 * layer]}]}}.  Buffer rules as for invf_backtest_to_json. */
INVF_API invf_status* invf_explanation_to_json(const invf_explanation* explanation, char* buffer,
                                               size_t capacity, size_t* needed);

/* ------------------------------------------------------------------------ */
/* Replenishment: order decisions from a forecast                            */

/* Reads a forecast back from the CSV that invf_forecast_write_csv (and
 * `invforecast forecast`) writes: header series_id,date,mean,q<level>,...
 * with levels strictly ascending in (0,1); each series' rows contiguous, on
 * consecutive days; every series with the same number of days (the
 * horizon); values finite, >= 0, quantiles non-decreasing in the level.
 * Series keep the file's order; invf_forecast_method reads "csv".  Errors
 * name the file and line: INVF_ERR_IO, INVF_ERR_PARSE (header, field count,
 * number or date syntax), INVF_ERR_DATA (negative, crossing, gaps, unequal
 * horizons, no rows). */
INVF_API invf_status* invf_forecast_load_csv(const char* path, invf_forecast** out);

/* Stock states of SKUs (stock-keeping units).  Each SKU is matched by id to
 * the forecast series of the same series_id; day 1 of that forecast is
 * today, the first day of the lead time of an order placed now (an order
 * with lead time L arrives at the start of day L + 1).  Fields (the columns
 * of the state CSV, and the keys of invf_inventory_add_sku), in units or days:
 *   "on_hand"        required, >= 0
 *   "lead_time_mean" required (unless lead_time_samples is given), days >= 1
 *                    (a whole number when sd is 0)
 *   "lead_time_sd"   default 0 (fixed lead time); > 0: a normal lead time
 *                    discretised to whole days >= 1 and mixed over
 *   "lead_time_samples"  state CSV only (invf_inventory_set_lead_time_samples
 *                    for arrays): past lead times in whole days >= 1
 *                    separated by ';' ("3;4;4;6"); the lead time is their
 *                    empirical distribution, mixed over; instead of
 *                    lead_time_mean and lead_time_sd (not both)
 *   "review_period"  whole days >= 1, default 1 (decide every day)
 *   "moq"            minimum order quantity, default 0; a multiple of pack_size
 *   "pack_size"      > 0, default 1: orders are whole packs
 *   "max_stock"      capacity for on hand + pipeline + order; default none
 *   "on_order"       units already ordered, assumed to arrive today (arrival
 *                    day 0, counted fully in the inventory position);
 *                    default 0.  Open orders with arrival dates: see
 *                    invf_inventory_add_open_order.
 *   "backorders"     units owed to customers (backorder regime only), default 0
 *   "holding_cost", "shortage_cost", "order_cost": per unit-day, per unit
 *                    short, per order; default 0 (only expected_cycle_cost
 *                    uses them; invf_newsvendor takes shortage_cost as the
 *                    underage cost)
 *   "service_level" or "fill_rate"  (at most one per SKU) the SKU's own
 *                    target in (0,1), which overrides the options' one
 *   "overage_cost"   invf_newsvendor only: cost per unit left over at the
 *                    end of the selling period (cost - salvage), > 0
 * SKU ids are unique.  Values are checked by invf_replenish, whose errors
 * name the SKU and field. */
typedef struct invf_inventory invf_inventory;

/* An empty inventory to fill with invf_inventory_add_sku. */
INVF_API invf_status* invf_inventory_create(invf_inventory** out);
/* Loads a state CSV: a header with "sku" and the field names above (any
 * order; an unknown or repeated column is INVF_ERR_PARSE), one row per SKU;
 * an empty optional cell takes the default.  Errors name the file and line.
 * Such an inventory accepts no adds. */
INVF_API invf_status* invf_inventory_load_csv(const char* path, invf_inventory** out);
INVF_API void invf_inventory_release(invf_inventory* inventory);
/* Adds SKU `sku` with `count` fields: keys[i] (names above) = values[i]
 * (finite).  A missing required field, an unknown or repeated key or a SKU
 * already present fail (INVF_ERR_INVALID_ARGUMENT / INVF_ERR_DATA) and add
 * nothing. */
INVF_API invf_status* invf_inventory_add_sku(invf_inventory* inventory, const char* sku,
                                             const char* const* keys, const double* values,
                                             size_t count);
/* Replaces the lead time of SKU `sku` by the empirical distribution of
 * `count` >= 1 past lead times days[i] (whole days >= 1).  An unknown SKU
 * fails with INVF_ERR_DATA.  Works on any inventory. */
INVF_API invf_status* invf_inventory_set_lead_time_samples(invf_inventory* inventory,
                                                           const char* sku, const int* days,
                                                           size_t count);
/* Adds an open order of SKU `sku`: `quantity` units (finite, >= 0) arriving
 * `arrival_day` days from now (0 = today, before today's demand; at most
 * 3660), i.e. available from forecast day arrival_day + 1 on.  Rule: an open
 * order counts in the inventory position when it arrives within the
 * protection interval, arrival_day < longest lead time + review period;
 * later orders cover none of it and are not counted (invf_replenishment_value
 * "pipeline_later" reports them).  An unknown SKU fails with INVF_ERR_DATA.
 * Works on any inventory, also one loaded from a file. */
INVF_API invf_status* invf_inventory_add_open_order(invf_inventory* inventory, const char* sku,
                                                    double quantity, int arrival_day);
/* Adds the open orders of a CSV with the header sku,quantity and exactly
 * one of arrival_day (as above) or arrival_date (YYYY-MM-DD: the SKU's
 * forecast day 1 is today, so arrival_day = arrival_date - that date; a
 * date before it fails in invf_replenish with INVF_ERR_DATA).  A SKU may
 * have several rows.  Errors name the file and line; a failing file adds
 * nothing. */
INVF_API invf_status* invf_inventory_load_open_orders_csv(invf_inventory* inventory,
                                                          const char* path);
INVF_API invf_status* invf_inventory_sku_count(const invf_inventory* inventory, size_t* out);
INVF_API invf_status* invf_inventory_sku_id(const invf_inventory* inventory, size_t sku,
                                            const char** out);

typedef struct invf_replenishment invf_replenishment;

/* One decision per SKU of `inventory` (same order), for a periodic-review
 * order-up-to policy: demand over the protection interval (lead time +
 * review period) is built by Monte Carlo from the daily quantile forecasts
 * (a sum of daily quantiles is not a quantile of the sum), mixed over an
 * uncertain lead time; invf_replenishment_method states the assumptions.
 * Options: inventory.  Keys:
 *   "service_level"  cycle service level target in (0,1), default 0.95,
 *                    for SKUs without their own service_level / fill_rate
 *   "fill_rate"      fill-rate target in (0,1) instead; setting both
 *                    "service_level" and "fill_rate" on one options object
 *                    fails (INVF_ERR_INVALID_ARGUMENT naming both keys)
 *                    (a comma-separated list is for the simulator; here it
 *                    fails with INVF_ERR_INVALID_ARGUMENT)
 *   "service_measure" "service_level" (cycle service level) | "fill_rate":
 *                    the measure of the target, explicitly; with no target
 *                    key it applies to the default target 0.95; it must
 *                    agree with the target key given (else
 *                    INVF_ERR_INVALID_ARGUMENT naming both keys).  Default:
 *                    the measure of the target key, else "service_level".
 *   "regime"         "lost_sales" (default) | "backorder"
 *   "samples"        Monte Carlo paths, default 20000
 *   "seed"           integer; the same inputs and seed give the same result
 *   "dependence"     between the days of a path: "independent" (default) |
 *                    "comonotonic" | "gaussian_copula" (with "copula_rho" in
 *                    [0,1], equal correlation between days)
 *   "threads"        as for forecasting (the result does not depend on it)
 * SKUs with no forecast series fail with INVF_ERR_DATA naming them; a
 * forecast shorter than a SKU's longest lead time + review period fails
 * with INVF_ERR_DATA; bad fields with INVF_ERR_INVALID_ARGUMENT naming the
 * SKU and field. */
INVF_API invf_status* invf_replenish(const invf_forecast* forecast,
                                     const invf_inventory* inventory,
                                     const invf_options* options, invf_replenishment** out);
/* Newsvendor mode: one-shot buys (promotion stock, perishables), one per SKU
 * of `inventory`.  The buy placed now arrives after the SKU's lead time L
 * (fixed: lead_time_sd 0, no samples; else INVF_ERR_INVALID_ARGUMENT) and
 * must last the selling period of review_period R days, forecast days
 * L+1..L+R.  Demand over those days is built by Monte Carlo as in
 * invf_replenish; the target stock is its quantile at the critical ratio
 * cu / (cu + co), cu = shortage_cost (> 0, per unit of demand not met),
 * co = overage_cost (> 0, per unit left over).  Stock = on_hand + open
 * orders arriving before the period ends; demand before the period is not
 * netted, so give as on_hand what will be left at its start.  The order is
 * max(0, target - stock), rounded to packs and the MOQ, capped by
 * max_stock; backorders must be 0.  Options: inventory, of which
 * "samples", "seed", "dependence", "copula_rho", "threads" apply; a target
 * ("service_level", "fill_rate", "service_measure") or "regime" fails with
 * INVF_ERR_INVALID_ARGUMENT (the costs set the target).  The result is read with
 * the invf_replenishment_* calls (keys listed at invf_replenishment_value). */
INVF_API invf_status* invf_newsvendor(const invf_forecast* forecast,
                                      const invf_inventory* inventory,
                                      const invf_options* options, invf_replenishment** out);
INVF_API void invf_replenishment_release(invf_replenishment* replenishment);
INVF_API invf_status* invf_replenishment_sku_count(const invf_replenishment* replenishment,
                                                   size_t* out);
/* Which call made a result, and so which keys invf_replenishment_value
 * takes and which columns invf_replenishment_write_csv writes. */
typedef enum invf_replenish_mode {
  INVF_REPLENISH_ORDER_UP_TO = 0, /* invf_replenish: periodic-review decisions */
  INVF_REPLENISH_NEWSVENDOR = 1   /* invf_newsvendor: one-shot buys */
} invf_replenish_mode;
/* The mode of `replenishment`, an invf_replenish_mode value, into *out. */
INVF_API invf_status* invf_replenishment_mode(const invf_replenishment* replenishment,
                                              int32_t* out);
INVF_API invf_status* invf_replenishment_sku_id(const invf_replenishment* replenishment,
                                                size_t sku, const char** out);
/* A number of a SKU's decision by key (D_L: lead-time demand, D_P: demand
 * over the protection interval, both from day 1 of the forecast):
 *   "on_hand", "demand_mean", "demand_sd" (of D_P), "lead_time_demand_mean",
 *   "lead_time_demand_sd", "review_demand_mean", "lead_time_mean",
 *   "lead_time_sd" (days, after discretising), "protection_days" (longest
 *   lead time + review period), "safety_stock" (reorder point - E[D_L]),
 *   "reorder_point" (the target met over D_L), "order_up_to" (the target
 *   met over D_P), "cycle_safety_stock" (order_up_to - E[D_P]), "pipeline"
 *   (on order, counted), "inventory_position" (on hand - backorders +
 *   pipeline), "pipeline_later" (open orders arriving after the protection
 *   interval, not counted), "unrounded_order" (max(0, order_up_to - position)),
 *   "order_quantity" (rounded up to whole packs, at least the MOQ, cut to
 *   max_stock; 0 when nothing is needed or the cut falls below the MOQ),
 *   "capped_by_max_stock" (0 or 1), "expected_fill_rate" and
 *   "stockout_probability" (of position + order over D_P),
 *   "expected_shortage", "expected_ending_stock", "expected_cycle_cost",
 *   "mean_daily_demand", "days_of_cover" (on hand / mean daily demand;
 *   infinite when that is 0).
 * Keys of a newsvendor result: "on_hand", "pipeline" (open orders counted
 * as stock), "demand_mean", "demand_sd" (over the selling period),
 * "critical_ratio", "target_stock", "unrounded_order", "order_quantity",
 * "capped_by_max_stock", "stockout_probability", "expected_sales",
 * "expected_leftover", "expected_lost_sales" (of stock + order).
 * An unknown key fails with INVF_ERR_INVALID_ARGUMENT. */
INVF_API invf_status* invf_replenishment_value(const invf_replenishment* replenishment,
                                               size_t sku, const char* key, double* out);
/* The method and its assumptions, in words. */
INVF_API invf_status* invf_replenishment_method(const invf_replenishment* replenishment,
                                                size_t sku, const char** out);
/* Writes the CSV sku,on_hand,demand_mean,demand_sd,safety_stock,
 * reorder_point,order_up_to,order_quantity,expected_fill_rate,
 * stockout_probability,days_of_cover (values as invf_replenishment_value;
 * "inf" for an infinite days_of_cover); for a newsvendor result
 * sku,on_hand,pipeline,demand_mean,demand_sd,critical_ratio,target_stock,
 * order_quantity,stockout_probability,expected_sales,expected_leftover,
 * expected_lost_sales. */
INVF_API invf_status* invf_replenishment_write_csv(const invf_replenishment* replenishment,
                                                   const char* path);

/* ------------------------------------------------------------------------ */
/* What-if scenarios: the model's forecast with edited known-future values   */

/* A scenario: edits to the known-future covariates (prices, promotions,
 * events) of some series over a date range.  Built by the calls below;
 * checked against a model and a dataset by invf_whatif_run. */
typedef struct invf_scenario invf_scenario;

/* An empty scenario: no edit, every series, the whole horizon. */
INVF_API invf_status* invf_scenario_create(invf_scenario** out);
INVF_API void invf_scenario_release(invf_scenario* scenario);
/* Adds an edit, applied after those added before to every day of the
 * range of every series of the scenario:
 *   "COL*=x"    multiplies a real column by x ("price*=0.9": 10% off)
 *   "COL+=x"    adds x to it ("price+=-0.5")
 *   "COL=x"     sets a real column to x ("promo=1")
 *   "COL=LEVEL" sets a categorical column to a level ("event=SuperBowl")
 * x is a finite number; COL and LEVEL are the text before the operator
 * and after it, as the data spells them.  No operator, an empty column or
 * value, or an x of *= or += that is not a finite number fail with
 * INVF_ERR_INVALID_ARGUMENT naming the edit (checked here; the column's
 * kind and role are checked by invf_whatif_run). */
INVF_API invf_status* invf_scenario_add_edit(invf_scenario* scenario, const char* edit);
/* The series the scenario applies to and reports: `count` ids (count 0:
 * every series of the dataset, the default).  Replaces an earlier call's. */
INVF_API invf_status* invf_scenario_set_series(invf_scenario* scenario,
                                               const char* const* series_ids, size_t count);
/* The edited days, inclusive, ISO dates; NULL for `from` is each series'
 * first forecast day, NULL for `to` its last (the default).  A malformed
 * date fails with INVF_ERR_INVALID_ARGUMENT, as do dates that run
 * backwards. */
INVF_API invf_status* invf_scenario_set_dates(invf_scenario* scenario, const char* from,
                                              const char* to);

/* The result of invf_whatif_run: the base and the scenario forecast of the
 * scenario's series (dataset order, the same in both), their revenue and,
 * with an inventory, the replenishment orders of each. */
typedef struct invf_whatif invf_whatif;

/* Forecasts the scenario's series with `model` twice: on `dataset` as it is
 * (the base) and with the scenario's edits applied (the scenario).  Days
 * 1..horizon after each series' last date; `horizon` 0 is the model's
 * horizon, or the dataset's future days when fewer.  The dataset must hold
 * known-future values (invf_dataset_read_future_csv or
 * invf_dataset_add_future_columns), and the edits apply to them; the
 * dataset itself is not changed.  Each forecast is that of
 * invf_forecaster_create_model with `options`.
 * With `inventory` (may be NULL: no orders), invf_replenish's decisions on
 * each forecast for the inventory's SKUs among the scenario's series (SKUs
 * of other series are left out; none at all fails with INVF_ERR_DATA).
 * Revenue is mean units x the day's "price", a numeric column of the
 * dataset, base and scenario prices; without such a column it is absent
 * (invf_whatif_has_revenue).
 * Errors, naming what they name: INVF_ERR_INVALID_ARGUMENT for a scenario
 * without edits, a series the dataset lacks or named twice, dates outside a
 * series' horizon (its first to its horizon-th forecast day), a column the
 * dataset lacks or that the model does not read, reads as static or as
 * past-only (not known over the horizon), *= or += on a categorical column,
 * a real column set to a non-number, a categorical level the model never
 * saw (refused: the model would read its unknown bucket, not that level), a
 * dataset without known-future values, a horizon past the model's;
 * INVF_ERR_DATA for a day the dataset holds no value to scale or add to, an
 * edit giving a non-finite value, a horizon past the dataset's future days;
 * and the errors of the forecast and of invf_replenish.  Options: forecast
 * and inventory ("backend", "threads", "strict", "open_column", the
 * replenishment keys and the progress callback). */
INVF_API invf_status* invf_whatif_run(const invf_model* model, const invf_dataset* dataset,
                                      const invf_scenario* scenario, size_t horizon,
                                      const invf_inventory* inventory,
                                      const invf_options* options, invf_whatif** out);
INVF_API void invf_whatif_release(invf_whatif* whatif);
/* Which side of a result an accessor reads. */
typedef enum invf_whatif_side {
  INVF_WHATIF_BASE = 0,     /* the dataset as it is */
  INVF_WHATIF_SCENARIO = 1  /* with the scenario's edits */
} invf_whatif_side;
/* A copy of the base or the scenario forecast (`side`, an invf_whatif_side)
 * as an invf_forecast of its own, read with the invf_forecast_* calls and
 * released with invf_forecast_release.  Another `side` fails with
 * INVF_ERR_INVALID_ARGUMENT. */
INVF_API invf_status* invf_whatif_forecast(const invf_whatif* whatif, int32_t side,
                                           invf_forecast** out);
/* A copy of the orders of one side as an invf_replenishment (read with the
 * invf_replenishment_* calls, released with invf_replenishment_release),
 * one decision per SKU of the inventory among the scenario's series.
 * INVF_ERR_INVALID_ARGUMENT when invf_whatif_run had no inventory. */
INVF_API invf_status* invf_whatif_replenishment(const invf_whatif* whatif, int32_t side,
                                                invf_replenishment** out);
/* 1 into *out when the result has revenue (the dataset has a numeric
 * "price" column), else 0. */
INVF_API invf_status* invf_whatif_has_revenue(const invf_whatif* whatif, int32_t* out);
/* The price of days 1..horizon of series `series` (the index of the
 * forecasts) on one side, as the model read it: `capacity` >= horizon; NaN
 * for a day whose price is unknown.  INVF_ERR_INVALID_ARGUMENT without a
 * price column. */
INVF_API invf_status* invf_whatif_price(const invf_whatif* whatif, int32_t side, size_t series,
                                        double* buffer, size_t capacity);
/* Daily revenue of one side: mean units x price, NaN where the price is
 * unknown; as invf_whatif_price otherwise. */
INVF_API invf_status* invf_whatif_revenue(const invf_whatif* whatif, int32_t side, size_t series,
                                          double* buffer, size_t capacity);
/* Days 1..horizon of series `series`: 1 where the scenario's edits apply,
 * else 0, into `buffer` of `capacity` >= horizon bytes. */
INVF_API invf_status* invf_whatif_edited_days(const invf_whatif* whatif, size_t series,
                                              uint8_t* buffer, size_t capacity);
/* The whole result as JSON: {"horizon", "levels", "edits", "revenue"
 * (true | false), "revenue_note", "series": [{"series_id", "start_date",
 * "base": {"units" (sum of the daily means), "revenue" (its sum, null
 * without a price), "order_quantity", "reorder_point", "safety_stock",
 * "order_up_to" (null without an inventory or a SKU)}, "scenario": {...},
 * "days": [{"date", "edited", "base": {"mean", "quantiles", "price",
 * "revenue"}, "scenario": {...}}]}]}.  Buffer rules as for
 * invf_backtest_to_json. */
INVF_API invf_status* invf_whatif_to_json(const invf_whatif* whatif, char* buffer,
                                          size_t capacity, size_t* needed);
/* Writes the CSV series_id,date,edited,base_mean,scenario_mean,base_price,
 * scenario_price,base_revenue,scenario_revenue,base_q<level>...,
 * scenario_q<level>..., one row per series per day (prices and revenues
 * empty where unknown or absent). */
INVF_API invf_status* invf_whatif_write_csv(const invf_whatif* whatif, const char* path);

/* ------------------------------------------------------------------------ */
/* Policy simulator: replenishment decisions replayed on actual demand       */

typedef struct invf_simulation invf_simulation;

/* Replays the last `test_days` days (1 to 3660) of every series of
 * `dataset` under a periodic-review order-up-to policy, once per method in
 * `methods` (names as for invf_forecaster_create).  Each review day t, the
 * method forecasts from the days before t only; invf_replenish's rule turns
 * that forecast and the stock (on hand, open orders, backorders) into an
 * order, which arrives `lead_time` days later; then day t's actual demand
 * is served from stock, the rest lost or backordered.  Start: on hand = the
 * first decision's order-up-to level.  Series with no history before the
 * test period are skipped with a warning.  Options: simulation, inventory
 * and forecast.  Keys: "service_level" or
 * "fill_rate" (one target, or a comma-separated list: each method then
 * forecasts each decision day once and the forecasts are replayed under
 * every target), "regime", "seed", "dependence", "copula_rho" (as for
 * invf_replenish), "samples" (default 2000 here), "lead_time" (days,
 * default 2), "lead_time_sd" (default 0 = fixed; > 0: each order's lead
 * time is drawn from Normal(lead_time, lead_time_sd) in whole days >= 1,
 * repeatably for a "seed", the same draws for every method and target, and
 * decisions mix over that distribution), "review_period" (days, default
 * 1), "history_days" (fit on the last N days before each decision; default
 * 0 = all), the forecasting keys and "threads" (the result does not depend
 * on it) and the progress callback.
 * Result rows: one per (service target, method), target-major: row
 * t * method_count + m; invf_simulation_value "service_target" tells the
 * target of a row. */
INVF_API invf_status* invf_simulate(const invf_dataset* dataset, const char* const* methods,
                                    size_t method_count, size_t test_days,
                                    const invf_options* options, invf_simulation** out);
/* The same with forecasters made by the caller: built-in ones
 * (invf_forecaster_create, keeping the settings and quantile levels they
 * were made with) and neural models (invf_forecaster_create_model, reported
 * as "model"), so the model is compared with the built-in methods on the
 * business outcome.  A model forecasts each decision day from the last
 * context_length days before it (left-padded with zeros when fewer), and
 * its horizon must cover the longest lead time + review period
 * (INVF_ERR_INVALID_ARGUMENT otherwise).  Only data before each decision
 * day reaches any forecaster.  `options` as for invf_simulate (its
 * forecasting keys apply only to "strict" and "open_column"). */
INVF_API invf_status* invf_simulate_forecasters(const invf_dataset* dataset,
                                                const invf_forecaster* const* forecasters,
                                                size_t count, size_t test_days,
                                                const invf_options* options,
                                                invf_simulation** out);
INVF_API void invf_simulation_release(invf_simulation* simulation);
/* Rows of the result (methods x service targets). */
INVF_API invf_status* invf_simulation_method_count(const invf_simulation* simulation,
                                                   size_t* out);
INVF_API invf_status* invf_simulation_method_name(const invf_simulation* simulation,
                                                  size_t method, const char** out);
/* A measure of a row over all simulated series by key: "service_target",
 * "series"
 * (simulated), "fill_rate" (units served on the day / units demanded),
 * "cycle_service_level" (share of review cycles without a stockout day),
 * "stockout_days", "avg_inventory" (mean end-of-day on hand, summed over
 * series), "orders", "ordered_units", "demand", "served", "short_units",
 * "holding_cost", "shortage_cost", "order_cost", "total_cost",
 * "ending_backorders".  An unknown key fails with INVF_ERR_INVALID_ARGUMENT. */
INVF_API invf_status* invf_simulation_value(const invf_simulation* simulation, size_t method,
                                            const char* key, double* out);
/* The report as JSON: {"test_days", "review_period", "lead_time",
 * "service_target", "policy", "methods": [{"method", "series", "fill_rate",
 * "cycle_service_level", "stockout_days", "avg_inventory", "orders", ...}]},
 * with "lead_time_sd" and "service_measure" ("service_level" | "fill_rate");
 * with several service targets, a JSON array of such objects, one per
 * target in order.  Buffer rules as for invf_backtest_to_json. */
INVF_API invf_status* invf_simulation_to_json(const invf_simulation* simulation, char* buffer,
                                              size_t capacity, size_t* needed);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* INVFORECAST_H */
