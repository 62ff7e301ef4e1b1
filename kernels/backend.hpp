// The backend interface: where each op runs and where its tensors live.
//
// A backend (ggml's backends and faiss's GPU resources are the models) is
//   - a table of ops per scalar type (OpTable<float>, OpTable<double>; a
//     null table or entry is an op the backend does not run, answered with
//     Error(Unsupported) by the dispatch in ops.cpp);
//   - an allocator for its own memory, and copies between that memory and
//     the host (upload / download);
//   - weights prepared once for many forward calls (prepare_linear): the
//     Cpu backend packs them for its GEMM kernel, the Reference backend
//     reads the caller's arrays as they are, a device backend would copy
//     them to device memory.  Packing is a Cpu-backend detail no layer sees.
// A Context is one thread's (or one stream's) use of a backend: it names
// the backend, carries its stream or queue (null on the host backends) and
// owns the scratch memory ops need.  A Buffer is memory of one backend.
//
// Layers (lib/layers/) call only the ops of kernels/ops.hpp, with pointers
// into Buffers of the context's backend, and never read or write tensor
// memory themselves; host code moves data in and out with upload/download.
//
// Backends today:
//   reference  plain Eigen on the host, float and double (the gradient
//              checks run it in float64) — kernels/backend_reference.cpp;
//   cpu        our own kernels compiled per ISA, the packed GEMM, oneDNN —
//              kernels/backend_cpu.cpp, float only.
// One mapping from a name to a backend: backend_named() below; an unknown
// or unavailable name ("cuda" in a build without it) is Error(Unsupported).
//
// Where a CUDA backend plugs in (the CUDA issue adds files, no layer code):
//   - kernels/cuda/backend_cuda.cu: a class deriving from Backend with
//     kind() Cuda, allocate/deallocate through cudaMalloc/cudaFree,
//     upload/download through cudaMemcpyAsync on the context's stream
//     followed by synchronize(), prepare_linear copying w and b to device
//     memory (PreparedLinear's payload), and an OpTable<float> whose entries
//     launch kernels (or cuBLAS for the GEMMs) on Context::stream();
//   - registration: backend_named("cuda") / backend_of(BackendKind::Cuda)
//     return it when the module is loaded and a device is present, and
//     answer Error(Unsupported) saying why otherwise;
//   - what moves: a model's weights once, at preparation; a batch's inputs
//     up and its outputs down, once per call (EncoderModel's forecast and
//     TrainableEncoder's forward/backward do exactly this through
//     upload/download); activations never leave the backend.  Trainable
//     parameters (train::ParameterSet) are host arrays today: a device
//     backend uploads them once per step (the optimiser runs on the host).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

namespace invforecast::kernels {

enum class BackendKind { Reference, Cpu, Cuda };

const char* backend_name(BackendKind kind);

class Backend;
class Context;

// What a GEMM applies to each output after the bias.
enum class Epilogue { None, Gelu };

// A linear layer's fixed weights prepared by one backend, for many forward
// calls (a model's weights, at load).  The source arrays w [out, in] and b
// [out] (or null) must outlive it: the Reference backend reads them in
// place, and weight()/bias() always point at them.  Copyable (the
// backend's form is shared).
class PreparedLinear {
 public:
  PreparedLinear() = default;

  BackendKind backend() const { return backend_; }
  int64_t in_features() const { return in_; }
  int64_t out_features() const { return out_; }
  const float* weight() const { return w_; }
  const float* bias() const { return b_; }
  // The backend's own form of the weights (Cpu: a cpu::PackedMatrix); null
  // when the backend reads weight() and bias() as they are.
  const void* payload() const { return payload_.get(); }

