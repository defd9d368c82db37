// How good a model or a sample is, against exact answers: the score against
// the true score, densities on a grid against the exact density, samples
// against exact samples.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

#include "wengert/matrix.hpp"
#include "wengert/nn/communicator.hpp"
#include "wengert/nn/potential.hpp"
#include "wengert/score/data.hpp"

namespace wengert::score {

// ---- scores ---------------------------------------------------------------------

/// The learned score s_theta = -∇x phi at each row of x.
Matrix<double> model_score(const nn::Potential& phi, const std::vector<double>& theta, const Matrix<double>& x);

/// E‖s_theta - s_true‖² over the rows of x (the Fisher divergence); throws
/// UsageError when the true score is not known.
double fisher_divergence(const nn::Potential& phi, const std::vector<double>& theta, const Matrix<double>& x,
                         const Dataset& truth);

// ---- densities on a grid (d = 2) --------------------------------------------------

/// The centres of an n x n grid of cells over [lo, hi]², row-major (n², 2):
/// cell (i, j) at x = lo + (j + ½) h, y = lo + (i + ½) h, h = (hi - lo) / n.
Matrix<double> grid_centres(double lo, double hi, std::size_t n);

/// The model density exp(-phi)/Z on that grid (n x n), normalised numerically.
/// With `ranks`, each computes its share of the cells and all get the grid (the
/// bits one process computes: a row's phi does not depend on the rows beside it).
Matrix<double> density_grid(const nn::Potential& phi, const std::vector<double>& theta, double lo, double hi,
                            std::size_t n, nn::Communicator* ranks = nullptr);

/// The same grid for the data: the exact density where it is known, else a
/// histogram of `samples` exact samples. With `subcells` > 1 each cell holds the
/// exact density averaged over subcells² points of it: the reference for a
/// histogram, which averages over its cells too.
Matrix<double> reference_grid(const Dataset& truth, double lo, double hi, std::size_t n, std::size_t samples = 2000000,
                              std::size_t subcells = 1);

/// A histogram of the rows of x on that grid, as a density (the rows that fall
/// inside share mass 1 over the grid).
Matrix<double> histogram_grid(const Matrix<double>& x, double lo, double hi, std::size_t n);

/// The mass a density grid gives each of the data's regions (its modes, rings,
/// moons): the cells' mass summed by the region of the cell's centre.
std::vector<double> grid_region_masses(const Dataset& data, const Matrix<double>& grid, double lo, double hi);
/// The share of the rows of x in each of the data's regions.
std::vector<double> sample_region_masses(const Dataset& data, const Matrix<double>& x);

/// The mean distance of the rows of x to the data's support: the same number
/// for exact samples is the floor, and blur raises it.
double mean_support_distance(const Dataset& data, const Matrix<double>& x);

/// Total variation ½ Σ|p - q| h² between two density grids of cell area h².
double total_variation(const Matrix<double>& p, const Matrix<double>& q, double cell_area);
/// KL(p ‖ q) = Σ p log(p/q) h² (infinite where q = 0 < p).
double kl_divergence(const Matrix<double>& p, const Matrix<double>& q, double cell_area);

// ---- samples ---------------------------------------------------------------------

/// Energy distance 2E‖X - Y‖ - E‖X - X'‖ - E‖Y - Y'‖ (Székely; zero iff equal
/// laws), the unbiased estimate: it can fall below zero near equality.
double energy_distance(const Matrix<double>& x, const Matrix<double>& y);

/// Samples in R² judged against the exact law: a histogram's TV against the
/// exact density, which sees blur and mass in the wrong place, beside the same
/// for as many exact samples (the floor: a histogram is noisy); the mean distance
/// to the support (blur raises it); the share of each region.
struct SampleQuality {
  double histogram_tv = 0;              ///< the samples' histogram against the exact density
  double floor_tv = 0;                  ///< the same for as many exact samples
  double support_distance = NAN;        ///< the samples' mean distance to the support; NaN when unknown
  double floor_support_distance = NAN;  ///< the same for the exact samples
  std::vector<double> masses;           ///< empty when the data has no regions
};
/// On a cells² grid over [-extent, extent]²; the exact samples are drawn from `seed`.
SampleQuality judge_samples(const Dataset& truth, const Matrix<double>& x, std::uint64_t seed, std::size_t cells = 64,
                            double extent = 4);

/// Sliced Wasserstein-1: the mean over `projections` random directions of the
/// 1-D Wasserstein distance of the projected samples (equal sample sizes).
double sliced_wasserstein(const Matrix<double>& x, const Matrix<double>& y, std::size_t projections = 200,
                          std::uint64_t seed = 1);

}  // namespace wengert::score
