// The MAP solver: the closed-form posterior mean of a linear-Gaussian problem,
// divergence above mu = 2/L, operators and their adjoints, a nonlinear forward
// map, batches.
#include <algorithm>

#include <doctest/doctest.h>

#include <wengert/error.hpp>
#include <wengert/solvers/map.hpp>

#include "support/harness.hpp"

using namespace wengert;
using namespace wengert::testing;

namespace {

// Solves M y = v by Gaussian elimination with partial pivoting (M small, dense).
std::vector<double> solve(Matrix<double> m, std::vector<double> v) {
  const std::size_t n = v.size();
  for (std::size_t c = 0; c < n; ++c) {
    std::size_t pivot = c;
    for (std::size_t r = c + 1; r < n; ++r)
      if (std::abs(m(r, c)) > std::abs(m(pivot, c))) pivot = r;
    for (std::size_t j = 0; j < n; ++j) std::swap(m(c, j), m(pivot, j));
    std::swap(v[c], v[pivot]);
    for (std::size_t r = c + 1; r < n; ++r) {
      const double f = m(r, c) / m(c, c);
      for (std::size_t j = c; j < n; ++j) m(r, j) -= f * m(c, j);
      v[r] -= f * v[c];
    }
  }
  std::vector<double> y(n);
  for (std::size_t i = n; i-- > 0;) {
    double s = v[i];
    for (std::size_t j = i + 1; j < n; ++j) s -= m(i, j) * y[j];
    y[i] = s / m(i, i);
  }
  return y;
}

struct LinearGaussian {
  std::size_t n = 5, m = 4;
  double sigma = 0.3;
  Matrix<double> A, L, mean, b;  // prior N(mean, C) with C⁻¹ = L Lᵀ
  Matrix<double> H;              // the Hessian AᵀA/σ² + C⁻¹
  double curvature = 0;          // its largest eigenvalue L
  solvers::MapProblem problem;

  LinearGaussian() {
    std::mt19937_64 rng(41);
    A = random_matrix(m, n, rng);
    L = random_matrix(n, n, rng, -0.5, 0.5);
    mean = random_matrix(1, n, rng);
    for (std::size_t i = 0; i < n; ++i) L(i, i) += 1.0;
    b = random_matrix(3, m, rng);
    H = Matrix<double>(n, n);
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < n; ++j) {
        for (std::size_t k = 0; k < m; ++k) H(i, j) += A(k, i) * A(k, j) / (sigma * sigma);
        for (std::size_t k = 0; k < n; ++k) H(i, j) += L(i, k) * L(j, k);
      }
    std::vector<double> v(n, 1.0);  // power iteration for the largest eigenvalue
    for (int it = 0; it < 500; ++it) {
      std::vector<double> w(n, 0.0);
      for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < n; ++j) w[i] += H(i, j) * v[j];
      double norm = 0;
      for (double e : w) norm += e * e;
      curvature = std::sqrt(norm);
      for (std::size_t i = 0; i < n; ++i) v[i] = w[i] / curvature;
    }
    problem.forward = solvers::dense_operator(A);
    problem.sigma = sigma;
    problem.prior = nn::quadratic(static_cast<Dim>(n));
    problem.theta.assign(mean.data(), mean.data() + n);
    problem.theta.insert(problem.theta.end(), L.data(), L.data() + n * n);
  }

  // (AᵀA/σ² + C⁻¹)⁻¹ (Aᵀb/σ² + C⁻¹ mean), row by row.
  Matrix<double> posterior_mean() const {
    Matrix<double> out(b.rows(), n);
    for (std::size_t r = 0; r < b.rows(); ++r) {
      std::vector<double> rhs(n, 0.0);
      for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t k = 0; k < m; ++k) rhs[i] += A(k, i) * b(r, k) / (sigma * sigma);
        for (std::size_t j = 0; j < n; ++j)
          for (std::size_t k = 0; k < n; ++k) rhs[i] += L(i, k) * L(j, k) * mean(0, j);
      }
      std::vector<double> y = solve(H, rhs);
      for (std::size_t i = 0; i < n; ++i) out(r, i) = y[i];
    }
    return out;
  }
};

}  // namespace

