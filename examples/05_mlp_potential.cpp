// 05. An MLP potential phi(x; theta): its gradient (minus the score) and its
// Laplacian, the two terms of the score-matching loss.
//
// phi(x) = tanh(tanh(x W1 + b1) W2 + b2) W3, x in R^4, hidden width 16. The
// Laplacian, tr ∇²phi, is the sum of the diagonal of d HVPs; it is checked
// against second differences of phi itself, one coordinate at a time.
#include <cmath>
#include <random>
#include <wengert/wengert.hpp>

#include "check.hpp"

using walkthrough::check;

int main() {
  const wengert::Dim d = 4, h = 16;
  wengert::Recorder rec;
  wengert::Var x = rec.data("x", d);
  wengert::Var w1 = rec.parameter("W1", d, h), b1 = rec.parameter("b1", 1, h);
  wengert::Var w2 = rec.parameter("W2", h, h), b2 = rec.parameter("b2", 1, h);
  wengert::Var w3 = rec.parameter("W3", h, 1);
  rec.output("phi", matmul(tanh(matmul(tanh(matmul(x, w1) + b1), w2) + b2), w3));
  wengert::Tape phi = rec.finish();

  std::mt19937_64 rng(42);
  std::normal_distribution<double> normal(0.0, 0.5);
  auto random = [&](std::size_t rows, std::size_t cols) {
    wengert::Matrix<double> m(rows, cols);
    for (std::size_t i = 0; i < rows * cols; ++i) m.data()[i] = normal(rng);
    return m;
  };
  wengert::Matrix<double> X = random(3, d), W1 = random(d, h), B1 = random(1, h), W2 = random(h, h), B2 = random(1, h),
                          W3 = random(h, 1);
  wengert::Inputs<double> theta{{"W1", W1}, {"b1", B1}, {"W2", W2}, {"b2", B2}, {"W3", W3}};
  wengert::Inputs<double> at = theta;
  at.emplace_back("x", X);

  wengert::Derivatives<double> D(phi, "x");
  wengert::Matrix<double> value = D.value(at), score = D.gradient(at), lap = D.laplacian(at);
  fmt::print("The HVP tape has {} nodes; phi's has {}.\n\n", D.hvp_tape().nodes().size(), phi.nodes().size());

  // Second differences: d²phi/dx_j² ≈ (phi(x + e e_j) - 2 phi(x) + phi(x - e e_j)) / e².
  const double e = 1e-4;
  for (std::size_t r = 0; r < X.rows(); ++r) {
    double by_differences = 0;
    for (std::size_t j = 0; j < static_cast<std::size_t>(d); ++j) {
      wengert::Matrix<double> plus = X, minus = X;
      plus(r, j) += e;
      minus(r, j) -= e;
      wengert::Inputs<double> ip = theta, im = theta;
      ip.emplace_back("x", plus);
      im.emplace_back("x", minus);
      by_differences += (D.value(ip)(r, 0) - 2 * value(r, 0) + D.value(im)(r, 0)) / (e * e);
    }
    fmt::print("sample {}: phi = {:+.6f}, |grad phi| = {:.6f}\n", r, value(r, 0),
               std::hypot(std::hypot(score(r, 0), score(r, 1)), std::hypot(score(r, 2), score(r, 3))));
    check("Laplacian against 2nd differences", lap(r, 0), by_differences, 1e-5);
  }
  return walkthrough::finish();
}
