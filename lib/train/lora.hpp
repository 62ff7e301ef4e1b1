// Low-rank adapters (LoRA) for fine-tuning a trained encoder: each adapted
// linear weight W [out, in] of the base model is used as
//   W_eff = W + (alpha / rank) * B A,   A [rank, in], B [out, rank],
// with the base frozen and only A and B trained.  A starts small and random
// (seeded), B at zero, so training starts from the base model exactly.  The
// default targets are every layer's attention and feed-forward projections
// (layers.{i}.attn.qkv.weight, attn.out.weight, ffn1.weight, ffn2.weight).
//
// An adapter is stored apart from its base in a small file that names the
// base by a checksum (parameters_checksum), so it only loads over the model
// it was trained on.
//
// Adapter file, format version 1 (integers little-endian, f32 IEEE-754
// little-endian; offsets from the start of the file):
//    0  magic        8 bytes "INVFLORA"
//    8  version      u32  1
//   12  rank         u32  1 .. kMaxLoraRank
//   16  alpha        f64  finite, > 0
//   24  base_crc     u32  parameters_checksum() of the base model
//   28  count        u32  adapted tensors, 1 .. kMaxLoraTensors
//   32  count entries of
//         u32 name_len (1 .. 256), name (printable ASCII: the base tensor),
//         u32 out, u32 in (1 .. kMaxLoraDim each),
//         f32 A[rank * in] (row-major), f32 B[out * rank] (row-major)
//   size-4  crc32    u32  zlib CRC-32 of bytes [0, size-4)
// The reader checks every length against the bytes left before using it;
// any inconsistency is Error(CorruptModel) naming the field.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "train/parameters.hpp"

namespace invforecast::train {

inline constexpr uint32_t kAdapterFormatVersion = 1;
inline constexpr char kAdapterMagic[8] = {'I', 'N', 'V', 'F', 'L', 'O', 'R', 'A'};
inline constexpr int64_t kMaxLoraRank = 1024;
inline constexpr int64_t kMaxLoraTensors = 4096;
inline constexpr int64_t kMaxLoraDim = int64_t{1} << 20;

struct LoraOptions {
  int64_t rank = 0;  // 0 = no adapter (ordinary training)
  double alpha = 16.0;
  // Base tensors adapted (rank-2 *.weight); empty = default_lora_targets().
  std::vector<std::string> targets;
};

// The factors of one adapted weight.
struct LoraTensor {
  std::string target;       // the base tensor, e.g. "layers.0.attn.qkv.weight"
  int64_t out = 0, in = 0;  // its shape [out, in]
  std::vector<float> a;     // [rank, in]
  std::vector<float> b;     // [out, rank]
  bool operator==(const LoraTensor&) const = default;
};

struct LoraAdapter {
  int64_t rank = 0;
  double alpha = 0.0;
  uint32_t base_checksum = 0;  // parameters_checksum() of the base it was trained on
  std::vector<LoraTensor> tensors;
  double scale() const { return alpha / static_cast<double>(rank); }
  bool operator==(const LoraAdapter&) const = default;
};

// Every layer's attn.qkv, attn.out, ffn1 and ffn2 weights.
std::vector<std::string> default_lora_targets(const ModelConfig& config);

// zlib CRC-32 over every tensor's f32 bytes in expected_tensors() order.
uint32_t parameters_checksum(const Parameters& parameters);

// A fresh adapter for base: A uniform in +-1/sqrt(in) (seeded), B zero.
// Error(InvalidArgument) for a rank outside 1 .. kMaxLoraRank, alpha not
// finite and > 0, or a target that is unknown, not a rank-2 *.weight, or
// named twice.
LoraAdapter init_adapter(const Parameters& base, const LoraOptions& options, uint64_t seed);

// Error(InvalidArgument) unless adapter was made for base: same checksum,
// every target a tensor of base with the adapter's shape, factor sizes
// consistent with the rank.
void check_adapter_matches(const Parameters& base, const LoraAdapter& adapter);

// base with W_eff in place of every adapted weight (checked as above).
Parameters merge_adapter(const Parameters& base, const LoraAdapter& adapter);
// The same into merged, which must hold base's config: only the adapted
// tensors are written (the others are left as they are), so a training loop
// copies base once and then re-merges every step.  No checks: call
// check_adapter_matches first.
void apply_adapter(const Parameters& base, const LoraAdapter& adapter, Parameters& merged);
// Gradients of the adapter's factors from the gradients of the merged
// parameters: out[2k] = dA, out[2k + 1] = dB of tensor k (resized).
void adapter_gradients(const LoraAdapter& adapter, const Parameters& merged_grads,
                       std::vector<std::vector<float>>& out);

// The per-tensor building blocks, in float or double (the gradient test runs
// them in double).  Sums are accumulated in double.
//   w_eff[o, i] = w[o, i] + scale * sum_r b[o, r] a[r, i]
template <class T>
void lora_merge_tensor(const T* w, const T* a, const T* b, int64_t out, int64_t in, int64_t rank,
                       double scale, T* w_eff);
//   d_a[r, i] = scale * sum_o b[o, r] d_w[o, i];   d_b[o, r] = scale * sum_i d_w[o, i] a[r, i]
template <class T>
void lora_project_gradient(const T* d_w, const T* a, const T* b, int64_t out, int64_t in,
                           int64_t rank, double scale, T* d_a, T* d_b);

// The adapter file (layout above).  write_adapter_file writes a temporary
// name and renames it into place (Error(Io) on failure).  The readers throw
// Error(CorruptModel) for a damaged or truncated file and Error(Io) when the
// file cannot be read.
std::vector<uint8_t> write_adapter_buffer(const LoraAdapter& adapter);
void write_adapter_file(const std::string& path, const LoraAdapter& adapter);
LoraAdapter read_adapter(std::span<const uint8_t> bytes);
LoraAdapter read_adapter_file(const std::string& path);

}  // namespace invforecast::train
