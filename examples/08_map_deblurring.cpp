// 08. MAP estimation with a learned prior: deblurring and denoising 1-D signals.
//
// 1. Learn a prior: an MLP potential phi on R^32, trained by (denoising) score
//    matching on smooth random curves x(t) = Σ_k a_k sin(πkt + φ_k)/k.
// 2. Observe 100 held-out curves through a blur (a 7-tap Gaussian kernel) with
//    noise σ = 0.05: b = A x + noise.
// 3. Reconstruct them by MAP, min ‖Ax - b‖²/(2σ²) + phi(x), gradient descent with
//    the learned score as the prior; and by Tikhonov least squares,
//    min ‖Ax - b‖²/(2σ²) + λ‖x‖²/2 (and λ‖Dx‖²/2, D the first difference, a
//    stronger classical prior for smooth curves), each with its best λ chosen
//    on 50 separate validation curves.
// The walkthrough fails unless MAP with the learned prior beats Tikhonov.
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <numbers>
#include <random>
#include <wengert/score/train.hpp>
#include <wengert/solvers/map.hpp>

#include "check.hpp"

using namespace wengert;

namespace {

const std::size_t n = 32;
const double noise = 0.05;

Matrix<double> curves(std::size_t count, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal;
  std::uniform_real_distribution<double> phase(0, 2 * std::numbers::pi);
  Matrix<double> x(count, n);
  for (std::size_t i = 0; i < count; ++i)
    for (int k = 1; k <= 4; ++k) {
      const double a = normal(rng) / k, p = phase(rng);
      for (std::size_t j = 0; j < n; ++j) x(i, j) += a * std::sin(std::numbers::pi * k * double(j) / double(n - 1) + p);
    }
  return x;
}

// Solves M y = v (M symmetric positive definite) by Cholesky.
std::vector<double> spd_solve(const Matrix<double>& m, std::vector<double> v) {
  const std::size_t k = v.size();
  Matrix<double> l(k, k);
  for (std::size_t i = 0; i < k; ++i)
    for (std::size_t j = 0; j <= i; ++j) {
      double s = m(i, j);
      for (std::size_t p = 0; p < j; ++p) s -= l(i, p) * l(j, p);
      l(i, j) = i == j ? std::sqrt(s) : s / l(j, j);
    }
  for (std::size_t i = 0; i < k; ++i) {
    for (std::size_t p = 0; p < i; ++p) v[i] -= l(i, p) * v[p];
    v[i] /= l(i, i);
  }
  for (std::size_t i = k; i-- > 0;) {
    for (std::size_t p = i + 1; p < k; ++p) v[i] -= l(p, i) * v[p];
    v[i] /= l(i, i);
  }
  return v;
}

double mean_error(const Matrix<double>& estimate, const Matrix<double>& truth) {  // mean ‖x̂ - x‖ / ‖x‖
  double total = 0;
  for (std::size_t i = 0; i < truth.rows(); ++i) {
    double e = 0, t = 0;
    for (std::size_t j = 0; j < n; ++j) {
      e += std::pow(estimate(i, j) - truth(i, j), 2);
      t += truth(i, j) * truth(i, j);
    }
    total += std::sqrt(e / t);
  }
  return total / double(truth.rows());
}

// Tikhonov with regulariser RᵀR (identity or first differences), for each row of b.
Matrix<double> tikhonov(const Matrix<double>& a, const Matrix<double>& b, double lambda, bool differences) {
  Matrix<double> m(n, n), x(b.rows(), n);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < n; ++j) {
      for (std::size_t k = 0; k < n; ++k) m(i, j) += a(k, i) * a(k, j) / (noise * noise);
      if (!differences)
        m(i, j) += i == j ? lambda : 0.0;
      else
        m(i, j) +=
            lambda * ((i == j ? (i == 0 || i == n - 1 ? 1.0 : 2.0) : 0.0) - (i + 1 == j || j + 1 == i ? 1.0 : 0.0));
    }
  for (std::size_t r = 0; r < b.rows(); ++r) {
    std::vector<double> rhs(n, 0.0);
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t k = 0; k < n; ++k) rhs[i] += a(k, i) * b(r, k) / (noise * noise);
    std::vector<double> y = spd_solve(m, rhs);
    for (std::size_t i = 0; i < n; ++i) x(r, i) = y[i];
  }
  return x;
}

}  // namespace

