// Sentence-encoder speed through the public C API only, as a vendor would call it:
// invf_text_model_embed on product texts, tokenizing included.  benchmarks/text_vs_pytorch.sh runs
// it beside PyTorch and ONNX Runtime (benchmarks/text_peers.py) on the same weights, texts and
// batches.
//
//   text_bench TEXT_MODEL.invft TEXTS.txt OUT.f32
//       texts per second at batch 1 and 64 on 1 and 2 threads: batch after batch of the texts
//       (one per line, in the file's order), the median of 3 passes after a warm-up; batch 1 takes
//       every 4th text.  Writes the batch-64, 1-thread embeddings to OUT.f32 for the agreement
//       check.  TEXT_BENCH_LIMIT > 0 keeps the first that many texts (a smoke run), as the peers do.
//
// Each measurement is one line "MEASURE engine=invforecast batch=B threads=T texts_per_s=X".
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "bench_util.hpp"
#include "invforecast.h"

namespace {

using namespace invf_bench;

constexpr int kPasses = 3;
constexpr size_t kBatch1Stride = 4;  // text_peers.py's BATCH1_STRIDE
constexpr size_t kWarmupBatches = 4;

std::vector<std::string> read_lines(const char* path) {
  std::ifstream in(path);
  if (!in) die(std::string("cannot open ") + path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  if (const char* limit = std::getenv("TEXT_BENCH_LIMIT"); limit && std::atol(limit) > 0)
    lines.resize(std::min(lines.size(), static_cast<size_t>(std::atol(limit))));
  if (lines.empty()) die(std::string(path) + " holds no text");
  return lines;
}

invf_text_model* load(const char* path, int threads) {
  invf_options* options = threads_options(threads);
  invf_text_model* model = nullptr;
  check(invf_text_model_load(path, options, &model), "invf_text_model_load");
  invf_options_release(options);
  return model;
}

// Embeds texts [first, last) of `pointers` in batches of `batch` into out (dim floats each).
void embed_range(const invf_text_model* model, const std::vector<const char*>& pointers,
                 const std::vector<size_t>& lengths, size_t first, size_t last, size_t batch,
                 size_t dim, std::vector<float>& out) {
  for (size_t i = first; i < last; i += batch) {
    const size_t n = std::min(batch, last - i);
    check(invf_text_model_embed(model, pointers.data() + i, lengths.data() + i, n,
                                out.data() + i * dim, n * dim),
          "invf_text_model_embed");
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) die("usage: text_bench TEXT_MODEL.invft TEXTS.txt OUT.f32");
  const std::vector<std::string> all = read_lines(argv[2]);

  struct Setting {
    size_t batch;
    int threads;
  };
  for (const Setting s : {Setting{1, 1}, Setting{64, 1}, Setting{1, 2}, Setting{64, 2}}) {
    invf_text_model* model = load(argv[1], s.threads);
    uint64_t dim = 0;
    check(invf_text_model_dim(model, &dim), "invf_text_model_dim");
    std::vector<const char*> pointers;
    std::vector<size_t> lengths;
    for (size_t i = 0; i < all.size(); i += s.batch == 1 ? kBatch1Stride : 1) {
      pointers.push_back(all[i].data());
      lengths.push_back(all[i].size());
    }
    std::vector<float> out(pointers.size() * dim);
    embed_range(model, pointers, lengths, 0, std::min(pointers.size(), kWarmupBatches * s.batch),
                s.batch, dim, out);
    std::vector<double> seconds;
    for (int pass = 0; pass < kPasses; ++pass) {
      const Clock::time_point start = Clock::now();
      embed_range(model, pointers, lengths, 0, pointers.size(), s.batch, dim, out);
      seconds.push_back(seconds_since(start));
    }
    std::printf("MEASURE engine=invforecast batch=%zu threads=%d texts_per_s=%.1f\n", s.batch,
                s.threads, static_cast<double>(pointers.size()) / median(seconds));
    std::fflush(stdout);
    if (s.batch == 64 && s.threads == 1) {
      std::FILE* f = std::fopen(argv[3], "wb");
      if (!f || std::fwrite(out.data(), sizeof(float), out.size(), f) != out.size() ||
          std::fclose(f) != 0)
        die(std::string("cannot write ") + argv[3]);
    }
    invf_text_model_release(model);
  }
  return 0;
}
