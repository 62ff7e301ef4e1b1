// invf_train and saving models: the C ABI over lib/train/training_run.hpp
// and the model writer.
#include <string>
#include <vector>

#include "boundary.hpp"
#include "handles.hpp"
#include "train/lora.hpp"
#include "train/training_run.hpp"

namespace invforecast::capi {
namespace {

const invf_model& model_ref(const invf_model* model) {
  require(model, "model");
  return *model;
}

std::vector<NamedTensor> named_views(const ModelFile& file) {
  std::vector<NamedTensor> tensors;
  tensors.reserve(file.tensors().size());
  for (const TensorView& t : file.tensors()) tensors.push_back({t.name, t.dims, t.values});
  return tensors;
}

}  // namespace
}  // namespace invforecast::capi

using namespace invforecast;
using namespace invforecast::capi;

extern "C" {

invf_status* invf_train(const invf_dataset* dataset, const invf_model* init,
                        const invf_options* options, invf_train_fn progress, void* user_data,
                        invf_model** out) {
  return guarded([&] {
    require(dataset, "dataset");
    require(out, "out");
    const Options& settings = options_for(options, "invf_train", kTrainDomain);
    const Dataset& data = built_dataset(*dataset);
    if (progress != nullptr && settings.progress)
      fail(ErrorCode::InvalidArgument,
           "invf_train got two progress callbacks, its argument and one set on its options "
           "(invf_options_set_progress): give one");
    train::ProgressCallback report;
    if (settings.progress) {
      const std::string_view stage =
          settings.training.objective == "masked_patch" ? "pre-training" : "training";
      report = [&settings, stage](const train::TrainProgress& p) {
        return settings.progress(stage, static_cast<size_t>(p.step),
                                 static_cast<size_t>(p.total_steps));
      };
    }
    if (progress != nullptr)
      report = [progress, user_data](const train::TrainProgress& p) {
        invf_train_progress report;
        report.epoch = static_cast<size_t>(p.epoch);
        report.epochs = static_cast<size_t>(p.epochs);
        report.step = static_cast<size_t>(p.step);
        report.total_steps = static_cast<size_t>(p.total_steps);
        report.train_loss = p.train_loss;
        report.val_loss = p.val_loss;
        report.samples_per_second = p.samples_per_second;
        report.eta_seconds = p.eta_seconds;
        report.epoch_end = p.epoch_end ? 1 : 0;
        return progress(user_data, &report) == 0;
      };
    train::TrainedModel trained =
        train::run_training(data, init != nullptr ? &init->runtime->model().file() : nullptr,
                            settings.training, std::move(report));
    auto handle =
        make_model_handle(ModelFile::from_buffer(trained.bytes, BufferMode::Copy), settings);
    if (trained.adapter)
      handle->adapter = std::make_shared<const train::LoraAdapter>(std::move(*trained.adapter));
    *out = handle.release();
  });
}

invf_status* invf_model_save(const invf_model* model, const char* path) {
  return guarded([&] {
    const ModelFile& file = model_ref(model).runtime->model().file();
    require(path, "path");
    write_model_file(path, file.metadata(), named_views(file));
  });
}

invf_status* invf_model_save_buffer(const invf_model* model, void* buffer, size_t capacity,
                                    size_t* needed) {
  return guarded([&] {
    const std::span<const uint8_t> bytes = model_ref(model).runtime->model().file().bytes();
    copy_to_caller(bytes.data(), bytes.size(), buffer, capacity, needed, "the model");
  });
}

invf_status* invf_model_provenance(const invf_model* model, const char* key, const char** out) {
  return guarded([&] {
    const ModelFile& file = model_ref(model).runtime->model().file();
    require(key, "key");
    require(out, "out");
    const auto& provenance = file.metadata().provenance;
    const auto found = provenance.find(key);
    if (found == provenance.end())
      fail(ErrorCode::InvalidArgument, "the model records no provenance '{}'", key);
    *out = found->second.c_str();
  });
}

}  // extern "C"