 private:
  friend class Backend;
  BackendKind backend_ = BackendKind::Reference;
  const float* w_ = nullptr;
  const float* b_ = nullptr;
  int64_t in_ = 0, out_ = 0;
  std::shared_ptr<const void> payload_;
};

// Multi-head attention shapes (ops.hpp documents the layout).
struct AttentionDims {
  int64_t batch = 0;
  int64_t tokens = 0;
  int64_t heads = 0;
  int64_t head_dim = 0;
  int64_t ld_qkv = 0;
  int64_t ld_out = 0;
};

// One backend's implementation of every op for scalar type T.  Arguments
// are checked by ops.cpp before an entry is called; ops.hpp states what
// each computes.  A null entry is an op the backend does not implement.
template <class T>
struct OpTable {
  void (*linear_forward)(const Context&, const T* x, const T* w, const T* b, T* y, int64_t rows,
                         int64_t in, int64_t out, Epilogue epilogue);
  // Prepared weights (float tables only): y = epilogue(x w^T + b), or
  // y += x w^T + b when accumulate.
  void (*prepared_linear_forward)(const Context&, const PreparedLinear& layer, const T* x, T* y,
                                  int64_t rows, Epilogue epilogue, bool accumulate);
  void (*linear_backward)(const Context&, const T* x, const T* w, const T* dy, T* dx, T* dw,
                          T* db, int64_t rows, int64_t in, int64_t out);
  void (*add_rows)(const Context&, const T* x, T* y, int64_t rows, int64_t cols, int64_t period);
  void (*add_rows_backward)(const Context&, const T* dy, T* dx, int64_t rows, int64_t cols,
                            int64_t period);
  void (*clamp_min)(const Context&, T* y, int64_t count, T floor);
  void (*patchify_forward)(const Context&, const T* x, const uint8_t* hidden, T* patches,
                           int64_t series, int64_t length, int64_t patch_length, int64_t stride,
                           int64_t tokens);
  void (*patchify_backward)(const Context&, const T* d_patches, const uint8_t* hidden, T* dx,
                            int64_t series, int64_t length, int64_t patch_length, int64_t stride,
                            int64_t tokens);
  void (*add_groups)(const Context&, const T* x, T* y, int64_t groups, int64_t group_rows,
                     int64_t cols, T scale);
  void (*sum_groups)(const Context&, const T* x, T* y, int64_t groups, int64_t group_rows,
                     int64_t cols, T scale);
  void (*copy_block)(const Context&, const T* src, int64_t src_ld, T* dst, int64_t dst_ld,
                     int64_t rows, int64_t cols);
  void (*embedding_gather)(const Context&, const T* table, const int32_t* codes,
                           int64_t code_stride, T* out, int64_t out_ld, int64_t rows,
                           int64_t entries, int64_t dim);
  void (*embedding_scatter_add)(const Context&, const T* d_out, int64_t out_ld,
                                const int32_t* codes, int64_t code_stride, T* d_table,
                                int64_t rows, int64_t entries, int64_t dim);
  void (*patchify_channels_forward)(const Context&, const T* x, T* patches, int64_t series,
                                    int64_t length, int64_t channels, int64_t patch_length,
                                    int64_t stride, int64_t tokens);
  void (*patchify_channels_backward)(const Context&, const T* d_patches, T* dx, int64_t series,
                                     int64_t length, int64_t channels, int64_t patch_length,
                                     int64_t stride, int64_t tokens);
  void (*bias_gelu_forward)(const Context&, const T* x, const T* bias, T* y, int64_t rows,
                            int64_t cols);
  void (*bias_gelu_backward)(const Context&, const T* x, const T* bias, const T* dy, T* dx,
                             T* dbias, int64_t rows, int64_t cols);
  void (*layer_norm_forward)(const Context&, const T* x, const T* gamma, const T* beta, T* y,
                             T* mean, T* rstd, int64_t rows, int64_t cols, T eps);
  void (*layer_norm_backward)(const Context&, const T* x, const T* gamma, const T* dy,
                              const T* mean, const T* rstd, T* dx, T* dgamma, T* dbeta,
                              int64_t rows, int64_t cols);
  void (*softmax_forward)(const Context&, const T* x, T* y, int64_t rows, int64_t cols);
  void (*softmax_backward)(const Context&, const T* y, const T* dy, T* dx, int64_t rows,
                           int64_t cols);
  void (*attention_forward)(const Context&, const AttentionDims& dims, const T* q, const T* k,
                            const T* v, T* out, T* lse, float* workspace, T* probabilities,
                            const int32_t* key_lengths);
  void (*attention_backward)(const Context&, const AttentionDims& dims, const T* q, const T* k,
                             const T* v, const T* out, const T* lse, const T* dout, T* dq, T* dk,
                             T* dv, float* workspace);
  void (*quantile_head_forward)(const Context&, const T* raw, T* q, int64_t rows,
                                int64_t quantiles, int64_t median_index);
  void (*quantile_head_backward)(const Context&, const T* raw, const T* dq, T* draw, int64_t rows,
                                 int64_t quantiles, int64_t median_index);
  void (*revin_normalize_forward)(const Context&, const T* x, const T* gamma, const T* beta, T* y,
                                  T* mean, T* std_dev, int64_t rows, int64_t length,
                                  int64_t channels, T eps);
  void (*revin_normalize_backward)(const Context&, const T* x, const T* mean, const T* std_dev,
                                   const T* dy, T* dgamma, T* dbeta, int64_t rows, int64_t length,
                                   int64_t channels);
  void (*revin_denormalize_forward)(const Context&, const T* z, const T* gamma, const T* beta,
                                    const T* mean, const T* std_dev, T* y, int64_t rows,
                                    int64_t length, int64_t channels);
  void (*revin_denormalize_backward)(const Context&, const T* z, const T* gamma, const T* beta,
                                     const T* std_dev, const T* dy, T* dz, T* dgamma, T* dbeta,
                                     int64_t rows, int64_t length, int64_t channels);
  void (*mean_abs_scale_forward)(const Context&, const T* x, T* y, T* scale, int64_t rows,
                                 int64_t length, T min_scale);
  void (*mean_abs_unscale)(const Context&, const T* z, const T* scale, T* y, int64_t rows,
                           int64_t length);
};

class Backend {
 public:
  virtual ~Backend() = default;
  Backend(const Backend&) = delete;
  Backend& operator=(const Backend&) = delete;

