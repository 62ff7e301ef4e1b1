// The single source of the Cpu backend's kernels, written on a vector type V
// (ScalarVec, Vec128 or Avx2Vec).  Included once per ISA by cpu_kernels_<isa>.cpp,
// which defines V's namespace INVF_CPU_ISA_NS first; everything here has
// internal linkage, and only intrinsics and V are used, so no function
// compiled for one ISA can be picked by the linker for another.  Shapes are
// checked in ops.cpp.  Maths: see reference.hpp, op by op.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <initializer_list>

#include "cpu_kernels.hpp"

namespace invforecast::kernels::cpu::INVF_CPU_ISA_NS {
namespace {

using Reg = V::Reg;
constexpr int64_t W = V::width;
constexpr float kInfinity = __builtin_inff();

int64_t round_up(int64_t n, int64_t multiple) { return (n + multiple - 1) / multiple * multiple; }

void fill(float* p, int64_t n, float value) {
  for (int64_t i = 0; i < n; ++i) p[i] = value;
}

// Reductions keep four accumulators: one chain of dependent adds is what
// held LayerNorm (two reductions per 128-float row) to its latency.
float sum(const float* a, int64_t n) {
  Reg acc[4] = {V::zero(), V::zero(), V::zero(), V::zero()};
  int64_t i = 0;
  for (; i + 4 * W <= n; i += 4 * W)
    for (int u = 0; u < 4; ++u) acc[u] = V::add(acc[u], V::load(a + i + u * W));
  for (; i < n; i += W) acc[0] = V::add(acc[0], V::load_n(a + i, n - i < W ? n - i : W, 0.0f));
  return V::reduce_add(V::add(V::add(acc[0], acc[1]), V::add(acc[2], acc[3])));
}

float dot(const float* a, const float* b, int64_t n) {
  Reg acc0 = V::zero(), acc1 = V::zero();
  int64_t i = 0;
  for (; i + 2 * W <= n; i += 2 * W) {
    acc0 = V::fmadd(V::load(a + i), V::load(b + i), acc0);
    acc1 = V::fmadd(V::load(a + i + W), V::load(b + i + W), acc1);
  }
  for (; i < n; i += W) {
    const int64_t count = n - i < W ? n - i : W;
    acc0 = V::fmadd(V::load_n(a + i, count, 0.0f), V::load_n(b + i, count, 0.0f), acc0);
  }
  return V::reduce_add(V::add(acc0, acc1));
}

// sum (a - mu)^2
float centered_square_sum(const float* a, float mu, int64_t n) {
  const Reg m = V::set1(mu);
  Reg acc[4] = {V::zero(), V::zero(), V::zero(), V::zero()};
  int64_t i = 0;
  for (; i + 4 * W <= n; i += 4 * W)
    for (int u = 0; u < 4; ++u) {
      const Reg d = V::sub(V::load(a + i + u * W), m);
      acc[u] = V::fmadd(d, d, acc[u]);
    }
  for (; i < n; i += W) {
    const Reg d = V::sub(V::load_n(a + i, n - i < W ? n - i : W, mu), m);
    acc[0] = V::fmadd(d, d, acc[0]);
  }
  return V::reduce_add(V::add(V::add(acc[0], acc[1]), V::add(acc[2], acc[3])));
}

float abs_sum(const float* a, int64_t n) {
  Reg acc = V::zero();
  for (int64_t i = 0; i < n; i += W)
    acc = V::add(acc, V::abs(V::load_n(a + i, n - i < W ? n - i : W, 0.0f)));
  return V::reduce_add(acc);
}

float max_value(const float* a, int64_t n) {
  Reg acc = V::set1(-kInfinity);
  for (int64_t i = 0; i < n; i += W) acc = V::max(acc, V::load_n(a + i, n - i < W ? n - i : W, -kInfinity));
  return V::reduce_max(acc);
}

// y[i] = a * x[i] + y[i]
void axpy(float a, const float* x, float* y, int64_t n) {
  const Reg va = V::set1(a);
  for (int64_t i = 0; i < n; i += W) {
    const int64_t count = n - i < W ? n - i : W;
    V::store_n(y + i, V::fmadd(va, V::load_n(x + i, count, 0.0f), V::load_n(y + i, count, 0.0f)), count);
  }
}

void column_sums(const float* x, float* sums, int64_t rows, int64_t cols) {
  fill(sums, cols, 0.0f);
  for (int64_t r = 0; r < rows; ++r) axpy(1.0f, x + r * cols, sums, cols);
}

// The bias is added over a row first, then GELU runs over the row in place
// (V::gelu_in_place interleaves registers; the row is still in L1).
void bias_gelu_forward(const float* x, const float* bias, float* y, int64_t rows, int64_t cols) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * cols;
    float* yr = y + r * cols;
    for (int64_t c = 0; c < cols; c += W) {
      const int64_t count = cols - c < W ? cols - c : W;
      const Reg u = V::load_n(xr + c, count, 0.0f);
      V::store_n(yr + c, bias ? V::add(u, V::load_n(bias + c, count, 0.0f)) : u, count);
    }
    V::gelu_in_place(yr, cols);
  }
}

