// The encoder's compute layer: every op the transformer needs, forward and
// backward, behind one dispatch point.
//
// Design
// - Backend picks the implementation of every op:
//     Reference  plain Eigen (kernels/reference.hpp), readable first and
//                templated on the scalar type, so gradient tests run it in
//                float64;
//     Cpu        the fast path, our own kernels compiled once per ISA
//                (scalar; vec128, 4-float vectors: SSE2 on any x86-64,
//                NEON on ARM64; AVX2+FMA) and chosen at run time by CPU
//                feature detection; INVF_CPU_ISA=scalar|vec128|avx2 forces
//                one (kernels/cpu_isa.hpp):
//                - GEMMs on a model's fixed weights (the PackedLinear ops,
//                  the whole inference forward): our register-blocked GEMM
//                  on weights packed once at load (kernels/gemm_packed_*),
//                  bias, GELU and residual fused into its epilogue;
//                - GEMMs on weights that change (training: linear_forward /
//                  linear_backward on raw pointers): oneDNN matmul,
//                  primitives cached per shape (kernels/gemm_onednn.cpp),
//                  or Eigen in builds without oneDNN (gemm_eigen.cpp);
//                - the rest (kernels/cpu_kernels_impl.hpp);
//     Cuda       reserved: every op answers Error(Unsupported) today, so a
//                CUDA backend slots in here without touching the layers.
// - One op = one function here that checks shapes and pointers once and
//   dispatches (kernels/ops.cpp), a reference implementation and a fast one.
// - Tensors are raw float pointers, row-major, with explicit int64_t dims.
//   Ops write into caller-provided buffers and overwrite them (gradients
//   included: nothing accumulates across calls), except
//   linear_residual_forward, which adds to y by definition.  On the Cpu
//   backend the PackedLinear ops and our own kernels never allocate; the
//   raw-pointer GEMMs allocate oneDNN's small per-call execution context
//   (tests/test_kernels_alloc.cpp); the Reference backend may allocate
//   Eigen temporaries.
// - Ops are single-threaded and re-entrant (oneDNN may use its own OpenMP
//   threads inside a raw-pointer GEMM); the layers above split batches
//   across threads.
// - Statistics of the per-series normalisations (mean, std, scale) are
//   treated as constants in backward passes, as RevIN does (detached): the
//   series values are data, never parameters.
// - Errors: bad shapes or null pointers throw invforecast::Error
//   (InvalidArgument / NullPointer) before any work is done.
#pragma once

#include <cstdint>

#include "gemm.hpp"

namespace invforecast::kernels {

enum class Backend { Reference, Cpu, Cuda };

const char* backend_name(Backend backend);

// ---------------------------------------------------------------------------
// Linear layer.  x [rows, in], w [out, in] (PyTorch layout), b [out] or null,
// y [rows, out]:  y = x w^T + b.
void linear_forward(Backend backend, const float* x, const float* w, const float* b, float* y,
                    int64_t rows, int64_t in_features, int64_t out_features);
// y = gelu(x w^T + b), the FFN's first layer in one pass: the Cpu backend
// fuses GELU into the GEMM (a oneDNN post-op), saving a pass over y.  For
// inference; training keeps the pre-activation for the backward pass
// (linear_forward without bias, then bias_gelu_forward).
void linear_gelu_forward(Backend backend, const float* x, const float* w, const float* b, float* y,
                         int64_t rows, int64_t in_features, int64_t out_features);
// A linear layer's weights prepared once for many forward calls (a model's
// fixed weights, at load): the Reference backend reads w and b as given (they
// must outlive this object), the Cpu backend a copy packed for its own GEMM
// kernel (cpu::PackedMatrix), so its calls allocate nothing and never pay
// for packing.  Copyable.
class PackedLinear {
 public:
  PackedLinear() = default;
  // w [out, in], b [out] or null.  Throws Error(InvalidArgument) unless in
  // and out are >= 1, Error(NullPointer) when w is null.
  PackedLinear(const float* w, const float* b, int64_t in_features, int64_t out_features);

