// Training checkpoints (lib/train/checkpoint.*): a run cancelled and resumed
// ends bit for bit like one that never stopped (full training, LoRA and
// masked-patch pre-training, at an epoch's end or mid-epoch), resuming with
// other settings (or another objective's checkpoint) is refused naming the
// setting, and damaged files give CorruptModel.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "error.hpp"
#include "error_matchers.hpp"
#include "test_files.hpp"
#include "io/atomic_file.hpp"
#include "train/checkpoint.hpp"
#include "train/lora.hpp"
#include "train/parameters.hpp"
#include "train/pretrain.hpp"
#include "train/trainer.hpp"
#include "train_test_util.hpp"

using namespace invforecast;
using namespace invforecast::testing;
using namespace invforecast::train;
using namespace invforecast::train::testing;

namespace {

TrainOptions small_run(const std::string& checkpoint) {
  return {.epochs = 4, .steps_per_epoch = 5, .batch_size = 8, .learning_rate = 3e-3, .seed = 17,
          .threads = 2, .patience = 0, .checkpoint_path = checkpoint};
}

// Cancels at the end of epoch `epoch`, or after optimiser step `step` (progress every step).
ProgressCallback cancel_at(int64_t epoch, int64_t step = 0) {
  return [=](const TrainProgress& p) {
    if (step > 0) return p.step != step;
    return !(p.epoch_end && p.epoch == epoch);
  };
}

void check_same_result(const TrainResult& a, const TrainResult& b) {
  CHECK(a.epochs_run == b.epochs_run);
  CHECK(a.steps == b.steps);
  CHECK(a.best_epoch == b.best_epoch);
  CHECK(a.best_val_loss == b.best_val_loss);
  CHECK(a.train_losses == b.train_losses);
  CHECK(a.val_losses == b.val_losses);
  CHECK(a.stopped_early == b.stopped_early);
}

PretrainOptions small_pretrain(const std::string& checkpoint) {
  PretrainOptions o;
  o.train = small_run(checkpoint);
  o.mask_ratio = 0.4;
  return o;
}

std::vector<uint8_t> model_bytes(const Parameters& params) {
  return to_model_buffer(params, default_metadata(params));
}

// One objective's run (training or pre-training) with these loop settings.
using RunWith = std::function<TrainResult(Parameters&, const TrainOptions&)>;

RunWith training(const Dataset& data) {
  return [&data](Parameters& p, const TrainOptions& o) { return train_model(p, data, o); };
}

RunWith pretraining(const Dataset& data, const PretrainOptions& pre) {
  return [&data, pre](Parameters& p, const TrainOptions& o) {
    PretrainOptions options = pre;
    options.train = o;
    return pretrain_model(p, data, options);
  };
}

// A run that never stopped: what one cancelled and resumed must end as.
struct Straight {
  Parameters initial;
  TrainResult result;
  Parameters params;
  std::vector<uint8_t> checkpoint;
};

// Sections: `run` cancelled at the end of epoch 2, in the middle of epoch 3 and in the first
// epoch, into `stem`'s checkpoints, then resumed from the initial weights as a caller would;
// each ends as `straight`: result, model and last checkpoint.
void check_cancelled_runs_resume(const RunWith& run, TrainOptions options, const Folder& dir,
                                 const std::string& stem, const Straight& straight) {
  auto cancel = [&](const std::string& name, ProgressCallback progress, int64_t interval) {
    options.checkpoint_path = dir.file(stem + name + ".ckpt");
    options.progress_interval_steps = interval;
    options.progress = std::move(progress);
    Parameters split = straight.initial;
    const TrainResult first = run(split, options);
    REQUIRE(first.cancelled);
    return first;
  };
  auto resume = [&](int64_t resumed_epochs) {
    options.progress = nullptr;
    options.progress_interval_steps = 0;
    options.resume = true;
    Parameters split = straight.initial;  // the checkpoint wins over the caller's weights
    const TrainResult second = run(split, options);
    CHECK_FALSE(second.cancelled);
    CHECK(second.resumed_epochs == resumed_epochs);
    check_same_result(straight.result, second);
    CHECK(model_bytes(split) == model_bytes(straight.params));
    CHECK(file_bytes(options.checkpoint_path) == straight.checkpoint);
  };
  SECTION("cancelled at the end of epoch 2") {
    REQUIRE(cancel("split", cancel_at(2), 0).epochs_run == 2);
    resume(2);
  }
  SECTION("cancelled in the middle of epoch 3: the epoch is replayed from epoch 2's checkpoint") {
    REQUIRE(cancel("mid", cancel_at(0, 13), 1).steps == 13);
    REQUIRE(read_checkpoint_file(options.checkpoint_path).epochs_done == 2);
    resume(2);
  }
  SECTION("cancelled in the first epoch: resumed from the starting point written at once") {
    cancel("first", cancel_at(0, 3), 1);
    const TrainCheckpoint start = read_checkpoint_file(options.checkpoint_path);
    CHECK(start.epochs_done == 0);
    CHECK(start.optimizer.steps == 0);
    resume(0);
  }
}

// A run that stops early at epoch 3 ends the same when cancelled at that epoch and resumed
// from `stem`'s checkpoints.
void check_early_stop_survives_cancel(const RunWith& run, TrainOptions options,
                                      const Folder& dir, const std::string& stem) {
  const Parameters initial = initialize_parameters(small_config(), 4);
  options.checkpoint_path = dir.file(stem + ".ckpt");
  options.epochs = 10;
  options.patience = 2;
  options.learning_rate = options.min_learning_rate = 1e-30;  // never improves on epoch 1
  Parameters straight = initial;
  const TrainResult full = run(straight, options);
  REQUIRE(full.stopped_early);
  REQUIRE(full.epochs_run == 3);

  options.checkpoint_path = dir.file(stem + "_split.ckpt");
  options.progress = cancel_at(3);
  Parameters split = initial;
  REQUIRE(run(split, options).cancelled);
  options.progress = nullptr;
  options.resume = true;
  split = initial;
  const TrainResult resumed = run(split, options);
  CHECK(resumed.stopped_early);
  check_same_result(full, resumed);
  CHECK(model_bytes(split) == model_bytes(straight));
}

}  // namespace

