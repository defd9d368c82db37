// The MAP solver: the objective recorded once as a tape from F and phi, its
// gradient by reverse mode, and gradient descent per row (fixed step, Armijo
// backtracking from the Barzilai-Borwein step, or Nesterov's acceleration with
// adaptive restart).
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

namespace {

// The solver's thresholds.
constexpr double armijo_fraction = 1e-4;  // sufficient decrease: f(x - t g) ≤ f(x) - c t ‖g‖²
constexpr double unresolved = 1e-14;      // a relative change of f below what doubles resolve
constexpr int max_halvings = 60;          // of a line search's step, before the gradient is blamed
constexpr double rise_tolerance = 1e-10;  // a relative rise of f that counts as divergence (fixed step)
constexpr double blow_up = 1e6;           // Nesterov: f grown by this factor is divergence
constexpr double largest_step = 1e6;      // a line search starts at most here

// Gradient descent on every row at once: the state of each problem and the
// steps of one iteration.
class Descent {
 public:
  Descent(const MapProblem& problem, const Matrix<double>& b, const Matrix<double>& x0, const MapOptions& options)
      : options_(options),
        program_(grad(objective_tape(problem), {"x"}, "f"), {"f", "x_bar"}, {.threads = options.threads}),
        rows_(b.rows()),
        n_(problem.forward.n),
        x_(x0),
        previous_(x0),
        at_(x0),
        candidate_(rows_, n_),
        f_(rows_),
        f_new_(rows_),
        step_(rows_, options.step > 0 ? options.step : 1.0),
        g0_(rows_),
        momentum_age_(rows_, 1),
        done_(rows_) {
    bind_constants(program_, problem.forward);
    problem.prior.bind(program_, std::span<const double>(problem.theta));
    program_.set("b", b);
    evaluate(x_, f_, g_);
    for (std::size_t r = 0; r < rows_; ++r) g0_[r] = row_norm(g_.view(), r);
    result.iterations.assign(rows_, 0);
  }

  // One iteration; true when every row has converged.
  bool iterate(std::size_t k) {
    if (options_.nesterov) extrapolate();
    search(options_.nesterov ? at_ : x_);
    if (options_.nesterov) restart_overshooting_momentum();
    previous_ = x_;
    x_ = candidate_;
    double mean = 0;
    bool all_done = true;
    for (std::size_t r = 0; r < rows_; ++r) {
      if (!done_[r]) accept(r, k);
      all_done = all_done && done_[r];
      mean += f_[r];
    }
    if (options_.step == 0) choose_next_steps();  // from the gradient's change, before g_ moves on
    g_ = g_new_;
    result.objective.push_back(mean / double(rows_));
    return all_done;
  }

  MapResult finish() {
    result.x = x_;
    for (std::size_t r = 0; r < rows_; ++r) result.gradient_norm.push_back(row_norm(g_.view(), r));
    return std::move(result);
  }

  MapResult result;

 private:
  void evaluate(const Matrix<double>& point, std::vector<double>& values, Matrix<double>& gradient) {
    program_.set("x", point);
    program_.run();
    for (std::size_t r = 0; r < rows_; ++r) values[r] = program_.get("f")(r, 0);
    gradient = to_matrix(program_.get("x_bar"));
  }

  // Nesterov: each row's gradient at its extrapolated point x + (j-1)/(j+2) (x - x_prev),
  // j the row's iterations since its momentum last started.
  void extrapolate() {
    for (std::size_t r = 0; r < rows_; ++r) {
      const double momentum = double(momentum_age_[r] - 1) / double(momentum_age_[r] + 2);
      for (std::size_t j = 0; j < n_; ++j) at_(r, j) = x_(r, j) + momentum * (x_(r, j) - previous_(r, j));
    }
    std::vector<double> f_at(rows_);
    evaluate(at_, f_at, g_);
  }

  // O'Donoghue and Candès's adaptive restart: a row whose move went uphill along
  // the gradient it was taken from (gᵀ(x_new - x) > 0) was carried past the
  // minimum by its momentum, and starts its momentum again. Without it the
  // momentum keeps overshooting a strongly convex objective, and near the end
  // the method is slower than gradient descent at the same step.
  void restart_overshooting_momentum() {
    for (std::size_t r = 0; r < rows_; ++r) {
      double uphill = 0;
      for (std::size_t j = 0; j < n_; ++j) uphill += g_(r, j) * (candidate_(r, j) - x_(r, j));
      momentum_age_[r] = uphill > 0 ? 1 : momentum_age_[r] + 1;
    }
  }

  // The candidate x - step g for every row: at the fixed step, or by Armijo
  // backtracking (halve each row's step until f decreases enough, rows at once).
  // Near the optimum the decrease falls below what f can resolve; there a step
  // is accepted if it makes the gradient smaller instead.
  void search(const Matrix<double>& from) {
    std::vector<bool> accepted(rows_, options_.step > 0);
    for (int halvings = 0;; ++halvings) {
      for (std::size_t r = 0; r < rows_; ++r)
        if (!accepted[r] || options_.step > 0)
          for (std::size_t j = 0; j < n_; ++j)
            candidate_(r, j) = done_[r] ? x_(r, j) : from(r, j) - step_[r] * g_(r, j);
      evaluate(candidate_, f_new_, g_new_);
      if (options_.step > 0 || all_sufficient(accepted)) return;
      if (halvings == max_halvings)
        throw DivergenceError(
            fmt::format("solve_map: the line search found no decrease in {} halvings; the gradient "
                        "may be wrong or not finite",
                        max_halvings));
    }
  }

