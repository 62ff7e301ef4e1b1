// The encoder's compute layer: every op the transformer needs, forward and
// backward, behind one dispatch point.
//
// Design
// - Every op takes the Context it runs on (kernels/backend.hpp): its
//   backend's op table runs it.  The backends:
//     reference  plain Eigen (kernels/reference.hpp), readable first, in
//                float and double (the gradient tests run it in float64);
//     cpu        the fast path, float only, our own kernels compiled once
//                per ISA (scalar; vec128, 4-float vectors: SSE2 on any
//                x86-64, NEON on ARM64; AVX2+FMA; AVX-512F for the packed
//                GEMM) and chosen at run time by CPU feature detection;
//                INVF_CPU_ISA=scalar|vec128|avx2|avx512 forces one
//                (kernels/cpu_isa.hpp):
//                - GEMMs on prepared weights (the PreparedLinear ops, the
//                  whole inference forward): our register-blocked GEMM on
//                  weights packed once at preparation (kernels/gemm_packed_*),
//                  bias, GELU and residual fused into its epilogue;
//                - GEMMs on weights that change (training: linear_forward /
//                  linear_backward on raw pointers): oneDNN matmul,
//                  primitives cached per shape (kernels/gemm_onednn.cpp),
//                  or Eigen in builds without oneDNN (gemm_eigen.cpp);
//                - the rest (kernels/cpu_kernels_impl.hpp); the data
//                  movement ops (add_rows, add_groups, sum_groups,
//                  copy_block, clamp_min, the patchify and embedding ops)
//                  share the reference's loops.
//   An op a backend lacks (a null table entry; any float64 op on cpu) is
//   Error(Unsupported) naming the op, the backend and the type.
// - One op = one function here that checks shapes and pointers once and
//   dispatches (kernels/ops.cpp), a reference implementation and a fast one.
// - Tensors are raw pointers into the context's backend memory, row-major,
//   with explicit int64_t dims.  Ops write into caller-provided buffers and
//   overwrite them (gradients included: nothing accumulates across calls),
//   except linear_residual_forward, add_rows, add_groups and
//   embedding_scatter_add, which add to their output by definition, and
//   the patchify backward passes, which sum overlapping patches.  On
//   the Cpu backend the PreparedLinear ops and our own kernels never
//   allocate; the raw-pointer GEMMs allocate oneDNN's small per-call
//   execution context (tests/test_kernels_alloc.cpp); the Reference backend
//   may allocate Eigen temporaries.
// - Ops are single-threaded and re-entrant (oneDNN may use its own OpenMP
//   threads inside a raw-pointer GEMM); the layers above split batches
//   across threads.
// - Statistics of the per-series normalisations (mean, std, scale) are
//   treated as constants in backward passes, as RevIN does (detached): the
//   series values are data, never parameters.
// - Errors: bad shapes or null pointers throw invforecast::Error
//   (InvalidArgument / NullPointer) before any work is done.
// - T is float or double.  Only the first pointer of a signature fixes T
//   (the others are Same<T>), so a null pointer or a float literal can be
//   passed for the rest.
#pragma once

#include <cstdint>

#include <type_traits>

#include "backend.hpp"

