// The SIMD kernels, with xsimd. Each is the scalar twin's loop (scalar.cpp)
// over whole registers. The element-wise kernels take the tail through the same
// register formula, padded: an entry's result depends on its inputs alone, never
// on where it sits, so rows computed in any grouping (chunks, the ranks' shares,
// one row at a time) get the bits one pass over all of them gets.
//
// This file is compiled once per instruction set the build carries (meson's
// kernel_targets: AVX-512, AVX2 with FMA, SSE2; or once for -march=native),
// each time with WENGERT_SIMD_TARGET naming it, so that every copy lives in a
// namespace of its own and exports one table of its kernels; dispatch.cpp picks
// the table for the CPU at run time.
#include "kernels/xsimd_copy.hpp"  // first: it renames xsimd for this copy

#include "kernels/dot_products.hpp"
#include "kernels/element_wise.hpp"
#include "kernels/fused.hpp"
#include "kernels/products.hpp"
#include "kernels/targets.hpp"
#include "kernels/twins.hpp"

namespace wengert::kernels::WENGERT_SIMD_TARGET {

template <class T>
void gemm_pair(std::size_t n, std::size_t k, const T* a0, const T* a1, const T* b, std::size_t b_row, std::size_t b_col,
               T* c0, T* c1, const T* row0, const T* row1) {
  std::size_t j = 0;
  if (b_col == 1 && b_row != 1) {
    j = pair_columns<T, 8>(n, k, a0, a1, b, b_row, c0, c1);
  } else if (b_row == 1) {
    constexpr int nr = static_cast<int>(DotRegister<T>::size);  // one dot product per lane
    for (; j + nr <= n; j += nr) pair_dot<T, nr>(k, a0, a1, b + j * b_col, b_col, c0 + j, c1 + j);
    for (; j < n; ++j) pair_dot<T, 1>(k, a0, a1, b + j * b_col, b_col, c0 + j, c1 + j);  // as gemm_dot's last columns
  }
  if (j < n) {  // the rest of the columns, one row at a time
    scalar::gemm(1, n - j, k, a0, k, std::size_t(1), b + j * b_col, b_row, b_col, c0 + j, n, false, nullptr);
    scalar::gemm(1, n - j, k, a1, k, std::size_t(1), b + j * b_col, b_row, b_col, c1 + j, n, false, nullptr);
  }
  add_row(1, n, c0, n, row0);
  add_row(1, n, c1, n, row1);
}

// The ops by kind, each as X(name): every switch below names them all, so that
// an op added to the tape is a compile error here until it is placed.
// clang-format off
#define WENGERT_UNARY_OPS(X)                                                                                    \
  X(neg) X(square) X(sqrt) X(exp) X(log) X(log1p) X(tanh) X(sigmoid) X(softplus) X(silu) X(sin) X(cos) X(pow) \
  X(add_scalar) X(mul_scalar) X(relu) X(abs) X(step) X(sign)
#define WENGERT_BINARY_OPS(X) X(add) X(sub) X(mul) X(div)
#define WENGERT_OTHER_OPS(X)                                                                                     \
  X(input) X(fill) X(broadcast_rows) X(spread_rows) X(broadcast_cols) X(sum_rows) X(mean_rows) X(sum_cols)      \
  X(transpose) X(slice_cols) X(pad_cols) X(concat_cols) X(matmul)
#define WENGERT_NO_CASE(name) case Op::name:
// clang-format on

template <class T>
void unary(Op op, const T* a, T* y, std::size_t n, T c) {
  switch (op) {
#define WENGERT_CASE(name) \
  case Op::name: return unary_op<T, Op::name>(a, y, n, c);
    WENGERT_UNARY_OPS(WENGERT_CASE)
#undef WENGERT_CASE
    WENGERT_BINARY_OPS(WENGERT_NO_CASE) WENGERT_OTHER_OPS(WENGERT_NO_CASE) break;  // not element-wise
  }
}

template <class T>
void binary(Op op, const T* a, const T* b, T* y, std::size_t n) {
  switch (op) {
#define WENGERT_CASE(name) \
  case Op::name: return binary_op<T, Op::name>(a, b, y, n);
    WENGERT_BINARY_OPS(WENGERT_CASE)
#undef WENGERT_CASE
    WENGERT_UNARY_OPS(WENGERT_NO_CASE) WENGERT_OTHER_OPS(WENGERT_NO_CASE) break;  // not two-argument element-wise
  }
}

// A fused step's loop: its op, then its tail if it has one (kernels/fused.hpp).
template <class T, Op op, bool tailed>
void unary_step(const FusedStep<T>& s, const T* a, const T*, T* y, std::size_t n) {
  if constexpr (tailed)
    unary_op<T, op>(a, y, n, s.c, Affine<T>{s.tail});
  else
    unary_op<T, op>(a, y, n, s.c);
}

template <class T, Op op, bool tailed>
void binary_step(const FusedStep<T>& s, const T* a, const T* b, T* y, std::size_t n) {
  if constexpr (tailed)
    binary_op<T, op>(a, b, y, n, Affine<T>{s.tail});
  else
    binary_op<T, op>(a, b, y, n);
}

// y += each row of a in turn, a few registers of y held while the rows go by:
// every entry the sum of its column in row order, as adding the rows one at a
// time gives it (an add rounds alike in a register or alone).
template <class T>
void sum_rows(const T* a, T* y, std::size_t rows, std::size_t cols, bool accumulate) {
  using V = xsimd::batch<T>;
  constexpr std::size_t w = V::size, nv = 4;
  if (!accumulate) std::fill(y, y + cols, T(0));
  std::size_t j = 0;
  for (; j + nv * w <= cols; j += nv * w) {
    V sum[nv];
    for (std::size_t v = 0; v < nv; ++v) sum[v] = V::load_unaligned(y + j + v * w);
    for (std::size_t r = 0; r < rows; ++r)
      for (std::size_t v = 0; v < nv; ++v) sum[v] = sum[v] + V::load_unaligned(a + r * cols + j + v * w);
    for (std::size_t v = 0; v < nv; ++v) sum[v].store_unaligned(y + j + v * w);
  }
  for (; j + w <= cols; j += w) {
    V sum = V::load_unaligned(y + j);
    for (std::size_t r = 0; r < rows; ++r) sum = sum + V::load_unaligned(a + r * cols + j);
    sum.store_unaligned(y + j);
  }
  for (; j < cols; ++j) {
    T sum = y[j];
    for (std::size_t r = 0; r < rows; ++r) sum = sum + a[r * cols + j];
    y[j] = sum;
  }
}

// A fused sum over the batch: y's row plus each of n rows of a (kernels/fused.hpp).
template <class T>
void sum_step(const FusedStep<T>& s, const T* a, const T*, T* y, std::size_t n) {
  sum_rows(a, y, n, s.cols, true);
}

template <class T>
void sum_cols(const T* a, T* y, std::size_t rows, std::size_t cols) {
  using V = xsimd::batch<T>;
  constexpr std::size_t w = V::size;
  for (std::size_t r = 0; r < rows; ++r) {
    const T* ar = a + r * cols;
    V acc(T(0));
    std::size_t j = 0;
    for (; j + w <= cols; j += w) acc += V::load_unaligned(ar + j);
    T sum = xsimd::hadd(acc);
    for (; j < cols; ++j) sum += ar[j];
    y[r] = sum;
  }
}

// A fused row sum: each of n rows of a, a_cols entries, into its entry of y.
template <class T>
void row_sum_step(const FusedStep<T>& s, const T* a, const T*, T* y, std::size_t n) {
  sum_cols(a, y, n, s.a_cols);
}

template <class T>
StepKernel<T> step_kernel(const FusedStep<T>& s) {
  const bool tailed = s.tail.any();
  if (s.op == Op::sum_rows) return sum_step<T>;
  if (s.op == Op::sum_cols) return row_sum_step<T>;
  switch (s.op) {
#define WENGERT_CASE(name) \
  case Op::name: return tailed ? unary_step<T, Op::name, true> : unary_step<T, Op::name, false>;
    WENGERT_UNARY_OPS(WENGERT_CASE)
#undef WENGERT_CASE
#define WENGERT_CASE(name) \
  case Op::name: return tailed ? binary_step<T, Op::name, true> : binary_step<T, Op::name, false>;
    WENGERT_BINARY_OPS(WENGERT_CASE)
#undef WENGERT_CASE
    WENGERT_OTHER_OPS(WENGERT_NO_CASE) break;
  }
  return nullptr;  // not element-wise: never in a fused group
}

#undef WENGERT_UNARY_OPS
#undef WENGERT_BINARY_OPS
#undef WENGERT_OTHER_OPS
#undef WENGERT_NO_CASE

template <class T>
void gemm(std::size_t m, std::size_t n, std::size_t k, const T* a, std::size_t a_row, std::size_t a_col, const T* b,
          std::size_t b_row, std::size_t b_col, T* c, std::size_t ldc, bool accumulate, const T* row) {
  // B given by its rows, as Wᵀ (or a single column): dot products along k.
  const bool b_transposed = b_row == 1 && (b_col != 1 || n == 1);
  if (a_col == 1 && b_transposed) {
    gemm_dot(m, n, k, a, a_row, b, b_col, c, ldc, accumulate);
    return add_row(m, n, c, ldc, row);
  }
  if (a_row == 1 && n < xsimd::batch<T>::size) {
    gemm_columns(m, n, k, a, a_col, b, b_row, b_col, c, ldc, accumulate);
    return add_row(m, n, c, ldc, row);
  }
  if (b_col == 1 && a_col == 1 && !accumulate && k >= 1 && k <= 4) {
    switch (k) {
      case 1: return few_rows<T, 1>(m, n, a, a_row, b, b_row, c, ldc, row);
      case 2: return few_rows<T, 2>(m, n, a, a_row, b, b_row, c, ldc, row);
      case 3: return few_rows<T, 3>(m, n, a, a_row, b, b_row, c, ldc, row);
      default: return few_rows<T, 4>(m, n, a, a_row, b, b_row, c, ldc, row);
    }
  }
  if (b_col == 1) {
    // Wide registers (AVX-512: 32 of them) hold a 6 x 4 block; narrower ones 4 x 2.
    constexpr bool wide = sizeof(xsimd::batch<T>) == 64;
    if constexpr (wide)
      rows_in_blocks<T, 6, 4>(m, n, k, a, a_row, a_col, b, b_row, c, ldc, accumulate, row);
    else
      rows_in_blocks<T, 4, 2>(m, n, k, a, a_row, a_col, b, b_row, c, ldc, accumulate, row);
    return;
  }
  scalar::gemm(m, n, k, a, a_row, a_col, b, b_row, b_col, c, ldc, accumulate, row);
}

template <class T>
constexpr KernelTable<T> table() {
  return {unary<T>, binary<T>, gemm<T>, gemm_pair<T>, sum_rows<T>, sum_cols<T>, step_kernel<T>};
}

}  // namespace wengert::kernels::WENGERT_SIMD_TARGET

namespace wengert::kernels {

extern const Target WENGERT_TARGET_OBJECT(WENGERT_SIMD_TARGET);
const Target WENGERT_TARGET_OBJECT(WENGERT_SIMD_TARGET) = {
    WENGERT_STRING(WENGERT_SIMD_TARGET), WENGERT_SIMD_TARGET::table<float>(), WENGERT_SIMD_TARGET::table<double>()};

}  // namespace wengert::kernels
