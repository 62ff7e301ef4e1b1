#include "text/text_encoder.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/parallel.hpp"
#include "error.hpp"
#include "layers/transformer_block.hpp"

namespace invforecast::text {

namespace kern = invforecast::kernels;

namespace {

size_t count_of(const TensorView& t) { return t.values.size(); }

}  // namespace

TextEncoder::TextEncoder(TextModelFile model, const kern::Backend& backend)
    : model_(std::move(model)), backend_(&backend) {
  const TextEncoderConfig& c = model_.config();
  const TextTokenizerSpec& tok = model_.metadata().tokenizer;
  pad_id_ = static_cast<int32_t>(std::find(tok.vocab.begin(), tok.vocab.end(), tok.pad) - tok.vocab.begin());

  // The tables and LayerNorm parameters, gathered on the host and copied to the backend at once.
  std::vector<const TensorView*> small;
  auto place = [&small, this](std::string_view name) {
    size_t at = 0;
    for (const TensorView* t : small) at += count_of(*t);
    small.push_back(&model_.tensor(name));
    return at;
  };
  token_embed_ = place("token_embed");
  pos_embed_ = place("pos_embed");
  type_embed_ = place("type_embed");
  embed_ln_ = place("embed_ln.weight");
  place("embed_ln.bias");
  const int64_t D = c.hidden, F = c.intermediate;
  for (int64_t l = 0; l < c.layers; ++l) {
    const std::string p = "layers." + std::to_string(l) + ".";
    block_ln_.push_back(place(p + "ln1.weight"));
    for (const char* name : {"ln1.bias", "ln2.weight", "ln2.bias"}) place(p + name);
    auto prepare = [&](const char* layer, int64_t in, int64_t out) {
      linears_.push_back(backend.prepare_linear(model_.tensor(p + layer + ".weight").values.data(),
                                                model_.tensor(p + layer + ".bias").values.data(), in, out));
    };
    prepare("attn.qkv", D, 3 * D);
    prepare("attn.out", D, D);
    prepare("ffn1", D, F);
    prepare("ffn2", F, D);
  }
  size_t total = 0;
  for (const TensorView* t : small) total += count_of(*t);
  small_ = kern::Buffer<float>(backend, total);
  kern::Context ctx(backend);
  size_t at = 0;
  for (const TensorView* t : small) {
    backend.upload(ctx, small_.data() + at, t->values.data(), t->values.size_bytes());
    at += count_of(*t);
  }
}

void TextEncoder::embed(std::span<const std::vector<int32_t>> texts, std::span<float> out,
                        std::vector<std::vector<float>>* last_hidden, int threads) const {
  const TextEncoderConfig& c = model_.config();
  const auto D = static_cast<size_t>(c.hidden);
  if (out.size() < texts.size() * D)
    fail(ErrorCode::BufferTooSmall, "text embeddings: {} texts need {} floats, the buffer holds {}", texts.size(),
         texts.size() * D, out.size());
  for (size_t i = 0; i < texts.size(); ++i) {
    const std::vector<int32_t>& ids = texts[i];
    if (ids.empty() || static_cast<int64_t>(ids.size()) > c.max_seq_length)
      fail(ErrorCode::InvalidArgument, "text {} has {} token ids, 1..{} allowed", i, ids.size(), c.max_seq_length);
    for (size_t j = 0; j < ids.size(); ++j)
      if (ids[j] < 0 || ids[j] >= c.vocab_size)
        fail(ErrorCode::InvalidArgument, "text {}: token id {} at position {} is outside the vocabulary [0, {})", i,
             ids[j], j, c.vocab_size);
  }
  if (last_hidden) last_hidden->assign(texts.size(), {});

  // By length, so that a batch pads little.
  std::vector<size_t> order(texts.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&texts](size_t a, size_t b) { return texts[a].size() < texts[b].size(); });
  const size_t batches = (order.size() + kTextBatch - 1) / kTextBatch;
  parallel_for(batches, threads, {}, "embed", [&](size_t k) {
    const size_t first = k * kTextBatch, n = std::min(kTextBatch, order.size() - first);
    std::vector<const std::vector<int32_t>*> batch;
    std::vector<float*> rows;
    std::vector<std::vector<float>*> hidden;
    for (size_t i = first; i < first + n; ++i) {
      batch.push_back(&texts[order[i]]);
      rows.push_back(out.data() + order[i] * D);
      hidden.push_back(last_hidden ? &(*last_hidden)[order[i]] : nullptr);
    }
    kern::Context ctx(*backend_);
    embed_batch(ctx, batch, rows, hidden);
  });
}

