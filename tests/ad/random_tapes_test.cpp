// 200 random tapes: gradient and HVP against finite differences, and the
// adjoint of every parameter by the dot-product identity.
#include <doctest/doctest.h>

#include "support/harness.hpp"
#include "support/random_tapes.hpp"

using namespace wengert;
using namespace wengert::testing;

TEST_CASE("200 random tapes: gradients and HVPs against finite differences") {
  int checked = 0;
  for (std::uint64_t seed = 0; seed < 200; ++seed) {
    CAPTURE(seed);
    Tape f = random_tape(seed);
    std::mt19937_64 rng(1000 + seed);
    Values at = random_inputs(f, 3, rng);
    std::vector<std::string> names;
    Values dir;
    for (const Input& in : f.inputs()) {
      names.push_back(in.name);
      dir[in.name] = random_matrix(at[in.name].rows(), at[in.name].cols(), rng);
    }
    // Gradient with respect to every input: <∇phi, dir> equals the difference quotient.
    Values g = run(grad(f, names), at);
    double exact = 0, fd = 0;
    for (const std::string& name : names) exact += frobenius_dot(g[name + "_bar"], dir[name]);
    Values diff = finite_difference(f, at, dir);
    for (std::size_t r = 0; r < diff["phi"].rows(); ++r) fd += diff["phi"](r, 0);
    CHECK(exact == doctest::Approx(fd).epsilon(1e-6).scale(1.0));
    // HVP in x against differences of the gradient.
    Values in = at;
    in["x_dot"] = dir["x"];
    Values h = run(hvp(f, "x"), in);
    Values fd_grad = finite_difference(grad(f, {"x"}), at, {{"x", dir["x"]}});
    CHECK(closeness(h["x_bar_dot"], fd_grad["x_bar"], 1e-5, 1e-6) <= 1);
    ++checked;
  }
  CHECK(checked == 200);
}
