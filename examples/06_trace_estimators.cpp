// 06. Trace estimators: the trace of a matrix from products alone (Hutchinson,
// Hutch++, XTrace and XNysTrace, and XTrace run until a requested accuracy),
// then the Laplacian of an MLP potential from Hessian-vector products.
//
// Each estimate prints as value ± standard error beside the exact value; the
// walkthrough fails if an estimate is further than 4 of its standard errors
// from the truth.
#include <cmath>
#include <random>
#include <wengert/estimators/trace.hpp>
#include <wengert/wengert.hpp>

#include "check.hpp"

namespace {
void within_error(const char* what, wengert::estimators::TraceEstimate e, double exact) {
  const bool ok =
      std::abs(e.value - exact) <= 4 * e.standard_error + 1e-12 * std::abs(exact);  // an exact trace: rounding
  fmt::print("  {:<28} {:>10.4f} ± {:<8.4f} ({:>3} products)   exact {:>10.4f}   {}\n", what, e.value, e.standard_error,
             e.products, exact, ok ? "ok" : "MISMATCH");
  if (!ok) ++walkthrough::failures;
}
}  // namespace

int main() {
  // A 100 x 100 symmetric matrix with eigenvalues 1/k: most of its trace sits in a few directions.
  const std::size_t n = 100;
  std::mt19937_64 rng(1);
  std::normal_distribution<double> normal;
  wengert::Matrix<double> a(n, n);
  double trace = 0;
  for (std::size_t k = 0; k < n; ++k) {  // a sum of rank-one terms λ_k u uᵀ with random unit u
    std::vector<double> u(n);
    double norm = 0;
    for (double& e : u) {
      e = normal(rng);
      norm += e * e;
    }
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < n; ++j) a(i, j) += u[i] * u[j] / norm / double(k + 1);
    trace += 1.0 / double(k + 1);
  }
  wengert::estimators::DenseOperator op(a);
  fmt::print("tr(A) of a 100 x 100 matrix:\n");
  walkthrough::check("exact (100 products)", wengert::estimators::exact_trace(op).value, trace, 1e-12);
  within_error("Hutchinson, Gaussian", wengert::estimators::hutchinson(op, wengert::estimators::Probe::gaussian, 30, 7),
               trace);
  within_error("Hutchinson, Rademacher",
               wengert::estimators::hutchinson(op, wengert::estimators::Probe::rademacher, 30, 7), trace);
  within_error("Hutch++", wengert::estimators::hutch_plus_plus(op, 30, 7), trace);
  // XTrace spends the same products on a sketch and on leave-one-out estimates of what it misses.
  within_error("XTrace", wengert::estimators::xtrace(op, 30, 7), trace);
  within_error("XNysTrace (A is PSD)", wengert::estimators::xnystrace(op, 30, 7), trace);
  // Or ask for an accuracy, not a count: products are added until the error bar is small enough.
  const wengert::estimators::TraceEstimate until = wengert::estimators::xtrace_until(op, {.relative = 1e-3}, 7);
  within_error("XTrace to 0.1%", until, trace);
  if (!until.met_tolerance) ++walkthrough::failures;

  // The Laplacian of phi(x) = softplus(x W1 + b1) W2 at 3 points in R^8.
  wengert::Recorder rec;
  wengert::Var x = rec.data("x", 8);
  wengert::Var w1 = rec.parameter("W1", 8, 32), b1 = rec.parameter("b1", 1, 32), w2 = rec.parameter("W2", 32, 1);
  rec.output("phi", matmul(softplus(matmul(x, w1) + b1), w2));
  wengert::Tape phi = rec.finish();
  auto random = [&](std::size_t rows, std::size_t cols) {
    wengert::Matrix<double> m(rows, cols);
    for (std::size_t i = 0; i < rows * cols; ++i) m.data()[i] = normal(rng);
    return m;
  };
  wengert::Matrix<double> X = random(3, 8), W1 = random(8, 32), B1 = random(1, 32), W2 = random(32, 1);
  wengert::Inputs<double> at{{"x", X}, {"W1", W1}, {"b1", B1}, {"W2", W2}};
  wengert::estimators::HessianBatch hessians(phi, "x");
  auto exact = hessians.exact(at);
  auto estimated = hessians.hutchinson(at, wengert::estimators::Probe::rademacher, 64, 3);
  fmt::print("\nLaplacian of an MLP potential at 3 points (exact: 8 HVPs each; estimate: 64 probes each):\n");
  for (std::size_t r = 0; r < 3; ++r) within_error(fmt::format("sample {}", r).c_str(), estimated[r], exact[r].value);
  return walkthrough::finish();
}
