// Second and third derivatives: closed forms, finite differences, symmetry,
// linearity in v.
#include <doctest/doctest.h>

#include "support/harness.hpp"

using namespace wengert;
using namespace wengert::testing;

TEST_CASE("½ xᵀAx has the Hessian (A + Aᵀ)/2") {
  Recorder rec;
  Var x = rec.data("x", 3);
  Var a = rec.parameter("A", 3, 3);
  rec.output("phi", 0.5 * dot(x, matmul(x, a)));
  Tape f = rec.finish();
  std::mt19937_64 rng(4);
  Matrix<double> A = random_matrix(3, 3, rng), X = random_matrix(6, 3, rng), V = random_matrix(6, 3, rng);
  Values out = run(hvp(f, "x"), {{"x", X}, {"A", A}, {"x_dot", V}});
  for (std::size_t r = 0; r < 6; ++r)
    for (std::size_t i = 0; i < 3; ++i) {
      double expected = 0, gradient = 0;
      for (std::size_t j = 0; j < 3; ++j) {
        expected += 0.5 * (A(i, j) + A(j, i)) * V(r, j);
        gradient += 0.5 * (A(i, j) + A(j, i)) * X(r, j);
      }
      CHECK(out["x_bar_dot"](r, i) == doctest::Approx(expected).epsilon(1e-14));
      CHECK(out["x_bar"](r, i) == doctest::Approx(gradient).epsilon(1e-14));
    }
}

TEST_CASE("a Gaussian potential: score -P(x - mu), Hessian P, Laplacian tr P") {
  Recorder rec;
  Var x = rec.data("x", 2);
  Var mu = rec.parameter("mu", 1, 2), L = rec.parameter("L", 2, 2);
  Var z = matmul(x - mu, L);  // P = L Lᵀ
  rec.output("phi", 0.5 * dot(z, z));
  Tape f = rec.finish();
  Matrix<double> Lm{{1.5, 0.0}, {0.3, 0.7}}, M{{0.2, -0.4}}, X{{1, 2}, {-1, 0.5}};
  const double P[2][2] = {{1.5 * 1.5, 1.5 * 0.3}, {1.5 * 0.3, 0.3 * 0.3 + 0.7 * 0.7}};
  Derivatives<double> d(f);
  Inputs<double> in{{"x", X}, {"mu", M}, {"L", Lm}};
  Matrix<double> g = d.gradient(in), h = d.hessian(in), lap = d.laplacian(in);
  for (std::size_t r = 0; r < 2; ++r) {
    for (std::size_t i = 0; i < 2; ++i) {
      double expected = 0;
      for (std::size_t j = 0; j < 2; ++j) expected += P[i][j] * (X(r, j) - M(0, j));
      CHECK(g(r, i) == doctest::Approx(expected).epsilon(1e-14));
      for (std::size_t j = 0; j < 2; ++j) CHECK(h(r * 2 + i, j) == doctest::Approx(P[i][j]).epsilon(1e-14));
    }
    CHECK(lap(r, 0) == doctest::Approx(P[0][0] + P[1][1]).epsilon(1e-14));
  }
}

TEST_CASE("tanh and softplus: Hessians in closed form") {
  for (int which = 0; which < 2; ++which) {
    Recorder rec;
    Var x = rec.data("x", 3);
    rec.output("phi", sum_cols(which == 0 ? tanh(x) : softplus(x)));
    Tape f = rec.finish();
    Matrix<double> X{{-1.2, 0.1, 2.0}, {40.0, -40.0, 0.0}};  // includes saturated entries
    Matrix<double> V{{1, 2, 3}, {1, 1, 1}};
    Values out = run(hvp(f, "x"), {{"x", X}, {"x_dot", V}});
    for (std::size_t r = 0; r < 2; ++r)
      for (std::size_t i = 0; i < 3; ++i) {
        const double t = std::tanh(X(r, i)), s = 1 / (1 + std::exp(-X(r, i)));
        const double second = which == 0 ? -2 * t * (1 - t * t) : s * (1 - s);
        CHECK(out["x_bar_dot"](r, i) == doctest::Approx(second * V(r, i)).epsilon(1e-13));
      }
  }
}