void bias_gelu_backward(const float* x, const float* bias, const float* dy, float* dx,
                        float* dbias, int64_t rows, int64_t cols) {
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; c += W) {
      const int64_t count = cols - c < W ? cols - c : W;
      Reg u = V::load_n(x + r * cols + c, count, 0.0f);
      if (bias) u = V::add(u, V::load_n(bias + c, count, 0.0f));
      const Reg slope = V::fmadd(u, V::normal_pdf(u), V::normal_cdf(u));
      V::store_n(dx + r * cols + c, V::mul(V::load_n(dy + r * cols + c, count, 0.0f), slope), count);
    }
  if (dbias) column_sums(dx, dbias, rows, cols);
}

void layer_norm_forward(const float* x, const float* gamma, const float* beta, float* y,
                        float* mean, float* rstd, int64_t rows, int64_t cols, float eps) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * cols;
    float* yr = y + r * cols;
    const float mu = sum(xr, cols) / static_cast<float>(cols);
    const float inv = 1.0f / std::sqrt(centered_square_sum(xr, mu, cols) / static_cast<float>(cols) + eps);
    const Reg vmu = V::set1(mu), vinv = V::set1(inv);
    for (int64_t c = 0; c < cols; c += W) {
      const int64_t count = cols - c < W ? cols - c : W;
      const Reg xhat = V::mul(V::sub(V::load_n(xr + c, count, 0.0f), vmu), vinv);
      V::store_n(yr + c, V::fmadd(xhat, V::load_n(gamma + c, count, 0.0f), V::load_n(beta + c, count, 0.0f)), count);
    }
    if (mean) mean[r] = mu;
    if (rstd) rstd[r] = inv;
  }
}

void layer_norm_backward(const float* x, const float* gamma, const float* dy, const float* mean,
                         const float* rstd, float* dx, float* dgamma, float* dbeta, int64_t rows,
                         int64_t cols) {
  if (dgamma) fill(dgamma, cols, 0.0f);
  if (dbeta) fill(dbeta, cols, 0.0f);
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * cols;
    const float* dyr = dy + r * cols;
    const Reg vmu = V::set1(mean[r]), vinv = V::set1(rstd[r]);
    Reg g_acc = V::zero(), gx_acc = V::zero();
    for (int64_t c = 0; c < cols; c += W) {
      const int64_t count = cols - c < W ? cols - c : W;
      const Reg g = V::mul(V::load_n(dyr + c, count, 0.0f), V::load_n(gamma + c, count, 0.0f));
      const Reg xhat = V::mul(V::sub(V::load_n(xr + c, count, 0.0f), vmu), vinv);
      g_acc = V::add(g_acc, g);
      gx_acc = V::fmadd(g, xhat, gx_acc);
    }
    const Reg g_mean = V::set1(V::reduce_add(g_acc) / static_cast<float>(cols));
    const Reg gx_mean = V::set1(V::reduce_add(gx_acc) / static_cast<float>(cols));
    for (int64_t c = 0; c < cols; c += W) {
      const int64_t count = cols - c < W ? cols - c : W;
      const Reg dyc = V::load_n(dyr + c, count, 0.0f);
      const Reg g = V::mul(dyc, V::load_n(gamma + c, count, 0.0f));
      const Reg xhat = V::mul(V::sub(V::load_n(xr + c, count, 0.0f), vmu), vinv);
      const Reg centered = V::sub(V::sub(g, g_mean), V::mul(xhat, gx_mean));
      V::store_n(dx + r * cols + c, V::mul(vinv, centered), count);
      if (dgamma) V::store_n(dgamma + c, V::fmadd(dyc, xhat, V::load_n(dgamma + c, count, 0.0f)), count);
      if (dbeta) V::store_n(dbeta + c, V::add(dyc, V::load_n(dbeta + c, count, 0.0f)), count);
    }
  }
}

