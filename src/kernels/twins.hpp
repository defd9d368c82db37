// The scalar twins of the SIMD kernels: the reference the SIMD code is tested
// against, and the path taken when ProgramOptions::simd is false.
#pragma once

#include <cstddef>

#include "kernels/kernels.hpp"
#include "wengert/op.hpp"

namespace wengert::kernels::scalar {

template <class T>
void unary(Op op, const T* a, T* y, std::size_t n, T c);
template <class T>
void binary(Op op, const T* a, const T* b, T* y, std::size_t n);
template <class T>
void gemm(std::size_t m, std::size_t n, std::size_t k, const T* a, std::size_t a_row, std::size_t a_col, const T* b,
          std::size_t b_row, std::size_t b_col, T* c, std::size_t ldc, bool accumulate, OptionalRow<T> row);
template <class T>
void sum_rows(const T* a, T* y, std::size_t rows, std::size_t cols, bool accumulate);
template <class T>
void sum_cols(const T* a, T* y, std::size_t rows, std::size_t cols);
template <class T>
StepKernel<T> step_kernel(const FusedStep<T>& s);

}  // namespace wengert::kernels::scalar
