// The element-wise kernels of one copy of the SIMD kernels (kernels/simd.cpp
// includes this after kernels/xsimd_copy.hpp). Every entry's result depends on
// its own inputs alone, never on where it sits: the tail goes through the same
// register formula, padded, and where xsimd chooses a way of computing for a
// whole register (exp's range, sin's argument reduction) the entries are sorted
// so that each gets the way its own value calls for. So rows computed in any
// grouping — chunks, the ranks' shares, one row at a time — get the same bits.
#pragma once

#include <algorithm>
#include <cstddef>
#include <iterator>

#include "kernels/fused.hpp"
#include "kernels/xsimd_copy.hpp"

namespace wengert::kernels::WENGERT_SIMD_TARGET {

namespace {

// The last n < w entries of each input, in a register padded with ones (a value
// every formula takes without trouble), through f; n results stored.
template <class T, class F>
void padded(std::size_t n, T* y, F f, const T* a, const T* b = nullptr) {
  using V = xsimd::batch<T>;
  alignas(64) T in_a[V::size], in_b[V::size], out[V::size];
  std::fill(std::begin(in_a), std::end(in_a), T(1));
  std::fill(std::begin(in_b), std::end(in_b), T(1));
  std::copy_n(a, n, in_a);
  if (b) std::copy_n(b, n, in_b);
  f(V::load_aligned(in_a), V::load_aligned(in_b)).store_aligned(out);
  std::copy_n(out, n, y);
}

template <class T, class F>
void map1(const T* a, T* y, std::size_t n, F f) {
  using V = xsimd::batch<T>;
  constexpr std::size_t w = V::size;
  std::size_t i = 0;
  for (; i + w <= n; i += w) f(V::load_unaligned(a + i)).store_unaligned(y + i);
  if (i < n)
    padded(
        n - i, y + i, [&f](V v, V) { return f(v); }, a + i);
}

// xsimd computes exp (and tanh, and pow, through exp) by converting x / ln 2 to
// an integer, which is undefined for NaN and for arguments far beyond where the
// result has long been 0, 1 or infinite. Such an entry is computed by the scalar
// formula instead (the number the scalar twin gives), its register's other
// entries by the register formula with it replaced by 1.
template <Op op>
constexpr bool goes_through_exp() {
  return op == Op::exp || op == Op::tanh || op == Op::sigmoid || op == Op::softplus || op == Op::silu || op == Op::pow;
}

template <class T, Op op>
xsimd::batch_bool<T> in_exp_range(xsimd::batch<T> a, T c) {
  using V = xsimd::batch<T>;
  constexpr T safe =
      300;  // |exponent| at which every one of these results has settled, far inside the conversion's range
  if constexpr (op == Op::pow) return xsimd::abs(xsimd::log(xsimd::abs(a))) * std::abs(c) <= V(safe);
  return xsimd::abs(a) <= V(safe);
}

// A register with entries out of exp's range: the others in SIMD (out of line,
// so that the common case stays small enough to be inlined into its loop).
template <class T, Op op>
[[gnu::noinline]] xsimd::batch<T> through_exp_mixed(xsimd::batch<T> v, xsimd::batch_bool<T> ok, T c) {
  using V = xsimd::batch<T>;
  alignas(64) T in[V::size], out[V::size];
  v.store_aligned(in);
  formulas::unary(op, xsimd::select(ok, v, V(T(1))), c).store_aligned(out);
  for (std::size_t k = 0; k < V::size; ++k)
    if (!ok.get(k)) out[k] = formulas::unary(op, in[k], c);
  return V::load_aligned(out);
}

// One register of an op through exp: in SIMD, but entries out of range by the scalar formula.
// Always inlined into its loop: called once per register, it let the loop
// overlap nothing (GCC stopped inlining it for float tanh when the file grew,
// and a batch-1024 forward pass in float took 6-9% longer).
template <class T, Op op>
[[gnu::always_inline]] inline xsimd::batch<T> through_exp(xsimd::batch<T> v, T c) {
  const auto ok = in_exp_range<T, op>(v, c);
  if (xsimd::all(ok)) [[likely]]
    return formulas::unary(op, v, c);
  return through_exp_mixed<T, op>(v, ok, c);
}

// xsimd reduces the argument of sin and cos in one of five ways, chosen for the
// whole register by its largest entry: an entry's bits would depend on its
// neighbours. Each of the five ranges is computed by itself instead, the other
// entries replaced by a value of that range (one pass when, as usual, all
// entries share a range; xsimd's last way reduces entry by entry, NaN included).
template <class T, Op op>
xsimd::batch<T> trigonometric(xsimd::batch<T> v, T c) {
  using V = xsimd::batch<T>;
  const V x = xsimd::abs(v);
  const V bounds[] = {xsimd::constants::pio4<V>(), xsimd::constants::pio2<V>(), xsimd::constants::twentypi<V>(),
                      xsimd::constants::mediumpi<V>()};
  const T stand_ins[] = {T(0), T(1), T(10), T(100), T(2) * xsimd::constants::mediumpi<T>()};
  V result(T(0)), below(T(-1));
  for (std::size_t range = 0; range < 5; ++range) {
    const auto in = range < 4 ? x > below && x <= bounds[range] : !(x <= below);  // the last takes NaN too
    if (xsimd::all(in)) return formulas::unary(op, v, c);
    if (xsimd::any(in))
      result = xsimd::select(in, formulas::unary(op, xsimd::select(in, v, V(stand_ins[range])), c), result);
    if (range < 4) below = bounds[range];
  }
  return result;
}

// f(a) for one op over n entries, and then the step's affine tail if it has
// one (kernels/fused.hpp; Plain: none).
template <class T, Op op, class Tail = Plain>
void unary_op(const T* a, T* y, std::size_t n, T c, Tail tail = {}) {
  if constexpr (goes_through_exp<op>()) {
    map1(a, y, n, [c, tail](auto v) { return tail(through_exp<T, op>(v, c)); });
  } else if constexpr (op == Op::sin || op == Op::cos) {
    map1(a, y, n, [c, tail](auto v) { return tail(trigonometric<T, op>(v, c)); });
  } else {
    map1(a, y, n, [c, tail](auto v) { return tail(formulas::unary(op, v, c)); });
  }
}

template <class T, Op op, class Tail = Plain>
void binary_op(const T* a, const T* b, T* y, std::size_t n, Tail tail = {}) {
  using V = xsimd::batch<T>;
  constexpr std::size_t w = V::size;
  std::size_t i = 0;
  const auto f = [tail](V u, V v) { return tail(formulas::binary(op, u, v)); };
  for (; i + w <= n; i += w) f(V::load_unaligned(a + i), V::load_unaligned(b + i)).store_unaligned(y + i);
  if (i < n) padded(n - i, y + i, f, a + i, b + i);
}

}  // namespace

}  // namespace wengert::kernels::WENGERT_SIMD_TARGET
