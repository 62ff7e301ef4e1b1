// Forward pass of the PatchTST-style encoder (model_config.hpp documents the
// architecture and the tensor names): per-series normalisation, patching,
// patch + positional embedding, pre-norm transformer layers, final LayerNorm,
// a linear head to horizon x quantiles, non-crossing quantiles undone to the
// sales scale and clipped at zero (or, for the negbin head, the negative
// binomial's quantiles and mean, layers/negbin_head.hpp).  The layers are lib/layers/'s, the same
// code training runs; every op goes through kernels/ops.hpp.
//
// Backend: a model is bound to one backend (kernels/backend.hpp) when it is
// made: that backend prepares its linear layers' weights once (the Cpu
// backend packs them for its GEMM, about the size of the file; the
// Reference backend reads the file's tensors in place) and holds a copy of
// the small tensors (LayerNorms, positional embedding, RevIN's pair) in its
// memory.  All activations live in an EncoderWorkspace the caller keeps (one
// per thread, with the thread's kernels::Context), sized once for tiles of a
// fixed number of series; a batch is processed tile by tile, its inputs
// uploaded and its outputs downloaded tile by tile, so a forecast of any
// batch size allocates nothing once the workspace exists, from the first
// call on (Cpu backend, asserted in tests/test_encoder.cpp; the Reference
// backend allocates Eigen temporaries).
//
// Determinism: tile boundaries sit at multiples of the tile size from the
// start of the batch whatever the number of threads, so forecast_parallel()
// gives results bit-identical to forecast() with the same tile size.  The
// head's groups start at each worker's first tile, which changes nothing
// either: every op computes a series' rows without the other series' (the
// GEMM sums each output in k order, kernels/gemm.hpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "layers/covariates.hpp"
#include "layers/negbin_head.hpp"
#include "layers/patch_embedding.hpp"
#include "layers/quantile_head.hpp"
#include "layers/transformer_block.hpp"
#include "model/model_file.hpp"
#include "ops.hpp"

namespace invforecast {

// Activation buffers of one thread for tiles of up to tile_series series of
// one model shape, in one backend's memory, with the thread's Context on
// that backend.  Move-only.
//
// Two sizes: the encoder layers run a tile at a time (8 series: 336 token
// rows, whose activations, about 1.4 MB at the default shape, stay close to the core),
// while the quantile head, a GEMM whose weight (tokens x d_model x outputs:
// 5.4 MB by default) streams from L3 on every call, runs once per group of
// kHeadGroupTiles tiles (128 series).  Measured at the default shape, 1
// thread, batch 256: tiles of 8 rather than 32 took the layers from 392 to
// 382 us a series (4 and 6 were no faster), and the grouped head runs at 29
// rather than 40 us a series.
class EncoderWorkspace {
 public:
  static constexpr int64_t kDefaultTileSeries = 8;
  static constexpr int64_t kHeadGroupTiles = 16;

  // Throws Error(InvalidArgument) when tile_series < 1 or the buffers would
  // exceed 1 GiB.  layout: the model's covariates (none by default).
  EncoderWorkspace(const ModelConfig& config, const kernels::Backend& backend,
                   int64_t tile_series = kDefaultTileSeries,
                   const CovariateLayout& layout = {});

  int64_t tile_series() const { return tile_series_; }
  // Series the head runs over at once.
  int64_t group_series() const { return tile_series_ * kHeadGroupTiles; }
  size_t bytes() const { return storage_.size() * sizeof(float); }
  kernels::Context& context() { return context_; }

 private:
  friend class EncoderModel;
  struct Slot {
    size_t offset = 0;
  };
  float* at(Slot slot) { return storage_.data() + slot.offset; }

  int64_t tile_series_ = 0;
  // The shape the buffers were sized for; a model of another shape is refused.
  int64_t context_length_ = 0, patch_length_ = 0, tokens_ = 0, d_model_ = 0, heads_ = 0,
          ffn_dim_ = 0, outputs_ = 0, raw_outputs_ = 0;  // per series: forecast, head's raw
  int64_t covariate_floats_ = 0, covariate_codes_ = 0;  // per series
  kernels::Buffer<int32_t> codes_;  // a tile's context, horizon and static codes
  // Negbin head: the group's raw outputs, centers and spreads downloaded for the host link.
  std::vector<float> host_;
  kernels::Context context_;
  kernels::Buffer<float> storage_;
  Slot context_in_, normalized_, center_, spread_, patches_, stream_, scratch_, qkv_, attended_, hidden_,
      final_tokens_, raw_head_, quantiles_, sales_, attention_,
      // Covariate models: a tile's real inputs (context, horizon, static), its activations
      // (layers::CovariateSizes order, the decoder's output apart) and the group's decoder output.
      covariate_real_, covariate_acts_, decoder_out_;
  // A tile's attention probabilities, made by the first forecast that asks for them.
  kernels::Buffer<float> attention_probs_;
};

// What EncoderModel::forecast writes beside the quantiles, in host memory
// (null: not wanted).
struct EncoderExtras {
  // [batch, horizon]: a negbin head's distribution mean.  The quantile head
  // has no mean of its own (callers average its quantiles) and refuses one
  // (Error(InvalidArgument)).
  float* mean = nullptr;
  // [batch, layers, heads, tokens, tokens], for explanations: every layer's
  // attention probabilities; row i of a head is query token i's weights over
  // the key tokens (tokens in context order), summing to 1.  The quantiles
  // are the same bit for bit; the workspace allocates a tile's worth of them
  // on the first call that asks.
  float* attention = nullptr;
};

class EncoderModel {
 public:
  // Binds every tensor of expected_tensors(config) by name and prepares the
  // weights on `backend`.  The model keeps a copy of the ModelFile handle
  // (shared storage, or the caller's borrowed buffer, which must outlive the
  // model).  Throws Error(CorruptModel) when revin.weight is not positive:
  // the output denormalisation divides by it, and a negative one would
  // reverse the order of the quantiles.
  EncoderModel(ModelFile file, const kernels::Backend& backend);

