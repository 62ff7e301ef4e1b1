// The sentence encoder of a text-model file (text_model_file.hpp), on the engine's own layers and
// backends (Reference and Cpu, float):
//   h = LN(token_embed[id] + pos_embed[position] + type_embed[0])
//   per layer, post-norm (layers/transformer_block.hpp):
//     h = LN1(h + attention(h)),  h = LN2(h + ffn2(gelu(ffn1(h))))   (attention masked to the text)
//   e = mean of h over the text's tokens,  embedding = e / max(|e|_2, 1e-12)
// which is what sentence-transformers computes for all-MiniLM-L6-v2 (BertModel, masked mean
// pooling, L2 normalisation).  Texts are embedded in batches of up to kTextBatch, each padded to its
// longest text and masked, so a text's embedding does not depend on the texts beside it.
// Inference only.  Immutable after construction; embed() may run on several threads at once (each
// batch has its own context and activations).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "backend.hpp"
#include "text/text_model_file.hpp"

namespace invforecast::text {

class TextEncoder {
 public:
  // Texts per batch: texts are sorted by length and cut into batches of this many.
  static constexpr size_t kTextBatch = 32;

  // Prepares the weights on the backend (the Cpu backend packs the GEMM weights once).
  TextEncoder(TextModelFile model, const kernels::Backend& backend);

  const TextModelFile& model() const { return model_; }
  int64_t dim() const { return model_.config().hidden; }

  // texts: token ids of each text ([CLS] ... [SEP], as the tokenizer gives them), each of 1 ..
  // max_seq_length ids in [0, vocab_size); Error(InvalidArgument) naming the first text that is
  // not.  out: texts.size() * dim() floats (Error(BufferTooSmall) when fewer), row i the unit-length
  // embedding of text i.  last_hidden, when non-null, gets each text's final token states
  // [length, dim] (before pooling).  Batches are spread over `threads` workers of the shared pool
  // (0: all of it; core/parallel.hpp); the result does not depend on their number.
  void embed(std::span<const std::vector<int32_t>> texts, std::span<float> out,
             std::vector<std::vector<float>>* last_hidden = nullptr, int threads = 1) const;

 private:
  void embed_batch(kernels::Context& ctx, std::span<const std::vector<int32_t>* const> batch,
                   std::span<float* const> rows, std::span<std::vector<float>* const> hidden) const;

  TextModelFile model_;
  const kernels::Backend* backend_;
  int32_t pad_id_ = 0;
  // Backend copies of the embedding tables and LayerNorm parameters, at these offsets.
  kernels::Buffer<float> small_;
  size_t token_embed_ = 0, pos_embed_ = 0, type_embed_ = 0, embed_ln_ = 0;
  std::vector<size_t> block_ln_;  // per layer: ln1 weight, bias, ln2 weight, bias (4 D floats)
  std::vector<kernels::PreparedLinear> linears_;  // per layer: qkv, out, ffn1, ffn2
};

}  // namespace invforecast::text