void softmax_forward(const float* x, float* y, int64_t rows, int64_t cols) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * cols;
    float* yr = y + r * cols;
    const Reg m = V::set1(max_value(xr, cols));
    Reg acc = V::zero();
    for (int64_t c = 0; c < cols; c += W) {
      const int64_t count = cols - c < W ? cols - c : W;
      const Reg e = V::exp(V::sub(V::load_n(xr + c, count, -kInfinity), m));
      acc = V::add(acc, e);
      V::store_n(yr + c, e, count);
    }
    const Reg inv = V::set1(1.0f / V::reduce_add(acc));
    for (int64_t c = 0; c < cols; c += W) {
      const int64_t count = cols - c < W ? cols - c : W;
      V::store_n(yr + c, V::mul(V::load_n(yr + c, count, 0.0f), inv), count);
    }
  }
}

void softmax_backward(const float* y, const float* dy, float* dx, int64_t rows, int64_t cols) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* yr = y + r * cols;
    const float* dyr = dy + r * cols;
    const Reg d = V::set1(dot(yr, dyr, cols));
    for (int64_t c = 0; c < cols; c += W) {
      const int64_t count = cols - c < W ? cols - c : W;
      const Reg yc = V::load_n(yr + c, count, 0.0f);
      V::store_n(dx + r * cols + c, V::mul(yc, V::sub(V::load_n(dyr + c, count, 0.0f), d)), count);
    }
  }
}

// dst[d * ld_dst + j] = src[j * ld_src + d] for j < n, d < dh; columns n..ld_dst zeroed.
// Whole W x W blocks go through registers; the ragged edges element by element.
void transpose_head(const float* src, int64_t ld_src, int64_t n, int64_t dh, float* dst,
                    int64_t ld_dst) {
  const int64_t n_blocks = n / W * W, dh_blocks = dh / W * W;
  for (int64_t j = 0; j < n_blocks; j += W)
    for (int64_t d = 0; d < dh_blocks; d += W)
      V::transpose_block(src + j * ld_src + d, ld_src, dst + d * ld_dst + j, ld_dst);
  for (int64_t d = 0; d < dh; ++d) {
    for (int64_t j = d < dh_blocks ? n_blocks : 0; j < n; ++j) dst[d * ld_dst + j] = src[j * ld_src + d];
    fill(dst + d * ld_dst + n, ld_dst - n, 0.0f);
  }
}

// One register block of small_gemm: R rows by NC vectors of columns from j0,
// accumulated over the whole inner dimension, then handed to store(row,
// column, accumulator, lanes) (row counts from a's first row), which scales
// and writes it or fuses an elementwise step.  Full blocks (every vector
// inside cols) load without masks: a branch per load in the inner loop made
// the compiler keep the accumulators in memory.
template <int R, int NC, bool kFull, class Store>
void gemm_block_of(int64_t inner, const float* a, int64_t a_row, int64_t a_col, const float* b,
                   int64_t ldb, int64_t i0, int64_t j0, int64_t cols, const Store& store) {
  Reg acc[R][NC];
  int64_t count[NC];
  for (int nc = 0; nc < NC; ++nc) {
    const int64_t left = cols - j0 - nc * W;
    count[nc] = left < W ? left : W;
    for (int r = 0; r < R; ++r) acc[r][nc] = V::zero();
  }
  for (int64_t k = 0; k < inner; ++k) {
    Reg bk[NC];
    for (int nc = 0; nc < NC; ++nc)
      bk[nc] = kFull ? V::load(b + k * ldb + j0 + nc * W)
                     : V::load_n(b + k * ldb + j0 + nc * W, count[nc], 0.0f);
    for (int r = 0; r < R; ++r) {
      const Reg ar = V::set1(a[r * a_row + k * a_col]);
      for (int nc = 0; nc < NC; ++nc) acc[r][nc] = V::fmadd(ar, bk[nc], acc[r][nc]);
    }
  }
  for (int r = 0; r < R; ++r)
    for (int nc = 0; nc < NC; ++nc) store(i0 + r, j0 + nc * W, acc[r][nc], kFull ? W : count[nc]);
}