namespace invforecast::kernels {

template <class T>
using Same = std::type_identity_t<T>;

// ---------------------------------------------------------------------------
// Linear layer.  x [rows, in], w [out, in] (PyTorch layout), b [out] or null,
// y [rows, out]:  y = x w^T + b.
template <class T>
void linear_forward(const Context& ctx, const T* x, const Same<T>* w, const Same<T>* b,
                    Same<T>* y, int64_t rows, int64_t in_features, int64_t out_features);
// y = gelu(x w^T + b), the FFN's first layer in one pass: the Cpu backend
// fuses GELU into the GEMM (a oneDNN post-op), saving a pass over y.  For
// inference; training keeps the pre-activation for the backward pass
// (linear_forward, then bias_gelu_forward).
template <class T>
void linear_gelu_forward(const Context& ctx, const T* x, const Same<T>* w, const Same<T>* b,
                         Same<T>* y, int64_t rows, int64_t in_features, int64_t out_features);

// The three inference forms on weights the context's backend prepared
// (Backend::prepare_linear), x [rows, in], y [rows, out]:
//   linear_forward           y = x w^T + b
//   linear_gelu_forward      y = gelu(x w^T + b)
//   linear_residual_forward  y += x w^T + b   (a residual connection in one pass)
// Cpu backend: cpu::packed_gemm for every shape (gemm.hpp), with no
// shape-dependent switch: measured at the encoder's shapes (1 thread),
// packed_gemm is within 3% of oneDNN's matmul at 1344 rows (32 series of 42
// tokens; about 110 GFLOP/s both), ahead at 42 rows (110 vs 102), and 2.8x
// faster for the head at batch 1 (one row, k 5376); only the patch
// embedding (k 16, 0.5% of the flops) runs slower (78 vs 104 GFLOP/s at
// 1344 rows), not worth a second path.  Keeping one kernel also keeps a
// row's result independent of the rows around it (so of the batch size and
// tiling), and never allocates.  Throws Error(InvalidArgument) for an empty
// PreparedLinear or one another backend prepared.
void linear_forward(const Context& ctx, const PreparedLinear& layer, const float* x, float* y,
                    int64_t rows);
void linear_gelu_forward(const Context& ctx, const PreparedLinear& layer, const float* x,
                         float* y, int64_t rows);
void linear_residual_forward(const Context& ctx, const PreparedLinear& layer, const float* x,
                             float* y, int64_t rows);

// dx = dy w, dw = dy^T x, db = column sums of dy; any of dx/dw/db may be null.
template <class T>
void linear_backward(const Context& ctx, const T* x, const Same<T>* w, const Same<T>* dy,
                     Same<T>* dx, Same<T>* dw, Same<T>* db, int64_t rows, int64_t in_features,
                     int64_t out_features);

// ---------------------------------------------------------------------------
// Data movement.
// y [rows, cols] += x [period, cols] repeated: row r adds row r % period of
// x (period = rows: an elementwise sum, the residual connections; period =
// tokens: the positional embedding added to every series).
template <class T>
void add_rows(const Context& ctx, const T* x, Same<T>* y, int64_t rows, int64_t cols,
              int64_t period);
// Its adjoint: dx [period, cols] = the sum, in row order, of the rows r of
// dy [rows, cols] with r % period = p (overwritten).
template <class T>
void add_rows_backward(const Context& ctx, const T* dy, Same<T>* dx, int64_t rows, int64_t cols,
                       int64_t period);
// y[i] = max(y[i], floor) (sales are non-negative).
template <class T>
void clamp_min(const Context& ctx, T* y, int64_t count, Same<T> floor);
// Patches of series [series, length]: patch t of a series covers positions
// t*stride + p (p < patch_length), past the end repeating the last value:
//   patches[s, t, p] = x[s, min(t*stride + p, length - 1)],
// or 0 where hidden [series, length] (null: nothing hidden) is non-zero.
template <class T>
void patchify_forward(const Context& ctx, const T* x, const uint8_t* hidden, Same<T>* patches,
                      int64_t series, int64_t length, int64_t patch_length, int64_t stride,
                      int64_t tokens);
// dx [series, length] = the sum over the patches reading each position of
// d_patches (hidden positions read nothing: 0).
template <class T>
void patchify_backward(const Context& ctx, const T* d_patches, const uint8_t* hidden,
                       Same<T>* dx, int64_t series, int64_t length, int64_t patch_length,
                       int64_t stride, int64_t tokens);

// Covariates (lib/layers/covariates.hpp).  Groups are contiguous runs of
// group_rows rows (a series' tokens, or its horizon steps):
//   add_groups  y [groups * group_rows, cols] += scale * x [groups, cols],
//               row g of x added to every row of group g (a series'
//               vector broadcast to its tokens);
//   sum_groups  y [groups, cols] = scale * the sum of group g's rows of x
//               (overwritten): add_groups' adjoint, and with scale =
//               1 / group_rows the mean over a series' tokens.
template <class T>
void add_groups(const Context& ctx, const T* x, Same<T>* y, int64_t groups, int64_t group_rows,
                int64_t cols, Same<T> scale);
template <class T>
void sum_groups(const Context& ctx, const T* x, Same<T>* y, int64_t groups, int64_t group_rows,
                int64_t cols, Same<T> scale);
// dst[r, 0:cols] = src[r, 0:cols] for rows rows of row strides src_ld and
// dst_ld (>= cols): a block of columns into or out of a wider tensor.
template <class T>
void copy_block(const Context& ctx, const T* src, int64_t src_ld, Same<T>* dst, int64_t dst_ld,
                int64_t rows, int64_t cols);
// Embedding lookup: out[r, 0:dim] (row stride out_ld) = table[codes[r *
// code_stride], :] for table [entries, dim].  Every code must be in [0,
// entries) (Error(InvalidArgument) naming the row otherwise): the feature
// encoder maps every level, an unknown one to entry 0.
template <class T>
void embedding_gather(const Context& ctx, const T* table, const int32_t* codes,
                      int64_t code_stride, Same<T>* out, int64_t out_ld, int64_t rows,
                      int64_t entries, int64_t dim);
// Its adjoint: d_table[codes[r * code_stride], :] += d_out[r, 0:dim], rows
// in order.  Adds to d_table by definition (one table may serve several
// lookups): zero it first.
template <class T>
void embedding_scatter_add(const Context& ctx, const T* d_out, int64_t out_ld,
                           const int32_t* codes, int64_t code_stride, Same<T>* d_table,
                           int64_t rows, int64_t entries, int64_t dim);
// patchify_forward for time-major channels x [series, length, channels]:
//   patches[s * tokens + t, c * patch_length + p]
//     = x[s, min(t * stride + p, length - 1), c],
// every channel of a token's days side by side, channel-major.
template <class T>
void patchify_channels_forward(const Context& ctx, const T* x, Same<T>* patches, int64_t series,
                               int64_t length, int64_t channels, int64_t patch_length,
                               int64_t stride, int64_t tokens);
// dx [series, length, channels] = the sum over the patches reading each
// position (overwritten).
template <class T>
void patchify_channels_backward(const Context& ctx, const T* d_patches, Same<T>* dx,
                                int64_t series, int64_t length, int64_t channels,
                                int64_t patch_length, int64_t stride, int64_t tokens);

// ---------------------------------------------------------------------------
// Bias + GELU.  x [rows, cols], bias [cols] or null:  y = gelu(x + bias) with
// the exact erf form gelu(u) = u * Phi(u) (PyTorch's nn.GELU default, not the
// tanh approximation).
template <class T>
void bias_gelu_forward(const Context& ctx, const T* x, const Same<T>* bias, Same<T>* y,
                       int64_t rows, int64_t cols);
// dx = dy * gelu'(x + bias); dbias (may be null) = column sums of dx.
template <class T>
void bias_gelu_backward(const Context& ctx, const T* x, const Same<T>* bias, const Same<T>* dy,
                        Same<T>* dx, Same<T>* dbias, int64_t rows, int64_t cols);

// ---------------------------------------------------------------------------
// LayerNorm over the last dimension.  y = (x - mean) * rstd * gamma + beta,
// rstd = 1 / sqrt(var + eps) (biased variance, as PyTorch).  mean and rstd
// [rows] are written when non-null, for the backward pass.
template <class T>
void layer_norm_forward(const Context& ctx, const T* x, const Same<T>* gamma,
                        const Same<T>* beta, Same<T>* y, Same<T>* mean, Same<T>* rstd,
                        int64_t rows, int64_t cols, Same<T> eps);
// dx, dgamma, dbeta (dgamma/dbeta may be null) from the saved mean and rstd.
template <class T>
void layer_norm_backward(const Context& ctx, const T* x, const Same<T>* gamma,
                         const Same<T>* dy, const Same<T>* mean, const Same<T>* rstd,
                         Same<T>* dx, Same<T>* dgamma, Same<T>* dbeta, int64_t rows,
                         int64_t cols);

// ---------------------------------------------------------------------------
// Softmax over each row.  y = exp(x - max) / sum.
template <class T>
void softmax_forward(const Context& ctx, const T* x, Same<T>* y, int64_t rows, int64_t cols);
// dx = y * (dy - sum(dy * y)).
template <class T>
void softmax_backward(const Context& ctx, const T* y, const Same<T>* dy, Same<T>* dx,
                      int64_t rows, int64_t cols);

// ---------------------------------------------------------------------------
// Multi-head scaled dot-product attention, per (batch, head):
//   O = softmax(Q K^T / sqrt(head_dim) + M) V,
// M = 0 without key_lengths; with key_lengths [batch] (host memory, each in
// [1, tokens]), the padding mask of right-padded sequences: M[i, j] = -inf
// for the keys j >= key_lengths[b], so every query of sequence b attends to
// its first key_lengths[b] tokens only and the result for them does not
// depend on the padding (text batches; the padded query rows are computed
// too, from the real keys).  The backward pass knows no mask.
// q, k, v hold batch*tokens rows of row stride ld_qkv; head h is columns
// [h*head_dim, (h+1)*head_dim) of each, so they may point into one fused
// QKV projection [rows, 3*d_model] (ld_qkv = 3*d_model).  out has row
// stride ld_out.  lse [batch, heads, tokens] (log-sum-exp of each score row)
// is written when non-null; the backward pass needs it and out.
// probabilities [batch, heads, tokens, tokens], when non-null, gets P itself
// (row i: query token i's weights over the key tokens, summing to 1) as the
// forward computes it, for explanations; null costs nothing.
// Floats of scratch one call needs (forward or backward), on any backend;
// the caller owns it (Context::scratch): on the Cpu backend one tokens x
// tokens score tile (heads are processed one at a time, so no more is ever
// held), K^T and V^T of one head, 2 rows more.
int64_t attention_workspace_floats(const AttentionDims& dims);
template <class T>
void attention_forward(const Context& ctx, const AttentionDims& dims, const T* q,
                       const Same<T>* k, const Same<T>* v, Same<T>* out, Same<T>* lse,
                       float* workspace, Same<T>* probabilities = nullptr,
                       const int32_t* key_lengths = nullptr);
// dq, dk, dv use the layout of q, k, v (row stride ld_qkv); dout that of out.
template <class T>
void attention_backward(const Context& ctx, const AttentionDims& dims, const T* q,
                        const Same<T>* k, const Same<T>* v, const Same<T>* out,
                        const Same<T>* lse, const Same<T>* dout, Same<T>* dq, Same<T>* dk,
                        Same<T>* dv, float* workspace);

// ---------------------------------------------------------------------------
// Non-crossing quantile head.  raw, q [rows, quantiles]; levels sorted, the
// median at median_index:
//   q[m] = raw[m];  q[j] = q[j-1] + softplus(raw[j]) (j > m);
//   q[j] = q[j+1] - softplus(raw[j]) (j < m).
template <class T>
void quantile_head_forward(const Context& ctx, const T* raw, Same<T>* q, int64_t rows,
                           int64_t quantiles, int64_t median_index);
template <class T>
void quantile_head_backward(const Context& ctx, const T* raw, const Same<T>* dq, Same<T>* draw,
                            int64_t rows, int64_t quantiles, int64_t median_index);

// ---------------------------------------------------------------------------
// RevIN normalisation of rows series of `length` values.  Row r uses the
// affine pair of channel r % channels (channels = 1 for univariate series):
//   mean, std = sqrt(var + eps) per row (written to mean/std [rows]);
//   y = (x - mean) / std * gamma + beta.
template <class T>
void revin_normalize_forward(const Context& ctx, const T* x, const Same<T>* gamma,
                             const Same<T>* beta, Same<T>* y, Same<T>* mean, Same<T>* std_dev,
                             int64_t rows, int64_t length, int64_t channels, Same<T> eps);
// dgamma, dbeta [channels] from dy; mean/std are constants (see Design).
template <class T>
void revin_normalize_backward(const Context& ctx, const T* x, const Same<T>* mean,
                              const Same<T>* std_dev, const Same<T>* dy, Same<T>* dgamma,
                              Same<T>* dbeta, int64_t rows, int64_t length, int64_t channels);
// Undo on the output: z [rows, length] -> y = (z - beta) / gamma * std + mean.
template <class T>
void revin_denormalize_forward(const Context& ctx, const T* z, const Same<T>* gamma,
                               const Same<T>* beta, const Same<T>* mean, const Same<T>* std_dev,
                               Same<T>* y, int64_t rows, int64_t length, int64_t channels);
// dz, dgamma, dbeta (dgamma/dbeta may be null).
template <class T>
void revin_denormalize_backward(const Context& ctx, const T* z, const Same<T>* gamma,
                                const Same<T>* beta, const Same<T>* std_dev, const Same<T>* dy,
                                Same<T>* dz, Same<T>* dgamma, Same<T>* dbeta, int64_t rows,
                                int64_t length, int64_t channels);

// Mean-absolute scaling for intermittent series (zeros stay zeros):
//   scale = max(mean(|x|), min_scale) per row;  y = x / scale.
template <class T>
void mean_abs_scale_forward(const Context& ctx, const T* x, Same<T>* y, Same<T>* scale,
                            int64_t rows, int64_t length, Same<T> min_scale);
// Undo on the output: y = z * scale.  Its backward is the same product
// (dz = dy * scale), so mean_abs_unscale serves both directions.
template <class T>
void mean_abs_unscale(const Context& ctx, const T* z, const Same<T>* scale, Same<T>* y,
                      int64_t rows, int64_t length);

}  // namespace invforecast::kernels
