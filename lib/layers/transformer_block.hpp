// One transformer block, forward and backward, for inference and training
// alike.  Pre-norm (the forecast encoder):
//   mid = x + out_proj(attention(qkv(LN1(x))))
//   out = mid + ffn2(gelu(ffn1(LN2(mid))))
// Post-norm (BERT, the text encoder; inference only):
//   mid = LN1(x + out_proj(attention(qkv(x))))
//   out = LN2(mid + ffn2(gelu(ffn1(mid))))
// Two ways to call a pre-norm forward, told apart by the buffers given:
//   training   every activation in a buffer of its own (BlockActivations
//              all set), kept for backward;
//   inference  mid == x == out (the token stream, updated in place by the
//              residual GEMMs on prepared weights), ln1_out == ln2_out,
//              and the statistics, lse and ffn_pre null: the pre-activation
//              is not kept, so GELU runs fused into ffn1's GEMM.
// The arithmetic is the same either way: a fused residual GEMM adds the
// same sum to the same stream that a separate add would.  A post-norm
// forward takes the inference form with mid a buffer of its own: out == x
// (the stream) gets x + out_proj(...), mid its LayerNorm and then mid +
// ffn2(...), out the LayerNorm of that; ln1_out and ln2_out are unused.
// key_lengths (host memory, [series], null: none) masks each series' padded
// tokens out of the attention (kernels::attention_forward).
#pragma once

#include <cstdint>

#include "layers/linear.hpp"
#include "model/model_config.hpp"

namespace invforecast::layers {

enum class NormPlacement { Pre, Post };

// What a block computes on: tokens per series (the padded length of a text
// batch), widths, the LayerNorm epsilon and its placement.
struct BlockShape {
  int64_t tokens = 0, d_model = 0, heads = 0, ffn_dim = 0;
  double layer_norm_eps = 0;
  NormPlacement norm = NormPlacement::Pre;
};
// The forecast encoder's blocks: pre-norm, num_tokens() tokens.
BlockShape block_shape(const ModelConfig& config);

template <class T>
struct BlockWeights {
  const T *ln1_weight = nullptr, *ln1_bias = nullptr;
  Linear<T> qkv, out;
  const T *ln2_weight = nullptr, *ln2_bias = nullptr;
  Linear<T> ffn1, ffn2;
};

// Pointers into the context backend's memory, for rows = series * tokens
// token rows: [rows, d_model] unless said otherwise.
template <class T>
struct BlockActivations {
  T* ln1_out = nullptr;
  T* ln1_mean = nullptr;  // [rows], training
  T* ln1_rstd = nullptr;  // [rows], training
  T* qkv = nullptr;       // [rows, 3 * d_model]
  T* attended = nullptr;
  T* lse = nullptr;  // [series, heads, tokens], training
  T* mid = nullptr;
  T* ln2_out = nullptr;
  T* ln2_mean = nullptr;  // training
  T* ln2_rstd = nullptr;  // training
  T* ffn_pre = nullptr;   // [rows, ffn_dim], training
  T* ffn_act = nullptr;   // [rows, ffn_dim]
  // [series, heads, tokens, tokens]: the attention probabilities, written
  // when set (explanations, either form); null on every other path.
  T* attention = nullptr;
};

template <class T>
struct BlockGradients {
  T *ln1_weight, *ln1_bias, *qkv_weight, *qkv_bias, *out_weight, *out_bias, *ln2_weight,
      *ln2_bias, *ffn1_weight, *ffn1_bias, *ffn2_weight, *ffn2_bias;
};

// Backward scratch: d_tmp, d_ln [rows, d_model]; d_wide, d_wide2 [rows,
// ffn_dim]; d_qkv [rows, 3 * d_model].
template <class T>
struct BlockBackwardScratch {
  T *d_tmp, *d_ln, *d_wide, *d_wide2, *d_qkv;
};

// attention_workspace: kernels::attention_workspace_floats for `series`.
template <class T>
void block_forward(const kernels::Context& ctx, const BlockShape& shape,
                   const BlockWeights<T>& w, int64_t series, const T* x, T* out,
                   const BlockActivations<T>& a, float* attention_workspace,
                   const int32_t* key_lengths = nullptr);
template <class T>
void block_forward(const kernels::Context& ctx, const ModelConfig& config,
                   const BlockWeights<T>& w, int64_t series, const T* x, T* out,
                   const BlockActivations<T>& a, float* attention_workspace) {
  block_forward(ctx, block_shape(config), w, series, x, out, a, attention_workspace);
}

// After a training forward from x: d_stream holds d(out) on entry and
// d(x) on return; every gradient is overwritten.
template <class T>
void block_backward(const kernels::Context& ctx, const ModelConfig& config,
                    const BlockWeights<T>& w, int64_t series, const T* x,
                    const BlockActivations<T>& a, T* d_stream, const BlockBackwardScratch<T>& s,
                    const BlockGradients<T>& g, float* attention_workspace);

kernels::AttentionDims attention_dims(const BlockShape& shape, int64_t series);
inline kernels::AttentionDims attention_dims(const ModelConfig& config, int64_t series) {
  return attention_dims(block_shape(config), series);
}

}  // namespace invforecast::layers
