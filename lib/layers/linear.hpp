// A linear layer's weights as the layers read them: the raw tensors, and
// for inference the same weights prepared by the context's backend.
#pragma once

#include <cstdint>

#include "error.hpp"
#include "ops.hpp"

namespace invforecast::layers {

template <class T>
struct Linear {
  const T* weight = nullptr;  // [out, in]
  const T* bias = nullptr;    // [out] or null
  int64_t in = 0, out = 0;
  // float inference only: the backend's prepared form of weight and bias.
  const kernels::PreparedLinear* prepared = nullptr;
};

// y = epilogue(x w^T + b) for rows rows, or y += x w^T + b (accumulate, a
// residual connection in one pass: prepared weights only).
template <class T>
void linear(const kernels::Context& ctx, const Linear<T>& layer, const T* x, T* y, int64_t rows,
            kernels::Epilogue epilogue = kernels::Epilogue::None, bool accumulate = false) {
  if constexpr (std::is_same_v<T, float>) {
    if (layer.prepared) {
      if (accumulate)
        kernels::linear_residual_forward(ctx, *layer.prepared, x, y, rows);
      else if (epilogue == kernels::Epilogue::Gelu)
        kernels::linear_gelu_forward(ctx, *layer.prepared, x, y, rows);
      else
        kernels::linear_forward(ctx, *layer.prepared, x, y, rows);
      return;
    }
  }
  if (accumulate)
    fail(ErrorCode::Internal, "linear: a residual GEMM needs weights prepared by the backend");
  if (epilogue == kernels::Epilogue::Gelu)
    kernels::linear_gelu_forward(ctx, x, layer.weight, layer.bias, y, rows, layer.in, layer.out);
  else
    kernels::linear_forward(ctx, x, layer.weight, layer.bias, y, rows, layer.in, layer.out);
}

}  // namespace invforecast::layers