template <int R, int NC, class Store>
void gemm_block(int64_t inner, const float* a, int64_t a_row, int64_t a_col, const float* b,
                int64_t ldb, int64_t i0, int64_t j0, int64_t cols, const Store& store) {
  if (cols - j0 >= NC * W)
    gemm_block_of<R, NC, true>(inner, a, a_row, a_col, b, ldb, i0, j0, cols, store);
  else
    gemm_block_of<R, NC, false>(inner, a, a_row, a_col, b, ldb, i0, j0, cols, store);
}

// Blocks of 6 rows (12 accumulators at NC = 2; 42 tokens are 7 blocks).
template <int NC, class Store>
void gemm_column_panel(int64_t m, int64_t inner, const float* a, int64_t a_row, int64_t a_col,
                       const float* b, int64_t ldb, int64_t j0, int64_t cols, const Store& store) {
  int64_t i = 0;
  for (; i + 6 <= m; i += 6) gemm_block<6, NC>(inner, a + i * a_row, a_row, a_col, b, ldb, i, j0, cols, store);
  const float* rest = a + i * a_row;
  switch (m - i) {
    case 5: gemm_block<5, NC>(inner, rest, a_row, a_col, b, ldb, i, j0, cols, store); break;
    case 4: gemm_block<4, NC>(inner, rest, a_row, a_col, b, ldb, i, j0, cols, store); break;
    case 3: gemm_block<3, NC>(inner, rest, a_row, a_col, b, ldb, i, j0, cols, store); break;
    case 2: gemm_block<2, NC>(inner, rest, a_row, a_col, b, ldb, i, j0, cols, store); break;
    case 1: gemm_block<1, NC>(inner, rest, a_row, a_col, b, ldb, i, j0, cols, store); break;
    default: break;
  }
}

// For i < m, j < cols: store(i, j, sum_k A(i, k) b[k * ldb + j], lanes), one
// vector of columns at a time, with A(i, k) = a[i * a_row + k * a_col] (so A
// may be read transposed).  The attention tiles are far below what a GEMM
// library is tuned for.
template <class Store>
void small_gemm_to(int64_t m, int64_t cols, int64_t inner, const float* a, int64_t a_row,
                   int64_t a_col, const float* b, int64_t ldb, const Store& store) {
  for (int64_t j0 = 0; j0 < cols; j0 += 2 * W) {
    if (cols - j0 > W)
      gemm_column_panel<2>(m, inner, a, a_row, a_col, b, ldb, j0, cols, store);
    else
      gemm_column_panel<1>(m, inner, a, a_row, a_col, b, ldb, j0, cols, store);
  }
}

// c[i, j] = alpha * sum_k A(i, k) b[k * ldb + j] (row stride ldc).
void small_gemm(int64_t m, int64_t cols, int64_t inner, float alpha, const float* a, int64_t a_row,
                int64_t a_col, const float* b, int64_t ldb, float* c, int64_t ldc) {
  const Reg scale = V::set1(alpha);
  small_gemm_to(m, cols, inner, a, a_row, a_col, b, ldb,
                [c, ldc, scale](int64_t i, int64_t j, Reg acc, int64_t lanes) {
                  V::store_n(c + i * ldc + j, V::mul(acc, scale), lanes);
                });
}

// Rows [0, rows) (row stride ld), columns [0, width) of one head's slice,
// requested into L2 ahead of use, each cache line once.  A head's rows are a
// cache line or so each, one row stride apart: the hardware prefetchers miss
// that pattern, and waiting on memory held attention at about 60% of its
// in-cache speed at batch 256.  Callers spread these requests between the
// GEMMs: issued all at once they stall on the outstanding misses (measured
// 15% slower), and into L1 they were 10% slower than into L2.
constexpr uintptr_t kCacheLineBytes = 64;
void prefetch_head_rows(const float* p, int64_t rows, int64_t ld, int64_t width) {
  for (int64_t r = 0; r < rows; ++r) {
    // Addresses as integers: the first line may start before the array.
    const uintptr_t first = reinterpret_cast<uintptr_t>(p + r * ld);
    const uintptr_t end = reinterpret_cast<uintptr_t>(p + r * ld + width);
    for (uintptr_t line = first - first % kCacheLineBytes; line < end; line += kCacheLineBytes)
      __builtin_prefetch(reinterpret_cast<const void*>(line), 0, 2);
  }
}

// (b, h) of the head after this one in the loops' order; false after the last.
bool next_head(const AttentionDims& dims, int64_t b, int64_t h, int64_t& next_b, int64_t& next_h) {
  next_b = h + 1 < dims.heads ? b : b + 1;
  next_h = h + 1 < dims.heads ? h + 1 : 0;
  return next_b < dims.batch;
}