TEST_CASE("a resumed run ends bit-identical to one that never stopped", "[train][checkpoint]") {
  const Dataset data = weekly_dataset(10, 100, 3);
  const Parameters initial = initialize_parameters(small_config(), 5);
  Folder dir("checkpoint");

  TrainOptions straight_options = small_run(dir.file("straight.ckpt"));
  Parameters straight = initial;
  const TrainResult full = train_model(straight, data, straight_options);
  REQUIRE(full.epochs_run == 4);
  REQUIRE(std::filesystem::exists(dir.file("straight.ckpt")));
  CHECK_FALSE(std::filesystem::exists(dir.file("straight.ckpt.tmp")));

  check_cancelled_runs_resume(training(data), small_run(""), dir, "",
                              {initial, full, straight, file_bytes(dir.file("straight.ckpt"))});
  SECTION("resuming a finished run changes nothing") {
    straight_options.resume = true;
    Parameters again = initial;
    const TrainResult resumed = train_model(again, data, straight_options);
    check_same_result(full, resumed);
    CHECK(model_bytes(again) == model_bytes(straight));
  }
}

TEST_CASE("a resumed LoRA fine-tune gives the same adapter", "[train][checkpoint][lora]") {
  const Dataset data = weekly_dataset(10, 100, 4);
  const Parameters base = initialize_parameters(small_config(), 6);
  Folder dir("checkpoint");
  TrainOptions options = small_run(dir.file("lora_straight.ckpt"));
  options.lora = LoraOptions{3, 6.0, {}};
  Parameters params = base;
  LoraAdapter straight;
  const TrainResult full = train_model(params, data, options, &straight);

  options.checkpoint_path = dir.file("lora_split.ckpt");
  options.progress = cancel_at(2);
  LoraAdapter unused;
  REQUIRE(train_model(params, data, options, &unused).cancelled);
  options.progress = nullptr;
  options.resume = true;
  LoraAdapter resumed;
  const TrainResult second = train_model(params, data, options, &resumed);
  check_same_result(full, second);
  CHECK(resumed == straight);
  for (size_t t = 0; t < base.size(); ++t) CHECK(params.values(t) == base.values(t));

  // A LoRA checkpoint resumed over another base is refused.
  Parameters other = initialize_parameters(small_config(), 7);
  check_error([&] { train_model(other, data, options, &resumed); }, ErrorCode::InvalidArgument,
              "initial parameters");
}

