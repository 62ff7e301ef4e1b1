// The single source of packed_gemm (gemm.hpp), written on a vector type V
// (ScalarVec, Vec128 or Avx2Vec) like cpu_kernels_impl.hpp.  Included once
// per ISA by gemm_<isa>.cpp, which first defines in V's namespace
// INVF_CPU_ISA_NS the vector type V and the tile shapes GemmTiles (below);
// only INVF_CPU_ISA_NS::packed_gemm leaves the translation unit.
//
// Blocking: a tile is R rows of a (1..GemmTiles::max_rows) times P panels of
// b (16 columns each, P = GemmTiles::panels_for_rows(R)), held in
// R * P * 16 / width accumulators, sized per ISA to its registers
// (gemm_<isa>.cpp): AVX2 runs 6 x 16 (12 YMM accumulators) for full row
// blocks, and the last rows of a batch (and batch-1 latency) take more panels
// at once, 1 x 64, 2 x 48, 3 x 32, so that there are always at least 8
// independent FMA chains to hide the FMA latency; vec128 on x86-64 runs
// 3 x 16 (12 of the 16 XMM registers) and 1 x 48.  Per k the tile loads
// P * 16 floats of b and broadcasts R floats of a.
//
// Loop order: k blocks (only for long k: the quantile head's 5376) > row
// chunks of kChunkRows rows > strips of kStripPanels panels > row blocks of
// the chunk > panels of the strip.  A strip of b (k block x 128 columns, at
// most 256 KiB) stays in L2 for every row block of the chunk, and a row block
// of a (R x k block) in L1 while the strip's panels stream through; b is
// packed so each k of a panel is one cache line.  Reading b once per chunk
// rather than once per row block made the MiniLM text encoder (k 384 and
// 1536, n up to 1536) about 16% faster.
#pragma once

#include <cstdint>

#include "gemm.hpp"

