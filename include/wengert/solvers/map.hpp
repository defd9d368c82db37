// MAP estimation with a learned prior (the lecture's "MAP Estimation"):
//
//   minimise  f(x) = ‖F(x) - b‖² / (2σ²) + phi(x)
//   gradient  g(x) = J(x)ᵀ (F(x) - b) / σ² - s(x),   s = -∇phi the learned score
//   step      x <- x - mu g(x)
//
// F is a tape from "x" (B, n) to "y" (B, m): a dense matrix, a convolution, a
// mask, a subsampling — built below, none of them forming a matrix where it need
// not — or any nonlinear map the user records. Jᵀr comes from a reverse sweep of
// the whole objective's tape: no Jacobian is ever formed. Each row of b is an
// independent problem; a batch is solved in one run per iteration.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "wengert/matrix.hpp"
#include "wengert/nn/potential.hpp"
#include "wengert/tape.hpp"

namespace wengert::solvers {

// ---- forward operators: tapes from "x" (B, n) to "y" (B, m) -----------------

/// A forward operator F of an inverse problem, recorded as a tape.
struct ForwardOperator {
  Tape tape;  ///< input "x" (B, n), output "y" (B, m), and constant inputs bound from `constants`
  std::vector<std::pair<std::string, Matrix<double>>> constants;  ///< the values of its constant inputs
  std::size_t n = 0;                                              ///< the dimension of x
  std::size_t m = 0;                                              ///< the dimension of y
};

/// y = A x for a dense m x n matrix.
ForwardOperator dense_operator(const Matrix<double>& a);
/// y = k * x, the 1-D convolution with an odd-length kernel centred on each
/// entry, zero outside [0, n): a blur. Shifted slices, no matrix.
ForwardOperator convolution_operator(std::size_t n, const std::vector<double>& kernel);
/// y = x at the entries where mask is 1, 0 elsewhere: inpainting.
ForwardOperator mask_operator(const std::vector<double>& mask);
/// y = every stride-th entry of x, from the first.
ForwardOperator subsample_operator(std::size_t n, std::size_t stride);
/// Any recorded map with input "x" (B, n) and output "y" (B, m); its other
/// inputs are constants given here.
ForwardOperator taped_operator(Tape forward, std::vector<std::pair<std::string, Matrix<double>>> constants = {});

/// F(x), and the adjoint product J(x)ᵀ r by a reverse sweep, for rows x (and r).
Matrix<double> apply(const ForwardOperator& f, const Matrix<double>& x);
/// J(x)ᵀ r per row, by a reverse sweep through F's tape.
Matrix<double> apply_adjoint(const ForwardOperator& f, const Matrix<double>& x, const Matrix<double>& r);

// ---- the solver ----------------------------------------------------------------

/// How map_estimate iterates.
struct MapOptions {
  double step = 0;                    ///< mu; 0: Armijo backtracking from the Barzilai-Borwein step (1 at first)
  bool nesterov = false;              ///< accelerated gradient (with the fixed step), restarted where it overshoots
  std::size_t max_iterations = 1000;  ///< per row, at most
  double gradient_tolerance = 1e-8;   ///< stop a row when ‖g‖ ≤ this · (1 + ‖g₀‖)
  double relative_tolerance = 0;  ///< stop a row when |f_k - f_{k+1}| ≤ this · |f_k| (0: off; f settles long before x)
  int threads = 1;                ///< of the gradient program
};

/// What map_estimate returns.
struct MapResult {
  Matrix<double> x;                     ///< the estimates, one row per problem
  std::vector<std::size_t> iterations;  ///< per row
  std::vector<double> gradient_norm;    ///< final ‖g‖ per row
  std::vector<double> objective;        ///< mean objective over rows after each iteration
  bool converged = false;               ///< every row met a tolerance
};

/// min over x of ‖F(x) - b‖² / (2 sigma²) + phi(x), for each row b.
struct MapProblem {
  ForwardOperator forward;    ///< F
  double sigma = 1;           ///< the noise level
  nn::Potential prior;        ///< phi
  std::vector<double> theta;  ///< its parameters
};

/// Solves every row of b from x0. A step too large for plain gradient descent
/// (mu > 2/L) makes the objective rise or the iterate non-finite: the solver
/// stops and throws DivergenceError naming mu, never returns such an iterate.
MapResult solve_map(const MapProblem& problem, const Matrix<double>& b, const Matrix<double>& x0,
                    const MapOptions& options = {});

/// The objective f per row, for checks and line searches.
Matrix<double> map_objective(const MapProblem& problem, const Matrix<double>& b, const Matrix<double>& x);

}  // namespace wengert::solvers
