// The product kernels of one copy of the SIMD kernels (kernels/simd.cpp
// includes this after kernels/xsimd_copy.hpp): C = A·B with B row-major, in
// register blocks of C, or with a weight of a few rows held in registers;
// C = Xᵀ·Y down the columns of C; and the pairs of single-row products (a
// value and its tangent) that read each register of the weight once. The dot
// products, for a weight read by rows, are in kernels/dot_products.hpp.
#pragma once

#include <cstddef>

#include "kernels/dot_products.hpp"
#include "kernels/element_wise.hpp"
#include "kernels/twins.hpp"
#include "kernels/xsimd_copy.hpp"

namespace wengert::kernels::WENGERT_SIMD_TARGET {

namespace {

// The register block of the GEMM: MR rows of C by NV registers of columns,
// held in registers for the whole k loop (k is short: the layer width). Per
// step of k: NV loads of B, MR broadcasts of A, MR·NV fused multiply-adds.
// A bias row, if any, is added as the block is stored.
template <class T, int MR, int NV>
void micro(std::size_t k, const T* a, std::size_t a_row, std::size_t a_col, const T* b, std::size_t ldb, T* c,
           std::size_t ldc, bool accumulate, const T* row) {
  using V = xsimd::batch<T>;
  constexpr std::size_t w = V::size;
  // The loops over the block are unrolled by request: GCC keeps the
  // accumulators in registers only when they are unrolled before it splits the
  // array into scalars; left to its own heuristics it unrolls them later, and
  // the block lives on the stack, stored and reloaded around every k loop.
  V acc[MR][NV];
#pragma GCC unroll 16
  for (int r = 0; r < MR; ++r)
#pragma GCC unroll 16
    for (int v = 0; v < NV; ++v) acc[r][v] = accumulate ? V::load_unaligned(c + r * ldc + v * w) : V(T(0));
  for (std::size_t p = 0; p < k; ++p) {
    V bv[NV];
#pragma GCC unroll 16
    for (int v = 0; v < NV; ++v) {
      bv[v] = V::load_unaligned(b + p * ldb + v * w);
      // Keep B in a register: otherwise the compiler re-reads it from memory in
      // each of the MR multiply-adds, and the loop runs at the speed of loads.
      asm("" : "+v"(bv[v].data));
    }
#pragma GCC unroll 16
    for (int r = 0; r < MR; ++r) {
      V av(a[r * a_row + p * a_col]);
#pragma GCC unroll 16
      for (int v = 0; v < NV; ++v) acc[r][v] = xsimd::fma(av, bv[v], acc[r][v]);
    }
  }
#pragma GCC unroll 16
  for (int r = 0; r < MR; ++r)
#pragma GCC unroll 16
    for (int v = 0; v < NV; ++v) {
      if (row) acc[r][v] = acc[r][v] + V::load_unaligned(row + v * w);
      acc[r][v].store_unaligned(c + r * ldc + v * w);
    }
}

// MR rows of C, every column: full register blocks, then blocks half as wide
// (a narrow layer, 64 floats in four AVX-512 registers, still gets several
// multiply-adds in flight), down to single registers, then scalar columns.
template <class T, int MR, int NV>
void row_block(std::size_t n, std::size_t k, const T* a, std::size_t a_row, std::size_t a_col, const T* b,
               std::size_t ldb, T* c, std::size_t ldc, bool accumulate, const T* row) {
  constexpr std::size_t w = xsimd::batch<T>::size;
  auto row_at = [row](std::size_t j) { return row ? row + j : nullptr; };
  std::size_t j = 0;
  for (; j + NV * w <= n; j += NV * w)
    micro<T, MR, NV>(k, a, a_row, a_col, b + j, ldb, c + j, ldc, accumulate, row_at(j));
  if constexpr (NV > 1) {
    if (j < n) row_block<T, MR, NV / 2>(n - j, k, a, a_row, a_col, b + j, ldb, c + j, ldc, accumulate, row_at(j));
  } else if (j < n) {
    scalar::gemm(MR, n - j, k, a, a_row, a_col, b + j, ldb, std::size_t(1), c + j, ldc, accumulate, row_at(j));
  }
}

// Rows of C in blocks of MR, the last few one block size smaller at a time.
template <class T, int MR, int NV>
void rows_in_blocks(std::size_t m, std::size_t n, std::size_t k, const T* a, std::size_t a_row, std::size_t a_col,
                    const T* b, std::size_t ldb, T* c, std::size_t ldc, bool accumulate, const T* row) {
  // A single row has no neighbours to share B with: it takes twice the columns
  // instead, so that enough independent multiply-adds are in flight.
  constexpr int nv = MR == 1 ? 2 * NV : NV;
  std::size_t i = 0;
  for (; i + MR <= m; i += MR)
    row_block<T, MR, nv>(n, k, a + i * a_row, a_row, a_col, b, ldb, c + i * ldc, ldc, accumulate, row);
  if constexpr (MR > 1)
    if (i < m)
      rows_in_blocks<T, MR - 1, NV>(m - i, n, k, a + i * a_row, a_row, a_col, b, ldb, c + i * ldc, ldc, accumulate,
                                    row);
}

// C = A · B (+ the row) for a B of K <= 4 rows (a first layer of a few
// inputs): two multiply-adds per entry leave micro's blocks mostly loading,
// zeroing and storing. Here NV registers of B's columns and of the row stay in
// registers while the rows of C go by, each entry computed as micro computes
// it (from zero, one multiply-add per row of B in order, then the row): the
// same bits. Columns left over as row_block leaves them, by the scalar kernel.
template <class T, int K, int NV>
std::size_t few_rows_block(std::size_t m, std::size_t n, const T* a, std::size_t a_row, const T* b, std::size_t ldb,
                           T* c, std::size_t ldc, const T* row) {
  using V = xsimd::batch<T>;
  constexpr std::size_t w = V::size;
  std::size_t j = 0;
  for (; j + NV * w <= n; j += NV * w) {
    V bv[K][NV], rv[NV];
#pragma GCC unroll 16
    for (int v = 0; v < NV; ++v) {
#pragma GCC unroll 4
      for (int p = 0; p < K; ++p) bv[p][v] = V::load_unaligned(b + p * ldb + j + v * w);
      rv[v] = row ? V::load_unaligned(row + j + v * w) : V(T(0));
    }
    for (std::size_t i = 0; i < m; ++i) {
#pragma GCC unroll 16
      for (int v = 0; v < NV; ++v) {
        V acc(T(0));
#pragma GCC unroll 4
        for (int p = 0; p < K; ++p) acc = xsimd::fma(V(a[i * a_row + p]), bv[p][v], acc);
        if (row) acc = acc + rv[v];
        acc.store_unaligned(c + i * ldc + j + v * w);
      }
    }
  }
  if constexpr (NV > 1)
    j += few_rows_block<T, K, NV / 2>(m, n - j, a, a_row, b + j, ldb, c + j, ldc, row ? row + j : row);
  return j;
}

template <class T, int K>
void few_rows(std::size_t m, std::size_t n, const T* a, std::size_t a_row, const T* b, std::size_t ldb, T* c,
              std::size_t ldc, const T* row) {
  constexpr int nv = sizeof(xsimd::batch<T>) == 64 ? 4 : 2;  // B's registers, the row's and an entry's: 32 or 16
  const std::size_t j = few_rows_block<T, K, nv>(m, n, a, a_row, b, ldb, c, ldc, row);
  if (j < n)
    scalar::gemm(m, n - j, K, a, a_row, std::size_t(1), b + j, ldb, std::size_t(1), c + j, ldc, false,
                 row ? row + j : row);
}

// C = A · B for few columns of C when A's columns are contiguous (A = Xᵀ, a
// sum over the batch): registers run down a column of C instead of along a row.
template <class T>
void gemm_columns(std::size_t m, std::size_t n, std::size_t k, const T* a, std::size_t a_col, const T* b,
                  std::size_t b_row, std::size_t b_col, T* c, std::size_t ldc, bool accumulate) {
  using V = xsimd::batch<T>;
  constexpr std::size_t w = V::size;
  constexpr int nv = 4;
  for (std::size_t j = 0; j < n; ++j) {
    std::size_t i = 0;
    for (; i + nv * w <= m; i += nv * w) {
      V acc[nv];
      for (int v = 0; v < nv; ++v) acc[v] = V(T(0));
      for (std::size_t p = 0; p < k; ++p) {
        const V bp(b[p * b_row + j * b_col]);
        for (int v = 0; v < nv; ++v) acc[v] = xsimd::fma(V::load_unaligned(a + p * a_col + i + v * w), bp, acc[v]);
      }
      alignas(64) T column[nv * w];
      for (int v = 0; v < nv; ++v) acc[v].store_aligned(column + v * w);
      for (std::size_t r = 0; r < nv * w; ++r)
        c[(i + r) * ldc + j] = accumulate ? c[(i + r) * ldc + j] + column[r] : column[r];
    }
    if (i < m)
      scalar::gemm(m - i, 1, k, a + i, std::size_t(1), a_col, b + j * b_col, b_row, std::size_t(1), c + i * ldc + j,
                   ldc, accumulate, nullptr);
  }
}

// C += the row on every row, by the add kernel, for the products that do not
// add it in registers: the bits of an add step after them.
template <class T>
void add_row(std::size_t m, std::size_t n, T* c, std::size_t ldc, const T* row) {
  if (row == nullptr) return;
  for (std::size_t i = 0; i < m; ++i) binary_op<T, Op::add>(c + i * ldc, row, c + i * ldc, n);
}

// c0 = a0 · B, c1 = a1 · B for B row-major (b_col == 1): each register of B feeds both rows.
template <class T, int NV>
void pair_block(std::size_t k, const T* a0, const T* a1, const T* b, std::size_t ldb, T* c0, T* c1) {
  using V = xsimd::batch<T>;
  constexpr std::size_t w = V::size;
  V acc0[NV], acc1[NV];
#pragma GCC unroll 16
  for (int v = 0; v < NV; ++v) acc0[v] = acc1[v] = V(T(0));
  for (std::size_t p = 0; p < k; ++p) {
    const V x0(a0[p]), x1(a1[p]);
#pragma GCC unroll 16
    for (int v = 0; v < NV; ++v) {
      V bv = V::load_unaligned(b + p * ldb + v * w);
      asm("" : "+v"(bv.data));  // one load for both rows (as in micro)
      acc0[v] = xsimd::fma(x0, bv, acc0[v]);
      acc1[v] = xsimd::fma(x1, bv, acc1[v]);
    }
  }
#pragma GCC unroll 16
  for (int v = 0; v < NV; ++v) {
    acc0[v].store_unaligned(c0 + v * w);
    acc1[v].store_unaligned(c1 + v * w);
  }
}

// The pair over every whole register of columns: blocks of NV registers, then
// blocks half as wide for what is left (as row_block does); the columns done.
template <class T, int NV>
std::size_t pair_columns(std::size_t n, std::size_t k, const T* a0, const T* a1, const T* b, std::size_t ldb, T* c0,
                         T* c1) {
  constexpr std::size_t w = xsimd::batch<T>::size;
  std::size_t j = 0;
  for (; j + NV * w <= n; j += NV * w) pair_block<T, NV>(k, a0, a1, b + j, ldb, c0 + j, c1 + j);
  if constexpr (NV > 1) j += pair_columns<T, NV / 2>(n - j, k, a0, a1, b + j, ldb, c0 + j, c1 + j);
  return j;
}

// c0 = a0 · Wᵀ, c1 = a1 · Wᵀ with W's rows contiguous (b_row == 1): dot products, each row of W read once.
template <class T, int NR>
void pair_dot(std::size_t k, const T* a0, const T* a1, const T* w_rows, std::size_t ldw, T* c0, T* c1) {
  using V = DotRegister<T>;
  constexpr std::size_t w = V::size;
  V acc0[NR], acc1[NR];
#pragma GCC unroll 16
  for (int q = 0; q < NR; ++q) acc0[q] = acc1[q] = V(T(0));
  std::size_t p = 0;
  for (; p + w <= k; p += w) {
    const V x0 = V::load_unaligned(a0 + p), x1 = V::load_unaligned(a1 + p);
#pragma GCC unroll 16
    for (int q = 0; q < NR; ++q) {
      V wv = V::load_unaligned(w_rows + q * ldw + p);
      asm("" : "+v"(wv.data));  // one load for both rows (as in micro)
      acc0[q] = xsimd::fma(x0, wv, acc0[q]);
      acc1[q] = xsimd::fma(x1, wv, acc1[q]);
    }
  }
  store_sums(acc0, c0);
  store_sums(acc1, c1);
#pragma GCC unroll 16
  for (int q = 0; q < NR; ++q)
    for (std::size_t t = p; t < k; ++t) {
      c0[q] = tail_step(c0[q], a0[t], w_rows[q * ldw + t]);
      c1[q] = tail_step(c1[q], a1[t], w_rows[q * ldw + t]);
    }
}

}  // namespace

}  // namespace wengert::kernels::WENGERT_SIMD_TARGET
