// Random tapes: random compositions of ops and shapes from a seed, to test the
// transformations on programs nobody wrote by hand. Every op keeps its
// arguments inside its domain (log and sqrt of 1 + a², division by 1 + a²), so
// every tape is smooth and finite everywhere.
#pragma once

#include <random>
#include <string>
#include <vector>
#include <fmt/format.h>

#include <wengert/wengert.hpp>

namespace wengert::testing {

inline Tape random_tape(std::uint64_t seed, bool allow_batch_coupling = true) {
  std::mt19937_64 rng(seed);
  auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
  Recorder rec;
  const Dim d = 1 + static_cast<Dim>(pick(4));
  std::vector<Var> pool{rec.data("x", d)};
  int parameters = 0;
  auto parameter = [&](Dim rows, Dim cols) { return rec.parameter(fmt::format("p{}", parameters++), rows, cols); };
  auto any = [&] { return pool[pick(pool.size())]; };
  auto same_width = [&](Var a) {  // another value of a's shape, made if needed
    std::vector<Var> fits;
    for (Var v : pool)
      if (v.shape() == a.shape()) fits.push_back(v);
    return fits[pick(fits.size())];
  };
  const int steps = 3 + static_cast<int>(pick(9));
  for (int s = 0; s < steps; ++s) {
    Var a = any();
    Var y;
    switch (pick(14)) {
      case 0: y = tanh(a); break;
      case 1: y = sigmoid(a) * a; break;
      case 2: y = softplus(a); break;
      case 3: y = silu(a); break;
      case 4: y = sin(a) + cos(a) * 0.5; break;
      case 5: {  // q / q: a step that reads one value twice (the fold leaves a division as it is)
        Var q = 1.0 + square(a);
        y = log(q) + q / q;
        break;
      }
      case 6: y = sqrt(1.0 + square(a)) - pow(1.0 + square(a), 1.5) * 0.1; break;
      case 7: y = a * same_width(a) - same_width(a); break;
      case 8: y = a / (1.0 + square(same_width(a))); break;
      case 9: y = matmul(a, parameter(a.shape().cols, 1 + static_cast<Dim>(pick(5)))) + parameter(1, 1); break;
      case 10: y = a * parameter(1, a.shape().cols) + exp(-square(a)); break;
      case 11: y = a.shape().cols > 1 ? slice_cols(a, 0, a.shape().cols - 1) * 2.0 : concat_cols(a, tanh(a)); break;
      case 12: y = a * sum_cols(tanh(any())); break;
      case 13: y = allow_batch_coupling ? a - mean_rows(a) * 0.5 : concat_cols(a, any()); break;
    }
    pool.push_back(y);
  }
  Var phi = sum_cols(pool.back());
  for (std::size_t k = 1; k + 1 < pool.size(); k += 3) phi = phi + 0.3 * sum_cols(sin(pool[k]));
  rec.output("phi", phi);
  return rec.finish();
}

/// Random tape `seed` and its transformations: the gradient in every input, the HVP and the Laplacian in x.
inline std::vector<Tape> random_tape_and_derivatives(std::uint64_t seed) {
  const Tape f = random_tape(seed);
  std::vector<std::string> names;
  for (const Input& in : f.inputs()) names.push_back(in.name);
  return {f, grad(f, names), hvp(f, "x"), laplacian(f, "x")};
}

}  // namespace wengert::testing
