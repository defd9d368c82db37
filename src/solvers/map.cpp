// The MAP solver: the objective recorded once as a tape from F and phi, its
// gradient by reverse mode, and gradient descent per row (fixed step, Armijo
// backtracking, or Nesterov's acceleration).
#include "wengert/solvers/map.hpp"

#include <cmath>
#include <fmt/format.h>

#include "wengert/ad.hpp"
#include "wengert/error.hpp"
#include "wengert/program.hpp"

namespace wengert::solvers {

// ---- forward operators ------------------------------------------------------

ForwardOperator dense_operator(const Matrix<double>& a) {
  if (a.rows() == 0 || a.cols() == 0) throw ShapeError("dense_operator: the matrix is empty");
  Recorder rec;
  Var x = rec.data("x", static_cast<Dim>(a.cols()));
  Var A = rec.constant("A", static_cast<Dim>(a.rows()), static_cast<Dim>(a.cols()));
  rec.output("y", matmul(x, transpose(A)));  // rows: yᵀ = xᵀ Aᵀ
  return {rec.finish(), {{"A", a}}, a.cols(), a.rows()};
}

ForwardOperator convolution_operator(std::size_t n, const std::vector<double>& kernel) {
  if (kernel.empty() || kernel.size() % 2 == 0 || n == 0)
    throw UsageError(
        fmt::format("convolution_operator: a kernel of odd length is needed (got {}) and n > 0", kernel.size()));
  const auto half = static_cast<Dim>(kernel.size() / 2), width = static_cast<Dim>(n);
  Recorder rec;
  Var x = rec.data("x", width);
  Var padded = half > 0 ? concat_cols(concat_cols(rec.fill(0.0, {batch, half}), x), rec.fill(0.0, {batch, half})) : x;
  Var y;  // y_i = Σ_k kernel_k x_{i + k - half}
  for (std::size_t k = 0; k < kernel.size(); ++k) {
    Var term = slice_cols(padded, static_cast<Dim>(k), width) * kernel[k];
    y = k == 0 ? term : y + term;
  }
  rec.output("y", y);
  return {rec.finish(), {}, n, n};
}

ForwardOperator mask_operator(const std::vector<double>& mask) {
  if (mask.empty()) throw UsageError("mask_operator: the mask is empty");
  Recorder rec;
  Var x = rec.data("x", static_cast<Dim>(mask.size()));
  rec.output("y", x * rec.constant("mask", 1, static_cast<Dim>(mask.size())));
  Matrix<double> m(1, mask.size());
  std::copy(mask.begin(), mask.end(), m.data());
  return {rec.finish(), {{"mask", m}}, mask.size(), mask.size()};
}

ForwardOperator subsample_operator(std::size_t n, std::size_t stride) {
  if (n == 0 || stride == 0)
    throw UsageError(fmt::format("subsample_operator: n = {} and stride = {} must be positive", n, stride));
  Recorder rec;
  Var x = rec.data("x", static_cast<Dim>(n));
  Var y;
  std::size_t m = 0;
  for (std::size_t i = 0; i < n; i += stride, ++m) {
    Var entry = slice_cols(x, static_cast<Dim>(i), 1);
    y = m == 0 ? entry : concat_cols(y, entry);
  }
  rec.output("y", y);
  return {rec.finish(), {}, n, m};
}

ForwardOperator taped_operator(Tape forward, std::vector<std::pair<std::string, Matrix<double>>> constants) {
  const Input& x = forward.inputs()[forward.input_index("x")];
  const Shape y = forward.node(forward.outputs()[forward.output_index("y")].node).shape;
  if (x.shape.rows != batch || y.rows != batch)
    throw ShapeError("taped_operator: the tape must map \"x\" (B, n) to \"y\" (B, m), one row per problem");
  return {std::move(forward), std::move(constants), static_cast<std::size_t>(x.shape.cols),
          static_cast<std::size_t>(y.cols)};
}

namespace {
template <class P>
void bind_constants(P& p, const ForwardOperator& f) {
  for (const auto& [name, value] : f.constants)
    if (p.tape().has_input(name)) p.set(name, value.view());
}
}  // namespace

Matrix<double> apply(const ForwardOperator& f, const Matrix<double>& x) {
  Program<double> p(f.tape, {"y"});
  bind_constants(p, f);
  p.set("x", x);
  p.run();
  return to_matrix(p.get("y"));
}

Matrix<double> apply_adjoint(const ForwardOperator& f, const Matrix<double>& x, const Matrix<double>& r) {
  Program<double> p(vjp(f.tape, {"x"}), {"x_bar"});
  bind_constants(p, f);
  p.set("x", x);
  p.set("y_bar", r);
  p.run();
  return to_matrix(p.get("x_bar"));
}

// ---- the solver ---------------------------------------------------------------

namespace {

// f(x) = ‖F(x) - b‖² / (2σ²) + phi(x), per row.
Tape objective_tape(const MapProblem& problem) {
  if (!(problem.sigma > 0))
    throw UsageError(fmt::format("solve_map: sigma = {}; the noise level must be positive", problem.sigma));
  if (static_cast<std::size_t>(problem.prior.dim()) != problem.forward.n)
    throw ShapeError(fmt::format("solve_map: the prior is on R^{} but the operator takes x in R^{}",
                                 problem.prior.dim(), problem.forward.n));
  Recorder rec;
  Var x = rec.data("x", static_cast<Dim>(problem.forward.n));
  Var b = rec.data("b", static_cast<Dim>(problem.forward.m));
  std::vector<std::pair<std::string, Var>> f_args{{"x", x}}, phi_args = problem.prior.record_parameters(rec);
  phi_args.emplace(phi_args.begin(), "x", x);
  for (const auto& [name, value] : problem.forward.constants)
    f_args.emplace_back(name, rec.constant(name, static_cast<Dim>(value.rows()), static_cast<Dim>(value.cols())));
  Var r = rec.call(problem.forward.tape, f_args)[0] - b;
  Var phi = rec.call(problem.prior.tape, phi_args)[0];
  rec.output("f", dot(r, r) * (0.5 / (problem.sigma * problem.sigma)) + phi);
  return rec.finish();
}

double row_norm(MatrixView<const double> m, std::size_t r) {
  double s = 0;
  for (std::size_t j = 0; j < m.cols; ++j) s += m(r, j) * m(r, j);
  return std::sqrt(s);
}

}  // namespace

Matrix<double> map_objective(const MapProblem& problem, const Matrix<double>& b, const Matrix<double>& x) {
  Program<double> p(objective_tape(problem), {"f"});
  bind_constants(p, problem.forward);
  problem.prior.bind(p, std::span<const double>(problem.theta));
  p.set("x", x);
  p.set("b", b);
  p.run();
  return to_matrix(p.get("f"));
}

MapResult solve_map(const MapProblem& problem, const Matrix<double>& b, const Matrix<double>& x0,
                    const MapOptions& options) {
  if (b.cols() != problem.forward.m || x0.cols() != problem.forward.n || b.rows() != x0.rows() || b.rows() == 0)
    throw ShapeError(
        fmt::format("solve_map: b is {}x{} and x0 is {}x{}; the operator maps R^{} to R^{}, one problem per row",
                    b.rows(), b.cols(), x0.rows(), x0.cols(), problem.forward.n, problem.forward.m));
  if (options.step < 0 || (options.nesterov && options.step == 0))
    throw UsageError(fmt::format(
        "solve_map: step = {}; give a positive step (Nesterov needs one), or 0 for a line search", options.step));
  // One program: the objective and its gradient in x, by a reverse sweep.
  Program<double> p(grad(objective_tape(problem), {"x"}, "f"), {"f", "x_bar"}, {.threads = options.threads});
  bind_constants(p, problem.forward);
  problem.prior.bind(p, std::span<const double>(problem.theta));
  p.set("b", b);
  const std::size_t rows = b.rows(), n = problem.forward.n;
  Matrix<double> x = x0, previous = x0, at = x0, candidate(rows, n), g(rows, n);
  std::vector<double> f(rows), f_at(rows), step(rows, options.step > 0 ? options.step : 1.0), g0(rows, 0.0);
  std::vector<bool> done(rows, false);
  auto evaluate = [&](const Matrix<double>& point, std::vector<double>& values, Matrix<double>* gradient) {
    p.set("x", point);
    p.run();
    auto fv = p.get("f");
    for (std::size_t r = 0; r < rows; ++r) values[r] = fv(r, 0);
    if (gradient) *gradient = to_matrix(p.get("x_bar"));
  };
  MapResult result;
  result.iterations.assign(rows, 0);
  evaluate(x, f, &g);
  for (std::size_t r = 0; r < rows; ++r) g0[r] = row_norm(g.view(), r);
  for (std::size_t k = 1; k <= options.max_iterations; ++k) {
    // Nesterov: the gradient at the extrapolated point x + (k-1)/(k+2) (x - x_prev).
    if (options.nesterov) {
      const double momentum = double(k - 1) / double(k + 2);
      for (std::size_t i = 0; i < rows * n; ++i)
        at.data()[i] = x.data()[i] + momentum * (x.data()[i] - previous.data()[i]);
      evaluate(at, f_at, &g);
    }
    const Matrix<double>& from = options.nesterov ? at : x;
    // Armijo: halve each row's step until f(x - t g) ≤ f(x) - 1e-4 t ‖g‖² (rows at once).
    // Near the optimum the decrease falls below what f can resolve; there a step
    // is accepted if it makes the gradient smaller instead.
    std::vector<bool> accepted(rows, options.step > 0);
    std::vector<double> f_new(rows);
    Matrix<double> g_new;
    for (int halvings = 0;; ++halvings) {
      for (std::size_t r = 0; r < rows; ++r)
        if (!accepted[r] || options.step > 0)
          for (std::size_t j = 0; j < n; ++j) candidate(r, j) = done[r] ? x(r, j) : from(r, j) - step[r] * g(r, j);
      evaluate(candidate, f_new, &g_new);
      if (options.step > 0) break;
      bool all = true;
      for (std::size_t r = 0; r < rows; ++r) {
        if (done[r] || accepted[r]) continue;
        const double gn = row_norm(g.view(), r);
        const bool unresolved = std::abs(f_new[r] - f[r]) <= 1e-14 * std::abs(f[r]);
        if (f_new[r] <= f[r] - 1e-4 * step[r] * gn * gn || (unresolved && row_norm(g_new.view(), r) < gn))
          accepted[r] = true;
        else
          step[r] *= 0.5, all = false;
      }
      if (all) break;
      if (halvings == 60)
        throw DivergenceError(
            "solve_map: the line search found no decrease in 60 halvings; the gradient may be wrong or not finite");
    }
    previous = x;
    x = candidate;
    g = g_new;
    double mean = 0;
    bool all_done = true;
    for (std::size_t r = 0; r < rows; ++r) {
      if (done[r]) {
        mean += f[r];
        continue;
      }
      const double gn = row_norm(g.view(), r);
      if (!std::isfinite(f_new[r]) || !std::isfinite(gn))
        throw DivergenceError(
            fmt::format("solve_map: the iterate of problem {} became non-finite at iteration {} with step "
                        "mu = {}; use a smaller step, or step = 0 for a line search",
                        r, k, step[r]));
      const bool rose = f_new[r] - f[r] > 1e-10 * std::max(1.0, std::abs(f[r]));
      if (rose && !options.nesterov)
        throw DivergenceError(
            fmt::format("solve_map: the objective of problem {} rose from {:.6g} to {:.6g} at iteration {} "
                        "with the fixed step mu = {}: gradient descent needs mu < 2/L (L the curvature); "
                        "use a smaller step, or step = 0 for a line search",
                        r, f[r], f_new[r], k, options.step));
      if (options.nesterov && f_new[r] > 1e6 * (1 + std::abs(f[r])))
        throw DivergenceError(
            fmt::format("solve_map: Nesterov iterates of problem {} blew up at iteration {} with mu = {}; "
                        "use a smaller step",
                        r, k, options.step));
      const bool small_gradient = gn <= options.gradient_tolerance * (1 + g0[r]);
      const bool stalled = options.relative_tolerance > 0 && !options.nesterov &&
                           std::abs(f[r] - f_new[r]) <= options.relative_tolerance * std::abs(f[r]);
      f[r] = f_new[r];
      result.iterations[r] = k;
      if (options.step == 0) step[r] = std::min(step[r] * 2, 1e6);  // let the next search start larger
      if (small_gradient || stalled) done[r] = true;
      all_done = all_done && done[r];
      mean += f[r];
    }
    result.objective.push_back(mean / double(rows));
    if (all_done) {
      result.converged = true;
      break;
    }
  }
  result.x = x;
  for (std::size_t r = 0; r < rows; ++r) result.gradient_norm.push_back(row_norm(g.view(), r));
  return result;
}

}  // namespace wengert::solvers
