// Reference implementations of the ops in ops.hpp: plain Eigen, written for
// clarity, templated on the scalar type so the gradient tests run them in
// float64.  No shape checks here: ops.cpp does them once for every backend.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

#include <Eigen/Core>

#include "error.hpp"
#include "ops.hpp"

namespace invforecast::kernels::reference {

template <class T>
using Matrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <class T>
using RowVector = Eigen::Matrix<T, 1, Eigen::Dynamic>;
template <class T>
using MatrixMap = Eigen::Map<Matrix<T>>;
template <class T>
using ConstMatrixMap = Eigen::Map<const Matrix<T>>;
template <class T>
using StridedMap = Eigen::Map<Matrix<T>, 0, Eigen::OuterStride<>>;
template <class T>
using ConstStridedMap = Eigen::Map<const Matrix<T>, 0, Eigen::OuterStride<>>;

// Standard normal CDF and density.
template <class T>
T normal_cdf(T u) {
  return T(0.5) * std::erfc(-u / std::sqrt(T(2)));
}
template <class T>
T normal_pdf(T u) {
  return std::exp(T(-0.5) * u * u) / std::sqrt(T(2) * T(M_PI));
}
template <class T>
T softplus(T x) {
  return std::max(x, T(0)) + std::log1p(std::exp(-std::abs(x)));
}
template <class T>
T sigmoid(T x) {
  return T(1) / (T(1) + std::exp(-x));
}

// y = x w^T + b
template <class T>
void linear_forward(const T* x, const T* w, const T* b, T* y, int64_t rows, int64_t in,
                    int64_t out) {
  ConstMatrixMap<T> X(x, rows, in), W(w, out, in);
  MatrixMap<T> Y(y, rows, out);
  Y.noalias() = X * W.transpose();
  if (b) Y.rowwise() += Eigen::Map<const RowVector<T>>(b, out);
}

// dx = dy w;  dw = dy^T x;  db = sum_rows dy
template <class T>
void linear_backward(const T* x, const T* w, const T* dy, T* dx, T* dw, T* db, int64_t rows,
                     int64_t in, int64_t out) {
  ConstMatrixMap<T> X(x, rows, in), W(w, out, in), DY(dy, rows, out);
  if (dx) MatrixMap<T>(dx, rows, in).noalias() = DY * W;
  if (dw) MatrixMap<T>(dw, out, in).noalias() = DY.transpose() * X;
  if (db) Eigen::Map<RowVector<T>>(db, out) = DY.colwise().sum();
}

// y = u Phi(u), u = x + bias
// y[r, :] += x[r % period, :]
template <class T>
void add_rows(const T* x, T* y, int64_t rows, int64_t cols, int64_t period) {
  for (int64_t r = 0; r < rows; ++r) {
    const T* from = x + (r % period) * cols;
    T* to = y + r * cols;
    for (int64_t c = 0; c < cols; ++c) to[c] += from[c];
  }
}

// dx[p, :] = sum over r with r % period = p of dy[r, :], in row order
template <class T>
void add_rows_backward(const T* dy, T* dx, int64_t rows, int64_t cols, int64_t period) {
  std::fill(dx, dx + period * cols, T(0));
  for (int64_t r = 0; r < rows; ++r) {
    const T* from = dy + r * cols;
    T* to = dx + (r % period) * cols;
    for (int64_t c = 0; c < cols; ++c) to[c] += from[c];
  }
}

template <class T>
void clamp_min(T* y, int64_t count, T floor) {
  for (int64_t i = 0; i < count; ++i) y[i] = std::max(y[i], floor);
}

// patches[s, t, p] = x[s, min(t*stride + p, length - 1)], 0 where hidden.
template <class T>
void patchify_forward(const T* x, const uint8_t* hidden, T* patches, int64_t series,
                      int64_t length, int64_t patch_length, int64_t stride, int64_t tokens) {
  for (int64_t s = 0; s < series; ++s)
    for (int64_t t = 0; t < tokens; ++t) {
      T* patch = patches + (s * tokens + t) * patch_length;
      for (int64_t p = 0; p < patch_length; ++p) {
        const int64_t at = s * length + std::min(t * stride + p, length - 1);
        patch[p] = hidden && hidden[at] ? T(0) : x[at];
      }
    }
}

// dx[s, i] = sum of d_patches over the patch positions reading x[s, i].
template <class T>
void patchify_backward(const T* d_patches, const uint8_t* hidden, T* dx, int64_t series,
                       int64_t length, int64_t patch_length, int64_t stride, int64_t tokens) {
  std::fill(dx, dx + series * length, T(0));
  for (int64_t s = 0; s < series; ++s)
    for (int64_t t = 0; t < tokens; ++t)
      for (int64_t p = 0; p < patch_length; ++p) {
        const int64_t at = s * length + std::min(t * stride + p, length - 1);
        if (!hidden || !hidden[at]) dx[at] += d_patches[(s * tokens + t) * patch_length + p];
      }
}

// y[g * R + r, :] += scale * x[g, :]
template <class T>
void add_groups(const T* x, T* y, int64_t groups, int64_t group_rows, int64_t cols, T scale) {
  for (int64_t g = 0; g < groups; ++g)
    for (int64_t r = 0; r < group_rows; ++r) {
      T* to = y + (g * group_rows + r) * cols;
      for (int64_t c = 0; c < cols; ++c) to[c] += scale * x[g * cols + c];
    }
}

// y[g, :] = scale * sum_r x[g * R + r, :], rows in order
template <class T>
void sum_groups(const T* x, T* y, int64_t groups, int64_t group_rows, int64_t cols, T scale) {
  for (int64_t g = 0; g < groups; ++g) {
    T* to = y + g * cols;
    std::fill(to, to + cols, T(0));
    for (int64_t r = 0; r < group_rows; ++r) {
      const T* from = x + (g * group_rows + r) * cols;
      for (int64_t c = 0; c < cols; ++c) to[c] += from[c];
    }
    for (int64_t c = 0; c < cols; ++c) to[c] *= scale;
  }
}

template <class T>
void copy_block(const T* src, int64_t src_ld, T* dst, int64_t dst_ld, int64_t rows,
                int64_t cols) {
  for (int64_t r = 0; r < rows; ++r) std::copy(src + r * src_ld, src + r * src_ld + cols, dst + r * dst_ld);
}

inline void check_code(int32_t code, int64_t row, int64_t entries) {
  if (code < 0 || code >= entries)
    fail(ErrorCode::InvalidArgument, "embedding: code {} of row {} is outside [0, {})", code, row,
         entries);
}

template <class T>
void embedding_gather(const T* table, const int32_t* codes, int64_t code_stride, T* out,
                      int64_t out_ld, int64_t rows, int64_t entries, int64_t dim) {
  for (int64_t r = 0; r < rows; ++r) {
    const int32_t code = codes[r * code_stride];
    check_code(code, r, entries);
    std::copy(table + code * dim, table + (code + 1) * dim, out + r * out_ld);
  }
}

template <class T>
void embedding_scatter_add(const T* d_out, int64_t out_ld, const int32_t* codes,
                           int64_t code_stride, T* d_table, int64_t rows, int64_t entries,
                           int64_t dim) {
  for (int64_t r = 0; r < rows; ++r) {
    const int32_t code = codes[r * code_stride];
    check_code(code, r, entries);
    T* to = d_table + code * dim;
    for (int64_t e = 0; e < dim; ++e) to[e] += d_out[r * out_ld + e];
  }
}

// patches[s*N + t, c*P + p] = x[s, min(t*stride + p, length - 1), c]
template <class T>
void patchify_channels_forward(const T* x, T* patches, int64_t series, int64_t length,
                               int64_t channels, int64_t patch_length, int64_t stride,
                               int64_t tokens) {
  for (int64_t s = 0; s < series; ++s)
    for (int64_t t = 0; t < tokens; ++t) {
      T* token = patches + (s * tokens + t) * channels * patch_length;
      for (int64_t p = 0; p < patch_length; ++p) {
        const T* day = x + (s * length + std::min(t * stride + p, length - 1)) * channels;
        for (int64_t c = 0; c < channels; ++c) token[c * patch_length + p] = day[c];
      }
    }
}

template <class T>
void patchify_channels_backward(const T* d_patches, T* dx, int64_t series, int64_t length,
                                int64_t channels, int64_t patch_length, int64_t stride,
                                int64_t tokens) {
  std::fill(dx, dx + series * length * channels, T(0));
  for (int64_t s = 0; s < series; ++s)
    for (int64_t t = 0; t < tokens; ++t) {
      const T* token = d_patches + (s * tokens + t) * channels * patch_length;
      for (int64_t p = 0; p < patch_length; ++p) {
        T* day = dx + (s * length + std::min(t * stride + p, length - 1)) * channels;
        for (int64_t c = 0; c < channels; ++c) day[c] += token[c * patch_length + p];
      }
    }
}

template <class T>
void bias_gelu_forward(const T* x, const T* bias, T* y, int64_t rows, int64_t cols) {
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) {
      const T u = x[r * cols + c] + (bias ? bias[c] : T(0));
      y[r * cols + c] = u * normal_cdf(u);
    }
}

