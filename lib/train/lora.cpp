#include "train/lora.hpp"

#include <cmath>
#include <set>

#include "error.hpp"
#include "io/atomic_file.hpp"
#include "io/byte_io.hpp"
#include "io/mapped_file.hpp"
#include "train/random.hpp"

namespace invforecast::train {

namespace {

constexpr size_t kMaxNameLength = 256;
constexpr size_t kHeaderSize = 32;

size_t checked_size(int64_t a, int64_t b) {
  return static_cast<size_t>(a) * static_cast<size_t>(b);
}

}  // namespace

std::vector<std::string> default_lora_targets(const ModelConfig& config) {
  std::vector<std::string> names;
  for (int64_t i = 0; i < config.layers; ++i)
    for (const char* part : {"attn.qkv.weight", "attn.out.weight", "ffn1.weight", "ffn2.weight"})
      names.push_back("layers." + std::to_string(i) + "." + part);
  return names;
}

uint32_t parameters_checksum(const Parameters& parameters) {
  uint32_t crc = 0;
  for (size_t t = 0; t < parameters.size(); ++t)
    crc = io::crc32_of(std::span<const float>(parameters.values(t)), crc);
  return crc;
}

LoraAdapter init_adapter(const Parameters& base, const LoraOptions& options, uint64_t seed) {
  if (options.rank < 1 || options.rank > kMaxLoraRank)
    fail(ErrorCode::InvalidArgument, "LoRA: rank {} is outside 1..{}", options.rank, kMaxLoraRank);
  if (!(options.alpha > 0.0) || !std::isfinite(options.alpha))
    fail(ErrorCode::InvalidArgument, "LoRA: alpha {} must be finite and > 0", options.alpha);
  const std::vector<std::string> targets =
      options.targets.empty() ? default_lora_targets(base.config()) : options.targets;
  LoraAdapter adapter;
  adapter.rank = options.rank;
  adapter.alpha = options.alpha;
  adapter.base_checksum = parameters_checksum(base);
  Random random(seed);
  std::set<std::string> seen;
  for (const std::string& name : targets) {
    if (!seen.insert(name).second)
      fail(ErrorCode::InvalidArgument, "LoRA: target '{}' is named twice", name);
    const TensorSpec& spec = base.specs()[base.index_of(name)];
    if (spec.dims.size() != 2 || !name.ends_with(".weight"))
      fail(ErrorCode::InvalidArgument, "LoRA: target '{}' is not a linear layer's weight matrix",
           name);
    LoraTensor tensor;
    tensor.target = name;
    tensor.out = spec.dims[0];
    tensor.in = spec.dims[1];
    // A like a linear layer's initial weight over its input; B = 0 so that W_eff = W at first.
    const double bound = 1.0 / std::sqrt(static_cast<double>(tensor.in));
    tensor.a.resize(checked_size(options.rank, tensor.in));
    for (float& v : tensor.a) v = static_cast<float>(random.uniform(-bound, bound));
    tensor.b.assign(checked_size(tensor.out, options.rank), 0.0f);
    adapter.tensors.push_back(std::move(tensor));
  }
  return adapter;
}

void check_adapter_matches(const Parameters& base, const LoraAdapter& adapter) {
  for (const LoraTensor& t : adapter.tensors) {
    size_t index = base.size();
    for (size_t i = 0; i < base.size(); ++i)
      if (base.specs()[i].name == t.target) index = i;
    if (index == base.size())
      fail(ErrorCode::InvalidArgument, "LoRA adapter: the base model has no tensor '{}'", t.target);
    const std::vector<int64_t>& dims = base.specs()[index].dims;
    if (dims.size() != 2 || dims[0] != t.out || dims[1] != t.in)
      fail(ErrorCode::InvalidArgument,
           "LoRA adapter: tensor '{}' is [{}, {}] in the adapter but has another shape in the "
           "base model",
           t.target, t.out, t.in);
    if (t.a.size() != checked_size(adapter.rank, t.in) ||
        t.b.size() != checked_size(t.out, adapter.rank))
      fail(ErrorCode::InvalidArgument, "LoRA adapter: factors of '{}' do not match rank {}",
           t.target, adapter.rank);
  }
  const uint32_t checksum = parameters_checksum(base);
  if (checksum != adapter.base_checksum)
    fail(ErrorCode::InvalidArgument,
         "LoRA adapter: made for a base model with checksum {:08x}, this base's is {:08x} (another "
         "model)",
         adapter.base_checksum, checksum);
}

template <class T>
void lora_merge_tensor(const T* w, const T* a, const T* b, int64_t out, int64_t in, int64_t rank,
                       double scale, T* w_eff) {
  std::vector<double> row(static_cast<size_t>(in));
  for (int64_t o = 0; o < out; ++o) {
    std::fill(row.begin(), row.end(), 0.0);
    for (int64_t r = 0; r < rank; ++r) {
      const double b_or = b[o * rank + r];
      const T* a_row = a + r * in;
      for (int64_t i = 0; i < in; ++i) row[static_cast<size_t>(i)] += b_or * a_row[i];
    }
    for (int64_t i = 0; i < in; ++i)
      w_eff[o * in + i] =
          static_cast<T>(static_cast<double>(w[o * in + i]) + scale * row[static_cast<size_t>(i)]);
  }
}

template <class T>
void lora_project_gradient(const T* d_w, const T* a, const T* b, int64_t out, int64_t in,
                           int64_t rank, double scale, T* d_a, T* d_b) {
  std::vector<double> sum_a(checked_size(rank, in), 0.0);
  for (int64_t o = 0; o < out; ++o) {
    const T* dw_row = d_w + o * in;
    for (int64_t r = 0; r < rank; ++r) {
      const double b_or = b[o * rank + r];
      double* acc = sum_a.data() + r * in;
      double dot = 0.0;
      const T* a_row = a + r * in;
      for (int64_t i = 0; i < in; ++i) {
        acc[i] += b_or * dw_row[i];
        dot += static_cast<double>(dw_row[i]) * a_row[i];
      }
      d_b[o * rank + r] = static_cast<T>(scale * dot);
    }
  }
  for (size_t k = 0; k < sum_a.size(); ++k) d_a[k] = static_cast<T>(scale * sum_a[k]);
}

template void lora_merge_tensor<float>(const float*, const float*, const float*, int64_t, int64_t,
                                       int64_t, double, float*);
template void lora_merge_tensor<double>(const double*, const double*, const double*, int64_t,
                                        int64_t, int64_t, double, double*);
template void lora_project_gradient<float>(const float*, const float*, const float*, int64_t,
                                           int64_t, int64_t, double, float*, float*);
template void lora_project_gradient<double>(const double*, const double*, const double*, int64_t,
                                            int64_t, int64_t, double, double*, double*);

void apply_adapter(const Parameters& base, const LoraAdapter& adapter, Parameters& merged) {
  for (const LoraTensor& t : adapter.tensors)
    lora_merge_tensor(base.data(t.target), t.a.data(), t.b.data(), t.out, t.in, adapter.rank,
                      adapter.scale(), merged.data(t.target));
}

Parameters merge_adapter(const Parameters& base, const LoraAdapter& adapter) {
  check_adapter_matches(base, adapter);
  Parameters merged = base;
  apply_adapter(base, adapter, merged);
  return merged;
}

void adapter_gradients(const LoraAdapter& adapter, const Parameters& merged_grads,
                       std::vector<std::vector<float>>& out) {
  out.resize(2 * adapter.tensors.size());
  for (size_t k = 0; k < adapter.tensors.size(); ++k) {
    const LoraTensor& t = adapter.tensors[k];
    out[2 * k].resize(t.a.size());
    out[2 * k + 1].resize(t.b.size());
    lora_project_gradient(merged_grads.data(t.target), t.a.data(), t.b.data(), t.out, t.in,
                          adapter.rank, adapter.scale(), out[2 * k].data(), out[2 * k + 1].data());
  }
}

std::vector<uint8_t> write_adapter_buffer(const LoraAdapter& adapter) {
  if (adapter.rank < 1 || adapter.rank > kMaxLoraRank || !(adapter.alpha > 0.0) ||
      !std::isfinite(adapter.alpha) || adapter.tensors.empty() ||
      static_cast<int64_t>(adapter.tensors.size()) > kMaxLoraTensors)
    fail(ErrorCode::InvalidArgument,
         "LoRA adapter: rank {}, alpha {} or {} tensors out of range for the adapter file",
         adapter.rank, adapter.alpha, adapter.tensors.size());
  io::ByteWriter w(kAdapterMagic);
  w.u32(kAdapterFormatVersion);
  w.u32(static_cast<uint32_t>(adapter.rank));
  w.f64(adapter.alpha);
  w.u32(adapter.base_checksum);
  w.u32(static_cast<uint32_t>(adapter.tensors.size()));
  for (const LoraTensor& t : adapter.tensors) {
    if (t.target.empty() || t.target.size() > kMaxNameLength || t.out < 1 || t.in < 1 ||
        t.out > kMaxLoraDim || t.in > kMaxLoraDim ||
        t.a.size() != checked_size(adapter.rank, t.in) ||
        t.b.size() != checked_size(t.out, adapter.rank))
      fail(ErrorCode::InvalidArgument, "LoRA adapter: tensor '{}' is inconsistent", t.target);
    for (const std::vector<float>* factor : {&t.a, &t.b})
      for (float v : *factor)
        if (!std::isfinite(v))
          fail(ErrorCode::InvalidArgument, "LoRA adapter: tensor '{}' holds a non-finite value",
               t.target);
    w.text(t.target);
    w.u32(static_cast<uint32_t>(t.out));
    w.u32(static_cast<uint32_t>(t.in));
    w.floats(t.a);
    w.floats(t.b);
  }
  return w.finish();
}

void write_adapter_file(const std::string& path, const LoraAdapter& adapter) {
  io::write_file_atomically(path, write_adapter_buffer(adapter), "adapter file");
}

LoraAdapter read_adapter(std::span<const uint8_t> bytes) {
  io::ByteReader r(bytes, "adapter file");
  r.check_frame(kAdapterMagic, kHeaderSize);
  const uint32_t version = r.u32("format version");
  if (version == 0 || version > kAdapterFormatVersion)
    fail(ErrorCode::CorruptModel,
         "adapter file: format version {} is not supported (this library "
         "reads 1..{})",
         version, kAdapterFormatVersion);
  LoraAdapter adapter;
  adapter.rank = r.u32("rank");
  if (adapter.rank < 1 || adapter.rank > kMaxLoraRank)
    fail(ErrorCode::CorruptModel, "adapter file: rank {} is outside 1..{}", adapter.rank,
         kMaxLoraRank);
  adapter.alpha = r.f64("alpha");
  if (!(adapter.alpha > 0.0) || !std::isfinite(adapter.alpha))
    fail(ErrorCode::CorruptModel, "adapter file: alpha {} must be finite and > 0", adapter.alpha);
  adapter.base_checksum = r.u32("base checksum");
  const uint32_t count = r.u32("tensor count");
  if (count < 1 || count > kMaxLoraTensors)
    fail(ErrorCode::CorruptModel, "adapter file: tensor count {} is outside 1..{}", count,
         kMaxLoraTensors);
  std::set<std::string> seen;
  for (uint32_t k = 0; k < count; ++k) {
    LoraTensor t;
    t.target = r.text(fmt::format("name of tensor {}", k), kMaxNameLength);
    if (!seen.insert(t.target).second)
      fail(ErrorCode::CorruptModel, "adapter file: tensor '{}' appears twice", t.target);
    t.out = r.u32(t.target + " rows");
    t.in = r.u32(t.target + " columns");
    if (t.out < 1 || t.in < 1 || t.out > kMaxLoraDim || t.in > kMaxLoraDim)
      fail(ErrorCode::CorruptModel, "adapter file: tensor '{}' has absurd dimensions [{}, {}]",
           t.target, t.out, t.in);
    t.a = r.floats(checked_size(adapter.rank, t.in), t.target + " factor A");
    t.b = r.floats(checked_size(t.out, adapter.rank), t.target + " factor B");
    adapter.tensors.push_back(std::move(t));
  }
  r.expect_end();
  return adapter;
}

LoraAdapter read_adapter_file(const std::string& path) {
  return read_adapter(io::MappedFile(path, "adapter file").bytes());
}

}  // namespace invforecast::train