TEST_CASE("an early stop survives a cancel at the stopping epoch", "[train][checkpoint]") {
  const Dataset data = weekly_dataset(6, 80, 4);
  Folder dir("checkpoint");
  check_early_stop_survives_cancel(training(data), small_run(""), dir, "stop");
}

TEST_CASE("resuming with other settings or without a checkpoint is refused",
          "[train][checkpoint]") {
  const Dataset data = weekly_dataset(6, 80, 5);
  const Parameters initial = initialize_parameters(small_config(), 5);
  Folder dir("checkpoint");
  TrainOptions options = small_run(dir.file("run.ckpt"));
  options.epochs = 1;
  Parameters params = initial;
  train_model(params, data, options);
  options.resume = true;

  auto refused = [&](TrainOptions changed, const std::string& text, const Dataset& on = Dataset{}) {
    Parameters p = initial;
    check_error([&] { train_model(p, on.series.empty() ? data : on, changed); },
                ErrorCode::InvalidArgument, text);
  };
  TrainOptions o = options;
  o.batch_size = 16;
  refused(o, "written with batch_size = 8, these settings give 16");
  o = options;
  o.seed = 18;
  refused(o, "seed = 17, these settings give 18");
  o = options;
  o.threads = 1;
  refused(o, "threads = 2, these settings give 1");
  o = options;
  o.epochs = 2;
  refused(o, "epochs = 1, these settings give 2");
  o = options;
  o.steps_per_epoch = 6;
  refused(o, "steps_per_epoch = 5");
  o = options;
  o.learning_rate = 1e-3;
  refused(o, "learning_rate = 0.003, these settings give 0.001");
  refused(options, "it was written with data =", weekly_dataset(6, 80, 6));
  {
    Parameters other = initialize_parameters(small_config(), 6);
    check_error([&] { train_model(other, data, options); }, ErrorCode::InvalidArgument,
                "initial parameters");
  }

  o = options;
  o.checkpoint_path = dir.file("missing.ckpt");
  Parameters p = initial;
  check_error([&] { train_model(p, data, o); }, ErrorCode::Io, "cannot open checkpoint");
  o.checkpoint_path.clear();
  check_error([&] { train_model(p, data, o); }, ErrorCode::InvalidArgument,
              "resume needs a checkpoint path");
  // A path that cannot be written fails before the first epoch.
  o.resume = false;
  o.checkpoint_path = dir.file("no/such/dir/run.ckpt");
  int reports = 0;
  o.progress = [&reports](const TrainProgress&) { return ++reports > 0; };
  check_error([&] { train_model(p, data, o); }, ErrorCode::Io, "cannot create checkpoint");
  CHECK(reports == 0);
}

