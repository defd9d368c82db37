// NumPy arrays to and from the library's matrices and vectors, checked: a value
// from Python is validated before anything is allocated for it.
#pragma once

#include <pybind11/numpy.h>

#include <string>
#include <vector>
#include <wengert/matrix.hpp>

namespace wengert::python {

namespace py = pybind11;

/// A 2-D array of numbers as a matrix (copied, converted to float64).
inline Matrix<double> to_matrix(const py::handle& value, const std::string& where) {
  auto a = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(value);
  if (!a) throw py::type_error(where + ": expected an array of numbers");
  if (a.ndim() != 2)
    throw py::value_error(where + ": expected a 2-D array (rows, cols), got " + std::to_string(a.ndim()) +
                          " dimensions");
  Matrix<double> m(static_cast<std::size_t>(a.shape(0)), static_cast<std::size_t>(a.shape(1)));
  std::copy_n(a.data(), m.rows() * m.cols(), m.data());
  return m;
}

/// A 1-D array of numbers (theta) as a vector (copied, converted to float64).
inline std::vector<double> to_vector(const py::handle& value, const std::string& where) {
  auto a = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(value);
  if (!a) throw py::type_error(where + ": expected an array of numbers");
  if (a.ndim() != 1)
    throw py::value_error(where + ": expected a 1-D array, got " + std::to_string(a.ndim()) + " dimensions");
  return {a.data(), a.data() + a.shape(0)};
}

/// A new 2-D array holding the matrix.
inline py::array_t<double> to_array(const Matrix<double>& m) {
  py::array_t<double> out({m.rows(), m.cols()});
  std::copy_n(m.data(), m.rows() * m.cols(), out.mutable_data());
  return out;
}

/// A new 1-D array holding the vector.
inline py::array_t<double> to_array(const std::vector<double>& v) {
  py::array_t<double> out(static_cast<py::ssize_t>(v.size()));
  std::copy(v.begin(), v.end(), out.mutable_data());
  return out;
}

}  // namespace wengert::python
