// Every element-wise SIMD kernel, fused group and affine tail against its
// scalar twin, over sizes that leave every kind of tail (fewer entries than a
// register, a register and a bit, many), for every instruction set this build
// carries and this CPU runs; and the dispatch that picks one. The products and
// reductions: products_test.cpp.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include <cstdlib>
#include <wengert/simd.hpp>

#include "kernels/fused.hpp"
#include "kernels/kernel_checks.hpp"

using namespace wengert;
using namespace wengert::kernel_checks;

namespace {

template <class T>
void element_wise(const kernels::Target& t, double rtol) {
  std::mt19937_64 rng(11);
  const Op ops[] = {Op::neg,        Op::square,   Op::sqrt, Op::exp,  Op::log, Op::log1p, Op::tanh,
                    Op::sigmoid,    Op::softplus, Op::silu, Op::sin,  Op::cos, Op::pow,   Op::add_scalar,
                    Op::mul_scalar, Op::relu,     Op::abs,  Op::step, Op::sign};
  for (std::size_t n : {0u, 1u, 3u, 7u, 8u, 9u, 15u, 16u, 17u, 33u, 67u}) {
    for (Op op : ops) {
      CAPTURE(n);
      CAPTURE(op_name(op));
      const bool positive = op == Op::sqrt || op == Op::log || op == Op::pow;
      auto a = random_vector<T>(n, rng, positive ? 0.1 : op == Op::log1p ? -0.9 : -30, 30);
      std::vector<T> y1(n), y2(n);
      t.table<T>().unary(op, a.data(), y1.data(), n, T(1.7));
      kernels::unary(op, a.data(), y2.data(), n, T(1.7), false);
      check_close(y1, y2, rtol);
    }
    for (Op op : {Op::add, Op::sub, Op::mul, Op::div}) {
      auto a = random_vector<T>(n, rng, -3, 3), b = random_vector<T>(n, rng, 0.5, 3);
      std::vector<T> y1(n), y2(n);
      t.table<T>().binary(op, a.data(), b.data(), y1.data(), n);
      kernels::binary(op, a.data(), b.data(), y2.data(), n, false);
      check_close(y1, y2, 0);  // exact: the same single IEEE operation
    }
  }
}

// Each entry's result depends on its inputs alone: the kernel over the whole
// array, over every suffix and over each entry alone give the same bits (where a
// register starts, and whether an entry falls in the tail, must not matter).
template <class T>
void position_independent(const kernels::Target& t) {
  std::mt19937_64 rng(13);
  constexpr std::size_t n = 41;
  auto a = random_vector<T>(n, rng, -30, 30), b = random_vector<T>(n, rng, 0.5, 3);
  a[5] = T(400), a[6] = T(-500), a[20] = T(0.25);  // beyond exp's range beside entries within it
  const auto same_bits = [](const T* x, const T* y, std::size_t count) {
    return std::memcmp(x, y, count * sizeof(T)) == 0;
  };
  for (Op op : {Op::exp, Op::tanh, Op::silu, Op::softplus, Op::sigmoid, Op::sin, Op::square, Op::pow}) {
    CAPTURE(op_name(op));
    std::vector<T> whole(n), part(n);
    t.table<T>().unary(op, a.data(), whole.data(), n, T(1.7));
    for (std::size_t from = 1; from < n; ++from) {
      CAPTURE(from);
      t.table<T>().unary(op, a.data() + from, part.data(), n - from, T(1.7));
      CHECK(same_bits(part.data(), whole.data() + from, n - from));
      t.table<T>().unary(op, a.data() + from, part.data(), 1, T(1.7));
      CHECK(same_bits(part.data(), whole.data() + from, 1));
    }
  }
  for (Op op : {Op::mul, Op::div}) {
    std::vector<T> whole(n), part(n);
    t.table<T>().binary(op, a.data(), b.data(), whole.data(), n);
    for (std::size_t from = 1; from < n; ++from) {
      t.table<T>().binary(op, a.data() + from, b.data() + from, part.data(), n - from);
      CHECK(same_bits(part.data(), whole.data() + from, n - from));
    }
  }
}

// A fused group of random steps over slots: two batch values, a bias row, and
// each step's result; then each row's sum of one of them, and a sum over the
// rows of one of them into a row that holds an earlier chunk's sum. The
// target's fused kernel gives the bits of its steps run one by one over all
// rows, whatever block of rows it is called on, and agrees with the scalar
// twin's fused kernel.
template <class T>
void fused_group(const kernels::Target& t, double rtol) {
  std::mt19937_64 rng(17);
  const Op ops[] = {Op::neg, Op::tanh, Op::sin, Op::sigmoid, Op::mul_scalar, Op::add_scalar, Op::add, Op::sub, Op::mul};
  for (std::size_t cols : {1u, 3u, 8u, 17u, 64u})
    for (std::size_t rows : {1u, 5u, 12u}) {
      CAPTURE(cols);
      CAPTURE(rows);
      constexpr std::uint32_t given = 3, steps = 12;  // slots 0, 1: batch values; 2: a bias row
      constexpr std::uint32_t row_sum = given + steps, sum = row_sum + 1, slots = sum + 1;
      std::vector<std::vector<T>> values(slots, std::vector<T>(rows * cols));
      values[0] = random_vector<T>(rows * cols, rng, -3, 3);
      values[1] = random_vector<T>(rows * cols, rng, -3, 3);
      values[2] = random_vector<T>(cols, rng, -1, 1);
      values[sum] = random_vector<T>(cols, rng, -1, 1);
      std::vector<kernels::FusedStep<T>> program;
      std::uniform_int_distribution<std::size_t> pick_op(0, std::size(ops) - 1);
      for (std::uint32_t y = given; y < row_sum; ++y) {
        std::uniform_int_distribution<std::uint32_t> pick(0, y - 1);
        program.push_back({ops[pick_op(rng)], pick(rng), pick(rng), y, cols, T(0.7)});
      }
      std::uniform_int_distribution<std::uint32_t> pick_result(given, row_sum - 1);
      const std::uint32_t row_summed = pick_result(rng), summed = pick_result(rng);
      program.push_back({Op::sum_cols, row_summed, row_summed, row_sum, 1, T(0)});
      program.back().a_cols = cols;
      program.push_back({Op::sum_rows, summed, summed, sum, cols, T(0)});
      std::vector<std::size_t> row_step(slots, cols);
      row_step[2] = row_step[sum] = 0;
      row_step[row_sum] = 1;
      auto entries = [&](std::uint32_t y) { return (row_step[y] == 0 ? 1 : rows) * (y == row_sum ? 1 : cols); };
      // One by one, over all rows (the bias row row by row), as the executor runs unfused steps.
      auto one_by_one = values;
      for (const auto& s : program)
        for (std::size_t r = 0; r < rows; ++r) {
          if (s.op == Op::sum_rows) {
            if (r == 0) t.table<T>().sum_rows(one_by_one[s.a].data(), one_by_one[s.y].data(), rows, cols, true);
            continue;
          }
          if (s.op == Op::sum_cols) {
            if (r == 0) t.table<T>().sum_cols(one_by_one[s.a].data(), one_by_one[s.y].data(), rows, cols);
            continue;
          }
          const T* a = one_by_one[s.a].data() + r * row_step[s.a];
          T* y = one_by_one[s.y].data() + r * cols;
          if (op_kind(s.op) == OpKind::unary)
            t.table<T>().unary(s.op, a, y, cols, s.c);
          else
            t.table<T>().binary(s.op, a, one_by_one[s.b].data() + r * row_step[s.b], y, cols);
        }
      auto run = [&](bool simd, std::size_t block) {
        auto out = values;
        const auto steps = with_kernels(program, simd ? t : twins());
        std::vector<T*> slot(out.size());
        for (std::size_t r = 0; r < rows; r += block) {
          for (std::size_t k = 0; k < out.size(); ++k) slot[k] = out[k].data() + r * row_step[k];
          kernels::fused<T>(steps, slot.data(), row_step.data(), std::min(block, rows - r));
        }
        return out;
      };
      for (std::size_t block : {rows, std::size_t(1), std::size_t(4)}) {
        CAPTURE(block);
        const auto fused = run(true, block);
        for (std::uint32_t y = given; y < slots; ++y)
          CHECK(std::memcmp(fused[y].data(), one_by_one[y].data(), entries(y) * sizeof(T)) == 0);
      }
      const auto twin = run(false, rows), fused = run(true, rows);
      for (std::uint32_t y = given; y < slots; ++y) check_close(fused[y], twin[y], rtol);
    }
}

// Chains of negations, scalings and shifts after a step, folded into its tail
// (kernels/fused.hpp): the bits of the steps run one by one, for NaN, infinite
// and signed zero entries too, on the target's kernels and on the scalar twin.
template <class T>
void affine_tails(const kernels::Target& t) {
  std::mt19937_64 rng(18);
  const std::size_t n = 67;
  std::vector<std::vector<T>> values(2, random_vector<T>(n, rng, -4, 4));
  values[1] = random_vector<T>(n, rng, -4, 4);
  const T special[] = {std::numeric_limits<T>::quiet_NaN(), -std::numeric_limits<T>::quiet_NaN(), T(0), T(-0.0),
                       std::numeric_limits<T>::infinity(),  -std::numeric_limits<T>::infinity(),  T(1), T(-1)};
  for (std::size_t k = 0; k < std::size(special); ++k) values[0][k * 3] = values[1][k * 5 + 1] = special[k];
  using S = kernels::FusedStep<T>;
  // slot 2: -(a·b) + 1, negated; 6: 1 - a², scaled; 10: -(sin a)·0.3 + 2; 13: (a - b)·(-1)... then negated twice.
  const std::vector<S> program = {S{Op::mul, 0, 1, 2, n, T(0)},
                                  S{Op::neg, 2, 0, 3, n, T(0)},
                                  S{Op::add_scalar, 3, 0, 4, n, T(1)},
                                  S{Op::neg, 4, 0, 5, n, T(0)},
                                  S{Op::square, 0, 0, 6, n, T(0)},
                                  S{Op::neg, 6, 0, 7, n, T(0)},
                                  S{Op::add_scalar, 7, 0, 8, n, T(1)},
                                  S{Op::sin, 1, 0, 9, n, T(0)},
                                  S{Op::neg, 9, 0, 10, n, T(0)},
                                  S{Op::mul_scalar, 10, 0, 11, n, T(0.3)},
                                  S{Op::add_scalar, 11, 0, 12, n, T(2)},
                                  S{Op::sub, 0, 1, 13, n, T(0)},
                                  S{Op::mul_scalar, 13, 0, 14, n, T(-3)},
                                  S{Op::neg, 14, 0, 15, n, T(0)},
                                  S{Op::neg, 15, 0, 16, n, T(0)},
                                  S{Op::mul_scalar, 16, 0, 17, n, T(5)}};  // a second scaling: a step of its own
  const std::size_t slots = 18;
  std::vector<bool> scratch(slots, true);
  for (std::uint32_t kept : {0u, 1u, 5u, 8u, 12u, 17u}) scratch[kept] = false;
  const std::vector<S> tailed = kernels::with_affine_tails(program, scratch);
  CHECK(tailed.size() == 5);  // mul, square, sin and sub with their tails; the second scaling on its own
  values.resize(slots, std::vector<T>(n));
  std::vector<std::size_t> row_step(slots, n);
  auto run = [&](const std::vector<S>& steps, bool simd) {
    auto out = values;
    std::vector<T*> slot(slots);
    for (std::size_t k = 0; k < slots; ++k) slot[k] = out[k].data();
    kernels::fused<T>(with_kernels(steps, simd ? t : twins()), slot.data(), row_step.data(), 1);
    return out;
  };
  for (bool simd : {true, false}) {
    CAPTURE(simd);
    const auto plain = run(program, simd), folded = run(tailed, simd);
    for (std::uint32_t kept : {5u, 8u, 12u, 17u})
      CHECK(std::memcmp(plain[kept].data(), folded[kept].data(), n * sizeof(T)) == 0);
  }
}

}  // namespace