// Prefetching the next head pays only when q, k and v do not fit in L2
// anyway: for a forecast tile of 8 series at the default shape (0.5 MB) the
// requests only cost time (measured 5% of the forward attention).
constexpr int64_t kPrefetchAboveBytes = int64_t{1} << 20;
bool prefetch_pays(const AttentionDims& dims) {
  return dims.batch * dims.tokens * dims.ld_qkv * static_cast<int64_t>(sizeof(float)) >
         kPrefetchAboveBytes;
}

// Workspace of one (batch, head), in floats (ops.cpp sizes it the same way):
// the score tile [n, np], K^T and V^T [dh, np], then per-row values: the
// rows' 1 / sum and maxima (forward) or rowsum(dO o O) (backward).
struct AttentionWorkspace {
  float* tile;
  float* kt;
  float* vt;
  float* row_scale;
  float* row_max;
  float* row_delta;
  AttentionWorkspace(float* base, int64_t np, int64_t dh)
      : tile(base), kt(base + np * np), vt(kt + dh * np), row_scale(vt + dh * np),
        row_max(row_scale + np), row_delta(row_scale) {}
};

// Softmax of score rows of NV vectors held in registers: load the row,
// its maximum, the exponentials and their sum, one store; no second pass
// over the row for the maximum.  Rows are independent, so the out-of-order
// core overlaps one row's reductions with the next row's exponentials.
template <int NV>
void softmax_rows_in_registers(float* tile, int64_t np, int64_t n, float* row_max,
                               float* row_scale, float* lse) {
  for (int64_t i = 0; i < n; ++i) {
    float* p = tile + i * np;
    Reg x[NV];
#pragma GCC unroll 8
    for (int v = 0; v < NV; ++v) x[v] = V::load(p + v * W);
    Reg m = x[0];
#pragma GCC unroll 8
    for (int v = 1; v < NV; ++v) m = V::max(x[v], m);
    row_max[i] = V::reduce_max(m);
    const Reg vm = V::set1(row_max[i]);
#pragma GCC unroll 8
    for (int v = 0; v < NV; ++v) x[v] = V::sub(x[v], vm);
    V::template exp_nonpositive<NV>(x);
    Reg total = x[0];
#pragma GCC unroll 8
    for (int v = 1; v < NV; ++v) total = V::add(total, x[v]);
#pragma GCC unroll 8
    for (int v = 0; v < NV; ++v) V::store(p + v * W, x[v]);
    const float l = V::reduce_add(total);
    row_scale[i] = 1.0f / l;
    if (lse) lse[i] = row_max[i] + std::log(l);
  }
}

// Longer rows: a pass for the maxima, then one for the exponentials and sums.
void softmax_rows_in_passes(float* tile, int64_t np, int64_t n, float* row_max, float* row_scale,
                            float* lse) {
  for (int64_t i = 0; i < n; ++i) row_max[i] = max_value(tile + i * np, np);
  for (int64_t i = 0; i < n; ++i) {
    float* p = tile + i * np;
    const Reg vm = V::set1(row_max[i]);
    Reg total = V::zero();
    for (int64_t j0 = 0; j0 < np; j0 += W) {
      const Reg e = V::exp_nonpositive(V::sub(V::load(p + j0), vm));
      total = V::add(total, e);
      V::store(p + j0, e);
    }
    const float l = V::reduce_add(total);
    row_scale[i] = 1.0f / l;
    if (lse) lse[i] = row_max[i] + std::log(l);
  }
}

