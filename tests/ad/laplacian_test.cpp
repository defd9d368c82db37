// The forward Laplacian (chapter 4) against the HVP route (chapter 3), closed
// forms and finite differences, and its third-order use: the theta-gradient of
// the score-matching loss.
#include <doctest/doctest.h>

#include "support/harness.hpp"
#include "support/random_tapes.hpp"

using namespace wengert;
using namespace wengert::testing;

namespace {
// Laplacian and gradient by the HVP route: Derivatives::hessian, then the trace.
std::pair<Matrix<double>, Matrix<double>> by_hvps(const Tape& f, const Values& at) {
  Inputs<double> in;
  for (const auto& [name, m] : at) in.emplace_back(name, m.view());
  Derivatives<double> d(f);
  Matrix<double> h = d.hessian(in), g = d.gradient(in);
  const std::size_t n = h.cols(), rows = h.rows() / n;
  Matrix<double> lap(rows, 1);
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t j = 0; j < n; ++j) lap(r, 0) += h(r * n + j, j);
  return {g, lap};
}
}  // namespace

TEST_CASE("a worked example: sin(x1 x2) has Laplacian -(x1² + x2²) sin(x1 x2)") {
  Recorder rec;
  Var x = rec.data("x", 2);
  rec.output("y", sin(slice_cols(x, 0, 1) * slice_cols(x, 1, 1)));
  Values out = run(laplacian(rec.finish(), "x"), {{"x", Matrix<double>{{1.0, 2.0}, {-0.5, 0.3}}}});
  CHECK(out["x_laplacian"](0, 0) == doctest::Approx(-5 * std::sin(2.0)).epsilon(1e-14));
  CHECK(out["x_laplacian"](1, 0) == doctest::Approx(-(0.25 + 0.09) * std::sin(-0.15)).epsilon(1e-14));
  CHECK(out["x_bar"](0, 0) == doctest::Approx(2 * std::cos(2.0)).epsilon(1e-14));
  CHECK(out["x_bar"](0, 1) == doctest::Approx(1 * std::cos(2.0)).epsilon(1e-14));
}

TEST_CASE("MLP potentials, every smooth activation: the same gradient and Laplacian as d HVPs") {
  std::mt19937_64 rng(21);
  for (int act = 0; act < 4; ++act) {
    CAPTURE(act);
    Tape f = mlp_tape(5, 12, [act](Var a) {
      return act == 0 ? tanh(a) : act == 1 ? softplus(a) : act == 2 ? silu(a) : sigmoid(a);
    });
    Values at = random_inputs(f, 6, rng);
    auto [g, lap] = by_hvps(f, at);
    Values out = run(laplacian(f, "x"), at);
    CHECK(closeness(out["x_laplacian"], lap, 1e-11, 1e-12) <= 1);
    CHECK(closeness(out["x_bar"], g, 1e-12, 1e-13) <= 1);
  }
}

TEST_CASE("100 random tapes: the forward Laplacian equals the HVP route") {
  for (std::uint64_t seed = 0; seed < 100; ++seed) {
    CAPTURE(seed);
    Tape f = random_tape(seed, false);  // rows independent: a per-sample Laplacian
    std::mt19937_64 rng(500 + seed);
    Values at = random_inputs(f, 3, rng);
    auto [g, lap] = by_hvps(f, at);
    Values out = run(laplacian(f, "x"), at);
    CHECK(closeness(out["x_laplacian"], lap, 1e-9, 1e-10) <= 1);
    CHECK(closeness(out["x_bar"], g, 1e-11, 1e-12) <= 1);
  }
}

TEST_CASE("third order: the theta-gradient of the score-matching loss against finite differences") {
  // J(theta) = mean over rows of ½‖∇x phi‖² - Δx phi, recorded from the forward-Laplacian tape.
  Tape phi = mlp_tape(3, 8, [](Var a) { return softplus(a); });
  Tape lap = laplacian(phi, "x");
  Recorder rec;
  std::vector<std::pair<std::string, Var>> args{{"x", rec.data("x", 3)}};
  for (const char* p : {"W1", "b1", "W2", "b2", "W3"}) {
    const Shape s = phi.inputs()[phi.input_index(p)].shape;
    args.emplace_back(p, rec.parameter(p, s.rows, s.cols));
  }
  std::vector<Var> out = rec.call(lap, args);  // phi, x_bar, x_laplacian
  rec.output("J", mean_rows(0.5 * dot(out[1], out[1]) - out[2]));
  Tape loss = rec.finish();
  std::mt19937_64 rng(22);
  Values at = random_inputs(loss, 16, rng);
  Values exact = run(grad(loss, {"W1", "b1", "W2", "b2", "W3"}), at);
  for (const char* p : {"W1", "b1", "W2", "b2", "W3"}) {
    CAPTURE(p);
    Matrix<double> dir = random_matrix(at[p].rows(), at[p].cols(), rng);
    const double fd = finite_difference(loss, at, {{p, dir}})["J"](0, 0);
    CHECK(frobenius_dot(exact[std::string(p) + "_bar"], dir) == doctest::Approx(fd).epsilon(1e-6));
  }
}

TEST_CASE("the forward Laplacian refuses relu") {
  Tape f = mlp_tape(2, 4, [](Var a) { return relu(a); });
  CHECK_THROWS_AS(laplacian(f, "x"), NonSmoothError);
}
