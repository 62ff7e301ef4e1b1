// Shape checks and dispatch: the one place each op is entered.  Every op
// checks its arguments, then runs its context backend's table entry.
#include "ops.hpp"

#include <cmath>

#include "cpu_kernels.hpp"
#include "error.hpp"

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

template <class T>
const char* type_name() {
  return sizeof(T) == sizeof(float) ? "float32" : "float64";
}

// Runs the context backend's implementation of `op`, or refuses a backend
// without one (Unsupported).
template <class T, class Entry, class... Args>
void dispatch(const Context& ctx, const char* op, Entry OpTable<T>::*entry, Args&&... args) {
  const OpTable<T>* table = ctx.backend().template ops<T>();
  if (!table || !(table->*entry))
    fail(ErrorCode::Unsupported, "{}: the {} backend has no {} implementation", op,
         ctx.backend().name(), type_name<T>());
  (table->*entry)(ctx, std::forward<Args>(args)...);
}

void check_linear(int64_t rows, int64_t in, int64_t out, const void* x, const void* w,
                  const void* y, const char* op) {
  require_rows(rows, op);
  require_positive(in, op, "in_features");
  require_positive(out, op, "out_features");
  require_rows_data(x, rows, op, "x");
  require(w, op, "w");
  require_rows_data(y, rows, op, "y");
}

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

void check_patches(int64_t series, int64_t length, int64_t patch_length, int64_t stride,
                   int64_t tokens, const char* op) {
  require_rows(series, op);
  require_positive(length, op, "length");
  require_positive(patch_length, op, "patch_length");
  require_positive(stride, op, "stride");
  require_positive(tokens, op, "tokens");
}

template <class T>
void check_positive_finite(T value, const char* op, const char* name) {
  if (!(value > T(0)) || !std::isfinite(value))
    fail(ErrorCode::InvalidArgument, "{}: {} must be positive and finite, got {}", op, name, value);
}

}  // namespace

template <class T>
void linear_forward(const Context& ctx, const T* x, const Same<T>* w, const Same<T>* b,
                    Same<T>* y, int64_t rows, int64_t in, int64_t out) {
  constexpr const char* op = "linear_forward";
  check_linear(rows, in, out, x, w, y, op);
  dispatch(ctx, op, &OpTable<T>::linear_forward, x, w, b, y, rows, in, out, Epilogue::None);
}

template <class T>
void linear_gelu_forward(const Context& ctx, const T* x, const Same<T>* w, const Same<T>* b,
                         Same<T>* y, int64_t rows, int64_t in, int64_t out) {
  constexpr const char* op = "linear_gelu_forward";
  check_linear(rows, in, out, x, w, y, op);
  dispatch(ctx, op, &OpTable<T>::linear_forward, x, w, b, y, rows, in, out, Epilogue::Gelu);
}

namespace {

void prepared_linear(const Context& ctx, const PreparedLinear& layer, const float* x, float* y,
                     int64_t rows, Epilogue epilogue, bool accumulate, const char* op) {
  require_rows(rows, op);
  if (!layer.weight())
    fail(ErrorCode::InvalidArgument, "{}: the PreparedLinear holds no weights", op);
  if (layer.backend() != ctx.kind())
    fail(ErrorCode::InvalidArgument,
         "{}: the weights were prepared by the {} backend, the context runs {}", op,
         backend_name(layer.backend()), ctx.backend().name());
  require_rows_data(x, rows, op, "x");
  require_rows_data(y, rows, op, "y");
  if (rows == 0) return;
  dispatch(ctx, op, &OpTable<float>::prepared_linear_forward, layer, x, y, rows, epilogue,
           accumulate);
}

}  // namespace

void linear_forward(const Context& ctx, const PreparedLinear& layer, const float* x, float* y,
                    int64_t rows) {
  prepared_linear(ctx, layer, x, y, rows, Epilogue::None, false, "linear_forward");
}

void linear_gelu_forward(const Context& ctx, const PreparedLinear& layer, const float* x,
                         float* y, int64_t rows) {
  prepared_linear(ctx, layer, x, y, rows, Epilogue::Gelu, false, "linear_gelu_forward");
}