// gelu'(u) = Phi(u) + u phi(u)
template <class T>
void bias_gelu_backward(const T* x, const T* bias, const T* dy, T* dx, T* dbias, int64_t rows,
                        int64_t cols) {
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) {
      const T u = x[r * cols + c] + (bias ? bias[c] : T(0));
      dx[r * cols + c] = dy[r * cols + c] * (normal_cdf(u) + u * normal_pdf(u));
    }
  if (dbias) Eigen::Map<RowVector<T>>(dbias, cols) = ConstMatrixMap<T>(dx, rows, cols).colwise().sum();
}

template <class T>
void layer_norm_forward(const T* x, const T* gamma, const T* beta, T* y, T* mean, T* rstd,
                        int64_t rows, int64_t cols, T eps) {
  ConstMatrixMap<T> X(x, rows, cols);
  MatrixMap<T> Y(y, rows, cols);
  Eigen::Map<const RowVector<T>> G(gamma, cols), B(beta, cols);
  for (int64_t r = 0; r < rows; ++r) {
    const T mu = X.row(r).mean();
    const T var = (X.row(r).array() - mu).square().mean();
    const T inv = T(1) / std::sqrt(var + eps);
    Y.row(r) = ((X.row(r).array() - mu) * inv * G.array() + B.array()).matrix();
    if (mean) mean[r] = mu;
    if (rstd) rstd[r] = inv;
  }
}