TEST_CASE("damaged checkpoints give CorruptModel naming the problem", "[train][checkpoint]") {
  const Dataset data = weekly_dataset(6, 80, 5);
  const Parameters initial = initialize_parameters(small_config(), 5);
  Folder dir("checkpoint");
  TrainOptions options = small_run(dir.file("good.ckpt"));
  options.epochs = 1;
  Parameters params = initial;
  train_model(params, data, options);
  const std::vector<uint8_t> bytes = file_bytes(dir.file("good.ckpt"));
  REQUIRE(bytes.size() > 1000);
  // The file reads back and writes the same bytes.
  CHECK(write_checkpoint_buffer(read_checkpoint(bytes)) == bytes);

  // Truncation at a spread of lengths (every byte would take long: each read CRCs the file).
  require_damage_refused(
      bytes, [](std::span<const uint8_t> damaged) { read_checkpoint(damaged); }, 97, 89, 0x40);

  // Through train_model: the file's path and the problem are named.
  auto resume_from = [&](const std::vector<uint8_t>& content, const std::string& text) {
    io::write_file_atomically(dir.file("bad.ckpt"), content, "checkpoint");
    TrainOptions o = options;
    o.checkpoint_path = dir.file("bad.ckpt");
    o.resume = true;
    Parameters p = initial;
    check_error([&] { train_model(p, data, o); }, ErrorCode::CorruptModel, text);
  };
  resume_from(std::vector<uint8_t>(bytes.begin(), bytes.begin() + bytes.size() / 2),
              "checksum mismatch");
  std::vector<uint8_t> flipped = bytes;
  flipped[bytes.size() / 3] ^= 1;
  resume_from(flipped, "bad.ckpt': checkpoint: checksum mismatch");
  resume_from(std::vector<uint8_t>(bytes.begin(), bytes.begin() + 10), "shorter than");
  resume_from(patched(bytes, 8, 7), "format version 7 is not supported");
  resume_from(patched(bytes, 12, 0x7fffffff), "fingerprint entries, more than");
  const LoraAdapter adapter = init_adapter(initial, LoraOptions{2, 4.0, {}}, 1);
  resume_from(write_adapter_buffer(adapter), "bad magic");
}

TEST_CASE("checkpoint fields round-trip, NaN losses and adapters included", "[train][checkpoint]") {
  const Parameters base = initialize_parameters(small_config(), 2);
  TrainCheckpoint c;
  c.fingerprint = {{"seed", "3"}, {"lora", "rank 2"}};
  c.epochs_done = 2;
  c.steps = 10;
  c.best_epoch = 0;
  c.best_val_loss = std::numeric_limits<double>::quiet_NaN();
  c.last_val_loss = std::numeric_limits<double>::infinity();
  c.epochs_without_gain = 1;
  c.train_losses = {0.5, 0.25};
  c.random = {1, 2, 3, 0xffffffffffffffffull};
  c.optimizer.steps = 9;
  c.optimizer.m = {{1.0f, 2.0f}, {}};
  c.optimizer.v = {{3.0f, 4.0f}, {}};
  c.adapter = init_adapter(base, LoraOptions{2, 4.0, {"head.weight"}}, 1);
  c.best_adapter = init_adapter(base, LoraOptions{2, 4.0, {"head.weight"}}, 2);
  const TrainCheckpoint back = read_checkpoint(write_checkpoint_buffer(c));
  CHECK(back.fingerprint == c.fingerprint);
  CHECK(back.epochs_done == 2);
  CHECK(back.steps == 10);
  CHECK(std::isnan(back.best_val_loss));
  CHECK(back.last_val_loss == std::numeric_limits<double>::infinity());
  CHECK(back.epochs_without_gain == 1);
  CHECK(back.train_losses == c.train_losses);
  CHECK(back.val_losses.empty());
  CHECK(back.random == c.random);
  CHECK(back.optimizer.steps == 9);
  CHECK(back.optimizer.m == c.optimizer.m);
  CHECK(back.optimizer.v == c.optimizer.v);
  CHECK(back.adapter == c.adapter);
  CHECK(back.best_adapter == c.best_adapter);
  CHECK(back.tensors.empty());

  c.epochs_done = 3;  // three epochs but two losses
  check_error([&] { read_checkpoint(write_checkpoint_buffer(c)); }, ErrorCode::CorruptModel,
              "2 train and 0 validation losses for 3 epochs done");
}

