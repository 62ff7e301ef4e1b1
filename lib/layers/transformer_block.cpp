#include "layers/transformer_block.hpp"

namespace invforecast::layers {

namespace kern = invforecast::kernels;

BlockShape block_shape(const ModelConfig& c) {
  return BlockShape{c.num_tokens(), c.d_model, c.heads, c.ffn_dim, c.layer_norm_eps,
                    NormPlacement::Pre};
}

kern::AttentionDims attention_dims(const BlockShape& c, int64_t series) {
  return kern::AttentionDims{series, c.tokens, c.heads, c.d_model / c.heads, 3 * c.d_model,
                             c.d_model};
}

namespace {

// The post-norm block in its one (inference) form: the stream in place in
// `stream`, the attention's sum normalised into a.mid.
template <class T>
void post_norm_forward(const kern::Context& ctx, const BlockShape& c, const BlockWeights<T>& w,
                       int64_t series, T* stream, const BlockActivations<T>& a,
                       float* attention_workspace, const int32_t* key_lengths) {
  if (a.ln1_mean || a.ln2_mean || a.lse || a.ffn_pre || a.mid == stream)
    fail(ErrorCode::Unsupported,
         "post-norm block: inference only (no statistics kept, mid a buffer of its own)");
  const int64_t D = c.d_model, R = series * c.tokens;
  const T eps = static_cast<T>(c.layer_norm_eps);
  linear(ctx, w.qkv, stream, a.qkv, R);
  kern::attention_forward(ctx, attention_dims(c, series), a.qkv, a.qkv + D, a.qkv + 2 * D,
                          a.attended, nullptr, attention_workspace, a.attention,
                          key_lengths);
  linear(ctx, w.out, a.attended, stream, R, kern::Epilogue::None, true);
  kern::layer_norm_forward(ctx, stream, w.ln1_weight, w.ln1_bias, a.mid, nullptr, nullptr, R, D,
                           eps);
  linear(ctx, w.ffn1, a.mid, a.ffn_act, R, kern::Epilogue::Gelu);
  linear(ctx, w.ffn2, a.ffn_act, a.mid, R, kern::Epilogue::None, true);
  kern::layer_norm_forward(ctx, a.mid, w.ln2_weight, w.ln2_bias, stream, nullptr, nullptr, R, D,
                           eps);
}

}  // namespace

template <class T>
void block_forward(const kern::Context& ctx, const BlockShape& c, const BlockWeights<T>& w,
                   int64_t series, const T* x, T* out, const BlockActivations<T>& a,
                   float* attention_workspace, const int32_t* key_lengths) {
  if (c.norm == NormPlacement::Post) {
    if (out != x) fail(ErrorCode::Unsupported, "post-norm block: the stream is updated in place");
    post_norm_forward(ctx, c, w, series, out, a, attention_workspace, key_lengths);
    return;
  }
  const int64_t D = c.d_model, R = series * c.tokens;
  const T eps = static_cast<T>(c.layer_norm_eps);

  kern::layer_norm_forward(ctx, x, w.ln1_weight, w.ln1_bias, a.ln1_out, a.ln1_mean, a.ln1_rstd, R,
                           D, eps);
  linear(ctx, w.qkv, a.ln1_out, a.qkv, R);
  const kern::AttentionDims dims = attention_dims(c, series);
  kern::attention_forward(ctx, dims, a.qkv, a.qkv + D, a.qkv + 2 * D, a.attended, a.lse,
                          attention_workspace, a.attention, key_lengths);
  if (a.mid == x) {
    linear(ctx, w.out, a.attended, a.mid, R, kern::Epilogue::None, true);
  } else {
    linear(ctx, w.out, a.attended, a.mid, R);
    kern::add_rows(ctx, x, a.mid, R, D, R);
  }

  kern::layer_norm_forward(ctx, a.mid, w.ln2_weight, w.ln2_bias, a.ln2_out, a.ln2_mean,
                           a.ln2_rstd, R, D, eps);
  if (a.ffn_pre) {
    linear(ctx, w.ffn1, a.ln2_out, a.ffn_pre, R);
    kern::bias_gelu_forward(ctx, a.ffn_pre, nullptr, a.ffn_act, R, c.ffn_dim);
  } else {
    linear(ctx, w.ffn1, a.ln2_out, a.ffn_act, R, kern::Epilogue::Gelu);
  }
  if (out == a.mid) {
    linear(ctx, w.ffn2, a.ffn_act, out, R, kern::Epilogue::None, true);
  } else {
    linear(ctx, w.ffn2, a.ffn_act, out, R);
    kern::add_rows(ctx, a.mid, out, R, D, R);
  }
}

template <class T>
void block_backward(const kern::Context& ctx, const ModelConfig& c, const BlockWeights<T>& w,
                    int64_t series, const T* x, const BlockActivations<T>& a, T* d_stream,
                    const BlockBackwardScratch<T>& s, const BlockGradients<T>& g,
                    float* attention_workspace) {
  const int64_t D = c.d_model, F = c.ffn_dim, R = series * c.num_tokens();

  // d_stream holds d(out); the residual passes it on to mid unchanged.
  kern::linear_backward(ctx, a.ffn_act, w.ffn2.weight, d_stream, s.d_wide, g.ffn2_weight,
                        g.ffn2_bias, R, F, D);
  kern::bias_gelu_backward(ctx, a.ffn_pre, nullptr, s.d_wide, s.d_wide2, nullptr, R, F);
  kern::linear_backward(ctx, a.ln2_out, w.ffn1.weight, s.d_wide2, s.d_ln, g.ffn1_weight,
                        g.ffn1_bias, R, D, F);
  kern::layer_norm_backward(ctx, a.mid, w.ln2_weight, s.d_ln, a.ln2_mean, a.ln2_rstd, s.d_tmp,
                            g.ln2_weight, g.ln2_bias, R, D);
  kern::add_rows(ctx, s.d_tmp, d_stream, R, D, R);

  // d_stream now holds d(mid); the residual passes it on to x.
  kern::linear_backward(ctx, a.attended, w.out.weight, d_stream, s.d_ln, g.out_weight, g.out_bias,
                        R, D, D);
  const kern::AttentionDims dims = attention_dims(c, series);
  kern::attention_backward(ctx, dims, a.qkv, a.qkv + D, a.qkv + 2 * D, a.attended, a.lse, s.d_ln,
                           s.d_qkv, s.d_qkv + D, s.d_qkv + 2 * D, attention_workspace);
  kern::linear_backward(ctx, a.ln1_out, w.qkv.weight, s.d_qkv, s.d_ln, g.qkv_weight, g.qkv_bias,
                        R, D, 3 * D);
  kern::layer_norm_backward(ctx, x, w.ln1_weight, s.d_ln, a.ln1_mean, a.ln1_rstd, s.d_tmp,
                            g.ln1_weight, g.ln1_bias, R, D);
  kern::add_rows(ctx, s.d_tmp, d_stream, R, D, R);
}

template void block_forward<float>(const kern::Context&, const BlockShape&,
                                   const BlockWeights<float>&, int64_t, const float*, float*,
                                   const BlockActivations<float>&, float*, const int32_t*);
template void block_forward<double>(const kern::Context&, const BlockShape&,
                                    const BlockWeights<double>&, int64_t, const double*, double*,
                                    const BlockActivations<double>&, float*, const int32_t*);
template void block_backward<float>(const kern::Context&, const ModelConfig&,
                                    const BlockWeights<float>&, int64_t, const float*,
                                    const BlockActivations<float>&, float*,
                                    const BlockBackwardScratch<float>&,
                                    const BlockGradients<float>&, float*);
template void block_backward<double>(const kern::Context&, const ModelConfig&,
                                     const BlockWeights<double>&, int64_t, const double*,
                                     const BlockActivations<double>&, double*,
                                     const BlockBackwardScratch<double>&,
                                     const BlockGradients<double>&, float*);

}  // namespace invforecast::layers
