// Trace estimators over any linear operator: tr(A) from products A·v alone.
//
// Hutchinson (1990): tr(A) = E[vᵀAv] for probes v with E[vvᵀ] = I, so the mean
// of vᵀAv over m probes is unbiased, with standard error falling as 1/√m.
// Hutch++ (Meyer, Musco, Musco & Woodruff 2021) spends a third of the products on
// a sketch of A's top eigenspace, whose trace it takes exactly, and Hutchinson's
// estimator on the rest: for a decaying spectrum far fewer products for the same
// error. The Laplacian of a potential is the trace of its Hessian; the
// operators below make Hessians from tapes.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "wengert/derivatives.hpp"
#include "wengert/matrix.hpp"
#include "wengert/tape.hpp"

namespace wengert::estimators {

/// A symmetric n x n operator known by its products. `apply` takes m vectors as
/// the rows of V (m x n) and returns the m products A·v as rows (m x n): m probes
/// are one batched call.
class LinearOperator {
 public:
  virtual ~LinearOperator() = default;
  /// n, the operator's size.
  virtual std::size_t size() const = 0;
  /// The products A·v of the rows v of `v` (m x n), as rows (m x n).
  virtual Matrix<double> apply(MatrixView<const double> v) = 0;
};

/// A dense symmetric matrix.
class DenseOperator : public LinearOperator {
 public:
  explicit DenseOperator(Matrix<double> a);  ///< throws ShapeError unless square
  std::size_t size() const override { return a_.rows(); }
  Matrix<double> apply(MatrixView<const double> v) override;

 private:
  Matrix<double> a_;
};

/// Any product, given as a function (for operators that are never formed).
class FunctionOperator : public LinearOperator {
 public:
  /// An n x n operator whose products `product` computes (m vectors as rows in, m products as rows out).
  FunctionOperator(std::size_t n, std::function<Matrix<double>(MatrixView<const double>)> product)
      : n_(n), product_(std::move(product)) {}
  std::size_t size() const override { return n_; }
  Matrix<double> apply(MatrixView<const double> v) override { return product_(v); }

