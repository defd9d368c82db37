// Metrics against exact answers: scores, densities on grids, samples.
#include "wengert/score/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <random>
#include <fmt/format.h>

#include "wengert/error.hpp"

namespace wengert::score {

Matrix<double> model_score(const nn::Potential& phi, const std::vector<double>& theta, const Matrix<double>& x) {
  return nn::ScoreProgram(phi, theta)(x);
}

double fisher_divergence(const nn::Potential& phi, const std::vector<double>& theta, const Matrix<double>& x,
                         const Dataset& truth) {
  if (!truth.score) throw UsageError(fmt::format("fisher_divergence: the true score of '{}' is not known", truth.name));
  const Matrix<double> s = model_score(phi, theta, x), exact = truth.score(x);
  double sum = 0;
  for (std::size_t i = 0; i < s.rows() * s.cols(); ++i) sum += std::pow(s.data()[i] - exact.data()[i], 2);
  return sum / double(x.rows());
}

Matrix<double> grid_centres(double lo, double hi, std::size_t n) {
  const double h = (hi - lo) / double(n);
  Matrix<double> x(n * n, 2);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < n; ++j) {
      x(i * n + j, 0) = lo + (double(j) + 0.5) * h;
      x(i * n + j, 1) = lo + (double(i) + 0.5) * h;
    }
  return x;
}

namespace {

// exp(log_density) on the grid, normalised to integrate to 1 over it (shifted
// by the largest value first, so that nothing overflows).
Matrix<double> normalised(const double* log_density, std::size_t n, double h) {
  const double top = *std::max_element(log_density, log_density + n * n);
  Matrix<double> grid(n, n);
  double z = 0;
  for (std::size_t k = 0; k < n * n; ++k) z += (grid.data()[k] = std::exp(log_density[k] - top)) * h * h;
  for (std::size_t k = 0; k < n * n; ++k) grid.data()[k] /= z;
  return grid;
}

}  // namespace

Matrix<double> histogram_grid(const Matrix<double>& x, double lo, double hi, std::size_t n) {
  const double h = (hi - lo) / double(n);
  Matrix<double> grid(n, n);
  std::size_t inside = 0;
  for (std::size_t r = 0; r < x.rows(); ++r) {
    const double a = (x(r, 0) - lo) / h, b = (x(r, 1) - lo) / h;
    if (a < 0 || b < 0 || a >= double(n) || b >= double(n)) continue;
    grid(static_cast<std::size_t>(b), static_cast<std::size_t>(a)) += 1;
    ++inside;
  }
  for (std::size_t k = 0; k < n * n; ++k) grid.data()[k] /= double(inside) * h * h;
  return grid;
}

Matrix<double> density_grid(const nn::Potential& phi, const std::vector<double>& theta, double lo, double hi,
                            std::size_t n, nn::Communicator* ranks) {
  if (phi.dim() != 2)
    throw UsageError(fmt::format("density_grid: the potential is on R^{}; a grid needs d = 2", phi.dim()));
  nn::Communicator& comm = ranks ? *ranks : nn::single_process();
  const nn::RowShare share = nn::share_rows(n * n, comm);
  std::vector<double> log_density(n * n);
  if (share.size() > 0) {
    Program<double> p(phi.tape, {"phi"});
    phi.bind(p, std::span<const double>(theta));
    const Matrix<double> x = nn::rows_of(grid_centres(lo, hi, n), share);
    p.set("x", x);
    p.run();
    for (std::size_t k = 0; k < share.size(); ++k) log_density[share.begin + k] = -p.get("phi").data[k];
  }
  nn::gather_rows(log_density, 1, share, comm);
  return normalised(log_density.data(), n, (hi - lo) / double(n));
}

Matrix<double> reference_grid(const Dataset& truth, double lo, double hi, std::size_t n, std::size_t samples,
                              std::size_t subcells) {
  if (!truth.log_density) return histogram_grid(truth.sample(samples, 12345), lo, hi, n);
  if (subcells <= 1) {
    const Matrix<double> log_density = truth.log_density(grid_centres(lo, hi, n));
    return normalised(log_density.data(), n, (hi - lo) / double(n));  // renormalised to the grid like the model
  }
  // The fine grid's cells, summed subcells x subcells into each coarse cell.
  const std::size_t fine = n * subcells;
  const Matrix<double> p = reference_grid(truth, lo, hi, fine, samples, 1);
  Matrix<double> grid(n, n);
  for (std::size_t i = 0; i < fine; ++i)
    for (std::size_t j = 0; j < fine; ++j) grid(i / subcells, j / subcells) += p(i, j) / double(subcells * subcells);
  return grid;
}

std::vector<double> grid_region_masses(const Dataset& data, const Matrix<double>& grid, double lo, double hi) {
  if (!data.region) throw UsageError(fmt::format("grid_region_masses: '{}' has no regions", data.name));
  const std::size_t n = grid.rows();
  const double cell = std::pow((hi - lo) / double(n), 2);
  const std::vector<std::size_t> region = data.region(grid_centres(lo, hi, n));
  std::vector<double> mass(data.region_mass.size(), 0.0);
  for (std::size_t k = 0; k < n * n; ++k) mass[region[k]] += grid.data()[k] * cell;
  return mass;
}