  int64_t in_features() const { return in_; }
  int64_t out_features() const { return out_; }
  const float* weight() const { return w_; }
  const float* bias() const { return b_; }
  const cpu::PackedMatrix& packed() const { return packed_; }

 private:
  const float* w_ = nullptr;
  const float* b_ = nullptr;
  int64_t in_ = 0, out_ = 0;
  cpu::PackedMatrix packed_;
};

// The three inference forms on packed weights, x [rows, in], y [rows, out]:
//   linear_forward           y = x w^T + b
//   linear_gelu_forward      y = gelu(x w^T + b)
//   linear_residual_forward  y += x w^T + b   (a residual connection in one pass)
// Cpu backend: cpu::packed_gemm for every shape (gemm.hpp).  This is the one
// dispatch point between our GEMM and oneDNN for inference, and it has no
// shape-dependent switch: measured at the encoder's shapes (1 thread),
// packed_gemm is within 3% of oneDNN's matmul at 1344 rows (32 series of 42
// tokens; about 110 GFLOP/s both), ahead at 42 rows (110 vs 102), and 2.8x
// faster for the head at batch 1 (one row, k 5376); only the patch
// embedding (k 16, 0.5% of the flops) runs slower (78 vs 104 GFLOP/s at
// 1344 rows), not worth a second path.  Keeping one kernel
// also keeps a row's result independent of the rows around it (so of the
// batch size and tiling), and never allocates.  Throws
// Error(InvalidArgument) for an empty PackedLinear.
void linear_forward(Backend backend, const PackedLinear& layer, const float* x, float* y,
                    int64_t rows);
void linear_gelu_forward(Backend backend, const PackedLinear& layer, const float* x, float* y,
                         int64_t rows);
void linear_residual_forward(Backend backend, const PackedLinear& layer, const float* x, float* y,
                             int64_t rows);

// dx = dy w, dw = dy^T x, db = column sums of dy; any of dx/dw/db may be null.
void linear_backward(Backend backend, const float* x, const float* w, const float* dy, float* dx,
                     float* dw, float* db, int64_t rows, int64_t in_features,
                     int64_t out_features);

// ---------------------------------------------------------------------------
// Bias + GELU.  x [rows, cols], bias [cols] or null:  y = gelu(x + bias) with
// the exact erf form gelu(u) = u * Phi(u) (PyTorch's nn.GELU default, not the
// tanh approximation).
void bias_gelu_forward(Backend backend, const float* x, const float* bias, float* y, int64_t rows,
                       int64_t cols);
// dx = dy * gelu'(x + bias); dbias (may be null) = column sums of dx.
void bias_gelu_backward(Backend backend, const float* x, const float* bias, const float* dy,
                        float* dx, float* dbias, int64_t rows, int64_t cols);

// ---------------------------------------------------------------------------
// LayerNorm over the last dimension.  y = (x - mean) * rstd * gamma + beta,
// rstd = 1 / sqrt(var + eps) (biased variance, as PyTorch).  mean and rstd
// [rows] are written when non-null, for the backward pass.
void layer_norm_forward(Backend backend, const float* x, const float* gamma, const float* beta,
                        float* y, float* mean, float* rstd, int64_t rows, int64_t cols, float eps);
// dx, dgamma, dbeta (dgamma/dbeta may be null) from the saved mean and rstd.
void layer_norm_backward(Backend backend, const float* x, const float* gamma, const float* dy,
                         const float* mean, const float* rstd, float* dx, float* dgamma,
                         float* dbeta, int64_t rows, int64_t cols);

// ---------------------------------------------------------------------------
// Softmax over each row.  y = exp(x - max) / sum.
void softmax_forward(Backend backend, const float* x, float* y, int64_t rows, int64_t cols);
// dx = y * (dy - sum(dy * y)).
void softmax_backward(Backend backend, const float* y, const float* dy, float* dx, int64_t rows,
                      int64_t cols);

// ---------------------------------------------------------------------------
// Multi-head scaled dot-product attention (no mask), per (batch, head):
//   O = softmax(Q K^T / sqrt(head_dim)) V.
// q, k, v hold batch*tokens rows of row stride ld_qkv; head h is columns
// [h*head_dim, (h+1)*head_dim) of each, so they may point into one fused
// QKV projection [rows, 3*d_model] (ld_qkv = 3*d_model).  out has row
// stride ld_out.  lse [batch, heads, tokens] (log-sum-exp of each score row)
// is written when non-null; the backward pass needs it and out.
struct AttentionDims {
  int64_t batch = 0;
  int64_t tokens = 0;
  int64_t heads = 0;
  int64_t head_dim = 0;
  int64_t ld_qkv = 0;
  int64_t ld_out = 0;
};
// Floats of scratch the Cpu backend needs for one call (forward or backward);
// the caller owns it: one tokens x tokens score tile (heads are processed one
// at a time, so no more is ever held), K^T and V^T of one head, 2 rows more.
int64_t attention_workspace_floats(const AttentionDims& dims);
void attention_forward(Backend backend, const AttentionDims& dims, const float* q, const float* k,
                       const float* v, float* out, float* lse, float* workspace);
// dq, dk, dv use the layout of q, k, v (row stride ld_qkv); dout that of out.
void attention_backward(Backend backend, const AttentionDims& dims, const float* q, const float* k,
                        const float* v, const float* out, const float* lse, const float* dout,
                        float* dq, float* dk, float* dv, float* workspace);

// ---------------------------------------------------------------------------
// Non-crossing quantile head.  raw, q [rows, quantiles]; levels sorted, the
// median at median_index:
//   q[m] = raw[m];  q[j] = q[j-1] + softplus(raw[j]) (j > m);
//   q[j] = q[j+1] - softplus(raw[j]) (j < m).
void quantile_head_forward(Backend backend, const float* raw, float* q, int64_t rows,
                           int64_t quantiles, int64_t median_index);
void quantile_head_backward(Backend backend, const float* raw, const float* dq, float* draw,
                            int64_t rows, int64_t quantiles, int64_t median_index);

// ---------------------------------------------------------------------------
// RevIN normalisation of rows series of `length` values.  Row r uses the
// affine pair of channel r % channels (channels = 1 for univariate series):
//   mean, std = sqrt(var + eps) per row (written to mean/std [rows]);
//   y = (x - mean) / std * gamma + beta.
void revin_normalize_forward(Backend backend, const float* x, const float* gamma,
                             const float* beta, float* y, float* mean, float* std_dev,
                             int64_t rows, int64_t length, int64_t channels, float eps);
// dgamma, dbeta [channels] from dy; mean/std are constants (see Design).
void revin_normalize_backward(Backend backend, const float* x, const float* mean,
                              const float* std_dev, const float* dy, float* dgamma, float* dbeta,
                              int64_t rows, int64_t length, int64_t channels);
// Undo on the output: z [rows, length] -> y = (z - beta) / gamma * std + mean.
void revin_denormalize_forward(Backend backend, const float* z, const float* gamma,
                               const float* beta, const float* mean, const float* std_dev,
                               float* y, int64_t rows, int64_t length, int64_t channels);
// dz, dgamma, dbeta (dgamma/dbeta may be null).
void revin_denormalize_backward(Backend backend, const float* z, const float* gamma,
                                const float* beta, const float* std_dev, const float* dy,
                                float* dz, float* dgamma, float* dbeta, int64_t rows,
                                int64_t length, int64_t channels);

// Mean-absolute scaling for intermittent series (zeros stay zeros):
//   scale = max(mean(|x|), min_scale) per row;  y = x / scale.
void mean_abs_scale_forward(Backend backend, const float* x, float* y, float* scale, int64_t rows,
                            int64_t length, float min_scale);
// Undo on the output: y = z * scale.  Its backward is the same product
// (dz = dy * scale), so mean_abs_unscale serves both directions.
void mean_abs_unscale(Backend backend, const float* z, const float* scale, float* y, int64_t rows,
                      int64_t length);

}  // namespace invforecast::kernels