  // Marks the rows whose candidate decreases f enough; halves the others' steps.
  bool all_sufficient(std::vector<bool>& accepted) {
    bool all = true;
    for (std::size_t r = 0; r < rows_; ++r) {
      if (done_[r] || accepted[r]) continue;
      const double gn = row_norm(g_.view(), r);
      const bool below_resolution = std::abs(f_new_[r] - f_[r]) <= unresolved * std::abs(f_[r]);
      if (f_new_[r] <= f_[r] - armijo_fraction * step_[r] * gn * gn ||
          (below_resolution && row_norm(g_new_.view(), r) < gn)) {
        accepted[r] = true;
      } else {
        step_[r] *= 0.5;
        all = false;
      }
    }
    return all;
  }

  // Where each open row's next line search starts: the Barzilai-Borwein step
  // sᵀs / sᵀy of its last move s and the change y of its gradient, the inverse
  // of the curvature f showed along s. Doubling the accepted step instead lets
  // the search settle on steps just under 2/L, which Armijo's condition still
  // accepts and which shrink the error by a factor near 1: hundreds of
  // iterations on a quadratic whose curvature is the same in every direction,
  // where this first trial is the minimiser. Where f showed no positive
  // curvature along s, twice the step just taken, as before.
  void choose_next_steps() {
    for (std::size_t r = 0; r < rows_; ++r) {
      if (done_[r]) continue;
      double ss = 0, sy = 0;
      for (std::size_t j = 0; j < n_; ++j) {
        const double s = x_(r, j) - previous_(r, j), y = g_new_(r, j) - g_(r, j);
        ss += s * s;
        sy += s * y;
      }
      const double inverse_curvature = ss / sy;
      step_[r] = std::min(sy > 0 && std::isfinite(inverse_curvature) ? inverse_curvature : 2 * step_[r], largest_step);
    }
  }

  // Row r moves to its candidate: divergence is refused, convergence noted.
  void accept(std::size_t r, std::size_t k) {
    const double gn = row_norm(g_new_.view(), r);
    if (!std::isfinite(f_new_[r]) || !std::isfinite(gn))
      throw DivergenceError(
          fmt::format("solve_map: the iterate of problem {} became non-finite at iteration {} with "
                      "step mu = {}; use a smaller step, or step = 0 for a line search",
                      r, k, step_[r]));
    if (!options_.nesterov && f_new_[r] - f_[r] > rise_tolerance * std::max(1.0, std::abs(f_[r])))
      throw DivergenceError(
          fmt::format("solve_map: the objective of problem {} rose from {:.6g} to {:.6g} at "
                      "iteration {} with the fixed step mu = {}: gradient descent needs mu < 2/L (L "
                      "the curvature); use a smaller step, or step = 0 for a line search",
                      r, f_[r], f_new_[r], k, options_.step));
    if (options_.nesterov && f_new_[r] > blow_up * (1 + std::abs(f_[r])))
      throw DivergenceError(fmt::format(
          "solve_map: Nesterov iterates of problem {} blew up at iteration {} with mu = {}; use a smaller step", r, k,
          options_.step));
    const bool small_gradient = gn <= options_.gradient_tolerance * (1 + g0_[r]);
    const bool stalled = options_.relative_tolerance > 0 && !options_.nesterov &&
                         std::abs(f_[r] - f_new_[r]) <= options_.relative_tolerance * std::abs(f_[r]);
    f_[r] = f_new_[r];
    result.iterations[r] = k;
    if (small_gradient || stalled) done_[r] = true;
  }

  const MapOptions& options_;
  Program<double> program_;
  std::size_t rows_, n_;
  Matrix<double> x_, previous_, at_, candidate_, g_, g_new_;
  std::vector<double> f_, f_new_, step_, g0_;
  std::vector<std::size_t> momentum_age_;  // Nesterov: iterations since each row's momentum started
  std::vector<bool> done_;
};

}  // namespace

MapResult solve_map(const MapProblem& problem, const Matrix<double>& b, const Matrix<double>& x0,
                    const MapOptions& options) {
  if (b.cols() != problem.forward.m || x0.cols() != problem.forward.n || b.rows() != x0.rows() || b.rows() == 0)
    throw ShapeError(
        fmt::format("solve_map: b is {}x{} and x0 is {}x{}; the operator maps R^{} to R^{}, one problem per row",
                    b.rows(), b.cols(), x0.rows(), x0.cols(), problem.forward.n, problem.forward.m));
  if (options.step < 0 || (options.nesterov && options.step == 0))
    throw UsageError(fmt::format(
        "solve_map: step = {}; give a positive step (Nesterov needs one), or 0 for a line search", options.step));
  Descent descent(problem, b, x0, options);
  for (std::size_t k = 1; k <= options.max_iterations; ++k)
    if (descent.iterate(k)) {
      descent.result.converged = true;
      break;
    }
  return descent.finish();
}

}  // namespace wengert::solvers
