// invf_model_save_adapter / invf_model_load_adapter: a LoRA adapter kept
// apart from its base model (lib/train/lora.hpp holds the file format).
#include <memory>

#include "boundary.hpp"
#include "handles.hpp"
#include "train/lora.hpp"
#include "train/parameters.hpp"

using namespace invforecast;
using namespace invforecast::capi;

extern "C" {

invf_status* invf_model_save_adapter(const invf_model* model, const char* path) {
  return guarded([&] {
    require(model, "model");
    require(path, "path");
    if (!model->adapter)
      fail(ErrorCode::InvalidArgument,
           "the model has no LoRA adapter: only a model trained with finetune = lora, or loaded "
           "with invf_model_load_adapter, has one");
    train::write_adapter_file(path, *model->adapter);
  });
}

invf_status* invf_model_load_adapter(const invf_model* base, const char* path,
                                     const invf_options* options, invf_model** out) {
  return guarded([&] {
    require(base, "base");
    require(path, "path");
    require(out, "out");
    auto adapter = std::make_shared<const train::LoraAdapter>(train::read_adapter_file(path));
    const ModelFile& file = base->runtime->model().file();
    const train::Parameters merged =
        train::merge_adapter(train::parameters_from_model(file), *adapter);
    ModelMetadata metadata = file.metadata();
    metadata.provenance["finetune"] = "lora";
    metadata.provenance["lora_rank"] = std::to_string(adapter->rank);
    metadata.provenance["lora_alpha"] = fmt::format("{}", adapter->alpha);
    auto handle = std::make_unique<invf_model>();
    // Without options the new model runs like its base.
    const kernels::Backend* backend = &base->runtime->model().backend();
    if (options) {
      const ForecastOptions& settings =
          options_for(options, "invf_model_load_adapter", kForecastDomain).forecast;
      backend = &kernels::backend_of(settings.backend);
      handle->threads = settings.threads;
    } else {
      handle->threads = base->threads;
    }
    handle->runtime = std::make_shared<const ModelRuntime>(
        ModelFile::from_buffer(train::to_model_buffer(merged, metadata), BufferMode::Copy),
        *backend);
    handle->adapter = std::move(adapter);
    *out = handle.release();
  });
}

}  // extern "C"
