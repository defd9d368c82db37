// Every SIMD kernel against its scalar twin, over sizes that leave every kind
// of tail (fewer entries than a register, a register and a bit, many), for
// every instruction set this build carries and this CPU runs; and the dispatch
// that picks one.
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
#include "kernels/kernels.hpp"
#include "kernels/targets.hpp"

using namespace wengert;

namespace {

template <class T>
std::vector<T> random_vector(std::size_t n, std::mt19937_64& rng, double lo, double hi) {
  std::uniform_real_distribution<double> u(lo, hi);
  std::vector<T> v(n);
  for (auto& e : v) e = static_cast<T>(u(rng));
  return v;
}

// The scalar twins: the last of the runnable targets.
const kernels::Target& twins() { return *kernels::runnable_targets().back(); }

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

// A row of a product depends on its own row of A alone: the first m rows of a
// product of 37 rows are the product of those m rows, bit for bit.
template <class T>
void rows_independent(const kernels::Target& t) {
  std::mt19937_64 rng(15);
  constexpr std::size_t rows = 37;
  for (std::size_t n : {1u, 3u, 16u, 17u, 40u})
    for (std::size_t k : {1u, 3u, 16u, 19u})
      for (int layout : {0, 2}) {  // X·W, Y·Wᵀ (Xᵀ·Y sums over the rows)
        CAPTURE(n);
        CAPTURE(k);
        CAPTURE(layout);
        auto a = random_vector<T>(rows * k, rng, -1, 1), b = random_vector<T>(k * n, rng, -1, 1);
        const std::size_t b_row = layout == 2 ? 1 : n, b_col = layout == 2 ? k : 1;
        std::vector<T> whole(rows * n), part(rows * n);
        t.table<T>().gemm(rows, n, k, a.data(), k, 1, b.data(), b_row, b_col, whole.data(), n, false, nullptr);
        for (std::size_t m : {1u, 2u, 3u, 5u, 7u, 8u, 13u}) {
          CAPTURE(m);
          t.table<T>().gemm(m, n, k, a.data(), k, 1, b.data(), b_row, b_col, part.data(), n, false, nullptr);
          CHECK(std::memcmp(part.data(), whole.data(), m * n * sizeof(T)) == 0);
        }
      }
}

template <class T>
void products(const kernels::Target& t, double rtol) {
  std::mt19937_64 rng(12);
  for (std::size_t m : {1u, 3u, 4u, 5u, 6u, 7u, 13u})
    for (std::size_t n : {1u, 2u, 7u, 8u, 16u, 17u, 33u, 64u, 70u})
      for (std::size_t k : {1u, 2u, 5u, 16u, 19u})
        for (int layout = 0; layout < 3; ++layout)  // X·W, Xᵀ·Y, Y·Wᵀ
          for (bool accumulate : {false, true}) {
            CAPTURE(m);
            CAPTURE(n);
            CAPTURE(k);
            CAPTURE(layout);
            auto a = random_vector<T>(m * k, rng, -1, 1), b = random_vector<T>(k * n, rng, -1, 1);
            auto c1 = random_vector<T>(m * n, rng, -1, 1), c2 = c1;
            const std::size_t a_row = layout == 1 ? 1 : k, a_col = layout == 1 ? m : 1;
            const std::size_t b_row = layout == 2 ? 1 : n, b_col = layout == 2 ? k : 1;
            t.table<T>().gemm(m, n, k, a.data(), a_row, a_col, b.data(), b_row, b_col, c1.data(), n, accumulate,
                              nullptr);
            kernels::gemm(m, n, k, a.data(), a_row, a_col, b.data(), b_row, b_col, c2.data(), n, accumulate, nullptr,
                          false);
            check_close(c1, c2, rtol);
            if (accumulate || layout == 1) continue;
            // With a bias row: close to the twin's, and the bits of the product and then the add kernel.
            const auto row = random_vector<T>(n, rng, -1, 1);
            std::vector<T> with_row(m * n), twin(m * n);
            t.table<T>().gemm(m, n, k, a.data(), a_row, a_col, b.data(), b_row, b_col, with_row.data(), n, false,
                              row.data());
            kernels::gemm(m, n, k, a.data(), a_row, a_col, b.data(), b_row, b_col, twin.data(), n, false, row.data(),
                          false);
            check_close(with_row, twin, rtol);
            for (std::size_t i = 0; i < m; ++i) t.table<T>().binary(Op::add, &c1[i * n], row.data(), &c1[i * n], n);
            CHECK(std::memcmp(with_row.data(), c1.data(), m * n * sizeof(T)) == 0);
          }
  for (std::size_t rows : {1u, 2u, 9u})
    for (std::size_t cols : {1u, 5u, 8u, 17u, 40u, 67u}) {
      auto a = random_vector<T>(rows * cols, rng, -1, 1);
      std::vector<T> s1(cols, T(1)), s2(cols, T(1)), c1(rows), c2(rows);
      t.table<T>().sum_rows(a.data(), s1.data(), rows, cols, true);
      kernels::sum_rows(a.data(), s2.data(), rows, cols, true, false);
      CHECK(std::memcmp(s1.data(), s2.data(), cols * sizeof(T)) == 0);  // each column added in row order alike
      t.table<T>().sum_cols(a.data(), c1.data(), rows, cols);
      kernels::sum_cols(a.data(), c2.data(), rows, cols, false);
      check_close(c1, c2, rtol);
    }
}

// A fused group of random steps over slots: two batch values, a bias row, and
// each step's result; last, a sum over the rows of one of them into a row that
// holds an earlier chunk's sum. The target's fused kernel gives the bits of its
// steps run one by one over all rows, whatever block of rows it is called on,
// and agrees with the scalar twin's fused kernel.
template <class T>
void fused_group(const kernels::Target& t, double rtol) {
  std::mt19937_64 rng(17);
  const Op ops[] = {Op::neg, Op::tanh, Op::sin, Op::sigmoid, Op::mul_scalar, Op::add_scalar, Op::add, Op::sub, Op::mul};
  for (std::size_t cols : {1u, 3u, 8u, 17u, 64u})
    for (std::size_t rows : {1u, 5u, 12u}) {
      CAPTURE(cols);
      CAPTURE(rows);
      constexpr std::uint32_t given = 3, steps = 12;  // slots 0, 1: batch values; 2: a bias row
      constexpr std::uint32_t sum = given + steps, slots = sum + 1;
      std::vector<std::vector<T>> values(slots, std::vector<T>(rows * cols));
      values[0] = random_vector<T>(rows * cols, rng, -3, 3);
      values[1] = random_vector<T>(rows * cols, rng, -3, 3);
      values[2] = random_vector<T>(cols, rng, -1, 1);
      values[sum] = random_vector<T>(cols, rng, -1, 1);
      std::vector<kernels::FusedStep<T>> program;
      std::uniform_int_distribution<std::size_t> pick_op(0, std::size(ops) - 1);
      for (std::uint32_t y = given; y < sum; ++y) {
        std::uniform_int_distribution<std::uint32_t> pick(0, y - 1);
        program.push_back({ops[pick_op(rng)], pick(rng), pick(rng), y, cols, T(0.7)});
      }
      const std::uint32_t summed = std::uniform_int_distribution<std::uint32_t>(given, sum - 1)(rng);
      program.push_back({Op::sum_rows, summed, summed, sum, cols, T(0)});
      std::vector<std::size_t> row_step(slots, cols);
      row_step[2] = row_step[sum] = 0;
      auto entries = [&](std::uint32_t y) { return (row_step[y] == 0 ? 1 : rows) * cols; };
      // One by one, over all rows (the bias row row by row), as the executor runs unfused steps.
      auto one_by_one = values;
      for (const auto& s : program)
        for (std::size_t r = 0; r < rows; ++r) {
          if (s.op == Op::sum_rows) {
            if (r == 0) t.table<T>().sum_rows(one_by_one[s.a].data(), one_by_one[s.y].data(), rows, cols, true);
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

// Runs the checks once per instruction set, each named in the failures.
#define FOR_EACH_TARGET(t)                                          \
  for (const kernels::Target* target : kernels::runnable_targets()) \
    if (const kernels::Target& t = *target; true)                   \
      if (CAPTURE(t.name); true)

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

TEST_CASE("matrix products: a row of the product does not depend on the rows beside it") {
  FOR_EACH_TARGET(t) {
    rows_independent<double>(t);
    rows_independent<float>(t);
  }
}

TEST_CASE("matrix products and reductions: SIMD equals the scalar twin, tails included") {
  FOR_EACH_TARGET(t) {
    products<double>(t, 1e-14);
    products<float>(t, 1e-5);
  }
}

TEST_CASE("paired single-row products: SIMD equals the scalar twin, both layouts") {
  std::mt19937_64 rng(13);
  FOR_EACH_TARGET(t)
  for (std::size_t n : {1u, 3u, 8u, 17u, 64u, 70u, 130u})
    for (std::size_t k : {1u, 5u, 16u, 33u})
      for (bool transposed : {false, true}) {
        CAPTURE(n);
        CAPTURE(k);
        auto a0 = random_vector<double>(k, rng, -1, 1), a1 = random_vector<double>(k, rng, -1, 1);
        auto b = random_vector<double>(k * n, rng, -1, 1);
        std::vector<double> c0(n), c1(n), r0(n), r1(n);
        const std::size_t b_row = transposed ? 1 : n, b_col = transposed ? k : 1;
        t.table<double>().gemm_pair(n, k, a0.data(), a1.data(), b.data(), b_row, b_col, c0.data(), c1.data(), nullptr,
                                    nullptr);
        kernels::gemm(1, n, k, a0.data(), k, 1, b.data(), b_row, b_col, r0.data(), n, false, nullptr, false);
        kernels::gemm(1, n, k, a1.data(), k, 1, b.data(), b_row, b_col, r1.data(), n, false, nullptr, false);
        check_close(c0, r0, 1e-14);
        check_close(c1, r1, 1e-14);
        // A bias row on the first: the bits of the pair and then the add kernel; the second as it was.
        const auto row = random_vector<double>(n, rng, -1, 1);
        std::vector<double> b0(n), b1(n);
        t.table<double>().gemm_pair(n, k, a0.data(), a1.data(), b.data(), b_row, b_col, b0.data(), b1.data(),
                                    row.data(), nullptr);
        t.table<double>().binary(Op::add, c0.data(), row.data(), c0.data(), n);
        CHECK(std::memcmp(b0.data(), c0.data(), n * sizeof(double)) == 0);
        CHECK(std::memcmp(b1.data(), c1.data(), n * sizeof(double)) == 0);
      }
}

// A pair of single-row products gives each row the bits the product of that row
// alone gets (the executor pairs a product with its tangent at one row, and the
// step-by-step run computes them one at a time): both layouts, with and without
// bias rows, every tail.
template <class T>
void pair_as_single_rows(const kernels::Target& t) {
  std::mt19937_64 rng(17);
  for (std::size_t n : {1u, 3u, 8u, 17u, 64u, 70u, 130u})
    for (std::size_t k : {1u, 5u, 16u, 33u, 64u})
      for (bool transposed : {false, true})
        for (bool rows : {false, true}) {
          CAPTURE(n);
          CAPTURE(k);
          CAPTURE(transposed);
          CAPTURE(rows);
          const auto a0 = random_vector<T>(k, rng, -1, 1), a1 = random_vector<T>(k, rng, -1, 1);
          const auto b = random_vector<T>(k * n, rng, -1, 1), row = random_vector<T>(n, rng, -1, 1);
          const std::size_t b_row = transposed ? 1 : n, b_col = transposed ? k : 1;
          const T* r0 = rows ? row.data() : nullptr;
          std::vector<T> c0(n), c1(n), s0(n), s1(n);
          t.table<T>().gemm_pair(n, k, a0.data(), a1.data(), b.data(), b_row, b_col, c0.data(), c1.data(), r0, nullptr);
          t.table<T>().gemm(1, n, k, a0.data(), k, 1, b.data(), b_row, b_col, s0.data(), n, false, r0);
          t.table<T>().gemm(1, n, k, a1.data(), k, 1, b.data(), b_row, b_col, s1.data(), n, false, nullptr);
          CHECK(std::memcmp(c0.data(), s0.data(), n * sizeof(T)) == 0);
          CHECK(std::memcmp(c1.data(), s1.data(), n * sizeof(T)) == 0);
        }
}

TEST_CASE("paired single-row products: each row the bits of its product alone, float and double") {
  FOR_EACH_TARGET(t) {
    pair_as_single_rows<double>(t);
    pair_as_single_rows<float>(t);
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

TEST_CASE("softplus, by its own log1p on [0, 1], within two units in the last place of log1p(e^a) in long double") {
  std::vector<double> a;
  for (double x = -40; x <= 40; x += 0.0137) a.push_back(x);
  for (double x : {0.0, -0.0, 1e-300, -1e-300, 1e-8, -1e-8, 36.7, 37.5, 700.0, -700.0}) a.push_back(x);
  FOR_EACH_TARGET(t) {
    std::vector<double> y(a.size());
    t.table<double>().unary(Op::softplus, a.data(), y.data(), a.size(), 0.0);
    for (std::size_t i = 0; i < a.size(); ++i) {
      CAPTURE(a[i]);
      const long double x = a[i];
      const long double exact = std::max(x, 0.0L) + std::log1p(std::exp(-std::abs(x)));
      CHECK(std::abs(y[i] - exact) <= 2 * std::numeric_limits<double>::epsilon() * exact);
    }
  }
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