// xhat = (x - mean) rstd, g = dy gamma:
// dx = rstd (g - mean(g) - xhat mean(g xhat)); dgamma = sum_rows dy xhat; dbeta = sum_rows dy
template <class T>
void layer_norm_backward(const T* x, const T* gamma, const T* dy, const T* mean, const T* rstd,
                         T* dx, T* dgamma, T* dbeta, int64_t rows, int64_t cols) {
  ConstMatrixMap<T> X(x, rows, cols), DY(dy, rows, cols);
  MatrixMap<T> DX(dx, rows, cols);
  Eigen::Map<const RowVector<T>> G(gamma, cols);
  RowVector<T> dgamma_sum = RowVector<T>::Zero(cols);
  for (int64_t r = 0; r < rows; ++r) {
    const RowVector<T> xhat = ((X.row(r).array() - mean[r]) * rstd[r]).matrix();
    const RowVector<T> g = DY.row(r).cwiseProduct(G);
    const T g_mean = g.mean();
    const T gx_mean = g.cwiseProduct(xhat).mean();
    DX.row(r) = (rstd[r] * (g.array() - g_mean - xhat.array() * gx_mean)).matrix();
    dgamma_sum += DY.row(r).cwiseProduct(xhat);
  }
  if (dgamma) Eigen::Map<RowVector<T>>(dgamma, cols) = dgamma_sum;
  if (dbeta) Eigen::Map<RowVector<T>>(dbeta, cols) = DY.colwise().sum();
}

template <class T>
void softmax_forward(const T* x, T* y, int64_t rows, int64_t cols) {
  ConstMatrixMap<T> X(x, rows, cols);
  MatrixMap<T> Y(y, rows, cols);
  for (int64_t r = 0; r < rows; ++r) {
    Y.row(r) = (X.row(r).array() - X.row(r).maxCoeff()).exp().matrix();
    Y.row(r) /= Y.row(r).sum();
  }
}

template <class T>
void softmax_backward(const T* y, const T* dy, T* dx, int64_t rows, int64_t cols) {
  ConstMatrixMap<T> Y(y, rows, cols), DY(dy, rows, cols);
  MatrixMap<T> DX(dx, rows, cols);
  for (int64_t r = 0; r < rows; ++r)
    DX.row(r) = Y.row(r).cwiseProduct((DY.row(r).array() - DY.row(r).dot(Y.row(r))).matrix());
}

