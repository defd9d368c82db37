// Kernels: the loops the executor runs. Each SIMD kernel (xsimd, simd.cpp) has
// a scalar twin (scalar.cpp) computing the same formula one entry at a time;
// tests/kernels compares them over sizes that exercise every tail. simd.cpp is
// compiled once per instruction set; these functions run the copy dispatch.cpp
// chose for the CPU (targets.hpp), or the twin when `simd` is false. Buffers
// are dense row-major; `n` counts entries.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <type_traits>

#include "wengert/op.hpp"

namespace wengert::kernels {

/// A row of n entries, or nullptr for none (its element type taken from the
/// other arguments, so that nullptr needs no cast).
template <class T>
using OptionalRow = const std::type_identity_t<T>*;

/// y = op(a) entry by entry; `c` is the op's constant (exponent, scalar).
template <class T>
void unary(Op op, const T* a, T* y, std::size_t n, T c, bool simd);

/// y = a op b entry by entry (add, sub, mul, div).
template <class T>
void binary(Op op, const T* a, const T* b, T* y, std::size_t n, bool simd);

/// C (+)= A · B with C m×n (leading dimension ldc), A m×k read as
/// A(i, p) = a[i * a_row + p * a_col] and B k×n as B(p, j) = b[p * b_row + j * b_col],
/// so that either may be a transposed view. One kernel computes X·W
/// (a_row = k, a_col = 1, b_row = n, b_col = 1), Y·Wᵀ (b_row = 1, b_col = k) and
/// Xᵀ·Y summed over the batch (a_row = 1, a_col = m).
/// With `row` (n entries; nullptr: none) C = A · B + row on every row: each
/// entry's sum rounded first, then the row added, as an add after the product
/// computes it (a bias added while the result is in registers: exec/bias_rows.cpp).
template <class T>
void gemm(std::size_t m, std::size_t n, std::size_t k, const T* a, std::size_t a_row, std::size_t a_col, const T* b,
          std::size_t b_row, std::size_t b_col, T* c, std::size_t ldc, bool accumulate, OptionalRow<T> row, bool simd);

/// Two single-row products with the same B, B read once: c0 = a0 · B (+ row0)
/// and c1 = a1 · B (+ row1), B and the rows as in gemm. At one sample per run
/// the products are bound by reading B; a product and its tangent share B and
/// are computed together.
template <class T>
void gemm_pair(std::size_t n, std::size_t k, const T* a0, const T* a1, const T* b, std::size_t b_row, std::size_t b_col,
               T* c0, T* c1, OptionalRow<T> row0, OptionalRow<T> row1, bool simd);

/// y[j] (+)= Σ_i a[i][j] over `rows` rows of `cols` columns.
template <class T>
void sum_rows(const T* a, T* y, std::size_t rows, std::size_t cols, bool accumulate, bool simd);

/// y[i] = Σ_j a[i][j].
template <class T>
void sum_cols(const T* a, T* y, std::size_t rows, std::size_t cols, bool simd);

/// The steps after a fused step that only negate, scale or shift what it wrote
/// (kernels/fused.hpp), in their order: negate, times scale, negate, plus
/// shift, negate, each where its flag says (a run of negations is one or none).
template <class T>
struct AffineTail {
  bool negate_first = false, scaled = false, negate_scaled = false, shifted = false, negate_last = false;
  T scale = T(1), shift = T(-0.0);  // absent: times 1 and plus -0 leave every number, ±0 and NaN included, as it was
  bool any() const { return negate_first || scaled || negate_scaled || shifted || negate_last; }
};

/// One step of a fused group: slot y = op(slot a) or slot a op slot b over
/// `cols` columns, then its tail; `c` is a unary op's constant (and b, which it
/// does not read, best a: kernels::fused passes every step alike). A sum over
/// the batch (op sum_rows) adds each row of slot a into slot y's one row; a
/// row sum (op sum_cols) writes each row of y as the sum of slot a's row of
/// `a_cols` entries. `kernel` is the loop for its op and tail in the kernel set
/// the program runs, chosen once (choose_step_kernels): a call per step, no
/// dispatch on the op.
template <class T>
struct FusedStep {
  Op op;
  std::uint32_t a, b, y;
  std::size_t cols;
  T c;
  AffineTail<T> tail{};
  void (*kernel)(const FusedStep& s, const T* a, const T* b, T* y, std::size_t n) = nullptr;
  std::size_t a_cols = 0;  // a row sum's: its argument's columns
};

template <class T>
using StepKernel = decltype(FusedStep<T>::kernel);

/// Each step's kernel: the SIMD kernels' for the CPU, or the scalar twins'.
template <class T>
void choose_step_kernels(std::span<FusedStep<T>> steps, bool simd);

/// The steps of a fused group, their kernels chosen, in turn over `rows` rows
/// (kernels/fused.hpp): row r of slot k at slot[k] + r * row_step[k] (a row
/// step of 0: a bias row, the same row for every row).
template <class T>
void fused(std::span<const FusedStep<T>> steps, T* const* slot, const std::size_t* row_step, std::size_t rows);

}  // namespace wengert::kernels