void linear_residual_forward(const Context& ctx, const PreparedLinear& layer, const float* x,
                             float* y, int64_t rows) {
  prepared_linear(ctx, layer, x, y, rows, Epilogue::None, true, "linear_residual_forward");
}

template <class T>
void linear_backward(const Context& ctx, const T* x, const Same<T>* w, const Same<T>* dy,
                     Same<T>* dx, Same<T>* dw, Same<T>* db, int64_t rows, int64_t in,
                     int64_t out) {
  constexpr const char* op = "linear_backward";
  check_linear(rows, in, out, x, w, dy, op);
  dispatch(ctx, op, &OpTable<T>::linear_backward, x, w, dy, dx, dw, db, rows, in, out);
}

template <class T>
void add_rows(const Context& ctx, const T* x, Same<T>* y, int64_t rows, int64_t cols,
              int64_t period) {
  constexpr const char* op = "add_rows";
  require_rows(rows, op);
  require_positive(cols, op, "cols");
  require_positive(period, op, "period");
  require_rows_data(x, rows, op, "x");
  require_rows_data(y, rows, op, "y");
  dispatch(ctx, op, &OpTable<T>::add_rows, x, y, rows, cols, period);
}

template <class T>
void add_rows_backward(const Context& ctx, const T* dy, Same<T>* dx, int64_t rows, int64_t cols,
                       int64_t period) {
  constexpr const char* op = "add_rows_backward";
  require_rows(rows, op);
  require_positive(cols, op, "cols");
  require_positive(period, op, "period");
  require_rows_data(dy, rows, op, "dy");
  require(dx, op, "dx");
  dispatch(ctx, op, &OpTable<T>::add_rows_backward, dy, dx, rows, cols, period);
}

template <class T>
void clamp_min(const Context& ctx, T* y, int64_t count, Same<T> floor) {
  constexpr const char* op = "clamp_min";
  require_rows(count, op);
  require_rows_data(y, count, op, "y");
  dispatch(ctx, op, &OpTable<T>::clamp_min, y, count, floor);
}

template <class T>
void patchify_forward(const Context& ctx, const T* x, const uint8_t* hidden, Same<T>* patches,
                      int64_t series, int64_t length, int64_t patch_length, int64_t stride,
                      int64_t tokens) {
  constexpr const char* op = "patchify_forward";
  check_patches(series, length, patch_length, stride, tokens, op);
  require_rows_data(x, series, op, "x");
  require_rows_data(patches, series, op, "patches");
  dispatch(ctx, op, &OpTable<T>::patchify_forward, x, hidden, patches, series, length,
           patch_length, stride, tokens);
}

template <class T>
void patchify_backward(const Context& ctx, const T* d_patches, const uint8_t* hidden,
                       Same<T>* dx, int64_t series, int64_t length, int64_t patch_length,
                       int64_t stride, int64_t tokens) {
  constexpr const char* op = "patchify_backward";
  check_patches(series, length, patch_length, stride, tokens, op);
  require_rows_data(d_patches, series, op, "d_patches");
  require_rows_data(dx, series, op, "dx");
  dispatch(ctx, op, &OpTable<T>::patchify_backward, d_patches, hidden, dx, series, length,
           patch_length, stride, tokens);
}

static void check_groups(int64_t groups, int64_t group_rows, int64_t cols, const void* x,
                         const void* y, const char* op) {
  require_rows(groups, op);
  require_positive(group_rows, op, "group_rows");
  require_positive(cols, op, "cols");
  require_rows_data(x, groups, op, "x");
  require_rows_data(y, groups, op, "y");
}

template <class T>
void add_groups(const Context& ctx, const T* x, Same<T>* y, int64_t groups, int64_t group_rows,
                int64_t cols, Same<T> scale) {
  constexpr const char* op = "add_groups";
  check_groups(groups, group_rows, cols, x, y, op);
  dispatch(ctx, op, &OpTable<T>::add_groups, x, y, groups, group_rows, cols, scale);
}