std::vector<double> sample_region_masses(const Dataset& data, const Matrix<double>& x) {
  if (!data.region) throw UsageError(fmt::format("sample_region_masses: '{}' has no regions", data.name));
  std::vector<double> mass(data.region_mass.size(), 0.0);
  for (std::size_t r : data.region(x)) mass[r] += 1.0 / double(x.rows());
  return mass;
}

double mean_support_distance(const Dataset& data, const Matrix<double>& x) {
  if (!data.support_distance)
    throw UsageError(fmt::format("mean_support_distance: the support of '{}' is not known", data.name));
  double mean = 0;
  for (double d : data.support_distance(x)) mean += d / double(x.rows());
  return mean;
}

double total_variation(const Matrix<double>& p, const Matrix<double>& q, double cell_area) {
  double s = 0;
  for (std::size_t k = 0; k < p.rows() * p.cols(); ++k) s += std::abs(p.data()[k] - q.data()[k]);
  return 0.5 * s * cell_area;
}

double kl_divergence(const Matrix<double>& p, const Matrix<double>& q, double cell_area) {
  double s = 0;
  for (std::size_t k = 0; k < p.rows() * p.cols(); ++k)
    if (p.data()[k] > 0) s += p.data()[k] * std::log(p.data()[k] / std::max(q.data()[k], 1e-300));
  return s * cell_area;
}

namespace {
double mean_distance(const Matrix<double>& a, const Matrix<double>& b, bool same) {
  double sum = 0;
  for (std::size_t i = 0; i < a.rows(); ++i)
    for (std::size_t k = same ? i + 1 : 0; k < b.rows(); ++k) {
      double s = 0;
      for (std::size_t j = 0; j < a.cols(); ++j) s += (a(i, j) - b(k, j)) * (a(i, j) - b(k, j));
      sum += std::sqrt(s);
    }
  const double pairs = same ? double(a.rows()) * double(a.rows() - 1) / 2 : double(a.rows()) * double(b.rows());
  return sum / pairs;
}
}  // namespace

double energy_distance(const Matrix<double>& x, const Matrix<double>& y) {
  if (x.cols() != y.cols() || x.rows() < 2 || y.rows() < 2)
    throw ShapeError(fmt::format("energy_distance: samples {}x{} and {}x{}; equal widths and at least 2 rows each",
                                 x.rows(), x.cols(), y.rows(), y.cols()));
  return 2 * mean_distance(x, y, false) - mean_distance(x, x, true) - mean_distance(y, y, true);
}

double sliced_wasserstein(const Matrix<double>& x, const Matrix<double>& y, std::size_t projections,
                          std::uint64_t seed) {
  if (x.cols() != y.cols() || x.rows() != y.rows() || x.rows() == 0)
    throw ShapeError(fmt::format("sliced_wasserstein: samples {}x{} and {}x{}; equal sizes needed", x.rows(), x.cols(),
                                 y.rows(), y.cols()));
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal;
  std::vector<double> px(x.rows()), py(y.rows()), direction(x.cols());
  double total = 0;
  for (std::size_t p = 0; p < projections; ++p) {
    double norm = 0;
    for (double& e : direction) {
      e = normal(rng);
      norm += e * e;
    }
    for (double& e : direction) e /= std::sqrt(norm);
    for (std::size_t i = 0; i < x.rows(); ++i) {
      px[i] = py[i] = 0;
      for (std::size_t j = 0; j < x.cols(); ++j) {
        px[i] += direction[j] * x(i, j);
        py[i] += direction[j] * y(i, j);
      }
    }
    std::sort(px.begin(), px.end());
    std::sort(py.begin(), py.end());
    double w = 0;
    for (std::size_t i = 0; i < px.size(); ++i) w += std::abs(px[i] - py[i]);
    total += w / double(px.size());
  }
  return total / double(projections);
}

SampleQuality judge_samples(const Dataset& truth, const Matrix<double>& x, std::uint64_t seed, std::size_t cells,
                            double extent) {
  if (truth.dim != 2 || x.cols() != 2)
    throw ShapeError(fmt::format("judge_samples: '{}' is in R^{} and the samples in R^{}; both must be in R^2",
                                 truth.name, truth.dim, x.cols()));
  constexpr std::size_t subcells = 8;  // the exact density averaged over each cell, as a histogram averages
  const Matrix<double> p = reference_grid(truth, -extent, extent, cells, 2000000, subcells);
  const Matrix<double> exact = truth.sample(x.rows(), seed);
  const double area = std::pow(2 * extent / double(cells), 2);
  SampleQuality q;
  q.histogram_tv = total_variation(p, histogram_grid(x, -extent, extent, cells), area);
  q.floor_tv = total_variation(p, histogram_grid(exact, -extent, extent, cells), area);
  if (truth.support_distance) {
    q.support_distance = mean_support_distance(truth, x);
    q.floor_support_distance = mean_support_distance(truth, exact);
  }
  if (truth.region) q.masses = sample_region_masses(truth, x);
  return q;
}

}  // namespace wengert::score