TEST_CASE("MLP potentials: HVP against differences of gradients, for each smooth activation") {
  std::mt19937_64 rng(5);
  auto check = [&](const Tape& f) {
    Values at = random_inputs(f, 7, rng);
    Matrix<double> v = random_matrix(7, 4, rng);
    Values in = at;
    in["x_dot"] = v;
    Values exact = run(hvp(f, "x"), in);
    Values fd = finite_difference(grad(f, {"x"}), at, {{"x", v}});
    CHECK(closeness(exact["x_bar_dot"], fd["x_bar"], 1e-6, 1e-8) <= 1);
  };
  check(mlp_tape(4, 16, [](Var a) { return tanh(a); }));
  check(mlp_tape(4, 16, [](Var a) { return softplus(a); }));
  check(mlp_tape(4, 16, [](Var a) { return silu(a); }));
  check(mlp_tape(4, 16, [](Var a) { return sigmoid(a); }));
}

TEST_CASE("the Hessian is symmetric and the HVP is linear in v") {
  std::mt19937_64 rng(6);
  Tape f = mlp_tape(5, 12, [](Var a) { return tanh(a); });
  Values at = random_inputs(f, 3, rng);
  Inputs<double> in;
  for (auto& [name, m] : at) in.emplace_back(name, m.view());
  Derivatives<double> d(f);
  Matrix<double> h = d.hessian(in);
  for (std::size_t r = 0; r < 3; ++r)
    for (std::size_t i = 0; i < 5; ++i)
      for (std::size_t j = 0; j < i; ++j) CHECK(h(r * 5 + i, j) == doctest::Approx(h(r * 5 + j, i)).epsilon(1e-12));
  Matrix<double> v1 = random_matrix(3, 5, rng), v2 = random_matrix(3, 5, rng), mix(3, 5);
  for (std::size_t i = 0; i < 15; ++i) mix.data()[i] = 2.0 * v1.data()[i] - 3.0 * v2.data()[i];
  Matrix<double> h1 = d.hvp(in, v1), h2 = d.hvp(in, v2), hm = d.hvp(in, mix);
  for (std::size_t i = 0; i < 15; ++i)
    CHECK(hm.data()[i] == doctest::Approx(2.0 * h1.data()[i] - 3.0 * h2.data()[i]).epsilon(1e-12));
  // and the Hessian's rows are the HVPs with basis vectors
  for (std::size_t r = 0; r < 3; ++r)
    for (std::size_t i = 0; i < 5; ++i) {
      double hv = 0;
      for (std::size_t j = 0; j < 5; ++j) hv += h(r * 5 + i, j) * v1(r, j);
      CHECK(h1(r, i) == doctest::Approx(hv).epsilon(1e-12));
    }
}

TEST_CASE("third order: the gradient of vᵀH(x)v, in x and in theta, against differences") {
  Tape f = mlp_tape(3, 10, [](Var a) { return softplus(a); });
  Tape h = hvp(f, "x");
  Recorder rec;  // q(x, v; theta) = vᵀ H(x; theta) v, recorded by calling the HVP tape
  std::vector<std::pair<std::string, Var>> args;
  Var x = rec.data("x", 3), v = rec.data("x_dot", 3);
  args = {{"x", x}, {"x_dot", v}};
  for (const char* p : {"W1", "b1", "W2", "b2", "W3"}) {
    const Shape s = f.inputs()[f.input_index(p)].shape;
    args.emplace_back(p, rec.parameter(p, s.rows, s.cols));
  }
  std::vector<Var> outs = rec.call(h, args);
  rec.output("q", dot(v, outs[2]));
  Tape q = rec.finish();

  std::mt19937_64 rng(7);
  Values at = random_inputs(q, 4, rng);
  Tape gq = grad(q, {"x", "W1", "b2"});
  Values exact = run(gq, at);
  for (const char* wrt : {"x", "W1", "b2"}) {
    CAPTURE(wrt);
    Matrix<double> dir = random_matrix(at[wrt].rows(), at[wrt].cols(), rng);
    // <∇q, dir> against the difference quotient of q (summed over rows)
    Values fd = finite_difference(q, at, {{wrt, dir}});
    double fd_sum = 0;
    for (std::size_t r = 0; r < fd["q"].rows(); ++r) fd_sum += fd["q"](r, 0);
    CHECK(frobenius_dot(exact[std::string(wrt) + "_bar"], dir) == doctest::Approx(fd_sum).epsilon(1e-6));
  }
}