template <class T>
void sum_groups(const Context& ctx, const T* x, Same<T>* y, int64_t groups, int64_t group_rows,
                int64_t cols, Same<T> scale) {
  constexpr const char* op = "sum_groups";
  check_groups(groups, group_rows, cols, x, y, op);
  dispatch(ctx, op, &OpTable<T>::sum_groups, x, y, groups, group_rows, cols, scale);
}

template <class T>
void copy_block(const Context& ctx, const T* src, int64_t src_ld, Same<T>* dst, int64_t dst_ld,
                int64_t rows, int64_t cols) {
  constexpr const char* op = "copy_block";
  require_rows(rows, op);
  require_positive(cols, op, "cols");
  if (src_ld < cols || dst_ld < cols)
    fail(ErrorCode::InvalidArgument, "{}: row strides {} and {} must be >= cols {}", op, src_ld,
         dst_ld, cols);
  require_rows_data(src, rows, op, "src");
  require_rows_data(dst, rows, op, "dst");
  dispatch(ctx, op, &OpTable<T>::copy_block, src, src_ld, dst, dst_ld, rows, cols);
}

static void check_embedding(int64_t rows, int64_t entries, int64_t dim, int64_t code_stride,
                     int64_t out_ld, const void* table, const void* codes, const void* out,
                     const char* op) {
  require_rows(rows, op);
  require_positive(entries, op, "entries");
  require_positive(dim, op, "dim");
  require_positive(code_stride, op, "code_stride");
  if (out_ld < dim)
    fail(ErrorCode::InvalidArgument, "{}: row stride {} must be >= dim {}", op, out_ld, dim);
  require(table, op, "table");
  require_rows_data(codes, rows, op, "codes");
  require_rows_data(out, rows, op, "out");
}

template <class T>
void embedding_gather(const Context& ctx, const T* table, const int32_t* codes,
                      int64_t code_stride, Same<T>* out, int64_t out_ld, int64_t rows,
                      int64_t entries, int64_t dim) {
  constexpr const char* op = "embedding_gather";
  check_embedding(rows, entries, dim, code_stride, out_ld, table, codes, out, op);
  dispatch(ctx, op, &OpTable<T>::embedding_gather, table, codes, code_stride, out, out_ld, rows,
           entries, dim);
}

template <class T>
void embedding_scatter_add(const Context& ctx, const T* d_out, int64_t out_ld,
                           const int32_t* codes, int64_t code_stride, Same<T>* d_table,
                           int64_t rows, int64_t entries, int64_t dim) {
  constexpr const char* op = "embedding_scatter_add";
  check_embedding(rows, entries, dim, code_stride, out_ld, d_table, codes, d_out, op);
  dispatch(ctx, op, &OpTable<T>::embedding_scatter_add, d_out, out_ld, codes, code_stride,
           d_table, rows, entries, dim);
}

template <class T>
void patchify_channels_forward(const Context& ctx, const T* x, Same<T>* patches, int64_t series,
                               int64_t length, int64_t channels, int64_t patch_length,
                               int64_t stride, int64_t tokens) {
  constexpr const char* op = "patchify_channels_forward";
  check_patches(series, length, patch_length, stride, tokens, op);
  require_positive(channels, op, "channels");
  require_rows_data(x, series, op, "x");
  require_rows_data(patches, series, op, "patches");
  dispatch(ctx, op, &OpTable<T>::patchify_channels_forward, x, patches, series, length, channels,
           patch_length, stride, tokens);
}

template <class T>
void patchify_channels_backward(const Context& ctx, const T* d_patches, Same<T>* dx,
                                int64_t series, int64_t length, int64_t channels,
                                int64_t patch_length, int64_t stride, int64_t tokens) {
  constexpr const char* op = "patchify_channels_backward";
  check_patches(series, length, patch_length, stride, tokens, op);
  require_positive(channels, op, "channels");
  require_rows_data(d_patches, series, op, "d_patches");
  require_rows_data(dx, series, op, "dx");
  dispatch(ctx, op, &OpTable<T>::patchify_channels_backward, d_patches, dx, series, length,
           channels, patch_length, stride, tokens);
}

