// The dot-product kernels of one copy of the SIMD kernels (kernels/simd.cpp
// includes this after kernels/xsimd_copy.hpp): C = A·Bᵀ with the rows of A and
// of B contiguous, as a product Y·Wᵀ reads W by rows, and the horizontal sums
// that end every dot product in one order whatever was computed beside it.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>

#include "kernels/xsimd_copy.hpp"

namespace wengert::kernels::WENGERT_SIMD_TARGET {

namespace {

// The register a dot product accumulates in: the full SIMD register, but for
// float under AVX-512 half of one (eight lanes). At a layer's width (k = 64) a
// sixteen-lane register takes four multiply-adds per dot product and then a
// reduction across sixteen lanes that costs about as much as they do; eight
// lanes take eight multiply-adds, which cores that run 512-bit work as two
// 256-bit halves (AMD Zen 4) issue at the same rate, and a reduction a step
// shorter. A pair of 64 x 64 float dot products (gemm_pair, Wᵀ) took 290 ns
// in sixteen lanes, 225 ns in eight, on such a core; double keeps its eight
// lanes (they were 14% faster than four).
template <class T>
struct DotLanes {
  using type = xsimd::batch<T>;
};
#if defined(__AVX512F__)
template <>
struct DotLanes<float> {
  using type = xsimd::batch<float, xsimd::fma3<xsimd::avx2>>;  // fma3: plain avx2 has no fused multiply-add
};
#endif
template <class T>
using DotRegister = typename DotLanes<T>::type;

// The horizontal sums of NR registers into out[0..NR), each added in the same
// order whatever NR is, so that a dot product's bits do not depend on how many
// were computed beside it (one row at a time, or four): transposing reductions
// (haddp) of one register per lane, groups filled up with zeros.
template <class V, int NR>
void store_sums(const V (&acc)[NR], typename V::value_type* out) {
  using T = typename V::value_type;
  constexpr int lanes = static_cast<int>(V::size);
  if constexpr (NR == lanes) {
    xsimd::haddp(acc).store_unaligned(out);
  } else {
    for (int q0 = 0; q0 < NR; q0 += lanes) {
      V group[lanes];
      for (int q = 0; q < lanes; ++q) group[q] = q0 + q < NR ? acc[q0 + q] : V(T(0));
      alignas(64) T sums[lanes];
      xsimd::haddp(group).store_aligned(sums);
      std::copy_n(sums, std::min(lanes, NR - q0), out + q0);
    }
  }
}

// One entry of a dot product's tail (the entries after its last whole
// register): one fused multiply-add, written out, so that every dot kernel
// rounds its tail alike. Left as sum += a * b, GCC contracted it in some
// kernels and vectorized it as a multiply and an add in others.
template <class T>
T tail_step(T sum, T a, T b) {
  return std::fma(a, b, sum);
}

// C = A · Bᵀ with the rows of A and of B contiguous: each entry is a dot
// product along k, MR x NR of them at once, reduced across the register at the
// end: each row's NR products together, or (by_rows, MR the register's lanes)
// each column's MR products together. A row with few columns (a narrow product,
// the gradient of d = 2 inputs: two) fills a reduction mostly with zeros; its
// column's products with as many rows fill one. Either way every dot product
// is summed alike (store_sums): the same bits.
template <class T, int MR, int NR, bool by_rows = false>
void micro_dot(std::size_t k, const T* a, std::size_t lda, const T* b, std::size_t ldb, T* c, std::size_t ldc,
               bool accumulate) {
  using V = DotRegister<T>;
  constexpr std::size_t w = V::size;
  V acc[MR][NR];
#pragma GCC unroll 16
  for (int r = 0; r < MR; ++r)
#pragma GCC unroll 16
    for (int q = 0; q < NR; ++q) acc[r][q] = V(T(0));
  std::size_t p = 0;
  for (; p + w <= k; p += w) {
    V bv[NR];
#pragma GCC unroll 16
    for (int q = 0; q < NR; ++q) {
      bv[q] = V::load_unaligned(b + q * ldb + p);
      if constexpr (MR > 1) asm("" : "+v"(bv[q].data));  // one load for every row (as in micro)
    }
#pragma GCC unroll 16
    for (int r = 0; r < MR; ++r) {
      V av = V::load_unaligned(a + r * lda + p);
#pragma GCC unroll 16
      for (int q = 0; q < NR; ++q) acc[r][q] = xsimd::fma(av, bv[q], acc[r][q]);
    }
  }
  auto store = [&](int r, int q, T sum) {  // the tail after the last whole register, then C
    for (std::size_t t = p; t < k; ++t) sum = tail_step(sum, a[r * lda + t], b[q * ldb + t]);
    c[r * ldc + q] = accumulate ? c[r * ldc + q] + sum : sum;
  };
  if constexpr (by_rows) {
#pragma GCC unroll 4
    for (int q = 0; q < NR; ++q) {
      V column[MR];
      T sums[MR];
#pragma GCC unroll 16
      for (int r = 0; r < MR; ++r) column[r] = acc[r][q];
      store_sums(column, sums);
#pragma GCC unroll 16
      for (int r = 0; r < MR; ++r) store(r, q, sums[r]);
    }
  } else {
#pragma GCC unroll 16
    for (int r = 0; r < MR; ++r) {
      T sums[NR];
      store_sums(acc[r], sums);
#pragma GCC unroll 16
      for (int q = 0; q < NR; ++q) store(r, q, sums[q]);
    }
  }
}

template <class T, int MR>
void dot_rows(std::size_t n, std::size_t k, const T* a, std::size_t lda, const T* b, std::size_t ldb, T* c,
              std::size_t ldc, bool accumulate) {
  // A single row: one dot product per lane at once, reduced together (and enough of them to hide the latency).
  constexpr int nr = MR == 1 ? static_cast<int>(DotRegister<T>::size) : 4;
  std::size_t j = 0;
  for (; j + nr <= n; j += nr) micro_dot<T, MR, nr>(k, a, lda, b + j * ldb, ldb, c + j, ldc, accumulate);
  for (; j < n; ++j) micro_dot<T, MR, 1>(k, a, lda, b + j * ldb, ldb, c + j, ldc, accumulate);
}

template <class T>
void gemm_dot(std::size_t m, std::size_t n, std::size_t k, const T* a, std::size_t lda, const T* b, std::size_t ldb,
              T* c, std::size_t ldc, bool accumulate) {
  constexpr int lanes = static_cast<int>(DotRegister<T>::size);
  // Rows by the register's lanes: thirty-two registers hold the sums of three
  // columns (and a column and a row of A each); sixteen, of one.
  constexpr int nc = sizeof(xsimd::batch<T>) == 64 ? 3 : 1;
  std::size_t i = 0;
  for (; i + lanes <= m; i += lanes) {
    std::size_t j = 0;
    const T* rows = a + i * lda;
    for (; j + nc <= n; j += nc)
      micro_dot<T, lanes, nc, true>(k, rows, lda, b + j * ldb, ldb, c + i * ldc + j, ldc, accumulate);
    for (; j < n; ++j) micro_dot<T, lanes, 1, true>(k, rows, lda, b + j * ldb, ldb, c + i * ldc + j, ldc, accumulate);
  }
  for (; i + 4 <= m; i += 4) dot_rows<T, 4>(n, k, a + i * lda, lda, b, ldb, c + i * ldc, ldc, accumulate);
  for (; i < m; ++i) dot_rows<T, 1>(n, k, a + i * lda, lda, b, ldb, c + i * ldc, ldc, accumulate);
}

}  // namespace

}  // namespace wengert::kernels::WENGERT_SIMD_TARGET