TEST_CASE("a resumed pre-training run ends bit-identical to one that never stopped",
          "[train][checkpoint][pretrain]") {
  const Dataset data = weekly_dataset(10, 100, 8);
  const Parameters initial = initialize_parameters(small_config(), 9);
  Folder dir("checkpoint");

  PretrainOptions straight_options = small_pretrain(dir.file("pre_straight.ckpt"));
  Parameters straight = initial;
  const TrainResult full = pretrain_model(straight, data, straight_options);
  REQUIRE(full.epochs_run == 4);
  REQUIRE(full.steps == 20);
  REQUIRE(full.val_losses.size() == 4);
  CHECK(model_bytes(straight) != model_bytes(initial));
  const std::vector<uint8_t> straight_checkpoint =
      file_bytes(dir.file("pre_straight.ckpt"));

  // The layout of checkpoint.hpp: the model's tensors, then the reconstruction head (best =
  // current); the model's optimiser moments, then the head's; the objective and the ratio in
  // the fingerprint.
  const TrainCheckpoint saved = read_checkpoint(straight_checkpoint);
  REQUIRE(saved.tensors.size() == initial.size() + 2);
  CHECK(saved.tensors[initial.size()].name == "reconstruction.weight");
  CHECK(saved.tensors[initial.size()].current.size() == 7 * 16);
  CHECK(saved.tensors[initial.size()].best == saved.tensors[initial.size()].current);
  CHECK(saved.tensors[initial.size() + 1].name == "reconstruction.bias");
  CHECK(saved.tensors[initial.size() + 1].current.size() == 7);
  REQUIRE(saved.optimizer.m.size() == initial.size() + 2);
  CHECK(saved.optimizer.m[initial.size()].size() == 7 * 16);
  CHECK(saved.optimizer.steps == 20);
  CHECK(saved.epochs_done == 4);
  const Fingerprint& fp = saved.fingerprint;
  CHECK(std::count(fp.begin(), fp.end(), std::pair<std::string, std::string>("objective",
                                                                             "masked_patch")) == 1);
  CHECK(std::count(fp.begin(), fp.end(), std::pair<std::string, std::string>("mask_ratio",
                                                                             "0.4")) == 1);
  // The body's current values are the ones trained, not the initial ones.
  for (size_t t = 0; t < initial.size(); ++t) {
    CHECK(saved.tensors[t].name == initial.specs()[t].name);
    if (!initial.specs()[t].name.starts_with("head."))
      CHECK(saved.tensors[t].current != initial.values(t));
  }

  const PretrainOptions pre = small_pretrain("");
  check_cancelled_runs_resume(pretraining(data, pre), pre.train, dir, "pre_",
                              {initial, full, straight, straight_checkpoint});
  SECTION("resuming a finished run changes nothing") {
    straight_options.train.resume = true;
    Parameters again = initial;
    const TrainResult resumed = pretrain_model(again, data, straight_options);
    CHECK(resumed.resumed_epochs == 4);
    check_same_result(full, resumed);
    CHECK(model_bytes(again) == model_bytes(straight));
    CHECK(file_bytes(dir.file("pre_straight.ckpt")) == straight_checkpoint);
  }
  SECTION("a checkpoint does not change the run") {
    Parameters plain = initial;
    check_same_result(full, pretrain_model(plain, data, pre));
    CHECK(model_bytes(plain) == model_bytes(straight));
  }
}

TEST_CASE("a pre-training early stop survives a cancel at the stopping epoch",
          "[train][checkpoint][pretrain]") {
  const Dataset data = weekly_dataset(6, 80, 4);
  Folder dir("checkpoint");
  const PretrainOptions pre = small_pretrain("");
  check_early_stop_survives_cancel(pretraining(data, pre), pre.train, dir, "pre_stop");
}