template <class T>
void bias_gelu_forward(const Context& ctx, const T* x, const Same<T>* bias, Same<T>* y,
                       int64_t rows, int64_t cols) {
  constexpr const char* op = "bias_gelu_forward";
  require_rows(rows, op);
  require_positive(cols, op, "cols");
  require_rows_data(x, rows, op, "x");
  require_rows_data(y, rows, op, "y");
  dispatch(ctx, op, &OpTable<T>::bias_gelu_forward, x, bias, y, rows, cols);
}

template <class T>
void bias_gelu_backward(const Context& ctx, const T* x, const Same<T>* bias, const Same<T>* dy,
                        Same<T>* dx, Same<T>* dbias, int64_t rows, int64_t cols) {
  constexpr const char* op = "bias_gelu_backward";
  require_rows(rows, op);
  require_positive(cols, op, "cols");
  require_rows_data(x, rows, op, "x");
  require_rows_data(dy, rows, op, "dy");
  require_rows_data(dx, rows, op, "dx");
  dispatch(ctx, op, &OpTable<T>::bias_gelu_backward, x, bias, dy, dx, dbias, rows, cols);
}

template <class T>
void layer_norm_forward(const Context& ctx, const T* x, const Same<T>* gamma,
                        const Same<T>* beta, Same<T>* y, Same<T>* mean, Same<T>* rstd,
                        int64_t rows, int64_t cols, Same<T> eps) {
  constexpr const char* op = "layer_norm_forward";
  require_rows(rows, op);
  require_positive(cols, op, "cols");
  check_positive_finite(eps, op, "eps");
  require_rows_data(x, rows, op, "x");
  require(gamma, op, "gamma");
  require(beta, op, "beta");
  require_rows_data(y, rows, op, "y");
  dispatch(ctx, op, &OpTable<T>::layer_norm_forward, x, gamma, beta, y, mean, rstd, rows, cols,
           eps);
}

template <class T>
void layer_norm_backward(const Context& ctx, const T* x, const Same<T>* gamma,
                         const Same<T>* dy, const Same<T>* mean, const Same<T>* rstd,
                         Same<T>* dx, Same<T>* dgamma, Same<T>* dbeta, int64_t rows,
                         int64_t cols) {
  constexpr const char* op = "layer_norm_backward";
  require_rows(rows, op);
  require_positive(cols, op, "cols");
  require_rows_data(x, rows, op, "x");
  require(gamma, op, "gamma");
  require_rows_data(dy, rows, op, "dy");
  require_rows_data(mean, rows, op, "mean");
  require_rows_data(rstd, rows, op, "rstd");
  require_rows_data(dx, rows, op, "dx");
  dispatch(ctx, op, &OpTable<T>::layer_norm_backward, x, gamma, dy, mean, rstd, dx, dgamma, dbeta,
           rows, cols);
}

template <class T>
void softmax_forward(const Context& ctx, const T* x, Same<T>* y, int64_t rows, int64_t cols) {
  constexpr const char* op = "softmax_forward";
  require_rows(rows, op);
  require_positive(cols, op, "cols");
  require_rows_data(x, rows, op, "x");
  require_rows_data(y, rows, op, "y");
  dispatch(ctx, op, &OpTable<T>::softmax_forward, x, y, rows, cols);
}

template <class T>
void softmax_backward(const Context& ctx, const T* y, const Same<T>* dy, Same<T>* dx,
                      int64_t rows, int64_t cols) {
  constexpr const char* op = "softmax_backward";
  require_rows(rows, op);
  require_positive(cols, op, "cols");
  require_rows_data(y, rows, op, "y");
  require_rows_data(dy, rows, op, "dy");
  require_rows_data(dx, rows, op, "dx");
  dispatch(ctx, op, &OpTable<T>::softmax_backward, y, dy, dx, rows, cols);
}

int64_t attention_workspace_floats(const AttentionDims& dims) {
  check_attention(dims, "attention_workspace_floats");
  const int64_t padded_tokens =
      (dims.tokens + cpu::kMaxVectorWidth - 1) / cpu::kMaxVectorWidth * cpu::kMaxVectorWidth;
  // One score tile, K^T and V^T of one head, two per-row values
  // (cpu_kernels_impl.hpp, AttentionWorkspace).
  return padded_tokens * padded_tokens + 2 * dims.head_dim * padded_tokens + 2 * padded_tokens;
}