// The softmax of one head's scores S = scale Q K^T, by rows, in the tile
// [n, np] (np = n rounded up to the vector width).  The GEMM stores -inf in
// the padding columns, and in the masked ones from `keys` (<= n) on, as it
// goes (no separate fill, whose scalar stores stalled the vector loads after
// them).  A row's padding lanes end as exp(-87) (exp_nonpositive's floor),
// far below the row maximum's 1, so they leave its sum unchanged; O = P V
// reads only the `keys` real columns.
void scores_softmax(const float* q, int64_t ld, int64_t dh, const float* kt, int64_t np, int64_t n,
                    int64_t keys, float scale, float* tile, float* row_max, float* row_scale,
                    float* lse) {
  const Reg vscale = V::set1(scale);
  small_gemm_to(n, np, dh, q, ld, 1, kt, np,
                [tile, np, keys, vscale](int64_t i, int64_t j, Reg acc, int64_t) {
                  Reg s = V::mul(acc, vscale);
                  if (j + W > keys) s = V::keep_n(s, std::max<int64_t>(keys - j, 0), -kInfinity);
                  V::store(tile + i * np + j, s);
                });
  switch (np / W) {
    case 1: softmax_rows_in_registers<1>(tile, np, n, row_max, row_scale, lse); return;
    case 2: softmax_rows_in_registers<2>(tile, np, n, row_max, row_scale, lse); return;
    case 3: softmax_rows_in_registers<3>(tile, np, n, row_max, row_scale, lse); return;
    case 4: softmax_rows_in_registers<4>(tile, np, n, row_max, row_scale, lse); return;
    case 5: softmax_rows_in_registers<5>(tile, np, n, row_max, row_scale, lse); return;
    case 6: softmax_rows_in_registers<6>(tile, np, n, row_max, row_scale, lse); return;
    default: softmax_rows_in_passes(tile, np, n, row_max, row_scale, lse); return;
  }
}

// Per (batch, head): the softmax of S = scale Q K^T in one tile (recording
// lse), the keys past a sequence's length masked, then O = P V; P = diag(1/l)
// E copied out when asked.
void attention_forward(const AttentionDims& dims, const float* q, const float* k, const float* v,
                       float* out, float* lse, float* workspace, float* probabilities,
                       const int32_t* key_lengths) {
  const int64_t n = dims.tokens, dh = dims.head_dim, np = round_up(n, W);
  const int64_t ld = dims.ld_qkv, ldo = dims.ld_out;
  const float scale = 1.0f / std::sqrt(static_cast<float>(dh));
  const AttentionWorkspace ws(workspace, np, dh);
  const bool prefetch = prefetch_pays(dims);
  for (int64_t b = 0; b < dims.batch; ++b)
    for (int64_t h = 0; h < dims.heads; ++h) {
      const int64_t in_off = b * n * ld + h * dh;
      int64_t nb = 0, nh = 0;
      const bool ahead = prefetch && next_head(dims, b, h, nb, nh);
      const int64_t next_in = nb * n * ld + nh * dh, next_out = nb * n * ldo + nh * dh;
      if (ahead) for (const float* x : {q, k}) prefetch_head_rows(x + next_in, n, ld, dh);
      transpose_head(k + in_off, ld, n, dh, ws.kt, np);
      float* head_lse = lse ? lse + (b * dims.heads + h) * n : nullptr;
      const int64_t keys = key_lengths ? key_lengths[b] : n;
      scores_softmax(q + in_off, ld, dh, ws.kt, np, n, keys, scale, ws.tile, ws.row_max,
                     ws.row_scale, head_lse);
      if (probabilities) {
        float* p = probabilities + (b * dims.heads + h) * n * n;
        for (int64_t i = 0; i < n; ++i)
          for (int64_t j = 0; j < n; ++j)
            p[i * n + j] = j < keys ? ws.tile[i * np + j] * ws.row_scale[i] : 0.0f;
      }
      // O = diag(1/l) E V, scaled as the GEMM stores it: normalising the n x dh
      // output is cheaper than the n x n tile.
      if (ahead) {
        prefetch_head_rows(v + next_in, n, ld, dh);
        prefetch_head_rows(out + next_out, n, ldo, dh);
      }
      float* o = out + b * n * ldo + h * dh;
      const float* row_scale = ws.row_scale;
      small_gemm_to(n, dh, keys, ws.tile, np, 1, v + in_off, ld,
                    [o, ldo, row_scale](int64_t i, int64_t j, Reg acc, int64_t lanes) {
                      V::store_n(o + i * ldo + j, V::mul(acc, V::set1(row_scale[i])), lanes);
                    });
    }
}