namespace invforecast::kernels::cpu::INVF_CPU_ISA_NS {
namespace {

using Reg = V::Reg;
constexpr int64_t W = V::width;
constexpr int64_t NR = kPackedPanelWidth;
constexpr int64_t NV = NR / W;  // vectors per panel row
constexpr int64_t kMaxRows = GemmTiles::max_rows;
static_assert(NR % W == 0);
static_assert(kMaxRows >= 1);
// Blocking of the loops (above).  Tiles never cross a strip, so a tile width
// that does not divide 8 panels (3) leaves single panels at each strip's end;
// each output's sum keeps its k order whatever the tile, so the bits are
// those of one pass over all panels.
constexpr int64_t kStripPanels = 8;
constexpr int64_t kChunkRows = 8 * kMaxRows;

struct TileArgs {
  const float* a;
  int64_t lda;
  const float* b;             // first panel of the tile, at the k block's first k
  int64_t panel_stride;       // floats between panels
  int64_t kb;                 // k block length
  float* c;                   // the tile's top-left output
  int64_t ldc;
  int64_t cols;               // valid columns of the tile, 1 .. P * NR
  const float* bias;          // padded bias at the tile's first column, or null
  bool first_block, last_block;
  bool accumulate;
};

// Columns [v * W, v * W + W) of a row of the tile, cut to the valid ones.
inline int64_t lanes(int64_t v, int64_t cols) {
  const int64_t left = cols - v * W;
  return left >= W ? W : left;
}

template <int64_t R, int64_t P>
void tile(const TileArgs& t) {
  constexpr int64_t J = P * NV;  // accumulators per row
  Reg acc[R][J];
  const bool full = t.cols == P * NR;
  if (t.first_block) {
#pragma GCC unroll 24
    for (int64_t r = 0; r < R; ++r)
#pragma GCC unroll 24
      for (int64_t j = 0; j < J; ++j) acc[r][j] = V::zero();
  } else {
    // Partial sums of the earlier k blocks, parked in c.
    for (int64_t r = 0; r < R; ++r)
      for (int64_t j = 0; j < J; ++j) {
        const int64_t n = full ? W : lanes(j, t.cols);
        acc[r][j] = n > 0 ? V::load_n(t.c + r * t.ldc + j * W, n, 0.0f) : V::zero();
      }
  }

  const float* a = t.a;
  const float* b = t.b;
  for (int64_t k = 0; k < t.kb; ++k, ++a, b += NR) {
    Reg bv[J];
#pragma GCC unroll 24
    for (int64_t p = 0; p < P; ++p)
#pragma GCC unroll 24
      for (int64_t v = 0; v < NV; ++v) bv[p * NV + v] = V::load(b + p * t.panel_stride + v * W);
#pragma GCC unroll 24
    for (int64_t r = 0; r < R; ++r) {
      const Reg av = V::set1(a[r * t.lda]);
#pragma GCC unroll 24
      for (int64_t j = 0; j < J; ++j) acc[r][j] = V::fmadd(av, bv[j], acc[r][j]);
    }
  }

  for (int64_t r = 0; r < R; ++r) {
    float* c = t.c + r * t.ldc;
    for (int64_t j = 0; j < J; ++j) {
      const int64_t n = full ? W : lanes(j, t.cols);
      if (n <= 0) break;
      Reg u = acc[r][j];
      if (t.last_block) {
        if (t.bias) u = V::add(u, V::load(t.bias + j * W));
        if (t.accumulate) u = V::add(V::load_n(c + j * W, n, 0.0f), u);
      }
      V::store_n(c + j * W, u, n);
    }
  }
}

// One row block of R rows over panels [first, last): P panels at a time, then
// single panels for what is left.
template <int64_t R>
void row_block(TileArgs t, const PackedMatrix& b, int64_t k0, int64_t first, int64_t last) {
  constexpr int64_t P = GemmTiles::panels_for_rows(R);
  static_assert(P >= 1);
  const int64_t n = b.n(), stride = b.k() * NR;
  const float* bias = b.padded_bias();
  float* c = t.c;
  int64_t p = first;
  for (; P > 1 && p + P <= last; p += P) {
    t.b = b.panel_data() + p * stride + k0 * NR;
    t.c = c + p * NR;
    t.cols = n - p * NR < P * NR ? n - p * NR : P * NR;
    t.bias = bias ? bias + p * NR : nullptr;
    tile<R, P>(t);
  }
  for (; p < last; ++p) {
    t.b = b.panel_data() + p * stride + k0 * NR;
    t.c = c + p * NR;
    t.cols = n - p * NR < NR ? n - p * NR : NR;
    t.bias = bias ? bias + p * NR : nullptr;
    tile<R, 1>(t);
  }
}

// row_block<rows> for rows in 1 .. R.
template <int64_t R>
void row_block_for(int64_t rows, const TileArgs& t, const PackedMatrix& b, int64_t k0, int64_t first,
                   int64_t last) {
  if constexpr (R > 1)
    if (rows < R) return row_block_for<R - 1>(rows, t, b, k0, first, last);
  row_block<R>(t, b, k0, first, last);
}

}  // namespace

void packed_gemm(int64_t m, const float* a, int64_t lda, const PackedMatrix& b, float* c,
                 int64_t ldc, Epilogue epilogue, bool accumulate) {
  const int64_t k = b.k();
  // Partial sums are parked in c between k blocks, which a residual in c forbids.
  const int64_t block = accumulate || k <= kPackedMaxUnblockedK ? k : kPackedKBlock;
  TileArgs t{};
  t.lda = lda;
  t.panel_stride = k * NR;
  t.ldc = ldc;
  t.accumulate = accumulate;
  for (int64_t k0 = 0; k0 < k; k0 += block) {
    t.kb = k - k0 < block ? k - k0 : block;
    t.first_block = k0 == 0;
    t.last_block = k0 + t.kb == k;
    // Row chunks of kChunkRows rows; in each, strip by strip of kStripPanels
    // panels (whose k block stays in L2), every row block of the chunk.
    for (int64_t m0 = 0; m0 < m; m0 += kChunkRows) {
      const int64_t m1 = m - m0 < kChunkRows ? m : m0 + kChunkRows;
      for (int64_t p0 = 0; p0 < b.panels(); p0 += kStripPanels) {
        const int64_t p1 = b.panels() - p0 < kStripPanels ? b.panels() : p0 + kStripPanels;
        for (int64_t r0 = m0; r0 < m1; r0 += kMaxRows) {
          t.a = a + r0 * lda + k0;
          t.c = c + r0 * ldc;
          row_block_for<kMaxRows>(m1 - r0 < kMaxRows ? m1 - r0 : kMaxRows, t, b, k0, p0, p1);
        }
      }
      // GELU over the chunk's finished rows while they are in L2, many
      // registers at once (V::gelu_in_place), rather than tile by tile.
      if (epilogue == Epilogue::Gelu && t.last_block)
        for (int64_t r = m0; r < m1; ++r) V::gelu_in_place(c + r * ldc, b.n());
    }
  }
}

}  // namespace invforecast::kernels::cpu::INVF_CPU_ISA_NS
