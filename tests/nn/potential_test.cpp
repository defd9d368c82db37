// Potentials and optimisers.
#include <doctest/doctest.h>

#include <wengert/nn/optimizer.hpp>
#include <wengert/nn/potential.hpp>

#include "support/harness.hpp"

using namespace wengert;
using namespace wengert::testing;

TEST_CASE("an MLP potential has the named blocks of its flat parameter vector") {
  nn::Potential phi = nn::mlp({3, 8, 8, 1}, nn::Activation::softplus);
  CHECK(phi.parameter_count() == 3 * 8 + 8 + 8 * 8 + 8 + 8);
  CHECK(phi.blocks[0].name == "W1");
  CHECK(phi.blocks.back().name == "W3");
  std::vector<double> theta = nn::initial_parameters(phi, 1);
  CHECK(theta == nn::initial_parameters(phi, 1));  // seeded
  Program<double> p(phi.tape);
  phi.bind(p, std::span<const double>(theta));
  Matrix<double> x(4, 3, 0.5);
  p.set("x", x);
  p.run();
  CHECK(std::isfinite(p.get("phi")(0, 0)));
  std::vector<double> short_theta(3);
  CHECK_THROWS_WITH_AS(phi.bind(p, std::span<const double>(short_theta)), doctest::Contains("theta has 3 entries"),
                       ShapeError);
}

TEST_CASE("relu is refused for second-order losses, with the reason") {
  CHECK_THROWS_WITH_AS(nn::mlp({2, 4, 1}, nn::Activation::relu),
                       doctest::Contains("Laplacian is zero almost everywhere"), UsageError);
  CHECK_NOTHROW(nn::mlp({2, 4, 1}, nn::Activation::relu, 0, false));
  CHECK_THROWS_AS(nn::mlp({2, 4, 3}, nn::Activation::tanh), UsageError);
  CHECK_THROWS_WITH_AS(nn::activation_from("gelu"), doctest::Contains("use tanh, softplus, silu or relu"), UsageError);
}

TEST_CASE("the confining term adds alpha ‖x‖²/2") {
  nn::Potential plain = nn::mlp({2, 4, 1}, nn::Activation::tanh),
                confined = nn::mlp({2, 4, 1}, nn::Activation::tanh, 3.0);
  std::vector<double> theta = nn::initial_parameters(plain, 2);
  Matrix<double> x{{1.0, 2.0}};
  auto value = [&](const nn::Potential& phi) {
    Program<double> p(phi.tape);
    phi.bind(p, std::span<const double>(theta));
    p.set("x", x);
    p.run();
    return p.get("phi")(0, 0);
  };
  CHECK(value(confined) - value(plain) == doctest::Approx(1.5 * 5.0));
}

TEST_CASE("Adam and SGD with momentum minimise a quadratic bowl") {
  for (const char* name : {"adam", "sgd"}) {
    CAPTURE(name);
    auto opt = nn::make_optimizer(name);
    std::vector<double> theta{3.0, -2.0}, g(2);
    for (int step = 0; step < 2000; ++step) {
      g[0] = 2 * (theta[0] - 1), g[1] = 20 * (theta[1] + 0.5);  // f = (θ0 - 1)² + 10(θ1 + 0.5)²
      opt->step(theta, g, std::string(name) == "adam" ? 0.01 : 0.01);
    }
    CHECK(theta[0] == doctest::Approx(1.0).epsilon(1e-3));
    CHECK(theta[1] == doctest::Approx(-0.5).epsilon(1e-3));
  }
  CHECK_THROWS_AS(nn::make_optimizer("lbfgs"), UsageError);
}

TEST_CASE("an edm_mlp whose network is zero is the exact score of Gaussian data of its scale") {
  // phi(x, t) = ½‖x‖² / (t (sigma² + s²)) with sigma² = (1 - t)/t: the potential of
  // x_t ~ N(0, (t s² + 1 - t) I), the law of x_t when x ~ N(0, s² I).
  const double s = 0.6;
  nn::Potential phi = nn::edm_mlp({3, 8, 8, 1}, nn::Activation::silu, 4, s);
  std::vector<double> theta = nn::initial_parameters(phi, 5);  // the output layer starts at zero
  std::mt19937_64 rng(6);
  Matrix<double> x = random_matrix(7, 3, rng);
  Program<double> p(phi.tape);
  phi.bind(p, std::span<const double>(theta));
  p.set("x", x);
  for (double t : {0.01, 0.3, 0.9, 0.999}) {
    const Matrix<double> level(7, 1, t);  // the program views it: it must outlive run()
    p.set("t", level);
    p.run();
    for (std::size_t i = 0; i < 7; ++i) {
      double norm2 = 0;
      for (std::size_t j = 0; j < 3; ++j) norm2 += x(i, j) * x(i, j);
      CHECK(p.get("phi")(i, 0) == doctest::Approx(0.5 * norm2 / (t * s * s + 1 - t)).epsilon(1e-13));
    }
  }
  CHECK_THROWS_WITH_AS(nn::edm_mlp({2, 4, 1}, nn::Activation::silu, 4, 0), doctest::Contains("sigma_data = 0"),
                       UsageError);
}