void TextEncoder::embed_batch(kern::Context& ctx, std::span<const std::vector<int32_t>* const> batch,
                              std::span<float* const> rows, std::span<std::vector<float>* const> hidden) const {
  const TextEncoderConfig& c = model_.config();
  const kern::Backend& be = *backend_;
  const int64_t B = static_cast<int64_t>(batch.size()), D = c.hidden, F = c.intermediate;
  int64_t N = 0;
  for (const std::vector<int32_t>* ids : batch) N = std::max(N, static_cast<int64_t>(ids->size()));
  const int64_t R = B * N;

  // Right-padded ids and each text's length (the attention's key lengths, on the host).
  std::vector<int32_t> codes(static_cast<size_t>(R), pad_id_);
  std::vector<int32_t> lengths;
  for (int64_t b = 0; b < B; ++b) {
    std::copy(batch[b]->begin(), batch[b]->end(), codes.begin() + b * N);
    lengths.push_back(static_cast<int32_t>(batch[b]->size()));
  }
  kern::Buffer<int32_t> codes_dev(be, codes.size());
  be.upload(ctx, codes_dev.data(), codes.data(), codes.size() * sizeof(int32_t));
  kern::Buffer<float> stream(be, R * D), mid(be, R * D), qkv(be, R * 3 * D), attended(be, R * D),
      ffn(be, R * F), pooled(be, B * D);

  const float* small = small_.data();
  kern::embedding_gather(ctx, small + token_embed_, codes_dev.data(), 1, mid.data(), D, R, c.vocab_size, D);
  kern::add_rows(ctx, small + pos_embed_, mid.data(), R, D, N);
  kern::add_rows(ctx, small + type_embed_, mid.data(), R, D, 1);
  kern::layer_norm_forward(ctx, mid.data(), small + embed_ln_, small + embed_ln_ + D, stream.data(), nullptr,
                           nullptr, R, D, static_cast<float>(c.layer_norm_eps));

  const layers::BlockShape shape{N, D, c.heads, F, c.layer_norm_eps, layers::NormPlacement::Post};
  layers::BlockActivations<float> a;
  a.qkv = qkv.data();
  a.attended = attended.data();
  a.mid = mid.data();
  a.ffn_act = ffn.data();
  float* workspace =
      ctx.scratch(static_cast<size_t>(kern::attention_workspace_floats(layers::attention_dims(shape, B))));
  for (int64_t l = 0; l < c.layers; ++l) {
    const float* ln = small + block_ln_[l];
    const kern::PreparedLinear* p = &linears_[4 * l];
    auto linear = [](const kern::PreparedLinear& pl) {
      return layers::Linear<float>{pl.weight(), pl.bias(), pl.in_features(), pl.out_features(), &pl};
    };
    const layers::BlockWeights<float> w{ln,           ln + D,       linear(p[0]), linear(p[1]),
                                        ln + 2 * D,   ln + 3 * D,   linear(p[2]), linear(p[3])};
    layers::block_forward(ctx, shape, w, B, stream.data(), stream.data(), a, workspace, lengths.data());
  }

  // The mean over each text's own tokens, then unit length (torch.nn.functional.normalize's eps).
  for (int64_t b = 0; b < B; ++b)
    kern::sum_groups(ctx, stream.data() + b * N * D, pooled.data() + b * D, 1, lengths[b], D,
                     1.0f / static_cast<float>(lengths[b]));
  std::vector<float> host(static_cast<size_t>(B * D));
  be.download(ctx, host.data(), pooled.data(), host.size() * sizeof(float));
  for (int64_t b = 0; b < B; ++b) {
    const float* e = host.data() + b * D;
    double norm = 0;
    for (int64_t d = 0; d < D; ++d) norm += static_cast<double>(e[d]) * e[d];
    const double scale = 1.0 / std::max(std::sqrt(norm), 1e-12);
    for (int64_t d = 0; d < D; ++d) rows[b][d] = static_cast<float>(e[d] * scale);
    if (hidden[b]) {
      hidden[b]->resize(static_cast<size_t>(lengths[b] * D));
      be.download(ctx, hidden[b]->data(), stream.data() + b * N * D, hidden[b]->size() * sizeof(float));
    }
  }
}

}  // namespace invforecast::text