 private:
  std::size_t n_;
  std::function<Matrix<double>(MatrixView<const double>)> product_;
};

/// The Hessian in x of a tape's scalar output at one point: products by the
/// engine's HVP (the point repeated once per vector, one run for m vectors).
class HessianOperator : public LinearOperator {
 public:
  /// `at` gives every input of phi; x must have one row.
  HessianOperator(const Tape& phi, const std::string& x, const Inputs<double>& at, ProgramOptions options = {});
  ~HessianOperator() override;
  std::size_t size() const override;
  Matrix<double> apply(MatrixView<const double> v) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// An estimate of a trace with its error bar and its cost.
struct TraceEstimate {
  double value = 0;           ///< the estimate
  double standard_error = 0;  ///< from the probes themselves; 0 for an exact trace, ∞ for one probe
  std::size_t products = 0;   ///< matrix-vector products used
  /// The adaptive estimators (…_until): whether the tolerance was met before the
  /// budget ran out. Always true for the others.
  bool met_tolerance = true;
};

/// The distribution of a probe vector's entries.
enum class Probe {
  gaussian,    ///< entries N(0, 1)
  rademacher,  ///< entries ±1: lower variance, exact on diagonal matrices
  sphere,      ///< uniform on the sphere of radius √n
};
std::string to_string(Probe probe);         ///< its name, as probe_from reads it
Probe probe_from(const std::string& name);  ///< gaussian, rademacher or sphere; UsageError otherwise

/// m probe vectors of length n as rows, reproducible from the seed. Passing the
/// same probes to two estimates compares them with common random numbers.
Matrix<double> make_probes(Probe kind, std::size_t m, std::size_t n, std::uint64_t seed);

/// U diag(eigenvalues) Uᵀ with U a random orthogonal matrix from the seed: a
/// symmetric test matrix with a chosen spectrum (and so a known trace).
Matrix<double> matrix_with_spectrum(const std::vector<double>& eigenvalues, std::uint64_t seed);

/// tr(A) from the n products with the basis vectors.
TraceEstimate exact_trace(LinearOperator& a);

/// Hutchinson's estimator with the given probes (rows), or m fresh ones.
TraceEstimate hutchinson(LinearOperator& a, MatrixView<const double> probes);
/// The same with m fresh probes of the given kind, drawn from the seed.
TraceEstimate hutchinson(LinearOperator& a, Probe kind, std::size_t m, std::uint64_t seed);

/// Hutch++ with `products` products in all: a sketch of k = round(sketch_fraction ·
/// products) vectors, k more to project A on it, and Hutchinson on the rest. Its
/// standard error is that of the residual probes given the sketch: a lower bound,
/// blind to how the sketch itself varies (xtrace's error bar sees both).
TraceEstimate hutch_plus_plus(LinearOperator& a, std::size_t products, std::uint64_t seed,
                              Probe kind = Probe::rademacher, double sketch_fraction = 1.0 / 3.0);

/// XTrace (Epperly, Tropp & Webber 2024) for any square operator, indefinite
/// ones included: `products` / 2 probes and their products build a sketch of A's
/// range, A on the sketch takes as many more; then each probe in turn is left out
/// of the sketch and estimates the trace of what its sketch misses. The estimate
/// is the mean of those m unbiased estimates, its standard error their spread /
/// √m: as often within a factor 3 of the true error as the true deviation is,
/// but the m estimates share their probes, and ±2 error bars held the true trace
/// in 80% of trials, not 95%. Below Hutch++'s error on a decaying spectrum at the
/// same budget (a constant factor on algebraic decay, more on faster decay). The
/// probes are make_probes(kind, products / 2, n, seed). With
/// Gaussian or sphere probes (not Rademacher) each residual probe is rescaled to
/// the dimension left off its sketch, which lowers the variance further.
TraceEstimate xtrace(LinearOperator& a, std::size_t products, std::uint64_t seed, Probe kind = Probe::gaussian);

/// XNysTrace (same paper) for symmetric positive semi-definite operators: every
/// product goes to a Nyström approximation Y (ΩᵀAΩ)⁻¹ Yᵀ and, one probe left
/// out at a time, to the estimate of what it misses. Throws UsageError when ΩᵀAΩ
/// is not positive definite (an indefinite operator: use xtrace).
TraceEstimate xnystrace(LinearOperator& a, std::size_t products, std::uint64_t seed, Probe kind = Probe::gaussian);

/// What an adaptive estimate aims for: twice its standard error (a 95% interval)
/// at most max(absolute, relative · |estimate|), within max_products products.
struct Tolerance {
  double absolute = 0;              ///< in the trace's units
  double relative = 0;              ///< of the estimate's magnitude
  std::size_t max_products = 4096;  ///< the budget; TraceEstimate::met_tolerance says if it ran out first
};

/// Hutchinson adding probes (8, then doubling the count) until the tolerance is met;
/// every probe drawn counts in the estimate.
TraceEstimate hutchinson_until(LinearOperator& a, const Tolerance& tolerance, std::uint64_t seed,
                               Probe kind = Probe::rademacher);
/// Hutch++ at doubling budgets (from 8) until its standard error meets the tolerance; the
/// products of every attempt count. Its error bar is a lower bound (see hutch_plus_plus).
/// A budget that would reach n takes the exact trace instead (n products).
TraceEstimate hutch_plus_plus_until(LinearOperator& a, const Tolerance& tolerance, std::uint64_t seed,
                                    Probe kind = Probe::rademacher);
/// XTrace at doubling budgets (from 8) until its error bar meets the tolerance; the
/// products of every attempt count; the exact trace once a budget would reach n.
TraceEstimate xtrace_until(LinearOperator& a, const Tolerance& tolerance, std::uint64_t seed,
                           Probe kind = Probe::gaussian);

/// One Hessian per sample row: the Laplacian tr ∇²phi(x_i) of every row, exactly
/// or by Hutchinson, all rows and probes in one run of the HVP program.
class HessianBatch {
 public:
  /// For the scalar output of phi, differentiated in its data input x.
  HessianBatch(const Tape& phi, const std::string& x, ProgramOptions options = {});
  ~HessianBatch();
  /// One estimate per row of x; `inputs` gives every input of phi.
  std::vector<TraceEstimate> exact(const Inputs<double>& inputs);
  /// Hutchinson with m probes of the given kind per row (seeded), all rows and probes in one run.
  std::vector<TraceEstimate> hutchinson(const Inputs<double>& inputs, Probe kind, std::size_t m, std::uint64_t seed);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace wengert::estimators
