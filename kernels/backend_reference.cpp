// The Reference backend: kernels/reference.hpp's plain Eigen for every op,
// in float and double, on host memory.
#include <vector>

#include "backend_host.hpp"
#include "reference.hpp"

namespace invforecast::kernels {

namespace {

namespace ref = reference;

template <class T>
OpTable<T> reference_table() {
  OpTable<T> t{};
  ref::set_host_data_ops(t);
  t.linear_forward = [](const Context&, const T* x, const T* w, const T* b, T* y, int64_t rows,
                        int64_t in, int64_t out, Epilogue epilogue) {
    ref::linear_forward(x, w, b, y, rows, in, out);
    if (epilogue == Epilogue::Gelu) ref::bias_gelu_forward<T>(y, nullptr, y, rows, out);
  };
  t.linear_backward = [](const Context&, const T* x, const T* w, const T* dy, T* dx, T* dw, T* db,
                         int64_t rows, int64_t in, int64_t out) {
    ref::linear_backward(x, w, dy, dx, dw, db, rows, in, out);
  };
  t.bias_gelu_forward = [](const Context&, const T* x, const T* bias, T* y, int64_t rows,
                           int64_t cols) { ref::bias_gelu_forward(x, bias, y, rows, cols); };
  t.bias_gelu_backward = [](const Context&, const T* x, const T* bias, const T* dy, T* dx,
                            T* dbias, int64_t rows, int64_t cols) {
    ref::bias_gelu_backward(x, bias, dy, dx, dbias, rows, cols);
  };
  t.layer_norm_forward = [](const Context&, const T* x, const T* gamma, const T* beta, T* y,
                            T* mean, T* rstd, int64_t rows, int64_t cols, T eps) {
    ref::layer_norm_forward(x, gamma, beta, y, mean, rstd, rows, cols, eps);
  };
  t.layer_norm_backward = [](const Context&, const T* x, const T* gamma, const T* dy,
                             const T* mean, const T* rstd, T* dx, T* dgamma, T* dbeta,
                             int64_t rows, int64_t cols) {
    ref::layer_norm_backward(x, gamma, dy, mean, rstd, dx, dgamma, dbeta, rows, cols);
  };
  t.softmax_forward = [](const Context&, const T* x, T* y, int64_t rows, int64_t cols) {
    ref::softmax_forward(x, y, rows, cols);
  };
  t.softmax_backward = [](const Context&, const T* y, const T* dy, T* dx, int64_t rows,
                          int64_t cols) { ref::softmax_backward(y, dy, dx, rows, cols); };
  t.attention_forward = [](const Context&, const AttentionDims& dims, const T* q, const T* k,
                           const T* v, T* out, T* lse, float*, T* probabilities,
                           const int32_t* key_lengths) {
    ref::attention_forward(dims, q, k, v, out, lse, probabilities, key_lengths);
  };
  t.attention_backward = [](const Context&, const AttentionDims& dims, const T* q, const T* k,
                            const T* v, const T* out, const T* lse, const T* dout, T* dq, T* dk,
                            T* dv, float*) {
    ref::attention_backward(dims, q, k, v, out, lse, dout, dq, dk, dv);
  };
  t.quantile_head_forward = [](const Context&, const T* raw, T* q, int64_t rows, int64_t nq,
                               int64_t m) { ref::quantile_head_forward(raw, q, rows, nq, m); };
  t.quantile_head_backward = [](const Context&, const T* raw, const T* dq, T* draw, int64_t rows,
                                int64_t nq, int64_t m) {
    ref::quantile_head_backward(raw, dq, draw, rows, nq, m);
  };
  t.revin_normalize_forward = [](const Context&, const T* x, const T* gamma, const T* beta, T* y,
                                 T* mean, T* sd, int64_t rows, int64_t len, int64_t channels,
                                 T eps) {
    ref::revin_normalize_forward(x, gamma, beta, y, mean, sd, rows, len, channels, eps);
  };
  t.revin_normalize_backward = [](const Context&, const T* x, const T* mean, const T* sd,
                                  const T* dy, T* dgamma, T* dbeta, int64_t rows, int64_t len,
                                  int64_t channels) {
    ref::revin_normalize_backward(x, mean, sd, dy, dgamma, dbeta, rows, len, channels);
  };
  t.revin_denormalize_forward = [](const Context&, const T* z, const T* gamma, const T* beta,
                                   const T* mean, const T* sd, T* y, int64_t rows, int64_t len,
                                   int64_t channels) {
    ref::revin_denormalize_forward(z, gamma, beta, mean, sd, y, rows, len, channels);
  };
  t.revin_denormalize_backward = [](const Context&, const T* z, const T* gamma, const T* beta,
                                    const T* sd, const T* dy, T* dz, T* dgamma, T* dbeta,
                                    int64_t rows, int64_t len, int64_t channels) {
    ref::revin_denormalize_backward(z, gamma, beta, sd, dy, dz, dgamma, dbeta, rows, len,
                                    channels);
  };
  t.mean_abs_scale_forward = [](const Context&, const T* x, T* y, T* scale, int64_t rows,
                                int64_t len, T min_scale) {
    ref::mean_abs_scale_forward(x, y, scale, rows, len, min_scale);
  };
  t.mean_abs_unscale = [](const Context&, const T* z, const T* scale, T* y, int64_t rows,
                          int64_t len) { ref::mean_abs_unscale(z, scale, y, rows, len); };
  return t;
}

// Reads the weights in place; the residual form sums a product formed apart.
void reference_prepared_linear(const Context&, const PreparedLinear& layer, const float* x,
                               float* y, int64_t rows, Epilogue epilogue, bool accumulate) {
  const int64_t in = layer.in_features(), out = layer.out_features();
  if (!accumulate) {
    ref::linear_forward(x, layer.weight(), layer.bias(), y, rows, in, out);
    if (epilogue == Epilogue::Gelu) ref::bias_gelu_forward<float>(y, nullptr, y, rows, out);
    return;
  }
  std::vector<float> product(static_cast<size_t>(rows * out));
  ref::linear_forward(x, layer.weight(), layer.bias(), product.data(), rows, in, out);
  for (size_t i = 0; i < product.size(); ++i) y[i] += product[i];
}

class ReferenceBackend final : public HostBackend {
 public:
  ReferenceBackend() : f32_(reference_table<float>()), f64_(reference_table<double>()) {
    f32_.prepared_linear_forward = reference_prepared_linear;
  }
  BackendKind kind() const override { return BackendKind::Reference; }
  const OpTable<float>* ops_f32() const override { return &f32_; }
  const OpTable<double>* ops_f64() const override { return &f64_; }

 protected:
  std::shared_ptr<const void> prepare_payload(const float*, const float*, int64_t,
                                              int64_t) const override {
    return nullptr;
  }

 private:
  OpTable<float> f32_;
  OpTable<double> f64_;
};

}  // namespace

const Backend& reference_backend() {
  static const ReferenceBackend backend;
  return backend;
}

}  // namespace invforecast::kernels