template <class T>
void attention_forward(const Context& ctx, const AttentionDims& dims, const T* q,
                       const Same<T>* k, const Same<T>* v, Same<T>* out, Same<T>* lse,
                       float* workspace, Same<T>* probabilities,
                       const int32_t* key_lengths) {
  constexpr const char* op = "attention_forward";
  check_attention(dims, op);
  if (key_lengths)
    for (int64_t b = 0; b < dims.batch; ++b)
      if (key_lengths[b] < 1 || key_lengths[b] > dims.tokens)
        fail(ErrorCode::InvalidArgument, "{}: key_lengths[{}] = {} is outside [1, {}]", op, b,
             key_lengths[b], dims.tokens);
  require_rows_data(q, dims.batch, op, "q");
  require_rows_data(k, dims.batch, op, "k");
  require_rows_data(v, dims.batch, op, "v");
  require_rows_data(out, dims.batch, op, "out");
  require(workspace, op, "workspace");
  dispatch(ctx, op, &OpTable<T>::attention_forward, dims, q, k, v, out, lse, workspace,
           probabilities, key_lengths);
}

template <class T>
void attention_backward(const Context& ctx, const AttentionDims& dims, const T* q,
                        const Same<T>* k, const Same<T>* v, const Same<T>* out,
                        const Same<T>* lse, const Same<T>* dout, Same<T>* dq, Same<T>* dk,
                        Same<T>* dv, float* workspace) {
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
  dispatch(ctx, op, &OpTable<T>::attention_backward, dims, q, k, v, out, lse, dout, dq, dk, dv,
           workspace);
}

template <class T>
void quantile_head_forward(const Context& ctx, const T* raw, Same<T>* q, int64_t rows,
                           int64_t quantiles, int64_t median_index) {
  constexpr const char* op = "quantile_head_forward";
  check_quantiles(rows, quantiles, median_index, op);
  require_rows_data(raw, rows, op, "raw");
  require_rows_data(q, rows, op, "q");
  dispatch(ctx, op, &OpTable<T>::quantile_head_forward, raw, q, rows, quantiles, median_index);
}

template <class T>
void quantile_head_backward(const Context& ctx, const T* raw, const Same<T>* dq, Same<T>* draw,
                            int64_t rows, int64_t quantiles, int64_t median_index) {
  constexpr const char* op = "quantile_head_backward";
  check_quantiles(rows, quantiles, median_index, op);
  require_rows_data(raw, rows, op, "raw");
  require_rows_data(dq, rows, op, "dq");
  require_rows_data(draw, rows, op, "draw");
  dispatch(ctx, op, &OpTable<T>::quantile_head_backward, raw, dq, draw, rows, quantiles,
           median_index);
}

template <class T>
void revin_normalize_forward(const Context& ctx, const T* x, const Same<T>* gamma,
                             const Same<T>* beta, Same<T>* y, Same<T>* mean, Same<T>* std_dev,
                             int64_t rows, int64_t length, int64_t channels, Same<T> eps) {
  constexpr const char* op = "revin_normalize_forward";
  check_series(rows, length, channels, op);
  check_positive_finite(eps, op, "eps");
  require_rows_data(x, rows, op, "x");
  require(gamma, op, "gamma");
  require(beta, op, "beta");
  require_rows_data(y, rows, op, "y");
  require_rows_data(mean, rows, op, "mean");
  require_rows_data(std_dev, rows, op, "std_dev");
  dispatch(ctx, op, &OpTable<T>::revin_normalize_forward, x, gamma, beta, y, mean, std_dev, rows,
           length, channels, eps);
}