  virtual BackendKind kind() const = 0;
  const char* name() const { return backend_name(kind()); }
  // Null when the backend has no ops for that scalar type.
  virtual const OpTable<float>* ops_f32() const = 0;
  virtual const OpTable<double>* ops_f64() const = 0;
  template <class T>
  const OpTable<T>* ops() const;

  // Memory of this backend: `bytes` (> 0) aligned to 64 bytes; throws
  // Error(OutOfMemory).  deallocate accepts null.
  virtual void* allocate(size_t bytes) const = 0;
  virtual void deallocate(void* pointer) const = 0;
  // Copies between host memory and this backend's memory, ordered on the
  // context's stream; complete when they return.
  virtual void upload(const Context& context, void* device, const void* host,
                      size_t bytes) const = 0;
  virtual void download(const Context& context, void* host, const void* device,
                        size_t bytes) const = 0;
  // w [out, in], b [out] or null.  Throws Error(InvalidArgument) unless in,
  // out >= 1, Error(NullPointer) for a null w.
  PreparedLinear prepare_linear(const float* w, const float* b, int64_t in_features,
                                int64_t out_features) const;

 protected:
  Backend() = default;
  // The backend's form of the weights (null: none, read them in place).
  virtual std::shared_ptr<const void> prepare_payload(const float* w, const float* b,
                                                      int64_t in_features,
                                                      int64_t out_features) const = 0;
};

template <>
inline const OpTable<float>* Backend::ops<float>() const {
  return ops_f32();
}
template <>
inline const OpTable<double>* Backend::ops<double>() const {
  return ops_f64();
}

// The backend of a kind; Error(Unsupported) when it is not available.
const Backend& backend_of(BackendKind kind);
// "reference", "cpu" or "cuda"; Error(Unsupported) naming the name and the
// backends this build has for any other, or for one not available.
const Backend& backend_named(std::string_view name);

// Memory of one backend, owned: `count` values of T.  Move-only.
template <class T>
class Buffer {
 public:
  Buffer() = default;
  Buffer(const Backend& backend, size_t count) : backend_(&backend), count_(count) {
    if (count > 0) data_ = static_cast<T*>(backend.allocate(count * sizeof(T)));
  }
  ~Buffer() { release(); }
  Buffer(Buffer&& other) noexcept { *this = std::move(other); }
  Buffer& operator=(Buffer&& other) noexcept {
    if (this != &other) {
      release();
      backend_ = other.backend_;
      data_ = other.data_;
      count_ = other.count_;
      other.data_ = nullptr;
      other.count_ = 0;
    }
    return *this;
  }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

  T* data() { return data_; }
  const T* data() const { return data_; }
  size_t size() const { return count_; }
  const Backend* backend() const { return backend_; }

 private:
  void release() {
    if (data_) backend_->deallocate(data_);
    data_ = nullptr;
  }
  const Backend* backend_ = nullptr;
  T* data_ = nullptr;
  size_t count_ = 0;
};


// One thread's use of a backend.  Ops on one context run in order; a
// context is not shared between threads (its scratch is not locked).
// Move-only.
class Context {
 public:
  // stream: the backend's queue (a device backend's cudaStream_t, null =
  // its default stream); host backends ignore it.
  explicit Context(const Backend& backend, void* stream = nullptr)
      : backend_(&backend), stream_(stream) {}
  explicit Context(BackendKind kind) : Context(backend_of(kind)) {}

  const Backend& backend() const { return *backend_; }
  BackendKind kind() const { return backend_->kind(); }
  void* stream() const { return stream_; }

  // Scratch memory of the backend for ops that need temporary space (the
  // attention kernels): at least `floats` floats, valid until the next
  // call.  Allocates only when more is asked for than ever before, so a
  // caller that reserves up front never allocates afterwards.
  float* scratch(size_t floats) {
    if (floats > scratch_.size()) scratch_ = Buffer<float>(*backend_, floats);
    return scratch_.data();
  }

 private:
  const Backend* backend_;
  void* stream_;
  Buffer<float> scratch_;
};

}  // namespace invforecast::kernels
