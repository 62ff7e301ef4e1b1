// GEMM through oneDNN's matmul primitive.  A primitive is built once per
// shape and shared by all threads (primitives are immutable); each thread
// keeps its own memory handles, scratchpad and stream for that shape, so a
// call in steady state allocates nothing and takes no lock.
#include <array>
#include <functional>
#include <memory>
#include <mutex>
#include <unordered_map>

#include <omp.h>
#include <oneapi/dnnl/dnnl.hpp>

#include "error.hpp"
#include "gemm.hpp"

namespace invforecast::kernels::cpu {

namespace {

struct GemmKey {
  int64_t m, n, k;
  bool trans_a, trans_b, has_bias;
  Epilogue epilogue;
  bool operator==(const GemmKey&) const = default;
};

struct GemmKeyHash {
  size_t operator()(const GemmKey& key) const noexcept {
    size_t h = std::hash<int64_t>{}(key.m);
    h = h * 1000003u ^ std::hash<int64_t>{}(key.n);
    h = h * 1000003u ^ std::hash<int64_t>{}(key.k);
    h = h * 8u + (key.trans_a ? 4u : 0u) + (key.trans_b ? 2u : 0u) + (key.has_bias ? 1u : 0u);
    return h * 2u + (key.epilogue == Epilogue::Gelu ? 1u : 0u);
  }
};

dnnl::engine& cpu_engine() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

struct MatmulPlan {
  dnnl::matmul primitive;
  dnnl::memory::desc a, b, bias, c, scratchpad;
};

std::shared_ptr<const MatmulPlan> build_plan(const GemmKey& key) {
  using dims = dnnl::memory::dims;
  const auto f32 = dnnl::memory::data_type::f32;
  // Transposed operands are described by their strides, never copied.
  const dnnl::memory::desc a_md({key.m, key.k}, f32, key.trans_a ? dims{1, key.m} : dims{key.k, 1});
  const dnnl::memory::desc b_md({key.k, key.n}, f32, key.trans_b ? dims{1, key.k} : dims{key.n, 1});
  const dnnl::memory::desc bias_md =
      key.has_bias ? dnnl::memory::desc({1, key.n}, f32, dims{key.n, 1}) : dnnl::memory::desc();
  const dnnl::memory::desc c_md({key.m, key.n}, f32, dims{key.n, 1});
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  if (key.epilogue == Epilogue::Gelu) {
    // The exact erf form, as bias_gelu_forward and PyTorch's nn.GELU.
    dnnl::post_ops post_ops;
    post_ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_gelu_erf, 0.0f, 0.0f);
    attr.set_post_ops(post_ops);
  }
  const dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(a_md, b_md, bias_md, c_md), attr,
                                        cpu_engine());
  return std::make_shared<const MatmulPlan>(
      MatmulPlan{dnnl::matmul(pd), a_md, b_md, bias_md, c_md, pd.scratchpad_desc()});
}

std::shared_ptr<const MatmulPlan> shared_plan(const GemmKey& key) {
  static std::mutex mutex;
  static std::unordered_map<GemmKey, std::shared_ptr<const MatmulPlan>, GemmKeyHash> plans;
  const std::lock_guard lock(mutex);
  auto& plan = plans[key];
  if (!plan) plan = build_plan(key);
  return plan;
}

struct ThreadBinding {
  std::shared_ptr<const MatmulPlan> plan;
  dnnl::memory a, b, bias, c, scratchpad;
};

ThreadBinding& thread_binding(const GemmKey& key) {
  thread_local std::unordered_map<GemmKey, ThreadBinding, GemmKeyHash> bindings;
  const auto found = bindings.find(key);
  if (found != bindings.end()) return found->second;
  ThreadBinding binding;
  binding.plan = shared_plan(key);
  const MatmulPlan& plan = *binding.plan;
  dnnl::engine& engine = cpu_engine();
  binding.a = dnnl::memory(plan.a, engine, DNNL_MEMORY_NONE);
  binding.b = dnnl::memory(plan.b, engine, DNNL_MEMORY_NONE);
  if (key.has_bias) binding.bias = dnnl::memory(plan.bias, engine, DNNL_MEMORY_NONE);
  binding.c = dnnl::memory(plan.c, engine, DNNL_MEMORY_NONE);
  if (plan.scratchpad.get_size() > 0) binding.scratchpad = dnnl::memory(plan.scratchpad, engine);
  return bindings.emplace(key, std::move(binding)).first->second;
}

}  // namespace

void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const float* a,
          const float* b, const float* bias, float* c, Epilogue epilogue) {
  const GemmKey key{m, n, k, trans_a, trans_b, bias != nullptr, epilogue};
  try {
    ThreadBinding& binding = thread_binding(key);
    thread_local dnnl::stream stream(cpu_engine());
    // oneDNN never writes through the source handles.
    binding.a.set_data_handle(const_cast<float*>(a));
    binding.b.set_data_handle(const_cast<float*>(b));
    binding.c.set_data_handle(c);
    std::array<dnnl_exec_arg_t, 5> args{};
    int count = 0;
    args[count++] = {DNNL_ARG_SRC, binding.a.get()};
    args[count++] = {DNNL_ARG_WEIGHTS, binding.b.get()};
    args[count++] = {DNNL_ARG_DST, binding.c.get()};
    if (bias) {
      binding.bias.set_data_handle(const_cast<float*>(bias));
      args[count++] = {DNNL_ARG_BIAS, binding.bias.get()};
    }
    if (binding.scratchpad) args[count++] = {DNNL_ARG_SCRATCHPAD, binding.scratchpad.get()};
    // The C entry point takes a plain array: the C++ one would build a map per call.
    const dnnl_status_t status =
        dnnl_primitive_execute(binding.plan->primitive.get(), stream.get(), count, args.data());
    // Running out of memory is the caller's situation, not a bug; anything else oneDNN refuses
    // at shapes it accepted when the primitive was made is.
    if (status == dnnl_out_of_memory)
      fail(ErrorCode::OutOfMemory, "oneDNN matmul {}x{}x{}: out of memory", m, n, k);
    if (status != dnnl_success)
      fail(ErrorCode::Internal, "oneDNN matmul {}x{}x{} failed with status {}", m, n, k,
           static_cast<int>(status));
    stream.wait();
  } catch (const dnnl::error& e) {
    if (e.status == dnnl_out_of_memory)
      fail(ErrorCode::OutOfMemory, "oneDNN matmul {}x{}x{}: out of memory", m, n, k);
    fail(ErrorCode::Internal, "oneDNN matmul {}x{}x{}: {}", m, n, k, e.what());
  }
}

const char* gemm_library() { return "onednn"; }

// Debian's oneDNN runs on OpenMP (libgomp); its team size follows the
// calling thread's OpenMP cap.
ScopedGemmThreads::ScopedGemmThreads(int threads) : previous_(omp_get_max_threads()) {
  omp_set_num_threads(threads);
}
ScopedGemmThreads::~ScopedGemmThreads() { omp_set_num_threads(previous_); }

}  // namespace invforecast::kernels::cpu
