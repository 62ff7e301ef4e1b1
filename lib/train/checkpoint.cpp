#include "train/checkpoint.hpp"

#include <algorithm>
#include <string_view>

#include "error.hpp"
#include "io/atomic_file.hpp"
#include "io/byte_io.hpp"
#include "io/mapped_file.hpp"

namespace invforecast::train {

namespace {

constexpr const char* kWhat = "checkpoint";
constexpr uint32_t kKindParameters = 1;
constexpr uint32_t kKindAdapter = 2;
// Bounds that no real run reaches, so that a damaged count never sizes a buffer.
constexpr uint32_t kMaxFingerprintEntries = 1024;
constexpr size_t kMaxTextLength = 1 << 16;
constexpr uint64_t kMaxEpochs = uint64_t{1} << 24;
constexpr uint32_t kMaxTensors = 1 << 16;

void write_adapter_blob(io::ByteWriter& w, const LoraAdapter& adapter) {
  const std::vector<uint8_t> bytes = write_adapter_buffer(adapter);
  w.u64(bytes.size());
  w.bytes(bytes);
}

LoraAdapter read_adapter_blob(io::ByteReader& r, const char* field) {
  const uint64_t length = r.u64(field);
  if (length > r.remaining())
    fail(ErrorCode::CorruptModel, "checkpoint: {} of {} bytes runs past the {} bytes left", field,
         length, r.remaining());
  return read_adapter(r.bytes(static_cast<size_t>(length), field));
}

uint64_t bounded_size(io::ByteReader& r, const std::string& field) {
  const uint64_t size = r.u64(field);
  if (size > r.remaining() / sizeof(float))
    fail(ErrorCode::CorruptModel, "checkpoint: {} of {} floats runs past the {} bytes left", field,
         size, r.remaining());
  return size;
}

std::string join(const std::vector<std::string>& items) {
  std::string text;
  for (const std::string& item : items) text += (text.empty() ? "" : ",") + item;
  return text.empty() ? "none" : text;
}

std::string hex(uint32_t value) { return fmt::format("{:08x}", value); }

uint32_t dataset_checksum(const Dataset& data) {
  uint32_t crc = 0;
  for (const Series& s : data.series) {
    crc = io::crc32_of(std::span<const char>(s.id.c_str(), s.id.size() + 1), crc);
    crc = io::crc32_of(std::span<const double>(s.values), crc);
  }
  return crc;
}

// Forecasting fingerprints predate the "objective" entry: its absence means forecast.
std::string_view objective_of(const Fingerprint& fingerprint) {
  const auto found = std::find_if(fingerprint.begin(), fingerprint.end(),
                                  [](const auto& entry) { return entry.first == "objective"; });
  return found == fingerprint.end() ? std::string_view("forecast") : found->second;
}

}  // namespace

std::vector<uint8_t> write_checkpoint_buffer(const TrainCheckpoint& c) {
  const bool adapter = c.adapter.has_value();
  if (adapter != c.best_adapter.has_value() || (adapter && !c.tensors.empty()))
    fail(ErrorCode::InvalidArgument,
         "checkpoint: holds either parameters or a current and a best adapter");
  if (c.optimizer.m.size() != c.optimizer.v.size())
    fail(ErrorCode::InvalidArgument, "checkpoint: optimiser moments of different lengths");
  io::ByteWriter w(kCheckpointMagic);
  w.u32(kCheckpointFormatVersion);
  w.u32(static_cast<uint32_t>(c.fingerprint.size()));
  for (const auto& [key, value] : c.fingerprint) {
    w.text(key);
    w.text(value);
  }
  w.i64(c.epochs_done);
  w.i64(c.steps);
  w.i64(c.best_epoch);
  w.f64(c.best_val_loss);
  w.f64(c.last_val_loss);
  w.i64(c.epochs_without_gain);
  w.u32(c.stopped_early ? 1 : 0);
  w.doubles(c.train_losses);
  w.doubles(c.val_losses);
  for (uint64_t word : c.random) w.u64(word);
  w.i64(c.optimizer.steps);
  w.u32(static_cast<uint32_t>(c.optimizer.m.size()));
  for (size_t t = 0; t < c.optimizer.m.size(); ++t) {
    if (c.optimizer.m[t].size() != c.optimizer.v[t].size())
      fail(ErrorCode::InvalidArgument, "checkpoint: optimiser moments of different lengths");
    w.u64(c.optimizer.m[t].size());
    w.floats(c.optimizer.m[t]);
    w.floats(c.optimizer.v[t]);
  }
  if (adapter) {
    w.u32(kKindAdapter);
    write_adapter_blob(w, *c.adapter);
    write_adapter_blob(w, *c.best_adapter);
  } else {
    w.u32(kKindParameters);
    w.u32(static_cast<uint32_t>(c.tensors.size()));
    for (const CheckpointTensor& t : c.tensors) {
      if (t.current.size() != t.best.size())
        fail(ErrorCode::InvalidArgument, "checkpoint: tensor '{}' current and best sizes differ",
             t.name);
      w.text(t.name);
      w.u64(t.current.size());
      w.floats(t.current);
      w.floats(t.best);
    }
  }
  return w.finish();
}

void write_checkpoint_file(const std::string& path, const TrainCheckpoint& checkpoint) {
  io::write_file_atomically(path, write_checkpoint_buffer(checkpoint), kWhat);
}

TrainCheckpoint read_checkpoint(std::span<const uint8_t> bytes) {
  io::ByteReader r(bytes, kWhat);
  r.check_frame(kCheckpointMagic, sizeof kCheckpointMagic + 4);
  const uint32_t version = r.u32("format version");
  if (version == 0 || version > kCheckpointFormatVersion)
    fail(ErrorCode::CorruptModel,
         "checkpoint: format version {} is not supported (this library reads 1..{})", version,
         kCheckpointFormatVersion);
  TrainCheckpoint c;
  const uint32_t entries = r.u32("fingerprint entry count");
  if (entries > kMaxFingerprintEntries)
    fail(ErrorCode::CorruptModel, "checkpoint: {} fingerprint entries, more than {}", entries,
         kMaxFingerprintEntries);
  for (uint32_t i = 0; i < entries; ++i) {
    std::string key = r.text("fingerprint key", kMaxTextLength);
    std::string value = r.text("fingerprint value of " + key, kMaxTextLength);
    c.fingerprint.emplace_back(std::move(key), std::move(value));
  }
  c.epochs_done = r.i64("epochs done");
  c.steps = r.i64("steps");
  c.best_epoch = r.i64("best epoch");
  c.best_val_loss = r.f64("best validation loss");
  c.last_val_loss = r.f64("last validation loss");
  c.epochs_without_gain = r.i64("epochs without gain");
  const uint32_t stopped = r.u32("stopped-early flag");
  if (c.epochs_done < 0 || c.steps < 0 || c.best_epoch < 0 || c.best_epoch > c.epochs_done ||
      c.epochs_without_gain < 0 || stopped > 1)
    fail(ErrorCode::CorruptModel,
         "checkpoint: inconsistent position (epochs done {}, steps {}, best epoch {}, epochs "
         "without gain {}, stopped flag {})",
         c.epochs_done, c.steps, c.best_epoch, c.epochs_without_gain, stopped);
  c.stopped_early = stopped == 1;
  c.train_losses = r.doubles("train losses", kMaxEpochs);
  c.val_losses = r.doubles("validation losses", kMaxEpochs);
  if (c.train_losses.size() != static_cast<size_t>(c.epochs_done) ||
      c.val_losses.size() > c.train_losses.size())
    fail(ErrorCode::CorruptModel,
         "checkpoint: {} train and {} validation losses for {} epochs done", c.train_losses.size(),
         c.val_losses.size(), c.epochs_done);
  for (uint64_t& word : c.random) word = r.u64("random state");
  c.optimizer.steps = r.i64("optimiser steps");
  if (c.optimizer.steps < 0 || c.optimizer.steps > c.steps)
    fail(ErrorCode::CorruptModel, "checkpoint: {} optimiser steps for {} steps done",
         c.optimizer.steps, c.steps);
  const uint32_t moments = r.u32("optimiser tensor count");
  if (moments > kMaxTensors)
    fail(ErrorCode::CorruptModel, "checkpoint: {} optimiser tensors, more than {}", moments,
         kMaxTensors);
  for (uint32_t t = 0; t < moments; ++t) {
    const std::string field = fmt::format("optimiser moments of tensor {}", t);
    const uint64_t size = bounded_size(r, field);
    c.optimizer.m.push_back(r.floats(size, field));
    c.optimizer.v.push_back(r.floats(size, field));
  }
  const uint32_t kind = r.u32("kind of trained tensors");
  if (kind == kKindAdapter) {
    c.adapter = read_adapter_blob(r, "current adapter");
    c.best_adapter = read_adapter_blob(r, "best adapter");
  } else if (kind == kKindParameters) {
    const uint32_t count = r.u32("tensor count");
    if (count > kMaxTensors)
      fail(ErrorCode::CorruptModel, "checkpoint: {} tensors, more than {}", count, kMaxTensors);
    for (uint32_t t = 0; t < count; ++t) {
      CheckpointTensor tensor;
      tensor.name = r.text("tensor name", kMaxTextLength);
      const uint64_t size = bounded_size(r, "tensor " + tensor.name);
      tensor.current = r.floats(size, "tensor " + tensor.name);
      tensor.best = r.floats(size, "best tensor " + tensor.name);
      c.tensors.push_back(std::move(tensor));
    }
  } else {
    fail(ErrorCode::CorruptModel, "checkpoint: unknown kind {} of trained tensors", kind);
  }
  r.expect_end();
  return c;
}

TrainCheckpoint read_checkpoint_file(const std::string& path) {
  try {
    return read_checkpoint(io::MappedFile(path, kWhat).bytes());
  } catch (const Error& e) {
    if (e.code() != ErrorCode::CorruptModel) throw;
    throw Error(e.code(), fmt::format("'{}': {}", path, e.what()));
  }
}

Fingerprint run_fingerprint(const Parameters& initial, const Dataset& data, const TrainOptions& o) {
  const std::string config = metadata_to_json(default_metadata(initial));
  const std::string weights =
      o.loss_weights.empty()
          ? "none"
          : hex(io::crc32_of(std::span<const double>(o.loss_weights)));
  const LoraOptions& lora = o.lora;
  return {
      {"config",
       hex(io::crc32_of(std::span<const char>(config)))},
      {"initial parameters", hex(parameters_checksum(initial))},
      {"data", hex(dataset_checksum(data))},
      {"epochs", fmt::format("{}", o.epochs)},
      {"steps_per_epoch", fmt::format("{}", o.steps_per_epoch)},
      {"batch_size", fmt::format("{}", o.batch_size)},
      {"learning_rate", fmt::format("{}", o.learning_rate)},
      {"min_learning_rate", fmt::format("{}", o.min_learning_rate)},
      {"warmup_steps", fmt::format("{}", o.warmup_steps)},
      {"adamw",
       fmt::format("{} {} {} {}", o.adamw.beta1, o.adamw.beta2, o.adamw.eps, o.adamw.weight_decay)},
      {"clip_norm", fmt::format("{}", o.clip_norm)},
      {"loss", std::string(to_string(o.loss))},
      {"seed", fmt::format("{}", o.seed)},
      {"threads", fmt::format("{}", o.threads)},
      {"backend", fmt::format("{}", static_cast<int>(o.backend))},
      {"holdout_days", fmt::format("{}", o.holdout_days)},
      {"patience", fmt::format("{}", o.patience)},
      {"min_history", fmt::format("{}", o.min_history)},
      {"sampling", fmt::format("{}", static_cast<int>(o.sampling))},
      {"loss_weights", weights},
      {"trainable_prefixes", join(o.trainable_prefixes)},
      {"lora", lora.rank > 0 ? fmt::format("rank {} alpha {} targets {}", lora.rank, lora.alpha,
                                           join(lora.targets))
                             : "off"},
  };
}

void check_fingerprint(const std::string& path, const Fingerprint& saved,
                       const Fingerprint& current) {
  if (objective_of(saved) != objective_of(current))
    fail(ErrorCode::InvalidArgument,
         "cannot resume from '{}': it was written with objective = {}, these settings give "
         "{}",
         path, objective_of(saved), objective_of(current));
  for (const auto& [key, value] : current) {
    const auto found = std::find_if(saved.begin(), saved.end(),
                                    [&key](const auto& entry) { return entry.first == key; });
    if (found == saved.end())
      fail(ErrorCode::InvalidArgument, "cannot resume from '{}': it records no {}", path,
           key);
    if (found->second != value)
      fail(ErrorCode::InvalidArgument,
           "cannot resume from '{}': it was written with {} = {}, these settings give {}",
           path, key, found->second, value);
  }
  if (saved.size() != current.size())
    fail(ErrorCode::InvalidArgument,
         "cannot resume from '{}': it records {} settings, this library {}", path,
         saved.size(), current.size());
}

void store_position(TrainCheckpoint& c, const TrainResult& r, const Random& random,
                    int64_t epochs_without_gain, double last_val_loss) {
  c.epochs_done = r.epochs_run;
  c.steps = r.steps;
  c.best_epoch = r.best_epoch;
  c.best_val_loss = r.best_val_loss;
  c.last_val_loss = last_val_loss;
  c.epochs_without_gain = epochs_without_gain;
  c.stopped_early = r.stopped_early;
  c.train_losses = r.train_losses;
  c.val_losses = r.val_losses;
  c.random = random.state();
}

void restore_position(TrainCheckpoint& c, TrainResult& r, Random& random,
                      int64_t& epochs_without_gain, double& last_val_loss) {
  random = Random::from_state(c.random);
  r.epochs_run = c.epochs_done;
  r.resumed_epochs = c.epochs_done;
  r.steps = c.steps;
  r.best_epoch = c.best_epoch;
  r.best_val_loss = c.best_val_loss;
  r.train_losses = std::move(c.train_losses);
  r.val_losses = std::move(c.val_losses);
  r.stopped_early = c.stopped_early;
  last_val_loss = c.last_val_loss;
  epochs_without_gain = c.epochs_without_gain;
}

void store_parameters(TrainCheckpoint& c, const Parameters& params, const Parameters& best) {
  for (size_t t = 0; t < params.size(); ++t)
    c.tensors.push_back({params.specs()[t].name, params.values(t), best.values(t)});
}

void restore_parameters(const std::string& path, std::span<CheckpointTensor> saved,
                        Parameters& params, Parameters& best) {
  if (saved.size() != params.size())
    fail(ErrorCode::CorruptModel, "checkpoint '{}': {} tensors for a model of {}", path,
         saved.size(), params.size());
  for (size_t t = 0; t < params.size(); ++t) {
    CheckpointTensor& tensor = saved[t];
    if (tensor.name != params.specs()[t].name || tensor.current.size() != params.values(t).size())
      fail(ErrorCode::CorruptModel,
           "checkpoint '{}': tensor {} is '{}' of {} values, expected '{}' of {}", path, t,
           tensor.name, tensor.current.size(), params.specs()[t].name, params.values(t).size());
    params.values(t) = std::move(tensor.current);
    best.values(t) = std::move(tensor.best);
  }
}

}  // namespace invforecast::train
