// Shape checks and dispatch: the one place each op is entered.
#include "ops.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/error.hpp"
#include "cpu_kernels.hpp"
#include "gemm.hpp"
#include "reference.hpp"

namespace invforecast::kernels {

namespace {

void require(const void* pointer, const char* op, const char* name) {
  if (!pointer) fail(ErrorCode::NullPointer, "{}: {} is null", op, name);
}

// Row tensors may be null when there are no rows.
void require_rows_data(const void* pointer, int64_t rows, const char* op, const char* name) {
  if (rows > 0) require(pointer, op, name);
}

void require_positive(int64_t value, const char* op, const char* name) {
  if (value <= 0) fail(ErrorCode::InvalidArgument, "{}: {} must be positive, got {}", op, name, value);
}

void require_rows(int64_t rows, const char* op) {
  if (rows < 0) fail(ErrorCode::InvalidArgument, "{}: rows must be >= 0, got {}", op, rows);
}

// Runs the reference or the Cpu implementation; Cuda is not built yet.
template <class Reference, class Cpu>
void dispatch(Backend backend, const char* op, Reference&& reference, Cpu&& cpu) {
  switch (backend) {
    case Backend::Reference: reference(); return;
    case Backend::Cpu: cpu(); return;
    case Backend::Cuda: break;
  }
  fail(ErrorCode::Unsupported, "{}: the {} backend is not available in this build", op,
       backend_name(backend));
}

const cpu::CpuKernels& cpu_kernels() { return cpu::kernels_for(active_cpu_isa()); }

void check_attention(const AttentionDims& d, const char* op) {
  require_rows(d.batch, op);
  require_positive(d.tokens, op, "tokens");
  require_positive(d.heads, op, "heads");
  require_positive(d.head_dim, op, "head_dim");
  if (d.ld_qkv < d.heads * d.head_dim)
    fail(ErrorCode::InvalidArgument, "{}: ld_qkv {} is smaller than heads * head_dim = {}", op,
         d.ld_qkv, d.heads * d.head_dim);
  if (d.ld_out < d.heads * d.head_dim)
    fail(ErrorCode::InvalidArgument, "{}: ld_out {} is smaller than heads * head_dim = {}", op,
         d.ld_out, d.heads * d.head_dim);
}

void check_quantiles(int64_t rows, int64_t quantiles, int64_t median_index, const char* op) {
  require_rows(rows, op);
  require_positive(quantiles, op, "quantiles");
  if (median_index < 0 || median_index >= quantiles)
    fail(ErrorCode::InvalidArgument, "{}: median_index {} is outside [0, {})", op, median_index,
         quantiles);
}

void check_series(int64_t rows, int64_t length, int64_t channels, const char* op) {
  require_rows(rows, op);
  require_positive(length, op, "length");
  require_positive(channels, op, "channels");
}

void check_positive_finite(float value, const char* op, const char* name) {
  if (!(value > 0.0f) || !std::isfinite(value))
    fail(ErrorCode::InvalidArgument, "{}: {} must be positive and finite, got {}", op, name, value);
}

}  // namespace

const char* backend_name(Backend backend) {
  switch (backend) {
    case Backend::Reference: return "reference";
    case Backend::Cpu: return "cpu";
    case Backend::Cuda: return "cuda";
  }
  return "unknown";
}

void linear_forward(Backend backend, const float* x, const float* w, const float* b, float* y,
                    int64_t rows, int64_t in, int64_t out) {
  constexpr const char* op = "linear_forward";
  require_rows(rows, op);
  require_positive(in, op, "in_features");
  require_positive(out, op, "out_features");
  require_rows_data(x, rows, op, "x");
  require(w, op, "w");
  require_rows_data(y, rows, op, "y");
  dispatch(
      backend, op, [&] { reference::linear_forward(x, w, b, y, rows, in, out); },
      [&] {
        if (rows > 0) cpu::gemm(false, true, rows, out, in, x, w, b, y);
      });
}

void linear_gelu_forward(Backend backend, const float* x, const float* w, const float* b, float* y,
                         int64_t rows, int64_t in, int64_t out) {
  constexpr const char* op = "linear_gelu_forward";
  require_rows(rows, op);
  require_positive(in, op, "in_features");
  require_positive(out, op, "out_features");
  require_rows_data(x, rows, op, "x");
  require(w, op, "w");
  require_rows_data(y, rows, op, "y");
  dispatch(
      backend, op,
      [&] {
        reference::linear_forward(x, w, b, y, rows, in, out);
        reference::bias_gelu_forward<float>(y, nullptr, y, rows, out);
      },
      [&] {
        if (rows > 0) cpu::gemm(false, true, rows, out, in, x, w, b, y, cpu::Epilogue::Gelu);
      });
}

PackedLinear::PackedLinear(const float* w, const float* b, int64_t in_features,
                           int64_t out_features)
    : w_(w), b_(b), in_(in_features), out_(out_features) {
  constexpr const char* op = "PackedLinear";
  require_positive(in_features, op, "in_features");
  require_positive(out_features, op, "out_features");
  require(w, op, "w");
  packed_ = cpu::PackedMatrix(w, b, out_features, in_features);
}

namespace {

enum class PackedForm { Plain, Gelu, Residual };

void packed_linear(Backend backend, const PackedLinear& layer, const float* x, float* y,
                   int64_t rows, PackedForm form, const char* op) {
  require_rows(rows, op);
  if (!layer.weight())
    fail(ErrorCode::InvalidArgument, "{}: the PackedLinear holds no weights", op);
  require_rows_data(x, rows, op, "x");
  require_rows_data(y, rows, op, "y");
  if (rows == 0) return;
  const int64_t in = layer.in_features(), out = layer.out_features();
  dispatch(
      backend, op,
      [&] {
        if (form != PackedForm::Residual) {
          reference::linear_forward(x, layer.weight(), layer.bias(), y, rows, in, out);
          if (form == PackedForm::Gelu) reference::bias_gelu_forward<float>(y, nullptr, y, rows, out);
          return;
        }
        std::vector<float> product(static_cast<size_t>(rows * out));
        reference::linear_forward(x, layer.weight(), layer.bias(), product.data(), rows, in, out);
        for (size_t i = 0; i < product.size(); ++i) y[i] += product[i];
      },
      [&] {
        cpu::packed_gemm(rows, x, in, layer.packed(), y, out,
                         form == PackedForm::Gelu ? cpu::Epilogue::Gelu : cpu::Epilogue::None,
                         form == PackedForm::Residual);
      });
}

}  // namespace

void linear_forward(Backend backend, const PackedLinear& layer, const float* x, float* y,
                    int64_t rows) {
  packed_linear(backend, layer, x, y, rows, PackedForm::Plain, "linear_forward");
}

void linear_gelu_forward(Backend backend, const PackedLinear& layer, const float* x, float* y,
                         int64_t rows) {
  packed_linear(backend, layer, x, y, rows, PackedForm::Gelu, "linear_gelu_forward");
}

void linear_residual_forward(Backend backend, const PackedLinear& layer, const float* x, float* y,
                             int64_t rows) {
  packed_linear(backend, layer, x, y, rows, PackedForm::Residual, "linear_residual_forward");
}

void linear_backward(Backend backend, const float* x, const float* w, const float* dy, float* dx,
                     float* dw, float* db, int64_t rows, int64_t in, int64_t out) {
  constexpr const char* op = "linear_backward";
  require_rows(rows, op);
  require_positive(in, op, "in_features");
  require_positive(out, op, "out_features");
  require_rows_data(x, rows, op, "x");
  require(w, op, "w");
  require_rows_data(dy, rows, op, "dy");
  dispatch(
      backend, op, [&] { reference::linear_backward(x, w, dy, dx, dw, db, rows, in, out); },
      [&] {
        // With no rows the weight gradients are zero; oneDNN is not asked for k = 0.
        if (rows == 0) {
          if (dw) std::fill(dw, dw + out * in, 0.0f);
          if (db) std::fill(db, db + out, 0.0f);
          return;
        }
        if (dx) cpu::gemm(false, false, rows, in, out, dy, w, nullptr, dx);
        if (dw) cpu::gemm(true, false, out, in, rows, dy, x, nullptr, dw);
        if (db) cpu_kernels().column_sums(dy, db, rows, out);
      });
}

void bias_gelu_forward(Backend backend, const float* x, const float* bias, float* y, int64_t rows,
                       int64_t cols) {
  constexpr const char* op = "bias_gelu_forward";
  require_rows(rows, op);
  require_positive(cols, op, "cols");
  require_rows_data(x, rows, op, "x");
  require_rows_data(y, rows, op, "y");
  dispatch(
      backend, op, [&] { reference::bias_gelu_forward(x, bias, y, rows, cols); },
      [&] { cpu_kernels().bias_gelu_forward(x, bias, y, rows, cols); });
}

void bias_gelu_backward(Backend backend, const float* x, const float* bias, const float* dy,
                        float* dx, float* dbias, int64_t rows, int64_t cols) {
  constexpr const char* op = "bias_gelu_backward";
  require_rows(rows, op);
  require_positive(cols, op, "cols");
  require_rows_data(x, rows, op, "x");
  require_rows_data(dy, rows, op, "dy");
  require_rows_data(dx, rows, op, "dx");
  dispatch(
      backend, op, [&] { reference::bias_gelu_backward(x, bias, dy, dx, dbias, rows, cols); },
      [&] { cpu_kernels().bias_gelu_backward(x, bias, dy, dx, dbias, rows, cols); });
}

void layer_norm_forward(Backend backend, const float* x, const float* gamma, const float* beta,
                        float* y, float* mean, float* rstd, int64_t rows, int64_t cols, float eps) {
  constexpr const char* op = "layer_norm_forward";
  require_rows(rows, op);
  require_positive(cols, op, "cols");
  check_positive_finite(eps, op, "eps");
  require_rows_data(x, rows, op, "x");
  require(gamma, op, "gamma");
  require(beta, op, "beta");
  require_rows_data(y, rows, op, "y");
  dispatch(
      backend, op,
      [&] { reference::layer_norm_forward(x, gamma, beta, y, mean, rstd, rows, cols, eps); },
      [&] { cpu_kernels().layer_norm_forward(x, gamma, beta, y, mean, rstd, rows, cols, eps); });
}

void layer_norm_backward(Backend backend, const float* x, const float* gamma, const float* dy,
                         const float* mean, const float* rstd, float* dx, float* dgamma,
                         float* dbeta, int64_t rows, int64_t cols) {
  constexpr const char* op = "layer_norm_backward";
  require_rows(rows, op);
  require_positive(cols, op, "cols");
  require_rows_data(x, rows, op, "x");
  require(gamma, op, "gamma");
  require_rows_data(dy, rows, op, "dy");
  require_rows_data(mean, rows, op, "mean");
  require_rows_data(rstd, rows, op, "rstd");
  require_rows_data(dx, rows, op, "dx");
  dispatch(
      backend, op,
      [&] {
        reference::layer_norm_backward(x, gamma, dy, mean, rstd, dx, dgamma, dbeta, rows, cols);
      },
      [&] {
        cpu_kernels().layer_norm_backward(x, gamma, dy, mean, rstd, dx, dgamma, dbeta, rows, cols);
      });
}

void softmax_forward(Backend backend, const float* x, float* y, int64_t rows, int64_t cols) {
  constexpr const char* op = "softmax_forward";
  require_rows(rows, op);
  require_positive(cols, op, "cols");
  require_rows_data(x, rows, op, "x");
  require_rows_data(y, rows, op, "y");
  dispatch(
      backend, op, [&] { reference::softmax_forward(x, y, rows, cols); },
      [&] { cpu_kernels().softmax_forward(x, y, rows, cols); });
}

void softmax_backward(Backend backend, const float* y, const float* dy, float* dx, int64_t rows,
                      int64_t cols) {
  constexpr const char* op = "softmax_backward";
  require_rows(rows, op);
  require_positive(cols, op, "cols");
  require_rows_data(y, rows, op, "y");
  require_rows_data(dy, rows, op, "dy");
  require_rows_data(dx, rows, op, "dx");
  dispatch(
      backend, op, [&] { reference::softmax_backward(y, dy, dx, rows, cols); },
      [&] { cpu_kernels().softmax_backward(y, dy, dx, rows, cols); });
}

int64_t attention_workspace_floats(const AttentionDims& dims) {
  check_attention(dims, "attention_workspace_floats");
  const int64_t padded_tokens =
      (dims.tokens + cpu::kMaxVectorWidth - 1) / cpu::kMaxVectorWidth * cpu::kMaxVectorWidth;
  // One score tile, K^T and V^T of one head, two per-row values
  // (cpu_kernels_impl.hpp, AttentionWorkspace).
  return padded_tokens * padded_tokens + 2 * dims.head_dim * padded_tokens + 2 * padded_tokens;
}

void attention_forward(Backend backend, const AttentionDims& dims, const float* q, const float* k,
                       const float* v, float* out, float* lse, float* workspace) {
  constexpr const char* op = "attention_forward";
  check_attention(dims, op);
  require_rows_data(q, dims.batch, op, "q");
  require_rows_data(k, dims.batch, op, "k");
  require_rows_data(v, dims.batch, op, "v");
  require_rows_data(out, dims.batch, op, "out");
  require(workspace, op, "workspace");
  dispatch(
      backend, op, [&] { reference::attention_forward(dims, q, k, v, out, lse); },
      [&] { cpu_kernels().attention_forward(dims, q, k, v, out, lse, workspace); });
}

void attention_backward(Backend backend, const AttentionDims& dims, const float* q, const float* k,
                        const float* v, const float* out, const float* lse, const float* dout,
                        float* dq, float* dk, float* dv, float* workspace) {
  constexpr const char* op = "attention_backward";
  check_attention(dims, op);
  require_rows_data(q, dims.batch, op, "q");
  require_rows_data(k, dims.batch, op, "k");
  require_rows_data(v, dims.batch, op, "v");
  require_rows_data(out, dims.batch, op, "out");
  require_rows_data(lse, dims.batch, op, "lse");
  require_rows_data(dout, dims.batch, op, "dout");
  require_rows_data(dq, dims.batch, op, "dq");
  require_rows_data(dk, dims.batch, op, "dk");
  require_rows_data(dv, dims.batch, op, "dv");
  require(workspace, op, "workspace");
  dispatch(
      backend, op,
      [&] { reference::attention_backward(dims, q, k, v, out, lse, dout, dq, dk, dv); },
      [&] {
        cpu_kernels().attention_backward(dims, q, k, v, out, lse, dout, dq, dk, dv, workspace);
      });
}

void quantile_head_forward(Backend backend, const float* raw, float* q, int64_t rows,
                           int64_t quantiles, int64_t median_index) {
  constexpr const char* op = "quantile_head_forward";
  check_quantiles(rows, quantiles, median_index, op);
  require_rows_data(raw, rows, op, "raw");
  require_rows_data(q, rows, op, "q");
  dispatch(
      backend, op,
      [&] { reference::quantile_head_forward(raw, q, rows, quantiles, median_index); },
      [&] { cpu_kernels().quantile_head_forward(raw, q, rows, quantiles, median_index); });
}

void quantile_head_backward(Backend backend, const float* raw, const float* dq, float* draw,
                            int64_t rows, int64_t quantiles, int64_t median_index) {
  constexpr const char* op = "quantile_head_backward";
  check_quantiles(rows, quantiles, median_index, op);
  require_rows_data(raw, rows, op, "raw");
  require_rows_data(dq, rows, op, "dq");
  require_rows_data(draw, rows, op, "draw");
  dispatch(
      backend, op,
      [&] { reference::quantile_head_backward(raw, dq, draw, rows, quantiles, median_index); },
      [&] { cpu_kernels().quantile_head_backward(raw, dq, draw, rows, quantiles, median_index); });
}

void revin_normalize_forward(Backend backend, const float* x, const float* gamma,
                             const float* beta, float* y, float* mean, float* std_dev,
                             int64_t rows, int64_t length, int64_t channels, float eps) {
  constexpr const char* op = "revin_normalize_forward";
  check_series(rows, length, channels, op);
  check_positive_finite(eps, op, "eps");
  require_rows_data(x, rows, op, "x");
  require(gamma, op, "gamma");
  require(beta, op, "beta");
  require_rows_data(y, rows, op, "y");
  require_rows_data(mean, rows, op, "mean");
  require_rows_data(std_dev, rows, op, "std_dev");
  dispatch(
      backend, op,
      [&] {
        reference::revin_normalize_forward(x, gamma, beta, y, mean, std_dev, rows, length,
                                           channels, eps);
      },
      [&] {
        cpu_kernels().revin_normalize_forward(x, gamma, beta, y, mean, std_dev, rows, length,
                                              channels, eps);
      });
}

void revin_normalize_backward(Backend backend, const float* x, const float* mean,
                              const float* std_dev, const float* dy, float* dgamma, float* dbeta,
                              int64_t rows, int64_t length, int64_t channels) {
  constexpr const char* op = "revin_normalize_backward";
  check_series(rows, length, channels, op);
  require_rows_data(x, rows, op, "x");
  require_rows_data(mean, rows, op, "mean");
  require_rows_data(std_dev, rows, op, "std_dev");
  require_rows_data(dy, rows, op, "dy");
  require(dgamma, op, "dgamma");
  require(dbeta, op, "dbeta");
  dispatch(
      backend, op,
      [&] {
        reference::revin_normalize_backward(x, mean, std_dev, dy, dgamma, dbeta, rows, length,
                                            channels);
      },
      [&] {
        cpu_kernels().revin_normalize_backward(x, mean, std_dev, dy, dgamma, dbeta, rows, length,
                                               channels);
      });
}

void revin_denormalize_forward(Backend backend, const float* z, const float* gamma,
                               const float* beta, const float* mean, const float* std_dev,
                               float* y, int64_t rows, int64_t length, int64_t channels) {
  constexpr const char* op = "revin_denormalize_forward";
  check_series(rows, length, channels, op);
  require_rows_data(z, rows, op, "z");
  require(gamma, op, "gamma");
  require(beta, op, "beta");
  require_rows_data(mean, rows, op, "mean");
  require_rows_data(std_dev, rows, op, "std_dev");
  require_rows_data(y, rows, op, "y");
  dispatch(
      backend, op,
      [&] {
        reference::revin_denormalize_forward(z, gamma, beta, mean, std_dev, y, rows, length,
                                             channels);
      },
      [&] {
        cpu_kernels().revin_denormalize_forward(z, gamma, beta, mean, std_dev, y, rows, length,
                                                channels);
      });
}

void revin_denormalize_backward(Backend backend, const float* z, const float* gamma,
                                const float* beta, const float* std_dev, const float* dy,
                                float* dz, float* dgamma, float* dbeta, int64_t rows,
                                int64_t length, int64_t channels) {
  constexpr const char* op = "revin_denormalize_backward";
  check_series(rows, length, channels, op);
  require_rows_data(z, rows, op, "z");
  require(gamma, op, "gamma");
  require(beta, op, "beta");
  require_rows_data(std_dev, rows, op, "std_dev");
  require_rows_data(dy, rows, op, "dy");
  require_rows_data(dz, rows, op, "dz");
  dispatch(
      backend, op,
      [&] {
        reference::revin_denormalize_backward(z, gamma, beta, std_dev, dy, dz, dgamma, dbeta, rows,
                                              length, channels);
      },
      [&] {
        cpu_kernels().revin_denormalize_backward(z, gamma, beta, std_dev, dy, dz, dgamma, dbeta,
                                                 rows, length, channels);
      });
}

void mean_abs_scale_forward(Backend backend, const float* x, float* y, float* scale, int64_t rows,
                            int64_t length, float min_scale) {
  constexpr const char* op = "mean_abs_scale_forward";
  check_series(rows, length, 1, op);
  check_positive_finite(min_scale, op, "min_scale");
  require_rows_data(x, rows, op, "x");
  require_rows_data(y, rows, op, "y");
  require_rows_data(scale, rows, op, "scale");
  dispatch(
      backend, op,
      [&] { reference::mean_abs_scale_forward(x, y, scale, rows, length, min_scale); },
      [&] { cpu_kernels().mean_abs_scale_forward(x, y, scale, rows, length, min_scale); });
}

void mean_abs_unscale(Backend backend, const float* z, const float* scale, float* y, int64_t rows,
                      int64_t length) {
  constexpr const char* op = "mean_abs_unscale";
  check_series(rows, length, 1, op);
  require_rows_data(z, rows, op, "z");
  require_rows_data(scale, rows, op, "scale");
  require_rows_data(y, rows, op, "y");
  dispatch(
      backend, op, [&] { reference::mean_abs_unscale(z, scale, y, rows, length); },
      [&] { cpu_kernels().mean_abs_unscale(z, scale, y, rows, length); });
}

}  // namespace invforecast::kernels
