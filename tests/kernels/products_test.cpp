// The matrix products and reductions of every instruction set this build
// carries and this CPU runs against their scalar twins, tails included; a row
// of a product, and each row of a pair of single-row products, with the bits
// it gets alone.
#include <doctest/doctest.h>

#include <cstring>
#include <random>
#include <vector>

#include "kernels/kernel_checks.hpp"

using namespace wengert;
using namespace wengert::kernel_checks;

namespace {

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

// A weight of at most four rows has its own kernel (B held in registers while
// the rows go by); every entry gets the bits the register-block kernel gives it
// (reached here by adding onto zeros), with and without a bias row, every tail.
template <class T>
void few_weight_rows(const kernels::Target& t) {
  std::mt19937_64 rng(19);
  for (std::size_t k : {1u, 2u, 3u, 4u})
    for (std::size_t n : {1u, 7u, 8u, 17u, 33u, 64u, 70u, 130u})
      for (std::size_t m : {1u, 5u, 13u})
        for (bool rows : {false, true}) {
          CAPTURE(k);
          CAPTURE(n);
          CAPTURE(m);
          CAPTURE(rows);
          const auto a = random_vector<T>(m * k, rng, -1, 1), b = random_vector<T>(k * n, rng, -1, 1);
          const auto row = random_vector<T>(n, rng, -1, 1);
          const T* r = rows ? row.data() : nullptr;
          std::vector<T> own(m * n), blocks(m * n, T(0));
          t.table<T>().gemm(m, n, k, a.data(), k, 1, b.data(), n, 1, own.data(), n, false, r);
          t.table<T>().gemm(m, n, k, a.data(), k, 1, b.data(), n, 1, blocks.data(), n, true, r);
          CHECK(std::memcmp(own.data(), blocks.data(), m * n * sizeof(T)) == 0);
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
    for (std::size_t k : {1u, 2u, 4u, 5u, 16u, 33u, 64u})
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

}  // namespace

TEST_CASE("matrix products: a row of the product does not depend on the rows beside it") {
  FOR_EACH_TARGET(t) {
    rows_independent<double>(t);
    rows_independent<float>(t);
  }
}

TEST_CASE("matrix products by a weight of a few rows: the bits of the register-block kernel") {
  FOR_EACH_TARGET(t) {
    few_weight_rows<double>(t);
    few_weight_rows<float>(t);
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

TEST_CASE("paired single-row products: each row the bits of its product alone, float and double") {
  FOR_EACH_TARGET(t) {
    pair_as_single_rows<double>(t);
    pair_as_single_rows<float>(t);
  }
}