int main() {
  // 1. The prior, learned from 20000 curves.
  nn::Potential phi = nn::mlp({static_cast<Dim>(n), 128, 128, 1}, nn::Activation::softplus, 0.01);
  score::TrainOptions options;
  options.loss = {.kind = score::Loss::denoising, .sigma = 0.1};
  options.steps = 3000;
  options.learning_rate = 2e-3;
  options.eval_every = 1000;
  options.threads = 2;
  score::TrainResult trained = score::train(phi, nn::initial_parameters(phi, 1), curves(20000, 1), options);
  fmt::print("prior: MLP [32, 128, 128, 1] trained by denoising score matching (sigma 0.1), {} steps\n", options.steps);

  // 2. The observations: blur, then noise.
  std::vector<double> kernel(7);
  double sum = 0;
  for (int k = -3; k <= 3; ++k) sum += kernel[k + 3] = std::exp(-0.5 * k * k / 2.0);
  for (double& w : kernel) w /= sum;
  solvers::ForwardOperator blur = solvers::convolution_operator(n, kernel);
  Matrix<double> identity(n, n);
  for (std::size_t i = 0; i < n; ++i) identity(i, i) = 1;
  Matrix<double> a_columns = solvers::apply(blur, identity), a(n, n);  // row i of the result is A e_i
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < n; ++j) a(j, i) = a_columns(i, j);
  auto observe = [&](const Matrix<double>& x, std::uint64_t seed) {
    Matrix<double> b = solvers::apply(blur, x);
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> normal(0, noise);
    for (std::size_t i = 0; i < b.rows() * b.cols(); ++i) b.data()[i] += normal(rng);
    return b;
  };
  Matrix<double> validation = curves(50, 2), test = curves(100, 3);
  Matrix<double> b_validation = observe(validation, 4), b_test = observe(test, 5);

  // 3a. Tikhonov: the best λ on the validation curves, then the test error.
  double best_error[2] = {INFINITY, INFINITY}, best_lambda[2] = {0, 0};
  for (int differences = 0; differences < 2; ++differences)
    for (int e = -12; e <= 12; ++e) {
      const double lambda = std::pow(10.0, e / 4.0);
      const double err = mean_error(tikhonov(a, b_validation, lambda, differences), validation);
      if (err < best_error[differences]) {
        best_error[differences] = err;
        best_lambda[differences] = lambda;
      }
    }
  Matrix<double> tik = tikhonov(a, b_test, best_lambda[0], false), tik_d = tikhonov(a, b_test, best_lambda[1], true);

  // 3b. MAP with the learned prior, from the Tikhonov estimate, Armijo line search.
  solvers::MapProblem problem{blur, noise, phi, trained.theta};
  solvers::MapResult map =
      solvers::solve_map(problem, b_test, tik, {.max_iterations = 500, .gradient_tolerance = 1e-6, .threads = 2});

  const double e_tik = mean_error(tik, test), e_tik_d = mean_error(tik_d, test), e_map = mean_error(map.x, test);
  fmt::print("mean relative error on 100 held-out curves (blur, noise {}):\n", noise);
  fmt::print("  Tikhonov, λ‖x‖²   (best λ = {:.3g})   {:.4f}\n", best_lambda[0], e_tik);
  fmt::print("  Tikhonov, λ‖Dx‖²  (best λ = {:.3g})   {:.4f}\n", best_lambda[1], e_tik_d);
  fmt::print("  MAP, learned prior                  {:.4f}   ({} iterations at most)\n", e_map,
             *std::max_element(map.iterations.begin(), map.iterations.end()));
  std::ofstream out("map_deblurring.dat");  // three curves: truth, Tikhonov, MAP (columns), for a picture
  for (std::size_t j = 0; j < n; ++j)
    out << j << ' ' << test(0, j) << ' ' << b_test(0, j) << ' ' << tik(0, j) << ' ' << map.x(0, j) << ' ' << test(1, j)
        << ' ' << b_test(1, j) << ' ' << tik(1, j) << ' ' << map.x(1, j) << '\n';
  out.close();
  std::ofstream gp("map_deblurring.gp");
  gp << "set terminal pngcairo size 1100,400 font ',10'\nset output 'map_deblurring.png'\nset multiplot layout 1,2\n"
        "set key bottom left\nset xlabel 'sample index'\n"
        "plot 'map_deblurring.dat' u 1:2 w l lw 3 lc rgb '#888888' t 'truth', '' u 1:3 w p pt 7 ps 0.5 t 'blurred + "
        "noise', "
        "'' u 1:4 w l lw 2 t 'Tikhonov', '' u 1:5 w l lw 2 t 'MAP, learned prior'\n"
        "plot 'map_deblurring.dat' u 1:6 w l lw 3 lc rgb '#888888' t 'truth', '' u 1:7 w p pt 7 ps 0.5 t 'blurred + "
        "noise', "
        "'' u 1:8 w l lw 2 t 'Tikhonov', '' u 1:9 w l lw 2 t 'MAP, learned prior'\nunset multiplot\n";
  gp.close();
  walkthrough::draw("map_deblurring.gp", "map_deblurring.png",
                    "two test curves, their observations and both reconstructions");
  if (!(e_map < e_tik)) {
    fmt::print("MISMATCH: the learned prior did not beat Tikhonov\n");
    return 1;
  }
  fmt::print("  the learned prior beats Tikhonov (λ‖x‖²) by {:.1f}x\n", e_tik / e_map);
  return walkthrough::finish();
}
