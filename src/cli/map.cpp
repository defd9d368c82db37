// wengert map: MAP estimates from a CSV of observations, one problem per row,
// with a learned prior from a model file.
#include <algorithm>
#include <cmath>
#include <sstream>
#include <fmt/format.h>

#include "cli/commands.hpp"
#include "wengert/error.hpp"
#include "wengert/io.hpp"
#include "wengert/nn/model_file.hpp"

namespace wengert::cli {

namespace {

constexpr double blur_reach = 3;  // the blur kernel is cut at this many standard deviations

// A Gaussian blur of standard deviation `width` samples, normalised to sum to 1.
std::vector<double> blur_kernel(double width) {
  if (!(width > 0)) throw UsageError(fmt::format("--width {}: the blur width must be positive", width));
  const int half = static_cast<int>(std::ceil(blur_reach * width));
  std::vector<double> kernel;
  double sum = 0;
  for (int k = -half; k <= half; ++k) sum += kernel.emplace_back(std::exp(-0.5 * k * k / (width * width)));
  for (double& w : kernel) w /= sum;
  return kernel;
}

std::vector<double> parse_mask(const std::string& text, std::size_t n) {
  std::vector<double> keep;
  std::stringstream fields(text);
  for (std::string f; std::getline(fields, f, ',');) keep.push_back(f == "1" ? 1.0 : f == "0" ? 0.0 : NAN);
  if (keep.size() != n || std::any_of(keep.begin(), keep.end(), [](double v) { return std::isnan(v); }))
    throw UsageError(fmt::format("--mask: give {} entries of 0 or 1, comma-separated (the prior is on R^{})", n, n));
  return keep;
}

solvers::ForwardOperator make_operator(const MapCommand& c, std::size_t n) {
  if (c.op == "identity") return solvers::mask_operator(std::vector<double>(n, 1.0));
  if (c.op == "subsample") return solvers::subsample_operator(n, c.stride);
  if (c.op == "blur") return solvers::convolution_operator(n, blur_kernel(c.width));
  if (c.op == "mask") return solvers::mask_operator(parse_mask(c.mask, n));
  throw UsageError(fmt::format("--operator '{}': use identity, blur, mask or subsample", c.op));
}

}  // namespace

MapCommand::MapCommand() {
  options.max_iterations = 500;
  options.gradient_tolerance = 1e-6;
}

void add_map_options(CLI::App& cmd, MapCommand& c) {
  add_text(cmd, "--prior", c.prior, "the prior's model file (from wengert train)");
  cmd.add_option("--in", c.in, "observations b, one problem per row (CSV)")->required();
  add_text(cmd, "--out", c.out, "the estimates x, one per row (CSV, written atomically)");
  add_text(cmd, "--operator", c.op, "identity, blur, mask or subsample");
  add_real(cmd, "--width", c.width, 0, 1e6, true, "blur: the Gaussian kernel's standard deviation, in samples");
  add_text(cmd, "--mask", c.mask, "mask: the kept entries as 0/1, comma-separated");
  add_count(cmd, "--stride", c.stride, 1, std::size_t(1) << 31, "subsample: keep every stride-th entry");
  add_real(cmd, "--sigma", c.sigma, 0, 1e12, true, "the noise level of the observations");
  add_real(cmd, "--step", c.options.step, 0, 1e12, false, "a fixed step mu; 0 uses Armijo backtracking");
  cmd.add_flag("--nesterov", c.options.nesterov, "Nesterov's acceleration (with a fixed step)");
  add_count(cmd, "--iterations", c.options.max_iterations, 1, 1'000'000'000, "at most this many iterations");
  add_int(cmd, "--threads", c.options.threads, 1, 256, "threads per iteration");
}

namespace {

// The rows of `local` (this rank's share of `rows`) in a matrix of all the rows, on every rank.
Matrix<double> all_rows(const Matrix<double>& local, std::size_t rows, nn::RowShare share, nn::Communicator& ranks) {
  Matrix<double> all(rows, local.cols());
  std::copy_n(local.data(), local.rows() * local.cols(), &all.data()[share.begin * local.cols()]);
  nn::gather_rows({all.data(), rows * local.cols()}, local.cols(), share, ranks);
  return all;
}

// One problem per row: its starting and final objective, iterations, gradient
// norm, and whether it converged.
Matrix<double> row_summary(const solvers::MapProblem& problem, const Matrix<double>& b, const Matrix<double>& x0,
                           const solvers::MapResult& r) {
  const Matrix<double> f0 = solvers::map_objective(problem, b, x0), f = solvers::map_objective(problem, b, r.x);
  Matrix<double> s(b.rows(), 4);
  for (std::size_t i = 0; i < b.rows(); ++i)
    s(i, 0) = f0(i, 0), s(i, 1) = f(i, 0), s(i, 2) = double(r.iterations[i]), s(i, 3) = r.gradient_norm[i];
  return s;
}

}  // namespace

int run_map(const MapCommand& c) {
  check_distinct("--out", c.out, "--in", c.in);
  check_distinct("--out", c.out, "--prior", c.prior);
  auto [phi, theta] = nn::load_model(c.prior);
  check_plain_model(c.prior, phi, "a prior for MAP estimation is a plain potential (wengert train)");
  const auto n = static_cast<std::size_t>(phi.dim());
  const solvers::MapProblem problem{make_operator(c, n), c.sigma, phi, theta};
  const Matrix<double> b_all = io::load_csv(c.in);
  if (b_all.cols() != problem.forward.m)
    throw UsageError(fmt::format("--in '{}' has {} columns; the {} operator on R^{} observes {}", c.in, b_all.cols(),
                                 c.op, n, problem.forward.m));
  nn::Communicator& ranks = c.communicator ? *c.communicator : nn::single_process();
  const nn::RowShare share = nn::share_rows(b_all.rows(), ranks);  // each problem is solved by one rank
  const Matrix<double> b = nn::rows_of(b_all, share);
  Matrix<double> x(b.rows(), n), summary(b.rows(), 4);
  double unconverged[1] = {0};
  if (b.rows() > 0) {
    const Matrix<double> x0 = solvers::apply_adjoint(problem.forward, Matrix<double>(b.rows(), n), b);  // Fᵀb
    const solvers::MapResult r = solvers::solve_map(problem, b, x0, c.options);
    x = r.x;
    summary = row_summary(problem, b, x0, r);
    unconverged[0] = r.converged ? 0 : 1;
  }
  const Matrix<double> estimates = all_rows(x, b_all.rows(), share, ranks),
                       rows = all_rows(summary, b_all.rows(), share, ranks);
  if (ranks.size() > 1) ranks.sum(unconverged);
  if (ranks.rank() > 0) return 0;
  io::save_csv(c.out, estimates);
  double start = 0, end = 0, iterations = 0, largest_gradient = 0;
  for (std::size_t i = 0; i < rows.rows(); ++i) {
    start += rows(i, 0) / double(rows.rows());
    end += rows(i, 1) / double(rows.rows());
    iterations = std::max(iterations, rows(i, 2));
    largest_gradient = std::max(largest_gradient, rows(i, 3));
  }
  fmt::print(
      "{} problems, {} operator, sigma {}: objective {:.6g} -> {:.6g} in at most {} iterations ({}); largest final "
      "gradient norm {:.3g}; estimates written to {}\n",
      b_all.rows(), c.op, c.sigma, start, end, iterations, unconverged[0] == 0 ? "converged" : "iteration limit",
      largest_gradient, c.out);
  return 0;
}

}  // namespace wengert::cli
