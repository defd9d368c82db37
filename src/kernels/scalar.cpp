#include "kernels/fused.hpp"
#include "kernels/twins.hpp"
#include "tape/formulas.hpp"

namespace wengert::kernels::scalar {

template <class T>
void unary(Op op, const T* a, T* y, std::size_t n, T c) {
  for (std::size_t i = 0; i < n; ++i) y[i] = formulas::unary(op, a[i], c);
}

template <class T>
void binary(Op op, const T* a, const T* b, T* y, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) y[i] = formulas::binary(op, a[i], b[i]);
}

template <class T>
void gemm(std::size_t m, std::size_t n, std::size_t k, const T* a, std::size_t a_row, std::size_t a_col, const T* b,
          std::size_t b_row, std::size_t b_col, T* c, std::size_t ldc, bool accumulate, OptionalRow<T> row) {
  for (std::size_t i = 0; i < m; ++i)
    for (std::size_t j = 0; j < n; ++j) {
      T sum = accumulate ? c[i * ldc + j] : T(0);
      for (std::size_t p = 0; p < k; ++p) sum += a[i * a_row + p * a_col] * b[p * b_row + j * b_col];
      c[i * ldc + j] = row ? sum + row[j] : sum;
    }
}

template <class T>
void sum_rows(const T* a, T* y, std::size_t rows, std::size_t cols, bool accumulate) {
  for (std::size_t j = 0; j < cols; ++j) {
    T sum = accumulate ? y[j] : T(0);
    for (std::size_t r = 0; r < rows; ++r) sum += a[r * cols + j];
    y[j] = sum;
  }
}

template <class T>
void sum_cols(const T* a, T* y, std::size_t rows, std::size_t cols) {
  for (std::size_t r = 0; r < rows; ++r) {
    T sum = T(0);
    for (std::size_t j = 0; j < cols; ++j) sum += a[r * cols + j];
    y[r] = sum;
  }
}

// A fused step's loop: its op entry by entry, then its tail if it has one.
template <class T, bool tailed>
void unary_step(const FusedStep<T>& s, const T* a, const T*, T* y, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    const T v = formulas::unary(s.op, a[i], s.c);
    y[i] = tailed ? Affine<T>{s.tail}(v) : v;
  }
}

template <class T, bool tailed>
void binary_step(const FusedStep<T>& s, const T* a, const T* b, T* y, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    const T v = formulas::binary(s.op, a[i], b[i]);
    y[i] = tailed ? Affine<T>{s.tail}(v) : v;
  }
}

// A fused sum over the batch: y's row plus each of n rows of a.
template <class T>
void sum_step(const FusedStep<T>& s, const T* a, const T*, T* y, std::size_t n) {
  sum_rows(a, y, n, s.cols, true);
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
  if (op_kind(s.op) == OpKind::unary) return tailed ? unary_step<T, true> : unary_step<T, false>;
  return tailed ? binary_step<T, true> : binary_step<T, false>;
}

#define WENGERT_INSTANTIATE(T)                                                                               \
  template void unary<T>(Op, const T*, T*, std::size_t, T);                                                  \
  template void binary<T>(Op, const T*, const T*, T*, std::size_t);                                          \
  template void gemm<T>(std::size_t, std::size_t, std::size_t, const T*, std::size_t, std::size_t, const T*, \
                        std::size_t, std::size_t, T*, std::size_t, bool, OptionalRow<T>);                    \
  template void sum_rows<T>(const T*, T*, std::size_t, std::size_t, bool);                                   \
  template void sum_cols<T>(const T*, T*, std::size_t, std::size_t);                                         \
  template StepKernel<T> step_kernel<T>(const FusedStep<T>&);
WENGERT_INSTANTIATE(float)
WENGERT_INSTANTIATE(double)
#undef WENGERT_INSTANTIATE

}  // namespace wengert::kernels::scalar
