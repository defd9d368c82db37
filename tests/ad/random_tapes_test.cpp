// 200 random tapes: gradient and HVP against finite differences, and the
// adjoint of every parameter by the dot-product identity.
#include <doctest/doctest.h>

#include <cstring>

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

// Fusion (ProgramOptions::fuse) runs chains of element-wise steps, and the sums
// over the batch after them, a few rows at a time; every kernel gives an entry
// the same bits wherever it sits (a sum adds its rows in order), so fused and
// step-by-step runs agree bit for bit: on every tape and on its gradient, HVP and
// Laplacian, at one row, a few and many (several chunks, and tiles with tails).
TEST_CASE("200 random tapes and their transformations: fused and step-by-step runs give the same bits") {
  std::size_t fewer_steps = 0, fused_sums = 0;
  for (std::uint64_t seed = 0; seed < 200; ++seed) {
    CAPTURE(seed);
    for (const Tape& t : random_tape_and_derivatives(seed)) {
      fewer_steps += Program<double>(t).describe().find("element-wise chains fused") != std::string::npos;
      fused_sums +=
          Program<double>(t, {}, {.profile = true}).profile().find("sums over the batch") != std::string::npos;
      for (std::size_t rows : {1u, 5u, 203u}) {
        CAPTURE(rows);
        std::mt19937_64 rng(2000 + seed);
        const Values at = random_inputs(t, rows, rng);
        const Values apart = run(t, at, {.chunk_rows = 64, .fuse = false});
        // With check_finite every result of a group is kept and checked; without, what dies inside stays in scratch.
        for (bool check : {false, true}) {
          CAPTURE(check);
          const Values fused = run(t, at, {.chunk_rows = 64, .check_finite = check});
          for (const auto& entry : apart) {  // not a structured binding: clang 14 cannot capture one
            const std::string& name = entry.first;
            const Matrix<double>& value = entry.second;
            CAPTURE(name);
            const Matrix<double>& other = fused.at(name);
            CHECK(std::memcmp(value.data(), other.data(), value.rows() * value.cols() * sizeof(double)) == 0);
          }
        }
      }
    }
  }
  MESSAGE(fewer_steps, " of the 800 plans fuse element-wise chains, ", fused_sums, " sums over the batch with them");
  CHECK(fewer_steps > 400);
  CHECK(fused_sums > 0);
}