template <class T>
void revin_normalize_backward(const Context& ctx, const T* x, const Same<T>* mean,
                              const Same<T>* std_dev, const Same<T>* dy, Same<T>* dgamma,
                              Same<T>* dbeta, int64_t rows, int64_t length, int64_t channels) {
  constexpr const char* op = "revin_normalize_backward";
  check_series(rows, length, channels, op);
  require_rows_data(x, rows, op, "x");
  require_rows_data(mean, rows, op, "mean");
  require_rows_data(std_dev, rows, op, "std_dev");
  require_rows_data(dy, rows, op, "dy");
  require(dgamma, op, "dgamma");
  require(dbeta, op, "dbeta");
  dispatch(ctx, op, &OpTable<T>::revin_normalize_backward, x, mean, std_dev, dy, dgamma, dbeta,
           rows, length, channels);
}

template <class T>
void revin_denormalize_forward(const Context& ctx, const T* z, const Same<T>* gamma,
                               const Same<T>* beta, const Same<T>* mean, const Same<T>* std_dev,
                               Same<T>* y, int64_t rows, int64_t length, int64_t channels) {
  constexpr const char* op = "revin_denormalize_forward";
  check_series(rows, length, channels, op);
  require_rows_data(z, rows, op, "z");
  require(gamma, op, "gamma");
  require(beta, op, "beta");
  require_rows_data(mean, rows, op, "mean");
  require_rows_data(std_dev, rows, op, "std_dev");
  require_rows_data(y, rows, op, "y");
  dispatch(ctx, op, &OpTable<T>::revin_denormalize_forward, z, gamma, beta, mean, std_dev, y,
           rows, length, channels);
}

template <class T>
void revin_denormalize_backward(const Context& ctx, const T* z, const Same<T>* gamma,
                                const Same<T>* beta, const Same<T>* std_dev, const Same<T>* dy,
                                Same<T>* dz, Same<T>* dgamma, Same<T>* dbeta, int64_t rows,
                                int64_t length, int64_t channels) {
  constexpr const char* op = "revin_denormalize_backward";
  check_series(rows, length, channels, op);
  require_rows_data(z, rows, op, "z");
  require(gamma, op, "gamma");
  require(beta, op, "beta");
  require_rows_data(std_dev, rows, op, "std_dev");
  require_rows_data(dy, rows, op, "dy");
  require_rows_data(dz, rows, op, "dz");
  dispatch(ctx, op, &OpTable<T>::revin_denormalize_backward, z, gamma, beta, std_dev, dy, dz,
           dgamma, dbeta, rows, length, channels);
}

template <class T>
void mean_abs_scale_forward(const Context& ctx, const T* x, Same<T>* y, Same<T>* scale,
                            int64_t rows, int64_t length, Same<T> min_scale) {
  constexpr const char* op = "mean_abs_scale_forward";
  check_series(rows, length, 1, op);
  check_positive_finite(min_scale, op, "min_scale");
  require_rows_data(x, rows, op, "x");
  require_rows_data(y, rows, op, "y");
  require_rows_data(scale, rows, op, "scale");
  dispatch(ctx, op, &OpTable<T>::mean_abs_scale_forward, x, y, scale, rows, length, min_scale);
}

template <class T>
void mean_abs_unscale(const Context& ctx, const T* z, const Same<T>* scale, Same<T>* y,
                      int64_t rows, int64_t length) {
  constexpr const char* op = "mean_abs_unscale";
  check_series(rows, length, 1, op);
  require_rows_data(z, rows, op, "z");
  require_rows_data(scale, rows, op, "scale");
  require_rows_data(y, rows, op, "y");
  dispatch(ctx, op, &OpTable<T>::mean_abs_unscale, z, scale, y, rows, length);
}