TEST_CASE("element-wise kernels: SIMD equals the scalar twin, tails included") {
  FOR_EACH_TARGET(t) {
    element_wise<double>(t, 4e-15);
    element_wise<float>(t, 4e-6);
  }
}

TEST_CASE("element-wise kernels: an entry's result does not depend on where it sits") {
  FOR_EACH_TARGET(t) {
    position_independent<double>(t);
    position_independent<float>(t);
  }
}

TEST_CASE("fused element-wise groups: the steps' bits one by one, in any block of rows; close to the scalar twin") {
  FOR_EACH_TARGET(t) {
    fused_group<double>(t, 1e-13);
    fused_group<float>(t, 1e-5);
  }
}

TEST_CASE("affine tails: negations, scalings and shifts folded into the step before them, with its bits") {
  FOR_EACH_TARGET(t) {
    affine_tails<double>(t);
    affine_tails<float>(t);
  }
}

TEST_CASE("element-wise kernels at extreme arguments: huge, infinite and NaN entries give the scalar twin's answer") {
  const double extremes[] = {1e300, -1e300, 800, -800, 710,      -750,      NAN, 1e20,
                             -1e20, 30,     -30, 0.5,  INFINITY, -INFINITY, 0,   -0.0};
  FOR_EACH_TARGET(t)
  for (std::size_t k = 0; k < op_count; ++k) {
    const Op op = static_cast<Op>(k);
    if (op_kind(op) != OpKind::unary) continue;
    CAPTURE(op_name(op));
    std::vector<double> a(std::begin(extremes), std::end(extremes)), y1(a.size()), y2(a.size());
    t.table<double>().unary(op, a.data(), y1.data(), a.size(), 2.5);
    kernels::unary(op, a.data(), y2.data(), a.size(), 2.5, false);
    for (std::size_t i = 0; i < a.size(); ++i) {
      CAPTURE(a[i]);
      if (std::isnan(y2[i]))
        CHECK(std::isnan(y1[i]));
      else if (std::isinf(y2[i]))
        CHECK(y1[i] == y2[i]);
      else
        CHECK(std::abs(y1[i] - y2[i]) <= 1e-12 * (1 + std::abs(y2[i])));
    }
  }
}

