// Trace estimators over a NumPy matrix or a Python function that multiplies:
// f(V) takes m vectors as the rows of V (m, n) and returns the m products A·v as rows.
#include <pybind11/functional.h>
#include <pybind11/stl.h>

#include <memory>
#include <optional>
#include <wengert/estimators/trace.hpp>

#include "bindings.hpp"
#include "convert.hpp"

namespace wengert::python {

namespace {

using namespace wengert::estimators;

// A matrix, or a callable with its size n.
std::unique_ptr<LinearOperator> make_operator(const py::object& a, std::optional<std::size_t> n,
                                              const std::string& where) {
  if (py::isinstance<py::array>(a) || py::isinstance<py::list>(a)) {
    if (n) throw py::value_error(where + ": n is for a function; a matrix has its own size");
    return std::make_unique<DenseOperator>(to_matrix(a, where + "(A)"));
  }
  if (!PyCallable_Check(a.ptr()))
    throw py::type_error(where + ": A must be a square 2-D array or a function f(V) -> A V (rows in, rows out)");
  if (!n || *n == 0) throw py::value_error(where + ": a function needs its size: pass n = the operator's dimension");
  const std::size_t size = *n;
  return std::make_unique<FunctionOperator>(size, [a, size, where](MatrixView<const double> v) {
    Matrix<double> in(v.rows, v.cols);
    std::copy_n(v.data, v.rows * v.cols, in.data());
    Matrix<double> out = to_matrix(a(to_array(in)), where + ": the function's result");
    if (out.rows() != v.rows || out.cols() != size)
      throw py::value_error(where + ": the function returned shape (" + std::to_string(out.rows()) + ", " +
                            std::to_string(out.cols()) + ") for " + std::to_string(v.rows) +
                            " vectors; return one product per row: shape (" + std::to_string(v.rows) + ", " +
                            std::to_string(size) + ")");
    return out;
  });
}

// Binds name(A, budget, seed, probe, n) for an estimator with a budget of products.
template <class Estimate>
void def_budgeted(py::module_& m, const char* name, Estimate estimate, const char* default_probe, const char* doc) {
  m.def(
      name,
      [name, estimate](const py::object& a, std::size_t products, std::uint64_t seed, const std::string& probe,
                       std::optional<std::size_t> n) {
        auto op = make_operator(a, n, name);
        return estimate(*op, products, seed, probe_from(probe));
      },
      py::arg("A"), py::arg("products"), py::arg("seed") = 1, py::arg("probe") = default_probe,
      py::arg("n") = py::none(), doc);
}

template <class Estimate>
void def_adaptive(py::module_& m, const char* name, Estimate estimate, const char* default_probe, const char* doc) {
  m.def(
      name,
      [name, estimate](const py::object& a, double relative, double absolute, std::size_t max_products,
                       std::uint64_t seed, const std::string& probe, std::optional<std::size_t> n) {
        auto op = make_operator(a, n, name);
        return estimate(*op, Tolerance{absolute, relative, max_products}, seed, probe_from(probe));
      },
      py::arg("A"), py::arg("relative") = 0.0, py::arg("absolute") = 0.0, py::arg("max_products") = 4096,
      py::arg("seed") = 1, py::arg("probe") = default_probe, py::arg("n") = py::none(), doc);
}

}  // namespace

void bind_estimators(py::module_& m) {
  py::class_<TraceEstimate>(m, "TraceEstimate", "An estimate of a trace with its error bar and its cost.")
      .def_readonly("value", &TraceEstimate::value)
      .def_readonly("standard_error", &TraceEstimate::standard_error)
      .def_readonly("products", &TraceEstimate::products)
      .def_readonly("met_tolerance", &TraceEstimate::met_tolerance)
      .def("__repr__", [](const TraceEstimate& e) {
        return "TraceEstimate(value=" + py::repr(py::float_(e.value)).cast<std::string>() +
               ", standard_error=" + py::repr(py::float_(e.standard_error)).cast<std::string>() +
               ", products=" + std::to_string(e.products) + ")";
      });
  def_budgeted(
      m, "hutchinson",
      [](LinearOperator& a, std::size_t p, std::uint64_t s, Probe k) { return hutchinson(a, k, p, s); }, "rademacher",
      "Hutchinson's estimator with `products` probes");
  def_budgeted(
      m, "hutch_plus_plus",
      [](LinearOperator& a, std::size_t p, std::uint64_t s, Probe k) { return hutch_plus_plus(a, p, s, k); },
      "rademacher", "Hutch++ (its standard error is a lower bound)");
  def_budgeted(
      m, "xtrace", [](LinearOperator& a, std::size_t p, std::uint64_t s, Probe k) { return xtrace(a, p, s, k); },
      "gaussian", "XTrace, for any square operator");
  def_budgeted(
      m, "xnystrace", [](LinearOperator& a, std::size_t p, std::uint64_t s, Probe k) { return xnystrace(a, p, s, k); },
      "gaussian", "XNysTrace, for positive semi-definite operators (UsageError on an indefinite one)");
  def_adaptive(m, "hutchinson_until", &hutchinson_until, "rademacher", "Hutchinson until the tolerance is met");
  def_adaptive(m, "hutch_plus_plus_until", &hutch_plus_plus_until, "rademacher", "Hutch++ until the tolerance is met");
  def_adaptive(m, "xtrace_until", &xtrace_until, "gaussian", "XTrace until the tolerance is met");
  m.def(
      "exact_trace",
      [](const py::object& a, std::optional<std::size_t> n) {
        auto op = make_operator(a, n, "exact_trace");
        return exact_trace(*op);
      },
      py::arg("A"), py::arg("n") = py::none(), "the trace from n products with the basis vectors");
}

}  // namespace wengert::python