void attention_backward(const AttentionDims& dims, const float* q, const float* k, const float* v,
                        const float* out, const float* lse, const float* dout, float* dq,
                        float* dk, float* dv, float* workspace) {
  const int64_t n = dims.tokens, dh = dims.head_dim, np = round_up(n, W);
  const int64_t ld = dims.ld_qkv, ldo = dims.ld_out;
  const float scale = 1.0f / std::sqrt(static_cast<float>(dh));
  const AttentionWorkspace ws(workspace, np, dh);
  const bool prefetch = prefetch_pays(dims);
  float* tile = ws.tile;
  for (int64_t b = 0; b < dims.batch; ++b)
    for (int64_t h = 0; h < dims.heads; ++h) {
      const int64_t in_off = b * n * ld + h * dh;
      const int64_t out_off = b * n * ldo + h * dh;
      const float* head_lse = lse + (b * dims.heads + h) * n;
      const float* head_dout = dout + out_off;
      int64_t nb = 0, nh = 0;
      const bool ahead = prefetch && next_head(dims, b, h, nb, nh);
      const int64_t next_in = nb * n * ld + nh * dh, next_out = nb * n * ldo + nh * dh;
      if (ahead) for (const float* x : {q, k}) prefetch_head_rows(x + next_in, n, ld, dh);
      transpose_head(k + in_off, ld, n, dh, ws.kt, np);
      transpose_head(v + in_off, ld, n, dh, ws.vt, np);
      small_gemm(n, np, dh, scale, q + in_off, ld, 1, ws.kt, np, tile, np);
      // scale S - lse <= 0 but for rounding, where exp_nonpositive still holds.
      for (int64_t i = 0; i < n; ++i) {
        float* p = tile + i * np;
        const Reg row_lse = V::set1(head_lse[i]);
        for (int64_t j0 = 0; j0 < np; j0 += W) V::store(p + j0, V::exp_nonpositive(V::sub(V::load(p + j0), row_lse)));
      }
      if (ahead) {
        prefetch_head_rows(v + next_in, n, ld, dh);
        prefetch_head_rows(out + next_out, n, ldo, dh);
      }
      small_gemm(n, dh, n, 1.0f, tile, 1, np, head_dout, ldo, dv + in_off, ld);
      if (ahead) prefetch_head_rows(dout + next_out, n, ldo, dh);
      float* row_delta = ws.row_delta;
      for (int64_t i = 0; i < n; ++i) row_delta[i] = dot(head_dout + i * ldo, out + out_off + i * ldo, dh);
      small_gemm_to(n, np, dh, head_dout, ldo, 1, ws.vt, np,
                    [tile, np, row_delta](int64_t i, int64_t j, Reg acc, int64_t lanes) {
                      float* p = tile + i * np + j;
                      const Reg ds = V::mul(V::load_n(p, lanes, 0.0f), V::sub(acc, V::set1(row_delta[i])));
                      V::store_n(p, ds, lanes);
                    });
      if (ahead) prefetch_head_rows(dq + next_in, n, ld, dh);
      small_gemm(n, dh, n, scale, tile, np, 1, k + in_off, ld, dq + in_off, ld);
      if (ahead) for (const float* x : {dk, dv}) prefetch_head_rows(x + next_in, n, ld, dh);
      small_gemm(n, dh, n, scale, tile, 1, np, q + in_off, ld, dk + in_off, ld);
    }
}

// Softplus of every entry first (vectorised), then the running sums per row.
void quantile_head_forward(const float* raw, float* q, int64_t rows, int64_t nq, int64_t m) {
  const int64_t total = rows * nq;
  for (int64_t i = 0; i < total; i += W) {
    const int64_t count = total - i < W ? total - i : W;
    V::store_n(q + i, V::softplus(V::load_n(raw + i, count, 0.0f)), count);
  }
  for (int64_t r = 0; r < rows; ++r) {
    float* o = q + r * nq;
    o[m] = raw[r * nq + m];
    for (int64_t j = m + 1; j < nq; ++j) o[j] += o[j - 1];
    for (int64_t j = m - 1; j >= 0; --j) o[j] = o[j + 1] - o[j];
  }
}

void quantile_head_backward(const float* raw, const float* dq, float* draw, int64_t rows,
                            int64_t nq, int64_t m) {
  const int64_t total = rows * nq;
  for (int64_t i = 0; i < total; i += W) {
    const int64_t count = total - i < W ? total - i : W;
    V::store_n(draw + i, V::sigmoid(V::load_n(raw + i, count, 0.0f)), count);
  }
  for (int64_t r = 0; r < rows; ++r) {
    const float* g = dq + r * nq;
    float* o = draw + r * nq;
    float upper = 0.0f;
    for (int64_t j = nq - 1; j > m; --j) {
      upper += g[j];
      o[j] *= upper;
    }
    float lower = 0.0f;
    for (int64_t j = 0; j < m; ++j) {
      lower += g[j];
      o[j] *= -lower;
    }
    o[m] = lower + g[m] + upper;
  }
}