// Per (batch, head): S = Q K^T / sqrt(dh), P = softmax_rows(S), O = P V, lse = logsumexp_rows(S),
// with key_lengths over the first key_lengths[b] columns only (P = 0 on the others); P copied to
// probabilities [batch, heads, n, n] when non-null.
template <class T>
void attention_forward(const AttentionDims& d, const T* q, const T* k, const T* v, T* out,
                       T* lse, T* probabilities = nullptr, const int32_t* key_lengths = nullptr) {
  const int64_t n = d.tokens, dh = d.head_dim;
  const T scale = T(1) / std::sqrt(T(dh));
  for (int64_t b = 0; b < d.batch; ++b)
    for (int64_t h = 0; h < d.heads; ++h) {
      const int64_t in_off = b * n * d.ld_qkv + h * dh;
      ConstStridedMap<T> Q(q + in_off, n, dh, Eigen::OuterStride<>(d.ld_qkv));
      ConstStridedMap<T> K(k + in_off, n, dh, Eigen::OuterStride<>(d.ld_qkv));
      ConstStridedMap<T> V(v + in_off, n, dh, Eigen::OuterStride<>(d.ld_qkv));
      StridedMap<T> O(out + b * n * d.ld_out + h * dh, n, dh, Eigen::OuterStride<>(d.ld_out));
      Matrix<T> S = scale * (Q * K.transpose());
      const int64_t keys = key_lengths ? key_lengths[b] : n;
      S.rightCols(n - keys).setZero();  // exp(-inf)
      for (int64_t i = 0; i < n; ++i) {
        auto row = S.row(i).head(keys);
        const T m = row.maxCoeff();
        row = (row.array() - m).exp().matrix();
        const T l = row.sum();
        row /= l;
        if (lse) lse[(b * d.heads + h) * n + i] = m + std::log(l);
      }
      if (probabilities) MatrixMap<T>(probabilities + (b * d.heads + h) * n * n, n, n) = S;
      O.noalias() = S * V;
    }
}

// P = exp(S - lse), dP = dO V^T, D = rowsum(dO o O), dS = P o (dP - D):
// dQ = dS K / sqrt(dh), dK = dS^T Q / sqrt(dh), dV = P^T dO.
template <class T>
void attention_backward(const AttentionDims& d, const T* q, const T* k, const T* v, const T* out,
                        const T* lse, const T* dout, T* dq, T* dk, T* dv) {
  const int64_t n = d.tokens, dh = d.head_dim;
  const T scale = T(1) / std::sqrt(T(dh));
  for (int64_t b = 0; b < d.batch; ++b)
    for (int64_t h = 0; h < d.heads; ++h) {
      const int64_t in_off = b * n * d.ld_qkv + h * dh;
      const int64_t out_off = b * n * d.ld_out + h * dh;
      const Eigen::OuterStride<> in_stride(d.ld_qkv), out_stride(d.ld_out);
      ConstStridedMap<T> Q(q + in_off, n, dh, in_stride), K(k + in_off, n, dh, in_stride),
          V(v + in_off, n, dh, in_stride);
      ConstStridedMap<T> O(out + out_off, n, dh, out_stride), DO(dout + out_off, n, dh, out_stride);
      Matrix<T> P = scale * (Q * K.transpose());
      for (int64_t i = 0; i < n; ++i)
        P.row(i) = (P.row(i).array() - lse[(b * d.heads + h) * n + i]).exp().matrix();
      const Matrix<T> dP = DO * V.transpose();
      const Eigen::Matrix<T, Eigen::Dynamic, 1> D = DO.cwiseProduct(O).rowwise().sum();
      const Matrix<T> dS = P.cwiseProduct((dP.colwise() - D).matrix());
      StridedMap<T>(dq + in_off, n, dh, in_stride).noalias() = scale * (dS * K);
      StridedMap<T>(dk + in_off, n, dh, in_stride).noalias() = scale * (dS.transpose() * Q);
      StridedMap<T>(dv + in_off, n, dh, in_stride).noalias() = P.transpose() * DO;
    }
}

