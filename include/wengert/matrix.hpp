// Row-major matrices handed to and returned from programs.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <new>
#include <type_traits>
#include <vector>

namespace wengert {

namespace detail {

/// Storage aligned to a cache line. A 64-byte register loaded from an address
/// that is not a multiple of 64 spans two cache lines and costs two loads; a
/// std::vector's storage is aligned to 16 bytes only, so whether a matrix's
/// rows split every load would depend on where the allocator put it.
template <class T>
struct CacheAligned {
  using value_type = T;
  static constexpr std::size_t line = 64;
  CacheAligned() = default;
  template <class U>
  CacheAligned(const CacheAligned<U>&) noexcept {}
  T* allocate(std::size_t n) { return static_cast<T*>(::operator new(n * sizeof(T), std::align_val_t(line))); }
  void deallocate(T* p, std::size_t) noexcept { ::operator delete(p, std::align_val_t(line)); }
  template <class U>
  bool operator==(const CacheAligned<U>&) const noexcept {
    return true;
  }
};

/// A vector whose first entry starts a cache line.
template <class T>
using AlignedVector = std::vector<T, CacheAligned<T>>;

}  // namespace detail

/// A non-owning view of a dense row-major rows x cols block.
template <class T>
struct MatrixView {
  T* data = nullptr;     ///< the first entry; entry (r, c) is data[r * cols + c]
  std::size_t rows = 0;  ///< rows (samples, for a batch value)
  std::size_t cols = 0;  ///< columns

  /// Entry (r, c), unchecked.
  T& operator()(std::size_t r, std::size_t c) const { return data[r * cols + c]; }
  /// A read-only view of the same entries.
  operator MatrixView<const T>() const { return {data, rows, cols}; }
};

/// An owning dense row-major matrix.
template <class T>
class Matrix {
 public:
  /// An empty 0 x 0 matrix.
  Matrix() = default;
  /// rows x cols entries, each `value`.
  Matrix(std::size_t rows, std::size_t cols, T value = T(0)) : rows_(rows), cols_(cols), data_(rows * cols, value) {}
  /// Row by row: Matrix<double>{{1, 2}, {3, 4}}.
  Matrix(std::initializer_list<std::initializer_list<T>> rows_list);

  std::size_t rows() const { return rows_; }  ///< rows
  std::size_t cols() const { return cols_; }  ///< columns
  /// The entries, row by row.
  T* data() { return data_.data(); }
  /// The entries, row by row.
  const T* data() const { return data_.data(); }
  /// Entry (r, c), unchecked.
  T& operator()(std::size_t r, std::size_t c) { return data_[r * cols_ + c]; }
  /// Entry (r, c), unchecked.
  const T& operator()(std::size_t r, std::size_t c) const { return data_[r * cols_ + c]; }

  /// A view of the entries (valid while the matrix lives and is not resized).
  MatrixView<T> view() { return {data_.data(), rows_, cols_}; }
  /// A read-only view of the entries.
  MatrixView<const T> view() const { return {data_.data(), rows_, cols_}; }
  /// A read-only view of the entries: a Matrix passes where a view is asked for.
  operator MatrixView<const T>() const { return view(); }

 private:
  std::size_t rows_ = 0;
  std::size_t cols_ = 0;
  detail::AlignedVector<T> data_;  // rows start where the SIMD kernels load them whole
};

template <class T>
Matrix<T>::Matrix(std::initializer_list<std::initializer_list<T>> rows_list)
    : rows_(rows_list.size()), cols_(rows_list.size() ? rows_list.begin()->size() : 0) {
  data_.reserve(rows_ * cols_);
  for (const auto& row : rows_list) {
    for (std::size_t c = 0; c < cols_; ++c) data_.push_back(c < row.size() ? row.begin()[c] : T(0));
  }
}

/// Each row of v repeated `times` times in a row: (v.rows · times) x v.cols.
/// How one point meets many directions in one batched run.
template <class T>
Matrix<std::remove_const_t<T>> repeat_rows(MatrixView<T> v, std::size_t times) {
  Matrix<std::remove_const_t<T>> m(v.rows * times, v.cols);
  for (std::size_t i = 0; i < v.rows; ++i)
    for (std::size_t t = 0; t < times; ++t)
      for (std::size_t j = 0; j < v.cols; ++j) m(i * times + t, j) = v(i, j);
  return m;
}

/// A copy of a view.
template <class T>
Matrix<std::remove_const_t<T>> to_matrix(MatrixView<T> v) {
  Matrix<std::remove_const_t<T>> m(v.rows, v.cols);
  for (std::size_t i = 0; i < v.rows * v.cols; ++i) m.data()[i] = v.data[i];
  return m;
}

}  // namespace wengert
