// The Cpu backend: our own kernels per ISA (cpu_kernels.hpp), the packed
// GEMM on prepared weights and oneDNN (or Eigen) for the others (gemm.hpp);
// float only.  The data-movement ops share the reference's loops.
#include <algorithm>

#include "backend_host.hpp"
#include "cpu_kernels.hpp"
#include "gemm.hpp"
#include "reference.hpp"

namespace invforecast::kernels {

namespace {

const cpu::CpuKernels& isa() { return cpu::kernels_for(active_cpu_isa()); }

OpTable<float> cpu_table() {
  OpTable<float> t{};
  reference::set_host_data_ops(t);
  t.linear_forward = [](const Context&, const float* x, const float* w, const float* b, float* y,
                        int64_t rows, int64_t in, int64_t out, Epilogue epilogue) {
    if (rows > 0) cpu::gemm(false, true, rows, out, in, x, w, b, y, epilogue);
  };
  t.prepared_linear_forward = [](const Context&, const PreparedLinear& layer, const float* x,
                                 float* y, int64_t rows, Epilogue epilogue, bool accumulate) {
    const auto& packed = *static_cast<const cpu::PackedMatrix*>(layer.payload());
    cpu::packed_gemm(rows, x, layer.in_features(), packed, y, layer.out_features(), epilogue,
                     accumulate);
  };
  t.linear_backward = [](const Context&, const float* x, const float* w, const float* dy,
                         float* dx, float* dw, float* db, int64_t rows, int64_t in, int64_t out) {
    // With no rows the weight gradients are zero; oneDNN is not asked for k = 0.
    if (rows == 0) {
      if (dw) std::fill(dw, dw + out * in, 0.0f);
      if (db) std::fill(db, db + out, 0.0f);
      return;
    }
    if (dx) cpu::gemm(false, false, rows, in, out, dy, w, nullptr, dx);
    if (dw) cpu::gemm(true, false, out, in, rows, dy, x, nullptr, dw);
    if (db) isa().column_sums(dy, db, rows, out);
  };
  t.bias_gelu_forward = [](const Context&, const float* x, const float* bias, float* y,
                           int64_t rows, int64_t cols) {
    isa().bias_gelu_forward(x, bias, y, rows, cols);
  };
  t.bias_gelu_backward = [](const Context&, const float* x, const float* bias, const float* dy,
                            float* dx, float* dbias, int64_t rows, int64_t cols) {
    isa().bias_gelu_backward(x, bias, dy, dx, dbias, rows, cols);
  };
  t.layer_norm_forward = [](const Context&, const float* x, const float* gamma, const float* beta,
                            float* y, float* mean, float* rstd, int64_t rows, int64_t cols,
                            float eps) {
    isa().layer_norm_forward(x, gamma, beta, y, mean, rstd, rows, cols, eps);
  };
  t.layer_norm_backward = [](const Context&, const float* x, const float* gamma, const float* dy,
                             const float* mean, const float* rstd, float* dx, float* dgamma,
                             float* dbeta, int64_t rows, int64_t cols) {
    isa().layer_norm_backward(x, gamma, dy, mean, rstd, dx, dgamma, dbeta, rows, cols);
  };
  t.softmax_forward = [](const Context&, const float* x, float* y, int64_t rows, int64_t cols) {
    isa().softmax_forward(x, y, rows, cols);
  };
  t.softmax_backward = [](const Context&, const float* y, const float* dy, float* dx,
                          int64_t rows, int64_t cols) {
    isa().softmax_backward(y, dy, dx, rows, cols);
  };
  t.attention_forward = [](const Context&, const AttentionDims& dims, const float* q,
                           const float* k, const float* v, float* out, float* lse,
                           float* workspace, float* probabilities, const int32_t* key_lengths) {
    isa().attention_forward(dims, q, k, v, out, lse, workspace, probabilities, key_lengths);
  };
  t.attention_backward = [](const Context&, const AttentionDims& dims, const float* q,
                            const float* k, const float* v, const float* out, const float* lse,
                            const float* dout, float* dq, float* dk, float* dv,
                            float* workspace) {
    isa().attention_backward(dims, q, k, v, out, lse, dout, dq, dk, dv, workspace);
  };
  t.quantile_head_forward = [](const Context&, const float* raw, float* q, int64_t rows,
                               int64_t nq, int64_t m) {
    isa().quantile_head_forward(raw, q, rows, nq, m);
  };
  t.quantile_head_backward = [](const Context&, const float* raw, const float* dq, float* draw,
                                int64_t rows, int64_t nq, int64_t m) {
    isa().quantile_head_backward(raw, dq, draw, rows, nq, m);
  };
  t.revin_normalize_forward = [](const Context&, const float* x, const float* gamma,
                                 const float* beta, float* y, float* mean, float* sd,
                                 int64_t rows, int64_t len, int64_t channels, float eps) {
    isa().revin_normalize_forward(x, gamma, beta, y, mean, sd, rows, len, channels, eps);
  };
  t.revin_normalize_backward = [](const Context&, const float* x, const float* mean,
                                  const float* sd, const float* dy, float* dgamma, float* dbeta,
                                  int64_t rows, int64_t len, int64_t channels) {
    isa().revin_normalize_backward(x, mean, sd, dy, dgamma, dbeta, rows, len, channels);
  };
  t.revin_denormalize_forward = [](const Context&, const float* z, const float* gamma,
                                   const float* beta, const float* mean, const float* sd,
                                   float* y, int64_t rows, int64_t len, int64_t channels) {
    isa().revin_denormalize_forward(z, gamma, beta, mean, sd, y, rows, len, channels);
  };
  t.revin_denormalize_backward = [](const Context&, const float* z, const float* gamma,
                                    const float* beta, const float* sd, const float* dy,
                                    float* dz, float* dgamma, float* dbeta, int64_t rows,
                                    int64_t len, int64_t channels) {
    isa().revin_denormalize_backward(z, gamma, beta, sd, dy, dz, dgamma, dbeta, rows, len,
                                     channels);
  };
  t.mean_abs_scale_forward = [](const Context&, const float* x, float* y, float* scale,
                                int64_t rows, int64_t len, float min_scale) {
    isa().mean_abs_scale_forward(x, y, scale, rows, len, min_scale);
  };
  t.mean_abs_unscale = [](const Context&, const float* z, const float* scale, float* y,
                          int64_t rows, int64_t len) {
    isa().mean_abs_unscale(z, scale, y, rows, len);
  };
  return t;
}

class CpuBackend final : public HostBackend {
 public:
  CpuBackend() : f32_(cpu_table()) {}
  BackendKind kind() const override { return BackendKind::Cpu; }
  const OpTable<float>* ops_f32() const override { return &f32_; }
  const OpTable<double>* ops_f64() const override { return nullptr; }

 protected:
  // Packed once for cpu::packed_gemm (gemm.hpp), so forward calls never pack.
  std::shared_ptr<const void> prepare_payload(const float* w, const float* b, int64_t in,
                                              int64_t out) const override {
    return std::make_shared<const cpu::PackedMatrix>(w, b, out, in);
  }

 private:
  OpTable<float> f32_;
};

}  // namespace

const Backend& cpu_backend() {
  static const CpuBackend backend;
  return backend;
}

}  // namespace invforecast::kernels