template <class T>
void quantile_head_forward(const T* raw, T* q, int64_t rows, int64_t nq, int64_t m) {
  for (int64_t r = 0; r < rows; ++r) {
    const T* a = raw + r * nq;
    T* o = q + r * nq;
    o[m] = a[m];
    for (int64_t j = m + 1; j < nq; ++j) o[j] = o[j - 1] + softplus(a[j]);
    for (int64_t j = m - 1; j >= 0; --j) o[j] = o[j + 1] - softplus(a[j]);
  }
}

// Every q depends on raw[m] with slope 1; q[j'] (j' >= j > m) on raw[j] with
// slope sigmoid(raw[j]); q[j'] (j' <= j < m) with slope -sigmoid(raw[j]).
template <class T>
void quantile_head_backward(const T* raw, const T* dq, T* draw, int64_t rows, int64_t nq,
                            int64_t m) {
  for (int64_t r = 0; r < rows; ++r) {
    const T* a = raw + r * nq;
    const T* g = dq + r * nq;
    T* o = draw + r * nq;
    T upper = 0;
    for (int64_t j = nq - 1; j > m; --j) {
      upper += g[j];
      o[j] = sigmoid(a[j]) * upper;
    }
    T lower = 0;
    for (int64_t j = 0; j < m; ++j) {
      lower += g[j];
      o[j] = -sigmoid(a[j]) * lower;
    }
    o[m] = lower + g[m] + upper;
  }
}

template <class T>
void revin_normalize_forward(const T* x, const T* gamma, const T* beta, T* y, T* mean, T* std_dev,
                             int64_t rows, int64_t len, int64_t channels, T eps) {
  ConstMatrixMap<T> X(x, rows, len);
  MatrixMap<T> Y(y, rows, len);
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t c = r % channels;
    const T mu = X.row(r).mean();
    const T sd = std::sqrt((X.row(r).array() - mu).square().mean() + eps);
    Y.row(r) = ((X.row(r).array() - mu) / sd * gamma[c] + beta[c]).matrix();
    mean[r] = mu;
    std_dev[r] = sd;
  }
}

template <class T>
void revin_normalize_backward(const T* x, const T* mean, const T* std_dev, const T* dy, T* dgamma,
                              T* dbeta, int64_t rows, int64_t len, int64_t channels) {
  ConstMatrixMap<T> X(x, rows, len), DY(dy, rows, len);
  for (int64_t c = 0; c < channels; ++c) dgamma[c] = dbeta[c] = T(0);
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t c = r % channels;
    dgamma[c] += (DY.row(r).array() * (X.row(r).array() - mean[r]) / std_dev[r]).sum();
    dbeta[c] += DY.row(r).sum();
  }
}

template <class T>
void revin_denormalize_forward(const T* z, const T* gamma, const T* beta, const T* mean,
                               const T* std_dev, T* y, int64_t rows, int64_t len,
                               int64_t channels) {
  ConstMatrixMap<T> Z(z, rows, len);
  MatrixMap<T> Y(y, rows, len);
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t c = r % channels;
    Y.row(r) = ((Z.row(r).array() - beta[c]) / gamma[c] * std_dev[r] + mean[r]).matrix();
  }
}

// y = (z - beta) / gamma * s + mean:
// dz = dy s / gamma;  dbeta = -sum dy s / gamma;  dgamma = -sum dy s (z - beta) / gamma^2
template <class T>
void revin_denormalize_backward(const T* z, const T* gamma, const T* beta, const T* std_dev,
                                const T* dy, T* dz, T* dgamma, T* dbeta, int64_t rows,
                                int64_t len, int64_t channels) {
  ConstMatrixMap<T> Z(z, rows, len), DY(dy, rows, len);
  MatrixMap<T> DZ(dz, rows, len);
  if (dgamma)
    for (int64_t c = 0; c < channels; ++c) dgamma[c] = T(0);
  if (dbeta)
    for (int64_t c = 0; c < channels; ++c) dbeta[c] = T(0);
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t c = r % channels;
    const T slope = std_dev[r] / gamma[c];
    DZ.row(r) = DY.row(r) * slope;
    if (dgamma)
      dgamma[c] -= slope / gamma[c] * (DY.row(r).array() * (Z.row(r).array() - beta[c])).sum();
    if (dbeta) dbeta[c] -= slope * DY.row(r).sum();
  }
}

