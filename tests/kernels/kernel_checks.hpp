// What the kernel tests share: random entries, the scalar twins, a fused
// group's steps with one instruction set's kernels, closeness to a twin, and a
// loop over every instruction set this build carries and this CPU runs.
#pragma once

#include <doctest/doctest.h>

#include <cmath>
#include <random>
#include <vector>

#include "kernels/kernels.hpp"
#include "kernels/targets.hpp"

namespace wengert::kernel_checks {

template <class T>
std::vector<T> random_vector(std::size_t n, std::mt19937_64& rng, double lo, double hi) {
  std::uniform_real_distribution<double> u(lo, hi);
  std::vector<T> v(n);
  for (auto& e : v) e = static_cast<T>(u(rng));
  return v;
}

// The scalar twins: the last of the runnable targets.
inline const kernels::Target& twins() { return *kernels::runnable_targets().back(); }

// The steps with their kernels from target t.
template <class T>
std::vector<kernels::FusedStep<T>> with_kernels(std::vector<kernels::FusedStep<T>> steps, const kernels::Target& t) {
  for (kernels::FusedStep<T>& s : steps) s.kernel = t.table<T>().step_kernel(s);
  return steps;
}

template <class T>
void check_close(const std::vector<T>& simd, const std::vector<T>& scalar, double rtol) {
  for (std::size_t i = 0; i < simd.size(); ++i) {
    CAPTURE(i);
    CHECK(std::abs(double(simd[i]) - double(scalar[i])) <= rtol * (1 + std::abs(double(scalar[i]))));
  }
}

}  // namespace wengert::kernel_checks

// Runs the checks once per instruction set, each named in the failures.
#define FOR_EACH_TARGET(t)                                          \
  for (const kernels::Target* target : kernels::runnable_targets()) \
    if (const kernels::Target& t = *target; true)                   \
      if (CAPTURE(t.name); true)