TEST_CASE("linear-Gaussian: every variant converges to the closed-form posterior mean") {
  LinearGaussian lg;
  Matrix<double> expected = lg.posterior_mean(), x0(lg.b.rows(), lg.n);
  struct Variant {
    const char* name;
    solvers::MapOptions options;
  };
  const Variant variants[] = {
      {"fixed step 1/L", {.step = 1.0 / lg.curvature, .max_iterations = 20000, .gradient_tolerance = 1e-13}},
      {"fixed step 1.9/L", {.step = 1.9 / lg.curvature, .max_iterations = 20000, .gradient_tolerance = 1e-13}},
      {"Armijo line search", {.step = 0, .max_iterations = 20000, .gradient_tolerance = 1e-13}},
      {"Nesterov",
       {.step = 1.0 / lg.curvature, .nesterov = true, .max_iterations = 20000, .gradient_tolerance = 1e-13}},
  };
  std::vector<std::size_t> most;  // iterations of each variant's slowest row
  for (const Variant& v : variants) {
    CAPTURE(std::string(v.name));
    solvers::MapResult r = solvers::solve_map(lg.problem, lg.b, x0, v.options);
    CHECK(r.converged);
    CHECK(closeness(r.x, expected, 1e-8, 1e-10) <= 1);
    most.push_back(*std::max_element(r.iterations.begin(), r.iterations.end()));
    MESSAGE(std::string(v.name), ": ", most.back(), " iterations");
  }
  // Nesterov's momentum, restarted where it overshoots, beats gradient descent at its step (without
  // the restart its slowest row took 728 iterations against 567 here).
  CHECK(most[3] < most[0] / 2);
}

// A Gaussian prior N(0, I / precision) on R^n, as nn::quadratic's parameters (its mean, then L with LLᵀ = C⁻¹).
std::vector<double> isotropic_prior(std::size_t n, double precision) {
  std::vector<double> theta(n, 0.0);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < n; ++j) theta.push_back(i == j ? std::sqrt(precision) : 0.0);
  return theta;
}

TEST_CASE("the line search starts from the curvature its last move showed") {
  std::mt19937_64 rng(44);
  SUBCASE("one curvature in every direction: the second search's first trial is the minimiser") {
    // F = I, sigma = 0.05, prior N(0, I): f has curvature 1/sigma² + 1 everywhere, x* = b / (1 + sigma²).
    // Doubling the accepted step took 64 iterations here, its steps settling just under 2/L.
    const std::size_t n = 8;
    Matrix<double> identity(n, n);
    for (std::size_t i = 0; i < n; ++i) identity(i, i) = 1;
    const double sigma = 0.05;
    solvers::MapProblem problem{solvers::dense_operator(identity), sigma, nn::quadratic(Dim(n)), isotropic_prior(n, 1)};
    Matrix<double> b = random_matrix(16, n, rng), expected(16, n);
    for (std::size_t i = 0; i < 16 * n; ++i) expected.data()[i] = b.data()[i] / (1 + sigma * sigma);
    solvers::MapResult r = solvers::solve_map(problem, b, Matrix<double>(16, n), {.gradient_tolerance = 1e-12});
    CHECK(r.converged);
    CHECK(closeness(r.x, expected, 1e-10, 1e-12) <= 1);
    for (std::size_t k : r.iterations) CHECK(k <= 2);
  }
  SUBCASE("a blur's condition number of about 4 400 converges") {
    // F = the blur [1/4, 1/2, 1/4] on R^32 (its frequencies near pi almost vanish), sigma = 0.05, prior
    // N(0, I / 0.09): doubling the accepted step had not converged after 20 000 iterations.
    const std::size_t n = 32;
    solvers::MapProblem problem{solvers::convolution_operator(n, {0.25, 0.5, 0.25}), 0.05, nn::quadratic(Dim(n)),
                                isotropic_prior(n, 0.09)};
    Matrix<double> b = random_matrix(4, n, rng);
    solvers::MapResult r =
        solvers::solve_map(problem, b, Matrix<double>(4, n), {.max_iterations = 5000, .gradient_tolerance = 1e-10});
    CHECK(r.converged);
    for (std::size_t k : r.iterations) CHECK(k < 5000);
  }
}