TEST_CASE("pre-training refuses other settings and the other objective's checkpoints",
          "[train][checkpoint][pretrain]") {
  const Dataset data = weekly_dataset(6, 80, 5);
  const Parameters initial = initialize_parameters(small_config(), 5);
  Folder dir("checkpoint");
  PretrainOptions pre = small_pretrain(dir.file("pre.ckpt"));
  pre.train.epochs = 1;
  Parameters params = initial;
  pretrain_model(params, data, pre);
  TrainOptions forecast = small_run(dir.file("forecast.ckpt"));
  forecast.epochs = 1;
  params = initial;
  train_model(params, data, forecast);
  pre.train.resume = true;
  forecast.resume = true;

  auto pretrain_refused = [&](const PretrainOptions& options, const std::string& text) {
    Parameters p = initial;
    check_error([&] { pretrain_model(p, data, options); }, ErrorCode::InvalidArgument, text);
  };
  PretrainOptions o = pre;
  o.mask_ratio = 0.5;
  pretrain_refused(o, "it was written with mask_ratio = 0.4, these settings give 0.5");
  o = pre;
  o.train.seed = 18;
  pretrain_refused(o, "seed = 17, these settings give 18");
  o = pre;
  o.train.batch_size = 16;
  pretrain_refused(o, "batch_size = 8, these settings give 16");
  // A forecasting checkpoint given to pre-training, and the other way round.
  o = pre;
  o.train.checkpoint_path = forecast.checkpoint_path;
  pretrain_refused(o, "written with objective = forecast, these settings give masked_patch");
  {
    TrainOptions f = forecast;
    f.checkpoint_path = pre.train.checkpoint_path;
    Parameters p = initial;
    check_error([&] { train_model(p, data, f); }, ErrorCode::InvalidArgument,
                "written with objective = masked_patch, these settings give forecast");
  }
  {
    Parameters other = initialize_parameters(small_config(), 6);
    check_error([&] { pretrain_model(other, data, pre); }, ErrorCode::InvalidArgument,
                "initial parameters");
  }
  o = pre;
  o.train.checkpoint_path.clear();
  pretrain_refused(o, "resume needs a checkpoint path");
  o = pre;
  o.train.checkpoint_path = dir.file("missing.ckpt");
  Parameters p = initial;
  check_error([&] { pretrain_model(p, data, o); }, ErrorCode::Io, "cannot open checkpoint");
  // A path that cannot be written fails before the first epoch.
  o.train.resume = false;
  o.train.checkpoint_path = dir.file("no/such/dir/pre.ckpt");
  int reports = 0;
  o.train.progress = [&reports](const TrainProgress&) { return ++reports > 0; };
  check_error([&] { pretrain_model(p, data, o); }, ErrorCode::Io, "cannot create checkpoint");
  CHECK(reports == 0);
}

TEST_CASE("damaged pre-training checkpoints give CorruptModel", "[train][checkpoint][pretrain]") {
  const Dataset data = weekly_dataset(6, 80, 5);
  const Parameters initial = initialize_parameters(small_config(), 5);
  Folder dir("checkpoint");
  PretrainOptions options = small_pretrain(dir.file("pre_good.ckpt"));
  options.train.epochs = 1;
  Parameters params = initial;
  pretrain_model(params, data, options);
  const std::vector<uint8_t> bytes = file_bytes(dir.file("pre_good.ckpt"));
  CHECK(write_checkpoint_buffer(read_checkpoint(bytes)) == bytes);

  auto resume_from = [&](const std::vector<uint8_t>& content, const std::string& text) {
    io::write_file_atomically(dir.file("pre_bad.ckpt"), content, "checkpoint");
    PretrainOptions o = options;
    o.train.checkpoint_path = dir.file("pre_bad.ckpt");
    o.train.resume = true;
    Parameters p = initial;
    check_error([&] { pretrain_model(p, data, o); }, ErrorCode::CorruptModel, text);
  };
  std::vector<uint8_t> flipped = bytes;
  flipped[bytes.size() / 2] ^= 1;
  resume_from(flipped, "pre_bad.ckpt': checkpoint: checksum mismatch");
  resume_from(std::vector<uint8_t>(bytes.begin(), bytes.end() - 100), "checksum mismatch");
  // Well-formed files that do not hold a pre-training run of this model.
  TrainCheckpoint c = read_checkpoint(bytes);
  c.tensors.pop_back();
  resume_from(write_checkpoint_buffer(c), "a pre-training run of this model has");
  c = read_checkpoint(bytes);
  c.tensors[initial.size()].name = "reconstruction.other";
  resume_from(write_checkpoint_buffer(c), "is 'reconstruction.other' of 112 values, expected "
                                          "'reconstruction.weight' of 112");
  c = read_checkpoint(bytes);
  std::swap(c.tensors[0], c.tensors[1]);
  resume_from(write_checkpoint_buffer(c), "tensor 0 is");
}