template <class T>
void mean_abs_scale_forward(const T* x, T* y, T* scale, int64_t rows, int64_t len, T min_scale) {
  ConstMatrixMap<T> X(x, rows, len);
  MatrixMap<T> Y(y, rows, len);
  for (int64_t r = 0; r < rows; ++r) {
    // max() written so that a NaN mean stays NaN.
    const T m = X.row(r).cwiseAbs().mean();
    const T s = m < min_scale ? min_scale : m;
    Y.row(r) = X.row(r) / s;
    scale[r] = s;
  }
}

template <class T>
void mean_abs_unscale(const T* z, const T* scale, T* y, int64_t rows, int64_t len) {
  ConstMatrixMap<T> Z(z, rows, len);
  MatrixMap<T> Y(y, rows, len);
  for (int64_t r = 0; r < rows; ++r) Y.row(r) = Z.row(r) * scale[r];
}

// The data-movement entries of an op table (add_rows, add_groups,
// sum_groups, copy_block, clamp_min, the patchify and embedding ops): loops
// with nothing to tune, which both host backends run as they are.
template <class T>
void set_host_data_ops(OpTable<T>& t) {
  t.add_rows = [](const Context&, const T* x, T* y, int64_t rows, int64_t cols, int64_t period) {
    add_rows(x, y, rows, cols, period);
  };
  t.add_rows_backward = [](const Context&, const T* dy, T* dx, int64_t rows, int64_t cols,
                           int64_t period) { add_rows_backward(dy, dx, rows, cols, period); };
  t.add_groups = [](const Context&, const T* x, T* y, int64_t groups, int64_t group_rows,
                    int64_t cols, T scale) { add_groups(x, y, groups, group_rows, cols, scale); };
  t.sum_groups = [](const Context&, const T* x, T* y, int64_t groups, int64_t group_rows,
                    int64_t cols, T scale) { sum_groups(x, y, groups, group_rows, cols, scale); };
  t.copy_block = [](const Context&, const T* src, int64_t src_ld, T* dst, int64_t dst_ld,
                    int64_t rows, int64_t cols) { copy_block(src, src_ld, dst, dst_ld, rows, cols); };
  t.embedding_gather = [](const Context&, const T* table, const int32_t* codes,
                          int64_t code_stride, T* out, int64_t out_ld, int64_t rows,
                          int64_t entries, int64_t dim) {
    embedding_gather(table, codes, code_stride, out, out_ld, rows, entries, dim);
  };
  t.embedding_scatter_add = [](const Context&, const T* d_out, int64_t out_ld,
                               const int32_t* codes, int64_t code_stride, T* d_table,
                               int64_t rows, int64_t entries, int64_t dim) {
    embedding_scatter_add(d_out, out_ld, codes, code_stride, d_table, rows, entries, dim);
  };
  t.clamp_min = [](const Context&, T* y, int64_t count, T floor) { clamp_min(y, count, floor); };
  t.patchify_forward = [](const Context&, const T* x, const uint8_t* hidden, T* patches,
                          int64_t series, int64_t length, int64_t patch_length, int64_t stride,
                          int64_t tokens) {
    patchify_forward(x, hidden, patches, series, length, patch_length, stride, tokens);
  };
  t.patchify_backward = [](const Context&, const T* d_patches, const uint8_t* hidden, T* dx,
                           int64_t series, int64_t length, int64_t patch_length, int64_t stride,
                           int64_t tokens) {
    patchify_backward(d_patches, hidden, dx, series, length, patch_length, stride, tokens);
  };
  t.patchify_channels_forward = [](const Context&, const T* x, T* patches, int64_t series,
                                   int64_t length, int64_t channels, int64_t patch_length,
                                   int64_t stride, int64_t tokens) {
    patchify_channels_forward(x, patches, series, length, channels, patch_length, stride, tokens);
  };
  t.patchify_channels_backward = [](const Context&, const T* d_patches, T* dx, int64_t series,
                                    int64_t length, int64_t channels, int64_t patch_length,
                                    int64_t stride, int64_t tokens) {
    patchify_channels_backward(d_patches, dx, series, length, channels, patch_length, stride,
                               tokens);
  };
}

}  // namespace invforecast::kernels::reference