TEST_CASE("a fixed step above 2/L is reported as divergence, naming mu") {
  LinearGaussian lg;
  Matrix<double> x0(lg.b.rows(), lg.n);
  CHECK_THROWS_WITH_AS(solvers::solve_map(lg.problem, lg.b, x0, {.step = 2.2 / lg.curvature}),
                       doctest::Contains("fixed step mu = "), DivergenceError);
  CHECK_THROWS_AS(solvers::solve_map(lg.problem, Matrix<double>(3, 2), x0), ShapeError);
}

TEST_CASE("operators: the reverse sweep is the adjoint, <F x, r> = <x, Fᵀ r>") {
  std::mt19937_64 rng(42);
  const std::vector<solvers::ForwardOperator> ops = {
      solvers::dense_operator(random_matrix(4, 7, rng)), solvers::convolution_operator(7, {0.25, 0.5, 0.25}),
      solvers::mask_operator({1, 0, 1, 1, 0, 0, 1}), solvers::subsample_operator(7, 3)};
  for (const auto& f : ops) {
    Matrix<double> x = random_matrix(3, f.n, rng), r = random_matrix(3, f.m, rng);
    CHECK(frobenius_dot(solvers::apply(f, x), r) ==
          doctest::Approx(frobenius_dot(x, solvers::apply_adjoint(f, x, r))).epsilon(1e-13));
  }
  Matrix<double> x{{1, 2, 3, 4, 5, 6, 7}};  // the blur by hand, zero outside
  Matrix<double> y = solvers::apply(ops[1], x);
  CHECK(y(0, 0) == doctest::Approx(0.5 * 1 + 0.25 * 2));
  CHECK(y(0, 3) == doctest::Approx(0.25 * 3 + 0.5 * 4 + 0.25 * 5));
  CHECK(solvers::apply(ops[3], x)(0, 2) == 7);
}

TEST_CASE("a nonlinear forward map: taped Jᵀr against differences, and convergence to the known answer") {
  Recorder rec;
  Var x = rec.data("x", 3);
  Var x0 = slice_cols(x, 0, 1), x1 = slice_cols(x, 1, 1), x2 = slice_cols(x, 2, 1);
  rec.output("y", concat_cols(concat_cols(sin(x0) * x1, pow(x2, 3.0)), concat_cols(x0 * x2, exp(0.5 * x1))));
  solvers::ForwardOperator f = solvers::taped_operator(rec.finish());
  std::mt19937_64 rng(43);
  Matrix<double> at = random_matrix(2, 3, rng), r = random_matrix(2, 4, rng), dir = random_matrix(2, 3, rng);
  Matrix<double> jtr = solvers::apply_adjoint(f, at, r);
  Values fd = finite_difference(f.tape, {{"x", at}}, {{"x", dir}});
  CHECK(frobenius_dot(jtr, dir) == doctest::Approx(frobenius_dot(r, fd["y"])).epsilon(1e-7));

  // b = F(x*) exactly, and a Gaussian prior centred on x*: the MAP estimate is x*.
  Matrix<double> truth{{0.7, -0.4, 1.1}};
  solvers::MapProblem problem{f, 0.1, nn::quadratic(3), {}};
  problem.theta = {0.7, -0.4, 1.1, 1, 0, 0, 0, 1, 0, 0, 0, 1};
  solvers::MapResult result =
      solvers::solve_map(problem, solvers::apply(f, truth), Matrix<double>(1, 3), {.max_iterations = 5000});
  CHECK(result.converged);
  CHECK(closeness(result.x, truth, 1e-6, 1e-7) <= 1);
}

TEST_CASE("a batch of problems is solved like each problem alone") {
  LinearGaussian lg;
  Matrix<double> x0(lg.b.rows(), lg.n);
  solvers::MapResult all = solvers::solve_map(lg.problem, lg.b, x0, {.max_iterations = 300});
  for (std::size_t r = 0; r < lg.b.rows(); ++r) {
    Matrix<double> one(1, lg.m), start(1, lg.n);
    for (std::size_t j = 0; j < lg.m; ++j) one(0, j) = lg.b(r, j);
    solvers::MapResult alone = solvers::solve_map(lg.problem, one, start, {.max_iterations = 300});
    for (std::size_t j = 0; j < lg.n; ++j) CHECK(alone.x(0, j) == doctest::Approx(all.x(r, j)).epsilon(1e-12));
  }
}