  const ModelConfig& config() const { return file_.config(); }
  const ModelFile& file() const { return file_; }
  const kernels::Backend& backend() const { return *backend_; }
  int64_t outputs_per_series() const { return config().horizon * config().num_quantiles(); }

  const CovariateLayout& layout() const { return layout_; }
  bool has_covariates() const { return !layout_.empty(); }

  EncoderWorkspace make_workspace(
      int64_t tile_series = EncoderWorkspace::kDefaultTileSeries) const {
    return EncoderWorkspace(config(), backend(), tile_series, layout_);
  }

  // context [batch, context_length] (host memory, oldest first, sales
  // scale) -> quantiles_out [batch, horizon, quantiles] (host memory),
  // non-crossing along the last axis and >= 0.  Errors: batch < 0 or a
  // workspace sized for another model shape or made on another backend
  // (InvalidArgument), null pointers with batch > 0 (NullPointer), a
  // non-finite context value (InvalidArgument, naming series and position).
  // quantiles_out is untouched when the arguments are refused.  Thread-safe:
  // const, all state in the workspace.  covariates (host memory, the
  // feature encoder's arrays for the same batch): required by a model with
  // covariates (Error(NullPointer)), ignored by one without; their real
  // values must be finite (Error(InvalidArgument)).  A negbin head's
  // quantiles are its distribution's (whole units, layers/negbin_head.hpp).
  // extras: what else to write (EncoderExtras), named so that the two
  // buffers cannot be swapped.
  void forecast(const float* context, int64_t batch, float* quantiles_out,
                EncoderWorkspace& workspace,
                const layers::CovariateBatch<float>* covariates = nullptr,
                const EncoderExtras& extras = {}) const;

 private:
  void check_workspace(const EncoderWorkspace& workspace) const;
  void check_inputs(const float* context, int64_t batch, const float* quantiles_out,
                    const layers::CovariateBatch<float>* covariates, const float* mean_out) const;
  // count series, group by group: each group's tiles run through the
  // encoder one by one (their final tokens gathered in the workspace), then
  // the head runs once over the group.
  void forecast_span(const float* context, const layers::CovariateBatch<float>* covariates,
                     int64_t count, float* quantiles_out, float* mean_out,
                     EncoderWorkspace& workspace, float* attention_out = nullptr) const;
  // Normalisation to the final LayerNorm for one tile, whose series sit at
  // [slot, slot + series) of the workspace's group; with covariates, the
  // tokens get theirs and the decoder's output lands in the group's slot.
  // attention_out: the tile's attention probabilities (see forecast), or null.
  void encode_tile(const float* context, const layers::CovariateBatch<float>* covariates,
                   int64_t series, int64_t slot, EncoderWorkspace& workspace,
                   float* attention_out) const;
  // The tile's covariate inputs uploaded and the activations' pointers.
  layers::CovariateActivations<float> covariate_activations(EncoderWorkspace& ws, int64_t slot) const;
  void forecast_head(int64_t series, float* quantiles_out, float* mean_out,
                     EncoderWorkspace& workspace) const;

  friend void forecast_parallel(const EncoderModel&, const float*, int64_t, float*,
                                std::span<EncoderWorkspace>, const layers::CovariateBatch<float>*,
                                const EncoderExtras&);

  ModelFile file_;
  const kernels::Backend* backend_;
  // Copies in the backend's memory of the tensors read in place (all but
  // the linear layers' weights): RevIN's pair ((1, 0) when the model has
  // none), the positional embedding and the LayerNorms.
  kernels::Buffer<float> small_tensors_;
  float revin_[2] = {1.0f, 0.0f};  // RevIN's pair on the host, for the negbin link
  std::vector<kernels::PreparedLinear> prepared_;
  layers::EmbeddingWeights<float> embedding_;
  std::vector<layers::BlockWeights<float>> blocks_;
  const float *final_ln_weight_ = nullptr, *final_ln_bias_ = nullptr;
  layers::Linear<float> head_;
  CovariateLayout layout_;
  // Covariate models: the embedding tables in the backend's memory and the prepared linears.
  kernels::Buffer<float> embedding_tables_;
  std::vector<kernels::PreparedLinear> covariate_prepared_;
  layers::CovariateWeights<float> covariates_;
  void bind_covariates();
};

// Splits the batch into workspaces.size() shares of whole tiles, share w on
// workspace w, run by the engine's persistent thread pool
// (core/thread_pool.hpp: the calling thread takes part, at most the pool's
// size run at once); every workspace must have the same tile size.  Results
// are bit-identical to model.forecast() with one of the workspaces, whatever
// the pool's size.  Nothing is allocated (the pool's workers are started
// once per process).  The error of the lowest failing share is rethrown
// after every share stopped.  covariates and extras: as EncoderModel::forecast's
// (each share writes its series' rows of the mean and the attention).
void forecast_parallel(const EncoderModel& model, const float* context, int64_t batch,
                       float* quantiles_out, std::span<EncoderWorkspace> workspaces,
                       const layers::CovariateBatch<float>* covariates = nullptr,
                       const EncoderExtras& extras = {});

}  // namespace invforecast