// softplus of every a in [-40, 40] by steps of 0.0137, in [-1, 1] by 1e-4 (near
// 0, e^-|a| near 1, the series' terms fall slowest) and at the edges, by each
// instruction set's kernel for T, against log1p(e^a) in long double.
template <class T>
void check_softplus_ulps(int ulps) {
  std::vector<T> a;
  for (double x = -40; x <= 40; x += 0.0137) a.push_back(static_cast<T>(x));
  for (double x = -1; x <= 1; x += 1e-4) a.push_back(static_cast<T>(x));  // where the series' tail weighs most
  for (double x : {0.0, -0.0, 1e-300, -1e-300, 1e-30, -1e-30, 1e-8, -1e-8, 16.6, 17.4, 36.7, 37.5, 88.0, 700.0, -700.0})
    a.push_back(static_cast<T>(x));
  FOR_EACH_TARGET(t) {
    std::vector<T> y(a.size());
    t.template table<T>().unary(Op::softplus, a.data(), y.data(), a.size(), 0.0);
    for (std::size_t i = 0; i < a.size(); ++i) {
      CAPTURE(a[i]);
      const long double x = a[i];
      const long double exact = std::max(x, 0.0L) + std::log1p(std::exp(-std::abs(x)));
      // Below T's range (softplus(-700) in float) a subnormal's spacing is all T can do.
      const long double slack = std::numeric_limits<T>::denorm_min();
      CHECK(std::abs(y[i] - exact) <= ulps * std::numeric_limits<T>::epsilon() * exact + slack);
    }
  }
}

TEST_CASE("softplus, by its own log1p on [0, 1], within two units in the last place of log1p(e^a) in long double") {
  check_softplus_ulps<double>(2);
  check_softplus_ulps<float>(2);  // seven terms of the series, where double takes sixteen
}

TEST_CASE("dispatch: the best instruction set this CPU runs, or the one WENGERT_SIMD names") {
  const std::vector<std::string> targets = simd_targets();
  REQUIRE(!targets.empty());
  CHECK(targets.back() == "scalar");
  const char* forced = std::getenv("WENGERT_SIMD");
  MESSAGE("runnable: ", targets.size(), " targets; in use: ", simd_target());
  CHECK(simd_target() == (forced && *forced ? std::string(forced) : targets.front()));
  // What the executor's kernels run is the chosen table.
  CHECK(kernels::active_target().name == simd_target());
}