#define INVF_INSTANTIATE_OPS(T)                                                                  \
  template void linear_forward<T>(const Context&, const T*, const T*, const T*, T*, int64_t,     \
                                  int64_t, int64_t);                                             \
  template void linear_gelu_forward<T>(const Context&, const T*, const T*, const T*, T*,         \
                                       int64_t, int64_t, int64_t);                               \
  template void linear_backward<T>(const Context&, const T*, const T*, const T*, T*, T*, T*,     \
                                   int64_t, int64_t, int64_t);                                   \
  template void add_rows<T>(const Context&, const T*, T*, int64_t, int64_t, int64_t);            \
  template void add_rows_backward<T>(const Context&, const T*, T*, int64_t, int64_t, int64_t);   \
  template void clamp_min<T>(const Context&, T*, int64_t, T);                                    \
  template void patchify_forward<T>(const Context&, const T*, const uint8_t*, T*, int64_t,       \
                                    int64_t, int64_t, int64_t, int64_t);                         \
  template void patchify_backward<T>(const Context&, const T*, const uint8_t*, T*, int64_t,      \
                                     int64_t, int64_t, int64_t, int64_t);                        \
  template void add_groups<T>(const Context&, const T*, T*, int64_t, int64_t, int64_t, T);      \
  template void sum_groups<T>(const Context&, const T*, T*, int64_t, int64_t, int64_t, T);      \
  template void copy_block<T>(const Context&, const T*, int64_t, T*, int64_t, int64_t, int64_t); \
  template void embedding_gather<T>(const Context&, const T*, const int32_t*, int64_t, T*,      \
                                    int64_t, int64_t, int64_t, int64_t);                        \
  template void embedding_scatter_add<T>(const Context&, const T*, int64_t, const int32_t*,     \
                                         int64_t, T*, int64_t, int64_t, int64_t);               \
  template void patchify_channels_forward<T>(const Context&, const T*, T*, int64_t, int64_t,    \
                                             int64_t, int64_t, int64_t, int64_t);               \
  template void patchify_channels_backward<T>(const Context&, const T*, T*, int64_t, int64_t,   \
                                              int64_t, int64_t, int64_t, int64_t);              \
  template void bias_gelu_forward<T>(const Context&, const T*, const T*, T*, int64_t, int64_t);  \
  template void bias_gelu_backward<T>(const Context&, const T*, const T*, const T*, T*, T*,      \
                                      int64_t, int64_t);                                         \
  template void layer_norm_forward<T>(const Context&, const T*, const T*, const T*, T*, T*, T*,  \
                                      int64_t, int64_t, T);                                      \
  template void layer_norm_backward<T>(const Context&, const T*, const T*, const T*, const T*,   \
                                       const T*, T*, T*, T*, int64_t, int64_t);                  \
  template void softmax_forward<T>(const Context&, const T*, T*, int64_t, int64_t);              \
  template void softmax_backward<T>(const Context&, const T*, const T*, T*, int64_t, int64_t);   \
  template void attention_forward<T>(const Context&, const AttentionDims&, const T*, const T*,   \
                                     const T*, T*, T*, float*, T*, const int32_t*);              \
  template void attention_backward<T>(const Context&, const AttentionDims&, const T*, const T*,  \
                                      const T*, const T*, const T*, const T*, T*, T*, T*,        \
                                      float*);                                                   \
  template void quantile_head_forward<T>(const Context&, const T*, T*, int64_t, int64_t,         \
                                         int64_t);                                               \
  template void quantile_head_backward<T>(const Context&, const T*, const T*, T*, int64_t,       \
                                          int64_t, int64_t);                                     \
  template void revin_normalize_forward<T>(const Context&, const T*, const T*, const T*, T*, T*, \
                                           T*, int64_t, int64_t, int64_t, T);                    \
  template void revin_normalize_backward<T>(const Context&, const T*, const T*, const T*,        \
                                            const T*, T*, T*, int64_t, int64_t, int64_t);        \
  template void revin_denormalize_forward<T>(const Context&, const T*, const T*, const T*,       \
                                             const T*, const T*, T*, int64_t, int64_t, int64_t); \
  template void revin_denormalize_backward<T>(const Context&, const T*, const T*, const T*,      \
                                              const T*, const T*, T*, T*, T*, int64_t, int64_t,  \
                                              int64_t);                                          \
  template void mean_abs_scale_forward<T>(const Context&, const T*, T*, T*, int64_t, int64_t,    \
                                          T);                                                    \
  template void mean_abs_unscale<T>(const Context&, const T*, const T*, T*, int64_t, int64_t);

INVF_INSTANTIATE_OPS(float)
INVF_INSTANTIATE_OPS(double)

}  // namespace invforecast::kernels