// y = (x - shift) * a + c over one row; shifting first keeps nearly constant
// rows exact when a is large.
void affine_row(const float* x, float shift, float a, float c, float* y, int64_t n) {
  const Reg vs = V::set1(shift), va = V::set1(a), vc = V::set1(c);
  for (int64_t i = 0; i < n; i += W) {
    const int64_t count = n - i < W ? n - i : W;
    V::store_n(y + i, V::fmadd(V::sub(V::load_n(x + i, count, 0.0f), vs), va, vc), count);
  }
}

void revin_normalize_forward(const float* x, const float* gamma, const float* beta, float* y,
                             float* mean, float* std_dev, int64_t rows, int64_t len,
                             int64_t channels, float eps) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * len;
    const int64_t c = r % channels;
    const float mu = sum(xr, len) / static_cast<float>(len);
    const float sd = std::sqrt(centered_square_sum(xr, mu, len) / static_cast<float>(len) + eps);
    const float a = gamma[c] / sd;
    affine_row(xr, mu, a, beta[c], y + r * len, len);
    mean[r] = mu;
    std_dev[r] = sd;
  }
}

void revin_normalize_backward(const float* x, const float* mean, const float* std_dev,
                              const float* dy, float* dgamma, float* dbeta, int64_t rows,
                              int64_t len, int64_t channels) {
  fill(dgamma, channels, 0.0f);
  fill(dbeta, channels, 0.0f);
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t c = r % channels;
    const float dy_sum = sum(dy + r * len, len);
    // sum dy (x - mu) / sd = (sum dy x - mu sum dy) / sd
    dgamma[c] += (dot(dy + r * len, x + r * len, len) - mean[r] * dy_sum) / std_dev[r];
    dbeta[c] += dy_sum;
  }
}

void revin_denormalize_forward(const float* z, const float* gamma, const float* beta,
                               const float* mean, const float* std_dev, float* y, int64_t rows,
                               int64_t len, int64_t channels) {
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t c = r % channels;
    const float slope = std_dev[r] / gamma[c];
    affine_row(z + r * len, beta[c], slope, mean[r], y + r * len, len);
  }
}

void revin_denormalize_backward(const float* z, const float* gamma, const float* beta,
                                const float* std_dev, const float* dy, float* dz, float* dgamma,
                                float* dbeta, int64_t rows, int64_t len, int64_t channels) {
  if (dgamma) fill(dgamma, channels, 0.0f);
  if (dbeta) fill(dbeta, channels, 0.0f);
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t c = r % channels;
    const float slope = std_dev[r] / gamma[c];
    const float* dyr = dy + r * len;
    affine_row(dyr, 0.0f, slope, 0.0f, dz + r * len, len);
    const float dy_sum = sum(dyr, len);
    if (dgamma) dgamma[c] -= slope / gamma[c] * (dot(dyr, z + r * len, len) - beta[c] * dy_sum);
    if (dbeta) dbeta[c] -= slope * dy_sum;
  }
}

void mean_abs_scale_forward(const float* x, float* y, float* scale, int64_t rows, int64_t len,
                            float min_scale) {
  for (int64_t r = 0; r < rows; ++r) {
    const float m = abs_sum(x + r * len, len) / static_cast<float>(len);
    const float s = m < min_scale ? min_scale : m;  // a NaN mean stays NaN
    const Reg vs = V::set1(s);
    for (int64_t i = 0; i < len; i += W) {
      const int64_t count = len - i < W ? len - i : W;
      V::store_n(y + r * len + i, V::div(V::load_n(x + r * len + i, count, 0.0f), vs), count);
    }
    scale[r] = s;
  }
}

void mean_abs_unscale(const float* z, const float* scale, float* y, int64_t rows, int64_t len) {
  for (int64_t r = 0; r < rows; ++r) affine_row(z + r * len, 0.0f, scale[r], 0.0f, y + r * len, len);
}

constexpr CpuKernels kTable{
    column_sums,
    bias_gelu_forward,
    bias_gelu_backward,
    layer_norm_forward,
    layer_norm_backward,
    softmax_forward,
    softmax_backward,
    attention_forward,
    attention_backward,
    quantile_head_forward,
    quantile_head_backward,
    revin_normalize_forward,
    revin_normalize_backward,
    revin_denormalize_forward,
    revin_denormalize_backward,
    mean_abs_scale_forward,
    mean_abs_unscale,
};

}  // namespace
}  // namespace invforecast::kernels::cpu::INVF_CPU_ISA_NS
